//! RESTORE of corrupt payloads: sonde refuses exactly the payloads
//! redis-server refuses, under `sanitize-dump-payload yes` (deep checks)
//! and `no` (shallow checks), and logs Redis's reason. Every payload is
//! built here, byte by byte, from a valid one with one defect; each runs
//! against a real redis-server and sonde side by side and both replies
//! must match (and match what the case expects, so a server accepting
//! everything fails).

use crate::common::differential::Conn;
use crate::common::redis_server::RedisServer;
use crate::common::sonde_server::SondeServer;

/// A DUMP payload: type byte, body, RDB version 10 and the CRC-64.
fn payload(rdb_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![rdb_type];
    out.extend_from_slice(body);
    out.extend_from_slice(&10u16.to_le_bytes());
    let crc = sonde::rdb::crc64::checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// An RDB length.
fn len(n: usize) -> Vec<u8> {
    if n < 64 {
        vec![n as u8]
    } else if n < 16384 {
        vec![0x40 | (n >> 8) as u8, n as u8]
    } else {
        let mut v = vec![0x80];
        v.extend_from_slice(&(n as u32).to_be_bytes());
        v
    }
}

/// An RDB string.
fn string(bytes: &[u8]) -> Vec<u8> {
    let mut v = len(bytes.len());
    v.extend_from_slice(bytes);
    v
}

/// A listpack of short strings. `fix` may damage the entries' bytes
/// before the header (total bytes, count) is written.
fn listpack(items: &[&[u8]], count: Option<u16>, fix: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut lp = vec![0, 0, 0, 0, 0, 0];
    for item in items {
        assert!(item.len() < 64);
        lp.push(0x80 | item.len() as u8);
        lp.extend_from_slice(item);
        lp.push(1 + item.len() as u8);
    }
    lp.push(0xff);
    fix(&mut lp);
    let total = lp.len() as u32;
    lp[..4].copy_from_slice(&total.to_le_bytes());
    let n = count.unwrap_or(items.len() as u16);
    lp[4..6].copy_from_slice(&n.to_le_bytes());
    lp
}

/// A ziplist of short strings; `tail` overrides the tail offset and
/// `fix` may damage the entries.
fn ziplist(items: &[&[u8]], tail: Option<u32>, fix: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut zl = vec![0u8; 10];
    let mut prev = 0usize;
    let mut last = 10;
    for item in items {
        assert!(item.len() < 64);
        last = zl.len();
        zl.push(prev as u8);
        zl.push(item.len() as u8);
        zl.extend_from_slice(item);
        prev = 2 + item.len();
    }
    zl.push(0xff);
    fix(&mut zl);
    let total = zl.len() as u32;
    zl[..4].copy_from_slice(&total.to_le_bytes());
    zl[4..8].copy_from_slice(&tail.unwrap_or(last as u32).to_le_bytes());
    zl[8..10].copy_from_slice(&(items.len() as u16).to_le_bytes());
    zl
}

fn intset(width: u32, values: &[i64]) -> Vec<u8> {
    let mut v = width.to_le_bytes().to_vec();
    v.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for x in values {
        v.extend_from_slice(&x.to_le_bytes()[..width as usize]);
    }
    v
}

/// A stream listpack of one entry `1-1 f v` under master ID 1-1.
fn stream_listpack() -> Vec<u8> {
    let mut lp = vec![0, 0, 0, 0, 0, 0];
    // Master entry: count 1, deleted 0, one field "f", terminator 0; then
    // the entry: flags 2 (same fields), ID deltas 0 0, value "v", lp-count.
    for int in [1u8, 0, 1] {
        lp.extend_from_slice(&[int, 1]);
    }
    lp.extend_from_slice(&[0x81, b'f', 2]);
    lp.extend_from_slice(&[0, 1, 2, 1, 0, 1, 0, 1]);
    lp.extend_from_slice(&[0x81, b'v', 2]);
    lp.extend_from_slice(&[4, 1, 0xff]);
    let total = lp.len() as u32;
    lp[..4].copy_from_slice(&total.to_le_bytes());
    lp[4..6].copy_from_slice(&10u16.to_le_bytes());
    lp
}

fn raw_id(ms: u64, seq: u64) -> Vec<u8> {
    let mut v = ms.to_be_bytes().to_vec();
    v.extend_from_slice(&seq.to_be_bytes());
    v
}

/// A consumer group: name, the sequence numbers of its pending IDs (all
/// under 1-), and its consumers with theirs.
type Group<'a> = (&'a [u8], &'a [u64], &'a [(&'a [u8], &'a [u64])]);

