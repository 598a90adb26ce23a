//! Pub/sub state: the server's [`Registry`] (channel → subscribers, by
//! client id and slot) and a client's own [`Subscriptions`]. Data only:
//! subscribing and delivery are [`crate::server::pubsub`]'s.

use std::collections::HashMap;

/// A subscriber: client id and slot.
pub type Subscriber = (u64, usize);

/// The server side of pub/sub.
#[derive(Default)]
pub struct Registry {
    pub channels: HashMap<Vec<u8>, Vec<Subscriber>>,
    /// Pattern → subscribers, in first-subscription order.
    pub patterns: Vec<(Vec<u8>, Vec<Subscriber>)>,
    pub shard_channels: HashMap<Vec<u8>, Vec<Subscriber>>,
}

/// A client's subscriptions.
#[derive(Default, Debug)]
pub struct Subscriptions {
    pub channels: Vec<Vec<u8>>,
    pub patterns: Vec<Vec<u8>>,
    pub shard_channels: Vec<Vec<u8>>,
}

impl Registry {
    /// Distinct channels plus distinct patterns (INFO pubsub_channels is
    /// the first, pubsub_patterns the second).
    pub fn numpat(&self) -> usize {
        self.patterns.len()
    }
}
