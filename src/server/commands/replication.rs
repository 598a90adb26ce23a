//! Replication commands: PSYNC and SYNC (a replica attaching), REPLCONF
//! (its handshake options and ACKs), REPLICAOF/SLAVEOF, ROLE. The work is
//! in [`crate::server::replication`]; replies and texts are Redis's.

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::persistence;
use super::super::replication::{self, upstream};
use super::is;
use crate::output::log::Field;
use crate::resp::number::string2ll;

const G: &str = "server";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "psync",
        -3,
        ADMIN | NOSCRIPT | NO_MULTI | NO_ASYNC_LOADING,
        G,
        "2.8.0",
        "An internal command used in replication",
        psync,
    ),
    Spec::new(
        "sync",
        1,
        ADMIN | NOSCRIPT | NO_MULTI | NO_ASYNC_LOADING,
        G,
        "1.0.0",
        "An internal command used in replication",
        sync,
    ),
    Spec::new(
        "replconf",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        G,
        "3.0.0",
        "An internal command for configuring the replication stream",
        replconf,
    ),
    Spec::new(
        "replicaof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        G,
        "5.0.0",
        "Configure a server as replica of another, or promote it to a master",
        replicaof,
    ),
    Spec::new(
        "slaveof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        G,
        "1.0.0",
        "Configure a server as replica of another, or promote it to a master",
        replicaof,
    ),
    Spec::new(
        "failover",
        -1,
        ADMIN | NOSCRIPT | STALE,
        G,
        "6.2.0",
        "Start a coordinated failover between this server and one of its replicas.",
        failover,
    ),
    Spec::new(
        "wait",
        3,
        NOSCRIPT,
        "generic",
        "3.0.0",
        "Wait for the synchronous replication of all the write commands sent in the context of \
         the current connection",
        wait,
    ),
    Spec::new(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST,
        G,
        "2.8.12",
        "Return the role of the instance in the context of replication",
        role,
    ),
];

fn psync(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(offset) = string2ll(args[2]) else {
        srv.log.warning(
            &format!(
                "Replica {} asks for synchronization but with a wrong offset",
                client.addr()
            ),
            &[],
        );
        client.reply.not_an_integer();
        return;
    };
    if args.len() > 3 && is(args[3], "failover") {
        // A master handing over to us in a coordinated failover.
        srv.log.warning(
            &format!(
                "Failover request received for replid {}.",
                String::from_utf8_lossy(args[1])
            ),
            &[],
        );
        if srv.replication.upstream.is_none() {
            client
                .reply
                .error("PSYNC FAILOVER can't be sent to a master.");
            return;
        }
        if !args[1].eq_ignore_ascii_case(srv.replication.replid.as_bytes()) {
            client
                .reply
                .error("PSYNC FAILOVER replid must match my replid.");
            return;
        }
        upstream::promote(srv);
        srv.log.notice(
            "MASTER MODE enabled (failover request)",
            &[("client", Field::Str(&client.addr()))],
        );
    }
    if filtered_snapshot(srv, client, true) {
        return;
    }
    replication::psync(srv, client, args[1], offset, false);
}

fn failover(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    replication::failover::command(srv, client, args);
}

fn sync(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    if filtered_snapshot(srv, client, false) {
        return;
    }
    replication::psync(srv, client, b"?", -1, true);
}

/// A replica that asked for only a snapshot, without the keys (REPLCONF
/// rdb-only 1 and rdb-filter-only, as `redis-cli --functions-rdb`) gets one holding
/// at most the function libraries: small, so written here rather than by
/// a child, sent as a `$<length>` bulk (after `+FULLRESYNC` for PSYNC) and
/// the connection closed; it never becomes a replica. Returns whether
/// the client was such a one.
fn filtered_snapshot(srv: &mut Server, client: &mut Client, psync: bool) -> bool {
    let Some(down) = client.replica.as_deref() else {
        return false;
    };
    // (redis-cli --replica asks for no data but wants the command stream
    // after: it gets the whole snapshot, which it discards anyway.)
    if !(down.exclude_data && down.rdb_only) {
        return false;
    }
    let options = persistence::snapshot::Options {
        exclude_data: true,
        exclude_functions: down.exclude_functions,
        key_delay_us: 0,
        ..persistence::snapshot_options(&srv.config)
    };
    let mut image = Vec::new();
    if let Err(e) = persistence::snapshot::write(&srv.ks, &mut image, &options) {
        client
            .reply
            .error(&format!("cannot write the snapshot: {e}"));
        return true;
    }
    if psync {
        client.reply.raw(
            format!(
                "+FULLRESYNC {} {}\r\n",
                srv.replication.replid, srv.replication.master_repl_offset
            )
            .as_bytes(),
        );
    }
    client.reply.raw(format!("${}\r\n", image.len()).as_bytes());
    client.reply.raw(&image);
    client.close_after_reply = true;
    srv.log.notice(
        "Replica asked for a snapshot without data (rdb-filter-only): sent, closing",
        &[
            ("client", Field::Str(&client.addr())),
            ("bytes", Field::Int(image.len() as i64)),
        ],
    );
    true
}

