//! `sonde serve` persistence: RDB snapshots (SAVE, BGSAVE in a child, save
//! points, loading at startup, damage stopping startup), the append-only
//! file (every fsync policy, truncated and damaged files, BGREWRITEAOF
//! with the multi-part manifest, turning it on at runtime, automatic
//! rewrites), interoperability with redis-server in both directions, and
//! crash tests: `kill -9` under a load of acknowledged writes, then a
//! restart that must find every acknowledged write (`always`) or lose at
//! most the last seconds (`everysec`), from files that always load.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::dataset::{self, Dataset};
use crate::common::keyspace::populate_mixed;
use crate::common::redis_server::{require_tool, wait_for_ping};
use crate::common::{RedisServer, free_port, json, run, sonde, text};

/// A `sonde serve` on a directory the test keeps, so it can be killed and
/// started again on the same files. Its log accumulates in `sonde.log`.
struct Node {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
}

impl Node {
    fn start(dir: &Path, extra: &[&str]) -> Node {
        let mut node = Node {
            child: None,
            port: 0,
            dir: dir.to_owned(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        node.restart();
        node
    }

    fn command(&self, port: u16) -> std::process::Command {
        let mut cmd = sonde();
        cmd.arg("serve")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(&self.dir)
            .args(&self.extra);
        cmd
    }

    /// Start (again) on a free port; panics with the log if it fails.
    fn restart(&mut self) {
        self.kill9();
        for _attempt in 0..5 {
            let port = free_port();
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join("sonde.log"))
                .expect("log file");
            let mut child = self
                .command(port)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn sonde serve");
            if wait_for_ping(port, &mut child, Duration::from_secs(60)) {
                self.child = Some(child);
                self.port = port;
                return;
            }
            let _ = child.kill();
            let status = child.wait().ok();
            if status.is_some_and(|s| s.code() == Some(1)) {
                break;
            }
        }
        panic!("sonde serve did not start; its log:\n{}", self.log())
    }

    fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// kill -9 once the AOF writer thread has written everything handed
    /// to it (a process crash then loses nothing the kernel has).
    fn kill9_once_the_aof_is_written(&mut self) {
        wait_until(5, "the AOF writer", || {
            self.info("aof_buffer_length") == "0"
        });
        self.kill9();
    }

    /// SIGTERM, then wait for the exit.
    fn terminate(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        child.wait().ok()?.code()
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("connect to sonde")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sonde.log")).unwrap_or_default()
    }

    fn info(&self, field: &str) -> String {
        info_field(&mut self.client(), field)
    }

    fn dataset(&self, dbs: std::ops::Range<u32>) -> Dataset {
        dataset::read(&self.url(), dbs)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn info_field(conn: &mut redis::Connection, field: &str) -> String {
    let info: String = redis::cmd("INFO")
        .arg("persistence")
        .query(conn)
        .expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in INFO persistence:\n{info}"))
        .trim()
        .to_owned()
}

/// Wait up to `secs` for `done`, or fail naming `what`.
#[track_caller]
fn wait_until(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn q<T: redis::FromRedisValue>(conn: &mut redis::Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(conn).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Strings in several databases: ints, short and long (compressible and
/// not), binary keys and values, expiries, and keys already expired.
fn fill_strings(conn: &mut redis::Connection, n: usize) {
    let far = unix_ms() + 86_400_000;
    for db in [0u32, 1, 5] {
        let _: () = q(conn, &["SELECT", &db.to_string()]);
        let mut pipe = redis::pipe();
        for i in 0..n {
            let value = match i % 5 {
                0 => i.to_string(),
                1 => format!("value-{i}"),
                2 => "long compressible text ".repeat(10 + i % 7),
                3 => (0..200)
                    .map(|j| ((i * 31 + j * 7) % 251) as u8 as char)
                    .collect(),
                _ => format!("-{}", i * 1_000_003),
            };
            pipe.cmd("SET")
                .arg(format!("k:{db}:{i}"))
                .arg(value)
                .ignore();
            if i % 4 == 0 {
                pipe.cmd("PEXPIREAT")
                    .arg(format!("k:{db}:{i}"))
                    .arg(far + i as i64)
                    .ignore();
            }
        }
        pipe.cmd("SET")
            .arg(&b"bin\x00\xff\r\n"[..])
            .arg(&b"\x00\x01\x02\xff"[..])
            .ignore();
        pipe.query::<()>(conn).expect("fill");
    }
    let _: () = q(conn, &["SELECT", "0"]);
}

// ---------------------------------------------------------------------------
// Snapshots

/// Keys in a snapshot file, as `sonde rdb inspect` counts them.
fn snapshot_keys(path: &Path) -> u64 {
    let out = run(
        &["--format", "json", "rdb", "inspect", path.to_str().unwrap()],
        b"",
    );
    json(&out.stdout)["keys"]
        .as_u64()
        .unwrap_or_else(|| panic!("no key count:\n{}", text(&out.stdout)))
}

#[test]
fn save_lastsave_and_restart_keep_every_key_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(dir.path(), &[]);
    let mut c = node.client();
    fill_strings(&mut c, 300);
    let before = node.dataset(0..16);
    assert_eq!(
        node.info("rdb_changes_since_last_save"),
        (3 * (300 + 75 + 1)).to_string()
    );
    let first: i64 = q(&mut c, &["LASTSAVE"]);
    std::thread::sleep(Duration::from_millis(1100));
    let _: () = q(&mut c, &["SAVE"]);
    let after: i64 = q(&mut c, &["LASTSAVE"]);
    assert!(after > first, "LASTSAVE moves: {first} -> {after}");
    assert_eq!(node.info("rdb_changes_since_last_save"), "0");
    assert_eq!(node.info("rdb_saves"), "1");
    assert!(dir.path().join("dump.rdb").is_file());
    node.restart();
    assert_eq!(
        dataset::assert_same(&before, &node.dataset(0..16)),
        before.len()
    );
    assert_eq!(
        node.info("rdb_last_load_keys_loaded"),
        before.len().to_string()
    );
    // DEBUG RELOAD goes through the same file.
    let mut debug = Node::start(dir.path(), &["--enable-debug-command", "yes"]);
    let _: () = q(&mut debug.client(), &["DEBUG", "RELOAD"]);
    dataset::assert_same(&before, &debug.dataset(0..16));
    debug.kill9();
}

#[test]
fn bgsave_writes_in_a_child_while_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    // 200 µs per key: the child needs about a second for 5,000 keys.
    let node = Node::start(dir.path(), &["--rdb-key-save-delay", "200"]);
    let mut c = node.client();
    let mut pipe = redis::pipe();
    for i in 0..5000 {
        pipe.cmd("SET").arg(format!("key:{i}")).arg(i).ignore();
    }
    pipe.query::<()>(&mut c).unwrap();
    let reply: String = q(&mut c, &["BGSAVE"]);
    assert_eq!(reply, "Background saving started");
    assert_eq!(node.info("rdb_bgsave_in_progress"), "1");
    let err = redis::cmd("BGSAVE").query::<String>(&mut c).unwrap_err();
    assert!(
        err.to_string()
            .contains("Background save already in progress"),
        "{err}"
    );
    let reply: String = q(&mut c, &["BGREWRITEAOF"]);
    assert_eq!(reply, "Background append only file rewriting scheduled");
    let err = redis::cmd("SAVE").query::<String>(&mut c).unwrap_err();
    assert!(
        err.to_string()
            .contains("Background save already in progress"),
        "{err}"
    );
    // The parent serves writes while the child works; they are not in this
    // snapshot and stay counted as changes.
    for i in 0..100 {
        let _: () = q(&mut c, &["SET", &format!("late:{i}"), "x"]);
    }
    wait_until(30, "the BGSAVE to finish", || {
        node.info("rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(node.info("rdb_last_bgsave_status"), "ok");
    assert_eq!(node.info("rdb_changes_since_last_save"), "100");
    // The fork is counted and timed (the rewrite may have forked too).
    let stats: String = redis::cmd("INFO").arg("stats").query(&mut c).unwrap();
    let stat = |name: &str| -> u64 {
        stats
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in INFO stats:\n{stats}"))
    };
    assert!((1..=2).contains(&stat("total_forks")), "{stats}");
    assert!(stat("latest_fork_usec") > 0, "{stats}");
    // The snapshot holds exactly the keys of the fork's moment.
    assert_eq!(snapshot_keys(&dir.path().join("dump.rdb")), 5000);
    // The scheduled rewrite ran after the snapshot (the AOF is off: it
    // writes a base that nothing appends to).
    wait_until(30, "the scheduled rewrite", || {
        node.info("aof_rewrites") == "1"
    });
}

/// Pids of the live processes whose parent is `parent` (from /proc).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // "pid (comm) state ppid ...": comm may hold spaces.
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}

#[test]
fn a_bgsave_child_dies_with_its_server_and_never_replaces_a_newer_dump() {
    let dir = tempfile::tempdir().unwrap();
    // 1 ms per key: the child would need 3 s for 3,000 keys.
    let mut node = Node::start(dir.path(), &["--rdb-key-save-delay", "1000"]);
    let mut c = node.client();
    let mut pipe = redis::pipe();
    for i in 0..3000 {
        pipe.cmd("SET").arg(format!("old:{i}")).arg(i).ignore();
    }
    pipe.query::<()>(&mut c).unwrap();
    let server_pid = node.child.as_ref().expect("running").id();
    let _: String = q(&mut c, &["BGSAVE"]);
    let children = children_of(server_pid);
    assert_eq!(children.len(), 1, "one BGSAVE child: {children:?}");
    let orphan = children[0];
    // The server dies hard mid-snapshot and is restarted at once; it
    // saves newer data, which nothing may overwrite later.
    node.kill9();
    node.extra.clear();
    node.restart();
    let mut c = node.client();
    let _: () = q(&mut c, &["SET", "new", "data"]);
    let _: () = q(&mut c, &["SAVE"]);
    let dump = dir.path().join("dump.rdb");
    assert_eq!(snapshot_keys(&dump), 1);
    // Longer than the orphan would have needed to finish its 3,000 keys.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(snapshot_keys(&dump), 1, "the newer dump.rdb survived");
    let stat = std::fs::read_to_string(format!("/proc/{orphan}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z "),
        "the orphaned child is gone: {stat}"
    );
    node.restart();
    let value: Option<String> = q(&mut node.client(), &["GET", "new"]);
    assert_eq!(value.as_deref(), Some("data"));
    let dbsize: i64 = q(&mut node.client(), &["DBSIZE"]);
    assert_eq!(dbsize, 1);
}

#[test]
fn save_points_start_bgsave_and_flushall_saves_an_empty_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(dir.path(), &["--save", "1 3"]);
    let mut c = node.client();
    for i in 0..3 {
        let _: () = q(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    wait_until(10, "a save point to start BGSAVE", || {
        node.info("rdb_saves") == "1" && node.info("rdb_changes_since_last_save") == "0"
    });
    assert!(
        node.log().contains("3 changes in 1 seconds. Saving..."),
        "{}",
        node.log()
    );
    let _: () = q(&mut c, &["FLUSHALL"]);
    // FLUSHALL with save points saves at once: the file is empty now, and
    // nothing is left to save (redis-server 7.0 counts 0 too).
    assert_eq!(snapshot_keys(&dir.path().join("dump.rdb")), 0);
    assert_eq!(node.info("rdb_changes_since_last_save"), "0");
}

#[test]
fn a_failing_bgsave_stops_writes_until_a_save_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let node = Node::start(&data, &["--save", "3600 1"]);
    let mut c = node.client();
    let _: () = q(&mut c, &["SET", "k", "v"]);
    std::fs::remove_dir_all(&data).unwrap();
    let _: String = q(&mut c, &["BGSAVE"]);
    wait_until(10, "the BGSAVE to fail", || {
        node.info("rdb_last_bgsave_status") == "err"
    });
    let err = redis::cmd("SET")
        .arg("k")
        .arg("w")
        .query::<()>(&mut c)
        .unwrap_err();
    assert!(err.to_string().contains("MISCONF"), "{err}");
    let value: String = q(&mut c, &["GET", "k"]);
    assert_eq!(value, "v", "reads still work");
    std::fs::create_dir(&data).unwrap();
    let _: String = q(&mut c, &["BGSAVE"]);
    wait_until(10, "the BGSAVE to succeed", || {
        node.info("rdb_last_bgsave_status") == "ok"
    });
    let _: () = q(&mut c, &["SET", "k", "w"]);
}

#[test]
fn sonde_snapshot_loads_into_redis_server_with_every_key_type_and_expiry() {
    require_tool("redis-check-rdb");
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(dir.path(), &[]);
    let mut c = node.client();
    fill_strings(&mut c, 2000);
    fill_collections(&mut c);
    let expected = node.dataset(0..16);
    let _: () = q(&mut c, &["SAVE"]);
    assert_redis_check_rdb_ok(&dir.path().join("dump.rdb"));
    let redis = RedisServer::start(&["--dir", dir.path().to_str().unwrap()]);
    let loaded = dataset::read(&redis.url(), 0..16);
    assert_eq!(dataset::assert_same(&expected, &loaded), expected.len());
}

#[test]
fn redis_snapshot_with_every_encoding_loads_into_sonde_and_back() {
    require_tool("redis-check-rdb");
    let redis = RedisServer::start(&[]);
    populate_mixed(&redis, &[0, 2, 9], 40);
    let mut rc = redis.client();
    let _: () = q(&mut rc, &["SAVE"]);
    let original = dataset::read(&redis.url(), 0..16);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(redis.dir().join("dump.rdb"), dir.path().join("dump.rdb")).unwrap();
    let node = Node::start(dir.path(), &[]);
    let loaded = node.dataset(0..16);
    // Every key with its type and expiry; values wherever sonde has the
    // type's commands (strings now; the rest as their types arrive).
    let compared = dataset::assert_same(&original, &loaded);
    assert!(compared >= 3 * 30 * 40, "compared {compared} values");
    // A stream is kept as it was: reported like Redis, refused by string
    // commands, carried by the key commands.
    let mut c = node.client();
    let enc: String = q(&mut c, &["OBJECT", "ENCODING", "stream:0"]);
    assert_eq!(enc, "stream");
    let err = redis::cmd("GET")
        .arg("stream:0")
        .query::<String>(&mut c)
        .unwrap_err();
    assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    let _: () = q(&mut c, &["RENAME", "stream:1", "renamed"]);
    let _: i64 = q(&mut c, &["MOVE", "renamed", "3"]);
    let _: i64 = q(&mut c, &["COPY", "stream:2", "copied", "DB", "4"]);
    let _: i64 = q(
        &mut c,
        &[
            "PEXPIREAT",
            "stream:3",
            &(unix_ms() + 3_600_000).to_string(),
        ],
    );
    let _: () = q(&mut c, &["SAVE"]);
    assert_redis_check_rdb_ok(&dir.path().join("dump.rdb"));
    // Back into redis-server: the original dataset, with the changes made
    // through sonde, every value compared by Redis itself.
    let _: () = q(&mut rc, &["RENAME", "stream:1", "renamed"]);
    let _: i64 = q(&mut rc, &["MOVE", "renamed", "3"]);
    let _: i64 = q(&mut rc, &["COPY", "stream:2", "copied", "DB", "4"]);
    let expire: i64 = q(&mut c, &["PEXPIRETIME", "stream:3"]);
    let _: i64 = q(&mut rc, &["PEXPIREAT", "stream:3", &expire.to_string()]);
    let want = dataset::read(&redis.url(), 0..16);
    let back = RedisServer::start(&["--dir", dir.path().to_str().unwrap()]);
    let got = dataset::read(&back.url(), 0..16);
    assert_eq!(dataset::assert_same(&want, &got), want.len());
}

/// `sonde serve` on `dir` must refuse to start: exit status 1 and the
/// message on stderr.
fn refuses_to_start(dir: &Path, extra: &[&str]) -> String {
    let port = free_port().to_string();
    let mut args = vec![
        "serve",
        "--port",
        &port,
        "--bind",
        "127.0.0.1",
        "--dir",
        dir.to_str().unwrap(),
        "--save",
        "",
    ];
    args.extend_from_slice(extra);
    let out = run(&args, b"");
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1\n--- stderr ---\n{}",
        text(&out.stderr)
    );
    text(&out.stderr)
}

#[test]
fn damaged_snapshots_stop_startup_with_kind_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(dir.path(), &[]);
    fill_strings(&mut node.client(), 100);
    let _: () = q(&mut node.client(), &["SAVE"]);
    node.kill9();
    let path = dir.path().join("dump.rdb");
    let good = std::fs::read(&path).unwrap();

    std::fs::write(&path, &good[..good.len() - 100]).unwrap();
    let err = refuses_to_start(dir.path(), &[]);
    assert!(
        err.contains("cannot load") && err.contains("at byte"),
        "{err}"
    );

    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n - 3] ^= 0xff;
    std::fs::write(&path, &flipped).unwrap();
    let err = refuses_to_start(dir.path(), &[]);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(&format!("at byte {}", n - 8)), "{err}");

    std::fs::write(&path, b"NOTREDIS").unwrap();
    let err = refuses_to_start(dir.path(), &[]);
    assert!(
        err.contains("bad magic") && err.contains("at byte 0"),
        "{err}"
    );

    // Fewer databases than the snapshot uses.
    std::fs::write(&path, &good).unwrap();
    let err = refuses_to_start(dir.path(), &["--databases", "2"]);
    assert!(err.contains("database 5"), "{err}");
}

// ---------------------------------------------------------------------------
// The append-only file

fn aof_dir(dir: &Path) -> PathBuf {
    dir.join("appendonlydir")
}

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(aof_dir(dir).join("appendonly.aof.manifest")).unwrap_or_default()
}

/// Writes of every kind the AOF must reproduce: relative expiries made
/// absolute, INCRBYFLOAT as SET, expiry in the past as DEL, several dbs.
fn varied_writes(conn: &mut redis::Connection, round: usize) {
    let _: () = q(conn, &["SELECT", &(round % 3).to_string()]);
    let _: () = q(conn, &["SET", &format!("s{round}"), &format!("v{round}")]);
    let _: i64 = q(conn, &["INCRBY", "counter", &round.to_string()]);
    let _: String = q(conn, &["INCRBYFLOAT", "float", "0.25"]);
    let _: () = q(conn, &["SET", &format!("ttl{round}"), "x", "EX", "1000"]);
    let _: i64 = q(conn, &["EXPIRE", &format!("s{round}"), "5000"]);
    let _: i64 = q(conn, &["APPEND", "log", &format!("{round},")]);
    let _: () = q(conn, &["SET", &format!("gone{round}"), "x"]);
    let _: i64 = q(conn, &["PEXPIREAT", &format!("gone{round}"), "1"]);
    let _: i64 = q(conn, &["DEL", &format!("s{}", round.saturating_sub(3))]);
    let _: i64 = q(conn, &["RPUSH", "list", &format!("a{round}"), "b"]);
    if round.is_multiple_of(3) {
        let _: Option<String> = q(conn, &["LPOP", "list"]);
    }
    let _: i64 = q(
        conn,
        &[
            "HSET",
            "hash",
            &format!("f{}", round % 20),
            &round.to_string(),
        ],
    );
    let _: i64 = q(conn, &["HINCRBY", "hash", "n", "1"]);
    let _: i64 = q(conn, &["SADD", "set", &format!("m{}", round % 30)]);
    let _: i64 = q(conn, &["SADD", "ints", &round.to_string()]);
    let _: i64 = q(
        conn,
        &[
            "ZADD",
            "zset",
            &round.to_string(),
            &format!("m{}", round % 25),
        ],
    );
    let _: String = q(conn, &["ZINCRBY", "zset", "0.5", "m1"]);
    let _: () = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("tx")
        .ignore()
        .cmd("RPUSH")
        .arg("txlist")
        .arg(round)
        .ignore()
        .query(conn)
        .expect("MULTI/EXEC");
    let _: () = q(conn, &["SELECT", "0"]);
}

/// Collections of every type in db 2, in both of each type's encodings
/// (small ones compact, large ones past Redis 7.0's default thresholds).
fn fill_collections(conn: &mut redis::Connection) {
    let _: () = q(conn, &["SELECT", "2"]);
    let mut pipe = redis::pipe();
    for i in 0..600 {
        pipe.cmd("RPUSH")
            .arg("big:list")
            .arg(format!("item-{i}"))
            .ignore();
        pipe.cmd("HSET")
            .arg("big:hash")
            .arg(format!("f{i}"))
            .arg(i)
            .ignore();
        pipe.cmd("SADD")
            .arg("big:set")
            .arg(format!("m{i}"))
            .ignore();
        pipe.cmd("SADD").arg("big:ints").arg(i * 1000).ignore();
        pipe.cmd("ZADD")
            .arg("big:zset")
            .arg(f64::from(i) / 3.0)
            .arg(format!("z{i}"))
            .ignore();
    }
    for i in 0..10 {
        pipe.cmd("RPUSH").arg("small:list").arg(i).ignore();
        pipe.cmd("HSET")
            .arg("small:hash")
            .arg(format!("f{i}"))
            .arg("v")
            .ignore();
        pipe.cmd("SADD").arg("small:ints").arg(i).ignore();
        pipe.cmd("SADD")
            .arg("small:set")
            .arg(format!("s{i}"))
            .ignore();
        pipe.cmd("ZADD")
            .arg("small:zset")
            .arg(i)
            .arg(format!("z{i}"))
            .ignore();
    }
    pipe.cmd("PEXPIREAT")
        .arg("small:zset")
        .arg(unix_ms() + 86_400_000)
        .ignore();
    pipe.query::<()>(conn).expect("fill collections");
    let _: () = q(conn, &["SELECT", "0"]);
}

#[test]
fn aof_replays_every_write_after_kill_9_under_each_policy() {
    for policy in ["always", "everysec", "no"] {
        let dir = tempfile::tempdir().unwrap();
        let mut node = Node::start(
            dir.path(),
            &["--appendonly", "yes", "--appendfsync", policy],
        );
        let mut c = node.client();
        for round in 0..50 {
            varied_writes(&mut c, round);
        }
        let expected = node.dataset(0..4);
        assert_eq!(node.info("aof_enabled"), "1");
        // everysec: the writer thread writes within milliseconds; kill -9
        // loses nothing the kernel has (only a power loss would).
        if policy == "everysec" {
            wait_until(5, "the AOF writer to catch up", || {
                node.info("aof_buffer_length") == "0"
            });
        }
        node.kill9();
        assert!(manifest(dir.path()).contains("type b"), "{policy}");
        node.restart();
        assert_eq!(
            dataset::assert_same(&expected, &node.dataset(0..4)),
            expected.len(),
            "{policy}"
        );
        assert!(
            node.log().contains("DB loaded from append only file"),
            "{policy}"
        );
    }
}

/// The INCR file being appended to.
fn last_incr(dir: &Path) -> PathBuf {
    let m = manifest(dir);
    let name = m
        .lines()
        .rfind(|l| l.ends_with("type i"))
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or_else(|| panic!("no incr file in manifest:\n{m}"))
        .to_owned();
    aof_dir(dir).join(name)
}

#[test]
fn a_truncated_aof_tail_is_cut_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(
        dir.path(),
        &["--appendonly", "yes", "--appendfsync", "always"],
    );
    let mut c = node.client();
    for i in 0..20 {
        let _: () = q(&mut c, &["SET", &format!("k{i}"), &i.to_string()]);
    }
    node.kill9();
    let incr = last_incr(dir.path());
    let complete = std::fs::metadata(&incr).unwrap().len();
    // A crash in the middle of a write: half a command at the end.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    f.write_all(b"*3\r\n$3\r\nSET\r\n$3\r\nk20\r\n$2\r\n2")
        .unwrap();
    drop(f);
    // With aof-load-truncated no, startup stops at the damage.
    let err = refuses_to_start(
        dir.path(),
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
    );
    assert!(
        err.contains("Unexpected end of file") && err.contains(&format!("at byte {complete}")),
        "{err}"
    );
    node.restart();
    let mut c = node.client();
    let n: i64 = q(&mut c, &["DBSIZE"]);
    assert_eq!(n, 20);
    assert_eq!(
        std::fs::metadata(&incr).unwrap().len(),
        complete,
        "cut to the last command"
    );
    assert!(
        node.log().contains("short read while loading the AOF file"),
        "{}",
        node.log()
    );
    // An unfinished MULTI at the end is cut before the MULTI.
    node.kill9();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    f.write_all(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nm\r\n$1\r\n1\r\n")
        .unwrap();
    drop(f);
    node.restart();
    let m: Option<String> = q(&mut node.client(), &["GET", "m"]);
    assert_eq!(m, None);
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), complete);
}

