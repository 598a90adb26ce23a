//! `sonde rdb inspect` over real RDB files from many Redis versions (and
//! one Valkey file), asserting the facts recorded in
//! tests/data/rdb/MANIFEST.tsv for every file, plus facts the source
//! projects' own tests assert about particular files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::common::{assert_exit, json, repo_root, run, text};

fn corpus() -> PathBuf {
    repo_root().join("tests/data/rdb")
}

/// One MANIFEST row, the columns we assert.
struct Row {
    file: String,
    version: u32,
    keys: u64,
    by_db: BTreeMap<u64, u64>,
    expires: u64,
    types: BTreeMap<String, u64>,
    other: String,
    checksum: String,
    scan_error: String,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(corpus().join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (file, version, keys, by_db, expires, types, other, checksum, err) = (
        col("local_file"),
        col("rdb_version"),
        col("keys_total(scan)"),
        col("keys_by_db(scan)"),
        col("keys_with_expiry(scan)"),
        col("on_disk_types(scan)"),
        col("other(scan)"),
        col("checksum(scan)"),
        col("scan_error"),
    );
    lines
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let pairs = |s: &str| -> Vec<(String, u64)> {
                s.split(',')
                    .filter(|p| p.contains(':'))
                    .map(|p| {
                        let (k, v) = p.rsplit_once(':').unwrap();
                        (k.to_owned(), v.parse().unwrap())
                    })
                    .collect()
            };
            Row {
                file: f[file].to_owned(),
                version: f[version].parse().unwrap(),
                keys: f[keys].parse().unwrap(),
                by_db: pairs(f[by_db])
                    .into_iter()
                    .map(|(k, v)| (k.trim_start_matches("db").parse().unwrap(), v))
                    .collect(),
                expires: f[expires].parse().unwrap(),
                types: pairs(f[types]).into_iter().collect(),
                other: f[other].to_owned(),
                checksum: f[checksum].to_owned(),
                scan_error: f[err].to_owned(),
            }
        })
        .collect()
}

/// The MANIFEST's names for on-disk types, as type bytes.
fn type_byte(name: &str) -> u8 {
    match name {
        "string" => 0,
        "list" => 1,
        "set" => 2,
        "zset" => 3,
        "hash" => 4,
        "zset_2" => 5,
        "module_2" => 7,
        "hash_zipmap" => 9,
        "list_ziplist" => 10,
        "set_intset" => 11,
        "zset_ziplist" => 12,
        "hash_ziplist" => 13,
        "list_quicklist" => 14,
        "stream_listpacks" => 15,
        "hash_listpack" => 16,
        "zset_listpack" => 17,
        "list_quicklist_2" => 18,
        "stream_listpacks_2" => 19,
        "set_listpack" => 20,
        "stream_listpacks_3" => 21,
        "hash_2(valkey)" => 22,
        "hash_metadata" => 24,
        "hash_listpack_ex" => 25,
        other => panic!("unknown MANIFEST type {other}"),
    }
}

