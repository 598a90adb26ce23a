//! `sonde serve` replication against the real thing: a real redis-server
//! as a replica of a sonde master (full sync, stream, partial resync after
//! CLIENT KILL), a sonde replica of a real redis-server master (disk and
//! diskless snapshots, READONLY, partial resync), a chain (redis → sonde →
//! redis) and a failover (promoting the sonde replica, a redis replica of
//! the old master continuing with it by +CONTINUE). Data are compared key by
//! key (SCAN, TYPE, a type-specific read, TTL presence) and offsets with
//! INFO replication.

use std::time::{Duration, Instant};

use crate::common::dataset;
use crate::common::differential::Conn;
use crate::common::redis_server::RedisServer;
use crate::common::sonde_server::SondeServer;

/// One field of INFO `section`.
fn info(conn: &mut redis::Connection, section: &str, name: &str) -> String {
    let text: String = redis::cmd("INFO").arg(section).query(conn).expect("INFO");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("INFO {section} has no {name}:\n{text}"))
        .trim()
        .to_owned()
}

fn offset(conn: &mut redis::Connection) -> u64 {
    info(conn, "replication", "master_repl_offset")
        .parse()
        .expect("offset")
}

/// Poll `check` until it holds; fail with `what` after 30 s.
#[track_caller]
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Wait until the replica's link is up and its offset equals the master's.
#[track_caller]
fn wait_in_sync(master: &mut redis::Connection, replica: &mut redis::Connection) {
    wait_for("the replica to catch up with the master's offset", || {
        info(replica, "replication", "master_link_status") == "up"
            && offset(master) == offset(replica)
    });
}

/// Both servers hold the same keys, types, absolute expiries and values
/// (every database; see the dataset helper).
#[track_caller]
fn assert_same_data(a: &str, b: &str) {
    let (x, y) = (dataset::read(a, 0..16), dataset::read(b, 0..16));
    assert!(!x.is_empty(), "nothing was written");
    dataset::assert_same(&x, &y);
}

/// A mixed load over several databases: plain and expiring SETs, counters,
/// appends, relative and absolute expiries, deletions, MSET, INCRBYFLOAT
/// (propagated as SET), expiries already past, every collection type (with
/// SPOP and a served BLPOP, which the master rewrites before propagating)
/// and MULTI/EXEC blocks.
fn write_load(conn: &mut redis::Connection, round: u32, n: u32) {
    let mut pipe = redis::pipe();
    for i in 0..n {
        let db = i % 4;
        pipe.cmd("SELECT").arg(db).ignore();
        let key = format!("k:{round}:{i}");
        pipe.cmd("SET").arg(&key).arg(format!("v{i}")).ignore();
        match i % 14 {
            0 => {
                pipe.cmd("SET")
                    .arg(&key)
                    .arg("ex")
                    .arg("EX")
                    .arg(1000)
                    .ignore();
            }
            1 => {
                pipe.cmd("INCR").arg(format!("counter:{db}")).ignore();
            }
            2 => {
                pipe.cmd("APPEND").arg(&key).arg("-tail").ignore();
            }
            3 => {
                pipe.cmd("EXPIRE").arg(&key).arg(500).ignore();
            }
            4 => {
                pipe.cmd("DEL").arg(format!("k:{round}:{}", i - 1)).ignore();
            }
            5 => {
                pipe.cmd("MSET")
                    .arg(&key)
                    .arg("m1")
                    .arg(format!("{key}:b"))
                    .arg("m2")
                    .ignore();
            }
            6 => {
                pipe.cmd("INCRBYFLOAT")
                    .arg(format!("float:{db}"))
                    .arg("1.5")
                    .ignore();
            }
            7 => {
                // An expiry already past deletes the key (propagated as
                // DEL); a PX 1 key would race the comparison's reads.
                pipe.cmd("SET").arg(format!("short:{i}")).arg("x").ignore();
                pipe.cmd("PEXPIREAT")
                    .arg(format!("short:{i}"))
                    .arg(1)
                    .ignore();
            }
            8 => {
                pipe.cmd("PEXPIREAT")
                    .arg(&key)
                    .arg(4_102_444_800_000u64)
                    .ignore();
            }
            9 => {
                let list = format!("list:{db}");
                pipe.cmd("RPUSH").arg(&list).arg(i).arg(&key).ignore();
                pipe.cmd("LPUSH")
                    .arg(&list)
                    .arg(format!("head{i}"))
                    .ignore();
                pipe.cmd("BLPOP").arg(&list).arg(1).ignore();
                pipe.cmd("LTRIM").arg(&list).arg(0).arg(200).ignore();
            }
            10 => {
                let hash = format!("hash:{db}");
                pipe.cmd("HSET")
                    .arg(&hash)
                    .arg(format!("f{}", i % 50))
                    .arg(i)
                    .ignore();
                pipe.cmd("HINCRBY").arg(&hash).arg("n").arg(1).ignore();
                pipe.cmd("HINCRBYFLOAT")
                    .arg(&hash)
                    .arg("x")
                    .arg("0.25")
                    .ignore();
                pipe.cmd("HDEL")
                    .arg(&hash)
                    .arg(format!("f{}", (i + 7) % 50))
                    .ignore();
            }
            11 => {
                let set = format!("set:{db}");
                pipe.cmd("SADD").arg(&set).arg(i % 100).arg(&key).ignore();
                pipe.cmd("SREM").arg(&set).arg((i + 37) % 100).ignore();
                pipe.cmd("SPOP").arg(&set).ignore();
                pipe.cmd("SADD").arg(format!("ints:{db}")).arg(i).ignore();
            }
            12 => {
                let zset = format!("zset:{db}");
                pipe.cmd("ZADD")
                    .arg(&zset)
                    .arg(i)
                    .arg(format!("m{}", i % 60))
                    .ignore();
                pipe.cmd("ZINCRBY")
                    .arg(&zset)
                    .arg("1.5")
                    .arg(format!("m{}", i % 7))
                    .ignore();
                pipe.cmd("ZPOPMIN").arg(&zset).ignore();
                pipe.cmd("ZADD")
                    .arg(format!("big:{db}"))
                    .arg(i)
                    .arg(format!("member-{i}"))
                    .ignore();
            }
            _ => {
                pipe.cmd("MULTI").ignore();
                pipe.cmd("INCR").arg(format!("tx:{db}")).ignore();
                pipe.cmd("RPUSH")
                    .arg(format!("txlist:{db}"))
                    .arg(i)
                    .ignore();
                pipe.cmd("HSET")
                    .arg(format!("txhash:{db}"))
                    .arg(format!("f{i}"))
                    .arg(&key)
                    .ignore();
                pipe.cmd("EXEC").ignore();
            }
        }
    }
    pipe.cmd("SELECT").arg(0).ignore();
    pipe.query::<()>(conn).expect("write load");
}

#[test]
fn a_redis_replica_of_a_sonde_master_with_a_disk_snapshot() {
    redis_replica_of_sonde(&["--repl-diskless-sync", "no"]);
}

