//! A chained hash table keyed by bytes that grows and shrinks without a
//! stop-the-world pause, and can be scanned with a stateless cursor.
//!
//! The design follows Redis's `dict`: a power-of-two array of buckets, each a
//! singly linked chain of nodes. A resize allocates the new array and then
//! moves one bucket at a time (a "rehash step") on every later operation and
//! from the server's cron, so no single command pays for moving millions of
//! keys. While a rehash is under way lookups consult both tables and inserts
//! go to the new one.
//!
//! [`Dict::scan`] walks buckets in reverse-binary order of their index. A
//! cursor that counts with its bits reversed visits, after a table doubles or
//! halves, exactly the buckets that the keys of the not-yet-visited buckets
//! moved to, so every key present for the whole scan is returned at least
//! once, however the table is resized in between (some may be returned
//! twice).

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// The smallest table, as in Redis.
const INITIAL_SIZE: usize = 4;
/// Empty buckets a rehash step may skip before giving up for this step.
const EMPTY_VISITS: usize = 10;

type Link<V> = Option<NonNull<Node<V>>>;

/// One key and its value in a bucket chain, in a single allocation: the
/// link to the next node, the value, the key's length and then the key's
/// bytes. Holding the key in the node (instead of behind a pointer of its
/// own) saves an allocation per key, the allocator's rounding of it and,
/// on every lookup, eviction sample, expiry and SCAN, a cache miss.
///
/// `len` is the key's length when under [`LONG_KEY`]; otherwise it is
/// `LONG_KEY` and the length follows as an unaligned `usize`. The block is
/// never smaller than `size_of::<Node<V>>()`, so the struct itself is
/// always in bounds; the key starts right after the length (it may use the
/// struct's tail padding). Nodes are only ever handled through the raw
/// pointer of their allocation ([`Link`]), whose provenance covers the
/// whole block, never through a `&Node<V>` that would cover the struct
/// alone.
#[repr(C)]
struct Node<V> {
    next: Link<V>,
    value: V,
    len: u8,
}

/// The `len` byte that says the length follows as a `usize`.
const LONG_KEY: u8 = u8::MAX;

impl<V> Node<V> {
    const LEN_AT: usize = std::mem::offset_of!(Node<V>, len);

    /// Offset of the key's first byte for a key of `len` bytes.
    fn key_offset(len: usize) -> usize {
        if len < usize::from(LONG_KEY) {
            Self::LEN_AT + 1
        } else {
            Self::LEN_AT + 1 + std::mem::size_of::<usize>()
        }
    }

    /// The block of a node whose key has `len` bytes.
    fn layout(len: usize) -> Layout {
        let size = Self::key_offset(len)
            .saturating_add(len)
            .max(std::mem::size_of::<Node<V>>());
        Layout::from_size_align(size, std::mem::align_of::<Node<V>>())
            .unwrap_or_else(|_| handle_alloc_error(Layout::new::<Node<V>>()))
    }

    /// Allocate and fill a node.
    fn create(key: &[u8], value: V, next: Link<V>) -> NonNull<Node<V>> {
        let layout = Self::layout(key.len());
        // SAFETY: the layout is at least size_of::<Node<V>>() > 0 bytes.
        let raw = unsafe { alloc(layout) }.cast::<Node<V>>();
        let Some(node) = NonNull::new(raw) else {
            handle_alloc_error(layout)
        };
        // SAFETY: the block is `layout.size()` bytes, aligned for Node<V>:
        // the fields are written in place, then the length (and, for a
        // long key, the usize after it) and the key bytes, which end at or
        // before the block's end (`layout`).
        unsafe {
            let p = node.as_ptr();
            std::ptr::addr_of_mut!((*p).next).write(next);
            std::ptr::addr_of_mut!((*p).value).write(value);
            let base = p.cast::<u8>();
            if key.len() < usize::from(LONG_KEY) {
                base.add(Self::LEN_AT).write(key.len() as u8);
            } else {
                base.add(Self::LEN_AT).write(LONG_KEY);
                base.add(Self::LEN_AT + 1)
                    .cast::<usize>()
                    .write_unaligned(key.len());
            }
            super::copy::bytes(
                key.as_ptr(),
                base.add(Self::key_offset(key.len())),
                key.len(),
            );
        }
        node
    }

    /// The key of a live node, borrowed for as long as the caller keeps the
    /// node alive and unchanged.
    ///
    /// # Safety
    /// `node` is a live node made by [`Node::create`].
    unsafe fn key<'a>(node: NonNull<Node<V>>) -> &'a [u8] {
        let base = node.as_ptr().cast::<u8>().cast_const();
        // SAFETY: the length and the bytes were written by `create` inside
        // the block, and are never changed while the node lives.
        unsafe {
            let short = *base.add(Self::LEN_AT);
            let len = if short == LONG_KEY {
                base.add(Self::LEN_AT + 1).cast::<usize>().read_unaligned()
            } else {
                usize::from(short)
            };
            std::slice::from_raw_parts(base.add(Self::key_offset(len)), len)
        }
    }

