//! `sonde rdb diff A B`: which keys were added, removed or changed between
//! two snapshots.
//!
//! Both files are mapped and indexed at once, one on each core: for each
//! wanted key, a 64-bit hash of its database and name, where its type byte
//! is and its expiry (about 50 bytes a key; values stay in the mapping).
//! Then A's keys are matched in file order against B's. Successive
//! snapshots of one server mostly keep their keys in the same order, so
//! the next key of B is tried first (both files are then read
//! sequentially); any other key is looked up by hash in a table built the
//! first time one is needed. The same bytes from type byte to the end of
//! the value mean the same key with the same value, nothing to decode;
//! otherwise the name is confirmed by reading both keys again at their
//! offsets and both values are decoded into a canonical form (sets,
//! hashes and sorted sets sorted, integers as text) and compared, so a
//! re-encoded value is not a change. B's keys never matched are the added
//! ones.

use std::io::Write;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value as Json;

use super::rdb_common::{clock_ms, key_filter, value_json, walk_keys_quick};
use super::{Status, problem};
use crate::cli::RdbDiffArgs;
use crate::input;
use crate::output::Format;
use crate::output::bytes::{JsonBytes, display};
use crate::output::stream::{Column, Columns};
use crate::rdb::filter::KeyFilter;
use crate::rdb::{Event, KeyEntry, Magic, ObjectType, RdbError, RdbStr, Reader, Value, ValueType};

/// One key of B.
struct Indexed {
    hash: u64,
    offset: u64,
    /// Bytes from the type byte to the end of the value.
    size: u64,
    db: u64,
    expire_ms: Option<i64>,
    seen: bool,
}

fn key_hash(db: u64, key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(key, db)
}

/// A file's keys, in file order, and (for B, once needed) an
/// open-addressing table of their positions by hash.
struct Index {
    keys: Vec<Indexed>,
    table: Vec<u32>,
    magic: Magic,
    version: u32,
}

/// Index the wanted keys of a snapshot; the keys before an error are kept.
fn index_keys(data: &[u8], filter: &KeyFilter, now: i64) -> (Index, Option<RdbError>) {
    let mut index = Index {
        keys: Vec::new(),
        table: Vec::new(),
        magic: Magic::Redis,
        version: 0,
    };
    // Unfiltered, most keys are indexed from the reader's quick path.
    let quick = filter.is_empty();
    let walked = walk_keys_quick(
        data,
        filter,
        now,
        &mut index,
        |index, reader, rest| {
            if !quick {
                return None;
            }
            let span = reader.next_key_span(rest, |_| true)?;
            Some(index.push(Indexed {
                hash: key_hash(reader.db(), span.key),
                offset: span.offset,
                size: span.size,
                db: reader.db(),
                expire_ms: span.expire_ms,
                seen: false,
            }))
        },
        |index, located, key_entry| {
            match key_entry {
                Some((entry, key)) => index.push(Indexed {
                    hash: key_hash(entry.db, key),
                    offset: entry.offset,
                    size: entry.size,
                    db: entry.db,
                    expire_ms: entry.expire_ms,
                    seen: false,
                })?,
                None => match located.map(|l| &l.event) {
                    Some(Event::Header { magic, version }) => {
                        index.magic = *magic;
                        index.version = *version;
                    }
                    Some(Event::ResizeDb { keys, .. }) => {
                        // Sized once from the file's own hint rather than by
                        // doubling (which copies, and leaves up to half the
                        // memory unused); a key takes at least 3 bytes, which
                        // bounds a hint that lies. Untouched capacity is not
                        // resident.
                        let room = (data.len() / 3).saturating_sub(index.keys.len());
                        index
                            .keys
                            .reserve(usize::try_from(*keys).unwrap_or(usize::MAX).min(room));
                    }
                    _ => {}
                },
            }
            Ok::<(), RdbError>(())
        },
    );
    (index, walked.err())
}

const EMPTY: u32 = u32::MAX;

impl Index {
    /// Add the next key of the file.
    #[inline]
    fn push(&mut self, key: Indexed) -> Result<(), RdbError> {
        if self.keys.len() >= (EMPTY as usize) / 2 {
            return Err(RdbError::invalid(key.offset, "more than 2^31 keys"));
        }
        self.keys.push(key);
        Ok(())
    }

