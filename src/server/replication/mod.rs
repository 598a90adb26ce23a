//! Replication for `serve`: the master side (replication IDs and offset,
//! the backlog, serving PSYNC with a partial or a full resynchronization,
//! streaming every propagated write to the replicas) and the replica side
//! ([`upstream`]: a link to a master driven by the shared sans-IO
//! [`crate::replication::Replica`] state machine inside the event loop).
//!
//! # The stream
//!
//! Commands reach replicas the way they reach the AOF: as propagated into
//! [`Feed`](super::propagate::Feed), encoded with a `SELECT` whenever the
//! database changes. Once per loop iteration, before replies are written,
//! [`flush`] moves the encoded bytes to the [`backlog::Backlog`], advances
//! `master_repl_offset`, and appends them to every replica's output (or to
//! its pending buffer while it still receives its snapshot). A replica
//! proxies its master's stream byte for byte instead (its own effects are
//! never propagated), so chained replicas see the same offsets.
//!
//! # Full resynchronization
//!
//! A replica that cannot continue waits in `wait_bgsave` until no child
//! runs; then one forked BGSAVE (with the replication aux fields) serves
//! every waiting replica: each gets `+FULLRESYNC <replid> <offset>` at the
//! fork, `\n` keepalives while the child writes, then `$<len>` and the
//! file in chunks (as its socket drains), then the writes buffered since
//! the fork, and it is online.
//!
//! # Per-connection state
//!
//! A replica connection is an ordinary client with a [`Downstream`]: what
//! REPLCONF told us, where its transfer stands, the offset it acknowledged.
//! The master's commands on a replica run through [`Server::call`] on a
//! socketless client flagged `is_master` (replies dropped, writes allowed
//! on a read-only replica).

pub mod backlog;
pub mod failover;
pub mod pipe;
pub mod upstream;

use std::fs::File;
use std::io::Read;
use std::time::Instant;

use backlog::Backlog;

use super::Server;
use super::clock::unix_ms;
use super::connection::Client;
use super::output;
use super::persistence;
pub use super::state::replication::{DownState, Downstream, Wait};
use crate::output::log::Field;

/// The replication ID of nothing (Redis's replid2 before any failover).
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

/// Snapshot bytes queued per refill of a replica's output.
const BULK_CHUNK: usize = 256 * 1024;
/// Stream bytes copied from the shared buffer per refill of an online
/// replica's output.
const STREAM_CHUNK: usize = 64 * 1024;

/// Replication state of the server.
pub struct Replication {
    pub replid: String,
    pub replid2: String,
    /// Bytes of replication stream produced (or, on a replica, processed).
    pub master_repl_offset: u64,
    /// Up to where `replid2` is valid for PSYNC (-1: no second ID).
    pub second_repl_offset: i64,
    /// Created when the first replica attaches (as Redis).
    pub backlog: Option<Backlog>,
    /// Replicas wait for a snapshot child to start (since then).
    pub sync_wanted: bool,
    pub sync_wanted_since: Instant,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// Replicas whose last ACK is within min-replicas-max-lag.
    pub good_replicas: usize,
    /// Clients blocked in WAIT: (slot, client id).
    pub waiters: Vec<(usize, u64)>,
    /// Ask replicas for an ACK (REPLCONF GETACK) before sleeping.
    pub get_ack: bool,
    /// The link to our master, when we are a replica.
    pub upstream: Option<upstream::Upstream>,
    /// Registers the upstream socket with the event loop.
    pub registry: Option<mio::Registry>,
    /// A FAILOVER command under way.
    pub failover: Option<failover::Failover>,
    /// The pipe of a diskless full resync under way.
    pub rdb_pipe: Option<pipe::RdbPipe>,
    /// The position the snapshot loaded at startup was saved at; taken by
    /// [`resume_saved_position`] once the role is known.
    pub saved_position: Option<persistence::snapshot::SavedPosition>,
    /// Keys a master found expired in that snapshot: their DELs open its
    /// stream after the saved position.
    pub expired_at_load: Vec<(usize, Vec<u8>)>,
    last_ping: Instant,
    last_second: Instant,
    /// Since when a master with a backlog has had no replica.
    alone_since: Option<Instant>,
}

impl Replication {
    pub fn new() -> Replication {
        Replication {
            replid: random_replid(),
            replid2: NO_REPLID.to_owned(),
            master_repl_offset: 0,
            second_repl_offset: -1,
            saved_position: None,
            expired_at_load: Vec::new(),
            backlog: None,
            sync_wanted: false,
            sync_wanted_since: Instant::now(),
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            good_replicas: 0,
            waiters: Vec::new(),
            get_ack: false,
            upstream: None,
            registry: None,
            failover: None,
            rdb_pipe: None,
            last_ping: Instant::now(),
            last_second: Instant::now(),
            alone_since: None,
        }
    }

