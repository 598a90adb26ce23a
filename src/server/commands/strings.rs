//! String commands: GET/SET and their variants, counters, ranges, bits and
//! LCS — with Redis 7.0's argument grammar, replies, error texts and
//! propagation (relative expiries as absolute PXAT/PEXPIREAT, INCRBYFLOAT
//! as SET … KEEPTTL, GETDEL as DEL, GETSET as SET).

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::numeric::{IncrFloatError, incr_by_float};
use super::super::propagate::Propagated;
use super::super::signal::event;
use super::super::types::{Str, Value};
use super::{as_str, as_str_mut, int_arg, invalid_expire, is, reply_str};
use crate::resp::number::string2ll;

const G: &str = "string";
const B: &str = "bitmap";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "get",
        2,
        READONLY | FAST,
        G,
        "1.0.0",
        "Get the value of a key",
        get,
    )
    .keys(1, 1, 1),
    Spec::new(
        "set",
        -3,
        WRITE | DENYOOM,
        G,
        "1.0.0",
        "Set the string value of a key",
        set,
    )
    .keys(1, 1, 1),
    Spec::new(
        "setnx",
        3,
        WRITE | DENYOOM | FAST,
        G,
        "1.0.0",
        "Set the value of a key, only if the key does not exist",
        setnx,
    )
    .keys(1, 1, 1),
    Spec::new(
        "setex",
        4,
        WRITE | DENYOOM,
        G,
        "2.0.0",
        "Set the value and expiration of a key",
        setex,
    )
    .keys(1, 1, 1),
    Spec::new(
        "psetex",
        4,
        WRITE | DENYOOM,
        G,
        "2.6.0",
        "Set the value and expiration in milliseconds of a key",
        psetex,
    )
    .keys(1, 1, 1),
    Spec::new(
        "getex",
        -2,
        WRITE | FAST,
        G,
        "6.2.0",
        "Get the value of a key and optionally set its expiration",
        getex,
    )
    .keys(1, 1, 1),
    Spec::new(
        "getdel",
        2,
        WRITE | FAST,
        G,
        "6.2.0",
        "Get the value of a key and delete the key",
        getdel,
    )
    .keys(1, 1, 1),
    Spec::new(
        "getset",
        3,
        WRITE | DENYOOM | FAST,
        G,
        "1.0.0",
        "Set the string value of a key and return its old value",
        getset,
    )
    .keys(1, 1, 1),
    Spec::new(
        "mget",
        -2,
        READONLY | FAST,
        G,
        "1.0.0",
        "Get the values of all the given keys",
        mget,
    )
    .keys(1, -1, 1),
    Spec::new(
        "mset",
        -3,
        WRITE | DENYOOM,
        G,
        "1.0.1",
        "Set multiple keys to multiple values",
        mset,
    )
    .keys(1, -1, 2),
    Spec::new(
        "msetnx",
        -3,
        WRITE | DENYOOM,
        G,
        "1.0.1",
        "Set multiple keys to multiple values, only if none of the keys exist",
        msetnx,
    )
    .keys(1, -1, 2),
    Spec::new(
        "append",
        3,
        WRITE | DENYOOM | FAST,
        G,
        "2.0.0",
        "Append a value to a key",
        append,
    )
    .keys(1, 1, 1),
    Spec::new(
        "strlen",
        2,
        READONLY | FAST,
        G,
        "2.2.0",
        "Get the length of the value stored in a key",
        strlen,
    )
    .keys(1, 1, 1),
    Spec::new(
        "incr",
        2,
        WRITE | DENYOOM | FAST,
        G,
        "1.0.0",
        "Increment the integer value of a key by one",
        incr,
    )
    .keys(1, 1, 1),
    Spec::new(
        "decr",
        2,
        WRITE | DENYOOM | FAST,
        G,
        "1.0.0",
        "Decrement the integer value of a key by one",
        decr,
    )
    .keys(1, 1, 1),
    Spec::new(
        "incrby",
        3,
        WRITE | DENYOOM | FAST,
        G,
        "1.0.0",
        "Increment the integer value of a key by the given amount",
        incrby,
    )
    .keys(1, 1, 1),
    Spec::new(
        "decrby",
        3,
        WRITE | DENYOOM | FAST,
        G,
        "1.0.0",
        "Decrement the integer value of a key by the given number",
        decrby,
    )
    .keys(1, 1, 1),
    Spec::new(
        "incrbyfloat",
        3,
        WRITE | DENYOOM | FAST,
        G,
        "2.6.0",
        "Increment the float value of a key by the given amount",
        incrbyfloat,
    )
    .keys(1, 1, 1),
    Spec::new(
        "getrange",
        4,
        READONLY,
        G,
        "2.4.0",
        "Get a substring of the string stored at a key",
        getrange,
    )
    .keys(1, 1, 1),
    Spec::new(
        "substr",
        4,
        READONLY,
        G,
        "1.0.0",
        "Get a substring of the string stored at a key",
        getrange,
    )
    .keys(1, 1, 1),
    Spec::new(
        "setrange",
        4,
        WRITE | DENYOOM,
        G,
        "2.2.0",
        "Overwrite part of a string at key starting at the specified offset",
        setrange,
    )
    .keys(1, 1, 1),
    Spec::new(
        "lcs",
        -3,
        READONLY,
        G,
        "7.0.0",
        "Find longest common substring",
        lcs,
    )
    .keys(1, 2, 1),
    Spec::new(
        "setbit",
        4,
        WRITE | DENYOOM,
        B,
        "2.2.0",
        "Sets or clears the bit at offset in the string value stored at key",
        setbit,
    )
    .keys(1, 1, 1),
    Spec::new(
        "getbit",
        3,
        READONLY | FAST,
        B,
        "2.2.0",
        "Returns the bit value at offset in the string value stored at key",
        getbit,
    )
    .keys(1, 1, 1),
    Spec::new(
        "bitcount",
        -2,
        READONLY,
        B,
        "2.6.0",
        "Count set bits in a string",
        bitcount,
    )
    .keys(1, 1, 1),
    Spec::new(
        "bitpos",
        -3,
        READONLY,
        B,
        "2.8.7",
        "Find first bit set or clear in a string",
        bitpos,
    )
    .keys(1, 1, 1),
];

