//! `sonde rdb restore`: replay a snapshot into a live server. The commands
//! of `rdb export --to resp` go out over one connection in large writes
//! while a second thread reads the replies, so many commands are in
//! flight; the replies are matched to the keys that sent them, so a
//! refused key is reported by name.
//!
//! The server is reached through the shared connection layer (redis-cli's
//! options); the reader thread gets its own handle on the connection, which
//! a TLS session cannot give (see [`open`]).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use serde::Serialize;

use super::rdb_common::{clock_ms, key_filter, walk_keys};
use super::{Status, problem};
use crate::cli::RdbRestoreArgs;
use crate::connect::{Client, Endpoint, Stream};
use crate::input;
use crate::output::bytes::{ByteString, display_short};
use crate::output::{Format, Report, emit, progress, table};
use crate::rdb::filter::ExpiryFilter;
use crate::rdb::replay::{self, Options, Resp};
use crate::rdb::{Event, RdbError};

/// Bytes written per batch of commands.
const CHUNK: usize = 256 * 1024;
/// Batches written whose replies have not been read yet.
const IN_FLIGHT: usize = 16;
/// Refusals reported by name.
const ERRORS_KEPT: usize = 20;

/// The server named by the connection options, connected and
/// authenticated, as one handle to write commands and one for the reply
/// reader thread.
fn open(args: &RdbRestoreArgs) -> anyhow::Result<(Endpoint, Stream, Stream)> {
    let endpoint = Endpoint::from_args(&args.connect, None, Duration::from_secs(5))?;
    let client = Client::connect(&endpoint)?;
    for w in &client.warnings {
        eprintln!("sonde: warning: {w}");
    }
    let (stream, _) = client.into_parts();
    stream.set_read_timeout(None)?;
    let (reader, writer) = stream.split()?.ok_or_else(|| {
        anyhow!(
            "{endpoint}: rdb restore does not run over TLS yet (its reply reader needs a \
             second handle on the connection); use `sonde rdb export --to resp FILE | \
             redis-cli --tls ... --pipe`"
        )
    })?;
    Ok((endpoint, reader, writer))
}

/// What the reader thread needs to know about one key (or other command
/// group) sent: its name and how many replies it takes.
struct Sent {
    what: Vec<u8>,
    replies: u32,
    is_key: bool,
}

enum Reply {
    Ok,
    Error(String),
}

/// Read one reply, whatever its shape; only errors are kept.
fn read_reply(r: &mut impl BufRead) -> io::Result<Reply> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.len() < 3 || !line.ends_with(b"\r\n") {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    let body = &line[1..line.len() - 2];
    let num = || -> io::Result<i64> {
        std::str::from_utf8(body)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad length in a reply"))
    };
    match line[0] {
        b'+' | b':' | b'_' | b',' | b'#' | b'(' => Ok(Reply::Ok),
        b'-' | b'!' => Ok(Reply::Error(String::from_utf8_lossy(body).into_owned())),
        b'$' | b'=' => {
            let n = num()?;
            if n >= 0 {
                io::copy(&mut r.take(n as u64 + 2), &mut io::sink())?;
            }
            Ok(Reply::Ok)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = num()?;
            let n = if matches!(line[0], b'%' | b'|') {
                n * 2
            } else {
                n
            };
            let mut first_error = None;
            for _ in 0..n.max(0) {
                if let Reply::Error(e) = read_reply(r)?
                    && first_error.is_none()
                {
                    first_error = Some(e);
                }
            }
            Ok(first_error.map_or(Reply::Ok, Reply::Error))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the server sent something that is not RESP",
        )),
    }
}

#[derive(Default)]
struct Tally {
    restored: u64,
    refused: u64,
    other_errors: u64,
    replies: u64,
    errors: Vec<RefusedRow>,
}

/// The final count.
#[derive(Serialize)]
struct RestoreReport {
    server: String,
    /// Keys sent (after filters).
    keys: u64,
    restored: u64,
    refused: u64,
    commands: u64,
    bytes_sent: u64,
    seconds: f64,
    /// The first refusals, with the server's message.
    errors: Vec<RefusedRow>,
    /// Set when the file is damaged; the keys before it were sent.
    file_error: Option<String>,
}

#[derive(Serialize)]
struct RefusedRow {
    key: ByteString,
    error: String,
}

impl Report for RestoreReport {
    fn table(&self, out: &mut dyn Write) -> io::Result<()> {
        let rows = [
            ("server", self.server.clone()),
            ("keys sent", self.keys.to_string()),
            ("restored", self.restored.to_string()),
            ("refused", self.refused.to_string()),
            ("commands", self.commands.to_string()),
            ("bytes sent", self.bytes_sent.to_string()),
            ("seconds", format!("{:.3}", self.seconds)),
        ];
        table::write(out, &table::key_values(rows))?;
        if !self.errors.is_empty() {
            let mut t = table::new(["key", "error"]);
            for e in &self.errors {
                t.add_row([display_short(&e.key.0, 60), e.error.clone()]);
            }
            table::write_titled(out, "Refused", &t)?;
        }
        if let Some(e) = &self.file_error {
            writeln!(out, "file error: {e}")?;
        }
        Ok(())
    }
}

