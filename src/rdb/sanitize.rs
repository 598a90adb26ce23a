//! Payload sanitization: the checks Redis 7.0's rdbLoadObject makes before
//! it keeps a value read from a snapshot or a RESTORE payload, so a server
//! refuses exactly the payloads redis-server refuses, with the reason
//! redis-server logs ("Hash ziplist integrity check failed." ...).
//!
//! Redis checks at two depths (`sanitize-dump-payload`). Shallow checks
//! always run: container headers (byte count, end byte), every ziplist and
//! zipmap in full (Redis converts those as it loads them), duplicate
//! members of plain sets and sorted sets, NaN scores, the consistency of a
//! stream's consumer groups. Deep checks add every entry of intsets and
//! listpacks (bounds, encodings, back-lengths, counts), duplicate fields of
//! listpack hashes and sorted sets, the entry layout of stream listpacks
//! and pending entries without a consumer.
//!
//! Everything here reads the value's bytes in place; the only allocations
//! are the sets of seen members, bounded by the payload's size.

use std::borrow::Cow;
use std::collections::HashSet;

use super::cursor::Cursor;
use super::encodings::listpack::{self, Listpack};
use super::encodings::ziplist::{self, Ziplist};
use super::encodings::zipmap::{self, Zipmap};
use super::encodings::{Item, intset};
use super::error::{ErrorKind, RdbError, Result};
use super::format::{RdbStr, ValueType};
use super::value::{StreamId, Value};

/// How thoroughly to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sanitize {
    /// Deep sanitization (`sanitize-dump-payload yes`, or `clients` for a
    /// client's RESTORE).
    pub deep: bool,
    /// `hash-max-listpack-entries`: a plain-encoded hash with more fields
    /// is built as a hash table, where a duplicate field is always an
    /// error; a smaller one only under deep sanitization.
    pub hash_max_listpack_entries: u64,
    /// `zset-max-listpack-entries`: a listpack sorted set with more members
    /// is converted as it loads, where Redis stops on a duplicate member.
    pub zset_max_listpack_entries: u64,
}

