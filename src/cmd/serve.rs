//! `sonde serve`: start the Redis-protocol server with a config file and/or
//! redis-server-style `--directive value` options, load the persisted
//! dataset (a damaged file stops startup with exit status 1), log one
//! startup line, run until SHUTDOWN or SIGTERM/SIGINT.

use std::io::IsTerminal;

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
    let mut config = Config::load(file.as_deref().map(std::path::Path::new), &options)
        .context("invalid configuration")?;
    if config.daemonize {
        daemonize()?;
    }
    // Before any thread starts: the environment moves out of the way.
    crate::server::proctitle::apply(&config);
    let level = log_level(config.loglevel);
    // With `logfile ""` the log goes to stderr; a line on stdout with the
    // pid (and one when ready) lets a harness written for redis-server,
    // which logs to stdout, see the server start.
    let banner = config.logfile.is_empty() && !std::io::stdout().is_terminal();
    let warnings = std::mem::take(&mut config.warnings);
    let log = logger(&config, format, level)?;
    if let Some(fd) = log.raw_fd() {
        crate::server::crash::install(fd);
    }
    let notifier = Notifier::from_config(&config.supervised);
    if let Some(n) = &notifier {
        n.send("STATUS=Loading the persisted dataset");
    }
    let mut server = Server::new(config, log);
    let class = match server.config.replicaof {
        Some(_) => crate::server::oom::Class::Replica,
        None => crate::server::oom::Class::Master,
    };
    if let Err(e) = crate::server::oom::apply(&mut server, class) {
        server.log.warning(&e, &[]);
    }
    for warning in &warnings {
        server.log.warning(warning, &[]);
    }
    for renamed in server.config.renamed_commands.clone() {
        if let Err(e) = server.commands.rename(&renamed.from, &renamed.to) {
            anyhow::bail!("invalid configuration: {}: {e}", renamed.origin);
        }
    }
    if let Err(e) = server.acl_load_at_start() {
        server.log.warning(&e, &[]);
        super::problem(e);
        return Ok(Status::Problem);
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
    // Bind before loading, as redis-server does: a client that connects
    // while a large dataset loads waits in the backlog instead of being
    // refused.
    let port = server.config.port;
    let mut event_loop = match EventLoop::bind(server) {
        Ok(event_loop) => event_loop,
        Err(e) => {
            if banner {
                // The line a harness written for redis-server looks for.
                println!("Failed listening on port {port} (TCP), aborting.");
            }
            return Err(bind_hint(e, port));
        }
    };
    if banner {
        println!(
            "sonde {} (redis_version {REDIS_VERSION}) port: {}, PID: {}",
            env!("CARGO_PKG_VERSION"),
            event_loop.server.port,
            std::process::id()
        );
    }
    let loaded = {
        let _watch = start_loading_watch(&event_loop.server, format, level)?;
        event_loop.load_dataset()
    };
    if let Err(e) = loaded {
        let offset = e.offset().map_or(-1, |o| o as i64);
        let snapshot = matches!(e, persistence::StartupError::Rdb { .. });
        if snapshot {
            // Redis's report of a snapshot it cannot read, which its tests
            // and log watchers grep for.
            event_loop.server.log.warning(
                &format!("Internal error in RDB reading offset {offset} -> {e}"),
                &[],
            );
        }
        // Redis's words for a bad checksum, which scripts grep for.
        let message = if e.kind() == "checksum_mismatch" {
            "Fatal error loading the persisted dataset: RDB CRC error"
        } else {
            "Fatal error loading the persisted dataset"
        };
        event_loop.server.log.warning(
            message,
            &[
                ("error", Field::Str(&e.to_string())),
                ("kind", Field::Str(e.kind())),
                ("offset", Field::Int(offset)),
            ],
        );
        if snapshot {
            event_loop
                .server
                .log
                .warning("Terminating server after rdb file reading failure.", &[]);
        }
        super::problem(format!("{e}"));
        return Ok(Status::Problem);
    }
    event_loop.start_replication();
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
            .map(|b| match b.trim_start_matches('-') {
                "*" => "0.0.0.0".to_owned(),
                "::*" => "::".to_owned(),
                host => host.to_owned(),
            })
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
    // (With the log on stdout, its own line says so already.)
    if banner && !event_loop.server.config.log_to_stdout {
        println!("Ready to accept connections");
    }
    let reason = event_loop.run()?;
    if let Some(n) = &notifier {
        n.send("STOPPING=1\nSTATUS=Shutting down");
    }
    let why = match reason {
        Shutdown::Command => "SHUTDOWN".to_owned(),
        Shutdown::Signal(sig) => format!("signal {sig}"),
    };
    event_loop.server.log.notice(
        "Sonde is now ready to exit, bye bye...",
        &[("reason", Field::Str(&why))],
    );
    Ok(Status::Ok)
}

/// The log as the configuration asks for it: stderr, or `logfile` in `dir`.
fn logger(config: &Config, format: LogFormat, level: Level) -> anyhow::Result<Logger> {
    if config.log_to_stdout {
        Ok(Logger::stdout(format, level))
    } else if config.logfile.is_empty() {
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
        (persistence::aof_dir(config), persistence::aof_size(config))
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
    // Catch SIGINT/SIGTERM before saying anything: a signal sent as soon
    // as the line appears must find the handler in place.
    crate::stop::catch(crate::stop::Repeat::Record);
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
