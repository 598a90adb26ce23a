//! `sonde serve`: SORT, GEO, HyperLogLog, BITOP/BITFIELD and COMMAND
//! GETKEYS — differential scripts against a real redis-server in RESP2 and
//! RESP3 (replies compared byte for byte, see `common::differential`),
//! HyperLogLog strings crossing between the servers with DUMP/RESTORE, and
//! SORT STORE serving a blocked client.

use std::time::Duration;

use crate::common::differential::{Conn, assert_same};
use crate::common::{RedisServer, SondeServer};

/// Run `script` against both servers, once in RESP2 and once in RESP3.
fn diff_both_protocols(script: &str) {
    for hello in ["", "?HELLO 3\n"] {
        let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
        assert_same(&redis.addr(), &sonde.addr(), &format!("{hello}{script}"));
    }
}

fn args(line: &str) -> Vec<Vec<u8>> {
    sonde::resp::request::split_args(line.as_bytes()).expect("balanced quotes")
}

#[test]
fn hyperloglog_commands_match_redis() {
    let mut script = String::from(
        r#"
        PFADD h a b c d e f g
        PFADD h a
        PFCOUNT h
        GET h
        PFDEBUG DECODE h
        PFDEBUG ENCODING h
        PFADD h2 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20
        PFMERGE h3 h h2
        PFCOUNT h3
        GET h3
        PFCOUNT h h2 missing
        PFMERGE h4 missing
        GET h4
        PFADD empty
        GET empty
        PFCOUNT missing
        PFDEBUG GETREG missing
        PFDEBUG NOSUCH h
        PFDEBUG TODENSE h3
        PFDEBUG TODENSE h3
        PFDEBUG ENCODING h3
        PFDEBUG DECODE h3
        GET h3
        PFCOUNT h3
        SET s foo
        PFADD s x
        PFCOUNT s
        PFMERGE s h
        PFMERGE h s
        LPUSH l x
        PFADD l x
        PFCOUNT l h
        SET bad "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x40\x00"
        PFCOUNT bad
        PFADD bad x
        PFCOUNT bad h
        SET wrongdense "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
        PFCOUNT wrongdense
        CONFIG SET hll-sparse-max-bytes 100
        CONFIG GET hll-sparse-max-bytes
        "#,
    );
    // Enough elements to cross the sparse limit and to reach values above
    // 32 only dense can hold.
    let mut many = String::from("PFADD big");
    for i in 0..400 {
        many.push_str(&format!(" e{i}"));
    }
    script.push_str(&format!(
        "{many}\nPFDEBUG ENCODING big\nGET big\nPFCOUNT big\nGET big\n"
    ));
    script.push_str("CONFIG SET hll-sparse-max-bytes 3000\n");
    let mut huge = String::from("PFADD huge");
    for i in 0..3000 {
        huge.push_str(&format!(" x{i}"));
    }
    script.push_str(&format!(
        "{huge}\nPFCOUNT huge\nGET huge\nPFMERGE all big huge h\nGET all\nPFCOUNT all\nPFCOUNT big huge h\n"
    ));
    diff_both_protocols(&script);
}

