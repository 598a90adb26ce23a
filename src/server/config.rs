//! Server configuration: redis.conf-syntax files, redis-server-style
//! command-line directives (`--port 7000 --save "900 1"`), and the
//! parameter table behind CONFIG GET/SET.
//!
//! Command-line directives are applied after the file, as redis-server
//! appends them to the file's text. A directive takes every following
//! argument up to the next `--option`; the first argument after a
//! directive name is always a value, even when it starts with `--`. Errors
//! name the directive and, for files, the file and line. Directives Redis
//! knows but sonde does not implement yet are refused as such, so a config
//! file never silently means something else here.

use std::path::{Path, PathBuf};

/// `enable-debug-command` / `enable-protected-configs`: no, yes or local
/// (only from loopback connections).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allow {
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

    /// Whether a client (local or not) may use the protected feature.
    pub fn permits(self, local: bool) -> bool {
        self == Allow::Yes || (self == Allow::Local && local)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
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
}

/// client-output-buffer-limit for one class: a hard limit, and a soft limit
/// that may be exceeded for at most `soft_seconds`. 0 disables a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// `appendfsync`: when the append-only file is flushed to the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fsync {
    /// Before replying to the commands of every loop iteration.
    Always,
    /// Once per second, from a background thread.
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
}

/// One `save <seconds> <changes>` point: snapshot when at least `changes`
/// writes happened and more than `seconds` passed since the last save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    pub seconds: u64,
    pub changes: u64,
}

/// Every setting the server reads.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: Vec<String>,
    pub port: u16,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
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
    pub enable_debug_command: Allow,
    pub enable_protected_configs: Allow,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    /// `supervised`: no, upstart, systemd or auto (systemd when
    /// NOTIFY_SOCKET is set); sonde acts on systemd only.
    pub supervised: String,
    /// sonde's own: the loopback port of the Prometheus `/metrics`
    /// endpoint (0: off). Served on the first `bind` address.
    pub metrics_port: u16,
    pub latency_monitor_threshold: u64,
    /// The config file the server started from, if any (INFO config_file).
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
    pub appendonly: bool,
    pub appendfsync: Fsync,
    pub appendfilename: String,
    pub appenddirname: String,
    pub aof_use_rdb_preamble: bool,
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
    pub min_replicas_to_write: usize,
    pub min_replicas_max_lag: u64,
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

impl Default for Config {
    fn default() -> Config {
        Config {
            bind: vec!["127.0.0.1".to_owned()],
            port: 6379,
            protected_mode: true,
            requirepass: None,
            maxclients: 10_000,
            databases: 16,
            timeout: 0,
            tcp_keepalive: 300,
            hz: 10,
            proto_max_bulk_len: 512 << 20,
            client_query_buffer_limit: 1 << 30,
            output_limit: OutputLimit {
                hard: 0,
                soft: 0,
                soft_seconds: 0,
            },
            replica_output_limit: OutputLimit {
                hard: 256 << 20,
                soft: 64 << 20,
                soft_seconds: 60,
            },
            pubsub_output_limit: OutputLimit {
                hard: 32 << 20,
                soft: 8 << 20,
                soft_seconds: 60,
            },
            dir: PathBuf::from("."),
            dbfilename: "dump.rdb".to_owned(),
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            enable_debug_command: Allow::No,
            enable_protected_configs: Allow::No,
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            supervised: "no".to_owned(),
            metrics_port: 0,
            latency_monitor_threshold: 0,
            config_file: None,
            encodings: super::types::Limits::default(),
            save: DEFAULT_SAVE.to_vec(),
            save_loaded: false,
            stop_writes_on_bgsave_error: true,
            rdbcompression: true,
            rdb_key_save_delay: 0,
            appendonly: false,
            appendfsync: Fsync::Everysec,
            appendfilename: "appendonly.aof".to_owned(),
            appenddirname: "appendonlydir".to_owned(),
            aof_use_rdb_preamble: true,
            aof_load_truncated: true,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 << 20,
            no_appendfsync_on_rewrite: false,
            aof_disable_auto_gc: false,
            replicaof: None,
            masterauth: None,
            masteruser: None,
            repl_backlog_size: 1 << 20,
            repl_backlog_ttl: 3600,
            repl_ping_replica_period: 10,
            repl_timeout: 60,
            repl_diskless_sync: true,
            repl_diskless_sync_delay: 5,
            replica_read_only: true,
            replica_serve_stale_data: true,
            replica_announce_ip: None,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
        }
    }
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

/// How a parameter may change at runtime.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mutability {
    Runtime,
    /// Only at startup (CONFIG SET: "can't set immutable config").
    Immutable,
    /// Changes what files the server writes: only with
    /// enable-protected-configs.
    Protected,
}

