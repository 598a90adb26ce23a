//! `sonde serve` as a cache: real writes past `maxmemory` under each policy
//! keep used memory under the limit, `volatile-*` policies evict only keys
//! with a time to live, `noeviction` refuses writes with `-OOM`, evictions
//! reach a real redis-server replica as DELs, and CLIENT PAUSE WRITE holds
//! a write while reads go on.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::common::{RedisServer, SondeServer};

fn info(conn: &mut redis::Connection, section: &str, name: &str) -> String {
    let text: String = redis::cmd("INFO").arg(section).query(conn).expect("INFO");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("INFO {section} has no {name}:\n{text}"))
        .trim()
        .to_owned()
}

fn info_num(conn: &mut redis::Connection, section: &str, name: &str) -> u64 {
    info(conn, section, name)
        .parse()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn config_set(conn: &mut redis::Connection, name: &str, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", name, value])
        .query(conn)
        .unwrap_or_else(|e| panic!("CONFIG SET {name} {value}: {e}"));
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Set a limit 2 MB over what the server uses now, under `policy`.
fn limit_over_current(conn: &mut redis::Connection, policy: &str) -> u64 {
    let used = info_num(conn, "memory", "used_memory");
    let limit = used + 2 * 1024 * 1024;
    config_set(conn, "maxmemory-policy", policy);
    config_set(conn, "maxmemory", &limit.to_string());
    limit
}

/// Write 8 MB of 1 KB values (every other key with a TTL when `volatile`)
/// through a pipeline, checking used memory after each batch.
fn write_past(conn: &mut redis::Connection, limit: u64, volatile: bool) {
    let value = vec![b'v'; 1000];
    for batch in 0..80 {
        let mut pipe = redis::pipe();
        for i in 0..100 {
            let key = format!("key:{batch}:{i}");
            if volatile && i % 2 == 1 {
                pipe.cmd("SET")
                    .arg(&key)
                    .arg(&value)
                    .arg("EX")
                    .arg(100_000)
                    .ignore();
            } else {
                pipe.cmd("SET").arg(&key).arg(&value).ignore();
            }
        }
        let _: () = pipe.query(conn).expect("pipelined SETs");
        let used = info_num(conn, "memory", "used_memory");
        // The last command of a batch may have been admitted just under
        // the limit and then grown memory by one key.
        assert!(
            used < limit + 64 * 1024,
            "used_memory {used} over maxmemory {limit} after batch {batch}"
        );
    }
}

#[test]
fn every_allkeys_policy_holds_used_memory_under_maxmemory() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let server = SondeServer::start(&[]);
        let mut c = server.client();
        let limit = limit_over_current(&mut c, policy);
        write_past(&mut c, limit, false);
        let evicted = info_num(&mut c, "stats", "evicted_keys");
        assert!(evicted > 1000, "{policy}: only {evicted} keys evicted");
        let keys: u64 = redis::cmd("DBSIZE").query(&mut c).expect("DBSIZE");
        assert!(keys > 100 && keys < 8000, "{policy}: {keys} keys left");
        assert_eq!(info(&mut c, "memory", "maxmemory_policy"), policy);
    }
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let server = SondeServer::start(&[]);
        let mut c = server.client();
        let used = info_num(&mut c, "memory", "used_memory");
        let limit = used + 4 * 1024 * 1024;
        config_set(&mut c, "maxmemory-policy", policy);
        config_set(&mut c, "maxmemory", &limit.to_string());
        // 1.5 MB of persistent keys, then volatile keys well past the limit.
        let value = vec![b'p'; 1000];
        for i in 0..1500 {
            let _: () = redis::cmd("SET")
                .arg(format!("persistent:{i}"))
                .arg(&value)
                .query(&mut c)
                .expect("SET");
        }
        for i in 0..6000 {
            let _: () = redis::cmd("SET")
                .arg(format!("volatile:{i}"))
                .arg(&value)
                .arg("EX")
                .arg(100_000 + i)
                .query(&mut c)
                .expect("SET EX");
        }
        let used = info_num(&mut c, "memory", "used_memory");
        assert!(used < limit + 64 * 1024, "{policy}: used {used} > {limit}");
        assert!(info_num(&mut c, "stats", "evicted_keys") > 1000, "{policy}");
        let persistent: Vec<String> = redis::cmd("KEYS")
            .arg("persistent:*")
            .query(&mut c)
            .expect("KEYS");
        assert_eq!(persistent.len(), 1500, "{policy} evicted a key without TTL");
        if policy == "volatile-ttl" {
            // The nearest expiries go first: the latest volatile keys stay.
            let last: i64 = redis::cmd("EXISTS")
                .arg("volatile:5999")
                .query(&mut c)
                .expect("EXISTS");
            assert_eq!(last, 1);
        }
    }
}

