//! Lists: a deque of packed nodes (Redis's quicklist, reported as
//! "quicklist" as Redis 7.0 does for every list).
//!
//! Each node is a [`Packed`] buffer of two-way entries (length, bytes,
//! length reversed) holding at most `list-max-listpack-size` items
//! (positive: a count, bounded by 8 KiB) or bytes (-1..-5: 4 KiB..64 KiB),
//! with its item count in the buffer's header. Pushes and pops at either
//! end touch only the end node; an index is found by skipping whole nodes by
//! their counts. Edits in the middle (LSET, LINSERT, LREM) rewrite one node
//! and split it when it outgrows the limit.

use std::collections::VecDeque;

use super::packed::{self, Packed};

/// Redis's per-node byte limits for fill -1..-5, and the size that bounds a
/// count-limited node.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Redis's SIZE_ESTIMATE_OVERHEAD: what an entry adds besides its bytes.
const ENTRY_OVERHEAD: usize = 8;

#[derive(Clone, Debug, Default)]
pub struct List {
    nodes: VecDeque<Packed>,
    len: usize,
}

/// Same items in the same order, however they are split into nodes.
impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

/// Whether a node of `size` bytes and `count` items may take one more item
/// of `item` bytes under fill `fill` (Redis's _quicklistNodeAllowInsert).
fn allows(size: usize, count: usize, item: usize, fill: i64) -> bool {
    let new_size = size + item + ENTRY_OVERHEAD;
    if fill < 0 {
        let level = ((-fill) as usize).min(SIZE_LEVELS.len()) - 1;
        if new_size <= SIZE_LEVELS[level] {
            return true;
        }
    }
    new_size <= SIZE_SAFETY_LIMIT && (count as i64) < fill
}

