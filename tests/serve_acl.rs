//! `sonde serve` ACL: the same ACL SETUSER / GETUSER / DRYRUN / LIST
//! sequences and the same refused commands against a real redis-server
//! and against sonde, byte for byte; ACL LOG entries compared field by
//! field; an ACL file written by one server loaded by the other;
//! redis-cli connecting with --user/--pass; replication through a user
//! restricted to the replication commands, both ways; clients of a deleted
//! or disabled user disconnected.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::differential::{Conn, assert_same, parse_script};
use crate::common::redis_server::require_tool;
use crate::common::{RedisServer, SondeServer, text};

fn args(line: &str) -> Vec<Vec<u8>> {
    sonde::resp::request::split_args(line.as_bytes()).expect("balanced quotes")
}

/// A reply with the command rules inside its strings put in a canonical
/// order: Redis emits single commands in its command dictionary's hash
/// order, which changes from process to process.
fn canonical(reply: &[u8]) -> String {
    use sonde::resp::{Decoder, Frame, Limits};
    fn walk(frame: &Frame, out: &mut String) {
        match frame {
            Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
                let text = String::from_utf8_lossy(b);
                if text.contains("@all") {
                    // The first words (user, name, flags...) keep their
                    // place; the rules after `+@all`/`-@all` are a set.
                    let mut words: Vec<&str> = text.split(' ').collect();
                    let start = words.iter().position(|w| w.ends_with("@all")).unwrap_or(0) + 1;
                    words[start..].sort_unstable();
                    out.push_str(&words.join(" "));
                } else {
                    out.push_str(&text);
                }
                out.push('|');
            }
            Frame::Array(items) | Frame::Set(items) => {
                out.push('[');
                for item in items {
                    walk(item, out);
                }
                out.push(']');
            }
            other => {
                out.push_str(&format!("{other:?}|"));
            }
        }
    }
    let (frame, _) = Decoder::new(Limits::default())
        .parse_slice(reply)
        .expect("a reply");
    let mut out = String::new();
    walk(&frame, &mut out);
    out
}

