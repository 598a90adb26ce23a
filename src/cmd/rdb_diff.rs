//! `sonde rdb diff A B`: which keys were added, removed or changed between
//! two snapshots.
//!
//! Both files are mapped and indexed at once, one on each core: for each
//! wanted key, 16 bytes: a 64-bit hash of its database and name, and one
//! word packing where its type byte is, its record's size and two flags;
//! databases, expiries and sizes of 1 MiB or more sit in short side lists
//! (values stay in the mapping). Fresh pages cost the kernel a zeroing
//! each, which made the index the larger part of a diff's time.
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

/// One key of a file as the index stores it: the hash of its database
/// and name, and a word packing the offset of its type byte (bits 0 to
/// 39), its record's size from there (bits 40 to 55, or [`SIZE_BIG`] when
/// the size is in [`Index::big`]), its database (bits 56 to 61, or
/// [`DB_SIDE`] when it is in [`Index::dbs`]), whether it has an expiry
/// (then in [`Index::expiries`]) and whether a key of A matched it. Most
/// keys need nothing but the word.
#[derive(Clone, Copy)]
struct Packed {
    hash: u64,
    word: u64,
}

const OFFSET_BITS: u32 = 40;
const SIZE_BITS: u32 = 16;
const SIZE_BIG: u64 = (1 << SIZE_BITS) - 1;
const DB_SHIFT: u32 = OFFSET_BITS + SIZE_BITS;
const DB_SIDE: u64 = (1 << 6) - 1;
const EXPIRY_BIT: u64 = 1 << 62;
const SEEN_BIT: u64 = 1 << 63;

/// One key of a file, unpacked.
#[derive(Clone, Copy)]
struct Indexed {
    hash: u64,
    offset: u64,
    /// Bytes from the type byte to the end of the value.
    size: u64,
    db: u64,
    expire_ms: Option<i64>,
}

fn key_hash(db: u64, key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(key, db)
}

/// A file's keys, in file order, and (for B, once needed) an
/// open-addressing table of their positions by hash.
struct Index {
    keys: Vec<Packed>,
    /// (first key, database) where a database of [`DB_SIDE`] or more
    /// starts, in key order.
    dbs: Vec<(u32, u64)>,
    /// (key, expiry) of the keys that have one, in key order.
    expiries: Vec<(u32, i64)>,
    /// (key, size) of the records of [`SIZE_BIG`] bytes or more.
    big: Vec<(u32, u64)>,
    table: Vec<u32>,
    magic: Magic,
    version: u32,
}

