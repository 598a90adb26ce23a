//! `slots`: Redis Cluster's key space. A key's slot is CRC16-XMODEM of the
//! key — or of its hash tag — modulo 16384, exactly as Redis's
//! `keyHashSlot`: the tag is what lies between the first `{` and the first
//! `}` after it, and an empty or unclosed tag means the whole key.
//!
//! Slots are spread over the nodes in contiguous ranges the way
//! `redis-cli --cluster create` assigns them. A membership change moves
//! slots the way `redis-cli --cluster rebalance --cluster-use-empty-masters`
//! does, with departing nodes given weight 0: each node's target is
//! `(int)(16384 / total_weight)`, the nodes owing slots give their lowest
//! slots to the nodes short of slots, largest debts first. The hash
//! function option does not apply here: CRC16 is the protocol.

use super::RingError;
use super::strategy::{Node, Placement};

pub const SLOTS: usize = 16384;

/// CRC16-XMODEM lookup table (polynomial 0x1021, no reflection).
const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = (byte as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
};

/// CRC16-XMODEM (initial value 0, no final xor), as Redis's `crc16()`.
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC16_TABLE[usize::from((crc >> 8) as u8 ^ b)]
    })
}

/// The part of `key` that is hashed: the content of the first `{…}` when
/// it is non-empty, else the whole key.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    let Some(open) = key.iter().position(|&b| b == b'{') else {
        return key;
    };
    match key[open + 1..].iter().position(|&b| b == b'}') {
        Some(len) if len > 0 => &key[open + 1..open + 1 + len],
        _ => key,
    }
}

/// The cluster slot of `key` (what `CLUSTER KEYSLOT` answers).
#[inline]
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) & 0x3fff
}

/// Slot owners by slot.
pub struct Slots {
    owners: Vec<u32>,
}

impl Slots {
    /// Contiguous ranges in node order, as `redis-cli --cluster create`
    /// computes them (in single-precision floats, as it does).
    pub fn new(nodes: &[Node]) -> Result<Slots, RingError> {
        check_count(nodes.len())?;
        let mut owners = vec![0u32; SLOTS];
        let per_node = SLOTS as f32 / nodes.len() as f32;
        let mut cursor = 0.0f32;
        let mut first = 0usize;
        for (i, node) in nodes.iter().enumerate() {
            let mut last = (cursor + per_node - 1.0).round() as i64;
            if last > SLOTS as i64 || i == nodes.len() - 1 {
                last = SLOTS as i64 - 1;
            }
            let last = (last.max(first as i64) as usize).min(SLOTS - 1);
            for owner in &mut owners[first..=last] {
                *owner = node.id;
            }
            first = last + 1;
            cursor += per_node;
        }
        Ok(Slots { owners })
    }

    /// Slot owners, for tests.
    pub fn owners(&self) -> &[u32] {
        &self.owners
    }
}

fn check_count(nodes: usize) -> Result<(), RingError> {
    match nodes {
        0 => Err(RingError::NoNodes),
        n if n > SLOTS => Err(RingError::TooManyNodes {
            strategy: "slots",
            nodes: n,
            max: SLOTS,
        }),
        _ => Ok(()),
    }
}

impl Placement for Slots {
    #[inline]
    fn locate(&self, key: &[u8]) -> u32 {
        self.owners[usize::from(key_slot(key))]
    }

    fn memory_bytes(&self) -> usize {
        self.owners.capacity() * 4
    }

    fn resized(&self, nodes: &[Node]) -> Result<Box<dyn Placement>, RingError> {
        check_count(nodes.len())?;
        Ok(Box::new(Slots {
            owners: rebalance(&self.owners, nodes),
        }))
    }
}

