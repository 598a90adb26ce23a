//! Finding a hash's successor among sorted ring points, in several memory
//! layouts, so that the claim "linear search beats binary search on small
//! rings" can be measured (`--compare-search`) instead of believed.
//!
//! Every layout answers the same question: the index, in sorted order, of
//! the first point `>= h`, or `len` when there is none (the caller wraps to
//! the first point). [`Points`] is what the ring strategies look up in.

/// A search layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Scan from the start, stop at the first point `>= h`.
    Linear,
    /// Count the points `< h` over the whole array: no branch per element,
    /// so the compiler vectorizes it.
    LinearCount,
    /// Binary search over the sorted array (the standard library's
    /// `partition_point`).
    Binary,
    /// Branch-free descent of an implicit binary tree laid out in BFS order
    /// (Eytzinger), which keeps the first levels together in cache and lets
    /// the next level be prefetched.
    Eytzinger,
}

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout::Linear,
        Layout::LinearCount,
        Layout::Binary,
        Layout::Eytzinger,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layout::Linear => "linear",
            Layout::LinearCount => "linear_count",
            Layout::Binary => "binary",
            Layout::Eytzinger => "eytzinger",
        }
    }
}

/// First index whose point is `>= h` by scanning.
#[inline]
pub fn linear(sorted: &[u64], h: u64) -> usize {
    sorted.iter().position(|&p| p >= h).unwrap_or(sorted.len())
}

/// The same by counting every point `< h` (valid because `sorted` is
/// sorted). No branch depends on the data, so the loop vectorizes; see
/// [`linear_count_batch`] for the AVX2 build of it.
#[inline(always)]
pub fn linear_count(sorted: &[u64], h: u64) -> usize {
    sorted.iter().map(|&p| usize::from(p < h)).sum()
}

/// [`linear_count`] for `count` queries taken cyclically from `queries`
/// (a power-of-two length) from index `start`, summed (the sum only keeps
/// the work from being optimized away). On x86-64 CPUs with AVX2 the loop
/// is compiled for AVX2 — four points per compare — so the linear side of
/// the comparison gets its best case; the feature check happens once per
/// batch, not per lookup.
pub fn linear_count_batch(sorted: &[u64], queries: &[u64], start: usize, count: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { count_batch_avx2(sorted, queries, start, count) };
    }
    count_batch(sorted, queries, start, count)
}

