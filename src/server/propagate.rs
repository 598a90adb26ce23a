//! The propagation hook: what a write leaves behind for an append-only file
//! and for replicas.
//!
//! Executing a command never writes to an AOF or a replica link directly. It
//! records, in [`Effects`], the commands that reproduce its effect
//! deterministically, "as propagated":
//!
//! - a write that changed the dataset propagates its own arguments, unless
//!   it rewrites them: relative expiries become absolute (`EXPIRE k 10` →
//!   `PEXPIREAT k <ms>`, `SET k v EX 10` → `SET k v PXAT <ms>`), results
//!   that depend on the moment become values (`INCRBYFLOAT` → `SET … KEEPTTL`),
//!   and an expiry in the past becomes `DEL`;
//! - a key found expired on access propagates `DEL <key>` before the
//!   command that found it;
//! - a command that changed nothing propagates nothing.
//!
//! After each command the event loop drains [`Effects::take_propagated`] into
//! the server's [`Feed`], where persistence and replication consume it (they
//! add `SELECT` whenever the database differs from the previous entry's).
//!
//! A command is kept as RESP bytes, encoded once: a command propagated
//! unchanged is the very bytes the client (or our master) sent
//! ([`Propagated::raw`]); a rewrite is encoded by [`crate::resp::encode::command`].
//! Every consumer copies those bytes; none encodes again.

use crate::resp::encode;
use crate::resp::request::{RequestLimits, parse_request};

/// One command to propagate, as RESP bytes, with the database it applies
/// to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Propagated {
    pub db: usize,
    /// The command as a RESP array of bulk strings.
    pub resp: Vec<u8>,
    /// Where it goes: [`Propagated::TO_AOF`] and/or
    /// [`Propagated::TO_REPLICAS`] (a script's `redis.set_repl`).
    pub targets: u8,
}

impl Propagated {
    pub const TO_AOF: u8 = 1;
    pub const TO_REPLICAS: u8 = 2;

