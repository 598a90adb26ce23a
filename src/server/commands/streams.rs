//! Stream commands (Redis's t_stream.c): XADD, XRANGE, XREVRANGE, XLEN,
//! XDEL, XTRIM, XREAD, XSETID, XINFO, XGROUP, XREADGROUP, XACK, XPENDING,
//! XCLAIM, XAUTOCLAIM — with Redis 7.0's replies, errors and propagation:
//! XADD with `*` propagates its explicit ID, approximate trims propagate
//! as exact ones, XREADGROUP and XAUTOCLAIM propagate as XCLAIM (plus
//! XGROUP SETID when only the group's last ID moved), XREAD nothing.
//!
//! Blocking XREAD/XREADGROUP join the blocking machinery the lists use;
//! [`serve_waiter`] decides, for a client blocked on a stream key that was
//! signalled, whether it is served (by running a one-key non-blocking form
//! of its read), answered with an error (its group or key went away) or
//! stays blocked.

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::propagate::Propagated;
use super::super::signal::event;
use super::super::types::stream::{
    self, AddError, Consumer, Fields, Group, Id, MAX_ID, MIN_ID, Nack, Stream, Trim,
};
use super::super::types::{Kind, Value, limits};
use super::{WrongType, help, int_arg, is, read_kind, value_mut, write_kind};

const G: &str = "stream";

pub const COMMANDS: &[Spec] = &[
    Spec::new("xadd", -5, WRITE | DENYOOM | FAST, G, "5.0.0", "Appends a new entry to a stream", xadd).keys(1, 1, 1),
    Spec::new("xrange", -4, READONLY, G, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval", xrange).keys(1, 1, 1),
    Spec::new("xrevrange", -4, READONLY, G, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", xrevrange).keys(1, 1, 1),
    Spec::new("xlen", 2, READONLY | FAST, G, "5.0.0", "Return the number of entries in a stream", xlen).keys(1, 1, 1),
    Spec::new("xdel", -3, WRITE | FAST, G, "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", xdel).keys(1, 1, 1),
    Spec::new("xtrim", -4, WRITE, G, "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size", xtrim).keys(1, 1, 1),
    Spec::new("xread", -4, READONLY | BLOCKING | MOVABLE_KEYS, G, "5.0.0", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", xread),
    Spec::new("xreadgroup", -7, WRITE | BLOCKING | MOVABLE_KEYS, G, "5.0.0", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", xreadgroup),
    Spec::new("xsetid", -3, WRITE | DENYOOM | FAST, G, "5.0.0", "An internal command for replicating stream values", xsetid).keys(1, 1, 1),
    Spec::new("xack", -4, WRITE | FAST, G, "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", xack).keys(1, 1, 1),
    Spec::new("xpending", -3, READONLY, G, "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", xpending).keys(1, 1, 1),
    Spec::new("xclaim", -6, WRITE | FAST, G, "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", xclaim).keys(1, 1, 1),
    Spec::new("xautoclaim", -6, WRITE | FAST, G, "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", xautoclaim).keys(1, 1, 1),
    Spec::container("xinfo", -2, G, "5.0.0", "A container for stream introspection commands", XINFO),
    Spec::container("xgroup", -2, G, "5.0.0", "A container for consumer groups commands", XGROUP),
];

const XINFO: &[Spec] = &[
    Spec::new(
        "stream",
        -3,
        READONLY,
        G,
        "5.0.0",
        "Get information about a stream",
        xinfo_stream,
    )
    .keys(2, 2, 1),
    Spec::new(
        "groups",
        3,
        READONLY,
        G,
        "5.0.0",
        "List the consumer groups of a stream",
        xinfo_groups,
    )
    .keys(2, 2, 1),
    Spec::new(
        "consumers",
        4,
        READONLY,
        G,
        "5.0.0",
        "List the consumers in a consumer group",
        xinfo_consumers,
    )
    .keys(2, 2, 1),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "5.0.0",
        "Show helpful text about the different subcommands",
        xinfo_help,
    ),
];

const XGROUP: &[Spec] = &[
    Spec::new(
        "create",
        -5,
        WRITE | DENYOOM,
        G,
        "5.0.0",
        "Create a consumer group.",
        xgroup_create,
    )
    .keys(2, 2, 1),
    Spec::new(
        "setid",
        -5,
        WRITE,
        G,
        "5.0.0",
        "Set a consumer group to an arbitrary last delivered ID value.",
        xgroup_setid,
    )
    .keys(2, 2, 1),
    Spec::new(
        "destroy",
        4,
        WRITE,
        G,
        "5.0.0",
        "Destroy a consumer group.",
        xgroup_destroy,
    )
    .keys(2, 2, 1),
    Spec::new(
        "createconsumer",
        5,
        WRITE | DENYOOM,
        G,
        "6.2.0",
        "Create a consumer in a consumer group.",
        xgroup_createconsumer,
    )
    .keys(2, 2, 1),
    Spec::new(
        "delconsumer",
        5,
        WRITE,
        G,
        "5.0.0",
        "Delete a consumer from a consumer group.",
        xgroup_delconsumer,
    )
    .keys(2, 2, 1),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "5.0.0",
        "Show helpful text about the different subcommands",
        xgroup_help,
    ),
];

const INVALID_ID: &str = "Invalid stream ID specified as stream command argument";

// ---------------------------------------------------------------------------
// Helpers.

fn id_text(id: Id) -> Vec<u8> {
    format!("{}-{}", id.ms, id.seq).into_bytes()
}

/// Redis's string2ull: strtoull's leniency (leading blanks, a sign,
/// leading zeros) but no negative value other than zero.
fn parse_u64(s: &[u8]) -> Option<u64> {
    let start = s.iter().position(|b| !b" \t\n\x0b\x0c\r".contains(b))?;
    let mut digits = &s[start..];
    let mut negative = false;
    if let Some((&sign, rest)) = digits.split_first()
        && (sign == b'+' || sign == b'-')
    {
        negative = sign == b'-';
        digits = rest;
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative && n != 0 {
        return None;
    }
    Some(n)
}

/// Redis's streamGenericParseIDOrReply without the reply. `seq_star`:
/// accept `ms-*` (XADD), reporting whether the sequence was given.
fn parse_id(arg: &[u8], missing_seq: u64, strict: bool, seq_star: Option<&mut bool>) -> Option<Id> {
    if arg.len() > 127 {
        return None;
    }
    if arg == b"-" || arg == b"+" {
        if strict {
            return None;
        }
        return Some(if arg == b"-" { MIN_ID } else { MAX_ID });
    }
    let (ms, seq) = match arg.iter().position(|&b| b == b'-') {
        Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
        None => (arg, None),
    };
    let ms = parse_u64(ms)?;
    let seq = match seq {
        Some(b"*") if seq_star.is_some() => {
            if let Some(given) = seq_star {
                *given = false;
            }
            0
        }
        Some(s) => parse_u64(s)?,
        None => missing_seq,
    };
    Some(Id { ms, seq })
}

fn id_or_reply(client: &mut Client, arg: &[u8], missing_seq: u64, strict: bool) -> Option<Id> {
    let id = parse_id(arg, missing_seq, strict, None);
    if id.is_none() {
        client.reply.error(INVALID_ID);
    }
    id
}

/// An interval bound, maybe exclusive (`(`): start (incremented) or end
/// (decremented).
fn bound(client: &mut Client, arg: &[u8], start: bool) -> Option<Id> {
    let missing = if start { 0 } else { u64::MAX };
    if arg.len() > 1 && arg[0] == b'(' {
        let id = id_or_reply(client, &arg[1..], missing, true)?;
        let moved = if start {
            stream::incr(id)
        } else {
            stream::decr(id)
        };
        if moved.is_none() {
            client.reply.error(if start {
                "invalid start ID for the interval"
            } else {
                "invalid end ID for the interval"
            });
        }
        return moved;
    }
    id_or_reply(client, arg, missing, false)
}

fn reply_entry(client: &mut Client, id: Id, fields: &Fields) {
    client.reply.array(2);
    client.reply.bulk(&id_text(id));
    client.reply.array(fields.len() * 2);
    for (f, v) in fields {
        client.reply.bulk(f);
        client.reply.bulk(v);
    }
}

fn reply_entries(client: &mut Client, entries: &[(Id, Fields)]) {
    client.reply.array(entries.len());
    for (id, f) in entries {
        reply_entry(client, *id, f);
    }
}

fn as_stream(v: &Value) -> Option<&Stream> {
    match v {
        Value::Stream(s) => Some(s),
        _ => None,
    }
}

fn as_stream_mut(v: &mut Value) -> Option<&mut Stream> {
    match v {
        Value::Stream(s) => Some(s),
        _ => None,
    }
}

fn read_stream<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
) -> Result<Option<&'a Stream>, WrongType> {
    Ok(read_kind(srv, client, key, Kind::Stream)?.and_then(as_stream))
}

fn write_stream<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
) -> Result<Option<&'a mut Stream>, WrongType> {
    Ok(write_kind(srv, client, key, Kind::Stream)?.and_then(as_stream_mut))
}

