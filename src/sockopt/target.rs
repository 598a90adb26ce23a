//! Probing a connected socket: connect to a user-given address (timing the
//! handshake), optionally exchange one RESP PING with it, and read the
//! options plus TCP_INFO of that connection.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::{SockAddr, Socket};

use super::limits::Limits;
use super::probe::{OptionRow, Setting, SocketKind, probe_socket};
use super::tcp_info::{self, TcpInfo};
use crate::resp::{self, DecodeError, Decoder};

/// What connecting told us.
#[derive(Debug, Serialize)]
pub struct Connection {
    /// The address connected to.
    pub peer: SocketAddr,
    pub local: Option<SocketAddr>,
    pub socket: SocketKind,
    /// Time for connect() to complete (the TCP handshake).
    pub connect_ms: f64,
    pub ping: Option<Ping>,
    pub tcp_info: Option<TcpInfo>,
    /// Why tcp_info is null.
    pub tcp_info_error: Option<String>,
}

/// One PING round trip.
#[derive(Debug, Serialize)]
pub struct Ping {
    pub round_trip_ms: f64,
    /// The reply frame as it came off the wire (bytes rule in JSON).
    #[serde(serialize_with = "crate::output::bytes::serialize")]
    pub reply: Vec<u8>,
}

/// Why a target could not be probed.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot connect to {addr}")]
    Connect {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("PING to {addr} failed")]
    Ping {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
}

/// Connect to the first of `addrs` that answers and probe that socket.
/// Settings are applied before connecting, as a client would (buffer sizes
/// shape the window scale offered in the SYN).
pub fn probe(
    addrs: &[SocketAddr],
    timeout: Duration,
    settings: &[Setting],
    limits: &Limits,
    ping: bool,
) -> Result<(Connection, Vec<OptionRow>), TargetError> {
    let mut last = None;
    for &addr in addrs {
        let kind = SocketKind::tcp_for(&addr);
        let sock = match kind.open() {
            Ok(s) => s,
            Err(source) => {
                last = Some(TargetError::Connect { addr, source });
                continue;
            }
        };
        let mut connect_time = Duration::ZERO;
        let connect = |s: &Socket| {
            let started = Instant::now();
            s.connect_timeout(&SockAddr::from(addr), timeout)?;
            connect_time = started.elapsed();
            Ok(())
        };
        match probe_socket(&sock, kind, settings, limits, true, connect) {
            Ok(rows) => {
                let ping = if ping {
                    Some(
                        send_ping(&sock, timeout)
                            .map_err(|source| TargetError::Ping { addr, source })?,
                    )
                } else {
                    None
                };
                let (tcp_info, tcp_info_error) = match tcp_info::read(&sock) {
                    Ok(info) => (Some(info), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                let connection = Connection {
                    peer: addr,
                    local: sock.local_addr().ok().and_then(|a| a.as_socket()),
                    socket: kind,
                    connect_ms: millis(connect_time),
                    ping,
                    tcp_info,
                    tcp_info_error,
                };
                return Ok((connection, rows));
            }
            Err(source) => last = Some(TargetError::Connect { addr, source }),
        }
    }
    Err(last.unwrap_or_else(|| TargetError::Connect {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        source: io::Error::new(io::ErrorKind::NotFound, "no address to connect to"),
    }))
}

/// Milliseconds with microsecond precision, for reports.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Send `PING` and wait for one complete reply frame.
fn send_ping(sock: &Socket, timeout: Duration) -> io::Result<Ping> {
    let mut stream = sock.try_clone()?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut request = Vec::new();
    resp::encode::command(&mut request, &["PING"]);
    let started = Instant::now();
    stream.write_all(&request)?;
    // A PING reply is tiny; a server that streams more than this is not
    // answering PING.
    const MAX_REPLY: usize = 64 * 1024;
    let decoder = Decoder::default();
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match decoder.check(&reply) {
            Ok(len) => {
                reply.truncate(len);
                break;
            }
            Err(DecodeError::Incomplete { .. }) if reply.len() < MAX_REPLY => {}
            Err(e) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("reply is not RESP: {e}"),
                ));
            }
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        reply.extend_from_slice(&chunk[..n]);
    }
    Ok(Ping {
        round_trip_ms: millis(started.elapsed()),
        reply,
    })
}
