//! `sonde serve`: a single-threaded Redis-protocol server.
//!
//! # Layers
//!
//! From the bottom up; a file imports only from its own layer or below
//! (the one exception is [`Server`] itself, defined here and named by the
//! layers that act on it):
//!
//! ```text
//! 6 loop/io    event_loop (mio), persistence/ (RDB, AOF), replication/
//!              (master and replica sides), info, config
//! 5 server     Server (this file): owns one struct per subsystem;
//!              call() = lookup → check → queue (MULTI) or execute();
//!              execute() = handler → signals → propagation
//! 4 commands   commands/ one file per family, command (the dispatch table),
//!              blocking, pubsub (delivery)
//! 3 signals    signal: the key-change signal and its consumers (dirty
//!              counter, WATCH, blocked-client wake-ups, notifications)
//! 2 state      keyspace (databases, expiry), connection (a client's
//!              buffers and state), state/ (blocking, transactions, pubsub,
//!              replication: data only, clients by id and slot)
//! 1 values     types/ (Value, Kind, Str and the encodings), dict, thin,
//!              numeric, clock, reply, propagate, memory
//! ```
//!
//! - [`event_loop`]: one mio `Poll` drives everything: it accepts clients,
//!   reads until WouldBlock, frames every complete request in the query
//!   buffer (pipelining) with [`crate::resp::request::parse_request`],
//!   executes it through [`Server::call`], and writes replies before
//!   sleeping again. WRITABLE interest is registered only while output is
//!   pending. A client whose pending output is over a high-water mark is not
//!   read from until it drains (backpressure); past
//!   client-output-buffer-limit it is closed. The poll timeout is the next
//!   timer: the cron at `hz` runs the active expiry cycle, idle-client
//!   timeouts, incremental rehashing and the statistics samples.
//! - [`connection`]: a [`connection::Client`]: socket, query and output
//!   buffers, and the per-client state commands change (database, RESP
//!   version, authentication, name, reply mode, and the per-client state
//!   of blocking, MULTI, pub/sub and replication from [`state`]).
//! - [`types`]: the value model, the [`types::Value`] enum: each data type
//!   a variant per encoding; TYPE, OBJECT ENCODING, MEMORY USAGE and RDB
//!   match on it exhaustively.
//! - [`keyspace`]: numbered databases of [`keyspace::Object`]s. Expiries
//!   live in a second table per database, in absolute Unix milliseconds;
//!   expired keys are deleted lazily on access and by the active cycle.
//! - [`signal`]: the key-change signal. A write reports each key it changed
//!   once, with Redis's event class and name; the dirty counter, WATCH and
//!   blocked-client wake-ups subscribe there, and nowhere else.
//! - [`dict`]: the hash table behind every database: incremental rehash (no
//!   pause when millions of keys trigger a resize) and a reverse-binary
//!   cursor for SCAN.
//! - [`command`]: the one dispatch table: name, arity, flags (write,
//!   readonly, admin, noscript, loading, stale, fast, no-auth…), key
//!   positions, group, summary and handler, for commands and for the
//!   subcommands of CLIENT, CONFIG, OBJECT…; COMMAND INFO/DOCS/COUNT/LIST
//!   report from it. [`commands`] holds the handlers, one file per family.
//! - [`propagate`]: the propagation hook. Executing a write records the
//!   command(s) that reproduce it deterministically — relative expiries made
//!   absolute, INCRBYFLOAT as SET, expired keys as DEL — in
//!   [`propagate::Effects`]; after each command [`Server::call`] moves them
//!   to [`propagate::Feed`], the one place an AOF writer and the
//!   replication backlog read from.
//! - [`config`]: directives from a file and the command line, and the
//!   parameter table of CONFIG GET/SET. [`info`]: the INFO sections.
//! - [`reply`]: RESP2/RESP3 reply writers into a client's output buffer.
//! - [`numeric`]: Redis-exact float parsing/formatting (a small C helper).
//! - [`thin`]: one-pointer byte strings for keys and small values.
//! - [`rdb_value`]: keyspace values to and from the RDB value model (the one
//!   seam persistence, replication and DUMP/RESTORE use).
//! - [`memory`]: the counting allocator and RSS.
//! - [`persistence`]: RDB snapshots (SAVE, BGSAVE in a forked child, save
//!   points, loading at startup) and the append-only file (flushed before
//!   replies, fsync policies, multi-part rewrite).
//! - [`replication`]: the master side (IDs, offset, backlog, PSYNC with
//!   partial or full resync, disk or diskless, WAIT) and the replica side
//!   (the link to a master, driven by the shared sans-IO replication
//!   client), both fed by or feeding [`propagate::Feed`].

