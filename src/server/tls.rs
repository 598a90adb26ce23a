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
    /// Accepted for compatibility, not used: rustls's defaults apply.
    pub protocols: String,
    pub ciphers: String,
    pub ciphersuites: String,
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
            protocols: String::new(),
            ciphers: String::new(),
            ciphersuites: String::new(),
        }
    }
}

fn path(value: &str) -> Option<PathBuf> {
    (!value.is_empty()).then(|| PathBuf::from(value))
}

fn show(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

impl TlsSettings {
    /// Apply one `tls-*` directive; `Err` says what is wrong with the value.
    pub fn apply(&mut self, name: &str, values: &[String]) -> Result<(), String> {
        let [one] = values else {
            return Err("wrong number of arguments".to_owned());
        };
        match name {
            "tls-port" => {
                self.port = one
                    .parse()
                    .map_err(|_| "argument must be a port number".to_owned())?
            }
            "tls-cert-file" => self.cert_file = path(one),
            "tls-key-file" => self.key_file = path(one),
            "tls-ca-cert-file" => self.ca_cert_file = path(one),
            "tls-ca-cert-dir" => self.ca_cert_dir = path(one),
            "tls-auth-clients" => {
                self.auth_clients = match one.to_ascii_lowercase().as_str() {
                    "yes" => AuthClients::Yes,
                    "no" => AuthClients::No,
                    "optional" => AuthClients::Optional,
                    _ => return Err("argument must be 'yes', 'no' or 'optional'".to_owned()),
                }
            }
            "tls-replication" => {
                self.replication = match one.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err("argument must be 'yes' or 'no'".to_owned()),
                }
            }
            "tls-protocols" => self.protocols = one.clone(),
            "tls-ciphers" => self.ciphers = one.clone(),
            "tls-ciphersuites" => self.ciphersuites = one.clone(),
            // Accepted at their defaults (no effect with rustls).
            "tls-cluster"
            | "tls-prefer-server-ciphers"
            | "tls-session-caching"
            | "tls-session-cache-size"
            | "tls-session-cache-timeout"
            | "tls-key-file-pass"
            | "tls-client-cert-file"
            | "tls-client-key-file"
            | "tls-client-key-file-pass"
            | "tls-dh-params-file" => {}
            _ => return Err("unknown directive".to_owned()),
        }
        Ok(())
    }

    /// CONFIG GET value of a `tls-*` directive.
    pub fn get(&self, name: &str) -> Option<String> {
        let yes = |b: bool| if b { "yes" } else { "no" }.to_owned();
        Some(match name {
            "tls-port" => self.port.to_string(),
            "tls-cert-file" => show(&self.cert_file),
            "tls-key-file" => show(&self.key_file),
            "tls-ca-cert-file" => show(&self.ca_cert_file),
            "tls-ca-cert-dir" => show(&self.ca_cert_dir),
            "tls-auth-clients" => match self.auth_clients {
                AuthClients::Yes => "yes",
                AuthClients::No => "no",
                AuthClients::Optional => "optional",
            }
            .to_owned(),
            "tls-replication" => yes(self.replication),
            "tls-protocols" => self.protocols.clone(),
            "tls-ciphers" => self.ciphers.clone(),
            "tls-ciphersuites" => self.ciphersuites.clone(),
            _ => return None,
        })
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

/// Listeners on `port` for every `bind` address (`-addr` optional, as for
/// the plain port).
pub fn bind(
    addresses: &[String],
    port: u16,
) -> Result<Vec<mio::net::TcpListener>, super::event_loop::ServeError> {
    let mut out = Vec::new();
    for spec in addresses {
        let (optional, host) = match spec.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, spec.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            other => other,
        };
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let parsed: SocketAddr = addr
            .parse()
            .map_err(|e| super::event_loop::ServeError::Bind {
                addr: addr.clone(),
                source: io::Error::new(io::ErrorKind::InvalidInput, e),
            })?;
        match mio::net::TcpListener::bind(parsed) {
            Ok(l) => out.push(l),
            Err(_) if optional => continue,
            Err(source) => return Err(super::event_loop::ServeError::Bind { addr, source }),
        }
    }
    Ok(out)
}

/// A client connection of the event loop.
pub enum ServerStream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
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
        self.tcp().take_error()
    }

    pub fn tcp(&self) -> &TcpStream {
        match self {
            ServerStream::Plain(s) => s,
            ServerStream::Tls(t) => &t.sock,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, ServerStream::Tls(_))
    }

    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.tcp().peer_addr()
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp().local_addr()
    }

    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.tcp().set_nodelay(on)
    }

    /// Encrypted bytes the kernel has not taken yet.
    pub fn has_pending_tls(&self) -> bool {
        match self {
            ServerStream::Plain(_) => false,
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
        }
    }
}

impl Write for ServerStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            ServerStream::Plain(s) => s.write(buf),
            ServerStream::Tls(t) => t.write(buf),
        }
    }

    /// For TLS: push out pending ciphertext (WouldBlock when the kernel
    /// refuses it).
    fn flush(&mut self) -> io::Result<()> {
        match self {
            ServerStream::Plain(s) => s.flush(),
            ServerStream::Tls(t) => t.flush_tls(),
        }
    }
}

impl AsRawFd for ServerStream {
    fn as_raw_fd(&self) -> RawFd {
        self.tcp().as_raw_fd()
    }
}

impl AsFd for ServerStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.tcp().as_fd()
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
        }
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        match self {
            ServerStream::Plain(s) => s.deregister(registry),
            ServerStream::Tls(t) => t.sock.deregister(registry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_round_trip() {
        let mut t = TlsSettings::default();
        let v = |s: &str| vec![s.to_owned()];
        t.apply("tls-port", &v("6380")).unwrap();
        t.apply("tls-cert-file", &v("/c.pem")).unwrap();
        t.apply("tls-auth-clients", &v("optional")).unwrap();
        t.apply("tls-replication", &v("yes")).unwrap();
        t.apply("tls-session-caching", &v("no")).unwrap();
        assert_eq!(t.get("tls-port").as_deref(), Some("6380"));
        assert_eq!(t.get("tls-cert-file").as_deref(), Some("/c.pem"));
        assert_eq!(t.get("tls-auth-clients").as_deref(), Some("optional"));
        assert_eq!(t.get("tls-replication").as_deref(), Some("yes"));
        assert!(t.apply("tls-port", &v("x")).is_err());
        assert!(t.apply("tls-auth-clients", &v("maybe")).is_err());
        assert!(t.apply("tls-bogus", &v("1")).is_err());
        assert!(t.server_config().unwrap_err().contains("tls-key-file"));
    }
}