#[test]
fn a_redis_replica_of_a_sonde_master_with_a_diskless_snapshot() {
    redis_replica_of_sonde(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
}

/// Full sync, the stream, then a partial resync after CLIENT KILL.
fn redis_replica_of_sonde(sonde_args: &[&str]) {
    let master = SondeServer::start(sonde_args);
    let mut m = master.client();
    assert_eq!(info(&mut m, "replication", "role"), "master");
    assert_eq!(info(&mut m, "replication", "repl_backlog_active"), "0");
    write_load(&mut m, 0, 2000);

    let port = master.port.to_string();
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.client();
    wait_in_sync(&mut m, &mut r);
    write_load(&mut m, 1, 2000);
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
    assert_eq!(
        info(&mut r, "replication", "master_replid"),
        info(&mut m, "replication", "master_replid")
    );
    let slave0 = info(&mut m, "replication", "slave0");
    assert!(
        slave0.starts_with(&format!("ip=127.0.0.1,port={},state=online,", replica.port)),
        "{slave0}"
    );
    let (name, at, replicas): (String, u64, Vec<Vec<String>>) =
        redis::cmd("ROLE").query(&mut m).expect("ROLE");
    assert_eq!(name, "master");
    assert!(at > 0);
    assert_eq!(replicas.len(), 1);
    assert_eq!(
        replicas[0][..2],
        ["127.0.0.1".to_owned(), replica.port.to_string()]
    );

    // WAIT counts the replicas that acknowledged every write so far; with
    // min-replicas-to-write 1 writes go on while the replica is there.
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "min-replicas-to-write", "1"])
        .query(&mut m)
        .expect("CONFIG SET");
    let _: () = redis::cmd("SET")
        .arg("waited")
        .arg("1")
        .query(&mut m)
        .expect("SET");
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(10_000)
        .query(&mut m)
        .expect("WAIT");
    assert_eq!(acked, 1);
    let acked: i64 = redis::cmd("WAIT")
        .arg(2)
        .arg(200)
        .query(&mut m)
        .expect("WAIT");
    assert_eq!(acked, 1, "only one replica exists");
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "min-replicas-to-write", "0"])
        .query(&mut m)
        .expect("CONFIG SET");

    // The replica is cut off; it comes back and continues from the backlog.
    let killed: i64 = redis::cmd("CLIENT")
        .arg(&["KILL", "TYPE", "replica"])
        .query(&mut m)
        .expect("CLIENT KILL");
    assert_eq!(killed, 1);
    write_load(&mut m, 2, 500);
    wait_for("the replica to reconnect", || {
        info(&mut m, "stats", "sync_partial_ok") == "1"
    });
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info(&mut m, "stats", "sync_partial_err"), "0");
}

fn sonde_replica_of_redis(redis_args: &[&str]) {
    let master = RedisServer::start(redis_args);
    let mut m = master.client();
    write_load(&mut m, 0, 2000);
    let port = master.port.to_string();
    let replica = SondeServer::start(&["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.client();
    wait_in_sync(&mut m, &mut r);
    write_load(&mut m, 1, 2000);
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
    assert_eq!(info(&mut r, "replication", "role"), "slave");
    assert_eq!(info(&mut r, "replication", "master_port"), port);
    assert_eq!(
        info(&mut r, "replication", "master_replid"),
        info(&mut m, "replication", "master_replid")
    );
    let refused = redis::cmd("SET").arg("x").arg("1").query::<()>(&mut r);
    let refused = refused.expect_err("a write to a read-only replica");
    assert!(
        refused
            .to_string()
            .contains("You can't write against a read only replica."),
        "{refused}"
    );
    // The master acknowledges our offset (REPLCONF ACK every second).
    let wanted = offset(&mut m);
    wait_for("the master to see our ACK", || {
        info(&mut m, "replication", "slave0").contains(&format!("offset={wanted},"))
    });

    // A cut link resumes with a partial resync.
    redis::cmd("CLIENT")
        .arg(&["KILL", "TYPE", "replica"])
        .query::<i64>(&mut m)
        .expect("CLIENT KILL");
    write_load(&mut m, 2, 500);
    wait_for("a partial resync", || {
        info(&mut m, "stats", "sync_partial_ok") == "1"
    });
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");
}

#[test]
fn a_sonde_replica_of_a_redis_master_with_a_disk_snapshot() {
    sonde_replica_of_redis(&["--repl-diskless-sync", "no"]);
}

#[test]
fn a_sonde_replica_of_a_redis_master_with_a_diskless_snapshot() {
    sonde_replica_of_redis(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
}

#[test]
fn a_chain_and_a_failover_keep_offsets_and_continue_partially() {
    let master = RedisServer::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.client();
    write_load(&mut m, 0, 1000);
    let mport = master.port.to_string();
    let middle = SondeServer::start(&[
        "--replicaof",
        "127.0.0.1",
        &mport,
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut mid = middle.client();
    let leaf = RedisServer::start(&["--replicaof", "127.0.0.1", &middle.port.to_string()]);
    let mut l = leaf.client();
    let other = RedisServer::start(&["--replicaof", "127.0.0.1", &mport]);
    let mut o = other.client();
    let other2 = SondeServer::start(&["--replicaof", "127.0.0.1", &mport]);
    let mut o2 = other2.client();
    write_load(&mut m, 1, 1000);
    wait_in_sync(&mut m, &mut mid);
    wait_in_sync(&mut m, &mut l);
    wait_in_sync(&mut m, &mut o);
    wait_in_sync(&mut m, &mut o2);
    assert_same_data(&master.url(), &leaf.url());
    assert_eq!(
        info(&mut l, "replication", "master_replid"),
        info(&mut m, "replication", "master_replid")
    );

    // Failover: the sonde replica becomes the master; the other replica of
    // the old master follows it and continues without a full resync.
    let old_replid = info(&mut m, "replication", "master_replid");
    let _: () = redis::cmd("REPLICAOF")
        .arg(&["NO", "ONE"])
        .query(&mut mid)
        .expect("REPLICAOF NO ONE");
    assert_eq!(info(&mut mid, "replication", "role"), "master");
    assert_eq!(info(&mut mid, "replication", "master_replid2"), old_replid);
    let _: () = redis::cmd("REPLICAOF")
        .arg(&["127.0.0.1", &middle.port.to_string()])
        .query(&mut o)
        .expect("REPLICAOF");
    let _: () = redis::cmd("REPLICAOF")
        .arg(&["127.0.0.1", &middle.port.to_string()])
        .query(&mut o2)
        .expect("REPLICAOF");
    write_load(&mut mid, 2, 1000);
    // Its own replica (the leaf) reconnects to learn the new ID, as Redis's
    // replicas do, and continues too.
    wait_for("the other replicas to continue with the new master", || {
        info(&mut mid, "stats", "sync_partial_ok") == "3"
    });
    wait_in_sync(&mut mid, &mut o2);
    assert_same_data(&middle.url(), &other2.url());
    assert_eq!(
        info(&mut o2, "replication", "master_replid2"),
        old_replid,
        "the sonde replica keeps the old history as its second ID"
    );
    wait_in_sync(&mut mid, &mut o);
    wait_in_sync(&mut mid, &mut l);
    assert_same_data(&middle.url(), &other.url());
    assert_same_data(&middle.url(), &leaf.url());
    assert_eq!(info(&mut mid, "stats", "sync_full"), "1");
}

#[test]
fn replication_commands_check_their_arguments_and_settings() {
    let server = SondeServer::start(&["--min-replicas-to-write", "1"]);
    let mut c = server.client();
    let err = |c: &mut redis::Connection, args: &[&str]| -> String {
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query::<redis::Value>(c)
            .expect_err("an error reply")
            .to_string()
    };
    assert!(err(&mut c, &["SET", "k", "v"]).contains("Not enough good replicas to write."));
    assert!(err(&mut c, &["REPLCONF", "listening-port"]).contains("syntax error"));
    assert!(
        err(&mut c, &["REPLCONF", "bogus", "1"]).contains("Unrecognized REPLCONF option: bogus")
    );
    assert!(err(&mut c, &["REPLICAOF", "127.0.0.1", "70000"]).contains("Invalid master port"));
    let ok: String = redis::cmd("REPLCONF")
        .arg(&["listening-port", "1", "capa", "eof", "capa", "psync2"])
        .query(&mut c)
        .expect("REPLCONF");
    assert_eq!(ok, "OK");
    let get: Vec<String> = redis::cmd("CONFIG")
        .arg(&["GET", "min-slaves-to-write"])
        .query(&mut c)
        .expect("CONFIG GET");
    assert_eq!(get, ["min-slaves-to-write", "1"]);
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "min-replicas-to-write", "0"])
        .query(&mut c)
        .expect("CONFIG SET");
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut c)
        .expect("SET");
    let role: (String, u64, Vec<Vec<String>>) = redis::cmd("ROLE").query(&mut c).expect("ROLE");
    assert_eq!(role, ("master".to_owned(), 0, vec![]));
}

/// A TCP proxy on a free loopback port for network breaks: `pause` stops
/// forwarding (bytes wait in the socket buffers, as on a stalled link),
/// `cut` closes every connection and refuses new ones until `restore`.
struct Proxy {
    port: u16,
    state: std::sync::Arc<ProxyState>,
}

#[derive(Default)]
struct ProxyState {
    paused: std::sync::atomic::AtomicBool,
    refusing: std::sync::atomic::AtomicBool,
    /// Bumped by `cut`: connections of an older generation close.
    generation: std::sync::atomic::AtomicU64,
}

impl Proxy {
    fn start(target: u16) -> Proxy {
        use std::net::{TcpListener, TcpStream};
        use std::sync::atomic::Ordering::SeqCst;
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let port = listener.local_addr().expect("proxy addr").port();
        let state = std::sync::Arc::new(ProxyState::default());
        let shared = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if shared.refusing.load(SeqCst) {
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let generation = shared.generation.load(SeqCst);
                for (from, to) in [
                    (client.try_clone(), server.try_clone()),
                    (server.try_clone(), client.try_clone()),
                ] {
                    let (Ok(from), Ok(to)) = (from, to) else {
                        continue;
                    };
                    let shared = shared.clone();
                    std::thread::spawn(move || pump(from, to, &shared, generation));
                }
            }
        });
        Proxy { port, state }
    }

    fn pause(&self, on: bool) {
        self.state
            .paused
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }

    fn cut(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        self.state.refusing.store(true, SeqCst);
        self.state.generation.fetch_add(1, SeqCst);
    }

    fn restore(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        self.state.paused.store(false, SeqCst);
        self.state.refusing.store(false, SeqCst);
    }
}

