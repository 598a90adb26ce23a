//! Forked children: the process that writes a snapshot (BGSAVE, an AOF
//! rewrite, later a replica's full resync) from its copy-on-write view of
//! the keyspace while the parent keeps serving.
//!
//! Only the forking thread exists in the child. Everything the child
//! touches — the keyspace, the allocator, the logger — is only ever used by
//! that thread in the parent, so no lock can be held by a thread that no
//! longer exists. The AOF writer thread shares nothing with the child but
//! file descriptors: it takes no allocator-wide lock and never logs.
//!
//! The child closes every socket it inherited except the ones it was told
//! to keep (a replica's connection, for a diskless transfer): a parent killed
//! while a child runs must not leave its listening port or its clients'
//! connections held open by the child. It ends with `_exit`, so no
//! destructor or atexit handler of the parent's state runs twice. Before
//! exiting it reports its copy-on-write cost (private dirty memory) through
//! a pipe, read by the parent when it reaps the child.
//!
//! A child never outlives its parent. A server killed hard (kill -9, the
//! OOM killer, an abort) during BGSAVE would otherwise leave the child
//! running, and the child would later rename its stale snapshot over the
//! dump.rdb a restarted server has saved since. So the child asks the
//! kernel for SIGKILL when its parent dies (`PR_SET_PDEATHSIG`), checks
//! that the parent did not die before that request, and checks again
//! ([`parent_alive`]) right before it puts a file in place.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Instant;

/// In a forked child, the pid of the server that forked it; 0 in the
/// server itself.
static PARENT: AtomicI32 = AtomicI32::new(0);

/// False only in a child whose parent has died (it has been re-parented):
/// whatever it was writing is stale and must not replace anything. Always
/// true in the server process itself.
pub fn parent_alive() -> bool {
    let parent = PARENT.load(Ordering::Relaxed);
    // SAFETY: getppid has no preconditions.
    parent == 0 || unsafe { libc::getppid() } == parent
}

