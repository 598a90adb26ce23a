//! One client connection: its socket, query buffer, output buffer and the
//! per-client state commands read and change (database, protocol,
//! authentication, name, reply mode, flags).
//!
//! Later features extend [`Client`] with their own state (a MULTI queue, the
//! keys a blocked client waits on, subscribed channels); the loop treats a
//! client generically: read, frame, execute, write.
//!
//! Buffers are reused across events: the query buffer is compacted, not
//! reallocated, and the output buffer keeps its capacity (up to a bound)
//! after being flushed.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use super::tls::ServerStream;

use super::reply::Reply;
use super::state::transactions::Watches;

/// Bytes asked of the socket per read (Redis's PROTO_IOBUF_LEN).
pub const READ_CHUNK: usize = 16 * 1024;

/// CLIENT REPLY modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Discard the reply of the next command only.
    SkipNext,
    /// Discarding the current command's reply (SKIP was set before it).
    Skipping,
}

/// One connected client (or, in tests, a client without a socket).
pub struct Client {
    pub id: u64,
    /// Slot in the loop's client table (also its mio token).
    pub slot: usize,
    pub stream: Option<ServerStream>,
    pub peer: Option<SocketAddr>,
    pub local_addr: Option<SocketAddr>,
    /// Peer is 127.0.0.1 or ::1 (protected mode, "local" permissions).
    pub is_local: bool,
    /// Query buffer: always fully initialized (its length is its size);
    /// `query[query_pos..query_end]` is received but not yet executed.
    pub query: Vec<u8>,
    pub query_pos: usize,
    pub query_end: usize,
    /// While a request runs: the bytes of this read's requests already
    /// parsed, the running one included. Redis trims its query buffer only
    /// after running them, so CLIENT LIST's qbuf counts these too.
    pub query_parsed: usize,
    /// Most unparsed bytes held since the cron last looked (Redis's
    /// querybuf_peak): the cron shrinks the buffer toward it.
    pub query_peak: usize,
    /// The query buffer's size while the loop has it moved out (a command
    /// of this client running): what memory accounting counts then.
    pub query_taken: usize,
    pub reply: Reply,
    pub db: usize,
    pub authenticated: bool,
    /// The ACL user's slot (0: `default`) and name.
    pub user: usize,
    pub user_name: Vec<u8>,
    pub name: Option<Vec<u8>>,
    pub reply_mode: ReplyMode,
    /// Close once the pending output is written (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Close without writing more (CLIENT KILL, output limit).
    pub close_asap: bool,
    pub monitor: bool,
    pub no_evict: bool,
    /// Reading is suspended while output is over the high-water mark.
    pub read_paused: bool,
    /// Its next request waits, unparsed, in the query buffer while a
    /// FAILOVER pauses writes (see server/replication/failover.rs).
    pub paused_request: bool,
    /// Registered for WRITABLE readiness.
    pub write_registered: bool,
    /// Queued in the loop's pending-writes list.
    pub pending_write: bool,
    pub created: Instant,
    pub last_interaction: Instant,
    /// Full name of the last command ("client|list").
    pub last_command: String,
    /// The command table entry `last_command` names (`usize::MAX`: none
    /// yet), compared instead of the name on every command.
    pub last_command_index: usize,
    /// Since when the output has been over the soft limit.
    pub soft_limit_since: Option<Instant>,
    /// Waiting in a blocking command.
    pub blocked: Option<Box<super::state::blocking::Blocked>>,
    /// Inside MULTI: the queued commands.
    pub multi: Option<super::state::transactions::Multi>,
    /// WATCHed (db, key)s.
    pub watched: Vec<(usize, Vec<u8>)>,
    /// Pub/sub subscriptions, when any.
    pub subs: Option<Box<super::state::pubsub::Subscriptions>>,
    /// Redis's CLIENT_PUBSUB: set by a subscribe, cleared when the last
    /// subscription goes.
    pub pubsub_mode: bool,
    /// A replica's connection (after REPLCONF or PSYNC).
    pub replica: Option<Box<super::state::replication::Downstream>>,
    /// The socketless client that applies our master's stream.
    pub is_master: bool,
    /// The socketless client that replays the append-only file.
    pub is_aof: bool,
    /// Blocked in WAIT (reading is paused meanwhile).
    pub waiting: Option<super::state::replication::Wait>,
    /// The client Lua scripts run commands as (MONITOR shows it as "lua").
    pub script: bool,
    /// Held by CLIENT PAUSE: its next request waits in the query buffer.
    pub postponed: bool,
    /// CLIENT TRACKING on: the client's tracking mode.
    pub tracking: Option<Box<super::tracking::ClientTracking>>,
    /// SCRIPT DEBUG YES|SYNC: its next EVAL runs in the Lua debugger.
    pub lua_debug: Option<super::scripting::debugger::Mode>,
}

