//! `sonde serve --metrics-port`: scraped over HTTP and parsed with a
//! Prometheus text-format parser; the values must be INFO's and the
//! per-command counts must be the commands the test sent.

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::common::{SondeServer, free_port};

fn scrape(port: u16, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to /metrics");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    (head.to_owned(), body.to_owned())
}

fn value(scrape: &prometheus_parse::Scrape, name: &str, label: Option<(&str, &str)>) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .unwrap_or_else(|| panic!("no sample {name} {label:?}"));
    match sample.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => v,
        ref other => panic!("{name}: unexpected {other:?}"),
    }
}

#[test]
fn metrics_endpoint_serves_info_and_command_stats() {
    let metrics_port = free_port();
    let server = SondeServer::start(&["--metrics-port", &metrics_port.to_string()]);
    let mut con = server.client();
    for i in 0..7 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut con)
            .unwrap();
    }
    let _: Option<String> = redis::cmd("GET").arg("k1").query(&mut con).unwrap();
    let _: Option<String> = redis::cmd("GET").arg("missing").query(&mut con).unwrap();
    let _: () = redis::cmd("EXPIRE")
        .arg("k2")
        .arg(100)
        .query(&mut con)
        .unwrap();

    let (head, body) = scrape(metrics_port, "/metrics");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    let parsed = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");

    assert_eq!(value(&parsed, "redis_up", None), 1.0);
    assert_eq!(value(&parsed, "redis_db_keys", Some(("db", "db0"))), 7.0);
    assert_eq!(
        value(&parsed, "redis_db_keys_expiring", Some(("db", "db0"))),
        1.0
    );
    assert_eq!(value(&parsed, "redis_keyspace_hits_total", None), 1.0);
    assert_eq!(value(&parsed, "redis_keyspace_misses_total", None), 1.0);
    assert_eq!(
        value(&parsed, "redis_commands_total", Some(("cmd", "set"))),
        7.0
    );
    assert_eq!(
        value(&parsed, "redis_commands_total", Some(("cmd", "get"))),
        2.0
    );
    assert_eq!(value(&parsed, "redis_connected_clients", None), 1.0);
    assert!(value(&parsed, "redis_memory_used_bytes", None) > 0.0);
    // The histogram: every SET falls in some bucket, +Inf holds them all.
    let histogram = parsed
        .samples
        .iter()
        .find(|s| s.metric == "redis_commands_latencies_usec" && s.labels.get("cmd") == Some("set"))
        .expect("a latency histogram for set");
    match &histogram.value {
        prometheus_parse::Value::Histogram(buckets) => {
            let last = buckets.last().expect("buckets");
            assert!(last.less_than.is_infinite(), "{buckets:?}");
            assert_eq!(last.count, 7.0);
            assert!(
                buckets.windows(2).all(|w| w[0].count <= w[1].count),
                "{buckets:?}"
            );
        }
        other => panic!("not a histogram: {other:?}"),
    }
    // Counters move between scrapes, as INFO's do.
    let _: Option<String> = redis::cmd("GET").arg("k1").query(&mut con).unwrap();
    let (_, again) = scrape(metrics_port, "/metrics");
    let parsed = prometheus_parse::Scrape::parse(again.lines().map(|l| Ok(l.to_owned()))).unwrap();
    assert_eq!(
        value(&parsed, "redis_commands_total", Some(("cmd", "get"))),
        3.0
    );
    let (head, _) = scrape(metrics_port, "/nothing");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
}
