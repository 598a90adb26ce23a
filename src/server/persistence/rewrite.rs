//! An AOF base written as commands (`aof-use-rdb-preamble no`): per
//! database a SELECT, then per key the commands that rebuild it — SET for
//! strings; RPUSH, SADD, HMSET and ZADD with at most 64 elements each for
//! collections; RESTORE of the serialized value for values kept opaque —
//! and PEXPIREAT for keys with an expiry, as Redis's rewrite does.
//!
//! Values are read through [`with_rdb_value`], so this module knows the
//! RDB value model, not the keyspace's types.

use std::io::{self, Write};

use crate::rdb::{ValueRef, WriteError, dump};
use crate::resp::encode;

use super::super::keyspace::Keyspace;
use super::super::numeric::format_g17;
use super::super::rdb_value::with_rdb_value;

/// Elements per command, as Redis's AOF_REWRITE_ITEMS_PER_CMD.
const ITEMS_PER_COMMAND: usize = 64;
/// Bytes buffered before a write to `out`.
const FLUSH_AT: usize = 64 << 10;

/// Write the commands that rebuild `ks` to `out`; returns the key count.
pub fn write<W: Write>(ks: &Keyspace, mut out: W, key_delay_us: i64) -> Result<u64, WriteError> {
    let mut buf = Vec::with_capacity(FLUSH_AT * 2);
    let mut keys = 0;
    let delay = (key_delay_us > 0).then(|| std::time::Duration::from_micros(key_delay_us as u64));
    for code in &ks.functions {
        encode::command(&mut buf, &[&b"FUNCTION"[..], b"LOAD", code]);
    }
    for (index, db) in ks.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let index = itoa::Buffer::new().format(index).as_bytes().to_vec();
        encode::command(&mut buf, &[&b"SELECT"[..], &index]);
        for (key, obj) in db.dict.iter() {
            with_rdb_value(&obj.value, |value| rebuild(&mut buf, key, value))?;
            if let Some(at) = db.expire_of(key) {
                let at = itoa::Buffer::new().format(at).as_bytes().to_vec();
                encode::command(&mut buf, &[&b"PEXPIREAT"[..], key, &at]);
            }
            keys += 1;
            if buf.len() >= FLUSH_AT {
                out.write_all(&buf)?;
                buf.clear();
            }
            if let Some(delay) = delay {
                std::thread::sleep(delay);
            }
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(keys)
}

/// The commands that rebuild one key.
fn rebuild(buf: &mut Vec<u8>, key: &[u8], value: ValueRef<'_, '_>) -> Result<(), WriteError> {
    match value {
        ValueRef::String(s) => encode::command(buf, &[&b"SET"[..], key, s]),
        ValueRef::List(items) => batches(buf, b"RPUSH", key, items, |buf, item| {
            encode::bulk(buf, item)
        }),
        ValueRef::Set(members) => batches(buf, b"SADD", key, members, |buf, member| {
            encode::bulk(buf, member)
        }),
        ValueRef::Hash(pairs) => batches(buf, b"HMSET", key, pairs, |buf, (field, value)| {
            encode::bulk(buf, field);
            encode::bulk(buf, value);
        }),
        ValueRef::Zset(members) => batches(buf, b"ZADD", key, members, |buf, (member, score)| {
            encode::bulk(buf, format_g17(score).as_bytes());
            encode::bulk(buf, member);
        }),
        raw @ ValueRef::Raw { .. } => {
            let payload = dump::serialize(raw)?;
            encode::command(buf, &[&b"RESTORE"[..], key, b"0", &payload, b"REPLACE"]);
        }
    }
    Ok(())
}

/// `<command> key e1 e2 ...` with at most [`ITEMS_PER_COMMAND`] elements
/// per command; `put` encodes one element (one or two arguments).
fn batches<T>(
    buf: &mut Vec<u8>,
    command: &[u8],
    key: &[u8],
    items: &mut dyn ExactSizeIterator<Item = T>,
    put: impl Fn(&mut Vec<u8>, T),
) {
    let per_item = match command {
        b"HMSET" | b"ZADD" => 2,
        _ => 1,
    };
    let mut left = items.len();
    let mut in_command = 0;
    for item in items {
        if in_command == 0 {
            let n = left.min(ITEMS_PER_COMMAND);
            encode::header(buf, b'*', 2 + n * per_item);
            encode::bulk(buf, command);
            encode::bulk(buf, key);
            in_command = n;
        }
        put(buf, item);
        in_command -= 1;
        left -= 1;
    }
}

/// Redis-compatible error for a write that failed midway.
pub fn io_error(e: WriteError) -> io::Error {
    match e {
        WriteError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::types::{Str, Value};

    #[test]
    fn strings_become_set_and_pexpireat() {
        let mut ks = Keyspace::new(2);
        ks.dbs[1].set(b"k", Value::String(Str::from_bytes(b"v")), false);
        ks.dbs[1].set_expire(b"k", 12345);
        let mut out = Vec::new();
        assert_eq!(write(&ks, &mut out, 0).unwrap(), 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
             *3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$5\r\n12345\r\n"
        );
    }

    #[test]
    fn collections_are_split_into_commands_of_64() {
        let items: Vec<Vec<u8>> = (0..130).map(|i| format!("i{i}").into_bytes()).collect();
        let mut iter = items.iter().map(Vec::as_slice);
        let mut buf = Vec::new();
        rebuild(&mut buf, b"l", ValueRef::List(&mut iter)).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.matches("RPUSH").count(), 3);
        assert!(text.starts_with("*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$2\r\ni0\r\n"));
        assert!(text.contains("*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$4\r\ni128\r\n$4\r\ni129\r\n"));
        let pairs = [(&b"a"[..], 1.5f64)];
        let mut iter = pairs.iter().copied();
        let mut buf = Vec::new();
        rebuild(&mut buf, b"z", ValueRef::Zset(&mut iter)).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\na\r\n"
        );
    }
}
