//! `sonde serve` managed by real Redis Sentinel: three `redis-sentinel`
//! processes watch a group (a master and two replicas) of sonde nodes, or a
//! mixed group with redis-server. The master is SIGKILLed under a write
//! load; Sentinel must promote a replica, point the other one at it, and
//! turn the old master into a replica when it comes back. Writers confirm
//! every write with `WAIT 1` and count what they were told is safe: none of
//! it may be missing on the new master. Also a manual `SENTINEL FAILOVER`.
//!
//! Sentinel runs with `down-after-milliseconds 2000` (as Redis's own
//! Sentinel tests do: at 1000 a loaded machine delays a PING reply of the
//! freshly promoted master past the limit now and then, and Sentinel fails
//! over a second time) and a short failover-timeout, so a test takes
//! seconds; every wait polls with a generous deadline (no timing is
//! asserted).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::redis_server::{require_redis_7_0, require_tool, wait_for_ping};
use crate::common::{free_port, sonde};

const GROUP: &str = "grp";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Sonde,
    Redis,
}

/// One data node on a fixed port, so it can be killed and started again
/// at the same address (as Sentinel knows it).
struct Node {
    kind: Kind,
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    child: Option<Child>,
}

impl Node {
    fn start(kind: Kind, root: &Path, extra: &[&str]) -> Node {
        for _attempt in 0..5 {
            let port = free_port();
            let dir = root.join(format!("node-{port}"));
            std::fs::create_dir_all(&dir).expect("node dir");
            let mut node = Node {
                kind,
                port,
                dir,
                extra: extra.iter().map(|s| s.to_string()).collect(),
                child: None,
            };
            if node.spawn() {
                return node;
            }
        }
        panic!("a {kind:?} node did not start after 5 attempts");
    }

