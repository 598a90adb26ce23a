//! The key-change signal: the one way a write tells the rest of the server
//! what it changed, as Redis's `signalModifiedKey` + `notifyKeyspaceEvent`.
//!
//! A command handler changes the keyspace, then reports each key it changed
//! once with [`Server::key_changed`]: the database, the key, the
//! [`Event`] (Redis's own notification class and name: `set`, `lpush`,
//! `hdel`, `rename_from`…) and how many changes it counts for the dirty
//! counter. Whole databases report [`Server::db_flushing`] and
//! [`Server::dbs_swapped`]; keys the keyspace deletes because their time
//! came are queued by the keyspace and reported here as `expired` before
//! anything else (so their order relative to the command's own changes is
//! kept).
//!
//! Every consumer subscribes in this file and nowhere else:
//!
//! - the dirty counter (`rdb_changes_since_last_save`, save points);
//! - WATCH: the watchers of the key are marked dirty, their EXEC fails;
//! - blocked clients: an event that can give a key elements
//!   ([`Event::fills`]) makes the key ready, and the clients waiting on it
//!   are served after the command;
//! - keyspace notifications, client-side caching invalidation and eviction
//!   bookkeeping subscribe in `Server::notify` (each event, including
//!   the `del` Redis sends when a collection becomes empty), in
//!   [`super::notify`] and [`super::tracking`] (every change but `new` and
//!   `keymiss` invalidates its key; a flush invalidates all).
//!
//! No command handler touches watchers, waiters or the dirty counter
//! itself.

use super::Server;

/// A keyspace event class: Redis's `NOTIFY_*` flags, with the character
/// `notify-keyspace-events` names each by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Generic,
    String,
    List,
    Set,
    Hash,
    Zset,
    Expired,
    Evicted,
    Stream,
    /// A key was created (`n`; not part of `A`).
    New,
    /// A read found no key (`m`; not part of `A`).
    KeyMiss,
}

impl Class {
    /// The `notify-keyspace-events` character of the class.
    pub fn flag(self) -> char {
        match self {
            Class::Generic => 'g',
            Class::String => '$',
            Class::List => 'l',
            Class::Set => 's',
            Class::Hash => 'h',
            Class::Zset => 'z',
            Class::Expired => 'x',
            Class::Evicted => 'e',
            Class::Stream => 't',
            Class::New => 'n',
            Class::KeyMiss => 'm',
        }
    }

    /// A collection class: when such an event leaves its key empty (and so
    /// deleted), Redis also sends a generic `del`.
    fn is_collection(self) -> bool {
        matches!(
            self,
            Class::List | Class::Set | Class::Hash | Class::Zset | Class::Stream
        )
    }
}

/// One keyspace event: its class and Redis's name for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub class: Class,
    pub name: &'static str,
    /// The event can give its key elements a blocked client waits for
    /// (Redis signals such keys as ready when they are added).
    pub fills: bool,
    /// The event only adds to its key (LPUSH, SADD, HSET...): the key
    /// exists after it, so no `del` can follow and none is looked for.
    pub adds: bool,
}

impl Event {
    const fn new(class: Class, name: &'static str) -> Event {
        Event {
            class,
            name,
            fills: false,
            adds: false,
        }
    }

    const fn filling(class: Class, name: &'static str) -> Event {
        Event {
            class,
            name,
            fills: true,
            adds: false,
        }
    }

    /// An event that only adds elements (see [`Event::adds`]).
    const fn adding(self) -> Event {
        Event { adds: true, ..self }
    }
}

/// The events, named as Redis 7.0 names them (db.c, expire.c, t_string.c,
/// t_list.c, t_hash.c, t_set.c, t_zset.c, cluster.c).
pub mod event {
    use super::{Class, Event};

