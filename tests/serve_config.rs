//! `sonde serve` configuration: the stock redis.conf files of Redis 7.0
//! load unchanged, every parameter redis-server lists loads and reads back
//! the same, CONFIG SET/GET answer as redis-server does, CONFIG REWRITE
//! keeps the file's comments and order and reloads to the same values.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::differential::assert_same;
use crate::common::{RedisServer, SondeServer, assert_exit, free_port, sonde, text};

/// Debian's redis-server package installs its redis.conf here (the
/// project's setup script installs the package).
const DEBIAN_CONF: &str = "/etc/redis/redis.conf";

/// The installed stock file, or None (with a loud note; a failure under
/// CI=true, where the setup script must have installed it).
fn debian_conf() -> Option<String> {
    match std::fs::read_to_string(DEBIAN_CONF) {
        Ok(text) => Some(text),
        Err(e) => {
            let message = format!("{DEBIAN_CONF} unreadable ({e}): install redis-server");
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{message}");
            }
            eprintln!("SKIPPED: {message}");
            None
        }
    }
}

/// Redis 7.0's own redis.conf: Debian's file with the four directives
/// Debian changes put back (daemonize, pidfile, logfile, dir).
fn upstream_conf(debian: &str) -> String {
    let mut replaced = 0;
    let text: Vec<String> = debian
        .lines()
        .map(|line| {
            let upstream = match line.split_whitespace().next() {
                Some("daemonize") => "daemonize no",
                Some("pidfile") => "pidfile /var/run/redis_6379.pid",
                Some("logfile") => "logfile \"\"",
                Some("dir") => "dir ./",
                _ => return line.to_owned(),
            };
            replaced += 1;
            upstream.to_owned()
        })
        .collect();
    assert_eq!(replaced, 4, "Debian's redis.conf changed shape");
    text.join("\n") + "\n"
}

fn client(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(5))
        .unwrap()
}

fn config_all(port: u16) -> BTreeMap<String, String> {
    redis::cmd("CONFIG")
        .arg("GET")
        .arg("*")
        .query(&mut client(port))
        .unwrap()
}

fn config_get(con: &mut redis::Connection, name: &str) -> String {
    let map: BTreeMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query(con)
        .unwrap();
    map.get(name)
        .cloned()
        .unwrap_or_else(|| panic!("CONFIG GET {name}: {map:?}"))
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn debian_redis_conf_loads_unchanged_and_daemonizes() {
    let Some(_) = debian_conf() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("sonde.pid");
    let log = dir.path().join("sonde.log");
    let port = free_port();
    // The file says daemonize yes: the command returns at once and the
    // server runs on in the background. Only where it listens and writes
    // is overridden, as a test must.
    let out = sonde()
        .args(["serve", DEBIAN_CONF, "--port", &port.to_string()])
        .arg("--pidfile")
        .arg(&pidfile)
        .arg("--logfile")
        .arg(&log)
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    wait_until("the pidfile", || {
        std::fs::read_to_string(&pidfile).is_ok_and(|t| t.ends_with('\n'))
    });
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut con = client(port);
    for (name, value) in [
        ("daemonize", "yes"),
        ("tcp-backlog", "511"),
        ("rdbchecksum", "yes"),
        ("notify-keyspace-events", ""),
        ("oom-score-adj-values", "0 200 800"),
        ("jemalloc-bg-thread", "yes"),
        ("proc-title-template", "{title} {listen-addr} {server-mode}"),
        ("save", "3600 1 300 100 60 10000"),
        ("bind", "127.0.0.1 -::1"),
    ] {
        assert_eq!(config_get(&mut con, name), value, "{name}");
    }
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").arg("NOSAVE").query(&mut con);
    // SAFETY: signal 0 only checks that the process exists.
    wait_until("the daemon to exit", || unsafe { libc::kill(pid, 0) } != 0);
    assert!(!pidfile.exists(), "the pidfile is removed at exit");
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("Ready to accept")
    );
}

#[test]
fn upstream_redis_conf_loads_unchanged() {
    let Some(debian) = debian_conf() else { return };
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("redis.conf");
    std::fs::write(&conf, upstream_conf(&debian)).unwrap();
    // The test harness adds --port, --bind, --dir; the file's pidfile
    // (under /var/run) is turned off.
    let sonde = SondeServer::start_with(Some(&conf), &["--pidfile", ""]);
    let mut con = client(sonde.port);
    assert_eq!(config_get(&mut con, "daemonize"), "no");
    assert_eq!(config_get(&mut con, "hz"), "10");
    assert_eq!(config_get(&mut con, "lazyfree-lazy-user-flush"), "no");
}

