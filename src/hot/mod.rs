//! Hot keys and who sends them: the heaviest keys (by commands and by
//! bytes), key prefixes, clients and slow command/key pairs of a command
//! stream, in memory fixed by the sketch capacity whatever the number of
//! distinct keys. Shared by `resp sniff` (requests off the wire) and
//! `replica tail` (writes off the replication stream).
//!
//! - [`sketch`]: the Space-Saving heavy-hitters sketch and its error bound.
//! - [`keys`]: which arguments of a command are keys.
//!
//! Every list is one sketch; its report carries the sketch's error bound:
//! each count over-states the truth by at most the row's `error` (itself at
//! most the list's `error_bound`, itself at most total / capacity), and any
//! item not listed has at most `error_bound`.

pub mod keys;
pub mod sketch;

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::SocketAddr;

use serde::Serialize;

use crate::output::bytes::{ByteString, display, display_short};
use crate::output::table;
use keys::KeyFinder;
use sketch::{Slot, SpaceSaving};

/// Longest key (or prefix) kept; longer ones are cut here and counted
/// under their first bytes.
pub const MAX_KEY: usize = 512;

/// Client names remembered (from CLIENT SETNAME); later ones are not.
const MAX_NAMES: usize = 100_000;

/// Keys of one command kept while it is counted (more are found again).
const FEW_KEYS: usize = 16;

/// Command names kept per client; the rest count as `(other)`.
const CLIENT_COMMANDS: usize = 6;

/// What the reports list and how much memory they may use.
#[derive(Clone, Debug)]
pub struct Options {
    /// Rows per list.
    pub top: usize,
    /// Items each sketch monitors.
    pub capacity: usize,
    /// Key part separator for prefixes (empty: no prefix report).
    pub separator: Vec<u8>,
    /// Prefixes of 1..=depth parts.
    pub depth: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            top: 10,
            capacity: 10_000,
            separator: b":".to_vec(),
            depth: 2,
        }
    }
}

/// One command as the trackers see it.
pub struct Seen<'a, A> {
    /// Command name first.
    pub args: &'a [A],
    /// Who sent it (the wire); `None` on a replication stream.
    pub client: Option<SocketAddr>,
    /// Request plus reply bytes.
    pub bytes: u64,
    /// Request to reply, when timed.
    pub latency: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct ClientExtra {
    bytes: u64,
    commands: Vec<(Vec<u8>, u64)>,
}

#[derive(Clone, Debug, Default)]
pub struct SlowExtra {
    calls: u64,
    max: u64,
}

/// The trackers.
pub struct Hot {
    options: Options,
    finder: KeyFinder,
    finder_hits: Counters,
    keys_by_commands: SpaceSaving<()>,
    keys_by_bytes: SpaceSaving<()>,
    prefixes: Vec<SpaceSaving<()>>,
    clients: SpaceSaving<ClientExtra>,
    slow: SpaceSaving<SlowExtra>,
    names: HashMap<SocketAddr, Vec<u8>>,
    /// Reused for the items of the slow list.
    scratch: Vec<u8>,
    last: Last,
}

/// What the previous command was counted under. A stream repeats itself
/// (a pipeline of one client's commands on one key), and a repeat is
/// counted into each sketch's last slot: no hashing, no table. A sketch's
/// last slot stays its last item's, since only [`Hot::add`] adds to it.
#[derive(Debug, Default)]
struct Last {
    /// The key counted last (cut to [`MAX_KEY`]), when `key_counted`.
    key: Vec<u8>,
    key_counted: bool,
    /// How many prefix depths that key had.
    prefixes: usize,
    /// The command name as sent and the first key the slow list counted
    /// last, when `slow_counted`.
    slow_name: Vec<u8>,
    slow_key: Vec<u8>,
    slow_counted: bool,
    /// The client counted last, the command name as sent, and the entry of
    /// that client's mix it went to.
    client: Option<SocketAddr>,
    mix_name: Vec<u8>,
    mix_at: Option<usize>,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Counters {
    /// Commands seen.
    pub commands: u64,
    /// Commands with at least one key.
    pub with_keys: u64,
    /// Key references (a command with three keys counts three).
    pub key_references: u64,
}

impl Hot {
    pub fn new(options: Options) -> Hot {
        let k = options.capacity;
        let depth = if options.separator.is_empty() {
            0
        } else {
            options.depth
        };
        Hot {
            finder: KeyFinder::new(),
            finder_hits: Counters::default(),
            keys_by_commands: SpaceSaving::new(k),
            keys_by_bytes: SpaceSaving::new(k),
            prefixes: (0..depth).map(|_| SpaceSaving::new(k)).collect(),
            clients: SpaceSaving::new(k),
            slow: SpaceSaving::new(k),
            names: HashMap::new(),
            scratch: Vec::new(),
            last: Last::default(),
            options,
        }
    }

