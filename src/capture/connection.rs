//! One TCP connection to the server: both directions' reassembly and
//! framing, the pairing of its commands, and its lifecycle (opened by a
//! SYN or joined mid-stream, half-closed by a FIN, closed, reset).

use std::net::SocketAddr;

use super::framing::{Body, Framer, Framing, Side};
use super::packet::Segment;
use super::pairing::{Command, CommandEvent, Conversation};
use super::reassembly::{self, Micros, Piece, Reassembler};
use crate::resp::Decoder;

/// Bounds applied to every connection.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub reassembly: reassembly::Limits,
    /// Largest frame buffered whole.
    pub max_frame: usize,
    /// Most requests waiting for replies.
    pub max_waiting: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            reassembly: reassembly::Limits::default(),
            max_frame: 64 * 1024 * 1024,
            max_waiting: 10_000,
        }
    }
}

/// Something a connection reports besides commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// `len` bytes at `offset` of one direction were never captured.
    Gap { side: Side, offset: u64, len: u64 },
    /// The bytes at `offset` are not RESP (or a frame outgrew the limit).
    Invalid {
        side: Side,
        offset: u64,
        message: String,
    },
}

/// What a connection produces, in order, borrowed for the time of the
/// call (see [`Event`] for an owned copy).
#[derive(Clone, Copy, Debug)]
pub enum EventRef<'a> {
    Command(&'a Command<'a>),
    Trouble {
        time: Micros,
        client: SocketAddr,
        server: SocketAddr,
        trouble: &'a Trouble,
    },
}

/// Where a connection's events go.
pub type EventSink<'s> = dyn FnMut(EventRef<'_>) + 's;

/// An owned [`EventRef`], for callers that keep events.
#[derive(Clone, Debug)]
pub enum Event {
    Command(CommandEvent),
    Trouble {
        time: Micros,
        client: SocketAddr,
        server: SocketAddr,
        trouble: Trouble,
    },
}

impl Event {
    pub fn of(e: EventRef<'_>) -> Event {
        match e {
            EventRef::Command(c) => Event::Command(CommandEvent::of(c)),
            EventRef::Trouble {
                time,
                client,
                server,
                trouble,
            } => Event::Trouble {
                time,
                client,
                server,
                trouble: trouble.clone(),
            },
        }
    }
}

/// Where a connection's life stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    /// Data flowing (or the handshake under way).
    Open,
    /// One side sent its FIN.
    HalfClosed,
    /// Both sides finished.
    Closed,
    /// A RST ended it.
    Reset,
}

/// Per-connection counters handed to the totals when it ends.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resyncs {
    pub count: u64,
    pub skipped_bytes: u64,
    pub invalid: u64,
}

#[derive(Debug)]
pub struct Connection {
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Client to server.
    pub up: Reassembler,
    /// Server to client.
    pub down: Reassembler,
    up_framer: Framer,
    down_framer: Framer,
    pub conv: Conversation,
    pub state: Lifecycle,
    pub last_seen: Micros,
    /// Seen from its handshake (else joined mid-stream).
    pub from_start: bool,
    pub resyncs: Resyncs,
}

impl Connection {
    pub fn new(
        client: SocketAddr,
        server: SocketAddr,
        from_start: bool,
        decoder: Decoder,
        limits: &ConnectionLimits,
        now: Micros,
    ) -> Connection {
        Connection {
            client,
            server,
            up: Reassembler::new(limits.reassembly),
            down: Reassembler::new(limits.reassembly),
            up_framer: Framer::new(Side::Client, decoder, limits.max_frame, from_start),
            down_framer: Framer::new(Side::Server, decoder, limits.max_frame, from_start),
            conv: Conversation::new(client, server, from_start, limits.max_waiting, decoder),
            state: Lifecycle::Open,
            last_seen: now,
            from_start,
            resyncs: Resyncs::default(),
        }
    }

    /// One segment of this connection, `from_client` or from the server.
    pub fn segment(
        &mut self,
        seg: &Segment,
        from_client: bool,
        ts: Micros,
        out: &mut EventSink<'_>,
    ) {
        self.last_seen = self.last_seen.max(ts);
        let side = if from_client {
            Side::Client
        } else {
            Side::Server
        };
        {
            let parts = self.parts(side);
            if let Some(ack) = seg.ack {
                parts.other.acknowledged(ack, ts);
            }
            if seg.syn {
                parts.this.syn(seg.seq);
                if let Some(ack) = seg.ack {
                    // A SYN-ACK also tells where the client's stream starts.
                    parts.other.syn(ack.wrapping_sub(1));
                }
            }
        }
        let seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        self.through(side, ts, out, |this, sink| {
            this.segment(seq, seg.payload, seg.fin, ts, seg.ack, sink)
        });
        if seg.rst {
            self.state = Lifecycle::Reset;
        } else if self.up.finished() && self.down.finished() {
            self.state = Lifecycle::Closed;
        } else if self.state == Lifecycle::Open && (self.up.finished() || self.down.finished()) {
            self.state = Lifecycle::HalfClosed;
        }
        if self.has_hole() {
            self.expire(ts, out);
        }
    }