    /// Start the process (again); true once it answers PING.
    fn spawn(&mut self) -> bool {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("node.log"))
            .expect("log file");
        let mut cmd = match self.kind {
            Kind::Sonde => {
                let mut c = sonde();
                c.arg("serve");
                c
            }
            Kind::Redis => {
                let binary = require_tool("redis-server");
                require_redis_7_0(&binary);
                Command::new(binary)
            }
        };
        let mut child = cmd
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(&self.dir)
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn a data node");
        let up = wait_for_ping(self.port, &mut child, Duration::from_secs(10));
        if up {
            self.child = Some(child);
        } else {
            let _ = child.kill();
            let _ = child.wait();
        }
        up
    }

    /// SIGKILL: no shutdown, no goodbye to replicas or Sentinel.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn addr(&self) -> (String, u16) {
        ("127.0.0.1".to_owned(), self.port)
    }

    fn client(&self) -> redis::Connection {
        connect(self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("node.log")).unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One redis-sentinel process with its own (rewritten by it) config file.
struct Sentinel {
    port: u16,
    dir: PathBuf,
    child: Child,
}

impl Sentinel {
    fn start(root: &Path, master: u16, quorum: u32) -> Sentinel {
        let binary = require_tool("redis-sentinel");
        for _attempt in 0..5 {
            let port = free_port();
            let dir = root.join(format!("sentinel-{port}"));
            std::fs::create_dir_all(&dir).expect("sentinel dir");
            let conf = dir.join("sentinel.conf");
            let mut f = std::fs::File::create(&conf).expect("sentinel.conf");
            write!(
                f,
                "port {port}\nbind 127.0.0.1\ndaemonize no\ndir {dir}\nlogfile {log}\n\
                 sentinel monitor {GROUP} 127.0.0.1 {master} {quorum}\n\
                 sentinel down-after-milliseconds {GROUP} 2000\n\
                 sentinel failover-timeout {GROUP} 4000\n\
                 sentinel parallel-syncs {GROUP} 2\n",
                dir = dir.display(),
                log = dir.join("sentinel.log").display(),
            )
            .expect("write sentinel.conf");
            drop(f);
            let mut child = Command::new(&binary)
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-sentinel");
            if wait_for_ping(port, &mut child, Duration::from_secs(10)) {
                return Sentinel { port, dir, child };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-sentinel did not start after 5 attempts");
    }

    fn client(&self) -> redis::Connection {
        connect(self.port)
    }

    /// SENTINEL GET-MASTER-ADDR-BY-NAME.
    fn master(&self) -> Option<(String, u16)> {
        master_by_sentinel(self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sentinel.log")).unwrap_or_default()
    }
}

/// What the sentinel on `port` says the master is.
fn master_by_sentinel(port: u16) -> Option<(String, u16)> {
    let mut c = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .ok()?;
    let addr: Option<(String, String)> = redis::cmd("SENTINEL")
        .arg("GET-MASTER-ADDR-BY-NAME")
        .arg(GROUP)
        .query(&mut c)
        .ok()?;
    addr.and_then(|(h, p)| Some((h, p.parse().ok()?)))
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connect(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(5)))
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"))
}

/// One field of INFO `section`, or "" when absent or unreachable.
fn info(port: u16, section: &str, name: &str) -> String {
    let Ok(mut c) = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
    else {
        return String::new();
    };
    let text: String = redis::cmd("INFO")
        .arg(section)
        .query(&mut c)
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// Poll until `check` holds; fail after 60 s with `what` and the logs.
#[track_caller]
fn wait_for(what: &str, logs: &dyn Fn() -> String, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}\n{}", logs());
}

/// A master, two replicas and three sentinels watching them.
struct Group {
    nodes: Vec<Node>,
    sentinels: Vec<Sentinel>,
    _root: tempfile::TempDir,
}

impl Group {
    /// `kinds[0]` is the master; `extra[i]` are node i's own directives.
    fn start(kinds: [Kind; 3], extra: [&[&str]; 3]) -> Group {
        let root = tempfile::tempdir().expect("temp dir");
        let master = Node::start(kinds[0], root.path(), extra[0]);
        let mut nodes = vec![master];
        for i in 1..3 {
            let mut args = vec!["--replicaof", "127.0.0.1"];
            let port = nodes[0].port.to_string();
            args.push(&port);
            args.extend_from_slice(extra[i]);
            nodes.push(Node::start(kinds[i], root.path(), &args));
        }
        let sentinels = (0..3)
            .map(|_| Sentinel::start(root.path(), nodes[0].port, 2))
            .collect();
        let group = Group {
            nodes,
            sentinels,
            _root: root,
        };
        // Every sentinel knows both replicas and the two other sentinels
        // (so a failover can be authorized), and the replicas are in sync.
        wait_for(
            "the sentinels to discover the group",
            &|| group.logs(),
            || {
                group.sentinels.iter().all(|s| {
                    let mut c = s.client();
                    let master: Vec<String> = redis::cmd("SENTINEL")
                        .arg("MASTER")
                        .arg(GROUP)
                        .query(&mut c)
                        .unwrap_or_default();
                    let field = |name: &str| {
                        master
                            .iter()
                            .position(|f| f == name)
                            .and_then(|i| master.get(i + 1))
                            .cloned()
                            .unwrap_or_default()
                    };
                    field("num-slaves") == "2" && field("num-other-sentinels") == "2"
                })
            },
        );
        let replica_ports: Vec<u16> = group.nodes[1..].iter().map(|n| n.port).collect();
        wait_for("the replicas' links to come up", &|| group.logs(), || {
            replica_ports
                .iter()
                .all(|&p| info(p, "replication", "master_link_status") == "up")
        });
        group
    }

    /// What Sentinel says the master is (the first sentinel that answers).
    fn master(&self) -> Option<(String, u16)> {
        self.sentinels.iter().find_map(Sentinel::master)
    }

    fn node(&self, port: u16) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.port == port)
            .unwrap_or_else(|| panic!("no node on port {port}"))
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for s in &self.sentinels {
            out += &format!("--- sentinel {}:\n{}", s.port, s.log());
        }
        for n in &self.nodes {
            out += &format!("--- {:?} node {}:\n{}", n.kind, n.port, n.log());
        }
        out
    }

    /// Wait until Sentinel names a master other than `old`, that master
    /// says it is one, and the others are its replicas with a link up.
    fn wait_switched(&self, old: u16) -> u16 {
        let mut new = 0;
        wait_for("Sentinel to promote a replica", &|| self.logs(), || {
            new = self.master().map_or(0, |(_, p)| p);
            new != 0 && new != old && info(new, "replication", "role") == "master"
        });
        new
    }

    /// Wait until `port` replicates `master` with its link up.
    fn wait_follows(&self, port: u16, master: u16) {
        wait_for(
            &format!("node {port} to replicate {master}"),
            &|| self.logs(),
            || {
                info(port, "replication", "role") == "slave"
                    && info(port, "replication", "master_port") == master.to_string()
                    && info(port, "replication", "master_link_status") == "up"
            },
        );
    }
}

/// Writers: each sets its own keys on whatever Sentinel says the master is
/// and confirms each write with `WAIT 1 1000`; a write counts as
/// acknowledged when WAIT says one replica has it.
struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<Vec<String>>>,
}

