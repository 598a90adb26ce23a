//! The replica side of `serve`: one link to a master, driven by the
//! sans-IO [`Replica`] state machine that `replica tail` also uses, here
//! inside the event loop with a non-blocking socket.
//!
//! The link is `connect` → `connecting` → `handshake` (PING, AUTH,
//! REPLCONF, PSYNC) → `sync` (receiving a snapshot into a temporary file,
//! then loading it in place of the dataset) → `connected` (applying the
//! stream). A lost or silent (repl-timeout) link goes back to `connect`
//! and retries every second with `PSYNC <replid> <offset+1>` from the
//! server's own replication ID and offset, so a reconnect continues where
//! the stream stopped when the master still has it.
//!
//! The master's commands run through [`Server::call`] on a socketless
//! client flagged `is_master`; their own propagation reaches the AOF only.
//! The stream's bytes are proxied unchanged to our own replicas and
//! backlog, so chained replicas share the master's offsets.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mio::net::TcpStream;

use crate::server::tls::ServerStream;
use mio::{Interest, Token};

use super::backlog::Backlog;
use super::{NO_REPLID, feed_replicas};
use crate::output::log::Field;
use crate::replication::{AckPolicy, Auth, Config, Event, Position, Replica};
use crate::server::Server;
use crate::server::clock::unix_ms;
use crate::server::connection::Client;
use crate::server::persistence;
use crate::server::persistence::snapshot::{Step, StreamLoad};

/// The event-loop token of the link to the master.
pub const TOKEN: Token = Token(usize::MAX - 65);

/// Delay between connection attempts.
const RETRY: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkState {
    Connect,
    Connecting,
    Handshake,
    Transfer,
    Connected,
}

/// A snapshot being received.
struct Transfer {
    file: File,
    path: PathBuf,
    size: Option<u64>,
    read: u64,
    replid: String,
    offset: u64,
    last_io: Instant,
}

/// A snapshot loaded from the socket as it arrives (repl-diskless-load
/// swapdb, or on-empty-db with nothing to lose): into a keyspace of its
/// own, which takes the dataset's place once the image is complete. The
/// old dataset stays meanwhile, and is what remains when the load fails.
struct DisklessLoad {
    load: persistence::snapshot::StreamLoad,
    replid: String,
    offset: u64,
    size: Option<u64>,
    read: u64,
    started: Instant,
    last_io: Instant,
    /// The master's history is ours (a full resync with the same ID):
    /// clients keep being served from the old dataset (`async_loading`).
    /// Otherwise they are told the server is loading.
    async_loading: bool,
    /// Swapped in at the end (swapdb); else loaded over an empty dataset.
    swapdb: bool,
    /// The last step parsed every whole record it had: more bytes needed.
    starved: bool,
    /// The image's header arrived (the load proper has started).
    begun: bool,
}

/// The link to our master.
pub struct Upstream {
    pub host: String,
    pub port: u16,
    state: LinkState,
    stream: Option<ServerStream>,
    machine: Option<Replica>,
    /// Runs the master's commands.
    master: Option<Box<Client>>,
    transfer: Option<Transfer>,
    diskless: Option<DisklessLoad>,
    /// A diskless load stopped with records left to parse, to give the
    /// loop its turn: continue at once.
    pub more: bool,
    /// The socket is in blocking mode for a load that holds the loop
    /// (see [`begin_blocking_load`]).
    blocking: bool,
    /// The stream's database at our offset (a +CONTINUE does not repeat
    /// its SELECT).
    db: i64,
    last_io: Instant,
    down_since: Option<i64>,
    retry_at: Instant,
    /// PSYNC continues from our own ID and offset (we synced before, or
    /// were a master); otherwise it asks for a full resync (`PSYNC ? -1`).
    resume: bool,
    /// PSYNC carries FAILOVER (a FAILOVER command hands over to it).
    pub psync_failover: bool,
}

impl Upstream {
    pub fn new(host: String, port: u16, resume: bool) -> Upstream {
        let mut master = Box::new(Client::new(0, usize::MAX, None));
        master.is_master = true;
        master.authenticated = true;
        master.user = usize::MAX;
        master.user_name = b"(superuser)".to_vec();
        Upstream {
            host,
            port,
            state: LinkState::Connect,
            stream: None,
            machine: None,
            master: Some(master),
            transfer: None,
            diskless: None,
            more: false,
            blocking: false,
            db: 0,
            last_io: Instant::now(),
            down_since: Some(unix_ms() / 1000),
            retry_at: Instant::now(),
            resume,
            psync_failover: false,
        }
    }

    /// The stream's database at our offset, when we know our place in the
    /// master's stream (we synced with it, or continue a saved position).
    pub fn known_db(&self) -> Option<usize> {
        self.resume.then(|| self.db.max(0) as usize)
    }