/// Where an index lives: node number and byte offset of its entry.
#[derive(Clone, Copy, Debug)]
struct Pos {
    node: usize,
    at: usize,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<List>()
            + self.nodes.capacity() * 8
            + self.nodes.iter().map(Packed::heap_bytes).sum::<usize>()
    }

    fn encode(item: &[u8]) -> Vec<u8> {
        let mut e = Vec::with_capacity(packed::entry_size_back(item.len()));
        packed::put_entry_back(&mut e, item);
        e
    }

    /// The two-way entry of `item`: on the stack when short (every push
    /// encodes one; an allocation per push showed in profiles), else in
    /// `heap`.
    fn encoded<'a>(item: &[u8], stack: &'a mut [u8; 64], heap: &'a mut Vec<u8>) -> &'a [u8] {
        let n = item.len();
        // Under 128 bytes the length is one varint byte on each side.
        if n + 2 <= stack.len() {
            stack[0] = n as u8;
            stack[1..=n].copy_from_slice(item);
            stack[n + 1] = n as u8;
            &stack[..n + 2]
        } else {
            *heap = Self::encode(item);
            heap
        }
    }

    pub fn push_front(&mut self, item: &[u8], fill: i64) {
        let (mut stack, mut heap) = ([0u8; 64], Vec::new());
        let e = Self::encoded(item, &mut stack, &mut heap);
        match self.nodes.front_mut() {
            Some(n) if allows(n.len(), n.count(), item.len(), fill) => {
                n.splice(0, 0, e);
                let c = n.count() + 1;
                n.set_count(c);
            }
            _ => self.nodes.push_front(Packed::from_bytes(e, 1)),
        }
        self.len += 1;
    }

    pub fn push_back(&mut self, item: &[u8], fill: i64) {
        let (mut stack, mut heap) = ([0u8; 64], Vec::new());
        let e = Self::encoded(item, &mut stack, &mut heap);
        match self.nodes.back_mut() {
            Some(n) if allows(n.len(), n.count(), item.len(), fill) => {
                n.extend(e);
                let c = n.count() + 1;
                n.set_count(c);
            }
            _ => self.nodes.push_back(Packed::from_bytes(e, 1)),
        }
        self.len += 1;
    }

    pub fn push(&mut self, item: &[u8], front: bool, fill: i64) {
        if front {
            self.push_front(item, fill)
        } else {
            self.push_back(item, fill)
        }
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let n = self.nodes.front_mut()?;
        let (item, end) = packed::entry_back_at(n.bytes(), 0);
        let item = item.to_vec();
        if n.count() == 1 {
            self.nodes.pop_front();
        } else {
            n.splice(0, end, &[]);
            let c = n.count() - 1;
            n.set_count(c);
        }
        self.len -= 1;
        Some(item)
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let n = self.nodes.back_mut()?;
        let (item, start) = packed::entry_back_before(n.bytes(), n.len());
        let item = item.to_vec();
        if n.count() == 1 {
            self.nodes.pop_back();
        } else {
            n.truncate(start);
            let c = n.count() - 1;
            n.set_count(c);
        }
        self.len -= 1;
        Some(item)
    }

    pub fn pop(&mut self, front: bool) -> Option<Vec<u8>> {
        if front {
            self.pop_front()
        } else {
            self.pop_back()
        }
    }

    /// Position of index `i` (< len).
    fn pos(&self, i: usize) -> Pos {
        let mut skipped = 0;
        if i < self.len / 2 {
            for (node, n) in self.nodes.iter().enumerate() {
                if i < skipped + n.count() {
                    return Pos {
                        node,
                        at: offset_from_front(n, i - skipped),
                    };
                }
                skipped += n.count();
            }
        } else {
            // From the back: index counted from the end.
            let from_end = self.len - 1 - i;
            for (k, n) in self.nodes.iter().enumerate().rev() {
                if from_end < skipped + n.count() {
                    let within = n.count() - 1 - (from_end - skipped);
                    return Pos {
                        node: k,
                        at: offset_from_back(n, from_end - skipped, within),
                    };
                }
                skipped += n.count();
            }
        }
        unreachable!("index {i} within a list of {}", self.len)
    }

    /// The item at index `i` (< len).
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let p = self.pos(i);
        Some(packed::entry_back_at(self.nodes[p.node].bytes(), p.at).0)
    }

    /// Items from index `start` on, forward.
    pub fn iter_from(&self, start: usize) -> Iter<'_> {
        if start >= self.len {
            return Iter {
                list: self,
                node: self.nodes.len(),
                at: 0,
                left: 0,
            };
        }
        let p = self.pos(start);
        Iter {
            list: self,
            node: p.node,
            at: p.at,
            left: self.len - start,
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// Items from index `start` backwards to the head.
    pub fn iter_back_from(&self, start: usize) -> IterBack<'_> {
        if start >= self.len {
            return IterBack {
                list: self,
                node: 0,
                end: 0,
                left: 0,
            };
        }
        let p = self.pos(start);
        let end = packed::entry_back_at(self.nodes[p.node].bytes(), p.at).1;
        IterBack {
            list: self,
            node: p.node,
            end,
            left: start + 1,
        }
    }

    /// Replace the item at index `i` (< len).
    pub fn set(&mut self, i: usize, item: &[u8], fill: i64) {
        let p = self.pos(i);
        let n = &mut self.nodes[p.node];
        let end = packed::entry_back_at(n.bytes(), p.at).1;
        n.splice(p.at, end, &Self::encode(item));
        self.split_if_needed(p.node, fill);
    }

    /// Insert `item` before (or after) index `i`.
    pub fn insert(&mut self, i: usize, after: bool, item: &[u8], fill: i64) {
        let p = self.pos(i);
        let n = &mut self.nodes[p.node];
        let at = if after {
            packed::entry_back_at(n.bytes(), p.at).1
        } else {
            p.at
        };
        n.splice(at, at, &Self::encode(item));
        let c = n.count() + 1;
        n.set_count(c);
        self.len += 1;
        self.split_if_needed(p.node, fill);
    }

    /// Split node `k` in two halves while it exceeds what fill allows.
    fn split_if_needed(&mut self, k: usize, fill: i64) {
        let n = &self.nodes[k];
        if n.count() < 2
            || allows(
                n.len().saturating_sub(ENTRY_OVERHEAD),
                n.count() - 1,
                0,
                fill,
            )
        {
            return;
        }
        let keep = n.count() / 2;
        let mid = offset_from_front(n, keep);
        let tail = Packed::from_bytes(&n.bytes()[mid..], (n.count() - keep) as u32);
        let n = &mut self.nodes[k];
        n.truncate(mid);
        n.set_count(keep);
        self.nodes.insert(k + 1, tail);
        self.split_if_needed(k + 1, fill);
        self.split_if_needed(k, fill);
    }

    /// Keep only the items for which `keep` returns true, walking from the
    /// head; `limit` caps how many are removed. Returns how many were.
    pub fn retain_front(&mut self, mut keep: impl FnMut(&[u8]) -> bool, limit: usize) -> usize {
        let mut removed = 0;
        for n in self.nodes.iter_mut() {
            if removed >= limit {
                break;
            }
            let mut out = Vec::new();
            let mut at = 0;
            let mut kept = 0;
            let buf = n.bytes();
            let mut changed = false;
            while at < buf.len() {
                let (item, next) = packed::entry_back_at(buf, at);
                if removed < limit && !keep(item) {
                    removed += 1;
                    changed = true;
                } else {
                    out.extend_from_slice(&buf[at..next]);
                    kept += 1;
                }
                at = next;
            }
            if changed {
                *n = Packed::from_bytes(&out, kept as u32);
            }
        }
        self.finish_removal(removed)
    }

    /// As [`List::retain_front`], walking from the tail.
    pub fn retain_back(&mut self, mut keep: impl FnMut(&[u8]) -> bool, limit: usize) -> usize {
        let mut removed = 0;
        for n in self.nodes.iter_mut().rev() {
            if removed >= limit {
                break;
            }
            let buf = n.bytes();
            let mut parts: Vec<(usize, usize)> = Vec::new();
            let mut end = buf.len();
            let mut changed = false;
            while end > 0 {
                let (item, start) = packed::entry_back_before(buf, end);
                if removed < limit && !keep(item) {
                    removed += 1;
                    changed = true;
                } else {
                    parts.push((start, end));
                }
                end = start;
            }
            if changed {
                let mut out = Vec::new();
                for &(s, e) in parts.iter().rev() {
                    out.extend_from_slice(&buf[s..e]);
                }
                *n = Packed::from_bytes(&out, parts.len() as u32);
            }
        }
        self.finish_removal(removed)
    }

    fn finish_removal(&mut self, removed: usize) -> usize {
        self.nodes.retain(|n| n.count() > 0);
        self.len -= removed;
        removed
    }

    /// Remove `front` items from the head and `back` from the tail.
    pub fn trim(&mut self, mut front: usize, mut back: usize) {
        while front > 0 {
            let Some(n) = self.nodes.front_mut() else {
                break;
            };
            if n.count() <= front {
                front -= n.count();
                self.len -= n.count();
                self.nodes.pop_front();
            } else {
                let cut = offset_from_front(n, front);
                n.splice(0, cut, &[]);
                let c = n.count() - front;
                n.set_count(c);
                self.len -= front;
                front = 0;
            }
        }
        while back > 0 {
            let Some(n) = self.nodes.back_mut() else {
                break;
            };
            if n.count() <= back {
                back -= n.count();
                self.len -= n.count();
                self.nodes.pop_back();
            } else {
                let keep = n.count() - back;
                let cut = offset_from_front(n, keep);
                n.truncate(cut);
                n.set_count(keep);
                self.len -= back;
                back = 0;
            }
        }
    }
}

