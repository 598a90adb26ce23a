//! Keyspace commands: existence, deletion, expiry, iteration (KEYS, SCAN,
//! RANDOMKEY), renaming and copying between keys and databases, flushing,
//! and OBJECT introspection.

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::propagate::Propagated;
use super::super::rdb_value;
use super::super::signal::event;
use super::super::types::{Str, Value};
use super::{db_arg, help, int_arg, invalid_expire, is};
use crate::glob;
use crate::rdb::{dump, format};

const G: &str = "generic";

pub const COMMANDS: &[Spec] = &[
    Spec::new("del", -2, WRITE, G, "1.0.0", "Delete a key", del).keys(1, -1, 1),
    Spec::new("unlink", -2, WRITE | FAST, G, "4.0.0", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", unlink).keys(1, -1, 1),
    Spec::new("exists", -2, READONLY | FAST, G, "1.0.0", "Determine if a key exists", exists).keys(1, -1, 1),
    Spec::new("type", 2, READONLY | FAST, G, "1.0.0", "Determine the type stored at key", type_).keys(1, 1, 1),
    Spec::new("touch", -2, READONLY | FAST, G, "3.2.1", "Alters the last access time of a key(s). Returns the number of existing keys specified.", touch).keys(1, -1, 1),
    Spec::new("expire", -3, WRITE | FAST, G, "1.0.0", "Set a key's time to live in seconds", expire).keys(1, 1, 1),
    Spec::new("pexpire", -3, WRITE | FAST, G, "2.6.0", "Set a key's time to live in milliseconds", pexpire).keys(1, 1, 1),
    Spec::new("expireat", -3, WRITE | FAST, G, "1.2.0", "Set the expiration for a key as a UNIX timestamp", expireat).keys(1, 1, 1),
    Spec::new("pexpireat", -3, WRITE | FAST, G, "2.6.0", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", pexpireat).keys(1, 1, 1),
    Spec::new("ttl", 2, READONLY | FAST, G, "1.0.0", "Get the time to live for a key in seconds", ttl).keys(1, 1, 1),
    Spec::new("pttl", 2, READONLY | FAST, G, "2.6.0", "Get the time to live for a key in milliseconds", pttl).keys(1, 1, 1),
    Spec::new("expiretime", 2, READONLY | FAST, G, "7.0.0", "Get the expiration Unix timestamp for a key", expiretime).keys(1, 1, 1),
    Spec::new("pexpiretime", 2, READONLY | FAST, G, "7.0.0", "Get the expiration Unix timestamp for a key in milliseconds", pexpiretime).keys(1, 1, 1),
    Spec::new("persist", 2, WRITE | FAST, G, "2.2.0", "Remove the expiration from a key", persist).keys(1, 1, 1),
    Spec::new("keys", 2, READONLY, G, "1.0.0", "Find all keys matching the given pattern", keys),
    Spec::new("scan", -2, READONLY, G, "2.8.0", "Incrementally iterate the keys space", scan),
    Spec::new("randomkey", 1, READONLY, G, "1.0.0", "Return a random key from the keyspace", randomkey),
    Spec::new("rename", 3, WRITE, G, "1.0.0", "Rename a key", rename).keys(1, 2, 1),
    Spec::new("renamenx", 3, WRITE | FAST, G, "1.0.0", "Rename a key, only if the new key does not exist", renamenx).keys(1, 2, 1),
    Spec::new("copy", -3, WRITE | DENYOOM, G, "6.2.0", "Copy a key", copy).keys(1, 2, 1),
    Spec::new("move", 3, WRITE | FAST, G, "1.0.0", "Move a key to another database", move_).keys(1, 1, 1),
    Spec::new("swapdb", 3, WRITE | FAST, "server", "4.0.0", "Swaps two Redis databases", swapdb),
    Spec::new("dbsize", 1, READONLY | FAST, "server", "1.0.0", "Return the number of keys in the selected database", dbsize),
    Spec::new("flushdb", -1, WRITE, "server", "1.0.0", "Remove all keys from the current database", flushdb),
    Spec::new("flushall", -1, WRITE, "server", "1.0.0", "Remove all keys from all databases", flushall),
    Spec::container("object", -2, G, "2.2.3", "A container for object introspection commands", OBJECT),
    Spec::new("dump", 2, READONLY, G, "2.6.0", "Return a serialized version of the value stored at the specified key.", dump).keys(1, 1, 1),
    Spec::new("restore", -4, WRITE | DENYOOM, G, "2.6.0", "Create a key using the provided serialized value, previously obtained using DUMP.", restore).keys(1, 1, 1),
];

const OBJECT: &[Spec] = &[
    Spec::new(
        "encoding",
        3,
        READONLY,
        G,
        "2.2.3",
        "Inspect the internal encoding of a Redis object",
        object_encoding,
    )
    .keys(2, 2, 1),
    Spec::new(
        "freq",
        3,
        READONLY,
        G,
        "4.0.0",
        "Get the logarithmic access frequency counter of a Redis object",
        object_freq,
    )
    .keys(2, 2, 1),
    Spec::new(
        "idletime",
        3,
        READONLY,
        G,
        "2.2.3",
        "Get the time since a Redis object was last accessed",
        object_idletime,
    )
    .keys(2, 2, 1),
    Spec::new(
        "refcount",
        3,
        READONLY,
        G,
        "2.2.3",
        "Get the number of references to the value of the key",
        object_refcount,
    )
    .keys(2, 2, 1),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "6.2.0",
        "Show helpful text about the different subcommands",
        object_help,
    ),
];

fn del(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    delete(srv, client, args, srv.config.lazyfree.user_del);
}

/// UNLINK: DEL with big values freed on the lazy-free thread.
fn unlink(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    delete(srv, client, args, true);
}

fn delete(srv: &mut Server, client: &mut Client, args: &[&[u8]], lazy: bool) {
    let mut deleted = 0;
    for key in &args[1..] {
        let gone = if lazy {
            srv.ks.delete_lazily(client.db, key)
        } else {
            srv.ks.delete(client.db, key)
        };
        if gone {
            deleted += 1;
            srv.key_changed(client.db, key, event::DEL, 1);
        }
    }
    client.reply.int(deleted as i64);
}

fn exists(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut count = 0;
    for key in &args[1..] {
        if srv.ks.lookup_notouch(client.db, key).is_some() {
            count += 1;
        }
    }
    client.reply.int(count);
}

fn touch(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut count = 0;
    for key in &args[1..] {
        if srv.ks.lookup(client.db, key).is_some() {
            count += 1;
        }
    }
    client.reply.int(count);
}

fn type_(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let name = match srv.ks.lookup_notouch(client.db, args[1]) {
        Some(obj) => obj.value.type_name(),
        None => "none",
    };
    client.reply.simple(name);
}

/// Redis's parseExtendedExpireArgumentsOrReply: NX XX GT LT.
fn expire_flags(client: &mut Client, args: &[&[u8]]) -> Option<(bool, bool, bool, bool)> {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &args[3..] {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            let end = memchr::memchr(0, opt).unwrap_or(opt.len());
            client.reply.error(&format!(
                "Unsupported option {}",
                String::from_utf8_lossy(&opt[..end])
            ));
            return None;
        }
    }
    if nx && (xx || gt || lt) {
        client
            .reply
            .error("NX and XX, GT or LT options at the same time are not compatible");
        return None;
    }
    if gt && lt {
        client
            .reply
            .error("GT and LT options at the same time are not compatible");
        return None;
    }
    Some((nx, xx, gt, lt))
}

