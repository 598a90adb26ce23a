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

    /// Work with RDB snapshot files
    #[command(subcommand)]
    Rdb(RdbCommand),
    /// Socket options as the kernel really applies them, with live experiments
    #[command(subcommand)]
    Sockopt(SockoptCommand),
    /// Simulate sharding a keyspace: load, movement, lookup cost
    #[command(subcommand)]
    Ring(RingCommand),
    /// Follow a live master's replication feed as a replica would
    #[command(subcommand)]
    Replica(ReplicaCommand),
    /// Run a Redis-protocol server (single-threaded, like redis-server)
    ///
    /// Takes an optional redis.conf-syntax file and redis-server-style
    /// directives (`--port 7000 --requirepass secret --save ""`): a
    /// directive takes every value up to the next `--option`. Defaults are
    /// Redis's: 127.0.0.1:6379, protected mode, 16 databases. Logs go to
    /// stderr; SIGTERM/SIGINT shut down cleanly.
    Serve(ServeArgs),

    /// Round-trip latency of a live server with PING (redis-cli --latency,
    /// --latency-history, --latency-dist), or this host's intrinsic latency
    ///
    /// Sends PING every --sample-interval and times the reply. On a terminal
    /// a line refreshes with the figures so far; at the end (--count,
    /// --duration or Ctrl-C) a report: samples, min, mean, p50, p90, p99,
    /// p99.9, max, and the distribution on a 1-2-5 scale. --history prints
    /// one row per window instead. --intrinsic measures how long this host
    /// keeps a busy process off the CPU (no server is contacted).
    #[command(disable_help_flag = true)]
    Latency(LatencyArgs),

    /// A live server's vitals every interval, from INFO (redis-cli --stat)
    ///
    /// One row per --interval: keys (all databases), memory, clients,
    /// blocked clients, requests per second and new connections per second.
    #[command(disable_help_flag = true)]
    Stat(StatArgs),

    /// Keys of a live server
    #[command(subcommand)]
    Keys(KeysCommand),

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
    Sniff(Box<RespSniffArgs>),
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
pub enum RdbCommand {
    /// Report what an RDB snapshot holds: keys, types, sizes, expiries
    ///
    /// Reads RDB versions 1-13 and Valkey's VALKEY080 without loading the
    /// data: the file is memory-mapped and walked once. The default report
    /// has the header and aux fields, the checksum, per-database counts,
    /// counts and sizes by type and by encoding, the biggest keys, memory
    /// by key prefix, an expiry histogram and an estimate of the RAM the
    /// keys take in Redis 7. `--keys` prints one record per key instead.
    /// A corrupt file is reported after every key before the damage (exit
    /// status 1), as is a checksum mismatch.
    Inspect(RdbInspectArgs),

    /// Turn a snapshot into commands, JSON or a memory CSV
    ///
    /// `--to resp` (the default): the commands that rebuild the dataset,
    /// ready for `redis-cli --pipe` — RESTORE with the DUMP payload of each
    /// key (absolute expiry, ABSTTL), or with `--commands` plain commands
    /// (SET, RPUSH, SADD, ZADD, HSET, XADD...) with collections split into
    /// batches and expiries as PEXPIREAT. `--to aof`: the plain commands as
    /// an append-only file. `--to json`: one JSON object per key with its
    /// value (JSON Lines, binary-safe). `--to csv`: the per-key memory
    /// report with redis-rdb-tools' columns plus the cluster slot.
    Export(RdbExportArgs),

    /// Replay a snapshot into a live server, pipelined
    ///
    /// Sends the commands of `rdb export --to resp` to HOST:PORT over one
    /// connection with many commands in flight, shows progress on a
    /// terminal and reports how many keys were restored, skipped and
    /// refused (exit status 1 when the server refused any).
    Restore(Box<RdbRestoreArgs>),

    /// Compare two snapshots key by key: added, removed, changed
    ///
    /// A key is changed when its type, value or expiry differs (the value
    /// compared by content, not encoding: a set is the same set in any
    /// order or encoding). Both files are mapped; memory holds an index of
    /// the second file's keys (about 60 bytes a key), never the values.
    /// Exit status 1 when the snapshots differ, as diff(1).
    Diff(RdbDiffArgs),
}

