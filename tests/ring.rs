//! `sonde ring simulate`: strategy properties measured through the real
//! binary with fixed seeds, Redis Cluster key slots checked against a real
//! redis-server in cluster mode, key files with sizes, errors, the search
//! comparison and the SVG plot. No timing is asserted.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use base64::Engine;

use crate::common::keyspace::{dbsizes, populate_mixed};
use crate::common::{RedisServer, assert_exit, json, run, text};

/// Every strategy, in the order the report lists them by default.
const STRATEGIES: [&str; 7] = [
    "modn",
    "ring",
    "jump",
    "rendezvous",
    "maglev",
    "bounded",
    "slots",
];

/// Run `sonde [--format json] ring simulate --lookups 20000 <args>` on
/// `stdin`.
fn ring(json_format: bool, args: &[&str], stdin: &[u8]) -> Output {
    let mut all = if json_format {
        vec!["--format", "json"]
    } else {
        vec![]
    };
    all.extend_from_slice(&words("ring simulate --lookups 20000"));
    all.extend_from_slice(args);
    run(&all, stdin)
}

/// Arguments written as one string (none of them contains a space).
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The JSON report of a run that must succeed.
#[track_caller]
fn simulate(args: &[&str]) -> Value {
    let out = ring(true, args, b"");
    assert_exit(&out, 0);
    json(&out.stdout)
}

fn strategy<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["strategies"]
        .as_array()
        .expect("strategies")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no strategy {name} in {report}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// Keys that exercise Redis's hash tag rules, plus binary keys: every
/// bracket arrangement keyHashSlot distinguishes, then pseudo-random ones.
fn tricky_keys(count: usize) -> Vec<Vec<u8>> {
    let fixed: &[&[u8]] = &[
        b"",
        b"{",
        b"}",
        b"{}",
        b"}{",
        b"{{}}",
        b"{a}",
        b"{a}b",
        b"a{b}c",
        b"a{b}{c}",
        b"a{}{b}",
        b"a{{b}}",
        b"a{b",
        b"a}b{c",
        b"{user1000}.following",
        b"{user1000}.followers",
        b"foo{}{bar}",
        b"foo{{bar}}zap",
        b"foo{bar}{zap}",
        b"123456789",
        b"\xff{\x00}",
        b"{\xff\xfe}x",
        b"tab\tkey",
        b"line\nkey",
        b"key\r",
        b"\r\n",
        b" {  } ",
        b"{ }",
    ];
    let mut keys: Vec<Vec<u8>> = fixed.iter().map(|k| k.to_vec()).collect();
    let mut state: u64 = 0x5eed;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    let alphabet = b"ab{}{}:xyz\x00\xff\n-";
    while keys.len() < count {
        let len = (next() % 24) as usize;
        let key: Vec<u8> = match next() % 3 {
            // Bytes of any value.
            0 => (0..len).map(|_| next() as u8).collect(),
            // Mostly braces and a few letters: dense in tag edge cases.
            1 => (0..len)
                .map(|_| alphabet[next() as usize % alphabet.len()])
                .collect(),
            _ => format!("user:{}:{{shard{}}}:{}", next() % 1000, next() % 50, next()).into_bytes(),
        };
        keys.push(key);
    }
    keys
}

#[test]
fn slots_agree_with_cluster_keyslot_on_a_real_redis() {
    let server = RedisServer::start(&words(
        "--cluster-enabled yes --cluster-config-file nodes-sonde-test.conf",
    ));
    let keys = tricky_keys(4000);
    let mut pipe = redis::pipe();
    for key in &keys {
        pipe.cmd("CLUSTER").arg("KEYSLOT").arg(&key[..]);
    }
    let slots: Vec<i64> = pipe.query(&mut server.client()).expect("CLUSTER KEYSLOT");
    assert_eq!(slots.len(), keys.len());
    for (key, &slot) in keys.iter().zip(&slots) {
        assert_eq!(
            i64::from(sonde::ring::slots::key_slot(key)),
            slot,
            "slot of {:?}",
            String::from_utf8_lossy(key)
        );
    }

    // The same through the binary: with 16384 nodes each node owns exactly
    // one slot, so per-node counts are the slot histogram. A keys file holds
    // one key per line, so keys with LF, a trailing CR, or empty ones stay
    // out.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.txt");
    let mut content = Vec::new();
    let mut expected = vec![0u64; 16384];
    for (key, &slot) in keys.iter().zip(&slots) {
        if key.is_empty() || key.contains(&b'\n') || key.ends_with(b"\r") {
            continue;
        }
        content.extend_from_slice(key);
        content.push(b'\n');
        expected[slot as usize] += 1;
    }
    std::fs::write(&file, &content).unwrap();
    let report = simulate(
        &[
            words("--strategy slots --nodes 16384 --add 0"),
            vec!["--keys-from", file.to_str().unwrap()],
        ]
        .concat(),
    );
    let slots_result = strategy(&report, "slots");
    let per_node = slots_result["per_node"].as_array().unwrap();
    assert_eq!(per_node.len(), 16384);
    for (slot, node) in per_node.iter().enumerate() {
        assert_eq!(node["node"], format!("node-{slot}"));
        assert_eq!(u(&node["keys"]), expected[slot], "slot {slot}");
    }
}

