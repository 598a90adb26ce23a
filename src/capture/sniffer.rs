//! The engine's front door: captured frames in, command events and totals
//! out. Picks the packets that belong to the watched server (by port and,
//! optionally, address), keeps the table of connections with their
//! lifecycle, evicts idle ones and bounds how many are tracked, and keeps
//! the statistics the summary reports.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use super::connection::{Connection, ConnectionLimits, EventRef, EventSink, Lifecycle};
use super::filter::Expr;
use super::framing::Side;
use super::packet::{self, LinkType, Skip};
use super::pairing::PairingCounters;
use super::reassembly::{Counters, Micros};
use super::stats::CommandStats;
use crate::resp::Decoder;

/// What to watch and how much to hold.
#[derive(Clone, Debug)]
pub struct SnifferConfig {
    /// Server ports (the side using one of them is the server).
    pub ports: Vec<u16>,
    /// Only this server address, when set.
    pub host: Option<IpAddr>,
    pub limits: ConnectionLimits,
    pub decoder: Decoder,
    /// Connections idle this long are dropped.
    pub idle_timeout: Micros,
    /// Most connections tracked at once.
    pub max_connections: usize,
    /// `--filter`: only segments it passes.
    pub filter: Option<Expr>,
}

impl Default for SnifferConfig {
    fn default() -> SnifferConfig {
        SnifferConfig {
            ports: vec![6379],
            host: None,
            limits: ConnectionLimits::default(),
            decoder: Decoder::default(),
            idle_timeout: 300_000_000,
            max_connections: 100_000,
            filter: None,
        }
    }
}

/// Packet counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketTotals {
    /// Frames handed to the sniffer.
    pub seen: u64,
    /// TCP segments of the watched server.
    pub matched: u64,
    /// Other TCP traffic, non-TCP, IP fragments, malformed headers.
    pub other_tcp: u64,
    pub not_tcp: u64,
    pub fragments: u64,
    pub malformed: u64,
    /// The second sighting of a loopback packet (cooked captures).
    pub loopback_echoes: u64,
    /// Segments whose payload the capture cut short.
    pub truncated: u64,
    /// TCP segments `--filter` left out.
    pub filtered: u64,
}

/// Connection lifecycle counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionTotals {
    /// Seen from their handshake.
    pub opened: u64,
    /// Joined while already open.
    pub mid_stream: u64,
    /// Ended with FINs both ways.
    pub closed: u64,
    pub reset: u64,
    /// Dropped before they ended: idle, no room, or their port pair taken
    /// by a new connection.
    pub evicted: u64,
    /// Still open when the capture ended.
    pub open_at_end: u64,
}

/// Stream counts, both directions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamTotals {
    pub client_to_server: Counters,
    pub server_to_client: Counters,
    /// Times a direction found a frame boundary again, and bytes skipped.
    pub resyncs: u64,
    pub resync_skipped_bytes: u64,
    /// Places where bytes were not RESP.
    pub invalid: u64,
}

/// Everything counted so far.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    pub packets: PacketTotals,
    pub connections: ConnectionTotals,
    pub streams: StreamTotals,
    pub pairing: PairingCounters,
    pub commands: CommandStats,
    /// Capture times of the first and last packet.
    pub first_ts: Option<Micros>,
    pub last_ts: Micros,
}

fn add_counters(a: &mut Counters, b: &Counters) {
    a.delivered += b.delivered;
    a.duplicate += b.duplicate;
    a.out_of_order += b.out_of_order;
    a.gaps += b.gaps;
    a.gap_bytes += b.gap_bytes;
}

fn add_pairing(a: &mut PairingCounters, b: &PairingCounters) {
    a.unsolicited += b.unsolicited;
    a.skipped_replies += b.skipped_replies;
    a.pushes += b.pushes;
    a.pubsub_messages += b.pubsub_messages;
    a.monitor_lines += b.monitor_lines;
}

/// How often (capture time) holes and idle connections are checked.
const SWEEP_EVERY: Micros = 50_000;