fn stream_mut<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Stream> {
    value_mut(srv, db, key).and_then(as_stream_mut)
}

fn now_ms(srv: &Server) -> i64 {
    srv.ks.now
}

fn s(text: &str) -> &[u8] {
    text.as_bytes()
}

// ---------------------------------------------------------------------------
// XADD / XTRIM.

struct TrimArgs {
    how: Option<Trim>,
    approx: bool,
    limit: i64,
    /// Index of the MAXLEN/MINID value (for rewriting).
    arg_idx: usize,
    id: Option<(Id, bool)>,
    no_mkstream: bool,
}

/// Redis's streamParseAddOrTrimArgsOrReply: returns the arguments and
/// the index of the ID (XADD) or past the options (XTRIM).
fn parse_trim(client: &mut Client, args: &[&[u8]], xadd: bool) -> Option<(TrimArgs, usize)> {
    let mut t = TrimArgs {
        how: None,
        approx: false,
        limit: 0,
        arg_idx: 0,
        id: None,
        no_mkstream: false,
    };
    let mut limit_given = false;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = args[i];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if t.how.is_some() {
                client.reply.error(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                );
                return None;
            }
            let maxlen = is(opt, "maxlen");
            t.approx = false;
            let next = args[i + 1];
            if more >= 2 && next == b"~" {
                t.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if maxlen {
                let n = int_arg(client, args[i + 1])?;
                if n < 0 {
                    client.reply.error("The MAXLEN argument must be >= 0.");
                    return None;
                }
                t.how = Some(Trim::MaxLen(n as u64));
            } else {
                let id = id_or_reply(client, args[i + 1], 0, true)?;
                t.how = Some(Trim::MinId(id));
            }
            i += 1;
            t.arg_idx = i;
        } else if is(opt, "limit") && more > 0 {
            let n = int_arg(client, args[i + 1])?;
            if n < 0 {
                client.reply.error("The LIMIT argument must be >= 0.");
                return None;
            }
            t.limit = n;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            t.no_mkstream = true;
        } else if xadd {
            let mut seq_given = true;
            let Some(id) = parse_id(opt, 0, true, Some(&mut seq_given)) else {
                client.reply.error(INVALID_ID);
                return None;
            };
            t.id = Some((id, seq_given));
            break;
        } else {
            client.reply.syntax_error();
            return None;
        }
        i += 1;
    }
    if t.limit != 0 && t.how.is_none() {
        client
            .reply
            .error("syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return None;
    }
    if !xadd && t.how.is_none() {
        client
            .reply
            .error("syntax error, XTRIM must be called with a trimming strategy");
        return None;
    }
    if client.must_obey() {
        t.limit = 0;
    } else if limit_given {
        if !t.approx {
            client
                .reply
                .error("syntax error, LIMIT cannot be used without the special ~ option");
            return None;
        }
    } else if t.approx {
        let mut l = 100 * limits().stream_node_max_entries as i64;
        if l <= 0 {
            l = 10000;
        }
        t.limit = l.min(1_000_000);
    } else {
        t.limit = 0;
    }
    Some((t, i))
}

/// The propagated form of an approximate trim: `=` and the exact value
/// the trim reached.
fn rewrite_trim(argv: &mut [Vec<u8>], s: &Stream, t: &TrimArgs) {
    if !t.approx || t.arg_idx == 0 {
        return;
    }
    argv[t.arg_idx - 1] = b"=".to_vec();
    argv[t.arg_idx] = match t.how {
        Some(Trim::MaxLen(_)) => s.length.to_string().into_bytes(),
        _ => id_text(s.first_with_tombstones()),
    };
}

fn xadd(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some((t, idpos)) = parse_trim(client, args, true) else {
        return;
    };
    let field_pos = idpos + 1;
    if args.len() < field_pos + 2 || (args.len() - field_pos) % 2 == 1 {
        client
            .reply
            .error("wrong number of arguments for 'xadd' command");
        return;
    }
    if let Some((id, true)) = t.id
        && id == MIN_ID
    {
        client
            .reply
            .error("The ID specified in XADD must be greater than 0-0");
        return;
    }
    let (db, key) = (client.db, args[1]);
    match write_stream(srv, client, key) {
        Err(WrongType) => return,
        Ok(Some(_)) => {}
        Ok(None) => {
            if t.no_mkstream {
                client.reply.null();
                return;
            }
            srv.ks.dbs[db].add(key, Value::Stream(Box::default()));
        }
    }
    let now = now_ms(srv).max(0) as u64;
    let lim = limits();
    let Some(st) = stream_mut(srv, db, key) else {
        return;
    };
    if st.last_id == MAX_ID {
        client
            .reply
            .error("The stream has exhausted the last possible ID, unable to add more items");
        return;
    }
    let fields: Vec<(&[u8], &[u8])> = args[field_pos..].chunks(2).map(|p| (p[0], p[1])).collect();
    let id = match st.add(
        &fields,
        t.id,
        lim.stream_node_max_bytes,
        lim.stream_node_max_entries,
        now,
    ) {
        Ok(id) => id,
        Err(AddError::NotGreater) => {
            client.reply.error(
                "The ID specified in XADD is equal or smaller than the target stream top item",
            );
            return;
        }
        Err(AddError::TooLarge) => {
            client.reply.error("Elements are too large to be stored");
            return;
        }
    };
    let idtext = id_text(id);
    client.reply.bulk(&idtext);
    let trimmed = match t.how {
        Some(how) => st.trim(how, t.approx, t.limit),
        None => 0,
    };
    let mut argv: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
    rewrite_trim(&mut argv, st, &t);
    if !matches!(t.id, Some((_, true))) {
        argv[idpos] = idtext;
    }
    srv.key_changed(db, key, event::XADD, 1);
    if trimmed > 0 {
        srv.key_event(db, key, event::XTRIM);
    }
    srv.ks
        .effects
        .rewrite(Propagated::new(db, argv.iter().map(Vec::as_slice)));
}

