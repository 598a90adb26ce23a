//! `sonde serve`: differential tests against a real redis-server (same
//! script, replies compared byte for byte) and behaviour tests of the
//! engine: pipelining, many clients, backpressure and output limits,
//! malformed requests, authentication, protected mode, configuration,
//! shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::differential::{Conn, assert_same};
use crate::common::redis_server::require_tool;
use crate::common::{RedisServer, SondeServer, assert_exit, run, text};

/// Both servers with the same extra settings.
fn pair(extra: &[&str]) -> (RedisServer, SondeServer) {
    (RedisServer::start(extra), SondeServer::start(extra))
}

fn diff(script: &str) {
    let (redis, sonde) = pair(&[]);
    assert_same(&redis.addr(), &sonde.addr(), script);
}

fn args(line: &str) -> Vec<Vec<u8>> {
    sonde::resp::request::split_args(line.as_bytes()).expect("balanced quotes")
}

#[test]
fn string_commands_match_redis() {
    diff(
        r#"
        SET k v
        GET k
        GET missing
        SET k 12345
        GET k
        OBJECT ENCODING k
        SET big "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        OBJECT ENCODING big
        OBJECT ENCODING missing
        SET k v NX
        SET k w XX
        GET k
        SET n 1 NX XX
        SET k v GET
        SET fresh v GET
        SET k v EX 0
        SET k v EX -5
        SET k v PX abc
        SET k v EX 100 PX 100
        SET k v KEEPTTL EX 10
        SET k v EX 9223372036854775807
        SET k v EX 1000 EX 2000
        TTL k
        SET k v KEEPTTL
        TTL k
        SETNX k other
        SETNX k2 other
        SETEX s 0 v
        SETEX s 100 v
        TTL s
        PSETEX p 100000 v
        GETEX s PERSIST
        TTL s
        GETEX s EX 100 PERSIST
        GETEX missing EX 10
        GETDEL s
        GETDEL s
        GETSET k newval
        GETSET nokey x
        MSET a 1 b 2 c 3
        MSET a 1 b
        MGET a b c missing
        MSETNX a 1 z 2
        MSETNX y 1 z 2
        APPEND a xyz
        APPEND newkey hello
        OBJECT ENCODING a
        STRLEN a
        STRLEN missing
        INCR counter
        INCRBY counter 10
        DECR counter
        DECRBY counter 5
        INCRBY counter abc
        INCR a
        SET max 9223372036854775807
        INCR max
        DECRBY counter -9223372036854775808
        SET neg -9223372036854775808
        DECR neg
        SET f 10.5
        INCRBYFLOAT f 0.1
        INCRBYFLOAT f -5
        INCRBYFLOAT f 1e3
        INCRBYFLOAT f abc
        INCRBYFLOAT a 1
        INCRBYFLOAT nf 3.0e0
        INCRBYFLOAT nf 0.0000001
        SET e 5.0e3
        INCRBYFLOAT e 2.0e2
        INCRBYFLOAT f inf
        OBJECT ENCODING nf
        SET r "Hello World"
        GETRANGE r 0 4
        GETRANGE r -5 -1
        GETRANGE r -1 -5
        GETRANGE r 5 1000
        GETRANGE r 100 200
        GETRANGE missing 0 -1
        SUBSTR r 0 2
        GETRANGE counter 0 -1
        SETRANGE r 6 Redis
        GET r
        SETRANGE r 20 "!"
        GET r
        SETRANGE sr 3 abc
        GET sr
        SETRANGE sr2 0 ""
        SETRANGE r -1 x
        SETRANGE r 2 ""
        SETBIT bits 7 1
        SETBIT bits 7 0
        SETBIT bits 100 1
        SETBIT bits 1 2
        SETBIT bits -1 1
        GETBIT bits 100
        GETBIT bits 10000
        GETBIT missing 3
        SET foobar foobar
        BITCOUNT foobar
        BITCOUNT foobar 0 0
        BITCOUNT foobar 1 1
        BITCOUNT foobar 1 1 BYTE
        BITCOUNT foobar 5 30 BIT
        BITCOUNT foobar -2 -1
        BITCOUNT foobar 0
        BITCOUNT foobar 0 1 BITS
        BITCOUNT missing
        SET bp "\xff\xf0\x00"
        BITPOS bp 0
        BITPOS bp 1 2
        BITPOS bp 0 2 -1 BIT
        BITPOS bp 1 7 15 BIT
        BITPOS bp 2
        SET z "\x00\x00\x00"
        BITPOS z 1
        BITPOS z 0 0 -1
        BITPOS missing 0
        BITPOS missing 1
        SET l1 ohmytext
        SET l2 mynewtext
        LCS l1 l2
        LCS l1 l2 LEN
        LCS l1 l2 IDX
        LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN
        LCS l1 l2 IDX LEN
        LCS l1 missing
        LCS l1 l2 BOGUS
        "#,
    );
}

