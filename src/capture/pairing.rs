//! Pairing one connection's requests with its replies.
//!
//! Redis answers a connection's requests in order, so with pipelining the
//! Nth reply belongs to the Nth request still waiting. What breaks the
//! count is recognised first: RESP3 push frames and, once the connection
//! has subscribed, RESP2 pub/sub messages are out-of-band; MONITOR lines
//! follow a MONITOR's `+OK`; (UN)SUBSCRIBE takes one confirmation per
//! channel; CLIENT REPLY OFF/SKIP silences replies.
//!
//! When the capture joined mid-stream, or after a gap or a protocol error,
//! the count is unknown: waiting requests are reported as lost, and pairing
//! restarts at the next request (the anchor). Replies that cannot be its
//! reply are skipped using TCP's own record: bytes the client had already
//! received when it sent the anchor, and bytes the server sent before it
//! had received any of the anchor (its acknowledgement says so).
//!
//! Waiting requests are small fixed records in a ring; their arguments are
//! copied once into one byte arena per connection, emptied whenever no
//! request waits. A reply is read where it lies (its type from its first
//! byte, an error's text in place) and only the rare frames whose content
//! pairing needs (pushes, pub/sub confirmations and messages) are decoded.
//! A finished command is handed out as a [`Command`] borrowing all this.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;

use super::framing::{Body, Framed, reply_kind};
use super::reassembly::Micros;
use crate::resp::{Decoder, Frame, FrameKind};

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its reply was seen.
    Replied,
    /// The server sends none (CLIENT REPLY OFF/SKIP).
    NoReplyExpected,
    /// The connection ended, or the capture did, before a reply.
    NoReplySeen,
    /// A capture gap made its reply impossible to place.
    LostInGap,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Replied => "replied",
            Outcome::NoReplyExpected => "no_reply_expected",
            Outcome::NoReplySeen => "no_reply_seen",
            Outcome::LostInGap => "lost_in_gap",
        }
    }
}

/// The reply a command got, borrowed for the time of the call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplyRef<'a> {
    /// Type of the (first) reply frame.
    pub kind: FrameKind,
    /// Bytes of every reply frame (a SUBSCRIBE gets one per channel).
    pub bytes: u64,
    pub frames: u32,
    /// The error text, when the reply is an error.
    pub error: Option<&'a [u8]>,
}

/// One command and what came of it, as pairing hands it out: borrowed
/// from the connection's buffers for the time of the call.
#[derive(Clone, Copy, Debug)]
pub struct Command<'a> {
    /// Capture time of the request's first byte.
    pub time: Micros,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// The selected database, when known (the connection was seen from its
    /// start, or a SELECT was seen).
    pub db: Option<i64>,
    pub args: &'a [&'a [u8]],
    pub request_bytes: u64,
    pub reply: Option<ReplyRef<'a>>,
    /// From the request's first byte to the reply's last byte.
    pub latency: Option<Micros>,
    pub outcome: Outcome,
}

impl Command<'_> {
    /// The command name, uppercased (`CLIENT` and `CONFIG` style container
    /// commands keep their subcommand: `CLIENT|REPLY`).
    pub fn name(&self) -> Vec<u8> {
        command_name(self.args)
    }
}

/// The reply a command got (owned).
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// Type of the (first) reply frame.
    pub kind: FrameKind,
    /// Bytes of every reply frame (a SUBSCRIBE gets one per channel).
    pub bytes: u64,
    pub frames: u32,
    /// The error text, when the reply is an error.
    pub error: Option<Bytes>,
}

/// One command and what came of it (an owned [`Command`], for callers
/// that keep events).
#[derive(Clone, Debug)]
pub struct CommandEvent {
    /// Capture time of the request's first byte.
    pub time: Micros,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// The selected database, when known (the connection was seen from its
    /// start, or a SELECT was seen).
    pub db: Option<i64>,
    pub args: Vec<Bytes>,
    pub request_bytes: u64,
    pub reply: Option<Reply>,
    /// From the request's first byte to the reply's last byte.
    pub latency: Option<Micros>,
    pub outcome: Outcome,
}

impl CommandEvent {
    /// An owned copy of `c`.
    pub fn of(c: &Command<'_>) -> CommandEvent {
        CommandEvent {
            time: c.time,
            client: c.client,
            server: c.server,
            db: c.db,
            args: c.args.iter().map(|a| Bytes::copy_from_slice(a)).collect(),
            request_bytes: c.request_bytes,
            reply: c.reply.map(|r| Reply {
                kind: r.kind,
                bytes: r.bytes,
                frames: r.frames,
                error: r.error.map(Bytes::copy_from_slice),
            }),
            latency: c.latency,
            outcome: c.outcome,
        }
    }

    /// The command name, uppercased (`CLIENT` and `CONFIG` style container
    /// commands keep their subcommand: `CLIENT|REPLY`).
    pub fn name(&self) -> Vec<u8> {
        command_name(&self.args)
    }
}

/// The name reports group by: the first argument uppercased, with the
/// subcommand for container commands.
pub fn command_name<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut name = Vec::new();
    command_name_into(args, &mut name);
    name
}

