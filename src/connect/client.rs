//! A blocking RESP client over a [`Stream`]: authenticate, select the
//! database, send commands and read whole reply frames.

use std::io::{self, Read, Write};
use std::time::Duration;

use bytes::{Buf, BytesMut};

use super::endpoint::Endpoint;
use super::stream::{Stream, TlsInfo};
use super::{ConnectError, auth_hint};
use crate::resp::{self, DecodeError, Decoder, Frame};

/// Replies larger than this are refused (a client of ours never asks for
/// more; Redis's proto-max-bulk-len is 512 MiB).
const MAX_REPLY: usize = 512 * 1024 * 1024 + 1024;

/// One authenticated connection.
pub struct Client {
    stream: Stream,
    input: BytesMut,
    decoder: Decoder,
    target: String,
    tls: Option<TlsInfo>,
    /// Things the user should know that did not stop the connection
    /// (a password given to a server that has none).
    pub warnings: Vec<String>,
}

impl Client {
    /// Connect, run the TLS handshake, `AUTH` and `SELECT`.
    pub fn connect(endpoint: &Endpoint) -> Result<Client, ConnectError> {
        let (stream, tls) = Stream::open(endpoint)?;
        Client::start(stream, tls, endpoint)
    }

    /// Authenticate and select on an open stream.
    pub fn start(
        stream: Stream,
        tls: Option<TlsInfo>,
        endpoint: &Endpoint,
    ) -> Result<Client, ConnectError> {
        stream.set_read_timeout(Some(endpoint.connect_timeout))?;
        let mut client = Client {
            stream,
            input: BytesMut::with_capacity(16 * 1024),
            decoder: Decoder::default(),
            target: endpoint.to_string(),
            tls,
            warnings: Vec::new(),
        };
        if let Some(password) = &endpoint.password {
            let reply = match &endpoint.user {
                Some(user) => client.command(&[b"AUTH", user.as_bytes(), password.as_bytes()]),
                None => client.command(&[b"AUTH", password.as_bytes()]),
            }?;
            if let Frame::Error(e) = reply {
                let text = String::from_utf8_lossy(&e).into_owned();
                if text.contains("without any password configured") {
                    client.warnings.push(format!(
                        "{} has no password set; the password given was not needed",
                        client.target
                    ));
                } else {
                    return Err(ConnectError::Auth {
                        target: client.target.clone(),
                        message: auth_hint(&text, endpoint.user.as_deref(), true),
                    });
                }
            }
        }
        if let Some(db) = endpoint.db {
            client.call(&[b"SELECT".as_slice(), db.to_string().as_bytes()])?;
        }
        Ok(client)
    }

    /// Send one command and read its reply, error replies included.
    pub fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Frame, ConnectError> {
        self.send(args)?;
        self.read_reply()
    }

    /// Send one command; an error reply becomes [`ConnectError::Server`]
    /// (or [`ConnectError::Auth`] with a hint for NOAUTH/WRONGPASS/NOPERM).
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Frame, ConnectError> {
        match self.command(args)? {
            Frame::Error(e) | Frame::BulkError(e) => {
                let text = String::from_utf8_lossy(&e).into_owned();
                Err(self.server_error(text, args.first().map(|a| a.as_ref())))
            }
            frame => Ok(frame),
        }
    }

    /// [`Client::call`] for replies that are text (INFO, CLIENT LIST).
    pub fn call_text<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<String, ConnectError> {
        match self.call(args)? {
            Frame::Bulk(b) | Frame::Simple(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
            Frame::Verbatim { text, .. } => Ok(String::from_utf8_lossy(&text).into_owned()),
            other => Err(ConnectError::Protocol(format!(
                "expected a text reply, got {}",
                other.kind().name()
            ))),
        }
    }

    fn server_error(&self, text: String, command: Option<&[u8]>) -> ConnectError {
        let is_auth = ["NOAUTH", "WRONGPASS", "NOPERM"]
            .iter()
            .any(|p| text.starts_with(p));
        if is_auth {
            return ConnectError::Auth {
                target: self.target.clone(),
                message: auth_hint(&text, None, false),
            };
        }
        ConnectError::Server {
            command: String::from_utf8_lossy(command.unwrap_or(b"")).to_uppercase(),
            message: text,
        }
    }

    /// Queue one command (pipelining: read the replies in order later).
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<(), ConnectError> {
        let mut request = Vec::new();
        resp::encode::command(&mut request, args);
        self.stream.write_all(&request)?;
        Ok(())
    }

    /// Read one whole reply frame.
    pub fn read_reply(&mut self) -> Result<Frame, ConnectError> {
        loop {
            if !self.input.is_empty() {
                match self.decoder.check(&self.input) {
                    Ok(len) => {
                        let bytes = self.input.split_to(len).freeze();
                        let (frame, _) = self
                            .decoder
                            .parse(&bytes)
                            .map_err(|e| ConnectError::Protocol(e.to_string()))?;
                        return Ok(frame);
                    }
                    Err(DecodeError::Incomplete { .. }) if self.input.len() < MAX_REPLY => {}
                    Err(e) => return Err(ConnectError::Protocol(e.to_string())),
                }
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> Result<(), ConnectError> {
        let mut chunk = [0u8; 16 * 1024];
        let n = loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(ConnectError::Timeout(self.target.clone()));
                }
                Err(e) => return Err(self.read_error(e)),
            }
        };
        if n == 0 {
            let hint = if self.stream.is_tls() {
                ""
            } else {
                " (if this is a TLS port, pass --tls)"
            };
            return Err(ConnectError::Closed {
                target: self.target.clone(),
                hint,
            });
        }
        self.input.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// A failed read explained: TLS alerts after the handshake (TLS 1.3
    /// servers refuse a missing client certificate only then), a reset on
    /// a plain connection (a TLS port hanging up on RESP).
    fn read_error(&self, e: io::Error) -> ConnectError {
        if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            return ConnectError::Tls {
                target: self.target.clone(),
                message: super::tls::explain(inner, ""),
            };
        }
        if e.kind() == io::ErrorKind::ConnectionReset && !self.stream.is_tls() {
            return ConnectError::Closed {
                target: self.target.clone(),
                hint: " (reset; if this is a TLS port, pass --tls)",
            };
        }
        e.into()
    }

    /// Time allowed for each reply.
    pub fn set_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)?;
        self.stream.set_write_timeout(timeout)
    }

    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// The stream and any bytes already read past the last reply.
    pub fn into_parts(mut self) -> (Stream, Vec<u8>) {
        let rest = self.input.split().to_vec();
        self.input.advance(0);
        (self.stream, rest)
    }

    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// How messages name the server.
    pub fn target(&self) -> &str {
        &self.target
    }
}
