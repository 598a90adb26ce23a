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
        "return cjson.encode({1, 2.5, 'a/b', {x = true}, cjson.null})",
        "return cjson.decode('{\"a\":[1,2.5,null,\"\\u00e9\"]}').a[4]",
        "return cjson.encode({[1] = 1, [2] = 2, [20] = 3})",
        "return {pcall(cjson.decode, '[1,2')}",
        "return cmsgpack.pack({1, 2, 'x'}, -1099511627776, 0.1, 1.5, {a = {}})",
        "return {cmsgpack.unpack(cmsgpack.pack(1, -300, 70000, 'abc', true, 2^40))}",
        "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}",
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

const COUNTERS: &str = "#!lua name=counters\n\
    redis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)\n\
    redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}";
const GREET: &str = "#!lua name=greet\n\
    redis.register_function{function_name='hello', callback=function(keys, args) return 'hello ' .. args[1] end, flags={'no-writes'}}";

/// Poll `check` until it returns true (replication is asynchronous).
#[track_caller]
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// FUNCTION LIST WITHCODE, one entry per library with its functions
/// sorted, libraries sorted (redis-server lists both in hash-table order).
fn libraries(c: &mut redis::Connection) -> Vec<String> {
    let reply: Vec<Vec<Value>> = redis::cmd("FUNCTION")
        .arg("LIST")
        .arg("WITHCODE")
        .query(c)
        .expect("FUNCTION LIST");
    let mut libs: Vec<String> = reply
        .into_iter()
        .map(|fields| {
            let fields: Vec<String> = fields
                .into_iter()
                .map(|field| match field {
                    Value::Array(functions) => {
                        let mut f: Vec<String> =
                            functions.iter().map(|f| format!("{f:?}")).collect();
                        f.sort();
                        f.join(", ")
                    }
                    other => format!("{other:?}"),
                })
                .collect();
            fields.join(" ")
        })
        .collect();
    libs.sort();
    libs
}

fn linked(c: &mut redis::Connection) -> bool {
    let info: String = redis::cmd("INFO")
        .arg("replication")
        .query(c)
        .expect("INFO");
    info.contains("master_link_status:up")
}

