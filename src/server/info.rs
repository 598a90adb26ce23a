//! INFO: the server's sections with Redis's section and field names, so
//! dashboards and scripts written for redis-server read sonde unchanged.
//! Fields Redis reports that do not apply (replicas) carry the values an
//! idle redis-server would show.

use std::fmt::Write;

use super::clock::lru_clock;
use super::connection::Client;
use super::{REDIS_VERSION, Server, memory};

/// Sections in the order Redis prints them, and which are in "default".
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
    ("commandstats", false),
];

/// Render the requested sections (none: default).
pub fn render(srv: &Server, me: &Client, requested: &[String]) -> String {
    let all = requested.iter().any(|s| s == "all" || s == "everything");
    let default = requested.is_empty() || requested.iter().any(|s| s == "default");
    let mut out = String::new();
    let mut first = true;
    for &(name, in_default) in SECTIONS {
        let wanted = all || (default && in_default) || requested.iter().any(|s| s == name);
        if !wanted {
            continue;
        }
        if !first {
            out.push_str("\r\n");
        }
        first = false;
        section(srv, me, name, &mut out);
    }
    out
}

fn title(out: &mut String, name: &str) {
    let mut chars = name.chars();
    let cap: String = chars
        .next()
        .map(|c| c.to_ascii_uppercase())
        .into_iter()
        .chain(chars)
        .collect();
    let cap = match name {
        "cpu" => "CPU".to_owned(),
        "commandstats" => "Commandstats".to_owned(),
        "errorstats" => "Errorstats".to_owned(),
        "latencystats" => "Latencystats".to_owned(),
        _ => cap,
    };
    let _ = write!(out, "# {cap}\r\n");
}

fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{name}:{value}\r\n");
}

fn human_bytes(n: usize) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{n}B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.2}K", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", n / 1024.0 / 1024.0)
    } else {
        format!("{:.2}G", n / 1024.0 / 1024.0 / 1024.0)
    }
}

fn cpu_times() -> (f64, f64) {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(usage.ru_utime), secs(usage.ru_stime))
}