/// One parameter CONFIG GET/SET knows.
struct Param {
    name: &'static str,
    mutability: Mutability,
    /// Takes several words (CONFIG SET splits its value on spaces).
    multi: bool,
}

const fn param(name: &'static str, mutability: Mutability) -> Param {
    Param {
        name,
        mutability,
        multi: false,
    }
}

const fn multi(name: &'static str, mutability: Mutability) -> Param {
    Param {
        name,
        mutability,
        multi: true,
    }
}

use Mutability::{Immutable, Protected, Runtime};

/// The supported parameters, in the order CONFIG GET * lists them.
const PARAMS: &[Param] = &[
    multi("bind", Immutable),
    param("port", Immutable),
    param("protected-mode", Runtime),
    param("requirepass", Runtime),
    param("maxclients", Runtime),
    param("databases", Immutable),
    param("timeout", Runtime),
    param("tcp-keepalive", Runtime),
    param("hz", Runtime),
    param("proto-max-bulk-len", Runtime),
    param("client-query-buffer-limit", Runtime),
    multi("client-output-buffer-limit", Runtime),
    param("dir", Protected),
    param("dbfilename", Protected),
    param("loglevel", Runtime),
    param("logfile", Immutable),
    param("enable-debug-command", Immutable),
    param("enable-protected-configs", Immutable),
    param("slowlog-log-slower-than", Runtime),
    param("slowlog-max-len", Runtime),
    param("latency-monitor-threshold", Runtime),
    param("supervised", Immutable),
    param("metrics-port", Immutable),
    param("hash-max-listpack-entries", Runtime),
    param("hash-max-ziplist-entries", Runtime),
    param("hash-max-listpack-value", Runtime),
    param("hash-max-ziplist-value", Runtime),
    param("set-max-intset-entries", Runtime),
    param("zset-max-listpack-entries", Runtime),
    param("zset-max-ziplist-entries", Runtime),
    param("zset-max-listpack-value", Runtime),
    param("zset-max-ziplist-value", Runtime),
    param("list-max-listpack-size", Runtime),
    param("list-max-ziplist-size", Runtime),
    param("list-compress-depth", Runtime),
    multi("save", Runtime),
    param("stop-writes-on-bgsave-error", Runtime),
    param("rdbcompression", Runtime),
    param("rdb-key-save-delay", Runtime),
    param("appendonly", Runtime),
    param("appendfsync", Runtime),
    param("appendfilename", Immutable),
    param("appenddirname", Immutable),
    param("aof-use-rdb-preamble", Runtime),
    param("aof-load-truncated", Runtime),
    param("auto-aof-rewrite-percentage", Runtime),
    param("auto-aof-rewrite-min-size", Runtime),
    param("no-appendfsync-on-rewrite", Runtime),
    param("aof-disable-auto-gc", Runtime),
    multi("replicaof", Immutable),
    param("masterauth", Runtime),
    param("masteruser", Runtime),
    param("repl-backlog-size", Runtime),
    param("repl-backlog-ttl", Runtime),
    param("repl-ping-replica-period", Runtime),
    param("repl-timeout", Runtime),
    param("repl-diskless-sync", Runtime),
    param("repl-diskless-sync-delay", Runtime),
    param("replica-read-only", Runtime),
    param("replica-serve-stale-data", Runtime),
    param("replica-announce-ip", Runtime),
    param("min-replicas-to-write", Runtime),
    param("min-replicas-max-lag", Runtime),
];

/// Old names Redis still accepts for a parameter.
const ALIASES: &[(&str, &str)] = &[
    ("slaveof", "replicaof"),
    ("repl-ping-slave-period", "repl-ping-replica-period"),
    ("slave-read-only", "replica-read-only"),
    ("slave-serve-stale-data", "replica-serve-stale-data"),
    ("slave-announce-ip", "replica-announce-ip"),
    ("min-slaves-to-write", "min-replicas-to-write"),
    ("min-slaves-max-lag", "min-replicas-max-lag"),
];