    // Generic (db.c, expire.c, cluster.c).
    pub const DEL: Event = Event::new(Class::Generic, "del");
    pub const EXPIRE: Event = Event::new(Class::Generic, "expire");
    pub const PERSIST: Event = Event::new(Class::Generic, "persist");
    pub const RENAME_FROM: Event = Event::new(Class::Generic, "rename_from");
    pub const RENAME_TO: Event = Event::filling(Class::Generic, "rename_to");
    pub const MOVE_FROM: Event = Event::new(Class::Generic, "move_from");
    pub const MOVE_TO: Event = Event::filling(Class::Generic, "move_to");
    pub const COPY_TO: Event = Event::filling(Class::Generic, "copy_to");
    pub const RESTORE: Event = Event::filling(Class::Generic, "restore");
    pub const EXPIRED: Event = Event::new(Class::Expired, "expired");
    pub const EVICTED: Event = Event::new(Class::Evicted, "evicted");
    pub const NEW: Event = Event::new(Class::New, "new");
    pub const KEYMISS: Event = Event::new(Class::KeyMiss, "keymiss");

    // Strings (t_string.c).
    pub const SET: Event = Event::new(Class::String, "set");
    pub const SETRANGE: Event = Event::new(Class::String, "setrange");
    pub const APPEND: Event = Event::new(Class::String, "append");
    pub const INCRBY: Event = Event::new(Class::String, "incrby");
    pub const INCRBYFLOAT: Event = Event::new(Class::String, "incrbyfloat");
    pub const SETBIT: Event = Event::new(Class::String, "setbit");
    pub const PFADD: Event = Event::new(Class::String, "pfadd");
    /// PFCOUNT refreshing the cached count and PFDEBUG converting the
    /// encoding: Redis signals the key (WATCH) without a notification (an
    /// event without a name is not notified).
    pub const HLL_CACHE: Event = Event::new(Class::String, "");
    pub const SORTSTORE: Event = Event::filling(Class::List, "sortstore");
    pub const GEOSEARCHSTORE: Event = Event::filling(Class::Zset, "geosearchstore");
    pub const GEORADIUSSTORE: Event = Event::filling(Class::Zset, "georadiusstore");

    // Lists (t_list.c).
    pub const LPUSH: Event = Event::filling(Class::List, "lpush").adding();
    pub const RPUSH: Event = Event::filling(Class::List, "rpush").adding();
    pub const LPOP: Event = Event::new(Class::List, "lpop");
    pub const RPOP: Event = Event::new(Class::List, "rpop");
    pub const LINSERT: Event = Event::new(Class::List, "linsert");
    pub const LSET: Event = Event::new(Class::List, "lset");
    pub const LREM: Event = Event::new(Class::List, "lrem");
    pub const LTRIM: Event = Event::new(Class::List, "ltrim");

    // Hashes (t_hash.c).
    pub const HSET: Event = Event::new(Class::Hash, "hset").adding();
    pub const HDEL: Event = Event::new(Class::Hash, "hdel");
    pub const HINCRBY: Event = Event::new(Class::Hash, "hincrby");
    pub const HINCRBYFLOAT: Event = Event::new(Class::Hash, "hincrbyfloat");

    // Sets (t_set.c).
    pub const SADD: Event = Event::new(Class::Set, "sadd").adding();
    pub const SREM: Event = Event::new(Class::Set, "srem");
    pub const SPOP: Event = Event::new(Class::Set, "spop");
    pub const SINTERSTORE: Event = Event::new(Class::Set, "sinterstore");
    pub const SUNIONSTORE: Event = Event::new(Class::Set, "sunionstore");
    pub const SDIFFSTORE: Event = Event::new(Class::Set, "sdiffstore");

    // Sorted sets (t_zset.c).
    pub const ZADD: Event = Event::filling(Class::Zset, "zadd").adding();
    pub const ZINCR: Event = Event::filling(Class::Zset, "zincr").adding();
    pub const ZREM: Event = Event::new(Class::Zset, "zrem");
    pub const ZREMRANGEBYRANK: Event = Event::new(Class::Zset, "zremrangebyrank");
    pub const ZREMRANGEBYSCORE: Event = Event::new(Class::Zset, "zremrangebyscore");
    pub const ZREMRANGEBYLEX: Event = Event::new(Class::Zset, "zremrangebylex");
    pub const ZPOPMIN: Event = Event::new(Class::Zset, "zpopmin");
    pub const ZPOPMAX: Event = Event::new(Class::Zset, "zpopmax");
    pub const ZUNIONSTORE: Event = Event::filling(Class::Zset, "zunionstore");
    pub const ZINTERSTORE: Event = Event::filling(Class::Zset, "zinterstore");
    pub const ZDIFFSTORE: Event = Event::filling(Class::Zset, "zdiffstore");
    pub const ZRANGESTORE: Event = Event::filling(Class::Zset, "zrangestore");