#[test]
fn noeviction_refuses_deny_oom_commands_but_serves_reads_and_deletes() {
    let server = SondeServer::start(&[]);
    let mut c = server.client();
    let limit = limit_over_current(&mut c, "noeviction");
    let value = vec![b'x'; 1000];
    let mut refused = None;
    for i in 0..10_000 {
        let r: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(&value)
            .query(&mut c);
        if let Err(e) = r {
            refused = Some(e);
            break;
        }
    }
    let e = refused.expect("no write refused past maxmemory");
    assert_eq!(e.code(), Some("OOM"), "{e}");
    assert!(
        e.to_string()
            .contains("command not allowed when used memory > 'maxmemory'"),
        "{e}"
    );
    assert!(info_num(&mut c, "memory", "used_memory") < limit + 64 * 1024);
    assert_eq!(info_num(&mut c, "stats", "evicted_keys"), 0);
    // Reads and DEL (not deny-oom) still run; freeing memory admits writes.
    let v: Vec<u8> = redis::cmd("GET").arg("k0").query(&mut c).expect("GET");
    assert_eq!(v, value);
    let _: i64 = redis::cmd("DEL").arg("k0").query(&mut c).expect("DEL");
    let _: () = redis::cmd("FLUSHALL").query(&mut c).expect("FLUSHALL");
    let _: () = redis::cmd("SET")
        .arg("after")
        .arg("1")
        .query(&mut c)
        .expect("SET after freeing");
}

#[test]
fn evictions_reach_a_redis_replica_as_dels() {
    let master = SondeServer::start(&[]);
    let mut m = master.client();
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let mut r = replica.client();
    wait_for("the replica's link", || {
        info(&mut r, "replication", "master_link_status") == "up"
    });
    let value = vec![b'r'; 1000];
    for i in 0..500 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(&value)
            .query(&mut m)
            .expect("SET");
    }
    wait_for("the replica to hold 500 keys", || {
        redis::cmd("DBSIZE").query::<u64>(&mut r).expect("DBSIZE") == 500
    });
    // Evict about half: the limit is what the master uses less 250 values.
    let used = info_num(&mut m, "memory", "used_memory");
    config_set(&mut m, "maxmemory-policy", "allkeys-lru");
    config_set(&mut m, "maxmemory", &(used - 250 * 1100).to_string());
    let _: () = redis::cmd("SET")
        .arg("trigger")
        .arg("1")
        .query(&mut m)
        .expect("SET");
    let evicted = info_num(&mut m, "stats", "evicted_keys");
    assert!(evicted >= 200, "{evicted} evicted");
    // The master may go on evicting from its timer until it is under the
    // limit, so the two key sets are compared until they settle equal.
    let sorted_keys = |c: &mut redis::Connection| {
        let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(c).expect("KEYS");
        keys.sort();
        keys
    };
    wait_for("the replica to apply the DELs", || {
        sorted_keys(&mut m) == sorted_keys(&mut r)
    });
    let left = sorted_keys(&mut m).len();
    assert!(left < 500 && left > 0, "{left} keys left");
}

/// Send `command` on a raw connection without reading the reply.
fn send(stream: &mut std::net::TcpStream, command: &[&str]) {
    let mut bytes = format!("*{}\r\n", command.len());
    for arg in command {
        bytes.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(bytes.as_bytes()).expect("send");
}

#[test]
fn client_pause_write_holds_writes_while_reads_run() {
    let server = SondeServer::start(&[]);
    let mut admin = server.client();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("old")
        .query(&mut admin)
        .expect("SET");
    let _: () = redis::cmd("CLIENT")
        .arg(&["PAUSE", "100000", "WRITE"])
        .query(&mut admin)
        .expect("CLIENT PAUSE");
    let mut writer = server.raw();
    writer
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    send(&mut writer, &["SET", "k", "new"]);
    wait_for("the writer to be held", || {
        info_num(&mut admin, "clients", "blocked_clients") == 1
    });
    // Reads go on, and see the old value; the held write has no reply yet.
    let mut reader = server.client();
    let v: String = redis::cmd("GET").arg("k").query(&mut reader).expect("GET");
    assert_eq!(v, "old");
    let mut buf = [0u8; 64];
    match writer.read(&mut buf) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("a held write was answered: {other:?}"),
    }
    let _: () = redis::cmd("CLIENT")
        .arg("UNPAUSE")
        .query(&mut admin)
        .expect("CLIENT UNPAUSE");
    writer
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let n = writer.read(&mut buf).expect("reply after unpause");
    assert_eq!(&buf[..n], b"+OK\r\n");
    let v: String = redis::cmd("GET").arg("k").query(&mut reader).expect("GET");
    assert_eq!(v, "new");
    assert_eq!(info_num(&mut admin, "clients", "blocked_clients"), 0);
}