// SET option bits (Redis's OBJ_* flags).
const NX: u32 = 1;
const XX: u32 = 2;
const EX: u32 = 4;
const PX: u32 = 8;
const KEEPTTL: u32 = 16;
const GET: u32 = 32;
const EXAT: u32 = 64;
const PXAT: u32 = 128;
const PERSIST: u32 = 256;
const ANY_EXPIRE: u32 = EX | PX | EXAT | PXAT;

/// Parse SET (from argument 3) or GETEX (from 2) options with Redis's
/// exact compatibility rules. Returns flags and the expire argument.
fn parse_options<'a>(
    client: &mut Client,
    args: &[&'a [u8]],
    is_set: bool,
) -> Option<(u32, Option<&'a [u8]>)> {
    let mut flags = 0u32;
    let mut expire = None;
    let mut j = if is_set { 3 } else { 2 };
    while j < args.len() {
        let opt = args[j];
        let next = args.get(j + 1).copied();
        let others = |f: u32, except: u32| f & (ANY_EXPIRE | KEEPTTL | PERSIST) & !except == 0;
        if is(opt, "nx") && flags & XX == 0 && is_set {
            flags |= NX;
        } else if is(opt, "xx") && flags & NX == 0 && is_set {
            flags |= XX;
        } else if is(opt, "get") && is_set {
            flags |= GET;
        } else if is(opt, "keepttl") && flags & (PERSIST | ANY_EXPIRE) == 0 && is_set {
            flags |= KEEPTTL;
        } else if is(opt, "persist") && !is_set && flags & (ANY_EXPIRE | KEEPTTL) == 0 {
            flags |= PERSIST;
        } else if let Some(value) = next
            && let Some(kind) = [("ex", EX), ("px", PX), ("exat", EXAT), ("pxat", PXAT)]
                .iter()
                .find(|(name, _)| is(opt, name))
                .map(|&(_, f)| f)
            && others(flags, kind)
        {
            flags |= kind;
            expire = Some(value);
            j += 1;
        } else {
            client.reply.syntax_error();
            return None;
        }
        j += 1;
    }
    Some((flags, expire))
}

