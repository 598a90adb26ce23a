//! `sonde sockopt probe`: defaults against /proc/sys, what the kernel makes
//! of requested values, a live redis-server as target, and the loopback
//! experiments. Timings are never asserted, only what the kernel did.

use serde_json::Value;

use crate::common::{RedisServer, assert_exit, free_port, json, run, text};

/// A sysctl read straight from /proc/sys, independently of sonde.
fn sysctl(name: &str) -> Vec<i64> {
    let path = format!("/proc/sys/{}", name.replace('.', "/"));
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    raw.split_whitespace()
        .map(|w| w.parse().unwrap_or_else(|_| panic!("{path}: {raw:?}")))
        .collect()
}

fn sysctl_text(name: &str) -> String {
    let path = format!("/proc/sys/{}", name.replace('.', "/"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {path}: {e}"))
        .trim()
        .to_owned()
}

/// `sonde --format json sockopt probe ARGS`, expecting `code`.
fn probe(args: &[&str], code: i32) -> Value {
    let mut all = vec!["--format", "json", "sockopt", "probe"];
    all.extend_from_slice(args);
    let out = run(&all, b"");
    assert_exit(&out, code);
    json(&out.stdout)
}

/// The row of option `name` on socket `socket`.
fn option<'a>(report: &'a Value, socket: &str, name: &str) -> &'a Value {
    report["options"]
        .as_array()
        .expect("options array")
        .iter()
        .find(|o| o["socket"] == socket && o["name"] == name)
        .unwrap_or_else(|| panic!("no {name} on {socket} in {report:#}"))
}

