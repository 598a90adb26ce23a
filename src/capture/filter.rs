//! `--filter`: the part of tcpdump's filter language people use to narrow
//! a Redis capture, parsed here (no libpcap): `tcp`, `ip`, `ip6`,
//! `[src|dst] host ADDR`, `[src|dst] port N`, `[src|dst] net ADDR/LEN`,
//! joined with `and`/`&&`, `or`/`||`, `not`/`!` and parentheses. A
//! protocol word may qualify the next term as in tcpdump (`tcp port
//! 6379` is `tcp and port 6379`). Addresses are numeric (IPv4 or IPv6).
//!
//! One expression serves both ways of capturing: [`Expr::matches`] checks a
//! decoded TCP segment (capture files), and [`Expr::compile`] emits classic
//! BPF that the kernel runs on live packets (see [`super::bpf`]).

use std::net::{IpAddr, SocketAddr};

use super::packet::Segment;

/// Which end of a packet a term looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Src,
    Dst,
    Either,
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// Every packet the sniffer decodes is TCP: always true.
    Tcp,
    Ip4,
    Ip6,
    Host(Dir, IpAddr),
    Port(Dir, u16),
    Net(Dir, IpAddr, u8),
}

/// Parse a filter expression; the error names the word where it failed.
pub fn parse(text: &str) -> Result<Expr, String> {
    let words = tokens(text);
    if words.is_empty() {
        return Err("the filter is empty".to_owned());
    }
    let mut p = Parser { words, at: 0 };
    let e = p.or()?;
    match p.peek() {
        None => Ok(e),
        Some(w) => Err(p.error(&format!("unexpected {w:?}"))),
    }
}

fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let single = match c {
            '(' | ')' => Some(c.to_string()),
            '!' => Some("!".to_owned()),
            '&' if chars.peek() == Some(&'&') => {
                chars.next();
                Some("&&".to_owned())
            }
            '|' if chars.peek() == Some(&'|') => {
                chars.next();
                Some("||".to_owned())
            }
            _ => None,
        };
        if c.is_whitespace() || single.is_some() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.extend(single);
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

