//! Kernel limits that set socket option defaults or bound them: Linux
//! sysctls read from /proc/sys. Elsewhere there is no such file tree, and
//! the set is empty (the options are still probed).

use std::collections::BTreeMap;

use serde::Serialize;

/// A sysctl sonde reads, and what it governs.
#[derive(Debug)]
pub struct Sysctl {
    pub name: &'static str,
    pub governs: &'static str,
}

/// Every sysctl sonde shows, in display order.
pub static SYSCTLS: &[Sysctl] = &[
    Sysctl {
        name: "net.core.rmem_default",
        governs: "SO_RCVBUF default of non-TCP sockets",
    },
    Sysctl {
        name: "net.core.rmem_max",
        governs: "largest SO_RCVBUF a process may request (before doubling)",
    },
    Sysctl {
        name: "net.core.wmem_default",
        governs: "SO_SNDBUF default of non-TCP sockets",
    },
    Sysctl {
        name: "net.core.wmem_max",
        governs: "largest SO_SNDBUF a process may request (before doubling)",
    },
    Sysctl {
        name: "net.ipv4.tcp_rmem",
        governs: "TCP receive buffer: min, default (SO_RCVBUF of a new socket), autotuning max",
    },
    Sysctl {
        name: "net.ipv4.tcp_wmem",
        governs: "TCP send buffer: min, default (SO_SNDBUF of a new socket), autotuning max",
    },
    Sysctl {
        name: "net.ipv4.tcp_moderate_rcvbuf",
        governs: "receive buffer autotuning (off for a socket once SO_RCVBUF is set)",
    },
    Sysctl {
        name: "net.core.somaxconn",
        governs: "cap on the listen() backlog",
    },
    Sysctl {
        name: "net.ipv4.tcp_max_syn_backlog",
        governs: "half-open connections (SYN received) kept per listener",
    },
    Sysctl {
        name: "net.ipv4.tcp_syncookies",
        governs: "answer SYNs with cookies when the SYN queue overflows",
    },
    Sysctl {
        name: "net.ipv4.tcp_abort_on_overflow",
        governs: "RST instead of silently dropping when the accept queue is full",
    },
    Sysctl {
        name: "net.ipv4.tcp_syn_retries",
        governs: "SYN retransmissions before connect() gives up",
    },
    Sysctl {
        name: "net.ipv4.tcp_retries2",
        governs: "retransmissions before an established connection is dropped (TCP_USER_TIMEOUT 0)",
    },
    Sysctl {
        name: "net.ipv4.tcp_congestion_control",
        governs: "TCP_CONGESTION of a new socket",
    },
    Sysctl {
        name: "net.ipv4.tcp_available_congestion_control",
        governs: "algorithms TCP_CONGESTION can name",
    },
    Sysctl {
        name: "net.ipv4.tcp_allowed_congestion_control",
        governs: "algorithms TCP_CONGESTION may set without CAP_NET_ADMIN",
    },
    Sysctl {
        name: "net.ipv4.tcp_keepalive_time",
        governs: "TCP_KEEPIDLE default, seconds",
    },
    Sysctl {
        name: "net.ipv4.tcp_keepalive_intvl",
        governs: "TCP_KEEPINTVL default, seconds",
    },
    Sysctl {
        name: "net.ipv4.tcp_keepalive_probes",
        governs: "TCP_KEEPCNT default",
    },
    Sysctl {
        name: "net.ipv4.tcp_fastopen",
        governs: "TCP Fast Open: 1 client, 2 server, 3 both",
    },
    Sysctl {
        name: "net.ipv4.tcp_notsent_lowat",
        governs: "TCP_NOTSENT_LOWAT default (4294967295 = no limit)",
    },
    Sysctl {
        name: "net.ipv4.tcp_autocorking",
        governs: "coalesce small writes while earlier ones wait in the device queue",
    },
    Sysctl {
        name: "net.ipv4.tcp_fin_timeout",
        governs: "seconds an orphaned connection stays in FIN_WAIT2",
    },
    Sysctl {
        name: "net.ipv4.tcp_tw_reuse",
        governs: "reuse TIME_WAIT ports for outgoing connections (2 = loopback only)",
    },
    Sysctl {
        name: "net.ipv4.ip_local_port_range",
        governs: "ephemeral ports for connect()",
    },
    Sysctl {
        name: "net.ipv4.ip_default_ttl",
        governs: "IP_TTL default",
    },
    Sysctl {
        name: "net.ipv6.bindv6only",
        governs: "IPV6_V6ONLY default",
    },
    Sysctl {
        name: "net.ipv6.conf.all.hop_limit",
        governs: "IPV6_UNICAST_HOPS default",
    },
];

