//! maxmemory: the used-memory figure, key eviction by `maxmemory-policy`,
//! and the `-OOM` refusal, as Redis's evict.c.
//!
//! # What "used memory" counts
//!
//! One number serves INFO `used_memory`, MEMORY STATS and eviction: the
//! bytes currently allocated through the process's global allocator
//! ([`super::memory::allocated`], mimalloc wrapped with a counter; each
//! block counted at its size class, as Redis counts usable sizes). It
//! includes everything the server holds: keys and values, the hash tables'
//! bucket arrays, client query and output buffers, the replication backlog,
//! replica output buffers, the AOF buffer, pub/sub and blocking registries,
//! the Lua heap. It does not include allocator fragmentation or the
//! binary's static memory (those are in `used_memory_rss`). MEMORY USAGE
//! estimates one key's share of the same figure.
//!
//! For the eviction decision, as Redis's freeMemoryGetNotCountedMemory,
//! the output buffers of replicas (the replication stream not yet written
//! to them, and what is held for them while their snapshot is prepared)
//! and the AOF buffer are subtracted: evicting keys makes those grow (each
//! eviction is a `DEL` to propagate), so counting them would feed back
//! into more eviction. INFO shows that part as `mem_not_counted_for_evict`.
//! Other clients' output counts only until written: a drained output buffer
//! keeps at most 16 KiB ([`super::reply::REPLY_KEPT`]), so the
//! invalidations an eviction sends to tracking clients leave `used_memory`
//! once sent instead of asking for more eviction.
//!
//! # Eviction
//!
//! Before each command (in `Server::check`, once per command) and from a
//! timer while a previous round ran out of time, [`Server::perform_evictions`]
//! compares the figure with `maxmemory`. Over it, under a policy other than
//! `noeviction`, it deletes keys until enough memory was freed:
//!
//! - `*-lru`, `*-lfu` and `volatile-ttl` sample `maxmemory-samples` keys of
//!   each database (every key, or only those with a time to live for
//!   `volatile-*`) into a 16-entry pool kept sorted by score — idle time
//!   from the 24-bit LRU clock, 255 minus the decayed LFU counter, or the
//!   nearness of the expiry — and evict the best candidate of the pool;
//! - `*-random` evict a random key, visiting the databases in turn.
//!
//! A round stops once its deletions freed the excess, measured around each
//! deletion only (as Redis measures around dbSyncDelete): the pool's key
//! copies and the invalidations, notifications and propagation an eviction
//! causes do not count against it. Each eviction is a deletion (on the lazy-free thread with
//! `lazyfree-lazy-eviction`), counted in INFO `evicted_keys`, signalled on
//! the key-change signal as the `evicted` event (WATCH, notifications) and
//! propagated to the AOF and replicas as `DEL` (or `UNLINK`). A round stops
//! after the time `maxmemory-eviction-tenacity` allows and continues from
//! the event loop's timer. With nothing left to evict, or under
//! `noeviction`, commands flagged deny-oom (and anything queued inside
//! MULTI) are refused with `-OOM`. Replicas ignore maxmemory by default
//! (`replica-ignore-maxmemory`): their master's DELs keep them in step.
//! Nothing is evicted while loading or while clients are paused.

use std::time::Instant;

use super::config::Policy;
use super::keyspace::Object;
use super::propagate::Propagated;
use super::signal::event;
use super::{Server, access, lazyfree, memory};

/// The eviction pool's size (Redis's EVPOOL_SIZE).
const POOL_SIZE: usize = 16;

/// The `-OOM` refusal.
pub const OOM_ERROR: &str = "-OOM command not allowed when used memory > 'maxmemory'.";

/// One candidate of the pool: a score (higher is evicted first), the key
/// and its database.
struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// Key buffers longer than this are not kept for reuse (Redis's
/// EVPOOL_CACHED_SDS_SIZE).
const SPARE_KEY_CAPACITY: usize = 255;

/// A key [`Server::take_victim`] removed: its database, name and value,
/// and the allocated bytes just before its removal.
struct Victim {
    db: usize,
    key: Vec<u8>,
    obj: Object,
    before: usize,
}

