//! `jump`: jump consistent hash (Lamping & Veach, 2014). No table at all:
//! a key's bucket among `n` comes from a short pseudo-random walk seeded by
//! its hash, and growing to `n + 1` buckets moves exactly the keys that
//! land in the new bucket — the minimum.
//!
//! Buckets can only be added or removed at the end. Removing another node
//! is done the usual way: the last bucket's node takes over the removed
//! node's bucket (swap-remove), which moves about twice the optimum; the
//! simulation measures it rather than pretending otherwise.

use super::RingError;
use super::hash::Hasher;
use super::strategy::{Node, Placement};

/// Bucket in `0..buckets` (`buckets >= 1`) for a 64-bit key.
#[inline]
pub fn jump_bucket(mut key: u64, buckets: u32) -> u32 {
    let mut bucket: i64 = -1;
    let mut next: i64 = 0;
    while next < i64::from(buckets) {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        // The next bucket at which this key would jump, drawn from the
        // top 31 bits of the LCG state.
        next = ((bucket + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    bucket as u32
}

pub struct Jump {
    /// Node id of each bucket.
    buckets: Vec<u32>,
    hash: Hasher,
}

impl Jump {
    pub fn new(nodes: &[Node], hash: Hasher) -> Jump {
        Jump {
            buckets: nodes.iter().map(|n| n.id).collect(),
            hash,
        }
    }
}

impl Placement for Jump {
    #[inline]
    fn locate(&self, key: &[u8]) -> u32 {
        let bucket = jump_bucket(self.hash.hash(key), self.buckets.len() as u32);
        self.buckets[bucket as usize]
    }

    fn memory_bytes(&self) -> usize {
        self.buckets.capacity() * 4
    }

    fn resized(&self, nodes: &[Node]) -> Result<Box<dyn Placement>, RingError> {
        if nodes.is_empty() {
            return Err(RingError::NoNodes);
        }
        let mut buckets = self.buckets.clone();
        let mut i = 0;
        while i < buckets.len() {
            if nodes.iter().any(|n| n.id == buckets[i]) {
                i += 1;
            } else {
                // The last bucket's node moves into the hole; check it next.
                buckets.swap_remove(i);
            }
        }
        for node in nodes {
            if !buckets.contains(&node.id) {
                buckets.push(node.id);
            }
        }
        Ok(Box::new(Jump {
            buckets,
            hash: self.hash,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::hash::mix64;

    #[test]
    fn growing_moves_keys_only_into_the_new_bucket() {
        for n in 1..=64u32 {
            let mut moved = 0u32;
            for i in 0..20_000u64 {
                let key = mix64(i + 1);
                let before = jump_bucket(key, n);
                let after = jump_bucket(key, n + 1);
                assert!(before < n && after <= n);
                if before != after {
                    assert_eq!(after, n, "a key moved between old buckets");
                    moved += 1;
                }
            }
            // Exactly the keys of the new bucket moved: about 1/(n+1).
            let fraction = f64::from(moved) / 20_000.0;
            let optimum = 1.0 / f64::from(n + 1);
            assert!(
                (fraction - optimum).abs() < 0.02,
                "n={n}: moved {fraction}, optimum {optimum}"
            );
        }
    }

    #[test]
    fn removing_a_middle_node_swaps_in_the_last() {
        let nodes: Vec<Node> = (0..5).map(Node::numbered).collect();
        let jump = Jump::new(&nodes, Hasher::default());
        let fewer: Vec<Node> = nodes.iter().filter(|n| n.id != 1).cloned().collect();
        let after = jump.resized(&fewer).unwrap();
        for i in 0..10_000u32 {
            let key = format!("k{i}");
            let (b, a) = (jump.locate(key.as_bytes()), after.locate(key.as_bytes()));
            assert_ne!(a, 1);
            if b == 1 {
                assert_eq!(a, 4, "keys of the removed node go to the swapped-in node");
            }
        }
    }
}