/// The absolute expiry in ms for an EX/PX/EXAT/PXAT argument, or the
/// "invalid expire time" error naming `command`.
fn expire_at(
    srv: &Server,
    client: &mut Client,
    arg: &[u8],
    flags: u32,
    command: &str,
) -> Option<i64> {
    let mut ms = int_arg(client, arg)?;
    let seconds = flags & (EX | EXAT) != 0;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        invalid_expire(client, command);
        return None;
    }
    if seconds {
        ms *= 1000;
    }
    if flags & (EX | PX) != 0 {
        ms = ms.wrapping_add(srv.ks.now);
    }
    if ms <= 0 {
        invalid_expire(client, command);
        return None;
    }
    Some(ms)
}

/// GET's reply for `key`: Err(()) after WRONGTYPE.
fn reply_get(srv: &mut Server, client: &mut Client, key: &[u8]) -> Result<(), ()> {
    match srv.ks.lookup(client.db, key) {
        None => client.reply.null(),
        Some(obj) => {
            let s = as_str(client, obj).ok_or(())?;
            reply_str(client, s);
        }
    }
    Ok(())
}

/// The string at `key` for reading. A missing key gets `on_missing`'s
/// reply, a key of another type WRONGTYPE; both return None.
fn string_for_read<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
    on_missing: impl FnOnce(&mut Client),
) -> Option<&'a Str> {
    match srv.ks.lookup(client.db, key) {
        None => {
            on_missing(client);
            None
        }
        Some(obj) => as_str(client, obj),
    }
}

fn get(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let _ = reply_get(srv, client, args[1]);
}

/// SET and its variants (Redis's setGenericCommand).
#[allow(clippy::too_many_arguments)]
fn set_generic(
    srv: &mut Server,
    client: &mut Client,
    flags: u32,
    key: &[u8],
    value: &[u8],
    expire: Option<&[u8]>,
    command: &str,
    args: &[&[u8]],
    ok_reply: &[u8],
    abort_reply: Option<&[u8]>,
) {
    let at = match expire {
        Some(arg) => match expire_at(srv, client, arg, flags, command) {
            Some(at) => Some(at),
            None => return,
        },
        None => None,
    };
    if flags & GET != 0 && reply_get(srv, client, key).is_err() {
        return;
    }
    let db = client.db;
    let keep_ttl = flags & KEEPTTL != 0;
    // One lookup: an existing key's value is replaced in place.
    let found = match srv.ks.lookup_write(db, key) {
        Some(_) if flags & NX != 0 => true,
        Some(obj) => {
            obj.value = Value::String(Str::from_bytes(value));
            if !keep_ttl {
                srv.ks.dbs[db].persist(key);
            }
            true
        }
        None if flags & XX != 0 => false,
        None => {
            srv.ks.dbs[db].add(key, Value::String(Str::from_bytes(value)));
            false
        }
    };
    if (flags & NX != 0 && found) || (flags & XX != 0 && !found) {
        if flags & GET == 0 {
            match abort_reply {
                Some(bytes) => client.reply.raw(bytes),
                None => client.reply.null(),
            }
        }
        return;
    }
    srv.key_changed(db, key, event::SET, 1);
    if let Some(at) = at {
        srv.ks.dbs[db].set_expire(key, at);
        srv.key_event(db, key, event::EXPIRE);
        let at = itoa::Buffer::new().format(at).as_bytes().to_vec();
        srv.ks
            .effects
            .rewrite(Propagated::new(db, [&b"SET"[..], key, value, b"PXAT", &at]));
    } else if flags & GET != 0 {
        // Propagate without the GET option(s).
        let kept = args
            .iter()
            .enumerate()
            .filter(|(i, a)| *i < 3 || !is(a, "get"))
            .map(|(_, a)| *a);
        srv.ks.effects.rewrite(Propagated::new(db, kept));
    }
    if flags & GET == 0 {
        client.reply.raw(ok_reply);
    }
}

fn set(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some((flags, expire)) = parse_options(client, args, true) else {
        return;
    };
    set_generic(
        srv, client, flags, args[1], args[2], expire, "set", args, b"+OK\r\n", None,
    );
}

