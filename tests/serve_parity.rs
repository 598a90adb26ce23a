//! Behaviours of redis-server that Redis's own test suite checks, run on a
//! real redis-server and on `sonde serve` side by side with the same
//! assertions: the AOF after a rewrite, `#TS:` annotations, the old-style
//! AOF upgrade, SHUTDOWN ABORT and a second SIGINT, TYPE/EXISTS/TTL not
//! touching a key, the slow log of a served blocking command, empty
//! collections in a snapshot.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::redis_server::require_tool;
use crate::common::{RedisServer, SondeServer, free_port};

/// One of the two servers under the same test.
enum Server {
    Redis(RedisServer),
    Sonde(SondeServer),
}

impl Server {
    fn both(extra: &[&str]) -> [Server; 2] {
        [
            Server::Redis(RedisServer::start(extra)),
            Server::Sonde(SondeServer::start(extra)),
        ]
    }

    fn name(&self) -> &'static str {
        match self {
            Server::Redis(_) => "redis-server",
            Server::Sonde(_) => "sonde",
        }
    }

    fn client(&self) -> redis::Connection {
        match self {
            Server::Redis(r) => r.client(),
            Server::Sonde(s) => s.client(),
        }
    }

    fn dir(&self) -> &Path {
        match self {
            Server::Redis(r) => r.dir(),
            Server::Sonde(s) => s.dir.path(),
        }
    }
}

