//! List commands: pushes and pops at both ends (with counts), ranges and
//! indexes, edits in the middle, moves between lists, and the blocking
//! forms (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) — with Redis 7.0's
//! replies, errors and propagation: blocking pops propagate as their
//! non-blocking forms, LMPOP as LPOP/RPOP with a count.

use super::super::Server;
use super::super::blocking::timeout_arg;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::propagate::Propagated;
use super::super::signal::{Event, event};
use super::super::types::limits;
use super::super::types::list::List;
use super::super::types::{Kind, Value};
use super::{
    WrongType, drop_if_empty, int_arg, is, mpop_args, positive_arg, read_kind, value_mut,
    write_kind,
};

const G: &str = "list";

pub const COMMANDS: &[Spec] = &[
    Spec::new("lpush", -3, WRITE | DENYOOM | FAST, G, "1.0.0", "Prepend one or multiple elements to a list", lpush).keys(1, 1, 1),
    Spec::new("rpush", -3, WRITE | DENYOOM | FAST, G, "1.0.0", "Append one or multiple elements to a list", rpush).keys(1, 1, 1),
    Spec::new("lpushx", -3, WRITE | DENYOOM | FAST, G, "2.2.0", "Prepend an element to a list, only if the list exists", lpushx).keys(1, 1, 1),
    Spec::new("rpushx", -3, WRITE | DENYOOM | FAST, G, "2.2.0", "Append an element to a list, only if the list exists", rpushx).keys(1, 1, 1),
    Spec::new("lpop", -2, WRITE | FAST, G, "1.0.0", "Remove and get the first elements in a list", lpop).keys(1, 1, 1),
    Spec::new("rpop", -2, WRITE | FAST, G, "1.0.0", "Remove and get the last elements in a list", rpop).keys(1, 1, 1),
    Spec::new("llen", 2, READONLY | FAST, G, "1.0.0", "Get the length of a list", llen).keys(1, 1, 1),
    Spec::new("lrange", 4, READONLY, G, "1.0.0", "Get a range of elements from a list", lrange).keys(1, 1, 1),
    Spec::new("lindex", 3, READONLY, G, "1.0.0", "Get an element from a list by its index", lindex).keys(1, 1, 1),
    Spec::new("lset", 4, WRITE | DENYOOM, G, "1.0.0", "Set the value of an element in a list by its index", lset).keys(1, 1, 1),
    Spec::new("lrem", 4, WRITE, G, "1.0.0", "Remove elements from a list", lrem).keys(1, 1, 1),
    Spec::new("ltrim", 4, WRITE, G, "1.0.0", "Trim a list to the specified range", ltrim).keys(1, 1, 1),
    Spec::new("linsert", 5, WRITE | DENYOOM, G, "2.2.0", "Insert an element before or after another element in a list", linsert).keys(1, 1, 1),
    Spec::new("lpos", -3, READONLY, G, "6.0.6", "Return the index of matching elements on a list", lpos).keys(1, 1, 1),
    Spec::new("lmove", 5, WRITE | DENYOOM, G, "6.2.0", "Pop an element from a list, push it to another list and return it", lmove).keys(1, 2, 1),
    Spec::new("rpoplpush", 3, WRITE | DENYOOM, G, "1.2.0", "Remove the last element in a list, prepend it to another list and return it", rpoplpush).keys(1, 2, 1),
    Spec::new("lmpop", -4, WRITE | MOVABLE_KEYS, G, "7.0.0", "Pop elements from a list", lmpop),
    Spec::new("blpop", -3, WRITE | NOSCRIPT | BLOCKING, G, "2.0.0", "Remove and get the first element in a list, or block until one is available", blpop).keys(1, -2, 1),
    Spec::new("brpop", -3, WRITE | NOSCRIPT | BLOCKING, G, "2.0.0", "Remove and get the last element in a list, or block until one is available", brpop).keys(1, -2, 1),
    Spec::new("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, G, "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", blmove).keys(1, 2, 1),
    Spec::new("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, G, "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", brpoplpush).keys(1, 2, 1),
    Spec::new("blmpop", -5, WRITE | BLOCKING | MOVABLE_KEYS, G, "7.0.0", "Pop elements from a list, or block until one is available", blmpop),
];

fn as_list(v: &Value) -> Option<&List> {
    match v {
        Value::List(l) => Some(l),
        _ => None,
    }
}

fn as_list_mut(v: &mut Value) -> Option<&mut List> {
    match v {
        Value::List(l) => Some(l),
        _ => None,
    }
}

/// The list under `key` for reading: `Ok(None)` when there is none, `Err`
/// once WRONGTYPE was replied.
fn read_list<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
) -> Result<Option<&'a List>, WrongType> {
    Ok(read_kind(srv, client, key, Kind::List)?.and_then(as_list))
}

