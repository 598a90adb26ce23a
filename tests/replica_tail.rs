//! `sonde replica tail` against real redis-server masters: command feeds
//! with exact offsets, disk and diskless snapshots, partial resyncs after a
//! killed link and across restarts, ACK policies, authentication, lag and
//! backpressure, filters and errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::keyspace::{dbsizes, populate_mixed, type_counts};
use crate::common::redis_server::require_tool;
use crate::common::{RedisServer, free_port, run, sonde, text};

/// Long enough for a loaded 2-core CI machine; a test that reaches it has
/// failed (nothing here waits for time to pass, only for events).
const PATIENCE: Duration = Duration::from_secs(90);

/// A running tail: stdout lines as they come, stderr collected.
struct TailRun {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    stdout_thread: Option<JoinHandle<()>>,
    stderr_thread: Option<JoinHandle<()>>,
    /// Send to let the stdout reader start (see `start_paused`).
    release: Option<Sender<()>>,
}

impl TailRun {
    fn start(args: &[&str]) -> TailRun {
        let mut run = TailRun::start_paused(args);
        run.release_stdout();
        run
    }

    /// Start with nobody reading stdout until `release_stdout`, so the tail
    /// blocks on a full pipe (a slow consumer).
    fn start_paused(args: &[&str]) -> TailRun {
        let mut child = sonde()
            .args(["replica", "tail"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sonde");
        let (tx, lines) = channel();
        let (release, go) = channel::<()>();
        let stdout = child.stdout.take().expect("stdout");
        let stdout_thread = std::thread::spawn(move || {
            let _ = go.recv();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut err = child.stderr.take().expect("stderr");
        let stderr_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&text(&buf[..n]));
            }
        });
        TailRun {
            child,
            lines,
            seen: Vec::new(),
            stderr,
            stdout_thread: Some(stdout_thread),
            stderr_thread: Some(stderr_thread),
            release: Some(release),
        }
    }

    fn release_stdout(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.send(());
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait for a stdout line containing `needle`; every line read is kept.
    fn wait_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    self.seen.join("\n"),
                    self.stderr()
                ),
            }
        }
    }

    fn wait_stderr(&self, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "stderr never said {needle:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn interrupt(&self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
    }

    /// Wait for the exit; all of stdout as lines, and stderr.
    fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        self.release_stdout();
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "sonde replica tail did not stop\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    self.seen.join("\n"),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(t) = self.stdout_thread.take() {
            t.join().unwrap();
        }
        if let Some(t) = self.stderr_thread.take() {
            t.join().unwrap();
        }
        let mut lines = std::mem::take(&mut self.seen);
        lines.extend(self.lines.try_iter());
        (status, lines, self.stderr())
    }
}

impl Drop for TailRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// JSON Lines objects of one `type`.
fn of_type(lines: &[String], kind: &str) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .filter(|v| v["type"] == kind)
        .collect()
}

fn summary(lines: &[String]) -> Value {
    let all = of_type(lines, "summary");
    assert_eq!(all.len(), 1, "one summary expected:\n{}", lines.join("\n"));
    all[0].clone()
}

/// Each command's arguments as text (non-UTF-8 shown as `b64:<...>`).
fn commands(lines: &[String]) -> Vec<Vec<String>> {
    of_type(lines, "command")
        .iter()
        .map(|c| {
            c["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| match a.as_str() {
                    Some(s) => s.to_owned(),
                    None => format!("b64:{}", a["base64"].as_str().unwrap()),
                })
                .collect()
        })
        .collect()
}

fn info(conn: &mut redis::Connection, section: &str) -> String {
    redis::cmd("INFO").arg(section).query(conn).unwrap()
}

fn field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.trim_end().strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in INFO:\n{info}"))
        .to_owned()
}

fn master_offset(conn: &mut redis::Connection) -> u64 {
    field(&info(conn, "replication"), "master_repl_offset")
        .parse()
        .unwrap()
}

