//! `modn`: hash(key) mod N over the node list — the baseline every scheme
//! is measured against. Removing a node shifts the nodes after it; adding
//! appends. Nearly every key moves on any change (N/(N+1) on one add).

use super::RingError;
use super::hash::Hasher;
use super::strategy::{Node, Placement};

pub struct ModN {
    nodes: Vec<u32>,
    hash: Hasher,
}

impl ModN {
    pub fn new(nodes: &[Node], hash: Hasher) -> ModN {
        ModN {
            nodes: nodes.iter().map(|n| n.id).collect(),
            hash,
        }
    }
}

impl Placement for ModN {
    #[inline]
    fn locate(&self, key: &[u8]) -> u32 {
        let h = self.hash.hash(key);
        self.nodes[(h % self.nodes.len() as u64) as usize]
    }

    fn memory_bytes(&self) -> usize {
        self.nodes.capacity() * 4
    }

    fn resized(&self, nodes: &[Node]) -> Result<Box<dyn Placement>, RingError> {
        if nodes.is_empty() {
            return Err(RingError::NoNodes);
        }
        // Survivors keep their relative order, newcomers go last: what
        // editing a server list does.
        let keep: Vec<u32> = self
            .nodes
            .iter()
            .copied()
            .filter(|id| nodes.iter().any(|n| n.id == *id))
            .collect();
        let mut order = keep.clone();
        order.extend(nodes.iter().map(|n| n.id).filter(|id| !keep.contains(id)));
        Ok(Box::new(ModN {
            nodes: order,
            hash: self.hash,
        }))
    }
}