/// As [`read_list`], for modification.
fn write_list<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
) -> Result<Option<&'a mut List>, WrongType> {
    Ok(write_kind(srv, client, key, Kind::List)?.and_then(as_list_mut))
}

/// Create an empty list under `key` (the push that follows fills it and
/// signals it).
pub fn create(srv: &mut Server, db: usize, key: &[u8]) {
    srv.ks.dbs[db].add(key, Value::List(Box::default()));
}

/// The push event for a side.
fn push_event(front: bool) -> Event {
    if front { event::LPUSH } else { event::RPUSH }
}

/// The pop event for a side.
fn pop_event(front: bool) -> Event {
    if front { event::LPOP } else { event::RPOP }
}

fn push_generic(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    front: bool,
    only_existing: bool,
) {
    let (db, key) = (client.db, args[1]);
    let exists = match write_kind(srv, client, key, Kind::List) {
        Err(WrongType) => return,
        Ok(v) => v.is_some(),
    };
    if !exists {
        if only_existing {
            client.reply.int(0);
            return;
        }
        create(srv, db, key);
    }
    let fill = limits().list_max_listpack_size;
    let Some(list) = value_mut(srv, db, key).and_then(as_list_mut) else {
        return;
    };
    for item in &args[2..] {
        list.push(item, front, fill);
    }
    let len = list.len();
    srv.key_changed(db, key, push_event(front), (args.len() - 2) as u64);
    client.reply.int(len as i64);
}

fn lpush(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    push_generic(srv, client, args, true, false);
}

fn rpush(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    push_generic(srv, client, args, false, false);
}

fn lpushx(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    push_generic(srv, client, args, true, true);
}

fn rpushx(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    push_generic(srv, client, args, false, true);
}

/// Pop up to `count` items from one end, in pop order.
fn pop_many(list: &mut List, front: bool, count: usize) -> Vec<Vec<u8>> {
    let n = count.min(list.len());
    (0..n).filter_map(|_| list.pop(front)).collect()
}

fn pop_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], front: bool) {
    if args.len() > 3 {
        let name = if front { "lpop" } else { "rpop" };
        client
            .reply
            .error(&format!("wrong number of arguments for '{name}' command"));
        return;
    }
    let count = match args.get(2) {
        Some(arg) => match positive_arg(client, arg, None) {
            Some(n) => Some(n as usize),
            None => return,
        },
        None => None,
    };
    let (db, key) = (client.db, args[1]);
    let list = match write_list(srv, client, key) {
        Err(WrongType) => return,
        Ok(None) => {
            if count.is_some() {
                client.reply.null_array();
            } else {
                client.reply.null();
            }
            return;
        }
        Ok(Some(l)) => l,
    };
    let popped = match count {
        Some(0) => {
            client.reply.array(0);
            return;
        }
        None => {
            let Some(item) = list.pop(front) else {
                client.reply.null();
                return;
            };
            client.reply.bulk(&item);
            1
        }
        Some(n) => {
            let items = pop_many(list, front, n);
            client.reply.bulks(items.iter().map(Vec::as_slice));
            items.len() as u64
        }
    };
    drop_if_empty(srv, db, key);
    srv.key_changed(db, key, pop_event(front), popped);
}

fn lpop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    pop_generic(srv, client, args, true);
}

fn rpop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    pop_generic(srv, client, args, false);
}

fn llen(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::List) {
        Err(WrongType) => {}
        Ok(v) => client.reply.int(v.map_or(0, |v| v.len()) as i64),
    }
}

/// Clamp Redis-style (possibly negative) start/end to a range of `len`;
/// None when empty.
pub fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

