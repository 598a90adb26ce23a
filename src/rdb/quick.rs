//! The quick path of a summary: one key record read straight into the
//! [`KeyFacts`] the aggregates take (length, serialized size, estimated
//! RAM, encoding, expiry), for the encodings most keys have: strings, and
//! the blobs Redis 7 keeps in memory as they are stored (intsets,
//! listpacks within the default thresholds, quicklist-2 nodes). No
//! [`super::Value`] and no [`super::KeyEntry`] is built, and the element
//! count and RAM come from the headers and lengths the reader passes
//! anyway, so nothing is read twice.
//!
//! The facts are the ones the general path finds (the same functions of
//! the memory model and the same header counts): anything else, and
//! anything that does not read cleanly, is `None`, and the caller reads
//! the record again on the general path, which reports the error or walks
//! the elements.

use std::borrow::Cow;

use super::cursor::Cursor;
use super::encodings::Item;
use super::format::*;
use super::memory;
use super::stats::KeyFacts;
use super::value::header_count_unchecked;

/// Read the key record at the cursor (database `db`, in a file of `magic`)
/// into its facts; `None` (the cursor somewhere inside the record) when
/// the general path must read it.
#[inline(always)]
pub(super) fn key_facts<'a>(cur: &mut Cursor<'a>, magic: Magic, db: u64) -> Option<KeyFacts<'a>> {
    let mut expire_ms = None;
    let (vt, at) = loop {
        let at = cur.offset();
        match cur.peek()? {
            OPCODE_EXPIRETIME_MS => {
                cur.u8("expiry").ok()?;
                expire_ms = Some(cur.rdb_millis("expiry").ok()?);
            }
            OPCODE_EXPIRETIME => {
                cur.u8("expiry").ok()?;
                expire_ms = Some(i64::from(cur.u32_le("expiry").ok()?) * 1000);
            }
            OPCODE_IDLE => {
                cur.u8("LRU idle time").ok()?;
                cur.rdb_len("LRU idle time").ok()?;
            }
            OPCODE_FREQ => {
                cur.u8("LFU frequency").ok()?;
                cur.u8("LFU frequency").ok()?;
            }
            byte if byte < OPCODE_KEY_META => {
                let vt = ValueType::from_byte(byte, magic)?;
                cur.u8("value type").ok()?;
                break (vt, at);
            }
            _ => return None,
        }
    };
    // A key stored as an integer or compressed goes the general way (its
    // bytes are rebuilt there).
    let RdbStr::Raw(key) = cur.rdb_str("key").ok()? else {
        return None;
    };
    let key_size = memory::key_size(key.len() as u64);
    let (len, ram, encoding) = match vt {
        ValueType::String => {
            let s = cur.rdb_str_value("string value").ok()?;
            let ram = key_size + memory::string_size(&s).ok()?;
            (s.len(), ram, s.encoding())
        }
        ValueType::ListQuicklist2 => {
            let nodes = cur.rdb_count("quicklist node count", 2).ok()?;
            let (mut len, mut ram) = (0u64, key_size + memory::QUICKLIST_BASE);
            for _ in 0..nodes {
                let container = cur.rdb_len("quicklist container").ok()?;
                let at = cur.offset();
                let RdbStr::Raw(node) = cur.rdb_str("quicklist node").ok()? else {
                    return None;
                };
                len += match container {
                    1 => 1,
                    2 => header_count_unchecked(ValueType::SetListpack, node, at).ok()??,
                    _ => return None,
                };
                ram += memory::quicklist_node_size(node.len() as u64);
            }
            (len, ram, vt.encoding())
        }
        ValueType::Set => {
            let n = cur.rdb_count("element count", 1).ok()?;
            let mut set = memory::SetSize::default();
            for _ in 0..n {
                let item = match cur.rdb_str("element").ok()? {
                    RdbStr::Raw(b) => Item::Bytes(Cow::Borrowed(b)),
                    RdbStr::Int(v) => Item::Int(v),
                    RdbStr::Lzf { .. } => return None,
                };
                set.add(&item);
            }
            let ram = key_size + set.total(&memory::Limits::REDIS_7_0);
            (n, ram, vt.encoding())
        }
        _ => {
            let limit = memory::compact_limit(vt)?;
            let at = cur.offset();
            let RdbStr::Raw(blob) = cur.rdb_str("encoded value").ok()? else {
                return None;
            };
            let len = header_count_unchecked(vt, blob, at).ok()??;
            if len > limit {
                return None;
            }
            (
                len,
                key_size + memory::blob_size(blob.len() as u64),
                vt.encoding(),
            )
        }
    };
    Some(KeyFacts {
        db,
        key,
        object_type: vt.object_type(),
        encoding,
        len,
        size: cur.offset() - at,
        ram,
        expire_ms,
    })
}