/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (Redis's expireGenericCommand).
fn expire_generic(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    relative: bool,
    seconds: bool,
    command: &str,
) {
    let Some((nx, xx, gt, lt)) = expire_flags(client, args) else {
        return;
    };
    let Some(mut when) = int_arg(client, args[2]) else {
        return;
    };
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            invalid_expire(client, command);
            return;
        }
        when *= 1000;
    }
    let base = if relative { srv.ks.now } else { 0 };
    if when > i64::MAX - base {
        invalid_expire(client, command);
        return;
    }
    when += base;
    let (key, db) = (args[1], client.db);
    if srv.ks.lookup_write(db, key).is_none() {
        client.reply.int(0);
        return;
    }
    let current = srv.ks.dbs[db].expire_of(key);
    if (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c))
    {
        client.reply.int(0);
        return;
    }
    if srv.ks.already_expired(when) {
        srv.ks.dbs[db].remove(key);
        srv.key_changed(db, key, event::DEL, 1);
        srv.ks
            .effects
            .rewrite(Propagated::new(db, [&b"DEL"[..], key]));
    } else {
        srv.ks.dbs[db].set_expire(key, when);
        srv.key_changed(db, key, event::EXPIRE, 1);
        let at = itoa::Buffer::new().format(when).as_bytes().to_vec();
        let mut argv: Vec<&[u8]> = vec![b"PEXPIREAT", key, &at];
        argv.extend_from_slice(&args[3..]);
        srv.ks.effects.rewrite(Propagated::new(db, argv));
    }
    client.reply.int(1);
}

