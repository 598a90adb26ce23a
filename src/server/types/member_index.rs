//! An intrusive hash table from byte keys to nodes that something else
//! owns: the sorted set's member → node index over its skiplist nodes.
//!
//! A [`crate::server::dict::Dict`] holds its own copy of every key in its
//! own node; here the table only links the caller's nodes through a chain
//! pointer kept inside each node, and reads the key from the node, so a
//! member's bytes are stored once (in its skiplist node) and the index
//! costs one bucket pointer per slot plus that chain pointer.
//!
//! It grows, shrinks and is scanned as `Dict` is: power-of-two bucket
//! arrays, an incremental rehash (one bucket moved per insertion or
//! removal, so no command pays for moving a million members), and a
//! reverse-binary scan cursor that survives resizes.

use std::hash::BuildHasher;
use std::ptr;

use super::super::dict::{
    ResizePolicy, Rng, growth_target, hash_seed, next_cursor, resize_policy, table_stats,
};

/// The smallest table, as in Redis.
const INITIAL_SIZE: usize = 4;
/// Empty buckets a rehash step may skip before giving up for this step.
const EMPTY_VISITS: usize = 10;

/// A node type the index can link.
///
/// # Safety
/// For a live node, `key` returns bytes that stay unchanged while the node
/// is indexed, and `chain` points to a pointer-sized field inside the node
/// that nothing but the index uses.
pub unsafe trait Chained {
    /// # Safety
    /// `node` is live and outlives `'a` unchanged.
    unsafe fn key<'a>(node: *const Self) -> &'a [u8];
    /// # Safety
    /// `node` is live.
    unsafe fn chain(node: *mut Self) -> *mut *mut Self;
}

/// A bucket array from `calloc` (see `Dict`'s buckets: large arrays are
/// fresh pages the kernel zeroes lazily).
struct Table<N> {
    buckets: *mut *mut N,
    size: usize,
    used: usize,
}

impl<N> Table<N> {
    fn empty() -> Table<N> {
        Table {
            buckets: ptr::null_mut(),
            size: 0,
            used: 0,
        }
    }

    fn with_size(size: usize) -> Table<N> {
        // SAFETY: calloc returns null or a zeroed block of size pointers
        // (all null), aligned for pointers.
        let raw = unsafe { libc::calloc(size, std::mem::size_of::<*mut N>()) };
        if raw.is_null() {
            std::alloc::handle_alloc_error(
                std::alloc::Layout::array::<*mut N>(size)
                    .unwrap_or(std::alloc::Layout::new::<*mut N>()),
            );
        }
        Table {
            buckets: raw.cast(),
            size,
            used: 0,
        }
    }

    fn mask(&self) -> usize {
        self.size.wrapping_sub(1)
    }

    /// The bucket slot for `hash`.
    ///
    /// # Safety
    /// The table is not empty.
    unsafe fn slot(&self, hash: u64) -> *mut *mut N {
        // SAFETY: the index is masked below `size`.
        unsafe { self.buckets.add(hash as usize & self.mask()) }
    }

    fn head(&self, index: usize) -> *mut N {
        debug_assert!(index < self.size);
        // SAFETY: `index` is below `size`.
        unsafe { *self.buckets.add(index) }
    }
}

impl<N> Drop for Table<N> {
    fn drop(&mut self) {
        if !self.buckets.is_null() {
            // SAFETY: the block came from calloc; the nodes are not ours.
            unsafe { libc::free(self.buckets.cast()) };
        }
    }
}

/// The index. See the module documentation.
pub struct MemberIndex<N: Chained> {
    /// `tables[0]` is the live table; `tables[1]` the target of a rehash
    /// in progress and empty otherwise.
    tables: [Table<N>; 2],
    /// Next bucket of `tables[0]` to move, while rehashing.
    rehash_index: Option<usize>,
    hasher: foldhash::fast::FixedState,
}

impl<N: Chained> Default for MemberIndex<N> {
    fn default() -> Self {
        MemberIndex::new()
    }
}

