//! The keyspace: numbered databases of binary-safe keys holding
//! [`Value`]s, expiry (lazy on access, plus the active sampling cycle), and
//! the effects a command leaves behind (the commands to propagate, keyspace
//! statistics, the keys that expired, which the key-change signal reports:
//! [`crate::server::signal`]).
//!
//! A database keeps two tables, as Redis does: `dict` (key → [`Object`]) and
//! `expires` (key → absolute expiry in Unix milliseconds) for the keys that
//! have a time to live. Every access goes through [`Keyspace::lookup`] /
//! [`Keyspace::lookup_write`], which delete an expired key first and record
//! that deletion as a `DEL` to propagate (so a replica or an AOF never has to
//! guess when a key expired).

use super::clock::{set_clock, unix_ms};
use super::dict::{Dict, Rng};
use super::propagate::{Effects, Propagated};
use super::types::{Str, Value};
use super::{access, lazyfree};

/// A value with the metadata Redis keeps per object.
#[derive(Clone, Debug)]
pub struct Object {
    pub value: Value,
    /// The access stamp: the LRU clock at the last access, or under an
    /// LFU policy minutes and a logarithmic counter ([`access`]).
    pub lru: u32,
}

impl Object {
    pub fn new(value: Value) -> Object {
        Object {
            value,
            lru: access::fresh(),
        }
    }

    pub fn string(bytes: &[u8]) -> Object {
        Object::new(Value::String(Str::from_bytes(bytes)))
    }

    #[inline]
    fn touch(&mut self) {
        self.lru = access::touched(self.lru);
    }
}

/// One numbered database.
#[derive(Default)]
pub struct Db {
    pub dict: Dict<Object>,
    /// Absolute expiry (Unix ms) of the keys that have one.
    pub expires: Dict<i64>,
    /// Where the active expiry cycle resumes its scan of `expires`.
    expires_cursor: u64,
    /// Running estimate of the average TTL (INFO keyspace `avg_ttl`).
    pub avg_ttl: i64,
    /// Keys this database gained, while [`track_created`] is on, until the
    /// key-change signal reports them as `new` events.
    pub created: Vec<Vec<u8>>,
}

/// Whether databases record the keys they gain (the `n` class of
/// `notify-keyspace-events` is on).
static TRACK_CREATED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Switch the recording of created keys on or off.
pub fn track_created(on: bool) {
    TRACK_CREATED.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether created keys are recorded.
pub fn tracking_created() -> bool {
    TRACK_CREATED.load(std::sync::atomic::Ordering::Relaxed)
}

impl Db {
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    fn is_expired(&self, key: &[u8], now: i64) -> bool {
        self.expire_of(key).is_some_and(|at| at <= now)
    }

    /// Remove a key and its expiry; true when it existed.
    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        let obj = self.dict.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(obj)
    }

    /// Set or replace a value. The expiry is cleared unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        let obj = Object::new(value);
        if self.dict.insert(key, obj).is_none() && tracking_created() {
            self.created.push(key.to_vec());
        }
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.remove(key);
        }
    }

    /// Add a key known to be absent.
    pub fn add(&mut self, key: &[u8], value: Value) {
        self.add_object(key, Object::new(value));
    }

    /// Add an object (keeping its access time) under a key known to be
    /// absent (RENAME, MOVE).
    pub fn add_object(&mut self, key: &[u8], obj: Object) {
        self.dict.insert_absent(key, obj);
        if tracking_created() {
            self.created.push(key.to_vec());
        }
    }

    /// Set the absolute expiry of an existing key.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) {
        self.expires.insert(key, at_ms);
    }

    /// Clear the expiry; true when there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        !self.expires.is_empty() && self.expires.remove(key).is_some()
    }

    /// Empty the database, its keys and values dropped on the lazy-free
    /// thread (FLUSHDB/FLUSHALL ASYNC).
    pub fn clear_lazily(&mut self) {
        let keys = self.dict.len() as u64;
        if keys > 0 {
            let dict = std::mem::take(&mut self.dict);
            let expires = std::mem::take(&mut self.expires);
            lazyfree::free((dict, expires), keys);
        }
        self.clear();
    }

    pub fn clear(&mut self) {
        self.dict.clear();
        self.expires.clear();
        self.expires_cursor = 0;
        self.avg_ttl = 0;
    }
}

