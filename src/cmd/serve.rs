//! `sonde serve`: start the Redis-protocol server with a config file and/or
//! redis-server-style `--directive value` options, load the persisted
//! dataset (a damaged file stops startup with exit status 1), log one
//! startup line, run until SHUTDOWN or SIGTERM/SIGINT.

use anyhow::Context;

use super::Status;
use crate::cli::ServeArgs;
use crate::output::Format;
use crate::output::log::{Field, Level, LogFormat, Logger};
use crate::server::config::Config;
use crate::server::event_loop::{EventLoop, ServeError};
use crate::server::loading;
use crate::server::metrics::Endpoint;
use crate::server::notify_systemd::Notifier;
use crate::server::{REDIS_VERSION, Server, Shutdown, log_level, persistence};

pub fn run(args: &ServeArgs, format: Format) -> anyhow::Result<Status> {
    // The global `--format json` means what it can for a server: its
    // output is its log, so the log becomes JSON Lines.
    let log_format = match format {
        Format::Json => LogFormat::Json,
        Format::Table => args.log_format,
    };
    let (file, options, format) = split_arguments(&args.arguments, log_format)?;
    let config = Config::load(file.as_deref().map(std::path::Path::new), &options)
        .context("invalid configuration")?;
    let level = log_level(config.loglevel);
    let log = logger(&config, format, level)?;
    let notifier = Notifier::from_config(&config.supervised);
    if let Some(n) = &notifier {
        n.send("STATUS=Loading the persisted dataset");
    }
    let mut server = Server::new(config, log);
    let loaded = {
        let _watch = start_loading_watch(&server, format, level)?;
        persistence::load_at_start(&mut server)
    };
    if let Err(e) = loaded {
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
    let port = server.config.port;
    let mut event_loop = EventLoop::bind(server).map_err(|e| bind_hint(e, port))?;
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
    let metrics_port = event_loop.server.config.metrics_port;
    if metrics_port != 0 {
        let host = event_loop
            .server
            .config
            .bind
            .first()
            .map(|b| b.trim_start_matches('-').to_owned())
            .unwrap_or_else(|| "127.0.0.1".to_owned());
        let endpoint = Endpoint::start(&host, metrics_port).with_context(|| {
            format!("metrics-port {metrics_port}: cannot listen on {host}:{metrics_port}")
        })?;
        event_loop.server.metrics = Some(endpoint);
        event_loop.server.log.notice(
            "Prometheus metrics",
            &[(
                "url",
                Field::Str(&format!("http://{host}:{metrics_port}/metrics")),
            )],
        );
    }
    if let Some(n) = &notifier {
        n.send(&format!(
            "READY=1\nSTATUS=Ready to accept connections on {}\nMAINPID={}",
            addrs.join(" "),
            std::process::id()
        ));
    }
    let reason = event_loop.run()?;
    if let Some(n) = &notifier {
        n.send("STOPPING=1\nSTATUS=Shutting down");
    }
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

/// The log as the configuration asks for it: stderr, or `logfile` in `dir`.
fn logger(config: &Config, format: LogFormat, level: Level) -> anyhow::Result<Logger> {
    if config.logfile.is_empty() {
        Ok(Logger::stderr(format, level))
    } else {
        let path = config.dir.join(&config.logfile);
        Logger::file(format, level, &path)
            .with_context(|| format!("cannot open logfile {}", path.display()))
    }
}

/// Say what is about to be loaded, and watch the load: progress every few
/// seconds, and a clean exit on SIGINT/SIGTERM (see server::loading).
fn start_loading_watch(
    server: &Server,
    format: LogFormat,
    level: Level,
) -> anyhow::Result<Option<loading::Watch>> {
    let config = &server.config;
    let (path, total) = if config.appendonly {
        (persistence::aof_dir(config), 0)
    } else {
        let path = persistence::rdb_path(config);
        match std::fs::metadata(&path) {
            Ok(meta) => (path, meta.len()),
            Err(_) => return Ok(None),
        }
    };
    if !path.exists() {
        return Ok(None);
    }
    let what = path.display().to_string();
    let mut fields = vec![("file", Field::Str(&what))];
    if total > 0 {
        fields.push(("bytes", Field::Int(total as i64)));
    }
    server.log.notice("Loading the persisted dataset", &fields);
    let log = logger(config, format, level)?;
    Ok(Some(loading::watch(log, what, total)))
}

/// A taken port is the usual first stumble: say how to pick another.
fn bind_hint(err: ServeError, port: u16) -> anyhow::Error {
    match err {
        ServeError::Bind { addr, source } if source.kind() == std::io::ErrorKind::AddrInUse => {
            let other = port.checked_add(1).unwrap_or(7000);
            anyhow::anyhow!(
                "cannot listen on {addr}: {source}; another server (redis-server, sonde) \
                 holds port {port}: choose another with --port, e.g. `sonde serve --port {other}`"
            )
        }
        other => other.into(),
    }
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
        if rest[i] == "--log-format" || rest[i] == "--format" {
            let option = &rest[i];
            let value = rest
                .get(i + 1)
                .with_context(|| format!("{option} needs a value (text or json)"))?;
            format = match value.as_str() {
                "text" | "table" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => anyhow::bail!("{option}: expected text or json, got '{other}'"),
            };
            i += 2;
            continue;
        }
        options.push(rest[i].clone());
        i += 1;
    }
    Ok((file, options, format))
}
