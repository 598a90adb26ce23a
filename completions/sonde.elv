
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
            cand latency 'Round-trip latency of a live server with PING (redis-cli --latency, --latency-history, --latency-dist), or this host''s intrinsic latency'
            cand stat 'A live server''s vitals every interval, from INFO (redis-cli --stat)'
            cand keys 'Keys of a live server'
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
            cand --metrics-port 'Serve Prometheus metrics (packets, bytes, frames and commands per second, latency, hot keys) at http://127.0.0.1:PORT/metrics while capturing live'
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
            cand export 'Turn a snapshot into commands, JSON or a memory CSV'
            cand restore 'Replay a snapshot into a live server, pipelined'
            cand diff 'Compare two snapshots key by key: added, removed, changed'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;rdb;inspect'= {
            cand --db 'Only keys in this database (repeatable, or comma-separated)'
            cand --type 'Only keys of this type (repeatable, or comma-separated)'
            cand --match 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them'
            cand --exclude 'Leave out keys matching this glob pattern (repeatable)'
            cand --regex 'Only keys matching this regular expression (Rust regex syntax, on the key''s bytes; unanchored unless you write ^ and $)'
            cand --min-size 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)'
            cand --slot 'Only keys in this Redis Cluster slot (repeatable)'
            cand --slots 'Per-slot totals of Redis Cluster slots (all slots, or only those in A-B, which then also filters keys)'
            cand --what-if 'Re-run the memory estimate under other encoding thresholds and report the difference, e.g. `--what-if hash-max-listpack-entries=1024` (repeatable; also hash-max-listpack-value, zset-max-listpack-entries, zset-max-listpack-value, set-max-intset-entries, list-max-listpack-size)'
            cand --top 'How many of the biggest keys and prefixes to list'
            cand --separator 'What separates the parts of a key, for the prefix report'
            cand --depth 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)'
            cand --now 'The time expiries are measured against, in Unix milliseconds (default: the file''s ctime aux field, else the current time)'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --keys 'One record per key (JSON Lines with --format json) instead of the summary'
            cand --values 'With --keys, include each value (implies --keys)'
            cand --expired 'Only keys already expired (relative to --now)'
            cand --not-expired 'Only keys not expired: no expiry, or one after --now'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;rdb;export'= {
            cand --to 'Output format'
            cand -o 'Write here instead of stdout'
            cand --output 'Write here instead of stdout'
            cand -n 'Write every key into this database instead of the one it is in'
            cand --to-db 'Write every key into this database instead of the one it is in'
            cand --batch 'Most elements per command when collections are split'
            cand --slots 'Slot ranges to keep (A-B, repeatable)'
            cand --db 'Only keys in this database (repeatable, or comma-separated)'
            cand --type 'Only keys of this type (repeatable, or comma-separated)'
            cand --match 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them'
            cand --exclude 'Leave out keys matching this glob pattern (repeatable)'
            cand --regex 'Only keys matching this regular expression (Rust regex syntax, on the key''s bytes; unanchored unless you write ^ and $)'
            cand --min-size 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)'
            cand --slot 'Only keys in this Redis Cluster slot (repeatable)'
            cand --now 'The time expiries are measured against, in Unix milliseconds (default: the current time); keys expired by then are left out unless --expired asks for them'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --commands 'Plain commands (SET, RPUSH, HSET...) instead of RESTORE payloads, for a server that cannot load this file''s encodings'
            cand --replace 'Replace existing keys (RESTORE ... REPLACE; DEL before plain commands); else a key that exists is refused'
            cand --expired 'Only keys already expired (relative to --now)'
            cand --not-expired 'Only keys not expired: no expiry, or one after --now'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;rdb;restore'= {
            cand -h 'Server host name or address (default 127.0.0.1)'
            cand --host 'Server host name or address (default 127.0.0.1)'
            cand -p 'Server port (default 6379)'
            cand --port 'Server port (default 6379)'
            cand -s 'Unix socket path instead of TCP'
            cand --unix-socket 'Unix socket path instead of TCP'
            cand -a 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --pass 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --password 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --user 'ACL user name for AUTH (Redis 6+), with a password'
            cand -n 'Database number to SELECT'
            cand -u 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --uri 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --cacert 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)'
            cand --cacertdir 'Directory of CA certificate files (PEM)'
            cand --cert 'Client certificate (PEM) for servers that check clients'
            cand --key 'Private key (PEM) of --cert'
            cand --sni 'Server name for TLS SNI and certificate verification (default: the host)'
            cand --connect-timeout 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)'
            cand --batch 'Most elements per command when collections are split'
            cand --slots 'Slot ranges to keep (A-B, repeatable)'
            cand --db 'Only keys in this database (repeatable, or comma-separated)'
            cand --type 'Only keys of this type (repeatable, or comma-separated)'
            cand --match 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them'
            cand --exclude 'Leave out keys matching this glob pattern (repeatable)'
            cand --regex 'Only keys matching this regular expression (Rust regex syntax, on the key''s bytes; unanchored unless you write ^ and $)'
            cand --min-size 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)'
            cand --slot 'Only keys in this Redis Cluster slot (repeatable)'
            cand --now 'The time expiries are measured against, in Unix milliseconds (default: the current time); keys expired by then are left out unless --expired asks for them'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --askpass 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
            cand --tls 'Connect with TLS'
            cand --insecure 'Do not verify the server''s certificate (encrypted, not authenticated)'
            cand --help 'Print help'
            cand --commands 'Plain commands (SET, RPUSH, HSET...) instead of RESTORE payloads, for a server that cannot load this file''s encodings'
            cand --replace 'Replace existing keys (RESTORE ... REPLACE; DEL before plain commands); else a key that exists is refused'
            cand --expired 'Only keys already expired (relative to --now)'
            cand --not-expired 'Only keys not expired: no expiry, or one after --now'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;rdb;diff'= {
            cand --slots 'Slot ranges to keep (A-B, repeatable)'
            cand --db 'Only keys in this database (repeatable, or comma-separated)'
            cand --type 'Only keys of this type (repeatable, or comma-separated)'
            cand --match 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them'
            cand --exclude 'Leave out keys matching this glob pattern (repeatable)'
            cand --regex 'Only keys matching this regular expression (Rust regex syntax, on the key''s bytes; unanchored unless you write ^ and $)'
            cand --min-size 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)'
            cand --slot 'Only keys in this Redis Cluster slot (repeatable)'
            cand --now 'The time --expired/--not-expired measure against, in Unix ms'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --keys-only 'Only list which keys differ, not how'
            cand --ignore-ttl 'Ignore expiry differences'
            cand --expired 'Only keys already expired (relative to --now)'
            cand --not-expired 'Only keys not expired: no expiry, or one after --now'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;rdb;help'= {
            cand inspect 'Report what an RDB snapshot holds: keys, types, sizes, expiries'
            cand export 'Turn a snapshot into commands, JSON or a memory CSV'
            cand restore 'Replay a snapshot into a live server, pipelined'
            cand diff 'Compare two snapshots key by key: added, removed, changed'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;rdb;help;inspect'= {
        }
        &'sonde;rdb;help;export'= {
        }
        &'sonde;rdb;help;restore'= {
        }
        &'sonde;rdb;help;diff'= {
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
            cand --target 'Probe a connection to a live server instead of fresh sockets: connect time, options of the connected socket, TCP_INFO (of the TLS connection with --tls). HOST:PORT or a URI, or the server given with -h/-p/-u (default 127.0.0.1:6379)'
            cand --socket 'Probe only these fresh sockets (repeatable; default: all four)'
            cand --experiment 'Run a loopback experiment instead of the probe (repeatable, or all)'
            cand --duration 'Time budget of each experiment, in seconds (at most 60)'
            cand --iterations 'The experiment''s count: round trips per run (nagle, default 200), small writes (cork, 1000), exchanges (quickack, 5), connects (backlog, 32), connections (reuseport, 256)'
            cand --backlog 'listen() backlog for the backlog experiment'
            cand --listeners 'Listeners sharing the port in the reuseport experiment'
            cand -h 'Server host name or address (default 127.0.0.1)'
            cand --host 'Server host name or address (default 127.0.0.1)'
            cand -p 'Server port (default 6379)'
            cand --port 'Server port (default 6379)'
            cand -s 'Unix socket path instead of TCP'
            cand --unix-socket 'Unix socket path instead of TCP'
            cand -a 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --pass 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --password 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --user 'ACL user name for AUTH (Redis 6+), with a password'
            cand -n 'Database number to SELECT'
            cand -u 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --uri 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --cacert 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)'
            cand --cacertdir 'Directory of CA certificate files (PEM)'
            cand --cert 'Client certificate (PEM) for servers that check clients'
            cand --key 'Private key (PEM) of --cert'
            cand --sni 'Server name for TLS SNI and certificate verification (default: the host)'
            cand --connect-timeout 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --ping 'With --target: send PING (after AUTH when a password is given) and time the reply (Redis-protocol servers)'
            cand --askpass 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
            cand --tls 'Connect with TLS'
            cand --insecure 'Do not verify the server''s certificate (encrypted, not authenticated)'
            cand --help 'Print help'
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
            cand --metrics-port 'Serve Prometheus metrics (offsets, lag, bytes, commands per second, hot keys) at http://127.0.0.1:PORT/metrics while the tail runs'
            cand --top 'Rows in each hot-key list (keys, prefixes, clients, slow keys)'
            cand --separator 'What separates the parts of a key, for the prefix report (as in `rdb inspect`; empty: no prefix report)'
            cand --depth 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)'
            cand --sketch-size 'Items each hot-key list keeps track of (its memory); counts are exact below this many distinct items and over by at most total/N beyond'
            cand --interval 'Every S seconds, report the hot keys of the last S seconds: a JSON line with --format json, else tables (redrawn in place on a terminal)'
            cand -h 'Server host name or address (default 127.0.0.1)'
            cand --host 'Server host name or address (default 127.0.0.1)'
            cand -p 'Server port (default 6379)'
            cand --port 'Server port (default 6379)'
            cand -s 'Unix socket path instead of TCP'
            cand --unix-socket 'Unix socket path instead of TCP'
            cand -a 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --pass 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --password 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --user 'ACL user name for AUTH (Redis 6+), with a password'
            cand -n 'Database number to SELECT'
            cand -u 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --uri 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --cacert 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)'
            cand --cacertdir 'Directory of CA certificate files (PEM)'
            cand --cert 'Client certificate (PEM) for servers that check clients'
            cand --key 'Private key (PEM) of --cert'
            cand --sni 'Server name for TLS SNI and certificate verification (default: the host)'
            cand --connect-timeout 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --all 'Also report the master''s PINGs and REPLCONF GETACKs'
            cand --askpass 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
            cand --tls 'Connect with TLS'
            cand --insecure 'Do not verify the server''s certificate (encrypted, not authenticated)'
            cand --help 'Print help'
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
        &'sonde;latency'= {
            cand --sample-interval 'Milliseconds between PINGs (redis-cli uses 10)'
            cand --history 'Print one row per window of SECS, each with fresh figures (redis-cli --latency-history; its default window is 15 s)'
            cand --intrinsic 'Measure this host''s intrinsic latency for SECS instead (redis-cli --intrinsic-latency): a busy loop, no server'
            cand --count 'Stop after N samples'
            cand --duration 'Stop after SECS seconds'
            cand -h 'Server host name or address (default 127.0.0.1)'
            cand --host 'Server host name or address (default 127.0.0.1)'
            cand -p 'Server port (default 6379)'
            cand --port 'Server port (default 6379)'
            cand -s 'Unix socket path instead of TCP'
            cand --unix-socket 'Unix socket path instead of TCP'
            cand -a 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --pass 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --password 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --user 'ACL user name for AUTH (Redis 6+), with a password'
            cand -n 'Database number to SELECT'
            cand -u 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --uri 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --cacert 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)'
            cand --cacertdir 'Directory of CA certificate files (PEM)'
            cand --cert 'Client certificate (PEM) for servers that check clients'
            cand --key 'Private key (PEM) of --cert'
            cand --sni 'Server name for TLS SNI and certificate verification (default: the host)'
            cand --connect-timeout 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --dist 'Show the distribution as a histogram in the table (JSON always has it)'
            cand --askpass 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
            cand --tls 'Connect with TLS'
            cand --insecure 'Do not verify the server''s certificate (encrypted, not authenticated)'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;stat'= {
            cand -i 'Seconds between rows'
            cand --interval 'Seconds between rows'
            cand --count 'Stop after N rows'
            cand --duration 'Stop after SECS seconds'
            cand -h 'Server host name or address (default 127.0.0.1)'
            cand --host 'Server host name or address (default 127.0.0.1)'
            cand -p 'Server port (default 6379)'
            cand --port 'Server port (default 6379)'
            cand -s 'Unix socket path instead of TCP'
            cand --unix-socket 'Unix socket path instead of TCP'
            cand -a 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --pass 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --password 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --user 'ACL user name for AUTH (Redis 6+), with a password'
            cand -n 'Database number to SELECT'
            cand -u 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --uri 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --cacert 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)'
            cand --cacertdir 'Directory of CA certificate files (PEM)'
            cand --cert 'Client certificate (PEM) for servers that check clients'
            cand --key 'Private key (PEM) of --cert'
            cand --sni 'Server name for TLS SNI and certificate verification (default: the host)'
            cand --connect-timeout 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --askpass 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
            cand --tls 'Connect with TLS'
            cand --insecure 'Do not verify the server''s certificate (encrypted, not authenticated)'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;keys'= {
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand big 'The biggest keys of a live server (redis-cli --bigkeys and --memkeys)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;keys;big'= {
            cand --rate 'At most this many keys a second (0: no limit)'
            cand --scan-count 'SCAN''s COUNT hint (keys per batch)'
            cand --match 'Only keys matching this glob (SCAN MATCH)'
            cand --type 'Only keys of this type (SCAN TYPE: string, list, set, zset, hash, stream)'
            cand --top 'How many keys (and prefixes per depth) to list'
            cand --samples 'MEMORY USAGE SAMPLES: elements sampled for nested types (0: all)'
            cand --separator 'What separates the parts of a key, for the prefix report'
            cand --depth 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)'
            cand -h 'Server host name or address (default 127.0.0.1)'
            cand --host 'Server host name or address (default 127.0.0.1)'
            cand -p 'Server port (default 6379)'
            cand --port 'Server port (default 6379)'
            cand -s 'Unix socket path instead of TCP'
            cand --unix-socket 'Unix socket path instead of TCP'
            cand -a 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --pass 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --password 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)'
            cand --user 'ACL user name for AUTH (Redis 6+), with a password'
            cand -n 'Database number to SELECT'
            cand -u 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --uri 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]'
            cand --cacert 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)'
            cand --cacertdir 'Directory of CA certificate files (PEM)'
            cand --cert 'Client certificate (PEM) for servers that check clients'
            cand --key 'Private key (PEM) of --cert'
            cand --sni 'Server name for TLS SNI and certificate verification (default: the host)'
            cand --connect-timeout 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)'
            cand --format 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)'
            cand --askpass 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)'
            cand --tls 'Connect with TLS'
            cand --insecure 'Do not verify the server''s certificate (encrypted, not authenticated)'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sonde;keys;help'= {
            cand big 'The biggest keys of a live server (redis-cli --bigkeys and --memkeys)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;keys;help;big'= {
        }
        &'sonde;keys;help;help'= {
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
            cand latency 'Round-trip latency of a live server with PING (redis-cli --latency, --latency-history, --latency-dist), or this host''s intrinsic latency'
            cand stat 'A live server''s vitals every interval, from INFO (redis-cli --stat)'
            cand keys 'Keys of a live server'
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
            cand export 'Turn a snapshot into commands, JSON or a memory CSV'
            cand restore 'Replay a snapshot into a live server, pipelined'
            cand diff 'Compare two snapshots key by key: added, removed, changed'
        }
        &'sonde;help;rdb;inspect'= {
        }
        &'sonde;help;rdb;export'= {
        }
        &'sonde;help;rdb;restore'= {
        }
        &'sonde;help;rdb;diff'= {
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
        &'sonde;help;latency'= {
        }
        &'sonde;help;stat'= {
        }
        &'sonde;help;keys'= {
            cand big 'The biggest keys of a live server (redis-cli --bigkeys and --memkeys)'
        }
        &'sonde;help;keys;big'= {
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