/// Slot owners after moving slots so that `nodes` share them evenly and
/// nodes not in `nodes` hold none, moving as redis-cli's rebalance does.
fn rebalance(owners: &[u32], nodes: &[Node]) -> Vec<u32> {
    let max_id = owners
        .iter()
        .copied()
        .chain(nodes.iter().map(|n| n.id))
        .max()
        .unwrap_or(0) as usize;
    // The slots each node holds, in ascending order.
    let mut held: Vec<Vec<u16>> = vec![Vec::new(); max_id + 1];
    for (slot, &owner) in owners.iter().enumerate() {
        held[owner as usize].push(slot as u16);
    }
    let mut member = vec![false; max_id + 1];
    for n in nodes {
        member[n.id as usize] = true;
    }
    // Involved: current owners and the members, in id order; departing
    // owners have weight 0.
    let total_weight = nodes.len() as f32;
    let mut balance: Vec<(u32, i64)> = (0..=max_id)
        .filter(|&id| member[id] || !held[id].is_empty())
        .map(|id| {
            let weight = if member[id] { 1.0f32 } else { 0.0 };
            let expected = ((SLOTS as f32 / total_weight) * weight) as i64;
            (id as u32, held[id].len() as i64 - expected)
        })
        .collect();
    // Rounding leaves a surplus; the nodes not owing slots take it on.
    let mut total: i64 = balance.iter().map(|b| b.1).sum();
    while total > 0 {
        for entry in balance.iter_mut() {
            if entry.1 <= 0 && total > 0 {
                entry.1 -= 1;
                total -= 1;
            }
        }
    }
    balance.sort_by_key(|b| b.1);
    let mut owners = owners.to_vec();
    let (mut dst, mut src) = (0usize, balance.len().saturating_sub(1));
    while dst < src {
        let numslots = balance[dst].1.abs().min(balance[src].1.abs());
        let (from, to) = (balance[src].0 as usize, balance[dst].0);
        // The source gives its lowest slots.
        let given: Vec<u16> = held[from].drain(..numslots as usize).collect();
        for slot in given {
            owners[usize::from(slot)] = to;
        }
        balance[dst].1 += numslots;
        balance[src].1 -= numslots;
        if balance[dst].1 == 0 {
            dst += 1;
        }
        if balance[src].1 == 0 {
            src -= 1;
        }
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_check_value() {
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(crc16(b""), 0);
    }

    #[test]
    fn hash_tags_follow_key_hash_slot() {
        assert_eq!(hash_tag(b"{user1000}.following"), b"user1000");
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        assert_eq!(hash_tag(b"foo{bar"), b"foo{bar");
        assert_eq!(hash_tag(b"}{a}"), b"a");
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        assert_eq!(key_slot(b"somekey"), 11058);
        assert_eq!(key_slot(b"foo{hash_tag}"), key_slot(b"hash_tag"));
    }

    #[test]
    fn creation_assigns_contiguous_ranges_like_redis_cli() {
        let nodes: Vec<Node> = (0..3).map(Node::numbered).collect();
        let slots = Slots::new(&nodes).unwrap();
        // redis-cli --cluster create with 3 masters: 0-5460, 5461-10922,
        // 10923-16383.
        let o = slots.owners();
        assert_eq!(
            (o[0], o[5460], o[5461], o[10922], o[10923], o[16383]),
            (0, 0, 1, 1, 2, 2)
        );
        let one_each: Vec<Node> = (0..SLOTS as u32).map(Node::numbered).collect();
        let slots = Slots::new(&one_each).unwrap();
        assert!(
            slots
                .owners()
                .iter()
                .enumerate()
                .all(|(s, &o)| s as u32 == o)
        );
    }

    #[test]
    fn rebalance_moves_the_minimum_of_slots() {
        let nodes: Vec<Node> = (0..4).map(Node::numbered).collect();
        let slots = Slots::new(&nodes).unwrap();
        let five: Vec<Node> = (0..5).map(Node::numbered).collect();
        let grown = rebalance(slots.owners(), &five);
        let moved = grown
            .iter()
            .zip(slots.owners())
            .filter(|(a, b)| a != b)
            .count();
        let to_new = grown.iter().filter(|&&o| o == 4).count();
        assert_eq!(moved, to_new, "only the new node receives slots");
        // Targets are (int)(16384 / 5) = 3276; the rounding surplus of 4
        // goes to the receiving node, as in redis-cli.
        assert_eq!(to_new, 3280);
        let three: Vec<Node> = nodes.iter().filter(|n| n.id != 1).cloned().collect();
        let shrunk = rebalance(slots.owners(), &three);
        assert!(shrunk.iter().all(|&o| o != 1));
        let moved = shrunk
            .iter()
            .zip(slots.owners())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(moved, SLOTS / 4, "only the departing node's slots move");
    }

    #[test]
    fn too_many_nodes_is_an_error() {
        let nodes: Vec<Node> = (0..SLOTS as u32 + 1).map(Node::numbered).collect();
        assert!(Slots::new(&nodes).is_err());
    }
}
