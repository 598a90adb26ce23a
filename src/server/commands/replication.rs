//! Replication commands: PSYNC and SYNC (a replica attaching), REPLCONF
//! (its handshake options and ACKs), REPLICAOF/SLAVEOF, ROLE. The work is
//! in [`crate::server::replication`]; replies and texts are Redis's.

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::replication::{self, upstream};
use super::is;
use crate::output::log::Field;
use crate::resp::number::string2ll;

const G: &str = "server";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "psync",
        -3,
        ADMIN | NOSCRIPT | NO_MULTI,
        G,
        "2.8.0",
        "An internal command used in replication",
        psync,
    ),
    Spec::new(
        "sync",
        1,
        ADMIN | NOSCRIPT | NO_MULTI,
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
        ADMIN | NOSCRIPT | STALE,
        G,
        "5.0.0",
        "Configure a server as replica of another, or promote it to a master",
        replicaof,
    ),
    Spec::new(
        "slaveof",
        3,
        ADMIN | NOSCRIPT | STALE,
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
    replication::psync(srv, client, args[1], offset, false);
}

fn failover(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    replication::failover::command(srv, client, args);
}

fn sync(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    replication::psync(srv, client, b"?", -1, true);
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
        } else if is(option, "rdb-only") || is(option, "rdb-filter-only") {
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
