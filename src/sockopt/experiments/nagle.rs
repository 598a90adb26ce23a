//! Nagle meets delayed ACK. A client writes a small header, then a small
//! body, then waits for the reply — the pattern of a request written in two
//! pieces. Without TCP_NODELAY, Nagle holds the body while the header is
//! unacknowledged; the server, which cannot answer before the body arrives,
//! delays that ACK (its delayed-ACK timer, ~40 ms on Linux). With
//! TCP_NODELAY the body leaves at once. The server keeps delayed ACKs on
//! (TCP_QUICKACK off before every read where the platform has it), as an
//! interactive server's connection normally is.

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::Socket;

use super::lab::{self, Step, Summary};
use super::{ExperimentError, Knobs};
use crate::sockopt::access;
use crate::sockopt::descriptor::Id;
use crate::sockopt::value::Value;

pub const HEADER_BYTES: usize = 16;
pub const BODY_BYTES: usize = 32;
pub const REPLY_BYTES: usize = 8;
/// Round trips per run unless `--iterations` says otherwise.
pub const DEFAULT_ROUND_TRIPS: u32 = 200;
/// Round trips discarded at the start: Linux ACKs the first segments of a
/// connection at once (quick-ACK mode) before delaying.
const WARMUP: u32 = 3;

#[derive(Debug, Serialize)]
pub struct Nagle {
    pub header_bytes: usize,
    pub body_bytes: usize,
    pub reply_bytes: usize,
    pub runs: Vec<NagleRun>,
    pub conclusion: String,
}

#[derive(Debug, Serialize)]
pub struct NagleRun {
    pub nodelay: bool,
    pub round_trips: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

pub fn run(knobs: &Knobs) -> Result<Nagle, ExperimentError> {
    let trips = knobs.iterations.unwrap_or(DEFAULT_ROUND_TRIPS);
    let budget = knobs.duration / 2;
    let mut runs = Vec::new();
    for nodelay in [false, true] {
        runs.push(one_run(nodelay, trips, budget)?);
    }
    let conclusion = conclude(&runs[0], &runs[1]);
    Ok(Nagle {
        header_bytes: HEADER_BYTES,
        body_bytes: BODY_BYTES,
        reply_bytes: REPLY_BYTES,
        runs,
        conclusion,
    })
}

fn one_run(nodelay: bool, trips: u32, budget: Duration) -> Result<NagleRun, ExperimentError> {
    let deadline = Instant::now() + budget;
    let (listener, addr) = lab::listener(1, 0, |_| Ok(())).step("listening")?;
    let samples = thread::scope(|scope| {
        let server = scope.spawn(|| serve(&listener, deadline));
        let client =
            lab::connect(addr, budget, |s| s.set_tcp_nodelay(nodelay)).step("connecting")?;
        lab::set_timeouts(&client, deadline).step("setting timeouts")?;
        let mut samples = Vec::new();
        let request = [b'h'; HEADER_BYTES + BODY_BYTES];
        let mut reply = [0u8; REPLY_BYTES];
        let mut done = 0;
        while done < trips + WARMUP && Instant::now() < deadline {
            let started = Instant::now();
            (&client)
                .write_all(&request[..HEADER_BYTES])
                .step("writing the header")?;
            (&client)
                .write_all(&request[HEADER_BYTES..])
                .step("writing the body")?;
            (&client).read_exact(&mut reply).step("reading the reply")?;
            if done >= WARMUP {
                samples.push(lab::ms(started.elapsed()));
            }
            done += 1;
        }
        drop(client); // the server sees EOF and returns
        lab::join(server)?;
        Ok::<_, ExperimentError>(samples)
    })?;
    let mut samples = samples;
    let s = Summary::of(&mut samples);
    Ok(NagleRun {
        nodelay,
        round_trips: s.count,
        p50_ms: s.p50_ms,
        p99_ms: s.p99_ms,
        min_ms: s.min_ms,
        max_ms: s.max_ms,
        mean_ms: s.mean_ms,
    })
}

/// Answer every complete request until the client hangs up.
fn serve(listener: &Socket, deadline: Instant) -> Result<(), ExperimentError> {
    let conn = lab::accept(listener, deadline).step("accepting")?;
    let mut request = [0u8; HEADER_BYTES + BODY_BYTES];
    loop {
        quickack_off(&conn);
        let mut got = 0;
        while got < request.len() {
            match (&conn).read(&mut request[got..]) {
                Ok(0) => return Ok(()),
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // The client stopped at its deadline; nothing to report.
                Err(_) => return Ok(()),
            }
        }
        if (&conn).write_all(&[b'r'; REPLY_BYTES]).is_err() {
            return Ok(());
        }
    }
}

/// Delayed ACKs on, where the platform lets us say so.
fn quickack_off(conn: &Socket) {
    // Unsupported where there is no TCP_QUICKACK; delayed ACK is then the
    // platform's default behaviour anyway.
    let _ = access::set_id(conn, Id::TcpQuickack, &Value::Bool(false));
}

fn conclude(plain: &NagleRun, nodelay: &NagleRun) -> String {
    if plain.round_trips == 0 || nodelay.round_trips == 0 {
        return "Too few round trips completed within the time budget to compare.".into();
    }
    if plain.p50_ms >= 10.0 && plain.p50_ms > 5.0 * nodelay.p50_ms {
        format!(
            "Without TCP_NODELAY the median round trip was {:.1} ms against {:.3} ms with it: \
             Nagle held the body until the header was ACKed, and the server delayed that ACK.",
            plain.p50_ms, nodelay.p50_ms
        )
    } else {
        format!(
            "No delayed-ACK stall showed here: median {:.3} ms without TCP_NODELAY, {:.3} ms with it.",
            plain.p50_ms, nodelay.p50_ms
        )
    }
}
