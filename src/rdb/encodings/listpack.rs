//! Listpack (Redis 7+): total bytes (u32 LE), element count (u16 LE,
//! 65535 = unknown), entries, 0xFF. An entry is an encoding with its data,
//! then "backlen", the entry's length in 1 to 5 bytes. Encodings:
//! `0xxxxxxx` 7-bit uint, `10xxxxxx` string up to 63 bytes, `110xxxxx`
//! and 1 byte: 13-bit int, `1110xxxx` and 1 byte: string up to 4095
//! bytes, `11110000` and u32 LE: string, `11110001..=11110100` i16/i24/i32/i64 LE.

use super::{Item, bad, le_int, slice};
use crate::rdb::error::Result;

const WHAT: &str = "listpack";

pub struct Listpack<'b> {
    data: &'b [u8],
    pos: usize,
    base: u64,
    header_count: Option<u64>,
    done: bool,
}

/// Bytes the backlen of an entry of `len` bytes takes.
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..16383 => 2,
        16383..2097151 => 3,
        2097151..268435455 => 4,
        _ => 5,
    }
}

impl<'b> Listpack<'b> {
    pub fn new(data: &'b [u8], base: u64) -> Result<Listpack<'b>> {
        if data.len() < 7 {
            return Err(bad(base, 0, WHAT, "shorter than its header and end byte"));
        }
        let total = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
        if total != data.len() {
            return Err(bad(
                base,
                0,
                WHAT,
                format!("header says {total} bytes, the string holds {}", data.len()),
            ));
        }
        if data[data.len() - 1] != 0xff {
            return Err(bad(base, data.len() - 1, WHAT, "missing end byte 0xFF"));
        }
        let count = u16::from_le_bytes([data[4], data[5]]);
        Ok(Listpack {
            data,
            pos: 6,
            base,
            header_count: (count != u16::MAX).then_some(u64::from(count)),
            done: false,
        })
    }

    /// The entry at offset `pos` of `data` (an offset [`validate_next`]
    /// accepted), without checking the header again.
    pub fn item_at(data: &'b [u8], pos: usize) -> Option<Item<'b>> {
        let mut w = Listpack {
            data,
            pos,
            base: 0,
            header_count: None,
            done: false,
        };
        w.next_item().ok().flatten()
    }

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
        let enc = *d
            .get(start)
            .ok_or_else(|| bad(base, start, WHAT, "no end byte"))?;
        if enc == 0xff {
            self.done = true;
            if start + 1 != d.len() {
                return Err(bad(base, start, WHAT, "end byte before the end"));
            }
            return Ok(None);
        }
        let (item, header) = if enc & 0x80 == 0 {
            (Item::Int(i64::from(enc & 0x7f)), 1)
        } else if enc & 0xc0 == 0x80 {
            let len = usize::from(enc & 0x3f);
            (
                Item::borrowed(slice(d, start + 1, len, base, WHAT)?),
                1 + len,
            )
        } else if enc & 0xe0 == 0xc0 {
            let lo = slice(d, start + 1, 1, base, WHAT)?[0];
            let v = (i64::from(enc & 0x1f) << 8) | i64::from(lo);
            let v = if v >= 1 << 12 { v - (1 << 13) } else { v };
            (Item::Int(v), 2)
        } else if enc & 0xf0 == 0xe0 {
            let lo = slice(d, start + 1, 1, base, WHAT)?[0];
            let len = (usize::from(enc & 0x0f) << 8) | usize::from(lo);
            (
                Item::borrowed(slice(d, start + 2, len, base, WHAT)?),
                2 + len,
            )
        } else {
            match enc {
                0xf0 => {
                    let b = slice(d, start + 1, 4, base, WHAT)?;
                    let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                    (
                        Item::borrowed(slice(d, start + 5, len, base, WHAT)?),
                        5 + len,
                    )
                }
                0xf1..=0xf4 => {
                    let width = match enc {
                        0xf1 => 2,
                        0xf2 => 3,
                        0xf3 => 4,
                        _ => 8,
                    };
                    (
                        Item::Int(le_int(slice(d, start + 1, width, base, WHAT)?)),
                        1 + width,
                    )
                }
                _ => return Err(bad(base, start, WHAT, format!("encoding byte {enc:#04x}"))),
            }
        };
        let next = start + header + backlen_size(header);
        if next >= d.len() {
            return Err(bad(base, start, WHAT, "entry overlaps the end byte"));
        }
        self.pos = next;
        Ok(Some(item))
    }

    pub fn count_all(mut self) -> Result<u64> {
        let mut n = 0;
        while self.next_item()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

/// Redis's lpValidateIntegrity. Shallow: the header's byte count and the
/// end byte. Deep: also every entry (lpValidateNext: a known encoding,
/// inside the listpack, its backlen matching its length), the walk ending
/// on the end byte, and the header's count. Returns the entries' offsets
/// when deep (empty when shallow).
pub fn validate(lp: &[u8], deep: bool) -> Option<Vec<usize>> {
    let size = lp.len();
    if size < 7 {
        return None;
    }
    if u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize != size || lp[size - 1] != 0xff {
        return None;
    }
    let mut entries = Vec::new();
    if !deep {
        return Some(entries);
    }
    let numele = u16::from_le_bytes([lp[4], lp[5]]);
    let mut p = 6;
    while lp[p] != 0xff {
        entries.push(p);
        p = validate_next(lp, p)?;
    }
    if p != size - 1 {
        return None;
    }
    if numele != u16::MAX && entries.len() != usize::from(numele) {
        return None;
    }
    Some(entries)
}

/// Redis's lpValidateNext: the offset of the entry after the one at `p`,
/// when that entry is well formed and inside the listpack (the end byte's
/// own offset when `p` is the last entry).
pub fn validate_next(lp: &[u8], p: usize) -> Option<usize> {
    let last = lp.len().checked_sub(1)?;
    if p < 6 || p > last {
        return None;
    }
    let enc = lp[p];
    let (len_bytes, entry_len): (usize, u64) = if enc & 0x80 == 0 {
        (1, 1)
    } else if enc & 0xc0 == 0x80 {
        (1, 1 + u64::from(enc & 0x3f))
    } else if enc & 0xe0 == 0xc0 {
        (1, 2)
    } else if enc & 0xf0 == 0xe0 {
        let lo = u64::from(*lp.get(p + 1)?);
        (2, 2 + ((u64::from(enc & 0x0f) << 8) | lo))
    } else {
        match enc {
            0xf1 => (1, 3),
            0xf2 => (1, 4),
            0xf3 => (1, 5),
            0xf4 => (1, 9),
            0xf0 => {
                let b = lp.get(p + 1..p + 5)?;
                (
                    5,
                    5 + u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                )
            }
            _ => return None,
        }
    };
    if p + len_bytes > last {
        return None;
    }
    let backlen = backlen_size(usize::try_from(entry_len).ok()?);
    let total = entry_len + backlen as u64;
    if p as u64 + total > last as u64 {
        return None;
    }
    let next = p + total as usize;
    // The backlen is read backwards from the entry's last byte: 7 bits per
    // byte, the high bit set on every byte but the first one written.
    let mut value: u64 = 0;
    let mut shift = 0;
    let mut at = next - 1;
    loop {
        let b = lp[at];
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 || at == 0 {
            return None;
        }
        at -= 1;
    }
    (value + backlen as u64 == total).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_encoding() {
        // Built by hand: 7-bit 5, str "ab", 13-bit -100, i16 1000, i64 -1.
        let mut lp = vec![0, 0, 0, 0, 5, 0];
        lp.extend([0x05, 0x01]);
        lp.extend([0x82, b'a', b'b', 0x03]);
        let v = (-100i64 + (1 << 13)) as u16;
        lp.extend([0xc0 | (v >> 8) as u8, v as u8, 0x02]);
        lp.extend([0xf1, 0xe8, 0x03, 0x03]);
        lp.extend([0xf4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x09]);
        lp.push(0xff);
        let n = lp.len() as u32;
        lp[..4].copy_from_slice(&n.to_le_bytes());
        let mut it = Listpack::new(&lp, 0).unwrap();
        assert_eq!(it.header_count(), Some(5));
        let mut got = Vec::new();
        while let Some(item) = it.next_item().unwrap() {
            got.push(item.to_bytes().into_owned());
        }
        assert_eq!(
            got,
            vec![
                b"5".to_vec(),
                b"ab".to_vec(),
                b"-100".to_vec(),
                b"1000".to_vec(),
                b"-1".to_vec()
            ]
        );
    }
}