/// Copy bytes one way until either side closes or the link is cut.
fn pump(
    mut from: std::net::TcpStream,
    mut to: std::net::TcpStream,
    state: &ProxyState,
    generation: u64,
) {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering::SeqCst;
    let _ = from.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if state.generation.load(SeqCst) != generation {
            break;
        }
        if state.paused.load(SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}

#[test]
fn network_breaks_resume_partially_or_resync_fully_past_the_backlog() {
    // A redis replica of a sonde master, through the proxy.
    let master = SondeServer::start(&[
        "--repl-diskless-sync-delay",
        "0",
        "--repl-backlog-size",
        "64kb",
    ]);
    let mut m = master.client();
    let proxy = Proxy::start(master.port);
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &proxy.port.to_string()]);
    let mut r = replica.client();
    write_load(&mut m, 0, 1000);
    wait_in_sync(&mut m, &mut r);

    // A short break: the link stalls, then drops; writes go on meanwhile.
    proxy.pause(true);
    write_load(&mut m, 1, 200);
    proxy.cut();
    write_load(&mut m, 2, 200);
    proxy.restore();
    wait_for("a partial resync after a short break", || {
        info(&mut m, "stats", "sync_partial_ok") == "1"
    });
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");

    // A break longer than the backlog: a full resync, and still the same data.
    proxy.cut();
    write_load(&mut m, 3, 3000);
    proxy.restore();
    wait_for("a second full resync", || {
        info(&mut m, "stats", "sync_full") == "2"
    });
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());

    // A sonde replica of a redis master through a proxy that stalls past
    // repl-timeout: the replica notices, reconnects and continues.
    let master = RedisServer::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.client();
    let proxy = Proxy::start(master.port);
    let replica = SondeServer::start(&[
        "--replicaof",
        "127.0.0.1",
        &proxy.port.to_string(),
        "--repl-timeout",
        "2",
    ]);
    let mut r = replica.client();
    write_load(&mut m, 0, 1000);
    wait_in_sync(&mut m, &mut r);
    proxy.pause(true);
    write_load(&mut m, 1, 300);
    wait_for("the replica to notice the silent master", || {
        info(&mut r, "replication", "master_link_status") == "down"
    });
    proxy.cut();
    proxy.restore();
    wait_for("a partial resync with the redis master", || {
        info(&mut m, "stats", "sync_partial_ok") == "1"
    });
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");
}

/// DBSIZE, offsets and 1,000 random keys read on both sides.
#[track_caller]
fn assert_same_sample(master: &mut redis::Connection, replica: &mut redis::Connection) {
    let size =
        |c: &mut redis::Connection| -> u64 { redis::cmd("DBSIZE").query(c).expect("DBSIZE") };
    assert_eq!(size(master), size(replica));
    for _ in 0..1000 {
        let key: Vec<u8> = redis::cmd("RANDOMKEY").query(master).expect("RANDOMKEY");
        let get = |c: &mut redis::Connection| -> Option<Vec<u8>> {
            redis::cmd("GET").arg(&key).query(c).expect("GET")
        };
        assert_eq!(get(master), get(replica), "key {key:?}");
    }
}

/// DEBUG POPULATE `keys` on the master, then attach the replica `attach`
/// starts, write on, and compare once in sync.
fn sync_populated(
    master: &mut redis::Connection,
    keys: u64,
    attach: impl FnOnce() -> redis::Connection,
) {
    let _: () = redis::cmd("DEBUG")
        .arg(&["POPULATE", &keys.to_string()])
        .query(master)
        .expect("DEBUG POPULATE");
    let mut replica = attach();
    write_load(master, 0, 1000);
    wait_in_sync(master, &mut replica);
    assert_same_sample(master, &mut replica);
}

