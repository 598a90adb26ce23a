//! Intsets: a sorted array of distinct integers in one [`Packed`] buffer,
//! every element at the width of the widest (2, 4 or 8 bytes, little
//! endian), as Redis's intset. Membership is a binary search; adding a
//! wider integer upgrades the whole array.
//!
//! The width is not stored: it is the buffer's length over the element
//! count (2 when empty). A width byte would make a set of ten 4-byte
//! integers a 49-byte block, which the allocator rounds up to 64 (48 is a
//! size class); Redis's 8-byte intset header makes it 48.

use super::packed::Packed;

fn width_for(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// An empty intset.
pub fn new() -> Packed {
    Packed::from_bytes(&[], 0)
}

fn width(p: &Packed) -> usize {
    match p.count() {
        0 => 2,
        n => p.len() / n,
    }
}

#[inline]
fn read(buf: &[u8], w: usize, i: usize) -> i64 {
    let at = i * w;
    match w {
        2 => i64::from(i16::from_le_bytes([buf[at], buf[at + 1]])),
        4 => i64::from(i32::from_le_bytes([
            buf[at],
            buf[at + 1],
            buf[at + 2],
            buf[at + 3],
        ])),
        _ => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[at..at + 8]);
            i64::from_le_bytes(b)
        }
    }
}

fn encode(v: i64, w: usize) -> Vec<u8> {
    v.to_le_bytes()[..w].to_vec()
}

pub fn len(p: &Packed) -> usize {
    p.count()
}

/// The `i`-th smallest element.
pub fn get(p: &Packed, i: usize) -> i64 {
    read(p.bytes(), width(p), i)
}

/// Ok(index) when present, Err(insertion index) otherwise.
fn search(p: &Packed, v: i64) -> Result<usize, usize> {
    let (buf, w) = (p.bytes(), width(p));
    let (mut lo, mut hi) = (0usize, p.count());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let x = read(buf, w, mid);
        if x == v {
            return Ok(mid);
        }
        if x < v {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Err(lo)
}

pub fn contains(p: &Packed, v: i64) -> bool {
    if width_for(v) > width(p) {
        return false;
    }
    search(p, v).is_ok()
}

/// Add `v`; true when it was not there.
pub fn insert(p: &mut Packed, v: i64) -> bool {
    let need = width_for(v);
    let w = width(p);
    if need > w {
        // Upgrade: a wider value is beyond every current one, at one end.
        let n = p.count();
        let mut out = Vec::with_capacity((n + 1) * need);
        if v < 0 {
            out.extend_from_slice(&encode(v, need));
        }
        for i in 0..n {
            out.extend_from_slice(&encode(get(p, i), need));
        }
        if v >= 0 {
            out.extend_from_slice(&encode(v, need));
        }
        *p = Packed::from_bytes(&out, (n + 1) as u32);
        return true;
    }
    match search(p, v) {
        Ok(_) => false,
        Err(i) => {
            let at = i * w;
            p.splice(at, at, &encode(v, w));
            let c = p.count() + 1;
            p.set_count(c);
            true
        }
    }
}

/// Remove `v`; true when it was there.
pub fn remove(p: &mut Packed, v: i64) -> bool {
    if width_for(v) > width(p) {
        return false;
    }
    match search(p, v) {
        Ok(i) => {
            let w = width(p);
            let at = i * w;
            p.splice(at, at + w, &[]);
            let c = p.count() - 1;
            p.set_count(c);
            true
        }
        Err(_) => false,
    }
}

/// Every element, ascending.
pub fn iter(p: &Packed) -> impl ExactSizeIterator<Item = i64> + '_ {
    let (buf, w) = (p.bytes(), width(p));
    (0..p.count()).map(move |i| read(buf, w, i))
}

/// An intset of `values` (already distinct or not), sorted.
pub fn from_values(mut values: Vec<i64>) -> Packed {
    values.sort_unstable();
    values.dedup();
    let w = values.iter().map(|&v| width_for(v)).max().unwrap_or(2);
    let mut out = Vec::with_capacity(values.len() * w);
    for &v in &values {
        out.extend_from_slice(&encode(v, w));
    }
    Packed::from_bytes(&out, values.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_keep_order_and_upgrade_width() {
        let mut p = new();
        for v in [5, -3, 100, 5, 7] {
            insert(&mut p, v);
        }
        assert_eq!(iter(&p).collect::<Vec<_>>(), vec![-3, 5, 7, 100]);
        assert!(insert(&mut p, 1 << 40));
        assert!(insert(&mut p, -(1 << 20)));
        assert_eq!(
            iter(&p).collect::<Vec<_>>(),
            vec![-(1 << 20), -3, 5, 7, 100, 1 << 40]
        );
        assert!(contains(&p, 1 << 40));
        assert!(remove(&mut p, 5));
        assert!(!remove(&mut p, 5));
        assert!(!contains(&p, 5));
        assert_eq!(len(&p), 5);
        assert_eq!(from_values(vec![3, 1, 3]).count(), 2);
        // Ten 4-byte integers: 40 bytes after the 8-byte header.
        let ten = from_values((100_000..100_010).collect());
        assert_eq!((ten.len(), width(&ten)), (40, 4));
        let mut p = new();
        assert!(insert(&mut p, 1 << 40));
        assert_eq!(
            (width(&p), iter(&p).collect::<Vec<_>>()),
            (8, vec![1 << 40])
        );
        assert!(remove(&mut p, 1 << 40));
        assert!(insert(&mut p, -7));
        assert_eq!(iter(&p).collect::<Vec<_>>(), vec![-7]);
    }
}