#[test]
fn every_parameter_redis_lists_loads_and_reads_back_the_same() {
    let redis = RedisServer::start(&[]);
    let theirs = config_all(redis.port);
    // A config file of every parameter at redis-server's value, except
    // where it listens and writes.
    let local = ["bind", "port", "dir", "logfile", "pidfile", "unixsocket"];
    let mut file = String::from("# every parameter redis-server lists\n");
    for (name, value) in &theirs {
        // `replicaof ""` is not a directive redis-server reads either.
        let no_master = (name == "replicaof" || name == "slaveof") && value.is_empty();
        if !local.contains(&name.as_str()) && !no_master {
            file.push_str(&format!("{name} {}\n", quote(value)));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("all.conf");
    std::fs::write(&conf, &file).unwrap();
    let sonde = SondeServer::start_with(Some(&conf), &[]);
    let ours = config_all(sonde.port);
    let missing: Vec<&String> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
    // sonde's own parameters, which redis-server does not have.
    let sonde_only = ["metrics-port"];
    let extra: Vec<&String> = ours
        .keys()
        .filter(|k| !theirs.contains_key(*k) && !sonde_only.contains(&k.as_str()))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    let differ: Vec<String> = theirs
        .iter()
        .filter(|(name, value)| !local.contains(&name.as_str()) && ours[*name] != **value)
        .map(|(name, value)| format!("{name}: redis {value:?}, sonde {:?}", ours[name]))
        .collect();
    assert!(differ.is_empty(), "values differ:\n{}", differ.join("\n"));
}

fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn config_set_and_get_answer_as_redis() {
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    assert_same(
        &redis.addr(),
        &sonde.addr(),
        r#"
        CONFIG SET maxmemory-policy allkeys-lru lfu-log-factor 20
        CONFIG GET maxmemory-policy
        CONFIG GET lfu-log-factor
        CONFIG SET lfu-log-factor 5 maxmemory-policy bogus
        CONFIG GET lfu-log-factor
        CONFIG SET timeout 1 timeout 2
        CONFIG SET timeout 1 TIMEOUT 2
        CONFIG SET hash-max-ziplist-entries 1 hash-max-listpack-entries 2
        CONFIG SET daemonize yes
        CONFIG SET nosuch 1 daemonize yes
        CONFIG SET daemonize yes nosuch 1
        CONFIG SET maxmemory-clients 200%
        CONFIG SET maxmemory-clients abc
        CONFIG SET client-query-buffer-limit 1k
        CONFIG SET repl-backlog-size 0
        CONFIG SET unixsocketperm 700
        CONFIG SET loglevel nothing
        CONFIG SET appendfsync sometimes
        CONFIG SET shutdown-on-sigterm "save nosave"
        CONFIG SET shutdown-on-sigterm "force now nosave"
        CONFIG GET shutdown-on-sigterm
        CONFIG SET save "100 10 20"
        CONFIG SET save "100 10 20 5"
        CONFIG GET save
        CONFIG SET client-output-buffer-limit "normal 1mb 2mb"
        CONFIG SET client-output-buffer-limit "master 1mb 2mb 3"
        CONFIG SET client-output-buffer-limit "pubsub 1mb 2mb 3"
        CONFIG GET client-output-buffer-limit
        CONFIG SET oom-score-adj-values "1 2"
        CONFIG SET oom-score-adj-values "1 2 3"
        CONFIG GET oom-score-adj-values
        CONFIG SET latency-tracking-info-percentiles "50 101"
        CONFIG SET latency-tracking-info-percentiles "50 99.99"
        CONFIG GET latency-tracking-info-percentiles
        CONFIG SET notify-keyspace-events Q
        CONFIG SET proc-title-template "{title} {nosuch}"
        CONFIG SET dbfilename a/b
        CONFIG SET hz 1000
        CONFIG GET hz
        CONFIG SET appendfilename other.aof
        CONFIG GET key-load-delay
        CONFIG GET slaveof
        CONFIG GET slave-read-only
        ~CONFIG GET maxmemory maxmemory bind
        CONFIG GET nosuch
        "#,
    );
}

#[test]
fn unsupported_values_are_refused_by_name() {
    let sonde = SondeServer::start(&[]);
    let mut con = client(sonde.port);
    let err = redis::cmd("CONFIG")
        .arg("SET")
        .arg("repl-disable-tcp-nodelay")
        .arg("yes")
        .query::<()>(&mut con)
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "CONFIG SET failed (possibly related to argument 'repl-disable-tcp-nodelay') - \
             sonde does not support yet a value other than the default (no) for \
             'repl-disable-tcp-nodelay'"
        ),
        "{err}"
    );
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("repl-disable-tcp-nodelay")
        .arg("no")
        .query(&mut con)
        .unwrap();
    // A port that cannot be bound is refused, and the other values of the
    // same CONFIG SET are rolled back.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = redis::cmd("CONFIG")
        .arg("SET")
        .arg("timeout")
        .arg("7")
        .arg("port")
        .arg(taken.local_addr().unwrap().port().to_string())
        .query::<()>(&mut con)
        .unwrap_err();
    assert!(
        err.to_string().contains("Unable to listen on this port"),
        "{err}"
    );
    assert_eq!(config_get(&mut con, "timeout"), "0");
    let out = crate::common::run(&["serve", "--notify-keyspace-events", "KEQ"], b"");
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("Invalid event class character"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn config_rewrite_keeps_the_file_and_reloads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("sonde.conf");
    std::fs::write(
        &conf,
        "# my settings\nmaxclients 50\n\n# ziplist names are old aliases\n\
         hash-max-ziplist-entries 20\nhash-max-listpack-entries 21\n",
    )
    .unwrap();
    let sonde = SondeServer::start_with(Some(&conf), &["--enable-debug-command", "yes"]);
    let mut con = client(sonde.port);
    assert_eq!(config_get(&mut con, "hash-max-listpack-entries"), "21");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("hash-max-listpack-entries")
        .arg("100")
        .arg("lfu-log-factor")
        .arg("3")
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("CONFIG").arg("REWRITE").query(&mut con).unwrap();
    let written = std::fs::read_to_string(&conf).unwrap();
    assert!(
        written.starts_with(
            "# my settings\nmaxclients 50\n\n# ziplist names are old aliases\n\
             hash-max-listpack-entries 100\n\n# Generated by CONFIG REWRITE\n"
        ),
        "{written}"
    );
    assert!(written.contains("\nlfu-log-factor 3\n"), "{written}");
    assert!(
        written.contains("\nenable-debug-command yes\n"),
        "{written}"
    );
    let before = config_all(sonde.port);
    // The rewritten file loads (the first server keeps running: the file
    // names its directory, which must exist).
    let again = SondeServer::start_with(Some(&conf), &["--enable-debug-command", "yes"]);
    let after = config_all(again.port);
    for (name, value) in &before {
        if name != "port" && name != "dir" {
            assert_eq!(&after[name], value, "{name}");
        }
    }
    // A forced rewrite of every parameter loads back too.
    let mut con = client(again.port);
    let _: () = redis::cmd("DEBUG")
        .arg("CONFIG-REWRITE-FORCE-ALL")
        .query(&mut con)
        .unwrap_or_else(|e| panic!("{e}"));
    let all = std::fs::read_to_string(&conf).unwrap();
    assert!(
        all.contains("\ntcp-backlog 511\n") && all.contains("\nrdbchecksum yes\n"),
        "{all}"
    );
    let third = SondeServer::start_with(Some(&conf), &["--enable-debug-command", "yes"]);
    assert_eq!(config_get(&mut client(third.port), "lfu-log-factor"), "3");
}

#[test]
fn config_rewrite_without_a_file_is_an_error() {
    let sonde = SondeServer::start(&[]);
    let err = redis::cmd("CONFIG")
        .arg("REWRITE")
        .query::<()>(&mut client(sonde.port))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("The server is running without a config file"),
        "{err}"
    );
}

