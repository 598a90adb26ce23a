//! FAILOVER: a coordinated hand-over from this master to one of its
//! replicas, without losing a write (Redis 6.2's command, same texts).
//!
//! 1. `FAILOVER [TO host port [FORCE]] [TIMEOUT ms]` pauses writes (the
//!    clients that send one wait, with their request still in their query
//!    buffer): `waiting-for-sync`. Replicas acknowledge every second.
//! 2. Once the target (or, without TO, any replica) acknowledged the whole
//!    stream — or the timeout passed with FORCE — this server becomes a
//!    replica of it and sends `PSYNC <replid> <offset> FAILOVER`, which
//!    makes the target promote itself before it answers:
//!    `failover-in-progress`.
//! 3. `+CONTINUE` (or a full resync) ends the failover; the paused clients
//!    run their requests, now on a replica (`-READONLY` for writes). A
//!    refused PSYNC, a timeout without FORCE, or `FAILOVER ABORT` go back
//!    to being the master, and the paused writes run here.
//!
//! The write pause is this module's own small hook in
//! [`Server::call_request`]: it holds the writes of ordinary clients only
//! while a failover runs. CLIENT PAUSE is a separate, general mechanism.

use std::time::{Duration, Instant};

use super::{DownState, replicas, upstream};
use crate::output::log::Field;
use crate::resp::number::string2ll;
use crate::server::Server;
use crate::server::commands::is;
use crate::server::connection::Client;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    WaitForSync,
    InProgress,
}

/// A failover under way.
#[derive(Debug)]
pub struct Failover {
    pub phase: Phase,
    /// The replica to hand over to (chosen once one caught up, without TO).
    pub target: Option<(String, u16)>,
    pub deadline: Option<Instant>,
    pub force: bool,
}

/// `master_failover_state` of INFO replication.
pub fn state_name(srv: &Server) -> &'static str {
    match srv.replication.failover.as_ref().map(|f| f.phase) {
        None => "no-failover",
        Some(Phase::WaitForSync) => "waiting-for-sync",
        Some(Phase::InProgress) => "failover-in-progress",
    }
}

/// Whether the failover holds this request back: writes (and EXEC of a
/// transaction with writes) of ordinary clients, while one runs.
pub fn pauses(srv: &Server, client: &Client, write: bool, exec: bool) -> bool {
    if srv.replication.failover.is_none() || client.is_master || client.replica.is_some() {
        return false;
    }
    let queued_write = exec
        && client
            .multi
            .as_ref()
            .is_some_and(|m| m.flags & crate::server::command::flags::WRITE != 0);
    (write && client.multi.is_none()) || queued_write
}

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms].
pub fn command(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() == 2 && is(args[1], "abort") {
        if srv.replication.failover.is_none() {
            client.reply.error("No failover in progress.");
            return;
        }
        abort(srv, "Failover manually aborted");
        client.reply.ok();
        return;
    }
    let mut timeout_ms: i64 = 0;
    let mut force = false;
    let mut target: Option<(String, i64)> = None;
    let mut j = 1;
    while j < args.len() {
        if is(args[j], "timeout") && j + 1 < args.len() && timeout_ms == 0 {
            let Some(t) = string2ll(args[j + 1]) else {
                client.reply.not_an_integer();
                return;
            };
            if t <= 0 {
                client
                    .reply
                    .error("FAILOVER timeout must be greater than 0");
                return;
            }
            timeout_ms = t;
            j += 2;
        } else if is(args[j], "to") && j + 2 < args.len() && target.is_none() {
            let Some(port) = string2ll(args[j + 2]) else {
                client.reply.not_an_integer();
                return;
            };
            target = Some((String::from_utf8_lossy(args[j + 1]).into_owned(), port));
            j += 3;
        } else if is(args[j], "force") && !force {
            force = true;
            j += 1;
        } else {
            client.reply.syntax_error();
            return;
        }
    }
    if srv.replication.failover.is_some() {
        client.reply.error("FAILOVER already in progress.");
        return;
    }
    if srv.replication.upstream.is_some() {
        client
            .reply
            .error("FAILOVER is not valid when server is a replica.");
        return;
    }
    if !super::has_replicas(srv) {
        client.reply.error("FAILOVER requires connected replicas.");
        return;
    }
    if force && (timeout_ms == 0 || target.is_none()) {
        client
            .reply
            .error("FAILOVER with force option requires both a timeout and target HOST and IP.");
        return;
    }
    let target = match target {
        Some((host, port)) => {
            let Some(online) = find_replica(srv, &host, port) else {
                client
                    .reply
                    .error("FAILOVER target HOST and PORT is not a replica.");
                return;
            };
            if !online {
                client.reply.error("FAILOVER target replica is not online.");
                return;
            }
            srv.log
                .notice(&format!("FAILOVER requested to {host}:{port}."), &[]);
            Some((host, port as u16))
        }
        None => {
            srv.log.notice("FAILOVER requested to any replica.", &[]);
            None
        }
    };
    srv.replication.failover = Some(Failover {
        phase: Phase::WaitForSync,
        target,
        deadline: (timeout_ms > 0)
            .then(|| Instant::now() + Duration::from_millis(timeout_ms as u64)),
        force,
    });
    client.reply.ok();
}

