//! `sonde resp sniff`: RESP commands seen on the wire, live or from a
//! capture file, one row (or JSON line) each, then a summary.

use std::io::{self, IsTerminal, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

use super::{Status, problem};
use crate::capture::connection::ConnectionLimits;
use crate::capture::detect::Detector;
use crate::capture::framing::Side;
use crate::capture::live::{self, LiveCapture};
use crate::capture::pcap::{CaptureFile, PcapOut};
use crate::capture::reassembly;
use crate::capture::stats::Notable;
use crate::capture::{Command, EventRef, Micros, Outcome, Sniffer, SnifferConfig, Totals, Trouble};
use crate::cli::RespSniffArgs;
use crate::hot::{Hot, HotReport, Seen};
use crate::output::bytes::{ByteString, JsonBytes, display, display_short};
use crate::output::json::JsonLines;
use crate::output::metrics::{Endpoint, Page, Rate};
use crate::output::stream::{Column, Columns};
use crate::output::{Format, Report, emit, table};

/// Ports the kernel filter can hold.
const MAX_PORTS: usize = 32;

pub fn run(args: &RespSniffArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    let expr = args
        .filter
        .as_deref()
        .map(crate::capture::filter::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let ports = match &args.pcap {
        _ if !args.ports.is_empty() => args.ports.clone(),
        Some(path) => {
            let mut found = find_servers(path)?;
            if found.is_empty() {
                bail!(
                    "found no RESP server in {}: no connection in it has one side answering \
                     RESP arrays with RESP; name the server's port with --port",
                    path.display()
                );
            }
            found.truncate(MAX_PORTS);
            let text: Vec<String> = found.iter().map(u16::to_string).collect();
            eprintln!(
                "sonde: RESP servers found in {} on TCP port {}",
                path.display(),
                text.join(", ")
            );
            found
        }
        None => vec![6379],
    };
    if ports.len() > MAX_PORTS {
        bail!("at most {MAX_PORTS} --port values can be watched at once");
    }
    let host = args.host.as_deref().map(resolve).transpose()?;
    let config = SnifferConfig {
        ports: ports.clone(),
        host,
        limits: ConnectionLimits {
            reassembly: reassembly::Limits {
                max_pending: args.max_reorder,
                ..reassembly::Limits::default()
            },
            max_frame: args.max_frame,
            ..ConnectionLimits::default()
        },
        idle_timeout: args.idle_timeout.saturating_mul(1_000_000),
        max_connections: args.max_connections.max(1),
        filter: expr.clone(),
        ..SnifferConfig::default()
    };
    let filter = Filter {
        slower_than: args.slower_than.map(|ms| (ms * 1000.0).max(0.0) as Micros),
        commands: args
            .commands
            .iter()
            .map(|c| c.to_ascii_uppercase().into_bytes())
            .collect(),
        show: !args.summary_only,
    };
    let limit = Limit {
        count: args.count,
        duration: args.duration.map(|s| (s * 1e6).max(0.0) as Micros),
    };
    let refreshing =
        args.hot.interval.is_some() && format == Format::Table && io::stdout().is_terminal();
    let filter = Filter {
        show: filter.show && !refreshing,
        ..filter
    };
    let write = match &args.write {
        Some(path) => Some((
            PcapOut::new(io::BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?,
            )),
            path.clone(),
        )),
        None => None,
    };
    let metrics = match args.metrics_port {
        Some(port) => {
            let endpoint = Endpoint::start(port)
                .with_context(|| format!("cannot serve metrics on 127.0.0.1:{port}"))?;
            Some(Metrics {
                endpoint,
                packets: Rate::default(),
                bytes: Rate::default(),
                commands: Rate::default(),
            })
        }
        None => None,
    };
    let mut run = Run {
        metrics,
        sniffer: Sniffer::new(config),
        write,
        started: None,
        duration: limit.duration,
        view: View {
            hot: Hot::new(args.hot.options()),
            window: args.hot.interval.map(|every| Window {
                every: every.as_micros().max(1) as Micros,
                hot: Hot::new(args.hot.options()),
                start: None,
                refreshing,
            }),
            filter,
            count: limit.count,
            shown: 0,
            sink: Sink::new(format, &mut *out),
            failed: None,
        },
    };
    crate::stop::catch(crate::stop::Repeat::Record);
    let cpu_before = cpu_micros();
    let wall = Instant::now();
    let (source, kernel, failure) = match &args.pcap {
        Some(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            let failure = run.read_file(io::BufReader::with_capacity(64 << 10, file), path)?;
            (Source::File(path.display().to_string()), None, failure)
        }
        None => {
            let interface = match &args.interface {
                Some(i) => i.clone(),
                None => live::interface_for(host).context("cannot pick an interface")?,
            };
            let mut capture =
                LiveCapture::open(&interface, &ports, expr.as_ref(), args.buffer_size)
                    .with_context(|| format!("cannot capture on {interface}"))?;
            let ports_text: Vec<String> = ports.iter().map(u16::to_string).collect();
            eprintln!(
                "sonde: listening on {interface}, TCP port {} (Ctrl-C to stop)",
                ports_text.join(", ")
            );
            if let Some(m) = &run.metrics {
                eprintln!("sonde: metrics at http://{}/metrics", m.endpoint.addr);
            }
            run.live(&mut capture)?;
            (
                Source::Interface(interface),
                Some(capture.kernel_stats()),
                None,
            )
        }
    };
    run.finish_write()?;
    let view = &mut run.view;
    run.sniffer.finish(&mut |e| view.event(e));
    run.after()?;
    if let Some(end) = run
        .view
        .window
        .as_ref()
        .and_then(|w| w.start)
        .map(|s| s + 1)
    {
        // The last, partial interval.
        run.view
            .close_window(end.max(run.sniffer.totals().last_ts), true)?;
    }
    let totals = run.sniffer.totals();
    let report = Summary::new(
        totals,
        run.view.hot.report(),
        source,
        kernel,
        wall.elapsed(),
        cpu_micros().saturating_sub(cpu_before),
    );
    run.view.sink.summary(format, &report)?;
    match failure {
        Some(message) => {
            out.flush()?;
            problem(message);
            Ok(Status::Problem)
        }
        None => Ok(Status::Ok),
    }
}

/// The ports of the RESP servers in a capture file (a first pass over it).
fn find_servers(path: &std::path::Path) -> anyhow::Result<Vec<u16>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut capture = CaptureFile::open(io::BufReader::with_capacity(64 << 10, file))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut detector = Detector::default();
    // A malformed stretch ends the search; the main pass reports it.
    while let Ok(true) = capture.next(&mut |_, link, frame| detector.packet(link, frame)) {}
    Ok(detector.ports())
}

