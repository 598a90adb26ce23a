//! Server commands: INFO, COMMAND, TIME, DEBUG, SLOWLOG, MONITOR,
//! MEMORY, LATENCY, FUNCTION and SHUTDOWN.

use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::keyspace::Object;
use super::super::persistence::ShutdownSave;
use super::super::types::{Str, Value};
use super::super::{Server, Shutdown, info, memory, shutdown};
use super::{help, int_arg, is};
use crate::resp::number::string2ll;

const G: &str = "server";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "info",
        -1,
        LOADING | STALE,
        G,
        "1.0.0",
        "Get information and statistics about the server",
        info_command,
    ),
    Spec::new(
        "command",
        -1,
        LOADING | STALE,
        G,
        "2.8.13",
        "Get array of Redis command details",
        command_all,
    )
    .with_subcommands(COMMAND),
    Spec::new(
        "time",
        1,
        LOADING | STALE | FAST,
        G,
        "2.6.0",
        "Return the current server time",
        time,
    ),
    Spec::container(
        "debug",
        -2,
        G,
        "1.0.0",
        "A container for debugging commands",
        DEBUG,
    )
    .protected(),
    Spec::container(
        "slowlog",
        -2,
        G,
        "2.2.12",
        "A container for slow log commands",
        SLOWLOG,
    ),
    Spec::new(
        "monitor",
        1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Listen for all requests received by the server in real time",
        monitor,
    ),
    Spec::container(
        "memory",
        -2,
        G,
        "4.0.0",
        "A container for memory diagnostics commands",
        MEMORY,
    ),
    Spec::container(
        "latency",
        -2,
        G,
        "2.8.13",
        "A container for latency diagnostics commands",
        LATENCY,
    ),
    Spec::container(
        "function",
        -2,
        "scripting",
        "7.0.0",
        "A container for function commands",
        FUNCTION,
    ),
    Spec::new(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        G,
        "1.0.0",
        "Synchronously save the dataset to disk and then shut down the server",
        shutdown,
    ),
];

const COMMAND: &[Spec] = &[
    Spec::new(
        "count",
        2,
        LOADING | STALE,
        G,
        "2.8.13",
        "Get total number of Redis commands",
        command_count,
    ),
    Spec::new(
        "list",
        -2,
        LOADING | STALE,
        G,
        "7.0.0",
        "Get an array of Redis command names",
        command_list,
    ),
    Spec::new(
        "info",
        -2,
        LOADING | STALE,
        G,
        "2.8.13",
        "Get array of specific Redis command details, or all when no argument is given.",
        command_info,
    ),
    Spec::new(
        "docs",
        -2,
        LOADING | STALE,
        G,
        "7.0.0",
        "Get array of specific Redis command documentation",
        command_docs,
    ),
    Spec::new(
        "getkeys",
        -4,
        LOADING | STALE,
        G,
        "2.8.13",
        "Extract keys given a full Redis command",
        super::getkeys::command_getkeys,
    ),
    Spec::new(
        "getkeysandflags",
        -4,
        LOADING | STALE,
        G,
        "7.0.0",
        "Extract keys and access flags given a full Redis command",
        super::getkeys::command_getkeysandflags,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "5.0.0",
        "Show helpful text about the different subcommands",
        command_help,
    ),
];