fn expire(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    expire_generic(srv, client, args, true, true, "expire");
}

fn pexpire(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    expire_generic(srv, client, args, true, false, "pexpire");
}

fn expireat(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    expire_generic(srv, client, args, false, true, "expireat");
}

fn pexpireat(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    expire_generic(srv, client, args, false, false, "pexpireat");
}

/// TTL and friends: -2 missing, -1 no expiry, else remaining or absolute.
fn ttl_generic(srv: &mut Server, client: &mut Client, key: &[u8], ms: bool, absolute: bool) {
    let db = client.db;
    if srv.ks.lookup_notouch(db, key).is_none() {
        client.reply.int(-2);
        return;
    }
    let Some(at) = srv.ks.dbs[db].expire_of(key) else {
        client.reply.int(-1);
        return;
    };
    let ttl = if absolute { at } else { at - srv.ks.now }.max(0);
    client.reply.int(if ms { ttl } else { (ttl + 500) / 1000 });
}

fn ttl(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    ttl_generic(srv, client, args[1], false, false);
}

fn pttl(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    ttl_generic(srv, client, args[1], true, false);
}

fn expiretime(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    ttl_generic(srv, client, args[1], false, true);
}

fn pexpiretime(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    ttl_generic(srv, client, args[1], true, true);
}

fn persist(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let db = client.db;
    if srv.ks.lookup_write(db, args[1]).is_none() {
        client.reply.int(0);
        return;
    }
    if srv.ks.dbs[db].persist(args[1]) {
        srv.key_changed(db, args[1], event::PERSIST, 1);
        client.reply.int(1);
    } else {
        client.reply.int(0);
    }
}

fn keys(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let pattern = args[1];
    let all = pattern == b"*";
    let now = srv.ks.now;
    let db = &srv.ks.dbs[client.db];
    let matched: Vec<&[u8]> = db
        .dict
        .iter()
        .map(|(k, _)| k)
        .filter(|k| all || glob::matches(pattern, k))
        .filter(|k| db.expire_of(k).is_none_or(|at| at > now))
        .collect();
    client.reply.bulks(matched.into_iter());
}

/// Redis's parseScanCursorOrReply (strtoul: optional sign, decimal).
pub fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    let (negative, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { n.wrapping_neg() } else { n })
}

fn scan(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(mut cursor) = parse_scan_cursor(args[1]) else {
        client.reply.error("invalid cursor");
        return;
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i;
        if is(args[i], "count") && more >= 2 {
            let Some(n) = int_arg(client, args[i + 1]) else {
                return;
            };
            if n < 1 {
                client.reply.syntax_error();
                return;
            }
            count = n;
        } else if is(args[i], "match") && more >= 2 {
            pattern = Some(args[i + 1]).filter(|p| *p != b"*");
        } else if is(args[i], "type") && more >= 2 {
            type_name = Some(args[i + 1]);
        } else {
            client.reply.syntax_error();
            return;
        }
        i += 2;
    }
    let db = client.db;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut iterations = count.saturating_mul(10);
    loop {
        cursor = srv.ks.dbs[db]
            .dict
            .scan(cursor, |k, _| found.push(k.to_vec()));
        iterations -= 1;
        if cursor == 0 || iterations <= 0 || found.len() as i64 >= count {
            break;
        }
    }
    found.retain(|k| pattern.is_none_or(|p| glob::matches(p, k)));
    if let Some(wanted) = type_name {
        found.retain(|k| {
            let t = srv.ks.dbs[db]
                .dict
                .get(k)
                .map_or("none", |o| o.value.type_name());
            wanted.eq_ignore_ascii_case(t.as_bytes())
        });
    }
    found.retain(|k| !srv.ks.expire_if_needed(db, k));
    client.reply.array(2);
    client
        .reply
        .bulk(itoa::Buffer::new().format(cursor).as_bytes());
    client.reply.bulks(found.iter().map(Vec::as_slice));
}