/// The key filters `rdb inspect`, `export`, `restore` and `diff` share.
#[derive(Debug, Args, Clone, Default)]
pub struct RdbFilterArgs {
    /// Only keys in this database (repeatable, or comma-separated)
    #[arg(long, value_name = "N", value_delimiter = ',')]
    pub db: Vec<u64>,

    /// Only keys of this type (repeatable, or comma-separated)
    #[arg(long = "type", value_enum, value_name = "TYPE", value_delimiter = ',')]
    pub value_type: Vec<RdbTypeFilter>,

    /// Only keys matching this Redis glob pattern (`*`, `?`, `[a-z]`, `[^x]`; a
    /// backslash escapes the next character); repeatable: any of them
    #[arg(long = "match", value_name = "PATTERN")]
    pub pattern: Vec<std::ffi::OsString>,

    /// Leave out keys matching this glob pattern (repeatable)
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<std::ffi::OsString>,

    /// Only keys matching this regular expression (Rust regex syntax, on
    /// the key's bytes; unanchored unless you write ^ and $)
    #[arg(long, value_name = "REGEX")]
    pub regex: Option<String>,

    /// Only keys whose serialized size is at least this (bytes, or with a
    /// unit as redis.conf writes them: 1k = 1000, 1kb = 1024, m, mb, g, gb)
    #[arg(long, value_name = "SIZE", default_value = "0",
          value_parser = crate::rdb::filter::parse_size)]
    pub min_size: u64,

    /// Only keys already expired (relative to --now)
    #[arg(long, conflicts_with = "not_expired")]
    pub expired: bool,

    /// Only keys not expired: no expiry, or one after --now
    #[arg(long)]
    pub not_expired: bool,

    /// Only keys in this Redis Cluster slot (repeatable)
    #[arg(long, value_name = "SLOT", value_parser = clap::value_parser!(u16).range(0..16384))]
    pub slot: Vec<u16>,
}

/// What `rdb export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RdbExportFormat {
    /// RESP commands for `redis-cli --pipe` (RESTORE, or plain with --commands)
    Resp,
    /// An append-only file of plain commands
    Aof,
    /// JSON Lines: one object per key with its value
    Json,
    /// The memory report as CSV (redis-rdb-tools' columns, then slot)
    Csv,
}

#[derive(Debug, Args)]
pub struct RdbExportArgs {
    /// The RDB file
    pub file: PathBuf,

    /// Output format
    #[arg(long, value_enum, default_value = "resp")]
    pub to: RdbExportFormat,

    /// Write here instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write every key into this database instead of the one it is in
    #[arg(short = 'n', long = "to-db", value_name = "DB")]
    pub to_db: Option<u64>,

    #[command(flatten)]
    pub replay: RdbReplayArgs,
}

/// What `rdb export` and `rdb restore` share: which keys, and how they are
/// turned into commands.
#[derive(Debug, Args)]
pub struct RdbReplayArgs {
    /// Plain commands (SET, RPUSH, HSET...) instead of RESTORE payloads,
    /// for a server that cannot load this file's encodings
    #[arg(long)]
    pub commands: bool,

    /// Replace existing keys (RESTORE ... REPLACE; DEL before plain
    /// commands); else a key that exists is refused
    #[arg(long)]
    pub replace: bool,

    /// Most elements per command when collections are split
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: u64,

    /// Slot ranges to keep (A-B, repeatable)
    #[arg(long = "slots", value_name = "A-B",
          value_parser = crate::rdb::filter::parse_slot_range)]
    pub slots: Vec<(u16, u16)>,

    #[command(flatten)]
    pub filter: RdbFilterArgs,

    /// The time expiries are measured against, in Unix milliseconds
    /// (default: the current time); keys expired by then are left out
    /// unless --expired asks for them
    #[arg(long, value_name = "UNIX_MS")]
    pub now: Option<i64>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct RdbRestoreArgs {
    /// The RDB file
    pub file: PathBuf,

    /// The server: redis-cli's options (-h/-p/-s/-a/--user/-u/--tls...);
    /// -n restores every key into that database instead of the one it is
    /// in
    #[command(flatten)]
    pub connect: ConnectArgs,

    #[command(flatten)]
    pub replay: RdbReplayArgs,
}

