//! Differential testing: the same command script against a real
//! redis-server and against sonde, over raw TCP, comparing every reply
//! byte for byte.
//!
//! A script is text, one command per line, split the way redis-cli splits
//! (quotes and \x escapes). A line may start with a marker:
//! - `~` compare the reply's elements as a sorted multiset (KEYS, SCAN
//!   results, whose order depends on each server's hash seed);
//! - `?` compare only the reply's type (values that depend on time, ids);
//! - `#` a comment.
//!
//! Every step's command, both replies and the step number are printed on
//! a mismatch.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sonde::resp::{Decoder, Frame, Limits};

/// How a step's replies are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Exact,
    Sorted,
    TypeOnly,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub line: String,
    pub command: Vec<Vec<u8>>,
    pub compare: Compare,
}

/// Parse a script (see the module documentation).
pub fn parse_script(text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (compare, rest) = match line.as_bytes()[0] {
            b'~' => (Compare::Sorted, &line[1..]),
            b'?' => (Compare::TypeOnly, &line[1..]),
            _ => (Compare::Exact, line),
        };
        let command = sonde::resp::request::split_args(rest.trim().as_bytes())
            .unwrap_or_else(|| panic!("unbalanced quotes in script line: {line}"));
        steps.push(Step {
            line: line.to_owned(),
            command,
            compare,
        });
    }
    steps
}

/// A connection that sends commands and reads exactly one reply each.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    decoder: Decoder,
}

impl Conn {
    pub fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Conn {
            stream,
            buf: Vec::new(),
            decoder: Decoder::new(Limits::default()),
        }
    }

    /// Wrap a connected stream.
    pub fn from_stream(stream: TcpStream) -> Conn {
        Conn {
            stream,
            buf: Vec::new(),
            decoder: Decoder::new(Limits::default()),
        }
    }

    /// Send raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Send a command as a multibulk request.
    pub fn send_command(&mut self, args: &[Vec<u8>]) {
        let mut out = Vec::new();
        sonde::resp::encode::command(&mut out, args);
        self.send(&out);
    }

    /// Read one complete reply's bytes (a RESP3 attribute counts with the
    /// frame it annotates). Panics after the read timeout.
    pub fn read_reply(&mut self) -> Vec<u8> {
        loop {
            match self.decoder.check(&self.buf) {
                Ok(len) => return self.buf.drain(..len).collect(),
                Err(sonde::resp::DecodeError::Incomplete { .. }) => {}
                Err(e) => panic!(
                    "malformed reply {:?}: {e}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self.stream.read(&mut chunk).unwrap_or_else(|e| {
                panic!(
                    "no complete reply (have {:?}): {e}",
                    String::from_utf8_lossy(&self.buf)
                )
            });
            assert!(
                n > 0,
                "connection closed; partial reply {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Send a command and read its reply.
    pub fn call(&mut self, args: &[Vec<u8>]) -> Vec<u8> {
        self.send_command(args);
        self.read_reply()
    }

    /// Read until the server closes the connection; everything it sent.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut all = std::mem::take(&mut self.buf);
        let _ = self.stream.read_to_end(&mut all);
        all
    }
}

fn sorted_elements(reply: &[u8]) -> Vec<Vec<u8>> {
    let decoder = Decoder::new(Limits::default());
    let (frame, _) = decoder.parse_slice(reply).expect("parse reply");
    let mut items: Vec<Vec<u8>> = match frame {
        // SCAN: [cursor, [keys]] — the cursor differs, the keys are what count.
        Frame::Array(items) if items.len() == 2 && matches!(items[1], Frame::Array(_)) => {
            match &items[1] {
                Frame::Array(inner) => inner.iter().map(sonde::resp::to_bytes).collect(),
                _ => unreachable!(),
            }
        }
        Frame::Array(items) | Frame::Set(items) => {
            items.iter().map(sonde::resp::to_bytes).collect()
        }
        other => vec![sonde::resp::to_bytes(&other)],
    };
    items.sort();
    items
}

fn show(bytes: &[u8]) -> String {
    sonde::output::bytes::quoted(bytes)
}

/// Run `script` against both servers (each on one fresh connection) and
/// assert that every reply matches; a failure lists every step that
/// differs, not only the first.
pub fn assert_same(redis_addr: &str, sonde_addr: &str, script: &str) {
    let steps = parse_script(script);
    let mut redis = Conn::open(redis_addr);
    let mut sonde = Conn::open(sonde_addr);
    let mut differences = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let expected = redis.call(&step.command);
        let actual = sonde.call(&step.command);
        let same = match step.compare {
            Compare::Exact => expected == actual,
            Compare::Sorted => sorted_elements(&expected) == sorted_elements(&actual),
            Compare::TypeOnly => expected.first() == actual.first(),
        };
        if !same {
            differences.push(format!(
                "step {} differs: {}\n  redis-server: {}\n  sonde:        {}",
                i + 1,
                step.line,
                show(&expected),
                show(&actual)
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} steps differ:\n{}",
        differences.len(),
        steps.len(),
        differences.join("\n")
    );
}