/// `out`, after counting each command into `stats` (every command is
/// counted; the caller decides which it shows).
fn counting<'s, 'o: 's>(
    stats: &'s mut CommandStats,
    out: &'s mut EventSink<'o>,
) -> impl FnMut(EventRef<'_>) + 's {
    move |e| {
        if let EventRef::Command(c) = e {
            stats.add(c);
        }
        out(e)
    }
}

/// A connection's (client, server) addresses: the key of the table. Hashed
/// as a few words rather than field by field as `SocketAddr` hashes itself
/// (one lookup per packet).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pair(SocketAddr, SocketAddr);

impl std::hash::Hash for Pair {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        fn words(a: &SocketAddr) -> (u64, u64) {
            match a {
                SocketAddr::V4(a) => (u64::from(a.ip().to_bits()) << 16 | u64::from(a.port()), 0),
                SocketAddr::V6(a) => {
                    let ip = a.ip().to_bits();
                    (ip as u64 ^ u64::from(a.port()) << 48, (ip >> 64) as u64)
                }
            }
        }
        let (c, c6) = words(&self.0);
        let (s, s6) = words(&self.1);
        h.write_u64(c);
        h.write_u64(s);
        if c6 | s6 != 0 {
            h.write_u64(c6);
            h.write_u64(s6);
        }
    }
}

/// Events go straight from decoding to the caller's `out`, borrowed: no
/// event is built or queued for a command nobody keeps.
pub struct Sniffer {
    config: SnifferConfig,
    conns: HashMap<Pair, Connection, foldhash::fast::RandomState>,
    totals: Totals,
    last_sweep: Micros,
}

impl Sniffer {
    pub fn new(config: SnifferConfig) -> Sniffer {
        Sniffer {
            config,
            conns: HashMap::default(),
            totals: Totals::default(),
            last_sweep: 0,
        }
    }

