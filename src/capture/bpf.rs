//! The classic BPF program attached to a live capture socket, so that the
//! kernel queues only what the sniffer can use: TCP over IPv4/IPv6 to or
//! from the watched ports, and on a loopback device only the arriving copy
//! of each packet (the kernel shows loopback packets twice, leaving and
//! arriving; libpcap drops the leaving copy the same way). Everything else
//! is dropped before it costs a copy, a wakeup or receive-buffer room.
//!
//! The filter only narrows: every packet it passes is checked again in
//! user space, so it is an optimisation whose mistakes could only lose
//! traffic, never invent it; the live tests compare counts with Redis's own.

use std::net::IpAddr;

use super::filter::{Dir, Expr};

/// One classic BPF instruction (`struct sock_filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Opcodes (linux/filter.h, linux/bpf_common.h).
const LD_W_ABS: u16 = 0x20;
const LD_H_ABS: u16 = 0x28;
const LD_B_ABS: u16 = 0x30;
const LD_H_IND: u16 = 0x48;
const LD_B_IND: u16 = 0x50;
const LD_MEM: u16 = 0x60;
const LDX_IMM: u16 = 0x01;
const LDX_B_MSH: u16 = 0xb1;
const ST: u16 = 0x02;
const ALU_ADD_K: u16 = 0x04;
const ALU_ADD_X: u16 = 0x0c;
const ALU_LSH_K: u16 = 0x64;
const ALU_AND_K: u16 = 0x54;
const TAX: u16 = 0x07;
const JEQ_K: u16 = 0x15;
const JSET_K: u16 = 0x45;
const RET_K: u16 = 0x06;

/// SKF_AD_OFF + SKF_AD_PKTTYPE: the packet type, an ancillary load.
const PKTTYPE: u32 = (-0x1000i32 + 4) as u32;
const PACKET_OUTGOING: u32 = 4;

/// IPv6 extension headers the kernel filter follows to the TCP header.
const EXT_HEADERS: usize = 3;

/// Bytes of each accepted packet handed to user space.
pub const SNAPLEN: u32 = 256 * 1024;

/// How the device frames packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// A 14-byte Ethernet header (Ethernet and Linux loopback devices).
    Ethernet,
    /// Bare IP (tun devices, ARPHRD_NONE).
    RawIp,
}

#[derive(Clone, Copy)]
enum Target {
    Next,
    Label(usize),
}

struct Asm {
    code: Vec<(u16, Target, Target, u32)>,
    labels: Vec<Option<usize>>,
}

impl Asm {
    fn label(&mut self) -> usize {
        self.labels.push(None);
        self.labels.len() - 1
    }
    fn place(&mut self, label: usize) {
        self.labels[label] = Some(self.code.len());
    }
    fn op(&mut self, code: u16, k: u32) {
        self.code.push((code, Target::Next, Target::Next, k));
    }
    fn jump(&mut self, code: u16, k: u32, jt: Target, jf: Target) {
        self.code.push((code, jt, jf, k));
    }
    fn ret(&mut self, k: u32) {
        self.op(RET_K, k);
    }
    fn finish(self) -> Result<Vec<Insn>, String> {
        let mut out = Vec::with_capacity(self.code.len());
        for (i, (code, jt, jf, k)) in self.code.iter().enumerate() {
            let resolve = |t: &Target| -> Result<u8, String> {
                match t {
                    Target::Next => Ok(0),
                    Target::Label(l) => {
                        let at = self.labels[*l].ok_or("unplaced label")?;
                        u8::try_from(at - (i + 1)).map_err(|_| "filter too long".to_owned())
                    }
                }
            };
            out.push(Insn {
                code: *code,
                jt: resolve(jt)?,
                jf: resolve(jf)?,
                k: *k,
            });
        }
        Ok(out)
    }
}

/// The filter for TCP `ports` on a device framed by `framing`;
/// `loopback` drops the leaving copy of each packet.
pub fn program(framing: Framing, loopback: bool, ports: &[u16]) -> Result<Vec<Insn>, String> {
    program_with(framing, loopback, ports, None)
}

