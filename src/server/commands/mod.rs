//! Command handlers, one file per family, each exporting its part of the
//! command table as a `COMMANDS` slice; [`ALL`] lists the families in the
//! order COMMAND LIST reports them. A new family (lists, hashes, …) adds a
//! file and one line here.
//!
//! Shared argument parsing lives here: every helper that can fail writes
//! Redis's error reply itself and returns `None`, so handlers read as
//! `let Some(n) = int_arg(client, args[2]) else { return };`.

pub mod acl;
pub mod bitfield;
pub mod cluster;
pub mod config;
pub mod connection;
pub mod debug;
pub mod diagnostics;
pub mod docs;
pub mod geo;
pub mod getkeys;
pub mod hashes;
pub mod hyperloglog;
pub mod keys;
pub mod lists;
pub mod migrate;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
pub mod tracking;
pub mod transactions;
pub mod written;
pub mod zsets;

use super::Server;
use super::command::Spec;
use super::connection::Client;
use super::keyspace::Object;
use super::signal::Event;
use super::types::set::Member;
use super::types::{Kind, Str, Value};
use crate::resp::number::string2ll;

/// Every command family.
pub const ALL: &[&[Spec]] = &[
    connection::COMMANDS,
    cluster::COMMANDS,
    keys::COMMANDS,
    migrate::COMMANDS,
    strings::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    transactions::COMMANDS,
    pubsub::COMMANDS,
    server::COMMANDS,
    config::COMMANDS,
    persistence::COMMANDS,
    replication::COMMANDS,
    hyperloglog::COMMANDS,
    bitfield::COMMANDS,
    sort::COMMANDS,
    geo::COMMANDS,
    diagnostics::COMMANDS,
    acl::COMMANDS,
    scripting::COMMANDS,
    streams::COMMANDS,
];

/// WRONGTYPE was replied.
#[derive(Debug)]
pub struct WrongType;

/// A key's value for reading if it holds `kind` (`Ok(None)`: no such key;
/// `Err`: WRONGTYPE replied). Counts a hit or miss, as Redis's
/// lookupKeyRead.
pub fn read_kind<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
    kind: Kind,
) -> Result<Option<&'a Value>, WrongType> {
    match srv.ks.lookup(client.db, key) {
        None => Ok(None),
        Some(obj) if obj.value.kind() == kind => Ok(Some(&obj.value)),
        Some(_) => {
            client.reply.wrong_type();
            Err(WrongType)
        }
    }
}

/// As [`read_kind`], with the keyspace's random generator alongside (the
/// RAND commands and SPOP).
pub fn read_kind_rng<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
    kind: Kind,
) -> Result<Option<(&'a Value, &'a mut super::dict::Rng)>, WrongType> {
    if read_kind(srv, client, key, kind)?.is_none() {
        return Ok(None);
    }
    let ks = &mut srv.ks;
    Ok(ks.dbs[client.db].dict.get_mut(key).map(|o| {
        // Redis's fair random pick samples 15 entries, one rehash step
        // each.
        o.value.rehash_steps(15);
        (&o.value, &mut ks.rng)
    }))
}

/// A key's value for modification if it holds `kind` (see [`read_kind`]).
pub fn write_kind<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
    kind: Kind,
) -> Result<Option<&'a mut Value>, WrongType> {
    match srv.ks.lookup_write(client.db, key) {
        None => Ok(None),
        Some(obj) if obj.value.kind() == kind => Ok(Some(&mut obj.value)),
        Some(_) => {
            client.reply.wrong_type();
            Err(WrongType)
        }
    }
}

/// The value under `key` in `db`, with no expiry check or statistics
/// (after a lookup already did both).
pub fn value_mut<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Value> {
    srv.ks.dbs[db].dict.get_mut(key).map(|o| &mut o.value)
}

/// Delete `key` when its collection became empty; true when it did.
pub fn drop_if_empty(srv: &mut Server, db: usize, key: &[u8]) -> bool {
    let empty = srv.ks.dbs[db]
        .dict
        .get(key)
        .is_some_and(|o| o.value.is_empty());
    if empty {
        srv.ks.dbs[db].remove(key);
    }
    empty
}

/// HDEL, SREM and ZREM: remove the elements named after the key with
/// `remove`, reply how many were there, delete the key once empty, signal
/// `event` when anything went.
pub fn remove_elements(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    kind: Kind,
    event: Event,
    remove: fn(&mut Value, &[u8]) -> bool,
) {
    let (db, key) = (client.db, args[1]);
    let value = match write_kind(srv, client, key, kind) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.int(0);
            return;
        }
        Ok(Some(v)) => v,
    };
    let mut deleted = 0;
    for element in &args[2..] {
        if remove(value, element) {
            deleted += 1;
            if value.is_empty() {
                break;
            }
        }
    }
    drop_if_empty(srv, db, key);
    if deleted > 0 {
        srv.key_changed(db, key, event, deleted);
    }
    client.reply.int(deleted as i64);
}