    /// Count one command.
    pub fn add<A: AsRef<[u8]>>(&mut self, seen: &Seen<'_, A>) {
        let args = seen.args;
        let Some(name) = args.first().map(|a| a.as_ref()) else {
            return;
        };
        let Hot {
            options,
            finder,
            finder_hits,
            keys_by_commands,
            keys_by_bytes,
            prefixes,
            clients,
            slow,
            names,
            scratch,
            last,
        } = self;
        finder_hits.commands += 1;
        // Counted first, so that the bytes can be shared out; most commands
        // have a few keys, kept here so the command is looked up once.
        let mut n = 0u64;
        let mut few: [&[u8]; FEW_KEYS] = [&[]; FEW_KEYS];
        finder.keys(args, |k| {
            if let Some(slot) = few.get_mut(n as usize) {
                *slot = k;
            }
            n += 1;
        });
        if n > 0 {
            finder_hits.with_keys += 1;
            finder_hits.key_references += n;
            let share = seen.bytes / n;
            let mut each = |k: &[u8]| {
                let key = &k[..k.len().min(MAX_KEY)];
                if last.key_counted && crate::bytes::same(&last.key, key) {
                    // The same key again: every sketch's last slot is its.
                    keys_by_commands.add_last(1);
                    keys_by_bytes.add_last(share);
                    for p in &mut prefixes[..last.prefixes] {
                        p.add_last(1);
                    }
                } else {
                    let hash = sketch::hash(key);
                    keys_by_commands.add_hashed(key, hash, 1);
                    keys_by_bytes.add_hashed(key, hash, share);
                    last.prefixes = add_prefixes(prefixes, &options.separator, key);
                    last.key.clear();
                    last.key.extend_from_slice(key);
                    last.key_counted = true;
                }
            };
            if n as usize <= FEW_KEYS {
                few[..n as usize].iter().for_each(|k| each(k));
            } else {
                finder.keys(args, each);
            }
            let first = &few[0][..few[0].len().min(MAX_KEY)];
            if let Some(latency) = seen.latency {
                let slot = if last.slow_counted
                    && crate::bytes::same(&last.slow_name, name)
                    && crate::bytes::same(&last.slow_key, first)
                {
                    slow.add_last(latency)
                } else {
                    scratch.clear();
                    scratch.extend(name.iter().take(64).map(u8::to_ascii_uppercase));
                    scratch.push(b' ');
                    scratch.extend_from_slice(first);
                    last.slow_name.clear();
                    last.slow_name.extend_from_slice(name);
                    last.slow_key.clear();
                    last.slow_key.extend_from_slice(first);
                    last.slow_counted = true;
                    slow.add(scratch, latency)
                };
                slot.extra.calls += 1;
                slot.extra.max = slot.extra.max.max(latency);
            }
        }
        if let Some(client) = seen.client {
            if name.eq_ignore_ascii_case(b"client")
                && args
                    .get(1)
                    .is_some_and(|a| a.as_ref().eq_ignore_ascii_case(b"setname"))
                && let Some(n) = args.get(2)
                && (names.len() < MAX_NAMES || names.contains_key(&client))
            {
                let n = n.as_ref();
                names.insert(client, n[..n.len().min(MAX_KEY)].to_vec());
            }
            let again = last.client == Some(client);
            let slot = if again {
                clients.add_last(1)
            } else {
                let mut id = [0u8; 18];
                last.client = Some(client);
                clients.add(encode_addr(client, &mut id), 1)
            };
            slot.extra.bytes += seen.bytes;
            // The same client and name again: the same entry of its mix.
            match last.mix_at {
                Some(at) if again && crate::bytes::same(&last.mix_name, name) => {
                    slot.extra.commands[at].1 += 1;
                }
                _ => {
                    last.mix_at = count_mix(&mut slot.extra.commands, name);
                    last.mix_name.clear();
                    last.mix_name.extend_from_slice(name);
                }
            }
        }
    }