/// As [`program`], and only what `extra` (a `--filter` expression) also
/// passes.
pub fn program_with(
    framing: Framing,
    loopback: bool,
    ports: &[u16],
    extra: Option<&Expr>,
) -> Result<Vec<Insn>, String> {
    let mut a = Asm {
        code: Vec::new(),
        labels: Vec::new(),
    };
    let (accept, drop, v4, v6) = (a.label(), a.label(), a.label(), a.label());
    if loopback {
        a.op(LD_W_ABS, PKTTYPE);
        a.jump(JEQ_K, PACKET_OUTGOING, Target::Label(drop), Target::Next);
    }
    let l: u32 = match framing {
        Framing::Ethernet => {
            a.op(LD_H_ABS, 12);
            a.jump(JEQ_K, 0x0800, Target::Label(v4), Target::Next);
            a.jump(JEQ_K, 0x86dd, Target::Label(v6), Target::Label(drop));
            14
        }
        Framing::RawIp => {
            a.op(LD_B_ABS, 0);
            a.op(ALU_AND_K, 0xf0);
            a.jump(JEQ_K, 0x40, Target::Label(v4), Target::Next);
            a.jump(JEQ_K, 0x60, Target::Label(v6), Target::Label(drop));
            0
        }
    };
    // IPv4: TCP, not a later fragment, a watched port either way.
    a.place(v4);
    a.op(LD_B_ABS, l + 9);
    a.jump(JEQ_K, 6, Target::Next, Target::Label(drop));
    a.op(LD_H_ABS, l + 6);
    a.jump(JSET_K, 0x1fff, Target::Label(drop), Target::Next);
    a.op(LDX_B_MSH, l);
    for field in [l, l + 2] {
        a.op(LD_H_IND, field);
        for &p in ports {
            a.jump(JEQ_K, u32::from(p), Target::Label(accept), Target::Next);
        }
    }
    a.ret(0);
    // IPv6: TCP after the fixed header and up to EXT_HEADERS extension
    // headers (hop-by-hop, routing, destination options), X adding up their
    // lengths; a longer chain goes to user space, which follows any.
    a.place(v6);
    a.op(LDX_IMM, 0);
    a.op(LD_B_ABS, l + 6);
    let (tcp6, deep) = (a.label(), a.label());
    for round in 0..=EXT_HEADERS {
        let ext = if round == EXT_HEADERS {
            deep
        } else {
            a.label()
        };
        a.jump(JEQ_K, 6, Target::Label(tcp6), Target::Next);
        a.jump(JEQ_K, 0, Target::Label(ext), Target::Next);
        a.jump(JEQ_K, 43, Target::Label(ext), Target::Next);
        a.jump(JEQ_K, 60, Target::Label(ext), Target::Label(drop));
        if round < EXT_HEADERS {
            a.place(ext);
            // Its next header, kept in M[0]; its length in 8-byte units
            // past the first 8.
            a.op(LD_B_IND, l + 40);
            a.op(ST, 0);
            a.op(LD_B_IND, l + 41);
            a.op(ALU_ADD_K, 1);
            a.op(ALU_LSH_K, 3);
            a.op(ALU_ADD_X, 0);
            a.op(TAX, 0);
            a.op(LD_MEM, 0);
        }
    }
    a.place(tcp6);
    for field in [l + 40, l + 42] {
        a.op(LD_H_IND, field);
        for &p in ports {
            a.jump(JEQ_K, u32::from(p), Target::Label(accept), Target::Next);
        }
    }
    a.place(drop);
    a.ret(0);
    a.place(deep);
    a.ret(SNAPLEN);
    a.place(accept);
    if let Some(e) = extra {
        let (yes, no) = (a.label(), a.label());
        expression(&mut a, framing, l, e, yes, no);
        a.place(no);
        a.ret(0);
        a.place(yes);
    }
    a.ret(SNAPLEN);
    a.finish()
}

/// Jump to `v4`, `v6` or `other` by the packet's IP version.
fn family(a: &mut Asm, framing: Framing, v4: usize, v6: usize, other: usize) {
    match framing {
        Framing::Ethernet => a.op(LD_H_ABS, 12),
        Framing::RawIp => {
            a.op(LD_B_ABS, 0);
            a.op(ALU_AND_K, 0xf0);
        }
    }
    let (k4, k6) = match framing {
        Framing::Ethernet => (0x0800, 0x86dd),
        Framing::RawIp => (0x40, 0x60),
    };
    a.jump(JEQ_K, k4, Target::Label(v4), Target::Next);
    a.jump(JEQ_K, k6, Target::Label(v6), Target::Label(other));
}

