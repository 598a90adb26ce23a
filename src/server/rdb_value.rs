//! The bridge between keyspace values and the RDB engine's value model.
//!
//! Everything that serializes a value (SAVE and BGSAVE snapshots, a full
//! resync's payload, DUMP, an AOF rewrite's RDB preamble) goes through
//! [`with_rdb_value`]; everything that builds one from a file or payload
//! (loading at startup, a replica loading its master's snapshot, RESTORE)
//! goes through [`from_rdb`]. Each data type adds its arm to both, so the
//! persistence and replication code never matches on value types itself.
//!
//! A value the server has no type for (streams, module values) is kept
//! [`Opaque`]: [`from_rdb_value`] falls back to the value's serialized
//! bytes when [`from_rdb`] reports it unsupported, and [`with_rdb_value`]
//! writes those bytes back unchanged, so every dump loads and saves.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::rdb::sanitize::Sanitize;
use crate::rdb::{self, Decoded, Item, ObjectType, RdbError, ValueRef, ValueType};

use super::types::hash::{self, HashRef};
use super::types::set;
use super::types::stream::Stream;
use super::types::zset::{self, ZsetRef};
use super::types::{Counted, intset};
use super::types::{Opaque, Str, Value};

/// Lend `value`'s RDB view to `write`. Collections are handed over as
/// iterators that live on this function's frame, which is why this takes a
/// callback instead of returning a `ValueRef`.
pub fn with_rdb_value<R>(value: &Value, write: impl FnOnce(ValueRef<'_, '_>) -> R) -> R {
    match value {
        Value::String(s) => {
            let mut digits = itoa::Buffer::new();
            write(ValueRef::String(s.bytes(&mut digits)))
        }
        Value::List(l) => write(ValueRef::List(&mut l.iter())),
        Value::HashPacked(_) | Value::HashTable(_) => {
            let Some(h) = HashRef::of(value) else {
                unreachable!("a hash variant")
            };
            write(ValueRef::Hash(&mut h.iter()))
        }
        Value::SetInts(p) => {
            // Integers have no bytes to borrow: format them once here.
            let texts: Vec<Vec<u8>> = intset::iter(p)
                .map(|n| itoa::Buffer::new().format(n).as_bytes().to_vec())
                .collect();
            write(ValueRef::Set(&mut texts.iter().map(Vec::as_slice)))
        }
        Value::SetTable(t) => write(ValueRef::Set(&mut Counted::new(
            t.iter().map(|(k, _)| k),
            t.len(),
        ))),
        Value::ZsetPacked(_) | Value::ZsetSkiplist(_) => {
            let Some(z) = ZsetRef::of(value) else {
                unreachable!("a sorted set variant")
            };
            write(ValueRef::Zset(&mut z.iter()))
        }
        Value::Stream(st) => {
            let data = stream_rdb_bytes(st);
            write(ValueRef::Raw {
                rdb_type: STREAM_RDB_TYPE,
                data: &data,
            })
        }
        Value::Opaque(o) => write(ValueRef::Raw {
            rdb_type: o.rdb_type,
            data: &o.data,
        }),
    }
}

