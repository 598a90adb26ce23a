//! Blocking state: what each blocked client waits for ([`Blocked`], kept
//! on the client), who waits on which key ([`Waiters`], clients by id and
//! slot) and the deadlines. Data only: blocking and serving are
//! [`crate::server::blocking`]'s.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Instant;

use super::super::types::Kind;

/// The server's blocking state.
#[derive(Default)]
pub struct Blocking {
    /// Who waits on which key, and the keys that got elements.
    pub waiters: Waiters,
    /// Blocking deadlines, nearest first.
    pub deadlines: Deadlines,
    /// Clients blocked now.
    pub count: usize,
    /// Clients unblocked since the loop last looked: their pipelined input
    /// is processed next.
    pub unblocked: Vec<usize>,
}

/// What a blocked client waits for.
#[derive(Clone, Debug)]
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    /// The type the keys must hold to serve it.
    pub kind: Kind,
    pub deadline: Option<Instant>,
    /// The command to run again when a key is ready.
    pub argv: Vec<Vec<u8>>,
    /// The command table entry of `argv`.
    pub command: usize,
}

/// A key in a database.
type DbKey = (usize, Vec<u8>);

/// Who waits on which key, and the keys that got elements since the last
/// look. Keys become ready through the key-change signal.
#[derive(Default)]
pub struct Waiters {
    /// (db, key) → (client id, slot) in blocking order.
    pub queues: HashMap<DbKey, VecDeque<(u64, usize)>>,
    pub ready: Vec<(usize, Vec<u8>)>,
}

impl Waiters {
    /// Note that `key` got elements, if anyone waits on it.
    #[inline]
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.queues.is_empty() {
            return;
        }
        let k = (db, key.to_vec());
        if self.queues.contains_key(&k) && !self.ready.contains(&k) {
            self.ready.push(k);
        }
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    pub fn join(&mut self, db: usize, key: &[u8], id: u64, slot: usize) {
        self.queues
            .entry((db, key.to_vec()))
            .or_default()
            .push_back((id, slot));
    }

    pub fn leave(&mut self, db: usize, key: &[u8], id: u64) {
        let k = (db, key.to_vec());
        if let Some(q) = self.queues.get_mut(&k) {
            q.retain(|&(i, _)| i != id);
            if q.is_empty() {
                self.queues.remove(&k);
            }
        }
    }

    /// Move the waiters of database `a` to `b` and back (SWAPDB).
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        let moved: Vec<_> = self.queues.drain().collect();
        for ((db, key), q) in moved {
            let db = if db == a {
                b
            } else if db == b {
                a
            } else {
                db
            };
            self.queues.insert((db, key), q);
        }
    }

    /// Every waited key of `db` (after FLUSHDB/SWAPDB, to re-check them).
    pub fn keys_of(&self, db: usize) -> Vec<Vec<u8>> {
        self.queues
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect()
    }
}

/// The ordered deadlines: (when, client id, slot).
pub type Deadlines = BTreeSet<(Instant, u64, usize)>;
