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
const NODE_LIMIT: u64 = 8192;

/// The jemalloc size class an allocation of `n` bytes lands in.
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

fn dict_size(count: u64) -> u64 {
    DICT + 8 * count.max(4).next_power_of_two()
}

/// Estimated `MEMORY USAGE` of a key named `key_len` bytes holding `value`.
pub fn estimate(key_len: u64, value: &Value<'_>) -> Result<u64> {
    let key = sds_size(key_len) + DICT_ENTRY;
    Ok(key + value_size(value)?)
}

fn string_size(s: &RdbStr<'_>) -> Result<u64> {
    let len = s.len();
    if let RdbStr::Int(_) = s {
        return Ok(ROBJ);
    }
    if len <= 20 && is_canonical_int(&s.to_bytes()?).is_some() {
        return Ok(ROBJ);
    }
    Ok(if len <= 44 {
        jemalloc_size(ROBJ + 3 + len + 1)
    } else {
        ROBJ + sds_size(len)
    })
}

fn value_size(value: &Value<'_>) -> Result<u64> {
    if let Some(size) = compact_size(value)? {
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
                if node_items > 0 && node_bytes + sz > NODE_LIMIT {
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
            let mut count = 0u64;
            let mut ints: Option<(i64, i64)> = Some((0, 0));
            let mut members = 0u64;
            for e in value.elements()? {
                let Element::Member(item) = e? else { continue };
                count += 1;
                let as_int = match &item {
                    Item::Int(v) => Some(*v),
                    Item::Bytes(b) => is_canonical_int(b),
                };
                ints = match (ints, as_int) {
                    (Some((lo, hi)), Some(v)) => Some((lo.min(v), hi.max(v))),
                    _ => None,
                };
                members += DICT_ENTRY + sds_size(item.len() as u64);
            }
            if let Some((lo, hi)) = ints
                && count <= 512
            {
                let width = if lo >= i64::from(i16::MIN) && hi <= i64::from(i16::MAX) {
                    2
                } else if lo >= i64::from(i32::MIN) && hi <= i64::from(i32::MAX) {
                    4
                } else {
                    8
                };
                return Ok(ROBJ + jemalloc_size(8 + count * width));
            }
            Ok(ROBJ + dict_size(count) + members)
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
                small &= field.len() <= 64 && value.len() <= 64;
                lp += lp_entry_size(&field) + lp_entry_size(&value);
                table += DICT_ENTRY + sds_size(field.len() as u64) + sds_size(value.len() as u64);
            }
            let listpack_on_disk = matches!(vt, ValueType::HashListpack);
            if small && count <= 512 {
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
                small &= member.len() <= 64;
                lp += lp_entry_size(&member) + lp_score_size(score);
                nodes += sds_size(member.len() as u64) + DICT_ENTRY + 53;
            }
            if small && count <= 128 {
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
    use ValueType::*;
    let fits = match value.value_type {
        ListQuicklist2 => return quicklist2_size(value).map(Some),
        SetIntset | HashListpack => value.len()? <= 512,
        SetListpack | ZsetListpack => value.len()? <= 128,
        _ => false,
    };
    if !fits {
        return Ok(None);
    }
    Ok(value_blob_len(value).map(|len| ROBJ + jemalloc_size(len)))
}

/// A quicklist-2 list loads node by node as stored: each node costs its
/// header plus its listpack (or plain element) allocation.
fn quicklist2_size(value: &Value<'_>) -> Result<u64> {
    let mut c = super::cursor::Cursor::new(value.data, value.offset, true);
    let nodes = c.rdb_count("quicklist node count", 2)?;
    let mut total = ROBJ + QUICKLIST;
    for _ in 0..nodes {
        c.rdb_len("quicklist container")?;
        total += QUICKLIST_NODE + jemalloc_size(c.rdb_str("quicklist node")?.len());
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
