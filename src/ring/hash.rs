//! Hash functions for placement, selectable with `--hash`.
//!
//! The default is XXH3 (64-bit): on the short keys Redis keyspaces are made
//! of it is the fastest of the well-distributed hashes (it passes
//! SMHasher), and the `xxhash-rust` crate that implements it is small and
//! well kept. XXH64 is its older sibling, and FNV-1a is the classic simple
//! hash many proxies ship (twemproxy's `fnv1a_64`), included so its weaker
//! mixing can be measured rather than argued about.
//!
//! Every function takes a seed. `--hash-seed` salts key and node hashes
//! alike (0, the default, is the plain function), which gives independent
//! samples of the same scheme; strategies that need several independent
//! hashes of one node (Maglev's offset and skip) derive them from distinct
//! fixed seeds.

use serde::Serialize;

/// A 64-bit hash function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum HashFunction {
    /// XXH3, 64-bit (default): fast on short keys, well distributed.
    #[default]
    Xxh3,
    /// XXH64: the previous xxHash generation.
    Xxh64,
    /// FNV-1a, 64-bit: simple and common in proxies; weaker mixing.
    Fnv1a,
}

impl HashFunction {
    pub fn name(self) -> &'static str {
        match self {
            HashFunction::Xxh3 => "xxh3",
            HashFunction::Xxh64 => "xxh64",
            HashFunction::Fnv1a => "fnv1a",
        }
    }

    /// The hash of `bytes` under `seed`.
    #[inline]
    pub fn hash(self, bytes: &[u8], seed: u64) -> u64 {
        match self {
            HashFunction::Xxh3 => xxhash_rust::xxh3::xxh3_64_with_seed(bytes, seed),
            HashFunction::Xxh64 => xxhash_rust::xxh64::xxh64(bytes, seed),
            HashFunction::Fnv1a => fnv1a(bytes, seed),
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64-bit. A non-zero seed is folded in as eight leading bytes, so
/// seed 0 gives the standard function.
fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    let mut h = FNV_OFFSET;
    if seed != 0 {
        for b in seed.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }
    h
}

/// A hash function with its salt: what a strategy hashes keys and nodes
/// with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hasher {
    pub function: HashFunction,
    pub seed: u64,
}

impl Hasher {
    pub fn new(function: HashFunction, seed: u64) -> Hasher {
        Hasher { function, seed }
    }

    /// The hash of a key (or of a node's name).
    #[inline]
    pub fn hash(&self, bytes: &[u8]) -> u64 {
        self.function.hash(bytes, self.seed)
    }

    /// A second, independent hash of the same bytes: the salt is changed by
    /// a fixed `domain` so that, say, Maglev's offset and skip of a node do
    /// not correlate.
    #[inline]
    pub fn hash_in(&self, bytes: &[u8], domain: u64) -> u64 {
        self.function.hash(bytes, mix64(self.seed ^ domain))
    }
}

/// A bijective 64-bit finalizer (MurmurHash3's fmix64): every input bit
/// affects every output bit. Used to combine an already hashed key with a
/// node's hash (rendezvous scores) without hashing the key again.
#[inline]
pub fn mix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Published test vectors: FNV-1a 64 of "a" and of "foobar".
        assert_eq!(fnv1a(b"a", 0), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar", 0), 0x8594_4171_f739_67e8);
        // XXH64 of the empty input with seed 0.
        assert_eq!(HashFunction::Xxh64.hash(b"", 0), 0xef46_db37_51d8_e999);
        // XXH3-64 of the empty input with seed 0.
        assert_eq!(HashFunction::Xxh3.hash(b"", 0), 0x2d06_8005_38d3_94c2);
    }

    #[test]
    fn seeds_and_domains_change_the_hash() {
        for f in [HashFunction::Xxh3, HashFunction::Xxh64, HashFunction::Fnv1a] {
            let h = Hasher::new(f, 0);
            assert_ne!(h.hash(b"node-1"), Hasher::new(f, 7).hash(b"node-1"));
            assert_ne!(h.hash_in(b"node-1", 1), h.hash_in(b"node-1", 2));
        }
    }

    #[test]
    fn mix64_is_a_bijection_on_samples() {
        let mut seen: Vec<u64> = (0..10_000u64).map(mix64).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 10_000);
        assert_eq!(mix64(0), 0);
    }
}
