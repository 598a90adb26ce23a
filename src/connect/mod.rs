//! The client-side connection layer: every command that talks to a live
//! server (`replica tail`, `sockopt probe --target`, `latency`, `stat`,
//! `keys big`) connects through here, with redis-cli's options and
//! meanings.
//!
//! - [`endpoint`]: [`Endpoint`], validated once from
//!   [`crate::cli::ConnectArgs`] (`-h -p -s -a --user --askpass -n -u
//!   --tls --cacert --cacertdir --cert --key --sni --insecure
//!   --connect-timeout`), a positional `HOST:PORT`, or a URI (`redis://`,
//!   `rediss://`, `unix://`); `REDISCLI_AUTH` from the environment.
//! - [`stream`]: [`Stream`], a blocking TCP, unix-socket or TLS stream,
//!   connected within the timeout, the TLS handshake done.
//! - [`tls`]: rustls configuration (ring provider) and handshake errors
//!   that name the option to change.
//! - [`client`]: [`Client`], AUTH and SELECT, then commands and whole
//!   reply frames.
//!
//! A command resolves its endpoint once:
//!
//! ```text
//! let endpoint = Endpoint::from_args(&args.connect, args.server.as_deref(), timeout)?;
//! let mut client = Client::connect(&endpoint)?;           // AUTH, SELECT done
//! let info = client.call_text(&["INFO", "stats"])?;
//! ```

pub mod client;
pub mod endpoint;
pub mod stream;
pub mod tls;

use std::io::{self, IsTerminal, Read, Write};

pub use client::Client;
pub use endpoint::{Address, Endpoint, EndpointError, Tls};
pub use stream::{Stream, TlsInfo};

/// Why a connection could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot resolve {host}: {error}")]
    Resolve { host: String, error: io::Error },
    #[error("cannot connect to {target}: {error}{}", refused_hint(error))]
    Connect { target: String, error: io::Error },
    #[error("{target}: TLS: {message}")]
    Tls { target: String, message: String },
    #[error("TLS: {0}")]
    TlsSetup(String),
    #[error("{target}: {message}")]
    Auth { target: String, message: String },
    #[error("{target} closed the connection{hint}")]
    Closed { target: String, hint: &'static str },
    #[error("{0} did not answer in time")]
    Timeout(String),
    #[error("{command}: {message}")]
    Server { command: String, message: String },
    #[error("not a RESP reply: {0}")]
    Protocol(String),
    // Not a `source`: the message is the error, printed once.
    #[error("{0}")]
    Io(io::Error),
}

impl From<io::Error> for ConnectError {
    fn from(e: io::Error) -> ConnectError {
        ConnectError::Io(e)
    }
}

// The io::Error is part of the message, not a source: printed as a chain
// it would otherwise appear twice.
pub fn refused_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => " (is the server running there? -h HOST -p PORT)",
        io::ErrorKind::NotFound => " (no such socket file: check -s PATH)",
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => " (--connect-timeout)",
        _ => "",
    }
}

impl ConnectError {
    /// Worth retrying later (network trouble), not a refusal that will
    /// repeat itself (credentials, TLS verification, options).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ConnectError::Connect { .. }
                | ConnectError::Closed { .. }
                | ConnectError::Timeout(_)
                | ConnectError::Io(_)
        )
    }
}

/// An authentication refusal (`NOAUTH`, `WRONGPASS`, `NOPERM`, an AUTH
/// with a user on a server without ACLs) explained with what to pass.
/// `sent` says whether we sent credentials.
pub fn auth_hint(reply: &str, user: Option<&str>, sent: bool) -> String {
    let reply = reply.trim_start_matches('-');
    if reply.starts_with("NOAUTH") {
        return format!(
            "the server requires a password ({reply}): pass -a PASSWORD, --askpass, \
             REDISCLI_AUTH=PASSWORD in the environment, or a URI redis://:PASSWORD@HOST:PORT \
             (with --user NAME for an ACL user)"
        );
    }
    if reply.starts_with("WRONGPASS") || (sent && reply.contains("invalid password")) {
        let who = match user {
            Some(u) => format!("user {u:?}"),
            None => "the default user".to_owned(),
        };
        return format!(
            "the server refused the password for {who} ({reply}): check --user and -a / \
             --askpass / REDISCLI_AUTH"
        );
    }
    if reply.starts_with("NOPERM") {
        return format!(
            "the user lacks a permission ({reply}): connect as a user allowed to run it (--user)"
        );
    }
    if user.is_some() && reply.contains("wrong number of arguments") {
        return format!(
            "the server does not know ACL users (before Redis 6: {reply}): drop --user and pass \
             only the password"
        );
    }
    format!("authentication failed: {reply}")
}

/// Read a password from the terminal with echo off (`--askpass`).
pub fn ask_password() -> io::Result<String> {
    use std::os::fd::AsRawFd;
    let no_terminal = || io::Error::new(io::ErrorKind::NotFound, "no terminal to ask on");
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| no_terminal())?;
    if !tty.is_terminal() {
        return Err(no_terminal());
    }
    tty.write_all(b"Password: ")?;
    let fd = tty.as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr fills it for a valid fd.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut quiet = saved;
    quiet.c_lflag &= !libc::ECHO;
    quiet.c_lflag |= libc::ECHONL;
    // SAFETY: fd is open; the settings come from tcgetattr.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let result = loop {
        match tty.read(&mut byte) {
            Ok(0) => break Ok(()),
            Ok(_) if byte[0] == b'\n' => break Ok(()),
            // A password longer than this is not being typed.
            Ok(_) if line.len() > 4096 => break Ok(()),
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    // SAFETY: as above; restores what tcgetattr returned.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
    result?;
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the password is not UTF-8"))
}