    /// Continue from the replication position of the snapshot loaded at
    /// startup (whose stream was in database `db`).
    pub fn resume_from(&mut self, db: usize) {
        self.resume = true;
        self.db = db as i64;
    }

    /// The stream is flowing (`master_link_status:up`).
    pub fn is_connected(&self) -> bool {
        self.state == LinkState::Connected
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }

    /// The replica's INFO replication fields (after `role`).
    pub fn info_fields(&self, srv: &Server, add: &mut dyn FnMut(&str, String)) {
        let offset = srv.replication.master_repl_offset;
        add("master_host", self.host.clone());
        add("master_port", self.port.to_string());
        add(
            "master_link_status",
            if self.is_connected() { "up" } else { "down" }.into(),
        );
        let io_ago = if self.stream.is_some() {
            self.last_io.elapsed().as_secs() as i64
        } else {
            -1
        };
        add("master_last_io_seconds_ago", io_ago.to_string());
        add(
            "master_sync_in_progress",
            u8::from(self.state == LinkState::Transfer).to_string(),
        );
        let progress = match (&self.transfer, &self.diskless) {
            (Some(t), _) => Some((t.size, t.read, t.last_io)),
            (None, Some(d)) => Some((d.size, d.read, d.last_io)),
            _ => None,
        };
        let read = offset + self.machine.as_ref().map_or(0, |m| m.buffered() as u64);
        add("slave_read_repl_offset", read.to_string());
        add("slave_repl_offset", offset.to_string());
        if let (LinkState::Transfer, Some((size, read, last_io))) = (self.state, progress) {
            let total = size.unwrap_or(0);
            let perc = if total > 0 {
                read as f64 * 100.0 / total as f64
            } else {
                0.0
            };
            add("master_sync_total_bytes", total.to_string());
            add("master_sync_read_bytes", read.to_string());
            add(
                "master_sync_left_bytes",
                (total as i64 - read as i64).to_string(),
            );
            add("master_sync_perc", format!("{perc:.2}"));
            add(
                "master_sync_last_io_seconds_ago",
                last_io.elapsed().as_secs().to_string(),
            );
        }
        if !self.is_connected() {
            let since = self.down_since.map_or(-1, |t| unix_ms() / 1000 - t);
            add("master_link_down_since_seconds", since.to_string());
        }
        add("slave_priority", srv.config.replica_priority.to_string());
        add(
            "slave_read_only",
            u8::from(srv.config.replica_read_only).to_string(),
        );
        add(
            "replica_announced",
            u8::from(srv.config.replica_announced).to_string(),
        );
    }
}

/// ROLE on a replica.
pub fn role(srv: &Server, client: &mut Client) {
    let Some(up) = &srv.replication.upstream else {
        return;
    };
    let r = &mut client.reply;
    r.array(5);
    r.bulk(b"slave");
    r.bulk(up.host.as_bytes());
    r.int(i64::from(up.port));
    r.bulk(up.state_name().as_bytes());
    r.int(if up.is_connected() {
        srv.replication.master_repl_offset as i64
    } else {
        -1
    });
}

/// REPLICAOF host port: become (or move) a replica. `resume`: try to
/// continue our current history with the new master (a running server;
/// at startup there is none to continue).
pub fn start(srv: &mut Server, host: String, port: u16, resume: bool) {
    if srv.replication.upstream.is_none() {
        disconnect_blocked_clients(srv);
    }
    stop_link(srv);
    srv.log.set_role('S');
    srv.log.notice(
        "Connecting to MASTER",
        &[
            ("host", Field::Str(&host)),
            ("port", Field::Int(i64::from(port))),
        ],
    );
    // CONFIG GET/REWRITE show the master we follow now (Sentinel rewrites
    // the config right after its SLAVEOF).
    srv.config.replicaof = Some((host.clone(), port));
    // A replica moving to another master continues the same stream: at
    // our offset it is in the database it was in with the previous one
    // (a +CONTINUE does not repeat the SELECT).
    let db = srv.replication.upstream.as_ref().map(|u| u.db);
    let mut up = Upstream::new(host, port, resume);
    if let Some(db) = db {
        up.db = db;
    }
    srv.replication.upstream = Some(up);
    srv.feed.repl.active = false;
    srv.feed.repl.buf.clear();
    srv.ks.active_expire = false;
    srv.ks.is_replica = true;
    srv.log.set_role('S');
}

/// A master turning replica: clients blocked on keys are answered with an
/// error and closed, as Redis does, since the dataset they wait on is about
/// to be replaced (and a replica must not serve them from its master's
/// writes).
fn disconnect_blocked_clients(srv: &mut Server) {
    let slots: Vec<usize> = srv
        .clients
        .iter()
        .filter(|c| c.blocked.is_some())
        .map(|c| c.slot)
        .collect();
    for slot in slots {
        let Some(mut c) = srv.clients.take(slot) else {
            continue;
        };
        let blocked = srv.unblock(&mut c);
        c.reply.error(
            "-UNBLOCKED force unblock from blocking operation, instance state changed \
             (master -> replica?)",
        );
        srv.finish_errors(&mut c, blocked.map(|b| b.command));
        c.close_after_reply = true;
        srv.queue_write(&mut c);
        srv.clients.slots[slot] = Some(c);
    }
}

