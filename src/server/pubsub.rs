//! Pub/sub: who listens to which channel, pattern and shard channel, and
//! delivery of published messages.
//!
//! The [`Registry`] maps each channel to its subscribers (client id and
//! slot, in subscription order) and keeps patterns in the order they were
//! first subscribed; each client keeps its own lists
//! ([`Subscriptions`]). Messages are written straight into subscribers'
//! output buffers — as arrays in RESP2, push frames (`>`) in RESP3 — and a
//! subscriber whose output grows past the pub/sub class of
//! client-output-buffer-limit is closed ([`Server::check_output_limit`]).
//! Patterns match with Redis's own glob matcher ([`crate::glob`]).

use super::Server;
use super::connection::Client;
use super::state::pubsub::Subscriber;
pub use super::state::pubsub::{Registry, Subscriptions};
use crate::glob;

/// The three kinds of subscription.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

fn remove_subscriber(list: &mut Vec<Subscriber>, id: u64) {
    list.retain(|&(i, _)| i != id);
}

impl Client {
    fn subs_of(&mut self, kind: Kind) -> &mut Vec<Vec<u8>> {
        let s = self.subs.get_or_insert_with(Default::default);
        match kind {
            Kind::Channel => &mut s.channels,
            Kind::Pattern => &mut s.patterns,
            Kind::Shard => &mut s.shard_channels,
        }
    }

    /// Channel and pattern subscriptions (the count subscribe replies
    /// carry; shard channels count separately).
    pub fn subscriptions(&self) -> usize {
        self.subs.as_ref().map_or(0, |s| {
            s.channels.len() + s.patterns.len() + s.shard_channels.len()
        })
    }

    fn count_for(&self, kind: Kind) -> usize {
        self.subs.as_ref().map_or(0, |s| match kind {
            Kind::Shard => s.shard_channels.len(),
            _ => s.channels.len() + s.patterns.len(),
        })
    }

    /// RESP2 subscribed mode: only (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET.
    pub fn in_pubsub_context(&self) -> bool {
        self.pubsub_mode && !self.reply.resp3
    }

    /// The `(un)subscribe`-style confirmation: kind word, name (or null),
    /// count.
    fn confirm(&mut self, word: &[u8], name: Option<&[u8]>, count: usize) {
        let start = self.reply.buf.len();
        self.confirm_frame(word, name, count);
        let end = self.reply.buf.len();
        self.reply.pushes.push((start, end));
    }

    fn confirm_frame(&mut self, word: &[u8], name: Option<&[u8]>, count: usize) {
        self.reply.push(3);
        self.reply.bulk(word);
        match name {
            Some(n) => self.reply.bulk(n),
            None => self.reply.null(),
        }
        self.reply.int(count as i64);
    }
}

impl Server {
    /// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE one name.
    pub fn subscribe(&mut self, client: &mut Client, kind: Kind, name: &[u8]) {
        let me = (client.id, client.slot);
        if !client.subs_of(kind).iter().any(|n| n == name) {
            client.subs_of(kind).push(name.to_vec());
            match kind {
                Kind::Channel => self
                    .pubsub
                    .channels
                    .entry(name.to_vec())
                    .or_default()
                    .push(me),
                Kind::Shard => self
                    .pubsub
                    .shard_channels
                    .entry(name.to_vec())
                    .or_default()
                    .push(me),
                Kind::Pattern => match self.pubsub.patterns.iter_mut().find(|(p, _)| p == name) {
                    Some((_, list)) => list.push(me),
                    None => self.pubsub.patterns.push((name.to_vec(), vec![me])),
                },
            }
        }
        client.pubsub_mode = true;
        let count = client.count_for(kind);
        client.confirm(kind.subscribe_word(), Some(name), count);
    }

    /// Unsubscribe one name; confirms when `notify`. True when it was
    /// subscribed.
    pub fn unsubscribe(
        &mut self,
        client: &mut Client,
        kind: Kind,
        name: &[u8],
        notify: bool,
    ) -> bool {
        let subs = client.subs_of(kind);
        let found = match subs.iter().position(|n| n == name) {
            Some(i) => {
                subs.remove(i);
                true
            }
            None => false,
        };
        if found {
            let id = client.id;
            match kind {
                Kind::Channel | Kind::Shard => {
                    let map = if kind == Kind::Channel {
                        &mut self.pubsub.channels
                    } else {
                        &mut self.pubsub.shard_channels
                    };
                    if let Some(list) = map.get_mut(name) {
                        remove_subscriber(list, id);
                        if list.is_empty() {
                            map.remove(name);
                        }
                    }
                }
                Kind::Pattern => {
                    if let Some(i) = self.pubsub.patterns.iter().position(|(p, _)| p == name) {
                        remove_subscriber(&mut self.pubsub.patterns[i].1, id);
                        if self.pubsub.patterns[i].1.is_empty() {
                            self.pubsub.patterns.remove(i);
                        }
                    }
                }
            }
        }
        if notify {
            let count = client.count_for(kind);
            client.confirm(kind.unsubscribe_word(), Some(name), count);
        }
        found
    }