    /// A new history: a fresh ID, and no second one.
    pub fn new_history(&mut self) {
        self.replid = random_replid();
        self.replid2 = NO_REPLID.to_owned();
        self.second_repl_offset = -1;
    }

    /// Keep the current ID as the second one (valid up to the current
    /// offset) and start a new one: a promoted replica, so replicas of the
    /// same old master can continue with it.
    pub fn shift_history(&mut self) {
        self.replid2 = std::mem::replace(&mut self.replid, random_replid());
        self.second_repl_offset = self.master_repl_offset as i64 + 1;
    }
}

impl Default for Replication {
    fn default() -> Replication {
        Replication::new()
    }
}

/// 40 random hex characters.
pub fn random_replid() -> String {
    let mut rng = super::dict::Rng::from_entropy();
    (0..40)
        .map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap_or('0'))
        .collect()
}

/// The replica connections (attached ones) among the clients.
pub fn replicas(srv: &Server) -> impl Iterator<Item = (&Client, &Downstream)> {
    srv.clients.iter().filter_map(|c| {
        c.replica
            .as_deref()
            .filter(|d| d.attached())
            .map(|d| (c, d))
    })
}

/// Whether any replica is attached.
pub fn has_replicas(srv: &Server) -> bool {
    replicas(srv).next().is_some()
}

// ---------------------------------------------------------------------------
// PSYNC

/// PSYNC <replid> <offset> (and SYNC, as `PSYNC ? -1` without the reply
/// line): continue from the backlog, or wait for a full resync.
pub fn psync(srv: &mut Server, client: &mut Client, replid: &[u8], offset: i64, sync: bool) {
    if client.replica.as_ref().is_some_and(|d| d.attached()) {
        return;
    }
    if srv.replication.failover.is_some() {
        client
            .reply
            .error("-NOMASTERLINK Can't SYNC while failing over");
        return;
    }
    if let Some(up) = &srv.replication.upstream
        && !up.is_connected()
    {
        client
            .reply
            .error("-NOMASTERLINK Can't SYNC while not connected with my master");
        return;
    }
    if client.reply.pending() > 0 {
        client
            .reply
            .error("SYNC and PSYNC are invalid with pending output");
        return;
    }
    let down = client.replica.get_or_insert_with(Box::default);
    down.old_sync = sync;
    let repl = &mut srv.replication;
    let same = replid.eq_ignore_ascii_case(repl.replid.as_bytes())
        || (replid.eq_ignore_ascii_case(repl.replid2.as_bytes())
            && offset <= repl.second_repl_offset);
    let in_backlog = offset >= 0
        && repl
            .backlog
            .as_ref()
            .is_some_and(|b| b.covers(offset as u64));
    if !sync && same && in_backlog {
        let Some(backlog) = repl.backlog.as_mut() else {
            return;
        };
        // The replica reads the missed stream where the backlog keeps it.
        backlog.attach(client.id, offset as u64);
        let line = if down.capa_psync2 {
            format!("+CONTINUE {}\r\n", repl.replid)
        } else {
            "+CONTINUE\r\n".to_owned()
        };
        client.reply.raw(line.as_bytes());
        let missed = backlog.end_offset() + 1 - offset as u64;
        down.state = DownState::Online;
        down.ack_unix = unix_ms() / 1000;
        repl.sync_partial_ok += 1;
        srv.log.notice(
            "Partial resynchronization request accepted",
            &[
                ("replica", Field::Str(&client.addr())),
                ("bytes", Field::Int(missed as i64)),
                ("offset", Field::Int(offset)),
            ],
        );
        refresh_good_replicas_with(srv, client);
        srv.pending_writes.queue(client);
        return;
    }
    if !sync && replid != b"?" {
        repl.sync_partial_err += 1;
    }
    repl.sync_full += 1;
    if repl.backlog.is_none() {
        repl.new_history();
        let size = srv.config.repl_backlog_size as usize;
        repl.backlog = Some(Backlog::new(size, repl.master_repl_offset));
        srv.feed.repl.active = srv.replication.upstream.is_none();
        srv.feed.repl.reselect();
    }
    down.state = DownState::WaitStart;
    if !srv.replication.sync_wanted {
        srv.replication.sync_wanted = true;
        srv.replication.sync_wanted_since = Instant::now();
    }
    srv.log.notice(
        "Replica asks for synchronization; full resync",
        &[("replica", Field::Str(&client.addr()))],
    );
}

