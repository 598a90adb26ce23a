//! Sharding a keyspace over nodes, measured: hash functions, placement
//! strategies behind one trait, and the simulation that answers how even
//! the load is, how much moves when nodes join or fail, and what a lookup
//! costs on this machine.
//!
//! - [`hash`]: the selectable 64-bit hash functions (XXH3 by default).
//! - [`keys`]: key sources: synthetic names, keys files, the keys of an
//!   RDB dump with their serialized sizes, any `(key, size)` producer.
//! - [`strategy`]: the [`Placement`] trait and the [`Strategy`] names; one
//!   module per strategy: [`modn`], [`consistent`] (`ring`), [`jump`],
//!   [`rendezvous`], [`maglev`], [`bounded`], [`slots`].
//! - [`search`]: successor search over sorted ring points in several
//!   layouts; [`compare_search`] measures them against each other.
//! - [`simulate`]: placement before and after a membership change, load and
//!   movement; [`lookup`]: the cost of one lookup.
//! - [`random`]: the seeded random choices; [`timing`]: thread CPU time
//!   for micro-measurements on a busy machine.

pub mod bounded;
pub mod compare_search;
pub mod consistent;
pub mod hash;
pub mod jump;
pub mod keys;
pub mod lookup;
pub mod maglev;
pub mod modn;
pub mod random;
pub mod rendezvous;
pub mod search;
pub mod simulate;
pub mod slots;
pub mod strategy;
pub mod timing;

pub use strategy::{Config, Node, Placement, Strategy};

/// A scenario that cannot be simulated.
#[derive(Debug, thiserror::Error)]
pub enum RingError {
    #[error("no nodes to place keys on")]
    NoNodes,
    #[error("--table-size {size}: {why}")]
    TableSize { size: u64, why: String },
    #[error("{strategy}: at most {max} nodes, not {nodes}")]
    TooManyNodes {
        strategy: &'static str,
        nodes: usize,
        max: usize,
    },
    #[error("{0}")]
    Scenario(String),
    #[error("internal check failed: {0}")]
    Internal(String),
}
