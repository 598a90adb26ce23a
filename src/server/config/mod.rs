//! Server configuration: redis.conf-syntax files (with `include`),
//! redis-server-style command-line directives (`--port 7000 --save "900 1"`),
//! CONFIG GET/SET and CONFIG REWRITE, all driven by one table of parameter
//! descriptors (`table`).
//!
//! Command-line directives are applied after the file, as redis-server
//! appends them to the file's text. A directive takes every following
//! argument up to the next `--option`; the first argument after a
//! directive name is always a value, even when it starts with `--`. Errors
//! name the directive and, for files, the file and line.
//!
//! Every directive of Redis 7.0 is known. Those whose feature sonde does not
//! have yet accept only their default value, and any other value is an
//! error naming the directive, so a config file never silently means
//! something else here (see `table` for the three kinds of parameters).

mod lines;
pub mod rewrite;
pub mod special;
pub mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lines::Source;
use table::{Access, Apply, Kind, PARAMS, Param, Unit};

/// `enable-debug-command` / `enable-protected-configs`: no, yes or local
/// (only from loopback connections).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Allow {
    #[default]
    No,
    Yes,
    Local,
}

impl Allow {
    fn name(self) -> &'static str {
        match self {
            Allow::No => "no",
            Allow::Yes => "yes",
            Allow::Local => "local",
        }
    }

    /// From a name the table has validated.
    fn from_name(name: &str) -> Allow {
        match name {
            "yes" => Allow::Yes,
            "local" => Allow::Local,
            _ => Allow::No,
        }
    }

    /// Whether a client (local or not) may use the protected feature.
    pub fn permits(self, local: bool) -> bool {
        self == Allow::Yes || (self == Allow::Local && local)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogLevel {
    Debug,
    Verbose,
    #[default]
    Notice,
    Warning,
}

impl LogLevel {
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Verbose => "verbose",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
        }
    }

    fn from_name(name: &str) -> LogLevel {
        match name {
            "debug" => LogLevel::Debug,
            "verbose" => LogLevel::Verbose,
            "warning" => LogLevel::Warning,
            _ => LogLevel::Notice,
        }
    }
}

/// `maxmemory-policy`: which keys go when used memory is over `maxmemory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Policy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    #[default]
    NoEviction,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::VolatileLru => "volatile-lru",
            Policy::VolatileLfu => "volatile-lfu",
            Policy::VolatileRandom => "volatile-random",
            Policy::VolatileTtl => "volatile-ttl",
            Policy::AllkeysLru => "allkeys-lru",
            Policy::AllkeysLfu => "allkeys-lfu",
            Policy::AllkeysRandom => "allkeys-random",
            Policy::NoEviction => "noeviction",
        }
    }

    fn from_name(name: &str) -> Policy {
        match name {
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            "allkeys-lru" => Policy::AllkeysLru,
            "allkeys-lfu" => Policy::AllkeysLfu,
            "allkeys-random" => Policy::AllkeysRandom,
            _ => Policy::NoEviction,
        }
    }

    /// Evicts among every key (not only those with a time to live).
    pub fn all_keys(self) -> bool {
        matches!(
            self,
            Policy::AllkeysLru | Policy::AllkeysLfu | Policy::AllkeysRandom
        )
    }

    pub fn is_lru(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::AllkeysLru)
    }

    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::VolatileLfu | Policy::AllkeysLfu)
    }
}

/// The `lazyfree-lazy-*` switches: which deletions hand big values to the
/// background free thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Lazyfree {
    pub eviction: bool,
    pub expire: bool,
    pub server_del: bool,
    pub user_del: bool,
    pub user_flush: bool,
}

/// client-output-buffer-limit for one class: a hard limit, and a soft limit
/// that may be exceeded for at most `soft_seconds`. 0 disables a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// `appendfsync`: when the append-only file is flushed to the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Fsync {
    /// Before replying to the commands of every loop iteration.
    Always,
    /// Once per second, from a background thread.
    #[default]
    Everysec,
    /// When the kernel decides.
    No,
}

impl Fsync {
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }

    fn from_name(name: &str) -> Fsync {
        match name {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::Everysec,
        }
    }
}

/// One `save <seconds> <changes>` point: snapshot when at least `changes`
/// writes happened and more than `seconds` passed since the last save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    pub seconds: u64,
    pub changes: u64,
}

