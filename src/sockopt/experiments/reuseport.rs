//! Several listeners bound to one port with SO_REUSEPORT, and many
//! connections to it: Linux picks a listener per connection by a hash of
//! the four-tuple, so the spread is even only on average. The experiment
//! counts what each listener's accept queue received.

use std::time::Instant;

use serde::Serialize;
use socket2::Socket;

use super::lab::{self, Step};
use super::{ExperimentError, Knobs};
use crate::sockopt::access::{self, AccessError};
use crate::sockopt::descriptor::Id;
use crate::sockopt::value::Value;

pub const DEFAULT_CONNECTIONS: u32 = 256;
/// Each connection holds two sockets until counted; stay far from fd limits.
pub const MAX_CONNECTIONS: u32 = 4096;
pub const MAX_LISTENERS: u32 = 64;

#[derive(Debug, Serialize)]
pub struct Reuseport {
    pub listeners: u32,
    pub connections: u32,
    /// Connections accepted by each listener, in bind order.
    pub accepted: Vec<u32>,
    /// connections / listeners.
    pub fair_share: f64,
    /// Largest count over the fair share (1.0 = perfectly even).
    pub max_over_share: f64,
    pub min_over_share: f64,
    pub conclusion: String,
}

pub fn run(knobs: &Knobs) -> Result<Reuseport, ExperimentError> {
    let count = knobs.listeners.clamp(1, MAX_LISTENERS);
    let connections = knobs
        .iterations
        .unwrap_or(DEFAULT_CONNECTIONS)
        .min(MAX_CONNECTIONS);
    let deadline = Instant::now() + knobs.duration;
    let backlog = i32::try_from(connections).unwrap_or(i32::MAX);
    let reuse = |s: &Socket| set_reuseport(s);
    let (first, addr) = lab::listener(backlog, 0, reuse).step("listening")?;
    let mut listeners = vec![first];
    for _ in 1..count {
        let (l, _) = lab::listener(backlog, addr.port(), reuse)
            .step("binding another listener to the same port")?;
        listeners.push(l);
    }
    let mut clients = Vec::new();
    while clients.len() < connections as usize && Instant::now() < deadline {
        clients.push(lab::connect(addr, knobs.duration, |_| Ok(())).step("connecting")?);
    }
    let mut accepted = Vec::new();
    for l in &listeners {
        let got = lab::accept_pending(l).step("accepting")?;
        accepted.push(u32::try_from(got.len()).unwrap_or(u32::MAX));
    }
    let made = u32::try_from(clients.len()).unwrap_or(u32::MAX);
    let share = f64::from(made) / f64::from(count);
    let ratio = |n: Option<&u32>| {
        n.map_or(0.0, |&n| {
            if share > 0.0 {
                (f64::from(n) / share * 100.0).round() / 100.0
            } else {
                0.0
            }
        })
    };
    let max_over_share = ratio(accepted.iter().max());
    let min_over_share = ratio(accepted.iter().min());
    let spread: Vec<String> = accepted.iter().map(u32::to_string).collect();
    let conclusion = format!(
        "The kernel spread {made} connections over {count} listeners as {}: between {min_over_share:.2}x \
         and {max_over_share:.2}x the fair share, as a per-connection hash does.",
        spread.join("/")
    );
    Ok(Reuseport {
        listeners: count,
        connections: made,
        accepted,
        fair_share: (share * 100.0).round() / 100.0,
        max_over_share,
        min_over_share,
        conclusion,
    })
}

fn set_reuseport(s: &Socket) -> std::io::Result<()> {
    access::set_id(s, Id::SoReuseport, &Value::Bool(true)).map_err(|e| match e {
        AccessError::Os(io) => io,
        other => std::io::Error::new(std::io::ErrorKind::Unsupported, other.to_string()),
    })
}
