//! An indexable skiplist ordered by (score, member), as Redis's zskiplist:
//! every forward link carries its span (how many nodes it jumps), so the
//! rank of a node and the node at a rank are found in O(log n), and score
//! or lexicographic ranges start with one O(log n) descent.
//!
//! Nodes live in an arena (`Vec`) and link by index, which keeps the
//! structure in safe Rust; freed slots are reused. The head's links are a
//! fixed array of [`MAX_LEVEL`] levels.

use super::super::thin::ThinBytes;

pub const MAX_LEVEL: usize = 32;
/// No node.
pub const NIL: u32 = u32::MAX;
const HEAD: u32 = u32::MAX - 1;

#[derive(Clone, Copy, Debug)]
struct Level {
    next: u32,
    span: u32,
}

const EMPTY: Level = Level { next: NIL, span: 0 };

#[derive(Clone, Debug)]
struct Node {
    member: ThinBytes,
    score: f64,
    prev: u32,
    levels: Box<[Level]>,
}

/// A score interval with open or closed ends.
#[derive(Clone, Copy, Debug)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub min_ex: bool,
    pub max_ex: bool,
}

impl ScoreRange {
    pub fn gte_min(&self, v: f64) -> bool {
        if self.min_ex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    pub fn lte_max(&self, v: f64) -> bool {
        if self.max_ex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    pub fn contains(&self, v: f64) -> bool {
        self.gte_min(v) && self.lte_max(v)
    }

    /// Whether no value can be in range.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_ex || self.max_ex))
    }
}

/// One end of a lexicographic range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`
    Min,
    /// `+`
    Max,
    /// `[x`
    Incl(Vec<u8>),
    /// `(x`
    Excl(Vec<u8>),
}

/// A lexicographic interval.
#[derive(Clone, Debug)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

/// Compare a member with a bound's value: -1/0/1 (Redis's sdscmplex, with
/// `-` below and `+` above every string).
fn cmp_bound(member: &[u8], bound: &LexBound) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match bound {
        LexBound::Min => Greater,
        LexBound::Max => Less,
        LexBound::Incl(v) | LexBound::Excl(v) => member.cmp(v),
    }
}

impl LexRange {
    pub fn gte_min(&self, member: &[u8]) -> bool {
        let c = cmp_bound(member, &self.min);
        match self.min {
            LexBound::Excl(_) | LexBound::Min | LexBound::Max => c.is_gt(),
            LexBound::Incl(_) => c.is_ge(),
        }
    }

    pub fn lte_max(&self, member: &[u8]) -> bool {
        let c = cmp_bound(member, &self.max);
        match self.max {
            LexBound::Excl(_) | LexBound::Min | LexBound::Max => c.is_lt(),
            LexBound::Incl(_) => c.is_le(),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.gte_min(member) && self.lte_max(member)
    }

    /// Whether no member can be in range (min above max, or equal with an
    /// open end).
    pub fn is_empty(&self) -> bool {
        use std::cmp::Ordering::*;
        let ex = |b: &LexBound| !matches!(b, LexBound::Incl(_));
        let cmp = match (&self.min, &self.max) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Greater,
            (LexBound::Incl(a) | LexBound::Excl(a), LexBound::Incl(b) | LexBound::Excl(b)) => {
                a.cmp(b)
            }
        };
        cmp == Greater || (cmp == Equal && (ex(&self.min) || ex(&self.max)))
    }
}

/// A score or lexicographic interval of the sorted set order, so range
/// walks are written once for both (ZRANGEBYSCORE and ZRANGEBYLEX, their
/// REV, COUNT and REMRANGE forms).
pub trait Interval {
    /// (member, score) is not before the interval's start.
    fn gte_min(&self, member: &[u8], score: f64) -> bool;
    /// (member, score) is not after the interval's end.
    fn lte_max(&self, member: &[u8], score: f64) -> bool;
    /// Nothing can be inside.
    fn is_empty(&self) -> bool;
}