/// Every setting the server reads. The defaults, bounds and syntax of each
/// are in `table::PARAMS`; `Config::default()` applies them.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: Vec<String>,
    pub port: u16,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
    /// `aclfile`: the ACL file (ACL LOAD/SAVE), empty for none.
    pub aclfile: String,
    pub acllog_max_len: u64,
    /// `acl-pubsub-default allchannels`.
    pub acl_pubsub_default_all: bool,
    /// The `user` directives (name, then rules), loaded at startup.
    pub users: Vec<Vec<String>>,
    /// The `rename-command` directives in order, applied to the command
    /// table at startup.
    pub renamed_commands: Vec<RenamedCommand>,
    /// The `user` lines CONFIG REWRITE writes (set by the server just
    /// before a rewrite; `None` leaves the file's user lines alone).
    pub acl_user_lines: Option<Vec<String>>,
    pub maxclients: usize,
    pub databases: usize,
    /// Idle seconds before a client is closed; 0 = never.
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub hz: u32,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    /// Normal clients; subscribers have their own class; the replica class
    /// is kept for CONFIG GET.
    pub output_limit: OutputLimit,
    pub replica_output_limit: OutputLimit,
    pub pubsub_output_limit: OutputLimit,
    pub dir: PathBuf,
    pub dbfilename: String,
    pub loglevel: LogLevel,
    pub logfile: String,
    /// Detach from the terminal at startup (`daemonize yes`).
    pub daemonize: bool,
    /// Where to write the process id at startup (removed at exit).
    pub pidfile: Option<String>,
    pub enable_debug_command: Allow,
    pub enable_protected_configs: Allow,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    /// busy-reply-threshold (lua-time-limit): milliseconds a script runs
    /// before other clients get -BUSY.
    pub busy_reply_threshold: u64,
    /// `supervised`: no, upstart, systemd or auto (systemd when
    /// NOTIFY_SOCKET is set); sonde acts on systemd only.
    pub supervised: String,
    /// sonde's own: the port of the Prometheus `/metrics` endpoint (0:
    /// off), on the first `bind` address.
    pub metrics_port: u16,
    pub latency_monitor_threshold: u64,
    /// Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats).
    pub latency_tracking: bool,
    /// `unixsocket`: also listen on this unix socket path.
    pub unixsocket: Option<String>,
    /// `bind-source-addr`: the local address of the link to a master.
    pub bind_source_addr: Option<String>,
    /// `unixsocketperm`: the socket file's mode (0: left to the umask).
    pub unixsocketperm: u32,
    /// `oom-score-adj`: no, yes (= relative), relative or absolute.
    pub oom_score_adj: String,
    /// Largest sparse HyperLogLog before it turns dense.
    pub hll_sparse_max_bytes: u64,
    /// The config file the server started from, if any (INFO config_file,
    /// CONFIG REWRITE).
    pub config_file: Option<PathBuf>,
    /// Compact-encoding thresholds of hashes, sets, sorted sets and lists.
    pub encodings: super::types::Limits,
    /// Snapshot points; empty: no automatic snapshots.
    pub save: Vec<SavePoint>,
    /// A `save` directive was read, so the defaults no longer apply (each
    /// further one adds points, as in redis.conf).
    save_loaded: bool,
    pub stop_writes_on_bgsave_error: bool,
    pub rdbcompression: bool,
    /// Microseconds to sleep per key while writing a snapshot (a testing
    /// aid, as in Redis: makes BGSAVE and BGREWRITEAOF slow on purpose).
    pub rdb_key_save_delay: i64,
    /// `key-load-delay` (for tests): microseconds to wait after each key
    /// loaded from a snapshot at startup.
    pub key_load_delay: i64,
    /// Clients are served every this many bytes of a snapshot loaded at
    /// startup (`loading-process-events-interval-bytes`).
    pub loading_process_events_interval_bytes: i64,
    pub appendonly: bool,
    pub appendfsync: Fsync,
    pub appendfilename: String,
    pub appenddirname: String,
    pub aof_use_rdb_preamble: bool,
    pub aof_timestamp_enabled: bool,
    pub aof_load_truncated: bool,
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: u64,
    pub no_appendfsync_on_rewrite: bool,
    pub aof_disable_auto_gc: bool,
    /// `replicaof host port` at startup.
    pub replicaof: Option<(String, u16)>,
    pub masterauth: Option<String>,
    pub masteruser: Option<String>,
    pub repl_backlog_size: u64,
    pub repl_backlog_ttl: u64,
    pub repl_ping_replica_period: u64,
    pub repl_timeout: u64,
    pub repl_diskless_sync: bool,
    pub repl_diskless_sync_delay: u64,
    pub replica_read_only: bool,
    pub replica_serve_stale_data: bool,
    pub replica_announce_ip: Option<String>,
    /// replica-announce-port (0: the listening port).
    pub replica_announce_port: u16,
    /// replica-priority: Sentinel promotes the lowest non-zero one.
    pub replica_priority: i64,
    /// replica-announced: whether Sentinel lists this replica.
    pub replica_announced: bool,
    /// repl-diskless-sync-max-replicas: start a diskless transfer without
    /// waiting out the delay once this many replicas wait (0: always wait).
    pub repl_diskless_sync_max_replicas: usize,
    /// repl-diskless-load: disabled, on-empty-db or swapdb.
    pub repl_diskless_load: String,
    /// watchdog-period: milliseconds the event loop may go without its
    /// cron before SIGALRM logs it (0: off).
    pub watchdog_period: i64,
    /// shutdown-timeout: seconds a shutdown waits for lagging replicas.
    pub shutdown_timeout: u64,
    /// propagation-error-behavior: what a replica does when a command of
    /// its master's stream fails (ignore, panic, panic-on-replicas).
    pub propagation_error_behavior: String,
    pub min_replicas_to_write: usize,
    pub min_replicas_max_lag: u64,
    /// Bytes of used memory (see [`super::eviction`]) past which keys are
    /// evicted or writes refused; 0: no limit.
    pub maxmemory: u64,
    pub maxmemory_policy: Policy,
    pub maxmemory_samples: usize,
    pub maxmemory_eviction_tenacity: u32,
    /// Memory all clients may use together before the biggest are closed:
    /// bytes, a percentage of maxmemory when negative, 0: no limit.
    pub maxmemory_clients: i64,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub replica_ignore_maxmemory: bool,
    pub lazyfree: Lazyfree,
    /// tls-port and the certificate files (read at start), tls-auth-clients
    /// (at start and when changed), tls-replication (at each connection to
    /// a master); src/server/tls.rs.
    pub tls: super::tls::TlsSettings,
    /// Values of the parameters the server does not read (`Access::Kept`),
    /// and of not-yet-supported ones accepted under `unsupported: warn`;
    /// absent: the default.
    kept: BTreeMap<&'static str, Val>,
    /// Accept non-default values of not-yet-supported parameters with a
    /// warning instead of refusing them (SONDE_UNSUPPORTED_CONFIG=warn).
    lenient: bool,
    /// Warnings to log (values accepted under `lenient`).
    pub warnings: Vec<String>,
    /// `logfile ""` was given explicitly (in the file or as an option):
    /// the log goes to stdout, as redis-server's does; without the
    /// directive it goes to stderr.
    pub log_to_stdout: bool,
}

/// Redis's default snapshot points: after an hour with one change, five
/// minutes with 100, a minute with 10,000.
pub const DEFAULT_SAVE: [SavePoint; 3] = [
    SavePoint {
        seconds: 3600,
        changes: 1,
    },
    SavePoint {
        seconds: 300,
        changes: 100,
    },
    SavePoint {
        seconds: 60,
        changes: 10_000,
    },
];

/// A parameter's value in canonical form (what CONFIG GET shows, typed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Bool(bool),
    Int(i64),
    Text(String),
}

impl Default for Config {
    fn default() -> Config {
        let mut c = Config::blank();
        for param in PARAMS {
            c.reset(param);
        }
        c.save_loaded = false;
        c
    }
}

