//! `maglev`: Maglev hashing (Eisenbud et al., NSDI 2016). Each node derives
//! a permutation of the table's M slots from two independent hashes of its
//! name (offset and skip; M prime makes every skip a generator), and nodes
//! take turns claiming their next free preferred slot until the table is
//! full. Lookup is one table read; every node ends with floor(M/N) or
//! ceil(M/N) slots; a change disturbs a little more than the optimum.
//!
//! Nodes take turns in name order, so the table depends on the membership,
//! not on the order nodes were listed or removed in.

use super::RingError;
use super::hash::Hasher;
use super::strategy::{Node, Placement};

/// Hash domains of the two per-node hashes.
const OFFSET_DOMAIN: u64 = 0x6d61_676c_6576_6f66; // "maglevof"
const SKIP_DOMAIN: u64 = 0x6d61_676c_6576_736b; // "maglevsk"

/// Largest table accepted (4 bytes per slot: 1 GiB).
pub const MAX_TABLE_SIZE: u64 = 1 << 28;

/// True when `n` is prime (trial division; `n` is at most 2^28 here).
pub fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

pub struct Maglev {
    table: Vec<u32>,
    hash: Hasher,
}

impl Maglev {
    pub fn new(nodes: &[Node], hash: Hasher, size: u64) -> Result<Maglev, RingError> {
        if !is_prime(size) || size > MAX_TABLE_SIZE {
            return Err(RingError::TableSize {
                size,
                why: format!("must be a prime no larger than {MAX_TABLE_SIZE}"),
            });
        }
        if (size as usize) < nodes.len() {
            return Err(RingError::TableSize {
                size,
                why: format!("must be at least the number of nodes ({})", nodes.len()),
            });
        }
        let mut order: Vec<&Node> = nodes.iter().collect();
        order.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        let m = size as usize;
        // Each node's permutation: slot(j) = (offset + j * skip) mod M.
        let prefs: Vec<(usize, usize)> = order
            .iter()
            .map(|n| {
                let offset = hash.hash_in(&n.name, OFFSET_DOMAIN) % size;
                let skip = hash.hash_in(&n.name, SKIP_DOMAIN) % (size - 1).max(1) + 1;
                (offset as usize, skip as usize)
            })
            .collect();
        let mut position: Vec<usize> = prefs.iter().map(|p| p.0).collect();
        const EMPTY: u32 = u32::MAX;
        let mut table = vec![EMPTY; m];
        let mut filled = 0;
        'fill: loop {
            for (i, node) in order.iter().enumerate() {
                // The next preferred slot of node i that is still free.
                while table[position[i]] != EMPTY {
                    position[i] = (position[i] + prefs[i].1) % m;
                }
                table[position[i]] = node.id;
                position[i] = (position[i] + prefs[i].1) % m;
                filled += 1;
                if filled == m {
                    break 'fill;
                }
            }
        }
        Ok(Maglev { table, hash })
    }

    /// Slots of the table, for tests.
    pub fn table(&self) -> &[u32] {
        &self.table
    }
}

impl Placement for Maglev {
    #[inline]
    fn locate(&self, key: &[u8]) -> u32 {
        let h = self.hash.hash(key);
        self.table[(h % self.table.len() as u64) as usize]
    }

    fn memory_bytes(&self) -> usize {
        self.table.capacity() * 4
    }

    fn resized(&self, nodes: &[Node]) -> Result<Box<dyn Placement>, RingError> {
        Ok(Box::new(Maglev::new(
            nodes,
            self.hash,
            self.table.len() as u64,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_full_and_balanced_within_one_slot() {
        for (n, m) in [
            (1u32, 7u64),
            (3, 13),
            (10, 65_537),
            (100, 65_537),
            (97, 101),
        ] {
            let nodes: Vec<Node> = (0..n).map(Node::numbered).collect();
            let maglev = Maglev::new(&nodes, Hasher::default(), m).unwrap();
            let mut counts = vec![0u64; n as usize];
            for &slot in maglev.table() {
                assert!(slot < n, "an empty or foreign slot");
                counts[slot as usize] += 1;
            }
            let (lo, hi) = (m / u64::from(n), m.div_ceil(u64::from(n)));
            assert!(
                counts.iter().all(|&c| c == lo || c == hi),
                "n={n} m={m}: {counts:?}"
            );
        }
    }

    #[test]
    fn table_size_is_checked() {
        let nodes: Vec<Node> = (0..10).map(Node::numbered).collect();
        assert!(Maglev::new(&nodes, Hasher::default(), 65_536).is_err());
        assert!(Maglev::new(&nodes, Hasher::default(), 7).is_err());
        assert!(is_prime(65_537) && is_prime(2) && !is_prime(1) && !is_prime(91));
    }

    #[test]
    fn removal_disturbs_little_beyond_the_removed_node() {
        let nodes: Vec<Node> = (0..20).map(Node::numbered).collect();
        let before = Maglev::new(&nodes, Hasher::default(), 65_537).unwrap();
        let fewer: Vec<Node> = nodes.iter().filter(|n| n.id != 5).cloned().collect();
        let after = Maglev::new(&fewer, Hasher::default(), 65_537).unwrap();
        let changed = before
            .table()
            .iter()
            .zip(after.table())
            .filter(|(b, a)| b != a)
            .count() as f64
            / 65_537.0;
        // The optimum is 1/20 = 5%; the paper reports a few percent more.
        assert!(changed > 0.05 && changed < 0.10, "changed {changed}");
    }
}