/// The `slave0` line of INFO replication as key=value pairs.
fn replica_line(conn: &mut redis::Connection) -> Option<Vec<(String, String)>> {
    let info = info(conn, "replication");
    let line = info.lines().find_map(|l| l.strip_prefix("slave0:"))?;
    Some(
        line.trim_end()
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

fn replica_field(conn: &mut redis::Connection, name: &str) -> Option<String> {
    replica_line(conn)?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Wait until the master lists a replica in state `online`.
fn wait_online(conn: &mut redis::Connection) {
    wait_until("replica online in the master's INFO", || {
        replica_field(conn, "state").as_deref() == Some("online")
    });
}

#[track_caller]
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn set(conn: &mut redis::Connection, key: &str, value: &str) {
    let _: () = redis::cmd("SET").arg(key).arg(value).query(conn).unwrap();
}

/// Run `sonde replica tail ARGS`; it must exit 2 saying `needle`.
#[track_caller]
fn assert_refused(args: &[&str], needle: &str) -> String {
    let mut all = vec!["replica", "tail"];
    all.extend_from_slice(args);
    let out = run(&all, b"");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in: {err}"
    );
    err
}

/// A client on database `db` of `master`.
fn db_client(master: &RedisServer, db: u32) -> redis::Connection {
    redis::Client::open(format!("{}{db}", master.url()))
        .and_then(|c| c.get_connection())
        .expect("connect to redis-server")
}

/// Tail `master` with JSON output and `args`; once the master lists the
/// tail online, `writes` runs. The tail must then stop by itself (--count,
/// --duration) with status 0. Its stdout lines and stderr.
pub(crate) fn tail_json(
    master: &RedisServer,
    args: &[&str],
    writes: impl FnOnce(&mut redis::Connection),
) -> (Vec<String>, String) {
    let mut all = vec![master.addr()];
    all.extend(["--format", "json"].map(String::from));
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let tail = TailRun::start(&all);
    let mut conn = master.client();
    wait_online(&mut conn);
    writes(&mut conn);
    let (status, lines, stderr) = tail.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    (lines, stderr)
}

/// A master that does not ping replicas mid-test, so offsets can be
/// compared exactly, plus `extra` directives.
pub(crate) fn quiet_master(extra: &[&str]) -> RedisServer {
    let mut args = vec!["--repl-ping-replica-period", "3600"];
    args.extend_from_slice(extra);
    RedisServer::start(&args)
}

#[test]
fn every_data_type_in_order_with_the_masters_offsets() {
    let master = quiet_master(&["--repl-diskless-sync", "no"]);
    let mut conn = master.client();
    // --all: a PING the master may send when it first sees us still
    // counts in the offsets checked below.
    let mut tail = TailRun::start(&[
        &master.addr(),
        "--format",
        "json",
        "--lag-interval",
        "0.2",
        "--all",
    ]);
    wait_online(&mut conn);
    tail.wait_line("\"type\":\"snapshot\"");

    set(&mut conn, "s", "v");
    let _: () = redis::cmd("SET")
        .arg("bin")
        .arg(&b"\xff\x00"[..])
        .query(&mut conn)
        .unwrap();
    let _: i64 = redis::cmd("RPUSH")
        .arg("l")
        .arg("a")
        .arg("b")
        .query(&mut conn)
        .unwrap();
    let _: i64 = redis::cmd("SADD")
        .arg("st")
        .arg("m")
        .query(&mut conn)
        .unwrap();
    let _: i64 = redis::cmd("ZADD")
        .arg("z")
        .arg(1)
        .arg("m")
        .query(&mut conn)
        .unwrap();
    let _: i64 = redis::cmd("HSET")
        .arg("h")
        .arg("f")
        .arg("v")
        .query(&mut conn)
        .unwrap();
    let _: String = redis::cmd("XADD")
        .arg("x")
        .arg("1-1")
        .arg("f")
        .arg("v")
        .query(&mut conn)
        .unwrap();
    let _: i64 = redis::cmd("PFADD")
        .arg("hll")
        .arg("a")
        .query(&mut conn)
        .unwrap();
    let _: () = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("n")
        .ignore()
        .cmd("LPOP")
        .arg("l")
        .ignore()
        .query(&mut conn)
        .unwrap();
    // A key that expires is deleted on access, and the master propagates
    // the deletion.
    let _: () = redis::cmd("SET")
        .arg("e")
        .arg("v")
        .arg("PX")
        .arg(1)
        .query(&mut conn)
        .unwrap();
    std::thread::sleep(Duration::from_millis(10));
    let gone: Option<String> = redis::cmd("GET").arg("e").query(&mut conn).unwrap();
    assert_eq!(gone, None);
    // Scripts replicate their effects, wrapped in MULTI/EXEC.
    let _: i64 = redis::cmd("EVAL")
        .arg("redis.call('set', KEYS[1], '1'); redis.call('incr', KEYS[1]); return 1")
        .arg(1)
        .arg("ev")
        .query(&mut conn)
        .unwrap();
    let mut db3 = db_client(&master, 3);
    set(&mut db3, "in3", "x");

    let end = master_offset(&mut conn);
    // The master's INFO shows our ACKed offset catching up with it.
    wait_until("the tail's ACK offset reaches master_repl_offset", || {
        replica_field(&mut conn, "offset") == Some(end.to_string())
    });
    tail.interrupt();
    let (status, lines, stderr) = tail.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");

    let got: Vec<Vec<String>> = commands(&lines)
        .into_iter()
        .filter(|c| c[0] != "PING")
        .collect();
    let want: Vec<Vec<&str>> = vec![
        vec!["SELECT", "0"],
        vec!["SET", "s", "v"],
        vec!["SET", "bin", "b64:/wA="],
        vec!["RPUSH", "l", "a", "b"],
        vec!["SADD", "st", "m"],
        vec!["ZADD", "z", "1", "m"],
        vec!["HSET", "h", "f", "v"],
        vec!["XADD", "x", "1-1", "f", "v"],
        vec!["PFADD", "hll", "a"],
        vec!["MULTI"],
        vec!["INCR", "n"],
        vec!["LPOP", "l"],
        vec!["EXEC"],
        vec!["SET", "e", "v", "PXAT"],
        vec!["DEL", "e"],
        vec!["MULTI"],
        vec!["SET", "ev", "1"],
        vec!["INCR", "ev"],
        vec!["EXEC"],
        vec!["SELECT", "3"],
        vec!["SET", "in3", "x"],
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(&want) {
        // PXAT's argument is a timestamp: compare what is stable.
        let g: Vec<String> = g.iter().take(w.len()).cloned().collect();
        let g: Vec<String> = g
            .iter()
            .enumerate()
            .map(|(i, a)| {
                if i == 0 {
                    a.to_ascii_uppercase()
                } else {
                    a.clone()
                }
            })
            .collect();
        assert_eq!(&g, w, "{got:?}");
    }

    // Offsets grow by exactly each command's encoded length, and the last
    // one is the master's.
    let objects = of_type(&lines, "command");
    let sync = &of_type(&lines, "sync")[0];
    assert_eq!(sync["mode"], "full");
    let mut offset = sync["offset"].as_u64().unwrap();
    for c in &objects {
        let mut encoded = Vec::new();
        let args = c["args"].as_array().unwrap();
        encoded.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            let bytes = match a.as_str() {
                Some(s) => s.as_bytes().to_vec(),
                None => vec![0xff, 0x00],
            };
            encoded.extend_from_slice(format!("${}\r\n", bytes.len()).as_bytes());
            encoded.extend_from_slice(&bytes);
            encoded.extend_from_slice(b"\r\n");
        }
        offset += encoded.len() as u64;
        assert_eq!(c["offset"].as_u64(), Some(offset), "{c}");
    }
    assert_eq!(offset, end);
    let dbs: Vec<i64> = objects.iter().map(|c| c["db"].as_i64().unwrap()).collect();
    assert_eq!(dbs.last(), Some(&3));
    assert_eq!(dbs[dbs.len() - 3], 0);

    let s = summary(&lines);
    assert_eq!(s["offset"].as_u64(), Some(end));
    assert_eq!(s["stopped"], "interrupted");
    assert_eq!(s["shown"].as_u64(), Some(objects.len() as u64));
    assert_eq!(s["full_resyncs"].as_u64(), Some(1));
    assert!(s["lag"]["samples"].as_u64().unwrap() >= 1, "{s}");
    let lag = &of_type(&lines, "lag")[0];
    for key in ["master_offset", "offset", "bytes", "seconds"] {
        assert!(lag.get(key).is_some(), "{lag}");
    }
}

/// A master with 100,000 keys, tailed with `--rdb save`: the file is the
/// master's snapshot (redis-check-rdb reads every key), then commands follow.
fn snapshot_of_100k_keys(diskless: bool) {
    let check = require_tool("redis-check-rdb");
    let sync = if diskless { "yes" } else { "no" };
    let master = quiet_master(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        sync,
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut conn = master.client();
    let _: () = redis::cmd("DEBUG")
        .arg("POPULATE")
        .arg(100_000)
        .query(&mut conn)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.rdb");
    let save = ["--rdb", "save", file.to_str().unwrap()];
    let (lines, _) = tail_json(
        &master,
        &[&save[..], &["--command", "set", "--count", "1"]].concat(),
        |c| set(c, "after", "snapshot"),
    );
    let snap = &of_type(&lines, "snapshot")[0];
    assert_eq!(snap["form"], if diskless { "eof" } else { "length" });
    let size = std::fs::metadata(&file).unwrap().len();
    assert_eq!(snap["bytes"].as_u64(), Some(size));
    assert_eq!(snap["saved"].as_str(), file.to_str());
    assert!(size > 1_000_000, "{size} bytes for 100,000 keys");
    assert_eq!(commands(&lines), vec![vec!["SET", "after", "snapshot"]]);
    let out = std::process::Command::new(check)
        .arg(&file)
        .output()
        .unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "redis-check-rdb: {report}");
    assert!(report.contains("100000 keys read"), "{report}");
}

#[test]
fn disk_snapshot_of_100k_keys_is_saved_whole() {
    snapshot_of_100k_keys(false);
}

#[test]
fn diskless_snapshot_of_100k_keys_is_saved_whole() {
    snapshot_of_100k_keys(true);
}

/// A master with 100,000+ keys of every type in three databases, tailed
/// with `--rdb summary`: the keys counted per database and type while the
/// snapshot streams in are what the master's DBSIZE and SCAN TYPE say, and
/// the checksum the master stored is the one computed over the bytes.
fn summary_of_a_mixed_snapshot(diskless: bool) {
    let sync = if diskless { "yes" } else { "no" };
    let master = quiet_master(&[
        "--repl-diskless-sync",
        sync,
        "--repl-diskless-sync-delay",
        "0",
    ]);
    populate_mixed(&master, &[0, 1, 7], 720);
    let sizes = dbsizes(&master);
    assert_eq!(sizes.keys().copied().collect::<Vec<_>>(), vec![0, 1, 7]);
    assert!(sizes.values().sum::<u64>() >= 100_000, "{sizes:?}");
    let expected: Vec<Value> = sizes
        .iter()
        .map(|(&db, &keys)| {
            let types = type_counts(&master, db);
            assert_eq!(types.len(), 6, "db {db}: {types:?}");
            assert_eq!(types.values().sum::<u64>(), keys, "db {db}: {types:?}");
            serde_json::json!({"db": db, "keys": keys, "types": types})
        })
        .collect();

    let (lines, _) = tail_json(
        &master,
        &["--rdb", "summary", "--command", "set", "--count", "1"],
        |c| set(c, "after", "snapshot"),
    );
    let snap = &of_type(&lines, "snapshot")[0];
    assert_eq!(snap["form"], if diskless { "eof" } else { "length" });
    assert_eq!(snap["saved"], Value::Null);
    assert_eq!(snap["keys"]["databases"], Value::Array(expected));
    let checksum = &snap["checksum"];
    assert_eq!(checksum["status"], "ok", "{snap}");
    assert_eq!(checksum["stored"], checksum["computed"]);
    if !diskless {
        // A disk-based sync sends the master's own BGSAVE file.
        let file = std::fs::read(master.dir().join("dump.rdb")).unwrap();
        assert_eq!(snap["bytes"].as_u64(), Some(file.len() as u64));
        let stored = u64::from_le_bytes(file[file.len() - 8..].try_into().unwrap());
        assert_eq!(checksum["stored"], format!("{stored:#018x}"));
    }
    assert_eq!(commands(&lines), vec![vec!["SET", "after", "snapshot"]]);
    assert_eq!(summary(&lines)["stopped"], "count");
}

#[test]
fn rdb_summary_of_a_disk_snapshot_matches_dbsize_and_types() {
    summary_of_a_mixed_snapshot(false);
}

#[test]
fn rdb_summary_of_a_diskless_snapshot_matches_dbsize_and_types() {
    summary_of_a_mixed_snapshot(true);
}

#[test]
fn killed_link_resumes_with_nothing_lost_or_repeated() {
    let master = quiet_master(&["--repl-diskless-sync", "no"]);
    const N: usize = 3000;
    let count = N.to_string();
    let mut killed = 0;
    let mut end = 0;
    let args = ["--command", "set", "--count", &count, "--lag-interval", "0"];
    let (lines, stderr) = tail_json(&master, &args, |conn| {
        for batch in 0..(N / 100) {
            let mut pipe = redis::pipe();
            for i in batch * 100..(batch + 1) * 100 {
                pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
            }
            let _: () = pipe.query(conn).unwrap();
            if batch % 10 == 4 {
                let n: i64 = redis::cmd("CLIENT")
                    .arg("KILL")
                    .arg("TYPE")
                    .arg("replica")
                    .query(conn)
                    .unwrap();
                killed += n;
            }
        }
        end = master_offset(conn);
    });
    assert!(killed >= 1, "no replica to kill");
    let keys: Vec<String> = commands(&lines).into_iter().map(|c| c[1].clone()).collect();
    let want: Vec<String> = (0..N).map(|i| format!("k{i}")).collect();
    assert!(
        keys == want,
        "lost or repeated commands: {} shown",
        keys.len()
    );
    let syncs = of_type(&lines, "sync");
    assert_eq!(syncs[0]["mode"], "full");
    assert!(
        syncs.len() >= 2,
        "no resync after CLIENT KILL:\n{}",
        lines.join("\n")
    );
    assert!(
        syncs[1..].iter().all(|s| s["mode"] == "partial"),
        "{syncs:?}"
    );
    let disconnects = of_type(&lines, "disconnected");
    assert_eq!(disconnects.len(), syncs.len() - 1);
    let s = summary(&lines);
    assert_eq!(s["offset"].as_u64(), Some(end));
    assert_eq!(s["full_resyncs"].as_u64(), Some(1));
    assert!(
        stderr.contains("warning: master closed the connection"),
        "{stderr}"
    );
}

#[test]
fn resume_file_continues_across_runs_in_the_same_db() {
    let master = quiet_master(&["--repl-diskless-sync", "no"]);
    let mut conn = master.client();
    let dir = tempfile::tempdir().unwrap();
    let resume = dir.path().join("pos.json");
    let resume = resume.to_str().unwrap();
    let args = [
        &master.addr(),
        "--format",
        "json",
        "--resume",
        resume,
        "--command",
        "set",
        "--count",
        "5",
        "--lag-interval",
        "0",
    ];
    let first = TailRun::start(&args);
    wait_online(&mut conn);
    let mut db2 = db_client(&master, 2);
    for i in 0..12 {
        set(&mut db2, &format!("k{i}"), "v");
    }
    let (status, lines, stderr) = first.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let keys = |lines: &[String]| -> Vec<String> {
        commands(lines).into_iter().map(|c| c[1].clone()).collect()
    };
    assert_eq!(keys(&lines), ["k0", "k1", "k2", "k3", "k4"]);
    let saved: Value = serde_json::from_slice(&std::fs::read(resume).unwrap()).unwrap();
    let last = of_type(&lines, "command").last().unwrap()["offset"].as_u64();
    assert_eq!(saved["offset"].as_u64(), last);
    assert_eq!(saved["db"].as_i64(), Some(2));

    // The master does not repeat SELECT when it continues: the db comes
    // from the resume file.
    let (status, lines, stderr) = TailRun::start(&args).finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(of_type(&lines, "sync")[0]["mode"], "partial");
    assert_eq!(keys(&lines), ["k5", "k6", "k7", "k8", "k9"]);
    assert!(of_type(&lines, "command").iter().all(|c| c["db"] == 2));
    assert!(of_type(&lines, "snapshot").is_empty());

    // Table output too, and the rest of the feed.
    let args: Vec<&str> = args.iter().copied().filter(|a| *a != "json").collect();
    let args: Vec<&str> = args.into_iter().filter(|a| *a != "--format").collect();
    let mut table_args = args.clone();
    let five = table_args.iter().position(|a| *a == "5").unwrap();
    table_args[five] = "2";
    let (status, lines, stderr) = TailRun::start(&table_args).finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        lines[0].contains("OFFSET") && lines[0].contains("COMMAND"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("  2  SET") && lines[1].ends_with("k10 v"),
        "{lines:?}"
    );
    assert!(lines[2].ends_with("k11 v"), "{lines:?}");
    assert!(stderr.contains("partial resync"), "{stderr}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("resyncs") && l.contains("0 full, 1 partial"))
    );
}

#[test]
fn ack_never_keeps_a_diskless_stream_waiting() {
    let diskless = [
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ];
    let master = quiet_master(&[&diskless[..], &["--repl-timeout", "3600"]].concat());
    let args = ["--ack", "never", "--duration", "2", "--lag-interval", "0"];
    let (lines, _) = tail_json(&master, &args, |c| set(c, "a", "1"));
    assert_eq!(of_type(&lines, "snapshot").len(), 1);
    assert!(commands(&lines).is_empty(), "{lines:?}");
    assert_eq!(summary(&lines)["stopped"], "duration");
    drop(master);

    // The same master with ACKs: the stream starts.
    let master = quiet_master(&diskless);
    let args = ["--command", "set", "--count", "1"];
    let (lines, _) = tail_json(&master, &args, |c| set(c, "a", "1"));
    assert_eq!(commands(&lines), vec![vec!["SET", "a", "1"]]);
}

#[test]
fn ack_never_on_a_disk_sync_streams_but_never_acknowledges() {
    let master = quiet_master(&["--repl-diskless-sync", "no"]);
    let mut conn = master.client();
    let mut tail = TailRun::start(&[
        &master.addr(),
        "--format",
        "json",
        "--ack",
        "never",
        "--command",
        "set",
        "--count",
        "2",
    ]);
    wait_online(&mut conn);
    set(&mut conn, "a", "1");
    tail.wait_line("\"type\":\"command\"");
    // Only an ACK moves a replica's offset in the master's INFO, and WAIT
    // counts acknowledging replicas only.
    assert_eq!(replica_field(&mut conn, "offset").as_deref(), Some("0"));
    let acked: i64 = redis::cmd("WAIT").arg(1).arg(100).query(&mut conn).unwrap();
    assert_eq!(acked, 0);
    set(&mut conn, "b", "2");
    let (status, lines, stderr) = tail.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(
        commands(&lines),
        vec![vec!["SET", "a", "1"], vec!["SET", "b", "2"]]
    );
}

#[test]
fn getack_is_answered_and_shown_with_all() {
    let master = quiet_master(&["--repl-diskless-sync", "no"]);
    let args = ["--all", "--command", "replconf", "--count", "1"];
    let (lines, _) = tail_json(&master, &args, |c| {
        set(c, "a", "1");
        // WAIT sends REPLCONF GETACK and returns once we answered.
        let acked: i64 = redis::cmd("WAIT").arg(1).arg(0).query(c).unwrap();
        assert_eq!(acked, 1);
    });
    assert_eq!(commands(&lines), vec![vec!["REPLCONF", "GETACK", "*"]]);
}

#[test]
fn filters_by_command_key_and_db() {
    let master = quiet_master(&["--repl-diskless-sync", "no"]);
    let args = [
        "--command",
        "set",
        "--command",
        "DEL",
        "--match",
        "user:[0-9]*",
        "--db",
        "1",
        "--count",
        "2",
    ];
    let (lines, _) = tail_json(&master, &args, |conn| {
        let mut db1 = db_client(&master, 1);
        set(conn, "user:1", "db0");
        set(&mut db1, "user:x", "wrong key");
        set(&mut db1, "order:1", "wrong key");
        let _: i64 = redis::cmd("RPUSH")
            .arg("user:2")
            .arg("x")
            .query(&mut db1)
            .unwrap();
        set(&mut db1, "user:3", "yes");
        let _: i64 = redis::cmd("DEL").arg("user:2").query(&mut db1).unwrap();
    });
    assert_eq!(
        commands(&lines),
        vec![vec!["SET", "user:3", "yes"], vec!["DEL", "user:2"]]
    );
    assert_eq!(summary(&lines)["commands"].as_u64(), Some(8));
}

#[test]
fn authentication_with_password_and_acl_user() {
    let master = quiet_master(&["--repl-diskless-sync", "no"]);
    // Set after start: the fixture's readiness check is an unauthenticated PING.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("s3cret")
        .query(&mut master.client())
        .unwrap();
    let addr = master.addr();
    let err = assert_refused(&[&addr, "--lag-interval", "0"], "NOAUTH");
    assert!(err.contains("pass -a PASSWORD"), "{err}");
    assert_refused(
        &[&addr, "--password", "wrong", "--lag-interval", "0"],
        "WRONGPASS",
    );

    let mut conn = redis::Client::open(format!("redis://:s3cret@127.0.0.1:{}/", master.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("tailer")
        .arg("on")
        .arg(">pw")
        .arg("+@all")
        .arg("~*")
        .query(&mut conn)
        .unwrap();
    for creds in [
        &["--password", "s3cret"][..],
        &["--user", "tailer", "--password", "pw"],
    ] {
        let mut args = vec![master.addr()];
        args.extend(creds.iter().map(|s| s.to_string()));
        args.extend(
            [
                "--format",
                "json",
                "--command",
                "set",
                "--count",
                "1",
                "--lag-interval",
                "0.05",
            ]
            .map(String::from),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut tail = TailRun::start(&args);
        wait_online(&mut conn);
        // The lag connection authenticates the same way.
        tail.wait_line("\"type\":\"lag\"");
        set(&mut conn, "k", "v");
        let (status, lines, stderr) = tail.finish();
        assert_eq!(status.code(), Some(0), "{stderr}");
        assert_eq!(commands(&lines), vec![vec!["SET", "k", "v"]]);
        assert!(!stderr.contains("lag polling"), "{stderr}");
        wait_until("the replica to go", || replica_line(&mut conn).is_none());
    }

    assert_refused(&[&addr, "--user", "tailer"], "--user needs a password");
}

#[test]
fn nomasterlink_is_retried_until_the_master_can_sync() {
    let nowhere = free_port().to_string();
    let master = quiet_master(&["--replicaof", "127.0.0.1", &nowhere]);
    let mut conn = master.client();
    let tail = TailRun::start(&[
        &master.addr(),
        "--format",
        "json",
        "--command",
        "set",
        "--count",
        "1",
    ]);
    tail.wait_stderr("NOMASTERLINK");
    let _: () = redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query(&mut conn)
        .unwrap();
    wait_online(&mut conn);
    set(&mut conn, "k", "v");
    let (status, lines, stderr) = tail.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: master cannot serve a replica yet"),
        "{stderr}"
    );
    assert_eq!(commands(&lines), vec![vec!["SET", "k", "v"]]);
}

/// Read a process's resident memory from /proc, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb * 1024
}

#[test]
fn a_slow_stdout_backpressures_with_lag_and_buffer_warnings() {
    // The replica limit is 4 MiB (soft, for 120 s): we warn at half of it.
    // A backlog that holds the whole test keeps a disconnect harmless.
    let master = quiet_master(&[
        "--repl-diskless-sync",
        "no",
        "--client-output-buffer-limit",
        "replica 256mb 4mb 120",
        "--repl-backlog-size",
        "64mb",
    ]);
    let mut conn = master.client();
    const N: usize = 20_000;
    let count = N.to_string();
    let mut tail = TailRun::start_paused(&[
        &master.addr(),
        "--format",
        "json",
        "--lag-interval",
        "0.1",
        "--max-lag",
        "100000",
        "--command",
        "set",
        "--count",
        &count,
    ]);
    wait_online(&mut conn);
    // 20 MB of commands while nobody reads the tail's stdout.
    let value = "x".repeat(1000);
    for batch in 0..(N / 1000) {
        let mut pipe = redis::pipe();
        for i in batch * 1000..(batch + 1) * 1000 {
            pipe.cmd("SET").arg(format!("k{i}")).arg(&value).ignore();
        }
        let _: () = pipe.query(&mut conn).unwrap();
    }
    tail.wait_stderr("exceeds --max-lag 100000");
    tail.wait_stderr("output buffer limit of 4194304 bytes");
    let resident = rss(tail.child.id());
    assert!(
        resident < 64 * 1024 * 1024,
        "tail holds {resident} bytes while blocked"
    );
    tail.release_stdout();
    let (status, lines, stderr) = tail.finish();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(commands(&lines).len(), N);
    let s = summary(&lines);
    assert_eq!(s["max_lag_exceeded"], true);
    assert!(s["lag"]["max_bytes"].as_u64().unwrap() > 100_000, "{s}");
}

#[test]
fn usage_and_connection_errors() {
    let port = free_port().to_string();
    let addr = format!("127.0.0.1:{port}");
    let err = assert_refused(&[&addr], "cannot connect to");
    assert!(
        err.starts_with(&format!(
            "sonde: cannot connect to {addr}: Connection refused"
        )),
        "{err}"
    );
    for (args, needle) in [
        (&["host:port"][..], "invalid address \"host:port\""),
        (&[&addr, "--rdb", "save"], "--rdb save needs a FILE"),
        (
            &[&addr, "--rdb", "bogus"],
            "expected `skip`, `summary` or `save FILE`",
        ),
        (
            &[&addr, "--rdb", "summary", "x"],
            "--rdb summary takes no FILE",
        ),
        (&[&addr, "--duration", "0"], "must be more than 0"),
        (&[&addr, "--count", "0"], "--count"),
        (&[&addr, "--lag-interval", "x"], "not a number of seconds"),
        (
            &[&addr, "--lag-interval", "0", "--max-lag", "1"],
            "--max-lag needs lag polling",
        ),
    ] {
        assert_refused(args, needle);
    }
    let dir = tempfile::tempdir().unwrap();
    let resume = dir.path().join("bad.json");
    std::fs::write(&resume, b"{not json").unwrap();
    assert_refused(
        &[&addr, "--resume", resume.to_str().unwrap()],
        "is not a resume file",
    );
}

/// A peer on a free port that answers a replica's handshake (PING, two
/// REPLCONFs, PSYNC) as a master would, then sends `after_psync` and waits
/// for the replica to hang up.
fn scripted_master(after_psync: Vec<u8>) -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        // PING, then AUTH-less REPLCONF x2, then PSYNC.
        for (wait_for, reply) in [
            (&b"PING"[..], &b"+PONG\r\n"[..]),
            (b"psync2", b"+OK\r\n+OK\r\n"),
            (b"PSYNC", &after_psync[..]),
        ] {
            while !seen.windows(wait_for.len()).any(|w| w == wait_for) {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "sonde hung up");
                seen.extend_from_slice(&buf[..n]);
            }
            seen.clear();
            conn.write_all(reply).unwrap();
        }
        while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
    });
    (port, peer)
}

