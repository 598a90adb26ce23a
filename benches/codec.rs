//! RESP codec throughput: MB/s and frames/s on a large pipelined command
//! stream and a large reply stream, with the `redis` crate's parser as the
//! reference in the same run. `cargo bench --bench codec`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sonde::resp::request::{RequestLimits, parse_request};
use sonde::resp::{Decoder, Frame, encode};

const RUNS: usize = 5;

fn command_stream(target: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(target + 256);
    let mut n = 0;
    let value = "v".repeat(64);
    while out.len() < target {
        let key = format!("key:{n:08}");
        encode::command(&mut out, &["SET", key.as_str(), value.as_str()]);
        n += 1;
    }
    (out, n)
}

fn reply_stream(target: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(target + 4096);
    let mut n = 0;
    let range: Vec<Frame> = (0..10)
        .map(|i| Frame::bulk(format!("element-{i}").into_bytes()))
        .collect();
    while out.len() < target {
        let frame = match n % 4 {
            0 => Frame::Simple("OK".into()),
            1 => Frame::bulk("v".repeat(64).into_bytes()),
            2 => Frame::Integer(n as i64),
            _ => Frame::Array(range.clone()),
        };
        encode::encode(&frame, &mut out);
        n += 1;
    }
    (out, n)
}

/// Median wall time of `RUNS` runs of `f`, which must return the frame count.
fn measure(expected: usize, mut f: impl FnMut() -> usize) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let frames = f();
            let took = start.elapsed();
            assert_eq!(frames, expected);
            took
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn row(name: &str, bytes: usize, frames: usize, took: Duration, reference: Option<Duration>) {
    let secs = took.as_secs_f64();
    let ratio = reference
        .map(|r| format!("{:>6.2}x", r.as_secs_f64() / secs))
        .unwrap_or_default();
    println!(
        "{name:<34} {:>9.0} MB/s {:>12.0} frames/s {ratio}",
        bytes as f64 / secs / 1e6,
        frames as f64 / secs
    );
}

/// A replica state machine past the handshake and an empty full resync,
/// ready to frame a feed.
fn synced_replica() -> sonde::replication::Replica {
    use sonde::replication::{Config, Event, Replica};
    let now = Instant::now();
    let mut r = Replica::new(Config::default(), None);
    let replid = "8de9ad3e3c2b43e0bc0e6bd1e26bd98c6a8f6e4b";
    let handshake = format!("+PONG\r\n+OK\r\n+OK\r\n+FULLRESYNC {replid} 0\r\n$0\r\n");
    for byte in handshake.as_bytes() {
        r.consume_output(r.pending_output().len());
        r.receive(std::slice::from_ref(byte));
        while let Some(event) = r.poll_event(now).expect("handshake") {
            if matches!(event, Event::SnapshotEnd { .. }) {
                return r;
            }
        }
    }
    while let Some(event) = r.poll_event(now).expect("handshake") {
        if matches!(event, Event::SnapshotEnd { .. }) {
            break;
        }
    }
    r
}

fn main() {
    let decoder = Decoder::default();
    println!("median of {RUNS} runs; ratio = redis crate time / sonde time (higher is faster)\n");
    for (label, (data, count)) in [
        ("pipelined SET commands", command_stream(64 << 20)),
        ("mixed replies", reply_stream(64 << 20)),
    ] {
        println!("{label}: {} MiB, {count} frames", data.len() >> 20);
        let shared = Bytes::from(data.clone());
        let reference = measure(count, || {
            // One parser over the whole stream, as a client reads replies.
            let mut parser = redis::Parser::new();
            let mut source = &data[..];
            for _ in 0..count {
                black_box(parser.parse_value(&mut source).expect("reference parses"));
            }
            count
        });
        row(
            "  redis crate parse_redis_value",
            data.len(),
            count,
            reference,
            None,
        );
        let check = measure(count, || {
            let (mut pos, mut n) = (0, 0);
            while pos < data.len() {
                pos += decoder.check(&data[pos..]).expect("valid");
                n += 1;
            }
            n
        });
        row(
            "  sonde check (length only)",
            data.len(),
            count,
            check,
            Some(reference),
        );
        let parse = measure(count, || {
            let (mut pos, mut n) = (0, 0);
            while pos < shared.len() {
                let (frame, len) = decoder.parse(&shared.slice(pos..)).expect("valid");
                black_box(frame);
                pos += len;
                n += 1;
            }
            n
        });
        row(
            "  sonde parse (zero-copy frames)",
            data.len(),
            count,
            parse,
            Some(reference),
        );
        let reader = measure(count, || {
            let mut r = sonde::resp::reader::FrameReader::new(&data[..], decoder, usize::MAX);
            let mut n = 0;
            while let Some(d) = r.next_frame().expect("valid") {
                black_box(d);
                n += 1;
            }
            n
        });
        row(
            "  sonde FrameReader (io::Read)",
            data.len(),
            count,
            reader,
            Some(reference),
        );
        if label.starts_with("pipelined") {
            let feed = measure(count, || {
                let mut replica = synced_replica();
                let now = Instant::now();
                let mut n = 0;
                for chunk in data.chunks(64 * 1024) {
                    replica.receive(chunk);
                    while let Some(event) = replica.poll_event(now).expect("valid feed") {
                        if matches!(event, sonde::replication::Event::Command(_)) {
                            n += 1;
                        }
                    }
                    replica.consume_output(replica.pending_output().len());
                }
                n
            });
            row(
                "  sonde replication feed (Replica)",
                data.len(),
                count,
                feed,
                Some(reference),
            );
            let limits = RequestLimits::default();
            let requests = measure(count, || {
                let (mut pos, mut n) = (0, 0);
                while pos < data.len() {
                    let req = parse_request(&data[pos..], &limits, true)
                        .expect("valid")
                        .expect("whole");
                    black_box(&req.args);
                    pos += req.consumed;
                    n += 1;
                }
                n
            });
            row(
                "  sonde parse_request (server)",
                data.len(),
                count,
                requests,
                Some(reference),
            );
        }
        println!();
    }
}
