//! Forked children: the process that writes a snapshot (BGSAVE, an AOF
//! rewrite, later a replica's full resync) from its copy-on-write view of
//! the keyspace while the parent keeps serving.
//!
//! Only the forking thread exists in the child. Everything the child
//! touches — the keyspace, the allocator, the logger — is only ever used by
//! that thread in the parent, so no lock can be held by a thread that no
//! longer exists. The AOF fsync thread shares nothing with the child but
//! file descriptors: it takes no allocator-wide lock and never logs.
//!
//! The child closes every socket it inherited except the ones it was told
//! to keep (a replica's connection, for a diskless transfer): a parent killed
//! while a child runs must not leave its listening port or its clients'
//! connections held open by the child. It ends with `_exit`, so no
//! destructor or atexit handler of the parent's state runs twice. Through a
//! pipe it reports its copy-on-write cost (private dirty memory) and the
//! keys written so far about once a second while it writes ([`progress`],
//! read by the parent's cron: INFO's current_cow_size and
//! current_save_keys_processed) and once more before exiting, read by the
//! parent when it reaps the child.
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
use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};
use std::time::Instant;

/// In a forked child, the pid of the server that forked it; 0 in the
/// server itself.
static PARENT: AtomicI32 = AtomicI32::new(0);
/// In a forked child, its end of the report pipe; -1 in the server.
static REPORT_FD: AtomicI32 = AtomicI32::new(-1);
/// In a forked child, when it last reported progress (Unix ms).
static REPORTED_MS: AtomicI64 = AtomicI64::new(0);

/// A report record: kind, copy-on-write bytes, keys written (native
/// endianness, 24 bytes: one write(2) below PIPE_BUF, so never torn).
const RECORD: usize = 24;
const KIND_PROGRESS: u64 = 1;
const KIND_FINAL: u64 = 2;

fn send(fd: RawFd, kind: u64, cow: u64, keys: u64) {
    let mut record = [0u8; RECORD];
    record[..8].copy_from_slice(&kind.to_ne_bytes());
    record[8..16].copy_from_slice(&cow.to_ne_bytes());
    record[16..].copy_from_slice(&keys.to_ne_bytes());
    // SAFETY: writing a live array to our pipe end; a parent that stopped
    // reading only loses the report.
    unsafe {
        libc::write(fd, record.as_ptr().cast(), RECORD);
    }
}

/// Called by a snapshot writer after each key: in a forked child, every
/// 1024 keys and at most once a second, report the keys written and the
/// copy-on-write cost so far, as Redis's child does. Nothing in the server.
pub fn progress(keys: u64) {
    if keys & 1023 != 0 {
        return;
    }
    let fd = REPORT_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    let now = super::super::clock::unix_ms();
    if now - REPORTED_MS.load(Ordering::Relaxed) < 1000 {
        return;
    }
    REPORTED_MS.store(now, Ordering::Relaxed);
    send(fd, KIND_PROGRESS, private_dirty_bytes(), keys);
}

/// What the parent knows of a running child's progress.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Copy-on-write bytes at the last report, and the largest so far.
    pub cow: u64,
    pub cow_peak: u64,
    /// When the last report came.
    pub reported: Option<Instant>,
    pub keys: u64,
}

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
    pub progress: Progress,
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
        // The child only reads: moving buckets would copy pages for nothing.
        crate::server::dict::set_resize_policy(crate::server::dict::ResizePolicy::Forbid);
        // A report the pipe has no room for is dropped, never waited for
        // (the parent drains the pipe at every cron tick).
        // SAFETY: fcntl on our own end of the pipe.
        unsafe {
            let flags = libc::fcntl(write.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(write.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        REPORT_FD.store(write.as_raw_fd(), Ordering::Relaxed);
        REPORTED_MS.store(super::super::clock::unix_ms(), Ordering::Relaxed);
        super::super::oom::enter_child();
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or(1);
        send(write.as_raw_fd(), KIND_FINAL, private_dirty_bytes(), 0);
        // SAFETY: leaving without running any of the parent's destructors.
        unsafe { libc::_exit(code) }
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
        progress: Progress::default(),
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

    /// Take in the progress reports waiting in the pipe (never blocks).
    pub fn poll_progress(&mut self) {
        self.read_records();
    }

    /// The final report's copy-on-write bytes, 0 when there is none.
    fn read_report(&mut self) -> u64 {
        self.read_records().unwrap_or(0)
    }

    /// Read every whole record waiting; the final one's cow, if read.
    fn read_records(&mut self) -> Option<u64> {
        let mut last = None;
        let mut buf = [0u8; RECORD * 16];
        loop {
            // SAFETY: reading into a live array from our pipe end
            // (non-blocking: an empty pipe reads as nothing). Records are
            // written whole and read in whole multiples, so none is split.
            let n =
                unsafe { libc::read(self.info.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                return last;
            }
            for record in buf[..n as usize].chunks_exact(RECORD) {
                let field = |i: usize| {
                    u64::from_ne_bytes(record[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
                };
                let (kind, cow, keys) = (field(0), field(1), field(2));
                self.progress.cow = cow;
                self.progress.cow_peak = self.progress.cow_peak.max(cow);
                self.progress.reported = Some(Instant::now());
                if kind == KIND_FINAL {
                    last = Some(self.progress.cow_peak);
                } else {
                    self.progress.keys = keys;
                }
            }
        }
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
