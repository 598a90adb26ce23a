//! Seeded random choices (which nodes fail, which keys the lookup
//! benchmark asks for, the points and queries of the search experiment).
//! SplitMix64: tiny, fast, and fully determined by `--seed`, which is all a
//! simulation needs; nothing here is for secrets.

use super::hash::mix64;

pub struct Random {
    state: u64,
}

impl Random {
    pub fn new(seed: u64) -> Random {
        Random { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64_splitmix(self.state)
    }

    /// Uniform in `0..bound` (`bound > 0`), without modulo bias worth
    /// measuring: Lemire's multiply-shift.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// `count` distinct indices from `0..n`, in the order drawn.
    pub fn choose(&mut self, n: usize, count: usize) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..n).collect();
        let count = count.min(n);
        for i in 0..count {
            let j = i + self.below((n - i) as u64) as usize;
            pool.swap(i, j);
        }
        pool.truncate(count);
        pool
    }
}

/// SplitMix64's output function (Stafford's variant 13).
fn mix64_splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed for runs without `--seed`: the clock, mixed.
pub fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    mix64(nanos ^ u64::from(std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_choices() {
        let a = Random::new(42).choose(100, 10);
        let b = Random::new(42).choose(100, 10);
        assert_eq!(a, b);
        assert_ne!(a, Random::new(43).choose(100, 10));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 10);
        assert!(a.iter().all(|&i| i < 100));
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Random::new(1);
        assert!((0..10_000).all(|_| r.below(7) < 7));
    }
}