#[test]
fn a_damaged_aof_middle_stops_startup_with_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(dir.path(), &["--appendonly", "yes"]);
    let mut c = node.client();
    for i in 0..20 {
        let _: () = q(&mut c, &["SET", &format!("k{i}"), &i.to_string()]);
    }
    let _: () = q(&mut c, &["SET", "after", "damage"]);
    node.kill9_once_the_aof_is_written();
    let incr = last_incr(dir.path());
    let mut bytes = std::fs::read(&incr).unwrap();
    let at = bytes.len() / 2;
    let at = at + bytes[at..].iter().position(|&b| b == b'*').unwrap();
    bytes[at] = b'!';
    std::fs::write(&incr, &bytes).unwrap();
    let err = refuses_to_start(dir.path(), &["--appendonly", "yes"]);
    assert!(
        err.contains("Bad file format") && err.contains(&format!("at byte {at}")),
        "{err}"
    );
    // An unknown command is named.
    bytes[at] = b'*';
    bytes.extend_from_slice(b"*1\r\n$7\r\nNOSUCHX\r\n");
    std::fs::write(&incr, &bytes).unwrap();
    let err = refuses_to_start(dir.path(), &["--appendonly", "yes"]);
    assert!(err.contains("Unknown command 'NOSUCHX'"), "{err}");
}

