//! Hot-key reports of `resp sniff` and `replica tail` against a scripted
//! workload whose key popularity follows a Zipf distribution: the reported
//! top keys and their counts must match the truth within the error bound
//! the report prints (the sketch is made small on purpose so that it has
//! to approximate).

use std::collections::HashMap;

use serde_json::Value;

use crate::common::RedisServer;
use crate::replica_tail::{quiet_master, tail_json};
use crate::resp_sniff::{LiveSniff, Tcpdump, can_capture};

/// Items the sketches keep in these tests: far fewer than the keys.
const SKETCH: &str = "60";

/// A deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` key references drawn from `keys` distinct keys by Zipf(s): rank r
/// has probability proportional to 1/r^s. Keys carry one of three
/// prefixes so the prefix report has something to rank.
fn zipf_keys(n: usize, keys: usize, s: f64, seed: u64) -> Vec<String> {
    let mut cdf = Vec::with_capacity(keys);
    let mut sum = 0.0;
    for r in 1..=keys {
        sum += 1.0 / (r as f64).powf(s);
        cdf.push(sum);
    }
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let u = rng.unit() * sum;
            let rank = cdf.partition_point(|&c| c < u).min(keys - 1);
            let prefix = ["user", "item", "sess"][rank % 3];
            format!("{prefix}:{rank}:v")
        })
        .collect()
}

/// Truth: references per key.
fn tally(keys: &[String]) -> HashMap<String, u64> {
    let mut t = HashMap::new();
    for k in keys {
        *t.entry(k.clone()).or_default() += 1;
    }
    t
}

/// A reported list (`{total, error_bound, rows: [{key, count, error}]}`)
/// against the truth: each row's true count lies in [count - error,
/// count], errors are within the bound, the bound within total/capacity,
/// and the count at each rank is the true count at that rank up to the
/// bound.
#[track_caller]
fn check_list(list: &Value, truth: &HashMap<String, u64>, capacity: u64, rows: usize) {
    let total: u64 = truth.values().sum();
    assert_eq!(list["total"], total, "{list}");
    let bound = list["error_bound"].as_u64().expect("error_bound");
    assert!(bound <= total / capacity, "bound {bound} > N/k: {list}");
    assert!(
        bound > 0,
        "the sketch should have had to approximate: {list}"
    );
    let reported = list["rows"].as_array().expect("rows");
    assert_eq!(reported.len(), rows, "{list}");
    let mut sorted: Vec<u64> = truth.values().copied().collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    for (rank, row) in reported.iter().enumerate() {
        let key = row["key"].as_str().expect("key");
        let count = row["count"].as_u64().unwrap();
        let error = row["error"].as_u64().unwrap();
        let t = truth.get(key).copied().unwrap_or(0);
        assert!(
            count - error <= t && t <= count && error <= bound,
            "{key}: true {t} not in [{}, {count}] (bound {bound})",
            count - error
        );
        assert!(
            count.abs_diff(sorted[rank]) <= bound,
            "rank {rank}: {key} reported {count}, true count at that rank {} (bound {bound})",
            sorted[rank]
        );
    }
    // The heaviest keys are heavier than the bound: they must be there,
    // in order.
    let mut by_truth: Vec<(&String, &u64)> = truth.iter().collect();
    by_truth.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    assert!(*by_truth[0].1 > 2 * bound, "workload not skewed enough");
    assert_eq!(reported[0]["key"], by_truth[0].0.as_str(), "{list}");
}

/// Run the workload on three connections (one named with CLIENT SETNAME),
/// pipelined: GETs of the drawn keys, every 5th a SET. The key references.
fn workload(server: &RedisServer, n: usize) -> Vec<String> {
    let keys = zipf_keys(n, 2000, 1.1, 0x5eed);
    let mut conns: Vec<redis::Connection> = (0..3).map(|_| server.client()).collect();
    redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("hot-writer")
        .query::<()>(&mut conns[0])
        .expect("CLIENT SETNAME");
    for (batch, chunk) in keys.chunks(200).enumerate() {
        let mut pipe = redis::pipe();
        for (i, key) in chunk.iter().enumerate() {
            if i % 5 == 0 {
                pipe.cmd("SET").arg(key).arg(batch).ignore();
            } else {
                pipe.cmd("GET").arg(key).ignore();
            }
        }
        pipe.query::<()>(&mut conns[batch % 3]).expect("pipeline");
    }
    keys
}