impl<N: Chained> MemberIndex<N> {
    pub fn new() -> MemberIndex<N> {
        MemberIndex {
            tables: [Table::empty(), Table::empty()],
            rehash_index: None,
            hasher: foldhash::fast::FixedState::with_seed(hash_seed()),
        }
    }

    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes of the bucket arrays.
    pub fn bucket_bytes(&self) -> usize {
        (self.tables[0].size + self.tables[1].size) * std::mem::size_of::<*mut N>()
    }

    /// The node whose key is `key`, or null.
    pub fn get(&self, key: &[u8]) -> *mut N {
        if self.is_empty() {
            return ptr::null_mut();
        }
        let hash = self.hasher.hash_one(key);
        for t in &self.tables {
            if t.size == 0 {
                continue;
            }
            // SAFETY: the table is not empty; chained nodes are live.
            unsafe {
                let mut x = *t.slot(hash);
                while !x.is_null() {
                    if N::key(x) == key {
                        return x;
                    }
                    x = *N::chain(x);
                }
            }
        }
        ptr::null_mut()
    }

    /// Link `node`, whose key is not in the index yet.
    ///
    /// # Safety
    /// `node` is live, stays live and keeps its key until removed.
    pub unsafe fn insert(&mut self, node: *mut N) {
        self.rehash_step();
        self.expand_if_needed();
        let t = if self.rehash_index.is_some() {
            &mut self.tables[1]
        } else {
            &mut self.tables[0]
        };
        // SAFETY: per the caller; the table has buckets after expanding.
        unsafe {
            let hash = self.hasher.hash_one(N::key(node));
            let slot = t.slot(hash);
            *N::chain(node) = *slot;
            *slot = node;
        }
        t.used += 1;
    }

    /// Unlink and return the node whose key is `key`, or null.
    pub fn remove(&mut self, key: &[u8]) -> *mut N {
        if self.is_empty() {
            return ptr::null_mut();
        }
        self.rehash_step();
        let hash = self.hasher.hash_one(key);
        for t in &mut self.tables {
            if t.size == 0 {
                continue;
            }
            // SAFETY: the table is not empty; chained nodes are live.
            unsafe {
                let mut link = t.slot(hash);
                while !(*link).is_null() {
                    let x = *link;
                    if N::key(x) == key {
                        *link = *N::chain(x);
                        *N::chain(x) = ptr::null_mut();
                        t.used -= 1;
                        return x;
                    }
                    link = N::chain(x);
                }
            }
        }
        ptr::null_mut()
    }

    /// Size the table for `n` keys (before a bulk load).
    pub fn reserve(&mut self, n: usize) {
        let target = n.max(INITIAL_SIZE).next_power_of_two();
        if self.rehash_index.is_some() || target <= self.tables[0].size {
            return;
        }
        if self.tables[0].used == 0 {
            self.tables[0] = Table::with_size(target);
        } else {
            self.start_resize(target);
        }
    }

    /// Halve (or more) a table less than 10% full, as Redis does after
    /// deletions from a sorted set.
    pub fn shrink_if_sparse(&mut self) {
        let size = self.tables[0].size;
        if self.rehash_index.is_some()
            || size <= INITIAL_SIZE
            || self.tables[0].used * 100 / size >= 10
            || resize_policy() != ResizePolicy::Enable
        {
            return;
        }
        let target = self.tables[0].used.max(INITIAL_SIZE).next_power_of_two();
        if target < size {
            self.start_resize(target);
        }
    }

    fn expand_if_needed(&mut self) {
        if self.rehash_index.is_some() {
            return;
        }
        let size = self.tables[0].size;
        if size == 0 {
            self.tables[0] = Table::with_size(INITIAL_SIZE);
        } else if let Some(target) = growth_target(self.tables[0].used, size) {
            self.start_resize(target);
        }
    }

    fn start_resize(&mut self, size: usize) {
        self.tables[1] = Table::with_size(size);
        self.rehash_index = Some(0);
    }