/// REPLICAOF NO ONE: stop replicating and become a master with a new
/// history that remembers the old one (replid2) for the other replicas.
pub fn promote(srv: &mut Server) {
    if srv.replication.upstream.is_none() {
        return;
    }
    stop_link(srv);
    srv.replication.upstream = None;
    srv.config.replicaof = None;
    srv.replication.shift_history();
    // Our replicas learn the new ID by reconnecting; they continue with a
    // partial resync under the old one, now our replid2 (as Redis does).
    let attached: Vec<usize> = super::replicas(srv).map(|(c, _)| c.slot).collect();
    for slot in attached {
        srv.kill_client(slot);
    }
    if srv.replication.backlog.is_none() {
        let size = srv.config.repl_backlog_size as usize;
        srv.replication.backlog = Some(Backlog::new(size, srv.replication.master_repl_offset));
    }
    srv.feed.repl.active = true;
    srv.feed.repl.reselect();
    srv.ks.active_expire = true;
    srv.ks.is_replica = false;
    srv.ks.applying_master = false;
    srv.log.set_role('M');
    srv.log.notice(
        "MASTER MODE enabled",
        &[
            ("replid", Field::Str(&srv.replication.replid)),
            ("replid2", Field::Str(&srv.replication.replid2)),
        ],
    );
}

/// Close the socket and forget a transfer in progress.
fn stop_link(srv: &mut Server) {
    let registry = srv.replication.registry.as_ref();
    let Some(up) = srv.replication.upstream.as_mut() else {
        return;
    };
    if let (Some(stream), Some(registry)) = (up.stream.as_mut(), registry) {
        let _ = registry.deregister(stream);
    }
    up.stream = None;
    up.blocking = false;
    up.machine = None;
    if let Some(t) = up.transfer.take() {
        let _ = std::fs::remove_file(&t.path);
    }
    up.more = false;
    let aborted = up.diskless.take();
    if up.state != LinkState::Connect {
        up.down_since = Some(unix_ms() / 1000);
    }
    up.state = LinkState::Connect;
    up.retry_at = Instant::now() + RETRY;
    if let Some(d) = aborted {
        abort_diskless(srv, d, None);
    }
}

/// Whether a full resync loads the snapshot from the socket (as Redis's
/// useDisklessLoad): always with swapdb, with on-empty-db when there is
/// nothing to lose.
fn use_diskless_load(srv: &Server) -> bool {
    match srv.config.repl_diskless_load.as_str() {
        "swapdb" => true,
        "on-empty-db" => {
            srv.ks.dbs.iter().all(|d| d.dict.is_empty()) && srv.ks.functions.is_empty()
        }
        _ => false,
    }
}

/// A full resync loads its snapshot straight from the socket over an
/// empty dataset (repl-diskless-load on-empty-db), its header arrived,
/// and the load has not taken the loop yet: the loop should run
/// [`begin_blocking_load`].
///
/// As in Redis (readSyncBulkPayload), such a load holds the event loop:
/// the socket is read with blocking reads (timeout repl-timeout) and
/// clients are served only every loading-process-events-interval-bytes
/// (they are told the server is loading), without the cron, so the
/// watchdog is not re-armed while it lasts. swapdb keeps loading within
/// the loop's turns: the old dataset is still served meanwhile. So does a
/// TLS link (tls-replication), whose reads fill their buffer and would
/// wait for it on a blocking socket.
pub fn blocking_load_pending(srv: &Server) -> bool {
    srv.replication.upstream.as_ref().is_some_and(|u| {
        !u.blocking
            && matches!(u.stream, Some(ServerStream::Plain(_)))
            && u.diskless.as_ref().is_some_and(|d| d.begun && !d.swapdb)
    })
}

/// Put the link's socket in blocking mode with a receive timeout of
/// repl-timeout, for [`blocking_load_turn`].
pub fn begin_blocking_load(srv: &mut Server) {
    let timeout = Duration::from_secs(srv.config.repl_timeout.max(1));
    let Some(up) = srv.replication.upstream.as_mut() else {
        return;
    };
    if let Err(e) = set_blocking(up, Some(timeout)) {
        // The load cannot hold the loop (nor be left for the next turn,
        // which would try again): it fails, and the link is set up anew.
        srv.log.warning(
            "Unable to read the master's snapshot with blocking reads",
            &[("error", Field::Str(&e.to_string()))],
        );
        stop_link(srv);
    }
}