/// A HyperLogLog made by either server restores on the other with the same
/// bytes and the same count, sparse and dense.
#[test]
fn hyperloglog_strings_cross_between_redis_and_sonde() {
    let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
    let mut r = Conn::open(&redis.addr());
    let mut s = Conn::open(&sonde.addr());
    let mut sparse = String::from("PFADD sparse");
    let mut dense = String::from("PFADD dense");
    for i in 0..50 {
        sparse.push_str(&format!(" s{i}"));
    }
    for i in 0..5000 {
        dense.push_str(&format!(" d{i}"));
    }
    for line in [sparse.as_str(), dense.as_str()] {
        assert_eq!(r.call(&args(line)), s.call(&args(line)), "{line}");
    }
    for key in ["sparse", "dense"] {
        let get = args(&format!("GET {key}"));
        assert_eq!(r.call(&get), s.call(&get), "bytes of {key}");
        for forward in [true, false] {
            let (from, to) = if forward {
                (&mut r, &mut s)
            } else {
                (&mut s, &mut r)
            };
            let payload = from.call(&args(&format!("DUMP {key}")));
            let body = bulk_body(&payload);
            let mut restore = args(&format!("RESTORE {key}-copy 0"));
            restore.push(body);
            restore.push(b"REPLACE".to_vec());
            assert_eq!(to.call(&restore), b"+OK\r\n");
            let count = args(&format!("PFCOUNT {key}-copy"));
            let add = args(&format!("PFADD {key}-copy more"));
            let (c1, c2) = (from.call(&args(&format!("PFCOUNT {key}"))), to.call(&count));
            assert_eq!(c1, c2, "count of {key}");
            to.call(&add);
            from.call(&args(&format!("PFADD {key} more")));
            let (g1, g2) = (
                from.call(&args(&format!("GET {key}"))),
                to.call(&args(&format!("GET {key}-copy"))),
            );
            assert_eq!(g1, g2, "bytes of {key} after one more PFADD");
        }
    }
}

fn bulk_body(reply: &[u8]) -> Vec<u8> {
    let header_end = reply.iter().position(|&b| b == b'\n').expect("header") + 1;
    reply[header_end..reply.len() - 2].to_vec()
}

#[test]
fn bit_operations_match_redis() {
    diff_both_protocols(
        r#"
        SET a abc
        SET b xyzzy
        BITOP AND dst a b
        GET dst
        BITOP OR dst a b missing
        GET dst
        BITOP XOR dst a b
        GET dst
        BITOP NOT dst a
        GET dst
        BITOP NOT dst a b
        BITOP NAND dst a
        BITOP AND dst missing
        EXISTS dst
        EXPIRE a 100
        BITOP OR a a b
        TTL a
        LPUSH l x
        BITOP AND dst a l
        SET n 12345
        BITOP XOR dst n a
        GET dst
        BITFIELD bf SET i8 0 -100 GET u4 0 INCRBY i5 100 1 GET u2 3
        GET bf
        BITFIELD bf GET i64 0 GET u63 3 GET i1 7
        BITFIELD bf OVERFLOW SAT INCRBY u2 102 5 INCRBY i8 #2 200 OVERFLOW FAIL INCRBY i8 #2 100 OVERFLOW WRAP INCRBY i8 #2 100
        BITFIELD bf SET u8 #1 300 SET i8 #1 -300 OVERFLOW SAT SET u8 #1 300 SET i8 #1 -300
        BITFIELD bf INCRBY i64 0 9223372036854775807 INCRBY i64 0 1 OVERFLOW SAT INCRBY i64 0 9223372036854775807 OVERFLOW FAIL INCRBY i64 0 -1
        BITFIELD bf INCRBY u63 0 -1 OVERFLOW SAT INCRBY u63 0 -9223372036854775808
        BITFIELD bf GET u64 0
        BITFIELD bf GET i65 0
        BITFIELD bf GET x8 0
        BITFIELD bf GET u8 -1
        BITFIELD bf GET u8 #-1
        BITFIELD bf OVERFLOW NONE GET u8 0
        BITFIELD bf SET u8 0
        BITFIELD bf FOO
        BITFIELD bf
        BITFIELD missing GET u8 0 GET i16 100
        BITFIELD_RO bf GET u8 0 GET i5 3
        BITFIELD_RO bf SET u8 0 1
        BITFIELD_RO missing GET u8 0
        BITFIELD l GET u8 0
        BITFIELD l SET u8 0 1
        BITFIELD grow SET u8 100 255
        STRLEN grow
        SETBIT sb 7 1
        SETBIT sb 7 1
        SETBIT sb 100 0
        STRLEN sb
        SET n 7
        BITFIELD n GET u8 0 SET u8 8 1
        GET n
        "#,
    );
}