fn rewrite_while_writing(preamble: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(
        dir.path(),
        &[
            "--appendonly",
            "yes",
            "--aof-use-rdb-preamble",
            preamble,
            "--rdb-key-save-delay",
            "500",
        ],
    );
    let mut c = node.client();
    for round in 0..30 {
        varied_writes(&mut c, round);
    }
    fill_strings(&mut c, 300);
    let reply: String = q(&mut c, &["BGREWRITEAOF"]);
    assert_eq!(reply, "Background append only file rewriting started");
    assert_eq!(node.info("aof_rewrite_in_progress"), "1");
    // Writes during the rewrite go to the new INCR file.
    for round in 30..60 {
        varied_writes(&mut c, round);
    }
    let during = manifest(dir.path());
    assert!(
        during.contains("appendonly.aof.2.incr.aof seq 2 type i"),
        "{during}"
    );
    wait_until(60, "the rewrite", || {
        node.info("aof_rewrite_in_progress") == "0"
    });
    assert_eq!(node.info("aof_last_bgrewrite_status"), "ok");
    let suffix = if preamble == "yes" { "rdb" } else { "aof" };
    assert_eq!(
        manifest(dir.path()),
        format!(
            "file appendonly.aof.2.base.{suffix} seq 2 type b\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        )
    );
    let mut files: Vec<String> = std::fs::read_dir(aof_dir(dir.path()))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            format!("appendonly.aof.2.base.{suffix}"),
            "appendonly.aof.2.incr.aof".to_owned(),
            "appendonly.aof.manifest".to_owned()
        ],
        "history files deleted, no temporary file left"
    );
    let expected = node.dataset(0..16);
    node.kill9();
    node.restart();
    assert_eq!(
        dataset::assert_same(&expected, &node.dataset(0..16)),
        expected.len()
    );
}

