//! The `ring simulate` report: one serializable struct for JSON, and its
//! human view — a table per strategy with a bar chart of per-node load,
//! a summary across strategies, and the search comparison.

use std::io::{self, Write};

use serde::Serialize;

use crate::output::bytes::ByteString;
use crate::output::{Report, table};
use crate::ring::compare_search::SearchComparison;
use crate::ring::hash::HashFunction;
use crate::ring::search::Layout;
use crate::ring::simulate::{LoadStats, Membership, NodeLoad, StrategyResult};

#[derive(Serialize)]
pub struct RingReport {
    pub seed: u64,
    pub hash: HashFunction,
    pub hash_seed: u64,
    /// `synthetic`, or the keys file's name.
    pub key_source: String,
    pub keys: u64,
    /// Total key bytes, when sizes are known.
    pub key_bytes: Option<u64>,
    pub nodes: usize,
    pub change: Change,
    pub threads: usize,
    /// Points on the initial ring (ring, bounded), for reading the search
    /// comparison.
    pub ring_points: Option<u64>,
    pub elapsed_ms: f64,
    pub strategies: Vec<StrategyResult>,
    pub compare_search: Option<SearchComparison>,
}

/// The membership change applied after the initial placement.
#[derive(Serialize)]
pub struct Change {
    pub added: Vec<ByteString>,
    pub removed: Vec<ByteString>,
    pub random_fail: bool,
    pub nodes_after: usize,
}

impl Change {
    pub fn of(m: &Membership, random_fail: bool) -> Change {
        let names = |nodes: &[crate::ring::Node]| {
            nodes.iter().map(|n| ByteString(n.name.clone())).collect()
        };
        Change {
            added: names(&m.added),
            removed: names(&m.removed),
            random_fail,
            nodes_after: m.after.len(),
        }
    }

    fn describe(&self) -> String {
        let list = |nodes: &[ByteString]| {
            let shown: Vec<String> = nodes.iter().take(4).map(|n| n.to_string()).collect();
            let more = nodes.len().saturating_sub(4);
            if more > 0 {
                format!("{}, … {more} more", shown.join(", "))
            } else {
                shown.join(", ")
            }
        };
        let mut parts = Vec::new();
        if !self.removed.is_empty() {
            let how = if self.random_fail { "random" } else { "last" };
            parts.push(format!(
                "remove {} ({how}: {})",
                self.removed.len(),
                list(&self.removed)
            ));
        }
        if !self.added.is_empty() {
            parts.push(format!("add {} ({})", self.added.len(), list(&self.added)));
        }
        if parts.is_empty() {
            "no change".to_owned()
        } else {
            format!("{} → {} nodes", parts.join(", "), self.nodes_after)
        }
    }
}

/// Width of the longest load bar, in character cells.
const BAR_WIDTH: usize = 40;
/// Nodes shown one bar each; beyond this the heaviest and lightest are.
const BARS_ALL_UP_TO: usize = 20;
const BARS_EACH_END: usize = 8;

impl Report for RingReport {
    fn table(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{} nodes, {} keys ({}{}); {}; hash {}{}; seed {}",
            self.nodes,
            group(self.keys),
            self.key_source,
            self.key_bytes
                .map_or(String::new(), |b| format!(", {}", human_bytes(b))),
            self.change.describe(),
            self.hash.name(),
            if self.hash_seed != 0 {
                format!(" (salt {})", self.hash_seed)
            } else {
                String::new()
            },
            self.seed
        )?;
        for s in &self.strategies {
            writeln!(out)?;
            strategy_section(out, s)?;
        }
        writeln!(out)?;
        summary(out, &self.strategies)?;
        if let Some(search) = &self.compare_search {
            writeln!(out)?;
            search_section(out, search, self.ring_points)?;
        }
        writeln!(
            out,
            "\n{} strategies in {:.1} s on {} threads",
            self.strategies.len(),
            self.elapsed_ms / 1e3,
            self.threads
        )
    }
}

