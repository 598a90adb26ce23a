//! Ziplist (Redis 2.6 to 6.2): zlbytes (u32 LE), zltail (u32 LE), zllen
//! (u16 LE, 65535 = count unknown), entries, 0xFF. An entry is prevlen (1
//! byte, or 0xFE + u32 LE), an encoding header, and data:
//! `00pppppp` / `01pppppp qqqqqqqq` (BE) / `10000000` + u32 BE string
//! lengths; `11000000` i16, `11010000` i32, `11100000` i64, `11110000` i24,
//! `11111110` i8 and `1111xxxx` immediates 0..=12.

use super::{Item, bad, le_int, slice};
use crate::rdb::error::Result;

const WHAT: &str = "ziplist";

pub struct Ziplist<'b> {
    data: &'b [u8],
    pos: usize,
    base: u64,
    header_count: Option<u64>,
    done: bool,
}

impl<'b> Ziplist<'b> {
    pub fn new(data: &'b [u8], base: u64) -> Result<Ziplist<'b>> {
        if data.len() < 11 {
            return Err(bad(base, 0, WHAT, "shorter than its header and end byte"));
        }
        let zlbytes = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
        if zlbytes != data.len() {
            return Err(bad(
                base,
                0,
                WHAT,
                format!(
                    "header says {zlbytes} bytes, the string holds {}",
                    data.len()
                ),
            ));
        }
        if data[data.len() - 1] != 0xff {
            return Err(bad(base, data.len() - 1, WHAT, "missing end byte 0xFF"));
        }
        let zllen = u16::from_le_bytes([data[8], data[9]]);
        Ok(Ziplist {
            data,
            pos: 10,
            base,
            header_count: (zllen != u16::MAX).then_some(u64::from(zllen)),
            done: false,
        })
    }

    /// Entry count from the header, when it is not the "unknown" 65535.
    pub fn header_count(&self) -> Option<u64> {
        self.header_count
    }

    pub fn next_item(&mut self) -> Result<Option<Item<'b>>> {
        if self.done {
            return Ok(None);
        }
        let d = self.data;
        let base = self.base;
        let start = self.pos;
        let first = *d
            .get(start)
            .ok_or_else(|| bad(base, start, WHAT, "no end byte"))?;
        if first == 0xff {
            self.done = true;
            if start + 1 != d.len() {
                return Err(bad(base, start, WHAT, "end byte before the end"));
            }
            return Ok(None);
        }
        let mut p = start + if first == 0xfe { 5 } else { 1 };
        let enc = *d
            .get(p)
            .ok_or_else(|| bad(base, p, WHAT, "entry cut short"))?;
        let item = match enc >> 6 {
            0 => {
                let len = usize::from(enc & 0x3f);
                p += 1;
                let s = slice(d, p, len, base, WHAT)?;
                p += len;
                Item::borrowed(s)
            }
            1 => {
                let lo = *d
                    .get(p + 1)
                    .ok_or_else(|| bad(base, p, WHAT, "entry cut short"))?;
                let len = (usize::from(enc & 0x3f) << 8) | usize::from(lo);
                p += 2;
                let s = slice(d, p, len, base, WHAT)?;
                p += len;
                Item::borrowed(s)
            }
            2 => {
                // Redis masks the low six bits of a 32-bit string header away.
                let b = slice(d, p + 1, 4, base, WHAT)?;
                let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                p += 5;
                let s = slice(d, p, len, base, WHAT)?;
                p += len;
                Item::borrowed(s)
            }
            _ => {
                let width = match enc {
                    0xc0 => 2,
                    0xd0 => 4,
                    0xe0 => 8,
                    0xf0 => 3,
                    0xfe => 1,
                    0xf1..=0xfd => 0,
                    _ => return Err(bad(base, p, WHAT, format!("encoding byte {enc:#04x}"))),
                };
                p += 1;
                if width == 0 {
                    Item::Int(i64::from(enc & 0x0f) - 1)
                } else {
                    let b = slice(d, p, width, base, WHAT)?;
                    p += width;
                    Item::Int(le_int(b))
                }
            }
        };
        if p >= d.len() {
            return Err(bad(base, start, WHAT, "entry overlaps the end byte"));
        }
        self.pos = p;
        Ok(Some(item))
    }

    /// Walk every entry and count them.
    pub fn count_all(mut self) -> Result<u64> {
        let mut n = 0;
        while self.next_item()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

/// Redis's ziplistValidateIntegrity, which Redis 7 always runs in full on a
/// ziplist it loads (it converts every one): the header, every entry's
/// bounds and encoding, each entry's record of its predecessor's length,
/// the tail offset and the header's count. Returns the entries' offsets on
/// success.
pub fn validate(zl: &[u8]) -> Option<Vec<usize>> {
    let size = zl.len();
    if size < 11 {
        return None;
    }
    let u32_at = |i: usize| u32::from_le_bytes([zl[i], zl[i + 1], zl[i + 2], zl[i + 3]]) as usize;
    if u32_at(0) != size || zl[size - 1] != 0xff {
        return None;
    }
    let tail = u32_at(4);
    let last = size - 1;
    if tail > last {
        return None;
    }
    let header_count = u16::from_le_bytes([zl[8], zl[9]]);
    let mut entries = Vec::new();
    let mut p = 10;
    let mut prev_raw = 0usize;
    while zl[p] != 0xff {
        let (prevlen, raw) = entry_bounds(zl, p)?;
        if prevlen != prev_raw {
            return None;
        }
        entries.push(p);
        prev_raw = raw;
        p += raw;
    }
    if p != last {
        return None;
    }
    if let Some(&tail_entry) = entries.last()
        && tail_entry != tail
    {
        return None;
    }
    if header_count != u16::MAX && entries.len() != usize::from(header_count) {
        return None;
    }
    Some(entries)
}

/// The prevlen field and raw length of the entry at `p`, checked to lie
/// inside the ziplist (Redis's zipEntrySafe), or None.
fn entry_bounds(zl: &[u8], p: usize) -> Option<(usize, usize)> {
    let last = zl.len() - 1;
    if p < 10 || p > last {
        return None;
    }
    let prev_size = if zl[p] < 254 { 1 } else { 5 };
    if p + prev_size > last {
        return None;
    }
    let at = p + prev_size;
    let raw_enc = zl[at];
    let enc = if raw_enc < 0xc0 {
        raw_enc & 0xc0
    } else {
        raw_enc
    };
    let len_size = match enc {
        0x00 => 1,
        0x40 => 2,
        0x80 => 5,
        0xc0 | 0xd0 | 0xe0 | 0xf0 | 0xfe | 0xf1..=0xfd => 1,
        _ => return None,
    };
    if at + len_size > last {
        return None;
    }
    let prevlen = if prev_size == 1 {
        usize::from(zl[p])
    } else {
        u32::from_le_bytes([zl[p + 1], zl[p + 2], zl[p + 3], zl[p + 4]]) as usize
    };
    let len = match enc {
        0x00 => usize::from(raw_enc & 0x3f),
        0x40 => (usize::from(raw_enc & 0x3f) << 8) | usize::from(zl[at + 1]),
        0x80 => u32::from_be_bytes([zl[at + 1], zl[at + 2], zl[at + 3], zl[at + 4]]) as usize,
        0xc0 => 2,
        0xd0 => 4,
        0xe0 => 8,
        0xf0 => 3,
        0xfe => 1,
        _ => 0,
    };
    let raw = (prev_size + len_size).checked_add(len)?;
    if p.checked_add(raw)? > last || prevlen > p - 10 {
        return None;
    }
    Some((prevlen, raw))
}
