//! A blocking driver for [`Replica`]: one connection to a master (TCP, TLS
//! or a unix socket, opened by [`crate::connect`]), read
//! only when the state machine has run out of buffered input, written when
//! it has something to say.
//!
//! The caller alternates [`Link::poll`] (events from what is buffered; never
//! blocks on the socket) and [`Link::read`] (one read, bounded by a
//! deadline). Because nothing is read while the caller is busy with an
//! event, a slow consumer slows the socket down: memory stays at one read
//! plus one frame, and TCP pushes back on the master.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::position::Position;
use super::replica::{Config, Event, ReplError, Replica};
use crate::connect::{ConnectError, Endpoint, Stream};

const READ_SIZE: usize = 64 * 1024;

/// Why a link ended.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Connect(ConnectError),
    #[error("master closed the connection")]
    Closed,
    #[error("no data from master for {0:?}")]
    Idle(Duration),
    // Not a `source`: the message already holds it, and an error chain
    // would print it twice.
    #[error("connection to master failed: {0}")]
    Io(io::Error),
    #[error(transparent)]
    Replication(#[from] ReplError),
}

impl From<io::Error> for LinkError {
    fn from(e: io::Error) -> LinkError {
        LinkError::Io(e)
    }
}

impl LinkError {
    /// True when trying again later may work: the network or a master
    /// that is loading or has no master of its own. Authentication,
    /// refusals and protocol errors will not fix themselves.
    pub fn is_transient(&self) -> bool {
        match self {
            LinkError::Connect(e) => e.is_transient(),
            LinkError::Closed | LinkError::Idle(_) | LinkError::Io(_) => true,
            LinkError::Replication(e) => matches!(e, ReplError::TryLater(_)),
        }
    }
}

/// One connection to a master and its replica state.
pub struct Link {
    stream: Stream,
    replica: Replica,
    buf: Vec<u8>,
    idle_timeout: Duration,
    last_data: Instant,
    local_addr: Option<SocketAddr>,
    /// Whether the master ever sent a byte on this connection.
    heard: bool,
}

impl Link {
    /// Connect to `endpoint` (TLS included) and start the handshake; the
    /// replica sends AUTH itself, from `config`. When `config.announce_port`
    /// is 0, the connection's own local port is announced, so a master's
    /// INFO names a port that identifies us.
    pub fn connect(
        endpoint: &Endpoint,
        mut config: Config,
        resume: Option<Position>,
        timeout: Duration,
    ) -> Result<Link, LinkError> {
        let (stream, _tls) = Stream::open(endpoint).map_err(LinkError::Connect)?;
        stream.set_write_timeout(Some(timeout))?;
        let local_addr = stream.local_addr();
        if config.announce_port == 0 {
            config.announce_port = local_addr.map_or(0, |a| a.port());
        }
        let mut link = Link {
            stream,
            replica: Replica::new(config, resume),
            buf: vec![0; READ_SIZE],
            idle_timeout: timeout,
            last_data: Instant::now(),
            local_addr,
            heard: false,
        };
        link.flush()?;
        Ok(link)
    }

    /// The next event from buffered input, writing whatever the replica
    /// wants to send first. `Ok(None)`: call [`Link::read`].
    pub fn poll(&mut self) -> Result<Option<Event>, LinkError> {
        let event = self.replica.poll_event(Instant::now())?;
        self.flush()?;
        Ok(event)
    }

    /// Wait for data until `deadline` (or the replica's next timer) and
    /// buffer it. Returns early, without error, on a signal, so the caller
    /// can look at its flags.
    pub fn read(&mut self, deadline: Instant) -> Result<(), LinkError> {
        let now = Instant::now();
        let until = match self.replica.next_timer() {
            Some(timer) => timer.min(deadline),
            None => deadline,
        };
        let wait = until
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        self.stream.set_read_timeout(Some(wait))?;
        match self.stream.read(&mut self.buf) {
            Ok(0) => Err(LinkError::Closed),
            Ok(n) => {
                self.replica.receive(&self.buf[..n]);
                self.last_data = Instant::now();
                self.heard = true;
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if self.last_data.elapsed() > self.idle_timeout {
                    return Err(LinkError::Idle(self.idle_timeout));
                }
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(LinkError::Io(e)),
        }
    }

    /// True once the master sent anything (a server that hangs up before
    /// answering PING is likely not speaking plain RESP on this port).
    pub fn heard(&self) -> bool {
        self.heard
    }

    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    /// Our end of the connection, as the master sees it on loopback (its
    /// `CLIENT LIST` shows it as `addr=`).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    fn flush(&mut self) -> io::Result<()> {
        while !self.replica.pending_output().is_empty() {
            match self.stream.write(self.replica.pending_output()) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.replica.consume_output(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
