//! `rdb export`, `rdb restore`, `rdb diff` and the shared key filters,
//! against real peers: every dump of the corpus that redis-server 7.0 loads
//! is restored by sonde into another redis-server and both must agree on
//! DEBUG DIGEST; the memory CSV is compared column by column with
//! redis-rdb-tools' own report; diff is checked against a scripted set of
//! changes made on a live server.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use redis::Connection;

use crate::common::redis_server::require_tool;
use crate::common::{RedisServer, assert_exit, json, repo_root, run, text};

fn q<T: redis::FromRedisValue>(con: &mut Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Corpus dumps redis-server 7.0 loads (redis-check-rdb 7.0 said OK and no
/// module is needed), from the manifest.
fn loadable_dumps() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/data/rdb");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("manifest");
    let mut header: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (i, line) in manifest.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if i == 0 {
            header = cols;
            continue;
        }
        let col = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .and_then(|p| cols.get(p).copied())
                .unwrap_or("")
        };
        let verdict = col("redis-check-rdb_7.0.15");
        let types = format!("{} {}", col("on_disk_types(scan)"), col("other(scan)"));
        if verdict == "OK" && !types.contains("module") {
            out.push(dir.join(col("local_file")));
        }
    }
    assert!(
        out.len() >= 40,
        "the manifest lists {} loadable dumps",
        out.len()
    );
    out
}

/// A redis-server that loaded `dump` itself.
fn server_with(dump: &Path) -> RedisServer {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(dump, dir.path().join("dump.rdb")).expect("copy dump");
    let server = RedisServer::start(&[
        "--enable-debug-command",
        "yes",
        "--dir",
        dir.path().to_str().unwrap(),
        "--dbfilename",
        "dump.rdb",
    ]);
    // The server keeps its own temp dir alive; this one only held the file
    // until it was loaded.
    drop(dir);
    server
}

fn digest(con: &mut Connection) -> String {
    q(con, &["DEBUG", "DIGEST"])
}

#[test]
fn restore_matches_what_redis_loads_for_every_encoding() {
    let target = RedisServer::start(&["--enable-debug-command", "yes"]);
    let mut tcon = target.client();
    let port = target.port.to_string();
    let mut checked = 0;
    for dump in loadable_dumps() {
        let expected = {
            let loaded = server_with(&dump);
            let mut con = loaded.client();
            digest(&mut con)
        };
        for mode in [&[][..], &["--commands"][..]] {
            let _: () = q(&mut tcon, &["FLUSHALL"]);
            let _: () = q(&mut tcon, &["FUNCTION", "FLUSH"]);
            let mut args = vec!["rdb", "restore", dump.to_str().unwrap(), "-p", &port];
            args.extend_from_slice(mode);
            let out = run(&args, b"");
            assert_exit(&out, 0);
            assert_eq!(
                digest(&mut tcon),
                expected,
                "{} restored with {mode:?}: DEBUG DIGEST differs\n{}",
                dump.display(),
                text(&out.stdout)
            );
        }
        checked += 1;
    }
    assert!(checked >= 40);
}

#[test]
fn export_pipes_into_redis_cli() {
    let redis_cli = require_tool("redis-cli");
    let dump = repo_root().join("tests/data/rdb/redis-replicator/dumpV7.rdb");
    let expected = {
        let loaded = server_with(&dump);
        digest(&mut loaded.client())
    };
    let target = RedisServer::start(&["--enable-debug-command", "yes"]);
    let tmp = tempfile::tempdir().unwrap();
    for mode in [&["--to", "resp"][..], &["--to", "aof"][..]] {
        let _: () = q(&mut target.client(), &["FLUSHALL"]);
        let file = tmp.path().join("out");
        let mut args = vec!["rdb", "export", dump.to_str().unwrap(), "-o"];
        args.push(file.to_str().unwrap());
        args.extend_from_slice(mode);
        assert_exit(&run(&args, b""), 0);
        let piped = Command::new(&redis_cli)
            .args(["-p", &target.port.to_string(), "--pipe"])
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap();
        assert!(
            piped.status.success() && text(&piped.stdout).contains("errors: 0"),
            "{}",
            text(&piped.stdout)
        );
        assert_eq!(digest(&mut target.client()), expected, "{mode:?}");
    }
}

