//! PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST over strings holding
//! Redis's HyperLogLog representation ([`super::super::types::hll`]).

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::propagate::Propagated;
use super::super::signal::event;
use super::super::types::hll;
use super::super::types::{Str, Value};
use super::written::key_written;
use super::{WrongType, is};

const G: &str = "hyperloglog";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "pfadd",
        -2,
        WRITE | DENYOOM | FAST,
        G,
        "2.8.9",
        "Adds the specified elements to the specified HyperLogLog.",
        pfadd,
    )
    .keys(1, 1, 1),
    Spec::new(
        "pfcount",
        -2,
        READONLY | MAY_REPLICATE,
        G,
        "2.8.9",
        "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        pfcount,
    )
    .keys(1, -1, 1),
    Spec::new(
        "pfmerge",
        -2,
        WRITE | DENYOOM,
        G,
        "2.8.9",
        "Merge N different HyperLogLogs into a single one.",
        pfmerge,
    )
    .keys(1, -1, 1),
    Spec::new(
        "pfdebug",
        3,
        WRITE | DENYOOM | ADMIN,
        G,
        "2.8.9",
        "Internal commands for debugging HyperLogLog values",
        pfdebug,
    )
    .keys(2, 2, 1),
    Spec::new(
        "pfselftest",
        1,
        ADMIN,
        G,
        "2.8.9",
        "An internal command for testing HyperLogLog values",
        pfselftest,
    ),
];

const CORRUPT: &str = "-INVALIDOBJ Corrupted HLL object detected";
const NOT_HLL: &str = "-WRONGTYPE Key is not a valid HyperLogLog string value.";

/// The sketch bytes of a string value, or the error Redis replies for a
/// value that is not one.
fn sketch<'a>(client: &mut Client, value: &'a Value) -> Result<&'a [u8], WrongType> {
    match value {
        Value::String(Str::Embedded(b)) if hll::looks_valid(b) => Ok(b),
        Value::String(Str::Raw(v)) if hll::looks_valid(v) => Ok(v),
        Value::String(_) => {
            client.reply.error(NOT_HLL);
            Err(WrongType)
        }
        _ => {
            client.reply.wrong_type();
            Err(WrongType)
        }
    }
}

/// The sketch under `key` for modification (`Ok(None)`: no such key).
fn sketch_mut<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
) -> Result<Option<&'a mut Vec<u8>>, WrongType> {
    let Some(obj) = srv.ks.lookup_write(client.db, key) else {
        return Ok(None);
    };
    sketch(client, &obj.value)?;
    match &mut obj.value {
        Value::String(s) => Ok(Some(s.make_raw())),
        _ => Err(WrongType),
    }
}

fn pfadd(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (db, key) = (client.db, args[1]);
    let max_sparse = srv.config.hll_sparse_max_bytes;
    let mut updated = 0u64;
    let hll = match sketch_mut(srv, client, key) {
        Err(WrongType) => return,
        Ok(Some(h)) => h,
        Ok(None) => {
            srv.ks.dbs[db].add(key, Value::String(Str::Raw(Box::new(hll::new_sparse()))));
            updated += 1;
            match super::value_mut(srv, db, key) {
                Some(Value::String(s)) => s.make_raw(),
                _ => return,
            }
        }
    };
    for element in &args[2..] {
        match hll::add(hll, element, max_sparse) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            Err(hll::Corrupt) => {
                client.reply.error(CORRUPT);
                return;
            }
        }
    }
    if updated > 0 {
        hll::invalidate(hll);
        key_written(srv, db, key, event::PFADD, updated);
    }
    client.reply.int(i64::from(updated > 0));
}

/// Merge the sketches under `keys` into `max` (one register per byte);
/// true when any of them was dense. False with the error replied when one
/// is not a sketch or is corrupt.
fn merge_keys(
    srv: &mut Server,
    client: &mut Client,
    keys: &[&[u8]],
    max: &mut [u8],
) -> Option<bool> {
    let mut any_dense = false;
    for key in keys {
        let Some(obj) = srv.ks.lookup(client.db, key) else {
            continue;
        };
        let Ok(bytes) = sketch(client, &obj.value) else {
            return None;
        };
        any_dense |= hll::is_dense(bytes);
        if hll::merge_into(max, bytes).is_err() {
            client.reply.error(CORRUPT);
            return None;
        }
    }
    Some(any_dense)
}