pub mod access;
pub mod acl;
pub mod blocking;
pub mod clock;
pub mod command;
pub mod commands;
pub mod config;
pub mod connection;
pub mod copy;
pub mod crash;
pub mod dict;
pub mod event_loop;
pub mod eviction;
pub mod geohash;
pub mod histogram;
pub mod info;
pub mod keyspace;
pub mod lazyfree;
pub mod loading;
pub mod lolwut;
pub mod memory;
pub mod metrics;
pub mod notify;
pub mod notify_systemd;
pub mod numeric;
pub mod oom;
pub mod output;
pub mod pause;
pub mod persistence;
pub mod proctitle;
pub mod propagate;
pub mod pubsub;
pub mod rdb_value;
pub mod replication;
pub mod reply;
pub mod scripting;
pub mod shutdown;
pub mod signal;
pub mod state;
pub mod thin;
pub mod tls;
pub mod tracking;
pub mod types;
pub mod watchdog;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use clock::unix_ms;
use command::{Lookup, Table, flags};
use config::Config;
use connection::{Client, ReplyMode};
use keyspace::Keyspace;
use propagate::{Feed, Propagated};

use crate::output::log::Logger;

/// The version this server reports (INFO redis_version, HELLO): the Redis
/// release whose behaviour it follows.
pub const REDIS_VERSION: &str = "7.0.15";

/// Counters for INFO stats.
#[derive(Default)]
pub struct Stats {
    pub connections_received: u64,
    pub commands_processed: u64,
    pub rejected_connections: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    /// Errors a replica replied to its master's stream (diverged data).
    pub unexpected_error_replies: u64,
    pub error_counts: BTreeMap<String, u64>,
    /// Clients closed for exceeding the output buffer limit.
    pub output_limit_disconnections: u64,
    pub query_limit_disconnections: u64,
    /// Samples of (commands, input bytes, output bytes) for the
    /// instantaneous rates, one per 100 ms.
    pub samples: VecDeque<(Instant, u64, u64, u64)>,
}

impl Stats {
    /// Per-second rates over the last samples: (ops, input kbps, output
    /// kbps).
    pub fn instantaneous(&self) -> (u64, f64, f64) {
        let (Some(first), Some(last)) = (self.samples.front(), self.samples.back()) else {
            return (0, 0.0, 0.0);
        };
        let secs = last.0.duration_since(first.0).as_secs_f64();
        if secs <= 0.0 {
            return (0, 0.0, 0.0);
        }
        // CONFIG RESETSTAT zeroes the counters under older samples.
        (
            (last.1.saturating_sub(first.1) as f64 / secs) as u64,
            last.2.saturating_sub(first.2) as f64 / secs / 1024.0,
            last.3.saturating_sub(first.3) as f64 / secs / 1024.0,
        )
    }
}

/// One SLOWLOG entry.
pub struct SlowEntry {
    pub id: u64,
    pub unix_secs: i64,
    pub micros: u64,
    pub args: Vec<Vec<u8>>,
    pub addr: String,
    pub name: Vec<u8>,
}

/// Why the server is stopping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// SHUTDOWN command.
    Command,
    /// SIGTERM / SIGINT.
    Signal(i32),
}

/// The clients table: slots indexed by mio token. A client being executed
/// is taken out of its slot for the duration (so commands get `&mut
/// Client` and `&mut Server` at once) and put back afterwards.
#[derive(Default)]
pub struct Clients {
    pub slots: Vec<Option<Box<Client>>>,
    free: Vec<usize>,
    pub count: usize,
}

impl Clients {
    pub fn reserve_slot(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        })
    }

    pub fn insert(&mut self, client: Box<Client>) {
        let slot = client.slot;
        self.slots[slot] = Some(client);
        self.count += 1;
    }

    /// Free a slot whose client was taken out (closed), or that was
    /// reserved for a connection that was refused (`counted` false).
    pub fn release(&mut self, slot: usize, counted: bool) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = None;
            self.free.push(slot);
            if counted {
                self.count -= 1;
            }
        }
    }

    /// Take the client out of its slot (to execute it, write to it or
    /// close it); put it back with `slots[slot] = Some(..)`.
    pub fn take(&mut self, slot: usize) -> Option<Box<Client>> {
        self.slots.get_mut(slot)?.take()
    }

    pub fn get_mut(&mut self, slot: usize) -> Option<&mut Client> {
        self.slots.get_mut(slot)?.as_deref_mut()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.slots.iter().filter_map(|c| c.as_deref())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Client> {
        self.slots.iter_mut().filter_map(|c| c.as_deref_mut())
    }
}