// ---------------------------------------------------------------------------
// Positions kept in snapshots

/// The replication position a snapshot written now records (Redis's
/// `rdbPopulateSaveInfo`): a master that is part of a replication chain
/// (it has a backlog), or a replica that knows where it is in its master's
/// stream. `None` otherwise: the position would be of no use.
pub fn save_position(srv: &Server) -> Option<persistence::snapshot::SavedPosition> {
    let repl = &srv.replication;
    let stream_db = match &repl.upstream {
        None if repl.backlog.is_some() => srv.feed.repl.selected().unwrap_or(0),
        None => return None,
        Some(up) => up.known_db()?,
    };
    Some(persistence::snapshot::SavedPosition {
        replid: repl.replid.clone(),
        offset: repl.master_repl_offset,
        stream_db,
    })
}

/// At startup, once the role is known: continue from the position the
/// loaded snapshot was saved at. A replica asks its master to continue
/// there (`PSYNC <id> <offset+1>`); a master keeps it as its second ID,
/// so its former replicas continue too, and starts its backlog at that
/// offset with the deletions of the keys that expired while it was down.
pub fn resume_saved_position(srv: &mut Server) {
    let expired = std::mem::take(&mut srv.replication.expired_at_load);
    let Some(pos) = srv.replication.saved_position.take() else {
        return;
    };
    let repl = &mut srv.replication;
    if let Some(up) = repl.upstream.as_mut() {
        up.resume_from(pos.stream_db);
        repl.replid = pos.replid;
        repl.master_repl_offset = pos.offset;
        return;
    }
    repl.replid2 = pos.replid;
    repl.second_repl_offset = pos.offset as i64 + 1;
    repl.master_repl_offset = pos.offset;
    let size = srv.config.repl_backlog_size as usize;
    repl.backlog = Some(Backlog::new(size, pos.offset));
    srv.feed.repl.active = true;
    srv.feed.repl.reselect();
    for (db, key) in &expired {
        let del = crate::server::propagate::Propagated::new(*db, [&b"DEL"[..], key]);
        srv.feed.repl.append(*db, &del.resp);
    }
    flush(srv);
}

// The loop's hooks

/// Before replies are written: move this iteration's stream into the
/// backlog and to every replica, and start a snapshot replicas wait for.
pub fn flush(srv: &mut Server) {
    if std::mem::take(&mut srv.replication.get_ack) && srv.replication.upstream.is_none() {
        srv.feed
            .repl
            .append_same_db(&[&b"REPLCONF"[..], b"GETACK", b"*"]);
    }
    if !srv.feed.repl.buf.is_empty() {
        let data = std::mem::take(&mut srv.feed.repl.buf);
        feed_replicas(srv, &data);
        let mut data = data;
        data.clear();
        if srv.feed.repl.buf.is_empty() {
            srv.feed.repl.buf = data;
        }
    }
    // Old blocks no replica needs any more go a few at a time, faster
    // than the stream adds them (Redis trims ten steps before each sleep).
    if let Some(backlog) = srv.replication.backlog.as_mut() {
        backlog.trim(10 * backlog::TRIM_PER_CALL);
    }
    // A snapshot child ended (the cron reaped it): its replicas first,
    // before another child may start.
    if let Some(done) = srv.persistence.rdb_child_done.take() {
        snapshot_finished(srv, done.ok);
    }
    let delay = if srv.config.repl_diskless_sync {
        srv.config.repl_diskless_sync_delay
    } else {
        0
    };
    let max = srv.config.repl_diskless_sync_max_replicas;
    let enough = max > 0 && srv.replication.sync_wanted && waiting_for_start(srv) >= max;
    if srv.replication.sync_wanted
        && srv.persistence.child.is_none()
        && (enough || srv.replication.sync_wanted_since.elapsed().as_secs() >= delay)
    {
        srv.replication.sync_wanted = false;
        start_full_sync(srv);
    }
    if !srv.replication.waiters.is_empty() {
        check_waiters(srv);
    }
    if srv.replication.failover.is_some() {
        failover::check(srv);
    }
}

/// Replicas waiting for a snapshot child to start.
fn waiting_for_start(srv: &Server) -> usize {
    srv.clients
        .iter()
        .filter(|c| {
            c.replica
                .as_deref()
                .is_some_and(|d| matches!(d.state, DownState::WaitStart))
        })
        .count()
}