/// [`assert_same`], with the command rules compared as sets.
fn assert_same_rules(redis_addr: &str, sonde_addr: &str, script: &str) {
    let mut redis = Conn::open(redis_addr);
    let mut sonde = Conn::open(sonde_addr);
    let mut differences = Vec::new();
    for (i, step) in parse_script(script).iter().enumerate() {
        let expected = canonical(&redis.call(&step.command));
        let actual = canonical(&sonde.call(&step.command));
        if expected != actual {
            differences.push(format!(
                "step {} differs: {}\n  redis-server: {expected}\n  sonde:        {actual}",
                i + 1,
                step.line
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Users, rules and what GETUSER, LIST, DRYRUN and the errors say about
/// them (the users are made here: the command tables differ in commands
/// sonde does not have, so no rule names a category that holds one).
const RULES: &str = r#"
ACL WHOAMI
ACL USERS
ACL SETUSER alice on >pw1 >pw2 ~cache:* &news.* -@all +get +set +client|id
ACL GETUSER alice
ACL SETUSER alice <pw2 #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
ACL GETUSER alice
ACL SETUSER alice resetpass nopass
ACL GETUSER alice
ACL SETUSER bob on nopass %R~read:* %W~write:* %RW~both:* resetchannels +@all -@dangerous -@keyspace
ACL GETUSER bob
ACL SETUSER carol on >c allkeys allchannels -@all +@hash +@list -lpush (+get ~sel:*) (%R~r:* +@read)
ACL GETUSER carol
ACL SETUSER carol clearselectors
ACL GETUSER carol
ACL SETUSER dave off nopass +@all ~* -debug +debug|object +select|0
ACL GETUSER dave
ACL SETUSER dave reset
ACL GETUSER dave
~ACL USERS
ACL LIST
ACL DRYRUN alice get cache:1
ACL DRYRUN alice get other
ACL DRYRUN alice del cache:1
ACL DRYRUN alice client id
ACL DRYRUN alice client kill id 1
ACL DRYRUN alice publish news.1 x
ACL DRYRUN bob get read:1
ACL DRYRUN bob set read:1 v
ACL DRYRUN bob set write:1 v
ACL DRYRUN bob get write:1
ACL DRYRUN bob set write:1 v get
ACL DRYRUN bob set both:1 v GET
ACL DRYRUN bob set write:1 v ex 10
ACL DRYRUN bob incr read:1
ACL DRYRUN bob incr both:1
ACL DRYRUN bob exists write:1
ACL DRYRUN bob strlen nothing
ACL DRYRUN bob copy read:1 write:1
ACL DRYRUN bob copy write:1 read:1
ACL DRYRUN bob lmove both:1 write:2 left right
ACL DRYRUN bob publish any x
ACL DRYRUN bob keys *
ACL DRYRUN bob flushall
ACL DRYRUN carol get sel:1
ACL DRYRUN carol get r:1
ACL DRYRUN carol lpush l 1
ACL DRYRUN dave get k
ACL DRYRUN nobody get k
ACL DRYRUN alice nosuchcommand
ACL DRYRUN alice set k
ACL SETUSER alice +nosuchcommand
ACL SETUSER alice +@nosuchcategory
ACL SETUSER alice ~k allkeys ~j
ACL SETUSER alice allkeys ~j
ACL SETUSER alice allchannels &j
ACL SETUSER alice %X~k
ACL SETUSER alice +config|get|x
ACL SETUSER alice -select|0
ACL SETUSER alice >p <nothere
ACL SETUSER alice #xyz
ACL SETUSER alice (~k
ACL SETUSER "bad name"
ACL SETUSER alice nosuchrule
ACL GETUSER nobody
ACL DELUSER bob carol nobody
ACL DELUSER default
~ACL USERS
ACL CAT
ACL CAT nosuchcategory
ACL GENPASS 0
ACL GENPASS 5000
ACL LOG nonsense
ACL NOSUCH
"#;

#[test]
fn acl_rules_getuser_list_and_dryrun_answer_as_redis_server() {
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    assert_same_rules(&redis.addr(), &sonde.addr(), RULES);
}

/// Refused commands as a restricted user: the -NOPERM texts, MULTI/EXEC
/// aborted, pub/sub channels, AUTH failures.
const REFUSED: &str = r#"
ACL SETUSER app on >secret ~app:* &app.* -@all +@string +@keyspace +@connection +@transaction +publish +subscribe -flushall
ACL SETUSER reader on >r %R~* -@all +get +mget +exists +auth
AUTH app wrong
AUTH nobody secret
AUTH app secret
ACL WHOAMI
SET app:1 v
GET app:1
SET other v
GET other
MGET app:1 other
MSET app:2 a other b
RENAME app:1 app:3
FLUSHALL
CONFIG GET port
ACL WHOAMI
PUBLISH app.x m
PUBLISH other m
MULTI
SET app:1 x
GET other
EXEC
MULTI
SET app:1 y
EXEC
AUTH reader r
GET app:1
SET app:1 z
EXISTS app:1 other
MGET app:1 app:2
AUTH default ""
ACL WHOAMI
"#;

#[test]
fn refused_commands_answer_as_redis_server() {
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    assert_same(&redis.addr(), &sonde.addr(), REFUSED);
    // Both logs hold the same entries (ids, addresses and ages aside).
    assert_eq!(acl_log(&redis.addr()), acl_log(&sonde.addr()));
}

/// ACL LOG as comparable lines: every field but the entry's age and the
/// client's description (its id, address and timings differ).
fn acl_log(addr: &str) -> Vec<String> {
    let mut conn = redis::Client::open(format!("redis://{addr}/"))
        .and_then(|c| c.get_connection())
        .expect("connect");
    let entries: Vec<Vec<redis::Value>> = redis::cmd("ACL")
        .arg("LOG")
        .query(&mut conn)
        .expect("ACL LOG");
    let mut lines = Vec::new();
    for entry in entries {
        let mut fields = Vec::new();
        for pair in entry.chunks(2) {
            let name: String = redis::from_redis_value(pair[0].clone()).expect("field name");
            if name == "age-seconds" {
                continue;
            }
            let value = match &pair[1] {
                redis::Value::Int(n) => n.to_string(),
                other => redis::from_redis_value::<String>(other.clone()).expect("field value"),
            };
            let value = if name == "client-info" {
                // Keep the parts that do not depend on the connection.
                value
                    .split(' ')
                    .filter(|f| {
                        f.starts_with("user=") || f.starts_with("cmd=") || f.starts_with("db=")
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                value
            };
            fields.push(format!("{name}={value}"));
        }
        lines.push(fields.join(" "));
    }
    assert!(!lines.is_empty(), "ACL LOG of {addr} is empty");
    lines
}

#[test]
fn acl_log_entries_and_limits_match_redis_server() {
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let script = r#"
ACL SETUSER u on >p ~k:* &c -@all +get +set +multi +exec +publish +acl|whoami
CONFIG SET acllog-max-len 4
AUTH u p
GET other
GET other
GET other
SET k:1 v
SET x v
PUBLISH d m
MULTI
INCR k:1
EXEC
AUTH u bad
AUTH default ""
ACL LOG 2
ACL LOG RESET
"#;
    // The replies themselves (LOG 2's entries aside, compared below).
    let without_log: String = script
        .lines()
        .filter(|l| !l.starts_with("ACL LOG"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_same(&redis.addr(), &sonde.addr(), &without_log);
    let expected = acl_log(&redis.addr());
    assert_eq!(
        expected.len(),
        4,
        "redis-server keeps acllog-max-len entries"
    );
    assert_eq!(expected, acl_log(&sonde.addr()));
    assert_same(&redis.addr(), &sonde.addr(), "ACL LOG RESET\nACL LOG");
}

/// Users written to an ACL file by sonde load in redis-server and the
/// reverse; each server lists the same users after loading the other's
/// file.
#[test]
fn an_acl_file_written_by_sonde_loads_in_redis_server_and_back() {
    let users = "\
ACL SETUSER app on >secret ~app:* %R~shared:* &app.* -@all +@string +@hash +del
ACL SETUSER ops on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 allkeys +@all -@admin
ACL SETUSER sel on nopass -@all +get (~sel:* +set) (%W~w:* +del)
ACL SETUSER off off
ACL SAVE
";
    let sonde_dir = tempfile::tempdir().expect("temp dir");
    let redis_dir = tempfile::tempdir().expect("temp dir");
    let sonde_file = sonde_dir.path().join("users.acl");
    let redis_file = redis_dir.path().join("users.acl");
    std::fs::write(&sonde_file, "user default on nopass ~* &* +@all\n").unwrap();
    std::fs::write(&redis_file, "user default on nopass ~* &* +@all\n").unwrap();
    let sonde = SondeServer::start(&["--aclfile", sonde_file.to_str().unwrap()]);
    let redis = RedisServer::start(&["--aclfile", redis_file.to_str().unwrap()]);
    assert_same(&redis.addr(), &sonde.addr(), users);
    let lines = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| canonical(format!("${}\r\n{l}\r\n", l.len()).as_bytes()))
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&sonde_file), lines(&redis_file));

    // redis-server loads sonde's file: the same list.
    let reloaded = RedisServer::start(&["--aclfile", sonde_file.to_str().unwrap()]);
    let list = |addr: &str| canonical(&Conn::open(addr).call(&args("ACL LIST")));
    assert_eq!(list(&reloaded.addr()), list(&sonde.addr()));

    // sonde loads redis-server's file after redis-server changed a user.
    let mut r = Conn::open(&redis.addr());
    assert_eq!(r.call(&args("ACL SETUSER app -@hash +hget")), b"+OK\r\n");
    assert_eq!(r.call(&args("ACL SAVE")), b"+OK\r\n");
    std::fs::copy(&redis_file, &sonde_file).unwrap();
    let mut s = Conn::open(&sonde.addr());
    assert_eq!(s.call(&args("ACL LOAD")), b"+OK\r\n");
    assert_eq!(list(&redis.addr()), list(&sonde.addr()));

    // A broken file is refused as a whole, naming the line; users stay.
    std::fs::write(
        &sonde_file,
        "user default on nopass ~* &* +@all\nuser x on +nosuch\n",
    )
    .unwrap();
    std::fs::write(
        &redis_file,
        "user default on nopass ~* &* +@all\nuser x on +nosuch\n",
    )
    .unwrap();
    let load = |addr: &str, path: &std::path::Path| {
        text(&Conn::open(addr).call(&args("ACL LOAD"))).replace(path.to_str().unwrap(), "FILE")
    };
    let refused = load(&redis.addr(), &redis_file);
    assert!(
        refused.contains("FILE:2: Error in applying operation '+nosuch'"),
        "{refused}"
    );
    assert_eq!(refused, load(&sonde.addr(), &sonde_file));
    assert_same_rules(&redis.addr(), &sonde.addr(), "ACL LIST");
}

/// The `user` directives of a config file, and CONFIG REWRITE writing
/// them back.
#[test]
fn user_directives_load_and_config_rewrite_writes_them_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("sonde.conf");
    std::fs::write(
        &conf,
        "user default on nopass ~* &* +@all\nuser web on >pw ~web:* -@all +get\n",
    )
    .unwrap();
    let sonde = SondeServer::start_with(Some(&conf), &[]);
    let mut c = Conn::open(&sonde.addr());
    let web = text(&c.call(&args("ACL GETUSER web")));
    assert!(web.contains("-@all +get"), "{web}");
    assert_eq!(c.call(&args("ACL SETUSER web +set")), b"+OK\r\n");
    assert_eq!(c.call(&args("CONFIG REWRITE")), b"+OK\r\n");
    let rewritten = std::fs::read_to_string(&conf).unwrap();
    assert!(
        rewritten.contains("user web on #")
            && rewritten.contains("~web:* resetchannels -@all +get +set"),
        "{rewritten}"
    );
    // ACL SAVE without an aclfile is an error, as in Redis.
    assert!(text(&c.call(&args("ACL SAVE"))).contains("not configured to use an ACL file"));
}

fn redis_cli(port: u16, extra: &[&str]) -> String {
    let cli = require_tool("redis-cli");
    let out = Command::new(cli)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(extra)
        .output()
        .expect("run redis-cli");
    text(&out.stdout) + &text(&out.stderr)
}

#[test]
fn redis_cli_connects_with_user_and_pass() {
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let setup = "ACL SETUSER web on >s3cret ~web:* -@all +get +set +ping\nSET web:1 hello";
    assert_same(&redis.addr(), &sonde.addr(), setup);
    for cmd in [
        vec![
            "--user",
            "web",
            "--pass",
            "s3cret",
            "--no-auth-warning",
            "GET",
            "web:1",
        ],
        vec![
            "--user",
            "web",
            "--pass",
            "s3cret",
            "--no-auth-warning",
            "GET",
            "other",
        ],
        vec![
            "--user",
            "web",
            "--pass",
            "s3cret",
            "--no-auth-warning",
            "DEL",
            "web:1",
        ],
        vec![
            "--user",
            "web",
            "--pass",
            "wrong",
            "--no-auth-warning",
            "PING",
        ],
        vec![
            "--user",
            "web",
            "--pass",
            "s3cret",
            "--no-auth-warning",
            "ACL",
            "WHOAMI",
        ],
    ] {
        let expected = redis_cli(redis.port, &cmd);
        let actual = redis_cli(sonde.port, &cmd);
        assert_eq!(expected, actual, "redis-cli {cmd:?}");
    }
    assert_eq!(
        redis_cli(
            sonde.port,
            &[
                "--user",
                "web",
                "--pass",
                "s3cret",
                "--no-auth-warning",
                "GET",
                "web:1"
            ]
        )
        .trim(),
        "hello"
    );
}

/// Connections of a deleted user are closed, a disabled user's stay;
/// CLIENT LIST names the user; CLIENT KILL USER; subscribers that lose a
/// channel are closed.
#[test]
fn clients_of_a_deleted_user_or_a_revoked_channel_are_disconnected() {
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    for addr in [redis.addr(), sonde.addr()] {
        let mut admin = Conn::open(&addr);
        admin.call(&args("ACL SETUSER a on >p +@all ~*"));
        admin.call(&args("ACL SETUSER b on >p +@all ~*"));
        admin.call(&args("ACL SETUSER c on >p +@all ~*"));
        let mut a = Conn::open(&addr);
        let mut b = Conn::open(&addr);
        let mut c = Conn::open(&addr);
        assert_eq!(a.call(&args("AUTH a p")), b"+OK\r\n");
        assert_eq!(b.call(&args("AUTH b p")), b"+OK\r\n");
        assert_eq!(c.call(&args("AUTH c p")), b"+OK\r\n");
        let list = text(&admin.call(&args("CLIENT LIST")));
        for user in ["a", "b", "c", "default"] {
            assert!(list.contains(&format!(" user={user} ")), "{addr}: {list}");
        }
        assert_eq!(admin.call(&args("ACL DELUSER a")), b":1\r\n");
        assert!(
            a.read_to_close().is_empty(),
            "{addr}: a's connection closed"
        );
        // Disabling a user keeps its connections (as Redis 7.0), but no
        // new AUTH succeeds.
        assert_eq!(admin.call(&args("ACL SETUSER b off")), b"+OK\r\n");
        assert_eq!(b.call(&args("PING")), b"+PONG\r\n");
        assert!(text(&admin.call(&args("AUTH b p"))).contains("WRONGPASS"));
        admin.call(&args("AUTH default x"));
        assert_eq!(admin.call(&args("CLIENT KILL USER c")), b":1\r\n");
        assert!(
            c.read_to_close().is_empty(),
            "{addr}: c's connection closed"
        );
        assert!(text(&admin.call(&args("CLIENT KILL USER nobody"))).contains("No such user"));
        // Changing a user's channels closes its subscribers that lost one.
        admin.call(&args(
            "ACL SETUSER s on nopass +@all ~* resetchannels &news",
        ));
        let mut s = Conn::open(&addr);
        s.call(&args("AUTH s x"));
        s.call(&args("SUBSCRIBE news"));
        assert!(text(&s.call(&args("SUBSCRIBE other"))).contains("NOPERM"));
        assert_eq!(
            admin.call(&args("ACL SETUSER s resetchannels &sports")),
            b"+OK\r\n"
        );
        assert!(
            s.read_to_close().is_empty(),
            "{addr}: the subscriber was closed"
        );
    }
}

fn info_field(addr: &str, field: &str) -> String {
    let reply = text(&Conn::open(addr).call(&args("INFO replication")));
    reply
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The replication user Redis's documentation describes: only PSYNC,
/// REPLCONF and PING.
const REPL_USER: &str = "ACL SETUSER repl on >replpw -@all +psync +replconf +ping";

fn replicate_through_restricted_user(master: &str, replica: &str) {
    let mut m = Conn::open(master);
    assert_eq!(m.call(&args(REPL_USER)), b"+OK\r\n");
    // Nobody gets in without a user and password.
    assert_eq!(m.call(&args("ACL SETUSER default off")), b"+OK\r\n");
    let mut r = Conn::open(replica);
    assert_eq!(r.call(&args("CONFIG SET masteruser repl")), b"+OK\r\n");
    assert_eq!(r.call(&args("CONFIG SET masterauth replpw")), b"+OK\r\n");
    let port = master.rsplit(':').next().unwrap();
    assert_eq!(
        r.call(&args(&format!("REPLICAOF 127.0.0.1 {port}"))),
        b"+OK\r\n"
    );
    wait_for("the link to come up", || {
        info_field(replica, "master_link_status") == "up"
    });
}

#[test]
fn replication_through_a_restricted_user_both_ways() {
    // sonde replica of a redis-server master, then redis-server replica of
    // a sonde master.
    for sonde_is_master in [false, true] {
        let redis = RedisServer::start(&[]);
        let sonde = SondeServer::start(&[]);
        let (master, replica) = if sonde_is_master {
            (sonde.addr(), redis.addr())
        } else {
            (redis.addr(), sonde.addr())
        };
        let mut w = Conn::open(&master);
        assert_eq!(
            w.call(&args("ACL SETUSER admin on >a +@all ~* &*")),
            b"+OK\r\n"
        );
        assert_eq!(w.call(&args("SET before 1")), b"+OK\r\n");
        replicate_through_restricted_user(&master, &replica);
        let mut w = Conn::open(&master);
        assert_eq!(w.call(&args("AUTH admin a")), b"+OK\r\n");
        assert_eq!(w.call(&args("SET after 2")), b"+OK\r\n");
        let mut r = Conn::open(&replica);
        wait_for("the write to replicate", || {
            r.call(&args("GET after")) == b"$1\r\n2\r\n"
        });
        assert_eq!(r.call(&args("GET before")), b"$1\r\n1\r\n");
        // A user without PSYNC cannot replicate: the link stays down.
        assert_eq!(w.call(&args("ACL SETUSER repl -psync")), b"+OK\r\n");
        assert_eq!(r.call(&args("REPLICAOF NO ONE")), b"+OK\r\n");
        let port = master.rsplit(':').next().unwrap();
        assert_eq!(
            r.call(&args(&format!("REPLICAOF 127.0.0.1 {port}"))),
            b"+OK\r\n"
        );
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(
            info_field(&replica, "master_link_status"),
            "down",
            "master {master}"
        );
    }
}
