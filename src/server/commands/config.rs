//! CONFIG GET, SET, RESETSTAT and HELP: the command side of the parameter
//! table in `server::config`.

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::config::table::Apply;
use super::super::connection::Client;
use super::super::persistence;
use super::help;

const G: &str = "server";

pub const COMMANDS: &[Spec] = &[Spec::container(
    "config",
    -2,
    G,
    "2.0.0",
    "A container for server configuration commands",
    CONFIG,
)];

const CONFIG: &[Spec] = &[
    Spec::new(
        "get",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.0.0",
        "Get the values of configuration parameters",
        config_get,
    ),
    Spec::new(
        "set",
        -4,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.0.0",
        "Set configuration parameters to the given values",
        config_set,
    ),
    Spec::new(
        "resetstat",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.0.0",
        "Reset the stats returned by INFO",
        config_resetstat,
    ),
    Spec::new(
        "rewrite",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.8.0",
        "Overwrite the configuration file",
        config_rewrite,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "5.0.0",
        "Show helpful text about the different subcommands",
        config_help,
    ),
];

fn config_get(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let found = srv.config.get_matching(&args[2..]);
    client.reply.map(found.len());
    for (name, value) in found {
        client.reply.bulk(name.as_bytes());
        client.reply.bulk(value.as_bytes());
    }
}

fn config_set(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if !args.len().is_multiple_of(2) {
        client
            .reply
            .error("wrong number of arguments for 'config|set' command");
        return;
    }
    let pairs: Vec<(&[u8], &[u8])> = args[2..].chunks(2).map(|p| (p[0], p[1])).collect();
    // Parameters that would act on a dataset being loaded (a replica's
    // diskless load) wait for it to finish, as Redis's DENY_LOADING_CONFIG.
    const DENY_LOADING: [&str; 3] = ["appendonly", "repl-diskless-load", "dir"];
    if srv.persistence.loading.is_some()
        && pairs.iter().any(|(name, _)| {
            DENY_LOADING
                .iter()
                .any(|d| name.eq_ignore_ascii_case(d.as_bytes()))
        })
    {
        client
            .reply
            .error("-LOADING Redis is loading the dataset in memory");
        return;
    }
    let old = srv.config.clone();
    let applies = match srv.config.config_set(&pairs, client.is_local) {
        Ok(applies) => applies,
        Err(message) => {
            client.reply.error(message.trim_start_matches("ERR "));
            return;
        }
    };
    log_warnings(srv);
    // Apply in order; when one fails, the old configuration comes back and
    // what was applied already is applied again with the old values.
    for (i, &(apply, name)) in applies.iter().enumerate() {
        if let Err(why) = run_apply(srv, apply, name) {
            srv.config = old;
            for &(undo, undo_name) in &applies[..i] {
                let _ = run_apply(srv, undo, undo_name);
            }
            client.reply.error(&format!(
                "CONFIG SET failed (possibly related to argument '{name}') - {why}"
            ));
            return;
        }
    }
    client.reply.ok();
}

