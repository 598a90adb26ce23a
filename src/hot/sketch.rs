//! Space-Saving (Metwally, Agrawal, El Abbadi 2005): the heaviest items of
//! a weighted stream in memory fixed by a capacity `k`, whatever the number
//! of distinct items.
//!
//! The sketch monitors at most `k` items, each with a count and an error.
//! A monitored item's weight adds to its count. An item not monitored
//! replaces the one with the smallest count `m`, and starts at `m + w` with
//! error `m`. So for every monitored item `count - error <= true <= count`,
//! and any item not monitored has a true weight of at most the smallest
//! count, which is itself at most `total / k`. An item whose true weight
//! exceeds `total / k` is therefore always monitored.
//!
//! The smallest count sits at the root of a four-way min-heap of slot
//! numbers (each with a copy of its count, so that sifting stays in one
//! small array); the slots themselves never move, and a hash table of slot
//! numbers (hashed by the slot's item) finds monitored items. So an update
//! costs one hash of the item and O(log k) swaps of small integers, and
//! taking over the smallest slot reuses its item buffer: nothing is
//! allocated once the sketch is full.
//!
//! With many distinct items nearly every update takes over a slot at a
//! random place in memory, so the layout is for that: the items' hashes
//! sit in a dense array of their own (finding the old item's entry in the
//! table does not wait for its slot to come from memory), and a short
//! item lives inside its slot rather than behind a pointer.

use crate::bytes::same;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// The hash every sketch files items under (foldhash: fast on short keys).
/// One seed per process, drawn at random so traffic cannot be built to
/// collide, and shared so one hash serves several sketches.
pub fn hash(item: &[u8]) -> u64 {
    static STATE: OnceLock<foldhash::fast::FixedState> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let seed = foldhash::fast::RandomState::default().hash_one(0u64);
            foldhash::fast::FixedState::with_seed(seed)
        })
        .hash_one(item)
}

/// Children per heap node: a four-way heap is half as deep as a binary
/// one, and a node's children share a cache line.
const ARITY: usize = 4;

/// Items up to this long are kept inside their slot.
const INLINE: usize = 30;

/// An item's bytes: inside the slot when short (keys, command/key pairs
/// and client addresses nearly always are), else in a buffer of its own.
#[derive(Clone)]
pub enum Item {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Vec<u8>),
}

impl Item {
    fn new(bytes: &[u8]) -> Item {
        let mut item = Item::Inline {
            len: 0,
            bytes: [0; INLINE],
        };
        item.set(bytes);
        item
    }

    /// Hold `new` instead, reusing a buffer of about the right size.
    fn set(&mut self, new: &[u8]) {
        match self {
            Item::Heap(v) if new.len() > INLINE && v.capacity() <= 4 * new.len().max(32) => {
                v.clear();
                v.extend_from_slice(new);
            }
            _ if new.len() > INLINE => *self = Item::Heap(new.to_vec()),
            Item::Inline { len, bytes } => {
                bytes[..new.len()].copy_from_slice(new);
                *len = new.len() as u8;
            }
            Item::Heap(_) => {
                let mut bytes = [0; INLINE];
                bytes[..new.len()].copy_from_slice(new);
                *self = Item::Inline {
                    len: new.len() as u8,
                    bytes,
                };
            }
        }
    }
}

impl std::ops::Deref for Item {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Item::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Item::Heap(v) => v,
        }
    }
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// One monitored item.
#[derive(Clone, Debug)]
pub struct Slot<P> {
    pub item: Item,
    /// An over-estimate of the item's weight.
    pub count: u64,
    /// How much of `count` may belong to items this one replaced.
    pub error: u64,
    /// Data kept alongside (reset when the slot is taken over).
    pub extra: P,
}

impl<P> Slot<P> {
    /// The weight the item certainly has.
    pub fn guaranteed(&self) -> u64 {
        self.count - self.error
    }
}

