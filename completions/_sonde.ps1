
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'sonde' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'sonde'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'sonde' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('resp', 'resp', [CompletionResultType]::ParameterValue, 'Work with RESP (Redis serialization protocol) byte streams')
            [CompletionResult]::new('rdb', 'rdb', [CompletionResultType]::ParameterValue, 'Work with RDB snapshot files')
            [CompletionResult]::new('sockopt', 'sockopt', [CompletionResultType]::ParameterValue, 'Socket options as the kernel really applies them, with live experiments')
            [CompletionResult]::new('ring', 'ring', [CompletionResultType]::ParameterValue, 'Simulate sharding a keyspace: load, movement, lookup cost')
            [CompletionResult]::new('replica', 'replica', [CompletionResultType]::ParameterValue, 'Follow a live master''s replication feed as a replica would')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a Redis-protocol server (single-threaded, like redis-server)')
            [CompletionResult]::new('latency', 'latency', [CompletionResultType]::ParameterValue, 'Round-trip latency of a live server with PING (redis-cli --latency, --latency-history, --latency-dist), or this host''s intrinsic latency')
            [CompletionResult]::new('stat', 'stat', [CompletionResultType]::ParameterValue, 'A live server''s vitals every interval, from INFO (redis-cli --stat)')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Keys of a live server')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;resp' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode a RESP2/RESP3 byte stream into frames with byte offsets')
            [CompletionResult]::new('sniff', 'sniff', [CompletionResultType]::ParameterValue, 'Watch RESP traffic on the wire: commands, replies, latency')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;resp;decode' {
            [CompletionResult]::new('--max-bulk-len', '--max-bulk-len', [CompletionResultType]::ParameterName, 'Longest bulk string accepted, in bytes (Redis''s proto-max-bulk-len)')
            [CompletionResult]::new('--max-aggregate-len', '--max-aggregate-len', [CompletionResultType]::ParameterName, 'Most elements accepted in one aggregate')
            [CompletionResult]::new('--max-depth', '--max-depth', [CompletionResultType]::ParameterName, 'Deepest nesting of aggregates accepted (at most 1024)')
            [CompletionResult]::new('--max-frame', '--max-frame', [CompletionResultType]::ParameterName, 'Largest single frame buffered before giving up, in bytes')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--hex', '--hex', [CompletionResultType]::ParameterName, 'The input is hex text (whitespace and 0x prefixes ignored)')
            [CompletionResult]::new('--resp2', '--resp2', [CompletionResultType]::ParameterName, 'Accept only RESP2 types (a RESP3 type byte is an error)')
            [CompletionResult]::new('--stats', '--stats', [CompletionResultType]::ParameterName, 'Print counts by type and by command instead of the frames')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;resp;sniff' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Interface to capture on [default: the loopback device for a local server, else the interface that routes to --host]')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Interface to capture on [default: the loopback device for a local server, else the interface that routes to --host]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port to watch; repeat for several (at most 32) [default: 6379 live; with --pcap, the ports of the servers found in the file]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port to watch; repeat for several (at most 32) [default: 6379 live; with --pcap, the ports of the servers found in the file]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Watch only the server at this address (IP or host name)')
            [CompletionResult]::new('--pcap', '--pcap', [CompletionResultType]::ParameterName, 'Read packets from a pcap or pcapng file instead of an interface')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Only packets this tcpdump-style expression passes: tcp, ip, ip6, [src|dst] host ADDR, [src|dst] port N, [src|dst] net ADDR/LEN, with and/or/not and parentheses (compiled to a kernel filter when live)')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Also save the packets captured (or read) as a pcap file, for Wireshark or tcpdump -r')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop after this many seconds (of capture time, for a file)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after this many commands were shown')
            [CompletionResult]::new('--slower-than', '--slower-than', [CompletionResultType]::ParameterName, 'Show only commands whose latency is at least MS milliseconds')
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'Show only this command (case-insensitive; repeat for several)')
            [CompletionResult]::new('--buffer-size', '--buffer-size', [CompletionResultType]::ParameterName, 'Kernel ring buffer for live capture, in bytes (absorbs bursts; packets arriving when it is full are dropped and counted)')
            [CompletionResult]::new('--max-frame', '--max-frame', [CompletionResultType]::ParameterName, 'Largest RESP frame buffered whole, in bytes; a bigger one is skipped and reported')
            [CompletionResult]::new('--max-reorder', '--max-reorder', [CompletionResultType]::ParameterName, 'Most out-of-order bytes held per direction while waiting for a missing segment')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most connections tracked at once (the least recently active is dropped to make room)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Forget a connection idle for this many seconds')
            [CompletionResult]::new('--metrics-port', '--metrics-port', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (packets, bytes, frames and commands per second, latency, hot keys) at http://127.0.0.1:PORT/metrics while capturing live')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Rows in each hot-key list (keys, prefixes, clients, slow keys)')
            [CompletionResult]::new('--separator', '--separator', [CompletionResultType]::ParameterName, 'What separates the parts of a key, for the prefix report (as in `rdb inspect`; empty: no prefix report)')
            [CompletionResult]::new('--depth', '--depth', [CompletionResultType]::ParameterName, 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)')
            [CompletionResult]::new('--sketch-size', '--sketch-size', [CompletionResultType]::ParameterName, 'Items each hot-key list keeps track of (its memory); counts are exact below this many distinct items and over by at most total/N beyond')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Every S seconds, report the hot keys of the last S seconds: a JSON line with --format json, else tables (redrawn in place on a terminal)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--summary-only', '--summary-only', [CompletionResultType]::ParameterName, 'Print only the summary, not one row per command')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;resp;help' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode a RESP2/RESP3 byte stream into frames with byte offsets')
            [CompletionResult]::new('sniff', 'sniff', [CompletionResultType]::ParameterValue, 'Watch RESP traffic on the wire: commands, replies, latency')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;resp;help;decode' {
            break
        }
        'sonde;resp;help;sniff' {
            break
        }
        'sonde;resp;help;help' {
            break
        }
        'sonde;rdb' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Report what an RDB snapshot holds: keys, types, sizes, expiries')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Turn a snapshot into commands, JSON or a memory CSV')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Replay a snapshot into a live server, pipelined')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two snapshots key by key: added, removed, changed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;rdb;inspect' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Only keys in this database (repeatable, or comma-separated)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type (repeatable, or comma-separated)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out keys matching this glob pattern (repeatable)')
            [CompletionResult]::new('--regex', '--regex', [CompletionResultType]::ParameterName, 'Only keys matching this regular expression (Rust regex syntax, on the key''s bytes; unanchored unless you write ^ and $)')
            [CompletionResult]::new('--min-size', '--min-size', [CompletionResultType]::ParameterName, 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)')
            [CompletionResult]::new('--slot', '--slot', [CompletionResultType]::ParameterName, 'Only keys in this Redis Cluster slot (repeatable)')
            [CompletionResult]::new('--slots', '--slots', [CompletionResultType]::ParameterName, 'Per-slot totals of Redis Cluster slots (all slots, or only those in A-B, which then also filters keys)')
            [CompletionResult]::new('--what-if', '--what-if', [CompletionResultType]::ParameterName, 'Re-run the memory estimate under other encoding thresholds and report the difference, e.g. `--what-if hash-max-listpack-entries=1024` (repeatable; also hash-max-listpack-value, zset-max-listpack-entries, zset-max-listpack-value, set-max-intset-entries, list-max-listpack-size)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'How many of the biggest keys and prefixes to list')
            [CompletionResult]::new('--separator', '--separator', [CompletionResultType]::ParameterName, 'What separates the parts of a key, for the prefix report')
            [CompletionResult]::new('--depth', '--depth', [CompletionResultType]::ParameterName, 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'The time expiries are measured against, in Unix milliseconds (default: the file''s ctime aux field, else the current time)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--keys', '--keys', [CompletionResultType]::ParameterName, 'One record per key (JSON Lines with --format json) instead of the summary')
            [CompletionResult]::new('--values', '--values', [CompletionResultType]::ParameterName, 'With --keys, include each value (implies --keys)')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Only keys already expired (relative to --now)')
            [CompletionResult]::new('--not-expired', '--not-expired', [CompletionResultType]::ParameterName, 'Only keys not expired: no expiry, or one after --now')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;rdb;export' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write here instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write here instead of stdout')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Write every key into this database instead of the one it is in')
            [CompletionResult]::new('--to-db', '--to-db', [CompletionResultType]::ParameterName, 'Write every key into this database instead of the one it is in')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Most elements per command when collections are split')
            [CompletionResult]::new('--slots', '--slots', [CompletionResultType]::ParameterName, 'Slot ranges to keep (A-B, repeatable)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Only keys in this database (repeatable, or comma-separated)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type (repeatable, or comma-separated)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out keys matching this glob pattern (repeatable)')
            [CompletionResult]::new('--regex', '--regex', [CompletionResultType]::ParameterName, 'Only keys matching this regular expression (Rust regex syntax, on the key''s bytes; unanchored unless you write ^ and $)')
            [CompletionResult]::new('--min-size', '--min-size', [CompletionResultType]::ParameterName, 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)')
            [CompletionResult]::new('--slot', '--slot', [CompletionResultType]::ParameterName, 'Only keys in this Redis Cluster slot (repeatable)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'The time expiries are measured against, in Unix milliseconds (default: the current time); keys expired by then are left out unless --expired asks for them')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--commands', '--commands', [CompletionResultType]::ParameterName, 'Plain commands (SET, RPUSH, HSET...) instead of RESTORE payloads, for a server that cannot load this file''s encodings')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Replace existing keys (RESTORE ... REPLACE; DEL before plain commands); else a key that exists is refused')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Only keys already expired (relative to --now)')
            [CompletionResult]::new('--not-expired', '--not-expired', [CompletionResultType]::ParameterName, 'Only keys not expired: no expiry, or one after --now')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;rdb;restore' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--pass', '--pass', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name for AUTH (Redis 6+), with a password')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Database number to SELECT')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)')
            [CompletionResult]::new('--cacertdir', '--cacertdir', [CompletionResultType]::ParameterName, 'Directory of CA certificate files (PEM)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for servers that check clients')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of --cert')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'Server name for TLS SNI and certificate verification (default: the host)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Most elements per command when collections are split')
            [CompletionResult]::new('--slots', '--slots', [CompletionResultType]::ParameterName, 'Slot ranges to keep (A-B, repeatable)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Only keys in this database (repeatable, or comma-separated)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type (repeatable, or comma-separated)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out keys matching this glob pattern (repeatable)')
            [CompletionResult]::new('--regex', '--regex', [CompletionResultType]::ParameterName, 'Only keys matching this regular expression (Rust regex syntax, on the key''s bytes; unanchored unless you write ^ and $)')
            [CompletionResult]::new('--min-size', '--min-size', [CompletionResultType]::ParameterName, 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)')
            [CompletionResult]::new('--slot', '--slot', [CompletionResultType]::ParameterName, 'Only keys in this Redis Cluster slot (repeatable)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'The time expiries are measured against, in Unix milliseconds (default: the current time); keys expired by then are left out unless --expired asks for them')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connect with TLS')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (encrypted, not authenticated)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--commands', '--commands', [CompletionResultType]::ParameterName, 'Plain commands (SET, RPUSH, HSET...) instead of RESTORE payloads, for a server that cannot load this file''s encodings')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Replace existing keys (RESTORE ... REPLACE; DEL before plain commands); else a key that exists is refused')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Only keys already expired (relative to --now)')
            [CompletionResult]::new('--not-expired', '--not-expired', [CompletionResultType]::ParameterName, 'Only keys not expired: no expiry, or one after --now')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;rdb;diff' {
            [CompletionResult]::new('--slots', '--slots', [CompletionResultType]::ParameterName, 'Slot ranges to keep (A-B, repeatable)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Only keys in this database (repeatable, or comma-separated)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type (repeatable, or comma-separated)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a backslash escapes the next character); repeatable: any of them')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out keys matching this glob pattern (repeatable)')
            [CompletionResult]::new('--regex', '--regex', [CompletionResultType]::ParameterName, 'Only keys matching this regular expression (Rust regex syntax, on the key''s bytes; unanchored unless you write ^ and $)')
            [CompletionResult]::new('--min-size', '--min-size', [CompletionResultType]::ParameterName, 'Only keys whose serialized size is at least this (bytes, or with a unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)')
            [CompletionResult]::new('--slot', '--slot', [CompletionResultType]::ParameterName, 'Only keys in this Redis Cluster slot (repeatable)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'The time --expired/--not-expired measure against, in Unix ms')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--keys-only', '--keys-only', [CompletionResultType]::ParameterName, 'Only list which keys differ, not how')
            [CompletionResult]::new('--ignore-ttl', '--ignore-ttl', [CompletionResultType]::ParameterName, 'Ignore expiry differences')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Only keys already expired (relative to --now)')
            [CompletionResult]::new('--not-expired', '--not-expired', [CompletionResultType]::ParameterName, 'Only keys not expired: no expiry, or one after --now')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;rdb;help' {
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Report what an RDB snapshot holds: keys, types, sizes, expiries')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Turn a snapshot into commands, JSON or a memory CSV')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Replay a snapshot into a live server, pipelined')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two snapshots key by key: added, removed, changed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;rdb;help;inspect' {
            break
        }
        'sonde;rdb;help;export' {
            break
        }
        'sonde;rdb;help;restore' {
            break
        }
        'sonde;rdb;help;diff' {
            break
        }
        'sonde;rdb;help;help' {
            break
        }
        'sonde;sockopt' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Read socket options as the kernel applies them, or run a loopback experiment')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;sockopt;probe' {
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set an option before reading it back, e.g. SO_RCVBUF=64k, TCP_NODELAY=1, SO_LINGER=1,0, TCP_CONGESTION=cubic (repeatable; any platform''s option name is accepted)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Probe a connection to a live server instead of fresh sockets: connect time, options of the connected socket, TCP_INFO (of the TLS connection with --tls). HOST:PORT or a URI, or the server given with -h/-p/-u (default 127.0.0.1:6379)')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'Probe only these fresh sockets (repeatable; default: all four)')
            [CompletionResult]::new('--experiment', '--experiment', [CompletionResultType]::ParameterName, 'Run a loopback experiment instead of the probe (repeatable, or all)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Time budget of each experiment, in seconds (at most 60)')
            [CompletionResult]::new('--iterations', '--iterations', [CompletionResultType]::ParameterName, 'The experiment''s count: round trips per run (nagle, default 200), small writes (cork, 1000), exchanges (quickack, 5), connects (backlog, 32), connections (reuseport, 256)')
            [CompletionResult]::new('--backlog', '--backlog', [CompletionResultType]::ParameterName, 'listen() backlog for the backlog experiment')
            [CompletionResult]::new('--listeners', '--listeners', [CompletionResultType]::ParameterName, 'Listeners sharing the port in the reuseport experiment')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--pass', '--pass', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name for AUTH (Redis 6+), with a password')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Database number to SELECT')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)')
            [CompletionResult]::new('--cacertdir', '--cacertdir', [CompletionResultType]::ParameterName, 'Directory of CA certificate files (PEM)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for servers that check clients')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of --cert')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'Server name for TLS SNI and certificate verification (default: the host)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--ping', '--ping', [CompletionResultType]::ParameterName, 'With --target: send PING (after AUTH when a password is given) and time the reply (Redis-protocol servers)')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connect with TLS')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (encrypted, not authenticated)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;sockopt;help' {
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Read socket options as the kernel applies them, or run a loopback experiment')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;sockopt;help;probe' {
            break
        }
        'sonde;sockopt;help;help' {
            break
        }
        'sonde;ring' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;ring;simulate' {
            [CompletionResult]::new('--strategy', '--strategy', [CompletionResultType]::ParameterName, 'Strategy to simulate (repeatable; default: all)')
            [CompletionResult]::new('--nodes', '--nodes', [CompletionResultType]::ParameterName, 'Initial number of nodes')
            [CompletionResult]::new('--keys', '--keys', [CompletionResultType]::ParameterName, 'Synthetic keys key:0 ... key:<K-1>')
            [CompletionResult]::new('--keys-from', '--keys-from', [CompletionResultType]::ParameterName, 'Read keys from FILE (one per line; `-` for stdin) instead')
            [CompletionResult]::new('--rdb', '--rdb', [CompletionResultType]::ParameterName, 'Take the keys of an RDB dump instead (every database), each weighing its serialized size: load and movement are also counted in bytes')
            [CompletionResult]::new('--max-key-len', '--max-key-len', [CompletionResultType]::ParameterName, 'Longest key accepted from --keys-from, in bytes')
            [CompletionResult]::new('--add', '--add', [CompletionResultType]::ParameterName, 'Nodes added after the initial placement (default: 1 when neither --add nor --remove is given)')
            [CompletionResult]::new('--remove', '--remove', [CompletionResultType]::ParameterName, 'Nodes removed after the initial placement (the last ones, or random ones with --random-fail)')
            [CompletionResult]::new('--vnodes', '--vnodes', [CompletionResultType]::ParameterName, 'Ring points per node (ring, bounded)')
            [CompletionResult]::new('--table-size', '--table-size', [CompletionResultType]::ParameterName, 'Maglev lookup table size, a prime at least the node count')
            [CompletionResult]::new('--epsilon', '--epsilon', [CompletionResultType]::ParameterName, 'Bounded loads: each node holds at most ceil((1+E)*K/N) keys')
            [CompletionResult]::new('--hash', '--hash', [CompletionResultType]::ParameterName, 'Hash function for keys and nodes (slots always uses CRC16)')
            [CompletionResult]::new('--hash-seed', '--hash-seed', [CompletionResultType]::ParameterName, 'Salt for every key and node hash (0: the plain function)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for every random choice (failed nodes, lookup samples, search experiment); default: from the clock, printed in the report')
            [CompletionResult]::new('--lookups', '--lookups', [CompletionResultType]::ParameterName, 'Lookups timed per strategy')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Worker threads for placing keys (default: the available cores)')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Write charts (load per node, moved fraction vs optimum, and the search comparison when measured) to an SVG file')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--key-sizes', '--key-sizes', [CompletionResultType]::ParameterName, 'Lines of --keys-from are KEY<TAB>BYTES: load and movement are also counted in bytes')
            [CompletionResult]::new('--random-fail', '--random-fail', [CompletionResultType]::ParameterName, 'Remove random nodes (chosen with --seed) instead of the last ones')
            [CompletionResult]::new('--compare-search', '--compare-search', [CompletionResultType]::ParameterName, 'Also measure linear vs binary vs Eytzinger search over ring sizes from 8 to 1,000,000 points and print where they cross over')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;ring;help' {
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;ring;help;simulate' {
            break
        }
        'sonde;ring;help;help' {
            break
        }
        'sonde;replica' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Stream a master''s replication feed: every command with its offset')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;replica;tail' {
            [CompletionResult]::new('--announce-port', '--announce-port', [CompletionResultType]::ParameterName, 'Port announced with REPLCONF listening-port (default: the local port of our connection, so the master''s INFO line identifies it)')
            [CompletionResult]::new('--announce-ip', '--announce-ip', [CompletionResultType]::ParameterName, 'Address announced with REPLCONF ip-address')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Keep the replication ID, offset and database in FILE (written atomically) and continue from it next time with PSYNC: the master answers +CONTINUE while the offset is still in its backlog. After a crash, up to the last second of commands may be shown again')
            [CompletionResult]::new('--rdb', '--rdb', [CompletionResultType]::ParameterName, 'What to do with the snapshot of a full resync: `skip` (read and drop it; a progress bar on a terminal), `save FILE` (write it to FILE, replaced atomically by each full resync) or `summary` (parse it as it arrives, without writing it anywhere: keys by database and type, and its checksum verified; a corrupt snapshot ends the run with status 1)')
            [CompletionResult]::new('--ack', '--ack', [CompletionResultType]::ParameterName, 'When to send REPLCONF ACK <offset>. `interval` (every second, after the snapshot and on REPLCONF GETACK) behaves like a real replica: the master''s INFO shows our offset, and we count toward WAIT and min-replicas-to-write, so a slow tail can hold up writers that rely on them. `never` stays invisible to those, at a cost: a Redis 7 master doing a diskless sync waits for the first ACK before it streams any command (until it drops us after repl-timeout, default 60 s, and we continue with a partial resync), and any Redis master drops a replica that has not acknowledged for repl-timeout, so the link is resumed that often')
            [CompletionResult]::new('--lag-interval', '--lag-interval', [CompletionResultType]::ParameterName, 'Seconds between lag polls (INFO replication on a second connection); 0 turns polling off')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'Exit status 1 when a poll finds us more than BYTES behind the master')
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'Report only this command (repeatable; case-insensitive)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Report only commands whose first key matches this glob (Redis KEYS syntax)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Report only commands applied to this database')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after reporting N commands')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop after SECS seconds')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on a connection after SECS without data from the master (masters ping replicas every 10 s by default), and on connecting')
            [CompletionResult]::new('--metrics-port', '--metrics-port', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (offsets, lag, bytes, commands per second, hot keys) at http://127.0.0.1:PORT/metrics while the tail runs')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Rows in each hot-key list (keys, prefixes, clients, slow keys)')
            [CompletionResult]::new('--separator', '--separator', [CompletionResultType]::ParameterName, 'What separates the parts of a key, for the prefix report (as in `rdb inspect`; empty: no prefix report)')
            [CompletionResult]::new('--depth', '--depth', [CompletionResultType]::ParameterName, 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)')
            [CompletionResult]::new('--sketch-size', '--sketch-size', [CompletionResultType]::ParameterName, 'Items each hot-key list keeps track of (its memory); counts are exact below this many distinct items and over by at most total/N beyond')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Every S seconds, report the hot keys of the last S seconds: a JSON line with --format json, else tables (redrawn in place on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--pass', '--pass', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name for AUTH (Redis 6+), with a password')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Database number to SELECT')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)')
            [CompletionResult]::new('--cacertdir', '--cacertdir', [CompletionResultType]::ParameterName, 'Directory of CA certificate files (PEM)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for servers that check clients')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of --cert')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'Server name for TLS SNI and certificate verification (default: the host)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also report the master''s PINGs and REPLCONF GETACKs')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connect with TLS')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (encrypted, not authenticated)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;replica;help' {
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Stream a master''s replication feed: every command with its offset')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;replica;help;tail' {
            break
        }
        'sonde;replica;help;help' {
            break
        }
        'sonde;serve' {
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format: text lines, or JSON Lines for log collectors')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;latency' {
            [CompletionResult]::new('--sample-interval', '--sample-interval', [CompletionResultType]::ParameterName, 'Milliseconds between PINGs (redis-cli uses 10)')
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'Print one row per window of SECS, each with fresh figures (redis-cli --latency-history; its default window is 15 s)')
            [CompletionResult]::new('--intrinsic', '--intrinsic', [CompletionResultType]::ParameterName, 'Measure this host''s intrinsic latency for SECS instead (redis-cli --intrinsic-latency): a busy loop, no server')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after N samples')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop after SECS seconds')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--pass', '--pass', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name for AUTH (Redis 6+), with a password')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Database number to SELECT')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)')
            [CompletionResult]::new('--cacertdir', '--cacertdir', [CompletionResultType]::ParameterName, 'Directory of CA certificate files (PEM)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for servers that check clients')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of --cert')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'Server name for TLS SNI and certificate verification (default: the host)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--dist', '--dist', [CompletionResultType]::ParameterName, 'Show the distribution as a histogram in the table (JSON always has it)')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connect with TLS')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (encrypted, not authenticated)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;stat' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Seconds between rows')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Seconds between rows')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after N rows')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop after SECS seconds')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--pass', '--pass', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name for AUTH (Redis 6+), with a password')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Database number to SELECT')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)')
            [CompletionResult]::new('--cacertdir', '--cacertdir', [CompletionResultType]::ParameterName, 'Directory of CA certificate files (PEM)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for servers that check clients')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of --cert')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'Server name for TLS SNI and certificate verification (default: the host)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connect with TLS')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (encrypted, not authenticated)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;keys' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('big', 'big', [CompletionResultType]::ParameterValue, 'The biggest keys of a live server (redis-cli --bigkeys and --memkeys)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;keys;big' {
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'At most this many keys a second (0: no limit)')
            [CompletionResult]::new('--scan-count', '--scan-count', [CompletionResultType]::ParameterName, 'SCAN''s COUNT hint (keys per batch)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only keys matching this glob (SCAN MATCH)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type (SCAN TYPE: string, list, set, zset, hash, stream)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'How many keys (and prefixes per depth) to list')
            [CompletionResult]::new('--samples', '--samples', [CompletionResultType]::ParameterName, 'MEMORY USAGE SAMPLES: elements sampled for nested types (0: all)')
            [CompletionResult]::new('--separator', '--separator', [CompletionResultType]::ParameterName, 'What separates the parts of a key, for the prefix report')
            [CompletionResult]::new('--depth', '--depth', [CompletionResultType]::ParameterName, 'How many leading key parts make a prefix (prefixes of 1..=DEPTH parts are reported)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or address (default 127.0.0.1)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port (default 6379)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('--unix-socket', '--unix-socket', [CompletionResultType]::ParameterName, 'Unix socket path instead of TCP')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--pass', '--pass', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for AUTH (prefer REDISCLI_AUTH in the environment or --askpass: a password on the command line is visible to `ps`)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name for AUTH (Redis 6+), with a password')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Database number to SELECT')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate file (PEM) to verify the server with (default: the system''s CA bundle)')
            [CompletionResult]::new('--cacertdir', '--cacertdir', [CompletionResultType]::ParameterName, 'Directory of CA certificate files (PEM)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for servers that check clients')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of --cert')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'Server name for TLS SNI and certificate verification (default: the host)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection (TCP, TLS handshake, AUTH)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connect with TLS')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (encrypted, not authenticated)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;keys;help' {
            [CompletionResult]::new('big', 'big', [CompletionResultType]::ParameterValue, 'The biggest keys of a live server (redis-cli --bigkeys and --memkeys)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;keys;help;big' {
            break
        }
        'sonde;keys;help;help' {
            break
        }
        'sonde;completions' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;generate' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sonde;help' {
            [CompletionResult]::new('resp', 'resp', [CompletionResultType]::ParameterValue, 'Work with RESP (Redis serialization protocol) byte streams')
            [CompletionResult]::new('rdb', 'rdb', [CompletionResultType]::ParameterValue, 'Work with RDB snapshot files')
            [CompletionResult]::new('sockopt', 'sockopt', [CompletionResultType]::ParameterValue, 'Socket options as the kernel really applies them, with live experiments')
            [CompletionResult]::new('ring', 'ring', [CompletionResultType]::ParameterValue, 'Simulate sharding a keyspace: load, movement, lookup cost')
            [CompletionResult]::new('replica', 'replica', [CompletionResultType]::ParameterValue, 'Follow a live master''s replication feed as a replica would')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a Redis-protocol server (single-threaded, like redis-server)')
            [CompletionResult]::new('latency', 'latency', [CompletionResultType]::ParameterValue, 'Round-trip latency of a live server with PING (redis-cli --latency, --latency-history, --latency-dist), or this host''s intrinsic latency')
            [CompletionResult]::new('stat', 'stat', [CompletionResultType]::ParameterValue, 'A live server''s vitals every interval, from INFO (redis-cli --stat)')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Keys of a live server')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;help;resp' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode a RESP2/RESP3 byte stream into frames with byte offsets')
            [CompletionResult]::new('sniff', 'sniff', [CompletionResultType]::ParameterValue, 'Watch RESP traffic on the wire: commands, replies, latency')
            break
        }
        'sonde;help;resp;decode' {
            break
        }
        'sonde;help;resp;sniff' {
            break
        }
        'sonde;help;rdb' {
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Report what an RDB snapshot holds: keys, types, sizes, expiries')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Turn a snapshot into commands, JSON or a memory CSV')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Replay a snapshot into a live server, pipelined')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two snapshots key by key: added, removed, changed')
            break
        }
        'sonde;help;rdb;inspect' {
            break
        }
        'sonde;help;rdb;export' {
            break
        }
        'sonde;help;rdb;restore' {
            break
        }
        'sonde;help;rdb;diff' {
            break
        }
        'sonde;help;sockopt' {
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Read socket options as the kernel applies them, or run a loopback experiment')
            break
        }
        'sonde;help;sockopt;probe' {
            break
        }
        'sonde;help;ring' {
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost')
            break
        }
        'sonde;help;ring;simulate' {
            break
        }
        'sonde;help;replica' {
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Stream a master''s replication feed: every command with its offset')
            break
        }
        'sonde;help;replica;tail' {
            break
        }
        'sonde;help;serve' {
            break
        }
        'sonde;help;latency' {
            break
        }
        'sonde;help;stat' {
            break
        }
        'sonde;help;keys' {
            [CompletionResult]::new('big', 'big', [CompletionResultType]::ParameterValue, 'The biggest keys of a live server (redis-cli --bigkeys and --memkeys)')
            break
        }
        'sonde;help;keys;big' {
            break
        }
        'sonde;help;completions' {
            break
        }
        'sonde;help;generate' {
            break
        }
        'sonde;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