fn resolve(host: &str) -> anyhow::Result<IpAddr> {
    if let Ok(ip) = host.parse() {
        return Ok(ip);
    }
    (host, 0)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve --host {host}"))?
        .map(|a| a.ip())
        .next()
        .with_context(|| format!("--host {host} has no address"))
}

/// User plus system CPU time of this process.
fn cpu_micros() -> u64 {
    // SAFETY: getrusage fills the struct passed.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

struct Filter {
    slower_than: Option<Micros>,
    commands: Vec<Vec<u8>>,
    show: bool,
}

impl Filter {
    fn shows(&self, c: &Command<'_>) -> bool {
        if let Some(min) = self.slower_than
            && c.latency.is_none_or(|l| l < min)
        {
            return false;
        }
        if !self.commands.is_empty() {
            let name = c.name();
            let first = c
                .args
                .first()
                .map(|a| a.to_ascii_uppercase())
                .unwrap_or_default();
            if !self.commands.iter().any(|w| *w == name || *w == first) {
                return false;
            }
        }
        true
    }
}

struct Limit {
    count: Option<u64>,
    duration: Option<Micros>,
}

/// Hot keys of the current interval (`--interval`).
struct Window {
    every: Micros,
    hot: Hot,
    /// Capture time the interval began.
    start: Option<Micros>,
    /// Tables redrawn in place on a terminal.
    refreshing: bool,
}

/// `--metrics-port`: the endpoint and the rates between publications.
struct Metrics {
    endpoint: Endpoint,
    packets: Rate,
    bytes: Rate,
    commands: Rate,
}

/// How often the metrics page is rendered.
const METRICS_EVERY: Duration = Duration::from_secs(1);

impl Metrics {
    fn publish(&mut self, totals: &Totals, hot: &Hot) {
        let mut page = Page::new();
        let p = &totals.packets;
        let c = &totals.commands;
        // The stream counters are added up when a connection ends; the
        // command totals are current.
        let (up, down) = c.totals().fold((0, 0), |(up, down), t| {
            (up + t.request_bytes, down + t.reply_bytes)
        });
        page.counter(
            "sonde_sniff_packets_total",
            "Frames captured.",
            p.seen as f64,
        );
        page.counter(
            "sonde_sniff_packets_matched_total",
            "TCP segments of the watched servers.",
            p.matched as f64,
        );
        page.gauge(
            "sonde_sniff_packets_per_second",
            "Frames captured per second over the last second or so.",
            self.packets.update(p.seen),
        );
        for (direction, bytes) in [("request", up), ("reply", down)] {
            page.counter_with(
                "sonde_sniff_bytes_total",
                "Bytes of the commands seen and of their replies, by direction.",
                &[("direction", direction)],
                bytes as f64,
            );
        }
        page.gauge(
            "sonde_sniff_bytes_per_second",
            "RESP bytes (both directions) per second.",
            self.bytes.update(up + down),
        );
        page.counter(
            "sonde_sniff_commands_total",
            "Commands seen.",
            c.total as f64,
        );
        page.counter(
            "sonde_sniff_replies_total",
            "Commands whose reply was seen.",
            c.replied as f64,
        );
        page.gauge(
            "sonde_sniff_commands_per_second",
            "Commands per second.",
            self.commands.update(c.total),
        );
        page.counter(
            "sonde_sniff_connections_opened_total",
            "Connections seen from their handshake or joined while open.",
            (totals.connections.opened + totals.connections.mid_stream) as f64,
        );
        page.counter(
            "sonde_sniff_connections_closed_total",
            "Connections ended by FIN or RST.",
            (totals.connections.closed + totals.connections.reset) as f64,
        );
        page.counter(
            "sonde_sniff_resyncs_total",
            "Times a direction found a frame boundary again after bytes that were not RESP.",
            totals.streams.resyncs as f64,
        );
        let sorted = c.sorted();
        for (name, t) in &sorted {
            page.counter_with(
                "sonde_sniff_command_calls_total",
                "Commands seen, by name.",
                &[("command", &String::from_utf8_lossy(name))],
                t.count as f64,
            );
        }
        for (name, t) in &sorted {
            page.counter_with(
                "sonde_sniff_command_errors_total",
                "Error replies, by command.",
                &[("command", &String::from_utf8_lossy(name))],
                t.errors as f64,
            );
        }
        for (name, t) in &sorted {
            let name = String::from_utf8_lossy(name);
            for (q, label) in [(0.5, "0.5"), (0.99, "0.99"), (1.0, "1")] {
                if let Some(us) = t.latency.quantile(q) {
                    page.gauge_with(
                        "sonde_sniff_command_latency_seconds",
                        "Request-to-reply latency quantiles, by command.",
                        &[("command", &name), ("quantile", label)],
                        us as f64 / 1e6,
                    );
                }
            }
        }
        hot_key_metrics(&mut page, "sonde_sniff", &hot.report());
        self.endpoint.publish(page);
    }
}

/// The hot-key rows of a report as gauges under `prefix`: commands and
/// bytes per key (estimates of the run's top keys).
pub(crate) fn hot_key_metrics(page: &mut Page, prefix: &str, hot: &HotReport) {
    let name = format!("{prefix}_hot_key_commands");
    for row in &hot.keys_by_commands.rows {
        page.gauge_with(
            &name,
            "Commands naming the key, for the run's top keys (an estimate, see the hot-keys page).",
            &[("key", &row.key.to_string())],
            row.count as f64,
        );
    }
    let name = format!("{prefix}_hot_key_bytes");
    for row in &hot.keys_by_bytes.rows {
        page.gauge_with(
            &name,
            "Bytes of the commands naming the key, for the run's top keys.",
            &[("key", &row.key.to_string())],
            row.count as f64,
        );
    }
}

struct Run<'a> {
    metrics: Option<Metrics>,
    sniffer: Sniffer,
    /// `--write`: the pcap being saved, and its path.
    write: Option<(PcapOut<io::BufWriter<std::fs::File>>, std::path::PathBuf)>,
    /// Capture time of the first packet.
    started: Option<Micros>,
    /// `--duration`.
    duration: Option<Micros>,
    /// Where the sniffer's events go.
    view: View<'a>,
}

