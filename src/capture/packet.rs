//! From a captured frame to a TCP segment: link layer (Ethernet with VLAN
//! tags, Linux cooked SLL and SLL2, BSD null/loop, raw IP), IPv4 (options,
//! fragments), IPv6 (extension headers) and TCP, with pnet_packet reading
//! the header fields.
//!
//! Every length comes from the packet itself and is checked against what
//! was captured before slicing, so a short or lying packet is an error value,
//! never a panic. A packet whose IP length says more than the capture holds
//! (a snap length cut it) is reported as truncated: its payload is not the
//! whole segment and must not be delivered as if it were.

use std::net::{IpAddr, SocketAddr};

use pnet_packet::ethernet::{EtherTypes, EthernetPacket};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::ipv6::Ipv6Packet;
use pnet_packet::sll::SLLPacket;
use pnet_packet::sll2::SLL2Packet;
use pnet_packet::tcp::{TcpFlags, TcpPacket};

/// How frames of a capture begin (the pcap LINKTYPE values we read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkType {
    /// LINKTYPE_ETHERNET (1); also Linux `lo`.
    Ethernet,
    /// LINKTYPE_LINUX_SLL (113), `tcpdump -i any`.
    LinuxSll,
    /// LINKTYPE_LINUX_SLL2 (276).
    LinuxSll2,
    /// LINKTYPE_NULL (0): a 4-byte address family in the writer's byte order.
    Null,
    /// LINKTYPE_LOOP (108): a 4-byte address family, big-endian.
    Loop,
    /// LINKTYPE_RAW (101), LINKTYPE_IPV4 (228), LINKTYPE_IPV6 (229): bare IP.
    RawIp,
}

impl LinkType {
    /// The link type for a pcap LINKTYPE number, if we read it.
    pub fn from_linktype(n: u32) -> Option<LinkType> {
        Some(match n {
            1 => LinkType::Ethernet,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            0 => LinkType::Null,
            108 => LinkType::Loop,
            101 | 228 | 229 | 12 | 14 => LinkType::RawIp,
            _ => return None,
        })
    }
}

/// One TCP segment, borrowing its payload from the captured frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
    /// The segment carried more payload than was captured; `payload` is
    /// only its beginning.
    pub truncated: bool,
}

/// Why a frame yields no segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    #[error("not IPv4 or IPv6")]
    NotIp,
    #[error("not TCP")]
    NotTcp,
    #[error("an IP fragment")]
    Fragment,
    /// The second sighting of a packet on a loopback device (the kernel
    /// shows loopback packets once leaving and once arriving).
    #[error("outgoing copy of a loopback packet")]
    LoopbackEcho,
    #[error("malformed {0} header")]
    Malformed(&'static str),
}

/// Packet types in Linux cooked headers and AF_PACKET (if_packet.h).
const PACKET_OUTGOING: u16 = 4;
/// ARPHRD_LOOPBACK.
const ARPHRD_LOOPBACK: u16 = 772;

const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;

