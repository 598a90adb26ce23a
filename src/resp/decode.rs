//! Incremental decoding of RESP2/RESP3 frames from a byte buffer.
//!
//! Framing happens in two steps, as network code needs it: [`Decoder::check`]
//! says whether one whole frame is at the start of the buffer and, if so, its
//! exact length (replication offsets and byte-exact reports depend on that);
//! [`Decoder::parse`] builds the [`Frame`], slicing bulk payloads out of the
//! shared `Bytes` buffer instead of copying them. Both walk the buffer with
//! the same code, so they cannot disagree.
//!
//! An incomplete buffer is not an error of the input: it yields
//! [`DecodeError::Incomplete`] with a lower bound of the bytes still needed.
//! Every declared length is checked against [`Limits`] before anything is
//! allocated, aggregate capacity is bounded by the bytes actually present, and
//! nesting is bounded by `max_depth`, so no input can make the decoder
//! allocate without bound or overflow the stack.

use bytes::Bytes;
use std::fmt;

use super::frame::Frame;

/// Bounds on what a peer may declare. Defaults mirror Redis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest bulk string (and bulk error, verbatim string); Redis's
    /// `proto-max-bulk-len` default is 512 MiB.
    pub max_bulk_len: usize,
    /// Most elements in one aggregate (map pairs count once each).
    pub max_aggregate_len: usize,
    /// Deepest nesting of aggregates; a top-level scalar has depth 0.
    pub max_depth: usize,
}

/// The ceiling on `max_depth`: the decoder recurses once per level.
pub const MAX_DEPTH_CEILING: usize = 1024;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_aggregate_len: 1024 * 1024,
            max_depth: 128,
        }
    }
}

/// Why a buffer does not start with a valid frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The frame so far is valid but ends early; read more and retry.
    #[error("incomplete frame: needs at least {needed} more bytes")]
    Incomplete { needed: usize },
    /// The bytes at `offset` (from the start of the buffer) break the protocol.
    #[error("at byte {offset}: {problem}")]
    Invalid { offset: usize, problem: Problem },
}

impl DecodeError {
    /// The same error with its offset moved by `base` (for callers that
    /// decode a window of a larger stream).
    pub fn shifted(self, base: usize) -> DecodeError {
        match self {
            DecodeError::Invalid { offset, problem } => DecodeError::Invalid {
                offset: offset + base,
                problem,
            },
            other => other,
        }
    }
}

/// What was wrong, phrased as what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error(
        "unknown type byte {}: expected one of + - : $ * _ # , ( ! = % ~ > |",
        ShowByte(*.0)
    )]
    UnknownType(u8),
    #[error("type byte {} is RESP3-only and RESP2 was required", ShowByte(*.0))]
    Resp3Only(u8),
    #[error("expected CRLF, found {}", ShowByte(*.0))]
    ExpectedCrlf(u8),
    #[error("line is longer than {0} bytes without a CRLF")]
    LineTooLong(usize),
    #[error("expected a length (decimal integer), found {0:?}")]
    InvalidLength(String),
    #[error("negative length {0} (only -1, a null, is allowed here)")]
    NegativeLength(i64),
    #[error("bulk length {len} exceeds the limit of {max} bytes")]
    BulkTooLong { len: u64, max: usize },
    #[error("aggregate of {len} elements exceeds the limit of {max}")]
    AggregateTooLong { len: u64, max: usize },
    #[error("nesting deeper than the limit of {0} levels")]
    TooDeep(usize),
    #[error("expected a signed 64-bit integer, found {0:?}")]
    InvalidInteger(String),
    #[error("expected a double (digits, inf, -inf or nan), found {0:?}")]
    InvalidDouble(String),
    #[error("expected a boolean 't' or 'f', found {0:?}")]
    InvalidBoolean(String),
    #[error("expected an empty line after the null type byte '_', found {0:?}")]
    InvalidNull(String),
    #[error("expected a big number (optional sign and digits), found {0:?}")]
    InvalidBigNumber(String),
    #[error("verbatim string must start with a 3-byte format and ':'")]
    InvalidVerbatim,
    #[error("CR inside a simple line (simple strings and errors cannot contain CR or LF)")]
    CrInLine,
    #[error("streamed RESP3 strings and aggregates ('?' lengths) are not supported")]
    Streamed,
}

/// A byte shown the way a reader can recognise it: `'$'`, `'\r'`, `'\xff'`.
struct ShowByte(u8);

impl fmt::Display for ShowByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0.escape_ascii())
    }
}

/// A RESP decoder with its limits and dialect.
#[derive(Clone, Copy, Debug, Default)]
pub struct Decoder {
    limits: Limits,
    resp2_only: bool,
}

