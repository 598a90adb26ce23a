//! `sonde rdb diff A B`: which keys were added, removed or changed between
//! two snapshots.
//!
//! Both files are mapped. A first pass over B records, for each wanted
//! key, a 64-bit hash of its database and name, where its type byte is and
//! its expiry (an index of about 60 bytes a key; values stay in the
//! mapping). A pass over A looks each key up by hash, confirms the name by
//! reading B's key again at the recorded offset, and compares: the same
//! type byte and value bytes means equal without decoding; otherwise both
//! values are decoded into a canonical form (sets, hashes and sorted sets
//! sorted, integers as text) and compared, so a re-encoded value is not a
//! change. B's keys never looked up are the added ones.

use std::io::Write;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value as Json;

use super::rdb_common::{clock_ms, key_filter, value_json, walk_keys};
use super::{Status, problem};
use crate::cli::RdbDiffArgs;
use crate::input;
use crate::output::Format;
use crate::output::bytes::{JsonBytes, display};
use crate::output::stream::{Column, Columns};
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

/// B's keys, in file order, and an open-addressing table of their
/// positions by hash (one probe, usually one cache miss, per lookup).
struct Index {
    keys: Vec<Indexed>,
    table: Vec<u32>,
    magic: Magic,
    version: u32,
}

const EMPTY: u32 = u32::MAX;

impl Index {
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

    let mut index = Index {
        keys: Vec::new(),
        table: Vec::new(),
        magic: Magic::Redis,
        version: 0,
    };
    let built = walk_keys(&b, &filter, now, |located, key_entry| {
        match key_entry {
            Some((entry, key)) => {
                if index.keys.len() >= (EMPTY as usize) / 2 {
                    return Err(RdbError::invalid(entry.offset, "more than 2^31 keys"));
                }
                index.keys.push(Indexed {
                    hash: key_hash(entry.db, key),
                    offset: entry.offset,
                    size: entry.size,
                    db: entry.db,
                    expire_ms: entry.expire_ms,
                    seen: false,
                });
            }
            None => {
                if let Event::Header { magic, version } = located.event {
                    index.magic = magic;
                    index.version = version;
                }
            }
        }
        Ok::<(), RdbError>(())
    });
    if let Err(e) = built {
        problem(format!("{name_b}: {e} ({})", e.kind.name()));
        return Ok(Status::Problem);
    }
    index.build_table();

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
    let mut key_buf_b = Vec::new();
    let walked = walk_keys(&a, &filter, now, |_, key_entry| {
        let Some((ea, key)) = key_entry else {
            return Ok::<(), WalkError>(());
        };
        let hash = key_hash(ea.db, key);
        // The same bytes from type byte to the end of the value: the same
        // key with the same value, nothing to decode.
        let raw_a = raw(&a, ea.offset, ea.size);
        let mut found = None;
        for i in index.candidates(hash) {
            let at = &index.keys[i];
            if at.db != ea.db {
                continue;
            }
            if raw_a.is_some() && raw_a == raw(&b, at.offset, at.size) {
                found = Some((i, None));
                break;
            }
            let eb = reread(&b, &index, at).map_err(|e| Failure::Rdb("b", e))?;
            let kb = key_bytes(&eb.key, &mut key_buf_b).map_err(|e| Failure::Rdb("b", e))?;
            if kb == key {
                found = Some((i, Some(eb)));
                break;
            }
        }
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
                .map_err(|e| WalkError::Other(Failure::Io(e)));
        };
        index.keys[i].seen = true;
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
        .map_err(|e| WalkError::Other(Failure::Io(e)))
    });
    let walked = walked.map_err(|e| match e {
        WalkError::Rdb(e) => Failure::Rdb("a", e),
        WalkError::Other(f) => f,
    });
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

/// A walk's error: the file's, or the callback's.
enum WalkError {
    Rdb(RdbError),
    Other(Failure),
}

impl From<RdbError> for WalkError {
    fn from(e: RdbError) -> Self {
        WalkError::Rdb(e)
    }
}

impl From<Failure> for WalkError {
    fn from(f: Failure) -> Self {
        WalkError::Other(f)
    }
}