/// The arguments of LMPOP/BLMPOP/ZMPOP/BZMPOP from `numkeys_at`: numkeys,
/// the keys, the side (true for `sides[1]`: LEFT or MAX) and COUNT
/// (default 1), with Redis's errors.
pub fn mpop_args<'a>(
    client: &mut Client,
    args: &[&'a [u8]],
    numkeys_at: usize,
    sides: [&str; 2],
) -> Option<(Vec<&'a [u8]>, bool, usize)> {
    let numkeys = range_arg(
        client,
        args[numkeys_at],
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    )? as usize;
    let side_at = numkeys_at.saturating_add(numkeys).saturating_add(1);
    if side_at >= args.len() {
        client.reply.syntax_error();
        return None;
    }
    let side = if is(args[side_at], sides[0]) {
        false
    } else if is(args[side_at], sides[1]) {
        true
    } else {
        client.reply.syntax_error();
        return None;
    };
    let mut count: Option<usize> = None;
    let mut j = side_at + 1;
    while j < args.len() {
        if count.is_none() && is(args[j], "count") && j + 1 < args.len() {
            j += 1;
            count = Some(range_arg(
                client,
                args[j],
                1,
                i64::MAX,
                Some("count should be greater than 0"),
            )? as usize);
        } else {
            client.reply.syntax_error();
            return None;
        }
        j += 1;
    }
    Some((
        args[numkeys_at + 1..side_at].to_vec(),
        side,
        count.unwrap_or(1),
    ))
}

/// Reply a set member as a bulk string.
/// The most output one reply of repeated random elements (SRANDMEMBER,
/// HRANDFIELD, ZRANDMEMBER with a negative count) may take: the count is
/// checked against it before anything is allocated, and a client whose
/// reply grows past it anyway (long elements) is disconnected, as an output
/// buffer limit would, instead of the server allocating without bound.
pub const RANDOM_REPLY_BUDGET: usize = 1 << 30;

/// How much output one reply of repeated random elements may reach for
/// this client: its class's hard output limit when one is set (the client
/// is then closed there, as Redis closes it mid-reply), else
/// [`RANDOM_REPLY_BUDGET`].
pub fn random_reply_cap(client: &Client, config: &crate::server::config::Config) -> (usize, bool) {
    let hard = crate::server::output::Class::of(client).limit(config).hard;
    match usize::try_from(hard) {
        Ok(hard) if hard > 0 && hard <= RANDOM_REPLY_BUDGET => (hard, true),
        _ => (RANDOM_REPLY_BUDGET, false),
    }
}

/// Whether `count` repeated elements of at least `per_item` reply bytes
/// each may be emitted under `cap` ([`random_reply_cap`]); if not, the
/// error is replied. With an output limit
/// in force the reply is simply cut there (the client closed); without
/// one, a count past [`RANDOM_REPLY_BUDGET`] is refused before anything is
/// allocated.
pub fn random_count_fits(
    client: &mut Client,
    (cap, limited): (usize, bool),
    count: usize,
    per_item: usize,
) -> bool {
    let need = count.saturating_mul(per_item);
    if limited || (need <= cap && client.reply.buf.try_reserve(need).is_ok()) {
        return true;
    }
    client.reply.error(&format!(
        "value is out of range: {count} elements need {need} bytes of reply or more, over the \
         {} MiB one reply may take",
        RANDOM_REPLY_BUDGET >> 20
    ));
    false
}

/// Called while emitting repeated random elements: true (and the client
/// marked for closing) once the reply is over its cap.
pub fn random_reply_over(client: &mut Client, (cap, _): (usize, bool)) -> bool {
    if client.reply.pending() > cap {
        client.close_asap = true;
        return true;
    }
    false
}

pub fn reply_member(client: &mut Client, m: Member<'_>) {
    match m {
        Member::Int(n) => client.reply.bulk_int(n),
        Member::Bytes(b) => client.reply.bulk(b),
    }
}

/// Redis's getRangeLongFromObjectOrReply with its default message.
pub fn range_arg(
    client: &mut Client,
    arg: &[u8],
    min: i64,
    max: i64,
    message: Option<&str>,
) -> Option<i64> {
    let Some(n) = string2ll(arg) else {
        match message {
            Some(m) => client.reply.error(m),
            None => client.reply.not_an_integer(),
        }
        return None;
    };
    if n < min || n > max {
        match message {
            Some(m) => client.reply.error(m),
            None => client.reply.error(&format!(
                "value is out of range, value must between {min} and {max}"
            )),
        }
        return None;
    }
    Some(n)
}

/// Redis's getPositiveLongFromObjectOrReply.
pub fn positive_arg(client: &mut Client, arg: &[u8], message: Option<&str>) -> Option<i64> {
    range_arg(
        client,
        arg,
        0,
        i64::MAX,
        Some(message.unwrap_or("value is out of range, must be positive")),
    )
}

/// The options of HSCAN/SSCAN/ZSCAN after the cursor: COUNT and MATCH
/// (TYPE is SCAN's alone).
pub struct ScanOptions<'a> {
    pub count: usize,
    pub pattern: Option<&'a [u8]>,
}