/// Byte offset of the `k`-th entry of a node, walking from its head.
fn offset_from_front(n: &Packed, k: usize) -> usize {
    let buf = n.bytes();
    let mut at = 0;
    for _ in 0..k {
        at = packed::entry_back_at(buf, at).1;
    }
    at
}

/// Byte offset of the entry `from_end` places before the node's end
/// (`within` is its index from the head, used when that walk is shorter).
fn offset_from_back(n: &Packed, from_end: usize, within: usize) -> usize {
    if within <= from_end {
        return offset_from_front(n, within);
    }
    let buf = n.bytes();
    let mut end = buf.len();
    let mut start = end;
    for _ in 0..=from_end {
        start = packed::entry_back_before(buf, end).1;
        end = start;
    }
    start
}

/// Forward iterator over items.
pub struct Iter<'a> {
    list: &'a List,
    node: usize,
    at: usize,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let mut buf = self.list.nodes[self.node].bytes();
        if self.at >= buf.len() {
            self.node += 1;
            self.at = 0;
            buf = self.list.nodes[self.node].bytes();
        }
        let (item, next) = packed::entry_back_at(buf, self.at);
        self.at = next;
        self.left -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Backward iterator over items.
pub struct IterBack<'a> {
    list: &'a List,
    node: usize,
    end: usize,
    left: usize,
}