#[test]
fn sort_matches_redis() {
    diff_both_protocols(
        r#"
        RPUSH l 3 1 2 10 5 -1 1.5
        MSET w_3 1 w_1 30 w_2 2 w_10 -5 w_5 5
        HSET o_1 f 9 name one
        HSET o_2 f 8 name two
        HSET o_3 f 7 name three
        SORT l
        SORT l DESC
        SORT l LIMIT 1 2
        SORT l LIMIT -5 3
        SORT l LIMIT 5 100
        SORT l LIMIT 0 0
        SORT l DESC LIMIT 2 3
        SORT l BY w_*
        SORT l BY w_* DESC LIMIT 1 3
        SORT l BY w_* GET # GET w_* GET o_*->name
        SORT l BY o_*->f GET o_*->name GET o_*->missing GET o_*->
        SORT l BY nosort
        SORT l BY nosort DESC
        SORT l BY nosort LIMIT 1 3
        SORT l BY nosort DESC LIMIT 1 3
        SORT l BY nosort GET w_*
        SORT l BY const GET #
        SORT l ALPHA
        SORT l ALPHA DESC LIMIT 1 2
        SORT l BY w_* ALPHA
        SORT l BY o_*->name ALPHA GET o_*->name
        SORT l BY w_* STORE dst
        LRANGE dst 0 -1
        SORT l BY nosort GET w_* STORE dst
        LRANGE dst 0 -1
        SORT l LIMIT 0 0 STORE dst
        EXISTS dst
        SORT missing STORE dst
        SORT missing
        SADD s 5 3 9 -2
        SORT s
        SORT s DESC LIMIT 1 2
        SORT s BY nosort STORE dst
        LRANGE dst 0 -1
        SADD words apple pear fig
        SORT words ALPHA
        SORT words
        ZADD z 1 a 2 b 3 c 4 d -inf m +inf n
        SORT z ALPHA
        SORT z BY nosort
        SORT z BY nosort DESC
        SORT z BY nosort LIMIT 1 2
        SORT z BY nosort DESC LIMIT 1 2
        RPUSH bad a b
        SORT bad
        SORT bad BY w_*
        SET w_a " 1.5"
        SET w_b ""
        SORT bad BY w_*
        SET w_a nan
        SORT bad BY w_*
        RPUSH fl 1.1 1.01 1.001 -0 0 inf -inf
        SORT fl
        SET str foo
        SORT str
        SORT l LIMIT 1
        SORT l FOO
        SORT l LIMIT a b
        SORT_RO l BY w_* GET #
        SORT_RO l STORE dst
        SET w_a 1e400
        SORT bad BY w_*
        "#,
    );
}