/// The parameter a name (or an old alias) stands for.
fn canonical(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, real)| real)
}

/// Directives redis-server 7.0 knows that sonde does not implement (yet).
const KNOWN_ELSEWHERE: &[&str] = &[
    "acl-pubsub-default",
    "aclfile",
    "acllog-max-len",
    "active-defrag-cycle-max",
    "active-defrag-cycle-min",
    "active-defrag-ignore-bytes",
    "active-defrag-max-scan-fields",
    "active-defrag-threshold-lower",
    "active-defrag-threshold-upper",
    "active-expire-effort",
    "activedefrag",
    "activerehashing",
    "always-show-logo",
    "aof-rewrite-incremental-fsync",
    "aof-timestamp-enabled",
    "bind-source-addr",
    "busy-reply-threshold",
    "cluster-config-file",
    "cluster-enabled",
    "cluster-node-timeout",
    "cluster-port",
    "crash-log-enabled",
    "crash-memcheck-enabled",
    "daemonize",
    "disable-thp",
    "dynamic-hz",
    "enable-module-command",
    "hll-sparse-max-bytes",
    "ignore-warnings",
    "include",
    "io-threads",
    "io-threads-do-reads",
    "jemalloc-bg-thread",
    "latency-tracking",
    "latency-tracking-info-percentiles",
    "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del",
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "lfu-decay-time",
    "lfu-log-factor",
    "loadmodule",
    "lua-time-limit",
    "maxmemory",
    "maxmemory-clients",
    "maxmemory-eviction-tenacity",
    "maxmemory-policy",
    "maxmemory-samples",
    "notify-keyspace-events",
    "oom-score-adj",
    "oom-score-adj-values",
    "pidfile",
    "proc-title-template",
    "propagation-error-behavior",
    "rdb-del-sync-files",
    "rdb-key-save-delay",
    "rdb-save-incremental-fsync",
    "rdbchecksum",
    "rename-command",
    "repl-disable-tcp-nodelay",
    "repl-diskless-load",
    "repl-diskless-sync-max-replicas",
    "replica-announce-port",
    "replica-ignore-maxmemory",
    "replica-lazy-flush",
    "replica-priority",
    "sanitize-dump-payload",
    "sentinel",
    "set-proc-title",
    "shutdown-on-sigint",
    "shutdown-on-sigterm",
    "shutdown-timeout",
    "stream-node-max-bytes",
    "stream-node-max-entries",
    "syslog-enabled",
    "syslog-facility",
    "syslog-ident",
    "tcp-backlog",
    "tls-port",
    "tracking-table-max-keys",
    "unixsocket",
    "unixsocketperm",
    "user",
    "watchdog-period",
];

/// A directive and its values, with where it came from (for errors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub values: Vec<String>,
    pub origin: String,
}

/// Split redis-server-style options into directives. See the module docs.
pub fn parse_options(args: &[String]) -> Result<Vec<Directive>, ConfigError> {
    let mut directives: Vec<Directive> = Vec::new();
    let mut expecting_value = false;
    for arg in args {
        if let Some(name) = arg.strip_prefix("--").filter(|_| !expecting_value) {
            // "--port 6380" in one argument carries its value.
            let mut words = name.split_whitespace().map(str::to_owned);
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
            return Err(ConfigError::Directive {
                origin: format!("argument '{arg}'"),
                message: "expected a --directive (the config file, if any, comes first)".to_owned(),
            });
        }
    }
    Ok(directives)
}

/// Directives of a redis.conf-syntax text.
pub fn parse_file_text(text: &str, path: &Path) -> Result<Vec<Directive>, ConfigError> {
    let mut out = Vec::new();
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
        out.push(Directive {
            name: name.to_ascii_lowercase(),
            values: words.collect(),
            origin,
        });
    }
    Ok(out)
}

