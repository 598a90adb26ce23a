//! Shutting down (SHUTDOWN, SIGTERM, SIGINT) without losing what the
//! replicas have not received yet, as Redis 7.0 does.
//!
//! Unless `NOW` is given or `shutdown-timeout` is 0, a master whose
//! replicas have not all acknowledged its whole stream first waits: writes
//! are paused, the replicas are asked for an ACK, the SHUTDOWN clients
//! block (INFO shows `shutdown_in_milliseconds`), and the event loop keeps
//! serving the replicas. Once every replica acknowledged the last offset,
//! or `shutdown-timeout` seconds passed, the shutdown finishes: lagging
//! replicas are logged, the AOF is flushed and the final snapshot written
//! (see [`persistence::prepare_shutdown`]), and the server exits. If that
//! fails, or on `SHUTDOWN ABORT`, the shutdown is cancelled: the blocked
//! clients get an error and writes resume.

use std::time::{Duration, Instant};

use super::connection::Client;
use super::persistence::{self, ShutdownSave};
use super::replication::{self, DownState};
use super::{Server, Shutdown};
use crate::output::log::Field;

/// How a shutdown was asked for.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub save: ShutdownSave,
    pub force: bool,
    /// Do not wait for replicas.
    pub now: bool,
    pub origin: Shutdown,
}

/// A shutdown waiting for lagging replicas.
pub struct Waiting {
    request: Request,
    deadline: Instant,
    /// SHUTDOWN clients blocked until it ends: (slot, id).
    blocked: Vec<(usize, u64)>,
}

/// What starting a shutdown did.
#[derive(Debug, PartialEq, Eq)]
pub enum Begun {
    /// Ready: the server exits after this loop iteration.
    Done,
    /// Waiting for replicas (or one was already under way).
    Waiting,
    /// It could not be done (logged); the server keeps running.
    Failed,
}

const CANCELLED: &str = "-ERR Errors trying to SHUTDOWN. Check logs.";

/// Start a shutdown: finish it now, or wait for the replicas first.
pub fn begin(srv: &mut Server, request: Request) -> Begun {
    if srv.shutdown_wait.is_some() {
        return Begun::Waiting;
    }
    srv.log.warning(
        "User requested shutdown...",
        &[("at_ms", Field::Int(super::clock::unix_ms()))],
    );
    let timeout = srv.config.shutdown_timeout;
    if !request.now && timeout > 0 && !replicas_in_sync(srv) {
        srv.shutdown_wait = Some(Waiting {
            request,
            deadline: Instant::now() + Duration::from_secs(timeout),
            blocked: Vec::new(),
        });
        // The replicas report where they are at once, and nothing new is
        // written meanwhile.
        srv.replication.get_ack = true;
        srv.pause_clients(
            super::pause::Mode::Write,
            Duration::from_secs(u32::MAX.into()),
        );
        srv.log
            .notice("Waiting for replicas before shutting down.", &[]);
        return Begun::Waiting;
    }
    finish(srv, request)
}

/// Each loop iteration: finish a waiting shutdown once the replicas are in
/// sync or the time is up.
pub fn check(srv: &mut Server) {
    let Some(wait) = &srv.shutdown_wait else {
        return;
    };
    if Instant::now() < wait.deadline && !replicas_in_sync(srv) {
        return;
    }
    let request = wait.request;
    if finish(srv, request) == Begun::Failed {
        cancel(srv);
    }
}

/// When a waiting shutdown gives up waiting (for the loop's timeout).
pub fn deadline(srv: &Server) -> Option<Instant> {
    srv.shutdown_wait.as_ref().map(|w| w.deadline)
}

/// Milliseconds left to wait (INFO `shutdown_in_milliseconds`).
pub fn remaining_ms(srv: &Server) -> Option<u128> {
    srv.shutdown_wait.as_ref().map(|w| {
        w.deadline
            .saturating_duration_since(Instant::now())
            .as_millis()
    })
}

/// SHUTDOWN blocks its client while the shutdown waits.
pub fn block(srv: &mut Server, client: &mut Client) {
    if let Some(wait) = srv.shutdown_wait.as_mut() {
        wait.blocked.push((client.slot, client.id));
        client.read_paused = true;
        srv.blocking.count += 1;
    }
}

/// A client closed: it no longer waits.
pub fn client_closed(srv: &mut Server, id: u64) {
    if let Some(wait) = srv.shutdown_wait.as_mut() {
        let before = wait.blocked.len();
        wait.blocked.retain(|&(_, c)| c != id);
        srv.blocking.count -= before - wait.blocked.len();
    }
}

/// SHUTDOWN ABORT: cancel a waiting shutdown, or a signal's not acted on
/// yet. False when there is none.
pub fn abort(srv: &mut Server) -> bool {
    let waiting = srv.shutdown_wait.is_some();
    if waiting {
        cancel(srv);
    } else if srv.shutdown_asap.take().is_none() {
        return false;
    }
    srv.log.warning("Shutdown manually aborted.", &[]);
    true
}

/// Whether every replica acknowledged the whole stream.
fn replicas_in_sync(srv: &Server) -> bool {
    let offset = srv.replication.master_repl_offset;
    replication::replicas(srv).all(|(_, d)| d.ack_offset == offset)
}

/// The last steps: log the replicas that lag, persist, and exit (or fail).
fn finish(srv: &mut Server, request: Request) -> Begun {
    let offset = srv.replication.master_repl_offset;
    let unix = super::clock::unix_ms() / 1000;
    let mut lines = Vec::new();
    let mut total = 0;
    for (client, down) in replication::replicas(srv) {
        total += 1;
        if down.ack_offset == offset {
            continue;
        }
        let lag = if matches!(down.state, DownState::Online) {
            unix - down.ack_unix
        } else {
            0
        };
        lines.push(format!(
            "Lagging replica {}:{} reported offset {} behind master, lag={lag}, state={}.",
            replication::replica_ip(client, down),
            down.listening_port,
            offset.saturating_sub(down.ack_offset),
            down.state_name(),
        ));
    }
    for line in &lines {
        srv.log.warning(line, &[]);
    }
    if total > 0 {
        srv.log.notice(
            &format!(
                "{} of {total} replicas are in sync when shutting down.",
                total - lines.len()
            ),
            &[],
        );
    }
    // A second SIGINT while the final snapshot is written ends the process
    // at once, removing the temporary file.
    let temp = persistence::rdb_path(&srv.config)
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join(format!("temp-{}.rdb", std::process::id()));
    crate::stop::arm_insist(Some(&temp));
    let prepared = persistence::prepare_shutdown(srv, request.save, request.force);
    crate::stop::arm_insist(None);
    if !prepared {
        srv.log.warning(
            "Errors trying to shut down the server. Check the logs for more information.",
            &[],
        );
        return Begun::Failed;
    }
    srv.shutdown = Some(request.origin);
    Begun::Done
}

/// Give up a waiting shutdown: its clients get an error, writes resume.
fn cancel(srv: &mut Server) {
    let Some(wait) = srv.shutdown_wait.take() else {
        return;
    };
    for (slot, id) in wait.blocked {
        if let Some(c) = srv.clients.get_mut(slot).filter(|c| c.id == id) {
            c.reply.raw(format!("{CANCELLED}\r\n").as_bytes());
            srv.blocking.count -= 1;
            srv.pending_writes.queue(c);
        }
    }
    srv.unpause_clients();
}