/// Whether the attached replica listed at host:port is online.
fn find_replica(srv: &Server, host: &str, port: i64) -> Option<bool> {
    replicas(srv)
        .find(|(c, d)| {
            i64::from(d.listening_port) == port
                && super::replica_ip(c, d).eq_ignore_ascii_case(host)
        })
        .map(|(_, d)| matches!(d.state, DownState::Online))
}

/// Each loop iteration while waiting for sync: time out, or hand over to
/// a replica that acknowledged everything.
pub fn check(srv: &mut Server) {
    let Some(f) = srv.replication.failover.as_ref() else {
        return;
    };
    if f.phase != Phase::WaitForSync {
        return;
    }
    if f.deadline.is_some_and(|d| Instant::now() >= d) {
        if f.force
            && let Some((host, port)) = f.target.clone()
        {
            srv.log.notice(
                &format!("FAILOVER to {host}:{port} time out exceeded, failing over."),
                &[],
            );
            hand_over(srv, host, port);
        } else {
            abort(srv, "Replica never caught up before timeout");
        }
        return;
    }
    let offset = srv.replication.master_repl_offset;
    let caught_up = replicas(srv)
        .filter(|(_, d)| matches!(d.state, DownState::Online) && d.ack_offset == offset)
        .map(|(c, d)| (super::replica_ip(c, d), d.listening_port))
        .find(|(host, port)| {
            f.target
                .as_ref()
                .is_none_or(|(h, p)| h.eq_ignore_ascii_case(host) && p == port)
        });
    if let Some((host, port)) = caught_up {
        srv.log.notice(
            &format!("Failover target {host}:{port} is synced, failing over."),
            &[],
        );
        hand_over(srv, host, port);
    }
}

/// Become a replica of the target, asking it to take over.
fn hand_over(srv: &mut Server, host: String, port: u16) {
    upstream::start(srv, host.clone(), port, true);
    if let Some(up) = srv.replication.upstream.as_mut() {
        up.psync_failover = true;
    }
    srv.replication.failover = Some(Failover {
        phase: Phase::InProgress,
        target: Some((host, port)),
        deadline: None,
        force: false,
    });
}

/// The target answered our PSYNC FAILOVER: accepted (the failover is
/// over) or refused (abort, master again).
pub fn psync_answered(srv: &mut Server, accepted: bool) {
    if srv
        .replication
        .failover
        .as_ref()
        .is_none_or(|f| f.phase != Phase::InProgress)
    {
        return;
    }
    if let Some(up) = srv.replication.upstream.as_mut() {
        up.psync_failover = false;
    }
    if accepted {
        clear(srv);
    } else {
        abort(srv, "Failover target rejected psync request");
    }
}

/// Give up: a master again (if we had handed over), writes resume.
pub fn abort(srv: &mut Server, why: &str) {
    let Some(f) = srv.replication.failover.as_ref() else {
        return;
    };
    let to = match &f.target {
        Some((host, port)) => format!("{host}:{port}"),
        None => "any replica".to_owned(),
    };
    srv.log.notice(
        &format!("FAILOVER to {to} aborted: {why}"),
        &[("reason", Field::Str(why))],
    );
    if f.phase == Phase::InProgress {
        upstream::promote(srv);
    }
    clear(srv);
}

/// The failover is over: the clients whose writes waited run them.
fn clear(srv: &mut Server) {
    srv.replication.failover = None;
    let held: Vec<usize> = srv
        .clients
        .iter()
        .filter(|c| c.paused_request)
        .map(|c| c.slot)
        .collect();
    for slot in held {
        if let Some(c) = srv.clients.get_mut(slot) {
            c.paused_request = false;
        }
        srv.blocking.unblocked.push(slot);
    }
}