/// Every database plus the effects of the command being executed.
pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// The code of every function library (FUNCTION LOAD), as snapshots,
    /// AOF rewrites and full resyncs carry them; the scripting state
    /// compiles them when `functions_version` moves.
    pub functions: Vec<Vec<u8>>,
    pub functions_version: u64,
    pub effects: Effects,
    /// Active expiry may be switched off (DEBUG SET-ACTIVE-EXPIRE 0).
    pub active_expire: bool,
    /// A replica never deletes expired keys itself: its master's `DEL`
    /// does, so a master with a slower clock cannot see its later commands
    /// applied to a key the replica already dropped. Until then the key is
    /// expired for clients and present for the master's commands
    /// (`applying_master`).
    pub is_replica: bool,
    pub applying_master: bool,
    /// Keys a writable replica's own clients changed: those given an
    /// expiry are the replica's to expire (its master never sends their
    /// DEL), by [`Keyspace::expire_replica_written`].
    pub replica_written: std::collections::HashSet<(usize, Vec<u8>)>,
    pub rng: Rng,
    /// Keys deleted because their time came, in order, until the
    /// key-change signal reports them ([`crate::server::signal`]).
    pub expired: Vec<(usize, Vec<u8>)>,
    /// Keys a read found missing, while the `m` class of
    /// `notify-keyspace-events` is on (`Some`), until the key-change
    /// signal reports them as `keymiss` events.
    pub missed: Option<Vec<(usize, Vec<u8>)>>,
    /// Time the current command sees: fixed for the whole command, as
    /// Redis caches `mstime()` per call, so one command never observes a key
    /// both alive and expired.
    pub now: i64,
    /// Replaying an append-only file: nothing expires (a later command in
    /// the file may still use a key whose time has passed since).
    pub loading: bool,
    /// Clients are paused (CLIENT PAUSE): the dataset stays static, so an
    /// expired key reads as missing but is not deleted, and the active
    /// cycle does not run.
    pub paused: bool,
    /// Expired keys' values are freed on the lazy-free thread when big
    /// (`lazyfree-lazy-expire`).
    pub lazy_expire: bool,
}

