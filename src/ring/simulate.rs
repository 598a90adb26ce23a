//! The simulation: place every key with each strategy on the initial
//! membership and on the changed one, then count load per node (in keys,
//! and in bytes when sizes are known) and the keys that moved, next to the
//! optimum and to what mod-N moves.
//!
//! Stateless strategies are run on all cores: key indices are handed out
//! in chunks, each worker keeps its own counters, and the counters are
//! summed at the end. Bounded loads depends on arrival order, so it runs
//! on one thread in key order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::keys::{KeySet, KeySource};
use super::lookup::{self, LookupCost};
use super::random::Random;
use super::strategy::{Config, Node, Placement, Strategy};
use super::timing::Stopwatch;
use super::{RingError, modn};
use crate::output::bytes::ByteString;

/// Keys per work unit handed to a worker.
const CHUNK: u64 = 1 << 16;

/// Largest membership simulated.
pub const MAX_NODES: u32 = 1_000_000;

/// The membership change and how the work is run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Initial node count.
    pub nodes: u32,
    /// Nodes added after the initial placement.
    pub add: u32,
    /// Nodes removed after the initial placement.
    pub remove: u32,
    /// Remove random nodes instead of the last ones.
    pub random_fail: bool,
    /// Seed of every random choice.
    pub seed: u64,
    /// Worker threads for the placement pass.
    pub threads: usize,
    /// Lookups timed per strategy.
    pub lookups: u64,
}

/// Who is in the cluster before and after the change.
#[derive(Clone, Debug)]
pub struct Membership {
    pub before: Vec<Node>,
    pub after: Vec<Node>,
    pub added: Vec<Node>,
    pub removed: Vec<Node>,
}

impl Membership {
    pub fn changed(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }

    /// Nodes ever present; ids run from 0 below this.
    fn id_space(&self) -> usize {
        self.before
            .iter()
            .chain(&self.added)
            .map(|n| n.id as usize + 1)
            .max()
            .unwrap_or(0)
    }

    /// The least fraction of keys any scheme must move: the removed nodes'
    /// share, or the share the added nodes must receive, whichever is
    /// larger (removed keys can go straight to new nodes).
    pub fn optimal_moved_fraction(&self) -> Option<f64> {
        if !self.changed() {
            return None;
        }
        let removed = self.removed.len() as f64 / self.before.len() as f64;
        let added = self.added.len() as f64 / self.after.len() as f64;
        Some(removed.max(added))
    }
}

impl Scenario {
    /// Nodes `node-0 … node-<N-1>`; added nodes continue the numbering;
    /// removed nodes are the last ones, or random ones (seeded) with
    /// `random_fail`.
    pub fn membership(&self) -> Result<Membership, RingError> {
        if self.nodes == 0 {
            return Err(RingError::Scenario("--nodes must be at least 1".into()));
        }
        if self.remove >= self.nodes {
            return Err(RingError::Scenario(format!(
                "--remove {} would leave no node of {}",
                self.remove, self.nodes
            )));
        }
        let total = u64::from(self.nodes) + u64::from(self.add);
        if total > u64::from(MAX_NODES) {
            return Err(RingError::Scenario(format!(
                "at most {MAX_NODES} nodes (--nodes plus --add), not {total}"
            )));
        }
        let before: Vec<Node> = (0..self.nodes).map(Node::numbered).collect();
        let removed_ids: Vec<u32> = if self.random_fail {
            let mut rng = Random::new(self.seed);
            rng.choose(self.nodes as usize, self.remove as usize)
                .into_iter()
                .map(|i| i as u32)
                .collect()
        } else {
            (self.nodes - self.remove..self.nodes).collect()
        };
        let removed: Vec<Node> = removed_ids.iter().map(|&id| Node::numbered(id)).collect();
        let added: Vec<Node> = (self.nodes..self.nodes + self.add)
            .map(Node::numbered)
            .collect();
        let after: Vec<Node> = before
            .iter()
            .filter(|n| !removed_ids.contains(&n.id))
            .cloned()
            .chain(added.iter().cloned())
            .collect();
        Ok(Membership {
            before,
            after,
            added,
            removed,
        })
    }
}