#[test]
fn unlink_and_flushall_async_free_values_on_the_background_thread() {
    let server = SondeServer::start(&[]);
    let mut c = server.client();
    let members: Vec<u32> = (0..10_000).collect();
    let _: () = redis::cmd("SADD")
        .arg("big")
        .arg(&members)
        .query(&mut c)
        .expect("SADD");
    let _: () = redis::cmd("SADD")
        .arg("big2")
        .arg(&members)
        .query(&mut c)
        .expect("SADD");
    let removed: i64 = redis::cmd("UNLINK")
        .arg("big")
        .query(&mut c)
        .expect("UNLINK");
    assert_eq!(removed, 1);
    wait_for("lazyfreed_objects to reach 1", || {
        info_num(&mut c, "memory", "lazyfreed_objects") >= 1
    });
    let _: () = redis::cmd("FLUSHALL")
        .arg("ASYNC")
        .query(&mut c)
        .expect("FLUSHALL ASYNC");
    wait_for("lazyfreed_objects to reach 2", || {
        info_num(&mut c, "memory", "lazyfreed_objects") >= 2
    });
    assert_eq!(info_num(&mut c, "memory", "lazyfree_pending_objects"), 0);
    let keys: u64 = redis::cmd("DBSIZE").query(&mut c).expect("DBSIZE");
    assert_eq!(keys, 0);
}

#[test]
fn object_freq_follows_the_lfu_policy() {
    let server = SondeServer::start(&[]);
    let mut c = server.client();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut c)
        .expect("SET");
    let e = redis::cmd("OBJECT")
        .arg(&["FREQ", "k"])
        .query::<i64>(&mut c)
        .expect_err("FREQ without an LFU policy");
    assert!(
        e.to_string()
            .contains("An LFU maxmemory policy is not selected"),
        "{e}"
    );
    config_set(&mut c, "maxmemory-policy", "allkeys-lfu");
    let _: () = redis::cmd("SET")
        .arg("hot")
        .arg("v")
        .query(&mut c)
        .expect("SET");
    let fresh: i64 = redis::cmd("OBJECT")
        .arg(&["FREQ", "hot"])
        .query(&mut c)
        .expect("FREQ");
    assert_eq!(fresh, 5);
    for _ in 0..1000 {
        let _: String = redis::cmd("GET").arg("hot").query(&mut c).expect("GET");
    }
    let hot: i64 = redis::cmd("OBJECT")
        .arg(&["FREQ", "hot"])
        .query(&mut c)
        .expect("FREQ");
    assert!(hot > 10, "{hot}");
    let e = redis::cmd("OBJECT")
        .arg(&["IDLETIME", "hot"])
        .query::<i64>(&mut c)
        .expect_err("IDLETIME under LFU");
    assert!(
        e.to_string()
            .contains("An LFU maxmemory policy is selected"),
        "{e}"
    );
}

/// The first line a raw `SYNC` (the pre-PSYNC command) gets back.
fn first_sync_line(addr: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(b"SYNC\r\n").expect("SYNC");
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        s.read_exact(&mut byte).expect("reply to SYNC");
        if byte[0] == b'\n' {
            // Empty lines are keep-alives while the snapshot is made.
            if line.iter().any(|&b| b != b'\r') {
                return String::from_utf8_lossy(&line).trim_end().to_owned();
            }
            line.clear();
        } else {
            line.push(byte[0]);
        }
    }
}

#[test]
fn old_sync_gets_the_snapshot_without_a_fullresync_line_as_redis() {
    let redis = RedisServer::start(&["--repl-diskless-sync", "no"]);
    let sonde = SondeServer::start(&["--repl-diskless-sync", "no"]);
    for (name, addr) in [("redis-server", redis.addr()), ("sonde", sonde.addr())] {
        let line = first_sync_line(&addr);
        assert!(
            line.starts_with('$') && line[1..].parse::<u64>().is_ok(),
            "{name}: SYNC answered {line:?}, not the snapshot's length"
        );
    }
}

/// CLIENT LIST's `field` for the client named `name`, None when absent.
fn client_field(conn: &mut redis::Connection, name: &str, field: &str) -> Option<String> {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(conn)
        .expect("CLIENT LIST");
    let line = list
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))?;
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
        .map(str::to_owned)
}

