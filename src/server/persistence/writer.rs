//! The AOF's background writer: a thread that writes what the event loop
//! hands it and fsyncs once per second (`appendfsync everysec`), so the
//! loop never waits on the disk.
//!
//! Double buffering: the loop encodes commands into its buffer; before it
//! sleeps it hands the buffer over (a swap under a lock held for a few
//! instructions) and continues with the empty one the thread gave back.
//! The thread writes the full buffer while the loop fills the other. If the
//! loop hands over more while the thread is still writing, the bytes join
//! the queued batch when it has room, or queue behind it, so writes stay in
//! order. The loop never waits for the lock: when the thread holds it at
//! that instant, the loop keeps its bytes and hands them over at its next
//! flush (the cron guarantees one at `hz`). Only when the disk falls behind
//! by more than [`QUEUE_LIMIT`] bytes does the loop wait (Redis writes
//! synchronously after two seconds in that case; counted as
//! `aof_delayed_fsync`).
//!
//! Switching files (an AOF rewrite starts a new INCR file) is a job in the
//! same queue, so bytes before the switch go to the old file, which the
//! thread fsyncs before moving on.
//!
//! Fork safety: the thread never allocates and never logs; it holds its
//! lock only to pop or push a job. A child forked by the loop never touches
//! this lock (see [`super::child`]).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, TryLockError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The loop waits for the disk beyond this many queued bytes.
pub const QUEUE_LIMIT: usize = 64 << 20;
/// A failed write is retried after this long.
const RETRY_AFTER: Duration = Duration::from_secs(1);

enum Job {
    Write(Vec<u8>),
    Switch(Arc<File>),
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    queued_bytes: usize,
    /// An empty buffer with capacity, handed back to the loop on swap.
    spare: Vec<u8>,
    /// The thread is writing a batch (its bytes are no longer queued).
    writing: bool,
    /// The thread is doing anything at all (write, fsync, switch).
    busy: bool,
    stop: bool,
    /// fsync when written data is this old (everysec); None: never.
    fsync_every: Option<Duration>,
    /// errno of the last failed write or fsync; cleared by success.
    error: Option<i32>,
    retry_at: Option<Instant>,
    fsyncs: u64,
}

struct Shared {
    state: Mutex<State>,
    /// The thread waits here for work.
    work: Condvar,
    /// The loop waits here for the thread to catch up.
    done: Condvar,
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A poisoned lock only means a panic elsewhere; the state is plain data.
    shared.state.lock().unwrap_or_else(|p| p.into_inner())
}

/// What became of a hand-over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandOff {
    Queued,
    /// Queued after waiting: the disk was more than [`QUEUE_LIMIT`] bytes
    /// behind.
    Waited,
    /// Not taken (the thread held the lock): the bytes stay with the loop.
    Deferred,
}

/// What the loop can see of the thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Status {
    pub queued_bytes: usize,
    pub busy: bool,
    pub error: Option<i32>,
    pub fsyncs: u64,
}

