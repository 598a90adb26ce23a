
use builtin;
use str;

set edit:completion:arg-completer[sonde] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'sonde'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'sonde'= {
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand resp 'Work with RESP (Redis serialization protocol) byte streams'
            cand rdb 'Work with RDB snapshot files'
            cand sockopt 'Socket options as the kernel really applies them, with live experiments'
            cand ring 'Simulate sharding a keyspace: load, movement, lookup cost'
            cand replica 'Follow a live master''s replication feed as a replica would'
            cand serve 'Run a Redis-protocol server (single-threaded, like redis-server)'
            cand completions 'Print a shell completion script to stdout'
            cand generate 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;resp'= {
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand decode 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
            cand sniff 'Watch RESP traffic on the wire: commands, replies, latency'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;resp;decode'= {
            cand --max-bulk-len 'Longest bulk string accepted, in bytes (Redis''s proto-max-bulk-len)'
            cand --max-aggregate-len 'Most elements accepted in one aggregate'
            cand --max-depth 'Deepest nesting of aggregates accepted (at most 1024)'
            cand --max-frame 'Largest single frame buffered before giving up, in bytes'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --hex 'The input is hex text (whitespace and 0x prefixes ignored)'
            cand --resp2 'Accept only RESP2 types (a RESP3 type byte is an error)'
            cand --stats 'Print counts by type and by command instead of the frames'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;resp;sniff'= {
            cand -i 'Interface to capture on [default: the loopback device for a local server, else the interface that routes to --host]'
            cand --interface 'Interface to capture on [default: the loopback device for a local server, else the interface that routes to --host]'
            cand -p 'Server port to watch; repeat for several (at most 32) [default: 6379 live; with --pcap, the ports of the servers found in the file]'
            cand --port 'Server port to watch; repeat for several (at most 32) [default: 6379 live; with --pcap, the ports of the servers found in the file]'
            cand --host 'Watch only the server at this address (IP or host name)'
            cand --pcap 'Read packets from a pcap or pcapng file instead of an interface'
            cand --filter 'Only packets this tcpdump-style expression passes: tcp, ip, ip6, [src|dst] host ADDR, [src|dst] port N, [src|dst] net ADDR/LEN, with and/or/not and parentheses (compiled to a kernel filter when live)'
            cand --write 'Also save the packets captured (or read) as a pcap file, for Wireshark or tcpdump -r'
            cand --duration 'Stop after this many seconds (of capture time, for a file)'
            cand --count 'Stop after this many commands were shown'
            cand --slower-than 'Show only commands whose latency is at least MS milliseconds'
            cand --command 'Show only this command (case-insensitive; repeat for several)'
            cand --buffer-size 'Kernel ring buffer for live capture, in bytes (absorbs bursts; packets arriving when it is full are dropped and counted)'
            cand --max-frame 'Largest RESP frame buffered whole, in bytes; a bigger one is skipped and reported'
            cand --max-reorder 'Most out-of-order bytes held per direction while waiting for a missing segment'
            cand --max-connections 'Most connections tracked at once (the least recently active is dropped to make room)'
            cand --idle-timeout 'Forget a connection idle for this many seconds'
            cand --top 'Rows in each hot-key list (keys, prefixes, clients, slow keys)'
            cand --separator 'What separates the parts of a key, for the prefix report (as in `rdb inspect`; empty: no prefix report)'
            cand --depth 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)'
            cand --sketch-size 'Items each hot-key list keeps track of (its memory); counts are exact below this many distinct items and over by at most total/N beyond'
            cand --interval 'Every S seconds, report the hot keys of the last S seconds: a JSON line with --format json, else tables (redrawn in place on a terminal)'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --summary-only 'Print only the summary, not one row per command'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;resp;help'= {
            cand decode 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
            cand sniff 'Watch RESP traffic on the wire: commands, replies, latency'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;resp;help;decode'= {
        }
        &'sonde;resp;help;sniff'= {
        }
        &'sonde;resp;help;help'= {
        }
        &'sonde;rdb'= {
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand inspect 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;rdb;inspect'= {
            cand --db 'Only keys in this database'
            cand --type 'Only keys of this type'
            cand --match 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character)'
            cand --min-size 'Only keys whose serialized size is at least this many bytes'
            cand --top 'How many of the biggest keys and prefixes to list'
            cand --separator 'What separates the parts of a key, for the prefix report'
            cand --depth 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)'
            cand --now 'The time expiries are measured against, in Unix milliseconds (default: the file''s ctime aux field, else the current time)'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --keys 'One record per key (JSON Lines with --format json) instead of the summary'
            cand --values 'With --keys, include each value (implies --keys)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;rdb;help'= {
            cand inspect 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;rdb;help;inspect'= {
        }
        &'sonde;rdb;help;help'= {
        }
        &'sonde;sockopt'= {
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand probe 'Read socket options as the kernel applies them, or run a loopback experiment'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;sockopt;probe'= {
            cand --set 'Set an option before reading it back, e.g. SO_RCVBUF=64k, TCP_NODELAY=1, SO_LINGER=1,0, TCP_CONGESTION=cubic (repeatable; any platform''s option name is accepted)'
            cand --target 'Probe a connection to HOST:PORT (e.g. a live Redis) instead of fresh sockets: connect time, options of the connected socket, TCP_INFO'
            cand --connect-timeout 'Seconds to wait for --target to accept the connection (and answer PING)'
            cand --socket 'Probe only these fresh sockets (repeatable; default: all four)'
            cand --experiment 'Run a loopback experiment instead of the probe (repeatable, or all)'
            cand --duration 'Time budget of each experiment, in seconds (at most 60)'
            cand --iterations 'The experiment''s count: round trips per run (nagle, default 200), small writes (cork, 1000), exchanges (quickack, 5), connects (backlog, 32), connections (reuseport, 256)'
            cand --backlog 'listen() backlog for the backlog experiment'
            cand --listeners 'Listeners sharing the port in the reuseport experiment'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --ping 'With --target: send PING and time the reply (Redis-protocol servers)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;sockopt;help'= {
            cand probe 'Read socket options as the kernel applies them, or run a loopback experiment'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;sockopt;help;probe'= {
        }
        &'sonde;sockopt;help;help'= {
        }
        &'sonde;ring'= {
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand simulate 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;ring;simulate'= {
            cand --strategy 'Strategy to simulate (repeatable; default: all)'
            cand --nodes 'Initial number of nodes'
            cand --keys 'Synthetic keys key:0 ... key:<K-1>'
            cand --keys-from 'Read keys from FILE (one per line; `-` for stdin) instead'
            cand --rdb 'Take the keys of an RDB dump instead (every database), each weighing its serialized size: load and movement are also counted in bytes'
            cand --max-key-len 'Longest key accepted from --keys-from, in bytes'
            cand --add 'Nodes added after the initial placement (default: 1 when neither --add nor --remove is given)'
            cand --remove 'Nodes removed after the initial placement (the last ones, or random ones with --random-fail)'
            cand --vnodes 'Ring points per node (ring, bounded)'
            cand --table-size 'Maglev lookup table size, a prime at least the node count'
            cand --epsilon 'Bounded loads: each node holds at most ceil((1+E)*K/N) keys'
            cand --hash 'Hash function for keys and nodes (slots always uses CRC16)'
            cand --hash-seed 'Salt for every key and node hash (0: the plain function)'
            cand --seed 'Seed for every random choice (failed nodes, lookup samples, search experiment); default: from the clock, printed in the report'
            cand --lookups 'Lookups timed per strategy'
            cand --threads 'Worker threads for placing keys (default: the available cores)'
            cand --plot 'Write charts (load per node, moved fraction vs optimum, and the search comparison when measured) to an SVG file'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --key-sizes 'Lines of --keys-from are KEY<TAB>BYTES: load and movement are also counted in bytes'
            cand --random-fail 'Remove random nodes (chosen with --seed) instead of the last ones'
            cand --compare-search 'Also measure linear vs binary vs Eytzinger search over ring sizes from 8 to 1,000,000 points and print where they cross over'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;ring;help'= {
            cand simulate 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;ring;help;simulate'= {
        }
        &'sonde;ring;help;help'= {
        }
        &'sonde;replica'= {
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand tail 'Stream a master''s replication feed: every command with its offset'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;replica;tail'= {
            cand --user 'ACL user for AUTH (with --password or --askpass)'
            cand --password 'Password for AUTH (also read from SONDE_PASSWORD)'
            cand --announce-port 'Port announced with REPLCONF listening-port (default: the local port of our connection, so the master''s INFO line identifies it)'
            cand --announce-ip 'Address announced with REPLCONF ip-address'
            cand --resume 'Keep the replication ID, offset and database in FILE (written atomically) and continue from it next time with PSYNC: the master answers +CONTINUE while the offset is still in its backlog. After a crash, up to the last second of commands may be shown again'
            cand --rdb 'What to do with the snapshot of a full resync: `skip` (read and drop it; a progress bar on a terminal), `save FILE` (write it to FILE, replaced atomically by each full resync) or `summary` (parse it as it arrives, without writing it anywhere: keys by database and type, and its checksum verified; a corrupt snapshot ends the run with status 1)'
            cand --ack 'When to send REPLCONF ACK <offset>. `interval` (every second, after the snapshot and on REPLCONF GETACK) behaves like a real replica: the master''s INFO shows our offset, and we count toward WAIT and min-replicas-to-write, so a slow tail can hold up writers that rely on them. `never` stays invisible to those, at a cost: a Redis 7 master doing a diskless sync waits for the first ACK before it streams any command (until it drops us after repl-timeout, default 60 s, and we continue with a partial resync), and any Redis master drops a replica that has not acknowledged for repl-timeout, so the link is resumed that often'
            cand --lag-interval 'Seconds between lag polls (INFO replication on a second connection); 0 turns polling off'
            cand --max-lag 'Exit status 1 when a poll finds us more than BYTES behind the master'
            cand --command 'Report only this command (repeatable; case-insensitive)'
            cand --match 'Report only commands whose first key matches this glob (Redis KEYS syntax)'
            cand --db 'Report only commands applied to this database'
            cand --count 'Stop after reporting N commands'
            cand --duration 'Stop after SECS seconds'
            cand --timeout 'Give up on a connection after SECS without data from the master (masters ping replicas every 10 s by default), and on connecting'
            cand --top 'Rows in each hot-key list (keys, prefixes, clients, slow keys)'
            cand --separator 'What separates the parts of a key, for the prefix report (as in `rdb inspect`; empty: no prefix report)'
            cand --depth 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)'
            cand --sketch-size 'Items each hot-key list keeps track of (its memory); counts are exact below this many distinct items and over by at most total/N beyond'
            cand --interval 'Every S seconds, report the hot keys of the last S seconds: a JSON line with --format json, else tables (redrawn in place on a terminal)'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --askpass 'Prompt for the password on the terminal'
            cand --all 'Also report the master''s PINGs and REPLCONF GETACKs'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;replica;help'= {
            cand tail 'Stream a master''s replication feed: every command with its offset'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;replica;help;tail'= {
        }
        &'sonde;replica;help;help'= {
        }
        &'sonde;serve'= {
            cand --log-format 'Log format: text lines, or JSON Lines for log collectors'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;completions'= {
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;generate'= {
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;help'= {
            cand resp 'Work with RESP (Redis serialization protocol) byte streams'
            cand rdb 'Work with RDB snapshot files'
            cand sockopt 'Socket options as the kernel really applies them, with live experiments'
            cand ring 'Simulate sharding a keyspace: load, movement, lookup cost'
            cand replica 'Follow a live master''s replication feed as a replica would'
            cand serve 'Run a Redis-protocol server (single-threaded, like redis-server)'
            cand completions 'Print a shell completion script to stdout'
            cand generate 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;help;resp'= {
            cand decode 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
            cand sniff 'Watch RESP traffic on the wire: commands, replies, latency'
        }
        &'sonde;help;resp;decode'= {
        }
        &'sonde;help;resp;sniff'= {
        }
        &'sonde;help;rdb'= {
            cand inspect 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
        }
        &'sonde;help;rdb;inspect'= {
        }
        &'sonde;help;sockopt'= {
            cand probe 'Read socket options as the kernel applies them, or run a loopback experiment'
        }
        &'sonde;help;sockopt;probe'= {
        }
        &'sonde;help;ring'= {
            cand simulate 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost'
        }
        &'sonde;help;ring;simulate'= {
        }
        &'sonde;help;replica'= {
            cand tail 'Stream a master''s replication feed: every command with its offset'
        }
        &'sonde;help;replica;tail'= {
        }
        &'sonde;help;serve'= {
        }
        &'sonde;help;completions'= {
        }
        &'sonde;help;generate'= {
        }
        &'sonde;help;help'= {
        }
    ]
    $completions[$command]
}
