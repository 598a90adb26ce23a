//! TLS for `serve`: the `tls-*` directives, a rustls server configuration
//! built from them, and [`ServerStream`], the connection type of the event
//! loop — plain TCP, or TLS driven over a non-blocking mio socket.
//!
//! Driving rustls without blocking: a read pulls ciphertext until the
//! socket would block, decrypts, and hands out plaintext until the caller's
//! buffer is full (so "the read did not fill the buffer" still means "the
//! socket is drained", which the edge-triggered loop relies on). A write
//! first flushes ciphertext left from before — if that would block, the
//! write would block — then encrypts and flushes again. Ciphertext that the
//! kernel did not take is reported by [`ServerStream::has_pending_tls`], so
//! the loop keeps WRITABLE interest until it is gone.
//!
//! A diskless snapshot is written to a replica's socket by a forked child,
//! which cannot speak TLS: TLS replicas get disk-based transfers (through
//! the output buffer), as Redis does without its pipe relay.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::PathBuf;
use std::sync::Arc;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// `tls-auth-clients`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthClients {
    No,
    Yes,
    Optional,
}

/// The `tls-*` directives (Redis's names and defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    /// 0: no TLS listener.
    pub port: u16,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub ca_cert_file: Option<PathBuf>,
    pub ca_cert_dir: Option<PathBuf>,
    pub auth_clients: AuthClients,
    /// Connect to our master with TLS (when a replica).
    pub replication: bool,
}

impl Default for TlsSettings {
    fn default() -> TlsSettings {
        TlsSettings {
            port: 0,
            cert_file: None,
            key_file: None,
            ca_cert_file: None,
            ca_cert_dir: None,
            auth_clients: AuthClients::Yes,
            replication: false,
        }
    }
}

impl TlsSettings {
    /// `tls-auth-clients` as the config shows it.
    pub fn auth_clients_name(&self) -> &'static str {
        match self.auth_clients {
            AuthClients::Yes => "yes",
            AuthClients::No => "no",
            AuthClients::Optional => "optional",
        }
    }

    /// Set `tls-auth-clients` (the config table has checked the value).
    pub fn set_auth_clients(&mut self, value: &str) {
        self.auth_clients = match value {
            "no" => AuthClients::No,
            "optional" => AuthClients::Optional,
            _ => AuthClients::Yes,
        };
    }

    /// The rustls server configuration, checked at startup: the files
    /// exist and parse, and client verification has CAs to trust.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, String> {
        let (Some(cert), Some(key)) = (&self.cert_file, &self.key_file) else {
            return Err("tls-port needs tls-cert-file and tls-key-file".to_owned());
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .and_then(|i| i.collect::<Result<_, _>>())
            .map_err(|e| format!("tls-cert-file {}: {e}", cert.display()))?;
        if certs.is_empty() {
            return Err(format!("tls-cert-file {}: no certificate", cert.display()));
        }
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| format!("tls-key-file {}: {e}", key.display()))?;
        let provider = crate::connect::tls::provider();
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let builder = match self.auth_clients {
            AuthClients::No => builder.with_no_client_auth(),
            mode => {
                let roots = self.client_roots()?;
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if mode == AuthClients::Optional {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                builder.with_client_cert_verifier(verifier.build().map_err(|e| e.to_string())?)
            }
        };
        let config = builder
            .with_single_cert(certs, key)
            .map_err(|e| format!("tls-cert-file/tls-key-file: {e}"))?;
        Ok(Arc::new(config))
    }

    fn client_roots(&self) -> Result<RootCertStore, String> {
        let mut roots = RootCertStore::empty();
        let mut certs = Vec::new();
        if let Some(file) = &self.ca_cert_file {
            certs.extend(
                CertificateDer::pem_file_iter(file)
                    .map_err(|e| format!("tls-ca-cert-file {}: {e}", file.display()))?
                    .flatten(),
            );
        }
        if let Some(dir) = &self.ca_cert_dir {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| format!("tls-ca-cert-dir {}: {e}", dir.display()))?;
            for entry in entries.flatten() {
                if let Ok(iter) = CertificateDer::pem_file_iter(entry.path()) {
                    certs.extend(iter.flatten());
                }
            }
        }
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(
                "tls-auth-clients needs tls-ca-cert-file or tls-ca-cert-dir with a CA \
                 certificate (or tls-auth-clients no)"
                    .to_owned(),
            );
        }
        Ok(roots)
    }
}

/// Listeners on `port` for every `bind` address (the same rules as for
/// the plain port).
pub fn bind(
    addresses: &[String],
    port: u16,
) -> Result<Vec<mio::net::TcpListener>, super::event_loop::ServeError> {
    super::event_loop::bind_plain(addresses, port)
}

/// A client connection of the event loop.
pub enum ServerStream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
    /// A client of the `unixsocket` listener, with the socket's path.
    Unix(mio::net::UnixStream, Arc<str>),
}

pub struct TlsStream {
    sock: TcpStream,
    conn: Connection,
}

impl ServerStream {
    /// Start a TLS session on an accepted socket.
    pub fn tls(sock: TcpStream, config: &Arc<ServerConfig>) -> io::Result<ServerStream> {
        let conn = ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
        Ok(ServerStream::Tls(Box::new(TlsStream {
            sock,
            conn: conn.into(),
        })))
    }