/// One turn of a blocking load: read and parse until the next
/// loading-process-events-interval-bytes (or a signal). True: the caller
/// serves clients and calls again; false: the load is over (loaded, or
/// failed and the link dropped).
pub fn blocking_load_turn(srv: &mut Server) -> bool {
    drive(srv);
    let Some(up) = srv.replication.upstream.as_ref() else {
        return false;
    };
    if up.diskless.is_none() || !up.blocking {
        return false;
    }
    if up.more {
        return true;
    }
    // A blocking read returned nothing within repl-timeout: the load
    // fails as one cut short by the connection.
    srv.log.warning(
        "Connection with master lost",
        &[(
            "reason",
            Field::Str(&format!(
                "no data from the master for repl-timeout ({} s) while loading its snapshot",
                srv.config.repl_timeout
            )),
        )],
    );
    stop_link(srv);
    false
}

/// A blocking load ends: the socket reads as the loop's readiness says
/// again (a load stopped for a shutdown drops the link).
pub fn end_blocking_load(srv: &mut Server, abort: bool) {
    if abort
        && srv
            .replication
            .upstream
            .as_ref()
            .is_some_and(|u| u.diskless.is_some())
    {
        stop_link(srv);
    }
    if let Some(up) = srv.replication.upstream.as_mut() {
        let _ = set_blocking(up, None);
    }
}

/// Blocking reads with `timeout` (Some), or non-blocking ones (None).
fn set_blocking(up: &mut Upstream, timeout: Option<Duration>) -> io::Result<()> {
    up.blocking = false;
    let Some(tcp) = up.stream.as_ref().and_then(|s| s.tcp()) else {
        return Ok(());
    };
    let sock = socket2::SockRef::from(tcp);
    sock.set_read_timeout(timeout)?;
    sock.set_nonblocking(timeout.is_none())?;
    up.blocking = timeout.is_some();
    Ok(())
}

/// A diskless load failed (`corrupt`: the image is damaged, else the link
/// was lost in the middle): the old dataset stays, as Redis does with
/// swapdb (with on-empty-db it was empty, and stays so).
fn abort_diskless(srv: &mut Server, d: DisklessLoad, corrupt: Option<&str>) {
    let at = d.load.position();
    match corrupt {
        Some(why) => srv.log.warning(
            &format!(
                "Internal error in RDB reading offset {at} -> {why}. Failure loading rdb format"
            ),
            &[],
        ),
        None => srv.log.warning(
            &format!(
                "Internal error in RDB reading offset {at} -> Unexpected EOF reading RDB file. \
                 Failure loading rdb format from socket, assuming connection error, resuming \
                 operation."
            ),
            &[],
        ),
    }
    srv.log.warning(
        "Failed trying to load the MASTER synchronization DB from socket",
        &[],
    );
    srv.persistence.loading = None;
    srv.ks.loading = false;
    drop(d);
    srv.log.notice(
        "MASTER <-> REPLICA sync: Discarding temporary DB in background",
        &[],
    );
}

/// The master link as CLIENT KILL sees it (Redis's master client): its
/// address is the master's `host:port`, its type `master`. True when a
/// link is up (or being set up) and it matches.
pub fn link_matches(srv: &Server, addr: Option<&[u8]>, kind: Option<&[u8]>) -> bool {
    let Some(up) = srv.replication.upstream.as_ref() else {
        return false;
    };
    up.stream.is_some()
        && addr.is_none_or(|a| a == format!("{}:{}", up.host, up.port).as_bytes())
        && kind.is_none_or(|k| k.eq_ignore_ascii_case(b"master"))
}

/// CLIENT KILL of the master link: drop it; the cron reconnects and asks
/// to continue where the stream stopped.
pub fn kill_link(srv: &mut Server) {
    srv.log
        .notice("Connection with master killed by CLIENT KILL", &[]);
    stop_link(srv);
    if let Some(up) = srv.replication.upstream.as_mut() {
        up.retry_at = Instant::now();
    }
}

/// From the cron: connect when due, run the machine's timers (ACKs), and
/// drop a link silent for longer than repl-timeout.
pub fn cron(srv: &mut Server) {
    let Some(up) = srv.replication.upstream.as_ref() else {
        return;
    };
    let now = Instant::now();
    match up.state {
        LinkState::Connect if now >= up.retry_at => connect(srv),
        LinkState::Connect => {}
        _ if now.duration_since(up.last_io).as_secs() > srv.config.repl_timeout => {
            // Redis's three messages, by the stage the link was in.
            let message = match up.state {
                LinkState::Connecting | LinkState::Handshake => {
                    "Timeout connecting to the MASTER..."
                }
                LinkState::Transfer => {
                    "Timeout receiving bulk data from MASTER... If the problem persists try to \
                     set the 'repl-timeout' parameter in redis.conf to a larger value."
                }
                _ => "MASTER timeout: no data nor PING received...",
            };
            srv.log.warning(message, &[]);
            stop_link(srv);
        }
        _ => drive(srv),
    }
}