#[test]
fn geo_commands_match_redis() {
    diff_both_protocols(
        r#"
        GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
        GEOADD Sicily 200 100 bad
        GEOADD Sicily 13 38
        GEOADD Sicily NX XX 1 1 a
        GEOADD Sicily CH 13.361389 38.115556 Palermo 10 10 Foo
        GEOADD Sicily XX CH 11 11 Foo 12 12 Bar
        GEOADD Sicily NX 1 1 Foo
        ZRANGE Sicily 0 -1 WITHSCORES
        GEODIST Sicily Palermo Catania
        GEODIST Sicily Palermo Catania km
        GEODIST Sicily Palermo Catania mi
        GEODIST Sicily Palermo Catania ft
        GEODIST Sicily Palermo Catania parsec
        GEODIST Sicily Palermo Catania km extra
        GEODIST Sicily Palermo nope
        GEODIST missing a b
        GEOHASH Sicily Palermo Catania nope
        GEOHASH missing a
        GEOPOS Sicily Palermo Catania nope
        GEOPOS missing a
        GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC
        GEORADIUS Sicily 15 37 200 km WITHDIST COUNT 1
        GEORADIUS Sicily 15 37 200 km DESC
        GEORADIUS Sicily 15 37 200 km STORE dst
        ZRANGE dst 0 -1 WITHSCORES
        GEORADIUS Sicily 15 37 200 km STOREDIST dst
        ZRANGE dst 0 -1 WITHSCORES
        GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
        GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST DESC
        GEORADIUSBYMEMBER Sicily nope 200 km
        GEORADIUSBYMEMBER missing nope 200 km
        GEORADIUS_RO Sicily 15 37 200 km STORE dst
        GEORADIUSBYMEMBER_RO Sicily Palermo 100 mi WITHCOORD
        GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km WITHDIST WITHCOORD ASC
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 100 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 1 ANY
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 2 DESC WITHHASH
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 300 km STOREDIST
        ZRANGE dst 0 -1 WITHSCORES
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 m
        EXISTS dst
        GEOSEARCH Sicily BYBOX 3 3 km ASC
        GEOSEARCH Sicily FROMLONLAT 15 37 ASC
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km
        GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km
        GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x
        GEOSEARCH missing FROMLONLAT 15 37 BYRADIUS 1 km
        GEOSEARCHSTORE dst missing FROMLONLAT 15 37 BYRADIUS 1 km
        GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHDIST
        GEOADD nyc -73.9454966 40.747533 "lic market" -73.9733487 40.7648057 "central park n/q/r" -73.9903085 40.7362513 "union square" -74.0131604 40.7126674 "wtc one" -73.7858139 40.6428986 "jfk" -73.9375699 40.7498929 "q4" -73.9564142 40.7480973 4545
        GEORADIUS nyc -73.9798091 40.7598464 3 km ASC
        GEORADIUS nyc -73.9798091 40.7598464 10 km WITHDIST ASC
        GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYBOX 6 6 km ASC WITHDIST
        GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 2 ANY
        GEODIST nyc q4 jfk ft
        GEOADD poles 0 85.05112878 north -180 -85.05112878 south 179.9999 0 east
        GEOPOS poles north south east
        GEOHASH poles north south east
        GEORADIUS poles 0 85 500 km WITHCOORD
        GEORADIUS poles 180 0 50 km WITHDIST
        SET str x
        GEOADD str 1 1 a
        GEOPOS str a
        GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km
        "#,
    );
}

#[test]
fn command_getkeys_matches_redis() {
    diff_both_protocols(
        r#"
        COMMAND GETKEYS SORT abc STORE def
        COMMAND GETKEYS SORT abc STORE invalid STORE stillbad STORE def
        COMMAND GETKEYS SORT_RO abc
        COMMAND GETKEYSANDFLAGS SET k1 v1
        COMMAND GETKEYSANDFLAGS SET k1 v1 GET
        COMMAND GETKEYSANDFLAGS MSET k1 v1 k2 v2
        COMMAND GETKEYSANDFLAGS LMOVE k1 k2 left right
        COMMAND GETKEYSANDFLAGS SORT k1 STORE k2
        COMMAND GETKEYSANDFLAGS BITFIELD k GET u8 0
        COMMAND GETKEYSANDFLAGS BITFIELD k SET u8 0 1
        COMMAND GETKEYS ZUNIONSTORE d 2 a b
        COMMAND GETKEYS ZUNIONSTORE d 3 a b
        COMMAND GETKEYS GEORADIUS k 1 1 1 km STORE x
        COMMAND GETKEYS GEORADIUS k 1 1 1 km
        COMMAND GETKEYS GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km
        COMMAND GETKEYS PFMERGE d a b
        COMMAND GETKEYS BITOP AND d a b
        COMMAND GETKEYS LMPOP 2 a b LEFT
        COMMAND GETKEYS OBJECT ENCODING k
        COMMAND GETKEYS PING x
        COMMAND GETKEYS NOSUCH x
        COMMAND GETKEYS GET a b
        "#,
    );
}

