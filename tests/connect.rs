//! The connection layer against real redis-server processes: passwords
//! (options, URIs, REDISCLI_AUTH), ACL users, unix sockets, TLS with
//! certificates made here (rcgen), a wrong CA, client certificates, and the
//! replication stream over TLS through `replica tail`.

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

use crate::common::{RedisServer, assert_exit, free_port, json, sonde, text};

/// A CA, a server certificate for localhost / 127.0.0.1 signed by it, a
/// client certificate signed by it, and a second CA that signed nothing
/// here, as PEM files in a temporary directory.
pub struct Certs {
    pub dir: tempfile::TempDir,
}

impl Certs {
    pub fn new() -> Certs {
        let dir = tempfile::tempdir().unwrap();
        let ca = |name: &str| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, name);
            let cert = params.self_signed(&key).unwrap();
            (cert, Issuer::new(params, key))
        };
        let (ca_cert, issuer) = ca("sonde test CA");
        let (other_cert, _) = ca("some other CA");
        let leaf = |names: Vec<String>| {
            let key = KeyPair::generate().unwrap();
            let params = CertificateParams::new(names).unwrap();
            let cert = params.signed_by(&key, &issuer).unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()]);
        let (client_cert, client_key) = leaf(vec!["client".into()]);
        let write = |name: &str, pem: &str| std::fs::write(dir.path().join(name), pem).unwrap();
        write("ca.crt", &ca_cert.pem());
        write("other-ca.crt", &other_cert.pem());
        write("server.crt", &server_cert);
        write("server.key", &server_key);
        write("client.crt", &client_cert);
        write("client.key", &client_key);
        Certs { dir }
    }

    /// The directives of a TLS server (redis-server or sonde) listening on
    /// `tls_port` with this CA's server certificate.
    pub fn server_args(&self, tls_port: u16, auth_clients: &str) -> Vec<String> {
        [
            "--tls-port".to_owned(),
            tls_port.to_string(),
            "--tls-cert-file".to_owned(),
            self.path("server.crt"),
            "--tls-key-file".to_owned(),
            self.path("server.key"),
            "--tls-ca-cert-file".to_owned(),
            self.path("ca.crt"),
            "--tls-auth-clients".to_owned(),
            auth_clients.to_owned(),
        ]
        .into()
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }
}

/// A redis-server with a plain port (for setup) and a TLS port.
pub struct TlsRedis {
    pub server: RedisServer,
    pub tls_port: u16,
}

impl TlsRedis {
    pub fn start(certs: &Certs, auth_clients: bool, extra: &[&str]) -> TlsRedis {
        let tls_port = free_port();
        let mut args = certs.server_args(tls_port, if auth_clients { "yes" } else { "no" });
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        TlsRedis {
            server: RedisServer::start(&args),
            tls_port,
        }
    }
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = sonde();
    cmd.args(args).stdin(Stdio::null());
    cmd.env_remove("REDISCLI_AUTH").env_remove("SONDE_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sonde")
}

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

#[track_caller]
fn stderr_of_failure(out: &Output) -> String {
    assert_exit(out, 2);
    text(&out.stderr)
}

/// PING through `sockopt probe --target` and the reply it saw.
#[track_caller]
fn ping_reply(out: &Output) -> String {
    assert_exit(out, 0);
    let report = json(&out.stdout);
    report["target"]["ping"]["reply"]
        .as_str()
        .unwrap_or_else(|| panic!("no ping in {report}"))
        .to_owned()
}

