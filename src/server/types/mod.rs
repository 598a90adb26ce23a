//! The value model: [`Value`] (one variant per type and encoding), its
//! [`Kind`] and the string encodings ([`Str`]), and the collection types
//! behind it: lists, hashes,
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
pub mod member_index;
pub mod packed;
pub mod set;
pub mod skiplist;
pub mod stream;
pub mod zset;

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use super::thin::ThinBytes;
use hash::{HashRef, HashTable};
use list::List;
use packed::Packed;
use set::{SetRef, SetTable};
use zset::{SkipZset, ZsetRef};

/// A value of any type, each collection type in its compact or its full
/// encoding (see [`super::types`]). Every variant holds one word besides
/// the discriminant, so a `Value` stays 16 bytes whatever it holds; the
/// per-type modules give typed views (`HashRef`, `SetRef`, `ZsetRef`)
/// over the pairs of variants. Everything that matches on `Value` (TYPE,
/// OBJECT ENCODING, MEMORY USAGE, COPY, RDB) handles each variant.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(Str),
    /// Redis 7.0 reports every list as "quicklist".
    List(Box<List>),
    /// "listpack"
    HashPacked(Packed),
    /// "hashtable"
    HashTable(Box<HashTable>),
    /// "intset"
    SetInts(Packed),
    /// "hashtable"
    SetTable(Box<SetTable>),
    /// "listpack"
    ZsetPacked(Packed),
    /// "skiplist"
    ZsetSkiplist(Box<SkipZset>),
    /// "stream": listpack nodes and consumer groups ([`stream`]).
    Stream(Box<stream::Stream>),
    /// A value of a type this server stores but cannot operate on (module
    /// types), kept as it was serialized in an RDB file: see
    /// [`Opaque`].
    Opaque(Box<Opaque>),
}

/// The data type of a value, as TYPE names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    List,
    Hash,
    Set,
    Zset,
    Stream,
    /// A module value kept in its RDB form ([`Opaque`]).
    Opaque,
}

impl Value {
    pub fn kind(&self) -> Kind {
        match self {
            Value::String(_) => Kind::String,
            Value::List(_) => Kind::List,
            Value::HashPacked(_) | Value::HashTable(_) => Kind::Hash,
            Value::SetInts(_) | Value::SetTable(_) => Kind::Set,
            Value::ZsetPacked(_) | Value::ZsetSkiplist(_) => Kind::Zset,
            Value::Stream(_) => Kind::Stream,
            Value::Opaque(_) => Kind::Opaque,
        }
    }

    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self.kind() {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::Zset => "zset",
            Kind::Stream => "stream",
            Kind::Opaque => match self {
                Value::Opaque(o) => o.type_name,
                _ => "none",
            },
        }
    }

    /// Move up to `steps` buckets of a rehash in progress in the value's
    /// hash table, as Redis's random sampling does (so a loop of
    /// read-only SRANDMEMBERs still finishes a resize).
    pub fn rehash_steps(&mut self, steps: usize) {
        match self {
            Value::HashTable(t) => {
                t.rehash(steps);
            }
            Value::SetTable(t) => {
                t.rehash(steps);
            }
            Value::ZsetSkiplist(z) => (0..steps).for_each(|_| z.list.rehash_step()),
            _ => {}
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::String(s) => s.encoding(),
            Value::List(_) => "quicklist",
            Value::HashPacked(_) | Value::ZsetPacked(_) => "listpack",
            Value::HashTable(_) | Value::SetTable(_) => "hashtable",
            Value::SetInts(_) => "intset",
            Value::ZsetSkiplist(_) => "skiplist",
            Value::Stream(_) => "stream",
            Value::Opaque(o) => o.encoding,
        }
    }

    /// Elements in a collection (0 for strings).
    pub fn len(&self) -> usize {
        match self {
            Value::String(_) => 0,
            Value::List(l) => l.len(),
            Value::HashPacked(_) | Value::HashTable(_) => HashRef::of(self).map_or(0, |h| h.len()),
            Value::SetInts(_) | Value::SetTable(_) => SetRef::of(self).map_or(0, |s| s.len()),
            Value::ZsetPacked(_) | Value::ZsetSkiplist(_) => {
                ZsetRef::of(self).map_or(0, |z| z.len())
            }
            Value::Stream(s) => s.len() as usize,
            Value::Opaque(_) => 0,
        }
    }

    /// A collection without elements (never stored: Redis deletes them).
    /// A stream is never empty in this sense: Redis keeps empty streams.
    pub fn is_empty(&self) -> bool {
        !matches!(self, Value::Stream(_)) && self.len() == 0
    }

    /// Approximate heap bytes owned by the value (MEMORY USAGE, INFO).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::String(Str::Int(_)) => 0,
            Value::String(Str::Embedded(b)) => b.len() + 1,
            Value::String(Str::Raw(v)) => v.capacity() + std::mem::size_of::<Vec<u8>>(),
            Value::List(l) => l.heap_bytes(),
            Value::HashPacked(_) | Value::HashTable(_) => {
                HashRef::of(self).map_or(0, |h| h.heap_bytes())
            }
            Value::SetInts(_) | Value::SetTable(_) => {
                SetRef::of(self).map_or(0, |s| s.heap_bytes())
            }
            Value::ZsetPacked(_) | Value::ZsetSkiplist(_) => {
                ZsetRef::of(self).map_or(0, |z| z.heap_bytes())
            }
            Value::Stream(s) => s.heap_bytes(),
            Value::Opaque(o) => o.data.len() + std::mem::size_of::<Opaque>(),
        }
    }
}

