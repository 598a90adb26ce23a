//! The RDB engine against a real redis-server 7.0: dumps Redis writes are
//! reported exactly as Redis describes its keys; files and DUMP payloads
//! sonde writes pass redis-check-rdb and load with every key, value and
//! expiry intact; the RAM estimate is compared with MEMORY USAGE.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use redis::Connection;
use serde_json::Value;

use crate::common::redis_server::require_tool;
use crate::common::{RedisServer, assert_exit, run, text};
use sonde::rdb::{self, Decoded, Event, ValueRef, Writer};

fn cmd(con: &mut Connection, args: &[&[u8]]) -> redis::Value {
    let mut c = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(args[0])))
}

fn q<T: redis::FromRedisValue>(con: &mut Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Fill a server with every encoding Redis 7.0 has, in dbs 0, 1 and 3.
fn populate(con: &mut Connection) {
    let future = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 86_400_000 * 3) as i64;
    let _: () = q(con, &["SELECT", "0"]);
    // Strings: int, big int, embstr, raw, LZF-compressible, binary.
    let _: () = q(con, &["SET", "s:int", "12345"]);
    let _: () = q(con, &["SET", "s:neg", "-7"]);
    let _: () = q(con, &["SET", "s:bigint", "12345678901"]);
    let _: () = q(con, &["SET", "s:embstr", "hello world"]);
    let raw: String = (0..40).map(|i| format!("{:x}", i * 7919 % 251)).collect();
    let _: () = q(con, &["SET", "s:raw", &raw]);
    let _: () = q(con, &["SET", "s:lzf", &"compress me ".repeat(40)]);
    cmd(con, &[b"SET", b"s:bin\xff", b"\x00\x01\xfe\xff"]);
    // Lists: small and multi-node quicklists.
    let _: () = q(con, &["RPUSH", "l:small", "a", "1", "-300", "bbb"]);
    for chunk in 0..10 {
        let items: Vec<String> = (0..100)
            .map(|i| format!("item-{chunk}-{i}-{}", "x".repeat(i % 50)))
            .collect();
        let mut args = vec!["RPUSH", "l:big"];
        args.extend(items.iter().map(|s| s.as_str()));
        let _: () = q(con, &args);
    }
    // Sets: intset, hashtable by strings, hashtable by size.
    let _: () = q(con, &["SADD", "set:ints", "1", "2", "300", "-70000"]);
    let _: () = q(con, &["SADD", "set:strs", "alpha", "beta", "gamma"]);
    let big: Vec<String> = (0..600).map(|i| i.to_string()).collect();
    let mut args = vec!["SADD", "set:bigints"];
    args.extend(big.iter().map(|s| s.as_str()));
    let _: () = q(con, &args);
    // Hashes: listpack, hashtable by count, hashtable by value size.
    let _: () = q(con, &["HSET", "h:small", "f1", "v1", "f2", "2"]);
    let fields: Vec<String> = (0..600).map(|i| format!("field{i}")).collect();
    let mut args = vec!["HSET", "h:big"];
    for f in &fields {
        args.push(f);
        args.push("value");
    }
    let _: () = q(con, &args);
    let long = "v".repeat(100);
    let _: () = q(con, &["HSET", "h:longval", "f", &long]);
    // Sorted sets: listpack, skiplist by count, skiplist by member size.
    let _: () = q(con, &["ZADD", "z:small", "1", "a", "2.5", "b", "-3", "c"]);
    let mut args = vec!["ZADD".to_owned(), "z:big".to_owned()];
    for i in 0..200 {
        args.push(format!("{}", i as f64 / 3.0));
        args.push(format!("m{i}"));
    }
    let argv: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let _: () = q(con, &argv);
    let _: () = q(con, &["ZADD", "z:longmember", "1", &"m".repeat(80)]);
    // A stream with a consumer group, consumers and pending entries.
    for i in 0..30 {
        let _: String = q(
            con,
            &[
                "XADD",
                "st",
                &format!("1700000000000-{i}"),
                "n",
                &i.to_string(),
                "k",
                "v",
            ],
        );
    }
    let _: () = q(con, &["XGROUP", "CREATE", "st", "g1", "0"]);
    let _: redis::Value = q(
        con,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "alice",
            "COUNT",
            "3",
            "STREAMS",
            "st",
            ">",
        ],
    );
    let _: redis::Value = q(
        con,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "bob",
            "COUNT",
            "2",
            "STREAMS",
            "st",
            ">",
        ],
    );
    let _: () = q(con, &["XGROUP", "CREATE", "st", "g2", "$"]);
    // Expiries.
    for k in ["s:embstr", "l:small", "h:small", "z:big"] {
        let _: i64 = q(con, &["PEXPIREAT", k, &future.to_string()]);
    }
    let _: () = q(con, &["SELECT", "1"]);
    let _: () = q(con, &["SET", "db1:key", "one"]);
    let _: i64 = q(con, &["PEXPIREAT", "db1:key", &(future + 5).to_string()]);
    let _: () = q(con, &["SELECT", "3"]);
    let _: () = q(con, &["SADD", "db3:set", "x"]);
    let _: () = q(con, &["SELECT", "0"]);
}