fn strategy_section(out: &mut dyn Write, s: &StrategyResult) -> io::Result<()> {
    writeln!(out, "{} — {}", s.name, s.description)?;
    let mut t = table::new(["load", "min", "max", "mean", "stddev", "max/mean"]);
    let mut row = |label: String, l: &LoadStats, unit: fn(u64) -> String| {
        t.add_row([
            label,
            unit(l.min),
            unit(l.max),
            unit(l.mean.round() as u64),
            format!("{:.2}%", l.stddev_pct),
            format!("{:.3}", l.max_over_mean),
        ]);
    };
    row(format!("keys, {} nodes", s.nodes), &s.load, group);
    if let Some(after) = &s.after {
        row(format!("keys, {} nodes", after.nodes), &after.load, group);
    }
    if let Some(b) = &s.load_bytes {
        row(format!("bytes, {} nodes", s.nodes), b, human_bytes);
    }
    if let Some(b) = s.after.as_ref().and_then(|a| a.load_bytes.as_ref()) {
        row(
            format!("bytes, {} nodes", s.after.as_ref().map_or(0, |a| a.nodes)),
            b,
            human_bytes,
        );
    }
    table::align_right(&mut t, &[1, 2, 3, 4, 5]);
    table::write(out, &t)?;
    if let Some(cap) = s.capacity {
        writeln!(out, "capacity: {} keys per node", group(cap))?;
    }
    if let (Some(moved), Some(optimal)) = (s.moved_fraction, s.optimal_moved_fraction) {
        let mut line = format!(
            "moved: {} of keys ({} keys), optimum {}",
            pct(moved),
            group(s.moved_keys.unwrap_or(0)),
            pct(optimal)
        );
        if let Some(modn) = s.modn_moved_fraction {
            line.push_str(&format!(", mod-N {}", pct(modn)));
        }
        if let Some(bytes) = s.moved_bytes_fraction {
            line.push_str(&format!("; {} of bytes", pct(bytes)));
        }
        if let Some(extra) = s.moved_between_survivors.filter(|&n| n > 0) {
            line.push_str(&format!(
                "; {} keys moved between nodes that stayed",
                group(extra)
            ));
        }
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "lookup: {:.1} ns ({} lookups/s, 1 thread); build {:.2} ms; structure {}; \
         placed {} keys{} in {:.0} ms on {} thread{}",
        s.lookup_ns,
        si(s.lookups_per_sec),
        s.build_ms,
        human_bytes(s.memory_bytes),
        group(s.keys),
        if s.after.is_some() { " twice" } else { "" },
        s.place_ms,
        s.place_threads,
        if s.place_threads == 1 { "" } else { "s" }
    )?;
    let (per_node, label) = match &s.after {
        Some(after) => (
            &after.per_node,
            format!("after the change, {} nodes", after.nodes),
        ),
        None => (&s.per_node, format!("{} nodes", s.nodes)),
    };
    writeln!(out, "keys per node ({label}):")?;
    bars(out, per_node)
}

/// One bar per node (or the heaviest and lightest when there are many),
/// scaled to the heaviest, with the count and the deviation from the mean.
fn bars(out: &mut dyn Write, nodes: &[NodeLoad]) -> io::Result<()> {
    let max = nodes.iter().map(|n| n.keys).max().unwrap_or(0).max(1);
    let mean = nodes.iter().map(|n| n.keys as f64).sum::<f64>() / nodes.len().max(1) as f64;
    let name_width = nodes
        .iter()
        .map(|n| n.node.to_string().chars().count())
        .max()
        .unwrap_or(0);
    let count_width = group(max).len();
    let line = |out: &mut dyn Write, n: &NodeLoad| {
        let deviation = if mean > 0.0 {
            100.0 * (n.keys as f64 - mean) / mean
        } else {
            0.0
        };
        writeln!(
            out,
            "  {:<name_width$}  {}  {:>count_width$}  {:+.1}%",
            n.node.to_string(),
            bar(n.keys, max),
            group(n.keys),
            deviation
        )
    };
    if nodes.len() <= BARS_ALL_UP_TO {
        for n in nodes {
            line(out, n)?;
        }
        return Ok(());
    }
    let mut sorted: Vec<&NodeLoad> = nodes.iter().collect();
    sorted.sort_by_key(|n| std::cmp::Reverse(n.keys));
    for n in &sorted[..BARS_EACH_END] {
        line(out, n)?;
    }
    writeln!(
        out,
        "  {:<name_width$}  … {} nodes between",
        "",
        sorted.len() - 2 * BARS_EACH_END
    )?;
    for n in &sorted[sorted.len() - BARS_EACH_END..] {
        line(out, n)?;
    }
    Ok(())
}

/// A bar of `BAR_WIDTH` cells at `max`, in eighths of a cell.
fn bar(value: u64, max: u64) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (value as u128 * (BAR_WIDTH as u128 * 8) / max as u128) as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8]);
    }
    let cells = s.chars().count();
    s.extend(std::iter::repeat_n(' ', BAR_WIDTH - cells.min(BAR_WIDTH)));
    s
}