fn setnx(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    set_generic(
        srv,
        client,
        NX,
        args[1],
        args[2],
        None,
        "setnx",
        args,
        b":1\r\n",
        Some(b":0\r\n"),
    );
}

fn setex(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    set_generic(
        srv,
        client,
        EX,
        args[1],
        args[3],
        Some(args[2]),
        "setex",
        args,
        b"+OK\r\n",
        None,
    );
}

fn psetex(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    set_generic(
        srv,
        client,
        PX,
        args[1],
        args[3],
        Some(args[2]),
        "psetex",
        args,
        b"+OK\r\n",
        None,
    );
}

fn getex(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some((flags, expire)) = parse_options(client, args, false) else {
        return;
    };
    let key = args[1];
    let db = client.db;
    match srv.ks.lookup(db, key) {
        None => {
            client.reply.null();
            return;
        }
        Some(obj) => {
            if as_str(client, obj).is_none() {
                return;
            }
        }
    }
    let at = match expire {
        Some(arg) => match expire_at(srv, client, arg, flags, "getex") {
            Some(at) => Some(at),
            None => return,
        },
        None => None,
    };
    if let Some(Value::String(s)) = srv.ks.dbs[db].dict.get(key).map(|o| &o.value) {
        reply_str(client, s);
    }
    if let Some(at) = at {
        if flags & (EXAT | PXAT) != 0 && srv.ks.already_expired(at) {
            srv.ks.dbs[db].remove(key);
            srv.key_changed(db, key, event::DEL, 1);
            srv.ks
                .effects
                .rewrite(Propagated::new(db, [&b"DEL"[..], key]));
        } else {
            srv.ks.dbs[db].set_expire(key, at);
            srv.key_changed(db, key, event::EXPIRE, 1);
            let at = itoa::Buffer::new().format(at).as_bytes().to_vec();
            srv.ks
                .effects
                .rewrite(Propagated::new(db, [&b"PEXPIREAT"[..], key, &at]));
        }
    } else if flags & PERSIST != 0 && srv.ks.dbs[db].persist(key) {
        srv.key_changed(db, key, event::PERSIST, 1);
        srv.ks
            .effects
            .rewrite(Propagated::new(db, [&b"PERSIST"[..], key]));
    }
}

fn getdel(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if reply_get(srv, client, args[1]).is_err() {
        return;
    }
    let db = client.db;
    if srv.ks.dbs[db].remove(args[1]).is_some() {
        srv.ks
            .effects
            .rewrite(Propagated::new(db, [&b"DEL"[..], args[1]]));
        srv.key_changed(db, args[1], event::DEL, 1);
    }
}

fn getset(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if reply_get(srv, client, args[1]).is_err() {
        return;
    }
    let db = client.db;
    srv.ks.dbs[db].set(args[1], Value::String(Str::from_bytes(args[2])), false);
    srv.key_changed(db, args[1], event::SET, 1);
    srv.ks
        .effects
        .rewrite(Propagated::new(db, [&b"SET"[..], args[1], args[2]]));
}

fn mget(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    client.reply.array(args.len() - 1);
    for key in &args[1..] {
        match srv.ks.lookup(client.db, key).map(|o| &o.value) {
            Some(Value::String(s)) => reply_str(client, s),
            #[allow(unreachable_patterns)]
            _ => client.reply.null(),
        }
    }
}

fn mset_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], nx: bool) {
    if args.len().is_multiple_of(2) {
        let name = if nx { "msetnx" } else { "mset" };
        client
            .reply
            .error(&format!("wrong number of arguments for '{name}' command"));
        return;
    }
    let db = client.db;
    if nx {
        for pair in args[1..].chunks(2) {
            if srv.ks.lookup_write(db, pair[0]).is_some() {
                client.reply.int(0);
                return;
            }
        }
    }
    for pair in args[1..].chunks(2) {
        srv.ks.dbs[db].set(pair[0], Value::String(Str::from_bytes(pair[1])), false);
        srv.key_changed(db, pair[0], event::SET, 1);
    }
    if nx {
        client.reply.int(1);
    } else {
        client.reply.ok();
    }
}

