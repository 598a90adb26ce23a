//! Sorted sets: "listpack" (member and score entries in (score, member)
//! order in one [`Packed`] buffer) while there are at most
//! `zset-max-listpack-entries` members none longer than
//! `zset-max-listpack-value`; "skiplist" (a [`Skiplist`] for order and
//! rank, whose own member index finds a member's node) beyond. Redis
//! 7.0's rules:
//! convert on the insertion that would exceed a threshold; go back to the
//! compact form only for results stored by ZRANGESTORE and the
//! ZUNIONSTORE family.
//!
//! In the packed form an entry is a length-prefixed member followed by its
//! score as 8 little-endian bytes.

use super::super::dict::Rng;
use super::Value;
use super::packed::{self, Packed};
use super::skiplist::{Interval, LexRange, NIL, ScoreRange, Skiplist};
use super::{Counted, Scored, limits};

/// The full encoding: order and rank from the skiplist, scores by member
/// from the skiplist's member index.
#[derive(Clone, Debug, Default)]
pub struct SkipZset {
    pub list: Skiplist,
}

/// Same members with the same scores (so the same order).
impl PartialEq for SkipZset {
    fn eq(&self, other: &SkipZset) -> bool {
        self.list.len() == other.list.len()
            && ZsetRef::Skip(self).iter().all(|(m, s)| {
                other
                    .list
                    .score_of(m)
                    .is_some_and(|o| o.total_cmp(&s).is_eq())
            })
    }
}

/// A sorted set for reading.
#[derive(Clone, Copy)]
pub enum ZsetRef<'a> {
    Packed(&'a Packed),
    Skip(&'a SkipZset),
}

/// The result of [`add`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Added {
    pub added: bool,
    pub updated: bool,
    /// Nothing done because of NX/XX/GT/LT.
    pub nop: bool,
    pub score: f64,
}

/// ZADD's options.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    pub incr: bool,
}

/// An empty sorted set in the encoding ZADD would create for a first
/// member of `first_len` bytes.
pub fn new_for(first_len: usize) -> Value {
    let l = limits();
    if l.zset_max_listpack_entries == 0 || first_len > l.zset_max_listpack_value {
        Value::ZsetSkiplist(Box::default())
    } else {
        Value::ZsetPacked(Packed::new())
    }
}

/// Entry helpers for the packed form.
fn put(out: &mut Vec<u8>, member: &[u8], score: f64) {
    // Redis's listpack stores an integral score as an integer, so -0
    // comes back as 0 (the skiplist keeps -0).
    let score = if score == 0.0 { 0.0 } else { score };
    packed::put_entry(out, member);
    out.extend_from_slice(&score.to_le_bytes());
}

#[inline]
fn read_at(buf: &[u8], at: usize) -> (&[u8], f64, usize) {
    let (member, end) = packed::entry_at(buf, at);
    let mut s = [0u8; 8];
    s.copy_from_slice(&buf[end..end + 8]);
    (member, f64::from_le_bytes(s), end + 8)
}

/// Every (member, score, offset) of a packed sorted set, in order.
fn packed_items(p: &Packed) -> PackedIter<'_> {
    PackedIter {
        buf: p.bytes(),
        at: 0,
    }
}

struct PackedIter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = (&'a [u8], f64, usize);
    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let start = self.at;
        let (m, s, next) = read_at(self.buf, start);
        self.at = next;
        Some((m, s, start))
    }
}

fn find_packed(p: &Packed, member: &[u8]) -> Option<(usize, usize, f64)> {
    let buf = p.bytes();
    let mut at = 0;
    while at < buf.len() {
        let (m, s, next) = read_at(buf, at);
        if m == member {
            return Some((at, next, s));
        }
        at = next;
    }
    None
}

fn insert_packed(p: &mut Packed, member: &[u8], score: f64) {
    let buf = p.bytes();
    let mut at = 0;
    while at < buf.len() {
        let (m, s, next) = read_at(buf, at);
        if s > score || (s == score && m > member) {
            break;
        }
        at = next;
    }
    let mut e = Vec::with_capacity(packed::entry_size(member.len()) + 8);
    put(&mut e, member, score);
    p.splice(at, at, &e);
    let c = p.count() + 1;
    p.set_count(c);
}

fn delete_packed_at(p: &mut Packed, start: usize, end: usize) {
    p.splice(start, end, &[]);
    let c = p.count() - 1;
    p.set_count(c);
}

