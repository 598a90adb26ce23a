//! `rendezvous`: highest random weight hashing (Thaler & Ravishankar). Each
//! node scores the key and the highest score wins; a node's arrival or
//! departure only changes the winner for keys it wins or won, so movement
//! is minimal and no structure but the node list is kept. The price is
//! O(N) work per lookup.
//!
//! The score is `fold(hash(key) ^ hash(node))`: the key is hashed once and
//! combined with each node's precomputed hash, rather than hashing the key
//! and node name together N times. The fold is one 64×64→128-bit multiply
//! by an odd constant with the halves xored (the mixing step of wyhash):
//! every input bit reaches the top bits that decide the comparison, in
//! half the instructions of a full finalizer — this loop runs N times per
//! lookup.

use super::RingError;
use super::hash::Hasher;
use super::strategy::{Node, Placement};

/// A node's score for a key, from `key_hash ^ node_hash`.
#[inline(always)]
fn score(x: u64) -> u64 {
    let product = u128::from(x) * 0x9e37_79b9_7f4a_7c15_u128;
    (product as u64) ^ ((product >> 64) as u64)
}

pub struct Rendezvous {
    ids: Vec<u32>,
    node_hashes: Vec<u64>,
    hash: Hasher,
}

impl Rendezvous {
    pub fn new(nodes: &[Node], hash: Hasher) -> Rendezvous {
        Rendezvous {
            ids: nodes.iter().map(|n| n.id).collect(),
            node_hashes: nodes.iter().map(|n| hash.hash(&n.name)).collect(),
            hash,
        }
    }
}

impl Placement for Rendezvous {
    #[inline]
    fn locate(&self, key: &[u8]) -> u32 {
        let h = self.hash.hash(key);
        // The loop body is a multiply chain and a conditional move: no
        // branch to mispredict. Ties (equal node hashes) go to the node
        // listed first.
        let mut best = 0;
        let mut best_score = score(h ^ self.node_hashes[0]);
        for (i, &node) in self.node_hashes.iter().enumerate().skip(1) {
            let s = score(h ^ node);
            if s > best_score {
                best = i;
                best_score = s;
            }
        }
        self.ids[best]
    }

    fn memory_bytes(&self) -> usize {
        self.ids.capacity() * 4 + self.node_hashes.capacity() * 8
    }

    fn resized(&self, nodes: &[Node]) -> Result<Box<dyn Placement>, RingError> {
        if nodes.is_empty() {
            return Err(RingError::NoNodes);
        }
        Ok(Box::new(Rendezvous::new(nodes, self.hash)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::strategy::testing::assert_monotone;

    #[test]
    fn keys_move_only_to_or_from_the_changed_node() {
        let nodes: Vec<Node> = (0..6).map(Node::numbered).collect();
        let moved = assert_monotone(&Rendezvous::new(&nodes, Hasher::default()), 6, 30_000);
        assert!((moved - 1.0 / 7.0).abs() < 0.02, "moved {moved}");
    }
}