/// A value kept in its serialized RDB form: the type byte and the bytes
/// that follow the key in a dump. Every 7.0 dump loads, even with streams
/// or module values in it; such keys can be deleted, expired, renamed,
/// moved, copied, dumped and saved unchanged, while the commands of their
/// type answer WRONGTYPE.
#[derive(Clone, Debug, PartialEq)]
pub struct Opaque {
    /// The RDB type byte the bytes are written with.
    pub rdb_type: u8,
    pub data: Box<[u8]>,
    /// What TYPE and OBJECT ENCODING report.
    pub type_name: &'static str,
    pub encoding: &'static str,
}

/// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: longer strings report "raw".
pub const EMBSTR_LIMIT: usize = 44;

/// A string value in one of Redis's three encodings.
#[derive(Clone, Debug, PartialEq)]
pub enum Str {
    /// A canonical decimal integer ("int").
    Int(i64),
    /// Immutable bytes as SET stores them ("embstr" up to 44 bytes).
    Embedded(ThinBytes),
    /// Bytes that were modified in place (APPEND, SETRANGE, SETBIT): kept
    /// with spare capacity so repeated appends are amortized ("raw").
    Raw(Box<Vec<u8>>),
}

impl Str {
    /// A string from client bytes, encoded as Redis's tryObjectEncoding
    /// would: integers that print back identically become `Int`.
    pub fn from_bytes(bytes: &[u8]) -> Str {
        if bytes.len() <= 20
            && let Some(n) = crate::resp::number::string2ll(bytes)
        {
            return Str::Int(n);
        }
        Str::Embedded(ThinBytes::new(bytes))
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Str::Int(_) => "int",
            Str::Embedded(b) if b.len() <= EMBSTR_LIMIT => "embstr",
            Str::Embedded(_) | Str::Raw(_) => "raw",
        }
    }

    /// The bytes, formatting an integer into `scratch`.
    pub fn bytes<'a>(&'a self, scratch: &'a mut itoa::Buffer) -> &'a [u8] {
        match self {
            Str::Int(n) => scratch.format(*n).as_bytes(),
            Str::Embedded(b) => b,
            Str::Raw(v) => v,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut scratch = itoa::Buffer::new();
        self.bytes(&mut scratch).to_vec()
    }

    pub fn len(&self) -> usize {
        match self {
            Str::Int(n) => itoa::Buffer::new().format(*n).len(),
            Str::Embedded(b) => b.len(),
            Str::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes as a growable buffer, converting to the raw encoding.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Raw(_)) {
            *self = Str::Raw(Box::new(self.to_vec()));
        }
        match self {
            Str::Raw(v) => v,
            _ => unreachable!("converted to raw above"),
        }
    }
}

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
    /// Streams: bytes and entries per listpack node (0: no limit).
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: usize,
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
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
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
static STREAM_BYTES: AtomicUsize = AtomicUsize::new(4096);
static STREAM_ENTRIES: AtomicUsize = AtomicUsize::new(100);

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
        stream_node_max_bytes: STREAM_BYTES.load(Ordering::Relaxed),
        stream_node_max_entries: STREAM_ENTRIES.load(Ordering::Relaxed),
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
    STREAM_BYTES.store(l.stream_node_max_bytes, Ordering::Relaxed);
    STREAM_ENTRIES.store(l.stream_node_max_entries, Ordering::Relaxed);
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