fn randomkey(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let db = client.db;
    // Expired keys found are deleted and another is drawn, a bounded
    // number of times (a database of only expired keys ends empty).
    for _ in 0..100 {
        let ks = &mut srv.ks;
        let Some(key) = ks.dbs[db].dict.random(&mut ks.rng).map(|(k, _)| k.to_vec()) else {
            break;
        };
        if ks.expire_if_needed(db, &key) {
            continue;
        }
        client.reply.bulk(&key);
        return;
    }
    client.reply.null();
}

fn rename_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], nx: bool) {
    let (from, to, db) = (args[1], args[2], client.db);
    if srv.ks.lookup_write(db, from).is_none() {
        client.reply.error("no such key");
        return;
    }
    if from == to {
        if nx {
            client.reply.int(0);
        } else {
            client.reply.ok();
        }
        return;
    }
    if srv.ks.lookup_write(db, to).is_some() {
        if nx {
            client.reply.int(0);
            return;
        }
        srv.ks.dbs[db].remove(to);
    }
    let d = &mut srv.ks.dbs[db];
    let expire = d.expire_of(from);
    if let Some(obj) = d.remove(from) {
        d.add_object(to, obj);
        if let Some(at) = expire {
            d.set_expire(to, at);
        }
    }
    srv.key_changed(db, from, event::RENAME_FROM, 1);
    srv.key_changed(db, to, event::RENAME_TO, 0);
    if nx {
        client.reply.int(1);
    } else {
        client.reply.ok();
    }
}

fn rename(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    rename_generic(srv, client, args, false);
}

fn renamenx(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    rename_generic(srv, client, args, true);
}

fn copy(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let src = client.db;
    let mut dst = src;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        let more = args.len() - j - 1;
        if is(args[j], "replace") {
            replace = true;
        } else if is(args[j], "db") && more >= 1 {
            let Some(n) = db_arg(client, args[j + 1], srv.ks.dbs.len()) else {
                return;
            };
            dst = n;
            j += 1;
        } else {
            client.reply.syntax_error();
            return;
        }
        j += 1;
    }
    let (from, to) = (args[1], args[2]);
    if src == dst && from == to {
        client
            .reply
            .error("source and destination objects are the same");
        return;
    }
    let Some(value) = srv.ks.lookup(src, from).map(|o| o.value.clone()) else {
        client.reply.int(0);
        return;
    };
    let expire = srv.ks.dbs[src].expire_of(from);
    if srv.ks.lookup_write(dst, to).is_some() {
        if !replace {
            client.reply.int(0);
            return;
        }
        srv.ks.dbs[dst].remove(to);
    }
    srv.ks.dbs[dst].add(to, value);
    if let Some(at) = expire {
        srv.ks.dbs[dst].set_expire(to, at);
    }
    srv.key_changed(dst, to, event::COPY_TO, 1);
    client.reply.int(1);
}

