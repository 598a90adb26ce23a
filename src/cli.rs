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

    /// Watch RESP traffic on the wire: commands, replies, latency
    ///
    /// Captures TCP traffic to and from a Redis-protocol server (live from a
    /// network interface, or from a pcap/pcapng file with --pcap), puts each
    /// connection's two directions back in order, decodes requests and
    /// replies, pairs them (pipelining, pub/sub, MONITOR and RESP3 pushes
    /// understood) and prints one row per command with its latency, then a
    /// summary when the capture ends (Ctrl-C, --duration, --count or the end
    /// of the file). Nothing is sent to the server. Live capture needs
    /// CAP_NET_RAW (root).
    Sniff(RespSniffArgs),
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
pub struct RespSniffArgs {
    /// Interface to capture on [default: the loopback device for a local
    /// server, else the interface that routes to --host]
    #[arg(long, short = 'i', value_name = "IF", conflicts_with = "pcap")]
    pub interface: Option<String>,

    /// Server port to watch; repeat for several (at most 32) [default: 6379]
    #[arg(long = "port", short = 'p', value_name = "N")]
    pub ports: Vec<u16>,

    /// Watch only the server at this address (IP or host name)
    #[arg(long, value_name = "ADDR")]
    pub host: Option<String>,

    /// Read packets from a pcap or pcapng file instead of an interface
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,

    /// Stop after this many seconds (of capture time, for a file)
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,

    /// Stop after this many commands were shown
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Show only commands whose latency is at least MS milliseconds
    #[arg(long, value_name = "MS")]
    pub slower_than: Option<f64>,

    /// Show only this command (case-insensitive; repeat for several)
    #[arg(long = "command", value_name = "NAME")]
    pub commands: Vec<String>,

    /// Print only the summary, not one row per command
    #[arg(long)]
    pub summary_only: bool,

    /// Kernel receive buffer for live capture, in bytes (absorbs bursts)
    #[arg(long, default_value_t = 64 * 1024 * 1024, value_name = "BYTES")]
    pub buffer_size: usize,

    /// Largest RESP frame buffered whole, in bytes; a bigger one is skipped
    /// and reported
    #[arg(long, default_value_t = 64 * 1024 * 1024, value_name = "BYTES")]
    pub max_frame: usize,

    /// Most out-of-order bytes held per direction while waiting for a
    /// missing segment
    #[arg(long, default_value_t = 4 * 1024 * 1024, value_name = "BYTES")]
    pub max_reorder: usize,

    /// Most connections tracked at once (the least recently active is
    /// dropped to make room)
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub max_connections: usize,

    /// Forget a connection idle for this many seconds
    #[arg(long, default_value_t = 300, value_name = "S")]
    pub idle_timeout: u64,
}