impl Config {
    /// Load `file` (if any) then apply `options`.
    pub fn load(file: Option<&Path>, options: &[String]) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let mut directives = Vec::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            directives.extend(parse_file_text(&text, path)?);
            config.config_file = Some(std::path::absolute(path).unwrap_or(path.to_owned()));
        }
        directives.extend(parse_options(options)?);
        for d in &directives {
            config
                .apply(&d.name, &d.values)
                .map_err(|message| ConfigError::Directive {
                    origin: d.origin.clone(),
                    message,
                })?;
        }
        Ok(config)
    }

    /// Apply one directive. The error explains the problem (the caller adds
    /// where it was).
    pub fn apply(&mut self, name: &str, values: &[String]) -> Result<(), String> {
        let name = canonical(name);
        let Some(param) = PARAMS.iter().find(|p| p.name == name) else {
            if KNOWN_ELSEWHERE.contains(&name) {
                return Err(format!(
                    "'{name}' is a redis-server directive that sonde does not support yet"
                ));
            }
            return Err(format!("unknown directive '{name}'"));
        };
        if !param.multi && values.len() != 1 {
            return Err(format!("'{name}' takes one value, got {}", values.len()));
        }
        self.set_value(name, values)
            .map_err(|e| format!("'{name}': {e}"))
    }

    fn set_value(&mut self, name: &str, values: &[String]) -> Result<(), String> {
        let one = values.first().map(String::as_str).unwrap_or("");
        match name {
            "bind" => {
                // `--bind "127.0.0.1 -::1"` is two addresses, as in Redis.
                let addrs: Vec<String> = values
                    .iter()
                    .flat_map(|v| v.split_whitespace())
                    .map(str::to_owned)
                    .collect();
                if addrs.is_empty() {
                    return Err("needs at least one address".to_owned());
                }
                self.bind = addrs;
            }
            "port" => self.port = int_in(one, 0, 65535)? as u16,
            "protected-mode" => self.protected_mode = yes_no(one)?,
            "requirepass" => {
                self.requirepass = (!one.is_empty()).then(|| one.as_bytes().to_vec());
            }
            "maxclients" => self.maxclients = int_in(one, 1, i64::from(i32::MAX))? as usize,
            "databases" => self.databases = int_in(one, 1, i64::from(i32::MAX))? as usize,
            "timeout" => self.timeout = int_in(one, 0, i64::from(i32::MAX))? as u64,
            "tcp-keepalive" => self.tcp_keepalive = int_in(one, 0, i64::from(i32::MAX))? as u64,
            "hz" => self.hz = int_in(one, 0, i64::from(i32::MAX))?.clamp(1, 500) as u32,
            "proto-max-bulk-len" => {
                self.proto_max_bulk_len = memory_in(one, 1 << 20, i64::MAX as u64)?
            }
            "client-query-buffer-limit" => {
                self.client_query_buffer_limit = memory_in(one, 1 << 20, i64::MAX as u64)?
            }
            "client-output-buffer-limit" => self.set_output_limits(values)?,
            "dir" => {
                let dir = PathBuf::from(one);
                if !dir.is_dir() {
                    return Err(format!("no such directory: {one}"));
                }
                self.dir = dir;
            }
            "dbfilename" => {
                if one.contains('/') {
                    return Err("dbfilename can't be a path, just a filename".to_owned());
                }
                self.dbfilename = one.to_owned();
            }
            "loglevel" => {
                self.loglevel = match one.to_ascii_lowercase().as_str() {
                    "debug" => LogLevel::Debug,
                    "verbose" => LogLevel::Verbose,
                    "notice" => LogLevel::Notice,
                    "warning" => LogLevel::Warning,
                    _ => {
                        return Err("argument(s) must be one of the following: debug, verbose, \
                                    notice, warning, nothing"
                            .to_owned());
                    }
                }
            }
            "logfile" => self.logfile = one.to_owned(),
            "enable-debug-command" => self.enable_debug_command = allow(one)?,
            "enable-protected-configs" => self.enable_protected_configs = allow(one)?,
            "slowlog-log-slower-than" => self.slowlog_log_slower_than = int_in(one, -1, i64::MAX)?,
            "slowlog-max-len" => self.slowlog_max_len = int_in(one, 0, i64::MAX)? as u64,
            "supervised" => {
                let mode = one.to_ascii_lowercase();
                if !["no", "upstart", "systemd", "auto"].contains(&mode.as_str()) {
                    return Err("expected no, upstart, systemd or auto".to_owned());
                }
                self.supervised = mode;
            }
            "metrics-port" => self.metrics_port = int_in(one, 0, 65535)? as u16,
            "latency-monitor-threshold" => {
                self.latency_monitor_threshold = int_in(one, 0, i64::MAX)? as u64
            }
            "hash-max-listpack-entries" | "hash-max-ziplist-entries" => {
                self.encodings.hash_max_listpack_entries = int_in(one, 0, i64::MAX)? as usize
            }
            "hash-max-listpack-value" | "hash-max-ziplist-value" => {
                self.encodings.hash_max_listpack_value =
                    memory_in(one, 0, i64::MAX as u64)? as usize
            }
            "set-max-intset-entries" => {
                self.encodings.set_max_intset_entries = int_in(one, 0, i64::MAX)? as usize
            }
            "zset-max-listpack-entries" | "zset-max-ziplist-entries" => {
                self.encodings.zset_max_listpack_entries = int_in(one, 0, i64::MAX)? as usize
            }
            "zset-max-listpack-value" | "zset-max-ziplist-value" => {
                self.encodings.zset_max_listpack_value =
                    memory_in(one, 0, i64::MAX as u64)? as usize
            }
            "list-max-listpack-size" | "list-max-ziplist-size" => {
                self.encodings.list_max_listpack_size =
                    int_in(one, i64::from(i32::MIN), i64::from(i32::MAX))?
            }
            "list-compress-depth" => {
                self.encodings.list_compress_depth = int_in(one, 0, i64::from(i32::MAX))?
            }
            "save" => self.set_save(values)?,
            "stop-writes-on-bgsave-error" => self.stop_writes_on_bgsave_error = yes_no(one)?,
            "rdbcompression" => self.rdbcompression = yes_no(one)?,
            "rdb-key-save-delay" => {
                self.rdb_key_save_delay = int_in(one, i64::from(i32::MIN), i64::from(i32::MAX))?
            }
            "appendonly" => self.appendonly = yes_no(one)?,
            "appendfsync" => {
                self.appendfsync = match one.to_ascii_lowercase().as_str() {
                    "always" => Fsync::Always,
                    "everysec" => Fsync::Everysec,
                    "no" => Fsync::No,
                    _ => {
                        return Err(
                            "argument(s) must be one of the following: always, everysec, no"
                                .to_owned(),
                        );
                    }
                }
            }
            "appendfilename" => {
                if one.is_empty() {
                    return Err("appendfilename can't be empty".to_owned());
                }
                if one.contains('/') || one == "." || one == ".." {
                    return Err("appendfilename can't be a path, just a filename".to_owned());
                }
                self.appendfilename = one.to_owned();
            }
            "appenddirname" => {
                if one.is_empty() {
                    return Err("appenddirname can't be empty".to_owned());
                }
                if one.contains('/') || one == "." || one == ".." {
                    return Err("appenddirname can't be a path, just a dirname".to_owned());
                }
                self.appenddirname = one.to_owned();
            }
            "aof-use-rdb-preamble" => self.aof_use_rdb_preamble = yes_no(one)?,
            "aof-load-truncated" => self.aof_load_truncated = yes_no(one)?,
            "auto-aof-rewrite-percentage" => {
                self.auto_aof_rewrite_percentage = int_in(one, 0, i64::from(i32::MAX))? as u64
            }
            "auto-aof-rewrite-min-size" => {
                self.auto_aof_rewrite_min_size = memory_in(one, 0, i64::MAX as u64)?
            }
            "no-appendfsync-on-rewrite" => self.no_appendfsync_on_rewrite = yes_no(one)?,
            "aof-disable-auto-gc" => self.aof_disable_auto_gc = yes_no(one)?,
            "replicaof" => {
                let words: Vec<&str> = values.iter().flat_map(|v| v.split_whitespace()).collect();
                self.replicaof = match words[..] {
                    [] => None,
                    [no, one]
                        if no.eq_ignore_ascii_case("no") && one.eq_ignore_ascii_case("one") =>
                    {
                        None
                    }
                    [host, port] => Some((host.to_owned(), int_in(port, 0, 65535)? as u16)),
                    _ => return Err("expected <host> <port>".to_owned()),
                };
            }
            "masterauth" => self.masterauth = (!one.is_empty()).then(|| one.to_owned()),
            "masteruser" => self.masteruser = (!one.is_empty()).then(|| one.to_owned()),
            "repl-backlog-size" => self.repl_backlog_size = memory_in(one, 1, i64::MAX as u64)?,
            "repl-backlog-ttl" => self.repl_backlog_ttl = int_in(one, 0, i64::MAX)? as u64,
            "repl-ping-replica-period" => {
                self.repl_ping_replica_period = int_in(one, 1, i64::from(i32::MAX))? as u64
            }
            "repl-timeout" => self.repl_timeout = int_in(one, 1, i64::from(i32::MAX))? as u64,
            "repl-diskless-sync" => self.repl_diskless_sync = yes_no(one)?,
            "repl-diskless-sync-delay" => {
                self.repl_diskless_sync_delay = int_in(one, 0, i64::from(i32::MAX))? as u64
            }
            "replica-read-only" => self.replica_read_only = yes_no(one)?,
            "replica-serve-stale-data" => self.replica_serve_stale_data = yes_no(one)?,
            "replica-announce-ip" => {
                self.replica_announce_ip = (!one.is_empty()).then(|| one.to_owned())
            }
            "min-replicas-to-write" => {
                self.min_replicas_to_write = int_in(one, 0, i64::from(i32::MAX))? as usize
            }
            "min-replicas-max-lag" => {
                self.min_replicas_max_lag = int_in(one, 0, i64::from(i32::MAX))? as u64
            }
            _ => return Err("unknown directive".to_owned()),
        }
        Ok(())
    }

    /// `save <seconds> <changes> [...]`; `save ""` removes every point. The
    /// first directive replaces the defaults; later ones add points.
    fn set_save(&mut self, values: &[String]) -> Result<(), String> {
        let words: Vec<&str> = values.iter().flat_map(|v| v.split_whitespace()).collect();
        if !words.len().is_multiple_of(2) {
            return Err("Invalid save parameters".to_owned());
        }
        let mut points = Vec::new();
        for pair in words.chunks(2) {
            let number = |w: &str| crate::resp::number::string2ll(w.as_bytes());
            match (number(pair[0]), number(pair[1])) {
                (Some(seconds), Some(changes)) if seconds >= 1 && changes >= 0 => {
                    points.push(SavePoint {
                        seconds: seconds as u64,
                        changes: changes as u64,
                    })
                }
                _ => return Err("Invalid save parameters".to_owned()),
            }
        }
        if !self.save_loaded || words.is_empty() {
            self.save.clear();
            self.save_loaded = true;
        }
        self.save.extend(points);
        Ok(())
    }

    fn set_output_limits(&mut self, values: &[String]) -> Result<(), String> {
        let words: Vec<&str> = values.iter().flat_map(|v| v.split_whitespace()).collect();
        if words.is_empty() || !words.len().is_multiple_of(4) {
            return Err("wrong number of arguments in buffer limit configuration.".to_owned());
        }
        let mut updated = Vec::new();
        for group in words.chunks(4) {
            let limit = OutputLimit {
                hard: memory_in(group[1], 0, u64::MAX).map_err(|_| bad_limit())?,
                soft: memory_in(group[2], 0, u64::MAX).map_err(|_| bad_limit())?,
                soft_seconds: group[3]
                    .parse::<u64>()
                    .map_err(|_| "Error in soft_seconds setting in buffer limit configuration.")?,
            };
            let class = group[0].to_ascii_lowercase();
            if !matches!(class.as_str(), "normal" | "replica" | "slave" | "pubsub") {
                return Err(
                    "Invalid client class specified in buffer limit configuration.".to_owned(),
                );
            }
            updated.push((class, limit));
        }
        for (class, limit) in updated {
            match class.as_str() {
                "normal" => self.output_limit = limit,
                "pubsub" => self.pubsub_output_limit = limit,
                _ => self.replica_output_limit = limit,
            }
        }
        Ok(())
    }

    /// The value CONFIG GET shows for a supported parameter.
    fn get_value(&self, name: &str) -> String {
        let limit = |l: &OutputLimit| format!("{} {} {}", l.hard, l.soft, l.soft_seconds);
        match name {
            "bind" => self.bind.join(" "),
            "port" => self.port.to_string(),
            "protected-mode" => yes(self.protected_mode),
            "requirepass" => self
                .requirepass
                .as_deref()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default(),
            "maxclients" => self.maxclients.to_string(),
            "databases" => self.databases.to_string(),
            "timeout" => self.timeout.to_string(),
            "tcp-keepalive" => self.tcp_keepalive.to_string(),
            "hz" => self.hz.to_string(),
            "proto-max-bulk-len" => self.proto_max_bulk_len.to_string(),
            "client-query-buffer-limit" => self.client_query_buffer_limit.to_string(),
            "client-output-buffer-limit" => format!(
                "normal {} slave {} pubsub {}",
                limit(&self.output_limit),
                limit(&self.replica_output_limit),
                limit(&self.pubsub_output_limit)
            ),
            "dir" => std::path::absolute(&self.dir)
                .unwrap_or(self.dir.clone())
                .display()
                .to_string(),
            "dbfilename" => self.dbfilename.clone(),
            "loglevel" => self.loglevel.name().to_owned(),
            "logfile" => self.logfile.clone(),
            "enable-debug-command" => self.enable_debug_command.name().to_owned(),
            "enable-protected-configs" => self.enable_protected_configs.name().to_owned(),
            "slowlog-log-slower-than" => self.slowlog_log_slower_than.to_string(),
            "slowlog-max-len" => self.slowlog_max_len.to_string(),
            "supervised" => self.supervised.clone(),
            "metrics-port" => self.metrics_port.to_string(),
            "latency-monitor-threshold" => self.latency_monitor_threshold.to_string(),
            "hash-max-listpack-entries" | "hash-max-ziplist-entries" => {
                self.encodings.hash_max_listpack_entries.to_string()
            }
            "hash-max-listpack-value" | "hash-max-ziplist-value" => {
                self.encodings.hash_max_listpack_value.to_string()
            }
            "set-max-intset-entries" => self.encodings.set_max_intset_entries.to_string(),
            "zset-max-listpack-entries" | "zset-max-ziplist-entries" => {
                self.encodings.zset_max_listpack_entries.to_string()
            }
            "zset-max-listpack-value" | "zset-max-ziplist-value" => {
                self.encodings.zset_max_listpack_value.to_string()
            }
            "list-max-listpack-size" | "list-max-ziplist-size" => {
                self.encodings.list_max_listpack_size.to_string()
            }
            "list-compress-depth" => self.encodings.list_compress_depth.to_string(),
            "save" => self
                .save
                .iter()
                .map(|p| format!("{} {}", p.seconds, p.changes))
                .collect::<Vec<_>>()
                .join(" "),
            "stop-writes-on-bgsave-error" => yes(self.stop_writes_on_bgsave_error),
            "rdbcompression" => yes(self.rdbcompression),
            "rdb-key-save-delay" => self.rdb_key_save_delay.to_string(),
            "appendonly" => yes(self.appendonly),
            "appendfsync" => self.appendfsync.name().to_owned(),
            "appendfilename" => self.appendfilename.clone(),
            "appenddirname" => self.appenddirname.clone(),
            "aof-use-rdb-preamble" => yes(self.aof_use_rdb_preamble),
            "aof-load-truncated" => yes(self.aof_load_truncated),
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage.to_string(),
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size.to_string(),
            "no-appendfsync-on-rewrite" => yes(self.no_appendfsync_on_rewrite),
            "aof-disable-auto-gc" => yes(self.aof_disable_auto_gc),
            "replicaof" => self
                .replicaof
                .as_ref()
                .map(|(h, p)| format!("{h} {p}"))
                .unwrap_or_default(),
            "masterauth" => self.masterauth.clone().unwrap_or_default(),
            "masteruser" => self.masteruser.clone().unwrap_or_default(),
            "repl-backlog-size" => self.repl_backlog_size.to_string(),
            "repl-backlog-ttl" => self.repl_backlog_ttl.to_string(),
            "repl-ping-replica-period" => self.repl_ping_replica_period.to_string(),
            "repl-timeout" => self.repl_timeout.to_string(),
            "repl-diskless-sync" => yes(self.repl_diskless_sync),
            "repl-diskless-sync-delay" => self.repl_diskless_sync_delay.to_string(),
            "replica-read-only" => yes(self.replica_read_only),
            "replica-serve-stale-data" => yes(self.replica_serve_stale_data),
            "replica-announce-ip" => self.replica_announce_ip.clone().unwrap_or_default(),
            "min-replicas-to-write" => self.min_replicas_to_write.to_string(),
            "min-replicas-max-lag" => self.min_replicas_max_lag.to_string(),
            _ => String::new(),
        }
    }

    /// CONFIG GET: (name, value) for every parameter matching any pattern
    /// (case-insensitive globs), each parameter once.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(&'static str, String)> {
        PARAMS
            .iter()
            .filter(|p| {
                patterns
                    .iter()
                    .any(|pat| crate::glob::matches_nocase(pat, p.name.as_bytes()))
            })
            .map(|p| (p.name, self.get_value(p.name)))
            .chain(
                ALIASES
                    .iter()
                    .filter(|(alias, _)| {
                        patterns
                            .iter()
                            .any(|pat| crate::glob::matches_nocase(pat, alias.as_bytes()))
                    })
                    .map(|&(alias, real)| (alias, self.get_value(real))),
            )
            .collect()
    }

    /// CONFIG SET of name/value pairs, all or nothing. The error is the
    /// reply text Redis gives.
    pub fn config_set(&mut self, pairs: &[(&[u8], &[u8])], local: bool) -> Result<(), String> {
        let mut next = self.clone();
        for (i, (name, value)) in pairs.iter().enumerate() {
            let name = canonical(&String::from_utf8_lossy(name).to_ascii_lowercase()).to_owned();
            let value = String::from_utf8_lossy(value).into_owned();
            if pairs[..i]
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter"
                ));
            }
            let failed = |why: &str| {
                format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
            };
            let Some(param) = PARAMS.iter().find(|p| p.name == name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
                ));
            };
            match param.mutability {
                Immutable => return Err(failed("can't set immutable config")),
                Protected if !self.enable_protected_configs.permits(local) => {
                    return Err(failed("can't set protected config"));
                }
                _ => {}
            }
            let values = if param.multi {
                value.split_whitespace().map(str::to_owned).collect()
            } else {
                vec![value]
            };
            if name == "save" {
                // CONFIG SET replaces every point.
                next.save_loaded = false;
            }
            next.set_value(&name, &values).map_err(|e| failed(&e))?;
        }
        *self = next;
        Ok(())
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