fn move_(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(dst) = db_arg(client, args[2], srv.ks.dbs.len()) else {
        return;
    };
    let (src, key) = (client.db, args[1]);
    if src == dst {
        client
            .reply
            .error("source and destination objects are the same");
        return;
    }
    if srv.ks.lookup_write(src, key).is_none() {
        client.reply.int(0);
        return;
    }
    let expire = srv.ks.dbs[src].expire_of(key);
    if srv.ks.lookup_write(dst, key).is_some() {
        client.reply.int(0);
        return;
    }
    if let Some(obj) = srv.ks.dbs[src].remove(key) {
        srv.ks.dbs[dst].add_object(key, obj);
        if let Some(at) = expire {
            srv.ks.dbs[dst].set_expire(key, at);
        }
    }
    srv.key_changed(src, key, event::MOVE_FROM, 1);
    srv.key_changed(dst, key, event::MOVE_TO, 0);
    client.reply.int(1);
}

fn swapdb(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let parse =
        |arg: &[u8]| crate::resp::number::string2ll(arg).filter(|n| i32::try_from(*n).is_ok());
    let Some(a) = parse(args[1]) else {
        client.reply.error("invalid first DB index");
        return;
    };
    let Some(b) = parse(args[2]) else {
        client.reply.error("invalid second DB index");
        return;
    };
    let n = srv.ks.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        client.reply.error("DB index is out of range");
        return;
    }
    let (a, b) = (a as usize, b as usize);
    srv.dbs_swapping(a, b);
    srv.ks.dbs.swap(a, b);
    srv.dbs_swapped(a, b, 1);
    client.reply.ok();
}

fn dbsize(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.int(srv.ks.dbs[client.db].len() as i64);
}

/// FLUSHDB/FLUSHALL take an optional ASYNC or SYNC: Some(lazily) when
/// valid (without one, `lazyfree-lazy-user-flush` decides).
fn flush_mode(srv: &Server, client: &mut Client, args: &[&[u8]]) -> Option<bool> {
    match args.len() {
        1 => Some(srv.config.lazyfree.user_flush),
        2 if is(args[1], "sync") => Some(false),
        2 if is(args[1], "async") => Some(true),
        _ => {
            client.reply.syntax_error();
            None
        }
    }
}

fn flushdb(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(lazily) = flush_mode(srv, client, args) else {
        return;
    };
    let changes = srv.ks.dbs[client.db].len() as u64 + 1;
    srv.db_flushing(client.db, changes);
    if lazily {
        srv.ks.dbs[client.db].clear_lazily();
    } else {
        srv.ks.dbs[client.db].clear();
    }
    srv.dbs_flushed();
    client.reply.ok();
}

fn flushall(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(lazily) = flush_mode(srv, client, args) else {
        return;
    };
    for index in 0..srv.ks.dbs.len() {
        let changes = srv.ks.dbs[index].len() as u64;
        srv.db_flushing(index, changes);
        if lazily {
            srv.ks.dbs[index].clear_lazily();
        } else {
            srv.ks.dbs[index].clear();
        }
    }
    srv.dbs_flushed();
    // With save points the snapshot written here resets the change
    // count to 0, as in Redis.
    super::super::persistence::after_flushall(srv);
    // Propagated even when nothing was deleted, as Redis forces it.
    srv.ks
        .effects
        .rewrite(Propagated::new(client.db, args.iter().copied()));
    client.reply.ok();
}

fn object_encoding(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let db = client.db;
    srv.ks.expire_if_needed(db, args[2]);
    match srv.ks.dbs[db].dict.get(args[2]) {
        Some(obj) => client.reply.bulk(obj.value.encoding().as_bytes()),
        None => client.reply.null(),
    }
}

fn object_freq(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let db = client.db;
    srv.ks.expire_if_needed(db, args[2]);
    let Some(obj) = srv.ks.dbs[db].dict.get(args[2]) else {
        client.reply.null();
        return;
    };
    if !srv.config.maxmemory_policy.is_lfu() {
        client.reply.error(
            "An LFU maxmemory policy is not selected, access frequency not tracked. Please \
             note that when switching between policies at runtime LRU and LFU data will take \
             some time to adjust.",
        );
        return;
    }
    client
        .reply
        .int(i64::from(super::super::access::decayed_counter(obj.lru)));
}

