//! An estimate of the memory a key takes once loaded into Redis 7.0 on
//! 64-bit Linux with jemalloc, in the terms `MEMORY USAGE` uses: the value
//! object, the key's sds string and its dict entry.
//!
//! The model decides the in-memory encoding as Redis 7.0 does on load,
//! with its compiled-in default thresholds (strings: int / embstr up to
//! 44 bytes / raw; hashes: listpack up to 512 entries of at most 64
//! bytes; sorted sets: listpack up to 128 entries of at most 64 bytes; sets: intset up to 512 integers; lists: quicklist of listpack
//! nodes of at most 8 KiB), then adds up allocations rounded to jemalloc
//! size classes:
//!
//! - robj 16, dictEntry 24, dict 56 + 8 per bucket (buckets: the next
//!   power of two of the element count), sds `header + len + 1` (header 1,
//!   3, 5, 9 or 17 bytes by length);
//! - listpacks: their exact encoded size (each element's listpack entry
//!   computed as Redis encodes it), intsets `8 + count * width`;
//! - quicklist 40 + per node 32 + its listpack; skiplist nodes 24 + 16 per
//!   level, with the expected 4/3 levels, and a 32-level header node;
//! - streams: as Redis accounts them (its fixed 244 bytes per radix-tree
//!   node), with the node count estimated as elements + 1; rougher than
//!   the rest.
//!
//! Keys with expiries cost another dictEntry (24) in the expires dict,
//! which `MEMORY USAGE` does not count; neither do we per key.

use super::encodings::Item;
use super::error::Result;
use super::format::{ObjectType, RdbStr, ValueType};
use super::value::{Element, Value};

const ROBJ: u64 = 16;
const DICT_ENTRY: u64 = 24;
const DICT: u64 = 56;
const QUICKLIST: u64 = 40;
const QUICKLIST_NODE: u64 = 32;

/// The encoding thresholds of the model (redis.conf's names); the default
/// is Redis 7.0's compiled-in configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    pub set_max_intset_entries: u64,
    /// Negative: node size in KiB classes (-1 = 4 KiB .. -5 = 64 KiB);
    /// positive: elements per node.
    pub list_max_listpack_size: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::REDIS_7_0
    }
}

impl Limits {
    pub const REDIS_7_0: Limits = Limits {
        hash_max_listpack_entries: 512,
        hash_max_listpack_value: 64,
        zset_max_listpack_entries: 128,
        zset_max_listpack_value: 64,
        set_max_intset_entries: 512,
        list_max_listpack_size: -2,
    };

    /// Apply one `name=value` setting (the ziplist spellings too).
    pub fn set(&mut self, setting: &str) -> std::result::Result<(), String> {
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("{setting:?}: expected NAME=VALUE"))?;
        let name = name
            .trim()
            .to_ascii_lowercase()
            .replace("ziplist", "listpack");
        let value = value.trim();
        let unsigned = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{setting:?}: {value:?} is not a non-negative integer"))
        };
        match name.as_str() {
            "hash-max-listpack-entries" => self.hash_max_listpack_entries = unsigned()?,
            "hash-max-listpack-value" => self.hash_max_listpack_value = unsigned()?,
            "zset-max-listpack-entries" => self.zset_max_listpack_entries = unsigned()?,
            "zset-max-listpack-value" => self.zset_max_listpack_value = unsigned()?,
            "set-max-intset-entries" => self.set_max_intset_entries = unsigned()?,
            "list-max-listpack-size" => {
                let n: i64 = value
                    .parse()
                    .ok()
                    .filter(|n| *n != 0 && *n >= -5)
                    .ok_or_else(|| {
                        format!("{setting:?}: expected -1 to -5 (4 to 64 KiB) or a positive count")
                    })?;
                self.list_max_listpack_size = n;
            }
            _ => {
                return Err(format!(
                    "{setting:?}: unknown setting (hash-max-listpack-entries, \
                     hash-max-listpack-value, zset-max-listpack-entries, \
                     zset-max-listpack-value, set-max-intset-entries, list-max-listpack-size)"
                ));
            }
        }
        Ok(())
    }

    /// Whether a list node is full before adding an entry of `sz` bytes.
    fn node_full(&self, node_bytes: u64, node_items: u64, sz: u64) -> bool {
        if node_items == 0 {
            return false;
        }
        match self.list_max_listpack_size {
            n if n < 0 => node_bytes + sz > 4096u64 << ((-n - 1) as u32),
            n => node_items >= n as u64,
        }
    }
}

