//! The Prometheus `/metrics` endpoint of `serve` (`metrics-port N`): INFO's
//! fields under the metric names redis_exporter gives them, so existing
//! dashboards and alerts work unchanged, plus per-command call counts,
//! durations and latency histograms (`redis_commands_latencies_usec`, as
//! redis_exporter derives from Redis 7's LATENCYSTATS).
//!
//! A small thread owns the HTTP listener, so a slow scraper never touches
//! the event loop. A scrape raises a flag and waits (up to a second) for
//! the loop, which renders a fresh page at its next cron tick and hands it
//! over; the loop never blocks on the thread.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::Server;
use super::connection::Client;

/// Upper bounds (µs) of the latency histogram buckets, as Redis's
/// LATENCYSTATS percentiles are usually read: 1 µs to 1 s, then +Inf.
pub const BUCKETS_USEC: [u64; 11] = [
    1, 5, 10, 50, 100, 500, 1_000, 5_000, 10_000, 100_000, 1_000_000,
];

/// Index of the bucket a call of `usec` falls in (the last: +Inf).
pub fn bucket(usec: u64) -> usize {
    BUCKETS_USEC
        .iter()
        .position(|&bound| usec <= bound)
        .unwrap_or(BUCKETS_USEC.len())
}

/// What the scraping thread and the loop share.
#[derive(Default)]
struct Shared {
    wanted: AtomicBool,
    page: Mutex<(u64, String)>,
    fresh: Condvar,
}

/// The running endpoint, held by the server.
pub struct Endpoint {
    shared: Arc<Shared>,
}

impl Endpoint {
    /// Listen on `host:port` and serve scrapes from a thread.
    pub fn start(host: &str, port: u16) -> std::io::Result<Endpoint> {
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let listener = TcpListener::bind(addr)?;
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("sonde-metrics".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = crate::output::metrics::serve_one(stream, || fresh_page(&theirs));
                }
            })?;
        Ok(Endpoint { shared })
    }

    /// Called by the loop's cron: render a page when a scrape waits.
    pub fn tick(srv: &Server) {
        let Some(endpoint) = &srv.metrics else {
            return;
        };
        let shared = &endpoint.shared;
        if !shared.wanted.swap(false, Ordering::SeqCst) {
            return;
        }
        let text = render(srv);
        if let Ok(mut page) = shared.page.lock() {
            page.0 += 1;
            page.1 = text;
        }
        shared.fresh.notify_all();
    }
}

/// The page for one scrape: asks the loop for a fresh one and waits up to
/// a second for it (the last one if the loop is busy).
fn fresh_page(shared: &Shared) -> std::io::Result<String> {
    let mut page = shared
        .page
        .lock()
        .map_err(|_| std::io::Error::other("poisoned"))?;
    let seen = page.0;
    shared.wanted.store(true, Ordering::SeqCst);
    let (next, _) = shared
        .fresh
        .wait_timeout_while(page, Duration::from_secs(1), |p| p.0 == seen)
        .map_err(|_| std::io::Error::other("poisoned"))?;
    page = next;
    Ok(page.1.clone())
}