#[test]
fn config_resetstat_clears_the_counters_and_keeps_the_slow_log() {
    let sonde = SondeServer::start(&["--slowlog-log-slower-than", "0"]);
    let mut con = client(sonde.port);
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    let _: String = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    let slow: i64 = redis::cmd("SLOWLOG").arg("LEN").query(&mut con).unwrap();
    assert!(slow >= 2);
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query(&mut con)
        .unwrap();
    let info: String = redis::cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert!(info.contains("keyspace_hits:0\r\n"), "{info}");
    let commands: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut con)
        .unwrap();
    assert!(!commands.contains("cmdstat_get:"), "{commands}");
    let after: i64 = redis::cmd("SLOWLOG").arg("LEN").query(&mut con).unwrap();
    assert!(after >= slow, "RESETSTAT leaves the slow log alone");
    // The values of secret parameters are not kept in the slow log.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("masterauth")
        .arg("s3cret")
        .arg("timeout")
        .arg("0")
        .query(&mut con)
        .unwrap();
    let entries: Vec<redis::Value> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(1)
        .query(&mut con)
        .unwrap();
    let shown = format!("{entries:?}");
    assert!(
        shown.contains("redacted") && !shown.contains("s3cret"),
        "{shown}"
    );
}

/// `rename-command` as in redis-server: the command answers under its new
/// name only (or not at all with ""), a CONFIG REWRITE keeps the line, and
/// a name that is not a command stops startup naming the line.
#[test]
fn rename_command_serves_a_command_under_its_new_name() {
    let check = |con: &mut redis::Connection| -> Vec<String> {
        let mut reply = |cmd: &str| match redis::cmd(cmd).query::<redis::Value>(con) {
            Ok(v) => format!("{v:?}"),
            Err(e) => e.to_string().split(',').next().unwrap_or("").to_owned(),
        };
        ["FLUSHDB", "BADGER", "LASTSAVE", "DBSIZE"]
            .iter()
            .map(|c| reply(c))
            .collect()
    };
    let args = [
        "--rename-command",
        "flushdb",
        "badger",
        "--rename-command",
        "lastsave",
        "",
    ];
    let redis = RedisServer::start(&args);
    let expected = check(&mut client(redis.port));
    assert!(expected[0].contains("unknown command"), "{expected:?}");
    assert_eq!(expected[1], "ok", "{expected:?}");

    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("sonde.conf");
    std::fs::write(
        &conf,
        "rename-command flushdb badger\nrename-command lastsave \"\"\n",
    )
    .unwrap();
    let sonde = SondeServer::start_with(Some(&conf), &[]);
    let mut con = client(sonde.port);
    assert_eq!(check(&mut con), expected);
    let _: () = redis::cmd("CONFIG").arg("REWRITE").query(&mut con).unwrap();
    let rewritten = std::fs::read_to_string(&conf).unwrap();
    assert!(
        rewritten.starts_with("rename-command flushdb badger\nrename-command lastsave \"\"\n"),
        "{rewritten}"
    );

    let out = crate::common::run(
        &["serve", "--port", "0", "--rename-command", "nosuch", "x"],
        b"",
    );
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr)
            .contains("'rename-command \"nosuch\" \"x\"': No such command in rename-command"),
        "{}",
        text(&out.stderr)
    );
}

