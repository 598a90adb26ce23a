//! Reply writers: append RESP2 or RESP3 replies straight into a client's
//! output buffer, choosing the encoding from the protocol the client speaks
//! (null is `$-1` or `_`, a map is a flat array or `%`, a double is a bulk
//! string or `,`), and counting error replies for INFO errorstats.

use crate::resp::encode;

use super::copy;
use super::numeric::format_g17;

/// The most capacity a drained output buffer keeps (Redis's
/// PROTO_REPLY_CHUNK_BYTES, the size of its static reply buffer).
pub const REPLY_KEPT: usize = 16 * 1024;

/// A client's pending output plus what is needed to encode into it.
#[derive(Default)]
pub struct Reply {
    /// Bytes not yet written to the socket start at `sent`.
    pub buf: Vec<u8>,
    pub sent: usize,
    pub resp3: bool,
    /// Error codes ("ERR", "WRONGTYPE") of errors replied by the command
    /// being executed; drained by the loop into INFO errorstats.
    pub errors: Vec<String>,
    /// The command replied an error already counted in errorstats where
    /// it arose (a script passing on the error of a command it called):
    /// the command still counts as failed.
    pub failed_uncounted: bool,
    /// Byte ranges of `buf` written as pub/sub pushes (subscription
    /// confirmations, messages) by the command being executed: CLIENT
    /// REPLY OFF/SKIP drops the command's replies but not these, as Redis.
    pub pushes: Vec<(usize, usize)>,
}

impl Reply {
    /// Bytes still to be sent.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.sent
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    pub fn simple(&mut self, text: &str) {
        encode::line(&mut self.buf, b'+', text.as_bytes());
    }

    /// An error reply. `message` starting with '-' carries its own code
    /// ("-WRONGTYPE ..."); otherwise "-ERR " is prepended, as Redis's
    /// addReplyError does. CR and LF become spaces so the reply stays one
    /// line whatever user bytes it quotes.
    pub fn error(&mut self, message: &str) {
        self.errors.push(error_code(message).to_owned());
        self.write_error(message);
    }

    /// An error reply whose error was counted where it arose (Redis's
    /// ERR_REPLY_FLAG_NO_STATS_UPDATE).
    pub fn error_uncounted(&mut self, message: &str) {
        self.failed_uncounted = true;
        self.write_error(message);
    }

