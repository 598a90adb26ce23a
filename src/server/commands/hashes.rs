//! Hash commands: fields set, read, counted, incremented, listed, sampled
//! and scanned — with Redis 7.0's replies and errors. HINCRBYFLOAT
//! propagates as HSET of the computed value (float formatting must not
//! differ between a master and its replicas).

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::numeric::{IncrFloatError, incr_by_float, parse_long_double};
use super::super::propagate::Propagated;
use super::super::signal::event;
use super::super::types::hash::{self, HashRef};
use super::super::types::{Kind, Value};
use super::{
    WrongType, int_arg, is, range_arg, read_kind, read_kind_rng, remove_elements, reply_scan,
    scan_cursor_arg, scan_dict, scan_options, value_mut, write_kind,
};
use crate::resp::number::string2ll;

const G: &str = "hash";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "hset",
        -4,
        WRITE | DENYOOM | FAST,
        G,
        "2.0.0",
        "Set the string value of a hash field",
        hset,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hsetnx",
        4,
        WRITE | DENYOOM | FAST,
        G,
        "2.0.0",
        "Set the value of a hash field, only if the field does not exist",
        hsetnx,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hget",
        3,
        READONLY | FAST,
        G,
        "2.0.0",
        "Get the value of a hash field",
        hget,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hmset",
        -4,
        WRITE | DENYOOM | FAST,
        G,
        "2.0.0",
        "Set multiple hash fields to multiple values",
        hset,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hmget",
        -3,
        READONLY | FAST,
        G,
        "2.0.0",
        "Get the values of all the given hash fields",
        hmget,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hdel",
        -3,
        WRITE | FAST,
        G,
        "2.0.0",
        "Delete one or more hash fields",
        hdel,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hexists",
        3,
        READONLY | FAST,
        G,
        "2.0.0",
        "Determine if a hash field exists",
        hexists,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hlen",
        2,
        READONLY | FAST,
        G,
        "2.0.0",
        "Get the number of fields in a hash",
        hlen,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hstrlen",
        3,
        READONLY | FAST,
        G,
        "3.2.0",
        "Get the length of the value of a hash field",
        hstrlen,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hkeys",
        2,
        READONLY,
        G,
        "2.0.0",
        "Get all the fields in a hash",
        hkeys,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hvals",
        2,
        READONLY,
        G,
        "2.0.0",
        "Get all the values in a hash",
        hvals,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hgetall",
        2,
        READONLY,
        G,
        "2.0.0",
        "Get all the fields and values in a hash",
        hgetall,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hincrby",
        4,
        WRITE | DENYOOM | FAST,
        G,
        "2.0.0",
        "Increment the integer value of a hash field by the given number",
        hincrby,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hincrbyfloat",
        4,
        WRITE | DENYOOM | FAST,
        G,
        "2.6.0",
        "Increment the float value of a hash field by the given amount",
        hincrbyfloat,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hrandfield",
        -2,
        READONLY,
        G,
        "6.2.0",
        "Get one or multiple random fields from a hash",
        hrandfield,
    )
    .keys(1, 1, 1),
    Spec::new(
        "hscan",
        -3,
        READONLY,
        G,
        "2.8.0",
        "Incrementally iterate hash fields and associated values",
        hscan,
    )
    .keys(1, 1, 1),
];

/// The hash under `key` for writing, created empty when missing (Redis's
/// hashTypeLookupWriteOrCreate).
fn lookup_or_create<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
) -> Option<&'a mut Value> {
    let db = client.db;
    match write_kind(srv, client, key, Kind::Hash) {
        Err(WrongType) => return None,
        Ok(Some(_)) => {}
        Ok(None) => srv.ks.dbs[db].add(key, hash::new_value()),
    }
    value_mut(srv, db, key)
}

fn hset(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if !args.len().is_multiple_of(2) {
        let name = String::from_utf8_lossy(args[0]).to_lowercase();
        client
            .reply
            .error(&format!("wrong number of arguments for '{name}' command"));
        return;
    }
    let Some(value) = lookup_or_create(srv, client, args[1]) else {
        return;
    };
    hash::prepare(value, args[2..].iter().map(|a| a.len()));
    let mut created = 0;
    for pair in args[2..].chunks(2) {
        if hash::set(value, pair[0], pair[1]) {
            created += 1;
        }
    }
    srv.key_changed(
        client.db,
        args[1],
        event::HSET,
        ((args.len() - 2) / 2) as u64,
    );
    if args[0]
        .get(1)
        .is_some_and(|b| b.eq_ignore_ascii_case(&b's'))
    {
        client.reply.int(created);
    } else {
        client.reply.ok();
    }
}