impl Load {
    fn start(sentinel_ports: Vec<u16>, writers: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..writers)
            .map(|w| {
                let stop = stop.clone();
                let ports = sentinel_ports.clone();
                std::thread::spawn(move || write_loop(w, &ports, &stop))
            })
            .collect();
        Load { stop, threads }
    }

    /// Stop and return every acknowledged key (its value is its name).
    fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        self.threads
            .into_iter()
            .flat_map(|t| t.join().expect("writer thread"))
            .collect()
    }
}

fn write_loop(writer: usize, sentinels: &[u16], stop: &AtomicBool) -> Vec<String> {
    let mut acked = Vec::new();
    let mut conn: Option<redis::Connection> = None;
    let mut i = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => {
                let master = sentinels.iter().find_map(|&p| master_by_sentinel(p));
                let Some((host, port)) = master else {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                };
                let Ok(c) = redis::Client::open(format!("redis://{host}:{port}/")).and_then(|c| {
                    let conn = c.get_connection_with_timeout(Duration::from_secs(1))?;
                    conn.set_read_timeout(Some(Duration::from_secs(3)))?;
                    Ok(conn)
                }) else {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                };
                conn.insert(c)
            }
        };
        let key = format!("w{writer}:{i}");
        let set: redis::RedisResult<()> = redis::cmd("SET").arg(&key).arg(&key).query(c);
        let waited: redis::RedisResult<i64> =
            set.and_then(|()| redis::cmd("WAIT").arg(1).arg(1000).query(c));
        match waited {
            Ok(n) if n >= 1 => {
                acked.push(key);
                i += 1;
            }
            Ok(_) => i += 1,
            Err(_) => {
                // A dead master, a READONLY demoted one: ask Sentinel again.
                conn = None;
                i += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    acked
}

/// Every acknowledged key is on `port` with its value.
#[track_caller]
fn assert_has(port: u16, acked: &[String], logs: &dyn Fn() -> String) {
    let mut c = connect(port);
    let mut missing = Vec::new();
    for chunk in acked.chunks(500) {
        let values: Vec<Option<String>> =
            redis::cmd("MGET").arg(chunk).query(&mut c).expect("MGET");
        for (k, v) in chunk.iter().zip(values) {
            if v.as_deref() != Some(k.as_str()) {
                missing.push(k.clone());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes are missing on 127.0.0.1:{port}: {:?}\n{}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(20)],
        logs()
    );
}

/// The whole story on one group: SIGKILL the master under load, promotion,
/// the other replica follows, no acknowledged write lost, the old master
/// rejoins as a replica and gets the data.
fn kill_master_under_load(kinds: [Kind; 3], extra: [&[&str]; 3], expect_promoted: Option<usize>) {
    let mut group = Group::start(kinds, extra);
    let old = group.nodes[0].port;
    assert_eq!(group.master(), Some(group.nodes[0].addr()));
    let load = Load::start(group.sentinels.iter().map(|s| s.port).collect(), 3);
    // Some writes acknowledged before the kill.
    let watch = group.nodes[1].port;
    wait_for("writes to flow", &|| group.logs(), || {
        info(watch, "keyspace", "db0")
            .strip_prefix("keys=")
            .and_then(|v| v.split(',').next())
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n >= 300)
    });
    group.nodes[0].kill();
    let new = group.wait_switched(old);
    if let Some(i) = expect_promoted {
        assert_eq!(
            new,
            group.nodes[i].port,
            "Sentinel promoted the wrong node\n{}",
            group.logs()
        );
    }
    let other = group.nodes[1..]
        .iter()
        .map(|n| n.port)
        .find(|&p| p != new)
        .expect("the other replica");
    group.wait_follows(other, new);
    // Writes land on the new master.
    let before: u64 = info(new, "replication", "master_repl_offset")
        .parse()
        .unwrap_or(0);
    wait_for("writes on the new master", &|| group.logs(), || {
        info(new, "replication", "master_repl_offset")
            .parse::<u64>()
            .is_ok_and(|o| o > before + 10_000)
    });
    let acked = load.finish();
    assert!(
        acked.len() >= 300,
        "only {} writes were acknowledged",
        acked.len()
    );
    assert_has(new, &acked, &|| group.logs());
    // The old master comes back (empty, as a master): Sentinel turns it
    // into a replica of the new one, and it gets the data.
    assert!(group.nodes[0].spawn(), "the old master did not restart");
    group.wait_follows(old, new);
    group.wait_follows(other, new);
    let offset = |p: u16| info(p, "replication", "master_repl_offset");
    wait_for(
        "the group to converge on one offset",
        &|| group.logs(),
        || {
            let o = offset(new);
            offset(old) == o && offset(other) == o
        },
    );
    assert_has(old, &acked, &|| group.logs());
    assert_has(other, &acked, &|| group.logs());
    assert_eq!(group.master(), Some(group.node(new).addr()));
    assert!(
        group
            .sentinels
            .iter()
            .all(|s| s.master() == Some(group.node(new).addr()))
    );
}

#[test]
fn sonde_group_fails_over_when_the_master_is_killed_under_load() {
    let s = Kind::Sonde;
    kill_master_under_load([s, s, s], [&[], &[], &[]], None);
}

#[test]
fn mixed_group_promotes_the_sonde_replica_a_redis_replica_follows_it() {
    // A redis-server master and replica, and a sonde replica Sentinel
    // prefers (lower replica-priority).
    kill_master_under_load(
        [Kind::Redis, Kind::Sonde, Kind::Redis],
        [&[], &["--replica-priority", "10"], &[]],
        Some(1),
    );
}

#[test]
fn mixed_group_promotes_a_redis_replica_a_sonde_replica_follows_it() {
    kill_master_under_load(
        [Kind::Sonde, Kind::Redis, Kind::Sonde],
        [&[], &["--replica-priority", "10"], &[]],
        Some(1),
    );
}

#[test]
fn manual_sentinel_failover_swaps_master_and_replica() {
    let group = Group::start([Kind::Sonde; 3], [&[], &["--replica-priority", "50"], &[]]);
    let old = group.nodes[0].port;
    let mut c = group.nodes[0].client();
    for i in 0..1000 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut c)
            .expect("SET");
    }
    let acked: i64 = redis::cmd("WAIT")
        .arg(2)
        .arg(10_000)
        .query(&mut c)
        .expect("WAIT");
    assert_eq!(acked, 2);
    let reply: String = redis::cmd("SENTINEL")
        .arg("FAILOVER")
        .arg(GROUP)
        .query(&mut group.sentinels[0].client())
        .expect("SENTINEL FAILOVER");
    assert_eq!(reply, "OK");
    let new = group.wait_switched(old);
    assert_eq!(new, group.nodes[1].port, "the lower replica-priority wins");
    // The old master is alive: it becomes a replica of the new one.
    group.wait_follows(old, new);
    group.wait_follows(group.nodes[2].port, new);
    let keys: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
    let mut n = group.nodes[1].client();
    let values: Vec<Option<i64>> = redis::cmd("MGET").arg(&keys).query(&mut n).expect("MGET");
    assert!(values.iter().enumerate().all(|(i, v)| *v == Some(i as i64)));
    // Sentinel closed its clients (CLIENT KILL TYPE normal); a new one is
    // refused writes now.
    let mut c = group.nodes[0].client();
    let refused: redis::RedisResult<()> = redis::cmd("SET").arg("x").arg(1).query(&mut c);
    let err = refused.expect_err("a write on the demoted master");
    assert_eq!(
        err.kind(),
        redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly),
        "{err}"
    );
}

