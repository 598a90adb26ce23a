//! `sonde serve` Lua scripting and functions against the real thing: the
//! lock release/extend scripts and a rate limiter run on sonde and on a
//! real redis-server side by side with the same calls, and every reply is
//! compared; a function library survives a restart through the RDB and
//! crosses to a redis-server replica in a full resync; a script's writes
//! reach a replica as MULTI/EXEC effects; a busy script gets other clients
//! -BUSY until SCRIPT KILL.

use std::time::{Duration, Instant};

use redis::Value;

use crate::common::redis_server::RedisServer;
use crate::common::sonde_server::SondeServer;

const RELEASE: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then \
     return redis.call('del', KEYS[1]) else return 0 end";
const EXTEND: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then \
     return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
/// A fixed-window limiter: the count in this window, and whether the call
/// is allowed, as a table with a status reply and a double under RESP3.
const LIMITER: &str = "local n = redis.call('incr', KEYS[1]) \
     if n == 1 then redis.call('expire', KEYS[1], ARGV[2]) end \
     local allowed = n <= tonumber(ARGV[1]) \
     return {n, allowed and 1 or 0, redis.status_reply('checked'), allowed}";

/// Run the same command on both servers; the replies must be equal.
#[track_caller]
fn both(a: &mut redis::Connection, b: &mut redis::Connection, cmd: &redis::Cmd) -> Value {
    let x: redis::RedisResult<Value> = cmd.query(a);
    let y: redis::RedisResult<Value> = cmd.query(b);
    match (&x, &y) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "replies differ for {:?}", cmd.get_packed_command()),
        (Err(x), Err(y)) => assert_eq!(
            x.to_string(),
            y.to_string(),
            "errors differ for {:?}",
            String::from_utf8_lossy(&cmd.get_packed_command())
        ),
        _ => panic!("redis-server replied {x:?}, sonde replied {y:?}"),
    }
    x.unwrap_or(Value::Nil)
}

fn eval(script: &str, keys: &[&str], args: &[&str]) -> redis::Cmd {
    let mut c = redis::cmd("EVAL");
    c.arg(script).arg(keys.len()).arg(keys).arg(args);
    c
}

#[test]
fn lock_and_limiter_scripts_reply_as_redis_server_does() {
    let real = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let (mut r, mut s) = (real.client(), sonde.client());

    // Locks: acquire, extend and release by the owner only.
    both(
        &mut r,
        &mut s,
        redis::cmd("SET")
            .arg("lock")
            .arg("me")
            .arg("NX")
            .arg("PX")
            .arg(10_000),
    );
    assert_eq!(
        both(&mut r, &mut s, &eval(EXTEND, &["lock"], &["you", "30000"])),
        Value::Int(0)
    );
    assert_eq!(
        both(&mut r, &mut s, &eval(EXTEND, &["lock"], &["me", "30000"])),
        Value::Int(1)
    );
    let ttl: i64 = redis::cmd("PTTL").arg("lock").query(&mut s).expect("PTTL");
    assert!(ttl > 10_000, "the lock was not extended: {ttl}");
    assert_eq!(
        both(&mut r, &mut s, &eval(RELEASE, &["lock"], &["you"])),
        Value::Int(0)
    );
    assert_eq!(
        both(&mut r, &mut s, &eval(RELEASE, &["lock"], &["me"])),
        Value::Int(1)
    );
    assert_eq!(
        both(&mut r, &mut s, redis::cmd("EXISTS").arg("lock")),
        Value::Int(0)
    );

    // The same scripts through SCRIPT LOAD / EVALSHA.
    let sha = both(
        &mut r,
        &mut s,
        redis::cmd("SCRIPT").arg("LOAD").arg(RELEASE),
    );
    let Value::BulkString(sha) = sha else {
        panic!("SCRIPT LOAD replied {sha:?}")
    };
    both(&mut r, &mut s, redis::cmd("SET").arg("lock").arg("me"));
    both(
        &mut r,
        &mut s,
        redis::cmd("EVALSHA").arg(&sha).arg(1).arg("lock").arg("me"),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("EVALSHA")
            .arg("ffffffffffffffffffffffffffffffffffffffff")
            .arg(0),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("SCRIPT").arg("EXISTS").arg(&sha).arg("nope"),
    );

    // The limiter: allowed up to the limit, then refused.
    for _ in 0..5 {
        both(
            &mut r,
            &mut s,
            &eval(LIMITER, &["rate:user1"], &["3", "60"]),
        );
    }
    both(&mut r, &mut s, redis::cmd("GET").arg("rate:user1"));

    // Conversions and errors.
    for script in [
        "return {1, 2.9, -3.5, 'x', true, false, nil, 4}",
        "return redis.error_reply('MY custom error')",
        "return redis.pcall('incr', 'lock')",
        "return redis.call('incr', 'lock')",
        "return redis.call('nosuchcommand')",
        "return undefined_global",
        "x = 1",
        "return {err = 'ERR plain'}",
        "return redis.call('hset', 'h', 'a', '1', 'b', '2') + redis.call('hlen', 'h')",
        "return redis.sha1hex('abc')",
        "return bit.band(0xff, 0x0f)",
        "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')",
    ] {
        both(&mut r, &mut s, &eval(script, &[], &[]));
    }
    both(
        &mut r,
        &mut s,
        redis::cmd("EVAL_RO")
            .arg("return redis.call('set', 'k', 'v')")
            .arg(0),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("EVAL").arg("return 1").arg(2).arg("a"),
    );
}