/// Index the wanted keys of a snapshot; the keys before an error are kept.
fn index_keys(data: &[u8], filter: &KeyFilter, now: i64) -> (Index, Option<RdbError>) {
    let mut index = Index::empty();
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

/// Where [`Index::key`] last found a key's database run and expiry.
#[derive(Default)]
struct Hint {
    db: usize,
    expiry: usize,
}

impl Index {
    fn empty() -> Index {
        Index {
            keys: Vec::new(),
            dbs: Vec::new(),
            expiries: Vec::new(),
            big: Vec::new(),
            table: Vec::new(),
            magic: Magic::Redis,
            version: 0,
        }
    }

    /// Add the next key of the file.
    #[inline]
    fn push(&mut self, key: Indexed) -> Result<(), RdbError> {
        let i = self.keys.len();
        if i >= (EMPTY as usize) / 2 {
            return Err(RdbError::invalid(key.offset, "more than 2^31 keys"));
        }
        if key.offset >> OFFSET_BITS != 0 {
            return Err(RdbError::invalid(
                key.offset,
                "a key past 1 TiB (rdb diff indexes files up to that size)",
            ));
        }
        let i = i as u32;
        let db = if key.db < DB_SIDE {
            key.db
        } else {
            if self.dbs.last().map(|&(_, db)| db) != Some(key.db) {
                self.dbs.push((i, key.db));
            }
            DB_SIDE
        };
        let mut word = key.offset | db << DB_SHIFT;
        if let Some(at) = key.expire_ms {
            self.expiries.push((i, at));
            word |= EXPIRY_BIT;
        }
        let size = if key.size >= SIZE_BIG {
            self.big.push((i, key.size));
            SIZE_BIG
        } else {
            key.size
        };
        word |= size << OFFSET_BITS;
        self.keys.push(Packed {
            hash: key.hash,
            word,
        });
        Ok(())
    }

    /// Key `i`, unpacked. `hint` remembers where the side lists were
    /// last read, so reading the keys in order costs no search.
    #[inline(always)]
    fn key(&self, i: usize, hint: &mut Hint) -> Indexed {
        let Packed { hash, word } = self.keys[i];
        let i = i as u32;
        let mut size = (word >> OFFSET_BITS) & SIZE_BIG;
        if size == SIZE_BIG
            && let Ok(at) = self.big.binary_search_by_key(&i, |&(k, _)| k)
        {
            size = self.big[at].1;
        }
        Indexed {
            hash,
            offset: word & ((1 << OFFSET_BITS) - 1),
            size,
            db: match (word >> DB_SHIFT) & DB_SIDE {
                DB_SIDE => self.db_of(i, hint),
                db => db,
            },
            expire_ms: if word & EXPIRY_BIT != 0 {
                self.expiry_of(i, hint)
            } else {
                None
            },
        }
    }

    /// The database of key `i`, one of [`DB_SIDE`] or more: the run at the
    /// hint, the next one, or a search (the last run started at or before
    /// `i` is its database's, since only these databases are listed).
    #[inline]
    fn db_of(&self, i: u32, hint: &mut Hint) -> u64 {
        let runs = &self.dbs;
        let covers = |r: usize| {
            runs.get(r).is_some_and(|&(first, _)| first <= i)
                && runs.get(r + 1).is_none_or(|&(first, _)| first > i)
        };
        if !covers(hint.db) {
            hint.db = if covers(hint.db + 1) {
                hint.db + 1
            } else {
                runs.partition_point(|&(first, _)| first <= i)
                    .saturating_sub(1)
            };
        }
        runs.get(hint.db).map_or(0, |&(_, db)| db)
    }

    /// The expiry of key `i`, which has one: at the hint, just after it,
    /// or found by a search.
    #[inline]
    fn expiry_of(&self, i: u32, hint: &mut Hint) -> Option<i64> {
        let list = &self.expiries;
        for at in [hint.expiry, hint.expiry + 1] {
            if let Some(&(k, ms)) = list.get(at)
                && k == i
            {
                hint.expiry = at;
                return Some(ms);
            }
        }
        let at = list.binary_search_by_key(&i, |&(k, _)| k).ok()?;
        hint.expiry = at;
        Some(list[at].1)
    }

    fn set_seen(&mut self, i: usize) {
        self.keys[i].word |= SEEN_BIT;
    }

    fn seen(&self, i: usize) -> bool {
        self.keys[i].word & SEEN_BIT != 0
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
    let mut hint_b = Hint::default();
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
        if index.keys.get(next_b).is_some_and(|kb| kb.hash == ka.hash)
            && same_raw(&index.key(next_b, &mut hint_b))
        {
            found = Some((next_b, None));
        } else {
            if index.table.is_empty() {
                index.build_table();
            }
            for i in index.candidates(ka.hash) {
                let at = &index.key(i, &mut hint_b);
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
        let expire_b = found
            .as_ref()
            .map(|(i, _)| index.key(*i, &mut hint_b).expire_ms);
        if let Some((i, None)) = &found
            && (args.ignore_ttl || expire_b == Some(ka.expire_ms))
        {
            index.set_seen(*i);
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
        index.set_seen(i);
        next_b = i + 1;
        let expire_b = index.key(i, &mut hint_b).expire_ms;
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
    let mut hint_a = Hint::default();
    for i in 0..index_a.keys.len() {
        walked = matched(&index_a.key(i, &mut hint_a));
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
    for at in (0..index.keys.len()).filter(|&i| !index.seen(i)) {
        let at = &index.key(at, &mut hint_b);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &Indexed, b: &Indexed) -> bool {
        (a.hash, a.offset, a.size, a.db, a.expire_ms)
            == (b.hash, b.offset, b.size, b.db, b.expire_ms)
    }

    /// Keys whose sizes, databases and expiries need the side lists read
    /// back as pushed, in order and in any order, seen or not.
    #[test]
    fn packed_keys_read_back_as_pushed() {
        let dbs = [0u64, 5, 62, 63, 64, 1000, 5, 1000, 63, u64::MAX];
        let mut keys = Vec::new();
        let mut offset = 9u64;
        for (n, &db) in dbs.iter().enumerate() {
            for j in 0..40u64 {
                let size = match j % 7 {
                    0 => SIZE_BIG,
                    1 => SIZE_BIG - 1,
                    2 => 1 << 33,
                    _ => 3 + j,
                };
                let expire_ms = match j % 5 {
                    0 => Some(i64::MIN),
                    1 => Some(1_700_000_000_000 + j as i64),
                    2 => Some(-1),
                    _ => None,
                };
                keys.push(Indexed {
                    hash: (n as u64) << 32 | j,
                    offset,
                    size,
                    db,
                    expire_ms,
                });
                offset += size.min(1 << 20);
            }
        }
        keys.push(Indexed {
            hash: 1,
            offset: (1 << OFFSET_BITS) - 1,
            size: 1,
            db: 7,
            expire_ms: None,
        });
        let mut index = Index::empty();
        for k in &keys {
            index.push(*k).unwrap();
        }
        let mut hint = Hint::default();
        for (i, k) in keys.iter().enumerate() {
            assert!(same(&index.key(i, &mut hint), k), "key {i} in order");
            if i % 3 == 0 {
                index.set_seen(i);
            }
        }
        let mut hint = Hint::default();
        for step in 0..keys.len() {
            let i = (step * 97 + 13) % keys.len();
            assert!(
                same(&index.key(i, &mut hint), &keys[i]),
                "key {i} out of order"
            );
            assert_eq!(index.seen(i), i % 3 == 0);
        }
        let far = Indexed {
            hash: 2,
            offset: 1 << OFFSET_BITS,
            size: 1,
            db: 0,
            expire_ms: None,
        };
        assert!(index.push(far).is_err());
    }
}