#[test]
fn key_commands_match_redis() {
    diff(
        r#"
        SET a 1
        SET b 2
        SET c 3
        EXISTS a b missing a
        DEL a missing
        UNLINK b c
        DBSIZE
        SET k v
        TYPE k
        TYPE missing
        TOUCH k missing
        EXPIRE k 100
        TTL k
        EXPIRE k 200 NX
        EXPIRE k 200 XX
        TTL k
        EXPIRE k 100 GT
        EXPIRE k 300 GT
        TTL k
        EXPIRE k 400 LT
        EXPIRE k 50 LT
        TTL k
        EXPIRE k 10 NX XX
        EXPIRE k 10 GT LT
        EXPIRE k 10 BOGUS
        EXPIRE k abc
        EXPIRE k 9223372036854775807
        EXPIRE missing 10
        PERSIST k
        PERSIST k
        TTL k
        PTTL missing
        PEXPIRE k 100000000
        ?PTTL k
        EXPIREAT k 99999999999
        EXPIRETIME k
        PEXPIRETIME k
        PEXPIREAT k 99999999999000
        PEXPIRETIME k
        EXPIRETIME missing
        SET nottl v
        EXPIRETIME nottl
        EXPIRE k -1
        EXISTS k
        EXPIREAT nottl 1
        EXISTS nottl
        SET x 1
        RENAME x y
        GET y
        RENAME x y
        RENAME y y
        RENAMENX y y
        SET z 2
        RENAMENX y z
        RENAME y z
        GET z
        SET src hello
        EXPIRE src 1000
        COPY src dst
        TTL dst
        COPY src dst
        COPY src dst REPLACE
        COPY src src
        COPY src other DB 1
        COPY src other DB 99
        COPY src other DB x
        COPY src other BOGUS
        COPY missing q
        SELECT 1
        GET other
        SELECT 0
        MOVE src 1
        MOVE src 1
        MOVE dst 0
        MOVE dst 100
        MOVE dst abc
        SELECT 1
        EXISTS src
        TTL src
        SELECT 0
        SWAPDB 0 1
        EXISTS src
        SWAPDB 0 99
        SWAPDB x 0
        SWAPDB 0 y
        SWAPDB 0 1
        ~KEYS *
        ~KEYS d*
        ~KEYS ?st
        ~KEYS [a-e]*
        KEYS nothing*
        SCAN 0 COUNT 1000 TYPE hash
        ~SCAN 0 COUNT 1000
        ~SCAN 0 COUNT 1000 MATCH d*
        ~SCAN 0 COUNT 1000 TYPE string
        SCAN abc
        SCAN 0 COUNT 0
        SCAN 0 BOGUS
        ?RANDOMKEY
        FLUSHDB
        RANDOMKEY
        FLUSHDB ASYNC
        FLUSHDB BOGUS
        FLUSHALL SYNC
        DBSIZE
        SET shared 100
        OBJECT REFCOUNT shared
        SET notshared 100000
        OBJECT REFCOUNT notshared
        OBJECT FREQ shared
        ?OBJECT IDLETIME shared
        OBJECT BOGUS x
        OBJECT ENCODING
        "#,
    );
}

#[test]
fn connection_and_error_replies_match_redis() {
    diff(
        r#"
        PING
        PING hello
        PING a b
        ECHO "with\r\nnewline"
        ECHO
        SELECT 15
        SELECT 16
        SELECT -1
        SELECT abc
        SELECT 0
        NOSUCHCOMMAND a "b c" d
        nosuch
        GET
        GET a b
        CLIENT
        CLIENT NOSUCH x
        CONFIG NOSUCH
        CLIENT SETNAME "bad name"
        CLIENT SETNAME good-name
        CLIENT GETNAME
        CLIENT SETNAME ""
        CLIENT GETNAME
        CLIENT REPLY BOGUS
        CLIENT NO-EVICT maybe
        CLIENT NO-EVICT on
        CLIENT KILL 1.2.3.4:5
        CLIENT KILL ID abc
        CLIENT KILL TYPE bogus
        CLIENT KILL BOGUS x
        CLIENT KILL ID 999999
        AUTH
        AUTH x
        AUTH someone x
        AUTH a b c
        HELLO 4
        HELLO abc
        HELLO 2 BOGUS
        HELLO 2 SETNAME "a b"
        SET k v
        CONFIG GET maxclients
        ?CONFIG GET port*
        CONFIG GET nosuchparam
        CONFIG SET nosuchparam 1
        CONFIG SET maxclients abc
        CONFIG SET databases 4
        CONFIG SET hz 10 hz 20
        CONFIG SET dir /tmp
        CONFIG SET maxclients 100
        CONFIG GET maxclients
        CONFIG SET timeout 0
        CONFIG SET
        DEBUG
        SHUTDOWN BOGUS
        SHUTDOWN ABORT
        FUNCTION LIST
        FUNCTION FLUSH
        FUNCTION FLUSH BOGUS
        SLOWLOG BOGUS
        MEMORY USAGE missing
        LATENCY LATEST
        LATENCY RESET
        ?TIME
        QUIT
        "#,
    );
}