pub fn run(args: &RdbRestoreArgs, format: Format) -> anyhow::Result<Status> {
    let name = args.file.display().to_string();
    let data = input::map(&args.file).with_context(|| format!("cannot open {name}"))?;
    let mut filter = key_filter(&args.replay.filter, &args.replay.slots)?;
    let now = args.replay.now.unwrap_or_else(clock_ms);
    if filter.expiry.is_none() {
        filter.expiry = Some(ExpiryFilter::NotExpired);
    }
    let (endpoint, reader_stream, mut writer) = open(args)?;
    let server = endpoint.to_string();
    let (meta_tx, meta_rx) = mpsc::sync_channel::<Vec<Sent>>(IN_FLIGHT);
    let started = Instant::now();
    let reader = std::thread::spawn(move || -> io::Result<Tally> {
        let mut r = BufReader::with_capacity(256 * 1024, reader_stream);
        let mut tally = Tally::default();
        for batch in meta_rx {
            for sent in batch {
                let mut error = None;
                for _ in 0..sent.replies {
                    tally.replies += 1;
                    if let Reply::Error(e) = read_reply(&mut r)?
                        && error.is_none()
                    {
                        error = Some(e);
                    }
                }
                match (error, sent.is_key) {
                    (None, true) => tally.restored += 1,
                    (None, false) => {}
                    (Some(e), is_key) => {
                        if is_key {
                            tally.refused += 1;
                        } else {
                            tally.other_errors += 1;
                        }
                        if tally.errors.len() < ERRORS_KEPT {
                            tally.errors.push(RefusedRow {
                                key: ByteString(sent.what),
                                error: e,
                            });
                        }
                    }
                }
            }
        }
        Ok(tally)
    });

    let opts = Options {
        plain: args.replay.commands,
        replace: args.replay.replace,
        batch: args.replay.batch,
    };
    let bar = progress::bytes(data.len() as u64, format, "restoring");
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 64 * 1024);
    let mut sent: Vec<Sent> = Vec::new();
    let mut keys = 0u64;
    let mut commands = 0u64;
    let mut bytes_sent = 0u64;
    let mut current_db: Option<u64> = None;
    let mut flush = |buf: &mut Vec<u8>, sent: &mut Vec<Sent>| -> io::Result<()> {
        if sent.is_empty() {
            return Ok(());
        }
        // The reader learns what to expect before the bytes go out.
        if meta_tx.send(std::mem::take(sent)).is_err() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the reply reader stopped",
            ));
        }
        writer.write_all(buf)?;
        bytes_sent += buf.len() as u64;
        buf.clear();
        Ok(())
    };
    enum Failure {
        Rdb(RdbError),
        Io(io::Error),
    }
    impl From<RdbError> for Failure {
        fn from(e: RdbError) -> Self {
            Failure::Rdb(e)
        }
    }
    impl From<io::Error> for Failure {
        fn from(e: io::Error) -> Self {
            Failure::Io(e)
        }
    }
    let walked = walk_keys(&data, &filter, now, |located, key_entry| {
        let Some((entry, key)) = key_entry else {
            if let Some(Event::Function {
                pre_ga: false,
                code,
                ..
            }) = located.map(|l| &l.event)
            {
                let code = code.to_bytes()?;
                let mut resp = Resp::new(&mut buf);
                replay::function_load(&mut resp, &code, args.replay.replace);
                commands += 1;
                sent.push(Sent {
                    what: b"FUNCTION LOAD".to_vec(),
                    replies: 1,
                    is_key: false,
                });
            }
            return Ok::<(), Failure>(());
        };
        let db = endpoint.db.map_or(entry.db, u64::from);
        let mut resp = Resp::new(&mut buf);
        if current_db != Some(db) {
            resp.select(db);
            current_db = Some(db);
            sent.push(Sent {
                what: format!("SELECT {db}").into_bytes(),
                replies: 1,
                is_key: false,
            });
        }
        let before = resp.commands;
        let mut key_resp = Resp {
            out: resp.out,
            commands: 0,
        };
        replay::key(&mut key_resp, key, entry, &opts)?;
        commands += before + key_resp.commands;
        sent.push(Sent {
            what: key.to_vec(),
            replies: key_resp.commands as u32,
            is_key: true,
        });
        keys += 1;
        if buf.len() >= CHUNK {
            flush(&mut buf, &mut sent)?;
            bar.set_position(entry.offset);
        }
        Ok(())
    });
    let walked = match walked {
        Ok(()) => flush(&mut buf, &mut sent).map_err(Failure::Io),
        Err(e) => {
            // Send what was built before the damage.
            let _ = flush(&mut buf, &mut sent);
            Err(e)
        }
    };
    drop(meta_tx);
    let tally = reader.join().ok().context("the reply reader panicked")?;
    bar.finish_and_clear();
    let file_error = match walked {
        Ok(()) => None,
        Err(Failure::Rdb(e)) => Some(format!("{name}: {e} ({})", e.kind.name())),
        Err(Failure::Io(e)) => {
            return Err(anyhow::Error::new(e).context(format!("sending to {server}")));
        }
    };
    let tally = tally.with_context(|| format!("reading replies from {server}"))?;
    let report = RestoreReport {
        server,
        keys,
        restored: tally.restored,
        refused: tally.refused,
        commands,
        bytes_sent,
        seconds: started.elapsed().as_secs_f64(),
        errors: tally.errors,
        file_error: file_error.clone(),
    };
    let mut out = io::stdout().lock();
    emit(format, &report, &mut out)?;
    out.flush()?;
    if let Some(e) = file_error {
        problem(e);
        return Ok(Status::Problem);
    }
    if report.refused > 0 || tally.other_errors > 0 {
        problem(format!(
            "the server refused {} keys and {} other commands",
            report.refused, tally.other_errors
        ));
        return Ok(Status::Problem);
    }
    Ok(Status::Ok)
}
