//! One direction of a TCP connection put back in order: segments in, each
//! stream byte out exactly once, in order, or an explicit gap.
//!
//! Sequence numbers are 32-bit and wrap; positions here are 64-bit stream
//! offsets (0 = the first byte after the SYN, or the first byte seen when
//! the capture joined mid-stream), so wraparound is handled once, where a
//! sequence number is turned into an offset relative to the next expected
//! byte. Retransmissions and overlaps are trimmed against what was already
//! delivered or buffered (the first copy of a byte wins); segments ahead of
//! the next expected byte wait in a bounded out-of-order buffer.
//!
//! A hole is given up on, and reported as a gap, only when it cannot be
//! filled any more: the peer acknowledged bytes past it (a byte the receiver
//! has is never retransmitted, so the capture dropped it) and a short
//! reordering window has passed; or the hole outlived the retransmission
//! wait; or the out-of-order buffer is full; or the connection ended.

use std::collections::BTreeMap;

/// Time in microseconds since the Unix epoch (capture timestamps).
pub type Micros = u64;

/// What comes out of a direction: stream bytes in order, or a hole.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// `bytes` sit at stream offset `offset`; `ts` is when the segment
    /// carrying them was captured, `ack` that segment's acknowledgement
    /// number (for the other direction).
    Data {
        offset: u64,
        bytes: &'a [u8],
        ts: Micros,
        ack: Option<u32>,
    },
    /// `len` bytes from `offset` will never be seen.
    Gap { offset: u64, len: u64 },
}

/// Bounds and timings of a reassembler.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most bytes held out of order before the first hole is given up.
    pub max_pending: usize,
    /// How long a hole the peer has acknowledged may wait for a reordered
    /// segment.
    pub reorder_window: Micros,
    /// How long any hole may wait for a retransmission.
    pub retransmit_wait: Micros,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_pending: 4 * 1024 * 1024,
            reorder_window: 100_000,
            retransmit_wait: 3_000_000,
        }
    }
}

#[derive(Debug)]
struct Pending {
    data: Vec<u8>,
    ts: Micros,
    ack: Option<u32>,
}

/// Counters of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Bytes received again after they were delivered or buffered.
    pub duplicate: u64,
    /// Segments that arrived ahead of a hole.
    pub out_of_order: u64,
    /// Holes given up on, and the bytes they held.
    pub gaps: u64,
    pub gap_bytes: u64,
}

/// One direction's reassembly state.
#[derive(Debug)]
pub struct Reassembler {
    limits: Limits,
    /// Sequence number of stream offset 0, once known.
    base: Option<u32>,
    /// The next stream offset to deliver.
    next: u64,
    /// Out-of-order segments by offset; they never overlap each other.
    pending: BTreeMap<u64, Pending>,
    pending_bytes: usize,
    /// Stream offset of the FIN, once seen.
    fin: Option<u64>,
    /// When the current hole (bytes missing at `next`) was first noticed.
    hole_since: Option<Micros>,
    /// The highest offset the peer acknowledged, and when it first passed
    /// `next`.
    acked: Option<(u64, Micros)>,
    pub counters: Counters,
}

impl Reassembler {
    pub fn new(limits: Limits) -> Reassembler {
        Reassembler {
            limits,
            base: None,
            next: 0,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            fin: None,
            hole_since: None,
            acked: None,
            counters: Counters::default(),
        }
    }

    /// True once a SYN or a first segment fixed where the stream starts.
    pub fn started(&self) -> bool {
        self.base.is_some()
    }

    /// The next stream offset to be delivered.
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// True when every byte up to the FIN has been delivered.
    pub fn finished(&self) -> bool {
        self.fin.is_some_and(|fin| self.next >= fin)
    }

    /// Bytes held out of order.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// True while something waits on a hole (out-of-order data, or an
    /// acknowledgement past what was seen).
    pub fn has_hole(&self) -> bool {
        !self.pending.is_empty() || self.acked.is_some_and(|(a, _)| a > self.next)
    }

    /// A SYN with sequence number `isn`: the stream starts at `isn + 1`.
    pub fn syn(&mut self, isn: u32) {
        if self.base.is_none() {
            self.base = Some(isn.wrapping_add(1));
        }
    }

    /// The stream offset of sequence number `seq`, read as the nearest one
    /// to the next expected byte (within 2 GiB either way); `None` before the
    /// stream start is known or for numbers before offset 0.
    pub fn offset_of(&self, seq: u32) -> Option<u64> {
        let base = self.base?;
        let expected = base.wrapping_add(self.next as u32);
        let delta = i64::from(seq.wrapping_sub(expected) as i32);
        let offset = self.next as i64 + delta;
        (offset >= 0).then_some(offset as u64)
    }

