//! Transaction state: a client's MULTI queue ([`Multi`], kept on the
//! client) and the keyspace side of WATCH ([`Watches`]: (db, key) → client
//! ids).
//!
//! Inside MULTI, [`crate::server::Server::call`] checks each command as
//! usual and queues it ([`Multi::queue`]); a command rejected while queueing
//! (unknown, wrong arity, not allowed in a transaction) marks the
//! transaction failed, and EXEC then answers EXECABORT. EXEC runs the queue
//! through [`crate::server::Server::execute`] with blocking denied,
//! collecting what the commands propagate so that more than one write
//! reaches the feed wrapped in MULTI … EXEC (one write, or none, goes as
//! is).
//!
//! WATCH registers (db, key) → client ids in [`Watches`]. Every write that
//! changes a key touches it through the key-change signal: the watchers
//! become "dirty" and their EXEC returns a null array. Keys that were
//! already expired when watched follow Redis's rule: their deletion by
//! expiry is no change, but a watched live key that expires aborts EXEC.

use std::collections::{HashMap, HashSet};

use super::super::propagate::Propagated;

/// The server's transaction state.
#[derive(Default)]
pub struct Transactions {
    /// WATCHed keys.
    pub watches: Watches,
    /// While EXEC runs: what its commands propagate, wrapped in MULTI/EXEC
    /// when there is more than one.
    pub exec_feed: Option<Vec<Propagated>>,
}

impl Transactions {
    /// EXEC (or a script, which collects the same way) is running: a
    /// fork now would snapshot half a transaction, so forking work is
    /// scheduled for after it instead (Redis's `server.in_exec`).
    pub fn in_exec(&self) -> bool {
        self.exec_feed.is_some()
    }
}

/// A client's open transaction.
#[derive(Default)]
pub struct Multi {
    /// (command table entry, arguments) in order.
    pub queued: Vec<(usize, Vec<Vec<u8>>)>,
    /// A command was rejected while queueing: EXEC aborts.
    pub failed: bool,
    /// Union of the queued commands' flags.
    pub flags: u32,
    /// Union of the flags some queued command lacks (Redis's
    /// cmd_inv_flags): EXEC on a stale replica is refused when any queued
    /// command is not allowed there.
    pub missing_flags: u32,
}

impl Multi {
    /// Queue a checked command.
    pub fn queue(&mut self, index: usize, flags: u32, args: &[&[u8]]) {
        if self.failed {
            // Redis keeps no memory for a transaction that will abort.
            return;
        }
        self.flags |= flags;
        self.missing_flags |= !flags;
        self.queued
            .push((index, args.iter().map(|a| a.to_vec()).collect()));
    }
}

/// One watcher of a key.
#[derive(Clone, Copy, Debug)]
pub struct Watcher {
    pub id: u64,
    /// The key was already logically expired when watched.
    pub expired: bool,
}

/// The keyspace side of WATCH.
#[derive(Default)]
pub struct Watches {
    keys: HashMap<(usize, Vec<u8>), Vec<Watcher>>,
    /// Clients whose watched keys were touched.
    pub dirty: HashSet<u64>,
}

impl Watches {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn add(&mut self, db: usize, key: &[u8], w: Watcher) {
        self.keys.entry((db, key.to_vec())).or_default().push(w);
    }

    /// Forget every key client `id` watches (emptying `watched`, its own
    /// list), and its dirty mark.
    pub fn unwatch_all(&mut self, id: u64, watched: &mut Vec<(usize, Vec<u8>)>) {
        for (db, key) in watched.drain(..) {
            self.remove(db, &key, id);
        }
        self.dirty.remove(&id);
    }

    fn remove(&mut self, db: usize, key: &[u8], id: u64) {
        let k = (db, key.to_vec());
        if let Some(list) = self.keys.get_mut(&k) {
            list.retain(|w| w.id != id);
            if list.is_empty() {
                self.keys.remove(&k);
            }
        }
    }

    /// Mark the watchers of `key` dirty. `still_there` says whether the key
    /// exists after the change (a watcher that saw it expired and now sees
    /// it deleted is not disturbed).
    pub fn touch(&mut self, db: usize, key: &[u8], still_there: bool) {
        let Some(list) = self.keys.get_mut(&(db, key.to_vec())) else {
            return;
        };
        for w in list.iter_mut() {
            if w.expired {
                if !still_there {
                    w.expired = false;
                    continue;
                }
                // Redis 7.0 stops at such a watcher (its touchWatchedKey
                // breaks out of the loop here).
                break;
            }
            self.dirty.insert(w.id);
        }
    }

    /// SWAPDB replaces database `db` by another: mark the watchers of `key`
    /// dirty as Redis's touchAllWatchedKeysInDb does. `was_there`: the key
    /// exists in `db` now; `replaced`: it exists in the database coming in
    /// (`Some(true)` when there and logically expired). An expired key
    /// replacing a missing or expired one is no change.
    pub fn touch_swapped(
        &mut self,
        db: usize,
        key: &[u8],
        was_there: bool,
        replaced: Option<bool>,
    ) {
        let Some(list) = self.keys.get_mut(&(db, key.to_vec())) else {
            return;
        };
        let replaced_expired = replaced == Some(true);
        for w in list.iter_mut() {
            if w.expired {
                if replaced.is_none() {
                    w.expired = false;
                    continue;
                }
                if replaced_expired {
                    continue;
                }
            } else if !was_there && replaced_expired {
                w.expired = true;
                continue;
            }
            self.dirty.insert(w.id);
        }
    }

    /// The watched keys of `db` (FLUSHDB, SWAPDB).
    pub fn keys_of(&self, db: usize) -> Vec<Vec<u8>> {
        self.keys
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// Every watcher of a key with whether it saw it expired.
    pub fn watchers(&mut self, db: usize, key: &[u8]) -> Option<&mut Vec<Watcher>> {
        self.keys.get_mut(&(db, key.to_vec()))
    }

    /// The keys a client watches that were live when watched.
    pub fn watched_live(&self, id: u64, watched: &[(usize, Vec<u8>)]) -> Vec<(usize, Vec<u8>)> {
        watched
            .iter()
            .filter(|(db, key)| {
                self.keys
                    .get(&(*db, key.clone()))
                    .and_then(|l| l.iter().find(|w| w.id == id))
                    .is_some_and(|w| !w.expired)
            })
            .cloned()
            .collect()
    }
}