fn summary(out: &mut dyn Write, strategies: &[StrategyResult]) -> io::Result<()> {
    let mut t = table::new([
        "strategy",
        "stddev",
        "max/mean",
        "moved",
        "optimum",
        "lookup ns",
        "lookups/s",
        "build ms",
        "memory",
    ]);
    for s in strategies {
        let load = s.after.as_ref().map_or(&s.load, |a| &a.load);
        t.add_row([
            s.name.to_owned(),
            format!("{:.2}%", load.stddev_pct),
            format!("{:.3}", load.max_over_mean),
            s.moved_fraction.map_or("-".to_owned(), pct),
            s.optimal_moved_fraction.map_or("-".to_owned(), pct),
            format!("{:.1}", s.lookup_ns),
            si(s.lookups_per_sec),
            format!("{:.2}", s.build_ms),
            human_bytes(s.memory_bytes),
        ]);
    }
    table::align_right(&mut t, &[1, 2, 3, 4, 5, 6, 7, 8]);
    let title = if strategies.iter().any(|s| s.after.is_some()) {
        "summary (load after the change):"
    } else {
        "summary:"
    };
    table::write_titled(out, title, &t)
}

fn search_section(
    out: &mut dyn Write,
    search: &SearchComparison,
    ring_points: Option<u64>,
) -> io::Result<()> {
    let mut t = table::new([
        "points",
        "linear ns",
        "linear_count ns",
        "binary ns",
        "eytzinger ns",
        "fastest",
    ]);
    for r in &search.rows {
        t.add_row([
            group(r.points as u64),
            format!("{:.1}", r.linear_ns),
            format!("{:.1}", r.linear_count_ns),
            format!("{:.1}", r.binary_ns),
            format!("{:.1}", r.eytzinger_ns),
            r.fastest.to_owned(),
        ]);
    }
    table::align_right(&mut t, &[0, 1, 2, 3, 4]);
    table::write_titled(
        out,
        "successor search over sorted ring points, this machine (median ns per lookup):",
        &t,
    )?;
    for c in &search.crossovers {
        let sizes = |list: &[usize]| {
            let shown: Vec<String> = list.iter().map(|&n| group(n as u64)).collect();
            shown.join(", ")
        };
        let sentence = match c.settles_at {
            None if c.winner_for_large == "binary" => {
                format!(
                    "{} vs binary: binary is faster at every measured size",
                    c.layout
                )
            }
            None => format!(
                "{} vs binary: {} is faster at every measured size",
                c.layout, c.layout
            ),
            Some(at) => {
                let earlier: Vec<usize> = if c.winner_for_large == "binary" {
                    c.faster_than_binary_at.clone()
                } else {
                    search
                        .rows
                        .iter()
                        .filter(|r| r.points < at && !c.faster_than_binary_at.contains(&r.points))
                        .map(|r| r.points)
                        .collect()
                };
                let other = if c.winner_for_large == "binary" {
                    c.layout
                } else {
                    "binary"
                };
                format!(
                    "{} vs binary: {} is faster from {} points on; {} was faster at {} points",
                    c.layout,
                    c.winner_for_large,
                    group(at as u64),
                    other,
                    sizes(&earlier)
                )
            }
        };
        writeln!(out, "{sentence}")?;
    }
    if let Some((points, r)) = ring_points.and_then(|p| search.row_for(p as usize).map(|r| (p, r)))
    {
        let verdict = if r.fastest == Layout::Binary.name() {
            format!(
                "binary search is the fastest layout there ({:.1} ns)",
                r.binary_ns
            )
        } else {
            format!(
                "{} is the fastest layout there ({:.1} ns, binary search {:.1} ns)",
                r.fastest,
                r.ns(layout_named(r.fastest)),
                r.binary_ns
            )
        };
        writeln!(
            out,
            "the simulated ring has {} points; at {} measured points {verdict}",
            group(points),
            group(r.points as u64),
        )?;
    }
    Ok(())
}

fn layout_named(name: &str) -> Layout {
    Layout::ALL
        .into_iter()
        .find(|l| l.name() == name)
        .unwrap_or(Layout::Binary)
}

/// 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(fraction: f64) -> String {
    format!("{:.2}%", fraction * 100.0)
}

/// 26_200_000.0 → "26.2 M".
fn si(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.2} G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.1} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// Bytes in binary units: "25.0 KiB".
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(12_345_678), "12,345,678");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(25 * 1024), "25.0 KiB");
        assert_eq!(si(26_200_000.0), "26.2 M");
        assert_eq!(pct(0.0909), "9.09%");
    }

    #[test]
    fn bars_are_bounded_and_proportional() {
        assert_eq!(bar(100, 100).chars().count(), BAR_WIDTH);
        assert_eq!(bar(100, 100), "█".repeat(BAR_WIDTH));
        assert_eq!(bar(0, 100).trim(), "");
        assert_eq!(bar(50, 100).trim_end(), "█".repeat(BAR_WIDTH / 2));
        assert_eq!(bar(1, 320).trim_end(), "▏");
        assert!(bar(u64::MAX, u64::MAX).chars().count() == BAR_WIDTH);
    }
}
