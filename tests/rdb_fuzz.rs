//! Bounded, deterministic fuzzing of the RDB reader over corrupted
//! variants of every real file in the corpus: truncated at many points,
//! bytes flipped, lengths overwritten with huge values. Every variant must
//! end in an error or a consistent result, never a panic, and a damaged
//! file with a checksum is always caught. The same files and damage fed in
//! pieces to the streaming snapshot parser of `replica tail --rdb summary`
//! give what they give whole.
//!
//! Run length: by default 64 truncations, 64 byte flips and 32 length
//! overwrites per file (files over 256 KiB: 8 of each), about 9,000
//! variants, each read to the end with every value fully decoded and its
//! RAM estimated. `SONDE_FUZZ_FACTOR=N` multiplies the counts (N=50 gives
//! about 450,000 variants) and `SONDE_FUZZ_SEED` changes the seed.

use std::path::PathBuf;

use sonde::rdb::{self, Event, memory};
use sonde::replication::SnapshotSink;
use sonde::replication::snapshot::{RdbSummary, SnapshotDone, SnapshotError, SnapshotForm};

use crate::common::{assert_exit, repo_root, run};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let root = repo_root().join("tests/data/rdb");
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "rdb") {
                    out.push(f);
                }
            }
        }
    }
    out.sort();
    out
}

/// What reading a variant concluded.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Read to EOF; whether the stored checksum (if any) matched.
    Clean {
        checksum_ok: bool,
    },
    Error,
}

/// Read everything, decoding every value; any panic fails the test.
fn read_all(data: &[u8]) -> Outcome {
    for ev in rdb::events(data) {
        let ev = match ev {
            Ok(e) => e,
            Err(_) => return Outcome::Error,
        };
        match ev.event {
            Event::Key(k) => {
                let _ = k.value.len();
                let _ = k.value.decode();
                let _ = memory::estimate(k.key.len(), &k.value);
                if let Ok(els) = k.value.elements() {
                    for e in els.take(100_000) {
                        if e.is_err() {
                            break;
                        }
                    }
                }
            }
            Event::Eof { stored, computed } => {
                let ok = match stored {
                    None | Some(0) => true,
                    Some(s) => Some(s) == computed,
                };
                return Outcome::Clean { checksum_ok: ok };
            }
            _ => {}
        }
    }
    Outcome::Error
}

fn has_checksum(data: &[u8]) -> bool {
    matches!(read_all(data), Outcome::Clean { checksum_ok: true })
        && rdb::events(data).any(|e| matches!(e, Ok(l) if matches!(l.event, Event::Eof { stored: Some(s), .. } if s != 0)))
}

fn eof_end(data: &[u8]) -> usize {
    let mut ev = rdb::events(data);
    for _ in ev.by_ref() {}
    ev.reader().position() as usize
}

#[test]
fn corrupted_corpus_files_fail_cleanly() {
    let factor: usize = std::env::var("SONDE_FUZZ_FACTOR")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let seed: u64 = std::env::var("SONDE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_1234);
    let mut rng = Rng(seed | 1);
    let mut variants = 0u64;
    for path in files() {
        let data = std::fs::read(&path).unwrap();
        let base = read_all(&data);
        let checked = has_checksum(&data);
        let end = eof_end(&data);
        let per = if data.len() > 256 * 1024 { 8 } else { 64 } * factor;
        let name = path.display();

        // Truncations: a cut before the end of the EOF record is an error.
        for i in 0..per {
            let cut = if i < 16 {
                i.min(end.saturating_sub(1))
            } else {
                rng.below(end)
            };
            if cut >= end {
                continue;
            }
            variants += 1;
            assert_eq!(
                read_all(&data[..cut]),
                Outcome::Error,
                "{name} cut at {cut}"
            );
        }
        if base == Outcome::Error {
            continue; // the one file that fails already (module type 6)
        }
        // Byte flips: with a checksum, damage is always detected.
        for _ in 0..per {
            let mut v = data.clone();
            let at = rng.below(end);
            v[at] ^= (rng.below(255) + 1) as u8;
            variants += 1;
            let got = read_all(&v);
            if checked {
                assert_ne!(
                    got,
                    Outcome::Clean { checksum_ok: true },
                    "{name}: flip at {at} went unnoticed"
                );
            }
        }
        // Huge declared lengths: 32-bit and 64-bit length prefixes of
        // values far beyond the input must not allocate or loop.
        for i in 0..per / 2 {
            let mut v = data.clone();
            let at = rng.below(end.saturating_sub(9));
            let huge: &[u8] = if i % 2 == 0 {
                &[0x80, 0xff, 0xff, 0xff, 0xf0]
            } else {
                &[0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0]
            };
            let n = huge.len().min(v.len() - at);
            v[at..at + n].copy_from_slice(&huge[..n]);
            variants += 1;
            let _ = read_all(&v);
        }
    }
    eprintln!("rdb fuzz: {variants} corrupted variants read without a panic");
    assert!(variants > 1000);
}

#[test]
fn the_binary_reports_damage_with_offsets_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_root().join("tests/data/rdb/redis-replicator/dumpV7.rdb");
    let data = std::fs::read(&src).unwrap();
    let write = |name: &str, bytes: &[u8]| -> String {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_owned()
    };
    // Truncated in the middle: keys before the cut are still listed.
    let cut = write("cut.rdb", &data[..data.len() / 2]);
    let out = run(&["rdb", "inspect", "--keys", "--format", "json", &cut], b"");
    assert_exit(&out, 1);
    let listed = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(listed > 0 && listed < 19, "{listed} keys before the cut");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("at byte") && err.contains("length_exceeds_input")
            || err.contains("unexpected_eof"),
        "{err}"
    );
    // A flipped byte in a value: the checksum catches it.
    let mut flipped = data.clone();
    let at = data.len() - 20;
    flipped[at] ^= 0x01;
    let f = write("flip.rdb", &flipped);
    let out = run(&["rdb", "inspect", "--format", "json", &f], b"");
    assert_exit(&out, 1);
    let doc = crate::common::json(&out.stdout);
    assert!(
        doc["checksum"]["status"] == "mismatch" || !doc["error"].is_null(),
        "{doc}"
    );
    // Not an RDB file at all, and an unsupported version.
    let junk = write("junk.rdb", b"GIF89a not an rdb");
    let out = run(&["rdb", "inspect", &junk], b"");
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad_magic"));
    let future = write("v99.rdb", b"REDIS0099\xff");
    let out = run(&["rdb", "inspect", &future], b"");
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported RDB version 99"));
    // A missing file is a usage/runtime error.
    let out = run(
        &[
            "rdb",
            "inspect",
            &format!("{}/nope.rdb", dir.path().display()),
        ],
        b"",
    );
    assert_exit(&out, 2);
}

