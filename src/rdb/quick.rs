//! The quick path of a summary: one key record read straight into the
//! [`KeyFacts`] the aggregates take (length, serialized size, estimated
//! RAM, encoding, expiry), for the encodings most keys have: strings, and
//! the blobs Redis 7 keeps in memory as they are stored (intsets,
//! listpacks within the default thresholds, quicklist-2 nodes). No
//! [`super::Value`] and no [`super::KeyEntry`] is built, and the element
//! count and RAM come from the headers and lengths the reader passes
//! anyway, so nothing is read twice.
//!
//! The facts are the ones the general path finds (the same functions of
//! the memory model and the same header counts): anything else, and
//! anything that does not read cleanly, is `None`, and the caller reads
//! the record again on the general path, which reports the error or walks
//! the elements.

use std::borrow::Cow;

use super::cursor::Cursor;
use super::encodings::Item;
use super::format::*;
use super::memory;
use super::stats::KeyFacts;
use super::value::header_count_unchecked;

/// Read the key record at the cursor (database `db`, in a file of `magic`)
/// into its facts; `None` (the cursor somewhere inside the record) when
/// the general path must read it.
#[inline(always)]
pub(super) fn key_facts<'a>(cur: &mut Cursor<'a>, magic: Magic, db: u64) -> Option<KeyFacts<'a>> {
    let (vt, at, expire_ms) = key_head(cur, magic)?;
    // A key stored as an integer or compressed goes the general way (its
    // bytes are rebuilt there).
    let RdbStr::Raw(key) = cur.rdb_str("key").ok()? else {
        return None;
    };
    let key_size = memory::key_size(key.len() as u64);
    let (len, ram, encoding) = match vt {
        ValueType::String => {
            let s = cur.rdb_str_value("string value").ok()?;
            let ram = key_size + memory::string_size(&s).ok()?;
            (s.len(), ram, s.encoding())
        }
        ValueType::ListQuicklist2 => {
            let nodes = cur.rdb_count("quicklist node count", 2).ok()?;
            let (mut len, mut ram) = (0u64, key_size + memory::QUICKLIST_BASE);
            for _ in 0..nodes {
                let container = cur.rdb_len("quicklist container").ok()?;
                let at = cur.offset();
                let RdbStr::Raw(node) = cur.rdb_str("quicklist node").ok()? else {
                    return None;
                };
                len += match container {
                    1 => 1,
                    2 => header_count_unchecked(ValueType::SetListpack, node, at).ok()??,
                    _ => return None,
                };
                ram += memory::quicklist_node_size(node.len() as u64);
            }
            (len, ram, vt.encoding())
        }
        ValueType::Set => {
            let n = cur.rdb_count("element count", 1).ok()?;
            let mut set = memory::SetSize::default();
            for _ in 0..n {
                let item = match cur.rdb_str("element").ok()? {
                    RdbStr::Raw(b) => Item::Bytes(Cow::Borrowed(b)),
                    RdbStr::Int(v) => Item::Int(v),
                    RdbStr::Lzf { .. } => return None,
                };
                set.add(&item);
            }
            let ram = key_size + set.total(&memory::Limits::REDIS_7_0);
            (n, ram, vt.encoding())
        }
        _ => {
            let limit = memory::compact_limit(vt)?;
            let at = cur.offset();
            let RdbStr::Raw(blob) = cur.rdb_str("encoded value").ok()? else {
                return None;
            };
            let len = header_count_unchecked(vt, blob, at).ok()??;
            if len > limit {
                return None;
            }
            (
                len,
                key_size + memory::blob_size(blob.len() as u64),
                vt.encoding(),
            )
        }
    };
    Some(KeyFacts {
        db,
        key,
        object_type: vt.object_type(),
        encoding,
        len,
        size: cur.offset() - at,
        ram,
        expire_ms,
    })
}

/// The opcodes before a key (expiry, LRU, LFU) and its value type: the
/// type, the offset of its byte, and the expiry.
#[inline(always)]
fn key_head(cur: &mut Cursor<'_>, magic: Magic) -> Option<(ValueType, u64, Option<i64>)> {
    let mut expire_ms = None;
    loop {
        let at = cur.offset();
        match cur.peek()? {
            OPCODE_EXPIRETIME_MS => {
                cur.u8("expiry").ok()?;
                expire_ms = Some(cur.rdb_millis("expiry").ok()?);
            }
            OPCODE_EXPIRETIME => {
                cur.u8("expiry").ok()?;
                expire_ms = Some(i64::from(cur.u32_le("expiry").ok()?) * 1000);
            }
            OPCODE_IDLE => {
                cur.u8("LRU idle time").ok()?;
                cur.rdb_len("LRU idle time").ok()?;
            }
            OPCODE_FREQ => {
                cur.u8("LFU frequency").ok()?;
                cur.u8("LFU frequency").ok()?;
            }
            byte if byte < OPCODE_KEY_META => {
                let vt = ValueType::from_byte(byte, magic)?;
                cur.u8("value type").ok()?;
                return Some((vt, at, expire_ms));
            }
            _ => return None,
        }
    }
}