/// [`command_name`] into `name` (cleared first), to reuse its buffer.
pub fn command_name_into<A: AsRef<[u8]>>(args: &[A], name: &mut Vec<u8>) {
    name.clear();
    let Some(first) = args.first() else {
        return;
    };
    name.extend_from_slice(first.as_ref());
    name.make_ascii_uppercase();
    if is_container(name.as_slice())
        && let Some(sub) = args.get(1)
    {
        name.push(b'|');
        let at = name.len();
        name.extend_from_slice(sub.as_ref());
        name[at..].make_ascii_uppercase();
    }
}

/// Commands whose name in reports includes the subcommand (uppercased).
pub fn is_container(name: &[u8]) -> bool {
    matches!(
        name,
        b"CLIENT"
            | b"CONFIG"
            | b"CLUSTER"
            | b"COMMAND"
            | b"MEMORY"
            | b"OBJECT"
            | b"SCRIPT"
            | b"SLOWLOG"
            | b"XINFO"
            | b"XGROUP"
            | b"ACL"
    )
}

/// [`command_name`] built on the stack, for the names pairing treats
/// apart (none is longer than [`ShortName::MAX`] bytes; a longer name is
/// kept empty, which matches none of them).
pub struct ShortName {
    buf: [u8; ShortName::MAX],
    len: usize,
}

impl ShortName {
    const MAX: usize = 40;

    pub fn of<A: AsRef<[u8]>>(args: &[A]) -> ShortName {
        let mut name = ShortName {
            buf: [0; ShortName::MAX],
            len: 0,
        };
        let Some(first) = args.first() else {
            return name;
        };
        if !name.push(first.as_ref()) {
            return name;
        }
        if is_container(name.as_slice())
            && let Some(sub) = args.get(1)
            && !(name.push(b"|") && name.push(sub.as_ref()))
        {
            name.len = 0;
        }
        name
    }

    /// Append `part` uppercased; false (and the name emptied) when it
    /// does not fit.
    fn push(&mut self, part: &[u8]) -> bool {
        let Some(to) = self.buf.get_mut(self.len..self.len + part.len()) else {
            self.len = 0;
            return false;
        };
        to.copy_from_slice(part);
        to.make_ascii_uppercase();
        self.len += part.len();
        true
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Arguments kept on the stack when a command is handed out; longer
/// commands borrow a vector.
const STACK_ARGS: usize = 16;

/// Call `f` with `args` as a slice of byte slices.
fn with_args<'a, R>(
    n: usize,
    mut arg: impl FnMut(usize) -> &'a [u8],
    f: impl FnOnce(&[&'a [u8]]) -> R,
) -> R {
    if n <= STACK_ARGS {
        let mut refs: [&[u8]; STACK_ARGS] = [&[]; STACK_ARGS];
        for (i, r) in refs.iter_mut().enumerate().take(n) {
            *r = arg(i);
        }
        f(&refs[..n])
    } else {
        let refs: Vec<&[u8]> = (0..n).map(arg).collect();
        f(&refs)
    }
}

/// Counts of what pairing saw besides commands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PairingCounters {
    /// Replies with no request waiting for them: pairing errors.
    pub unsolicited: u64,
    /// Replies skipped while re-establishing pairing (mid-stream or after
    /// a gap): they answer requests sent before what was seen.
    pub skipped_replies: u64,
    /// RESP3 push frames other than subscription confirmations.
    pub pushes: u64,
    /// Pub/sub messages (RESP2 arrays in subscribed mode or RESP3 pushes).
    pub pubsub_messages: u64,
    pub monitor_lines: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SubKind {
    Channel,
    Pattern,
    Shard,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// One reply.
    One,
    /// Confirmations of a (un)subscribe: how many, of which kind, and
    /// whether they subscribe.
    Confirmations {
        count: u32,
        kind: SubKind,
        subscribe: bool,
    },
}

/// A request waiting for its reply: a small fixed record; its arguments
/// are in the conversation's [`Arena`].
#[derive(Debug)]
struct Waiting {
    time: Micros,
    db: Option<i64>,
    /// Where its arguments start in the arena's spans (a running index),
    /// and how many there are.
    first_arg: u64,
    args: u32,
    got: u32,
    request_bytes: u64,
    expect: Expect,
    /// The type of its first reply frame, once one came.
    kind: Option<FrameKind>,
    reply_bytes: u64,
    reply_frames: u32,
    last_ts: Micros,
    /// For SELECT: the database before it, restored if it fails.
    db_before: Option<Option<i64>>,
    /// What its reply changes besides pairing.
    then: Then,
}

/// The arguments of the waiting requests: their bytes back to back, and
/// each one's span. Positions are running indexes (never reused while the
/// connection lives), so records keep theirs when the front is trimmed.
#[derive(Debug, Default)]
struct Arena {
    bytes: Vec<u8>,
    /// Running index of `bytes[0]`.
    bytes_base: u64,
    /// (running index of the first byte, length) per argument.
    spans: Vec<(u64, u32)>,
    /// Running index of `spans[0]`.
    spans_base: u64,
}

/// Trim the arena's front once this many bytes before the oldest waiting
/// request are dead (and they are half of it).
const ARENA_TRIM: usize = 64 * 1024;

impl Arena {
    /// Store one request's arguments; returns where they start.
    fn push<'a>(&mut self, args: impl Iterator<Item = &'a [u8]>) -> u64 {
        let first = self.spans_base + self.spans.len() as u64;
        for a in args {
            let at = self.bytes_base + self.bytes.len() as u64;
            self.bytes.extend_from_slice(a);
            self.spans.push((at, a.len() as u32));
        }
        first
    }

    fn arg(&self, first: u64, i: usize) -> &[u8] {
        let (at, len) = self.spans[(first - self.spans_base) as usize + i];
        let at = (at - self.bytes_base) as usize;
        &self.bytes[at..at + len as usize]
    }

    /// Nothing waits any more: forget everything.
    fn clear(&mut self) {
        self.bytes_base += self.bytes.len() as u64;
        self.spans_base += self.spans.len() as u64;
        self.bytes.clear();
        self.spans.clear();
    }

    /// The oldest waiting request's arguments start at `first`: drop what
    /// lies before, when that is worth a move.
    fn trim(&mut self, first: u64) {
        let dead_spans = (first - self.spans_base) as usize;
        let Some(&(at, _)) = self.spans.get(dead_spans) else {
            return;
        };
        let dead_bytes = (at - self.bytes_base) as usize;
        if dead_bytes >= ARENA_TRIM && dead_bytes * 2 >= self.bytes.len() {
            self.bytes.drain(..dead_bytes);
            self.bytes_base = at;
            self.spans.drain(..dead_spans);
            self.spans_base = first;
        }
    }
}

/// Commands whose reply changes the connection's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    Nothing,
    Monitor,
    Reset,
    Select,
}

/// A reply frame kept for later (pairing waits for client bytes, or for
/// an anchor): its place and its bytes.
#[derive(Debug)]
struct Held {
    offset: u64,
    last_ts: Micros,
    peer: Option<u64>,
    raw: Vec<u8>,
}

/// A reply frame being paired.
#[derive(Clone, Copy)]
struct ReplyFrame<'a> {
    offset: u64,
    last_ts: Micros,
    peer: Option<u64>,
    raw: &'a [u8],
}

