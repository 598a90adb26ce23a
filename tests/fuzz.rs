//! A bounded run of every fuzz target (`sonde::fuzzing`, the functions the
//! cargo-fuzz targets in `fuzz/` call) on stable Rust: each seed of its
//! corpus, then deterministic mutations of them (bit flips, inserted and
//! erased bytes, interesting values, splices, truncations) until the time
//! budget is spent. Not coverage-guided, unlike `scripts/fuzz.sh`; its job
//! is to keep every target runnable and catch regressions on every CI run.
//!
//! Budget: `SONDE_FUZZ_SECONDS` per target (default 10; six targets run in
//! parallel test threads, about a minute of CPU in all). `SONDE_FUZZ_SEED`
//! changes the mutations; `SONDE_FUZZ_SAVE=DIR` writes an input that
//! panicked to DIR. Inputs that once crashed a target live in
//! `fuzz/regressions/<target>/` and are run first, every time.

use std::path::Path;
use std::time::Duration;

use crate::common::repo_root;

fn files_under(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_under(&path, out);
        } else if path
            .extension()
            .is_none_or(|e| e != "md" && e != "tsv" && e != "json")
            && !path.ends_with("LICENSE")
            && std::fs::metadata(&path).is_ok_and(|m| m.len() <= 1 << 20)
        {
            out.push(std::fs::read(&path).unwrap());
        }
    }
}

/// The seed corpus of a target, as `scripts/fuzz.sh` assembles it.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let root = repo_root();
    let mut out = Vec::new();
    files_under(&root.join("fuzz/regressions").join(target), &mut out);
    match target {
        "rdb_values" => files_under(&root.join("tests/data/rdb"), &mut out),
        "rdb_summary" => {
            let mut rdbs = Vec::new();
            files_under(&root.join("tests/data/rdb"), &mut rdbs);
            // The first byte chooses the piece size.
            out.extend(rdbs.into_iter().map(|r| [&[7u8][..], &r].concat()));
        }
        "config_file" => files_under(&root.join("fuzz/seeds/config"), &mut out),
        _ => files_under(&root.join("fuzz/seeds/resp"), &mut out),
    }
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

fn run(target: &str) {
    let (_, function) = sonde::fuzzing::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a target of that name");
    let seconds: u64 = std::env::var("SONDE_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("SONDE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x0f0f_5eed);
    let corpus = seeds(target);
    let stats = sonde::fuzzing::run(*function, &corpus, seed, Duration::from_secs(seconds));
    eprintln!(
        "fuzz {target}: {} executions over {} seeds in {seconds}s",
        stats.executions, stats.corpus
    );
    assert!(stats.executions > corpus.len() as u64);
}

#[test]
fn fuzz_resp_request() {
    run("resp_request");
}

#[test]
fn fuzz_resp_decode() {
    run("resp_decode");
}

#[test]
fn fuzz_rdb_values() {
    run("rdb_values");
}

#[test]
fn fuzz_rdb_summary() {
    run("rdb_summary");
}

#[test]
fn fuzz_replication_stream() {
    run("replication_stream");
}

#[test]
fn fuzz_config_file() {
    run("config_file");
}

#[test]
fn every_target_has_a_libfuzzer_binary() {
    let manifest = std::fs::read_to_string(repo_root().join("fuzz/Cargo.toml")).unwrap();
    for (name, _) in sonde::fuzzing::TARGETS {
        assert!(
            repo_root()
                .join(format!("fuzz/fuzz_targets/{name}.rs"))
                .exists(),
            "fuzz/fuzz_targets/{name}.rs"
        );
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{name}");
    }
}
