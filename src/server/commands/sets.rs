//! Set commands: membership, random members (SPOP propagates as SREM, or
//! DEL when it empties the set), moves, and the algebra (SINTER, SUNION,
//! SDIFF, their STORE forms, SINTERCARD) — with Redis 7.0's replies (sets
//! in RESP3), errors and result encodings (results start as intsets).

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::propagate::Propagated;
use super::super::signal::{Event, event};
use super::super::types::set::{self, Member, SetRef};
use super::super::types::{Kind, Value};
use super::hashes::distinct_sample;
use super::{
    WrongType, drop_if_empty, positive_arg, range_arg, read_kind, read_kind_rng, remove_elements,
    reply_member, reply_scan, scan_cursor_arg, scan_dict, scan_options, value_mut, write_kind,
};

const G: &str = "set";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "sadd",
        -3,
        WRITE | DENYOOM | FAST,
        G,
        "1.0.0",
        "Add one or more members to a set",
        sadd,
    )
    .keys(1, 1, 1),
    Spec::new(
        "srem",
        -3,
        WRITE | FAST,
        G,
        "1.0.0",
        "Remove one or more members from a set",
        srem,
    )
    .keys(1, 1, 1),
    Spec::new(
        "smembers",
        2,
        READONLY,
        G,
        "1.0.0",
        "Get all the members in a set",
        smembers,
    )
    .keys(1, 1, 1),
    Spec::new(
        "sismember",
        3,
        READONLY | FAST,
        G,
        "1.0.0",
        "Determine if a given value is a member of a set",
        sismember,
    )
    .keys(1, 1, 1),
    Spec::new(
        "smismember",
        -3,
        READONLY | FAST,
        G,
        "6.2.0",
        "Returns the membership associated with the given elements for a set",
        smismember,
    )
    .keys(1, 1, 1),
    Spec::new(
        "scard",
        2,
        READONLY | FAST,
        G,
        "1.0.0",
        "Get the number of members in a set",
        scard,
    )
    .keys(1, 1, 1),
    Spec::new(
        "spop",
        -2,
        WRITE | FAST,
        G,
        "1.0.0",
        "Remove and return one or multiple random members from a set",
        spop,
    )
    .keys(1, 1, 1),
    Spec::new(
        "srandmember",
        -2,
        READONLY,
        G,
        "1.0.0",
        "Get one or multiple random members from a set",
        srandmember,
    )
    .keys(1, 1, 1),
    Spec::new(
        "smove",
        4,
        WRITE | FAST,
        G,
        "1.0.0",
        "Move a member from one set to another",
        smove,
    )
    .keys(1, 2, 1),
    Spec::new(
        "sinter",
        -2,
        READONLY,
        G,
        "1.0.0",
        "Intersect multiple sets",
        sinter,
    )
    .keys(1, -1, 1),
    Spec::new(
        "sintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        G,
        "7.0.0",
        "Intersect multiple sets and return the cardinality of the result",
        sintercard,
    ),
    Spec::new(
        "sunion",
        -2,
        READONLY,
        G,
        "1.0.0",
        "Add multiple sets",
        sunion,
    )
    .keys(1, -1, 1),
    Spec::new(
        "sdiff",
        -2,
        READONLY,
        G,
        "1.0.0",
        "Subtract multiple sets",
        sdiff,
    )
    .keys(1, -1, 1),
    Spec::new(
        "sinterstore",
        -3,
        WRITE | DENYOOM,
        G,
        "1.0.0",
        "Intersect multiple sets and store the resulting set in a key",
        sinterstore,
    )
    .keys(1, -1, 1),
    Spec::new(
        "sunionstore",
        -3,
        WRITE | DENYOOM,
        G,
        "1.0.0",
        "Add multiple sets and store the resulting set in a key",
        sunionstore,
    )
    .keys(1, -1, 1),
    Spec::new(
        "sdiffstore",
        -3,
        WRITE | DENYOOM,
        G,
        "1.0.0",
        "Subtract multiple sets and store the resulting set in a key",
        sdiffstore,
    )
    .keys(1, -1, 1),
    Spec::new(
        "sscan",
        -3,
        READONLY,
        G,
        "2.8.0",
        "Incrementally iterate Set elements",
        sscan,
    )
    .keys(1, 1, 1),
];

fn sadd(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (db, key) = (client.db, args[1]);
    match write_kind(srv, client, key, Kind::Set) {
        Err(WrongType) => return,
        Ok(Some(_)) => {}
        Ok(None) => {
            // A new set is built in one allocation, in the encoding the
            // members one by one would have ended in.
            let value = set::from_members(args[2..].iter().copied());
            let added = value.len() as u64;
            srv.ks.dbs[db].add(key, value);
            srv.key_changed(db, key, event::SADD, added);
            client.reply.int(added as i64);
            return;
        }
    }
    let Some(value) = value_mut(srv, db, key) else {
        return;
    };
    let mut added = 0;
    for m in &args[2..] {
        if set::add(value, m) {
            added += 1;
        }
    }
    if added > 0 {
        srv.key_changed(db, key, event::SADD, added);
    }
    client.reply.int(added as i64);
}