#[test]
fn movement_is_near_optimal_and_monotone_for_consistent_schemes() {
    let report = simulate(&words("--keys 300000 --nodes 10 --add 1 --seed 11"));
    let optimum = 1.0 / 11.0;
    for name in STRATEGIES {
        let s = strategy(&report, name);
        assert!((f(&s["optimal_moved_fraction"]) - optimum).abs() < 1e-12);
        assert_eq!(u(&s["keys"]), 300_000);
        assert_eq!(u(&s["nodes"]), 10);
        assert_eq!(u(&s["after"]["nodes"]), 11);
        assert!(f(&s["lookup_ns"]) > 0.0, "{name}: no lookup cost");
    }
    // Jump and rendezvous move exactly the new node's share: only key
    // sampling noise remains. The ring's new node owns 160 random arcs, so
    // its share varies by about 1/sqrt(160) of the optimum.
    for (name, tolerance) in [("jump", 0.005), ("rendezvous", 0.005), ("ring", 0.025)] {
        let s = strategy(&report, name);
        let moved = f(&s["moved_fraction"]);
        assert!(
            (moved - optimum).abs() < tolerance,
            "{name}: moved {moved}, optimum {optimum}"
        );
        // Monotone: every moved key went to the new node.
        assert_eq!(u(&s["moved_between_survivors"]), 0, "{name}");
        let new_node = &s["after"]["per_node"][10];
        assert_eq!(new_node["node"], "node-10");
        assert_eq!(u(&new_node["keys"]), u(&s["moved_keys"]), "{name}");
    }
    // Redis Cluster's rebalance moves slots only to the new node.
    assert_eq!(u(&strategy(&report, "slots")["moved_between_survivors"]), 0);
    // mod-N moves about N/(N+1) of the keys.
    let modn = f(&strategy(&report, "modn")["moved_fraction"]);
    assert!((modn - 10.0 / 11.0).abs() < 0.01, "modn moved {modn}");
    for name in ["ring", "jump"] {
        assert_eq!(f(&strategy(&report, name)["modn_moved_fraction"]), modn);
    }
    // Maglev trades a little extra movement for its O(1) table.
    let maglev = f(&strategy(&report, "maglev")["moved_fraction"]);
    assert!(
        maglev >= optimum * 0.95 && maglev < optimum * 2.0,
        "maglev {maglev}"
    );
}

#[test]
fn removal_moves_only_the_removed_nodes_keys() {
    let report = simulate(&words(
        "--keys 200000 --nodes 8 --remove 2 --seed 3
         --strategy ring --strategy rendezvous --strategy jump --strategy slots",
    ));
    for name in ["ring", "rendezvous", "jump", "slots"] {
        let s = strategy(&report, name);
        assert!((f(&s["optimal_moved_fraction"]) - 0.25).abs() < 1e-12);
        assert_eq!(u(&s["moved_between_survivors"]), 0, "{name}");
        // The keys that moved are exactly those the removed nodes held.
        let removed: u64 = s["per_node"].as_array().unwrap()[6..]
            .iter()
            .map(|n| u(&n["keys"]))
            .sum();
        assert_eq!(u(&s["moved_keys"]), removed, "{name}");
    }
    assert_eq!(
        report["change"]["removed"],
        serde_json::json!(["node-6", "node-7"])
    );
}

