//! Client requests as a Redis server frames them: a multibulk array of bulk
//! strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or an inline line
//! (`GET k\r\n`, as telnet sends it, with Redis's quoting rules).
//!
//! This is deliberately not the general frame decoder: the server follows
//! Redis's own framing, including its exact protocol-error texts, its
//! leniencies (an empty or negative multibulk is a no-op; the two bytes after
//! a bulk payload are skipped, not checked) and its limits on unauthenticated
//! clients. Arguments come back as ranges into the caller's buffer so the
//! caller decides whether to copy.

use std::ops::Range;

use super::number::string2ll;

/// Redis's PROTO_INLINE_MAX_SIZE: the longest inline request, and the
/// longest multibulk/bulk count line.
pub const INLINE_MAX: usize = 64 * 1024;

/// Limits a server applies to requests.
#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: u64,
    /// Redis refuses multibulk counts above INT_MAX.
    pub max_multibulk_len: u64,
}

impl Default for RequestLimits {
    fn default() -> RequestLimits {
        RequestLimits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as u64,
        }
    }
}

/// Before authentication Redis accepts at most 10 arguments of 16 KiB.
const UNAUTH_MAX_MULTIBULK: i64 = 10;
const UNAUTH_MAX_BULK: i64 = 16 * 1024;

/// A request that breaks the protocol. The server replies with
/// `-{message}` and closes the connection, as Redis does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct ProtocolError {
    /// Redis's reply text, e.g. "Protocol error: invalid bulk length".
    pub message: String,
    /// Offset in the buffer of the bytes at fault.
    pub offset: usize,
}

fn protocol<T>(offset: usize, message: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError {
        message: message.into(),
        offset,
    })
}

/// One framed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Bytes the request occupied at the start of the buffer.
    pub consumed: usize,
    /// Arguments, empty for requests Redis ignores (blank lines, `*0`).
    pub args: Vec<Arg>,
}

/// An argument: either a range of the input buffer, or bytes an inline
/// request produced by unquoting (which do not exist in the buffer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Range(Range<usize>),
    Owned(Vec<u8>),
}

impl Arg {
    /// The argument's bytes, given the buffer the request was parsed from.
    pub fn bytes<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        match self {
            Arg::Range(r) => &buf[r.clone()],
            Arg::Owned(v) => v,
        }
    }
}

/// Frame the request at the start of `buf`. `Ok(None)` means read more.
pub fn parse_request(
    buf: &[u8],
    limits: &RequestLimits,
    authenticated: bool,
) -> Result<Option<Request>, ProtocolError> {
    let mut args = Vec::new();
    Ok(parse_request_into(buf, limits, authenticated, &mut args)?
        .map(|consumed| Request { consumed, args }))
}

/// Like [`parse_request`], reusing `args` (cleared first) so a server
/// framing millions of requests allocates no vector per request. Returns
/// the bytes consumed; `Ok(None)` means read more (`args` is then
/// unspecified).
pub fn parse_request_into(
    buf: &[u8],
    limits: &RequestLimits,
    authenticated: bool,
    args: &mut Vec<Arg>,
) -> Result<Option<usize>, ProtocolError> {
    args.clear();
    match buf.first() {
        None => Ok(None),
        Some(b'*') => parse_multibulk(buf, limits, authenticated, args),
        Some(_) => parse_inline(buf, args),
    }
}

/// The count after `*` or `$`, up to the CR. `Ok(None)`: line not complete.
fn count_line(
    buf: &[u8],
    start: usize,
    too_big: &str,
) -> Result<Option<(Option<i64>, usize)>, ProtocolError> {
    if let Some(found) = short_count(buf, start) {
        return Ok(Some(found));
    }
    let Some(cr) = memchr::memchr(b'\r', &buf[start..]) else {
        if buf.len() - start > INLINE_MAX {
            return protocol(start, too_big);
        }
        return Ok(None);
    };
    let cr = start + cr;
    // Redis needs the byte after CR to be present and skips it unchecked.
    if cr + 1 >= buf.len() {
        return Ok(None);
    }
    // An empty line (the CR right at `start`, where `$` or `*` belongs) has
    // no count; the caller reports the missing `$`.
    let count = buf.get(start + 1..cr).and_then(string2ll);
    Ok(Some((count, cr + 2)))
}

/// The common case of [`count_line`] without a search: a count of 1 to 18
/// digits, no sign, no leading zero (what every client sends), its CR and
/// the byte after it in the buffer. Anything else (`0`, negative, too long,
/// incomplete, malformed) is `None`, left to the general path, which then
/// gives the same answer this one would have.
#[inline]
fn short_count(buf: &[u8], start: usize) -> Option<(Option<i64>, usize)> {
    let digits = buf.get(start + 1..)?;
    let first = *digits.first()?;
    if !first.is_ascii_digit() || first == b'0' {
        return None;
    }
    let mut n = i64::from(first - b'0');
    for (i, &b) in digits.iter().enumerate().skip(1).take(18) {
        match b {
            b'0'..=b'9' if i < 18 => n = n * 10 + i64::from(b - b'0'),
            b'\r' => {
                let cr = start + 1 + i;
                return (cr + 1 < buf.len()).then_some((Some(n), cr + 2));
            }
            _ => return None,
        }
    }
    None
}