/// A named raw client that sends the start of a request whose one
/// argument is `announced` bytes long, and `sent` bytes of it.
fn partial_big_argument(
    addr: &str,
    name: &str,
    announced: usize,
    sent: usize,
) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let setname = format!(
        "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n${}\r\n{name}\r\n",
        name.len()
    );
    s.write_all(setname.as_bytes()).expect("CLIENT SETNAME");
    let mut ok = [0u8; 5];
    s.read_exact(&mut ok).expect("reply to CLIENT SETNAME");
    assert_eq!(&ok, b"+OK\r\n");
    let mut bytes = format!("*1\r\n${announced}\r\n").into_bytes();
    bytes.resize(bytes.len() + sent, b'v');
    // The server may close the connection part way (client eviction).
    let _ = s.write_all(&bytes);
    s
}

#[test]
fn a_big_argument_on_its_way_counts_in_qbuf_and_evicts_its_client_as_redis() {
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    for (name, addr, mut admin) in [
        ("redis-server", redis.addr(), redis.client()),
        ("sonde", sonde.addr(), sonde.client()),
    ] {
        config_set(&mut admin, "maxmemory-clients", "4mb");
        // Under the limit: qbuf is the argument's data received so far
        // (the request's header lines are not counted).
        let _small = partial_big_argument(&addr, "small", 1_000_000, 600_000);
        wait_for(&format!("{name}: qbuf of the small client"), || {
            client_field(&mut admin, "small", "qbuf").as_deref() == Some("600000")
        });
        // Over it: the client is evicted, and counted.
        let _big = partial_big_argument(&addr, "big", 8_000_000, 5_000_000);
        wait_for(&format!("{name}: the big client evicted"), || {
            client_field(&mut admin, "big", "qbuf").is_none()
        });
        assert!(
            client_field(&mut admin, "small", "qbuf").is_some(),
            "{name}"
        );
        assert_eq!(
            info_num(&mut admin, "stats", "evicted_clients"),
            1,
            "{name}"
        );
    }
}

/// Redis's "client tracking don't cause eviction feedback loop": ten RESP3
/// clients track 300 keys with long names and leave their invalidations
/// unread; a limit 40 kB under the used memory evicts a few keys, and the
/// invalidation messages those evictions queue (10 × 1 kB per key) must not
/// count as memory to free once they are written out, or eviction feeds on
/// itself and drains the keyspace. Run against redis-server too, so the
/// expectation is the reference's.
fn tracking_invalidations_leave_the_keyspace(name: &str, addr: &str, conn: &mut redis::Connection) {
    use crate::common::differential::Conn;
    config_set(conn, "maxmemory", "0");
    config_set(conn, "maxmemory-policy", "allkeys-lru");
    config_set(conn, "maxmemory-eviction-tenacity", "100");
    let mut trackers: Vec<Conn> = (0..10).map(|_| Conn::open(addr)).collect();
    let arg = |s: &str| s.as_bytes().to_vec();
    for t in &mut trackers {
        t.call(&[arg("HELLO"), arg("3")]);
        let on = t.call(&[arg("CLIENT"), arg("TRACKING"), arg("on")]);
        assert_eq!(on, b"+OK\r\n");
    }
    for j in 0..300 {
        let key = format!("{j}{}", "x".repeat(1000));
        let _: () = redis::cmd("SET")
            .arg(&key)
            .arg("x")
            .query(conn)
            .expect("SET");
        for t in &mut trackers {
            assert_eq!(
                t.call(&[arg("GET"), key.clone().into_bytes()]),
                b"$1\r\nx\r\n"
            );
        }
    }
    // Both servers trim idle query buffers in their cron.
    std::thread::sleep(Duration::from_millis(1100));
    let used = info_num(conn, "memory", "used_memory");
    config_set(conn, "maxmemory", &(used - 40_000).to_string());
    let evicted = info_num(conn, "stats", "evicted_keys");
    let keys: u64 = redis::cmd("DBSIZE").query(conn).expect("DBSIZE");
    assert!(
        (200..=300).contains(&keys),
        "{name}: {keys} keys left after evicting {evicted}"
    );
    // Redis's unit asks for 10 to 50 under its harness; through this
    // client redis-server itself evicts about 60 (what else the INFO and
    // CONFIG SET exchange holds differs): the bound is about not draining.
    assert!(
        (10..=100).contains(&evicted),
        "{name}: {evicted} keys evicted"
    );
    for t in &mut trackers {
        // An invalidation waits for each tracking client.
        let push = t.read_reply();
        assert!(push.starts_with(b">2\r\n$10\r\ninvalidate\r\n"), "{push:?}");
    }
    config_set(conn, "maxmemory", "0");
}

#[test]
fn tracking_invalidations_do_not_feed_eviction() {
    let redis = RedisServer::start(&[]);
    tracking_invalidations_leave_the_keyspace("redis-server", &redis.addr(), &mut redis.client());
    let sonde = SondeServer::start(&[]);
    tracking_invalidations_leave_the_keyspace("sonde", &sonde.addr(), &mut sonde.client());
}