/// Everything commands can see and change.
pub struct Server {
    pub config: Config,
    /// The Prometheus endpoint, with `metrics-port` set.
    pub metrics: Option<metrics::Endpoint>,
    pub ks: Keyspace,
    pub commands: Table,
    pub clients: Clients,
    pub stats: Stats,
    pub feed: Feed,
    pub persistence: persistence::Persistence,
    pub replication: replication::Replication,
    pub log: Logger,
    pub started: Instant,
    pub started_unix_ms: i64,
    pub run_id: String,
    pub next_client_id: u64,
    /// Clients with output to flush before the loop sleeps.
    pub pending_writes: output::WriteQueue,
    pub slowlog: VecDeque<SlowEntry>,
    pub slowlog_next_id: u64,
    /// LATENCY: event name → (unix secs, ms) samples, newest last.
    pub latency: BTreeMap<String, VecDeque<(i64, u64)>>,
    pub shutdown: Option<Shutdown>,
    /// A SIGINT/SIGTERM not acted on yet (SHUTDOWN ABORT cancels it).
    pub shutdown_asap: Option<libc::c_int>,
    /// A shutdown waiting for lagging replicas.
    pub shutdown_wait: Option<shutdown::Waiting>,
    /// TCP port actually bound (INFO tcp_port; differs from config with 0).
    pub port: u16,
    pub cron_runs: u64,
    /// Peak of the allocator's figure for used memory (INFO used_memory_peak).
    pub memory_peak: usize,
    /// A monotonic instant and the wall-clock time (Unix µs) it was taken,
    /// resynchronized by the cron: commands derive "now" from the one clock
    /// read that also times them.
    pub clock_base: (Instant, i64),
    /// The clock reading that ended the last command of the pipelined
    /// batch being run, taken as the next command's start (one clock read
    /// per command instead of two). Only set while a batch runs
    /// ([`Server::begin_batch`]), so a command never starts from an instant
    /// read before the loop slept.
    clock_reuse: Option<Instant>,
    /// A pipelined batch is running: the end of a command may start the next.
    in_batch: bool,
    /// Clients in MONITOR mode (checked on every command, so counted
    /// rather than searched for).
    pub monitors: usize,
    /// The last top-level command name as sent, and its table entry.
    last_lookup: (Vec<u8>, usize),
    /// Blocked clients: waiters by key, deadlines.
    pub blocking: state::blocking::Blocking,
    /// MULTI/EXEC and WATCH.
    pub transactions: state::transactions::Transactions,
    /// Pub/sub channels and patterns with their subscribers.
    pub pubsub: state::pubsub::Registry,
    /// The key-change signal: dirty counter, recording.
    pub signals: signal::Signals,
    /// Keyspace notifications: the classes on, messages to publish.
    pub notifications: notify::Notifications,
    /// What DEBUG subcommands switched on for tests.
    pub debug: commands::debug::Switches,
    /// The TCP listeners (plain, then TLS): the loop accepts on them,
    /// CONFIG SET port/bind replaces the plain ones.
    pub listeners: event_loop::Listeners,
    /// The oom_score_adj the process had before `oom-score-adj` changed it.
    pub oom_base: Option<i64>,
    /// Whether memory was over maxmemory (and eviction could not help)
    /// when the running command was checked: a script's first deny-oom
    /// call is refused on it (Redis's pre_command_oom_state).
    pub pre_command_oom: bool,
    /// MIGRATE's cached connections to its targets.
    pub migrate_sockets: commands::migrate::Sockets,
    /// ACL users and log.
    pub acl: state::acl::Acl,
    /// What the ACL check knows about each command-table entry.
    pub acl_commands: Vec<acl::CommandInfo>,
    /// Lua scripts and function libraries.
    pub scripting: scripting::Scripting,
    /// maxmemory: the eviction pool, statistics, the continuation timer.
    pub eviction: eviction::Eviction,
    /// CLIENT PAUSE: the pause in effect and the clients it holds.
    pub pause: pause::Pause,
    /// Client-side caching: the tracking and prefix tables.
    pub tracking: tracking::Tracking,
}

impl Server {
    pub fn new(config: Config, log: Logger) -> Server {
        let aof_timestamps = config.aof_timestamp_enabled;
        let mut rng = dict::Rng::from_entropy();
        types::set_limits(&config.encodings);
        rdb_value::set_sanitize_dump(config.sanitize_dump_payload());
        let run_id: String = (0..40)
            .map(|_| char::from_digit(rng.below(16) as u32, 16).unwrap_or('0'))
            .collect();
        let mut server = Server {
            metrics: None,
            ks: Keyspace::new(config.databases),
            port: config.port,
            config,
            commands: Table::new(commands::ALL),
            clients: Clients::default(),
            stats: Stats::default(),
            feed: Feed {
                aof_timestamps,
                ..Feed::default()
            },
            persistence: persistence::Persistence::default(),
            replication: replication::Replication::new(),
            log,
            started: Instant::now(),
            started_unix_ms: unix_ms(),
            run_id,
            next_client_id: 1,
            pending_writes: Default::default(),
            slowlog: VecDeque::new(),
            slowlog_next_id: 0,
            latency: BTreeMap::new(),
            shutdown: None,
            shutdown_asap: None,
            shutdown_wait: None,
            cron_runs: 0,
            memory_peak: 0,
            clock_base: (Instant::now(), clock::unix_us()),
            clock_reuse: None,
            in_batch: false,
            monitors: 0,
            last_lookup: (Vec::new(), 0),
            blocking: Default::default(),
            transactions: Default::default(),
            pubsub: Default::default(),
            signals: Default::default(),
            notifications: Default::default(),
            debug: Default::default(),
            listeners: event_loop::Listeners::default(),
            oom_base: None,
            pre_command_oom: false,
            migrate_sockets: Default::default(),
            acl: Default::default(),
            acl_commands: Vec::new(),
            scripting: Default::default(),
            eviction: Default::default(),
            pause: Default::default(),
            tracking: Default::default(),
        };
        server.configure_notifications();
        server.acl_init();
        server.access_changed();
        dict::set_growth_limit(server.config.maxmemory as usize);
        server
    }

