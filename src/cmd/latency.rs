//! `sonde latency`: PING round trips of a live server, as redis-cli's
//! --latency, --latency-history and --latency-dist, or this host's
//! intrinsic latency (--intrinsic-latency).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Status;
use crate::cli::LatencyArgs;
use crate::connect::TlsInfo;
use crate::live::latency::{self, Bucket, Intrinsic, Samples, Stats};
use crate::output::{Format, Report, emit, table};

/// The final report of a PING run.
#[derive(Serialize)]
pub struct LatencyReport {
    #[serde(rename = "type")]
    kind: &'static str,
    server: String,
    tls: Option<TlsInfo>,
    #[serde(flatten)]
    stats: Stats,
    histogram: Vec<Bucket>,
    #[serde(skip)]
    show_histogram: bool,
}

/// One --history window.
#[derive(Serialize)]
struct Window {
    #[serde(rename = "type")]
    kind: &'static str,
    /// Unix milliseconds at the end of the window.
    unix_ms: u64,
    #[serde(flatten)]
    stats: Stats,
}

impl Report for LatencyReport {
    fn table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let s = &self.stats;
        let ms = |v: f64| format!("{v:.3} ms");
        let mut rows = vec![
            ("server", self.server.clone()),
            ("samples", s.samples.to_string()),
            ("min", ms(s.min_ms)),
            ("mean", ms(s.mean_ms)),
            ("p50", ms(s.p50_ms)),
            ("p90", ms(s.p90_ms)),
            ("p99", ms(s.p99_ms)),
            ("p99.9", ms(s.p999_ms)),
            ("max", ms(s.max_ms)),
        ];
        if let Some(tls) = &self.tls {
            rows.push(("tls", format!("{} {}", tls.version, tls.cipher)));
        }
        table::write(out, &table::key_values(rows))?;
        if self.show_histogram {
            histogram_table(out, &self.histogram, s.samples, "Round trips")?;
        }
        Ok(())
    }
}

fn histogram_table(
    out: &mut dyn Write,
    buckets: &[Bucket],
    total: u64,
    title: &str,
) -> std::io::Result<()> {
    let mut t = table::new(["at most", "count", "share", ""]);
    let most = buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1);
    for b in buckets {
        let bound = match b.le_ms {
            Some(ms) if ms < 1.0 => format!("{:.0} µs", ms * 1000.0),
            Some(ms) => format!("{ms} ms"),
            None => "more".to_owned(),
        };
        let share = b.count as f64 * 100.0 / total.max(1) as f64;
        let bar = "█".repeat(((b.count * 40).div_ceil(most)) as usize);
        t.add_row(vec![
            bound,
            b.count.to_string(),
            format!("{share:.1}%"),
            bar,
        ]);
    }
    table::align_right(&mut t, &[0, 1, 2]);
    table::write_titled(out, title, &t)
}

impl Report for Intrinsic {
    fn table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let worst = if self.mean_ns > 0.0 {
            self.max_us * 1000.0 / self.mean_ns
        } else {
            0.0
        };
        table::write(
            out,
            &table::key_values([
                ("runs", self.runs.to_string()),
                ("seconds", format!("{:.1}", self.seconds)),
                ("mean per run", format!("{:.1} ns", self.mean_ns)),
                ("max latency", format!("{:.0} µs", self.max_us)),
                ("worst / mean", format!("{worst:.0}x")),
            ]),
        )?;
        let total = self.histogram.iter().map(|b| b.count).sum();
        if total > 0 {
            histogram_table(out, &self.histogram, total, "Gaps of 10 µs and more")?;
        }
        Ok(())
    }
}

/// A line on stderr rewritten in place (only on a terminal, table format).
pub(super) struct LiveLine {
    on: bool,
    last: Option<Instant>,
}

impl LiveLine {
    pub(super) fn new(format: Format) -> LiveLine {
        LiveLine {
            on: format == Format::Table && std::io::stderr().is_terminal(),
            last: None,
        }
    }

    /// Redraw at most four times a second.
    pub(super) fn update(&mut self, text: impl FnOnce() -> String) {
        if !self.on
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(250))
        {
            return;
        }
        self.last = Some(Instant::now());
        eprint!("\r\x1b[K{}", text());
    }

    pub(super) fn clear(&mut self) {
        if self.on && self.last.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

pub fn run(args: &LatencyArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    crate::stop::catch(crate::stop::Repeat::Kill);
    let mut live = LiveLine::new(format);
    if let Some(duration) = args.intrinsic {
        let report = latency::intrinsic(duration, &mut |max| {
            live.update(|| format!("max latency so far: {} µs", max.as_micros()));
            !crate::stop::requested()
        });
        live.clear();
        emit(format, &report, out)?;
        return Ok(Status::Ok);
    }
    let (endpoint, mut client) = super::live_client(
        &args.connect,
        args.server.as_deref(),
        Duration::from_secs(10),
    )?;
    let started = Instant::now();
    let deadline = args.duration.map(|d| started + d);
    let interval = Duration::from_millis(args.sample_interval);
    let mut total = Samples::default();
    let mut window = Samples::default();
    let mut window_start = Instant::now();
    let json_lines = format == Format::Json && args.history.is_some();
    let mut rows_printed = 0u64;
    loop {
        if crate::stop::requested()
            || args.count.is_some_and(|n| total.count() >= n)
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        let sent = Instant::now();
        client.call(&["PING"])?;
        let rtt = sent.elapsed();
        total.add(rtt);
        window.add(rtt);
        if let Some(every) = args.history
            && window_start.elapsed() >= every
        {
            let row = Window {
                kind: "window",
                unix_ms: unix_ms(),
                stats: window.stats(),
            };
            live.clear();
            if json_lines {
                serde_json::to_writer(&mut *out, &row)?;
                writeln!(out)?;
            } else {
                history_row(out, &row.stats, rows_printed == 0)?;
            }
            out.flush()?;
            rows_printed += 1;
            window = Samples::default();
            window_start = Instant::now();
        }
        live.update(|| {
            let s = total.stats();
            format!(
                "min: {:.2}, max: {:.2}, avg: {:.2}, p99: {:.2} ({} samples) ms",
                s.min_ms, s.max_ms, s.mean_ms, s.p99_ms, s.samples
            )
        });
        if !interval.is_zero() {
            std::thread::sleep(interval);
        }
    }
    live.clear();
    let report = LatencyReport {
        kind: "summary",
        server: endpoint.to_string(),
        tls: client.tls().cloned(),
        stats: total.stats(),
        histogram: total.histogram(),
        show_histogram: args.dist,
    };
    if json_lines {
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        if rows_printed > 0 {
            writeln!(out)?;
        }
        emit(format, &report, out)?;
    }
    Ok(Status::Ok)
}

fn history_row(out: &mut dyn Write, s: &Stats, header: bool) -> std::io::Result<()> {
    if header {
        writeln!(
            out,
            "{:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "samples", "min ms", "mean ms", "p50 ms", "p99 ms", "max ms"
        )?;
    }
    writeln!(
        out,
        "{:>8} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
        s.samples, s.min_ms, s.mean_ms, s.p50_ms, s.p99_ms, s.max_ms
    )
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
