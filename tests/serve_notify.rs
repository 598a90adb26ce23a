//! `sonde serve` keyspace notifications: the same script of writes over
//! every type against a real redis-server and against sonde, with one
//! subscriber psubscribed to `__keyspace@*__:*` and `__keyevent@*__:*`;
//! the messages each subscriber received (raw bytes, in order) must be the
//! same, in RESP2 and in RESP3.

use std::time::Duration;

use crate::common::differential::Conn;
use crate::common::{RedisServer, SondeServer};

fn args(line: &str) -> Vec<Vec<u8>> {
    sonde::resp::request::split_args(line.as_bytes()).expect("balanced quotes")
}

/// Run `script` (one command a line; `sleep N` pauses N ms) on `addr` with
/// `notify-keyspace-events` set to `classes`, and return every message the
/// subscriber (speaking RESP `protocol`) received, quoted.
fn notifications(addr: &str, classes: &str, protocol: u8, script: &str) -> Vec<String> {
    let mut sub = Conn::open(addr);
    if protocol == 3 {
        sub.call(&args("HELLO 3"));
    }
    sub.call(&args("PSUBSCRIBE __keyspace@*__:* __keyevent@*__:*"));
    sub.read_reply();
    sub.call(&args("SUBSCRIBE end-of-script"));
    let mut cmd = Conn::open(addr);
    cmd.call(&args(&format!(
        "CONFIG SET notify-keyspace-events {classes}"
    )));
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(ms) = line.strip_prefix("sleep ") {
            std::thread::sleep(Duration::from_millis(ms.parse().expect("sleep ms")));
            continue;
        }
        cmd.call(&args(line));
    }
    cmd.call(&args("PUBLISH end-of-script done"));
    let mut seen = Vec::new();
    loop {
        let message = sub.read_reply();
        if message.windows(13).any(|w| w == b"end-of-script") {
            break;
        }
        seen.push(compact(&message));
    }
    cmd.call(&args("CONFIG SET notify-keyspace-events \"\""));
    seen
}

/// A message as one line: its frames' lines without the bulk-length
/// lines (`>4 pmessage __keyspace@*__:* __keyspace@0__:k set`).
fn compact(message: &[u8]) -> String {
    let text = sonde::output::bytes::quoted(message);
    let text = text.trim_matches('"');
    text.split("\\r\\n")
        .filter(|part| !part.is_empty() && !part.starts_with('$'))
        .collect::<Vec<_>>()
        .join(" ")
}

#[track_caller]
fn assert_same_notifications(classes: &str, protocol: u8, script: &str) {
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let expected = notifications(&redis.addr(), classes, protocol, script);
    let actual = notifications(&sonde.addr(), classes, protocol, script);
    assert!(!expected.is_empty(), "redis-server sent no notification");
    if expected != actual {
        let first = expected
            .iter()
            .zip(&actual)
            .take_while(|(a, b)| a == b)
            .count();
        let from = first.saturating_sub(2);
        panic!(
            "notifications differ from message {first} on ({} from redis-server, {} from sonde)\n\
             redis-server:\n  {}\nsonde:\n  {}",
            expected.len(),
            actual.len(),
            expected[from..(first + 6).min(expected.len())].join("\n  "),
            actual[from..(first + 6).min(actual.len())].join("\n  ")
        );
    }
}

