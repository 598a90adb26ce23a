//! The replication backlog: the last `repl-backlog-size` bytes of the
//! replication stream in a ring, so a replica that lost its link can ask
//! for the bytes it missed (`PSYNC <replid> <offset>`) instead of a whole
//! new snapshot.
//!
//! Offsets are Redis's: the stream's first byte is offset 1, and the
//! backlog holds `first_offset() ..= end_offset()`. A replica that has
//! processed `n` bytes asks for `n + 1`; anything from `first_offset()` to
//! `end_offset() + 1` (nothing missed) can be served.

/// A ring of the newest stream bytes, at most `repl-backlog-size` of them.
/// Memory follows use: until the stream has filled the configured size the
/// ring is a plain buffer that grows with it, so a large setting costs only
/// what the stream wrote (Redis's backlog likewise grows in blocks).
pub struct Backlog {
    /// While shorter than `capacity`, holds exactly the bytes fed so far
    /// (not wrapped, `next == ring.len()`); then a full ring.
    ring: Vec<u8>,
    capacity: usize,
    /// Where the next byte goes.
    next: usize,
    /// Bytes held (at most the ring's size).
    histlen: usize,
    /// Offset of the newest byte (the master's `master_repl_offset`).
    end: u64,
}

impl Backlog {
    /// An empty backlog of `size` bytes whose next byte is `end + 1`.
    pub fn new(size: usize, end: u64) -> Backlog {
        Backlog {
            ring: Vec::new(),
            capacity: size.max(1),
            next: 0,
            histlen: 0,
            end,
        }
    }

    pub fn size(&self) -> usize {
        self.capacity
    }

    /// Bytes allocated for the ring now.
    pub fn allocated(&self) -> usize {
        self.ring.capacity()
    }

    pub fn histlen(&self) -> usize {
        self.histlen
    }

    /// Offset of the oldest byte held (`end + 1` when empty), Redis's
    /// `repl_backlog_first_byte_offset`.
    pub fn first_offset(&self) -> u64 {
        self.end + 1 - self.histlen as u64
    }

    /// Append stream bytes; the oldest fall out when the ring is full.
    pub fn feed(&mut self, mut data: &[u8]) {
        self.end += data.len() as u64;
        let size = self.capacity;
        if data.len() > size {
            data = &data[data.len() - size..];
        }
        if self.ring.len() < size {
            let need = self.ring.len() + data.len();
            if need < size {
                if self.ring.capacity() < need {
                    let want = (self.ring.capacity() * 2).clamp(need, size);
                    self.ring.reserve_exact(want - self.ring.len());
                }
                self.ring.extend_from_slice(data);
                self.next = self.ring.len();
                self.histlen = self.ring.len();
                return;
            }
            // Filling up: from here on a full ring.
            self.next = self.ring.len();
            self.ring.reserve_exact(size - self.ring.len());
            self.ring.resize(size, 0);
        }
        if data.len() > size {
            data = &data[data.len() - size..];
        }
        let first = (size - self.next).min(data.len());
        self.ring[self.next..self.next + first].copy_from_slice(&data[..first]);
        let rest = data.len() - first;
        self.ring[..rest].copy_from_slice(&data[first..]);
        self.next = (self.next + data.len()) % size;
        self.histlen = (self.histlen + data.len()).min(size);
    }

    /// Whether a replica asking for `offset` (the next byte it wants) can
    /// continue from here.
    pub fn covers(&self, offset: u64) -> bool {
        offset >= self.first_offset() && offset <= self.end + 1
    }

    /// The bytes from `offset` to the end (the caller checked `covers`).
    pub fn since(&self, offset: u64) -> Vec<u8> {
        let skip = (offset - self.first_offset()) as usize;
        let len = self.histlen - skip;
        if len == 0 {
            return Vec::new();
        }
        let size = self.ring.len();
        let start = (self.next + size - self.histlen + skip) % size;
        let mut out = Vec::with_capacity(len);
        let first = (size - start).min(len);
        out.extend_from_slice(&self.ring[start..start + first]);
        out.extend_from_slice(&self.ring[..len - first]);
        out
    }

    /// A new size, keeping the newest bytes that fit.
    pub fn resize(&mut self, size: usize) {
        if size.max(1) == self.capacity {
            return;
        }
        let kept = self.since(self.end + 1 - self.histlen.min(size.max(1)) as u64);
        let end = self.end;
        *self = Backlog::new(size, end - kept.len() as u64);
        self.feed(&kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_follows_use_not_the_configured_size() {
        let mut b = Backlog::new(100 << 30, 0);
        assert_eq!(b.size(), 100 << 30);
        assert_eq!(b.allocated(), 0);
        b.feed(&[7; 1000]);
        assert!(b.allocated() < 4096, "{}", b.allocated());
        assert_eq!(b.since(1), vec![7; 1000]);
        let mut small = Backlog::new(10, 0);
        for chunk in [&b"abc"[..], b"defg", b"hij", b"kl"] {
            small.feed(chunk);
        }
        assert_eq!(small.since(small.first_offset()), b"cdefghijkl");
        assert_eq!(small.allocated(), 10);
    }

    #[test]
    fn keeps_the_newest_bytes_across_wraps() {
        let mut b = Backlog::new(8, 0);
        assert_eq!(b.first_offset(), 1);
        assert!(b.covers(1));
        assert!(!b.covers(2));
        b.feed(b"abcde");
        assert_eq!(b.since(1), b"abcde");
        b.feed(b"fghij");
        assert_eq!((b.first_offset(), b.histlen()), (3, 8));
        assert_eq!(b.since(3), b"cdefghij");
        assert_eq!(b.since(9), b"ij");
        assert_eq!(b.since(11), b"");
        assert!(!b.covers(2) && b.covers(3) && b.covers(11) && !b.covers(12));
        b.feed(b"0123456789xyz");
        assert_eq!((b.first_offset(), b.since(16)), (16, b"56789xyz".to_vec()));
        b.resize(4);
        assert_eq!(b.since(b.first_offset()), b"9xyz");
        b.resize(16);
        assert_eq!(b.since(b.first_offset()), b"9xyz");
        b.feed(b"!");
        assert_eq!(b.since(b.first_offset()), b"9xyz!");
        assert_eq!(b.first_offset(), 20);
    }
}
