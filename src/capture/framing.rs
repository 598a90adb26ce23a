//! One direction's reassembled bytes cut into RESP frames: requests (as a
//! Redis server frames them) on the client side, replies (RESP2/RESP3) on
//! the server side, each with the stream offset, capture times of its
//! first and last byte, and the acknowledgement the segment carrying its
//! first byte held for the other direction.
//!
//! After a gap, or when the capture joined a connection mid-stream, the
//! bytes at hand may begin inside a frame. The framer then looks for a
//! boundary it can prove: a position at a segment start or right after a
//! CRLF from which whole frames parse without error up to exactly the end
//! of a segment (senders write whole frames, so segment ends fall on frame
//! ends). Bytes skipped on the way are counted.

use std::collections::VecDeque;

use bytes::{Buf, BytesMut};

use super::reassembly::{Micros, Piece};
use crate::resp::request::{Arg, RequestLimits, parse_request, parse_request_into};
use crate::resp::{DecodeError, Decoder, FrameKind};

/// Which end wrote the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// A whole frame cut from the stream, borrowed from the captured bytes
/// (or the framer's buffer when it spanned segments) for the time of the
/// call: whoever keeps something copies it.
#[derive(Debug)]
pub struct Framed<'a> {
    pub offset: u64,
    pub len: usize,
    pub first_ts: Micros,
    pub last_ts: Micros,
    /// The other direction's stream offset acknowledged by the segment that
    /// carried the first byte, when known.
    pub peer: Option<u64>,
    /// The frame's bytes.
    pub raw: &'a [u8],
    pub body: Body<'a>,
}

#[derive(Debug)]
pub enum Body<'a> {
    /// A request's arguments, as ranges of `raw` (empty requests, which
    /// Redis ignores, are not reported).
    Request(&'a [Arg]),
    /// A reply: `raw` holds one whole, valid RESP frame.
    Reply,
}

/// The type of the whole, valid reply frame `raw`, as [`crate::resp::Frame::kind`]
/// would give it, read from its first bytes without building the frame.
pub fn reply_kind(raw: &[u8]) -> FrameKind {
    let null = raw.get(1) == Some(&b'-');
    match raw.first() {
        Some(b'+') => FrameKind::Simple,
        Some(b'-') => FrameKind::Error,
        Some(b':') => FrameKind::Integer,
        Some(b'$') if null => FrameKind::Null,
        Some(b'$') => FrameKind::Bulk,
        Some(b'*') if null => FrameKind::Null,
        Some(b'*') => FrameKind::Array,
        Some(b'#') => FrameKind::Boolean,
        Some(b',') => FrameKind::Double,
        Some(b'(') => FrameKind::BigNumber,
        Some(b'!') => FrameKind::BulkError,
        Some(b'=') => FrameKind::Verbatim,
        Some(b'%') => FrameKind::Map,
        Some(b'~') => FrameKind::Set,
        Some(b'|') => FrameKind::Attribute,
        Some(b'>') => FrameKind::Push,
        _ => FrameKind::Null,
    }
}

/// What the framer reports.
#[derive(Debug)]
pub enum Framing<'a> {
    Frame(Framed<'a>),
    /// Bytes from `offset` were lost; frames stop until a boundary is found.
    Lost {
        offset: u64,
        len: u64,
    },
    /// The bytes at `offset` break the protocol (or a frame outgrew the
    /// buffer); frames stop until a boundary is found.
    Invalid {
        offset: u64,
        message: String,
    },
    /// Frames resume at `offset` after `skipped` bytes that could not be
    /// placed.
    Resynced {
        offset: u64,
        skipped: u64,
    },
}

#[derive(Clone, Copy, Debug)]
struct Chunk {
    offset: u64,
    ts: Micros,
    peer: Option<u64>,
}

/// Bytes kept while searching for a boundary without finding a candidate.
const RESYNC_KEEP: usize = 64 * 1024;

