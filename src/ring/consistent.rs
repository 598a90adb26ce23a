//! `ring`: consistent hashing (Karger et al.) with virtual nodes, as
//! ketama-style clients do it: each node puts `vnodes` points on a 64-bit
//! circle at hash("<name>-<i>"), and a key belongs to the first point at or
//! after its hash, clockwise. With v points per node the load's standard
//! deviation is about 1/sqrt(v) of the mean; a change moves only the keys
//! between the changed node's points and their predecessors.
//!
//! Lookup is a binary search over the sorted point array (see
//! [`super::search`] and `--compare-search` for why not a linear scan).

use super::RingError;
use super::hash::Hasher;
use super::search::Points;
use super::strategy::{Node, Placement};

/// The points of `nodes` on the ring.
pub fn ring_points(nodes: &[Node], hash: Hasher, vnodes: u32) -> Points {
    let mut pairs = Vec::with_capacity(nodes.len() * vnodes as usize);
    let mut label = Vec::new();
    let mut digits = itoa::Buffer::new();
    for node in nodes {
        for i in 0..vnodes {
            label.clear();
            label.extend_from_slice(&node.name);
            label.push(b'-');
            label.extend_from_slice(digits.format(i).as_bytes());
            pairs.push((hash.hash(&label), node.id));
        }
    }
    Points::new(pairs)
}

pub struct Ring {
    points: Points,
    hash: Hasher,
    vnodes: u32,
}

impl Ring {
    pub fn new(nodes: &[Node], hash: Hasher, vnodes: u32) -> Ring {
        Ring {
            points: ring_points(nodes, hash, vnodes),
            hash,
            vnodes,
        }
    }
}

impl Placement for Ring {
    #[inline]
    fn locate(&self, key: &[u8]) -> u32 {
        let i = self.points.successor(self.hash.hash(key));
        self.points.owner(i)
    }

    fn memory_bytes(&self) -> usize {
        self.points.memory_bytes()
    }

    fn resized(&self, nodes: &[Node]) -> Result<Box<dyn Placement>, RingError> {
        if nodes.is_empty() {
            return Err(RingError::NoNodes);
        }
        Ok(Box::new(Ring::new(nodes, self.hash, self.vnodes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::strategy::testing::assert_monotone;

    /// Monotone: on add, a key either stays or moves to the new node; on
    /// remove, only the removed node's keys move.
    #[test]
    fn keys_move_only_to_or_from_the_changed_node() {
        let nodes: Vec<Node> = (0..8).map(Node::numbered).collect();
        let moved = assert_monotone(&Ring::new(&nodes, Hasher::default(), 40), 8, 50_000);
        assert!(moved > 0.0);
    }
}
