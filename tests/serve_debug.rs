//! `sonde serve` as a drop-in redis-server for operators and test suites:
//! DEBUG DIGEST equal to redis-server's on the same data, latency
//! tracking, CONFIG SET port moving the listener, the unix socket, the
//! crash report and oom-score-adj.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::keyspace::populate_mixed;
use crate::common::redis_server::require_tool;
use crate::common::{RedisServer, SondeServer, free_port};

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
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn debug_digest_equals_redis_servers_on_the_same_snapshot() {
    let redis = RedisServer::start(&["--enable-debug-command", "yes"]);
    populate_mixed(&redis, &[0, 3], 2);
    let mut r = redis.client();
    let mut keys: Vec<Vec<u8>> = q(&mut r, &["KEYS", "*"]);
    keys.sort();
    let _: () = q(&mut r, &["SELECT", "0"]);
    // Big encodings too: a hash table hash, a skiplist zset, a float score.
    let _: i64 = q(
        &mut r,
        &["ZADD", "z:float", "0.1", "a", "-2.5e-7", "b", "inf", "c"],
    );
    keys.push(b"z:float".to_vec());
    let _: () = q(&mut r, &["SAVE"]);
    let expected: String = q(&mut r, &["DEBUG", "DIGEST"]);
    let expected_values: Vec<String> = {
        let mut cmd = redis::cmd("DEBUG");
        cmd.arg("DIGEST-VALUE").arg(&keys).arg("no-such-key");
        cmd.query(&mut r).expect("DIGEST-VALUE")
    };
    assert_ne!(expected, "0".repeat(40));

    let sonde = SondeServer::start(&["--enable-debug-command", "yes"]);
    std::fs::copy(
        redis.dir().join("dump.rdb"),
        sonde.dir.path().join("dump.rdb"),
    )
    .expect("copy dump.rdb");
    let mut s = sonde.client();
    let _: () = q(&mut s, &["DEBUG", "RELOAD", "NOSAVE"]);
    let actual: String = q(&mut s, &["DEBUG", "DIGEST"]);
    assert_eq!(actual, expected, "dataset digest");
    let actual_values: Vec<String> = {
        let mut cmd = redis::cmd("DEBUG");
        cmd.arg("DIGEST-VALUE").arg(&keys).arg("no-such-key");
        cmd.query(&mut s).expect("DIGEST-VALUE")
    };
    for ((key, want), got) in keys.iter().zip(&expected_values).zip(&actual_values) {
        assert_eq!(
            got,
            want,
            "DIGEST-VALUE of {}",
            String::from_utf8_lossy(key)
        );
    }
    assert_eq!(
        actual_values.last().map(String::as_str),
        Some(&*"0".repeat(40))
    );

    // Any change moves it; the empty dataset is all zeros, as Redis's.
    let _: () = q(&mut s, &["SET", "one-more", "x"]);
    let changed: String = q(&mut s, &["DEBUG", "DIGEST"]);
    assert_ne!(changed, expected);
    let _: () = q(&mut s, &["FLUSHALL"]);
    let empty: String = q(&mut s, &["DEBUG", "DIGEST"]);
    assert_eq!(empty, "0".repeat(40));
}