/// TYPE, OBJECT ENCODING, length, PEXPIRETIME (if any), MEMORY USAGE.
type Truth = (String, String, u64, Option<i64>, u64);

/// Every key of every db with what Redis says about it.
fn describe(con: &mut Connection) -> BTreeMap<(u64, Vec<u8>), Truth> {
    let mut out = BTreeMap::new();
    for db in [0u64, 1, 3] {
        let _: () = q(con, &["SELECT", &db.to_string()]);
        let keys: Vec<Vec<u8>> = q(con, &["KEYS", "*"]);
        for key in keys {
            let t: String = redis::cmd("TYPE").arg(&key).query(con).unwrap();
            let enc: String = redis::cmd("OBJECT")
                .arg("ENCODING")
                .arg(&key)
                .query(con)
                .unwrap();
            let len_cmd = match t.as_str() {
                "string" => "STRLEN",
                "list" => "LLEN",
                "set" => "SCARD",
                "hash" => "HLEN",
                "zset" => "ZCARD",
                "stream" => "XLEN",
                other => panic!("type {other}"),
            };
            let len: u64 = redis::cmd(len_cmd).arg(&key).query(con).unwrap();
            let exp: i64 = redis::cmd("PEXPIRETIME").arg(&key).query(con).unwrap();
            let mem: u64 = redis::cmd("MEMORY")
                .arg("USAGE")
                .arg(&key)
                .arg("SAMPLES")
                .arg(0)
                .query(con)
                .unwrap();
            out.insert((db, key), (t, enc, len, (exp >= 0).then_some(exp), mem));
        }
    }
    let _: () = q(con, &["SELECT", "0"]);
    out
}

fn key_bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(o) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(o["base64"].as_str().unwrap())
                .unwrap()
        }
        other => panic!("key {other}"),
    }
}