impl Config {
    /// Every field at its type's zero; `default()` then applies the table.
    fn blank() -> Config {
        Config {
            bind: Vec::new(),
            port: 0,
            protected_mode: false,
            requirepass: None,
            aclfile: String::new(),
            acllog_max_len: 0,
            acl_pubsub_default_all: false,
            users: Vec::new(),
            renamed_commands: Vec::new(),
            acl_user_lines: None,
            maxclients: 0,
            databases: 0,
            timeout: 0,
            tcp_keepalive: 0,
            hz: 0,
            proto_max_bulk_len: 0,
            client_query_buffer_limit: 0,
            output_limit: OutputLimit::default(),
            replica_output_limit: OutputLimit::default(),
            pubsub_output_limit: OutputLimit::default(),
            dir: PathBuf::new(),
            dbfilename: String::new(),
            loglevel: LogLevel::default(),
            logfile: String::new(),
            daemonize: false,
            pidfile: None,
            enable_debug_command: Allow::default(),
            enable_protected_configs: Allow::default(),
            slowlog_log_slower_than: 0,
            slowlog_max_len: 0,
            busy_reply_threshold: 5000,
            supervised: String::new(),
            metrics_port: 0,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            unixsocket: None,
            bind_source_addr: None,
            unixsocketperm: 0,
            oom_score_adj: "no".to_owned(),
            hll_sparse_max_bytes: 3000,
            config_file: None,
            encodings: super::types::Limits::default(),
            save: Vec::new(),
            save_loaded: false,
            stop_writes_on_bgsave_error: false,
            rdbcompression: false,
            rdb_key_save_delay: 0,
            key_load_delay: 0,
            loading_process_events_interval_bytes: 0,
            appendonly: false,
            appendfsync: Fsync::default(),
            appendfilename: String::new(),
            appenddirname: String::new(),
            aof_use_rdb_preamble: false,
            aof_timestamp_enabled: false,
            aof_load_truncated: false,
            auto_aof_rewrite_percentage: 0,
            auto_aof_rewrite_min_size: 0,
            no_appendfsync_on_rewrite: false,
            aof_disable_auto_gc: false,
            replicaof: None,
            masterauth: None,
            masteruser: None,
            repl_backlog_size: 0,
            repl_backlog_ttl: 0,
            repl_ping_replica_period: 0,
            repl_timeout: 0,
            repl_diskless_sync: false,
            repl_diskless_sync_delay: 0,
            replica_read_only: false,
            replica_serve_stale_data: false,
            replica_announce_ip: None,
            replica_announce_port: 0,
            replica_priority: 100,
            replica_announced: true,
            repl_diskless_sync_max_replicas: 0,
            repl_diskless_load: String::new(),
            watchdog_period: 0,
            shutdown_timeout: 10,
            propagation_error_behavior: String::new(),
            min_replicas_to_write: 0,
            min_replicas_max_lag: 0,
            maxmemory: 0,
            maxmemory_policy: Policy::default(),
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            maxmemory_clients: 0,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            replica_ignore_maxmemory: true,
            lazyfree: Lazyfree::default(),
            tls: super::tls::TlsSettings::default(),
            kept: BTreeMap::new(),
            lenient: std::env::var("SONDE_UNSUPPORTED_CONFIG").is_ok_and(|v| v == "warn"),
            warnings: Vec::new(),
            log_to_stdout: false,
        }
    }

    /// Put a parameter back to its default.
    fn reset(&mut self, param: &'static Param) {
        match &param.kind {
            Kind::Special { .. } => special::reset(self, param.name),
            kind => {
                let value = default_val(kind);
                self.kept.remove(param.name);
                match &param.access {
                    Access::Bool(_, set) => set(self, value == Val::Bool(true)),
                    Access::Int(_, set) => set(self, int_of(&value)),
                    Access::Text(_, set) => set(self, &text_of(&value)),
                    Access::Kept | Access::Later => {}
                }
            }
        }
    }

    /// A parameter's current value, typed.
    pub fn current(&self, param: &Param) -> Val {
        match (&param.kind, &param.access) {
            (Kind::Special { get, .. }, _) => Val::Text(get(self)),
            (_, Access::Bool(get, _)) => Val::Bool(get(self)),
            (_, Access::Int(get, _)) => Val::Int(get(self)),
            (_, Access::Text(get, _)) => Val::Text(get(self)),
            (kind, Access::Kept | Access::Later) => self
                .kept
                .get(param.name)
                .cloned()
                .unwrap_or_else(|| default_val(kind)),
        }
    }

    /// `tracking-table-max-keys` (0: no limit).
    pub fn tracking_table_max_keys(&self) -> u64 {
        match self.kept.get("tracking-table-max-keys") {
            Some(Val::Int(n)) => (*n).max(0) as u64,
            _ => 1_000_000,
        }
    }

    /// `set-proc-title`.
    pub fn set_proc_title(&self) -> bool {
        !matches!(self.kept.get("set-proc-title"), Some(Val::Bool(false)))
    }

    /// `proc-title-template`.
    pub fn proc_title_template(&self) -> String {
        match self.kept.get("proc-title-template") {
            Some(Val::Text(t)) => t.clone(),
            _ => "{title} {listen-addr} {server-mode}".to_owned(),
        }
    }

    /// `sanitize-dump-payload`.
    pub fn sanitize_dump_payload(&self) -> super::rdb_value::SanitizeDump {
        match self.kept.get("sanitize-dump-payload") {
            Some(Val::Text(t)) => super::rdb_value::SanitizeDump::from_name(t),
            _ => super::rdb_value::SanitizeDump::No,
        }
    }

    /// The value CONFIG GET shows.
    /// The `notify-keyspace-events` classes switched on.
    pub fn notify_keyspace_events(&self) -> String {
        special::notify_classes(self)
    }

    pub fn get(&self, param: &Param) -> String {
        show(&param.kind, &self.current(param))
    }

    /// Store a parsed value where the parameter lives.
    fn store(&mut self, param: &'static Param, value: Val) -> Result<(), String> {
        match &param.access {
            Access::Bool(_, set) => set(self, value == Val::Bool(true)),
            Access::Int(_, set) => set(self, int_of(&value)),
            Access::Text(_, set) => set(self, &text_of(&value)),
            Access::Kept => {
                if value == default_val(&param.kind) {
                    self.kept.remove(param.name);
                } else {
                    self.kept.insert(param.name, value);
                }
            }
            Access::Later => {
                let default = default_val(&param.kind);
                if value == default {
                    self.kept.remove(param.name);
                } else {
                    self.unsupported(
                        param.name,
                        &show(&param.kind, &value),
                        &show(&param.kind, &default),
                    )?;
                    self.kept.insert(param.name, value);
                }
            }
        }
        Ok(())
    }