/// Cuts one direction into frames.
#[derive(Debug)]
pub struct Framer {
    side: Side,
    decoder: Decoder,
    max_frame: usize,
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    start: u64,
    /// Where each delivered segment begins, for the bytes in `buf`.
    chunks: VecDeque<Chunk>,
    /// Looking for a frame boundary (after a gap, an error, or mid-stream).
    resync: bool,
    /// In resync, the first position not yet ruled out.
    scan_from: usize,
    /// Bytes dropped while resynchronising.
    skipped: u64,
    /// The arguments of the request [`Framer::next_len`] framed last (the
    /// client side parses each request once).
    args: Vec<Arg>,
}

impl Framer {
    /// A framer for `side`; `synced` is false when the stream is joined
    /// mid-way.
    pub fn new(side: Side, decoder: Decoder, max_frame: usize, synced: bool) -> Framer {
        Framer {
            side,
            decoder,
            max_frame,
            buf: BytesMut::new(),
            start: 0,
            chunks: VecDeque::new(),
            resync: !synced,
            scan_from: 0,
            skipped: 0,
            args: Vec::new(),
        }
    }

    /// Bytes buffered waiting for the rest of a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Take one piece of the stream; report frames and events to `out`.
    /// `peer` is the piece's acknowledgement translated to the other
    /// direction's stream offset.
    pub fn push(&mut self, piece: &Piece, peer: Option<u64>, out: &mut dyn FnMut(Framing)) {
        match *piece {
            Piece::Gap { offset, len } => {
                self.skipped += self.buf.len() as u64;
                self.clear(offset + len);
                self.resync = true;
                out(Framing::Lost { offset, len });
            }
            Piece::Data {
                offset, bytes, ts, ..
            } => {
                let mut used = 0;
                if self.buf.is_empty() {
                    self.start = offset;
                    self.chunks.clear();
                    if !self.resync {
                        used = self.frame_in_place(bytes, ts, peer, out);
                        if used == bytes.len() {
                            return;
                        }
                        self.start = offset + used as u64;
                    }
                }
                self.chunks.push_back(Chunk { offset, ts, peer });
                self.buf.extend_from_slice(&bytes[used..]);
                self.extract(out);
            }
        }
    }

    /// The common case, a segment that starts at a frame boundary: cut the
    /// whole frames it holds straight from its bytes, with no copy, and
    /// return how many bytes they took. What is left (a frame continued in
    /// the next segment, bytes that do not parse, a frame over the limit)
    /// goes through the buffer, which reports it exactly as if the whole
    /// segment had been buffered.
    fn frame_in_place(
        &mut self,
        bytes: &[u8],
        ts: Micros,
        peer: Option<u64>,
        out: &mut dyn FnMut(Framing),
    ) -> usize {
        let mut used = 0;
        while used < bytes.len() {
            let rest = &bytes[used..];
            let len = match self.side {
                Side::Client => match simple_request(rest, &mut self.args) {
                    Some(len) => len,
                    None => match parse_request_into(
                        rest,
                        &RequestLimits::default(),
                        true,
                        &mut self.args,
                    ) {
                        Ok(Some(len)) => len,
                        _ => break,
                    },
                },
                Side::Server => match simple_reply(rest, &self.decoder) {
                    Some(len) => len,
                    None => match self.decoder.check(rest) {
                        Ok(len) => len,
                        Err(_) => break,
                    },
                },
            };
            if !(self.side == Side::Client && self.args.is_empty()) {
                out(Framing::Frame(Framed {
                    offset: self.start + used as u64,
                    len,
                    first_ts: ts,
                    last_ts: ts,
                    peer,
                    raw: &rest[..len],
                    body: match self.side {
                        Side::Client => Body::Request(&self.args),
                        Side::Server => Body::Reply,
                    },
                }));
            }
            used += len;
        }
        used
    }

    /// Forget the buffer; the stream continues at `offset`.
    fn clear(&mut self, offset: u64) {
        self.buf.clear();
        self.chunks.clear();
        self.start = offset;
        self.scan_from = 0;
    }

    fn extract(&mut self, out: &mut dyn FnMut(Framing)) {
        loop {
            if self.resync && !self.find_boundary(out) {
                return;
            }
            match self.next_len() {
                Ok(Some(len)) => self.emit(len, out),
                Ok(None) => return,
                Err(message) => {
                    out(Framing::Invalid {
                        offset: self.start,
                        message,
                    });
                    self.resync = true;
                    // The faulty position itself is not a boundary.
                    self.scan_from = 1;
                }
            }
        }
    }

