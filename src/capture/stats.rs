//! Running statistics over command events, in bounded memory: counts and
//! bytes per command, latency percentiles from a log-linear histogram (about
//! 3% precision), the slowest commands and the biggest replies.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::pairing::{Command, Outcome, command_name_into, is_container};
use super::reassembly::Micros;

/// Exact below this; above it, 32 buckets per power of two.
const LINEAR: u64 = 64;
const SUB_BITS: u32 = 5;

/// Latencies in microseconds.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    max: u64,
    sum: u64,
}

fn bucket_of(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // >= 6
    let shift = e - SUB_BITS;
    let mantissa = (v >> shift) - (1 << SUB_BITS); // 0..32
    (LINEAR + u64::from(e - 6) * (1 << SUB_BITS) + mantissa) as usize
}

/// The highest value bucket `i` holds.
fn bucket_high(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let k = i - LINEAR;
    let e = k / (1 << SUB_BITS) + 6;
    let mantissa = k % (1 << SUB_BITS) + (1 << SUB_BITS);
    let shift = e - u64::from(SUB_BITS);
    ((mantissa + 1) << shift) - 1
}

impl Histogram {
    pub fn add(&mut self, v: u64) {
        let i = bucket_of(v);
        if self.buckets.len() <= i {
            self.buckets.resize(i + 1, 0);
        }
        self.buckets[i] += 1;
        self.count += 1;
        self.max = self.max.max(v);
        self.sum = self.sum.saturating_add(v);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0..=1), `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(bucket_high(i).min(self.max));
            }
        }
        Some(self.max)
    }

    pub fn mean(&self) -> Option<u64> {
        (self.count > 0).then(|| self.sum / self.count)
    }
}

/// Totals for one command name.
#[derive(Clone, Debug, Default)]
pub struct CommandTotals {
    pub count: u64,
    pub request_bytes: u64,
    pub reply_bytes: u64,
    pub errors: u64,
    /// Commands with no reply to time (see [`Outcome`]).
    pub unreplied: u64,
    pub latency: Histogram,
}

/// A command remembered for a top-N list.
#[derive(Clone, Debug)]
pub struct Notable {
    pub time: Micros,
    pub client: SocketAddr,
    /// The first arguments, each cut short.
    pub args: Vec<Vec<u8>>,
    /// Arguments left out.
    pub more_args: usize,
    pub latency: Micros,
    pub reply_bytes: u64,
}

/// Arguments and bytes per argument kept for a notable command.
const NOTABLE_ARGS: usize = 8;
const NOTABLE_ARG_BYTES: usize = 64;

impl Notable {
    fn of(e: &Command<'_>) -> Notable {
        Notable {
            time: e.time,
            client: e.client,
            args: e
                .args
                .iter()
                .take(NOTABLE_ARGS)
                .map(|a| a[..a.len().min(NOTABLE_ARG_BYTES)].to_vec())
                .collect(),
            more_args: e.args.len().saturating_sub(NOTABLE_ARGS),
            latency: e.latency.unwrap_or(0),
            reply_bytes: e.reply.as_ref().map_or(0, |r| r.bytes),
        }
    }
}

/// The N largest by a key, smallest evicted first.
#[derive(Clone, Debug)]
pub struct Top {
    n: usize,
    items: Vec<(u64, Notable)>,
}

impl Top {
    pub fn new(n: usize) -> Top {
        Top {
            n,
            items: Vec::new(),
        }
    }

    fn offer(&mut self, key: u64, make: impl FnOnce() -> Notable) {
        if self.items.len() == self.n && self.items.last().is_some_and(|(k, _)| *k >= key) {
            return;
        }
        let at = self.items.partition_point(|(k, _)| *k >= key);
        self.items.insert(at, (key, make()));
        self.items.truncate(self.n);
    }

    /// Largest first.
    pub fn items(&self) -> impl Iterator<Item = &Notable> {
        self.items.iter().map(|(_, n)| n)
    }
}

/// Command names kept apart; later new names are counted as `(other)`.
pub const MAX_NAMES: usize = 1000;

/// Everything the summary says about commands.
#[derive(Clone, Debug)]
pub struct CommandStats {
    /// Totals per name, in order of first sight; `index` finds them.
    names: Vec<(Vec<u8>, CommandTotals)>,
    index: HashMap<Vec<u8>, usize, foldhash::fast::RandomState>,
    /// The first argument of the last command as sent and where its totals
    /// are, when that argument alone is the name (not a container command):
    /// a stream repeats a few commands, and a repeat skips the uppercasing
    /// and the table.
    last: Option<(Vec<u8>, usize)>,
    pub total: u64,
    pub replied: u64,
    pub by_outcome: [u64; 4],
    pub slowest: Top,
    pub biggest_replies: Top,
    /// Reused for each command's name.
    name: Vec<u8>,
}

impl Default for CommandStats {
    fn default() -> CommandStats {
        CommandStats {
            names: Vec::new(),
            index: HashMap::default(),
            last: None,
            total: 0,
            replied: 0,
            by_outcome: [0; 4],
            slowest: Top::new(10),
            biggest_replies: Top::new(10),
            name: Vec::new(),
        }
    }
}

impl CommandStats {
    pub fn add(&mut self, e: &Command<'_>) {
        self.total += 1;
        self.by_outcome[e.outcome as usize] += 1;
        let at = match (&self.last, e.args.first()) {
            (Some((raw, at)), Some(first)) if crate::bytes::same(raw, first) => *at,
            _ => self.lookup(e.args),
        };
        let t = &mut self.names[at].1;
        t.count += 1;
        t.request_bytes += e.request_bytes;
        match (e.reply, e.latency) {
            (Some(reply), Some(latency)) if e.outcome == Outcome::Replied => {
                self.replied += 1;
                t.reply_bytes += reply.bytes;
                t.errors += u64::from(reply.error.is_some());
                t.latency.add(latency);
                self.slowest.offer(latency, || Notable::of(e));
                self.biggest_replies.offer(reply.bytes, || Notable::of(e));
            }
            _ => t.unreplied += 1,
        }
    }

    /// Where the totals of the command `args` are (made when new), and
    /// remember it for a repeat.
    fn lookup(&mut self, args: &[&[u8]]) -> usize {
        command_name_into(args, &mut self.name);
        let at = match self.index.get(&self.name) {
            Some(&at) => at,
            None => {
                if self.names.len() >= MAX_NAMES {
                    self.name.clear();
                    self.name.extend_from_slice(b"(other)");
                }
                match self.index.get(&self.name) {
                    Some(&at) => at,
                    None => {
                        self.names
                            .push((self.name.clone(), CommandTotals::default()));
                        self.index.insert(self.name.clone(), self.names.len() - 1);
                        self.names.len() - 1
                    }
                }
            }
        };
        self.last = args
            .first()
            .filter(|first| !is_container(&first.to_ascii_uppercase()))
            .map(|first| (first.to_vec(), at));
        at
    }

    /// Totals per command name, in no particular order.
    pub fn totals(&self) -> impl Iterator<Item = &CommandTotals> {
        self.names.iter().map(|(_, t)| t)
    }

    /// Names by count (then name).
    pub fn sorted(&self) -> Vec<(&Vec<u8>, &CommandTotals)> {
        let mut v: Vec<_> = self.names.iter().map(|(n, t)| (n, t)).collect();
        v.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        v
    }

    pub fn outcome(&self, o: Outcome) -> u64 {
        self.by_outcome[o as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..5000u64).chain([1 << 20, (1 << 40) + 12345, u64::MAX / 2]) {
            let i = bucket_of(v);
            assert!(i >= last || v == 1 << 20, "bucket order at {v}");
            last = i;
            let high = bucket_high(i);
            assert!(high >= v, "{v} above its bucket's top {high}");
            assert!(high - v <= v / 32, "{v} -> {high} too coarse");
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for v in 1..=1000 {
            h.add(v);
        }
        let p50 = h.quantile(0.5).unwrap();
        assert!((485..=515).contains(&p50), "p50 {p50}");
        let p99 = h.quantile(0.99).unwrap();
        assert!((975..=1000).contains(&p99), "p99 {p99}");
        assert_eq!(h.quantile(1.0), Some(1000));
        assert_eq!(h.max(), 1000);
    }

    #[test]
    fn top_keeps_the_largest() {
        let mut t = Top::new(3);
        let n = |v: u64| Notable {
            time: v,
            client: "127.0.0.1:1".parse().unwrap(),
            args: vec![],
            more_args: 0,
            latency: v,
            reply_bytes: 0,
        };
        for v in [5, 1, 9, 3, 7, 9] {
            t.offer(v, || n(v));
        }
        let got: Vec<u64> = t.items().map(|x| x.latency).collect();
        assert_eq!(got, [9, 9, 7]);
    }
}
