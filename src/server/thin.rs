//! `ThinBytes`: an immutable byte string behind a single (thin) pointer,
//! its length stored in front of the bytes as a LEB128 varint.
//!
//! Short string values and hash values are much of a keyspace's memory. A
//! `Box<[u8]>` costs 16 bytes of pointer and length in every owner; this
//! costs 8, plus one byte of length prefix for anything under 128 bytes
//! (which usually fits in the allocator's size-class slack). (Keys of the
//! hash tables are not ThinBytes: they live inside their table's node,
//! see [`super::dict`].)

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::fmt;
use std::ptr::NonNull;

/// An owned, immutable byte string (see the module documentation).
pub struct ThinBytes(NonNull<u8>);

// SAFETY: ThinBytes exclusively owns its allocation (like Box<[u8]>).
unsafe impl Send for ThinBytes {}
// SAFETY: shared access only reads immutable bytes.
unsafe impl Sync for ThinBytes {}

/// Bytes of the varint encoding of `n`.
fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

impl ThinBytes {
    pub fn new(bytes: &[u8]) -> ThinBytes {
        let prefix = varint_len(bytes.len());
        let size = prefix + bytes.len();
        let layout = Layout::from_size_align(size, 1).unwrap_or_else(|_| {
            handle_alloc_error(Layout::new::<u8>());
        });
        // SAFETY: size >= 1 (the prefix), so the layout is non-zero.
        let ptr = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(ptr) else {
            handle_alloc_error(layout)
        };
        // SAFETY: the block has `size` bytes: the varint, then the bytes.
        unsafe {
            let mut n = bytes.len();
            let mut at = ptr.as_ptr();
            loop {
                let byte = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    *at = byte;
                    at = at.add(1);
                    break;
                }
                *at = byte | 0x80;
                at = at.add(1);
            }
            super::copy::bytes(bytes.as_ptr(), at, bytes.len());
        }
        ThinBytes(ptr)
    }

    /// (length, offset of the first byte).
    fn header(&self) -> (usize, usize) {
        let mut len = 0usize;
        let mut shift = 0;
        let mut i = 0;
        loop {
            // SAFETY: the varint written by `new` ends with a byte whose
            // high bit is clear, within the allocation.
            let byte = unsafe { *self.0.as_ptr().add(i) };
            len |= usize::from(byte & 0x7f) << shift;
            i += 1;
            if byte & 0x80 == 0 {
                return (len, i);
            }
            shift += 7;
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        let (len, offset) = self.header();
        // SAFETY: `len` bytes follow the header inside the allocation, and
        // they are never mutated while shared.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().add(offset), len) }
    }
}

impl Drop for ThinBytes {
    fn drop(&mut self) {
        let (len, offset) = self.header();
        // SAFETY: same size and alignment as allocated in `new`.
        unsafe {
            dealloc(
                self.0.as_ptr(),
                Layout::from_size_align_unchecked(offset + len, 1),
            )
        };
    }
}

impl std::ops::Deref for ThinBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Clone for ThinBytes {
    fn clone(&self) -> ThinBytes {
        ThinBytes::new(self.as_bytes())
    }
}

impl PartialEq for ThinBytes {
    fn eq(&self, other: &ThinBytes) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for ThinBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for ThinBytes {
    fn from(bytes: &[u8]) -> ThinBytes {
        ThinBytes::new(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::ThinBytes;

    #[test]
    fn round_trips_every_length_class() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let thin = ThinBytes::new(&data);
            assert_eq!(thin.as_bytes(), &data[..], "len {len}");
            assert_eq!(thin.clone().as_bytes(), &data[..]);
        }
        assert_eq!(std::mem::size_of::<ThinBytes>(), 8);
        assert_eq!(std::mem::size_of::<Option<ThinBytes>>(), 8);
    }
}
