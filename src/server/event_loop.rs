//! The event loop: one mio `Poll`, the listeners, the clients, and timers
//! carried by the poll timeout.
//!
//! Every iteration flushes pending output (writing until WouldBlock and
//! registering WRITABLE only for clients that still have output), sleeps in
//! `poll` until the next cron tick at most, accepts until WouldBlock, reads
//! each readable client until WouldBlock while executing every complete
//! request, and then runs the cron when due. Readiness is edge-triggered,
//! so a client whose reading was paused by backpressure is resumed
//! explicitly once its output drains.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::tls::ServerStream;

use super::connection::Client;
use super::persistence::{self, ShutdownSave};
use super::replication::{self, pipe, upstream};
use super::{Server, Shutdown, memory, output, shutdown};
use crate::output::log::Field;
use crate::resp::request::{Arg, RequestLimits, parse_request_into};

/// Stop reading from a client while this much output is pending (or
/// while its output limit is reached, when that is larger: a configured
/// limit is meant to be reached and enforced, not pre-empted). Redis has
/// no such bound; it is high enough that a client writing a long pipeline
/// before reading any reply (a million small replies is Redis's own test
/// of replica buffers) is not stalled, and low enough that a client that
/// never reads cannot grow the server much.
pub const OUTPUT_HIGH_WATER: usize = 16 << 20;
/// An argument this long is read into a buffer of its size (Redis's
/// PROTO_MBULK_BIG_ARG).
pub const BIG_ARG: usize = 32 * 1024;
/// Tokens from here up are listeners.
const LISTENER_BASE: usize = usize::MAX - 64;
/// The `unixsocket` listener (below the replication link's token).
const UNIX_LISTENER: Token = Token(usize::MAX - 66);

