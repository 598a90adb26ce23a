//! The static table of socket options sonde knows: for each, its name on
//! every platform that has it, level, value type, which sockets it applies
//! to, a one-line meaning and the kernel limits (sysctls) that govern it.
//! Option numbers are per target and live in [`super::sys`].

use serde::Serialize;

use super::value::ValueType;

/// Identity of an option, independent of what a platform calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Id {
    TcpNodelay,
    TcpCork,
    TcpQuickack,
    TcpKeepidle,
    TcpKeepintvl,
    TcpKeepcnt,
    TcpUserTimeout,
    TcpFastopen,
    TcpCongestion,
    TcpMaxseg,
    TcpNotsentLowat,
    SoRcvbuf,
    SoSndbuf,
    SoRcvbufforce,
    SoSndbufforce,
    SoRcvlowat,
    SoKeepalive,
    SoReuseaddr,
    SoReuseport,
    SoLinger,
    SoBroadcast,
    IpTtl,
    IpTos,
    Ipv6V6only,
    Ipv6UnicastHops,
}

/// The protocol level an option lives at (the second argument of
/// getsockopt).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Level {
    #[serde(rename = "SOL_SOCKET")]
    Socket,
    #[serde(rename = "IPPROTO_TCP")]
    Tcp,
    #[serde(rename = "IPPROTO_IP")]
    Ip,
    #[serde(rename = "IPPROTO_IPV6")]
    Ipv6,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Socket => "SOL_SOCKET",
            Level::Tcp => "IPPROTO_TCP",
            Level::Ip => "IPPROTO_IP",
            Level::Ipv6 => "IPPROTO_IPV6",
        }
    }
}

/// The platforms sonde builds option support for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Linux,
    Macos,
    Windows,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Linux => "linux",
            Platform::Macos => "macos",
            Platform::Windows => "windows",
        }
    }
}

/// An option's name on each platform; `None` where the platform lacks it.
#[derive(Clone, Copy, Debug)]
pub struct Names {
    pub linux: Option<&'static str>,
    pub macos: Option<&'static str>,
    pub windows: Option<&'static str>,
}

impl Names {
    pub fn on(&self, platform: Platform) -> Option<&'static str> {
        match platform {
            Platform::Linux => self.linux,
            Platform::Macos => self.macos,
            Platform::Windows => self.windows,
        }
    }

    fn all(&self) -> impl Iterator<Item = &'static str> {
        [self.linux, self.macos, self.windows].into_iter().flatten()
    }
}

/// Which sockets an option means something on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    Any,
    Tcp,
    Udp,
    Ipv4,
    Ipv6,
}

impl Applies {
    pub fn describe(self) -> &'static str {
        match self {
            Applies::Any => "any socket",
            Applies::Tcp => "TCP sockets",
            Applies::Udp => "UDP sockets",
            Applies::Ipv4 => "IPv4 sockets",
            Applies::Ipv6 => "IPv6 sockets",
        }
    }
}

/// One option: everything sonde knows about it without asking a kernel.
#[derive(Debug)]
pub struct Descriptor {
    pub id: Id,
    pub names: Names,
    pub level: Level,
    pub value: ValueType,
    pub applies: Applies,
    /// What the option does, in one line.
    pub meaning: &'static str,
    /// Sysctls that set its default or bound it (Linux names).
    pub limits: &'static [&'static str],
    /// Write-only options are read back through another option.
    pub reads_through: Option<Id>,
}

impl Descriptor {
    /// The name on `platform`, or the first name any platform uses.
    pub fn name_on(&self, platform: Option<Platform>) -> &'static str {
        platform
            .and_then(|p| self.names.on(p))
            .or_else(|| self.names.all().next())
            .unwrap_or("?")
    }

    /// Platforms that have the option.
    pub fn platforms(&self) -> Vec<Platform> {
        [Platform::Linux, Platform::Macos, Platform::Windows]
            .into_iter()
            .filter(|p| self.names.on(*p).is_some())
            .collect()
    }
}

const fn names(
    linux: Option<&'static str>,
    macos: Option<&'static str>,
    windows: Option<&'static str>,
) -> Names {
    Names {
        linux,
        macos,
        windows,
    }
}

/// Same name on every platform.
const fn everywhere(name: &'static str) -> Names {
    names(Some(name), Some(name), Some(name))
}

const fn linux_only(name: &'static str) -> Names {
    names(Some(name), None, None)
}