#[derive(Debug, Args)]
pub struct RdbDiffArgs {
    /// The older snapshot
    pub a: PathBuf,
    /// The newer snapshot
    pub b: PathBuf,

    /// Only list which keys differ, not how
    #[arg(long)]
    pub keys_only: bool,

    /// Ignore expiry differences
    #[arg(long)]
    pub ignore_ttl: bool,

    /// Slot ranges to keep (A-B, repeatable)
    #[arg(long = "slots", value_name = "A-B",
          value_parser = crate::rdb::filter::parse_slot_range)]
    pub slots: Vec<(u16, u16)>,

    #[command(flatten)]
    pub filter: RdbFilterArgs,

    /// The time --expired/--not-expired measure against, in Unix ms
    #[arg(long, value_name = "UNIX_MS")]
    pub now: Option<i64>,
}

/// The value types `--type` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RdbTypeFilter {
    String,
    List,
    Set,
    Zset,
    Hash,
    Stream,
    Module,
}

#[derive(Debug, Args)]
pub struct RdbInspectArgs {
    /// The RDB file; `-` reads stdin
    pub file: PathBuf,

    /// One record per key (JSON Lines with --format json) instead of the
    /// summary
    #[arg(long)]
    pub keys: bool,

    /// With --keys, include each value (implies --keys)
    #[arg(long)]
    pub values: bool,

    #[command(flatten)]
    pub filter: RdbFilterArgs,

    /// Per-slot totals of Redis Cluster slots (all slots, or only those in
    /// A-B, which then also filters keys)
    #[arg(long = "slots", value_name = "A-B", num_args = 0..=1,
          default_missing_value = "0-16383",
          value_parser = crate::rdb::filter::parse_slot_range)]
    pub slots: Option<(u16, u16)>,

    /// Re-run the memory estimate under other encoding thresholds and
    /// report the difference, e.g. `--what-if hash-max-listpack-entries=1024`
    /// (repeatable; also hash-max-listpack-value, zset-max-listpack-entries,
    /// zset-max-listpack-value, set-max-intset-entries, list-max-listpack-size)
    #[arg(long, value_name = "NAME=VALUE")]
    pub what_if: Vec<String>,

    /// How many of the biggest keys and prefixes to list
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// What separates the parts of a key, for the prefix report
    #[arg(long, value_name = "SEP", default_value = ":")]
    pub separator: String,

    /// How many leading key parts make a prefix (prefixes of 1..=DEPTH
    /// parts are reported)
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=16))]
    pub depth: u32,

    /// The time expiries are measured against, in Unix milliseconds
    /// (default: the file's ctime aux field, else the current time)
    #[arg(long, value_name = "UNIX_MS")]
    pub now: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum SockoptCommand {
    /// Read socket options as the kernel applies them, or run a loopback
    /// experiment
    ///
    /// Without options: the default of every option on fresh TCP and UDP
    /// sockets (IPv4 and IPv6), next to the kernel limits (sysctls) that set
    /// or bound them. --set NAME=VALUE shows requested → effective → why.
    /// --target HOST:PORT probes a connection to a live server instead, with
    /// its TCP_INFO. --experiment runs a bounded loopback experiment that
    /// shows what an option does. Exit status 1 when the kernel rejected a
    /// requested value.
    Probe(SockoptProbeArgs),
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct SockoptProbeArgs {
    /// Set an option before reading it back, e.g. SO_RCVBUF=64k,
    /// TCP_NODELAY=1, SO_LINGER=1,0, TCP_CONGESTION=cubic (repeatable; any
    /// platform's option name is accepted)
    #[arg(long = "set", value_name = "NAME=VALUE", conflicts_with = "experiment")]
    pub set: Vec<String>,

    /// Probe a connection to a live server instead of fresh sockets:
    /// connect time, options of the connected socket, TCP_INFO (of the TLS
    /// connection with --tls). HOST:PORT or a URI, or the server given with
    /// -h/-p/-u (default 127.0.0.1:6379)
    #[arg(long, value_name = "HOST:PORT", num_args = 0..=1, default_missing_value = "",
          conflicts_with = "experiment")]
    pub target: Option<String>,

    /// With --target: send PING (after AUTH when a password is given) and
    /// time the reply (Redis-protocol servers)
    #[arg(long)]
    pub ping: bool,

    /// Probe only these fresh sockets (repeatable; default: all four)
    #[arg(long = "socket", value_enum, value_name = "KIND",
          conflicts_with_all = ["target", "experiment"])]
    pub sockets: Vec<crate::sockopt::probe::SocketKind>,

    /// Run a loopback experiment instead of the probe (repeatable, or all)
    #[arg(long, value_enum, value_name = "NAME")]
    pub experiment: Vec<crate::sockopt::experiments::Experiment>,

    /// Time budget of each experiment, in seconds (at most 60)
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = seconds_up_to_a_minute,
          requires = "experiment")]
    pub duration: std::time::Duration,

    /// The experiment's count: round trips per run (nagle, default 200),
    /// small writes (cork, 1000), exchanges (quickack, 5), connects
    /// (backlog, 32), connections (reuseport, 256)
    #[arg(long, value_name = "N", requires = "experiment",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub iterations: Option<u32>,

    /// listen() backlog for the backlog experiment
    #[arg(long, value_name = "N", default_value_t = 4, requires = "experiment",
          value_parser = clap::value_parser!(u32).range(0..=65_535))]
    pub backlog: u32,

    /// Listeners sharing the port in the reuseport experiment
    #[arg(long, value_name = "N", default_value_t = 4, requires = "experiment",
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub listeners: u32,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Subcommand)]
pub enum RingCommand {
    /// Place keys on nodes with each strategy and measure load, movement on
    /// a membership change, and lookup cost
    ///
    /// Places K keys on N nodes with every strategy (or those named with
    /// --strategy), applies the change (--add, --remove; by default one node
    /// is added), and reports per strategy: load per node (min, max, mean,
    /// standard deviation, max/mean; in bytes too with --key-sizes or --rdb), the
    /// fraction of keys moved next to the optimum and to mod-N, the lookup
    /// cost measured on this machine, build time and memory. Nodes are named
    /// node-0, node-1, ...
    Simulate(RingSimulateArgs),
}

