//! `sonde replica tail`: follow a master's replication feed as a replica,
//! report its commands with offsets, poll lag on a second connection,
//! resume dropped links and stop with a summary.
//!
//! Threads: the main thread drives the [`Link`] and renders; a lag thread
//! polls the master (INFO replication, CLIENT LIST) and warns on its own,
//! so that its warnings reach stderr even while the main thread is stuck
//! writing to a slow stdout (which is exactly when they matter).

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use indicatif::{MultiProgress, ProgressBar};
use serde::Serialize;

use super::Status;
use crate::cli::{AckMode, ReplicaTailArgs};
use crate::connect::Endpoint;
use crate::hot::{Hot, HotReport, Seen};
use crate::output::bytes::{display, display_short, serialize_list};
use crate::output::json::JsonLines;
use crate::output::metrics::{Page, Rate};
use crate::output::stream::{Column, Columns};
use crate::output::{Format, Report, progress, table};
use crate::replication::filter::Filter;
use crate::replication::lag::{Lag, LagStats, LagTracker, MasterProbe, Sample};
use crate::replication::snapshot::{
    Checksum, Discard, KeyCounts, RdbSummary, SaveFile, SnapshotDone, SnapshotError,
};
use crate::replication::{
    AckPolicy, Auth, Command, Config, Event, Link, LinkError, Position, ReplError, SnapshotForm,
    SnapshotSink,
};
use crate::resp::stats::{CommandCount, StreamStats};

/// Our offset as the lag thread sees it before the command stream starts.
const NOT_STREAMING: u64 = u64::MAX;

/// Arguments shown per table row, and characters per argument.
const ROW_ARGS: usize = 8;
const ROW_ARG_CHARS: usize = 40;

/// Events handled between looks at the clock and the flags when the feed
/// never pauses.
const CHECK_EVERY: u32 = 1024;

/// The bars on stderr (status line, snapshot transfer), so that every
/// thread's messages print around them instead of through them.
static BARS: OnceLock<MultiProgress> = OnceLock::new();

pub fn run(args: &ReplicaTailArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    if args.connect.db.is_some() {
        bail!("-n selects a database, which replication does not have: use --db N to report one");
    }
    let endpoint = Endpoint::from_args(
        &args.connect,
        args.master.as_deref(),
        args.timeout.min(Duration::from_secs(10)),
    )?;
    let auth = endpoint.password.as_ref().map(|password| Auth {
        user: endpoint.user.clone(),
        password: password.clone(),
    });
    let snapshot_mode = SnapshotMode::parse(&args.rdb)?;
    if args.max_lag.is_some() && args.lag_interval.is_zero() {
        bail!("--max-lag needs lag polling (a --lag-interval above 0)");
    }
    let resume = match &args.resume {
        Some(path) => Position::load(path)?,
        None => None,
    };
    let config = Config {
        auth: auth.clone(),
        announce_port: args.announce_port.unwrap_or(0),
        announce_ip: args.announce_ip.clone(),
        ack: match args.ack {
            AckMode::Interval => AckPolicy::Interval,
            AckMode::Never => AckPolicy::Never,
        },
        ..Config::default()
    };
    let filter = Filter {
        commands: args
            .commands
            .iter()
            .map(|c| c.as_bytes().to_ascii_lowercase())
            .collect(),
        key_pattern: args
            .key_match
            .as_ref()
            .map(|g| crate::glob::Pattern::new(g.as_bytes())),
        db: args.db.map(i64::from),
        all: args.all,
    };
    crate::stop::catch(crate::stop::Repeat::Kill);
    let bars = BARS.get_or_init(|| progress::multi(format)).clone();
    let status = bars.add(progress::status());

    let shared = Arc::new(Shared {
        offset: AtomicU64::new(NOT_STREAMING),
        local_addr: Mutex::new(None),
        tracker: Mutex::new(LagTracker::default()),
        exceeded: AtomicBool::new(false),
    });
    let (lag_tx, lag_rx) = std::sync::mpsc::sync_channel(1024);
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    if !args.lag_interval.is_zero() {
        let poller = Poller {
            endpoint: endpoint.clone(),
            interval: args.lag_interval,
            timeout: args.timeout.min(Duration::from_secs(10)),
            max_lag: args.max_lag,
            shared: Arc::clone(&shared),
            tx: lag_tx,
        };
        std::thread::Builder::new()
            .name("lag".into())
            .spawn(move || poller.run(stop_rx))
            .context("starting the lag thread")?;
    }

    let metrics = match args.metrics_port {
        Some(port) => {
            let endpoint = crate::output::metrics::Endpoint::start(port)
                .with_context(|| format!("cannot serve metrics on 127.0.0.1:{port}"))?;
            note(&format!("metrics at http://{}/metrics", endpoint.addr));
            Some(Metrics {
                endpoint,
                frames: Rate::default(),
                bytes: Rate::default(),
                shown: Rate::default(),
            })
        }
        None => None,
    };
    let mut tail = Tail {
        metrics,
        args,
        out: Output::new(format, out),
        filter,
        sink: snapshot_mode.sink(),
        bars,
        status,
        snapshot_bar: None,
        phase: Phase::Connecting,
        shared: Arc::clone(&shared),
        lag_rx,
        position: resume,
        stats: StreamStats::default(),
        summary: Summary::new(&endpoint.to_string()),
        started: Instant::now(),
        deadline: args.duration.map(|d| Instant::now() + d),
        last_resume_save: Instant::now(),
        saved_position: None,
        last_status: Instant::now(),
        hot: Hot::new(args.hot.options()),
        window: args.hot.interval.map(|every| Window {
            every,
            hot: Hot::new(args.hot.options()),
            start: Instant::now(),
            start_unix: unix_micros(),
            refreshing: format == Format::Table && std::io::stdout().is_terminal(),
        }),
    };
    let outcome = tail.follow(&endpoint, config);
    drop(stop_tx);
    tail.finish(outcome)
}