/// Make the running server follow a changed parameter.
fn run_apply(srv: &mut Server, apply: Apply, name: &str) -> Result<(), String> {
    match apply {
        Apply::None => {}
        Apply::Encodings => super::super::types::set_limits(&srv.config.encodings),
        Apply::SanitizeDump => {
            super::super::rdb_value::set_sanitize_dump(srv.config.sanitize_dump_payload())
        }
        Apply::LogLevel => srv
            .log
            .set_level(super::super::log_level(srv.config.loglevel)),
        Apply::Appendonly => {
            let running = srv.persistence.aof.is_some() || srv.persistence.aof_pending_start;
            if srv.config.appendonly && !running {
                persistence::start_aof(srv)
                    .map_err(|e| format!("Unable to turn on AOF. Check server logs. ({e})"))?;
            } else if !srv.config.appendonly && running {
                persistence::stop_aof(srv);
            }
        }
        Apply::Notifications => srv.configure_notifications(),
        Apply::AofTimestamps => srv.feed.aof_timestamps = srv.config.aof_timestamp_enabled,
        Apply::AofAutoGc => {
            if !srv.config.aof_disable_auto_gc
                && let Some(aof) = srv.persistence.aof.as_mut()
            {
                for note in aof.delete_history() {
                    srv.log.notice(&note, &[]);
                }
            }
        }
        Apply::OomScore => {
            let class = super::super::oom::own_class(srv);
            super::super::oom::apply(srv, class).map_err(|e| {
                srv.log.warning(&e, &[]);
                "Failed to set current oom_score_adj. Check server logs.".to_owned()
            })?;
        }
        Apply::ProcTitle => super::super::proctitle::apply(&srv.config),
        Apply::RequirePass => srv.acl_update_requirepass(),
        Apply::Maxmemory => srv.maxmemory_changed(),
        Apply::Access => srv.access_changed(),
        Apply::ClientEviction => srv.evict_clients(),
        Apply::Tls => {
            if srv.listeners.tls.is_some() {
                let config = srv.config.tls.server_config().map_err(|e| {
                    srv.log.warning(&e, &[]);
                    "Unable to update TLS configuration. Check server logs.".to_owned()
                })?;
                srv.listeners.tls = Some(config);
            }
        }
        Apply::Listeners => {
            // A failure leaves the old addresses bound again.
            super::super::event_loop::rebind_plain(srv).map_err(|e| {
                srv.log.warning(&format!("{e:#}"), &[]);
                if name == "port" {
                    "Unable to listen on this port. Check server logs.".to_owned()
                } else {
                    "Failed to bind to specified addresses.".to_owned()
                }
            })?;
        }
    }
    Ok(())
}

/// Values accepted under SONDE_UNSUPPORTED_CONFIG=warn are logged.
fn log_warnings(srv: &mut Server) {
    for warning in std::mem::take(&mut srv.config.warnings) {
        srv.log.warning(&warning, &[]);
    }
}

fn config_rewrite(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    rewrite(srv, client, false);
}

/// DEBUG CONFIG-REWRITE-FORCE-ALL: CONFIG REWRITE writing every parameter.
pub fn debug_rewrite_force_all(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    rewrite(srv, client, true);
}

fn rewrite(srv: &mut Server, client: &mut Client, force_all: bool) {
    srv.config.acl_user_lines = Some(srv.acl_user_lines());
    match srv.config.rewrite(force_all) {
        Ok(()) => {
            srv.log
                .warning("CONFIG REWRITE executed with success.", &[]);
            client.reply.ok();
        }
        Err(message) => {
            srv.log
                .warning(&format!("CONFIG REWRITE failed: {message}"), &[]);
            client.reply.error(&message);
        }
    }
}

fn config_resetstat(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let samples = std::mem::take(&mut srv.stats.samples);
    srv.stats = Default::default();
    srv.stats.samples = samples;
    srv.ks.effects.expired_keys = 0;
    srv.ks.effects.keyspace_hits = 0;
    srv.ks.effects.keyspace_misses = 0;
    for entry in &mut srv.commands.entries {
        entry.stats = Default::default();
        entry.histogram = None;
    }
    // As Redis's resetServerStats: persistence and replication counters
    // too; the slow log is left alone (SLOWLOG RESET clears it).
    srv.persistence.rdb_saves = 0;
    srv.persistence.aof_rewrites = 0;
    srv.persistence.aof_rewrites_consecutive_failures = 0;
    srv.persistence.total_forks = 0;
    srv.replication.sync_full = 0;
    srv.replication.sync_partial_ok = 0;
    srv.replication.sync_partial_err = 0;
    srv.eviction.evicted_keys = 0;
    srv.eviction.evicted_clients = 0;
    super::super::lazyfree::reset_stats();
    super::super::rdb_value::reset_stats();
    client.reply.ok();
}

fn config_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
}
