//! Faults and hostile input against the real binary: each test is one way
//! sonde used to lose data, crash or grow without bound, and proves it no
//! longer does.
//!
//! - inputs that are not regular files (`/dev/zero`, `/dev/urandom`, an
//!   endless pipe) under an address-space limit (`prlimit`);
//! - a fake master that sends a line without end, to `replica tail` and to
//!   `serve --replicaof`;
//! - a dump truncated while `rdb inspect` has it mapped (SIGBUS);
//! - huge counts (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, `--top`);
//! - an unauthenticated client that floods the server and reads nothing;
//! - query buffers that stay large, a backlog sized by its setting, an
//!   empty dbfilename;
//! - a full disk under `appendfsync always` (a small tmpfs: mounted where
//!   the test may, skipped loudly elsewhere, and failing under CI=true).
//!
//! The orphaned BGSAVE child is covered in `persistence.rs`
//! (`a_bgsave_child_dies_with_its_server_and_never_replaces_a_newer_dump`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::common::{SondeServer, assert_exit, repo_root, text};

/// Address space for the capped runs: enough for the binary and its
/// threads, far less than an unbounded read would take.
const AS_LIMIT: u64 = 1 << 30;

fn capped_sonde(args: &[&str]) -> Command {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={AS_LIMIT}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_sonde"))
        .args(args);
    cmd
}

fn output(cmd: &mut Command) -> std::process::Output {
    cmd.stdin(Stdio::null())
        .output()
        .expect("run sonde under prlimit")
}