#[test]
fn restore_refuses_existing_keys_without_replace() {
    let dump = repo_root().join("tests/data/rdb/redis-rdb-tools/non_ascii_values.rdb");
    let target = RedisServer::start(&[]);
    let port = target.port.to_string();
    let args = ["rdb", "restore", dump.to_str().unwrap(), "-p", &port];
    assert_exit(&run(&args, b""), 0);
    let again = run(
        &["--format", "json", "rdb", "restore", args[2], "-p", &port],
        b"",
    );
    // Without --replace every key is now refused, by name.
    assert_exit(&again, 1);
    let report = json(&again.stdout);
    assert_eq!(report["refused"], report["keys"], "{report}");
    assert!(
        report["errors"][0]["error"]
            .as_str()
            .unwrap()
            .contains("BUSYKEY")
    );
    let replaced = run(&["rdb", "restore", args[2], "-p", &port, "--replace"], b"");
    assert_exit(&replaced, 0);
}

#[test]
fn restore_takes_redis_cli_connection_options() {
    let dump = repo_root().join("tests/data/rdb/redis-rdb-tools/non_ascii_values.rdb");
    let socket_dir = tempfile::tempdir().unwrap();
    let socket = socket_dir.path().join("redis.sock");
    let socket = socket.to_str().unwrap();
    let target = RedisServer::start(&["--unixsocket", socket, "--requirepass", "s3cret"]);
    let file = dump.to_str().unwrap();
    // A password the server refuses: the error names what to pass.
    let refused = run(&["rdb", "restore", file, "-s", socket, "-a", "wrong"], b"");
    assert_exit(&refused, 2);
    assert!(
        text(&refused.stderr).contains("WRONGPASS"),
        "{}",
        text(&refused.stderr)
    );
    // Over the unix socket, into database 3 (-n), as redis-cli would.
    let restored = run(
        &[
            "--format", "json", "rdb", "restore", file, "-s", socket, "-a", "s3cret", "-n", "3",
        ],
        b"",
    );
    assert_exit(&restored, 0);
    let report = json(&restored.stdout);
    assert!(report["restored"].as_u64().unwrap() > 0, "{report}");
    let mut con = redis::Client::open(format!("redis://:s3cret@127.0.0.1:{}/3", target.port))
        .and_then(|c| c.get_connection())
        .unwrap();
    let keys: i64 = q(&mut con, &["DBSIZE"]);
    assert_eq!(keys as u64, report["restored"].as_u64().unwrap());
}

/// The rdbtools virtualenv, made by the project's script.
fn rdbtools() -> Option<PathBuf> {
    let script = repo_root().join("scripts/rdbtools-venv.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .expect("run script");
    if !out.status.success() {
        let msg = format!(
            "scripts/rdbtools-venv.sh failed; the rdbtools comparison did not run:\n{}",
            text(&out.stderr)
        );
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
        return None;
    }
    Some(PathBuf::from(text(&out.stdout).trim().to_owned()))
}

#[test]
fn csv_matches_rdbtools_memory_report() {
    let Some(rdb) = rdbtools() else { return };
    let dir = repo_root().join("tests/data/rdb/redis-rdb-tools");
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rdb") {
            continue;
        }
        let theirs = Command::new(&rdb)
            .args(["-c", "memory"])
            .arg(&path)
            .output()
            .unwrap();
        if !theirs.status.success() {
            // rdbtools cannot read it (its parser stops at RDB 9 and some
            // module data); nothing to compare against.
            eprintln!("rdbtools cannot read {}", path.display());
            continue;
        }
        let ours = run(
            &["rdb", "export", "--to", "csv", path.to_str().unwrap()],
            b"",
        );
        assert_exit(&ours, 0);
        let theirs_text = text(&theirs.stdout);
        let ours_text = text(&ours.stdout);
        let theirs_rows: Vec<&str> = theirs_text.lines().collect();
        let ours_rows: Vec<&str> = ours_text.lines().collect();
        assert_eq!(
            theirs_rows.len(),
            ours_rows.len(),
            "{}: row counts\nrdbtools:\n{theirs_text}\nsonde:\n{ours_text}",
            path.display()
        );
        for (t, o) in theirs_rows.iter().zip(&ours_rows) {
            let t: Vec<&str> = t.split(',').collect();
            let o: Vec<&str> = o.split(',').collect();
            // Same columns first, then sonde's slot column.
            assert_eq!(o.len(), t.len() + 1, "{}: {t:?} / {o:?}", path.display());
            for (i, name) in [
                "database",
                "type",
                "key",
                "size_in_bytes",
                "encoding",
                "num_elements",
                "len_largest_element",
                "expiry",
            ]
            .iter()
            .enumerate()
            {
                // Size estimates are each tool's own model.
                if *name == "size_in_bytes" && t[i] != "size_in_bytes" {
                    continue;
                }
                // rdbtools counts stream and module elements its own way.
                if matches!(t[1], "stream" | "module")
                    && matches!(*name, "num_elements" | "len_largest_element" | "encoding")
                {
                    continue;
                }
                assert_eq!(t[i], o[i], "{}: column {name}", path.display());
            }
        }
        compared += 1;
    }
    assert!(compared >= 20, "compared {compared} dumps");
}