fn connect(srv: &mut Server) {
    let Some(up) = srv.replication.upstream.as_mut() else {
        return;
    };
    up.retry_at = Instant::now() + RETRY;
    let addr = (up.host.as_str(), up.port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next());
    let Some(addr) = addr else {
        srv.log.warning(
            "Unable to resolve the master's address",
            &[("host", Field::Str(&up.host))],
        );
        return;
    };
    let mut stream = match connect_from(addr, srv.config.bind_source_addr.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            srv.log.warning(
                "Unable to connect to MASTER",
                &[("error", Field::Str(&e.to_string()))],
            );
            return;
        }
    };
    let Some(registry) = srv.replication.registry.as_ref() else {
        return;
    };
    if registry
        .register(&mut stream, TOKEN, Interest::READABLE | Interest::WRITABLE)
        .is_err()
    {
        return;
    }
    let _ = stream.set_nodelay(true);
    up.stream = Some(ServerStream::Plain(stream));
    up.state = LinkState::Connecting;
    up.last_io = Instant::now();
    srv.log.notice("MASTER <-> REPLICA sync started", &[]);
}

/// A non-blocking connect to `addr`, from `source` (`bind-source-addr`)
/// when one is set.
fn connect_from(addr: std::net::SocketAddr, source: Option<&str>) -> std::io::Result<TcpStream> {
    let Some(source) = source else {
        return TcpStream::connect(addr);
    };
    let ip: std::net::IpAddr = source.parse().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("bind-source-addr {source} is not an IP address"),
        )
    })?;
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.bind(&std::net::SocketAddr::new(ip, 0).into())?;
    socket.set_nonblocking(true)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// Readiness on the link.
pub fn on_event(srv: &mut Server) {
    drive(srv);
}

/// A diskless load has records waiting: the loop should call
/// [`on_event`] again without sleeping.
pub fn more(srv: &Server) -> bool {
    srv.replication.upstream.as_ref().is_some_and(|u| u.more)
}

/// Write what the machine has, read what the socket has, handle every
/// event, until the socket would block.
fn drive(srv: &mut Server) {
    let Some(mut up) = srv.replication.upstream.take() else {
        return;
    };
    let handshaking = up.state == LinkState::Handshake;
    let result = drive_link(srv, &mut up);
    let answered = handshaking && up.state != LinkState::Handshake;
    srv.replication.upstream = Some(up);
    if answered || (handshaking && result.is_err()) {
        super::failover::psync_answered(srv, result.is_ok());
    }
    if let Err(why) = result {
        srv.log.warning(
            "Connection with master lost",
            &[("reason", Field::Str(&why))],
        );
        stop_link(srv);
    }
}

