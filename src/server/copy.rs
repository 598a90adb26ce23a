//! Copying large byte strings (values into the output buffer, client
//! arguments into stored values) without glibc's slow case.
//!
//! glibc's memcpy copies blocks of a few KiB and more with `rep movsb`,
//! which on the x86-64 machines measured runs at about 1.3 GB/s instead of
//! 15-25 GB/s when the destination lies 1 to 15 bytes (modulo 4096) past
//! the source: the loads alias the stores just made ("4K aliasing"). A
//! bulk reply of a stored value hits exactly that: the value's bytes start
//! 3 bytes into their page-aligned block (after the length prefix), its
//! copy 9 bytes into the output buffer's (after `$100000\r\n`), so GET of
//! a 100 KB value spent about 36 µs per request in that one copy, half of
//! its CPU time. Such distances are copied here with 16-byte vector moves
//! (2-5 µs for 100 KB at any distance); every other copy is memcpy's.

/// Below this size memcpy does not use `rep movsb`.
const LARGE: usize = 2048;

/// Copy `n` bytes from `src` to `dst`.
///
/// # Safety
/// As `std::ptr::copy_nonoverlapping`: `src` readable and `dst` writable
/// for `n` bytes, the two not overlapping.
pub unsafe fn bytes(src: *const u8, dst: *mut u8, n: usize) {
    let distance = (dst as usize).wrapping_sub(src as usize) % 4096;
    // SAFETY: per the caller.
    unsafe {
        if n >= LARGE && (1..64).contains(&distance) {
            vectored(src, dst, n);
        } else {
            std::ptr::copy_nonoverlapping(src, dst, n);
        }
    }
}

/// Copy with unaligned 16-byte loads and stores (a loop the compiler
/// leaves as it is instead of turning it into a memcpy call).
///
/// # Safety
/// As [`bytes`].
#[cfg(target_arch = "x86_64")]
unsafe fn vectored(src: *const u8, dst: *mut u8, n: usize) {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_storeu_si128};
    let mut i = 0;
    // SAFETY: every access is below `n` (per the caller); SSE2 is part of
    // the x86-64 baseline.
    unsafe {
        while i + 64 <= n {
            let a = _mm_loadu_si128(src.add(i).cast::<__m128i>());
            let b = _mm_loadu_si128(src.add(i + 16).cast::<__m128i>());
            let c = _mm_loadu_si128(src.add(i + 32).cast::<__m128i>());
            let d = _mm_loadu_si128(src.add(i + 48).cast::<__m128i>());
            _mm_storeu_si128(dst.add(i).cast::<__m128i>(), a);
            _mm_storeu_si128(dst.add(i + 16).cast::<__m128i>(), b);
            _mm_storeu_si128(dst.add(i + 32).cast::<__m128i>(), c);
            _mm_storeu_si128(dst.add(i + 48).cast::<__m128i>(), d);
            i += 64;
        }
        while i < n {
            *dst.add(i) = *src.add(i);
            i += 1;
        }
    }
}

/// Elsewhere: memcpy.
///
/// # Safety
/// As [`bytes`].
#[cfg(not(target_arch = "x86_64"))]
unsafe fn vectored(src: *const u8, dst: *mut u8, n: usize) {
    // SAFETY: per the caller.
    unsafe { std::ptr::copy_nonoverlapping(src, dst, n) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both paths copy exactly the bytes asked, at every distance of the
    /// destination from the source modulo 64 (so each path is taken).
    #[test]
    fn copies_exactly_at_every_distance() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for n in [0, 1, 63, 64, 65, 2047, 2048, 4097 + 62] {
            for offset in 0..80 {
                let mut dst = vec![0u8; n + 100];
                // SAFETY: both ranges are in bounds of distinct vectors.
                unsafe { bytes(data.as_ptr().add(3), dst.as_mut_ptr().add(offset), n) };
                assert_eq!(
                    &dst[offset..offset + n],
                    &data[3..3 + n],
                    "n {n} at {offset}"
                );
                assert!(
                    dst[..offset]
                        .iter()
                        .chain(&dst[offset + n..])
                        .all(|&b| b == 0)
                );
                // SAFETY: as above.
                unsafe { vectored(data.as_ptr().add(offset), dst.as_mut_ptr(), n) };
                assert_eq!(&dst[..n], &data[offset..offset + n]);
            }
        }
    }
}