fn object_idletime(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let db = client.db;
    srv.ks.expire_if_needed(db, args[2]);
    match srv.ks.dbs[db].dict.get(args[2]) {
        Some(_) if srv.config.maxmemory_policy.is_lfu() => client.reply.error(
            "An LFU maxmemory policy is selected, idle time not tracked. Please note that \
             when switching between policies at runtime LRU and LFU data will take some time \
             to adjust.",
        ),
        // The 24-bit clock wraps; Redis measures across the wrap.
        Some(obj) => client
            .reply
            .int(super::super::access::idle_seconds(obj.lru) as i64),
        None => client.reply.null(),
    }
}

fn object_refcount(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let db = client.db;
    srv.ks.expire_if_needed(db, args[2]);
    // Redis shares the integers 0..9999 (refcount INT_MAX), except under
    // an LRU or LFU maxmemory policy, where each key needs its own stamp.
    let policy = srv.config.maxmemory_policy;
    let shared = srv.config.maxmemory == 0 || !(policy.is_lru() || policy.is_lfu());
    match srv.ks.dbs[db].dict.get(args[2]).map(|o| &o.value) {
        Some(Value::String(Str::Int(n))) if shared && (0..10_000).contains(n) => {
            client.reply.int(i64::from(i32::MAX))
        }
        Some(_) => client.reply.int(1),
        None => client.reply.null(),
    }
}

fn object_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
}

fn dump(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(obj) = srv.ks.lookup(client.db, args[1]) else {
        client.reply.null();
        return;
    };
    match rdb_value::with_rdb_value(&obj.value, crate::rdb::dump::serialize) {
        Ok(payload) => client.reply.bulk(&payload),
        Err(e) => client
            .reply
            .error(&format!("cannot serialize the value: {e}")),
    }
}

/// Redis's verifyDumpPayload: RDB version at most 10 and a CRC-64 that
/// matches exactly (RESTORE accepts no "checksum disabled" zero), unless
/// DEBUG SET-SKIP-CHECKSUM-VALIDATION turned the check off.
fn payload_ok(payload: &[u8], skip_checksum: bool) -> bool {
    if payload.len() < 10 {
        return false;
    }
    let footer = payload.len() - 10;
    let version = u16::from_le_bytes([payload[footer], payload[footer + 1]]);
    if skip_checksum {
        return version <= format::WRITE_VERSION;
    }
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&payload[footer + 2..]);
    dump::verify(payload, format::WRITE_VERSION).is_ok()
        && u64::from_le_bytes(stored) == crate::rdb::crc64::checksum(&payload[..footer + 2])
}

