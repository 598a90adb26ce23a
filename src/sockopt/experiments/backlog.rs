//! A listener with a small backlog that does not accept while a burst of
//! clients connects at once. Some connections complete into the accept
//! queue; the rest wait (their SYNs dropped and retried) or fail. The
//! kernel's own account — TcpExt ListenOverflows and ListenDrops, plus the
//! SYN-cookie counters — is read before and after. Those counters are
//! system-wide, so other traffic on the machine can add to them.

use std::collections::BTreeMap;
use std::thread;
use std::time::Instant;

use serde::Serialize;
use socket2::Socket;

use super::lab::{self, Step};
use super::{ExperimentError, Knobs};
use crate::sockopt::errno::OsError;
use crate::sockopt::{limits, netstat};

pub const DEFAULT_CONNECTS: u32 = 32;
/// One thread and one socket per connect in flight: stay well below the
/// usual limit of 1024 open files.
pub const MAX_CONNECTS: u32 = 512;

const COUNTERS: [&str; 5] = [
    "ListenOverflows",
    "ListenDrops",
    "SyncookiesSent",
    "TCPReqQFullDoCookies",
    "TCPReqQFullDrop",
];

#[derive(Debug, Serialize)]
pub struct Backlog {
    /// backlog passed to listen().
    pub backlog: u32,
    pub somaxconn: Option<i64>,
    pub syncookies: Option<i64>,
    pub connects: u32,
    /// How long the clients waited for their connects.
    pub wait_ms: f64,
    /// connect() completed on the client side.
    pub connected: u32,
    /// Still waiting when the wait ended (SYN unanswered).
    pub timed_out: u32,
    /// connect() failed with another error, by errno name.
    pub failed: BTreeMap<String, u32>,
    /// Connections the listener then accepted from its queue.
    pub accepted: u32,
    /// TcpExt counters: before, after, and the difference (null where the
    /// platform has none).
    pub counters: Vec<Counter>,
    pub conclusion: String,
}

#[derive(Debug, Serialize)]
pub struct Counter {
    pub name: &'static str,
    pub before: u64,
    pub after: u64,
    pub delta: u64,
}

pub fn run(knobs: &Knobs) -> Result<Backlog, ExperimentError> {
    let connects = knobs
        .iterations
        .unwrap_or(DEFAULT_CONNECTS)
        .min(MAX_CONNECTS);
    let backlog = knobs.backlog;
    // Leave a little of the budget for accepting and closing.
    let wait = knobs.duration.mul_f64(0.8);
    let (listener, addr) = lab::listener(i32::try_from(backlog).unwrap_or(i32::MAX), 0, |_| Ok(()))
        .step("listening")?;
    let before = netstat::tcp_ext().ok();
    let started = Instant::now();
    let outcomes: Vec<Result<Socket, std::io::Error>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..connects)
            .map(|_| scope.spawn(move || lab::connect(addr, wait, |_| Ok(()))))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("connect thread panicked")))
            })
            .collect()
    });
    let waited = started.elapsed();
    let accepted = lab::accept_pending(&listener).step("accepting")?;
    let after = netstat::tcp_ext().ok();

    let mut connected = 0;
    let mut timed_out = 0;
    let mut failed: BTreeMap<String, u32> = BTreeMap::new();
    for outcome in &outcomes {
        match outcome {
            Ok(_) => connected += 1,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => timed_out += 1,
            Err(e) => {
                let err = OsError::from_io(e);
                let key = err.name.map(str::to_owned).unwrap_or(err.message);
                *failed.entry(key).or_default() += 1;
            }
        }
    }
    let counters = match (before, after) {
        (Some(b), Some(a)) => COUNTERS
            .iter()
            .filter_map(|name| {
                let (before, after) = (*b.get(*name)?, *a.get(*name)?);
                Some(Counter {
                    name,
                    before,
                    after,
                    delta: after.saturating_sub(before),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let accepted = u32::try_from(accepted.len()).unwrap_or(u32::MAX);
    let result = Backlog {
        backlog,
        somaxconn: limits::read_one("net.core.somaxconn").and_then(|v| v.as_number()),
        syncookies: limits::read_one("net.ipv4.tcp_syncookies").and_then(|v| v.as_number()),
        connects,
        wait_ms: lab::ms(waited),
        connected,
        timed_out,
        failed,
        accepted,
        conclusion: String::new(),
        counters,
    };
    Ok(Backlog {
        conclusion: conclude(&result),
        ..result
    })
}

fn conclude(b: &Backlog) -> String {
    let delta = |name| b.counters.iter().find(|c| c.name == name).map(|c| c.delta);
    let counters = match (delta("ListenOverflows"), delta("ListenDrops")) {
        (Some(o), Some(d)) => format!(", while ListenOverflows rose by {o} and ListenDrops by {d}"),
        _ => String::new(),
    };
    // Linux admits one more than the backlog (the queue is full only when
    // its length exceeds the backlog).
    let queue = if b.accepted == b.backlog + 1 {
        " (Linux's accept queue holds backlog + 1)"
    } else {
        ""
    };
    let waiting = if b.timed_out > 0 {
        format!(
            "{} were still waiting after {:.0} ms, their SYNs dropped and retried",
            b.timed_out, b.wait_ms
        )
    } else {
        "none had to wait".to_owned()
    };
    format!(
        "With listen({}) and no accept(), {} of {} connects completed and the listener held {} \
         in its queue{queue}; {waiting}{counters}.",
        b.backlog, b.connected, b.connects, b.accepted
    )
}