#[test]
fn latency_histogram_and_latencystats_follow_latency_tracking() {
    let sonde = SondeServer::start(&["--enable-debug-command", "yes"]);
    let mut c = sonde.client();
    let _: () = q(&mut c, &["CONFIG", "RESETSTAT"]);
    let _: () = q(&mut c, &["SET", "a", "b"]);
    let _: () = q(&mut c, &["SET", "c", "d"]);
    let _: i64 = q(&mut c, &["CLIENT", "ID"]);
    let histo: redis::Value = q(&mut c, &["LATENCY", "HISTOGRAM", "set", "client", "nosuch"]);
    let text = format!("{histo:?}");
    assert!(text.contains("set") && text.contains("client|id"), "{text}");
    assert!(
        text.contains("calls") && text.contains("histogram_usec"),
        "{text}"
    );
    let info: String = q(&mut c, &["INFO", "latencystats"]);
    assert!(info.contains("latency_percentiles_usec_set:p50="), "{info}");
    assert!(info.contains(",p99=") && info.contains(",p99.9="), "{info}");

    // DEBUG is one command, as in Redis: a 50 ms sleep shows as ≥ 50000 µs.
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "latency-tracking-info-percentiles", "50.0"],
    );
    let _: () = q(&mut c, &["DEBUG", "SLEEP", "0.05"]);
    let info: String = q(&mut c, &["INFO", "latencystats"]);
    let p50: f64 = info
        .lines()
        .find_map(|l| l.strip_prefix("latency_percentiles_usec_debug:p50="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no debug line in {info}"));
    assert!(p50 >= 50_000.0, "{p50}");

    let _: () = q(&mut c, &["CONFIG", "SET", "latency-tracking", "no"]);
    let _: () = q(&mut c, &["CONFIG", "RESETSTAT"]);
    let _: () = q(&mut c, &["SET", "a", "b"]);
    let info: String = q(&mut c, &["INFO", "latencystats"]);
    assert!(!info.contains("latency_percentiles_usec_set"), "{info}");
}

#[test]
fn config_set_port_moves_the_listener_and_a_taken_port_keeps_it() {
    let sonde = SondeServer::start(&[]);
    let mut c = sonde.client();
    let new_port = free_port();
    let _: () = q(&mut c, &["CONFIG", "SET", "port", &new_port.to_string()]);
    let url = format!("redis://127.0.0.1:{new_port}/");
    let mut moved = redis::Client::open(url.as_str())
        .and_then(|cl| cl.get_connection())
        .expect("connect on the new port");
    let pong: String = q(&mut moved, &["PING"]);
    assert_eq!(pong, "PONG");
    wait_until("the old port to close", || {
        std::net::TcpStream::connect(("127.0.0.1", sonde.port)).is_err()
    });
    // A port in use: an error, the listener stays where it was.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken_port = taken.local_addr().expect("addr").port();
    let err = redis::cmd("CONFIG")
        .arg("SET")
        .arg("port")
        .arg(taken_port)
        .query::<()>(&mut moved)
        .expect_err("port in use");
    assert!(
        err.to_string().contains("Unable to listen on this port"),
        "{err}"
    );
    let err = redis::cmd("CONFIG")
        .arg("SET")
        .arg("bind")
        .arg("999.999.999.999")
        .query::<()>(&mut moved)
        .expect_err("bad address");
    assert!(
        err.to_string()
            .contains("Failed to bind to specified addresses"),
        "{err}"
    );
    let mut again = redis::Client::open(url.as_str())
        .and_then(|cl| cl.get_connection())
        .expect("still on the new port");
    let port: Vec<String> = q(&mut again, &["CONFIG", "GET", "port"]);
    assert_eq!(port, vec!["port".to_owned(), new_port.to_string()]);
}

#[test]
fn config_set_bind_rebinds_the_same_port_and_bind_empty_listens_on_no_address() {
    let cli = require_tool("redis-cli");
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("sonde.sock");
    let socket_text = socket.to_str().expect("utf-8 path");
    let sonde = SondeServer::start(&["--unixsocket", socket_text]);
    let tcp_up = || std::net::TcpStream::connect(("127.0.0.1", sonde.port)).is_ok();
    let mut c = sonde.client();
    // The same address and port as the listener's: it closes first.
    let _: () = q(&mut c, &["CONFIG", "SET", "bind", "127.0.0.1 -::1"]);
    let mut again = sonde.client();
    let bind: Vec<String> = q(&mut again, &["CONFIG", "GET", "bind"]);
    assert_eq!(bind, vec!["bind".to_owned(), "127.0.0.1 -::1".to_owned()]);
    // No address: no TCP listener; the unix socket still serves.
    let _: () = q(&mut again, &["CONFIG", "SET", "bind", ""]);
    wait_until("the TCP listener to close", || !tcp_up());
    let cli_run = |args: &[&str]| {
        let out = Command::new(&cli)
            .arg("-s")
            .arg(&socket)
            .args(args)
            .output()
            .expect("run redis-cli");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(cli_run(&["CONFIG", "GET", "bind"]), "bind");
    assert_eq!(cli_run(&["CONFIG", "SET", "bind", "127.0.0.1"]), "OK");
    let mut back = sonde.client();
    let pong: String = q(&mut back, &["PING"]);
    assert_eq!(pong, "PONG");
}

#[test]
fn unixsocket_serves_redis_cli_dash_s() {
    let cli = require_tool("redis-cli");
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("sonde.sock");
    let socket_text = socket.to_str().expect("utf-8 path");
    let sonde = SondeServer::start(&["--unixsocket", socket_text, "--unixsocketperm", "700"]);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&socket)
            .expect("socket file")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o700);
    let run = |args: &[&str]| {
        let out = Command::new(&cli)
            .arg("-s")
            .arg(&socket)
            .args(args)
            .output()
            .expect("run redis-cli");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(run(&["SET", "k", "over-unix"]), "OK");
    let mut tcp = sonde.client();
    let value: String = q(&mut tcp, &["GET", "k"]);
    assert_eq!(value, "over-unix");
    let list = run(&["CLIENT", "INFO"]);
    assert!(list.contains(&format!("addr={socket_text}:0")), "{list}");
    drop(sonde);
}

#[test]
fn debug_segfault_leaves_a_crash_report_in_the_log() {
    let mut sonde = SondeServer::start(&["--enable-debug-command", "yes"]);
    let mut c = sonde.client();
    let _ = redis::cmd("DEBUG").arg("SEGFAULT").query::<()>(&mut c);
    let status = sonde.child().wait().expect("wait");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGSEGV)
    );
    let log = sonde.log();
    assert!(log.contains("crashed by signal: 11"), "{log}");
}