/// Move the cursor past the key record there by its lengths alone, no
/// value's header checked: for finding where keys start (a value that
/// does not parse is found by the reader that tallies it). `None` for
/// anything but a key of the shapes [`key_facts`] takes (the caller then
/// reads the record the general way).
#[inline(always)]
pub(super) fn skip_key(cur: &mut Cursor<'_>, magic: Magic) -> Option<()> {
    let (vt, _, _) = key_head(cur, magic)?;
    cur.rdb_str("key").ok()?;
    skip_value(cur, vt, false)
}

/// A key record located without decoding its value: for copying the value
/// out as it is stored (a DUMP payload).
#[derive(Clone, Copy, Debug)]
pub struct KeySpan<'a> {
    pub value_type: ValueType,
    pub key: &'a [u8],
    /// The value's bytes (after the key).
    pub data: &'a [u8],
    pub expire_ms: Option<i64>,
    /// Absolute offset of the type byte.
    pub offset: u64,
    /// Bytes from the type byte to the end of the value.
    pub size: u64,
}

/// The key record at the cursor, of a shape [`key_facts`] takes and with
/// a raw key, located: its value skipped by its lengths with the header
/// checks the general reader makes (so a damaged value goes the general
/// way, which reports it).
#[inline(always)]
pub(super) fn key_span<'a>(cur: &mut Cursor<'a>, magic: Magic) -> Option<KeySpan<'a>> {
    let (value_type, offset, expire_ms) = key_head(cur, magic)?;
    let RdbStr::Raw(key) = cur.rdb_str("key").ok()? else {
        return None;
    };
    let start = cur.pos();
    skip_value(cur, value_type, true)?;
    Some(KeySpan {
        value_type,
        key,
        data: cur.since(start),
        expire_ms,
        offset,
        size: cur.offset() - offset,
    })
}