/// Eviction state and statistics.
#[derive(Default)]
pub struct Eviction {
    /// Candidates sorted by ascending score (the best is last).
    pool: Vec<Candidate>,
    /// Key buffers of candidates gone (evicted, dropped from the pool),
    /// reused for the next ones: sampling allocates nothing once warm, as
    /// Redis's pool keeps a cached string per entry.
    spare: Vec<Vec<u8>>,
    /// The database the random policies try next.
    next_db: usize,
    /// Keys evicted since start (INFO evicted_keys).
    pub evicted_keys: u64,
    /// Clients closed by client eviction (INFO evicted_clients).
    pub evicted_clients: u64,
    /// A round ran out of time: the event loop continues it without
    /// sleeping (Redis's eviction time proc).
    pub timer: bool,
}

/// The outcome of [`Server::perform_evictions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or eviction does not apply now).
    Ok,
    /// Out of time before getting under the limit: the timer continues.
    Running,
    /// Over the limit with nothing (allowed) left to evict.
    Fail,
}

impl Eviction {
    /// Offer a sampled key to the pool: kept when the pool has room or the
    /// key scores above its worst candidate, which then leaves.
    fn insert(&mut self, score: u64, db: usize, key: &[u8]) {
        if !self.wants(score) {
            return;
        }
        let full = self.pool.len() == POOL_SIZE;
        if self
            .pool
            .iter()
            .any(|c| c.db == db && c.key.as_slice() == key)
        {
            return;
        }
        let mut at = self.pool.partition_point(|c| c.score < score);
        if full {
            // Drop the worst candidate to make room.
            let worst = self.pool.remove(0);
            self.recycle(worst.key);
            at -= 1;
        }
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(key);
        self.pool.insert(
            at,
            Candidate {
                score,
                db,
                key: buf,
            },
        );
    }

    /// Whether a key scoring `score` would enter the pool: it has room, or
    /// the key beats its worst candidate.
    fn wants(&self, score: u64) -> bool {
        self.pool.len() < POOL_SIZE || self.pool.first().is_some_and(|c| score > c.score)
    }

    /// Keep a key buffer for the next candidate.
    fn recycle(&mut self, key: Vec<u8>) {
        if key.capacity() <= SPARE_KEY_CAPACITY && self.spare.len() <= POOL_SIZE {
            self.spare.push(key);
        }
    }
}