#[test]
fn ring_load_spread_is_about_one_over_sqrt_vnodes() {
    // Three independent rings (hash salts) of 50 nodes × 100 points: the
    // standard deviation of per-node load is about 1/sqrt(100) = 10% of
    // the mean; averaging three samples of 50 nodes keeps the estimate
    // within a few percent of that.
    let mut spreads = Vec::new();
    for salt in ["1", "2", "3"] {
        let report = simulate(
            &[
                words("--keys 300000 --nodes 50 --vnodes 100 --add 0 --strategy ring --seed 1"),
                vec!["--hash-seed", salt],
            ]
            .concat(),
        );
        let s = strategy(&report, "ring");
        assert!(s["moved_fraction"].is_null() && s["after"].is_null());
        spreads.push(f(&s["load"]["stddev_pct"]));
    }
    let mean = spreads.iter().sum::<f64>() / 3.0;
    assert!(
        (7.5..12.5).contains(&mean),
        "ring stddev {spreads:?}, expected about 10%"
    );
    // Spreading evenly by construction: jump and rendezvous are only
    // subject to key sampling noise (about sqrt(N/K)).
    let report = simulate(&words(
        "--keys 300000 --nodes 50 --add 0
         --strategy jump --strategy rendezvous --strategy maglev --seed 1",
    ));
    for name in ["jump", "rendezvous", "maglev"] {
        let sd = f(&strategy(&report, name)["load"]["stddev_pct"]);
        assert!(sd < 3.0, "{name}: stddev {sd}%");
    }
}

#[test]
fn bounded_loads_never_exceed_the_capacity() {
    let report = simulate(&words(
        "--keys 100000 --nodes 20 --vnodes 10 --epsilon 0.05 --add 3
         --strategy bounded --strategy ring --seed 2",
    ));
    let bounded = strategy(&report, "bounded");
    let cap_before = (1.05f64 * 100_000.0 / 20.0).ceil() as u64;
    let cap_after = (1.05f64 * 100_000.0 / 23.0).ceil() as u64;
    assert_eq!(u(&bounded["capacity"]), cap_before);
    assert!(u(&bounded["load"]["max"]) <= cap_before);
    assert!(u(&bounded["after"]["load"]["max"]) <= cap_after);
    // With 10 points per node the plain ring is far over that bound, so
    // the bound did work.
    let ring = strategy(&report, "ring");
    assert!(u(&ring["load"]["max"]) > cap_before);
    assert!(ring["capacity"].is_null());
}

#[test]
fn key_sizes_are_counted_in_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sized.tsv");
    let mut content = String::new();
    let mut total = 0u64;
    for i in 0..5000u64 {
        let size = 10 + (i * 7919) % 5000;
        total += size;
        // A TAB inside the key: the size is after the last one.
        content.push_str(&format!("user:{i}\tprofile\t{size}\r\n"));
    }
    std::fs::write(&file, content).unwrap();
    let path = file.to_str().unwrap();
    let report = simulate(
        &[
            words(
                "--key-sizes --nodes 4 --add 1 --seed 5
         --strategy ring --strategy jump --strategy slots --strategy modn",
            ),
            vec!["--keys-from", path],
        ]
        .concat(),
    );
    assert_eq!(u(&report["key_bytes"]), total);
    assert_eq!(u(&report["keys"]), 5000);
    for name in ["ring", "jump", "slots", "modn"] {
        let s = strategy(&report, name);
        let per_node = s["per_node"].as_array().unwrap();
        let bytes: u64 = per_node.iter().map(|n| u(&n["bytes"])).sum();
        assert_eq!(bytes, total, "{name}");
        let b = &s["load_bytes"];
        assert!((f(&b["mean"]) - total as f64 / 4.0).abs() < 1e-6, "{name}");
        assert_eq!(
            u(&b["max"]),
            per_node.iter().map(|n| u(&n["bytes"])).max().unwrap()
        );
        let moved = u(&s["moved_bytes"]);
        assert!((f(&s["moved_bytes_fraction"]) - moved as f64 / total as f64).abs() < 1e-12);
        if name != "modn" {
            // Monotone on add: the bytes that moved are the new node's.
            let new_node = &s["after"]["per_node"][4];
            assert_eq!(u(&new_node["bytes"]), moved, "{name}");
        }
    }
    // Key sizes show in the table as well.
    let mut args = words("--key-sizes --strategy jump --seed 5 --keys-from");
    args.push(path);
    let out = ring(false, &args, b"");
    assert_exit(&out, 0);
    let table = text(&out.stdout);
    assert!(table.contains("bytes, 10 nodes"), "{table}");
    assert!(table.contains("of bytes"), "{table}");
}