#[test]
fn oom_score_adj_sets_the_process_score_by_mode() {
    let mut sonde = SondeServer::start(&[]);
    let pid = sonde.child().id();
    let path = format!("/proc/{pid}/oom_score_adj");
    let read = || -> i64 {
        std::fs::read_to_string(&path)
            .expect("oom_score_adj")
            .trim()
            .parse()
            .expect("number")
    };
    let base = read();
    let mut c = sonde.client();
    let _: () = q(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "oom-score-adj-values",
            "10 20 30",
            "oom-score-adj",
            "yes",
        ],
    );
    assert_eq!(read(), base + 10);
    let _: () = q(&mut c, &["CONFIG", "SET", "oom-score-adj", "absolute"]);
    assert_eq!(read(), 10);
    let _: () = q(&mut c, &["CONFIG", "SET", "oom-score-adj", "no"]);
    assert_eq!(read(), base);
    let err = redis::cmd("CONFIG")
        .arg("SET")
        .arg("oom-score-adj-values")
        .arg("2001 2001 2001")
        .query::<()>(&mut c)
        .expect_err("out of range");
    assert!(err.to_string().contains("between -2000 and 2000"), "{err}");
}

#[test]
fn redis_cli_functions_rdb_gets_the_libraries_without_the_keys() {
    let cli = require_tool("redis-cli");
    let sonde = SondeServer::start(&[]);
    let mut c = sonde.client();
    let _: () = q(&mut c, &["SET", "k", "v"]);
    let lib: String = q(
        &mut c,
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=lib1\nredis.register_function('func1', function() return 123 end)",
        ],
    );
    assert_eq!(lib, "lib1");
    let out_dir = tempfile::tempdir().expect("temp dir");
    let file = out_dir.path().join("dump.rdb");
    let out = Command::new(&cli)
        .args(["-p", &sonde.port.to_string(), "--functions-rdb"])
        .arg(&file)
        .output()
        .expect("run redis-cli");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Transfer finished with success"), "{err}");
    // The server is still up and its data untouched.
    let keys: u64 = q(&mut c, &["DBSIZE"]);
    assert_eq!(keys, 1);
    // The file loads: the library, no key.
    let again = SondeServer::start(&["--dir", out_dir.path().to_str().expect("utf-8 path")]);
    let mut d = again.client();
    let keys: u64 = q(&mut d, &["DBSIZE"]);
    assert_eq!(keys, 0);
    let func: i64 = q(&mut d, &["FCALL", "func1", "0"]);
    assert_eq!(func, 123);
}

