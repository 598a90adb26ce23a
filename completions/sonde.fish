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
complete -c sonde -n "__fish_sonde_needs_command" -f -a "serve" -d 'Run a Redis-protocol server (single-threaded, like redis-server)'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "generate" -d 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
complete -c sonde -n "__fish_sonde_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode help" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode help" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode help" -f -a "decode" -d 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and not __fish_seen_subcommand_from decode help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
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
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from help" -f -a "decode" -d 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
complete -c sonde -n "__fish_sonde_using_subcommand resp; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
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
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp serve completions generate help" -f -a "resp" -d 'Work with RESP (Redis serialization protocol) byte streams'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp serve completions generate help" -f -a "serve" -d 'Run a Redis-protocol server (single-threaded, like redis-server)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp serve completions generate help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp serve completions generate help" -f -a "generate" -d 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp serve completions generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from resp" -f -a "decode" -d 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