/// The handle the event loop holds.
pub struct BackgroundWriter {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundWriter {
    /// Start the thread; appends go to `file` until a switch.
    pub fn start(file: Arc<File>) -> io::Result<BackgroundWriter> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::with_capacity(8),
                ..State::default()
            }),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("aof-writer".to_owned())
            .spawn(move || run(&thread_shared, file))?;
        Ok(BackgroundWriter {
            shared,
            thread: Some(thread),
        })
    }

    /// Hand `buf` to the thread; `buf` comes back empty (a spare buffer
    /// with capacity). With `may_defer`, a lock the thread holds this very
    /// moment is not waited for: `buf` keeps its bytes for the next call.
    pub fn hand_off(&self, buf: &mut Vec<u8>, may_defer: bool) -> HandOff {
        let mut st = match self.shared.state.try_lock() {
            Ok(st) => st,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) if may_defer => return HandOff::Deferred,
            Err(TryLockError::WouldBlock) => lock(&self.shared),
        };
        let mut outcome = HandOff::Queued;
        while st.queued_bytes > QUEUE_LIMIT && !st.stop {
            outcome = HandOff::Waited;
            st = self.shared.done.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        st.queued_bytes += buf.len();
        // Join the last queued batch only when it has room: the lock is
        // never held across a reallocation or a copy of what is queued.
        match st.jobs.back_mut() {
            Some(Job::Write(queued)) if queued.capacity() - queued.len() >= buf.len() => {
                queued.extend_from_slice(buf);
                buf.clear();
            }
            _ => {
                let spare = std::mem::take(&mut st.spare);
                st.jobs.push_back(Job::Write(std::mem::replace(buf, spare)));
            }
        }
        drop(st);
        self.shared.work.notify_one();
        outcome
    }

    /// From now on, appends go to `file`; the current one is fsynced once
    /// everything queued for it is written.
    pub fn switch(&self, file: Arc<File>) {
        lock(&self.shared).jobs.push_back(Job::Switch(file));
        self.shared.work.notify_one();
    }

    /// Wait until no handed-over bytes are waiting or being written (before
    /// the loop writes to the file itself).
    pub fn drain_writes(&self) {
        let mut st = lock(&self.shared);
        while st.writing || st.jobs.iter().any(|j| matches!(j, Job::Write(_))) {
            st = self.shared.done.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// fsync written data once it is `every` old; `None`: never.
    pub fn set_fsync_every(&self, every: Option<Duration>) {
        let mut st = lock(&self.shared);
        if st.fsync_every != every {
            st.fsync_every = every;
            drop(st);
            self.shared.work.notify_one();
        }
    }

    pub fn status(&self) -> Status {
        let st = lock(&self.shared);
        Status {
            queued_bytes: st.queued_bytes,
            busy: st.busy,
            error: st.error,
            fsyncs: st.fsyncs,
        }
    }

    /// Write everything queued, fsync, and end the thread.
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

impl Drop for BackgroundWriter {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Write all of `bytes`, retrying on EINTR; on failure, how much was
/// written and the errno.
fn write_all(file: &File, bytes: &[u8]) -> Result<(), (usize, i32)> {
    let mut done = 0;
    let mut out = file;
    while done < bytes.len() {
        match out.write(&bytes[done..]) {
            Ok(0) => return Err((done, libc::ENOSPC)),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((done, e.raw_os_error().unwrap_or(libc::EIO))),
        }
    }
    Ok(())
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

enum Next {
    Job(Job),
    Sync,
    Stop,
}

fn run(shared: &Shared, mut file: Arc<File>) {
    // Woken by every hand-over, a normal thread preempts the loop that
    // woke it on the loop's own core (measured: hand-overs of 8 ms, each
    // one involuntary switch, on a busy 2-core machine). A batch thread
    // never preempts on wake-up; it runs when a core is free or at the
    // next tick, which is soon enough for a once-a-second fsync.
    // SAFETY: sched_setscheduler on the calling thread with a live param.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
    }
    let mut last_sync = Instant::now();
    let mut unsynced = false;
    loop {
        let (next, every) = {
            let mut st = lock(shared);
            let next = loop {
                let now = Instant::now();
                // Stopping gives a failing write one last try.
                let paused = !st.stop && st.retry_at.is_some_and(|t| now < t);
                if !paused && let Some(job) = st.jobs.pop_front() {
                    if let Job::Write(bytes) = &job {
                        st.queued_bytes -= bytes.len();
                        st.writing = true;
                    }
                    break Next::Job(job);
                }
                let sync_due = st.fsync_every.filter(|_| unsynced).map(|e| last_sync + e);
                if st.stop {
                    break Next::Stop;
                }
                if let Some(due) = sync_due
                    && now >= due
                {
                    break Next::Sync;
                }
                let wake = [sync_due, st.retry_at].into_iter().flatten().min();
                st = match wake {
                    Some(at) => {
                        shared
                            .work
                            .wait_timeout(st, at.saturating_duration_since(now))
                            .unwrap_or_else(|p| p.into_inner())
                            .0
                    }
                    None => shared.work.wait(st).unwrap_or_else(|p| p.into_inner()),
                };
            };
            st.busy = true;
            (next, st.fsync_every)
        };
        let mut failed = None;
        let mut synced = false;
        let mut requeue = None;
        match next {
            Next::Stop => {
                let result = if unsynced { fdatasync(&file) } else { Ok(()) };
                let mut st = lock(shared);
                st.busy = false;
                if let Err(e) = result {
                    st.error = Some(e);
                }
                drop(st);
                shared.done.notify_all();
                return;
            }
            Next::Sync => match fdatasync(&file) {
                Ok(()) => synced = true,
                Err(e) => failed = Some(e),
            },
            Next::Job(Job::Write(mut bytes)) => match write_all(&file, &bytes) {
                Ok(()) => {
                    unsynced = true;
                    bytes.clear();
                    requeue = Some(Ok(bytes));
                }
                Err((written, e)) => {
                    failed = Some(e);
                    bytes.drain(..written);
                    unsynced |= written > 0;
                    requeue = Some(Err(bytes));
                }
            },
            Next::Job(Job::Switch(next_file)) => {
                // The loop may have written to the old file itself (always,
                // no): sync it whatever this thread wrote.
                if let Err(e) = fdatasync(&file) {
                    failed = Some(e);
                }
                file = next_file;
                unsynced = false;
                last_sync = Instant::now();
            }
        }
        if failed.is_none() && unsynced && every.is_some_and(|e| last_sync.elapsed() >= e) {
            match fdatasync(&file) {
                Ok(()) => synced = true,
                Err(e) => failed = Some(e),
            }
        }
        if synced {
            unsynced = false;
            last_sync = Instant::now();
        }
        let mut st = lock(shared);
        st.busy = false;
        st.writing = false;
        if synced {
            st.fsyncs += 1;
        }
        match requeue {
            Some(Ok(empty)) if empty.capacity() > st.spare.capacity() => st.spare = empty,
            Some(Err(rest)) if !st.stop => {
                // Not written yet: first in line for the retry.
                st.queued_bytes += rest.len();
                st.jobs.push_front(Job::Write(rest));
            }
            Some(Err(_)) => {
                // Stopping and the disk still fails: nothing more to try.
                st.jobs.clear();
                st.queued_bytes = 0;
            }
            Some(Ok(_)) | None => {}
        }
        match failed {
            Some(e) => {
                st.error = Some(e);
                st.retry_at = Some(Instant::now() + RETRY_AFTER);
            }
            None => {
                st.error = None;
                st.retry_at = None;
            }
        }
        drop(st);
        shared.done.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arrive_in_order_across_a_switch() {
        let dir = tempfile::tempdir().unwrap();
        let first = Arc::new(File::create(dir.path().join("a")).unwrap());
        let second = Arc::new(File::create(dir.path().join("b")).unwrap());
        let w = BackgroundWriter::start(first).unwrap();
        w.set_fsync_every(Some(Duration::from_millis(1)));
        let mut buf = Vec::new();
        for i in 0..1000 {
            buf.extend_from_slice(format!("{i},").as_bytes());
            if i % 7 == 0 {
                assert_ne!(w.hand_off(&mut buf, i % 2 == 0), HandOff::Waited);
                if i % 2 == 1 {
                    assert!(buf.is_empty());
                }
            }
            if i == 500 {
                w.hand_off(&mut buf, false);
                w.switch(second.clone());
            }
        }
        w.hand_off(&mut buf, false);
        w.drain_writes();
        assert_eq!(w.status().queued_bytes, 0);
        assert_eq!(w.stop(), None);
        let a = std::fs::read_to_string(dir.path().join("a")).unwrap();
        let b = std::fs::read_to_string(dir.path().join("b")).unwrap();
        let expect_a: String = (0..=500).map(|i| format!("{i},")).collect();
        let expect_b: String = (501..1000).map(|i| format!("{i},")).collect();
        assert_eq!(a, expect_a);
        assert_eq!(b, expect_b);
    }
}