    /// Whether `client` must authenticate before running commands.
    pub fn auth_required(&self, client: &Client) -> bool {
        !client.authenticated && !self.acl_default_open()
    }

    /// Execute one request built from `args` (see [`Server::call_request`]).
    pub fn call(&mut self, client: &mut Client, args: &[&[u8]]) {
        self.call_request(client, args, None);
    }

    /// Execute one request: look the command up, check it, queue it (inside
    /// MULTI) or run it, and account for it (statistics, slowlog,
    /// propagation, MONITOR, reply mode); then serve clients blocked on
    /// keys the command filled. This is the only way requests run.
    /// `request`, when given, is the request as it arrived (a RESP array
    /// of bulk strings): a write propagated unchanged is those bytes.
    pub fn call_request(&mut self, client: &mut Client, args: &[&[u8]], request: Option<&[u8]>) {
        // Client-side caching: the client is the running one (its
        // invalidations wait for its reply) until the request is done.
        Server::tracking_new_request(client);
        let previous = self.tracking_running(client);
        let reply_start = client.reply.buf.len();
        let replica = client.replica.as_deref().is_some_and(|d| d.attached());
        self.call_checked(client, args, request);
        if replica
            && client.replica.as_deref().is_some_and(|d| d.attached())
            && client.reply.buf.len() > reply_start
        {
            replication::replica_replied(self, client, args, reply_start);
        }
        self.tracking_done(client, previous);
    }

    /// [`Server::call_request`] without the bracketing.
    fn call_checked(&mut self, client: &mut Client, args: &[&[u8]], request: Option<&[u8]>) {
        let Some(&name) = args.first() else {
            return;
        };
        let reply_start = client.reply.buf.len();
        if client.reply_mode == ReplyMode::SkipNext {
            client.reply_mode = ReplyMode::Skipping;
        }
        // Clients tend to repeat a command: the last plain command found is
        // matched by its exact bytes before the table is consulted.
        let cached = (!name.is_empty() && crate::bytes::same(&self.last_lookup.0, name))
            .then_some(self.last_lookup.1);
        let found = match cached {
            Some(index) => Lookup::Found(index),
            None => self.commands.lookup(args),
        };
        let index = match found {
            Lookup::Found(index) => {
                let entry = &self.commands.entries[index];
                if cached.is_none() && entry.parent.is_none() && entry.spec.subcommands.is_empty() {
                    self.last_lookup = (name.to_vec(), index);
                }
                index
            }
            Lookup::Unknown => {
                self.reject(client, None, &unknown_command(args));
                self.end_reply(client, reply_start);
                return;
            }
            Lookup::UnknownSubcommand(container) => {
                // A command Redis has without subcommands: the permission
                // check comes first, as there.
                if acl::flat(&self.commands.entries[container].full_name)
                    && let Some(denied) = self.acl_check(client, container, args)
                {
                    self.reject(client, Some(container), &denied);
                    self.end_reply(client, reply_start);
                    return;
                }
                let container = String::from_utf8_lossy(name).to_uppercase();
                let message = format!(
                    "unknown subcommand '{}'. Try {container} HELP.",
                    truncate_c(args[1], 128)
                );
                self.reject(client, None, &message);
                self.end_reply(client, reply_start);
                return;
            }
        };
        // A script replayed from the AOF at startup serves clients while
        // it is busy: they are told the server is loading, as in Redis.
        let async_loading = self
            .persistence
            .loading
            .as_ref()
            .is_some_and(|l| l.async_loading);
        if (self.ks.loading && !self.commands.entries[index].spec.has(flags::LOADING))
            || (async_loading && replication::denied_while_async_loading(self, client, index))
        {
            self.reject(
                client,
                Some(index),
                "-LOADING Redis is loading the dataset in memory",
            );
            self.end_reply(client, reply_start);
            return;
        }
        if let Some(busy) = self.busy_rejection(index, args) {
            self.reject(client, Some(index), busy);
            self.end_reply(client, reply_start);
            return;
        }
        if let Some(rejection) = self.check(client, index, args) {
            self.reject(client, Some(index), &rejection);
            self.end_reply(client, reply_start);
            return;
        }
        // Paused (CLIENT PAUSE): the request stays in the query buffer
        // until the pause ends.
        if self.pause.mode != pause::Mode::Off
            && !client.is_master
            && self.pause_holds(client, index, args)
        {
            self.hold(client);
            return;
        }
        self.tracking_before_command(client);
        let spec = self.commands.entries[index].spec;
        if self.replication.failover.is_some()
            && replication::failover::pauses(
                self,
                client,
                spec.has(flags::WRITE),
                self.commands.entries[index].full_name == "exec",
            )
        {
            client.paused_request = true;
            return;
        }
        if client.multi.is_some() && !spec.has(flags::MULTI_CONTROL) {
            // A script is queued with the flags it declares, so EXEC is
            // judged by them (a write script on a replica aborts EXEC).
            let queued_flags = self.request_flags(index, args);
            if let Some(m) = client.multi.as_mut() {
                m.queue(index, queued_flags, args);
            }
            client.reply.raw(b"+QUEUED\r\n");
            self.end_reply(client, reply_start);
            return;
        }
        self.execute(client, index, args, request, false);
        self.end_reply(client, reply_start);
        // A command served while a script is busy (SCRIPT KILL, CLIENT
        // LIST, ...) must not serve the keys the half-run script has
        // touched: the script is atomic, its writes are seen once it ends.
        if self.blocking.waiters.has_ready() && self.scripting.running.is_none() {
            self.serve_ready_keys();
        }
    }

