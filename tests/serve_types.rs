//! `sonde serve` data types: lists, hashes, sets and sorted sets, blocking
//! pops, MULTI/EXEC/WATCH, pub/sub and DUMP/RESTORE — differential scripts
//! against a real redis-server (replies compared byte for byte, see
//! `common::differential`) and behaviour tests of blocking and pub/sub
//! with several real clients.

use std::time::{Duration, Instant};

use crate::common::differential::{Conn, assert_same};
use crate::common::{RedisServer, SondeServer};

fn diff(script: &str) {
    let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
    assert_same(&redis.addr(), &sonde.addr(), script);
}

/// The raw replies redis-server gave (first) and sonde gave (second) are
/// the same, shown quoted when they differ.
#[track_caller]
fn assert_same_replies(results: &[Vec<Vec<u8>>]) {
    let quoted = |replies: &Vec<Vec<u8>>| {
        replies
            .iter()
            .map(|r| sonde::output::bytes::quoted(r))
            .collect::<Vec<_>>()
    };
    assert_eq!(quoted(&results[0]), quoted(&results[1]));
}

fn args(line: &str) -> Vec<Vec<u8>> {
    sonde::resp::request::split_args(line.as_bytes()).expect("balanced quotes")
}

#[test]
fn list_commands_match_redis() {
    diff(
        r#"
        RPUSH l a b c d e
        LPUSH l z y
        LRANGE l 0 -1
        LRANGE l -3 -1
        LRANGE l 5 2
        LRANGE l -100 100
        LRANGE l 0 abc
        LRANGE missing 0 -1
        LLEN l
        LLEN missing
        LINDEX l 0
        LINDEX l -1
        LINDEX l 100
        LINDEX l x
        LSET l 0 first
        LSET l -1 last
        LSET l 100 x
        LSET missing 0 x
        LRANGE l 0 -1
        OBJECT ENCODING l
        LPUSHX missing a
        RPUSHX missing a
        EXISTS missing
        LPUSHX l x1 x2
        RPUSHX l y1
        LPOP l
        RPOP l
        LPOP l 2
        RPOP l 0
        LPOP l -1
        LPOP missing
        LPOP missing 2
        LPOP l 100
        EXISTS l
        RPUSH r a b a c a d a
        LREM r 2 a
        LRANGE r 0 -1
        LREM r -1 a
        LRANGE r 0 -1
        LREM r 0 a
        LRANGE r 0 -1
        LREM r 0 zzz
        LREM r x a
        LINSERT r BEFORE c X
        LINSERT r AFTER d Y
        LINSERT r AFTER nothere Y
        LINSERT r MIDDLE d Y
        LINSERT missing BEFORE a b
        LRANGE r 0 -1
        RPUSH t 1 2 3 4 5 6 7 8 9
        LTRIM t 2 -3
        LRANGE t 0 -1
        LTRIM t 100 200
        EXISTS t
        RPUSH p a b c a b c a
        LPOS p a
        LPOS p a RANK 2
        LPOS p a RANK -1
        LPOS p a COUNT 0
        LPOS p a COUNT 2
        LPOS p a COUNT 0 RANK -2
        LPOS p a MAXLEN 1 COUNT 0
        LPOS p a RANK 0
        LPOS p a COUNT -1
        LPOS p a MAXLEN -1
        LPOS p a BOGUS 1
        LPOS p zz
        LPOS p zz COUNT 0
        LPOS missing a
        LPOS p a RANK -9223372036854775808
        RPUSH src 1 2 3
        LMOVE src dst LEFT RIGHT
        LMOVE src dst RIGHT LEFT
        LMOVE src src LEFT RIGHT
        LMOVE src dst UP DOWN
        LRANGE src 0 -1
        LRANGE dst 0 -1
        RPOPLPUSH src dst
        RPOPLPUSH src dst
        EXISTS src
        LMPOP 2 missing dst LEFT
        LMPOP 2 missing dst RIGHT COUNT 10
        LMPOP 1 dst LEFT COUNT 0
        LMPOP 0 dst LEFT
        LMPOP 1 dst MIDDLE
        LMPOP 5 dst LEFT
        LMPOP 1 missing LEFT
        SET s str
        LPUSH s a
        LRANGE s 0 -1
        LLEN s
        LPOP s
        LMOVE s dst LEFT LEFT
        RPUSH dst x
        LMOVE dst s LEFT LEFT
        TYPE dst
        BLPOP missing 0.01
        BRPOP missing 0.01
        BLPOP dst 0
        BLPOP dst -1
        BLPOP dst abc
        BLMPOP 0.01 1 missing LEFT
        BLMOVE missing dst LEFT LEFT 0.01
        BRPOPLPUSH missing dst 0.01
        "#,
    );
}

#[test]
fn list_encodings_follow_the_thresholds() {
    diff(
        r#"
        CONFIG SET list-max-listpack-size 4
        RPUSH l 1 2 3 4
        OBJECT ENCODING l
        RPUSH l 5
        OBJECT ENCODING l
        LRANGE l 0 -1
        LINDEX l 3
        LINSERT l BEFORE 3 x
        LRANGE l 0 -1
        RPOP l 4
        LRANGE l 0 -1
        CONFIG SET list-max-listpack-size -2
        RPUSH big "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        OBJECT ENCODING big
        CONFIG GET list-max-listpack-size
        "#,
    );
}