    fn build_table(&mut self) {
        let size = (self.keys.len() * 2).max(16).next_power_of_two();
        let mask = size - 1;
        self.table = vec![EMPTY; size];
        for (i, k) in self.keys.iter().enumerate() {
            let mut pos = k.hash as usize & mask;
            while self.table[pos] != EMPTY {
                pos = (pos + 1) & mask;
            }
            self.table[pos] = i as u32;
        }
    }

    /// Keys of B with this hash.
    fn candidates(&self, hash: u64) -> impl Iterator<Item = usize> + '_ {
        let mask = self.table.len() - 1;
        let mut pos = hash as usize & mask;
        std::iter::from_fn(move || {
            loop {
                let i = self.table[pos];
                if i == EMPTY {
                    return None;
                }
                pos = (pos + 1) & mask;
                if self.keys[i as usize].hash == hash {
                    return Some(i as usize);
                }
            }
        })
    }
}

/// The bytes of a key event from its type byte on.
fn raw(data: &[u8], offset: u64, size: u64) -> Option<&[u8]> {
    data.get(offset as usize..offset.saturating_add(size) as usize)
}

/// Read B's key at `offset` again.
fn reread<'b>(b: &'b [u8], index: &Index, at: &Indexed) -> Result<KeyEntry<'b>, RdbError> {
    let mut reader = Reader::resume(index.magic, index.version, at.db, at.offset);
    let rest = b.get(at.offset as usize..).unwrap_or(&[]);
    match reader.next(rest, true)? {
        Some(located) => match located.event {
            Event::Key(k) => Ok(k),
            _ => Err(RdbError::invalid(
                at.offset,
                "expected a key on the second read",
            )),
        },
        None => Err(RdbError::invalid(
            at.offset,
            "expected a key on the second read",
        )),
    }
}

fn key_bytes<'k>(k: &RdbStr<'k>, buf: &'k mut Vec<u8>) -> Result<&'k [u8], RdbError> {
    Ok(match k {
        RdbStr::Raw(b) => b,
        other => {
            other.write_into(buf)?;
            buf
        }
    })
}

/// A value in a form that does not depend on its encoding.
fn canonical(value: &Value<'_>) -> Result<Json, RdbError> {
    let mut v = value_json(value)?;
    if matches!(
        value.object_type(),
        ObjectType::Set | ObjectType::Hash | ObjectType::Zset
    ) && let Json::Array(items) = &mut v
    {
        items.sort_by_cached_key(|i| i.to_string());
    }
    Ok(v)
}

fn same_value(a: &Value<'_>, b: &Value<'_>) -> Result<bool, RdbError> {
    if a.value_type == b.value_type && a.data == b.data {
        return Ok(true);
    }
    if a.object_type() != b.object_type() {
        return Ok(false);
    }
    // Strings: compare the bytes, whatever their encoding (int, LZF).
    if a.value_type == ValueType::String && b.value_type == ValueType::String {
        return Ok(a.string()?.to_bytes()? == b.string()?.to_bytes()?);
    }
    Ok(canonical(a)? == canonical(b)?)
}

/// One difference.
#[derive(Serialize)]
struct Change<'a> {
    change: &'static str,
    db: u64,
    key: JsonBytes<'a>,
    /// What differs for a changed key: type, value, expiry.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    what: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    type_a: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    type_b: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire_ms_a: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire_ms_b: Option<Option<i64>>,
}

#[derive(Default, Serialize)]
struct Counts {
    added: u64,
    removed: u64,
    changed: u64,
    unchanged: u64,
}