    /// A value sonde cannot honour yet: refused, or (lenient) accepted with
    /// a warning.
    fn unsupported(&mut self, name: &str, value: &str, default: &str) -> Result<(), String> {
        let message = later_message(name, default);
        if !self.lenient {
            return Err(message);
        }
        self.warnings.push(format!(
            "{name} '{value}' accepted but without effect: {message}"
        ));
        Ok(())
    }

    /// Set a parameter from directive arguments (a file line, an option,
    /// or CONFIG SET's value already split for MULTI_ARG parameters).
    fn set_args(
        &mut self,
        param: &'static Param,
        args: &[String],
        source: Source,
    ) -> Result<(), String> {
        if let Kind::Special { set, .. } = &param.kind {
            return set(self, args, source);
        }
        let value = parse(param, args)?;
        self.store(param, value)
    }
}

/// `rename-command <name> <new name>` (an empty new name removes the
/// command), with where it was written for the error if the command table
/// refuses it.
#[derive(Clone, Debug)]
pub struct RenamedCommand {
    pub from: String,
    pub to: String,
    pub origin: String,
}

/// The positions of the secret values in a CONFIG SET command's
/// arguments: the values of SENSITIVE parameters such as requirepass.
pub fn sensitive_arguments(args: &[&[u8]]) -> Vec<usize> {
    (2..args.len())
        .step_by(2)
        .filter(|&i| {
            i + 1 < args.len()
                && table::lookup(&String::from_utf8_lossy(args[i]))
                    .is_some_and(|p| p.has(table::SENSITIVE))
        })
        .map(|i| i + 1)
        .collect()
}

/// The error for a non-default value of a not-yet-supported parameter.
pub fn later_message(name: &str, default: &str) -> String {
    let default = if default.is_empty() { "\"\"" } else { default };
    format!("sonde does not support yet a value other than the default ({default}) for '{name}'")
}

fn int_of(v: &Val) -> i64 {
    match v {
        Val::Int(n) => *n,
        _ => 0,
    }
}

fn text_of(v: &Val) -> String {
    match v {
        Val::Text(t) => t.clone(),
        Val::Bool(b) => yes(*b),
        Val::Int(n) => n.to_string(),
    }
}

/// The default of a non-special parameter.
fn default_val(kind: &Kind) -> Val {
    match kind {
        Kind::Bool(b) => Val::Bool(*b),
        Kind::Int { default, .. } => Val::Int(*default),
        Kind::Enum { default, .. } | Kind::Flags { default, .. } => {
            Val::Text((*default).to_owned())
        }
        Kind::Str { default, .. } => Val::Text((*default).to_owned()),
        Kind::Special { .. } => Val::Text(String::new()),
    }
}

/// The CONFIG GET text of a value.
fn show(kind: &Kind, value: &Val) -> String {
    match (kind, value) {
        (_, Val::Bool(b)) => yes(*b),
        (Kind::Int { unit, .. }, Val::Int(n)) => match unit {
            Unit::Octal => format!("{n:o}"),
            Unit::MemoryPercent if *n < 0 => format!("{}%", -n),
            _ => n.to_string(),
        },
        (_, Val::Int(n)) => n.to_string(),
        (_, Val::Text(t)) => t.clone(),
    }
}

/// Parse a non-special parameter's arguments.
fn parse(param: &Param, args: &[String]) -> Result<Val, String> {
    let one = || -> Result<&str, String> {
        match args {
            [one] => Ok(one.as_str()),
            _ => Err("wrong number of arguments".to_owned()),
        }
    };
    match &param.kind {
        Kind::Bool(_) => yes_no(one()?).map(Val::Bool),
        Kind::Int { min, max, unit, .. } => parse_int(one()?, *min, *max, *unit).map(Val::Int),
        Kind::Enum { values, .. } => {
            let word = one()?;
            values
                .iter()
                .find(|v| v.eq_ignore_ascii_case(word))
                .map(|v| Val::Text((*v).to_owned()))
                .ok_or_else(|| one_of(values))
        }
        Kind::Flags { values, .. } => {
            let mut set = vec![false; values.len()];
            if args.is_empty() {
                return Err(one_of(values));
            }
            for word in args {
                let i = values
                    .iter()
                    .position(|v| v.eq_ignore_ascii_case(word))
                    .ok_or_else(|| one_of(values))?;
                set[i] = true;
            }
            if param.name.starts_with("shutdown-on-") && set[1] && set[2] {
                return Err(
                    "shutdown options SAVE and NOSAVE can't be used simultaneously".to_owned(),
                );
            }
            // "default" is no flag at all; the others in table order.
            let words: Vec<&str> = values
                .iter()
                .zip(&set)
                .skip(1)
                .filter(|(_, on)| **on)
                .map(|(v, _)| *v)
                .collect();
            Ok(Val::Text(if words.is_empty() {
                values[0].to_owned()
            } else {
                words.join(" ")
            }))
        }
        Kind::Str { check, .. } => {
            let text = one()?;
            if let Some(check) = check {
                check(text)?;
            }
            Ok(Val::Text(text.to_owned()))
        }
        Kind::Special { .. } => Err("internal: special parameter".to_owned()),
    }
}

fn one_of(values: &[&str]) -> String {
    format!(
        "argument(s) must be one of the following: {}",
        values.join(", ")
    )
}

/// A number in a parameter's syntax and bounds, with Redis's error texts.
fn parse_int(text: &str, min: i64, max: i64, unit: Unit) -> Result<i64, String> {
    let n = match unit {
        Unit::Plain => crate::resp::number::string2ll(text.as_bytes())
            .ok_or("argument couldn't be parsed into an integer")?,
        Unit::Memory => memory_i64(text).ok_or("argument must be a memory value")?,
        Unit::MemoryPercent => match text.strip_suffix('%') {
            Some(digits) if !digits.is_empty() => {
                match crate::resp::number::string2ll(digits.as_bytes()) {
                    Some(p) if p >= 0 => {
                        if -p < min {
                            return Err(format!(
                                "percentage argument must be less or equal to {}",
                                -min
                            ));
                        }
                        return Ok(-p);
                    }
                    _ => return Err("argument must be a memory or percent value".to_owned()),
                }
            }
            _ => memory_i64(text).ok_or("argument must be a memory or percent value")?,
        },
        Unit::Octal => i64::from_str_radix(text, 8)
            .map_err(|_| "argument couldn't be parsed as an octal number")?,
    };
    if n < min || n > max {
        return Err(match unit {
            Unit::Octal => format!("argument must be between {min:o} and {max:o} inclusive"),
            _ => format!("argument must be between {min} and {max} inclusive"),
        });
    }
    Ok(n)
}