fn records(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

fn inspect_keys(path: &str, extra: &[&str]) -> (std::process::Output, Vec<Value>) {
    let full = corpus().join(path);
    let mut args = vec!["rdb", "inspect", "--keys", "--format", "json"];
    args.extend_from_slice(extra);
    let p = full.to_str().unwrap().to_owned();
    args.push(&p);
    let out = run(&args, b"");
    let recs = records(&out.stdout);
    (out, recs)
}

fn summary(path: &str) -> (std::process::Output, Value) {
    let full = corpus().join(path);
    let out = run(
        &["rdb", "inspect", "--format", "json", full.to_str().unwrap()],
        b"",
    );
    let doc = json(&out.stdout);
    (out, doc)
}

#[test]
fn every_corpus_file_matches_its_manifest_row() {
    let rows = manifest();
    assert!(rows.len() >= 60, "MANIFEST has {} rows", rows.len());
    for row in &rows {
        let (out, recs) = inspect_keys(&row.file, &[]);
        let (sout, doc) = summary(&row.file);
        let ctx = format!("{} (stderr: {})", row.file, text(&out.stderr));
        if row.scan_error.is_empty() {
            assert_exit(&out, 0);
            assert_exit(&sout, 0);
        } else {
            // The only such file holds a module type 6 value: every key
            // before it is reported, then the error, exit 1.
            assert_exit(&out, 1);
            assert_exit(&sout, 1);
            assert!(row.scan_error.contains("unknown object type 6"), "{ctx}");
            assert_eq!(doc["error"]["kind"], "module_not_skippable", "{ctx}");
            assert_eq!(doc["error"]["offset"], 1257, "{ctx}");
            assert!(text(&out.stderr).contains("module_not_skippable"), "{ctx}");
        }
        assert_eq!(recs.len() as u64, row.keys, "key count of {ctx}");
        assert_eq!(doc["keys"], row.keys, "{ctx}");
        assert_eq!(doc["version"], row.version, "{ctx}");
        let mut by_db = BTreeMap::new();
        let mut types = BTreeMap::new();
        let mut expires = 0;
        for r in &recs {
            *by_db.entry(r["db"].as_u64().unwrap()).or_insert(0u64) += 1;
            *types
                .entry(r["rdb_type"].as_u64().unwrap() as u8)
                .or_insert(0u64) += 1;
            if !r["expire_ms"].is_null() {
                expires += 1;
            }
        }
        assert_eq!(by_db, row.by_db, "keys by db of {ctx}");
        assert_eq!(expires, row.expires, "expiries of {ctx}");
        let want: BTreeMap<u8, u64> = row.types.iter().map(|(k, v)| (type_byte(k), *v)).collect();
        assert_eq!(types, want, "on-disk types of {ctx}");
        let status = doc["checksum"]["status"].as_str().unwrap();
        let expected = match row.checksum.as_str() {
            "ok" => "ok",
            "none(pre-v5)" => "absent",
            "disabled" => "disabled",
            s if s.starts_with("scan error") => "not_reached",
            other => panic!("MANIFEST checksum {other}"),
        };
        assert_eq!(status, expected, "checksum of {ctx}");
        if let Some(n) = row.other.strip_prefix("trailing_bytes:") {
            assert!(
                text(&sout.stderr).contains(&format!("{n} bytes after the end-of-file record")),
                "{ctx}"
            );
        }
        if row.other.contains("functions:") {
            let n: u64 = row.other.split("functions:").nth(1).unwrap()[..1]
                .parse()
                .unwrap();
            assert_eq!(doc["functions"], n, "{ctx}");
        }
        if row.other.contains("module_aux:") {
            assert_eq!(doc["module_aux"][0], "test__rdb", "{ctx}");
        }
    }
}

fn by_key(recs: &[Value]) -> BTreeMap<String, Value> {
    recs.iter()
        .map(|r| {
            let k = match &r["key"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k, r.clone())
        })
        .collect()
}

#[test]
fn values_match_what_the_source_projects_assert() {
    // Int-encoded key names and values.
    let (_, recs) = inspect_keys("redis-rdb-tools/integer_keys.rdb", &["--values"]);
    let keys = by_key(&recs);
    for k in ["125", "43947", "183358245", "-123", "-29477", "-183358245"] {
        assert!(keys.contains_key(k), "missing int key {k}: {keys:?}");
    }
    assert_eq!(keys["183358245"]["value"], "Positive 32 bit integer");

    // An LZF-compressed key name.
    let (_, recs) = inspect_keys(
        "redis-rdb-tools/easily_compressible_string_key.rdb",
        &["--values"],
    );
    assert_eq!(recs[0]["key"], "a".repeat(200));
    assert_eq!(recs[0]["value"], "Key that redis should compress easily");

    // Intsets of every width.
    for (file, want) in [
        ("intset_16", vec![32766i64, 32765, 32764]),
        ("intset_32", vec![0x7ffefffe, 0x7ffefffd, 0x7ffefffc]),
        (
            "intset_64",
            vec![0x7ffefffefffefffe, 0x7ffefffefffefffd, 0x7ffefffefffefffc],
        ),
    ] {
        let (_, recs) = inspect_keys(&format!("redis-rdb-tools/{file}.rdb"), &["--values"]);
        let mut got: Vec<i64> = recs[0]["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().parse().unwrap())
            .collect();
        got.sort();
        let mut want = want;
        want.sort();
        assert_eq!(got, want, "{file}");
        assert_eq!(recs[0]["encoding"], "intset");
    }

    // Every ziplist integer encoding.
    let (_, recs) = inspect_keys("redis-rdb-tools/ziplist_with_integers.rdb", &["--values"]);
    let got: Vec<String> = recs[0]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let mut want: Vec<String> = (0..=12).map(|i: i64| i.to_string()).collect();
    want.extend(
        [
            -2i64,
            13,
            25,
            -61,
            63,
            16380,
            -16000,
            65535,
            -65523,
            4194304,
            0x7fffffffffffffff,
        ]
        .iter()
        .map(|i| i.to_string()),
    );
    assert_eq!(got, want);

    // Millisecond expiry.
    let (_, recs) = inspect_keys("redis-rdb-tools/keys_with_expiry.rdb", &[]);
    assert_eq!(recs[0]["expire_ms"], 1671963072573i64);

    // Zipmaps, including one whose count byte says "unknown".
    for file in [
        "redis-rdb-tools/zipmap_that_doesnt_compress.rdb",
        "rdb/zipmap_big_len.rdb",
    ] {
        let (out, recs) = inspect_keys(file, &["--values"]);
        assert_exit(&out, 0);
        assert_eq!(
            recs[0]["value"],
            serde_json::json!([["MKD1G6", "2"], ["YNNXK", "F7TI"]]),
            "{file}"
        );
        assert_eq!(recs[0]["len"], 2);
    }

    // Sorted set in a ziplist with fractional scores; ZSET_2 binary scores.
    let (_, recs) = inspect_keys("redis-rdb-tools/sorted_set_as_ziplist.rdb", &["--values"]);
    assert_eq!(
        recs[0]["value"][1],
        serde_json::json!(["cb7a24bb7528f934b841b34c3a73e0c7", 2.37])
    );
    let (_, recs) = inspect_keys(
        "redis-rdb-tools/rdb_version_8_with_64b_length_and_scores.rdb",
        &["--values", "--type", "zset"],
    );
    assert_eq!(recs[0]["len"], 1000);
    let members = recs[0]["value"].as_array().unwrap();
    // The file's score is the literal 2.718 (not the constant e).
    let finalfield = members
        .iter()
        .find(|m| m[0] == "finalfield")
        .expect("finalfield");
    assert_eq!(finalfield[1].to_string(), "2.718");

    // LRU and LFU opcodes.
    let (_, recs) = inspect_keys("redis-replicator/dump-lfu.rdb", &[]);
    let keys = by_key(&recs);
    assert_eq!(keys["key"]["freq"], 4);
    assert_eq!(keys["key"]["expire_ms"], 1528592896226i64);
    assert_eq!(keys["key1"]["freq"], 1);
    let (_, recs) = inspect_keys("redis-replicator/dump-lru.rdb", &[]);
    let keys = by_key(&recs);
    assert_eq!(keys["key"]["idle"], 4);
    assert_eq!(keys["key1"]["idle"], 1914611);

    // Hash field expiry: Redis 7.4 listpack and hashtable forms, Valkey HASH_2.
    let (_, recs) = inspect_keys("rdb/hash_as_listpack_with_hfe.rdb", &["--values"]);
    assert_eq!(
        recs[0]["value"],
        serde_json::json!([
            ["F1", "V1", 2755482478325i64],
            ["F3", "V3", 2755484483878i64],
            ["F2", "V2"]
        ])
    );
    assert_eq!(recs[0]["encoding"], "listpackex");
    let (_, recs) = inspect_keys("rdb/hash_with_hfe.rdb", &["--values"]);
    let v = recs[0]["value"].as_array().unwrap();
    assert_eq!(v.len(), 8);
    assert!(v.contains(&serde_json::json!(["F1", "V1", 2755482424661i64])));
    assert!(v.contains(&serde_json::json!(["F2", "V2", 2755483429282i64])));
    assert!(v.contains(&serde_json::json!(["F3", "V3", 2755484433842i64])));
    let (_, recs) = inspect_keys("rdb/valkey_hash2_with_hfe.rdb", &["--values"]);
    assert_eq!(
        recs[0]["value"],
        serde_json::json!([
            ["F1", "V1", 2715785640000i64],
            ["F2", "V2", 2400425640000i64],
            ["F3", "V3"]
        ])
    );

    // Quicklist v2 with PLAIN and packed nodes; listpack integers.
    let (_, recs) = inspect_keys("rdb/listpack.rdb", &["--values", "--type", "list"]);
    assert_eq!(
        recs[0]["value"],
        serde_json::json!([
            "1",
            "20000",
            "aaaa",
            "4",
            "16380",
            "-16380",
            "1048576",
            "268435456",
            "8589934592"
        ])
    );
    let (_, recs) = inspect_keys("rdb/set_listpack.rdb", &["--values"]);
    assert_eq!(recs[0]["value"], serde_json::json!(["a", "b", "c", "d"]));

    // Streams: consumer groups and PELs (v1), metadata (v2, v3).
    let (_, recs) = inspect_keys("rdb/stream_listoacks_3.rdb", &["--values"]);
    let s = &recs[0]["value"];
    assert_eq!(s["entries"][0]["id"], "1704557973866-0");
    assert_eq!(
        s["entries"][0]["fields"],
        serde_json::json!([["name", "Sara"], ["surname", "OConnor"]])
    );
    assert_eq!(s["groups"][0]["name"], "consumer-group-name");
    assert_eq!(s["groups"][0]["pending"][0]["delivery_count"], 1);
    assert_eq!(s["groups"][0]["consumers"][0]["name"], "consumer-name");
    assert_eq!(
        s["groups"][0]["consumers"][0]["active_time_ms"],
        1704557998397i64
    );
    let (_, recs) = inspect_keys(
        "redis-replicator/dumpV11.rdb",
        &["--values", "--type", "stream"],
    );
    let s = &recs[0]["value"];
    assert_eq!(s["first_id"], "1646121872530-0");
    assert_eq!(s["max_deleted_id"], "1646121870418-0");
    assert_eq!(s["entries_added"], 16);
    assert_eq!(s["length"], 9);
    assert_eq!(recs[0]["len"], 9);
    let live = s["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["deleted"] == false)
        .count();
    assert_eq!(live, 9);
    let (_, recs) = inspect_keys("redis-replicator/dump-stream.rdb", &["--values"]);
    let mut pel_sizes: Vec<usize> = recs
        .iter()
        .flat_map(|r| r["value"]["groups"].as_array().unwrap().clone())
        .map(|g| g["pending"].as_array().unwrap().len())
        .collect();
    pel_sizes.sort();
    assert_eq!(pel_sizes, vec![0, 1, 2, 4]);

    // Module type 7 values are skipped through their opcodes.
    let (out, recs) = inspect_keys("redis-replicator/dump-module-2.rdb", &["--values"]);
    assert_exit(&out, 0);
    assert_eq!(recs[0]["type"], "module");
    assert_eq!(recs[0]["value"]["module"], "hellotype");
}

#[test]
fn filters_select_keys() {
    let f = "redis-rdb-tools/parser_filters.rdb";
    let (_, all) = inspect_keys(f, &[]);
    let (_, strings) = inspect_keys(f, &["--type", "string"]);
    assert_eq!(strings.len(), 18);
    assert!(strings.iter().all(|r| r["type"] == "string"));
    let (_, matched) = inspect_keys(f, &["--match", "k[13]"]);
    let names: Vec<&str> = matched.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let (_, big) = inspect_keys(f, &["--min-size", "100"]);
    assert!(!big.is_empty() && big.len() < all.len());
    assert!(big.iter().all(|r| r["size"].as_u64().unwrap() >= 100));
    let (_, db2) = inspect_keys(
        "redis-rdb-tools/multiple_databases.rdb",
        &["--db", "2", "--values"],
    );
    assert_eq!(db2.len(), 1);
    assert_eq!(db2[0]["key"], "key_in_second_database");
    assert_eq!(db2[0]["value"], "second");
}

#[test]
fn summary_reports_prefixes_biggest_and_histogram() {
    let (out, doc) = summary("rdb/tree.rdb");
    assert_exit(&out, 0);
    assert_eq!(doc["keys"], 7);
    assert_eq!(doc["checksum"]["status"], "ok");
    assert_eq!(doc["expiry_histogram"]["none"], 7);
    assert_eq!(doc["expiry_histogram"]["now_source"], "ctime");
    assert_eq!(doc["types"]["string"]["keys"], 7);
    assert_eq!(doc["biggest"]["by_size"].as_array().unwrap().len(), 7);

    let full = corpus().join("rdb/expiration.rdb");
    let out = run(
        &[
            "rdb",
            "inspect",
            "--format",
            "json",
            "--now",
            "1751792339000",
            full.to_str().unwrap(),
        ],
        b"",
    );
    let doc = json(&out.stdout);
    assert_eq!(doc["expiry_histogram"]["within_1h"], 1);
    assert_eq!(doc["expiry_histogram"]["now_source"], "argument");
    let out = run(
        &[
            "rdb",
            "inspect",
            "--format",
            "json",
            "--now",
            "1751792339237",
            full.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(json(&out.stdout)["expiry_histogram"]["expired"], 1);

    let (_, doc) = summary("redis-replicator/dumpV6.rdb");
    let dbs = doc["databases"].as_array().unwrap();
    assert_eq!(dbs.len(), 2);
    assert_eq!(dbs[0]["keys"], 123);
    assert_eq!(dbs[1]["keys"], 9);
    assert_eq!(doc["checksum"]["stored"], "0xd0af0a67275bf1b6");
    let prefixes = doc["prefixes"]["top"].as_array().unwrap();
    assert!(!prefixes.is_empty());

    // The table view renders too.
    let full = corpus().join("redis-replicator/listpack-bug.rdb");
    let out = run(&["rdb", "inspect", full.to_str().unwrap()], b"");
    assert_exit(&out, 0);
    let t = text(&out.stdout);
    for section in [
        "Databases",
        "Types",
        "Encodings",
        "Biggest keys by serialized size",
        "Expiries",
    ] {
        assert!(t.contains(section), "missing {section} in:\n{t}");
    }
}