impl ReplyFrame<'_> {
    fn held(&self) -> Held {
        Held {
            offset: self.offset,
            last_ts: self.last_ts,
            peer: self.peer,
            raw: self.raw.to_vec(),
        }
    }
}

impl Held {
    fn frame(&self) -> ReplyFrame<'_> {
        ReplyFrame {
            offset: self.offset,
            last_ts: self.last_ts,
            peer: self.peer,
            raw: &self.raw,
        }
    }
}

#[derive(Debug)]
enum Sync {
    /// Pairing in step.
    Ready,
    /// After a gap or mid-stream: waiting for a request at or after the
    /// client stream offset `from`; replies seen meanwhile are held.
    Awaiting { from: u64, held: VecDeque<Held> },
    /// The anchor request was seen; replies that cannot be its reply are
    /// skipped.
    Anchored {
        /// Client stream offset of the anchor's first byte.
        start: u64,
        /// Server stream offset the client had received when it sent it.
        seen_by_client: Option<u64>,
    },
}

/// Replies held while waiting for an anchor.
const MAX_HELD: usize = 4096;
/// Subscription names tracked per kind (for a bare UNSUBSCRIBE's count).
const MAX_TRACKED_SUBSCRIPTIONS: usize = 65_536;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command.
    SkipNext,
}

/// Where a finished command goes.
pub type CommandSink<'s> = dyn FnMut(&Command<'_>) + 's;

/// Pairing state of one connection.
#[derive(Debug)]
pub struct Conversation {
    client: SocketAddr,
    server: SocketAddr,
    decoder: Decoder,
    db: Option<i64>,
    waiting: VecDeque<Waiting>,
    arena: Arena,
    sync: Sync,
    /// Replies waiting for the client bytes they acknowledge.
    deferred: VecDeque<Held>,
    monitor: bool,
    reply_mode: ReplyMode,
    /// Subscriptions by kind, from confirmations.
    subs: [HashSet<Bytes>; 3],
    /// The subscription counts the server last reported (channels and
    /// patterns together; shard channels apart).
    sub_count: i64,
    shard_count: i64,
    max_waiting: usize,
    pub counters: PairingCounters,
    /// The first argument of the last request as sent, when it named an
    /// ordinary command (`plain_counted`): one whose reply pairing treats
    /// like any other and that changes nothing.
    plain: Vec<u8>,
    plain_counted: bool,
}

impl Conversation {
    /// `from_start`: the connection was seen from its SYN, so pairing is in
    /// step and the database is 0. `decoder` is the one replies were
    /// framed with.
    pub fn new(
        client: SocketAddr,
        server: SocketAddr,
        from_start: bool,
        max_waiting: usize,
        decoder: Decoder,
    ) -> Conversation {
        Conversation {
            client,
            server,
            decoder,
            db: from_start.then_some(0),
            waiting: VecDeque::new(),
            arena: Arena::default(),
            sync: if from_start {
                Sync::Ready
            } else {
                Sync::Awaiting {
                    from: 0,
                    held: VecDeque::new(),
                }
            },
            deferred: VecDeque::new(),
            monitor: false,
            reply_mode: ReplyMode::On,
            subs: Default::default(),
            sub_count: 0,
            shard_count: 0,
            max_waiting,
            counters: PairingCounters::default(),
            plain: Vec::new(),
            plain_counted: false,
        }
    }