/// Three sonde nodes replicating without Sentinel.
fn plain_group() -> (tempfile::TempDir, Vec<Node>) {
    let root = tempfile::tempdir().expect("temp dir");
    let master = Node::start(Kind::Sonde, root.path(), &[]);
    let port = master.port.to_string();
    let mut nodes = vec![master];
    for _ in 0..2 {
        nodes.push(Node::start(
            Kind::Sonde,
            root.path(),
            &["--replicaof", "127.0.0.1", &port],
        ));
    }
    for n in &nodes[1..] {
        wait_for("the replica's link", &|| n.log(), || {
            info(n.port, "replication", "master_link_status") == "up"
        });
    }
    (root, nodes)
}

#[test]
fn failover_command_hands_over_to_a_replica_without_losing_a_write() {
    let (_root, nodes) = plain_group();
    let logs = || {
        nodes
            .iter()
            .map(Node::log)
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    let (m, r1, r2) = (nodes[0].port, nodes[1].port, nodes[2].port);
    let mut c = nodes[0].client();
    // The argument checks, with Redis's texts.
    let err = |c: &mut redis::Connection, args: &[&str]| {
        redis::cmd("FAILOVER")
            .arg(args)
            .query::<()>(c)
            .expect_err("FAILOVER should fail")
            .to_string()
    };
    assert!(err(&mut c, &["FORCE", "TIMEOUT", "100"]).contains("requires both a timeout"));
    assert!(err(&mut c, &["TO", "127.0.0.1", "1"]).contains("is not a replica"));
    assert!(err(&mut c, &["TIMEOUT", "0"]).contains("must be greater than 0"));
    assert!(err(&mut c, &["ABORT"]).contains("No failover in progress"));
    assert!(err(&mut nodes[1].client(), &[]).contains("not valid when server is a replica"));
    for i in 0..500 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut c)
            .expect("SET");
    }
    // A writer keeps writing through the hand-over: each write either
    // lands before it (and is on the new master) or fails with READONLY.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut w = connect(m);
            let mut ok = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let key = format!("w{i}");
                match redis::cmd("SET").arg(&key).arg(&key).query::<()>(&mut w) {
                    Ok(()) => ok.push(key),
                    Err(e) => {
                        assert_eq!(
                            e.kind(),
                            redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly),
                            "{e}"
                        );
                        break;
                    }
                }
                i += 1;
            }
            ok
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let reply: String = redis::cmd("FAILOVER")
        .arg("TO")
        .arg("127.0.0.1")
        .arg(r1)
        .arg("TIMEOUT")
        .arg(30_000)
        .query(&mut c)
        .expect("FAILOVER");
    assert_eq!(reply, "OK");
    wait_for("the failover to end", &logs, || {
        info(m, "replication", "master_failover_state") == "no-failover"
            && info(m, "replication", "role") == "slave"
    });
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().expect("writer");
    assert_eq!(info(r1, "replication", "role"), "master");
    assert_eq!(info(m, "replication", "master_port"), r1.to_string());
    // The new master continued the old history: a partial resync.
    assert_eq!(info(r1, "stats", "sync_partial_ok"), "1", "{}", logs());
    assert_eq!(info(r1, "stats", "sync_full"), "0");
    assert_has(r1, &written, &logs);
    let keys: Vec<String> = (0..500).map(|i| format!("k{i}")).collect();
    assert_has_values(r1, &keys);
    // The third node follows by REPLICAOF and continues too.
    let _: () = redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(r1)
        .query(&mut nodes[2].client())
        .expect("REPLICAOF");
    wait_for("the third node to follow", &logs, || {
        info(r2, "replication", "master_port") == r1.to_string()
            && info(r2, "replication", "master_link_status") == "up"
    });
    assert_eq!(info(r1, "stats", "sync_full"), "0", "{}", logs());
}