/// A header line (`$123`, `*2`, `+OK`) is bounded so that a peer cannot make
/// us buffer forever while waiting for its CRLF; 20 digits and a sign fit.
const MAX_NUMBER_LINE: usize = 32;

/// The fewest bytes any frame can take (`_\r\n`, `:0\r\n` is longer).
const MIN_FRAME_LEN: usize = 3;

impl Decoder {
    pub fn new(limits: Limits) -> Decoder {
        let limits = Limits {
            max_depth: limits.max_depth.min(MAX_DEPTH_CEILING),
            ..limits
        };
        Decoder {
            limits,
            resp2_only: false,
        }
    }

    /// Reject the RESP3-only types (for peers that must speak RESP2).
    pub fn resp2_only(mut self, yes: bool) -> Decoder {
        self.resp2_only = yes;
        self
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The exact length of the frame at the start of `buf`, validating it
    /// fully without building anything.
    pub fn check(&self, buf: &[u8]) -> Result<usize, DecodeError> {
        let walker = Walker {
            dec: self,
            buf,
            owner: None,
        };
        walker.frame::<false>(0, 0).map(|(_, end)| end)
    }

    /// Parse the frame at the start of `buf`: the frame and its length.
    /// Payloads are slices of `buf` (no copies).
    pub fn parse(&self, buf: &Bytes) -> Result<(Frame, usize), DecodeError> {
        let walker = Walker {
            dec: self,
            buf,
            owner: Some(buf),
        };
        walker
            .frame::<true>(0, 0)
            .map(|(frame, end)| (frame.unwrap_or(Frame::Null), end))
    }

    /// Like [`Decoder::parse`] for a plain slice; payloads are copied.
    pub fn parse_slice(&self, buf: &[u8]) -> Result<(Frame, usize), DecodeError> {
        let walker = Walker {
            dec: self,
            buf,
            owner: None,
        };
        walker
            .frame::<true>(0, 0)
            .map(|(frame, end)| (frame.unwrap_or(Frame::Null), end))
    }
}

impl Decoder {
    /// The spans (relative to `buf`) of the direct children of the
    /// aggregate frame at the start of `buf`: elements in order, maps and
    /// attributes as key, value, key, value, and for an attribute the
    /// annotated frame last. Empty for scalars. For reports that show where
    /// each nested frame sits in the stream.
    pub fn children(&self, buf: &[u8]) -> Result<Vec<std::ops::Range<usize>>, DecodeError> {
        let walker = Walker {
            dec: self,
            buf,
            owner: None,
        };
        let Some(&kind) = buf.first() else {
            return incomplete(MIN_FRAME_LEN);
        };
        if !matches!(kind, b'*' | b'~' | b'>' | b'%' | b'|') {
            return Ok(Vec::new());
        }
        let (count, mut next) = walker.length(1)?;
        let count = count.unwrap_or(0);
        let paired = matches!(kind, b'%' | b'|');
        let elements = count as usize * if paired { 2 } else { 1 } + usize::from(kind == b'|');
        let mut spans = Vec::with_capacity(elements.min(buf.len() / MIN_FRAME_LEN));
        for _ in 0..elements {
            let len = self.check(&buf[next..]).map_err(|e| e.shifted(next))?;
            spans.push(next..next + len);
            next += len;
        }
        Ok(spans)
    }
}

/// Check with default limits.
pub fn check(buf: &[u8]) -> Result<usize, DecodeError> {
    Decoder::default().check(buf)
}

/// Parse with default limits.
pub fn parse(buf: &Bytes) -> Result<(Frame, usize), DecodeError> {
    Decoder::default().parse(buf)
}

fn invalid<T>(offset: usize, problem: Problem) -> Result<T, DecodeError> {
    Err(DecodeError::Invalid { offset, problem })
}

fn incomplete<T>(needed: usize) -> Result<T, DecodeError> {
    Err(DecodeError::Incomplete {
        needed: needed.max(1),
    })
}

/// Lossy text of a short slice, for error messages.
fn lossy(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(40)];
    String::from_utf8_lossy(shown).into_owned()
}

/// One pass over a buffer. With `BUILD` it returns frames; without, only
/// lengths; the two instantiations share every rule.
struct Walker<'a> {
    dec: &'a Decoder,
    buf: &'a [u8],
    owner: Option<&'a Bytes>,
}

