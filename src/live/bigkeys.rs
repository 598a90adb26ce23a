//! The biggest keys of a live server: SCAN in batches, then for each batch
//! pipelined `TYPE`, `MEMORY USAGE` and the type's length command
//! (`STRLEN`, `LLEN`, `SCARD`, `ZCARD`, `HLEN`, `XLEN`). The caller paces
//! the batches. [`Tally`] keeps the top keys by memory, the top keys by
//! length per type, totals per type and per key prefix, in bounded memory.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::connect::{Client, ConnectError};
use crate::resp::Frame;

/// Distinct prefixes counted per depth before the smallest half is
/// dropped (the totals become approximate).
const PREFIX_CAP: usize = 100_000;

/// One key as the server described it.
#[derive(Clone, Debug, Serialize)]
pub struct KeyInfo {
    #[serde(serialize_with = "crate::output::bytes::serialize")]
    pub key: Vec<u8>,
    #[serde(rename = "type")]
    pub kind: String,
    /// `MEMORY USAGE` in bytes (null when the server does not allow it).
    pub memory: Option<u64>,
    /// Bytes of a string, elements of anything else.
    pub length: Option<u64>,
}

/// A SCAN over one database.
pub struct Scan {
    cursor: Vec<u8>,
    done: bool,
    pattern: Option<Vec<u8>>,
    kind: Option<String>,
    count: u32,
    samples: u32,
    /// False once the server refused MEMORY USAGE.
    pub memory_usage: bool,
    /// Why MEMORY USAGE is not used.
    pub memory_refusal: Option<String>,
}

impl Scan {
    pub fn new(pattern: Option<Vec<u8>>, kind: Option<String>, count: u32, samples: u32) -> Scan {
        Scan {
            cursor: b"0".to_vec(),
            done: false,
            pattern,
            kind,
            count,
            samples,
            memory_usage: true,
            memory_refusal: None,
        }
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// One SCAN call and the facts of the keys it returned (keys that
    /// vanished in between are left out).
    pub fn next_batch(&mut self, client: &mut Client) -> Result<Vec<KeyInfo>, ConnectError> {
        if self.done {
            return Ok(Vec::new());
        }
        let count = self.count.to_string();
        let mut args: Vec<&[u8]> = vec![b"SCAN", &self.cursor, b"COUNT", count.as_bytes()];
        if let Some(p) = &self.pattern {
            args.extend([b"MATCH".as_slice(), p]);
        }
        if let Some(k) = &self.kind {
            args.extend([b"TYPE".as_slice(), k.as_bytes()]);
        }
        let reply = client.call(&args)?;
        let (cursor, keys) = match reply {
            Frame::Array(mut parts) if parts.len() == 2 => {
                let keys = parts.pop();
                let cursor = parts.pop();
                match (cursor, keys) {
                    (Some(Frame::Bulk(c)), Some(Frame::Array(k))) => (c, k),
                    _ => return Err(ConnectError::Protocol("malformed SCAN reply".into())),
                }
            }
            _ => return Err(ConnectError::Protocol("malformed SCAN reply".into())),
        };
        self.cursor = cursor.to_vec();
        self.done = &cursor[..] == b"0";
        let keys: Vec<Vec<u8>> = keys
            .into_iter()
            .filter_map(|k| match k {
                Frame::Bulk(b) => Some(b.to_vec()),
                _ => None,
            })
            .collect();
        for key in &keys {
            client.send(&[b"TYPE".as_slice(), key])?;
        }
        let mut kinds = Vec::with_capacity(keys.len());
        for _ in &keys {
            kinds.push(match client.read_reply()? {
                Frame::Simple(t) => String::from_utf8_lossy(&t).into_owned(),
                _ => "none".to_owned(),
            });
        }
        let samples = self.samples.to_string();
        let mut sent = Vec::with_capacity(keys.len());
        for (key, kind) in keys.iter().zip(&kinds) {
            let length = match kind.as_str() {
                "string" => Some(b"STRLEN".as_slice()),
                "list" => Some(b"LLEN".as_slice()),
                "set" => Some(b"SCARD".as_slice()),
                "zset" => Some(b"ZCARD".as_slice()),
                "hash" => Some(b"HLEN".as_slice()),
                "stream" => Some(b"XLEN".as_slice()),
                _ => None,
            };
            if kind == "none" {
                sent.push((false, false));
                continue;
            }
            if self.memory_usage {
                client.send(&[
                    b"MEMORY".as_slice(),
                    b"USAGE",
                    key,
                    b"SAMPLES",
                    samples.as_bytes(),
                ])?;
            }
            if let Some(cmd) = length {
                client.send(&[cmd, key])?;
            }
            sent.push((self.memory_usage, length.is_some()));
        }
        let mut out = Vec::with_capacity(keys.len());
        for ((key, kind), (asked_memory, asked_length)) in keys.into_iter().zip(kinds).zip(sent) {
            let mut memory = None;
            let mut missing = kind == "none";
            if asked_memory {
                match client.read_reply()? {
                    Frame::Integer(n) => memory = Some(n.max(0) as u64),
                    Frame::NullBulk | Frame::Null => missing = true,
                    Frame::Error(e) => {
                        self.memory_usage = false;
                        self.memory_refusal = Some(String::from_utf8_lossy(&e).into_owned());
                    }
                    _ => {}
                }
            }
            let mut length = None;
            if asked_length && let Frame::Integer(n) = client.read_reply()? {
                length = Some(n.max(0) as u64);
            }
            if !missing {
                out.push(KeyInfo {
                    key,
                    kind,
                    memory,
                    length,
                });
            }
        }
        Ok(out)
    }
}

/// Totals for one type or one prefix.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Totals {
    pub keys: u64,
    pub memory: u64,
    pub elements: u64,
}

