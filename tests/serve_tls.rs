//! `sonde serve` with TLS (tls-port and friends): redis-cli and
//! redis-benchmark with --tls, client certificates, `replica tail` over TLS
//! from a sonde master, and a sonde replica of a sonde TLS master
//! (tls-replication).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::redis_server::require_tool;
use crate::common::{SondeServer, assert_exit, free_port, sonde, text};
use crate::connect::Certs;

struct TlsSonde {
    server: SondeServer,
    tls_port: u16,
}

fn start(certs: &Certs, auth_clients: &str, extra: &[&str]) -> TlsSonde {
    let tls_port = free_port();
    let mut args = certs.server_args(tls_port, auth_clients);
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TlsSonde {
        server: SondeServer::start(&args),
        tls_port,
    }
}

fn redis_cli(certs: &Certs, port: u16, client_cert: bool, args: &[&str]) -> Output {
    let mut cmd = Command::new(require_tool("redis-cli"));
    cmd.args([
        "-p",
        &port.to_string(),
        "--tls",
        "--cacert",
        &certs.path("ca.crt"),
    ]);
    if client_cert {
        cmd.args([
            "--cert",
            &certs.path("client.crt"),
            "--key",
            &certs.path("client.key"),
        ]);
    }
    cmd.args(args)
        .stdin(Stdio::null())
        .output()
        .expect("redis-cli")
}

