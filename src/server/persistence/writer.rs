//! The AOF's background fsync (`appendfsync everysec`): a thread that
//! fsyncs the file the loop writes to, when the loop asks (about once a
//! second), so the loop never waits on the disk's flush.
//!
//! The loop itself writes every command into the file before the replies
//! of its loop iteration leave, as Redis does: a client that looks at the
//! file after its reply finds its command there (only the fsync is
//! deferred). While the thread is fsyncing, a write to the same file can
//! stall in the kernel, so the loop postpones its write (up to two
//! seconds, as Redis does) when it sees an fsync in progress; see
//! [`super::aof::Aof::flush`].
//!
//! Switching files (an AOF rewrite starts a new INCR file) is a job in the
//! same queue: the old file is fsynced before the thread moves on, since
//! the loop wrote to it up to the switch.
//!
//! Fork safety: the thread never allocates and never logs; it holds its
//! lock only to pop or push a job. A child forked by the loop never touches
//! this lock (see [`super::child`]).

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A failed fsync is retried after this long.
const RETRY_AFTER: Duration = Duration::from_secs(1);

enum Job {
    Sync,
    Switch(Arc<File>),
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    /// The thread is doing a job it popped.
    running: bool,
    stop: bool,
    /// errno of the last failed fsync; cleared by success.
    error: Option<i32>,
    retry_at: Option<Instant>,
    fsyncs: u64,
}

struct Shared {
    state: Mutex<State>,
    /// The thread waits here for work.
    work: Condvar,
    /// Waiters for the thread to go idle wait here.
    done: Condvar,
    /// An fsync of the current file is queued or running: read by the
    /// loop on every flush without taking the lock. (A switch's fsync of
    /// the old file does not count: the loop writes to the new one.)
    syncing: AtomicBool,
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A poisoned lock only means a panic elsewhere; the state is plain data.
    shared.state.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the loop can see of the thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Status {
    pub busy: bool,
    pub error: Option<i32>,
    pub fsyncs: u64,
}

/// The handle the event loop holds.
pub struct BackgroundFsync {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundFsync {
    /// Start the thread; it fsyncs `file` until a switch.
    pub fn start(file: Arc<File>) -> io::Result<BackgroundFsync> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::with_capacity(8),
                ..State::default()
            }),
            work: Condvar::new(),
            done: Condvar::new(),
            syncing: AtomicBool::new(false),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("aof-fsync".to_owned())
            .spawn(move || run(&thread_shared, file))?;
        Ok(BackgroundFsync {
            shared,
            thread: Some(thread),
        })
    }

    /// Whether an fsync of the current file is queued or running.
    pub fn in_progress(&self) -> bool {
        self.shared.syncing.load(Ordering::Acquire)
    }

    /// fsync the current file (unless an fsync is queued already).
    pub fn request_sync(&self) {
        let mut st = lock(&self.shared);
        if !st.jobs.iter().any(|j| matches!(j, Job::Sync)) {
            st.jobs.push_back(Job::Sync);
        }
        self.shared.syncing.store(true, Ordering::Release);
        drop(st);
        self.shared.work.notify_one();
    }

    /// From now on, fsync `file`; the current one is fsynced first.
    pub fn switch(&self, file: Arc<File>) {
        let mut st = lock(&self.shared);
        st.jobs.push_back(Job::Switch(file));
        drop(st);
        self.shared.work.notify_one();
    }

    /// Wait until every queued job is done.
    pub fn wait_idle(&self) {
        let mut st = lock(&self.shared);
        while (st.running || !st.jobs.is_empty()) && !st.stop {
            st = self.shared.done.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    pub fn status(&self) -> Status {
        let st = lock(&self.shared);
        Status {
            busy: self.shared.syncing.load(Ordering::Acquire),
            error: st.error,
            fsyncs: st.fsyncs,
        }
    }

    /// Finish the queued jobs and end the thread; the errno of the last
    /// failed fsync, if it was not solved.
    pub fn stop(mut self) -> Option<i32> {
        self.finish()
    }

    fn finish(&mut self) -> Option<i32> {
        lock(&self.shared).stop = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        lock(&self.shared).error
    }
}

impl Drop for BackgroundFsync {
    fn drop(&mut self) {
        self.finish();
    }
}

/// fdatasync, as Redis's redis_fsync on Linux.
pub fn fdatasync(file: &File) -> Result<(), i32> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: fdatasync on a descriptor owned by a live File.
        if unsafe { libc::fdatasync(file.as_raw_fd()) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err.raw_os_error().unwrap_or(libc::EIO));
        }
    }
}

