//! The one client output policy: which clients have output to write
//! ([`WriteQueue`]), and how much output a client may hold before it is
//! closed (client-output-buffer-limit by client class: [`Class`],
//! [`over_limit`]).
//!
//! Everything that adds output for a client — a reply, a published
//! message, a MONITOR line, the replication stream, a WAIT answer —
//! queues the client here; the event loop writes the queued clients before
//! it sleeps. Everything that may grow a client's output checks the limit
//! of its class here; a client past it is closed by
//! [`crate::server::Server::close_over_limit`].

use std::time::Instant;

use super::config::{Config, OutputLimit};
use super::connection::Client;
use super::replication::backlog::Backlog;

/// The client-output-buffer-limit classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Normal,
    Replica,
    Pubsub,
}

impl Class {
    /// A client's class: an attached replica, a subscriber, or normal
    /// (MONITOR clients count as normal, as in Redis).
    pub fn of(client: &Client) -> Class {
        if client.replica.as_deref().is_some_and(|d| d.attached()) {
            Class::Replica
        } else if client.subscriptions() > 0 {
            Class::Pubsub
        } else {
            Class::Normal
        }
    }

    /// The configured limit of the class.
    pub fn limit(self, config: &Config) -> OutputLimit {
        match self {
            Class::Normal => config.output_limit,
            // A hard limit below the backlog size would drop a replica
            // right after a partial resync it was granted; it counts as
            // the backlog size (as in Redis; the memory is shared anyway).
            Class::Replica => {
                let mut limit = config.replica_output_limit;
                if limit.hard > 0 {
                    limit.hard = limit.hard.max(config.repl_backlog_size);
                }
                limit
            }
            Class::Pubsub => config.pubsub_output_limit,
        }
    }

    /// The class name the log and CLIENT LIST use.
    pub fn name(self) -> &'static str {
        match self {
            Class::Normal => "normal",
            Class::Replica => "replica",
            Class::Pubsub => "pubsub",
        }
    }
}

/// The output a client holds: its unsent replies plus, for a replica, its
/// share of the replication buffer (the stream kept for it).
pub fn held(client: &Client, backlog: Option<&Backlog>) -> u64 {
    let share = match (&client.replica, backlog) {
        (Some(_), Some(b)) => b.share(client.id),
        _ => 0,
    };
    (client.reply.pending() + share) as u64
}

/// Whether `client`, holding `used` bytes, is past `limit`: at or over the
/// hard limit, or over the soft limit for its number of seconds (the time
/// it went over is kept on the client, and forgotten when it drops below).
pub fn over_limit(client: &mut Client, limit: OutputLimit, used: u64) -> bool {
    let hard = limit.hard > 0 && used >= limit.hard;
    let soft = if limit.soft > 0 && used >= limit.soft {
        let since = *client.soft_limit_since.get_or_insert_with(Instant::now);
        since.elapsed().as_secs() >= limit.soft_seconds
    } else {
        client.soft_limit_since = None;
        false
    };
    hard || soft
}

/// The clients with output to write before the loop sleeps, each once.
#[derive(Default)]
pub struct WriteQueue {
    slots: Vec<usize>,
}

impl WriteQueue {
    /// Queue `client` for writing (once until it is written).
    #[inline]
    pub fn queue(&mut self, client: &mut Client) {
        if !client.pending_write {
            client.pending_write = true;
            self.slots.push(client.slot);
        }
    }

    /// Queue the client in `slot` whatever its flag says (a client marked
    /// for closing is written, that is closed, even when already queued).
    pub fn queue_slot(&mut self, slot: usize) {
        if !self.slots.contains(&slot) {
            self.slots.push(slot);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The queued slots, emptying the queue.
    pub fn take(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.slots)
    }
}