/// Check `value` as Redis does before keeping it. The error's message is
/// the reason Redis logs. `deep_checks` counts the containers checked
/// deeply, failed ones included (Redis's INFO `dump_payload_sanitizations`).
pub fn check(value: &Value<'_>, opts: Sanitize, deep_checks: &mut u64) -> Result<()> {
    use ValueType::*;
    let mut cur = Cursor::new(value.data, value.offset, true);
    let vt = value.value_type;
    match vt {
        Set => {
            let n = cur.rdb_count("element count", 1)?;
            let mut seen = HashSet::new();
            for _ in 0..n {
                let at = cur.offset();
                let member = cur.rdb_str("element")?.to_bytes()?;
                if !seen.insert(member) {
                    return Err(corrupt(at, "Duplicate set members detected"));
                }
            }
        }
        Zset | Zset2 => {
            let n = cur.rdb_count("sorted set size", if vt == Zset { 2 } else { 9 })?;
            let mut seen = HashSet::new();
            for _ in 0..n {
                let at = cur.offset();
                let member = cur.rdb_str("member")?.to_bytes()?;
                let score = if vt == Zset {
                    cur.rdb_text_double("score")?
                } else {
                    cur.f64_le("score")?
                };
                if score.is_nan() {
                    return Err(corrupt(at, "Zset with NAN score detected"));
                }
                if !seen.insert(member) {
                    return Err(corrupt(at, "Duplicate zset fields detected"));
                }
            }
        }
        Hash => {
            let n = cur.rdb_count("hash size", 2)?;
            let table = n > opts.hash_max_listpack_entries;
            let mut seen = HashSet::new();
            for _ in 0..n {
                let at = cur.offset();
                let field = cur.rdb_str("field")?.to_bytes()?;
                cur.skip_rdb_str("field value")?;
                if (table || opts.deep) && !seen.insert(field) {
                    return Err(corrupt(
                        at,
                        if table {
                            "Duplicate hash fields detected"
                        } else {
                            "Hash with dup elements"
                        },
                    ));
                }
            }
        }
        ListQuicklist | ListQuicklist2 => {
            let nodes = cur.rdb_count("quicklist node count", 2)?;
            for _ in 0..nodes {
                let mut packed = true;
                if vt == ListQuicklist2 {
                    let at = cur.offset();
                    match cur.rdb_len("quicklist container")? {
                        1 => packed = false,
                        2 => {}
                        _ => return Err(corrupt(at, "Quicklist integrity check failed.")),
                    }
                }
                let at = cur.offset();
                let node = blob(&mut cur)?;
                if node.is_empty() {
                    return Err(corrupt(at, "Quicklist node is an empty string"));
                }
                if !packed {
                    continue;
                }
                if vt == ListQuicklist {
                    if ziplist::validate(&node).is_none() {
                        return Err(corrupt(at, "Ziplist integrity check failed."));
                    }
                } else {
                    *deep_checks += u64::from(opts.deep);
                    if listpack::validate(&node, opts.deep).is_none() {
                        return Err(corrupt(at, "Listpack integrity check failed."));
                    }
                }
            }
        }
        HashZipmap => {
            let at = cur.offset();
            let zm = blob(&mut cur)?;
            if !zipmap::validate(&zm) {
                return Err(corrupt(at, "Zipmap integrity check failed."));
            }
            let mut walk = Zipmap::new(&zm, at)?;
            let mut seen = HashSet::new();
            while let Some(field) = walk.next_item()? {
                let flen = field.len();
                walk.next_item()?;
                if !seen.insert(field.to_bytes().into_owned()) {
                    return Err(corrupt(
                        at,
                        format!("Hash zipmap with dup elements, or big length ({flen})"),
                    ));
                }
            }
        }
        ListZiplist | ZsetZiplist | HashZiplist => {
            let at = cur.offset();
            let zl = blob(&mut cur)?;
            let message = match vt {
                ListZiplist => "List ziplist integrity check failed.",
                ZsetZiplist => "Zset ziplist integrity check failed.",
                _ => "Hash ziplist integrity check failed.",
            };
            let valid = ziplist::validate(&zl).is_some()
                && (vt == ListZiplist || {
                    let mut walk = Ziplist::new(&zl, at)?;
                    pairs_unique(|| walk.next_item())
                });
            if !valid {
                return Err(corrupt(at, message));
            }
        }
        SetIntset => {
            *deep_checks += u64::from(opts.deep);
            let at = cur.offset();
            if !intset::validate(&blob(&mut cur)?, opts.deep) {
                return Err(corrupt(at, "Intset integrity check failed."));
            }
        }
        ZsetListpack | HashListpack => {
            *deep_checks += u64::from(opts.deep);
            let at = cur.offset();
            let lp = blob(&mut cur)?;
            let valid = listpack::validate(&lp, opts.deep).is_some()
                && (!opts.deep || {
                    let mut walk = Listpack::new(&lp, at)?;
                    pairs_unique(|| walk.next_item())
                });
            // Past the shallow checks, Redis converts a listpack over its
            // size limit to a table as it loads it, and stops the server
            // (an assertion) on a duplicate there: refuse it instead.
            let limit = if vt == ZsetListpack {
                opts.zset_max_listpack_entries
            } else {
                opts.hash_max_listpack_entries
            };
            if valid && !opts.deep {
                let mut walk = Listpack::new(&lp, at)?;
                let entries = match walk.header_count() {
                    Some(n) => n,
                    None => Listpack::new(&lp, at)?.count_all().unwrap_or(0),
                };
                if entries / 2 > limit && !pairs_unique(|| walk.next_item()) {
                    return Err(corrupt(
                        at,
                        if vt == ZsetListpack {
                            "Zset listpack with dup elements, which Redis stops on converting it"
                        } else {
                            "Hash listpack with dup elements, which Redis stops on converting it"
                        },
                    ));
                }
            }
            if !valid {
                return Err(corrupt(
                    at,
                    if vt == ZsetListpack {
                        "Zset listpack integrity check failed."
                    } else {
                        "Hash listpack integrity check failed."
                    },
                ));
            }
        }
        StreamListpacks | StreamListpacks2 | StreamListpacks3 => {
            check_stream(value, opts.deep, deep_checks)?;
        }
        _ => {}
    }
    Ok(())
}

fn corrupt(at: u64, message: impl Into<String>) -> RdbError {
    RdbError::new(ErrorKind::Integrity(message.into()), at)
}

