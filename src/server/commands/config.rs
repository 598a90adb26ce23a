//! CONFIG GET, SET, RESETSTAT and HELP: the command side of the parameter
//! table in `server::config`.

use super::super::Server;
use super::super::command::{Spec, flags::*};
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
    let before = srv.config.loglevel;
    let appendonly = srv.config.appendonly;
    match srv.config.config_set(&pairs, client.is_local) {
        Ok(()) => {
            super::super::types::set_limits(&srv.config.encodings);
            if srv.config.loglevel != before {
                srv.log
                    .set_level(super::super::log_level(srv.config.loglevel));
            }
            match (appendonly, srv.config.appendonly) {
                (false, true) => {
                    if let Err(e) = persistence::start_aof(srv) {
                        srv.config.appendonly = false;
                        client.reply.error(&format!(
                            "CONFIG SET failed (possibly related to argument 'appendonly') - \
                             Unable to turn on AOF. Check server logs. ({e})"
                        ));
                        return;
                    }
                }
                (true, false) => persistence::stop_aof(srv),
                _ => {}
            }
            client.reply.ok();
        }
        Err(message) => client.reply.error(message.trim_start_matches("ERR ")),
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
    }
    srv.slowlog.clear();
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
        ],
    );
}