/// A running child.
#[derive(Debug)]
pub struct Child {
    pub pid: libc::pid_t,
    pub started: Instant,
    /// Unix seconds when it started (INFO's "current ... time").
    pub started_unix: i64,
    /// How long fork(2) itself took in the parent (INFO's
    /// latest_fork_usec): the page tables are copied while the loop waits.
    pub fork_time: std::time::Duration,
    info: OwnedFd,
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl Exit {
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

/// What the parent learns when it reaps a child.
#[derive(Clone, Copy, Debug)]
pub struct Reaped {
    pub exit: Exit,
    /// Bytes of memory the child had to copy (copy-on-write), as the child
    /// measured them before exiting; 0 when unknown.
    pub cow_bytes: u64,
}

/// Fork; the child runs `work` (whose result is its exit code) and exits.
/// Sockets other than `keep` are closed in the child first.
pub fn fork(keep: &[RawFd], work: impl FnOnce() -> i32) -> io::Result<Child> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the two-element array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned here.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let started = Instant::now();
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: fork has no preconditions; see the module docs for why the
    // child can run Rust code (one thread, no lock held by another).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        drop(read);
        PARENT.store(parent, Ordering::Relaxed);
        // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number; then
        // leaving at once if the parent died before the request was made.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            if libc::getppid() != parent {
                libc::_exit(1);
            }
        }
        child_setup(keep, write.as_raw_fd());
        super::super::oom::enter_child();
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or(1);
        let cow = private_dirty_bytes();
        let report = cow.to_le_bytes();
        // SAFETY: writing 8 bytes from a live array to our pipe end; then
        // leaving without running any of the parent's destructors.
        unsafe {
            libc::write(write.as_raw_fd(), report.as_ptr().cast(), report.len());
            libc::_exit(code);
        }
    }
    let fork_time = started.elapsed();
    drop(write);
    // The parent polls the pipe when it reaps: never block on it.
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(read.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(read.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    Ok(Child {
        pid,
        started,
        started_unix: super::super::clock::unix_ms() / 1000,
        fork_time,
        info: read,
    })
}

/// A descriptor written in full, whether it is blocking or not: on
/// `EAGAIN` the writer waits in poll(2) until it drains. Only for a child,
/// which has nothing else to do meanwhile; it never closes the descriptor.
pub struct FdWriter(pub RawFd);

impl io::Write for FdWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            // SAFETY: writing from a live slice to a descriptor we were given.
            let n = unsafe { libc::write(self.0, buf.as_ptr().cast(), buf.len()) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock => {
                    let mut pfd = libc::pollfd {
                        fd: self.0,
                        events: libc::POLLOUT,
                        revents: 0,
                    };
                    // SAFETY: poll on one live pollfd.
                    unsafe { libc::poll(&mut pfd, 1, -1) };
                }
                _ => return Err(err),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One image written to several descriptors (a diskless full resync
/// serving every waiting replica from one child): each chunk goes to each
/// descriptor in full; a descriptor that fails (its replica went away) is
/// dropped and the others continue; an error only when none is left.
pub struct FanWriter(pub Vec<RawFd>);

impl io::Write for FanWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut last = None;
        self.0
            .retain(|&fd| match io::Write::write_all(&mut FdWriter(fd), buf) {
                Ok(()) => true,
                Err(e) => {
                    last = Some(e);
                    false
                }
            });
        match (self.0.is_empty(), last) {
            (true, Some(e)) => Err(e),
            (true, None) => Err(io::Error::other("no descriptor to write to")),
            _ => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// In the child: default signal dispositions (so SIGUSR1 or SIGTERM end
/// it), and only the sockets it was told to keep.
fn child_setup(keep: &[RawFd], report_fd: RawFd) {
    // SAFETY: resetting dispositions to their defaults.
    unsafe {
        for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGUSR1] {
            libc::signal(signal, libc::SIG_DFL);
        }
    }
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<RawFd> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    for fd in fds {
        if fd <= 2 || fd == report_fd || keep.contains(&fd) {
            continue;
        }
        // SAFETY: fstat into a zeroed struct; close only sockets, which the
        // child never uses unless kept.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(fd, &mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFSOCK {
                libc::close(fd);
            }
        }
    }
}

/// The child's private dirty memory: pages the kernel had to copy since the
/// fork (the copy-on-write cost), from /proc/self/smaps_rollup.
fn private_dirty_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

impl Child {
    /// Reap the child if it has exited (never blocks).
    pub fn try_reap(&mut self) -> Option<Reaped> {
        let mut status = 0;
        // SAFETY: waitpid on our own child with a pointer to a live int.
        let done = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
        if done == 0 {
            return None;
        }
        let exit = if done < 0 {
            // Reaped elsewhere or never ours: treat as a failure.
            Exit::Code(-1)
        } else if libc::WIFSIGNALED(status) {
            Exit::Signal(libc::WTERMSIG(status))
        } else {
            Exit::Code(libc::WEXITSTATUS(status))
        };
        Some(Reaped {
            exit,
            cow_bytes: self.read_report(),
        })
    }

    /// Stop the child (SIGUSR1, which Redis treats as "killed on purpose,
    /// not a failure") and wait for it.
    pub fn kill(mut self) -> Reaped {
        // SAFETY: signalling and waiting for our own child.
        unsafe {
            libc::kill(self.pid, libc::SIGUSR1);
            let mut status = 0;
            while libc::waitpid(self.pid, &mut status, 0) < 0
                && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
            {}
        }
        Reaped {
            exit: Exit::Signal(libc::SIGUSR1),
            cow_bytes: self.read_report(),
        }
    }

    fn read_report(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        // SAFETY: reading at most 8 bytes into a live array from our pipe
        // end (non-blocking: an empty pipe reads as nothing).
        let n = unsafe { libc::read(self.info.as_raw_fd(), bytes.as_mut_ptr().cast(), 8) };
        if n == 8 { u64::from_le_bytes(bytes) } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_runs_exits_and_is_reaped() {
        let mut child = fork(&[], || 7).expect("fork");
        let reaped = loop {
            if let Some(r) = child.try_reap() {
                break r;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(reaped.exit, Exit::Code(7));
        let child = fork(&[], || {
            std::thread::sleep(std::time::Duration::from_secs(30));
            0
        })
        .expect("fork");
        assert_eq!(child.kill().exit, Exit::Signal(libc::SIGUSR1));
    }
}