fn memory_i64(text: &str) -> Option<i64> {
    parse_memory(text).map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// A configuration error, naming what and where.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Directive { origin: String, message: String },
}

/// A directive and its values, with where it came from (for errors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub values: Vec<String>,
    pub origin: String,
}

impl Directive {
    /// The directive as Redis quotes it in errors: `port "6379" "6380"`.
    fn quoted(&self) -> String {
        let mut out = self.name.clone();
        for v in &self.values {
            out.push_str(&format!(" \"{v}\""));
        }
        out
    }
}

/// Split redis-server-style options into directives. See the module docs.
pub fn parse_options(args: &[String]) -> Result<Vec<Directive>, ConfigError> {
    let mut directives: Vec<Directive> = Vec::new();
    let mut expecting_value = false;
    for arg in args {
        // `--save` right before another option means `--save ""`, as in
        // redis-server.
        let bare_save = expecting_value
            && directives
                .last()
                .is_some_and(|d| d.name == "save" && d.values.is_empty());
        if bare_save && arg.starts_with("--") {
            if let Some(last) = directives.last_mut() {
                last.values.push(String::new());
            }
            expecting_value = false;
        }
        if let Some(name) = arg.strip_prefix("--").filter(|_| !expecting_value) {
            // "--port 6380" in one argument carries its value, split as a
            // config file line is ("--maxmemory '700mb'").
            let split = crate::resp::request::split_args(name.as_bytes()).unwrap_or_default();
            let mut words = split
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned());
            let name = words.next().unwrap_or_default();
            let values: Vec<String> = words.collect();
            expecting_value = values.is_empty();
            directives.push(Directive {
                origin: format!("option --{name}"),
                name: name.to_ascii_lowercase(),
                values,
            });
        } else if let Some(last) = directives.last_mut() {
            last.values.push(arg.clone());
            expecting_value = false;
        } else {
            // A bare first argument starts a directive too, as redis-server
            // reads `loglevel verbose` after the config file.
            directives.push(Directive {
                origin: format!("argument '{arg}'"),
                name: arg.to_ascii_lowercase(),
                values: Vec::new(),
            });
            expecting_value = true;
        }
    }
    if let Some(last) = directives.last_mut()
        && last.name == "save"
        && last.values.is_empty()
    {
        last.values.push(String::new());
    }
    Ok(directives)
}

/// How deep `include` may nest (a file including itself stops here).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Directives of a redis.conf-syntax text; `include` lines are replaced by
/// the directives of the files they name (a glob pattern may match none).
pub fn parse_file_text(text: &str, path: &Path) -> Result<Vec<Directive>, ConfigError> {
    let mut out = Vec::new();
    parse_text_into(text, path, 0, &mut out)?;
    Ok(out)
}

fn parse_text_into(
    text: &str,
    path: &Path,
    depth: usize,
    out: &mut Vec<Directive>,
) -> Result<(), ConfigError> {
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let origin = format!("{} line {}", path.display(), index + 1);
        let Some(words) = crate::resp::request::split_args(line.as_bytes()) else {
            return Err(ConfigError::Directive {
                origin,
                message: "unbalanced quotes".to_owned(),
            });
        };
        let mut words = words
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w).into_owned());
        let Some(name) = words.next() else { continue };
        let directive = Directive {
            name: name.to_ascii_lowercase(),
            values: words.collect(),
            origin,
        };
        if directive.name == "include" && directive.values.len() == 1 {
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(ConfigError::Directive {
                    origin: directive.origin,
                    message: format!("include nested more than {MAX_INCLUDE_DEPTH} levels deep"),
                });
            }
            for file in
                include_targets(&directive.values[0]).map_err(|message| ConfigError::Directive {
                    origin: directive.origin.clone(),
                    message,
                })?
            {
                let text = std::fs::read_to_string(&file).map_err(|source| ConfigError::Read {
                    path: file.clone(),
                    source,
                })?;
                parse_text_into(&text, &file, depth + 1, out)?;
            }
            continue;
        }
        out.push(directive);
    }
    Ok(())
}

/// The files an `include` names: the path itself, or (with * ? [ in its
/// last component) the matching files of that directory in name order.
fn include_targets(spec: &str) -> Result<Vec<PathBuf>, String> {
    let path = PathBuf::from(spec);
    if !spec.contains(['*', '?', '[']) {
        return Ok(vec![path]);
    }
    let pattern = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    if dir.to_string_lossy().contains(['*', '?', '[']) {
        return Err("include: a wildcard is allowed only in the file name".to_owned());
    }
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| crate::glob::matches(pattern.as_bytes(), e.file_name().as_encoded_bytes()))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

impl Config {
    /// Load `file` (if any) then apply `options`.
    pub fn load(file: Option<&Path>, options: &[String]) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let mut directives = Vec::new();
        if let Some(path) = file {
            let text = crate::input::read_text(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            directives.extend(parse_file_text(&text, path)?);
            config.config_file = Some(std::path::absolute(path).unwrap_or(path.to_owned()));
        }
        directives.extend(parse_options(options)?);
        for d in &directives {
            config
                .apply_directive(d)
                .map_err(|message| ConfigError::Directive {
                    origin: d.origin.clone(),
                    message: format!("'{}': {message}", d.quoted()),
                })?;
        }
        config.log_to_stdout =
            config.logfile.is_empty() && directives.iter().any(|d| d.name == "logfile");
        Ok(config)
    }