fn xtrim(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some((t, i)) = parse_trim(client, args, false) else {
        return;
    };
    if i < args.len() {
        client.reply.syntax_error();
        return;
    }
    let (db, key) = (client.db, args[1]);
    let st = match write_stream(srv, client, key) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.int(0);
            return;
        }
        Ok(Some(s)) => s,
    };
    let Some(how) = t.how else { return };
    let deleted = st.trim(how, t.approx, t.limit);
    let mut argv: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
    rewrite_trim(&mut argv, st, &t);
    client.reply.int(deleted);
    if deleted > 0 {
        srv.key_changed(db, key, event::XTRIM, deleted as u64);
        srv.ks
            .effects
            .rewrite(Propagated::new(db, argv.iter().map(Vec::as_slice)));
    }
}

// ---------------------------------------------------------------------------
// Reads.

fn range_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], rev: bool) {
    let (sa, ea) = if rev {
        (args[3], args[2])
    } else {
        (args[2], args[3])
    };
    let Some(start) = bound(client, sa, true) else {
        return;
    };
    let Some(end) = bound(client, ea, false) else {
        return;
    };
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if is(args[j], "count") && j + 1 < args.len() {
            let Some(n) = int_arg(client, args[j + 1]) else {
                return;
            };
            count = n.max(0);
            j += 2;
        } else {
            client.reply.syntax_error();
            return;
        }
    }
    let st = match read_stream(srv, client, args[1]) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.array(0);
            return;
        }
        Ok(Some(s)) => s,
    };
    if count == 0 {
        client.reply.null_array();
        return;
    }
    let entries = st.range(start, end, count.max(0) as usize, rev);
    reply_entries(client, &entries);
}

fn xrange(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    range_generic(srv, client, args, false);
}

fn xrevrange(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    range_generic(srv, client, args, true);
}

fn xlen(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_stream(srv, client, args[1]) {
        Err(WrongType) => {}
        Ok(s) => client.reply.int(s.map_or(0, |s| s.length as i64)),
    }
}

fn xdel(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (db, key) = (client.db, args[1]);
    let mut ids = Vec::with_capacity(args.len() - 2);
    let exists = match write_stream(srv, client, key) {
        Err(WrongType) => return,
        Ok(s) => s.is_some(),
    };
    if !exists {
        client.reply.int(0);
        return;
    }
    for a in &args[2..] {
        let Some(id) = id_or_reply(client, a, 0, true) else {
            return;
        };
        ids.push(id);
    }
    let Some(st) = stream_mut(srv, db, key) else {
        return;
    };
    let mut deleted = 0;
    let mut first_entry = false;
    for id in ids {
        if st.delete(id) {
            if id == st.first_id {
                first_entry = true;
            }
            if id > st.max_deleted {
                st.max_deleted = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if st.length == 0 {
            st.first_id = MIN_ID;
        } else if first_entry {
            st.first_id = st.edge(false).unwrap_or(MIN_ID);
        }
        srv.key_changed(db, key, event::XDEL, deleted);
    }
    client.reply.int(deleted as i64);
}

fn xsetid(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(id) = id_or_reply(client, args[2], 0, true) else {
        return;
    };
    let mut entries_added: i64 = -1;
    let mut max_xdel = MIN_ID;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(args[i], "entriesadded") && more > 0 {
            let Some(n) = int_arg(client, args[i + 1]) else {
                return;
            };
            if n < 0 {
                client.reply.error("entries_added must be positive");
                return;
            }
            entries_added = n;
            i += 2;
        } else if is(args[i], "maxdeletedid") && more > 0 {
            let Some(m) = id_or_reply(client, args[i + 1], 0, true) else {
                return;
            };
            if id < m {
                client.reply.error(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                );
                return;
            }
            max_xdel = m;
            i += 2;
        } else {
            client.reply.syntax_error();
            return;
        }
    }
    let (db, key) = (client.db, args[1]);
    let st = match write_stream(srv, client, key) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.error("no such key");
            return;
        }
        Ok(Some(s)) => s,
    };
    if st.length > 0 {
        let max = st.edge(true).unwrap_or(MIN_ID);
        if id < max {
            client
                .reply
                .error("The ID specified in XSETID is smaller than the target stream top item");
            return;
        }
        if entries_added != -1 && st.length > entries_added as u64 {
            client.reply.error(
                "The entries_added specified in XSETID is smaller than the target stream length",
            );
            return;
        }
    }
    st.last_id = id;
    if entries_added != -1 {
        st.entries_added = entries_added as u64;
    }
    if max_xdel != MIN_ID {
        st.max_deleted = max_xdel;
    }
    client.reply.ok();
    srv.key_changed(db, key, event::XSETID, 1);
}

// ---------------------------------------------------------------------------
// XREAD / XREADGROUP.

/// The default COUNT of a blocked read (XREAD_BLOCKED_DEFAULT_COUNT).
const BLOCKED_DEFAULT_COUNT: i64 = 1000;

fn xread(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    read_generic(srv, client, args, false);
}

fn xreadgroup(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    read_generic(srv, client, args, true);
}