/// SIGTERM/SIGINT schedule a shutdown the loop notices after its next
/// wake-up; a broken client connection must not kill the server.
fn install_signal_handlers() {
    crate::stop::catch(crate::stop::Repeat::Record);
    // SAFETY: setting a signal's disposition to "ignore" has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// A failure that stops the server before or while it runs.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}")]
    Bind { addr: String, source: io::Error },
    #[error("poll failed")]
    Poll(#[source] io::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("Configured to not listen anywhere (no bind address, no unixsocket)")]
    Nowhere,
}

/// The TCP listeners, registered as `LISTENER_BASE + index`.
#[derive(Default)]
pub struct Listeners {
    pub all: Vec<TcpListener>,
    /// Listeners from this index on are TLS (`tls-port`).
    pub tls_from: usize,
    /// The configuration of the TLS listeners (rebuilt when CONFIG SET
    /// changes tls-auth-clients).
    pub tls: Option<std::sync::Arc<rustls::ServerConfig>>,
}

pub struct EventLoop {
    poll: Poll,
    pub server: Server,
    /// A failed accept (EMFILE) left connections in the backlog.
    accept_pending: bool,
    last_accept_warning: Option<Instant>,
    next_cron: Instant,
    /// Reused for every request's argument ranges.
    parsed_args: Vec<Arg>,
    /// The `unixsocket` listener and its path.
    unix: Option<(mio::net::UnixListener, std::sync::Arc<str>)>,
    /// Rounds of events served while a script was busy: readiness seen
    /// then may belong to a client that was out of its slot.
    busy_rounds: u64,
    /// The start of the busy script whose clients were all swept once.
    busy_swept: Option<Instant>,
}

thread_local! {
    /// The running loop, for serving clients while a script is busy.
    static RUNNING: std::cell::Cell<*mut EventLoop> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Serve other clients while a script runs past busy-reply-threshold (as
/// Redis's processEventsWhileBlocked): they get -BUSY, except SCRIPT KILL,
/// FUNCTION KILL, FUNCTION STATS and SHUTDOWN NOSAVE. The client running
/// the script is out of its slot meanwhile, so it is not read then (it is
/// read to the end once the script is over).
pub fn process_events_while_busy() {
    let running = RUNNING.with(|r| r.get());
    if running.is_null() {
        return;
    }
    // SAFETY: RUNNING is set by `EventLoop::run` for its whole duration,
    // on this thread; this is reached only from a script started by that
    // loop, whose own frames do not touch the loop until the script
    // returns.
    unsafe { (*running).events_while_busy() }
}

impl EventLoop {
    /// Connect to the master `replicaof` names: after the dataset is
    /// loaded, so the link starts from what was persisted.
    pub fn start_replication(&mut self) {
        if let Some((host, port)) = self.server.config.replicaof.clone() {
            upstream::start(&mut self.server, host, port, false);
        }
        crate::server::replication::resume_saved_position(&mut self.server);
    }

    /// Load the persisted dataset at startup. A snapshot is loaded while
    /// clients are served every `loading-process-events-interval-bytes`
    /// (they get -LOADING for anything that needs the data, as with
    /// Redis's processEventsWhileBlocked during loading): it fills a
    /// keyspace of its own, which then takes the server's place.
    pub fn load_dataset(&mut self) -> Result<(), persistence::StartupError> {
        let snap = match persistence::begin_load_at_start(&mut self.server)? {
            persistence::AtStart::Done => return Ok(()),
            persistence::AtStart::Snapshot(snap) => snap,
        };
        let placeholder = super::keyspace::Keyspace::new(self.server.ks.dbs.len());
        let mut staged = std::mem::replace(&mut self.server.ks, placeholder);
        self.server.ks.loading = true;
        self.server.persistence.loading = Some(persistence::Loading {
            started_unix: super::clock::unix_ms() / 1000,
            total_bytes: snap.bytes().len() as u64,
            async_loading: false,
        });
        let every_bytes = self
            .server
            .config
            .loading_process_events_interval_bytes
            .max(1) as u64;
        let key_delay_us = self.server.config.key_load_delay;
        let result = persistence::snapshot::load_paced(
            &mut staged,
            snap.bytes(),
            snap.expired_before,
            snap.collect_expired,
            persistence::snapshot::Pacing {
                every_bytes,
                key_delay_us,
                serve: &mut |_| {
                    let mut events = Events::with_capacity(64);
                    self.serve_ready(&mut events);
                },
            },
        );
        self.server.ks = staged;
        self.server.persistence.loading = None;
        persistence::finish_snapshot_load(&mut self.server, snap, result)
    }

    fn events_while_busy(&mut self) {
        self.busy_rounds += 1;
        // Readiness is edge-triggered: clients whose events came in the
        // batch that started the script will not be reported again, so
        // each is read once (SCRIPT KILL may be waiting there).
        let started = self.server.scripting.running.as_ref().map(|r| r.2);
        if started.is_some() && self.busy_swept != started {
            self.busy_swept = started;
            for slot in 0..self.server.clients.slots.len() {
                self.read_client(slot);
            }
        }
        let mut events = Events::with_capacity(256);
        self.serve_ready(&mut events);
    }

    /// A few rounds of whatever is ready, without waiting (for a loop
    /// that is busy elsewhere: a script, a load).
    fn serve_ready(&mut self, events: &mut Events) {
        for _ in 0..4 {
            self.stop_listening_if_exiting();
            self.flush_pending_writes();
            if let Err(e) = self.poll.poll(events, Some(Duration::ZERO))
                && e.kind() != io::ErrorKind::Interrupted
            {
                return;
            }
            if events.is_empty() {
                break;
            }
            for event in events.iter() {
                let token = event.token().0;
                if event.token() == upstream::TOKEN || event.token() == pipe::TOKEN {
                    continue;
                }
                if token >= LISTENER_BASE {
                    self.accept(token - LISTENER_BASE);
                    continue;
                }
                if event.is_writable() {
                    self.write_client(token);
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    self.read_client(token);
                }
            }
        }
        self.flush_pending_writes();
    }

    /// Bind the configured addresses.
    pub fn bind(mut server: Server) -> Result<EventLoop, ServeError> {
        let poll = Poll::new().map_err(ServeError::Poll)?;
        let mut listeners = bind_plain(&server.config.bind, server.config.port)?;
        for (index, listener) in listeners.iter_mut().enumerate() {
            poll.registry()
                .register(listener, Token(LISTENER_BASE + index), Interest::READABLE)
                .map_err(ServeError::Poll)?;
            if let Ok(local) = listener.local_addr() {
                server.port = local.port();
            }
        }
        let tls_from = listeners.len();
        let tls = if server.config.tls.port != 0 {
            let config = server.config.tls.server_config().map_err(ServeError::Tls)?;
            for mut listener in super::tls::bind(&server.config.bind, server.config.tls.port)? {
                let token = Token(LISTENER_BASE + listeners.len());
                poll.registry()
                    .register(&mut listener, token, Interest::READABLE)
                    .map_err(ServeError::Poll)?;
                listeners.push(listener);
            }
            Some(config)
        } else {
            None
        };
        let unix = match server.config.unixsocket.clone() {
            Some(path) => {
                let mut listener = bind_unix(&path, server.config.unixsocketperm)?;
                poll.registry()
                    .register(&mut listener, UNIX_LISTENER, Interest::READABLE)
                    .map_err(ServeError::Poll)?;
                Some((listener, std::sync::Arc::from(path.as_str())))
            }
            None => None,
        };
        if listeners.is_empty() && unix.is_none() {
            return Err(ServeError::Nowhere);
        }
        server.replication.registry = poll.registry().try_clone().ok();
        server.listeners = Listeners {
            all: listeners,
            tls_from,
            tls,
        };
        install_signal_handlers();
        memory::disable_transparent_huge_pages();
        raise_open_files_limit(server.config.maxclients);
        Ok(EventLoop {
            poll,
            server,
            accept_pending: false,
            last_accept_warning: None,
            next_cron: Instant::now(),
            parsed_args: Vec::new(),
            unix,
            busy_rounds: 0,
            busy_swept: None,
        })
    }

    /// The addresses actually bound.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.server
            .listeners
            .all
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Run until SHUTDOWN or a signal.
    pub fn run(&mut self) -> Result<Shutdown, ServeError> {
        RUNNING.with(|r| r.set(self as *mut EventLoop));
        let outcome = self.run_loop();
        RUNNING.with(|r| r.set(std::ptr::null_mut()));
        outcome
    }

    fn run_loop(&mut self) -> Result<Shutdown, ServeError> {
        let mut events = Events::with_capacity(1024);
        loop {
            if self.server.config.maxmemory_clients != 0 {
                self.server.evict_clients();
            }
            self.server.tracking_broadcast();
            self.stop_listening_if_exiting();
            self.flush_pending_writes();
            // A diskless transfer: the snapshot child's pipe to the
            // replicas' output, as long as their sockets take it.
            while pipe::pump(&mut self.server, false) {
                self.flush_pending_writes();
            }
            shutdown::check(&mut self.server);
            if let Some(reason) = self.server.shutdown {
                self.flush_all_before_exit();
                return Ok(reason);
            }
            let mut wake = match self.server.next_block_deadline() {
                Some(at) if at < self.next_cron => at,
                _ => self.next_cron,
            };
            if let Some(at) = self.server.pause_deadline() {
                wake = wake.min(at);
            }
            if let Some(at) = shutdown::deadline(&self.server) {
                wake = wake.min(at);
            }
            let mut timeout = wake.saturating_duration_since(Instant::now());
            if self.server.eviction.timer || upstream::more(&self.server) {
                // An eviction round ran out of time, or a diskless load
                // gave the loop its turn: continue it soon.
                timeout = Duration::ZERO;
            }
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Err(ServeError::Poll(e));
            }
            if let Some(signal) = crate::stop::take() {
                // Redis acts on a stop signal in its cron: until then (and
                // while DEBUG PAUSE-CRON holds it) SHUTDOWN ABORT cancels it.
                self.server.shutdown_asap = Some(signal);
            }
            if let Some(signal) = self.server.shutdown_asap
                && !self.server.debug.pause_cron
            {
                self.server.shutdown_asap = None;
                let name = crate::stop::name(signal);
                self.server
                    .log
                    .warning(&format!("Received {name} scheduling shutdown..."), &[]);
                let (save, force) = self
                    .server
                    .config
                    .shutdown_on_signal(signal == libc::SIGTERM);
                let mode = match save {
                    Some(true) => ShutdownSave::Save,
                    Some(false) => ShutdownSave::NoSave,
                    None => ShutdownSave::Default,
                };
                let request = shutdown::Request {
                    save: mode,
                    force,
                    now: false,
                    origin: Shutdown::Signal(signal),
                };
                if shutdown::begin(&mut self.server, request) == shutdown::Begun::Failed {
                    self.server.log.warning(
                        &format!(
                            "{name} received but errors trying to shut down the server, check \
                             the logs for more information"
                        ),
                        &[],
                    );
                }
                continue;
            }
            for event in events.iter() {
                let token = event.token().0;
                if event.token() == upstream::TOKEN {
                    upstream::on_event(&mut self.server);
                    continue;
                }
                if event.token() == pipe::TOKEN {
                    // Read below, every turn while the transfer runs.
                    continue;
                }
                if event.token() == UNIX_LISTENER {
                    self.accept_unix();
                    continue;
                }
                if token >= LISTENER_BASE {
                    self.accept(token - LISTENER_BASE);
                    continue;
                }
                if event.is_writable() {
                    self.write_client(token);
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    self.read_client(token);
                }
            }
            let now = Instant::now();
            if self
                .server
                .next_block_deadline()
                .is_some_and(|at| at <= now)
            {
                self.server.expire_blocked(now);
            }
            if !self.server.pause_check_deadline()
                && std::mem::take(&mut self.server.pause.master_held)
            {
                // The master's stream read during the pause applies now.
                upstream::on_event(&mut self.server);
            }
            if upstream::more(&self.server) {
                upstream::on_event(&mut self.server);
            }
            self.server.eviction_timer();
            self.resume_unblocked();
            if now >= self.next_cron {
                self.cron();
            }
            if upstream::blocking_load_pending(&self.server) {
                self.load_from_master();
            }
        }
    }

    /// A full resync loading straight from the master's socket over an
    /// empty dataset (repl-diskless-load on-empty-db) holds the loop, as
    /// Redis's does: the socket is read with blocking reads, and between
    /// two loading-process-events-interval-bytes clients are served
    /// (-LOADING for what needs the data) the way a busy script serves
    /// them, without the cron. A stop signal or SHUTDOWN ends the load.
    fn load_from_master(&mut self) {
        upstream::begin_blocking_load(&mut self.server);
        let mut events = Events::with_capacity(256);
        let mut abort = false;
        while upstream::blocking_load_turn(&mut self.server) {
            if let Some(signal) = crate::stop::take() {
                // As Redis's whileBlockedCron: a shutdown without saving
                // (the dataset is half loaded).
                self.server.log.warning(
                    &format!(
                        "Received {} during loading, shutting down without saving",
                        crate::stop::name(signal)
                    ),
                    &[],
                );
                let request = shutdown::Request {
                    save: ShutdownSave::NoSave,
                    force: false,
                    now: true,
                    origin: Shutdown::Signal(signal),
                };
                shutdown::begin(&mut self.server, request);
            }
            if self.server.shutdown.is_some() {
                abort = true;
                break;
            }
            self.serve_ready(&mut events);
            if self.server.shutdown.is_some() {
                abort = true;
                break;
            }
        }
        upstream::end_blocking_load(&mut self.server, abort);
        // Readiness of the link seen while it was read in blocking mode
        // was skipped: drain it now.
        upstream::on_event(&mut self.server);
    }

    /// Once the server is to exit, its ports close first: a client that
    /// connects after SHUTDOWN was answered (its connection closed) is
    /// refused, not accepted by a server about to go.
    fn stop_listening_if_exiting(&mut self) {
        if self.server.shutdown.is_none() {
            return;
        }
        for mut listener in std::mem::take(&mut self.server.listeners.all) {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        if let Some((mut listener, path)) = self.unix.take() {
            let _ = self.poll.registry().deregister(&mut listener);
            let _ = std::fs::remove_file(&*path);
        }
    }

    /// Run the input that clients unblocked (served or timed out) had
    /// pipelined behind their blocking command.
    fn resume_unblocked(&mut self) {
        while !self.server.blocking.unblocked.is_empty() {
            for slot in std::mem::take(&mut self.server.blocking.unblocked) {
                let Some(mut client) = self.server.clients.take(slot) else {
                    continue;
                };
                if client.blocked.is_none() && client.query_len() > 0 {
                    self.process_input(&mut client, None);
                }
                if client.reply.pending() > 0 {
                    self.server.queue_write(&mut client);
                }
                self.server.clients.slots[slot] = Some(client);
            }
        }
    }

    fn accept(&mut self, index: usize) {
        loop {
            let Some(listener) = self.server.listeners.all.get(index) else {
                return;
            };
            match listener.accept() {
                Ok((stream, _)) => {
                    let tls_listener = index >= self.server.listeners.tls_from;
                    let stream = match (&self.server.listeners.tls, tls_listener) {
                        (Some(config), true) => match ServerStream::tls(stream, config) {
                            Ok(s) => s,
                            Err(_) => continue,
                        },
                        _ => ServerStream::Plain(stream),
                    };
                    self.add_client(stream)
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.accept_pending = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // EMFILE and friends: the connection stays in the
                    // backlog; retry from the cron instead of spinning.
                    self.accept_pending = true;
                    let now = Instant::now();
                    if self
                        .last_accept_warning
                        .is_none_or(|t| now.duration_since(t) > Duration::from_secs(1))
                    {
                        self.last_accept_warning = Some(now);
                        self.server.log.warning(
                            "Accepting client connection failed",
                            &[("error", Field::Str(&e.to_string()))],
                        );
                    }
                    return;
                }
            }
        }
    }

    fn accept_unix(&mut self) {
        loop {
            let Some((listener, path)) = &self.unix else {
                return;
            };
            match listener.accept() {
                Ok((stream, _)) => {
                    let path = std::sync::Arc::clone(path);
                    self.add_client(ServerStream::Unix(stream, path));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // WouldBlock: drained; anything else (EMFILE) is retried
                // at the next readiness event.
                Err(_) => return,
            }
        }
    }

    fn add_client(&mut self, mut stream: ServerStream) {
        let server = &mut self.server;
        server.stats.connections_received += 1;
        if server.clients.count >= server.config.maxclients {
            use std::io::Write;
            let _ = stream.write(b"-ERR max number of clients reached\r\n");
            server.stats.rejected_connections += 1;
            return;
        }
        let _ = stream.set_nodelay(true);
        if let Some(tcp) = stream.tcp() {
            set_keepalive(tcp, server.config.tcp_keepalive);
        }
        let slot = server.clients.reserve_slot();
        let id = server.next_client_id;
        server.next_client_id += 1;
        let mut client = Box::new(Client::new(id, slot, Some(stream)));
        // As in Redis, a client that connects while no password is set stays
        // authenticated if one is set later.
        client.authenticated = server.acl_default_open();
        let default_nopass = server.acl.default_user().is_some_and(|d| d.nopass);
        if server.config.protected_mode && default_nopass && !client.is_local {
            use std::io::Write;
            if let Some(s) = client.stream.as_mut() {
                let _ = s.write(PROTECTED_MODE_DENIED);
            }
            server.stats.rejected_connections += 1;
            server.clients.release(slot, false);
            return;
        }
        if let Some(s) = client.stream.as_mut()
            && let Err(e) = self
                .poll
                .registry()
                .register(s, Token(slot), Interest::READABLE)
        {
            server.log.warning(
                "Cannot register client",
                &[("error", Field::Str(&e.to_string()))],
            );
            server.clients.release(slot, false);
            return;
        }
        server.log.verbose(
            "Accepted",
            &[
                ("addr", Field::Str(&client.addr())),
                ("id", Field::Int(id as i64)),
            ],
        );
        server.clients.insert(client);
    }

    /// Read and execute until the socket is drained, the client is paused
    /// by backpressure, or it is to be closed.
    fn read_client(&mut self, slot: usize) {
        let Some(mut client) = self.server.clients.take(slot) else {
            return;
        };
        let mut closing = false;
        loop {
            if client.close_asap || client.close_after_reply || client.waiting.is_some() {
                break;
            }
            if client.reply.pending() > self.high_water() {
                client.read_paused = true;
                break;
            }
            match client.read_some() {
                Ok((0, _)) => {
                    closing = true;
                    break;
                }
                Ok((n, filled)) => {
                    self.server.stats.net_input_bytes += n as u64;
                    let now = Instant::now();
                    client.last_interaction = now;
                    let rounds = self.busy_rounds;
                    self.process_input(&mut client, Some(now));
                    // A busy script served events meanwhile, and dropped
                    // this client's (it was out of its slot): read on
                    // until the socket is drained.
                    let filled = filled || self.busy_rounds != rounds;
                    let query_limit = if self.server.auth_required(&client) {
                        Server::UNAUTH_QUERY_LIMIT
                    } else {
                        self.server.config.client_query_buffer_limit
                    };
                    if client.query_len() as u64 > query_limit {
                        self.server.log.warning(
                            "Closing client that reached max query buffer length",
                            &[
                                ("addr", Field::Str(&client.addr())),
                                ("qbuf", Field::Int(client.query_len() as i64)),
                            ],
                        );
                        self.server.stats.query_limit_disconnections += 1;
                        closing = true;
                        break;
                    }
                    if !filled {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    closing = true;
                    break;
                }
            }
        }
        // close_asap: nothing more is written to it (a client killed, one
        // over its output limit, one whose Lua debugger session went to a
        // forked child), so it goes now.
        if closing || client.close_asap {
            self.close(client);
            return;
        }
        self.server.clients.slots[slot] = Some(client);
    }

    /// Execute every complete request in the query buffer. `read_at`: the
    /// clock reading taken when the input was read, if just now.
    fn process_input(&mut self, client: &mut Client, read_at: Option<Instant>) {
        let limits = RequestLimits {
            max_bulk_len: self.server.config.proto_max_bulk_len,
            ..RequestLimits::default()
        };
        // The query buffer is moved out while requests borrow from it, so
        // commands can have the client mutably.
        let query = std::mem::take(&mut client.query);
        client.query_taken = query.capacity();
        let mut parsed = std::mem::take(&mut self.parsed_args);
        let mut argv: Vec<&[u8]> = Vec::with_capacity(8);
        let mut owned: Vec<Vec<u8>>;
        let batch_start = client.query_pos;
        let mut big_arg = None;
        self.server.begin_batch(read_at);
        while client.query_pos < client.query_end
            && !client.read_paused
            && !client.paused_request
            && !client.close_after_reply
            && !client.close_asap
            && client.blocked.is_none()
            && !client.postponed
            && self.server.shutdown.is_none()
        {
            if client.reply.pending() > self.high_water() {
                client.read_paused = true;
                break;
            }
            let buf = &query[client.query_pos..client.query_end];
            let authenticated = !self.server.auth_required(client);
            match parse_request_into(buf, &limits, authenticated, &mut parsed) {
                Ok(None) => {
                    big_arg = crate::resp::request::incomplete_big_bulk(buf, BIG_ARG);
                    break;
                }
                Ok(Some(consumed)) => {
                    client.query_pos += consumed;
                    client.query_parsed = client.query_pos - batch_start;
                    // A RESP array is forwarded as it came when the
                    // command propagates unchanged; an inline command is
                    // encoded.
                    let request = (buf.first() == Some(&b'*')).then(|| &buf[..consumed]);
                    argv.clear();
                    if parsed.iter().all(|a| matches!(a, Arg::Range(_))) {
                        argv.extend(parsed.iter().map(|a| match a {
                            Arg::Range(r) => &buf[r.clone()],
                            Arg::Owned(_) => &[][..],
                        }));
                        self.server.call_request(client, &argv, request);
                    } else {
                        owned = parsed
                            .drain(..)
                            .map(|a| match a {
                                Arg::Owned(v) => v,
                                Arg::Range(r) => buf[r].to_vec(),
                            })
                            .collect();
                        let args: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
                        self.server.call_request(client, &args, request);
                    }
                    if client.paused_request || client.postponed {
                        // Held by a failover's write pause or by CLIENT
                        // PAUSE: parsed again when it ends.
                        client.query_pos -= consumed;
                        client.query_parsed = client.query_pos - batch_start;
                        break;
                    }
                    self.server.check_output_limit(client);
                }
                Err(e) => {
                    self.server.log.verbose(
                        "Protocol error from client",
                        &[
                            ("addr", Field::Str(&client.addr())),
                            ("error", Field::Str(&e.message)),
                        ],
                    );
                    client.reply.error(&e.message);
                    for code in client.reply.errors.drain(..) {
                        self.server.stats.total_error_replies += 1;
                        *self.server.stats.error_counts.entry(code).or_default() += 1;
                    }
                    client.close_after_reply = true;
                    client.query_pos = client.query_end;
                    self.server.queue_write(client);
                }
            }
        }
        self.server.end_batch();
        client.query_parsed = 0;
        client.query = query;
        client.query_taken = 0;
        // A request of many arguments leaves no large vector behind (Redis
        // frees argv after each command).
        if parsed.capacity() > 1024 {
            parsed.clear();
            parsed.shrink_to(1024);
        }
        self.parsed_args = parsed;
        if let Some((_, need)) = big_arg {
            client.reserve_query(need);
        }
    }

    /// Pending output above which a client is not read from.
    fn high_water(&self) -> usize {
        let limit = self.server.config.output_limit;
        let configured = if limit.hard > 0 {
            limit.hard
        } else {
            limit.soft
        };
        // Client eviction (maxmemory-clients) is a limit too: a client is
        // read from until it can reach it.
        OUTPUT_HIGH_WATER
            .max(configured.min(usize::MAX as u64) as usize)
            .max(self.server.client_memory_limit())
    }

    fn write_client(&mut self, slot: usize) {
        if let Some(client) = self.server.clients.take(slot) {
            self.after_write(client);
        }
    }

    /// Write what is pending for every queued client. The append-only file
    /// gets the commands first: no reply leaves before its write is in the
    /// AOF (and, with `appendfsync always`, on disk).
    fn flush_pending_writes(&mut self) {
        persistence::flush_aof(&mut self.server, true);
        replication::flush(&mut self.server);
        // A client out of its slot (the one running a busy script) stays
        // queued: its replies go out once it is back.
        let mut absent = Vec::new();
        while !self.server.pending_writes.is_empty() {
            let slots = self.server.pending_writes.take();
            for slot in slots {
                let Some(client) = self.server.clients.take(slot) else {
                    if self.server.scripting.running.is_some() {
                        absent.push(slot);
                    }
                    continue;
                };
                self.after_write(client);
            }
            // Clients resumed from backpressure may have run commands.
            persistence::flush_aof(&mut self.server, true);
            replication::flush(&mut self.server);
        }
        for slot in absent {
            self.server.pending_writes.queue_slot(slot);
        }
    }

    /// Write, then adjust interest, close or resume reading as needed.
    fn after_write(&mut self, mut client: Box<Client>) {
        client.pending_write = false;
        if client.close_asap {
            self.close(client);
            return;
        }
        // A replica receiving its snapshot is refilled from the file as
        // its socket drains.
        loop {
            let backlog = self.server.replication.backlog.as_mut();
            let sending = match replication::refill(backlog, &mut client) {
                Ok(sending) => sending,
                Err(e) => {
                    self.server.log.warning(
                        "Cannot send the snapshot to the replica",
                        &[("error", Field::Str(&e.to_string()))],
                    );
                    self.close(client);
                    return;
                }
            };
            match client.write_pending() {
                Ok(n) => self.server.stats.net_output_bytes += n as u64,
                Err(_) => {
                    self.close(client);
                    return;
                }
            }
            if !sending || client.reply.pending() > 0 {
                break;
            }
        }
        let pending = client.reply.pending();
        if pending == 0 && client.close_after_reply {
            self.close(client);
            return;
        }
        let want_write = pending > 0 || client.stream.as_ref().is_some_and(|s| s.has_pending_tls());
        if want_write != client.write_registered {
            let interest = if want_write {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if let Some(stream) = client.stream.as_mut()
                && self
                    .poll
                    .registry()
                    .reregister(stream, Token(client.slot), interest)
                    .is_err()
            {
                self.close(client);
                return;
            }
            client.write_registered = want_write;
        }
        let resume =
            client.read_paused && client.waiting.is_none() && pending < self.high_water() / 2;
        let slot = client.slot;
        self.server.clients.slots[slot] = Some(client);
        if resume {
            if let Some(c) = self.server.clients.get_mut(slot) {
                c.read_paused = false;
            }
            // Requests already buffered run first, then the socket is read
            // again (no new edge will announce data that was already there).
            if let Some(mut c) = self.server.clients.slots[slot].take() {
                self.process_input(&mut c, None);
                self.server.clients.slots[slot] = Some(c);
            }
            self.read_client(slot);
            if let Some(c) = self.server.clients.get_mut(slot)
                && c.reply.pending() > 0
            {
                self.server.pending_writes.queue(c);
            }
        }
    }

    fn close(&mut self, client: Box<Client>) {
        // A client that sees its connection close after SHUTDOWN may
        // connect again at once: the ports must be closed by then.
        self.stop_listening_if_exiting();
        self.server.free_client(client, Some(self.poll.registry()));
    }

    /// Periodic work, at `hz` times per second.
    fn cron(&mut self) {
        let hz = self.server.config.hz.max(1);
        let period = Duration::from_micros(1_000_000 / u64::from(hz));
        let now = Instant::now();
        self.next_cron = now + period;
        let server = &mut self.server;
        server.cron_runs += 1;
        super::watchdog::cron(
            server.log.raw_fd(),
            server.config.watchdog_period,
            server.config.hz,
        );
        super::metrics::Endpoint::tick(server);
        server.clock_base = (now, super::clock::unix_us());
        // DEBUG PAUSE-CRON: keep the clock, skip the work.
        if server.debug.pause_cron {
            return;
        }

        let stats = &mut server.stats;
        stats.samples.push_back((
            now,
            stats.commands_processed,
            stats.net_input_bytes,
            stats.net_output_bytes,
        ));
        while stats.samples.len() > 16 {
            stats.samples.pop_front();
        }

        // Idle clients, and clients over their soft output limit for too
        // long (checked here too: such a client may get no more output).
        let timeout = server.config.timeout;
        let mut doomed = Vec::new();
        let mut over = Vec::new();
        for client in server.clients.iter_mut() {
            client.resize_query_buffer(now);
            // Blocked and subscribed clients wait by design (Redis exempts
            // them from the idle timeout).
            if timeout > 0
                && !client.monitor
                && client.blocked.is_none()
                && !client.pubsub_mode
                && client.replica.is_none()
                && now.duration_since(client.last_interaction).as_secs() > timeout
            {
                doomed.push(client.slot);
            } else if client.soft_limit_since.is_some() {
                let class = output::Class::of(client);
                let used = output::held(client, server.replication.backlog.as_ref());
                if output::over_limit(client, class.limit(&server.config), used) {
                    over.push((client.slot, class, used));
                }
            }
        }
        for (slot, class, used) in over {
            if let Some(mut c) = server.clients.take(slot) {
                server.close_over_limit(&mut c, class, used);
                server.clients.slots[slot] = Some(c);
            }
        }
        for slot in doomed {
            if let Some(client) = self.server.clients.slots[slot].take() {
                self.server.log.verbose(
                    "Closing idle client",
                    &[("addr", Field::Str(&client.addr()))],
                );
                self.close(client);
            }
        }
        let server = &mut self.server;

        let started = Instant::now();
        server.ks.active_expire_cycle(hz);
        server.latency_sample("expire-cycle", started.elapsed());
        server.ks.expire_replica_written();
        server.report_expired();
        server.deliver_notifications(None);
        if server.tracking.clients > 0 {
            server.tracking_limit(None);
        }
        let expired_dels = server.ks.effects.take_propagated();
        server.feed.push(expired_dels);
        // While a child writes a snapshot, moving entries between tables
        // would only copy pages (copy-on-write) for nothing.
        if server.persistence.child.is_none() {
            server.ks.cron_rehash(Duration::from_millis(1));
        }
        server.memory_peak = server.memory_peak.max(memory::allocated());
        persistence::cron(server);
        // Forked Lua debugger sessions that ended.
        server
            .scripting
            .debug_children
            .retain_mut(|child| child.try_reap().is_none());
        replication::cron(server);
        server.migrate_sockets.close_idle();

        if self.accept_pending {
            for index in 0..self.server.listeners.all.len() {
                self.accept(index);
            }
        }
    }

    /// On shutdown: give every client's pending output one last try.
    fn flush_all_before_exit(&mut self) {
        for client in self.server.clients.iter_mut() {
            let _ = client.write_pending();
        }
    }
}

/// Listen on the unix socket `path` (a stale socket file is replaced, as
/// redis-server does), with mode `perm` when not 0.
fn bind_unix(path: &str, perm: u32) -> Result<mio::net::UnixListener, ServeError> {
    let _ = std::fs::remove_file(path);
    let listener = mio::net::UnixListener::bind(path).map_err(|source| ServeError::Bind {
        addr: path.to_owned(),
        source,
    })?;
    if perm != 0 {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm));
    }
    Ok(listener)
}

/// Bind the plain (non-TLS) listeners of `bind` at `port`, as Redis does:
/// `*` is every IPv4 address, `::*` every IPv6 address (an IPv6 listener
/// takes IPv6 only, so `* ::*` can share a port), and an address prefixed
/// with `-` is skipped when this host cannot bind it (no such address or
/// no IPv6), never when the port is taken. No address: no TCP listener.
/// Nothing is registered with a poll yet.
pub fn bind_plain(bind: &[String], port: u16) -> Result<Vec<TcpListener>, ServeError> {
    let mut listeners = Vec::new();
    for spec in bind {
        let (optional, host) = match spec.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, spec.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            other => other,
        };
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let parsed: SocketAddr = match addr.parse() {
            Ok(a) => a,
            Err(e) => {
                return Err(ServeError::Bind {
                    addr,
                    source: io::Error::new(io::ErrorKind::InvalidInput, e),
                });
            }
        };
        match listen(parsed) {
            Ok(listener) => listeners.push(listener),
            Err(e) if optional && unavailable_here(&e) => continue,
            Err(source) => return Err(ServeError::Bind { addr, source }),
        }
    }
    Ok(listeners)
}

/// CONFIG SET port/bind: replace the plain listeners with ones for the
/// configured addresses and port. The old ones close first (they may hold
/// the very address and port), as Redis does; when the new ones cannot be
/// bound, the old addresses are bound again and the error returned.
pub fn rebind_plain(srv: &mut Server) -> Result<(), ServeError> {
    let registry = srv.replication.registry.as_ref();
    let tls_from = srv.listeners.tls_from;
    let mut old: Vec<TcpListener> = srv.listeners.all.drain(..tls_from).collect();
    let old_addrs: Vec<SocketAddr> = old.iter().filter_map(|l| l.local_addr().ok()).collect();
    for listener in &mut old {
        if let Some(r) = registry {
            let _ = r.deregister(listener);
        }
    }
    drop(old);
    let (plain, result) = match bind_plain(&srv.config.bind, srv.config.port) {
        Ok(plain) => (plain, Ok(())),
        Err(e) => {
            let restored = old_addrs.iter().filter_map(|&a| listen(a).ok()).collect();
            (restored, Err(e))
        }
    };
    let mut tls: Vec<TcpListener> = srv.listeners.all.drain(..).collect();
    for listener in &mut tls {
        if let Some(r) = registry {
            let _ = r.deregister(listener);
        }
    }
    srv.listeners.tls_from = plain.len();
    srv.listeners.all = plain;
    srv.listeners.all.extend(tls);
    for (index, listener) in srv.listeners.all.iter_mut().enumerate() {
        if let Some(r) = registry {
            let _ = r.register(listener, Token(LISTENER_BASE + index), Interest::READABLE);
        }
    }
    if let Some(port) = srv.listeners.all[..srv.listeners.tls_from]
        .iter()
        .find_map(|l| l.local_addr().ok())
        .map(|a| a.port())
    {
        srv.port = port;
    }
    result
}

/// A non-blocking listening socket on `addr` (SO_REUSEADDR; IPV6_V6ONLY
/// for IPv6, as Redis sets it).
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(TcpListener::from_std(socket.into()))
}

/// The errors that let an optional (`-`) bind address be skipped: the
/// address or its family does not exist on this host (Redis's list).
fn unavailable_here(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::EADDRNOTAVAIL
                | libc::ENOPROTOOPT
                | libc::EPROTONOSUPPORT
                | libc::ESOCKTNOSUPPORT
                | libc::EPFNOSUPPORT
                | libc::EAFNOSUPPORT
        )
    )
}

