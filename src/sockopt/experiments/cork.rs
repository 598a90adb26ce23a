//! Many small writes, three ways: TCP_NODELAY (each write may leave as its
//! own segment), plain Nagle, and TCP_CORK (TCP_NOPUSH on macOS), which
//! holds everything until uncorked. The segments sent come from the
//! sender's connection info (data segments out), the time from the first
//! write until the receiver has every byte.

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::Socket;

use super::lab::{self, Step};
use super::{ExperimentError, Knobs};
use crate::sockopt::descriptor::Id;
use crate::sockopt::tcp_info::{self, TcpInfo};
use crate::sockopt::value::Value;
use crate::sockopt::{access, limits, sys};

pub const WRITE_BYTES: usize = 16;
pub const DEFAULT_WRITES: u32 = 1000;

#[derive(Debug, Serialize)]
pub struct Cork {
    pub write_bytes: usize,
    pub runs: Vec<CorkRun>,
    /// net.ipv4.tcp_autocorking: the kernel coalesces on its own too.
    pub autocorking: Option<i64>,
    pub conclusion: String,
}

#[derive(Debug, Serialize)]
pub struct CorkRun {
    pub mode: &'static str,
    pub nodelay: bool,
    pub cork: bool,
    pub writes: u32,
    pub bytes: u64,
    /// Segments carrying data (all segments where the platform does not
    /// count data segments separately).
    pub segments: Option<u64>,
    pub bytes_per_segment: Option<f64>,
    pub elapsed_ms: f64,
}

pub fn run(knobs: &Knobs) -> Result<Cork, ExperimentError> {
    let writes = knobs.iterations.unwrap_or(DEFAULT_WRITES);
    let budget = knobs.duration / 3;
    let mut runs = Vec::new();
    for (mode, nodelay, cork) in [
        ("nodelay", true, false),
        ("nagle", false, false),
        ("cork", false, true),
    ] {
        runs.push(one_run(mode, nodelay, cork, writes, budget)?);
    }
    let conclusion = conclude(&runs);
    Ok(Cork {
        write_bytes: WRITE_BYTES,
        runs,
        autocorking: limits::read_one("net.ipv4.tcp_autocorking").and_then(|v| v.as_number()),
        conclusion,
    })
}

fn one_run(
    mode: &'static str,
    nodelay: bool,
    cork: bool,
    writes: u32,
    budget: Duration,
) -> Result<CorkRun, ExperimentError> {
    let deadline = Instant::now() + budget;
    let (listener, addr) = lab::listener(1, 0, |_| Ok(())).step("listening")?;
    thread::scope(|scope| {
        let server = scope.spawn(|| drain_then_ack(&listener, deadline));
        let client =
            lab::connect(addr, budget, |s| s.set_tcp_nodelay(nodelay)).step("connecting")?;
        lab::set_timeouts(&client, deadline).step("setting timeouts")?;
        let before = segments(&tcp_info::read(&client).map_err(unsupported)?);
        let started = Instant::now();
        if cork {
            access::set_id(&client, Id::TcpCork, &Value::Bool(true)).map_err(unsupported)?;
        }
        let chunk = [b'c'; WRITE_BYTES];
        let mut done = 0;
        while done < writes && Instant::now() < deadline {
            (&client).write_all(&chunk).step("writing")?;
            done += 1;
        }
        if cork {
            access::set_id(&client, Id::TcpCork, &Value::Bool(false)).map_err(unsupported)?;
        }
        lab::finish_sending(&client, &mut [0u8; 1])?;
        let elapsed = started.elapsed();
        let after = segments(&tcp_info::read(&client).map_err(unsupported)?);
        let received = lab::join(server)?;
        let bytes = u64::from(done) * WRITE_BYTES as u64;
        if received != bytes {
            return Err(ExperimentError::Io {
                step: "counting received bytes".into(),
                source: std::io::Error::other(format!("sent {bytes}, received {received}")),
            });
        }
        let segments = before.zip(after).map(|(b, a)| a.saturating_sub(b));
        Ok(CorkRun {
            mode,
            nodelay,
            cork,
            writes: done,
            bytes,
            segments,
            bytes_per_segment: segments
                .filter(|s| *s > 0)
                .map(|s| (bytes as f64 / s as f64 * 10.0).round() / 10.0),
            elapsed_ms: lab::ms(elapsed),
        })
    })
}

fn unsupported(e: crate::sockopt::access::AccessError) -> ExperimentError {
    ExperimentError::Unsupported(format!("cork needs it on {}: {e}", sys::host_name()))
}

fn segments(info: &TcpInfo) -> Option<u64> {
    info.data_segs_out.or(info.segs_out)
}

/// Read to EOF, then answer one byte so the sender knows all arrived.
fn drain_then_ack(listener: &Socket, deadline: Instant) -> Result<u64, ExperimentError> {
    let conn = lab::accept(listener, deadline).step("accepting")?;
    let total = lab::drain(&conn)?;
    (&conn).write_all(b"k").step("acknowledging")?;
    Ok(total)
}

fn conclude(runs: &[CorkRun]) -> String {
    let by = |mode| runs.iter().find(|r| r.mode == mode);
    let (Some(fast), Some(nagle), Some(corked)) = (by("nodelay"), by("nagle"), by("cork")) else {
        return "Incomplete runs.".into();
    };
    let (Some(a), Some(n), Some(c)) = (fast.segments, nagle.segments, corked.segments) else {
        return "The platform did not report segment counts.".into();
    };
    // With TCP_NODELAY every write could be its own segment; fewer means
    // the kernel merged writes on its own (Linux's autocorking).
    let merged = if a < u64::from(fast.writes) {
        " (the kernel already merged some writes by itself)"
    } else {
        ""
    };
    format!(
        "{} writes of {WRITE_BYTES} bytes left in {a} segments with TCP_NODELAY{merged}, {n} with \
         Nagle and {c} corked: the cork holds small writes until full segments or the uncork.",
        corked.writes
    )
}