/// Load statistics over the nodes of one membership.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LoadStats {
    pub min: u64,
    pub max: u64,
    pub mean: f64,
    /// Population standard deviation as a percentage of the mean.
    pub stddev_pct: f64,
    pub max_over_mean: f64,
}

impl LoadStats {
    pub fn of(values: &[u64]) -> LoadStats {
        let n = values.len().max(1) as f64;
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        let ratio = |x: f64| if mean > 0.0 { x / mean } else { 0.0 };
        let max = values.iter().copied().max().unwrap_or(0);
        LoadStats {
            min: values.iter().copied().min().unwrap_or(0),
            max,
            mean,
            stddev_pct: 100.0 * ratio(var.sqrt()),
            max_over_mean: ratio(max as f64),
        }
    }
}

/// One node's share.
#[derive(Clone, Debug, Serialize)]
pub struct NodeLoad {
    pub node: ByteString,
    pub keys: u64,
    /// Bytes, when key sizes are known.
    pub bytes: Option<u64>,
}

/// Load over one membership.
#[derive(Clone, Debug, Serialize)]
pub struct Load {
    pub nodes: usize,
    /// In keys.
    pub load: LoadStats,
    /// In bytes, when key sizes are known.
    pub load_bytes: Option<LoadStats>,
    pub per_node: Vec<NodeLoad>,
}

/// Everything measured for one strategy.
#[derive(Clone, Debug, Serialize)]
pub struct StrategyResult {
    pub name: &'static str,
    pub description: String,
    /// Initial node count.
    pub nodes: usize,
    pub keys: u64,
    /// Load on the initial membership.
    pub load: LoadStats,
    pub load_bytes: Option<LoadStats>,
    pub per_node: Vec<NodeLoad>,
    /// Load after the change (null when nothing changed).
    pub after: Option<Load>,
    /// Keys whose node differs after the change.
    pub moved_keys: Option<u64>,
    pub moved_fraction: Option<f64>,
    pub moved_bytes: Option<u64>,
    pub moved_bytes_fraction: Option<f64>,
    /// Moved keys that went from a surviving node to another surviving
    /// node: movement no change required (0 for monotone schemes).
    pub moved_between_survivors: Option<u64>,
    pub optimal_moved_fraction: Option<f64>,
    /// What mod-N moved for the same change and keys.
    pub modn_moved_fraction: Option<f64>,
    /// Bounded loads only: the per-node capacity before the change.
    pub capacity: Option<u64>,
    /// Median nanoseconds per lookup (hashing included), one thread.
    pub lookup_ns: f64,
    pub lookups_per_sec: f64,
    /// Lookups timed.
    pub lookups: u64,
    /// Time to build the initial structure.
    pub build_ms: f64,
    /// Wall time to place every key before and after the change.
    pub place_ms: f64,
    /// CPU time of that, summed over its threads (on a busy machine the
    /// wall time also counts waiting for a core).
    pub place_cpu_ms: f64,
    pub place_threads: usize,
    /// Heap bytes of the initial structure.
    pub memory_bytes: u64,
}

/// Counters of one worker (or of the sequential pass).
struct Tally {
    before: Vec<[u64; 2]>,
    after: Vec<[u64; 2]>,
    moved: u64,
    moved_bytes: u64,
    between_survivors: u64,
    /// CPU time spent by the threads that produced these counts.
    cpu: Duration,
}

impl Tally {
    fn new(ids: usize) -> Tally {
        Tally {
            before: vec![[0; 2]; ids],
            after: vec![[0; 2]; ids],
            moved: 0,
            moved_bytes: 0,
            between_survivors: 0,
            cpu: Duration::ZERO,
        }
    }

