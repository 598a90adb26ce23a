//! A server's whole dataset read back through its commands, type by type,
//! so two servers (sonde and redis-server, or one server before and after
//! a restart) can be compared whatever types they hold.
//!
//! Every key's database, name, TYPE and absolute expiry (PEXPIRETIME) are
//! always read. Its value is read with the commands of its type — GET,
//! LRANGE, SMEMBERS, ZRANGE WITHSCORES, HGETALL, XRANGE — when the server
//! has them (COMMAND INFO), and left `None` otherwise, so a comparison of a
//! type a server cannot operate on yet covers type and expiry and turns
//! into a full comparison on its own once the server implements the type.
//! A new type adds one arm to [`read_value`].

use std::collections::{BTreeMap, BTreeSet};

/// A value as its type's read commands return it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    /// Members with their scores, as the server prints them.
    Zset(Vec<(Vec<u8>, Vec<u8>)>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    /// Entry IDs with their fields and values.
    Stream(Vec<(Vec<u8>, Vec<Vec<u8>>)>),
}

/// One key.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub kind: String,
    /// Absolute expiry in Unix ms; -1 without one.
    pub expire_ms: i64,
    pub value: Option<Value>,
}

/// (database, key) → entry.
pub type Dataset = BTreeMap<(u32, Vec<u8>), Entry>;

fn bytes(v: &redis::Value) -> Vec<u8> {
    match v {
        redis::Value::BulkString(b) => b.clone(),
        redis::Value::SimpleString(s) => s.clone().into_bytes(),
        redis::Value::Int(n) => n.to_string().into_bytes(),
        other => format!("{other:?}").into_bytes(),
    }
}

fn items(v: redis::Value) -> Vec<redis::Value> {
    match v {
        redis::Value::Array(items) | redis::Value::Set(items) => items,
        redis::Value::Map(pairs) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        other => vec![other],
    }
}

/// Which read commands `conn`'s server has.
fn has_command(conn: &mut redis::Connection, name: &str) -> bool {
    let info: redis::Value = redis::cmd("COMMAND")
        .arg("INFO")
        .arg(name)
        .query(conn)
        .expect("COMMAND INFO");
    !matches!(items(info).first(), None | Some(redis::Value::Nil))
}

/// The value of `key` of type `kind`, when the server can read it.
fn read_value(
    conn: &mut redis::Connection,
    kind: &str,
    key: &[u8],
    available: &mut BTreeMap<&'static str, bool>,
) -> Option<Value> {
    let command = match kind {
        "string" => "get",
        "list" => "lrange",
        "set" => "smembers",
        "zset" => "zrange",
        "hash" => "hgetall",
        "stream" => "xrange",
        _ => return None,
    };
    if !*available
        .entry(command)
        .or_insert_with(|| has_command(conn, command))
    {
        return None;
    }
    let q = |cmd: &mut redis::Cmd, conn: &mut redis::Connection| -> redis::Value {
        cmd.query(conn)
            .unwrap_or_else(|e| panic!("{kind} {key:?}: {e}"))
    };
    Some(match kind {
        "string" => Value::String(bytes(&q(redis::cmd("GET").arg(key), conn))),
        "list" => Value::List(
            items(q(redis::cmd("LRANGE").arg(key).arg(0).arg(-1), conn))
                .iter()
                .map(bytes)
                .collect(),
        ),
        "set" => Value::Set(
            items(q(redis::cmd("SMEMBERS").arg(key), conn))
                .iter()
                .map(bytes)
                .collect(),
        ),
        "zset" => Value::Zset(
            items(q(
                redis::cmd("ZRANGE")
                    .arg(key)
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES"),
                conn,
            ))
            .chunks(2)
            .map(|p| (bytes(&p[0]), bytes(&p[1])))
            .collect(),
        ),
        "hash" => Value::Hash(
            items(q(redis::cmd("HGETALL").arg(key), conn))
                .chunks(2)
                .map(|p| (bytes(&p[0]), bytes(&p[1])))
                .collect(),
        ),
        _ => Value::Stream(
            items(q(redis::cmd("XRANGE").arg(key).arg("-").arg("+"), conn))
                .into_iter()
                .map(|entry| {
                    let mut parts = items(entry).into_iter();
                    let id = parts.next().map(|v| bytes(&v)).unwrap_or_default();
                    let fields = parts.flat_map(items).map(|v| bytes(&v)).collect();
                    (id, fields)
                })
                .collect(),
        ),
    })
}

/// Read every key of databases `dbs` of the server at `url`
/// (`redis://127.0.0.1:port/`).
pub fn read(url: &str, dbs: std::ops::Range<u32>) -> Dataset {
    let mut out = Dataset::new();
    let mut available = BTreeMap::new();
    for db in dbs {
        let mut conn = redis::Client::open(format!("{url}{db}"))
            .and_then(|c| c.get_connection())
            .expect("connect");
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(1000)
                .query(&mut conn)
                .expect("SCAN");
            for key in keys {
                let kind: String = redis::cmd("TYPE").arg(&key).query(&mut conn).expect("TYPE");
                let expire_ms: i64 = redis::cmd("PEXPIRETIME")
                    .arg(&key)
                    .query(&mut conn)
                    .expect("PEXPIRETIME");
                let value = read_value(&mut conn, &kind, &key, &mut available);
                out.insert(
                    (db, key),
                    Entry {
                        kind,
                        expire_ms,
                        value,
                    },
                );
            }
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
    }
    out
}

/// Assert two datasets hold the same keys with the same types and expiries,
/// and the same values wherever both servers could read them. Returns how
/// many values were compared.
#[track_caller]
pub fn assert_same(expected: &Dataset, actual: &Dataset) -> usize {
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !actual.contains_key(*k))
        .take(5)
        .collect();
    let extra: Vec<_> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "keys differ ({} vs {}): missing {missing:?}, extra {extra:?}",
        expected.len(),
        actual.len()
    );
    let mut compared = 0;
    for (key, want) in expected {
        let got = &actual[key];
        assert_eq!(want.kind, got.kind, "type of {key:?}");
        assert_eq!(want.expire_ms, got.expire_ms, "expiry of {key:?}");
        if let (Some(a), Some(b)) = (&want.value, &got.value) {
            assert_eq!(a, b, "value of {key:?}");
            compared += 1;
        }
    }
    compared
}