/// DEBUG HTSTATS, and Redis's resize policy: while a fork child shares the
/// server's pages a table does not grow (unless far out of shape), and it
/// grows at the first write after the child is gone. The table sizes must
/// be redis-server's at each step.
#[test]
fn tables_wait_for_the_fork_child_before_growing_as_in_redis_server() {
    fn table_sizes(c: &mut redis::Connection) -> String {
        let stats: String = q(c, &["DEBUG", "HTSTATS", "0"]);
        assert!(stats.starts_with("[Dictionary HT]\n"), "{stats}");
        stats
            .lines()
            .filter(|l| l.contains("table size"))
            .collect::<Vec<_>>()
            .join(",")
    }
    fn bgsave_running(c: &mut redis::Connection) -> bool {
        let info: String = q(c, &["INFO", "persistence"]);
        info.contains("rdb_bgsave_in_progress:1")
    }
    fn steps(c: &mut redis::Connection) -> Vec<String> {
        let _: () = q(c, &["CONFIG", "SET", "save", ""]);
        let _: () = q(c, &["CONFIG", "SET", "rdb-key-save-delay", "1000000"]);
        let _: () = q(c, &["DEBUG", "POPULATE", "4096"]);
        let mut out = vec![table_sizes(c)];
        let _: String = q(c, &["BGSAVE"]);
        wait_until("the BGSAVE child", || bgsave_running(c));
        let _: () = q(c, &["MSET", "k1", "v1", "k2", "v2"]);
        out.push(table_sizes(c));
        let pid = server_pid(c);
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .expect("children of the server");
        let child = children.split_whitespace().next().expect("a child");
        let killed = Command::new("kill").args(["-9", child]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill {child}");
        wait_until("the child to be reaped", || !bgsave_running(c));
        let _: () = q(c, &["SET", "k3", "v3"]);
        out.push(table_sizes(c));
        out
    }
    let redis = RedisServer::start(&["--enable-debug-command", "yes"]);
    let expected = steps(&mut redis.client());
    assert!(expected[1].ends_with("4096"), "{expected:?}");
    let sonde = SondeServer::start(&["--enable-debug-command", "yes"]);
    assert_eq!(steps(&mut sonde.client()), expected);
}

/// Random reads advance a rehash in progress, as Redis's do: a growing
/// set's table finishes its resize under nothing but SRANDMEMBER
/// (DEBUG HTSTATS-KEY stops naming a rehashing target).
#[test]
fn random_reads_finish_a_resize_of_a_set_table() {
    let sonde = SondeServer::start(&["--enable-debug-command", "yes"]);
    let mut c = sonde.client();
    let members: Vec<String> = (0..5_000).map(|i| format!("m:{i}")).collect();
    for chunk in members.chunks(1_000) {
        let _: i64 = redis::cmd("SADD")
            .arg("s")
            .arg(chunk)
            .query(&mut c)
            .expect("SADD");
    }
    let rehashing = |c: &mut redis::Connection| -> bool {
        let stats: String = q(c, &["DEBUG", "HTSTATS-KEY", "s"]);
        stats.contains("rehashing target")
    };
    assert!(rehashing(&mut c), "5,000 members leave a resize under way");
    let mut reads = 0;
    while rehashing(&mut c) {
        let _: Vec<String> = q(&mut c, &["SRANDMEMBER", "s", "10"]);
        reads += 1;
        assert!(reads < 10_000, "the resize never finished");
    }
    let stats: String = q(&mut c, &["DEBUG", "HTSTATS-KEY", "s"]);
    assert!(stats.contains(" table size: 8192\n"), "{stats}");
}

/// The process title, as redis-server sets it: the default template shows
/// the program and the listening address, and CONFIG SET
/// proc-title-template changes it at once (refusing unknown variables).
#[test]
fn the_process_title_follows_proc_title_template() {
    fn title(c: &mut redis::Connection) -> String {
        let pid = server_pid(c);
        let raw = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
        String::from_utf8_lossy(&raw)
            .trim_end_matches('\0')
            .to_owned()
    }
    fn steps(c: &mut redis::Connection, port: u16) -> Vec<String> {
        let mut out = vec![title(c).split(' ').skip(1).collect::<Vec<_>>().join(" ")];
        let _: () = q(
            c,
            &[
                "CONFIG",
                "SET",
                "proc-title-template",
                "TEST {listen-addr} {port} {server-mode}",
            ],
        );
        out.push(title(c));
        let bad = redis::cmd("CONFIG")
            .arg(&["SET", "proc-title-template", "{nosuch}"])
            .query::<()>(c)
            .unwrap_err();
        out.push(bad.to_string());
        out.iter()
            .map(|s| s.replace(&port.to_string(), "PORT"))
            .collect()
    }
    let redis = RedisServer::start(&[]);
    let expected = steps(&mut redis.client(), redis.port);
    assert_eq!(expected[1], "TEST 127.0.0.1:PORT PORT", "{expected:?}");
    let sonde = SondeServer::start(&[]);
    assert_eq!(steps(&mut sonde.client(), sonde.port), expected);
}

/// The server's process id, as INFO reports it.
fn server_pid(c: &mut redis::Connection) -> String {
    let info: String = q(c, &["INFO", "server"]);
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .expect("process_id")
        .trim()
        .to_owned()
}
