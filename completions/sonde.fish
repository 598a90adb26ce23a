# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sonde_global_optspecs
    string join \n format= h/help V/version
end

function __fish_sonde_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sonde_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sonde_using_subcommand
    set -l cmd (__fish_sonde_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sonde -n "__fish_sonde_needs_command" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_needs_command" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "resp" -d 'Work with RESP (Redis serialization protocol) byte streams'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "rdb" -d 'Work with RDB snapshot files'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "sockopt" -d 'Socket options as the kernel really applies them, with live experiments'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "ring" -d 'Simulate sharding a keyspace: load, movement, lookup cost'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "replica" -d 'Follow a live master\'s replication feed as a replica would'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "serve" -d 'Run a Redis-protocol server (single-threaded, like redis-server)'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "generate" -d 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode sniff help" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode sniff help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode sniff help" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode sniff help" -f -a "decode" -d 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode sniff help" -f -a "sniff" -d 'Watch RESP traffic on the wire: commands, replies, latency'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode sniff help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -l max-bulk-len -d 'Longest bulk string accepted, in bytes (Redis\'s proto-max-bulk-len)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -l max-aggregate-len -d 'Most elements accepted in one aggregate' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -l max-depth -d 'Deepest nesting of aggregates accepted (at most 1024)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -l max-frame -d 'Largest single frame buffered before giving up, in bytes' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -l hex -d 'The input is hex text (whitespace and 0x prefixes ignored)'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -l resp2 -d 'Accept only RESP2 types (a RESP3 type byte is an error)'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -l stats -d 'Print counts by type and by command instead of the frames'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from decode" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -s i -l interface -d 'Interface to capture on [default: the loopback device for a local server, else the interface that routes to --host]' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -s p -l port -d 'Server port to watch; repeat for several (at most 32) [default: 6379 live; with --pcap, the ports of the servers found in the file]' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l host -d 'Watch only the server at this address (IP or host name)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l pcap -d 'Read packets from a pcap or pcapng file instead of an interface' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l filter -d 'Only packets this tcpdump-style expression passes: tcp, ip, ip6, [src|dst] host ADDR, [src|dst] port N, [src|dst] net ADDR/LEN, with and/or/not and parentheses (compiled to a kernel filter when live)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l write -d 'Also save the packets captured (or read) as a pcap file, for Wireshark or tcpdump -r' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l duration -d 'Stop after this many seconds (of capture time, for a file)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l count -d 'Stop after this many commands were shown' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l slower-than -d 'Show only commands whose latency is at least MS milliseconds' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l command -d 'Show only this command (case-insensitive; repeat for several)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l buffer-size -d 'Kernel ring buffer for live capture, in bytes (absorbs bursts; packets arriving when it is full are dropped and counted)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l max-frame -d 'Largest RESP frame buffered whole, in bytes; a bigger one is skipped and reported' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l max-reorder -d 'Most out-of-order bytes held per direction while waiting for a missing segment' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l max-connections -d 'Most connections tracked at once (the least recently active is dropped to make room)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l idle-timeout -d 'Forget a connection idle for this many seconds' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l top -d 'Rows in each hot-key list (keys, prefixes, clients, slow keys)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l separator -d 'What separates the parts of a key, for the prefix report (as in `rdb inspect`; empty: no prefix report)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l depth -d 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l sketch-size -d 'Items each hot-key list keeps track of (its memory); counts are exact below this many distinct items and over by at most total/N beyond' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l interval -d 'Every S seconds, report the hot keys of the last S seconds: a JSON line with --format json, else tables (redrawn in place on a terminal)' -r
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l summary-only -d 'Print only the summary, not one row per command'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from help" -f -a "decode" -d 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from help" -f -a "sniff" -d 'Watch RESP traffic on the wire: commands, replies, latency'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect help" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect help" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect help" -f -a "inspect" -d 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l db -d 'Only keys in this database' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l type -d 'Only keys of this type' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''
module\t''"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l match -d 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l min-size -d 'Only keys whose serialized size is at least this many bytes' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l top -d 'How many of the biggest keys and prefixes to list' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l separator -d 'What separates the parts of a key, for the prefix report' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l depth -d 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l now -d 'The time expiries are measured against, in Unix milliseconds (default: the file\'s ctime aux field, else the current time)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l keys -d 'One record per key (JSON Lines with --format json) instead of the summary'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l values -d 'With --keys, include each value (implies --keys)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -f -a "probe" -d 'Read socket options as the kernel applies them, or run a loopback experiment'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l set -d 'Set an option before reading it back, e.g. SO_RCVBUF=64k, TCP_NODELAY=1, SO_LINGER=1,0, TCP_CONGESTION=cubic (repeatable; any platform\'s option name is accepted)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l target -d 'Probe a connection to HOST:PORT (e.g. a live Redis) instead of fresh sockets: connect time, options of the connected socket, TCP_INFO' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l connect-timeout -d 'Seconds to wait for --target to accept the connection (and answer PING)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l socket -d 'Probe only these fresh sockets (repeatable; default: all four)' -r -f -a "tcp4\t''
tcp6\t''
udp4\t''
udp6\t''"
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l experiment -d 'Run a loopback experiment instead of the probe (repeatable, or all)' -r -f -a "nagle\t'Write-write-read round trips with and without TCP_NODELAY'
cork\t'Many small writes with and without TCP_CORK: segments and time'
quickack\t'TCP_QUICKACK read back after each exchange'
buffers\t'Requested vs effective buffer sizes; throughput at a few'
backlog\t'A burst of connects against a small listen() backlog'
linger\t'close() with SO_LINGER {1,0} vs default: RST vs FIN at the peer'
reuseport\t'Connections spread over SO_REUSEPORT listeners'
all\t'Every experiment, in the order above'"
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l duration -d 'Time budget of each experiment, in seconds (at most 60)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l iterations -d 'The experiment\'s count: round trips per run (nagle, default 200), small writes (cork, 1000), exchanges (quickack, 5), connects (backlog, 32), connections (reuseport, 256)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l backlog -d 'listen() backlog for the backlog experiment' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l listeners -d 'Listeners sharing the port in the reuseport experiment' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l ping -d 'With --target: send PING and time the reply (Redis-protocol servers)'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from help" -f -a "probe" -d 'Read socket options as the kernel applies them, or run a loopback experiment'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and not __fish_seen_subcommand_from simulate help" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand ring; and not __fish_seen_subcommand_from simulate help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and not __fish_seen_subcommand_from simulate help" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and not __fish_seen_subcommand_from simulate help" -f -a "simulate" -d 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and not __fish_seen_subcommand_from simulate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l strategy -d 'Strategy to simulate (repeatable; default: all)' -r -f -a "modn\t'hash(key) mod N'
ring\t'Consistent hashing: --vnodes points per node on a 64-bit ring'
jump\t'Jump consistent hash (Lamping & Veach)'
rendezvous\t'Rendezvous hashing: highest random weight wins'
maglev\t'Maglev lookup table of --table-size entries (prime)'
bounded\t'Consistent hashing with bounded loads (Mirrokni et al.), --epsilon'
slots\t'Redis Cluster: CRC16 of the key or its {hash tag}, 16384 slots'"
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l nodes -d 'Initial number of nodes' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l keys -d 'Synthetic keys key:0 ... key:<K-1>' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l keys-from -d 'Read keys from FILE (one per line; `-` for stdin) instead' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l rdb -d 'Take the keys of an RDB dump instead (every database), each weighing its serialized size: load and movement are also counted in bytes' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l max-key-len -d 'Longest key accepted from --keys-from, in bytes' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l add -d 'Nodes added after the initial placement (default: 1 when neither --add nor --remove is given)' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l remove -d 'Nodes removed after the initial placement (the last ones, or random ones with --random-fail)' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l vnodes -d 'Ring points per node (ring, bounded)' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l table-size -d 'Maglev lookup table size, a prime at least the node count' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l epsilon -d 'Bounded loads: each node holds at most ceil((1+E)*K/N) keys' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l hash -d 'Hash function for keys and nodes (slots always uses CRC16)' -r -f -a "xxh3\t'XXH3, 64-bit (default): fast on short keys, well distributed'
xxh64\t'XXH64: the previous xxHash generation'
fnv1a\t'FNV-1a, 64-bit: simple and common in proxies; weaker mixing'"
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l hash-seed -d 'Salt for every key and node hash (0: the plain function)' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l seed -d 'Seed for every random choice (failed nodes, lookup samples, search experiment); default: from the clock, printed in the report' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l lookups -d 'Lookups timed per strategy' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l threads -d 'Worker threads for placing keys (default: the available cores)' -r
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l plot -d 'Write charts (load per node, moved fraction vs optimum, and the search comparison when measured) to an SVG file' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l key-sizes -d 'Lines of --keys-from are KEY<TAB>BYTES: load and movement are also counted in bytes'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l random-fail -d 'Remove random nodes (chosen with --seed) instead of the last ones'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -l compare-search -d 'Also measure linear vs binary vs Eytzinger search over ring sizes from 8 to 1,000,000 points and print where they cross over'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from simulate" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from help" -f -a "simulate" -d 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost'
complete -c sonde -n "__fish_sonde_using_subcommand ring; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and not __fish_seen_subcommand_from tail help" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand replica; and not __fish_seen_subcommand_from tail help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and not __fish_seen_subcommand_from tail help" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and not __fish_seen_subcommand_from tail help" -f -a "tail" -d 'Stream a master\'s replication feed: every command with its offset'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and not __fish_seen_subcommand_from tail help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l user -d 'ACL user for AUTH (with --password or --askpass)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l password -d 'Password for AUTH (also read from SONDE_PASSWORD)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l announce-port -d 'Port announced with REPLCONF listening-port (default: the local port of our connection, so the master\'s INFO line identifies it)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l announce-ip -d 'Address announced with REPLCONF ip-address' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l resume -d 'Keep the replication ID, offset and database in FILE (written atomically) and continue from it next time with PSYNC: the master answers +CONTINUE while the offset is still in its backlog. After a crash, up to the last second of commands may be shown again' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l rdb -d 'What to do with the snapshot of a full resync: `skip` (read and drop it; a progress bar on a terminal), `save FILE` (write it to FILE, replaced atomically by each full resync) or `summary` (parse it as it arrives, without writing it anywhere: keys by database and type, and its checksum verified; a corrupt snapshot ends the run with status 1)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l ack -d 'When to send REPLCONF ACK <offset>. `interval` (every second, after the snapshot and on REPLCONF GETACK) behaves like a real replica: the master\'s INFO shows our offset, and we count toward WAIT and min-replicas-to-write, so a slow tail can hold up writers that rely on them. `never` stays invisible to those, at a cost: a Redis 7 master doing a diskless sync waits for the first ACK before it streams any command (until it drops us after repl-timeout, default 60 s, and we continue with a partial resync), and any Redis master drops a replica that has not acknowledged for repl-timeout, so the link is resumed that often' -r -f -a "interval\t''
never\t''"
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l lag-interval -d 'Seconds between lag polls (INFO replication on a second connection); 0 turns polling off' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l max-lag -d 'Exit status 1 when a poll finds us more than BYTES behind the master' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l command -d 'Report only this command (repeatable; case-insensitive)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l match -d 'Report only commands whose first key matches this glob (Redis KEYS syntax)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l db -d 'Report only commands applied to this database' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l count -d 'Stop after reporting N commands' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l duration -d 'Stop after SECS seconds' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l timeout -d 'Give up on a connection after SECS without data from the master (masters ping replicas every 10 s by default), and on connecting' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l top -d 'Rows in each hot-key list (keys, prefixes, clients, slow keys)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l separator -d 'What separates the parts of a key, for the prefix report (as in `rdb inspect`; empty: no prefix report)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l depth -d 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l sketch-size -d 'Items each hot-key list keeps track of (its memory); counts are exact below this many distinct items and over by at most total/N beyond' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l interval -d 'Every S seconds, report the hot keys of the last S seconds: a JSON line with --format json, else tables (redrawn in place on a terminal)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l askpass -d 'Prompt for the password on the terminal'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l all -d 'Also report the master\'s PINGs and REPLCONF GETACKs'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from help" -f -a "tail" -d 'Stream a master\'s replication feed: every command with its offset'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand serve" -l log-format -d 'Log format: text lines, or JSON Lines for log collectors' -r -f -a "text\t'Text lines (the default; also what a terminal shows)'
json\t'One JSON object per line'"
complete -c sonde -n "__fish_sonde_using_subcommand serve" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand serve" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand completions" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand completions" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand generate" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand generate" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve completions generate help" -f -a "resp" -d 'Work with RESP (Redis serialization protocol) byte streams'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve completions generate help" -f -a "rdb" -d 'Work with RDB snapshot files'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve completions generate help" -f -a "sockopt" -d 'Socket options as the kernel really applies them, with live experiments'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve completions generate help" -f -a "ring" -d 'Simulate sharding a keyspace: load, movement, lookup cost'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve completions generate help" -f -a "replica" -d 'Follow a live master\'s replication feed as a replica would'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve completions generate help" -f -a "serve" -d 'Run a Redis-protocol server (single-threaded, like redis-server)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve completions generate help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve completions generate help" -f -a "generate" -d 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve completions generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from resp" -f -a "decode" -d 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from resp" -f -a "sniff" -d 'Watch RESP traffic on the wire: commands, replies, latency'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from rdb" -f -a "inspect" -d 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from sockopt" -f -a "probe" -d 'Read socket options as the kernel applies them, or run a loopback experiment'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from ring" -f -a "simulate" -d 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from replica" -f -a "tail" -d 'Stream a master\'s replication feed: every command with its offset'