/// How long one eviction round may run (Redis's evictionTimeLimitUs):
/// linear up to 500 µs at tenacity 10, then 15% more per step, unlimited
/// at 100.
fn time_limit_us(tenacity: u32) -> u64 {
    match tenacity {
        0..=10 => 50 * u64::from(tenacity),
        11..=99 => (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        _ => u64::MAX,
    }
}

impl Server {
    /// Memory that does not count for eviction: replica output buffers and
    /// the AOF buffer (see the module documentation).
    pub fn memory_not_counted_for_evict(&self) -> usize {
        if !self.feed.repl.active && !self.feed.aof.active && self.replication.upstream.is_none() {
            // No replica now and no AOF: only the replication buffer the
            // replicas that went left behind, until it is trimmed.
            return self.replication_buffer_beyond_backlog();
        }
        // Each buffer as the allocator counts it (its size class).
        let held = |capacity: usize| {
            if capacity == 0 {
                0
            } else {
                memory::charged(capacity)
            }
        };
        let replicas: usize = self
            .clients
            .iter()
            .filter(|c| c.replica.is_some())
            .map(|c| held(c.reply.buf.capacity()))
            .sum();
        replicas
            + self.replication_buffer_beyond_backlog()
            + held(self.feed.aof.buf.capacity())
            + held(self.feed.repl.buf.capacity())
    }

    /// The replication buffer beyond the backlog's configured size: the
    /// stream kept for lagging replicas (also once they are gone, until it
    /// is trimmed, so that freeing it causes no eviction loop, as Redis).
    fn replication_buffer_beyond_backlog(&self) -> usize {
        self.replication
            .backlog
            .as_ref()
            .map_or(0, super::replication::backlog::Backlog::beyond_size)
    }

    /// Bytes the output buffers of replicas hold (INFO mem_clients_slaves):
    /// their own buffers, and the replication buffer beyond the backlog's
    /// size while there are replicas (Redis's split of the shared buffer).
    pub fn memory_of_replicas(&self) -> usize {
        let own: usize = self
            .clients
            .iter()
            .filter(|c| c.replica.is_some())
            .map(|c| c.reply.buf.capacity() + c.query.capacity())
            .sum();
        let shared = match &self.replication.backlog {
            Some(b) if super::replication::has_replicas(self) => {
                b.memory().saturating_sub(b.size())
            }
            _ => 0,
        };
        own + shared
    }

    /// Bytes the buffers of the other clients hold (INFO mem_clients_normal).
    pub fn memory_of_clients(&self) -> usize {
        self.clients
            .iter()
            .filter(|c| c.replica.is_none())
            .map(super::connection::Client::memory)
            .sum()
    }

    /// Used memory as eviction sees it, and whether it is over maxmemory
    /// (`None` when there is no limit).
    pub fn memory_state(&self) -> Option<(usize, bool)> {
        let limit = self.config.maxmemory as usize;
        if limit == 0 {
            return None;
        }
        let reported = memory::allocated();
        if reported <= limit {
            return Some((reported, false));
        }
        let used = reported.saturating_sub(self.memory_not_counted_for_evict());
        Some((used, used > limit))
    }

    /// Whether eviction may run now (not while loading, paused, or as a
    /// replica that ignores maxmemory).
    fn eviction_allowed(&self) -> bool {
        if self.ks.loading || self.ks.paused {
            return false;
        }
        !(self.replication.upstream.is_some() && self.config.replica_ignore_maxmemory)
    }

    /// Evict keys until used memory is under maxmemory or the round's time
    /// is up (see the module documentation).
    pub fn perform_evictions(&mut self) -> Outcome {
        if !self.eviction_allowed() {
            return Outcome::Ok;
        }
        let Some((used, true)) = self.memory_state() else {
            return Outcome::Ok;
        };
        let policy = self.config.maxmemory_policy;
        if policy == Policy::NoEviction {
            return Outcome::Fail;
        }
        let to_free = (used - self.config.maxmemory as usize) as i64;
        let limit_us = time_limit_us(self.config.maxmemory_eviction_tenacity);
        // Most rounds evict one key: the clock is read only when the
        // latency monitor wants the round's duration, and otherwise first
        // when the time limit is checked (after 16 evictions, as Redis
        // checks it), so a cut round may run those 16 evictions longer.
        let mut started = (self.config.latency_monitor_threshold > 0).then(Instant::now);
        let lazy = self.config.lazyfree.eviction;
        self.ks.effects.enabled = self.feed.is_consumed();
        let mut freed: i64 = 0;
        let mut evicted = 0u64;
        let mut outcome = Outcome::Ok;
        while freed < to_free {
            let Some(Victim {
                db,
                key,
                obj,
                before,
            }) = self.take_victim(policy)
            else {
                outcome = Outcome::Fail;
                break;
            };
            if lazy {
                lazyfree::free_value(obj.value);
            } else {
                drop(obj);
            }
            // Only what the deletion gave back counts (as Redis measures
            // around dbSyncDelete): the pool's own buffers come and go.
            freed += before as i64 - memory::allocated() as i64;
            self.eviction.evicted_keys += 1;
            self.key_changed(db, &key, event::EVICTED, 0);
            if self.ks.effects.enabled {
                let command: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
                self.ks
                    .effects
                    .propagate(Propagated::new(db, [command, &key]));
            }
            self.eviction.recycle(key);
            evicted += 1;
            if evicted.is_multiple_of(16) {
                if lazy && self.memory_state().is_some_and(|(_, over)| !over) {
                    break;
                }
                let since = *started.get_or_insert_with(Instant::now);
                if since.elapsed().as_micros() as u64 > limit_us {
                    self.eviction.timer = true;
                    outcome = Outcome::Running;
                    break;
                }
            }
        }
        if outcome == Outcome::Ok {
            self.eviction.timer = false;
        }
        if outcome == Outcome::Fail && lazy {
            // Values may still be on their way out on the free thread.
            let since = *started.get_or_insert_with(Instant::now);
            while lazyfree::pending() > 0 && (since.elapsed().as_micros() as u64) < limit_us {
                if self.memory_state().is_some_and(|(_, over)| !over) {
                    outcome = Outcome::Ok;
                    break;
                }
                std::thread::sleep(std::time::Duration::from_micros(limit_us.min(1000)));
            }
        }
        if evicted > 0 {
            let entries = self.ks.effects.take_propagated();
            self.feed.push(entries);
            self.deliver_notifications(None);
            if let Some(since) = started {
                self.latency_sample("eviction-cycle", since.elapsed());
            }
        }
        outcome
    }

    /// Remove the next key to evict under `policy` from its database and
    /// return it with its value, or None when there is none left.
    fn take_victim(&mut self, policy: Policy) -> Option<Victim> {
        let all = policy.all_keys();
        if matches!(policy, Policy::AllkeysRandom | Policy::VolatileRandom) {
            let count = self.ks.dbs.len();
            for _ in 0..count {
                self.eviction.next_db = (self.eviction.next_db + 1) % count;
                let index = self.eviction.next_db;
                let db = &self.ks.dbs[index];
                let picked = if all {
                    db.dict.random(&mut self.ks.rng).map(|(k, _)| k.to_vec())
                } else {
                    db.expires.random(&mut self.ks.rng).map(|(k, _)| k.to_vec())
                };
                if let Some(key) = picked {
                    let before = memory::allocated();
                    if let Some(obj) = self.ks.dbs[index].remove(&key) {
                        return Some(Victim {
                            db: index,
                            key,
                            obj,
                            before,
                        });
                    }
                }
            }
            return None;
        }
        let samples = self.config.maxmemory_samples.max(1);
        loop {
            if !self.populate_pool(policy, samples) {
                return None;
            }
            // Best first; a candidate deleted (or, for `volatile-*`, made
            // persistent) since it was sampled is a ghost and skipped.
            while let Some(best) = self.eviction.pool.pop() {
                let db = &mut self.ks.dbs[best.db];
                let before = memory::allocated();
                let obj = if all || db.expires.contains_key(&best.key) {
                    db.remove(&best.key)
                } else {
                    None
                };
                match obj {
                    Some(obj) => {
                        return Some(Victim {
                            db: best.db,
                            key: best.key,
                            obj,
                            before,
                        });
                    }
                    None => self.eviction.recycle(best.key),
                }
            }
        }
    }

    /// Sample `samples` keys of each database (every key, or those with a
    /// time to live under `volatile-*`) into the pool, scored by `policy`
    /// (Redis's evictionPoolPopulate). False when there is no key to
    /// sample.
    fn populate_pool(&mut self, policy: Policy, samples: usize) -> bool {
        let all = policy.all_keys();
        let lfu = policy.is_lfu();
        let eviction = &mut self.eviction;
        let rng = &mut self.ks.rng;
        let score = |obj: &Object| -> u64 {
            if lfu {
                255 - u64::from(access::decayed_counter(obj.lru))
            } else {
                access::idle_seconds(obj.lru) * 1000
            }
        };
        let mut total = 0;
        for (index, db) in self.ks.dbs.iter().enumerate() {
            if all {
                if db.dict.is_empty() {
                    continue;
                }
                total += db.dict.len();
                db.dict.sample(rng, samples, |node| {
                    let value = score(node.value());
                    if eviction.wants(value) {
                        eviction.insert(value, index, node.key());
                    }
                });
            } else {
                if db.expires.is_empty() {
                    continue;
                }
                total += db.expires.len();
                db.expires.sample(rng, samples, |node| {
                    let key = node.key();
                    let value = if policy == Policy::VolatileTtl {
                        u64::MAX - (*node.value()).max(0) as u64
                    } else {
                        db.dict.get(key).map_or(0, score)
                    };
                    eviction.insert(value, index, key);
                });
            }
        }
        total > 0
    }

    /// Keep evicting from the event loop while a round ran out of time.
    pub fn eviction_timer(&mut self) {
        if self.eviction.timer && self.perform_evictions() != Outcome::Running {
            self.eviction.timer = false;
        }
    }

    /// maxmemory was set: warn when already over it, and evict from the
    /// event loop (not inside the CONFIG SET, which may run inside MULTI).
    pub fn maxmemory_changed(&mut self) {
        super::dict::set_growth_limit(self.config.maxmemory as usize);
        if self.config.maxmemory == 0 {
            return;
        }
        let used = memory::allocated().saturating_sub(self.memory_not_counted_for_evict());
        if (self.config.maxmemory as usize) < used {
            self.log.warning(
                &format!(
                    "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than \
                     the current memory usage ({used}). This will result in key eviction and/or \
                     the inability to accept new write commands depending on the \
                     maxmemory-policy.",
                    self.config.maxmemory
                ),
                &[],
            );
        }
        self.eviction.timer = true;
    }

    /// The memory all normal and pub/sub clients may hold together
    /// (maxmemory-clients: bytes, or a percentage of maxmemory); 0: no
    /// limit.
    pub fn client_memory_limit(&self) -> usize {
        let value = self.config.maxmemory_clients;
        if value < 0 {
            (self.config.maxmemory as u128 * u128::from(value.unsigned_abs()) / 100) as usize
        } else {
            value as usize
        }
    }

    /// Client eviction: while normal and pub/sub clients together hold more
    /// than maxmemory-clients, close the biggest one that may be evicted
    /// (not CLIENT NO-EVICT, not already closing). Run by the event loop
    /// before it sleeps and when the limit changes; the client executing a
    /// command is out of the table then and is looked at on the next round.
    pub fn evict_clients(&mut self) {
        let limit = self.client_memory_limit();
        if limit == 0 {
            return;
        }
        let counted = |c: &super::connection::Client| {
            c.stream.is_some() && !c.is_master && c.replica.is_none()
        };
        let mut total: usize = self
            .clients
            .iter()
            .filter(|c| counted(c) && !c.close_asap)
            .map(super::connection::Client::memory)
            .sum();
        while total > limit {
            let victim = self
                .clients
                .iter()
                .filter(|c| counted(c) && !c.close_asap && !c.no_evict)
                .map(|c| (c.memory(), c.slot))
                .max();
            let Some((size, slot)) = victim else {
                return;
            };
            if let Some(c) = self.clients.get_mut(slot) {
                self.log.verbose(
                    "Evicting client",
                    &[
                        ("addr", crate::output::log::Field::Str(&c.addr())),
                        ("tot-mem", crate::output::log::Field::Int(size as i64)),
                    ],
                );
            }
            self.eviction.evicted_clients += 1;
            // Closed now, as Redis frees an evicted client at once: a
            // CLIENT LIST running next no longer shows it.
            if let Some(c) = self.clients.take(slot) {
                let registry = self.replication.registry.take();
                self.free_client(c, registry.as_ref());
                self.replication.registry = registry;
            }
            total -= size;
        }
    }

    /// maxmemory-policy or the LFU parameters changed: stamp accesses
    /// accordingly from now on.
    pub fn access_changed(&mut self) {
        self.ks.lazy_expire = self.config.lazyfree.expire;
        access::configure(
            self.config.maxmemory_policy.is_lfu(),
            self.config.lfu_log_factor,
            self.config.lfu_decay_time,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_keeps_the_best_sixteen_in_order() {
        let mut e = Eviction::default();
        for score in [5u64, 1, 9, 3, 7] {
            e.insert(score, 0, format!("k{score}").as_bytes());
        }
        e.insert(9, 0, b"k9");
        let scores: Vec<u64> = e.pool.iter().map(|c| c.score).collect();
        assert_eq!(scores, vec![1, 3, 5, 7, 9]);
        for score in 100..120u64 {
            e.insert(score, 1, format!("x{score}").as_bytes());
        }
        assert_eq!(e.pool.len(), POOL_SIZE);
        assert_eq!(e.pool.first().map(|c| c.score), Some(104));
        assert_eq!(e.pool.last().map(|c| c.score), Some(119));
        e.insert(2, 0, b"low");
        assert_eq!(e.pool.first().map(|c| c.score), Some(104));
    }

    #[test]
    fn tenacity_maps_to_redis_time_limits() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert_eq!(time_limit_us(100), u64::MAX);
    }
}
