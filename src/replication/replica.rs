//! The replica side of Redis replication as a state machine without I/O:
//! bytes from the master go in ([`Replica::receive`]), events come out
//! ([`Replica::poll_event`]), and bytes for the master wait in
//! [`Replica::pending_output`] until the driver has written them. Time is
//! passed in, never read, so the machine runs the same under a blocking
//! socket, a mio loop or a unit test.
//!
//! The conversation follows Redis 7.0's `syncWithMaster`:
//!
//! 1. `PING`; `-NOAUTH`/`-NOPERM` are fine at this point (AUTH follows).
//! 2. `AUTH [user] password`, `REPLCONF listening-port <port>`, optionally
//!    `REPLCONF ip-address <ip>`, `REPLCONF capa eof capa psync2`, sent
//!    together; a refused AUTH is fatal, a refused REPLCONF only a warning.
//! 3. `PSYNC ? -1`, or `PSYNC <replid> <offset+1>` from a known
//!    [`Position`]. Replies: `+FULLRESYNC <replid> <offset>`, `+CONTINUE
//!    [<replid>]`, `-NOMASTERLINK`/`-LOADING` (try later), auth errors.
//!    Empty lines before the reply are keepalives.
//! 4. After a full resync, the snapshot (`$<len>` or `$EOF:<mark>`, see
//!    [`super::snapshot`]), again possibly preceded by keepalive newlines.
//! 5. The command stream: every frame is framed with the RESP codec's exact
//!    lengths, so the offset after each command is the master's count.
//!    `SELECT` changes the database of what follows; `REPLCONF GETACK` is
//!    answered with `REPLCONF ACK <offset>` (the offset before the GETACK,
//!    as Redis does); an ACK also goes out every `ack_interval`.
//!
//! Memory holds the unprocessed input only: a driver that feeds bytes just
//! when [`Replica::poll_event`] returns `None` keeps it to one frame plus
//! one read, however fast the master writes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::position::{Position, is_replid};
use super::snapshot::{MARK_LEN, MarkScan, SnapshotForm, scan_for_mark};
use crate::resp::decode::parse_i64;
use crate::resp::request::{Arg, INLINE_MAX, RequestLimits, parse_request_into};
use crate::resp::{DecodeError, Decoder, Frame, Limits, encode};

/// Longest handshake or `$` line accepted before the peer is declared not
/// to be a Redis master.
const MAX_LINE: usize = 4096;

/// Credentials for `AUTH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auth {
    /// An ACL user; `None` sends the one-argument `AUTH password`.
    pub user: Option<String>,
    pub password: String,
}

/// When the replica acknowledges its offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckPolicy {
    /// `REPLCONF ACK` every interval, after the snapshot, and on GETACK.
    Interval,
    /// Never: the master sees no progress from us.
    Never,
}

/// How the replica introduces itself.
#[derive(Clone, Debug)]
pub struct Config {
    pub auth: Option<Auth>,
    /// Sent as `REPLCONF listening-port`; masters list it in INFO.
    pub announce_port: u16,
    /// Sent as `REPLCONF ip-address` when set.
    pub announce_ip: Option<String>,
    pub ack: AckPolicy,
    pub ack_interval: Duration,
    /// Bounds on command frames. Masters propagate what clients sent, so
    /// the aggregate bound is far above a client-facing server's.
    pub limits: Limits,
    /// `PSYNC <replid> <offset> FAILOVER`: a master handing over in a
    /// coordinated failover asks the replica it targets to take over.
    pub psync_failover: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            auth: None,
            announce_port: 0,
            announce_ip: None,
            ack: AckPolicy::Interval,
            ack_interval: Duration::from_secs(1),
            limits: Limits {
                max_aggregate_len: i32::MAX as usize,
                ..Limits::default()
            },
            psync_failover: false,
        }
    }
}

/// One command of the replication stream.
#[derive(Clone, Debug)]
pub struct Command {
    /// The replication offset after this command: what the master counted
    /// once it had written it.
    pub offset: u64,
    /// Bytes of the command on the wire.
    pub length: usize,
    /// The database the command applies to (for `SELECT`, the new one).
    pub db: i64,
    /// The arguments, name first.
    pub args: Vec<Bytes>,
    /// The command's bytes as they came in the stream (what a replica
    /// forwards to its own replicas, unchanged).
    pub raw: Bytes,
}

