//! Option numbers of the platform sonde was built for. On Unix they come
//! from the libc crate (right for every architecture, whose numbers differ
//! in places); on Windows from the Winsock headers' values, since libc has
//! none there. An option the platform lacks has no number, and sonde reports
//! it as unsupported rather than guessing.

use super::descriptor::{Id, Platform};

/// The platform of this build, when sonde has option support for it.
pub const HOST: Option<Platform> = if cfg!(any(target_os = "linux", target_os = "android")) {
    Some(Platform::Linux)
} else if cfg!(target_vendor = "apple") {
    Some(Platform::Macos)
} else if cfg!(windows) {
    Some(Platform::Windows)
} else {
    None
};

/// Name of the host platform for messages ("this platform" when unknown).
pub fn host_name() -> &'static str {
    HOST.map(Platform::name).unwrap_or("this platform")
}

/// `(level, optname)` of `id` on this platform.
pub fn number(id: Id) -> Option<(i32, i32)> {
    imp::number(id)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use super::Id;

    pub fn number(id: Id) -> Option<(i32, i32)> {
        use libc::*;
        let (lvl, name) = match id {
            Id::TcpNodelay => (IPPROTO_TCP, TCP_NODELAY),
            Id::TcpCork => (IPPROTO_TCP, TCP_CORK),
            Id::TcpQuickack => (IPPROTO_TCP, TCP_QUICKACK),
            Id::TcpKeepidle => (IPPROTO_TCP, TCP_KEEPIDLE),
            Id::TcpKeepintvl => (IPPROTO_TCP, TCP_KEEPINTVL),
            Id::TcpKeepcnt => (IPPROTO_TCP, TCP_KEEPCNT),
            Id::TcpUserTimeout => (IPPROTO_TCP, TCP_USER_TIMEOUT),
            Id::TcpFastopen => (IPPROTO_TCP, TCP_FASTOPEN),
            Id::TcpCongestion => (IPPROTO_TCP, TCP_CONGESTION),
            Id::TcpMaxseg => (IPPROTO_TCP, TCP_MAXSEG),
            Id::TcpNotsentLowat => (IPPROTO_TCP, TCP_NOTSENT_LOWAT),
            Id::SoRcvbuf => (SOL_SOCKET, SO_RCVBUF),
            Id::SoSndbuf => (SOL_SOCKET, SO_SNDBUF),
            Id::SoRcvbufforce => (SOL_SOCKET, SO_RCVBUFFORCE),
            Id::SoSndbufforce => (SOL_SOCKET, SO_SNDBUFFORCE),
            Id::SoRcvlowat => (SOL_SOCKET, SO_RCVLOWAT),
            Id::SoKeepalive => (SOL_SOCKET, SO_KEEPALIVE),
            Id::SoReuseaddr => (SOL_SOCKET, SO_REUSEADDR),
            Id::SoReuseport => (SOL_SOCKET, SO_REUSEPORT),
            Id::SoLinger => (SOL_SOCKET, SO_LINGER),
            Id::SoBroadcast => (SOL_SOCKET, SO_BROADCAST),
            Id::IpTtl => (IPPROTO_IP, IP_TTL),
            Id::IpTos => (IPPROTO_IP, IP_TOS),
            Id::Ipv6V6only => (IPPROTO_IPV6, IPV6_V6ONLY),
            Id::Ipv6UnicastHops => (IPPROTO_IPV6, IPV6_UNICAST_HOPS),
        };
        Some((lvl, name))
    }
}

#[cfg(target_vendor = "apple")]
mod imp {
    use super::Id;

    /// Not in the libc crate for Apple targets; value from <netinet/tcp.h>.
    const TCP_NOTSENT_LOWAT: i32 = 0x201;