fn section(srv: &Server, me: &Client, name: &str, out: &mut String) {
    title(out, name);
    let uptime = srv.uptime().as_secs();
    match name {
        "server" => {
            field(out, "redis_version", REDIS_VERSION);
            field(out, "redis_git_sha1", "00000000");
            field(out, "redis_git_dirty", 0);
            field(out, "redis_build_id", "0");
            field(out, "redis_mode", "standalone");
            field(out, "os", std::env::consts::OS);
            field(out, "arch_bits", usize::BITS);
            field(out, "monotonic_clock", "POSIX clock_gettime");
            field(out, "multiplexing_api", "epoll");
            field(out, "atomicvar_api", "c11-builtin");
            field(out, "gcc_version", "0.0.0");
            field(out, "process_id", std::process::id());
            field(out, "process_supervised", "no");
            field(out, "run_id", &srv.run_id);
            field(out, "tcp_port", srv.port);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            field(out, "server_time_usec", now.as_micros());
            field(out, "uptime_in_seconds", uptime);
            field(out, "uptime_in_days", uptime / 86_400);
            field(out, "hz", srv.config.hz);
            field(out, "configured_hz", srv.config.hz);
            field(out, "lru_clock", lru_clock());
            field(
                out,
                "executable",
                std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            );
            field(
                out,
                "config_file",
                srv.config
                    .config_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            );
            field(out, "io_threads_active", 0);
            if let Some(ms) = super::shutdown::remaining_ms(srv) {
                field(out, "shutdown_in_milliseconds", ms);
            }
            field(out, "sonde_version", env!("CARGO_PKG_VERSION"));
        }
        "clients" => {
            let others = srv.clients.iter();
            let (mut max_in, mut max_out) = (me.query_size(), me.reply.pending());
            for c in others {
                max_in = max_in.max(c.query_size());
                max_out = max_out.max(c.reply.pending());
            }
            // Replicas are not counted (Redis lists them apart).
            let replicas = super::replication::replicas(srv).count();
            field(out, "connected_clients", srv.clients.count - replicas);
            field(out, "cluster_connections", 0);
            field(out, "maxclients", srv.config.maxclients);
            field(out, "client_recent_max_input_buffer", max_in);
            field(out, "client_recent_max_output_buffer", max_out);
            field(out, "blocked_clients", srv.blocking.count);
            field(out, "tracking_clients", srv.tracking.clients);
            field(out, "clients_in_timeout_table", 0);
        }
        "memory" => {
            let used = memory::allocated();
            let rss = memory::rss();
            let peak = srv.memory_peak.max(used);
            field(out, "used_memory", used);
            field(out, "used_memory_human", human_bytes(used));
            field(out, "used_memory_rss", rss);
            field(out, "used_memory_rss_human", human_bytes(rss));
            field(out, "used_memory_peak", peak);
            field(out, "used_memory_peak_human", human_bytes(peak));
            field(
                out,
                "used_memory_peak_perc",
                format!("{:.2}%", used as f64 * 100.0 / peak.max(1) as f64),
            );
            let buckets: usize = srv
                .ks
                .dbs
                .iter()
                .map(|d| d.dict.bucket_bytes() + d.expires.bucket_bytes())
                .sum();
            field(out, "used_memory_overhead", buckets);
            field(out, "used_memory_dataset", used.saturating_sub(buckets));
            scripting_memory(out, srv);
            let maxmemory = srv.config.maxmemory as usize;
            field(out, "maxmemory", maxmemory);
            field(out, "maxmemory_human", human_bytes(maxmemory));
            field(out, "maxmemory_policy", srv.config.maxmemory_policy.name());
            let clients_limit = srv.client_memory_limit();
            field(out, "maxmemory_clients", clients_limit);
            field(out, "maxmemory_clients_human", human_bytes(clients_limit));
            field(
                out,
                "mem_not_counted_for_evict",
                srv.memory_not_counted_for_evict(),
            );
            let (buffers, backlog_size) = srv
                .replication
                .backlog
                .as_ref()
                .map_or((0, 0), |b| (b.memory(), b.size()));
            let replicas = super::replication::has_replicas(srv);
            let backlog = if replicas {
                buffers.min(backlog_size)
            } else {
                buffers
            };
            field(out, "mem_replication_backlog", backlog);
            field(out, "mem_total_replication_buffers", buffers);
            field(out, "mem_clients_slaves", srv.memory_of_replicas());
            field(
                out,
                "mem_clients_normal",
                srv.memory_of_clients() + me.memory(),
            );
            field(out, "mem_aof_buffer", srv.feed.aof.buf.capacity());
            field(
                out,
                "mem_fragmentation_ratio",
                format!("{:.2}", rss as f64 / used.max(1) as f64),
            );
            field(out, "mem_allocator", "mimalloc");
            field(out, "lazyfree_pending_objects", super::lazyfree::pending());
            field(out, "lazyfreed_objects", super::lazyfree::freed());
        }
        "persistence" => {
            for (name, value) in super::persistence::info_fields(srv) {
                field(out, name, value);
            }
        }
        "stats" => {
            let s = &srv.stats;
            let (ops, kin, kout) = s.instantaneous();
            let fx = &srv.ks.effects;
            field(out, "total_connections_received", s.connections_received);
            field(out, "total_commands_processed", s.commands_processed);
            field(out, "instantaneous_ops_per_sec", ops);
            field(out, "total_net_input_bytes", s.net_input_bytes);
            field(out, "total_net_output_bytes", s.net_output_bytes);
            field(out, "instantaneous_input_kbps", format!("{kin:.2}"));
            field(out, "instantaneous_output_kbps", format!("{kout:.2}"));
            field(out, "rejected_connections", s.rejected_connections);
            let repl = &srv.replication;
            field(out, "sync_full", repl.sync_full);
            field(out, "sync_partial_ok", repl.sync_partial_ok);
            field(out, "sync_partial_err", repl.sync_partial_err);
            field(out, "expired_keys", fx.expired_keys);
            field(out, "evicted_keys", srv.eviction.evicted_keys);
            field(out, "evicted_clients", srv.eviction.evicted_clients);
            field(out, "latest_fork_usec", srv.persistence.latest_fork_usec);
            field(out, "total_forks", srv.persistence.total_forks);
            field(out, "migrate_cached_sockets", srv.migrate_sockets.len());
            field(out, "keyspace_hits", fx.keyspace_hits);
            field(out, "keyspace_misses", fx.keyspace_misses);
            field(out, "pubsub_channels", srv.pubsub.channels.len());
            field(out, "pubsub_patterns", srv.pubsub.numpat());
            field(out, "tracking_total_keys", srv.tracking.total_keys());
            field(out, "tracking_total_items", srv.tracking.total_items());
            field(
                out,
                "tracking_total_prefixes",
                srv.tracking.total_prefixes(),
            );
            field(out, "unexpected_error_replies", s.unexpected_error_replies);
            field(out, "total_error_replies", s.total_error_replies);
            field(
                out,
                "dump_payload_sanitizations",
                super::rdb_value::sanitizations(),
            );
            field(
                out,
                "client_output_buffer_limit_disconnections",
                s.output_limit_disconnections,
            );
            field(
                out,
                "client_query_buffer_limit_disconnections",
                s.query_limit_disconnections,
            );
            field(out, "propagated_commands", srv.feed.count);
        }
        "replication" => {
            for (name, value) in super::replication::info_fields(srv) {
                field(out, &name, value);
            }
        }
        "cpu" => {
            let (user, sys) = cpu_times();
            field(out, "used_cpu_sys", format!("{sys:.6}"));
            field(out, "used_cpu_user", format!("{user:.6}"));
        }
        "errorstats" => {
            for (code, count) in &srv.stats.error_counts {
                field(out, &format!("errorstat_{code}"), format!("count={count}"));
            }
        }
        "latencystats" if srv.config.latency_tracking => {
            let percentiles: Vec<f64> = super::config::special::get_percentiles(&srv.config)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            for entry in &srv.commands.entries {
                let Some(h) = &entry.histogram else {
                    continue;
                };
                let values: Vec<String> = percentiles
                    .iter()
                    .map(|&p| format!("p{}={:.3}", trim_double(p), h.value_at(p) as f64 / 1000.0))
                    .collect();
                field(
                    out,
                    &format!("latency_percentiles_usec_{}", entry.full_name),
                    values.join(","),
                );
            }
        }
        "latencystats" => {}
        "cluster" => field(out, "cluster_enabled", 0),
        "keyspace" => {
            for (i, db) in srv.ks.dbs.iter().enumerate() {
                if db.is_empty() {
                    continue;
                }
                field(
                    out,
                    &format!("db{i}"),
                    format!(
                        "keys={},expires={},avg_ttl={}",
                        db.len(),
                        db.expires.len(),
                        db.avg_ttl
                    ),
                );
            }
        }
        "commandstats" => {
            for entry in &srv.commands.entries {
                let s = &entry.stats;
                if s.calls == 0 && s.rejected_calls == 0 && s.failed_calls == 0 {
                    continue;
                }
                let per_call = if s.calls > 0 {
                    s.usec as f64 / s.calls as f64
                } else {
                    0.0
                };
                field(
                    out,
                    &format!("cmdstat_{}", entry.full_name),
                    format!(
                        "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                        s.calls, s.usec, s.rejected_calls, s.failed_calls
                    ),
                );
            }
        }
        _ => {}
    }
}