impl Command {
    /// The command name, lowercased.
    pub fn name(&self) -> Vec<u8> {
        self.args
            .first()
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// True for the master's own housekeeping (`PING`, `REPLCONF ...`),
    /// which changes no data.
    pub fn is_housekeeping(&self) -> bool {
        self.args
            .first()
            .is_some_and(|n| n.eq_ignore_ascii_case(b"ping") || n.eq_ignore_ascii_case(b"replconf"))
    }
}

/// What happened on the link.
#[derive(Clone, Debug)]
pub enum Event {
    /// A bare newline: the master is alive, preparing a snapshot.
    Keepalive,
    /// The master refused something that does not stop replication (a
    /// `REPLCONF` option it does not know).
    Warning(String),
    /// `+FULLRESYNC`: a snapshot follows; the stream continues from
    /// `offset`.
    FullResync {
        replid: String,
        offset: u64,
    },
    /// `+CONTINUE`: the stream continues right after our position. When the
    /// master announced another replication ID (it was promoted, say), the
    /// old one is in `previous_replid`.
    Continue {
        replid: String,
        previous_replid: Option<String>,
        offset: u64,
    },
    SnapshotStart(SnapshotForm),
    /// Payload bytes, in order, without the diskless trailer.
    SnapshotData(Bytes),
    /// The payload is complete; `bytes` is its size.
    SnapshotEnd {
        bytes: u64,
    },
    Command(Command),
}

/// Why replication from this master stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplError {
    #[error("master refused authentication: {0}")]
    Auth(String),
    #[error("master cannot serve a replica yet: {0}")]
    TryLater(String),
    #[error("master refused to replicate: {0}")]
    Refused(String),
    #[error("protocol error from master {0}")]
    Protocol(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reply {
    Auth,
    ListeningPort,
    IpAddress,
    Capa,
}

#[derive(Debug)]
enum State {
    Pong,
    Replies(VecDeque<Reply>),
    Psync,
    SnapshotHeader,
    SnapshotSized { left: u64 },
    SnapshotMarked { mark: [u8; MARK_LEN] },
    Streaming,
}

/// The replica's half of one connection to a master.
pub struct Replica {
    config: Config,
    decoder: Decoder,
    state: State,
    input: BytesMut,
    output: Vec<u8>,
    /// Do not re-check a frame before the input holds this many bytes.
    want: usize,
    /// Argument ranges of the command being framed, reused between commands.
    arg_ranges: Vec<Arg>,
    /// What PSYNC asks to continue from.
    resume: Option<Position>,
    replid: String,
    offset: u64,
    db: i64,
    snapshot_bytes: u64,
    next_ack: Option<Instant>,
}

impl Replica {
    /// A replica about to talk to a master; the first command (`PING`) is
    /// already waiting in the output. `resume` makes PSYNC ask to continue.
    pub fn new(config: Config, resume: Option<Position>) -> Replica {
        let decoder = Decoder::new(config.limits).resp2_only(true);
        let mut replica = Replica {
            config,
            decoder,
            state: State::Pong,
            input: BytesMut::with_capacity(64 * 1024),
            output: Vec::new(),
            want: 1,
            arg_ranges: Vec::new(),
            resume,
            replid: String::new(),
            offset: 0,
            db: 0,
            snapshot_bytes: 0,
            next_ack: None,
        };
        replica.send(&[b"PING"]);
        replica
    }

    /// Bytes received from the master.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// Bytes waiting to be written to the master.
    pub fn pending_output(&self) -> &[u8] {
        &self.output
    }

    /// `n` bytes of [`Replica::pending_output`] were written.
    pub fn consume_output(&mut self, n: usize) {
        self.output.drain(..n.min(self.output.len()));
    }

    /// When the next timer (an ACK) is due, if any.
    pub fn next_timer(&self) -> Option<Instant> {
        self.next_ack
    }

    /// True once the command stream has started on this connection.
    pub fn is_streaming(&self) -> bool {
        matches!(self.state, State::Streaming)
    }

    /// Where a new connection should continue from: the stream position
    /// once streaming, else the position this connection was asked to
    /// resume (a transfer cut short proves nothing about a new history).
    pub fn position(&self) -> Option<Position> {
        if self.is_streaming() {
            Some(Position {
                replid: self.replid.clone(),
                offset: self.offset,
                db: self.db,
            })
        } else {
            self.resume.clone()
        }
    }

    /// The offset processed so far on this connection's stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes received and not yet processed.
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// Where the link is, for messages about why it failed: "during the
    /// handshake", "during the snapshot, after N of M bytes", "while
    /// streaming".
    pub fn phase(&self) -> String {
        match &self.state {
            State::Pong | State::Replies(_) | State::Psync => "during the handshake".to_owned(),
            State::SnapshotHeader => "before the snapshot".to_owned(),
            State::SnapshotSized { left } => format!(
                "during the snapshot, after {} of {} bytes",
                self.snapshot_bytes,
                self.snapshot_bytes + left
            ),
            State::SnapshotMarked { .. } => {
                format!("during the snapshot, after {} bytes", self.snapshot_bytes)
            }
            State::Streaming => "while streaming".to_owned(),
        }
    }

    /// The next event, running due timers first. `Ok(None)`: more input is
    /// needed.
    pub fn poll_event(&mut self, now: Instant) -> Result<Option<Event>, ReplError> {
        if let Some(due) = self.next_ack
            && due <= now
        {
            self.send_ack(self.offset);
            self.next_ack = Some(now + self.config.ack_interval);
        }
        loop {
            match &mut self.state {
                State::Pong => {
                    let Some(line) = self.line()? else {
                        return Ok(None);
                    };
                    if line.is_empty() {
                        return Ok(Some(Event::Keepalive));
                    }
                    // Without credentials there is no AUTH to fix a
                    // NOAUTH: say so now rather than after the REPLCONFs
                    // fail one by one.
                    if line.starts_with(b"-NOAUTH") && self.config.auth.is_none() {
                        return Err(ReplError::Auth(text(&line[1..])));
                    }
                    // Redis accepts these: the AUTH that follows fixes them.
                    let fine = line[0] != b'-'
                        || line.starts_with(b"-NOAUTH")
                        || line.starts_with(b"-NOPERM")
                        || line.starts_with(b"-ERR operation not permitted");
                    if !fine {
                        return Err(ReplError::Refused(format!(
                            "error reply to PING: {}",
                            text(&line[1..])
                        )));
                    }
                    self.send_replconf();
                }
                State::Replies(expected) => {
                    let Some(&next) = expected.front() else {
                        self.send_psync();
                        continue;
                    };
                    let Some(line) = self.line()? else {
                        return Ok(None);
                    };
                    if line.is_empty() {
                        return Ok(Some(Event::Keepalive));
                    }
                    if let State::Replies(expected) = &mut self.state {
                        expected.pop_front();
                    }
                    if line[0] == b'-' {
                        let message = text(&line[1..]);
                        match next {
                            Reply::Auth => return Err(ReplError::Auth(message)),
                            Reply::ListeningPort => {
                                return Ok(Some(Event::Warning(format!(
                                    "master refused REPLCONF listening-port: {message}"
                                ))));
                            }
                            Reply::IpAddress => {
                                return Ok(Some(Event::Warning(format!(
                                    "master refused REPLCONF ip-address: {message}"
                                ))));
                            }
                            Reply::Capa => {
                                return Ok(Some(Event::Warning(format!(
                                    "master refused REPLCONF capa: {message}"
                                ))));
                            }
                        }
                    }
                }
                State::Psync => {
                    let Some(line) = self.line()? else {
                        return Ok(None);
                    };
                    if line.is_empty() {
                        return Ok(Some(Event::Keepalive));
                    }
                    return self.psync_reply(&line, now).map(Some);
                }
                State::SnapshotHeader => {
                    let Some(line) = self.line()? else {
                        return Ok(None);
                    };
                    if line.is_empty() {
                        return Ok(Some(Event::Keepalive));
                    }
                    return self.snapshot_header(&line).map(Some);
                }
                State::SnapshotSized { left } => {
                    if *left == 0 {
                        return Ok(Some(self.snapshot_end(now)));
                    }
                    if self.input.is_empty() {
                        return Ok(None);
                    }
                    let take = (*left).min(self.input.len() as u64) as usize;
                    *left -= take as u64;
                    self.snapshot_bytes += take as u64;
                    return Ok(Some(Event::SnapshotData(
                        self.input.split_to(take).freeze(),
                    )));
                }
                State::SnapshotMarked { mark } => match scan_for_mark(&self.input, mark) {
                    MarkScan::Found(0) => {
                        let _ = self.input.split_to(MARK_LEN);
                        return Ok(Some(self.snapshot_end(now)));
                    }
                    MarkScan::Found(at) | MarkScan::Pending { safe: at } => {
                        if at == 0 {
                            return Ok(None);
                        }
                        self.snapshot_bytes += at as u64;
                        return Ok(Some(Event::SnapshotData(self.input.split_to(at).freeze())));
                    }
                },
                State::Streaming => return self.command(),
            }
        }
    }

    fn send(&mut self, args: &[&[u8]]) {
        encode::command(&mut self.output, args);
    }

    fn send_ack(&mut self, offset: u64) {
        let mut digits = itoa::Buffer::new();
        let offset = digits.format(offset).as_bytes().to_vec();
        self.send(&[b"REPLCONF", b"ACK", &offset]);
    }

    /// AUTH and the REPLCONFs, pipelined as Redis does.
    fn send_replconf(&mut self) {
        let mut expected = VecDeque::new();
        if let Some(auth) = self.config.auth.clone() {
            match &auth.user {
                Some(user) => self.send(&[b"AUTH", user.as_bytes(), auth.password.as_bytes()]),
                None => self.send(&[b"AUTH", auth.password.as_bytes()]),
            }
            expected.push_back(Reply::Auth);
        }
        let port = self.config.announce_port.to_string();
        self.send(&[b"REPLCONF", b"listening-port", port.as_bytes()]);
        expected.push_back(Reply::ListeningPort);
        if let Some(ip) = self.config.announce_ip.clone() {
            self.send(&[b"REPLCONF", b"ip-address", ip.as_bytes()]);
            expected.push_back(Reply::IpAddress);
        }
        self.send(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]);
        expected.push_back(Reply::Capa);
        self.state = State::Replies(expected);
    }

    fn send_psync(&mut self) {
        let (replid, offset) = match &self.resume {
            Some(p) => p.psync_args(),
            None => ("?".to_owned(), "-1".to_owned()),
        };
        if self.config.psync_failover {
            self.send(&[b"PSYNC", replid.as_bytes(), offset.as_bytes(), b"FAILOVER"]);
        } else {
            self.send(&[b"PSYNC", replid.as_bytes(), offset.as_bytes()]);
        }
        self.state = State::Psync;
    }

    fn psync_reply(&mut self, line: &[u8], now: Instant) -> Result<Event, ReplError> {
        if let Some(rest) = line.strip_prefix(b"+FULLRESYNC") {
            let words: Vec<&[u8]> = rest
                .split(|&b| b == b' ')
                .filter(|w| !w.is_empty())
                .collect();
            let (replid, offset) = match words[..] {
                [replid, offset] => (text(replid), parse_i64(offset)),
                _ => (String::new(), None),
            };
            let Some(offset) = offset.filter(|&o| o >= 0 && is_replid(&replid)) else {
                return Err(ReplError::Protocol(format!(
                    "in the reply to PSYNC: malformed {:?}",
                    text(line)
                )));
            };
            self.replid = replid.clone();
            self.offset = offset as u64;
            self.db = 0;
            self.state = State::SnapshotHeader;
            return Ok(Event::FullResync {
                replid,
                offset: offset as u64,
            });
        }
        if let Some(rest) = line.strip_prefix(b"+CONTINUE") {
            let Some(asked) = self.resume.clone() else {
                return Err(ReplError::Protocol(
                    "in the reply to PSYNC: +CONTINUE to a request for a full resync".into(),
                ));
            };
            let announced = text(rest.trim_ascii());
            let (replid, previous_replid) = if is_replid(&announced) && announced != asked.replid {
                (announced, Some(asked.replid.clone()))
            } else {
                (asked.replid.clone(), None)
            };
            self.replid = replid.clone();
            self.offset = asked.offset;
            self.db = asked.db;
            self.start_streaming(now, false);
            return Ok(Event::Continue {
                replid,
                previous_replid,
                offset: asked.offset,
            });
        }
        let message = text(line.strip_prefix(b"-").unwrap_or(line));
        if line.starts_with(b"-NOMASTERLINK") || line.starts_with(b"-LOADING") {
            return Err(ReplError::TryLater(message));
        }
        if line.starts_with(b"-NOAUTH")
            || line.starts_with(b"-NOPERM")
            || line.starts_with(b"-WRONGPASS")
        {
            return Err(ReplError::Auth(message));
        }
        if line.starts_with(b"-") {
            return Err(ReplError::Refused(format!("PSYNC: {message}")));
        }
        Err(ReplError::Protocol(format!(
            "in the reply to PSYNC: unexpected {:?}",
            text(line)
        )))
    }

    fn snapshot_header(&mut self, line: &[u8]) -> Result<Event, ReplError> {
        if let Some(message) = line.strip_prefix(b"-") {
            return Err(ReplError::Refused(format!(
                "master aborted the snapshot: {}",
                text(message)
            )));
        }
        let form = if let Some(mark) = line.strip_prefix(b"$EOF:") {
            let Some(mark) = mark
                .get(..MARK_LEN)
                .and_then(|m| <[u8; MARK_LEN]>::try_from(m).ok())
            else {
                return Err(ReplError::Protocol(format!(
                    "in the snapshot header: EOF mark shorter than {MARK_LEN} bytes in {:?}",
                    text(line)
                )));
            };
            self.state = State::SnapshotMarked { mark };
            SnapshotForm::EofMarked
        } else {
            let size = line
                .strip_prefix(b"$")
                .and_then(parse_i64)
                .filter(|&n| n >= 0);
            let Some(size) = size else {
                return Err(ReplError::Protocol(format!(
                    "in the snapshot header: expected $<length> or $EOF:<mark>, found {:?}",
                    text(line)
                )));
            };
            self.state = State::SnapshotSized { left: size as u64 };
            SnapshotForm::Sized(size as u64)
        };
        self.snapshot_bytes = 0;
        Ok(Event::SnapshotStart(form))
    }

    fn snapshot_end(&mut self, now: Instant) -> Event {
        // Redis acknowledges at once after a diskless load: a Redis 7
        // master holds the command stream back until that first ACK.
        self.start_streaming(now, true);
        Event::SnapshotEnd {
            bytes: self.snapshot_bytes,
        }
    }

    fn start_streaming(&mut self, now: Instant, ack_now: bool) {
        self.state = State::Streaming;
        self.want = 1;
        if self.config.ack == AckPolicy::Interval {
            if ack_now {
                self.send_ack(self.offset);
            }
            self.next_ack = Some(now + self.config.ack_interval);
        }
    }

    /// A handshake line without its CRLF (or bare LF), once complete.
    fn line(&mut self) -> Result<Option<Bytes>, ReplError> {
        match memchr::memchr(b'\n', &self.input) {
            Some(lf) => {
                let mut line = self.input.split_to(lf + 1).freeze();
                line.truncate(lf);
                if line.last() == Some(&b'\r') {
                    line.truncate(lf - 1);
                }
                Ok(Some(line))
            }
            None if self.input.len() > MAX_LINE => Err(ReplError::Protocol(format!(
                "during the handshake: no line end in {MAX_LINE} bytes (is this a Redis master?)"
            ))),
            None => Ok(None),
        }
    }

    fn command(&mut self) -> Result<Option<Event>, ReplError> {
        // Older masters could send a bare newline out of band to keep a
        // chained replica's link alive; it is not part of the stream and
        // does not count in the offset.
        if self.want == 1 && self.input.first() == Some(&b'\n') {
            let _ = self.input.split_to(1);
            return Ok(Some(Event::Keepalive));
        }
        if self.input.len() < self.want {
            return Ok(None);
        }
        // A frame's first line (a `+`/`-` line, or the count of an array or
        // bulk) ends within Redis's PROTO_INLINE_MAX_SIZE; a master that
        // sends more without a line end is dropped, as Redis drops it,
        // instead of being buffered without bound.
        if self.input.len() > INLINE_MAX + 2
            && memchr::memchr(b'\n', &self.input[..INLINE_MAX + 2]).is_none()
        {
            return Err(ReplError::Protocol(format!(
                "at replication offset {}: no line end in the first {} bytes of a frame \
                 (the longest line a master may send is {INLINE_MAX} bytes)",
                self.offset,
                INLINE_MAX + 2
            )));
        }
        // Fast path: a whole multibulk command framed in one pass, the way a
        // Redis replica frames its master's stream. The decoder below runs
        // only for a partial command (it knows how many bytes are missing)
        // and for bytes that are not a command (it says what is wrong).
        if self.input.first() == Some(&b'*') {
            let limits = RequestLimits {
                max_bulk_len: self.decoder.limits().max_bulk_len as u64,
                max_multibulk_len: self.decoder.limits().max_aggregate_len as u64,
            };
            // Redis skips the two bytes after a bulk payload unchecked; a
            // tool reading a feed checks them, so a damaged feed falls
            // through to the strict decoder and is reported.
            let input = &self.input;
            let terminated = |arg: &Arg| match arg {
                Arg::Range(r) => input.get(r.end..r.end + 2) == Some(&b"\r\n"[..]),
                Arg::Owned(_) => false,
            };
            if let Ok(Some(len)) =
                parse_request_into(&self.input, &limits, true, &mut self.arg_ranges)
                && !self.arg_ranges.is_empty()
                && self.arg_ranges.iter().all(terminated)
            {
                self.want = 1;
                let raw = self.input.split_to(len).freeze();
                let args = self
                    .arg_ranges
                    .iter()
                    .map(|arg| match arg {
                        Arg::Range(r) => raw.slice(r.clone()),
                        Arg::Owned(v) => Bytes::copy_from_slice(v),
                    })
                    .collect();
                return self.framed(raw, args).map(Some);
            }
        }
        let len = match self.decoder.check(&self.input) {
            Ok(len) => len,
            Err(DecodeError::Incomplete { needed }) => {
                self.want = self.input.len() + needed;
                return Ok(None);
            }
            Err(DecodeError::Invalid { offset, problem }) => {
                return Err(ReplError::Protocol(format!(
                    "at replication offset {}: {problem}",
                    self.offset + offset as u64
                )));
            }
        };
        self.want = 1;
        let raw = self.input.split_to(len).freeze();
        let frame = match self.decoder.parse(&raw) {
            Ok((frame, _)) => frame,
            Err(e) => {
                return Err(ReplError::Protocol(format!(
                    "at replication offset {}: {e}",
                    self.offset
                )));
            }
        };
        let kind = frame.kind();
        let Some(args) = into_args(frame) else {
            return Err(ReplError::Protocol(format!(
                "at replication offset {}: expected a command (an array of bulk strings), \
                 found {}",
                self.offset,
                kind.name()
            )));
        };
        self.framed(raw, args).map(Some)
    }

    /// Account for one framed command of `len` bytes: database tracking,
    /// GETACK answers, the offset.
    fn framed(&mut self, raw: Bytes, args: Vec<Bytes>) -> Result<Event, ReplError> {
        let len = raw.len();
        let before = self.offset;
        let name = &args[0];
        if name.eq_ignore_ascii_case(b"select") {
            match args.get(1).and_then(|db| parse_i64(db)) {
                Some(db) if args.len() == 2 && db >= 0 => self.db = db,
                _ => {
                    return Err(ReplError::Protocol(format!(
                        "at replication offset {before}: SELECT without a database number"
                    )));
                }
            }
        } else if name.eq_ignore_ascii_case(b"replconf")
            && args
                .get(1)
                .is_some_and(|a| a.eq_ignore_ascii_case(b"getack"))
            && self.config.ack == AckPolicy::Interval
        {
            self.send_ack(before);
        }
        self.offset += len as u64;
        Ok(Event::Command(Command {
            offset: self.offset,
            length: len,
            db: self.db,
            args,
            raw,
        }))
    }
}

/// The arguments of a command frame (a non-empty array of bulk strings),
/// taken out of the frame without copying their bytes.
fn into_args(frame: Frame) -> Option<Vec<Bytes>> {
    let Frame::Array(items) = frame else {
        return None;
    };
    if items.is_empty() {
        return None;
    }
    items
        .into_iter()
        .map(|item| match item {
            Frame::Bulk(b) => Some(b),
            _ => None,
        })
        .collect()
}

/// Bytes as text for messages (lossy: masters send ASCII here).
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "8c1b6d2cbd0e5a3f1e4b1c9a7d6e5f4a3b2c1d0e";
    const ID2: &str = "ffffffffffffffffffffffffffffffffffffffff";
    const MARK: &str = "abcdefghijabcdefghijabcdefghijabcdefghij";