/// The sketch; `P` is per-item data updated by the caller.
#[derive(Clone, Debug)]
pub struct SpaceSaving<P> {
    capacity: usize,
    slots: Vec<Slot<P>>,
    /// (count, slot number), a min-heap by count. The counts are copies of
    /// the slots' (kept equal), so that sifting reads only this array.
    heap: Vec<(u64, u32)>,
    /// Where each slot sits in the heap.
    pos: Vec<u32>,
    /// Each slot's item's hash (so the table never rehashes items).
    hashes: Vec<u64>,
    index: HashTable<u32>,
    total: u64,
    /// The slot added to last: streams repeat items back to back (a
    /// pipeline of one client's commands on one key), and those skip the
    /// table.
    last: usize,
    /// The last slot's count grew since its heap entry was settled. A run
    /// of repeats settles once, before another item is added: sifting an
    /// entry down once to its final count moves the same entries, along
    /// the same path, as sifting it at every step, so the heap ends the
    /// same.
    unsettled: bool,
}

impl<P: Default> SpaceSaving<P> {
    /// A sketch monitoring at most `capacity` items (at least 1).
    pub fn new(capacity: usize) -> SpaceSaving<P> {
        SpaceSaving {
            capacity: capacity.clamp(1, u32::MAX as usize),
            slots: Vec::new(),
            heap: Vec::new(),
            pos: Vec::new(),
            hashes: Vec::new(),
            index: HashTable::new(),
            total: 0,
            last: usize::MAX,
            unsettled: false,
        }
    }

    /// Add `weight` to `item`; returns its slot for the caller's data.
    pub fn add(&mut self, item: &[u8], weight: u64) -> &mut Slot<P> {
        if self.last_is(item) {
            return self.add_to(self.last, weight);
        }
        self.add_hashed(item, hash(item), weight)
    }

    /// Was `item` the last one added?
    pub fn last_is(&self, item: &[u8]) -> bool {
        self.slots
            .get(self.last)
            .is_some_and(|s| same(&s.item, item))
    }

    /// Add `weight` to the item added last (the caller checked it with
    /// [`SpaceSaving::last_is`]).
    pub fn add_last(&mut self, weight: u64) -> &mut Slot<P> {
        self.add_to(self.last, weight)
    }

    /// Add to the item added last (slot `s`). Its heap entry is left
    /// behind (see `unsettled`).
    fn add_to(&mut self, s: usize, weight: u64) -> &mut Slot<P> {
        self.total = self.total.saturating_add(weight);
        let slot = &mut self.slots[s];
        slot.count = slot.count.saturating_add(weight);
        self.unsettled = true;
        &mut self.slots[s]
    }

    /// Bring the last slot's heap entry up to its count.
    fn settle_last(&mut self) {
        if self.unsettled {
            self.unsettled = false;
            self.settle(self.last);
        }
    }

    /// [`SpaceSaving::add`] with the item's [`hash`] already computed (an
    /// item counted in several sketches is hashed once).
    pub fn add_hashed(&mut self, item: &[u8], hash: u64, weight: u64) -> &mut Slot<P> {
        if self.hashes.get(self.last) == Some(&hash) && same(&self.slots[self.last].item, item) {
            return self.add_to(self.last, weight);
        }
        self.settle_last();
        self.total = self.total.saturating_add(weight);
        let (slots, hashes) = (&self.slots, &self.hashes);
        // The dense hashes first: a slot is read only for a likely match.
        let found = self
            .index
            .find(hash, |&s| {
                hashes[s as usize] == hash && same(&slots[s as usize].item, item)
            })
            .copied();
        let s = match found {
            Some(s) => {
                let slot = &mut self.slots[s as usize];
                slot.count = slot.count.saturating_add(weight);
                s as usize
            }
            None if self.slots.len() < self.capacity => {
                let s = self.slots.len();
                self.slots.push(Slot {
                    item: Item::new(item),
                    count: weight,
                    error: 0,
                    extra: P::default(),
                });
                self.heap.push((weight, s as u32));
                self.pos.push(s as u32);
                self.hashes.push(hash);
                let hashes = &self.hashes;
                self.index
                    .insert_unique(hash, s as u32, |&x| hashes[x as usize]);
                self.sift_up(s);
                s
            }
            None => {
                // Take over the smallest.
                let s = self.heap[0].1 as usize;
                let old = self.hashes[s];
                if let Ok(entry) = self.index.find_entry(old, |&x| x as usize == s) {
                    entry.remove();
                }
                let least = &mut self.slots[s];
                least.item.set(item);
                least.error = least.count;
                least.count = least.count.saturating_add(weight);
                least.extra = P::default();
                self.hashes[s] = hash;
                let hashes = &self.hashes;
                self.index
                    .insert_unique(hash, s as u32, |&x| hashes[x as usize]);
                s
            }
        };
        self.last = s;
        self.settle(s);
        &mut self.slots[s]
    }