#[test]
fn resp3_replies_match_redis() {
    diff(
        r#"
        ?HELLO 3
        GET missing
        MGET missing
        SET f 1.5
        INCRBYFLOAT f 1
        CONFIG GET maxclients
        CLIENT GETNAME
        OBJECT ENCODING missing
        RANDOMKEY
        SET k v
        EXISTS k
        ?HELLO 2
        GET missing
        CONFIG GET maxclients
        "#,
    );
}

#[test]
fn inline_and_protocol_errors_match_redis() {
    let (redis, sonde) = pair(&[]);
    let cases: &[&[u8]] = &[
        b"PING\r\nECHO \"a b\"\r\nSET 'x y' \"\\x41\\n\"\r\nGET 'x y'\r\n\r\nPING\n",
        b"ECHO \"unbalanced\r\n",
        b"*1\r\n$foo\r\n",
        b"*1\r\n:5\r\n",
        b"*abc\r\n",
        b"*-1\r\nPING\r\n",
        b"*0\r\nPING\r\n",
        b"*2\r\n$4\r\nECHO\r\n$-5\r\n",
        b"*3000000000\r\n",
        b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
    ];
    for case in cases {
        let mut outputs = Vec::new();
        for addr in [redis.addr(), sonde.addr()] {
            let mut conn = Conn::open(&addr);
            conn.send(case);
            // Either the server closes the connection (protocol error), or
            // we end the conversation with QUIT.
            conn.send(b"*1\r\n$4\r\nQUIT\r\n");
            outputs.push(conn.read_to_close());
        }
        assert_eq!(
            text(&outputs[0]),
            text(&outputs[1]),
            "input {:?}: redis-server vs sonde",
            text(case)
        );
    }
}

#[test]
fn redis_crate_and_redis_cli_work() {
    let sonde = SondeServer::start(&[]);
    let mut con = sonde.client();
    let _: () = redis::cmd("SET")
        .arg("greeting")
        .arg(b"hi\x00there")
        .query(&mut con)
        .unwrap();
    let value: Vec<u8> = redis::cmd("GET").arg("greeting").query(&mut con).unwrap();
    assert_eq!(value, b"hi\x00there");
    let (a, b): (i64, Option<String>) = redis::pipe()
        .cmd("INCRBY")
        .arg("n")
        .arg(41)
        .cmd("GET")
        .arg("absent")
        .query(&mut con)
        .unwrap();
    assert_eq!((a, b), (41, None));

    let cli = require_tool("redis-cli");
    let port = sonde.port.to_string();
    let out = std::process::Command::new(&cli)
        .args(["-p", &port, "SET", "from-cli", "yes"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout).trim(), "OK");
    let out = std::process::Command::new(&cli)
        .args(["-p", &port, "--no-raw", "MGET", "from-cli", "n", "absent"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout), "1) \"yes\"\n2) \"41\"\n3) (nil)\n");
    // redis-cli's own startup queries (COMMAND DOCS for hints) must work.
    let out = std::process::Command::new(&cli)
        .args(["-p", &port, "COMMAND", "DOCS", "get"])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("Get the value of a key"),
        "{}",
        text(&out.stdout)
    );
    let out = std::process::Command::new(&cli)
        .args(["-p", &port, "INFO", "keyspace"])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("db0:keys=3,expires=0"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn ten_thousand_pipelined_commands_in_one_write() {
    let sonde = SondeServer::start(&[]);
    let mut request = Vec::new();
    for i in 0..10_000 {
        sonde::resp::encode::command(&mut request, &[&b"INCR"[..], b"counter"]);
        if i % 1000 == 0 {
            sonde::resp::encode::command(
                &mut request,
                &[&b"ECHO"[..], format!("mark{i}").as_bytes()],
            );
        }
    }
    let mut stream = sonde.raw();
    stream.write_all(&request).unwrap();
    let mut conn = Conn::from_stream(stream);
    let mut n = 0;
    for i in 0..10_000 {
        n += 1;
        assert_eq!(conn.read_reply(), format!(":{n}\r\n").into_bytes());
        if i % 1000 == 0 {
            let mark = format!("mark{i}");
            assert_eq!(
                conn.read_reply(),
                format!("${}\r\n{mark}\r\n", mark.len()).into_bytes()
            );
        }
    }
}

/// Let this test process hold `n` more descriptors (the server raises its
/// own limit for maxclients).
fn allow_open_files(n: u64) {
    // SAFETY: getrlimit/setrlimit with a pointer to a live rlimit struct.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < n {
            assert!(
                limit.rlim_max >= n,
                "the hard limit on open files is below {n}"
            );
            limit.rlim_cur = n;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
}

#[test]
fn a_thousand_concurrent_clients() {
    allow_open_files(4096);
    let sonde = SondeServer::start(&[]);
    let mut conns: Vec<TcpStream> = (0..1000).map(|_| sonde.raw()).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        let mut req = Vec::new();
        sonde::resp::encode::command(
            &mut req,
            &[
                &b"SET"[..],
                format!("k{i}").as_bytes(),
                format!("{i}").as_bytes(),
            ],
        );
        c.write_all(&req).unwrap();
    }
    for c in conns.iter_mut() {
        let mut buf = [0u8; 5];
        c.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"+OK\r\n");
    }
    let mut con = sonde.client();
    let size: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(size, 1000);
    let info: String = redis::cmd("INFO").arg("clients").query(&mut con).unwrap();
    assert!(info.contains("connected_clients:1001"), "{info}");
}

