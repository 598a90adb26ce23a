//! The write bookkeeping of the SORT, GEO, HyperLogLog and bit-field
//! commands, in one place: a change to a key counts towards the dirty
//! counter (snapshots, propagation), invalidates WATCHes on it and wakes
//! clients blocked on it. `event` is the keyspace event Redis notifies for
//! the write ("pfadd", "setbit", "sortstore", "zadd", …).

use super::super::Server;

/// Record that `key` in `db` was written `changes` times.
pub fn key_written(srv: &mut Server, db: usize, key: &[u8], event: &'static str, changes: u64) {
    let _ = event;
    srv.ks.effects.dirty += changes;
    srv.ks.touch(db, key);
    srv.ks.waiters.signal(db, key);
}

/// Record that `key` in `db` was deleted by a write that stored nothing
/// (Redis's "del" event).
pub fn key_deleted(srv: &mut Server, db: usize, key: &[u8]) {
    srv.ks.effects.dirty += 1;
    srv.ks.touch(db, key);
}