fn q<T: redis::FromRedisValue>(conn: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(conn)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn info_field(conn: &mut redis::Connection, section: &str, name: &str) -> String {
    let info: String = q(conn, &["INFO", section]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
        .trim()
        .to_owned()
}

fn wait_rewrite(conn: &mut redis::Connection) {
    wait_until("the AOF rewrite", || {
        info_field(conn, "persistence", "aof_rewrite_in_progress") == "0"
            && info_field(conn, "persistence", "aof_rewrite_scheduled") == "0"
    });
}

#[test]
fn debug_loadaof_right_after_a_rewrite_keeps_every_write() {
    for server in Server::both(&["--enable-debug-command", "yes", "--appendonly", "yes"]) {
        let mut c = server.client();
        wait_rewrite(&mut c);
        // The writes are acknowledged before the writer thread has them on
        // disk: DEBUG LOADAOF must read them back all the same.
        for round in 0..15 {
            let _: String = q(&mut c, &["BGREWRITEAOF"]);
            wait_rewrite(&mut c);
            let key = format!("k{round}");
            let _: () = q(&mut c, &["SET", &key, "v"]);
            let before: String = q(&mut c, &["DEBUG", "DIGEST"]);
            let _: () = q(&mut c, &["DEBUG", "LOADAOF"]);
            let after: String = q(&mut c, &["DEBUG", "DIGEST"]);
            assert_eq!(after, before, "{}: round {round}", server.name());
        }
    }
}

fn incr_files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("appendonlydir"))
        .expect("aof dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

#[test]
fn aof_timestamp_enabled_writes_ts_annotations() {
    for server in Server::both(&["--appendonly", "yes"]) {
        let mut c = server.client();
        wait_rewrite(&mut c);
        let _: () = q(&mut c, &["CONFIG", "SET", "aof-timestamp-enabled", "yes"]);
        let _: () = q(&mut c, &["CONFIG", "SET", "aof-use-rdb-preamble", "no"]);
        let _: () = q(&mut c, &["SET", "foo", "bar"]);
        let incr = incr_files(server.dir(), ".incr.aof");
        let first_line = |path: &Path| {
            wait_until("the AOF write", || {
                std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
            });
            let text = std::fs::read(path).expect("read aof");
            String::from_utf8_lossy(text.split(|&b| b == b'\n').next().unwrap_or_default())
                .into_owned()
        };
        let line = first_line(incr.last().expect("an incr file"));
        assert!(line.starts_with("#TS:"), "{}: {line:?}", server.name());
        let _: String = q(&mut c, &["BGREWRITEAOF"]);
        wait_rewrite(&mut c);
        let base = incr_files(server.dir(), ".base.aof");
        let line = first_line(base.last().expect("a base file"));
        assert!(line.starts_with("#TS:"), "{}: {line:?}", server.name());
        // And the annotated files load back.
        let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
        let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        wait_rewrite(&mut c);
        let value: String = q(&mut c, &["GET", "foo"]);
        assert_eq!(value, "bar");
    }
}

/// Start `program` in `dir` with `args`, its stdout in `dir/out.log`.
fn spawn_in(program: &(&str, PathBuf, &[&str]), dir: &Path, args: &[&str]) -> (Child, u16) {
    let port = free_port();
    let out = std::fs::File::create(dir.join("out.log")).expect("log");
    let child = Command::new(&program.1)
        .args(program.2)
        .current_dir(dir)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--logfile", ""])
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    (child, port)
}

/// The two programs, with the arguments that come first (sonde's `serve`).
fn programs() -> [(&'static str, PathBuf, &'static [&'static str]); 2] {
    [
        ("redis-server", require_tool("redis-server"), &[]),
        (
            "sonde",
            PathBuf::from(env!("CARGO_BIN_EXE_sonde")),
            &["serve"],
        ),
    ]
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("the server did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn connect(port: u16, child: &mut Child) -> redis::Connection {
    assert!(
        crate::common::redis_server::wait_for_ping(port, child, Duration::from_secs(10)),
        "the server did not start"
    );
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection())
        .expect("connect")
}

#[test]
fn an_interrupted_old_style_aof_upgrade_is_finished_and_a_long_manifest_line_refused() {
    for program in programs() {
        let name = program.0;
        let dir = tempfile::tempdir().expect("temp dir");
        // The manifest names the old file as the base, but the file is
        // still beside the directory: the upgrade stopped before the move.
        std::fs::create_dir(dir.path().join("appendonlydir")).expect("mkdir");
        std::fs::write(
            dir.path().join("appendonly.aof"),
            "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$2\r\nv1\r\n",
        )
        .expect("aof");
        std::fs::write(
            dir.path().join("appendonlydir/appendonly.aof.manifest"),
            "file appendonly.aof seq 1 type b\n",
        )
        .expect("manifest");
        let (mut child, port) = spawn_in(&program, dir.path(), &["--appendonly", "yes"]);
        let mut c = connect(port, &mut child);
        let value: String = q(&mut c, &["GET", "k1"]);
        assert_eq!(value, "v1", "{name}");
        assert!(!dir.path().join("appendonly.aof").exists(), "{name}");
        assert!(
            dir.path().join("appendonlydir/appendonly.aof").exists(),
            "{name}"
        );
        let _ = child.kill();
        let _ = child.wait();

        // A manifest line over 1023 bytes is refused, with Redis's words.
        let long = "file appendonly.aof seq 1 type b ".repeat(40);
        std::fs::write(
            dir.path().join("appendonlydir/appendonly.aof.manifest"),
            format!("{long}\n"),
        )
        .expect("manifest");
        let (mut child, _) = spawn_in(&program, dir.path(), &["--appendonly", "yes"]);
        let status = wait_exit(&mut child);
        assert!(!status.success(), "{name}");
        let out = std::fs::read_to_string(dir.path().join("out.log")).unwrap_or_default();
        assert!(
            out.contains("The AOF manifest file contains too long line"),
            "{name}: {out}"
        );
    }
}

#[test]
fn a_damaged_aof_is_named_in_redis_words() {
    for program in programs() {
        let name = program.0;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("appendonly.aof"),
            "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$2\r\nv1\r\n!!!",
        )
        .expect("aof");
        let (mut child, _) = spawn_in(&program, dir.path(), &["--appendonly", "yes"]);
        assert!(!wait_exit(&mut child).success(), "{name}");
        let out = std::fs::read_to_string(dir.path().join("out.log")).unwrap_or_default();
        let last = out.lines().last().unwrap_or_default();
        assert!(
            last.contains("Bad file format reading the append only file"),
            "{name}: {out}"
        );
    }
}

fn signal(port_conn: &mut redis::Connection, sig: libc::c_int) -> i32 {
    let pid: i32 = info_field(port_conn, "server", "process_id")
        .parse()
        .expect("pid");
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    pid
}

#[test]
fn shutdown_abort_cancels_a_signal_and_a_second_sigint_exits_at_once() {
    for program in programs() {
        let name = program.0;
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut child, port) = spawn_in(&program, dir.path(), &["--enable-debug-command", "yes"]);
        let mut c = connect(port, &mut child);
        let err = redis::cmd("SHUTDOWN")
            .arg("ABORT")
            .query::<()>(&mut c)
            .expect_err("nothing to abort");
        assert!(
            err.to_string().contains("No shutdown in progress"),
            "{name}: {err}"
        );
        // While the cron is paused the signal waits; SHUTDOWN ABORT drops it.
        let _: () = q(&mut c, &["DEBUG", "PAUSE-CRON", "1"]);
        signal(&mut c, libc::SIGTERM);
        std::thread::sleep(Duration::from_millis(50));
        let _: () = q(&mut c, &["SHUTDOWN", "ABORT"]);
        let _: () = q(&mut c, &["DEBUG", "PAUSE-CRON", "0"]);
        std::thread::sleep(Duration::from_millis(300));
        let pong: String = q(&mut c, &["PING"]);
        assert_eq!(pong, "PONG", "{name}");
        let out = std::fs::read_to_string(dir.path().join("out.log")).unwrap_or_default();
        assert!(out.contains("Shutdown manually aborted"), "{name}: {out}");

        // A signal asks for the final snapshot (slow here); a second SIGINT
        // ends the process and removes the half-written file.
        for i in 0..20 {
            let _: () = q(&mut c, &["SET", &i.to_string(), "x"]);
        }
        let _: () = q(&mut c, &["CONFIG", "SET", "save", "900 1"]);
        let _: () = q(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "100000"]);
        let pid = signal(&mut c, libc::SIGINT);
        let temp = dir.path().join(format!("temp-{pid}.rdb"));
        wait_until("the temporary snapshot", || temp.exists());
        // SAFETY: as above.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        let status = wait_exit(&mut child);
        assert_eq!(status.code(), Some(1), "{name}");
        assert!(!temp.exists(), "{name}: the temporary file stays");
    }
}

#[test]
fn type_exists_and_ttl_leave_the_access_time() {
    let servers = Server::both(&[]);
    let mut conns: Vec<redis::Connection> = servers.iter().map(Server::client).collect();
    for c in &mut conns {
        let _: () = q(c, &["SET", "foo", "bar"]);
        let _: () = q(c, &["SET", "touched", "bar"]);
    }
    std::thread::sleep(Duration::from_millis(2100));
    for (server, c) in servers.iter().zip(&mut conns) {
        let _: i64 = q(c, &["TTL", "foo"]);
        let _: String = q(c, &["TYPE", "foo"]);
        let _: i64 = q(c, &["EXISTS", "foo"]);
        let _: i64 = q(c, &["TOUCH", "touched"]);
        let idle: i64 = q(c, &["OBJECT", "IDLETIME", "foo"]);
        assert!(idle >= 2, "{}: {idle}", server.name());
        let idle: i64 = q(c, &["OBJECT", "IDLETIME", "touched"]);
        assert!(idle < 2, "{}: {idle}", server.name());
    }
}

#[test]
fn the_slow_log_shows_a_served_blocking_command_as_it_was_sent() {
    for server in Server::both(&["--slowlog-log-slower-than", "0"]) {
        let mut c = server.client();
        let mut waiter = server.client();
        let handle = std::thread::spawn(move || {
            let popped: Vec<String> = q(&mut waiter, &["BLPOP", "l", "0"]);
            popped
        });
        wait_until("the client to block", || {
            info_field(&mut c, "clients", "blocked_clients") == "1"
        });
        redis::pipe()
            .cmd("MULTI")
            .cmd("LPUSH")
            .arg("l")
            .arg("foo")
            .cmd("SLOWLOG")
            .arg("RESET")
            .cmd("EXEC")
            .query::<()>(&mut c)
            .expect("transaction");
        assert_eq!(handle.join().expect("waiter"), ["l", "foo"]);
        let log: Vec<redis::Value> = q(&mut c, &["SLOWLOG", "GET"]);
        let newest = format!("{:?}", log.first().expect("an entry")).to_lowercase();
        assert!(newest.contains("\"blpop\""), "{}: {newest}", server.name());
    }
}

/// A snapshot holding a key `s` that is an empty set (type 2, no members)
/// and a string `k`: what old versions could leave behind.
fn snapshot_with_an_empty_set() -> Vec<u8> {
    let mut rdb = b"REDIS0009".to_vec();
    rdb.extend_from_slice(&[0xFE, 0x00]); // SELECTDB 0
    rdb.extend_from_slice(&[0x02, 0x01, b's', 0x00]); // set "s", 0 members
    rdb.extend_from_slice(&[0x00, 0x01, b'k', 0x01, b'v']); // string "k"
    rdb.push(0xFF);
    rdb.extend_from_slice(&[0; 8]); // no checksum
    rdb
}

#[test]
fn empty_collections_in_a_snapshot_are_skipped_and_logged() {
    for program in programs() {
        let name = program.0;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("dump.rdb"), snapshot_with_an_empty_set()).expect("rdb");
        let (mut child, port) = spawn_in(&program, dir.path(), &[]);
        let mut c = connect(port, &mut child);
        let size: i64 = q(&mut c, &["DBSIZE"]);
        assert_eq!(size, 1, "{name}");
        let out = std::fs::read_to_string(dir.path().join("out.log")).unwrap_or_default();
        assert!(out.contains("skipping empty key: s"), "{name}: {out}");
        assert!(out.contains("empty keys skipped: 1"), "{name}: {out}");
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn manifest(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest"))
        .expect("manifest")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bgrewriteaof_with_the_aof_off_writes_a_base_and_leaves_it_off() {
    for server in Server::both(&["--enable-debug-command", "yes", "--appendonly", "yes"]) {
        let name = server.name();
        let mut c = server.client();
        wait_rewrite(&mut c);
        let _: () = q(&mut c, &["SET", "a", "1"]);
        let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
        let _: () = q(&mut c, &["SET", "b", "2"]);
        let _: String = q(&mut c, &["BGREWRITEAOF"]);
        wait_rewrite(&mut c);
        assert_eq!(
            info_field(&mut c, "persistence", "aof_enabled"),
            "0",
            "{name}"
        );
        // Only the new base is left: the INCR files became history.
        assert_eq!(
            manifest(server.dir()),
            ["file appendonly.aof.2.base.rdb seq 2 type b"],
            "{name}"
        );
        // DEBUG LOADAOF reads what the manifest names, AOF on or off.
        let _: () = q(&mut c, &["SET", "c", "3"]);
        let _: () = q(&mut c, &["DEBUG", "LOADAOF"]);
        let keys: i64 = q(&mut c, &["DBSIZE"]);
        assert_eq!(keys, 2, "{name}");
        let _: () = q(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        wait_rewrite(&mut c);
        assert_eq!(
            manifest(server.dir()),
            [
                "file appendonly.aof.3.base.rdb seq 3 type b",
                "file appendonly.aof.1.incr.aof seq 1 type i"
            ],
            "{name}"
        );
    }
}

#[test]
fn turning_aof_auto_gc_back_on_deletes_the_history_at_once() {
    for server in Server::both(&["--appendonly", "yes", "--aof-disable-auto-gc", "yes"]) {
        let name = server.name();
        let mut c = server.client();
        wait_rewrite(&mut c);
        for _ in 0..2 {
            let _: String = q(&mut c, &["BGREWRITEAOF"]);
            wait_rewrite(&mut c);
        }
        let kept = manifest(server.dir());
        assert!(
            kept.iter().any(|l| l.ends_with("type h")),
            "{name}: {kept:?}"
        );
        let _: () = q(&mut c, &["CONFIG", "SET", "aof-disable-auto-gc", "no"]);
        let now = manifest(server.dir());
        assert_eq!(now.len(), 2, "{name}: {now:?}");
        wait_until("the history files to go", || {
            std::fs::read_dir(server.dir().join("appendonlydir"))
                .expect("aof dir")
                .count()
                == 3
        });
    }
}