fn read_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], group_form: bool) {
    let mut timeout: Option<Option<std::time::Duration>> = None;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut group: Option<(&[u8], &[u8])> = None;
    let mut noack = false;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let o = args[i];
        if is(o, "block") && more > 0 {
            if client.script {
                client.reply.error(&format!(
                    "{} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(args[0])
                ));
                return;
            }
            i += 1;
            let Some(ms) = int_arg_timeout(client, args[i]) else {
                return;
            };
            timeout = Some(ms);
        } else if is(o, "count") && more > 0 {
            i += 1;
            let Some(n) = int_arg(client, args[i]) else {
                return;
            };
            count = n.max(0);
        } else if is(o, "streams") && more > 0 {
            streams_arg = i + 1;
            let n = args.len() - streams_arg;
            if !n.is_multiple_of(2) {
                client.reply.error("Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
                return;
            }
            break;
        } else if is(o, "group") && more >= 2 {
            if !group_form {
                client.reply.error(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return;
            }
            group = Some((args[i + 1], args[i + 2]));
            i += 2;
        } else if is(o, "noack") {
            if !group_form {
                client.reply.error(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return;
            }
            noack = true;
        } else {
            client.reply.syntax_error();
            return;
        }
        i += 1;
    }
    if streams_arg == 0 {
        client.reply.syntax_error();
        return;
    }
    if group_form && group.is_none() {
        client.reply.error("Missing GROUP option for XREADGROUP");
        return;
    }
    let n = (args.len() - streams_arg) / 2;
    let keys = &args[streams_arg..streams_arg + n];
    let db = client.db;
    let mut ids = Vec::with_capacity(n);
    for (k, &key) in keys.iter().enumerate() {
        let arg = args[streams_arg + n + k];
        let st = match read_stream(srv, client, key) {
            Err(WrongType) => return,
            Ok(s) => s,
        };
        if let Some((gname, _)) = group
            && st.is_none_or(|s| !s.groups.contains_key(gname))
        {
            client.reply.error(&format!(
                "-NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                String::from_utf8_lossy(key),
                String::from_utf8_lossy(gname)
            ));
            return;
        }
        if arg == b"$" {
            if group_form {
                client.reply.error("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
                return;
            }
            ids.push(st.map_or(MIN_ID, |s| s.last_id));
            continue;
        } else if arg == b">" {
            if !group_form {
                client.reply.error("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
                return;
            }
            ids.push(MAX_ID);
            continue;
        }
        let Some(id) = id_or_reply(client, arg, 0, true) else {
            return;
        };
        ids.push(id);
    }

    // Serve what is there.
    let mut served = 0usize;
    let mut out = super::super::reply::Reply {
        resp3: client.reply.resp3,
        ..Default::default()
    };
    let mut changed = false;
    for (k, &key) in keys.iter().enumerate() {
        let gt = ids[k];
        let Some(st) = srv.ks.dbs[db]
            .dict
            .get(key)
            .and_then(|o| as_stream(&o.value))
        else {
            continue;
        };
        let mut gt = gt;
        let (sync, history) = match group {
            Some((gname, _)) => {
                if gt != MAX_ID {
                    (true, true)
                } else if st.length > 0 {
                    gt = st.groups.get(gname).map_or(MIN_ID, |g| g.last_id);
                    (has_after(st, gt), false)
                } else {
                    (false, false)
                }
            }
            None => (st.length > 0 && has_after(st, gt), false),
        };
        if !sync {
            continue;
        }
        served += 1;
        if !out.resp3 {
            out.array(2);
        }
        out.bulk(key);
        match group {
            None => {
                let entries = st.range(
                    stream::incr(gt).unwrap_or(MAX_ID),
                    MAX_ID,
                    count as usize,
                    false,
                );
                reply_entries_to(&mut out, &entries);
            }
            Some((gname, cname)) => {
                changed = true;
                let start = stream::incr(gt).unwrap_or(MAX_ID);
                group_read(
                    srv,
                    db,
                    key,
                    gname,
                    cname,
                    start,
                    count as usize,
                    noack,
                    history,
                    &mut out,
                );
            }
        }
    }
    if served > 0 {
        if out.resp3 {
            client.reply.map(served);
        } else {
            client.reply.array(served);
        }
        client.reply.raw(&out.buf);
        if changed {
            srv.dataset_changed(1);
        }
        if !group_form {
            srv.ks.effects.suppress();
        }
        return;
    }
    if let Some(t) = timeout {
        if srv.transactions.exec_feed.is_some() {
            client.reply.null_array();
            srv.ks.effects.suppress();
            return;
        }
        // Block with the IDs resolved ($ becomes the last ID now), so a
        // wake-up runs the one-key read of the key that got entries.
        let mut argv: Vec<&[u8]> = Vec::new();
        let count_text = (if count > 0 {
            count
        } else {
            BLOCKED_DEFAULT_COUNT
        })
        .to_string();
        argv.push(if group_form {
            s("XREADGROUP")
        } else {
            s("XREAD")
        });
        if let Some((g, c)) = group {
            argv.extend([s("GROUP"), g, c]);
        }
        argv.extend([s("COUNT"), count_text.as_bytes()]);
        if noack {
            argv.push(s("NOACK"));
        }
        argv.push(s("STREAMS"));
        argv.extend(keys.iter().copied());
        let texts: Vec<Vec<u8>> = ids
            .iter()
            .map(|&id| {
                if id == MAX_ID {
                    b">".to_vec()
                } else {
                    id_text(id)
                }
            })
            .collect();
        argv.extend(texts.iter().map(Vec::as_slice));
        srv.block(client, keys, Kind::Stream, t, &argv);
        srv.ks.effects.suppress();
        return;
    }
    client.reply.null_array();
    srv.ks.effects.suppress();
}

/// Whether a live entry follows `id` (Redis compares the last live ID).
fn has_after(st: &Stream, id: Id) -> bool {
    let Some(start) = stream::incr(id) else {
        return false;
    };
    let mut any = false;
    st.visit(start, MAX_ID, false, |_, _| {
        any = true;
        false
    });
    any
}

/// BLOCK's argument: milliseconds (0 = forever), as
/// getTimeoutFromObjectOrReply with UNIT_MILLISECONDS.
fn int_arg_timeout(client: &mut Client, arg: &[u8]) -> Option<Option<std::time::Duration>> {
    let Some(v) = crate::resp::number::string2ll(arg) else {
        client
            .reply
            .error("timeout is not an integer or out of range");
        return None;
    };
    if v < 0 {
        client.reply.error("timeout is negative");
        return None;
    }
    if v == 0 {
        return Some(None);
    }
    Some(Some(std::time::Duration::from_millis(v as u64)))
}

fn reply_entries_to(out: &mut super::super::reply::Reply, entries: &[(Id, Fields)]) {
    out.array(entries.len());
    for (id, fields) in entries {
        out.array(2);
        out.bulk(&id_text(*id));
        out.array(fields.len() * 2);
        for (f, v) in fields {
            out.bulk(f);
            out.bulk(v);
        }
    }
}

fn xclaim_argv(key: &[u8], gname: &[u8], id: Id, n: &Nack, last: Id) -> Vec<Vec<u8>> {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        gname.to_vec(),
        n.consumer.clone(),
        b"0".to_vec(),
        id_text(id),
        b"TIME".to_vec(),
        n.delivery_time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        n.delivery_count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        id_text(last),
    ]
}

fn setid_argv(key: &[u8], gname: &[u8], g: &Group) -> Vec<Vec<u8>> {
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        gname.to_vec(),
        id_text(g.last_id),
        b"ENTRIESREAD".to_vec(),
        g.entries_read.to_string().into_bytes(),
    ]
}

fn propagate(srv: &mut Server, db: usize, argv: &[Vec<u8>]) {
    srv.ks
        .effects
        .rewrite(Propagated::new(db, argv.iter().map(Vec::as_slice)));
}

/// Look a consumer up (refreshing its seen time) or create it; true when
/// created.
fn ensure_consumer(g: &mut Group, name: &[u8], now: i64) -> bool {
    match g.consumers.get_mut(name) {
        Some(c) => {
            c.seen_time = now;
            false
        }
        None => {
            g.consumers.insert(
                name.to_vec(),
                Consumer {
                    seen_time: now,
                    pel: Default::default(),
                },
            );
            true
        }
    }
}

/// One key of XREADGROUP: new entries (`>`), or the consumer's history.
#[allow(clippy::too_many_arguments)]
fn group_read(
    srv: &mut Server,
    db: usize,
    key: &[u8],
    gname: &[u8],
    cname: &[u8],
    start: Id,
    count: usize,
    noack: bool,
    history: bool,
    out: &mut super::super::reply::Reply,
) {
    let now = now_ms(srv);
    let Some(st) = stream_mut(srv, db, key) else {
        return;
    };
    let Some(g) = st.groups.get_mut(gname) else {
        return;
    };
    let created = ensure_consumer(g, cname, now);
    let mut props: Vec<Vec<Vec<u8>>> = Vec::new();
    if created && noack {
        props.push(vec![
            b"XGROUP".to_vec(),
            b"CREATECONSUMER".to_vec(),
            key.to_vec(),
            gname.to_vec(),
            cname.to_vec(),
        ]);
    }
    if history {
        let pel: Vec<Id> = g
            .consumers
            .get(cname)
            .map_or(Vec::new(), |c| c.pel.range(start..).copied().collect());
        let limit = if count == 0 { usize::MAX } else { count };
        let mut items: Vec<(Id, Option<Fields>)> =
            pel.into_iter().take(limit).map(|id| (id, None)).collect();
        for it in &mut items {
            it.1 = st.get(it.0);
        }
        let Some(g) = st.groups.get_mut(gname) else {
            return;
        };
        out.array(items.len());
        for (id, f) in &items {
            match f {
                Some(f) => {
                    out.array(2);
                    out.bulk(&id_text(*id));
                    out.array(f.len() * 2);
                    for (a, b) in f {
                        out.bulk(a);
                        out.bulk(b);
                    }
                    if let Some(nk) = g.pel.get_mut(id) {
                        nk.delivery_time = now;
                        nk.delivery_count += 1;
                    }
                }
                None => {
                    out.array(2);
                    out.bulk(&id_text(*id));
                    out.null_array();
                }
            }
        }
    } else {
        let entries = st.range(start, MAX_ID, count, false);
        let mut moved = false;
        for (id, _) in &entries {
            let before = st.groups.get(gname).map(|g| g.last_id);
            st.advance_group(gname, *id);
            if before != st.groups.get(gname).map(|g| g.last_id) && noack {
                moved = true;
            }
        }
        reply_entries_to(out, &entries);
        let Some(g) = st.groups.get_mut(gname) else {
            return;
        };
        if !noack {
            for (id, _) in &entries {
                match g.pel.get_mut(id) {
                    Some(nk) => {
                        nk.delivery_time = now;
                        nk.delivery_count = 1;
                        g.assign(*id, cname);
                    }
                    None => {
                        g.pel.insert(
                            *id,
                            Nack {
                                delivery_time: now,
                                delivery_count: 1,
                                consumer: cname.to_vec(),
                            },
                        );
                        if let Some(c) = g.consumers.get_mut(cname) {
                            c.pel.insert(*id);
                        }
                    }
                }
                if let Some(nk) = g.pel.get(id) {
                    props.push(xclaim_argv(key, gname, *id, nk, g.last_id));
                }
            }
        }
        if moved {
            props.push(setid_argv(key, gname, g));
        }
    }
    if created {
        srv.key_event(db, key, event::XGROUP_CREATECONSUMER);
    }
    for p in &props {
        propagate(srv, db, p);
    }
    if props.is_empty() {
        srv.ks.effects.suppress();
    }
}

/// A client blocked on stream `key` in `db` was signalled: serve it, fail
/// it or leave it blocked (see the module documentation). Returns whether
/// it was unblocked.
pub fn serve_waiter(srv: &mut Server, client: &mut Client, db: usize, key: &[u8]) -> bool {
    let Some(b) = client.blocked.as_ref() else {
        return false;
    };
    let argv = b.argv.clone();
    let command = b.command;
    let group_form = argv.first().is_some_and(|a| is(a, "xreadgroup"));
    let Some(sp) = argv.iter().position(|a| a == b"STREAMS") else {
        return false;
    };
    let n = (argv.len() - sp - 1) / 2;
    let Some(k) = argv[sp + 1..sp + 1 + n].iter().position(|a| a == key) else {
        return false;
    };
    let id_arg = argv[sp + 1 + n + k].clone();
    let st = srv.ks.dbs[db]
        .dict
        .get(key)
        .and_then(|o| as_stream(&o.value));
    if group_form {
        let gname = &argv[2];
        let Some(st) = st else {
            srv.unblock(client);
            client
                .reply
                .error("-UNBLOCKED the stream key no longer exists");
            srv.finish_errors(client, Some(command));
            return true;
        };
        let Some(g) = st.groups.get(gname.as_slice()) else {
            srv.unblock(client);
            client
                .reply
                .error("-NOGROUP the consumer group this client was blocked on no longer exists");
            srv.finish_errors(client, Some(command));
            return true;
        };
        if st.last_id <= g.last_id {
            return false;
        }
    } else {
        let Some(st) = st else { return false };
        let Some(gt) = parse_id(&id_arg, 0, true, None) else {
            return false;
        };
        if st.last_id <= gt {
            return false;
        }
    }
    srv.unblock(client);
    let mut run: Vec<&[u8]> = argv[..sp + 1].iter().map(Vec::as_slice).collect();
    run.push(key);
    run.push(&id_arg);
    let saved = client.db;
    client.db = db;
    srv.execute(client, command, &run, None, true);
    client.db = saved;
    true
}

// ---------------------------------------------------------------------------
// Groups.

fn xgroup_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
}

fn xinfo_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
}

