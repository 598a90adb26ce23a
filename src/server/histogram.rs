//! Per-command latency histograms (Redis 7's latency tracking): every call
//! of a command is counted in a log-linear histogram of its duration in
//! nanoseconds, 1 ns to 1 s, with 64 sub-buckets per power of two (about
//! 1.5 % precision, the two significant digits Redis's HdrHistogram keeps).
//! INFO latencystats reads percentiles from it and LATENCY HISTOGRAM the
//! cumulative counts at each power of two from 1024 ns.

/// Sub-buckets per power of two.
const SUB: u64 = 128;
const SUB_BITS: u32 = 7;
/// Redis clamps recorded durations to 1 ns ..= 1 s.
const MAX_NS: u64 = 1_000_000_000;
/// Buckets: 0..64 one per nanosecond, then 64 per power of two up to 2^30.
const LEN: usize = (SUB + (30 - SUB_BITS as u64 + 1) * SUB) as usize;

pub struct Histogram {
    counts: Vec<u64>,
    pub total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; LEN],
            total: 0,
        }
    }
}

fn index(ns: u64) -> usize {
    let v = ns.clamp(1, MAX_NS);
    if v < SUB {
        return v as usize;
    }
    let e = 63 - v.leading_zeros();
    let m = v >> (e - SUB_BITS);
    (SUB + u64::from(e - SUB_BITS) * SUB + (m - SUB)) as usize
}

/// The highest value that falls in bucket `i`.
fn highest(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let k = (i - SUB) / SUB;
    let m = SUB + (i - SUB) % SUB;
    ((m + 1) << k) - 1
}

impl Histogram {
    pub fn record(&mut self, ns: u64) {
        self.counts[index(ns)] += 1;
        self.total += 1;
    }

    /// The value at `percentile` (0–100), in nanoseconds: the highest value
    /// of the bucket where the cumulative count reaches it.
    pub fn value_at(&self, percentile: f64) -> u64 {
        let wanted = ((percentile.clamp(0.0, 100.0) / 100.0) * self.total as f64).ceil() as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                return highest(i);
            }
        }
        0
    }

    /// (µs, cumulative count) at each power of two from 1024 ns, only where
    /// the count grew, as LATENCY HISTOGRAM reports them.
    pub fn cumulative_usec(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let (mut seen, mut previous, mut i) = (0u64, 0u64, 0usize);
        let mut bound = 1024u64;
        while previous < self.total {
            // As Redis's HDR iterator: a step reaches the highest value
            // equivalent to its power of two (the power plus its 1/128,
            // less one), and is reported under that value in µs.
            let top = bound + bound / 128 - 1;
            while i < LEN && highest(i) <= top {
                seen += self.counts[i];
                i += 1;
            }
            if i >= LEN {
                seen = self.total;
            }
            if seen > previous {
                out.push((top / 1000, seen));
                previous = seen;
            }
            bound *= 2;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_their_values() {
        for v in [1u64, 63, 64, 65, 1000, 1023, 1024, 123_456, 999_999_999] {
            let i = index(v);
            assert!(highest(i) >= v, "{v}");
            assert!(i == 0 || highest(i - 1) < v, "{v}");
        }
    }

    #[test]
    fn percentiles_and_cumulative_counts() {
        let mut h = Histogram::default();
        for ns in [1_000, 2_000, 3_000, 100_000] {
            h.record(ns);
        }
        assert!((1_000..1_020).contains(&h.value_at(25.0)));
        assert!((100_000..101_600).contains(&h.value_at(100.0)));
        // Keys as Redis reports them: (2^k µs-ish steps) 1, 2, 4, ... 132.
        assert_eq!(h.cumulative_usec(), vec![(1, 1), (2, 2), (4, 3), (132, 4)]);
    }
}
