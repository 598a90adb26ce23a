//! CRC-64 as Redis computes it for RDB files and DUMP payloads: the Jones
//! polynomial (0xad93d23594c935a9), reflected, initial value 0, no final
//! xor. The check value of "123456789" is 0xe9c6d914c4b8d9ca.
//!
//! The update runs eight bytes per step from eight lookup tables
//! ("slicing by 8"), built at compile time, so checksumming a large dump
//! costs a fraction of reading it.

/// The Jones polynomial with its bits reversed (we shift right).
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const fn build_tables() -> [[u64; 256]; 8] {
    let mut tables = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = tables[k - 1][i];
            tables[k][i] = (prev >> 8) ^ tables[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    tables
}

static TABLES: [[u64; 256]; 8] = build_tables();

/// Continue a CRC-64 over `data`; start from 0.
pub fn update(crc: u64, data: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if data.len() >= clmul::MIN_LEN && clmul::available() {
        return clmul::update(crc, data);
    }
    update_table(crc, data)
}

/// [`update`] with the lookup tables only.
fn update_table(mut crc: u64, data: &[u8]) -> u64 {
    let t = &TABLES;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = crc ^ u64::from_le_bytes(word);
        crc = t[7][(x & 0xff) as usize]
            ^ t[6][((x >> 8) & 0xff) as usize]
            ^ t[5][((x >> 16) & 0xff) as usize]
            ^ t[4][((x >> 24) & 0xff) as usize]
            ^ t[3][((x >> 32) & 0xff) as usize]
            ^ t[2][((x >> 40) & 0xff) as usize]
            ^ t[1][((x >> 48) & 0xff) as usize]
            ^ t[0][(x >> 56) as usize];
    }
    let mut rest = chunks.remainder();
    // Four bytes in one step from four of the tables (short inputs, such
    // as DUMP payloads, often end so).
    if let Some((four, tail)) = rest.split_first_chunk::<4>() {
        let x = crc ^ u64::from(u32::from_le_bytes(*four));
        crc = t[3][(x & 0xff) as usize]
            ^ t[2][((x >> 8) & 0xff) as usize]
            ^ t[1][((x >> 16) & 0xff) as usize]
            ^ t[0][((x >> 24) & 0xff) as usize]
            ^ (crc >> 32);
        rest = tail;
    }
    for &b in rest {
        crc = t[0][((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// The CRC-64 of `data`.
pub fn checksum(data: &[u8]) -> u64 {
    update(0, data)
}

/// `x^n mod P`, reflected (bit 63 is the coefficient of `x^0`): one CRC
/// bit step per power of x.
const fn x_pow_mod(n: u32) -> u64 {
    let mut v = 1u64 << 63;
    let mut i = 0;
    while i < n {
        v = if v & 1 == 1 {
            (v >> 1) ^ POLY_REFLECTED
        } else {
            v >> 1
        };
        i += 1;
    }
    v
}

/// `floor(x^127 / P)` in the normal bit order (bit k is the coefficient of
/// `x^k`; the quotient has degree 63): the Barrett constant.
const fn quotient_x127() -> u64 {
    let poly: u128 = (1u128 << 64) | POLY_REFLECTED.reverse_bits() as u128;
    let mut rem: u128 = 1u128 << 127;
    let mut q = 0u64;
    let mut d = 127;
    while d >= 64 {
        if rem & (1u128 << d) != 0 {
            q |= 1u64 << (d - 64);
            rem ^= poly << (d - 64);
        }
        d -= 1;
    }
    q
}

/// Folding with carry-less multiplication (PCLMULQDQ), 64 bytes per step
/// in four independent 16-byte lanes, then 16 bytes per step in one: a
/// dump's checksum costs a small fraction of the table method, and so does
/// a short DUMP payload's. The state is a 128-bit polynomial congruent
/// (mod P) to the message so far; moving a lane `d` bits on is multiplying
/// its two halves by `x^(d+63) mod P` and `x^(d-1) mod P` (one power less
/// than the shift, because the product of two reflected 64-bit operands
/// comes out one bit short of the 128-bit frame). The state is reduced to
/// the 64-bit CRC by one more fold and a Barrett reduction; the last bytes
/// of a long input (fewer than 16) go through the tables. Tested against
/// the bitwise definition at every length, and against the tables on
/// random inputs and starting values.
#[cfg(target_arch = "x86_64")]
mod clmul {
    use std::arch::x86_64::{
        __m128i, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_loadu_si128, _mm_set_epi64x,
        _mm_unpackhi_epi64, _mm_xor_si128,
    };

    /// Below this the tables are as quick.
    pub const MIN_LEN: usize = 16;

    const FOLD_512: (u64, u64) = (super::x_pow_mod(512 + 63), super::x_pow_mod(512 - 1));
    const FOLD_128: (u64, u64) = (super::x_pow_mod(128 + 63), super::x_pow_mod(128 - 1));
    /// Multiplies the state's first half by `x^128` (with the product's
    /// one-bit shortfall): `x^127 mod P`.
    const FOLD_HALF: u64 = super::x_pow_mod(127);
    /// Barrett: `floor(x^128 / P) = x * NU + c` and `P = x^64 + x * Q + 1`,
    /// reflected.
    const NU: u64 = super::quotient_x127().reverse_bits();
    const Q: u64 = (super::POLY_REFLECTED.reverse_bits() >> 1).reverse_bits();

    pub fn available() -> bool {
        std::arch::is_x86_feature_detected!("pclmulqdq")
            && std::arch::is_x86_feature_detected!("sse2")
    }

    pub fn update(crc: u64, data: &[u8]) -> u64 {
        debug_assert!(data.len() >= MIN_LEN && available());
        // SAFETY: the caller checked at run time that the CPU has the
        // instructions this function is compiled for.
        unsafe { fold(crc, data) }
    }

    #[target_feature(enable = "pclmulqdq,sse2")]
    fn fold_lane(x: __m128i, k: __m128i) -> __m128i {
        _mm_xor_si128(
            _mm_clmulepi64_si128::<0x00>(x, k),
            _mm_clmulepi64_si128::<0x11>(x, k),
        )
    }

    /// The 16 bytes of `bytes` at `at`.
    #[target_feature(enable = "pclmulqdq,sse2")]
    fn load(bytes: &[u8], at: usize) -> __m128i {
        let bytes = &bytes[at..at + 16];
        // SAFETY: an unaligned load of exactly the 16 bytes borrowed.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    #[target_feature(enable = "pclmulqdq,sse2")]
    fn low(x: __m128i) -> u64 {
        _mm_cvtsi128_si64(x) as u64
    }

    #[target_feature(enable = "pclmulqdq,sse2")]
    fn high(x: __m128i) -> u64 {
        _mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x)) as u64
    }

    #[target_feature(enable = "pclmulqdq,sse2")]
    fn fold(crc: u64, data: &[u8]) -> u64 {
        let k128 = _mm_set_epi64x(FOLD_128.1 as i64, FOLD_128.0 as i64);
        let seed = _mm_set_epi64x(0, crc as i64);
        let mut acc;
        let mut rest;
        if data.len() >= 64 {
            let mut blocks = data.chunks_exact(64);
            let first = &data[..64];
            blocks.next();
            let mut x = [
                _mm_xor_si128(seed, load(first, 0)),
                load(first, 16),
                load(first, 32),
                load(first, 48),
            ];
            let k512 = _mm_set_epi64x(FOLD_512.1 as i64, FOLD_512.0 as i64);
            for block in &mut blocks {
                for (i, xi) in x.iter_mut().enumerate() {
                    *xi = _mm_xor_si128(fold_lane(*xi, k512), load(block, i * 16));
                }
            }
            acc = x[0];
            for xi in &x[1..] {
                acc = _mm_xor_si128(fold_lane(acc, k128), *xi);
            }
            rest = blocks.remainder();
        } else {
            // A short input (a DUMP payload): its first `n % 16` bytes are
            // read as a block behind zeros (zeros before a message leave a
            // CRC from 0 unchanged), so the rest comes in whole blocks and
            // nothing is left for the tables.
            let head = data.len() % 16;
            let word =
                |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap_or([0; 8]));
            (acc, rest) = if head == 0 {
                (_mm_xor_si128(seed, load(data, 0)), &data[16..])
            } else if crc == 0 {
                let (w0, w1) = if head > 8 {
                    (word(0) << (8 * (16 - head)), word(head - 8))
                } else if head == 8 {
                    (0, word(0))
                } else {
                    (0, word(0) << (8 * (8 - head)))
                };
                (_mm_set_epi64x(w1 as i64, w0 as i64), &data[head..])
            } else {
                let crc = super::update_table(crc, &data[..head]);
                (
                    _mm_xor_si128(_mm_set_epi64x(0, crc as i64), load(data, head)),
                    &data[head + 16..],
                )
            };
        }
        while rest.len() >= 16 {
            acc = _mm_xor_si128(fold_lane(acc, k128), load(rest, 0));
            rest = &rest[16..];
        }
        // The CRC of the state from 0 is `(L * x^64 + H) * x^64 mod P`
        // (L, H its halves): fold L on by x^128 onto H * x^64, giving
        // `R1 * x^64 + R0`, then Barrett: `q = floor(R1 * x^64 / P)` is the
        // upper half of R1 * floor(x^128 / P), and the remainder is
        // `R0 + (q * P mod x^64)`.
        let folded = _mm_clmulepi64_si128::<0x00>(acc, _mm_set_epi64x(0, FOLD_HALF as i64));
        let r1 = low(folded) ^ high(acc);
        let r0 = high(folded);
        let q = low(_mm_clmulepi64_si128::<0x00>(
            _mm_set_epi64x(0, r1 as i64),
            _mm_set_epi64x(0, NU as i64),
        ));
        let qp = high(_mm_clmulepi64_si128::<0x00>(
            _mm_set_epi64x(0, q as i64),
            _mm_set_epi64x(0, Q as i64),
        ));
        let crc = r0 ^ q ^ qp;
        if rest.is_empty() {
            crc
        } else {
            super::update_table(crc, rest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-at-a-time reference, to check the tables against.
    fn slow(data: &[u8]) -> u64 {
        let mut crc = 0u64;
        for &b in data {
            crc ^= u64::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ POLY_REFLECTED
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn folded_equals_bitwise_at_every_length_and_split() {
        let data: Vec<u8> = (0..1500u32).map(|i| (i * 131 + 7) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(checksum(&data[..len]), slow(&data[..len]), "len {len}");
        }
        let whole = checksum(&data);
        for split in (0..data.len()).step_by(7) {
            assert_eq!(update(checksum(&data[..split]), &data[split..]), whole);
        }
    }

    /// The folded path against the tables on random inputs: random
    /// lengths (short payloads and long runs), bytes and starting CRCs.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn folded_equals_tables_on_random_inputs() {
        if !clmul::available() {
            eprintln!("no PCLMULQDQ on this CPU: only the tables run");
            return;
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..20_000 {
            let len = if round % 10 == 0 {
                (next() % 5000) as usize
            } else {
                (next() % 200) as usize
            }
            .max(clmul::MIN_LEN);
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let crc = if round % 2 == 0 { 0 } else { next() };
            assert_eq!(
                clmul::update(crc, &data),
                update_table(crc, &data),
                "len {len} crc {crc:#x}"
            );
        }
        assert_eq!(
            clmul::update(0, b"123456789123456789"),
            update_table(0, b"123456789123456789")
        );
    }

    #[test]
    fn check_value_matches_redis() {
        // Redis's crc64.c self-test: crc64(0, "123456789") == e9c6d914c4b8d9ca.
        assert_eq!(checksum(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn sliced_equals_bitwise_at_every_length_and_split() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(checksum(&data[..len]), slow(&data[..len]), "len {len}");
        }
        let whole = checksum(&data);
        for split in 0..data.len() {
            assert_eq!(update(checksum(&data[..split]), &data[split..]), whole);
        }
    }
}