fn mset(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    mset_generic(srv, client, args, false);
}

fn msetnx(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    mset_generic(srv, client, args, true);
}

/// Redis's checkStringLength: `size + append` within proto-max-bulk-len.
fn check_length(srv: &Server, client: &mut Client, size: u64, append: u64) -> bool {
    match size.checked_add(append) {
        Some(total) if total <= srv.config.proto_max_bulk_len => true,
        _ => {
            client
                .reply
                .error("string exceeds maximum allowed size (proto-max-bulk-len)");
            false
        }
    }
}

fn append(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (key, tail) = (args[1], args[2]);
    let db = client.db;
    let limit = srv.config.proto_max_bulk_len;
    let total = match srv.ks.lookup_write(db, key) {
        None => {
            srv.ks.dbs[db].add(key, Value::String(Str::from_bytes(tail)));
            tail.len()
        }
        Some(obj) => {
            let Some(s) = as_str_mut(client, obj) else {
                return;
            };
            let fits = (s.len() as u64)
                .checked_add(tail.len() as u64)
                .is_some_and(|t| t <= limit);
            if !fits {
                client
                    .reply
                    .error("string exceeds maximum allowed size (proto-max-bulk-len)");
                return;
            }
            let raw = s.make_raw();
            raw.extend_from_slice(tail);
            raw.len()
        }
    };
    srv.key_changed(db, key, event::APPEND, 1);
    client.reply.int(total as i64);
}

fn strlen(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match srv.ks.lookup(client.db, args[1]) {
        None => client.reply.int(0),
        Some(obj) => {
            if let Some(s) = as_str(client, obj) {
                let n = s.len() as i64;
                client.reply.int(n);
            }
        }
    }
}

fn incr_decr(srv: &mut Server, client: &mut Client, key: &[u8], by: i64) {
    let db = client.db;
    // One lookup: an existing integer is updated in place.
    if let Some(obj) = srv.ks.lookup_write(db, key) {
        let Some(s) = as_str_mut(client, obj) else {
            return;
        };
        let current = match s {
            Str::Int(n) => Some(*n),
            Str::Embedded(b) => string2ll(b),
            Str::Raw(v) => string2ll(v),
        };
        let Some(current) = current else {
            client.reply.not_an_integer();
            return;
        };
        let Some(new) = current.checked_add(by) else {
            client.reply.error("increment or decrement would overflow");
            return;
        };
        *s = Str::Int(new);
        srv.key_changed(db, key, event::INCRBY, 1);
        client.reply.int(new);
        return;
    }
    srv.ks.dbs[db].add(key, Value::String(Str::Int(by)));
    srv.key_changed(db, key, event::INCRBY, 1);
    client.reply.int(by);
}

fn incr(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    incr_decr(srv, client, args[1], 1);
}

fn decr(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    incr_decr(srv, client, args[1], -1);
}

fn incrby(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if let Some(by) = int_arg(client, args[2]) {
        incr_decr(srv, client, args[1], by);
    }
}

fn decrby(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(by) = int_arg(client, args[2]) else {
        return;
    };
    if by == i64::MIN {
        client.reply.error("decrement would overflow");
        return;
    }
    incr_decr(srv, client, args[1], -by);
}

fn incrbyfloat(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (key, by) = (args[1], args[2]);
    let db = client.db;
    let current = match srv.ks.lookup_write(db, key) {
        None => None,
        Some(obj) => match as_str(client, obj) {
            Some(s) => Some(s.to_vec()),
            None => return,
        },
    };
    let exists = current.is_some();
    let value = match incr_by_float(current.as_deref().unwrap_or(b"0"), by) {
        Ok(v) => v,
        Err(IncrFloatError::NotAFloat) => {
            client.reply.error("value is not a valid float");
            return;
        }
        Err(IncrFloatError::NanOrInfinity) => {
            client
                .reply
                .error("increment would produce NaN or Infinity");
            return;
        }
    };
    let stored = Value::String(Str::Embedded(value.as_slice().into()));
    if exists {
        if let Some(obj) = srv.ks.dbs[db].dict.get_mut(key) {
            obj.value = stored;
        }
    } else {
        srv.ks.dbs[db].add(key, stored);
    }
    srv.key_changed(db, key, event::INCRBYFLOAT, 1);
    client.reply.bulk(&value);
    srv.ks
        .effects
        .rewrite(Propagated::new(db, [&b"SET"[..], key, &value, b"KEEPTTL"]));
}

