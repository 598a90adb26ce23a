//! `supervised systemd`: tell the service manager how startup went, as
//! redis-server does through sd_notify. The protocol is one datagram of
//! `KEY=value` lines to the unix socket named by `NOTIFY_SOCKET` (a path,
//! or an abstract name written with a leading `@`): `STATUS=` while
//! loading, `READY=1` once connections are accepted, `STOPPING=1` on the
//! way out. Without the variable (not started by systemd) nothing is sent.

use std::os::unix::net::UnixDatagram;

/// Where notifications go, when supervised by systemd.
pub struct Notifier {
    socket: UnixDatagram,
    target: String,
}

impl Notifier {
    /// A notifier when `supervised` asks for systemd (`systemd`, or `auto`
    /// with NOTIFY_SOCKET set) and NOTIFY_SOCKET names a socket.
    pub fn from_config(supervised: &str) -> Option<Notifier> {
        if supervised != "systemd" && supervised != "auto" {
            return None;
        }
        let target = std::env::var("NOTIFY_SOCKET")
            .ok()
            .filter(|t| !t.is_empty())?;
        let socket = UnixDatagram::unbound().ok()?;
        Some(Notifier { socket, target })
    }

    /// Send `KEY=value` lines; failures are ignored (the service manager
    /// decides what a missing READY means).
    pub fn send(&self, state: &str) {
        let _ = self.send_to(state.as_bytes());
    }

    fn send_to(&self, payload: &[u8]) -> std::io::Result<usize> {
        if let Some(name) = self.target.strip_prefix('@') {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            self.socket.send_to_addr(payload, &addr)
        } else {
            self.socket.send_to(payload, &self.target)
        }
    }
}