struct Parser {
    words: Vec<String>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.words.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let w = self.words.get(self.at).cloned();
        self.at += 1;
        w
    }

    fn error(&self, what: &str) -> String {
        format!(
            "--filter: {what} at word {}",
            self.at.min(self.words.len()) + 1
        )
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while matches!(self.peek(), Some("or" | "||")) {
            self.at += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.not()?;
        loop {
            match self.peek() {
                Some("and" | "&&") => {
                    self.at += 1;
                    e = Expr::And(Box::new(e), Box::new(self.not()?));
                }
                // tcpdump's juxtaposition: `tcp port 1` is `tcp and port 1`.
                Some(w) if matches!(e, Expr::Tcp | Expr::Ip4 | Expr::Ip6) && starts_term(w) => {
                    e = Expr::And(Box::new(e), Box::new(self.not()?));
                }
                _ => return Ok(e),
            }
        }
    }

    fn not(&mut self) -> Result<Expr, String> {
        if matches!(self.peek(), Some("not" | "!")) {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let Some(word) = self.next() else {
            return Err(self.error("the expression ends early"));
        };
        let dir = match word.as_str() {
            "(" => {
                let e = self.or()?;
                return match self.next().as_deref() {
                    Some(")") => Ok(e),
                    _ => Err(self.error("missing )")),
                };
            }
            "tcp" => return Ok(Expr::Tcp),
            "ip" => return Ok(Expr::Ip4),
            "ip6" => return Ok(Expr::Ip6),
            "src" => Dir::Src,
            "dst" => Dir::Dst,
            _ => {
                self.at -= 1;
                Dir::Either
            }
        };
        let Some(kind) = self.next() else {
            return Err(self.error("expected host, port or net"));
        };
        if !matches!(kind.as_str(), "host" | "port" | "net") {
            self.at -= 1;
            return Err(self.error(&format!(
                "{kind:?} is not supported (host, port, net, tcp, ip, ip6, src, dst, and, or, not)"
            )));
        }
        let Some(value) = self.next() else {
            return Err(format!("--filter: {kind} needs a value (at the end)"));
        };
        match kind.as_str() {
            "host" => value
                .parse()
                .map(|ip| Expr::Host(dir, ip))
                .map_err(|_| self.error(&format!("{value:?} is not a numeric IP address"))),
            "port" => value
                .parse()
                .map(|p| Expr::Port(dir, p))
                .map_err(|_| self.error(&format!("{value:?} is not a port number"))),
            "net" => {
                let (addr, len) = value.split_once('/').unwrap_or((&value, ""));
                let ip: IpAddr = addr
                    .parse()
                    .map_err(|_| self.error(&format!("{value:?} is not ADDR/LEN")))?;
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let len = if len.is_empty() {
                    max
                } else {
                    len.parse::<u8>()
                        .ok()
                        .filter(|l| *l <= max)
                        .ok_or_else(|| self.error(&format!("{value:?}: bad prefix length")))?
                };
                Ok(Expr::Net(dir, ip, len))
            }
            _ => Err(self.error("expected host, port or net")),
        }
    }
}

fn starts_term(w: &str) -> bool {
    matches!(w, "host" | "port" | "net" | "src" | "dst")
}

fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

impl Expr {
    /// Whether a decoded TCP segment passes.
    pub fn matches(&self, seg: &Segment) -> bool {
        let ends = |dir: Dir, f: &dyn Fn(SocketAddr) -> bool| match dir {
            Dir::Src => f(seg.src),
            Dir::Dst => f(seg.dst),
            Dir::Either => f(seg.src) || f(seg.dst),
        };
        match self {
            Expr::And(a, b) => a.matches(seg) && b.matches(seg),
            Expr::Or(a, b) => a.matches(seg) || b.matches(seg),
            Expr::Not(a) => !a.matches(seg),
            Expr::Tcp => true,
            Expr::Ip4 => seg.src.is_ipv4(),
            Expr::Ip6 => seg.src.is_ipv6(),
            Expr::Host(d, ip) => ends(*d, &|a| a.ip() == *ip),
            Expr::Port(d, p) => ends(*d, &|a| a.port() == *p),
            Expr::Net(d, ip, len) => ends(*d, &|a| in_net(a.ip(), *ip, *len)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(src: &str, dst: &str) -> Segment<'static> {
        Segment {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            seq: 0,
            ack: None,
            syn: false,
            fin: false,
            rst: false,
            payload: b"",
            truncated: false,
        }
    }

    #[test]
    fn parses_the_common_forms() {
        let e = parse("tcp port 6379 and not src host 10.0.0.1").unwrap();
        assert!(e.matches(&seg("10.0.0.2:1", "10.0.0.3:6379")));
        assert!(!e.matches(&seg("10.0.0.1:1", "10.0.0.3:6379")));
        assert!(!e.matches(&seg("10.0.0.2:1", "10.0.0.3:6380")));
        let e = parse("(dst port 1 || dst port 2) && net 10.1.0.0/16").unwrap();
        assert!(e.matches(&seg("10.1.2.3:9", "9.9.9.9:2")));
        assert!(!e.matches(&seg("10.2.2.3:9", "9.9.9.9:2")));
        assert!(!e.matches(&seg("10.1.2.3:2", "9.9.9.9:3")));
        let e = parse("ip6 and host ::1").unwrap();
        assert!(e.matches(&seg("[::1]:5", "[::1]:6")));
        assert!(!e.matches(&seg("127.0.0.1:5", "127.0.0.1:6")));
        assert!(
            parse("!port 5")
                .unwrap()
                .matches(&seg("1.1.1.1:1", "1.1.1.1:2"))
        );
    }

    #[test]
    fn errors_name_the_word() {
        for (text, needle) in [
            ("", "empty"),
            ("port", "port needs a value"),
            ("host redis.local", "not a numeric IP address"),
            ("port 6379 and", "ends early"),
            ("udp", "\"udp\" is not supported"),
            ("(port 1", "missing )"),
            ("port 1 port 2", "unexpected \"port\" at word 3"),
            ("net 10.0.0.0/40", "bad prefix length"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }
}