fn getrange(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(mut start) = int_arg(client, args[2]) else {
        return;
    };
    let Some(mut end) = int_arg(client, args[3]) else {
        return;
    };
    let Some(s) = string_for_read(srv, client, args[1], |c| c.reply.bulk(b"")) else {
        return;
    };
    let mut scratch = itoa::Buffer::new();
    let bytes = s.bytes(&mut scratch);
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        client.reply.bulk(b"");
        return;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        client.reply.bulk(b"");
    } else {
        client.reply.bulk(&bytes[start as usize..=end as usize]);
    }
}

fn setrange(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (key, value) = (args[1], args[3]);
    let Some(offset) = int_arg(client, args[2]) else {
        return;
    };
    if offset < 0 {
        client.reply.error("offset is out of range");
        return;
    }
    let offset = offset as u64;
    let db = client.db;
    let exists = match srv.ks.lookup_write(db, key) {
        None => false,
        Some(obj) => {
            let Some(s) = as_str(client, obj) else {
                return;
            };
            if value.is_empty() {
                let n = s.len() as i64;
                client.reply.int(n);
                return;
            }
            true
        }
    };
    if !exists && value.is_empty() {
        client.reply.int(0);
        return;
    }
    if !check_length(srv, client, offset, value.len() as u64) {
        return;
    }
    if !exists {
        srv.ks.dbs[db].add(key, Value::String(Str::Raw(Box::default())));
    }
    let Some(obj) = srv.ks.dbs[db].dict.get_mut(key) else {
        return;
    };
    let Value::String(s) = &mut obj.value else {
        return;
    };
    let raw = s.make_raw();
    let end = offset as usize + value.len();
    if raw.len() < end {
        raw.resize(end, 0);
    }
    raw[offset as usize..end].copy_from_slice(value);
    let len = raw.len() as i64;
    srv.key_changed(db, key, event::SETRANGE, 1);
    client.reply.int(len);
}