impl Interval for ScoreRange {
    fn gte_min(&self, _: &[u8], score: f64) -> bool {
        ScoreRange::gte_min(self, score)
    }
    fn lte_max(&self, _: &[u8], score: f64) -> bool {
        ScoreRange::lte_max(self, score)
    }
    fn is_empty(&self) -> bool {
        ScoreRange::is_empty(self)
    }
}

impl Interval for LexRange {
    fn gte_min(&self, member: &[u8], _: f64) -> bool {
        LexRange::gte_min(self, member)
    }
    fn lte_max(&self, member: &[u8], _: f64) -> bool {
        LexRange::lte_max(self, member)
    }
    fn is_empty(&self) -> bool {
        LexRange::is_empty(self)
    }
}

/// The skiplist. See the module documentation.
#[derive(Clone, Debug)]
pub struct Skiplist {
    nodes: Vec<Option<Node>>,
    free: Vec<u32>,
    head: [Level; MAX_LEVEL],
    tail: u32,
    len: usize,
    level: usize,
    seed: u64,
}

impl Default for Skiplist {
    fn default() -> Self {
        Skiplist::new()
    }
}

/// (score, member) strictly before (score2, member2).
fn before(score: f64, member: &[u8], score2: f64, member2: &[u8]) -> bool {
    score < score2 || (score == score2 && member < member2)
}

impl Skiplist {
    pub fn new() -> Skiplist {
        Skiplist {
            nodes: Vec::new(),
            free: Vec::new(),
            head: [EMPTY; MAX_LEVEL],
            tail: NIL,
            len: 0,
            level: 1,
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn node(&self, x: u32) -> &Node {
        match &self.nodes[x as usize] {
            Some(n) => n,
            None => unreachable!("link to a freed skiplist node"),
        }
    }

    fn node_mut(&mut self, x: u32) -> &mut Node {
        match &mut self.nodes[x as usize] {
            Some(n) => n,
            None => unreachable!("link to a freed skiplist node"),
        }
    }

    fn lv(&self, x: u32, i: usize) -> Level {
        if x == HEAD {
            self.head[i]
        } else {
            self.node(x).levels[i]
        }
    }

    fn lv_mut(&mut self, x: u32, i: usize) -> &mut Level {
        if x == HEAD {
            &mut self.head[i]
        } else {
            &mut self.node_mut(x).levels[i]
        }
    }

    pub fn member(&self, x: u32) -> &[u8] {
        &self.node(x).member
    }

    pub fn score(&self, x: u32) -> f64 {
        self.node(x).score
    }

    pub fn first(&self) -> u32 {
        self.head[0].next
    }

    pub fn last(&self) -> u32 {
        self.tail
    }

    pub fn next(&self, x: u32) -> u32 {
        self.node(x).levels[0].next
    }

    pub fn prev(&self, x: u32) -> u32 {
        self.node(x).prev
    }

    /// Redis's zslRandomLevel: each level with probability 1/4.
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            let mut x = self.seed;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.seed = x;
            let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
            if (r & 0xffff) < 0xffff / 4 && level < MAX_LEVEL {
                level += 1;
            } else {
                return level;
            }
        }
    }

