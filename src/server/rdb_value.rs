//! The bridge between keyspace values and the RDB engine's value model.
//!
//! Everything that serializes a value (SAVE and BGSAVE snapshots, a full
//! resync's payload, DUMP, an AOF rewrite's RDB preamble) goes through
//! [`with_rdb_value`]; everything that builds one from a file or payload
//! (loading at startup, a replica loading its master's snapshot, RESTORE)
//! goes through [`from_rdb`]. Each data type adds its arm to both, so the
//! persistence and replication code never matches on value types itself.

use crate::rdb::{Decoded, Item, ValueRef};

use super::keyspace::{Str, Value};
use super::types::hash::{self, HashRef};
use super::types::set;
use super::types::zset::{self, ZsetRef};
use super::types::{Counted, intset};

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

    #[test]
    fn strings_round_trip_with_their_encoding() {
        for bytes in [&b"12345"[..], b"hello", &[0xff; 100][..], b""] {
            let value = Value::String(Str::from_bytes(bytes));
            let back = round_trip(&value);
            assert_eq!(back.encoding(), value.encoding());
            let (Value::String(a), Value::String(b)) = (&value, &back) else {
                panic!("strings stay strings");
            };
            assert_eq!(a.to_vec(), b.to_vec());
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
