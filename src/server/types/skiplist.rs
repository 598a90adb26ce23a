//! An indexable skiplist ordered by (score, member), as Redis's zskiplist:
//! every forward link carries its span (how many nodes it jumps), so the
//! rank of a node and the node at a rank are found in O(log n), and score
//! or lexicographic ranges start with one O(log n) descent.
//!
//! A node is one allocation: a header (score, backward link, member length
//! and height), its array of levels, then the member's bytes. A hop of a
//! descent reads the next node's score and, on a tie, its member, both in
//! the block the link points to, so it costs one cache miss; Redis's node
//! points to a separate string for its member. The head is a node of
//! [`MAX_LEVEL`] levels and no member.
//!
//! The list also indexes its nodes by member: a hash table
//! ([`MemberIndex`]) whose chains run through a link in each node's
//! header, so ZSCORE, ZRANK and ZREM find a member's node without a second
//! copy of its bytes (Redis's dict shares the member's string with the
//! skiplist node for the same reason).
//!
//! Links are raw pointers owned by the list. Positions handed out
//! ([`Pos`]) borrow the list, so none outlives a change to it.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::marker::PhantomData;
use std::ptr;

use super::super::dict::Rng;
use super::member_index::{Chained, MemberIndex};

pub const MAX_LEVEL: usize = 32;

/// The fixed part of a node block; the levels and the member follow it.
#[repr(C)]
struct Header {
    score: f64,
    /// The previous node, null for the first.
    prev: *mut Header,
    /// Height in the top 8 bits, member length in the low 56.
    meta: u64,
    /// The next node of the member index's bucket chain.
    chain: *mut Header,
}