    #[inline]
    fn add(&mut self, before: u32, after: Option<u32>, weight: u64, changed: &ChangedIds) {
        let slot = &mut self.before[before as usize];
        slot[0] += 1;
        slot[1] += weight;
        if let Some(after) = after {
            let slot = &mut self.after[after as usize];
            slot[0] += 1;
            slot[1] += weight;
            if after != before {
                self.moved += 1;
                self.moved_bytes += weight;
                if !changed.removed[before as usize] && !changed.added[after as usize] {
                    self.between_survivors += 1;
                }
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        for (a, b) in self.before.iter_mut().zip(other.before) {
            a[0] += b[0];
            a[1] += b[1];
        }
        for (a, b) in self.after.iter_mut().zip(other.after) {
            a[0] += b[0];
            a[1] += b[1];
        }
        self.cpu += other.cpu;
        self.moved += other.moved;
        self.moved_bytes += other.moved_bytes;
        self.between_survivors += other.between_survivors;
    }
}

/// Ids added and removed, as flags indexed by id.
struct ChangedIds {
    added: Vec<bool>,
    removed: Vec<bool>,
}

impl ChangedIds {
    fn of(m: &Membership) -> ChangedIds {
        let mut added = vec![false; m.id_space()];
        let mut removed = vec![false; m.id_space()];
        for n in &m.added {
            added[n.id as usize] = true;
        }
        for n in &m.removed {
            removed[n.id as usize] = true;
        }
        ChangedIds { added, removed }
    }
}

/// The inputs every strategy's run shares.
pub struct Run<'a> {
    pub keys: &'a KeySource,
    pub membership: &'a Membership,
    pub config: Config,
    pub scenario: &'a Scenario,
    sample: KeySet,
    changed: ChangedIds,
}

impl<'a> Run<'a> {
    pub fn new(
        keys: &'a KeySource,
        membership: &'a Membership,
        config: Config,
        scenario: &'a Scenario,
    ) -> Run<'a> {
        Run {
            keys,
            membership,
            config,
            scenario,
            sample: lookup::sample(keys, scenario.seed ^ 0x6c6f_6f6b_7570),
            changed: ChangedIds::of(membership),
        }
    }

    /// Simulate one strategy.
    pub fn strategy(&self, strategy: Strategy) -> Result<StrategyResult, RingError> {
        let m = self.membership;
        let started = Instant::now();
        let mut before = strategy.build(&m.before, &self.config)?;
        let build_ms = ms(started);
        let capacity = capacity_of(strategy, &self.config, m.before.len());
        let mut after = if m.changed() {
            Some(before.resized(&m.after)?)
        } else {
            None
        };
        let started = Instant::now();
        let (tally, threads) = if before.is_stateful() {
            let threads = if after.is_some() { 2 } else { 1 };
            (
                self.sequential(&mut *before, after.as_deref_mut())?,
                threads,
            )
        } else {
            self.parallel(&*before, after.as_deref())?
        };
        let place_ms = ms(started);
        let cost: LookupCost = lookup::measure(&*before, &self.sample, self.scenario.lookups);
        let weighted = self.keys.has_weights();
        let total_bytes = self.keys.total_bytes();
        let (load, load_bytes, per_node) = loads(&tally.before, &m.before, weighted);
        let after_load = m.changed().then(|| {
            let (load, load_bytes, per_node) = loads(&tally.after, &m.after, weighted);
            Load {
                nodes: m.after.len(),
                load,
                load_bytes,
                per_node,
            }
        });
        let keys = self.keys.len();
        let fraction = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        let changed = m.changed();
        Ok(StrategyResult {
            name: strategy.name(),
            description: strategy.describe(&self.config),
            nodes: m.before.len(),
            keys,
            load,
            load_bytes,
            per_node,
            after: after_load,
            moved_keys: changed.then_some(tally.moved),
            moved_fraction: changed.then(|| fraction(tally.moved, keys)),
            moved_bytes: (changed && weighted).then_some(tally.moved_bytes),
            moved_bytes_fraction: total_bytes
                .filter(|_| changed)
                .map(|t| fraction(tally.moved_bytes, t)),
            moved_between_survivors: changed.then_some(tally.between_survivors),
            optimal_moved_fraction: m.optimal_moved_fraction(),
            modn_moved_fraction: None,
            capacity,
            lookup_ns: cost.ns,
            lookups_per_sec: cost.per_sec,
            lookups: cost.lookups,
            build_ms,
            place_ms,
            place_cpu_ms: tally.cpu.as_secs_f64() * 1e3,
            place_threads: threads,
            memory_bytes: before.memory_bytes() as u64,
        })
    }