#[test]
fn bgrewriteaof_with_an_rdb_preamble_switches_files_atomically() {
    rewrite_while_writing("yes");
}

#[test]
fn bgrewriteaof_as_commands_switches_files_atomically() {
    rewrite_while_writing("no");
}

#[test]
fn the_aof_turned_on_at_runtime_keeps_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(dir.path(), &["--rdb-key-save-delay", "300"]);
    let mut c = node.client();
    fill_strings(&mut c, 500);
    let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    assert_eq!(node.info("aof_rewrite_in_progress"), "1");
    // Writes while the first base is written go to a temporary file.
    for round in 0..40 {
        varied_writes(&mut c, round);
    }
    assert!(
        aof_dir(dir.path())
            .join("temp-appendonly.aof.incr")
            .is_file()
    );
    wait_until(60, "the first rewrite", || {
        node.info("aof_rewrite_in_progress") == "0"
    });
    assert_eq!(
        manifest(dir.path()),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    for round in 40..50 {
        varied_writes(&mut c, round);
    }
    let expected = node.dataset(0..16);
    node.extra
        .extend(["--appendonly".to_owned(), "yes".to_owned()]);
    node.kill9();
    node.restart();
    dataset::assert_same(&expected, &node.dataset(0..16));
    // And off again: the files stay, nothing more is appended.
    let mut c = node.client();
    let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
    assert_eq!(node.info("aof_enabled"), "0");
    let size = std::fs::metadata(last_incr(dir.path())).unwrap().len();
    let _: () = q(&mut c, &["SET", "after", "off"]);
    assert_eq!(
        std::fs::metadata(last_incr(dir.path())).unwrap().len(),
        size
    );
}