/// INFO fields renamed as redis_exporter names them: (INFO field, metric,
/// type). Counters end in `_total`.
const RENAMED: &[(&str, &str, &str)] = &[
    ("uptime_in_seconds", "redis_uptime_in_seconds", "gauge"),
    ("connected_clients", "redis_connected_clients", "gauge"),
    ("blocked_clients", "redis_blocked_clients", "gauge"),
    ("maxclients", "redis_max_clients", "gauge"),
    ("used_memory", "redis_memory_used_bytes", "gauge"),
    ("used_memory_rss", "redis_memory_used_rss_bytes", "gauge"),
    ("used_memory_peak", "redis_memory_used_peak_bytes", "gauge"),
    (
        "mem_fragmentation_ratio",
        "redis_mem_fragmentation_ratio",
        "gauge",
    ),
    (
        "total_connections_received",
        "redis_connections_received_total",
        "counter",
    ),
    (
        "total_commands_processed",
        "redis_commands_processed_total",
        "counter",
    ),
    (
        "instantaneous_ops_per_sec",
        "redis_instantaneous_ops_per_sec",
        "gauge",
    ),
    (
        "total_net_input_bytes",
        "redis_net_input_bytes_total",
        "counter",
    ),
    (
        "total_net_output_bytes",
        "redis_net_output_bytes_total",
        "counter",
    ),
    (
        "rejected_connections",
        "redis_rejected_connections_total",
        "counter",
    ),
    ("expired_keys", "redis_expired_keys_total", "counter"),
    ("evicted_keys", "redis_evicted_keys_total", "counter"),
    ("keyspace_hits", "redis_keyspace_hits_total", "counter"),
    ("keyspace_misses", "redis_keyspace_misses_total", "counter"),
    ("pubsub_channels", "redis_pubsub_channels", "gauge"),
    ("pubsub_patterns", "redis_pubsub_patterns", "gauge"),
    ("latest_fork_usec", "redis_latest_fork_usec", "gauge"),
    ("total_forks", "redis_forks_total", "counter"),
    ("sync_full", "redis_replica_resyncs_full", "gauge"),
    (
        "sync_partial_ok",
        "redis_replica_partial_resync_accepted",
        "gauge",
    ),
    (
        "sync_partial_err",
        "redis_replica_partial_resync_denied",
        "gauge",
    ),
    ("loading", "redis_loading_dump_file", "gauge"),
    (
        "rdb_changes_since_last_save",
        "redis_rdb_changes_since_last_save",
        "gauge",
    ),
    (
        "rdb_bgsave_in_progress",
        "redis_rdb_bgsave_in_progress",
        "gauge",
    ),
    (
        "rdb_last_save_time",
        "redis_rdb_last_save_timestamp_seconds",
        "gauge",
    ),
    (
        "rdb_last_bgsave_time_sec",
        "redis_rdb_last_bgsave_duration_sec",
        "gauge",
    ),
    ("aof_enabled", "redis_aof_enabled", "gauge"),
    (
        "aof_rewrite_in_progress",
        "redis_aof_rewrite_in_progress",
        "gauge",
    ),
    ("aof_current_size", "redis_aof_current_size_bytes", "gauge"),
    ("aof_base_size", "redis_aof_base_size_bytes", "gauge"),
    ("connected_slaves", "redis_connected_slaves", "gauge"),
    ("master_repl_offset", "redis_master_repl_offset", "gauge"),
    ("second_repl_offset", "redis_second_repl_offset", "gauge"),
    (
        "repl_backlog_active",
        "redis_repl_backlog_is_active",
        "gauge",
    ),
    ("repl_backlog_size", "redis_repl_backlog_size", "gauge"),
    (
        "repl_backlog_histlen",
        "redis_repl_backlog_history_bytes",
        "gauge",
    ),
    (
        "master_last_io_seconds_ago",
        "redis_master_last_io_seconds_ago",
        "gauge",
    ),
    ("slave_repl_offset", "redis_slave_repl_offset", "gauge"),
    ("used_cpu_sys", "redis_cpu_sys_seconds_total", "counter"),
    ("used_cpu_user", "redis_cpu_user_seconds_total", "counter"),
    (
        "used_cpu_sys_children",
        "redis_cpu_sys_children_seconds_total",
        "counter",
    ),
    (
        "used_cpu_user_children",
        "redis_cpu_user_children_seconds_total",
        "counter",
    ),
];