/// A peer that is not a Redis master: it answers the handshake, then sends
/// an integer where a command must be. The tail reports where (exit 1).
#[test]
fn a_malformed_feed_is_reported_with_its_offset() {
    let (port, peer) = scripted_master(
        b"+FULLRESYNC 0123456789012345678901234567890123456789 7\r\n\n$5\r\nREDIS\
          *1\r\n$4\r\nPING\r\n:1\r\n"
            .to_vec(),
    );
    let out = run(
        &[
            "replica",
            "tail",
            &format!("127.0.0.1:{port}"),
            "--format",
            "json",
            "--lag-interval",
            "0",
        ],
        b"",
    );
    peer.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("at replication offset 21") && err.contains("found integer"),
        "{err}"
    );
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(summary(&lines)["stopped"], "protocol_error");
    assert_eq!(summary(&lines)["offset"].as_u64(), Some(21));
}

/// `--rdb summary` on a snapshot that is not a valid RDB image: the tail
/// names the error kind and the byte offset in the payload, and stops with
/// exit 1.
#[test]
fn a_corrupt_snapshot_is_reported_with_its_kind_and_offset() {
    // SELECTDB 0, a string key, then value type 99 at payload byte 16.
    let payload = b"REDIS0010\xfe\x00\x00\x01k\x01v\x63\x01k";
    let mut reply = b"+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n".to_vec();
    reply.extend_from_slice(format!("${}\r\n", payload.len()).as_bytes());
    reply.extend_from_slice(payload);
    let (port, peer) = scripted_master(reply);
    let out = run(
        &[
            "--format",
            "json",
            "replica",
            "tail",
            &format!("127.0.0.1:{port}"),
            "--rdb",
            "summary",
            "--lag-interval",
            "0",
        ],
        b"",
    );
    peer.join().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "corrupt snapshot: unknown value type or opcode 99 (at byte 16) (unknown_type)"
        ),
        "{err}"
    );
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert!(of_type(&lines, "snapshot").is_empty(), "{lines:?}");
    assert_eq!(summary(&lines)["stopped"], "corrupt_snapshot");
}