const DEBUG: &[Spec] = &[
    Spec::new(
        "digest",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Output a hex signature representing the current DB content",
        super::debug::digest,
    ),
    Spec::new(
        "digest-value",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Output a hex signature of the values of the given keys",
        super::debug::digest_value,
    ),
    Spec::new(
        "pause-cron",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Stop (1) or resume (0) the periodic work",
        super::debug::pause_cron,
    ),
    Spec::new(
        "set-skip-checksum-validation",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Skip (1) or check (0) the CRC-64 of RDB files and RESTORE payloads",
        super::debug::skip_checksum,
    ),
    Spec::new(
        "set-disable-deny-scripts",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Let scripts call (1) or refuse them (0) the commands marked noscript",
        super::debug::disable_deny_scripts,
    ),
    Spec::new(
        "aof-flush-sleep",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Sleep the given microseconds before each AOF flush",
        super::debug::aof_flush_sleep,
    ),
    Spec::new(
        "quicklist-packed-threshold",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Set the plain-node threshold of lists",
        super::debug::quicklist_packed_threshold,
    ),
    Spec::new(
        "change-repl-id",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Change the replication IDs of the instance",
        super::debug::change_repl_id,
    ),
    Spec::new(
        "log",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Write a message to the server log",
        super::debug::log,
    ),
    Spec::new(
        "error",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Reply with the given error",
        super::debug::error,
    ),
    Spec::new(
        "replicate",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Send a command to the replicas without executing it",
        super::debug::replicate,
    ),
    Spec::new(
        "segfault",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Crash the server with SIGSEGV",
        super::debug::segfault,
    ),
    Spec::new(
        "protocol",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Reply with a test value of the given RESP type",
        super::debug::protocol,
    ),
    Spec::new(
        "sleep",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Block the server for the given seconds",
        debug_sleep,
    ),
    Spec::new(
        "set-active-expire",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Switch the active expiry cycle on (1) or off (0)",
        debug_set_active_expire,
    ),
    Spec::new(
        "object",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Show low-level information about a key",
        debug_object,
    ),
    Spec::new(
        "htstats",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Show the shape of a database's hash tables",
        debug_htstats,
    ),
    Spec::new(
        "htstats-key",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Show the shape of the hash table of a set, hash or sorted set",
        debug_htstats_key,
    ),
    Spec::new(
        "populate",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Create keys key:0..key:N-1 with values value:N",
        debug_populate,
    ),
    Spec::new(
        "config-rewrite-force-all",
        2,
        ADMIN | NOSCRIPT,
        G,
        "7.0.0",
        "Rewrite the config file with every parameter, defaults included",
        super::config::debug_rewrite_force_all,
    ),
    Spec::new(
        "reload",
        -2,
        ADMIN | NOSCRIPT,
        G,
        "1.0.0",
        "Save the RDB snapshot, empty the dataset and load the snapshot back",
        super::persistence::debug_reload,
    ),
    Spec::new(
        "loadaof",
        2,
        ADMIN | NOSCRIPT,
        G,
        "1.0.0",
        "Flush the AOF, empty the dataset and replay the AOF",
        super::persistence::debug_loadaof,
    ),
    Spec::new(
        "replybuffer",
        4,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "7.0.0",
        "Tune the reply buffer's resizing (PEAK-RESET-TIME, RESIZING)",
        debug_replybuffer,
    ),
    Spec::new(
        "help",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "1.0.0",
        "Show helpful text about the different subcommands",
        debug_help,
    ),
];

const SLOWLOG: &[Spec] = &[
    Spec::new(
        "get",
        -2,
        ADMIN | LOADING | STALE,
        G,
        "2.2.12",
        "Get the slow log's entries",
        slowlog_get,
    ),
    Spec::new(
        "len",
        2,
        ADMIN | LOADING | STALE,
        G,
        "2.2.12",
        "Get the slow log's length",
        slowlog_len,
    ),
    Spec::new(
        "reset",
        2,
        ADMIN | LOADING | STALE,
        G,
        "2.2.12",
        "Clear all entries from the slow log",
        slowlog_reset,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "6.2.0",
        "Show helpful text about the different subcommands",
        slowlog_help,
    ),
];

const MEMORY: &[Spec] = &[
    Spec::new(
        "doctor",
        2,
        0,
        G,
        "4.0.0",
        "Outputs memory problems report",
        super::diagnostics::memory_doctor,
    ),
    Spec::new(
        "malloc-stats",
        2,
        0,
        G,
        "4.0.0",
        "Show allocator internal stats",
        super::diagnostics::memory_malloc_stats,
    ),
    Spec::new(
        "usage",
        -3,
        READONLY,
        G,
        "4.0.0",
        "Estimate the memory usage of a key",
        memory_usage,
    )
    .keys(2, 2, 1),
    Spec::new(
        "stats",
        2,
        0,
        G,
        "4.0.0",
        "Show memory usage details",
        memory_stats,
    ),
    Spec::new(
        "purge",
        2,
        0,
        G,
        "4.0.0",
        "Ask the allocator to release memory",
        memory_purge,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "4.0.0",
        "Show helpful text about the different subcommands",
        memory_help,
    ),
];

const LATENCY: &[Spec] = &[
    Spec::new(
        "histogram",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "7.0.0",
        "Return the cumulative distribution of latencies of a subset of commands or all.",
        super::diagnostics::latency_histogram,
    ),
    Spec::new(
        "doctor",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.8.13",
        "Return a human readable latency analysis report.",
        super::diagnostics::latency_doctor,
    ),
    Spec::new(
        "latest",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.8.13",
        "Return the latest latency samples for all events",
        latency_latest,
    ),
    Spec::new(
        "history",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.8.13",
        "Return timestamp-latency samples for the event",
        latency_history,
    ),
    Spec::new(
        "graph",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.8.13",
        "Return a latency graph for the event.",
        super::diagnostics::latency_graph,
    ),
    Spec::new(
        "reset",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.8.13",
        "Reset latency data for one or more events",
        latency_reset,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "2.8.13",
        "Show helpful text about the different subcommands",
        latency_help,
    ),
];