/// SORT ... STORE into a key a client waits on with BLPOP serves it, as
/// Redis does (the stored list is a push like any other).
#[test]
fn sort_store_serves_a_blocked_client() {
    let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
    for server_addr in [redis.addr(), sonde.addr()] {
        let mut blocked = Conn::open(&server_addr);
        let mut writer = Conn::open(&server_addr);
        blocked.send_command(&args("BLPOP dst 5"));
        wait_blocked(&mut writer);
        assert_eq!(writer.call(&args("RPUSH src 3 1 2")), b":3\r\n");
        assert_eq!(writer.call(&args("SORT src STORE dst")), b":3\r\n");
        assert_eq!(blocked.read_reply(), b"*2\r\n$3\r\ndst\r\n$1\r\n1\r\n");
        assert_eq!(
            writer.call(&args("LRANGE dst 0 -1")),
            b"*2\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
    }
}

fn wait_blocked(conn: &mut Conn) {
    for _ in 0..200 {
        let info = conn.call(&args("INFO clients"));
        if String::from_utf8_lossy(&info).contains("blocked_clients:1") {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the client never blocked");
}

#[test]
fn diagnostic_texts_match_redis() {
    diff_both_protocols(
        r#"
        LOLWUT
        LOLWUT VERSION 7
        LOLWUT VERSION x
        LOLWUT VERSION 5 66 8 2
        LOLWUT VERSION 5 30 3 1
        LOLWUT VERSION 5 1000 200 2
        LOLWUT VERSION 5 0 -3 0
        LOLWUT VERSION 5 20 3 1 extra
        LOLWUT VERSION 5 x
        LOLWUT VERSION 6 10 x
        LOLWUT VERSION 4
        LOLWUT VERSION -1
        MEMORY DOCTOR
        ?MEMORY MALLOC-STATS
        LATENCY DOCTOR
        CONFIG SET latency-monitor-threshold 100
        LATENCY DOCTOR
        "#,
    );
}

/// The shape of a LOLWUT drawing: per line, its braille characters or its
/// cells (one escape sequence pair each) and which grays they use; the
/// caption lines as they are.
fn lolwut_shape(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            if line.contains('\x1b') {
                let cells = line.matches(" \x1b[0m").count();
                let grays = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"]
                    .iter()
                    .filter(|g| line.contains(*g))
                    .count();
                format!("{cells} cells, at most 4 grays: {}", grays <= 4)
            } else if line.chars().all(|c| ('\u{2800}'..='\u{28ff}').contains(&c)) {
                format!("{} braille", line.chars().count())
            } else {
                line.to_owned()
            }
        })
        .collect()
}

#[test]
fn lolwut_drawings_have_the_shape_of_redis() {
    let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
    let (mut r, mut s) = (redis.client(), sonde.client());
    for args in [
        &["VERSION", "5"][..],
        &["VERSION", "5", "40", "5", "9"],
        &["VERSION", "6"],
        &["VERSION", "6", "33", "7"],
        &["VERSION", "6", "1", "1"],
    ] {
        let ask = |con: &mut redis::Connection| -> String {
            redis::cmd("LOLWUT").arg(args).query(con).unwrap()
        };
        let (theirs, ours) = (ask(&mut r), ask(&mut s));
        assert_eq!(
            lolwut_shape(&ours),
            lolwut_shape(&theirs),
            "LOLWUT {args:?}\n{ours}"
        );
    }
    // The skyline is drawn at random, as Redis does: two drawings differ.
    let a: String = redis::cmd("LOLWUT")
        .arg(&["VERSION", "6"][..])
        .query(&mut s)
        .unwrap();
    let b: String = redis::cmd("LOLWUT")
        .arg(&["VERSION", "6"][..])
        .query(&mut s)
        .unwrap();
    assert_ne!(a, b);
}

/// LATENCY GRAPH draws Redis's sparkline of an event's samples. The
/// samples are real sleeps a second apart, so their milliseconds and ages
/// vary a little between runs: digits are masked, the drawing is compared.
#[test]
fn latency_graph_draws_the_sparkline_of_redis() {
    let debug = ["--enable-debug-command", "yes"];
    let (redis, sonde) = (RedisServer::start(&debug), SondeServer::start(&debug));
    let draw = |addr: &str| -> Vec<Vec<u8>> {
        let mut conn = Conn::open(addr);
        let mut replies = vec![conn.call(&args("LATENCY GRAPH command"))];
        conn.call(&args("CONFIG SET latency-monitor-threshold 5"));
        // The middle sample sits mid-step (6.5 of 12 between the lowest
        // and the highest), so a sleep that overruns by up to 20 ms draws
        // the same column.
        for (i, sleep) in ["0.5", "0.02", "0.28"].iter().enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(1100));
            }
            let reply = conn.call(&args(&format!("DEBUG SLEEP {sleep}")));
            assert_eq!(reply, b"+OK\r\n");
        }
        replies.push(conn.call(&args("LATENCY GRAPH command")));
        replies.push(conn.call(&args("LATENCY GRAPH nosuch")));
        replies.push(conn.call(&args("LATENCY GRAPH")));
        replies.push(conn.call(&args("LATENCY HELP")));
        // RESP3: a verbatim string.
        conn.call(&args("HELLO 3"));
        replies.push(conn.call(&args("LATENCY GRAPH command")));
        replies.push(conn.call(&args("LATENCY GRAPH nosuch")));
        replies
            .into_iter()
            .map(|r| {
                r.iter()
                    .map(|&b| if b.is_ascii_digit() { b'9' } else { b })
                    .collect()
            })
            .collect()
    };
    let (theirs, ours) = (draw(&redis.addr()), draw(&sonde.addr()));
    for (t, o) in theirs.iter().zip(&ours) {
        assert_eq!(
            String::from_utf8_lossy(o),
            String::from_utf8_lossy(t),
            "sonde's reply, then redis-server's"
        );
    }
    let graph = String::from_utf8_lossy(&ours[1]);
    assert!(graph.contains("#"), "{graph}");
    assert!(
        ours[5].starts_with(b"="),
        "{}",
        String::from_utf8_lossy(&ours[5])
    );
}

