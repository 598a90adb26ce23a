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

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;

use super::framing::Framed;
use super::reassembly::Micros;
use crate::resp::{Frame, FrameKind};

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

/// The reply a command got.
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

/// One command and what came of it.
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
    /// The command name, uppercased (`CLIENT` and `CONFIG` style container
    /// commands keep their subcommand: `CLIENT|REPLY`).
    pub fn name(&self) -> Vec<u8> {
        command_name(&self.args)
    }
}

/// The name reports group by: the first argument uppercased, with the
/// subcommand for container commands.
pub fn command_name(args: &[Bytes]) -> Vec<u8> {
    let mut name = Vec::new();
    command_name_into(args, &mut name);
    name
}

/// [`command_name`] into `name` (cleared first), to reuse its buffer.
pub fn command_name_into(args: &[Bytes], name: &mut Vec<u8>) {
    name.clear();
    let Some(first) = args.first() else {
        return;
    };
    name.extend_from_slice(first);
    name.make_ascii_uppercase();
    if is_container(name.as_slice())
        && let Some(sub) = args.get(1)
    {
        name.push(b'|');
        let at = name.len();
        name.extend_from_slice(sub);
        name[at..].make_ascii_uppercase();
    }
}

/// Commands whose name in reports includes the subcommand (uppercased).
fn is_container(name: &[u8]) -> bool {
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

    pub fn of(args: &[Bytes]) -> ShortName {
        let mut name = ShortName {
            buf: [0; ShortName::MAX],
            len: 0,
        };
        let Some(first) = args.first() else {
            return name;
        };
        if !name.push(first) {
            return name;
        }
        if is_container(name.as_slice())
            && let Some(sub) = args.get(1)
            && !(name.push(b"|") && name.push(sub))
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

#[derive(Debug)]
struct Waiting {
    time: Micros,
    db: Option<i64>,
    args: Vec<Bytes>,
    request_bytes: u64,
    expect: Expect,
    got: u32,
    reply: Option<Reply>,
    last_ts: Micros,
    /// For SELECT: the database before it, restored if it fails.
    db_before: Option<Option<i64>>,
    /// What its reply changes besides pairing.
    then: Then,
}

/// Commands whose reply changes the connection's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    Nothing,
    Monitor,
    Reset,
    Select,
}

#[derive(Debug)]
enum Sync {
    /// Pairing in step.
    Ready,
    /// After a gap or mid-stream: waiting for a request at or after the
    /// client stream offset `from`; replies seen meanwhile are held.
    Awaiting { from: u64, held: VecDeque<Framed> },
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

/// Pairing state of one connection.
#[derive(Debug)]
pub struct Conversation {
    client: SocketAddr,
    server: SocketAddr,
    db: Option<i64>,
    waiting: VecDeque<Waiting>,
    sync: Sync,
    /// Replies waiting for the client bytes they acknowledge.
    deferred: VecDeque<Framed>,
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
}

impl Conversation {
    /// `from_start`: the connection was seen from its SYN, so pairing is in
    /// step and the database is 0.
    pub fn new(
        client: SocketAddr,
        server: SocketAddr,
        from_start: bool,
        max_waiting: usize,
    ) -> Conversation {
        Conversation {
            client,
            server,
            db: from_start.then_some(0),
            waiting: VecDeque::new(),
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
        }
    }

    /// Requests still waiting for a reply.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// A request was framed; commands that expect no reply are reported to
    /// `out` at once.
    pub fn request(&mut self, framed: Framed, out: &mut dyn FnMut(CommandEvent)) {
        let Framed {
            offset,
            len,
            first_ts,
            last_ts,
            peer,
            body,
        } = framed;
        let super::framing::Body::Request(args) = body else {
            return;
        };
        let name = ShortName::of(&args);
        let name = name.as_slice();
        let mut db_before = None;
        if name == b"SELECT"
            && let Some(n) = args.get(1).and_then(|a| crate::resp::number::string2ll(a))
        {
            db_before = Some(self.db);
            self.db = Some(n);
        }
        let expect = self.expectation(name, &args);
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
        let waiting = Waiting {
            time: first_ts,
            db: db_before.unwrap_or(self.db),
            args,
            request_bytes: len as u64,
            expect,
            got: 0,
            reply: None,
            last_ts,
            db_before,
            then: match name {
                b"MONITOR" => Then::Monitor,
                b"RESET" => Then::Reset,
                b"SELECT" => Then::Select,
                _ => Then::Nothing,
            },
        };
        if silent {
            out(self.event(waiting, Outcome::NoReplyExpected));
            return;
        }
        if let Sync::Awaiting { from, held } = &mut self.sync {
            if offset < *from {
                // Sent before the point pairing restarts from.
                out(self.event(waiting, Outcome::LostInGap));
                return;
            }
            // The replies seen meanwhile are judged against the anchor once
            // the client bytes they acknowledge are framed ([`release`]).
            let mut held = std::mem::take(held);
            held.append(&mut self.deferred);
            self.deferred = held;
            self.sync = Sync::Anchored {
                start: offset,
                seen_by_client: peer,
            };
            self.push_waiting(waiting, out);
            return;
        }
        self.push_waiting(waiting, out);
    }

    fn push_waiting(&mut self, waiting: Waiting, out: &mut dyn FnMut(CommandEvent)) {
        if self.waiting.len() >= self.max_waiting
            && let Some(oldest) = self.waiting.pop_front()
        {
            // A server that stopped answering: bound what is kept.
            out(self.event(oldest, Outcome::NoReplySeen));
        }
        self.waiting.push_back(waiting);
    }

    fn expectation(&self, name: &[u8], args: &[Bytes]) -> Expect {
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
    pub fn reply(&mut self, framed: Framed, client_next: u64, out: &mut dyn FnMut(CommandEvent)) {
        let ahead = framed.peer.is_some_and(|p| p > client_next);
        if ahead || !self.deferred.is_empty() {
            self.deferred.push_back(framed);
            if self.deferred.len() > MAX_HELD
                && let Some(oldest) = self.deferred.pop_front()
            {
                self.handle_reply(oldest, out);
            }
            return;
        }
        self.handle_reply(framed, out);
    }

    /// The client's stream was delivered up to `client_next`: replies
    /// waiting for those bytes can be paired now.
    pub fn release(&mut self, client_next: u64, out: &mut dyn FnMut(CommandEvent)) {
        while self
            .deferred
            .front()
            .is_some_and(|f| f.peer.is_none_or(|p| p <= client_next))
        {
            if let Some(framed) = self.deferred.pop_front() {
                self.handle_reply(framed, out);
            }
        }
    }

    fn handle_reply(&mut self, framed: Framed, out: &mut dyn FnMut(CommandEvent)) {
        let super::framing::Body::Reply(frame) = &framed.body else {
            return;
        };
        if self.out_of_band(frame) {
            return;
        }
        match &mut self.sync {
            Sync::Ready => {}
            Sync::Awaiting { held, .. } => {
                if held.len() >= MAX_HELD {
                    held.pop_front();
                    self.counters.skipped_replies += 1;
                }
                held.push_back(framed);
                return;
            }
            Sync::Anchored {
                start,
                seen_by_client,
            } => {
                let client_had_it = seen_by_client.is_some_and(|seen| framed.offset < seen);
                let sent_before_anchor = framed.peer.is_some_and(|acked| acked <= *start);
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
        let is_error = matches!(frame.kind(), FrameKind::Error | FrameKind::BulkError);
        let reply = head.reply.get_or_insert(Reply {
            kind: frame.kind(),
            bytes: 0,
            frames: 0,
            error: None,
        });
        reply.bytes += framed.len as u64;
        reply.frames += 1;
        if is_error && reply.error.is_none() {
            reply.error = match frame {
                Frame::Error(e) | Frame::BulkError(e) => Some(e.clone()),
                _ => None,
            };
        }
        head.last_ts = head.last_ts.max(framed.last_ts);
        head.got += 1;
        let done = match head.expect {
            Expect::One => true,
            Expect::Confirmations { count, .. } => is_error || head.got >= count,
        };
        if let Expect::Confirmations {
            kind, subscribe, ..
        } = head.expect
        {
            self.confirmation(frame, kind, subscribe);
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
        out(self.event(done, Outcome::Replied));
    }

    /// Frames that answer no request: pushes, pub/sub messages, MONITOR
    /// lines. Counted here; true when `frame` was one.
    fn out_of_band(&mut self, frame: &Frame) -> bool {
        match frame {
            Frame::Push(items) => {
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
            Frame::Array(items)
                if self.sub_count + self.shard_count > 0
                    && is_message(items)
                    && !self.expects_confirmation(items) =>
            {
                self.counters.pubsub_messages += 1;
                true
            }
            Frame::Simple(line) if self.monitor && is_monitor_line(line) => {
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
    pub fn lost(&mut self, from: u64, out: &mut dyn FnMut(CommandEvent)) {
        while let Some(w) = self.waiting.pop_front() {
            out(self.event(w, Outcome::LostInGap));
        }
        if let Sync::Awaiting { held, .. } = &self.sync {
            self.counters.skipped_replies += held.len() as u64;
        }
        // Replies that were waiting for client bytes now wait for the
        // anchor, which decides which of them can be its reply.
        let mut held: VecDeque<Framed> = std::mem::take(&mut self.deferred);
        while held.len() > MAX_HELD {
            held.pop_front();
            self.counters.skipped_replies += 1;
        }
        self.sync = Sync::Awaiting { from, held };
    }

    /// The connection (or the capture) ended.
    pub fn finish(&mut self, out: &mut dyn FnMut(CommandEvent)) {
        while let Some(framed) = self.deferred.pop_front() {
            self.handle_reply(framed, out);
        }
        while let Some(w) = self.waiting.pop_front() {
            out(self.event(w, Outcome::NoReplySeen));
        }
        if let Sync::Awaiting { held, .. } = &mut self.sync {
            self.counters.skipped_replies += held.len() as u64;
            held.clear();
        }
    }

    fn event(&self, w: Waiting, outcome: Outcome) -> CommandEvent {
        let latency = (outcome == Outcome::Replied).then(|| w.last_ts.saturating_sub(w.time));
        CommandEvent {
            time: w.time,
            client: self.client,
            server: self.server,
            db: w.db,
            args: w.args,
            request_bytes: w.request_bytes,
            reply: if outcome == Outcome::Replied {
                w.reply
            } else {
                None
            },
            latency,
            outcome,
        }
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
    use crate::capture::framing::Body;

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
            let args: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
            let framed = Framed {
                offset: self.client_off,
                len: 10,
                first_ts: self.ts,
                last_ts: self.ts,
                peer,
                body: Body::Request(args),
            };
            self.client_off += 10;
            let events = &mut self.events;
            self.conv.request(framed, &mut |e| events.push(e));
            self.conv.release(self.client_off, &mut |e| events.push(e));
        }

        fn reply(&mut self, frame: Frame) {
            self.reply_acked(frame, None);
        }

        fn reply_acked(&mut self, frame: Frame, peer: Option<u64>) {
            self.ts += 5;
            let len = crate::resp::to_bytes(&frame).len();
            let framed = Framed {
                offset: self.server_off,
                len,
                first_ts: self.ts,
                last_ts: self.ts,
                peer,
                body: Body::Reply(frame),
            };
            self.server_off += len as u64;
            let events = &mut self.events;
            self.conv.reply(framed, u64::MAX, &mut |e| events.push(e));
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
        h.conv.lost(20, &mut |e| events.push(e));
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