#[test]
fn failover_times_out_or_is_aborted_and_writes_resume_on_the_master() {
    let (_root, nodes) = plain_group();
    let logs = || {
        nodes
            .iter()
            .map(Node::log)
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    let (m, r1) = (nodes[0].port, nodes[1].port);
    let mut c = nodes[0].client();
    // A stopped replica never catches up: the failover times out.
    let pid = nodes[1].child.as_ref().expect("replica").id() as i32;
    // SAFETY: signalling a child process this test started.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let _: () = redis::cmd("SET")
        .arg("case")
        .arg(1)
        .query(&mut c)
        .expect("SET");
    let _: () = redis::cmd("FAILOVER")
        .arg("TO")
        .arg("127.0.0.1")
        .arg(r1)
        .arg("TIMEOUT")
        .arg(500)
        .query(&mut c)
        .expect("FAILOVER");
    wait_for("the failover to time out", &logs, || {
        info(m, "replication", "master_failover_state") == "no-failover"
    });
    assert_eq!(info(m, "replication", "role"), "master");
    // FAILOVER ABORT: a write sent during the pause waits, then runs here.
    let _: () = redis::cmd("FAILOVER")
        .arg("TO")
        .arg("127.0.0.1")
        .arg(r1)
        .arg("TIMEOUT")
        .arg(60_000)
        .query(&mut c)
        .expect("FAILOVER");
    assert_eq!(
        info(m, "replication", "master_failover_state"),
        "waiting-for-sync"
    );
    let held = std::thread::spawn(move || {
        let mut w = connect(m);
        redis::cmd("SET").arg("held").arg("yes").query::<()>(&mut w)
    });
    // Reads are served meanwhile.
    let v: Option<i64> = redis::cmd("GET").arg("case").query(&mut c).expect("GET");
    assert_eq!(v, Some(1));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !held.is_finished(),
        "a write ran during the failover's pause"
    );
    let _: () = redis::cmd("FAILOVER")
        .arg("ABORT")
        .query(&mut c)
        .expect("ABORT");
    held.join()
        .expect("writer")
        .expect("the held write runs after ABORT");
    assert_eq!(
        info(m, "replication", "master_failover_state"),
        "no-failover"
    );
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    let v: Option<String> = redis::cmd("GET").arg("held").query(&mut c).expect("GET");
    assert_eq!(v.as_deref(), Some("yes"));
    assert_eq!(info(m, "replication", "role"), "master");
}

