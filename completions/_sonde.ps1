
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
            [CompletionResult]::new('ring', 'ring', [CompletionResultType]::ParameterValue, 'Simulate sharding a keyspace: load, movement, lookup cost')
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
            [CompletionResult]::new('ring', 'ring', [CompletionResultType]::ParameterValue, 'Simulate sharding a keyspace: load, movement, lookup cost')
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
        'sonde;help;ring' {
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Place keys on nodes with each strategy and measure load, movement on a membership change, and lookup cost')
            break
        }
        'sonde;help;ring;simulate' {
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
