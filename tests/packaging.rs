//! The Debian package and what it needs from `serve`: scripts/package.sh
//! packages the binary this test run built (`cargo deb --no-build`; building
//! the fat-LTO release binary a second time would cost CI minutes for
//! nothing), and the package must hold the binary, every man page, the
//! completions and the systemd unit. The unit is Type=notify, so a server
//! started with `supervised systemd` must send READY=1 through
//! NOTIFY_SOCKET once it accepts connections.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{free_port, repo_root, sonde, text};

/// The cargo profile that built the binary under test (release or debug).
fn profile() -> &'static str {
    let bin = Path::new(env!("CARGO_BIN_EXE_sonde"));
    match bin
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
    {
        Some("release") => "release",
        _ => "dev",
    }
}

#[test]
fn the_deb_holds_binary_man_pages_completions_and_unit() {
    let out_dir = tempfile::tempdir().unwrap();
    let deb = out_dir.path().join("sonde.deb");
    let out = Command::new(repo_root().join("scripts/package.sh"))
        .args(["--no-build", "--profile", profile(), "--output"])
        .arg(&deb)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/package.sh failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let listing = Command::new("dpkg-deb")
        .arg("-c")
        .arg(&deb)
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", text(&listing.stderr));
    let files: Vec<String> = text(&listing.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|p| p.trim_start_matches('.').to_owned())
        .collect();
    let mut expected = vec![
        "/usr/bin/sonde".to_owned(),
        "/usr/share/bash-completion/completions/sonde".to_owned(),
        "/usr/share/zsh/vendor-completions/_sonde".to_owned(),
        "/usr/share/fish/vendor_completions.d/sonde.fish".to_owned(),
        "/usr/lib/systemd/system/sonde.service".to_owned(),
        "/etc/sonde/sonde.conf".to_owned(),
    ];
    for page in std::fs::read_dir(repo_root().join("man")).unwrap() {
        let name = page.unwrap().file_name().into_string().unwrap();
        expected.push(format!("/usr/share/man/man1/{name}.gz"));
    }
    for want in &expected {
        assert!(
            files.contains(want),
            "{want} missing from the package:\n{files:#?}"
        );
    }
    // The packaged binary is the one under test (stripped by cargo deb).
    let extracted = tempfile::tempdir().unwrap();
    let x = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(extracted.path())
        .status()
        .unwrap();
    assert!(x.success());
    let packaged = Command::new(extracted.path().join("usr/bin/sonde"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        text(&packaged.stdout),
        format!("sonde {}\n", env!("CARGO_PKG_VERSION"))
    );
    let unit = std::fs::read_to_string(
        extracted
            .path()
            .join("usr/lib/systemd/system/sonde.service"),
    )
    .unwrap();
    assert!(unit.contains("Type=notify"), "{unit}");
    assert!(
        unit.contains("ExecStart=/usr/bin/sonde serve /etc/sonde/sonde.conf"),
        "{unit}"
    );
    let conf = std::fs::read_to_string(extracted.path().join("etc/sonde/sonde.conf")).unwrap();
    assert!(conf.lines().any(|l| l == "supervised systemd"), "{conf}");
    // The packaged configuration is one `sonde serve` accepts.
    let check = sonde()
        .arg("serve")
        .arg(extracted.path().join("etc/sonde/sonde.conf"))
        .args(["--port", "0", "--dir"])
        .arg(extracted.path())
        .args(["--bind", "256.0.0.1"])
        .output()
        .unwrap();
    let err = text(&check.stderr);
    assert!(!err.contains("invalid configuration"), "{err}");
    let control = Command::new("dpkg-deb")
        .args(["-f"])
        .arg(&deb)
        .output()
        .unwrap();
    let control = text(&control.stdout);
    assert!(control.contains("Package: sonde"), "{control}");
    assert!(
        control.contains(&format!("Version: {}", env!("CARGO_PKG_VERSION"))),
        "{control}"
    );
}

#[test]
fn supervised_systemd_sends_ready_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let port = free_port().to_string();
    let mut child = sonde()
        .args([
            "serve",
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--supervised",
            "systemd",
        ])
        .current_dir(dir.path())
        .env("NOTIFY_SOCKET", &socket_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut messages = Vec::new();
    let mut buf = [0u8; 4096];
    while !messages.iter().any(|m: &String| m.contains("READY=1")) {
        let n = socket.recv(&mut buf).expect("a notification within 20 s");
        messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let ready = messages.last().unwrap();
    assert!(
        ready.contains(&format!("MAINPID={}", child.id())),
        "{ready}"
    );
    assert!(
        ready.contains("STATUS=Ready to accept connections"),
        "{ready}"
    );
    assert!(messages[0].starts_with("STATUS=Loading"), "{messages:?}");
    // The server answers once it said READY.
    let mut con = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let n = socket.recv(&mut buf).expect("STOPPING=1");
    assert!(String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1"));
    assert!(child.wait().unwrap().success());
    // Without NOTIFY_SOCKET (not under systemd) it starts as usual.
    let port = free_port().to_string();
    let mut plain = sonde()
        .args([
            "serve",
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--supervised",
            "systemd",
        ])
        .current_dir(dir.path())
        .env_remove("NOTIFY_SOCKET")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(crate::common::redis_server::wait_for_ping(
        port.parse().unwrap(),
        &mut plain,
        Duration::from_secs(10)
    ));
    plain.kill().unwrap();
    plain.wait().unwrap();
}