/// What Redis logs when a container of this value type fails its checks.
pub fn reason(vt: ValueType) -> &'static str {
    use ValueType::*;
    match vt {
        HashZipmap => "Zipmap integrity check failed.",
        ListZiplist => "List ziplist integrity check failed.",
        SetIntset => "Intset integrity check failed.",
        ZsetZiplist => "Zset ziplist integrity check failed.",
        HashZiplist => "Hash ziplist integrity check failed.",
        ListQuicklist => "Ziplist integrity check failed.",
        StreamListpacks | StreamListpacks2 | StreamListpacks3 | StreamListpacks4 => {
            "Stream listpack integrity check failed."
        }
        HashListpack | HashListpackEx | HashListpackExPreGa => {
            "Hash listpack integrity check failed."
        }
        ZsetListpack => "Zset listpack integrity check failed.",
        ListQuicklist2 | SetListpack => "Listpack integrity check failed.",
        _ => "Bad data format.",
    }
}

/// A decoding error inside a container of a `vt` value, as an integrity
/// failure with Redis's reason (the decoder's finding kept after it).
pub fn integrity(vt: ValueType, e: RdbError) -> RdbError {
    match *e.kind {
        ErrorKind::NeedMore { .. } | ErrorKind::Integrity(_) => e,
        ref kind => RdbError::new(
            ErrorKind::Integrity(format!("{} ({kind})", reason(vt))),
            e.offset,
        ),
    }
}

/// The bytes of an encoded container stored as an RDB string.
fn blob<'a>(cur: &mut Cursor<'a>) -> Result<Cow<'a, [u8]>> {
    let at = cur.offset();
    match cur.rdb_str("encoded value")? {
        RdbStr::Int(_) => Err(corrupt(at, "encoded value is an integer")),
        s => s.to_bytes(),
    }
}

/// An even number of items whose even-numbered ones (fields, members) are
/// all different, as Redis's pair validation callbacks require.
fn pairs_unique<'b>(mut next: impl FnMut() -> Result<Option<Item<'b>>>) -> bool {
    let mut seen = HashSet::new();
    let mut count = 0u64;
    loop {
        match next() {
            Ok(Some(item)) => {
                if count.is_multiple_of(2) && !seen.insert(item.to_bytes().into_owned()) {
                    return false;
                }
                count += 1;
            }
            Ok(None) => return count.is_multiple_of(2),
            Err(_) => return false,
        }
    }
}

/// A stream: each listpack node (Redis's streamValidateListpackIntegrity,
/// not empty, no two under one master ID), the length against the nodes,
/// and the consumer groups (no duplicate group, consumer or pending entry,
/// every consumer's pending entry in its group's; under deep sanitization
/// every pending entry owned by a consumer).
fn check_stream(value: &Value<'_>, deep: bool, deep_checks: &mut u64) -> Result<()> {
    let at = value.offset;
    let mut masters = HashSet::new();
    let nodes = value.stream_nodes()?;
    for (master, lp) in &nodes {
        *deep_checks += u64::from(deep);
        if !stream_listpack_valid(lp, deep) {
            return Err(corrupt(at, "Stream listpack integrity check failed."));
        }
        if lp[6] == 0xff {
            return Err(corrupt(at, "Empty listpack inside stream"));
        }
        // Redis asserts on a first entry its shallow check did not cover.
        if listpack::validate_next(lp, 6).is_none() {
            return Err(corrupt(at, "Stream listpack first entry is malformed"));
        }
        if !masters.insert(*master) {
            return Err(corrupt(at, "Listpack re-added with existing key"));
        }
    }
    let meta = value.stream_meta()?;
    if meta.length > 0 && nodes.is_empty() {
        return Err(corrupt(at, "Stream length inconsistent with rax entries"));
    }
    let mut groups = HashSet::new();
    for g in &meta.groups {
        if !groups.insert(&g.name) {
            return Err(corrupt(
                at,
                format!(
                    "Duplicated consumer group name {}",
                    String::from_utf8_lossy(&g.name)
                ),
            ));
        }
        let mut pel: HashSet<StreamId> = HashSet::new();
        for p in &g.pending {
            if !pel.insert(p.id) {
                return Err(corrupt(
                    at,
                    "Duplicated global PEL entry loading stream consumer group",
                ));
            }
        }
        let mut consumers = HashSet::new();
        let mut owned: HashSet<StreamId> = HashSet::new();
        for c in &g.consumers {
            if !consumers.insert(&c.name) {
                return Err(corrupt(at, "Duplicate stream consumer detected."));
            }
            let mut mine = HashSet::new();
            for id in &c.pending {
                if !pel.contains(id) {
                    return Err(corrupt(at, "Consumer entry not found in group global PEL"));
                }
                if !mine.insert(*id) {
                    return Err(corrupt(
                        at,
                        "Duplicated consumer PEL entry loading a stream consumer group",
                    ));
                }
                owned.insert(*id);
            }
        }
        if deep && owned.len() != pel.len() {
            return Err(corrupt(at, "Stream CG PEL entry without consumer"));
        }
    }
    Ok(())
}