    /// A command made of `argv` (a rewrite, or a command whose request
    /// bytes are gone).
    pub fn new<'a>(db: usize, argv: impl IntoIterator<Item = &'a [u8]>) -> Propagated {
        let argv: Vec<&[u8]> = argv.into_iter().collect();
        let mut resp = Vec::with_capacity(16 + argv.iter().map(|a| a.len() + 16).sum::<usize>());
        encode::command(&mut resp, &argv);
        Propagated {
            db,
            resp,
            targets: Self::TO_AOF | Self::TO_REPLICAS,
        }
    }

    /// A command as the bytes of its request: a RESP array of bulk strings
    /// (never an inline command).
    pub fn raw(db: usize, request: &[u8]) -> Propagated {
        debug_assert_eq!(request.first(), Some(&b'*'));
        Propagated {
            db,
            resp: request.to_vec(),
            targets: Self::TO_AOF | Self::TO_REPLICAS,
        }
    }

    /// The arguments (decoded again: for inspection and tests).
    pub fn argv(&self) -> Vec<Vec<u8>> {
        match parse_request(&self.resp, &RequestLimits::default(), true) {
            Ok(Some(request)) => request
                .args
                .iter()
                .map(|a| a.bytes(&self.resp).to_vec())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// What the command being executed did besides its reply.
#[derive(Default, Debug)]
pub struct Effects {
    /// Commands the current command wants propagated, in order.
    propagated: Vec<Propagated>,
    /// Set by a command that rewrote its own propagation (so the loop does
    /// not propagate the original argv).
    pub rewritten: bool,
    /// Whether anything consumes propagated commands; when nothing does,
    /// recording them (copying arguments) is skipped.
    pub enabled: bool,
    pub expired_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
}

impl Effects {
    pub fn propagate(&mut self, command: Propagated) {
        if self.enabled {
            self.propagated.push(command);
        }
    }

    /// Propagate `command` instead of the current command's own arguments.
    pub fn rewrite(&mut self, command: Propagated) {
        self.rewritten = true;
        if self.enabled {
            self.propagated.push(command);
        }
    }

    /// Propagate nothing for the current command even though it is a write
    /// that changed the dataset.
    pub fn suppress(&mut self) {
        self.rewritten = true;
    }

    pub fn take_propagated(&mut self) -> Vec<Propagated> {
        self.rewritten = false;
        std::mem::take(&mut self.propagated)
    }

    pub fn has_propagated(&self) -> bool {
        !self.propagated.is_empty()
    }
}

/// The stream of propagated commands, where the append-only file and the
/// replication backlog read it: every entry in execution order,
/// with a running count. The AOF consumes it as [`Encoded`] RESP bytes,
/// flushed to its file before the replies of the same loop iteration go
/// out. While nothing consumes the feed, commands do not copy their
/// arguments for it at all (the fast path measured by the benchmark);
/// `record` keeps everything, for tests.
#[derive(Default)]
pub struct Feed {
    /// Commands propagated since start.
    pub count: u64,
    /// Keep entries in `recorded` (for inspection).
    pub record: bool,
    pub recorded: Vec<Propagated>,
    /// The append-only file's share (active while the AOF is on).
    pub aof: Encoded,
    /// The replication stream's share (active while this server is a
    /// master with a backlog; a replica proxies its master's bytes here
    /// instead).
    pub repl: Encoded,
    /// `aof-timestamp-enabled`: a `#TS:<unix seconds>` line before the
    /// first command of each second in the AOF.
    pub aof_timestamps: bool,
    pub aof_last_second: u64,
}

impl Feed {
    /// Whether any consumer reads the feed (AOF, replicas, recording).
    pub fn is_consumed(&self) -> bool {
        self.record || self.aof.active || self.repl.active
    }

    pub fn push(&mut self, entries: Vec<Propagated>) {
        self.count += entries.len() as u64;
        if self.aof.active {
            if self.aof_timestamps && !entries.is_empty() {
                let now = (crate::server::clock::unix_ms() / 1000) as u64;
                if now > self.aof_last_second {
                    self.aof_last_second = now;
                    self.aof
                        .buf
                        .extend_from_slice(format!("#TS:{now}\r\n").as_bytes());
                }
            }
            for e in entries
                .iter()
                .filter(|e| e.targets & Propagated::TO_AOF != 0)
            {
                self.aof.append(e.db, &e.resp);
            }
        }
        if self.repl.active {
            for e in entries
                .iter()
                .filter(|e| e.targets & Propagated::TO_REPLICAS != 0)
            {
                self.repl.append(e.db, &e.resp);
            }
        }
        if self.record {
            self.recorded.extend(entries);
        }
    }
}

/// Propagated commands as RESP multibulk bytes, with a `SELECT` whenever
/// the database differs from the previous command's (or nothing was
/// selected yet, as after [`Encoded::reselect`]).
#[derive(Default)]
pub struct Encoded {
    pub active: bool,
    pub buf: Vec<u8>,
    db: Option<usize>,
}

impl Encoded {
    /// Append a command (RESP bytes) for database `db`.
    pub fn append(&mut self, db: usize, resp: &[u8]) {
        if self.db != Some(db) {
            let mut index = itoa::Buffer::new();
            encode::command(
                &mut self.buf,
                &[&b"SELECT"[..], index.format(db).as_bytes()],
            );
            self.db = Some(db);
        }
        self.buf.extend_from_slice(resp);
    }

    /// A command valid in any database (the PING sent to replicas): no
    /// SELECT before it.
    pub fn append_same_db<A: AsRef<[u8]>>(&mut self, argv: &[A]) {
        if self.active {
            encode::command(&mut self.buf, argv);
        }
    }

    /// The database the last command was appended for (None: the next
    /// one starts with a SELECT).
    pub fn selected(&self) -> Option<usize> {
        self.db
    }

    /// The next command starts with a SELECT (a new file begins).
    pub fn reselect(&mut self) {
        self.db = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_encoded_with_select_when_the_db_changes() {
        let mut e = Encoded::default();
        e.append(0, &Propagated::new(0, [&b"SET"[..], b"k", b"v"]).resp);
        e.append(0, &Propagated::new(0, [&b"DEL"[..], b"k"]).resp);
        e.append(
            3,
            &Propagated::raw(3, b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n").resp,
        );
        assert_eq!(
            String::from_utf8(e.buf).unwrap(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
             *2\r\n$3\r\nDEL\r\n$1\r\nk\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"
        );
    }
}