/// Time budget and sampling of the active expiry cycle (Redis's slow
/// cycle defaults: 20 keys per round, repeat while over 10% were stale,
/// at most 25% of a cron period).
const KEYS_PER_LOOP: usize = 20;
const ACCEPTABLE_STALE_PERCENT: usize = 10;
const CYCLE_TIME_PERCENT: u64 = 25;

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        set_clock(unix_ms());
        Keyspace {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            functions: Vec::new(),
            functions_version: 0,
            effects: Effects::default(),
            active_expire: true,
            is_replica: false,
            applying_master: false,
            replica_written: std::collections::HashSet::new(),
            rng: Rng::from_entropy(),
            expired: Vec::new(),
            missed: None,
            now: unix_ms(),
            loading: false,
            paused: false,
            lazy_expire: false,
        }
    }

    /// Whether an absolute expiry given to a command is already past, so
    /// the key is deleted instead (never while loading, as Redis's
    /// checkAlreadyExpired).
    pub fn already_expired(&self, at_ms: i64) -> bool {
        !self.loading && !self.is_replica && at_ms <= self.now
    }

    /// Fix the time the next command sees.
    pub fn set_now(&mut self, now_ms: i64) {
        self.now = now_ms;
        set_clock(now_ms);
    }

    /// Delete `key` if its time has come, recording the deletion. True when
    /// it was deleted (the caller then sees no key).
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        let now = self.now;
        let d = &mut self.dbs[db];
        if self.loading || !d.is_expired(key, now) {
            return false;
        }
        if self.is_replica {
            return !self.applying_master;
        }
        if self.paused {
            return true;
        }
        if let Some(obj) = d.remove(key)
            && self.lazy_expire
        {
            lazyfree::free_value(obj.value);
        }
        self.expired.push((db, key.to_vec()));
        self.effects.expired_keys += 1;
        self.effects
            .propagate(Propagated::new(db, [&b"DEL"[..], key]));
        true
    }

    /// Whether `key` is past its expiry (still in the table or not).
    pub fn is_expired(&self, db: usize, key: &[u8]) -> bool {
        self.dbs[db].is_expired(key, self.now)
    }

    /// A key for reading: expired keys are deleted first; hits and misses
    /// are counted; the access time is updated.
    pub fn lookup(&mut self, db: usize, key: &[u8]) -> Option<&Object> {
        self.lookup_flags(db, key, true)
    }

    /// [`Keyspace::lookup`] leaving the access time as it is (Redis's
    /// LOOKUP_NOTOUCH: TYPE, EXISTS, TTL).
    pub fn lookup_notouch(&mut self, db: usize, key: &[u8]) -> Option<&Object> {
        self.lookup_flags(db, key, false)
    }

    fn lookup_flags(&mut self, db: usize, key: &[u8], touch: bool) -> Option<&Object> {
        if self.expire_if_needed(db, key) {
            self.effects.keyspace_misses += 1;
            if let Some(missed) = self.missed.as_mut() {
                missed.push((db, key.to_vec()));
            }
            return None;
        }
        match self.dbs[db].dict.get_mut(key) {
            Some(obj) => {
                self.effects.keyspace_hits += 1;
                if touch {
                    obj.touch();
                }
                Some(obj)
            }
            None => {
                self.effects.keyspace_misses += 1;
                if let Some(missed) = self.missed.as_mut() {
                    missed.push((db, key.to_vec()));
                }
                None
            }
        }
    }

    /// A key for modification (no hit/miss statistics, as in Redis).
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Object> {
        if self.expire_if_needed(db, key) {
            if self.is_replica && !self.applying_master {
                // A writable replica's own client writes over an expired
                // key: it goes first (Redis's force_delete_expired), or
                // the new value would keep the old expiry.
                self.dbs[db].remove(key);
                self.expired.push((db, key.to_vec()));
                self.effects.expired_keys += 1;
            }
            return None;
        }
        let obj = self.dbs[db].dict.get_mut(key)?;
        obj.touch();
        Some(obj)
    }

    /// Whether a key exists, without touching it or counting statistics.
    pub fn exists(&mut self, db: usize, key: &[u8]) -> bool {
        !self.expire_if_needed(db, key) && self.dbs[db].dict.contains_key(key)
    }

    /// Remaining time to live in ms: None when the key is missing, Some(-1)
    /// for a key without expiry.
    pub fn ttl_ms(&mut self, db: usize, key: &[u8]) -> Option<i64> {
        if !self.exists(db, key) {
            return None;
        }
        Some(match self.dbs[db].expire_of(key) {
            Some(at) => (at - self.now).max(0),
            None => -1,
        })
    }

    /// Remove a key (with its expiry); true when it existed (and was live).
    pub fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed(db, key);
        self.dbs[db].remove(key).is_some()
    }

    /// Remove a key, its value freed on the lazy-free thread when big
    /// (UNLINK, `lazyfree-lazy-user-del`).
    pub fn delete_lazily(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed(db, key);
        match self.dbs[db].remove(key) {
            Some(obj) => {
                lazyfree::free_value(obj.value);
                true
            }
            None => false,
        }
    }

    /// Bytes a key's value occupies approximately (MEMORY USAGE).
    pub fn usage(&self, db: usize, key: &[u8]) -> Option<usize> {
        let obj = self.dbs[db].dict.get(key)?;
        // The table's node: its link, the object, the key's length byte and
        // the key; plus the bucket that points at it.
        Some(key.len() + 1 + std::mem::size_of::<Object>() + 16 + obj.value.heap_bytes())
    }

    /// On a writable replica (Redis's `expireSlaveKeys`): delete the keys
    /// its own clients wrote whose expiry has come, and forget those that
    /// are gone or have no expiry. A master (or a replica nobody wrote to)
    /// has nothing to do.
    pub fn expire_replica_written(&mut self) -> usize {
        if self.replica_written.is_empty() {
            return 0;
        }
        if !self.is_replica {
            self.replica_written.clear();
            return 0;
        }
        self.set_now(unix_ms());
        let now = self.now;
        let mut tracked = std::mem::take(&mut self.replica_written);
        let mut deleted = 0;
        tracked.retain(|(db, key)| {
            let Some(d) = self.dbs.get_mut(*db) else {
                return false;
            };
            match d.expire_of(key) {
                Some(at) if at <= now => {
                    d.remove(key);
                    self.expired.push((*db, key.clone()));
                    self.effects.expired_keys += 1;
                    // To the AOF only: a replica feeds its own replicas
                    // nothing but its master's stream.
                    self.effects
                        .propagate(Propagated::new(*db, [&b"DEL"[..], key.as_slice()]));
                    deleted += 1;
                    false
                }
                Some(_) => true,
                None => false,
            }
        });
        self.replica_written = tracked;
        deleted
    }

    /// One run of the active expiry cycle over every database, within
    /// `budget_us` microseconds (derived from hz by the caller).
    pub fn active_expire_cycle(&mut self, hz: u32) -> usize {
        if !self.active_expire || self.paused {
            return 0;
        }
        let started = std::time::Instant::now();
        let budget = std::time::Duration::from_micros(
            (CYCLE_TIME_PERCENT * 1_000_000 / u64::from(hz.max(1)) / 100).max(1),
        );
        self.set_now(unix_ms());
        let mut total = 0;
        for index in 0..self.dbs.len() {
            loop {
                let now = self.now;
                let db = &mut self.dbs[index];
                if db.expires.is_empty() {
                    break;
                }
                let mut due = Vec::new();
                let mut sampled = 0usize;
                let mut ttl_sum = 0i64;
                let mut ttl_count = 0i64;
                // Walk the expires table in cursor order, a few buckets at a
                // time, so every volatile key is eventually looked at.
                let mut buckets = 0;
                while sampled < KEYS_PER_LOOP && buckets < KEYS_PER_LOOP * 20 {
                    db.expires_cursor = db.expires.scan(db.expires_cursor, |k, &at| {
                        sampled += 1;
                        if at <= now {
                            due.push(k.to_vec());
                        } else {
                            ttl_sum += at - now;
                            ttl_count += 1;
                        }
                    });
                    buckets += 1;
                    if db.expires_cursor == 0 {
                        break;
                    }
                }
                if ttl_count > 0 {
                    let avg = ttl_sum / ttl_count;
                    // Redis's running average: mostly the old estimate.
                    db.avg_ttl = if db.avg_ttl == 0 {
                        avg
                    } else {
                        (db.avg_ttl / 50) * 49 + avg / 50
                    };
                }
                let expired = due.len();
                for key in due {
                    self.expire_if_needed(index, &key);
                }
                total += expired;
                if started.elapsed() > budget {
                    return total;
                }
                if sampled == 0 || expired * 100 / sampled <= ACCEPTABLE_STALE_PERCENT {
                    break;
                }
            }
        }
        total
    }

    /// Incremental rehashing and shrinking from the cron, bounded by
    /// `budget` (Redis gives it 1 ms per call).
    pub fn cron_rehash(&mut self, budget: std::time::Duration) {
        let started = std::time::Instant::now();
        for db in &mut self.dbs {
            db.dict.shrink_if_sparse();
            db.expires.shrink_if_sparse();
            while (db.dict.rehash(100) | db.expires.rehash(100)) && started.elapsed() < budget {}
            if started.elapsed() >= budget {
                return;
            }
        }
    }

    /// Total keys and keys with an expiry, over every database.
    pub fn totals(&self) -> (usize, usize) {
        self.dbs
            .iter()
            .fold((0, 0), |(k, e), db| (k + db.len(), e + db.expires.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        // The per-key node holds an Object; keep it compact (memory per key
        // is compared against redis-server).
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Object>(), 24);
    }

    #[test]
    fn lazy_expiry_deletes_and_propagates_del() {
        let mut ks = Keyspace::new(2);
        ks.effects.enabled = true;
        ks.dbs[1].set(b"k", Value::String(Str::from_bytes(b"v")), false);
        ks.dbs[1].set_expire(b"k", 1000);
        ks.now = 999;
        assert!(ks.lookup(1, b"k").is_some());
        ks.now = 1000;
        assert!(ks.lookup(1, b"k").is_none());
        assert_eq!(ks.effects.expired_keys, 1);
        let sent = ks.effects.take_propagated();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].db, 1);
        assert_eq!(sent[0].argv(), vec![b"DEL".to_vec(), b"k".to_vec()]);
    }

    #[test]
    fn active_cycle_removes_most_expired_keys() {
        let mut ks = Keyspace::new(1);
        for i in 0..1000 {
            let key = format!("k{i}");
            ks.dbs[0].set(key.as_bytes(), Value::String(Str::Int(i)), false);
            ks.dbs[0].set_expire(key.as_bytes(), 1);
        }
        for _ in 0..200 {
            ks.active_expire_cycle(10);
        }
        assert_eq!(ks.dbs[0].len(), 0);
        assert_eq!(ks.effects.expired_keys, 1000);
    }

    #[test]
    fn integers_are_encoded_like_redis() {
        assert_eq!(Str::from_bytes(b"12").encoding(), "int");
        assert_eq!(Str::from_bytes(b"012").encoding(), "embstr");
        assert_eq!(Str::from_bytes(&[b'a'; 45]).encoding(), "raw");
    }
}