    /// Apply one directive of a file or of the command line.
    fn apply_directive(&mut self, d: &Directive) -> Result<(), String> {
        let name = d.name.as_str();
        let Some(param) = table::lookup(name) else {
            if table::DEPRECATED.contains(&name) && d.values.len() == 1 {
                return Ok(());
            }
            if name == "user" {
                return self.add_user(&d.values);
            }
            if name == "rename-command" {
                let [from, to] = &d.values[..] else {
                    return Err("wrong number of arguments".to_owned());
                };
                self.renamed_commands.push(RenamedCommand {
                    from: from.clone(),
                    to: to.clone(),
                    origin: format!("{}: '{}'", d.origin, d.quoted()),
                });
                return Ok(());
            }
            if table::NOT_PARAMETERS.contains(&name) {
                return Err(format!("sonde does not support the '{name}' directive yet"));
            }
            if name.contains('.') {
                return Err("module configs are not supported (sonde loads no modules)".to_owned());
            }
            let close = PARAMS
                .iter()
                .map(|p| p.name)
                .min_by_key(|known| strsim::levenshtein(known, name))
                .filter(|known| strsim::levenshtein(known, name) <= 2);
            return Err(match close {
                Some(known) => format!("unknown directive (did you mean '{known}'?)"),
                None => "unknown directive".to_owned(),
            });
        };
        if !param.has(table::MULTI_ARG) {
            if d.values.len() != 1 {
                return Err("wrong number of arguments".to_owned());
            }
            return self.set_args(param, &d.values, Source::File);
        }
        // One non-empty argument of a multi-word directive is split, so
        // `--save "900 1 300 10"` is four words.
        if let [one] = &d.values[..]
            && !one.is_empty()
        {
            let words: Vec<String> = crate::resp::request::split_args(one.as_bytes())
                .ok_or("unbalanced quotes")?
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect();
            return self.set_args(param, &words, Source::File);
        }
        self.set_args(param, &d.values, Source::File)
    }

    /// A `user` directive: the name and its rules (one argument holding
    /// spaces is split, as `--user "alice on >pw"`), loaded at startup.
    fn add_user(&mut self, values: &[String]) -> Result<(), String> {
        let words: Vec<String> = match values {
            [one] if one.contains(' ') => crate::resp::request::split_args(one.as_bytes())
                .ok_or("unbalanced quotes")?
                .into_iter()
                .map(|w| String::from_utf8_lossy(&w).into_owned())
                .collect(),
            _ => values.to_vec(),
        };
        let Some(name) = words.first() else {
            return Err("wrong number of arguments".to_owned());
        };
        if self.users.iter().any(|u| u.first() == Some(name)) {
            return Err(
                "Duplicate user found. A user can only be defined once in config files".to_owned(),
            );
        }
        self.users.push(words);
        Ok(())
    }

    /// Apply one directive by name (tests and tools).
    pub fn apply(&mut self, name: &str, values: &[String]) -> Result<(), String> {
        self.apply_directive(&Directive {
            name: name.to_ascii_lowercase(),
            values: values.to_vec(),
            origin: String::new(),
        })
    }

    /// CONFIG GET: (name, value) for every parameter matching any pattern
    /// (case-insensitive globs), each name once. A hidden parameter is
    /// listed only when asked by its exact name.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for pattern in patterns {
            if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                let name = String::from_utf8_lossy(pattern).into_owned();
                if let Some(param) = table::lookup(&name)
                    && seen.insert(name.to_ascii_lowercase())
                {
                    out.push((name, self.get(param)));
                }
                continue;
            }
            let names = PARAMS
                .iter()
                .map(|p| (p.name, p))
                .chain(PARAMS.iter().filter_map(|p| p.alias.map(|a| (a, p))));
            for (name, param) in names {
                if param.has(table::HIDDEN)
                    || !crate::glob::matches_nocase(pattern, name.as_bytes())
                    || !seen.insert(name.to_owned())
                {
                    continue;
                }
                out.push((name.to_owned(), self.get(param)));
            }
        }
        out
    }

    /// CONFIG SET of name/value pairs, all or nothing: every value is
    /// checked and set on a copy, which replaces `self` only when all
    /// succeeded. Returns what the server must apply for the parameters
    /// whose value changed. The error is the reply text Redis gives.
    pub fn config_set(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        local: bool,
    ) -> Result<Vec<(Apply, &'static str)>, String> {
        // The first problem in argument order is the answer, as in Redis.
        let mut chosen: Vec<(&'static Param, String)> = Vec::new();
        for (name, _) in pairs {
            let name = String::from_utf8_lossy(name).into_owned();
            let Some(param) = table::lookup(&name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
                ));
            };
            let failed = |why: &str| {
                format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
            };
            if param.has(table::IMMUTABLE) {
                return Err(failed("can't set immutable config"));
            }
            if param.has(table::PROTECTED) && !self.enable_protected_configs.permits(local) {
                return Err(failed("can't set protected config"));
            }
            // A parameter and its alias are two entries, as in Redis.
            if chosen.iter().any(|(_, n)| n.eq_ignore_ascii_case(&name)) {
                return Err(failed("duplicate parameter"));
            }
            chosen.push((param, name));
        }
        let mut next = self.clone();
        let mut applies = Vec::new();
        for ((param, _), (_, value)) in chosen.iter().zip(pairs) {
            let value = String::from_utf8_lossy(value).into_owned();
            let args: Vec<String> = if param.has(table::MULTI_ARG) {
                value
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            } else {
                vec![value]
            };
            let before = next.current(param);
            next.set_args(param, &args, Source::Set).map_err(|why| {
                format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
                    param.name
                )
            })?;
            if next.current(param) != before
                && param.apply != Apply::None
                && !applies.iter().any(|(a, _)| *a == param.apply)
            {
                applies.push((param.apply, param.name));
            }
        }
        *self = next;
        Ok(applies)
    }

    /// What a SIGTERM (`sigterm`) or SIGINT shutdown does, from
    /// shutdown-on-sigterm / shutdown-on-sigint: save or not (None: save if
    /// save points are configured), and whether to exit even when the
    /// final snapshot fails (`force`). sonde never waits for replicas, so
    /// `now` is what it always does.
    pub fn shutdown_on_signal(&self, sigterm: bool) -> (Option<bool>, bool) {
        let name = if sigterm {
            "shutdown-on-sigterm"
        } else {
            "shutdown-on-sigint"
        };
        let flags = match self.kept.get(name) {
            Some(Val::Text(t)) => t.clone(),
            _ => String::new(),
        };
        let has = |f: &str| flags.split(' ').any(|w| w == f);
        let save = if has("save") {
            Some(true)
        } else if has("nosave") {
            Some(false)
        } else {
            None
        };
        (save, has("force"))
    }

    /// CONFIG REWRITE: rewrite the file the server started from.
    pub fn rewrite(&self, force_all: bool) -> Result<(), String> {
        let Some(path) = &self.config_file else {
            return Err("The server is running without a config file".to_owned());
        };
        rewrite::rewrite_file(self, path, force_all)
    }
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