impl<'a> Iterator for IterBack<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        if self.end == 0 {
            self.node -= 1;
            self.end = self.list.nodes[self.node].len();
        }
        let buf = self.list.nodes[self.node].bytes();
        let (item, start) = packed::entry_back_before(buf, self.end);
        self.end = start;
        self.left -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for IterBack<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(l: &List) -> Vec<String> {
        l.iter()
            .map(|i| String::from_utf8_lossy(i).into_owned())
            .collect()
    }

    #[test]
    fn pushes_pops_and_indexes_across_nodes() {
        let mut l = List::new();
        for i in 0..1000 {
            l.push_back(format!("item-{i}").as_bytes(), 5);
            l.push_front(format!("head-{i}").as_bytes(), 5);
        }
        assert_eq!(l.len(), 2000);
        assert!(l.node_count() >= 400);
        assert_eq!(l.get(0), Some(&b"head-999"[..]));
        assert_eq!(l.get(1999), Some(&b"item-999"[..]));
        assert_eq!(l.get(1000), Some(&b"item-0"[..]));
        assert_eq!(l.get(999), Some(&b"head-0"[..]));
        let back: Vec<&[u8]> = l.iter_back_from(1001).take(3).collect();
        assert_eq!(back, vec![&b"item-1"[..], b"item-0", b"head-0"]);
        assert_eq!(l.iter_from(1998).count(), 2);
        assert_eq!(l.pop_back().as_deref(), Some(&b"item-999"[..]));
        assert_eq!(l.pop_front().as_deref(), Some(&b"head-999"[..]));
        l.trim(500, 500);
        assert_eq!(l.len(), 998);
        assert_eq!(l.get(0), Some(&b"head-498"[..]));
    }

    /// Pushes encode short items on the stack and long ones on the heap:
    /// every length around the border (and the varint's 128) reads back
    /// the same from both ends.
    #[test]
    fn pushes_of_every_length_read_back() {
        let mut l = List::new();
        let item = |n: usize| (0..n).map(|i| b'a' + (i % 26) as u8).collect::<Vec<u8>>();
        for n in 0..300 {
            l.push_back(&item(n), -2);
            l.push_front(&item(n), -2);
        }
        for n in 0..300 {
            assert_eq!(l.get(300 + n), Some(&item(n)[..]));
            assert_eq!(l.get(299 - n), Some(&item(n)[..]));
        }
        for n in (0..300).rev() {
            assert_eq!(l.pop_back(), Some(item(n)));
            assert_eq!(l.pop_front(), Some(item(n)));
        }
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn edits_in_the_middle_split_nodes() {
        let mut l = List::new();
        for i in 0..10 {
            l.push_back(format!("{i}").as_bytes(), 4);
        }
        l.insert(5, false, b"x", 4);
        l.insert(5, true, b"y", 4);
        l.set(0, b"zero", 4);
        assert_eq!(
            items(&l),
            vec![
                "zero", "1", "2", "3", "4", "x", "y", "5", "6", "7", "8", "9"
            ]
        );
        assert!(l.nodes.iter().all(|n| n.count() <= 4));
        assert_eq!(l.retain_back(|i| i != b"x" && i != b"y", 1), 1);
        assert_eq!(l.retain_front(|i| i.len() != 1, usize::MAX), 10);
        assert_eq!(items(&l), vec!["zero"]);
    }
}