fn restore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (mut replace, mut absttl) = (false, false);
    let mut idle: Option<i64> = None;
    let mut freq: Option<i64> = None;
    let mut j = 4;
    while j < args.len() {
        let more = args.len() - j - 1;
        if is(args[j], "replace") {
            replace = true;
        } else if is(args[j], "absttl") {
            absttl = true;
        } else if is(args[j], "idletime") && more >= 1 && freq.is_none() {
            let Some(n) = int_arg(client, args[j + 1]) else {
                return;
            };
            if n < 0 {
                client.reply.error("Invalid IDLETIME value, must be >= 0");
                return;
            }
            idle = Some(n);
            j += 1;
        } else if is(args[j], "freq") && more >= 1 && idle.is_none() {
            let Some(n) = int_arg(client, args[j + 1]) else {
                return;
            };
            if !(0..=255).contains(&n) {
                client
                    .reply
                    .error("Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            freq = Some(n);
            j += 1;
        } else {
            client.reply.syntax_error();
            return;
        }
        j += 1;
    }
    let (db, key) = (client.db, args[1]);
    if !replace && srv.ks.lookup_write(db, key).is_some() {
        client
            .reply
            .error("-BUSYKEY Target key name already exists.");
        return;
    }
    let Some(mut ttl) = int_arg(client, args[2]) else {
        return;
    };
    if ttl < 0 {
        client.reply.error("Invalid TTL value, must be >= 0");
        return;
    }
    if !payload_ok(args[3], srv.debug.skip_checksum) {
        client
            .reply
            .error("DUMP payload version or checksum are wrong");
        return;
    }
    let parsed = if srv.debug.skip_checksum {
        dump::parse_unchecked(args[3])
    } else {
        dump::parse(args[3], format::WRITE_VERSION)
    };
    let checks = rdb_value::sanitize(deep_sanitization(srv, client));
    let value = match parsed.and_then(|v| rdb_value::from_rdb_value(&v, checks)) {
        Ok(Some(value)) => value,
        failed => {
            // Redis logs why it refused the payload (rdbReportCorruptRDB):
            // the integrity check that failed, else a generic reason.
            let why = match failed {
                Err(e) => match *e.kind {
                    crate::rdb::ErrorKind::Integrity(m) => m,
                    other => format!("{} ({other})", integrity_message(args[3].first().copied())),
                },
                Ok(_) => "Empty keys are not restored".to_owned(),
            };
            srv.log
                .warning(&format!("Internal error in RESTORE payload -> {why}"), &[]);
            client.reply.error("Bad data format");
            return;
        }
    };
    let deleted = replace && srv.ks.delete(db, key);
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(srv.ks.now);
    }
    if ttl != 0 && ttl <= srv.ks.now {
        if deleted {
            srv.key_changed(db, key, event::DEL, 1);
            srv.ks
                .effects
                .rewrite(Propagated::new(db, [&b"DEL"[..], key]));
        } else {
            srv.ks.effects.suppress();
        }
        client.reply.ok();
        return;
    }
    srv.ks.dbs[db].add(key, value);
    if ttl != 0 {
        srv.ks.dbs[db].set_expire(key, ttl);
        if !absttl {
            let at = itoa::Buffer::new().format(ttl).as_bytes().to_vec();
            let mut argv: Vec<&[u8]> = vec![args[0], key, &at];
            argv.extend_from_slice(&args[3..]);
            argv.push(b"ABSTTL");
            srv.ks.effects.rewrite(Propagated::new(db, argv));
        }
    }
    let lfu = srv.config.maxmemory_policy.is_lfu();
    if let (Some(freq), Some(obj), true) = (freq, srv.ks.dbs[db].dict.get_mut(key), lfu) {
        obj.lru = (super::super::clock::lfu_minutes() << 8) | freq.clamp(0, 255) as u32;
    }
    if let (Some(idle), Some(obj), false) = (idle, srv.ks.dbs[db].dict.get_mut(key), lfu) {
        let now = super::super::clock::lru_clock();
        let idle = idle.min(i64::from(0x00ff_ffff)) as u32;
        obj.lru = if now >= idle {
            now - idle
        } else {
            0x00ff_ffff - (idle - now)
        };
    }
    srv.key_changed(db, key, event::RESTORE, 1);
    client.reply.ok();
}

/// Whether this RESTORE sanitizes its payload deeply (Redis's
/// `sanitize-dump-payload`: `clients` spares the master, the AOF and users
/// with `skip-sanitize-payload`).
fn deep_sanitization(srv: &Server, client: &Client) -> bool {
    use super::super::state::acl::Sanitize;
    match srv.config.sanitize_dump_payload() {
        rdb_value::SanitizeDump::Yes => true,
        rdb_value::SanitizeDump::No => false,
        rdb_value::SanitizeDump::Clients => {
            !client.must_obey()
                && srv
                    .acl
                    .user(client.user)
                    .is_none_or(|u| u.sanitize != Sanitize::Skip)
        }
    }
}

/// What Redis logs when a serialized value of this RDB type fails its
/// checks (its rdbLoadObject messages, which tests and operators grep).
fn integrity_message(rdb_type: Option<u8>) -> &'static str {
    rdb_type
        .and_then(|b| crate::rdb::ValueType::from_byte(b, crate::rdb::Magic::Redis))
        .map_or("Bad data format.", crate::rdb::sanitize::reason)
}

#[cfg(test)]
mod tests {
    use super::parse_scan_cursor as scan_cursor;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(scan_cursor(b"0"), Some(0));
        assert_eq!(scan_cursor(b"+5"), Some(5));
        assert_eq!(scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(scan_cursor(b"18446744073709551616"), None);
        assert_eq!(scan_cursor(b"1x"), None);
        assert_eq!(scan_cursor(b""), None);
    }
}
