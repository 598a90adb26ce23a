//! Test harness: run the built binary, find free loopback ports, start
//! real Redis servers and `sonde serve` instances that stop when dropped,
//! and compare both servers' replies byte for byte (`differential`).

#![allow(dead_code)]

pub mod dataset;
pub mod differential;
pub mod keyspace;
pub mod prometheus;
pub mod redis_server;
pub mod sonde_server;

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub use redis_server::RedisServer;
pub use sonde_server::SondeServer;

/// The sonde binary under test.
pub fn sonde() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sonde"))
}

/// Run sonde with `args`, feeding `stdin`, and collect everything.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = sonde()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sonde");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    // Write from a thread so a large input cannot deadlock against output.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for sonde");
    writer.join().expect("stdin writer");
    out
}

/// Text of a byte buffer, for assertions and failure messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Assert the exit code, printing everything the command said on failure.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// A port on 127.0.0.1 that was free a moment ago. Servers that fail to
/// bind it are retried on another one by their fixtures.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// Parse JSON output, failing with the text when it is not JSON.
#[track_caller]
pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", text(bytes)))
}

/// The repository root (for golden and generated files).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}