/// The checks shared by the capture tests on a sniff summary.
fn check_sniff_summary(summary: &Value, keys: &[String]) {
    let hot = &summary["hot"];
    let truth = tally(keys);
    let capacity: u64 = SKETCH.parse().unwrap();
    check_list(&hot["keys_by_commands"], &truth, capacity, 10);
    // Three prefixes: exact.
    let prefixes = &hot["prefixes"]["depths"][0];
    assert_eq!(prefixes["error_bound"], 0, "{prefixes}");
    let mut by_prefix: HashMap<&str, u64> = HashMap::new();
    for k in keys {
        *by_prefix.entry(&k[..5]).or_default() += 1;
    }
    for row in prefixes["rows"].as_array().unwrap() {
        let p = row["key"].as_str().unwrap();
        assert_eq!(row["count"], by_prefix[p], "{prefixes}");
    }
    assert_eq!(prefixes["rows"].as_array().unwrap().len(), 3);
    // Clients: the named one is there with its name and a GET/SET mix.
    let clients = hot["clients"]["rows"].as_array().unwrap();
    let named = clients
        .iter()
        .find(|c| c["name"] == "hot-writer")
        .unwrap_or_else(|| panic!("no client named hot-writer: {clients:?}"));
    let mix: Vec<&str> = named["mix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["command"].as_str().unwrap())
        .collect();
    assert_eq!(&mix[..2], ["GET", "SET"], "{named}");
    // Bytes and slow pairs are there (values vary with timing).
    assert_eq!(hot["keys_by_bytes"]["rows"].as_array().unwrap().len(), 10);
    assert!(!hot["slowest_keys"]["rows"].as_array().unwrap().is_empty());
}

fn summary_of(events: &[Value]) -> &Value {
    events
        .iter()
        .find(|e| e["type"] == "summary")
        .expect("a summary line")
}

#[test]
fn sniffed_pcap_by_tcpdump_reports_the_zipf_top_keys_within_the_bound() {
    if !can_capture("sniffed_pcap_by_tcpdump_reports_the_zipf_top_keys_within_the_bound") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zipf.pcap");
    let mut recorded = None;
    for _attempt in 0..3 {
        let server = RedisServer::start(&[]);
        let dump = Tcpdump::start(server.port, &file);
        let keys = workload(&server, 20_000);
        if let Some(f) = dump.stop() {
            recorded = Some((f, keys, server.port));
            break;
        }
    }
    let (file, keys, port) = recorded.expect("tcpdump lost packets in three attempts");
    let port = port.to_string();
    let out = crate::common::run(
        &[
            "--format",
            "json",
            "resp",
            "sniff",
            "--summary-only",
            "--port",
            &port,
            "--pcap",
            file.to_str().unwrap(),
            "--sketch-size",
            SKETCH,
        ],
        b"",
    );
    crate::common::assert_exit(&out, 0);
    let events: Vec<Value> = crate::common::text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    check_sniff_summary(summary_of(&events), &keys);

    // Without --port the server is found in the file; --write saves what
    // was read as a pcap that reads back to the same report.
    let copy = dir.path().join("copy.pcap");
    let out = crate::common::run(
        &[
            "--format",
            "json",
            "resp",
            "sniff",
            "--summary-only",
            "--pcap",
            file.to_str().unwrap(),
            "--sketch-size",
            SKETCH,
            "--write",
            copy.to_str().unwrap(),
        ],
        b"",
    );
    crate::common::assert_exit(&out, 0);
    let stderr = crate::common::text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "RESP servers found in {} on TCP port {port}\n",
            file.display()
        )),
        "{stderr}"
    );
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_sniff_summary(&found, &keys);
    let packets = found["packets"]["seen"].as_u64().unwrap();
    assert!(
        stderr.contains(&format!("wrote {packets} packets to")),
        "{stderr}"
    );
    let again = crate::common::run(
        &[
            "--format",
            "json",
            "resp",
            "sniff",
            "--summary-only",
            "--sketch-size",
            SKETCH,
            "--pcap",
            copy.to_str().unwrap(),
        ],
        b"",
    );
    crate::common::assert_exit(&again, 0);
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["hot"], found["hot"]);
    assert_eq!(again["commands"], found["commands"]);
    // tcpdump reads it too.
    let read =
        std::process::Command::new(crate::resp_sniff::require_tool_hint("tcpdump", "tcpdump"))
            .args(["-n", "-r"])
            .arg(&copy)
            .output()
            .expect("tcpdump -r");
    assert!(
        read.status.success(),
        "{}",
        crate::common::text(&read.stderr)
    );
    assert_eq!(
        crate::common::text(&read.stdout).lines().count() as u64,
        packets
    );

    // --filter: an expression that keeps everything changes nothing; one
    // that keeps nothing leaves nothing, and says so.
    let with = |filter: &str| {
        let out = crate::common::run(
            &[
                "--format",
                "json",
                "resp",
                "sniff",
                "--summary-only",
                "--port",
                &port,
                "--sketch-size",
                SKETCH,
                "--pcap",
                file.to_str().unwrap(),
                "--filter",
                filter,
            ],
            b"",
        );
        crate::common::assert_exit(&out, 0);
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let all = with(&format!(
        "tcp and (dst port {port} or src port {port}) and net 127.0.0.0/8"
    ));
    assert_eq!(all["hot"], found["hot"]);
    assert_eq!(all["packets"]["filtered"], 0);
    let none = with("src host 10.1.2.3 or not ip");
    assert_eq!(none["commands"]["total"], 0);
    assert_eq!(none["packets"]["filtered"], packets);

    // --interval: JSON lines per interval of capture time whose counts add
    // up to the whole run's.
    // A tenth of the capture's span, so there are several whatever the
    // machine's speed.
    let span_ms = found["duration_ms"].as_f64().unwrap();
    let every = format!("{:.6}", (span_ms / 10.0 / 1000.0).max(1e-6));
    let out = crate::common::run(
        &[
            "--format",
            "json",
            "resp",
            "sniff",
            "--summary-only",
            "--port",
            &port,
            "--pcap",
            file.to_str().unwrap(),
            "--interval",
            &every,
        ],
        b"",
    );
    crate::common::assert_exit(&out, 0);
    let events: Vec<Value> = crate::common::text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let intervals: Vec<&Value> = events.iter().filter(|e| e["type"] == "interval").collect();
    assert!(intervals.len() >= 2, "{} intervals", intervals.len());
    let summed: u64 = intervals
        .iter()
        .map(|i| i["counted"]["key_references"].as_u64().unwrap())
        .sum();
    let summary = summary_of(&events);
    assert_eq!(summed, summary["hot"]["counted"]["key_references"]);
    assert_eq!(summed, keys.len() as u64);
    // In order; an interval in which nothing came is left out.
    for pair in intervals.windows(2) {
        let (end, next) = (pair[0]["end"].as_str(), pair[1]["start"].as_str());
        assert!(end <= next, "{end:?} after {next:?}");
    }
}

