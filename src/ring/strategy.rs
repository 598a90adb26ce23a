//! The placement strategies behind one trait.
//!
//! A [`Placement`] answers "which node owns this key" for one membership;
//! [`Placement::resized`] gives the structure after the membership changes,
//! the way that strategy changes in practice (jump hash swaps the last
//! bucket into a removed one; Redis Cluster moves slots as `redis-cli
//! --cluster rebalance` does; the hash-based ones simply rebuild). The
//! simulation compares the two to measure movement.

use serde::Serialize;

use super::RingError;
use super::hash::Hasher;
use super::{bounded, consistent, jump, maglev, modn, rendezvous, slots};

/// A node's identity: `id` is stable across membership changes (load and
/// movement are counted by it); `name` is what strategies hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub id: u32,
    pub name: Vec<u8>,
}

impl Node {
    /// `node-<id>`, the naming of simulated nodes.
    pub fn numbered(id: u32) -> Node {
        Node {
            id,
            name: format!("node-{id}").into_bytes(),
        }
    }
}

/// Which node owns a key, for one membership.
pub trait Placement: Send + Sync {
    /// The id of the node that owns `key`.
    fn locate(&self, key: &[u8]) -> u32;

    /// Heap bytes of the lookup structure.
    fn memory_bytes(&self) -> usize;

    /// This strategy after the membership becomes `nodes`.
    fn resized(&self, nodes: &[Node]) -> Result<Box<dyn Placement>, RingError>;

    /// Strategies whose answer depends on what was placed before (bounded
    /// loads) return true and are driven through [`Placement::place`], one
    /// key at a time in key order.
    fn is_stateful(&self) -> bool {
        false
    }

    /// Place `key` and remember it; for stateless strategies the same as
    /// [`Placement::locate`].
    fn place(&mut self, key: &[u8]) -> u32 {
        self.locate(key)
    }
}

/// The strategies `--strategy` can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// hash(key) mod N
    Modn,
    /// Consistent hashing: --vnodes points per node on a 64-bit ring
    Ring,
    /// Jump consistent hash (Lamping & Veach)
    Jump,
    /// Rendezvous hashing: highest random weight wins
    Rendezvous,
    /// Maglev lookup table of --table-size entries (prime)
    Maglev,
    /// Consistent hashing with bounded loads (Mirrokni et al.), --epsilon
    Bounded,
    /// Redis Cluster: CRC16 of the key or its {hash tag}, 16384 slots
    Slots,
}

/// What the strategies are built with.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub hash: Hasher,
    /// Points per node on the ring (`ring`, `bounded`).
    pub vnodes: u32,
    /// Maglev's table size, a prime `>=` the node count.
    pub table_size: u64,
    /// Bounded loads: capacity is `ceil((1 + epsilon) * keys / nodes)`.
    pub epsilon: f64,
    /// The number of keys that will be placed (bounded loads needs it for
    /// its capacity).
    pub keys: u64,
}

impl Strategy {
    pub const ALL: [Strategy; 7] = [
        Strategy::Modn,
        Strategy::Ring,
        Strategy::Jump,
        Strategy::Rendezvous,
        Strategy::Maglev,
        Strategy::Bounded,
        Strategy::Slots,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Modn => "modn",
            Strategy::Ring => "ring",
            Strategy::Jump => "jump",
            Strategy::Rendezvous => "rendezvous",
            Strategy::Maglev => "maglev",
            Strategy::Bounded => "bounded",
            Strategy::Slots => "slots",
        }
    }

    /// One line saying what was simulated, with its parameters.
    pub fn describe(self, config: &Config) -> String {
        let hash = config.hash.function.name();
        match self {
            Strategy::Modn => format!("{hash}(key) mod N"),
            Strategy::Ring => format!(
                "consistent hashing, {} points per node, {hash}",
                config.vnodes
            ),
            Strategy::Jump => format!("jump consistent hash of {hash}(key)"),
            Strategy::Rendezvous => format!("rendezvous (highest random weight), {hash}"),
            Strategy::Maglev => format!("Maglev, table of {} entries, {hash}", config.table_size),
            Strategy::Bounded => format!(
                "bounded loads, epsilon {}, {} points per node, {hash}",
                config.epsilon, config.vnodes
            ),
            Strategy::Slots => {
                "Redis Cluster: CRC16(key or {tag}) mod 16384, contiguous slot ranges".to_owned()
            }
        }
    }

    /// The structure for `nodes` (at least one).
    pub fn build(self, nodes: &[Node], config: &Config) -> Result<Box<dyn Placement>, RingError> {
        if nodes.is_empty() {
            return Err(RingError::NoNodes);
        }
        Ok(match self {
            Strategy::Modn => Box::new(modn::ModN::new(nodes, config.hash)),
            Strategy::Ring => Box::new(consistent::Ring::new(nodes, config.hash, config.vnodes)),
            Strategy::Jump => Box::new(jump::Jump::new(nodes, config.hash)),
            Strategy::Rendezvous => Box::new(rendezvous::Rendezvous::new(nodes, config.hash)),
            Strategy::Maglev => {
                Box::new(maglev::Maglev::new(nodes, config.hash, config.table_size)?)
            }
            Strategy::Bounded => Box::new(bounded::Bounded::new(nodes, config)),
            Strategy::Slots => Box::new(slots::Slots::new(nodes)?),
        })
    }
}

/// Checks shared by the strategies' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Node, Placement};

    /// Grow `placement` (built on nodes `0..n`) by node `n` and shrink it by
    /// node 1, place `keys` synthetic keys through all three, and assert
    /// monotonicity: on the add a key stays or moves to the new node, on
    /// the removal only node 1's keys move. Returns the fraction moved by
    /// the add.
    pub fn assert_monotone(placement: &dyn Placement, n: u32, keys: u32) -> f64 {
        let grown = placement
            .resized(&(0..=n).map(Node::numbered).collect::<Vec<_>>())
            .expect("grow");
        let fewer: Vec<Node> = (0..n).filter(|&id| id != 1).map(Node::numbered).collect();
        let shrunk = placement.resized(&fewer).expect("shrink");
        let mut moved = 0;
        for i in 0..keys {
            let key = format!("user:{i}");
            let before = placement.locate(key.as_bytes());
            let after = grown.locate(key.as_bytes());
            if before != after {
                assert_eq!(after, n, "{key} moved between old nodes on add");
                moved += 1;
            }
            if shrunk.locate(key.as_bytes()) != before {
                assert_eq!(before, 1, "{key} moved though its node stayed");
            }
        }
        f64::from(moved) / f64::from(keys)
    }
}