    pub fn number(id: Id) -> Option<(i32, i32)> {
        use libc::*;
        let (lvl, name) = match id {
            Id::TcpNodelay => (IPPROTO_TCP, TCP_NODELAY),
            Id::TcpCork => (IPPROTO_TCP, TCP_NOPUSH),
            Id::TcpKeepidle => (IPPROTO_TCP, TCP_KEEPALIVE),
            Id::TcpKeepintvl => (IPPROTO_TCP, TCP_KEEPINTVL),
            Id::TcpKeepcnt => (IPPROTO_TCP, TCP_KEEPCNT),
            Id::TcpFastopen => (IPPROTO_TCP, TCP_FASTOPEN),
            Id::TcpMaxseg => (IPPROTO_TCP, TCP_MAXSEG),
            Id::TcpNotsentLowat => (IPPROTO_TCP, TCP_NOTSENT_LOWAT),
            Id::SoRcvbuf => (SOL_SOCKET, SO_RCVBUF),
            Id::SoSndbuf => (SOL_SOCKET, SO_SNDBUF),
            Id::SoRcvlowat => (SOL_SOCKET, SO_RCVLOWAT),
            Id::SoKeepalive => (SOL_SOCKET, SO_KEEPALIVE),
            Id::SoReuseaddr => (SOL_SOCKET, SO_REUSEADDR),
            Id::SoReuseport => (SOL_SOCKET, SO_REUSEPORT),
            // SO_LINGER counts clock ticks on Darwin; the _SEC form takes
            // seconds as everywhere else.
            Id::SoLinger => (SOL_SOCKET, SO_LINGER_SEC),
            Id::SoBroadcast => (SOL_SOCKET, SO_BROADCAST),
            Id::IpTtl => (IPPROTO_IP, IP_TTL),
            Id::IpTos => (IPPROTO_IP, IP_TOS),
            Id::Ipv6V6only => (IPPROTO_IPV6, IPV6_V6ONLY),
            Id::Ipv6UnicastHops => (IPPROTO_IPV6, IPV6_UNICAST_HOPS),
            Id::TcpQuickack
            | Id::TcpUserTimeout
            | Id::TcpCongestion
            | Id::SoRcvbufforce
            | Id::SoSndbufforce => return None,
        };
        Some((lvl, name))
    }
}

#[cfg(windows)]
mod imp {
    //! Values from ws2def.h / ws2ipdef.h / winsock2.h.
    use super::Id;

    const SOL_SOCKET: i32 = 0xffff;
    const IPPROTO_IP: i32 = 0;
    const IPPROTO_TCP: i32 = 6;
    const IPPROTO_IPV6: i32 = 41;

    pub fn number(id: Id) -> Option<(i32, i32)> {
        let (lvl, name) = match id {
            Id::TcpNodelay => (IPPROTO_TCP, 0x0001),
            Id::TcpKeepidle => (IPPROTO_TCP, 3),
            Id::TcpKeepcnt => (IPPROTO_TCP, 16),
            Id::TcpKeepintvl => (IPPROTO_TCP, 17),
            Id::TcpFastopen => (IPPROTO_TCP, 15),
            Id::TcpMaxseg => (IPPROTO_TCP, 4),
            Id::SoRcvbuf => (SOL_SOCKET, 0x1002),
            Id::SoSndbuf => (SOL_SOCKET, 0x1001),
            Id::SoKeepalive => (SOL_SOCKET, 0x0008),
            Id::SoReuseaddr => (SOL_SOCKET, 0x0004),
            Id::SoLinger => (SOL_SOCKET, 0x0080),
            Id::SoBroadcast => (SOL_SOCKET, 0x0020),
            Id::IpTos => (IPPROTO_IP, 3),
            Id::IpTtl => (IPPROTO_IP, 4),
            Id::Ipv6UnicastHops => (IPPROTO_IPV6, 4),
            Id::Ipv6V6only => (IPPROTO_IPV6, 27),
            Id::TcpCork
            | Id::TcpQuickack
            | Id::TcpUserTimeout
            | Id::TcpCongestion
            | Id::TcpNotsentLowat
            | Id::SoRcvbufforce
            | Id::SoSndbufforce
            | Id::SoRcvlowat
            | Id::SoReuseport => return None,
        };
        Some((lvl, name))
    }
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    windows
)))]
mod imp {
    use super::Id;

    pub fn number(_: Id) -> Option<(i32, i32)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::descriptor::OPTIONS;
    use super::*;

    /// The table's names and the build's numbers agree: an option has a
    /// number exactly where the table gives it a name for this platform.
    #[test]
    fn numbers_exist_where_the_table_names_the_option() {
        let Some(host) = HOST else { return };
        for d in OPTIONS {
            assert_eq!(
                number(d.id).is_some(),
                d.names.on(host).is_some(),
                "{:?} on {host:?}",
                d.id
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_numbers_are_the_generic_ones_on_x86_and_arm() {
        // Spot checks against the values in include/uapi/asm-generic/socket.h
        // and include/uapi/linux/tcp.h, which x86 and arm use.
        if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
            assert_eq!(number(Id::SoRcvbuf), Some((1, 8)));
            assert_eq!(number(Id::SoRcvbufforce), Some((1, 33)));
            assert_eq!(number(Id::TcpQuickack), Some((6, 12)));
            assert_eq!(number(Id::TcpNotsentLowat), Some((6, 25)));
            assert_eq!(number(Id::Ipv6V6only), Some((41, 26)));
        }
    }
}