    /// The length of the whole frame at the start of the buffer; `None`
    /// when more bytes are needed.
    fn next_len(&mut self) -> Result<Option<usize>, String> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let framed = match self.side {
            Side::Client => match simple_request(&self.buf, &mut self.args) {
                Some(len) => Ok(Some(len)),
                None => {
                    match parse_request_into(
                        &self.buf,
                        &RequestLimits::default(),
                        true,
                        &mut self.args,
                    ) {
                        Ok(n) => Ok(n),
                        Err(e) => Err(e.to_string()),
                    }
                }
            },
            Side::Server => match simple_reply(&self.buf, &self.decoder) {
                Some(len) => Ok(Some(len)),
                None => frame_len(self.side, &self.decoder, &self.buf),
            },
        };
        match framed {
            Ok(Some(len)) => Ok(Some(len)),
            Ok(None) if self.buf.len() > self.max_frame => Err(format!(
                "frame larger than the {} byte limit (--max-frame)",
                self.max_frame
            )),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn emit(&mut self, len: usize, out: &mut dyn FnMut(Framing)) {
        let offset = self.start;
        let first = self.chunk_at(offset);
        let last = self.chunk_at(offset + len as u64 - 1);
        // `next_len` just parsed a request into `args`; empty requests are
        // not reported.
        if !(self.side == Side::Client && self.args.is_empty()) {
            out(Framing::Frame(Framed {
                offset,
                len,
                first_ts: first.ts,
                last_ts: last.ts.max(first.ts),
                peer: first.peer,
                raw: &self.buf[..len],
                body: match self.side {
                    Side::Client => Body::Request(&self.args),
                    Side::Server => Body::Reply,
                },
            }));
        }
        self.buf.advance(len);
        self.start += len as u64;
        while self.chunks.len() > 1 && self.chunks[1].offset <= self.start {
            self.chunks.pop_front();
        }
    }

    /// The chunk holding stream offset `at`.
    fn chunk_at(&self, at: u64) -> Chunk {
        // Mostly the buffer holds one segment's bytes.
        if self.chunks.len() == 1 {
            return self.chunks[0];
        }
        let i = self.chunks.partition_point(|c| c.offset <= at);
        self.chunks[i.saturating_sub(1)]
    }

    fn is_chunk_start(&self, at: u64) -> bool {
        self.chunks.binary_search_by(|c| c.offset.cmp(&at)).is_ok()
    }

    /// In resync: drop bytes up to a provable frame boundary. True when one
    /// was found (frames can be cut again), false when more data is needed.
    fn find_boundary(&mut self, out: &mut dyn FnMut(Framing)) -> bool {
        let mut p = self.scan_from;
        while p < self.buf.len() {
            let abs = self.start + p as u64;
            let candidate = (self.is_chunk_start(abs)
                || (p >= 2 && &self.buf[p - 2..p] == b"\r\n"))
                && self.plausible_start(self.buf[p]);
            if candidate {
                match self.verify(p) {
                    Verdict::Accept => {
                        self.buf.advance(p);
                        self.start = abs;
                        while self.chunks.len() > 1 && self.chunks[1].offset <= self.start {
                            self.chunks.pop_front();
                        }
                        self.skipped += p as u64;
                        self.resync = false;
                        self.scan_from = 0;
                        out(Framing::Resynced {
                            offset: abs,
                            skipped: std::mem::take(&mut self.skipped),
                        });
                        return true;
                    }
                    Verdict::Wait => {
                        self.scan_from = p;
                        return false;
                    }
                    Verdict::Reject => {}
                }
            }
            p += 1;
        }
        self.scan_from = p;
        // Nothing here can start a frame: keep a small tail (a CRLF may
        // continue into the next segment) and bound what is held.
        if self.buf.len() > RESYNC_KEEP {
            let drop = self.buf.len() - 2;
            self.buf.advance(drop);
            self.skipped += drop as u64;
            self.start += drop as u64;
            self.scan_from = 2;
            while self.chunks.len() > 1 && self.chunks[1].offset <= self.start {
                self.chunks.pop_front();
            }
            if let Some(first) = self.chunks.front_mut() {
                first.offset = first.offset.max(self.start);
            }
        }
        false
    }

    fn plausible_start(&self, b: u8) -> bool {
        match self.side {
            Side::Client => b == b'*',
            Side::Server => b"+-:$*_#,(!=%~>|".contains(&b),
        }
    }

    /// Do whole frames parse from `p` to the end of a segment?
    fn verify(&self, p: usize) -> Verdict {
        let mut q = p;
        loop {
            let rest = &self.buf[q..];
            match frame_len(self.side, &self.decoder, rest) {
                Ok(Some(len)) => {
                    if self.side == Side::Client && !looks_like_command(rest) {
                        return Verdict::Reject;
                    }
                    q += len;
                    if q == self.buf.len() || self.is_chunk_start(self.start + q as u64) {
                        return Verdict::Accept;
                    }
                }
                Ok(None) if self.buf.len() - p > self.max_frame => return Verdict::Reject,
                Ok(None) => return Verdict::Wait,
                Err(_) => return Verdict::Reject,
            }
        }
    }
}

enum Verdict {
    Accept,
    Wait,
    Reject,
}

/// The length of the frame at the start of `buf`, `None` if incomplete.
fn frame_len(side: Side, decoder: &Decoder, buf: &[u8]) -> Result<Option<usize>, String> {
    match side {
        Side::Client => match parse_request(buf, &RequestLimits::default(), true) {
            Ok(Some(req)) => Ok(Some(req.consumed)),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        },
        Side::Server => match decoder.check(buf) {
            Ok(len) => Ok(Some(len)),
            Err(DecodeError::Incomplete { .. }) => Ok(None),
            Err(e) => Err(e.to_string()),
        },
    }
}

/// A short decimal count at `at`: `0`, or up to 9 digits not starting
/// with 0, then CR and one more byte (present, unchecked: Redis skips
/// it). Its value and the position after that byte; `None` for any other
/// shape, or when not all of it is there.
#[inline]
fn short_count(buf: &[u8], at: usize) -> Option<(usize, usize)> {
    let first = *buf.get(at)?;
    let mut value = usize::from(first.wrapping_sub(b'0'));
    if value > 9 {
        return None;
    }
    let mut i = at + 1;
    loop {
        let b = *buf.get(i)?;
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            if b != b'\r' {
                return None;
            }
            break;
        }
        value = value * 10 + usize::from(digit);
        i += 1;
        if i - at > 9 {
            return None;
        }
    }
    if first == b'0' && i - at > 1 {
        return None;
    }
    (i + 1 < buf.len()).then_some((value, i + 2))
}