fn records(path: &Path) -> Vec<Value> {
    let out = run(
        &[
            "rdb",
            "inspect",
            "--keys",
            "--format",
            "json",
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert_exit(&out, 0);
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A second server that loads `path` at startup.
fn load(path: &Path) -> RedisServer {
    let dir = path.parent().unwrap().to_str().unwrap().to_owned();
    let file = path.file_name().unwrap().to_str().unwrap().to_owned();
    RedisServer::start(&["--dir", &dir, "--dbfilename", &file])
}

fn save(server: &RedisServer, con: &mut Connection) -> std::path::PathBuf {
    let _: () = q(con, &["SAVE"]);
    server.dir().join("dump.rdb")
}

#[test]
fn inspect_reports_what_redis_says_about_every_key() {
    let server = RedisServer::start(&[]);
    let mut con = server.client();
    populate(&mut con);
    let path = save(&server, &mut con);
    // Describe the keys as a server that loaded the dump holds them, which
    // is what the RAM estimate models (listpacks trimmed to size, etc.).
    let loaded = load(&path);
    let truth = describe(&mut loaded.client());
    let recs = records(&path);
    assert_eq!(recs.len(), truth.len(), "key count");
    let mut encodings = BTreeSet::new();
    let mut worst: BTreeMap<String, f64> = BTreeMap::new();
    for r in &recs {
        let db = r["db"].as_u64().unwrap();
        let key = key_bytes(&r["key"]);
        let name = String::from_utf8_lossy(&key).into_owned();
        let (t, enc, len, exp, mem) = truth
            .get(&(db, key.clone()))
            .unwrap_or_else(|| panic!("{name} not in redis"));
        assert_eq!(r["type"], t.as_str(), "type of {name}");
        assert_eq!(r["len"], *len, "length of {name}");
        assert_eq!(r["expire_ms"].as_i64(), *exp, "expiry of {name}");
        let disk = r["encoding"].as_str().unwrap();
        if t == "string" {
            // On disk: integers that fit 32 bits are int-encoded; other
            // strings raw, or LZF when that saves space.
            let fits32 = name != "s:bigint" && enc == "int";
            let want = if fits32 {
                "int"
            } else if name == "s:lzf" {
                "lzf"
            } else {
                "raw"
            };
            assert_eq!(
                disk, want,
                "string encoding of {name} (OBJECT ENCODING {enc})"
            );
        } else {
            assert_eq!(disk, enc.as_str(), "encoding of {name}");
        }
        encodings.insert(format!("{t}/{disk}"));
        let ram = r["ram"].as_u64().unwrap() as f64;
        let err = (ram - *mem as f64).abs() / *mem as f64;
        if err > 0.1 {
            eprintln!("RAM estimate of {name}: {ram} vs MEMORY USAGE {mem}");
        }
        let e = worst.entry(format!("{t}/{enc}")).or_insert(0.0);
        *e = e.max(err);
    }
    for want in [
        "string/int",
        "string/raw",
        "string/lzf",
        "list/quicklist",
        "set/intset",
        "set/hashtable",
        "hash/listpack",
        "hash/hashtable",
        "zset/listpack",
        "zset/skiplist",
        "stream/stream",
    ] {
        assert!(encodings.contains(want), "no {want} among {encodings:?}");
    }
    eprintln!(
        "RAM estimate vs MEMORY USAGE SAMPLES 0, worst relative error by encoding: {worst:?}"
    );
    for (enc, err) in &worst {
        let bound = if enc.starts_with("stream") {
            0.20
        } else {
            0.05
        };
        assert!(
            *err <= bound,
            "RAM estimate for {enc} off by {:.1}% (bound {:.0}%)",
            err * 100.0,
            bound * 100.0
        );
    }
}

/// What the writer test writes and expects back.
#[derive(Clone, Debug, PartialEq)]
enum Data {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    Zset(Vec<(Vec<u8>, f64)>),
}

fn sample_data() -> Vec<(u64, Vec<u8>, Data, Option<i64>)> {
    let future = 4_102_444_800_000i64; // 2100-01-01
    let b = |s: &str| s.as_bytes().to_vec();
    let mut out = vec![
        (0, b("int"), Data::Str(b("123")), None),
        (0, b("negint"), Data::Str(b("-2147483648")), None),
        (
            0,
            b("bigint"),
            Data::Str(b("9223372036854775807")),
            Some(future),
        ),
        (0, b("leading-zero"), Data::Str(b("007")), None),
        (0, b("empty"), Data::Str(Vec::new()), None),
        (
            0,
            b"bin\x00\xff".to_vec(),
            Data::Str(vec![0, 255, 10, 13]),
            None,
        ),
        (
            0,
            b("lzf"),
            Data::Str(b(&"abcabc-".repeat(300))),
            Some(future + 1),
        ),
        (
            0,
            b("list"),
            Data::List(vec![b("a"), b("1"), b("-5"), b(&"x".repeat(100))]),
            None,
        ),
        (
            0,
            b("biglist"),
            Data::List((0..5000).map(|i| format!("e{i}").into_bytes()).collect()),
            None,
        ),
        (
            0,
            b("intset"),
            Data::Set([b("1"), b("2"), b("-3")].into()),
            None,
        ),
        (
            0,
            b("set"),
            Data::Set([b("a"), b("bb"), b("ccc")].into()),
            Some(future),
        ),
        (
            0,
            b("hash"),
            Data::Hash(
                [
                    (b("f"), b("v")),
                    (b("n"), b("42")),
                    (b("long"), b(&"y".repeat(200))),
                ]
                .into(),
            ),
            None,
        ),
        (
            0,
            b("zset"),
            Data::Zset(vec![
                (b("a"), 1.5),
                (b("b"), -2.0),
                (b("c"), f64::INFINITY),
                (b("d"), f64::NEG_INFINITY),
                (b("e"), 1e-300),
            ]),
            None,
        ),
    ];
    out.push((2, b("other-db"), Data::Str(b("two")), Some(future)));
    out.push((15, b("last-db"), Data::List(vec![b("z")]), None));
    out
}

fn write_value(
    w: &mut Writer<std::io::BufWriter<std::fs::File>>,
    key: &[u8],
    d: &Data,
    exp: Option<i64>,
) {
    match d {
        Data::Str(s) => w.key(key, ValueRef::String(s), exp),
        Data::List(items) => w.key(
            key,
            ValueRef::List(&mut items.iter().map(|v| v.as_slice())),
            exp,
        ),
        Data::Set(items) => w.key(
            key,
            ValueRef::Set(&mut items.iter().map(|v| v.as_slice())),
            exp,
        ),
        Data::Hash(m) => w.key(
            key,
            ValueRef::Hash(&mut m.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))),
            exp,
        ),
        Data::Zset(m) => w.key(
            key,
            ValueRef::Zset(&mut m.iter().map(|(k, s)| (k.as_slice(), *s))),
            exp,
        ),
    }
    .expect("write key");
}

/// Read a key back from Redis in the shape of `Data`.
fn fetch(con: &mut Connection, key: &[u8], like: &Data) -> Data {
    match like {
        Data::Str(_) => Data::Str(redis::cmd("GET").arg(key).query(con).unwrap()),
        Data::List(_) => Data::List(
            redis::cmd("LRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .query(con)
                .unwrap(),
        ),
        Data::Set(_) => Data::Set(redis::cmd("SMEMBERS").arg(key).query(con).unwrap()),
        Data::Hash(_) => Data::Hash(redis::cmd("HGETALL").arg(key).query(con).unwrap()),
        Data::Zset(want) => {
            let flat: Vec<Vec<u8>> = redis::cmd("ZRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES")
                .query(con)
                .unwrap();
            let mut got: Vec<(Vec<u8>, f64)> = flat
                .chunks(2)
                .map(|p| (p[0].clone(), rdb::format::parse_double(&p[1]).unwrap()))
                .collect();
            // Compare in the order written.
            let order: Vec<&Vec<u8>> = want.iter().map(|(m, _)| m).collect();
            got.sort_by_key(|(m, _)| order.iter().position(|o| *o == m));
            Data::Zset(got)
        }
    }
}

#[test]
fn files_sonde_writes_pass_redis_check_rdb_and_load_in_redis() {
    let check = require_tool("redis-check-rdb");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("written.rdb");
    let data = sample_data();
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut w = Writer::new(file).unwrap();
        w.aux(b"redis-ver", b"7.0.15").unwrap();
        w.aux(b"redis-bits", b"64").unwrap();
        let mut db = None;
        for (d, key, value, exp) in &data {
            if db != Some(*d) {
                w.select_db(*d).unwrap();
                let keys = data.iter().filter(|x| x.0 == *d).count() as u64;
                let exps = data.iter().filter(|x| x.0 == *d && x.3.is_some()).count() as u64;
                w.resize_db(keys, exps).unwrap();
                db = Some(*d);
            }
            write_value(&mut w, key, value, *exp);
        }
        w.finish().unwrap();
    }
    let out = Command::new(check).arg(&path).output().unwrap();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success() && said.contains("RDB looks OK"),
        "redis-check-rdb:\n{said}"
    );

    // sonde reads its own file back identically.
    let bytes = std::fs::read(&path).unwrap();
    let mut seen = 0;
    for ev in rdb::events(&bytes) {
        match ev.unwrap().event {
            Event::Key(k) => {
                let (_, _, want, exp) = &data[seen];
                assert_eq!(k.expire_ms, *exp);
                let got = match k.value.decode().unwrap() {
                    Decoded::String(s) => Data::Str(s.into_owned()),
                    Decoded::List(v) => {
                        Data::List(v.iter().map(|i| i.to_bytes().into_owned()).collect())
                    }
                    Decoded::Set(v) => {
                        Data::Set(v.iter().map(|i| i.to_bytes().into_owned()).collect())
                    }
                    Decoded::Hash(v) => Data::Hash(
                        v.iter()
                            .map(|(f, x, _)| (f.to_bytes().into_owned(), x.to_bytes().into_owned()))
                            .collect(),
                    ),
                    Decoded::Zset(v) => Data::Zset(
                        v.iter()
                            .map(|(m, s)| (m.to_bytes().into_owned(), *s))
                            .collect(),
                    ),
                    other => panic!("unexpected {other:?}"),
                };
                assert_eq!(&got, want);
                seen += 1;
            }
            Event::Eof { stored, computed } => assert_eq!(stored, computed),
            _ => {}
        }
    }
    assert_eq!(seen, data.len());

    // And a real redis-server loads exactly what was written.
    let server = load(&path);
    let mut con = server.client();
    for (db, key, want, exp) in &data {
        let _: () = q(&mut con, &["SELECT", &db.to_string()]);
        let got = fetch(&mut con, key, want);
        assert_eq!(&got, want, "value of {}", String::from_utf8_lossy(key));
        let pexp: i64 = redis::cmd("PEXPIRETIME").arg(key).query(&mut con).unwrap();
        assert_eq!(
            pexp,
            exp.unwrap_or(-1),
            "expiry of {}",
            String::from_utf8_lossy(key)
        );
    }
    let mut total = 0;
    for db in [0, 2, 15] {
        let _: () = q(&mut con, &["SELECT", &db.to_string()]);
        let n: usize = q(&mut con, &["DBSIZE"]);
        total += n;
    }
    assert_eq!(total, data.len());
}

