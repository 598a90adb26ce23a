//! A Prometheus `/metrics` endpoint for the long-running client commands
//! (`replica tail --metrics-port`, `resp sniff --metrics-port`): a small
//! thread answers scrapes with the last page the command published, so a
//! slow scraper never holds up the feed or the capture, and the command
//! renders a page only as often as it chooses (about once a second).
//!
//! [`Page`] writes the text exposition format (version 0.0.4): one HELP and
//! TYPE line per family, label values escaped.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The running endpoint; the thread lives as long as the process.
pub struct Endpoint {
    page: Arc<Mutex<String>>,
    last: Option<Instant>,
    /// Where it listens (the port actually bound).
    pub addr: std::net::SocketAddr,
}

impl Endpoint {
    /// Listen on 127.0.0.1:`port` and serve the published page from a
    /// thread. Until the first publication the page is empty.
    pub fn start(port: u16) -> std::io::Result<Endpoint> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let page = Arc::new(Mutex::new(String::new()));
        let theirs = Arc::clone(&page);
        std::thread::Builder::new()
            .name("sonde-metrics".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = serve_one(stream, || {
                        theirs
                            .lock()
                            .map(|page| page.clone())
                            .map_err(|_| std::io::Error::other("poisoned"))
                    });
                }
            })?;
        Ok(Endpoint {
            page,
            last: None,
            addr,
        })
    }

    /// Whether a new page is due (the first time, then once `every` has
    /// passed since the last publication).
    pub fn due(&self, every: Duration) -> bool {
        self.last.is_none_or(|t| t.elapsed() >= every)
    }

    /// Replace the page scrapes get.
    pub fn publish(&mut self, page: Page) {
        self.last = Some(Instant::now());
        if let Ok(mut held) = self.page.lock() {
            *held = page.text;
        }
    }
}

/// One HTTP exchange: read the request head, answer `GET /metrics` (or
/// `/`) with the page `body` makes and anything else with a 404, close.
/// Shared by every metrics endpoint (`serve`'s and the toolkit's).
pub fn serve_one(
    stream: TcpStream,
    body: impl FnOnce() -> std::io::Result<String>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // Skip the headers (bounded: a request head is small).
    let mut line = String::new();
    for _ in 0..100 {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut stream = stream;
    let path = request.split_whitespace().nth(1).unwrap_or("");
    if !request.starts_with("GET ") || (path != "/metrics" && path != "/") {
        let body = "not found: the metrics are at /metrics\n";
        write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return stream.flush();
    }
    let body = body()?;
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// A page in the text exposition format being written.
#[derive(Default)]
pub struct Page {
    text: String,
    family: String,
}

impl Page {
    pub fn new() -> Page {
        Page::default()
    }

    /// Start a family (HELP and TYPE lines), unless it is the current one.
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        if self.family != name {
            self.family = name.to_owned();
            let _ = writeln!(self.text, "# HELP {name} {help}");
            let _ = writeln!(self.text, "# TYPE {name} {kind}");
        }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{k}=\"{}\"", escape(v));
            }
            self.text.push('}');
        }
        if value.is_finite() {
            let _ = writeln!(self.text, " {value}");
        } else {
            let _ = writeln!(self.text, " NaN");
        }
    }

    /// A gauge without labels.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, "gauge", help);
        self.sample(name, &[], value);
    }

    /// A counter without labels (the name ends in `_total`).
    pub fn counter(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, "counter", help);
        self.sample(name, &[], value);
    }

    /// One labelled sample of a gauge family; consecutive calls with the
    /// same name share the HELP and TYPE lines.
    pub fn gauge_with(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.family(name, "gauge", help);
        self.sample(name, labels, value);
    }

    /// One labelled sample of a counter family.
    pub fn counter_with(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.family(name, "counter", help);
        self.sample(name, labels, value);
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A label value as the text format wants it: backslash, quote and
/// newline escaped.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A rate over the time between two publications: `(value, when)` of the
/// last one kept, the per-second rate of a counter computed from it.
#[derive(Default)]
pub struct Rate {
    last: Option<(u64, Instant)>,
    per_second: f64,
}

impl Rate {
    /// Feed the counter's current value; returns the rate since the last
    /// feed at least half a second ago (0 before there is one).
    pub fn update(&mut self, value: u64) -> f64 {
        let now = Instant::now();
        match self.last {
            None => self.last = Some((value, now)),
            Some((before, at)) => {
                let secs = now.duration_since(at).as_secs_f64();
                if secs >= 0.5 {
                    self.per_second = value.saturating_sub(before) as f64 / secs;
                    self.last = Some((value, now));
                }
            }
        }
        self.per_second
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_share_their_help_and_labels_are_escaped() {
        let mut page = Page::new();
        page.gauge_with("x_keys", "Keys.", &[("key", "a\"b")], 2.0);
        page.gauge_with("x_keys", "Keys.", &[("key", "c\\d\n")], 1.0);
        page.counter("x_total", "Total.", 5.0);
        assert_eq!(
            page.text(),
            "# HELP x_keys Keys.\n# TYPE x_keys gauge\nx_keys{key=\"a\\\"b\"} 2\n\
             x_keys{key=\"c\\\\d\\n\"} 1\n# HELP x_total Total.\n# TYPE x_total counter\n\
             x_total 5\n"
        );
    }
}
