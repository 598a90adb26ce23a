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

/// Folding with carry-less multiplication (PCLMULQDQ), 64 bytes per step
/// in four independent 16-byte lanes: a dump's checksum costs a small
/// fraction of the table method. The state is a 128-bit polynomial
/// congruent (mod P) to the message so far; moving a lane `d` bits on is
/// multiplying its two halves by `x^(d+63) mod P` and `x^(d-1) mod P` (one
/// power less than the shift, because the product of two reflected 64-bit
/// operands comes out one bit short of the 128-bit frame). What is left is
/// finished by the tables: the CRC of the 16 state bytes from 0, then the
/// tail. Tested against the bitwise definition at every length.
#[cfg(target_arch = "x86_64")]
mod clmul {
    use std::arch::x86_64::{
        __m128i, _mm_clmulepi64_si128, _mm_loadu_si128, _mm_set_epi64x, _mm_storeu_si128,
        _mm_xor_si128,
    };

    /// Below this the tables are as quick.
    pub const MIN_LEN: usize = 128;

    const FOLD_512: (u64, u64) = (super::x_pow_mod(512 + 63), super::x_pow_mod(512 - 1));
    const FOLD_128: (u64, u64) = (super::x_pow_mod(128 + 63), super::x_pow_mod(128 - 1));

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

    /// Lane `i` (0..4) of a 64-byte block.
    #[target_feature(enable = "pclmulqdq,sse2")]
    fn lane(block: &[u8], i: usize) -> __m128i {
        let bytes = &block[i * 16..i * 16 + 16];
        // SAFETY: an unaligned load of exactly the 16 bytes borrowed.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    #[target_feature(enable = "pclmulqdq,sse2")]
    fn fold(crc: u64, data: &[u8]) -> u64 {
        let mut blocks = data.chunks_exact(64);
        let Some(first) = blocks.next() else {
            return super::update_table(crc, data);
        };
        let mut x = [
            _mm_xor_si128(lane(first, 0), _mm_set_epi64x(0, crc as i64)),
            lane(first, 1),
            lane(first, 2),
            lane(first, 3),
        ];
        let k512 = _mm_set_epi64x(FOLD_512.1 as i64, FOLD_512.0 as i64);
        for block in &mut blocks {
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = _mm_xor_si128(fold_lane(*xi, k512), lane(block, i));
            }
        }
        let k128 = _mm_set_epi64x(FOLD_128.1 as i64, FOLD_128.0 as i64);
        let mut acc = x[0];
        for xi in &x[1..] {
            acc = _mm_xor_si128(fold_lane(acc, k128), *xi);
        }
        let mut state = [0u8; 16];
        // SAFETY: an unaligned store of exactly 16 bytes into `state`.
        unsafe { _mm_storeu_si128(state.as_mut_ptr().cast(), acc) };
        let crc = super::update_table(0, &state);
        super::update_table(crc, blocks.remainder())
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
