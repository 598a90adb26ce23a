//! Fuzz targets: one function per parser that takes arbitrary bytes, runs
//! the parser over them the way sonde does, and checks the invariants that
//! must hold whatever the input (no panic, consumed lengths within the
//! input, the cheap check and the full parse agreeing). The same functions
//! are driven by the cargo-fuzz targets in `fuzz/` (libFuzzer, nightly) and
//! by the bounded, deterministic mutation run of the test suite (stable).
//!
//! A target panics only on a broken invariant; bad input is never an error
//! here, it is the point.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::rdb::{self, Event, memory};
use crate::replication::snapshot::{RdbSummary, SnapshotForm, SnapshotSink};
use crate::replication::{Config, Replica};
use crate::resp::request::{Arg, RequestLimits, parse_request_into};
use crate::resp::{DecodeError, Decoder, Limits};

/// A fuzz target.
pub type Target = fn(&[u8]);

/// The targets by name, as `fuzz/fuzz_targets/` names them.
pub const TARGETS: &[(&str, Target)] = &[
    ("resp_request", resp_request),
    ("resp_decode", resp_decode),
    ("rdb_values", rdb_values),
    ("rdb_summary", rdb_summary),
    ("replication_stream", replication_stream),
    ("config_file", config_file),
];

/// The server's request framer: every request in the buffer, as the event
/// loop frames them, authenticated or not.
pub fn resp_request(data: &[u8]) {
    let limits = RequestLimits {
        max_bulk_len: 1 << 20,
        ..RequestLimits::default()
    };
    let mut args: Vec<Arg> = Vec::new();
    for authenticated in [true, false] {
        let mut pos = 0;
        while pos < data.len() {
            let buf = &data[pos..];
            match parse_request_into(buf, &limits, authenticated, &mut args) {
                Ok(Some(consumed)) => {
                    assert!(consumed > 0 && consumed <= buf.len(), "consumed {consumed}");
                    for arg in &args {
                        let bytes = arg.bytes(buf);
                        assert!(bytes.len() <= buf.len());
                    }
                    pos += consumed;
                }
                Ok(None) | Err(_) => break,
            }
        }
    }
}

/// The general RESP2/RESP3 decoder: `check` and `parse` agree on every
/// frame, frame after frame.
pub fn resp_decode(data: &[u8]) {
    let decoder = Decoder::new(Limits {
        max_bulk_len: 1 << 20,
        max_aggregate_len: 1 << 16,
        max_depth: 64,
    });
    let all = Bytes::copy_from_slice(data);
    let mut pos = 0;
    while pos < all.len() {
        let rest = all.slice(pos..);
        match (decoder.check(&rest), decoder.parse(&rest)) {
            (Ok(len), Ok((frame, parsed))) => {
                assert_eq!(len, parsed, "check and parse disagree");
                assert!(len > 0 && len <= rest.len());
                let _ = frame.kind();
                pos += len;
            }
            (Err(DecodeError::Incomplete { needed }), Err(_)) => {
                assert!(needed > 0);
                break;
            }
            (Err(DecodeError::Invalid { offset, .. }), Err(_)) => {
                assert!(offset <= rest.len(), "offset {offset} past {}", rest.len());
                break;
            }
            (check, parse) => panic!("check {check:?} but parse {:?}", parse.map(|p| p.1)),
        }
    }
}

/// The RDB reader over a whole file: every event, every value decoded,
/// its elements walked and its memory estimated.
pub fn rdb_values(data: &[u8]) {
    for located in rdb::events(data) {
        let Ok(located) = located else { return };
        if let Event::Key(k) = located.event {
            let _ = k.value.len();
            let _ = k.value.decode();
            let _ = memory::estimate(k.key.len(), &k.value);
            if let Ok(elements) = k.value.elements() {
                for e in elements.take(1 << 16) {
                    if e.is_err() {
                        break;
                    }
                }
            }
        }
    }
}

/// The streaming snapshot summary of `replica tail --rdb summary`, fed in
/// pieces whose sizes come from the input itself.
pub fn rdb_summary(data: &[u8]) {
    let Some((&split, payload)) = data.split_first() else {
        return;
    };
    let piece = usize::from(split % 64) + 1;
    let mut sink = RdbSummary::new();
    if sink
        .begin(SnapshotForm::Sized(payload.len() as u64))
        .is_err()
    {
        return;
    }
    for chunk in payload.chunks(piece) {
        if sink.data(chunk).is_err() {
            return;
        }
    }
    let _ = sink.end();
}