#[test]
fn the_aof_is_rewritten_automatically_when_it_doubles() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(
        dir.path(),
        &[
            "--appendonly",
            "yes",
            "--auto-aof-rewrite-percentage",
            "100",
            "--auto-aof-rewrite-min-size",
            "64kb",
        ],
    );
    let mut c = node.client();
    let value = "x".repeat(100);
    for i in 0..2000 {
        let _: () = q(&mut c, &["SET", &format!("k{}", i % 50), &value]);
    }
    wait_until(20, "an automatic rewrite", || {
        node.info("aof_rewrites").parse::<u64>().unwrap() >= 1
            && node.info("aof_rewrite_in_progress") == "0"
    });
    assert!(
        node.log()
            .contains("Starting automatic rewriting of AOF on"),
        "{}",
        node.log()
    );
    // Writes go on while the child writes the base (they land in the new
    // INCR file, counted in the base size as Redis counts them), so the
    // file is not down to the 50 keys; but the history, past 64 kB when
    // the rewrite started, is gone.
    let appended = 2000 * format!("*3\r\n$3\r\nSET\r\n$3\r\nk10\r\n$100\r\n{value}\r\n").len();
    let size: u64 = node.info("aof_current_size").parse().unwrap();
    assert!(
        size + 60 * 1024 < appended as u64,
        "{size} bytes after {appended} appended"
    );
    let files = std::fs::read_dir(aof_dir(dir.path())).unwrap().count();
    assert_eq!(
        files,
        3,
        "a base, an incr and the manifest:\n{}",
        manifest(dir.path())
    );
}

