//! `sonde latency`, `sonde stat` and `sonde keys big` against real
//! redis-server processes (plain, TLS, ACL-restricted).

use std::process::{Output, Stdio};

use serde_json::Value;

use crate::common::{RedisServer, assert_exit, json, sonde, text};
use crate::connect::{Certs, TlsRedis};

fn run(args: &[&str]) -> Output {
    sonde()
        .args(args)
        .env_remove("REDISCLI_AUTH")
        .stdin(Stdio::null())
        .output()
        .expect("run sonde")
}

#[track_caller]
fn ok_json(args: &[&str]) -> Value {
    let out = run(args);
    assert_exit(&out, 0);
    json(&out.stdout)
}

fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[track_caller]
fn check_stats(v: &Value, samples: u64) {
    assert_eq!(v["samples"].as_u64(), Some(samples), "{v}");
    let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));
    assert!(f("min_ms") > 0.0, "{v}");
    assert!(
        f("min_ms") <= f("p50_ms") && f("p50_ms") <= f("p99_ms"),
        "{v}"
    );
    assert!(
        f("p99_ms") <= f("max_ms") && f("mean_ms") <= f("max_ms"),
        "{v}"
    );
    let buckets: u64 = v["histogram"]
        .as_array()
        .map(|b| b.iter().map(|b| b["count"].as_u64().unwrap()).sum())
        .unwrap_or(samples);
    assert_eq!(buckets, samples, "{v}");
}

#[test]
fn latency_counts_pings_plain_and_over_tls() {
    let server = RedisServer::start(&[]);
    let port = server.port.to_string();
    let mut conn = server.client();
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query(&mut conn)
        .unwrap();
    let v = ok_json(&[
        "latency",
        "-p",
        &port,
        "--count",
        "25",
        "--sample-interval",
        "0",
        "--format",
        "json",
    ]);
    check_stats(&v, 25);
    assert_eq!(v["tls"], Value::Null);
    // The server saw our PINGs.
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut conn)
        .unwrap();
    assert!(stats.contains("cmdstat_ping:calls=25,"), "{stats}");

    let certs = Certs::new();
    let tls = TlsRedis::start(&certs, false, &[]);
    let tls_port = tls.tls_port.to_string();
    let ca = certs.path("ca.crt");
    let v = ok_json(&[
        "latency",
        "--tls",
        "--cacert",
        &ca,
        "-p",
        &tls_port,
        "--count",
        "10",
        "--sample-interval",
        "0",
        "--format",
        "json",
    ]);
    check_stats(&v, 10);
    assert!(
        v["tls"]["version"].as_str().unwrap().starts_with("TLS"),
        "{v}"
    );
    let out = run(&["latency", "-p", &tls_port, "--count", "1"]);
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("--tls"), "{}", text(&out.stderr));
}

#[test]
fn latency_history_windows_and_the_table_histogram() {
    let server = RedisServer::start(&[]);
    let port = server.port.to_string();
    let out = run(&[
        "latency",
        "-p",
        &port,
        "--history",
        "0.2",
        "--duration",
        "0.7",
        "--format",
        "json",
    ]);
    assert_exit(&out, 0);
    let lines = json_lines(&out);
    let (summary, windows) = lines.split_last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert!(windows.len() >= 2, "{lines:?}");
    assert!(windows.iter().all(|w| w["type"] == "window"));
    let in_windows: u64 = windows.iter().map(|w| w["samples"].as_u64().unwrap()).sum();
    assert!(in_windows <= summary["samples"].as_u64().unwrap());
    let out = run(&["latency", "-p", &port, "--count", "20", "--dist"]);
    assert_exit(&out, 0);
    let table = text(&out.stdout);
    assert!(
        table.contains("Round trips") && table.contains("p99.9"),
        "{table}"
    );
    let v = ok_json(&["latency", "--intrinsic", "0.3", "--format", "json"]);
    assert!(
        v["runs"].as_u64().unwrap() > 0 && v["max_us"].as_f64().unwrap() > 0.0,
        "{v}"
    );
}

#[test]
fn stat_rows_follow_info() {
    let server = RedisServer::start(&[]);
    let mut conn = server.client();
    for i in 0..7 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut conn)
            .unwrap();
    }
    let _: () = redis::cmd("SELECT").arg(3).query(&mut conn).unwrap();
    let _: () = redis::cmd("SET")
        .arg("other")
        .arg(1)
        .query(&mut conn)
        .unwrap();
    let port = server.port.to_string();
    let out = run(&[
        "stat", "-p", &port, "--count", "3", "-i", "0.1", "--format", "json",
    ]);
    assert_exit(&out, 0);
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["keys"].as_u64(), Some(8), "{rows:?}");
    assert_eq!(rows[0]["requests_per_sec"], Value::Null);
    assert!(
        rows[2]["requests_per_sec"].as_f64().unwrap() > 0.0,
        "{rows:?}"
    );
    assert!(rows[1]["connected_clients"].as_u64().unwrap() >= 2);
    assert!(rows[1]["used_memory"].as_u64().unwrap() > 0);
    let out = run(&["stat", "-p", &port, "--count", "2", "-i", "0.1"]);
    assert_exit(&out, 0);
    let table = text(&out.stdout);
    assert!(table.starts_with("------- data"), "{table}");
    assert!(table.lines().nth(2).unwrap().starts_with("8 "), "{table}");
}

