//! How far behind the master a replica is, from a second connection.
//!
//! [`MasterProbe`] asks the master (`INFO replication`) where its stream is,
//! and (`CLIENT LIST TYPE replica`, `CONFIG GET client-output-buffer-limit`)
//! how much it has queued for us against the limit at which it would drop
//! us. [`LagTracker`] turns timestamped polls into lag: in bytes (the
//! master's offset minus ours) and in time (how long ago the master was
//! where we are now, interpolated between the polls around our offset), and
//! keeps max, mean and last of both.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::connect::{Client, ConnectError, Endpoint};
use crate::resp::Frame;

/// Polls kept for interpolation at most (an hour at one a second); older
/// ones only matter while we are that far behind.
const MAX_HISTORY: usize = 3600;

/// One poll: the master's offset and ours, taken together.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub at: Instant,
    pub master_offset: u64,
    pub offset: u64,
}

/// Lag at one poll.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Lag {
    pub master_offset: u64,
    pub offset: u64,
    /// Bytes the master has written that we have not processed.
    pub bytes: u64,
    /// How long ago the master was at our offset. When we are behind every
    /// poll still kept, a lower bound: the age of the oldest poll.
    pub seconds: f64,
}

/// Max, mean and last lag over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LagStats {
    pub samples: u64,
    pub max_bytes: u64,
    pub mean_bytes: f64,
    pub final_bytes: u64,
    pub max_seconds: f64,
    pub mean_seconds: f64,
    pub final_seconds: f64,
}

/// Turns polls into [`Lag`] and [`LagStats`].
#[derive(Debug, Default)]
pub struct LagTracker {
    /// (time, master offset) of past polls, oldest first.
    history: VecDeque<(Instant, u64)>,
    stats: LagStats,
    sum_bytes: f64,
    sum_seconds: f64,
}

impl LagTracker {
    pub fn observe(&mut self, s: Sample) -> Lag {
        // A master whose offset went back (restarted, another master behind
        // the same address) starts a new history.
        if self
            .history
            .back()
            .is_some_and(|&(_, m)| m > s.master_offset)
        {
            self.history.clear();
        }
        self.history.push_back((s.at, s.master_offset));
        let seconds = self.seconds_behind(s);
        // Polls before the last one the master made at or below our
        // offset cannot matter again: our offset only grows.
        while self.history.len() > 2 && self.history[1].1 <= s.offset {
            self.history.pop_front();
        }
        if self.history.len() > MAX_HISTORY {
            self.history.pop_front();
        }
        let lag = Lag {
            master_offset: s.master_offset,
            offset: s.offset,
            bytes: s.master_offset.saturating_sub(s.offset),
            seconds,
        };
        let st = &mut self.stats;
        st.samples += 1;
        st.max_bytes = st.max_bytes.max(lag.bytes);
        st.max_seconds = st.max_seconds.max(lag.seconds);
        st.final_bytes = lag.bytes;
        st.final_seconds = lag.seconds;
        self.sum_bytes += lag.bytes as f64;
        self.sum_seconds += lag.seconds;
        st.mean_bytes = self.sum_bytes / st.samples as f64;
        st.mean_seconds = self.sum_seconds / st.samples as f64;
        lag
    }

    pub fn stats(&self) -> LagStats {
        self.stats
    }

    fn seconds_behind(&self, s: Sample) -> f64 {
        if s.offset >= s.master_offset {
            return 0.0;
        }
        // The last poll at which the master had not yet passed our offset,
        // and the one after it, bracket the moment it was where we are.
        let at_or_below = self.history.iter().rposition(|&(_, m)| m <= s.offset);
        let Some(i) = at_or_below else {
            let oldest = self.history.front().map_or(s.at, |&(t, _)| t);
            return s.at.saturating_duration_since(oldest).as_secs_f64();
        };
        let (t0, m0) = self.history[i];
        let Some(&(t1, m1)) = self.history.get(i + 1) else {
            return 0.0;
        };
        let span = t1.saturating_duration_since(t0).as_secs_f64();
        let fraction = (s.offset - m0) as f64 / (m1 - m0).max(1) as f64;
        let when = t0 + Duration::from_secs_f64(span * fraction);
        s.at.saturating_duration_since(when).as_secs_f64()
    }
}

/// Why the master could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Connect(#[from] ConnectError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("INFO replication has no master_repl_offset")]
    NoOffset,
}

/// What the master has queued for one replica, against its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputBuffer {
    /// `omem` of our connection in `CLIENT LIST`.
    pub used: u64,
    /// The smaller non-zero of the replica class's hard and soft limits
    /// (`client-output-buffer-limit replica`); `None` when unlimited or
    /// when CONFIG GET is not allowed.
    pub limit: Option<u64>,
}

/// A plain client connection to the master for polling, through the same
/// connection layer (TLS, AUTH) as the replication link.
pub struct MasterProbe {
    conn: Client,
    limit: Option<u64>,
}

