//! What `serve` says while it loads its dataset at startup. Loading a large
//! snapshot takes a while and happens before the event loop exists, so a
//! watcher thread reports progress every few seconds from counters the
//! loader bumps, and answers SIGINT/SIGTERM: nothing has been written yet,
//! so the process logs why and exits at once (status 0, as a shutdown by
//! signal does), instead of dying silently by the signal's default action.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::output::log::{Field, Logger};

/// Bytes of the snapshot read so far (the loader's position).
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Keys loaded so far.
static KEYS: AtomicU64 = AtomicU64::new(0);

/// The `used-mem` aux field of the snapshot being loaded (0: none yet).
static USED_MEM: AtomicU64 = AtomicU64::new(0);

/// Commands of an append-only file replayed so far.
static COMMANDS: AtomicU64 = AtomicU64::new(0);

/// Called by the loader now and then (every few thousand keys).
pub fn record(position: u64, keys: u64) {
    BYTES.store(position, Ordering::Relaxed);
    KEYS.store(keys, Ordering::Relaxed);
}

/// A load starts: every counter back to zero.
pub fn begin() {
    BYTES.store(0, Ordering::Relaxed);
    KEYS.store(0, Ordering::Relaxed);
    COMMANDS.store(0, Ordering::Relaxed);
    USED_MEM.store(0, Ordering::Relaxed);
}

/// The snapshot's header states the memory its writer used.
pub fn record_used_mem(bytes: u64) {
    USED_MEM.store(bytes, Ordering::Relaxed);
}

/// INFO loading_rdb_used_mem.
pub fn rdb_used_mem() -> u64 {
    USED_MEM.load(Ordering::Relaxed)
}

/// Bytes of the snapshot loaded so far (INFO loading_loaded_bytes).
pub fn loaded_bytes() -> u64 {
    BYTES.load(Ordering::Relaxed)
}

/// Called by the append-only file loader every thousand commands or so:
/// its position over all the files, and the commands replayed.
pub fn record_commands(position: u64, commands: u64) {
    BYTES.store(position, Ordering::Relaxed);
    COMMANDS.store(commands, Ordering::Relaxed);
}

/// How often progress is logged (`SONDE_LOADING_EVERY_MS` overrides it, so
/// a test can see progress on a small dataset).
fn every() -> Duration {
    std::env::var("SONDE_LOADING_EVERY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(2), Duration::from_millis)
}

/// The watcher; stops (and joins) when dropped.
pub struct Watch {
    done: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

/// Start watching a load of `total` bytes (0: unknown) from
/// `what`, logging through `log`. SIGINT and SIGTERM are caught from now on.
pub fn watch(log: Logger, what: String, total: u64) -> Watch {
    crate::stop::catch(crate::stop::Repeat::Record);
    begin();
    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    let thread = thread::Builder::new()
        .name("sonde-loading".into())
        .spawn(move || run(&log, &what, total, &flag))
        .ok();
    Watch { done, thread }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn run(log: &Logger, what: &str, total: u64, done: &AtomicBool) {
    let started = Instant::now();
    let every = every();
    let mut next = started + every;
    while !done.load(Ordering::SeqCst) {
        if let Some(signal) = crate::stop::take() {
            log.warning(
                "Received shutdown signal during loading, exiting without saving",
                &[
                    ("signal", Field::Str(crate::stop::name(signal))),
                    ("file", Field::Str(what)),
                ],
            );
            std::process::exit(0);
        }
        let now = Instant::now();
        if now >= next {
            next = now + every;
            let bytes = BYTES.load(Ordering::Relaxed);
            let keys = KEYS.load(Ordering::Relaxed) as i64;
            let commands = COMMANDS.load(Ordering::Relaxed) as i64;
            let seconds = format!("{:.1}", started.elapsed().as_secs_f64());
            if total > 0 {
                let percent = format!("{:.1}", bytes.min(total) as f64 * 100.0 / total as f64);
                let mut fields = vec![
                    ("file", Field::Str(what)),
                    ("percent", Field::Str(&percent)),
                    ("bytes", Field::Int(bytes as i64)),
                    ("keys", Field::Int(keys)),
                ];
                if commands > 0 {
                    fields.push(("commands", Field::Int(commands)));
                }
                fields.push(("seconds", Field::Str(&seconds)));
                log.notice("Loading the dataset", &fields);
            } else {
                log.notice(
                    "Loading the dataset",
                    &[
                        ("file", Field::Str(what)),
                        ("seconds", Field::Str(&seconds)),
                    ],
                );
            }
        }
        thread::park_timeout(every.min(Duration::from_millis(50)));
    }
}