enum Failure {
    Rdb(&'static str, RdbError),
    Io(std::io::Error),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

/// Where records go.
enum Sink<'o> {
    Json(&'o mut dyn Write),
    Table(Columns<&'o mut dyn Write>),
}

impl Sink<'_> {
    fn write(&mut self, c: &Change<'_>, keys_only: bool) -> std::io::Result<()> {
        match self {
            Sink::Json(out) => {
                if keys_only {
                    let short = Change {
                        change: c.change,
                        db: c.db,
                        key: JsonBytes(c.key.0),
                        what: Vec::new(),
                        type_a: None,
                        type_b: None,
                        expire_ms_a: None,
                        expire_ms_b: None,
                    };
                    serde_json::to_writer(&mut **out, &short)?;
                } else {
                    serde_json::to_writer(&mut **out, c)?;
                }
                out.write_all(b"\n")
            }
            Sink::Table(cols) => {
                let detail = if keys_only {
                    String::new()
                } else {
                    let ttl = |t: Option<i64>| t.map_or("none".to_owned(), |t| t.to_string());
                    let mut parts = Vec::new();
                    for w in &c.what {
                        parts.push(match *w {
                            "type" => format!(
                                "type {} -> {}",
                                c.type_a.unwrap_or("-"),
                                c.type_b.unwrap_or("-")
                            ),
                            "expiry" => format!(
                                "expiry {} -> {}",
                                ttl(c.expire_ms_a.flatten()),
                                ttl(c.expire_ms_b.flatten())
                            ),
                            other => other.to_owned(),
                        });
                    }
                    if parts.is_empty() {
                        c.type_a.or(c.type_b).unwrap_or("").to_owned()
                    } else {
                        parts.join(", ")
                    }
                };
                cols.row(&[c.change, &c.db.to_string(), &display(c.key.0), &detail])
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Json(out) => out.flush(),
            Sink::Table(cols) => cols.flush(),
        }
    }
}

pub fn run(args: &RdbDiffArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    let name_a = args.a.display().to_string();
    let name_b = args.b.display().to_string();
    let a = input::map(&args.a).with_context(|| format!("cannot open {name_a}"))?;
    let b = input::map(&args.b).with_context(|| format!("cannot open {name_b}"))?;
    let filter = key_filter(&args.filter, &args.slots)?;
    let now = args.now.unwrap_or_else(clock_ms);

    let (a_bytes, b_bytes): (&[u8], &[u8]) = (&a, &b);
    let (pass_b, pass_a) = std::thread::scope(|scope| {
        let pass_a = scope.spawn(|| index_keys(a_bytes, &filter, now));
        let pass_b = index_keys(b_bytes, &filter, now);
        (pass_b, pass_a.join())
    });
    let (mut index, b_failure) = pass_b;
    let (index_a, a_failure) =
        pass_a.map_err(|_| anyhow::anyhow!("the thread reading {name_a} panicked"))?;
    if let Some(e) = b_failure {
        problem(format!("{name_b}: {e} ({})", e.kind.name()));
        return Ok(Status::Problem);
    }

    let mut sink = match format {
        Format::Json => Sink::Json(&mut *out),
        Format::Table => Sink::Table(Columns::new(
            &mut *out,
            vec![
                Column::left("CHANGE", 7),
                Column::right("DB", 3),
                Column::left("KEY", 24),
            ],
            "DETAIL",
        )),
    };
    let mut counts = Counts::default();
    let mut key_buf_a = Vec::new();
    let mut key_buf_b = Vec::new();
    // The key of B tried first: the one after B's last match.
    let mut next_b = 0usize;
    // A's key read again at its type byte: the expiry before it comes from
    // the index.
    let reread_a = |ka: &Indexed| {
        reread(a_bytes, &index_a, ka)
            .map(|mut e| {
                e.expire_ms = ka.expire_ms;
                e
            })
            .map_err(|e| Failure::Rdb("a", e))
    };
    let mut matched = |ka: &Indexed| -> Result<(), Failure> {
        // The same bytes from type byte to the end of the value: the same
        // key with the same value, nothing to decode.
        let raw_a = raw(a_bytes, ka.offset, ka.size);
        let same_raw = |kb: &Indexed| {
            kb.db == ka.db && raw_a.is_some() && raw_a == raw(b_bytes, kb.offset, kb.size)
        };
        let mut ea = None;
        let mut found = None;
        if let Some(kb) = index.keys.get(next_b)
            && kb.hash == ka.hash
            && same_raw(kb)
        {
            found = Some((next_b, None));
        } else {
            if index.table.is_empty() {
                index.build_table();
            }
            for i in index.candidates(ka.hash) {
                let at = &index.keys[i];
                if at.db != ka.db {
                    continue;
                }
                if same_raw(at) {
                    found = Some((i, None));
                    break;
                }
                if ea.is_none() {
                    ea = Some(reread_a(ka)?);
                }
                let Some(ea) = &ea else { continue };
                let key = key_bytes(&ea.key, &mut key_buf_a).map_err(|e| Failure::Rdb("a", e))?;
                let eb = reread(b_bytes, &index, at).map_err(|e| Failure::Rdb("b", e))?;
                let kb = key_bytes(&eb.key, &mut key_buf_b).map_err(|e| Failure::Rdb("b", e))?;
                if kb == key {
                    found = Some((i, Some(eb)));
                    break;
                }
            }
        }
        let expire_b = found.as_ref().map(|(i, _)| index.keys[*i].expire_ms);
        if let Some((i, None)) = &found
            && (args.ignore_ttl || expire_b == Some(ka.expire_ms))
        {
            index.keys[*i].seen = true;
            next_b = i + 1;
            counts.unchanged += 1;
            return Ok(());
        }
        let ea = match ea {
            Some(ea) => ea,
            None => reread_a(ka)?,
        };
        let key = key_bytes(&ea.key, &mut key_buf_a).map_err(|e| Failure::Rdb("a", e))?;
        let Some((i, eb)) = found else {
            counts.removed += 1;
            return sink
                .write(
                    &Change {
                        change: "removed",
                        db: ea.db,
                        key: JsonBytes(key),
                        what: Vec::new(),
                        type_a: Some(ea.value.object_type().name()),
                        type_b: None,
                        expire_ms_a: None,
                        expire_ms_b: None,
                    },
                    args.keys_only,
                )
                .map_err(Failure::Io);
        };
        index.keys[i].seen = true;
        next_b = i + 1;
        let expire_b = index.keys[i].expire_ms;
        let mut what = Vec::new();
        let ta = ea.value.object_type();
        let tb = eb.as_ref().map_or(ta, |eb| eb.value.object_type());
        if ta != tb {
            what.push("type");
        } else if let Some(eb) = &eb
            && !same_value(&ea.value, &eb.value).map_err(|e| Failure::Rdb("a", e))?
        {
            what.push("value");
        }
        if !args.ignore_ttl && ea.expire_ms != expire_b {
            what.push("expiry");
        }
        if what.is_empty() {
            counts.unchanged += 1;
            return Ok(());
        }
        counts.changed += 1;
        let has_expiry = what.contains(&"expiry");
        sink.write(
            &Change {
                change: "changed",
                db: ea.db,
                key: JsonBytes(key),
                what,
                type_a: Some(ta.name()),
                type_b: Some(tb.name()),
                expire_ms_a: has_expiry.then_some(ea.expire_ms),
                expire_ms_b: has_expiry.then_some(expire_b),
            },
            args.keys_only,
        )
        .map_err(Failure::Io)
    };
    let mut walked: Result<(), Failure> = Ok(());
    for ka in &index_a.keys {
        walked = matched(ka);
        if walked.is_err() {
            break;
        }
    }
    if walked.is_ok()
        && let Some(e) = a_failure
    {
        walked = Err(Failure::Rdb("a", e));
    }
    if let Err(f) = walked {
        sink.flush()?;
        return match f {
            Failure::Io(e) => Err(e.into()),
            Failure::Rdb(which, e) => {
                let name = if which == "a" { &name_a } else { &name_b };
                problem(format!("{name}: {e} ({})", e.kind.name()));
                Ok(Status::Problem)
            }
        };
    }
    // What A did not have.
    let mut key_buf = Vec::new();
    for at in index.keys.iter().filter(|k| !k.seen) {
        let eb = match reread(&b, &index, at) {
            Ok(e) => e,
            Err(e) => {
                problem(format!("{name_b}: {e} ({})", e.kind.name()));
                return Ok(Status::Problem);
            }
        };
        let key = match key_bytes(&eb.key, &mut key_buf) {
            Ok(k) => k,
            Err(e) => {
                problem(format!("{name_b}: {e} ({})", e.kind.name()));
                return Ok(Status::Problem);
            }
        };
        counts.added += 1;
        sink.write(
            &Change {
                change: "added",
                db: at.db,
                key: JsonBytes(key),
                what: Vec::new(),
                type_a: None,
                type_b: Some(eb.value.object_type().name()),
                expire_ms_a: None,
                expire_ms_b: None,
            },
            args.keys_only,
        )?;
    }
    sink.flush()?;
    drop(sink);
    eprintln!(
        "sonde: {} added, {} removed, {} changed, {} unchanged",
        counts.added, counts.removed, counts.changed, counts.unchanged
    );
    if counts.added + counts.removed + counts.changed > 0 {
        Ok(Status::Problem)
    } else {
        Ok(Status::Ok)
    }
}
