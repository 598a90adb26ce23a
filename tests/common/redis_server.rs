//! A real redis-server for tests: started on a free loopback port with
//! persistence off and its own temporary directory, ready once it answers
//! PING, killed on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

/// Fail (never skip) when a tool the test needs is missing, saying how to
/// get it.
#[track_caller]
pub fn require_tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "{name} is not installed; run scripts/setup.sh (it installs redis-server and \
             redis-tools with apt-get) or `sudo apt-get install -y redis-server redis-tools`"
        )
    })
}

/// The differential tests compare sonde with Redis 7.0's exact replies,
/// encodings and file formats: another release differs in ways that would
/// fail them for the wrong reason, so say which version is needed instead.
#[track_caller]
pub fn require_redis_7_0(binary: &std::path::Path) {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let version = VERSION.get_or_init(|| {
        let out = Command::new(binary)
            .arg("--version")
            .output()
            .expect("run redis-server --version");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_whitespace()
            .find_map(|word| word.strip_prefix("v="))
            .unwrap_or("unknown")
            .to_owned()
    });
    assert!(
        version.starts_with("7.0."),
        "these tests compare sonde with redis-server 7.0.x, found {version} at {}; \
         install 7.0 (Debian 12's redis-server package; scripts/setup.sh installs it) \
         and put it first on PATH",
        binary.display()
    );
}

pub struct RedisServer {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl RedisServer {
    /// Start redis-server with the test defaults plus `extra` directives
    /// (e.g. `["--enable-debug-command", "yes"]`).
    pub fn start(extra: &[&str]) -> RedisServer {
        let binary = require_tool("redis-server");
        require_redis_7_0(&binary);
        let mut last_error = String::new();
        for _attempt in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir");
            let port = free_port();
            let mut child = Command::new(&binary)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir.path())
                .args(["--logfile", "redis.log"])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn redis-server");
            if wait_for_ping(port, &mut child, Duration::from_secs(10)) {
                return RedisServer { child, port, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
            last_error = std::fs::read_to_string(dir.path().join("redis.log")).unwrap_or_default();
        }
        panic!("redis-server did not start after 5 attempts; its log:\n{last_error}")
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A client from the redis crate.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("connect to redis-server")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True once something on `port` answers PING (with `+PONG`, or with
/// `-NOAUTH` when a password is required); false if the process exits or
/// the deadline passes.
pub fn wait_for_ping(port: u16, child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut reply = [0u8; 7];
            if stream.write_all(b"PING\r\n").is_ok()
                && stream.read_exact(&mut reply).is_ok()
                && (&reply == b"+PONG\r\n" || &reply == b"-NOAUTH")
            {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