/// The jemalloc size class an allocation of `n` bytes lands in.
#[inline]
pub fn jemalloc_size(n: u64) -> u64 {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    let k = 63 - (n - 1).leading_zeros() as u64;
    let step = 1u64 << (k - 2);
    n.div_ceil(step) * step
}

/// Allocated size of an sds string of `len` bytes.
#[inline]
pub fn sds_size(len: u64) -> u64 {
    let header = match len {
        0..32 => 1,
        32..256 => 3,
        256..65536 => 5,
        65536..4294967296 => 9,
        _ => 17,
    };
    jemalloc_size(header + len + 1)
}

/// Redis keeps a string that reads back as the same integer in the object
/// itself (OBJ_ENCODING_INT); its test is `string2ll`'s grammar.
fn is_canonical_int(b: &[u8]) -> Option<i64> {
    crate::resp::number::string2ll(b)
}

fn lp_int_size(v: i64) -> u64 {
    match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        -2147483648..=2147483647 => 5,
        _ => 9,
    }
}

fn backlen(n: u64) -> u64 {
    match n {
        0..=127 => 1,
        128..16383 => 2,
        16383..2097151 => 3,
        2097151..268435455 => 4,
        _ => 5,
    }
}

/// Bytes one element takes in a listpack.
pub fn lp_entry_size(item: &Item<'_>) -> u64 {
    let enc = match item {
        Item::Int(v) => lp_int_size(*v),
        Item::Bytes(b) => match is_canonical_int(b) {
            Some(v) => lp_int_size(v),
            None => {
                let n = b.len() as u64;
                n + if n < 64 {
                    1
                } else if n < 4096 {
                    2
                } else {
                    5
                }
            }
        },
    };
    enc + backlen(enc)
}

/// Bytes a score takes in a listpack (as Redis stores it: an integer when
/// integral, else its shortest decimal text).
fn lp_score_size(score: f64) -> u64 {
    if score.fract() == 0.0 && score.abs() < 1e17 {
        return lp_entry_size(&Item::Int(score as i64));
    }
    let text = format!("{score}");
    lp_entry_size(&Item::Bytes(std::borrow::Cow::Owned(text.into_bytes())))
}

/// The model of a set, member by member: an intset when every member is
/// an integer and there are few enough, else a dict of sds members.
pub(super) struct SetSize {
    count: u64,
    /// The smallest and largest integer so far (from 0), while all are.
    ints: Option<(i64, i64)>,
    members: u64,
}

impl Default for SetSize {
    fn default() -> Self {
        SetSize {
            count: 0,
            ints: Some((0, 0)),
            members: 0,
        }
    }
}

impl SetSize {
    #[inline]
    pub(super) fn add(&mut self, item: &Item<'_>) {
        self.count += 1;
        if self.ints.is_some() {
            let as_int = match item {
                Item::Int(v) => Some(*v),
                Item::Bytes(b) => is_canonical_int(b),
            };
            self.ints = match (self.ints, as_int) {
                (Some((lo, hi)), Some(v)) => Some((lo.min(v), hi.max(v))),
                _ => None,
            };
        }
        self.members += DICT_ENTRY + sds_size(item.len() as u64);
    }

    pub(super) fn total(&self, limits: &Limits) -> u64 {
        let count = self.count;
        if let Some((lo, hi)) = self.ints
            && count <= limits.set_max_intset_entries
        {
            let width = if lo >= i64::from(i16::MIN) && hi <= i64::from(i16::MAX) {
                2
            } else if lo >= i64::from(i32::MIN) && hi <= i64::from(i32::MAX) {
                4
            } else {
                8
            };
            return ROBJ + jemalloc_size(8 + count * width);
        }
        ROBJ + dict_size(count) + self.members
    }
}

fn dict_size(count: u64) -> u64 {
    DICT + 8 * count.max(4).next_power_of_two()
}

/// What a key's name costs: its sds string and its dict entry.
#[inline(always)]
pub(super) fn key_size(key_len: u64) -> u64 {
    sds_size(key_len) + DICT_ENTRY
}

/// What a value kept as one blob of `len` bytes costs (an intset, a
/// listpack within the thresholds): its object and the blob.
#[inline]
pub(super) fn blob_size(len: u64) -> u64 {
    ROBJ + jemalloc_size(len)
}

/// What a quicklist costs before its nodes, and what each node of `len`
/// bytes adds.
pub(super) const QUICKLIST_BASE: u64 = ROBJ + QUICKLIST;
#[inline]
pub(super) fn quicklist_node_size(len: u64) -> u64 {
    QUICKLIST_NODE + jemalloc_size(len)
}