/// Decode one captured frame down to its TCP segment.
pub fn parse(link: LinkType, frame: &[u8]) -> Result<Segment<'_>, Skip> {
    match link {
        LinkType::Ethernet => {
            let eth = EthernetPacket::new(frame).ok_or(Skip::Malformed("Ethernet"))?;
            let mut ethertype = eth.get_ethertype().0;
            let mut rest = frame.get(14..).ok_or(Skip::Malformed("Ethernet"))?;
            // 802.1Q / 802.1ad tags: 2 bytes of tag control, 2 of the next type.
            while ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ {
                let tag = rest.get(..4).ok_or(Skip::Malformed("VLAN"))?;
                ethertype = u16::from_be_bytes([tag[2], tag[3]]);
                rest = &rest[4..];
            }
            ip_by_ethertype(ethertype, rest)
        }
        LinkType::LinuxSll => {
            let sll = SLLPacket::new(frame).ok_or(Skip::Malformed("Linux cooked"))?;
            if sll.get_packet_type() == PACKET_OUTGOING
                && sll.get_link_layer_address_type() == ARPHRD_LOOPBACK
            {
                return Err(Skip::LoopbackEcho);
            }
            let rest = frame.get(16..).ok_or(Skip::Malformed("Linux cooked"))?;
            ip_by_ethertype(sll.get_protocol().0, rest)
        }
        LinkType::LinuxSll2 => {
            let sll = SLL2Packet::new(frame).ok_or(Skip::Malformed("Linux cooked v2"))?;
            if u16::from(sll.get_packet_type()) == PACKET_OUTGOING
                && sll.get_arphrd_type() == ARPHRD_LOOPBACK
            {
                return Err(Skip::LoopbackEcho);
            }
            let rest = frame.get(20..).ok_or(Skip::Malformed("Linux cooked v2"))?;
            ip_by_ethertype(sll.get_protocol_type().0, rest)
        }
        LinkType::Null | LinkType::Loop => {
            // The family's byte order is the writer's (Null) or big-endian
            // (Loop); the values for IP (2) and the BSDs' IPv6 (24, 28, 30)
            // are small, so trying both orders is unambiguous.
            let head = frame.get(..4).ok_or(Skip::Malformed("loopback"))?;
            let le = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            let be = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            let family = if le < 256 { le } else { be };
            match family {
                2 => ipv4(&frame[4..]),
                24 | 28 | 30 => ipv6(&frame[4..]),
                _ => Err(Skip::NotIp),
            }
        }
        LinkType::RawIp => match frame.first().map(|b| b >> 4) {
            Some(4) => ipv4(frame),
            Some(6) => ipv6(frame),
            _ => Err(Skip::NotIp),
        },
    }
}

fn ip_by_ethertype(ethertype: u16, rest: &[u8]) -> Result<Segment<'_>, Skip> {
    if ethertype == EtherTypes::Ipv4.0 {
        ipv4(rest)
    } else if ethertype == EtherTypes::Ipv6.0 {
        ipv6(rest)
    } else {
        Err(Skip::NotIp)
    }
}

fn ipv4(data: &[u8]) -> Result<Segment<'_>, Skip> {
    let ip = Ipv4Packet::new(data).ok_or(Skip::Malformed("IPv4"))?;
    if ip.get_version() != 4 {
        return Err(Skip::Malformed("IPv4"));
    }
    let header = usize::from(ip.get_header_length()) * 4;
    let total = usize::from(ip.get_total_length());
    if header < 20 || total < header {
        return Err(Skip::Malformed("IPv4"));
    }
    // More fragments, or a fragment other than the first.
    if ip.get_flags() & 0b001 != 0 || ip.get_fragment_offset() != 0 {
        return Err(Skip::Fragment);
    }
    if ip.get_next_level_protocol() != IpNextHeaderProtocols::Tcp {
        return Err(Skip::NotTcp);
    }
    // TSO/GRO packets captured on the host can say 0 for their length.
    let total = if total == 0 { data.len() } else { total };
    let end = total.min(data.len());
    let body = data.get(header..end).ok_or(Skip::Malformed("IPv4"))?;
    let src = IpAddr::V4(ip.get_source());
    let dst = IpAddr::V4(ip.get_destination());
    tcp(src, dst, body, total > data.len())
}

/// IPv6 extension headers that may precede TCP (RFC 8200 order).
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const DEST_OPTIONS: u8 = 60;
const TCP: u8 = 6;