impl MasterProbe {
    pub fn connect(endpoint: &Endpoint, timeout: Duration) -> Result<MasterProbe, ProbeError> {
        let mut endpoint = endpoint.clone();
        endpoint.connect_timeout = timeout;
        // INFO and CLIENT LIST do not depend on the database.
        endpoint.db = None;
        let mut conn = Client::connect(&endpoint)?;
        conn.set_timeout(Some(timeout))?;
        // Not allowed for every user; without it there is no limit to
        // compare against, and the probe still reports offsets.
        let limit = match conn.command(&["CONFIG", "GET", "client-output-buffer-limit"]) {
            Ok(Frame::Array(pair)) => match pair.get(1) {
                Some(Frame::Bulk(v)) => replica_limit(&String::from_utf8_lossy(v)),
                _ => None,
            },
            Ok(_) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(MasterProbe { conn, limit })
    }

    /// The master's `master_repl_offset`.
    pub fn master_offset(&mut self) -> Result<u64, ProbeError> {
        let info = self.conn.call_text(&["INFO", "replication"])?;
        info_field(&info, "master_repl_offset")
            .and_then(|v| v.parse().ok())
            .ok_or(ProbeError::NoOffset)
    }

    /// Our connection's output buffer on the master, when the master lists
    /// it (`CLIENT LIST` allowed, and our address as it sees it).
    pub fn output_buffer(&mut self, ours: SocketAddr) -> Result<Option<OutputBuffer>, ProbeError> {
        let list = self
            .conn
            .call_text(&["CLIENT", "LIST", "TYPE", "replica"])?;
        let addr = ours.to_string();
        let used = list.lines().find_map(|line| {
            let mut fields = line.split(' ').filter_map(|f| f.split_once('='));
            let mine = fields.clone().any(|(k, v)| k == "addr" && v == addr);
            mine.then(|| {
                fields
                    .find(|&(k, _)| k == "omem")
                    .and_then(|(_, v)| v.parse().ok())
            })
            .flatten()
        });
        Ok(used.map(|used| OutputBuffer {
            used,
            limit: self.limit,
        }))
    }
}

/// A `field:value` line of INFO output.
pub fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        line.trim_end()
            .strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
    })
}

/// The replica class's effective limit from `client-output-buffer-limit`
/// (`normal 0 0 0 slave 268435456 67108864 60 pubsub ...`).
fn replica_limit(config: &str) -> Option<u64> {
    let words: Vec<&str> = config.split_whitespace().collect();
    words.chunks(4).find_map(|class| match class {
        [name, hard, soft, _] if matches!(*name, "slave" | "replica") => {
            let hard: u64 = hard.parse().ok()?;
            let soft: u64 = soft.parse().ok()?;
            [hard, soft].into_iter().filter(|&l| l > 0).min()
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, secs: f64) -> Instant {
        t0 + Duration::from_secs_f64(secs)
    }

    #[test]
    fn time_lag_interpolates_between_polls() {
        let t0 = Instant::now();
        let mut tr = LagTracker::default();
        let l = tr.observe(Sample {
            at: at(t0, 0.0),
            master_offset: 1000,
            offset: 1000,
        });
        assert_eq!((l.bytes, l.seconds), (0, 0.0));
        tr.observe(Sample {
            at: at(t0, 1.0),
            master_offset: 2000,
            offset: 1000,
        });
        // At t=2 we are at 1500: the master was there at t=0.5.
        let l = tr.observe(Sample {
            at: at(t0, 2.0),
            master_offset: 3000,
            offset: 1500,
        });
        assert_eq!(l.bytes, 1500);
        assert!((l.seconds - 1.5).abs() < 1e-6, "{}", l.seconds);
        let l = tr.observe(Sample {
            at: at(t0, 3.0),
            master_offset: 3000,
            offset: 3000,
        });
        assert_eq!((l.bytes, l.seconds), (0, 0.0));
        let st = tr.stats();
        assert_eq!((st.samples, st.max_bytes, st.final_bytes), (4, 1500, 0));
        assert!((st.max_seconds - 1.5).abs() < 1e-6);
        assert!((st.mean_bytes - 2500.0 / 4.0).abs() < 1e-9);
    }

    #[test]
    fn behind_every_poll_gives_a_lower_bound() {
        let t0 = Instant::now();
        let mut tr = LagTracker::default();
        tr.observe(Sample {
            at: at(t0, 0.0),
            master_offset: 5000,
            offset: 10,
        });
        let l = tr.observe(Sample {
            at: at(t0, 2.0),
            master_offset: 6000,
            offset: 20,
        });
        assert!((l.seconds - 2.0).abs() < 1e-6);
    }

    #[test]
    fn history_stays_bounded() {
        let t0 = Instant::now();
        let mut tr = LagTracker::default();
        for i in 0..10_000u64 {
            tr.observe(Sample {
                at: at(t0, i as f64),
                master_offset: i * 100,
                offset: i * 100 - 50.min(i * 100),
            });
        }
        assert!(tr.history.len() <= 3, "{}", tr.history.len());
    }

    #[test]
    fn parses_info_and_limits() {
        let info = "# Replication\r\nrole:master\r\nmaster_repl_offset:12345\r\n";
        assert_eq!(info_field(info, "master_repl_offset"), Some("12345"));
        assert_eq!(info_field(info, "master_repl"), None);
        let cfg = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
        assert_eq!(replica_limit(cfg), Some(67108864));
        assert_eq!(replica_limit("normal 0 0 0 replica 0 0 0"), None);
        assert_eq!(replica_limit("normal 0 0 0 slave 1000 0 0"), Some(1000));
    }
}