    /// Sum of all weights added.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Items monitored.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most any count may over-state its item's weight, and the most
    /// weight an item missing from the sketch can have: the smallest count
    /// once the sketch is full (0 until then: everything is exact).
    pub fn error_bound(&self) -> u64 {
        if self.slots.len() < self.capacity {
            0
        } else {
            match self.heap.first() {
                // The root is the last slot, whose entry may lag its count:
                // the smallest is its count or one of the root's children.
                Some(&(_, root)) if self.unsettled && root as usize == self.last => self.heap
                    [1..self.heap.len().min(1 + ARITY)]
                    .iter()
                    .map(|&(count, _)| count)
                    .fold(self.slots[self.last].count, u64::min),
                // Any other entry that lags is above the root's count.
                first => first.map_or(0, |&(count, _)| count),
            }
        }
    }

    /// The `n` largest counts, largest first (ties by item).
    pub fn top(&self, n: usize) -> Vec<&Slot<P>> {
        let mut v: Vec<&Slot<P>> = self.slots.iter().collect();
        v.sort_unstable_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.item[..].cmp(&b.item[..]))
        });
        v.truncate(n);
        v
    }

    /// Is `item` monitored?
    pub fn contains(&self, item: &[u8]) -> bool {
        let hash = hash(item);
        self.index
            .find(hash, |&s| self.slots[s as usize].item[..] == *item)
            .is_some()
    }

    /// Forget everything (for per-interval reports).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.heap.clear();
        self.pos.clear();
        self.hashes.clear();
        self.index.clear();
        self.total = 0;
        self.last = usize::MAX;
        self.unsettled = false;
    }

    /// Slot `s`'s count grew: copy it into the heap and move it down.
    fn settle(&mut self, s: usize) {
        let at = self.pos[s] as usize;
        self.heap[at].0 = self.slots[s].count;
        self.sift_down(at);
    }

    fn sift_up(&mut self, mut i: usize) {
        let item = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[parent].0 <= item.0 {
                break;
            }
            self.place(i, self.heap[parent]);
            i = parent;
        }
        self.place(i, item);
    }

    /// Move the entry at `i` down past every child with a smaller count
    /// (children move up into the hole it leaves).
    fn sift_down(&mut self, mut i: usize) {
        let len = self.heap.len();
        let item = self.heap[i];
        loop {
            let first = ARITY * i + 1;
            if first >= len {
                break;
            }
            let mut least = first;
            for c in first + 1..(first + ARITY).min(len) {
                if self.heap[c].0 < self.heap[least].0 {
                    least = c;
                }
            }
            if self.heap[least].0 >= item.0 {
                break;
            }
            self.place(i, self.heap[least]);
            i = least;
        }
        self.place(i, item);
    }

    fn place(&mut self, i: usize, entry: (u64, u32)) {
        self.heap[i] = entry;
        self.pos[entry.1 as usize] = i as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap as Map;

    /// A deterministic generator (xorshift) for the tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Zipf(s) over 1..=n by inverting the cumulative distribution.
    fn zipf(n: usize, s: f64) -> Vec<f64> {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for i in 1..=n {
            sum += 1.0 / (i as f64).powf(s);
            cdf.push(sum);
        }
        cdf.iter().map(|c| c / sum).collect()
    }

    fn check(stream: &[(Vec<u8>, u64)], capacity: usize) {
        let mut truth: Map<&[u8], u64> = Map::new();
        let mut sketch: SpaceSaving<()> = SpaceSaving::new(capacity);
        for (item, w) in stream {
            *truth.entry(item).or_default() += w;
            sketch.add(item, *w);
        }
        let total: u64 = stream.iter().map(|(_, w)| w).sum();
        assert_eq!(sketch.total(), total);
        let bound = sketch.error_bound();
        assert!(
            bound <= total / capacity as u64,
            "bound {bound} > N/k {}",
            total / capacity as u64
        );
        assert!(sketch.len() <= capacity);
        // Every monitored item: count - error <= true <= count, error <= bound.
        for s in sketch.top(usize::MAX) {
            let t = truth[&*s.item];
            assert!(
                s.guaranteed() <= t && t <= s.count,
                "{:?}: {} not in [{}, {}]",
                s.item,
                t,
                s.guaranteed(),
                s.count
            );
            assert!(s.error <= bound);
        }
        // Every item heavier than the bound is monitored, and the reported
        // top 10 are the true top 10 up to the bound.
        let mut sorted: Vec<(&[u8], u64)> = truth.iter().map(|(k, v)| (*k, *v)).collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        for (item, t) in &sorted {
            if *t > bound {
                assert!(sketch.contains(item), "{item:?} weighs {t} > {bound}");
            }
        }
        let top = sketch.top(10);
        for (rank, s) in top.iter().enumerate() {
            let true_at_rank = sorted[rank].1;
            assert!(
                s.count.abs_diff(true_at_rank) <= bound,
                "rank {rank}: reported {} vs true {true_at_rank} (bound {bound})",
                s.count
            );
        }
    }

    #[test]
    fn same_agrees_with_slice_equality() {
        let mut rng = Rng(7);
        for len in 0..40usize {
            let a: Vec<u8> = (0..len).map(|_| (rng.next() % 3) as u8).collect();
            assert!(same(&a, &a.clone()));
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 1;
                assert!(!same(&a, &b), "{a:?} {b:?}");
            }
            let mut longer = a.clone();
            longer.push(0);
            assert!(!same(&a, &longer));
            for _ in 0..50 {
                let b: Vec<u8> = (0..len).map(|_| (rng.next() % 3) as u8).collect();
                assert_eq!(same(&a, &b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn exact_below_capacity() {
        let mut s: SpaceSaving<u32> = SpaceSaving::new(10);
        for (i, item) in [b"a", b"b", b"a", b"c", b"a", b"b"].iter().enumerate() {
            s.add(*item, 1).extra += i as u32;
        }
        assert_eq!(s.error_bound(), 0);
        let top: Vec<(&[u8], u64, u32)> = s
            .top(2)
            .iter()
            .map(|x| (&*x.item, x.count, x.extra))
            .collect();
        assert_eq!(top, [(&b"a"[..], 3, 6), (&b"b"[..], 2, 6)]);
    }

    #[test]
    fn replacement_inherits_the_smallest_count_as_error() {
        let mut s: SpaceSaving<()> = SpaceSaving::new(2);
        s.add(b"a", 5);
        s.add(b"b", 2);
        let c = s.add(b"c", 1);
        assert_eq!((c.count, c.error), (3, 2));
        assert_eq!(s.error_bound(), 3);
        assert_eq!(s.top(1)[0].item[..], b"a"[..]);
    }

    #[test]
    fn zipf_stream_within_the_bound() {
        for (s, capacity) in [(1.0, 100), (1.2, 50), (0.8, 500), (1.5, 20)] {
            let cdf = zipf(50_000, s);
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            let stream: Vec<(Vec<u8>, u64)> = (0..200_000)
                .map(|_| {
                    let u = rng.unit();
                    let rank = cdf.partition_point(|&c| c < u);
                    (format!("key:{rank}").into_bytes(), 1 + rng.next() % 4)
                })
                .collect();
            check(&stream, capacity);
        }
    }

    #[test]
    fn adversarial_orders_stay_within_the_bound() {
        // Many distinct items first, the heavy ones last; then interleaved.
        let mut stream: Vec<(Vec<u8>, u64)> = (0..10_000u32)
            .map(|i| (i.to_be_bytes().to_vec(), 1))
            .collect();
        stream.extend((0..3000).map(|i| (vec![b'h', (i % 3) as u8], 1)));
        check(&stream, 64);
        stream.reverse();
        check(&stream, 64);
    }

    #[test]
    fn items_of_every_length_survive_takeovers() {
        // Items around the inline limit, taking over each other's slots.
        let mut item = Item::new(b"");
        let mut rng = Rng(3);
        for _ in 0..2000 {
            let len = (rng.next() % 100) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            item.set(&bytes);
            assert_eq!(&item[..], &bytes[..]);
            assert_eq!(matches!(item, Item::Inline { .. }), len <= INLINE);
        }
        let mut s: SpaceSaving<()> = SpaceSaving::new(8);
        let mut truth: Map<Vec<u8>, u64> = Map::new();
        for _ in 0..5000 {
            let n = rng.next() % 40;
            let item = vec![b'k'; 20 + n as usize];
            *truth.entry(item.clone()).or_default() += 1;
            s.add(&item, 1);
            for slot in &s.slots {
                assert!(s.contains(&slot.item));
                assert!(slot.item.iter().all(|&b| b == b'k'));
            }
        }
        for slot in s.top(8) {
            let t = truth[&slot.item[..]];
            assert!(slot.guaranteed() <= t && t <= slot.count);
        }
    }

    #[test]
    fn heap_order_survives_random_updates() {
        let mut s: SpaceSaving<()> = SpaceSaving::new(37);
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let item = (rng.next() % 100).to_le_bytes();
            s.add(&item, rng.next() % 1000);
            for i in 1..s.heap.len() {
                assert!(s.heap[(i - 1) / ARITY].0 <= s.heap[i].0);
            }
            for (i, &(count, slot)) in s.heap.iter().enumerate() {
                assert_eq!(s.pos[slot as usize] as usize, i);
                let lags = s.unsettled && slot as usize == s.last;
                assert!(count == s.slots[slot as usize].count || lags);
            }
            for slot in &s.slots {
                assert!(s.contains(&slot.item));
            }
        }
    }

    #[test]
    fn settling_a_run_of_repeats_once_ends_as_settling_each() {
        // Runs of one item (a pipeline), eagerly settled in `eager`.
        let mut rng = Rng(99);
        for capacity in [1, 3, 16, 37] {
            let mut lazy: SpaceSaving<()> = SpaceSaving::new(capacity);
            let mut eager: SpaceSaving<()> = SpaceSaving::new(capacity);
            let mut item = 0u64;
            for _ in 0..20_000 {
                if rng.next().is_multiple_of(3) {
                    item = rng.next() % 60;
                }
                let w = 1 + rng.next() % 50;
                lazy.add(&item.to_le_bytes(), w);
                eager.add(&item.to_le_bytes(), w);
                eager.settle_last();
                assert_eq!(lazy.error_bound(), eager.error_bound());
                let counts = |s: &SpaceSaving<()>| -> Vec<(Vec<u8>, u64, u64)> {
                    s.slots
                        .iter()
                        .map(|x| (x.item.to_vec(), x.count, x.error))
                        .collect()
                };
                assert_eq!(counts(&lazy), counts(&eager));
            }
            lazy.settle_last();
            assert_eq!(lazy.heap, eager.heap);
            assert_eq!(lazy.pos, eager.pos);
        }
    }
}
