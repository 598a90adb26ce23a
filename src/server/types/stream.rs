//! Streams as Redis 7.0 keeps them: entries in listpack nodes, each node
//! under the ID of its first entry (the "master ID"), and consumer groups
//! with their pending-entries lists.
//!
//! Redis indexes the nodes with a radix tree keyed by the master ID as a
//! 128-bit big-endian number; here an ordered map keyed by the ID stands
//! in for it (same order, same lookups: "the node at or before this ID").
//! The nodes themselves are byte for byte Redis's listpacks:
//!
//! - a master entry: `count | deleted | num-fields | field… | 0`;
//! - per entry: `flags | ms-delta | seq-delta | [num-fields | field…]
//!   value… | lp-count` where the fields are omitted when they are the
//!   master entry's (flag 2) and deleted entries keep their place with
//!   flag 1 until the node empties;
//!
//! so a snapshot written from here is the one redis-server writes. A node
//! is closed when it reaches `stream-node-max-bytes` or
//! `stream-node-max-entries` (see [`super::limits`]); the closed nodes of
//! a large stream are then packed into shared blocks ([`Nodes`]).
//!
//! Consumer groups keep `last_id`, `entries_read` (−1 when unknown) and a
//! PEL ordered by ID; each consumer keeps the IDs of its own pending
//! entries, the group's PEL records who owns each.

use std::collections::{BTreeMap, BTreeSet};

pub use crate::rdb::StreamId as Id;

/// Entry flag: deleted (kept in place until the node empties).
pub const FLAG_DELETED: i64 = 1;
/// Entry flag: same field names as the master entry.
pub const FLAG_SAMEFIELDS: i64 = 2;
/// Redis's STREAM_LISTPACK_MAX_SIZE: a listpack never grows past 1 GiB.
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;

pub const MIN_ID: Id = Id { ms: 0, seq: 0 };
pub const MAX_ID: Id = Id {
    ms: u64::MAX,
    seq: u64::MAX,
};

/// The ID after `id` (None past the maximum).
pub fn incr(id: Id) -> Option<Id> {
    if id.seq == u64::MAX {
        if id.ms == u64::MAX {
            return None;
        }
        Some(Id {
            ms: id.ms + 1,
            seq: 0,
        })
    } else {
        Some(Id {
            ms: id.ms,
            seq: id.seq + 1,
        })
    }
}

/// The ID before `id` (None before 0-0).
pub fn decr(id: Id) -> Option<Id> {
    if id.seq == 0 {
        if id.ms == 0 {
            return None;
        }
        Some(Id {
            ms: id.ms - 1,
            seq: u64::MAX,
        })
    } else {
        Some(Id {
            ms: id.ms,
            seq: id.seq - 1,
        })
    }
}

// ---------------------------------------------------------------------------
// Listpack encoding (listpack.c), only what stream nodes use.

const LP_HEADER: usize = 6;
const LP_EOF: u8 = 0xFF;
const LP_UNKNOWN_COUNT: u16 = u16::MAX;

/// One listpack element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Elem<'_> {
    pub fn int(self) -> i64 {
        match self {
            Elem::Int(n) => n,
            Elem::Str(s) => crate::resp::number::string2ll(s).unwrap_or(0),
        }
    }

    /// The element's bytes (an integer formatted into `buf`).
    pub fn bytes<'b>(&'b self, buf: &'b mut itoa::Buffer) -> &'b [u8] {
        match self {
            Elem::Int(n) => buf.format(*n).as_bytes(),
            Elem::Str(s) => s,
        }
    }

    pub fn eq_bytes(self, other: &[u8]) -> bool {
        match self {
            Elem::Str(s) => s == other,
            Elem::Int(n) => itoa::Buffer::new().format(n).as_bytes() == other,
        }
    }
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn put_backlen(out: &mut Vec<u8>, l: usize) {
    let n = backlen_size(l);
    for i in (0..n).rev() {
        let b = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { b } else { b | 128 });
    }
}

/// Encode an integer element (encoding, data and back length).
fn encode_int(out: &mut Vec<u8>, v: i64) {
    let start = out.len();
    if (0..=127).contains(&v) {
        out.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = if v < 0 { (1 << 13) + v } else { v } as u16;
        out.push(((u >> 8) as u8) | 0xC0);
        out.push(u as u8);
    } else if (-32768..=32767).contains(&v) {
        out.push(0xF1);
        out.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-8388608..=8388607).contains(&v) {
        out.push(0xF2);
        out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&v) {
        out.push(0xF3);
        out.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        out.push(0xF4);
        out.extend_from_slice(&v.to_le_bytes());
    }
    let l = out.len() - start;
    put_backlen(out, l);
}