fn srem(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    remove_elements(srv, client, args, Kind::Set, event::SREM, set::remove);
}

/// Reply every member of a set as a RESP3 set (array in RESP2).
fn reply_members(client: &mut Client, s: SetRef<'_>) {
    client.reply.set(s.len());
    for m in s.iter() {
        reply_member(client, m);
    }
}

fn smembers(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::Set) {
        Err(WrongType) => {}
        Ok(None) => client.reply.set(0),
        Ok(Some(v)) => {
            if let Some(s) = SetRef::of(v) {
                reply_members(client, s);
            }
        }
    }
}

fn sismember(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::Set) {
        Err(WrongType) => {}
        Ok(v) => {
            let found = v.and_then(SetRef::of).is_some_and(|s| s.contains(args[2]));
            client.reply.int(i64::from(found));
        }
    }
}

fn smismember(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Ok(v) = read_kind(srv, client, args[1], Kind::Set) else {
        return;
    };
    let s = v.and_then(SetRef::of);
    client.reply.array(args.len() - 2);
    for m in &args[2..] {
        client
            .reply
            .int(i64::from(s.is_some_and(|s| s.contains(m))));
    }
}

fn scard(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::Set) {
        Err(WrongType) => {}
        Ok(v) => client.reply.int(v.map_or(0, Value::len) as i64),
    }
}

/// Remove a random member; its bytes.
fn pop_one(value: &mut Value, rng: &mut super::super::dict::Rng) -> Option<Vec<u8>> {
    let m = SetRef::of(value)?.random(rng)?.to_vec();
    set::remove(value, &m);
    Some(m)
}

fn spop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 3 {
        client.reply.syntax_error();
        return;
    }
    let (db, key) = (client.db, args[1]);
    let count = match args.get(2) {
        Some(arg) => match positive_arg(client, arg, None) {
            Some(n) => Some(n as usize),
            None => return,
        },
        None => None,
    };
    match write_kind(srv, client, key, Kind::Set) {
        Err(WrongType) => return,
        Ok(None) => {
            if count.is_some() {
                client.reply.set(0);
            } else {
                client.reply.null();
            }
            return;
        }
        Ok(Some(_)) => {}
    }
    let ks = &mut srv.ks;
    let Some(value) = ks.dbs[db].dict.get_mut(key).map(|o| &mut o.value) else {
        return;
    };
    let size = value.len();
    let popped = match count {
        None => {
            let Some(m) = pop_one(value, &mut ks.rng) else {
                client.reply.null();
                return;
            };
            client.reply.bulk(&m);
            ks.effects
                .rewrite(Propagated::new(db, [&b"SREM"[..], key, &m]));
            1
        }
        Some(0) => {
            client.reply.set(0);
            return;
        }
        Some(n) if n >= size => {
            let Some(s) = SetRef::of(value) else {
                return;
            };
            reply_members(client, s);
            ks.dbs[db].remove(key);
            ks.effects.rewrite(Propagated::new(db, [&b"DEL"[..], key]));
            srv.key_changed(db, key, event::SPOP, size as u64);
            return;
        }
        Some(n) => {
            let mut popped = Vec::with_capacity(n);
            for _ in 0..n {
                match pop_one(value, &mut ks.rng) {
                    Some(m) => popped.push(m),
                    None => break,
                }
            }
            client.reply.set(popped.len());
            for m in &popped {
                client.reply.bulk(m);
            }
            let mut argv: Vec<&[u8]> = vec![b"SREM", key];
            argv.extend(popped.iter().map(Vec::as_slice));
            ks.effects.rewrite(Propagated::new(db, argv));
            popped.len() as u64
        }
    };
    drop_if_empty(srv, db, key);
    srv.key_changed(db, key, event::SPOP, popped);
}