impl Totals {
    fn add(&mut self, k: &KeyInfo) {
        self.keys += 1;
        self.memory += k.memory.unwrap_or(0);
        self.elements += k.length.unwrap_or(0);
    }
}

/// One row of the prefix report.
#[derive(Clone, Debug, Serialize)]
pub struct PrefixRow {
    #[serde(serialize_with = "crate::output::bytes::serialize")]
    pub prefix: Vec<u8>,
    pub depth: usize,
    #[serde(flatten)]
    pub totals: Totals,
}

/// What the scan found so far.
pub struct Tally {
    top: usize,
    separator: Vec<u8>,
    pub scanned: u64,
    by_memory: Vec<KeyInfo>,
    by_length: BTreeMap<String, Vec<KeyInfo>>,
    pub types: BTreeMap<String, Totals>,
    prefixes: Vec<HashMap<Vec<u8>, Totals>>,
    pub prefixes_approximate: bool,
}

impl Tally {
    pub fn new(top: usize, separator: &[u8], depth: usize) -> Tally {
        Tally {
            top,
            separator: separator.to_vec(),
            scanned: 0,
            by_memory: Vec::new(),
            by_length: BTreeMap::new(),
            types: BTreeMap::new(),
            prefixes: (0..depth).map(|_| HashMap::new()).collect(),
            prefixes_approximate: false,
        }
    }

    pub fn add(&mut self, k: KeyInfo) {
        self.scanned += 1;
        self.types.entry(k.kind.clone()).or_default().add(&k);
        self.add_prefixes(&k);
        if k.memory.is_some() {
            push_top(&mut self.by_memory, k.clone(), self.top, |k| k.memory);
        }
        if k.length.is_some() {
            let list = self.by_length.entry(k.kind.clone()).or_default();
            push_top(list, k, self.top, |k| k.length);
        }
    }