/// Resident memory of the sonde process.
fn rss_mb(server: &mut SondeServer) -> usize {
    server.rss() / (1024 * 1024)
}

const BIG: usize = 512 * 1024;

/// Store a 512 KiB value at "big"; return a client, the server's RSS in
/// MiB, and 2,000 pipelined GETs of it (1 GiB of replies).
fn big_value_and_gets(sonde: &mut SondeServer) -> (redis::Connection, usize, Vec<u8>) {
    let mut con = sonde.client();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(vec![b'x'; BIG])
        .query(&mut con)
        .unwrap();
    let baseline = rss_mb(sonde);
    let mut req = Vec::new();
    for _ in 0..2000 {
        sonde::resp::encode::command(&mut req, &[&b"GET"[..], b"big"]);
    }
    (con, baseline, req)
}

#[test]
fn a_client_that_never_reads_is_dropped_at_the_output_limit() {
    let mut sonde = SondeServer::start(&["--client-output-buffer-limit", "normal 4mb 0 0"]);
    let (mut con, baseline, req) = big_value_and_gets(&mut sonde);

    // 2,000 GETs of 512 KiB = 1 GiB of replies, never read.
    let mut hog = sonde.raw();
    hog.write_all(&req).unwrap();

    // Others are served meanwhile; the hog is disconnected at the limit.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pong: String = redis::cmd("PING").query(&mut con).unwrap();
        assert_eq!(pong, "PONG");
        let info: String = redis::cmd("INFO").arg("stats").query(&mut con).unwrap();
        if info.contains("client_output_buffer_limit_disconnections:1") {
            break;
        }
        assert!(Instant::now() < deadline, "hog never disconnected:\n{info}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let grown = rss_mb(&mut sonde).saturating_sub(baseline);
    assert!(grown < 64, "server RSS grew by {grown} MiB");
    assert!(sonde.log().contains("overcoming of output buffer limits"));
    let n: i64 = redis::cmd("STRLEN").arg("big").query(&mut con).unwrap();
    assert_eq!(n, BIG as i64);
}

#[test]
fn backpressure_bounds_memory_without_an_output_limit() {
    let mut sonde = SondeServer::start(&[]);
    let (mut con, baseline, req) = big_value_and_gets(&mut sonde);
    let mut slow = sonde.raw();
    // Write from a thread: the server stops reading this client, so the
    // write itself blocks once the socket buffers fill.
    let mut writer = slow.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&req);
    });
    std::thread::sleep(Duration::from_millis(500));
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
    let grown = rss_mb(&mut sonde).saturating_sub(baseline);
    assert!(
        grown < 64,
        "server RSS grew by {grown} MiB with a slow reader"
    );
    // The slow client still gets every reply once it reads.
    let mut total = 0usize;
    let expected = 2000 * (BIG + "$524288\r\n\r\n".len());
    let mut buf = vec![0u8; 1 << 20];
    while total < expected {
        let n = slow.read(&mut buf).unwrap();
        assert!(n > 0, "closed after {total} bytes");
        total += n;
    }
    assert_eq!(total, expected);
    sender.join().unwrap();
}