    /// Requests still waiting for a reply.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// A request was framed; commands that expect no reply are reported to
    /// `out` at once.
    pub fn request(&mut self, framed: &Framed<'_>, out: &mut CommandSink<'_>) {
        let Body::Request(args) = framed.body else {
            return;
        };
        let raw = framed.raw;
        with_args(
            args.len(),
            |i| args[i].bytes(raw),
            |args| self.request_args(framed, args, out),
        );
    }

    fn request_args(&mut self, framed: &Framed<'_>, args: &[&[u8]], out: &mut CommandSink<'_>) {
        // A repeat of the last ordinary command needs no name: the empty
        // name is one no rule below matches.
        let first = args.first().copied().unwrap_or_default();
        let repeat = self.plain_counted && crate::bytes::same(&self.plain, first);
        let short = ShortName::of(if repeat { &[] } else { args });
        let name = short.as_slice();
        if !repeat {
            let ordinary = !name.is_empty()
                && !is_container(name)
                && !matches!(
                    name,
                    b"SELECT"
                        | b"MONITOR"
                        | b"RESET"
                        | b"SUBSCRIBE"
                        | b"PSUBSCRIBE"
                        | b"SSUBSCRIBE"
                        | b"UNSUBSCRIBE"
                        | b"PUNSUBSCRIBE"
                        | b"SUNSUBSCRIBE"
                );
            self.plain.clear();
            self.plain.extend_from_slice(first);
            self.plain_counted = ordinary;
        }
        let mut db_before = None;
        if name == b"SELECT"
            && let Some(n) = args.get(1).and_then(|a| crate::resp::number::string2ll(a))
        {
            db_before = Some(self.db);
            self.db = Some(n);
        }
        let expect = self.expectation(name, args);
        let silent = match (self.reply_mode, name) {
            (_, b"CLIENT|REPLY") => {
                let mode = args.get(2).map(|a| a.to_ascii_uppercase());
                match mode.as_deref() {
                    Some(b"OFF") => {
                        self.reply_mode = ReplyMode::Off;
                        true
                    }
                    Some(b"SKIP") => {
                        // SKIP itself has no reply, nor has the next command.
                        if self.reply_mode == ReplyMode::On {
                            self.reply_mode = ReplyMode::SkipNext;
                        }
                        true
                    }
                    Some(b"ON") => {
                        self.reply_mode = ReplyMode::On;
                        false
                    }
                    _ => self.reply_mode != ReplyMode::On,
                }
            }
            (ReplyMode::Off, _) => true,
            (ReplyMode::SkipNext, _) => {
                self.reply_mode = ReplyMode::On;
                true
            }
            (ReplyMode::On, _) => false,
        };
        let db = db_before.unwrap_or(self.db);
        // A command reported at once needs nothing stored.
        let now = |outcome| Command {
            time: framed.first_ts,
            client: self.client,
            server: self.server,
            db,
            args,
            request_bytes: framed.len as u64,
            reply: None,
            latency: None,
            outcome,
        };
        if silent {
            out(&now(Outcome::NoReplyExpected));
            return;
        }
        if let Sync::Awaiting { from, .. } = &self.sync
            && framed.offset < *from
        {
            // Sent before the point pairing restarts from.
            out(&now(Outcome::LostInGap));
            return;
        }
        if let Sync::Awaiting { held, .. } = &mut self.sync {
            // The replies seen meanwhile are judged against the anchor once
            // the client bytes they acknowledge are framed ([`release`]).
            let mut held = std::mem::take(held);
            held.append(&mut self.deferred);
            self.deferred = held;
            self.sync = Sync::Anchored {
                start: framed.offset,
                seen_by_client: framed.peer,
            };
        }
        if self.waiting.len() >= self.max_waiting
            && let Some(oldest) = self.waiting.pop_front()
        {
            // A server that stopped answering: bound what is kept.
            self.emit(&oldest, Outcome::NoReplySeen, None, out);
        }
        if let Some(front) = self.waiting.front() {
            self.arena.trim(front.first_arg);
        } else {
            self.arena.clear();
        }
        let first_arg = self.arena.push(args.iter().copied());
        self.waiting.push_back(Waiting {
            time: framed.first_ts,
            db,
            first_arg,
            args: args.len() as u32,
            got: 0,
            request_bytes: framed.len as u64,
            expect,
            kind: None,
            reply_bytes: 0,
            reply_frames: 0,
            last_ts: framed.last_ts,
            db_before,
            then: match name {
                b"MONITOR" => Then::Monitor,
                b"RESET" => Then::Reset,
                b"SELECT" => Then::Select,
                _ => Then::Nothing,
            },
        });
    }