// SAFETY: a node's member bytes never change while it is linked, and
// `chain` is used by the index alone.
unsafe impl Chained for Header {
    unsafe fn key<'a>(node: *const Header) -> &'a [u8] {
        // SAFETY: per the caller.
        unsafe { member_of(node) }
    }
    unsafe fn chain(node: *mut Header) -> *mut *mut Header {
        // SAFETY: per the caller.
        unsafe { &raw mut (*node).chain }
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Level {
    next: *mut Header,
    span: usize,
}

const HEADER: usize = std::mem::size_of::<Header>();
const LEVEL: usize = std::mem::size_of::<Level>();
const LEN_MASK: u64 = (1 << 56) - 1;

fn layout(height: usize, len: usize) -> Layout {
    let size = HEADER + height * LEVEL + len;
    Layout::from_size_align(size, std::mem::align_of::<Header>())
        .unwrap_or_else(|_| handle_alloc_error(Layout::new::<Header>()))
}

/// A new node block with `height` empty levels.
fn new_node(score: f64, member: &[u8], height: usize) -> *mut Header {
    let l = layout(height, member.len());
    // SAFETY: the layout is non-zero (the header); the block is written in
    // full below: header, `height` levels, then the member bytes.
    unsafe {
        let x = alloc(l).cast::<Header>();
        if x.is_null() {
            handle_alloc_error(l);
        }
        x.write(Header {
            score,
            prev: ptr::null_mut(),
            meta: ((height as u64) << 56) | (member.len() as u64 & LEN_MASK),
            chain: ptr::null_mut(),
        });
        for i in 0..height {
            lv(x, i).write(Level {
                next: ptr::null_mut(),
                span: 0,
            });
        }
        ptr::copy_nonoverlapping(
            member.as_ptr(),
            x.cast::<u8>().add(HEADER + height * LEVEL),
            member.len(),
        );
        x
    }
}

/// # Safety
/// `x` is a live node block.
unsafe fn height(x: *const Header) -> usize {
    // SAFETY: per the caller.
    unsafe { ((*x).meta >> 56) as usize }
}

/// Bytes of the node block (for MEMORY USAGE).
///
/// # Safety
/// `x` is a live node block.
unsafe fn block_size(x: *const Header) -> usize {
    // SAFETY: per the caller.
    unsafe { HEADER + height(x) * LEVEL + ((*x).meta & LEN_MASK) as usize }
}

/// # Safety
/// `x` is a live node block and `i` below its height.
unsafe fn lv(x: *mut Header, i: usize) -> *mut Level {
    // SAFETY: the levels follow the header inside the block.
    unsafe { x.cast::<u8>().add(HEADER).cast::<Level>().add(i) }
}

/// # Safety
/// `x` is a live node block that outlives `'a` unchanged.
unsafe fn member_of<'a>(x: *const Header) -> &'a [u8] {
    // SAFETY: the member's bytes follow the levels inside the block.
    unsafe {
        let len = ((*x).meta & LEN_MASK) as usize;
        std::slice::from_raw_parts(x.cast::<u8>().add(HEADER + height(x) * LEVEL), len)
    }
}

/// # Safety
/// `x` is a live node block no longer linked anywhere.
unsafe fn free_node(x: *mut Header) {
    // SAFETY: the same layout as allocated in `new_node`.
    unsafe {
        let l = layout(height(x), ((*x).meta & LEN_MASK) as usize);
        dealloc(x.cast::<u8>(), l);
    }
}

/// A node of a list borrowed for `'a`, or [`NIL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos<'a>(*const Header, PhantomData<&'a Skiplist>);

/// No node.
pub const NIL: Pos<'static> = Pos(ptr::null(), PhantomData);

impl<'a> Pos<'a> {
    fn new(x: *const Header) -> Pos<'a> {
        Pos(x, PhantomData)
    }

    fn get(self) -> *const Header {
        assert!(!self.0.is_null(), "skiplist position is NIL");
        self.0
    }
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
pub struct Skiplist {
    /// A node of MAX_LEVEL levels holding no member.
    head: *mut Header,
    tail: *mut Header,
    len: usize,
    level: usize,
    /// Sum of the node blocks' sizes.
    bytes: usize,
    seed: u64,
    /// Member → node, over the same blocks.
    index: MemberIndex<Header>,
}

// SAFETY: the list exclusively owns its node blocks (as a Box would), and
// shared access only reads them.
unsafe impl Send for Skiplist {}
// SAFETY: as above.
unsafe impl Sync for Skiplist {}

impl Default for Skiplist {
    fn default() -> Self {
        Skiplist::new()
    }
}

impl Drop for Skiplist {
    fn drop(&mut self) {
        // SAFETY: every node is reached once along level 0, then the head.
        unsafe {
            let mut x = (*lv(self.head, 0)).next;
            while !x.is_null() {
                let next = (*lv(x, 0)).next;
                free_node(x);
                x = next;
            }
            free_node(self.head);
        }
    }
}

impl Clone for Skiplist {
    fn clone(&self) -> Skiplist {
        let mut copy = Skiplist::new();
        copy.seed = self.seed;
        copy.index.reserve(self.len);
        let mut x = self.first();
        while x != NIL {
            copy.insert(self.score(x), self.member(x));
            x = self.next(x);
        }
        copy
    }
}

impl std::fmt::Debug for Skiplist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        let mut x = self.first();
        while x != NIL {
            l.entry(&(self.score(x), String::from_utf8_lossy(self.member(x))));
            x = self.next(x);
        }
        l.finish()
    }
}

/// (score, member) strictly before (score2, member2).
#[inline]
fn before(score: f64, member: &[u8], score2: f64, member2: &[u8]) -> bool {
    score < score2 || (score == score2 && member < member2)
}

impl Skiplist {
    pub fn new() -> Skiplist {
        let head = new_node(0.0, b"", MAX_LEVEL);
        Skiplist {
            head,
            tail: ptr::null_mut(),
            len: 0,
            level: 1,
            bytes: 0,
            seed: 0x9e37_79b9_7f4a_7c15,
            index: MemberIndex::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// One incremental rehash step of the member index.
    pub fn rehash_step(&mut self) {
        self.index.rehash_step();
    }

    /// DEBUG HTSTATS-KEY: the shape of the member index.
    pub fn index_stats(&self) -> String {
        self.index.stats()
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn member<'a>(&self, x: Pos<'a>) -> &'a [u8] {
        // SAFETY: a non-NIL position is a live node of a list borrowed for 'a.
        unsafe { member_of(x.get()) }
    }

    pub fn score(&self, x: Pos<'_>) -> f64 {
        // SAFETY: as in `member`.
        unsafe { (*x.get()).score }
    }

    pub fn first(&self) -> Pos<'_> {
        // SAFETY: the head is live and has MAX_LEVEL levels.
        Pos::new(unsafe { (*lv(self.head, 0)).next })
    }