/// Parse a collection scan's cursor and options (Redis's order: the cursor
/// first, then the key lookup, then the options).
pub fn scan_cursor_arg(client: &mut Client, arg: &[u8]) -> Option<u64> {
    let cursor = keys::parse_scan_cursor(arg);
    if cursor.is_none() {
        client.reply.error("invalid cursor");
    }
    cursor
}

pub fn scan_options<'a>(client: &mut Client, args: &[&'a [u8]]) -> Option<ScanOptions<'a>> {
    let mut opts = ScanOptions {
        count: 10,
        pattern: None,
    };
    let mut i = 0;
    while i < args.len() {
        let more = args.len() - i;
        if is(args[i], "count") && more >= 2 {
            let n = int_arg(client, args[i + 1])?;
            if n < 1 {
                client.reply.syntax_error();
                return None;
            }
            opts.count = n as usize;
        } else if is(args[i], "match") && more >= 2 {
            opts.pattern = Some(args[i + 1]).filter(|p| *p != b"*");
        } else {
            client.reply.syntax_error();
            return None;
        }
        i += 2;
    }
    Some(opts)
}

/// Reply a collection scan: the next cursor, then the elements that match
/// (pairs filter on their first element).
pub fn reply_scan(
    client: &mut Client,
    cursor: u64,
    items: Vec<Vec<u8>>,
    pairs: bool,
    pattern: Option<&[u8]>,
) {
    let step = if pairs { 2 } else { 1 };
    let mut kept: Vec<&[u8]> = Vec::with_capacity(items.len());
    for chunk in items.chunks(step) {
        if pattern.is_none_or(|p| crate::glob::matches(p, &chunk[0])) {
            kept.extend(chunk.iter().map(Vec::as_slice));
        }
    }
    client.reply.array(2);
    client
        .reply
        .bulk(itoa::Buffer::new().format(cursor).as_bytes());
    client.reply.bulks(kept.into_iter());
}

/// Scan a hash table the way Redis's SCAN family does: buckets until
/// `count` elements or `count * 10` buckets.
pub fn scan_dict<V>(
    dict: &super::dict::Dict<V>,
    mut cursor: u64,
    count: usize,
    mut emit: impl FnMut(&[u8], &V),
) -> u64 {
    let mut found = 0usize;
    let mut iterations = count * 10;
    loop {
        cursor = dict.scan(cursor, |k, v| {
            found += 1;
            emit(k, v);
        });
        iterations = iterations.saturating_sub(1);
        if cursor == 0 || iterations == 0 || found >= count {
            return cursor;
        }
    }
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], option: &str) -> bool {
    arg.eq_ignore_ascii_case(option.as_bytes())
}

/// An i64 argument, or the "not an integer" error.
pub fn int_arg(client: &mut Client, arg: &[u8]) -> Option<i64> {
    let n = string2ll(arg);
    if n.is_none() {
        client.reply.not_an_integer();
    }
    n
}

/// A database index argument: an integer, then in range.
pub fn db_arg(client: &mut Client, arg: &[u8], databases: usize) -> Option<usize> {
    let n = int_arg(client, arg)?;
    if n < 0 || n >= databases as i64 || n > i64::from(i32::MAX) {
        client.reply.error("DB index is out of range");
        return None;
    }
    Some(n as usize)
}

/// The string in an object, or WRONGTYPE.
pub fn as_str<'a>(client: &mut Client, obj: &'a Object) -> Option<&'a Str> {
    match &obj.value {
        Value::String(s) => Some(s),
        _ => {
            client.reply.wrong_type();
            None
        }
    }
}

/// Like [`as_str`] for a mutable object.
pub fn as_str_mut<'a>(client: &mut Client, obj: &'a mut Object) -> Option<&'a mut Str> {
    match &mut obj.value {
        Value::String(s) => Some(s),
        _ => {
            client.reply.wrong_type();
            None
        }
    }
}

/// Reply a string value as a bulk string.
pub fn reply_str(client: &mut Client, s: &Str) {
    match s {
        Str::Int(n) => client.reply.bulk_int(*n),
        Str::Embedded(b) => client.reply.bulk(b),
        Str::Raw(v) => client.reply.bulk(v),
    }
}

/// "invalid expire time in '<cmd>' command".
pub fn invalid_expire(client: &mut Client, command: &str) {
    client
        .reply
        .error(&format!("invalid expire time in '{command}' command"));
}

/// Redis's addReplySubcommandSyntaxError: "unknown subcommand or wrong
/// number of arguments for 'CAT'. Try ACL HELP."
pub fn subcommand_syntax_error(client: &mut Client, args: &[&[u8]]) {
    let sub = String::from_utf8_lossy(&args[1][..args[1].len().min(128)]).into_owned();
    client.reply.error(&format!(
        "unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        String::from_utf8_lossy(args[0]).to_uppercase()
    ));
}

/// A container's HELP reply: the usage line, `lines`, then HELP itself.
pub fn help(client: &mut Client, container: &str, lines: &[&str]) {
    client.reply.array(lines.len() + 3);
    client.reply.simple(&format!(
        "{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        client.reply.simple(line);
    }
    client.reply.simple("HELP");
    client.reply.simple("    Prints this help.");
}