/// What the lag thread and the main thread share.
struct Shared {
    /// The offset after the last command processed, or [`NOT_STREAMING`].
    offset: AtomicU64,
    /// Our end of the replication connection, for CLIENT LIST.
    local_addr: Mutex<Option<SocketAddr>>,
    tracker: Mutex<LagTracker>,
    /// A poll found us more than --max-lag behind.
    exceeded: AtomicBool,
}

/// How one connection ended.
enum Ended {
    Stopped(Stop),
    Failed(LinkError),
}

/// What the status line says the link is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Connecting,
    Waiting,
    Snapshot,
    Streaming,
}

/// Why following stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Stop {
    Count,
    Duration,
    Interrupted,
    /// The master sent something that is not the replication protocol.
    ProtocolError,
    /// `--rdb summary` found the snapshot is not a valid RDB image.
    CorruptSnapshot,
}

/// `--metrics-port`: the endpoint and the rates between publications.
struct Metrics {
    endpoint: crate::output::metrics::Endpoint,
    frames: Rate,
    bytes: Rate,
    shown: Rate,
}

/// How often the metrics page is rendered.
const METRICS_EVERY: Duration = Duration::from_secs(1);

impl Tail<'_> {
    /// Render the metrics page when one is due.
    fn publish_metrics(&mut self) {
        let Some(m) = &mut self.metrics else {
            return;
        };
        if !m.endpoint.due(METRICS_EVERY) {
            return;
        }
        let mut page = Page::new();
        page.gauge(
            "sonde_replica_tail_streaming",
            "1 while the command stream is followed, 0 while connecting or syncing.",
            f64::from(u8::from(matches!(self.phase, Phase::Streaming))),
        );
        page.gauge(
            "sonde_replica_tail_offset",
            "Replication offset after the last command processed.",
            self.summary.offset.unwrap_or(0) as f64,
        );
        if let Some(lag) = &self.summary.last_lag {
            page.gauge(
                "sonde_replica_tail_master_offset",
                "The master's replication offset at the last lag poll.",
                lag.master_offset as f64,
            );
            page.gauge(
                "sonde_replica_tail_lag_bytes",
                "Bytes the master had written that the tail had not processed, at the last poll.",
                lag.bytes as f64,
            );
            page.gauge(
                "sonde_replica_tail_lag_seconds",
                "How long ago the master was at the tail's offset, at the last poll.",
                lag.seconds,
            );
        }
        page.counter(
            "sonde_replica_tail_frames_total",
            "Frames of the command stream (pings and REPLCONF included).",
            self.stats.frames as f64,
        );
        page.gauge(
            "sonde_replica_tail_frames_per_second",
            "Frames of the command stream per second over the last second or so.",
            m.frames.update(self.stats.frames),
        );
        page.counter(
            "sonde_replica_tail_bytes_total",
            "Bytes of the command stream processed.",
            self.stats.bytes as f64,
        );
        page.gauge(
            "sonde_replica_tail_bytes_per_second",
            "Bytes of the command stream per second.",
            m.bytes.update(self.stats.bytes),
        );
        page.counter(
            "sonde_replica_tail_commands_shown_total",
            "Commands that passed the filters and were reported.",
            self.summary.shown as f64,
        );
        page.gauge(
            "sonde_replica_tail_commands_per_second",
            "Commands reported per second.",
            m.shown.update(self.summary.shown),
        );
        for (name, help, value) in [
            (
                "sonde_replica_tail_full_resyncs_total",
                "Full resynchronizations.",
                self.summary.full_resyncs,
            ),
            (
                "sonde_replica_tail_partial_resyncs_total",
                "Partial resynchronizations (+CONTINUE).",
                self.summary.partial_resyncs,
            ),
            (
                "sonde_replica_tail_snapshot_bytes_total",
                "Bytes of the snapshots received.",
                self.summary.snapshot_bytes,
            ),
            (
                "sonde_replica_tail_disconnects_total",
                "Times the link to the master was lost.",
                self.summary.disconnects,
            ),
        ] {
            page.counter(name, help, value as f64);
        }
        for c in self.stats.commands() {
            page.counter_with(
                "sonde_replica_tail_command_calls_total",
                "Frames of the command stream, by command name.",
                &[("command", &c.name.to_string())],
                c.count as f64,
            );
        }
        super::sniff::hot_key_metrics(&mut page, "sonde_replica_tail", &self.hot.report());
        m.endpoint.publish(page);
    }
}

