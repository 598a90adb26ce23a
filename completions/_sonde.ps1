
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
            [CompletionResult]::new('replica', 'replica', [CompletionResultType]::ParameterValue, 'Follow a live master''s replication feed as a replica would')
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
        'sonde;resp;help' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode a RESP2/RESP3 byte stream into frames with byte offsets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;resp;help;decode' {
            break
        }
        'sonde;resp;help;help' {
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
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user for AUTH (with --password or --askpass)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password for AUTH (also read from SONDE_PASSWORD)')
            [CompletionResult]::new('--announce-port', '--announce-port', [CompletionResultType]::ParameterName, 'Port announced with REPLCONF listening-port (default: the local port of our connection, so the master''s INFO line identifies it)')
            [CompletionResult]::new('--announce-ip', '--announce-ip', [CompletionResultType]::ParameterName, 'Address announced with REPLCONF ip-address')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Keep the replication ID, offset and database in FILE (written atomically) and continue from it next time with PSYNC: the master answers +CONTINUE while the offset is still in its backlog. After a crash, up to the last second of commands may be shown again')
            [CompletionResult]::new('--rdb', '--rdb', [CompletionResultType]::ParameterName, 'What to do with the snapshot of a full resync: `skip` (read and drop it; a progress bar on a terminal) or `save FILE` (write it to FILE, replaced atomically by each full resync)')
            [CompletionResult]::new('--ack', '--ack', [CompletionResultType]::ParameterName, 'When to send REPLCONF ACK <offset>. `interval` (every second, after the snapshot and on REPLCONF GETACK) behaves like a real replica: the master''s INFO shows our offset, and we count toward WAIT and min-replicas-to-write, so a slow tail can hold up writers that rely on them. `never` stays invisible to those, at a cost: a Redis 7 master doing a diskless sync waits for the first ACK before it streams any command (until it drops us after repl-timeout, default 60 s, and we continue with a partial resync), and any Redis master drops a replica that has not acknowledged for repl-timeout, so the link is resumed that often')
            [CompletionResult]::new('--lag-interval', '--lag-interval', [CompletionResultType]::ParameterName, 'Seconds between lag polls (INFO replication on a second connection); 0 turns polling off')
            [CompletionResult]::new('--max-lag', '--max-lag', [CompletionResultType]::ParameterName, 'Exit status 1 when a poll finds us more than BYTES behind the master')
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'Report only this command (repeatable; case-insensitive)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Report only commands whose first key matches this glob (Redis KEYS syntax)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Report only commands applied to this database')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after reporting N commands')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop after SECS seconds')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on a connection after SECS without data from the master (masters ping replicas every 10 s by default), and on connecting')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Prompt for the password on the terminal')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Also report the master''s PINGs and REPLCONF GETACKs')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
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
            [CompletionResult]::new('replica', 'replica', [CompletionResultType]::ParameterValue, 'Follow a live master''s replication feed as a replica would')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sonde;help;resp' {
            [CompletionResult]::new('decode', 'decode', [CompletionResultType]::ParameterValue, 'Decode a RESP2/RESP3 byte stream into frames with byte offsets')
            break
        }
        'sonde;help;resp;decode' {
            break
        }
        'sonde;help;replica' {
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Stream a master''s replication feed: every command with its offset')
            break
        }
        'sonde;help;replica;tail' {
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