/// Keys with their serialized sizes from a dump a real redis-server wrote
/// (every type in several encodings, sizes from a few bytes to 20 KB, three
/// databases): the keys are DBSIZE's, the byte totals are the sizes `rdb
/// inspect --keys` reports, and with one node per cluster slot each node
/// holds exactly the bytes of its slot's keys.
#[test]
fn rdb_dump_keys_weigh_their_serialized_size() {
    let server = RedisServer::start(&[]);
    populate_mixed(&server, &[0, 2, 5], 40);
    let _: () = redis::cmd("SAVE").query(&mut server.client()).unwrap();
    let dump = server.dir().join("dump.rdb");
    let path = dump.to_str().unwrap();
    let dbsize: u64 = dbsizes(&server).values().sum();

    let out = run(&["--format", "json", "rdb", "inspect", path, "--keys"], b"");
    assert_exit(&out, 0);
    let (mut keys, mut total) = (0u64, 0u64);
    let mut by_slot = vec![0u64; 16384];
    let mut encodings = std::collections::BTreeSet::new();
    for line in text(&out.stdout).lines() {
        let record = json(line.as_bytes());
        let key = match &record["key"] {
            Value::String(s) => s.as_bytes().to_vec(),
            other => base64::engine::general_purpose::STANDARD
                .decode(other["base64"].as_str().unwrap())
                .unwrap(),
        };
        let size = u(&record["size"]);
        keys += 1;
        total += size;
        by_slot[usize::from(sonde::ring::slots::key_slot(&key))] += size;
        encodings.insert(format!("{} {}", record["type"], record["encoding"]));
    }
    assert_eq!(keys, dbsize);
    assert!(encodings.len() >= 10, "{encodings:?}");

    let report = simulate(&[&words("--nodes 5 --add 1 --seed 3")[..], &["--rdb", path]].concat());
    assert_eq!(report["key_source"], path);
    assert_eq!(u(&report["keys"]), dbsize);
    assert_eq!(u(&report["key_bytes"]), total);
    for name in STRATEGIES {
        let s = strategy(&report, name);
        let sum = |nodes: &Value, field: &str| -> u64 {
            nodes.as_array().unwrap().iter().map(|n| u(&n[field])).sum()
        };
        assert_eq!(sum(&s["per_node"], "keys"), dbsize, "{name}");
        assert_eq!(sum(&s["per_node"], "bytes"), total, "{name}");
        assert_eq!(sum(&s["after"]["per_node"], "bytes"), total, "{name}");
        let moved = u(&s["moved_bytes"]);
        assert!(moved > 0 && moved < total, "{name}: {moved} of {total}");
        assert!((f(&s["moved_bytes_fraction"]) - moved as f64 / total as f64).abs() < 1e-12);
    }

    let report = simulate(
        &[
            &words("--nodes 16384 --add 0 --strategy slots --seed 1")[..],
            &["--rdb", path],
        ]
        .concat(),
    );
    let per_node = strategy(&report, "slots")["per_node"].as_array().unwrap();
    let bytes: Vec<u64> = per_node.iter().map(|n| u(&n["bytes"])).collect();
    assert_eq!(bytes, by_slot);
}