/// Every option sonde probes, in the order they are shown.
pub static OPTIONS: &[Descriptor] = &[
    Descriptor {
        id: Id::TcpNodelay,
        names: everywhere("TCP_NODELAY"),
        level: Level::Tcp,
        value: ValueType::Bool,
        applies: Applies::Tcp,
        meaning: "disable Nagle: send small writes at once instead of waiting for the ACK of earlier small segments",
        limits: &[],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpCork,
        names: names(Some("TCP_CORK"), Some("TCP_NOPUSH"), None),
        level: Level::Tcp,
        value: ValueType::Bool,
        applies: Applies::Tcp,
        meaning: "hold partial segments until uncorked (Linux sends anyway after 200 ms)",
        limits: &["net.ipv4.tcp_autocorking"],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpQuickack,
        names: linux_only("TCP_QUICKACK"),
        level: Level::Tcp,
        value: ValueType::Bool,
        applies: Applies::Tcp,
        meaning: "ACK at once instead of delaying; not sticky, the kernel returns to delayed ACKs",
        limits: &[],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpKeepidle,
        names: names(
            Some("TCP_KEEPIDLE"),
            Some("TCP_KEEPALIVE"),
            Some("TCP_KEEPIDLE"),
        ),
        level: Level::Tcp,
        value: ValueType::Seconds,
        applies: Applies::Tcp,
        meaning: "idle time before the first keepalive probe (needs SO_KEEPALIVE)",
        limits: &["net.ipv4.tcp_keepalive_time"],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpKeepintvl,
        names: everywhere("TCP_KEEPINTVL"),
        level: Level::Tcp,
        value: ValueType::Seconds,
        applies: Applies::Tcp,
        meaning: "time between keepalive probes",
        limits: &["net.ipv4.tcp_keepalive_intvl"],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpKeepcnt,
        names: everywhere("TCP_KEEPCNT"),
        level: Level::Tcp,
        value: ValueType::Int,
        applies: Applies::Tcp,
        meaning: "unanswered keepalive probes before the connection is dropped",
        limits: &["net.ipv4.tcp_keepalive_probes"],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpUserTimeout,
        names: linux_only("TCP_USER_TIMEOUT"),
        level: Level::Tcp,
        value: ValueType::Milliseconds,
        applies: Applies::Tcp,
        meaning: "how long sent data may stay unacknowledged before the connection is dropped (0 = retry count decides)",
        limits: &["net.ipv4.tcp_retries2"],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpFastopen,
        names: everywhere("TCP_FASTOPEN"),
        level: Level::Tcp,
        value: ValueType::Int,
        applies: Applies::Tcp,
        meaning: "on a listener: queue length for data-carrying SYNs (TFO); 0 = off",
        limits: &["net.ipv4.tcp_fastopen"],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpCongestion,
        names: linux_only("TCP_CONGESTION"),
        level: Level::Tcp,
        value: ValueType::Text,
        applies: Applies::Tcp,
        meaning: "congestion control algorithm of this socket",
        limits: &[
            "net.ipv4.tcp_congestion_control",
            "net.ipv4.tcp_available_congestion_control",
            "net.ipv4.tcp_allowed_congestion_control",
        ],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpMaxseg,
        names: everywhere("TCP_MAXSEG"),
        level: Level::Tcp,
        value: ValueType::Bytes,
        applies: Applies::Tcp,
        meaning: "maximum segment size; a set value caps what the handshake negotiates",
        limits: &[],
        reads_through: None,
    },
    Descriptor {
        id: Id::TcpNotsentLowat,
        names: names(Some("TCP_NOTSENT_LOWAT"), Some("TCP_NOTSENT_LOWAT"), None),
        level: Level::Tcp,
        value: ValueType::Bytes,
        applies: Applies::Tcp,
        meaning: "writable only while less than this much is unsent (keeps the send queue short)",
        limits: &["net.ipv4.tcp_notsent_lowat"],
        reads_through: None,
    },
    Descriptor {
        id: Id::SoRcvbuf,
        names: everywhere("SO_RCVBUF"),
        level: Level::Socket,
        value: ValueType::Bytes,
        applies: Applies::Any,
        meaning: "receive buffer size; on TCP it also bounds the advertised window",
        limits: &[
            "net.core.rmem_default",
            "net.core.rmem_max",
            "net.ipv4.tcp_rmem",
        ],
        reads_through: None,
    },
    Descriptor {
        id: Id::SoSndbuf,
        names: everywhere("SO_SNDBUF"),
        level: Level::Socket,
        value: ValueType::Bytes,
        applies: Applies::Any,
        meaning: "send buffer size: how much written data the kernel holds",
        limits: &[
            "net.core.wmem_default",
            "net.core.wmem_max",
            "net.ipv4.tcp_wmem",
        ],
        reads_through: None,
    },
    Descriptor {
        id: Id::SoRcvbufforce,
        names: linux_only("SO_RCVBUFFORCE"),
        level: Level::Socket,
        value: ValueType::Bytes,
        applies: Applies::Any,
        meaning: "SO_RCVBUF past net.core.rmem_max; needs CAP_NET_ADMIN (write-only, read back as SO_RCVBUF)",
        limits: &["net.core.rmem_max"],
        reads_through: Some(Id::SoRcvbuf),
    },
    Descriptor {
        id: Id::SoSndbufforce,
        names: linux_only("SO_SNDBUFFORCE"),
        level: Level::Socket,
        value: ValueType::Bytes,
        applies: Applies::Any,
        meaning: "SO_SNDBUF past net.core.wmem_max; needs CAP_NET_ADMIN (write-only, read back as SO_SNDBUF)",
        limits: &["net.core.wmem_max"],
        reads_through: Some(Id::SoSndbuf),
    },
    Descriptor {
        id: Id::SoRcvlowat,
        names: names(Some("SO_RCVLOWAT"), Some("SO_RCVLOWAT"), None),
        level: Level::Socket,
        value: ValueType::Bytes,
        applies: Applies::Any,
        meaning: "bytes that must be queued before a read or poll reports the socket readable",
        limits: &[],
        reads_through: None,
    },
    Descriptor {
        id: Id::SoKeepalive,
        names: everywhere("SO_KEEPALIVE"),
        level: Level::Socket,
        value: ValueType::Bool,
        applies: Applies::Tcp,
        meaning: "probe an idle connection to detect a dead peer",
        limits: &["net.ipv4.tcp_keepalive_time"],
        reads_through: None,
    },
    Descriptor {
        id: Id::SoReuseaddr,
        names: everywhere("SO_REUSEADDR"),
        level: Level::Socket,
        value: ValueType::Bool,
        applies: Applies::Any,
        meaning: "bind a port that still has connections in TIME_WAIT",
        limits: &[],
        reads_through: None,
    },
    Descriptor {
        id: Id::SoReuseport,
        names: names(Some("SO_REUSEPORT"), Some("SO_REUSEPORT"), None),
        level: Level::Socket,
        value: ValueType::Bool,
        applies: Applies::Any,
        meaning: "several sockets bind one port; Linux spreads incoming connections over them",
        limits: &[],
        reads_through: None,
    },
    Descriptor {
        id: Id::SoLinger,
        names: names(Some("SO_LINGER"), Some("SO_LINGER_SEC"), Some("SO_LINGER")),
        level: Level::Socket,
        value: ValueType::Linger,
        applies: Applies::Tcp,
        meaning: "what close() does with unsent data; {1,0} aborts with RST instead of FIN",
        limits: &[],
        reads_through: None,
    },
    Descriptor {
        id: Id::SoBroadcast,
        names: everywhere("SO_BROADCAST"),
        level: Level::Socket,
        value: ValueType::Bool,
        applies: Applies::Udp,
        meaning: "allow sending datagrams to a broadcast address",
        limits: &[],
        reads_through: None,
    },
    Descriptor {
        id: Id::IpTtl,
        names: everywhere("IP_TTL"),
        level: Level::Ip,
        value: ValueType::Int,
        applies: Applies::Ipv4,
        meaning: "time to live of outgoing unicast IPv4 packets (-1 resets to the default)",
        limits: &["net.ipv4.ip_default_ttl"],
        reads_through: None,
    },
    Descriptor {
        id: Id::IpTos,
        names: everywhere("IP_TOS"),
        level: Level::Ip,
        value: ValueType::Int,
        applies: Applies::Ipv4,
        meaning: "type of service byte (DSCP and ECN bits) of outgoing IPv4 packets",
        limits: &[],
        reads_through: None,
    },
    Descriptor {
        id: Id::Ipv6V6only,
        names: everywhere("IPV6_V6ONLY"),
        level: Level::Ipv6,
        value: ValueType::Bool,
        applies: Applies::Ipv6,
        meaning: "an IPv6 socket refuses IPv4-mapped traffic (a wildcard bind leaves IPv4 free)",
        limits: &["net.ipv6.bindv6only"],
        reads_through: None,
    },
    Descriptor {
        id: Id::Ipv6UnicastHops,
        names: everywhere("IPV6_UNICAST_HOPS"),
        level: Level::Ipv6,
        value: ValueType::Int,
        applies: Applies::Ipv6,
        meaning: "hop limit of outgoing unicast IPv6 packets (-1 resets to the default)",
        limits: &["net.ipv6.conf.all.hop_limit"],
        reads_through: None,
    },
];