    /// One segment: `payload` at sequence number `seq`, captured at `ts`.
    /// In-order bytes (and any gaps this forces) go to `out`.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        fin: bool,
        ts: Micros,
        ack: Option<u32>,
        out: &mut dyn FnMut(Piece),
    ) {
        if self.base.is_none() {
            if payload.is_empty() && !fin {
                return;
            }
            // Joined mid-stream: this segment's first byte is offset 0.
            self.base = Some(seq);
        }
        let Some(start) = self.offset_of(seq) else {
            self.counters.duplicate += payload.len() as u64;
            return;
        };
        let end = start + payload.len() as u64;
        if fin && self.fin.is_none() {
            self.fin = Some(end);
        }
        if payload.is_empty() {
            return;
        }
        if end <= self.next {
            self.counters.duplicate += payload.len() as u64;
            return;
        }
        let skip = self.next.saturating_sub(start);
        self.counters.duplicate += skip;
        let (start, payload) = (start + skip, &payload[skip as usize..]);
        if start == self.next {
            self.deliver(start, payload, ts, ack, out);
            self.drain(out);
        } else {
            self.counters.out_of_order += 1;
            self.insert(start, payload, ts, ack);
            if self.hole_since.is_none() {
                self.hole_since = Some(ts);
            }
            while self.pending_bytes > self.limits.max_pending {
                self.skip_hole(out);
            }
        }
    }

    /// The peer acknowledged up to sequence number `ack` (seen at `ts`).
    pub fn acknowledged(&mut self, ack: u32, ts: Micros) {
        let Some(offset) = self.offset_of(ack) else {
            return;
        };
        // A FIN takes a sequence number but is no data.
        let offset = match self.fin {
            Some(fin) => offset.min(fin),
            None => offset,
        };
        if offset <= self.next {
            return;
        }
        match self.acked {
            Some((prev, since)) if prev >= offset => self.acked = Some((prev, since)),
            Some((_, since)) => self.acked = Some((offset, since)),
            None => self.acked = Some((offset, ts)),
        }
    }

    /// Give up holes whose time is up at `now`.
    pub fn expire(&mut self, now: Micros, out: &mut dyn FnMut(Piece)) {
        loop {
            let acked_hole = self
                .acked
                .filter(|&(a, since)| {
                    a > self.next && now.saturating_sub(since) >= self.limits.reorder_window
                })
                .map(|(a, _)| a);
            let stale = self
                .hole_since
                .is_some_and(|since| now.saturating_sub(since) >= self.limits.retransmit_wait);
            if let Some(target) = acked_hole {
                self.skip_to(target, out);
            } else if stale && !self.pending.is_empty() {
                self.skip_hole(out);
            } else {
                return;
            }
        }
    }

    /// The connection is over (FIN, RST, eviction, end of capture): deliver
    /// everything buffered, reporting the holes between.
    pub fn flush(&mut self, out: &mut dyn FnMut(Piece)) {
        while !self.pending.is_empty() {
            self.skip_hole(out);
        }
        let end = self.acked.map(|(a, _)| a).max(self.fin).unwrap_or(0);
        if end > self.next {
            self.skip_to(end, out);
        }
        self.acked = None;
        self.hole_since = None;
    }

    fn deliver(
        &mut self,
        offset: u64,
        bytes: &[u8],
        ts: Micros,
        ack: Option<u32>,
        out: &mut dyn FnMut(Piece),
    ) {
        debug_assert_eq!(offset, self.next);
        self.next = offset + bytes.len() as u64;
        self.counters.delivered += bytes.len() as u64;
        out(Piece::Data {
            offset,
            bytes,
            ts,
            ack,
        });
    }

    /// Deliver buffered segments that now continue the stream.
    fn drain(&mut self, out: &mut dyn FnMut(Piece)) {
        while let Some(entry) = self.pending.first_entry() {
            let start = *entry.key();
            if start > self.next {
                break;
            }
            let p = entry.remove();
            self.pending_bytes -= p.data.len();
            let end = start + p.data.len() as u64;
            if end <= self.next {
                self.counters.duplicate += p.data.len() as u64;
                continue;
            }
            let skip = (self.next - start) as usize;
            self.counters.duplicate += skip as u64;
            self.deliver(self.next, &p.data[skip..], p.ts, p.ack, out);
        }
        if self.pending.is_empty() {
            self.hole_since = None;
        }
        if self.acked.is_some_and(|(a, _)| a <= self.next) {
            self.acked = None;
        }
    }

    /// Buffer a segment ahead of the stream, keeping only the bytes no
    /// buffered segment already holds.
    fn insert(&mut self, start: u64, data: &[u8], ts: Micros, ack: Option<u32>) {
        let end = start + data.len() as u64;
        let mut cursor = start;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        // Segments starting before `start` may cover its beginning.
        if let Some((&s, p)) = self.pending.range(..start).next_back() {
            cursor = cursor.max(s + p.data.len() as u64);
        }
        for (&s, p) in self.pending.range(start..end) {
            if s > cursor {
                pieces.push((cursor, s));
            }
            cursor = cursor.max(s + p.data.len() as u64);
        }
        if cursor < end {
            pieces.push((cursor, end));
        }
        let covered: u64 = pieces.iter().map(|(a, b)| b - a).sum();
        self.counters.duplicate += data.len() as u64 - covered;
        for (a, b) in pieces {
            let slice = &data[(a - start) as usize..(b - start) as usize];
            self.pending_bytes += slice.len();
            self.pending.insert(
                a,
                Pending {
                    data: slice.to_vec(),
                    ts,
                    ack,
                },
            );
        }
    }

    /// Report the hole before the first buffered segment as lost and
    /// continue from that segment.
    fn skip_hole(&mut self, out: &mut dyn FnMut(Piece)) {
        let Some((&first, _)) = self.pending.first_key_value() else {
            return;
        };
        self.gap(first, out);
        self.drain(out);
        // The next hole dates from when the data after it arrived.
        self.hole_since = self.pending.first_key_value().map(|(_, p)| p.ts);
    }

    /// Skip forward to `target`, delivering buffered data on the way and
    /// reporting what is missing as gaps.
    fn skip_to(&mut self, target: u64, out: &mut dyn FnMut(Piece)) {
        while self.next < target {
            match self.pending.first_key_value() {
                Some((&first, _)) if first < target => {
                    self.gap(first, out);
                    self.drain(out);
                }
                _ => {
                    self.gap(target, out);
                    self.drain(out);
                }
            }
        }
        if self.acked.is_some_and(|(a, _)| a <= self.next) {
            self.acked = None;
        }
    }

    fn gap(&mut self, to: u64, out: &mut dyn FnMut(Piece)) {
        if to <= self.next {
            return;
        }
        let len = to - self.next;
        self.counters.gaps += 1;
        self.counters.gap_bytes += len;
        out(Piece::Gap {
            offset: self.next,
            len,
        });
        self.next = to;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a direction delivered: the bytes, with each gap as its length.
    #[derive(Default, Debug, PartialEq)]
    struct Out {
        bytes: Vec<u8>,
        gaps: Vec<(u64, u64)>,
    }

    impl Out {
        fn take(&mut self) -> impl FnMut(Piece) + '_ {
            |p| match p {
                Piece::Data { offset, bytes, .. } => {
                    assert_eq!(offset as usize, self.bytes.len(), "data out of place");
                    self.bytes.extend_from_slice(bytes);
                }
                Piece::Gap { offset, len } => {
                    assert_eq!(offset as usize, self.bytes.len(), "gap out of place");
                    self.gaps.push((offset, len));
                    self.bytes.extend(std::iter::repeat_n(b'?', len as usize));
                }
            }
        }
    }

    fn feed(r: &mut Reassembler, isn: u32, segs: &[(usize, &[u8])], out: &mut Out) {
        for (i, (at, data)) in segs.iter().enumerate() {
            let seq = isn.wrapping_add(1).wrapping_add(*at as u32);
            r.segment(seq, data, false, i as u64, None, &mut out.take());
        }
    }

    #[test]
    fn in_order_out_of_order_and_duplicates() {
        let mut r = Reassembler::new(Limits::default());
        r.syn(100);
        let mut out = Out::default();
        feed(
            &mut r,
            100,
            &[
                (0, b"hello "),
                (11, b"!"),
                (6, b"world"),
                (0, b"hello"),
                (3, b"lo wo"),
            ],
            &mut out,
        );
        assert_eq!(out.bytes, b"hello world!");
        assert!(out.gaps.is_empty());
        assert_eq!(r.counters.duplicate, 10);
        assert_eq!(r.counters.out_of_order, 1);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut r = Reassembler::new(Limits::default());
        let isn = u32::MAX - 3;
        r.syn(isn);
        let mut out = Out::default();
        feed(&mut r, isn, &[(0, b"abcdef"), (6, b"ghij")], &mut out);
        assert_eq!(out.bytes, b"abcdefghij");
        assert_eq!(r.offset_of(isn.wrapping_add(11)), Some(10));
    }

    #[test]
    fn an_acknowledged_hole_becomes_a_gap_after_the_window() {
        let mut r = Reassembler::new(Limits::default());
        r.syn(0);
        let mut out = Out::default();
        r.segment(1, b"aaaa", false, 0, None, &mut out.take());
        r.segment(9, b"cccc", false, 10, None, &mut out.take());
        // The peer has everything: the four bytes at offset 4 were dropped
        // by the capture, not by the network.
        r.acknowledged(13, 20);
        r.expire(50, &mut out.take());
        assert!(out.gaps.is_empty(), "too early");
        r.expire(20 + Limits::default().reorder_window, &mut out.take());
        assert_eq!(out.bytes, b"aaaa????cccc");
        assert_eq!(out.gaps, vec![(4, 4)]);
        assert_eq!(r.counters.gap_bytes, 4);
    }

    #[test]
    fn a_lost_tail_is_reported_when_acknowledged() {
        let mut r = Reassembler::new(Limits::default());
        r.syn(0);
        let mut out = Out::default();
        r.segment(1, b"ab", false, 0, None, &mut out.take());
        r.acknowledged(6, 1);
        r.expire(1_000_000, &mut out.take());
        assert_eq!(out.gaps, vec![(2, 3)]);
        // The late copy is now a duplicate, not new data.
        r.segment(3, b"cde", false, 2_000_000, None, &mut out.take());
        assert_eq!(out.bytes, b"ab???");
    }

    #[test]
    fn full_buffer_and_flush_give_up_holes() {
        let limits = Limits {
            max_pending: 8,
            ..Limits::default()
        };
        let mut r = Reassembler::new(limits);
        r.syn(0);
        let mut out = Out::default();
        r.segment(1, b"a", false, 0, None, &mut out.take());
        r.segment(3, b"cccc", false, 0, None, &mut out.take());
        r.segment(8, b"dddd", false, 0, None, &mut out.take());
        r.segment(13, b"eeee", false, 0, None, &mut out.take());
        // Over the limit: the first hole goes, which is enough.
        assert_eq!(out.bytes, b"a?cccc");
        r.flush(&mut out.take());
        assert_eq!(out.bytes, b"a?cccc?dddd?eeee");
        assert_eq!(r.counters.gaps, 3);
    }

    #[test]
    fn mid_stream_start_and_fin() {
        let mut r = Reassembler::new(Limits::default());
        let mut out = Out::default();
        r.segment(5000, &[], false, 0, Some(1), &mut out.take());
        assert!(!r.started());
        r.segment(5000, b"xyz", true, 0, None, &mut out.take());
        assert_eq!(out.bytes, b"xyz");
        assert!(r.finished());
    }

    proptest! {
        /// Any segmentation of a stream, shuffled and with retransmissions
        /// and overlapping re-sends, comes out as the original stream.
        #[test]
        fn any_segmentation_order_and_duplication(
            data in proptest::collection::vec(any::<u8>(), 0..3000),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
            dups in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..15),
            order in any::<prop::sample::Index>(),
            isn in any::<u32>(),
        ) {
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
            points.push(0);
            points.push(data.len());
            points.sort_unstable();
            points.dedup();
            let mut segs: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
            for (a, b) in &dups {
                let (x, y) = (a.index(data.len() + 1), b.index(data.len() + 1));
                segs.push((x.min(y), x.max(y)));
            }
            // A deterministic shuffle picked by `order`.
            let mut seed = order.index(usize::MAX) as u64 | 1;
            for i in (1..segs.len()).rev() {
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
                segs.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            let mut r = Reassembler::new(Limits::default());
            r.syn(isn);
            let mut out = Out::default();
            for (i, (a, b)) in segs.iter().enumerate() {
                let seq = isn.wrapping_add(1).wrapping_add(*a as u32);
                r.segment(seq, &data[*a..*b], false, i as u64, None, &mut out.take());
            }
            r.flush(&mut out.take());
            prop_assert!(out.gaps.is_empty(), "gaps {:?}", out.gaps);
            prop_assert_eq!(&out.bytes, &data);
            prop_assert_eq!(r.pending_bytes(), 0);
            prop_assert_eq!(r.counters.delivered, data.len() as u64);
        }

        /// Dropping one segment (and every copy of it) leaves exactly that
        /// range as a gap once the connection is flushed.
        #[test]
        fn a_dropped_segment_is_exactly_one_gap(
            data in proptest::collection::vec(any::<u8>(), 3..2000),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 2..30),
            drop in any::<prop::sample::Index>(),
        ) {
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len())).collect();
            points.push(0);
            points.push(data.len());
            points.sort_unstable();
            points.dedup();
            let segs: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
            let lost = drop.index(segs.len());
            let mut r = Reassembler::new(Limits::default());
            r.syn(7);
            let mut out = Out::default();
            for (i, (a, b)) in segs.iter().enumerate() {
                if i != lost {
                    r.segment(8 + *a as u32, &data[*a..*b], false, 0, None, &mut out.take());
                }
            }
            // The receiver acknowledged everything.
            r.acknowledged(8 + data.len() as u32, 0);
            r.flush(&mut out.take());
            let (a, b) = segs[lost];
            prop_assert_eq!(out.gaps, vec![(a as u64, (b - a) as u64)]);
            prop_assert_eq!(&out.bytes[..a], &data[..a]);
            prop_assert_eq!(&out.bytes[b..], &data[b..]);
        }
    }
}