/// What is done with each event, as the sniffer hands it over (borrowed,
/// straight from decoding): counted into the hot-key lists, and shown
/// when the filters say so.
struct View<'a> {
    /// Hot keys of the whole run.
    hot: Hot,
    window: Option<Window>,
    filter: Filter,
    /// `--count`: commands shown before stopping.
    count: Option<u64>,
    shown: u64,
    sink: Sink<'a>,
    /// The first output error, returned after the packet that caused it.
    failed: Option<io::Error>,
}

impl View<'_> {
    fn event(&mut self, event: EventRef<'_>) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = self.handle(event) {
            self.failed = Some(e);
        }
    }

    fn handle(&mut self, event: EventRef<'_>) -> io::Result<()> {
        if let EventRef::Command(c) = event {
            self.close_window(c.time, false)?;
            let seen = Seen {
                args: c.args,
                client: Some(c.client),
                bytes: c.request_bytes + c.reply.as_ref().map_or(0, |r| r.bytes),
                latency: c.latency,
            };
            self.hot.add(&seen);
            if let Some(w) = &mut self.window {
                w.hot.add(&seen);
            }
        }
        let show = match event {
            EventRef::Command(c) => self.filter.show && self.filter.shows(c),
            EventRef::Trouble { .. } => self.filter.show,
        };
        if !show || self.full() {
            return Ok(());
        }
        if matches!(event, EventRef::Command(_)) {
            self.shown += 1;
        }
        self.sink.event(event)
    }

    /// True once `--count` commands were shown.
    fn full(&self) -> bool {
        self.count.is_some_and(|n| self.shown >= n)
    }

    /// Report the interval when `now` is past its end (or, `last`, in any
    /// case), then start the next one.
    fn close_window(&mut self, now: Micros, last: bool) -> io::Result<()> {
        let Some(w) = &mut self.window else {
            return Ok(());
        };
        let start = *w.start.get_or_insert(now);
        if !last && now < start + w.every {
            return Ok(());
        }
        let end = if last { now } else { start + w.every };
        let report = IntervalReport {
            kind: "interval",
            start: iso(start),
            end: iso(end),
            seconds: (end - start) as f64 / 1e6,
            hot: w.hot.report(),
        };
        w.hot.clear();
        // Skip intervals in which nothing came.
        let mut next = end;
        while !last && now >= next + w.every {
            next += w.every;
        }
        w.start = Some(next);
        let refreshing = w.refreshing;
        self.sink.interval(&report, refreshing)
    }
}

