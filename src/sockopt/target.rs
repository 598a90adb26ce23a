//! Probing a connected socket: connect to a user-given endpoint (timing the
//! handshake; TLS and AUTH through [`crate::connect`]), optionally exchange
//! one RESP PING with it, and read the options plus TCP_INFO of that
//! connection.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::{SockAddr, Socket};

use super::limits::Limits;
use super::probe::{OptionRow, Setting, SocketKind, probe_socket};
use super::tcp_info::{self, TcpInfo};
use crate::connect::{Client, ConnectError, Endpoint, Stream, TlsInfo};
use crate::resp::Frame;

/// What connecting told us.
#[derive(Debug, Serialize)]
pub struct Connection {
    /// The address connected to.
    pub peer: SocketAddr,
    pub local: Option<SocketAddr>,
    pub socket: SocketKind,
    /// Time for connect() to complete (the TCP handshake).
    pub connect_ms: f64,
    /// The TLS session, when connected with TLS.
    pub tls: Option<TlsInfo>,
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
    #[error(
        "cannot connect to {addr}: {error}{}",
        crate::connect::refused_hint(error)
    )]
    Connect { addr: SocketAddr, error: io::Error },
    #[error(transparent)]
    Session(ConnectError),
    #[error("PING to {addr} failed")]
    Ping {
        addr: SocketAddr,
        #[source]
        source: ConnectError,
    },
    #[error("a unix socket has no TCP_INFO: probe a TCP endpoint (-h/-p)")]
    Unix,
}

/// Connect to the first address of `endpoint` that answers and probe that
/// socket. Settings are applied before connecting, as a client would
/// (buffer sizes shape the window scale offered in the SYN). With TLS the
/// handshake is done before reading TCP_INFO; with `ping` (or a password)
/// the connection authenticates, and PING is timed.
pub fn probe(
    endpoint: &Endpoint,
    settings: &[Setting],
    limits: &Limits,
    ping: bool,
) -> Result<(Connection, Vec<OptionRow>), TargetError> {
    let Some((host, port)) = endpoint.host_port() else {
        return Err(TargetError::Unix);
    };
    let addrs = crate::connect::stream::resolve(host, port).map_err(TargetError::Session)?;
    let timeout = endpoint.connect_timeout;
    let mut last = None;
    for addr in addrs {
        let kind = SocketKind::tcp_for(&addr);
        let sock = match kind.open() {
            Ok(s) => s,
            Err(source) => {
                last = Some(TargetError::Connect {
                    addr,
                    error: source,
                });
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
        let rows = match probe_socket(&sock, kind, settings, limits, true, connect) {
            Ok(rows) => rows,
            Err(source) => {
                last = Some(TargetError::Connect {
                    addr,
                    error: source,
                });
                continue;
            }
        };
        let tcp: TcpStream = sock
            .try_clone()
            .map_err(|source| TargetError::Connect {
                addr,
                error: source,
            })?
            .into();
        tcp.set_write_timeout(Some(timeout))
            .map_err(|source| TargetError::Connect {
                addr,
                error: source,
            })?;
        let (stream, tls) = Stream::secure(tcp, endpoint).map_err(TargetError::Session)?;
        let ping = if ping || endpoint.password.is_some() {
            let mut client =
                Client::start(stream, tls.clone(), endpoint).map_err(TargetError::Session)?;
            if ping {
                Some(send_ping(&mut client).map_err(|source| match source {
                    named @ (ConnectError::Auth { .. }
                    | ConnectError::Tls { .. }
                    | ConnectError::Closed { .. }) => TargetError::Session(named),
                    source => TargetError::Ping { addr, source },
                })?)
            } else {
                None
            }
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
            tls,
            ping,
            tcp_info,
            tcp_info_error,
        };
        return Ok((connection, rows));
    }
    Err(last.unwrap_or_else(|| TargetError::Connect {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        error: io::Error::new(io::ErrorKind::NotFound, "no address to connect to"),
    }))
}

/// Milliseconds with microsecond precision, for reports.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Send `PING` and wait for its reply; an error reply is an answer too
/// (it is shown), except an authentication refusal, which is explained.
fn send_ping(client: &mut Client) -> Result<Ping, ConnectError> {
    let started = Instant::now();
    let reply = client.command(&["PING"])?;
    let round_trip = started.elapsed();
    if let Frame::Error(text) = &reply
        && text.starts_with(b"NOAUTH")
    {
        return Err(ConnectError::Auth {
            target: client.target().to_owned(),
            message: crate::connect::auth_hint(&String::from_utf8_lossy(text), None, false),
        });
    }
    Ok(Ping {
        round_trip_ms: millis(round_trip),
        reply: crate::resp::to_bytes(&reply),
    })
}