/// The slow log shows passwords and ACL rules as "(redacted)" exactly where
/// redis-server does: AUTH, HELLO … AUTH, ACL SETUSER, MIGRATE … AUTH/AUTH2
/// and CONFIG SET of a secret parameter.
#[test]
fn the_slow_log_redacts_secrets_as_redis_server_does() {
    fn logged(port: u16) -> Vec<Vec<String>> {
        let mut con = client(port);
        let port = port.to_string();
        let commands: &[&[&str]] = &[
            &["ACL", "SETUSER", "someone", "on", ">pw", "+@all", "~*"],
            &["AUTH", "someone", "pw"],
            &["HELLO", "2", "AUTH", "someone", "pw", "SETNAME", "me"],
            &[
                "MIGRATE",
                "127.0.0.1",
                &port,
                "nokey",
                "9",
                "5000",
                "AUTH",
                "pw",
            ],
            &[
                "MIGRATE",
                "127.0.0.1",
                &port,
                "nokey",
                "9",
                "5000",
                "COPY",
                "AUTH2",
                "someone",
                "pw",
            ],
            &["CONFIG", "SET", "masterauth", "pw", "timeout", "0"],
        ];
        let _: () = redis::cmd("CONFIG")
            .arg(&["SET", "slowlog-log-slower-than", "0"])
            .query(&mut con)
            .unwrap();
        let _: () = redis::cmd("SLOWLOG").arg("RESET").query(&mut con).unwrap();
        for command in commands {
            let _ = redis::cmd(command[0])
                .arg(&command[1..])
                .query::<redis::Value>(&mut con);
        }
        let entries: Vec<(i64, i64, i64, Vec<String>)> = redis::cmd("SLOWLOG")
            .arg(&["GET", "-1"])
            .query::<Vec<redis::Value>>(&mut con)
            .unwrap()
            .into_iter()
            .map(|entry| {
                let redis::Value::Array(fields) = entry else {
                    panic!("entry {entry:?}")
                };
                redis::from_redis_value(redis::Value::Array(fields[..4].to_vec())).unwrap()
            })
            .collect();
        entries
            .into_iter()
            .rev()
            .map(|(_, _, _, args)| args.into_iter().map(|a| a.replace(&port, "PORT")).collect())
            .collect()
    }
    let redis = RedisServer::start(&[]);
    let expected = logged(redis.port);
    assert!(expected.iter().flatten().all(|a| a != "pw"), "{expected:?}");
    let sonde = SondeServer::start(&[]);
    assert_eq!(logged(sonde.port), expected);
}