fn yes_no(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".to_owned()),
    }
}

/// Redis's memtoull: a number with an optional unit (k = 1000, kb = 1024,
/// m, mb, g, gb), case-insensitive.
pub fn parse_memory(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let multiplier: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.is_empty() {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    fn get(c: &Config, name: &str) -> String {
        c.get(table::lookup(name).unwrap())
    }

    #[test]
    fn options_take_values_up_to_the_next_option() {
        let d = parse_options(&strings(&[
            "--port",
            "7000",
            "--save",
            "900 1",
            "--save",
            "",
            "--replicaof",
            "127.0.0.1",
            "6379",
            "--requirepass",
            "--weird",
            "--save",
            "--loglevel",
            "verbose",
            "--save",
        ]))
        .unwrap();
        let bare = parse_options(&strings(&["loglevel", "verbose", "--maxmemory '0mb'"])).unwrap();
        assert_eq!(
            bare.iter()
                .map(|d| (d.name.as_str(), d.values.clone()))
                .collect::<Vec<_>>(),
            vec![
                ("loglevel", strings(&["verbose"])),
                ("maxmemory", strings(&["0mb"]))
            ]
        );
        let pairs: Vec<(&str, Vec<String>)> = d
            .iter()
            .map(|d| (d.name.as_str(), d.values.clone()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("port", strings(&["7000"])),
                ("save", strings(&["900 1"])),
                ("save", strings(&[""])),
                ("replicaof", strings(&["127.0.0.1", "6379"])),
                ("requirepass", strings(&["--weird"])),
                ("save", strings(&[""])),
                ("loglevel", strings(&["verbose"])),
                ("save", strings(&[""])),
            ]
        );
    }

    #[test]
    fn errors_name_the_directive_and_line() {
        let err = Config::load(None, &strings(&["--bogus", "1"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "option --bogus: 'bogus \"1\"': unknown directive"
        );
        let err = Config::load(None, &strings(&["--maxmemroy", "1"])).unwrap_err();
        assert!(
            err.to_string().ends_with("did you mean 'maxmemory'?)"),
            "{err}"
        );
        let err = Config::load(None, &strings(&["--io-threads", "2"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "option --io-threads: 'io-threads \"2\"': sonde does not support yet a value \
             other than the default (1) for 'io-threads'"
        );
        let err = Config::load(None, &strings(&["--port", "1", "2"])).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("'port \"1\" \"2\"': wrong number of arguments"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.conf");
        std::fs::write(&path, "# comment\nport 7001\n\nport abc\n").unwrap();
        let err = Config::load(Some(&path), &[]).unwrap_err().to_string();
        assert!(
            err.ends_with(
                "x.conf line 4: 'port \"abc\"': argument couldn't be parsed into an integer"
            ),
            "{err}"
        );
    }

    #[test]
    fn defaults_come_from_the_table() {
        let c = Config::default();
        assert_eq!(c.port, 6379);
        assert_eq!(c.databases, 16);
        assert_eq!(c.save, DEFAULT_SAVE.to_vec());
        assert_eq!(c.replica_output_limit.hard, 256 << 20);
        assert_eq!(c.encodings.list_max_listpack_size, -2);
        assert_eq!(get(&c, "maxmemory-policy"), "noeviction");
        assert_eq!(get(&c, "shutdown-on-sigterm"), "default");
        assert_eq!(get(&c, "unixsocketperm"), "0");
        assert_eq!(get(&c, "latency-tracking-info-percentiles"), "50 99 99.9");
        // Every default is accepted back by its own parser.
        for param in PARAMS {
            let mut c = Config::default();
            let value = c.get(param);
            if param.name == "bind" || param.name == "replicaof" {
                continue;
            }
            let args = if param.has(table::MULTI_ARG) {
                value.split(' ').map(str::to_owned).collect()
            } else {
                vec![value.clone()]
            };
            c.set_args(param, &args, Source::Set)
                .unwrap_or_else(|e| panic!("{} {value:?}: {e}", param.name));
            assert_eq!(c.get(param), value, "{}", param.name);
        }
    }

    #[test]
    fn values_are_parsed_as_redis_does() {
        let mut c = Config::default();
        c.apply("maxclients", &strings(&["100"])).unwrap();
        c.apply("auto-aof-rewrite-min-size", &strings(&["1GB"]))
            .unwrap();
        c.apply("slave-read-only", &strings(&["NO"])).unwrap();
        c.apply("appendfsync", &strings(&["ALWAYS"])).unwrap();
        c.apply("hz", &strings(&["1000"])).unwrap();
        c.apply("unixsocketperm", &strings(&["700"])).unwrap();
        c.apply("shutdown-on-sigint", &strings(&["nosave force now"]))
            .unwrap();
        c.apply("notify-keyspace-events", &strings(&[""])).unwrap();
        c.apply("list-max-ziplist-entries", &strings(&["1"]))
            .unwrap();
        assert_eq!(c.maxclients, 100);
        assert_eq!(c.auto_aof_rewrite_min_size, 1 << 30);
        assert!(!c.replica_read_only);
        assert_eq!(c.appendfsync, Fsync::Always);
        assert_eq!(c.hz, 500);
        assert_eq!(get(&c, "unixsocketperm"), "700");
        assert_eq!(get(&c, "shutdown-on-sigint"), "nosave now force");
        assert_eq!(
            c.apply("loglevel", &strings(&["loud"])).unwrap_err(),
            "argument(s) must be one of the following: debug, verbose, notice, warning"
        );
        assert_eq!(
            c.apply("maxclients", &strings(&["0"])).unwrap_err(),
            "argument must be between 1 and 4294967295 inclusive"
        );
        assert_eq!(
            c.apply("maxmemory-clients", &strings(&["200%"]))
                .unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert_eq!(
            c.apply("notify-keyspace-events", &strings(&["Q"]))
                .unwrap_err(),
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        );
        assert!(
            c.apply("notify-keyspace-events", &strings(&["KEA"]))
                .is_ok()
        );
        assert!(c.apply("daemonize", &strings(&["yes"])).is_ok());
        assert!(
            c.apply("rename-command", &strings(&["a", "b"])).is_err(),
            "not a parameter"
        );
        let user = |rules: &str| strings(&rules.split(' ').collect::<Vec<_>>());
        assert!(
            c.apply(
                "user",
                &user("default on nopass sanitize-payload ~* &* +@all")
            )
            .is_ok()
        );
        assert!(
            c.apply("user", &user("alice on nopass ~* &* +@all"))
                .is_ok()
        );
        assert!(
            c.apply("user", &user("alice on nopass ~* +@all"))
                .unwrap_err()
                .contains("Duplicate user")
        );
        assert_eq!(parse_memory("1mb"), Some(1 << 20));
        assert_eq!(parse_memory("2k"), Some(2000));
    }

    #[test]
    fn lenient_mode_keeps_unsupported_values_with_a_warning() {
        let mut c = Config {
            lenient: true,
            ..Config::default()
        };
        c.apply("notify-keyspace-events", &strings(&["KEA"]))
            .unwrap();
        c.apply("maxmemory", &strings(&["1mb"])).unwrap();
        c.apply("io-threads", &strings(&["4"])).unwrap();
        assert_eq!(get(&c, "notify-keyspace-events"), "AKE");
        assert_eq!(get(&c, "maxmemory"), "1048576");
        assert_eq!(get(&c, "io-threads"), "4");
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("io-threads"), "{:?}", c.warnings);
    }

    #[test]
    fn include_reads_other_files_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("conf.d")).unwrap();
        std::fs::write(d.join("conf.d/a.conf"), "maxclients 11\n").unwrap();
        std::fs::write(d.join("conf.d/b.conf"), "maxclients 22\ntimeout 5\n").unwrap();
        std::fs::write(
            d.join("loop.conf"),
            format!("include {}\n", d.join("loop.conf").display()),
        )
        .unwrap();
        let main = d.join("main.conf");
        std::fs::write(
            &main,
            format!(
                "maxclients 1\ninclude {}/conf.d/*.conf\ninclude {}/none/*.conf\n",
                d.display(),
                d.display()
            ),
        )
        .unwrap();
        let c = Config::load(Some(&main), &[]).unwrap();
        assert_eq!((c.maxclients, c.timeout), (22, 5));
        let err = Config::load(Some(&d.join("loop.conf")), &[]).unwrap_err();
        assert!(err.to_string().contains("nested more than"), "{err}");
    }

    #[test]
    fn config_set_is_all_or_nothing_with_redis_errors() {
        let mut c = Config::default();
        assert!(c.config_set(&[(b"hz", b"20")], true).is_ok());
        assert_eq!(c.hz, 20);
        assert_eq!(
            c.config_set(&[(b"dir", b"/tmp")], true).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(
            c.config_set(&[(b"hz", b"30"), (b"databases", b"1")], true)
                .unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
        );
        assert_eq!(c.hz, 20, "all or nothing");
        assert_eq!(
            c.config_set(&[(b"hz", b"30"), (b"timeout", b"x")], true)
                .unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"
        );
        assert_eq!(c.hz, 20, "rolled back");
        assert_eq!(
            c.config_set(&[(b"timeout", b"1"), (b"TIMEOUT", b"2")], true)
                .unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter"
        );
        assert_eq!(
            c.config_set(&[(b"nosuch", b"2"), (b"databases", b"1")], true)
                .unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
        );
        let applies = c
            .config_set(&[(b"loglevel", b"debug"), (b"save", b"10 1 20 2")], true)
            .unwrap();
        assert_eq!(applies, vec![(Apply::LogLevel, "loglevel")]);
        assert_eq!(get(&c, "save"), "10 1 20 2");
        let applies = c.config_set(&[(b"port", b"6379")], true).unwrap();
        assert!(applies.is_empty(), "an unchanged value applies nothing");
    }

    #[test]
    fn config_get_lists_aliases_and_hides_hidden() {
        let c = Config::default();
        let names = |patterns: &[&[u8]]| -> Vec<String> {
            c.get_matching(patterns)
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        let all = names(&[b"*"]);
        assert!(all.contains(&"slaveof".to_owned()) && all.contains(&"replicaof".to_owned()));
        assert!(!all.contains(&"key-load-delay".to_owned()));
        assert_eq!(names(&[b"key-load-delay"]), vec!["key-load-delay"]);
        assert_eq!(names(&[b"maxmemory", b"maxmemory*"]).len(), 5);
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
    }

    #[test]
    fn rewrite_keeps_comments_and_order() {
        let mut c = Config::default();
        c.apply("maxclients", &strings(&["77"])).unwrap();
        c.apply("save", &strings(&[""])).unwrap();
        c.apply("hash-max-listpack-entries", &strings(&["100"]))
            .unwrap();
        c.apply("auto-aof-rewrite-min-size", &strings(&["128mb"]))
            .unwrap();
        let old = "# top comment\nport 6379\nmaxclients 10\n\n\n# keep me\nhash-max-ziplist-entries 20\n\
                   hash-max-listpack-entries 21\nsave 900 1\nsave 300 10\nbogus-directive 1\n";
        let new = rewrite::render(&c, old, false);
        assert_eq!(
            new,
            "# top comment\nport 6379\nmaxclients 77\n\n# keep me\nhash-max-listpack-entries 100\n\n\
             save \"\"\n\n# ??? bogus-directive 1\n# Generated by CONFIG REWRITE\n\
             dir \"{}\"\nauto-aof-rewrite-min-size 128mb\n\
             latency-tracking-info-percentiles 50 99 99.9\n"
                .replace("{}", &get(&c, "dir"))
        );
        // Everything written by a forced rewrite loads back to the same values.
        let all = rewrite::render(&c, "", true);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("all.conf");
        std::fs::write(&path, &all).unwrap();
        let back = Config::load(Some(&path), &[]).unwrap();
        for param in PARAMS {
            assert_eq!(back.get(param), c.get(param), "{}", param.name);
        }
    }
}