/// WAIT numreplicas timeout: the number of replicas that acknowledged
/// every write so far, once enough did or the time is up.
pub fn wait(srv: &mut Server, client: &mut Client, replicas: usize, timeout_ms: u64) {
    let offset = srv.replication.master_repl_offset + srv.feed.repl.buf.len() as u64;
    let acked = acknowledged(srv, offset);
    if acked >= replicas {
        client.reply.int(acked as i64);
        return;
    }
    client.waiting = Some(Wait {
        offset,
        replicas,
        deadline: (timeout_ms > 0)
            .then(|| Instant::now() + std::time::Duration::from_millis(timeout_ms)),
    });
    client.read_paused = true;
    srv.replication.waiters.push((client.slot, client.id));
    srv.replication.get_ack = true;
}

/// Replicas whose last ACK reached `offset`.
fn acknowledged(srv: &Server, offset: u64) -> usize {
    replicas(srv)
        .filter(|(_, d)| matches!(d.state, DownState::Online) && d.ack_offset >= offset)
        .count()
}

/// Unblock WAITs that are satisfied or timed out.
fn check_waiters(srv: &mut Server) {
    let now = Instant::now();
    let waiters = std::mem::take(&mut srv.replication.waiters);
    let mut still = Vec::new();
    for (slot, id) in waiters {
        let Some(wait) = srv
            .clients
            .get_mut(slot)
            .filter(|c| c.id == id)
            .and_then(|c| c.waiting)
        else {
            continue;
        };
        let acked = acknowledged(srv, wait.offset);
        if acked < wait.replicas && wait.deadline.is_none_or(|d| now < d) {
            still.push((slot, id));
            continue;
        }
        if let Some(c) = srv.clients.get_mut(slot) {
            c.waiting = None;
            c.reply.int(acked as i64);
            srv.pending_writes.queue(c);
        }
    }
    srv.replication.waiters.extend(still);
}

/// Append stream bytes to the shared buffer (the backlog and every
/// replica's output at once), and queue the online replicas for writing.
fn feed_replicas(srv: &mut Server, data: &[u8]) {
    let repl = &mut srv.replication;
    repl.master_repl_offset += data.len() as u64;
    let Some(backlog) = repl.backlog.as_mut() else {
        return;
    };
    let new_block = backlog.feed(data);
    let backlog = &*backlog;
    let limit = output::Class::Replica.limit(&srv.config);
    let mut over = Vec::new();
    for client in srv.clients.iter_mut() {
        let Some(down) = client.replica.as_deref_mut() else {
            continue;
        };
        match down.state {
            // Before the fork, the stream is in the snapshot to come.
            DownState::Handshake | DownState::WaitStart => continue,
            DownState::Online => srv.pending_writes.queue(client),
            _ => {}
        }
        // As Redis, limits are checked when the stream starts a block.
        if new_block {
            let used = output::held(client, Some(backlog));
            if output::over_limit(client, limit, used) {
                over.push((client.slot, used));
            }
        }
    }
    for (slot, used) in over {
        if let Some(mut c) = srv.clients.take(slot) {
            srv.close_over_limit(&mut c, output::Class::Replica, used);
            srv.clients.slots[slot] = Some(c);
        }
    }
}