#[test]
fn functions_persist_and_cross_to_a_redis_replica() {
    let lib = "#!lua name=counters\n\
        redis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)\n\
        redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}";
    let mut sonde = SondeServer::start(&[]);
    let mut s = sonde.client();
    let name: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(lib)
        .query(&mut s)
        .expect("LOAD");
    assert_eq!(name, "counters");
    let n: i64 = redis::cmd("FCALL")
        .arg("bump")
        .arg(1)
        .arg("c")
        .arg(5)
        .query(&mut s)
        .expect("FCALL");
    assert_eq!(n, 5);
    let err = redis::cmd("FCALL_RO")
        .arg("bump")
        .arg(1)
        .arg("c")
        .arg(1)
        .query::<i64>(&mut s)
        .expect_err("a write function through FCALL_RO");
    assert!(err.to_string().contains("write flag"), "{err}");

    // A redis-server replica gets the library in the full resync.
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &sonde.port.to_string()]);
    let mut r = replica.client();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got: redis::RedisResult<Option<String>> = redis::cmd("FCALL_RO")
            .arg("peek")
            .arg(1)
            .arg("c")
            .query(&mut r);
        if let Ok(Some(v)) = &got {
            assert_eq!(v, "5");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica never ran peek: {got:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(replica);

    // The library survives a restart through the RDB.
    let _: () = redis::cmd("SAVE").query(&mut s).expect("SAVE");
    let dump = sonde.dir.path().join("dump.rdb");
    let copy = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&dump, copy.path().join("dump.rdb")).expect("copy dump");
    let _ = sonde.child().kill();
    let restarted = SondeServer::start(&["--dir", copy.path().to_str().expect("utf-8 path")]);
    let mut s2 = restarted.client();
    let n: i64 = redis::cmd("FCALL")
        .arg("bump")
        .arg(1)
        .arg("c")
        .arg(1)
        .query(&mut s2)
        .expect("FCALL after restart");
    assert_eq!(n, 6);
    let listed: Value = redis::cmd("FUNCTION")
        .arg("LIST")
        .query(&mut s2)
        .expect("LIST");
    assert!(format!("{listed:?}").contains("counters"), "{listed:?}");

    // And the RDB loads in redis-server too.
    let real = RedisServer::start(&[
        "--dir",
        copy.path().to_str().expect("utf-8 path"),
        "--dbfilename",
        "dump.rdb",
    ]);
    let mut r2 = real.client();
    let v: Option<String> = redis::cmd("FCALL_RO")
        .arg("peek")
        .arg(1)
        .arg("c")
        .query(&mut r2)
        .expect("FCALL_RO on redis");
    assert_eq!(v.as_deref(), Some("5"));
}

#[test]
fn script_writes_reach_a_replica_as_one_transaction() {
    let master = SondeServer::start(&[]);
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let mut m = master.client();
    let mut r = replica.client();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query(&mut r)
            .expect("INFO");
        if info.contains("master_link_status:up") {
            break;
        }
        assert!(Instant::now() < deadline, "the replica never linked");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _: Value = eval(
        "redis.call('set', 'a', '1') redis.call('lpush', 'l', 'x', 'y') return redis.call('incr', 'a')",
        &[],
        &[],
    )
    .query(&mut m)
    .expect("EVAL");
    loop {
        let a: Option<String> = redis::cmd("GET").arg("a").query(&mut r).expect("GET");
        if a.as_deref() == Some("2") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the script's writes never arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let len: i64 = redis::cmd("LLEN").arg("l").query(&mut r).expect("LLEN");
    assert_eq!(len, 2);
}

#[test]
fn busy_script_gets_busy_replies_until_killed() {
    let sonde = SondeServer::start(&["--busy-reply-threshold", "100"]);
    let url = sonde.url();
    let runner = std::thread::spawn(move || {
        let mut c = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection())
            .expect("connect");
        eval("while true do end", &[], &[]).query::<Value>(&mut c)
    });
    let mut c = sonde.client();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got: redis::RedisResult<String> = redis::cmd("PING").query(&mut c);
        match got {
            Err(e) if e.to_string().contains("BUSY") => break,
            _ => {}
        }
        assert!(Instant::now() < deadline, "never got -BUSY");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _: () = redis::cmd("SCRIPT")
        .arg("KILL")
        .query(&mut c)
        .expect("SCRIPT KILL");
    let outcome = runner.join().expect("runner thread");
    let err = outcome.expect_err("the killed script replies an error");
    assert!(err.to_string().contains("killed"), "{err}");
    let pong: String = redis::cmd("PING").query(&mut c).expect("PING");
    assert_eq!(pong, "PONG");
}