/// The common part of XGROUP: options, key and group lookups. Returns
/// (mkstream, entries_read) or None once replied.
fn xgroup_prelude(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    needs_group: bool,
) -> Option<(bool, i64)> {
    let create = is(args[1], "create");
    let setid = is(args[1], "setid");
    let mut mkstream = false;
    let mut entries_read = -1i64;
    let mut i = 5;
    while i < args.len() {
        if create && is(args[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(args[i], "entriesread") && i + 1 < args.len() {
            let n = int_arg(client, args[i + 1])?;
            if n < 0 && n != -1 {
                client
                    .reply
                    .error("value for ENTRIESREAD must be positive or -1");
                return None;
            }
            entries_read = n;
            i += 2;
        } else {
            super::subcommand_syntax_error(client, args);
            return None;
        }
    }
    let st = write_stream(srv, client, args[2]).ok()?;
    if !mkstream {
        let Some(st) = st else {
            client.reply.error("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
            return None;
        };
        if needs_group && !st.groups.contains_key(args[3]) {
            client.reply.error(&format!(
                "-NOGROUP No such consumer group '{}' for key name '{}'",
                String::from_utf8_lossy(args[3]),
                String::from_utf8_lossy(args[2])
            ));
            return None;
        }
    }
    Some((mkstream, entries_read))
}

fn xgroup_create(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 8 {
        super::subcommand_syntax_error(client, args);
        return;
    }
    let Some((_, entries_read)) = xgroup_prelude(srv, client, args, false) else {
        return;
    };
    let (db, key) = (client.db, args[2]);
    let exists = srv.ks.dbs[db].dict.contains_key(key);
    let id = if args[4] == b"$" {
        stream_mut(srv, db, key).map_or(MIN_ID, |s| s.last_id)
    } else {
        let Some(id) = id_or_reply(client, args[4], 0, true) else {
            return;
        };
        id
    };
    if !exists {
        srv.ks.dbs[db].add(key, Value::Stream(Box::default()));
    }
    let Some(st) = stream_mut(srv, db, key) else {
        return;
    };
    if st.groups.contains_key(args[3]) {
        client
            .reply
            .error("-BUSYGROUP Consumer Group name already exists");
        if !exists {
            srv.key_changed(db, key, event::XGROUP_CREATE, 0);
        }
        return;
    }
    st.groups
        .insert(args[3].to_vec(), Group::new(id, entries_read));
    client.reply.ok();
    srv.key_changed(db, key, event::XGROUP_CREATE, 1);
}

fn xgroup_setid(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() != 5 && args.len() != 7 {
        super::subcommand_syntax_error(client, args);
        return;
    }
    let Some((_, entries_read)) = xgroup_prelude(srv, client, args, true) else {
        return;
    };
    let (db, key) = (client.db, args[2]);
    let Some(st) = stream_mut(srv, db, key) else {
        return;
    };
    let id = if args[4] == b"$" {
        st.last_id
    } else {
        match parse_id(args[4], 0, false, None) {
            Some(id) => id,
            None => {
                client.reply.error(INVALID_ID);
                return;
            }
        }
    };
    if let Some(g) = st.groups.get_mut(args[3]) {
        g.last_id = id;
        g.entries_read = entries_read;
    }
    client.reply.ok();
    srv.key_changed(db, key, event::XGROUP_SETID, 1);
}

fn xgroup_destroy(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(_) = xgroup_prelude(srv, client, args, false) else {
        return;
    };
    let (db, key) = (client.db, args[2]);
    let Some(st) = stream_mut(srv, db, key) else {
        return;
    };
    if st.groups.remove(args[3]).is_some() {
        client.reply.int(1);
        srv.key_changed(db, key, event::XGROUP_DESTROY, 1);
    } else {
        client.reply.int(0);
    }
}

fn xgroup_createconsumer(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(_) = xgroup_prelude(srv, client, args, true) else {
        return;
    };
    let (db, key) = (client.db, args[2]);
    let now = now_ms(srv);
    let Some(g) = stream_mut(srv, db, key).and_then(|s| s.groups.get_mut(args[3])) else {
        return;
    };
    if g.consumers.contains_key(args[4]) {
        client.reply.int(0);
        return;
    }
    g.consumers.insert(
        args[4].to_vec(),
        Consumer {
            seen_time: now,
            pel: Default::default(),
        },
    );
    client.reply.int(1);
    srv.key_changed(db, key, event::XGROUP_CREATECONSUMER, 1);
}

fn xgroup_delconsumer(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(_) = xgroup_prelude(srv, client, args, true) else {
        return;
    };
    let (db, key) = (client.db, args[2]);
    let Some(g) = stream_mut(srv, db, key).and_then(|s| s.groups.get_mut(args[3])) else {
        return;
    };
    let Some(c) = g.consumers.remove(args[4]) else {
        client.reply.int(0);
        return;
    };
    for id in &c.pel {
        g.pel.remove(id);
    }
    client.reply.int(c.pel.len() as i64);
    srv.key_changed(db, key, event::XGROUP_DELCONSUMER, 1);
}

// ---------------------------------------------------------------------------
// XACK, XPENDING, XCLAIM, XAUTOCLAIM.

fn xack(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (db, key) = (client.db, args[1]);
    let has_group = match read_stream(srv, client, key) {
        Err(WrongType) => return,
        Ok(s) => s.is_some_and(|s| s.groups.contains_key(args[2])),
    };
    if !has_group {
        client.reply.int(0);
        return;
    }
    let mut ids = Vec::new();
    for a in &args[3..] {
        let Some(id) = id_or_reply(client, a, 0, true) else {
            return;
        };
        ids.push(id);
    }
    let Some(g) = stream_mut(srv, db, key).and_then(|s| s.groups.get_mut(args[2])) else {
        return;
    };
    let acked = ids.into_iter().filter(|&id| g.ack(id)).count();
    client.reply.int(acked as i64);
    if acked > 0 {
        srv.dataset_changed(acked as u64);
    } else {
        srv.ks.effects.suppress();
    }
}

fn xpending(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let justinfo = args.len() == 3;
    if args.len() != 3 && (args.len() < 6 || args.len() > 9) {
        client.reply.syntax_error();
        return;
    }
    let (mut start, mut end, mut count, mut minidle, mut consumer) =
        (MIN_ID, MAX_ID, 0i64, 0i64, None);
    if args.len() >= 6 {
        let mut si = 3;
        if is(args[3], "idle") {
            let Some(n) = int_arg(client, args[4]) else {
                return;
            };
            minidle = n;
            if args.len() < 8 {
                client.reply.syntax_error();
                return;
            }
            si += 2;
        }
        let Some(c) = int_arg(client, args[si + 2]) else {
            return;
        };
        count = c.max(0);
        let Some(s0) = bound(client, args[si], true) else {
            return;
        };
        let Some(e0) = bound(client, args[si + 1], false) else {
            return;
        };
        start = s0;
        end = e0;
        if si + 3 < args.len() {
            consumer = Some(args[si + 3]);
        }
    }
    let now = now_ms(srv);
    let st = match read_stream(srv, client, args[1]) {
        Err(WrongType) => return,
        Ok(s) => s,
    };
    let Some(g) = st.and_then(|s| s.groups.get(args[2])) else {
        client.reply.error(&format!(
            "-NOGROUP No such key '{}' or consumer group '{}'",
            String::from_utf8_lossy(args[1]),
            String::from_utf8_lossy(args[2])
        ));
        return;
    };
    if justinfo {
        client.reply.array(4);
        client.reply.int(g.pel.len() as i64);
        match (g.pel.keys().next(), g.pel.keys().next_back()) {
            (Some(a), Some(b)) => {
                client.reply.bulk(&id_text(*a));
                client.reply.bulk(&id_text(*b));
                let owners: Vec<(&Vec<u8>, usize)> = g
                    .consumers
                    .iter()
                    .filter(|(_, c)| !c.pel.is_empty())
                    .map(|(n, c)| (n, c.pel.len()))
                    .collect();
                client.reply.array(owners.len());
                for (n, c) in owners {
                    client.reply.array(2);
                    client.reply.bulk(n);
                    client.reply.bulk(c.to_string().as_bytes());
                }
            }
            _ => {
                client.reply.null();
                client.reply.null();
                client.reply.null_array();
            }
        }
        return;
    }
    let ids: Vec<Id> = match consumer {
        Some(c) => match g.consumers.get(c) {
            None => {
                client.reply.array(0);
                return;
            }
            Some(c) => {
                if start > end {
                    Vec::new()
                } else {
                    c.pel.range(start..=end).copied().collect()
                }
            }
        },
        None => {
            if start > end {
                Vec::new()
            } else {
                g.pel.range(start..=end).map(|(k, _)| *k).collect()
            }
        }
    };
    let mut rows = Vec::new();
    for id in ids {
        if count <= 0 {
            break;
        }
        let Some(nk) = g.pel.get(&id) else { continue };
        if minidle != 0 && now - nk.delivery_time < minidle {
            continue;
        }
        count -= 1;
        rows.push((
            id,
            nk.consumer.clone(),
            (now - nk.delivery_time).max(0),
            nk.delivery_count,
        ));
    }
    client.reply.array(rows.len());
    for (id, c, idle, dc) in rows {
        client.reply.array(4);
        client.reply.bulk(&id_text(id));
        client.reply.bulk(&c);
        client.reply.int(idle);
        client.reply.int(dc as i64);
    }
}

fn nogroup(client: &mut Client, key: &[u8], group: &[u8]) {
    client.reply.error(&format!(
        "-NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ));
}

fn xclaim(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (db, key, gname, cname) = (client.db, args[1], args[2], args[3]);
    let has = match read_stream(srv, client, key) {
        Err(WrongType) => return,
        Ok(s) => s.is_some_and(|s| s.groups.contains_key(gname)),
    };
    if !has {
        nogroup(client, key, gname);
        return;
    }
    let Some(minidle) = crate::resp::number::string2ll(args[4]) else {
        client
            .reply
            .error("Invalid min-idle-time argument for XCLAIM");
        return;
    };
    let minidle = minidle.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < args.len() {
        match parse_id(args[j], 0, true, None) {
            Some(id) => ids.push((id, j)),
            None => break,
        }
        j += 1;
    }
    let now = now_ms(srv);
    let (mut force, mut justid, mut retry, mut dtime, mut last_id) =
        (false, false, -1i64, -1i64, MIN_ID);
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = args[j];
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if let Some(name) = ["idle", "time", "retrycount"]
            .into_iter()
            .find(|name| is(opt, name) && more > 0)
        {
            j += 1;
            let Some(n) = crate::resp::number::string2ll(args[j]) else {
                client.reply.error(&format!(
                    "Invalid {} option argument for XCLAIM",
                    name.to_uppercase()
                ));
                return;
            };
            match name {
                "idle" => dtime = now - n,
                "time" => dtime = n,
                _ => retry = n,
            }
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            let Some(id) = id_or_reply(client, args[j], 0, true) else {
                return;
            };
            last_id = id;
        } else {
            client.reply.error(&format!(
                "Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(opt)
            ));
            return;
        }
        j += 1;
    }
    if dtime != -1 {
        if dtime < 0 || dtime > now {
            dtime = now;
        }
    } else {
        dtime = now;
    }
    let Some(st) = stream_mut(srv, db, key) else {
        return;
    };
    let mut props: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut propagate_last = false;
    let mut changes = 0u64;
    // Claiming for a consumer the group did not know creates it (Redis
    // notifies xgroup-createconsumer then, before the command's event).
    let mut consumer_created = false;
    if let Some(g) = st.groups.get_mut(gname)
        && last_id > g.last_id
    {
        g.last_id = last_id;
        propagate_last = true;
    }
    let mut replies: Vec<(Id, Option<Fields>)> = Vec::new();
    for (id, _) in ids {
        let exists = st.exists(id);
        let fields = if exists && !justid { st.get(id) } else { None };
        let Some(g) = st.groups.get_mut(gname) else {
            return;
        };
        if !exists {
            if let Some(nk) = g.pel.get(&id) {
                props.push(xclaim_argv(key, gname, id, nk, g.last_id));
                propagate_last = false;
                changes += 1;
                g.ack(id);
            }
            continue;
        }
        if force && !g.pel.contains_key(&id) {
            g.pel.insert(
                id,
                Nack {
                    delivery_time: now,
                    delivery_count: 1,
                    consumer: Vec::new(),
                },
            );
        }
        let Some(nk) = g.pel.get(&id) else { continue };
        if !nk.consumer.is_empty() && minidle != 0 && now - nk.delivery_time < minidle {
            continue;
        }
        consumer_created |= ensure_consumer(g, cname, now);
        g.assign(id, cname);
        let Some(nk) = g.pel.get_mut(&id) else {
            continue;
        };
        nk.delivery_time = dtime;
        if retry >= 0 {
            nk.delivery_count = retry as u64;
        } else if !justid {
            nk.delivery_count += 1;
        }
        replies.push((id, fields));
        let nk = nk.clone();
        props.push(xclaim_argv(key, gname, id, &nk, g.last_id));
        propagate_last = false;
        changes += 1;
    }
    if propagate_last && let Some(g) = st.groups.get(gname) {
        props.push(setid_argv(key, gname, g));
        changes += 1;
    }
    client.reply.array(replies.len());
    for (id, f) in &replies {
        match f {
            Some(f) if !justid => reply_entry(client, *id, f),
            _ => client.reply.bulk(&id_text(*id)),
        }
    }
    if consumer_created {
        srv.key_event(db, key, event::XGROUP_CREATECONSUMER);
    }
    if changes > 0 {
        srv.dataset_changed(changes);
    }
    for p in &props {
        propagate(srv, db, p);
    }
    if props.is_empty() {
        srv.ks.effects.suppress();
    }
}

fn xautoclaim(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (db, key, gname, cname) = (client.db, args[1], args[2], args[3]);
    let Some(minidle) = crate::resp::number::string2ll(args[4]) else {
        client
            .reply
            .error("Invalid min-idle-time argument for XAUTOCLAIM");
        return;
    };
    let minidle = minidle.max(0);
    let Some(start) = bound(client, args[5], true) else {
        return;
    };
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(args[j], "count") && more > 0 {
            let max = i64::MAX / 16;
            match crate::resp::number::string2ll(args[j + 1]) {
                Some(n) if (1..=max).contains(&n) => count = n,
                _ => {
                    client.reply.error("COUNT must be > 0");
                    return;
                }
            }
            j += 1;
        } else if is(args[j], "justid") {
            justid = true;
        } else {
            client.reply.syntax_error();
            return;
        }
        j += 1;
    }
    let has = match read_stream(srv, client, key) {
        Err(WrongType) => return,
        Ok(s) => s.is_some_and(|s| s.groups.contains_key(gname)),
    };
    if !has {
        nogroup(client, key, gname);
        return;
    }
    let now = now_ms(srv);
    let Some(st) = stream_mut(srv, db, key) else {
        return;
    };
    let mut attempts = count.saturating_mul(10);
    let mut props = Vec::new();
    let mut claimed: Vec<(Id, Option<Fields>)> = Vec::new();
    let mut consumer_created = false;
    let mut deleted = Vec::new();
    let pel: Vec<Id> = st.groups.get(gname).map_or(Vec::new(), |g| {
        g.pel.range(start..).map(|(k, _)| *k).collect()
    });
    let mut idx = 0;
    while attempts > 0 && count > 0 && idx < pel.len() {
        attempts -= 1;
        let id = pel[idx];
        idx += 1;
        let exists = st.exists(id);
        let fields = if exists && !justid { st.get(id) } else { None };
        let Some(g) = st.groups.get_mut(gname) else {
            return;
        };
        if !exists {
            if let Some(nk) = g.pel.get(&id) {
                props.push(xclaim_argv(key, gname, id, nk, g.last_id));
            }
            g.ack(id);
            deleted.push(id);
            count -= 1;
            continue;
        }
        let Some(nk) = g.pel.get(&id) else { continue };
        if minidle != 0 && now - nk.delivery_time < minidle {
            continue;
        }
        consumer_created |= ensure_consumer(g, cname, now);
        g.assign(id, cname);
        let Some(nk) = g.pel.get_mut(&id) else {
            continue;
        };
        nk.delivery_time = now;
        if !justid {
            nk.delivery_count += 1;
        }
        let nk = nk.clone();
        props.push(xclaim_argv(key, gname, id, &nk, g.last_id));
        claimed.push((id, fields));
        count -= 1;
    }
    let next = pel.get(idx).copied().unwrap_or(MIN_ID);
    client.reply.array(3);
    client.reply.bulk(&id_text(next));
    client.reply.array(claimed.len());
    for (id, f) in &claimed {
        match f {
            Some(f) if !justid => reply_entry(client, *id, f),
            _ => client.reply.bulk(&id_text(*id)),
        }
    }
    client.reply.array(deleted.len());
    for id in &deleted {
        client.reply.bulk(&id_text(*id));
    }
    if consumer_created {
        srv.key_event(db, key, event::XGROUP_CREATECONSUMER);
    }
    if !props.is_empty() {
        srv.dataset_changed(props.len() as u64);
    }
    for p in &props {
        propagate(srv, db, p);
    }
    if props.is_empty() {
        srv.ks.effects.suppress();
    }
}

// ---------------------------------------------------------------------------
// XINFO.

fn lookup_for_info<'a>(srv: &'a mut Server, client: &mut Client, key: &[u8]) -> Option<&'a Stream> {
    match read_stream(srv, client, key) {
        Err(WrongType) => None,
        Ok(None) => {
            client.reply.error("no such key");
            None
        }
        Ok(Some(s)) => Some(s),
    }
}

fn xinfo_consumers(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let now = now_ms(srv);
    let Some(st) = lookup_for_info(srv, client, args[2]) else {
        return;
    };
    let Some(g) = st.groups.get(args[3]) else {
        client.reply.error(&format!(
            "-NOGROUP No such consumer group '{}' for key name '{}'",
            String::from_utf8_lossy(args[3]),
            String::from_utf8_lossy(args[2])
        ));
        return;
    };
    client.reply.array(g.consumers.len());
    for (name, c) in &g.consumers {
        client.reply.map(3);
        client.reply.bulk(b"name");
        client.reply.bulk(name);
        client.reply.bulk(b"pending");
        client.reply.int(c.pel.len() as i64);
        client.reply.bulk(b"idle");
        client.reply.int((now - c.seen_time).max(0));
    }
}

fn reply_lag(client: &mut Client, st: &Stream, g: &Group) {
    match st.lag(g) {
        Some(l) => client.reply.int(l),
        None => client.reply.null(),
    }
}

fn reply_entries_read(client: &mut Client, g: &Group) {
    if g.entries_read != -1 {
        client.reply.int(g.entries_read);
    } else {
        client.reply.null();
    }
}

fn xinfo_groups(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(st) = lookup_for_info(srv, client, args[2]) else {
        return;
    };
    client.reply.array(st.groups.len());
    for (name, g) in &st.groups {
        client.reply.map(6);
        client.reply.bulk(b"name");
        client.reply.bulk(name);
        client.reply.bulk(b"consumers");
        client.reply.int(g.consumers.len() as i64);
        client.reply.bulk(b"pending");
        client.reply.int(g.pel.len() as i64);
        client.reply.bulk(b"last-delivered-id");
        client.reply.bulk(&id_text(g.last_id));
        client.reply.bulk(b"entries-read");
        reply_entries_read(client, g);
        client.reply.bulk(b"lag");
        reply_lag(client, st, g);
    }
}

/// Redis counts radix-tree nodes; an ordered map has none, so this
/// reports what a radix tree of 16-byte keys would need at least: one
/// node per key plus the root.
fn radix_nodes(st: &Stream) -> usize {
    if st.nodes.is_empty() {
        1
    } else {
        st.nodes.len() * 2
    }
}

fn xinfo_stream(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let opts = &args[3..];
    let mut full = false;
    let mut count: i64 = 10;
    if !opts.is_empty() {
        if (opts.len() != 1 && opts.len() != 3) || !is(opts[0], "full") {
            super::subcommand_syntax_error(client, args);
            return;
        }
        full = true;
        if opts.len() == 3 {
            if !is(opts[1], "count") {
                super::subcommand_syntax_error(client, args);
                return;
            }
            let Some(n) = int_arg(client, opts[2]) else {
                return;
            };
            count = if n < 0 { 10 } else { n };
        }
    }
    let Some(st) = lookup_for_info(srv, client, args[2]) else {
        return;
    };
    client.reply.map(if full { 9 } else { 10 });
    client.reply.bulk(b"length");
    client.reply.int(st.length as i64);
    client.reply.bulk(b"radix-tree-keys");
    client.reply.int(st.nodes.len() as i64);
    client.reply.bulk(b"radix-tree-nodes");
    client.reply.int(radix_nodes(st) as i64);
    client.reply.bulk(b"last-generated-id");
    client.reply.bulk(&id_text(st.last_id));
    client.reply.bulk(b"max-deleted-entry-id");
    client.reply.bulk(&id_text(st.max_deleted));
    client.reply.bulk(b"entries-added");
    client.reply.int(st.entries_added as i64);
    client.reply.bulk(b"recorded-first-entry-id");
    client.reply.bulk(&id_text(st.first_id));
    if !full {
        client.reply.bulk(b"groups");
        client.reply.int(st.groups.len() as i64);
        for (label, rev) in [("first-entry", false), ("last-entry", true)] {
            client.reply.bulk(label.as_bytes());
            match st.range(MIN_ID, MAX_ID, 1, rev).first() {
                Some((id, f)) => reply_entry(client, *id, f),
                None => client.reply.null(),
            }
        }
        return;
    }
    let limit = count as usize;
    client.reply.bulk(b"entries");
    let entries = st.range(MIN_ID, MAX_ID, limit, false);
    reply_entries(client, &entries);
    client.reply.bulk(b"groups");
    client.reply.array(st.groups.len());
    for (name, g) in &st.groups {
        client.reply.map(7);
        client.reply.bulk(b"name");
        client.reply.bulk(name);
        client.reply.bulk(b"last-delivered-id");
        client.reply.bulk(&id_text(g.last_id));
        client.reply.bulk(b"entries-read");
        reply_entries_read(client, g);
        client.reply.bulk(b"lag");
        reply_lag(client, st, g);
        client.reply.bulk(b"pel-count");
        client.reply.int(g.pel.len() as i64);
        client.reply.bulk(b"pending");
        let pel: Vec<_> = g
            .pel
            .iter()
            .take(if limit == 0 { usize::MAX } else { limit })
            .collect();
        client.reply.array(pel.len());
        for (id, nk) in pel {
            client.reply.array(4);
            client.reply.bulk(&id_text(*id));
            client.reply.bulk(&nk.consumer);
            client.reply.int(nk.delivery_time);
            client.reply.int(nk.delivery_count as i64);
        }
        client.reply.bulk(b"consumers");
        client.reply.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            client.reply.map(4);
            client.reply.bulk(b"name");
            client.reply.bulk(cname);
            client.reply.bulk(b"seen-time");
            client.reply.int(c.seen_time);
            client.reply.bulk(b"pel-count");
            client.reply.int(c.pel.len() as i64);
            client.reply.bulk(b"pending");
            let ids: Vec<_> = c
                .pel
                .iter()
                .take(if limit == 0 { usize::MAX } else { limit })
                .collect();
            client.reply.array(ids.len());
            for id in ids {
                let nk = g.pel.get(id);
                client.reply.array(3);
                client.reply.bulk(&id_text(*id));
                client.reply.int(nk.map_or(0, |n| n.delivery_time));
                client.reply.int(nk.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
}