const FUNCTION: &[Spec] = &[
    Spec::new(
        "flush",
        -2,
        WRITE | NOSCRIPT,
        "scripting",
        "7.0.0",
        "Deleting all functions",
        function_flush,
    ),
    Spec::new(
        "list",
        -2,
        NOSCRIPT,
        "scripting",
        "7.0.0",
        "List information about all the functions",
        function_list,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        "scripting",
        "7.0.0",
        "Show helpful text about the different subcommands",
        function_help,
    ),
];

impl Spec {
    /// A command that also has subcommands (COMMAND alone lists all).
    const fn with_subcommands(mut self, subcommands: &'static [Spec]) -> Spec {
        self.subcommands = subcommands;
        self
    }

    /// Refused unless enable-debug-command allows it.
    const fn protected(mut self) -> Spec {
        self.flags |= PROTECTED;
        self
    }
}

fn info_command(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let sections: Vec<String> = args[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let text = info::render(srv, client, &sections);
    client.reply.verbatim(text.as_bytes());
}

/// COMMAND INFO's 10-element description of one entry.
fn reply_command_info(srv: &Server, client: &mut Client, index: usize) {
    let entry = &srv.commands.entries[index];
    let spec = entry.spec;
    let r = &mut client.reply;
    r.array(10);
    r.bulk(entry.full_name.as_bytes());
    r.int(i64::from(spec.arity));
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(bit, _)| spec.has(*bit))
        .map(|&(_, n)| n)
        .collect();
    r.set(names.len());
    for n in names {
        r.simple(n);
    }
    r.int(i64::from(spec.keys.first));
    r.int(i64::from(spec.keys.last));
    r.int(i64::from(spec.keys.step));
    let categories = spec.acl_categories(&entry.full_name);
    r.set(categories.len());
    for c in &categories {
        r.simple(c);
    }
    r.set(0);
    if spec.keys.first > 0 {
        r.set(1);
        r.map(3);
        r.bulk(b"flags");
        let flags: &[&str] = if spec.has(WRITE) {
            &["RW", "UPDATE"]
        } else {
            // Redis 7.0 spells this one flag in lower case here.
            &["RO", "access"]
        };
        r.set(flags.len());
        for f in flags {
            r.simple(f);
        }
        r.bulk(b"begin_search");
        r.map(2);
        r.bulk(b"type");
        r.bulk(b"index");
        r.bulk(b"spec");
        r.map(1);
        r.bulk(b"index");
        r.int(i64::from(spec.keys.first));
        r.bulk(b"find_keys");
        r.map(2);
        r.bulk(b"type");
        r.bulk(b"range");
        r.bulk(b"spec");
        r.map(3);
        r.bulk(b"lastkey");
        let last = spec.keys.last;
        r.int(i64::from(if last >= 0 {
            last - spec.keys.first
        } else {
            last
        }));
        r.bulk(b"keystep");
        r.int(i64::from(spec.keys.step));
        r.bulk(b"limit");
        r.int(0);
    } else {
        r.set(0);
    }
    let children: Vec<usize> = srv.commands.children(index).map(|(i, _)| i).collect();
    client.reply.array(children.len());
    for child in children {
        reply_command_info(srv, client, child);
    }
}

fn reply_command_docs(srv: &Server, client: &mut Client, index: usize) {
    super::docs::reply(srv, client, index);
}

fn command_all(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 1 {
        // A subcommand that was not found by the table lookup.
        client.reply.error(&format!(
            "unknown subcommand '{}'. Try COMMAND HELP.",
            String::from_utf8_lossy(args[1])
        ));
        return;
    }
    let top: Vec<usize> = srv.commands.top_level().map(|(i, _)| i).collect();
    client.reply.array(top.len());
    for index in top {
        reply_command_info(srv, client, index);
    }
}

fn command_count(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.int(srv.commands.top_level().count() as i64);
}

