//! The command line as a whole: generated files, exit codes, errors, pipes.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;

use crate::common::{assert_exit, repo_root, run, sonde, text};

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// completions/ and man/ must match what the binary generates from its clap
/// definitions. Set SONDE_REGENERATE=1 to rewrite them instead.
#[test]
fn completions_and_man_pages_are_current() {
    if std::env::var_os("SONDE_REGENERATE").is_some() {
        let out = run(&["generate", repo_root().to_str().unwrap()], b"");
        assert_exit(&out, 0);
        return;
    }
    let fresh = tempfile::tempdir().unwrap();
    let out = run(&["generate", fresh.path().to_str().unwrap()], b"");
    assert_exit(&out, 0);
    for sub in ["completions", "man"] {
        let expected = fresh.path().join(sub);
        let committed = repo_root().join(sub);
        let hint = "stale generated files: run `SONDE_REGENERATE=1 cargo test completions_and_man` \
                    (or `cargo run -- generate .`) and commit completions/ and man/";
        assert_eq!(files(&committed), files(&expected), "{sub}/: {hint}");
        for name in files(&expected) {
            let want = std::fs::read(expected.join(&name)).unwrap();
            let have = std::fs::read(committed.join(&name)).unwrap();
            assert!(want == have, "{sub}/{name} differs: {hint}");
        }
    }
    assert!(files(&repo_root().join("man")).contains(&"sonde-resp-decode.1".to_owned()));
}

#[test]
fn completions_print_a_script() {
    let out = run(&["completions", "bash"], b"");
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("_sonde()"));
    let out = run(&["completions", "tcsh"], b"");
    assert_exit(&out, 2);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["resp", "decode", "--no-such-flag"][..],
        &[],
        &["resp", "decode", "--max-depth", "0"],
    ] {
        let out = run(args, b"");
        assert_exit(&out, 2);
    }
    let out = run(&["--version"], b"");
    assert_exit(&out, 0);
    assert!(text(&out.stdout).starts_with("sonde "));
}

#[test]
fn runtime_errors_are_one_line_with_context() {
    let out = run(&["resp", "decode", "/nonexistent/input.resp"], b"");
    assert_exit(&out, 2);
    assert_eq!(
        text(&out.stderr),
        "sonde: cannot open /nonexistent/input.resp: No such file or directory (os error 2)\n"
    );
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let mut child = sonde()
        .args(["resp", "decode"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&b":1\r\n".repeat(1_000_000));
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // like `| head -c 64`
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_exit(&out, 0);
    assert_eq!(text(&out.stderr), "");
}
