//! The command table: one entry per command (and per subcommand of the
//! container commands CLIENT, CONFIG, OBJECT, …) with its name, arity,
//! flags, key positions, documentation and handler. Dispatch, the checks
//! before execution (arity, authentication, loading, protected commands)
//! and the introspection replies (COMMAND COUNT/LIST/INFO/DOCS) all read
//! this one table, so they cannot disagree.
//!
//! Arity follows Redis: positive means exactly that many arguments (the
//! command name included), negative means at least that many.

use std::collections::HashMap;

use super::Server;
use super::connection::Client;

/// A command implementation. Arguments include the command name (and the
/// subcommand name for subcommands). The reply goes to `client.reply`.
pub type Handler = fn(&mut Server, &mut Client, &[&[u8]]);

/// Command flags (Redis's CMD_* bits), reported by COMMAND INFO.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const ALLOW_BUSY: u32 = 1 << 15;
    /// DEBUG: refused unless enable-debug-command allows it.
    pub const PROTECTED: u32 = 1 << 16;
    /// Keys are found by parsing the arguments, not by position.
    pub const MOVABLE_KEYS: u32 = 1 << 17;
    /// Runs inside MULTI instead of being queued (EXEC, DISCARD, MULTI,
    /// WATCH, QUIT, RESET). Not reported by COMMAND INFO.
    pub const MULTI_CONTROL: u32 = 1 << 18;
    /// Allowed in RESP2 subscribed mode ((P|S)(UN)SUBSCRIBE, PING, QUIT,
    /// RESET). Not reported by COMMAND INFO.
    pub const PUBSUB_CONTEXT: u32 = 1 << 19;
    /// Refused while a replica loads its master's snapshot and serves the
    /// old dataset meanwhile (async loading).
    pub const NO_ASYNC_LOADING: u32 = 1 << 20;

    /// Names in COMMAND INFO order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        // MAY_REPLICATE is not shown: redis-server 7.0 keeps it to itself.
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// Where a command's keys are: `first..=last` stepping by `step`
/// (`last` negative counts from the end; all zero: no keys).
#[derive(Clone, Copy, Debug, Default)]
pub struct Keys {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

/// One command or subcommand.
#[derive(Clone, Copy)]
pub struct Spec {
    /// Lowercase name ("get"; "kill" for CLIENT KILL).
    pub name: &'static str,
    pub arity: i32,
    pub flags: u32,
    pub keys: Keys,
    /// Redis's command group ("string", "generic", "connection", "server").
    pub group: &'static str,
    /// Redis version that introduced it.
    pub since: &'static str,
    pub summary: &'static str,
    /// Absent for containers (their subcommands are dispatched instead).
    pub handler: Option<Handler>,
    pub subcommands: &'static [Spec],
}

impl Spec {
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        group: &'static str,
        since: &'static str,
        summary: &'static str,
        handler: Handler,
    ) -> Spec {
        Spec {
            name,
            arity,
            flags,
            keys: Keys {
                first: 0,
                last: 0,
                step: 0,
            },
            group,
            since,
            summary,
            handler: Some(handler),
            subcommands: &[],
        }
    }

    /// A container of subcommands (CLIENT, CONFIG, …).
    pub const fn container(
        name: &'static str,
        arity: i32,
        group: &'static str,
        since: &'static str,
        summary: &'static str,
        subcommands: &'static [Spec],
    ) -> Spec {
        let mut spec = Spec::new(name, arity, 0, group, since, summary, unreachable_handler);
        spec.handler = None;
        spec.subcommands = subcommands;
        spec
    }

    /// With key positions.
    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Spec {
        self.keys = Keys { first, last, step };
        self
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Whether `argc` arguments satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = i64::from(self.arity);
        if arity > 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// ACL categories of the command `full_name` names, as COMMAND INFO
    /// lists them: Redis's own assignment where Redis has the command,
    /// else what its flags and group imply.
    pub fn acl_categories(&self, full_name: &str) -> Vec<String> {
        use super::acl::categories;
        if let Some(mask) = categories::of(full_name) {
            return categories::NAMES
                .iter()
                .enumerate()
                .filter(|&(bit, _)| mask & (1 << bit) != 0)
                .map(|(_, name)| format!("@{name}"))
                .collect();
        }
        let mut out = Vec::new();
        let mut add = |c: &str| out.push(format!("@{c}"));
        if self.has(flags::WRITE) {
            add("write");
        }
        if self.has(flags::READONLY) {
            add("read");
        }
        match self.group {
            "string" => add("string"),
            "generic" => add("keyspace"),
            "connection" => add("connection"),
            "bitmap" => add("bitmap"),
            "list" => add("list"),
            "hash" => add("hash"),
            "set" => add("set"),
            "sorted_set" => add("sortedset"),
            "pubsub" => add("pubsub"),
            "transactions" => add("transaction"),
            "hyperloglog" => add("hyperloglog"),
            "geo" => add("geo"),
            _ => {}
        }
        if self.has(flags::ADMIN) {
            add("admin");
            add("dangerous");
        }
        if self.has(flags::FAST) {
            add("fast");
        } else {
            add("slow");
        }
        if self.has(flags::BLOCKING) {
            add("blocking");
        }
        out
    }
}

/// Placeholder while building a container's spec (replaced by `None`).
/// The positions of the arguments the slow log and MONITOR show as
/// "(redacted)", as Redis does: passwords (AUTH, HELLO … AUTH, MIGRATE …
/// AUTH/AUTH2), every rule of ACL SETUSER, and the values of sensitive
/// parameters in CONFIG SET.
pub fn secret_arguments(args: &[&[u8]]) -> Vec<usize> {
    let is = |i: usize, word: &str| {
        args.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
    };
    if is(0, "auth") {
        return (1..args.len()).collect();
    }
    if is(0, "acl") && is(1, "setuser") {
        return (2..args.len()).collect();
    }
    if is(0, "config") && is(1, "set") {
        return super::config::sensitive_arguments(args);
    }
    if is(0, "hello") {
        // HELLO [protover [AUTH username password] [SETNAME name]]
        return (2..args.len())
            .filter(|&i| is(i, "auth"))
            .flat_map(|i| [i + 1, i + 2])
            .filter(|&i| i < args.len())
            .collect();
    }
    if is(0, "migrate") {
        // Options after the timeout (argument 5): AUTH password, AUTH2
        // username password, KEYS ... (keys end the options).
        let mut secret = Vec::new();
        let mut i = 6;
        while i < args.len() {
            if is(i, "keys") {
                break;
            }
            let count = if is(i, "auth") {
                1
            } else if is(i, "auth2") {
                2
            } else {
                0
            };
            secret.extend((i + 1..=i + count).filter(|&j| j < args.len()));
            i += 1 + count;
        }
        return secret;
    }
    Vec::new()
}

fn unreachable_handler(_: &mut Server, _: &mut Client, _: &[&[u8]]) {}

/// Counters per command (INFO commandstats).
#[derive(Default, Clone, Copy)]
pub struct CallStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// Calls per latency bucket (`metrics::BUCKETS_USEC`, then +Inf).
    pub latency: [u64; super::metrics::BUCKETS_USEC.len() + 1],
}