impl Client {
    /// Commands from our master or our AOF are applied as they come
    /// (Redis's mustObeyClient): they were checked where they were first run.
    pub fn must_obey(&self) -> bool {
        self.is_master || self.is_aof
    }

    pub fn new(id: u64, slot: usize, stream: Option<ServerStream>) -> Client {
        let peer = stream.as_ref().and_then(|s| s.peer_addr().ok());
        let local_addr = stream.as_ref().and_then(|s| s.local_addr().ok());
        let is_local = match peer {
            Some(SocketAddr::V4(a)) => a.ip().octets() == [127, 0, 0, 1],
            Some(SocketAddr::V6(a)) => a.ip().is_loopback(),
            None => true,
        };
        let now = Instant::now();
        Client {
            id,
            slot,
            stream,
            peer,
            local_addr,
            is_local,
            query: Vec::new(),
            query_pos: 0,
            query_parsed: 0,
            query_end: 0,
            query_peak: 0,
            query_taken: 0,
            reply: Reply::default(),
            db: 0,
            authenticated: false,
            user: 0,
            user_name: b"default".to_vec(),
            name: None,
            reply_mode: ReplyMode::On,
            close_after_reply: false,
            close_asap: false,
            monitor: false,
            no_evict: false,
            read_paused: false,
            paused_request: false,
            write_registered: false,
            pending_write: false,
            created: now,
            last_interaction: now,
            last_command: "NULL".to_owned(),
            last_command_index: usize::MAX,
            soft_limit_since: None,
            blocked: None,
            multi: None,
            watched: Vec::new(),
            subs: None,
            pubsub_mode: false,
            replica: None,
            is_master: false,
            is_aof: false,
            waiting: None,
            script: false,
            postponed: false,
            tracking: None,
            lua_debug: None,
        }
    }

    /// Drop the transaction and the client's watches (DISCARD, EXEC,
    /// RESET, a failed EXEC, closing).
    pub fn discard_transaction(&mut self, watches: &mut Watches) {
        self.multi = None;
        watches.unwatch_all(self.id, &mut self.watched);
    }

    /// `ip:port` of the peer, as CLIENT LIST shows it.
    pub fn addr(&self) -> String {
        if self.script {
            return "lua".to_owned();
        }
        match (self.peer, self.unix_path()) {
            (Some(a), _) => a.to_string(),
            // Redis names a unix socket client by the socket's path.
            (None, Some(path)) => format!("{path}:0"),
            (None, None) => String::new(),
        }
    }

    pub fn laddr(&self) -> String {
        match (self.local_addr, self.unix_path()) {
            (Some(a), _) => a.to_string(),
            (None, Some(path)) => format!("{path}:0"),
            (None, None) => String::new(),
        }
    }

    fn unix_path(&self) -> Option<&str> {
        self.stream.as_ref().and_then(|s| s.unix_path())
    }

    /// Unparsed bytes in the query buffer.
    pub fn query_len(&self) -> usize {
        self.query_end - self.query_pos
    }

    /// While a big argument arrives, the bytes before its data: Redis has
    /// moved those out of its query buffer (the earlier arguments into
    /// argv), so qbuf counts only the argument's data.
    fn big_arg_header(&self) -> usize {
        if self.query_parsed != 0 {
            return 0;
        }
        crate::resp::request::incomplete_big_bulk(self.unparsed(), super::event_loop::BIG_ARG)
            .map_or(0, |(start, _)| start)
    }

    /// The query buffer's size, also while a command of this client runs.
    pub fn query_size(&self) -> usize {
        self.query.len().max(self.query_taken)
    }

    /// The unparsed bytes.
    pub fn unparsed(&self) -> &[u8] {
        &self.query[self.query_pos..self.query_end]
    }