fn replconf(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len().is_multiple_of(2) {
        client.reply.syntax_error();
        return;
    }
    for pair in args[1..].chunks(2) {
        let (option, value) = (pair[0], pair[1]);
        if is(option, "listening-port") {
            let Some(port) = string2ll(value) else {
                client.reply.not_an_integer();
                return;
            };
            let down = client.replica.get_or_insert_with(Box::default);
            down.listening_port = port.clamp(0, 65535) as u16;
        } else if is(option, "ip-address") {
            if value.len() >= 256 {
                client.reply.error(&format!(
                    "REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    value.len()
                ));
                return;
            }
            let down = client.replica.get_or_insert_with(Box::default);
            down.announced_ip = Some(String::from_utf8_lossy(value).into_owned());
        } else if is(option, "capa") {
            let down = client.replica.get_or_insert_with(Box::default);
            if is(value, "eof") {
                down.capa_eof = true;
            } else if is(value, "psync2") {
                down.capa_psync2 = true;
            }
        } else if is(option, "ack") || is(option, "fack") {
            // ACKs get no reply.
            if is(option, "ack")
                && let Some(offset) = string2ll(value).filter(|&o| o >= 0)
            {
                replication::ack(srv, client, offset as u64);
            }
            return;
        } else if is(option, "getack") {
            // Only a master asks; the link answers it.
            return;
        } else if is(option, "rdb-only") {
            let Some(only) = string2ll(value).filter(|v| (0..=1).contains(v)) else {
                client
                    .reply
                    .error("value is out of range, must be between 0 and 1");
                return;
            };
            client.replica.get_or_insert_with(Box::default).rdb_only = only == 1;
        } else if is(option, "rdb-filter-only") {
            // Include filters: by default the snapshot holds nothing; only
            // "functions" can be asked for back (Redis 7.0 knows no other).
            let Some(filters) = crate::resp::request::split_args(value) else {
                client.reply.error("Missing rdb-filter-only values");
                return;
            };
            let mut exclude_functions = true;
            for filter in &filters {
                if filter.eq_ignore_ascii_case(b"functions") {
                    exclude_functions = false;
                } else {
                    client.reply.error(&format!(
                        "Unsupported rdb-filter-only option: {}",
                        String::from_utf8_lossy(filter)
                    ));
                    return;
                }
            }
            let down = client.replica.get_or_insert_with(Box::default);
            down.exclude_data = true;
            down.exclude_functions = exclude_functions;
        } else {
            client.reply.error(&format!(
                "Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(option)
            ));
            return;
        }
    }
    client.reply.ok();
}

fn replicaof(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if srv.replication.failover.is_some() {
        client
            .reply
            .error("REPLICAOF not allowed while failing over.");
        return;
    }
    if is(args[1], "no") && is(args[2], "one") {
        if srv.replication.upstream.is_some() {
            upstream::promote(srv);
            srv.log.notice(
                "MASTER MODE enabled (user request)",
                &[("client", Field::Str(&client.addr()))],
            );
        }
        let _ = super::super::oom::apply(srv, super::super::oom::Class::Master);
        client.reply.ok();
        return;
    }
    if client.kind() == "replica" {
        client
            .reply
            .error("Command is not valid when client is a replica.");
        return;
    }
    let port = match string2ll(args[2]) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        Some(_) => {
            client.reply.error("Invalid master port");
            return;
        }
        None => {
            client.reply.not_an_integer();
            return;
        }
    };
    let host = String::from_utf8_lossy(args[1]).into_owned();
    if let Some(up) = &srv.replication.upstream
        && up.host.eq_ignore_ascii_case(&host)
        && up.port == port
    {
        srv.log.notice(
            "REPLICAOF would result into synchronization with the master we are already \
             connected with. No operation performed.",
            &[],
        );
        client
            .reply
            .simple("OK Already connected to specified master");
        return;
    }
    upstream::start(srv, host, port, true);
    let _ = super::super::oom::apply(srv, super::super::oom::Class::Replica);
    client.reply.ok();
}

fn wait(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if srv.replication.upstream.is_some() {
        client.reply.error(
            "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 \
             if a replica is configured to be writable (which is not the default) writes to \
             replicas are just local and are not propagated.",
        );
        return;
    }
    let Some(replicas) = string2ll(args[1]) else {
        client.reply.not_an_integer();
        return;
    };
    let timeout = match string2ll(args[2]) {
        Some(t) if t < 0 => {
            client.reply.error("timeout is negative");
            return;
        }
        Some(t) => t as u64,
        None => {
            client
                .reply
                .error("timeout is not an integer or out of range");
            return;
        }
    };
    replication::wait(srv, client, replicas.max(0) as usize, timeout);
}

fn role(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    replication::role(srv, client);
}