    /// Give up holes whose time is up.
    pub fn expire(&mut self, now: Micros, out: &mut EventSink<'_>) {
        for side in [Side::Client, Side::Server] {
            self.through(side, now, out, |this, sink| {
                if this.has_hole() {
                    this.expire(now, sink);
                }
            });
        }
    }

    /// True while a hole waits in either direction.
    pub fn has_hole(&self) -> bool {
        self.up.has_hole() || self.down.has_hole()
    }

    /// The connection ended (closed, reset, evicted, end of capture):
    /// deliver what is buffered, and report requests left waiting.
    pub fn finish(&mut self, out: &mut EventSink<'_>) {
        let now = self.last_seen;
        for side in [Side::Client, Side::Server] {
            self.through(side, now, out, |this, sink| this.flush(sink));
        }
        self.conv.finish(&mut |c| out(EventRef::Command(c)));
    }

    /// Run `f` on `side`'s reassembler with a sink that carries what it
    /// delivers through framing and pairing to `out`.
    fn through(
        &mut self,
        side: Side,
        now: Micros,
        out: &mut EventSink<'_>,
        f: impl FnOnce(&mut Reassembler, &mut dyn FnMut(Piece)),
    ) {
        let Parts {
            this,
            other,
            framer,
            conv,
            resyncs,
            client,
            server,
        } = self.parts(side);
        let mut sink = |piece: Piece| {
            deliver(
                piece, side, now, other, framer, conv, resyncs, client, server, out,
            )
        };
        f(this, &mut sink);
    }

    /// True once the connection is over and can leave the table.
    pub fn done(&self) -> bool {
        matches!(self.state, Lifecycle::Closed | Lifecycle::Reset)
    }

    fn parts(&mut self, side: Side) -> Parts<'_> {
        let (this, other, framer) = match side {
            Side::Client => (&mut self.up, &mut self.down, &mut self.up_framer),
            Side::Server => (&mut self.down, &mut self.up, &mut self.down_framer),
        };
        Parts {
            this,
            other,
            framer,
            conv: &mut self.conv,
            resyncs: &mut self.resyncs,
            client: self.client,
            server: self.server,
        }
    }
}

/// The fields one direction's delivery touches, borrowed apart.
struct Parts<'a> {
    this: &'a mut Reassembler,
    other: &'a mut Reassembler,
    framer: &'a mut Framer,
    conv: &'a mut Conversation,
    resyncs: &'a mut Resyncs,
    client: SocketAddr,
    server: SocketAddr,
}

/// One piece of `side`'s stream through framing and pairing.
#[allow(clippy::too_many_arguments)]
fn deliver(
    piece: Piece,
    side: Side,
    now: Micros,
    other: &Reassembler,
    framer: &mut Framer,
    conv: &mut Conversation,
    resyncs: &mut Resyncs,
    client: SocketAddr,
    server: SocketAddr,
    out: &mut EventSink<'_>,
) {
    let peer = match piece {
        Piece::Data { ack: Some(ack), .. } => other.offset_of(ack),
        _ => None,
    };
    let time = match piece {
        Piece::Data { ts, .. } => ts,
        Piece::Gap { .. } => now,
    };
    // Where pairing may restart: past this side's fault, or at the next
    // request the client has not yet delivered.
    let restart = |fault_end: u64| match side {
        Side::Client => fault_end,
        Side::Server => other.next_offset(),
    };
    let client_next = match (side, &piece) {
        (Side::Client, Piece::Data { offset, bytes, .. }) => offset + bytes.len() as u64,
        (Side::Client, Piece::Gap { offset, len }) => offset + len,
        (Side::Server, _) => other.next_offset(),
    };
    framer.push(&piece, peer, &mut |framing| match framing {
        Framing::Frame(framed) => {
            let mut emit = |c: &Command<'_>| out(EventRef::Command(c));
            match framed.body {
                Body::Request(_) => conv.request(&framed, &mut emit),
                Body::Reply => conv.reply(&framed, client_next, &mut emit),
            }
        }
        Framing::Lost { offset, len } => {
            conv.lost(restart(offset + len), &mut |c| out(EventRef::Command(c)));
            out(EventRef::Trouble {
                time,
                client,
                server,
                trouble: &Trouble::Gap { side, offset, len },
            });
        }
        Framing::Invalid { offset, message } => {
            resyncs.invalid += 1;
            conv.lost(restart(offset + 1), &mut |c| out(EventRef::Command(c)));
            out(EventRef::Trouble {
                time,
                client,
                server,
                trouble: &Trouble::Invalid {
                    side,
                    offset,
                    message,
                },
            });
        }
        Framing::Resynced { skipped, .. } => {
            resyncs.count += 1;
            resyncs.skipped_bytes += skipped;
        }
    });
    if side == Side::Client {
        conv.release(client_next, &mut |c| out(EventRef::Command(c)));
    }
}
