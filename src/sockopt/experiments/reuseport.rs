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
pub const MAX_CONNECTIONS: u32 = 10_000;
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
    // Count as we go and close both ends, so that file descriptors stay
    // few however many connections are asked for; a connection still on
    // its way into a queue is picked up by the last round.
    let mut accepted = vec![0u32; listeners.len()];
    let mut count_pending = || -> Result<(), ExperimentError> {
        for (n, l) in accepted.iter_mut().zip(&listeners) {
            *n += u32::try_from(lab::accept_pending(l).step("accepting")?.len()).unwrap_or(0);
        }
        Ok(())
    };
    let mut made = 0u32;
    while made < connections && Instant::now() < deadline {
        let client = lab::connect(addr, knobs.duration, |_| Ok(())).step("connecting")?;
        made += 1;
        count_pending()?;
        drop(client);
    }
    count_pending()?;
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
    // With 16 or more connections a listener, a hash leaves one empty
    // with negligible odds; an empty one then means no spreading at all.
    let conclusion = if accepted.contains(&0) && made >= 16 * count {
        format!(
            "The {made} connections went to some listeners only ({}): this platform does not \
             spread connections over SO_REUSEPORT listeners.",
            spread.join("/")
        )
    } else {
        format!(
            "The kernel spread {made} connections over {count} listeners as {}: between \
             {min_over_share:.2}x and {max_over_share:.2}x the fair share, as a per-connection \
             hash does.",
            spread.join("/")
        )
    };
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