/// Keys `k{i}` hold `i`.
#[track_caller]
fn assert_has_values(port: u16, keys: &[String]) {
    let values: Vec<Option<i64>> = redis::cmd("MGET")
        .arg(keys)
        .query(&mut connect(port))
        .expect("MGET");
    for (i, v) in values.iter().enumerate() {
        assert_eq!(*v, Some(i as i64), "key {} on {port}", keys[i]);
    }
}

/// SHUTDOWN (which saves the snapshot when `save` is set) and wait for the
/// process to end.
fn shutdown(node: &mut Node) {
    let mut c = node.client();
    let _ = redis::cmd("SHUTDOWN").query::<()>(&mut c);
    if let Some(mut child) = node.child.take() {
        let _ = child.wait();
    }
}

fn stat(port: u16, name: &str) -> u64 {
    info(port, "stats", name).parse().unwrap_or(0)
}

/// A restarted node continues from the replication fields of the snapshot
/// it saved at shutdown: a master keeps its old ID as the second one, so
/// its replicas (sonde and redis-server) continue with +CONTINUE and get
/// the deletions of the keys that expired while it was down; a replica
/// asks its master to continue where its snapshot left off. No full
/// resync after the first.
#[test]
fn restarted_nodes_continue_from_their_snapshot_with_a_partial_resync() {
    let root = tempfile::tempdir().expect("temp dir");
    let save: &[&str] = &["--save", "3600 1", "--repl-diskless-sync-delay", "0"];
    let mut master = Node::start(Kind::Sonde, root.path(), save);
    let mport = master.port.to_string();
    let replica_args: Vec<&str> = ["--replicaof", "127.0.0.1", &mport]
        .into_iter()
        .chain(save.iter().copied())
        .collect();
    let mut sonde_replica = Node::start(Kind::Sonde, root.path(), &replica_args);
    let redis_replica = Node::start(Kind::Redis, root.path(), &replica_args);
    let logs = || format!("{}\n{}", master.log(), sonde_replica.log());
    let in_sync = |ports: &[u16], master: u16| {
        let offset = info(master, "replication", "master_repl_offset");
        !offset.is_empty()
            && ports.iter().all(|&p| {
                info(p, "replication", "master_link_status") == "up"
                    && info(p, "replication", "master_repl_offset") == offset
            })
    };
    let replicas = [sonde_replica.port, redis_replica.port];
    let mut m = master.client();
    for i in 0..200 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut m)
            .expect("SET");
    }
    let _: () = redis::pipe()
        .cmd("SELECT")
        .arg(3)
        .cmd("SET")
        .arg("in-db-3")
        .arg("v")
        .cmd("SET")
        .arg("short-lived")
        .arg("v")
        .arg("PX")
        .arg(1500)
        .query(&mut m)
        .expect("writes in db 3");
    wait_for("the replicas to sync", &logs, || {
        in_sync(&replicas, master.port)
    });
    assert_eq!(stat(master.port, "sync_full"), 2);

    // The master restarts: it saved at offset N, starts a new history
    // whose second ID is the old one, valid up to N + 1.
    let old_replid = info(master.port, "replication", "master_replid");
    shutdown(&mut master);
    // SHUTDOWN waits for the replicas to acknowledge the whole stream (it
    // asks them with a GETACK): where the sonde replica stands is where
    // the master saved.
    let saved_offset: u64 = info(sonde_replica.port, "replication", "master_repl_offset")
        .parse()
        .expect("offset");
    // Down long enough for the short-lived key to expire.
    std::thread::sleep(Duration::from_millis(1700));
    assert!(master.spawn(), "the master restarts");
    let logs = || format!("{}\n{}", master.log(), sonde_replica.log());
    assert_eq!(
        info(master.port, "replication", "master_replid2"),
        old_replid
    );
    assert_eq!(
        info(master.port, "replication", "second_repl_offset"),
        (saved_offset + 1).to_string()
    );
    wait_for("both replicas to continue partially", &logs, || {
        stat(master.port, "sync_partial_ok") == 2 && in_sync(&replicas, master.port)
    });
    assert_eq!(stat(master.port, "sync_full"), 0, "no full resync");
    assert_eq!(
        info(master.port, "persistence", "rdb_last_load_keys_expired"),
        "1"
    );
    for port in replicas {
        let mut c = connect(port);
        let size: u64 = redis::cmd("SELECT")
            .arg(3)
            .query::<()>(&mut c)
            .and_then(|()| redis::cmd("DBSIZE").query(&mut c))
            .expect("DBSIZE");
        assert_eq!(size, 1, "the expired key's DEL reached replica {port}");
    }

    // The sonde replica restarts from its own snapshot and continues too;
    // what was written meanwhile reaches it in the right database.
    shutdown(&mut sonde_replica);
    let mut m = master.client();
    let _: () = redis::pipe()
        .cmd("SELECT")
        .arg(3)
        .cmd("SET")
        .arg("while-away")
        .arg("v")
        .query(&mut m)
        .expect("write while the replica is down");
    assert!(sonde_replica.spawn(), "the replica restarts");
    let logs = || format!("{}\n{}", master.log(), sonde_replica.log());
    wait_for("the restarted replica to continue partially", &logs, || {
        stat(master.port, "sync_partial_ok") == 3 && in_sync(&replicas, master.port)
    });
    assert_eq!(stat(master.port, "sync_full"), 0, "no full resync");
    let mut r = sonde_replica.client();
    let value: Option<String> = redis::cmd("SELECT")
        .arg(3)
        .query::<()>(&mut r)
        .and_then(|()| redis::cmd("GET").arg("while-away").query(&mut r))
        .expect("GET");
    assert_eq!(value.as_deref(), Some("v"));
    let _: () = redis::cmd("SET")
        .arg("after")
        .arg("1")
        .query(&mut m)
        .expect("SET");
    wait_for("a write in db 3 after the restart", &logs, || {
        in_sync(&replicas, master.port)
    });
    let value: Option<String> = redis::cmd("GET").arg("after").query(&mut r).expect("GET");
    assert_eq!(
        value.as_deref(),
        Some("1"),
        "the stream's SELECT was restored"
    );
}