#[test]
fn diff_reports_scripted_changes() {
    let server = RedisServer::start(&[]);
    let mut con = server.client();
    for i in 0..200 {
        let _: () = q(&mut con, &["SET", &format!("s:{i}"), &format!("v{i}")]);
    }
    let _: () = q(&mut con, &["RPUSH", "list", "a", "b", "c"]);
    let _: () = q(&mut con, &["SADD", "set", "1", "2", "3"]);
    let _: () = q(&mut con, &["HSET", "hash", "f", "v", "g", "w"]);
    let _: () = q(&mut con, &["ZADD", "zset", "1", "a", "2", "b"]);
    let _: () = q(&mut con, &["SET", "ttl", "x", "PX", "100000000"]);
    let _: () = q(&mut con, &["SET", "retype", "x"]);
    let _: () = q(&mut con, &["SELECT", "2"]);
    let _: () = q(&mut con, &["SET", "s:1", "other db"]);
    let _: () = q(&mut con, &["SELECT", "0"]);
    let _: () = q(&mut con, &["SAVE"]);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.rdb");
    std::fs::copy(server.dir().join("dump.rdb"), &a).unwrap();

    // The script: removed, added, changed value, type, expiry; a set whose
    // members are re-added in another order (not a change); db 2 untouched.
    let _: () = q(&mut con, &["DEL", "s:5", "s:6"]);
    let _: () = q(&mut con, &["SET", "new:1", "n"]);
    let _: () = q(&mut con, &["SET", "s:7", "changed"]);
    let _: () = q(&mut con, &["RPUSH", "list", "d"]);
    let _: () = q(&mut con, &["HSET", "hash", "f", "v2"]);
    let _: () = q(&mut con, &["DEL", "retype"]);
    let _: () = q(&mut con, &["RPUSH", "retype", "x"]);
    let _: () = q(&mut con, &["PERSIST", "ttl"]);
    let _: () = q(&mut con, &["DEL", "set"]);
    let _: () = q(&mut con, &["SADD", "set", "3", "1", "2"]);
    let _: () = q(&mut con, &["SAVE"]);
    let b = tmp.path().join("b.rdb");
    std::fs::copy(server.dir().join("dump.rdb"), &b).unwrap();

    let out = run(
        &[
            "--format",
            "json",
            "rdb",
            "diff",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        b"",
    );
    assert_exit(&out, 1);
    let got: BTreeSet<(String, String, String)> = text(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let what = v["what"]
                .as_array()
                .map(|w| {
                    w.iter()
                        .map(|x| x.as_str().unwrap())
                        .collect::<Vec<_>>()
                        .join("+")
                })
                .unwrap_or_default();
            (
                v["change"].as_str().unwrap().to_owned(),
                v["key"].as_str().unwrap().to_owned(),
                what,
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        ("removed", "s:5", ""),
        ("removed", "s:6", ""),
        ("added", "new:1", ""),
        ("changed", "s:7", "value"),
        ("changed", "list", "value"),
        ("changed", "hash", "value"),
        ("changed", "retype", "type"),
        ("changed", "ttl", "expiry"),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    .collect();
    assert_eq!(got, want, "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("1 added, 2 removed, 5 changed, 200 unchanged"));

    // Identical files: exit 0, nothing printed. --keys-only and filters.
    let same = run(
        &["rdb", "diff", a.to_str().unwrap(), a.to_str().unwrap()],
        b"",
    );
    assert_exit(&same, 0);
    assert!(same.stdout.is_empty());
    let only = run(
        &[
            "--format",
            "json",
            "rdb",
            "diff",
            "--keys-only",
            "--match",
            "s:*",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        b"",
    );
    assert_exit(&only, 1);
    let lines: Vec<serde_json::Value> = text(&only.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", text(&only.stdout));
    assert!(lines.iter().all(|l| l.get("what").is_none()));
}

/// The same keys and values in another order (a second server's dict
/// order): nothing differs. Most keys are then found by hash, not as the
/// next key of B.
#[test]
fn diff_of_the_same_keys_in_another_order_is_empty() {
    let redis_cli = require_tool("redis-cli");
    let first = RedisServer::start(&[]);
    let mut con = first.client();
    for i in 0..3000 {
        let _: () = q(&mut con, &["SET", &format!("k:{i}"), &format!("v{i}")]);
    }
    let _: () = q(&mut con, &["HSET", "h", "f", "v"]);
    let _: () = q(&mut con, &["SET", "t", "x", "PX", "100000000"]);
    let _: () = q(&mut con, &["SAVE"]);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.rdb");
    std::fs::copy(first.dir().join("dump.rdb"), &a).unwrap();
    let resp = tmp.path().join("a.resp");
    assert_exit(
        &run(
            &[
                "rdb",
                "export",
                a.to_str().unwrap(),
                "-o",
                resp.to_str().unwrap(),
            ],
            b"",
        ),
        0,
    );
    let second = RedisServer::start(&[]);
    let piped = Command::new(&redis_cli)
        .args(["-p", &second.port.to_string(), "--pipe"])
        .stdin(std::fs::File::open(&resp).unwrap())
        .output()
        .unwrap();
    assert!(
        text(&piped.stdout).contains("errors: 0"),
        "{}",
        text(&piped.stdout)
    );
    let _: () = q(&mut second.client(), &["SAVE"]);
    let b = tmp.path().join("b.rdb");
    std::fs::copy(second.dir().join("dump.rdb"), &b).unwrap();
    assert_ne!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "the second dump should differ in its bytes (key order, aux fields)"
    );
    let out = run(
        &["rdb", "diff", a.to_str().unwrap(), b.to_str().unwrap()],
        b"",
    );
    assert_exit(&out, 0);
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("0 added, 0 removed, 0 changed, 3002 unchanged"),
        "{}",
        text(&out.stderr)
    );
    // One change among them is still found.
    let _: () = q(&mut second.client(), &["SET", "k:1234", "other"]);
    let _: () = q(&mut second.client(), &["SAVE"]);
    std::fs::copy(second.dir().join("dump.rdb"), &b).unwrap();
    let out = run(
        &[
            "--format",
            "json",
            "rdb",
            "diff",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        b"",
    );
    assert_exit(&out, 1);
    assert_eq!(
        text(&out.stdout).trim(),
        r#"{"change":"changed","db":0,"key":"k:1234","what":["value"],"type_a":"string","type_b":"string"}"#
    );
}

/// With one core (under taskset) inspect parses and tallies on one thread
/// instead of two: the same reports and errors, for whole and damaged files.
#[test]
fn inspect_on_one_core_reports_the_same() {
    let taskset = require_tool("taskset");
    let root = repo_root();
    let tmp = tempfile::tempdir().unwrap();
    let example = root.join("tests/data/rdb/rdb/example.rdb");
    let cut = tmp.path().join("cut.rdb");
    std::fs::write(&cut, &std::fs::read(&example).unwrap()[..200]).unwrap();
    let files = [
        root.join("tests/data/rdb/redis-replicator/dumpV7.rdb"),
        example,
        cut,
    ];
    for file in &files {
        for keys in [false, true] {
            let mut args = vec![
                "--format",
                "json",
                "rdb",
                "inspect",
                "--now",
                "1700000000000",
            ];
            if keys {
                args.push("--keys");
            }
            args.push(file.to_str().unwrap());
            let free = run(&args, b"");
            let pinned = Command::new(&taskset)
                .args(["-c", "0", env!("CARGO_BIN_EXE_sonde")])
                .args(&args)
                .output()
                .unwrap();
            assert_eq!(free.status.code(), pinned.status.code(), "{args:?}");
            assert_eq!(text(&free.stdout), text(&pinned.stdout), "{args:?}");
            assert_eq!(text(&free.stderr), text(&pinned.stderr), "{args:?}");
            assert!(!free.stdout.is_empty(), "{args:?}");
        }
    }
}

fn keys_of(args: &[&str]) -> Vec<String> {
    let mut full = vec!["--format", "json", "rdb", "inspect", "--keys"];
    full.extend_from_slice(args);
    let out = run(&full, b"");
    assert_exit(&out, 0);
    let mut keys: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["key"].as_str().unwrap().to_owned()
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn filters_shared_by_inspect_and_export() {
    let dump = repo_root().join("tests/data/rdb/redis-rdb-tools/parser_filters.rdb");
    let d = dump.to_str().unwrap();
    let all = keys_of(&[d]);
    assert_eq!(all.len(), 43);
    let matched = keys_of(&[d, "--match", "k*", "--match", "l*"]);
    assert!(!matched.is_empty());
    assert!(
        matched
            .iter()
            .all(|k| k.starts_with('k') || k.starts_with('l'))
    );
    let excluded = keys_of(&[d, "--exclude", "k*"]);
    assert!(excluded.iter().all(|k| !k.starts_with('k')));
    assert_eq!(
        excluded.len() + keys_of(&[d, "--match", "k*"]).len(),
        all.len()
    );
    let regex = keys_of(&[d, "--regex", "^k[0-9]+$"]);
    assert!(regex.iter().all(|k| k.starts_with('k')));
    // Repeatable --type and --db.
    let both = keys_of(&[d, "--type", "list", "--type", "set"]).len();
    let lists = keys_of(&[d, "--type", "list"]).len();
    let sets = keys_of(&[d, "--type", "set"]).len();
    assert_eq!(both, lists + sets);
    assert_eq!(keys_of(&[d, "--db", "0", "--db", "7"]).len(), all.len());
    // --min-size with units: 1k is 1000 bytes, as redis.conf reads it.
    let big = keys_of(&[d, "--min-size", "1k"]);
    assert_eq!(big, keys_of(&[d, "--min-size", "1000"]));
    assert!(big.len() < all.len());
    // Slots: one key's slot selects it (and any key sharing the slot).
    let first = run(&["--format", "json", "rdb", "inspect", "--keys", d], b"");
    let rec: serde_json::Value =
        serde_json::from_str(text(&first.stdout).lines().next().unwrap()).unwrap();
    let slot = rec["slot"].as_u64().unwrap().to_string();
    let in_slot = keys_of(&[d, "--slot", &slot]);
    assert!(in_slot.contains(&rec["key"].as_str().unwrap().to_owned()));
    let range = format!("{slot}-{slot}");
    assert_eq!(keys_of(&[d, "--slots", &range]), in_slot);
    // The same filters on export.
    let csv = run(
        &[
            "rdb", "export", "--to", "csv", d, "--match", "k*", "--match", "l*",
        ],
        b"",
    );
    assert_exit(&csv, 0);
    assert_eq!(text(&csv.stdout).lines().count(), matched.len() + 1);
    // Expired keys: keys_with_expiry's only key expired in 2022.
    let e = repo_root().join("tests/data/rdb/redis-rdb-tools/keys_with_expiry.rdb");
    let e = e.to_str().unwrap();
    assert_eq!(
        keys_of(&[e, "--expired", "--now", "1700000000000"]).len(),
        1
    );
    assert_eq!(
        keys_of(&[e, "--not-expired", "--now", "1700000000000"]).len(),
        0
    );
    assert_eq!(
        keys_of(&[e, "--not-expired", "--now", "1600000000000"]).len(),
        1
    );
    // Bad values are usage errors naming the argument.
    let bad = run(&["rdb", "inspect", d, "--min-size", "1q"], b"");
    assert_exit(&bad, 2);
    assert!(
        text(&bad.stderr).contains("--min-size"),
        "{}",
        text(&bad.stderr)
    );
    let bad = run(&["rdb", "inspect", d, "--regex", "("], b"");
    assert_exit(&bad, 2);
    assert!(text(&bad.stderr).contains("--regex"));
}

#[test]
fn not_an_rdb_prints_only_the_error() {
    let out = run(
        &[
            "rdb",
            "inspect",
            repo_root().join("README.md").to_str().unwrap(),
        ],
        b"",
    );
    assert_exit(&out, 1);
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("bad magic"));
}

#[test]
fn json_export_is_binary_safe_and_complete() {
    let dump = repo_root().join("tests/data/rdb/redis-rdb-tools/non_ascii_values.rdb");
    let out = run(
        &["rdb", "export", "--to", "json", dump.to_str().unwrap()],
        b"",
    );
    assert_exit(&out, 0);
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    for r in &rows {
        assert!(r.get("value").is_some() && r.get("slot").is_some(), "{r}");
    }
}

#[test]
fn inspect_reports_distributions_expiry_bytes_slots_and_what_if() {
    let dump = repo_root().join("tests/data/rdb/redis-replicator/dumpV7.rdb");
    let d = dump.to_str().unwrap();
    let out = run(&["--format", "json", "rdb", "inspect", d, "--slots"], b"");
    assert_exit(&out, 0);
    let r = json(&out.stdout);
    let keys = r["keys"].as_u64().unwrap();
    // Distributions: every key of a type is in its histogram, percentiles
    // are ordered and bounded by the maximum.
    for row in r["distributions"].as_array().unwrap() {
        let t = row["type"].as_str().unwrap();
        let n = row["keys"].as_u64().unwrap();
        assert_eq!(n, r["types"][t]["keys"].as_u64().unwrap(), "{t}");
        for m in ["size", "len"] {
            let p: Vec<u64> = ["p50", "p90", "p99", "max"]
                .iter()
                .map(|k| row[m][k].as_u64().unwrap())
                .collect();
            assert!(p.windows(2).all(|w| w[0] <= w[1]), "{t} {m}: {p:?}");
            let in_hist: u64 = row[m]["histogram"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b[2].as_u64().unwrap())
                .sum();
            assert_eq!(in_hist, n, "{t} {m}");
        }
    }
    // Expiry buckets hold every key and every byte.
    let h = &r["expiry_histogram"];
    let buckets = [
        "expired",
        "within_1h",
        "within_1d",
        "within_7d",
        "later",
        "none",
    ];
    let sum =
        |o: &serde_json::Value| -> u64 { buckets.iter().map(|b| o[b].as_u64().unwrap()).sum() };
    assert_eq!(sum(h), keys);
    let bytes: u64 = r["types"]
        .as_object()
        .unwrap()
        .values()
        .map(|t| t["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(sum(&h["bytes"]), bytes);
    // Slot totals agree with the per-key slot column.
    let slots = r["slots"].as_array().unwrap();
    assert_eq!(
        slots
            .iter()
            .map(|s| s["keys"].as_u64().unwrap())
            .sum::<u64>(),
        keys
    );
    let per_key = run(&["--format", "json", "rdb", "inspect", "--keys", d], b"");
    let mut counted = std::collections::BTreeMap::<u64, u64>::new();
    for l in text(&per_key.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        *counted.entry(v["slot"].as_u64().unwrap()).or_default() += 1;
    }
    for s in slots {
        assert_eq!(
            counted[&s["slot"].as_u64().unwrap()],
            s["keys"].as_u64().unwrap()
        );
    }
    // A slot of a known key: CLUSTER KEYSLOT foo is 12182.
    let target = RedisServer::start(&[]);
    let mut con = target.client();
    let _: () = q(&mut con, &["SET", "foo", "1"]);
    let _: () = q(&mut con, &["SAVE"]);
    let foo = target.dir().join("dump.rdb");
    let out = run(
        &[
            "--format",
            "json",
            "rdb",
            "inspect",
            "--keys",
            foo.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(json(&out.stdout)["slot"], 12182);

    // What-if: the defaults spelled out change nothing; no listpack hashes
    // makes every hash bigger.
    let out = run(
        &[
            "--format",
            "json",
            "rdb",
            "inspect",
            d,
            "--what-if",
            "hash-max-listpack-entries=512",
        ],
        b"",
    );
    assert_exit(&out, 0);
    assert_eq!(json(&out.stdout)["what_if"]["delta"], 0);
    let out = run(
        &[
            "--format",
            "json",
            "rdb",
            "inspect",
            d,
            "--what-if",
            "hash-max-ziplist-entries=0",
        ],
        b"",
    );
    let w = json(&out.stdout)["what_if"].clone();
    let hash = w["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "hash")
        .expect("dumpV7 has hashes")
        .clone();
    assert!(hash["delta"].as_i64().unwrap() > 0, "{w}");
    assert_eq!(hash["keys_changed"], hash["keys"], "{w}");
    let bad = run(&["rdb", "inspect", d, "--what-if", "maxmemory=1"], b"");
    assert_exit(&bad, 2);
    assert!(text(&bad.stderr).contains("--what-if"));
}