impl Run<'_> {
    /// After a packet: report an output error, publish the metrics when
    /// due; true once --count is reached.
    fn after(&mut self) -> io::Result<bool> {
        if let Some(e) = self.view.failed.take() {
            return Err(e);
        }
        if let Some(m) = &mut self.metrics
            && m.endpoint.due(METRICS_EVERY)
        {
            m.publish(self.sniffer.totals(), &self.view.hot);
        }
        Ok(self.view.full())
    }

    /// Turn a failed `--write` into an error naming the file.
    fn written(&self, result: io::Result<()>) -> anyhow::Result<()> {
        match (result, &self.write) {
            (Err(e), Some((_, path))) => {
                Err(e).with_context(|| format!("writing {}", path.display()))
            }
            _ => Ok(()),
        }
    }

    /// Flush the `--write` file and say what it holds.
    fn finish_write(&mut self) -> anyhow::Result<()> {
        if let Some((out, path)) = &mut self.write {
            out.flush()
                .with_context(|| format!("writing {}", path.display()))?;
            let skipped = if out.skipped > 0 {
                format!(" ({} of another link type left out)", out.skipped)
            } else {
                String::new()
            };
            eprintln!(
                "sonde: wrote {} packets to {}{skipped}",
                out.written,
                path.display()
            );
        }
        Ok(())
    }

    fn past_duration(&mut self, ts: Micros) -> bool {
        let start = *self.started.get_or_insert(ts);
        self.duration.is_some_and(|d| ts.saturating_sub(start) >= d)
    }

    /// Read a capture file to its end (or a limit); a malformed file is a
    /// problem reported after what it held.
    fn read_file(
        &mut self,
        reader: impl io::BufRead,
        path: &std::path::Path,
    ) -> anyhow::Result<Option<String>> {
        let mut file =
            CaptureFile::open(reader).with_context(|| format!("cannot read {}", path.display()))?;
        loop {
            if crate::stop::requested() {
                return Ok(None);
            }
            let mut stop = false;
            let sniffer = &mut self.sniffer;
            let write = &mut self.write;
            let view = &mut self.view;
            let mut last = None;
            let mut written = Ok(());
            let more = file.next(&mut |ts, link, frame| {
                last = Some(ts);
                if let Some((out, _)) = write {
                    written = out.frame(ts, link, frame);
                }
                sniffer.packet(ts, link, frame, &mut |e| view.event(e));
            });
            self.written(written)?;
            if let Some(ts) = last {
                stop |= self.past_duration(ts);
            }
            stop |= self.after()?;
            match more {
                Ok(true) if !stop => {}
                Ok(_) => {
                    self.view.sink.flush()?;
                    return Ok(None);
                }
                Err(e) => {
                    self.view.sink.flush()?;
                    return Ok(Some(format!("{}: {e}", path.display())));
                }
            }
        }
    }

    /// Capture until Ctrl-C, --duration or --count. What the kernel
    /// captured before the stop is still read and decoded.
    fn live(&mut self, capture: &mut LiveCapture) -> anyhow::Result<()> {
        let link = capture.link();
        let begun = Instant::now();
        let duration = self.duration.map(Duration::from_micros);
        let mut last_flush = Instant::now();
        let mut stop_at: Option<Micros> = None;
        let mut since_clock = 0u32;
        loop {
            if stop_at.is_none()
                && (crate::stop::requested() || duration.is_some_and(|d| begun.elapsed() >= d))
            {
                stop_at = Some(live::now_micros());
            }
            match capture.next_frame().context("reading packets")? {
                Some((ts, _)) if stop_at.is_some_and(|at| ts > at) => break,
                Some((ts, frame)) => {
                    if let Some((out, path)) = &mut self.write {
                        out.frame(ts, link, frame)
                            .with_context(|| format!("writing {}", path.display()))?;
                    }
                    let view = &mut self.view;
                    self.sniffer.packet(ts, link, frame, &mut |e| view.event(e))
                }
                None if stop_at.is_some() => break,
                None => {
                    // The queue ran dry: catch up on time, show what came,
                    // and sleep until more arrives.
                    let view = &mut self.view;
                    self.sniffer
                        .tick(live::now_micros(), &mut |e| view.event(e));
                    self.after()?;
                    self.view.close_window(live::now_micros(), false)?;
                    self.view.sink.flush()?;
                    last_flush = Instant::now();
                    capture.wait(Duration::from_millis(100));
                }
            }
            if self.after()? {
                break;
            }
            // The clock is read once every so many packets, not per packet.
            since_clock += 1;
            if since_clock >= CLOCK_EVERY {
                since_clock = 0;
                if last_flush.elapsed() >= Duration::from_millis(200) {
                    self.view.sink.flush()?;
                    last_flush = Instant::now();
                }
            }
        }
        self.view.sink.flush()?;
        Ok(())
    }
}