/// An entry of the flattened table: a top-level command or a subcommand.
pub struct Entry {
    pub spec: &'static Spec,
    /// "get", or "client|kill" for subcommands (Redis's fullname).
    pub full_name: String,
    /// Index of the container for subcommands.
    pub parent: Option<usize>,
    pub stats: CallStats,
    /// Durations of its calls while `latency-tracking` is on (allocated
    /// at the first call).
    pub histogram: Option<Box<super::histogram::Histogram>>,
}

/// The dispatch table.
pub struct Table {
    pub entries: Vec<Entry>,
    top: HashMap<Vec<u8>, usize, foldhash::fast::RandomState>,
    /// (container index, lowercase subcommand) → entry.
    sub: HashMap<(usize, Vec<u8>), usize, foldhash::fast::RandomState>,
}

/// What looking up a request's command found.
pub enum Lookup {
    Found(usize),
    /// Neither a command nor a known subcommand.
    Unknown,
    /// A container with an unknown subcommand (`CLIENT FOO`).
    UnknownSubcommand(usize),
}

impl Table {
    pub fn new(groups: &[&'static [Spec]]) -> Table {
        let mut table = Table {
            entries: Vec::new(),
            top: HashMap::default(),
            sub: HashMap::default(),
        };
        for group in groups {
            for spec in group.iter() {
                let index = table.entries.len();
                table.entries.push(Entry {
                    spec,
                    full_name: spec.name.to_owned(),
                    parent: None,
                    stats: CallStats::default(),
                    histogram: None,
                });
                table.top.insert(spec.name.as_bytes().to_vec(), index);
                for sub in spec.subcommands {
                    let sub_index = table.entries.len();
                    table.entries.push(Entry {
                        spec: sub,
                        full_name: format!("{}|{}", spec.name, sub.name),
                        parent: Some(index),
                        stats: CallStats::default(),
                        histogram: None,
                    });
                    table
                        .sub
                        .insert((index, sub.name.as_bytes().to_vec()), sub_index);
                }
            }
        }
        table
    }

    /// The top-level command named `name` (any case).
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        let mut lower = [0u8; 32];
        if name.len() <= lower.len() {
            let lower = &mut lower[..name.len()];
            lower.copy_from_slice(name);
            lower.make_ascii_lowercase();
            return self.top.get(&*lower).copied();
        }
        self.top.get(&name.to_ascii_lowercase()).copied()
    }

    /// `rename-command`: serve the top-level command `from` as `to`, or
    /// not at all when `to` is empty, with Redis's refusals.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), &'static str> {
        let Some(index) = self.top.remove(from.to_ascii_lowercase().as_bytes()) else {
            return Err("No such command in rename-command");
        };
        if to.is_empty() {
            return Ok(());
        }
        let to = to.to_ascii_lowercase().into_bytes();
        if self.top.contains_key(&to) {
            return Err("Target command name already exists");
        }
        self.top.insert(to, index);
        Ok(())
    }

    /// The subcommand `name` of container `parent`.
    pub fn find_sub(&self, parent: usize, name: &[u8]) -> Option<usize> {
        self.sub.get(&(parent, name.to_ascii_lowercase())).copied()
    }

    /// Resolve a request's arguments to an entry, descending into a
    /// container when there is a second argument.
    pub fn lookup(&self, args: &[&[u8]]) -> Lookup {
        let Some(index) = args.first().and_then(|name| self.find(name)) else {
            return Lookup::Unknown;
        };
        if self.entries[index].spec.subcommands.is_empty() {
            return Lookup::Found(index);
        }
        match args.get(1) {
            // The container alone: its arity check reports the error.
            None => Lookup::Found(index),
            Some(sub) => match self.find_sub(index, sub) {
                Some(sub) => Lookup::Found(sub),
                None => Lookup::UnknownSubcommand(index),
            },
        }
    }

    /// Top-level commands, in table order.
    pub fn top_level(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.parent.is_none())
    }

    /// Subcommands of `parent`.
    pub fn children(&self, parent: usize) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.parent == Some(parent))
    }
}
