//! Buffer sizes as the kernel applies them: SO_RCVBUF and SO_SNDBUF
//! requested over a range of sizes on fresh TCP sockets and read back, then
//! a bulk loopback transfer at a few sizes (and with autotuning) to show
//! what the size does to throughput. The receiver's size is set before
//! listen() and the sender's before connect(), as they must be for the
//! window scale to follow.

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::Socket;

use super::lab::{self, Step};
use super::{ExperimentError, Knobs};
use crate::sockopt::limits::{self, SysctlValue};
use crate::sockopt::probe::SocketKind;

/// Sizes requested and read back.
pub const SIZES: [i64; 9] = [
    1 << 10,
    4 << 10,
    16 << 10,
    64 << 10,
    256 << 10,
    1 << 20,
    4 << 20,
    16 << 20,
    64 << 20,
];

/// Sizes a transfer runs at; `None` leaves autotuning on.
pub const TRANSFERS: [Option<i64>; 4] = [None, Some(16 << 10), Some(256 << 10), Some(4 << 20)];

const CHUNK: usize = 64 * 1024;

#[derive(Debug, Serialize)]
pub struct Buffers {
    /// The limits that decide the outcome.
    pub limits: std::collections::BTreeMap<&'static str, SysctlValue>,
    pub sizes: Vec<SizeReading>,
    pub transfers: Vec<Transfer>,
    pub conclusion: String,
}

#[derive(Debug, Serialize)]
pub struct SizeReading {
    pub requested: i64,
    pub rcvbuf: i64,
    pub sndbuf: i64,
}

#[derive(Debug, Serialize)]
pub struct Transfer {
    /// Requested on both ends; null = not set (autotuning).
    pub requested: Option<i64>,
    /// Receiver's SO_RCVBUF and sender's SO_SNDBUF as read back.
    pub rcvbuf: i64,
    pub sndbuf: i64,
    pub bytes: u64,
    pub seconds: f64,
    pub mib_per_s: f64,
}

pub fn run(knobs: &Knobs) -> Result<Buffers, ExperimentError> {
    let mut sizes = Vec::new();
    for requested in SIZES {
        let sock = SocketKind::Tcp4.open().step("creating a socket")?;
        let size = usize::try_from(requested).unwrap_or(usize::MAX);
        sock.set_recv_buffer_size(size).step("setting SO_RCVBUF")?;
        sock.set_send_buffer_size(size).step("setting SO_SNDBUF")?;
        sizes.push(SizeReading {
            requested,
            rcvbuf: read_size(sock.recv_buffer_size()).step("reading SO_RCVBUF")?,
            sndbuf: read_size(sock.send_buffer_size()).step("reading SO_SNDBUF")?,
        });
    }
    let slice = knobs.duration / TRANSFERS.len() as u32;
    let mut transfers = Vec::new();
    for requested in TRANSFERS {
        transfers.push(transfer(requested, slice)?);
    }
    let limits = [
        "net.core.rmem_max",
        "net.core.wmem_max",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    ]
    .into_iter()
    .filter_map(|name| limits::read_one(name).map(|v| (name, v)))
    .collect();
    let conclusion = conclude(
        &sizes,
        &transfers,
        limits::read_one("net.core.rmem_max").and_then(|v| v.as_number()),
    );
    Ok(Buffers {
        limits,
        sizes,
        transfers,
        conclusion,
    })
}

fn read_size(r: std::io::Result<usize>) -> std::io::Result<i64> {
    r.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// Send for `slice`, count what arrives.
fn transfer(requested: Option<i64>, slice: Duration) -> Result<Transfer, ExperimentError> {
    let size = requested.map(|r| usize::try_from(r).unwrap_or(usize::MAX));
    let deadline = Instant::now() + slice;
    let (listener, addr) = lab::listener(1, 0, |s| match size {
        Some(n) => s.set_recv_buffer_size(n),
        None => Ok(()),
    })
    .step("listening")?;
    thread::scope(|scope| {
        let receiver = scope.spawn(|| receive(&listener, deadline));
        let sender = lab::connect(addr, slice, |s| match size {
            Some(n) => s.set_send_buffer_size(n),
            None => Ok(()),
        })
        .step("connecting")?;
        lab::set_timeouts(&sender, deadline).step("setting timeouts")?;
        let started = Instant::now();
        let chunk = vec![b'b'; CHUNK];
        while Instant::now() < deadline {
            (&sender).write_all(&chunk).step("sending")?;
        }
        let mut count = [0u8; 8];
        lab::finish_sending(&sender, &mut count)?;
        let elapsed = started.elapsed();
        let sndbuf = read_size(sender.send_buffer_size()).step("reading SO_SNDBUF")?;
        let rcvbuf = lab::join(receiver)?;
        let bytes = u64::from_be_bytes(count);
        let seconds = elapsed.as_secs_f64();
        Ok(Transfer {
            requested,
            rcvbuf,
            sndbuf,
            bytes,
            seconds: (seconds * 1000.0).round() / 1000.0,
            mib_per_s: (bytes as f64 / seconds / f64::from(1 << 20) * 10.0).round() / 10.0,
        })
    })
}

/// Count bytes to EOF, answer the count; returns the receive buffer size
/// the connection ended with.
fn receive(listener: &Socket, deadline: Instant) -> Result<i64, ExperimentError> {
    let conn = lab::accept(listener, deadline).step("accepting")?;
    let total = lab::drain(&conn)?;
    let rcvbuf = read_size(conn.recv_buffer_size()).step("reading SO_RCVBUF")?;
    (&conn)
        .write_all(&total.to_be_bytes())
        .step("answering the count")?;
    Ok(rcvbuf)
}

fn conclude(sizes: &[SizeReading], transfers: &[Transfer], rmem_max: Option<i64>) -> String {
    let doubled = sizes.iter().filter(|s| s.rcvbuf == 2 * s.requested).count();
    let capped = rmem_max.map_or(0, |max| {
        sizes
            .iter()
            .filter(|s| s.requested > max && s.rcvbuf == 2 * max)
            .count()
    });
    let raised = sizes.iter().filter(|s| s.rcvbuf > 2 * s.requested).count();
    let mut text = format!(
        "SO_RCVBUF came back as twice the request for {doubled} of {} sizes",
        sizes.len()
    );
    if let Some(max) = rmem_max.filter(|_| capped > 0) {
        text.push_str(&format!(
            ", capped at 2 × net.core.rmem_max = {} for {capped}",
            2 * max
        ));
    }
    if raised > 0 {
        text.push_str(&format!(", raised to the kernel's minimum for {raised}"));
    }
    let tuned = transfers.iter().find(|t| t.requested.is_none());
    let smallest = transfers
        .iter()
        .filter_map(|t| t.requested.map(|r| (r, t)))
        .min_by_key(|(r, _)| *r);
    if let (Some(auto), Some((r, small))) = (tuned, smallest) {
        text.push_str(&format!(
            "; a {} KiB buffer moved {:.0} MiB/s against {:.0} MiB/s with autotuning",
            r >> 10,
            small.mib_per_s,
            auto.mib_per_s
        ));
    }
    text.push('.');
    text
}
