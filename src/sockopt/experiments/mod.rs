//! Live experiments on loopback that show what an option does, rather than
//! what it is said to do. Each binds 127.0.0.1 only, stops at its time
//! budget, and returns what it measured with a one-sentence conclusion
//! drawn from the numbers.
//!
//! - [`nagle`]: write-write-read with and without TCP_NODELAY.
//! - [`cork`]: many small writes with and without TCP_CORK.
//! - [`quickack`]: TCP_QUICKACK reverting after use.
//! - [`buffers`]: requested vs effective buffer sizes, and throughput.
//! - [`backlog`]: a burst of connects against a small accept queue.
//! - [`linger`]: close() with SO_LINGER {1,0}: RST instead of FIN.
//! - [`reuseport`]: how the kernel spreads connections over listeners.

pub mod backlog;
pub mod buffers;
pub mod cork;
pub mod lab;
pub mod linger;
pub mod nagle;
pub mod quickack;
pub mod reuseport;

use std::io;
use std::time::Duration;

use serde::Serialize;

/// The experiments, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Experiment {
    /// Write-write-read round trips with and without TCP_NODELAY
    Nagle,
    /// Many small writes with and without TCP_CORK: segments and time
    Cork,
    /// TCP_QUICKACK read back after each exchange
    Quickack,
    /// Requested vs effective buffer sizes; throughput at a few
    Buffers,
    /// A burst of connects against a small listen() backlog
    Backlog,
    /// close() with SO_LINGER {1,0} vs default: RST vs FIN at the peer
    Linger,
    /// Connections spread over SO_REUSEPORT listeners
    Reuseport,
    /// Every experiment, in the order above.
    All,
}

impl Experiment {
    const EACH: [Experiment; 7] = [
        Experiment::Nagle,
        Experiment::Cork,
        Experiment::Quickack,
        Experiment::Buffers,
        Experiment::Backlog,
        Experiment::Linger,
        Experiment::Reuseport,
    ];

    /// The experiments to run for a list of names: `all` expands, and
    /// each runs once, in the order given.
    pub fn expand(list: &[Experiment]) -> Vec<Experiment> {
        let mut out: Vec<Experiment> = Vec::new();
        for e in list {
            let items: &[Experiment] = if *e == Experiment::All {
                &Experiment::EACH
            } else {
                std::slice::from_ref(e)
            };
            for item in items {
                if !out.contains(item) {
                    out.push(*item);
                }
            }
        }
        out
    }
}

/// The knobs an experiment honours.
#[derive(Clone, Copy, Debug)]
pub struct Knobs {
    /// Upper bound on the experiment's run time.
    pub duration: Duration,
    /// The experiment's count (round trips, writes, connections); each
    /// experiment has its own default.
    pub iterations: Option<u32>,
    /// listen() backlog for `backlog`.
    pub backlog: u32,
    /// Listeners for `reuseport`.
    pub listeners: u32,
}

/// Why an experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error("{step}")]
    Io {
        step: String,
        #[source]
        source: io::Error,
    },
    #[error("{0}")]
    Unsupported(String),
}

/// One experiment's result, tagged by name in JSON.
#[derive(Debug, Serialize)]
#[serde(tag = "experiment", rename_all = "snake_case")]
pub enum Outcome {
    Nagle(nagle::Nagle),
    Cork(cork::Cork),
    Quickack(quickack::Quickack),
    Buffers(buffers::Buffers),
    Backlog(backlog::Backlog),
    Linger(linger::Linger),
    Reuseport(reuseport::Reuseport),
}

impl Outcome {
    pub fn conclusion(&self) -> &str {
        match self {
            Outcome::Nagle(x) => &x.conclusion,
            Outcome::Cork(x) => &x.conclusion,
            Outcome::Quickack(x) => &x.conclusion,
            Outcome::Buffers(x) => &x.conclusion,
            Outcome::Backlog(x) => &x.conclusion,
            Outcome::Linger(x) => &x.conclusion,
            Outcome::Reuseport(x) => &x.conclusion,
        }
    }
}

/// Run one experiment (`All` is expanded by the caller).
pub fn run(e: Experiment, knobs: &Knobs) -> Result<Outcome, ExperimentError> {
    Ok(match e {
        Experiment::Nagle => Outcome::Nagle(nagle::run(knobs)?),
        Experiment::Cork => Outcome::Cork(cork::run(knobs)?),
        Experiment::Quickack => Outcome::Quickack(quickack::run(knobs)?),
        Experiment::Buffers => Outcome::Buffers(buffers::run(knobs)?),
        Experiment::Backlog => Outcome::Backlog(backlog::run(knobs)?),
        Experiment::Linger => Outcome::Linger(linger::run(knobs)?),
        Experiment::Reuseport => Outcome::Reuseport(reuseport::run(knobs)?),
        Experiment::All => {
            return Err(ExperimentError::Unsupported(
                "`all` names a list of experiments, not one".into(),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_expands_once_in_order() {
        let list = Experiment::expand(&[Experiment::Linger, Experiment::All, Experiment::Linger]);
        assert_eq!(list.len(), 7);
        assert_eq!(list[0], Experiment::Linger);
        assert_eq!(list[1], Experiment::Nagle);
    }
}
