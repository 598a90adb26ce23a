//! Zipmap (hashes before Redis 2.6): zmlen (1 byte, >= 254 = count
//! unknown), then entries `len key len free value <free bytes>`, where a
//! length is one byte below 254 or 254 + u32 LE; 0xFF ends it.

use super::{Item, bad, slice};
use crate::rdb::error::Result;

const WHAT: &str = "zipmap";

pub struct Zipmap<'b> {
    data: &'b [u8],
    pos: usize,
    base: u64,
    header_count: Option<u64>,
    /// Whether the next string is a key (then a value follows).
    at_key: bool,
    done: bool,
}

impl<'b> Zipmap<'b> {
    pub fn new(data: &'b [u8], base: u64) -> Result<Zipmap<'b>> {
        let zmlen = *data
            .first()
            .ok_or_else(|| bad(base, 0, WHAT, "empty string"))?;
        Ok(Zipmap {
            data,
            pos: 1,
            base,
            header_count: (zmlen < 254).then_some(u64::from(zmlen)),
            at_key: true,
            done: false,
        })
    }

    /// Number of field/value pairs from the header, if known.
    pub fn header_count(&self) -> Option<u64> {
        self.header_count
    }

    fn length(&mut self) -> Result<Option<usize>> {
        let d = self.data;
        let b = *d
            .get(self.pos)
            .ok_or_else(|| bad(self.base, self.pos, WHAT, "no end byte"))?;
        match b {
            0xff => Ok(None),
            254 => {
                let s = slice(d, self.pos + 1, 4, self.base, WHAT)?;
                self.pos += 5;
                Ok(Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize))
            }
            n => {
                self.pos += 1;
                Ok(Some(usize::from(n)))
            }
        }
    }

    /// The next string: key, value, key, value...
    pub fn next_item(&mut self) -> Result<Option<Item<'b>>> {
        if self.done {
            return Ok(None);
        }
        let at = self.pos;
        let Some(len) = self.length()? else {
            if !self.at_key {
                return Err(bad(self.base, at, WHAT, "ends between a key and its value"));
            }
            self.done = true;
            if at + 1 != self.data.len() {
                return Err(bad(self.base, at, WHAT, "end byte before the end"));
            }
            return Ok(None);
        };
        let mut free = 0usize;
        if !self.at_key {
            free = usize::from(slice(self.data, self.pos, 1, self.base, WHAT)?[0]);
            self.pos += 1;
        }
        let s = slice(self.data, self.pos, len, self.base, WHAT)?;
        self.pos += len;
        slice(self.data, self.pos, free, self.base, WHAT)?;
        self.pos += free;
        self.at_key = !self.at_key;
        Ok(Some(Item::borrowed(s)))
    }

    /// Walk every entry and count the pairs.
    pub fn count_pairs(mut self) -> Result<u64> {
        let mut n = 0;
        while self.next_item()?.is_some() {
            n += 1;
        }
        Ok(n / 2)
    }
}

/// Redis's zipmapValidateIntegrity (always deep: Redis 7 converts every
/// zipmap it loads): every length inside the zipmap, at least one pair, and
/// the header's count when it is not the "unknown" 254 or more.
pub fn validate(zm: &[u8]) -> bool {
    let size = zm.len() as u64;
    if size < 2 || zm[zm.len() - 1] != 0xff {
        return false;
    }
    // Redis's OUT_OF_RANGE: before the first entry or past the end byte.
    let out = |p: u64| p < 2 || p > size - 1;
    let len_size = |b: u8| if b < 254 { 1u64 } else { 5 };
    let len_at = |p: u64| -> Option<u64> {
        let b = *zm.get(p as usize)?;
        if b < 254 {
            return Some(u64::from(b));
        }
        let s = zm.get(p as usize + 1..p as usize + 5)?;
        Some(u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])))
    };
    let mut count = 0u64;
    let mut p = 1u64;
    while zm[p as usize] != 0xff {
        let s = len_size(zm[p as usize]);
        if out(p + s) {
            return false;
        }
        let Some(l) = len_at(p) else { return false };
        p += s + l;
        if out(p) {
            return false;
        }
        let s = len_size(zm[p as usize]);
        if out(p + s) {
            return false;
        }
        let Some(l) = len_at(p) else { return false };
        p += s;
        let free = u64::from(zm[p as usize]);
        p += 1 + l + free;
        count += 1;
        if out(p) {
            return false;
        }
    }
    count != 0 && (zm[0] >= 254 || u64::from(zm[0]) == count)
}