fn hsetnx(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(value) = lookup_or_create(srv, client, args[1]) else {
        return;
    };
    if HashRef::of(value).is_some_and(|h| h.get(args[2]).is_some()) {
        client.reply.int(0);
        return;
    }
    hash::prepare(value, [args[2].len(), args[3].len()].into_iter());
    hash::set(value, args[2], args[3]);
    srv.key_changed(client.db, args[1], event::HSET, 1);
    client.reply.int(1);
}

fn hget(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::Hash) {
        Err(WrongType) => {}
        Ok(v) => match v.and_then(HashRef::of).and_then(|h| h.get(args[2])) {
            Some(val) => client.reply.bulk(val),
            None => client.reply.null(),
        },
    }
}

fn hmget(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Ok(v) = read_kind(srv, client, args[1], Kind::Hash) else {
        return;
    };
    let h = v.and_then(HashRef::of);
    client.reply.array(args.len() - 2);
    for field in &args[2..] {
        match h.and_then(|h| h.get(field)) {
            Some(val) => client.reply.bulk(val),
            None => client.reply.null(),
        }
    }
}

fn hdel(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    remove_elements(srv, client, args, Kind::Hash, event::HDEL, hash::delete);
}

fn hexists(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::Hash) {
        Err(WrongType) => {}
        Ok(v) => {
            let found = v
                .and_then(HashRef::of)
                .is_some_and(|h| h.get(args[2]).is_some());
            client.reply.int(i64::from(found));
        }
    }
}

fn hlen(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::Hash) {
        Err(WrongType) => {}
        Ok(v) => client.reply.int(v.map_or(0, Value::len) as i64),
    }
}

fn hstrlen(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::Hash) {
        Err(WrongType) => {}
        Ok(v) => {
            let len = v
                .and_then(HashRef::of)
                .and_then(|h| h.get(args[2]))
                .map_or(0, <[u8]>::len);
            client.reply.int(len as i64);
        }
    }
}

/// HKEYS, HVALS, HGETALL.
fn getall(srv: &mut Server, client: &mut Client, key: &[u8], keys: bool, values: bool) {
    let h = match read_kind(srv, client, key, Kind::Hash) {
        Err(WrongType) => return,
        Ok(v) => v.and_then(HashRef::of),
    };
    let Some(h) = h else {
        if keys && values {
            client.reply.map(0);
        } else {
            client.reply.array(0);
        }
        return;
    };
    if keys && values {
        client.reply.map(h.len());
    } else {
        client.reply.array(h.len());
    }
    for (f, v) in h.iter() {
        if keys {
            client.reply.bulk(f);
        }
        if values {
            client.reply.bulk(v);
        }
    }
}

fn hkeys(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    getall(srv, client, args[1], true, false);
}

fn hvals(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    getall(srv, client, args[1], false, true);
}

fn hgetall(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    getall(srv, client, args[1], true, true);
}

fn hincrby(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(incr) = int_arg(client, args[3]) else {
        return;
    };
    let Some(value) = lookup_or_create(srv, client, args[1]) else {
        return;
    };
    let current = match HashRef::of(value).and_then(|h| h.get(args[2])) {
        None => 0,
        Some(v) => match string2ll(v) {
            Some(n) => n,
            None => {
                client.reply.error("hash value is not an integer");
                return;
            }
        },
    };
    let Some(next) = current.checked_add(incr) else {
        client.reply.error("increment or decrement would overflow");
        return;
    };
    hash::set(value, args[2], itoa::Buffer::new().format(next).as_bytes());
    srv.key_changed(client.db, args[1], event::HINCRBY, 1);
    client.reply.int(next);
}

fn hincrbyfloat(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(incr) = parse_long_double(args[3]) else {
        client.reply.error("value is not a valid float");
        return;
    };
    if !incr.is_finite() {
        client.reply.error("value is NaN or Infinity");
        return;
    }
    let db = client.db;
    let Some(value) = lookup_or_create(srv, client, args[1]) else {
        return;
    };
    let current: Vec<u8> = HashRef::of(value)
        .and_then(|h| h.get(args[2]))
        .map_or_else(|| b"0".to_vec(), <[u8]>::to_vec);
    let next = match incr_by_float(&current, args[3]) {
        Ok(n) => n,
        Err(IncrFloatError::NotAFloat) => {
            client.reply.error("hash value is not a float");
            return;
        }
        Err(IncrFloatError::NanOrInfinity) => {
            client
                .reply
                .error("increment would produce NaN or Infinity");
            return;
        }
    };
    hash::set(value, args[2], &next);
    srv.key_changed(db, args[1], event::HINCRBYFLOAT, 1);
    srv.ks
        .effects
        .rewrite(Propagated::new(db, [&b"HSET"[..], args[1], args[2], &next]));
    client.reply.bulk(&next);
}