fn lrange(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(start) = int_arg(client, args[2]) else {
        return;
    };
    let Some(end) = int_arg(client, args[3]) else {
        return;
    };
    let list = match read_list(srv, client, args[1]) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.array(0);
            return;
        }
        Ok(Some(l)) => l,
    };
    match clamp_range(start, end, list.len()) {
        None => client.reply.array(0),
        Some((a, b)) => {
            let n = b - a + 1;
            client.reply.array(n);
            for item in list.iter_from(a).take(n) {
                client.reply.bulk(item);
            }
        }
    }
}

/// A Redis index (negative from the end) as a position, if inside.
fn index_of(i: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if i < 0 { len + i } else { i };
    (0..len).contains(&i).then_some(i as usize)
}

fn lindex(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let list = match read_list(srv, client, args[1]) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.null();
            return;
        }
        Ok(Some(l)) => l,
    };
    let Some(i) = int_arg(client, args[2]) else {
        return;
    };
    match index_of(i, list.len()).and_then(|i| list.get(i)) {
        Some(item) => client.reply.bulk(item),
        None => client.reply.null(),
    }
}

fn lset(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let db = client.db;
    let list = match write_list(srv, client, args[1]) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.error("no such key");
            return;
        }
        Ok(Some(l)) => l,
    };
    let Some(i) = int_arg(client, args[2]) else {
        return;
    };
    match index_of(i, list.len()) {
        None => client.reply.error("index out of range"),
        Some(i) => {
            list.set(i, args[3], limits().list_max_listpack_size);
            srv.key_changed(db, args[1], event::LSET, 1);
            client.reply.ok();
        }
    }
}

fn lrem(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(count) = int_arg(client, args[2]) else {
        return;
    };
    let (db, key, target) = (client.db, args[1], args[3]);
    let list = match write_list(srv, client, key) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.int(0);
            return;
        }
        Ok(Some(l)) => l,
    };
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs() as usize
    };
    let removed = if count < 0 {
        list.retain_back(|item| item != target, limit)
    } else {
        list.retain_front(|item| item != target, limit)
    };
    drop_if_empty(srv, db, key);
    if removed > 0 {
        srv.key_changed(db, key, event::LREM, removed as u64);
    }
    client.reply.int(removed as i64);
}

fn ltrim(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(start) = int_arg(client, args[2]) else {
        return;
    };
    let Some(end) = int_arg(client, args[3]) else {
        return;
    };
    let (db, key) = (client.db, args[1]);
    let list = match write_list(srv, client, key) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.ok();
            return;
        }
        Ok(Some(l)) => l,
    };
    let len = list.len();
    let (front, back) = match clamp_range(start, end, len) {
        None => (len, 0),
        Some((a, b)) => (a, len - b - 1),
    };
    list.trim(front, back);
    drop_if_empty(srv, db, key);
    srv.key_changed(db, key, event::LTRIM, (front + back) as u64);
    client.reply.ok();
}

fn linsert(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let after = if is(args[2], "after") {
        true
    } else if is(args[2], "before") {
        false
    } else {
        client.reply.syntax_error();
        return;
    };
    let db = client.db;
    let list = match write_list(srv, client, args[1]) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.int(0);
            return;
        }
        Ok(Some(l)) => l,
    };
    let Some(pos) = list.iter().position(|item| item == args[3]) else {
        client.reply.int(-1);
        return;
    };
    list.insert(pos, after, args[4], limits().list_max_listpack_size);
    let len = list.len();
    srv.key_changed(db, args[1], event::LINSERT, 1);
    client.reply.int(len as i64);
}