/// Arguments of a request the fast way takes; more go the full way.
const SIMPLE_ARGS: usize = 1024;

/// The request at the start of `buf` when it has the shape clients send
/// (a multibulk of a few bulk strings with plain decimal lengths, all of
/// it present): its length, with its arguments in `args`. `None` for
/// anything else (inline requests, odd numbers, errors, an incomplete
/// request), which the full parser then frames, so what it accepts is
/// framed exactly as the full parser frames it, only with less work.
fn simple_request(buf: &[u8], args: &mut Vec<Arg>) -> Option<usize> {
    if buf.first() != Some(&b'*') {
        return None;
    }
    let (count, mut pos) = short_count(buf, 1)?;
    if count == 0 || count > SIMPLE_ARGS {
        return None;
    }
    args.clear();
    for _ in 0..count {
        if buf.get(pos) != Some(&b'$') {
            return None;
        }
        let (len, start) = short_count(buf, pos + 1)?;
        if len as u64 > RequestLimits::default().max_bulk_len {
            return None;
        }
        let end = start + len;
        if buf.len() < end + 2 {
            return None;
        }
        args.push(Arg::Range(start..end));
        pos = end + 2;
    }
    Some(pos)
}

/// The length of the reply at the start of `buf` when it is one of the
/// common short shapes (`+OK`, `:12`, `$-1`, `$5` and its payload), whole
/// and valid as [`Decoder::check`] judges it; `None` for anything else,
/// which `check` then decides.
fn simple_reply(buf: &[u8], decoder: &Decoder) -> Option<usize> {
    /// Where the CRLF ending a line of digits (after an optional `-`) at
    /// `at` is, for at most 18 digits.
    fn digits_end(buf: &[u8], at: usize) -> Option<usize> {
        let from = at + usize::from(buf.get(at) == Some(&b'-'));
        let mut i = from;
        while buf.get(i)?.is_ascii_digit() {
            i += 1;
            if i - from > 18 {
                return None;
            }
        }
        (i > from && buf[i] == b'\r' && *buf.get(i + 1)? == b'\n').then_some(i)
    }
    match *buf.first()? {
        b'+' => {
            let mut i = 1;
            loop {
                match *buf.get(i)? {
                    b'\r' => break,
                    b'\n' => return None,
                    _ => {}
                }
                i += 1;
                if i > 1024 {
                    return None;
                }
            }
            (*buf.get(i + 1)? == b'\n').then_some(i + 2)
        }
        b':' => digits_end(buf, 1).map(|i| i + 2),
        b'$' if buf.get(1) == Some(&b'-') => buf.starts_with(b"$-1\r\n").then_some(5),
        b'$' => {
            let cr = digits_end(buf, 1)?;
            if cr - 1 > 9 {
                return None;
            }
            let len = buf[1..cr]
                .iter()
                .fold(0usize, |v, d| v * 10 + usize::from(d - b'0'));
            if len > decoder.limits().max_bulk_len {
                return None;
            }
            let end = cr + 2 + len;
            (buf.get(end..end + 2)? == b"\r\n").then_some(end + 2)
        }
        _ => None,
    }
}

