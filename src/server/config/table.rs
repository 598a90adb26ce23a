//! The parameter table: one descriptor per redis.conf directive of Redis
//! 7.0 (name, old alias, type with default and bounds, flags, where the
//! value lives, what must happen when CONFIG SET changes it). Config files,
//! `--directive` options, CONFIG GET/SET and CONFIG REWRITE all read it, so
//! a parameter is added here and nowhere else (plus a field of `Config`
//! when the server reads it).
//!
//! Where a value lives (`Access`):
//! - a typed field of `Config`, read by the server (`live`);
//! - `Kept`: the value is validated and remembered for CONFIG GET and
//!   REWRITE, but changes nothing in sonde (a tuning knob of an engine
//!   sonde does not have, such as jemalloc or lazy freeing, or a knob of a
//!   feature that is off at its default, such as the cluster-* settings
//!   while cluster-enabled is no);
//! - `Later`: the feature is not built yet; only the default value is
//!   accepted and anything else is an error naming the directive.

use super::lines::{Rewrite, Source};
use super::{Allow, Config, Fsync, LogLevel, Policy, special};

/// CONFIG SET refuses it: only a config file or option sets it.
pub const IMMUTABLE: u8 = 1;
/// CONFIG SET needs enable-protected-configs.
pub const PROTECTED: u8 = 2;
/// Listed by CONFIG GET only when asked by its exact name.
pub const HIDDEN: u8 = 4;
/// Its value is a secret (passwords).
pub const SENSITIVE: u8 = 8;
/// Several words (`save 900 1 300 10`); one argument holding spaces is split.
pub const MULTI_ARG: u8 = 16;

/// How a number is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Unit {
    Plain,
    /// A byte count with an optional unit (1gb, 64mb, 100k).
    Memory,
    /// A memory value, or a percentage stored as a negative number.
    MemoryPercent,
    /// An octal number (unixsocketperm).
    Octal,
}

/// A string parameter's own check (the error is Redis's text).
pub type Check = fn(&str) -> Result<(), String>;

/// The value type of a parameter, with its default and bounds.
pub enum Kind {
    Bool(bool),
    Int {
        default: i64,
        min: i64,
        max: i64,
        unit: Unit,
    },
    /// One word out of `values`.
    Enum {
        values: &'static [&'static str],
        default: &'static str,
    },
    /// Several words out of `values` (shutdown-on-sigint).
    Flags {
        values: &'static [&'static str],
        default: &'static str,
    },
    Str {
        default: &'static str,
        /// An empty value means "not set": CONFIG REWRITE leaves it out.
        empty_is_unset: bool,
        check: Option<Check>,
    },
    /// A parameter with its own syntax (save, bind, client-output-buffer-limit…).
    Special {
        set: fn(&mut Config, &[String], Source) -> Result<(), String>,
        get: fn(&Config) -> String,
        rewrite: fn(&Config, &str, &mut Rewrite),
    },
}

/// Where the value lives. See the module docs.
pub enum Access {
    Bool(fn(&Config) -> bool, fn(&mut Config, bool)),
    Int(fn(&Config) -> i64, fn(&mut Config, i64)),
    Text(fn(&Config) -> String, fn(&mut Config, &str)),
    Kept,
    Later,
}

/// What the running server must do when CONFIG SET changes a parameter.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Apply {
    None,
    /// Compact-encoding thresholds of the value types.
    Encodings,
    /// `sanitize-dump-payload`, as snapshot loading reads it.
    SanitizeDump,
    LogLevel,
    /// Start or stop the append-only file.
    Appendonly,
    /// Listening sockets (port, bind): not changeable at runtime yet.
    Listeners,
    /// Keyspace notifications (`notify-keyspace-events`).
    Notifications,
    /// The process title (`proc-title-template`).
    ProcTitle,
    /// The process's oom_score_adj (`oom-score-adj`, its values).
    OomScore,
    /// `#TS:` annotations in the AOF (`aof-timestamp-enabled`).
    AofTimestamps,
    /// `aof-disable-auto-gc no` deletes the history files at once.
    AofAutoGc,
    /// requirepass: the default user's password.
    RequirePass,
    /// maxmemory: evict now when over the new limit.
    Maxmemory,
    /// maxmemory-policy, lfu-log-factor, lfu-decay-time: how key accesses
    /// are stamped (LRU clock or LFU counter).
    Access,
    /// maxmemory-clients: evict clients now when over the new limit.
    ClientEviction,
    /// tls-auth-clients: the TLS listeners' configuration is rebuilt (for
    /// connections accepted from now on).
    Tls,
}

