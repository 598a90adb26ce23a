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

    /// Follow a live master's replication feed as a replica would
    #[command(subcommand)]
    Replica(ReplicaCommand),

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

#[derive(Debug, Subcommand)]
pub enum ReplicaCommand {
    /// Stream a master's replication feed: every command with its offset
    ///
    /// Connects to HOST:PORT as a replica (PING, AUTH, REPLCONF, PSYNC),
    /// consumes the snapshot of a full resync, then reports every command the
    /// master propagates with the replication offset after it (equal to the
    /// master's master_repl_offset once it wrote the command) and the database
    /// it applies to. A second connection polls INFO replication for lag in
    /// bytes and seconds. A dropped link is resumed with PSYNC <replid>
    /// <offset+1>: no command is lost or shown twice across a partial
    /// resynchronization. When stdout cannot keep up, the feed is not read
    /// (bounded memory) and a warning says when the master's output buffer for
    /// us nears its limit. Stops at --count, --duration or Ctrl-C, then prints
    /// a summary. Exit status 1 when --max-lag was crossed or the master sent
    /// something that is not the replication protocol.
    ///
    /// Example: sonde replica tail 127.0.0.1:6379 --match 'user:*' --format json
    Tail(Box<ReplicaTailArgs>),
}

#[derive(Debug, Args)]
pub struct ReplicaTailArgs {
    /// The master: HOST:PORT, [IPv6]:PORT, or HOST (port 6379)
    #[arg(value_name = "HOST:PORT")]
    pub master: String,

    /// ACL user for AUTH (with --password or --askpass)
    #[arg(long)]
    pub user: Option<String>,

    /// Password for AUTH (also read from SONDE_PASSWORD)
    #[arg(
        long,
        env = "SONDE_PASSWORD",
        hide_env_values = true,
        conflicts_with = "askpass"
    )]
    pub password: Option<String>,

    /// Prompt for the password on the terminal
    #[arg(long)]
    pub askpass: bool,

    /// Port announced with REPLCONF listening-port (default: the local port
    /// of our connection, so the master's INFO line identifies it)
    #[arg(long, value_name = "PORT")]
    pub announce_port: Option<u16>,

    /// Address announced with REPLCONF ip-address
    #[arg(long, value_name = "IP")]
    pub announce_ip: Option<String>,

    /// Keep the replication ID, offset and database in FILE (written
    /// atomically) and continue from it next time with PSYNC: the master
    /// answers +CONTINUE while the offset is still in its backlog. After a
    /// crash, up to the last second of commands may be shown again.
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,

    /// What to do with the snapshot of a full resync: `skip` (read and drop
    /// it; a progress bar on a terminal) or `save FILE` (write it to FILE,
    /// replaced atomically by each full resync)
    #[arg(long, num_args = 1..=2, value_names = ["MODE", "FILE"], default_value = "skip")]
    pub rdb: Vec<String>,

    /// When to send REPLCONF ACK <offset>. `interval` (every second, after
    /// the snapshot and on REPLCONF GETACK) behaves like a real replica: the
    /// master's INFO shows our offset, and we count toward WAIT and
    /// min-replicas-to-write, so a slow tail can hold up writers that rely on
    /// them. `never` stays invisible to those, at a cost: a Redis 7 master
    /// doing a diskless sync waits for the first ACK before it streams any
    /// command (until it drops us after repl-timeout, default 60 s, and we
    /// continue with a partial resync), and any Redis master drops a replica
    /// that has not acknowledged for repl-timeout, so the link is resumed
    /// that often.
    #[arg(long, value_enum, default_value_t = AckMode::Interval)]
    pub ack: AckMode,

    /// Seconds between lag polls (INFO replication on a second connection);
    /// 0 turns polling off
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = seconds_or_zero)]
    pub lag_interval: std::time::Duration,

    /// Exit status 1 when a poll finds us more than BYTES behind the master
    #[arg(long, value_name = "BYTES")]
    pub max_lag: Option<u64>,

    /// Report only this command (repeatable; case-insensitive)
    #[arg(long = "command", value_name = "NAME")]
    pub commands: Vec<String>,

    /// Report only commands whose first key matches this glob (Redis KEYS
    /// syntax)
    #[arg(long = "match", value_name = "GLOB")]
    pub key_match: Option<String>,

    /// Report only commands applied to this database
    #[arg(long, value_name = "N")]
    pub db: Option<u32>,

    /// Also report the master's PINGs and REPLCONF GETACKs
    #[arg(long)]
    pub all: bool,

    /// Stop after reporting N commands
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Stop after SECS seconds
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub duration: Option<std::time::Duration>,

    /// Give up on a connection after SECS without data from the master
    /// (masters ping replicas every 10 s by default), and on connecting
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds)]
    pub timeout: std::time::Duration,
}

/// `--ack` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AckMode {
    Interval,
    Never,
}

/// A positive number of seconds, fractions allowed.
fn seconds(text: &str) -> Result<std::time::Duration, String> {
    match seconds_or_zero(text)? {
        d if d.is_zero() => Err("must be more than 0".to_owned()),
        d => Ok(d),
    }
}

fn seconds_or_zero(text: &str) -> Result<std::time::Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    std::time::Duration::try_from_secs_f64(value)
        .map_err(|_| format!("{text:?} is not a number of seconds from 0 up"))
}
