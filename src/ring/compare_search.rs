//! `--compare-search`: is a linear scan really faster than binary search
//! on small rings? Each layout of [`super::search`] looks up random hashes
//! among N random sorted points, for N from 8 to 1,000,000, on this
//! machine. For each size the layouts are timed in alternation, after a
//! warm-up that also sizes the timed batches, in several rounds whose
//! median is kept, in thread CPU time; queries are random and pass through `black_box`. Every
//! layout's answers are checked against binary search first.

use std::hint::black_box;
use std::time::Duration;

use serde::Serialize;

use super::RingError;
use super::random::Random;
use super::search::{self, Eytzinger, Layout};
use super::timing::Stopwatch;

/// Ring sizes measured: powers of two from 8, then one million.
pub fn sizes() -> Vec<usize> {
    let mut sizes: Vec<usize> = (3..20).map(|p| 1usize << p).collect();
    sizes.push(1_000_000);
    sizes
}

/// Queries per size (a power of two, cycled through).
const QUERIES: usize = 1 << 12;
/// Timed rounds per layout and size; the median is kept.
const ROUNDS: usize = 5;
/// Wall time of one round.
const ROUND_TIME: Duration = Duration::from_millis(8);
/// A timed batch lasts at least this long, so reading the clock is noise.
const BATCH_TIME: Duration = Duration::from_micros(100);
/// Queries checked against binary search per size.
const CHECKED: usize = 128;

/// One ring size.
#[derive(Clone, Debug, Serialize)]
pub struct SearchRow {
    pub points: usize,
    pub linear_ns: f64,
    pub linear_count_ns: f64,
    pub binary_ns: f64,
    pub eytzinger_ns: f64,
    /// The layout with the lowest time at this size.
    pub fastest: &'static str,
    /// Fewest lookups timed for any layout at this size.
    pub min_lookups: u64,
}

impl SearchRow {
    pub fn ns(&self, layout: Layout) -> f64 {
        match layout {
            Layout::Linear => self.linear_ns,
            Layout::LinearCount => self.linear_count_ns,
            Layout::Binary => self.binary_ns,
            Layout::Eytzinger => self.eytzinger_ns,
        }
    }
}