/// A writable replica expires the keys its own clients gave an expiry
/// (its master never sends their DEL), and only those.
#[test]
fn a_writable_replica_expires_its_own_keys() {
    let root = tempfile::tempdir().expect("temp dir");
    let master = Node::start(
        Kind::Sonde,
        root.path(),
        &[
            "--repl-diskless-sync-delay",
            "0",
            "--enable-debug-command",
            "yes",
        ],
    );
    let mport = master.port.to_string();
    let replica = Node::start(
        Kind::Sonde,
        root.path(),
        &[
            "--replicaof",
            "127.0.0.1",
            &mport,
            "--replica-read-only",
            "no",
        ],
    );
    let logs = || replica.log();
    wait_for("the replica to sync", &logs, || {
        info(replica.port, "replication", "master_link_status") == "up"
    });
    let mut r = replica.client();
    let _: () = redis::pipe()
        .cmd("SET")
        .arg("local-ttl")
        .arg("v")
        .arg("PX")
        .arg(200)
        .cmd("SET")
        .arg("local")
        .arg("v")
        .query(&mut r)
        .expect("writes on the replica");
    wait_for("the replica to expire its own key", &logs, || {
        redis::cmd("DBSIZE").query::<u64>(&mut r).unwrap_or(0) == 1
    });
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut r).expect("KEYS");
    assert_eq!(keys, ["local"]);

    // A key of the master's, expired but not yet deleted by it: a write on
    // the replica starts from nothing (without the old expiry).
    let mut m = master.client();
    let _: () = redis::pipe()
        .cmd("DEBUG")
        .arg("SET-ACTIVE-EXPIRE")
        .arg(0)
        .cmd("SET")
        .arg("from-master")
        .arg(5)
        .arg("PX")
        .arg(10)
        .query(&mut m)
        .expect("writes on the master");
    wait_for("the key to reach the replica", &logs, || {
        redis::cmd("DBSIZE").query::<u64>(&mut r).unwrap_or(0) == 2
    });
    std::thread::sleep(Duration::from_millis(50));
    let n: i64 = redis::cmd("INCR")
        .arg("from-master")
        .query(&mut r)
        .expect("INCR");
    assert_eq!(n, 1);
    let ttl: i64 = redis::cmd("TTL")
        .arg("from-master")
        .query(&mut r)
        .expect("TTL");
    assert_eq!(ttl, -1);
}

