//! LZF, the compression Redis applies to strings in RDB files (and to
//! quicklist nodes in memory). The format is a sequence of runs:
//!
//! - control byte `000LLLLL`: a literal run of `L + 1` bytes follows;
//! - control byte `LLLooooo` with `LLL` in 1..=6, then one offset byte:
//!   copy `LLL + 2` bytes starting `(ooooo << 8 | offset) + 1` bytes back;
//! - control byte `111ooooo`, a length byte `n`, an offset byte: the same
//!   with length `n + 9`.
//!
//! Decompression checks every run against both buffers and against the
//! length the container declared; it never reads or writes out of bounds
//! and never allocates more than the caller asked for.

/// Why a compressed buffer could not be expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LzfError {
    #[error("LZF run at compressed byte {at} runs past the end of the input")]
    InputOverrun { at: usize },
    #[error("LZF run at compressed byte {at} writes past the declared length")]
    OutputOverrun { at: usize },
    #[error("LZF back reference at compressed byte {at} points before the start")]
    BadReference { at: usize },
    #[error("LZF data expands to {got} bytes, the container declared {expected}")]
    LengthMismatch { got: usize, expected: usize },
}

/// The most one compressed byte can expand to: a 3-byte back reference
/// copies at most 264 bytes. A declared length above `compressed * 88`
/// cannot be honest, so callers reject it before allocating.
pub const MAX_EXPANSION: u64 = 88;

/// Expand `input` into `out` (cleared first), which must come to exactly
/// `expected` bytes.
pub fn decompress_into(input: &[u8], expected: usize, out: &mut Vec<u8>) -> Result<(), LzfError> {
    out.clear();
    out.reserve_exact(expected);
    let mut ip = 0usize;
    while ip < input.len() {
        let at = ip;
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input
                .get(ip..ip + run)
                .ok_or(LzfError::InputOverrun { at })?;
            if out.len() + run > expected {
                return Err(LzfError::OutputOverrun { at });
            }
            out.extend_from_slice(lit);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(LzfError::InputOverrun { at })?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or(LzfError::InputOverrun { at })?);
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            if back > out.len() {
                return Err(LzfError::BadReference { at });
            }
            if out.len() + len > expected {
                return Err(LzfError::OutputOverrun { at });
            }
            let start = out.len() - back;
            if back >= len {
                out.extend_from_within(start..start + len);
            } else {
                // Overlapping copy: the run repeats bytes it is writing.
                for i in 0..len {
                    let b = out[start + i];
                    out.push(b);
                }
            }
        }
    }
    if out.len() != expected {
        return Err(LzfError::LengthMismatch {
            got: out.len(),
            expected,
        });
    }
    Ok(())
}

/// Expand `input` to a new buffer of exactly `expected` bytes.
pub fn decompress(input: &[u8], expected: usize) -> Result<Vec<u8>, LzfError> {
    let mut out = Vec::new();
    decompress_into(input, expected, &mut out)?;
    Ok(out)
}

const HASH_BITS: u32 = 14;
const MAX_OFFSET: usize = 1 << 13;
const MAX_REF_LEN: usize = 255 + 9;
const MAX_LITERAL: usize = 32;