    /// The next link of a live node.
    ///
    /// # Safety
    /// `node` is a live node.
    unsafe fn next(node: NonNull<Node<V>>) -> Link<V> {
        // SAFETY: a live node's `next` is initialized.
        unsafe { (*node.as_ptr()).next }
    }

    /// Where the next link of a live node is.
    ///
    /// # Safety
    /// `node` is a live node.
    unsafe fn next_mut(node: NonNull<Node<V>>) -> *mut Link<V> {
        // SAFETY: in bounds of the live node; no reference is made.
        unsafe { std::ptr::addr_of_mut!((*node.as_ptr()).next) }
    }

    /// The value of a live node.
    ///
    /// # Safety
    /// `node` is a live node, not mutated for `'a`.
    unsafe fn value<'a>(node: NonNull<Node<V>>) -> &'a V {
        // SAFETY: a live node's value is initialized.
        unsafe { &(*node.as_ptr()).value }
    }

    /// The value of a live node, mutably.
    ///
    /// # Safety
    /// `node` is a live node, not otherwise accessed for `'a`.
    unsafe fn value_mut<'a>(node: NonNull<Node<V>>) -> &'a mut V {
        // SAFETY: a live node's value is initialized, and exclusively ours.
        unsafe { &mut (*node.as_ptr()).value }
    }

    /// The block's layout, from the length stored in it.
    ///
    /// # Safety
    /// `node` is a live node.
    unsafe fn block(node: NonNull<Node<V>>) -> Layout {
        // SAFETY: forwarded.
        Self::layout(unsafe { Self::key(node) }.len())
    }

    /// Free an unlinked node and return its value.
    ///
    /// # Safety
    /// `node` is a live node no chain links to any more; it is dead after.
    unsafe fn into_value(node: NonNull<Node<V>>) -> V {
        // SAFETY: the value is read out once, then the block is freed with
        // the layout it was allocated with; nothing refers to it.
        unsafe {
            let layout = Self::block(node);
            let value = std::ptr::addr_of!((*node.as_ptr()).value).read();
            dealloc(node.as_ptr().cast(), layout);
            value
        }
    }

    /// Drop an unlinked node's value and free it.
    ///
    /// # Safety
    /// As [`Node::into_value`].
    unsafe fn destroy(node: NonNull<Node<V>>) {
        // SAFETY: forwarded.
        drop(unsafe { Self::into_value(node) });
    }
}

/// A node met while sampling ([`Dict::sample`]): its value, and its key
/// read only when asked for.
pub struct Sampled<'a, V> {
    node: NonNull<Node<V>>,
    life: PhantomData<&'a V>,
}

impl<'a, V> Sampled<'a, V> {
    pub fn key(&self) -> &'a [u8] {
        // SAFETY: the dict is borrowed for 'a, so the node lives unchanged.
        unsafe { Node::key(self.node) }
    }

    pub fn value(&self) -> &'a V {
        // SAFETY: as in `key`.
        unsafe { Node::value(self.node) }
    }
}

/// Ask the CPU to start loading the cache line at `node`.
#[inline]
fn prefetch<V>(node: NonNull<Node<V>>) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            node.as_ptr().cast_const().cast(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = node;
}

/// A bucket array from the C allocator's `calloc`. Large arrays come
/// from fresh mmap'd pages that the kernel zeroes lazily, so allocating the
/// 64 MiB array of a resize at 4M keys costs microseconds, and the pages are
/// faulted in a few at a time as the incremental rehash fills them. (A
/// zeroed allocation from the global allocator may be cleared eagerly,
/// which measured as a 100 ms stall of the command that triggered the
/// resize.)
struct Buckets<V> {
    ptr: NonNull<Link<V>>,
    len: usize,
}

impl<V> Buckets<V> {
    fn empty() -> Buckets<V> {
        Buckets {
            ptr: NonNull::dangling(),
            len: 0,
        }
    }

    fn zeroed(len: usize) -> Buckets<V> {
        if len == 0 {
            return Buckets::empty();
        }
        // SAFETY: calloc returns null or a block of len * size bytes,
        // zeroed, suitably aligned for any fundamental type (pointers).
        let raw = unsafe { libc::calloc(len, std::mem::size_of::<Link<V>>()) };
        let Some(ptr) = NonNull::new(raw.cast::<Link<V>>()) else {
            std::alloc::handle_alloc_error(
                std::alloc::Layout::array::<Link<V>>(len)
                    .unwrap_or(std::alloc::Layout::new::<Link<V>>()),
            );
        };
        Buckets { ptr, len }
    }
}

