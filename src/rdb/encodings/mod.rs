//! The compact container formats Redis embeds in RDB strings: ziplist,
//! listpack, intset and zipmap. Each is walked in place over a byte slice
//! (borrowed from the file, or from a buffer an LZF string was expanded
//! into), validating every entry against the slice's bounds.

pub mod intset;
pub mod listpack;
pub mod ziplist;
pub mod zipmap;

use std::borrow::Cow;

use super::error::{RdbError, Result};

/// One element of a container: bytes, or an integer stored as one (Redis
/// shows it as its decimal text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    Bytes(Cow<'a, [u8]>),
    Int(i64),
}

impl<'a> Item<'a> {
    pub fn borrowed(b: &'a [u8]) -> Item<'a> {
        Item::Bytes(Cow::Borrowed(b))
    }

    /// The bytes Redis would return for this element.
    pub fn to_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Item::Bytes(b) => Cow::Borrowed(b.as_ref()),
            Item::Int(i) => Cow::Owned(itoa::Buffer::new().format(*i).as_bytes().to_vec()),
        }
    }

    /// Length in bytes of the element as Redis returns it.
    pub fn len(&self) -> usize {
        match self {
            Item::Bytes(b) => b.len(),
            Item::Int(i) => itoa::Buffer::new().format(*i).len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn into_owned(self) -> Item<'static> {
        match self {
            Item::Bytes(b) => Item::Bytes(Cow::Owned(b.into_owned())),
            Item::Int(i) => Item::Int(i),
        }
    }

    /// The element read as an integer (integer entries, or decimal text).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Item::Int(i) => Some(*i),
            Item::Bytes(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        }
    }

    /// The element read as a double (zset scores in ziplists/listpacks).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Item::Int(i) => Some(*i as f64),
            Item::Bytes(b) => super::format::parse_double(b),
        }
    }
}

/// An error at `pos` inside a container that starts at absolute `base`.
pub(crate) fn bad(base: u64, pos: usize, what: &str, message: impl std::fmt::Display) -> RdbError {
    RdbError::invalid(base + pos as u64, format!("{what}: {message}"))
}

/// `len` bytes at `pos` of `data`, or an error naming the container.
pub(crate) fn slice<'b>(
    data: &'b [u8],
    pos: usize,
    len: usize,
    base: u64,
    what: &str,
) -> Result<&'b [u8]> {
    pos.checked_add(len)
        .and_then(|end| data.get(pos..end))
        .ok_or_else(|| {
            bad(
                base,
                pos,
                what,
                format!("entry of {len} bytes runs past the end of the container"),
            )
        })
}

pub(crate) fn le_int(bytes: &[u8]) -> i64 {
    // Sign-extend a little-endian integer of 1..=8 bytes.
    let mut v: u64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        v |= u64::from(b) << (8 * i);
    }
    let bits = 8 * bytes.len() as u32;
    if bits >= 64 {
        v as i64
    } else {
        let shift = 64 - bits;
        ((v << shift) as i64) >> shift
    }
}
