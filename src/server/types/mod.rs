//! The collection types behind [`super::keyspace::Value`]: lists, hashes,
//! sets and sorted sets, each with the compact encoding Redis uses for small
//! values and the full one it converts to, at the same thresholds.
//!
//! - [`packed`]: the one-allocation byte buffer every compact encoding
//!   lives in, and its entry format;
//! - [`list`]: the quicklist (a deque of packed nodes);
//! - [`hash`]: listpack (packed field/value pairs) or hashtable;
//! - [`intset`] and [`set`]: intset (sorted packed integers) or hashtable;
//! - [`skiplist`] and [`zset`]: listpack (packed member/score pairs in
//!   order) or skiplist (an indexed skiplist with spans for O(log n) rank
//!   plus a member → score table).
//!
//! The conversion thresholds are server settings (`hash-max-listpack-*`,
//! `set-max-intset-entries`, `zset-max-listpack-*`, `list-max-listpack-size`)
//! read through [`limits`]: process-wide, because loading a snapshot and
//! RESTORE choose encodings exactly as commands do, without a server at hand.
//! The server stores them with [`set_limits`] whenever its configuration
//! changes.

pub mod hash;
pub mod hll;
pub mod intset;
pub mod list;
pub mod packed;
pub mod set;
pub mod skiplist;
pub mod zset;

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

/// The encoding thresholds (Redis 7.0's defaults in [`Limits::default`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// Positive: items per list node; -1..-5: 4..64 KiB per node.
    pub list_max_listpack_size: i64,
    /// Accepted for compatibility; nodes are not compressed.
    pub list_compress_depth: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
        }
    }
}

static HASH_ENTRIES: AtomicUsize = AtomicUsize::new(512);
static HASH_VALUE: AtomicUsize = AtomicUsize::new(64);
static SET_INTSET: AtomicUsize = AtomicUsize::new(512);
static ZSET_ENTRIES: AtomicUsize = AtomicUsize::new(128);
static ZSET_VALUE: AtomicUsize = AtomicUsize::new(64);
static LIST_SIZE: AtomicI64 = AtomicI64::new(-2);
static LIST_DEPTH: AtomicI64 = AtomicI64::new(0);

/// The thresholds in force.
pub fn limits() -> Limits {
    Limits {
        hash_max_listpack_entries: HASH_ENTRIES.load(Ordering::Relaxed),
        hash_max_listpack_value: HASH_VALUE.load(Ordering::Relaxed),
        set_max_intset_entries: SET_INTSET.load(Ordering::Relaxed),
        zset_max_listpack_entries: ZSET_ENTRIES.load(Ordering::Relaxed),
        zset_max_listpack_value: ZSET_VALUE.load(Ordering::Relaxed),
        list_max_listpack_size: LIST_SIZE.load(Ordering::Relaxed),
        list_compress_depth: LIST_DEPTH.load(Ordering::Relaxed),
    }
}

/// Replace the thresholds (at startup and on CONFIG SET).
pub fn set_limits(l: &Limits) {
    HASH_ENTRIES.store(l.hash_max_listpack_entries, Ordering::Relaxed);
    HASH_VALUE.store(l.hash_max_listpack_value, Ordering::Relaxed);
    SET_INTSET.store(l.set_max_intset_entries, Ordering::Relaxed);
    ZSET_ENTRIES.store(l.zset_max_listpack_entries, Ordering::Relaxed);
    ZSET_VALUE.store(l.zset_max_listpack_value, Ordering::Relaxed);
    LIST_SIZE.store(l.list_max_listpack_size, Ordering::Relaxed);
    LIST_DEPTH.store(l.list_compress_depth, Ordering::Relaxed);
}

/// Field/value pairs of a hash, counted.
pub type Pairs<'a> = Counted<Box<dyn Iterator<Item = (&'a [u8], &'a [u8])> + 'a>>;
/// Members with scores of a sorted set, counted.
pub type Scored<'a> = Counted<Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a>>;

/// An iterator with a known length, from any iterator and its length (the
/// RDB writer wants exact sizes; hash-table iterators do not know theirs).
pub struct Counted<I> {
    inner: I,
    left: usize,
}

impl<I> Counted<I> {
    pub fn new(inner: I, len: usize) -> Counted<I> {
        Counted { inner, left: len }
    }
}

impl<I: Iterator> Iterator for Counted<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next()?;
        self.left = self.left.saturating_sub(1);
        Some(item)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<I: Iterator> ExactSizeIterator for Counted<I> {}
