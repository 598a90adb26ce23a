//! Aggregates over the keys of a snapshot, in bounded memory: counts and
//! sizes per database, type and encoding; the N biggest keys by size and
//! by element count; sizes by key prefix; an expiry histogram.
//!
//! Memory does not grow with the number of keys: the top-N lists hold N
//! keys each, and the prefix table holds at most [`PREFIX_CAP`] prefixes
//! per depth. When a dump has more distinct prefixes than that, the table
//! keeps the heaviest half each time it fills up and marks itself
//! approximate: a prefix dropped and seen again restarts from zero.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use super::format::ObjectType;

/// Most distinct prefixes kept per depth before pruning.
pub const PREFIX_CAP: usize = 100_000;

/// A fast non-cryptographic hasher for the prefix tables (keys come from
/// the file being inspected; a hostile file can at worst make the table
/// slower, and it is bounded in size anyway).
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        self.0 = h;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Keys, elements, serialized bytes and estimated RAM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub keys: u64,
    pub elements: u64,
    pub bytes: u64,
    pub ram: u64,
}

impl Tally {
    fn add(&mut self, k: &KeyFacts<'_>) {
        self.keys += 1;
        self.elements += k.len;
        self.bytes += k.size;
        self.ram += k.ram;
    }
}

/// What the aggregates need to know about one key.
#[derive(Clone, Copy, Debug)]
pub struct KeyFacts<'k> {
    pub db: u64,
    pub key: &'k [u8],
    pub object_type: ObjectType,
    pub encoding: &'static str,
    /// Elements (bytes for strings).
    pub len: u64,
    /// Serialized bytes (type byte, key and value).
    pub size: u64,
    pub ram: u64,
    pub expire_ms: Option<i64>,
}

/// A key kept in a top-N list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BigKey {
    pub metric: u64,
    pub db: u64,
    pub key: Vec<u8>,
    pub object_type: ObjectType,
    pub encoding: &'static str,
    pub len: u64,
    pub size: u64,
    pub ram: u64,
}

/// The N largest keys by some metric (a min-heap of size N).
#[derive(Debug)]
pub struct TopN {
    n: usize,
    heap: BinaryHeap<Reverse<BigKey>>,
}

impl TopN {
    pub fn new(n: usize) -> TopN {
        TopN {
            n,
            // Grown as keys come: `--top` may ask for more than there are.
            heap: BinaryHeap::with_capacity(n.saturating_add(1).min(1024)),
        }
    }

    pub fn offer(&mut self, metric: u64, k: &KeyFacts<'_>) {
        if self.n == 0 {
            return;
        }
        if self.heap.len() == self.n
            && let Some(Reverse(min)) = self.heap.peek()
            && min.metric >= metric
        {
            return;
        }
        self.heap.push(Reverse(BigKey {
            metric,
            db: k.db,
            key: k.key.to_vec(),
            object_type: k.object_type,
            encoding: k.encoding,
            len: k.len,
            size: k.size,
            ram: k.ram,
        }));
        if self.heap.len() > self.n {
            self.heap.pop();
        }
    }

    /// Largest first.
    pub fn into_sorted(self) -> Vec<BigKey> {
        let mut v: Vec<BigKey> = self.heap.into_iter().map(|Reverse(k)| k).collect();
        v.sort_by(|a, b| b.metric.cmp(&a.metric).then_with(|| a.key.cmp(&b.key)));
        v
    }
}

/// Sizes by key prefix at depths 1..=depth.
#[derive(Debug)]
pub struct Prefixes {
    separator: Vec<u8>,
    /// Built once: constructing a searcher per key costs more than the search.
    finder: memchr::memmem::Finder<'static>,
    tables: Vec<FastMap<Vec<u8>, Tally>>,
    pub approximate: bool,
}