/// A dump that cannot be read is a problem in the file (exit 1) naming
/// the error kind and byte offset; one that cannot be opened is exit 2.
#[test]
fn corrupt_dumps_name_the_kind_and_offset() {
    let server = RedisServer::start(&[]);
    let empty = server.dir().join("dump.rdb");
    let _: () = redis::cmd("SAVE").query(&mut server.client()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let no_keys = dir.path().join("empty.rdb");
    std::fs::copy(&empty, &no_keys).unwrap();
    populate_mixed(&server, &[0], 1);
    let _: () = redis::cmd("SAVE").query(&mut server.client()).unwrap();
    let good = std::fs::read(server.dir().join("dump.rdb")).unwrap();
    let len = good.len();

    let mut flipped = good.clone();
    flipped[len - 1] ^= 0x80;
    let mut bad_type = good.clone();
    bad_type[9] = 99;
    let cases: [(&str, Vec<u8>, String); 3] = [
        (
            "crc.rdb",
            flipped,
            format!("(at byte {}) (checksum_mismatch)", len - 8),
        ),
        (
            "cut.rdb",
            good[..len - 9].to_vec(),
            format!("(at byte {}) (unexpected_eof)", len - 9),
        ),
        (
            "type.rdb",
            bad_type,
            "unknown value type or opcode 99 (at byte 9) (unknown_type)".into(),
        ),
    ];
    for (name, content, message) in &cases {
        let file = dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        let path = file.to_str().unwrap();
        let out = ring(false, &["--rdb", path], b"");
        assert_exit(&out, 1);
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with(&format!("sonde: {path}: ")) && stderr.contains(message.as_str()),
            "expected {message:?}, got {stderr}"
        );
    }
    let path = no_keys.to_str().unwrap();
    let out = ring(false, &["--rdb", path], b"");
    assert_exit(&out, 1);
    assert!(
        text(&out.stderr).contains("no keys"),
        "{}",
        text(&out.stderr)
    );

    let out = ring(false, &["--rdb", "/nonexistent/dump.rdb"], b"");
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("cannot open /nonexistent/dump.rdb"));
    let out = ring(false, &["--rdb", path, "--keys-from", path], b"");
    assert_exit(&out, 2);
}

#[test]
fn keys_come_from_stdin_too() {
    let args = words("--keys-from - --strategy slots --nodes 3 --add 0");
    let out = ring(true, &args, b"{a}1\n{a}2\n{a}3\nzzz\n");
    assert_exit(&out, 0);
    let report = json(&out.stdout);
    assert_eq!(report["key_source"], "<stdin>");
    let slot = usize::from(sonde::ring::slots::key_slot(b"a"));
    let holder = slot * 3 / 16384;
    assert!(u(&strategy(&report, "slots")["per_node"][holder]["keys"]) >= 3);
}

#[test]
fn bad_keys_files_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[u8], &[&str], &str); 4] = [
        (
            b"a\t1\nb\t2\nc\tlots\n",
            &["--key-sizes"],
            "line 3, column 3: size \"lots\" is not a whole number of bytes",
        ),
        (
            b"a\t1\nno size here\n",
            &["--key-sizes"],
            "line 2: no TAB before the size",
        ),
        (
            b"short\nthis line is too long\n",
            &["--max-key-len", "8"],
            "line 2: longer than 8 bytes",
        ),
        (b"\n\n", &[], "no keys"),
    ];
    for (i, (content, extra, message)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("keys{i}.txt"));
        std::fs::write(&file, content).unwrap();
        let path = file.to_str().unwrap();
        let mut args = vec!["--keys-from", path];
        args.extend_from_slice(extra);
        let out = ring(false, &args, b"");
        assert_exit(&out, 1);
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with(&format!("sonde: {path}: {message}")),
            "expected {message:?}, got {stderr}"
        );
    }
    let out = ring(false, &["--keys-from", "/nonexistent/keys.txt"], b"");
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("cannot open /nonexistent/keys.txt"));
}

#[test]
fn bad_arguments_are_usage_errors() {
    let cases: [(&[&str], &str); 7] = [
        (
            &words("--table-size 65536 --strategy maglev"),
            "--table-size 65536: must be a prime",
        ),
        (
            &words("--table-size 7 --strategy maglev"),
            "must be at least the number of nodes",
        ),
        (
            &words("--nodes 3 --remove 3"),
            "--remove 3 would leave no node of 3",
        ),
        (
            &["--epsilon", "0"],
            "--epsilon 0: must be a positive number",
        ),
        (&["--random-fail"], "--remove"),
        (&words("--keys 5 --keys-from x"), "cannot be used with"),
        (&["--strategy", "nope"], "invalid value 'nope'"),
    ];
    for (args, message) in cases {
        let mut all = if args.contains(&"--keys") {
            vec![]
        } else {
            vec!["--keys", "1000"]
        };
        all.extend_from_slice(args);
        let out = ring(false, &all, b"");
        assert_exit(&out, 2);
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(message),
            "{args:?}: expected {message:?} in {stderr}"
        );
    }
    let args = words("--nodes 16385 --strategy slots --add 0 --keys 10");
    let out = ring(false, &args, b"");
    assert_exit(&out, 2);
    assert!(text(&out.stderr).contains("slots: at most 16384 nodes"));
}