#[test]
fn a_sonde_replica_of_redis_gets_functions_and_script_effects() {
    let master = RedisServer::start(&[]);
    let mut m = master.client();
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(COUNTERS)
        .query(&mut m)
        .expect("LOAD");
    let _: i64 = redis::cmd("FCALL")
        .arg("bump")
        .arg(1)
        .arg("c")
        .arg(7)
        .query(&mut m)
        .expect("FCALL");

    // The full resync carries the library and the data.
    let replica = SondeServer::start(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let mut r = replica.client();
    eventually("the sonde replica to link", || linked(&mut r));
    let v: Option<String> = redis::cmd("FCALL_RO")
        .arg("peek")
        .arg(1)
        .arg("c")
        .query(&mut r)
        .expect("FCALL_RO");
    assert_eq!(v.as_deref(), Some("7"));

    // Then the stream: a new library, a function's and a script's writes.
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(GREET)
        .query(&mut m)
        .expect("LOAD greet");
    let _: i64 = redis::cmd("FCALL")
        .arg("bump")
        .arg(1)
        .arg("c")
        .arg(3)
        .query(&mut m)
        .expect("FCALL");
    let _: Value = eval(
        "redis.call('hset', KEYS[1], 'f', ARGV[1]) redis.call('rpush', KEYS[2], ARGV[1], ARGV[1]) return 1",
        &["h", "l"],
        &["v"],
    )
    .query(&mut m)
    .expect("EVAL");
    eventually("the script's writes on the replica", || {
        let n: i64 = redis::cmd("LLEN").arg("l").query(&mut r).expect("LLEN");
        n == 2
    });
    let v: Option<String> = redis::cmd("GET").arg("c").query(&mut r).expect("GET");
    assert_eq!(v.as_deref(), Some("10"));
    let h: Option<String> = redis::cmd("HGET")
        .arg("h")
        .arg("f")
        .query(&mut r)
        .expect("HGET");
    assert_eq!(h.as_deref(), Some("v"));
    let hello: String = redis::cmd("FCALL_RO")
        .arg("hello")
        .arg(0)
        .arg("you")
        .query(&mut r)
        .expect("hello");
    assert_eq!(hello, "hello you");
    // A replica refuses writes from scripts, as redis-server's replicas do.
    let err = redis::cmd("FCALL")
        .arg("bump")
        .arg(1)
        .arg("c")
        .arg(1)
        .query::<i64>(&mut r)
        .expect_err("write on a replica");
    assert_eq!(err.code(), Some("READONLY"), "{err}");

    // The listings agree.
    assert_eq!(libraries(&mut m), libraries(&mut r));
}

#[test]
fn function_dump_and_restore_cross_between_redis_and_sonde() {
    let real = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let (mut r, mut s) = (real.client(), sonde.client());
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(COUNTERS)
        .query(&mut r)
        .expect("LOAD");
    let dump: Vec<u8> = redis::cmd("FUNCTION")
        .arg("DUMP")
        .query(&mut r)
        .expect("DUMP");

    // redis-server's payload restores in sonde.
    let _: () = redis::cmd("FUNCTION")
        .arg("RESTORE")
        .arg(&dump)
        .query(&mut s)
        .expect("RESTORE in sonde");
    let n: i64 = redis::cmd("FCALL")
        .arg("bump")
        .arg(1)
        .arg("x")
        .arg(2)
        .query(&mut s)
        .expect("FCALL");
    assert_eq!(n, 2);
    // (redis-server compresses the code with LZF, sonde does not: the
    // payloads differ in bytes but restore alike.)

    // sonde's payload with two libraries restores in redis-server.
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(GREET)
        .query(&mut s)
        .expect("LOAD greet");
    let two: Vec<u8> = redis::cmd("FUNCTION")
        .arg("DUMP")
        .query(&mut s)
        .expect("DUMP");
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION").arg("RESTORE").arg(&two),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION").arg("RESTORE").arg(&two).arg("FLUSH"),
    );
    assert_eq!(libraries(&mut r), libraries(&mut s));
    both(
        &mut r,
        &mut s,
        redis::cmd("FCALL").arg("hello").arg(0).arg("there"),
    );

    // Policies and bad payloads fail the same way.
    // (Which existing library redis-server names depends on its hash order.)
    for (name, c) in [("redis-server", &mut r), ("sonde", &mut s)] {
        let err = redis::cmd("FUNCTION")
            .arg("RESTORE")
            .arg(&two)
            .arg("APPEND")
            .query::<()>(c)
            .expect_err("APPEND of existing libraries");
        assert!(err.to_string().contains("already exists"), "{name}: {err}");
    }
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION")
            .arg("RESTORE")
            .arg(&two)
            .arg("REPLACE"),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION")
            .arg("RESTORE")
            .arg(&two)
            .arg("SOMETIMES"),
    );
    let mut bad = two.clone();
    bad[3] ^= 0x20;
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION").arg("RESTORE").arg(&bad),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION").arg("RESTORE").arg("short"),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg("#!lua name=greet\nreturn 1"),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg("#!lua name=bad\nredis.call('ping')"),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION").arg("DELETE").arg("greet"),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("FUNCTION").arg("DELETE").arg("greet"),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("FCALL").arg("hello").arg(0).arg("there"),
    );
}

#[test]
fn a_redis_rdb_with_functions_loads_in_sonde() {
    let real = RedisServer::start(&[]);
    let mut r = real.client();
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(COUNTERS)
        .query(&mut r)
        .expect("LOAD");
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(GREET)
        .query(&mut r)
        .expect("LOAD");
    let _: i64 = redis::cmd("FCALL")
        .arg("bump")
        .arg(1)
        .arg("c")
        .arg(4)
        .query(&mut r)
        .expect("FCALL");
    let _: () = redis::cmd("SAVE").query(&mut r).expect("SAVE");
    let sonde = SondeServer::start(&[
        "--dir",
        real.dir().to_str().expect("utf-8 path"),
        "--dbfilename",
        "dump.rdb",
    ]);
    let mut s = sonde.client();
    let v: Option<String> = redis::cmd("FCALL_RO")
        .arg("peek")
        .arg(1)
        .arg("c")
        .query(&mut s)
        .expect("FCALL_RO");
    assert_eq!(v.as_deref(), Some("4"));
    assert_eq!(libraries(&mut r), libraries(&mut s));
}