    /// What mod-N moves for this change (without timing it).
    pub fn modn_moved_fraction(&self) -> Result<Option<f64>, RingError> {
        let m = self.membership;
        if !m.changed() {
            return Ok(None);
        }
        let before = modn::ModN::new(&m.before, self.config.hash);
        let after = before.resized(&m.after)?;
        let (tally, _) = self.parallel(&before, Some(&*after))?;
        Ok(Some(tally.moved as f64 / self.keys.len().max(1) as f64))
    }

    /// Stateful strategies: keys in order, one at a time. With a change,
    /// the initial and the changed structure are independent sequences, so
    /// each runs on its own thread, handing over its owners chunk by chunk
    /// (a few chunks in flight at most) to be compared here.
    fn sequential(
        &self,
        before: &mut dyn Placement,
        after: Option<&mut (dyn Placement + 'static)>,
    ) -> Result<Tally, RingError> {
        let watch = Stopwatch::start();
        let mut tally = Tally::new(self.membership.id_space());
        let Some(after) = after else {
            self.keys.for_each_in(0..self.keys.len(), |key, weight| {
                let b = before.place(key);
                tally.add(b, None, weight, &self.changed);
            });
            tally.cpu = watch.elapsed();
            return Ok(tally);
        };
        let len = self.keys.len();
        let produce = |placement: &mut dyn Placement, tx: mpsc::SyncSender<Vec<u32>>| {
            let watch = Stopwatch::start();
            let mut start = 0;
            while start < len {
                let mut owners = Vec::with_capacity(CHUNK as usize);
                self.keys.for_each_in(start..start + CHUNK, |key, _| {
                    owners.push(placement.place(key))
                });
                if tx.send(owners).is_err() {
                    break;
                }
                start += CHUNK;
            }
            watch.elapsed()
        };
        let weighted = self.keys.has_weights();
        let producers = std::thread::scope(|scope| {
            let (tx_before, rx_before) = mpsc::sync_channel(4);
            let (tx_after, rx_after) = mpsc::sync_channel(4);
            let first = scope.spawn(move || produce(before, tx_before));
            let second = scope.spawn(move || produce(after, tx_after));
            let mut start = 0;
            while let (Ok(b), Ok(a)) = (rx_before.recv(), rx_after.recv()) {
                if weighted {
                    let mut i = 0;
                    self.keys.for_each_in(start..start + CHUNK, |_, weight| {
                        tally.add(b[i], Some(a[i]), weight, &self.changed);
                        i += 1;
                    });
                } else {
                    for (&b, &a) in b.iter().zip(&a) {
                        tally.add(b, Some(a), 0, &self.changed);
                    }
                }
                start += CHUNK;
            }
            drop((rx_before, rx_after));
            match (first.join(), second.join()) {
                (Ok(a), Ok(b)) => Ok(a + b),
                _ => Err(RingError::Internal("a placement worker panicked".into())),
            }
        })?;
        tally.cpu += producers + watch.elapsed();
        Ok(tally)
    }

    fn parallel(
        &self,
        before: &dyn Placement,
        after: Option<&dyn Placement>,
    ) -> Result<(Tally, usize), RingError> {
        let len = self.keys.len();
        let threads = self
            .scenario
            .threads
            .clamp(1, len.div_ceil(CHUNK).max(1) as usize);
        let next = AtomicU64::new(0);
        let ids = self.membership.id_space();
        let work = || {
            let watch = Stopwatch::start();
            let mut tally = Tally::new(ids);
            loop {
                let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                if start >= len {
                    break;
                }
                self.keys.for_each_in(start..start + CHUNK, |key, weight| {
                    let b = before.locate(key);
                    let a = after.map(|a| a.locate(key));
                    tally.add(b, a, weight, &self.changed);
                });
            }
            tally.cpu = watch.elapsed();
            tally
        };
        let tallies: Vec<std::thread::Result<Tally>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            handles.into_iter().map(|h| h.join()).collect()
        });
        let mut total = Tally::new(ids);
        for tally in tallies {
            let tally =
                tally.map_err(|_| RingError::Internal("a placement worker panicked".into()))?;
            total.merge(tally);
        }
        Ok((total, threads))
    }
}