    pub fn last(&self) -> Pos<'_> {
        Pos::new(self.tail)
    }

    pub fn next<'a>(&self, x: Pos<'a>) -> Pos<'a> {
        // SAFETY: as in `member`; every node has level 0.
        Pos::new(unsafe { (*lv(x.get().cast_mut(), 0)).next })
    }

    pub fn prev<'a>(&self, x: Pos<'a>) -> Pos<'a> {
        // SAFETY: as in `member`.
        Pos::new(unsafe { (*x.get()).prev })
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
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let level = self.random_level();
        let x = new_node(score, member, level);
        // SAFETY: `x` is a fresh block, live until removed from both the
        // list and the index.
        unsafe {
            self.bytes += block_size(x);
            self.link(x);
            self.index.insert(x);
        }
        self.len += 1;
    }

    /// The node of `member`, or NIL.
    pub fn get(&self, member: &[u8]) -> Pos<'_> {
        Pos::new(self.index.get(member))
    }

    /// The score of `member`.
    pub fn score_of(&self, member: &[u8]) -> Option<f64> {
        let x = self.index.get(member);
        // SAFETY: an indexed node is live.
        (!x.is_null()).then(|| unsafe { (*x).score })
    }

    /// Size the member index for `n` members (before a bulk load).
    pub fn reserve(&mut self, n: usize) {
        self.index.reserve(n);
    }

    /// Shrink a member index left sparse by removals.
    pub fn shrink_if_sparse(&mut self) {
        self.index.shrink_if_sparse();
    }

    /// Visit the members (with scores) of the index bucket(s) at `cursor`;
    /// returns the next cursor, 0 at the end (see `Dict::scan`).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        // SAFETY: indexed nodes are live while the list is borrowed.
        self.index
            .scan(cursor, |x| unsafe { visit(member_of(x), (*x).score) })
    }

    /// A member and its score chosen at random.
    pub fn random(&self, rng: &mut Rng) -> Option<(&[u8], f64)> {
        let x = self.index.random(rng);
        // SAFETY: an indexed node is live while the list is borrowed.
        (!x.is_null()).then(|| unsafe { (member_of(x), (*x).score) })
    }

    /// Link the unlinked node `x` at its place by (score, member).
    ///
    /// # Safety
    /// `x` is a live node block of this list's making, not linked.
    unsafe fn link(&mut self, x: *mut Header) {
        // SAFETY: every pointer followed is the head or a linked node; the
        // levels indexed are below each node's height (a node is reached on
        // level i only through a link of level i).
        unsafe {
            let (score, member) = ((*x).score, member_of(x));
            let height = height(x);
            let mut update = [self.head; MAX_LEVEL];
            let mut rank = [0usize; MAX_LEVEL];
            let mut y = self.head;
            for i in (0..self.level).rev() {
                rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
                loop {
                    let l = *lv(y, i);
                    if !l.next.is_null()
                        && before((*l.next).score, member_of(l.next), score, member)
                    {
                        rank[i] += l.span;
                        y = l.next;
                    } else {
                        break;
                    }
                }
                update[i] = y;
            }
            if height > self.level {
                for i in self.level..height {
                    rank[i] = 0;
                    update[i] = self.head;
                    (*lv(self.head, i)).span = self.len;
                }
                self.level = height;
            }
            for i in 0..height {
                let u = lv(update[i], i);
                let span_before = rank[0] - rank[i];
                *lv(x, i) = Level {
                    next: (*u).next,
                    span: (*u).span - span_before,
                };
                *u = Level {
                    next: x,
                    span: span_before + 1,
                };
            }
            for (i, &u) in update.iter().enumerate().take(self.level).skip(height) {
                (*lv(u, i)).span += 1;
            }
            (*x).prev = if update[0] == self.head {
                ptr::null_mut()
            } else {
                update[0]
            };
            let next = (*lv(x, 0)).next;
            if next.is_null() {
                self.tail = x;
            } else {
                (*next).prev = x;
            }
        }
    }

    /// The update vector for (score, member): per level, the last node
    /// strictly before it.
    fn path(&self, score: f64, member: &[u8]) -> [*mut Header; MAX_LEVEL] {
        let mut update = [self.head; MAX_LEVEL];
        self.descend(|s, m| before(s, m, score, member), |i, x| update[i] = x);
        update
    }

    /// Walk down from the top level, moving right while `ahead` holds for
    /// the next node's (score, member); `at_level` sees where the walk of
    /// each level stopped. Returns the last node passed (the head when
    /// none).
    #[inline]
    fn descend(
        &self,
        ahead: impl Fn(f64, &[u8]) -> bool,
        mut at_level: impl FnMut(usize, *mut Header),
    ) -> *mut Header {
        let mut x = self.head;
        // SAFETY: as in `link`.
        unsafe {
            for i in (0..self.level).rev() {
                loop {
                    let next = (*lv(x, i)).next;
                    if !next.is_null() && ahead((*next).score, member_of(next)) {
                        x = next;
                    } else {
                        break;
                    }
                }
                at_level(i, x);
            }
        }
        x
    }

    /// Unlink `x` given its update vector; the block stays allocated.
    ///
    /// # Safety
    /// `x` is a linked node of this list and `update` its path.
    unsafe fn unlink(&mut self, x: *mut Header, update: &[*mut Header; MAX_LEVEL]) {
        // SAFETY: per the caller; levels as in `link`.
        unsafe {
            for (i, &u) in update.iter().enumerate().take(self.level) {
                let l = lv(u, i);
                if (*l).next == x {
                    let xl = *lv(x, i);
                    *l = Level {
                        next: xl.next,
                        span: (*l).span + xl.span - 1,
                    };
                } else {
                    (*l).span -= 1;
                }
            }
            let next = (*lv(x, 0)).next;
            if next.is_null() {
                self.tail = (*x).prev;
            } else {
                (*next).prev = (*x).prev;
            }
            while self.level > 1 && (*lv(self.head, self.level - 1)).next.is_null() {
                self.level -= 1;
            }
        }
        self.len -= 1;
    }

    /// Unlink and free `x`.
    ///
    /// # Safety
    /// As [`Skiplist::unlink`].
    unsafe fn remove_node(&mut self, x: *mut Header, update: &[*mut Header; MAX_LEVEL]) {
        // SAFETY: per the caller; `x` is no longer linked when freed.
        unsafe {
            self.unlink(x, update);
            self.bytes -= block_size(x);
            free_node(x);
        }
    }

    /// Remove `member`; its score when it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let x = self.index.remove(member);
        if x.is_null() {
            return None;
        }
        // SAFETY: `x` was indexed, so it is linked in the list; the path
        // to it is found by its own (score, member).
        unsafe {
            let score = (*x).score;
            let update = self.path(score, member_of(x));
            self.remove_node(x, &update);
            Some(score)
        }
    }

    /// Change the score of `member` to `new`, in place when its neighbours
    /// keep it in order (Redis's zslUpdateScore; found through the index,
    /// so without a descent), otherwise by moving the same block. Returns
    /// the previous score, None when the member is not there.
    pub fn update_score(&mut self, member: &[u8], new: f64) -> Option<f64> {
        let x = self.index.get(member);
        if x.is_null() {
            return None;
        }
        // SAFETY: `x` is indexed, so linked; when it moves it is unlinked
        // along its path and relinked, so the list stays whole. The block
        // (and so the index's view of it) does not change address.
        unsafe {
            let old = (*x).score;
            let member = member_of(x);
            let prev = (*x).prev;
            let next = (*lv(x, 0)).next;
            let after_prev = prev.is_null() || before((*prev).score, member_of(prev), new, member);
            let before_next = next.is_null() || before(new, member, (*next).score, member_of(next));
            if after_prev && before_next {
                (*x).score = new;
                return Some(old);
            }
            let update = self.path(old, member);
            self.unlink(x, &update);
            (*x).score = new;
            self.link(x);
            self.len += 1;
            Some(old)
        }
    }

    /// 1-based rank of (score, member), 0 when absent.
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        let mut x = self.head;
        let mut rank = 0usize;
        // SAFETY: as in `link`.
        unsafe {
            for i in (0..self.level).rev() {
                loop {
                    let l = *lv(x, i);
                    if l.next.is_null() {
                        break;
                    }
                    let n = l.next;
                    if (*n).score < score || ((*n).score == score && member_of(n) <= member) {
                        rank += l.span;
                        x = n;
                    } else {
                        break;
                    }
                }
                if x != self.head && member_of(x) == member {
                    return rank;
                }
            }
        }
        0
    }

    fn node_at(&self, rank: usize) -> *mut Header {
        let mut x = self.head;
        let mut traversed = 0usize;
        // SAFETY: as in `link`.
        unsafe {
            for i in (0..self.level).rev() {
                loop {
                    let l = *lv(x, i);
                    if !l.next.is_null() && traversed + l.span <= rank {
                        traversed += l.span;
                        x = l.next;
                    } else {
                        break;
                    }
                }
                if traversed == rank {
                    return if x == self.head { ptr::null_mut() } else { x };
                }
            }
        }
        ptr::null_mut()
    }

    /// The node at 1-based `rank`, or NIL.
    pub fn by_rank(&self, rank: usize) -> Pos<'_> {
        Pos::new(self.node_at(rank))
    }

    fn overlaps(&self, r: &impl Interval) -> bool {
        if r.is_empty() || self.len == 0 {
            return false;
        }
        let (last, first) = (self.last(), self.first());
        r.gte_min(self.member(last), self.score(last))
            && r.lte_max(self.member(first), self.score(first))
    }

    fn first_node_in(&self, r: &impl Interval) -> *mut Header {
        if !self.overlaps(r) {
            return ptr::null_mut();
        }
        let before_range = self.descend(|s, m| !r.gte_min(m, s), |_, _| {});
        // SAFETY: the descent ends on the head or a linked node.
        unsafe {
            let x = (*lv(before_range, 0)).next;
            if x.is_null() || !r.lte_max(member_of(x), (*x).score) {
                return ptr::null_mut();
            }
            x
        }
    }

    /// First node within the range, or NIL.
    pub fn first_in(&self, r: &impl Interval) -> Pos<'_> {
        Pos::new(self.first_node_in(r))
    }

    /// Last node within the range, or NIL.
    pub fn last_in(&self, r: &impl Interval) -> Pos<'_> {
        if !self.overlaps(r) {
            return NIL;
        }
        let x = self.descend(|s, m| r.lte_max(m, s), |_, _| {});
        if x == self.head {
            return NIL;
        }
        let x = Pos::new(x);
        if !r.gte_min(self.member(x), self.score(x)) {
            return NIL;
        }
        x
    }

    /// Remove the run of nodes from 1-based `rank` on while `keep_going`
    /// holds for (rank within the run from 1, score, member); returns how
    /// many were removed.
    pub fn delete_run_from_rank(
        &mut self,
        rank: usize,
        keep_going: impl FnMut(usize, f64, &[u8]) -> bool,
    ) -> usize {
        let first = self.node_at(rank);
        self.delete_run(first, keep_going)
    }

    /// As [`Skiplist::delete_run_from_rank`] from the first node within
    /// `r`.
    pub fn delete_run_in(
        &mut self,
        r: &impl Interval,
        keep_going: impl FnMut(usize, f64, &[u8]) -> bool,
    ) -> usize {
        let first = self.first_node_in(r);
        self.delete_run(first, keep_going)
    }

    fn delete_run(
        &mut self,
        first: *mut Header,
        mut keep_going: impl FnMut(usize, f64, &[u8]) -> bool,
    ) -> usize {
        let mut removed = 0;
        if first.is_null() {
            return removed;
        }
        // SAFETY: `first` is linked; the path to it stays the path of each
        // following node while the ones between are removed.
        unsafe {
            let update = self.path((*first).score, member_of(first));
            let mut x = first;
            let mut k = 1;
            while !x.is_null() {
                let next = (*lv(x, 0)).next;
                if !keep_going(k, (*x).score, member_of(x)) {
                    break;
                }
                self.index.remove(member_of(x));
                self.remove_node(x, &update);
                removed += 1;
                x = next;
                k += 1;
            }
        }
        removed
    }

    /// Heap bytes (MEMORY USAGE): the node blocks, the head and the
    /// member index's buckets.
    pub fn heap_bytes(&self) -> usize {
        self.bytes + HEADER + MAX_LEVEL * LEVEL + self.index.bucket_bytes()
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
            assert_eq!(z.remove(m.as_bytes()), Some(*score));
        }
        assert_eq!(z.remove(b"nope"), None);
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
        let removed = z.delete_run_in(&r, |_, s, _| r.lte_max(s));
        assert_eq!(removed, expected);
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
    /// Random inserts, score updates and deletions against a sorted model,
    /// checking order, ranks, backward links and the byte count.
    #[test]
    fn matches_a_sorted_model_under_random_changes() {
        let mut z = Skiplist::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        let mut seed = 12345u64;
        let mut rnd = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for step in 0..6000 {
            let m = format!("m{}", rnd(700)).into_bytes();
            let score = rnd(50) as f64;
            let at = model.iter().position(|(_, x)| *x == m);
            match (rnd(3), at) {
                (0, Some(k)) => {
                    let (old, _) = model.remove(k);
                    assert_eq!(z.remove(&m), Some(old));
                }
                (_, Some(k)) => {
                    let old = model[k].0;
                    assert_eq!(z.update_score(&m, score), Some(old));
                    model[k].0 = score;
                }
                (_, None) => {
                    z.insert(score, &m);
                    model.push((score, m));
                }
            }
            model.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            if step % 500 == 0 || step == 5999 {
                assert_eq!(z.len(), model.len());
                let got = members(&z);
                assert_eq!(got.len(), model.len());
                for (k, ((s, m), (ms, mm))) in got.iter().zip(&model).enumerate() {
                    assert_eq!((*s, m.as_bytes()), (*ms, &mm[..]));
                    assert_eq!(z.rank(*ms, mm), k + 1);
                    assert_eq!(z.score_of(mm), Some(*ms));
                    assert_eq!(z.member(z.get(mm)), &mm[..]);
                }
                assert_eq!(z.get(b"absent"), NIL);
                let mut scanned = Vec::new();
                let mut cursor = 0;
                loop {
                    cursor = z.scan(cursor, |m, s| scanned.push((s, m.to_vec())));
                    if cursor == 0 {
                        break;
                    }
                }
                scanned.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
                assert_eq!(scanned, model);
                let mut rng = Rng::new(7);
                if let Some((m, s)) = z.random(&mut rng) {
                    assert!(model.iter().any(|(ms, mm)| *ms == s && mm == m));
                }
                let mut back = Vec::new();
                let mut x = z.last();
                while x != NIL {
                    back.push(z.member(x).to_vec());
                    x = z.prev(x);
                }
                back.reverse();
                assert_eq!(
                    back,
                    model.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>()
                );
                let bytes: usize = model.iter().map(|(_, m)| m.len()).sum();
                assert!(z.heap_bytes() >= bytes);
                let copy = z.clone();
                assert_eq!(members(&copy), got);
            }
        }
        let removed = z.delete_run_from_rank(1, |_, _, _| true);
        assert_eq!(removed, model.len());
        assert!(z.is_empty() && z.first() == NIL && z.last() == NIL);
        assert_eq!(z.get(b"m1"), NIL);
        assert_eq!(z.random(&mut Rng::new(1)), None);
        z.shrink_if_sparse();
        z.insert(1.0, b"again");
        assert_eq!(z.score_of(b"again"), Some(1.0));
    }
}
