//! MIGRATE between `sonde serve` and a real redis-server, both ways: keys
//! with their TTLs, KEYS, COPY, REPLACE, AUTH, the target's errors passed
//! on, the connection cache in INFO, and a target that does not answer in
//! time.

use redis::Value;

use crate::common::{RedisServer, SondeServer};

fn migrate(
    c: &mut redis::Connection,
    port: u16,
    key: &str,
    db: i64,
    timeout: i64,
    extra: &[&str],
) -> redis::RedisResult<String> {
    redis::cmd("MIGRATE")
        .arg("127.0.0.1")
        .arg(port)
        .arg(key)
        .arg(db)
        .arg(timeout)
        .arg(extra)
        .query(c)
}

fn info_field(c: &mut redis::Connection, field: &str) -> String {
    let info: String = redis::cmd("INFO").arg("stats").query(c).expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn migrate_moves_keys_between_sonde_and_redis_server_both_ways() {
    let redis = RedisServer::start(&["--enable-debug-command", "yes"]);
    let sonde = SondeServer::start(&[]);
    let (mut r, mut s) = (redis.client(), sonde.client());
    let _: () = redis::pipe()
        .cmd("SET")
        .arg("plain")
        .arg("v1")
        .ignore()
        .cmd("RPUSH")
        .arg("list")
        .arg(&["a", "b", "c"])
        .ignore()
        .cmd("SET")
        .arg("ttl")
        .arg("t")
        .arg("PX")
        .arg(100_000)
        .ignore()
        .cmd("HSET")
        .arg("hash")
        .arg(&["f", "1", "g", "2"])
        .ignore()
        .query(&mut s)
        .expect("load sonde");
    assert_eq!(info_field(&mut s, "migrate_cached_sockets"), "0");

    // sonde → redis-server: one key, then several with KEYS.
    assert_eq!(
        migrate(&mut s, redis.port, "plain", 0, 5000, &[]).expect("MIGRATE"),
        "OK"
    );
    assert_eq!(info_field(&mut s, "migrate_cached_sockets"), "1");
    let moved = migrate(
        &mut s,
        redis.port,
        "",
        0,
        5000,
        &["KEYS", "list", "ttl", "nosuch"],
    );
    assert_eq!(moved.expect("MIGRATE KEYS"), "OK");
    assert_eq!(
        migrate(&mut s, redis.port, "nosuch", 0, 5000, &[]).expect("MIGRATE"),
        "NOKEY"
    );
    let left: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut s).expect("KEYS");
    assert_eq!(left, vec!["hash".to_owned()]);
    let list: Vec<String> = redis::cmd("LRANGE")
        .arg("list")
        .arg(0)
        .arg(-1)
        .query(&mut r)
        .expect("LRANGE");
    assert_eq!(list, ["a", "b", "c"]);
    let pttl: i64 = redis::cmd("PTTL").arg("ttl").query(&mut r).expect("PTTL");
    assert!(pttl > 90_000 && pttl <= 100_000, "{pttl}");

    // The target's error is passed on, and the key stays.
    let _: () = redis::cmd("SET")
        .arg("hash")
        .arg("taken")
        .query(&mut r)
        .expect("SET");
    let err = migrate(&mut s, redis.port, "hash", 0, 5000, &[]).expect_err("BUSYKEY");
    assert!(
        err.to_string()
            .contains("Target instance replied with error: BUSYKEY"),
        "{err}"
    );
    assert_eq!(
        migrate(&mut s, redis.port, "hash", 0, 5000, &["COPY", "REPLACE"]).expect("COPY"),
        "OK"
    );
    let kept: i64 = redis::cmd("EXISTS")
        .arg("hash")
        .query(&mut s)
        .expect("EXISTS");
    assert_eq!(kept, 1, "COPY keeps the key");
    let copied: Vec<String> = redis::cmd("HVALS")
        .arg("hash")
        .query(&mut r)
        .expect("HVALS");
    assert_eq!(copied, ["1", "2"]);

    // AUTH, into another database.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("pw")
        .query(&mut r)
        .expect("requirepass");
    let err =
        migrate(&mut s, redis.port, "hash", 3, 5000, &["AUTH", "wrong"]).expect_err("WRONGPASS");
    assert!(err.to_string().contains("WRONGPASS"), "{err}");
    // (The cached connection was authenticated before requirepass: the
    // target ran the RESTORE after refusing the AUTH, as Redis does.)
    assert_eq!(
        migrate(
            &mut s,
            redis.port,
            "hash",
            3,
            5000,
            &["AUTH", "pw", "REPLACE"]
        )
        .expect("AUTH"),
        "OK"
    );
    let _: () = redis::cmd("AUTH").arg("pw").query(&mut r).expect("AUTH");
    let _: () = redis::cmd("SELECT").arg(3).query(&mut r).expect("SELECT");
    let len: i64 = redis::cmd("HLEN").arg("hash").query(&mut r).expect("HLEN");
    assert_eq!(len, 2);

    // A target that does not answer within the timeout.
    let _: () = redis::cmd("SET")
        .arg("slow")
        .arg("x")
        .query(&mut s)
        .expect("SET");
    let mut sleeper = redis.client();
    let _: () = redis::cmd("AUTH")
        .arg("pw")
        .query(&mut sleeper)
        .expect("AUTH");
    let sleeping = std::thread::spawn(move || {
        let _: redis::RedisResult<Value> =
            redis::cmd("DEBUG").arg("SLEEP").arg(2).query(&mut sleeper);
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let err = migrate(&mut s, redis.port, "slow", 0, 300, &["AUTH", "pw"]).expect_err("IOERR");
    assert!(
        err.to_string()
            .contains("error or timeout reading to target instance"),
        "{err}"
    );
    sleeping.join().expect("sleeper");
    let err = migrate(&mut s, 1, "slow", 0, 300, &[]).expect_err("refused");
    assert!(
        err.to_string()
            .contains("error or timeout connecting"),
        "{err}"
    );
    let err = migrate(&mut s, redis.port, "x", 0, 300, &["KEYS", "slow"]).expect_err("KEYS");
    assert!(
        err.to_string().contains("must be set to the empty string"),
        "{err}"
    );

    // redis-server → sonde.
    let _: () = redis::cmd("SELECT").arg(0).query(&mut r).expect("SELECT");
    let moved = migrate(
        &mut r,
        sonde.port,
        "",
        5,
        5000,
        &["KEYS", "list", "ttl", "plain"],
    );
    assert_eq!(moved.expect("MIGRATE from redis-server"), "OK");
    let _: () = redis::cmd("SELECT").arg(5).query(&mut s).expect("SELECT");
    let values: Vec<Option<String>> = redis::cmd("MGET")
        .arg(&["plain", "ttl"])
        .query(&mut s)
        .expect("MGET");
    assert_eq!(values, [Some("v1".to_owned()), Some("t".to_owned())]);
    let pttl: i64 = redis::cmd("PTTL").arg("ttl").query(&mut s).expect("PTTL");
    assert!(pttl > 80_000 && pttl <= 100_000, "{pttl}");
}
