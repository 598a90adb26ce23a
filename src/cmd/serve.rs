//! `sonde serve`: start the Redis-protocol server with a config file and/or
//! redis-server-style `--directive value` options, load the persisted
//! dataset (a damaged file stops startup with exit status 1), log one
//! startup line, run until SHUTDOWN or SIGTERM/SIGINT.

use std::io::IsTerminal;

use anyhow::Context;

use super::Status;
use crate::cli::ServeArgs;
use crate::output::log::{Field, LogFormat, Logger};
use crate::server::config::Config;
use crate::server::event_loop::EventLoop;
use crate::server::{REDIS_VERSION, Server, Shutdown, log_level, persistence};

pub fn run(args: &ServeArgs) -> anyhow::Result<Status> {
    let (file, options, format) = split_arguments(&args.arguments, args.log_format)?;
    let mut config = Config::load(file.as_deref().map(std::path::Path::new), &options)
        .context("invalid configuration")?;
    if config.daemonize {
        daemonize()?;
    }
    let level = log_level(config.loglevel);
    // With `logfile ""` the log goes to stderr; a line on stdout with the
    // pid (and one when ready) lets a harness written for redis-server,
    // which logs to stdout, see the server start.
    let banner = config.logfile.is_empty() && !std::io::stdout().is_terminal();
    if banner {
        println!(
            "sonde {} (redis_version {REDIS_VERSION}) port: {}, PID: {}",
            env!("CARGO_PKG_VERSION"),
            config.port,
            std::process::id()
        );
    }
    let warnings = std::mem::take(&mut config.warnings);
    let log = if config.logfile.is_empty() {
        Logger::stderr(format, level)
    } else {
        let path = config.dir.join(&config.logfile);
        Logger::file(format, level, &path)
            .with_context(|| format!("cannot open logfile {}", path.display()))?
    };
    let mut server = Server::new(config, log);
    for warning in &warnings {
        server.log.warning(warning, &[]);
    }
    let pidfile = server.config.pidfile.clone().map(std::path::PathBuf::from);
    if let Some(path) = &pidfile
        && let Err(e) = std::fs::write(path, format!("{}\n", std::process::id()))
    {
        server.log.warning(
            "Failed to write the PID file",
            &[
                ("path", Field::Str(&path.display().to_string())),
                ("error", Field::Str(&e.to_string())),
            ],
        );
    }
    let _remove_pidfile = RemoveOnDrop(pidfile);
    if let Err(e) = persistence::load_at_start(&mut server) {
        let offset = e.offset().map_or(-1, |o| o as i64);
        server.log.warning(
            "Fatal error loading the persisted dataset",
            &[
                ("error", Field::Str(&e.to_string())),
                ("kind", Field::Str(e.kind())),
                ("offset", Field::Int(offset)),
            ],
        );
        super::problem(format!("{e}"));
        return Ok(Status::Problem);
    }
    let mut event_loop = EventLoop::bind(server)?;
    let addrs: Vec<String> = event_loop
        .local_addrs()
        .iter()
        .map(|a| a.to_string())
        .collect();
    event_loop.server.log.notice(
        "Ready to accept connections",
        &[
            ("addr", Field::Str(&addrs.join(" "))),
            ("pid", Field::Int(i64::from(std::process::id()))),
            ("version", Field::Str(env!("CARGO_PKG_VERSION"))),
            ("redis_version", Field::Str(REDIS_VERSION)),
        ],
    );
    if banner {
        println!("Ready to accept connections");
    }
    let reason = event_loop.run()?;
    let why = match reason {
        Shutdown::Command => "SHUTDOWN".to_owned(),
        Shutdown::Signal(sig) => format!("signal {sig}"),
    };
    event_loop
        .server
        .log
        .notice("Ready to exit, bye bye...", &[("reason", Field::Str(&why))]);
    Ok(Status::Ok)
}

/// The optional config file (a first argument not starting with `--`), the
/// directives, and `--log-format` wherever it was given.
fn split_arguments(
    arguments: &[String],
    mut format: LogFormat,
) -> anyhow::Result<(Option<String>, Vec<String>, LogFormat)> {
    let mut rest = arguments;
    let mut file = None;
    if let Some(first) = rest.first()
        && !first.starts_with("--")
    {
        file = Some(first.clone());
        rest = &rest[1..];
    }
    let mut options = Vec::with_capacity(rest.len());
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == "--log-format" {
            let value = rest
                .get(i + 1)
                .context("--log-format needs a value (text or json)")?;
            format = match value.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => anyhow::bail!("--log-format: expected text or json, got '{other}'"),
            };
            i += 2;
            continue;
        }
        options.push(rest[i].clone());
        i += 1;
    }
    Ok((file, options, format))
}

/// Removes the pidfile when `serve` returns, as redis-server does at exit.
struct RemoveOnDrop(Option<std::path::PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// `daemonize yes`: the parent exits 0 at once; the child runs in a new
/// session with stdin, stdout and stderr on /dev/null, as redis-server.
fn daemonize() -> anyhow::Result<()> {
    use std::os::fd::AsRawFd;
    let devnull = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .context("daemonize: cannot open /dev/null")?;
    // SAFETY: no thread has been started yet (the configuration was just
    // read), so the child is a complete copy of this single-threaded
    // process; the parent only exits.
    match unsafe { libc::fork() } {
        -1 => anyhow::bail!(
            "daemonize: fork failed: {}",
            std::io::Error::last_os_error()
        ),
        0 => {}
        _ => std::process::exit(0),
    }
    // SAFETY: plain system calls on descriptors this process owns.
    unsafe {
        libc::setsid();
        for fd in 0..=2 {
            libc::dup2(devnull.as_raw_fd(), fd);
        }
    }
    Ok(())
}