/// Skip a value of the quick shapes by its lengths; with `check`, also
/// make the checks of the general reader's skip (blob headers, quicklist
/// containers).
#[inline(always)]
fn skip_value(cur: &mut Cursor<'_>, vt: ValueType, check: bool) -> Option<()> {
    match vt {
        ValueType::String => {
            cur.rdb_str_value("string value").ok()?;
        }
        ValueType::ListQuicklist2 => {
            let nodes = cur.rdb_count("quicklist node count", 2).ok()?;
            for _ in 0..nodes {
                let container = cur.rdb_len("quicklist container").ok()?;
                let at = cur.offset();
                let node = cur.rdb_str_value("quicklist node").ok()?;
                if check {
                    match (container, node) {
                        (1, _) | (2, RdbStr::Lzf { .. }) => {}
                        (2, RdbStr::Raw(blob)) => {
                            header_count_unchecked(ValueType::SetListpack, blob, at).ok()?;
                        }
                        _ => return None,
                    }
                }
            }
        }
        ValueType::Set => {
            let n = cur.rdb_count("element count", 1).ok()?;
            for _ in 0..n {
                cur.rdb_str_value("element").ok()?;
            }
        }
        _ => {
            memory::compact_limit(vt)?;
            let at = cur.offset();
            let blob = cur.rdb_str_value("encoded value").ok()?;
            if check {
                match blob {
                    RdbStr::Raw(blob) => {
                        header_count_unchecked(vt, blob, at).ok()?;
                    }
                    RdbStr::Lzf { .. } => {}
                    RdbStr::Int(_) => return None,
                }
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::format::RdbStr;
    use super::super::reader::{Event, Reader, events};
    use super::super::writer::{ValueRef, Writer};
    use super::super::{memory, replay};

    /// Every key of `data` read again at its offset on the quick paths:
    /// whatever they take must agree with the general reader and the
    /// memory model. Returns how many keys the facts path took.
    fn agrees(data: &[u8], name: &str) -> usize {
        let mut taken = 0;
        let mut reader_at = None;
        let mut db = 0;
        for located in events(data) {
            let Ok(located) = located else { break };
            match &located.event {
                Event::Header { magic, version } => reader_at = Some((*magic, *version)),
                Event::SelectDb { db: d } => db = *d,
                Event::Key(e) => {
                    let (magic, version) = reader_at.expect("header first");
                    let at = located.offset as usize;
                    let end = (located.offset + located.len) as usize;
                    let mut r = Reader::resume(magic, version, db, located.offset);
                    if let Some(f) = r.next_key_facts(&data[at..]) {
                        taken += 1;
                        let RdbStr::Raw(key) = e.key else {
                            panic!("{name}: a key that is not raw took the quick path")
                        };
                        assert_eq!(f.key, key, "{name}");
                        assert_eq!(f.db, e.db, "{name}");
                        assert_eq!(f.object_type, e.value.object_type(), "{name}");
                        assert_eq!(f.encoding, e.value.encoding(), "{name}");
                        assert_eq!(f.len, e.value.len().unwrap(), "{name} {key:?}");
                        assert_eq!(
                            f.ram,
                            memory::estimate(e.key.len(), &e.value).unwrap(),
                            "{name} {key:?}"
                        );
                        assert_eq!(f.size, e.size, "{name}");
                        assert_eq!(f.expire_ms, e.expire_ms, "{name}");
                        assert_eq!(r.position() as usize, end, "{name}");
                    }
                    let mut r = Reader::resume(magic, version, db, located.offset);
                    if let Some(s) = r.next_key_span(&data[at..], |_| true) {
                        assert_eq!(s.value_type, e.value.value_type, "{name}");
                        assert_eq!(s.data, e.value.data, "{name}");
                        assert_eq!(s.expire_ms, e.expire_ms, "{name}");
                        assert_eq!((s.offset, s.size), (e.offset, e.size), "{name}");
                        assert_eq!(r.position() as usize, end, "{name}");
                    }
                    let mut r = Reader::resume(magic, version, db, located.offset);
                    if r.skip_key(&data[at..]) {
                        assert_eq!(r.position() as usize, end, "{name}");
                    }
                }
                _ => {}
            }
        }
        let _ = replay::restorable;
        taken
    }

    #[test]
    fn quick_paths_agree_with_the_general_reader_on_the_corpus() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rdb");
        let mut files = vec![root];
        let mut taken = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else if path.extension().is_some_and(|e| e == "rdb") {
                let data = std::fs::read(&path).unwrap();
                taken += agrees(&data, &path.display().to_string());
            }
        }
        assert!(taken > 50, "only {taken} keys took the quick path");
    }

    #[test]
    fn quick_paths_agree_with_the_general_reader_on_written_values() {
        let mut w = Writer::new(Vec::new()).unwrap().compression(true);
        w.select_db(0).unwrap();
        let long = vec![b'x'; 300];
        let strings: Vec<&[u8]> = vec![b"", b"1", b"-12", b"007", b"12345678901234567890", &long];
        for (i, s) in strings.iter().enumerate() {
            let key = format!("s:{i}");
            w.key(key.as_bytes(), ValueRef::String(s), None).unwrap();
            w.key(
                format!("{key}:ttl").as_bytes(),
                ValueRef::String(s),
                Some(1_700_000_000_000),
            )
            .unwrap();
        }
        let sets: Vec<Vec<&[u8]>> = vec![
            vec![b"1", b"2", b"-70000"],
            vec![b"a", b"2"],
            vec![b"007", b"12"],
            (0..600).map(|_| &b"9"[..]).collect(),
        ];
        for (i, members) in sets.iter().enumerate() {
            let mut it = members.iter().copied();
            w.key(format!("set:{i}").as_bytes(), ValueRef::Set(&mut it), None)
                .unwrap();
        }
        let items: Vec<&[u8]> = vec![b"a", b"1", &long, b"-5"];
        let mut it = items.iter().copied();
        w.key(b"list", ValueRef::List(&mut it), None).unwrap();
        let pairs: Vec<(&[u8], &[u8])> = vec![(b"f", b"v"), (b"n", b"12"), (b"big", &long)];
        let mut it = pairs.iter().copied();
        w.key(b"hash", ValueRef::Hash(&mut it), None).unwrap();
        let scored: Vec<(&[u8], f64)> = vec![(b"m", 1.5), (b"n", -2.0)];
        let mut it = scored.iter().copied();
        w.key(b"zset", ValueRef::Zset(&mut it), None).unwrap();
        let data = w.finish().unwrap();
        assert!(agrees(&data, "written") >= 12);
    }
}