/// Fork the snapshot for every replica waiting for one.
fn start_full_sync(srv: &mut Server) {
    let waiting: Vec<usize> = srv
        .clients
        .iter()
        .filter(|c| {
            c.replica
                .as_deref()
                .is_some_and(|d| matches!(d.state, DownState::WaitStart))
        })
        .map(|c| c.slot)
        .collect();
    if waiting.is_empty() {
        return;
    }
    let offset = srv.replication.master_repl_offset;
    let replid = srv.replication.replid.clone();
    let info = persistence::snapshot::ReplInfo {
        stream_db: 0,
        replid: &replid,
        offset: offset as i64,
    };
    let line = format!("+FULLRESYNC {replid} {offset}\r\n");
    // Diskless: one child writes the image straight on the sockets of
    // every replica that can take an EOF-marked transfer (the others wait
    // for the next child). A forked child cannot write TLS: TLS replicas
    // get the snapshot from disk through the output buffer.
    let diskless: Vec<usize> = if srv.config.repl_diskless_sync {
        waiting
            .iter()
            .copied()
            .filter(|&slot| {
                srv.clients
                    .get_mut(slot)
                    .filter(|c| c.stream.as_ref().is_some_and(|s| !s.is_tls()))
                    .and_then(|c| c.replica.as_deref())
                    .is_some_and(|d| d.capa_eof && !d.old_sync)
            })
            .collect()
    } else {
        Vec::new()
    };
    let (served, mark, result) = if diskless.is_empty() {
        let result = persistence::bgsave_to(srv, persistence::SnapshotTarget::DumpFile, Some(info));
        (waiting.clone(), None, result)
    } else {
        let mark = random_replid();
        // The child writes into a pipe; the parent copies it to each
        // replica's output (see [`pipe`]).
        let mut served = Vec::new();
        for &slot in &diskless {
            let Some(c) = srv.clients.get_mut(slot) else {
                continue;
            };
            if !c.replica.as_deref().is_some_and(|d| d.old_sync) {
                c.reply.raw(line.as_bytes());
            }
            c.reply.raw(format!("$EOF:{mark}\r\n").as_bytes());
            served.push(slot);
        }
        let result = match pipe::open() {
            Ok((read, write)) => {
                let result = persistence::bgsave_to(
                    srv,
                    persistence::SnapshotTarget::Descriptor(vec![write]),
                    Some(info),
                );
                if let Ok(pid) = result {
                    srv.log.notice(
                        &format!("Background RDB transfer started by pid {pid}"),
                        &[],
                    );
                    let ids = served
                        .iter()
                        .filter_map(|&s| srv.clients.get_mut(s).map(|c| (s, c.id)))
                        .collect();
                    pipe::start(srv, read, ids);
                }
                result
            }
            Err(e) => Err(format!("pipe: {e}")),
        };
        (served, Some(mark), result)
    };
    if let Err(e) = result {
        srv.log.warning(
            "BGSAVE for replication failed",
            &[("error", Field::Str(&e))],
        );
        for slot in served {
            if let Some(c) = srv.clients.get_mut(slot) {
                if mark.is_none() {
                    c.reply
                        .raw(b"-ERR BGSAVE failed, replication can't continue\r\n");
                }
                c.close_after_reply = true;
                c.replica = None;
            }
            srv.kill_client(slot);
        }
        return;
    }
    if served.len() < waiting.len() {
        srv.replication.sync_wanted = true;
        srv.replication.sync_wanted_since = Instant::now();
    }
    // The buffered stream starts with a SELECT, whatever the snapshot's
    // last database was.
    srv.feed.repl.reselect();
    for slot in served {
        if let Some(c) = srv.clients.get_mut(slot) {
            if mark.is_none() && !c.replica.as_deref().is_some_and(|d| d.old_sync) {
                c.reply.raw(line.as_bytes());
            }
            if let Some(d) = c.replica.as_deref_mut() {
                d.state = DownState::WaitEnd { mark: mark.clone() };
                // The stream after the fork follows the snapshot: the
                // shared buffer keeps it for this replica from here.
                if let Some(backlog) = srv.replication.backlog.as_mut() {
                    backlog.attach(c.id, offset + 1);
                }
            }
        }
        srv.pending_writes.queue_slot(slot);
    }
}

/// A BGSAVE child ended: replicas waiting for it get the file (or are
/// dropped when it failed).
pub fn snapshot_finished(srv: &mut Server, ok: bool) {
    // What the child left in the pipe goes out before the end mark.
    let _ = pipe::pump(srv, true);
    let path = persistence::rdb_path(&srv.config);
    let mut doomed = Vec::new();
    let mut queued = Vec::new();
    for client in srv.clients.iter_mut() {
        let Some(down) = client.replica.as_deref_mut() else {
            continue;
        };
        match down.state {
            DownState::WaitEnd {
                mark: Some(ref mark),
            } if ok => {
                client.reply.raw(mark.as_bytes());
                queued.push(client.slot);
                down.state = DownState::WaitAck;
                down.ack_unix = unix_ms() / 1000;
                continue;
            }
            DownState::WaitEnd { mark: Some(_) } => {
                doomed.push(client.slot);
                continue;
            }
            DownState::WaitEnd { mark: None } => {}
            _ => continue,
        }
        let opened = if ok {
            File::open(&path).and_then(|f| Ok((f.metadata()?.len(), f)))
        } else {
            Err(std::io::Error::other("the snapshot child failed"))
        };
        match opened {
            Ok((len, file)) => {
                client.reply.raw(format!("${len}\r\n").as_bytes());
                down.state = DownState::SendBulk { file, left: len };
                queued.push(client.slot);
            }
            Err(_) => doomed.push(client.slot),
        }
    }
    for slot in queued {
        if let Some(c) = srv.clients.get_mut(slot) {
            srv.pending_writes.queue(c);
        }
    }
    for slot in doomed {
        srv.log.warning(
            "SYNC failed: the snapshot could not be produced; dropping the replica",
            &[],
        );
        srv.kill_client(slot);
    }
    if srv.clients.iter().any(|c| {
        c.replica
            .as_deref()
            .is_some_and(|d| matches!(d.state, DownState::WaitStart))
    }) {
        srv.replication.sync_wanted = true;
        srv.replication.sync_wanted_since = Instant::now();
    }
}

