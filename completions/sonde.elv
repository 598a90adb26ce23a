
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
            cand serve 'Run a Redis-protocol server (single-threaded, like redis-server)'
            cand completions 'Print a shell completion script to stdout'
            cand generate 'Write the completion scripts and man pages into a directory (maintainers: `sonde generate .` refreshes completions/ and man/)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sonde;help;resp'= {
            cand decode 'Decode a RESP2/RESP3 byte stream into frames with byte offsets'
        }
        &'sonde;help;resp;decode'= {
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