const STREAM_ITEM_FLAG_SAMEFIELDS: i64 = 2;

/// Redis's streamValidateListpackIntegrity: the listpack's header always;
/// under deep sanitization also the stream layout walked entry by entry
/// (the master entry, then per entry: flags, ID, fields or values only
/// when it has the master's fields, and an item count matching them).
pub fn stream_listpack_valid(lp: &[u8], deep: bool) -> bool {
    if listpack::validate(lp, false).is_none() {
        return false;
    }
    if !deep {
        return true;
    }
    // `next` runs one entry ahead of `p`, each step validated
    // (lpValidateNext); None past the end byte.
    let step = |pp: &mut Option<usize>| -> bool {
        let Some(p) = *pp else {
            return false;
        };
        if p < 6 || p >= lp.len() {
            return false;
        }
        if lp[p] == 0xff {
            *pp = None;
            return true;
        }
        match listpack::validate_next(lp, p) {
            Some(n) => {
                *pp = Some(n);
                true
            }
            None => false,
        }
    };
    // An integer entry (Redis reads the end byte as a large integer too).
    let int = |p: Option<usize>| -> Option<i64> {
        let p = p?;
        if lp[p] == 0xff {
            return Some(12_345_678_900_000_255);
        }
        Listpack::item_at(lp, p)?.as_i64()
    };
    let mut p = (lp[6] != 0xff).then_some(6);
    let mut next = p;
    if !step(&mut next) || p.is_none() {
        return false;
    }
    macro_rules! advance {
        () => {
            p = next;
            if !step(&mut next) {
                return false;
            }
        };
    }
    let Some(entry_count) = int(p) else {
        return false;
    };
    advance!();
    let Some(deleted) = int(p) else {
        return false;
    };
    advance!();
    let Some(master_fields) = int(p) else {
        return false;
    };
    advance!();
    for _ in 0..master_fields {
        advance!();
    }
    if int(p) != Some(0) {
        return false;
    }
    advance!();
    let mut left = entry_count.wrapping_add(deleted);
    while left != 0 {
        left = left.wrapping_sub(1);
        if p.is_none() {
            return false;
        }
        let mut fields = master_fields;
        let mut extra: i64 = 3;
        let Some(flags) = int(p) else {
            return false;
        };
        advance!();
        if int(p).is_none() {
            return false;
        }
        advance!();
        if int(p).is_none() {
            return false;
        }
        advance!();
        if flags & STREAM_ITEM_FLAG_SAMEFIELDS == 0 {
            let Some(n) = int(p) else {
                return false;
            };
            fields = n;
            advance!();
            for _ in 0..fields {
                advance!();
            }
            extra = extra.wrapping_add(fields).wrapping_add(1);
        }
        for _ in 0..fields {
            advance!();
        }
        if int(p) != Some(fields.wrapping_add(extra)) {
            return false;
        }
        advance!();
    }
    next.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listpack of 7-bit integers and short strings.
    fn lp(items: &[&[u8]]) -> Vec<u8> {
        let mut v = vec![0, 0, 0, 0, items.len() as u8, 0];
        for item in items {
            match item {
                [n] if *n < 0x80 && !n.is_ascii_alphabetic() => v.extend([*n, 1]),
                s => {
                    v.push(0x80 | s.len() as u8);
                    v.extend_from_slice(s);
                    v.push(1 + s.len() as u8);
                }
            }
        }
        v.push(0xff);
        let n = v.len() as u32;
        v[..4].copy_from_slice(&n.to_le_bytes());
        v
    }

    #[test]
    fn listpacks_are_checked_shallow_and_deep() {
        let good = lp(&[b"a", b"bc", &[5]]);
        assert!(listpack::validate(&good, true).is_some());
        let mut backlen = good.clone();
        backlen[8] = 3; // "a" is 2 bytes long, its backlen says 3
        assert!(listpack::validate(&backlen, false).is_some());
        assert!(listpack::validate(&backlen, true).is_none());
        let mut count = good.clone();
        count[4] = 4;
        assert!(listpack::validate(&count, true).is_none());
        count[4..6].copy_from_slice(&[0xff, 0xff]); // "unknown" count
        assert!(listpack::validate(&count, true).is_some());
        let mut size = good.clone();
        size[0] += 1;
        assert!(listpack::validate(&size, false).is_none());
        let mut encoding = good.clone();
        encoding[6] = 0xf5; // no such encoding
        assert!(listpack::validate(&encoding, true).is_none());
        // An entry reaching past the end byte.
        let mut long = good;
        long[6] = 0x80 | 40;
        assert!(listpack::validate(&long, true).is_none());
    }

    #[test]
    fn ziplists_are_checked_in_full() {
        // zlbytes, zltail, zllen, then "a" and "b" (prevlen, 6-bit length).
        let mut zl = vec![0, 0, 0, 0, 13, 0, 0, 0, 2, 0, 0, 1, b'a', 3, 1, b'b', 0xff];
        let n = zl.len() as u32;
        zl[..4].copy_from_slice(&n.to_le_bytes());
        assert_eq!(ziplist::validate(&zl), Some(vec![10, 13]));
        let mut prevlen = zl.clone();
        prevlen[13] = 2;
        assert!(ziplist::validate(&prevlen).is_none());
        let mut tail = zl.clone();
        tail[4] = 10;
        assert!(ziplist::validate(&tail).is_none());
        let mut count = zl.clone();
        count[8] = 3;
        assert!(ziplist::validate(&count).is_none());
        let mut encoding = zl;
        encoding[11] = 0xc5; // not an integer encoding
        assert!(ziplist::validate(&encoding).is_none());
    }

    #[test]
    fn intsets_and_zipmaps() {
        let set = |width: u32, values: &[i64]| {
            let mut v = width.to_le_bytes().to_vec();
            v.extend((values.len() as u32).to_le_bytes());
            for x in values {
                v.extend_from_slice(&x.to_le_bytes()[..width as usize]);
            }
            v
        };
        assert!(intset::validate(&set(2, &[1, 2]), true));
        assert!(intset::validate(&set(2, &[2, 1]), false));
        assert!(!intset::validate(&set(2, &[2, 1]), true));
        assert!(!intset::validate(&set(2, &[1, 1]), true));
        assert!(!intset::validate(&set(2, &[]), false));
        assert!(!intset::validate(&set(3, &[1]), false));
        let mut short = set(4, &[1, 2]);
        short.pop();
        assert!(!intset::validate(&short, false));

        // One pair "k" => "v" with one free byte.
        let zm = [1, 1, b'k', 1, 1, b'v', 0, 0xff];
        assert!(zipmap::validate(&zm));
        assert!(!zipmap::validate(&[0, 0xff]), "empty");
        let mut count = zm;
        count[0] = 2;
        assert!(!zipmap::validate(&count));
        let mut free = zm;
        free[4] = 9; // free bytes past the end
        assert!(!zipmap::validate(&free));
    }

    /// One entry `f v` with the master's fields; `lp_count` is its item
    /// count (4 when right).
    fn stream_lp(lp_count: u8) -> Vec<u8> {
        lp(&[
            &[1],
            &[0],
            &[1],
            b"f",
            &[0],
            &[2],
            &[0],
            &[0],
            b"v",
            &[lp_count],
        ])
    }

    #[test]
    fn stream_listpacks_are_walked_when_deep() {
        assert!(stream_listpack_valid(&stream_lp(4), true));
        assert!(stream_listpack_valid(&stream_lp(5), false));
        assert!(!stream_listpack_valid(&stream_lp(5), true));
        // The master entry says two entries, the listpack holds one.
        let mut lp2 = stream_lp(4);
        lp2[6] = 2;
        assert!(!stream_listpack_valid(&lp2, true));
        // An empty listpack, a bad header.
        assert!(!stream_listpack_valid(&lp(&[]), true));
        let mut bad = stream_lp(4);
        bad[0] += 1;
        assert!(!stream_listpack_valid(&bad, false));
    }
}