fn allow(text: &str) -> Result<Allow, String> {
    match text.to_ascii_lowercase().as_str() {
        "yes" => Ok(Allow::Yes),
        "no" => Ok(Allow::No),
        "local" => Ok(Allow::Local),
        _ => Err("argument(s) must be one of the following: no, yes, local".to_owned()),
    }
}

fn int_in(text: &str, min: i64, max: i64) -> Result<i64, String> {
    let n = crate::resp::number::string2ll(text.as_bytes())
        .ok_or("argument couldn't be parsed into an integer")?;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

fn bad_limit() -> String {
    "Error in hard or soft limit setting in buffer limit configuration.".to_owned()
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

fn memory_in(text: &str, min: u64, max: u64) -> Result<u64, String> {
    let n = parse_memory(text).ok_or("argument must be a memory value")?;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
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
        ]))
        .unwrap();
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
            ]
        );
    }

    #[test]
    fn errors_name_the_directive_and_line() {
        let err = Config::load(None, &strings(&["--bogus", "1"])).unwrap_err();
        assert_eq!(err.to_string(), "option --bogus: unknown directive 'bogus'");
        let err = Config::load(None, &strings(&["--maxmemory", "1gb"])).unwrap_err();
        assert!(err.to_string().contains("does not support yet"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.conf");
        std::fs::write(&path, "# comment\nport 7001\n\nport abc\n").unwrap();
        let err = Config::load(Some(&path), &[]).unwrap_err().to_string();
        assert!(
            err.ends_with("x.conf line 4: 'port': argument couldn't be parsed into an integer"),
            "{err}"
        );
    }

    #[test]
    fn config_set_checks_mutability() {
        let mut c = Config::default();
        assert!(c.config_set(&[(b"hz", b"20")], true).is_ok());
        assert_eq!(c.hz, 20);
        assert_eq!(
            c.config_set(&[(b"dir", b"/tmp")], true).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert!(
            c.config_set(&[(b"hz", b"30"), (b"port", b"1")], true)
                .is_err()
        );
        assert_eq!(c.hz, 20, "all or nothing");
        assert_eq!(parse_memory("1mb"), Some(1 << 20));
        assert_eq!(parse_memory("2k"), Some(2000));
    }
}
