//! `Packed`: the byte buffer behind every small collection (a hash's
//! fields and values, a sorted set's members and scores, an intset's
//! integers, a list node's items), one allocation behind one pointer.
//!
//! The block is `[len: u32][count: u32][bytes…]`, sized exactly (no spare
//! capacity): small collections are the bulk of a keyspace, and the
//! allocator's in-place reallocation within a size class keeps growth by
//! one element cheap. `count` is the element count the owning type keeps
//! (pairs for a hash, items for a list node), so asking for a length never
//! walks the bytes.
//!
//! Elements inside are written with [`put_entry`]: a LEB128 length, the
//! bytes, and — for list nodes, which are walked from both ends — the same
//! length bytes again in reverse ([`put_entry_back`]), so the previous
//! entry can be found from its end.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error, realloc};
use std::ptr::NonNull;

const HEADER: usize = 8;

/// A packed byte buffer (see the module documentation).
pub struct Packed(NonNull<u8>);

// SAFETY: Packed exclusively owns its block, like a Box<[u8]>.
unsafe impl Send for Packed {}
// SAFETY: shared access only reads.
unsafe impl Sync for Packed {}

fn layout(len: usize) -> Layout {
    Layout::from_size_align(HEADER + len, 4)
        .unwrap_or_else(|_| handle_alloc_error(Layout::new::<u32>()))
}

impl Packed {
    pub fn new() -> Packed {
        Packed::from_bytes(&[], 0)
    }

    pub fn from_bytes(bytes: &[u8], count: u32) -> Packed {
        let l = layout(bytes.len());
        // SAFETY: the layout is non-zero (header); the header and bytes are
        // written before the pointer is used.
        unsafe {
            let p = alloc(l);
            let Some(p) = NonNull::new(p) else {
                handle_alloc_error(l)
            };
            (p.as_ptr() as *mut u32).write(bytes.len() as u32);
            (p.as_ptr().add(4) as *mut u32).write(count);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.as_ptr().add(HEADER), bytes.len());
            Packed(p)
        }
    }

    pub fn len(&self) -> usize {
        // SAFETY: the header is always initialized.
        unsafe { (self.0.as_ptr() as *const u32).read() as usize }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn count(&self) -> usize {
        // SAFETY: as in `len`.
        unsafe { (self.0.as_ptr().add(4) as *const u32).read() as usize }
    }

    pub fn set_count(&mut self, count: usize) {
        // SAFETY: as in `len`; exclusive access through &mut.
        unsafe { (self.0.as_ptr().add(4) as *mut u32).write(count as u32) }
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `len` initialized bytes follow the header.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().add(HEADER), self.len()) }
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_ptr().add(HEADER), self.len()) }
    }

    /// Replace `bytes[range]` with `with` (insertion, deletion or both),
    /// reallocating to the exact new size.
    pub fn splice(&mut self, start: usize, end: usize, with: &[u8]) {
        let old = self.len();
        debug_assert!(start <= end && end <= old);
        let new = old - (end - start) + with.len();
        let tail = old - end;
        // SAFETY: moves stay inside the block of the current (before
        // shrinking) or new (after growing) size; the header is rewritten.
        unsafe {
            if new < old {
                let base = self.0.as_ptr().add(HEADER);
                std::ptr::copy(base.add(end), base.add(start + with.len()), tail);
                std::ptr::copy_nonoverlapping(with.as_ptr(), base.add(start), with.len());
                self.resize_block(old, new);
            } else {
                self.resize_block(old, new);
                let base = self.0.as_ptr().add(HEADER);
                std::ptr::copy(base.add(end), base.add(start + with.len()), tail);
                std::ptr::copy_nonoverlapping(with.as_ptr(), base.add(start), with.len());
            }
            (self.0.as_ptr() as *mut u32).write(new as u32);
        }
    }

    /// Append bytes at the end.
    pub fn extend(&mut self, with: &[u8]) {
        let len = self.len();
        self.splice(len, len, with);
    }

    /// Truncate to `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        let old = self.len();
        if len < old {
            self.splice(len, old, &[]);
        }
    }

    /// SAFETY: caller rewrites the length header afterwards.
    unsafe fn resize_block(&mut self, old: usize, new: usize) {
        if old == new {
            return;
        }
        let l = layout(old);
        // SAFETY: the block was allocated with `l`.
        let p = unsafe { realloc(self.0.as_ptr(), l, HEADER + new) };
        match NonNull::new(p) {
            Some(p) => self.0 = p,
            None => handle_alloc_error(layout(new)),
        }
    }

    /// Bytes the block occupies on the heap (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        HEADER + self.len()
    }
}

impl Default for Packed {
    fn default() -> Self {
        Packed::new()
    }
}

impl Drop for Packed {
    fn drop(&mut self) {
        // SAFETY: allocated with this layout.
        unsafe { dealloc(self.0.as_ptr(), layout(self.len())) }
    }
}