impl Prefixes {
    pub fn new(separator: &[u8], depth: usize) -> Prefixes {
        Prefixes {
            separator: separator.to_vec(),
            finder: memchr::memmem::Finder::new(separator).into_owned(),
            tables: (0..depth).map(|_| FastMap::default()).collect(),
            approximate: false,
        }
    }

    pub fn add(&mut self, k: &KeyFacts<'_>) {
        if self.separator.is_empty() {
            return;
        }
        let mut from = 0usize;
        for depth in 0..self.tables.len() {
            let rest = &k.key[from..];
            // Keys are short: a plain scan for a one-byte separator beats
            // setting up a vectorised search.
            let found = match self.separator[..] {
                [byte] => rest.iter().position(|&b| b == byte),
                _ => self.finder.find(rest),
            };
            let Some(found) = found else {
                break;
            };
            let end = from + found + self.separator.len();
            let prefix = &k.key[..end];
            let table = &mut self.tables[depth];
            match table.get_mut(prefix) {
                Some(t) => t.add(k),
                None => {
                    if table.len() >= PREFIX_CAP {
                        prune(table);
                        self.approximate = true;
                    }
                    let mut t = Tally::default();
                    t.add(k);
                    table.insert(prefix.to_vec(), t);
                }
            }
            from = end;
        }
    }

    /// The `n` heaviest prefixes (by serialized bytes) of each depth.
    pub fn top(&self, n: usize) -> Vec<(usize, Vec<u8>, Tally)> {
        let mut out = Vec::new();
        for (i, table) in self.tables.iter().enumerate() {
            let mut rows: Vec<(&Vec<u8>, &Tally)> = table.iter().collect();
            rows.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then_with(|| a.0.cmp(b.0)));
            out.extend(
                rows.into_iter()
                    .take(n)
                    .map(|(p, t)| (i + 1, p.clone(), *t)),
            );
        }
        out
    }
}

fn prune(table: &mut FastMap<Vec<u8>, Tally>) {
    let mut sizes: Vec<u64> = table.values().map(|t| t.bytes).collect();
    let keep = PREFIX_CAP / 2;
    let cut = sizes.len() - keep;
    let (_, threshold, _) = sizes.select_nth_unstable(cut);
    let threshold = *threshold;
    table.retain(|_, t| t.bytes > threshold);
}

/// Keys by time to expiry relative to `now`.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct ExpiryHistogram {
    pub expired: u64,
    pub within_1h: u64,
    pub within_1d: u64,
    pub within_7d: u64,
    pub later: u64,
    pub none: u64,
}

impl ExpiryHistogram {
    pub fn add(&mut self, expire_ms: Option<i64>, now_ms: i64) {
        self.add_weighted(expire_ms, now_ms, 1);
    }

    /// Add `weight` (e.g. a key's bytes) to the key's bucket.
    pub fn add_weighted(&mut self, expire_ms: Option<i64>, now_ms: i64, weight: u64) {
        const HOUR: i64 = 3_600_000;
        match expire_ms {
            None => self.none += weight,
            Some(t) => {
                let left = t.saturating_sub(now_ms);
                if left <= 0 {
                    self.expired += weight;
                } else if left < HOUR {
                    self.within_1h += weight;
                } else if left < 24 * HOUR {
                    self.within_1d += weight;
                } else if left < 7 * 24 * HOUR {
                    self.within_7d += weight;
                } else {
                    self.later += weight;
                }
            }
        }
    }
}

/// A distribution of values in bounded memory: four linear sub-buckets
/// per power of two (so a percentile is exact to within 25%, reported as
/// its bucket's upper bound, never above the true maximum).
#[derive(Clone, Debug)]
pub struct Distribution {
    counts: Vec<u64>,
    pub n: u64,
    pub max: u64,
    pub sum: u64,
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution {
            counts: vec![0; 4 + 62 * 4],
            n: 0,
            max: 0,
            sum: 0,
        }
    }
}