    /// Unsubscribe from every name of `kind` (UNSUBSCRIBE with no
    /// argument, RESET, closing). With `notify` and nothing subscribed,
    /// one confirmation with a null name is still sent.
    pub fn unsubscribe_all(&mut self, client: &mut Client, kind: Kind, notify: bool) {
        let names = std::mem::take(client.subs_of(kind));
        let none = names.is_empty();
        *client.subs_of(kind) = names.clone();
        for name in &names {
            self.unsubscribe(client, kind, name, notify);
        }
        if notify && none {
            let count = client.count_for(kind);
            client.confirm(kind.unsubscribe_word(), None, count);
        }
        self.leave_pubsub_mode_if_idle(client);
    }

    /// Drop the subscribed flag once nothing is subscribed.
    pub fn leave_pubsub_mode_if_idle(&mut self, client: &mut Client) {
        if client.subscriptions() == 0 {
            client.pubsub_mode = false;
            client.subs = None;
        }
    }

    /// Deliver `message` on `channel` to its subscribers and the matching
    /// patterns' (or, for `shard`, to the shard channel's); returns how
    /// many received it. `current` is the publishing client (out of the
    /// clients table while it runs, yet possibly a subscriber in RESP3).
    pub fn publish(
        &mut self,
        current: &mut Client,
        channel: &[u8],
        message: &[u8],
        shard: bool,
    ) -> usize {
        self.publish_from(Some(current), channel, message, shard)
    }

    /// [`Server::publish`], with or without a client out of the table
    /// (keyspace notifications of the active expiry cycle have none).
    pub fn publish_from(
        &mut self,
        mut current: Option<&mut Client>,
        channel: &[u8],
        message: &[u8],
        shard: bool,
    ) -> usize {
        let mut deliveries: Vec<(Subscriber, Option<Vec<u8>>)> = Vec::new();
        let direct = if shard {
            self.pubsub.shard_channels.get(channel)
        } else {
            self.pubsub.channels.get(channel)
        };
        if let Some(list) = direct {
            deliveries.extend(list.iter().map(|&s| (s, None)));
        }
        if !shard {
            for (pattern, list) in &self.pubsub.patterns {
                if glob::matches(pattern, channel) {
                    deliveries.extend(list.iter().map(|&s| (s, Some(pattern.clone()))));
                }
            }
        }
        let word: &[u8] = if shard { b"smessage" } else { b"message" };
        for &((id, slot), ref pattern) in &deliveries {
            let write = |c: &mut Client| {
                match pattern {
                    None => {
                        c.reply.push(3);
                        c.reply.bulk(word);
                    }
                    Some(p) => {
                        c.reply.push(4);
                        c.reply.bulk(b"pmessage");
                        c.reply.bulk(p);
                    }
                }
                c.reply.bulk(channel);
                c.reply.bulk(message);
            };
            if let Some(current) = current.as_deref_mut()
                && slot == current.slot
                && id == current.id
            {
                let start = current.reply.buf.len();
                write(current);
                let end = current.reply.buf.len();
                current.reply.pushes.push((start, end));
                continue;
            }
            let Some(mut c) = self.clients.take(slot) else {
                continue;
            };
            if c.id == id && !c.close_asap {
                write(&mut c);
                self.check_output_limit(&mut c);
                self.queue_write(&mut c);
            }
            self.clients.slots[slot] = Some(c);
        }
        deliveries.len()
    }

    /// Forget every subscription of a client that is going away.
    pub fn drop_subscriptions(&mut self, client: &mut Client) {
        if client.subs.is_none() {
            return;
        }
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            self.unsubscribe_all(client, kind, false);
        }
    }
}

/// Channels of `map` matching `pattern` (all without one).
pub fn channel_list<'a>(
    map: &'a std::collections::HashMap<Vec<u8>, Vec<Subscriber>>,
    pattern: Option<&[u8]>,
) -> Vec<&'a [u8]> {
    map.keys()
        .map(Vec::as_slice)
        .filter(|c| pattern.is_none_or(|p| glob::matches(p, c)))
        .collect()
}
