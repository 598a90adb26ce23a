//! The bench every experiment stands on: loopback listeners and clients
//! with options set at the right moment, accepts that give up at a
//! deadline, and the statistics the experiments report. Everything here
//! binds 127.0.0.1 only.

use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use socket2::{SockAddr, Socket};

use super::ExperimentError;
use crate::sockopt::probe::SocketKind;

/// Attach a step name to an I/O error, so a failure says what was being
/// done ("accepting", "reading the reply").
pub trait Step<T> {
    fn step(self, what: &str) -> Result<T, ExperimentError>;
}

impl<T> Step<T> for io::Result<T> {
    fn step(self, what: &str) -> Result<T, ExperimentError> {
        self.map_err(|source| ExperimentError::Io {
            step: what.to_owned(),
            source,
        })
    }
}

/// A TCP listener on 127.0.0.1 and an ephemeral port; `before_listen` sets
/// options that must precede listen() (SO_RCVBUF for the window scale,
/// SO_REUSEPORT).
pub fn listener(
    backlog: i32,
    port: u16,
    before_listen: impl FnOnce(&Socket) -> io::Result<()>,
) -> io::Result<(Socket, SocketAddr)> {
    let sock = SocketKind::Tcp4.open()?;
    before_listen(&sock)?;
    sock.bind(&SockAddr::from(SocketAddr::from((
        Ipv4Addr::LOCALHOST,
        port,
    ))))?;
    sock.listen(backlog)?;
    let addr = sock
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("listener has no IP address"))?;
    Ok((sock, addr))
}

/// A TCP client connected to `addr`; `before_connect` sets options that
/// must precede the SYN.
pub fn connect(
    addr: SocketAddr,
    timeout: Duration,
    before_connect: impl FnOnce(&Socket) -> io::Result<()>,
) -> io::Result<Socket> {
    let sock = SocketKind::Tcp4.open()?;
    before_connect(&sock)?;
    sock.connect_timeout(&SockAddr::from(addr), timeout)?;
    Ok(sock)
}

/// Accept one connection, giving up at `deadline` (a blocking accept would
/// hang the experiment if the client never came). The accepted socket is
/// blocking, with I/O timeouts up to the deadline.
pub fn accept(listener: &Socket, deadline: Instant) -> io::Result<Socket> {
    listener.set_nonblocking(true)?;
    loop {
        match listener.accept() {
            Ok((sock, _)) => {
                sock.set_nonblocking(false)?;
                set_timeouts(&sock, deadline)?;
                return Ok(sock);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no connection arrived in time",
                    ));
                }
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Everything already in the accept queue, without waiting.
pub fn accept_pending(listener: &Socket) -> io::Result<Vec<Socket>> {
    listener.set_nonblocking(true)?;
    let mut accepted = Vec::new();
    loop {
        match listener.accept() {
            Ok((sock, _)) => accepted.push(sock),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(accepted),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The result of a peer thread; a panic there is an error here.
pub fn join<T>(
    handle: thread::ScopedJoinHandle<'_, Result<T, ExperimentError>>,
) -> Result<T, ExperimentError> {
    handle
        .join()
        .map_err(|_| ExperimentError::Unsupported("a peer thread panicked".into()))?
}

/// End the sender's stream (flushing anything held back) and wait for
/// the receiver's answer, which says it has read everything.
pub fn finish_sending(sock: &Socket, answer: &mut [u8]) -> Result<(), ExperimentError> {
    sock.shutdown(std::net::Shutdown::Write)
        .step("shutting down the write side")?;
    let mut reader = sock;
    reader.read_exact(answer).step("waiting for the receiver")
}

/// Read until the peer shuts its side; the number of bytes read.
pub fn drain(sock: &Socket) -> Result<u64, ExperimentError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    let mut reader = sock;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).step("receiving"),
        }
    }
}

/// Read and write timeouts that end at `deadline` (plus a grace second, so
/// that the side measuring notices the deadline first).
pub fn set_timeouts(sock: &Socket, deadline: Instant) -> io::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1);
    sock.set_read_timeout(Some(left))?;
    sock.set_write_timeout(Some(left))
}

/// Milliseconds as a float with microsecond precision.
pub fn ms(d: Duration) -> f64 {
    crate::sockopt::target::millis(d)
}

/// Summary of a set of samples in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    pub count: usize,
    pub min_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Summary {
    /// Nearest-rank percentiles of `samples` (which it sorts).
    pub fn of(samples: &mut [f64]) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        samples.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            let i = (q * samples.len() as f64).ceil() as usize;
            samples[i.clamp(1, samples.len()) - 1]
        };
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        Summary {
            count: samples.len(),
            min_ms: round(samples[0]),
            p50_ms: round(rank(0.50)),
            p99_ms: round(rank(0.99)),
            max_ms: round(samples[samples.len() - 1]),
            mean_ms: round(samples.iter().sum::<f64>() / samples.len() as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut s: Vec<f64> = (1..=100).map(f64::from).collect();
        s.reverse();
        let sum = Summary::of(&mut s);
        assert_eq!(sum.count, 100);
        assert_eq!(
            (sum.min_ms, sum.p50_ms, sum.p99_ms, sum.max_ms),
            (1.0, 50.0, 99.0, 100.0)
        );
        assert_eq!(sum.mean_ms, 50.5);
        let one = Summary::of(&mut [7.0]);
        assert_eq!((one.p50_ms, one.p99_ms), (7.0, 7.0));
        assert_eq!(Summary::of(&mut []).count, 0);
    }
}