/// How one layout fares against binary search as rings grow.
#[derive(Clone, Debug, Serialize)]
pub struct Crossover {
    pub layout: &'static str,
    /// Sizes at which this layout was faster than binary search.
    pub faster_than_binary_at: Vec<usize>,
    /// The size from which the winner no longer changes (null when one of
    /// the two wins at every size).
    pub settles_at: Option<usize>,
    /// Who wins from `settles_at` on (or everywhere): this layout's name or
    /// `binary`.
    pub winner_for_large: &'static str,
    /// Who wins at the smallest size.
    pub winner_for_small: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct SearchComparison {
    pub rows: Vec<SearchRow>,
    pub crossovers: Vec<Crossover>,
    pub queries_per_size: usize,
    pub rounds: usize,
}

impl SearchComparison {
    /// The row for the smallest measured size `>= points`.
    pub fn row_for(&self, points: usize) -> Option<&SearchRow> {
        self.rows
            .iter()
            .find(|r| r.points >= points)
            .or(self.rows.last())
    }
}

/// Run the experiment over `sizes`.
pub fn compare(sizes: &[usize], seed: u64) -> Result<SearchComparison, RingError> {
    let mut rng = Random::new(seed);
    let mut rows = Vec::new();
    for &n in sizes {
        let mut sorted: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
        sorted.sort_unstable();
        let eytzinger = Eytzinger::new(&sorted);
        let queries: Vec<u64> = (0..QUERIES).map(|_| rng.next_u64()).collect();
        check(&sorted, &eytzinger, &queries)?;
        let mut timings: Vec<Vec<f64>> = vec![Vec::new(); Layout::ALL.len()];
        let mut counts = vec![0u64; Layout::ALL.len()];
        let mut batches = vec![0usize; Layout::ALL.len()];
        for (i, &layout) in Layout::ALL.iter().enumerate() {
            batches[i] = calibrate(layout, &sorted, &eytzinger, &queries);
        }
        for _ in 0..ROUNDS {
            // Alternate layouts within each round.
            for (i, &layout) in Layout::ALL.iter().enumerate() {
                let (ns, count) = round(layout, &sorted, &eytzinger, &queries, batches[i]);
                timings[i].push(ns);
                counts[i] += count;
            }
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let ns: Vec<f64> = timings.into_iter().map(median).collect();
        let fastest = Layout::ALL
            .iter()
            .zip(&ns)
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map_or("binary", |(l, _)| l.name());
        rows.push(SearchRow {
            points: n,
            linear_ns: ns[0],
            linear_count_ns: ns[1],
            binary_ns: ns[2],
            eytzinger_ns: ns[3],
            fastest,
            min_lookups: counts.iter().copied().min().unwrap_or(0),
        });
    }
    let crossovers = [Layout::Linear, Layout::LinearCount, Layout::Eytzinger]
        .into_iter()
        .map(|l| crossover(&rows, l))
        .collect();
    Ok(SearchComparison {
        rows,
        crossovers,
        queries_per_size: QUERIES,
        rounds: ROUNDS,
    })
}

/// Where `layout` stops (or starts) beating binary search.
pub fn crossover(rows: &[SearchRow], layout: Layout) -> Crossover {
    let faster: Vec<bool> = rows.iter().map(|r| r.ns(layout) < r.binary_ns).collect();
    let name = |f: bool| if f { layout.name() } else { "binary" };
    let last = faster.last().copied().unwrap_or(false);
    // The first index after which the winner stays the same.
    let settle = faster.iter().rposition(|&f| f != last).map(|i| i + 1);
    Crossover {
        layout: layout.name(),
        faster_than_binary_at: rows
            .iter()
            .zip(&faster)
            .filter(|(_, f)| **f)
            .map(|(r, _)| r.points)
            .collect(),
        settles_at: settle.map(|i| rows[i].points),
        winner_for_large: name(last),
        winner_for_small: name(faster.first().copied().unwrap_or(false)),
    }
}

fn check(sorted: &[u64], eytzinger: &Eytzinger, queries: &[u64]) -> Result<(), RingError> {
    for &q in queries.iter().take(CHECKED) {
        let want = search::binary(sorted, q);
        let got = [
            search::linear(sorted, q),
            search::linear_count(sorted, q),
            eytzinger.search(q),
        ];
        if got.iter().any(|&g| g != want) {
            return Err(RingError::Internal(format!(
                "search layouts disagree on {} points: binary {want}, others {got:?}",
                sorted.len()
            )));
        }
    }
    Ok(())
}

#[inline(never)]
fn batch(
    layout: Layout,
    sorted: &[u64],
    eytzinger: &Eytzinger,
    queries: &[u64],
    start: usize,
    count: usize,
) -> usize {
    let mask = queries.len() - 1;
    let stream = (start..start + count).map(|i| black_box(queries[i & mask]));
    match layout {
        Layout::Linear => stream.fold(0, |acc, q| {
            acc.wrapping_add(black_box(search::linear(sorted, q)))
        }),
        Layout::LinearCount => search::linear_count_batch(sorted, queries, start, count),
        Layout::Binary => stream.fold(0, |acc, q| {
            acc.wrapping_add(black_box(search::binary(sorted, q)))
        }),
        Layout::Eytzinger => {
            stream.fold(0, |acc, q| acc.wrapping_add(black_box(eytzinger.search(q))))
        }
    }
}

/// Warm up and pick a batch size that takes at least [`BATCH_TIME`].
fn calibrate(layout: Layout, sorted: &[u64], eytzinger: &Eytzinger, queries: &[u64]) -> usize {
    let mut count = 1usize;
    loop {
        let started = Stopwatch::start();
        black_box(batch(layout, sorted, eytzinger, queries, 0, count));
        if started.elapsed() >= BATCH_TIME || count >= 1 << 24 {
            return count;
        }
        count *= 2;
    }
}

/// One timed round: batches until [`ROUND_TIME`] has passed. Returns ns per
/// lookup and lookups done.
fn round(
    layout: Layout,
    sorted: &[u64],
    eytzinger: &Eytzinger,
    queries: &[u64],
    batch_len: usize,
) -> (f64, u64) {
    let started = Stopwatch::start();
    let mut done = 0usize;
    while started.elapsed() < ROUND_TIME {
        black_box(batch(layout, sorted, eytzinger, queries, done, batch_len));
        done += batch_len;
    }
    let elapsed = started.elapsed();
    (elapsed.as_nanos() as f64 / done as f64, done as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(points: usize, linear: f64, binary: f64) -> SearchRow {
        SearchRow {
            points,
            linear_ns: linear,
            linear_count_ns: linear,
            binary_ns: binary,
            eytzinger_ns: binary,
            fastest: "",
            min_lookups: 0,
        }
    }

    #[test]
    fn crossover_is_where_the_winner_settles() {
        let rows = vec![
            row(8, 1.0, 2.0),
            row(16, 2.0, 3.0),
            row(32, 4.0, 3.5),
            row(64, 3.0, 3.9),
            row(128, 9.0, 4.0),
            row(256, 20.0, 5.0),
        ];
        let c = crossover(&rows, Layout::Linear);
        assert_eq!(c.faster_than_binary_at, vec![8, 16, 64]);
        assert_eq!(c.settles_at, Some(128));
        assert_eq!(
            (c.winner_for_small, c.winner_for_large),
            ("linear", "binary")
        );
        let never = crossover(&rows[4..], Layout::Linear);
        assert_eq!(never.settles_at, None);
    }

    #[test]
    fn a_small_comparison_runs_and_checks_its_layouts() {
        let result = compare(&[8, 100], 3).unwrap();
        assert_eq!(result.rows.len(), 2);
        assert!(
            result
                .rows
                .iter()
                .all(|r| r.binary_ns > 0.0 && r.min_lookups > 0)
        );
    }
}
