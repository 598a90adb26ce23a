//! `ring simulate` at scale: 10,000,000 keys over 100 nodes, one node
//! added, through every strategy. Each strategy runs RUNS times, strategies
//! alternating within each run; medians are printed with each strategy's
//! lookup cost as a ratio to mod-N (the reference: a hash and a modulo),
//! and the whole run's wall time and peak memory.
//! `cargo bench --bench ring` (RING_BENCH_KEYS / RING_BENCH_NODES change
//! the scale).

use std::time::Instant;

use sonde::ring::hash::{HashFunction, Hasher};
use sonde::ring::keys::KeySource;
use sonde::ring::simulate::{Run, Scenario, StrategyResult};
use sonde::ring::{Config, Strategy};

const RUNS: usize = 3;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let keys = env_or("RING_BENCH_KEYS", 10_000_000);
    let nodes = env_or("RING_BENCH_NODES", 100) as u32;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let source = KeySource::Synthetic { count: keys };
    let scenario = Scenario {
        nodes,
        add: 1,
        remove: 0,
        random_fail: false,
        seed: 1,
        threads,
        lookups: 2_000_000,
    };
    let membership = scenario.membership().expect("membership");
    let config = Config {
        hash: Hasher::new(HashFunction::Xxh3, 0),
        vnodes: 160,
        table_size: 65_537,
        epsilon: 0.25,
        keys,
    };
    let run = Run::new(&source, &membership, config, &scenario);
    println!(
        "ring simulate: {keys} keys, {nodes} nodes + 1, {threads} threads, {RUNS} runs (medians)"
    );
    let started = Instant::now();
    let mut results: Vec<Vec<StrategyResult>> = vec![Vec::new(); Strategy::ALL.len()];
    let mut run_walls = Vec::new();
    for _ in 0..RUNS {
        let run_started = Instant::now();
        for (i, &strategy) in Strategy::ALL.iter().enumerate() {
            results[i].push(run.strategy(strategy).expect("simulate"));
        }
        run_walls.push(run_started.elapsed().as_secs_f64());
    }
    let reference = median(results[0].iter().map(|r| r.lookup_ns).collect());
    println!(
        "{:<11} {:>10} {:>9} {:>12} {:>10} {:>11} {:>10} {:>10}",
        "strategy",
        "lookup ns",
        "vs modn",
        "lookups/s",
        "build ms",
        "place ms",
        "place cpu",
        "memory"
    );
    for (i, &strategy) in Strategy::ALL.iter().enumerate() {
        let rs = &results[i];
        let lookup = median(rs.iter().map(|r| r.lookup_ns).collect());
        println!(
            "{:<11} {:>10.1} {:>8.2}x {:>10.1} M {:>10.2} {:>11.0} {:>10.0} {:>8} B",
            strategy.name(),
            lookup,
            lookup / reference,
            1e3 / lookup,
            median(rs.iter().map(|r| r.build_ms).collect()),
            median(rs.iter().map(|r| r.place_ms).collect()),
            median(rs.iter().map(|r| r.place_cpu_ms).collect()),
            rs[0].memory_bytes
        );
    }
    println!(
        "one pass through all strategies: median {:.2} s wall; {RUNS} passes in {:.1} s; peak RSS {} KiB",
        median(run_walls),
        started.elapsed().as_secs_f64(),
        peak_rss_kib().map_or("?".to_owned(), |k| k.to_string())
    );
}