fn lpos(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if is(args[j], "rank") && more {
            j += 1;
            let Some(r) = int_arg(client, args[j]) else {
                return;
            };
            if r == 0 {
                client.reply.error(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second \
                     ... or use negative to start from the end of the list",
                );
                return;
            }
            rank = r;
        } else if is(args[j], "count") && more {
            j += 1;
            let Some(c) = positive_arg(client, args[j], Some("COUNT can't be negative")) else {
                return;
            };
            count = Some(c);
        } else if is(args[j], "maxlen") && more {
            j += 1;
            let Some(m) = positive_arg(client, args[j], Some("MAXLEN can't be negative")) else {
                return;
            };
            maxlen = m;
        } else {
            client.reply.syntax_error();
            return;
        }
        j += 1;
    }
    // RANK i64::MIN: Redis's `rank = -rank` overflows and stays negative,
    // so every match qualifies and COUNT never ends the walk; the same here.
    let backward = rank < 0;
    let wrapped = rank == i64::MIN;
    let rank = if wrapped { 1 } else { rank.unsigned_abs() };
    let list = match read_list(srv, client, args[1]) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.nothing(count.is_some());
            return;
        }
        Ok(Some(l)) => l,
    };
    let len = list.len();
    let walk: Box<dyn Iterator<Item = &[u8]>> = if backward {
        Box::new(list.iter_back_from(len - 1))
    } else {
        Box::new(list.iter())
    };
    let mut matches: u64 = 0;
    let mut found: Vec<i64> = Vec::new();
    for (index, item) in walk.enumerate() {
        if maxlen != 0 && index as i64 >= maxlen {
            break;
        }
        if item != args[2] {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        let at = if backward { len - index - 1 } else { index } as i64;
        found.push(at);
        match count {
            None => break,
            Some(c) if c != 0 && !wrapped && (matches - rank + 1) as i64 >= c => break,
            _ => {}
        }
    }
    match count {
        Some(_) => {
            client.reply.array(found.len());
            for at in found {
                client.reply.int(at);
            }
        }
        None => match found.first() {
            Some(&at) => client.reply.int(at),
            None => client.reply.null(),
        },
    }
}

/// LEFT or RIGHT: true for the head.
fn side_arg(client: &mut Client, arg: &[u8]) -> Option<bool> {
    if is(arg, "right") {
        Some(false)
    } else if is(arg, "left") {
        Some(true)
    } else {
        client.reply.syntax_error();
        None
    }
}

fn side_name(front: bool) -> &'static [u8] {
    if front { b"LEFT" } else { b"RIGHT" }
}

/// LMOVE's work once the source is known to hold elements: pop, push,
/// reply the element. `propagate` is what to record instead of the
/// command itself (for the blocking forms).
fn move_generic(
    srv: &mut Server,
    client: &mut Client,
    src: &[u8],
    dst: &[u8],
    from_front: bool,
    to_front: bool,
    propagate: Option<Propagated>,
) {
    let db = client.db;
    let dst_exists = match write_kind(srv, client, dst, Kind::List) {
        Err(WrongType) => return,
        Ok(v) => v.is_some(),
    };
    let Some(item) = value_mut(srv, db, src)
        .and_then(as_list_mut)
        .and_then(|l| l.pop(from_front))
    else {
        client.reply.null();
        return;
    };
    if !dst_exists && src != dst {
        create(srv, db, dst);
    }
    let fill = limits().list_max_listpack_size;
    if let Some(l) = value_mut(srv, db, dst).and_then(as_list_mut) {
        l.push(&item, to_front, fill);
    }
    drop_if_empty(srv, db, src);
    srv.key_changed(db, dst, push_event(to_front), 1);
    srv.key_changed(db, src, pop_event(from_front), 0);
    if let Some(p) = propagate {
        srv.ks.effects.rewrite(p);
    }
    client.reply.bulk(&item);
}

fn lmove_generic(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    from_front: bool,
    to_front: bool,
) {
    match write_kind(srv, client, args[1], Kind::List) {
        Err(WrongType) => {}
        Ok(None) => client.reply.null(),
        Ok(Some(_)) => move_generic(srv, client, args[1], args[2], from_front, to_front, None),
    }
}

fn lmove(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(from) = side_arg(client, args[3]) else {
        return;
    };
    let Some(to) = side_arg(client, args[4]) else {
        return;
    };
    lmove_generic(srv, client, args, from, to);
}

fn rpoplpush(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    lmove_generic(srv, client, args, false, true);
}

