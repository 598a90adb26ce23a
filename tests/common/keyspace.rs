//! A mixed keyspace on a real redis-server, and what the server itself says
//! about it: every data type in the encodings Redis picks by size (int,
//! short, compressible and incompressible strings, some with a TTL;
//! listpack and quicklist lists; intset and hashtable sets; listpack and
//! skiplist sorted sets; listpack and hashtable hashes; streams, one with a
//! consumer group; a key that is not UTF-8), spread over several databases.

use std::collections::BTreeMap;

use super::RedisServer;

/// The value types Redis's TYPE command names.
pub const TYPES: [&str; 6] = ["string", "list", "set", "zset", "hash", "stream"];

/// Bytes that LZF cannot shrink (xorshift noise), `len` long.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Commands sent in pipelined batches.
struct Loader {
    conn: redis::Connection,
    pipe: redis::Pipeline,
    queued: usize,
}

impl Loader {
    fn add(&mut self, cmd: &redis::Cmd) {
        self.pipe.add_command(cmd.clone()).ignore();
        self.queued += 1;
        if self.queued >= 2000 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.queued > 0 {
            self.pipe
                .query::<()>(&mut self.conn)
                .expect("populate redis-server");
            self.pipe.clear();
            self.queued = 0;
        }
    }
}

/// Fill each of `dbs` with about 47 × `scale` keys of every type (see the
/// module docs); their sizes range from a few bytes to 20 KB.
pub fn populate_mixed(server: &RedisServer, dbs: &[u32], scale: u32) {
    let s = u64::from(scale);
    for &db in dbs {
        let mut load = Loader {
            conn: db_client(server, u64::from(db)),
            pipe: redis::pipe(),
            queued: 0,
        };
        for i in 0..30 * s {
            let value = match i % 100 {
                0 => format!("compressible {i} ").repeat(1000).into_bytes(),
                1 | 11 | 21 => noise(i, 1000 + (i as usize % 7) * 300),
                n if n % 3 == 0 => i.to_string().into_bytes(),
                _ => format!("v{i}").into_bytes(),
            };
            load.add(redis::cmd("SET").arg(format!("str:{i}")).arg(value));
        }
        for i in 0..2 * s {
            load.add(
                redis::cmd("SET")
                    .arg(format!("ttl:{i}"))
                    .arg(i)
                    .arg("EX")
                    .arg(1_000_000),
            );
        }
        load.add(
            redis::cmd("SET")
                .arg(&b"bin:\xff\x00\xfe"[..])
                .arg(&b"\x00\x01"[..]),
        );
        for i in 0..3 * s {
            let member = format!("m{i}");
            load.add(
                redis::cmd("RPUSH")
                    .arg(format!("list:{i}"))
                    .arg(&["a", "b", &member]),
            );
            load.add(
                redis::cmd("SADD")
                    .arg(format!("iset:{i}"))
                    .arg(&[1, i as i64, -7]),
            );
            load.add(
                redis::cmd("SADD")
                    .arg(format!("sset:{i}"))
                    .arg(&["x", &member]),
            );
            load.add(
                redis::cmd("ZADD")
                    .arg(format!("zset:{i}"))
                    .arg(1.5)
                    .arg("a")
                    .arg(i)
                    .arg(&member),
            );
            load.add(
                redis::cmd("HSET")
                    .arg(format!("hash:{i}"))
                    .arg(&["f", &member, "g", "h"]),
            );
        }
        for i in 0..1 + s / 50 {
            let members: Vec<String> = (0..2000).map(|m| format!("member-{i}-{m}")).collect();
            load.add(
                redis::cmd("RPUSH")
                    .arg(format!("biglist:{i}"))
                    .arg(&members),
            );
            load.add(
                redis::cmd("SADD")
                    .arg(format!("bigset:{i}"))
                    .arg(&members[..1000]),
            );
            let mut zadd = redis::cmd("ZADD");
            zadd.arg(format!("bigzset:{i}"));
            for (m, member) in members[..300].iter().enumerate() {
                zadd.arg(m as f64 / 7.0).arg(member);
            }
            load.add(&zadd);
            let mut hset = redis::cmd("HSET");
            hset.arg(format!("bighash:{i}"));
            for (m, member) in members[..600].iter().enumerate() {
                hset.arg(member).arg(noise(m as u64, 20));
            }
            load.add(&hset);
        }
        for i in 0..1 + s / 2 {
            for e in 0..5 {
                load.add(
                    redis::cmd("XADD")
                        .arg(format!("stream:{i}"))
                        .arg("*")
                        .arg("n")
                        .arg(e),
                );
            }
        }
        load.add(redis::cmd("XGROUP").arg(&["CREATE", "stream:0", "readers", "0"]));
        load.add(redis::cmd("XREADGROUP").arg(&[
            "GROUP", "readers", "alice", "COUNT", "2", "STREAMS", "stream:0", ">",
        ]));
        load.flush();
    }
}

/// A client on database `db` of `server`.
pub fn db_client(server: &RedisServer, db: u64) -> redis::Connection {
    redis::Client::open(format!("{}{db}", server.url()))
        .and_then(|c| c.get_connection())
        .expect("connect to redis-server")
}

/// Keys per database, from the server's `INFO keyspace` (DBSIZE of each).
pub fn dbsizes(server: &RedisServer) -> BTreeMap<u64, u64> {
    let info: String = redis::cmd("INFO")
        .arg("keyspace")
        .query(&mut server.client())
        .expect("INFO keyspace");
    info.lines()
        .filter_map(|l| {
            let (db, rest) = l.trim_end().strip_prefix("db")?.split_once(":keys=")?;
            let keys = rest.split(',').next()?;
            Some((db.parse().ok()?, keys.parse().ok()?))
        })
        .collect()
}

/// Keys of each type in database `db`, counted by the server (SCAN TYPE);
/// types without keys left out.
pub fn type_counts(server: &RedisServer, db: u64) -> BTreeMap<String, u64> {
    let mut conn = db_client(server, db);
    let mut counts = BTreeMap::new();
    for t in TYPES {
        let mut cursor = 0u64;
        let mut n = 0u64;
        loop {
            let (next, keys): (u64, Vec<redis::Value>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(10_000)
                .arg("TYPE")
                .arg(t)
                .query(&mut conn)
                .expect("SCAN TYPE");
            n += keys.len() as u64;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        if n > 0 {
            counts.insert(t.to_owned(), n);
        }
    }
    counts
}