/// The ends a direction looks at, as offsets of (IPv4 address, IPv6
/// address, TCP port) from the start of the IP or TCP header.
fn ends(dir: Dir) -> &'static [(u32, u32, u32)] {
    match dir {
        Dir::Src => &[(12, 8, 0)],
        Dir::Dst => &[(16, 24, 2)],
        Dir::Either => &[(12, 8, 0), (16, 24, 2)],
    }
}

/// Code for `e` on a TCP packet whose IP header starts at `l`: on to
/// `t` when it holds, `f` when not. Labels are only jumped forward.
fn expression(a: &mut Asm, framing: Framing, l: u32, e: &Expr, t: usize, f: usize) {
    match e {
        Expr::And(x, y) => {
            let m = a.label();
            expression(a, framing, l, x, m, f);
            a.place(m);
            expression(a, framing, l, y, t, f);
        }
        Expr::Or(x, y) => {
            let m = a.label();
            expression(a, framing, l, x, t, m);
            a.place(m);
            expression(a, framing, l, y, t, f);
        }
        Expr::Not(x) => expression(a, framing, l, x, f, t),
        Expr::Tcp => always(a, t),
        Expr::Ip4 => family(a, framing, t, f, f),
        Expr::Ip6 => family(a, framing, f, t, f),
        Expr::Port(dir, port) => {
            let (v4, v6) = (a.label(), a.label());
            family(a, framing, v4, v6, f);
            for (v6_code, place) in [(false, v4), (true, v6)] {
                a.place(place);
                if !v6_code {
                    a.op(LDX_B_MSH, l);
                }
                let list = ends(*dir);
                for (i, &(_, _, off)) in list.iter().enumerate() {
                    let miss = if i + 1 == list.len() {
                        Target::Label(f)
                    } else {
                        Target::Next
                    };
                    if v6_code {
                        // X: the extension headers' length (see above).
                        a.op(LD_H_IND, l + 40 + off);
                    } else {
                        a.op(LD_H_IND, l + off);
                    }
                    a.jump(JEQ_K, u32::from(*port), Target::Label(t), miss);
                }
            }
        }
        Expr::Host(dir, ip) => {
            let len = if ip.is_ipv4() { 32 } else { 128 };
            net(a, framing, l, *dir, *ip, len, t, f);
        }
        Expr::Net(dir, ip, len) => net(a, framing, l, *dir, *ip, *len, t, f),
    }
}

/// `[dir] net ip/len` (a host is a net of full length).
#[allow(clippy::too_many_arguments)]
fn net(a: &mut Asm, framing: Framing, l: u32, dir: Dir, ip: IpAddr, len: u8, t: usize, f: usize) {
    let here = a.label();
    let (words, v4): (Vec<u32>, bool) = match ip {
        IpAddr::V4(v) => {
            family(a, framing, here, f, f);
            (vec![u32::from(v)], true)
        }
        IpAddr::V6(v) => {
            family(a, framing, f, here, f);
            let b = u128::from(v);
            ((0..4).map(|i| (b >> (96 - 32 * i)) as u32).collect(), false)
        }
    };
    a.place(here);
    let list = ends(dir);
    for (i, &(off4, off6, _)) in list.iter().enumerate() {
        let last_end = i + 1 == list.len();
        let next_end = a.label();
        let miss = if last_end { f } else { next_end };
        let base = l + if v4 { off4 } else { off6 };
        for (w, &word) in words.iter().enumerate() {
            let bits = u32::from(len).saturating_sub(32 * w as u32).min(32);
            if bits == 0 {
                continue;
            }
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            a.op(LD_W_ABS, base + 4 * w as u32);
            if mask != u32::MAX {
                a.op(ALU_AND_K, mask);
            }
            a.jump(JEQ_K, word & mask, Target::Next, Target::Label(miss));
        }
        always(a, t);
        a.place(next_end);
    }
}