impl<'a> ZsetRef<'a> {
    pub fn of(value: &'a Value) -> Option<ZsetRef<'a>> {
        match value {
            Value::ZsetPacked(p) => Some(ZsetRef::Packed(p)),
            Value::ZsetSkiplist(z) => Some(ZsetRef::Skip(z)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZsetRef::Packed(p) => p.count(),
            ZsetRef::Skip(z) => z.list.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZsetRef::Packed(p) => find_packed(p, member).map(|(_, _, s)| s),
            ZsetRef::Skip(z) => z.list.score_of(member),
        }
    }

    /// 0-based rank of `member` counting from the lowest (or the highest
    /// when `reverse`).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let len = self.len();
        let r = match self {
            ZsetRef::Packed(p) => packed_items(p).position(|(m, _, _)| m == member)?,
            ZsetRef::Skip(z) => {
                let score = z.list.score_of(member)?;
                z.list.rank(score, member).checked_sub(1)?
            }
        };
        Some(if reverse { len - 1 - r } else { r })
    }

    /// Every member with its score, in order.
    pub fn iter(&self) -> Scored<'a> {
        self.range_by_rank(0, self.len(), false)
    }

    /// `count` members from 0-based rank `start` (counted from the highest
    /// when `reverse`), walking in that direction.
    pub fn range_by_rank(&self, start: usize, count: usize, reverse: bool) -> Scored<'a> {
        let len = self.len();
        let count = count.min(len.saturating_sub(start));
        let inner: Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a> = match *self {
            ZsetRef::Packed(p) => {
                if reverse {
                    let items: Vec<(&'a [u8], f64)> =
                        packed_items(p).map(|(m, s, _)| (m, s)).collect();
                    let end = len - start;
                    Box::new(items.into_iter().take(end).rev().take(count))
                } else {
                    Box::new(
                        packed_items(p)
                            .map(|(m, s, _)| (m, s))
                            .skip(start)
                            .take(count),
                    )
                }
            }
            ZsetRef::Skip(z) => {
                let list = &z.list;
                let mut x = if count == 0 {
                    NIL
                } else if reverse {
                    list.by_rank(len - start)
                } else {
                    list.by_rank(start + 1)
                };
                let mut left = count;
                Box::new(std::iter::from_fn(move || {
                    if left == 0 || x == NIL {
                        return None;
                    }
                    left -= 1;
                    let item = (list.member(x), list.score(x));
                    x = if reverse { list.prev(x) } else { list.next(x) };
                    Some(item)
                }))
            }
        };
        Counted::new(inner, count)
    }

    /// Members within a score range, skipping `offset`, at most `limit`
    /// (negative: all), walking down from the top when `reverse`.
    pub fn range_by_score(
        &self,
        r: &ScoreRange,
        offset: usize,
        limit: i64,
        reverse: bool,
    ) -> Vec<(&'a [u8], f64)> {
        self.range_in(r, offset, limit, reverse)
    }

    /// As [`ZsetRef::range_by_score`] for a lexicographic range.
    pub fn range_by_lex(
        &self,
        r: &LexRange,
        offset: usize,
        limit: i64,
        reverse: bool,
    ) -> Vec<(&'a [u8], f64)> {
        self.range_in(r, offset, limit, reverse)
    }