#[test]
fn dump_payloads_round_trip_with_redis() {
    let server = RedisServer::start(&[]);
    let mut con = server.client();
    // sonde's payloads RESTORE in Redis...
    for (_, key, value, _) in sample_data() {
        let payload = match &value {
            Data::Str(s) => rdb::dump::serialize(ValueRef::String(s)),
            Data::List(v) => {
                rdb::dump::serialize(ValueRef::List(&mut v.iter().map(|x| x.as_slice())))
            }
            Data::Set(v) => {
                rdb::dump::serialize(ValueRef::Set(&mut v.iter().map(|x| x.as_slice())))
            }
            Data::Hash(m) => rdb::dump::serialize(ValueRef::Hash(
                &mut m.iter().map(|(k, v)| (k.as_slice(), v.as_slice())),
            )),
            Data::Zset(m) => rdb::dump::serialize(ValueRef::Zset(
                &mut m.iter().map(|(k, s)| (k.as_slice(), *s)),
            )),
        }
        .unwrap();
        let _: () = redis::cmd("RESTORE")
            .arg(&key)
            .arg(0)
            .arg(&payload)
            .query(&mut con)
            .unwrap();
        assert_eq!(
            fetch(&mut con, &key, &value),
            value,
            "{}",
            String::from_utf8_lossy(&key)
        );
        // ...and Redis's own payloads (listpack, intset, quicklist
        // encodings) parse back to the same data.
        let theirs: Vec<u8> = redis::cmd("DUMP").arg(&key).query(&mut con).unwrap();
        let v = rdb::dump::parse(&theirs, 10).unwrap();
        let got = match v.decode().unwrap() {
            Decoded::String(s) => Data::Str(s.into_owned()),
            Decoded::List(v) => Data::List(v.iter().map(|i| i.to_bytes().into_owned()).collect()),
            Decoded::Set(v) => Data::Set(v.iter().map(|i| i.to_bytes().into_owned()).collect()),
            Decoded::Hash(v) => Data::Hash(
                v.iter()
                    .map(|(f, x, _)| (f.to_bytes().into_owned(), x.to_bytes().into_owned()))
                    .collect(),
            ),
            Decoded::Zset(v) => {
                let mut got: Vec<(Vec<u8>, f64)> = v
                    .iter()
                    .map(|(m, s)| (m.to_bytes().into_owned(), *s))
                    .collect();
                if let Data::Zset(want) = &value {
                    let order: Vec<&Vec<u8>> = want.iter().map(|(m, _)| m).collect();
                    got.sort_by_key(|(m, _)| order.iter().position(|o| *o == m));
                }
                Data::Zset(got)
            }
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(
            got,
            value,
            "Redis's DUMP of {}",
            String::from_utf8_lossy(&key)
        );
        // A flipped byte fails the checksum; a newer version is refused.
        let mut bad = theirs.clone();
        bad[1] ^= 0x40;
        assert_eq!(
            rdb::dump::parse(&bad, 10).unwrap_err().kind.name(),
            "checksum_mismatch"
        );
        assert_eq!(
            rdb::dump::parse(&theirs, 9).unwrap_err().kind.name(),
            "unsupported_version"
        );
    }
}

#[test]
fn reader_resumes_over_a_growing_buffer() {
    let server = RedisServer::start(&[]);
    let mut con = server.client();
    populate(&mut con);
    let path = save(&server, &mut con);
    let bytes = std::fs::read(path).unwrap();
    let whole: Vec<(u64, u64)> = rdb::events(&bytes)
        .map(|e| e.map(|l| (l.offset, l.len)).unwrap())
        .collect();
    // Feed the bytes in uneven chunks, dropping consumed bytes as we go.
    for chunk in [1usize, 7, 100, 4096] {
        let mut reader = rdb::Reader::new();
        let mut buf: Vec<u8> = Vec::new();
        let mut fed = 0usize;
        let mut got = Vec::new();
        let mut need_more = 0;
        loop {
            match reader.next(&buf, fed == bytes.len()) {
                Ok(Some(ev)) => {
                    got.push((ev.offset, ev.len));
                    let used = ev.len as usize;
                    buf.drain(..used);
                }
                Ok(None) => break,
                Err(e) if e.is_need_more() => {
                    need_more += 1;
                    let end = (fed + chunk).min(bytes.len());
                    buf.extend_from_slice(&bytes[fed..end]);
                    fed = end;
                }
                Err(e) => panic!("chunk {chunk}: {e}"),
            }
        }
        assert_eq!(got, whole, "events with chunk size {chunk}");
        assert!(need_more > 0);
        assert!(reader.is_done());
    }
}