fn always(a: &mut Asm, to: usize) {
    a.jump(JEQ_K, 0, Target::Label(to), Target::Label(to));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::packet::build::{Tcp, ethernet};

    /// A small interpreter of the instructions `program` uses, to check the
    /// program's logic; `pkttype` stands in for the ancillary load.
    fn run(prog: &[Insn], pkt: &[u8], pkttype: u32) -> u32 {
        let (mut a, mut x, mut pc, mut mem) = (0u32, 0u32, 0usize, [0u32; 16]);
        let byte = |i: u32| pkt.get(i as usize).copied().map(u32::from);
        let half = |i: u32| Some((byte(i)? << 8) | byte(i + 1)?);
        loop {
            let ins = prog[pc];
            pc += 1;
            let jump = |cond: bool| if cond { ins.jt } else { ins.jf } as usize;
            match ins.code {
                LD_W_ABS if ins.k == PKTTYPE => a = pkttype,
                LD_W_ABS => match half(ins.k).zip(half(ins.k + 2)) {
                    Some((hi, lo)) => a = (hi << 16) | lo,
                    None => return 0,
                },
                LD_H_ABS => match half(ins.k) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LD_B_ABS => match byte(ins.k) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LD_H_IND => match half(x + ins.k) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LD_B_IND => match byte(x + ins.k) {
                    Some(v) => a = v,
                    None => return 0,
                },
                LD_MEM => a = mem[ins.k as usize],
                ST => mem[ins.k as usize] = a,
                LDX_IMM => x = ins.k,
                ALU_ADD_K => a = a.wrapping_add(ins.k),
                ALU_ADD_X => a = a.wrapping_add(x),
                ALU_LSH_K => a <<= ins.k,
                TAX => x = a,
                LDX_B_MSH => match byte(ins.k) {
                    Some(v) => x = (v & 0xf) * 4,
                    None => return 0,
                },
                ALU_AND_K => a &= ins.k,
                JEQ_K => pc += jump(a == ins.k),
                JSET_K => pc += jump(a & ins.k != 0),
                RET_K => return ins.k,
                other => panic!("unexpected opcode {other:#x}"),
            }
        }
    }

    fn frame(src: &str, dst: &str) -> Vec<u8> {
        ethernet(&Tcp {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            seq: 1,
            ack: Some(1),
            flags: 0,
            payload: b"x",
        })
    }

    #[test]
    fn passes_watched_ports_both_ways_and_families() {
        let prog = program(Framing::Ethernet, true, &[6379, 7000]).unwrap();
        for (src, dst) in [
            ("127.0.0.1:50000", "127.0.0.1:6379"),
            ("127.0.0.1:7000", "127.0.0.1:50000"),
            ("[::1]:50000", "[::1]:6379"),
            ("[::1]:6379", "[::1]:1"),
        ] {
            assert_eq!(run(&prog, &frame(src, dst), 0), SNAPLEN, "{src} -> {dst}");
            // The leaving copy on loopback is dropped.
            assert_eq!(run(&prog, &frame(src, dst), 4), 0);
        }
        assert_eq!(run(&prog, &frame("127.0.0.1:1", "127.0.0.1:2"), 0), 0);
        assert_eq!(run(&prog, &frame("[::1]:1", "[::1]:2"), 0), 0);
        let mut udp = frame("127.0.0.1:1", "127.0.0.1:6379");
        udp[14 + 9] = 17;
        assert_eq!(run(&prog, &udp, 0), 0);
        let mut later_fragment = frame("127.0.0.1:1", "127.0.0.1:6379");
        later_fragment[14 + 7] = 0x10;
        assert_eq!(run(&prog, &later_fragment, 0), 0);
    }

    #[test]
    fn filter_expressions_agree_with_the_user_space_check() {
        let exprs = [
            "tcp",
            "host 127.0.0.1",
            "src host 10.0.0.1 and dst port 6379",
            "not port 50000",
            "ip6 or dst host 10.0.0.2",
            "net 10.0.0.0/8 and not (src port 6379 || host ::1)",
            "src net fe80::/10",
            "dst host ::1 && ip6",
            "ip and not net 127.0.0.0/8",
        ];
        let packets = [
            ("127.0.0.1:50000", "127.0.0.1:6379"),
            ("10.0.0.1:50001", "10.0.0.2:6379"),
            ("10.0.0.2:6379", "10.0.0.1:50001"),
            ("[::1]:50000", "[::1]:6379"),
            ("[fe80::1]:6379", "[::1]:4000"),
            ("192.168.1.1:1234", "10.9.9.9:6379"),
        ];
        for text in exprs {
            let e = crate::capture::filter::parse(text).unwrap();
            for framing in [Framing::Ethernet, Framing::RawIp] {
                let prog = program_with(framing, false, &[6379], Some(&e)).unwrap();
                for (src, dst) in packets {
                    let mut f = frame(src, dst);
                    if framing == Framing::RawIp {
                        f.drain(..14);
                    }
                    let seg = crate::capture::packet::parse(
                        match framing {
                            Framing::Ethernet => crate::capture::packet::LinkType::Ethernet,
                            Framing::RawIp => crate::capture::packet::LinkType::RawIp,
                        },
                        &f,
                    )
                    .unwrap();
                    let want =
                        e.matches(&seg) && (seg.src.port() == 6379 || seg.dst.port() == 6379);
                    assert_eq!(
                        run(&prog, &f, 0) == SNAPLEN,
                        want,
                        "{text:?} on {src} -> {dst} ({framing:?})"
                    );
                }
            }
        }
    }

    /// `frame` with IPv6 extension headers (next header, length in 8-byte
    /// units past the first 8) put between the IPv6 and TCP headers.
    fn with_extensions(mut f: Vec<u8>, exts: &[(u8, u8)]) -> Vec<u8> {
        let mut chain = Vec::new();
        let mut next = f[14 + 6];
        for &(kind, units) in exts.iter().rev() {
            let mut h = vec![0u8; 8 * (usize::from(units) + 1)];
            h[0] = next;
            h[1] = units;
            chain.splice(0..0, h);
            next = kind;
        }
        f[14 + 6] = next;
        let plen = u16::from_be_bytes([f[14 + 4], f[14 + 5]]) + chain.len() as u16;
        f[14 + 4..14 + 6].copy_from_slice(&plen.to_be_bytes());
        f.splice(14 + 40..14 + 40, chain);
        f
    }

    #[test]
    fn ipv6_extension_headers_are_followed() {
        let prog = program(Framing::Ethernet, false, &[6379]).unwrap();
        let watched = frame("[::1]:50000", "[::1]:6379");
        let other = frame("[::1]:50000", "[::1]:6380");
        for exts in [
            &[(0, 0)][..],
            &[(0, 1), (60, 0)],
            &[(0, 0), (43, 2), (60, 0)],
        ] {
            let f = with_extensions(watched.clone(), exts);
            let seg = crate::capture::packet::parse(crate::capture::packet::LinkType::Ethernet, &f)
                .unwrap();
            assert_eq!(seg.dst.port(), 6379, "{exts:?}");
            assert_eq!(run(&prog, &f, 0), SNAPLEN, "{exts:?}");
            assert_eq!(run(&prog, &with_extensions(other.clone(), exts), 0), 0);
        }
        // Deeper than the filter follows: user space decides.
        let deep = [(0, 0), (60, 0), (60, 0), (60, 0)];
        assert_eq!(
            run(&prog, &with_extensions(other.clone(), &deep), 0),
            SNAPLEN
        );
        // A fragment header is not followed (user space counts fragments).
        assert_eq!(
            run(&prog, &with_extensions(watched.clone(), &[(44, 0)]), 0),
            0
        );
        // --filter ports are read past the extension headers too.
        let e = crate::capture::filter::parse("dst port 6379").unwrap();
        let prog = program_with(Framing::Ethernet, false, &[6379, 6380], Some(&e)).unwrap();
        let exts = [(0, 1), (43, 0)];
        assert_eq!(run(&prog, &with_extensions(watched, &exts), 0), SNAPLEN);
        assert_eq!(run(&prog, &with_extensions(other, &exts), 0), 0);
    }

    #[test]
    fn raw_ip_framing() {
        let prog = program(Framing::RawIp, false, &[6379]).unwrap();
        let f = frame("10.0.0.1:5", "10.0.0.2:6379");
        assert_eq!(run(&prog, &f[14..], 4), SNAPLEN);
        assert_eq!(run(&prog, &frame("10.0.0.1:5", "10.0.0.2:80")[14..], 0), 0);
    }

    #[test]
    fn too_many_ports_is_an_error_not_a_bad_program() {
        let ports: Vec<u16> = (1..=200).collect();
        assert!(program(Framing::Ethernet, false, &ports).is_err());
        let ports: Vec<u16> = (1..=32).collect();
        assert!(program(Framing::Ethernet, false, &ports).is_ok());
    }
}