/// Packets read between two looks at the clock in a busy live capture.
const CLOCK_EVERY: u32 = 256;

/// Where events go: aligned rows or JSON Lines.
enum Sink<'a> {
    Table(Columns<&'a mut dyn Write>),
    Json(JsonLines<Batched<'a>>),
}

/// JSON Lines flushes after every line; at tens of thousands of commands a
/// second that is a system call each. This writer makes those flushes
/// no-ops and the runner flushes for real when it is idle or every 200 ms,
/// so a reader downstream still sees events promptly.
struct Batched<'a>(&'a mut dyn Write);

impl Write for Batched<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> Sink<'a> {
    fn new(format: Format, out: &'a mut dyn Write) -> Sink<'a> {
        match format {
            Format::Json => Sink::Json(JsonLines::new(Batched(out))),
            Format::Table => Sink::Table(Columns::new(
                out,
                vec![
                    Column::left("TIME (UTC)", 15),
                    Column::left("CLIENT", 21),
                    Column::right("DB", 2),
                    Column::right("LATENCY", 9),
                    Column::left("REPLY", 14),
                ],
                "COMMAND",
            )),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Table(c) => c.flush(),
            Sink::Json(lines) => lines.get_mut().0.flush(),
        }
    }

    fn event(&mut self, event: EventRef<'_>) -> io::Result<()> {
        match self {
            Sink::Json(lines) => match event {
                EventRef::Command(c) => lines.write(&CommandJson::of(c)),
                EventRef::Trouble {
                    time,
                    client,
                    server,
                    trouble,
                } => lines.write(&TroubleJson::of(time, client, server, trouble)),
            },
            Sink::Table(columns) => match event {
                EventRef::Command(c) => {
                    let reply = match &c.reply {
                        Some(r) if r.error.is_some() => format!("error {}", size(r.bytes)),
                        Some(r) => format!("{} {}", r.kind.name(), size(r.bytes)),
                        None => match c.outcome {
                            Outcome::NoReplyExpected => "(none)".to_owned(),
                            Outcome::LostInGap => "(lost)".to_owned(),
                            _ => "(no reply)".to_owned(),
                        },
                    };
                    let mut command = short_args(c.args);
                    if let Some(e) = c.reply.as_ref().and_then(|r| r.error.as_ref()) {
                        command.push_str(&format!("  → {}", display_short(e, 60)));
                    }
                    columns.row(&[
                        &clock(c.time),
                        &c.client.to_string(),
                        &c.db
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "?".to_owned()),
                        &c.latency.map(latency).unwrap_or_default(),
                        &reply,
                        &command,
                    ])
                }
                EventRef::Trouble {
                    time,
                    client,
                    trouble,
                    ..
                } => {
                    let (what, text) = match trouble {
                        Trouble::Gap { side, offset, len } => (
                            "GAP",
                            format!(
                                "{len} bytes of the {} stream never captured (at byte {offset})",
                                side.name()
                            ),
                        ),
                        Trouble::Invalid {
                            side,
                            offset,
                            message,
                        } => (
                            "INVALID",
                            format!("{} stream at byte {offset}: {message}", side.name()),
                        ),
                    };
                    columns.row(&[&clock(time), &client.to_string(), "", "", what, &text])
                }
            },
        }
    }

    /// The hot keys of one interval: a JSON line, or tables (redrawn from
    /// the top of a terminal).
    fn interval(&mut self, report: &IntervalReport, refreshing: bool) -> io::Result<()> {
        match self {
            Sink::Json(lines) => {
                lines.write(report)?;
                lines.get_mut().0.flush()
            }
            Sink::Table(columns) => {
                let out = columns.get_mut();
                if refreshing {
                    write!(out, "\x1b[H\x1b[2J")?;
                } else {
                    writeln!(out)?;
                }
                writeln!(
                    out,
                    "Interval {} to {} ({:.1} s): {} commands",
                    report.start, report.end, report.seconds, report.hot.counted.commands
                )?;
                report.hot.write_tables(&mut **out, true)?;
                out.flush()
            }
        }
    }

    /// The summary, after the events: one more JSON line, or tables after
    /// a blank line.
    fn summary(&mut self, format: Format, report: &Summary) -> io::Result<()> {
        match self {
            Sink::Json(lines) => {
                lines.write(report)?;
                lines.get_mut().0.flush()
            }
            Sink::Table(columns) => {
                let out = columns.get_mut();
                writeln!(out)?;
                emit(format, report, &mut **out)?;
                out.flush()
            }
        }
    }
}