    /// Hand out a command that left the queue (its arguments are still in
    /// the arena). `error` is the text of the reply that finished it.
    fn emit(&self, w: &Waiting, outcome: Outcome, error: Option<&[u8]>, out: &mut CommandSink<'_>) {
        let replied = outcome == Outcome::Replied;
        let arena = &self.arena;
        with_args(
            w.args as usize,
            |i| arena.arg(w.first_arg, i),
            |args| {
                out(&Command {
                    time: w.time,
                    client: self.client,
                    server: self.server,
                    db: w.db,
                    args,
                    request_bytes: w.request_bytes,
                    reply: match w.kind {
                        Some(kind) if replied => Some(ReplyRef {
                            kind,
                            bytes: w.reply_bytes,
                            frames: w.reply_frames,
                            error,
                        }),
                        _ => None,
                    },
                    latency: replied.then(|| w.last_ts.saturating_sub(w.time)),
                    outcome,
                })
            },
        );
    }

    fn expectation(&self, name: &[u8], args: &[&[u8]]) -> Expect {
        let (kind, subscribe) = match name {
            b"SUBSCRIBE" => (SubKind::Channel, true),
            b"PSUBSCRIBE" => (SubKind::Pattern, true),
            b"SSUBSCRIBE" => (SubKind::Shard, true),
            b"UNSUBSCRIBE" => (SubKind::Channel, false),
            b"PUNSUBSCRIBE" => (SubKind::Pattern, false),
            b"SUNSUBSCRIBE" => (SubKind::Shard, false),
            _ => return Expect::One,
        };
        let named = args.len().saturating_sub(1) as u32;
        let count = if named > 0 {
            named
        } else if subscribe {
            // Without a channel Redis answers with one arity error.
            1
        } else {
            (self.subs[kind as usize].len() as u32).max(1)
        };
        Expect::Confirmations {
            count,
            kind,
            subscribe,
        }
    }

    /// A reply frame was framed. `client_next` is how far the client's
    /// stream has been delivered: a reply whose segment acknowledged more
    /// than that answers requests not framed yet (their bytes wait behind a
    /// hole), so it waits for them.
    pub fn reply(&mut self, framed: &Framed<'_>, client_next: u64, out: &mut CommandSink<'_>) {
        let reply = ReplyFrame {
            offset: framed.offset,
            last_ts: framed.last_ts,
            peer: framed.peer,
            raw: framed.raw,
        };
        let ahead = reply.peer.is_some_and(|p| p > client_next);
        if ahead || !self.deferred.is_empty() {
            self.deferred.push_back(reply.held());
            if self.deferred.len() > MAX_HELD
                && let Some(oldest) = self.deferred.pop_front()
            {
                self.handle_reply(oldest.frame(), out);
            }
            return;
        }
        self.handle_reply(reply, out);
    }

    /// The client's stream was delivered up to `client_next`: replies
    /// waiting for those bytes can be paired now.
    pub fn release(&mut self, client_next: u64, out: &mut CommandSink<'_>) {
        while self
            .deferred
            .front()
            .is_some_and(|f| f.peer.is_none_or(|p| p <= client_next))
        {
            if let Some(held) = self.deferred.pop_front() {
                self.handle_reply(held.frame(), out);
            }
        }
    }

    fn handle_reply(&mut self, reply: ReplyFrame<'_>, out: &mut CommandSink<'_>) {
        let raw = reply.raw;
        let kind = reply_kind(raw);
        let confirming = self
            .waiting
            .front()
            .is_some_and(|w| matches!(w.expect, Expect::Confirmations { .. }));
        // Only pushes and, around subscriptions, arrays are decoded: their
        // content is what pairing needs.
        let frame = match kind {
            FrameKind::Push => self.decode(raw),
            FrameKind::Array if confirming || self.sub_count + self.shard_count > 0 => {
                self.decode(raw)
            }
            _ => None,
        };
        if self.out_of_band(kind, raw, frame.as_ref()) {
            return;
        }
        match &mut self.sync {
            Sync::Ready => {}
            Sync::Awaiting { held, .. } => {
                if held.len() >= MAX_HELD {
                    held.pop_front();
                    self.counters.skipped_replies += 1;
                }
                held.push_back(reply.held());
                return;
            }
            Sync::Anchored {
                start,
                seen_by_client,
            } => {
                let client_had_it = seen_by_client.is_some_and(|seen| reply.offset < seen);
                let sent_before_anchor = reply.peer.is_some_and(|acked| acked <= *start);
                if client_had_it || sent_before_anchor {
                    self.counters.skipped_replies += 1;
                    return;
                }
                self.sync = Sync::Ready;
            }
        }
        let Some(head) = self.waiting.front_mut() else {
            self.counters.unsolicited += 1;
            return;
        };
        let is_error = matches!(kind, FrameKind::Error | FrameKind::BulkError);
        head.kind.get_or_insert(kind);
        head.reply_bytes += raw.len() as u64;
        head.reply_frames += 1;
        head.last_ts = head.last_ts.max(reply.last_ts);
        head.got += 1;
        let done = match head.expect {
            Expect::One => true,
            Expect::Confirmations { count, .. } => is_error || head.got >= count,
        };
        if let Expect::Confirmations {
            kind: sub,
            subscribe,
            ..
        } = head.expect
            && let Some(frame) = &frame
        {
            self.confirmation(frame, sub, subscribe);
        }
        if !done {
            return;
        }
        let Some(done) = self.waiting.pop_front() else {
            return;
        };
        match done.then {
            Then::Monitor if !is_error => self.monitor = true,
            Then::Reset if !is_error => {
                self.monitor = false;
                self.reply_mode = ReplyMode::On;
                self.subs = Default::default();
                self.sub_count = 0;
                self.shard_count = 0;
                self.db = Some(0);
            }
            Then::Select if is_error => {
                if let Some(before) = done.db_before {
                    self.db = before;
                }
            }
            _ => {}
        }
        // Only the frame that finishes a command can be its first error.
        let error = if is_error { error_text(raw) } else { None };
        self.emit(&done, Outcome::Replied, error, out);
        if self.waiting.is_empty() {
            self.arena.clear();
        }
    }