fn ipv6(data: &[u8]) -> Result<Segment<'_>, Skip> {
    let ip = Ipv6Packet::new(data).ok_or(Skip::Malformed("IPv6"))?;
    if ip.get_version() != 6 {
        return Err(Skip::Malformed("IPv6"));
    }
    let declared = 40 + usize::from(ip.get_payload_length());
    // A zero payload length means a jumbogram or a GSO packet: the
    // capture's length is all we know.
    let total = if ip.get_payload_length() == 0 {
        data.len()
    } else {
        declared
    };
    let end = total.min(data.len());
    let mut next = ip.get_next_header().0;
    let mut at = 40;
    loop {
        match next {
            TCP => break,
            HOP_BY_HOP | ROUTING | DEST_OPTIONS => {
                let ext = data.get(at..at + 2).ok_or(Skip::Malformed("IPv6"))?;
                next = ext[0];
                at += (usize::from(ext[1]) + 1) * 8;
            }
            FRAGMENT => return Err(Skip::Fragment),
            _ => return Err(Skip::NotTcp),
        }
    }
    let body = data.get(at..end).ok_or(Skip::Malformed("IPv6"))?;
    let src = IpAddr::V6(ip.get_source());
    let dst = IpAddr::V6(ip.get_destination());
    tcp(src, dst, body, total > data.len())
}

fn tcp(src: IpAddr, dst: IpAddr, body: &[u8], truncated: bool) -> Result<Segment<'_>, Skip> {
    let tcp = TcpPacket::new(body).ok_or(Skip::Malformed("TCP"))?;
    let header = usize::from(tcp.get_data_offset()) * 4;
    if header < 20 {
        return Err(Skip::Malformed("TCP"));
    }
    let payload = body.get(header..).ok_or(Skip::Malformed("TCP"))?;
    let flags = tcp.get_flags();
    Ok(Segment {
        src: SocketAddr::new(src, tcp.get_source()),
        dst: SocketAddr::new(dst, tcp.get_destination()),
        seq: tcp.get_sequence(),
        ack: (flags & TcpFlags::ACK != 0).then(|| tcp.get_acknowledgement()),
        syn: flags & TcpFlags::SYN != 0,
        fin: flags & TcpFlags::FIN != 0,
        rst: flags & TcpFlags::RST != 0,
        payload,
        truncated,
    })
}

#[cfg(test)]
pub(crate) mod build {
    //! Building frames for tests (of this module and of the reassembly and
    //! flow code).

    use std::net::SocketAddr;