fn parse_multibulk(
    buf: &[u8],
    limits: &RequestLimits,
    authenticated: bool,
    args: &mut Vec<Arg>,
) -> Result<Option<usize>, ProtocolError> {
    let Some((count, mut pos)) = count_line(buf, 0, "Protocol error: too big mbulk count string")?
    else {
        return Ok(None);
    };
    let count = match count {
        Some(n) if n <= limits.max_multibulk_len as i64 => n,
        _ => return protocol(1, "Protocol error: invalid multibulk length"),
    };
    if count > UNAUTH_MAX_MULTIBULK && !authenticated {
        return protocol(1, "Protocol error: unauthenticated multibulk length");
    }
    if count <= 0 {
        return Ok(Some(pos));
    }
    // Each argument takes at least 6 bytes ("$0\r\n\r\n"), so the buffer
    // bounds the allocation whatever the count claims.
    args.reserve((count as usize).min(buf.len() / 6 + 1));
    for _ in 0..count {
        let Some(&first) = buf.get(pos) else {
            return Ok(None);
        };
        let Some((len, start)) = count_line(buf, pos, "Protocol error: too big bulk count string")?
        else {
            return Ok(None);
        };
        if first != b'$' {
            let shown = first as char;
            return protocol(pos, format!("Protocol error: expected '$', got '{shown}'"));
        }
        let len = match len {
            Some(n) if n >= 0 && n as u64 <= limits.max_bulk_len => n,
            _ => return protocol(pos + 1, "Protocol error: invalid bulk length"),
        };
        if len > UNAUTH_MAX_BULK && !authenticated {
            return protocol(pos + 1, "Protocol error: unauthenticated bulk length");
        }
        let end = start + len as usize;
        if buf.len() < end + 2 {
            return Ok(None);
        }
        args.push(Arg::Range(start..end));
        pos = end + 2;
    }
    Ok(Some(pos))
}

/// When `buf` holds the start of a multibulk request whose first
/// incomplete argument is a bulk of at least `big` bytes, the offset of
/// that argument's data and the length the request needs up to its end
/// (its CRLF included). A
/// server reads such an argument into a buffer of its size, as Redis does
/// for arguments of 32 KiB and more, instead of growing by doubling. None
/// for anything else (including malformed input: the parser reports that).
pub fn incomplete_big_bulk(buf: &[u8], big: usize) -> Option<(usize, usize)> {
    if buf.first() != Some(&b'*') {
        return None;
    }
    let (count, mut pos) = count_line(buf, 0, "").ok()??;
    for _ in 0..count? {
        if buf.get(pos) != Some(&b'$') {
            return None;
        }
        let (len, start) = count_line(buf, pos, "").ok()??;
        let end = start.checked_add(usize::try_from(len?).ok()?)?;
        if buf.len() < end + 2 {
            return (end - start >= big).then_some((start, end + 2));
        }
        pos = end + 2;
    }
    None
}

fn parse_inline(buf: &[u8], args: &mut Vec<Arg>) -> Result<Option<usize>, ProtocolError> {
    let Some(lf) = memchr::memchr(b'\n', buf) else {
        if buf.len() > INLINE_MAX {
            return protocol(0, "Protocol error: too big inline request");
        }
        return Ok(None);
    };
    let end = if lf > 0 && buf[lf - 1] == b'\r' {
        lf - 1
    } else {
        lf
    };
    // Redis splits a C string: a NUL byte ends the line early.
    let line = &buf[..end];
    let line = &line[..memchr::memchr(0, line).unwrap_or(line.len())];
    match split_args(line) {
        Some(words) => {
            args.extend(words.into_iter().map(Arg::Owned));
            Ok(Some(lf + 1))
        }
        None => protocol(0, "Protocol error: unbalanced quotes in request"),
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Split a line into words the way redis-cli and inline requests do:
/// blanks separate words, "double quotes" take \n \r \t \b \a \xHH and
/// \<any> escapes, 'single quotes' take only \'. A closing quote must be
/// followed by a blank or the end. `None` for unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut words = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(words);
        }
        let mut word = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && let (Some(hi), Some(lo)) = (hex(at(p + 2)), hex(at(p + 3)))
                {
                    word.push(hi * 16 + lo);
                    p += 4;
                    continue;
                }
                if c == b'\\' && p + 1 < line.len() {
                    word.push(match at(p + 1) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    p += 2;
                } else if c == b'"' {
                    if p + 1 < line.len() && !is_space(at(p + 1)) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if p >= line.len() {
                    return None;
                } else {
                    word.push(c);
                    p += 1;
                }
            } else if in_single {
                if c == b'\\' && at(p + 1) == b'\'' {
                    word.push(b'\'');
                    p += 2;
                } else if c == b'\'' {
                    if p + 1 < line.len() && !is_space(at(p + 1)) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if p >= line.len() {
                    return None;
                } else {
                    word.push(c);
                    p += 1;
                }
            } else {
                match c {
                    _ if p >= line.len() => break,
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        p += 1;
                        break;
                    }
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    _ => word.push(c),
                }
                p += 1;
            }
        }
        words.push(word);
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod big_bulk_tests {
    use super::incomplete_big_bulk;

    #[test]
    fn a_big_incomplete_argument_announces_its_end() {
        assert_eq!(
            incomplete_big_bulk(b"*2\r\n$3\r\nSET\r\n$100\r\nab", 64),
            Some((19, 121))
        );
        assert_eq!(
            incomplete_big_bulk(b"*2\r\n$3\r\nSET\r\n$100\r\nab", 101),
            None
        );
        assert_eq!(incomplete_big_bulk(b"*1\r\n$10", 1), None);
        assert_eq!(incomplete_big_bulk(b"*1\r\n$3\r\nGET\r\n", 1), None);
        assert_eq!(incomplete_big_bulk(b"GET k", 1), None);
        assert_eq!(incomplete_big_bulk(b"*1\r\n$-5\r\n", 1), None);
    }
}