    fn decode(&self, raw: &[u8]) -> Option<Frame> {
        self.decoder.parse_slice(raw).ok().map(|(frame, _)| frame)
    }

    /// Frames that answer no request: pushes, pub/sub messages, MONITOR
    /// lines. Counted here; true when the frame was one.
    fn out_of_band(&mut self, kind: FrameKind, raw: &[u8], frame: Option<&Frame>) -> bool {
        match (kind, frame) {
            (_, Some(Frame::Push(items))) => {
                if self.expects_confirmation(items) {
                    return false;
                }
                if is_message(items) {
                    self.counters.pubsub_messages += 1;
                } else {
                    self.counters.pushes += 1;
                }
                true
            }
            (_, Some(Frame::Array(items)))
                if self.sub_count + self.shard_count > 0
                    && is_message(items)
                    && !self.expects_confirmation(items) =>
            {
                self.counters.pubsub_messages += 1;
                true
            }
            (FrameKind::Simple, _)
                if self.monitor && is_monitor_line(&raw[1..raw.len().saturating_sub(2)]) =>
            {
                self.counters.monitor_lines += 1;
                true
            }
            _ => false,
        }
    }

    /// Is the head request a (un)subscribe this confirmation answers?
    fn expects_confirmation(&self, items: &[Frame]) -> bool {
        let Some(Expect::Confirmations {
            kind, subscribe, ..
        }) = self.waiting.front().map(|w| w.expect)
        else {
            return false;
        };
        let want: &[u8] = match (kind, subscribe) {
            (SubKind::Channel, true) => b"subscribe",
            (SubKind::Pattern, true) => b"psubscribe",
            (SubKind::Shard, true) => b"ssubscribe",
            (SubKind::Channel, false) => b"unsubscribe",
            (SubKind::Pattern, false) => b"punsubscribe",
            (SubKind::Shard, false) => b"sunsubscribe",
        };
        matches!(items.first(), Some(Frame::Bulk(b)) if b.eq_ignore_ascii_case(want))
    }

    /// Track subscriptions from a confirmation `[kind, name, count]`.
    fn confirmation(&mut self, frame: &Frame, kind: SubKind, subscribe: bool) {
        let (Frame::Array(items) | Frame::Push(items)) = frame else {
            return;
        };
        let set = &mut self.subs[kind as usize];
        if let Some(Frame::Bulk(name)) = items.get(1) {
            if subscribe {
                if set.len() < MAX_TRACKED_SUBSCRIPTIONS {
                    set.insert(name.clone());
                }
            } else {
                set.remove(name);
            }
        }
        if let Some(Frame::Integer(count)) = items.get(2) {
            if kind == SubKind::Shard {
                self.shard_count = *count;
            } else {
                self.sub_count = *count;
            }
        }
    }

    /// The pairing count is lost (a gap or a protocol error in either
    /// direction). Waiting requests are reported; pairing restarts at the
    /// first request from client stream offset `from`.
    pub fn lost(&mut self, from: u64, out: &mut CommandSink<'_>) {
        while let Some(w) = self.waiting.pop_front() {
            self.emit(&w, Outcome::LostInGap, None, out);
        }
        self.arena.clear();
        if let Sync::Awaiting { held, .. } = &self.sync {
            self.counters.skipped_replies += held.len() as u64;
        }
        // Replies that were waiting for client bytes now wait for the
        // anchor, which decides which of them can be its reply.
        let mut held = std::mem::take(&mut self.deferred);
        while held.len() > MAX_HELD {
            held.pop_front();
            self.counters.skipped_replies += 1;
        }
        self.sync = Sync::Awaiting { from, held };
    }

    /// The connection (or the capture) ended.
    pub fn finish(&mut self, out: &mut CommandSink<'_>) {
        while let Some(held) = self.deferred.pop_front() {
            self.handle_reply(held.frame(), out);
        }
        while let Some(w) = self.waiting.pop_front() {
            self.emit(&w, Outcome::NoReplySeen, None, out);
        }
        self.arena.clear();
        if let Sync::Awaiting { held, .. } = &mut self.sync {
            self.counters.skipped_replies += held.len() as u64;
            held.clear();
        }
    }
}