    /// Insert a member known to be absent.
    pub fn insert(&mut self, score: f64, member: &[u8]) -> u32 {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.lv(x, i);
                if l.next != NIL && {
                    let n = self.node(l.next);
                    before(n.score, &n.member, score, member)
                } {
                    rank[i] += l.span;
                    x = l.next;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.head[i].span = self.len as u32;
            }
            self.level = level;
        }
        let node = Node {
            member: ThinBytes::new(member),
            score,
            prev: if update[0] == HEAD { NIL } else { update[0] },
            levels: vec![EMPTY; level].into_boxed_slice(),
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = Some(node);
                i
            }
            None => {
                self.nodes.push(Some(node));
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..level {
            let u = self.lv(update[i], i);
            let span_before = rank[0] - rank[i];
            self.node_mut(idx).levels[i] = Level {
                next: u.next,
                span: u.span - span_before,
            };
            *self.lv_mut(update[i], i) = Level {
                next: idx,
                span: span_before + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.lv_mut(u, i).span += 1;
        }
        let next = self.node(idx).levels[0].next;
        if next != NIL {
            self.node_mut(next).prev = idx;
        } else {
            self.tail = idx;
        }
        self.len += 1;
        idx
    }

    /// The update vector for (score, member): per level, the last node
    /// strictly before it.
    fn path(&self, score: f64, member: &[u8]) -> [u32; MAX_LEVEL] {
        let mut update = [HEAD; MAX_LEVEL];
        self.descend(
            |n| before(n.score, &n.member, score, member),
            |i, x| update[i] = x,
        );
        update
    }

    /// Walk down from the top level, moving right while `ahead` holds for
    /// the next node; `at_level` sees where the walk of each level stopped.
    /// Returns the last node passed (HEAD when none).
    fn descend(&self, ahead: impl Fn(&Node) -> bool, mut at_level: impl FnMut(usize, u32)) -> u32 {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(x, i);
                if l.next != NIL && ahead(self.node(l.next)) {
                    x = l.next;
                } else {
                    break;
                }
            }
            at_level(i, x);
        }
        x
    }

    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let l = self.lv(u, i);
            if l.next == x {
                let xl = self.node(x).levels[i];
                *self.lv_mut(u, i) = Level {
                    next: xl.next,
                    span: l.span + xl.span - 1,
                };
            } else {
                self.lv_mut(u, i).span -= 1;
            }
        }
        let (next, prev) = {
            let n = self.node(x);
            (n.levels[0].next, n.prev)
        };
        if next != NIL {
            self.node_mut(next).prev = prev;
        } else {
            self.tail = prev;
        }
        while self.level > 1 && self.head[self.level - 1].next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        self.nodes[x as usize] = None;
        self.free.push(x);
        if self.len == 0 {
            self.nodes.clear();
            self.free.clear();
        }
    }

    /// Remove (score, member); true when it was there.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> bool {
        let update = self.path(score, member);
        let x = self.lv(update[0], 0).next;
        if x != NIL && self.node(x).score == score && self.node(x).member.as_bytes() == member {
            self.unlink(x, &update);
            return true;
        }
        false
    }

    /// 1-based rank of (score, member), 0 when absent.
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(x, i);
                if l.next == NIL {
                    break;
                }
                let n = self.node(l.next);
                if n.score < score || (n.score == score && n.member.as_bytes() <= member) {
                    rank += l.span as usize;
                    x = l.next;
                } else {
                    break;
                }
            }
            if x != HEAD && self.node(x).member.as_bytes() == member {
                return rank;
            }
        }
        0
    }

    /// The node at 1-based `rank`, or NIL.
    pub fn by_rank(&self, rank: usize) -> u32 {
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(x, i);
                if l.next != NIL && traversed + l.span as usize <= rank {
                    traversed += l.span as usize;
                    x = l.next;
                } else {
                    break;
                }
            }
            if traversed == rank {
                return if x == HEAD { NIL } else { x };
            }
        }
        NIL
    }

    fn overlaps(&self, r: &impl Interval) -> bool {
        if r.is_empty() || self.tail == NIL || self.head[0].next == NIL {
            return false;
        }
        let (last, first) = (self.node(self.tail), self.node(self.head[0].next));
        r.gte_min(&last.member, last.score) && r.lte_max(&first.member, first.score)
    }

    /// First node within the range, or NIL.
    pub fn first_in(&self, r: &impl Interval) -> u32 {
        if !self.overlaps(r) {
            return NIL;
        }
        let before_range = self.descend(|n| !r.gte_min(&n.member, n.score), |_, _| {});
        let x = self.lv(before_range, 0).next;
        if x == NIL || {
            let n = self.node(x);
            !r.lte_max(&n.member, n.score)
        } {
            return NIL;
        }
        x
    }

    /// Last node within the range, or NIL.
    pub fn last_in(&self, r: &impl Interval) -> u32 {
        if !self.overlaps(r) {
            return NIL;
        }
        let x = self.descend(|n| r.lte_max(&n.member, n.score), |_, _| {});
        if x == HEAD || {
            let n = self.node(x);
            !r.gte_min(&n.member, n.score)
        } {
            return NIL;
        }
        x
    }

    /// Remove the run of nodes starting at `first` while `keep_going`
    /// holds for (rank from 1, node); returns the removed members.
    pub fn delete_run(
        &mut self,
        first: u32,
        mut keep_going: impl FnMut(usize, f64, &[u8]) -> bool,
    ) -> Vec<Vec<u8>> {
        let mut removed = Vec::new();
        if first == NIL {
            return removed;
        }
        let (score, member) = (self.node(first).score, self.node(first).member.to_vec());
        let update = self.path(score, &member);
        let mut x = first;
        let mut k = 1;
        while x != NIL {
            let (s, next) = {
                let n = self.node(x);
                (n.score, n.levels[0].next)
            };
            if !keep_going(k, s, &self.node(x).member) {
                break;
            }
            removed.push(self.node(x).member.to_vec());
            self.unlink(x, &update);
            x = next;
            k += 1;
        }
        removed
    }

    /// Approximate heap bytes (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Option<Node>>()
            + self
                .nodes
                .iter()
                .flatten()
                .map(|n| n.member.len() + 1 + n.levels.len() * 8)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(z: &Skiplist) -> Vec<(f64, String)> {
        let mut out = Vec::new();
        let mut x = z.first();
        while x != NIL {
            out.push((
                z.score(x),
                String::from_utf8_lossy(z.member(x)).into_owned(),
            ));
            x = z.next(x);
        }
        out
    }

    #[test]
    fn ranks_and_ranges_stay_consistent() {
        let mut z = Skiplist::new();
        for i in 0..2000u32 {
            let score = f64::from((i * 7919) % 1000);
            z.insert(score, format!("m{i}").as_bytes());
        }
        let all = members(&z);
        assert_eq!(all.len(), 2000);
        assert!(all.windows(2).all(|w| w[0] <= w[1]));
        for (k, (score, m)) in all.iter().enumerate() {
            assert_eq!(z.rank(*score, m.as_bytes()), k + 1);
            let x = z.by_rank(k + 1);
            assert_eq!(z.member(x), m.as_bytes());
        }
        for (score, m) in all.iter().step_by(3) {
            assert!(z.delete(*score, m.as_bytes()));
        }
        assert!(!z.delete(1.0, b"nope"));
        let left = members(&z);
        for (k, (score, m)) in left.iter().enumerate() {
            assert_eq!(z.rank(*score, m.as_bytes()), k + 1);
        }
        let r = ScoreRange {
            min: 10.0,
            max: 20.0,
            min_ex: true,
            max_ex: false,
        };
        let first = z.first_in(&r);
        let last = z.last_in(&r);
        assert!(z.score(first) > 10.0 && z.score(last) <= 20.0);
        let expected = left.iter().filter(|(s, _)| r.contains(*s)).count();
        let span =
            z.rank(z.score(last), z.member(last)) - z.rank(z.score(first), z.member(first)) + 1;
        assert_eq!(span, expected);
        let removed = z.delete_run(first, |_, s, _| r.lte_max(s));
        assert_eq!(removed.len(), expected);
        assert_eq!(z.len(), left.len() - expected);
        assert_eq!(members(&z).len(), z.len());
    }

    #[test]
    fn lex_ranges() {
        let mut z = Skiplist::new();
        for m in ["a", "b", "c", "d"] {
            z.insert(0.0, m.as_bytes());
        }
        let r = LexRange {
            min: LexBound::Excl(b"a".to_vec()),
            max: LexBound::Incl(b"c".to_vec()),
        };
        assert_eq!(z.member(z.first_in(&r)), b"b");
        assert_eq!(z.member(z.last_in(&r)), b"c");
        let all = LexRange {
            min: LexBound::Min,
            max: LexBound::Max,
        };
        assert_eq!(z.member(z.last_in(&all)), b"d");
        let none = LexRange {
            min: LexBound::Max,
            max: LexBound::Min,
        };
        assert_eq!(z.first_in(&none), NIL);
    }
}
