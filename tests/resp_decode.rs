//! `sonde resp decode` on bytes a real redis-server sent, and on hand-made
//! malformed streams.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::common::{RedisServer, assert_exit, json, run, text};

/// Send `commands` (pipelined, then an ECHO marker) over a raw connection
/// and return every byte the server replied, marker reply excluded.
fn record_replies(server: &RedisServer, commands: &[&[&str]]) -> Vec<u8> {
    let mut stream = TcpStream::connect(server.addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = Vec::new();
    for cmd in commands {
        sonde::resp::encode::command(&mut request, cmd);
    }
    let marker = b"$16\r\nend-of-recording\r\n";
    sonde::resp::encode::command(&mut request, &["ECHO", "end-of-recording"]);
    stream.write_all(&request).unwrap();
    let mut replies = Vec::new();
    let mut chunk = [0u8; 4096];
    while !replies.ends_with(marker) {
        let n = stream.read(&mut chunk).expect("read replies");
        assert!(n > 0, "server closed early; got {:?}", text(&replies));
        replies.extend_from_slice(&chunk[..n]);
    }
    replies.truncate(replies.len() - marker.len());
    replies
}

fn types(frames: &Value) -> Vec<&str> {
    frames
        .as_array()
        .expect("array")
        .iter()
        .map(|f| f["type"].as_str().expect("type"))
        .collect()
}

#[test]
fn decodes_resp2_replies_from_real_redis() {
    let server = RedisServer::start(&[]);
    let _: () = redis::cmd("RPUSH")
        .arg("l")
        .arg("a")
        .arg(&b"b\xffc"[..])
        .query(&mut server.client())
        .unwrap();
    let replies = record_replies(
        &server,
        &[
            &["SET", "k", "v"],
            &["GET", "k"],
            &["GET", "missing"],
            &["INCR", "n"],
            &["RPUSH", "l", "a", "b"],
            &["LRANGE", "l", "0", "-1"],
            &["NOSUCHCOMMAND"],
            &["BLPOP", "nothing", "0.01"],
            &["ZADD", "z", "1.5", "m"],
            &["ZSCORE", "z", "m"],
            &["MGET", "k", "missing"],
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("replies.resp");
    std::fs::write(&file, &replies).unwrap();

    let out = run(
        &["--format", "json", "resp", "decode", file.to_str().unwrap()],
        b"",
    );
    assert_exit(&out, 0);
    let frames = json(&out.stdout);
    assert_eq!(
        types(&frames),
        [
            "simple", "bulk", "null", "integer", "integer", "array", "error", "null", "integer",
            "bulk", "array"
        ]
    );
    assert_eq!(frames[0]["value"], "OK");
    assert_eq!(frames[1]["value"], "v");
    assert_eq!(frames[2]["variant"], "null_bulk");
    assert_eq!(frames[7]["variant"], "null_array");
    // Non-UTF-8 bytes come back as base64.
    assert_eq!(frames[5]["value"][1]["value"]["base64"], "Yv9j");
    assert_eq!(frames[4]["value"], 4);
    assert!(
        frames[6]["value"]
            .as_str()
            .unwrap()
            .starts_with("ERR unknown command 'NOSUCHCOMMAND'")
    );
    assert_eq!(frames[9]["value"], "1.5");
    // Offsets and lengths tile the recording exactly.
    let mut expected_offset = 0;
    for f in frames.as_array().unwrap() {
        assert_eq!(f["offset"].as_u64().unwrap(), expected_offset);
        expected_offset += f["length"].as_u64().unwrap();
    }
    assert_eq!(expected_offset, replies.len() as u64);
    // Nested frames carry absolute offsets.
    let inner = &frames[5]["value"][0];
    let at = inner["offset"].as_u64().unwrap() as usize;
    assert_eq!(&replies[at..at + 7], b"$1\r\na\r\n");

    // The table view shows the same frames the redis-cli way.
    let out = run(&["resp", "decode", file.to_str().unwrap()], b"");
    assert_exit(&out, 0);
    let table = text(&out.stdout);
    for expected in [
        "OFFSET",
        "(integer) 1",
        "(nil)",
        "1) \"a\"",
        "2) \"b\\xffc\"",
        "(error) ERR unknown",
    ] {
        assert!(
            table.contains(expected),
            "missing {expected:?} in:\n{table}"
        );
    }
}

#[test]
fn decodes_resp3_replies_from_real_redis() {
    let server = RedisServer::start(&["--enable-debug-command", "yes"]);
    let replies = record_replies(
        &server,
        &[
            &["HELLO", "3"],
            &["GET", "missing"],
            &["HSET", "h", "f", "v"],
            &["HGETALL", "h"],
            &["SADD", "s", "x"],
            &["SMEMBERS", "s"],
            &["ZADD", "z", "2.5", "m"],
            &["ZSCORE", "z", "m"],
            &["DEBUG", "PROTOCOL", "attrib"],
            &["DEBUG", "PROTOCOL", "bignum"],
            &["DEBUG", "PROTOCOL", "true"],
            &["DEBUG", "PROTOCOL", "verbatim"],
            &["DEBUG", "PROTOCOL", "push"],
        ],
    );
    let out = run(&["--format", "json", "resp", "decode", "-"], &replies);
    assert_exit(&out, 0);
    let frames = json(&out.stdout);
    assert_eq!(
        types(&frames),
        [
            "map",
            "null",
            "integer",
            "map",
            "integer",
            "set",
            "integer",
            "double",
            "attribute",
            "bignum",
            "boolean",
            "verbatim",
            "push",
            "bulk"
        ]
    );
    let hello = frames[0]["value"].as_array().unwrap();
    assert!(
        hello
            .iter()
            .any(|pair| pair[0]["value"] == "proto" && pair[1]["value"] == 3)
    );
    assert_eq!(frames[1]["variant"], "null");
    assert_eq!(frames[3]["value"][0][1]["value"], "v");
    assert_eq!(frames[7]["value"], 2.5);
    assert_eq!(frames[8]["value"][0][0]["value"], "key-popularity");
    assert_eq!(
        frames[8]["frame"]["value"],
        "Some real reply following the attribute"
    );
    assert_eq!(frames[9]["value"], "1234567999999999999999999999999999999");
    assert_eq!(frames[10]["value"], true);
    assert_eq!(frames[11]["format"], "txt");
    assert_eq!(frames[11]["value"], "This is a verbatim\nstring");
    assert_eq!(frames[12]["value"][1]["value"], 42);

    // --resp2 refuses the first RESP3 frame, after reporting nothing before it.
    let out = run(&["resp", "decode", "--resp2"], &replies);
    assert_exit(&out, 1);
    assert!(
        text(&out.stderr).contains("at byte 0: type byte '%' is RESP3-only"),
        "{}",
        text(&out.stderr)
    );
}

/// Decoding `input` fails with exit 1, reports the frames before the fault
/// (as JSON) and names the fault on stderr.
#[track_caller]
fn malformed(input: &[u8], extra: &[&str], frames_before: usize, message: &str) {
    let mut args = vec!["--format", "json", "resp", "decode"];
    args.extend_from_slice(extra);
    let out = run(&args, input);
    assert_exit(&out, 1);
    let frames = json(&out.stdout);
    assert_eq!(
        frames.as_array().unwrap().len(),
        frames_before,
        "{}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("sonde: <stdin>: "), "{stderr}");
    assert!(
        stderr.contains(message),
        "expected {message:?} in:\n{stderr}"
    );
}

#[test]
fn malformed_streams_are_explained() {
    malformed(
        b"+OK\r\n?x\r\n",
        &[],
        1,
        "malformed RESP at byte 5: unknown type byte '?'",
    );
    malformed(b"$-2\r\n", &[], 0, "at byte 1: negative length -2");
    malformed(b":1\r\n*-7\r\n", &[], 1, "at byte 5: negative length -7");
    malformed(
        b"$600000000\r\n",
        &[],
        0,
        "bulk length 600000000 exceeds the limit of 536870912 bytes",
    );
    malformed(
        b"$11\r\nhello world\r\n",
        &["--max-bulk-len", "10"],
        0,
        "exceeds the limit of 10 bytes",
    );
    malformed(
        b"*2000000\r\n",
        &[],
        0,
        "aggregate of 2000000 elements exceeds the limit of 1048576",
    );
    malformed(
        b"$3\r\nfooXY",
        &[],
        0,
        "at byte 7: expected CRLF, found 'X'",
    );
    malformed(b"+OK\n", &[], 0, "at byte 3: expected CRLF, found '\\n'");
    malformed(
        b":1\r\n$10\r\nabc",
        &[],
        1,
        "incomplete frame at offset 4: needs at least 9 more bytes",
    );
    malformed(
        &b"*1\r\n".repeat(200),
        &[],
        0,
        "nesting deeper than the limit of 128 levels",
    );
    malformed(
        &b"*1\r\n".repeat(5),
        &["--max-depth", "3"],
        0,
        "at byte 12: nesting deeper than the limit of 3",
    );
    malformed(
        b"2a31zz",
        &["--hex"],
        0,
        "invalid hex digit 'z' at line 1, column 5",
    );
    malformed(b"+a\r\n+b", &[], 1, "incomplete frame at offset 4");
}

#[test]
fn malformed_input_shows_the_bytes_around_the_fault() {
    let out = run(&["resp", "decode"], b"$3\r\nabcXY\r\n");
    assert_exit(&out, 1);
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[1].contains("24 33 0d 0a 61 62 63 58 59 0d 0a") && lines[1].ends_with("$3..abcXY..")
    );
    // The caret sits under the offending byte's hex digits.
    let caret = lines[2].find("^^").unwrap();
    assert_eq!(&lines[1][caret..caret + 2], "58");
}

#[test]
fn hex_input_and_stats() {
    let mut stream = Vec::new();
    for _ in 0..3 {
        sonde::resp::encode::command(&mut stream, &["SET", "k", "v"]);
    }
    sonde::resp::encode::command(&mut stream, &["get", "k"]);
    stream.extend_from_slice(b":1\r\n");
    let hex: String = stream.iter().map(|b| format!("{b:02x} ")).collect();
    let out = run(
        &["--format", "json", "resp", "decode", "--hex", "--stats"],
        hex.as_bytes(),
    );
    assert_exit(&out, 0);
    let stats = json(&out.stdout);
    assert_eq!(stats["frames"], 5);
    assert_eq!(stats["bytes"], stream.len() as u64);
    assert_eq!(stats["types"]["array"]["frames"], 4);
    assert_eq!(stats["types"]["integer"]["frames"], 1);
    assert_eq!(stats["commands"][0]["command"], "SET");
    assert_eq!(stats["commands"][0]["count"], 3);
    assert_eq!(stats["commands"][1]["command"], "GET");
    assert_eq!(stats["error"], Value::Null);
}

#[test]
fn large_streams_decode_in_bounded_memory() {
    // 64 MiB of pipelined commands through a pipe: the decoder must stream.
    let mut one = Vec::new();
    sonde::resp::encode::command(&mut one, &["SET", "key:000000", &"x".repeat(100)]);
    let count = 64 * 1024 * 1024 / one.len();
    let stream = one.repeat(count);
    let mut child = crate::common::sonde()
        .args(["resp", "decode", "--stats", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&stream).unwrap());
    let pid = child.id();
    let mut peak_kb = 0u64;
    while writer.is_finished().then_some(()).is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            for line in status.lines().filter(|l| l.starts_with("VmHWM:")) {
                peak_kb = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(json(&out.stdout)["frames"], count as u64);
    assert!(
        peak_kb > 0 && peak_kb < 48 * 1024,
        "peak RSS {peak_kb} KiB for a 64 MiB stream"
    );
}