/// Raise the soft limit on open files to fit `maxclients` plus a few
/// descriptors of our own, as redis-server does at startup (within the hard
/// limit; failing that, accept() reports EMFILE and the loop survives it).
fn raise_open_files_limit(maxclients: usize) {
    let wanted = (maxclients as u64).saturating_add(32);
    // SAFETY: getrlimit/setrlimit with a pointer to a live rlimit struct.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 || limit.rlim_cur >= wanted {
            return;
        }
        limit.rlim_cur = wanted.min(limit.rlim_max);
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
}

fn set_keepalive(stream: &TcpStream, seconds: u64) {
    use std::os::fd::AsRawFd;
    if seconds == 0 {
        return;
    }
    let fd = stream.as_raw_fd();
    let set = |level: libc::c_int, name: libc::c_int, value: libc::c_int| {
        // SAFETY: setsockopt with a pointer to a live c_int of the right size.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    };
    let idle = seconds.min(i32::MAX as u64) as libc::c_int;
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, idle);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (idle / 3).max(1));
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}

/// Redis's reply to a non-loopback client in protected mode.
const PROTECTED_MODE_DENIED: &[u8] =
    b"-DENIED Redis is running in protected mode because protected \
mode is enabled and no password is set for the default user. In this mode connections are only \
accepted from the loopback interface. If you want to connect from external computers to Redis you \
may adopt one of the following solutions: 1) Just disable protected mode sending the command \
'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same \
host the server is running, however MAKE SURE Redis is not publicly accessible from internet if \
you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable \
the protected mode by editing the Redis configuration file, and setting the protected mode option \
to 'no', and then restarting the server. 3) If you started the server manually just for testing, \
restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the \
default user. NOTE: You only need to do one of the above things in order for the server to start \
accepting connections from the outside.\r\n";
