//! What a new user meets first: the port already taken, a completion
//! script piped into `head`, `--format json` where it has no meaning, a
//! server loading a large dump (progress, and Ctrl-C during the load), and
//! the scripts that install and run sonde.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::common::{SondeServer, assert_exit, repo_root, run, sonde, text};

#[test]
fn a_taken_port_names_the_port_option() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = sonde()
        .args([
            "serve",
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let err = text(&out.stderr);
    assert!(err.contains("Address already in use"), "{err}");
    assert!(
        err.contains(&format!("holds port {port}: choose another with --port")),
        "{err}"
    );
}

#[test]
fn completions_into_a_closed_pipe_exit_0() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        // Read one line and close the pipe, as `| head -1` does.
        let mut child = sonde()
            .args(["completions", shell])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 8];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_exit(&out, 0);
        assert!(!text(&out.stderr).contains("panicked"), "{shell}");
    }
}

#[test]
fn format_json_is_refused_or_honoured_never_ignored() {
    let out = run(&["--format", "json", "completions", "zsh"], b"");
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("--format json"),
        "{}",
        text(&out.stderr)
    );
    // serve: the log becomes JSON Lines, given before or after `serve`.
    for before in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::common::free_port().to_string();
        let mut cmd = sonde();
        if before {
            cmd.args(["--format", "json", "serve"]);
        } else {
            cmd.args(["serve", "--format", "json"]);
        }
        let mut child = cmd
            .args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        let line: serde_json::Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {first}"));
        assert_eq!(line["msg"], "Ready to accept connections", "{first}");
    }
}

/// A dump big enough that loading it takes a few seconds in a debug build.
fn big_dump(dir: &std::path::Path) {
    let server = SondeServer::start(&["--enable-debug-command", "yes"]);
    let mut con = server.client();
    let _: () = redis::cmd("DEBUG")
        .arg("POPULATE")
        .arg(1_500_000)
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("SAVE").query(&mut con).unwrap();
    std::fs::copy(server.dir.path().join("dump.rdb"), dir.join("dump.rdb")).unwrap();
}

#[test]
fn loading_a_large_dump_is_announced_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    big_dump(dir.path());
    let port = crate::common::free_port().to_string();
    let started = Instant::now();
    let mut child = sonde()
        .args([
            "serve",
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--log-format",
            "json",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    // Stop it as soon as it says it is loading.
    while stderr.read_line(&mut log).unwrap() > 0 {
        if log.contains("Loading the persisted dataset") {
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            break;
        }
    }
    stderr.read_to_string(&mut log).unwrap();
    let status = child.wait().unwrap();
    assert!(
        log.contains("\"msg\":\"Loading the persisted dataset\""),
        "{log}"
    );
    if log.contains("DB loaded from disk") {
        // The machine loaded it all within 0.3 s: the signal then stopped
        // the running server, which is fine, but did not test the load.
        panic!(
            "the dump loaded before SIGINT ({:?}); make it bigger",
            started.elapsed()
        );
    }
    assert!(
        log.contains("Received shutdown signal during loading"),
        "{log}"
    );
    assert_eq!(status.code(), Some(0), "{log}");
}

#[test]
fn scripts_are_valid_shell_and_run_works_from_another_directory() {
    for script in ["setup.sh", "run.sh", "test.sh", "install.sh", "package.sh"] {
        let path = repo_root().join("scripts").join(script);
        if !path.exists() && script == "package.sh" {
            continue;
        }
        let out = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(out.status.success(), "{script}: {}", text(&out.stderr));
    }
    let run = std::fs::read_to_string(repo_root().join("scripts/run.sh")).unwrap();
    assert!(!run.contains("\ncd "), "run.sh must not change directory");
    assert!(
        !run.contains("--quiet"),
        "run.sh must show the build's progress"
    );
}

#[test]
fn cargo_toml_states_the_rust_version() {
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("rust-version = \"1.93\""));
}

/// An append-only directory (manifest and one incremental file) of
/// `commands` SETs over `keys` keys.
fn aof_dir(dir: &std::path::Path, commands: usize, keys: usize) {
    use std::io::Write;
    let aof = dir.join("appendonlydir");
    std::fs::create_dir_all(&aof).unwrap();
    std::fs::write(
        aof.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(aof.join("appendonly.aof.1.incr.aof")).unwrap(),
    );
    out.write_all(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n").unwrap();
    for i in 0..commands {
        let key = format!("key:{}", i % keys);
        let value = format!("value:{i}");
        write!(
            out,
            "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
            key.len(),
            value.len()
        )
        .unwrap();
    }
    out.flush().unwrap();
}

#[test]
fn loading_an_append_only_file_logs_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    aof_dir(dir.path(), 300_000, 1000);
    let port = crate::common::free_port().to_string();
    let mut child = sonde()
        .args([
            "serve",
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
        ])
        .args(["--log-format", "json"])
        .env("SONDE_LOADING_EVERY_MS", "1")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    while stderr.read_line(&mut log).unwrap() > 0 {
        if log.contains("Ready to accept connections") {
            break;
        }
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    stderr.read_to_string(&mut log).unwrap();
    child.wait().unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let size = std::fs::metadata(dir.path().join("appendonlydir/appendonly.aof.1.incr.aof"))
        .unwrap()
        .len() as i64;
    let announced = lines
        .iter()
        .find(|l| l["msg"] == "Loading the persisted dataset")
        .unwrap_or_else(|| panic!("no announcement: {log}"));
    assert_eq!(announced["bytes"], size, "{log}");
    let progress: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["msg"] == "Loading the dataset")
        .collect();
    assert!(!progress.is_empty(), "no progress line: {log}");
    let mut last = (0.0, 0);
    for p in &progress {
        let percent: f64 = p["percent"].as_str().unwrap().parse().unwrap();
        let commands = p["commands"].as_i64().unwrap_or(0);
        assert!((0.0..=100.0).contains(&percent), "{p}");
        assert!(p["bytes"].as_i64().unwrap() <= size, "{p}");
        assert!(percent >= last.0 && commands >= last.1, "{log}");
        last = (percent, commands);
    }
    assert!(
        last.0 > 0.0 && last.1 > 0,
        "no progress through the file: {log}"
    );
    let loaded = lines
        .iter()
        .find(|l| l["msg"] == "DB loaded from append only file")
        .unwrap_or_else(|| panic!("not loaded: {log}"));
    assert_eq!(loaded["commands"], 300_001, "{log}");
    assert_eq!(loaded["keys"], 1000, "{log}");
}