/// Pop `count` from the first non-empty list among `keys` and reply
/// `[key, [items]]` (LMPOP/BLMPOP); false when all are empty or missing.
/// WRONGTYPE stops at the first non-list key, as in Redis.
fn mpop_first(
    srv: &mut Server,
    client: &mut Client,
    keys: &[&[u8]],
    front: bool,
    count: usize,
) -> Result<bool, WrongType> {
    let db = client.db;
    for &key in keys {
        let Some(list) = write_list(srv, client, key)?.filter(|l| !l.is_empty()) else {
            continue;
        };
        let items = pop_many(list, front, count);
        client.reply.array(2);
        client.reply.bulk(key);
        client.reply.bulks(items.iter().map(Vec::as_slice));
        drop_if_empty(srv, db, key);
        srv.key_changed(db, key, pop_event(front), items.len() as u64);
        let n = itoa::Buffer::new().format(items.len()).as_bytes().to_vec();
        let cmd: &[u8] = if front { b"LPOP" } else { b"RPOP" };
        srv.ks.effects.rewrite(Propagated::new(db, [cmd, key, &n]));
        return Ok(true);
    }
    Ok(false)
}

fn lmpop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some((keys, front, count)) = mpop_args(client, args, 1, ["right", "left"]) else {
        return;
    };
    if let Ok(false) = mpop_first(srv, client, &keys, front, count) {
        client.reply.null_array();
    }
}

/// Whether the client may block (not inside MULTI/EXEC).
fn may_block(srv: &Server) -> bool {
    srv.transactions.exec_feed.is_none()
}

fn bpop_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], front: bool) {
    let Some(timeout) = timeout_arg(client, args[args.len() - 1]) else {
        return;
    };
    let keys = &args[1..args.len() - 1];
    let db = client.db;
    for &key in keys {
        let list = match write_list(srv, client, key) {
            Err(WrongType) => return,
            Ok(Some(l)) if !l.is_empty() => l,
            Ok(_) => continue,
        };
        let Some(item) = list.pop(front) else {
            continue;
        };
        client.reply.array(2);
        client.reply.bulk(key);
        client.reply.bulk(&item);
        drop_if_empty(srv, db, key);
        srv.key_changed(db, key, pop_event(front), 1);
        let cmd: &[u8] = if front { b"LPOP" } else { b"RPOP" };
        srv.ks.effects.rewrite(Propagated::new(db, [cmd, key]));
        return;
    }
    if !may_block(srv) {
        client.reply.null_array();
        return;
    }
    srv.block(client, keys, Kind::List, timeout, args);
}

fn blpop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    bpop_generic(srv, client, args, true);
}

fn brpop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    bpop_generic(srv, client, args, false);
}

fn blmove_generic(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    from_front: bool,
    to_front: bool,
    timeout: Option<std::time::Duration>,
    propagate: Propagated,
) {
    let found = write_kind(srv, client, args[1], Kind::List).map(|v| v.is_some());
    match found {
        Err(WrongType) => {}
        Ok(true) => {
            move_generic(
                srv,
                client,
                args[1],
                args[2],
                from_front,
                to_front,
                Some(propagate),
            );
        }
        Ok(false) if !may_block(srv) => client.reply.null(),
        Ok(false) => srv.block(client, &args[1..2], Kind::List, timeout, args),
    }
}

fn blmove(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(from) = side_arg(client, args[3]) else {
        return;
    };
    let Some(to) = side_arg(client, args[4]) else {
        return;
    };
    let Some(timeout) = timeout_arg(client, args[5]) else {
        return;
    };
    let p = Propagated::new(
        client.db,
        [
            &b"LMOVE"[..],
            args[1],
            args[2],
            side_name(from),
            side_name(to),
        ],
    );
    blmove_generic(srv, client, args, from, to, timeout, p);
}

fn brpoplpush(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(timeout) = timeout_arg(client, args[3]) else {
        return;
    };
    let p = Propagated::new(client.db, [&b"RPOPLPUSH"[..], args[1], args[2]]);
    blmove_generic(srv, client, args, false, true, timeout, p);
}

fn blmpop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some((keys, front, count)) = mpop_args(client, args, 2, ["right", "left"]) else {
        return;
    };
    let Some(timeout) = timeout_arg(client, args[1]) else {
        return;
    };
    match mpop_first(srv, client, &keys, front, count) {
        Err(WrongType) | Ok(true) => {}
        Ok(false) if !may_block(srv) => client.reply.null_array(),
        Ok(false) => srv.block(client, &keys, Kind::List, timeout, args),
    }
}