#[test]
fn a_million_keys_sync_both_ways_disk_and_diskless() {
    const KEYS: u64 = 1_000_000;
    // sonde master → redis replica, diskless.
    let master = SondeServer::start(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let port = master.port.to_string();
    let mut replica = None;
    sync_populated(&mut master.client(), KEYS, || {
        let r = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
        let c = r.client();
        replica = Some(r);
        c
    });

    // redis master → sonde replica, from a snapshot on disk.
    let master = RedisServer::start(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        "no",
    ]);
    let port = master.port.to_string();
    let mut replica = None;
    sync_populated(&mut master.client(), KEYS, || {
        let r = SondeServer::start(&["--replicaof", "127.0.0.1", &port]);
        let c = r.client();
        replica = Some(r);
        c
    });
}

#[test]
fn several_replicas_attaching_at_once_all_sync() {
    for mode in ["yes", "no"] {
        let master = SondeServer::start(&[
            "--repl-diskless-sync",
            mode,
            "--repl-diskless-sync-delay",
            "0",
        ]);
        let mut m = master.client();
        write_load(&mut m, 0, 1000);
        let port = master.port.to_string();
        let replicas: Vec<RedisServer> = (0..3)
            .map(|_| RedisServer::start(&["--replicaof", "127.0.0.1", &port]))
            .collect();
        write_load(&mut m, 1, 1000);
        for replica in &replicas {
            let mut r = replica.client();
            wait_in_sync(&mut m, &mut r);
            assert_same_data(&master.url(), &replica.url());
        }
        assert_eq!(info(&mut m, "replication", "connected_slaves"), "3");
        assert_eq!(info(&mut m, "stats", "sync_full"), "3", "diskless {mode}");
    }
}

#[test]
fn masterauth_and_the_replica_output_buffer_limit() {
    // A password-protected redis master: the sonde replica authenticates.
    let master =
        RedisServer::start(&["--requirepass", "s3cret", "--repl-diskless-sync-delay", "0"]);
    let mut m = redis::Client::open(format!("redis://:s3cret@127.0.0.1:{}/", master.port))
        .and_then(|c| c.get_connection())
        .expect("connect with the password");
    write_load(&mut m, 0, 500);
    let replica = SondeServer::start(&[
        "--replicaof",
        "127.0.0.1",
        &master.port.to_string(),
        "--masterauth",
        "s3cret",
    ]);
    let mut r = replica.client();
    wait_in_sync(&mut m, &mut r);
    let authed = format!("redis://:s3cret@127.0.0.1:{}/", master.port);
    assert_same_data(&authed, &replica.url());

    // A replica that stops reading is dropped once its output passes the
    // replica class's hard limit; it comes back and catches up.
    let master = SondeServer::start(&[
        "--repl-diskless-sync-delay",
        "0",
        "--client-output-buffer-limit",
        "replica 1mb 0 0",
    ]);
    let mut m = master.client();
    let proxy = Proxy::start(master.port);
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &proxy.port.to_string()]);
    let mut r = replica.client();
    write_load(&mut m, 0, 100);
    wait_in_sync(&mut m, &mut r);
    proxy.pause(true);
    let big = vec![b'x'; 64 * 1024];
    for i in 0..200 {
        let _: () = redis::cmd("SET")
            .arg(format!("big:{i}"))
            .arg(&big)
            .query(&mut m)
            .expect("SET");
    }
    wait_for("the replica over its output limit to be dropped", || {
        info(&mut m, "stats", "client_output_buffer_limit_disconnections") == "1"
    });
    proxy.cut();
    proxy.restore();
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
}