    /// Forget everything counted (the next interval starts from zero).
    pub fn clear(&mut self) {
        self.finder_hits = Counters::default();
        self.keys_by_commands.clear();
        self.keys_by_bytes.clear();
        for p in &mut self.prefixes {
            p.clear();
        }
        self.clients.clear();
        self.slow.clear();
        self.last = Last::default();
    }

    /// The report of what was counted so far.
    pub fn report(&self) -> HotReport {
        let n = self.options.top;
        let ranked = |s: &SpaceSaving<()>| Ranked {
            total: s.total(),
            error_bound: s.error_bound(),
            rows: s.top(n).into_iter().map(Row::of).collect(),
        };
        HotReport {
            counted: self.finder_hits,
            sketch_capacity: self.options.capacity,
            keys_by_commands: ranked(&self.keys_by_commands),
            keys_by_bytes: ranked(&self.keys_by_bytes),
            prefixes: Prefixes {
                separator: ByteString(self.options.separator.clone()),
                depths: self.prefixes.iter().map(ranked).collect(),
            },
            clients: Clients {
                total: self.clients.total(),
                error_bound: self.clients.error_bound(),
                rows: self
                    .clients
                    .top(n)
                    .into_iter()
                    .map(|s| {
                        let mut mix: Vec<(Vec<u8>, u64)> = s.extra.commands.clone();
                        mix.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                        let addr = decode_addr(&s.item);
                        let name = addr
                            .and_then(|a| self.names.get(&a))
                            .map(|n| ByteString(n.clone()));
                        let addr = addr.map_or_else(|| display(&s.item), |a| a.to_string());
                        ClientRow {
                            client: addr,
                            name,
                            commands: s.count,
                            error: s.error,
                            bytes: s.extra.bytes,
                            mix: mix
                                .into_iter()
                                .map(|(command, count)| Mix {
                                    command: ByteString(command),
                                    count,
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            },
            slowest_keys: SlowKeys {
                total_us: self.slow.total(),
                error_bound_us: self.slow.error_bound(),
                rows: self
                    .slow
                    .top(n)
                    .into_iter()
                    .map(|s| {
                        let split = s.item.iter().position(|&b| b == b' ').unwrap_or(0);
                        SlowRow {
                            command: ByteString(s.item[..split].to_vec()),
                            key: ByteString(s.item[split + 1..].to_vec()),
                            total_us: s.count,
                            error_us: s.error,
                            calls: s.extra.calls,
                            mean_us: s.count / s.extra.calls.max(1),
                            max_us: s.extra.max,
                        }
                    })
                    .collect(),
            },
        }
    }
}

/// Prefixes by the rule of `rdb inspect`: the key up to and including
/// the first, second, … separator. Returns how many depths it counted.
fn add_prefixes(sketches: &mut [SpaceSaving<()>], sep: &[u8], key: &[u8]) -> usize {
    let mut from = 0;
    let mut depths = 0;
    for sketch in sketches {
        let rest = &key[from..];
        let found = match sep {
            [byte] => memchr::memchr(*byte, rest),
            _ => memchr::memmem::find(rest, sep),
        };
        let Some(found) = found else {
            break;
        };
        let end = from + found + sep.len();
        sketch.add(&key[..end], 1);
        from = end;
        depths += 1;
    }
    depths
}

/// A client address as a sketch item: the IP's bytes, then the port.
fn encode_addr(addr: SocketAddr, buf: &mut [u8; 18]) -> &[u8] {
    let n = match addr.ip() {
        std::net::IpAddr::V4(ip) => {
            buf[..4].copy_from_slice(&ip.octets());
            4
        }
        std::net::IpAddr::V6(ip) => {
            buf[..16].copy_from_slice(&ip.octets());
            16
        }
    };
    buf[n..n + 2].copy_from_slice(&addr.port().to_be_bytes());
    &buf[..n + 2]
}

fn decode_addr(item: &[u8]) -> Option<SocketAddr> {
    let (ip, port) = item.split_at_checked(item.len().checked_sub(2)?)?;
    let port = u16::from_be_bytes([port[0], port[1]]);
    let ip: std::net::IpAddr = match ip.len() {
        4 => <[u8; 4]>::try_from(ip).ok()?.into(),
        16 => <[u8; 16]>::try_from(ip).ok()?.into(),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// One more command in a client's mix: a name already there, a new one
/// while there is room, else `(other)` (the rarest name is folded into it
/// when it is not there yet). Returns the entry counted.
fn count_mix(mix: &mut Vec<(Vec<u8>, u64)>, name: &[u8]) -> Option<usize> {
    let at = if let Some(i) = mix.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)) {
        mix[i].1 += 1;
        i
    } else if mix.len() < CLIENT_COMMANDS {
        let mut name = name[..name.len().min(64)].to_vec();
        name.make_ascii_uppercase();
        mix.push((name, 1));
        mix.len() - 1
    } else if let Some(i) = mix.iter().position(|(n, _)| n == b"(other)") {
        mix[i].1 += 1;
        i
    } else {
        let i = (0..mix.len()).min_by_key(|&i| mix[i].1)?;
        mix[i] = (b"(other)".to_vec(), mix[i].1 + 1);
        i
    };
    Some(at)
}

/// The hot-key reports.
#[derive(Clone, Debug, Serialize)]
pub struct HotReport {
    pub counted: Counters,
    /// Items each list's sketch monitors.
    pub sketch_capacity: usize,
    pub keys_by_commands: Ranked,
    pub keys_by_bytes: Ranked,
    pub prefixes: Prefixes,
    pub clients: Clients,
    pub slowest_keys: SlowKeys,
}

/// A top list from one sketch.
#[derive(Clone, Debug, Serialize)]
pub struct Ranked {
    /// Sum of all weights counted (the list's unit).
    pub total: u64,
    /// No count over-states its item by more, and no item left out
    /// weighs more.
    pub error_bound: u64,
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub key: ByteString,
    /// An upper bound of the true value.
    pub count: u64,
    /// The true value is at least `count - error`.
    pub error: u64,
}

impl Row {
    fn of(s: &Slot<()>) -> Row {
        Row {
            key: ByteString(s.item.to_vec()),
            count: s.count,
            error: s.error,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Prefixes {
    pub separator: ByteString,
    /// Depth 1 first.
    pub depths: Vec<Ranked>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Clients {
    /// Commands counted.
    pub total: u64,
    pub error_bound: u64,
    pub rows: Vec<ClientRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClientRow {
    pub client: String,
    /// From a CLIENT SETNAME seen on the wire.
    pub name: Option<ByteString>,
    pub commands: u64,
    pub error: u64,
    /// Request plus reply bytes while the client was monitored.
    pub bytes: u64,
    /// Its commands by name, most frequent first.
    pub mix: Vec<Mix>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Mix {
    pub command: ByteString,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SlowKeys {
    /// Latency summed over all timed commands with a key.
    pub total_us: u64,
    pub error_bound_us: u64,
    pub rows: Vec<SlowRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SlowRow {
    pub command: ByteString,
    /// The command's first key.
    pub key: ByteString,
    /// Latency summed over its calls (an upper bound, see `error_us`).
    pub total_us: u64,
    pub error_us: u64,
    /// Calls and the largest latency while monitored.
    pub calls: u64,
    pub mean_us: u64,
    pub max_us: u64,
}

/// `±E` after a count when the sketch had to approximate.
fn with_error(count: u64, error: u64) -> String {
    if error == 0 {
        count.to_string()
    } else {
        format!("{count} (-{error})")
    }
}

fn bound_note(what: &str, r: &Ranked, capacity: usize) -> String {
    if r.error_bound == 0 {
        format!("{what} (exact: fewer than {capacity} distinct)")
    } else {
        format!(
            "{what} (approximate: each count over by at most its (-E), never more than {}; of {} total)",
            r.error_bound, r.total
        )
    }
}

impl HotReport {
    /// The human view: one table per list, empty lists left out.
    pub fn write_tables(&self, out: &mut dyn Write, with_clients: bool) -> io::Result<()> {
        let cap = self.sketch_capacity;
        for (title, unit, list) in [
            (
                "Hottest keys by commands",
                "commands",
                &self.keys_by_commands,
            ),
            ("Hottest keys by bytes", "bytes", &self.keys_by_bytes),
        ] {
            if list.rows.is_empty() {
                continue;
            }
            let mut t = table::new(["key", unit, "share"]);
            for r in &list.rows {
                t.add_row([
                    display_short(&r.key.0, 60),
                    with_error(r.count, r.error),
                    share(r.count, list.total),
                ]);
            }
            table::align_right(&mut t, &[1, 2]);
            table::write_titled(out, &bound_note(title, list, cap), &t)?;
        }
        for (i, list) in self.prefixes.depths.iter().enumerate() {
            if list.rows.is_empty() {
                continue;
            }
            let mut t = table::new(["prefix", "key references", "share"]);
            for r in &list.rows {
                t.add_row([
                    display_short(&r.key.0, 60),
                    with_error(r.count, r.error),
                    share(r.count, list.total),
                ]);
            }
            table::align_right(&mut t, &[1, 2]);
            let title = format!(
                "Hottest key prefixes, depth {} (separator {})",
                i + 1,
                display(&self.prefixes.separator.0)
            );
            table::write_titled(out, &bound_note(&title, list, cap), &t)?;
        }
        if with_clients && !self.clients.rows.is_empty() {
            let mut t = table::new(["client", "name", "commands", "bytes", "command mix"]);
            for r in &self.clients.rows {
                let mix: Vec<String> = r
                    .mix
                    .iter()
                    .map(|m| format!("{} {}", display_short(&m.command.0, 24), m.count))
                    .collect();
                t.add_row([
                    r.client.clone(),
                    r.name
                        .as_ref()
                        .map(|n| display_short(&n.0, 30))
                        .unwrap_or_default(),
                    with_error(r.commands, r.error),
                    r.bytes.to_string(),
                    mix.join(", "),
                ]);
            }
            table::align_right(&mut t, &[2, 3]);
            let list = Ranked {
                total: self.clients.total,
                error_bound: self.clients.error_bound,
                rows: Vec::new(),
            };
            table::write_titled(out, &bound_note("Busiest clients", &list, cap), &t)?;
        }
        if !self.slowest_keys.rows.is_empty() {
            let mut t = table::new(["command", "key", "total latency", "calls", "mean", "max"]);
            for r in &self.slowest_keys.rows {
                t.add_row([
                    display_short(&r.command.0, 24),
                    display_short(&r.key.0, 50),
                    with_error(r.total_us, r.error_us) + " µs",
                    r.calls.to_string(),
                    format!("{} µs", r.mean_us),
                    format!("{} µs", r.max_us),
                ]);
            }
            table::align_right(&mut t, &[2, 3, 4, 5]);
            let list = Ranked {
                total: self.slowest_keys.total_us,
                error_bound: self.slowest_keys.error_bound_us,
                rows: Vec::new(),
            };
            table::write_titled(
                out,
                &bound_note("Slowest command/key pairs by total latency", &list, cap),
                &t,
            )?;
        }
        Ok(())
    }
}

fn share(count: u64, total: u64) -> String {
    if total == 0 {
        String::new()
    } else {
        format!("{:.1}%", count as f64 * 100.0 / total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_prefixes_clients_and_names() {
        let mut hot = Hot::new(Options::default());
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:5001".parse().unwrap();
        let cmds: &[(&[&str], SocketAddr)] = &[
            (&["CLIENT", "SETNAME", "worker"], a),
            (&["GET", "user:1:name"], a),
            (&["GET", "user:1:name"], a),
            (&["SET", "user:2:name", "x"], b),
            (&["MGET", "user:1:name", "cart:9"], b),
            (&["PING"], b),
        ];
        for (args, client) in cmds {
            hot.add(&Seen {
                args,
                client: Some(*client),
                bytes: 10,
                latency: Some(5),
            });
        }
        let r = hot.report();
        assert_eq!(r.counted.commands, 6);
        assert_eq!(r.counted.with_keys, 4);
        assert_eq!(r.counted.key_references, 5);
        let top = &r.keys_by_commands.rows[0];
        assert_eq!(
            (&top.key.0[..], top.count, top.error),
            (&b"user:1:name"[..], 3, 0)
        );
        // MGET's bytes are split between its two keys.
        assert_eq!(r.keys_by_bytes.rows[0].count, 25);
        assert_eq!(r.prefixes.depths[0].rows[0].key.0, b"user:");
        assert_eq!(r.prefixes.depths[0].rows[0].count, 4);
        assert_eq!(r.prefixes.depths[1].rows[0].key.0, b"user:1:");
        let client_a = r
            .clients
            .rows
            .iter()
            .find(|c| c.client == "127.0.0.1:5000")
            .unwrap();
        assert_eq!(client_a.name.as_ref().unwrap().0, b"worker");
        assert_eq!(client_a.commands, 3);
        assert_eq!(client_a.mix[0].command.0, b"GET");
        assert_eq!(r.slowest_keys.rows[0].command.0, b"GET");
        assert_eq!(r.slowest_keys.rows[0].total_us, 10);
        let mut text = Vec::new();
        r.write_tables(&mut text, true).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("user:1:name"), "{text}");
        assert!(text.contains("worker"), "{text}");
    }
}