#[test]
fn hash_commands_match_redis() {
    diff(
        r#"
        HSET h f1 v1 f2 v2
        HSET h f1 new
        HSET h odd
        HGET h f1
        HGET h none
        HGET missing f
        HSETNX h f1 x
        HSETNX h f3 v3
        HMSET h a 1 b 2
        HMGET h f1 none a
        HMGET missing a b
        HLEN h
        HLEN missing
        HSTRLEN h f1
        HSTRLEN h none
        HEXISTS h f1
        HEXISTS h none
        HKEYS h
        HVALS h
        HGETALL h
        HGETALL missing
        OBJECT ENCODING h
        HDEL h f1 none a
        HDEL missing a
        HINCRBY h n 5
        HINCRBY h n -10
        HINCRBY h f2 1
        HINCRBY h n abc
        HINCRBY h big 9223372036854775807
        HINCRBY h big 1
        HINCRBYFLOAT h fl 1.5
        HINCRBYFLOAT h fl 1e3
        HINCRBYFLOAT h fl abc
        HINCRBYFLOAT h f2 1
        HINCRBYFLOAT h fl inf
        HINCRBYFLOAT h n 0.25
        HGET h n
        HGETALL h
        HRANDFIELD missing
        HRANDFIELD missing 3
        HRANDFIELD h 0
        HRANDFIELD h x
        ?HRANDFIELD h
        ?HRANDFIELD h 2 WITHVALUES
        ~HRANDFIELD h 100
        ~HRANDFIELD h 100 WITHVALUES
        HRANDFIELD h 2 BOGUS
        HSCAN h x
        HSCAN h 0 COUNT 0
        HSCAN h 0 BOGUS 1
        HSCAN missing 0
        HSCAN h 0
        HSCAN h 0 MATCH f*
        HDEL h f2 f3 b n big fl
        EXISTS h
        SET s v
        HSET s a b
        HGET s a
        HGETALL s
        HLEN s
        "#,
    );
}

#[test]
fn hash_encodings_follow_the_thresholds() {
    diff(
        r#"
        CONFIG SET hash-max-listpack-entries 3
        CONFIG SET hash-max-listpack-value 8
        HSET h a 1 b 2 c 3
        OBJECT ENCODING h
        HSET h d 4
        OBJECT ENCODING h
        HSET v a 12345678
        OBJECT ENCODING v
        HSET v b 123456789
        OBJECT ENCODING v
        HSET w 123456789 a
        OBJECT ENCODING w
        ~HGETALL v
        ~HGETALL h
        ~HKEYS h
        "#,
    );
}

#[test]
fn set_commands_match_redis() {
    diff(
        r#"
        SADD s 3 1 2
        SMEMBERS s
        OBJECT ENCODING s
        SADD s 2 4
        SADD s a
        OBJECT ENCODING s
        ~SMEMBERS s
        SISMEMBER s a
        SISMEMBER s zz
        SISMEMBER missing a
        SMISMEMBER s a zz 1
        SMISMEMBER missing a
        SCARD s
        SCARD missing
        SREM s 1 zz
        SREM missing a
        SMOVE s t a
        SMOVE s t nope
        SMOVE missing t a
        SMEMBERS t
        SADD a 1 2 3 4 5
        SADD b 4 5 6
        SADD c x 5
        SINTER a b
        ~SINTER a c
        SINTER a missing
        ~SUNION a b c
        SUNION missing
        SDIFF a b
        SDIFF a missing
        SDIFF missing a
        SINTERCARD 2 a b
        SINTERCARD 2 a b LIMIT 1
        SINTERCARD 2 a b LIMIT -1
        SINTERCARD 0 a
        SINTERCARD 3 a b
        SINTERCARD 1 a BOGUS
        SINTERSTORE dst a b
        SMEMBERS dst
        SUNIONSTORE dst a b
        SMEMBERS dst
        SDIFFSTORE dst a b
        SMEMBERS dst
        SINTERSTORE dst a missing
        EXISTS dst
        SDIFFSTORE a a a
        EXISTS a
        SPOP missing
        SPOP missing 2
        SPOP b 0
        SPOP b -1
        SADD b2 4 5 6
        ?SPOP b2
        SCARD b2
        ~SPOP b 10
        EXISTS b
        SRANDMEMBER missing
        SRANDMEMBER missing 5
        SADD r 1 2 3
        ~SRANDMEMBER r 10
        ?SRANDMEMBER r -10
        SRANDMEMBER r 0
        SRANDMEMBER r x
        SSCAN r 0
        SSCAN r x
        SSCAN missing 0
        SSCAN r 0 MATCH 1
        SET str v
        SADD str a
        SMEMBERS str
        SINTER r str
        SUNIONSTORE dst r str
        SMOVE r str 1
        SMOVE str r a
        "#,
    );
}

#[test]
fn set_encodings_follow_the_thresholds() {
    diff(
        r#"
        CONFIG SET set-max-intset-entries 4
        SADD s 1 2 3 4
        OBJECT ENCODING s
        SADD s 5
        OBJECT ENCODING s
        SADD n -9223372036854775808 9223372036854775807 0
        SMEMBERS n
        OBJECT ENCODING n
        SADD m 01
        OBJECT ENCODING m
        SADD p " 1"
        OBJECT ENCODING p
        SINTERSTORE d s n
        OBJECT ENCODING d
        SMEMBERS d
        "#,
    );
}