#[test]
fn a_replica_keeps_expired_keys_until_its_master_deletes_them() {
    let master = RedisServer::start(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut m = master.client();
    let _: () = redis::cmd("DEBUG")
        .arg(&["SET-ACTIVE-EXPIRE", "0"])
        .query(&mut m)
        .expect("DEBUG SET-ACTIVE-EXPIRE");
    let replica = SondeServer::start(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let mut r = replica.client();
    let _: () = redis::cmd("SET")
        .arg(&["soon", "gone", "PX", "100"])
        .query(&mut m)
        .expect("SET");
    wait_in_sync(&mut m, &mut r);
    std::thread::sleep(Duration::from_millis(300));
    // Expired for clients, still held: only the master's DEL removes it.
    let value: Option<String> = redis::cmd("GET").arg("soon").query(&mut r).expect("GET");
    assert_eq!(value, None);
    let size: u64 = redis::cmd("DBSIZE").query(&mut r).expect("DBSIZE");
    assert_eq!(size, 1);
    // The master notices on access and propagates the deletion.
    let value: Option<String> = redis::cmd("GET").arg("soon").query(&mut m).expect("GET");
    assert_eq!(value, None);
    wait_for("the master's DEL to reach the replica", || {
        redis::cmd("DBSIZE").query::<u64>(&mut r).expect("DBSIZE") == 0
    });
}

#[test]
fn the_master_side_speaks_the_protocol_byte_for_byte_and_drops_silent_replicas() {
    use std::io::{BufRead, BufReader, Read, Write};
    let master = SondeServer::start(&[
        "--repl-diskless-sync",
        "no",
        "--repl-timeout",
        "2",
        "--repl-ping-replica-period",
        "1",
    ]);
    let mut m = master.client();
    let _: () = redis::cmd("SET")
        .arg(&["k", "v"])
        .query(&mut m)
        .expect("SET");
    let mut stream = master.raw();
    // As a replica does: the REPLCONFs pipelined, PSYNC once they are
    // answered (PSYNC with replies pending is refused, as in Redis).
    stream
        .write_all(b"REPLCONF listening-port 4321\r\nREPLCONF capa eof capa psync2\r\n")
        .expect("handshake");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    let mut next_line = |reader: &mut BufReader<std::net::TcpStream>| {
        line.clear();
        reader.read_line(&mut line).expect("a line");
        line.clone()
    };
    assert_eq!(next_line(&mut reader), "+OK\r\n");
    assert_eq!(next_line(&mut reader), "+OK\r\n");
    stream.write_all(b"PSYNC ? -1\r\n").expect("PSYNC");
    let mut full = next_line(&mut reader);
    while full == "\n" {
        full = next_line(&mut reader);
    }
    let words: Vec<&str> = full.trim_end().split(' ').collect();
    assert_eq!(words[0], "+FULLRESYNC", "{full:?}");
    assert_eq!(words[1], info(&mut m, "replication", "master_replid"));
    assert_eq!(words[2], "0");
    let mut header = next_line(&mut reader);
    while header == "\n" {
        header = next_line(&mut reader);
    }
    let size: usize = header
        .trim_end()
        .strip_prefix('$')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("snapshot header {header:?}"));
    let mut rdb = vec![0u8; size];
    reader.read_exact(&mut rdb).expect("the snapshot");
    assert!(rdb.starts_with(b"REDIS0010"), "an RDB image");
    let repl_id = info(&mut m, "replication", "master_replid");
    assert!(
        rdb.windows(repl_id.len()).any(|w| w == repl_id.as_bytes()),
        "the snapshot records the replication ID"
    );
    // A write after the snapshot arrives as the stream, with its SELECT.
    let _: () = redis::cmd("SET")
        .arg(&["k2", "v2"])
        .query(&mut m)
        .expect("SET");
    let mut stream_bytes = vec![0u8; 0];
    let select = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$2\r\nv2\r\n";
    let mut buf = [0u8; 256];
    while stream_bytes.len() < select.len() {
        let n = reader.read(&mut buf).expect("stream");
        assert!(n > 0, "the stream ended early");
        stream_bytes.extend_from_slice(&buf[..n]);
    }
    assert_eq!(&stream_bytes[..select.len()], select);
    let slave0 = info(&mut m, "replication", "slave0");
    assert!(
        slave0.starts_with("ip=127.0.0.1,port=4321,state=online,offset=0,"),
        "{slave0}"
    );
    // This replica never acknowledges: past repl-timeout it is dropped
    // (after PINGs in the stream, one per repl-ping-replica-period).
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).expect("closed by the master");
    assert!(
        rest.windows(14).any(|w| w == b"*1\r\n$4\r\nPING\r\n"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );
    assert_eq!(info(&mut m, "replication", "connected_slaves"), "0");
}

/// A replica connection that asks to continue at `from` and then reads
/// nothing: the master keeps the stream for it.
fn stalled_replica(master: &SondeServer, replid: &str, from: u64) -> std::net::TcpStream {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = master.raw();
    stream
        .write_all(format!("PSYNC {replid} {from}\r\n").as_bytes())
        .expect("PSYNC");
    let mut line = String::new();
    BufReader::new(stream.try_clone().expect("clone"))
        .read_line(&mut line)
        .expect("the PSYNC reply");
    assert!(line.starts_with("+CONTINUE"), "{line:?}");
    stream
}

fn info_num(conn: &mut redis::Connection, section: &str, name: &str) -> u64 {
    info(conn, section, name).parse().expect("a number")
}

#[test]
fn lagging_replicas_share_one_replication_buffer() {
    let master = SondeServer::start(&["--repl-backlog-size", "16kb"]);
    let mut m = master.client();
    let replica = SondeServer::start(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let mut r = replica.client();
    write_load(&mut m, 0, 100);
    wait_in_sync(&mut m, &mut r);

    // Two replicas stop reading; 40 MB of stream follow.
    let replid = info(&mut m, "replication", "master_replid");
    let from = offset(&mut m) + 1;
    let stalled = [
        stalled_replica(&master, &replid, from),
        stalled_replica(&master, &replid, from),
    ];
    let big = vec![b'x'; 1 << 20];
    for i in 0..40 {
        let _: () = redis::cmd("SET")
            .arg(format!("big:{}", i % 4))
            .arg(&big)
            .query(&mut m)
            .expect("SET");
    }
    // The backlog outgrew its 16 KB to keep what they have not received
    // (the kernel's socket buffers took a few MB), and holds it once.
    let histlen = info_num(&mut m, "replication", "repl_backlog_histlen");
    assert!(histlen > 30 << 20, "histlen {histlen}");
    let buffers = info_num(&mut m, "memory", "mem_total_replication_buffers");
    assert!(
        buffers >= histlen && buffers < histlen + (2 << 20),
        "buffers {buffers}, histlen {histlen}"
    );
    let slaves_mem = info_num(&mut m, "memory", "mem_clients_slaves");
    assert!(slaves_mem > 30 << 20, "mem_clients_slaves {slaves_mem}");
    let list: String = redis::cmd("CLIENT")
        .arg(&["LIST", "TYPE", "replica"])
        .query(&mut m)
        .expect("CLIENT LIST");
    let lagging = list
        .lines()
        .filter(|l| {
            l.split(' ')
                .find_map(|f| f.strip_prefix("omem="))
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n > 30 << 20)
        })
        .count();
    assert_eq!(lagging, 2, "{list}");

    // Far past repl-backlog-size, a third replica continues from the
    // oldest byte kept: the stream kept for the others serves it.
    let first: u64 = info_num(&mut m, "replication", "repl_backlog_first_byte_offset");
    assert!(offset(&mut m) - first > 30 << 20, "first byte {first}");
    let third = stalled_replica(&master, &replid, first);
    assert_eq!(info_num(&mut m, "stats", "sync_partial_ok"), 3);
    assert_eq!(info_num(&mut m, "replication", "connected_slaves"), 4);

    // Once they are gone the buffer shrinks back to about the backlog.
    drop(stalled);
    drop(third);
    wait_for(
        "the lagging replicas to go and the backlog to shrink",
        || {
            info_num(&mut m, "replication", "connected_slaves") == 1
                && info_num(&mut m, "replication", "repl_backlog_histlen") < 64 << 10
                && info_num(&mut m, "memory", "mem_total_replication_buffers") < 128 << 10
        },
    );
    let slaves_mem = info_num(&mut m, "memory", "mem_clients_slaves");
    assert!(slaves_mem < 1 << 20, "mem_clients_slaves {slaves_mem}");

    // The replica class's hard limit applies to a replica's share.
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "client-output-buffer-limit", "replica 4mb 0 0"])
        .query(&mut m)
        .expect("CONFIG SET");
    // More than the kernel may buffer for it (loopback's receive buffer
    // can grow to tcp_rmem's 32 MB here), so its share must pass 4 MB.
    let _over = stalled_replica(&master, &replid, offset(&mut m) + 1);
    for i in 0..48 {
        let _: () = redis::cmd("SET")
            .arg(format!("big:{}", i % 4))
            .arg(&big)
            .query(&mut m)
            .expect("SET");
    }
    wait_for("the replica past its limit to be dropped", || {
        info_num(&mut m, "stats", "client_output_buffer_limit_disconnections") == 1
            && info_num(&mut m, "replication", "connected_slaves") == 1
    });
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
}

