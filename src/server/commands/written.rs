//! The write bookkeeping of the SORT, GEO, HyperLogLog and bit-field
//! commands, in one place, on top of the server's key-change signal.

use super::super::Server;
use super::super::signal::{Event, event};

/// Record that `key` in `db` was written `changes` times, as `event`.
pub fn key_written(srv: &mut Server, db: usize, key: &[u8], event: Event, changes: u64) {
    srv.key_changed(db, key, event, changes);
}

/// Record that `key` in `db` was deleted by a write that stored nothing.
pub fn key_deleted(srv: &mut Server, db: usize, key: &[u8]) {
    srv.key_changed(db, key, event::DEL, 1);
}
