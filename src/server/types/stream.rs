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
//! so a snapshot written from here is the one redis-server writes, and a
//! node's memory is the listpack's. A node is closed when it reaches
//! `stream-node-max-bytes` or `stream-node-max-entries` (see
//! [`super::limits`]).
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
    lp.extend_from_slice(&7u32.to_le_bytes());
    lp.extend_from_slice(&0u16.to_le_bytes());
    lp.push(LP_EOF);
    lp
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
// The stream.

/// A stream (see the module documentation).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stream {
    /// Master ID → listpack node.
    pub nodes: BTreeMap<Id, Vec<u8>>,
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
        if let Some((&mid, lp)) = self.nodes.iter_mut().next_back() {
            let mut full = lp.len() + total >= node_max_bytes;
            if !full
                && max_entries > 0
                && let Some(m) = master(lp)
            {
                full = m.count + m.deleted >= max_entries as i64;
            }
            if full {
                lp.shrink_to_fit();
            } else {
                use_tail = Some(mid);
            }
        }
        let mut enc = Vec::with_capacity(total + 16 + fields.len() * 4);
        let (master_id, same, lp) = match use_tail {
            None => {
                let mut lp = lp_new();
                let mut m = Vec::new();
                encode_int(&mut m, 1);
                encode_int(&mut m, 0);
                encode_int(&mut m, fields.len() as i64);
                for (f, _) in fields {
                    encode_str(&mut m, f);
                }
                encode_int(&mut m, 0);
                lp_append_raw(&mut lp, &m, 4 + fields.len() as i64);
                let prealloc = if max_bytes > 0 && max_bytes < 4096 {
                    max_bytes
                } else {
                    4096
                };
                lp.reserve(prealloc.saturating_sub(lp.len()));
                self.nodes.insert(id, lp);
                let Some(lp) = self.nodes.get_mut(&id) else {
                    unreachable!("just inserted")
                };
                (id, true, lp)
            }
            Some(mid) => {
                let Some(lp) = self.nodes.get_mut(&mid) else {
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
        let first_node = self
            .nodes
            .range(..=start)
            .next_back()
            .map_or(start, |(k, _)| *k);
        if !rev {
            for (mid, lp) in self.nodes.range(first_node..=end) {
                for e in node_entries(*mid, lp) {
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
                for e in node_entries(*mid, lp).iter().rev() {
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
        let Some((&mid, _)) = self.nodes.range(..=id).next_back() else {
            return false;
        };
        let Some(lp) = self.nodes.get_mut(&mid) else {
            return false;
        };
        let Some(e) = node_entries(mid, lp)
            .into_iter()
            .find(|e| e.id == id && e.flags & FLAG_DELETED == 0)
        else {
            return false;
        };
        lp_replace_int(lp, e.at, e.flags | FLAG_DELETED);
        let Some(m) = master(lp) else { return false };
        if m.count == 1 {
            self.nodes.remove(&mid);
        } else {
            lp_replace_int(lp, LP_HEADER, m.count - 1);
            if let Some((_, p)) = lp_get(lp, LP_HEADER) {
                lp_replace_int(lp, p, m.deleted + 1);
            }
        }
        self.length -= 1;
        true
    }

    /// Trim as Redis's streamTrim; `limit` 0 = no limit. Returns how many
    /// entries went.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: i64) -> i64 {
        let mut deleted: i64 = 0;
        let keys: Vec<Id> = self.nodes.keys().copied().collect();
        for mid in keys {
            if let Trim::MaxLen(max) = how
                && self.length <= max
            {
                break;
            }
            let Some(lp) = self.nodes.get_mut(&mid) else {
                continue;
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
                self.nodes.remove(&mid);
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
                    shift += lp_replace_int(lp, at, e.flags | FLAG_DELETED);
                    from_node += 1;
                    self.length -= 1;
                }
            }
            deleted += from_node;
            lp_replace_int(lp, LP_HEADER, entries - from_node);
            if let Some((_, p)) = lp_get(lp, LP_HEADER) {
                lp_replace_int(lp, p, m.deleted + from_node);
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
            .and_then(|(mid, lp)| node_entries(*mid, lp).first().map(|e| e.id))
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
            + self
                .nodes
                .values()
                .map(|lp| lp.capacity() + 48)
                .sum::<usize>()
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
            if let (Some(f), Some((prev, _))) = (entries.first(), s.nodes.iter().next_back())
                && f.id <= *prev
            {
                return None;
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
        assert!(s.nodes.values().all(|lp| valid_node(lp)));
        let r = s.range(id(5, 0), id(8, 0), 0, false);
        assert_eq!(r.len(), 4);
        assert_eq!(r[2].1, vec![(b"other".to_vec(), b"x".to_vec())]);
        assert_eq!(r[3].1, vec![(b"item".to_vec(), b"8".to_vec())]);
        let rev = s.range(MIN_ID, MAX_ID, 3, true);
        assert_eq!(rev[0].0, id(250, 0));
        assert!(s.delete(id(6, 0)));
        assert!(!s.delete(id(6, 0)));
        assert_eq!(s.len(), 249);
        assert!(s.nodes.values().all(|lp| valid_node(lp)));
        assert_eq!(s.trim(Trim::MaxLen(100), false, 0), 149);
        assert_eq!(s.len(), 100);
        assert_eq!(s.edge(false), Some(id(151, 0)));
        assert_eq!(s.first_id, id(151, 0));
        assert!(s.nodes.values().all(|lp| valid_node(lp)));
        assert_eq!(
            s.add(&[(b"a", b"b")], Some((id(1, 0), true)), 4096, 100, 0),
            Err(AddError::NotGreater)
        );
    }
}
