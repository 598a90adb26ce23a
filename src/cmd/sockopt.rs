//! `sonde sockopt probe`: resolves the arguments (settings, sockets, target,
//! experiments) into probe or experiment runs and renders the report.

mod render;

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;

use super::{Status, problem};
use crate::cli::SockoptProbeArgs;
use crate::connect::Endpoint;
use crate::output::{Format, emit};
use crate::sockopt::experiments::{self, Experiment, Knobs, Outcome};
use crate::sockopt::limits::Limits;
use crate::sockopt::probe::{self, OptionRow, Setting, SocketKind};
use crate::sockopt::target::{self, Connection};
use crate::sockopt::{descriptor::Platform, sys};

/// The probe's report (fresh sockets or a target).
#[derive(Serialize)]
pub struct ProbeReport {
    pub platform: Option<Platform>,
    /// The sockets probed.
    pub sockets: Vec<SocketKind>,
    /// Sockets that could not be created (e.g. no IPv6), with the error.
    pub unavailable: Vec<Unavailable>,
    /// The connection, with --target.
    pub target: Option<Connection>,
    pub options: Vec<OptionRow>,
    pub limits: Limits,
}

#[derive(Serialize)]
pub struct Unavailable {
    pub socket: SocketKind,
    pub error: String,
}

/// The experiments' report.
#[derive(Serialize)]
pub struct ExperimentsReport {
    pub experiments: Vec<Outcome>,
}

pub fn run(args: &SockoptProbeArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    if !args.experiment.is_empty() {
        return run_experiments(args, format, out);
    }
    let settings = parse_settings(&args.set)?;
    let limits = Limits::read();
    let c = &args.connect;
    let names_server =
        c.host.is_some() || c.port.is_some() || c.uri.is_some() || c.socket.is_some();
    if !args.experiment.is_empty() && names_server {
        bail!("connection options (-h/-p/-u/-s) probe a server: they do not go with --experiment");
    }
    if args.ping && args.target.is_none() && !names_server {
        bail!("--ping needs --target (or -h/-p/-u naming the server)");
    }
    let target = match &args.target {
        Some(text) => Some(text.as_str()),
        None if names_server => Some(""),
        None => None,
    };
    let report = match target {
        Some(text) => {
            let positional = Some(text).filter(|t| !t.is_empty());
            let endpoint =
                Endpoint::from_args(c, positional, Duration::from_secs(5)).context("--target")?;
            let kind = match endpoint.host_port() {
                Some((host, port)) => crate::connect::stream::resolve(host, port)?
                    .first()
                    .map(SocketKind::tcp_for),
                None => None,
            };
            check_applicable(&settings, &args.set, &kind.into_iter().collect::<Vec<_>>())?;
            let (connection, options) =
                target::probe(&endpoint, &settings, &limits, args.ping).context("--target")?;
            ProbeReport {
                platform: sys::HOST,
                sockets: vec![connection.socket],
                unavailable: Vec::new(),
                target: Some(connection),
                options,
                limits,
            }
        }
        None => {
            let mut kinds: Vec<SocketKind> = Vec::new();
            for k in if args.sockets.is_empty() {
                &SocketKind::ALL[..]
            } else {
                &args.sockets[..]
            } {
                if !kinds.contains(k) {
                    kinds.push(*k);
                }
            }
            check_applicable(&settings, &args.set, &kinds)?;
            probe_fresh(&kinds, &settings, limits)?
        }
    };
    emit(format, &report, out)?;
    let rejected: Vec<String> = report
        .options
        .iter()
        .filter(|r| r.rejected())
        .map(|r| format!("{} on {}", r.name, r.socket.name()))
        .collect();
    if rejected.is_empty() {
        Ok(Status::Ok)
    } else {
        out.flush()?;
        problem(format!(
            "{} requested setting(s) not applied: {} (see the notes)",
            rejected.len(),
            rejected.join(", ")
        ));
        Ok(Status::Problem)
    }
}

