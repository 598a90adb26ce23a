//! Aggregates over the keys of a snapshot, in bounded memory: counts and
//! sizes per database, type and encoding; the N biggest keys by size and
//! by element count; sizes by key prefix; an expiry histogram.
//!
//! Memory does not grow with the number of keys: the top-N lists hold N
//! keys each, and the prefix table holds at most [`PREFIX_CAP`] prefixes
//! per depth. When a dump has more distinct prefixes than that, the table
//! keeps the heaviest half each time it fills up and marks itself
//! approximate: a prefix dropped and seen again restarts from zero.

use crate::bytes::same;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hash::Hasher;

use super::format::ObjectType;

/// Every type, in report order (`ObjectType as usize` indexes arrays).
pub const OBJECT_TYPES: [ObjectType; 7] = [
    ObjectType::String,
    ObjectType::List,
    ObjectType::Set,
    ObjectType::Zset,
    ObjectType::Hash,
    ObjectType::Stream,
    ObjectType::Module,
];

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
        let rest = chunks.remainder();
        let n = rest.len();
        if n > 0 {
            // The last 1 to 7 bytes in one step, with their count so that
            // trailing zero bytes still count. Two overlapping loads (or
            // three single bytes) cover them all without a variable-length
            // copy, which would be a call to memcpy per prefix.
            let w = if n >= 4 {
                let (mut lo, mut hi) = ([0u8; 4], [0u8; 4]);
                lo.copy_from_slice(&rest[..4]);
                hi.copy_from_slice(&rest[n - 4..]);
                u64::from(u32::from_le_bytes(lo)) | u64::from(u32::from_le_bytes(hi)) << 32
            } else {
                u64::from(rest[0]) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16
            };
            let w = w ^ (n as u64) << 59;
            h = (h.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        self.0 = h;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

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

    fn merge(&mut self, o: &Tally) {
        self.keys += o.keys;
        self.elements += o.elements;
        self.bytes += o.bytes;
        self.ram += o.ram;
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
///
/// A key enters when the heap has room or when it beats the smallest kept
/// metric (the floor); it then pushes out the smallest kept key. Which of
/// several keys tied at the floor stay therefore depends on the order the
/// keys come in, and a report must not depend on how a file was cut
/// between threads. So a part of a file is tallied by a *logging* TopN
/// ([`TopN::logging`]), which also keeps, in order, every key that could
/// matter to the whole: each key that entered its heap, and the first N
/// keys tied at each floor. Offering the logs of all parts, in file order,
/// to one TopN ([`TopN::absorb`]) gives exactly what one TopN fed every key
/// would hold: the final floor F of the whole is at least each part's
/// floor; every key above F entered its part's heap; the keys at F that
/// count are the first N of the whole, which are among the first N of
/// their part; and keys below F, or tied at F after the first N, change
/// nothing in a TopN fed in order. The log stays bounded: entries below
/// the part's floor, and ties at it past the first N, are dropped.
#[derive(Debug)]
pub struct TopN {
    n: usize,
    /// The smallest metric kept once the heap is full (a key must beat it).
    floor: u64,
    heap: BinaryHeap<Reverse<BigKey>>,
    /// Logging mode: the keys that may matter to a merged result, in order.
    log: Option<Vec<BigKey>>,
    /// Logging mode: entries of `log` whose metric equals `floor`.
    ties: usize,
}

impl TopN {
    pub fn new(n: usize) -> TopN {
        TopN {
            n,
            floor: 0,
            // Grown as keys come: `--top` may ask for more than there are.
            heap: BinaryHeap::with_capacity(n.saturating_add(1).min(1024)),
            log: None,
            ties: 0,
        }
    }

    /// A TopN for one part of a file, whose log [`TopN::absorb`] takes.
    pub fn logging(n: usize) -> TopN {
        TopN {
            log: Some(Vec::new()),
            ..TopN::new(n)
        }
    }

    /// Most keys lose to the smallest kept one: that test is inlined, the
    /// rest is not.
    #[inline]
    pub fn offer(&mut self, metric: u64, k: &KeyFacts<'_>) {
        if metric > self.floor
            || self.heap.len() < self.n
            || (metric == self.floor && self.log.is_some() && self.ties < self.n)
        {
            self.offer_slow(metric, k);
        }
    }

    #[inline(never)]
    fn offer_slow(&mut self, metric: u64, k: &KeyFacts<'_>) {
        if self.n == 0 {
            return;
        }
        let big = BigKey {
            metric,
            db: k.db,
            key: k.key.to_vec(),
            object_type: k.object_type,
            encoding: k.encoding,
            len: k.len,
            size: k.size,
            ram: k.ram,
        };
        if self.log.is_some() {
            self.offer_logged(big);
        } else {
            self.offer_big(big);
        }
    }

    /// The ordinary rule: in when there is room or the key beats the floor.
    fn offer_big(&mut self, big: BigKey) {
        let metric = big.metric;
        if self.heap.len() == self.n
            && let Some(Reverse(min)) = self.heap.peek()
            && min.metric >= metric
        {
            return;
        }
        self.heap.push(Reverse(big));
        if self.heap.len() > self.n {
            self.heap.pop();
        }
        if self.heap.len() == self.n
            && let Some(Reverse(min)) = self.heap.peek()
        {
            self.floor = min.metric;
        }
    }

    /// Logging mode: see the type's docs.
    fn offer_logged(&mut self, big: BigKey) {
        let n = self.n;
        let full = self.heap.len() == n;
        if full && big.metric <= self.floor {
            // A tie at the floor cannot enter the heap, but the first N of
            // them may count in the whole.
            if big.metric == self.floor
                && self.ties < n
                && let Some(log) = self.log.as_mut()
            {
                log.push(big);
                self.ties += 1;
            }
            return;
        }
        if let Some(log) = self.log.as_mut() {
            log.push(big.clone());
        }
        self.offer_big(big);
        if self.heap.len() == n
            && let Some(log) = self.log.as_mut()
        {
            let floor = self.floor;
            if log.len() > 8 * n + 64 {
                // Drop what can no longer matter: below the floor, and
                // ties at it past the first N.
                let mut at_floor = 0;
                log.retain(|b| {
                    if b.metric == floor {
                        at_floor += 1;
                        at_floor <= n
                    } else {
                        b.metric > floor
                    }
                });
            }
            self.ties = log.iter().filter(|b| b.metric == floor).count();
        }
    }

    /// Take another TopN's log (a later part of the file), in order.
    pub fn absorb(&mut self, other: TopN) {
        for big in other.log.unwrap_or_default() {
            if big.metric > self.floor || self.heap.len() < self.n {
                self.offer_big(big);
            }
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
    tables: Vec<PrefixTable>,
    pub approximate: bool,
}

/// The prefixes of one depth with their tallies, in the order first seen,
/// found through a table of their indexes under a hash computed in one
/// pass over the prefix (through `Hasher`, a map hashed its length and its
/// bytes in two calls: the largest cost per key in profiles).
///
/// In front of the table, a small direct-mapped cache (by the hash's low
/// bits) of the entries found last: most dumps have few prefixes, which
/// then all stay there, and a hit costs one comparison instead of a probe.
#[derive(Debug)]
struct PrefixTable {
    entries: Vec<(Vec<u8>, Tally)>,
    index: hashbrown::HashTable<u32>,
    /// (hash, index in `entries`); `u32::MAX`: empty.
    recent: [(u64, u32); RECENT],
}

/// Slots of [`PrefixTable`]'s cache (a power of two).
const RECENT: usize = 64;

impl Default for PrefixTable {
    fn default() -> Self {
        PrefixTable {
            entries: Vec::new(),
            index: hashbrown::HashTable::new(),
            recent: [(0, u32::MAX); RECENT],
        }
    }
}

impl PrefixTable {
    fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    fn get_mut(&mut self, prefix: &[u8], hash: u64) -> Option<&mut Tally> {
        let slot = hash as usize & (RECENT - 1);
        let (h, i) = self.recent[slot];
        if h == hash
            && let Some(e) = self.entries.get(i as usize)
            && same(&e.0, prefix)
        {
            return Some(&mut self.entries[i as usize].1);
        }
        self.get_mut_slow(prefix, hash, slot)
    }

    #[inline(never)]
    fn get_mut_slow(&mut self, prefix: &[u8], hash: u64, slot: usize) -> Option<&mut Tally> {
        let entries = &self.entries;
        let &i = self
            .index
            .find(hash, |&i| same(&entries[i as usize].0, prefix))?;
        self.recent[slot] = (hash, i);
        Some(&mut self.entries[i as usize].1)
    }

    fn insert(&mut self, prefix: Vec<u8>, hash: u64, t: Tally) {
        let i = self.entries.len() as u32;
        self.entries.push((prefix, t));
        let entries = &self.entries;
        self.index
            .insert_unique(hash, i, |&j| prefix_hash(&entries[j as usize].0));
        self.recent[hash as usize & (RECENT - 1)] = (hash, i);
    }

    /// Keep the heaviest half (by serialized bytes).
    fn prune(&mut self) {
        let mut sizes: Vec<u64> = self.entries.iter().map(|e| e.1.bytes).collect();
        let keep = PREFIX_CAP / 2;
        let cut = sizes.len() - keep;
        let (_, threshold, _) = sizes.select_nth_unstable(cut);
        let threshold = *threshold;
        self.entries.retain(|e| e.1.bytes > threshold);
        self.index.clear();
        self.recent = [(0, u32::MAX); RECENT];
        for (i, (prefix, _)) in self.entries.iter().enumerate() {
            let entries = &self.entries;
            self.index
                .insert_unique(prefix_hash(prefix), i as u32, |&j| {
                    prefix_hash(&entries[j as usize].0)
                });
        }
    }
}

/// The hash of a prefix: [`FastHasher`] over its bytes, seeded with its
/// length, with the high bits folded down (the table picks buckets by the
/// low bits, which a multiply mixes least).
#[inline]
fn prefix_hash(b: &[u8]) -> u64 {
    let mut h = FastHasher(b.len() as u64);
    h.write(b);
    let h = h.finish();
    h ^ (h >> 29)
}

impl Prefixes {
    pub fn new(separator: &[u8], depth: usize) -> Prefixes {
        Prefixes {
            separator: separator.to_vec(),
            finder: memchr::memmem::Finder::new(separator).into_owned(),
            tables: (0..depth).map(|_| PrefixTable::default()).collect(),
            approximate: false,
        }
    }

    pub fn add(&mut self, k: &KeyFacts<'_>) {
        if self.separator.is_empty() {
            return;
        }
        let mut from = 0usize;
        for depth in 0..self.tables.len() {
            let found = match self.separator[..] {
                [byte] => find_byte(k.key, from, byte),
                _ => self.finder.find(&k.key[from..]).map(|i| from + i),
            };
            let Some(found) = found else {
                break;
            };
            let end = found + self.separator.len();
            let prefix = &k.key[..end];
            let table = &mut self.tables[depth];
            let hash = prefix_hash(prefix);
            match table.get_mut(prefix, hash) {
                Some(t) => t.add(k),
                None => {
                    if table.len() >= PREFIX_CAP {
                        table.prune();
                        self.approximate = true;
                    }
                    let mut t = Tally::default();
                    t.add(k);
                    table.insert(prefix.to_vec(), hash, t);
                }
            }
            from = end;
        }
    }

    /// Add the tallies of another part of the file. Exact while neither
    /// table was pruned and the sum stays within [`PREFIX_CAP`]; else the
    /// same pruning applies, in the order the parts are merged.
    pub fn merge(&mut self, other: Prefixes) {
        self.approximate |= other.approximate;
        for (table, theirs) in self.tables.iter_mut().zip(other.tables) {
            // In the order the part first saw them (pruning depends on it).
            for (prefix, t) in theirs.entries {
                let hash = prefix_hash(&prefix);
                match table.get_mut(&prefix, hash) {
                    Some(mine) => mine.merge(&t),
                    None => {
                        if table.len() >= PREFIX_CAP {
                            table.prune();
                            self.approximate = true;
                        }
                        table.insert(prefix, hash, t);
                    }
                }
            }
        }
    }

    /// The `n` heaviest prefixes (by serialized bytes) of each depth.
    pub fn top(&self, n: usize) -> Vec<(usize, Vec<u8>, Tally)> {
        let mut out = Vec::new();
        for (i, table) in self.tables.iter().enumerate() {
            let mut rows: Vec<(&Vec<u8>, &Tally)> =
                table.entries.iter().map(|(p, t)| (p, t)).collect();
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

/// The first `byte` in `key` at or after `from`, eight bytes a step: keys
/// are short, too short for a vectorised search to pay for its setup, too
/// long for a byte loop to be cheap. The last partial step reads the
/// key's last eight bytes (when it has eight) and ignores those before
/// `from` and those already searched.
#[inline]
fn find_byte(key: &[u8], from: usize, byte: u8) -> Option<usize> {
    const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pattern = 0x0101_0101_0101_0101 * u64::from(byte);
    // The high bit of each byte of the result is set exactly where the
    // byte equals `byte` (no borrow crosses bytes, so no false match).
    let matches = |w: u64| {
        let x = w ^ pattern;
        !(((x & LOWS).wrapping_add(LOWS)) | x | LOWS)
    };
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&key[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let mut at = from;
    while at + 8 <= key.len() {
        let m = matches(word(at));
        if m != 0 {
            return Some(at + m.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    if at >= key.len() {
        return None;
    }
    if key.len() >= 8 {
        let start = key.len() - 8;
        let m = matches(word(start)) & (u64::MAX << ((at - start) * 8));
        return (m != 0).then(|| start + m.trailing_zeros() as usize / 8);
    }
    key[at..].iter().position(|&b| b == byte).map(|i| at + i)
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
        *self.counter(bucket(expire_ms, now_ms)) += weight;
    }

    /// Count a key here and add its `weight` to the same bucket of
    /// `weights`, deciding the bucket once.
    #[inline]
    pub fn add_with_weight(
        &mut self,
        weights: &mut ExpiryHistogram,
        expire_ms: Option<i64>,
        now_ms: i64,
        weight: u64,
    ) {
        let b = bucket(expire_ms, now_ms);
        *self.counter(b) += 1;
        *weights.counter(b) += weight;
    }

    pub fn merge(&mut self, o: &ExpiryHistogram) {
        self.expired += o.expired;
        self.within_1h += o.within_1h;
        self.within_1d += o.within_1d;
        self.within_7d += o.within_7d;
        self.later += o.later;
        self.none += o.none;
    }

    #[inline]
    fn counter(&mut self, bucket: Bucket) -> &mut u64 {
        match bucket {
            Bucket::None => &mut self.none,
            Bucket::Expired => &mut self.expired,
            Bucket::Hour => &mut self.within_1h,
            Bucket::Day => &mut self.within_1d,
            Bucket::Week => &mut self.within_7d,
            Bucket::Later => &mut self.later,
        }
    }
}

#[derive(Clone, Copy)]
enum Bucket {
    None,
    Expired,
    Hour,
    Day,
    Week,
    Later,
}

#[inline]
fn bucket(expire_ms: Option<i64>, now_ms: i64) -> Bucket {
    const HOUR: i64 = 3_600_000;
    match expire_ms {
        None => Bucket::None,
        Some(t) => {
            let left = t.saturating_sub(now_ms);
            if left <= 0 {
                Bucket::Expired
            } else if left < HOUR {
                Bucket::Hour
            } else if left < 24 * HOUR {
                Bucket::Day
            } else if left < 7 * 24 * HOUR {
                Bucket::Week
            } else {
                Bucket::Later
            }
        }
    }
}

/// A distribution of values in bounded memory: four linear sub-buckets
/// per power of two (so a percentile is exact to within 25%, reported as
/// its bucket's upper bound, never above the true maximum).
#[derive(Clone, Debug)]
pub struct Distribution {
    counts: [u64; BUCKETS],
    pub n: u64,
    pub max: u64,
    pub sum: u64,
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution {
            counts: [0; BUCKETS],
            n: 0,
            max: 0,
            sum: 0,
        }
    }
}

/// Four exact buckets below 4, then four per power of two up to 2^63.
const BUCKETS: usize = 4 + 62 * 4;

#[inline]
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

    pub fn merge(&mut self, o: &Distribution) {
        for (c, oc) in self.counts.iter_mut().zip(o.counts.iter()) {
            *c += oc;
        }
        self.n += o.n;
        self.sum = self.sum.saturating_add(o.sum);
        self.max = self.max.max(o.max);
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
    /// By database, in the order first seen (few; see [`Stats::dbs`]).
    dbs: Vec<(u64, DbTally)>,
    /// Index in `dbs` of the database of the last key.
    last_db: usize,
    /// Indexed by `ObjectType as usize`; see [`Stats::types`].
    types: [Tally; 7],
    /// Few distinct pairs: a vector searched linearly beats a map here.
    pub encodings: Vec<((ObjectType, &'static str), Tally)>,
    /// Indexes into `encodings` by a hash of the name's address (a hint,
    /// checked before use).
    encoding_slots: [u32; 16],
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
            dbs: Vec::new(),
            last_db: 0,
            types: [Tally::default(); 7],
            encodings: Vec::new(),
            encoding_slots: [u32::MAX; 16],
            by_size: TopN::new(top),
            by_len: TopN::new(top),
            prefixes: Prefixes::new(separator, depth),
            histogram: ExpiryHistogram::default(),
            histogram_bytes: ExpiryHistogram::default(),
            shapes: Default::default(),
            slots: None,
        }
    }

    /// Stats of one part of a file, to be [`Stats::merge`]d in file order
    /// with those of the other parts (their top-N lists log what the merge
    /// needs; see [`TopN`]).
    pub fn part_of(whole: &Stats) -> Stats {
        let mut part = Stats::new(
            whole.by_size.n,
            &whole.prefixes.separator,
            whole.prefixes.tables.len(),
        );
        part.by_size = TopN::logging(whole.by_size.n);
        part.by_len = TopN::logging(whole.by_len.n);
        if whole.slots.is_some() {
            part = part.with_slots();
        }
        part
    }

    /// Add the stats of the next part of the file (see [`Stats::part_of`]).
    pub fn merge(&mut self, part: Stats) {
        self.keys += part.keys;
        self.expires += part.expires;
        for (db, t) in &part.dbs {
            let mine = self.db_mut(*db);
            mine.keys += t.keys;
            mine.expires += t.expires;
            mine.bytes += t.bytes;
            mine.ram += t.ram;
        }
        for (mine, theirs) in self.types.iter_mut().zip(part.types.iter()) {
            mine.merge(theirs);
        }
        for (pair, t) in &part.encodings {
            match self.encodings.iter_mut().find(|(p, _)| p == pair) {
                Some((_, mine)) => mine.merge(t),
                None => {
                    self.encodings.push((*pair, *t));
                    self.encodings.sort_by_key(|(p, _)| *p);
                }
            }
        }
        self.by_size.absorb(part.by_size);
        self.by_len.absorb(part.by_len);
        self.prefixes.merge(part.prefixes);
        self.histogram.merge(&part.histogram);
        self.histogram_bytes.merge(&part.histogram_bytes);
        for (mine, theirs) in self.shapes.iter_mut().zip(part.shapes.iter()) {
            mine.size.merge(&theirs.size);
            mine.len.merge(&theirs.len);
        }
        if let (Some(mine), Some(theirs)) = (&mut self.slots, &part.slots) {
            for (m, t) in mine.iter_mut().zip(theirs.iter()) {
                m.merge(t);
            }
        }
    }

    /// Also keep per-slot totals.
    pub fn with_slots(mut self) -> Stats {
        self.slots = Some(vec![Tally::default(); 16384]);
        self
    }

    /// Per-database totals, by database number.
    pub fn dbs(&self) -> BTreeMap<u64, DbTally> {
        self.dbs.iter().copied().collect()
    }

    /// Totals of each type that has keys.
    pub fn types(&self) -> BTreeMap<ObjectType, Tally> {
        OBJECT_TYPES
            .into_iter()
            .filter(|t| self.types[*t as usize].keys > 0)
            .map(|t| (t, self.types[t as usize]))
            .collect()
    }

    fn db_mut(&mut self, db: u64) -> &mut DbTally {
        if self.dbs.get(self.last_db).is_none_or(|d| d.0 != db) {
            self.last_db = match self.dbs.iter().position(|d| d.0 == db) {
                Some(i) => i,
                None => {
                    self.dbs.push((db, DbTally::default()));
                    self.dbs.len() - 1
                }
            };
        }
        &mut self.dbs[self.last_db].1
    }

    pub fn add(&mut self, k: &KeyFacts<'_>, now_ms: i64) {
        self.keys += 1;
        let expires = k.expire_ms.is_some();
        if expires {
            self.expires += 1;
        }
        let db = self.db_mut(k.db);
        db.keys += 1;
        db.bytes += k.size;
        db.ram += k.ram;
        db.expires += u64::from(expires);
        self.types[k.object_type as usize].add(k);
        let pair = (k.object_type, k.encoding);
        // Encoding names are static strings from one table: pointer equality
        // is the common hit (first through the slot the name's address
        // picks), text equality the fallback.
        let slot = (k.encoding.as_ptr() as usize >> 3 ^ k.object_type as usize) & 15;
        let cached = self.encoding_slots[slot] as usize;
        let found = match self.encodings.get(cached) {
            Some((p, _)) if p.0 == pair.0 && std::ptr::eq(p.1, pair.1) => Some(cached),
            _ => {
                let found = match self
                    .encodings
                    .iter()
                    .position(|(p, _)| p.0 == pair.0 && std::ptr::eq(p.1, pair.1))
                {
                    Some(i) => Some(i),
                    None => self.encodings.iter().position(|(p, _)| *p == pair),
                };
                if let Some(i) = found {
                    self.encoding_slots[slot] = i as u32;
                }
                found
            }
        };
        match found.and_then(|i| self.encodings.get_mut(i)) {
            Some((_, t)) => t.add(k),
            None => {
                let mut t = Tally::default();
                t.add(k);
                self.encodings.push((pair, t));
                self.encodings.sort_by_key(|(p, _)| *p);
                // Sorting moved entries: the slots point anywhere now.
                self.encoding_slots = [u32::MAX; 16];
            }
        }
        self.by_size.offer(k.size, k);
        self.by_len.offer(k.len, k);
        self.prefixes.add(k);
        self.histogram
            .add_with_weight(&mut self.histogram_bytes, k.expire_ms, now_ms, k.size);
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
    fn find_byte_finds_the_first() {
        // Against a byte loop: every length, start, and place of the first
        // separator, with separators before the start (which must not
        // count) and bytes that differ from it by one bit or the high bit.
        let naive = |hay: &[u8], from: usize, byte: u8| {
            hay[from..]
                .iter()
                .position(|&b| b == byte)
                .map(|i| from + i)
        };
        for len in 0..40 {
            for from in 0..=len {
                let mut hay: Vec<u8> = (0..len).map(|i| [b'a', 0x3b, 0xba, 0][i % 4]).collect();
                hay[..from].fill(b':');
                assert_eq!(find_byte(&hay, from, b':'), naive(&hay, from, b':'));
                for at in from..len {
                    let saved = hay.clone();
                    hay[at] = b':';
                    if at + 1 < len {
                        hay[at + 1] = b':';
                    }
                    assert_eq!(
                        find_byte(&hay, from, b':'),
                        Some(at),
                        "len {len} from {from} at {at}"
                    );
                    hay = saved;
                }
            }
        }
        assert_eq!(
            find_byte(&[0x3b, 0x3a, 0x01, 0x80, 0, 0, 0, 0, 0x3a], 0, b':'),
            Some(1)
        );
        assert_eq!(find_byte(&[0, 0, 0, 0, 0, 0, 0, 0, 1], 1, 0), Some(1));
        assert_eq!(find_byte(&[1, 0, 0, 0, 0, 0, 0, 0, 1], 8, 0), None);
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

    /// Any cut of a key sequence into parts, tallied apart with logging
    /// TopNs and absorbed in order, keeps exactly the keys one TopN fed
    /// the whole sequence keeps, ties included.
    #[test]
    fn top_n_parts_absorbed_equal_the_whole() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for round in 0..400 {
            let len = rand(300) as usize;
            let spread = 1 + rand(if round % 2 == 0 { 4 } else { 1000 });
            let ascending = round % 7 == 0;
            let metrics: Vec<u64> = (0..len)
                .map(|i| {
                    if ascending {
                        i as u64 / 3
                    } else {
                        rand(spread)
                    }
                })
                .collect();
            let keys: Vec<Vec<u8>> = (0..len)
                .map(|i| format!("k{}", rand(1_000_000) * 1000 + i as u64).into_bytes())
                .collect();
            let n = rand(12) as usize;
            let mut whole = TopN::new(n);
            for (m, k) in metrics.iter().zip(&keys) {
                whole.offer(*m, &facts(k, *m));
            }
            let mut merged = TopN::new(n);
            let mut at = 0;
            while at < len {
                let end = (at + 1 + rand(80) as usize).min(len);
                let mut part = TopN::logging(n);
                for i in at..end {
                    part.offer(metrics[i], &facts(&keys[i], metrics[i]));
                }
                assert!(part.log.as_ref().unwrap().len() <= 10 * n + 64);
                merged.absorb(part);
                at = end;
            }
            assert_eq!(
                merged.into_sorted(),
                whole.into_sorted(),
                "round {round}, n {n}"
            );
        }
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