fn int(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

#[test]
fn defaults_match_the_kernel_limits_in_proc_sys() {
    let report = probe(&[], 0);
    let sockets = report["sockets"].as_array().unwrap();
    assert!(sockets.contains(&Value::from("tcp4")) && sockets.contains(&Value::from("udp4")));

    let tcp_rmem = sysctl("net.ipv4.tcp_rmem");
    let tcp_wmem = sysctl("net.ipv4.tcp_wmem");
    assert_eq!(
        int(&option(&report, "tcp4", "SO_RCVBUF")["default"]),
        tcp_rmem[1]
    );
    assert_eq!(
        int(&option(&report, "tcp4", "SO_SNDBUF")["default"]),
        tcp_wmem[1]
    );
    assert_eq!(
        int(&option(&report, "udp4", "SO_RCVBUF")["default"]),
        sysctl("net.core.rmem_default")[0]
    );
    assert_eq!(
        int(&option(&report, "udp4", "SO_SNDBUF")["default"]),
        sysctl("net.core.wmem_default")[0]
    );
    for (opt, name) in [
        ("TCP_KEEPIDLE", "net.ipv4.tcp_keepalive_time"),
        ("TCP_KEEPINTVL", "net.ipv4.tcp_keepalive_intvl"),
        ("TCP_KEEPCNT", "net.ipv4.tcp_keepalive_probes"),
    ] {
        assert_eq!(
            int(&option(&report, "tcp4", opt)["default"]),
            sysctl(name)[0],
            "{opt}"
        );
    }
    assert_eq!(
        option(&report, "tcp4", "TCP_CONGESTION")["default"],
        sysctl_text("net.ipv4.tcp_congestion_control")
    );
    assert_eq!(
        int(&option(&report, "udp4", "IP_TTL")["default"]),
        sysctl("net.ipv4.ip_default_ttl")[0]
    );
    if sockets.contains(&Value::from("tcp6")) {
        assert_eq!(
            option(&report, "tcp6", "IPV6_V6ONLY")["default"],
            sysctl("net.ipv6.bindv6only")[0] != 0
        );
    }

    // The limits section carries the same numbers, as numbers.
    let limits = &report["limits"];
    assert_eq!(
        int(&limits["net.core.rmem_max"]),
        sysctl("net.core.rmem_max")[0]
    );
    assert_eq!(
        limits["net.ipv4.tcp_rmem"],
        Value::from(tcp_rmem.clone()),
        "vectors are arrays of numbers"
    );
    assert_eq!(
        int(&limits["net.core.somaxconn"]),
        sysctl("net.core.somaxconn")[0]
    );

    // Every row has the documented shape; Linux supports every option.
    for o in report["options"].as_array().unwrap() {
        for field in [
            "socket",
            "name",
            "level",
            "supported",
            "default",
            "requested",
            "effective",
            "note",
        ] {
            assert!(o.get(field).is_some(), "{field} missing in {o}");
        }
        assert_eq!(o["supported"], true, "{o}");
        assert!(o["requested"].is_null());
    }
    // Options only where they apply.
    assert!(
        report["options"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| !(o["socket"] == "tcp4" && o["name"] == "SO_BROADCAST"))
    );
    assert_eq!(option(&report, "tcp4", "TCP_NODELAY")["default"], false);
}

#[test]
fn buffers_come_back_doubled_below_the_cap_and_clamped_above_it() {
    let rmem_max = sysctl("net.core.rmem_max")[0];
    let wmem_max = sysctl("net.core.wmem_max")[0];
    // Well above the kernel's minimum, well below either cap.
    let small = (rmem_max.min(wmem_max) / 4).clamp(8192, 1 << 20);
    let report = probe(
        &[
            "--set",
            &format!("SO_RCVBUF={small}"),
            "--set",
            &format!("SO_SNDBUF={small}"),
        ],
        0,
    );
    for socket in ["tcp4", "udp4"] {
        for name in ["SO_RCVBUF", "SO_SNDBUF"] {
            let o = option(&report, socket, name);
            assert_eq!(int(&o["requested"]), small);
            assert_eq!(int(&o["effective"]), 2 * small, "{o}");
            assert!(o["note"].as_str().unwrap().starts_with("doubled"), "{o}");
        }
    }
    let tcp_note = option(&report, "tcp4", "SO_RCVBUF")["note"]
        .as_str()
        .unwrap();
    assert!(tcp_note.contains("autotuning is now off"), "{tcp_note}");

    // Past the cap: clamped to the sysctl, then doubled.
    let big_r = (rmem_max + 65536).min(i64::from(i32::MAX));
    let big_w = (wmem_max + 65536).min(i64::from(i32::MAX));
    let report = probe(
        &[
            "--socket",
            "tcp4",
            "--set",
            &format!("SO_RCVBUF={big_r}"),
            "--set",
            &format!("SO_SNDBUF={big_w}"),
        ],
        0,
    );
    if rmem_max < i64::from(i32::MAX / 2) {
        let o = option(&report, "tcp4", "SO_RCVBUF");
        assert_eq!(int(&o["effective"]), 2 * rmem_max, "{o}");
        assert!(
            o["note"]
                .as_str()
                .unwrap()
                .starts_with("capped at net.core.rmem_max"),
            "{o}"
        );
    }
    if wmem_max < i64::from(i32::MAX / 2) {
        let o = option(&report, "tcp4", "SO_SNDBUF");
        assert_eq!(int(&o["effective"]), 2 * wmem_max, "{o}");
    }
}

#[test]
fn a_value_the_kernel_rejects_is_reported_with_its_errno() {
    let report = probe(
        &[
            "--socket",
            "tcp4",
            "--set",
            "TCP_MAXSEG=10",
            "--set",
            "TCP_NODELAY=on",
        ],
        1,
    );
    let mss = option(&report, "tcp4", "TCP_MAXSEG");
    assert_eq!(mss["error"]["name"], "EINVAL", "{mss}");
    assert!(mss["error"]["errno"].is_number());
    assert!(
        mss["note"]
            .as_str()
            .unwrap()
            .starts_with("rejected: EINVAL"),
        "{mss}"
    );
    let nodelay = option(&report, "tcp4", "TCP_NODELAY");
    assert_eq!(
        (&nodelay["default"], &nodelay["effective"]),
        (&Value::from(false), &Value::from(true))
    );

    let out = run(
        &[
            "sockopt",
            "probe",
            "--socket",
            "tcp4",
            "--set",
            "TCP_MAXSEG=10",
        ],
        b"",
    );
    assert_exit(&out, 1);
    assert!(text(&out.stdout).contains("rejected: EINVAL"));
    assert!(
        text(&out.stderr).contains("TCP_MAXSEG on tcp4"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_settings_name_the_argument_and_exit_2() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["--set", "TCP_NODLAY=1"],
            "--set TCP_NODLAY=1: unknown socket option TCP_NODLAY (did you mean TCP_NODELAY?)",
        ),
        (
            &["--set", "SO_RCVBUF=lots"],
            "--set SO_RCVBUF=lots: SO_RCVBUF takes a size in bytes",
        ),
        (
            &["--set", "SO_RCVBUF"],
            "--set SO_RCVBUF: expected NAME=VALUE",
        ),
        (
            &["--socket", "tcp4", "--set", "SO_BROADCAST=1"],
            "--set SO_BROADCAST=1: SO_BROADCAST applies to UDP sockets, and none is probed here (tcp4)",
        ),
        (
            &["--set", "TCP_NODELAY=1", "--set", "tcp_nodelay=0"],
            "is set more than once",
        ),
        (
            &["--set", "SO_RCVBUF=1m", "--set", "SO_RCVBUFFORCE=2m"],
            "set the same buffer",
        ),
        (
            &["--target", "localhost:http"],
            "--target: invalid address \"localhost:http\": expected HOST:PORT",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["sockopt", "probe"];
        all.extend_from_slice(args);
        let out = run(&all, b"");
        assert_exit(&out, 2);
        let err = text(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed a report");
    }
    for args in [
        &["sockopt", "probe", "--duration", "1"][..],
        &[
            "sockopt",
            "probe",
            "--experiment",
            "nagle",
            "--duration",
            "0",
        ],
        &[
            "sockopt",
            "probe",
            "--experiment",
            "nagle",
            "--iterations",
            "0",
        ],
        &["sockopt", "probe", "--experiment", "nope"],
        &[
            "sockopt",
            "probe",
            "--experiment",
            "linger",
            "--set",
            "TCP_NODELAY=1",
        ],
    ] {
        assert_exit(&run(args, b""), 2);
    }
}

#[test]
fn a_live_redis_target_shows_an_established_connection() {
    let redis = RedisServer::start(&[]);
    let addr = redis.addr();
    let report = probe(&["--target", &addr, "--ping", "--set", "TCP_NODELAY=1"], 0);
    let target = &report["target"];
    assert_eq!(target["peer"], addr.as_str());
    assert_eq!(target["socket"], "tcp4");
    assert!(target["connect_ms"].is_number(), "{target}");
    assert_eq!(target["ping"]["reply"], "+PONG\r\n");
    assert!(target["ping"]["round_trip_ms"].is_number());
    let info = &target["tcp_info"];
    assert_eq!(info["state"], "ESTABLISHED", "{info}");
    for field in [
        "rtt_us",
        "snd_cwnd",
        "snd_mss",
        "pmtu",
        "segs_out",
        "bytes_received",
    ] {
        assert!(info[field].is_number(), "{field} in {info}");
    }
    assert!(
        int(&info["bytes_received"]) >= 7,
        "the PONG was received: {info}"
    );
    assert_eq!(report["sockets"], serde_json::json!(["tcp4"]));
    let mss = option(&report, "tcp4", "TCP_MAXSEG");
    assert!(int(&mss["effective"]) > 0);
    assert_eq!(option(&report, "tcp4", "TCP_NODELAY")["effective"], true);

    let out = run(&["sockopt", "probe", "--target", &addr], b"");
    assert_exit(&out, 0);
    let table = text(&out.stdout);
    assert!(
        table.contains("ESTABLISHED") && table.contains("TCP_INFO"),
        "{table}"
    );
}

#[test]
fn a_target_that_refuses_is_a_runtime_error() {
    let port = free_port();
    let out = run(
        &["sockopt", "probe", "--target", &format!("127.0.0.1:{port}")],
        b"",
    );
    assert_exit(&out, 2);
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "sonde: --target: cannot connect to 127.0.0.1:{port}: "
        )),
        "{err}"
    );
}

