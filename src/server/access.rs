//! How key accesses are stamped, for OBJECT IDLETIME / FREQ and for
//! eviction: each [`super::keyspace::Object`] keeps one 24-bit stamp, as
//! Redis keeps `robj.lru`.
//!
//! - Under an LRU policy (and every policy that is not LFU), the stamp is
//!   the LRU clock in seconds ([`super::clock::lru_clock`]) at the last
//!   access.
//! - Under an LFU policy, the stamp holds 16 bits of "minutes" (the last
//!   time the counter was decremented) and an 8-bit logarithmic access
//!   counter: an access increments it with probability
//!   `1 / ((counter - 5) * lfu-log-factor + 1)`, and it loses one per
//!   `lfu-decay-time` minutes without access. New keys start at 5, so a
//!   fresh key is not the first to go.
//!
//! The mode and the two LFU parameters are process-wide atomics (set when
//! the configuration changes), so touching a key costs a relaxed load.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use super::clock::{lfu_minutes, lru_clock};

/// Counter of a new key under LFU (Redis's LFU_INIT_VAL).
pub const LFU_INIT: u32 = 5;
/// The largest LRU clock value (24 bits).
pub const LRU_CLOCK_MAX: u32 = 0x00ff_ffff;

static LFU: AtomicBool = AtomicBool::new(false);
static LOG_FACTOR: AtomicU32 = AtomicU32::new(10);
static DECAY_TIME: AtomicU32 = AtomicU32::new(1);

/// Set the stamping mode and the LFU parameters.
pub fn configure(lfu: bool, log_factor: u32, decay_time: u32) {
    LFU.store(lfu, Ordering::Relaxed);
    LOG_FACTOR.store(log_factor, Ordering::Relaxed);
    DECAY_TIME.store(decay_time, Ordering::Relaxed);
}

/// Whether stamps are LFU counters.
pub fn is_lfu() -> bool {
    LFU.load(Ordering::Relaxed)
}

fn minutes() -> u32 {
    lfu_minutes()
}

/// The stamp of a new object.
#[inline]
pub fn fresh() -> u32 {
    if is_lfu() {
        (minutes() << 8) | LFU_INIT
    } else {
        lru_clock()
    }
}

/// The stamp of an object accessed now, given its old stamp.
#[inline]
pub fn touched(old: u32) -> u32 {
    if !is_lfu() {
        return lru_clock();
    }
    let counter = log_incr(decayed_counter(old));
    (minutes() << 8) | counter
}

/// The LFU counter of a stamp after the decay its idle minutes call for
/// (Redis's LFUDecrAndReturn): OBJECT FREQ and eviction read this.
pub fn decayed_counter(stamp: u32) -> u32 {
    decay(stamp, minutes(), DECAY_TIME.load(Ordering::Relaxed))
}

fn decay(stamp: u32, now: u32, decay_time: u32) -> u32 {
    let last = stamp >> 8;
    let counter = stamp & 0xff;
    let elapsed = if now >= last {
        now - last
    } else {
        65535 - last + now
    };
    let periods = elapsed.checked_div(decay_time).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// Seconds since the access a (LRU) stamp records, across the clock's wrap.
pub fn idle_seconds(stamp: u32) -> u64 {
    let now = lru_clock();
    if now >= stamp {
        u64::from(now - stamp)
    } else {
        u64::from(now) + u64::from(LRU_CLOCK_MAX - stamp)
    }
}

/// The logarithmic increment (Redis's LFULogIncr).
fn log_incr(counter: u32) -> u32 {
    incr_with(counter, LOG_FACTOR.load(Ordering::Relaxed), uniform())
}

fn incr_with(counter: u32, factor: u32, r: f64) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT) as f64;
    let p = 1.0 / (base * f64::from(factor) + 1.0);
    if r < p { counter + 1 } else { counter }
}

thread_local! {
    static SEED: Cell<u64> = const { Cell::new(0x9e37_79b9_7f4a_7c15) };
}

/// A uniform number in [0, 1) from a per-thread xorshift generator (the
/// counter needs cheap randomness, not good randomness).
fn uniform() -> f64 {
    SEED.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_grows_logarithmically_and_decays() {
        let mut counter = LFU_INIT;
        for _ in 0..1000 {
            counter = incr_with(counter, 10, uniform());
        }
        // 1000 hits with factor 10 reach about 18 in Redis's table.
        assert!((10..40).contains(&counter), "{counter}");
        let stamp = (100 << 8) | counter;
        assert_eq!(decay(stamp, 100, 1), counter);
        assert_eq!(decay(stamp, 103, 1), counter - 3);
        assert_eq!(decay(stamp, 103, 0), counter);
        assert_eq!(decay(stamp, 99, 1), 0);
    }
}