/// The text of an error reply (`-ERR …` or a RESP3 bulk error), read in
/// place.
fn error_text(raw: &[u8]) -> Option<&[u8]> {
    let end = raw.len().checked_sub(2)?;
    match raw.first()? {
        b'-' => raw.get(1..end),
        b'!' => {
            let start = memchr::memchr(b'\n', raw)? + 1;
            raw.get(start..end)
        }
        _ => None,
    }
}

fn is_message(items: &[Frame]) -> bool {
    matches!(items.first(), Some(Frame::Bulk(b))
        if [&b"message"[..], b"pmessage", b"smessage"].iter().any(|m| b.eq_ignore_ascii_case(m)))
}

/// `1700000000.123456 [0 127.0.0.1:50000] "GET" "k"` (or `[0 lua]`,
/// `[0 unix:/path]`).
fn is_monitor_line(line: &[u8]) -> bool {
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && line.get(digits) == Some(&b'.') && memchr::memmem::find(line, b" [").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::request::{RequestLimits, parse_request_into};

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    struct Harness {
        conv: Conversation,
        events: Vec<CommandEvent>,
        client_off: u64,
        server_off: u64,
        ts: Micros,
    }

    impl Harness {
        fn new(from_start: bool) -> Harness {
            Harness {
                conv: Conversation::new(
                    addr("127.0.0.1:5"),
                    addr("127.0.0.1:6379"),
                    from_start,
                    1000,
                    Decoder::default(),
                ),
                events: Vec::new(),
                client_off: 0,
                server_off: 0,
                ts: 0,
            }
        }

        fn req(&mut self, args: &[&str]) {
            self.req_acked(args, None);
        }

        fn req_acked(&mut self, args: &[&str], peer: Option<u64>) {
            self.ts += 10;
            let mut raw = format!("*{}\r\n", args.len()).into_bytes();
            for a in args {
                raw.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
            let mut parsed = Vec::new();
            parse_request_into(&raw, &RequestLimits::default(), true, &mut parsed).unwrap();
            let framed = Framed {
                offset: self.client_off,
                len: 10,
                first_ts: self.ts,
                last_ts: self.ts,
                peer,
                raw: &raw,
                body: Body::Request(&parsed),
            };
            self.client_off += 10;
            let events = &mut self.events;
            self.conv
                .request(&framed, &mut |e| events.push(CommandEvent::of(e)));
            self.conv
                .release(self.client_off, &mut |e| events.push(CommandEvent::of(e)));
        }

        fn reply(&mut self, frame: Frame) {
            self.reply_acked(frame, None);
        }

        fn reply_acked(&mut self, frame: Frame, peer: Option<u64>) {
            self.ts += 5;
            let raw = crate::resp::to_bytes(&frame);
            let len = raw.len();
            let framed = Framed {
                offset: self.server_off,
                len,
                first_ts: self.ts,
                last_ts: self.ts,
                peer,
                raw: &raw,
                body: Body::Reply,
            };
            self.server_off += len as u64;
            let events = &mut self.events;
            self.conv
                .reply(&framed, u64::MAX, &mut |e| events.push(CommandEvent::of(e)));
        }

        fn names(&self) -> Vec<String> {
            self.events
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        String::from_utf8_lossy(&e.name()),
                        e.reply
                            .as_ref()
                            .map(|r| format!("{}x{}", r.kind.name(), r.frames))
                            .unwrap_or_else(|| e.outcome.name().to_owned())
                    )
                })
                .collect()
        }
    }

    fn bulk(s: &str) -> Frame {
        Frame::bulk(s.as_bytes().to_vec())
    }

    fn ok() -> Frame {
        Frame::Simple(Bytes::from_static(b"OK"))
    }

    #[test]
    fn pipelined_requests_pair_in_order_with_latency() {
        let mut h = Harness::new(true);
        h.req(&["SET", "k", "v"]);
        h.req(&["GET", "k"]);
        h.reply(ok());
        h.reply(bulk("v"));
        assert_eq!(h.names(), ["SET simplex1", "GET bulkx1"]);
        assert_eq!(h.events[0].latency, Some(15));
        assert_eq!(h.events[1].latency, Some(10));
        assert_eq!(h.events[0].db, Some(0));
        h.reply(ok());
        assert_eq!(h.conv.counters.unsolicited, 1);
    }

    #[test]
    fn pubsub_resp2_confirmations_and_messages() {
        let mut h = Harness::new(true);
        let conf = |kind: &str, ch: &str, n: i64| {
            Frame::Array(vec![bulk(kind), bulk(ch), Frame::Integer(n)])
        };
        h.req(&["SUBSCRIBE", "a", "b"]);
        h.reply(conf("subscribe", "a", 1));
        h.reply(Frame::Array(vec![
            bulk("message"),
            bulk("a"),
            bulk("hello"),
        ]));
        h.reply(conf("subscribe", "b", 2));
        h.req(&["PING"]);
        h.reply(Frame::Array(vec![bulk("message"), bulk("b"), bulk("x")]));
        h.reply(Frame::Array(vec![bulk("pong"), bulk("")]));
        h.req(&["UNSUBSCRIBE"]);
        h.reply(conf("unsubscribe", "a", 1));
        h.reply(conf("unsubscribe", "b", 0));
        // Out of pub/sub mode, a "message"-shaped array is a plain reply.
        h.req(&["LRANGE", "l", "0", "-1"]);
        h.reply(Frame::Array(vec![bulk("message"), bulk("a"), bulk("b")]));
        assert_eq!(
            h.names(),
            [
                "SUBSCRIBE arrayx2",
                "PING arrayx1",
                "UNSUBSCRIBE arrayx2",
                "LRANGE arrayx1"
            ]
        );
        assert_eq!(h.conv.counters.pubsub_messages, 2);
        assert_eq!(h.conv.counters.unsolicited, 0);
    }

    #[test]
    fn resp3_pushes_and_monitor_lines_are_out_of_band() {
        let mut h = Harness::new(true);
        h.req(&["GET", "k"]);
        h.reply(Frame::Push(vec![
            bulk("invalidate"),
            Frame::Array(vec![bulk("k")]),
        ]));
        h.reply(Frame::Null);
        h.req(&["SSUBSCRIBE", "s"]);
        h.reply(Frame::Push(vec![
            bulk("ssubscribe"),
            bulk("s"),
            Frame::Integer(1),
        ]));
        h.reply(Frame::Push(vec![bulk("smessage"), bulk("s"), bulk("m")]));
        h.req(&["MONITOR"]);
        h.reply(ok());
        h.reply(Frame::Simple(Bytes::from_static(
            b"1700000000.000001 [0 127.0.0.1:1] \"GET\" \"k\"",
        )));
        h.req(&["QUIT"]);
        h.reply(ok());
        assert_eq!(
            h.names(),
            [
                "GET nullx1",
                "SSUBSCRIBE pushx1",
                "MONITOR simplex1",
                "QUIT simplex1"
            ]
        );
        assert_eq!(h.conv.counters.pushes, 1);
        assert_eq!(h.conv.counters.pubsub_messages, 1);
        assert_eq!(h.conv.counters.monitor_lines, 1);
    }

    #[test]
    fn client_reply_off_and_skip() {
        let mut h = Harness::new(true);
        h.req(&["CLIENT", "REPLY", "SKIP"]);
        h.req(&["SET", "a", "1"]);
        h.req(&["SET", "b", "2"]);
        h.reply(ok());
        h.req(&["CLIENT", "REPLY", "OFF"]);
        h.req(&["SET", "c", "3"]);
        h.req(&["CLIENT", "REPLY", "ON"]);
        h.reply(ok());
        assert_eq!(
            h.names(),
            [
                "CLIENT|REPLY no_reply_expected",
                "SET no_reply_expected",
                "SET simplex1",
                "CLIENT|REPLY no_reply_expected",
                "SET no_reply_expected",
                "CLIENT|REPLY simplex1"
            ]
        );
    }

    #[test]
    fn select_tracks_the_database() {
        let mut h = Harness::new(true);
        h.req(&["SELECT", "3"]);
        h.req(&["GET", "k"]);
        h.reply(ok());
        h.reply(Frame::NullBulk);
        h.req(&["SELECT", "99"]);
        h.reply(Frame::Error(Bytes::from_static(
            b"ERR DB index is out of range",
        )));
        h.req(&["GET", "k"]);
        h.reply(Frame::NullBulk);
        let dbs: Vec<Option<i64>> = h.events.iter().map(|e| e.db).collect();
        assert_eq!(dbs, [Some(0), Some(3), Some(3), Some(3)]);
        assert_eq!(
            h.events[2].reply.as_ref().unwrap().error.as_deref(),
            Some(&b"ERR DB index is out of range"[..])
        );
    }

    #[test]
    fn mid_stream_skips_replies_to_unseen_requests() {
        let mut h = Harness::new(false);
        // A reply to a request sent before the capture began.
        h.server_off = 1000;
        h.client_off = 500;
        h.reply_acked(ok(), Some(500));
        // The anchor: the client had received the server's bytes so far.
        h.req_acked(&["GET", "k"], Some(h.server_off));
        h.reply_acked(bulk("v"), Some(510));
        assert_eq!(h.names(), ["GET bulkx1"]);
        assert_eq!(h.conv.counters.skipped_replies, 1);
        assert_eq!(h.events[0].db, None);
    }

    #[test]
    fn a_gap_reports_waiting_requests_and_resynchronises() {
        let mut h = Harness::new(true);
        h.req(&["GET", "a"]);
        h.req(&["GET", "b"]);
        let events = &mut h.events;
        h.conv.lost(20, &mut |e| events.push(CommandEvent::of(e)));
        h.reply_acked(bulk("b"), Some(20));
        h.req_acked(&["GET", "c"], Some(h.server_off));
        h.reply_acked(bulk("c"), Some(30));
        h.conv.finish(&mut |_| {});
        assert_eq!(
            h.names(),
            ["GET lost_in_gap", "GET lost_in_gap", "GET bulkx1"]
        );
        assert_eq!(h.conv.counters.skipped_replies, 1);
        assert_eq!(h.conv.counters.unsolicited, 0);
    }
}
