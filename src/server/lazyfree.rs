//! Lazy freeing: big values (and whole databases, for FLUSHALL/FLUSHDB
//! ASYNC) are dropped on a background thread instead of inside the
//! command that deleted them, as Redis's lazyfree.c hands them to a bio
//! thread.
//!
//! A value is worth sending when freeing it takes real work: Redis's
//! "free effort" — the number of allocations to release — over 64. Strings
//! and compact encodings (listpack, intset) are one allocation and are
//! dropped in place. UNLINK, FLUSHALL/FLUSHDB ASYNC and the deletions the
//! `lazyfree-lazy-*` directives name use this; INFO reports
//! `lazyfree_pending_objects` (sent, not yet freed) and `lazyfreed_objects`
//! (freed by the thread since start). The counting allocator
//! ([`super::memory`]) sees the memory go when the thread frees it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};

use super::types::Value;

/// The free effort over which a value is freed on the thread (Redis's
/// LAZYFREE_THRESHOLD).
pub const THRESHOLD: usize = 64;

static PENDING: AtomicU64 = AtomicU64::new(0);
static FREED: AtomicU64 = AtomicU64::new(0);

/// A job: something to drop, and how many objects it counts for.
type Job = (Box<dyn Send>, u64);

fn thread() -> Option<&'static Sender<Job>> {
    static SENDER: OnceLock<Option<Sender<Job>>> = OnceLock::new();
    SENDER
        .get_or_init(|| {
            let (tx, rx) = channel::<Job>();
            std::thread::Builder::new()
                .name("lazyfree".to_owned())
                .spawn(move || {
                    for (garbage, objects) in rx {
                        drop(garbage);
                        PENDING.fetch_sub(objects, Ordering::Relaxed);
                        FREED.fetch_add(objects, Ordering::Relaxed);
                    }
                })
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

/// Drop `garbage` (counting as `objects` objects) on the background
/// thread; in place when the thread could not be started.
pub fn free<T: Send + 'static>(garbage: T, objects: u64) {
    match thread() {
        Some(tx) => {
            PENDING.fetch_add(objects, Ordering::Relaxed);
            if let Err(back) = tx.send((Box::new(garbage), objects)) {
                PENDING.fetch_sub(objects, Ordering::Relaxed);
                drop(back);
            }
        }
        None => drop(garbage),
    }
}

/// Roughly how many allocations dropping `value` releases (Redis's
/// lazyfreeGetFreeEffort).
pub fn free_effort(value: &Value) -> usize {
    match value {
        Value::String(_) | Value::HashPacked(_) | Value::SetInts(_) | Value::ZsetPacked(_) => 1,
        other => other.len().max(1),
    }
}

/// Drop `value` in the background when it is big enough, else here.
pub fn free_value(value: Value) {
    if free_effort(&value) > THRESHOLD {
        free(value, 1);
    }
}

/// Objects sent to the thread and not freed yet (INFO
/// lazyfree_pending_objects).
pub fn pending() -> u64 {
    PENDING.load(Ordering::Relaxed)
}

/// Objects the thread freed since start (INFO lazyfreed_objects).
pub fn freed() -> u64 {
    FREED.load(Ordering::Relaxed)
}

/// Reset the freed count (CONFIG RESETSTAT).
pub fn reset_stats() {
    FREED.store(0, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_values_are_freed_on_the_thread() {
        let before = freed();
        free(vec![0u8; 1 << 20], 3);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while freed() < before + 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(freed() >= before + 3);
    }
}