/// The state of one `replica tail` run.
struct Tail<'a> {
    metrics: Option<Metrics>,
    args: &'a ReplicaTailArgs,
    out: Output<'a>,
    filter: Filter,
    sink: Box<dyn SnapshotSink>,
    bars: MultiProgress,
    status: ProgressBar,
    snapshot_bar: Option<ProgressBar>,
    phase: Phase,
    shared: Arc<Shared>,
    lag_rx: Receiver<Lag>,
    /// Where the next connection continues from.
    position: Option<Position>,
    stats: StreamStats,
    summary: Summary,
    started: Instant,
    deadline: Option<Instant>,
    last_resume_save: Instant,
    saved_position: Option<Position>,
    last_status: Instant,
    /// Hot keys of the whole run, and of the current --interval.
    hot: Hot,
    window: Option<Window>,
}

/// Hot keys of the current `--interval`.
struct Window {
    every: Duration,
    hot: Hot,
    start: Instant,
    start_unix: u64,
    /// Tables redrawn in place (command rows are then not shown).
    refreshing: bool,
}

/// Now, in microseconds since the Unix epoch.
fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

impl Tail<'_> {
    /// Connect, follow, reconnect on transient failures; returns why it
    /// stopped, or the error that ends the run.
    fn follow(&mut self, endpoint: &Endpoint, config: Config) -> anyhow::Result<Stop> {
        let mut backoff = Duration::from_millis(100);
        let mut connected_once = false;
        // Link failures since the stream last flowed: a master that breaks
        // every transfer at the same point says so, not just "closed".
        let mut failures = 0u32;
        loop {
            if let Some(stop) = self.should_stop() {
                return Ok(stop);
            }
            let mut link = match Link::connect(
                endpoint,
                config.clone(),
                self.position.clone(),
                self.args.timeout,
            ) {
                Ok(link) => link,
                Err(e) if !connected_once || !e.is_transient() => {
                    return Err(explain(e, endpoint));
                }
                Err(e) => {
                    warn(&format!("{e}; retrying in {backoff:?}"));
                    if let Some(stop) = self.pause(backoff) {
                        return Ok(stop);
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            connected_once = true;
            *lock(&self.shared.local_addr) = link.local_addr();
            // An error writing our own output ends the run (a closed pipe
            // is a normal way out); only link failures are retried.
            let ended = match self.pump(&mut link) {
                Ok(ended) => ended,
                // `--rdb save` failing (a full disk) is about the snapshot
                // file, not the report on stdout.
                Err(e) if e.get_ref().is_some_and(|inner| inner.is::<SnapshotError>()) => {
                    return Err(anyhow::Error::new(e)).context("saving the snapshot");
                }
                Err(e) => return Err(e).context("writing the report"),
            };
            if link.replica().is_streaming() {
                backoff = Duration::from_millis(100);
                failures = 0;
            }
            let phase = link.replica().phase();
            self.position = link.replica().position();
            let e = match ended {
                Ended::Stopped(stop) => return Ok(stop),
                Ended::Failed(e) => e,
            };
            self.abort_snapshot();
            if !link.heard()
                && matches!(e, LinkError::Io(_) | LinkError::Closed)
                && !endpoint_tls(endpoint)
            {
                return Err(anyhow::Error::from(e).context(format!(
                    "master {endpoint} hung up before answering (if it is a TLS port, pass --tls \
                     or a rediss:// URI)"
                )));
            }
            if let LinkError::Replication(ReplError::Protocol(message)) = &e {
                super::problem(format!("{endpoint}: protocol error {message}"));
                return Ok(Stop::ProtocolError);
            }
            if !e.is_transient() {
                if let Some(position) = self.position.clone() {
                    self.save_resume(&position)?;
                }
                return Err(explain(e, endpoint));
            }
            self.disconnected(&e)?;
            failures += 1;
            let repeated = if failures > 1 {
                format!(" (failure {failures} in a row without reaching the stream)")
            } else {
                String::new()
            };
            warn(&format!(
                "{e} {phase}{repeated}; reconnecting in {backoff:?}"
            ));
            if let Some(stop) = self.pause(backoff) {
                return Ok(stop);
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// Events from one connection until it fails or the run stops. `Err`
    /// is an error writing our output; link failures are an [`Ended`].
    fn pump(&mut self, link: &mut Link) -> std::io::Result<Ended> {
        let mut since_check = 0u32;
        loop {
            loop {
                let event = match link.poll() {
                    Ok(Some(event)) => event,
                    Ok(None) => break,
                    Err(e) => return Ok(Ended::Failed(e)),
                };
                if let Some(stop) = self.handle(event, link)? {
                    return Ok(Ended::Stopped(stop));
                }
                since_check += 1;
                if since_check >= CHECK_EVERY {
                    since_check = 0;
                    self.housekeeping(link)?;
                    if let Some(stop) = self.should_stop() {
                        return Ok(Ended::Stopped(stop));
                    }
                }
            }
            // Nothing buffered is left: show everything before waiting.
            self.out.flush(&self.bars)?;
            self.housekeeping(link)?;
            if let Some(stop) = self.should_stop() {
                return Ok(Ended::Stopped(stop));
            }
            let mut wake = Instant::now() + Duration::from_millis(250);
            if let Some(deadline) = self.deadline {
                wake = wake.min(deadline);
            }
            if let Err(e) = link.read(wake) {
                return Ok(Ended::Failed(e));
            }
        }
    }

    fn handle(&mut self, event: Event, link: &Link) -> std::io::Result<Option<Stop>> {
        match event {
            Event::Keepalive => {}
            Event::Warning(message) => warn(&message),
            Event::FullResync { replid, offset } => {
                if let Some(previous) = &self.position {
                    warn(&format!(
                        "master could not continue from offset {} and forced a full resync: \
                         what happened up to offset {offset} is only in its snapshot",
                        previous.offset
                    ));
                }
                self.phase = Phase::Waiting;
                self.summary.full_resyncs += 1;
                self.summary.replid = Some(replid.clone());
                self.out.sync("full", &replid, offset, None)?;
            }
            Event::Continue {
                replid,
                previous_replid,
                offset,
            } => {
                self.summary.partial_resyncs += 1;
                self.summary.replid = Some(replid.clone());
                self.out
                    .sync("partial", &replid, offset, previous_replid.as_deref())?;
                self.stream_started(offset);
            }
            Event::SnapshotStart(form) => {
                if let Err(e) = self.sink.begin(form) {
                    return self.snapshot_failed(e);
                }
                // Made hidden, then shown through the group: a bar that
                // drew on its own before joining would tear the status line.
                let bar = match form.size() {
                    Some(total) => progress::bytes(total, Format::Json, "snapshot"),
                    None => progress::bytes_unknown(Format::Json, "snapshot"),
                };
                self.snapshot_bar = Some(self.bars.insert_before(&self.status, bar));
                self.phase = Phase::Snapshot;
                self.summary.snapshot_form = Some(form);
            }
            Event::SnapshotData(chunk) => {
                if let Err(e) = self.sink.data(&chunk) {
                    return self.snapshot_failed(e);
                }
                if let Some(bar) = &self.snapshot_bar {
                    bar.inc(chunk.len() as u64);
                }
            }
            Event::SnapshotEnd { bytes } => {
                let done = match self.sink.end() {
                    Ok(done) => done,
                    Err(e) => return self.snapshot_failed(e),
                };
                if let Some(bar) = self.snapshot_bar.take() {
                    bar.finish_and_clear();
                }
                self.summary.snapshots += 1;
                self.summary.snapshot_bytes += bytes;
                let form = self
                    .summary
                    .snapshot_form
                    .unwrap_or(SnapshotForm::EofMarked);
                self.out.snapshot(form, bytes, &done)?;
                self.stream_started(link.replica().offset());
            }
            Event::Command(command) => return self.command(&command),
        }
        Ok(None)
    }

    /// A corrupt snapshot is a finding (exit 1) that ends the run; a sink
    /// that cannot write its file is an error.
    fn snapshot_failed(&mut self, e: SnapshotError) -> std::io::Result<Option<Stop>> {
        match e {
            SnapshotError::Rdb(_) => {
                self.out.flush(&self.bars)?;
                super::problem(format!("{}: {e}", self.summary.master));
                Ok(Some(Stop::CorruptSnapshot))
            }
            SnapshotError::Io { .. } => Err(std::io::Error::other(e)),
        }
    }

    fn stream_started(&mut self, offset: u64) {
        self.phase = Phase::Streaming;
        self.summary.offset = Some(offset);
        self.shared.offset.store(offset, Ordering::Relaxed);
    }

    fn command(&mut self, command: &Command) -> std::io::Result<Option<Stop>> {
        if let Some(name) = command.args.first() {
            self.stats.add_command(name, command.length);
        }
        if self.filter.accepts(command) {
            let seen = Seen {
                args: &command.args,
                client: None,
                bytes: command.length as u64,
                latency: None,
            };
            self.hot.add(&seen);
            if let Some(w) = &mut self.window {
                w.hot.add(&seen);
            }
            if !self.window.as_ref().is_some_and(|w| w.refreshing) {
                self.out.command(command)?;
            }
            self.summary.shown += 1;
        }
        self.summary.offset = Some(command.offset);
        self.shared.offset.store(command.offset, Ordering::Relaxed);
        if self.args.count.is_some_and(|n| self.summary.shown >= n) {
            return Ok(Some(Stop::Count));
        }
        Ok(None)
    }

    /// Lag lines, the status line and the resume file: work that is due
    /// whenever the feed pauses, and now and then when it does not.
    fn housekeeping(&mut self, link: &Link) -> std::io::Result<()> {
        self.close_window(false)?;
        while let Ok(lag) = self.lag_rx.try_recv() {
            self.out.lag(&lag)?;
            self.summary.last_lag = Some(lag);
        }
        self.publish_metrics();
        if self.last_status.elapsed() >= Duration::from_millis(200) {
            self.last_status = Instant::now();
            self.status.set_message(self.status_text());
        }
        if self.args.resume.is_some()
            && self.last_resume_save.elapsed() >= Duration::from_secs(1)
            && let Some(position) = link.replica().position()
        {
            self.last_resume_save = Instant::now();
            self.save_resume(&position)?;
        }
        Ok(())
    }

    /// Report the interval once it is over (or, `last`, in any case) and
    /// start the next.
    fn close_window(&mut self, last: bool) -> std::io::Result<()> {
        let Some(w) = &mut self.window else {
            return Ok(());
        };
        if !last && w.start.elapsed() < w.every {
            return Ok(());
        }
        let seconds = w.start.elapsed().as_secs_f64();
        let now = unix_micros();
        let report = IntervalReport {
            kind: "interval",
            start_unix_ms: w.start_unix / 1000,
            end_unix_ms: now / 1000,
            seconds,
            hot: w.hot.report(),
        };
        w.hot.clear();
        w.start = Instant::now();
        w.start_unix = now;
        let refreshing = w.refreshing;
        self.out.interval(&report, refreshing, &self.bars)
    }

    fn status_text(&self) -> String {
        let mut text = match self.phase {
            Phase::Connecting => "connecting…".to_owned(),
            Phase::Waiting => "waiting for the master's snapshot…".to_owned(),
            Phase::Snapshot => "receiving the snapshot…".to_owned(),
            Phase::Streaming => format!(
                "offset {}  {} shown",
                self.summary.offset.unwrap_or(0),
                self.summary.shown
            ),
        };
        if let Some(lag) = &self.summary.last_lag {
            text.push_str(&format!("  lag {} B / {:.1} s", lag.bytes, lag.seconds));
        }
        text
    }

    /// Write the resume file, after everything before it is on stdout: a
    /// restart must not skip a command it never showed.
    fn save_resume(&mut self, position: &Position) -> std::io::Result<()> {
        let Some(path) = &self.args.resume else {
            return Ok(());
        };
        if self.saved_position.as_ref() == Some(position) {
            return Ok(());
        }
        self.out.flush(&self.bars)?;
        position.save(path).map_err(std::io::Error::other)?;
        self.saved_position = Some(position.clone());
        Ok(())
    }

    fn disconnected(&mut self, error: &LinkError) -> std::io::Result<()> {
        self.phase = Phase::Connecting;
        self.summary.disconnects += 1;
        let offset = self.position.as_ref().map(|p| p.offset);
        self.out.disconnected(offset, &error.to_string())
    }

    fn abort_snapshot(&mut self) {
        if let Some(bar) = self.snapshot_bar.take() {
            bar.finish_and_clear();
            self.sink.abort();
        }
    }

    fn should_stop(&self) -> Option<Stop> {
        if crate::stop::requested() {
            return Some(Stop::Interrupted);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(Stop::Duration);
        }
        None
    }

    /// Sleep between reconnects, waking for a stop.
    fn pause(&self, duration: Duration) -> Option<Stop> {
        let until = Instant::now() + duration;
        while Instant::now() < until {
            if let Some(stop) = self.should_stop() {
                return Some(stop);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.should_stop()
    }

    /// Flush, save the position, print the summary, decide the status.
    fn finish(mut self, outcome: anyhow::Result<Stop>) -> anyhow::Result<Status> {
        self.abort_snapshot();
        self.status.finish_and_clear();
        let stop = outcome?;
        self.out.flush(&self.bars)?;
        if let Some(position) = self.position.clone() {
            self.save_resume(&position)
                .context("saving the resume position")?;
        }
        self.close_window(true)?;
        self.summary.hot = Some(self.hot.report());
        self.summary.stopped = Some(stop);
        self.summary.commands = self.stats.frames;
        self.summary.bytes = self.stats.bytes;
        self.summary.by_command = self.stats.commands();
        self.summary.elapsed_seconds = self.started.elapsed().as_secs_f64();
        if !self.args.lag_interval.is_zero() {
            let stats = lock(&self.shared.tracker).stats();
            self.summary.lag = Some(stats);
        }
        let exceeded = self.shared.exceeded.load(Ordering::Relaxed);
        self.summary.max_lag_exceeded = self.args.max_lag.map(|_| exceeded);
        self.out.summary(&self.summary)?;
        if matches!(stop, Stop::ProtocolError | Stop::CorruptSnapshot) || exceeded {
            return Ok(Status::Problem);
        }
        Ok(Status::Ok)
    }
}

/// Where reports go: rows or JSON Lines on stdout, notes on stderr.
enum Output<'a> {
    Table(Columns<&'a mut dyn Write>),
    Json(JsonLines<&'a mut dyn Write>),
}

/// JSON Lines objects other than commands and the summary.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line<'a> {
    Sync {
        mode: &'static str,
        replid: &'a str,
        offset: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_replid: Option<&'a str>,
    },
    Snapshot {
        form: &'static str,
        bytes: u64,
        saved: Option<String>,
        /// With `--rdb summary`: keys by database and type.
        #[serde(skip_serializing_if = "Option::is_none")]
        keys: Option<&'a KeyCounts>,
        /// With `--rdb summary`: the verified RDB checksum.
        #[serde(skip_serializing_if = "Option::is_none")]
        checksum: Option<&'a Checksum>,
    },
    Lag(&'a Lag),
    Disconnected {
        offset: Option<u64>,
        error: &'a str,
    },
}

#[derive(Serialize)]
struct CommandLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    offset: u64,
    db: i64,
    args: Args<'a>,
}

struct Args<'a>(&'a [Bytes]);

impl Serialize for Args<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_list(self.0, s)
    }
}

impl<'a> Output<'a> {
    fn new(format: Format, out: &'a mut dyn Write) -> Output<'a> {
        match format {
            Format::Json => Output::Json(JsonLines::batched(out)),
            Format::Table => Output::Table(Columns::new(
                out,
                vec![
                    Column::right("OFFSET", 12),
                    Column::right("DB", 3),
                    Column::left("COMMAND", 12),
                ],
                "ARGS",
            )),
        }
    }

    fn command(&mut self, c: &Command) -> std::io::Result<()> {
        match self {
            Output::Json(lines) => lines.write(&CommandLine {
                kind: "command",
                offset: c.offset,
                db: c.db,
                args: Args(&c.args),
            }),
            Output::Table(columns) => {
                let offset = c.offset.to_string();
                let db = c.db.to_string();
                let name = c.args.first().map(|n| display(n)).unwrap_or_default();
                let rest = c.args.get(1..).unwrap_or(&[]);
                let mut shown: Vec<String> = rest
                    .iter()
                    .take(ROW_ARGS)
                    .map(|a| display_short(a, ROW_ARG_CHARS))
                    .collect();
                if rest.len() > ROW_ARGS {
                    shown.push(format!("… (+{} args)", rest.len() - ROW_ARGS));
                }
                columns.row(&[&offset, &db, &name, &shown.join(" ")])
            }
        }
    }

    fn sync(
        &mut self,
        mode: &'static str,
        replid: &str,
        offset: u64,
        previous_replid: Option<&str>,
    ) -> std::io::Result<()> {
        match self {
            Output::Json(lines) => lines.write(&Line::Sync {
                mode,
                replid,
                offset,
                previous_replid,
            }),
            Output::Table(_) => {
                let change = previous_replid
                    .map(|p| format!(", replication ID changed from {p}"))
                    .unwrap_or_default();
                note(&format!(
                    "{mode} resync: replid {replid} offset {offset}{change}"
                ));
                Ok(())
            }
        }
    }

    fn snapshot(
        &mut self,
        form: SnapshotForm,
        bytes: u64,
        done: &SnapshotDone,
    ) -> std::io::Result<()> {
        let saved = done.saved.as_ref().map(|p| p.display().to_string());
        match self {
            Output::Json(lines) => lines.write(&Line::Snapshot {
                form: form.name(),
                bytes,
                saved,
                keys: done.keys.as_ref(),
                checksum: done.checksum.as_ref(),
            }),
            Output::Table(_) => {
                let saved = saved.map(|p| format!(", saved to {p}")).unwrap_or_default();
                note(&format!(
                    "snapshot received: {bytes} bytes ({} form){saved}",
                    form.name()
                ));
                for db in done.keys.iter().flat_map(|k| &k.databases) {
                    let types: Vec<String> =
                        db.types.iter().map(|(t, n)| format!("{t} {n}")).collect();
                    note(&format!(
                        "  db {}: {} keys ({})",
                        db.db,
                        db.keys,
                        types.join(", ")
                    ));
                }
                if let Some(c) = &done.checksum {
                    let stored = c.stored.as_deref().unwrap_or("none");
                    note(&format!(
                        "  checksum {}: stored {stored}, computed {}",
                        c.status, c.computed
                    ));
                }
                Ok(())
            }
        }
    }

    fn lag(&mut self, lag: &Lag) -> std::io::Result<()> {
        match self {
            Output::Json(lines) => lines.write(&Line::Lag(lag)),
            Output::Table(_) => Ok(()),
        }
    }

    fn disconnected(&mut self, offset: Option<u64>, error: &str) -> std::io::Result<()> {
        match self {
            Output::Json(lines) => lines.write(&Line::Disconnected { offset, error }),
            Output::Table(_) => Ok(()),
        }
    }

    fn interval(
        &mut self,
        report: &IntervalReport,
        refreshing: bool,
        bars: &MultiProgress,
    ) -> std::io::Result<()> {
        match self {
            Output::Json(lines) => lines.write(report),
            Output::Table(columns) => {
                columns.flush()?;
                let mut text = Vec::new();
                if refreshing {
                    text.extend_from_slice(b"\x1b[H\x1b[2J");
                } else {
                    text.push(b'\n');
                }
                writeln!(
                    text,
                    "Interval of {:.1} s: {} commands",
                    report.seconds, report.hot.counted.commands
                )?;
                report.hot.write_tables(&mut text, false)?;
                let out = columns.get_mut();
                bars.suspend(|| {
                    out.write_all(&text)?;
                    out.flush()
                })
            }
        }
    }

    fn summary(&mut self, summary: &Summary) -> std::io::Result<()> {
        match self {
            Output::Json(lines) => {
                lines.write(summary)?;
                lines.flush()
            }
            Output::Table(columns) => {
                columns.flush()?;
                let mut text = Vec::new();
                summary.table(&mut text)?;
                let out = columns.get_mut();
                out.write_all(&text)?;
                out.flush()
            }
        }
    }

    /// Flush rows, with the bars out of the way while they print when both
    /// share the terminal. Into a pipe the bars stay: holding their lock
    /// while a slow reader blocks us would also block the lag thread's
    /// warnings, which are meant for exactly that moment.
    fn flush(&mut self, bars: &MultiProgress) -> std::io::Result<()> {
        let mut flush = || match self {
            Output::Json(lines) => lines.flush(),
            Output::Table(columns) => columns.flush(),
        };
        static STDOUT_TTY: OnceLock<bool> = OnceLock::new();
        if *STDOUT_TTY.get_or_init(|| std::io::stdout().is_terminal()) {
            bars.suspend(flush)
        } else {
            flush()
        }
    }
}

/// The final report.
#[derive(Serialize)]
struct Summary {
    #[serde(rename = "type")]
    kind: &'static str,
    master: String,
    /// Why the run ended: count, duration, interrupted, protocol_error.
    stopped: Option<Stop>,
    replid: Option<String>,
    /// The offset after the last command processed.
    offset: Option<u64>,
    /// Commands in the feed (also those filtered out).
    commands: u64,
    /// Commands reported.
    shown: u64,
    /// Bytes of the command stream processed.
    bytes: u64,
    by_command: Vec<CommandCount>,
    snapshots: u64,
    snapshot_bytes: u64,
    full_resyncs: u64,
    partial_resyncs: u64,
    disconnects: u64,
    lag: Option<LagStats>,
    /// Set when --max-lag was given: whether a poll crossed it.
    max_lag_exceeded: Option<bool>,
    elapsed_seconds: f64,
    #[serde(skip)]
    snapshot_form: Option<SnapshotForm>,
    #[serde(skip)]
    last_lag: Option<Lag>,
    /// Hot keys of the commands reported.
    hot: Option<HotReport>,
}

/// The hot keys of one `--interval`.
#[derive(Serialize)]
struct IntervalReport {
    #[serde(rename = "type")]
    kind: &'static str,
    start_unix_ms: u64,
    end_unix_ms: u64,
    seconds: f64,
    #[serde(flatten)]
    hot: HotReport,
}

impl Summary {
    fn new(master: &str) -> Summary {
        Summary {
            kind: "summary",
            master: master.to_owned(),
            stopped: None,
            replid: None,
            offset: None,
            commands: 0,
            shown: 0,
            bytes: 0,
            by_command: Vec::new(),
            snapshots: 0,
            snapshot_bytes: 0,
            full_resyncs: 0,
            partial_resyncs: 0,
            disconnects: 0,
            lag: None,
            max_lag_exceeded: None,
            elapsed_seconds: 0.0,
            snapshot_form: None,
            last_lag: None,
            hot: None,
        }
    }
}

impl Report for Summary {
    fn table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let opt = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
        let stopped = match self.stopped {
            Some(Stop::Count) => "count reached",
            Some(Stop::Duration) => "duration reached",
            Some(Stop::Interrupted) => "interrupted",
            Some(Stop::ProtocolError) => "protocol error",
            Some(Stop::CorruptSnapshot) => "corrupt snapshot",
            None => "-",
        };
        let mut rows = vec![
            ("master", self.master.clone()),
            ("stopped", stopped.to_owned()),
            ("replid", self.replid.clone().unwrap_or_else(|| "-".into())),
            ("offset", opt(self.offset)),
            ("commands", self.commands.to_string()),
            ("shown", self.shown.to_string()),
            ("bytes", self.bytes.to_string()),
            (
                "snapshots",
                format!("{} ({} bytes)", self.snapshots, self.snapshot_bytes),
            ),
            (
                "resyncs",
                format!(
                    "{} full, {} partial",
                    self.full_resyncs, self.partial_resyncs
                ),
            ),
            ("disconnects", self.disconnects.to_string()),
        ];
        if let Some(lag) = &self.lag {
            rows.push((
                "lag bytes",
                format!(
                    "max {}  mean {:.0}  final {}  over {} polls",
                    lag.max_bytes, lag.mean_bytes, lag.final_bytes, lag.samples
                ),
            ));
            rows.push((
                "lag seconds",
                format!(
                    "max {:.3}  mean {:.3}  final {:.3}",
                    lag.max_seconds, lag.mean_seconds, lag.final_seconds
                ),
            ));
        }
        if let Some(exceeded) = self.max_lag_exceeded {
            rows.push(("max lag exceeded", exceeded.to_string()));
        }
        rows.push(("elapsed", format!("{:.1} s", self.elapsed_seconds)));
        table::write(out, &table::key_values(rows))?;
        super::resp_decode::write_command_counts(out, &self.by_command)?;
        match &self.hot {
            Some(hot) => hot.write_tables(out, false),
            None => Ok(()),
        }
    }
}

/// `--rdb`: what to do with a snapshot.
enum SnapshotMode {
    Skip,
    Save(PathBuf),
    Summary,
}

impl SnapshotMode {
    fn parse(words: &[String]) -> anyhow::Result<SnapshotMode> {
        match words {
            [mode] if mode == "skip" => Ok(SnapshotMode::Skip),
            [mode] if mode == "summary" => Ok(SnapshotMode::Summary),
            [mode, file] if mode == "save" => {
                let path = PathBuf::from(file);
                let dir = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                if !dir.is_dir() {
                    bail!(
                        "--rdb save {file}: directory {} does not exist",
                        dir.display()
                    );
                }
                Ok(SnapshotMode::Save(path))
            }
            [mode] if mode == "save" => bail!("--rdb save needs a FILE"),
            [mode, extra] if mode == "skip" || mode == "summary" => {
                bail!("--rdb {mode} takes no FILE (got {extra:?}; put HOST:PORT before --rdb)")
            }
            _ => bail!(
                "--rdb {}: expected `skip`, `summary` or `save FILE`",
                words.join(" ")
            ),
        }
    }

    fn sink(&self) -> Box<dyn SnapshotSink> {
        match self {
            SnapshotMode::Skip => Box::new(Discard),
            SnapshotMode::Save(path) => Box::new(SaveFile::new(path)),
            SnapshotMode::Summary => Box::new(RdbSummary::new()),
        }
    }
}

/// The lag thread.
struct Poller {
    endpoint: Endpoint,
    interval: Duration,
    timeout: Duration,
    max_lag: Option<u64>,
    shared: Arc<Shared>,
    tx: SyncSender<Lag>,
}

impl Poller {
    fn run(self, stop: Receiver<()>) {
        let mut probe: Option<MasterProbe> = None;
        let mut failing = false;
        let mut buffer_warned = false;
        loop {
            match stop.recv_timeout(self.interval) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            if probe.is_none() {
                match MasterProbe::connect(&self.endpoint, self.timeout) {
                    Ok(p) => probe = Some(p),
                    Err(e) => {
                        if !failing {
                            warn(&format!("lag polling: cannot connect: {e}"));
                        }
                        failing = true;
                        continue;
                    }
                }
            }
            let Some(p) = probe.as_mut() else { continue };
            let ours = self.shared.offset.load(Ordering::Relaxed);
            let master_offset = match p.master_offset() {
                Ok(m) => m,
                Err(e) => {
                    if !failing {
                        warn(&format!("lag polling: {e}"));
                    }
                    failing = true;
                    probe = None;
                    continue;
                }
            };
            failing = false;
            if ours != NOT_STREAMING {
                let lag = lock(&self.shared.tracker).observe(Sample {
                    at: Instant::now(),
                    master_offset,
                    offset: ours,
                });
                if let Some(max) = self.max_lag
                    && lag.bytes > max
                    && !self.shared.exceeded.swap(true, Ordering::Relaxed)
                {
                    warn(&format!(
                        "lag of {} bytes exceeds --max-lag {max} (exit status will be 1)",
                        lag.bytes
                    ));
                }
                if let Err(TrySendError::Disconnected(_)) = self.tx.try_send(lag) {
                    return;
                }
            }
            let ours_addr = *lock(&self.shared.local_addr);
            if let Some(addr) = ours_addr
                && let Ok(Some(buffer)) = p.output_buffer(addr)
                && let Some(limit) = buffer.limit
            {
                if !buffer_warned && buffer.used.saturating_mul(2) >= limit {
                    buffer_warned = true;
                    warn(&format!(
                        "the master has {} bytes queued for this tail, {}% of its replica \
                         output buffer limit of {limit} bytes; past the limit it drops us \
                         (stdout is not keeping up)",
                        buffer.used,
                        buffer.used * 100 / limit
                    ));
                } else if buffer.used.saturating_mul(4) < limit {
                    buffer_warned = false;
                }
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Every message this command prints to stderr goes through here.
fn log(warning: bool, message: &str) {
    let print = || {
        if warning {
            eprintln!("sonde: warning: {message}");
        } else {
            eprintln!("sonde: {message}");
        }
    };
    match BARS.get() {
        Some(bars) => bars.suspend(print),
        None => print(),
    }
}

fn warn(message: &str) {
    log(true, message);
}

fn note(message: &str) {
    log(false, message);
}

/// A link error as the user can act on it: authentication refusals name
/// the options that supply credentials.
fn endpoint_tls(endpoint: &Endpoint) -> bool {
    endpoint.tls.is_some()
}

/// Connection errors name the endpoint already; others get it in front.
fn explain(e: LinkError, endpoint: &Endpoint) -> anyhow::Error {
    match e {
        LinkError::Replication(ReplError::Auth(reply)) => anyhow::anyhow!(
            "master {endpoint}: {}",
            crate::connect::auth_hint(
                &reply,
                endpoint.user.as_deref(),
                endpoint.password.is_some()
            )
        ),
        LinkError::Connect(e) => e.into(),
        other => anyhow::Error::from(other).context(format!("master {endpoint}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdb_modes() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches!(
            SnapshotMode::parse(&words(&["skip"])),
            Ok(SnapshotMode::Skip)
        ));
        assert!(matches!(
            SnapshotMode::parse(&words(&["save", "dump.rdb"])),
            Ok(SnapshotMode::Save(_))
        ));
        assert!(matches!(
            SnapshotMode::parse(&words(&["summary"])),
            Ok(SnapshotMode::Summary)
        ));
        for bad in [
            &["save"][..],
            &["skip", "x"],
            &["summary", "x"],
            &["sumary"],
            &["save", "/nonexistent/d/x.rdb"],
        ] {
            assert!(SnapshotMode::parse(&words(bad)).is_err(), "{bad:?}");
        }
    }
}