/// Estimated `MEMORY USAGE` of a key named `key_len` bytes holding `value`.
pub fn estimate(key_len: u64, value: &Value<'_>) -> Result<u64> {
    estimate_with(key_len, value, &Limits::REDIS_7_0)
}

/// [`estimate`] under other encoding thresholds.
pub fn estimate_with(key_len: u64, value: &Value<'_>, limits: &Limits) -> Result<u64> {
    let key = key_size(key_len);
    // Most keys are strings, whose size no threshold changes.
    if value.value_type == ValueType::String {
        return Ok(key + string_size(&value.string()?)?);
    }
    Ok(key + value_size(value, limits)?)
}

/// What a string value costs (the object and its sds, or nothing beyond
/// the object for an integer).
#[inline(always)]
pub(super) fn string_size(s: &RdbStr<'_>) -> Result<u64> {
    let len = s.len();
    if let RdbStr::Int(_) = s {
        return Ok(ROBJ);
    }
    let int = len <= 20
        && match s {
            RdbStr::Raw(b) => is_canonical_int(b).is_some(),
            other => is_canonical_int(&other.to_bytes()?).is_some(),
        };
    if int {
        return Ok(ROBJ);
    }
    Ok(if len <= 44 {
        jemalloc_size(ROBJ + 3 + len + 1)
    } else {
        ROBJ + sds_size(len)
    })
}

fn value_size(value: &Value<'_>, limits: &Limits) -> Result<u64> {
    // The shortcut trusts that a compact encoding on disk was written under
    // the default thresholds.
    if *limits == Limits::REDIS_7_0
        && let Some(size) = compact_size(value)?
    {
        return Ok(size);
    }
    let vt = value.value_type;
    match value.object_type() {
        ObjectType::String => string_size(&value.string()?),
        ObjectType::Module => Ok(ROBJ + value.data.len() as u64),
        ObjectType::Stream => {
            let s = value.stream()?;
            // Redis's own stream accounting: the struct, each radix tree as
            // 16 bytes per element plus 244 per node (nodes estimated as
            // elements + 1), the listpacks, groups, NACKs and consumers.
            let rax = |n: u64| 16 * n + (n + 1) * (4 + 240);
            let mut size = ROBJ + 80 + rax(s.listpacks);
            let mut c = super::cursor::Cursor::new(value.data, value.offset, true);
            let nodes = c.rdb_len("stream listpack count")?;
            for _ in 0..nodes {
                c.skip_rdb_str("stream node key")?;
                size += jemalloc_size(c.rdb_str("stream listpack")?.len());
            }
            for g in &s.groups {
                let pel = g.pending.len() as u64;
                size += 40 + rax(pel) + 24 * pel;
                for consumer in &g.consumers {
                    size += 24 + consumer.name.len() as u64 + rax(consumer.pending.len() as u64);
                }
            }
            Ok(size)
        }
        ObjectType::List => {
            // Direct: QUICKLIST_2 nodes stored as listpacks load as they are.
            let mut nodes = 0u64;
            let mut node_bytes = 7u64;
            let mut node_items = 0u64;
            let mut total = 0u64;
            for e in value.elements()? {
                let Element::Member(item) = e? else { continue };
                let sz = lp_entry_size(&item);
                if limits.node_full(node_bytes, node_items, sz) {
                    total += QUICKLIST_NODE + jemalloc_size(node_bytes);
                    nodes += 1;
                    node_bytes = 7;
                    node_items = 0;
                }
                node_bytes += sz;
                node_items += 1;
            }
            if node_items > 0 {
                total += QUICKLIST_NODE + jemalloc_size(node_bytes);
                nodes += 1;
            }
            let _ = nodes;
            Ok(ROBJ + QUICKLIST + total)
        }
        ObjectType::Set => {
            let mut set = SetSize::default();
            for e in value.elements()? {
                let Element::Member(item) = e? else { continue };
                set.add(&item);
            }
            Ok(set.total(limits))
        }
        ObjectType::Hash => {
            let mut count = 0u64;
            let mut small = true;
            let mut lp = 7u64;
            let mut table = 0u64;
            for e in value.elements()? {
                let Element::Field { field, value, .. } = e? else {
                    continue;
                };
                count += 1;
                small &= field.len() as u64 <= limits.hash_max_listpack_value
                    && value.len() as u64 <= limits.hash_max_listpack_value;
                lp += lp_entry_size(&field) + lp_entry_size(&value);
                table += DICT_ENTRY + sds_size(field.len() as u64) + sds_size(value.len() as u64);
            }
            let listpack_on_disk = matches!(vt, ValueType::HashListpack);
            if small && count <= limits.hash_max_listpack_entries {
                let bytes = if listpack_on_disk {
                    value_blob_len(value).unwrap_or(lp)
                } else {
                    lp
                };
                Ok(ROBJ + jemalloc_size(bytes))
            } else {
                Ok(ROBJ + dict_size(count) + table)
            }
        }
        ObjectType::Zset => {
            let mut count = 0u64;
            let mut small = true;
            let mut lp = 7u64;
            let mut nodes = 0u64;
            for e in value.elements()? {
                let Element::Scored { member, score } = e? else {
                    continue;
                };
                count += 1;
                small &= member.len() as u64 <= limits.zset_max_listpack_value;
                lp += lp_entry_size(&member) + lp_score_size(score);
                nodes += sds_size(member.len() as u64) + DICT_ENTRY + 53;
            }
            if small && count <= limits.zset_max_listpack_entries {
                let bytes = if vt == ValueType::ZsetListpack {
                    value_blob_len(value).unwrap_or(lp)
                } else {
                    lp
                };
                Ok(ROBJ + jemalloc_size(bytes))
            } else {
                Ok(ROBJ + 16 + 32 + dict_size(count) + jemalloc_size(24 + 32 * 16) + nodes)
            }
        }
    }
}