    fn write_error(&mut self, message: &str) {
        self.buf.push(b'-');
        let text = match message.strip_prefix('-') {
            Some(rest) => rest,
            None => {
                self.buf.extend_from_slice(b"ERR ");
                message
            }
        };
        self.buf.extend(
            text.bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn wrong_type(&mut self) {
        self.error("-WRONGTYPE Operation against a key holding the wrong kind of value");
    }

    pub fn syntax_error(&mut self) {
        self.error("syntax error");
    }

    pub fn not_an_integer(&mut self) {
        self.error("value is not an integer or out of range");
    }

    pub fn int(&mut self, n: i64) {
        encode::integer(&mut self.buf, n);
    }

    pub fn bulk(&mut self, data: &[u8]) {
        if data.len() < LARGE_BULK {
            encode::bulk(&mut self.buf, data);
            return;
        }
        self.reserve(data.len() + 24);
        encode::header(&mut self.buf, b'$', data.len());
        append_large(&mut self.buf, data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Room for `extra` more bytes. Growing copies only the bytes in use:
    /// `Vec`'s own growth reallocates, and the allocator's realloc copies
    /// the whole old block (a drained buffer keeps 16 KiB of capacity, so
    /// every large reply into it copied 16 KiB of stale output first).
    fn reserve(&mut self, extra: usize) {
        if self.buf.capacity() - self.buf.len() >= extra {
            return;
        }
        let mut grown = Vec::with_capacity((self.buf.len() + extra).max(self.buf.capacity() * 2));
        grown.extend_from_slice(&self.buf);
        self.buf = grown;
    }

    pub fn bulk_int(&mut self, n: i64) {
        self.bulk(itoa::Buffer::new().format(n).as_bytes());
    }

    /// The null reply: `$-1` (RESP2) or `_` (RESP3).
    pub fn null(&mut self) {
        self.buf
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// The null array: `*-1` (RESP2) or `_` (RESP3).
    pub fn null_array(&mut self) {
        self.buf
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// What a missing key answers to a command whose COUNT form replies an
    /// array: the empty array with a count, the null bulk without one.
    pub fn nothing(&mut self, counted: bool) {
        if counted {
            self.array(0);
        } else {
            self.null();
        }
    }

    pub fn array(&mut self, len: usize) {
        encode::header(&mut self.buf, b'*', len);
    }

    /// A map of `len` pairs: `%len` or a flat array of 2·len.
    pub fn map(&mut self, len: usize) {
        if self.resp3 {
            encode::header(&mut self.buf, b'%', len);
        } else {
            encode::header(&mut self.buf, b'*', len * 2);
        }
    }

    /// An out-of-band push (pub/sub messages): `>len` in RESP3, an array in
    /// RESP2.
    pub fn push(&mut self, len: usize) {
        encode::header(&mut self.buf, if self.resp3 { b'>' } else { b'*' }, len);
    }

    /// A set: `~len` or an array.
    pub fn set(&mut self, len: usize) {
        encode::header(&mut self.buf, if self.resp3 { b'~' } else { b'*' }, len);
    }

    /// A double as Redis writes it: `%.17g` in a bulk string (RESP2) or
    /// after `,` (RESP3).
    pub fn double(&mut self, d: f64) {
        let text = format_g17(d);
        if self.resp3 {
            encode::line(&mut self.buf, b',', text.as_bytes());
        } else {
            self.bulk(text.as_bytes());
        }
    }

    /// A boolean: `#t`/`#f` (RESP3) or `:1`/`:0`.
    pub fn boolean(&mut self, b: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(i64::from(b));
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`) or a bulk string in RESP2.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            encode::header(&mut self.buf, b'=', text.len() + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// An array of bulk strings.
    pub fn bulks<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a [u8]>) {
        self.array(items.len());
        for item in items {
            self.bulk(item);
        }
    }

    /// Drop sent bytes once everything is written, or when the sent prefix
    /// is large, so the buffer does not grow without bound.
    ///
    /// A drained buffer keeps its capacity only up to [`REPLY_KEPT`]; a
    /// bigger one is given back, as Redis frees the reply blocks past its
    /// per-client 16 KiB buffer once they are written. Memory a burst of
    /// output took (invalidation messages, pub/sub messages, a large
    /// reply) thus leaves `used_memory` as soon as it is written: kept, it
    /// would count for eviction, and evicting keys to make room for it
    /// sends more invalidations (a feedback loop that drains the keyspace).
    pub fn compact(&mut self) {
        if self.sent == self.buf.len() {
            self.sent = 0;
            if self.buf.capacity() > REPLY_KEPT {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
        } else if self.sent > 1 << 20 && self.sent * 2 > self.buf.len() {
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }
}

/// Bulk strings from this size on are appended by [`append_large`].
const LARGE_BULK: usize = 2048;

/// Append `data` (a few KiB or more) to `out` (see [`copy::bytes`]:
/// a bulk reply is where glibc's memcpy was slowest).
fn append_large(out: &mut Vec<u8>, data: &[u8]) {
    out.reserve(data.len());
    let len = out.len();
    // SAFETY: the spare capacity has room for `data` (reserved above) and
    // `data` is not inside it (borrowed apart from `out`); every byte up
    // to the new length is written before `set_len`.
    unsafe {
        copy::bytes(
            data.as_ptr(),
            out.spare_capacity_mut().as_mut_ptr().cast::<u8>(),
            data.len(),
        );
        out.set_len(len + data.len());
    }
}

/// The code errorstats counts an error under: the first word of a
/// message starting with '-' (when more follows it), else "ERR".
pub fn error_code(message: &str) -> &str {
    match message.strip_prefix('-') {
        Some(rest) => {
            let code = rest.split(' ').next().unwrap_or("ERR");
            if rest.len().min(32) > code.len() {
                code
            } else {
                "ERR"
            }
        }
        None => "ERR",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_get_a_code_and_stay_on_one_line() {
        let mut r = Reply::default();
        r.error("bad\r\nthing");
        r.error("-WRONGTYPE Operation");
        assert_eq!(r.buf, b"-ERR bad  thing\r\n-WRONGTYPE Operation\r\n");
        assert_eq!(r.errors, vec!["ERR", "WRONGTYPE"]);
    }

    #[test]
    fn a_drained_buffer_keeps_at_most_16_kib() {
        let mut r = Reply::default();
        r.raw(&[b'x'; 1000]);
        r.sent = r.buf.len();
        r.compact();
        assert!(r.buf.is_empty() && r.buf.capacity() >= 1000);
        r.raw(&[b'x'; 40_000]);
        r.sent = 20_000;
        r.compact();
        assert_eq!(r.pending(), 20_000, "pending output stays");
        r.sent = r.buf.len();
        r.compact();
        assert_eq!((r.buf.capacity(), r.sent), (0, 0), "a burst is given back");
    }

    /// Large bulks are copied whole from sources at every alignment, after
    /// what is already pending.
    #[test]
    fn large_bulks_at_every_alignment() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for skip in 0..80 {
            for len in [2048, 4099, 70_000 - skip] {
                let src = &data[skip..skip + len];
                let mut r = Reply::default();
                r.raw(b"+first\r\n");
                r.bulk(src);
                let mut want = b"+first\r\n".to_vec();
                encode::bulk(&mut want, src);
                assert_eq!(r.buf, want, "skip {skip} len {len}");
            }
        }
    }

    #[test]
    fn resp3_shapes() {
        let mut r = Reply {
            resp3: true,
            ..Reply::default()
        };
        r.null();
        r.map(1);
        r.double(1.5);
        assert_eq!(r.buf, b"_\r\n%1\r\n,1.5\r\n");
        let mut r = Reply::default();
        r.null();
        r.map(1);
        r.double(1.5);
        assert_eq!(r.buf, b"$-1\r\n*2\r\n$3\r\n1.5\r\n");
    }
}