fn lcs(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let db = client.db;
    let mut texts = Vec::with_capacity(2);
    for key in &args[1..3] {
        match srv.ks.lookup(db, key).map(|o| &o.value) {
            None => texts.push(Vec::new()),
            Some(Value::String(s)) => texts.push(s.to_vec()),
            #[allow(unreachable_patterns)]
            Some(_) => {
                client
                    .reply
                    .error("The specified keys must contain string values");
                return;
            }
        }
    }
    let (mut get_len, mut get_idx, mut with_len, mut min_len) = (false, false, false, 0i64);
    let mut j = 3;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(args[j], "idx") {
            get_idx = true;
        } else if is(args[j], "len") {
            get_len = true;
        } else if is(args[j], "withmatchlen") {
            with_len = true;
        } else if is(args[j], "minmatchlen") && more > 0 {
            let Some(n) = int_arg(client, args[j + 1]) else {
                return;
            };
            min_len = n.max(0);
            j += 1;
        } else {
            client.reply.syntax_error();
            return;
        }
        j += 1;
    }
    if get_len && get_idx {
        client
            .reply
            .error("If you want both the length and indexes, please just use IDX.");
        return;
    }
    let (a, b) = (&texts[0], &texts[1]);
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > srv.config.proto_max_bulk_len {
        client
            .reply
            .error("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    let width = blen + 1;
    let mut table = vec![0u32; cells as usize];
    for i in 1..=alen {
        for j in 1..=blen {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[alen * width + blen];
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut ranges: Vec<[i64; 5]> = Vec::new();
    let compute = get_idx || !get_len;
    let (mut i, mut j) = (alen, blen);
    // A range in progress: a_start..=a_end, b_start..=b_end (a_start ==
    // alen means none).
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0usize, 0usize, 0usize);
    while compute && i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == alen {
                a_start = i - 1;
                a_end = i - 1;
                b_start = j - 1;
                b_end = j - 1;
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        if emit {
            let match_len = (a_end - a_start + 1) as i64;
            if min_len == 0 || match_len >= min_len {
                ranges.push([
                    a_start as i64,
                    a_end as i64,
                    b_start as i64,
                    b_end as i64,
                    match_len,
                ]);
            }
            a_start = alen;
        }
    }
    if get_idx {
        client.reply.map(2);
        client.reply.bulk(b"matches");
        client.reply.array(ranges.len());
        for r in &ranges {
            client.reply.array(if with_len { 3 } else { 2 });
            client.reply.array(2);
            client.reply.int(r[0]);
            client.reply.int(r[1]);
            client.reply.array(2);
            client.reply.int(r[2]);
            client.reply.int(r[3]);
            if with_len {
                client.reply.int(r[4]);
            }
        }
        client.reply.bulk(b"len");
        client.reply.int(i64::from(total));
    } else if get_len {
        client.reply.int(i64::from(total));
    } else {
        client.reply.bulk(&result);
    }
}

/// A bit offset argument (Redis's getBitOffsetFromArgument).
fn bit_offset(srv: &Server, client: &mut Client, arg: &[u8]) -> Option<u64> {
    match string2ll(arg) {
        Some(n) if n >= 0 && ((n >> 3) as u64) < srv.config.proto_max_bulk_len => Some(n as u64),
        _ => {
            client
                .reply
                .error("bit offset is not an integer or out of range");
            None
        }
    }
}

fn setbit(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(offset) = bit_offset(srv, client, args[2]) else {
        return;
    };
    let on = match string2ll(args[3]) {
        Some(v @ (0 | 1)) => v as u8,
        _ => {
            client.reply.error("bit is not an integer or out of range");
            return;
        }
    };
    let db = client.db;
    let mut grew = false;
    match srv.ks.lookup_write(db, args[1]) {
        None => {
            srv.ks.dbs[db].add(args[1], Value::String(Str::Raw(Box::default())));
            grew = true;
        }
        Some(obj) => {
            if as_str(client, obj).is_none() {
                return;
            }
        }
    }
    let Some(obj) = srv.ks.dbs[db].dict.get_mut(args[1]) else {
        return;
    };
    let Value::String(s) = &mut obj.value else {
        return;
    };
    let raw = s.make_raw();
    let byte = (offset >> 3) as usize;
    if raw.len() <= byte {
        raw.resize(byte + 1, 0);
        grew = true;
    }
    let mask = 1u8 << (7 - (offset & 7));
    let old = raw[byte] & mask != 0;
    if on == 1 {
        raw[byte] |= mask;
    } else {
        raw[byte] &= !mask;
    }
    // Redis counts (and propagates) SETBIT only when the string changed.
    if grew || old != (on == 1) {
        srv.key_changed(db, args[1], event::SETBIT, 1);
    }
    client.reply.int(i64::from(old));
}

fn getbit(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(offset) = bit_offset(srv, client, args[2]) else {
        return;
    };
    let Some(s) = string_for_read(srv, client, args[1], |c| c.reply.int(0)) else {
        return;
    };
    let mut scratch = itoa::Buffer::new();
    let bytes = s.bytes(&mut scratch);
    let byte = (offset >> 3) as usize;
    let bit = bytes
        .get(byte)
        .is_some_and(|b| b & (1 << (7 - (offset & 7))) != 0);
    client.reply.int(i64::from(bit));
}

/// Resolve a BITCOUNT/BITPOS range to byte bounds plus edge masks, as
/// Redis does. Returns (start, end, first_mask, last_mask).
fn bit_range(len: i64, mut start: i64, mut end: i64, is_bit: bool) -> (i64, i64, u8, u8) {
    let total = if is_bit { len << 3 } else { len };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    let (mut first, mut last) = (0u8, 0u8);
    if is_bit && start <= end {
        first = !((1u16 << (8 - (start & 7))) - 1) as u8;
        last = ((1u16 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    (start, end, first, last)
}

fn bit_unit(client: &mut Client, arg: &[u8]) -> Option<bool> {
    if is(arg, "bit") {
        Some(true)
    } else if is(arg, "byte") {
        Some(false)
    } else {
        client.reply.syntax_error();
        None
    }
}

fn bitcount(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(s) = string_for_read(srv, client, args[1], |c| c.reply.int(0)) else {
        return;
    };
    let mut scratch = itoa::Buffer::new();
    let p = s.bytes(&mut scratch);
    let len = p.len() as i64;
    let (start, end, first, last) = match args.len() {
        4 | 5 => {
            let Some(start) = int_arg(client, args[2]) else {
                return;
            };
            let Some(end) = int_arg(client, args[3]) else {
                return;
            };
            if start < 0 && end < 0 && start > end {
                client.reply.int(0);
                return;
            }
            let is_bit = match args.get(4) {
                Some(unit) => match bit_unit(client, unit) {
                    Some(b) => b,
                    None => return,
                },
                None => false,
            };
            bit_range(len, start, end, is_bit)
        }
        2 => (0, len - 1, 0, 0),
        _ => {
            client.reply.syntax_error();
            return;
        }
    };
    if start > end {
        client.reply.int(0);
        return;
    }
    let (s, e) = (start as usize, end as usize);
    let mut count: i64 = p[s..=e].iter().map(|b| i64::from(b.count_ones())).sum();
    if first != 0 {
        count -= i64::from((p[s] & first).count_ones());
    }
    if last != 0 {
        count -= i64::from((p[e] & last).count_ones());
    }
    client.reply.int(count);
}

/// Position of the first bit equal to `bit` in `bytes`: -1 when looking
/// for 1 and none is set; the bit after the end when looking for 0.
fn first_bit(bytes: &[u8], bit: bool) -> i64 {
    for (i, &b) in bytes.iter().enumerate() {
        let v = if bit { b } else { !b };
        if v != 0 {
            return (i as i64) * 8 + i64::from(v.leading_zeros());
        }
    }
    if bit { -1 } else { bytes.len() as i64 * 8 }
}

fn bitpos(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let bit = match string2ll(args[2]) {
        None => {
            client.reply.not_an_integer();
            return;
        }
        Some(b @ (0 | 1)) => b == 1,
        Some(_) => {
            client.reply.error("The bit argument must be 1 or 0.");
            return;
        }
    };
    let Some(s) = string_for_read(srv, client, args[1], |c| {
        c.reply.int(if bit { -1 } else { 0 })
    }) else {
        return;
    };
    let mut scratch = itoa::Buffer::new();
    let p = s.bytes(&mut scratch);
    let len = p.len() as i64;
    let mut end_given = false;
    let (mut start, end, first, last) = match args.len() {
        4..=6 => {
            let Some(start) = int_arg(client, args[3]) else {
                return;
            };
            let is_bit = match args.get(5) {
                Some(unit) => match bit_unit(client, unit) {
                    Some(b) => b,
                    None => return,
                },
                None => false,
            };
            let end = if args.len() >= 5 {
                let Some(end) = int_arg(client, args[4]) else {
                    return;
                };
                end_given = true;
                end
            } else if is_bit {
                (len << 3) + 7
            } else {
                len - 1
            };
            bit_range(len, start, end, is_bit)
        }
        3 => (0, len - 1, 0, 0),
        _ => {
            client.reply.syntax_error();
            return;
        }
    };
    if start > end {
        client.reply.int(-1);
        return;
    }
    let mut bytes = end - start + 1;
    let masked = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let pos = 'found: {
        if first != 0 {
            let mut c = masked(p[start as usize], first);
            if last != 0 && bytes == 1 {
                c = masked(c, last);
            }
            let pos = first_bit(&[c], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'found pos;
            }
            start += 1;
            bytes -= 1;
        }
        let middle = bytes - i64::from(last != 0);
        if middle > 0 {
            let from = start as usize;
            let pos = first_bit(&p[from..from + middle as usize], bit);
            if bytes == middle || (pos != -1 && pos != middle << 3) {
                break 'found pos;
            }
            start += middle;
            bytes -= middle;
        }
        first_bit(&[masked(p[end as usize], last)], bit)
    };
    if end_given && !bit && pos == bytes << 3 {
        client.reply.int(-1);
        return;
    }
    client
        .reply
        .int(if pos != -1 { pos + (start << 3) } else { pos });
}