impl Walker<'_> {
    fn bytes(&self, start: usize, end: usize) -> Bytes {
        match self.owner {
            Some(owner) => owner.slice(start..end),
            None => Bytes::copy_from_slice(&self.buf[start..end]),
        }
    }

    /// The line starting at `start`: (content end, position after CRLF).
    /// `max` bounds the content length.
    fn line(&self, start: usize, max: usize) -> Result<(usize, usize), DecodeError> {
        let window_end = self
            .buf
            .len()
            .min(start.saturating_add(max).saturating_add(2));
        let window = &self.buf[start.min(window_end)..window_end];
        match memchr::memchr(b'\n', window) {
            Some(i) => {
                let lf = start + i;
                if lf == start || self.buf[lf - 1] != b'\r' {
                    return invalid(lf, Problem::ExpectedCrlf(b'\n'));
                }
                let end = lf - 1;
                if let Some(cr) = memchr::memchr(b'\r', &self.buf[start..end]) {
                    return invalid(start + cr, Problem::CrInLine);
                }
                Ok((end, lf + 1))
            }
            None if window_end < self.buf.len() || window.len() >= max.saturating_add(2) => {
                invalid(start, Problem::LineTooLong(max))
            }
            None => incomplete(if self.buf.last() == Some(&b'\r') {
                1
            } else {
                2
            }),
        }
    }

    /// A length line: -1 means null (None), anything below is an error.
    fn length(&self, start: usize) -> Result<(Option<u64>, usize), DecodeError> {
        let (end, next) = self.line(start, MAX_NUMBER_LINE)?;
        let text = &self.buf[start..end];
        if text.first() == Some(&b'?') {
            return invalid(start, Problem::Streamed);
        }
        match parse_i64(text) {
            Some(-1) => Ok((None, next)),
            Some(n) if n < 0 => invalid(start, Problem::NegativeLength(n)),
            Some(n) => Ok((Some(n as u64), next)),
            None => invalid(start, Problem::InvalidLength(lossy(text))),
        }
    }

    /// `len` payload bytes at `start` followed by CRLF: the position after.
    fn payload(&self, start: usize, len: u64) -> Result<usize, DecodeError> {
        let max = self.dec.limits.max_bulk_len;
        if len > max as u64 {
            return invalid(start, Problem::BulkTooLong { len, max });
        }
        let end = start + len as usize;
        let have = self.buf.len() - start;
        if have < len as usize + 2 {
            // Report a wrong terminator as soon as its first byte is here.
            if let Some(&b) = self.buf.get(end)
                && b != b'\r'
            {
                return invalid(end, Problem::ExpectedCrlf(b));
            }
            return incomplete(len as usize + 2 - have);
        }
        if self.buf[end] != b'\r' {
            return invalid(end, Problem::ExpectedCrlf(self.buf[end]));
        }
        if self.buf[end + 1] != b'\n' {
            return invalid(end + 1, Problem::ExpectedCrlf(self.buf[end + 1]));
        }
        Ok(end + 2)
    }

    fn frame<const BUILD: bool>(
        &self,
        pos: usize,
        depth: usize,
    ) -> Result<(Option<Frame>, usize), DecodeError> {
        let Some(&kind) = self.buf.get(pos) else {
            return incomplete(MIN_FRAME_LEN);
        };
        let body = pos + 1;
        if self.dec.resp2_only && !matches!(kind, b'+' | b'-' | b':' | b'$' | b'*') {
            return if is_type_byte(kind) {
                invalid(pos, Problem::Resp3Only(kind))
            } else {
                invalid(pos, Problem::UnknownType(kind))
            };
        }
        match kind {
            b'+' | b'-' => {
                let (end, next) = self.line(body, self.dec.limits.max_bulk_len)?;
                let frame = BUILD.then(|| {
                    let text = self.bytes(body, end);
                    if kind == b'+' {
                        Frame::Simple(text)
                    } else {
                        Frame::Error(text)
                    }
                });
                Ok((frame, next))
            }
            b':' => {
                let (end, next) = self.line(body, MAX_NUMBER_LINE)?;
                let text = &self.buf[body..end];
                let text = text.strip_prefix(b"+").unwrap_or(text);
                match parse_i64(text) {
                    Some(n) => Ok((BUILD.then_some(Frame::Integer(n)), next)),
                    None => invalid(body, Problem::InvalidInteger(lossy(text))),
                }
            }
            b'$' | b'!' | b'=' => {
                let (len, start) = self.length(body)?;
                let Some(len) = len else {
                    if kind == b'$' {
                        return Ok((BUILD.then_some(Frame::NullBulk), start));
                    }
                    return invalid(body, Problem::NegativeLength(-1));
                };
                let next = self.payload(start, len)?;
                let end = next - 2;
                if kind == b'=' && (len < 4 || self.buf[start + 3] != b':') {
                    return invalid(start, Problem::InvalidVerbatim);
                }
                let frame = BUILD.then(|| match kind {
                    b'$' => Frame::Bulk(self.bytes(start, end)),
                    b'!' => Frame::BulkError(self.bytes(start, end)),
                    _ => {
                        let b = self.buf;
                        Frame::Verbatim {
                            format: [b[start], b[start + 1], b[start + 2]],
                            text: self.bytes(start + 4, end),
                        }
                    }
                });
                Ok((frame, next))
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => self.aggregate::<BUILD>(kind, pos, depth),
            b'_' => {
                let (end, next) = self.line(body, MAX_NUMBER_LINE)?;
                if end != body {
                    return invalid(body, Problem::InvalidNull(lossy(&self.buf[body..end])));
                }
                Ok((BUILD.then_some(Frame::Null), next))
            }
            b'#' => {
                let (end, next) = self.line(body, MAX_NUMBER_LINE)?;
                match &self.buf[body..end] {
                    b"t" => Ok((BUILD.then_some(Frame::Boolean(true)), next)),
                    b"f" => Ok((BUILD.then_some(Frame::Boolean(false)), next)),
                    other => invalid(body, Problem::InvalidBoolean(lossy(other))),
                }
            }
            b',' => {
                let (end, next) = self.line(body, 512)?;
                let text = &self.buf[body..end];
                match parse_double(text) {
                    Some(d) => Ok((BUILD.then_some(Frame::Double(d)), next)),
                    None => invalid(body, Problem::InvalidDouble(lossy(text))),
                }
            }
            b'(' => {
                let (end, next) = self.line(body, self.dec.limits.max_bulk_len)?;
                let text = &self.buf[body..end];
                let digits = text.strip_prefix(b"-").or(text.strip_prefix(b"+"));
                let digits = digits.unwrap_or(text);
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return invalid(body, Problem::InvalidBigNumber(lossy(text)));
                }
                Ok((BUILD.then(|| Frame::BigNumber(self.bytes(body, end))), next))
            }
            other => invalid(pos, Problem::UnknownType(other)),
        }
    }

    fn aggregate<const BUILD: bool>(
        &self,
        kind: u8,
        pos: usize,
        depth: usize,
    ) -> Result<(Option<Frame>, usize), DecodeError> {
        let body = pos + 1;
        let (count, mut next) = self.length(body)?;
        let Some(count) = count else {
            if kind == b'*' {
                return Ok((BUILD.then_some(Frame::NullArray), next));
            }
            return invalid(body, Problem::NegativeLength(-1));
        };
        let max = self.dec.limits.max_aggregate_len;
        if count > max as u64 {
            return invalid(body, Problem::AggregateTooLong { len: count, max });
        }
        if depth + 1 > self.dec.limits.max_depth {
            return invalid(pos, Problem::TooDeep(self.dec.limits.max_depth));
        }
        let paired = matches!(kind, b'%' | b'|');
        // Frames to read: maps and attributes hold pairs; an attribute is
        // followed by the frame it annotates.
        let elements = count as usize * if paired { 2 } else { 1 } + usize::from(kind == b'|');
        // Capacity is bounded by what the buffer can hold, not by the claim.
        let room = (self.buf.len() - next) / MIN_FRAME_LEN;
        let mut items = Vec::with_capacity(if BUILD { elements.min(room) } else { 0 });
        for i in 0..elements {
            match self.frame::<BUILD>(next, depth + 1) {
                Ok((frame, end)) => {
                    if let Some(frame) = frame {
                        items.push(frame);
                    }
                    next = end;
                }
                Err(DecodeError::Incomplete { needed }) => {
                    let rest = (elements - i - 1) * MIN_FRAME_LEN;
                    return incomplete(needed + rest);
                }
                Err(e) => return Err(e),
            }
        }
        if !BUILD {
            return Ok((None, next));
        }
        let frame = match kind {
            b'*' => Frame::Array(items),
            b'~' => Frame::Set(items),
            b'>' => Frame::Push(items),
            b'%' => Frame::Map(pairs(items)),
            _ => {
                let frame = items.pop().unwrap_or(Frame::Null);
                Frame::Attribute {
                    attributes: pairs(items),
                    frame: Box::new(frame),
                }
            }
        };
        Ok((Some(frame), next))
    }
}

fn pairs(items: Vec<Frame>) -> Vec<(Frame, Frame)> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    out
}

fn is_type_byte(b: u8) -> bool {
    b"+-:$*_#,(!=%~>|".contains(&b)
}

/// Strict decimal i64: optional '-', at least one digit, nothing else.
pub fn parse_i64(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(d - b'0');
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(digit)?
        } else {
            value.checked_add(digit)?
        };
    }
    Some(value)
}

/// A RESP3 double: decimal or exponent notation, `inf`, `-inf`, `nan`.
fn parse_double(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(text).ok()?;
    match text.to_ascii_lowercase().as_str() {
        "inf" | "+inf" => return Some(f64::INFINITY),
        "-inf" => return Some(f64::NEG_INFINITY),
        "nan" | "-nan" | "+nan" => return Some(f64::NAN),
        _ => {}
    }
    // Rust also accepts "infinity" and friends; RESP does not.
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    text.parse().ok()
}