    /// Reply a rejection (before execution): counts it, and inside MULTI
    /// makes EXEC fail (EXEC itself aborts the transaction).
    fn reject(&mut self, client: &mut Client, index: Option<usize>, message: &str) {
        let is_exec = index.is_some_and(|i| self.commands.entries[i].full_name == "exec");
        // Redis aborts on any rejected EXEC, inside MULTI or not.
        if is_exec {
            client.discard_transaction(&mut self.transactions.watches);
            let reason = message.strip_prefix('-').unwrap_or(message);
            client.reply.error(&format!(
                "-EXECABORT Transaction discarded because of: {reason}"
            ));
        } else {
            if let Some(m) = client.multi.as_mut() {
                m.failed = true;
            }
            client.reply.error(message);
        }
        if let Some(i) = index {
            self.commands.entries[i].stats.rejected_calls += 1;
        }
        self.finish_errors(client, None);
    }

    /// Run one command that passed the checks (a request, a command queued
    /// by MULTI, or a blocked command served again when `again`: then it
    /// does not count as another call). `request` is the request's own
    /// bytes, when they are at hand (see [`Server::call_request`]).
    pub fn execute(
        &mut self,
        client: &mut Client,
        index: usize,
        args: &[&[u8]],
        request: Option<&[u8]>,
        again: bool,
    ) {
        let spec = self.commands.entries[index].spec;
        let Some(handler) = spec.handler else {
            // A container called with a subcommand that has no handler:
            // cannot happen with a well-formed table.
            client
                .reply
                .error("internal error: command without handler");
            return;
        };

        if client.last_command_index != index {
            client.last_command_index = index;
            client
                .last_command
                .clone_from(&self.commands.entries[index].full_name);
        }
        // In a pipelined batch the previous command's end reading is this
        // one's start: what lies between is parsing this request and looking
        // it up (well under a microsecond), so the durations reported keep
        // Redis's meaning (the command's own run) to within that.
        let started = self.clock_reuse.take().unwrap_or_else(Instant::now);
        // Microsecond arithmetic, truncated once: truncating the base and
        // the elapsed time separately would put "now" up to a millisecond
        // behind the wall clock a client reads.
        // Commands a script runs see the time the script started (Redis's
        // script time snapshot): a key does not expire halfway through.
        if self.scripting.running.is_none() {
            let (base, base_us) = self.clock_base;
            let elapsed_us = started.saturating_duration_since(base).as_micros() as i64;
            self.ks.set_now((base_us + elapsed_us).div_euclid(1000));
        }
        self.ks.effects.enabled = self.feed.is_consumed();
        let dirty_before = self.signals.dirty;
        let tracking = self.tracking_enter(client);
        // A bug in one command must not take the server down: the client
        // gets an error, the log says what happened.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(self, client, args)));
        if outcome.is_err() {
            let name = self.commands.entries[index].full_name.clone();
            self.log.warning(
                "Internal error while executing a command",
                &[("command", crate::output::log::Field::Str(&name))],
            );
            client
                .reply
                .error(&format!("internal error while executing '{name}'"));
        }
        let ended = Instant::now();
        if self.in_batch {
            self.clock_reuse = Some(ended);
        }
        let elapsed = ended.saturating_duration_since(started);
        let micros = elapsed.as_micros() as u64;

        if !again {
            self.stats.commands_processed += 1;
            // DEBUG is one command in Redis (its subcommands are arguments):
            // its calls are counted under `debug`.
            let index = match self.commands.entries[index].parent {
                Some(p) if self.commands.entries[p].spec.name == "debug" => p,
                _ => index,
            };
            let stats = &mut self.commands.entries[index].stats;
            stats.calls += 1;
            stats.usec += micros;
            stats.latency[metrics::bucket(micros)] += 1;
            if self.config.latency_tracking {
                let entry = &mut self.commands.entries[index];
                entry
                    .histogram
                    .get_or_insert_with(Default::default)
                    .record(elapsed.as_nanos() as u64);
            }
        }
        self.finish_errors(client, Some(index));

        // Signals: what the handler changed was reported as it went; keys
        // that expired on access are reported now.
        self.report_expired();
        self.deliver_notifications(Some(client));
        self.tracking_leave(client, index, args, tracking);
        let changed = self.signals.dirty != dirty_before;

        // Propagation: the command's own arguments for a write that changed
        // the dataset, unless it recorded its own rewrite.
        if spec.has(flags::WRITE)
            && changed
            && !self.ks.effects.rewritten
            && self.ks.effects.enabled
        {
            let command = match request {
                Some(bytes) => Propagated::raw(client.db, bytes),
                None => Propagated::new(client.db, args.iter().copied()),
            };
            self.ks.effects.propagate(command);
        }
        if self.ks.effects.has_propagated() || self.ks.effects.rewritten {
            let entries = self.ks.effects.take_propagated();
            match self.transactions.exec_feed.as_mut() {
                Some(buffered) => buffered.extend(entries),
                None => self.feed.push(entries),
            }
        }

        // As Redis: a command that blocks is logged when it is served (with
        // its original arguments), not when it blocks.
        let blocked = client.blocked.is_some();
        if !spec.has(flags::SKIP_SLOWLOG) && !blocked {
            self.slowlog_push(client, args, micros);
        }
        if again {
            return;
        }
        let event = if spec.has(flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        self.latency_sample(event, elapsed);
        if !spec.has(flags::SKIP_MONITOR) && !spec.has(flags::ADMIN) {
            self.feed_monitors(client, args);
        }
    }

    /// A client's pipelined requests are about to run one after another:
    /// each command's end time may serve as the next one's start;
    /// `read_at` is the reading taken when the batch's bytes were read
    /// (the client's last interaction): the first command starts from it.
    pub fn begin_batch(&mut self, read_at: Option<Instant>) {
        self.in_batch = true;
        self.clock_reuse = read_at;
    }

    /// The batch is done: the next command reads the clock afresh.
    pub fn end_batch(&mut self) {
        self.in_batch = false;
        self.clock_reuse = None;
    }

    /// The checks Redis makes between lookup and execution, in its order.
    fn check(&mut self, client: &Client, index: usize, args: &[&[u8]]) -> Option<String> {
        let argc = args.len();
        let entry = &self.commands.entries[index];
        let spec = entry.spec;
        if !spec.arity_ok(argc) {
            return Some(format!(
                "wrong number of arguments for '{}' command",
                entry.full_name
            ));
        }
        let top = entry.parent.map_or(spec, |p| self.commands.entries[p].spec);
        if (spec.has(flags::PROTECTED) || top.has(flags::PROTECTED))
            && !self.config.enable_debug_command.permits(client.is_local)
        {
            return Some(
                "DEBUG command not allowed. If the enable-debug-command option is set to \
                 \"local\", you can run it from a local connection, otherwise you need to set \
                 this option in the configuration file, and then restart the server."
                    .to_owned(),
            );
        }
        if self.auth_required(client) && !spec.has(flags::NO_AUTH) {
            return Some("-NOAUTH Authentication required.".to_owned());
        }
        if client.multi.is_some() && spec.has(flags::NO_MULTI) {
            return Some("Command not allowed inside a transaction".to_owned());
        }
        if let Some(denied) = self.acl_check(client, index, args) {
            return Some(denied);
        }
        // A replica's link carries ACKs, not commands on the data (Redis
        // keeps replicas, exempt from CLIENT PAUSE, from using it so).
        if client.replica.as_deref().is_some_and(|d| d.attached())
            && (spec.has(flags::WRITE)
                || spec.has(flags::READONLY)
                || spec.has(flags::MAY_REPLICATE))
        {
            return Some("Replica can't interact with the keyspace".to_owned());
        }
        // Clients over maxmemory-clients go first, then keys (the client
        // running this command is looked at when it is back in the table).
        if self.config.maxmemory_clients != 0 {
            self.evict_clients();
        }
        // The master's stream is applied whatever the memory (its DELs
        // keep a replica in step).
        // EXEC is judged by what it would run (Redis's mstate.cmd_flags).
        let name = self.commands.entries[index].full_name.as_str();
        let (queued, queued_missing) = match (name, client.multi.as_ref()) {
            ("exec", Some(m)) => (m.flags, m.missing_flags),
            _ => (0, 0),
        };
        let effective = self.request_flags(index, args) | queued;
        self.pre_command_oom = false;
        if self.config.maxmemory > 0 && !client.is_master {
            let out_of_memory = self.perform_evictions() == eviction::Outcome::Fail;
            self.pre_command_oom = out_of_memory;
            let name = self.commands.entries[index].full_name.as_str();
            let deny = effective & flags::DENYOOM != 0
                || (client.multi.is_some()
                    && !matches!(name, "exec" | "discard" | "quit" | "reset"));
            if out_of_memory && deny {
                return Some(eviction::OOM_ERROR.to_owned());
            }
        }
        // The master's stream is applied whatever the local state, as in
        // Redis (mustObeyClient).
        if effective & flags::WRITE != 0
            && !client.is_master
            && let Some(denied) =
                persistence::write_denied(self).or_else(|| replication::write_denied(self, client))
        {
            return Some(denied);
        }
        if client.in_pubsub_context() && !spec.has(flags::PUBSUB_CONTEXT) {
            return Some(format!(
                "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
                 RESET are allowed in this context",
                self.commands.entries[index].full_name
            ));
        }
        if let Some(up) = &self.replication.upstream
            && !up.is_connected()
            && !self.config.replica_serve_stale_data
            && (effective & flags::STALE == 0 || queued_missing & flags::STALE != 0)
            && !client.is_master
        {
            return Some(
                "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
                    .to_owned(),
            );
        }
        None
    }

    /// Move the error codes the command replied into INFO errorstats.
    fn finish_errors(&mut self, client: &mut Client, index: Option<usize>) {
        let uncounted = std::mem::take(&mut client.reply.failed_uncounted);
        if client.reply.errors.is_empty() && !uncounted {
            return;
        }
        for code in client.reply.errors.drain(..) {
            self.count_error(code);
        }
        if let Some(index) = index {
            self.commands.entries[index].stats.failed_calls += 1;
        }
    }

    /// One error reply in INFO stats and errorstats.
    pub fn count_error(&mut self, code: String) {
        self.stats.total_error_replies += 1;
        *self.stats.error_counts.entry(code).or_default() += 1;
    }

    /// Apply CLIENT REPLY OFF/SKIP: drop what this command replied.
    fn end_reply(&mut self, client: &mut Client, reply_start: usize) {
        match client.reply_mode {
            ReplyMode::Off | ReplyMode::Skipping => {
                let cut = reply_start.max(client.reply.sent);
                let reply = &mut client.reply;
                let mut kept = Vec::new();
                for &(start, end) in &reply.pushes {
                    if start >= cut && end <= reply.buf.len() {
                        kept.extend_from_slice(&reply.buf[start..end]);
                    }
                }
                reply.buf.truncate(cut);
                reply.buf.extend_from_slice(&kept);
                if client.reply_mode == ReplyMode::Skipping {
                    client.reply_mode = ReplyMode::On;
                }
            }
            ReplyMode::On | ReplyMode::SkipNext => {}
        }
        client.reply.pushes.clear();
        if client.reply.pending() > 0 {
            self.queue_write(client);
        }
    }

    /// Remember that `client` has output to flush before the loop sleeps.
    pub fn queue_write(&mut self, client: &mut Client) {
        self.pending_writes.queue(client);
    }

    fn slowlog_push(&mut self, client: &Client, args: &[&[u8]], micros: u64) {
        let threshold = self.config.slowlog_log_slower_than;
        if threshold < 0 || (micros as i64) < threshold {
            return;
        }
        // Redis keeps at most 32 arguments of at most 128 bytes each.
        let mut kept: Vec<Vec<u8>> = Vec::new();
        let secret = command::secret_arguments(args);
        for (i, arg) in args.iter().enumerate() {
            if secret.contains(&i) {
                kept.push(b"(redacted)".to_vec());
                continue;
            }
            if i == 31 && args.len() > 32 {
                kept.push(format!("... ({} more arguments)", args.len() - 31).into_bytes());
                break;
            }
            if arg.len() > 128 {
                let mut cut = arg[..128].to_vec();
                cut.extend_from_slice(format!("... ({} more bytes)", arg.len() - 128).as_bytes());
                kept.push(cut);
            } else {
                kept.push(arg.to_vec());
            }
        }
        self.slowlog.push_front(SlowEntry {
            id: self.slowlog_next_id,
            unix_secs: unix_ms() / 1000,
            micros,
            args: kept,
            addr: client.addr(),
            name: client.name.clone().unwrap_or_default(),
        });
        self.slowlog_next_id += 1;
        while self.slowlog.len() as u64 > self.config.slowlog_max_len {
            self.slowlog.pop_back();
        }
    }

    /// Record `event` in the latency monitor when it took at least
    /// `latency-monitor-threshold` (Redis's latencyAddSampleIfNeeded).
    pub fn latency_sample(&mut self, event: &str, took: std::time::Duration) {
        let threshold = self.config.latency_monitor_threshold;
        let ms = took.as_millis() as u64;
        if threshold > 0 && ms >= threshold {
            self.latency_add(event, ms);
        }
    }

    fn latency_add(&mut self, event: &str, ms: u64) {
        let series = self.latency.entry(event.to_owned()).or_default();
        let now = unix_ms() / 1000;
        // One sample per second, the worst, as Redis keeps them.
        if let Some(last) = series.back_mut().filter(|s| s.0 == now) {
            last.1 = last.1.max(ms);
            return;
        }
        series.push_back((now, ms));
        // Redis keeps 160 samples per event.
        while series.len() > 160 {
            series.pop_front();
        }
    }

    /// Send the command to MONITOR clients, as
    /// `+<unix.micros> [<db> <addr>] "arg" ...`.
    pub fn feed_monitors(&mut self, client: &Client, args: &[&[u8]]) {
        if self.monitors == 0 {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let mut line = format!(
            "+{}.{:06} [{} {}]",
            now.as_secs(),
            now.subsec_micros(),
            client.db,
            client.addr()
        )
        .into_bytes();
        let secret = command::secret_arguments(args);
        for (i, arg) in args.iter().enumerate() {
            line.push(b' ');
            if secret.contains(&i) {
                line.extend_from_slice(b"\"(redacted)\"");
                continue;
            }
            line.extend_from_slice(&crate::output::bytes::quoted(arg).into_bytes());
        }
        line.extend_from_slice(b"\r\n");
        for monitor in self.clients.iter_mut().filter(|c| c.monitor) {
            monitor.reply.raw(&line);
            self.pending_writes.queue(monitor);
        }
    }

    /// The most unread output an unauthenticated client may have: Redis's
    /// 16 KiB reply buffer plus 1 KiB.
    pub const UNAUTH_OUTPUT_LIMIT: u64 = 17 * 1024;
    /// The most unparsed input an unauthenticated client may have (Redis
    /// 7.2's limit; its requests are at most 10 arguments of 16 KiB).
    pub const UNAUTH_QUERY_LIMIT: u64 = 1 << 20;

    /// Close `client` if its output is past the client-output-buffer-limit
    /// of its class (see [`output`]).
    pub fn check_output_limit(&mut self, client: &mut Client) {
        let class = output::Class::of(client);
        let used = output::held(client, self.replication.backlog.as_ref());
        let over = output::over_limit(client, class.limit(&self.config), used);
        // A client that has not authenticated may not leave replies unread
        // (each one a -NOAUTH or a WRONGPASS): past this it is closed, as
        // Redis closes it, whatever its class allows.
        if over || (self.auth_required(client) && used > Self::UNAUTH_OUTPUT_LIMIT) {
            self.close_over_limit(client, class, used);
        }
    }

    /// Close a client past its output limit: counted, logged, its buffered
    /// output dropped now (memory stays bounded), written (closed) next.
    pub fn close_over_limit(&mut self, client: &mut Client, class: output::Class, used: u64) {
        if client.close_asap {
            return;
        }
        client.close_asap = true;
        self.stats.output_limit_disconnections += 1;
        self.log.warning(
            "Client scheduled to be closed ASAP for overcoming of output buffer limits.",
            &[
                ("addr", crate::output::log::Field::Str(&client.addr())),
                ("class", crate::output::log::Field::Str(class.name())),
                ("omem", crate::output::log::Field::Int(used as i64)),
            ],
        );
        client.reply.buf = Vec::new();
        client.reply.sent = 0;
        if let Some(backlog) = self.replication.backlog.as_mut() {
            backlog.detach(client.id);
        }
        self.pending_writes.queue_slot(client.slot);
    }

    /// Mark the client in `slot` for closing (CLIENT KILL of another client).
    pub fn kill_client(&mut self, slot: usize) {
        if let Some(c) = self.clients.get_mut(slot) {
            c.close_asap = true;
        }
        self.pending_writes.queue_slot(slot);
    }

    /// Close a client taken out of the table now: its registrations
    /// (blocking, watches, subscriptions, replica link) go, its socket is
    /// deregistered and its slot freed.
    pub fn free_client(&mut self, mut client: Box<Client>, registry: Option<&mio::Registry>) {
        if client.monitor {
            self.monitors -= 1;
        }
        // A client killed while blocked, watching or subscribed leaves no
        // trace in the registries.
        self.unblock(&mut client);
        self.release_held(&mut client);
        client.discard_transaction(&mut self.transactions.watches);
        self.drop_subscriptions(&mut client);
        self.disable_tracking(&mut client);
        replication::replica_closed(self, &client);
        shutdown::client_closed(self, client.id);
        if let (Some(stream), Some(registry)) = (client.stream.as_mut(), registry) {
            let _ = registry.deregister(stream);
        }
        self.log.verbose(
            "Client closed connection",
            &[
                ("addr", crate::output::log::Field::Str(&client.addr())),
                ("id", crate::output::log::Field::Int(client.id as i64)),
            ],
        );
        let slot = client.slot;
        drop(client);
        self.clients.release(slot, true);
    }

    /// Uptime.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}

/// The log level for a configured `loglevel`.
pub fn log_level(level: config::LogLevel) -> crate::output::log::Level {
    use crate::output::log::Level;
    match level {
        config::LogLevel::Debug => Level::Debug,
        config::LogLevel::Verbose => Level::Verbose,
        config::LogLevel::Notice => Level::Notice,
        config::LogLevel::Warning => Level::Warning,
    }
}

/// Redis's "%.128s": at most 128 bytes, stopping at a NUL, as text.
fn truncate_c(bytes: &[u8], max: usize) -> String {
    let end = memchr::memchr(0, bytes).unwrap_or(bytes.len()).min(max);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// "unknown command 'X', with args beginning with: 'a' 'b' ".
fn unknown_command(args: &[&[u8]]) -> String {
    let mut list = String::new();
    for arg in &args[1..] {
        if list.len() >= 128 {
            break;
        }
        let room = 128 - list.len();
        list.push('\'');
        list.push_str(&truncate_c(arg, room));
        list.push_str("' ");
    }
    format!(
        "unknown command '{}', with args beginning with: {list}",
        truncate_c(args[0], 128)
    )
}

#[cfg(test)]
mod tests;