#[test]
fn sorted_set_commands_match_redis() {
    diff(
        r#"
        ZADD z 1 a 2 b 3 c
        ZADD z 1.5 a
        ZADD z NX 9 a 4 d
        ZADD z XX 9 a 5 e
        ZADD z GT CH 1 a 10 b
        ZADD z LT CH 1 a 20 b
        ZADD z NX XX 1 a
        ZADD z GT LT 1 a
        ZADD z NX GT 1 a
        ZADD z INCR 2 a
        ZADD z INCR 2 a 3 b
        ZADD z NX INCR 1 a
        ZADD z abc a
        ZADD z 1 a 2
        ZADD z nan a
        ZADD z inf top -inf bottom
        ZRANGE z 0 -1 WITHSCORES
        ZINCRBY z 1.5 c
        ZINCRBY z abc c
        ZINCRBY z 1 new
        ZSCORE z a
        ZSCORE z none
        ZSCORE missing a
        ZMSCORE z a none c
        ZMSCORE missing a
        ZCARD z
        ZCARD missing
        ZCOUNT z 1 3
        ZCOUNT z (1 3
        ZCOUNT z -inf +inf
        ZCOUNT z x 3
        ZRANK z a
        ZRANK z none
        ZREVRANK z a
        ZRANK missing a
        ZREM z none new
        ZRANGE z 0 -1
        ZRANGE z -2 -1 WITHSCORES
        ZRANGE z 5 1
        ZRANGE z 0 -1 REV
        ZRANGE z 1 3 BYSCORE
        ZRANGE z (1 +inf BYSCORE WITHSCORES
        ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2
        ZRANGE z 0 -1 LIMIT 0 1
        ZRANGE z 0 -1 BYSCORE BYLEX
        ZRANGE z a b BYSCORE
        ZRANGE z [a [c BYLEX
        ZRANGE z 0 -1 WITHSCORES WITHSCORES
        ZRANGEBYSCORE z 1 3
        ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 1 2
        ZRANGEBYSCORE z -inf +inf LIMIT 1
        ZRANGEBYSCORE z 1 x
        ZREVRANGEBYSCORE z +inf -inf
        ZREVRANGEBYSCORE z 3 (1 WITHSCORES
        ZREVRANGE z 0 1 WITHSCORES
        ZADD lex 0 a 0 b 0 c 0 d 0 e 0 f
        ZRANGEBYLEX lex - +
        ZRANGEBYLEX lex [b (e
        ZRANGEBYLEX lex (b [e LIMIT 1 2
        ZRANGEBYLEX lex b e
        ZRANGEBYLEX lex + -
        ZREVRANGEBYLEX lex + -
        ZREVRANGEBYLEX lex [e (b
        ZLEXCOUNT lex - +
        ZLEXCOUNT lex [b [d
        ZLEXCOUNT lex x y
        ZRANGE lex [f [a BYLEX REV
        ZRANGESTORE dst z 0 1
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst lex [a [c BYLEX
        ZRANGE dst 0 -1
        ZRANGESTORE dst missing 0 -1
        EXISTS dst
        ZREMRANGEBYLEX lex [a [b
        ZREMRANGEBYRANK lex 0 0
        ZREMRANGEBYRANK lex 10 20
        ZRANGE lex 0 -1
        ZREMRANGEBYSCORE z -inf (2
        ZRANGE z 0 -1 WITHSCORES
        ZPOPMIN z
        ZPOPMAX z
        ZPOPMIN z 2
        ZPOPMAX z 0
        ZPOPMIN z -1
        ZPOPMIN missing
        ZPOPMIN missing 3
        ZADD m 1 a 2 b 3 c
        ZMPOP 1 m MIN
        ZMPOP 2 missing m MAX COUNT 5
        ZMPOP 1 m MIN
        ZMPOP 0 m MIN
        ZMPOP 1 m SIDE
        ZMPOP 1 m MIN COUNT 0
        ZADD r 1 a 2 b 3 c
        ZRANDMEMBER missing
        ZRANDMEMBER missing 2
        ?ZRANDMEMBER r
        ~ZRANDMEMBER r 10
        ~ZRANDMEMBER r 10 WITHSCORES
        ZRANDMEMBER r 0
        ZRANDMEMBER r x
        ZADD u1 1 a 2 b 3 c
        ZADD u2 10 b 20 c 30 d
        SADD plain b c x
        ZUNION 2 u1 u2 WITHSCORES
        ZUNION 2 u1 u2 WEIGHTS 2 3 WITHSCORES
        ZUNION 2 u1 u2 AGGREGATE MIN WITHSCORES
        ZUNION 2 u1 u2 AGGREGATE MAX WITHSCORES
        ZINTER 2 u1 u2 WITHSCORES
        ZINTER 2 u1 plain WITHSCORES
        ZDIFF 2 u1 u2 WITHSCORES
        ZDIFF 2 u1 plain
        ZINTERCARD 2 u1 u2
        ZINTERCARD 2 u1 u2 LIMIT 1
        ZUNION 0 u1
        ZUNION 2 u1
        ZUNION 1 u1 WEIGHTS a
        ZUNION 1 u1 AGGREGATE AVG
        ZDIFF 2 u1 u2 AGGREGATE SUM
        ZUNIONSTORE out 2 u1 u2 WEIGHTS 1 -1
        ZRANGE out 0 -1 WITHSCORES
        ZINTERSTORE out 2 u1 u2
        ZRANGE out 0 -1 WITHSCORES
        ZDIFFSTORE out 2 u1 u2
        ZRANGE out 0 -1 WITHSCORES
        ZINTERSTORE out 2 u1 missing
        EXISTS out
        ZUNIONSTORE inf 2 u1 u2 WEIGHTS inf -inf
        ZRANGE inf 0 -1 WITHSCORES
        ZSCAN u1 0
        ZSCAN u1 0 MATCH a
        ZSCAN missing 0
        ZADD fl 0.1 a 1e100 b -0.0 c 3.0 d 1.23456789012345678 e
        ZRANGE fl 0 -1 WITHSCORES
        ZSCAN fl 0
        SET str v
        ZADD str 1 a
        ZRANGE str 0 -1
        ZUNIONSTORE out 2 u1 str
        BZPOPMIN missing 0.01
        BZPOPMAX u2 0
        BZMPOP 0.01 1 missing MIN
        BZMPOP 0 1 u2 MAX COUNT 2
        "#,
    );
}

#[test]
fn sorted_set_encodings_follow_the_thresholds() {
    diff(
        r#"
        CONFIG SET zset-max-listpack-entries 3
        CONFIG SET zset-max-listpack-value 8
        ZADD z 1 a 2 b 3 c
        OBJECT ENCODING z
        ZADD z 4 d
        OBJECT ENCODING z
        ZRANGE z 0 -1 WITHSCORES
        ZRANK z c
        ZREVRANK z c
        ZADD v 1 123456789
        OBJECT ENCODING v
        ZREM z a b
        OBJECT ENCODING z
        ZRANGESTORE s z 0 0
        OBJECT ENCODING s
        "#,
    );
}

#[test]
fn key_commands_work_on_every_type() {
    diff(
        r#"
        RPUSH l a b
        HSET h f v
        SADD s 1
        SADD s2 x
        ZADD z 1 m
        TYPE l
        TYPE h
        TYPE s
        TYPE z
        OBJECT ENCODING l
        OBJECT ENCODING h
        OBJECT ENCODING s
        OBJECT ENCODING s2
        OBJECT ENCODING z
        ~SCAN 0 TYPE list
        ~SCAN 0 TYPE hash
        ~SCAN 0 TYPE set
        ~SCAN 0 TYPE zset
        COPY l l2
        LRANGE l2 0 -1
        COPY z z2
        ZRANGE z2 0 -1 WITHSCORES
        COPY h s
        COPY h s REPLACE
        HGETALL s
        RENAME z zz
        ZRANGE zz 0 -1
        EXISTS z
        ?MEMORY USAGE l
        ?MEMORY USAGE h
        ?MEMORY USAGE zz
        DEL l h s2 zz
        EXISTS l h s2 zz
        "#,
    );
}

#[test]
fn transactions_match_redis() {
    diff(
        r#"
        MULTI
        SET a 1
        INCR a
        LPUSH l x
        EXEC
        EXEC
        DISCARD
        MULTI
        MULTI
        SET a 2
        DISCARD
        GET a
        MULTI
        SET a 3
        NOSUCHCOMMAND
        GET a
        EXEC
        GET a
        MULTI
        SET a
        EXEC
        MULTI
        SET b x
        INCR b
        LPUSH b y
        GET b
        EXEC
        WATCH a
        MULTI
        WATCH b
        DISCARD
        UNWATCH
        MULTI
        PING
        ECHO hi
        EXEC
        MULTI
        EXEC
        "#,
    );
}

#[test]
fn resp3_replies_of_the_data_types_match_redis() {
    diff(
        r#"
        ?HELLO 3
        HSET h a 1 b 2
        HGETALL h
        HGETALL missing
        ?HRANDFIELD h -2 WITHVALUES
        HRANDFIELD h 0 WITHVALUES
        SADD s 1 2 3
        SMEMBERS s
        SMEMBERS missing
        SINTER s missing
        SUNION s
        SMISMEMBER s 1 9
        ZADD z 1 a 2.5 b inf c
        ZSCORE z b
        ZSCORE z c
        ZSCORE z none
        ZMSCORE z a none
        ZINCRBY z 1 a
        ZADD z INCR 1 a
        ZADD z NX INCR 1 a
        ZRANGE z 0 -1 WITHSCORES
        ZRANGEBYSCORE z -inf +inf WITHSCORES
        ZUNION 1 z WITHSCORES
        ZPOPMIN z
        ZPOPMAX z 2
        ZPOPMIN missing
        ZADD z 1 a 2 b
        ?ZRANDMEMBER z -3 WITHSCORES
        ZRANDMEMBER z 0 WITHSCORES
        ZMPOP 1 z MIN COUNT 1
        ZMPOP 1 missing MIN
        BZPOPMIN z 0
        BZMPOP 0.01 1 missing MAX
        BZPOPMIN missing 0.01
        RPUSH l a b
        LMPOP 1 l LEFT
        LMPOP 1 missing LEFT
        BLPOP l 0
        BLPOP missing 0.01
        LPOS l x
        LPOP missing 2
        ZSCAN z 0
        HSCAN h 0
        MULTI
        ZSCORE z a
        HGETALL h
        EXEC
        "#,
    );
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    diff(
        r#"
        MULTI
        BLPOP missing 0
        BRPOP missing 0
        BLMOVE missing dst LEFT LEFT 0
        BZPOPMIN missing 0
        BLMPOP 0 1 missing LEFT
        BZMPOP 0 1 missing MIN
        RPUSH l a
        BLPOP l 0
        EXEC
        MULTI
        SUBSCRIBE ch
        WATCH k
        EXEC
        MULTI
        LPUSH l x
        HSET l f v
        LLEN l
        EXEC
        MULTI
        INCR
        SET k v
        EXEC
        "#,
    );
}

#[test]
fn dump_and_restore_match_redis() {
    diff(
        r#"
        RPUSH l a b 1 2
        HSET h f v n 1
        SADD si 1 2 3
        ZADD z 1 a 2.5 b
        SET str hello
        SET num 12345
        ?DUMP l
        ?DUMP h
        ?DUMP si
        ?DUMP z
        ?DUMP str
        ?DUMP num
        DUMP missing
        RESTORE str 0 "\x00\x05hello\n\x00cr\xdfve4 \n"
        RESTORE new 0 "\x00\x05hello\n\x00cr\xdfve4 \n"
        GET new
        RESTORE new 0 "\x00\x05hello\n\x00cr\xdfve4 \n" REPLACE
        RESTORE bad 0 "\x00\x05hello\n\x00\x00\x00\x00\x00\x00\x00\x00\x00"
        RESTORE bad 0 garbage
        RESTORE bad -1 "\x00\x05hello\n\x00cr\xdfve4 \n"
        RESTORE bad 0 "\x00\x05hello\n\x00cr\xdfve4 \n" IDLETIME -1
        RESTORE bad 0 "\x00\x05hello\n\x00cr\xdfve4 \n" FREQ 256
        RESTORE bad 0 "\x00\x05hello\n\x00cr\xdfve4 \n" IDLETIME 1 FREQ 1
        RESTORE bad 0 "\x00\x05hello\n\x00cr\xdfve4 \n" BOGUS
        RESTORE ttl 100000 "\x00\x05hello\n\x00cr\xdfve4 \n"
        ?PTTL ttl
        RESTORE old 1 "\x00\x05hello\n\x00cr\xdfve4 \n" ABSTTL
        EXISTS old
        RESTORE idle 0 "\x00\x05hello\n\x00cr\xdfve4 \n" IDLETIME 1000
        OBJECT IDLETIME idle
        "#,
    );
}

/// A DUMP payload of every type made by one server RESTOREs into the
/// other, both ways, in compact and full encodings.
#[test]
fn dump_payloads_cross_between_redis_and_sonde() {
    let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
    let mut r = Conn::open(&redis.addr());
    let mut s = Conn::open(&sonde.addr());
    let mut big_hash = String::from("HSET bighash");
    let mut big_set = String::from("SADD bigset");
    let mut big_zset = String::from("ZADD bigzset");
    let mut big_list = String::from("RPUSH biglist");
    let mut int_set = String::from("SADD intset");
    for i in 0..600 {
        big_hash.push_str(&format!(" field{i} value{i}"));
        big_set.push_str(&format!(" member{i}"));
        big_zset.push_str(&format!(" {}.5 member{i}", i % 17));
        big_list.push_str(&format!(" item{i}"));
        int_set.push_str(&format!(" {}", i * 1000 - 7));
    }
    let setup = [
        "RPUSH list a b 1 2 -3 9223372036854775807",
        "HSET hash f v n 1",
        "SADD set x y z",
        "ZADD zset 1 a 2.5 b -inf c",
        "SET string hello",
        "SET int 12345",
        &big_hash,
        &big_set,
        &big_zset,
        &big_list,
        &int_set,
    ];
    let keys = [
        "list", "hash", "set", "zset", "string", "int", "bighash", "bigset", "bigzset", "biglist",
        "intset",
    ];
    let reads = |key: &str| -> Vec<String> {
        match key {
            "list" | "biglist" => vec![format!("LRANGE {key} 0 -1")],
            "hash" | "bighash" => vec![format!("HLEN {key}"), format!("HGET {key} field7")],
            "set" | "bigset" | "intset" => vec![
                format!("SCARD {key}"),
                format!("SISMEMBER {key} member9"),
                format!("SISMEMBER {key} 1993"),
            ],
            "zset" | "bigzset" => vec![format!("ZRANGE {key} 0 -1 WITHSCORES")],
            _ => vec![format!("GET {key}")],
        }
    };
    for line in setup {
        assert_eq!(r.call(&args(line)), s.call(&args(line)), "{line}");
    }
    for key in keys {
        let encoding = format!("OBJECT ENCODING {key}");
        assert_eq!(
            r.call(&args(&encoding)),
            s.call(&args(&encoding)),
            "{encoding}"
        );
        let from_redis = r.call(&args(&format!("DUMP {key}")));
        let from_sonde = s.call(&args(&format!("DUMP {key}")));
        // Both payloads restore on both servers under new names, and read
        // back the same.
        for (name, payload) in [("r", &from_redis), ("s", &from_sonde)] {
            let body = bulk_body(payload);
            for conn in [&mut r, &mut s] {
                let mut restore = args(&format!("RESTORE {key}-{name} 0"));
                restore.push(body.clone());
                let reply = conn.call(&restore);
                assert_eq!(reply, b"+OK\r\n", "RESTORE {key} from {name}");
            }
            for read in reads(key) {
                let restored = read.replacen(key, &format!("{key}-{name}"), 1);
                let want = r.call(&args(&read));
                assert_eq!(want, r.call(&args(&restored)), "redis {restored}");
                assert_eq!(want, s.call(&args(&restored)), "sonde {restored}");
            }
        }
    }
}

/// The body of a bulk-string reply.
fn bulk_body(reply: &[u8]) -> Vec<u8> {
    assert_eq!(reply.first(), Some(&b'$'), "not a bulk: {reply:?}");
    let start = reply.iter().position(|&b| b == b'\n').expect("header") + 1;
    reply[start..reply.len() - 2].to_vec()
}

#[test]
fn pubsub_matches_redis() {
    diff(
        r#"
        PUBLISH ch hello
        PUBSUB CHANNELS
        PUBSUB NUMSUB a b
        PUBSUB NUMPAT
        PUBSUB BOGUS
        SUBSCRIBE a b
        PING
        PING hi
        GET x
        PSUBSCRIBE p*
        UNSUBSCRIBE a
        PUNSUBSCRIBE
        UNSUBSCRIBE
        UNSUBSCRIBE
        GET x
        "#,
    );
}

/// The replies that arrive on a subscribed connection, compared between the
/// servers: messages, pattern messages and RESP3 push frames.
#[test]
fn published_messages_reach_subscribers_like_redis() {
    let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
    let mut streams = Vec::new();
    for addr in [redis.addr(), sonde.addr()] {
        let mut resp2 = Conn::open(&addr);
        let mut resp3 = Conn::open(&addr);
        let mut publisher = Conn::open(&addr);
        let mut seen = vec![
            resp2.call(&args("SUBSCRIBE news sport")),
            resp2.read_reply(),
        ];
        seen.push(resp2.call(&args("PSUBSCRIBE n*")));
        seen.push(resp3.call(&args("HELLO 3")).len().to_string().into_bytes());
        seen.push(resp3.call(&args("SUBSCRIBE news")));
        seen.push(publisher.call(&args("PUBSUB NUMSUB news sport none")));
        seen.push(publisher.call(&args("PUBSUB NUMPAT")));
        seen.push(
            publisher
                .call(&args("PUBSUB CHANNELS"))
                .len()
                .to_string()
                .into_bytes(),
        );
        seen.push(publisher.call(&args("PUBLISH news \"big\x00news\"")));
        seen.push(resp2.read_reply());
        seen.push(resp2.read_reply());
        seen.push(resp3.read_reply());
        seen.push(publisher.call(&args("PUBLISH other x")));
        seen.push(resp3.call(&args("GET k")));
        seen.push(resp3.call(&args("UNSUBSCRIBE")));
        seen.push(resp2.call(&args("PUNSUBSCRIBE")));
        seen.push(publisher.call(&args("PUBLISH news again")));
        seen.push(resp2.read_reply());
        // One reply per channel, in the server's hash-table order: compare
        // the channels as a set and the remaining counts in order.
        let both = [resp2.call(&args("UNSUBSCRIBE")), resp2.read_reply()];
        let split = |r: &Vec<u8>| {
            let at = r.iter().rposition(|&b| b == b':').expect("a count");
            (r[..at].to_vec(), r[at..].to_vec())
        };
        let mut channels: Vec<Vec<u8>> = both.iter().map(|r| split(r).0).collect();
        channels.sort();
        seen.extend(channels);
        seen.extend(both.iter().map(|r| split(r).1));
        seen.push(resp2.call(&args("PING")));
        streams.push(seen);
    }
    for (i, (want, got)) in streams[0].iter().zip(&streams[1]).enumerate() {
        assert_eq!(
            sonde::output::bytes::quoted(want),
            sonde::output::bytes::quoted(got),
            "pub/sub step {i}"
        );
    }
}

/// WATCH fails EXEC when another client changes the key, whatever the
/// type of the change (a write, a deletion, an expiry, a flush).
#[test]
fn watch_aborts_exec_after_a_change_like_redis() {
    let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
    for addr in [redis.addr(), sonde.addr()] {
        let mut a = Conn::open(&addr);
        let mut b = Conn::open(&addr);
        let changes = [
            "SET k other",
            "LPUSH k x",
            "DEL k",
            "FLUSHDB",
            "SADD k m",
            "HSET k f v",
            "ZADD k 1 m",
            "RENAME src k",
        ];
        for change in changes {
            a.call(&args("SET k start"));
            a.call(&args("SET src v"));
            assert_eq!(a.call(&args("WATCH k")), b"+OK\r\n");
            b.call(&args("DEL k"));
            b.call(&args("SET k start"));
            b.call(&args(change));
            a.call(&args("MULTI"));
            a.call(&args("SET k mine"));
            assert_eq!(a.call(&args("EXEC")), b"*-1\r\n", "{addr}: after {change}");
            a.call(&args("FLUSHDB"));
        }
        // An untouched watched key (and a read) lets EXEC run.
        a.call(&args("SET k start"));
        a.call(&args("WATCH k"));
        b.call(&args("GET k"));
        b.call(&args("SET other v"));
        a.call(&args("MULTI"));
        a.call(&args("GET k"));
        assert_eq!(a.call(&args("EXEC")), b"*1\r\n$5\r\nstart\r\n", "{addr}");
        // A missing watched key that another client creates.
        a.call(&args("WATCH fresh"));
        b.call(&args("RPUSH fresh x"));
        a.call(&args("MULTI"));
        a.call(&args("PING"));
        assert_eq!(a.call(&args("EXEC")), b"*-1\r\n", "{addr}: created key");
    }
}

/// Several clients blocked on one key are served first-blocked
/// first-served, one element each; a timeout replies null; a client killed
/// while blocked leaves nothing behind.
#[test]
fn blocked_clients_are_served_in_order() {
    let sonde = SondeServer::start(&[]);
    let redis = RedisServer::start(&[]);
    let mut results = Vec::new();
    for addr in [redis.addr(), sonde.addr()] {
        let mut waiters: Vec<Conn> = (0..3).map(|_| Conn::open(&addr)).collect();
        let mut pusher = Conn::open(&addr);
        for (i, w) in waiters.iter_mut().enumerate() {
            w.send_command(&args("BLPOP q other 5"));
            // Each one is blocked before the next blocks (INFO counts them).
            wait_blocked(&mut pusher, i + 1);
        }
        let mut seen = Vec::new();
        seen.push(pusher.call(&args("RPUSH q one")));
        seen.push(waiters[0].read_reply());
        wait_blocked(&mut pusher, 2);
        seen.push(pusher.call(&args("RPUSH other two three")));
        seen.push(waiters[1].read_reply());
        seen.push(waiters[2].read_reply());
        seen.push(pusher.call(&args("LRANGE other 0 -1")));
        // A push inside MULTI wakes the waiter after EXEC, with the final
        // state of the list.
        waiters[0].send_command(&args("BRPOP q 5"));
        wait_blocked(&mut pusher, 1);
        pusher.call(&args("MULTI"));
        pusher.call(&args("RPUSH q a b c"));
        pusher.call(&args("LPOP q"));
        seen.push(pusher.call(&args("EXEC")));
        seen.push(waiters[0].read_reply());
        seen.push(pusher.call(&args("LRANGE q 0 -1")));
        // BLMOVE and BZPOPMIN wake on their own kinds of push.
        waiters[1].send_command(&args("BLMOVE src dst LEFT RIGHT 5"));
        waiters[2].send_command(&args("BZPOPMIN zq 5"));
        wait_blocked(&mut pusher, 2);
        pusher.call(&args("ZADD zq 2 b 1 a"));
        pusher.call(&args("LPUSH src x"));
        seen.push(waiters[1].read_reply());
        seen.push(waiters[2].read_reply());
        seen.push(pusher.call(&args("LRANGE dst 0 -1")));
        // A key of the wrong type: the waiter stays blocked until its
        // timeout and then replies null.
        waiters[0].send_command(&args("BLPOP wrong 0.2"));
        wait_blocked(&mut pusher, 1);
        pusher.call(&args("SET wrong v"));
        seen.push(waiters[0].read_reply());
        // Killed while blocked: the next push goes to the survivor.
        let mut doomed = Conn::open(&addr);
        doomed.send_command(&args("BLPOP k 0"));
        waiters[1].send_command(&args("BLPOP k 0"));
        wait_blocked(&mut pusher, 2);
        drop(doomed);
        wait_blocked(&mut pusher, 1);
        pusher.call(&args("RPUSH k v"));
        seen.push(waiters[1].read_reply());
        seen.push(pusher.call(&args("EXISTS k")));
        results.push(seen);
    }
    assert_same_replies(&results);
}

/// A blocking pop times out after about its timeout and replies null.
#[test]
fn blocking_pops_time_out_with_null() {
    let sonde = SondeServer::start(&[]);
    let mut c = Conn::open(&sonde.addr());
    let started = Instant::now();
    assert_eq!(c.call(&args("BLPOP none 0.3")), b"*-1\r\n");
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(c.call(&args("BZPOPMAX none 0.1")), b"*-1\r\n");
    // Redis 7.0 times out every blocked list command with a null array.
    assert_eq!(c.call(&args("BLMOVE none dst LEFT LEFT 0.1")), b"*-1\r\n");
    // Pipelined after a blocking command: runs once it timed out.
    c.send(b"*3\r\n$5\r\nBLPOP\r\n$4\r\nnone\r\n$3\r\n0.1\r\n*1\r\n$4\r\nPING\r\n");
    assert_eq!(c.read_reply(), b"*-1\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    // CLIENT UNBLOCK ends the wait with null, or with an error.
    let mut other = Conn::open(&sonde.addr());
    let id_reply = c.call(&args("CLIENT ID"));
    let id = String::from_utf8_lossy(&id_reply[1..id_reply.len() - 2]).into_owned();
    c.send_command(&args("BLPOP none 0"));
    wait_blocked(&mut other, 1);
    assert_eq!(
        other.call(&args(&format!("CLIENT UNBLOCK {id}"))),
        b":1\r\n"
    );
    assert_eq!(c.read_reply(), b"*-1\r\n");
    c.send_command(&args("BLPOP none 0"));
    wait_blocked(&mut other, 1);
    assert_eq!(
        other.call(&args(&format!("CLIENT UNBLOCK {id} ERROR"))),
        b":1\r\n"
    );
    assert_eq!(
        c.read_reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
}

/// Wait until INFO clients reports `n` blocked clients.
fn wait_blocked(conn: &mut Conn, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = conn.call(&args("INFO clients"));
        if String::from_utf8_lossy(&info).contains(&want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {want:?}: {}",
            String::from_utf8_lossy(&info)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A subscriber that never reads is closed at the pub/sub class of
/// client-output-buffer-limit, while a normal client with as much output
/// pending is not (its class has no limit here).
#[test]
fn a_subscriber_that_never_reads_is_closed_at_the_pubsub_limit() {
    let sonde = SondeServer::start(&["--client-output-buffer-limit", "pubsub 1mb 0 0"]);
    let mut subscriber = Conn::open(&sonde.addr());
    assert_eq!(
        subscriber.call(&args("SUBSCRIBE feed")),
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nfeed\r\n:1\r\n"
    );
    let mut publisher = Conn::open(&sonde.addr());
    let mut publish = args("PUBLISH feed x");
    publish[2] = vec![b'm'; 64 * 1024];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut sent = 0;
    loop {
        let reply = publisher.call(&publish);
        sent += 1;
        if reply == b":0\r\n" {
            break;
        }
        assert_eq!(reply, b":1\r\n");
        assert!(
            Instant::now() < deadline,
            "subscriber never closed after {sent} messages"
        );
    }
    let info = publisher.call(&args("INFO stats"));
    assert!(
        String::from_utf8_lossy(&info).contains("client_output_buffer_limit_disconnections:1"),
        "{}",
        String::from_utf8_lossy(&info)
    );
    assert_eq!(
        publisher.call(&args("PUBSUB NUMSUB feed")),
        b"*2\r\n$4\r\nfeed\r\n:0\r\n"
    );
}

/// HSCAN, SSCAN and ZSCAN over collections in both encodings return every
/// element once a full iteration ends (cursor 0), like SCAN.
#[test]
fn collection_scans_return_every_element() {
    let sonde = SondeServer::start(&[]);
    let mut c = Conn::open(&sonde.addr());
    for size in [5usize, 2000] {
        c.call(&args("FLUSHALL"));
        let mut hset = args("HSET h");
        let mut sadd = args("SADD s");
        let mut zadd = args("ZADD z");
        let mut want: Vec<Vec<u8>> = Vec::new();
        for i in 0..size {
            let m = format!("m{i}").into_bytes();
            hset.extend([m.clone(), b"v".to_vec()]);
            sadd.push(m.clone());
            zadd.extend([i.to_string().into_bytes(), m.clone()]);
            want.push(m);
        }
        want.sort();
        for command in [&hset, &sadd, &zadd] {
            c.call(command);
        }
        for (scan, pairs) in [("HSCAN h", true), ("SSCAN s", false), ("ZSCAN z", true)] {
            let mut cursor = b"0".to_vec();
            let mut got: Vec<Vec<u8>> = Vec::new();
            loop {
                let mut command = args(scan);
                command.push(cursor.clone());
                command.extend(args("COUNT 50"));
                let reply = c.call(&command);
                let (frame, _) = sonde::resp::Decoder::new(sonde::resp::Limits::default())
                    .parse_slice(&reply)
                    .expect("a reply");
                let sonde::resp::Frame::Array(parts) = frame else {
                    panic!("{scan}: {reply:?}")
                };
                cursor = bulk_of(&parts[0]);
                let sonde::resp::Frame::Array(items) = &parts[1] else {
                    panic!("{scan}: {reply:?}")
                };
                let step = if pairs { 2 } else { 1 };
                got.extend(items.iter().step_by(step).map(bulk_of));
                if cursor == b"0" {
                    break;
                }
            }
            got.sort();
            got.dedup();
            assert_eq!(got.len(), want.len(), "{scan} over {size}");
            assert_eq!(got, want, "{scan} over {size}");
        }
    }
}

fn bulk_of(frame: &sonde::resp::Frame) -> Vec<u8> {
    match frame {
        sonde::resp::Frame::Bulk(b) => b.to_vec(),
        other => panic!("not a bulk string: {other:?}"),
    }
}

/// A served BLMOVE fills its destination, which serves the next client
/// blocked there; SWAPDB and MOVE serve clients blocked on keys that now
/// hold elements — compared with redis-server.
#[test]
fn chained_wakeups_match_redis() {
    let (redis, sonde) = (RedisServer::start(&[]), SondeServer::start(&[]));
    let mut results = Vec::new();
    for addr in [redis.addr(), sonde.addr()] {
        let mut mover = Conn::open(&addr);
        let mut popper = Conn::open(&addr);
        let mut other = Conn::open(&addr);
        let mut seen = Vec::new();
        mover.send_command(&args("BLMOVE a b LEFT RIGHT 5"));
        wait_blocked(&mut other, 1);
        popper.send_command(&args("BLPOP b 5"));
        wait_blocked(&mut other, 2);
        seen.push(other.call(&args("RPUSH a x")));
        seen.push(mover.read_reply());
        seen.push(popper.read_reply());
        seen.push(other.call(&args("EXISTS a b")));
        // SWAPDB: db 1 holds the list the waiter in db 0 wants.
        other.call(&args("SELECT 1"));
        other.call(&args("RPUSH q from-db1"));
        popper.send_command(&args("BLPOP q 5"));
        wait_blocked(&mut other, 1);
        seen.push(other.call(&args("SWAPDB 0 1")));
        seen.push(popper.read_reply());
        // MOVE into the waiter's database.
        popper.send_command(&args("BZPOPMAX z 5"));
        wait_blocked(&mut other, 1);
        other.call(&args("ZADD z 1 m 2 n"));
        seen.push(other.call(&args("MOVE z 0")));
        seen.push(popper.read_reply());
        results.push(seen);
    }
    assert_same_replies(&results);
}

/// Score and lexicographic ranges, counts and removals walk the skiplist
/// encoding the same way as the compact one: the same script against both,
/// each compared with redis-server.
#[test]
fn sorted_set_ranges_match_redis_in_both_encodings() {
    let ranges = r#"
        ZADD z 1 a 2 b 2 bb 3 c 4 d 5 e -inf lo +inf hi
        ZADD lex 0 a 0 b 0 c 0 d 0 e 0 f 0 g
        OBJECT ENCODING z
        ZRANGEBYSCORE z 2 4
        ZRANGEBYSCORE z (2 4 WITHSCORES
        ZRANGEBYSCORE z -inf +inf LIMIT 2 3
        ZRANGEBYSCORE z (1 (1
        ZRANGEBYSCORE z 5 1
        ZREVRANGEBYSCORE z 4 2
        ZREVRANGEBYSCORE z +inf -inf LIMIT 1 2 WITHSCORES
        ZREVRANGEBYSCORE z (4 (2
        ZRANGE z 2 4 BYSCORE REV
        ZRANGE z (1 +inf BYSCORE LIMIT 0 2
        ZCOUNT z 2 4
        ZCOUNT z (2 (4
        ZCOUNT z 4 2
        ZCOUNT z -inf +inf
        ZRANGEBYLEX lex [b [e
        ZRANGEBYLEX lex (b (e
        ZRANGEBYLEX lex - + LIMIT 1 3
        ZRANGEBYLEX lex [e [b
        ZREVRANGEBYLEX lex [e [b
        ZREVRANGEBYLEX lex + - LIMIT 2 2
        ZRANGE lex [c + BYLEX
        ZLEXCOUNT lex [b [e
        ZLEXCOUNT lex (b (b
        ZLEXCOUNT lex - +
        ZREMRANGEBYSCORE z (4 5
        ZREMRANGEBYLEX lex (a [c
        ZRANGE z 0 -1 WITHSCORES
        ZRANGE lex 0 -1
    "#;
    diff(ranges);
    diff(&format!("CONFIG SET zset-max-listpack-entries 0\n{ranges}"));
}
