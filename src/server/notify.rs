//! Keyspace notifications (`notify-keyspace-events`), as Redis's notify.c:
//! a consumer of the key-change signal ([`super::signal`]), which hands it
//! every event, in order.
//!
//! An event whose class is switched on becomes up to two messages:
//! `__keyspace@<db>__:<key>` carrying the event name (`K`) and
//! `__keyevent@<db>__:<event>` carrying the key (`E`). They are queued
//! while the command runs and published through the ordinary pub/sub path
//! ([`Server::deliver_notifications`]) when it ends, and after each
//! active-expiry cycle, so subscribers get them as `message`/`pmessage`
//! (RESP2) or `>` pushes (RESP3) like any PUBLISH. With no subscriber at
//! all nothing is built.
//!
//! The classes are Redis's `NOTIFY_*` bits; `A` is `g$lshzxetd`, while `m`
//! (key misses) and `n` (new keys) must be named. `n` makes the databases
//! record the keys they gain ([`super::keyspace::track_created`]), `m`
//! makes reads record the keys they miss ([`super::keyspace::Keyspace`]'s
//! `missed`), so neither costs anything while off.

use super::Server;
use super::connection::Client;
use super::signal::{Class, Event};

/// Redis's `NOTIFY_*` bits (server.h).
pub mod bits {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const MODULE: u32 = 1 << 13;
    pub const NEW: u32 = 1 << 14;
    /// `A`: every class but key misses and new keys.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// The bits of a `notify-keyspace-events` value; None when it holds a
/// character that names no class (Redis's keyspaceEventsStringToFlags).
pub fn parse(classes: &str) -> Option<u32> {
    let mut flags = 0;
    for c in classes.chars() {
        flags |= match c {
            'A' => bits::ALL,
            'g' => bits::GENERIC,
            '$' => bits::STRING,
            'l' => bits::LIST,
            's' => bits::SET,
            'h' => bits::HASH,
            'z' => bits::ZSET,
            'x' => bits::EXPIRED,
            'e' => bits::EVICTED,
            'K' => bits::KEYSPACE,
            'E' => bits::KEYEVENT,
            't' => bits::STREAM,
            'm' => bits::KEY_MISS,
            'd' => bits::MODULE,
            'n' => bits::NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// The bit of an event class.
fn bit(class: Class) -> u32 {
    match class {
        Class::Generic => bits::GENERIC,
        Class::String => bits::STRING,
        Class::List => bits::LIST,
        Class::Set => bits::SET,
        Class::Hash => bits::HASH,
        Class::Zset => bits::ZSET,
        Class::Expired => bits::EXPIRED,
        Class::Evicted => bits::EVICTED,
        Class::Stream => bits::STREAM,
        Class::New => bits::NEW,
        Class::KeyMiss => bits::KEY_MISS,
    }
}

/// The notifications' own state.
#[derive(Default)]
pub struct Notifications {
    /// The classes switched on (0: off, the default).
    flags: u32,
    /// Messages (channel, payload) waiting for the end of the command.
    pending: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Server {
    /// Follow `notify-keyspace-events` (at start and on CONFIG SET).
    pub fn configure_notifications(&mut self) {
        let flags = parse(&self.config.notify_keyspace_events()).unwrap_or(0);
        self.notifications.flags = flags;
        let publishing = flags & (bits::KEYSPACE | bits::KEYEVENT) != 0;
        super::keyspace::track_created(publishing && flags & bits::NEW != 0);
        let misses = publishing && flags & bits::KEY_MISS != 0;
        if misses != self.ks.missed.is_some() {
            self.ks.missed = misses.then(Vec::new);
        }
    }

    /// One event of the key-change signal: queue its messages when its
    /// class is on and somebody could receive them.
    pub(super) fn notify_keyspace(&mut self, db: usize, key: &[u8], event: Event) {
        let flags = self.notifications.flags;
        if flags & bit(event.class) == 0
            || flags & (bits::KEYSPACE | bits::KEYEVENT) == 0
            || (self.pubsub.channels.is_empty() && self.pubsub.patterns.is_empty())
        {
            return;
        }
        let mut db_text = itoa::Buffer::new();
        let db_text = db_text.format(db).as_bytes();
        let channel = |kind: &[u8], tail: &[u8]| {
            let mut c = Vec::with_capacity(kind.len() + db_text.len() + 3 + tail.len());
            c.extend_from_slice(kind);
            c.extend_from_slice(db_text);
            c.extend_from_slice(b"__:");
            c.extend_from_slice(tail);
            c
        };
        let name = event.name.as_bytes();
        if flags & bits::KEYSPACE != 0 {
            let c = channel(b"__keyspace@", key);
            self.notifications.pending.push((c, name.to_vec()));
        }
        if flags & bits::KEYEVENT != 0 {
            let c = channel(b"__keyevent@", name);
            self.notifications.pending.push((c, key.to_vec()));
        }
    }

    /// Publish the queued notifications. `current` is the client whose
    /// command caused them (out of the clients table while it runs).
    pub fn deliver_notifications(&mut self, mut current: Option<&mut Client>) {
        if self.notifications.pending.is_empty() {
            return;
        }
        for (channel, message) in std::mem::take(&mut self.notifications.pending) {
            self.publish_from(current.as_deref_mut(), &channel, &message, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_parse_as_redis() {
        assert_eq!(parse(""), Some(0));
        assert_eq!(
            parse("KEA"),
            Some(bits::KEYSPACE | bits::KEYEVENT | bits::ALL)
        );
        assert_eq!(
            parse("A").map(|f| f & (bits::NEW | bits::KEY_MISS)),
            Some(0)
        );
        assert_eq!(parse("Kn"), Some(bits::KEYSPACE | bits::NEW));
        assert_eq!(parse("KEQ"), None);
    }
}