    fn cmd(args: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        encode::command(&mut out, args);
        out
    }

    /// Drain every event available now.
    fn events(r: &mut Replica, now: Instant) -> Result<Vec<Event>, ReplError> {
        let mut out = Vec::new();
        while let Some(e) = r.poll_event(now)? {
            out.push(e);
        }
        Ok(out)
    }

    fn take_output(r: &mut Replica) -> Vec<u8> {
        let out = r.pending_output().to_vec();
        r.consume_output(out.len());
        out
    }

    fn config() -> Config {
        Config {
            auth: Some(Auth {
                user: Some("repl".into()),
                password: "secret".into(),
            }),
            announce_port: 7777,
            ..Config::default()
        }
    }

    /// A replica past the handshake, waiting for the PSYNC reply.
    fn handshaken(config: Config, resume: Option<Position>) -> Replica {
        let now = Instant::now();
        let replies = if config.auth.is_some() { 3 } else { 2 };
        let mut r = Replica::new(config, resume);
        assert_eq!(take_output(&mut r), cmd(&["PING"]));
        r.receive(b"+PONG\r\n");
        assert!(events(&mut r, now).unwrap().is_empty());
        r.receive(&b"+OK\r\n".repeat(replies));
        assert!(events(&mut r, now).unwrap().is_empty());
        r
    }