fn command_list(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut filter: Option<(Vec<u8>, &[u8])> = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(args[i], "filterby") && more == 2 {
            let kind = args[i + 1].to_ascii_lowercase();
            if !matches!(kind.as_slice(), b"module" | b"aclcat" | b"pattern") {
                client.reply.syntax_error();
                return;
            }
            filter = Some((kind, args[i + 2]));
            i += 3;
        } else {
            client.reply.syntax_error();
            return;
        }
    }
    let names: Vec<&str> = srv
        .commands
        .entries
        .iter()
        .filter(|e| match &filter {
            None => true,
            Some((kind, arg)) => match kind.as_slice() {
                b"pattern" => crate::glob::matches_nocase(arg, e.full_name.as_bytes()),
                b"aclcat" => {
                    let wanted = format!("@{}", String::from_utf8_lossy(arg).to_lowercase());
                    e.spec.acl_categories(&e.full_name).contains(&wanted)
                }
                _ => false,
            },
        })
        .map(|e| e.full_name.as_str())
        .collect();
    client.reply.bulks(names.iter().map(|n| n.as_bytes()));
}

fn command_info(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() == 2 {
        return command_all(srv, client, &args[..1]);
    }
    client.reply.array(args.len() - 2);
    for name in &args[2..] {
        match lookup_by_full_name(srv, name) {
            Some(index) => reply_command_info(srv, client, index),
            None => client.reply.null(),
        }
    }
}

/// "get" or "config|get".
pub(super) fn lookup_by_full_name(srv: &Server, name: &[u8]) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    match lower.iter().position(|&b| b == b'|') {
        None => srv.commands.find(&lower),
        Some(bar) => {
            let parent = srv.commands.find(&lower[..bar])?;
            srv.commands.find_sub(parent, &lower[bar + 1..])
        }
    }
}

fn command_docs(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let wanted: Vec<usize> = if args.len() == 2 {
        srv.commands.top_level().map(|(i, _)| i).collect()
    } else {
        args[2..]
            .iter()
            .filter_map(|n| lookup_by_full_name(srv, n))
            .collect()
    };
    client.reply.map(wanted.len());
    for index in wanted {
        client
            .reply
            .bulk(srv.commands.entries[index].full_name.as_bytes());
        reply_command_docs(srv, client, index);
    }
}

fn command_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
        ],
    );
}

fn time(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    client.reply.array(2);
    client.reply.bulk_int(now.as_secs() as i64);
    client.reply.bulk_int(i64::from(now.subsec_micros()));
}

fn debug_sleep(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let seconds = super::super::numeric::parse_double(args[2]).unwrap_or(0.0);
    if seconds > 0.0 && seconds.is_finite() {
        std::thread::sleep(std::time::Duration::from_secs_f64(seconds.min(3600.0)));
    }
    client.reply.ok();
}

/// DEBUG REPLYBUFFER PEAK-RESET-TIME <never|reset|ms> | RESIZING <0|1>:
/// checked and accepted. sonde's reply buffer is not resized by the cron
/// (it is given back when drained), so there is nothing to switch.
fn debug_replybuffer(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let what = args[2].to_ascii_lowercase();
    let valid = match what.as_slice() {
        b"peak-reset-time" => {
            args[3].eq_ignore_ascii_case(b"never")
                || args[3].eq_ignore_ascii_case(b"reset")
                || string2ll(args[3]).is_some()
        }
        b"resizing" => true,
        _ => {
            super::subcommand_syntax_error(client, args);
            return;
        }
    };
    if valid {
        client.reply.ok();
    } else {
        client
            .reply
            .error("value is not an integer or out of range");
    }
}

fn debug_set_active_expire(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    srv.ks.active_expire = string2ll(args[2]).unwrap_or(0) != 0;
    client.reply.ok();
}

fn debug_object(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    // As Redis: the key as stored, even when its time has passed.
    let db = client.db;
    let Some(obj) = srv.ks.dbs[db].dict.get(args[2]) else {
        client.reply.error("no such key");
        return;
    };
    let now = super::super::clock::lru_clock();
    let text = format!(
        "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        obj,
        obj.value.encoding(),
        serialized_length(&obj.value),
        obj.lru,
        now.saturating_sub(obj.lru)
    );
    client.reply.simple(&text);
}

fn debug_htstats(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(db) = string2ll(args[2]) else {
        client.reply.not_an_integer();
        return;
    };
    let Some(db) = usize::try_from(db).ok().and_then(|d| srv.ks.dbs.get(d)) else {
        client.reply.error("Out of range database");
        return;
    };
    let text = format!(
        "[Dictionary HT]\n{}[Expires HT]\n{}",
        db.dict.stats(),
        db.expires.stats()
    );
    client.reply.verbatim(text.as_bytes());
}