/// Probe a fresh socket of each kind; a kind the system cannot create is
/// reported, not fatal.
fn probe_fresh(
    kinds: &[SocketKind],
    settings: &[Setting],
    limits: Limits,
) -> anyhow::Result<ProbeReport> {
    let mut sockets = Vec::new();
    let mut unavailable = Vec::new();
    let mut options = Vec::new();
    for &kind in kinds {
        match kind.open() {
            Ok(sock) => {
                let rows = probe::probe_socket(&sock, kind, settings, &limits, false, |_| Ok(()))
                    .with_context(|| format!("probing a {} socket", kind.name()))?;
                options.extend(rows);
                sockets.push(kind);
            }
            Err(e) => unavailable.push(Unavailable {
                socket: kind,
                error: e.to_string(),
            }),
        }
    }
    if sockets.is_empty() {
        bail!(
            "no socket could be created: {}",
            unavailable_text(&unavailable)
        );
    }
    Ok(ProbeReport {
        platform: sys::HOST,
        sockets,
        unavailable,
        target: None,
        options,
        limits,
    })
}

fn unavailable_text(list: &[Unavailable]) -> String {
    list.iter()
        .map(|u| format!("{}: {}", u.socket.name(), u.error))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Every `--set`, parsed; each option at most once.
fn parse_settings(texts: &[String]) -> anyhow::Result<Vec<Setting>> {
    let mut seen = HashSet::new();
    let mut settings = Vec::new();
    for text in texts {
        let setting = probe::parse_setting(text).with_context(|| format!("--set {text}"))?;
        let name = setting.option.name_on(sys::HOST);
        if !seen.insert(setting.option.id) {
            bail!("--set {text}: {name} is set more than once");
        }
        // SO_RCVBUFFORCE and SO_RCVBUF write one buffer: with both, the
        // later would silently overwrite the earlier.
        if let Some(other) = settings.iter().find(|s: &&Setting| {
            s.option.reads_through == Some(setting.option.id)
                || setting.option.reads_through == Some(s.option.id)
        }) {
            bail!(
                "--set {text}: {name} and {} set the same buffer; set one of them",
                other.option.name_on(sys::HOST)
            );
        }
        settings.push(setting);
    }
    Ok(settings)
}

/// A setting must apply to at least one of the sockets probed.
fn check_applicable(
    settings: &[Setting],
    texts: &[String],
    kinds: &[SocketKind],
) -> anyhow::Result<()> {
    for (setting, text) in settings.iter().zip(texts) {
        let applies = setting.option.applies;
        if !kinds.iter().any(|k| probe::applies(applies, *k)) {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            bail!(
                "--set {text}: {} applies to {}, and none is probed here ({})",
                setting.option.name_on(sys::HOST),
                applies.describe(),
                names.join(", ")
            );
        }
    }
    Ok(())
}

fn run_experiments(
    args: &SockoptProbeArgs,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<Status> {
    let knobs = Knobs {
        duration: args.duration,
        iterations: args.iterations,
        backlog: args.backlog,
        listeners: args.listeners,
    };
    let mut report = ExperimentsReport {
        experiments: Vec::new(),
    };
    let mut failure = None;
    for e in Experiment::expand(&args.experiment) {
        match experiments::run(e, &knobs) {
            Ok(outcome) => report.experiments.push(outcome),
            Err(err) => {
                failure = Some(anyhow::Error::new(err).context(format!(
                    "experiment {}",
                    clap::ValueEnum::to_possible_value(&e)
                        .map(|v| v.get_name().to_owned())
                        .unwrap_or_default()
                )));
                break;
            }
        }
    }
    // What finished is still shown when a later experiment fails.
    if !report.experiments.is_empty() || failure.is_none() {
        emit(format, &report, out)?;
    }
    match failure {
        Some(err) => Err(err),
        None => Ok(Status::Ok),
    }
}