#[test]
fn malformed_and_oversized_requests_close_only_that_client() {
    let sonde = SondeServer::start(&["--client-query-buffer-limit", "1mb"]);
    let mut bystander = sonde.client();
    let cases: &[(&[u8], &str)] = &[
        (
            b"*1\r\n$abc\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*2\r\n$3\r\nGET\r\n$600000000\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n+PING\r\n",
            "-ERR Protocol error: expected '$', got '+'\r\n",
        ),
        (
            b"*x\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
    ];
    for (input, expected) in cases {
        let mut c = Conn::open(&sonde.addr());
        c.send(input);
        assert_eq!(
            text(&c.read_to_close()),
            *expected,
            "input {:?}",
            text(input)
        );
    }
    // A line that never ends.
    let mut c = Conn::open(&sonde.addr());
    c.send(&vec![b'a'; 70 * 1024]);
    assert_eq!(
        text(&c.read_to_close()),
        "-ERR Protocol error: too big inline request\r\n"
    );
    // A bulk larger than the query buffer limit: closed without a reply.
    let mut c = Conn::open(&sonde.addr());
    c.send(b"*2\r\n$3\r\nSET\r\n$3000000\r\n");
    let chunk = vec![b'z'; 1 << 20];
    for _ in 0..2 {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.send(&chunk))).is_err() {
            break;
        }
    }
    assert_eq!(c.read_to_close(), b"");
    assert!(sonde.log().contains("max query buffer length"));
    let pong: String = redis::cmd("PING").query(&mut bystander).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn requirepass_is_enforced() {
    let (redis, sonde) = pair(&["--requirepass", "s3cret"]);
    assert_same(
        &redis.addr(),
        &sonde.addr(),
        r#"
        GET k
        PING
        NOSUCH x
        GET
        AUTH wrong
        AUTH default wrong
        HELLO 3
        HELLO 2 AUTH default wrong
        CLIENT ID
        QUIT
        "#,
    );
    assert_same(
        &redis.addr(),
        &sonde.addr(),
        r#"
        AUTH s3cret
        SET k v
        GET k
        RESET
        GET k
        ?HELLO 2 AUTH default s3cret
        GET k
        "#,
    );
    // Before authentication Redis limits request sizes.
    for addr in [redis.addr(), sonde.addr()] {
        let mut c = Conn::open(&addr);
        c.send(b"*11\r\n");
        assert_eq!(
            text(&c.read_to_close()),
            "-ERR Protocol error: unauthenticated multibulk length\r\n"
        );
    }
}

/// A TCP connection to `port` on 127.0.0.1 from the source address
/// 127.0.0.2 (still loopback, but not "local" by Redis's definition).
fn connect_from_127_0_0_2(port: u16) -> TcpStream {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a new descriptor with initialized
    // sockaddr_in structures; the fd is owned by the TcpStream after.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut local: libc::sockaddr_in = std::mem::zeroed();
        local.sin_family = libc::AF_INET as libc::sa_family_t;
        local.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 2]);
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, (&local as *const libc::sockaddr_in).cast(), len),
            0
        );
        let mut remote: libc::sockaddr_in = std::mem::zeroed();
        remote.sin_family = libc::AF_INET as libc::sa_family_t;
        remote.sin_port = port.to_be();
        remote.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        assert_eq!(
            libc::connect(fd, (&remote as *const libc::sockaddr_in).cast(), len),
            0
        );
        let stream = TcpStream::from_raw_fd(fd);
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    }
}

#[test]
fn protected_mode_refuses_non_local_clients_like_redis() {
    let (redis, sonde) = pair(&[]);
    let mut replies = Vec::new();
    for port in [redis.port, sonde.port] {
        let mut s = connect_from_127_0_0_2(port);
        s.write_all(b"PING\r\n").unwrap();
        let mut all = Vec::new();
        let _ = s.read_to_end(&mut all);
        replies.push(all);
    }
    assert!(text(&replies[0]).starts_with("-DENIED Redis is running in protected mode"));
    assert_eq!(text(&replies[0]), text(&replies[1]));
    // With a password, non-local clients are accepted (and must AUTH).
    let sonde = SondeServer::start(&["--requirepass", "pw"]);
    let mut s = connect_from_127_0_0_2(sonde.port);
    s.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 34];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf[..], b"-NOAUTH Authentication required.\r\n");
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let sonde = SondeServer::start(&["--timeout", "1", "--hz", "50"]);
    let mut idle = Conn::open(&sonde.addr());
    assert_eq!(idle.call(&args("PING")), b"+PONG\r\n");
    let started = Instant::now();
    assert_eq!(idle.read_to_close(), b"");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "closed after {waited:?}"
    );
    let mut active = Conn::open(&sonde.addr());
    assert_eq!(active.call(&args("CONFIG SET timeout 0")), b"+OK\r\n");
}