/// The replica's stream framer: a handshake answered, a snapshot, then the
/// input as the replication stream, delivered in pieces.
pub fn replication_stream(data: &[u8]) {
    let now = Instant::now();
    let mut replica = Replica::new(Config::default(), None);
    let feed = |replica: &mut Replica, bytes: &[u8]| -> bool {
        replica.receive(bytes);
        replica.consume_output(replica.pending_output().len());
        loop {
            match replica.poll_event(now) {
                Ok(Some(_)) => continue,
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    };
    let handshake: &[u8] = b"+PONG\r\n+OK\r\n+OK\r\n\
        +FULLRESYNC 8de1787ba490483314a4d30f1c628bc5025eb761 0\r\n$0\r\n";
    if !feed(&mut replica, handshake) {
        return;
    }
    let piece = data.first().map_or(1, |&b| usize::from(b % 32) + 1);
    for chunk in data.chunks(piece) {
        if !feed(&mut replica, chunk) {
            return;
        }
    }
}

/// The config-file parser and every directive applied to a fresh config.
pub fn config_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(directives) =
        crate::server::config::parse_file_text(text, std::path::Path::new("fuzz.conf"))
    else {
        return;
    };
    let mut config = crate::server::config::Config::default();
    for d in directives {
        // Options that touch the filesystem or the process are parsed but
        // not applied (include would read other files).
        if matches!(
            d.name.as_str(),
            "include" | "dir" | "daemonize" | "pidfile" | "logfile"
        ) {
            continue;
        }
        let _ = config.apply(&d.name, &d.values);
    }
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Interesting values for overwritten bytes and lengths.
const MAGIC: &[&[u8]] = &[
    b"\r\n",
    b"\n",
    b"\r",
    b"-1",
    b"0",
    b"4294967295",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"\xff\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"\xc0",
    b"\xfe\x00",
    b"*",
    b"$",
    b"+",
    b"%",
    b"~",
    b">",
];

/// One mutation of `input` (libFuzzer-like: flips, inserts, erases, magic
/// values, splices with another corpus entry, truncation).
pub fn mutate(input: &[u8], other: &[u8], rng: &mut Rng, max_len: usize) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        match rng.below(8) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next_u64() as u8;
            }
            2 => {
                let i = rng.below(out.len() + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                out.splice(i..i, bytes);
            }
            3 if !out.is_empty() => {
                let i = rng.below(out.len());
                let n = (1 + rng.below(16)).min(out.len() - i);
                out.drain(i..i + n);
            }
            4 => {
                let magic = MAGIC[rng.below(MAGIC.len())];
                let i = rng.below(out.len() + 1);
                if rng.below(2) == 0 || i + magic.len() > out.len() {
                    out.splice(i..i, magic.iter().copied());
                } else {
                    out[i..i + magic.len()].copy_from_slice(magic);
                }
            }
            5 if !other.is_empty() => {
                let from = rng.below(other.len());
                let n = (1 + rng.below(64)).min(other.len() - from);
                let i = rng.below(out.len() + 1);
                out.splice(i..i, other[from..from + n].iter().copied());
            }
            6 if !out.is_empty() => {
                out.truncate(rng.below(out.len()));
            }
            _ if out.len() >= 2 => {
                // Duplicate a slice: repeated frames and records.
                let from = rng.below(out.len());
                let n = (1 + rng.below(32)).min(out.len() - from);
                let copy = out[from..from + n].to_vec();
                let i = rng.below(out.len() + 1);
                out.splice(i..i, copy);
            }
            _ => out.push(rng.next_u64() as u8),
        }
    }
    out.truncate(max_len);
    out
}

/// What a bounded run did.
#[derive(Debug, Default)]
pub struct RunStats {
    pub executions: u64,
    pub corpus: usize,
}

/// Run `target` over every seed, then over mutations of them until
/// `budget` has passed (at least one round over the seeds). A panic in the
/// target propagates, with the input that caused it in the message when
/// `SONDE_FUZZ_SAVE` names a directory to write it to.
pub fn run(target: Target, seeds: &[Vec<u8>], seed: u64, budget: Duration) -> RunStats {
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let mut stats = RunStats {
        corpus: seeds.len(),
        ..RunStats::default()
    };
    let empty = [Vec::new()];
    let seeds = if seeds.is_empty() { &empty[..] } else { seeds };
    for s in seeds {
        target(s);
        stats.executions += 1;
    }
    let max_len = seeds.iter().map(Vec::len).max().unwrap_or(0).max(4096) * 2;
    while started.elapsed() < budget {
        for _ in 0..64 {
            let base = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            let input = mutate(base, other, &mut rng, max_len);
            let outcome = std::panic::catch_unwind(|| target(&input));
            stats.executions += 1;
            if let Err(panic) = outcome {
                if let Ok(dir) = std::env::var("SONDE_FUZZ_SAVE") {
                    let path = std::path::Path::new(&dir).join(format!("crash-{seed:x}"));
                    let _ = std::fs::write(&path, &input);
                }
                std::panic::resume_unwind(panic);
            }
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    /// Inputs that once broke a target (also in fuzz/regressions/).
    #[test]
    fn regressions() {
        // A length claiming u64::MAX more bytes overflowed the summary's
        // arithmetic (found by the bounded run).
        super::rdb_summary(include_bytes!(
            "../fuzz/regressions/rdb_summary/length-overflow"
        ));
        // An empty line where a bulk count belongs sliced backwards.
        super::resp_request(b"*1\r\n\r\nX");
        super::replication_stream(b"*1\r\n\r\nX");
    }
}
