//! The commands that rebuild a snapshot's keys on a live server, as RESP
//! bytes: what `rdb export --to resp|aof` writes and `rdb restore` sends.
//!
//! Two ways per key:
//!
//! - RESTORE with the key's DUMP payload: the value's bytes copied from the
//!   file unchanged behind its type byte, followed by RDB version 10 and a
//!   CRC-64, so a key costs one copy and one checksum, no decoding. Only
//!   encodings Redis 7.0 loads go this way (types 0-19); a value of a newer
//!   encoding (listpack sets, hashes with field expiries, stream v3+) falls
//!   back to plain commands. The expiry rides along as an absolute time
//!   (`ABSTTL`), so a key already expired is not created.
//! - Plain commands: SET, RPUSH, SADD, ZADD, HSET (split into batches of at
//!   most `batch` elements), XADD / XSETID / XGROUP CREATE /
//!   XGROUP CREATECONSUMER / XCLAIM ... FORCE for streams (pending entries
//!   included), then PEXPIREAT for the key's expiry and HPEXPIREAT for
//!   hash fields that have their own. Module values have no plain form and
//!   always go as RESTORE.

use super::crc64;
use super::error::Result;
use super::format::{ValueType, WRITE_VERSION};
use super::reader::KeyEntry;
use super::value::{Decoded, Value};

/// How to replay keys.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Plain commands instead of RESTORE.
    pub plain: bool,
    /// RESTORE ... REPLACE, or DEL before plain commands.
    pub replace: bool,
    /// Most elements per plain command.
    pub batch: u64,
}

/// Appends RESP commands to a buffer.
pub struct Resp<'o> {
    pub out: &'o mut Vec<u8>,
    /// Commands written so far.
    pub commands: u64,
}