#[test]
fn aof_files_move_between_redis_server_and_sonde() {
    for preamble in ["yes", "no"] {
        // redis-server writes a multi-part AOF (a base and an increment)...
        let redis =
            RedisServer::start(&["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]);
        let mut rc = redis.client();
        fill_strings(&mut rc, 200);
        let _: String = q(&mut rc, &["BGREWRITEAOF"]);
        wait_until(20, "redis's rewrite", || {
            info_field(&mut rc, "aof_rewrite_in_progress") == "0"
                && info_field(&mut rc, "aof_rewrites") == "1"
        });
        for round in 0..20 {
            varied_writes(&mut rc, round);
        }
        let expected = dataset::read(&redis.url(), 0..16);
        // redis-server acknowledges a write it postponed while its fsync
        // ran (everysec): copy the files once it is written.
        wait_until(10, "redis's AOF buffer to be written", || {
            info_field(&mut rc, "aof_buffer_length") == "0"
        });
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&aof_dir(redis.dir()), &aof_dir(dir.path()));
        drop(redis);
        // ...which sonde loads and continues,
        let mut node = Node::start(
            dir.path(),
            &["--appendonly", "yes", "--aof-use-rdb-preamble", preamble],
        );
        assert_eq!(
            dataset::assert_same(&expected, &node.dataset(0..16)),
            expected.len()
        );
        let mut c = node.client();
        for round in 20..30 {
            varied_writes(&mut c, round);
        }
        let _: String = q(&mut c, &["BGREWRITEAOF"]);
        wait_until(20, "sonde's rewrite", || {
            node.info("aof_rewrite_in_progress") == "0"
        });
        for round in 30..40 {
            varied_writes(&mut c, round);
        }
        let expected = node.dataset(0..16);
        node.kill9_once_the_aof_is_written();
        // ...and redis-server loads what sonde wrote.
        assert_redis_loads_the_aof(dir.path(), &expected, 0..16);
    }
}

/// redis-server started on a copy of `dir`'s AOF holds `expected`.
#[track_caller]
fn assert_redis_loads_the_aof(dir: &Path, expected: &Dataset, dbs: std::ops::Range<u32>) {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&aof_dir(dir), &aof_dir(copy.path()));
    let redis = RedisServer::start(&[
        "--dir",
        copy.path().to_str().unwrap(),
        "--appendonly",
        "yes",
    ]);
    let loaded = dataset::read(&redis.url(), dbs);
    assert_eq!(dataset::assert_same(expected, &loaded), expected.len());
}