/// A byte count for people: `512 B`, `12.3 KiB`.
fn size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// A latency for people: `87µs`, `1.25ms`, `2.1s`.
fn latency(us: Micros) -> String {
    if us < 1000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.2}ms", us as f64 / 1000.0)
    } else {
        format!("{:.2}s", us as f64 / 1e6)
    }
}

/// Arguments shortened for a table row.
fn short_args(args: &[&[u8]]) -> String {
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = args
        .iter()
        .take(SHOWN)
        .map(|a| display_short(a, 40))
        .collect();
    if args.len() > SHOWN {
        parts.push(format!("… (+{} args)", args.len() - SHOWN));
    }
    parts.join(" ")
}

/// `HH:MM:SS.micros` of a Unix time in microseconds, UTC.
fn clock(us: Micros) -> String {
    let secs = us / 1_000_000;
    let day = secs % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        day / 3600,
        day / 60 % 60,
        day % 60,
        us % 1_000_000
    )
}

/// ISO-8601 UTC with microseconds, e.g. `2024-05-01T12:00:00.123456Z`.
fn iso(us: Micros) -> String {
    let days = (us / 86_400_000_000) as i64;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{}Z", clock(us))
}

/// A command event as a JSON Lines object.
#[derive(Serialize)]
struct CommandJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    time_ms: f64,
    time: String,
    client: String,
    server: String,
    db: Option<i64>,
    command: ByteString,
    args: Vec<JsonBytes<'a>>,
    request_bytes: u64,
    reply_type: Option<&'static str>,
    reply_bytes: Option<u64>,
    reply_frames: Option<u32>,
    error: Option<JsonBytes<'a>>,
    latency_us: Option<u64>,
    outcome: &'static str,
}

impl<'a> CommandJson<'a> {
    fn of(c: &Command<'a>) -> CommandJson<'a> {
        CommandJson {
            kind: "command",
            time_ms: c.time as f64 / 1000.0,
            time: iso(c.time),
            client: c.client.to_string(),
            server: c.server.to_string(),
            db: c.db,
            command: ByteString(c.name()),
            args: c.args.iter().map(|a| JsonBytes(a)).collect(),
            request_bytes: c.request_bytes,
            reply_type: c.reply.as_ref().map(|r| r.kind.name()),
            reply_bytes: c.reply.as_ref().map(|r| r.bytes),
            reply_frames: c.reply.as_ref().map(|r| r.frames),
            error: c.reply.and_then(|r| r.error).map(JsonBytes),
            latency_us: c.latency,
            outcome: c.outcome.name(),
        }
    }
}

/// A gap or undecodable stretch as a JSON Lines object.
#[derive(Serialize)]
struct TroubleJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    time_ms: f64,
    client: String,
    server: String,
    /// `request` (client to server) or `reply`.
    direction: &'static str,
    offset: u64,
    bytes: Option<u64>,
    message: Option<&'a str>,
}