#[test]
fn clients_connected_before_requirepass_stay_authenticated() {
    let sonde = SondeServer::start(&[]);
    let mut early = Conn::open(&sonde.addr());
    assert_eq!(early.call(&args("CONFIG SET requirepass pw")), b"+OK\r\n");
    assert_eq!(early.call(&args("SET k v")), b"+OK\r\n");
    let mut late = Conn::open(&sonde.addr());
    assert_eq!(
        late.call(&args("GET k")),
        b"-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(late.call(&args("AUTH pw")), b"+OK\r\n");
    assert_eq!(late.call(&args("GET k")), b"$1\r\nv\r\n");
}

#[test]
fn maxclients_refuses_extra_connections() {
    let sonde = SondeServer::start(&["--maxclients", "2"]);
    let mut a = Conn::open(&sonde.addr());
    let mut b = Conn::open(&sonde.addr());
    assert_eq!(a.call(&args("PING")), b"+PONG\r\n");
    assert_eq!(b.call(&args("PING")), b"+PONG\r\n");
    let mut c = Conn::open(&sonde.addr());
    assert_eq!(
        text(&c.read_to_close()),
        "-ERR max number of clients reached\r\n"
    );
}

#[test]
fn configuration_errors_name_the_directive() {
    let out = run(&["serve", "--port", "7000", "--no-such-thing", "1"], b"");
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr)
            .contains("option --no-such-thing: 'no-such-thing \"1\"': unknown directive"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["serve", "--io-threads", "4"], b"");
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("does not support yet"),
        "{}",
        text(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(&conf, "port 7001\nprotected-mode maybe\n").unwrap();
    let out = run(&["serve", conf.to_str().unwrap()], b"");
    assert_exit(&out, 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.conf line 2: 'protected-mode \"maybe\"': argument must be 'yes' or 'no'"),
        "{err}"
    );
}

#[test]
fn config_file_directives_and_options_combine() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("sonde.conf");
    std::fs::write(&conf, "# test\ndatabases 4\nmaxclients 77\ntimeout 0\n").unwrap();
    let sonde = SondeServer::start_with(Some(&conf), &["--maxclients", "88"]);
    let mut c = Conn::open(&sonde.addr());
    assert_eq!(
        text(&c.call(&args("CONFIG GET databases"))),
        "*2\r\n$9\r\ndatabases\r\n$1\r\n4\r\n"
    );
    assert_eq!(
        text(&c.call(&args("CONFIG GET maxclients"))),
        "*2\r\n$10\r\nmaxclients\r\n$2\r\n88\r\n"
    );
    assert_eq!(
        text(&c.call(&args("SELECT 4"))),
        "-ERR DB index is out of range\r\n"
    );
}

#[test]
fn startup_is_logged_as_json_and_sigterm_shuts_down() {
    let mut sonde = SondeServer::start(&[]);
    let log = sonde.log();
    let ready: serde_json::Value = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|v: &serde_json::Value| v["msg"] == "Ready to accept connections")
        .unwrap_or_else(|| panic!("no startup line in {log}"));
    assert_eq!(ready["addr"], format!("127.0.0.1:{}", sonde.port));
    assert_eq!(ready["pid"], sonde.child().id());
    assert_eq!(ready["level"], "notice");
    // SAFETY: kill with a valid pid and signal number.
    unsafe { libc::kill(sonde.child().id() as i32, libc::SIGTERM) };
    let status = sonde.child().wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(sonde.log().contains("bye bye"));
}

