//! `sonde serve`: start the Redis-protocol server with a config file and/or
//! redis-server-style `--directive value` options, load the persisted
//! dataset (a damaged file stops startup with exit status 1), log one
//! startup line, run until SHUTDOWN or SIGTERM/SIGINT.

use anyhow::Context;

use super::Status;
use crate::cli::ServeArgs;
use crate::output::log::{Field, LogFormat, Logger};
use crate::server::config::Config;
use crate::server::event_loop::EventLoop;
use crate::server::{REDIS_VERSION, Server, Shutdown, log_level, persistence};

pub fn run(args: &ServeArgs) -> anyhow::Result<Status> {
    let (file, options, format) = split_arguments(&args.arguments, args.log_format)?;
    let config = Config::load(file.as_deref().map(std::path::Path::new), &options)
        .context("invalid configuration")?;
    let level = log_level(config.loglevel);
    let log = if config.logfile.is_empty() {
        Logger::stderr(format, level)
    } else {
        let path = config.dir.join(&config.logfile);
        Logger::file(format, level, &path)
            .with_context(|| format!("cannot open logfile {}", path.display()))?
    };
    let mut server = Server::new(config, log);
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