/// Encode a string element: as an integer when it is one (as Redis's
/// lpEncodeGetType decides).
fn encode_str(out: &mut Vec<u8>, s: &[u8]) {
    if let Some(v) = crate::resp::number::string2ll(s) {
        return encode_int(out, v);
    }
    let start = out.len();
    let n = s.len();
    if n < 64 {
        out.push(0x80 | n as u8);
    } else if n < 4096 {
        out.push(0xE0 | (n >> 8) as u8);
        out.push(n as u8);
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    out.extend_from_slice(s);
    let l = out.len() - start;
    put_backlen(out, l);
}

/// Decode the element at `p`: the element and the offset of the next one.
/// None at the end marker or on malformed bytes.
pub fn lp_get(lp: &[u8], p: usize) -> Option<(Elem<'_>, usize)> {
    let b = *lp.get(p)?;
    let (elem, l) = if b & 0x80 == 0 {
        (Elem::Int(i64::from(b & 0x7f)), 1)
    } else if b & 0xC0 == 0x80 {
        let n = usize::from(b & 0x3f);
        (Elem::Str(lp.get(p + 1..p + 1 + n)?), 1 + n)
    } else if b & 0xE0 == 0xC0 {
        let u = (i64::from(b & 0x1f) << 8) | i64::from(*lp.get(p + 1)?);
        let v = if u >= 1 << 12 { u - (1 << 13) } else { u };
        (Elem::Int(v), 2)
    } else if b & 0xF0 == 0xE0 {
        let n = (usize::from(b & 0x0f) << 8) | usize::from(*lp.get(p + 1)?);
        (Elem::Str(lp.get(p + 2..p + 2 + n)?), 2 + n)
    } else {
        match b {
            0xF1 => {
                let d = lp.get(p + 1..p + 3)?;
                (Elem::Int(i64::from(i16::from_le_bytes([d[0], d[1]]))), 3)
            }
            0xF2 => {
                let d = lp.get(p + 1..p + 4)?;
                let v = i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8;
                (Elem::Int(i64::from(v)), 4)
            }
            0xF3 => {
                let d = lp.get(p + 1..p + 5)?;
                (
                    Elem::Int(i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]]))),
                    5,
                )
            }
            0xF4 => {
                let d = lp.get(p + 1..p + 9)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(d);
                (Elem::Int(i64::from_le_bytes(a)), 9)
            }
            0xF0 => {
                let d = lp.get(p + 1..p + 5)?;
                let n = u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize;
                (Elem::Str(lp.get(p + 5..p + 5 + n)?), 5 + n)
            }
            _ => return None,
        }
    };
    let next = p + l + backlen_size(l);
    if next >= lp.len() {
        return None;
    }
    Some((elem, next))
}

fn lp_new() -> Vec<u8> {
    let mut lp = Vec::with_capacity(64);
    lp_init(&mut lp);
    lp
}

/// Write an empty listpack into `lp` (empty).
fn lp_init(lp: &mut Vec<u8>) {
    lp.extend_from_slice(&7u32.to_le_bytes());
    lp.extend_from_slice(&0u16.to_le_bytes());
    lp.push(LP_EOF);
}

fn lp_set_header(lp: &mut [u8], added: i64) {
    let total = lp.len() as u32;
    lp[..4].copy_from_slice(&total.to_le_bytes());
    let n = u16::from_le_bytes([lp[4], lp[5]]);
    if n != LP_UNKNOWN_COUNT {
        let m = i64::from(n) + added;
        let m = if m >= i64::from(LP_UNKNOWN_COUNT) {
            LP_UNKNOWN_COUNT
        } else {
            m.max(0) as u16
        };
        lp[4..6].copy_from_slice(&m.to_le_bytes());
    }
}

/// Append encoded elements (`count` of them) before the end marker.
fn lp_append_raw(lp: &mut Vec<u8>, encoded: &[u8], count: i64) {
    lp.pop();
    lp.extend_from_slice(encoded);
    lp.push(LP_EOF);
    lp_set_header(lp, count);
}

/// Replace the integer at `p`; returns the size change.
fn lp_replace_int(lp: &mut Vec<u8>, p: usize, v: i64) -> isize {
    let Some((_, next)) = lp_get(lp, p) else {
        return 0;
    };
    let mut enc = Vec::with_capacity(10);
    encode_int(&mut enc, v);
    let delta = enc.len() as isize - (next - p) as isize;
    lp.splice(p..next, enc);
    lp_set_header(lp, 0);
    delta
}

// ---------------------------------------------------------------------------
// Nodes.

/// Where an entry is in its node, and what it holds.
#[derive(Clone, Copy, Debug)]
pub struct EntryPos {
    pub id: Id,
    pub flags: i64,
    /// Offset of the flags element.
    pub at: usize,
    /// Number of field/value pairs.
    pub fields: usize,
    /// Offset of the first field (or value, with the same-fields flag).
    pub body: usize,
}

/// The master entry of a node: live count, deleted count, the offsets of
/// the fields and of the first entry.
struct Master {
    count: i64,
    deleted: i64,
    fields: usize,
    fields_at: usize,
    first_entry: usize,
}

fn master(lp: &[u8]) -> Option<Master> {
    let (count, p) = lp_get(lp, LP_HEADER)?;
    let (deleted, p) = lp_get(lp, p)?;
    let (nf, mut p) = lp_get(lp, p)?;
    let fields_at = p;
    let nf = nf.int();
    if nf < 0 {
        return None;
    }
    for _ in 0..nf {
        p = lp_get(lp, p)?.1;
    }
    let (zero, p) = lp_get(lp, p)?;
    if zero.int() != 0 {
        return None;
    }
    Some(Master {
        count: count.int(),
        deleted: deleted.int(),
        fields: nf as usize,
        fields_at,
        first_entry: p,
    })
}