#[test]
fn shutdown_command_stops_the_server() {
    let mut sonde = SondeServer::start(&[]);
    let mut c = Conn::open(&sonde.addr());
    c.send_command(&args("SHUTDOWN NOSAVE"));
    assert_eq!(c.read_to_close(), b"");
    let status = sonde.child().wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn scan_returns_every_key_while_the_keyspace_grows() {
    let sonde = SondeServer::start(&[]);
    let mut con = sonde.client();
    for chunk in (0..5000).collect::<Vec<_>>().chunks(500) {
        let mut pipe = redis::pipe();
        for i in chunk {
            pipe.cmd("SET").arg(format!("orig:{i}")).arg(i).ignore();
        }
        let _: () = pipe.query(&mut con).unwrap();
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0u64;
    let mut added = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(20)
            .query(&mut con)
            .unwrap();
        seen.extend(keys);
        // Grow the table under the scan through a few doublings (then stop,
        // or a scan could chase an ever-growing table).
        if added >= 30_000 {
            cursor = next;
            if cursor == 0 {
                break;
            }
            continue;
        }
        let mut pipe = redis::pipe();
        for _ in 0..100 {
            pipe.cmd("SET").arg(format!("new:{added}")).arg(1).ignore();
            added += 1;
        }
        let _: () = pipe.query(&mut con).unwrap();
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    let missing: Vec<i32> = (0..5000)
        .filter(|i| !seen.contains(&format!("orig:{i}")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} keys never returned, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(added > 5000, "the scan should have spanned table growth");
}

#[test]
fn active_expiry_removes_keys_nobody_reads() {
    let sonde = SondeServer::start(&["--hz", "50"]);
    let mut con = sonde.client();
    let mut pipe = redis::pipe();
    for i in 0..500 {
        pipe.cmd("SET")
            .arg(format!("t:{i}"))
            .arg(i)
            .arg("PX")
            .arg(50)
            .ignore();
    }
    pipe.cmd("SET").arg("keep").arg(1).ignore();
    let _: () = pipe.query(&mut con).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
        if n == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "{n} keys left");
        std::thread::sleep(Duration::from_millis(50));
    }
    let info: String = redis::cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert!(info.contains("expired_keys:500"), "{info}");
}

#[test]
fn monitor_client_list_and_kill() {
    let sonde = SondeServer::start(&[]);
    let mut monitor = Conn::open(&sonde.addr());
    assert_eq!(monitor.call(&args("MONITOR")), b"+OK\r\n");
    let mut c = Conn::open(&sonde.addr());
    assert_eq!(c.call(&args("SET \"a b\" \"\\x01\"")), b"+OK\r\n");
    let line = text(&monitor.read_reply());
    assert!(
        line.starts_with('+') && line.ends_with("] \"SET\" \"a b\" \"\\x01\"\r\n"),
        "{line}"
    );
    assert_eq!(c.call(&args("CLIENT SETNAME worker")), b"+OK\r\n");
    let list = text(&c.call(&args("CLIENT LIST")));
    assert!(list.contains(" name=worker "), "{list}");
    assert!(list.contains(" flags=O "), "{list}");
    assert!(list.contains("cmd=client|list"), "{list}");
    // MONITOR clients count as normal ones (Redis's getClientType); the
    // caller is skipped.
    let killed = c.call(&args("CLIENT KILL TYPE normal"));
    assert_eq!(killed, b":1\r\n");
    // The monitor saw CLIENT SETNAME (CLIENT LIST and KILL are admin
    // commands, never shown), then was disconnected.
    let rest = text(&monitor.read_to_close());
    assert!(
        rest.ends_with("\"CLIENT\" \"SETNAME\" \"worker\"\r\n"),
        "{rest}"
    );
    let id = text(&c.call(&args("CLIENT ID")));
    let me = format!(
        "CLIENT KILL ID {} SKIPME no",
        id.trim_start_matches(':').trim()
    );
    assert_eq!(c.call(&args(&me)), b":1\r\n");
    assert_eq!(c.read_to_close(), b"");
}

#[test]
fn client_reply_off_and_skip() {
    let sonde = SondeServer::start(&[]);
    let mut c = Conn::open(&sonde.addr());
    c.send_command(&args("CLIENT REPLY OFF"));
    c.send_command(&args("SET a 1"));
    c.send_command(&args("CLIENT REPLY SKIP"));
    c.send_command(&args("CLIENT REPLY ON"));
    assert_eq!(c.read_reply(), b"+OK\r\n");
    c.send_command(&args("CLIENT REPLY SKIP"));
    c.send_command(&args("GET a"));
    assert_eq!(c.call(&args("GET a")), b"$1\r\n1\r\n");
}

#[test]
fn info_sections_and_debug_populate() {
    let sonde = SondeServer::start(&["--enable-debug-command", "yes"]);
    let mut con = sonde.client();
    let _: () = redis::cmd("DEBUG")
        .arg("POPULATE")
        .arg(1000)
        .query(&mut con)
        .unwrap();
    let v: String = redis::cmd("GET").arg("key:999").query(&mut con).unwrap();
    assert_eq!(v, "value:999");
    let info: String = redis::cmd("INFO").query(&mut con).unwrap();
    for needle in [
        "# Server\r\nredis_version:7.0.15\r\n",
        "# Clients\r\n",
        "# Memory\r\nused_memory:",
        "# Stats\r\n",
        "# Keyspace\r\ndb0:keys=1000,expires=0,avg_ttl=0\r\n",
    ] {
        assert!(info.contains(needle), "missing {needle:?} in\n{info}");
    }
    let _: () = redis::cmd("GET").arg("nokey").query(&mut con).unwrap();
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut con)
        .unwrap();
    assert!(stats.contains("cmdstat_get:calls=2,"), "{stats}");
    let count_errors = |con: &mut redis::Connection| -> u64 {
        let info: String = redis::cmd("INFO").arg("errorstats").query(con).unwrap();
        info.lines()
            .find_map(|l| l.strip_prefix("errorstat_ERR:count="))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    let before = count_errors(&mut con);
    let failed: redis::RedisResult<()> = redis::cmd("INCR").arg("key:1").query(&mut con);
    assert!(failed.is_err());
    assert_eq!(count_errors(&mut con), before + 1);
    // DEBUG is refused unless enabled, with Redis's text.
    let plain = SondeServer::start(&[]);
    let mut c = Conn::open(&plain.addr());
    assert!(text(&c.call(&args("DEBUG SLEEP 0"))).starts_with("-ERR DEBUG command not allowed."));
}

#[test]
fn command_introspection_covers_the_table() {
    let sonde = SondeServer::start(&[]);
    let mut con = sonde.client();
    let count: i64 = redis::cmd("COMMAND").arg("COUNT").query(&mut con).unwrap();
    assert!(count > 60, "{count}");
    let info: redis::Value = redis::cmd("COMMAND")
        .arg("INFO")
        .arg("get")
        .arg("nosuch")
        .query(&mut con)
        .unwrap();
    let redis::Value::Array(items) = info else {
        panic!("{info:?}")
    };
    assert_eq!(items.len(), 2);
    assert_eq!(items[1], redis::Value::Nil);
    let names: Vec<String> = redis::cmd("COMMAND").arg("LIST").query(&mut con).unwrap();
    for name in ["get", "set", "scan", "client|kill", "config|get"] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} not in COMMAND LIST"
        );
    }
}

