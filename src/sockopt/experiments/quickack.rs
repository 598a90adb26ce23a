//! TCP_QUICKACK is not a setting but a nudge: Linux leaves quick-ACK mode
//! on its own when the connection looks interactive (it receives and
//! promptly answers). The experiment sets the flag on the server side of a
//! loopback connection, then reads it back after each request/reply
//! exchange, and reports when it reverted.

use std::io::{Read, Write};
use std::time::Instant;

use serde::Serialize;

use super::lab::{self, Step};
use super::{ExperimentError, Knobs};
use crate::sockopt::access::{self, AccessError};
use crate::sockopt::descriptor::Id;
use crate::sockopt::value::Value;

pub const DEFAULT_EXCHANGES: u32 = 5;

#[derive(Debug, Serialize)]
pub struct Quickack {
    pub readings: Vec<Reading>,
    /// The exchange after which the flag first read 0 again (null: never).
    pub reverted_after_exchange: Option<u32>,
    pub conclusion: String,
}

#[derive(Debug, Serialize)]
pub struct Reading {
    pub step: String,
    pub quickack: bool,
}

pub fn run(knobs: &Knobs) -> Result<Quickack, ExperimentError> {
    let exchanges = knobs.iterations.unwrap_or(DEFAULT_EXCHANGES);
    let deadline = Instant::now() + knobs.duration;
    let (listener, addr) = lab::listener(1, 0, |_| Ok(())).step("listening")?;
    let client =
        lab::connect(addr, knobs.duration, |s| s.set_tcp_nodelay(true)).step("connecting")?;
    lab::set_timeouts(&client, deadline).step("setting timeouts")?;
    let server = lab::accept(&listener, deadline).step("accepting")?;
    let read = |step: String| -> Result<Reading, ExperimentError> {
        match access::get_id(&server, Id::TcpQuickack) {
            Ok(v) => Ok(Reading {
                step,
                quickack: v == Value::Bool(true),
            }),
            Err(e) => Err(unsupported(e)),
        }
    };
    let mut readings = vec![read("fresh connection".into())?];
    access::set_id(&server, Id::TcpQuickack, &Value::Bool(true)).map_err(unsupported)?;
    readings.push(read("right after setting TCP_QUICKACK=1".into())?);
    let mut reverted = None;
    let mut buf = [0u8; 32];
    for i in 1..=exchanges {
        if Instant::now() >= deadline {
            break;
        }
        (&client).write_all(&[b'q'; 32]).step("sending a request")?;
        (&server)
            .read_exact(&mut buf)
            .step("receiving the request")?;
        (&server).write_all(&[b'a'; 32]).step("answering")?;
        (&client)
            .read_exact(&mut buf)
            .step("receiving the answer")?;
        let reading = read(format!("after exchange {i}"))?;
        if !reading.quickack && reverted.is_none() {
            reverted = Some(i);
        }
        readings.push(reading);
    }
    let conclusion = match reverted {
        Some(n) => format!(
            "TCP_QUICKACK read 1 after it was set and 0 after exchange {n}: the kernel went back to \
             delayed ACKs by itself, so the flag must be set again after each read that needs it."
        ),
        None => format!(
            "TCP_QUICKACK still read 1 after {} exchanges on this kernel.",
            readings.len() - 2
        ),
    };
    Ok(Quickack {
        readings,
        reverted_after_exchange: reverted,
        conclusion,
    })
}

fn unsupported(e: AccessError) -> ExperimentError {
    ExperimentError::Unsupported(format!("quickack: {e}"))
}