    /// Start a TLS session as a client (a replica's link to its master,
    /// `tls-replication yes`): the CAs and our certificate come from the
    /// `tls-*` files, the name checked is the master's host.
    pub fn tls_client(
        sock: TcpStream,
        settings: &TlsSettings,
        host: &str,
    ) -> Result<ServerStream, String> {
        let options = crate::connect::Tls {
            ca_file: settings.ca_cert_file.clone(),
            ca_dir: settings.ca_cert_dir.clone(),
            cert: settings.cert_file.clone(),
            key: settings.key_file.clone(),
            sni: None,
            insecure: false,
        };
        let config = crate::connect::tls::client_config(&options)?;
        let name = crate::connect::tls::server_name(&options, host)?;
        let conn = ClientConnection::new(config, name).map_err(|e| e.to_string())?;
        Ok(ServerStream::Tls(Box::new(TlsStream {
            sock,
            conn: conn.into(),
        })))
    }

    /// A pending connect's error (mio's non-blocking connect).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        match self.tcp() {
            Some(s) => s.take_error(),
            None => Ok(None),
        }
    }

    /// The TCP socket (none for a unix socket client).
    pub fn tcp(&self) -> Option<&TcpStream> {
        match self {
            ServerStream::Plain(s) => Some(s),
            ServerStream::Tls(t) => Some(&t.sock),
            ServerStream::Unix(..) => None,
        }
    }

    /// The path of the unix socket a client connected through.
    pub fn unix_path(&self) -> Option<&str> {
        match self {
            ServerStream::Unix(_, path) => Some(path),
            _ => None,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, ServerStream::Tls(_))
    }

    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.tcp().ok_or(io::ErrorKind::Unsupported)?.peer_addr()
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp().ok_or(io::ErrorKind::Unsupported)?.local_addr()
    }

    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        match self.tcp() {
            Some(s) => s.set_nodelay(on),
            None => Ok(()),
        }
    }

    /// Encrypted bytes the kernel has not taken yet.
    pub fn has_pending_tls(&self) -> bool {
        match self {
            ServerStream::Plain(_) | ServerStream::Unix(..) => false,
            ServerStream::Tls(t) => t.conn.wants_write(),
        }
    }
}

impl TlsStream {
    /// Write ciphertext until none is left or the socket would block.
    fn flush_tls(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut total = 0;
        loop {
            match self.conn.reader().read(&mut buf[total..]) {
                // A close_notify (or an empty buffer): what we have.
                Ok(0) => return Ok(total),
                Ok(n) => {
                    total += n;
                    if total == buf.len() {
                        return Ok(total);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The error shows again on the next read.
                Err(_) if total > 0 => return Ok(total),
                Err(e) => return Err(e),
            }
            match self.conn.read_tls(&mut self.sock) {
                Ok(0) => return Ok(total),
                Ok(_) => {
                    let processed = self.conn.process_new_packets();
                    // Handshake messages and alerts go out now; if the
                    // kernel refuses, WRITABLE interest picks them up.
                    match self.flush_tls() {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                    if let Err(e) = processed {
                        return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && total > 0 => return Ok(total),
                Err(e) => return Err(e),
            }
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.flush_tls()?;
        let n = self.conn.writer().write(buf)?;
        match self.flush_tls() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if n == 0 && !buf.is_empty() {
            // rustls's plaintext buffer is full until the handshake ends.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }
}

impl Read for ServerStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ServerStream::Plain(s) => s.read(buf),
            ServerStream::Tls(t) => t.read(buf),
            ServerStream::Unix(s, _) => s.read(buf),
        }
    }
}

impl Write for ServerStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            ServerStream::Plain(s) => s.write(buf),
            ServerStream::Tls(t) => t.write(buf),
            ServerStream::Unix(s, _) => s.write(buf),
        }
    }

    /// For TLS: push out pending ciphertext (WouldBlock when the kernel
    /// refuses it).
    fn flush(&mut self) -> io::Result<()> {
        match self {
            ServerStream::Plain(s) => s.flush(),
            ServerStream::Tls(t) => t.flush_tls(),
            ServerStream::Unix(s, _) => s.flush(),
        }
    }
}

impl AsRawFd for ServerStream {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            ServerStream::Plain(s) => s.as_raw_fd(),
            ServerStream::Tls(t) => t.sock.as_raw_fd(),
            ServerStream::Unix(s, _) => s.as_raw_fd(),
        }
    }
}

impl AsFd for ServerStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            ServerStream::Plain(s) => s.as_fd(),
            ServerStream::Tls(t) => t.sock.as_fd(),
            ServerStream::Unix(s, _) => s.as_fd(),
        }
    }
}

impl mio::event::Source for ServerStream {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match self {
            ServerStream::Plain(s) => s.register(registry, token, interests),
            ServerStream::Tls(t) => t.sock.register(registry, token, interests),
            ServerStream::Unix(s, _) => s.register(registry, token, interests),
        }
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        match self {
            ServerStream::Plain(s) => s.reregister(registry, token, interests),
            ServerStream::Tls(t) => t.sock.reregister(registry, token, interests),
            ServerStream::Unix(s, _) => s.reregister(registry, token, interests),
        }
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match self {
            ServerStream::Plain(s) => s.deregister(registry),
            ServerStream::Tls(t) => t.sock.deregister(registry),
            ServerStream::Unix(s, _) => s.deregister(registry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_startup_checks() {
        let mut t = TlsSettings::default();
        assert_eq!(t.auth_clients_name(), "yes");
        t.set_auth_clients("optional");
        assert_eq!(t.auth_clients_name(), "optional");
        assert!(t.server_config().unwrap_err().contains("tls-key-file"));
        t.cert_file = Some("/nonexistent/c.pem".into());
        t.key_file = Some("/nonexistent/k.pem".into());
        assert!(t.server_config().unwrap_err().contains("tls-cert-file"));
    }
}
