//! `bounded`: consistent hashing with bounded loads (Mirrokni, Thorup and
//! Zadimoghaddam, 2018). The ring of [`super::consistent`], plus a
//! capacity of `ceil((1 + epsilon) * K / N)` keys per node: a key goes to
//! the first node clockwise from its hash that still has room. No node
//! ever exceeds the capacity; the price is that placement depends on the
//! order keys arrive in, so the simulation places keys one at a time, in
//! key order, and a change replays the same order on the new membership.

use super::RingError;
use super::consistent::ring_points;
use super::hash::Hasher;
use super::search::Points;
use super::strategy::{Config, Node, Placement};

/// The most keys a node may hold: `ceil((1 + epsilon) * keys / nodes)`.
pub fn capacity(keys: u64, nodes: usize, epsilon: f64) -> u64 {
    ((1.0 + epsilon) * keys as f64 / nodes as f64).ceil() as u64
}

pub struct Bounded {
    points: Points,
    hash: Hasher,
    vnodes: u32,
    epsilon: f64,
    expected_keys: u64,
    capacity: u64,
    /// Keys placed so far, by node id.
    loads: Vec<u64>,
}

impl Bounded {
    pub fn new(nodes: &[Node], config: &Config) -> Bounded {
        let max_id = nodes.iter().map(|n| n.id).max().unwrap_or(0);
        Bounded {
            points: ring_points(nodes, config.hash, config.vnodes),
            hash: config.hash,
            vnodes: config.vnodes,
            epsilon: config.epsilon,
            expected_keys: config.keys,
            capacity: capacity(config.keys, nodes.len(), config.epsilon).max(1),
            loads: vec![0; max_id as usize + 1],
        }
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The point index where `key` lands given the current loads.
    #[inline]
    fn walk(&self, key: &[u8]) -> usize {
        let mut i = self.points.successor(self.hash.hash(key));
        // Capacity times nodes is at least the expected key count, so some
        // node has room unless more keys arrive than announced; then, after
        // one full turn, the plain successor takes it.
        for _ in 0..self.points.len() {
            if self.loads[self.points.owner(i) as usize] < self.capacity {
                return i;
            }
            i += 1;
            if i == self.points.len() {
                i = 0;
            }
        }
        i
    }
}

impl Placement for Bounded {
    /// Where the key would go now, without placing it.
    #[inline]
    fn locate(&self, key: &[u8]) -> u32 {
        self.points.owner(self.walk(key))
    }

    fn memory_bytes(&self) -> usize {
        self.points.memory_bytes() + self.loads.capacity() * 8
    }

    fn resized(&self, nodes: &[Node]) -> Result<Box<dyn Placement>, RingError> {
        if nodes.is_empty() {
            return Err(RingError::NoNodes);
        }
        let config = Config {
            hash: self.hash,
            vnodes: self.vnodes,
            table_size: 0,
            epsilon: self.epsilon,
            keys: self.expected_keys,
        };
        Ok(Box::new(Bounded::new(nodes, &config)))
    }

    fn is_stateful(&self) -> bool {
        true
    }

    fn place(&mut self, key: &[u8]) -> u32 {
        let owner = self.points.owner(self.walk(key));
        self.loads[owner as usize] += 1;
        owner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(keys: u64, epsilon: f64) -> Config {
        Config {
            hash: Hasher::default(),
            vnodes: 20,
            table_size: 0,
            epsilon,
            keys,
        }
    }

    #[test]
    fn no_node_exceeds_the_capacity() {
        for (nodes, keys, epsilon) in [(7usize, 10_000u64, 0.25), (10, 9_999, 0.01), (3, 5, 0.1)] {
            let members: Vec<Node> = (0..nodes as u32).map(Node::numbered).collect();
            let mut bounded = Bounded::new(&members, &config(keys, epsilon));
            let cap = capacity(keys, nodes, epsilon);
            let mut loads = vec![0u64; nodes];
            for i in 0..keys {
                loads[bounded.place(format!("k{i}").as_bytes()) as usize] += 1;
            }
            assert!(loads.iter().all(|&l| l <= cap), "{loads:?} over {cap}");
            assert_eq!(loads.iter().sum::<u64>(), keys);
        }
    }

    #[test]
    fn capacity_formula() {
        assert_eq!(capacity(1000, 10, 0.25), 125);
        assert_eq!(capacity(1001, 10, 0.25), 126);
        assert_eq!(capacity(5, 3, 0.1), 2);
    }
}