#[test]
fn devices_and_endless_pipes_are_read_with_a_cap_under_a_memory_limit() {
    for device in ["/dev/zero", "/dev/urandom"] {
        let out = output(&mut capped_sonde(&["rdb", "inspect", device]));
        assert_exit(&out, 1);
        assert!(
            text(&out.stderr).contains("bad magic"),
            "{}",
            text(&out.stderr)
        );
        let out = output(&mut capped_sonde(&["ring", "simulate", "--rdb", device]));
        assert_exit(&out, 1);
    }
    // A config file that never ends.
    let out = output(&mut capped_sonde(&["serve", "/dev/zero", "--port", "0"]));
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("/dev/zero is not a regular file and holds more than"),
        "{}",
        text(&out.stderr)
    );
    // A pipe that starts like a dump and never ends.
    let mut child = capped_sonde(&["rdb", "inspect", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let chunk = vec![0u8; 1 << 20];
        let _ = stdin.write_all(b"REDIS0011");
        let mut sent = 0u64;
        while stdin.write_all(&chunk).is_ok() {
            sent += chunk.len() as u64;
            assert!(sent < 16 << 30, "sonde kept reading an endless pipe");
        }
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    assert_exit(&out, 2);
    assert!(
        text(&out.stderr).contains("<stdin> is not a regular file and holds more than"),
        "{}",
        text(&out.stderr)
    );
}

/// Read one RESP command (an array of bulk strings) from a client.
fn read_command(reader: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let count: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::new();
    for _ in 0..count {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let len: usize = line.trim().strip_prefix('$')?.parse().ok()?;
        let mut arg = vec![0; len + 2];
        reader.read_exact(&mut arg).ok()?;
        arg.truncate(len);
        args.push(String::from_utf8_lossy(&arg).into_owned());
    }
    Some(args)
}

/// A master that answers the handshake, sends a small snapshot, then a
/// `+` line that never ends. Reports, per replica connection, how many
/// bytes of that line it could send before the replica hung up (or the
/// 256 MiB it gives up at).
fn endless_line_master() -> (u16, Receiver<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let rdb = std::fs::read(repo_root().join("tests/data/rdb/redis-rdb-tools/empty_database.rdb"))
        .expect("fixture");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            let rdb = rdb.clone();
            std::thread::spawn(move || {
                let mut out = stream.try_clone().expect("clone");
                let mut reader = BufReader::new(stream);
                while let Some(args) = read_command(&mut reader) {
                    let name = args[0].to_ascii_uppercase();
                    let reply: Vec<u8> = match name.as_str() {
                        "PING" => b"+PONG\r\n".to_vec(),
                        "AUTH" | "REPLCONF" => b"+OK\r\n".to_vec(),
                        "INFO" => {
                            let body = "# Replication\r\nrole:master\r\nconnected_slaves:1\r\n\
                                        master_repl_offset:0\r\n";
                            format!("${}\r\n{body}\r\n", body.len()).into_bytes()
                        }
                        "PSYNC" => {
                            let mut r = format!(
                                "+FULLRESYNC {} 0\r\n${}\r\n",
                                "8de1787ba490483314a4d30f1c628bc5025eb761",
                                rdb.len()
                            )
                            .into_bytes();
                            r.extend_from_slice(&rdb);
                            if out.write_all(&r).is_err() {
                                return;
                            }
                            let chunk = vec![b'x'; 64 * 1024];
                            let mut sent = 0u64;
                            let _ = out.write_all(b"+");
                            while sent < 256 << 20 && out.write_all(&chunk).is_ok() {
                                sent += chunk.len() as u64;
                            }
                            let _ = tx.send(sent);
                            return;
                        }
                        _ => b"-ERR unknown command\r\n".to_vec(),
                    };
                    if out.write_all(&reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, rx)
}

/// Bytes of the endless line a replica may take before dropping the link:
/// 64 KiB of line plus what the sockets' buffers hold.
const ENDLESS_LINE_BOUND: u64 = 32 << 20;

#[test]
fn replica_tail_drops_a_master_that_sends_an_endless_line() {
    let (port, sent) = endless_line_master();
    let out = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(["replica", "tail", &format!("127.0.0.1:{port}")])
        .args(["--format", "json", "--timeout", "10", "--duration", "60"])
        .stdin(Stdio::null())
        .output()
        .expect("run replica tail");
    let sent = sent
        .recv_timeout(Duration::from_secs(30))
        .expect("the master sent its line");
    assert!(
        sent < ENDLESS_LINE_BOUND,
        "the replica took {sent} bytes of one line"
    );
    assert_exit(&out, 1);
    assert!(
        text(&out.stderr).contains("no line end in the first 65538 bytes"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn serve_drops_a_master_that_sends_an_endless_line() {
    let (port, sent) = endless_line_master();
    let mut server = SondeServer::start(&["--replicaof", "127.0.0.1", &port.to_string()]);
    // The first connection and the reconnection after it: each dropped.
    for _ in 0..2 {
        let sent = sent
            .recv_timeout(Duration::from_secs(30))
            .expect("the master sent its line");
        assert!(
            sent < ENDLESS_LINE_BOUND,
            "the replica took {sent} bytes of one line"
        );
    }
    assert!(server.is_running());
    assert!(server.rss() < 256 << 20, "rss {}", server.rss());
    let pong: String = redis::cmd("PING").query(&mut server.client()).unwrap();
    assert_eq!(pong, "PONG");
    assert!(server.log().contains("no line end"), "{}", server.log());
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_dump_truncated_while_inspected_is_reported_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.rdb");
    // A header, then zero bytes: each three of them an empty string key,
    // so the parser is busy for a long while over the whole file.
    {
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(b"REDIS0011").unwrap();
        f.set_len(256 << 20).unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(["rdb", "inspect", "--format", "json"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let maps = format!("/proc/{pid}/maps");
    let name = path.display().to_string();
    // Step the process until the file is mapped, then truncate it while
    // the process is stopped, as `cp` over it would.
    wait_until("the mapping", Duration::from_secs(30), || {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        let mapped = std::fs::read_to_string(&maps)
            .unwrap_or_default()
            .contains(&name);
        if !mapped {
            unsafe { libc::kill(pid, libc::SIGCONT) };
        }
        mapped
    });
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(4096)
        .unwrap();
    unsafe { libc::kill(pid, libc::SIGCONT) };
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 1);
    assert!(
        text(&out.stderr).contains("the file shrank while being read"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn huge_counts_are_refused_before_anything_is_allocated() {
    let mut server = SondeServer::start(&[]);
    let mut c = server.client();
    let _: () = redis::cmd("SADD").arg("s").arg("a").query(&mut c).unwrap();
    let _: () = redis::cmd("HSET")
        .arg("h")
        .arg("f")
        .arg("v")
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("ZADD")
        .arg("z")
        .arg(1)
        .arg("m")
        .query(&mut c)
        .unwrap();
    for (cmd, key) in [
        ("SRANDMEMBER", "s"),
        ("HRANDFIELD", "h"),
        ("ZRANDMEMBER", "z"),
    ] {
        for count in ["-2147483648", "-9223372036854775807"] {
            let err = redis::cmd(cmd)
                .arg(key)
                .arg(count)
                .query::<redis::Value>(&mut c)
                .unwrap_err();
            assert!(
                err.to_string().contains("out of range"),
                "{cmd} {count}: {err}"
            );
        }
    }
    // Smaller negative counts still repeat, as in Redis.
    let five: Vec<String> = redis::cmd("SRANDMEMBER")
        .arg("s")
        .arg(-5)
        .query(&mut c)
        .unwrap();
    assert_eq!(five, vec!["a"; 5]);
    assert!(server.is_running());

    let dump = repo_root().join("tests/data/rdb/rdb/example.rdb");
    let out = output(
        capped_sonde(&["rdb", "inspect", "--top", "100000000", "--format", "json"]).arg(&dump),
    );
    assert_exit(&out, 0);
}

#[test]
fn an_unauthenticated_flood_is_cut_off() {
    let mut server = SondeServer::start(&["--requirepass", "secret"]);
    let mut stream = server.raw();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let pipeline = b"PING\r\n".repeat(10_000);
    let mut sent = 0usize;
    let cut = loop {
        match stream.write(&pipeline) {
            Ok(n) => sent += n,
            Err(e) => break e,
        }
        assert!(
            sent < 64 << 20,
            "the server kept reading an unauthenticated flood"
        );
    };
    assert!(
        matches!(
            cut.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        ),
        "{cut}"
    );
    // Many connections doing the same do not add up.
    for _ in 0..20 {
        let mut s = server.raw();
        let _ = s.write_all(&pipeline);
    }
    assert!(server.rss() < 128 << 20, "rss {}", server.rss());
    // Before AUTH: at most 10 arguments of 16 KiB.
    let mut s = server.raw();
    s.write_all(b"*11\r\n").unwrap();
    let mut reply = String::new();
    BufReader::new(&s).read_line(&mut reply).unwrap();
    assert_eq!(
        reply,
        "-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    // The server is fine for those who authenticate.
    let mut c = redis::Client::open(format!("redis://:secret@127.0.0.1:{}/", server.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
}

fn client_list_field(conn: &mut redis::Connection, needle: &str, field: &str) -> u64 {
    let list: String = redis::cmd("CLIENT").arg("LIST").query(conn).unwrap();
    let line = list
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no client with {needle} in\n{list}"));
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {line}"))
}

#[test]
fn an_idle_query_buffer_shrinks() {
    let server = SondeServer::start(&[]);
    let mut big = server.client();
    let _: () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("big")
        .query(&mut big)
        .unwrap();
    let value = vec![b'v'; 4 << 20];
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&value)
        .query(&mut big)
        .unwrap();
    let mut admin = server.client();
    assert!(client_list_field(&mut admin, "name=big", "qbuf-free") >= 1 << 20);
    // Redis trims a buffer idle for more than 2 seconds from its cron.
    wait_until(
        "the query buffer to shrink",
        Duration::from_secs(10),
        || client_list_field(&mut admin, "name=big", "qbuf-free") < 4096,
    );
}

#[test]
fn a_huge_backlog_setting_costs_only_what_the_stream_wrote() {
    let mut master = SondeServer::start(&[]);
    let mut c = master.client();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("repl-backlog-size")
        .arg("100gb")
        .query(&mut c)
        .unwrap();
    let replica = SondeServer::start(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let mut r = replica.client();
    wait_until("the replica to attach", Duration::from_secs(30), || {
        let info: String = redis::cmd("INFO").arg("replication").query(&mut r).unwrap();
        info.contains("master_link_status:up")
    });
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let pid = master.child().id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let vm_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(vm_kib < 16 << 20, "VmSize {vm_kib} kB with a 100gb backlog");
}

#[test]
fn an_empty_dbfilename_starts_empty() {
    let server = SondeServer::start(&["--dbfilename", ""]);
    let n: i64 = redis::cmd("DBSIZE").query(&mut server.client()).unwrap();
    assert_eq!(n, 0);
}

/// Mount a tmpfs of `size` at `dir`; false (after saying why) where this
/// process may not mount. Under CI=true that is a failure.
fn mount_tmpfs(dir: &Path, size: &str) -> bool {
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .output();
    match out {
        Ok(o) if o.status.success() => true,
        other => {
            let why = match other {
                Ok(o) => text(&o.stderr),
                Err(e) => e.to_string(),
            };
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: cannot mount a tmpfs for the full-disk test: {why}"
            );
            eprintln!("SKIPPED full-disk test: cannot mount a tmpfs here ({why})");
            false
        }
    }
}

struct Unmount<'a>(&'a Path);

impl Drop for Unmount<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0).status();
    }
}

/// The complete commands at the start of an AOF, and where they end.
fn complete_commands(bytes: &[u8]) -> (usize, usize) {
    let mut pos = 0;
    let mut commands = 0;
    while pos < bytes.len() {
        match sonde::resp::decode::check(&bytes[pos..]) {
            Ok(len) => {
                pos += len;
                commands += 1;
            }
            Err(_) => break,
        }
    }
    (commands, pos)
}

#[test]
fn a_full_disk_never_leaves_a_torn_command_in_the_aof() {
    let mount = tempfile::tempdir().unwrap();
    if !mount_tmpfs(mount.path(), "2m") {
        return;
    }
    let _unmount = Unmount(mount.path());
    let dir = mount.path().to_str().unwrap();
    let mut server = SondeServer::start(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        dir,
    ]);
    let mut c = server.client();
    let value = vec![b'x'; 100_000];
    let mut acknowledged = 0;
    for i in 0..100 {
        match redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(&value)
            .query::<()>(&mut c)
        {
            Ok(()) => acknowledged += 1,
            Err(_) => break,
        }
    }
    // With `appendfsync always` a failed write stops the server, as Redis.
    wait_until("the server to stop", Duration::from_secs(10), || {
        !server.is_running()
    });
    let aof_dir = Path::new(dir).join("appendonlydir");
    let incr = std::fs::read_dir(&aof_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".incr.aof"))
        .expect("an INCR file");
    let bytes = std::fs::read(&incr).unwrap();
    let (commands, end) = complete_commands(&bytes);
    assert_eq!(
        end,
        bytes.len(),
        "{} ends in a torn command after {commands} whole ones",
        incr.display()
    );
    // Nothing acknowledged is missing.
    assert!(
        commands > acknowledged,
        "{commands} commands, {acknowledged} acknowledged"
    );
}

/// Found by the fuzz run: an empty line where a bulk count belongs made
/// the request framer slice backwards and the server panic.
#[test]
fn an_empty_line_for_a_bulk_count_is_a_protocol_error() {
    let mut server = SondeServer::start(&[]);
    let mut s = server.raw();
    s.write_all(b"*1\r\n\r\nX").unwrap();
    let mut reply = String::new();
    BufReader::new(&s).read_line(&mut reply).unwrap();
    assert!(
        reply.starts_with("-ERR Protocol error: expected '$'"),
        "{reply:?}"
    );
    assert!(server.is_running());
    let pong: String = redis::cmd("PING").query(&mut server.client()).unwrap();
    assert_eq!(pong, "PONG");
}

/// A master that answers the handshake, announces a snapshot of 1000 bytes,
/// sends 100 and hangs up, every time.
fn mid_snapshot_master() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || {
                let mut out = stream.try_clone().expect("clone");
                let mut reader = BufReader::new(stream);
                while let Some(args) = read_command(&mut reader) {
                    let reply: Vec<u8> = match args[0].to_ascii_uppercase().as_str() {
                        "PING" => b"+PONG\r\n".to_vec(),
                        "PSYNC" => {
                            let mut r =
                                b"+FULLRESYNC 8de1787ba490483314a4d30f1c628bc5025eb761 0\r\n\
                                $1000\r\nREDIS0011"
                                    .to_vec();
                            r.resize(r.len() + 91, 0);
                            let _ = out.write_all(&r);
                            return;
                        }
                        "INFO" => b"$0\r\n\r\n".to_vec(),
                        _ => b"+OK\r\n".to_vec(),
                    };
                    if out.write_all(&reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn replica_tail_says_where_a_master_keeps_breaking_the_transfer() {
    let port = mid_snapshot_master();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args([
            "replica",
            "tail",
            &format!("127.0.0.1:{port}"),
            "--timeout",
            "5",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let Ok(line) = line else { break };
        let done = line.contains("failure 2 in a row");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let all = seen.join("\n");
    assert!(
        all.contains("during the snapshot, after 100 of 1000 bytes")
            && all.contains("failure 2 in a row without reaching the stream"),
        "{all}"
    );
}

#[test]
fn replica_tail_names_the_snapshot_it_cannot_save_on_a_full_disk() {
    let mount = tempfile::tempdir().unwrap();
    if !mount_tmpfs(mount.path(), "1m") {
        return;
    }
    let _unmount = Unmount(mount.path());
    let master = crate::common::RedisServer::start(&[]);
    // 2 MB that LZF cannot shrink.
    let mut c = master.client();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..4 {
        let value: Vec<u8> = (0..512 * 1024)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let _: () = redis::cmd("SET").arg(i).arg(value).query(&mut c).unwrap();
    }
    let target = mount.path().join("snap.rdb");
    let out = Command::new(env!("CARGO_BIN_EXE_sonde"))
        .args(["replica", "tail", &master.addr(), "--rdb", "save"])
        .arg(&target)
        .args(["--timeout", "10", "--duration", "30"])
        .stdin(Stdio::null())
        .output()
        .expect("run replica tail");
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("saving the snapshot") && stderr.contains("snap.rdb"),
        "{stderr}"
    );
    assert!(!stderr.contains("writing the report"), "{stderr}");
}