#[test]
fn a_single_file_aof_of_redis_6_is_migrated_into_the_directory() {
    // Redis 6 kept one file, `dir/appendonly.aof`: an RDB preamble (here a
    // real redis-server snapshot) followed by commands.
    let redis = RedisServer::start(&[]);
    let mut rc = redis.client();
    fill_strings(&mut rc, 50);
    let _: () = q(&mut rc, &["SAVE"]);
    let mut old = std::fs::read(redis.dir().join("dump.rdb")).unwrap();
    old.extend_from_slice(
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$3\r\nyes\r\n",
    );
    let _: () = q(&mut rc, &["SELECT", "3"]);
    let _: () = q(&mut rc, &["SET", "after", "yes"]);
    let expected = dataset::read(&redis.url(), 0..16);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("appendonly.aof"), &old).unwrap();
    let mut node = Node::start(dir.path(), &["--appendonly", "yes"]);
    assert_eq!(
        dataset::assert_same(&expected, &node.dataset(0..16)),
        expected.len()
    );
    assert!(
        node.log()
            .contains("Successfully migrated an old-style AOF"),
        "{}",
        node.log()
    );
    assert!(!dir.path().join("appendonly.aof").exists());
    let m = manifest(dir.path());
    assert!(
        m.starts_with("file appendonly.aof seq 1 type b\n") && m.contains(" type i\n"),
        "{m}"
    );
    // It goes on from there, and redis-server 7.0 loads the result.
    let mut c = node.client();
    for round in 0..10 {
        varied_writes(&mut c, round);
    }
    let expected = node.dataset(0..16);
    node.kill9_once_the_aof_is_written();
    assert_redis_loads_the_aof(dir.path(), &expected, 0..16);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn shutdown_saves_unless_told_not_to_and_sigterm_saves() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(dir.path(), &["--save", "3600 1"]);
    let _: () = q(&mut node.client(), &["SET", "k", "1"]);
    assert!(node.terminate().is_some());
    assert!(
        node.log()
            .contains("Saving the final RDB snapshot before exiting.")
    );
    node.restart();
    let mut c = node.client();
    let v: String = q(&mut c, &["GET", "k"]);
    assert_eq!(v, "1");
    let _: () = q(&mut c, &["SET", "k", "2"]);
    let _ = redis::cmd("SHUTDOWN").arg("NOSAVE").query::<()>(&mut c);
    let _ = node.child.take().map(|mut ch| ch.wait());
    node.restart();
    let v: String = q(&mut node.client(), &["GET", "k"]);
    assert_eq!(v, "1", "NOSAVE kept the old snapshot");
    let err = redis::cmd("SHUTDOWN")
        .arg("SAVE")
        .arg("NOSAVE")
        .query::<()>(&mut node.client())
        .unwrap_err();
    assert!(err.to_string().contains("syntax error"), "{err}");
}

// ---------------------------------------------------------------------------
// Crash tests

/// A load of acknowledged writes: each writer thread increments its own
/// counter and remembers the last value the server acknowledged, and when.
struct Load {
    stop: Arc<AtomicBool>,
    writers: Vec<std::thread::JoinHandle<Vec<(i64, Instant)>>>,
}

impl Load {
    fn start(port: u16, writers: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let writers = (0..writers)
            .map(|w| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut acked = Vec::new();
                    let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
                    else {
                        return acked;
                    };
                    let Ok(mut conn) = client.get_connection() else {
                        return acked;
                    };
                    while !stop.load(Ordering::Relaxed) {
                        match redis::cmd("INCR")
                            .arg(format!("counter:{w}"))
                            .query::<i64>(&mut conn)
                        {
                            Ok(n) => acked.push((n, Instant::now())),
                            Err(_) => break,
                        }
                    }
                    acked
                })
            })
            .collect();
        Load { stop, writers }
    }

    /// Per writer: (value acknowledged, when) in order.
    fn finish(self) -> Vec<Vec<(i64, Instant)>> {
        self.stop.store(true, Ordering::Relaxed);
        self.writers
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect()
    }
}

/// xorshift for kill moments (a fixed seed: failures reproduce).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Kill -9 under load `rounds` times; after each restart compare every
/// counter with what was acknowledged. Returns the largest window of
/// acknowledged writes lost (time between the first lost acknowledgment
/// and the last one).
fn crash_rounds(policy: &str, rounds: usize, seed: u64) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(
        dir.path(),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            policy,
            "--auto-aof-rewrite-percentage",
            "50",
            "--auto-aof-rewrite-min-size",
            "200kb",
            "--save",
            "1 100",
        ],
    );
    let mut rng = Rng(seed);
    let mut worst = Duration::ZERO;
    let mut expected_floor = [0i64; 4];
    for round in 0..rounds {
        let load = Load::start(node.port, 4);
        std::thread::sleep(Duration::from_millis(100 + rng.below(400)));
        if rng.below(3) == 0 {
            let _ = redis::cmd("BGREWRITEAOF").query::<String>(&mut node.client());
            std::thread::sleep(Duration::from_millis(rng.below(50)));
        }
        node.kill9();
        let killed_at = Instant::now();
        let acked = load.finish();
        node.restart();
        let mut c = node.client();
        for (w, writes) in acked.iter().enumerate() {
            let now: Option<i64> = q(&mut c, &["GET", &format!("counter:{w}")]);
            let now = now.unwrap_or(0);
            let last_acked = writes.last().map_or(expected_floor[w], |a| a.0);
            // Never more than was sent (one write may have been applied
            // and not acknowledged when the kill came).
            assert!(
                now <= last_acked + 1,
                "{policy} round {round}: counter:{w} is {now}, only {last_acked} acknowledged"
            );
            assert!(
                now >= expected_floor[w],
                "{policy} round {round}: counter:{w} went back from {} to {now}",
                expected_floor[w]
            );
            if now < last_acked {
                // Lost acknowledged writes: how long a stretch of them.
                let first_lost = writes.iter().find(|a| a.0 > now).map(|a| a.1);
                let window = first_lost.map_or(Duration::ZERO, |t| killed_at - t);
                worst = worst.max(window);
                assert!(
                    policy != "always",
                    "always lost acknowledged writes: counter:{w} is {now}, {last_acked} \
                     acknowledged (round {round})"
                );
            }
            expected_floor[w] = now;
        }
        // The snapshot the save point keeps writing (in children killed
        // with the server or not) is always whole.
        let dump = dir.path().join("dump.rdb");
        if dump.is_file() {
            assert_redis_check_rdb_ok(&dump);
        }
    }
    let expected = node.dataset(0..1);
    node.kill9();
    let log = node.log();
    assert!(!log.contains("Fatal error"), "{log}");
    // What the last crash left loads the same in redis-server.
    assert_redis_loads_the_aof(dir.path(), &expected, 0..1);
    worst
}