impl<V> std::ops::Deref for Buckets<V> {
    type Target = [Link<V>];
    fn deref(&self) -> &[Link<V>] {
        // SAFETY: `len` initialized links (all-zero bytes are valid `None`s
        // because `Option<Box<_>>` is a nullable pointer).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<V> std::ops::DerefMut for Buckets<V> {
    fn deref_mut(&mut self) -> &mut [Link<V>] {
        // SAFETY: as in `deref`, and `self` is borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<V> Drop for Buckets<V> {
    fn drop(&mut self) {
        if self.len == 0 {
            return;
        }
        // SAFETY: every node is reachable from exactly one bucket: each is
        // freed once, after its next link was read; then the block calloc
        // gave us is freed.
        for bucket in self.iter_mut() {
            let mut link = bucket.take();
            while let Some(node) = link {
                unsafe {
                    link = Node::next(node);
                    Node::destroy(node);
                }
            }
        }
        unsafe { libc::free(self.ptr.as_ptr().cast()) };
    }
}

// SAFETY: Buckets owns its nodes like a Box<[Link<V>]> would.
unsafe impl<V: Send> Send for Buckets<V> {}

struct Table<V> {
    buckets: Buckets<V>,
    used: usize,
}

impl<V> Table<V> {
    fn empty() -> Table<V> {
        Table {
            buckets: Buckets::empty(),
            used: 0,
        }
    }

    /// A table of `size` empty buckets (see [`Buckets`]).
    fn with_size(size: usize) -> Table<V> {
        Table {
            buckets: Buckets::zeroed(size),
            used: 0,
        }
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// The node holding `key`, if any. The pointer is valid while the
    /// table is not changed.
    fn find(&self, hash: u64, key: &[u8]) -> Link<V> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut link = self.buckets[hash as usize & self.mask()];
        while let Some(node) = link {
            // SAFETY: nodes linked from the table are live.
            unsafe {
                if Node::key(node) == key {
                    return Some(node);
                }
                link = Node::next(node);
            }
        }
        None
    }

    /// Unlink the node holding `key` and hand it over.
    fn remove(&mut self, hash: u64, key: &[u8]) -> Link<V> {
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut link: *mut Link<V> = &mut self.buckets[hash as usize & mask];
        // SAFETY: `link` points at a bucket or at the `next` of a live node
        // of this table, which `&mut self` lets us change.
        unsafe {
            while let Some(node) = *link {
                if Node::key(node) == key {
                    *link = Node::next(node);
                    self.used -= 1;
                    return Some(node);
                }
                link = Node::next_mut(node);
            }
        }
        None
    }
}

/// The hash table. See the module documentation.
pub struct Dict<V> {
    /// `tables[0]` is the live table; `tables[1]` is the target of a rehash
    /// in progress and empty otherwise.
    tables: [Table<V>; 2],
    /// Next bucket of `tables[0]` to move, while rehashing.
    rehash_index: Option<usize>,
    hasher: foldhash::fast::FixedState,
}

/// A copy with the same keys and values (COPY of a hash, set or sorted
/// set), sized for its contents.
impl<V: Clone> Clone for Dict<V> {
    fn clone(&self) -> Dict<V> {
        let mut copy = Dict::new();
        copy.reserve(self.len());
        for (k, v) in self.iter() {
            copy.insert_absent(k, v.clone());
        }
        copy
    }
}

impl<V> std::fmt::Debug for Dict<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dict({} keys)", self.len())
    }
}

/// Same keys with equal values, whatever the table layout.
impl<V: PartialEq> PartialEq for Dict<V> {
    fn eq(&self, other: &Dict<V>) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict::new()
    }
}