fn srandmember(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 3 {
        client.reply.syntax_error();
        return;
    }
    let l = match args.get(2) {
        Some(arg) => match range_arg(client, arg, -i64::MAX, i64::MAX, None) {
            Some(l) => Some(l),
            None => return,
        },
        None => None,
    };
    let cap = super::random_reply_cap(client, &srv.config);
    let (value, rng) = match read_kind_rng(srv, client, args[1], Kind::Set) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.nothing(l.is_some());
            return;
        }
        Ok(Some(found)) => found,
    };
    let Some(s) = SetRef::of(value) else {
        return;
    };
    let Some(l) = l else {
        match s.random(rng) {
            Some(m) => reply_member(client, m),
            None => client.reply.null(),
        }
        return;
    };
    let count = l.unsigned_abs() as usize;
    if count == 0 {
        client.reply.array(0);
        return;
    }
    if l < 0 || count == 1 {
        // "$1\r\nx\r\n" (or ":1\r\n" for RESP3 integers) at the least.
        if !super::random_count_fits(client, cap, count, 4) {
            return;
        }
        client.reply.array(count);
        for i in 0..count {
            if i % 4096 == 4095 && super::random_reply_over(client, cap) {
                break;
            }
            match s.random(rng) {
                Some(m) => reply_member(client, m),
                None => break,
            }
        }
        return;
    }
    let size = s.len();
    if count >= size {
        client.reply.set(size);
        for m in s.iter() {
            reply_member(client, m);
        }
        return;
    }
    let picked = distinct_sample(size, count, rng);
    client.reply.array(count);
    for (i, m) in s.iter().enumerate() {
        if picked.contains(&i) {
            reply_member(client, m);
        }
    }
}

fn smove(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (db, src, dst, member) = (client.db, args[1], args[2], args[3]);
    srv.ks.expire_if_needed(db, src);
    srv.ks.expire_if_needed(db, dst);
    let kind_of = |srv: &Server, key: &[u8]| srv.ks.dbs[db].dict.get(key).map(|o| o.value.kind());
    let (src_kind, dst_kind) = (kind_of(srv, src), kind_of(srv, dst));
    let Some(src_kind) = src_kind else {
        client.reply.int(0);
        return;
    };
    if src_kind != Kind::Set || dst_kind.is_some_and(|k| k != Kind::Set) {
        client.reply.wrong_type();
        return;
    }
    if src == dst {
        let found = srv.ks.dbs[db]
            .dict
            .get(src)
            .and_then(|o| SetRef::of(&o.value))
            .is_some_and(|s| s.contains(member));
        client.reply.int(i64::from(found));
        return;
    }
    let removed = value_mut(srv, db, src).is_some_and(|v| set::remove(v, member));
    if !removed {
        client.reply.int(0);
        return;
    }
    drop_if_empty(srv, db, src);
    if dst_kind.is_none() {
        srv.ks.dbs[db].add(dst, set::new_for(member));
    }
    srv.key_changed(db, src, event::SREM, 1);
    if value_mut(srv, db, dst).is_some_and(|v| set::add(v, member)) {
        srv.key_changed(db, dst, event::SADD, 1);
    }
    client.reply.int(1);
}

/// The sets under `keys` (None for missing keys), or WRONGTYPE.
fn load_sets<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    keys: &[&[u8]],
) -> Result<Vec<Option<&'a Value>>, WrongType> {
    for key in keys {
        read_kind(srv, client, key, Kind::Set)?;
    }
    let db = &srv.ks.dbs[client.db];
    Ok(keys
        .iter()
        .map(|k| db.dict.get(k).map(|o| &o.value))
        .collect())
}

/// The members of the intersection, in the smallest set's order; stops at
/// `limit` members when non-zero.
fn intersect(sets: &[&Value], limit: usize) -> Vec<Vec<u8>> {
    let mut refs: Vec<SetRef<'_>> = sets.iter().filter_map(|v| SetRef::of(v)).collect();
    refs.sort_by_key(SetRef::len);
    let mut out = Vec::new();
    let Some((first, rest)) = refs.split_first() else {
        return out;
    };
    let mut digits = itoa::Buffer::new();
    for m in first.iter() {
        let bytes = m.bytes(&mut digits);
        if rest.iter().all(|s| s.contains(bytes)) {
            out.push(bytes.to_vec());
            if limit != 0 && out.len() >= limit {
                break;
            }
        }
    }
    out
}

/// SINTER/SINTERSTORE/SINTERCARD.
fn inter_generic(
    srv: &mut Server,
    client: &mut Client,
    keys: &[&[u8]],
    dst: Option<&[u8]>,
    card_limit: Option<usize>,
) {
    let db = client.db;
    let Ok(loaded) = load_sets(srv, client, keys) else {
        return;
    };
    let present: Option<Vec<&Value>> = loaded.into_iter().collect();
    let members = match &present {
        None => Vec::new(),
        Some(sets) => intersect(sets, card_limit.unwrap_or(0)),
    };
    if let Some(_limit) = card_limit {
        client.reply.int(members.len() as i64);
        return;
    }
    match dst {
        None => {
            client.reply.set(members.len());
            for m in &members {
                client.reply.bulk(m);
            }
        }
        Some(dst) => store(srv, client, db, dst, &members, event::SINTERSTORE),
    }
}