/// Why a decoded RDB value cannot become a keyspace value.
#[derive(Debug, thiserror::Error)]
pub enum FromRdbError {
    #[error("{0} values are not supported by this server")]
    Unsupported(&'static str),
    #[error("empty {0}: Redis never stores empty collections")]
    Empty(&'static str),
}

fn owned(items: &[Item<'_>]) -> Vec<Vec<u8>> {
    items.iter().map(|i| i.to_bytes().into_owned()).collect()
}

/// Build a keyspace value from a decoded RDB value, choosing the in-memory
/// encoding Redis would choose for it.
pub fn from_rdb(decoded: Decoded<'_>) -> Result<Value, FromRdbError> {
    match decoded {
        Decoded::String(bytes) => Ok(Value::String(Str::from_bytes(&bytes))),
        Decoded::List(items) => {
            if items.is_empty() {
                return Err(FromRdbError::Empty("list"));
            }
            let fill = super::types::limits().list_max_listpack_size;
            let mut list = super::types::list::List::new();
            for item in &items {
                list.push_back(&item.to_bytes(), fill);
            }
            Ok(Value::List(Box::new(list)))
        }
        Decoded::Set(items) => {
            if items.is_empty() {
                return Err(FromRdbError::Empty("set"));
            }
            let members = owned(&items);
            Ok(set::from_members(members.iter().map(Vec::as_slice)))
        }
        Decoded::Hash(fields) => {
            if fields.is_empty() {
                return Err(FromRdbError::Empty("hash"));
            }
            if fields.iter().any(|(_, _, ttl)| ttl.is_some()) {
                return Err(FromRdbError::Unsupported("hash field expiry"));
            }
            let pairs: Vec<(Vec<u8>, Vec<u8>)> = fields
                .iter()
                .map(|(f, v, _)| (f.to_bytes().into_owned(), v.to_bytes().into_owned()))
                .collect();
            Ok(hash::from_pairs(
                pairs.iter().map(|(f, v)| (f.as_slice(), v.as_slice())),
            ))
        }
        Decoded::Zset(members) => {
            if members.is_empty() {
                return Err(FromRdbError::Empty("sorted set"));
            }
            if members.iter().any(|(_, s)| s.is_nan()) {
                return Err(FromRdbError::Unsupported("NaN score"));
            }
            let owned: Vec<(Vec<u8>, f64)> = members
                .iter()
                .map(|(m, s)| (m.to_bytes().into_owned(), *s))
                .collect();
            Ok(zset::from_pairs(
                owned.iter().map(|(m, s)| (m.as_slice(), *s)),
            ))
        }
        Decoded::Stream(_) => Err(FromRdbError::Unsupported("stream")),
        Decoded::Module(_) => Err(FromRdbError::Unsupported("module")),
    }
}

/// `sanitize-dump-payload`: how deeply RESTORE payloads and loaded
/// snapshots are checked before their values are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SanitizeDump {
    /// Redis's shallow checks only (the default).
    No,
    /// Deep checks on everything.
    Yes,
    /// Deep checks on RESTORE from clients, except from the master, the
    /// AOF and ACL users with `skip-sanitize-payload`; shallow on loading.
    Clients,
}

impl SanitizeDump {
    pub fn from_name(name: &str) -> SanitizeDump {
        match name {
            "yes" => SanitizeDump::Yes,
            "clients" => SanitizeDump::Clients,
            _ => SanitizeDump::No,
        }
    }
}

/// Whether loading a snapshot sanitizes deeply (`sanitize-dump-payload
/// yes`), set at start and on CONFIG SET: the loaders run without the
/// configuration at hand.
static DEEP_ON_LOAD: AtomicBool = AtomicBool::new(false);

/// Containers checked deeply since the start or CONFIG RESETSTAT (INFO
/// `dump_payload_sanitizations`).
static SANITIZATIONS: AtomicU64 = AtomicU64::new(0);

pub fn sanitizations() -> u64 {
    SANITIZATIONS.load(Ordering::Relaxed)
}

/// CONFIG RESETSTAT.
pub fn reset_stats() {
    SANITIZATIONS.store(0, Ordering::Relaxed);
}

pub fn set_sanitize_dump(mode: SanitizeDump) {
    DEEP_ON_LOAD.store(mode == SanitizeDump::Yes, Ordering::Relaxed);
}

/// The checks loading a snapshot makes.
pub fn load_sanitize() -> Sanitize {
    sanitize(DEEP_ON_LOAD.load(Ordering::Relaxed))
}

/// The checks at `deep`, with the thresholds in force.
pub fn sanitize(deep: bool) -> Sanitize {
    Sanitize {
        deep,
        hash_max_listpack_entries: super::types::limits().hash_max_listpack_entries as u64,
        zset_max_listpack_entries: super::types::limits().zset_max_listpack_entries as u64,
    }
}

/// Build a keyspace value from a value as read from an RDB file or DUMP
/// payload: checked as Redis checks it ([`rdb::sanitize::check`], whose
/// error carries the reason Redis logs), then decoded through
/// [`from_rdb`] (which checks it whole), or kept [`Opaque`] when the
/// server has no type for it. `None` for an empty collection, which Redis
/// never stores: loading skips such a key as Redis does, RESTORE rejects
/// it.
///
/// A collection that passes the shallow checks but does not decode (a
/// listpack whose entries are damaged, which only deep checks look at) is
/// kept [`Opaque`] too: Redis keeps such a value as well (and stops with an
/// assertion when a command reads the damage); sonde keeps its bytes for
/// DUMP and saving, and its commands refuse it.
pub fn from_rdb_value(value: &rdb::Value<'_>, checks: Sanitize) -> Result<Option<Value>, RdbError> {
    let mut deep_checks = 0;
    let checked = rdb::sanitize::check(value, checks, &mut deep_checks);
    SANITIZATIONS.fetch_add(deep_checks, Ordering::Relaxed);
    checked?;
    let built = if value.object_type() == ObjectType::Stream {
        stream_from_rdb(value)
    } else {
        value.decode().map(|d| match from_rdb(d) {
            Ok(v) => Some(v),
            Err(FromRdbError::Unsupported(_)) => Some(opaque(value)),
            Err(FromRdbError::Empty(_)) => None,
        })
    };
    match built {
        Err(e)
            if !checks.deep
                && !matches!(*e.kind, rdb::ErrorKind::Integrity(_))
                && !matches!(value.object_type(), ObjectType::String | ObjectType::Module) =>
        {
            Ok(Some(opaque(value)))
        }
        other => other,
    }
}

/// A value kept in its serialized form, reporting the type and encoding a
/// redis-server holding it would report.
fn opaque(value: &rdb::Value<'_>) -> Value {
    let vt = value.value_type;
    let (type_name, encoding) = match vt.object_type() {
        ObjectType::Module => (
            value
                .module()
                .map(|m| intern_module_name(m.module))
                .unwrap_or("module"),
            "raw",
        ),
        ObjectType::Stream => ("stream", "stream"),
        // Redis 7 converts the older compact encodings as it loads them.
        other => (
            other.name(),
            match vt {
                ValueType::List => "quicklist",
                _ => match vt.encoding() {
                    "ziplist" | "zipmap" => "listpack",
                    e => e,
                },
            },
        ),
    };
    Value::Opaque(Box::new(Opaque {
        rdb_type: vt.byte(),
        data: value.data.into(),
        type_name,
        encoding,
    }))
}

/// Module type names TYPE reports, kept for the process's lifetime (a
/// handful in practice; past the cap, "module").
fn intern_module_name(name: String) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let Ok(mut names) = NAMES.lock() else {
        return "module";
    };
    if let Some(found) = names.iter().find(|n| **n == name) {
        return found;
    }
    if names.len() >= 256 {
        return "module";
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.push(leaked);
    leaked
}

/// The stream type Redis 7.0 writes (RDB_TYPE_STREAM_LISTPACKS_2: first
/// ID, max deleted ID, entries added, entries read; no consumer active
/// time, which 7.2's type 21 adds and 7.0 cannot load).
pub const STREAM_RDB_TYPE: u8 = 19;

/// A stream's RDB payload as rdb.c writes it for type 19.
pub fn stream_rdb_bytes(s: &Stream) -> Vec<u8> {
    use crate::rdb::writer::{put_len, put_string};
    let mut out = Vec::with_capacity(s.nodes.iter().map(|(_, n)| n.len() + 24).sum::<usize>() + 64);
    put_len(&mut out, s.nodes.len() as u64);
    for (id, lp) in s.nodes.iter() {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&id.ms.to_be_bytes());
        key[8..].copy_from_slice(&id.seq.to_be_bytes());
        put_string(&mut out, &key, true);
        put_string(&mut out, lp, true);
    }
    put_len(&mut out, s.length);
    for id in [s.last_id, s.first_id, s.max_deleted] {
        put_len(&mut out, id.ms);
        put_len(&mut out, id.seq);
    }
    put_len(&mut out, s.entries_added);
    put_len(&mut out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        put_string(&mut out, name, true);
        put_len(&mut out, g.last_id.ms);
        put_len(&mut out, g.last_id.seq);
        put_len(&mut out, g.entries_read as u64);
        put_len(&mut out, g.pel.len() as u64);
        for (id, n) in &g.pel {
            out.extend_from_slice(&id.ms.to_be_bytes());
            out.extend_from_slice(&id.seq.to_be_bytes());
            out.extend_from_slice(&n.delivery_time.to_le_bytes());
            put_len(&mut out, n.delivery_count);
        }
        put_len(&mut out, g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            put_string(&mut out, cname, true);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            put_len(&mut out, c.pel.len() as u64);
            for id in &c.pel {
                out.extend_from_slice(&id.ms.to_be_bytes());
                out.extend_from_slice(&id.seq.to_be_bytes());
            }
        }
    }
    out
}

/// A stream from an RDB value: its listpack nodes kept as they are
/// (checked first), its metadata and groups. Type 15 streams get the
/// counters Redis derives for them; a stream with the idempotent-producer
/// state of newer versions is kept opaque.
fn stream_from_rdb(value: &rdb::Value<'_>) -> Result<Option<Value>, RdbError> {
    use super::types::stream::{Consumer, Group, Id, Nack};
    let meta = value.stream()?;
    if meta.idmp.is_some() {
        return Ok(Some(opaque(value)));
    }
    let bad = |what: &str| RdbError::invalid(value.offset, format!("stream {what}"));
    let nodes = value.stream_nodes()?;
    let Some(mut s) = Stream::from_nodes(nodes) else {
        return Err(bad("listpack node is malformed or empty"));
    };
    // Like Redis, the recorded length is trusted (its deep sanitization,
    // off by default, is what would compare it with the entries).
    s.length = meta.length;
    s.last_id = meta.last_id;
    if let Some(last) = s.edge(true)
        && last > s.last_id
    {
        return Err(bad("last ID is smaller than its last entry"));
    }
    match (meta.first_id, meta.max_deleted_id, meta.entries_added) {
        (Some(first), Some(max_deleted), Some(added)) => {
            s.first_id = first;
            s.max_deleted = max_deleted;
            s.entries_added = added;
        }
        _ => {
            s.first_id = s.edge(false).unwrap_or(Id::default());
            s.entries_added = s.length;
        }
    }
    for g in meta.groups {
        let entries_read = match g.entries_read {
            Some(n) => n as i64,
            None => s.estimate_distance(g.last_id),
        };
        let mut group = Group::new(g.last_id, entries_read);
        for p in g.pending {
            group.pel.insert(
                p.id,
                Nack {
                    delivery_time: p.delivery_time_ms,
                    delivery_count: p.delivery_count,
                    consumer: Vec::new(),
                },
            );
        }
        for c in g.consumers {
            let name = c.name.into_owned();
            let mut consumer = Consumer {
                seen_time: c.seen_time_ms,
                pel: Default::default(),
            };
            for id in c.pending {
                let Some(n) = group.pel.get_mut(&id) else {
                    return Err(bad("consumer PEL entry is not in its group's PEL"));
                };
                n.consumer.clone_from(&name);
                consumer.pel.insert(id);
            }
            group.consumers.insert(name, consumer);
        }
        s.groups.insert(g.name.into_owned(), group);
    }
    Ok(Some(Value::Stream(Box::new(s))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::dump;

    /// A value survives DUMP serialization and parsing unchanged.
    fn round_trip(value: &Value) -> Value {
        let payload = with_rdb_value(value, dump::serialize).expect("serialize");
        let parsed = dump::parse(&payload, crate::rdb::format::WRITE_VERSION).expect("parse");
        from_rdb(parsed.decode().expect("decode")).expect("from rdb")
    }

    /// A stream is kept opaque: TYPE and OBJECT ENCODING say what Redis
    /// would, and its bytes come back unchanged.
    #[test]
    fn unsupported_types_are_kept_opaque() {
        // XADD s 1-1 f v, as redis-server 7.0 DUMPs it.
        let payload: &[u8] = b"\x13\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x1d\x1d\x00\x00\x00\n\x00\x01\x01\x00\x01\x01\x01\x81f\x02\x00\x01\x02\x01\x00\x01\x00\x01\x81v\x02\x04\x01\xff\x01\x01\x01\x01\x01\x00\x00\x01\x00\n\x00\xffU\xabbj\xc05\xdb";
        let parsed = dump::parse(payload, crate::rdb::format::WRITE_VERSION).expect("parse");
        let value = from_rdb_value(&parsed, sanitize(true))
            .expect("kept")
            .expect("not empty");
        assert_eq!(value.type_name(), "stream");
        assert_eq!(value.encoding(), "stream");
        let again = with_rdb_value(&value, dump::serialize).expect("serialize");
        assert_eq!(
            again, payload,
            "DUMP of an opaque value is the original payload"
        );
    }

    #[test]
    fn strings_round_trip_with_their_encoding() {
        for bytes in [&b"12345"[..], b"hello", &[0xff; 100][..], b""] {
            let value = Value::String(Str::from_bytes(bytes));
            let back = round_trip(&value);
            assert_eq!(back.encoding(), value.encoding());
            assert_eq!(back, value);
        }
    }

    #[test]
    fn collections_round_trip_choosing_redis_encodings() {
        let mut small = hash::new_value();
        hash::set(&mut small, b"f", b"v");
        let back = round_trip(&small);
        assert_eq!(back, small);
        assert_eq!(back.encoding(), "listpack");
        let mut big = hash::new_value();
        for i in 0..600 {
            hash::set(&mut big, format!("f{i}").as_bytes(), b"v");
        }
        let back = round_trip(&big);
        assert_eq!(back.encoding(), "hashtable");
        assert_eq!(back, big);

        let mut ints = set::new_for(b"1");
        for i in 0..10 {
            set::add(&mut ints, format!("{i}").as_bytes());
        }
        let back = round_trip(&ints);
        assert_eq!(back.encoding(), "intset");
        assert_eq!(back, ints);
        let mut words = set::new_for(b"a");
        set::add(&mut words, b"a");
        assert_eq!(round_trip(&words).encoding(), "hashtable");

        let mut z = zset::new_for(1);
        zset::add(&mut z, 1.5, b"a", zset::AddFlags::default());
        zset::add(&mut z, -1.0, b"b", zset::AddFlags::default());
        assert_eq!(round_trip(&z), z);
        assert_eq!(round_trip(&z).encoding(), "listpack");

        let mut list = super::super::types::list::List::new();
        for i in 0..1000 {
            list.push_back(format!("item {i}").as_bytes(), -2);
        }
        let l = Value::List(Box::new(list));
        assert_eq!(round_trip(&l), l);
    }
}