fn pfcount(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let db = client.db;
    if args.len() > 2 {
        let mut max = vec![0u8; hll::REGISTERS];
        if merge_keys(srv, client, &args[1..], &mut max).is_none() {
            return;
        }
        client.reply.int(hll::count_registers(&max) as i64);
        return;
    }
    let key = args[1];
    let Some(obj) = srv.ks.lookup(db, key) else {
        client.reply.int(0);
        return;
    };
    let Ok(bytes) = sketch(client, &obj.value) else {
        return;
    };
    if let Some(card) = hll::cached(bytes) {
        client.reply.int(card as i64);
        return;
    }
    let card = match hll::count(bytes) {
        Ok(c) => c,
        Err(hll::Corrupt) => {
            client.reply.error(CORRUPT);
            return;
        }
    };
    if let Some(Value::String(s)) = super::value_mut(srv, db, key) {
        hll::set_cache(s.make_raw(), card);
    }
    // A read-only command that changed the value: Redis propagates it.
    key_written(srv, db, key, event::HLL_CACHE, 1);
    srv.ks
        .effects
        .propagate(Propagated::new(db, args.iter().copied()));
    client.reply.int(card as i64);
}

fn pfmerge(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (db, key) = (client.db, args[1]);
    let max_sparse = srv.config.hll_sparse_max_bytes;
    let mut max = vec![0u8; hll::REGISTERS];
    let Some(dense) = merge_keys(srv, client, &args[1..], &mut max) else {
        return;
    };
    if srv.ks.lookup_write(db, key).is_none() {
        srv.ks.dbs[db].add(key, Value::String(Str::Raw(Box::new(hll::new_sparse()))));
    }
    let Some(Value::String(s)) = super::value_mut(srv, db, key) else {
        return;
    };
    if hll::store_registers(s.make_raw(), &max, dense, max_sparse).is_err() {
        client.reply.error(CORRUPT);
        return;
    }
    key_written(srv, db, key, event::PFADD, 1);
    client.reply.ok();
}

fn pfdebug(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (db, key) = (client.db, args[2]);
    let sub = String::from_utf8_lossy(args[1]).into_owned();
    let hll = match sketch_mut(srv, client, key) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.error("The specified key does not exist");
            return;
        }
        Ok(Some(h)) => h,
    };
    if is(args[1], "getreg") {
        let converted = match hll::to_dense(hll) {
            Ok(c) => c,
            Err(hll::Corrupt) => {
                client.reply.error(CORRUPT);
                return;
            }
        };
        let registers = hll::registers(hll);
        if converted {
            key_written(srv, db, key, event::HLL_CACHE, 1);
        }
        client.reply.array(registers.len());
        for r in registers {
            client.reply.int(i64::from(r));
        }
    } else if is(args[1], "decode") {
        if hll::is_dense(hll) {
            client.reply.error("HLL encoding is not sparse");
            return;
        }
        let text = hll::decode(hll);
        client.reply.bulk(text.as_bytes());
    } else if is(args[1], "encoding") {
        client.reply.simple(if hll::is_dense(hll) {
            "dense"
        } else {
            "sparse"
        });
    } else if is(args[1], "todense") {
        let converted = match hll::to_dense(hll) {
            Ok(c) => c,
            Err(hll::Corrupt) => {
                client.reply.error(CORRUPT);
                return;
            }
        };
        if converted {
            key_written(srv, db, key, event::HLL_CACHE, 1);
        }
        client.reply.int(i64::from(converted));
    } else {
        client
            .reply
            .error(&format!("Unknown PFDEBUG subcommand '{sub}'"));
    }
}

fn pfselftest(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let seed = srv.ks.rng.next_u64();
    match hll::self_test(seed, srv.config.hll_sparse_max_bytes) {
        Ok(()) => client.reply.ok(),
        Err(message) => client.reply.error(&message),
    }
}