    // Streams (t_stream.c). XADD and XGROUP DESTROY make blocked readers
    // look again (DESTROY to fail the XREADGROUP ones).
    pub const XADD: Event = Event::filling(Class::Stream, "xadd");
    pub const XDEL: Event = Event::new(Class::Stream, "xdel");
    pub const XTRIM: Event = Event::new(Class::Stream, "xtrim");
    pub const XSETID: Event = Event::new(Class::Stream, "xsetid");
    pub const XGROUP_CREATE: Event = Event::new(Class::Stream, "xgroup-create");
    pub const XGROUP_SETID: Event = Event::new(Class::Stream, "xgroup-setid");
    pub const XGROUP_DESTROY: Event = Event::filling(Class::Stream, "xgroup-destroy");
    pub const XGROUP_CREATECONSUMER: Event = Event::new(Class::Stream, "xgroup-createconsumer");
    pub const XGROUP_DELCONSUMER: Event = Event::new(Class::Stream, "xgroup-delconsumer");
}

/// One recorded event (see [`Signals::record`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub db: usize,
    pub key: Vec<u8>,
    pub event: Event,
}

/// The signal's own state.
#[derive(Default)]
pub struct Signals {
    /// Changes to the dataset since start (Redis's `server.dirty`).
    pub dirty: u64,
    /// Keep every event (for inspection in tests).
    pub record: Option<Vec<Recorded>>,
}

impl Server {
    /// A write changed `key` in `db`: `event` names the change, `changes`
    /// is what it adds to the dirty counter (0 for the second key of a
    /// command that counts once). Called once per changed key, after the
    /// change.
    pub fn key_changed(&mut self, db: usize, key: &[u8], event: Event, changes: u64) {
        self.report_expired();
        self.report_created();
        self.signals.dirty += changes;
        self.track_replica_expiry(db, key, event);
        if !self.transactions.watches.is_empty() {
            let there = self.ks.dbs[db].dict.contains_key(key);
            self.transactions.watches.touch(db, key, there);
        }
        // Every change to a waited key is signalled, not only fills: a
        // key that went away or changed type fails the clients blocked in
        // XREADGROUP on it (lists and sorted sets just keep waiting).
        self.blocking.waiters.signal(db, key);
        self.notify(db, key, event);
        if event.class.is_collection() && !event.adds && !self.ks.dbs[db].dict.contains_key(key) {
            self.notify(db, key, event::DEL);
        }
    }

    /// A writable replica's own client gave `key` an expiry (Redis's
    /// `rememberSlaveKeyWithExpire`): the replica expires it itself, since
    /// its master never will ([`Keyspace::expire_replica_written`]).
    ///
    /// [`Keyspace::expire_replica_written`]: crate::server::keyspace::Keyspace::expire_replica_written
    fn track_replica_expiry(&mut self, db: usize, key: &[u8], event: Event) {
        if !self.ks.is_replica || self.ks.applying_master {
            return;
        }
        let sets_expiry = event == event::EXPIRE
            || (matches!(event.name, "rename_to" | "copy_to" | "restore")
                && self.ks.dbs[db].expire_of(key).is_some());
        if sets_expiry {
            self.ks.replica_written.insert((db, key.to_vec()));
        }
    }

    /// A further event about a key the command already reported with
    /// [`Server::key_changed`] (SET's `expire`): notified, nothing else.
    pub fn key_event(&mut self, db: usize, key: &[u8], event: Event) {
        self.track_replica_expiry(db, key, event);
        self.notify(db, key, event);
    }