fn bucket_of(v: u64) -> usize {
    if v < 4 {
        return v as usize;
    }
    let k = 63 - v.leading_zeros() as usize;
    let sub = ((v >> (k - 2)) & 3) as usize;
    4 + (k - 2) * 4 + sub
}

/// The largest value that lands in bucket `i`.
fn bucket_upper(i: usize) -> u64 {
    if i < 4 {
        return i as u64;
    }
    let k = (i - 4) / 4 + 2;
    let sub = ((i - 4) % 4) as u64;
    let base = 1u64 << k;
    let step = 1u64 << (k - 2);
    (base + (sub + 1) * step).saturating_sub(1)
}

impl Distribution {
    #[inline]
    pub fn add(&mut self, v: u64) {
        self.counts[bucket_of(v)] += 1;
        self.n += 1;
        self.sum = self.sum.saturating_add(v);
        self.max = self.max.max(v);
    }

    /// The value at or below which `p` (0..=1) of the values lie.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.n == 0 {
            return 0;
        }
        let want = ((p * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return bucket_upper(i).min(self.max);
            }
        }
        self.max
    }

    /// Counts by power-of-two range: `(from, to, count)` for each
    /// non-empty range `[from, to]`.
    pub fn histogram(&self) -> Vec<(u64, u64, u64)> {
        let mut out: Vec<(u64, u64, u64)> = Vec::new();
        for (i, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let upper = bucket_upper(i);
            let (from, to) = if upper < 4 {
                (upper, upper)
            } else {
                let k = 63 - upper.leading_zeros();
                (1u64 << k, (1u64 << k).saturating_mul(2) - 1)
            };
            match out.last_mut() {
                Some(last) if last.0 == from => last.2 += c,
                _ => out.push((from, to, c)),
            }
        }
        out
    }
}

/// Size and length distributions of one type.
#[derive(Clone, Debug, Default)]
pub struct TypeShape {
    /// Serialized bytes.
    pub size: Distribution,
    /// Elements (bytes for strings).
    pub len: Distribution,
}

/// Per-database counts.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct DbTally {
    pub keys: u64,
    pub expires: u64,
    pub bytes: u64,
    pub ram: u64,
}