/// What `--rdb summary` makes of `payload` delivered in pieces of `sizes`
/// (cycled; empty: whole): the summary, or the error's kind and offset.
fn summarize(
    payload: &[u8],
    form: SnapshotForm,
    sizes: &[usize],
) -> Result<SnapshotDone, (&'static str, u64)> {
    let mut sink = RdbSummary::new();
    let rdb = |e: SnapshotError| match e {
        SnapshotError::Rdb(e) => (e.kind.name(), e.offset),
        other => panic!("{other}"),
    };
    sink.begin(form).map_err(rdb)?;
    let mut rest = payload;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let n = sizes.next().map_or(rest.len(), |&n| n.clamp(1, rest.len()));
        sink.data(&rest[..n]).map_err(rdb)?;
        rest = &rest[n..];
    }
    sink.end().map_err(rdb)
}

#[test]
fn corpus_files_and_their_damage_summarize_the_same_in_pieces() {
    let mut rng = Rng(0x0c4a_11ed);
    let mut variants = 0;
    for path in files() {
        let data = std::fs::read(&path).unwrap();
        let end = eof_end(&data).max(1);
        let big = data.len() > 256 * 1024;
        let mut damaged = vec![data.clone()];
        for _ in 0..if big { 1 } else { 6 } {
            damaged.push(data[..rng.below(end)].to_vec());
            let mut v = data.clone();
            let at = rng.below(end);
            v[at] ^= (rng.below(255) + 1) as u8;
            damaged.push(v);
            let mut v = data.clone();
            let at = rng.below(end.saturating_sub(5));
            let n = 5.min(v.len() - at);
            v[at..at + n].copy_from_slice(&[0x80, 0xff, 0xff, 0xff, 0xf0][..n]);
            damaged.push(v);
        }
        for (i, v) in damaged.iter().enumerate() {
            // Byte by byte for the file as it is; damage in larger pieces.
            let one: &[usize] = if i == 0 && !big { &[1] } else { &[3] };
            let sized = SnapshotForm::Sized(v.len() as u64);
            let whole = summarize(v, SnapshotForm::EofMarked, &[]);
            let top = if big { 4000 } else { 40 };
            let small: Vec<usize> = (0..97).map(|_| rng.below(top) + 1).collect();
            let large: Vec<usize> = (0..97).map(|_| rng.below(5000) + 1).collect();
            for (form, sizes) in [
                (SnapshotForm::EofMarked, one),
                (sized, &small),
                (SnapshotForm::EofMarked, &large),
                (sized, &[]),
            ] {
                variants += 1;
                assert_eq!(
                    summarize(v, form, sizes),
                    whole,
                    "{} ({} bytes) as {form:?}",
                    path.display(),
                    v.len()
                );
            }
        }
    }
    eprintln!("snapshot pieces: {variants} deliveries agreed with whole reads");
    assert!(variants > 3000, "{variants}");
}