/// A percentile as Redis names it: `%f` without trailing zeros (99.9, 50).
fn trim_double(p: f64) -> String {
    let text = format!("{p:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// INFO memory's scripting fields: the two interpreters and what their
/// scripts and libraries hold.
fn scripting_memory(out: &mut String, srv: &Server) {
    let scripting = &srv.scripting;
    let vm_eval = scripting.eval.memory();
    let vm_functions = scripting.functions.vm.memory();
    let functions = scripting.functions.index.len();
    let libraries = scripting.functions.libraries.len();
    field(out, "used_memory_lua", vm_eval);
    field(out, "used_memory_vm_eval", vm_eval);
    field(out, "used_memory_lua_human", human_bytes(vm_eval));
    field(out, "used_memory_scripts_eval", scripting.scripts_mem);
    field(out, "number_of_cached_scripts", scripting.scripts.len());
    field(out, "number_of_functions", functions);
    field(out, "number_of_libraries", libraries);
    field(out, "used_memory_vm_functions", vm_functions);
    field(out, "used_memory_vm_total", vm_eval + vm_functions);
    field(
        out,
        "used_memory_vm_total_human",
        human_bytes(vm_eval + vm_functions),
    );
    // What the libraries hold: their code and names (Redis counts its
    // dictionaries' overhead instead; the figure is of the same kind).
    let functions_mem: usize = scripting
        .functions
        .libraries
        .values()
        .map(|l| l.name.len() + l.code.len() + l.functions.keys().map(String::len).sum::<usize>())
        .sum();
    field(out, "used_memory_functions", functions_mem);
    field(
        out,
        "used_memory_scripts",
        scripting.scripts_mem + functions_mem,
    );
    field(
        out,
        "used_memory_scripts_human",
        human_bytes(scripting.scripts_mem + functions_mem),
    );
}