/// LATENCY HISTOGRAM's reply read as (name, calls, [(bound µs, cumulative
/// count)]) per command.
type Histograms = Vec<(String, i64, Vec<(i64, i64)>)>;

fn histograms(value: redis::Value) -> Histograms {
    use redis::Value;
    let pairs = |v: Value| -> Vec<(Value, Value)> {
        let Value::Array(items) = v else {
            panic!("not a flat map: {v:?}")
        };
        assert_eq!(items.len() % 2, 0);
        let mut it = items.into_iter();
        std::iter::from_fn(|| Some((it.next()?, it.next()?))).collect()
    };
    let text = |v: &Value| match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        v => panic!("not a bulk string: {v:?}"),
    };
    let int = |v: &Value| match v {
        Value::Int(n) => *n,
        v => panic!("not an integer: {v:?}"),
    };
    pairs(value)
        .into_iter()
        .map(|(name, body)| {
            let body = pairs(body);
            assert_eq!(text(&body[0].0), "calls");
            assert_eq!(text(&body[1].0), "histogram_usec");
            let buckets = pairs(body[1].1.clone())
                .iter()
                .map(|(b, c)| (int(b), int(c)))
                .collect();
            (text(&name), int(&body[0].1), buckets)
        })
        .collect()
}

/// LATENCY HISTOGRAM reports the commands and subcommands Redis reports,
/// with their calls; durations vary, so each histogram is checked for the
/// shape Redis gives it: bounds among its power-of-two steps, cumulative
/// counts growing to the call count, a 5 ms sleep at or above 5 ms.
#[test]
fn latency_histogram_reports_what_redis_reports() {
    let debug = ["--enable-debug-command", "yes"];
    let (redis, sonde) = (RedisServer::start(&debug), SondeServer::start(&debug));
    // Redis's bucket bounds in µs: 1, 2, 4, 8, 16, 33, 66, ... 1082130.
    let bounds: Vec<i64> = (0..21)
        .map(|i| ((1024i64 << i) + (1024i64 << i) / 128 - 1) / 1000)
        .collect();
    assert_eq!(&bounds[..7], &[1, 2, 4, 8, 16, 33, 66]);
    let run = |mut con: redis::Connection| -> Vec<Histograms> {
        let mut q = |line: &str| -> redis::Value {
            let mut parts = line.split(' ');
            let mut cmd = redis::cmd(parts.next().unwrap());
            for p in parts {
                cmd.arg(p);
            }
            cmd.query(&mut con).unwrap()
        };
        q("CONFIG RESETSTAT");
        let mut out = vec![histograms(q("LATENCY HISTOGRAM"))];
        for line in ["SET a b", "SET c d", "GET a", "CLIENT ID", "CLIENT LIST"] {
            q(line);
        }
        q("DEBUG SLEEP 0.005");
        for line in [
            "LATENCY HISTOGRAM set get",
            "LATENCY HISTOGRAM hset",
            "LATENCY HISTOGRAM blabla SET blabla2",
            "LATENCY HISTOGRAM client",
            "LATENCY HISTOGRAM client|id",
            "LATENCY HISTOGRAM",
        ] {
            out.push(histograms(q(line)));
        }
        out
    };
    let (theirs, ours) = (run(redis.client()), run(sonde.client()));
    // DEBUG's subcommands are entries of their own in sonde's table
    // ("debug|sleep"), one command in Redis's ("debug").
    let names = |h: &Histograms, sorted: bool| {
        let mut v: Vec<(String, i64)> = h
            .iter()
            .filter(|(n, _, _)| !n.starts_with("debug"))
            .map(|(n, c, _)| (n.clone(), *c))
            .collect();
        if sorted {
            v.sort();
        }
        v
    };
    for (i, (t, o)) in theirs.iter().zip(&ours).enumerate() {
        // Subcommands and all commands come in the order of Redis's hash
        // tables: compare those as sets.
        let sorted = i >= 4;
        assert_eq!(names(o, sorted), names(t, sorted), "query {i}: {o:?}");
        for (name, calls, buckets) in o {
            assert!(!buckets.is_empty(), "{name}");
            assert!(
                buckets
                    .windows(2)
                    .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
            );
            assert!(
                buckets.iter().all(|(b, _)| bounds.contains(b)),
                "{name}: {buckets:?}"
            );
            assert_eq!(buckets.last().unwrap().1, *calls, "{name}");
        }
    }
    assert_eq!(names(&ours[0], false), [("config|resetstat".to_owned(), 1)]);
    let all = |h: &Histograms| h.iter().any(|(n, _, _)| n.starts_with("debug"));
    assert!(all(&theirs[6]) && all(&ours[6]));
    let debug_sleep = &ours[6].iter().find(|(n, _, _)| n == "debug").unwrap().2;
    assert!(debug_sleep[0].0 >= 8454, "{debug_sleep:?}");
    // RESP3: maps all the way down.
    let mut conn = Conn::open(&sonde.addr());
    conn.call(&args("HELLO 3"));
    let reply = conn.call(&args("LATENCY HISTOGRAM set"));
    assert!(
        reply.starts_with(
            b"%1\r\n$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n%"
        ),
        "{}",
        String::from_utf8_lossy(&reply)
    );
}

