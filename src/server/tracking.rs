//! Client-side caching (CLIENT TRACKING), as Redis 7.0's tracking.c: which
//! clients may hold which keys, and the invalidation messages they get when
//! those keys change.
//!
//! Two tables, both global across databases as in Redis:
//!
//! - the tracking table: key → the clients (id and slot) that read it while
//!   tracking in the default mode. A read-only command run by such a client
//!   records its keys ([`Server::tracking_after_read`], found through the
//!   command table's key specifications); a change to the key sends each
//!   recorded client one invalidation and forgets the entry. Ids of clients
//!   that turned tracking off or left are dropped lazily, as Redis does;
//!   `tracking-table-max-keys` bounds the entries: past it, random entries
//!   are invalidated as if their keys had changed
//!   ([`Server::tracking_limit`]).
//! - the prefix table of BCAST mode: prefix → the clients subscribed to it
//!   and the keys under it changed since the event loop last slept; the
//!   loop sends them as one array per prefix
//!   ([`Server::tracking_broadcast`]).
//!
//! This is a consumer of the key-change signal ([`super::signal`]): every
//! change but `new` and `keymiss` invalidates its key (expired and evicted
//! keys included); FLUSHDB/FLUSHALL send every tracking client a null,
//! meaning "everything".
//!
//! Delivery follows the client's protocol: a RESP3 client gets a push
//! `>2 invalidate [keys]`; a client with REDIRECT has its messages sent to
//! the other client instead — a push when that one speaks RESP3, a
//! `message` on `__redis__:invalidate` when it is a subscribed RESP2
//! client, nothing otherwise; when the redirect client is gone, a RESP3
//! tracking client gets `tracking-redir-broken`. Messages for the client
//! whose command is running (or whose redirect target it is) wait until its
//! reply is written, so they never interleave with a reply (MULTI/EXEC and
//! scripts included).

use std::collections::{BTreeMap, BTreeSet};

use super::Server;
use super::command::flags;
use super::connection::Client;
use super::dict::{Dict, Rng};

/// The channel RESP2 redirect clients receive invalidations on.
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

/// A tracking client's own state (Redis's CLIENT_TRACKING_* flags,
/// redirection and prefixes).
#[derive(Debug, Default)]
pub struct ClientTracking {
    /// Client id invalidations go to (0: this client).
    pub redirect: u64,
    /// Slot of the redirect client when tracking was enabled.
    redirect_slot: usize,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING yes (OPTIN) / no (OPTOUT) for the next command.
    pub caching: bool,
    /// The redirect client has gone.
    pub broken_redirect: bool,
    /// BCAST prefixes, sorted.
    pub prefixes: BTreeSet<Vec<u8>>,
}

/// The options of CLIENT TRACKING ON.
#[derive(Debug, Default)]
pub struct Options {
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    pub prefixes: Vec<Vec<u8>>,
}

/// One BCAST prefix: its clients and the keys changed under it.
#[derive(Default)]
struct Prefix {
    /// Changed key → the id of the client that changed it last (none for
    /// expiry and eviction), for NOLOOP.
    keys: BTreeMap<Vec<u8>, Option<u64>>,
    /// Client id → slot.
    clients: BTreeMap<u64, usize>,
}

/// What an invalidation says.
#[derive(Clone, Debug)]
enum Payload {
    /// One key: `*1 $key`.
    Key(Vec<u8>),
    /// Every key (after a flush): a RESP null.
    All,
    /// An already encoded array of keys (BCAST).
    Keys(Vec<u8>),
}

/// The tracking state of the server.
pub struct Tracking {
    /// Clients with tracking on (INFO tracking_clients).
    pub clients: usize,
    /// Key → (client id, slot) of the clients that may cache it.
    table: Dict<Vec<(u64, usize)>>,
    /// Client entries across the table (INFO tracking_total_items).
    items: u64,
    prefixes: BTreeMap<Vec<u8>, Prefix>,
    /// The client whose request is being processed (out of the clients
    /// table meanwhile): its messages wait in `pending`.
    current: Option<(u64, usize)>,
    /// Depth of nested command execution (EXEC, scripts).
    depth: u32,
    /// A read ran in a nested context of another client (a script's): the
    /// outer command's keys are recorded for the caller when it ends.
    nested_read: bool,
    /// Messages waiting for the current client's reply: (tracking client
    /// id, its slot, what to say).
    pending: Vec<(u64, usize, Payload)>,
    /// Consecutive limit runs that could not get under the limit (Redis's
    /// timeout_counter: the effort grows with it).
    over_limit_runs: u32,
    rng: Rng,
}