/// `sonde replica tail ... | head`: a closed stdout ends the run with
/// status 0; it is not a link failure to retry.
#[test]
fn a_closed_stdout_ends_the_tail_quietly() {
    let master = quiet_master(&["--repl-diskless-sync", "no"]);
    let mut conn = master.client();
    let mut child = sonde()
        .args([
            "replica",
            "tail",
            &master.addr(),
            "--format",
            "json",
            "--lag-interval",
            "0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"type\":\"sync\""), "{first}");
    // The next line (the snapshot's, or a command's) finds the pipe closed.
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        set(&mut conn, "k", "v");
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the tail kept running with stdout closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("reconnecting"), "{stderr}");
}

#[test]
fn metrics_port_serves_offsets_lag_throughput_and_hot_keys() {
    use crate::common::prometheus::{scrape, value};
    let master = quiet_master(&[]);
    let metrics_port = free_port();
    let port = metrics_port.to_string();
    let tail = TailRun::start(&[
        &master.addr(),
        "--format",
        "json",
        "--metrics-port",
        &port,
        "--lag-interval",
        "0.2",
    ]);
    let mut conn = master.client();
    wait_online(&mut conn);
    for i in 0..30 {
        set(&mut conn, "hot:key", &i.to_string());
    }
    for i in 0..5 {
        set(&mut conn, &format!("cold:{i}"), "v");
    }
    let _: i64 = redis::cmd("INCR").arg("counter").query(&mut conn).unwrap();
    let target = master_offset(&mut conn) as f64;
    let mut last = None;
    wait_until("the metrics page to reach the master's offset", || {
        last = scrape(metrics_port);
        last.as_ref().is_some_and(|s| {
            value(s, "sonde_replica_tail_offset", &[]) == Some(target)
                && value(s, "sonde_replica_tail_master_offset", &[]) == Some(target)
                && value(s, "sonde_replica_tail_lag_bytes", &[]) == Some(0.0)
        })
    });
    let s = last.unwrap();
    let get = |name: &str, labels: &[(&str, &str)]| {
        value(&s, name, labels).unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
    };
    assert_eq!(get("sonde_replica_tail_streaming", &[]), 1.0);
    assert_eq!(
        get(
            "sonde_replica_tail_command_calls_total",
            &[("command", "SET")]
        ),
        35.0
    );
    assert_eq!(
        get(
            "sonde_replica_tail_command_calls_total",
            &[("command", "INCR")]
        ),
        1.0
    );
    assert!(get("sonde_replica_tail_commands_shown_total", &[]) >= 36.0);
    assert!(get("sonde_replica_tail_frames_total", &[]) >= 36.0);
    assert!(get("sonde_replica_tail_bytes_total", &[]) > 36.0 * 20.0);
    assert_eq!(get("sonde_replica_tail_full_resyncs_total", &[]), 1.0);
    assert_eq!(get("sonde_replica_tail_disconnects_total", &[]), 0.0);
    assert!(get("sonde_replica_tail_commands_per_second", &[]) >= 0.0);
    assert_eq!(
        get("sonde_replica_tail_hot_key_commands", &[("key", "hot:key")]),
        30.0
    );
    assert_eq!(
        get("sonde_replica_tail_hot_key_commands", &[("key", "counter")]),
        1.0
    );
    assert!(
        s.docs.contains_key("sonde_replica_tail_lag_seconds"),
        "{:?}",
        s.docs
    );
    tail.interrupt();
    let (status, _, stderr) = tail.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("metrics at http://127.0.0.1:{port}/metrics")),
        "{stderr}"
    );
}