#[test]
fn functions_survive_an_aof_rewrite_and_the_aof_tail() {
    for preamble in ["no", "yes"] {
        // appendfsync always: the kill below must not race a postponed
        // everysec write (redis-server may lose that second too).
        let mut sonde = SondeServer::start(&[
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--aof-use-rdb-preamble",
            preamble,
        ]);
        let mut s = sonde.client();
        let _: String = redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg(COUNTERS)
            .query(&mut s)
            .expect("LOAD");
        let _: i64 = redis::cmd("FCALL")
            .arg("bump")
            .arg(1)
            .arg("c")
            .arg(2)
            .query(&mut s)
            .expect("FCALL");
        let _: Value = redis::cmd("BGREWRITEAOF")
            .query(&mut s)
            .expect("BGREWRITEAOF");
        eventually("the AOF rewrite to finish", || {
            let info: String = redis::cmd("INFO")
                .arg("persistence")
                .query(&mut s)
                .expect("INFO");
            info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0")
        });
        // After the rewrite: in the AOF tail.
        let _: String = redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg(GREET)
            .query(&mut s)
            .expect("LOAD greet");
        let _: i64 = redis::cmd("FCALL")
            .arg("bump")
            .arg(1)
            .arg("c")
            .arg(3)
            .query(&mut s)
            .expect("FCALL");
        let dir = sonde.dir.path().to_str().expect("utf-8 path").to_string();
        let _ = sonde.child().kill();
        let _ = sonde.child().wait();
        let again = SondeServer::start(&["--appendonly", "yes", "--dir", &dir]);
        let mut s2 = again.client();
        let v: Option<String> = redis::cmd("FCALL_RO")
            .arg("peek")
            .arg(1)
            .arg("c")
            .query(&mut s2)
            .expect("FCALL_RO");
        assert_eq!(
            v.as_deref(),
            Some("5"),
            "preamble {preamble}: {}",
            again.log()
        );
        let hello: String = redis::cmd("FCALL")
            .arg("hello")
            .arg(0)
            .arg("aof")
            .query(&mut s2)
            .expect("hello");
        assert_eq!(hello, "hello aof");
    }
}

#[test]
fn a_killed_script_client_gets_its_pipelined_replies() {
    use std::io::{Read, Write};
    let sonde = SondeServer::start(&["--busy-reply-threshold", "10"]);
    let mut c = sonde.client();
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut raw = sonde.raw();
    // PING, a busy script and PING again in one write: every reply must
    // arrive once the script is killed.
    raw.write_all(b"*1\r\n$4\r\nPING\r\n*3\r\n$4\r\nEVAL\r\n$17\r\nwhile 1 do end --\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n")
        .expect("write");
    eventually("-BUSY", || {
        let got: redis::RedisResult<String> = redis::cmd("PING").query(&mut c);
        matches!(got, Err(e) if e.to_string().contains("BUSY"))
    });
    let _: () = redis::cmd("SCRIPT")
        .arg("KILL")
        .query(&mut c)
        .expect("SCRIPT KILL");
    raw.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !got.ends_with(b"+PONG\r\n") || got.iter().filter(|&&b| b == b'+').count() < 2 {
        let n = raw
            .read(&mut buf)
            .expect("the replies of the script's client");
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("+PONG\r\n-ERR Script killed by user"),
        "{text}"
    );
}

#[test]
fn script_kill_sent_as_the_script_starts_is_served() {
    use std::io::{Read, Write};
    let sonde = SondeServer::start(&[
        "--busy-reply-threshold",
        "10",
        "--enable-debug-command",
        "yes",
    ]);
    // While DEBUG SLEEP holds the server, a busy script and then SCRIPT
    // KILL arrive: both are ready in the same round of events, the script
    // first. The kill must still be read while the script is busy.
    let mut sleeper = sonde.raw();
    sleeper
        .write_all(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.5\r\n")
        .expect("write");
    std::thread::sleep(Duration::from_millis(100));
    let mut runner = sonde.raw();
    runner
        .write_all(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile 1 do end --\r\n$1\r\n0\r\n")
        .expect("write");
    std::thread::sleep(Duration::from_millis(100));
    let mut killer = sonde.raw();
    killer
        .write_all(b"*2\r\n$6\r\nSCRIPT\r\n$4\r\nKILL\r\n")
        .expect("write");
    let read_line = |stream: &mut std::net::TcpStream, what: &str| {
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n") {
            let n = stream
                .read(&mut byte)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(n > 0, "{what}: closed");
            got.push(byte[0]);
        }
        String::from_utf8_lossy(&got).into_owned()
    };
    assert_eq!(read_line(&mut sleeper, "DEBUG SLEEP"), "+OK\r\n");
    // SCRIPT KILL may come before the script timed out (NOTBUSY): then it
    // is sent again until the script is killed.
    let mut reply = read_line(&mut killer, "SCRIPT KILL");
    let deadline = Instant::now() + Duration::from_secs(10);
    while reply.starts_with("-NOTBUSY") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        killer
            .write_all(b"*2\r\n$6\r\nSCRIPT\r\n$4\r\nKILL\r\n")
            .expect("write");
        reply = read_line(&mut killer, "SCRIPT KILL");
    }
    assert_eq!(reply, "+OK\r\n");
    let killed = read_line(&mut runner, "the script's reply");
    assert!(killed.starts_with("-ERR Script killed by user"), "{killed}");
}

