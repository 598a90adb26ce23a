//! Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP): clients waiting for a key to get elements.
//!
//! A command that finds nothing to pop calls [`Server::block`]: the client
//! records what it waits for ([`Blocked`]: database, keys, deadline, its own
//! arguments) and joins the queue of each key in the server's
//! [`crate::server::state::blocking::Waiters`]. The event loop stops
//! executing a blocked client's input.
//!
//! A write that can add elements to a key (a push, ZADD, a *STORE, RENAME,
//! MOVE, COPY, RESTORE, SWAPDB) makes the key ready through the key-change
//! signal ([`crate::server::signal`]) when someone waits on it; after each top-level
//! command (an EXEC counts as one) [`Server::serve_ready_keys`] walks the
//! signalled keys and, per key, its waiters first-blocked first-served:
//! each waiter whose key still holds elements of the type it waits for is
//! unblocked and its command runs again — now it finds elements, pops,
//! replies and propagates like its non-blocking form. A push of one element
//! thus wakes exactly one waiter; a push of three, up to three.
//!
//! Deadlines (fractional seconds; 0 = forever) are kept ordered so the
//! loop's poll timeout is the nearest one; [`Server::expire_blocked`] gives
//! the timed-out clients Redis's null reply. A closed client is removed
//! from every queue by [`Server::unblock`]. Unblocked clients go to
//! `Server::blocking.unblocked` so the loop resumes their pipelined input.

use std::time::Instant;

use super::Server;
use super::connection::Client;
use super::state::blocking::Blocked;
use super::types::Kind;

/// Parse a blocking timeout in seconds (Redis's getTimeoutFromObjectOrReply
/// with UNIT_SECONDS): None → error replied; Some(None) → forever.
pub fn timeout_arg(client: &mut Client, arg: &[u8]) -> Option<Option<std::time::Duration>> {
    let Some(seconds) = super::numeric::parse_long_double(arg) else {
        client.reply.error("timeout is not a float or out of range");
        return None;
    };
    let ms = (seconds * 1000.0).ceil();
    // A value C's (long long) cast cannot hold ends up negative there.
    if !(ms.is_finite() && ms < 9.2e18) || ms < 0.0 {
        client.reply.error("timeout is negative");
        return None;
    }
    if ms == 0.0 {
        return Some(None);
    }
    Some(Some(std::time::Duration::from_millis(ms as u64)))
}

impl Server {
    /// Block `client` on `keys` (see the module documentation). The reply is
    /// sent when it is served or times out.
    pub fn block(
        &mut self,
        client: &mut Client,
        keys: &[&[u8]],
        kind: Kind,
        timeout: Option<std::time::Duration>,
        argv: &[&[u8]],
    ) {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut unique: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
        for key in keys {
            if !unique.iter().any(|k| k == key) {
                unique.push(key.to_vec());
            }
        }
        for key in &unique {
            self.blocking
                .waiters
                .join(client.db, key, client.id, client.slot);
        }
        if let Some(at) = deadline {
            self.blocking.deadlines.insert((at, client.id, client.slot));
        }
        let command = self.commands.find(argv[0]).unwrap_or(0);
        client.blocked = Some(Box::new(Blocked {
            db: client.db,
            keys: unique,
            kind,
            deadline,
            argv: argv.iter().map(|a| a.to_vec()).collect(),
            command,
        }));
        self.blocking.count += 1;
    }

    /// Remove `client` from every queue and the deadlines; its state is
    /// returned. Queues it for processing of its remaining input.
    pub fn unblock(&mut self, client: &mut Client) -> Option<Box<Blocked>> {
        let b = client.blocked.take()?;
        for key in &b.keys {
            self.blocking.waiters.leave(b.db, key, client.id);
        }
        if let Some(at) = b.deadline {
            self.blocking
                .deadlines
                .remove(&(at, client.id, client.slot));
        }
        self.blocking.count -= 1;
        self.blocking.unblocked.push(client.slot);
        Some(b)
    }