/// Every entry of a node (deleted ones too), in order.
pub fn node_entries(master_id: Id, lp: &[u8]) -> Vec<EntryPos> {
    let mut out = Vec::new();
    let Some(m) = master(lp) else {
        return out;
    };
    let mut p = m.first_entry;
    while p < lp.len() - 1 {
        let at = p;
        let Some((flags, q)) = lp_get(lp, p) else {
            break;
        };
        let flags = flags.int();
        let Some((msd, q)) = lp_get(lp, q) else { break };
        let Some((seqd, q)) = lp_get(lp, q) else {
            break;
        };
        let (fields, body, mut q) = if flags & FLAG_SAMEFIELDS != 0 {
            (m.fields, q, q)
        } else {
            let Some((nf, q)) = lp_get(lp, q) else { break };
            let nf = nf.int().max(0) as usize;
            (nf, q, q)
        };
        let elems = if flags & FLAG_SAMEFIELDS != 0 {
            fields
        } else {
            fields * 2
        };
        let mut ok = true;
        for _ in 0..elems {
            match lp_get(lp, q) {
                Some((_, n)) => q = n,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            break;
        }
        // Skip lp-count (the last element of the node has no successor).
        let next = lp_get(lp, q).map_or(lp.len() - 1, |(_, n)| n);
        out.push(EntryPos {
            id: Id {
                ms: master_id.ms.wrapping_add(msd.int() as u64),
                seq: master_id.seq.wrapping_add(seqd.int() as u64),
            },
            flags,
            at,
            fields,
            body,
        });
        p = next;
    }
    out
}

/// The field/value pairs of an entry.
pub fn entry_fields<'a>(lp: &'a [u8], e: &EntryPos) -> Vec<(Elem<'a>, Elem<'a>)> {
    let mut out = Vec::with_capacity(e.fields);
    let same = e.flags & FLAG_SAMEFIELDS != 0;
    let mut mf = if same {
        master(lp).map(|m| m.fields_at)
    } else {
        None
    };
    let mut p = e.body;
    for _ in 0..e.fields {
        let field = if let Some(f) = mf {
            let Some((field, n)) = lp_get(lp, f) else {
                break;
            };
            mf = Some(n);
            field
        } else {
            let Some((field, n)) = lp_get(lp, p) else {
                break;
            };
            p = n;
            field
        };
        let Some((value, n)) = lp_get(lp, p) else {
            // The last value of the last entry is followed by lp-count.
            break;
        };
        p = n;
        out.push((field, value));
    }
    out
}

/// A field of an entry written into the reply shapes (owned).
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

pub fn owned_fields(lp: &[u8], e: &EntryPos) -> Fields {
    let mut b1 = itoa::Buffer::new();
    let mut b2 = itoa::Buffer::new();
    entry_fields(lp, e)
        .into_iter()
        .map(|(f, v)| (f.bytes(&mut b1).to_vec(), v.bytes(&mut b2).to_vec()))
        .collect()
}