impl<V> Dict<V> {
    pub fn new() -> Dict<V> {
        Dict {
            tables: [Table::empty(), Table::empty()],
            rehash_index: None,
            hasher: foldhash::fast::FixedState::with_seed(hash_seed()),
        }
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Buckets in the live table(s): what INFO and DEBUG report.
    pub fn slots(&self) -> usize {
        self.tables[0].buckets.len() + self.tables[1].buckets.len()
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_index.is_some()
    }

    /// Heap bytes of the bucket arrays (nodes are counted by the caller).
    pub fn bucket_bytes(&self) -> usize {
        self.slots() * std::mem::size_of::<Link<V>>()
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.is_empty() {
            return None;
        }
        let hash = self.hash(key);
        let node = self.tables[0]
            .find(hash, key)
            .or_else(|| self.tables[1].find(hash, key))?;
        // SAFETY: a node of ours, unchanged while `self` is borrowed.
        Some(unsafe { Node::value(node) })
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let hash = self.hash(key);
        let node = self.tables[0]
            .find(hash, key)
            .or_else(|| self.tables[1].find(hash, key))?;
        // SAFETY: a node of ours, exclusively borrowed with `self`.
        Some(unsafe { Node::value_mut(node) })
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Insert or replace; returns the previous value.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        self.rehash_step();
        let hash = self.hash(key);
        for table in &self.tables {
            if let Some(node) = table.find(hash, key) {
                // SAFETY: a node of ours, exclusively borrowed with `self`.
                return Some(std::mem::replace(unsafe { Node::value_mut(node) }, value));
            }
        }
        self.insert_new(hash, key, value);
        None
    }

    /// Insert a key known to be absent.
    pub fn insert_absent(&mut self, key: &[u8], value: V) {
        self.rehash_step();
        let hash = self.hash(key);
        self.insert_new(hash, key, value);
    }

    /// The value for `key`, inserted with `make` first when absent.
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> &mut V {
        self.rehash_step();
        let hash = self.hash(key);
        let node = match self.tables[0]
            .find(hash, key)
            .or_else(|| self.tables[1].find(hash, key))
        {
            Some(node) => node,
            None => self.insert_new(hash, key, make()),
        };
        // SAFETY: a node of ours, exclusively borrowed with `self`.
        unsafe { Node::value_mut(node) }
    }

    fn insert_new(&mut self, hash: u64, key: &[u8], value: V) -> NonNull<Node<V>> {
        self.expand_if_needed();
        let table = &mut self.tables[usize::from(self.is_rehashing())];
        let mask = table.mask();
        let bucket = &mut table.buckets[hash as usize & mask];
        let node = Node::create(key, value, bucket.take());
        *bucket = Some(node);
        table.used += 1;
        node
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let hash = self.hash(key);
        let node = match self.tables[0].remove(hash, key) {
            Some(node) => node,
            None => self.tables[1].remove(hash, key)?,
        };
        // SAFETY: just unlinked: no chain refers to it any more.
        Some(unsafe { Node::into_value(node) })
    }

    /// Drop every key (chains are freed iteratively by [`Buckets`]).
    pub fn clear(&mut self) {
        self.tables = [Table::empty(), Table::empty()];
        self.rehash_index = None;
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.tables[0].buckets.len();
        if size == 0 {
            self.tables[0] = Table::with_size(INITIAL_SIZE);
        } else if let Some(target) = growth_target(self.tables[0].used, size) {
            self.start_resize(target);
        }
    }

    /// Make room for `n` keys up front (DEBUG POPULATE, loading): an empty
    /// table is allocated at that size; a populated one starts an
    /// incremental resize.
    pub fn reserve(&mut self, n: usize) {
        let target = n.max(INITIAL_SIZE).next_power_of_two();
        if self.is_rehashing() || target <= self.tables[0].buckets.len() {
            return;
        }
        if self.tables[0].used == 0 {
            self.tables[0] = Table::with_size(target);
        } else {
            self.start_resize(target);
        }
    }

    /// Halve (or more) a table that is less than 10% full, as Redis's cron
    /// does; true when a resize started.
    pub fn shrink_if_sparse(&mut self) -> bool {
        let size = self.tables[0].buckets.len();
        if self.is_rehashing()
            || size <= INITIAL_SIZE
            || self.tables[0].used * 100 / size >= 10
            || resize_policy() != ResizePolicy::Enable
        {
            return false;
        }
        let target = self.tables[0].used.max(INITIAL_SIZE).next_power_of_two();
        if target >= size {
            return false;
        }
        self.start_resize(target);
        true
    }

    fn start_resize(&mut self, size: usize) {
        self.tables[1] = Table::with_size(size);
        self.rehash_index = Some(0);
    }

    /// Move one bucket (skipping at most a few empty ones) to the new table.
    fn rehash_step(&mut self) {
        if self.rehash_index.is_some() {
            self.rehash(1);
        }
    }

    /// Move up to `steps` buckets; true when more work remains.
    pub fn rehash(&mut self, steps: usize) -> bool {
        let Some(mut index) = self.rehash_index else {
            return false;
        };
        let sizes = (self.tables[0].buckets.len(), self.tables[1].buckets.len());
        if !resize_policy().allows_rehash(sizes.0, sizes.1) {
            return false;
        }
        let mut empty_left = steps * EMPTY_VISITS;
        let [old, new] = &mut self.tables;
        let new_mask = new.mask();
        for _ in 0..steps {
            if old.used == 0 {
                break;
            }
            while old.buckets[index].is_none() {
                index += 1;
                empty_left -= 1;
                if empty_left == 0 {
                    self.rehash_index = Some(index);
                    return true;
                }
            }
            let mut link = old.buckets[index].take();
            while let Some(node) = link {
                // SAFETY: a live node taken off the old chain; its next link
                // is read before it is relinked in the new table.
                unsafe {
                    link = Node::next(node);
                    let hash = self.hasher.hash_one(Node::key(node));
                    let bucket = &mut new.buckets[hash as usize & new_mask];
                    *Node::next_mut(node) = bucket.take();
                    *bucket = Some(node);
                }
                old.used -= 1;
                new.used += 1;
            }
            index += 1;
        }
        if old.used == 0 {
            self.tables.swap(0, 1);
            self.tables[1] = Table::empty();
            self.rehash_index = None;
            return false;
        }
        self.rehash_index = Some(index);
        true
    }

    /// Visit the keys of the bucket(s) at `cursor` and return the next
    /// cursor (0 when the scan is complete). See the module documentation.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor as usize;
        let emit = |table: &Table<V>, index: usize, visit: &mut dyn FnMut(&[u8], &V)| {
            let mut link = table.buckets[index];
            while let Some(node) = link {
                // SAFETY: nodes of ours, unchanged while `self` is borrowed.
                unsafe {
                    visit(Node::key(node), Node::value(node));
                    link = Node::next(node);
                }
            }
        };
        if !self.is_rehashing() {
            let t0 = &self.tables[0];
            let m0 = t0.mask();
            emit(t0, v & m0, &mut visit);
            v = next_cursor(v, m0);
        } else {
            let (small, large) = if self.tables[0].buckets.len() <= self.tables[1].buckets.len() {
                (&self.tables[0], &self.tables[1])
            } else {
                (&self.tables[1], &self.tables[0])
            };
            let (m0, m1) = (small.mask(), large.mask());
            emit(small, v & m0, &mut visit);
            // Then every bucket of the larger table that the small bucket
            // expands to: the cursor's bits above m0.
            loop {
                emit(large, v & m1, &mut visit);
                v = next_cursor(v, m1);
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v as u64
    }

    /// Every key and value, in bucket order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.tables.iter().flat_map(|t| {
            t.buckets.iter().flat_map(|bucket| {
                let mut link = *bucket;
                std::iter::from_fn(move || {
                    let node = link?;
                    // SAFETY: nodes of ours, unchanged while `self` is
                    // borrowed (the iterator borrows it).
                    unsafe {
                        link = Node::next(node);
                        Some((Node::key(node), Node::value(node)))
                    }
                })
            })
        })
    }

    /// Visit up to `count` keys found from a random bucket onwards (Redis's
    /// dictGetSomeKeys: cheap, not uniform; what eviction samples). Runs of
    /// empty buckets jump to another random place. Returns the number
    /// visited. The visitor gets the node: a key's bytes are read only
    /// when it asks for them (eviction scores by the value first).
    ///
    /// The bucket array is read in order and the head nodes of a batch are
    /// prefetched before any is visited, so the batch's cache misses (one
    /// per node, the key being in the node) overlap instead of following
    /// one another.
    pub fn sample(
        &self,
        rng: &mut Rng,
        count: usize,
        mut visit: impl FnMut(Sampled<'_, V>),
    ) -> usize {
        const BATCH: usize = 64;
        let count = count.min(self.len());
        let mut got = 0;
        let mut index = rng.next_u64() as usize;
        let mut empty_run = 0;
        let mut steps = count * 10;
        let mut heads: [Link<V>; BATCH] = [None; BATCH];
        while got < count && steps > 0 {
            // Gather the heads of non-empty buckets (each holds at least
            // one key) until they are enough for what is missing.
            let want = (count - got).min(BATCH);
            let mut found = 0;
            while found < want && steps > 0 {
                steps -= 1;
                for (which, table) in self.tables.iter().enumerate() {
                    if table.buckets.is_empty() || found == want {
                        continue;
                    }
                    let at = index & table.mask();
                    // Buckets of the old table below the rehash index are empty.
                    if which == 0 && self.rehash_index.is_some_and(|done| at < done) {
                        continue;
                    }
                    match table.buckets[at] {
                        None => {
                            empty_run += 1;
                            if empty_run >= 5 && empty_run > count {
                                index = rng.next_u64() as usize;
                                empty_run = 0;
                            }
                        }
                        Some(node) => {
                            empty_run = 0;
                            prefetch(node);
                            heads[found] = Some(node);
                            found += 1;
                        }
                    }
                }
                index = index.wrapping_add(1);
            }
            for head in &heads[..found] {
                let mut link = *head;
                while let Some(node) = link {
                    visit(Sampled {
                        node,
                        life: PhantomData,
                    });
                    got += 1;
                    if got == count {
                        return got;
                    }
                    // SAFETY: a node of ours, unchanged while `self` is
                    // borrowed.
                    link = unsafe { Node::next(node) };
                }
            }
        }
        got
    }

    /// A key chosen at random (a random non-empty bucket, then a random node
    /// of its chain), or None when empty.
    pub fn random(&self, rng: &mut Rng) -> Option<(&[u8], &V)> {
        if self.is_empty() {
            return None;
        }
        let pick_bucket = |rng: &mut Rng| -> &Link<V> {
            let total = self.slots();
            let mut i = rng.below(total as u64) as usize;
            let t0 = self.tables[0].buckets.len();
            // While rehashing, buckets of t0 below the rehash index are empty.
            if let Some(done) = self.rehash_index
                && i < done
            {
                i = done + rng.below((total - done) as u64) as usize;
            }
            if i < t0 {
                &self.tables[0].buckets[i]
            } else {
                &self.tables[1].buckets[i - t0]
            }
        };
        // Picking a bucket and then a link of its chain would favour keys
        // alone in their bucket. Instead a bucket and a position below
        // CHAIN_SPAN are drawn, and the draw counts only if that position
        // exists: every key of a chain up to CHAIN_SPAN long is then equally
        // likely (longer chains, rare even in the smaller table of a rehash,
        // where four would not do, are treated as that long). A sparse table (after mass deletion) needs more
        // tries; they are bounded, then the bucket-then-link draw is used.
        for attempt in 0..RANDOM_ATTEMPTS {
            let Some(head) = *pick_bucket(rng) else {
                continue;
            };
            // SAFETY: nodes of ours, unchanged while `self` is borrowed.
            unsafe {
                let mut len = 0u64;
                let mut link = Some(head);
                while let Some(n) = link {
                    len += 1;
                    link = Node::next(n);
                }
                let Some(position) = chain_position(rng, attempt, len) else {
                    continue;
                };
                let mut n = head;
                for _ in 0..position {
                    n = Node::next(n)?;
                }
                return Some((Node::key(n), Node::value(n)));
            }
        }
        self.iter().next()
    }
}

