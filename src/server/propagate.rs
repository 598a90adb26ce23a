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

/// One command to propagate, with the database it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Propagated {
    pub db: usize,
    pub argv: Vec<Vec<u8>>,
}

impl Propagated {
    pub fn new<'a>(db: usize, argv: impl IntoIterator<Item = &'a [u8]>) -> Propagated {
        Propagated {
            db,
            argv: argv.into_iter().map(<[u8]>::to_vec).collect(),
        }
    }
}

/// What the command being executed did besides its reply.
#[derive(Default, Debug)]
pub struct Effects {
    /// Changes to the dataset since start (Redis's `server.dirty`).
    pub dirty: u64,
    /// Commands the current command wants propagated, in order.
    propagated: Vec<Propagated>,
    /// Set by a command that rewrote its own propagation (so the loop does
    /// not propagate the original argv).
    pub rewritten: bool,
    /// Whether anything consumes propagated commands; when nothing does,
    /// recording them (copying arguments) is skipped.
    pub enabled: bool,
    /// The command touched (for WATCH) the keys it modified itself.
    pub touched: bool,
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

/// The stream of propagated commands, as AOF and replication will read it:
/// every entry in execution order, with a running count. An AOF writer or
/// a replication backlog hooks in by making [`Feed::is_consumed`] true and
/// taking the entries [`Feed::push`] receives (adding `SELECT` when the
/// database changes). While nothing consumes the feed, commands do not copy
/// their arguments for it at all (the fast path measured by the
/// benchmark); `record` keeps everything, for tests.
#[derive(Default)]
pub struct Feed {
    /// Commands propagated since start.
    pub count: u64,
    /// Keep entries in `recorded` (for inspection).
    pub record: bool,
    pub recorded: Vec<Propagated>,
}

impl Feed {
    /// Whether any consumer reads the feed (AOF, replicas, recording).
    pub fn is_consumed(&self) -> bool {
        self.record
    }

    pub fn push(&mut self, entries: Vec<Propagated>) {
        self.count += entries.len() as u64;
        if self.record {
            self.recorded.extend(entries);
        }
    }
}