#[derive(Debug, Args)]
pub struct RingSimulateArgs {
    /// Strategy to simulate (repeatable; default: all)
    #[arg(long = "strategy", value_enum, value_name = "NAME")]
    pub strategies: Vec<crate::ring::Strategy>,

    /// Initial number of nodes
    #[arg(long, default_value_t = 10, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub nodes: u32,

    /// Synthetic keys key:0 ... key:<K-1>
    #[arg(
        long,
        default_value_t = 1_000_000,
        value_name = "K",
        conflicts_with = "keys_from"
    )]
    pub keys: u64,

    /// Read keys from FILE (one per line; `-` for stdin) instead
    #[arg(long, value_name = "FILE")]
    pub keys_from: Option<PathBuf>,

    /// Lines of --keys-from are KEY<TAB>BYTES: load and movement are also
    /// counted in bytes
    #[arg(long, requires = "keys_from")]
    pub key_sizes: bool,

    /// Take the keys of an RDB dump instead (every database), each
    /// weighing its serialized size: load and movement are also counted in
    /// bytes
    #[arg(long, value_name = "DUMP", conflicts_with_all = ["keys", "keys_from"])]
    pub rdb: Option<PathBuf>,

    /// Longest key accepted from --keys-from, in bytes
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_key_len: usize,

    /// Nodes added after the initial placement (default: 1 when neither
    /// --add nor --remove is given)
    #[arg(long, value_name = "M")]
    pub add: Option<u32>,

    /// Nodes removed after the initial placement (the last ones, or random
    /// ones with --random-fail)
    #[arg(long, value_name = "M")]
    pub remove: Option<u32>,

    /// Remove random nodes (chosen with --seed) instead of the last ones
    #[arg(long, requires = "remove")]
    pub random_fail: bool,

    /// Ring points per node (ring, bounded)
    #[arg(long, default_value_t = 160, value_name = "V",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub vnodes: u32,

    /// Maglev lookup table size, a prime at least the node count
    #[arg(long, default_value_t = 65_537, value_name = "M")]
    pub table_size: u64,

    /// Bounded loads: each node holds at most ceil((1+E)*K/N) keys
    #[arg(long, default_value_t = 0.25, value_name = "E")]
    pub epsilon: f64,

    /// Hash function for keys and nodes (slots always uses CRC16)
    #[arg(long, value_enum, default_value_t = crate::ring::hash::HashFunction::Xxh3)]
    pub hash: crate::ring::hash::HashFunction,

    /// Salt for every key and node hash (0: the plain function)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub hash_seed: u64,

    /// Seed for every random choice (failed nodes, lookup samples, search
    /// experiment); default: from the clock, printed in the report
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Lookups timed per strategy
    #[arg(long, default_value_t = 2_000_000, value_name = "N")]
    pub lookups: u64,

    /// Worker threads for placing keys (default: the available cores)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,

    /// Also measure linear vs binary vs Eytzinger search over ring sizes
    /// from 8 to 1,000,000 points and print where they cross over
    #[arg(long)]
    pub compare_search: bool,

    /// Write charts (load per node, moved fraction vs optimum, and the
    /// search comparison when measured) to an SVG file
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RespSniffArgs {
    /// Interface to capture on [default: the loopback device for a local
    /// server, else the interface that routes to --host]
    #[arg(long, short = 'i', value_name = "IF", conflicts_with = "pcap")]
    pub interface: Option<String>,

    /// Server port to watch; repeat for several (at most 32) [default:
    /// 6379 live; with --pcap, the ports of the servers found in the file]
    #[arg(long = "port", short = 'p', value_name = "N")]
    pub ports: Vec<u16>,

    /// Watch only the server at this address (IP or host name)
    #[arg(long, value_name = "ADDR")]
    pub host: Option<String>,

    /// Read packets from a pcap or pcapng file instead of an interface
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,

    /// Only packets this tcpdump-style expression passes: tcp, ip, ip6,
    /// [src|dst] host ADDR, [src|dst] port N, [src|dst] net ADDR/LEN, with
    /// and/or/not and parentheses (compiled to a kernel filter when live)
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,

    /// Also save the packets captured (or read) as a pcap file, for
    /// Wireshark or tcpdump -r
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,

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

    /// Kernel ring buffer for live capture, in bytes (absorbs bursts;
    /// packets arriving when it is full are dropped and counted)
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

    /// Serve Prometheus metrics (packets, bytes, frames and commands per
    /// second, latency, hot keys) at http://127.0.0.1:PORT/metrics while
    /// capturing live
    #[arg(long, value_name = "PORT")]
    pub metrics_port: Option<u16>,

    #[command(flatten)]
    pub hot: HotArgs,
}