    #[test]
    fn handshake_sends_what_redis_sends() {
        let now = Instant::now();
        let mut r = Replica::new(config(), None);
        assert_eq!(take_output(&mut r), cmd(&["PING"]));
        r.receive(b"-NOAUTH Authentication required.\r\n");
        assert!(events(&mut r, now).unwrap().is_empty());
        let mut expected = cmd(&["AUTH", "repl", "secret"]);
        expected.extend(cmd(&["REPLCONF", "listening-port", "7777"]));
        expected.extend(cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
        assert_eq!(take_output(&mut r), expected);
        r.receive(b"+OK\r\n+OK\r\n");
        assert!(events(&mut r, now).unwrap().is_empty());
        assert!(take_output(&mut r).is_empty(), "PSYNC before every reply");
        r.receive(b"+OK\r\n");
        assert!(events(&mut r, now).unwrap().is_empty());
        assert_eq!(take_output(&mut r), cmd(&["PSYNC", "?", "-1"]));
    }

    #[test]
    fn noauth_without_credentials_fails_at_ping() {
        let now = Instant::now();
        let mut r = Replica::new(Config::default(), None);
        assert_eq!(take_output(&mut r), cmd(&["PING"]));
        r.receive(b"-NOAUTH Authentication required.\r\n");
        assert!(matches!(
            events(&mut r, now),
            Err(ReplError::Auth(m)) if m.starts_with("NOAUTH")
        ));
        assert!(take_output(&mut r).is_empty(), "no REPLCONF after NOAUTH");
    }

    #[test]
    fn announced_ip_is_sent_and_checked() {
        let now = Instant::now();
        let config = Config {
            announce_ip: Some("10.1.2.3".into()),
            announce_port: 6380,
            ..Config::default()
        };
        let mut r = Replica::new(config, None);
        r.receive(b"+PONG\r\n");
        events(&mut r, now).unwrap();
        let mut expected = cmd(&["PING"]);
        expected.extend(cmd(&["REPLCONF", "listening-port", "6380"]));
        expected.extend(cmd(&["REPLCONF", "ip-address", "10.1.2.3"]));
        expected.extend(cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
        assert_eq!(take_output(&mut r), expected);
        r.receive(b"+OK\r\n-ERR REPLCONF ip-address provided by replica instance is too long\r\n");
        let evs = events(&mut r, now).unwrap();
        assert!(matches!(&evs[..], [Event::Warning(w)] if w.contains("ip-address")));
        r.receive(b"+OK\r\n");
        events(&mut r, now).unwrap();
        assert_eq!(take_output(&mut r), cmd(&["PSYNC", "?", "-1"]));
    }

    #[test]
    fn resume_asks_for_the_next_byte() {
        let position = Position {
            replid: ID.into(),
            offset: 500,
            db: 2,
        };
        let mut r = handshaken(Config::default(), Some(position));
        let out = take_output(&mut r);
        assert!(out.ends_with(&cmd(&["PSYNC", ID, "501"])), "{out:?}");
    }

    #[test]
    fn auth_and_psync_errors_are_classified() {
        let now = Instant::now();
        let mut r = Replica::new(config(), None);
        r.receive(b"+PONG\r\n-WRONGPASS invalid username-password pair\r\n");
        assert!(
            matches!(events(&mut r, now), Err(ReplError::Auth(m)) if m.starts_with("WRONGPASS"))
        );

        for (reply, want) in [
            (
                "-NOMASTERLINK Can't SYNC while not connected with my master",
                "later",
            ),
            ("-LOADING Redis is loading the dataset in memory", "later"),
            ("-NOAUTH Authentication required.", "auth"),
            ("-NOPERM this user has no permissions", "auth"),
            ("-ERR unknown command 'PSYNC'", "refused"),
            ("+WHAT", "protocol"),
        ] {
            let mut r = handshaken(Config::default(), None);
            r.receive(format!("{reply}\r\n").as_bytes());
            let err = events(&mut r, now).unwrap_err();
            let kind = match err {
                ReplError::TryLater(_) => "later",
                ReplError::Auth(_) => "auth",
                ReplError::Refused(_) => "refused",
                ReplError::Protocol(_) => "protocol",
            };
            assert_eq!(kind, want, "{reply}");
        }

        let mut r = Replica::new(Config::default(), None);
        r.receive(b"-ERR something else\r\n");
        assert!(matches!(events(&mut r, now), Err(ReplError::Refused(_))));
    }

    #[test]
    fn refused_replconf_is_only_a_warning() {
        let now = Instant::now();
        let mut r = Replica::new(Config::default(), None);
        r.receive(b"+PONG\r\n-ERR Unrecognized REPLCONF option\r\n+OK\r\n");
        let evs = events(&mut r, now).unwrap();
        assert!(matches!(&evs[..], [Event::Warning(w)] if w.contains("listening-port")));
        assert!(take_output(&mut r).ends_with(&cmd(&["PSYNC", "?", "-1"])));
    }

    /// The whole conversation at once and a byte at a time give the same
    /// commands with the same offsets.
    fn full_session(snapshot: &[u8], stream: &[u8]) -> Vec<u8> {
        let mut bytes = b"\n\n+FULLRESYNC ".to_vec();
        bytes.extend_from_slice(format!("{ID} 100\r\n\n").as_bytes());
        bytes.extend_from_slice(snapshot);
        bytes.extend_from_slice(stream);
        bytes
    }

    /// (offset, db, args) of each command.
    type Commands = Vec<(u64, i64, Vec<Bytes>)>;

    fn run(bytes: &[u8], chunk: usize) -> (Commands, Vec<u8>, usize, Replica) {
        let now = Instant::now();
        let mut r = handshaken(Config::default(), None);
        take_output(&mut r);
        let mut commands = Vec::new();
        let mut payload = Vec::new();
        let mut keepalives = 0;
        for piece in bytes.chunks(chunk) {
            r.receive(piece);
            for e in events(&mut r, now).unwrap() {
                match e {
                    Event::Command(c) => commands.push((c.offset, c.db, c.args)),
                    Event::SnapshotData(d) => payload.extend_from_slice(&d),
                    Event::Keepalive => keepalives += 1,
                    _ => {}
                }
            }
        }
        (commands, payload, keepalives, r)
    }

    fn stream() -> Vec<u8> {
        let mut s = cmd(&["SELECT", "3"]);
        s.extend(cmd(&["SET", "k", "v"]));
        s.extend(cmd(&["PING"]));
        s.push(b'\n');
        s.extend(cmd(&["SET", "k2", "\u{ff}"]));
        s
    }

    #[test]
    fn sized_and_marked_snapshots_frame_the_same_stream() {
        let rdb = b"REDIS0010\xfa\x09redis-ver\x057.0.15\xff12345678";
        let mut sized = format!("${}\r\n", rdb.len()).into_bytes();
        sized.extend_from_slice(rdb);
        let mut marked = format!("$EOF:{MARK}\r\n").into_bytes();
        marked.extend_from_slice(rdb);
        marked.extend_from_slice(MARK.as_bytes());
        let whole = run(&full_session(&sized, &stream()), usize::MAX);
        for snapshot in [&sized, &marked] {
            for chunk in [1, 2, 7, 39, 40, 41, 4096] {
                let got = run(&full_session(snapshot, &stream()), chunk);
                assert_eq!(got.0, whole.0, "chunk {chunk}");
                assert_eq!(got.1, rdb, "payload, chunk {chunk}");
                assert_eq!(got.2, 4, "keepalives, chunk {chunk}");
            }
        }
        let commands = whole.0;
        let s = stream();
        assert_eq!(commands.len(), 4);
        assert_eq!(commands[0].0, 100 + cmd(&["SELECT", "3"]).len() as u64);
        assert_eq!(commands[3].0, 100 + s.len() as u64 - 1);
        assert!(commands.iter().all(|c| c.1 == 3));
        assert_eq!(whole.3.offset(), 100 + s.len() as u64 - 1);
    }

    #[test]
    fn acks_follow_the_snapshot_getack_and_the_clock() {
        let t0 = Instant::now();
        let mut r = handshaken(Config::default(), None);
        take_output(&mut r);
        r.receive(format!("+FULLRESYNC {ID} 0\r\n$0\r\n").as_bytes());
        let evs = events(&mut r, t0).unwrap();
        assert!(matches!(evs.last(), Some(Event::SnapshotEnd { bytes: 0 })));
        assert_eq!(take_output(&mut r), cmd(&["REPLCONF", "ACK", "0"]));
        let set = cmd(&["SET", "a", "1"]);
        r.receive(&set);
        r.receive(&cmd(&["REPLCONF", "GETACK", "*"]));
        events(&mut r, t0).unwrap();
        let before_getack = set.len().to_string();
        assert_eq!(
            take_output(&mut r),
            cmd(&["REPLCONF", "ACK", &before_getack])
        );
        assert_eq!(r.next_timer(), Some(t0 + Duration::from_secs(1)));
        events(&mut r, t0 + Duration::from_millis(999)).unwrap();
        assert!(take_output(&mut r).is_empty());
        events(&mut r, t0 + Duration::from_secs(1)).unwrap();
        let total = r.offset().to_string();
        assert_eq!(take_output(&mut r), cmd(&["REPLCONF", "ACK", &total]));
    }

    #[test]
    fn never_acks_when_told_not_to() {
        let t0 = Instant::now();
        let config = Config {
            ack: AckPolicy::Never,
            ..Config::default()
        };
        let mut r = handshaken(config, None);
        take_output(&mut r);
        r.receive(format!("+FULLRESYNC {ID} 0\r\n$0\r\n").as_bytes());
        r.receive(&cmd(&["REPLCONF", "GETACK", "*"]));
        events(&mut r, t0).unwrap();
        events(&mut r, t0 + Duration::from_secs(5)).unwrap();
        assert!(take_output(&mut r).is_empty());
        assert_eq!(r.next_timer(), None);
    }

    #[test]
    fn continue_keeps_offset_and_db_and_notes_a_new_id() {
        let now = Instant::now();
        let resume = Position {
            replid: ID.into(),
            offset: 1234,
            db: 5,
        };
        let mut r = handshaken(Config::default(), Some(resume.clone()));
        r.receive(format!("+CONTINUE {ID2}\r\n").as_bytes());
        let set = cmd(&["SET", "x", "y"]);
        r.receive(&set);
        let evs = events(&mut r, now).unwrap();
        match &evs[..] {
            [
                Event::Continue {
                    replid,
                    previous_replid,
                    offset,
                },
                Event::Command(c),
            ] => {
                assert_eq!(replid, ID2);
                assert_eq!(previous_replid.as_deref(), Some(ID));
                assert_eq!(*offset, 1234);
                assert_eq!(c.offset, 1234 + set.len() as u64);
                assert_eq!(c.db, 5);
            }
            other => panic!("{other:?}"),
        }
        let p = r.position().unwrap();
        assert_eq!((p.replid.as_str(), p.db), (ID2, 5));

        let mut r = handshaken(Config::default(), Some(resume));
        r.receive(b"+CONTINUE\r\n");
        let evs = events(&mut r, now).unwrap();
        assert!(matches!(
            &evs[..],
            [Event::Continue {
                previous_replid: None,
                ..
            }]
        ));
        assert_eq!(r.position().unwrap().replid, ID);
    }

    #[test]
    fn a_cut_transfer_keeps_the_old_position() {
        let now = Instant::now();
        let resume = Position {
            replid: ID.into(),
            offset: 9,
            db: 1,
        };
        let mut r = handshaken(Config::default(), Some(resume.clone()));
        r.receive(format!("+FULLRESYNC {ID2} 50\r\n$100\r\nREDIS").as_bytes());
        events(&mut r, now).unwrap();
        assert_eq!(r.position(), Some(resume));
        let mut r = handshaken(Config::default(), None);
        r.receive(format!("+FULLRESYNC {ID2} 50\r\n$0\r\n").as_bytes());
        events(&mut r, now).unwrap();
        assert_eq!(r.position().unwrap().offset, 50);
    }

    #[test]
    fn partial_commands_do_not_advance_the_offset() {
        let now = Instant::now();
        let mut r = handshaken(Config::default(), None);
        r.receive(format!("+FULLRESYNC {ID} 10\r\n$0\r\n").as_bytes());
        let set = cmd(&["SET", "key", "value"]);
        r.receive(&set);
        r.receive(&set[..set.len() - 3]);
        events(&mut r, now).unwrap();
        assert_eq!(r.position().unwrap().offset, 10 + set.len() as u64);
        assert_eq!(r.buffered(), set.len() - 3);
    }

    #[test]
    fn an_endless_line_from_the_master_is_refused_at_64_kib() {
        for first in [b'+', b'-'] {
            let mut r = handshaken(config(), None);
            r.receive(b"+FULLRESYNC 8de1787ba490483314a4d30f1c628bc5025eb761 0\r\n$0\r\n");
            let _ = events(&mut r, Instant::now()).unwrap();
            let mut line = vec![first];
            line.resize(64 * 1024, b'x');
            r.receive(&line);
            assert!(events(&mut r, Instant::now()).unwrap().is_empty());
            r.receive(b"xxx");
            let err = events(&mut r, Instant::now()).unwrap_err();
            assert!(err.to_string().contains("no line end"), "{err}");
            assert!(r.buffered() <= INLINE_MAX + 16, "{}", r.buffered());
        }
    }

    #[test]
    fn bad_streams_are_reported_with_their_offset() {
        let now = Instant::now();
        let mut r = handshaken(Config::default(), None);
        r.receive(format!("+FULLRESYNC {ID} 10\r\n$0\r\n").as_bytes());
        r.receive(&cmd(&["SET", "a", "b"]));
        r.receive(b":5\r\n");
        let err = events(&mut r, now).unwrap_err().to_string();
        assert!(
            err.contains("expected a command") && err.contains("offset 37"),
            "{err}"
        );

        let mut r = handshaken(Config::default(), None);
        r.receive(format!("+FULLRESYNC {ID} 0\r\n$0\r\n*1\r\n$4\r\nPINGxx").as_bytes());
        let err = events(&mut r, now).unwrap_err().to_string();
        assert!(err.contains("at replication offset 12"), "{err}");

        let mut r = handshaken(Config::default(), None);
        r.receive(format!("+FULLRESYNC {ID} 0\r\n$nope\r\n").as_bytes());
        let err = events(&mut r, now).unwrap_err().to_string();
        assert!(err.contains("snapshot header"), "{err}");

        let mut r = handshaken(Config::default(), None);
        r.receive(b"+FULLRESYNC short 12\r\n");
        assert!(matches!(events(&mut r, now), Err(ReplError::Protocol(_))));

        let mut r = Replica::new(Config::default(), None);
        r.receive(&[b'x'; MAX_LINE + 1]);
        assert!(matches!(events(&mut r, now), Err(ReplError::Protocol(_))));
    }
}