/// `struct.pack`/`unpack`/`size` over every option, byte order and
/// alignment, and their errors (called directly, so both name the
/// function), as redis-server's embedded library answers.
#[test]
fn the_struct_library_packs_and_unpacks_as_redis_server_does() {
    let real = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let (mut r, mut s) = (real.client(), sonde.client());
    let packing = r#"
        local t = {}
        local function add(...) for _, v in ipairs({...}) do t[#t+1] = tostring(v) end end
        add(struct.size(">!4 i3 h d"), struct.size("bBhHlLTfdxi2I8c5"))
        local s = struct.pack(">i3 h <d !4 I2 s c3 c0", -5, 300, 1.5, 65535, "abc", "xyzw", "pq")
        add(#s, redis.sha1hex(s))
        add(struct.unpack(">i3 h <d !4 I2 s c3", s, 1))
        add(struct.unpack("b B h H l L", struct.pack("b B h H l L", -1, 255, -2, 65534, -3, 12345678901)))
        add(struct.unpack("i1 c0", struct.pack("i1 c0", 3, "hey")))
        add(struct.unpack("f", struct.pack("f", 0.1)))
        add(struct.unpack(">I16", struct.pack(">I16", 42)))
        add(struct.unpack("!8 b d", struct.pack("!8 b d", 1, 2.5)))
        return table.concat(t, "|")"#;
    both(&mut r, &mut s, &eval(packing, &[], &[]));
    for bad in [
        "return struct.pack('z', 1)",
        "return struct.pack('!3', 1)",
        "return struct.unpack('i4', 'ab')",
        "return struct.size('s')",
        "return struct.unpack('s', 'abc')",
        "return struct.pack('i40', 1)",
        "return struct.unpack('i', 'abcd', 0)",
        "return struct.pack('c5', 'ab')",
        "return struct.unpack('c0', 'ab')",
    ] {
        both(&mut r, &mut s, &eval(bad, &[], &[]));
    }
}

/// A script that SELECTs other databases reaches a sonde replica (and a
/// redis-server one) with every write in its own database: the replica
/// queues the SELECTs of the MULTI/EXEC it is sent.
#[test]
fn script_selecting_databases_replicates_to_the_right_databases() {
    let master = SondeServer::start(&["--enable-debug-command", "yes"]);
    let port = master.port.to_string();
    let sonde_replica = SondeServer::start(&[
        "--replicaof",
        "127.0.0.1",
        &port,
        "--enable-debug-command",
        "yes",
    ]);
    let redis_replica = RedisServer::start(&[
        "--replicaof",
        "127.0.0.1",
        &port,
        "--enable-debug-command",
        "yes",
    ]);
    let mut replicas = [sonde_replica.client(), redis_replica.client()];
    for r in &mut replicas {
        eventually("the replica's link", || {
            let info: String = redis::cmd("INFO")
                .arg("replication")
                .query(r)
                .expect("INFO");
            info.contains("master_link_status:up")
        });
    }
    let mut m = master.client();
    let _: () = redis::cmd("SELECT").arg(9).query(&mut m).expect("SELECT");
    let script = "redis.call('set','foo1','bar1') redis.call('select','10') redis.call('incr','x') \
                  redis.call('select','11') redis.call('incr','z')";
    for _ in 0..2 {
        let _: Value = eval(script, &[], &[]).query(&mut m).expect("EVAL");
    }
    let _: i64 = redis::cmd("INCR").arg("after").query(&mut m).expect("INCR");
    let digest = |c: &mut redis::Connection| -> String {
        redis::cmd("DEBUG")
            .arg("DIGEST")
            .query(c)
            .expect("DEBUG DIGEST")
    };
    let expected = digest(&mut m);
    for r in &mut replicas {
        eventually("the replica's dataset to match the master's", || {
            digest(r) == expected
        });
    }
    let _: () = redis::cmd("SELECT")
        .arg(10)
        .query(&mut replicas[0])
        .expect("SELECT");
    let x: i64 = redis::cmd("GET")
        .arg("x")
        .query(&mut replicas[0])
        .expect("GET");
    assert_eq!(x, 2);
}

/// One `redis-cli --ldb` session, the debugger commands fed on stdin: its
/// transcript, with the addresses of Lua functions masked.
fn ldb_session(port: u16, mode: &str, script: &std::path::Path, stdin: &str) -> String {
    use std::io::Write;
    let mut child =
        std::process::Command::new(crate::common::redis_server::require_tool("redis-cli"))
            .args(["-p", &port.to_string(), mode, "--eval"])
            .arg(script)
            .args(["k1", ",", "a1", "a2"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn redis-cli");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write the debugger commands");
    let out = child.wait_with_output().expect("redis-cli --ldb");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut masked = String::new();
    let mut rest = &text[..];
    while let Some(at) = rest.find("@0x") {
        masked.push_str(&rest[..at + 1]);
        rest = rest[at + 3..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        masked.push_str("ADDR");
    }
    masked.push_str(rest);
    masked
}

/// The Lua debugger (`redis-cli --ldb`, SCRIPT DEBUG YES and SYNC): the
/// same session against redis-server and sonde prints the same transcript
/// (steps, locals, listings, breakpoints, backtraces, eval, logged
/// commands and replies, trimming, abort); a forked session's writes are
/// thrown away, a synchronous one's kept.
#[test]
fn the_lua_debugger_answers_as_redis_server_does() {
    let real = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("debugged.lua");
    std::fs::write(
        &script,
        "local function twice(n)\n\
         \x20 local d = n * 2\n\
         \x20 return d\n\
         end\n\
         local t = {1, 'two', {x = 3}, 4.5, true}\n\
         redis.debug('start', t, KEYS, ARGV)\n\
         redis.call('set', KEYS[1], string.rep('v', 300))\n\
         local got = redis.call('get', KEYS[1])\n\
         local n = twice(#got)\n\
         redis.breakpoint()\n\
         redis.pcall('incr', KEYS[1])\n\
         return {n, redis.call('strlen', KEYS[1])}\n",
    )
    .expect("write the script");
    let commands = "step\nprint\nprint t\nprint KEYS\nprint ARGV\nprint nope\nlist\nlist 9 1\n\
                    whole\nbreak\nbreak 9\nbreak 3\nbreak 99\nbreak x\nbreak\nbreak -9\nbreak -7\n\
                    continue\ntrace\nprint\nmaxlen 70\nmaxlen\nredis get k1\nmaxlen 0\n\
                    redis ping\neval 1 + 2\neval local z = 1\neval (\nfrobnicate\nhelp\n\
                    continue\nstep\nstep\n";
    for mode in ["--ldb", "--ldb-sync-mode"] {
        let expected = ldb_session(real.port, mode, &script, commands);
        let got = ldb_session(sonde.port, mode, &script, commands);
        assert!(
            expected.contains("<value> d = 600")
                && expected.contains("<retval> 3")
                && expected.contains("(Lua debugging session ended"),
            "the session did not run as planned on redis-server:\n{expected}"
        );
        assert_eq!(got, expected, "{mode} transcripts differ");
    }
    // The forked session's writes were thrown away, the synchronous one's
    // kept: both servers hold the key only from the second session.
    let (mut r, mut s) = (real.client(), sonde.client());
    both(&mut r, &mut s, redis::cmd("STRLEN").arg("k1"));
    let aborted = "step\nredis set k2 x\nabort\n";
    let expected = ldb_session(real.port, "--ldb-sync-mode", &script, aborted);
    assert_eq!(
        ldb_session(sonde.port, "--ldb-sync-mode", &script, aborted),
        expected
    );
    assert!(
        expected.contains("script aborted for user request"),
        "{expected}"
    );
    both(&mut r, &mut s, redis::cmd("GET").arg("k2"));
    // EVALSHA cannot be debugged; SCRIPT DEBUG checks its argument.
    let debugged = |c: &mut redis::Connection| {
        let _: () = redis::cmd("SCRIPT")
            .arg("DEBUG")
            .arg("YES")
            .query(c)
            .expect("SCRIPT DEBUG");
    };
    debugged(&mut r);
    debugged(&mut s);
    both(
        &mut r,
        &mut s,
        redis::cmd("EVALSHA").arg("a".repeat(40)).arg(0),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("SCRIPT").arg("DEBUG").arg("maybe"),
    );
    both(&mut r, &mut s, redis::cmd("SCRIPT").arg("DEBUG").arg("NO"));
    both(&mut r, &mut s, &eval("return 1", &[], &[]));
}

/// redis.call's own path (arguments read off the Lua stack, the reply
/// pushed back from its RESP bytes): number arguments as `%.17g`, bad
/// argument types, thousands of arguments, every reply shape under RESP2
/// and RESP3, errors raised by redis.call and returned by redis.pcall,
/// and KEYS/ARGV of EVAL and FCALL, each compared with redis-server.
#[test]
fn redis_call_arguments_and_replies_match_redis_server() {
    let real = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let (mut r, mut s) = (real.client(), sonde.client());
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "redis.call('set', KEYS[1], 0.1) return redis.call('get', KEYS[1])",
            &["n"],
            &[],
        ),
        (
            "redis.call('set', KEYS[1], 3) return redis.call('get', KEYS[1])",
            &["n"],
            &[],
        ),
        (
            "redis.call('set', KEYS[1], -1e300) return redis.call('get', KEYS[1])",
            &["n"],
            &[],
        ),
        (
            "redis.call('set', KEYS[1], 1/0) return redis.call('get', KEYS[1])",
            &["n"],
            &[],
        ),
        ("return redis.pcall('set', KEYS[1], true)", &["n"], &[]),
        ("return redis.pcall()", &[], &[]),
        ("return redis.call('set', KEYS[1], {})", &["n"], &[]),
        ("return redis.call('nosuch')", &[], &[]),
        ("return redis.pcall('incr', KEYS[1])", &["n"], &[]),
        (
            "local e = redis.pcall('incr', KEYS[1]) return e.err",
            &["n"],
            &[],
        ),
        ("return redis.call('incr', KEYS[1])", &["n"], &[]),
        (
            "local t = {} for i = 1, 7990 do t[i] = 'm' .. i end \
             redis.call('del', KEYS[1]) \
             redis.call('sadd', KEYS[1], unpack(t)) \
             return #redis.call('smembers', KEYS[1])",
            &["big"],
            &[],
        ),
        (
            "redis.call('del', KEYS[1]) redis.call('rpush', KEYS[1], 'a', 'b') \
             return {redis.call('lrange', KEYS[1], 0, -1), redis.call('ping'), \
             redis.call('get', 'missing'), redis.call('llen', KEYS[1])}",
            &["l"],
            &[],
        ),
        (
            "redis.setresp(3) redis.call('del', KEYS[1]) redis.call('hset', KEYS[1], 'f', 'v') \
             local m = redis.call('hgetall', KEYS[1]) \
             local d = redis.call('zscore', 'nozset', 'x') \
             return {m.map.f, type(d), redis.call('exists', KEYS[1])}",
            &["h"],
            &[],
        ),
        (
            "return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}",
            &["k1", "k2"],
            &["a1", "a2"],
        ),
    ];
    for (script, keys, args) in cases {
        both(&mut r, &mut s, &eval(script, keys, args));
    }
    let lib = "#!lua name=argslib\nredis.register_function('args', \
               function(keys, args) return {#keys, #args, keys[1], args[2]} end)";
    both(&mut r, &mut s, redis::cmd("FUNCTION").arg("LOAD").arg(lib));
    both(
        &mut r,
        &mut s,
        redis::cmd("FCALL")
            .arg("args")
            .arg(1)
            .arg("k")
            .arg("x")
            .arg("y"),
    );
    // EVALSHA by a SHA1 in upper case finds the script.
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg("return 7")
        .query(&mut s)
        .unwrap();
    both(
        &mut r,
        &mut s,
        redis::cmd("SCRIPT").arg("LOAD").arg("return 7"),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("EVALSHA").arg(sha.to_ascii_uppercase()).arg(0),
    );
    both(
        &mut r,
        &mut s,
        redis::cmd("SCRIPT")
            .arg("EXISTS")
            .arg(sha.to_ascii_uppercase())
            .arg("ab"),
    );
}