/// Subcommands come in the order of Redis's hash tables: sort them (by
/// name) wherever a `subcommands` map appears, keeping those `keep` wants
/// (sonde does not have every subcommand), and list their names in `seen`.
fn sorted_subcommands(
    value: redis::Value,
    keep: &dyn Fn(&str) -> bool,
    seen: &mut Vec<String>,
) -> redis::Value {
    use redis::Value;
    let name = |v: &Value| match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        v => format!("{v:?}"),
    };
    let subcommands = |subs: Vec<(Value, Value)>, seen: &mut Vec<String>| {
        let mut subs: Vec<(Value, Value)> = subs
            .into_iter()
            .filter(|(n, _)| keep(&name(n)))
            .map(|(n, v)| (n, sorted_subcommands(v, keep, seen)))
            .collect();
        subs.sort_by_key(|(n, _)| name(n));
        seen.extend(subs.iter().map(|(n, _)| name(n)));
        subs
    };
    match value {
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| match v {
                    Value::Map(subs) if name(&k) == "subcommands" => {
                        (k, Value::Map(subcommands(subs, seen)))
                    }
                    v => (k, sorted_subcommands(v, keep, seen)),
                })
                .collect(),
        ),
        Value::Array(items) => {
            // RESP2 maps are flat arrays: a subcommands key is followed by
            // a flat array of (name, docs) pairs.
            let mut out = Vec::new();
            let mut items = items.into_iter();
            while let Some(item) = items.next() {
                let is_subs = matches!(&item, Value::BulkString(b) if b == b"subcommands");
                out.push(sorted_subcommands(item, keep, seen));
                if let (true, Some(Value::Array(flat))) = (is_subs, items.as_slice().first()) {
                    let mut it = flat.clone().into_iter();
                    let pairs = std::iter::from_fn(|| Some((it.next()?, it.next()?))).collect();
                    let subs = subcommands(pairs, seen);
                    out.push(Value::Array(
                        subs.into_iter().flat_map(|(a, b)| [a, b]).collect(),
                    ));
                    items.next();
                }
            }
            Value::Array(out)
        }
        other => other,
    }
}