#[track_caller]
fn cli_says(out: &Output, expected: &str) {
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), expected, "{}", text(&out.stderr));
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not reached in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn redis_cli_and_redis_benchmark_over_tls() {
    let certs = Certs::new();
    let s = start(&certs, "no", &[]);
    cli_says(
        &redis_cli(&certs, s.tls_port, false, &["SET", "k", "v"]),
        "OK",
    );
    cli_says(&redis_cli(&certs, s.tls_port, false, &["GET", "k"]), "v");
    cli_says(
        &redis_cli(&certs, s.tls_port, false, &["CONFIG", "GET", "tls-port"]),
        &format!("tls-port\n{}", s.tls_port),
    );
    // A big value crosses many TLS records both ways.
    let big = "x".repeat(100_000);
    cli_says(
        &redis_cli(&certs, s.tls_port, false, &["SET", "big", &big]),
        "OK",
    );
    cli_says(
        &redis_cli(&certs, s.tls_port, false, &["STRLEN", "big"]),
        "100000",
    );
    for pipeline in ["1", "16"] {
        let out = Command::new(require_tool("redis-benchmark"))
            .args([
                "-p",
                &s.tls_port.to_string(),
                "--tls",
                "--cacert",
                &certs.path("ca.crt"),
            ])
            .args([
                "-n",
                "3000",
                "-c",
                "8",
                "-P",
                pipeline,
                "-t",
                "set,get,lpush,lrange_100",
                "-q",
            ])
            .args(["-r", "1000"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-benchmark");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let report = text(&out.stdout);
        assert!(
            report.contains("SET:") && report.contains("LRANGE_100"),
            "{report}"
        );
    }
    // The plain port still works next to the TLS one.
    let mut conn = s.server.client();
    let n: u64 = redis::cmd("DBSIZE").query(&mut conn).unwrap();
    assert!(n > 2, "{n}");
    // sonde's own client sees the TLS session.
    let out = sonde()
        .args(["latency", "--tls", "--cacert", &certs.path("ca.crt"), "-p"])
        .arg(s.tls_port.to_string())
        .args(["--count", "5", "--sample-interval", "0", "--format", "json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("\"version\": \"TLSv1_3\""),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn client_certificates_when_tls_auth_clients_is_yes() {
    let certs = Certs::new();
    let s = start(&certs, "yes", &[]);
    let out = redis_cli(&certs, s.tls_port, false, &["PING"]);
    assert!(!text(&out.stdout).contains("PONG"), "{}", text(&out.stdout));
    cli_says(&redis_cli(&certs, s.tls_port, true, &["PING"]), "PONG");
    let out = sonde()
        .args([
            "sockopt",
            "probe",
            "--ping",
            "--tls",
            "--cacert",
            &certs.path("ca.crt"),
            "-p",
        ])
        .arg(s.tls_port.to_string())
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("--cert"),
        "{}",
        text(&out.stderr)
    );

    // CONFIG SET tls-auth-clients applies to connections accepted from
    // then on (as in redis-server); tls-replication is settable too.
    let plain = s.server.port.to_string();
    let set = |name: &str, value: &str| {
        let out = Command::new(require_tool("redis-cli"))
            .args(["-p", &plain, "CONFIG", "SET", name, value])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli");
        cli_says(&out, "OK");
    };
    set("tls-auth-clients", "no");
    cli_says(&redis_cli(&certs, s.tls_port, false, &["PING"]), "PONG");
    set("tls-auth-clients", "optional");
    cli_says(&redis_cli(&certs, s.tls_port, false, &["PING"]), "PONG");
    cli_says(&redis_cli(&certs, s.tls_port, true, &["PING"]), "PONG");
    set("tls-auth-clients", "yes");
    let out = redis_cli(&certs, s.tls_port, false, &["PING"]);
    assert!(!text(&out.stdout).contains("PONG"), "{}", text(&out.stdout));
    set("tls-replication", "yes");
    cli_says(
        &redis_cli(
            &certs,
            s.tls_port,
            true,
            &["CONFIG", "GET", "tls-replication"],
        ),
        "tls-replication\nyes",
    );
}

#[test]
fn bad_tls_configuration_stops_serve_with_a_clear_error() {
    let port = free_port().to_string();
    let out = sonde()
        .args([
            "serve",
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--tls-port",
            &free_port().to_string(),
            "--save",
            "",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("tls-cert-file"),
        "{}",
        text(&out.stderr)
    );
    let out = sonde()
        .args(["serve", "--port", &port, "--tls-auth-clients", "maybe"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("tls-auth-clients"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn replication_over_tls_to_replica_tail_and_a_sonde_replica() {
    let certs = Certs::new();
    let master = start(&certs, "no", &["--repl-diskless-sync-delay", "0"]);
    let mut conn = master.server.client();
    for i in 0..50 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut conn)
            .unwrap();
    }
    let port = master.tls_port.to_string();
    let ca = certs.path("ca.crt");
    let child = sonde()
        .args(["replica", "tail", "--tls", "--cacert", &ca, "-p", &port])
        .args([
            "--format",
            "json",
            "--rdb",
            "summary",
            "--command",
            "set",
            "--count",
            "1",
        ])
        .args(["--lag-interval", "0.05"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = crate::connect::tail_prints_a_write(&mut conn, child, "after", "tls");
    let stdout = text(&out.stdout);
    assert!(stdout.contains(r#""status":"ok""#), "{stdout}");

    // A sonde replica connecting with tls-replication.
    let replica = SondeServer::start(&[
        "--replicaof",
        "127.0.0.1",
        &port,
        "--tls-replication",
        "yes",
        "--tls-ca-cert-file",
        &ca,
    ]);
    let mut rconn = replica.client();
    wait_until("the replica to sync", || {
        let v: Option<String> = redis::cmd("GET").arg("after").query(&mut rconn).unwrap();
        v.as_deref() == Some("tls")
    });
    let _: () = redis::cmd("SET")
        .arg("streamed")
        .arg("yes")
        .query(&mut conn)
        .unwrap();
    wait_until("the command stream", || {
        let v: Option<String> = redis::cmd("GET").arg("streamed").query(&mut rconn).unwrap();
        v.as_deref() == Some("yes")
    });
    let n: u64 = redis::cmd("DBSIZE").query(&mut rconn).unwrap();
    assert_eq!(n, 52);
}