/// Compress `input`; `None` when the result would not be shorter than
/// `max_len` bytes (Redis stores such strings uncompressed).
pub fn compress(input: &[u8], max_len: usize) -> Option<Vec<u8>> {
    if input.len() < 4 || max_len == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(max_len.min(input.len()));
    // The hash table scales with the input: a fixed 2^14-entry table costs
    // more to clear than compressing a short string does (a snapshot of
    // millions of small values calls this once per value).
    let bits = (usize::BITS - input.len().leading_zeros()).clamp(8, HASH_BITS);
    let mut table = vec![usize::MAX; 1 << bits];
    // Index in `out` of the pending literal run's control byte, and its size.
    let mut lit_ctrl = out.len();
    out.push(0);
    let mut lit_len = 0usize;
    let mut ip = 0usize;
    let hash = |p: usize| -> usize {
        let v = u32::from(input[p]) << 16 | u32::from(input[p + 1]) << 8 | u32::from(input[p + 2]);
        (v.wrapping_mul(2_654_435_761) >> (32 - bits)) as usize
    };
    while ip + 2 < input.len() {
        let h = hash(ip);
        let candidate = table[h];
        table[h] = ip;
        let matched = candidate != usize::MAX
            && ip - candidate <= MAX_OFFSET
            && input[candidate..candidate + 3] == input[ip..ip + 3];
        if matched {
            let max = MAX_REF_LEN.min(input.len() - ip);
            let mut len = 3;
            while len < max && input[candidate + len] == input[ip + len] {
                len += 1;
            }
            // Close the literal run (or drop its unused control byte).
            if lit_len == 0 {
                out.pop();
            } else {
                out[lit_ctrl] = (lit_len - 1) as u8;
            }
            let off = ip - candidate - 1;
            let code = len - 2;
            if code < 7 {
                out.push(((code << 5) | (off >> 8)) as u8);
            } else {
                out.push(((7 << 5) | (off >> 8)) as u8);
                out.push((code - 7) as u8);
            }
            out.push((off & 0xff) as u8);
            for p in ip + 1..(ip + len).min(input.len().saturating_sub(2)) {
                table[hash(p)] = p;
            }
            ip += len;
            lit_ctrl = out.len();
            out.push(0);
            lit_len = 0;
        } else {
            out.push(input[ip]);
            lit_len += 1;
            ip += 1;
            if lit_len == MAX_LITERAL {
                out[lit_ctrl] = (lit_len - 1) as u8;
                lit_ctrl = out.len();
                out.push(0);
                lit_len = 0;
            }
        }
        if out.len() >= max_len {
            return None;
        }
    }
    while ip < input.len() {
        out.push(input[ip]);
        lit_len += 1;
        ip += 1;
        if lit_len == MAX_LITERAL {
            out[lit_ctrl] = (lit_len - 1) as u8;
            lit_ctrl = out.len();
            out.push(0);
            lit_len = 0;
        }
    }
    if lit_len == 0 {
        out.pop();
    } else {
        out[lit_ctrl] = (lit_len - 1) as u8;
    }
    (out.len() < max_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_compressible_and_random_data() {
        let mut seed = 0x1234_5678u32;
        let mut random = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as u8
        };
        let cases: Vec<Vec<u8>> = vec![
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"abcabcabcabcabcabcabcabc hello hello hello hello".repeat(40),
            (0..5000).map(|i| (i % 251) as u8).collect(),
            (0..3000).map(|_| random() % 4).collect(),
            vec![0u8; 100_000],
        ];
        for input in cases {
            let packed = compress(&input, input.len()).expect("compressible");
            assert!(packed.len() < input.len());
            assert_eq!(decompress(&packed, input.len()).unwrap(), input);
        }
        let noise: Vec<u8> = (0..2000).map(|_| random()).collect();
        assert_eq!(compress(&noise, noise.len() - 4), None);
    }

    #[test]
    fn decodes_a_hand_made_stream() {
        // literal "ab", then copy 3 bytes from 2 back (overlapping): "ababa".
        let packed = [1, b'a', b'b', 0b0010_0000, 1];
        assert_eq!(decompress(&packed, 5).unwrap(), b"ababa");
    }

    #[test]
    fn rejects_every_kind_of_damage() {
        assert_eq!(
            decompress(&[5, b'a'], 6),
            Err(LzfError::InputOverrun { at: 0 })
        );
        assert_eq!(
            decompress(&[0, b'a', 0x20, 5], 4),
            Err(LzfError::BadReference { at: 2 })
        );
        assert_eq!(
            decompress(&[1, b'a', b'b'], 1),
            Err(LzfError::OutputOverrun { at: 0 })
        );
        assert_eq!(
            decompress(&[0, b'a'], 2),
            Err(LzfError::LengthMismatch {
                got: 1,
                expected: 2
            })
        );
        assert_eq!(
            decompress(&[0xe0], 20),
            Err(LzfError::InputOverrun { at: 0 })
        );
    }
}