fn hrandfield(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() >= 3 {
        let Some(l) = range_arg(client, args[2], -i64::MAX, i64::MAX, None) else {
            return;
        };
        let with_values = args.len() == 4;
        if args.len() > 4 || (with_values && !is(args[3], "withvalues")) {
            client.reply.syntax_error();
            return;
        }
        if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
            client.reply.error("value is out of range");
            return;
        }
        return hrandfield_count(srv, client, args[1], l, with_values);
    }
    let (h, rng) = match read_kind_rng(srv, client, args[1], Kind::Hash) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.null();
            return;
        }
        Ok(Some((v, rng))) => match HashRef::of(v) {
            Some(h) => (h, rng),
            None => return,
        },
    };
    match h.random(rng) {
        Some((f, _)) => client.reply.bulk(f),
        None => client.reply.null(),
    }
}

/// Random fields: a negative count may repeat them, a positive one gives
/// distinct fields (the whole hash when it asks for as many or more).
fn hrandfield_count(srv: &mut Server, client: &mut Client, key: &[u8], l: i64, with_values: bool) {
    let resp3 = client.reply.resp3;
    let cap = super::random_reply_cap(client, &srv.config);
    let (h, rng) = match read_kind_rng(srv, client, key, Kind::Hash) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.array(0);
            return;
        }
        Ok(Some((v, rng))) => match HashRef::of(v) {
            Some(h) => (h, rng),
            None => return,
        },
    };
    let count = l.unsigned_abs() as usize;
    if count == 0 {
        client.reply.array(0);
        return;
    }
    let emit = |client: &mut Client, f: &[u8], v: &[u8]| {
        if with_values && resp3 {
            client.reply.array(2);
        }
        client.reply.bulk(f);
        if with_values {
            client.reply.bulk(v);
        }
    };
    let header = |client: &mut Client, n: usize| {
        if with_values && !resp3 {
            client.reply.array(n * 2);
        } else {
            client.reply.array(n);
        }
    };
    let size = h.len();
    if l < 0 || count == 1 {
        if !super::random_count_fits(client, cap, count, if with_values { 14 } else { 7 }) {
            return;
        }
        header(client, count);
        for i in 0..count {
            if i % 4096 == 4095 && super::random_reply_over(client, cap) {
                break;
            }
            let Some((f, v)) = h.random(rng) else {
                break;
            };
            emit(client, f, v);
        }
        return;
    }
    if count >= size {
        header(client, size);
        for (f, v) in h.iter() {
            emit(client, f, v);
        }
        return;
    }
    let picked = distinct_sample(size, count, rng);
    header(client, count);
    for (i, (f, v)) in h.iter().enumerate() {
        if picked.contains(&i) {
            emit(client, f, v);
        }
    }
}

/// `count` distinct positions out of `size` (count < size), by sampling
/// up or down from whichever side is smaller.
pub fn distinct_sample(
    size: usize,
    count: usize,
    rng: &mut super::super::dict::Rng,
) -> std::collections::HashSet<usize> {
    use std::collections::HashSet;
    if count * 3 > size {
        let mut all: HashSet<usize> = (0..size).collect();
        while all.len() > count {
            let victim = rng.below(size as u64) as usize;
            all.remove(&victim);
        }
        all
    } else {
        let mut picked = HashSet::with_capacity(count);
        while picked.len() < count {
            picked.insert(rng.below(size as u64) as usize);
        }
        picked
    }
}

fn hscan(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(cursor) = scan_cursor_arg(client, args[2]) else {
        return;
    };
    let h = match read_kind(srv, client, args[1], Kind::Hash) {
        Err(WrongType) => return,
        Ok(v) => v.and_then(HashRef::of),
    };
    let Some(h) = h else {
        client.reply.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
        return;
    };
    let Some(opts) = scan_options(client, &args[3..]) else {
        return;
    };
    let mut items = Vec::new();
    let next = match h {
        HashRef::Packed(_) => {
            for (f, v) in h.iter() {
                items.push(f.to_vec());
                items.push(v.to_vec());
            }
            0
        }
        HashRef::Table(t) => scan_dict(t, cursor, opts.count, |f, v| {
            items.push(f.to_vec());
            items.push(v.to_vec());
        }),
    };
    reply_scan(client, next, items, true, opts.pattern);
}
