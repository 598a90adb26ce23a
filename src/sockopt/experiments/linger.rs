//! What close() sends. With the default, the closing side sends FIN and the
//! peer reads end-of-file; with SO_LINGER {1,0} close() aborts: it sends RST
//! and the peer's next read fails with ECONNRESET. The peer's connection
//! state afterwards (CLOSE_WAIT vs CLOSE) is read from its TCP_INFO.

use std::io::{Read, Write};
use std::time::Instant;

use serde::Serialize;

use super::lab::{self, Step};
use super::{ExperimentError, Knobs};
use crate::sockopt::access;
use crate::sockopt::descriptor::Id;
use crate::sockopt::errno::OsError;
use crate::sockopt::tcp_info;
use crate::sockopt::value::Value;

#[derive(Debug, Serialize)]
pub struct Linger {
    pub runs: Vec<LingerRun>,
    pub conclusion: String,
}

#[derive(Debug, Serialize)]
pub struct LingerRun {
    /// SO_LINGER on the closing socket; null = left at the default.
    pub so_linger: Option<Value>,
    /// What the peer's read returned: "eof" (FIN), "reset" (RST) or "error".
    pub peer_saw: &'static str,
    /// The peer's read error, when there was one.
    pub peer_error: Option<OsError>,
    /// The peer's TCP state after the close arrived (null where unknown).
    pub peer_state: Option<String>,
}

pub fn run(knobs: &Knobs) -> Result<Linger, ExperimentError> {
    let budget = knobs.duration / 2;
    let abort = Value::Linger {
        on: true,
        seconds: 0,
    };
    let runs = vec![one_run(None, budget)?, one_run(Some(abort), budget)?];
    let conclusion = match (runs[0].peer_saw, runs[1].peer_saw) {
        ("eof", "reset") => format!(
            "A default close() reached the peer as FIN (its read returned end-of-file{}), while \
             SO_LINGER {{1,0}} reset the connection: the peer's read failed with {}.",
            state_suffix(&runs[0]),
            runs[1]
                .peer_error
                .as_ref()
                .map_or_else(|| "an error".to_owned(), |e| e.to_string())
        ),
        (a, b) => {
            format!("The peer saw {a} after a default close() and {b} after SO_LINGER {{1,0}}.")
        }
    };
    Ok(Linger { runs, conclusion })
}

fn state_suffix(run: &LingerRun) -> String {
    run.peer_state
        .as_ref()
        .map(|s| format!(" and it sat in {s}"))
        .unwrap_or_default()
}

fn one_run(
    so_linger: Option<Value>,
    budget: std::time::Duration,
) -> Result<LingerRun, ExperimentError> {
    let deadline = Instant::now() + budget;
    let (listener, addr) = lab::listener(1, 0, |_| Ok(())).step("listening")?;
    let closer = lab::connect(addr, budget, |_| Ok(())).step("connecting")?;
    let peer = lab::accept(&listener, deadline).step("accepting")?;
    if let Some(v) = &so_linger {
        access::set_id(&closer, Id::SoLinger, v)
            .map_err(|e| ExperimentError::Unsupported(format!("setting SO_LINGER: {e}")))?;
    }
    // Some data first, all of it read, so that only the close decides
    // what the peer sees (unread data at close() alone would also send RST).
    (&closer).write_all(b"hello").step("writing")?;
    let mut buf = [0u8; 5];
    (&peer).read_exact(&mut buf).step("reading on the peer")?;
    drop(closer);
    let (peer_saw, peer_error) = match (&peer).read(&mut buf) {
        Ok(0) => ("eof", None),
        Ok(_) => ("data", None),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            ("reset", Some(OsError::from_io(&e)))
        }
        Err(e) => ("error", Some(OsError::from_io(&e))),
    };
    let peer_state = tcp_info::read(&peer).ok().map(|i| i.state);
    Ok(LingerRun {
        so_linger,
        peer_saw,
        peer_error,
        peer_state,
    })
}
