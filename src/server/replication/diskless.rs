//! The diskless full resync (`repl-diskless-sync yes`): a forked child
//! writes `$EOF:<mark>\r\n`, the RDB image and the mark again straight to
//! the sockets of every waiting replica, while the parent keeps serving and
//! buffers the stream for them. The sockets stay non-blocking (their
//! status is shared with the parent, which still reads them), so the child
//! waits for writability with poll(2), giving up on a replica silent for
//! repl-timeout.

use std::io::{self, Write};
use std::os::fd::RawFd;
use std::time::Duration;

use super::super::keyspace::Keyspace;
use super::super::persistence::snapshot;

/// Write everything to several sockets; a socket that fails is dropped,
/// and the writer fails only when none is left.
pub struct FanOut {
    fds: Vec<RawFd>,
    timeout: Duration,
}

impl FanOut {
    pub fn new(fds: Vec<RawFd>, timeout: Duration) -> FanOut {
        FanOut { fds, timeout }
    }
}

/// Write all of `buf` to a non-blocking socket.
fn write_fd(fd: RawFd, mut buf: &[u8], timeout: Duration) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: writing from a live slice to a descriptor we were given.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n >= 0 {
            buf = &buf[n as usize..];
            continue;
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::Interrupted => {}
            io::ErrorKind::WouldBlock => {
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
                // SAFETY: poll on one live pollfd.
                let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
                if ready == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "replica not reading",
                    ));
                }
            }
            _ => return Err(err),
        }
    }
    Ok(())
}

impl Write for FanOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let timeout = self.timeout;
        self.fds.retain(|&fd| write_fd(fd, buf, timeout).is_ok());
        if self.fds.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "every replica was lost",
            ));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// In the child: the whole `$EOF:` transfer.
pub fn send(
    ks: &Keyspace,
    options: &snapshot::Options<'_>,
    fds: Vec<RawFd>,
    mark: &str,
    timeout: Duration,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, FanOut::new(fds, timeout));
    out.write_all(format!("$EOF:{mark}\r\n").as_bytes())?;
    snapshot::write(ks, &mut out, options).map_err(io::Error::other)?;
    out.write_all(mark.as_bytes())?;
    out.flush()
}