#[test]
fn live_sniff_reports_the_zipf_top_keys_within_the_bound() {
    if !can_capture("live_sniff_reports_the_zipf_top_keys_within_the_bound") {
        return;
    }
    let server = RedisServer::start(&[]);
    let port = server.port.to_string();
    let filter = format!("tcp port {port} and (host 127.0.0.1 or ip6)");
    let sniff = LiveSniff::start(&[
        "--port",
        &port,
        "--filter",
        &filter,
        "--summary-only",
        "--sketch-size",
        SKETCH,
        "--buffer-size",
        "268435456",
    ]);
    let keys = workload(&server, 20_000);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let events = sniff.stop();
    let s = summary_of(&events);
    assert_eq!(s["packets"]["kernel_dropped"], 0, "{s}");
    check_sniff_summary(s, &keys);
}

#[test]
fn replica_tail_reports_the_zipf_top_keys_of_a_redis_master() {
    let master = quiet_master(&[]);
    let keys = zipf_keys(6000, 1000, 1.1, 0x7a11);
    // The master's SELECT comes first.
    let n = (keys.len() + 1).to_string();
    let (lines, stderr) = tail_json(
        &master,
        &["--count", &n, "--sketch-size", SKETCH, "--top", "10"],
        |conn| {
            for chunk in keys.chunks(300) {
                let mut pipe = redis::pipe();
                for (i, key) in chunk.iter().enumerate() {
                    if i % 2 == 0 {
                        pipe.cmd("SET").arg(key).arg(i).ignore();
                    } else {
                        pipe.cmd("INCR").arg(key).ignore();
                    }
                }
                // Values are numbers, so every INCR succeeds and is
                // propagated.
                pipe.query::<()>(conn).expect("pipeline");
            }
        },
    );
    let summary: Value = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {stderr}"));
    let hot = &summary["hot"];
    let truth = tally(&keys);
    check_list(
        &hot["keys_by_commands"],
        &truth,
        SKETCH.parse().unwrap(),
        10,
    );
    assert_eq!(hot["counted"]["with_keys"], keys.len() as u64, "{hot}");
    assert_eq!(hot["counted"]["commands"], keys.len() as u64 + 1, "{hot}");
}

#[test]
fn files_that_are_not_captures_say_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    for (content, words) in [
        (
            &b"REDIS0011\xfa\x09redis-ver"[..],
            "it is a Redis RDB snapshot",
        ),
        (&b"*1\r\n$4\r\nPING\r\n"[..], "it looks like raw RESP"),
        (&b"\x1f\x8b\x08\x00"[..], "it is gzip-compressed"),
        (&b"hello\n"[..], "it looks like text"),
        (&b""[..], "it is empty"),
    ] {
        let f = dir.path().join("file");
        std::fs::write(&f, content).unwrap();
        let out = crate::common::run(
            &[
                "resp",
                "sniff",
                "--port",
                "1",
                "--pcap",
                f.to_str().unwrap(),
            ],
            b"",
        );
        crate::common::assert_exit(&out, 2);
        let err = crate::common::text(&out.stderr);
        assert!(
            err.contains("not a pcap or pcapng file: ") && err.contains(words),
            "{err}"
        );
    }
}