/// The report without the figures that depend on timing.
fn without_timings(mut report: Value) -> Value {
    report["elapsed_ms"] = Value::Null;
    for s in report["strategies"].as_array_mut().unwrap() {
        for field in [
            "lookup_ns",
            "lookups_per_sec",
            "build_ms",
            "place_ms",
            "place_cpu_ms",
        ] {
            s[field] = Value::Null;
        }
    }
    report
}

#[test]
fn a_seed_makes_random_failures_repeatable() {
    let args = words("--keys 50000 --nodes 12 --remove 3 --random-fail --seed 99");
    let first = simulate(&args);
    let second = simulate(&args);
    assert_eq!(first["seed"], 99);
    assert_eq!(without_timings(first.clone()), without_timings(second));
    let removed = first["change"]["removed"].as_array().unwrap();
    assert_eq!(removed.len(), 3);
    assert_eq!(first["change"]["random_fail"], true);
    // Another seed fails other nodes (for these two seeds, checked).
    let other = simulate(&words(
        "--keys 50000 --nodes 12 --remove 3 --random-fail --seed 100",
    ));
    assert_ne!(first["change"]["removed"], other["change"]["removed"]);
    // Jump hash cannot drop a middle bucket: the last bucket's node takes
    // it over and its own keys move between survivors (measured, not hidden).
    if !removed.iter().any(|n| n == "node-11") {
        assert!(u(&strategy(&first, "jump")["moved_between_survivors"]) > 0);
    }
    for name in ["ring", "rendezvous", "slots"] {
        assert_eq!(
            u(&strategy(&first, name)["moved_between_survivors"]),
            0,
            "{name}"
        );
    }
}

#[test]
fn table_view_has_a_section_and_bars_per_strategy() {
    let out = ring(false, &words("--keys 20000 --nodes 30 --seed 4"), b"");
    assert_exit(&out, 0);
    let table = text(&out.stdout);
    for name in STRATEGIES {
        assert!(
            table.contains(&format!("\n{name} — ")),
            "no section for {name}:\n{table}"
        );
    }
    assert!(table.starts_with("30 nodes, 20,000 keys (synthetic); add 1 (node-30) → 31 nodes"));
    assert!(table.contains("keys per node (after the change, 31 nodes):"));
    assert!(
        table.contains("… 15 nodes between"),
        "31 nodes: 8 heaviest, 8 lightest"
    );
    assert!(table.contains("summary (load after the change):"));
    assert!(table.contains('█'));
    // Bars are bounded: no line is wider than the widest table.
    let widest = table.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest < 140, "a line of {widest} characters");
}

#[test]
fn compare_search_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("ring.svg");
    let report = simulate(
        &[
            words("--keys 20000 --nodes 5 --compare-search --seed 8"),
            vec!["--plot", svg.to_str().unwrap()],
        ]
        .concat(),
    );
    let search = &report["compare_search"];
    let rows = search["rows"].as_array().unwrap();
    let sizes: Vec<u64> = rows.iter().map(|r| u(&r["points"])).collect();
    assert_eq!(sizes.first(), Some(&8));
    assert_eq!(sizes.last(), Some(&1_000_000));
    for r in rows {
        for layout in ["linear_ns", "linear_count_ns", "binary_ns", "eytzinger_ns"] {
            assert!(f(&r[layout]) > 0.0, "{layout} at {}", r["points"]);
        }
        assert!(u(&r["min_lookups"]) > 0);
    }
    let crossovers = search["crossovers"].as_array().unwrap();
    let layouts: Vec<&str> = crossovers
        .iter()
        .map(|c| c["layout"].as_str().unwrap())
        .collect();
    assert_eq!(layouts, ["linear", "linear_count", "eytzinger"]);
    // At a million points a scan reads megabytes per lookup: whatever the
    // machine, binary search wins there.
    let last = rows.last().unwrap();
    assert!(f(&last["linear_ns"]) > f(&last["binary_ns"]));
    assert_eq!(crossovers[0]["winner_for_large"], "binary");

    let drawing = std::fs::read_to_string(&svg).expect("the SVG was written");
    assert!(
        drawing.starts_with("<svg"),
        "{}",
        &drawing[..drawing.len().min(200)]
    );
    for needle in [
        "Keys per node",
        "Keys moved",
        "Successor search",
        "rendezvous",
        "eytzinger",
    ] {
        assert!(drawing.contains(needle), "SVG lacks {needle:?}");
    }
    assert!(Path::new(&svg).metadata().unwrap().len() > 10_000);
}