    /// FLUSHDB / FLUSHALL is about to empty `db` (Redis's
    /// signalFlushedDb): every watched key that exists is touched.
    pub fn db_flushing(&mut self, db: usize, changes: u64) {
        self.report_expired();
        self.signals.dirty += changes;
        for key in self.transactions.watches.keys_of(db) {
            if self.ks.dbs[db].dict.contains_key(&key) {
                self.transactions.watches.touch(db, &key, false);
            }
        }
        for key in self.blocking.waiters.keys_of(db) {
            self.blocking.waiters.signal(db, &key);
        }
    }

    /// SWAPDB is about to exchange databases `a` and `b`: the watched keys
    /// of each that exist in either are touched now; after the swap,
    /// [`Server::dbs_swapped`] re-checks the waited keys.
    pub fn dbs_swapping(&mut self, a: usize, b: usize) {
        self.report_expired();
        for (db, other) in [(a, b), (b, a)] {
            for key in self.transactions.watches.keys_of(db) {
                let in_db = self.ks.dbs[db].dict.contains_key(&key);
                let in_other = self.ks.dbs[other]
                    .dict
                    .contains_key(&key)
                    .then(|| self.ks.is_expired(other, &key));
                if in_db || in_other.is_some() {
                    self.transactions
                        .watches
                        .touch_swapped(db, &key, in_db, in_other);
                }
            }
        }
    }

    /// SWAPDB exchanged databases `a` and `b`: clients blocked on a key
    /// that now holds elements (in either database) are served.
    pub fn dbs_swapped(&mut self, a: usize, b: usize, changes: u64) {
        self.signals.dirty += changes;
        for db in [a, b] {
            for key in self.blocking.waiters.keys_of(db) {
                self.blocking.waiters.signal(db, &key);
            }
        }
    }

    /// FLUSHDB / FLUSHALL emptied databases (once per command): clients
    /// that cache keys are told every key is invalid.
    pub fn dbs_flushed(&mut self) {
        self.tracking_flushed();
    }

    /// A change that names no key (FLUSHALL counts one after its save).
    pub fn dataset_changed(&mut self, changes: u64) {
        self.signals.dirty += changes;
    }

    /// Report the keys databases gained (as `new`, before the event of the
    /// command that created them, as Redis's dbAdd).
    fn report_created(&mut self) {
        if !super::keyspace::tracking_created() {
            return;
        }
        for db in 0..self.ks.dbs.len() {
            if self.ks.dbs[db].created.is_empty() {
                continue;
            }
            for key in std::mem::take(&mut self.ks.dbs[db].created) {
                self.notify(db, &key, event::NEW);
            }
        }
    }

    /// Report the keys the keyspace deleted because their time came (lazy
    /// on access, or the active cycle), in the order they went; then the
    /// keys reads found missing (`keymiss`), when those are recorded.
    pub fn report_expired(&mut self) {
        if !self.ks.expired.is_empty() {
            for (db, key) in std::mem::take(&mut self.ks.expired) {
                if !self.transactions.watches.is_empty() {
                    self.transactions.watches.touch(db, &key, false);
                }
                self.notify(db, &key, event::EXPIRED);
            }
        }
        let missed = match self.ks.missed.as_mut() {
            Some(missed) if !missed.is_empty() => std::mem::take(missed),
            _ => return,
        };
        for (db, key) in missed {
            self.notify(db, &key, event::KEYMISS);
        }
    }

    /// Where keyspace notifications, tracking invalidation and eviction
    /// bookkeeping subscribe: every event, in order.
    fn notify(&mut self, db: usize, key: &[u8], event: Event) {
        match event.class {
            Class::New | Class::KeyMiss => {}
            Class::Expired | Class::Evicted => self.tracking_key_changed(key, false),
            _ => self.tracking_key_changed(key, true),
        }
        if event.name.is_empty() {
            return;
        }
        if let Some(events) = self.signals.record.as_mut() {
            events.push(Recorded {
                db,
                key: key.to_vec(),
                event,
            });
        }
        self.notify_keyspace(db, key, event);
    }
}