/// Before writing to a replica: while it receives its snapshot, queue
/// the next chunk of the file once the output is nearly drained (after the
/// last one it is online); once online, the next part of the stream from
/// the shared buffer. True while more is to come after this write. Err:
/// the file could not be read.
pub fn refill(backlog: Option<&mut Backlog>, client: &mut Client) -> std::io::Result<bool> {
    let Some(down) = client.replica.as_deref_mut() else {
        return Ok(false);
    };
    if let DownState::Online = down.state {
        let Some(backlog) = backlog else {
            return Ok(false);
        };
        if client.reply.pending() < STREAM_CHUNK / 4 {
            backlog.read(client.id, &mut client.reply.buf, STREAM_CHUNK);
        }
        return Ok(backlog.unread(client.id) > 0);
    }
    let DownState::SendBulk { file, left } = &mut down.state else {
        return Ok(false);
    };
    if client.reply.pending() >= BULK_CHUNK / 4 {
        return Ok(true);
    }
    let want = (*left).min(BULK_CHUNK as u64) as usize;
    let start = client.reply.buf.len();
    client.reply.buf.resize(start + want, 0);
    let got = file.read(&mut client.reply.buf[start..]);
    let n = match got {
        Ok(0) | Err(_) => {
            client.reply.buf.truncate(start);
            return Err(std::io::Error::other("snapshot file ended early"));
        }
        Ok(n) => n,
    };
    client.reply.buf.truncate(start + n);
    *left -= n as u64;
    if *left == 0 {
        // The stream since the fork follows.
        down.state = DownState::Online;
        down.ack_unix = unix_ms() / 1000;
    }
    Ok(true)
}

/// While a replica loads its master's snapshot asynchronously, commands
/// that would act on the replication or persistence state (REPLICAOF,
/// SAVE, PSYNC…, and an EXEC that queued one) are refused, as Redis does.
pub fn denied_while_async_loading(srv: &Server, client: &Client, index: usize) -> bool {
    use super::command::flags::NO_ASYNC_LOADING;
    let entry = &srv.commands.entries[index];
    entry.spec.has(NO_ASYNC_LOADING)
        || (entry.full_name.eq_ignore_ascii_case("exec")
            && client
                .multi
                .as_ref()
                .is_some_and(|m| m.flags & NO_ASYNC_LOADING != 0))
}

/// A command sent on a replica's link produced a reply: replies never go
/// on that link (they would land in the replica's snapshot or stream), so
/// the reply is dropped and the replica disconnected, as Redis does.
pub fn replica_replied(srv: &mut Server, client: &mut Client, args: &[&[u8]], start: usize) {
    let command = match srv.commands.lookup(args) {
        super::command::Lookup::Found(i) => srv.commands.entries[i].full_name.clone(),
        _ => "<unknown>".to_owned(),
    };
    let reply = client.reply.buf.split_off(start);
    if let Some(error) = reply.strip_prefix(b"-") {
        let error = String::from_utf8_lossy(error);
        srv.log.warning(
            &format!(
                "== CRITICAL == This master is sending an error to its replica: '{}' after \
                 processing the command '{command}'",
                error.trim_end()
            ),
            &[],
        );
    }
    srv.log.warning(
        &format!(
            "Replica generated a reply to command '{command}', disconnecting it: addr={}",
            client.addr()
        ),
        &[],
    );
    client.close_asap = true;
    srv.queue_write(client);
}

/// REPLCONF ACK <offset>.
pub fn ack(srv: &mut Server, client: &mut Client, offset: u64) {
    if let Some(down) = client.replica.as_deref_mut()
        && down.attached()
    {
        if offset > down.ack_offset {
            down.ack_offset = offset;
        }
        down.ack_unix = unix_ms() / 1000;
        if matches!(down.state, DownState::WaitAck) {
            // The replica loaded its diskless snapshot: the stream starts.
            down.state = DownState::Online;
            srv.queue_write(client);
        }
        refresh_good_replicas_with(srv, client);
    }
}