/// What Sentinel sends to turn a node into a replica, as it sends it: one
/// transaction of SLAVEOF, CONFIG REWRITE and CLIENT KILL TYPE normal and
/// pubsub. The node follows the new master, the rewritten config file
/// names it, the other clients are closed (not the sender), and the
/// master lists the replica under its announced address and priority as
/// Sentinel reads them from INFO.
#[test]
fn the_transaction_sentinel_sends_reconfigures_a_node() {
    let root = tempfile::tempdir().expect("temp dir");
    let master = Node::start(
        Kind::Sonde,
        root.path(),
        &["--repl-diskless-sync-delay", "0"],
    );
    let conf = root.path().join("node.conf");
    std::fs::write(&conf, "replica-priority 42\nreplica-announce-port 16999\n").expect("config");
    let port = free_port();
    let dir = root.path().join("node");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut child = sonde()
        .arg("serve")
        .arg(&conf)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(&dir)
        .args(["--replica-announce-ip", "127.0.0.1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sonde");
    assert!(wait_for_ping(port, &mut child, Duration::from_secs(10)));
    let _guard = KillOnDrop(child);
    let mut bystander = connect(port);
    let mut sub = connect(port);
    let _: () = redis::cmd("SUBSCRIBE")
        .arg("x")
        .query(&mut sub)
        .expect("SUBSCRIBE");
    let mut c = connect(port);
    let replies: Vec<redis::Value> = redis::pipe()
        .atomic()
        .cmd("SLAVEOF")
        .arg("127.0.0.1")
        .arg(master.port)
        .cmd("CONFIG")
        .arg("REWRITE")
        .cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query(&mut c)
        .expect("the MULTI block");
    assert_eq!(
        replies,
        [
            redis::Value::Okay,
            redis::Value::Okay,
            redis::Value::Int(1),
            redis::Value::Int(1)
        ]
    );
    let rewritten = std::fs::read_to_string(&conf).expect("config");
    assert!(
        rewritten
            .lines()
            .any(|l| l == format!("replicaof 127.0.0.1 {}", master.port)),
        "the rewritten config names the master:\n{rewritten}"
    );
    assert!(
        redis::cmd("PING").query::<String>(&mut bystander).is_err(),
        "the other normal client is closed"
    );
    let _: String = redis::cmd("PING").query(&mut c).expect("the sender stays");
    let logs = || master.log();
    wait_for("the master to list the replica", &logs, || {
        info(master.port, "replication", "slave0").contains("state=online")
    });
    let slave0 = info(master.port, "replication", "slave0");
    assert!(
        slave0.starts_with("ip=127.0.0.1,port=16999,"),
        "announced address: {slave0}"
    );
    assert_eq!(info(port, "replication", "slave_priority"), "42");
    assert_eq!(info(port, "replication", "replica_announced"), "1");
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