    /// Connections in the table.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    fn is_server(&self, addr: &SocketAddr) -> bool {
        self.config.ports.contains(&addr.port()) && self.config.host.is_none_or(|h| h == addr.ip())
    }

    /// One captured frame of link type `link`, captured at `ts`; the
    /// events it completes go to `out`, in order.
    pub fn packet(&mut self, ts: Micros, link: LinkType, frame: &[u8], out: &mut EventSink<'_>) {
        let p = &mut self.totals.packets;
        p.seen += 1;
        self.totals.first_ts.get_or_insert(ts);
        self.totals.last_ts = self.totals.last_ts.max(ts);
        let seg = match packet::parse(link, frame) {
            Ok(seg) => seg,
            Err(skip) => {
                match skip {
                    Skip::NotIp | Skip::NotTcp => p.not_tcp += 1,
                    Skip::Fragment => p.fragments += 1,
                    Skip::LoopbackEcho => p.loopback_echoes += 1,
                    Skip::Malformed(_) => p.malformed += 1,
                }
                return;
            }
        };
        if let Some(filter) = &self.config.filter
            && !filter.matches(&seg)
        {
            p.filtered += 1;
            return;
        }
        let from_client = match (self.is_server(&seg.src), self.is_server(&seg.dst)) {
            (false, true) => true,
            (true, false) => false,
            // Both ends look like servers: the SYN, or a known connection, says.
            (true, true) if seg.syn => seg.ack.is_none(),
            (true, true) => self.conns.contains_key(&Pair(seg.src, seg.dst)),
            (false, false) => {
                self.totals.packets.other_tcp += 1;
                return;
            }
        };
        self.totals.packets.matched += 1;
        if seg.truncated {
            self.totals.packets.truncated += 1;
        }
        let key = if from_client {
            Pair(seg.src, seg.dst)
        } else {
            Pair(seg.dst, seg.src)
        };
        let new_syn = seg.syn && seg.ack.is_none() && from_client;
        if new_syn
            && let Some(old) = self.conns.get(&key)
            && old.up.started()
            && old.up.offset_of(seg.seq.wrapping_add(1)) != Some(0)
        {
            // The port pair was reused by a new connection.
            self.end(key, None, out);
        }
        // One lookup for a known connection (nearly every packet).
        let done = match self.conns.get_mut(&key) {
            Some(conn) => {
                let mut sink = counting(&mut self.totals.commands, out);
                conn.segment(&seg, from_client, ts, &mut sink);
                conn.done()
            }
            None => {
                let from_start = seg.syn;
                if !from_start && seg.payload.is_empty() {
                    // A bare ACK, FIN or RST of a connection already gone.
                    return;
                }
                if self.conns.len() >= self.config.max_connections {
                    self.evict_oldest(out);
                }
                if from_start {
                    self.totals.connections.opened += 1;
                } else {
                    self.totals.connections.mid_stream += 1;
                }
                let mut conn = Connection::new(
                    key.0,
                    key.1,
                    from_start,
                    self.config.decoder,
                    &self.config.limits,
                    ts,
                );
                let mut sink = counting(&mut self.totals.commands, out);
                conn.segment(&seg, from_client, ts, &mut sink);
                let done = conn.done();
                self.conns.insert(key, conn);
                done
            }
        };
        if done {
            self.end(key, None, out);
        }
        if ts >= self.last_sweep + SWEEP_EVERY {
            self.tick(ts, out);
        }
    }

    /// Time passed (also when no packet came): give up holes that cannot
    /// be filled any more and drop idle connections.
    pub fn tick(&mut self, now: Micros, out: &mut EventSink<'_>) {
        self.last_sweep = now;
        let idle_timeout = self.config.idle_timeout;
        let mut idle = Vec::new();
        {
            let mut sink = counting(&mut self.totals.commands, out);
            for (key, conn) in self.conns.iter_mut() {
                if conn.has_hole() {
                    conn.expire(now, &mut sink);
                }
                if now.saturating_sub(conn.last_seen) >= idle_timeout {
                    idle.push(*key);
                }
            }
        }
        // The table's order is random: end them in a fixed one, so a
        // capture file gives the same report every time.
        idle.sort_unstable();
        for key in idle {
            self.end(key, Some(()), out);
        }
    }

    fn evict_oldest(&mut self, out: &mut EventSink<'_>) {
        let Some(key) = self
            .conns
            .iter()
            .min_by_key(|(k, c)| (c.last_seen, **k))
            .map(|(k, _)| *k)
        else {
            return;
        };
        self.end(key, Some(()), out);
    }

    /// Take a connection out of the table: flush it and count it.
    /// `evicted` is set when it did not end by itself.
    fn end(&mut self, key: Pair, evicted: Option<()>, out: &mut EventSink<'_>) {
        let Some(mut conn) = self.conns.remove(&key) else {
            return;
        };
        conn.finish(&mut counting(&mut self.totals.commands, out));
        let c = &mut self.totals.connections;
        match (evicted, conn.state) {
            (None, Lifecycle::Reset) => c.reset += 1,
            (None, Lifecycle::Closed) => c.closed += 1,
            // Idle, no room, or its ports taken by a new connection.
            _ => c.evicted += 1,
        }
        Self::absorb(&mut self.totals, &conn);
    }

    fn absorb(totals: &mut Totals, conn: &Connection) {
        add_counters(&mut totals.streams.client_to_server, &conn.up.counters);
        add_counters(&mut totals.streams.server_to_client, &conn.down.counters);
        totals.streams.resyncs += conn.resyncs.count;
        totals.streams.resync_skipped_bytes += conn.resyncs.skipped_bytes;
        totals.streams.invalid += conn.resyncs.invalid;
        add_pairing(&mut totals.pairing, &conn.conv.counters);
    }

    /// The capture ended: flush every connection (their remaining events
    /// go to `out`).
    pub fn finish(&mut self, out: &mut EventSink<'_>) {
        let mut keys: Vec<_> = self.conns.keys().copied().collect();
        // In a fixed order (the table's is random), as in `tick`.
        keys.sort_unstable();
        let open = keys.len() as u64;
        for key in keys {
            if let Some(mut conn) = self.conns.remove(&key) {
                conn.finish(&mut counting(&mut self.totals.commands, out));
                Self::absorb(&mut self.totals, &conn);
            }
        }
        self.totals.connections.open_at_end += open;
    }

    /// Totals so far (after [`Sniffer::finish`], all of them).
    pub fn totals(&self) -> &Totals {
        &self.totals
    }
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "request",
            Side::Server => "reply",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::connection::{Event, Trouble};
    use crate::capture::packet::build::{Tcp, ethernet};
    use crate::capture::pairing::Outcome;

    const SYN: u8 = 0x02;
    const FIN: u8 = 0x01;
    const RST: u8 = 0x04;

    struct Wire {
        sniffer: Sniffer,
        client: SocketAddr,
        server: SocketAddr,
        cseq: u32,
        sseq: u32,
        ts: Micros,
        frames: Vec<(Micros, Vec<u8>)>,
        events: Vec<Event>,
    }

    impl Wire {
        fn new() -> Wire {
            Wire {
                sniffer: Sniffer::new(SnifferConfig::default()),
                client: "127.0.0.1:40000".parse().unwrap(),
                server: "127.0.0.1:6379".parse().unwrap(),
                cseq: 1000,
                sseq: 900_000,
                ts: 1_000_000,
                frames: Vec::new(),
                events: Vec::new(),
            }
        }

        fn feed(&mut self, ts: Micros, frame: &[u8]) {
            let events = &mut self.events;
            self.sniffer
                .packet(ts, LinkType::Ethernet, frame, &mut |e| {
                    events.push(Event::of(e))
                });
        }

        fn tick(&mut self) {
            let events = &mut self.events;
            self.sniffer
                .tick(self.ts, &mut |e| events.push(Event::of(e)));
        }

        fn finish(&mut self) {
            let events = &mut self.events;
            self.sniffer.finish(&mut |e| events.push(Event::of(e)));
        }

        /// Build a frame (and remember it) without feeding it.
        fn make(&mut self, from_client: bool, flags: u8, payload: &[u8]) -> (Micros, Vec<u8>) {
            self.ts += 100;
            let (src, dst, seq, ack) = if from_client {
                (self.client, self.server, self.cseq, self.sseq)
            } else {
                (self.server, self.client, self.sseq, self.cseq)
            };
            let ack = if flags & SYN != 0 && from_client {
                None
            } else {
                Some(ack)
            };
            let frame = ethernet(&Tcp {
                src,
                dst,
                seq,
                ack,
                flags,
                payload,
            });
            let used = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
            if from_client {
                self.cseq = self.cseq.wrapping_add(used);
            } else {
                self.sseq = self.sseq.wrapping_add(used);
            }
            self.frames.push((self.ts, frame.clone()));
            (self.ts, frame)
        }

        fn send(&mut self, from_client: bool, flags: u8, payload: &[u8]) {
            let (ts, frame) = self.make(from_client, flags, payload);
            self.feed(ts, &frame);
        }

        fn handshake(&mut self) {
            self.send(true, SYN, b"");
            self.send(false, SYN, b"");
            self.send(true, 0, b"");
        }

        fn commands(&mut self) -> Vec<String> {
            let events: Vec<Event> = std::mem::take(&mut self.events);
            let mut out = Vec::new();
            for e in &events {
                match e {
                    Event::Command(c) => out.push(format!(
                        "{} {}",
                        String::from_utf8_lossy(&c.args.join(&b' ')),
                        c.outcome.name()
                    )),
                    Event::Trouble { trouble, .. } => out.push(format!("{trouble:?}")),
                }
            }
            out
        }
    }

    #[test]
    fn a_whole_connection_from_syn_to_fin() {
        let mut w = Wire::new();
        w.handshake();
        w.send(true, 0, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        w.send(false, 0, b"$1\r\nv\r\n");
        w.send(true, 0, b"*1\r\n$4\r\nQUIT\r\n");
        w.send(false, 0, b"+OK\r\n");
        w.send(false, FIN, b"");
        w.send(true, FIN, b"");
        w.send(false, 0, b"");
        assert_eq!(w.commands(), ["GET k replied", "QUIT replied"]);
        assert_eq!(w.sniffer.connections(), 0);
        let t = w.sniffer.totals();
        assert_eq!(t.connections.opened, 1);
        assert_eq!(t.connections.closed, 1);
        assert_eq!(t.streams.client_to_server.delivered, 34);
        assert_eq!(t.packets.matched, 10);
        assert_eq!(t.commands.total, 2);
    }

    #[test]
    fn loopback_duplicates_count_once() {
        let mut w = Wire::new();
        w.handshake();
        let (ts, frame) = w.make(true, 0, b"*1\r\n$4\r\nPING\r\n");
        w.feed(ts, &frame);
        w.feed(ts, &frame);
        let (ts, frame) = w.make(false, 0, b"+PONG\r\n");
        w.feed(ts, &frame);
        w.feed(ts, &frame);
        assert_eq!(w.commands(), ["PING replied"]);
        let t = w.sniffer.totals().clone();
        assert_eq!(t.pairing.unsolicited, 0);
        w.finish();
        let t2 = w.sniffer.totals();
        assert_eq!(t2.streams.client_to_server.duplicate, 14);
        assert_eq!(t2.connections.open_at_end, 1);
        let _ = t;
    }

    #[test]
    fn a_dropped_request_segment_is_a_gap_and_pairing_recovers() {
        let mut w = Wire::new();
        w.handshake();
        w.send(true, 0, b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
        w.send(false, 0, b"$-1\r\n");
        // Lost by the capture: the server still answers it.
        let _ = w.make(true, 0, b"*2\r\n$3\r\nGET\r\n$1\r\nb\r\n");
        w.send(false, 0, b"$1\r\nB\r\n");
        w.send(true, 0, b"*2\r\n$3\r\nGET\r\n$1\r\nc\r\n");
        w.send(false, 0, b"$1\r\nC\r\n");
        w.ts += 1_000_000;
        w.tick();
        let seen = w.commands();
        assert_eq!(
            seen,
            [
                "GET a replied".to_owned(),
                format!(
                    "{:?}",
                    Trouble::Gap {
                        side: Side::Client,
                        offset: 20,
                        len: 20
                    }
                ),
                "GET c replied".to_owned(),
            ]
        );
        let c = &w.sniffer.totals().commands;
        assert_eq!(c.outcome(Outcome::Replied), 2);
    }

    #[test]
    fn a_reset_ends_the_connection_and_reports_waiting_requests() {
        let mut w = Wire::new();
        w.handshake();
        w.send(true, 0, b"*1\r\n$8\r\nSHUTDOWN\r\n");
        w.send(false, RST, b"");
        assert_eq!(w.commands(), ["SHUTDOWN no_reply_seen"]);
        assert_eq!(w.sniffer.totals().connections.reset, 1);
    }

    #[test]
    fn mid_stream_connections_start_at_a_request() {
        let mut w = Wire::new();
        // No handshake: a reply in flight, then a request and its reply.
        w.send(false, 0, b"$3\r\nold\r\n");
        w.send(true, 0, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        w.send(false, 0, b"$1\r\nv\r\n");
        assert_eq!(w.commands(), ["GET k replied"]);
        assert_eq!(w.sniffer.totals().connections.mid_stream, 1);
    }

    #[test]
    fn host_filter_and_port_reuse() {
        let mut w = Wire::new();
        w.sniffer = Sniffer::new(SnifferConfig {
            host: Some("127.0.0.2".parse().unwrap()),
            ..SnifferConfig::default()
        });
        w.handshake();
        w.send(true, 0, b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(w.sniffer.connections(), 0);
        assert_eq!(w.sniffer.totals().packets.other_tcp, 4);

        // A new SYN on a known port pair ends the old connection.
        let mut w = Wire::new();
        w.handshake();
        w.send(true, 0, b"*1\r\n$4\r\nPING\r\n");
        w.cseq = w.cseq.wrapping_add(1_000_000);
        w.handshake();
        w.send(true, 0, b"*1\r\n$4\r\nPING\r\n");
        w.send(false, 0, b"+PONG\r\n");
        assert_eq!(w.commands(), ["PING no_reply_seen", "PING replied"]);
        assert_eq!(w.sniffer.totals().connections.opened, 2);
        assert_eq!(w.sniffer.totals().connections.evicted, 1);
    }

    #[test]
    fn other_traffic_is_ignored() {
        let mut w = Wire::new();
        w.server = "127.0.0.1:80".parse().unwrap();
        w.handshake();
        w.send(true, 0, b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(w.sniffer.connections(), 0);
        assert_eq!(w.sniffer.totals().packets.other_tcp, 4);
    }
}