impl<'a> TroubleJson<'a> {
    fn of(time: Micros, client: SocketAddr, server: SocketAddr, t: &'a Trouble) -> TroubleJson<'a> {
        let (kind, side, offset, bytes, message) = match t {
            Trouble::Gap { side, offset, len } => ("gap", side, *offset, Some(*len), None),
            Trouble::Invalid {
                side,
                offset,
                message,
            } => ("invalid", side, *offset, None, Some(message.as_str())),
        };
        TroubleJson {
            kind,
            time_ms: time as f64 / 1000.0,
            client: client.to_string(),
            server: server.to_string(),
            direction: Side::name(*side),
            offset,
            bytes,
            message,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Source {
    Interface(String),
    File(String),
}

#[derive(Serialize)]
struct PacketsJson {
    seen: u64,
    matched: u64,
    other_tcp: u64,
    not_tcp: u64,
    fragments: u64,
    malformed: u64,
    truncated: u64,
    loopback_echoes: u64,
    /// TCP segments --filter left out.
    filtered: u64,
    /// Live capture: packets the kernel filter passed, and those it dropped
    /// for lack of buffer room (PACKET_STATISTICS).
    kernel_received: Option<u64>,
    kernel_dropped: Option<u64>,
}

#[derive(Serialize)]
struct BytesJson {
    client_to_server: u64,
    server_to_client: u64,
    /// Retransmitted or otherwise repeated bytes, counted once above.
    duplicate: u64,
    /// Bytes that were never captured.
    lost_to_gaps: u64,
    gaps: u64,
    /// Bytes skipped to find a frame boundary again.
    resync_skipped: u64,
    resyncs: u64,
    invalid: u64,
}

#[derive(Serialize)]
struct ConnectionsJson {
    opened: u64,
    mid_stream: u64,
    closed: u64,
    reset: u64,
    evicted: u64,
    open_at_end: u64,
}

#[derive(Serialize)]
struct CommandRow {
    command: ByteString,
    count: u64,
    request_bytes: u64,
    reply_bytes: u64,
    errors: u64,
    unreplied: u64,
    p50_us: Option<u64>,
    p99_us: Option<u64>,
    max_us: Option<u64>,
}

#[derive(Serialize)]
struct CommandsJson {
    total: u64,
    replied: u64,
    no_reply_expected: u64,
    no_reply_seen: u64,
    lost_in_gap: u64,
    by_command: Vec<CommandRow>,
}

#[derive(Serialize)]
struct PairingJson {
    /// Replies with no request waiting: pairing errors.
    errors: u64,
    skipped_replies: u64,
    pushes: u64,
    pubsub_messages: u64,
    monitor_lines: u64,
}

#[derive(Serialize)]
struct NotableJson {
    time_ms: f64,
    client: String,
    command: ByteString,
    args: Vec<ByteString>,
    more_args: usize,
    latency_us: u64,
    reply_bytes: u64,
}

impl NotableJson {
    fn of(n: &Notable) -> NotableJson {
        NotableJson {
            time_ms: n.time as f64 / 1000.0,
            client: n.client.to_string(),
            command: ByteString(crate::capture::pairing::command_name(&n.args)),
            args: n.args.iter().map(|a| ByteString(a.clone())).collect(),
            more_args: n.more_args,
            latency_us: n.latency,
            reply_bytes: n.reply_bytes,
        }
    }
}

/// The hot keys of one `--interval`.
#[derive(Serialize)]
struct IntervalReport {
    #[serde(rename = "type")]
    kind: &'static str,
    start: String,
    end: String,
    seconds: f64,
    #[serde(flatten)]
    hot: HotReport,
}

/// The report at the end of a capture.
#[derive(Serialize)]
struct Summary {
    #[serde(rename = "type")]
    kind: &'static str,
    source: Source,
    /// Capture time from the first to the last packet.
    duration_ms: f64,
    /// CPU time sonde used (user + system).
    cpu_ms: f64,
    packets: PacketsJson,
    bytes: BytesJson,
    connections: ConnectionsJson,
    commands: CommandsJson,
    pairing: PairingJson,
    slowest: Vec<NotableJson>,
    biggest_replies: Vec<NotableJson>,
    hot: HotReport,
}

impl Summary {
    fn new(
        t: &Totals,
        hot: HotReport,
        source: Source,
        kernel: Option<live::KernelStats>,
        wall: Duration,
        cpu: u64,
    ) -> Summary {
        let duration = match (&source, t.first_ts) {
            (Source::File(_), Some(first)) => t.last_ts.saturating_sub(first) as f64 / 1000.0,
            _ => wall.as_secs_f64() * 1000.0,
        };
        let (up, down) = (&t.streams.client_to_server, &t.streams.server_to_client);
        let c = &t.commands;
        Summary {
            kind: "summary",
            source,
            duration_ms: duration,
            cpu_ms: cpu as f64 / 1000.0,
            packets: PacketsJson {
                seen: t.packets.seen,
                matched: t.packets.matched,
                other_tcp: t.packets.other_tcp,
                not_tcp: t.packets.not_tcp,
                fragments: t.packets.fragments,
                malformed: t.packets.malformed,
                truncated: t.packets.truncated,
                loopback_echoes: t.packets.loopback_echoes,
                filtered: t.packets.filtered,
                kernel_received: kernel.map(|k| k.received),
                kernel_dropped: kernel.map(|k| k.dropped),
            },
            bytes: BytesJson {
                client_to_server: up.delivered,
                server_to_client: down.delivered,
                duplicate: up.duplicate + down.duplicate,
                lost_to_gaps: up.gap_bytes + down.gap_bytes,
                gaps: up.gaps + down.gaps,
                resync_skipped: t.streams.resync_skipped_bytes,
                resyncs: t.streams.resyncs,
                invalid: t.streams.invalid,
            },
            connections: ConnectionsJson {
                opened: t.connections.opened,
                mid_stream: t.connections.mid_stream,
                closed: t.connections.closed,
                reset: t.connections.reset,
                evicted: t.connections.evicted,
                open_at_end: t.connections.open_at_end,
            },
            commands: CommandsJson {
                total: c.total,
                replied: c.outcome(Outcome::Replied),
                no_reply_expected: c.outcome(Outcome::NoReplyExpected),
                no_reply_seen: c.outcome(Outcome::NoReplySeen),
                lost_in_gap: c.outcome(Outcome::LostInGap),
                by_command: c
                    .sorted()
                    .into_iter()
                    .map(|(name, s)| CommandRow {
                        command: ByteString(name.clone()),
                        count: s.count,
                        request_bytes: s.request_bytes,
                        reply_bytes: s.reply_bytes,
                        errors: s.errors,
                        unreplied: s.unreplied,
                        p50_us: s.latency.quantile(0.5),
                        p99_us: s.latency.quantile(0.99),
                        max_us: (s.latency.count() > 0).then(|| s.latency.max()),
                    })
                    .collect(),
            },
            pairing: PairingJson {
                errors: t.pairing.unsolicited,
                skipped_replies: t.pairing.skipped_replies,
                pushes: t.pairing.pushes,
                pubsub_messages: t.pairing.pubsub_messages,
                monitor_lines: t.pairing.monitor_lines,
            },
            slowest: c.slowest.items().map(NotableJson::of).collect(),
            biggest_replies: c.biggest_replies.items().map(NotableJson::of).collect(),
            hot,
        }
    }
}

impl Report for Summary {
    fn table(&self, out: &mut dyn Write) -> io::Result<()> {
        let p = &self.packets;
        let b = &self.bytes;
        let k = &self.connections;
        let c = &self.commands;
        let source = match &self.source {
            Source::Interface(i) => format!("interface {i}"),
            Source::File(f) => format!("file {f}"),
        };
        let kernel = match (p.kernel_received, p.kernel_dropped) {
            (Some(r), Some(d)) => format!("{r} passed the filter, {d} dropped"),
            _ => "n/a (file)".to_owned(),
        };
        let rows = [
            ("source", source),
            (
                "duration",
                format!(
                    "{:.3} s (cpu {:.3} s)",
                    self.duration_ms / 1000.0,
                    self.cpu_ms / 1000.0
                ),
            ),
            (
                "packets",
                if p.filtered > 0 {
                    format!(
                        "{} seen, {} of the server, {} left out by --filter",
                        p.seen, p.matched, p.filtered
                    )
                } else {
                    format!("{} seen, {} of the server", p.seen, p.matched)
                },
            ),
            ("kernel", kernel),
            (
                "bytes",
                format!(
                    "{} client→server, {} server→client, {} duplicate",
                    b.client_to_server, b.server_to_client, b.duplicate
                ),
            ),
            (
                "lost",
                format!(
                    "{} bytes in {} gaps; {} resyncs skipped {} bytes; {} invalid",
                    b.lost_to_gaps, b.gaps, b.resyncs, b.resync_skipped, b.invalid
                ),
            ),
            (
                "connections",
                format!(
                    "{} opened, {} joined mid-stream, {} closed, {} reset, {} evicted, {} open at end",
                    k.opened, k.mid_stream, k.closed, k.reset, k.evicted, k.open_at_end
                ),
            ),
            (
                "commands",
                format!(
                    "{} ({} replied, {} no reply expected, {} no reply seen, {} lost in gaps)",
                    c.total, c.replied, c.no_reply_expected, c.no_reply_seen, c.lost_in_gap
                ),
            ),
            (
                "pairing",
                format!(
                    "{} errors, {} replies skipped, {} pushes, {} pub/sub messages, {} monitor lines",
                    self.pairing.errors,
                    self.pairing.skipped_replies,
                    self.pairing.pushes,
                    self.pairing.pubsub_messages,
                    self.pairing.monitor_lines
                ),
            ),
        ];
        table::write(out, &table::key_values(rows))?;
        if !c.by_command.is_empty() {
            let mut t = table::new([
                "command",
                "count",
                "req bytes",
                "reply bytes",
                "errors",
                "p50",
                "p99",
                "max",
            ]);
            for r in &c.by_command {
                let l = |v: Option<u64>| v.map(latency).unwrap_or_default();
                t.add_row([
                    display(&r.command.0),
                    r.count.to_string(),
                    r.request_bytes.to_string(),
                    r.reply_bytes.to_string(),
                    r.errors.to_string(),
                    l(r.p50_us),
                    l(r.p99_us),
                    l(r.max_us),
                ]);
            }
            table::align_right(&mut t, &[1, 2, 3, 4, 5, 6, 7]);
            table::write(out, &t)?;
        }
        for (title, list) in [
            ("slowest", &self.slowest),
            ("biggest replies", &self.biggest_replies),
        ] {
            if list.is_empty() {
                continue;
            }
            let mut t = table::new([title, "client", "latency", "reply bytes"]);
            for n in list {
                let mut text: Vec<String> =
                    n.args.iter().map(|a| display_short(&a.0, 40)).collect();
                if n.more_args > 0 {
                    text.push(format!("… (+{} args)", n.more_args));
                }
                t.add_row([
                    text.join(" "),
                    n.client.clone(),
                    latency(n.latency_us),
                    n.reply_bytes.to_string(),
                ]);
            }
            table::align_right(&mut t, &[2, 3]);
            table::write(out, &t)?;
        }
        self.hot.write_tables(out, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_render_in_utc() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso(1_714_564_800_123_456), "2024-05-01T12:00:00.123456Z");
        assert_eq!(iso(951_782_400_000_000), "2000-02-29T00:00:00.000000Z");
        assert_eq!(latency(87), "87µs");
        assert_eq!(latency(1250), "1.25ms");
        assert_eq!(size(2048), "2.0 KiB");
    }
}