    fn add_prefixes(&mut self, k: &KeyInfo) {
        if self.separator.is_empty() {
            return;
        }
        let mut from = 0;
        for depth in 0..self.prefixes.len() {
            let Some(found) = find(&k.key[from..], &self.separator) else {
                break;
            };
            let end = from + found + self.separator.len();
            let table = &mut self.prefixes[depth];
            if !table.contains_key(&k.key[..end]) && table.len() >= PREFIX_CAP {
                let mut sizes: Vec<u64> = table.values().map(|t| t.keys).collect();
                let cut = sizes.len() / 2;
                let (_, threshold, _) = sizes.select_nth_unstable(cut);
                let threshold = *threshold;
                table.retain(|_, t| t.keys > threshold);
                self.prefixes_approximate = true;
            }
            table.entry(k.key[..end].to_vec()).or_default().add(k);
            from = end;
        }
    }

    /// The biggest keys by memory, largest first.
    pub fn by_memory(&self) -> Vec<KeyInfo> {
        sorted(&self.by_memory, self.top, |k| k.memory)
    }

    /// The longest keys of each type, longest first.
    pub fn by_length(&self) -> BTreeMap<String, Vec<KeyInfo>> {
        self.by_length
            .iter()
            .map(|(t, v)| (t.clone(), sorted(v, self.top, |k| k.length)))
            .collect()
    }

    /// The `top` heaviest prefixes of each depth (by memory, then keys).
    pub fn prefixes(&self) -> Vec<PrefixRow> {
        let mut out = Vec::new();
        for (i, table) in self.prefixes.iter().enumerate() {
            let mut rows: Vec<_> = table.iter().collect();
            rows.sort_by(|a, b| {
                (b.1.memory, b.1.keys)
                    .cmp(&(a.1.memory, a.1.keys))
                    .then_with(|| a.0.cmp(b.0))
            });
            out.extend(rows.into_iter().take(self.top).map(|(p, t)| PrefixRow {
                prefix: p.clone(),
                depth: i + 1,
                totals: *t,
            }));
        }
        out
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// Keep a list of at most about `2 * top` candidates.
fn push_top(list: &mut Vec<KeyInfo>, k: KeyInfo, top: usize, metric: fn(&KeyInfo) -> Option<u64>) {
    list.push(k);
    if list.len() > top.max(1) * 2 {
        *list = sorted(list, top, metric);
    }
}

fn sorted(list: &[KeyInfo], top: usize, metric: fn(&KeyInfo) -> Option<u64>) -> Vec<KeyInfo> {
    let mut v = list.to_vec();
    v.sort_by(|a, b| metric(b).cmp(&metric(a)).then_with(|| a.key.cmp(&b.key)));
    v.truncate(top);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, kind: &str, memory: u64, length: u64) -> KeyInfo {
        KeyInfo {
            key: name.as_bytes().to_vec(),
            kind: kind.to_owned(),
            memory: Some(memory),
            length: Some(length),
        }
    }

    #[test]
    fn tops_types_and_prefixes() {
        let mut t = Tally::new(2, b":", 2);
        for i in 0..10u64 {
            t.add(key(&format!("user:{i}:name"), "string", 100 + i, i));
            t.add(key(&format!("queue:{i}"), "list", 50, 1000 - i));
        }
        t.add(key("plain", "hash", 5000, 3));
        let mem = t.by_memory();
        assert_eq!(mem.len(), 2);
        assert_eq!(mem[0].key, b"plain");
        assert_eq!(mem[1].key, b"user:9:name");
        let len = t.by_length();
        assert_eq!(len["list"][0].key, b"queue:0");
        assert_eq!(len["string"][0].length, Some(9));
        assert_eq!(t.types["string"].keys, 10);
        assert_eq!(t.types["list"].elements, (991..=1000).sum::<u64>());
        let p = t.prefixes();
        assert_eq!(p[0].prefix, b"user:");
        assert_eq!(p[0].totals.keys, 10);
        assert_eq!(p[1].prefix, b"queue:");
        assert!(p.iter().any(|r| r.depth == 2 && r.prefix == b"user:9:"));
        assert_eq!(t.scanned, 21);
    }
}