/// Once per second from the cron: PINGs into the stream, keepalives to
/// replicas waiting for a snapshot, replicas past repl-timeout dropped,
/// the count of good replicas, the upstream link's timers.
pub fn cron(srv: &mut Server) {
    upstream::cron(srv);
    let now = Instant::now();
    if now.duration_since(srv.replication.last_second).as_millis() < 1000 {
        return;
    }
    srv.replication.last_second = now;
    backlog_housekeeping(srv, now);
    let period = srv.config.repl_ping_replica_period.max(1);
    // No PINGs while a failover waits for a replica to catch up (they
    // would move the offset it must reach).
    if srv.replication.upstream.is_none()
        && srv.replication.failover.is_none()
        && has_replicas(srv)
        && now.duration_since(srv.replication.last_ping).as_secs() >= period
    {
        srv.replication.last_ping = now;
        srv.feed.repl.append_same_db(&[b"PING"]);
    }
    let unix = unix_ms() / 1000;
    let timeout = srv.config.repl_timeout as i64;
    let mut doomed = Vec::new();
    let mut stalled = Vec::new();
    for client in srv.clients.iter_mut() {
        let pending = client.reply.pending();
        let Some(down) = client.replica.as_deref_mut() else {
            continue;
        };
        match down.state {
            // A diskless transfer: a replica that drains nothing of its
            // output for repl-timeout is dropped (Redis's check of its
            // last partial write).
            DownState::WaitEnd { mark: Some(_) } => {
                if pending == 0 || pending != down.pending_seen {
                    down.pending_seen = pending;
                    down.pending_since = unix;
                } else if unix - down.pending_since > timeout {
                    stalled.push((client.slot, client.addr()));
                }
            }
            DownState::WaitStart | DownState::WaitEnd { mark: None } => {
                client.reply.raw(b"\n");
                srv.pending_writes.queue(client);
            }
            DownState::Online | DownState::WaitAck if unix - down.ack_unix > timeout => {
                doomed.push((client.slot, client.addr()));
            }
            _ => {}
        }
    }
    for (slot, addr) in doomed {
        srv.log.warning(
            "Disconnecting timedout replica",
            &[("addr", Field::Str(&addr))],
        );
        srv.kill_client(slot);
    }
    for (slot, addr) in stalled {
        srv.log.warning(
            &format!("Disconnecting timedout replica (full sync): {addr}"),
            &[],
        );
        srv.kill_client(slot);
    }
    refresh_good_replicas(srv);
}

/// Follow CONFIG SET repl-backlog-size, and free the backlog of a master
/// left without replicas for repl-backlog-ttl seconds (a new history
/// begins when one attaches again, as in Redis).
fn backlog_housekeeping(srv: &mut Server, now: Instant) {
    let size = srv.config.repl_backlog_size as usize;
    let alone = !has_replicas(srv) && srv.replication.upstream.is_none();
    let repl = &mut srv.replication;
    let Some(backlog) = repl.backlog.as_mut() else {
        return;
    };
    if backlog.size() != size {
        backlog.resize(size);
    }
    if !alone {
        repl.alone_since = None;
        return;
    }
    let since = *repl.alone_since.get_or_insert(now);
    let ttl = srv.config.repl_backlog_ttl;
    if ttl > 0 && now.duration_since(since).as_secs() >= ttl {
        repl.backlog = None;
        repl.alone_since = None;
        srv.feed.repl.active = false;
        srv.feed.repl.buf.clear();
        srv.log.notice(
            "Replication backlog freed after the configured time without replicas",
            &[("seconds", Field::Int(ttl as i64))],
        );
    }
}

/// Replicas online whose last ACK is within min-replicas-max-lag.
pub fn refresh_good_replicas(srv: &mut Server) {
    srv.replication.good_replicas = count_good_replicas(srv);
}

fn count_good_replicas(srv: &Server) -> usize {
    let unix = unix_ms() / 1000;
    let max_lag = srv.config.min_replicas_max_lag as i64;
    replicas(srv)
        .filter(|(_, d)| matches!(d.state, DownState::Online) && unix - d.ack_unix <= max_lag)
        .count()
}

/// [`refresh_good_replicas`] while `client`, a replica, is out of the
/// clients table (running a command).
fn refresh_good_replicas_with(srv: &mut Server, client: &Client) {
    refresh_good_replicas(srv);
    let unix = unix_ms() / 1000;
    if let Some(down) = client.replica.as_deref()
        && matches!(down.state, DownState::Online)
        && unix - down.ack_unix <= srv.config.min_replicas_max_lag as i64
    {
        srv.replication.good_replicas += 1;
    }
}

/// The -NOREPLICAS refusal of writes, when min-replicas-to-write is not met.
pub fn write_denied(srv: &Server, client: &Client) -> Option<String> {
    if client.is_master {
        return None;
    }
    if srv.replication.upstream.is_some() {
        if srv.config.replica_read_only {
            return Some("-READONLY You can't write against a read only replica.".to_owned());
        }
        return None;
    }
    let wanted = srv.config.min_replicas_to_write;
    // The cached count is refreshed by the cron and by ACKs; a refusal
    // counts again, so a replica that just came online is not missed.
    if wanted > 0
        && srv.config.min_replicas_max_lag > 0
        && srv.replication.good_replicas < wanted
        && count_good_replicas(srv) < wanted
    {
        return Some("-NOREPLICAS Not enough good replicas to write.".to_owned());
    }
    None
}