/// A sysctl's value: numbers as numbers, vectors of numbers as arrays,
/// anything else as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SysctlValue {
    Number(i64),
    Numbers(Vec<i64>),
    Text(String),
}

impl SysctlValue {
    /// Parse the text of a /proc/sys file.
    pub fn parse(text: &str) -> SysctlValue {
        let words: Vec<&str> = text.split_whitespace().collect();
        let numbers: Option<Vec<i64>> = words.iter().map(|w| w.parse().ok()).collect();
        match numbers {
            Some(n) if n.len() == 1 => SysctlValue::Number(n[0]),
            Some(n) if !n.is_empty() => SysctlValue::Numbers(n),
            _ => SysctlValue::Text(words.join(" ")),
        }
    }
}

impl SysctlValue {
    /// The value when it is a single number.
    pub fn as_number(&self) -> Option<i64> {
        match self {
            SysctlValue::Number(n) => Some(*n),
            _ => None,
        }
    }
}

impl std::fmt::Display for SysctlValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SysctlValue::Number(n) => write!(f, "{n}"),
            SysctlValue::Numbers(ns) => {
                let words: Vec<String> = ns.iter().map(i64::to_string).collect();
                f.write_str(&words.join(" "))
            }
            SysctlValue::Text(t) => f.write_str(t),
        }
    }
}

/// The limits that could be read, by sysctl name.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(transparent)]
pub struct Limits(pub BTreeMap<&'static str, SysctlValue>);

impl Limits {
    /// Read every sysctl in [`SYSCTLS`] that exists here.
    pub fn read() -> Limits {
        Limits(
            SYSCTLS
                .iter()
                .filter_map(|s| read_one(s.name).map(|v| (s.name, v)))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&SysctlValue> {
        self.0.get(name)
    }

    /// A single-number sysctl.
    pub fn number(&self, name: &str) -> Option<i64> {
        self.get(name)?.as_number()
    }

    /// Element `i` of a vector sysctl (tcp_rmem's default is element 1).
    pub fn nth(&self, name: &str, i: usize) -> Option<i64> {
        match self.get(name)? {
            SysctlValue::Numbers(ns) => ns.get(i).copied(),
            SysctlValue::Number(n) if i == 0 => Some(*n),
            _ => None,
        }
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            SysctlValue::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// One sysctl from /proc/sys, or None where it does not exist.
pub fn read_one(name: &str) -> Option<SysctlValue> {
    if !cfg!(any(target_os = "linux", target_os = "android")) {
        return None;
    }
    let path = format!("/proc/sys/{}", name.replace('.', "/"));
    std::fs::read_to_string(path)
        .ok()
        .map(|t| SysctlValue::parse(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_as_numbers_vectors_or_text() {
        assert_eq!(SysctlValue::parse("4096\n"), SysctlValue::Number(4096));
        assert_eq!(
            SysctlValue::parse("4096\t131072\t6291456\n"),
            SysctlValue::Numbers(vec![4096, 131072, 6291456])
        );
        assert_eq!(
            SysctlValue::parse("reno cubic bbr\n"),
            SysctlValue::Text("reno cubic bbr".into())
        );
        assert_eq!(SysctlValue::parse("bbr\n"), SysctlValue::Text("bbr".into()));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_buffer_limits_are_readable_on_linux() {
        let limits = Limits::read();
        assert!(limits.number("net.core.rmem_max").is_some());
        assert!(limits.nth("net.ipv4.tcp_rmem", 2).is_some());
        let json = serde_json::to_value(&limits).unwrap();
        assert!(json["net.ipv4.tcp_rmem"].is_array());
    }
}