    /// Read what the socket has into the query buffer: the bytes read (0 is
    /// end of stream) and whether the read filled all the space offered. A
    /// short read means the socket was drained at that moment; data that
    /// arrives later raises a new edge, so the caller need not spend a
    /// syscall on the WouldBlock that would follow.
    pub fn read_some(&mut self) -> io::Result<(usize, bool)> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok((0, false));
        };
        if self.query_pos == self.query_end {
            self.query_pos = 0;
            self.query_end = 0;
            // Give back what one large request needed.
            if self.query.len() > 1 << 20 {
                self.query.truncate(READ_CHUNK);
                self.query.shrink_to_fit();
            }
        } else if self.query_pos > 0 && self.query.len() - self.query_end < READ_CHUNK {
            self.query.copy_within(self.query_pos..self.query_end, 0);
            self.query_end -= self.query_pos;
            self.query_pos = 0;
        }
        if self.query.len() - self.query_end < READ_CHUNK {
            let size = (self.query.len() * 2).max(self.query_end + READ_CHUNK);
            self.query.resize(size, 0);
        }
        let space = self.query.len() - self.query_end;
        let n = stream.read(&mut self.query[self.query_end..])?;
        self.query_end += n;
        self.query_peak = self.query_peak.max(self.query_end - self.query_pos);
        Ok((n, n == space))
    }

    /// Make room for `need` bytes of request from the start of the unparsed
    /// input (a big argument on its way: see
    /// [`crate::resp::request::incomplete_big_bulk`]), plus one read.
    pub fn reserve_query(&mut self, need: usize) {
        let want = need.saturating_add(READ_CHUNK);
        if self.query.len() - self.query_pos >= want {
            return;
        }
        self.query.copy_within(self.query_pos..self.query_end, 0);
        self.query_end -= self.query_pos;
        self.query_pos = 0;
        self.query.resize(want, 0);
        self.query.shrink_to_fit();
    }

    /// From the cron, as Redis's clientsCronResizeQueryBuffer: a buffer
    /// wasting more than 4 KiB is cut to what it holds once the client has
    /// been idle over 2 seconds, or, past 32 KiB, to its recent peak when
    /// that is under half its size. The peak then restarts from now.
    pub fn resize_query_buffer(&mut self, now: Instant) {
        let used = self.query_len();
        let size = self.query.len();
        if size - used > 4 * 1024 {
            let target = if now.duration_since(self.last_interaction).as_secs() > 2 {
                Some(used)
            } else if size > 32 * 1024 && size / 2 > self.query_peak {
                Some(used.max(self.query_peak))
            } else {
                None
            };
            if let Some(target) = target {
                self.query.copy_within(self.query_pos..self.query_end, 0);
                self.query_pos = 0;
                self.query_end = used;
                self.query.truncate(target);
                self.query.shrink_to_fit();
            }
        }
        self.query_peak = self.query_len();
    }

    /// Write pending output until done or WouldBlock. Returns bytes written.
    pub fn write_pending(&mut self) -> io::Result<usize> {
        let Some(stream) = self.stream.as_mut() else {
            let n = self.reply.pending();
            self.reply.sent = self.reply.buf.len();
            return Ok(n);
        };
        let mut total = 0;
        while self.reply.pending() > 0 {
            match stream.write(&self.reply.buf[self.reply.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.reply.sent += n;
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        // TLS: ciphertext the kernel did not take yet (has_pending_tls
        // keeps WRITABLE interest until it is gone).
        if self.reply.pending() == 0 {
            match stream.flush() {
                Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
                _ => {}
            }
        }
        self.reply.compact();
        Ok(total)
    }

    /// Bytes this client holds (CLIENT LIST tot-mem, INFO mem_clients_*,
    /// client eviction): the structure, its query and output buffers, the
    /// commands queued by MULTI, watched keys and subscriptions. Capacities
    /// are counted, since that is what the allocator holds.
    pub fn memory(&self) -> usize {
        const ENTRY: usize = 32;
        let multi = self.multi_memory();
        let watched: usize = self.watched.iter().map(|(_, k)| k.capacity() + ENTRY).sum();
        let subs = self.subs.as_deref().map_or(0, |s| {
            [&s.channels, &s.patterns, &s.shard_channels]
                .iter()
                .flat_map(|list| list.iter())
                .map(|c| c.capacity() + 2 * ENTRY)
                .sum()
        });
        // Redis counts a tracking client's prefixes (a radix tree entry each).
        let prefixes = self.tracking.as_deref().map_or(0, |t| {
            t.prefixes.iter().map(|p| p.capacity() + 2 * ENTRY).sum()
        });
        std::mem::size_of::<Client>()
            + self.query.capacity().max(self.query_taken)
            + self.reply.buf.capacity()
            + multi
            + watched
            + subs
            + prefixes
    }

    /// Bytes of the commands MULTI queued (CLIENT LIST multi-mem).
    pub fn multi_memory(&self) -> usize {
        self.multi.as_ref().map_or(0, |m| {
            m.queued
                .iter()
                .map(|(_, args)| args.iter().map(|a| a.capacity() + 24).sum::<usize>() + 32)
                .sum()
        })
    }

    /// CLIENT LIST/KILL TYPE: "normal", "replica", "master" or "pubsub"
    /// (MONITOR clients count as normal, as in Redis).
    pub fn kind(&self) -> &'static str {
        if self.is_master {
            "master"
        } else if self.replica.as_deref().is_some_and(|d| d.attached()) {
            "replica"
        } else if self.pubsub_mode {
            "pubsub"
        } else {
            "normal"
        }
    }

    /// CLIENT LIST flags.
    pub fn flag_letters(&self) -> String {
        let mut flags = String::new();
        match self.kind() {
            "replica" => flags.push('S'),
            "master" => flags.push('M'),
            _ => {}
        }
        if self.monitor {
            flags.push('O');
        }
        if self.pubsub_mode {
            flags.push('P');
        }
        if self.multi.is_some() {
            flags.push('x');
        }
        if self.blocked.is_some() || self.postponed {
            flags.push('b');
        }
        if let Some(t) = self.tracking.as_ref() {
            flags.push('t');
            if t.broken_redirect {
                flags.push('R');
            }
            if t.bcast {
                flags.push('B');
            }
        }
        if self.close_after_reply {
            flags.push('c');
        }
        if self.close_asap {
            flags.push('A');
        }
        if self.no_evict {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        flags
    }

    /// One line of CLIENT LIST / CLIENT INFO (without the newline), with
    /// Redis 7.0's fields.
    pub fn info_line(&self, now: Instant) -> String {
        self.info_line_sharing(now, 0)
    }

    /// [`info_line`](Self::info_line) of a replica whose output also holds
    /// `shared` bytes of the replication buffer (omem and tot-mem count
    /// them, as Redis's do).
    pub fn info_line_sharing(&self, now: Instant, shared: usize) -> String {
        let fd = {
            use std::os::fd::AsRawFd;
            self.stream.as_ref().map_or(-1, |s| s.as_raw_fd())
        };
        let events = match (self.read_paused, self.write_registered) {
            (false, false) => "r",
            (false, true) => "rw",
            (true, true) => "w",
            (true, false) => "",
        };
        let name = self
            .name
            .as_deref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let pending = self.reply.pending();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
             ssub={} multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem={} rbs={} rbp=0 obl={} \
             oll=0 omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}",
            self.id,
            self.addr(),
            self.laddr(),
            fd,
            name,
            now.duration_since(self.created).as_secs(),
            now.duration_since(self.last_interaction).as_secs(),
            self.flag_letters(),
            self.db,
            self.subs.as_ref().map_or(0, |s| s.channels.len()),
            self.subs.as_ref().map_or(0, |s| s.patterns.len()),
            self.subs.as_ref().map_or(0, |s| s.shard_channels.len()),
            self.multi.as_ref().map_or(-1, |m| m.queued.len() as i64),
            self.query_len() + self.query_parsed - self.big_arg_header(),
            // Bytes already consumed are free space (Redis trims them off
            // its buffer after each command).
            self.query_size()
                .saturating_sub(self.query_len() + self.query_parsed),
            self.multi_memory(),
            self.query.len(),
            pending,
            pending + shared,
            self.memory() + shared,
            events,
            self.last_command,
            String::from_utf8_lossy(&self.user_name),
            self.tracking.as_ref().map_or(-1, |t| t.redirect as i64),
            if self.reply.resp3 { 3 } else { 2 },
        )
    }
}