    /// The nearest blocking deadline.
    pub fn next_block_deadline(&self) -> Option<Instant> {
        self.blocking.deadlines.first().map(|&(at, _, _)| at)
    }

    /// Reply to clients whose timeout passed (a null array, as Redis 7.0
    /// does for every list and sorted-set wait) and unblock them.
    pub fn expire_blocked(&mut self, now: Instant) {
        while let Some(&(at, id, slot)) = self.blocking.deadlines.first() {
            if at > now {
                break;
            }
            self.blocking.deadlines.pop_first();
            let Some(mut client) = self.clients.take(slot) else {
                continue;
            };
            if client.id == id && client.blocked.is_some() {
                // Re-insert so unblock() finds and removes it consistently.
                self.blocking.deadlines.insert((at, id, slot));
                self.unblock(&mut client);
                client.reply.null_array();
                self.queue_write(&mut client);
            }
            self.clients.slots[slot] = Some(client);
        }
    }

    /// Serve the clients blocked on keys that got elements, repeatedly (a
    /// served BLMOVE may make its destination ready). See the module
    /// documentation.
    pub fn serve_ready_keys(&mut self) {
        while self.blocking.waiters.has_ready() {
            let ready = std::mem::take(&mut self.blocking.waiters.ready);
            for (db, key) in ready {
                self.serve_key(db, &key);
            }
        }
    }

    fn serve_key(&mut self, db: usize, key: &[u8]) {
        let Some(queue) = self.blocking.waiters.queues.get(&(db, key.to_vec())) else {
            return;
        };
        let candidates: Vec<(u64, usize)> = queue.iter().copied().collect();
        for (id, slot) in candidates {
            // Stream readers decide for themselves (an empty or missing
            // stream can still answer them).
            let is_stream_waiter = self
                .clients
                .slots
                .get(slot)
                .and_then(|c| c.as_ref())
                .is_some_and(|c| {
                    c.id == id && c.blocked.as_ref().is_some_and(|b| b.kind == Kind::Stream)
                });
            if is_stream_waiter {
                if let Some(mut client) = self.clients.take(slot) {
                    if super::commands::streams::serve_waiter(self, &mut client, db, key) {
                        self.queue_write(&mut client);
                    }
                    self.clients.slots[slot] = Some(client);
                }
                continue;
            }
            // A key that expired serves no one: as Redis's lookup here, it
            // is deleted, and the DEL propagated after the command that
            // made the key ready.
            if self.ks.expire_if_needed(db, key) {
                self.report_expired();
                self.deliver_notifications(None);
                let dels = self.ks.effects.take_propagated();
                self.feed.push(dels);
                return;
            }
            // Only a key that (still) holds elements serves anyone.
            let kind = match self.ks.dbs[db].dict.get(key) {
                Some(obj) if !obj.value.is_empty() => obj.value.kind(),
                _ => return,
            };
            let Some(mut client) = self.clients.take(slot) else {
                continue;
            };
            let waits_for = client.blocked.as_ref().map(|b| b.kind);
            if client.id != id || waits_for != Some(kind) {
                self.clients.slots[slot] = Some(client);
                continue;
            }
            if let Some(b) = self.unblock(&mut client) {
                let args: Vec<&[u8]> = b.argv.iter().map(Vec::as_slice).collect();
                let saved_db = client.db;
                client.db = b.db;
                self.execute(&mut client, b.command, &args, None, true);
                client.db = saved_db;
                self.queue_write(&mut client);
            }
            self.clients.slots[slot] = Some(client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_like_redis() {
        let mut c = Client::new(1, 0, None);
        assert_eq!(timeout_arg(&mut c, b"0"), Some(None));
        assert_eq!(
            timeout_arg(&mut c, b"0.0011"),
            Some(Some(std::time::Duration::from_millis(2)))
        );
        assert_eq!(timeout_arg(&mut c, b"-1"), None);
        assert_eq!(timeout_arg(&mut c, b"abc"), None);
        assert_eq!(
            String::from_utf8_lossy(&c.reply.buf),
            "-ERR timeout is negative\r\n-ERR timeout is not a float or out of range\r\n"
        );
    }
}
