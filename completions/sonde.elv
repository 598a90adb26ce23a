
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
            cand replica 'Follow a live master''s replication feed as a replica would'
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
        &'sonde;resp;help'= {
            cand decode 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;resp;help;decode'= {
        }
        &'sonde;resp;help;help'= {
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
            cand --rdb 'What to do with the snapshot of a full resync: `skip` (read and drop it; a progress bar on a terminal) or `save FILE` (write it to FILE, replaced atomically by each full resync)'
            cand --ack 'When to send REPLCONF ACK <offset>. `interval` (every second, after the snapshot and on REPLCONF GETACK) behaves like a real replica: the master''s INFO shows our offset, and we count toward WAIT and min-replicas-to-write, so a slow tail can hold up writers that rely on them. `never` stays invisible to those, at a cost: a Redis 7 master doing a diskless sync waits for the first ACK before it streams any command (until it drops us after repl-timeout, default 60 s, and we continue with a partial resync), and any Redis master drops a replica that has not acknowledged for repl-timeout, so the link is resumed that often'
            cand --lag-interval 'Seconds between lag polls (INFO replication on a second connection); 0 turns polling off'
            cand --max-lag 'Exit status 1 when a poll finds us more than BYTES behind the master'
            cand --command 'Report only this command (repeatable; case-insensitive)'
            cand --match 'Report only commands whose first key matches this glob (Redis KEYS syntax)'
            cand --db 'Report only commands applied to this database'
            cand --count 'Stop after reporting N commands'
            cand --duration 'Stop after SECS seconds'
            cand --timeout 'Give up on a connection after SECS without data from the master (masters ping replicas every 10 s by default), and on connecting'
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
            cand replica 'Follow a live master''s replication feed as a replica would'
            cand completions 'Print a shell completion script to stdout'
            cand generate 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;help;resp'= {
            cand decode 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
        }
        &'sonde;help;resp;decode'= {
        }
        &'sonde;help;replica'= {
            cand tail 'Stream a master''s replication feed: every command with its offset'
        }
        &'sonde;help;replica;tail'= {
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