impl Default for Tracking {
    fn default() -> Tracking {
        Tracking {
            clients: 0,
            table: Dict::new(),
            items: 0,
            prefixes: BTreeMap::new(),
            current: None,
            depth: 0,
            nested_read: false,
            pending: Vec::new(),
            over_limit_runs: 0,
            rng: Rng::from_entropy(),
        }
    }
}

impl Tracking {
    /// INFO tracking_total_keys.
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    /// INFO tracking_total_items.
    pub fn total_items(&self) -> u64 {
        self.items
    }

    /// INFO tracking_total_prefixes.
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// Whether a key change can concern anybody.
    fn idle(&self) -> bool {
        self.table.is_empty() && self.prefixes.is_empty()
    }
}

/// Two prefixes overlap when one starts with the other.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// `*N` followed by the keys as bulk strings.
fn encode_keys<'a>(keys: impl Iterator<Item = &'a [u8]>, count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + count * 16);
    let mut n = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(n.format(count).as_bytes());
    out.extend_from_slice(b"\r\n");
    for key in keys {
        out.push(b'$');
        out.extend_from_slice(n.format(key.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(key);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// What sending a message to a tracking client needs to know about it.
struct Target {
    resp3: bool,
    redirect: u64,
    redirect_slot: usize,
}

/// Where a client is: handed in (`current`), in the table, executing
/// elsewhere (out of the table, not handed in), or gone.
enum Found<'a> {
    Here(&'a mut Client),
    Busy,
    Gone,
}

impl Server {
    /// Find the client `id` in `slot` (or `current`), taken out of the
    /// table when it is there; put it back with [`Server::put_back`].
    fn find_client<'a>(
        &mut self,
        current: &'a mut Option<&mut Client>,
        id: u64,
        slot: usize,
    ) -> (Found<'a>, Option<Box<Client>>) {
        if let Some(c) = current.as_deref_mut()
            && c.id == id
        {
            return (Found::Here(c), None);
        }
        if self.tracking.current.is_some_and(|(cid, _)| cid == id) {
            return (Found::Busy, None);
        }
        match self.clients.take(slot) {
            Some(c) if c.id == id => (Found::Gone, Some(c)),
            Some(c) => {
                self.clients.slots[slot] = Some(c);
                (Found::Gone, None)
            }
            None => (Found::Gone, None),
        }
    }

    /// Deliver (or defer) one message for the tracking client `id`.
    fn send_tracking(
        &mut self,
        mut current: Option<&mut Client>,
        id: u64,
        slot: usize,
        payload: Payload,
    ) {
        // The tracking client itself: its protocol and redirection.
        let (found, taken) = self.find_client(&mut current, id, slot);
        let target = match (found, taken.as_deref()) {
            (Found::Here(c), _) => c.tracking.as_ref().map(|t| Target {
                resp3: c.reply.resp3,
                redirect: t.redirect,
                redirect_slot: t.redirect_slot,
            }),
            (Found::Busy, _) => {
                self.tracking.pending.push((id, slot, payload));
                return;
            }
            (Found::Gone, Some(c)) => c.tracking.as_ref().map(|t| Target {
                resp3: c.reply.resp3,
                redirect: t.redirect,
                redirect_slot: t.redirect_slot,
            }),
            (Found::Gone, None) => None,
        };
        let Some(target) = target else {
            if let Some(c) = taken {
                self.clients.slots[slot] = Some(c);
            }
            return;
        };
        if target.redirect == 0 {
            match taken {
                Some(mut c) => {
                    self.write_invalidation(&mut c, false, target.resp3, &payload, false);
                    self.clients.slots[slot] = Some(c);
                }
                None => {
                    if let Some(c) = current.as_deref_mut() {
                        self.write_invalidation(c, false, target.resp3, &payload, true);
                    }
                }
            }
            return;
        }
        // Redirected: the other client, unless it is busy (then the whole
        // message waits) or gone (then the tracking client is told).
        if let Some(c) = taken {
            self.clients.slots[slot] = Some(c);
        }
        let (found, taken) = self.find_client(&mut current, target.redirect, target.redirect_slot);
        match found {
            Found::Busy => self.tracking.pending.push((id, slot, payload)),
            Found::Here(r) => {
                self.write_invalidation(r, true, target.resp3, &payload, true);
            }
            Found::Gone => match taken {
                Some(mut r) => {
                    self.write_invalidation(&mut r, true, target.resp3, &payload, false);
                    self.clients.slots[target.redirect_slot] = Some(r);
                }
                None => self.redirect_broken(current, id, slot, target.redirect),
            },
        }
    }

    /// The redirect client of tracking client `id` is gone: flag it, and
    /// tell it when it speaks RESP3.
    fn redirect_broken(&mut self, current: Option<&mut Client>, id: u64, slot: usize, to: u64) {
        let write = |c: &mut Client| -> bool {
            if let Some(t) = c.tracking.as_mut() {
                t.broken_redirect = true;
            }
            if !c.reply.resp3 {
                return false;
            }
            c.reply.push(2);
            c.reply.bulk(b"tracking-redir-broken");
            c.reply.int(to as i64);
            true
        };
        if let Some(c) = current
            && c.id == id
        {
            let start = c.reply.buf.len();
            if write(c) {
                let end = c.reply.buf.len();
                c.reply.pushes.push((start, end));
            }
            return;
        }
        if let Some(mut c) = self.clients.take(slot) {
            if c.id == id && !c.close_asap && write(&mut c) {
                self.check_output_limit(&mut c);
                self.queue_write(&mut c);
            }
            self.clients.slots[slot] = Some(c);
        }
    }

    /// Write one invalidation into `to`'s output: a push in RESP3, a
    /// pub/sub message on [`CHANNEL`] for a subscribed RESP2 redirect
    /// client. `origin_resp3` is the tracking client's protocol (the null
    /// of a flush is written in it, as Redis does); `is_current` marks the
    /// frames as pushes of the running command's client.
    fn write_invalidation(
        &mut self,
        to: &mut Client,
        redirected: bool,
        origin_resp3: bool,
        payload: &Payload,
        is_current: bool,
    ) {
        if to.close_asap {
            return;
        }
        let start = to.reply.buf.len();
        if to.reply.resp3 {
            to.reply.push(2);
            to.reply.bulk(b"invalidate");
        } else if redirected && to.pubsub_mode {
            to.reply.push(3);
            to.reply.bulk(b"message");
            to.reply.bulk(CHANNEL);
        } else {
            return;
        }
        match payload {
            Payload::Key(key) => {
                to.reply.array(1);
                to.reply.bulk(key);
            }
            Payload::All => to
                .reply
                .raw(if origin_resp3 { b"_\r\n" } else { b"$-1\r\n" }),
            Payload::Keys(proto) => to.reply.raw(proto),
        }
        if is_current {
            let end = to.reply.buf.len();
            to.reply.pushes.push((start, end));
        } else {
            self.check_output_limit(to);
            self.queue_write(to);
        }
    }

    /// Key-change consumer: `key` changed (by the running command's client
    /// when `by_client`; by expiry or eviction otherwise).
    pub(super) fn tracking_key_changed(&mut self, key: &[u8], by_client: bool) {
        if self.tracking.idle() {
            return;
        }
        let by = if by_client {
            self.tracking.current.map(|(id, _)| id)
        } else {
            None
        };
        self.tracking_invalidate(None, key, true, by);
    }

    /// Redis's trackingInvalidateKey: remember `key` for the BCAST
    /// prefixes it falls under (`bcast`), and send its recorded clients an
    /// invalidation, forgetting the entry. `current` is the client whose
    /// request is being processed, when it is at hand.
    fn tracking_invalidate(
        &mut self,
        mut current: Option<&mut Client>,
        key: &[u8],
        bcast: bool,
        by: Option<u64>,
    ) {
        if bcast && !self.tracking.prefixes.is_empty() {
            for (prefix, state) in self.tracking.prefixes.iter_mut() {
                if key.starts_with(prefix) {
                    state.keys.insert(key.to_vec(), by);
                }
            }
        }
        let Some(ids) = self.tracking.table.remove(key) else {
            return;
        };
        self.tracking.items -= ids.len() as u64;
        let running = current
            .as_deref()
            .map(|c| c.id)
            .or(self.tracking.current.map(|(id, _)| id));
        for (id, slot) in ids {
            // Skip clients gone, no longer tracking, or in BCAST mode now
            // (their keys of the default mode no longer concern them); a
            // NOLOOP client does not hear of its own changes.
            let state = if let Some(c) = current.as_deref()
                && c.id == id
            {
                Some(c.tracking.as_ref().map(|t| (t.bcast, t.noloop)))
            } else if running == Some(id) {
                // Busy: decided when the message is delivered.
                None
            } else {
                match self.clients.get_mut(slot) {
                    Some(c) if c.id == id => Some(c.tracking.as_ref().map(|t| (t.bcast, t.noloop))),
                    _ => Some(None),
                }
            };
            match state {
                Some(None) | Some(Some((true, _))) => continue,
                Some(Some((false, true))) if running == Some(id) => continue,
                _ => {}
            }
            self.send_tracking(current.as_deref_mut(), id, slot, Payload::Key(key.to_vec()));
        }
    }

    /// Send the messages that waited for the running command's reply
    /// (Redis's trackingHandlePendingKeyInvalidations).
    pub fn tracking_flush_pending(&mut self, client: &mut Client) {
        if self.tracking.pending.is_empty() {
            return;
        }
        for (id, slot, payload) in std::mem::take(&mut self.tracking.pending) {
            if id == client.id {
                // Decided now that the client is at hand: still tracking in
                // the default mode, and NOLOOP skips its own changes.
                let Some(t) = client.tracking.as_ref() else {
                    continue;
                };
                if matches!(payload, Payload::Key(_)) && (t.bcast || t.noloop) {
                    continue;
                }
            }
            self.send_tracking(Some(client), id, slot, payload);
        }
        // A message can only wait again for a client that is not at hand.
        self.tracking.pending.retain(|&(id, _, _)| id != client.id);
    }

    /// FLUSHDB / FLUSHALL: every tracking client is told that every key is
    /// invalid, and the tracking table is emptied.
    pub fn tracking_flushed(&mut self) {
        if self.tracking.clients > 0 {
            let targets: Vec<(u64, usize)> = self
                .clients
                .iter()
                .filter(|c| c.tracking.is_some())
                .map(|c| (c.id, c.slot))
                .collect();
            for (id, slot) in targets {
                self.send_tracking(None, id, slot, Payload::All);
            }
            // The running client is out of the table: its null waits for
            // its reply.
            if let Some((id, slot)) = self.tracking.current {
                self.tracking.pending.push((id, slot, Payload::All));
            }
        }
        self.tracking.table.clear();
        self.tracking.items = 0;
    }

    /// A request of `client` starts: it is the running client until
    /// [`Server::tracking_done`]. Returns what to restore.
    pub(super) fn tracking_running(&mut self, client: &Client) -> Option<(u64, usize)> {
        self.tracking.current.replace((client.id, client.slot))
    }

    /// The request of `client` is done (its reply written): what still
    /// waited for it is sent, and `previous` is the running client again.
    pub(super) fn tracking_done(&mut self, client: &mut Client, previous: Option<(u64, usize)>) {
        if !self.tracking.pending.is_empty() {
            self.tracking_flush_pending(client);
            client.reply.pushes.clear();
            if client.reply.pending() > 0 {
                self.queue_write(client);
            }
        }
        self.tracking.current = previous;
    }

    /// Before a command runs (or is queued): keep the tracking table under
    /// `tracking-table-max-keys` (Redis's trackingLimitUsedSlots), then
    /// deliver what waited for this client.
    pub fn tracking_before_command(&mut self, client: &mut Client) {
        if self.tracking.clients > 0 {
            self.tracking_limit(Some(client));
        }
        self.tracking_flush_pending(client);
    }

    /// Invalidate random entries while the table is over
    /// `tracking-table-max-keys`, with an effort that grows each time the
    /// limit could not be reached.
    pub fn tracking_limit(&mut self, mut current: Option<&mut Client>) {
        let max = self.config.tracking_table_max_keys();
        if max == 0 {
            return;
        }
        if self.tracking.table.len() as u64 <= max {
            self.tracking.over_limit_runs = 0;
            return;
        }
        let mut effort = 100 * (u64::from(self.tracking.over_limit_runs) + 1);
        while effort > 0 {
            effort -= 1;
            let Some(key) = ({
                let t = &mut self.tracking;
                t.table.random(&mut t.rng).map(|(k, _)| k.to_vec())
            }) else {
                break;
            };
            self.tracking_invalidate(current.as_deref_mut(), &key, false, None);
            if self.tracking.table.len() as u64 <= max {
                self.tracking.over_limit_runs = 0;
                return;
            }
        }
        self.tracking.over_limit_runs += 1;
    }

    /// Send BCAST clients the keys changed under their prefixes since the
    /// last time (before the event loop sleeps).
    pub fn tracking_broadcast(&mut self) {
        if self.tracking.clients == 0 || self.tracking.prefixes.is_empty() {
            return;
        }
        let mut sends: Vec<(u64, usize, Vec<u8>)> = Vec::new();
        for state in self.tracking.prefixes.values_mut() {
            if state.keys.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut state.keys);
            let common = encode_keys(keys.keys().map(Vec::as_slice), keys.len());
            for (&id, &slot) in &state.clients {
                let noloop = self
                    .clients
                    .get_mut(slot)
                    .filter(|c| c.id == id)
                    .and_then(|c| c.tracking.as_ref())
                    .is_some_and(|t| t.noloop);
                if noloop {
                    let own: Vec<&[u8]> = keys
                        .iter()
                        .filter(|(_, by)| **by != Some(id))
                        .map(|(k, _)| k.as_slice())
                        .collect();
                    if !own.is_empty() {
                        let n = own.len();
                        sends.push((id, slot, encode_keys(own.into_iter(), n)));
                    }
                } else {
                    sends.push((id, slot, common.clone()));
                }
            }
        }
        for (id, slot, proto) in sends {
            self.send_tracking(None, id, slot, Payload::Keys(proto));
        }
    }

    /// CLIENT TRACKING ON for `client` (options checked by the caller).
    pub fn enable_tracking(&mut self, client: &mut Client, options: Options) {
        let redirect_slot = if options.redirect == 0 || options.redirect == client.id {
            client.slot
        } else {
            self.clients
                .iter()
                .find(|c| c.id == options.redirect)
                .map_or(0, |c| c.slot)
        };
        let state = match client.tracking.as_mut() {
            Some(t) => t,
            None => {
                self.tracking.clients += 1;
                client.tracking.insert(Box::default())
            }
        };
        state.redirect = options.redirect;
        state.redirect_slot = redirect_slot;
        state.broken_redirect = false;
        state.bcast = options.bcast;
        state.optin = options.optin;
        state.optout = options.optout;
        state.noloop = options.noloop;
        if options.bcast {
            let mut prefixes = options.prefixes;
            if prefixes.is_empty() {
                prefixes.push(Vec::new());
            }
            for prefix in prefixes {
                let entry = self.tracking.prefixes.entry(prefix.clone()).or_default();
                entry.clients.insert(client.id, client.slot);
                state.prefixes.insert(prefix);
            }
        }
    }

    /// CLIENT TRACKING OFF, RESET, closing: leave the prefixes; entries in
    /// the tracking table go lazily.
    pub fn disable_tracking(&mut self, client: &mut Client) {
        let Some(state) = client.tracking.take() else {
            return;
        };
        for prefix in &state.prefixes {
            if let Some(p) = self.tracking.prefixes.get_mut(prefix) {
                p.clients.remove(&client.id);
                if p.clients.is_empty() {
                    self.tracking.prefixes.remove(prefix);
                }
            }
        }
        self.tracking.clients -= 1;
    }

    /// A prefix collision of CLIENT TRACKING ON BCAST, as Redis words it.
    pub fn tracking_prefix_collision(client: &Client, prefixes: &[Vec<u8>]) -> Option<String> {
        let show = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
        for (i, p) in prefixes.iter().enumerate() {
            if let Some(existing) = client
                .tracking
                .as_ref()
                .and_then(|t| t.prefixes.iter().find(|e| overlap(e, p)))
            {
                return Some(format!(
                    "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single \
                     client must not overlap.",
                    show(p),
                    show(existing)
                ));
            }
            if let Some(other) = prefixes[i + 1..].iter().find(|o| overlap(p, o)) {
                return Some(format!(
                    "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a \
                     single client must not overlap.",
                    show(p),
                    show(other)
                ));
            }
        }
        None
    }

    /// Execution is entering a command of `client`: at the outermost level
    /// it becomes the running client. Returns what to restore.
    pub(super) fn tracking_enter(&mut self, client: &Client) -> Option<Option<(u64, usize)>> {
        self.tracking.depth += 1;
        (self.tracking.depth == 1).then(|| self.tracking.current.replace((client.id, client.slot)))
    }

    /// Execution left a command (`index`, `args`) of `client`; `saved`
    /// came from [`Server::tracking_enter`]. A read-only command records
    /// its keys for a tracking client; at the outermost level the messages
    /// that waited for the reply are sent.
    pub(super) fn tracking_leave(
        &mut self,
        client: &mut Client,
        index: usize,
        args: &[&[u8]],
        saved: Option<Option<(u64, usize)>>,
    ) {
        self.tracking.depth -= 1;
        let spec = self.commands.entries[index].spec;
        if spec.has(flags::READONLY) {
            let top = saved.is_some();
            let caller = self.tracking.current.map(|(id, _)| id);
            if top || caller == Some(client.id) {
                self.tracking_after_read(client, index, args, false);
            } else {
                // A script's own client read: the caller records the keys
                // of its script command when that ends.
                self.tracking.nested_read = true;
            }
        }
        if let Some(previous) = saved {
            // A script that read records all its declared keys (the *_RO
            // script commands included: only their own call is skipped).
            if std::mem::take(&mut self.tracking.nested_read) {
                self.tracking_after_read(client, index, args, true);
            }
            self.tracking_flush_pending(client);
            self.tracking.current = previous;
        }
    }

    /// Record the keys of a read-only command for a tracking client in the
    /// default mode (Redis's trackingRememberKeys), honouring OPTIN/OPTOUT
    /// and CLIENT CACHING. `script` is a script command whose script read
    /// (the read-only script commands record nothing by themselves).
    fn tracking_after_read(
        &mut self,
        client: &mut Client,
        index: usize,
        args: &[&[u8]],
        script: bool,
    ) {
        let Some(t) = client.tracking.as_ref() else {
            return;
        };
        if t.bcast || (t.optin && !t.caching) || (t.optout && t.caching) {
            return;
        }
        let entry = &self.commands.entries[index];
        if entry.spec.has(flags::PUBSUB)
            || (!script
                && matches!(
                    entry.full_name.as_str(),
                    "eval_ro" | "evalsha_ro" | "fcall_ro"
                ))
        {
            return;
        }
        let positions = super::commands::getkeys::key_positions(entry, args);
        let me = (client.id, client.slot);
        for pos in positions {
            let Some(key) = args.get(pos) else {
                continue;
            };
            let ids = self.tracking.table.get_or_insert_with(key, Vec::new);
            if !ids.iter().any(|&(id, _)| id == me.0) {
                ids.push(me);
                self.tracking.items += 1;
            }
        }
    }

    /// Before each request: CLIENT CACHING lasts for the next command (or
    /// transaction) only; any CLIENT subcommand in between keeps it.
    pub fn tracking_new_request(client: &mut Client) {
        if let Some(t) = client.tracking.as_mut()
            && t.caching
            && client.multi.is_none()
            && !client.last_command.starts_with("client|")
        {
            t.caching = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_overlap_when_one_starts_the_other() {
        assert!(overlap(b"", b"foo"));
        assert!(overlap(b"foo", b"foobar"));
        assert!(overlap(b"foobar", b"foo"));
        assert!(!overlap(b"foo", b"bar"));
    }

    #[test]
    fn keys_encode_as_a_resp_array() {
        let keys: Vec<&[u8]> = vec![b"a", b"bc"];
        assert_eq!(
            encode_keys(keys.into_iter(), 2),
            b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n".to_vec()
        );
    }
}