#[test]
fn serve_help_mentions_directives() {
    let out = run(&["serve", "--help"], b"");
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("--DIRECTIVE VALUE"));
}

/// Subscription confirmations reach a client whose replies are off, in
/// RESP2 and RESP3 (Redis delivers them as it delivers messages).
#[test]
fn subscribe_confirmations_survive_client_reply_off() {
    let (redis, sonde) = pair(&[]);
    let mut seen = Vec::new();
    for addr in [redis.addr(), sonde.addr()] {
        let mut got = Vec::new();
        for hello in ["HELLO 2", "HELLO 3"] {
            let mut c = Conn::open(&addr);
            c.call(&args(hello));
            c.send_command(&args("CLIENT REPLY OFF"));
            c.send_command(&args("SUBSCRIBE channel"));
            got.push(c.read_reply());
            c.send_command(&args("PSUBSCRIBE ch*"));
            got.push(c.read_reply());
            c.send_command(&args("UNSUBSCRIBE channel"));
            got.push(c.read_reply());
            c.send_command(&args("PUNSUBSCRIBE"));
            got.push(c.read_reply());
        }
        seen.push(got);
    }
    assert_eq!(
        seen[1].iter().map(|r| text(r)).collect::<Vec<_>>(),
        seen[0].iter().map(|r| text(r)).collect::<Vec<_>>()
    );
}

/// CLIENT INFO's qbuf counts the running request (Redis trims its query
/// buffer after running it); CLIENT KILL USER names an unknown user.
#[test]
fn client_info_qbuf_and_kill_unknown_user_match_redis() {
    let (redis, sonde) = pair(&[]);
    let qbuf = |addr: &str| {
        let info = text(&Conn::open(addr).call(&args("CLIENT INFO")));
        info.split(' ')
            .find(|f| f.starts_with("qbuf="))
            .map(str::to_owned)
    };
    assert_eq!(qbuf(&sonde.addr()), qbuf(&redis.addr()));
    assert_eq!(qbuf(&sonde.addr()).as_deref(), Some("qbuf=26"));
    assert_same(
        &redis.addr(),
        &sonde.addr(),
        "CLIENT KILL USER wrong_user\nCLIENT KILL USER default ID 999999\n",
    );
}

/// An absolute expiry in milliseconds is never reported as further away
/// than the client's own clock says: "now" must not lag the wall clock.
#[test]
fn getex_pxat_ttl_never_exceeds_the_client_clock() {
    let sonde = SondeServer::start(&[]);
    let mut c = Conn::open(&sonde.addr());
    c.call(&args("SET foo bar"));
    for _ in 0..300 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_millis();
        let at = now + 10_000;
        c.call(&args(&format!("GETEX foo PXAT {at}")));
        let ttl = text(&c.call(&args("PTTL foo")));
        let ttl: i64 = ttl.trim_start_matches(':').trim().parse().expect("integer");
        assert!(ttl <= 10_000, "PTTL {ttl} after PXAT now+10000");
    }
}
