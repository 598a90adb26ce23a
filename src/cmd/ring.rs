//! `sonde ring simulate`: resolve the arguments into a key source, a
//! membership change and a strategy configuration, run the simulation of
//! `ring::simulate` for each strategy, and render the report (tables and
//! terminal bars, JSON, an optional SVG).

mod plot;
mod report;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};

use super::{Status, problem};
use crate::cli::RingSimulateArgs;
use crate::input;
use crate::output::{Format, emit};
use crate::ring::compare_search;
use crate::ring::hash::Hasher;
use crate::ring::keys::{KeySource, KeysError, read_keys, read_rdb};
use crate::ring::random::fresh_seed;
use crate::ring::simulate::{Run, Scenario};
use crate::ring::{Config, Strategy};
use report::{Change, RingReport};

/// Most ring points built (16 bytes each while sorting): about 320 MiB.
const MAX_RING_POINTS: u64 = 20_000_000;

pub fn simulate(
    args: &RingSimulateArgs,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<Status> {
    let started = Instant::now();
    if !(args.epsilon > 0.0 && args.epsilon.is_finite()) {
        bail!("--epsilon {}: must be a positive number", args.epsilon);
    }
    let seed = args.seed.unwrap_or_else(fresh_seed);
    let (keys, key_source) = match (&args.keys_from, &args.rdb) {
        (_, Some(dump)) => match dump_keys(dump)? {
            Some(found) => found,
            None => return Ok(Status::Problem),
        },
        (None, None) if args.keys == 0 => bail!("--keys must be at least 1"),
        (None, None) => (
            KeySource::Synthetic { count: args.keys },
            "synthetic".to_owned(),
        ),
        (Some(path), None) => {
            let (reader, name) = input::open(Some(path))
                .with_context(|| format!("cannot open {}", path.display()))?;
            match read_keys(reader, args.key_sizes, args.max_key_len) {
                Ok(set) => (KeySource::Set(set), name),
                Err(KeysError::Io { line, source }) => {
                    return Err(source).with_context(|| format!("reading {name} at line {line}"));
                }
                Err(e) => {
                    problem(format!("{name}: {e}"));
                    return Ok(Status::Problem);
                }
            }
        }
    };
    let (add, remove) = match (args.add, args.remove) {
        (None, None) => (1, 0),
        (add, remove) => (add.unwrap_or(0), remove.unwrap_or(0)),
    };
    let threads = match args.threads {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let scenario = Scenario {
        nodes: args.nodes,
        add,
        remove,
        random_fail: args.random_fail,
        seed,
        threads,
        lookups: args.lookups,
    };
    let membership = scenario.membership()?;
    let config = Config {
        hash: Hasher::new(args.hash, args.hash_seed),
        vnodes: args.vnodes,
        table_size: args.table_size,
        epsilon: args.epsilon,
        keys: keys.len(),
    };
    let points = u64::from(args.vnodes) * (u64::from(args.nodes) + u64::from(add));
    let strategies = chosen(&args.strategies);
    let uses_ring = strategies
        .iter()
        .any(|s| matches!(s, Strategy::Ring | Strategy::Bounded));
    if uses_ring && points > MAX_RING_POINTS {
        bail!(
            "--vnodes {} × {} nodes is {points} ring points; at most {MAX_RING_POINTS}",
            args.vnodes,
            args.nodes + add
        );
    }

    let run = Run::new(&keys, &membership, config, &scenario);
    let mut results = Vec::with_capacity(strategies.len());
    for &strategy in &strategies {
        let result = run
            .strategy(strategy)
            .with_context(|| format!("simulating {}", strategy.name()))?;
        results.push(result);
    }
    let modn = match results.iter().find(|r| r.name == Strategy::Modn.name()) {
        Some(r) => r.moved_fraction,
        None => run.modn_moved_fraction()?,
    };
    for result in &mut results {
        result.modn_moved_fraction = modn;
    }
    let search = if args.compare_search {
        Some(compare_search::compare(&compare_search::sizes(), seed)?)
    } else {
        None
    };

    let report = RingReport {
        seed,
        hash: args.hash,
        hash_seed: args.hash_seed,
        key_source,
        keys: keys.len(),
        key_bytes: keys.total_bytes(),
        nodes: membership.before.len(),
        change: Change::of(&membership, args.random_fail),
        threads,
        ring_points: uses_ring.then_some(u64::from(args.vnodes) * args.nodes as u64),
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        strategies: results,
        compare_search: search,
    };
    if let Some(path) = &args.plot {
        plot::write(path, &report).with_context(|| format!("writing {}", path.display()))?;
    }
    emit(format, &report, out)?;
    Ok(Status::Ok)
}

/// The keys of an RDB dump with their sizes, and the dump's name; `None`
/// when the dump is corrupt or holds no key (reported here).
fn dump_keys(path: &Path) -> anyhow::Result<Option<(KeySource, String)>> {
    let name = input::name(&Some(path.to_path_buf()));
    // The mapping is dropped before the simulation: only the keys stay.
    let data = input::map_expecting(path, Some(b"REDIS"))
        .with_context(|| format!("cannot open {name}"))?;
    match read_rdb(&data) {
        Ok(set) => Ok(Some((KeySource::Set(set), name))),
        Err(e) => {
            problem(format!("{name}: {e}"));
            Ok(None)
        }
    }
}

/// The strategies named, in the order given and without repeats; all of
/// them when none is named.
fn chosen(named: &[Strategy]) -> Vec<Strategy> {
    if named.is_empty() {
        return Strategy::ALL.to_vec();
    }
    let mut out = Vec::new();
    for &s in named {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}