fn populate(server: &RedisServer) {
    let mut conn = server.client();
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("SET")
            .arg(format!("user:{i}:name"))
            .arg("x".repeat(10))
            .ignore();
    }
    for i in 0..500 {
        pipe.cmd("RPUSH").arg("queue:jobs").arg(i).ignore();
        pipe.cmd("HSET")
            .arg("cache:blob")
            .arg(format!("f{i}"))
            .arg("v".repeat(100))
            .ignore();
    }
    pipe.cmd("SET")
        .arg("big:string")
        .arg("y".repeat(5000))
        .ignore();
    pipe.cmd("SADD").arg("tags").arg(&["a", "b", "c"]).ignore();
    let _: () = pipe.query(&mut conn).unwrap();
}

#[test]
fn keys_big_finds_the_biggest_by_memory_length_type_and_prefix() {
    let server = RedisServer::start(&[]);
    populate(&server);
    let port = server.port.to_string();
    let v = ok_json(&[
        "keys", "big", "-p", &port, "--rate", "0", "--top", "3", "--format", "json",
    ]);
    assert_eq!(v["scanned"].as_u64(), Some(204), "{v}");
    assert_eq!(v["dbsize"].as_u64(), Some(204));
    assert_eq!(v["memory_usage"], true);
    assert_eq!(v["by_memory"][0]["key"], "cache:blob", "{v}");
    assert_eq!(v["by_memory"].as_array().unwrap().len(), 3);
    assert_eq!(v["by_length"]["list"][0]["key"], "queue:jobs");
    assert_eq!(v["by_length"]["list"][0]["length"].as_u64(), Some(500));
    assert_eq!(v["by_length"]["string"][0]["key"], "big:string");
    assert_eq!(v["by_length"]["string"][0]["length"].as_u64(), Some(5000));
    assert_eq!(v["types"]["string"]["keys"].as_u64(), Some(201));
    assert_eq!(v["types"]["set"]["elements"].as_u64(), Some(3));
    let user = v["prefixes"]["top"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["prefix"] == "user:" && p["depth"] == 1)
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(user["keys"].as_u64(), Some(200));
    // --match and --type narrow the scan.
    let v = ok_json(&[
        "keys", "big", "-p", &port, "--rate", "0", "--match", "user:*", "--type", "string",
        "--format", "json",
    ]);
    assert_eq!(v["scanned"].as_u64(), Some(200), "{v}");
    // The table names every section.
    let out = run(&["keys", "big", "-p", &port, "--rate", "0"]);
    assert_exit(&out, 0);
    let table = text(&out.stdout);
    for title in [
        "Biggest keys by memory",
        "Longest keys of each type",
        "By type",
        "Key prefixes",
    ] {
        assert!(table.contains(title), "{table}");
    }
}

#[test]
fn keys_big_is_paced_by_rate_and_works_without_memory_usage() {
    let server = RedisServer::start(&[]);
    populate(&server);
    let port = server.port.to_string();
    // 204 keys at 400 a second cannot take less than half a second.
    let v = ok_json(&[
        "keys", "big", "-p", &port, "--rate", "400", "--format", "json",
    ]);
    assert!(v["seconds"].as_f64().unwrap() >= 0.4, "{v}");
    let mut conn = server.client();
    let _: () = redis::cmd("ACL")
        .arg(&[
            "SETUSER", "viewer", "on", ">pw", "~*", "+@read", "+scan", "+type", "+dbsize",
            "-memory",
        ])
        .query(&mut conn)
        .unwrap();
    let out = run(&[
        "keys", "big", "-p", &port, "--user", "viewer", "-a", "pw", "--rate", "0", "--format",
        "json",
    ]);
    assert_exit(&out, 0);
    let v = json(&out.stdout);
    assert_eq!(v["memory_usage"], false, "{v}");
    assert_eq!(v["by_length"]["list"][0]["length"].as_u64(), Some(500));
    assert!(
        text(&out.stderr).contains("MEMORY USAGE refused"),
        "{}",
        text(&out.stderr)
    );
    // -n selects the database: db 1 is empty.
    let v = ok_json(&[
        "keys", "big", "-p", &port, "-n", "1", "--rate", "0", "--format", "json",
    ]);
    assert_eq!(v["scanned"].as_u64(), Some(0));
    assert_eq!(v["db"].as_u64(), Some(1));
}