/// Encodings Redis 7 keeps in RAM exactly as stored (an intset, a listpack
/// within the default size thresholds, quicklist-2 nodes) cost their blob's
/// size, so the elements need not be walked. `None` for everything else.
fn compact_size(value: &Value<'_>) -> Result<Option<u64>> {
    if value.value_type == ValueType::ListQuicklist2 {
        return quicklist2_size(value).map(Some);
    }
    let fits = match compact_limit(value.value_type) {
        Some(limit) => value.len()? <= limit,
        None => false,
    };
    if !fits {
        return Ok(None);
    }
    Ok(value_blob_len(value).map(blob_size))
}

/// The most elements a blob of this encoding (an intset or a listpack)
/// holds when Redis 7 keeps it as stored, under the default thresholds.
#[inline]
pub(super) fn compact_limit(vt: ValueType) -> Option<u64> {
    use ValueType::*;
    match vt {
        SetIntset | HashListpack => Some(512),
        SetListpack | ZsetListpack => Some(128),
        _ => None,
    }
}

/// A quicklist-2 list loads node by node as stored: each node costs its
/// header plus its listpack (or plain element) allocation.
fn quicklist2_size(value: &Value<'_>) -> Result<u64> {
    let mut c = super::cursor::Cursor::new(value.data, value.offset, true);
    let nodes = c.rdb_count("quicklist node count", 2)?;
    let mut total = QUICKLIST_BASE;
    for _ in 0..nodes {
        c.rdb_len("quicklist container")?;
        total += quicklist_node_size(c.rdb_str("quicklist node")?.len());
    }
    Ok(total)
}

/// The length of a value's single blob when stored uncompressed.
fn value_blob_len(value: &Value<'_>) -> Option<u64> {
    let mut c = super::cursor::Cursor::new(value.data, value.offset, true);
    match c.rdb_str("blob").ok()? {
        RdbStr::Raw(b) => Some(b.len() as u64),
        RdbStr::Lzf { len, .. } => Some(len),
        RdbStr::Int(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_from_settings() {
        let mut l = Limits::default();
        l.set("hash-max-ziplist-entries=1024").unwrap();
        l.set("list-max-listpack-size = -3").unwrap();
        assert_eq!(l.hash_max_listpack_entries, 1024);
        assert_eq!(l.list_max_listpack_size, -3);
        assert!(l.set("hash-max-listpack-entries").is_err());
        assert!(l.set("maxmemory=1").is_err());
        assert!(l.set("list-max-listpack-size=-6").is_err());
        assert!(l.node_full(8000, 3, 200) == (8200 > 16384));
    }

    #[test]
    fn jemalloc_classes() {
        let got: Vec<u64> = [1, 8, 9, 17, 100, 128, 129, 161, 257, 1025, 5000, 9000]
            .into_iter()
            .map(jemalloc_size)
            .collect();
        assert_eq!(
            got,
            [8, 8, 16, 32, 112, 128, 160, 192, 320, 1280, 5120, 10240]
        );
    }
}