impl Clone for Packed {
    fn clone(&self) -> Packed {
        Packed::from_bytes(self.bytes(), self.count() as u32)
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Packed({} bytes, {} elements)", self.len(), self.count())
    }
}

impl PartialEq for Packed {
    fn eq(&self, other: &Packed) -> bool {
        self.bytes() == other.bytes() && self.count() == other.count()
    }
}

/// Bytes of the LEB128 encoding of `n`.
pub fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Read a LEB128 length at `at`: (length, bytes of the varint). The
/// buffer was written by this module, so it is well formed.
#[inline]
pub fn read_varint(buf: &[u8], at: usize) -> (usize, usize) {
    let first = buf[at];
    if first < 0x80 {
        return (usize::from(first), 1);
    }
    let mut n = 0usize;
    let mut shift = 0;
    let mut i = at;
    loop {
        let b = buf[i];
        n |= usize::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (n, i - at);
        }
        shift += 7;
    }
}

/// Read a reversed LEB128 length ending just before `end`: (length,
/// bytes of the varint).
#[inline]
fn read_varint_back(buf: &[u8], end: usize) -> (usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        i -= 1;
        let b = buf[i];
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return (n, end - i);
        }
        shift += 7;
    }
}

/// Encoded size of a forward entry holding `len` bytes.
pub fn entry_size(len: usize) -> usize {
    varint_len(len) + len
}

/// Encoded size of a two-way (list node) entry holding `len` bytes.
pub fn entry_size_back(len: usize) -> usize {
    2 * varint_len(len) + len
}

/// Append a forward entry.
pub fn put_entry(out: &mut Vec<u8>, item: &[u8]) {
    put_varint(out, item.len());
    out.extend_from_slice(item);
}

/// Append a two-way entry: length, bytes, length reversed.
pub fn put_entry_back(out: &mut Vec<u8>, item: &[u8]) {
    let start = out.len();
    put_varint(out, item.len());
    let header_end = out.len();
    out.extend_from_slice(item);
    for i in (start..header_end).rev() {
        let b = out[i];
        out.push(b);
    }
}

/// The entry at `at`: (item, offset after it), for forward entries.
#[inline]
pub fn entry_at(buf: &[u8], at: usize) -> (&[u8], usize) {
    let (len, n) = read_varint(buf, at);
    let start = at + n;
    (&buf[start..start + len], start + len)
}

/// The two-way entry at `at`: (item, offset after it).
#[inline]
pub fn entry_back_at(buf: &[u8], at: usize) -> (&[u8], usize) {
    let (len, n) = read_varint(buf, at);
    let start = at + n;
    (&buf[start..start + len], start + len + n)
}

/// The two-way entry that ends at `end`: (item, offset where it starts).
#[inline]
pub fn entry_back_before(buf: &[u8], end: usize) -> (&[u8], usize) {
    let (len, n) = read_varint_back(buf, end);
    let stop = end - n;
    let start = stop - len;
    (&buf[start..stop], start - n)
}

/// Iterate forward entries.
pub fn entries(buf: &[u8]) -> Entries<'_> {
    Entries { buf, at: 0 }
}

pub struct Entries<'a> {
    buf: &'a [u8],
    pub at: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.at >= self.buf.len() {
            return None;
        }
        let (item, next) = entry_at(self.buf, self.at);
        self.at = next;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_grows_and_shrinks() {
        let mut p = Packed::new();
        p.extend(b"hello");
        p.splice(0, 0, b">> ");
        assert_eq!(p.bytes(), b">> hello");
        p.splice(3, 5, b"");
        assert_eq!(p.bytes(), b">> llo");
        p.splice(0, 6, b"x");
        assert_eq!(p.bytes(), b"x");
        p.set_count(7);
        assert_eq!(p.clone().count(), 7);
        assert_eq!(std::mem::size_of::<Packed>(), 8);
    }

    #[test]
    fn entries_walk_both_ways() {
        let items: Vec<Vec<u8>> = [0usize, 1, 127, 128, 300, 20_000]
            .iter()
            .map(|&n| vec![b'a'; n])
            .collect();
        let mut buf = Vec::new();
        for item in &items {
            put_entry_back(&mut buf, item);
        }
        let mut at = 0;
        for item in &items {
            let (got, next) = entry_back_at(&buf, at);
            assert_eq!(got, &item[..]);
            at = next;
        }
        assert_eq!(at, buf.len());
        let mut end = buf.len();
        for item in items.iter().rev() {
            let (got, start) = entry_back_before(&buf, end);
            assert_eq!(got, &item[..]);
            end = start;
        }
        assert_eq!(end, 0);
        let mut fwd = Vec::new();
        for item in &items {
            put_entry(&mut fwd, item);
        }
        assert_eq!(entries(&fwd).count(), items.len());
    }
}