const EVERY_TYPE: &str = r#"
    SET s 1
    SET s 2 EX 100
    SETEX s2 100 v
    SETNX s3 v
    GETSET s3 w
    MSET a 1 b 2
    MSETNX c 1 d 2
    INCR a
    DECRBY a 5
    INCRBYFLOAT a 1.5
    APPEND b xyz
    SETRANGE b 1 Q
    SETBIT bits 7 1
    GETDEL d
    GETEX c EX 100
    GETEX c PERSIST
    EXPIRE s 1000
    PERSIST s
    RENAME s s4
    COPY s4 s5
    MOVE s5 1
    DEL a b c
    UNLINK s2
    RPUSH l a b c d e
    LPUSH l z
    LPUSHX l y
    RPUSHX nolist x
    LINSERT l BEFORE a q
    LSET l 0 w
    LPOP l
    RPOP l 2
    LREM l 1 q
    LTRIM l 0 1
    LMOVE l l2 LEFT RIGHT
    RPOPLPUSH l l2
    LPOP l2 5
    SADD set a b c d
    SREM set a
    SMOVE set set2 b
    SPOP set
    SADD set x y
    SINTERSTORE set3 set set2
    SUNIONSTORE set3 set set2
    SDIFFSTORE set3 set set2
    SDIFFSTORE set3 nothing
    HSET h f 1 g 2
    HSETNX h k 3
    HINCRBY h f 5
    HINCRBYFLOAT h f 0.5
    HDEL h f g k
    ZADD z 1 a 2 b 3 c 4 d 5 e
    ZINCRBY z 2 a
    ZREM z a
    ZREMRANGEBYRANK z 0 0
    ZREMRANGEBYSCORE z 3 3
    ZADD lex 0 la 0 lb
    ZREMRANGEBYLEX lex [la [la
    ZPOPMIN z
    ZPOPMAX z
    ZADD z2 1 x
    ZUNIONSTORE z3 2 z z2
    ZINTERSTORE z3 2 z z2
    ZDIFFSTORE z3 2 z z2
    ZRANGESTORE z4 z 0 -1
    RPUSH m1 a b c
    LMPOP 1 m1 LEFT COUNT 2
    ZADD m2 1 a 2 b
    ZMPOP 1 m2 MAX
    BLPOP m1 0
    BZPOPMIN m2 0
    RPUSH src x
    BLMOVE src dst LEFT LEFT 0
    XGROUP CREATE st g $ MKSTREAM
    XGROUP CREATECONSUMER st g Bob
    XADD st 1-1 f v
    XADD st 2-1 f v
    XREADGROUP GROUP g Alice STREAMS st >
    XCLAIM st g Mike 0 1-1 FORCE
    XGROUP DELCONSUMER st g Lee
    XAUTOCLAIM st g Zed 0 0
    XAUTOCLAIM st g Bob 0 0
    XGROUP DELCONSUMER st g Bob
    XDEL st 2-1
    XTRIM st MAXLEN 0
    XSETID st 5-0
    XGROUP SETID st g 0
    XGROUP DESTROY st g
    SET bitsrc abc
    DUMP bitsrc
    SET e1 v PX 100000
    GETEX e1 PXAT 1
    EXPIRE bitsrc -1
    PSETEX gone 20 v
    sleep 200
    GET gone
    SELECT 1
    SET other 1
    SELECT 0
    FLUSHALL
"#;

#[test]
fn every_class_matches_redis_resp2() {
    assert_same_notifications("KEA", 2, EVERY_TYPE);
}

#[test]
fn every_class_matches_redis_resp3() {
    assert_same_notifications("KEA", 3, EVERY_TYPE);
}

#[test]
fn new_keys_and_misses_match_redis() {
    assert_same_notifications(
        "KEnm",
        2,
        r#"
        SET a 1
        SET a 2
        GET a
        GET missing
        MGET a nope
        RPUSH l x
        RPUSH l y
        HGET nohash f
        LRANGE nolist 0 -1
        RENAME a b
        "#,
    );
}

#[test]
fn masks_select_classes_as_redis() {
    for classes in ["Kl", "Eg", "K$", "Ezx", "gKE"] {
        assert_same_notifications(
            classes,
            2,
            r#"
            SET s v
            EXPIRE s 100
            RPUSH l a
            LPOP l
            ZADD z 1 a
            ZREM z a
            PSETEX e 10 v
            sleep 150
            DEL s
            "#,
        );
    }
}