/// The hot-key reports of `resp sniff` and `replica tail`.
#[derive(Debug, Args, Clone)]
pub struct HotArgs {
    /// Rows in each hot-key list (keys, prefixes, clients, slow keys)
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub top: u32,

    /// What separates the parts of a key, for the prefix report (as in
    /// `rdb inspect`; empty: no prefix report)
    #[arg(long, value_name = "SEP", default_value = ":")]
    pub separator: String,

    /// How many leading key parts make a prefix (prefixes of 1..=DEPTH
    /// parts are reported)
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=16))]
    pub depth: u32,

    /// Items each hot-key list keeps track of (its memory); counts are
    /// exact below this many distinct items and over by at most
    /// total/N beyond
    #[arg(long, value_name = "N", default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(10..=10_000_000))]
    pub sketch_size: u32,

    /// Every S seconds, report the hot keys of the last S seconds: a JSON
    /// line with --format json, else tables (redrawn in place on a
    /// terminal)
    #[arg(long, value_name = "S", value_parser = seconds)]
    pub interval: Option<std::time::Duration>,
}

impl HotArgs {
    pub fn options(&self) -> crate::hot::Options {
        crate::hot::Options {
            top: self.top as usize,
            capacity: self.sketch_size as usize,
            separator: self.separator.as_bytes().to_vec(),
            depth: self.depth as usize,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ReplicaCommand {
    /// Stream a master's replication feed: every command with its offset
    ///
    /// Connects to the master as a replica (PING, AUTH, REPLCONF, PSYNC),
    /// over TLS with --tls or a rediss:// URI,
    /// consumes the snapshot of a full resync, then reports every command the
    /// master propagates with the replication offset after it (equal to the
    /// master's master_repl_offset once it wrote the command) and the database
    /// it applies to. A second connection polls INFO replication for lag in
    /// bytes and seconds. A dropped link is resumed with PSYNC <replid>
    /// <offset+1>: no command is lost or shown twice across a partial
    /// resynchronization. When stdout cannot keep up, the feed is not read
    /// (bounded memory) and a warning says when the master's output buffer for
    /// us nears its limit. Stops at --count, --duration or Ctrl-C, then prints
    /// a summary. Exit status 1 when --max-lag was crossed, the master sent
    /// something that is not the replication protocol, or `--rdb summary`
    /// found the snapshot corrupt.
    ///
    /// Example: sonde replica tail 127.0.0.1:6379 --match 'user:*' --format json
    Tail(Box<ReplicaTailArgs>),
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct ReplicaTailArgs {
    /// The master: HOST:PORT, [IPv6]:PORT, HOST (port 6379) or a URI
    /// (redis://, rediss://, unix://); or give it with -h/-p/-s/-u
    #[arg(value_name = "HOST:PORT")]
    pub master: Option<String>,

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
    /// it; a progress bar on a terminal), `save FILE` (write it to FILE,
    /// replaced atomically by each full resync) or `summary` (parse it as it
    /// arrives, without writing it anywhere: keys by database and type, and
    /// its checksum verified; a corrupt snapshot ends the run with status 1)
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

    /// Serve Prometheus metrics (offsets, lag, bytes, commands per second,
    /// hot keys) at http://127.0.0.1:PORT/metrics while the tail runs
    #[arg(long, value_name = "PORT")]
    pub metrics_port: Option<u16>,

    #[command(flatten)]
    pub hot: HotArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
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

/// Like [`seconds`], at most a minute (for bounded experiments and waits).
fn seconds_up_to_a_minute(text: &str) -> Result<std::time::Duration, String> {
    match seconds(text)? {
        d if d.as_secs_f64() > 60.0 => Err(format!("at most 60 seconds, got {text}")),
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

/// How to reach a live server: redis-cli's connection options, shared by
/// every command that talks to one (see docs/connections.md). `-h` is the
/// host, as in redis-cli; help is `--help`.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection (as redis-cli)")]
pub struct ConnectArgs {
    /// Server host name or address (default 127.0.0.1)
    #[arg(short = 'h', long = "host", value_name = "HOST")]
    pub host: Option<String>,

    /// Server port (default 6379)
    #[arg(short = 'p', long = "port", value_name = "PORT",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Unix socket path instead of TCP
    #[arg(short = 's', long = "unix-socket", value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Password for AUTH (prefer REDISCLI_AUTH in the environment or
    /// --askpass: a password on the command line is visible to `ps`)
    #[arg(
        short = 'a',
        long = "pass",
        visible_alias = "password",
        value_name = "PASSWORD"
    )]
    pub pass: Option<String>,

    /// ACL user name for AUTH (Redis 6+), with a password
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Ask for the password on the terminal (ignores -a and REDISCLI_AUTH)
    #[arg(long)]
    pub askpass: bool,

    /// Database number to SELECT
    #[arg(id = "select_db", short = 'n', value_name = "DB")]
    pub db: Option<u32>,

    /// Server URI: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB],
    /// rediss://... (TLS), unix://[[USER]:PASSWORD@]/PATH[?db=N]
    #[arg(short = 'u', long = "uri", value_name = "URI")]
    pub uri: Option<String>,

    /// Connect with TLS
    #[arg(long)]
    pub tls: bool,

    /// CA certificate file (PEM) to verify the server with (default: the
    /// system's CA bundle)
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Directory of CA certificate files (PEM)
    #[arg(long, value_name = "DIR")]
    pub cacertdir: Option<PathBuf>,

    /// Client certificate (PEM) for servers that check clients
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,

    /// Private key (PEM) of --cert
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Server name for TLS SNI and certificate verification (default: the
    /// host)
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,

    /// Do not verify the server's certificate (encrypted, not
    /// authenticated)
    #[arg(long)]
    pub insecure: bool,

    /// Seconds to wait for the connection (TCP, TLS handshake, AUTH)
    #[arg(long, value_name = "SECONDS", value_parser = seconds_up_to_a_minute)]
    pub connect_timeout: Option<std::time::Duration>,

    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

#[derive(Debug, Args)]
pub struct LatencyArgs {
    /// The server: HOST:PORT or a URI (or -h/-p/-s/-u)
    #[arg(value_name = "HOST:PORT")]
    pub server: Option<String>,

    /// Milliseconds between PINGs (redis-cli uses 10)
    #[arg(long, value_name = "MS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub sample_interval: u64,

    /// Print one row per window of SECS, each with fresh figures
    /// (redis-cli --latency-history; its default window is 15 s)
    #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "15",
          value_parser = seconds)]
    pub history: Option<std::time::Duration>,

    /// Show the distribution as a histogram in the table (JSON always has it)
    #[arg(long)]
    pub dist: bool,

    /// Measure this host's intrinsic latency for SECS instead (redis-cli
    /// --intrinsic-latency): a busy loop, no server
    #[arg(long, value_name = "SECS", value_parser = seconds, conflicts_with_all = ["history", "server"])]
    pub intrinsic: Option<std::time::Duration>,

    /// Stop after N samples
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Stop after SECS seconds
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub duration: Option<std::time::Duration>,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Args)]
pub struct StatArgs {
    /// The server: HOST:PORT or a URI (or -h/-p/-s/-u)
    #[arg(value_name = "HOST:PORT")]
    pub server: Option<String>,

    /// Seconds between rows
    #[arg(short = 'i', long, value_name = "SECS", default_value = "1", value_parser = seconds)]
    pub interval: std::time::Duration,

    /// Stop after N rows
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Stop after SECS seconds
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    pub duration: Option<std::time::Duration>,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// The biggest keys of a live server (redis-cli --bigkeys and --memkeys)
    ///
    /// SCANs the database (-n, default 0) at most --rate keys a second, so
    /// a production server is not hurt, and asks TYPE, MEMORY USAGE and the
    /// type's length (STRLEN, LLEN, SCARD, ZCARD, HLEN, XLEN) of each key,
    /// pipelined per SCAN batch. Reports the biggest keys by memory, the
    /// longest of each type, totals per type, and totals per key prefix
    /// (as `rdb inspect` does). A progress bar shows keys against DBSIZE on
    /// a terminal. Keys changing during the scan may be missed or counted
    /// twice, as with any SCAN.
    #[command(disable_help_flag = true)]
    Big(KeysBigArgs),
}

#[derive(Debug, Args)]
pub struct KeysBigArgs {
    /// The server: HOST:PORT or a URI (or -h/-p/-s/-u)
    #[arg(value_name = "HOST:PORT")]
    pub server: Option<String>,

    /// At most this many keys a second (0: no limit)
    #[arg(long, value_name = "KEYS", default_value_t = 1000)]
    pub rate: u64,

    /// SCAN's COUNT hint (keys per batch)
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub scan_count: u32,

    /// Only keys matching this glob (SCAN MATCH)
    #[arg(long = "match", value_name = "GLOB")]
    pub pattern: Option<String>,

    /// Only keys of this type (SCAN TYPE: string, list, set, zset, hash,
    /// stream)
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,

    /// How many keys (and prefixes per depth) to list
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub top: u64,

    /// MEMORY USAGE SAMPLES: elements sampled for nested types (0: all)
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub samples: u32,

    /// What separates the parts of a key, for the prefix report
    #[arg(long, value_name = "SEP", default_value = ":")]
    pub separator: String,

    /// How many leading key parts make a prefix (prefixes of 1..=DEPTH
    /// parts are reported)
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=16))]
    pub depth: u32,

    #[command(flatten)]
    pub connect: ConnectArgs,
}