fn debug_htstats_key(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(obj) = srv.ks.dbs[client.db].dict.get(args[2]) else {
        client.reply.error("no such key");
        return;
    };
    let text = match &obj.value {
        Value::SetTable(t) => t.stats(),
        Value::HashTable(t) => t.stats(),
        Value::ZsetSkiplist(z) => z.list.index_stats(),
        _ => {
            client.reply.error(
                "The value stored at the specified key is not represented using an hash table",
            );
            return;
        }
    };
    client.reply.verbatim(text.as_bytes());
}

/// DEBUG OBJECT's serializedlength: the bytes of the value's RDB form.
fn serialized_length(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Opaque(o) => o.data.len(),
        other => super::super::rdb_value::with_rdb_value(other, crate::rdb::dump::serialize)
            .map_or(0, |payload| payload.len().saturating_sub(11)),
    }
}

fn debug_populate(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 5 {
        client
            .reply
            .error("wrong number of arguments for 'debug|populate' command");
        return;
    }
    let positive = |client: &mut Client, arg: &[u8]| match string2ll(arg) {
        Some(n) if n >= 0 => Some(n),
        Some(_) => {
            client
                .reply
                .error("value is out of range, must be positive");
            None
        }
        None => {
            client.reply.not_an_integer();
            None
        }
    };
    let Some(count) = positive(client, args[2]) else {
        return;
    };
    let size = match args.get(4) {
        Some(arg) => match positive(client, arg) {
            Some(n) => n as usize,
            None => return,
        },
        None => 0,
    };
    let prefix: &[u8] = args.get(3).copied().unwrap_or(b"key");
    let db = client.db;
    // Reserve for what is plausible; a huge count grows the table as it
    // fills instead of asking for it all (and aborting) up front.
    srv.ks.dbs[db].dict.reserve((count as usize).min(1 << 24));
    let mut key = Vec::with_capacity(prefix.len() + 21);
    let mut value = Vec::with_capacity(32);
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        if srv.ks.lookup_write(db, &key).is_some() {
            continue;
        }
        value.clear();
        value.extend_from_slice(b"value:");
        value.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        if size > 0 {
            value.resize(size, 0);
        }
        let obj = Object::new(Value::String(Str::Embedded(value.as_slice().into())));
        srv.ks.dbs[db].dict.insert_absent(&key, obj);
    }
    client.reply.ok();
}

fn debug_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "DEBUG",
        &[
            "LOADAOF",
            "    Flush the AOF buffers on disk and reload the AOF in memory.",
            "OBJECT <key>",
            "    Show low-level info about the `key` and associated value.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named key:<num>. If <prefix> is specified then",
            "    it is used instead of the 'key' prefix. These are not propagated to",
            "    replicas. Cluster slots are not respected so keys not belonging to the",
            "    current node can be created in cluster mode.",
            "RELOAD",
            "    Save the RDB on disk and reload it back to memory.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
        ],
    );
}

fn slowlog_get(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut count = 10usize;
    if args.len() == 3 {
        match string2ll(args[2]) {
            Some(-1) => count = usize::MAX,
            Some(n) if n >= 0 => count = n as usize,
            _ => {
                client
                    .reply
                    .error("count should be greater than or equal to -1");
                return;
            }
        }
    } else if args.len() > 3 {
        client
            .reply
            .error("wrong number of arguments for 'slowlog|get' command");
        return;
    }
    let entries: Vec<&super::super::SlowEntry> = srv.slowlog.iter().take(count).collect();
    client.reply.array(entries.len());
    for e in entries {
        client.reply.array(6);
        client.reply.int(e.id as i64);
        client.reply.int(e.unix_secs);
        client.reply.int(e.micros as i64);
        client.reply.bulks(e.args.iter().map(Vec::as_slice));
        client.reply.bulk(e.addr.as_bytes());
        client.reply.bulk(&e.name);
    }
}

fn slowlog_len(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.int(srv.slowlog.len() as i64);
}

fn slowlog_reset(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    srv.slowlog.clear();
    client.reply.ok();
}

fn slowlog_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
}

fn monitor(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    if !client.monitor {
        client.monitor = true;
        srv.monitors += 1;
        client.reply.ok();
    }
}