/// When tables may resize, as Redis's `dict_can_resize`: freely, or while
/// a fork child shares the parent's pages only where the table is far
/// out of shape (every bucket moved copies a page), or never (in the
/// child itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizePolicy {
    Enable = 0,
    Avoid = 1,
    Forbid = 2,
}

/// Redis's `dict_force_resize_ratio`: how far out of shape (keys per
/// bucket, or bucket ratio of a rehash) a table must be to resize while a
/// child runs.
const FORCE_RESIZE_RATIO: usize = 5;

impl ResizePolicy {
    fn allows_growth(self, used: usize, size: usize) -> bool {
        match self {
            ResizePolicy::Enable => used >= size,
            ResizePolicy::Avoid => used / size > FORCE_RESIZE_RATIO,
            ResizePolicy::Forbid => false,
        }
    }

    pub(crate) fn allows_rehash(self, from: usize, to: usize) -> bool {
        match self {
            ResizePolicy::Enable => true,
            ResizePolicy::Avoid => from.max(to) / from.min(to).max(1) >= FORCE_RESIZE_RATIO,
            ResizePolicy::Forbid => false,
        }
    }
}

static RESIZE_POLICY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Set the resize policy of every table (when a fork child starts and
/// ends, and in the child).
pub fn set_resize_policy(policy: ResizePolicy) {
    RESIZE_POLICY.store(policy as u8, std::sync::atomic::Ordering::Relaxed);
}

pub(crate) fn resize_policy() -> ResizePolicy {
    match RESIZE_POLICY.load(std::sync::atomic::Ordering::Relaxed) {
        0 => ResizePolicy::Enable,
        1 => ResizePolicy::Avoid,
        _ => ResizePolicy::Forbid,
    }
}

/// Longest chain the stats count separately (Redis's DICT_STATS_VECTLEN).
const STATS_CHAIN_LENGTHS: usize = 50;

impl<V> Dict<V> {
    /// DEBUG HTSTATS: the shape of the live table, and of the rehash
    /// target while a rehash runs, in Redis's words.
    pub fn stats(&self) -> String {
        let mut out = String::new();
        let tables = if self.is_rehashing() { 2 } else { 1 };
        for (index, table) in self.tables[..tables].iter().enumerate() {
            let chains = table.buckets.iter().map(|bucket| {
                let mut len = 0;
                let mut link = *bucket;
                while let Some(node) = link {
                    len += 1;
                    // SAFETY: nodes of ours, unchanged while `self` is
                    // borrowed.
                    link = unsafe { Node::next(node) };
                }
                len
            });
            table_stats(&mut out, index, table.used, chains);
        }
        out
    }
}

/// One table's part of DEBUG HTSTATS (Redis's `_dictGetStatsHt`), from
/// the length of every bucket's chain.
pub(crate) fn table_stats(
    out: &mut String,
    index: usize,
    used: usize,
    chains: impl ExactSizeIterator<Item = usize>,
) {
    use std::fmt::Write;
    let name = if index == 0 {
        "main hash table"
    } else {
        "rehashing target"
    };
    let _ = writeln!(out, "Hash table {index} stats ({name}):");
    if used == 0 {
        out.push_str("No stats available for empty dictionaries\n");
        return;
    }
    let size = chains.len();
    let mut lengths = [0usize; STATS_CHAIN_LENGTHS];
    let (mut slots, mut longest, mut total) = (0usize, 0usize, 0usize);
    for len in chains {
        lengths[len.min(STATS_CHAIN_LENGTHS - 1)] += 1;
        if len > 0 {
            slots += 1;
            longest = longest.max(len);
            total += len;
        }
    }
    let _ = write!(
        out,
        " table size: {size}\n number of elements: {used}\n different slots: {slots}\n \
         max chain length: {longest}\n avg chain length (counted): {:.2}\n \
         avg chain length (computed): {:.2}\n Chain length distribution:\n",
        total as f32 / slots as f32,
        used as f32 / slots as f32,
    );
    for (len, &count) in lengths[..STATS_CHAIN_LENGTHS - 1].iter().enumerate() {
        if count > 0 {
            let share = count as f32 / size as f32 * 100.0;
            let _ = writeln!(out, "   {len}: {count} ({share:.2}%)");
        }
    }
}

/// The memory limit tables respect when they grow (maxmemory; 0: none).
static GROWTH_LIMIT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Set the memory limit of table growth (the server's maxmemory).
pub fn set_growth_limit(bytes: usize) {
    GROWTH_LIMIT.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// The size a table of `size` buckets holding `used` keys grows to now,
/// if it grows: when full (or five times over while a child runs, see
/// [`ResizePolicy`]) and the memory limit allows ([`expand_allowed`]).
pub(crate) fn growth_target(used: usize, size: usize) -> Option<usize> {
    if !resize_policy().allows_growth(used, size) {
        return None;
    }
    let target = (used + 1).next_power_of_two();
    expand_allowed(target, used, size).then_some(target)
}

/// Whether a table of `size` buckets holding `used` keys may grow to
/// `target` buckets: not when the new bucket array would take used memory
/// past maxmemory (eviction would then throw keys out to pay for a resize
/// nobody needs yet), unless the table is over Redis's 1.618 load factor
/// (dictExpandAllowed).
fn expand_allowed(target: usize, used: usize, size: usize) -> bool {
    let limit = GROWTH_LIMIT.load(std::sync::atomic::Ordering::Relaxed);
    if limit == 0 || used * 1000 > size * 1618 {
        return true;
    }
    let more = target * std::mem::size_of::<usize>();
    super::memory::allocated() + more <= limit
}

/// Advance a reverse-binary cursor: set the bits above the mask, then add
/// one to the reversed value.
pub(crate) fn next_cursor(v: usize, mask: usize) -> usize {
    let v = v | !mask;
    v.reverse_bits().wrapping_add(1).reverse_bits()
}

/// A per-process random seed so that clients cannot aim keys at one bucket.
pub(crate) fn hash_seed() -> u64 {
    use std::sync::OnceLock;
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| Rng::from_entropy().next_u64())
}

/// A small fast PRNG (xorshift64*) for sampling; not for secrets.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn from_entropy() -> Rng {
        let mut seed = [0u8; 8];
        // SAFETY: getrandom writes at most `len` bytes into the buffer.
        let got = unsafe { libc::getrandom(seed.as_mut_ptr().cast(), seed.len(), 0) };
        let mut value = u64::from_ne_bytes(seed);
        if got != 8 {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            value = now ^ (u64::from(std::process::id()) << 32);
        }
        Rng::new(value)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// Draws of a random pick (`Dict::random`, the sorted-set member index's
/// `random`) before the last, which takes any position of its chain.
pub(crate) const RANDOM_ATTEMPTS: u32 = 4096;

/// The position to take in a chain of `len` nodes on draw `attempt` of a
/// random pick, or None to draw again: a position below a fixed span
/// counts only if it exists, so every node of a chain up to that span is
/// equally likely; the last draw takes any position.
pub(crate) fn chain_position(rng: &mut Rng, attempt: u32, len: u64) -> Option<u64> {
    const CHAIN_SPAN: u64 = 8;
    let position = if attempt < RANDOM_ATTEMPTS - 1 {
        rng.below(CHAIN_SPAN.max(len))
    } else {
        rng.below(len)
    };
    (position < len).then_some(position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    #[test]
    fn insert_get_remove_across_resizes() {
        let mut d = Dict::new();
        for i in 0..10_000 {
            assert!(d.insert(&key(i), i).is_none());
        }
        assert_eq!(d.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        assert_eq!(d.insert(&key(5), 50), Some(5));
        for i in 0..9_990 {
            assert_eq!(d.remove(&key(i)), if i == 5 { Some(50) } else { Some(i) });
        }
        assert_eq!(d.len(), 10);
        while d.shrink_if_sparse() || d.rehash(100) {}
        assert!(d.slots() <= 16, "shrunk to {}", d.slots());
        for i in 9_990..10_000 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
    }

    #[test]
    fn resizes_move_a_bounded_number_of_buckets_per_operation() {
        let mut d = Dict::new();
        for i in 0..(1 << 16) {
            d.insert(&key(i), ());
        }
        // The table doubled at 65,536 keys and the rehash is still under
        // way: inserting moved only one bucket at a time.
        d.insert(&key(usize::MAX), ());
        assert!(d.is_rehashing());
    }

    #[test]
    fn random_picks_every_key_equally_often() {
        // Ten keys in sixteen buckets share some buckets: a bucket-then-link
        // draw would pick those keys half as often. Chi-square with nine
        // degrees of freedom stays under 40 but for one time in 100,000.
        for seed in 1..=20u64 {
            let mut d = Dict::new();
            for i in 0..10 {
                d.insert(&key(i + 100 * seed as usize), i);
            }
            let mut rng = Rng::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut counts = [0u32; 10];
            let draws = 10_000;
            for _ in 0..draws {
                let (_, &v) = d.random(&mut rng).expect("not empty");
                counts[v] += 1;
            }
            let expected = f64::from(draws) / 10.0;
            let chi: f64 = counts
                .iter()
                .map(|&c| (f64::from(c) - expected).powi(2) / expected)
                .sum();
            assert!(
                chi < 40.0,
                "seed {seed}: chi-square {chi}, counts {counts:?}"
            );
        }
    }

    fn full_scan(d: &Dict<usize>, mut between: impl FnMut(usize)) -> HashSet<Vec<u8>> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            between(round);
            round += 1;
            if cursor == 0 {
                return seen;
            }
        }
    }

    #[test]
    fn scan_returns_every_key_while_the_table_grows() {
        let mut d = Dict::new();
        for i in 0..1000 {
            d.insert(&key(i), i);
        }
        // Interleave scanning with growth: insert while scanning.
        let d = std::cell::RefCell::new(d);
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut next = 1000;
        loop {
            cursor = d.borrow().scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            // Grow through a few doublings, then let the scan finish.
            if next < 6000 {
                for _ in 0..3 {
                    d.borrow_mut().insert(&key(next), next);
                    next += 1;
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            assert!(seen.contains(&key(i)), "key {i} missed");
        }
        assert!(next > 4096, "the scan spanned growth");
    }

    #[test]
    fn scan_returns_every_key_while_the_table_shrinks() {
        let mut d = Dict::new();
        for i in 0..4000 {
            d.insert(&key(i), i);
        }
        let cell = std::cell::RefCell::new(d);
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut doomed = 1000;
        loop {
            cursor = cell.borrow().scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            let mut d = cell.borrow_mut();
            for _ in 0..100 {
                if doomed < 4000 {
                    d.remove(&key(doomed));
                    doomed += 1;
                }
            }
            d.shrink_if_sparse();
            d.rehash(1);
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            assert!(seen.contains(&key(i)), "key {i} missed");
        }
    }

    #[test]
    fn full_scan_without_changes_sees_each_key() {
        let mut d = Dict::new();
        for i in 0..777 {
            d.insert(&key(i), i);
        }
        let seen = full_scan(&d, |_| {});
        assert_eq!(seen.len(), 777);
    }

    #[test]
    fn keys_of_every_length_live_in_their_node() {
        // Empty, short, the last one-byte length, the first long length,
        // and long keys, across resizes and removals.
        let lens = [0usize, 1, 7, 31, 254, 255, 256, 1000, 70_000];
        let mut d = Dict::new();
        for round in 0..40usize {
            for &len in &lens {
                let k: Vec<u8> = (0..len).map(|i| (i + round) as u8).collect();
                d.insert(&k, (round, len));
            }
        }
        assert_eq!(d.len(), lens.len() * 40 - 39, "the empty key is one key");
        for (k, &(round, len)) in d.iter() {
            assert_eq!(k.len(), len);
            let expected: Vec<u8> = (0..len).map(|i| (i + round) as u8).collect();
            assert_eq!(k, &expected[..]);
        }
        let k: Vec<u8> = (0..255).map(|i| (i + 3) as u8).collect();
        assert_eq!(d.remove(&k), Some((3, 255)));
        assert_eq!(d.get(&k), None);
        let mut rng = Rng::new(3);
        let mut seen = 0;
        d.sample(&mut rng, 5, |n| {
            assert_eq!(n.key().len(), n.value().1);
            seen += 1;
        });
        assert_eq!(seen, 5);
    }

    #[test]
    fn every_value_is_dropped_exactly_once() {
        use std::rc::Rc;
        let token = Rc::new(());
        let mut d = Dict::new();
        for i in 0..5000 {
            d.insert(&key(i), Rc::clone(&token));
        }
        // Replacing drops the old value; removing hands the value back.
        let old = d.insert(&key(1), Rc::clone(&token));
        drop(old);
        let removed = d.remove(&key(2));
        assert!(removed.is_some());
        drop(removed);
        *d.get_or_insert_with(&key(3), || unreachable!()) = Rc::clone(&token);
        d.get_or_insert_with(&key(9999), || Rc::clone(&token));
        assert_eq!(Rc::strong_count(&token), 1 + 5000);
        let copy = d.clone();
        assert_eq!(Rc::strong_count(&token), 1 + 2 * 5000);
        drop(copy);
        for i in 0..4000 {
            d.remove(&key(i));
        }
        while d.shrink_if_sparse() || d.rehash(100) {}
        assert_eq!(Rc::strong_count(&token), 1 + d.len());
        d.clear();
        assert_eq!(Rc::strong_count(&token), 1);
        // A table dropped in the middle of a rehash frees both tables.
        let mut d = Dict::new();
        for i in 0..(1 << 12) + 1 {
            d.insert(&key(i), Rc::clone(&token));
        }
        assert!(d.is_rehashing());
        drop(d);
        assert_eq!(Rc::strong_count(&token), 1);
    }

    #[test]
    fn random_finds_keys_in_sparse_tables() {
        let mut d = Dict::new();
        for i in 0..1000 {
            d.insert(&key(i), i);
        }
        for i in 1..1000 {
            d.remove(&key(i));
        }
        let mut rng = Rng::new(7);
        assert_eq!(d.random(&mut rng).map(|(k, _)| k.to_vec()), Some(key(0)));
    }
}