/// Read one line from a raw connection (its read timeout applies).
fn raw_line(stream: &std::net::TcpStream) -> std::io::Result<String> {
    use std::io::Read;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let mut s = stream;
    while !line.ends_with(b"\r\n") {
        if s.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        line.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

#[test]
fn shutdown_waits_for_lagging_replicas_until_aborted_or_timed_out() {
    use std::io::Write;
    let mut master = SondeServer::start(&["--shutdown-timeout", "60"]);
    let mut m = master.client();
    let replica = SondeServer::start(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let mut r = replica.client();
    write_load(&mut m, 0, 50);
    wait_in_sync(&mut m, &mut r);
    // A replica that never acknowledges: the shutdown waits for it.
    let replid = info(&mut m, "replication", "master_replid");
    let _stalled = stalled_replica(&master, &replid, offset(&mut m) + 1);
    let _: () = redis::cmd("SET")
        .arg(&["last", "write"])
        .query(&mut m)
        .expect("SET");

    let mut shutdown = master.raw();
    shutdown.write_all(b"SHUTDOWN\r\n").expect("SHUTDOWN");
    wait_for("the shutdown to wait for the replicas", || {
        master
            .log()
            .contains("Waiting for replicas before shutting down.")
    });
    let left: u64 = info(&mut m, "server", "shutdown_in_milliseconds")
        .parse()
        .expect("a number");
    assert!(left > 0 && left <= 60_000, "{left}");
    assert_eq!(info(&mut m, "clients", "blocked_clients"), "1");
    // Writes wait meanwhile.
    let mut writer = master.raw();
    writer
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    writer.write_all(b"SET held 1\r\n").expect("SET");
    assert!(
        raw_line(&writer).is_err(),
        "a write ran during the shutdown"
    );

    // ABORT: the SHUTDOWN gets an error, the held write runs.
    let _: () = redis::cmd("SHUTDOWN")
        .arg("ABORT")
        .query(&mut m)
        .expect("ABORT");
    assert_eq!(
        raw_line(&shutdown).expect("the SHUTDOWN reply"),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    writer
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    assert_eq!(raw_line(&writer).expect("the SET reply"), "+OK\r\n");
    assert!(master.log().contains("Shutdown manually aborted."));

    // Past shutdown-timeout the server exits anyway, naming the replica
    // that lags; the one in sync has every write.
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "shutdown-timeout", "1"])
        .query(&mut m)
        .expect("CONFIG SET");
    wait_in_sync(&mut m, &mut r);
    let pid = master.child().id() as i32;
    // SAFETY: signals our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    wait_for("the master to exit", || !master.is_running());
    let log = master.log();
    assert!(log.contains("Lagging replica"), "{log}");
    assert!(
        log.contains("1 of 2 replicas are in sync when shutting down."),
        "{log}"
    );
    let held: String = redis::cmd("GET").arg("held").query(&mut r).expect("GET");
    assert_eq!(held, "1");
}

/// repl-diskless-load swapdb: a sonde replica of a redis-server master
/// loads a diskless snapshot from the socket into a dataset of its own
/// while it keeps answering reads of the old one (async loading, since the
/// master's history is already the replica's), keeps the old one when the
/// transfer is cut, and swaps the new one in once a transfer completes.
#[test]
fn a_swapdb_replica_serves_the_old_data_while_loading_and_keeps_it_when_the_load_fails() {
    let master = RedisServer::start(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--rdbcompression",
        "no",
    ]);
    let mut m = master.client();
    let replica = SondeServer::start(&[
        "--repl-diskless-load",
        "swapdb",
        "--replica-read-only",
        "no",
    ]);
    let mut r = replica.client();
    fill(&mut m, 500, 10_000);
    redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(master.port)
        .query::<()>(&mut r)
        .expect("REPLICAOF");
    wait_in_sync(&mut m, &mut r);
    redis::cmd("SET")
        .arg("mykey")
        .arg("myvalue")
        .query::<()>(&mut r)
        .expect("SET");
    let dbsize = |c: &mut redis::Connection| redis::cmd("DBSIZE").query::<i64>(c).expect("DBSIZE");
    let get = |c: &mut redis::Connection| {
        redis::cmd("GET")
            .arg("mykey")
            .query::<Option<String>>(c)
            .expect("GET")
    };
    assert_eq!(dbsize(&mut r), 501);

    // A slow snapshot (20 ms a key), then a full resync forced by a cut
    // link and a backlog too small for what was written meanwhile.
    let config = |c: &mut redis::Connection, k: &str, v: &str| {
        redis::cmd("CONFIG")
            .arg("SET")
            .arg(k)
            .arg(v)
            .query::<()>(c)
            .expect("CONFIG SET")
    };
    config(&mut m, "rdb-key-save-delay", "20000");
    let mut tx = redis::pipe();
    tx.atomic()
        .cmd("CLIENT")
        .arg(&["KILL", "TYPE", "replica"])
        .ignore()
        .cmd("CONFIG")
        .arg(&["SET", "repl-backlog-size", "16384"])
        .ignore();
    for i in 0..10 {
        tx.cmd("SET")
            .arg(format!("big:{i}"))
            .arg("A".repeat(16384))
            .ignore();
    }
    tx.query::<()>(&mut m).expect("MULTI/EXEC");
    wait_for("the replica to load asynchronously", || {
        info(&mut r, "persistence", "async_loading") == "1"
    });
    assert_eq!(info(&mut r, "persistence", "loading"), "0");
    assert_eq!(get(&mut r).as_deref(), Some("myvalue"));
    assert_eq!(dbsize(&mut r), 501);
    let refused = redis::cmd("REPLICAOF")
        .arg(&["NO", "ONE"])
        .query::<()>(&mut r);
    let refused = refused.expect_err("REPLICAOF while loading asynchronously");
    assert!(
        refused.to_string().contains("loading the dataset"),
        "{refused}"
    );

    // Cut in the middle: the old dataset stays.
    config(&mut m, "repl-diskless-sync-delay", "5");
    redis::cmd("CLIENT")
        .arg(&["KILL", "TYPE", "replica"])
        .query::<i64>(&mut m)
        .expect("CLIENT KILL");
    wait_for("the load to stop", || {
        info(&mut r, "persistence", "async_loading") == "0"
    });
    assert_eq!(get(&mut r).as_deref(), Some("myvalue"));
    assert_eq!(dbsize(&mut r), 501);
    assert!(
        replica.log().contains("Internal error in RDB"),
        "{}",
        replica.log()
    );

    // A complete transfer replaces it.
    config(&mut m, "rdb-key-save-delay", "0");
    config(&mut m, "repl-diskless-sync-delay", "0");
    wait_in_sync(&mut m, &mut r);
    assert_eq!(get(&mut r), None);
    assert_eq!(dbsize(&mut r), 510);
    assert_same_data(&master.url(), &replica.url());
    let log = replica.log();
    assert!(log.contains("Swapping active DB with loaded DB"), "{log}");
}

/// The address of one replica connection of `conn` (CLIENT LIST).
fn a_replica_addr(conn: &mut redis::Connection) -> String {
    let list: String = redis::cmd("CLIENT")
        .arg(&["LIST", "TYPE", "replica"])
        .query(conn)
        .expect("CLIENT LIST");
    list.split_whitespace()
        .find_map(|f| f.strip_prefix("addr="))
        .unwrap_or_else(|| panic!("no replica in {list}"))
        .to_owned()
}

/// A diskless full resync goes through the snapshot child's pipe: two
/// redis-server replicas share one child; one cut off in the middle leaves
/// the other to finish (and comes back with the next child); when the
/// last replica of a transfer drops, the child is killed. Clients keep
/// being served meanwhile, on TCP and on the Unix socket.
#[test]
fn a_diskless_transfer_outlives_a_dropped_replica_and_ends_with_the_last() {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("sonde.sock");
    let socket_arg = socket.to_str().expect("a UTF-8 path");
    let master = SondeServer::start(&[
        "--unixsocket",
        socket_arg,
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "1",
        "--repl-diskless-sync-max-replicas",
        "2",
        "--rdbcompression",
        "no",
    ]);
    let mut m = master.client();
    fill(&mut m, 2000, 1000);
    let set = |c: &mut redis::Connection, k: &str, v: &str| {
        redis::cmd("CONFIG")
            .arg("SET")
            .arg(k)
            .arg(v)
            .query::<()>(c)
            .expect("CONFIG SET")
    };
    // A millisecond a key: the transfer takes about two seconds.
    set(&mut m, "rdb-key-save-delay", "1000");
    let port = master.port.to_string();
    let a = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    let b = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    wait_for("one child for both replicas", || {
        info(&mut m, "persistence", "rdb_bgsave_in_progress") == "1"
            && info(&mut m, "replication", "connected_slaves") == "2"
    });
    let addr = a_replica_addr(&mut m);
    redis::cmd("CLIENT")
        .arg(&["KILL", "ADDR", &addr])
        .query::<()>(&mut m)
        .expect("CLIENT KILL");
    set(&mut m, "rdb-key-save-delay", "0");
    let (mut ra, mut rb) = (a.client(), b.client());
    wait_in_sync(&mut m, &mut ra);
    wait_in_sync(&mut m, &mut rb);
    assert_same_data(&master.url(), &a.url());
    assert_same_data(&master.url(), &b.url());
    let log = master.log();
    assert!(
        log.contains("Diskless rdb transfer, done reading from pipe, 1 replicas still up."),
        "{log}"
    );

    // The only replica of a transfer drops: the child goes with it.
    set(&mut m, "rdb-key-save-delay", "1000");
    let c = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    wait_for("a child for the third replica", || {
        info(&mut m, "persistence", "rdb_bgsave_in_progress") == "1"
    });
    let mut unix = std::os::unix::net::UnixStream::connect(&socket).expect("unix socket");
    unix.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    std::io::Write::write_all(&mut unix, b"PING\r\n").expect("PING");
    let mut pong = [0u8; 7];
    std::io::Read::read_exact(&mut unix, &mut pong).expect("a reply on the Unix socket");
    assert_eq!(&pong, b"+PONG\r\n");
    drop(c);
    wait_for("the child to be killed", || {
        info(&mut m, "persistence", "rdb_bgsave_in_progress") == "0"
    });
    let log = master.log();
    assert!(
        log.contains("Diskless rdb transfer, last replica dropped, killing fork child."),
        "{log}"
    );
}

/// EXEC on a replica that went stale after the commands were queued
/// (replica-serve-stale-data no) is refused when any queued command is not
/// allowed on a stale replica, and allowed once the replica is a master
/// again: the same replies from redis-server and sonde.
#[test]
fn exec_queued_before_the_replica_went_stale_is_refused_as_redis_does() {
    let run = |conn: &mut redis::Connection, admin: &mut redis::Connection| -> Vec<String> {
        let reply = |v: redis::RedisResult<redis::Value>| match v {
            Ok(v) => format!("{v:?}"),
            Err(e) => e.code().unwrap_or("?").to_string(),
        };
        let mut out = Vec::new();
        redis::cmd("CONFIG")
            .arg("SET")
            .arg("replica-serve-stale-data")
            .arg("no")
            .query::<()>(conn)
            .unwrap();
        redis::cmd("SET")
            .arg("xx")
            .arg(1)
            .query::<()>(conn)
            .unwrap();
        for queued in [&["GET", "xx"][..], &["PING"][..]] {
            redis::cmd("MULTI").query::<()>(conn).unwrap();
            redis::cmd(queued[0])
                .arg(&queued[1..])
                .query::<()>(conn)
                .unwrap();
            redis::cmd("REPLICAOF")
                .arg("127.0.0.1")
                .arg(1)
                .query::<()>(admin)
                .unwrap();
            out.push(reply(redis::cmd("EXEC").query(conn)));
            redis::cmd("REPLICAOF")
                .arg("NO")
                .arg("ONE")
                .query::<()>(admin)
                .unwrap();
        }
        redis::cmd("MULTI").query::<()>(conn).unwrap();
        redis::cmd("GET").arg("xx").query::<()>(conn).unwrap();
        out.push(reply(redis::cmd("EXEC").query(conn)));
        out
    };
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let expected = run(&mut redis.client(), &mut redis.client());
    assert_eq!(expected[0], "EXECABORT", "{expected:?}");
    assert_eq!(run(&mut sonde.client(), &mut sonde.client()), expected);
}

/// The replica's log from `from` on (a byte offset in it).
fn log_since(replica: &SondeServer, from: usize) -> String {
    replica.log().get(from..).unwrap_or_default().to_owned()
}

/// repl-diskless-load on-empty-db: an empty sonde replica of a redis-server
/// master loads a diskless snapshot straight from the socket with the loop
/// held, as Redis does. The cron does not run meanwhile, so the watchdog
/// fires; its signal interrupts the blocking read, which is retried (one
/// full sync, the link never lost). Clients are served between chunks:
/// INFO says loading, a read is refused with -LOADING. The load then
/// completes with the master's data.
#[test]
fn an_empty_replica_loads_a_diskless_snapshot_holding_the_loop_and_retries_interrupted_reads() {
    // 300 keys of 100 kB, 10 ms a key: about three seconds of transfer,
    // room for the checks made while it loads (each answered only between
    // two 2 MB chunks).
    let master = slow_diskless_master(300, "10000");
    let mut m = master.client();
    let replica = SondeServer::start(&["--repl-diskless-load", "on-empty-db"]);
    let mut r = replica.client();
    redis::cmd("CONFIG")
        .arg(&["SET", "watchdog-period", "200"])
        .query::<()>(&mut r)
        .expect("CONFIG SET watchdog-period");
    redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(master.port)
        .query::<()>(&mut r)
        .expect("REPLICAOF");
    wait_for("the load to start", || {
        replica.log().contains("Loading DB in memory")
    });
    let started = replica.log().find("Loading DB in memory").unwrap_or(0);
    wait_for("the watchdog to fire during the load", || {
        log_since(&replica, started).contains("WATCHDOG TIMER EXPIRED")
    });
    assert_eq!(info(&mut r, "persistence", "loading"), "1");
    // Progress as Redis reports it for a transfer of unknown size: the
    // bytes parsed, against the used-mem the snapshot's header states.
    wait_for("the loaded bytes to be reported", || {
        let loaded: u64 = info(&mut r, "persistence", "loading_loaded_bytes")
            .parse()
            .expect("loading_loaded_bytes");
        loaded > 0
    });
    let used_mem: u64 = info(&mut r, "persistence", "loading_rdb_used_mem")
        .parse()
        .expect("loading_rdb_used_mem");
    assert!(used_mem > 0, "loading_rdb_used_mem {used_mem}");
    let refused = redis::cmd("GET")
        .arg("key:0")
        .query::<Option<String>>(&mut r);
    let refused = refused.expect_err("GET while loading");
    assert!(refused.to_string().contains("loading"), "{refused}");

    redis::cmd("CONFIG")
        .arg(&["SET", "rdb-key-save-delay", "0"])
        .query::<()>(&mut m)
        .expect("CONFIG SET");
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");
    let log = replica.log();
    assert!(log.contains("Finished with success"), "{log}");
    assert!(!log.contains("Connection with master lost"), "{log}");
}

/// A blocking diskless load reads with a timeout of repl-timeout: a master
/// that stops sending in the middle of its snapshot fails the load (the
/// dataset stays empty), and the replica syncs again.
#[test]
fn a_blocking_diskless_load_fails_after_repl_timeout_of_silence() {
    // Two seconds a key against a one-second repl-timeout.
    let master = slow_diskless_master(3, "2000000");
    let mut m = master.client();
    let replica =
        SondeServer::start(&["--repl-diskless-load", "on-empty-db", "--repl-timeout", "1"]);
    let mut r = replica.client();
    redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(master.port)
        .query::<()>(&mut r)
        .expect("REPLICAOF");
    wait_for("the load to time out", || {
        replica.log().contains("while loading its snapshot")
    });
    let log = replica.log();
    assert!(
        log.contains("Failed trying to load the MASTER synchronization DB from socket"),
        "{log}"
    );
    redis::cmd("CONFIG")
        .arg(&["SET", "rdb-key-save-delay", "0"])
        .query::<()>(&mut m)
        .expect("CONFIG SET");
    wait_in_sync(&mut m, &mut r);
    assert_same_data(&master.url(), &replica.url());
}

/// As redis-server outside cluster mode, PUBLISH goes on to the replicas
/// (alone, inside MULTI, from a script), so a subscriber of a replica gets
/// what was published on its master: both ways between sonde and
/// redis-server.
#[test]
fn messages_published_on_a_master_reach_the_subscribers_of_its_replica() {
    let check = |m: &mut redis::Connection, r: &mut redis::Connection, replica_addr: &str| {
        wait_in_sync(m, r);
        let mut sub = Conn::open(replica_addr);
        sub.call(&[b"SUBSCRIBE".to_vec(), b"news".to_vec()]);
        let _: i64 = redis::cmd("PUBLISH")
            .arg("news")
            .arg("alone")
            .query(m)
            .expect("PUBLISH");
        let _: () = redis::pipe()
            .atomic()
            .cmd("PUBLISH")
            .arg("news")
            .arg("in-multi")
            .ignore()
            .cmd("SET")
            .arg("k")
            .arg("v")
            .ignore()
            .query(m)
            .expect("MULTI");
        let _: i64 = redis::cmd("EVAL")
            .arg("return redis.call('publish', 'news', 'from-script')")
            .arg(0)
            .query(m)
            .expect("EVAL");
        for payload in ["alone", "in-multi", "from-script"] {
            let mut expected = Vec::new();
            sonde::resp::encode::command(
                &mut expected,
                &[&b"message"[..], b"news", payload.as_bytes()],
            );
            assert_eq!(
                String::from_utf8_lossy(&sub.read_reply()),
                String::from_utf8_lossy(&expected)
            );
        }
    };

    let master = SondeServer::start(&["--repl-diskless-sync-delay", "0"]);
    let port = master.port.to_string();
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    check(&mut master.client(), &mut replica.client(), &replica.addr());

    let master = RedisServer::start(&["--repl-diskless-sync-delay", "0"]);
    let port = master.port.to_string();
    let replica = SondeServer::start(&["--replicaof", "127.0.0.1", &port]);
    check(&mut master.client(), &mut replica.client(), &replica.addr());
}

/// A key that expired before the client blocked on it could be served is
/// deleted then, and the DEL follows the transaction that made the key
/// ready in the replication stream (Redis's lookup when it serves blocked
/// clients); a redis-server replica ends with no key.
#[test]
fn an_expired_key_found_when_serving_blocked_clients_is_deleted_on_the_replica_too() {
    let master = SondeServer::start(&["--enable-debug-command", "yes"]);
    let port = master.port.to_string();
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    let mut m = master.client();
    let mut r = replica.client();
    wait_in_sync(&mut m, &mut r);
    let _: () = redis::cmd("DEBUG")
        .arg(&["SET-ACTIVE-EXPIRE", "0"])
        .query(&mut m)
        .expect("DEBUG");
    let replid = info(&mut m, "replication", "master_replid");
    let mut stream = Conn::from_stream(stalled_replica(&master, &replid, offset(&mut m) + 1));
    let mut blocked = Conn::open(&master.addr());
    let id = String::from_utf8_lossy(&blocked.call(&[b"CLIENT".to_vec(), b"ID".to_vec()]))
        .trim_matches(|c: char| !c.is_ascii_digit())
        .to_owned();
    blocked.send_command(&[b"BRPOP".to_vec(), b"k".to_vec(), b"0".to_vec()]);
    wait_for("the client to block", || {
        info(&mut m, "clients", "blocked_clients") == "1"
    });
    let _: () = redis::pipe()
        .atomic()
        .cmd("RPUSH")
        .arg(&["k", "hello"])
        .ignore()
        .cmd("PEXPIRE")
        .arg(&["k", "100"])
        .ignore()
        .cmd("DEBUG")
        .arg(&["SLEEP", "0.2"])
        .ignore()
        .query(&mut m)
        .expect("MULTI");
    assert_eq!(
        info(&mut m, "clients", "blocked_clients"),
        "1",
        "still blocked"
    );
    let unblocked: i64 = redis::cmd("CLIENT")
        .arg(&["UNBLOCK", &id])
        .query(&mut m)
        .expect("CLIENT UNBLOCK");
    assert_eq!(unblocked, 1);
    let _: () = redis::cmd("SET")
        .arg(&["marker", "1"])
        .query(&mut m)
        .expect("SET");
    let mut seen = Vec::new();
    loop {
        let command = String::from_utf8_lossy(&stream.read_reply()).to_ascii_lowercase();
        let name = command.split("\r\n").nth(2).unwrap_or("").to_owned();
        if name == "set" {
            break;
        }
        if name != "replconf" && name != "ping" {
            seen.push(name);
        }
    }
    assert_eq!(
        seen,
        ["select", "multi", "rpush", "pexpireat", "exec", "del"]
    );
    wait_in_sync(&mut m, &mut r);
    let keys: i64 = redis::cmd("DBSIZE").query(&mut r).expect("DBSIZE");
    assert_eq!(keys, 1, "the replica has the marker only");
}

/// A redis-server master that sends a diskless, uncompressed snapshot of
/// `keys` 100 kB values slowly (`delay` microseconds a key).
fn slow_diskless_master(keys: usize, delay: &str) -> RedisServer {
    let master = RedisServer::start(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--rdbcompression",
        "no",
    ]);
    let mut m = master.client();
    fill(&mut m, keys, 100_000);
    redis::cmd("CONFIG")
        .arg(&["SET", "rdb-key-save-delay", delay])
        .query::<()>(&mut m)
        .expect("CONFIG SET");
    master
}

/// SET key:0 .. key:<keys - 1> to values of `len` bytes, pipelined.
fn fill(conn: &mut redis::Connection, keys: usize, len: usize) {
    let value = "v".repeat(len);
    let mut pipe = redis::pipe();
    for i in 0..keys {
        pipe.cmd("SET").arg(format!("key:{i}")).arg(&value).ignore();
    }
    pipe.query::<()>(conn).expect("SETs");
}