/// Store a result set (intset when it can be), or delete the destination
/// when it is empty; replies the size.
fn store(
    srv: &mut Server,
    client: &mut Client,
    db: usize,
    dst: &[u8],
    members: &[Vec<u8>],
    event: Event,
) {
    srv.ks.expire_if_needed(db, dst);
    if members.is_empty() {
        if srv.ks.dbs[db].remove(dst).is_some() {
            srv.key_changed(db, dst, event::DEL, 1);
        }
        client.reply.int(0);
        return;
    }
    let mut value = set::new_ints();
    for m in members {
        set::add(&mut value, m);
    }
    let n = value.len();
    srv.ks.dbs[db].set(dst, value, false);
    srv.key_changed(db, dst, event, 1);
    client.reply.int(n as i64);
}

fn sinter(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    inter_generic(srv, client, &args[1..], None, None);
}

fn sinterstore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    inter_generic(srv, client, &args[2..], Some(args[1]), None);
}

fn sintercard(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(numkeys) = range_arg(
        client,
        args[1],
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    ) else {
        return;
    };
    if numkeys > (args.len() - 2) as i64 {
        client
            .reply
            .error("Number of keys can't be greater than number of args");
        return;
    }
    let numkeys = numkeys as usize;
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < args.len() {
        if super::is(args[j], "limit") && j + 1 < args.len() {
            j += 1;
            let Some(l) = positive_arg(client, args[j], Some("LIMIT can't be negative")) else {
                return;
            };
            limit = l as usize;
        } else {
            client.reply.syntax_error();
            return;
        }
        j += 1;
    }
    inter_generic(srv, client, &args[2..2 + numkeys], None, Some(limit));
}

/// SUNION/SDIFF and their STORE forms: the result is built as a set
/// value (starting as an intset, as Redis does), which fixes its order.
fn union_diff(
    srv: &mut Server,
    client: &mut Client,
    keys: &[&[u8]],
    dst: Option<&[u8]>,
    diff: bool,
) {
    let db = client.db;
    let Ok(sets) = load_sets(srv, client, keys) else {
        return;
    };
    let mut result = set::new_ints();
    let mut digits = itoa::Buffer::new();
    if diff {
        if let Some(Some(first)) = sets.first() {
            let first_ptr: *const Value = *first;
            let same = sets[1..]
                .iter()
                .flatten()
                .any(|v| std::ptr::eq(*v, first_ptr));
            if !same && let Some(base) = SetRef::of(first) {
                let others: Vec<SetRef<'_>> = sets[1..]
                    .iter()
                    .flatten()
                    .filter_map(|v| SetRef::of(v))
                    .collect();
                for m in base.iter() {
                    let bytes = m.bytes(&mut digits);
                    if !others.iter().any(|s| s.contains(bytes)) {
                        set::add(&mut result, bytes);
                    }
                }
            }
        }
    } else {
        for s in sets.iter().flatten().filter_map(|v| SetRef::of(v)) {
            for m in s.iter() {
                set::add(&mut result, m.bytes(&mut digits));
            }
        }
    }
    match dst {
        None => {
            if let Some(s) = SetRef::of(&result) {
                reply_members(client, s);
            }
        }
        Some(dst) => {
            let members: Vec<Vec<u8>> = SetRef::of(&result)
                .map(|s| s.iter().map(Member::to_vec).collect())
                .unwrap_or_default();
            let event = if diff {
                event::SDIFFSTORE
            } else {
                event::SUNIONSTORE
            };
            store(srv, client, db, dst, &members, event);
        }
    }
}

fn sunion(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    union_diff(srv, client, &args[1..], None, false);
}

fn sunionstore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    union_diff(srv, client, &args[2..], Some(args[1]), false);
}

fn sdiff(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    union_diff(srv, client, &args[1..], None, true);
}

fn sdiffstore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    union_diff(srv, client, &args[2..], Some(args[1]), true);
}

fn sscan(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(cursor) = scan_cursor_arg(client, args[2]) else {
        return;
    };
    let s = match read_kind(srv, client, args[1], Kind::Set) {
        Err(WrongType) => return,
        Ok(v) => v.and_then(SetRef::of),
    };
    let Some(s) = s else {
        client.reply.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
        return;
    };
    let Some(opts) = scan_options(client, &args[3..]) else {
        return;
    };
    let mut items = Vec::new();
    let next = match s {
        SetRef::Ints(_) => {
            items.extend(s.iter().map(Member::to_vec));
            0
        }
        SetRef::Table(t) => scan_dict(t, cursor, opts.count, |m, _| items.push(m.to_vec())),
    };
    reply_scan(client, next, items, false, opts.pattern);
}