/// COMMAND DOCS answers what redis-server answers for every command both
/// have: summary, since, group, complexity, doc flags, deprecation,
/// history and the argument tree, subcommands included, in RESP2 and RESP3.
#[test]
fn command_docs_match_redis() {
    let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
    for protocol in ["", "?protocol=resp3"] {
        let connect = |url: String| {
            redis::Client::open(format!("{url}{protocol}"))
                .and_then(|c| c.get_connection())
                .unwrap()
        };
        let (mut r, mut s) = (connect(redis.url()), connect(sonde.url()));
        let list = |con: &mut redis::Connection| -> Vec<String> {
            redis::cmd("COMMAND").arg("LIST").query(con).unwrap()
        };
        let theirs = list(&mut r);
        let common: Vec<String> = list(&mut s)
            .into_iter()
            .filter(|name| theirs.contains(name))
            .collect();
        assert!(common.len() > 180, "{} commands in common", common.len());
        for name in common
            .iter()
            .map(String::as_str)
            .chain(["client|kill", "nosuch"])
        {
            let docs = |con: &mut redis::Connection| -> redis::Value {
                redis::cmd("COMMAND")
                    .arg("DOCS")
                    .arg(name)
                    .query(con)
                    .unwrap()
            };
            let mut ours_seen = Vec::new();
            let ours = sorted_subcommands(docs(&mut s), &|_| true, &mut ours_seen);
            let theirs = sorted_subcommands(
                docs(&mut r),
                &|n| ours_seen.contains(&n.to_owned()),
                &mut Vec::new(),
            );
            assert_eq!(ours, theirs, "COMMAND DOCS {name} {protocol}");
        }
    }
    // The whole table in one reply holds every command.
    let mut conn = Conn::open(&sonde.addr());
    let all = conn.call(&args("COMMAND DOCS"));
    let count = conn.call(&args("COMMAND COUNT"));
    let count: usize = String::from_utf8_lossy(&count[1..count.len() - 2])
        .parse()
        .unwrap();
    assert!(all.starts_with(format!("*{}\r\n", count * 2).as_bytes()));
}