/// A multibulk whose first argument looks like a command name (letters,
/// digits, `-`, `_`, `|`, `.`, at most 64 bytes): guards resynchronisation
/// against request-shaped bytes inside a value.
fn looks_like_command(buf: &[u8]) -> bool {
    let Ok(Some(req)) = parse_request(buf, &RequestLimits::default(), true) else {
        return false;
    };
    let Some(first) = req.args.first() else {
        return false;
    };
    let name = first.bytes(buf);
    !name.is_empty()
        && name.len() <= 64
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_|.".contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(offset: u64, bytes: &[u8]) -> Piece<'_> {
        Piece::Data {
            offset,
            bytes,
            ts: offset,
            ack: None,
        }
    }

    fn run(framer: &mut Framer, pieces: &[Piece]) -> Vec<String> {
        let mut seen = Vec::new();
        for p in pieces {
            framer.push(p, None, &mut |f| {
                seen.push(match f {
                    Framing::Frame(fr) => match fr.body {
                        Body::Request(args) => format!(
                            "req@{} {}",
                            fr.offset,
                            args.iter()
                                .map(|a| String::from_utf8_lossy(a.bytes(fr.raw)).into_owned())
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                        Body::Reply => format!("reply@{} {:?}", fr.offset, reply_kind(fr.raw)),
                    },
                    Framing::Lost { offset, len } => format!("lost@{offset}+{len}"),
                    Framing::Invalid { offset, .. } => format!("invalid@{offset}"),
                    Framing::Resynced { offset, skipped } => format!("resync@{offset}-{skipped}"),
                })
            });
        }
        seen
    }

    const SET: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";

    #[test]
    fn frames_across_segments_with_times() {
        let mut f = Framer::new(Side::Client, Decoder::default(), 1 << 20, true);
        let mut firsts = Vec::new();
        let pieces = [
            data(0, &SET[..5]),
            data(5, &SET[5..]),
            data(27, b"PING\r\n"),
        ];
        for p in &pieces {
            f.push(p, Some(9), &mut |e| {
                if let Framing::Frame(fr) = e {
                    firsts.push((fr.offset, fr.first_ts, fr.last_ts, fr.peer));
                }
            });
        }
        assert_eq!(firsts, vec![(0, 0, 5, Some(9)), (27, 27, 27, Some(9))]);
    }

    #[test]
    fn resync_after_a_gap_at_a_proven_boundary() {
        let mut f = Framer::new(Side::Client, Decoder::default(), 1 << 20, true);
        let mut tail = SET[10..].to_vec();
        tail.extend_from_slice(SET);
        let seen = run(
            &mut f,
            &[
                data(0, &SET[..4]),
                Piece::Gap { offset: 4, len: 6 },
                data(10, &tail),
            ],
        );
        assert_eq!(seen, vec!["lost@4+6", "resync@27-21", "req@27 SET k v"]);
    }

    #[test]
    fn mid_stream_replies_wait_for_a_segment_end() {
        let mut f = Framer::new(Side::Server, Decoder::default(), 1 << 20, false);
        // Joined inside a frame; ":1" after a CRLF parses but the bytes
        // after it do not, so only the next segment start is a boundary.
        let seen = run(
            &mut f,
            &[
                data(100, b"lo\r\n:1\r\nx\r\n"),
                data(111, b"+OK\r\n$2\r\nhi\r\n"),
            ],
        );
        assert_eq!(
            seen,
            vec!["resync@111-11", "reply@111 Simple", "reply@116 Bulk"]
        );
        let mut f = Framer::new(Side::Server, Decoder::default(), 1 << 20, false);
        let seen = run(&mut f, &[data(7, b"xyz\r\n+OK\r\n")]);
        assert_eq!(seen, vec!["resync@12-5", "reply@12 Simple"]);
    }

    #[test]
    fn invalid_bytes_are_reported_then_skipped() {
        let mut f = Framer::new(Side::Server, Decoder::default(), 1 << 20, true);
        let seen = run(&mut f, &[data(0, b"+OK\r\n?junk\r\n"), data(12, b":5\r\n")]);
        assert_eq!(
            seen,
            vec![
                "reply@0 Simple",
                "invalid@5",
                "resync@12-7",
                "reply@12 Integer"
            ]
        );
    }

    /// Every prefix and one-byte mutation of `good`.
    fn variants(good: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for cut in 0..=good.len() {
            out.push(good[..cut].to_vec());
        }
        for at in 0..good.len() {
            for b in *b"0129-+$*:\r\nax " {
                let mut v = good.to_vec();
                v[at] = b;
                out.push(v);
            }
        }
        out
    }

    #[test]
    fn the_fast_request_path_agrees_with_the_full_parser() {
        let requests: [&[u8]; 5] = [
            b"*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxyz\r\n",
            b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n",
            b"*2\r\n$3\r\nGET\r\n$0\r\n\r\n",
            b"*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n",
            b"GET k\r\n",
        ];
        let mut fast_taken = 0;
        for good in requests {
            for v in variants(good) {
                let mut fast = Vec::new();
                let mut full = Vec::new();
                let Some(len) = simple_request(&v, &mut fast) else {
                    continue;
                };
                fast_taken += 1;
                let want = parse_request_into(&v, &RequestLimits::default(), true, &mut full);
                assert_eq!(want, Ok(Some(len)), "{:?}", String::from_utf8_lossy(&v));
                assert_eq!(fast, full, "{:?}", String::from_utf8_lossy(&v));
            }
        }
        assert!(fast_taken > 50, "the fast path took only {fast_taken}");
    }

    #[test]
    fn the_fast_reply_path_agrees_with_check() {
        let replies: [&[u8]; 7] = [
            b"+OK\r\n",
            b":12345\r\n",
            b":-7\r\n",
            b"$-1\r\n",
            b"$5\r\nhello\r\n",
            b"$0\r\n\r\n",
            b"*2\r\n$1\r\na\r\n:1\r\n",
        ];
        let decoder = Decoder::default();
        let mut fast_taken = 0;
        for good in replies {
            for v in variants(good) {
                let Some(len) = simple_reply(&v, &decoder) else {
                    continue;
                };
                fast_taken += 1;
                assert_eq!(
                    decoder.check(&v),
                    Ok(len),
                    "{:?}",
                    String::from_utf8_lossy(&v)
                );
            }
        }
        assert!(fast_taken > 30, "the fast path took only {fast_taken}");
    }

    #[test]
    fn oversized_frames_are_refused() {
        let mut f = Framer::new(Side::Server, Decoder::default(), 16, true);
        let seen = run(&mut f, &[data(0, b"$100\r\n0123456789012345678901")]);
        assert_eq!(seen, vec!["invalid@0"]);
    }
}
