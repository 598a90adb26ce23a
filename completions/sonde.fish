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
complete -c sonde -n "__fish_sonde_needs_command" -f -a "replica" -d 'Follow a live master\'s replication feed as a replica would'
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
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l rdb -d 'What to do with the snapshot of a full resync: `skip` (read and drop it; a progress bar on a terminal) or `save FILE` (write it to FILE, replaced atomically by each full resync)' -r
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
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l askpass -d 'Prompt for the password on the terminal'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -l all -d 'Also report the master\'s PINGs and REPLCONF GETACKs'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from tail" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from help" -f -a "tail" -d 'Stream a master\'s replication feed: every command with its offset'
complete -c sonde -n "__fish_sonde_using_subcommand replica; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand completions" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand completions" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand generate" -l format -d 'Output format: human tables, or JSON for scripts (JSON Lines for streaming commands)' -r -f -a "table\t'Human-readable tables'
json\t'JSON for scripts (JSON Lines for streaming commands)'"
complete -c sonde -n "__fish_sonde_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sonde -n "__fish_sonde_using_subcommand generate" -s V -l version -d 'Print version'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp replica completions generate help" -f -a "resp" -d 'Work with RESP (Redis serialization protocol) byte streams'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp replica completions generate help" -f -a "replica" -d 'Follow a live master\'s replication feed as a replica would'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp replica completions generate help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp replica completions generate help" -f -a "generate" -d 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and not __fish_seen_subcommand_from resp replica completions generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from resp" -f -a "decode" -d 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
complete -c sonde -n "__fish_sonde_using_subcommand help; and __fish_seen_subcommand_from replica" -f -a "tail" -d 'Stream a master\'s replication feed: every command with its offset'