impl<'o> Resp<'o> {
    pub fn new(out: &'o mut Vec<u8>) -> Resp<'o> {
        Resp { out, commands: 0 }
    }

    fn header(&mut self, args: usize) {
        self.commands += 1;
        put_len(self.out, b'*', args);
    }

    #[inline(always)]
    fn arg(&mut self, a: &[u8]) {
        self.out.reserve(a.len() + 16);
        put_len(self.out, b'$', a.len());
        self.out.extend_from_slice(a);
        self.out.extend_from_slice(b"\r\n");
    }

    fn int(&mut self, n: i64) {
        self.arg(itoa::Buffer::new().format(n).as_bytes());
    }

    /// One command from its arguments.
    pub fn command(&mut self, args: &[&[u8]]) {
        self.header(args.len());
        for a in args {
            self.arg(a);
        }
    }

    pub fn select(&mut self, db: u64) {
        self.header(2);
        self.arg(b"SELECT");
        self.arg(itoa::Buffer::new().format(db).as_bytes());
    }
}

/// True when Redis 7.0's RESTORE loads this encoding.
/// `*N\r\n` or `$N\r\n`; the short lengths most arguments have without
/// the general formatter.
#[inline(always)]
fn put_len(out: &mut Vec<u8>, kind: u8, n: usize) {
    match n {
        0..10 => out.extend_from_slice(&[kind, b'0' + n as u8, b'\r', b'\n']),
        10..100 => out.extend_from_slice(&[
            kind,
            b'0' + (n / 10) as u8,
            b'0' + (n % 10) as u8,
            b'\r',
            b'\n',
        ]),
        _ => put_len_long(out, kind, n),
    }
}

#[inline(never)]
fn put_len_long(out: &mut Vec<u8>, kind: u8, n: usize) {
    out.push(kind);
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

pub fn restorable(vt: ValueType) -> bool {
    vt.byte() <= 19 && vt != ValueType::ModulePreGa
}

/// Write the commands that recreate `entry` (named `key`, already decoded)
/// into `resp`.
pub fn key(resp: &mut Resp<'_>, key: &[u8], entry: &KeyEntry<'_>, opts: &Options) -> Result<()> {
    let vt = entry.value.value_type;
    let as_restore =
        (!opts.plain && restorable(vt)) || entry.value.value_type == ValueType::Module2;
    if as_restore {
        restore(resp, key, entry, opts.replace);
        return Ok(());
    }
    if opts.replace {
        resp.command(&[b"DEL", key]);
    }
    plain(resp, key, &entry.value, opts.batch)?;
    if let Some(at) = entry.expire_ms {
        resp.header(3);
        resp.arg(b"PEXPIREAT");
        resp.arg(key);
        resp.int(at);
    }
    Ok(())
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL].
fn restore(resp: &mut Resp<'_>, key: &[u8], entry: &KeyEntry<'_>, replace: bool) {
    restore_raw(
        resp,
        key,
        entry.value.value_type,
        entry.value.data,
        entry.expire_ms,
        replace,
    );
}

/// FUNCTION LOAD [REPLACE] of a library's code (export and restore replay
/// a dump's functions this way).
pub fn function_load(resp: &mut Resp<'_>, code: &[u8], replace: bool) {
    if replace {
        resp.command(&[b"FUNCTION", b"LOAD", b"REPLACE", code]);
    } else {
        resp.command(&[b"FUNCTION", b"LOAD", code]);
    }
}

/// The RESTORE of a key located on the reader's quick path (its value type
/// must be [`restorable`]).
pub fn restore_span(resp: &mut Resp<'_>, span: &super::KeySpan<'_>, replace: bool) {
    restore_raw(
        resp,
        span.key,
        span.value_type,
        span.data,
        span.expire_ms,
        replace,
    );
}

/// RESTORE of a value type's stored bytes `data`.
#[inline(always)]
fn restore_raw(
    resp: &mut Resp<'_>,
    key: &[u8],
    value_type: ValueType,
    data: &[u8],
    expire_ms: Option<i64>,
    replace: bool,
) {
    let args = 4 + usize::from(replace) + usize::from(expire_ms.is_some());
    // All this key writes, at most: one reservation, no regrowth.
    resp.out.reserve(96 + key.len() + data.len());
    resp.commands += 1;
    resp.out.extend_from_slice(match args {
        4 => b"*4\r\n$7\r\nRESTORE\r\n",
        5 => b"*5\r\n$7\r\nRESTORE\r\n",
        _ => b"*6\r\n$7\r\nRESTORE\r\n",
    });
    resp.arg(key);
    match expire_ms {
        // ABSTTL takes a positive time; 0 means "no expiry".
        Some(at) => resp.int(at.max(1)),
        None => resp.out.extend_from_slice(b"$1\r\n0\r\n"),
    }
    // The payload, written in place: type byte, value, version, CRC-64.
    let len = 1 + data.len() + 2 + 8;
    put_len(resp.out, b'$', len);
    let start = resp.out.len();
    resp.out.push(value_type.byte());
    resp.out.extend_from_slice(data);
    resp.out.extend_from_slice(&WRITE_VERSION.to_le_bytes());
    let crc = crc64::checksum(&resp.out[start..]);
    resp.out.extend_from_slice(&crc.to_le_bytes());
    resp.out.extend_from_slice(b"\r\n");
    if replace {
        resp.arg(b"REPLACE");
    }
    if expire_ms.is_some() {
        resp.arg(b"ABSTTL");
    }
}

/// Shortest text that reads back as the same double (`inf`, `-inf` as
/// Redis spells them).
pub fn score_text(score: f64) -> String {
    if score.is_infinite() {
        return if score > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    format!("{score}")
}

/// A command with a fixed head and then `items` arguments per element,
/// split into commands of at most `batch` elements.
fn batched<T>(
    resp: &mut Resp<'_>,
    head: &[&[u8]],
    elements: &[T],
    per: usize,
    batch: u64,
    mut put: impl FnMut(&mut Resp<'_>, &T),
) {
    let batch = usize::try_from(batch).unwrap_or(usize::MAX).max(1);
    for chunk in elements.chunks(batch) {
        resp.header(head.len() + chunk.len() * per);
        for h in head {
            resp.arg(h);
        }
        for e in chunk {
            put(resp, e);
        }
    }
}

fn plain(resp: &mut Resp<'_>, key: &[u8], value: &Value<'_>, batch: u64) -> Result<()> {
    match value.decode()? {
        Decoded::String(s) => resp.command(&[b"SET", key, &s]),
        Decoded::List(items) => batched(resp, &[b"RPUSH", key], &items, 1, batch, |r, i| {
            r.arg(&i.to_bytes())
        }),
        Decoded::Set(items) => batched(resp, &[b"SADD", key], &items, 1, batch, |r, i| {
            r.arg(&i.to_bytes())
        }),
        Decoded::Zset(members) => {
            batched(resp, &[b"ZADD", key], &members, 2, batch, |r, (m, s)| {
                r.arg(score_text(*s).as_bytes());
                r.arg(&m.to_bytes());
            })
        }
        Decoded::Hash(fields) => {
            batched(resp, &[b"HSET", key], &fields, 2, batch, |r, (f, v, _)| {
                r.arg(&f.to_bytes());
                r.arg(&v.to_bytes());
            });
            for (f, _, ttl) in &fields {
                if let Some(at) = ttl {
                    resp.header(6);
                    resp.arg(b"HPEXPIREAT");
                    resp.arg(key);
                    resp.int(*at);
                    resp.arg(b"FIELDS");
                    resp.arg(b"1");
                    resp.arg(&f.to_bytes());
                }
            }
        }
        Decoded::Stream(s) => {
            let mut live = 0u64;
            for e in s.entries.iter().filter(|e| !e.deleted) {
                live += 1;
                resp.header(3 + 2 * e.fields.len());
                resp.arg(b"XADD");
                resp.arg(key);
                resp.arg(e.id.to_string().as_bytes());
                for (f, v) in &e.fields {
                    resp.arg(&f.to_bytes());
                    resp.arg(&v.to_bytes());
                }
            }
            if live == 0 {
                // An empty stream: create it with one entry trimmed away.
                resp.command(&[
                    b"XADD",
                    key,
                    b"MAXLEN",
                    b"0",
                    s.last_id.to_string().as_bytes(),
                    b"x",
                    b"",
                ]);
            }
            let last = s.last_id.to_string();
            let mut args: Vec<Vec<u8>> = vec![b"XSETID".to_vec(), key.to_vec(), last.into_bytes()];
            if let Some(added) = s.entries_added {
                args.push(b"ENTRIESADDED".to_vec());
                args.push(added.to_string().into_bytes());
            }
            if let Some(max) = s.max_deleted_id {
                args.push(b"MAXDELETEDID".to_vec());
                args.push(max.to_string().into_bytes());
            }
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            resp.command(&refs);
            for g in &s.groups {
                let pel: std::collections::HashMap<_, _> =
                    g.pending.iter().map(|p| (p.id, p)).collect();
                let last = g.last_id.to_string();
                // u64::MAX is Redis's "not known" (-1): XGROUP CREATE
                // without ENTRIESREAD leaves it so.
                match g.entries_read.filter(|&n| n != u64::MAX) {
                    Some(n) => resp.command(&[
                        b"XGROUP",
                        b"CREATE",
                        key,
                        &g.name,
                        last.as_bytes(),
                        b"ENTRIESREAD",
                        n.to_string().as_bytes(),
                    ]),
                    None => resp.command(&[b"XGROUP", b"CREATE", key, &g.name, last.as_bytes()]),
                }
                for c in &g.consumers {
                    resp.command(&[b"XGROUP", b"CREATECONSUMER", key, &g.name, &c.name]);
                    for id in &c.pending {
                        let Some(p) = pel.get(id) else {
                            continue;
                        };
                        resp.command(&[
                            b"XCLAIM",
                            key,
                            &g.name,
                            &c.name,
                            b"0",
                            id.to_string().as_bytes(),
                            b"TIME",
                            p.delivery_time_ms.to_string().as_bytes(),
                            b"RETRYCOUNT",
                            p.delivery_count.to_string().as_bytes(),
                            b"FORCE",
                            b"JUSTID",
                        ]);
                    }
                }
            }
        }
        Decoded::Module(_) => {}
    }
    Ok(())
}