fn drive_link(srv: &mut Server, up: &mut Upstream) -> Result<(), String> {
    if up.state == LinkState::Connecting {
        let Some(stream) = up.stream.as_ref() else {
            return Ok(());
        };
        if let Ok(Some(e)) | Err(e) = stream.take_error() {
            return Err(format!("connecting: {e}"));
        }
        if stream.peer_addr().is_err() {
            return Ok(());
        }
        // tls-replication: TLS from here on (the handshake runs inside
        // the reads and writes that follow).
        if srv.config.tls.replication
            && let Some(ServerStream::Plain(plain)) = up.stream.take()
        {
            up.stream = Some(ServerStream::tls_client(plain, &srv.config.tls, &up.host)?);
        }
        let config = Config {
            auth: srv.config.masterauth.as_ref().map(|password| Auth {
                user: srv.config.masteruser.clone(),
                password: password.clone(),
            }),
            announce_port: if srv.config.replica_announce_port > 0 {
                srv.config.replica_announce_port
            } else {
                srv.port
            },
            announce_ip: srv.config.replica_announce_ip.clone(),
            ack: AckPolicy::Interval,
            ack_interval: Duration::from_secs(1),
            psync_failover: up.psync_failover,
            ..Config::default()
        };
        let resume = up.resume.then(|| Position {
            replid: srv.replication.replid.clone(),
            offset: srv.replication.master_repl_offset,
            db: up.db,
        });
        up.machine = Some(Replica::new(config, resume));
        up.state = LinkState::Handshake;
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut proxied = Vec::new();
    up.more = false;
    // A diskless load parses this much per turn of the loop (Redis serves
    // events every loading-process-events-interval-bytes while it loads).
    let mut budget = srv.config.loading_process_events_interval_bytes.max(1024) as u64;
    loop {
        if let Some(d) = up.diskless.as_mut()
            && !d.starved
        {
            if budget == 0 {
                up.more = true;
                return Ok(());
            }
            let before = d.load.position();
            let step = d.load.step(budget, srv.config.key_load_delay);
            budget = budget.saturating_sub(d.load.position() - before);
            if d.load.position() > before {
                up.last_io = Instant::now();
            }
            match step {
                Ok(Step::Paused) => {
                    up.more = true;
                    return Ok(());
                }
                Ok(Step::NeedMore | Step::Done) => d.starved = true,
                Err(e) => {
                    let why = e.to_string();
                    if let Some(d) = up.diskless.take() {
                        abort_diskless(srv, d, Some(&why));
                    }
                    return Err(format!("the master's snapshot is damaged: {why}"));
                }
            }
        }
        let now = Instant::now();
        let (Some(machine), Some(stream)) = (up.machine.as_mut(), up.stream.as_mut()) else {
            return Ok(());
        };
        // TLS ciphertext left over from a write that would have blocked.
        match stream.flush() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e.to_string()),
            _ => {}
        }
        // Output first: the handshake and ACKs.
        while !machine.pending_output().is_empty() {
            match stream.write(machine.pending_output()) {
                Ok(0) => return Err("master closed the connection".into()),
                Ok(n) => machine.consume_output(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
        // Paused (CLIENT PAUSE): the master's stream is read but not
        // applied until the pause ends (slave_read_repl_offset grows,
        // slave_repl_offset does not).
        let held = up.state == LinkState::Connected && srv.pause_check_deadline();
        let event = if held {
            srv.pause.master_held = true;
            None
        } else {
            machine.poll_event(now).map_err(|e| e.to_string())?
        };
        match event {
            Some(event) => {
                if !proxied.is_empty() && !matches!(event, Event::Command(_)) {
                    feed_replicas(srv, &std::mem::take(&mut proxied));
                }
                handle(srv, up, event, &mut proxied)?;
            }
            None => {
                if !proxied.is_empty() {
                    feed_replicas(srv, &std::mem::take(&mut proxied));
                }
                let Some(stream) = up.stream.as_mut() else {
                    return Ok(());
                };
                match stream.read(&mut buf) {
                    Ok(0) => return Err("master closed the connection".into()),
                    Ok(n) => {
                        up.last_io = Instant::now();
                        srv.stats.net_input_bytes += n as u64;
                        if let Some(m) = up.machine.as_mut() {
                            m.receive(&buf[..n]);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        // Flush ACKs produced by the last events.
                        if let (Some(m), Some(s)) = (up.machine.as_mut(), up.stream.as_mut())
                            && !m.pending_output().is_empty()
                            && let Ok(n) = s.write(m.pending_output())
                        {
                            m.consume_output(n);
                        }
                        return Ok(());
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                        // A signal interrupted a blocking read (a timed
                        // read is not restarted, SA_RESTART or not): the
                        // caller checks for a stop signal, then reads
                        // again.
                        if up.blocking {
                            up.more = true;
                            return Ok(());
                        }
                    }
                    Err(e) => return Err(e.to_string()),
                }
            }
        }
    }
}

fn handle(
    srv: &mut Server,
    up: &mut Upstream,
    event: Event,
    proxied: &mut Vec<u8>,
) -> Result<(), String> {
    match event {
        Event::Keepalive => {}
        Event::Warning(w) => srv.log.warning(&w, &[]),
        Event::FullResync { replid, offset } => {
            srv.log.notice(
                "Full resync from master",
                &[
                    ("replid", Field::Str(&replid)),
                    ("offset", Field::Int(offset as i64)),
                ],
            );
            if use_diskless_load(srv) {
                let swapdb = srv.config.repl_diskless_load == "swapdb";
                up.diskless = Some(DisklessLoad {
                    load: StreamLoad::new(srv.ks.dbs.len()),
                    async_loading: swapdb && replid == srv.replication.replid,
                    replid,
                    offset,
                    size: None,
                    read: 0,
                    started: Instant::now(),
                    last_io: Instant::now(),
                    swapdb,
                    starved: true,
                    begun: false,
                });
                up.state = LinkState::Transfer;
                return Ok(());
            }
            let path = srv.config.dir.join(format!(
                "temp-{}.{}.rdb",
                unix_ms() / 1000,
                std::process::id()
            ));
            let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            up.transfer = Some(Transfer {
                file,
                path,
                size: None,
                read: 0,
                replid,
                offset,
                last_io: Instant::now(),
            });
            up.state = LinkState::Transfer;
        }
        Event::SnapshotStart(form) => {
            let size = match form {
                crate::replication::SnapshotForm::Sized(n) => Some(n),
                _ => None,
            };
            if let Some(t) = up.transfer.as_mut() {
                t.size = size;
            }
            if let Some(d) = up.diskless.as_mut() {
                d.size = size;
                start_diskless(srv, d);
            }
        }
        Event::SnapshotData(bytes) if up.diskless.is_some() => {
            if let Some(d) = up.diskless.as_mut() {
                d.load.feed(&bytes);
                d.read += bytes.len() as u64;
                d.last_io = Instant::now();
                d.starved = false;
            }
        }
        Event::SnapshotData(bytes) => {
            let Some(t) = up.transfer.as_mut() else {
                return Err("snapshot data without a transfer".into());
            };
            t.file
                .write_all(&bytes)
                .map_err(|e| format!("{}: {e}", t.path.display()))?;
            t.read += bytes.len() as u64;
            t.last_io = Instant::now();
        }
        Event::SnapshotEnd { .. } if up.diskless.is_some() => {
            let Some(mut d) = up.diskless.take() else {
                return Ok(());
            };
            // What arrived last is parsed now, whatever the budget.
            let finished = d
                .load
                .step(u64::MAX, srv.config.key_load_delay)
                .and_then(|_| std::mem::replace(&mut d.load, StreamLoad::new(0)).finish());
            // The stream that follows is read as the loop's readiness
            // says, never waiting on the socket.
            let _ = set_blocking(up, None);
            match finished {
                Ok((ks, loaded)) => finish_diskless(srv, d, ks, loaded),
                Err(e) => {
                    let why = e.to_string();
                    abort_diskless(srv, d, Some(&why));
                    return Err(format!("the master's snapshot is damaged: {why}"));
                }
            }
            up.db = 0;
            up.resume = true;
            up.state = LinkState::Connected;
            up.down_since = None;
        }
        Event::SnapshotEnd { .. } => {
            let Some(t) = up.transfer.take() else {
                return Err("snapshot end without a transfer".into());
            };
            load_snapshot(srv, t)?;
            up.db = 0;
            up.resume = true;
            up.state = LinkState::Connected;
            up.down_since = None;
        }
        Event::Continue {
            replid,
            previous_replid,
            offset,
        } => {
            let repl = &mut srv.replication;
            if previous_replid.is_some() && replid != repl.replid {
                // The master has a new history: ours continues under it.
                // Our own replicas reconnect to learn the new ID (and
                // continue under the old one, now our replid2).
                repl.replid2 = std::mem::replace(&mut repl.replid, replid);
                repl.second_repl_offset = offset as i64 + 1;
                let attached: Vec<usize> = super::replicas(srv).map(|(c, _)| c.slot).collect();
                for slot in attached {
                    srv.kill_client(slot);
                }
            }
            let repl = &mut srv.replication;
            if repl.backlog.is_none() {
                let size = srv.config.repl_backlog_size as usize;
                repl.backlog = Some(Backlog::new(size, repl.master_repl_offset));
            }
            srv.log
                .notice("Successful partial resynchronization with master.", &[]);
            srv.log.notice(
                "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
                &[("offset", Field::Int(offset as i64))],
            );
            up.resume = true;
            up.state = LinkState::Connected;
            up.down_since = None;
        }
        Event::Command(cmd) => {
            // Chained replicas get the master's bytes, unchanged (so their
            // offsets are the master's).
            proxied.extend_from_slice(&cmd.raw);
            up.db = cmd.db;
            // Inside MULTI a SELECT is queued like any command, so the
            // transaction's commands run in their own databases at EXEC.
            let in_multi = up.master.as_ref().is_some_and(|m| m.multi.is_some());
            let select = cmd.args[0].eq_ignore_ascii_case(b"select");
            if cmd.is_housekeeping() || (select && !in_multi) {
                return Ok(());
            }
            let db = usize::try_from(cmd.db)
                .ok()
                .filter(|&d| d < srv.ks.dbs.len())
                .ok_or_else(|| format!("the master selected database {}", cmd.db))?;
            let Some(mut master) = up.master.take() else {
                return Ok(());
            };
            if !in_multi {
                master.db = db;
            }
            let args: Vec<&[u8]> = cmd.args.iter().map(|a| a.as_ref()).collect();
            srv.ks.applying_master = true;
            let request = (cmd.raw.first() == Some(&b'*')).then_some(&cmd.raw[..]);
            srv.call_request(&mut master, &args, request);
            srv.ks.applying_master = false;
            if master.reply.buf.first() == Some(&b'-') {
                master_got_an_error(srv, &master.reply.buf, &args);
            }
            master.reply.buf.clear();
            master.reply.sent = 0;
            master.reply.errors.clear();
            up.master = Some(master);
        }
    }
    Ok(())
}

/// A command of the master's stream failed here: the datasets have
/// diverged. Logged as Redis logs it; a read-only replica stops when
/// `propagation-error-behavior` says panic.
fn master_got_an_error(srv: &mut Server, reply: &[u8], args: &[&[u8]]) {
    let reply = String::from_utf8_lossy(reply);
    let error = reply.trim_start_matches('-').trim_end();
    let command = match srv.commands.lookup(args) {
        crate::server::command::Lookup::Found(i) => srv.commands.entries[i].full_name.clone(),
        _ => "<unknown>".to_owned(),
    };
    srv.log.warning(
        &format!(
            "== CRITICAL == This replica is sending an error to its master: '{error}' after \
             processing the command '{command}'"
        ),
        &[],
    );
    srv.stats.unexpected_error_replies += 1;
    let panics = matches!(
        srv.config.propagation_error_behavior.as_str(),
        "panic" | "panic-on-replicas"
    );
    if panics && srv.config.replica_read_only {
        srv.log.warning(
            "This replica panicked sending an error to its master after processing the command",
            &[("command", Field::Str(&command))],
        );
        std::process::abort();
    }
}

/// The snapshot's header arrived: the load starts. Clients are told the
/// server is loading unless it loads asynchronously.
fn start_diskless(srv: &mut Server, d: &mut DisklessLoad) {
    if !d.swapdb {
        srv.log
            .notice("MASTER <-> REPLICA sync: Flushing old data", &[]);
    }
    srv.log
        .notice("MASTER <-> REPLICA sync: Loading DB in memory", &[]);
    crate::server::loading::begin();
    srv.persistence.loading = Some(persistence::Loading {
        started_unix: unix_ms() / 1000,
        total_bytes: d.size.unwrap_or(0),
        async_loading: d.async_loading,
    });
    srv.ks.loading = !d.async_loading;
    d.started = Instant::now();
    d.begun = true;
}

/// The whole image is loaded: it takes the dataset's place, and the
/// master's history becomes ours.
fn finish_diskless(
    srv: &mut Server,
    d: DisklessLoad,
    mut ks: crate::server::keyspace::Keyspace,
    loaded: persistence::snapshot::Loaded,
) {
    srv.persistence.loading = None;
    srv.ks.loading = false;
    // Our own replicas hold a dataset that no longer follows ours.
    let attached: Vec<usize> = super::replicas(srv).map(|(c, _)| c.slot).collect();
    for slot in attached {
        srv.kill_client(slot);
    }
    if d.swapdb {
        srv.log.notice(
            "MASTER <-> REPLICA sync: Swapping active DB with loaded DB",
            &[],
        );
    }
    std::mem::swap(&mut srv.ks.dbs, &mut ks.dbs);
    std::mem::swap(&mut srv.ks.functions, &mut ks.functions);
    srv.ks.functions_version += 1;
    // Keys written on this replica by its own clients belong to the old
    // dataset.
    srv.ks.replica_written.clear();
    if d.swapdb {
        drop(ks);
        srv.log.notice(
            "MASTER <-> REPLICA sync: Discarding old DB in background",
            &[],
        );
    }
    // Nothing was saved: the dataset differs from the file on disk.
    srv.signals.dirty += 1;
    adopt_master_history(srv, d.replid, d.offset, loaded.keys, d.read, d.started);
}

/// Replace the dataset with the master's snapshot.
fn load_snapshot(srv: &mut Server, mut t: Transfer) -> Result<(), String> {
    let started = Instant::now();
    t.file
        .flush()
        .and_then(|()| t.file.sync_all())
        .map_err(|e| format!("{}: {e}", t.path.display()))?;
    drop(t.file);
    // Our own replicas hold a dataset that no longer follows ours.
    let attached: Vec<usize> = super::replicas(srv).map(|(c, _)| c.slot).collect();
    for slot in attached {
        srv.kill_client(slot);
    }
    for db in &mut srv.ks.dbs {
        db.clear();
    }
    let map = crate::input::map(&t.path).map_err(|e| format!("{}: {e}", t.path.display()))?;
    let loaded = persistence::snapshot::load(&mut srv.ks, &map, None).map_err(|e| {
        format!(
            "the master's snapshot is damaged ({}, at byte {}): {e}",
            e.kind(),
            e.offset()
        )
    });
    drop(map);
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            let _ = std::fs::remove_file(&t.path);
            return Err(e);
        }
    };
    let target = persistence::rdb_path(&srv.config);
    if std::fs::rename(&t.path, &target).is_err() {
        let _ = std::fs::remove_file(&t.path);
    }
    srv.signals.dirty = 0;
    adopt_master_history(srv, t.replid, t.offset, loaded.keys, t.read, started);
    Ok(())
}

/// The end of a successful full sync, from disk or diskless: the AOF is
/// rewritten (it describes the replaced dataset), the master's replication
/// ID and offset become ours with a fresh backlog, and the log says so.
fn adopt_master_history(
    srv: &mut Server,
    replid: String,
    offset: u64,
    keys: u64,
    bytes: u64,
    started: Instant,
) {
    if srv.persistence.aof.is_some() {
        srv.persistence.aof_rewrite_scheduled = true;
    }
    let repl = &mut srv.replication;
    repl.replid = replid;
    repl.replid2 = NO_REPLID.to_owned();
    repl.second_repl_offset = -1;
    repl.master_repl_offset = offset;
    let size = srv.config.repl_backlog_size as usize;
    repl.backlog = Some(Backlog::new(size, offset));
    srv.log.notice(
        "MASTER <-> REPLICA sync: Finished with success",
        &[
            ("keys", Field::Int(keys as i64)),
            ("bytes", Field::Int(bytes as i64)),
            (
                "seconds",
                Field::Str(&format!("{:.3}", started.elapsed().as_secs_f64())),
            ),
        ],
    );
}