/// A replica connection closed (or is about to be): the stream it had not
/// received is no longer kept for it.
pub fn replica_closed(srv: &mut Server, client: &Client) {
    pipe::replica_gone(srv, client.id);
    // The last replica waiting for a snapshot to disk is gone: unless
    // `save` wants snapshots anyway, the child's work is of no use (as
    // Redis, so the next full resync can fork at once).
    let waited = client
        .replica
        .as_deref()
        .is_some_and(|d| matches!(d.state, DownState::WaitEnd { mark: None }));
    let disk_child = srv
        .persistence
        .child
        .as_ref()
        .is_some_and(|r| r.kind == persistence::ChildKind::Rdb && !r.diskless);
    let others = srv.clients.iter().any(|c| {
        c.replica
            .as_deref()
            .is_some_and(|d| matches!(d.state, DownState::WaitEnd { .. }))
    });
    if waited && disk_child && !others && srv.config.save.is_empty() {
        persistence::kill_child(srv);
    }
    if let Some(backlog) = srv.replication.backlog.as_mut() {
        backlog.detach(client.id);
    }
    if client.replica.as_deref().is_some_and(Downstream::attached) {
        refresh_good_replicas(srv);
        srv.log.notice(
            "Connection with replica lost.",
            &[("addr", Field::Str(&client.addr()))],
        );
    }
}

// ---------------------------------------------------------------------------
// INFO and ROLE

/// The IP a replica is listed with.
pub(super) fn replica_ip(client: &Client, down: &Downstream) -> String {
    down.announced_ip
        .clone()
        .unwrap_or_else(|| client.peer.map(|a| a.ip().to_string()).unwrap_or_default())
}

/// INFO replication, with Redis 7.0's fields in its order.
pub fn info_fields(srv: &Server) -> Vec<(String, String)> {
    let repl = &srv.replication;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, v: String| out.push((k.to_owned(), v));
    match &repl.upstream {
        Some(up) => {
            add("role", "slave".into());
            up.info_fields(srv, &mut add);
        }
        None => add("role", "master".into()),
    }
    let list: Vec<(&Client, &Downstream)> = replicas(srv).collect();
    add("connected_slaves", list.len().to_string());
    if srv.config.min_replicas_to_write > 0 && srv.config.min_replicas_max_lag > 0 {
        add("min_slaves_good_slaves", repl.good_replicas.to_string());
    }
    let unix = unix_ms() / 1000;
    for (i, (client, down)) in list.iter().enumerate() {
        let lag = if matches!(down.state, DownState::Online) {
            unix - down.ack_unix
        } else {
            0
        };
        add(
            &format!("slave{i}"),
            format!(
                "ip={},port={},state={},offset={},lag={}",
                replica_ip(client, down),
                down.listening_port,
                down.state_name(),
                down.ack_offset,
                lag
            ),
        );
    }
    add("master_failover_state", failover::state_name(srv).into());
    add("master_replid", repl.replid.clone());
    add("master_replid2", repl.replid2.clone());
    add("master_repl_offset", repl.master_repl_offset.to_string());
    add("second_repl_offset", repl.second_repl_offset.to_string());
    add(
        "repl_backlog_active",
        u8::from(repl.backlog.is_some()).to_string(),
    );
    add(
        "repl_backlog_size",
        srv.config.repl_backlog_size.to_string(),
    );
    add(
        "repl_backlog_first_byte_offset",
        repl.backlog
            .as_ref()
            .map_or(0, Backlog::first_offset)
            .to_string(),
    );
    add(
        "repl_backlog_histlen",
        repl.backlog
            .as_ref()
            .map_or(0, Backlog::histlen)
            .to_string(),
    );
    out
}

/// ROLE.
pub fn role(srv: &Server, client: &mut Client) {
    if srv.replication.upstream.is_some() {
        upstream::role(srv, client);
        return;
    }
    let online: Vec<(String, u16, u64)> = replicas(srv)
        .filter(|(_, d)| matches!(d.state, DownState::Online))
        .map(|(c, d)| (replica_ip(c, d), d.listening_port, d.ack_offset))
        .collect();
    let r = &mut client.reply;
    r.array(3);
    r.bulk(b"master");
    r.int(srv.replication.master_repl_offset as i64);
    r.array(online.len());
    for (ip, port, offset) in online {
        r.array(3);
        r.bulk(ip.as_bytes());
        r.bulk(port.to_string().as_bytes());
        r.bulk(offset.to_string().as_bytes());
    }
}