fn assert_redis_check_rdb_ok(path: &Path) {
    let check = std::process::Command::new(require_tool("redis-check-rdb"))
        .arg(path)
        .output()
        .expect("run redis-check-rdb");
    assert!(
        text(&check.stdout).contains("RDB looks OK!"),
        "redis-check-rdb {}:\n{}{}",
        path.display(),
        text(&check.stdout),
        text(&check.stderr)
    );
}

#[test]
fn kill_9_under_load_with_always_keeps_every_acknowledged_write() {
    let worst = crash_rounds("always", 20, 0x5eed_0001);
    assert_eq!(worst, Duration::ZERO);
}

#[test]
fn kill_9_under_load_with_everysec_loses_at_most_two_seconds() {
    let worst = crash_rounds("everysec", 20, 0x5eed_0002);
    eprintln!("everysec: worst window of lost acknowledged writes: {worst:?}");
    assert!(
        worst <= Duration::from_secs(2),
        "lost {worst:?} of acknowledged writes"
    );
}

#[test]
fn kill_9_during_bgsave_always_leaves_a_loadable_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(dir.path(), &["--rdb-key-save-delay", "20"]);
    let mut rng = Rng(0x5eed_0003);
    let mut c = node.client();
    let mut pipe = redis::pipe();
    for i in 0..20_000 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
    }
    pipe.query::<()>(&mut c).unwrap();
    let _: () = q(&mut c, &["SAVE"]);
    for round in 0..8 {
        let mut c = node.client();
        let _: () = q(&mut c, &["SET", "round", &round.to_string()]);
        let _: String = q(&mut c, &["BGSAVE"]);
        std::thread::sleep(Duration::from_millis(rng.below(300)));
        node.kill9();
        // The child may still be writing: the file on disk is the old
        // snapshot or the new one, never half of one.
        node.restart();
        let n: i64 = q(&mut node.client(), &["DBSIZE"]);
        assert!(n == 20_000 || n == 20_001, "round {round}: {n} keys");
    }
}

#[test]
fn clients_get_loading_while_a_snapshot_loads_and_the_data_after() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut node = Node::start(dir.path(), &["--enable-debug-command", "yes"]);
        let mut c = node.client();
        let _: () = q(&mut c, &["DEBUG", "POPULATE", "20000", "key", "100"]);
        let _: () = q(&mut c, &["SAVE"]);
        node.terminate();
    }
    // 20,000 keys, 200 µs each: about four seconds of loading, serving
    // clients every kilobyte.
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("loading.log")).unwrap();
    let child = sonde()
        .args(["serve", "--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--dir"])
        .arg(dir.path())
        .args(["--key-load-delay", "200"])
        .args(["--loading-process-events-interval-bytes", "1024"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Kill(child);
    let url = format!("redis://127.0.0.1:{port}/");
    let mut c = loop {
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "sonde serve exited early"
        );
        if let Ok(c) = redis::Client::open(url.as_str()).and_then(|cl| cl.get_connection()) {
            break c;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(info_field(&mut c, "loading"), "1");
    let total: u64 = info_field(&mut c, "loading_total_bytes").parse().unwrap();
    assert!(total > 100_000, "{total}");
    let err = redis::cmd("GET")
        .arg("key:1")
        .query::<Option<String>>(&mut c)
        .expect_err("GET while loading");
    assert!(err.to_string().contains("loading the dataset"), "{err}");
    // Connections opened and closed meanwhile are freed.
    for _ in 0..5 {
        let mut other = redis::Client::open(url.as_str())
            .and_then(|cl| cl.get_connection())
            .unwrap();
        let _: String = redis::cmd("INFO").arg("clients").query(&mut other).unwrap();
    }
    wait_until(10, "the closed clients to be freed", || {
        let info: String = redis::cmd("INFO").arg("clients").query(&mut c).unwrap();
        info.contains("connected_clients:1\r")
    });
    assert_eq!(info_field(&mut c, "loading"), "1", "loaded too fast");
    wait_until(60, "the load to finish", || {
        info_field(&mut c, "loading") == "0"
    });
    let keys: u64 = q(&mut c, &["DBSIZE"]);
    assert_eq!(keys, 20_000);
    let value: String = q(&mut c, &["GET", "key:1"]);
    assert_eq!(value.len(), 100);
    let _ = child.0.kill();
}