fn memory_usage(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut i = 3;
    while i < args.len() {
        if is(args[i], "samples") && i + 1 < args.len() {
            let Some(n) = int_arg(client, args[i + 1]) else {
                return;
            };
            if n < 0 {
                client.reply.syntax_error();
                return;
            }
            i += 2;
        } else {
            client.reply.syntax_error();
            return;
        }
    }
    let db = client.db;
    srv.ks.expire_if_needed(db, args[2]);
    match srv.ks.usage(db, args[2]) {
        Some(bytes) => client.reply.int(bytes as i64),
        None => client.reply.null(),
    }
}

fn memory_stats(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let used = memory::allocated();
    let (keys, _) = srv.ks.totals();
    let r = &mut client.reply;
    r.map(5);
    r.bulk(b"peak.allocated");
    r.int(srv.memory_peak.max(used) as i64);
    r.bulk(b"total.allocated");
    r.int(used as i64);
    r.bulk(b"keys.count");
    r.int(keys as i64);
    r.bulk(b"keys.bytes-per-key");
    r.int(used.checked_div(keys).unwrap_or(0) as i64);
    r.bulk(b"rss");
    r.int(memory::rss() as i64);
}

fn memory_purge(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.ok();
}

fn memory_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "MEMORY",
        &[
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
        ],
    );
}

fn latency_latest(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.array(srv.latency.len());
    for (event, samples) in &srv.latency {
        let last = samples.back().copied().unwrap_or((0, 0));
        let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
        client.reply.array(4);
        client.reply.bulk(event.as_bytes());
        client.reply.int(last.0);
        client.reply.int(last.1 as i64);
        client.reply.int(max as i64);
    }
}

fn latency_history(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let event = String::from_utf8_lossy(args[2]).into_owned();
    let samples: Vec<(i64, u64)> = srv
        .latency
        .get(&event)
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default();
    client.reply.array(samples.len());
    for (ts, ms) in samples {
        client.reply.array(2);
        client.reply.int(ts);
        client.reply.int(ms as i64);
    }
}

fn latency_reset(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let reset = if args.len() == 2 {
        let n = srv.latency.len();
        srv.latency.clear();
        n
    } else {
        args[2..]
            .iter()
            .filter(|e| srv.latency.remove(&*String::from_utf8_lossy(e)).is_some())
            .count()
    };
    client.reply.int(reset as i64);
}

fn latency_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
}

fn function_flush(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match args.get(2) {
        None => client.reply.ok(),
        Some(mode) if is(mode, "sync") || is(mode, "async") => client.reply.ok(),
        Some(_) => client
            .reply
            .error("FUNCTION FLUSH only supports SYNC|ASYNC option"),
    }
}

fn function_list(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut i = 2;
    while i < args.len() {
        if is(args[i], "withcode") {
            i += 1;
        } else if is(args[i], "libraryname") && i + 1 < args.len() {
            i += 2;
        } else {
            client.reply.error(&format!(
                "Unknown argument {}",
                String::from_utf8_lossy(args[i])
            ));
            return;
        }
    }
    // No libraries exist until scripting is implemented.
    client.reply.array(0);
}

fn function_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "FUNCTION",
        &[
            "LIST [LIBRARYNAME <pattern>] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using",
            "    LIBRARYNAME argument.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
        ],
    );
}

fn shutdown(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (mut save, mut nosave, mut now, mut force, mut abort) = (false, false, false, false, false);
    for arg in &args[1..] {
        if is(arg, "nosave") {
            nosave = true;
        } else if is(arg, "save") {
            save = true;
        } else if is(arg, "now") {
            now = true;
        } else if is(arg, "force") {
            force = true;
        } else if is(arg, "abort") {
            abort = true;
        } else {
            client.reply.syntax_error();
            return;
        }
    }
    if (save && nosave) || (abort && args.len() > 2) {
        client.reply.syntax_error();
        return;
    }
    if abort {
        if shutdown::abort(srv) {
            client.reply.ok();
        } else {
            client.reply.error("No shutdown in progress.");
        }
        return;
    }
    let mode = if save {
        ShutdownSave::Save
    } else if nosave {
        ShutdownSave::NoSave
    } else {
        ShutdownSave::Default
    };
    let request = shutdown::Request {
        save: mode,
        force,
        now,
        origin: Shutdown::Command,
    };
    match shutdown::begin(srv, request) {
        shutdown::Begun::Failed => {
            client.reply.error("Errors trying to SHUTDOWN. Check logs.");
        }
        shutdown::Begun::Waiting => shutdown::block(srv, client),
        // The client's connection closes with the server; nothing is
        // replied.
        shutdown::Begun::Done => client.close_asap = true,
    }
}
