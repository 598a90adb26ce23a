//! Scraping a `/metrics` endpoint and reading it with a Prometheus
//! text-format parser.

use std::io::{Read, Write};
use std::net::TcpStream;

/// GET /metrics from 127.0.0.1:`port`, parsed; None while nothing
/// listens there yet.
pub fn scrape(port: u16) -> Option<prometheus_parse::Scrape> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    Some(prometheus_parse::Scrape::parse(lines).expect("a valid Prometheus text page"))
}

/// The value of the sample `name` whose labels include `labels`.
pub fn value(
    scrape: &prometheus_parse::Scrape,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))?;
    match sample.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => Some(v),
        ref other => panic!("{name}: unexpected {other:?}"),
    }
}