/// Run experiments in JSON with a time budget.
fn experiments(seconds: &str, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--duration", seconds];
    all.extend_from_slice(args);
    let report = probe(&all, 0);
    let list = report["experiments"]
        .as_array()
        .expect("experiments")
        .clone();
    for e in &list {
        assert!(!e["conclusion"].as_str().unwrap_or("").is_empty(), "{e}");
    }
    list
}

#[test]
fn linger_zero_makes_the_peer_see_a_reset() {
    let e = &experiments("0.6", &["--experiment", "linger"])[0];
    assert_eq!(e["experiment"], "linger");
    let runs = e["runs"].as_array().unwrap();
    assert_eq!(runs[0]["so_linger"], Value::Null);
    assert_eq!(runs[0]["peer_saw"], "eof", "{e}");
    assert_eq!(runs[0]["peer_state"], "CLOSE_WAIT", "{e}");
    assert_eq!(
        runs[1]["so_linger"],
        serde_json::json!({"on": true, "seconds": 0})
    );
    assert_eq!(runs[1]["peer_saw"], "reset", "{e}");
    assert_eq!(runs[1]["peer_error"]["name"], "ECONNRESET", "{e}");
}

#[test]
fn nagle_reports_both_runs() {
    // Each run gets half the budget; the stalled one needs ~45 ms a trip.
    let e = &experiments("2", &["--experiment", "nagle", "--iterations", "5"])[0];
    assert_eq!(e["experiment"], "nagle");
    let runs = e["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["nodelay"], false);
    assert_eq!(runs[1]["nodelay"], true);
    for r in runs {
        assert!(int(&r["round_trips"]) >= 1, "{r}");
        assert!(int(&r["round_trips"]) <= 5, "{r}");
        for field in ["p50_ms", "p99_ms", "min_ms", "max_ms", "mean_ms"] {
            assert!(r[field].is_f64(), "{field} in {r}");
        }
    }
}

#[test]
fn cork_quickack_backlog_and_reuseport_report_what_the_kernel_did() {
    let list = experiments(
        "0.6",
        &[
            "--experiment",
            "cork",
            "--experiment",
            "quickack",
            "--experiment",
            "backlog",
            "--experiment",
            "reuseport",
            "--iterations",
            "24",
            "--backlog",
            "2",
            "--listeners",
            "3",
        ],
    );
    let names: Vec<&str> = list
        .iter()
        .map(|e| e["experiment"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cork", "quickack", "backlog", "reuseport"]);

    let cork = &list[0];
    let runs = cork["runs"].as_array().unwrap();
    let modes: Vec<&str> = runs.iter().map(|r| r["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["nodelay", "nagle", "cork"]);
    let corked = &runs[2];
    assert_eq!(int(&corked["bytes"]), 24 * 16);
    assert!(
        int(&corked["segments"]) < 24,
        "corked writes were coalesced: {cork}"
    );

    let quickack = &list[1];
    let readings = quickack["readings"].as_array().unwrap();
    assert_eq!(readings[1]["quickack"], true, "{quickack}");
    assert!(
        quickack["reverted_after_exchange"].is_number(),
        "{quickack}"
    );

    let backlog = &list[2];
    let failed: i64 = backlog["failed"]
        .as_object()
        .unwrap()
        .values()
        .map(int)
        .sum();
    assert_eq!(
        int(&backlog["connected"]) + int(&backlog["timed_out"]) + failed,
        24,
        "{backlog}"
    );
    assert!(
        int(&backlog["accepted"]) <= int(&backlog["connected"]),
        "{backlog}"
    );
    let counters: Vec<&str> = backlog["counters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        counters.contains(&"ListenOverflows") && counters.contains(&"ListenDrops"),
        "{backlog}"
    );

    let reuseport = &list[3];
    let accepted: Vec<i64> = reuseport["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(int)
        .collect();
    assert_eq!(accepted.len(), 3);
    assert_eq!(
        accepted.iter().sum::<i64>(),
        int(&reuseport["connections"]),
        "{reuseport}"
    );
}

#[test]
fn buffers_experiment_reads_back_doubled_and_capped_sizes() {
    let rmem_max = sysctl("net.core.rmem_max")[0];
    let e = &experiments("0.6", &["--experiment", "buffers"])[0];
    for s in e["sizes"].as_array().unwrap() {
        let (req, got) = (int(&s["requested"]), int(&s["rcvbuf"]));
        if req >= 8192 && req <= rmem_max {
            assert_eq!(got, 2 * req, "{s}");
        } else if req > rmem_max {
            assert_eq!(got, 2 * rmem_max, "{s}");
        }
    }
    let transfers = e["transfers"].as_array().unwrap();
    assert_eq!(transfers.len(), 4);
    assert!(transfers[0]["requested"].is_null());
    for t in transfers {
        assert!(int(&t["bytes"]) > 0, "{t}");
        assert!(t["mib_per_s"].is_number());
    }
}

#[test]
fn the_table_view_shows_defaults_limits_and_conclusions() {
    let out = run(&["sockopt", "probe", "--set", "SO_RCVBUF=64k"], b"");
    assert_exit(&out, 0);
    let t = text(&out.stdout);
    for part in [
        "Defaults on fresh sockets",
        "Requested settings",
        "Kernel limits",
        "net.core.rmem_max",
        "TCP_NODELAY",
    ] {
        assert!(t.contains(part), "{part} missing:\n{t}");
    }
    let out = run(
        &[
            "sockopt",
            "probe",
            "--experiment",
            "linger",
            "--duration",
            "0.5",
        ],
        b"",
    );
    assert_exit(&out, 0);
    let t = text(&out.stdout);
    assert!(
        t.contains("linger: what close() sends") && t.contains("ECONNRESET"),
        "{t}"
    );
}