/// One parameter.
pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u8,
    pub kind: Kind,
    pub access: Access,
    pub apply: Apply,
}

impl Param {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

const fn p(name: &'static str, flags: u8, kind: Kind, access: Access) -> Param {
    Param {
        name,
        alias: None,
        flags,
        kind,
        access,
        apply: Apply::None,
    }
}

impl Param {
    const fn alias(mut self, alias: &'static str) -> Param {
        self.alias = Some(alias);
        self
    }

    const fn apply(mut self, apply: Apply) -> Param {
        self.apply = apply;
        self
    }
}

const M: u8 = 0;
const I32: i64 = i32::MAX as i64;
const I64: i64 = i64::MAX;

const fn int(default: i64, min: i64, max: i64) -> Kind {
    Kind::Int {
        default,
        min,
        max,
        unit: Unit::Plain,
    }
}

const fn mem(default: i64, min: i64, max: i64) -> Kind {
    Kind::Int {
        default,
        min,
        max,
        unit: Unit::Memory,
    }
}

const fn en(values: &'static [&'static str], default: &'static str) -> Kind {
    Kind::Enum { values, default }
}

const fn text(default: &'static str) -> Kind {
    Kind::Str {
        default,
        empty_is_unset: false,
        check: None,
    }
}

/// A string whose empty value means "not set".
const fn opt() -> Kind {
    Kind::Str {
        default: "",
        empty_is_unset: true,
        check: None,
    }
}

const fn checked(default: &'static str, check: Check) -> Kind {
    Kind::Str {
        default,
        empty_is_unset: false,
        check: Some(check),
    }
}

use Access::{Kept, Later};

/// A typed boolean field.
macro_rules! b {
    ($($f:ident).+) => {
        Access::Bool(|c| c.$($f).+, |c, v| c.$($f).+ = v)
    };
}

/// A typed integer field (the table's bounds fit the field's type).
macro_rules! i {
    ($($f:ident).+) => {
        Access::Int(|c| c.$($f).+ as i64, |c, v| c.$($f).+ = v as _)
    };
}

/// A typed optional-string field (empty = None).
macro_rules! o {
    ($f:ident) => {
        Access::Text(
            |c| c.$f.clone().unwrap_or_default(),
            |c, v| c.$f = (!v.is_empty()).then(|| v.to_owned()),
        )
    };
}

/// A typed string field.
macro_rules! s {
    ($f:ident) => {
        Access::Text(|c| c.$f.clone(), |c, v| c.$f = v.to_owned())
    };
}

/// A TLS file path (empty = not set).
macro_rules! tls_path {
    ($f:ident) => {
        Access::Text(
            |c| {
                c.tls
                    .$f
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            },
            |c, v| c.tls.$f = (!v.is_empty()).then(|| std::path::PathBuf::from(v)),
        )
    };
}

const YES_NO_LOCAL: &[&str] = &["no", "yes", "local"];