/// Check a node's structure as Redis's deep integrity check does.
pub fn valid_node(lp: &[u8]) -> bool {
    if lp.len() < LP_HEADER + 1 || lp.last() != Some(&LP_EOF) {
        return false;
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != lp.len() {
        return false;
    }
    let Some(m) = master(lp) else {
        return false;
    };
    if m.count < 0 || m.deleted < 0 {
        return false;
    }
    let entries = node_entries(MIN_ID, lp);
    if entries.len() as i64 != m.count + m.deleted {
        return false;
    }
    // Every element must be walked to the end exactly.
    let mut p = m.first_entry;
    for e in &entries {
        if e.at != p {
            return false;
        }
        let extra = if e.flags & FLAG_SAMEFIELDS != 0 {
            3 + e.fields
        } else {
            4 + 2 * e.fields
        };
        let mut q = e.at;
        for _ in 0..extra {
            match lp_get(lp, q) {
                Some((_, n)) => q = n,
                None => return false,
            }
        }
        let Some((lp_count, n)) = lp_get(lp, q) else {
            return false;
        };
        p = n;
        let want = if e.flags & FLAG_SAMEFIELDS != 0 {
            e.fields + 3
        } else {
            2 * e.fields + 4
        };
        if lp_count.int() != want as i64 {
            return false;
        }
    }
    p == lp.len() - 1
}

// ---------------------------------------------------------------------------
// Consumer groups.

/// A pending entry: delivered to `consumer`, not acknowledged yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    pub delivery_time: i64,
    pub delivery_count: u64,
    pub consumer: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub seen_time: i64,
    pub pel: BTreeSet<Id>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub last_id: Id,
    /// −1: unknown (Redis's SCG_INVALID_ENTRIES_READ).
    pub entries_read: i64,
    pub pel: BTreeMap<Id, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    pub fn new(last_id: Id, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Remove a pending entry from the group and its owner.
    pub fn ack(&mut self, id: Id) -> bool {
        match self.pel.remove(&id) {
            Some(n) => {
                if let Some(c) = self.consumers.get_mut(&n.consumer) {
                    c.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Give the pending entry `id` to `consumer` (which exists).
    pub fn assign(&mut self, id: Id, consumer: &[u8]) {
        let Some(n) = self.pel.get_mut(&id) else {
            return;
        };
        if n.consumer != consumer {
            let old = std::mem::replace(&mut n.consumer, consumer.to_vec());
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.pel.len() * (std::mem::size_of::<(Id, Nack)>() + 24)
            + self
                .consumers
                .iter()
                .map(|(k, c)| k.len() + 64 + c.pel.len() * 24)
                .sum::<usize>()
    }
}

// ---------------------------------------------------------------------------
// The node index and where sealed nodes live.

/// Sealed nodes of a large stream are packed back to back into shared
/// blocks ("slabs") instead of one allocation each: a listpack of a
/// hundred small entries is 1.5–2.5 KiB, and an allocator's size classes
/// (mimalloc's, like jemalloc's, four per power of two) round such a block
/// up by 7 % on average and by up to 25 %, which is most of what a stream
/// costs beyond its listpacks. The open tail node keeps its own buffer
/// (it grows with every XADD), and so do nodes of small streams, nodes
/// larger than [`PACK_MAX`] and sealed nodes whose size changed (an edit
/// that keeps the size is made in place).
const SLAB_MAX: usize = 256 << 10;
const SLAB_MIN: usize = 16 << 10;
/// Nodes above this size keep their own allocation.
const PACK_MAX: usize = SLAB_MIN;
/// A stream packs its sealed nodes once it has this many nodes (smaller
/// streams would pay a partly used slab for nothing).
const PACK_FROM_NODES: usize = 16;

#[derive(Clone, Debug)]
enum Node {
    /// Its own buffer: the open tail, or a node that is not packed.
    Own(Vec<u8>),
    /// `len` bytes at `at` in slab `slab`.
    Packed { slab: u32, at: u32, len: u32 },
}

#[derive(Clone, Debug, Default)]
struct Slab {
    bytes: Vec<u8>,
    /// Bytes of the nodes still packed here (the rest are holes).
    live: usize,
}

/// The nodes of a stream by master ID (Redis's radix tree), with the slabs
/// their sealed listpacks are packed into.
#[derive(Clone, Debug, Default)]
pub struct Nodes {
    index: BTreeMap<Id, Node>,
    slabs: Vec<Slab>,
    /// Slabs without a block, to reuse.
    free: Vec<u32>,
    /// The slab sealed nodes are appended to.
    current: Option<u32>,
    /// Bytes packed in all slabs.
    packed: usize,
}

impl PartialEq for Nodes {
    /// Equal when the same listpacks are under the same IDs, wherever
    /// they are kept.
    fn eq(&self, other: &Nodes) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Nodes {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn bytes<'a>(&'a self, n: &'a Node) -> &'a [u8] {
        match n {
            Node::Own(v) => v,
            Node::Packed { slab, at, len } => {
                let at = *at as usize;
                &self.slabs[*slab as usize].bytes[at..at + *len as usize]
            }
        }
    }

    /// Every node (master ID, listpack) in ID order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (Id, &[u8])> {
        self.index.iter().map(|(k, n)| (*k, self.bytes(n)))
    }

    /// The nodes whose master IDs are in `r`.
    pub fn range(
        &self,
        r: impl std::ops::RangeBounds<Id>,
    ) -> impl DoubleEndedIterator<Item = (Id, &[u8])> {
        self.index.range(r).map(|(k, n)| (*k, self.bytes(n)))
    }

    /// The node holding `id` if any: the last one whose master ID is not
    /// above it.
    pub fn at_or_before(&self, id: Id) -> Option<(Id, &[u8])> {
        self.range(..=id).next_back()
    }

    pub fn last(&self) -> Option<(Id, &[u8])> {
        self.iter().next_back()
    }

    pub fn get(&self, id: Id) -> Option<&[u8]> {
        self.index.get(&id).map(|n| self.bytes(n))
    }

    /// Add a node with its own buffer (the new tail, or one loaded).
    fn insert(&mut self, id: Id, lp: Vec<u8>) {
        if let Some(old) = self.index.insert(id, Node::Own(lp)) {
            self.release_and_compact(&old);
        }
    }

    /// The node `id` as its own buffer, to change its size (a packed one
    /// is copied out of its slab).
    fn own_mut(&mut self, id: Id) -> Option<&mut Vec<u8>> {
        let n = self.index.get(&id)?;
        if let Node::Packed { .. } = n {
            let copy = self.bytes(n).to_vec();
            let old = std::mem::replace(self.index.get_mut(&id)?, Node::Own(copy));
            self.release_and_compact(&old);
        }
        match self.index.get_mut(&id)? {
            Node::Own(v) => Some(v),
            Node::Packed { .. } => None,
        }
    }

    /// Replace the integer element at `p` of node `id` (see
    /// [`lp_replace_int`]); in place when its encoding keeps its size.
    fn replace_int(&mut self, id: Id, p: usize, v: i64) -> isize {
        if let Some(Node::Packed { slab, at, len }) = self.index.get(&id) {
            let (slab, at, len) = (*slab as usize, *at as usize, *len as usize);
            let lp = &mut self.slabs[slab].bytes[at..at + len];
            let Some((_, next)) = lp_get(lp, p) else {
                return 0;
            };
            let mut enc = Vec::with_capacity(10);
            encode_int(&mut enc, v);
            if enc.len() == next - p {
                lp[p..next].copy_from_slice(&enc);
                return 0;
            }
        }
        match self.own_mut(id) {
            Some(lp) => lp_replace_int(lp, p, v),
            None => 0,
        }
    }

    fn remove(&mut self, id: Id) {
        if let Some(n) = self.index.remove(&id) {
            self.release_and_compact(&n);
        }
    }

    /// The tail node `id` is full: give it its final place, an exact-size
    /// copy or a slab. Returns its old buffer when it can be reused for
    /// the next node.
    fn seal(&mut self, id: Id) -> Option<Vec<u8>> {
        let pack = self.index.len() >= PACK_FROM_NODES;
        let Some(Node::Own(lp)) = self.index.get_mut(&id) else {
            return None;
        };
        if !pack || lp.len() > PACK_MAX {
            // A fresh exact-size copy, not shrink_to_fit: the allocator
            // keeps a block in place when it shrinks by less than half,
            // which left every sealed node holding its 4 KiB preallocation.
            *lp = lp.as_slice().to_vec();
            return None;
        }
        let lp = std::mem::take(lp);
        let packed = self.pack(&lp);
        if let Some(n) = self.index.get_mut(&id) {
            *n = packed;
        }
        Some(lp)
    }

    /// Append `lp` to the current slab (a new one when it is full).
    fn pack(&mut self, lp: &[u8]) -> Node {
        let n = lp.len();
        let room = |s: &Slab| s.bytes.capacity() - s.bytes.len() >= n;
        let mut full = None;
        let s = match self.current {
            Some(s) if room(&self.slabs[s as usize]) => s,
            _ => {
                full = self.current.take();
                // Slabs grow with the stream: a sixteenth of what is packed,
                // within SLAB_MIN..=SLAB_MAX.
                let cap = (self.packed / 16)
                    .next_power_of_two()
                    .clamp(SLAB_MIN, SLAB_MAX)
                    .max(n);
                let slab = Slab {
                    bytes: Vec::with_capacity(cap),
                    live: 0,
                };
                let s = match self.free.pop() {
                    Some(s) => {
                        self.slabs[s as usize] = slab;
                        s
                    }
                    None => {
                        self.slabs.push(slab);
                        (self.slabs.len() - 1) as u32
                    }
                };
                self.current = Some(s);
                s
            }
        };
        let slab = &mut self.slabs[s as usize];
        let at = slab.bytes.len();
        slab.bytes.extend_from_slice(lp);
        slab.live += n;
        self.packed += n;
        let node = Node::Packed {
            slab: s,
            at: at as u32,
            len: n as u32,
        };
        // The slab that just filled up may have lost nodes meanwhile.
        if let Some(full) = full {
            self.compact_slab(full);
        }
        node
    }

    /// A node left its slab: account for the hole, free an empty slab,
    /// compact a sparse one.
    fn release_and_compact(&mut self, n: &Node) {
        self.release(n);
        if let Node::Packed { slab, .. } = *n
            && self.current != Some(slab)
        {
            self.compact_slab(slab);
        }
    }

    /// A node left its slab: account for the hole, free an empty slab.
    fn release(&mut self, n: &Node) {
        let Node::Packed { slab, len, .. } = *n else {
            return;
        };
        let len = len as usize;
        self.packed -= len;
        let s = &mut self.slabs[slab as usize];
        s.live -= len;
        if s.live == 0 {
            if self.current == Some(slab) {
                s.bytes.clear();
            } else {
                s.bytes = Vec::new();
                self.free.push(slab);
            }
        }
    }

    /// Move the nodes of slab `s` (not the current one) into the current
    /// slab when it is less than half used, so holes never hold more than
    /// the nodes around them.
    fn compact_slab(&mut self, s: u32) {
        let slab = &self.slabs[s as usize];
        if slab.live == 0 || slab.live * 2 >= slab.bytes.len() {
            return;
        }
        let ids: Vec<Id> = self
            .index
            .iter()
            .filter(|(_, n)| matches!(n, Node::Packed { slab, .. } if *slab == s))
            .map(|(k, _)| *k)
            .collect();
        for id in ids {
            let Some(n) = self.index.get(&id) else {
                continue;
            };
            let lp = self.bytes(n).to_vec();
            let old = n.clone();
            // The current slab is never `s`: pack() only opens a new
            // slab from the free list, and `s` still holds nodes.
            let moved = self.pack(&lp);
            if let Some(n) = self.index.get_mut(&id) {
                *n = moved;
            }
            self.release(&old);
        }
    }

    /// Heap bytes: the index, the slabs' blocks and the nodes' own buffers.
    fn heap_bytes(&self) -> usize {
        self.index.len() * (std::mem::size_of::<(Id, Node)>() + 8)
            + self.slabs.iter().map(|s| s.bytes.capacity()).sum::<usize>()
            + self
                .index
                .values()
                .map(|n| match n {
                    Node::Own(v) => v.capacity() + 16,
                    Node::Packed { .. } => 0,
                })
                .sum::<usize>()
    }
}

// ---------------------------------------------------------------------------
// The stream.

/// A stream (see the module documentation).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stream {
    /// Master ID → listpack node.
    pub nodes: Nodes,
    pub length: u64,
    pub last_id: Id,
    /// The first live entry (0-0 when empty).
    pub first_id: Id,
    pub max_deleted: Id,
    pub entries_added: u64,
    pub groups: BTreeMap<Vec<u8>, Group>,
}

/// Why an entry could not be added.
#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    /// The ID is not greater than the last one (or the sequence overflowed).
    NotGreater,
    TooLarge,
}

/// How to trim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(Id),
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Append an entry. `id`: None for `*`, `(id, seq_given)` otherwise
    /// (`ms-*` has `seq_given` false).
    pub fn add(
        &mut self,
        fields: &[(&[u8], &[u8])],
        id: Option<(Id, bool)>,
        max_bytes: usize,
        max_entries: usize,
        now_ms: u64,
    ) -> Result<Id, AddError> {
        let id = match id {
            Some((id, true)) => id,
            Some((id, false)) => {
                if self.last_id.ms == id.ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AddError::NotGreater);
                    }
                    Id {
                        ms: id.ms,
                        seq: self.last_id.seq + 1,
                    }
                } else {
                    id
                }
            }
            None => {
                if now_ms > self.last_id.ms {
                    Id { ms: now_ms, seq: 0 }
                } else {
                    incr(self.last_id).unwrap_or(MIN_ID)
                }
            }
        };
        if id <= self.last_id {
            return Err(AddError::NotGreater);
        }
        let total: usize = fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        if total > LISTPACK_MAX_SIZE {
            return Err(AddError::TooLarge);
        }
        let node_max_bytes = if max_bytes == 0 || max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            max_bytes
        };
        let mut use_tail = None;
        let mut reuse = None;
        if let Some((mid, lp)) = self.nodes.last() {
            let mut full = lp.len() + total >= node_max_bytes;
            if !full
                && max_entries > 0
                && let Some(m) = master(lp)
            {
                full = m.count + m.deleted >= max_entries as i64;
            }
            if full {
                reuse = self.nodes.seal(mid);
            } else {
                use_tail = Some(mid);
            }
        }
        let mut enc = Vec::with_capacity(total + 16 + fields.len() * 4);
        let (master_id, same, lp) = match use_tail {
            None => {
                let prealloc = if max_bytes > 0 && max_bytes < 4096 {
                    max_bytes
                } else {
                    4096
                };
                // The sealed tail's buffer, when it was packed into a slab
                // and is not much larger than a new one.
                let mut lp = match reuse {
                    Some(mut lp) if lp.capacity() <= 2 * prealloc => {
                        lp.clear();
                        lp_init(&mut lp);
                        lp
                    }
                    _ => lp_new(),
                };
                let mut m = Vec::new();
                encode_int(&mut m, 1);
                encode_int(&mut m, 0);
                encode_int(&mut m, fields.len() as i64);
                for (f, _) in fields {
                    encode_str(&mut m, f);
                }
                encode_int(&mut m, 0);
                lp_append_raw(&mut lp, &m, 4 + fields.len() as i64);
                lp.reserve(prealloc.saturating_sub(lp.len()));
                self.nodes.insert(id, lp);
                let Some(lp) = self.nodes.own_mut(id) else {
                    unreachable!("just inserted")
                };
                (id, true, lp)
            }
            Some(mid) => {
                let Some(lp) = self.nodes.own_mut(mid) else {
                    unreachable!("found above")
                };
                let Some(m) = master(lp) else {
                    return Err(AddError::TooLarge);
                };
                lp_replace_int(lp, LP_HEADER, m.count + 1);
                let Some(m) = master(lp) else {
                    return Err(AddError::TooLarge);
                };
                let mut same = m.fields == fields.len();
                if same {
                    let mut p = m.fields_at;
                    for (f, _) in fields {
                        match lp_get(lp, p) {
                            Some((e, n)) if e.eq_bytes(f) => p = n,
                            _ => {
                                same = false;
                                break;
                            }
                        }
                    }
                }
                (mid, same, lp)
            }
        };
        let flags = if same { FLAG_SAMEFIELDS } else { 0 };
        encode_int(&mut enc, flags);
        encode_int(&mut enc, id.ms.wrapping_sub(master_id.ms) as i64);
        encode_int(&mut enc, id.seq.wrapping_sub(master_id.seq) as i64);
        let mut n = 3;
        if !same {
            encode_int(&mut enc, fields.len() as i64);
            n += 1;
        }
        for (f, v) in fields {
            if !same {
                encode_str(&mut enc, f);
                n += 1;
            }
            encode_str(&mut enc, v);
            n += 1;
        }
        let lp_count = if same {
            fields.len() + 3
        } else {
            2 * fields.len() + 4
        };
        encode_int(&mut enc, lp_count as i64);
        n += 1;
        lp_append_raw(lp, &enc, n);
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Entries with IDs in `start..=end`, in order (or reversed), at most
    /// `count` (0: all), deleted ones skipped.
    pub fn range(&self, start: Id, end: Id, count: usize, rev: bool) -> Vec<(Id, Fields)> {
        let mut out = Vec::new();
        if start > end {
            return out;
        }
        self.visit(start, end, rev, |lp, e| {
            out.push((e.id, owned_fields(lp, e)));
            count == 0 || out.len() < count
        });
        out
    }

    /// Call `f` for each live entry in `start..=end` until it returns false.
    pub fn visit(
        &self,
        start: Id,
        end: Id,
        rev: bool,
        mut f: impl FnMut(&[u8], &EntryPos) -> bool,
    ) {
        if start > end {
            return;
        }
        let first_node = self.nodes.at_or_before(start).map_or(start, |(k, _)| k);
        if !rev {
            for (mid, lp) in self.nodes.range(first_node..=end) {
                for e in node_entries(mid, lp) {
                    if e.id < start || e.flags & FLAG_DELETED != 0 {
                        continue;
                    }
                    if e.id > end {
                        return;
                    }
                    if !f(lp, &e) {
                        return;
                    }
                }
            }
        } else {
            for (mid, lp) in self.nodes.range(first_node..=end).rev() {
                for e in node_entries(mid, lp).iter().rev() {
                    if e.id > end || e.flags & FLAG_DELETED != 0 {
                        continue;
                    }
                    if e.id < start {
                        return;
                    }
                    if !f(lp, e) {
                        return;
                    }
                }
            }
        }
    }

    /// The fields of the live entry `id`.
    pub fn get(&self, id: Id) -> Option<Fields> {
        let mut found = None;
        self.visit(id, id, false, |lp, e| {
            found = Some(owned_fields(lp, e));
            false
        });
        found
    }

    pub fn exists(&self, id: Id) -> bool {
        let mut found = false;
        self.visit(id, id, false, |_, _| {
            found = true;
            false
        });
        found
    }

    /// First (or last) live entry ID.
    pub fn edge(&self, last: bool) -> Option<Id> {
        let mut found = None;
        self.visit(MIN_ID, MAX_ID, last, |_, e| {
            found = Some(e.id);
            false
        });
        found
    }

    /// Mark the entry `id` deleted; true when it was there.
    pub fn delete(&mut self, id: Id) -> bool {
        let Some((mid, lp)) = self.nodes.at_or_before(id) else {
            return false;
        };
        let Some(e) = node_entries(mid, lp)
            .into_iter()
            .find(|e| e.id == id && e.flags & FLAG_DELETED == 0)
        else {
            return false;
        };
        let Some(m) = master(lp) else { return false };
        if m.count == 1 {
            self.nodes.remove(mid);
        } else {
            // The flags first: `e.at` moves when the counts change size.
            self.nodes.replace_int(mid, e.at, e.flags | FLAG_DELETED);
            self.nodes.replace_int(mid, LP_HEADER, m.count - 1);
            if let Some((_, p)) = self.nodes.get(mid).and_then(|lp| lp_get(lp, LP_HEADER)) {
                self.nodes.replace_int(mid, p, m.deleted + 1);
            }
        }
        self.length -= 1;
        true
    }

    /// Trim as Redis's streamTrim; `limit` 0 = no limit. Returns how many
    /// entries went.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: i64) -> i64 {
        let mut deleted: i64 = 0;
        // Only the first node is ever removed or changed, then the next.
        loop {
            if let Trim::MaxLen(max) = how
                && self.length <= max
            {
                break;
            }
            let Some((mid, lp)) = self.nodes.iter().next() else {
                break;
            };
            let Some(m) = master(lp) else { break };
            let entries = m.count;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let all = node_entries(mid, lp);
            let remove_node = match how {
                Trim::MaxLen(max) => self.length - entries as u64 >= max,
                Trim::MinId(min) => all.last().is_some_and(|e| e.id < min),
            };
            if remove_node {
                self.nodes.remove(mid);
                self.length -= entries as u64;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let mut from_node = 0;
            let mut shift: isize = 0;
            for e in &all {
                let stop = match how {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if e.flags & FLAG_DELETED == 0 {
                    let at = (e.at as isize + shift) as usize;
                    shift += self.nodes.replace_int(mid, at, e.flags | FLAG_DELETED);
                    from_node += 1;
                    self.length -= 1;
                }
            }
            deleted += from_node;
            self.nodes.replace_int(mid, LP_HEADER, entries - from_node);
            if let Some((_, p)) = self.nodes.get(mid).and_then(|lp| lp_get(lp, LP_HEADER)) {
                self.nodes.replace_int(mid, p, m.deleted + from_node);
            }
            break;
        }
        if self.length == 0 {
            self.first_id = MIN_ID;
        } else if deleted > 0 {
            self.first_id = self.edge(false).unwrap_or(MIN_ID);
        }
        deleted
    }

    /// The ID of the first entry of the first node (Redis's streamGetEdgeID
    /// with tombstones), used when rewriting an approximate MINID trim.
    pub fn first_with_tombstones(&self) -> Id {
        self.nodes
            .iter()
            .next()
            .and_then(|(mid, lp)| node_entries(mid, lp).first().map(|e| e.id))
            .unwrap_or(MIN_ID)
    }

    /// Whether deleted entries may lie in `start..=end` (Redis's
    /// streamRangeHasTombstones).
    pub fn range_has_tombstones(&self, start: Id, end: Id) -> bool {
        if self.length == 0 || self.max_deleted == MIN_ID {
            return false;
        }
        if self.first_id > self.max_deleted {
            return false;
        }
        start <= self.max_deleted && self.max_deleted <= end
    }

    /// Redis's streamEstimateDistanceFromFirstEverEntry (−1: unknown).
    pub fn estimate_distance(&self, id: Id) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return -1;
        }
        if self.max_deleted == MIN_ID || self.max_deleted < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        -1
    }

    /// A group's lag (None: unknown), as XINFO reports it.
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != -1 && !self.range_has_tombstones(g.last_id, MAX_ID) {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let read = self.estimate_distance(g.last_id);
        if read != -1 {
            Some(self.entries_added as i64 - read)
        } else {
            None
        }
    }

    /// A group read past `id` (delivering it): update its counters.
    pub fn advance_group(&mut self, group: &[u8], id: Id) {
        let tomb = self.range_has_tombstones(id, MAX_ID);
        let est = self.estimate_distance(id);
        let added = self.entries_added;
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        if id > g.last_id {
            if g.entries_read != -1 && !tomb {
                g.entries_read += 1;
            } else if added != 0 {
                g.entries_read = est;
            }
            g.last_id = id;
        }
    }

    /// Approximate heap bytes (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Stream>()
            + self.nodes.heap_bytes()
            + self
                .groups
                .iter()
                .map(|(k, g)| k.len() + 96 + g.heap_bytes())
                .sum::<usize>()
    }

    /// Rebuild from an RDB's parts: raw nodes (checked), metadata, groups.
    pub fn from_nodes(nodes: Vec<(Id, Vec<u8>)>) -> Option<Stream> {
        let mut s = Stream::new();
        for (mid, lp) in nodes {
            if !valid_node(&lp) {
                return None;
            }
            let m = master(&lp)?;
            if m.count == 0 {
                // Redis refuses empty nodes ("Empty listpack inside stream").
                return None;
            }
            let entries = node_entries(mid, &lp);
            if let (Some(f), Some((prev, _))) = (entries.first(), s.nodes.last())
                && f.id <= prev
            {
                return None;
            }
            // Every node but the last is sealed: packed as XADD packs them.
            if let Some((prev, _)) = s.nodes.last() {
                s.nodes.seal(prev);
            }
            s.length += m.count as u64;
            s.nodes.insert(mid, lp);
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> Id {
        Id { ms, seq }
    }

    #[test]
    fn integers_round_trip_through_the_listpack_encodings() {
        for v in [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -32768,
            32767,
            40000,
            -8388608,
            8388607,
            1 << 30,
            i64::MIN,
            i64::MAX,
        ] {
            let mut lp = lp_new();
            let mut enc = Vec::new();
            encode_int(&mut enc, v);
            lp_append_raw(&mut lp, &enc, 1);
            lp_append_raw(&mut lp, &enc, 1);
            let (e, next) = lp_get(&lp, LP_HEADER).unwrap();
            assert_eq!(e, Elem::Int(v));
            assert_eq!(lp_get(&lp, next).map(|(e, _)| e), Some(Elem::Int(v)));
        }
        let mut enc = Vec::new();
        encode_str(&mut enc, &[b'x'; 200]);
        assert_eq!(enc[0], 0xE0);
        assert_eq!(enc.len(), 2 + 200 + 2);
    }

    #[test]
    fn entries_are_added_ranged_deleted_and_trimmed() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            let v = i.to_string();
            let f: &[(&[u8], &[u8])] = if i % 7 == 0 {
                &[(b"other", b"x")]
            } else {
                &[(b"item", v.as_bytes())]
            };
            s.add(f, Some((id(i, 0), true)), 4096, 100, 0).unwrap();
        }
        assert_eq!(s.nodes.len(), 3);
        assert!(s.nodes.iter().all(|(_, lp)| valid_node(lp)));
        let r = s.range(id(5, 0), id(8, 0), 0, false);
        assert_eq!(r.len(), 4);
        assert_eq!(r[2].1, vec![(b"other".to_vec(), b"x".to_vec())]);
        assert_eq!(r[3].1, vec![(b"item".to_vec(), b"8".to_vec())]);
        let rev = s.range(MIN_ID, MAX_ID, 3, true);
        assert_eq!(rev[0].0, id(250, 0));
        assert!(s.delete(id(6, 0)));
        assert!(!s.delete(id(6, 0)));
        assert_eq!(s.len(), 249);
        assert!(s.nodes.iter().all(|(_, lp)| valid_node(lp)));
        assert_eq!(s.trim(Trim::MaxLen(100), false, 0), 149);
        assert_eq!(s.len(), 100);
        assert_eq!(s.edge(false), Some(id(151, 0)));
        assert_eq!(s.first_id, id(151, 0));
        assert!(s.nodes.iter().all(|(_, lp)| valid_node(lp)));
        assert_eq!(
            s.add(&[(b"a", b"b")], Some((id(1, 0), true)), 4096, 100, 0),
            Err(AddError::NotGreater)
        );
    }
    /// The slabs' bookkeeping matches the nodes packed in them, and no
    /// slab but the current one is less than half used.
    fn check_slabs(n: &Nodes) {
        let mut live = vec![0usize; n.slabs.len()];
        for node in n.index.values() {
            if let Node::Packed { slab, at, len } = *node {
                live[slab as usize] += len as usize;
                assert!(at as usize + len as usize <= n.slabs[slab as usize].bytes.len());
            }
        }
        for (i, slab) in n.slabs.iter().enumerate() {
            assert_eq!(slab.live, live[i], "slab {i}");
            if n.current != Some(i as u32) && slab.live > 0 {
                assert!(slab.live * 2 >= slab.bytes.len(), "slab {i} is sparse");
            }
        }
        assert_eq!(n.packed, live.iter().sum::<usize>());
        assert!(n.iter().all(|(_, lp)| valid_node(lp)));
    }

    #[test]
    fn sealed_nodes_are_packed_and_edited_in_place_or_moved_out() {
        let mut s = Stream::new();
        for i in 1..=20_000u64 {
            let v = format!("value-{i}");
            s.add(
                &[(b"field", v.as_bytes())],
                Some((id(i, 0), true)),
                4096,
                100,
                0,
            )
            .unwrap();
        }
        assert_eq!(s.nodes.len(), 200);
        let packed = s
            .nodes
            .index
            .values()
            .filter(|n| matches!(n, Node::Packed { .. }))
            .count();
        assert_eq!(packed, 200 - PACK_FROM_NODES);
        check_slabs(&s.nodes);
        let all = s.range(MIN_ID, MAX_ID, 0, false);
        assert_eq!(all.len(), 20_000);
        assert_eq!(
            all[12_344].1,
            vec![(b"field".to_vec(), b"value-12345".to_vec())]
        );
        // A copy (COPY, DEBUG RELOAD) is equal and grows on its own.
        let mut c = s.clone();
        assert_eq!(c, s);
        c.add(&[(b"f", b"v")], None, 4096, 100, 0).unwrap();
        assert_ne!(c, s);
        check_slabs(&c.nodes);
        // Deleting keeps packed nodes in place (same-size edits).
        for i in (5_001..=6_000u64).step_by(3) {
            assert!(s.delete(id(i, 0)));
        }
        assert!(!s.exists(id(5_001, 0)));
        assert!(s.exists(id(5_002, 0)));
        check_slabs(&s.nodes);
        // Emptying nodes leaves holes; sparse slabs are compacted.
        for i in 2_001..=15_000u64 {
            if (i / 100) % 4 != 0 {
                s.delete(id(i, 0));
            }
        }
        check_slabs(&s.nodes);
        assert_eq!(s.len(), s.range(MIN_ID, MAX_ID, 0, false).len() as u64);
        // Trimming from the head, approximately and exactly.
        s.trim(Trim::MaxLen(8_000), true, 0);
        check_slabs(&s.nodes);
        let before = s.len() as i64;
        assert!(before >= 8_000);
        assert_eq!(s.trim(Trim::MaxLen(5_050), false, 0), before - 5_050);
        assert_eq!(s.len(), 5_050);
        check_slabs(&s.nodes);
        let r = s.range(MIN_ID, MAX_ID, 0, false);
        assert_eq!(r.len(), 5_050);
        assert_eq!(r.last().map(|e| e.0), Some(id(20_000, 0)));
        // Loading the nodes again packs them the same way.
        let nodes: Vec<(Id, Vec<u8>)> = s.nodes.iter().map(|(k, lp)| (k, lp.to_vec())).collect();
        let mut l = Stream::from_nodes(nodes).unwrap();
        assert_eq!(l.nodes, s.nodes);
        check_slabs(&l.nodes);
        l.trim(Trim::MaxLen(0), false, 0);
        assert!(l.nodes.is_empty());
        assert_eq!(l.nodes.packed, 0);
    }
}
