//! Finding the RESP servers in a capture file when no `--port` was given:
//! a server is the side of a TCP connection that answers RESP to RESP
//! arrays. A client's request is an array (`*<count>\r\n…`); the server's
//! first bytes back are a RESP type byte. Seeing both on one connection
//! names its server side; a port that is a server on more connections
//! than it is a client comes first.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::packet::{self, LinkType};

/// Connections remembered while looking (bounded, whatever the file).
const MAX_FLOWS: usize = 200_000;

/// One connection: who sent its first payload (if that was a RESP array)
/// and whether the other side answered.
#[derive(Clone, Copy)]
struct Flow {
    requester: Option<SocketAddr>,
    answered: bool,
}

/// Looks for servers, packet by packet.
#[derive(Default)]
pub struct Detector {
    /// Connections by their two ends, lower address first.
    flows: HashMap<(SocketAddr, SocketAddr), Flow>,
    /// Confirmed connections per server address.
    servers: HashMap<SocketAddr, u64>,
}

fn is_request(p: &[u8]) -> bool {
    p.len() >= 4 && p[0] == b'*' && p[1].is_ascii_digit()
}

fn is_reply(p: &[u8]) -> bool {
    matches!(
        p.first(),
        Some(
            b'+' | b'-'
                | b':'
                | b'$'
                | b'*'
                | b'_'
                | b','
                | b'#'
                | b'!'
                | b'='
                | b'('
                | b'%'
                | b'~'
                | b'|'
                | b'>'
        )
    )
}

impl Detector {
    pub fn packet(&mut self, link: LinkType, frame: &[u8]) {
        let Ok(seg) = packet::parse(link, frame) else {
            return;
        };
        if seg.payload.is_empty() {
            return;
        }
        let key = if seg.src < seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let room = self.flows.len() < MAX_FLOWS;
        let flow = match self.flows.get_mut(&key) {
            Some(f) => f,
            None if room => {
                // The first payload seen decides who asks.
                let requester = is_request(seg.payload).then_some(seg.src);
                self.flows.insert(
                    key,
                    Flow {
                        requester,
                        answered: false,
                    },
                );
                return;
            }
            None => return,
        };
        if let Some(requester) = flow.requester
            && requester != seg.src
            && !flow.answered
            && is_reply(seg.payload)
        {
            flow.answered = true;
            *self.servers.entry(seg.src).or_default() += 1;
        }
    }

    /// Server ports, the busiest first (ports that are more often the
    /// client side of a confirmed connection are left out).
    pub fn ports(&self) -> Vec<u16> {
        let mut by_port: HashMap<u16, i64> = HashMap::new();
        for (addr, n) in &self.servers {
            *by_port.entry(addr.port()).or_default() += *n as i64;
        }
        for f in self.flows.values() {
            if f.answered
                && let Some(client) = f.requester
                && let Some(n) = by_port.get_mut(&client.port())
            {
                *n -= 1;
            }
        }
        let mut v: Vec<(u16, i64)> = by_port.into_iter().filter(|(_, n)| *n > 0).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.into_iter().map(|(p, _)| p).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::packet::build::{Tcp, ethernet};

    fn frame(src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
        ethernet(&Tcp {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            seq: 1,
            ack: Some(1),
            flags: 0,
            payload,
        })
    }

    #[test]
    fn the_side_answering_arrays_is_the_server() {
        let mut d = Detector::default();
        let c = "10.0.0.1:50000";
        let s = "10.0.0.2:7001";
        d.packet(LinkType::Ethernet, &frame(c, s, b"*1\r\n$4\r\nPING\r\n"));
        d.packet(LinkType::Ethernet, &frame(s, c, b"+PONG\r\n"));
        // Later requests (arrays, like array replies) change nothing.
        d.packet(LinkType::Ethernet, &frame(c, s, b"*1\r\n$4\r\nPING\r\n"));
        d.packet(LinkType::Ethernet, &frame(s, c, b"*1\r\n$1\r\nx\r\n"));
        d.packet(LinkType::Ethernet, &frame(c, s, b"*1\r\n$4\r\nPING\r\n"));
        // HTTP on another port is not RESP.
        d.packet(
            LinkType::Ethernet,
            &frame("10.0.0.1:50001", "10.0.0.2:80", b"GET / HTTP/1.1\r\n"),
        );
        d.packet(
            LinkType::Ethernet,
            &frame("10.0.0.2:80", "10.0.0.1:50001", b"HTTP/1.1 200 OK\r\n"),
        );
        // An unanswered array names nothing.
        d.packet(
            LinkType::Ethernet,
            &frame("10.0.0.1:50002", "10.0.0.2:9000", b"*1\r\n$4\r\nPING\r\n"),
        );
        assert_eq!(d.ports(), [7001]);
    }
}
