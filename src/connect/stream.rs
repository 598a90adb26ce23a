//! A blocking byte stream to a server: TCP, a unix socket, or TLS over
//! TCP. Opening one resolves the host, connects within the endpoint's
//! timeout and completes the TLS handshake, so certificate problems show
//! up at connect time with a message naming the option to change.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};
use serde::Serialize;

use super::endpoint::{Address, Endpoint};
use super::{ConnectError, tls};

/// An open connection.
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// What the TLS handshake agreed on.
#[derive(Clone, Debug, Serialize)]
pub struct TlsInfo {
    /// e.g. `TLSv1_3`.
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// Time for the TLS handshake after TCP connected.
    pub handshake_ms: f64,
}

impl Stream {
    /// Connect to `endpoint` (every resolved address in turn) and, for
    /// TLS, complete the handshake.
    pub fn open(endpoint: &Endpoint) -> Result<(Stream, Option<TlsInfo>), ConnectError> {
        match &endpoint.address {
            Address::Unix(path) => {
                let stream = UnixStream::connect(path).map_err(|error| ConnectError::Connect {
                    target: endpoint.to_string(),
                    error,
                })?;
                stream.set_write_timeout(Some(endpoint.connect_timeout))?;
                Ok((Stream::Unix(stream), None))
            }
            Address::Tcp { host, port } => {
                let tcp = connect_tcp(host, *port, endpoint)?;
                tcp.set_nodelay(true)?;
                tcp.set_write_timeout(Some(endpoint.connect_timeout))?;
                Stream::secure(tcp, endpoint)
            }
        }
    }

    /// Wrap an already connected TCP stream in TLS when the endpoint asks
    /// for it (`sockopt probe --target` connects its own socket).
    pub fn secure(
        tcp: TcpStream,
        endpoint: &Endpoint,
    ) -> Result<(Stream, Option<TlsInfo>), ConnectError> {
        let Some(options) = &endpoint.tls else {
            return Ok((Stream::Tcp(tcp), None));
        };
        let host = endpoint.host_port().map_or("localhost", |(h, _)| h);
        let config = tls::client_config(options).map_err(ConnectError::TlsSetup)?;
        let name = tls::server_name(options, host).map_err(ConnectError::TlsSetup)?;
        let sni = options.sni.clone().unwrap_or_else(|| host.to_owned());
        let mut conn = ClientConnection::new(config, name)
            .map_err(|e| ConnectError::TlsSetup(e.to_string()))?;
        let mut tcp = tcp;
        let started = Instant::now();
        tcp.set_read_timeout(Some(endpoint.connect_timeout))?;
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut tcp) {
                return Err(handshake_error(e, &sni, endpoint));
            }
        }
        tcp.set_read_timeout(None)?;
        let info = TlsInfo {
            version: conn
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default(),
            cipher: conn
                .negotiated_cipher_suite()
                .map(|c| format!("{:?}", c.suite()))
                .unwrap_or_default(),
            handshake_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
        };
        Ok((
            Stream::Tls(Box::new(StreamOwned::new(conn, tcp))),
            Some(info),
        ))
    }

    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(timeout),
            Stream::Unix(s) => s.set_read_timeout(timeout),
            Stream::Tls(s) => s.sock.set_read_timeout(timeout),
        }
    }

    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(timeout),
            Stream::Unix(s) => s.set_write_timeout(timeout),
            Stream::Tls(s) => s.sock.set_write_timeout(timeout),
        }
    }

    /// The TCP socket under the stream (for TCP_INFO, local address).
    pub fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Tcp(s) => Some(s),
            Stream::Unix(_) => None,
            Stream::Tls(s) => Some(&s.sock),
        }
    }

    /// Our end of a TCP connection.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.tcp().and_then(|s| s.local_addr().ok())
    }

    /// Two handles on a plain connection, one to read and one to write,
    /// for a reader thread beside a writer; None for TLS, whose session
    /// cannot be driven from two threads.
    pub fn split(&self) -> io::Result<Option<(Stream, Stream)>> {
        Ok(match self {
            Stream::Tcp(s) => Some((Stream::Tcp(s.try_clone()?), Stream::Tcp(s.try_clone()?))),
            Stream::Unix(s) => Some((Stream::Unix(s.try_clone()?), Stream::Unix(s.try_clone()?))),
            Stream::Tls(_) => None,
        })
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            Stream::Tls(s) => match s.read(buf) {
                // Servers (redis-server among them) often close without a
                // TLS close_notify; for us that is an ordinary close.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            },
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// Resolve and connect, trying each address until one accepts.
fn connect_tcp(host: &str, port: u16, endpoint: &Endpoint) -> Result<TcpStream, ConnectError> {
    let addrs = resolve(host, port)?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, endpoint.connect_timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(ConnectError::Connect {
        target: endpoint.to_string(),
        error: last.unwrap_or_else(|| io::Error::other("no address")),
    })
}

/// `host:port` to addresses, in resolver order.
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ConnectError> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|error| ConnectError::Resolve {
            host: host.to_owned(),
            error,
        })?
        .collect();
    if addrs.is_empty() {
        return Err(ConnectError::Resolve {
            host: host.to_owned(),
            error: io::Error::new(io::ErrorKind::NotFound, "the name has no address"),
        });
    }
    Ok(addrs)
}

fn handshake_error(e: io::Error, sni: &str, endpoint: &Endpoint) -> ConnectError {
    let target = endpoint.to_string();
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return ConnectError::Tls {
            target,
            message: tls::explain(inner, sni),
        };
    }
    let message = match e.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => format!(
            "the server closed the connection during the TLS handshake ({e}): is this a TLS \
             port, and does the server want a client certificate (--cert, --key)?"
        ),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
            "no TLS handshake within {:?} (--connect-timeout): is this a TLS port?",
            endpoint.connect_timeout
        ),
        _ => format!("TLS handshake failed: {e}"),
    };
    ConnectError::Tls { target, message }
}
