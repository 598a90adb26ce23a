//! What one lookup costs on this machine: key bytes in, node id out,
//! hashing included. A random sample of the simulated keys is looked up
//! over and over on one thread — after a warm-up pass, in several rounds
//! whose median is kept, timed in thread CPU time, with `black_box` on both sides so the compiler
//! cannot skip or hoist the work.

use std::hint::black_box;
use std::time::Duration;

use serde::Serialize;

use super::keys::{KeySet, KeySource};
use super::random::Random;
use super::strategy::Placement;
use super::timing::Stopwatch;

/// Keys in a lookup sample, at most.
const SAMPLE_KEYS: usize = 1 << 16;
/// Key bytes in a lookup sample, at most (so huge keys stay cheap).
const SAMPLE_BYTES: usize = 16 << 20;
/// Timed rounds; the median is reported.
const ROUNDS: u64 = 5;

/// Keys drawn at random (with replacement) from `keys`.
pub fn sample(keys: &KeySource, seed: u64) -> KeySet {
    let mut rng = Random::new(seed);
    let mut set = KeySet::new(false);
    let mut key = Vec::new();
    let mut bytes = 0;
    for _ in 0..SAMPLE_KEYS {
        if keys.is_empty() || bytes > SAMPLE_BYTES {
            break;
        }
        keys.key_at(rng.below(keys.len()), &mut key);
        bytes += key.len();
        set.push(&key, None);
    }
    set
}

/// Measured lookup cost.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct LookupCost {
    /// Median nanoseconds per lookup.
    pub ns: f64,
    /// Lookups per second on one core at that median.
    pub per_sec: f64,
    /// Lookups timed, over all rounds (warm-up excluded).
    pub lookups: u64,
}

/// Time `lookups` lookups of the sample's keys through `placement`.
pub fn measure(placement: &dyn Placement, sample: &KeySet, lookups: u64) -> LookupCost {
    if sample.is_empty() || lookups == 0 {
        return LookupCost {
            ns: 0.0,
            per_sec: 0.0,
            lookups: 0,
        };
    }
    let per_round = (lookups / ROUNDS).max(1);
    run(placement, sample, sample.len() as u64);
    let mut rounds: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Stopwatch::start();
            run(placement, sample, per_round);
            start.elapsed()
        })
        .collect();
    rounds.sort();
    let median = rounds[rounds.len() / 2];
    let ns = median.as_nanos() as f64 / per_round as f64;
    LookupCost {
        ns,
        per_sec: if ns > 0.0 { 1e9 / ns } else { 0.0 },
        lookups: per_round * ROUNDS,
    }
}

fn run(placement: &dyn Placement, sample: &KeySet, count: u64) {
    let mut i = 0;
    for _ in 0..count {
        let (key, _) = sample.get(i);
        black_box(placement.locate(black_box(key)));
        i += 1;
        if i == sample.len() {
            i = 0;
        }
    }
}