    fn range_in(
        &self,
        r: &impl Interval,
        offset: usize,
        mut limit: i64,
        reverse: bool,
    ) -> Vec<(&'a [u8], f64)> {
        let mut out = Vec::new();
        if r.is_empty() {
            return out;
        }
        // Past the range's far end (walking in `reverse` or not).
        let inside = |m: &[u8], s: f64| {
            if reverse {
                r.gte_min(m, s)
            } else {
                r.lte_max(m, s)
            }
        };
        match *self {
            ZsetRef::Packed(p) => {
                let items: Vec<(&'a [u8], f64)> = packed_items(p).map(|(m, s, _)| (m, s)).collect();
                let iter: Box<dyn Iterator<Item = &(&'a [u8], f64)>> = if reverse {
                    Box::new(items.iter().rev().skip_while(|(m, s)| !r.lte_max(m, *s)))
                } else {
                    Box::new(items.iter().skip_while(|(m, s)| !r.gte_min(m, *s)))
                };
                for &(m, s) in iter.skip(offset) {
                    if limit == 0 || !inside(m, s) {
                        break;
                    }
                    out.push((m, s));
                    limit -= 1;
                }
            }
            ZsetRef::Skip(z) => {
                let list = &z.list;
                let step = |x| if reverse { list.prev(x) } else { list.next(x) };
                let mut x = if reverse {
                    list.last_in(r)
                } else {
                    list.first_in(r)
                };
                for _ in 0..offset {
                    if x == NIL {
                        break;
                    }
                    x = step(x);
                }
                while x != NIL && limit != 0 {
                    let (m, s) = (list.member(x), list.score(x));
                    if !inside(m, s) {
                        break;
                    }
                    out.push((m, s));
                    limit -= 1;
                    x = step(x);
                }
            }
        }
        out
    }

    /// Members within a score or lexicographic range (O(log n) for the
    /// skiplist).
    pub fn count_in(&self, r: &impl Interval) -> usize {
        if r.is_empty() {
            return 0;
        }
        match self {
            ZsetRef::Packed(p) => packed_items(p)
                .filter(|(m, s, _)| r.gte_min(m, *s) && r.lte_max(m, *s))
                .count(),
            ZsetRef::Skip(z) => {
                let l = &z.list;
                let first = l.first_in(r);
                if first == NIL {
                    return 0;
                }
                let last = l.last_in(r);
                l.rank(l.score(last), l.member(last)) - l.rank(l.score(first), l.member(first)) + 1
            }
        }
    }

    /// A member and its score chosen at random.
    pub fn random(&self, rng: &mut Rng) -> Option<(&'a [u8], f64)> {
        match *self {
            ZsetRef::Packed(p) => {
                let n = p.count();
                if n == 0 {
                    return None;
                }
                let k = rng.below(n as u64) as usize;
                packed_items(p).nth(k).map(|(m, s, _)| (m, s))
            }
            ZsetRef::Skip(z) => z.list.random(rng),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            ZsetRef::Packed(p) => p.heap_bytes(),
            ZsetRef::Skip(z) => std::mem::size_of::<SkipZset>() + z.list.heap_bytes(),
        }
    }
}

/// Convert to the skiplist encoding.
pub fn convert_to_skiplist(value: &mut Value) {
    if let Value::ZsetPacked(p) = value {
        let mut z = SkipZset::default();
        z.list.reserve(p.count());
        for (m, s, _) in packed_items(p) {
            z.list.insert(s, m);
        }
        *value = Value::ZsetSkiplist(Box::new(z));
    }
}

/// Redis's zsetConvertToListpackIfNeeded, for stored results.
pub fn compact_if_small(value: &mut Value) {
    if let Value::ZsetSkiplist(z) = value {
        let l = limits();
        if z.list.len() > l.zset_max_listpack_entries {
            return;
        }
        let r = ZsetRef::Skip(z);
        if r.iter().any(|(m, _)| m.len() > l.zset_max_listpack_value) {
            return;
        }
        let mut buf = Vec::new();
        for (m, s) in r.iter() {
            put(&mut buf, m, s);
        }
        *value = Value::ZsetPacked(Packed::from_bytes(&buf, z.list.len() as u32));
    }
}

/// Redis's zsetAdd. `None` when the resulting score is NaN.
pub fn add(value: &mut Value, score: f64, member: &[u8], f: AddFlags) -> Option<Added> {
    if score.is_nan() {
        return None;
    }
    let mut out = Added {
        score,
        ..Added::default()
    };
    let current = ZsetRef::of(value)?.score(member);
    match current {
        Some(cur) => {
            if f.nx {
                out.nop = true;
                return Some(out);
            }
            let mut score = score;
            if f.incr {
                score += cur;
                if score.is_nan() {
                    return None;
                }
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                out.nop = true;
                return Some(out);
            }
            out.score = score;
            #[allow(clippy::float_cmp)]
            if score != cur {
                match value {
                    Value::ZsetPacked(p) => {
                        if let Some((start, end, _)) = find_packed(p, member) {
                            delete_packed_at(p, start, end);
                        }
                        insert_packed(p, member, score);
                    }
                    Value::ZsetSkiplist(z) => {
                        z.list.update_score(member, score);
                    }
                    _ => {}
                }
                out.updated = true;
            }
            Some(out)
        }
        None if f.xx => {
            out.nop = true;
            Some(out)
        }
        None => {
            let l = limits();
            if let Value::ZsetPacked(p) = value
                && (p.count() + 1 > l.zset_max_listpack_entries
                    || member.len() > l.zset_max_listpack_value)
            {
                convert_to_skiplist(value);
            }
            match value {
                Value::ZsetPacked(p) => insert_packed(p, member, score),
                Value::ZsetSkiplist(z) => z.list.insert(score, member),
                _ => {}
            }
            out.added = true;
            Some(out)
        }
    }
}

/// Remove a member; true when it was there.
pub fn remove(value: &mut Value, member: &[u8]) -> bool {
    match value {
        Value::ZsetPacked(p) => match find_packed(p, member) {
            Some((start, end, _)) => {
                delete_packed_at(p, start, end);
                true
            }
            None => false,
        },
        Value::ZsetSkiplist(z) => {
            let found = z.list.remove(member).is_some();
            if found {
                z.list.shrink_if_sparse();
            }
            found
        }
        _ => false,
    }
}

/// What a range removal selects.
pub enum RemoveRange<'r> {
    /// 0-based inclusive ranks, already clamped to the set.
    Rank(usize, usize),
    Score(&'r ScoreRange),
    Lex(&'r LexRange),
}

/// Remove a range; returns how many members went.
pub fn remove_range(value: &mut Value, range: RemoveRange<'_>) -> usize {
    match value {
        Value::ZsetPacked(p) => {
            let mut out = Vec::new();
            let mut kept = 0u32;
            let mut removed = 0;
            for (k, (m, s, _)) in packed_items(p).enumerate() {
                let hit = match &range {
                    RemoveRange::Rank(a, b) => (*a..=*b).contains(&k),
                    RemoveRange::Score(r) => r.contains(s),
                    RemoveRange::Lex(r) => !r.is_empty() && r.contains(m),
                };
                if hit {
                    removed += 1;
                } else {
                    put(&mut out, m, s);
                    kept += 1;
                }
            }
            if removed > 0 {
                *p = Packed::from_bytes(&out, kept);
            }
            removed
        }
        Value::ZsetSkiplist(z) => {
            let list = &mut z.list;
            let removed = match range {
                RemoveRange::Rank(a, b) => {
                    list.delete_run_from_rank(a + 1, |k, _, _| k <= b - a + 1)
                }
                RemoveRange::Score(r) => list.delete_run_in(r, |_, s, _| r.lte_max(s)),
                RemoveRange::Lex(r) => list.delete_run_in(r, |_, _, m| r.lte_max(m)),
            };
            list.shrink_if_sparse();
            removed
        }
        _ => 0,
    }
}

/// A sorted set of `pairs` in the encoding Redis would load it with.
pub fn from_pairs<'p>(pairs: impl ExactSizeIterator<Item = (&'p [u8], f64)> + Clone) -> Value {
    let l = limits();
    let mut value = if pairs.len() <= l.zset_max_listpack_entries
        && pairs
            .clone()
            .all(|(m, _)| m.len() <= l.zset_max_listpack_value)
    {
        Value::ZsetPacked(Packed::new())
    } else {
        let mut z = SkipZset::default();
        z.list.reserve(pairs.len());
        Value::ZsetSkiplist(Box::new(z))
    };
    if let Value::ZsetPacked(p) = &mut value {
        let mut seen = std::collections::HashSet::new();
        let mut sorted: Vec<(&[u8], f64)> = pairs.filter(|(m, _)| seen.insert(*m)).collect();
        sorted.sort_by(|a, b| {
            a.1.partial_cmp(&b.1)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.0.cmp(b.0))
        });
        let mut buf = Vec::new();
        for (m, s) in &sorted {
            put(&mut buf, m, *s);
        }
        *p = Packed::from_bytes(&buf, sorted.len() as u32);
        return value;
    }
    for (m, s) in pairs {
        add(&mut value, s, m, AddFlags::default());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_converts_and_keeps_order() {
        let mut v = new_for(1);
        for i in 0..128 {
            let r = add(
                &mut v,
                f64::from(128 - i),
                format!("m{i}").as_bytes(),
                AddFlags::default(),
            )
            .unwrap();
            assert!(r.added);
        }
        assert_eq!(v.encoding(), "listpack");
        let z = ZsetRef::of(&v).unwrap();
        assert_eq!(z.rank(b"m127", false), Some(0));
        assert_eq!(z.rank(b"m127", true), Some(127));
        add(&mut v, 0.5, b"extra", AddFlags::default());
        assert_eq!(v.encoding(), "skiplist");
        let z = ZsetRef::of(&v).unwrap();
        assert_eq!(z.rank(b"extra", false), Some(0));
        assert_eq!(z.rank(b"m127", false), Some(1));
        let top: Vec<&[u8]> = z.range_by_rank(0, 2, true).map(|(m, _)| m).collect();
        assert_eq!(top, vec![&b"m0"[..], b"m1"]);
        let incr = AddFlags {
            incr: true,
            ..AddFlags::default()
        };
        let r = add(&mut v, 1000.0, b"extra", incr).unwrap();
        assert!(r.updated);
        assert_eq!(r.score, 1000.5);
        assert_eq!(ZsetRef::of(&v).unwrap().rank(b"extra", true), Some(0));
        assert!(remove(&mut v, b"extra"));
        let range = ScoreRange {
            min: 1.0,
            max: 10.0,
            min_ex: false,
            max_ex: false,
        };
        assert_eq!(ZsetRef::of(&v).unwrap().count_in(&range), 10);
        assert_eq!(remove_range(&mut v, RemoveRange::Score(&range)), 10);
        assert_eq!(ZsetRef::of(&v).unwrap().len(), 118);
        compact_if_small(&mut v);
        assert_eq!(v.encoding(), "listpack");
        assert_eq!(remove_range(&mut v, RemoveRange::Rank(0, 9)), 10);
        assert_eq!(
            ZsetRef::of(&v).unwrap().iter().next().map(|(_, s)| s),
            Some(21.0)
        );
    }
}