    pub fn rehash_step(&mut self) {
        let Some(mut index) = self.rehash_index else {
            return;
        };
        if !resize_policy().allows_rehash(self.tables[0].size, self.tables[1].size) {
            return;
        }
        let [old, new] = &mut self.tables;
        let mut empty_left = EMPTY_VISITS;
        while old.used > 0 && old.head(index).is_null() {
            index += 1;
            empty_left -= 1;
            if empty_left == 0 {
                self.rehash_index = Some(index);
                return;
            }
        }
        if old.used > 0 {
            // SAFETY: chained nodes are live; each moves to the bucket of
            // its hash in the new table.
            unsafe {
                let mut x = old.head(index);
                *old.buckets.add(index) = ptr::null_mut();
                while !x.is_null() {
                    let next = *N::chain(x);
                    let slot = new.slot(self.hasher.hash_one(N::key(x)));
                    *N::chain(x) = *slot;
                    *slot = x;
                    old.used -= 1;
                    new.used += 1;
                    x = next;
                }
            }
            index += 1;
        }
        if old.used == 0 {
            self.tables.swap(0, 1);
            self.tables[1] = Table::empty();
            self.rehash_index = None;
        } else {
            self.rehash_index = Some(index);
        }
    }

    /// DEBUG HTSTATS-KEY of a sorted set (see `Dict::stats`).
    pub fn stats(&self) -> String {
        let mut out = String::new();
        let tables = if self.rehash_index.is_some() { 2 } else { 1 };
        for (index, table) in self.tables[..tables].iter().enumerate() {
            let chains = (0..table.size).map(|bucket| {
                let mut len = 0;
                let mut x = table.head(bucket);
                while !x.is_null() {
                    len += 1;
                    // SAFETY: chained nodes are live.
                    x = unsafe { *N::chain(x) };
                }
                len
            });
            table_stats(&mut out, index, table.used, chains);
        }
        out
    }

    /// Visit the nodes of the bucket(s) at `cursor` and return the next
    /// cursor (0 when the scan is complete): `Dict::scan`'s guarantees.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(*mut N)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor as usize;
        let mut emit = |t: &Table<N>, index: usize| {
            let mut x = t.head(index);
            while !x.is_null() {
                visit(x);
                // SAFETY: chained nodes are live.
                x = unsafe { *N::chain(x) };
            }
        };
        if self.rehash_index.is_none() {
            let m0 = self.tables[0].mask();
            emit(&self.tables[0], v & m0);
            v = next_cursor(v, m0);
        } else {
            let (small, large) = if self.tables[0].size <= self.tables[1].size {
                (&self.tables[0], &self.tables[1])
            } else {
                (&self.tables[1], &self.tables[0])
            };
            let (m0, m1) = (small.mask(), large.mask());
            emit(small, v & m0);
            loop {
                emit(large, v & m1);
                v = next_cursor(v, m1);
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v as u64
    }

    /// A node chosen at random, or null when empty: a random bucket and a
    /// position below a fixed span (redrawn when the chain is shorter), so
    /// every node of a chain up to that span is equally likely, as
    /// `Dict::random` does.
    pub fn random(&self, rng: &mut Rng) -> *mut N {
        if self.is_empty() {
            return ptr::null_mut();
        }
        let (t0, t1) = (self.tables[0].size, self.tables[1].size);
        let total = t0 + t1;
        let done = self.rehash_index.unwrap_or(0);
        for attempt in 0..crate::server::dict::RANDOM_ATTEMPTS {
            // Buckets of the old table below the rehash index are empty.
            let i = done + rng.below((total - done) as u64) as usize;
            let head = if i < t0 {
                self.tables[0].head(i)
            } else {
                self.tables[1].head(i - t0)
            };
            if head.is_null() {
                continue;
            }
            let mut len = 0u64;
            let mut x = head;
            while !x.is_null() {
                len += 1;
                // SAFETY: chained nodes are live.
                x = unsafe { *N::chain(x) };
            }
            let Some(position) = crate::server::dict::chain_position(rng, attempt, len) else {
                continue;
            };
            let mut x = head;
            for _ in 0..position {
                // SAFETY: as above; `position` is below the chain's length.
                x = unsafe { *N::chain(x) };
            }
            return x;
        }
        // A very sparse table: the first node found.
        for t in &self.tables {
            for i in 0..t.size {
                if !t.head(i).is_null() {
                    return t.head(i);
                }
            }
        }
        ptr::null_mut()
    }
}
