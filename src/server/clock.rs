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

/// Set the time commands see (ms since the epoch) and the LRU clock.
pub fn set_clock(now_ms: i64) {
    LRU_CLOCK.store((now_ms / 1000) as u32 & 0x00ff_ffff, Ordering::Relaxed);
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