    pub struct Tcp<'a> {
        pub src: SocketAddr,
        pub dst: SocketAddr,
        pub seq: u32,
        pub ack: Option<u32>,
        pub flags: u8,
        pub payload: &'a [u8],
    }

    fn tcp_bytes(t: &Tcp) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&t.src.port().to_be_bytes());
        v.extend_from_slice(&t.dst.port().to_be_bytes());
        v.extend_from_slice(&t.seq.to_be_bytes());
        v.extend_from_slice(&t.ack.unwrap_or(0).to_be_bytes());
        v.push(5 << 4);
        v.push(t.flags | if t.ack.is_some() { 0x10 } else { 0 });
        v.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        v.extend_from_slice(t.payload);
        v
    }

    /// An Ethernet frame holding IPv4 or IPv6 (by the addresses) and TCP.
    pub fn ethernet(t: &Tcp) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        let tcp = tcp_bytes(t);
        match (t.src, t.dst) {
            (SocketAddr::V4(s), SocketAddr::V4(d)) => {
                v.extend_from_slice(&[0x08, 0x00]);
                v.push(0x45);
                v.push(0);
                v.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
                v.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
                v.extend_from_slice(&s.ip().octets());
                v.extend_from_slice(&d.ip().octets());
            }
            (SocketAddr::V6(s), SocketAddr::V6(d)) => {
                v.extend_from_slice(&[0x86, 0xdd]);
                v.extend_from_slice(&[0x60, 0, 0, 0]);
                v.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
                v.extend_from_slice(&[6, 64]);
                v.extend_from_slice(&s.ip().octets());
                v.extend_from_slice(&d.ip().octets());
            }
            _ => panic!("mixed address families"),
        }
        v.extend_from_slice(&tcp);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::{Tcp, ethernet};
    use super::*;

    fn sample(payload: &[u8]) -> Tcp<'_> {
        Tcp {
            src: "127.0.0.1:50000".parse().unwrap(),
            dst: "127.0.0.1:6379".parse().unwrap(),
            seq: 1000,
            ack: Some(7),
            flags: 0x08,
            payload,
        }
    }

    #[test]
    fn ethernet_ipv4_tcp() {
        let frame = ethernet(&sample(b"PING\r\n"));
        let seg = parse(LinkType::Ethernet, &frame).unwrap();
        assert_eq!(seg.src.port(), 50000);
        assert_eq!(seg.dst.port(), 6379);
        assert_eq!(seg.seq, 1000);
        assert_eq!(seg.ack, Some(7));
        assert_eq!(seg.payload, b"PING\r\n");
        assert!(!seg.truncated && !seg.syn && !seg.fin && !seg.rst);
    }

    #[test]
    fn ethernet_ipv6_tcp_and_vlan() {
        let mut t = sample(b"x");
        t.src = "[::1]:1".parse().unwrap();
        t.dst = "[::1]:2".parse().unwrap();
        let frame = ethernet(&t);
        assert_eq!(parse(LinkType::Ethernet, &frame).unwrap().payload, b"x");
        // Insert an 802.1Q tag after the MACs.
        let mut tagged = frame[..12].to_vec();
        tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
        tagged.extend_from_slice(&frame[12..]);
        assert_eq!(parse(LinkType::Ethernet, &tagged).unwrap().payload, b"x");
    }

    #[test]
    fn other_link_types() {
        let frame = ethernet(&sample(b"abc"));
        let ip = &frame[14..];
        assert_eq!(parse(LinkType::RawIp, ip).unwrap().payload, b"abc");
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(ip);
        assert_eq!(parse(LinkType::Null, &null).unwrap().payload, b"abc");
        let mut lp = 2u32.to_be_bytes().to_vec();
        lp.extend_from_slice(ip);
        assert_eq!(parse(LinkType::Loop, &lp).unwrap().payload, b"abc");
        // SLL: packet type, ARPHRD, address length, 8 address bytes, protocol.
        let mut sll = vec![0, 0, 0x03, 0x04, 0, 6];
        sll.extend_from_slice(&[0; 8]);
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(ip);
        assert_eq!(parse(LinkType::LinuxSll, &sll).unwrap().payload, b"abc");
        sll[1] = 4; // outgoing, on loopback
        assert_eq!(parse(LinkType::LinuxSll, &sll), Err(Skip::LoopbackEcho));
        // SLL2: protocol, reserved, ifindex, ARPHRD, packet type, addr len, addr.
        let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6];
        sll2.extend_from_slice(&[0; 8]);
        sll2.extend_from_slice(ip);
        assert_eq!(parse(LinkType::LinuxSll2, &sll2).unwrap().payload, b"abc");
    }

    #[test]
    fn short_and_odd_packets_are_skipped_not_panics() {
        let frame = ethernet(&sample(b"hello"));
        for cut in 0..frame.len() {
            let r = parse(LinkType::Ethernet, &frame[..cut]);
            if let Ok(seg) = r {
                assert!(seg.truncated, "cut at {cut} not flagged truncated");
            }
        }
        let mut udp = frame.clone();
        udp[14 + 9] = 17;
        assert_eq!(parse(LinkType::Ethernet, &udp), Err(Skip::NotTcp));
        let mut frag = frame.clone();
        frag[14 + 6] = 0x20; // more fragments
        assert_eq!(parse(LinkType::Ethernet, &frag), Err(Skip::Fragment));
        let mut arp = frame.clone();
        arp[12] = 0x08;
        arp[13] = 0x06;
        assert_eq!(parse(LinkType::Ethernet, &arp), Err(Skip::NotIp));
    }
}