/// Everything the summary reports about keys.
#[derive(Debug)]
pub struct Stats {
    pub keys: u64,
    pub expires: u64,
    pub dbs: BTreeMap<u64, DbTally>,
    pub types: BTreeMap<ObjectType, Tally>,
    /// Few distinct pairs: a vector searched linearly beats a map here.
    pub encodings: Vec<((ObjectType, &'static str), Tally)>,
    pub by_size: TopN,
    pub by_len: TopN,
    pub prefixes: Prefixes,
    pub histogram: ExpiryHistogram,
    /// Serialized bytes by the same expiry buckets.
    pub histogram_bytes: ExpiryHistogram,
    /// Indexed by `ObjectType as usize`.
    pub shapes: [TypeShape; 7],
    /// Per-slot tallies, when asked for (16384 of them).
    pub slots: Option<Vec<Tally>>,
}

impl Stats {
    pub fn new(top: usize, separator: &[u8], depth: usize) -> Stats {
        Stats {
            keys: 0,
            expires: 0,
            dbs: BTreeMap::new(),
            types: BTreeMap::new(),
            encodings: Vec::new(),
            by_size: TopN::new(top),
            by_len: TopN::new(top),
            prefixes: Prefixes::new(separator, depth),
            histogram: ExpiryHistogram::default(),
            histogram_bytes: ExpiryHistogram::default(),
            shapes: Default::default(),
            slots: None,
        }
    }

    /// Also keep per-slot totals.
    pub fn with_slots(mut self) -> Stats {
        self.slots = Some(vec![Tally::default(); 16384]);
        self
    }

    pub fn add(&mut self, k: &KeyFacts<'_>, now_ms: i64) {
        self.keys += 1;
        let db = self.dbs.entry(k.db).or_default();
        db.keys += 1;
        db.bytes += k.size;
        db.ram += k.ram;
        if k.expire_ms.is_some() {
            self.expires += 1;
            db.expires += 1;
        }
        self.types.entry(k.object_type).or_default().add(k);
        let pair = (k.object_type, k.encoding);
        // Encoding names are static strings from one table: pointer equality
        // is the common hit, text equality the fallback.
        let same = |p: &(ObjectType, &'static str)| {
            p.0 == pair.0 && (std::ptr::eq(p.1, pair.1) || p.1 == pair.1)
        };
        match self.encodings.iter_mut().find(|(p, _)| same(p)) {
            Some((_, t)) => t.add(k),
            None => {
                let mut t = Tally::default();
                t.add(k);
                self.encodings.push((pair, t));
                self.encodings.sort_by_key(|(p, _)| *p);
            }
        }
        self.by_size.offer(k.size, k);
        self.by_len.offer(k.len, k);
        self.prefixes.add(k);
        self.histogram.add(k.expire_ms, now_ms);
        self.histogram_bytes
            .add_weighted(k.expire_ms, now_ms, k.size);
        let shape = &mut self.shapes[k.object_type as usize];
        shape.size.add(k.size);
        shape.len.add(k.len);
        if let Some(slots) = &mut self.slots {
            slots[usize::from(crate::ring::slots::key_slot(k.key))].add(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(key: &[u8], size: u64) -> KeyFacts<'_> {
        KeyFacts {
            db: 0,
            key,
            object_type: ObjectType::String,
            encoding: "raw",
            len: 1,
            size,
            ram: 1,
            expire_ms: None,
        }
    }

    #[test]
    fn distribution_percentiles() {
        let mut d = Distribution::default();
        for v in 1..=1000u64 {
            d.add(v);
        }
        assert_eq!(d.max, 1000);
        let p50 = d.percentile(0.5);
        assert!((500..=640).contains(&p50), "{p50}");
        assert_eq!(d.percentile(1.0), 1000);
        for i in 0..200 {
            let u = bucket_upper(i);
            assert_eq!(bucket_of(u), i, "bucket {i} upper {u}");
            assert_eq!(bucket_of(u + 1), i + 1);
        }
        let h = d.histogram();
        assert_eq!(h.iter().map(|r| r.2).sum::<u64>(), 1000);
        assert_eq!(h[0], (1, 1, 1));
    }

    #[test]
    fn top_n_keeps_the_largest() {
        let mut t = TopN::new(2);
        for (k, s) in [(&b"a"[..], 5), (b"b", 9), (b"c", 1), (b"d", 7)] {
            t.offer(s, &facts(k, s));
        }
        let keys: Vec<Vec<u8>> = t.into_sorted().into_iter().map(|k| k.key).collect();
        assert_eq!(keys, vec![b"b".to_vec(), b"d".to_vec()]);
    }

    #[test]
    fn prefixes_by_depth_and_bounded() {
        let mut p = Prefixes::new(b":", 2);
        p.add(&facts(b"user:1:name", 10));
        p.add(&facts(b"user:2:name", 10));
        p.add(&facts(b"plain", 10));
        let top = p.top(10);
        assert_eq!(top[0].0, 1);
        assert_eq!(top[0].1, b"user:".to_vec());
        assert_eq!(top[0].2.keys, 2);
        assert_eq!(top.len(), 3);
        let mut p = Prefixes::new(b":", 1);
        for i in 0..(PREFIX_CAP as u64 + 10) {
            let key = format!("{i}:x");
            p.add(&facts(key.as_bytes(), i));
        }
        assert!(p.approximate);
        assert!(p.tables[0].len() <= PREFIX_CAP);
        assert_eq!(
            p.top(1)[0].1,
            format!("{}:", PREFIX_CAP as u64 + 9).into_bytes()
        );
    }
}