/// A type-15 stream holding `1-1 f v` and the consumer groups `groups`.
fn stream(groups: &[Group<'_>]) -> Vec<u8> {
    let mut b = len(1);
    b.extend(string(&raw_id(1, 1)));
    b.extend(string(&stream_listpack()));
    b.extend(len(1)); // length
    b.extend(len(1)); // last ID
    b.extend(len(1));
    b.extend(len(groups.len()));
    for (name, pel, consumers) in groups {
        b.extend(string(name));
        b.extend(len(1));
        b.extend(len(1));
        b.extend(len(pel.len()));
        for seq in *pel {
            b.extend(raw_id(1, *seq));
            b.extend_from_slice(&1_000i64.to_le_bytes());
            b.extend(len(1));
        }
        b.extend(len(consumers.len()));
        for (cname, ids) in *consumers {
            b.extend(string(cname));
            b.extend_from_slice(&1_000i64.to_le_bytes());
            b.extend(len(ids.len()));
            for seq in *ids {
                b.extend(raw_id(1, *seq));
            }
        }
    }
    payload(15, &b)
}

const OK: &str = "+OK\r\n";
const BAD: &str = "-ERR Bad data format\r\n";

struct Case {
    name: &'static str,
    payload: Vec<u8>,
    /// The reply under `sanitize-dump-payload yes`, then `no`.
    deep: &'static str,
    shallow: &'static str,
}

fn case(name: &'static str, payload: Vec<u8>, deep: &'static str, shallow: &'static str) -> Case {
    Case {
        name,
        payload,
        deep,
        shallow,
    }
}

fn cases() -> Vec<Case> {
    let hash = |lp: Vec<u8>| payload(16, &string(&lp));
    let pairs: &[&[u8]] = &[b"a", b"1", b"b", b"2"];
    // The backlen of the first entry says 9 bytes instead of 2.
    let bad_backlen = |lp: &mut Vec<u8>| lp[8] = 9;
    let zl_pairs: &[&[u8]] = &[b"a", b"1", b"b", b"2"];
    let quicklist = |nodes: &[(u8, Vec<u8>)]| {
        let mut b = len(nodes.len());
        for (container, node) in nodes {
            b.extend(len(usize::from(*container)));
            b.extend(string(node));
        }
        payload(18, &b)
    };
    let mut plain_set = len(2);
    plain_set.extend(string(b"x"));
    plain_set.extend(string(b"x"));
    let zset2 = |members: &[(&[u8], f64)]| {
        let mut b = len(members.len());
        for (m, s) in members {
            b.extend(string(m));
            b.extend_from_slice(&s.to_le_bytes());
        }
        payload(5, &b)
    };
    let mut plain_hash = len(2);
    for s in [&b"f"[..], b"1", b"f", b"2"] {
        plain_hash.extend(string(s));
    }
    vec![
        case("hash listpack", hash(listpack(pairs, None, |_| {})), OK, OK),
        case(
            "hash listpack with a duplicate field",
            hash(listpack(&[b"a", b"1", b"a", b"2"], None, |_| {})),
            BAD,
            OK,
        ),
        case(
            "hash listpack with a wrong backlen",
            hash(listpack(pairs, None, bad_backlen)),
            BAD,
            OK,
        ),
        case(
            "hash listpack with a wrong count",
            hash(listpack(pairs, Some(6), |_| {})),
            BAD,
            OK,
        ),
        case(
            "hash listpack without its end byte",
            hash(listpack(pairs, None, |lp| *lp.last_mut().unwrap() = 0x01)),
            BAD,
            BAD,
        ),
        case(
            "zset listpack with a duplicate member",
            payload(
                17,
                &string(&listpack(&[b"m", b"1", b"m", b"2"], None, |_| {})),
            ),
            BAD,
            OK,
        ),
        case(
            "intset out of order",
            payload(11, &string(&intset(2, &[3, 1]))),
            BAD,
            OK,
        ),
        case(
            "empty intset",
            payload(11, &string(&intset(2, &[]))),
            BAD,
            BAD,
        ),
        case(
            "intset of 3-byte integers",
            payload(11, &string(&intset(3, &[1, 2]))),
            BAD,
            BAD,
        ),
        case(
            "hash ziplist",
            payload(13, &string(&ziplist(zl_pairs, None, |_| {}))),
            OK,
            OK,
        ),
        case(
            "hash ziplist with a duplicate field",
            payload(
                13,
                &string(&ziplist(&[b"a", b"1", b"a", b"2"], None, |_| {})),
            ),
            BAD,
            BAD,
        ),
        case(
            "hash ziplist with an odd entry count",
            payload(13, &string(&ziplist(&[b"a", b"1", b"b"], None, |_| {}))),
            BAD,
            BAD,
        ),
        case(
            "list ziplist with a wrong prevlen",
            payload(10, &string(&ziplist(&[b"a", b"b"], None, |zl| zl[13] = 7))),
            BAD,
            BAD,
        ),
        case(
            "list ziplist with a wrong tail offset",
            payload(10, &string(&ziplist(&[b"a", b"b"], Some(10), |_| {}))),
            BAD,
            BAD,
        ),
        case(
            "quicklist container 3",
            quicklist(&[(3, listpack(&[b"a"], None, |_| {}))]),
            BAD,
            BAD,
        ),
        case(
            "quicklist empty plain node",
            quicklist(&[(1, Vec::new())]),
            BAD,
            BAD,
        ),
        case(
            "quicklist listpack with a wrong backlen",
            quicklist(&[(2, listpack(&[b"a", b"b"], None, bad_backlen))]),
            BAD,
            OK,
        ),
        case(
            "set with a duplicate member",
            payload(2, &plain_set),
            BAD,
            BAD,
        ),
        case(
            "sorted set with a NaN score",
            zset2(&[(b"a", f64::NAN)]),
            BAD,
            BAD,
        ),
        case(
            "sorted set with a duplicate member",
            zset2(&[(b"a", 1.0), (b"a", 2.0)]),
            BAD,
            BAD,
        ),
        case(
            "hash with a duplicate field",
            payload(4, &plain_hash),
            BAD,
            OK,
        ),
        case("empty zipmap", payload(9, &string(&[0, 0xff])), BAD, BAD),
        case(
            "stream with a group",
            stream(&[(b"g", &[1], &[(b"alice", &[1])])]),
            OK,
            OK,
        ),
        case(
            "stream with a duplicate consumer",
            stream(&[(b"g", &[], &[(b"alice", &[]), (b"alice", &[])])]),
            BAD,
            BAD,
        ),
        case(
            "stream with a duplicate group",
            stream(&[(b"g", &[], &[]), (b"g", &[], &[])]),
            BAD,
            BAD,
        ),
        case(
            "stream PEL entry without a consumer",
            stream(&[(b"g", &[1], &[])]),
            BAD,
            OK,
        ),
        case(
            "stream consumer entry missing from the group PEL",
            stream(&[(b"g", &[], &[(b"alice", &[1])])]),
            BAD,
            BAD,
        ),
    ]
}

fn args(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

#[test]
fn corrupt_payloads_are_refused_as_redis_refuses_them() {
    let redis = RedisServer::start(&["--enable-debug-command", "yes"]);
    let sonde = SondeServer::start(&["--enable-debug-command", "yes"]);
    let mut conns = [Conn::open(&redis.addr()), Conn::open(&sonde.addr())];
    let mut failures = Vec::new();
    for mode in ["yes", "no"] {
        for c in &mut conns {
            let reply = c.call(&args(&[
                b"CONFIG",
                b"SET",
                b"sanitize-dump-payload",
                mode.as_bytes(),
            ]));
            assert_eq!(reply, b"+OK\r\n");
        }
        for (i, case) in cases().iter().enumerate() {
            let key = format!("k{i}");
            let restore = args(&[b"RESTORE", key.as_bytes(), b"0", &case.payload, b"REPLACE"]);
            let replies: Vec<String> = conns
                .iter_mut()
                .map(|c| String::from_utf8_lossy(&c.call(&restore)).into_owned())
                .collect();
            let expected = if mode == "yes" {
                case.deep
            } else {
                case.shallow
            };
            if replies[0] != expected || replies[1] != expected {
                failures.push(format!(
                    "{} (sanitize {mode}): expected {expected:?}, redis-server {:?}, sonde {:?}",
                    case.name, replies[0], replies[1]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The reason is logged as Redis logs it.
    let log = sonde.log();
    for reason in [
        "Hash ziplist integrity check failed.",
        "Intset integrity check failed.",
        "Duplicate stream consumer detected.",
        "Stream CG PEL entry without consumer",
        "Zset with NAN score detected",
    ] {
        assert!(log.contains(reason), "sonde's log lacks {reason:?}:\n{log}");
    }
}

/// A value restored from a valid hand-made payload reads the same on both.
#[test]
fn restored_compact_values_read_the_same() {
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let script = [
        (
            &b"h"[..],
            payload(
                16,
                &string(&listpack(&[b"a", b"1", b"b", b"2"], None, |_| {})),
            ),
            &b"HGETALL"[..],
        ),
        (
            b"z",
            payload(
                13,
                &string(&ziplist(&[b"x", b"1", b"y", b"2"], None, |_| {})),
            ),
            b"HGETALL",
        ),
        (
            b"s",
            payload(11, &string(&intset(4, &[-5, 7, 90000]))),
            b"SMEMBERS",
        ),
    ];
    for (key, body, read) in script {
        let mut replies = Vec::new();
        for addr in [redis.addr(), sonde.addr()] {
            let mut c = Conn::open(&addr);
            let restored = c.call(&args(&[b"RESTORE", key, b"0", &body]));
            let value = c.call(&args(&[read, key]));
            replies.push((restored, value));
        }
        assert_eq!(replies[0].0, b"+OK\r\n", "redis-server refused {key:?}");
        assert_eq!(replies[0], replies[1], "{}", String::from_utf8_lossy(key));
    }
}

/// A listpack hash with a duplicate field, past the shallow checks but over
/// hash-max-listpack-entries: redis-server converts it as it loads it and
/// stops on the duplicate (a panic that ends the process), so it is no
/// reference here; sonde refuses the payload and logs why.
#[test]
fn duplicate_fields_in_a_listpack_to_convert_are_refused() {
    let sonde = SondeServer::start(&["--hash-max-listpack-entries", "1"]);
    let mut c = Conn::open(&sonde.addr());
    let dup = payload(
        16,
        &string(&listpack(&[b"a", b"1", b"a", b"2"], None, |_| {})),
    );
    let reply = c.call(&args(&[b"RESTORE", b"h", b"0", &dup]));
    assert_eq!(String::from_utf8_lossy(&reply), BAD);
    let fine = payload(
        16,
        &string(&listpack(&[b"a", b"1", b"b", b"2"], None, |_| {})),
    );
    let reply = c.call(&args(&[b"RESTORE", b"h", b"0", &fine]));
    assert_eq!(String::from_utf8_lossy(&reply), OK);
    assert_eq!(
        c.call(&args(&[b"OBJECT", b"ENCODING", b"h"])),
        b"$9\r\nhashtable\r\n"
    );
    let log = sonde.log();
    assert!(log.contains("Hash listpack with dup elements"), "{log}");
}

/// `sanitize-dump-payload clients`: deep checks for a client's RESTORE,
/// shallow ones for an ACL user with `skip-sanitize-payload`.
#[test]
fn clients_mode_spares_users_that_skip_sanitization() {
    let redis = RedisServer::start(&["--sanitize-dump-payload", "clients"]);
    let sonde = SondeServer::start(&["--sanitize-dump-payload", "clients"]);
    let dup = payload(
        16,
        &string(&listpack(&[b"a", b"1", b"a", b"2"], None, |_| {})),
    );
    let mut replies = Vec::new();
    for addr in [redis.addr(), sonde.addr()] {
        let mut c = Conn::open(&addr);
        let mut got = vec![c.call(&args(&[b"RESTORE", b"h", b"0", &dup]))];
        got.push(c.call(&args(&[
            b"ACL",
            b"SETUSER",
            b"loader",
            b"on",
            b"nopass",
            b"skip-sanitize-payload",
            b"~*",
            b"+@all",
        ])));
        got.push(c.call(&args(&[b"AUTH", b"loader", b"x"])));
        got.push(c.call(&args(&[b"RESTORE", b"h", b"0", &dup])));
        // One deep check (the first RESTORE's), counted as Redis counts.
        let info = String::from_utf8_lossy(&c.call(&args(&[b"INFO", b"stats"]))).into_owned();
        let count = info
            .lines()
            .find_map(|l| l.strip_prefix("dump_payload_sanitizations:"))
            .unwrap_or("missing")
            .to_owned();
        got.push(count.into_bytes());
        replies.push(got);
    }
    let shown = |r: &Vec<Vec<u8>>| -> Vec<String> {
        r.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    };
    assert_eq!(shown(&replies[0]), [BAD, OK, OK, OK, "1"], "redis-server");
    assert_eq!(shown(&replies[1]), shown(&replies[0]), "sonde");
}
