//! Latency samples: exact min, max and mean; quantiles from a bounded
//! reservoir; a histogram on a 1-2-5 log scale. And the intrinsic latency
//! of this host (how long the process can be kept off the CPU), measured
//! as redis-cli does: the longest gap between two consecutive clock reads
//! in a busy loop.

use std::time::{Duration, Instant};

use serde::Serialize;

/// Samples kept for quantiles; past this, reservoir sampling keeps a
/// uniform subset (at 100 samples a second: almost three hours exact).
const RESERVOIR: usize = 1 << 20;

/// Bucket upper bounds in microseconds: 1-2-5 steps from 10 µs to 10 s,
/// then everything above.
fn bounds() -> Vec<u64> {
    let mut out = Vec::new();
    let mut decade = 10u64;
    while decade <= 10_000_000 {
        for m in [1, 2, 5] {
            out.push(decade * m);
        }
        decade *= 10;
    }
    out.truncate(out.len() - 2);
    out
}

/// Round trips collected so far.
#[derive(Clone, Debug)]
pub struct Samples {
    count: u64,
    sum_us: f64,
    min_us: u64,
    max_us: u64,
    kept: Vec<u32>,
    bounds: Vec<u64>,
    buckets: Vec<u64>,
    rng: u64,
}

impl Default for Samples {
    fn default() -> Samples {
        let bounds = bounds();
        Samples {
            count: 0,
            sum_us: 0.0,
            min_us: u64::MAX,
            max_us: 0,
            kept: Vec::new(),
            buckets: vec![0; bounds.len() + 1],
            bounds,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

/// The summary of some samples, in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub samples: u64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

/// One histogram bucket: samples at most `le_ms` (and above the previous
/// bucket's bound); the last has `le_ms` null (everything above).
#[derive(Clone, Debug, Serialize)]
pub struct Bucket {
    pub le_ms: Option<f64>,
    pub count: u64,
}

impl Samples {
    pub fn add(&mut self, rtt: Duration) {
        let us = rtt.as_micros().min(u128::from(u32::MAX)) as u64;
        self.count += 1;
        self.sum_us += us as f64;
        self.min_us = self.min_us.min(us);
        self.max_us = self.max_us.max(us);
        let slot = self.bounds.partition_point(|&b| b < us);
        self.buckets[slot] += 1;
        if self.kept.len() < RESERVOIR {
            self.kept.push(us as u32);
        } else {
            // xorshift: a uniform index in 0..count.
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            let i = self.rng % self.count;
            if let Some(slot) = self.kept.get_mut(i as usize) {
                *slot = us as u32;
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn stats(&self) -> Stats {
        let ms = |us: f64| (us * 1000.0).round() / 1e6;
        let mut sorted = self.kept.clone();
        sorted.sort_unstable();
        let q = |p: f64| {
            if sorted.is_empty() {
                return 0.0;
            }
            let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            ms(f64::from(sorted[rank - 1]))
        };
        Stats {
            samples: self.count,
            min_ms: if self.count == 0 {
                0.0
            } else {
                ms(self.min_us as f64)
            },
            mean_ms: if self.count == 0 {
                0.0
            } else {
                ms(self.sum_us / self.count as f64)
            },
            p50_ms: q(0.50),
            p90_ms: q(0.90),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            max_ms: ms(self.max_us as f64),
        }
    }

    /// Non-empty buckets from the first to the last that holds a sample.
    pub fn histogram(&self) -> Vec<Bucket> {
        let first = self.buckets.iter().position(|&c| c > 0);
        let last = self.buckets.iter().rposition(|&c| c > 0);
        let (Some(first), Some(last)) = (first, last) else {
            return Vec::new();
        };
        (first..=last)
            .map(|i| Bucket {
                le_ms: self.bounds.get(i).map(|&b| b as f64 / 1000.0),
                count: self.buckets[i],
            })
            .collect()
    }
}

/// What the busy loop found.
#[derive(Clone, Debug, Serialize)]
pub struct Intrinsic {
    /// Clock reads compared.
    pub runs: u64,
    pub seconds: f64,
    /// Mean time per loop iteration.
    pub mean_ns: f64,
    /// The longest gap: the worst the scheduler kept us waiting.
    pub max_us: f64,
    /// Gaps of at least 10 µs, by size.
    pub histogram: Vec<Bucket>,
}

/// Spin for `duration` reading the clock; `tick` is called about every
/// 100 ms with the largest gap so far (for a live display), and may stop
/// the run early by returning false.
pub fn intrinsic(duration: Duration, tick: &mut dyn FnMut(Duration) -> bool) -> Intrinsic {
    let mut gaps = Samples::default();
    let start = Instant::now();
    let mut last = start;
    let mut max = Duration::ZERO;
    let mut runs = 0u64;
    let mut next_tick = start + Duration::from_millis(100);
    loop {
        let now = Instant::now();
        let gap = now - last;
        last = now;
        runs += 1;
        if gap >= Duration::from_micros(10) {
            gaps.add(gap);
        }
        if gap > max {
            max = gap;
        }
        if now >= next_tick {
            next_tick = now + Duration::from_millis(100);
            if !tick(max) || now - start >= duration {
                break;
            }
        }
    }
    let elapsed = last - start;
    Intrinsic {
        runs,
        seconds: elapsed.as_secs_f64(),
        mean_ns: elapsed.as_nanos() as f64 / runs.max(1) as f64,
        max_us: max.as_nanos() as f64 / 1000.0,
        histogram: gaps.histogram(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_and_histogram() {
        let mut s = Samples::default();
        for us in 1..=1000u64 {
            s.add(Duration::from_micros(us));
        }
        let st = s.stats();
        assert_eq!(st.samples, 1000);
        assert_eq!(st.min_ms, 0.001);
        assert_eq!(st.max_ms, 1.0);
        assert_eq!(st.p50_ms, 0.5);
        assert_eq!(st.p99_ms, 0.99);
        assert!((st.mean_ms - 0.5005).abs() < 1e-9);
        let h = s.histogram();
        assert_eq!(h.first().unwrap().le_ms, Some(0.01));
        assert_eq!(h.first().unwrap().count, 10);
        assert_eq!(h.last().unwrap().le_ms, Some(1.0));
        assert_eq!(h.iter().map(|b| b.count).sum::<u64>(), 1000);
        assert!(Samples::default().histogram().is_empty());
        let huge = {
            let mut s = Samples::default();
            s.add(Duration::from_secs(100));
            s.histogram()
        };
        assert_eq!(huge.last().unwrap().le_ms, None);
    }

    #[test]
    fn intrinsic_runs_and_stops() {
        let mut ticks = 0;
        let r = intrinsic(Duration::from_secs(10), &mut |_| {
            ticks += 1;
            ticks < 2
        });
        assert!(r.runs > 1000 && r.seconds < 5.0, "{r:?}");
    }
}
