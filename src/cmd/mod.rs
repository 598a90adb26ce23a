//! One runner per subcommand. A runner turns arguments into engine calls and
//! renders the report; it holds no protocol or format logic. This module
//! dispatches and turns outcomes into exit codes.

mod completions;
mod keys_big;
mod latency;
mod rdb_common;
mod rdb_diff;
mod rdb_export;
mod rdb_inspect;
mod rdb_restore;
mod replica_tail;
mod resp_decode;
mod ring;
mod serve;
mod sniff;
mod sockopt;
mod stat;

use std::io::{self, Write};
use std::process::ExitCode;

use crate::cli::{self, Cli, Command};

/// What a command concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Ran and found nothing wrong.
    Ok,
    /// Ran and found a problem (already reported): exit status 1.
    Problem,
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let status = match cli.command {
        Command::Resp(cli::RespCommand::Decode(args)) => {
            resp_decode::run(&args, cli.format, &mut out)
        }
        Command::Rdb(cli::RdbCommand::Inspect(args)) => {
            rdb_inspect::run(&args, cli.format, &mut out)
        }
        Command::Rdb(cli::RdbCommand::Export(args)) => rdb_export::run(&args, &mut out),
        Command::Rdb(cli::RdbCommand::Restore(args)) => rdb_restore::run(&args, cli.format),
        Command::Rdb(cli::RdbCommand::Diff(args)) => rdb_diff::run(&args, cli.format, &mut out),
        Command::Sockopt(cli::SockoptCommand::Probe(args)) => {
            sockopt::run(&args, cli.format, &mut out)
        }
        Command::Ring(cli::RingCommand::Simulate(args)) => {
            ring::simulate(&args, cli.format, &mut out)
        }
        Command::Resp(cli::RespCommand::Sniff(args)) => sniff::run(&args, cli.format, &mut out),
        Command::Replica(cli::ReplicaCommand::Tail(args)) => {
            replica_tail::run(&args, cli.format, &mut out)
        }
        Command::Serve(args) => serve::run(&args, cli.format),
        Command::Latency(args) => latency::run(&args, cli.format, &mut out),
        Command::Stat(args) => stat::run(&args, cli.format, &mut out),
        Command::Keys(cli::KeysCommand::Big(args)) => keys_big::run(&args, cli.format, &mut out),
        Command::Completions(args) => completions::print(&args, cli.format, &mut out),
        Command::Generate(args) => completions::generate(&args),
    }?;
    out.flush()?;
    Ok(status)
}

/// The exit code for a run's outcome; prints the error, once, if any.
/// A closed stdout (`sonde ... | head`) is not an error.
/// The server named by redis-cli's connection options (or a
/// positional HOST:PORT) and a client of it, connected and authenticated,
/// its warnings
/// printed, replies awaited for at most `reply_timeout`: what the live
/// commands (latency, stat, keys big) start from.
fn live_client(
    connect: &cli::ConnectArgs,
    positional: Option<&str>,
    reply_timeout: std::time::Duration,
) -> anyhow::Result<(crate::connect::Endpoint, crate::connect::Client)> {
    let endpoint = crate::connect::Endpoint::from_args(
        connect,
        positional,
        std::time::Duration::from_secs(5),
    )?;
    let client = crate::connect::Client::connect(&endpoint)?;
    for w in &client.warnings {
        eprintln!("sonde: warning: {w}");
    }
    client.set_timeout(Some(reply_timeout))?;
    Ok((endpoint, client))
}

pub fn exit_code(result: anyhow::Result<Status>) -> ExitCode {
    match result {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::Problem) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sonde: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Report a problem the command found (exit status 1 follows).
pub(crate) fn problem(message: impl std::fmt::Display) {
    eprintln!("sonde: {message}");
}