#[inline(always)]
fn count_batch(sorted: &[u64], queries: &[u64], start: usize, count: usize) -> usize {
    let mask = queries.len().wrapping_sub(1);
    let mut acc = 0usize;
    for i in start..start + count {
        let h = std::hint::black_box(queries[i & mask]);
        let mut below = 0usize;
        for &p in sorted {
            below += usize::from(p < h);
        }
        acc = acc.wrapping_add(std::hint::black_box(below));
    }
    acc
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn count_batch_avx2(sorted: &[u64], queries: &[u64], start: usize, count: usize) -> usize {
    count_batch(sorted, queries, start, count)
}

/// The same by binary search.
#[inline]
pub fn binary(sorted: &[u64], h: u64) -> usize {
    sorted.partition_point(|&p| p < h)
}

/// A sorted array re-laid in Eytzinger (BFS) order, 1-based: the children
/// of slot `k` are `2k` and `2k+1`. `rank[k]` is slot `k`'s index in sorted
/// order.
pub struct Eytzinger {
    tree: Vec<u64>,
    rank: Vec<u32>,
}

impl Eytzinger {
    pub fn new(sorted: &[u64]) -> Eytzinger {
        let n = sorted.len();
        let mut tree = vec![0u64; n + 1];
        let mut rank = vec![0u32; n + 1];
        // In-order walk of the implicit tree assigns sorted elements.
        let mut next = 0usize;
        let mut stack = Vec::new();
        let mut k = 1usize;
        loop {
            while k <= n {
                stack.push(k);
                k *= 2;
            }
            let Some(top) = stack.pop() else { break };
            tree[top] = sorted[next];
            rank[top] = next as u32;
            next += 1;
            k = top * 2 + 1;
        }
        Eytzinger { tree, rank }
    }

    /// Sorted index of the first point `>= h`, or `len` when none.
    #[inline]
    pub fn search(&self, h: u64) -> usize {
        let n = self.tree.len() - 1;
        let mut k = 1usize;
        while k <= n {
            prefetch(&self.tree, k * 16);
            // Go right when the node is smaller than h.
            k = 2 * k + usize::from(self.tree[k] < h);
        }
        // Undo the right turns taken after the last left turn.
        k >>= k.trailing_ones() + 1;
        if k == 0 { n } else { self.rank[k] as usize }
    }

    pub fn memory_bytes(&self) -> usize {
        self.tree.capacity() * 8 + self.rank.capacity() * 4
    }
}

/// Hint the cache line holding `slice[index]` (the great-grandchildren's
/// level of an Eytzinger descent); out-of-range indices are ignored.
#[inline(always)]
fn prefetch(slice: &[u64], index: usize) {
    #[cfg(target_arch = "x86_64")]
    if index < slice.len() {
        // SAFETY: the pointer is in bounds; a prefetch never faults and
        // has no effect on program state.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch(slice.as_ptr().add(index).cast::<i8>(), _MM_HINT_T0);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, index);
}

/// Ring points (hashes) sorted, with the node that owns each: what the
/// consistent-hashing strategies look a key's hash up in.
pub struct Points {
    hashes: Vec<u64>,
    owners: Vec<u32>,
}

impl Points {
    /// From `(hash, owner)` pairs in any order. Equal hashes are ordered by
    /// owner so that the ring does not depend on input order.
    pub fn new(mut pairs: Vec<(u64, u32)>) -> Points {
        pairs.sort_unstable();
        let hashes = pairs.iter().map(|p| p.0).collect();
        let owners = pairs.iter().map(|p| p.1).collect();
        Points { hashes, owners }
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Index of the first point at or after `h` clockwise (wrapping).
    #[inline]
    pub fn successor(&self, h: u64) -> usize {
        let i = binary(&self.hashes, h);
        if i == self.hashes.len() { 0 } else { i }
    }

    /// Owner of point `i` (`i < len()`).
    #[inline]
    pub fn owner(&self, i: usize) -> u32 {
        self.owners[i]
    }

    pub fn memory_bytes(&self) -> usize {
        self.hashes.capacity() * 8 + self.owners.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::random::Random;

    #[test]
    fn every_layout_agrees_with_binary_search() {
        let mut rng = Random::new(7);
        for n in [1usize, 2, 3, 7, 8, 9, 100, 1000, 4097] {
            let mut sorted: Vec<u64> = (0..n).map(|_| rng.next_u64() >> 4).collect();
            // Duplicates and the extremes are the edge cases.
            sorted.push(sorted[0]);
            sorted.sort_unstable();
            let eyt = Eytzinger::new(&sorted);
            let mut queries: Vec<u64> = (0..2000).map(|_| rng.next_u64() >> 4).collect();
            queries.extend(sorted.iter().copied());
            queries.extend([0, u64::MAX, sorted[0], sorted[0] + 1]);
            for h in queries {
                let want = binary(&sorted, h);
                assert_eq!(linear(&sorted, h), want, "linear n={n} h={h}");
                assert_eq!(linear_count(&sorted, h), want, "count n={n} h={h}");
                assert_eq!(eyt.search(h), want, "eytzinger n={n} h={h}");
            }
        }
    }

    #[test]
    fn successor_wraps_around() {
        let points = Points::new(vec![(30, 3), (10, 1), (20, 2)]);
        assert_eq!(points.owner(points.successor(5)), 1);
        assert_eq!(points.owner(points.successor(10)), 1);
        assert_eq!(points.owner(points.successor(11)), 2);
        assert_eq!(points.owner(points.successor(31)), 1);
    }
}