/// Bounded loads' capacity for `nodes` nodes.
fn capacity_of(strategy: Strategy, config: &Config, nodes: usize) -> Option<u64> {
    (strategy == Strategy::Bounded)
        .then(|| super::bounded::capacity(config.keys, nodes, config.epsilon).max(1))
}

fn loads(
    counts: &[[u64; 2]],
    nodes: &[Node],
    weighted: bool,
) -> (LoadStats, Option<LoadStats>, Vec<NodeLoad>) {
    let keys: Vec<u64> = nodes.iter().map(|n| counts[n.id as usize][0]).collect();
    let bytes: Vec<u64> = nodes.iter().map(|n| counts[n.id as usize][1]).collect();
    let per_node = nodes
        .iter()
        .zip(keys.iter().zip(&bytes))
        .map(|(n, (&k, &b))| NodeLoad {
            node: ByteString(n.name.clone()),
            keys: k,
            bytes: weighted.then_some(b),
        })
        .collect();
    (
        LoadStats::of(&keys),
        weighted.then(|| LoadStats::of(&bytes)),
        per_node,
    )
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::hash::Hasher;

    fn scenario(nodes: u32, add: u32, remove: u32) -> Scenario {
        Scenario {
            nodes,
            add,
            remove,
            random_fail: false,
            seed: 1,
            threads: 2,
            lookups: 1000,
        }
    }

    fn config(keys: u64) -> Config {
        Config {
            hash: Hasher::default(),
            vnodes: 160,
            table_size: 65_537,
            epsilon: 0.25,
            keys,
        }
    }

    #[test]
    fn load_stats() {
        let s = LoadStats::of(&[90, 100, 110]);
        assert_eq!((s.min, s.max, s.mean), (90, 110, 100.0));
        assert!((s.stddev_pct - 8.164_965_8).abs() < 1e-6);
        assert!((s.max_over_mean - 1.1).abs() < 1e-12);
    }

    #[test]
    fn membership_changes() {
        let m = scenario(5, 2, 0).membership().unwrap();
        assert_eq!(m.after.len(), 7);
        assert_eq!(m.optimal_moved_fraction(), Some(2.0 / 7.0));
        let m = scenario(5, 0, 2).membership().unwrap();
        let ids: Vec<u32> = m.after.iter().map(|n| n.id).collect();
        assert_eq!(ids, vec![0, 1, 2]);
        assert_eq!(m.optimal_moved_fraction(), Some(0.4));
        let mut s = scenario(10, 0, 3);
        s.random_fail = true;
        let a = s.membership().unwrap();
        let b = s.membership().unwrap();
        assert_eq!(a.removed, b.removed);
        assert!(scenario(3, 0, 3).membership().is_err());
        assert!(scenario(0, 1, 0).membership().is_err());
    }

    #[test]
    fn parallel_and_sequential_passes_agree() {
        let keys = KeySource::Synthetic { count: 200_000 };
        let s = scenario(7, 1, 0);
        let m = s.membership().unwrap();
        let run = Run::new(&keys, &m, config(200_000), &s);
        let ring = Strategy::Ring.build(&m.before, &run.config).unwrap();
        let grown = ring.resized(&m.after).unwrap();
        let (par, _) = run.parallel(&*ring, Some(&*grown)).unwrap();
        // The ring is stateless, so placing in order gives the same counts.
        let mut ring = Strategy::Ring.build(&m.before, &run.config).unwrap();
        let mut grown = ring.resized(&m.after).unwrap();
        let seq = run.sequential(&mut *ring, Some(&mut *grown)).unwrap();
        assert_eq!(par.before, seq.before);
        assert_eq!(par.after, seq.after);
        assert_eq!(par.moved, seq.moved);
        assert_eq!(par.between_survivors, 0);
    }
}
