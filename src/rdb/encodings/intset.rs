//! Intset: a sorted array of integers of one width. Header: encoding (u32
//! LE: 2, 4 or 8 bytes per element), length (u32 LE); then the elements,
//! little-endian.

use super::{Item, bad, le_int};
use crate::rdb::error::Result;

pub struct Intset<'b> {
    data: &'b [u8],
    width: usize,
    count: u32,
    next: u32,
}

impl<'b> Intset<'b> {
    pub fn new(data: &'b [u8], base: u64) -> Result<Intset<'b>> {
        const WHAT: &str = "intset";
        let header = data
            .get(..8)
            .ok_or_else(|| bad(base, 0, WHAT, "shorter than its 8-byte header"))?;
        let width = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let count = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if !matches!(width, 2 | 4 | 8) {
            return Err(bad(base, 0, WHAT, format!("element width {width}")));
        }
        if (data.len() - 8) as u64 != u64::from(count) * width as u64 {
            return Err(bad(
                base,
                4,
                WHAT,
                format!(
                    "{count} elements of {width} bytes do not fill its {} bytes",
                    data.len() - 8
                ),
            ));
        }
        Ok(Intset {
            data: &data[8..],
            width,
            count,
            next: 0,
        })
    }

    pub fn count(&self) -> u64 {
        u64::from(self.count)
    }

    pub fn next_item(&mut self) -> Option<Item<'b>> {
        if self.next >= self.count {
            return None;
        }
        let at = self.next as usize * self.width;
        self.next += 1;
        self.data
            .get(at..at + self.width)
            .map(|b| Item::Int(le_int(b)))
    }
}

/// Redis's intsetValidateIntegrity. Shallow: a known width, a size that
/// matches the count, and at least one element. Deep: also strictly
/// ascending elements (no duplicates).
pub fn validate(data: &[u8], deep: bool) -> bool {
    let Some(header) = data.get(..8) else {
        return false;
    };
    let width = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let count = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
    if !matches!(width, 2 | 4 | 8) || 8 + (count * width) as u64 != data.len() as u64 || count == 0
    {
        return false;
    }
    if !deep {
        return true;
    }
    let values = data[8..].chunks_exact(width).map(le_int);
    let mut prev: Option<i64> = None;
    for v in values {
        if prev.is_some_and(|p| v <= p) {
            return false;
        }
        prev = Some(v);
    }
    true
}