/// The whole page, from INFO everything and the command table.
pub fn render(srv: &Server) -> String {
    let me = Client::new(0, 0, None);
    let info = super::info::render(srv, &me, &["everything".to_owned()]);
    let mut fields = std::collections::HashMap::new();
    let mut keyspace = Vec::new();
    for line in info.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if key.starts_with("db") && value.starts_with("keys=") {
            keyspace.push((key.to_owned(), value.to_owned()));
        } else {
            fields.insert(key, value);
        }
    }
    let mut out = String::with_capacity(16 * 1024);
    let _ = writeln!(out, "# HELP redis_up Information about the Redis instance");
    let _ = writeln!(out, "# TYPE redis_up gauge\nredis_up 1");
    let role = fields.get("role").copied().unwrap_or("master");
    let _ = writeln!(
        out,
        "# HELP redis_instance_info Information about the Redis instance\n# TYPE redis_instance_info gauge\nredis_instance_info{{redis_version=\"{}\",redis_mode=\"standalone\",role=\"{role}\",run_id=\"{}\",tcp_port=\"{}\",server=\"sonde\",sonde_version=\"{}\"}} 1",
        super::REDIS_VERSION,
        srv.run_id,
        srv.port,
        env!("CARGO_PKG_VERSION"),
    );
    for &(field, metric, kind) in RENAMED {
        let Some(value) = fields.get(field).and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        let _ = writeln!(
            out,
            "# HELP {metric} INFO {field}\n# TYPE {metric} {kind}\n{metric} {value}"
        );
    }
    if !keyspace.is_empty() {
        let mut keys = String::new();
        let mut expiring = String::new();
        let mut ttl = String::new();
        for (db, value) in &keyspace {
            let get = |name: &str| {
                value
                    .split(',')
                    .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            let _ = writeln!(keys, "redis_db_keys{{db=\"{db}\"}} {}", get("keys"));
            let _ = writeln!(
                expiring,
                "redis_db_keys_expiring{{db=\"{db}\"}} {}",
                get("expires")
            );
            let _ = writeln!(
                ttl,
                "redis_db_avg_ttl_seconds{{db=\"{db}\"}} {}",
                get("avg_ttl") / 1000.0
            );
        }
        let _ = write!(
            out,
            "# HELP redis_db_keys Total number of keys by DB\n# TYPE redis_db_keys gauge\n{keys}"
        );
        let _ = write!(
            out,
            "# HELP redis_db_keys_expiring Total number of expiring keys by DB\n# TYPE redis_db_keys_expiring gauge\n{expiring}"
        );
        let _ = write!(
            out,
            "# HELP redis_db_avg_ttl_seconds Avg TTL in seconds\n# TYPE redis_db_avg_ttl_seconds gauge\n{ttl}"
        );
    }
    commands(srv, &mut out);
    out
}

/// Per-command counters and the latency histogram.
fn commands(srv: &Server, out: &mut String) {
    let used: Vec<_> = srv
        .commands
        .entries
        .iter()
        .filter(|e| e.stats.calls > 0 || e.stats.rejected_calls > 0 || e.stats.failed_calls > 0)
        .collect();
    let mut calls = String::new();
    let mut seconds = String::new();
    let mut rejected = String::new();
    let mut failed = String::new();
    let mut histogram = String::new();
    for entry in &used {
        let s = &entry.stats;
        let cmd = entry.full_name.replace('|', "_");
        let _ = writeln!(calls, "redis_commands_total{{cmd=\"{cmd}\"}} {}", s.calls);
        let _ = writeln!(
            seconds,
            "redis_commands_duration_seconds_total{{cmd=\"{cmd}\"}} {}",
            s.usec as f64 / 1e6
        );
        let _ = writeln!(
            rejected,
            "redis_commands_rejected_calls_total{{cmd=\"{cmd}\"}} {}",
            s.rejected_calls
        );
        let _ = writeln!(
            failed,
            "redis_commands_failed_calls_total{{cmd=\"{cmd}\"}} {}",
            s.failed_calls
        );
        let mut cumulative = 0;
        for (i, bound) in BUCKETS_USEC.iter().enumerate() {
            cumulative += s.latency[i];
            let _ = writeln!(
                histogram,
                "redis_commands_latencies_usec_bucket{{cmd=\"{cmd}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += s.latency[BUCKETS_USEC.len()];
        let _ = writeln!(
            histogram,
            "redis_commands_latencies_usec_bucket{{cmd=\"{cmd}\",le=\"+Inf\"}} {cumulative}\nredis_commands_latencies_usec_sum{{cmd=\"{cmd}\"}} {}\nredis_commands_latencies_usec_count{{cmd=\"{cmd}\"}} {cumulative}",
            s.usec
        );
    }
    if used.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "# HELP redis_commands_total Total number of calls per command\n# TYPE redis_commands_total counter\n{calls}"
    );
    let _ = write!(
        out,
        "# HELP redis_commands_duration_seconds_total Total amount of time in seconds spent per command\n# TYPE redis_commands_duration_seconds_total counter\n{seconds}"
    );
    let _ = write!(
        out,
        "# HELP redis_commands_rejected_calls_total Total number of errors prior command execution per command\n# TYPE redis_commands_rejected_calls_total counter\n{rejected}"
    );
    let _ = write!(
        out,
        "# HELP redis_commands_failed_calls_total Total number of errors within command execution per command\n# TYPE redis_commands_failed_calls_total counter\n{failed}"
    );
    let _ = write!(
        out,
        "# HELP redis_commands_latencies_usec A histogram of latencies per command\n# TYPE redis_commands_latencies_usec histogram\n{histogram}"
    );
}
