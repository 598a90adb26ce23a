//! The clocks commands read: wall-clock milliseconds and the LRU clock
//! (seconds, cached whenever the keyspace's notion of "now" moves, so
//! touching a key on every access costs a load, not a clock read).

use std::sync::atomic::{AtomicU32, Ordering};

/// The LRU clock: seconds, truncated to Redis's 24 bits. Cached (updated
/// whenever the keyspace's notion of "now" is), so touching a key on every
/// access costs a load, not a clock read.
static LRU_CLOCK: AtomicU32 = AtomicU32::new(0);

pub fn lru_clock() -> u32 {
    LRU_CLOCK.load(Ordering::Relaxed)
}

/// Minutes since the epoch, modulo 2^16: the LFU counters' decay clock
/// ([`super::access`]), cached with the LRU clock.
static LFU_MINUTES: AtomicU32 = AtomicU32::new(0);

pub fn lfu_minutes() -> u32 {
    LFU_MINUTES.load(Ordering::Relaxed)
}

/// Set the time commands see (ms since the epoch): the LRU clock and the
/// LFU minutes.
pub fn set_clock(now_ms: i64) {
    LRU_CLOCK.store((now_ms / 1000) as u32 & 0x00ff_ffff, Ordering::Relaxed);
    LFU_MINUTES.store(((now_ms / 60_000) & 0xffff) as u32, Ordering::Relaxed);
}

/// Microseconds since the Unix epoch (the precision "now" is derived
/// from, so the milliseconds commands see are never behind the wall clock's).
pub fn unix_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
