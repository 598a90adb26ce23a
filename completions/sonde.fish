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
complete -c sonde -n "__fish_sonde_needs_command" -f -a "latency" -d 'Round-trip latency of a live server with PING (redis-cli --latency, --latency-history, --latency-dist), or this host\'s intrinsic latency'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "stat" -d 'A live server\'s vitals every interval, from INFO (redis-cli --stat)'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "keys" -d 'Keys of a live server'
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
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from sniff" -l metrics-port -d 'Serve Prometheus metrics (packets, bytes, frames and commands per second, latency, hot keys) at http://127.0.0.1:PORT/metrics while capturing live' -r
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
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect export restore diff help" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect export restore diff help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect export restore diff help" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect export restore diff help" -f -a "inspect" -d 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect export restore diff help" -f -a "export" -d 'Turn a snapshot into commands, JSON or a memory CSV'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect export restore diff help" -f -a "restore" -d 'Replay a snapshot into a live server, pipelined'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect export restore diff help" -f -a "diff" -d 'Compare two snapshots key by key: added, removed, changed'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and not __fish_seen_subcommand_from inspect export restore diff help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l db -d 'Only keys in this database (repeatable, or comma-separated)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l type -d 'Only keys of this type (repeatable, or comma-separated)' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''
module\t''"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l match -d 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l exclude -d 'Leave out keys matching this glob pattern (repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l regex -d 'Only keys matching this regular expression (Rust regex syntax, on the key\'s bytes; unanchored unless you write ^ and $)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l min-size -d 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l slot -d 'Only keys in this Redis Cluster slot (repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l slots -d 'Per-slot totals of Redis Cluster slots (all slots, or only those in A-B, which then also filters keys)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l what-if -d 'Re-run the memory estimate under other encoding thresholds and report the difference, e.g. `--what-if hash-max-listpack-entries=1024` (repeatable; also hash-max-listpack-value, zset-max-listpack-entries, zset-max-listpack-value, set-max-intset-entries, list-max-listpack-size)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l top -d 'How many of the biggest keys and prefixes to list' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l separator -d 'What separates the parts of a key, for the prefix report' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l depth -d 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l now -d 'The time expiries are measured against, in Unix milliseconds (default: the file\'s ctime aux field, else the current time)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l keys -d 'One record per key (JSON Lines with --format json) instead of the summary'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l values -d 'With --keys, include each value (implies --keys)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l expired -d 'Only keys already expired (relative to --now)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -l not-expired -d 'Only keys not expired: no expiry, or one after --now'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from inspect" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l to -d 'Output format' -r -f -a "resp\t'RESP commands for `redis-cli --pipe` (RESTORE, or plain with --commands)'
aof\t'An append-only file of plain commands'
json\t'JSON Lines: one object per key with its value'
csv\t'The memory report as CSV (redis-rdb-tools\' columns, then slot)'"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -s o -l output -d 'Write here instead of stdout' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -s n -l to-db -d 'Write every key into this database instead of the one it is in' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l batch -d 'Most elements per command when collections are split' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l slots -d 'Slot ranges to keep (A-B, repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l db -d 'Only keys in this database (repeatable, or comma-separated)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l type -d 'Only keys of this type (repeatable, or comma-separated)' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''
module\t''"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l match -d 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l exclude -d 'Leave out keys matching this glob pattern (repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l regex -d 'Only keys matching this regular expression (Rust regex syntax, on the key\'s bytes; unanchored unless you write ^ and $)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l min-size -d 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l slot -d 'Only keys in this Redis Cluster slot (repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l now -d 'The time expiries are measured against, in Unix milliseconds (default: the current time); keys expired by then are left out unless --expired asks for them' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l commands -d 'Plain commands (SET, RPUSH, HSET...) instead of RESTORE payloads, for a server that cannot load this file\'s encodings'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l replace -d 'Replace existing keys (RESTORE ... REPLACE; DEL before plain commands); else a key that exists is refused'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l expired -d 'Only keys already expired (relative to --now)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -l not-expired -d 'Only keys not expired: no expiry, or one after --now'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -s h -l host -d 'Server host name or address (default 127.0.0.1)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -s p -l port -d 'Server port (default 6379)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -s s -l unix-socket -d 'Unix socket path instead of TCP' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -s a -l pass -l password -d 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l user -d 'ACL user name for AUTH (Redis 6+), with a password' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -s n -d 'Database number to SELECT' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -s u -l uri -d 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l cacert -d 'CA certificate file (PEM) to verify the server with (default: the system\'s CA bundle)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l cacertdir -d 'Directory of CA certificate files (PEM)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l cert -d 'Client certificate (PEM) for servers that check clients' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l key -d 'Private key (PEM) of --cert' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l sni -d 'Server name for TLS SNI and certificate verification (default: the host)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l connect-timeout -d 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l batch -d 'Most elements per command when collections are split' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l slots -d 'Slot ranges to keep (A-B, repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l db -d 'Only keys in this database (repeatable, or comma-separated)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l type -d 'Only keys of this type (repeatable, or comma-separated)' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''
module\t''"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l match -d 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l exclude -d 'Leave out keys matching this glob pattern (repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l regex -d 'Only keys matching this regular expression (Rust regex syntax, on the key\'s bytes; unanchored unless you write ^ and $)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l min-size -d 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l slot -d 'Only keys in this Redis Cluster slot (repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l now -d 'The time expiries are measured against, in Unix milliseconds (default: the current time); keys expired by then are left out unless --expired asks for them' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l askpass -d 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l tls -d 'Connect with TLS'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l insecure -d 'Do not verify the server\'s certificate (encrypted, not authenticated)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l help -d 'Print help'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l commands -d 'Plain commands (SET, RPUSH, HSET...) instead of RESTORE payloads, for a server that cannot load this file\'s encodings'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l replace -d 'Replace existing keys (RESTORE ... REPLACE; DEL before plain commands); else a key that exists is refused'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l expired -d 'Only keys already expired (relative to --now)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -l not-expired -d 'Only keys not expired: no expiry, or one after --now'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l slots -d 'Slot ranges to keep (A-B, repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l db -d 'Only keys in this database (repeatable, or comma-separated)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l type -d 'Only keys of this type (repeatable, or comma-separated)' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''
module\t''"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l match -d 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l exclude -d 'Leave out keys matching this glob pattern (repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l regex -d 'Only keys matching this regular expression (Rust regex syntax, on the key\'s bytes; unanchored unless you write ^ and $)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l min-size -d 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l slot -d 'Only keys in this Redis Cluster slot (repeatable)' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l now -d 'The time --expired/--not-expired measure against, in Unix ms' -r
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l keys-only -d 'Only list which keys differ, not how'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l ignore-ttl -d 'Ignore expiry differences'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l expired -d 'Only keys already expired (relative to --now)'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -l not-expired -d 'Only keys not expired: no expiry, or one after --now'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from diff" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from help" -f -a "export" -d 'Turn a snapshot into commands, JSON or a memory CSV'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Replay a snapshot into a live server, pipelined'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from help" -f -a "diff" -d 'Compare two snapshots key by key: added, removed, changed'
complete -c sonde -n "__fish_sonde_using_subcommand rdb; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -f -a "probe" -d 'Read socket options as the kernel applies them, or run a loopback experiment'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and not __fish_seen_subcommand_from probe help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l set -d 'Set an option before reading it back, e.g. SO_RCVBUF=64k, TCP_NODELAY=1, SO_LINGER=1,0, TCP_CONGESTION=cubic (repeatable; any platform\'s option name is accepted)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l target -d 'Probe a connection to a live server instead of fresh sockets: connect time, options of the connected socket, TCP_INFO (of the TLS connection with --tls). HOST:PORT or a URI, or the server given with -h/-p/-u (default 127.0.0.1:6379)' -r
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
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -s h -l host -d 'Server host name or address (default 127.0.0.1)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -s p -l port -d 'Server port (default 6379)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -s s -l unix-socket -d 'Unix socket path instead of TCP' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -s a -l pass -l password -d 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l user -d 'ACL user name for AUTH (Redis 6+), with a password' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -s n -d 'Database number to SELECT' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -s u -l uri -d 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l cacert -d 'CA certificate file (PEM) to verify the server with (default: the system\'s CA bundle)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l cacertdir -d 'Directory of CA certificate files (PEM)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l cert -d 'Client certificate (PEM) for servers that check clients' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l key -d 'Private key (PEM) of --cert' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l sni -d 'Server name for TLS SNI and certificate verification (default: the host)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l connect-timeout -d 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)' -r
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l ping -d 'With --target: send PING (after AUTH when a password is given) and time the reply (Redis-protocol servers)'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l askpass -d 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l tls -d 'Connect with TLS'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l insecure -d 'Do not verify the server\'s certificate (encrypted, not authenticated)'
complete -c sonde -n "__fish_sonde_using_subcommand sockopt; and __fish_seen_subcommand_from probe" -l help -d 'Print help'
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
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l metrics-port -d 'Serve Prometheus metrics (offsets, lag, bytes, commands per second, hot keys) at http://127.0.0.1:PORT/metrics while the tail runs' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l top -d 'Rows in each hot-key list (keys, prefixes, clients, slow keys)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l separator -d 'What separates the parts of a key, for the prefix report (as in `rdb inspect`; empty: no prefix report)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l depth -d 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l sketch-size -d 'Items each hot-key list keeps track of (its memory); counts are exact below this many distinct items and over by at most total/N beyond' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l interval -d 'Every S seconds, report the hot keys of the last S seconds: a JSON line with --format json, else tables (redrawn in place on a terminal)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s h -l host -d 'Server host name or address (default 127.0.0.1)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s p -l port -d 'Server port (default 6379)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s s -l unix-socket -d 'Unix socket path instead of TCP' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s a -l pass -l password -d 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l user -d 'ACL user name for AUTH (Redis 6+), with a password' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s n -d 'Database number to SELECT' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s u -l uri -d 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l cacert -d 'CA certificate file (PEM) to verify the server with (default: the system\'s CA bundle)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l cacertdir -d 'Directory of CA certificate files (PEM)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l cert -d 'Client certificate (PEM) for servers that check clients' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l key -d 'Private key (PEM) of --cert' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l sni -d 'Server name for TLS SNI and certificate verification (default: the host)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l connect-timeout -d 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)' -r
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l all -d 'Also report the master\'s PINGs and REPLCONF GETACKs'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l askpass -d 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l tls -d 'Connect with TLS'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l insecure -d 'Do not verify the server\'s certificate (encrypted, not authenticated)'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l help -d 'Print help'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from help" -f -a "tail" -d 'Stream a master\'s replication feed: every command with its offset'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand serve" -l log-format -d 'Log format: text lines, or JSON Lines for log collectors' -r -f -a "text\t'Text lines (the default; also what a terminal shows)'
json\t'One JSON object per line'"
complete -c sonde -n "__fish_sonde_using_subcommand serve" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand serve" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l sample-interval -d 'Milliseconds between PINGs (redis-cli uses 10)' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l history -d 'Print one row per window of SECS, each with fresh figures (redis-cli --latency-history; its default window is 15 s)' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l intrinsic -d 'Measure this host\'s intrinsic latency for SECS instead (redis-cli --intrinsic-latency): a busy loop, no server' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l count -d 'Stop after N samples' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l duration -d 'Stop after SECS seconds' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -s h -l host -d 'Server host name or address (default 127.0.0.1)' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -s p -l port -d 'Server port (default 6379)' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -s s -l unix-socket -d 'Unix socket path instead of TCP' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand latency" -s a -l pass -l password -d 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l user -d 'ACL user name for AUTH (Redis 6+), with a password' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -s n -d 'Database number to SELECT' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -s u -l uri -d 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l cacert -d 'CA certificate file (PEM) to verify the server with (default: the system\'s CA bundle)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l cacertdir -d 'Directory of CA certificate files (PEM)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l cert -d 'Client certificate (PEM) for servers that check clients' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l key -d 'Private key (PEM) of --cert' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l sni -d 'Server name for TLS SNI and certificate verification (default: the host)' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l connect-timeout -d 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)' -r
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l dist -d 'Show the distribution as a histogram in the table (JSON always has it)'
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l askpass -d 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l tls -d 'Connect with TLS'
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l insecure -d 'Do not verify the server\'s certificate (encrypted, not authenticated)'
complete -c sonde -n "__fish_sonde_using_subcommand latency" -l help -d 'Print help'
complete -c sonde -n "__fish_sonde_using_subcommand latency" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand stat" -s i -l interval -d 'Seconds between rows' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l count -d 'Stop after N rows' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l duration -d 'Stop after SECS seconds' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -s h -l host -d 'Server host name or address (default 127.0.0.1)' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -s p -l port -d 'Server port (default 6379)' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -s s -l unix-socket -d 'Unix socket path instead of TCP' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand stat" -s a -l pass -l password -d 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l user -d 'ACL user name for AUTH (Redis 6+), with a password' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -s n -d 'Database number to SELECT' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -s u -l uri -d 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l cacert -d 'CA certificate file (PEM) to verify the server with (default: the system\'s CA bundle)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l cacertdir -d 'Directory of CA certificate files (PEM)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l cert -d 'Client certificate (PEM) for servers that check clients' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l key -d 'Private key (PEM) of --cert' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l sni -d 'Server name for TLS SNI and certificate verification (default: the host)' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l connect-timeout -d 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)' -r
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l askpass -d 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l tls -d 'Connect with TLS'
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l insecure -d 'Do not verify the server\'s certificate (encrypted, not authenticated)'
complete -c sonde -n "__fish_sonde_using_subcommand stat" -l help -d 'Print help'
complete -c sonde -n "__fish_sonde_using_subcommand stat" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and not __fish_seen_subcommand_from big help" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand keys; and not __fish_seen_subcommand_from big help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and not __fish_seen_subcommand_from big help" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and not __fish_seen_subcommand_from big help" -f -a "big" -d 'The biggest keys of a live server (redis-cli --bigkeys and --memkeys)'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and not __fish_seen_subcommand_from big help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l rate -d 'At most this many keys a second (0: no limit)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l scan-count -d 'SCAN\'s COUNT hint (keys per batch)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l match -d 'Only keys matching this glob (SCAN MATCH)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l type -d 'Only keys of this type (SCAN TYPE: string, list, set, zset, hash, stream)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l top -d 'How many keys (and prefixes per depth) to list' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l samples -d 'MEMORY USAGE SAMPLES: elements sampled for nested types (0: all)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l separator -d 'What separates the parts of a key, for the prefix report' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l depth -d 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -s h -l host -d 'Server host name or address (default 127.0.0.1)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -s p -l port -d 'Server port (default 6379)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -s s -l unix-socket -d 'Unix socket path instead of TCP' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -s a -l pass -l password -d 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l user -d 'ACL user name for AUTH (Redis 6+), with a password' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -s n -d 'Database number to SELECT' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -s u -l uri -d 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l cacert -d 'CA certificate file (PEM) to verify the server with (default: the system\'s CA bundle)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l cacertdir -d 'Directory of CA certificate files (PEM)' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l cert -d 'Client certificate (PEM) for servers that check clients' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l key -d 'Private key (PEM) of --cert' -r -F
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l sni -d 'Server name for TLS SNI and certificate verification (default: the host)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l connect-timeout -d 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)' -r
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l askpass -d 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l tls -d 'Connect with TLS'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l insecure -d 'Do not verify the server\'s certificate (encrypted, not authenticated)'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -l help -d 'Print help'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from big" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "big" -d 'The biggest keys of a live server (redis-cli --bigkeys and --memkeys)'
complete -c sonde -n "__fish_sonde_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand completions" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand completions" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand generate" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand generate" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "resp" -d 'Work with RESP (Redis serialization protocol) byte streams'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "rdb" -d 'Work with RDB snapshot files'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "sockopt" -d 'Socket options as the kernel really applies them, with live experiments'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "ring" -d 'Simulate sharding a keyspace: load, movement, lookup cost'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "replica" -d 'Follow a live master\'s replication feed as a replica would'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "serve" -d 'Run a Redis-protocol server (single-threaded, like redis-server)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "latency" -d 'Round-trip latency of a live server with PING (redis-cli --latency, --latency-history, --latency-dist), or this host\'s intrinsic latency'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "stat" -d 'A live server\'s vitals every interval, from INFO (redis-cli --stat)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "keys" -d 'Keys of a live server'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "generate" -d 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp rdb sockopt ring replica serve latency stat keys completions generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from resp" -f -a "decode" -d 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from resp" -f -a "sniff" -d 'Watch RESP traffic on the wire: commands, replies, latency'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from rdb" -f -a "inspect" -d 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from rdb" -f -a "export" -d 'Turn a snapshot into commands, JSON or a memory CSV'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from rdb" -f -a "restore" -d 'Replay a snapshot into a live server, pipelined'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from rdb" -f -a "diff" -d 'Compare two snapshots key by key: added, removed, changed'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from sockopt" -f -a "probe" -d 'Read socket options as the kernel applies them, or run a loopback experiment'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from ring" -f -a "simulate" -d 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from replica" -f -a "tail" -d 'Stream a master\'s replication feed: every command with its offset'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "big" -d 'The biggest keys of a live server (redis-cli --bigkeys and --memkeys)'
