//! The command line: every subcommand, argument and help text, as clap
//! derive definitions. Completions and man pages are generated from these
//! definitions (`sonde generate`), so this file is the single source.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

/// Socket and storage diagnostics for Redis-protocol systems.
///
/// Exit status: 0 ok; 1 the command ran and found a problem (malformed
/// input, a corrupt file, a failed check); 2 usage or runtime error.
#[derive(Debug, Parser)]
#[command(
    name = "sonde",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Output format: human tables, or JSON for scripts (JSON Lines for
    /// streaming commands)
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with RESP (Redis serialization protocol) byte streams
    #[command(subcommand)]
    Resp(RespCommand),

    /// Run a Redis-protocol server (single-threaded, like redis-server)
    ///
    /// Takes an optional redis.conf-syntax file and redis-server-style
    /// directives (`--port 7000 --requirepass secret --save ""`): a
    /// directive takes every value up to the next `--option`. Defaults are
    /// Redis's: 127.0.0.1:6379, protected mode, 16 databases. Logs go to
    /// stderr; SIGTERM/SIGINT shut down cleanly.
    Serve(ServeArgs),

    /// Print a shell completion script to stdout
    Completions(CompletionsArgs),

    /// Write the completion scripts and man pages into a directory
    /// (maintainers: `sonde generate .` refreshes completions/ and man/)
    #[command(hide = true)]
    Generate(GenerateArgs),
}

#[derive(Debug, Subcommand)]
pub enum RespCommand {
    /// Decode a RESP2/RESP3 byte stream into frames with byte offsets
    ///
    /// Reads raw bytes (or hex text with --hex) from FILE or stdin and prints
    /// one row per top-level frame: offset, length, type and a redis-cli-like
    /// rendering. Malformed input is reported with its byte offset and the
    /// bytes around it, after every frame before it (exit status 1).
    Decode(RespDecodeArgs),
}

#[derive(Debug, Args)]
pub struct RespDecodeArgs {
    /// Input file; `-` or nothing reads stdin
    pub file: Option<PathBuf>,

    /// The input is hex text (whitespace and 0x prefixes ignored)
    #[arg(long)]
    pub hex: bool,

    /// Accept only RESP2 types (a RESP3 type byte is an error)
    #[arg(long)]
    pub resp2: bool,

    /// Print counts by type and by command instead of the frames
    #[arg(long)]
    pub stats: bool,

    /// Longest bulk string accepted, in bytes (Redis's proto-max-bulk-len)
    #[arg(long, default_value_t = 512 * 1024 * 1024, value_name = "BYTES")]
    pub max_bulk_len: usize,

    /// Most elements accepted in one aggregate
    #[arg(long, default_value_t = 1024 * 1024, value_name = "N")]
    pub max_aggregate_len: usize,

    /// Deepest nesting of aggregates accepted (at most 1024)
    #[arg(long, default_value_t = 128, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_depth: u16,

    /// Largest single frame buffered before giving up, in bytes
    #[arg(long, default_value_t = 1024 * 1024 * 1024, value_name = "BYTES")]
    pub max_frame: usize,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory that receives completions/ and man/
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Log format: text lines, or JSON Lines for log collectors
    #[arg(long, value_enum, default_value_t = crate::output::log::LogFormat::Text)]
    pub log_format: crate::output::log::LogFormat,

    /// [CONFIG_FILE] [--<directive> <value>...] as redis-server takes them
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CONFIG_FILE | --DIRECTIVE VALUE"
    )]
    pub arguments: Vec<String>,
}