#[test]
fn passwords_from_options_uris_and_the_environment() {
    let server = RedisServer::start(&["--requirepass", "s3cret"]);
    let port = server.port.to_string();
    let probe = ["sockopt", "probe", "--format", "json", "--ping"];
    let with = |extra: &[&str]| {
        let mut args = probe.to_vec();
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let go = |extra: &[&str], env: &[(&str, &str)]| {
        let args = with(extra);
        run_env(&args.iter().map(String::as_str).collect::<Vec<_>>(), env)
    };
    assert_eq!(
        ping_reply(&go(&["-p", &port, "-a", "s3cret"], &[])),
        "+PONG\r\n"
    );
    assert_eq!(
        ping_reply(&go(&["-p", &port, "--pass", "s3cret"], &[])),
        "+PONG\r\n"
    );
    let uri = format!("redis://:s3cret@127.0.0.1:{port}/0");
    assert_eq!(ping_reply(&go(&["--target", &uri], &[])), "+PONG\r\n");
    assert_eq!(ping_reply(&go(&["-u", &uri], &[])), "+PONG\r\n");
    assert_eq!(
        ping_reply(&go(
            &["--target", &server.addr()],
            &[("REDISCLI_AUTH", "s3cret")]
        )),
        "+PONG\r\n"
    );
    // -a wins over the environment, as in redis-cli.
    let err = stderr_of_failure(&go(
        &["-p", &port, "-a", "wrong"],
        &[("REDISCLI_AUTH", "s3cret")],
    ));
    assert!(
        err.contains("WRONGPASS") && err.contains("check --user and -a"),
        "{err}"
    );

    let err = stderr_of_failure(&go(&["-p", &port], &[]));
    assert!(
        err.contains("NOAUTH") && err.contains("-a PASSWORD") && err.contains("REDISCLI_AUTH"),
        "{err}"
    );
    // replica tail says the same at once, without REPLCONF warnings first.
    let err = stderr_of_failure(&run(&[
        "replica",
        "tail",
        &server.addr(),
        "--lag-interval",
        "0",
    ]));
    assert!(err.contains("-a PASSWORD"), "{err}");
    assert!(!err.contains("REPLCONF"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn acl_users_and_their_failures() {
    let server = RedisServer::start(&["--requirepass", "s3cret"]);
    let mut admin = redis::Client::open(format!("redis://:s3cret@127.0.0.1:{}/", server.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("ACL")
        .arg(&["SETUSER", "probe", "on", ">pw", "+ping", "-info"])
        .query(&mut admin)
        .unwrap();
    let port = server.port.to_string();
    let out = run(&[
        "sockopt", "probe", "--format", "json", "--ping", "-p", &port, "--user", "probe", "-a",
        "pw",
    ]);
    assert_eq!(ping_reply(&out), "+PONG\r\n");
    let uri = format!("redis://probe:pw@127.0.0.1:{port}");
    assert_eq!(
        ping_reply(&run(&[
            "sockopt", "probe", "--format", "json", "--ping", "-u", &uri
        ])),
        "+PONG\r\n"
    );
    // A user that does not exist.
    let err = stderr_of_failure(&run(&[
        "sockopt", "probe", "--ping", "-p", &port, "--user", "nobody", "-a", "pw",
    ]));
    assert!(
        err.contains("user \"nobody\"") && err.contains("WRONGPASS"),
        "{err}"
    );
    // A user without a password to go with it.
    let err = stderr_of_failure(&run(&[
        "sockopt", "probe", "--ping", "-p", &port, "--user", "probe",
    ]));
    assert!(err.contains("--user needs a password"), "{err}");
    // A user lacking the permissions replication needs.
    let err = stderr_of_failure(&run(&[
        "replica",
        "tail",
        "-p",
        &port,
        "--user",
        "probe",
        "-a",
        "pw",
        "--lag-interval",
        "0",
    ]));
    assert!(
        err.contains("NOPERM") || err.contains("permission"),
        "{err}"
    );
}

#[test]
fn unix_sockets_by_option_and_uri() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("redis.sock");
    let socket_arg = socket.to_string_lossy().into_owned();
    let server = RedisServer::start(&[
        "--unixsocket",
        &socket_arg,
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let uri = format!("unix://{socket_arg}");
    for how in [vec!["-s", socket_arg.as_str()], vec!["-u", uri.as_str()]] {
        let mut args = vec![
            "replica",
            "tail",
            "--format",
            "json",
            "--count",
            "1",
            "--command",
            "set",
        ];
        args.extend(how);
        let child = sonde()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        tail_prints_a_write(&mut server.client(), child, "k", "v");
    }
    // sockopt needs TCP for TCP_INFO, and says so.
    let err = stderr_of_failure(&run(&["sockopt", "probe", "-s", &socket_arg]));
    assert!(err.contains("unix socket"), "{err}");
}

#[test]
fn a_refused_connection_is_reported_once() {
    let port = free_port().to_string();
    for args in [
        vec!["replica", "tail", "-p", &port],
        vec!["sockopt", "probe", "--ping", "-p", &port],
    ] {
        let err = stderr_of_failure(&run(&args));
        assert_eq!(err.matches("Connection refused").count(), 1, "{err}");
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    }
    for (args, needle) in [
        (
            vec!["sockopt", "probe", "--cacert", "x.pem", "-p", "1"],
            "--cacert needs --tls",
        ),
        (vec!["replica", "tail", "h:1", "-p", "2"], "give one"),
        (vec!["replica", "tail", "-u", "http://h"], "invalid URI"),
        (vec!["replica", "tail", "-n", "2"], "use --db"),
    ] {
        let err = stderr_of_failure(&run(&args));
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// With a `replica tail --count 1` running as `child` against the server
/// behind `conn`: wait until the server lists it as an online replica,
/// write `SET key value`, and return the tail's output once it exits,
/// which must be 0 with that command printed.
pub fn tail_prints_a_write(
    conn: &mut redis::Connection,
    child: std::process::Child,
    key: &str,
    value: &str,
) -> Output {
    wait_until(|| {
        let info: String = redis::cmd("INFO").arg("replication").query(conn).unwrap();
        info.contains("state=online")
    });
    let _: () = redis::cmd("SET").arg(key).arg(value).query(conn).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    let expected = format!(r#""args":["SET","{key}","{value}"]"#);
    assert!(stdout.contains(&expected), "{stdout}");
    out
}

fn wait_until(mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "condition not reached in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn tls_probe_with_verification_errors_that_name_the_option() {
    let certs = Certs::new();
    let redis = TlsRedis::start(&certs, false, &[]);
    let port = redis.tls_port.to_string();
    let ca = certs.path("ca.crt");
    let out = run(&[
        "sockopt", "probe", "--format", "json", "--ping", "--tls", "--cacert", &ca, "-p", &port,
    ]);
    assert_eq!(ping_reply(&out), "+PONG\r\n");
    let report = json(&out.stdout);
    assert!(
        report["target"]["tls"]["version"]
            .as_str()
            .unwrap()
            .starts_with("TLS")
    );
    assert!(report["target"]["tcp_info"].is_object(), "{report}");
    // rediss:// and a directory of CAs; localhost by name.
    let uri = format!("rediss://localhost:{port}");
    let cadir = certs.dir.path().to_string_lossy().into_owned();
    assert_eq!(
        ping_reply(&run(&[
            "sockopt",
            "probe",
            "--format",
            "json",
            "--ping",
            "-u",
            &uri,
            "--cacertdir",
            &cadir,
        ])),
        "+PONG\r\n"
    );
    // The wrong CA.
    let other = certs.path("other-ca.crt");
    let err = stderr_of_failure(&run(&[
        "sockopt", "probe", "--ping", "--tls", "--cacert", &other, "-p", &port,
    ]));
    assert!(
        err.contains("not signed by a CA we trust") && err.contains("--cacert"),
        "{err}"
    );
    // The same with --insecure works.
    assert_eq!(
        ping_reply(&run(&[
            "sockopt",
            "probe",
            "--format",
            "json",
            "--ping",
            "--tls",
            "--insecure",
            "-p",
            &port,
        ])),
        "+PONG\r\n"
    );
    // A name the certificate is not for.
    let err = stderr_of_failure(&run(&[
        "sockopt",
        "probe",
        "--ping",
        "--tls",
        "--cacert",
        &ca,
        "--sni",
        "elsewhere.example",
        "-p",
        &port,
    ]));
    assert!(err.contains("--sni"), "{err}");
    // Plain RESP to the TLS port, and TLS to the plain port.
    let err = stderr_of_failure(&run(&["sockopt", "probe", "--ping", "-p", &port]));
    assert!(err.contains("--tls"), "{err}");
    let err = stderr_of_failure(&run(&[
        "replica",
        "tail",
        "-p",
        &port,
        "--lag-interval",
        "0",
    ]));
    assert!(err.contains("--tls"), "{err}");
    let plain = redis.server.port.to_string();
    let err = stderr_of_failure(&run(&[
        "sockopt",
        "probe",
        "--ping",
        "--tls",
        "--cacert",
        &ca,
        "-p",
        &plain,
        "--connect-timeout",
        "1",
    ]));
    assert!(err.contains("TLS"), "{err}");
}

#[test]
fn tls_client_certificates() {
    let certs = Certs::new();
    let redis = TlsRedis::start(&certs, true, &[]);
    let port = redis.tls_port.to_string();
    let ca = certs.path("ca.crt");
    let err = stderr_of_failure(&run(&[
        "sockopt", "probe", "--ping", "--tls", "--cacert", &ca, "-p", &port,
    ]));
    assert!(err.contains("--cert"), "{err}");
    let (cert, key) = (certs.path("client.crt"), certs.path("client.key"));
    let out = run(&[
        "sockopt", "probe", "--format", "json", "--ping", "--tls", "--cacert", &ca, "--cert",
        &cert, "--key", &key, "-p", &port,
    ]);
    assert_eq!(ping_reply(&out), "+PONG\r\n");
    let err = stderr_of_failure(&run(&[
        "sockopt", "probe", "--ping", "--tls", "--cacert", &ca, "--cert", &cert, "-p", &port,
    ]));
    assert!(err.contains("--cert and --key go together"), "{err}");
}

#[test]
fn replica_tail_over_tls_with_snapshot_summary_and_save() {
    let certs = Certs::new();
    let redis = TlsRedis::start(
        &certs,
        false,
        &["--repl-diskless-sync", "no", "--requirepass", "pw"],
    );
    let mut conn = redis::Client::open(format!("redis://:pw@127.0.0.1:{}/", redis.server.port))
        .unwrap()
        .get_connection()
        .unwrap();
    for i in 0..100 {
        let _: () = redis::cmd("SET")
            .arg(format!("key:{i}"))
            .arg(i)
            .query(&mut conn)
            .unwrap();
    }
    let out_dir = tempfile::tempdir().unwrap();
    let saved = out_dir.path().join("snap.rdb");
    let saved_arg = saved.to_string_lossy().into_owned();
    let port = redis.tls_port.to_string();
    let ca = certs.path("ca.crt");
    for rdb in [vec!["summary"], vec!["save", saved_arg.as_str()]] {
        let mut args = vec![
            "replica",
            "tail",
            "--format",
            "json",
            "--tls",
            "--cacert",
            &ca,
            "-p",
            &port,
            "-a",
            "pw",
            "--command",
            "set",
            "--count",
            "1",
            "--lag-interval",
            "0.05",
            "--rdb",
        ];
        args.extend(rdb.iter().copied());
        let child = sonde()
            .args(&args)
            .env_remove("REDISCLI_AUTH")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = tail_prints_a_write(&mut conn, child, "after", "tls");
        let stdout = text(&out.stdout);
        let err = text(&out.stderr);
        assert!(
            !err.contains("lag polling"),
            "the lag connection uses TLS too: {err}"
        );
        if rdb[0] == "summary" {
            assert!(stdout.contains(r#""status":"ok""#), "{stdout}");
            assert!(
                stdout.contains(r#""keys":100"#) || stdout.contains("100"),
                "{stdout}"
            );
        }
        wait_until(|| {
            let info: String = redis::cmd("INFO")
                .arg("replication")
                .query(&mut conn)
                .unwrap();
            !info.contains("state=online")
        });
    }
    // The saved snapshot is a valid RDB holding the 100 keys.
    let out = sonde()
        .args(["rdb", "inspect", "--format", "json"])
        .arg(&saved)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("100"), "{}", text(&out.stdout));
}