fn run(shared: &Shared, mut file: Arc<File>) {
    // Woken by a request, a normal thread preempts the loop that woke it on
    // the loop's own core. A batch thread never preempts on wake-up; it
    // runs when a core is free or at the next tick, which is soon enough
    // for a once-a-second fsync.
    // SAFETY: sched_setscheduler on the calling thread with a live param.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
    }
    loop {
        let job = {
            let mut st = lock(shared);
            loop {
                let now = Instant::now();
                // Stopping gives a failing fsync one last try.
                let paused = !st.stop && st.retry_at.is_some_and(|t| now < t);
                if !paused && let Some(job) = st.jobs.pop_front() {
                    st.running = true;
                    break Some(job);
                }
                if st.stop {
                    break None;
                }
                st = match st.retry_at.filter(|_| paused) {
                    Some(at) => {
                        shared
                            .work
                            .wait_timeout(st, at.saturating_duration_since(now))
                            .unwrap_or_else(|p| p.into_inner())
                            .0
                    }
                    None => shared.work.wait(st).unwrap_or_else(|p| p.into_inner()),
                };
            }
        };
        let Some(job) = job else {
            // The loop wrote up to its last flush: one last fsync.
            let result = fdatasync(&file);
            let mut st = lock(shared);
            if let Err(e) = result {
                st.error = Some(e);
            }
            st.running = false;
            shared.syncing.store(false, Ordering::Release);
            drop(st);
            shared.done.notify_all();
            return;
        };
        let result = match job {
            Job::Sync => fdatasync(&file),
            Job::Switch(next) => {
                let result = fdatasync(&file);
                file = next;
                result
            }
        };
        let mut st = lock(shared);
        match result {
            Ok(()) => {
                st.fsyncs += 1;
                st.error = None;
                st.retry_at = None;
            }
            Err(e) => {
                st.error = Some(e);
                st.retry_at = Some(Instant::now() + RETRY_AFTER);
                // Try again (the data written so far is still not on disk).
                if !st.jobs.iter().any(|j| matches!(j, Job::Sync)) {
                    st.jobs.push_back(Job::Sync);
                }
            }
        }
        st.running = false;
        if !st.jobs.iter().any(|j| matches!(j, Job::Sync)) {
            shared.syncing.store(false, Ordering::Release);
        }
        drop(st);
        shared.done.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn syncs_and_switches_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let first = Arc::new(File::create(dir.path().join("a")).unwrap());
        let second = Arc::new(File::create(dir.path().join("b")).unwrap());
        let w = BackgroundFsync::start(first.clone()).unwrap();
        (&*first).write_all(b"one").unwrap();
        w.request_sync();
        w.request_sync();
        w.switch(second.clone());
        (&*second).write_all(b"two").unwrap();
        w.request_sync();
        w.wait_idle();
        let st = w.status();
        assert!(!st.busy);
        assert_eq!(st.error, None);
        assert!((2..=3).contains(&st.fsyncs), "{}", st.fsyncs);
        assert_eq!(w.stop(), None);
        assert_eq!(std::fs::read(dir.path().join("a")).unwrap(), b"one");
        assert_eq!(std::fs::read(dir.path().join("b")).unwrap(), b"two");
    }
}