/// The descriptor of `id`.
pub fn get(id: Id) -> &'static Descriptor {
    OPTIONS
        .iter()
        .find(|d| d.id == id)
        .expect("every Id has a descriptor (checked by a unit test)")
}

/// A name that matches no option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown socket option {name}{}", suggestion.map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
pub struct UnknownOption {
    pub name: String,
    pub suggestion: Option<&'static str>,
}

/// Look an option up by any platform's name, case-insensitively.
pub fn find(name: &str) -> Result<&'static Descriptor, UnknownOption> {
    let wanted = name.trim().to_ascii_uppercase();
    if let Some(d) = OPTIONS.iter().find(|d| d.names.all().any(|n| n == wanted)) {
        return Ok(d);
    }
    // The closest name, when it is close enough to be a typo.
    let suggestion = OPTIONS
        .iter()
        .flat_map(|d| d.names.all())
        .map(|n| (strsim::damerau_levenshtein(&wanted, n), n))
        .filter(|(distance, _)| *distance <= 3.max(wanted.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, n)| n);
    Err(UnknownOption {
        name: name.to_owned(),
        suggestion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_exactly_one_descriptor() {
        let ids = [
            Id::TcpNodelay,
            Id::TcpCork,
            Id::TcpQuickack,
            Id::TcpKeepidle,
            Id::TcpKeepintvl,
            Id::TcpKeepcnt,
            Id::TcpUserTimeout,
            Id::TcpFastopen,
            Id::TcpCongestion,
            Id::TcpMaxseg,
            Id::TcpNotsentLowat,
            Id::SoRcvbuf,
            Id::SoSndbuf,
            Id::SoRcvbufforce,
            Id::SoSndbufforce,
            Id::SoRcvlowat,
            Id::SoKeepalive,
            Id::SoReuseaddr,
            Id::SoReuseport,
            Id::SoLinger,
            Id::SoBroadcast,
            Id::IpTtl,
            Id::IpTos,
            Id::Ipv6V6only,
            Id::Ipv6UnicastHops,
        ];
        assert_eq!(ids.len(), OPTIONS.len());
        for id in ids {
            assert_eq!(OPTIONS.iter().filter(|d| d.id == id).count(), 1, "{id:?}");
        }
    }

    #[test]
    fn names_from_any_platform_find_the_option() {
        assert_eq!(find("tcp_nopush").unwrap().id, Id::TcpCork);
        assert_eq!(find("TCP_CORK").unwrap().id, Id::TcpCork);
        assert_eq!(find("SO_LINGER_SEC").unwrap().id, Id::SoLinger);
        assert_eq!(find("TCP_KEEPALIVE").unwrap().id, Id::TcpKeepidle);
    }

    #[test]
    fn typos_get_a_suggestion_and_nonsense_does_not() {
        let e = find("TCP_NODELY").unwrap_err();
        assert_eq!(e.suggestion, Some("TCP_NODELAY"));
        assert_eq!(
            e.to_string(),
            "unknown socket option TCP_NODELY (did you mean TCP_NODELAY?)"
        );
        assert_eq!(
            find("SO_RCVBUFF").unwrap_err().suggestion,
            Some("SO_RCVBUF")
        );
        assert_eq!(find("banana").unwrap_err().suggestion, None);
    }

    #[test]
    fn every_governing_limit_is_a_known_sysctl() {
        for d in OPTIONS {
            for name in d.limits {
                assert!(
                    super::super::limits::SYSCTLS
                        .iter()
                        .any(|s| s.name == *name),
                    "{name} of {:?} is not in limits::SYSCTLS",
                    d.id
                );
            }
        }
    }
}
