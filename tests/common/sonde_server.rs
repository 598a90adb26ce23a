//! A real `sonde serve` for tests: started on a free loopback port with its
//! log captured in a temporary directory that is also its `dir`, with
//! persistence off unless the test's own directives turn it on (as the
//! redis-server fixture), ready once it answers PING, killed on drop. A
//! port taken between choosing and binding is retried on another one.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use super::redis_server::wait_for_ping;
use super::{free_port, sonde};

pub struct SondeServer {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl SondeServer {
    /// Start with `--port <free> --bind 127.0.0.1` plus `extra` directives.
    pub fn start(extra: &[&str]) -> SondeServer {
        Self::start_with(None, extra)
    }

    /// Start with a config file (its path is the first argument).
    pub fn start_with(config: Option<&Path>, extra: &[&str]) -> SondeServer {
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir");
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("sonde.log")).expect("log file");
            let mut cmd = sonde();
            cmd.arg("serve");
            if let Some(path) = config {
                cmd.arg(path);
            }
            let mut child = cmd
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--log-format", "json"])
                .args(["--save", "", "--appendonly", "no", "--dir"])
                .arg(dir.path())
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn sonde serve");
            if wait_for_ping(port, &mut child, Duration::from_secs(10)) {
                return SondeServer {
                    child: Some(child),
                    port,
                    dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(dir.path().join("sonde.log")).unwrap_or_default();
        }
        panic!("sonde serve did not start after 5 attempts; its log:\n{last_log}")
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("sonde.log")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// A client from the redis crate.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("connect to sonde")
    }

    /// A raw TCP connection with a read timeout.
    pub fn raw(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr()).expect("connect to sonde");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        stream
    }

    /// The process, e.g. to signal or wait for it.
    pub fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("server process")
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child().try_wait(), Ok(None))
    }

    /// Resident set size in bytes, from /proc.
    pub fn rss(&mut self) -> usize {
        let pid = self.child().id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

impl Drop for SondeServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