/// Every parameter, in the order CONFIG GET * lists them.
pub static PARAMS: &[Param] = &[
    // Network.
    p(
        "bind",
        MULTI_ARG,
        Kind::Special {
            set: special::set_bind,
            get: special::get_bind,
            rewrite: special::rewrite_bind,
        },
        Kept,
    )
    .apply(Apply::Listeners),
    p("bind-source-addr", M, opt(), o!(bind_source_addr)),
    p("protected-mode", M, Kind::Bool(true), b!(protected_mode)),
    p("port", M, int(6379, 0, 65535), i!(port)).apply(Apply::Listeners),
    p("tcp-backlog", IMMUTABLE, int(511, 0, I32), Later),
    p("unixsocket", IMMUTABLE, opt(), o!(unixsocket)),
    p(
        "unixsocketperm",
        IMMUTABLE,
        Kind::Int {
            default: 0,
            min: 0,
            max: 0o777,
            unit: Unit::Octal,
        },
        i!(unixsocketperm),
    ),
    p(
        "socket-mark-id",
        IMMUTABLE,
        int(0, 0, u32::MAX as i64),
        Later,
    ),
    p("timeout", M, int(0, 0, I32), i!(timeout)),
    p("tcp-keepalive", M, int(300, 0, I32), i!(tcp_keepalive)),
    // TLS (src/server/tls.rs; tls-port at 0 leaves every other tls-*
    // setting without effect). Protocols and ciphers are kept: rustls's
    // defaults apply.
    p("tls-port", IMMUTABLE, int(0, 0, 65535), i!(tls.port)),
    p("tls-session-cache-size", M, int(20 * 1024, 0, I32), Kept),
    p("tls-session-cache-timeout", M, int(300, 0, I32), Kept),
    p("tls-cluster", M, Kind::Bool(false), Kept),
    // Read at each connection to a master.
    p("tls-replication", M, Kind::Bool(false), b!(tls.replication)),
    p(
        "tls-auth-clients",
        M,
        en(&["no", "yes", "optional"], "yes"),
        Access::Text(
            |c| c.tls.auth_clients_name().to_owned(),
            |c, v| c.tls.set_auth_clients(v),
        ),
    )
    .apply(Apply::Tls),
    p("tls-prefer-server-ciphers", M, Kind::Bool(false), Kept),
    p("tls-session-caching", M, Kind::Bool(true), Kept),
    p("tls-cert-file", IMMUTABLE, opt(), tls_path!(cert_file)),
    p("tls-key-file", IMMUTABLE, opt(), tls_path!(key_file)),
    p("tls-key-file-pass", M, opt(), Kept),
    p("tls-client-cert-file", M, opt(), Kept),
    p("tls-client-key-file", M, opt(), Kept),
    p("tls-client-key-file-pass", M, opt(), Kept),
    p("tls-dh-params-file", M, opt(), Kept),
    p(
        "tls-ca-cert-file",
        IMMUTABLE,
        opt(),
        tls_path!(ca_cert_file),
    ),
    p("tls-ca-cert-dir", IMMUTABLE, opt(), tls_path!(ca_cert_dir)),
    p("tls-protocols", M, opt(), Kept),
    p("tls-ciphers", M, opt(), Kept),
    p("tls-ciphersuites", M, opt(), Kept),
    // General.
    p("daemonize", IMMUTABLE, Kind::Bool(false), b!(daemonize)),
    p(
        "supervised",
        IMMUTABLE,
        en(&["upstart", "systemd", "auto", "no"], "no"),
        s!(supervised),
    ),
    // sonde's own: the Prometheus endpoint (server/metrics.rs); 0 is off.
    // Hidden from CONFIG GET *, which lists Redis's parameters (clients
    // that set back what they read, as the Tcl suite does, would be refused).
    p(
        "metrics-port",
        IMMUTABLE | HIDDEN,
        int(0, 0, 65535),
        i!(metrics_port),
    ),
    p("pidfile", IMMUTABLE, opt(), o!(pidfile)),
    p(
        "loglevel",
        M,
        en(&["debug", "verbose", "notice", "warning"], "notice"),
        Access::Text(
            |c| c.loglevel.name().to_owned(),
            |c, v| c.loglevel = LogLevel::from_name(v),
        ),
    )
    .apply(Apply::LogLevel),
    p("logfile", IMMUTABLE, text(""), s!(logfile)),
    p("syslog-enabled", IMMUTABLE, Kind::Bool(false), Later),
    p("syslog-ident", IMMUTABLE, text("redis"), Kept),
    p(
        "syslog-facility",
        IMMUTABLE,
        en(
            &[
                "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
                "local7",
            ],
            "local0",
        ),
        Kept,
    ),
    p("crash-log-enabled", M, Kind::Bool(true), Kept),
    p("crash-memcheck-enabled", M, Kind::Bool(true), Kept),
    p("databases", IMMUTABLE, int(16, 1, I32), i!(databases)),
    p("always-show-logo", IMMUTABLE, Kind::Bool(false), Kept),
    p("set-proc-title", IMMUTABLE, Kind::Bool(true), Kept),
    p(
        "proc-title-template",
        M,
        checked(
            "{title} {listen-addr} {server-mode}",
            special::check_proc_title,
        ),
        Kept,
    )
    .apply(Apply::ProcTitle),
    // Snapshotting.
    p(
        "save",
        MULTI_ARG,
        Kind::Special {
            set: special::set_save,
            get: special::get_save,
            rewrite: special::rewrite_save,
        },
        Kept,
    ),
    p(
        "stop-writes-on-bgsave-error",
        M,
        Kind::Bool(true),
        b!(stop_writes_on_bgsave_error),
    ),
    p("rdbcompression", M, Kind::Bool(true), b!(rdbcompression)),
    p("rdbchecksum", IMMUTABLE, Kind::Bool(true), Later),
    p(
        "sanitize-dump-payload",
        M,
        en(&["no", "yes", "clients"], "no"),
        Kept,
    )
    .apply(Apply::SanitizeDump),
    p(
        "dbfilename",
        PROTECTED,
        checked("dump.rdb", special::check_dbfilename),
        s!(dbfilename),
    ),
    p("rdb-del-sync-files", M, Kind::Bool(false), Later),
    p(
        "dir",
        PROTECTED,
        Kind::Special {
            set: special::set_dir,
            get: special::get_dir,
            rewrite: special::rewrite_dir,
        },
        Kept,
    ),
    p(
        "rdb-key-save-delay",
        HIDDEN,
        int(0, i32::MIN as i64, I32),
        i!(rdb_key_save_delay),
    ),
    p(
        "key-load-delay",
        HIDDEN,
        int(0, i32::MIN as i64, I32),
        i!(key_load_delay),
    ),
    p(
        "loading-process-events-interval-bytes",
        HIDDEN,
        int(2 << 20, 1024, I32),
        i!(loading_process_events_interval_bytes),
    ),
    // Replication.
    p(
        "replicaof",
        IMMUTABLE | MULTI_ARG,
        Kind::Special {
            set: special::set_replicaof,
            get: special::get_replicaof,
            rewrite: special::rewrite_replicaof,
        },
        Kept,
    )
    .alias("slaveof"),
    p("masterauth", SENSITIVE, opt(), o!(masterauth)),
    p("masteruser", SENSITIVE, opt(), o!(masteruser)),
    p(
        "replica-serve-stale-data",
        M,
        Kind::Bool(true),
        b!(replica_serve_stale_data),
    )
    .alias("slave-serve-stale-data"),
    p(
        "replica-read-only",
        M,
        Kind::Bool(true),
        b!(replica_read_only),
    )
    .alias("slave-read-only"),
    p(
        "repl-diskless-sync",
        M,
        Kind::Bool(true),
        b!(repl_diskless_sync),
    ),
    p(
        "repl-diskless-sync-delay",
        M,
        int(5, 0, I32),
        i!(repl_diskless_sync_delay),
    ),
    p(
        "repl-diskless-sync-max-replicas",
        M,
        int(0, 0, I32),
        i!(repl_diskless_sync_max_replicas),
    ),
    p(
        "repl-diskless-load",
        M,
        en(&["disabled", "on-empty-db", "swapdb"], "disabled"),
        s!(repl_diskless_load),
    ),
    p(
        "repl-ping-replica-period",
        M,
        int(10, 1, I32),
        i!(repl_ping_replica_period),
    )
    .alias("repl-ping-slave-period"),
    p("repl-timeout", M, int(60, 1, I32), i!(repl_timeout)),
    p("repl-disable-tcp-nodelay", M, Kind::Bool(false), Later),
    p(
        "repl-backlog-size",
        M,
        mem(1 << 20, 1, I64),
        i!(repl_backlog_size),
    ),
    p(
        "repl-backlog-ttl",
        M,
        int(3600, 0, I64),
        i!(repl_backlog_ttl),
    ),
    p(
        "replica-priority",
        M,
        int(100, 0, I32),
        i!(replica_priority),
    )
    .alias("slave-priority"),
    p(
        "replica-announced",
        M,
        Kind::Bool(true),
        b!(replica_announced),
    ),
    p(
        "min-replicas-to-write",
        M,
        int(0, 0, I32),
        i!(min_replicas_to_write),
    )
    .alias("min-slaves-to-write"),
    p(
        "min-replicas-max-lag",
        M,
        int(10, 0, I32),
        i!(min_replicas_max_lag),
    )
    .alias("min-slaves-max-lag"),
    p("replica-announce-ip", M, opt(), o!(replica_announce_ip)).alias("slave-announce-ip"),
    p(
        "replica-announce-port",
        M,
        int(0, 0, 65535),
        i!(replica_announce_port),
    )
    .alias("slave-announce-port"),
    p("replica-lazy-flush", M, Kind::Bool(false), Kept).alias("slave-lazy-flush"),
    p(
        "replica-ignore-maxmemory",
        M,
        Kind::Bool(true),
        b!(replica_ignore_maxmemory),
    )
    .alias("slave-ignore-maxmemory"),
    p(
        "replica-ignore-disk-write-errors",
        M,
        Kind::Bool(false),
        Later,
    ),
    p(
        "propagation-error-behavior",
        M,
        en(&["ignore", "panic", "panic-on-replicas"], "ignore"),
        s!(propagation_error_behavior),
    ),
    // Security.
    p("requirepass", SENSITIVE, opt(), {
        Access::Text(
            |c| {
                c.requirepass
                    .as_deref()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .unwrap_or_default()
            },
            |c, v| c.requirepass = (!v.is_empty()).then(|| v.as_bytes().to_vec()),
        )
    })
    .apply(Apply::RequirePass),
    p(
        "aclfile",
        IMMUTABLE,
        text(""),
        Access::Text(|c| c.aclfile.clone(), |c, v| c.aclfile = v.to_owned()),
    ),
    p("acllog-max-len", M, int(128, 0, I64), i!(acllog_max_len)),
    p(
        "acl-pubsub-default",
        M,
        en(&["allchannels", "resetchannels"], "resetchannels"),
        Access::Text(
            |c| {
                if c.acl_pubsub_default_all {
                    "allchannels"
                } else {
                    "resetchannels"
                }
                .to_owned()
            },
            |c, v| c.acl_pubsub_default_all = v.eq_ignore_ascii_case("allchannels"),
        ),
    ),
    p(
        "enable-protected-configs",
        IMMUTABLE,
        en(YES_NO_LOCAL, "no"),
        Access::Text(
            |c| c.enable_protected_configs.name().to_owned(),
            |c, v| c.enable_protected_configs = Allow::from_name(v),
        ),
    ),
    p(
        "enable-debug-command",
        IMMUTABLE,
        en(YES_NO_LOCAL, "no"),
        Access::Text(
            |c| c.enable_debug_command.name().to_owned(),
            |c, v| c.enable_debug_command = Allow::from_name(v),
        ),
    ),
    p(
        "enable-module-command",
        IMMUTABLE,
        en(YES_NO_LOCAL, "no"),
        Kept,
    ),
    // Clients and memory.
    p(
        "maxclients",
        M,
        int(10_000, 1, u32::MAX as i64),
        i!(maxclients),
    ),
    p("maxmemory", M, mem(0, 0, I64), i!(maxmemory)).apply(Apply::Maxmemory),
    p(
        "maxmemory-policy",
        M,
        en(
            &[
                "volatile-lru",
                "volatile-lfu",
                "volatile-random",
                "volatile-ttl",
                "allkeys-lru",
                "allkeys-lfu",
                "allkeys-random",
                "noeviction",
            ],
            "noeviction",
        ),
        Access::Text(
            |c| c.maxmemory_policy.name().to_owned(),
            |c, v| c.maxmemory_policy = Policy::from_name(v),
        ),
    )
    .apply(Apply::Access),
    p(
        "maxmemory-samples",
        M,
        int(5, 1, I32),
        i!(maxmemory_samples),
    ),
    p(
        "maxmemory-eviction-tenacity",
        M,
        int(10, 0, 100),
        i!(maxmemory_eviction_tenacity),
    ),
    p(
        "maxmemory-clients",
        M,
        Kind::Int {
            default: 0,
            min: -100,
            max: I64,
            unit: Unit::MemoryPercent,
        },
        i!(maxmemory_clients),
    )
    .apply(Apply::ClientEviction),
    p("lfu-log-factor", M, int(10, 0, I32), i!(lfu_log_factor)).apply(Apply::Access),
    p("lfu-decay-time", M, int(1, 0, I32), i!(lfu_decay_time)).apply(Apply::Access),
    p("active-expire-effort", M, int(1, 1, 10), Kept),
    p(
        "proto-max-bulk-len",
        M,
        mem(512 << 20, 1 << 20, I64),
        i!(proto_max_bulk_len),
    ),
    p(
        "client-query-buffer-limit",
        M,
        mem(1 << 30, 1 << 20, I64),
        i!(client_query_buffer_limit),
    ),
    p(
        "client-output-buffer-limit",
        MULTI_ARG,
        Kind::Special {
            set: special::set_output_limits,
            get: special::get_output_limits,
            rewrite: special::rewrite_output_limits,
        },
        Kept,
    ),
    p("tracking-table-max-keys", M, int(1_000_000, 0, I64), Kept),
    // Lazy freeing (src/server/lazyfree.rs): big values dropped on a
    // background thread.
    p(
        "lazyfree-lazy-eviction",
        M,
        Kind::Bool(false),
        b!(lazyfree.eviction),
    ),
    p(
        "lazyfree-lazy-expire",
        M,
        Kind::Bool(false),
        b!(lazyfree.expire),
    )
    .apply(Apply::Access),
    p(
        "lazyfree-lazy-server-del",
        M,
        Kind::Bool(false),
        b!(lazyfree.server_del),
    ),
    p(
        "lazyfree-lazy-user-del",
        M,
        Kind::Bool(false),
        b!(lazyfree.user_del),
    ),
    p(
        "lazyfree-lazy-user-flush",
        M,
        Kind::Bool(false),
        b!(lazyfree.user_flush),
    ),
    // Kernel and threads.
    p(
        "oom-score-adj",
        M,
        en(&["no", "yes", "relative", "absolute"], "no"),
        s!(oom_score_adj),
    )
    .apply(Apply::OomScore),
    p(
        "oom-score-adj-values",
        MULTI_ARG,
        Kind::Special {
            set: special::set_oom_values,
            get: special::get_oom_values,
            rewrite: special::rewrite_oom_values,
        },
        Kept,
    )
    .apply(Apply::OomScore),
    p("disable-thp", IMMUTABLE, Kind::Bool(true), Kept),
    p("io-threads", IMMUTABLE, int(1, 1, 128), Later),
    p("io-threads-do-reads", IMMUTABLE, Kind::Bool(false), Kept),
    p("server_cpulist", IMMUTABLE, opt(), Later),
    p("bio_cpulist", IMMUTABLE, opt(), Later),
    p("aof_rewrite_cpulist", IMMUTABLE, opt(), Later),
    p("bgsave_cpulist", IMMUTABLE, opt(), Later),
    p("jemalloc-bg-thread", M, Kind::Bool(true), Kept),
    p(
        "shutdown-on-sigint",
        MULTI_ARG,
        Kind::Flags {
            values: SHUTDOWN_FLAGS,
            default: "default",
        },
        Kept,
    ),
    p(
        "shutdown-on-sigterm",
        MULTI_ARG,
        Kind::Flags {
            values: SHUTDOWN_FLAGS,
            default: "default",
        },
        Kept,
    ),
    p("shutdown-timeout", M, int(10, 0, I32), i!(shutdown_timeout)),
    p("use-exit-on-panic", HIDDEN, Kind::Bool(false), Kept),
    p(
        "watchdog-period",
        HIDDEN,
        int(0, 0, I32),
        i!(watchdog_period),
    ),
    // Append-only file.
    p("appendonly", M, Kind::Bool(false), b!(appendonly)).apply(Apply::Appendonly),
    p(
        "appendfilename",
        IMMUTABLE,
        checked("appendonly.aof", special::check_appendfilename),
        s!(appendfilename),
    ),
    p(
        "appenddirname",
        IMMUTABLE,
        checked("appendonlydir", special::check_appenddirname),
        s!(appenddirname),
    ),
    p(
        "appendfsync",
        M,
        en(&["everysec", "always", "no"], "everysec"),
        Access::Text(
            |c| c.appendfsync.name().to_owned(),
            |c, v| c.appendfsync = Fsync::from_name(v),
        ),
    ),
    p(
        "no-appendfsync-on-rewrite",
        M,
        Kind::Bool(false),
        b!(no_appendfsync_on_rewrite),
    ),
    p(
        "auto-aof-rewrite-percentage",
        M,
        int(100, 0, I32),
        i!(auto_aof_rewrite_percentage),
    ),
    p(
        "auto-aof-rewrite-min-size",
        M,
        mem(64 << 20, 0, I64),
        i!(auto_aof_rewrite_min_size),
    ),
    p(
        "aof-load-truncated",
        M,
        Kind::Bool(true),
        b!(aof_load_truncated),
    ),
    p(
        "aof-use-rdb-preamble",
        M,
        Kind::Bool(true),
        b!(aof_use_rdb_preamble),
    ),
    p(
        "aof-timestamp-enabled",
        M,
        Kind::Bool(false),
        b!(aof_timestamp_enabled),
    )
    .apply(Apply::AofTimestamps),
    p(
        "aof-disable-auto-gc",
        M,
        Kind::Bool(false),
        b!(aof_disable_auto_gc),
    )
    .apply(Apply::AofAutoGc),
    p("aof-rewrite-incremental-fsync", M, Kind::Bool(true), Kept),
    p("rdb-save-incremental-fsync", M, Kind::Bool(true), Kept),
    // Scripting.
    p(
        "busy-reply-threshold",
        M,
        int(5000, 0, I64),
        i!(busy_reply_threshold),
    )
    .alias("lua-time-limit"),
    // Cluster (cluster-enabled no leaves the other cluster-* settings
    // without effect).
    p("cluster-enabled", IMMUTABLE, Kind::Bool(false), Later),
    p("cluster-config-file", IMMUTABLE, text("nodes.conf"), Kept),
    p("cluster-node-timeout", M, int(15000, 0, I64), Kept),
    p("cluster-port", IMMUTABLE, int(0, 0, 65535), Kept),
    p("cluster-replica-validity-factor", M, int(10, 0, I32), Kept)
        .alias("cluster-slave-validity-factor"),
    p("cluster-migration-barrier", M, int(1, 0, I32), Kept),
    p("cluster-allow-replica-migration", M, Kind::Bool(true), Kept),
    p("cluster-require-full-coverage", M, Kind::Bool(true), Kept),
    p("cluster-replica-no-failover", M, Kind::Bool(false), Kept).alias("cluster-slave-no-failover"),
    p("cluster-allow-reads-when-down", M, Kind::Bool(false), Kept),
    p(
        "cluster-allow-pubsubshard-when-down",
        M,
        Kind::Bool(true),
        Kept,
    ),
    p("cluster-link-sendbuf-limit", M, mem(0, 0, I64), Kept),
    p("cluster-announce-ip", M, opt(), Kept),
    p("cluster-announce-hostname", M, opt(), Kept),
    p("cluster-announce-port", M, int(0, 0, 65535), Kept),
    p("cluster-announce-bus-port", M, int(0, 0, 65535), Kept),
    p("cluster-announce-tls-port", M, int(0, 0, 65535), Kept),
    p(
        "cluster-preferred-endpoint-type",
        M,
        en(&["ip", "hostname", "unknown-endpoint"], "ip"),
        Kept,
    ),
    // Slow log, latency, notifications.
    p(
        "slowlog-log-slower-than",
        M,
        int(10_000, -1, I64),
        i!(slowlog_log_slower_than),
    ),
    p("slowlog-max-len", M, int(128, 0, I64), i!(slowlog_max_len)),
    p(
        "latency-monitor-threshold",
        M,
        int(0, 0, I64),
        i!(latency_monitor_threshold),
    ),
    p(
        "latency-tracking",
        M,
        Kind::Bool(true),
        b!(latency_tracking),
    ),
    p(
        "latency-tracking-info-percentiles",
        MULTI_ARG,
        Kind::Special {
            set: special::set_percentiles,
            get: special::get_percentiles,
            rewrite: special::rewrite_percentiles,
        },
        Kept,
    ),
    p(
        "notify-keyspace-events",
        M,
        Kind::Special {
            set: special::set_notify,
            get: special::get_notify,
            rewrite: special::rewrite_notify,
        },
        Kept,
    )
    .apply(Apply::Notifications),
    // Encodings.
    p(
        "hash-max-listpack-entries",
        M,
        int(512, 0, I64),
        i!(encodings.hash_max_listpack_entries),
    )
    .alias("hash-max-ziplist-entries")
    .apply(Apply::Encodings),
    p(
        "hash-max-listpack-value",
        M,
        mem(64, 0, I64),
        i!(encodings.hash_max_listpack_value),
    )
    .alias("hash-max-ziplist-value")
    .apply(Apply::Encodings),
    p(
        "list-max-listpack-size",
        M,
        int(-2, i32::MIN as i64, I32),
        i!(encodings.list_max_listpack_size),
    )
    .alias("list-max-ziplist-size")
    .apply(Apply::Encodings),
    p(
        "list-compress-depth",
        M,
        int(0, 0, I32),
        i!(encodings.list_compress_depth),
    )
    .apply(Apply::Encodings),
    p(
        "set-max-intset-entries",
        M,
        int(512, 0, I64),
        i!(encodings.set_max_intset_entries),
    )
    .apply(Apply::Encodings),
    p(
        "zset-max-listpack-entries",
        M,
        int(128, 0, I64),
        i!(encodings.zset_max_listpack_entries),
    )
    .alias("zset-max-ziplist-entries")
    .apply(Apply::Encodings),
    p(
        "zset-max-listpack-value",
        M,
        mem(64, 0, I64),
        i!(encodings.zset_max_listpack_value),
    )
    .alias("zset-max-ziplist-value")
    .apply(Apply::Encodings),
    p(
        "hll-sparse-max-bytes",
        M,
        mem(3000, 0, I64),
        i!(hll_sparse_max_bytes),
    ),
    p(
        "stream-node-max-bytes",
        M,
        mem(4096, 0, I64),
        i!(encodings.stream_node_max_bytes),
    )
    .apply(Apply::Encodings),
    p(
        "stream-node-max-entries",
        M,
        int(100, 0, I64),
        i!(encodings.stream_node_max_entries),
    )
    .apply(Apply::Encodings),
    // Server cron and memory management.
    p("hz", M, int(10, 0, I32), {
        Access::Int(|c| i64::from(c.hz), |c, v| c.hz = v.clamp(1, 500) as u32)
    }),
    p("dynamic-hz", M, Kind::Bool(true), Kept),
    p("activerehashing", M, Kind::Bool(true), Kept),
    p("activedefrag", M, Kind::Bool(false), Later),
    p(
        "active-defrag-ignore-bytes",
        M,
        mem(100 << 20, 1, I64),
        Kept,
    ),
    p("active-defrag-threshold-lower", M, int(10, 0, 1000), Kept),
    p("active-defrag-threshold-upper", M, int(100, 0, 1000), Kept),
    p("active-defrag-cycle-min", M, int(1, 1, 99), Kept),
    p("active-defrag-cycle-max", M, int(25, 1, 99), Kept),
    p("active-defrag-max-scan-fields", M, int(1000, 1, I64), Kept),
    p("ignore-warnings", M, text(""), Kept),
];

const SHUTDOWN_FLAGS: &[&str] = &["default", "save", "nosave", "now", "force"];

/// Directives that are not parameters (no CONFIG GET/SET), as in Redis.
pub const NOT_PARAMETERS: &[&str] = &[
    "include",
    "rename-command",
    "user",
    "loadmodule",
    "sentinel",
];

/// Directives Redis 7.0 still reads and ignores.
pub const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// The parameter a name (or an alias) stands for, case-insensitively.
pub fn lookup(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| {
        p.name.eq_ignore_ascii_case(name) || p.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}
