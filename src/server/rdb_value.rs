//! The bridge between keyspace values and the RDB engine's value model.
//!
//! Everything that serializes a value (SAVE and BGSAVE snapshots, a full
//! resync's payload, DUMP, an AOF rewrite's RDB preamble) goes through
//! [`with_rdb_value`]; everything that builds one from a file or payload
//! (loading at startup, a replica loading its master's snapshot, RESTORE)
//! goes through [`from_rdb`]. Each data type adds its arm to both, so the
//! persistence and replication code never matches on value types itself.

use crate::rdb::{Decoded, ValueRef};

use super::keyspace::{Str, Value};

/// Lend `value`'s RDB view to `write`. Collections are handed over as
/// iterators that live on this function's frame, which is why this takes a
/// callback instead of returning a `ValueRef`.
pub fn with_rdb_value<R>(value: &Value, write: impl FnOnce(ValueRef<'_, '_>) -> R) -> R {
    match value {
        Value::String(s) => {
            let mut digits = itoa::Buffer::new();
            write(ValueRef::String(s.bytes(&mut digits)))
        }
    }
}

/// Why a decoded RDB value cannot become a keyspace value.
#[derive(Debug, thiserror::Error)]
pub enum FromRdbError {
    #[error("{0} values are not supported by this server")]
    Unsupported(&'static str),
}

/// Build a keyspace value from a decoded RDB value, choosing the in-memory
/// encoding Redis would choose for it.
pub fn from_rdb(decoded: Decoded<'_>) -> Result<Value, FromRdbError> {
    match decoded {
        Decoded::String(bytes) => Ok(Value::String(Str::from_bytes(&bytes))),
        Decoded::List(_) => Err(FromRdbError::Unsupported("list")),
        Decoded::Set(_) => Err(FromRdbError::Unsupported("set")),
        Decoded::Hash(_) => Err(FromRdbError::Unsupported("hash")),
        Decoded::Zset(_) => Err(FromRdbError::Unsupported("sorted set")),
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
            let (Value::String(a), Value::String(b)) = (&value, &back);
            assert_eq!(a.to_vec(), b.to_vec());
        }
    }
}
