//! Loading the append-only file at startup: the BASE (an RDB image, or
//! commands) then every INCR file, in the manifest's order, each mapped
//! into memory and replayed command by command through the command table
//! on a client that has no connection, as Redis replays its AOF.
//!
//! A file that ends inside a command is what a crash leaves behind: with
//! `aof-load-truncated yes` the last file is truncated to its last
//! complete command (or to before an unfinished MULTI) and loading goes
//! on, with a warning; in any other file, or with the option off, it stops
//! startup. Anything else that is not a well-formed command — a damaged
//! middle — stops startup with the file and byte offset.
//!
//! Keys do not expire while loading (a later command in the file may still
//! use a key whose time has passed since); the keyspace is told so.

use std::path::Path;

use super::manifest::Manifest;
use super::snapshot::{self, LoadError};
use crate::server::Server;
use crate::server::clock::unix_ms;
use crate::server::command::Lookup;
use crate::server::connection::Client;

/// Why the AOF could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AofLoadError {
    #[error("the append only file {file} cannot be read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the RDB part of {file} cannot be loaded: {source}")]
    Base {
        file: String,
        #[source]
        source: LoadError,
    },
    #[error("Bad file format reading the append only file {file} at byte {offset}: {message}")]
    Format {
        file: String,
        offset: u64,
        message: String,
    },
    #[error("Unknown command '{command}' reading the append only file {file} at byte {offset}")]
    UnknownCommand {
        file: String,
        offset: u64,
        command: String,
    },
    #[error("Unexpected end of file reading the append only file {file} at byte {offset}: {why}")]
    Truncated {
        file: String,
        offset: u64,
        why: &'static str,
    },
}

impl AofLoadError {
    /// A stable snake_case name of the problem.
    pub fn kind(&self) -> &'static str {
        match self {
            AofLoadError::Io { .. } => "io",
            AofLoadError::Base { source, .. } => source.kind(),
            AofLoadError::Format { .. } => "bad_format",
            AofLoadError::UnknownCommand { .. } => "unknown_command",
            AofLoadError::Truncated { .. } => "truncated",
        }
    }

    /// The byte offset in the file, when there is one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            AofLoadError::Io { .. } => None,
            AofLoadError::Base { source, .. } => Some(source.offset()),
            AofLoadError::Format { offset, .. }
            | AofLoadError::UnknownCommand { offset, .. }
            | AofLoadError::Truncated { offset, .. } => Some(*offset),
        }
    }
}

/// What loading did, for the log.
#[derive(Debug, Default)]
pub struct Summary {
    pub files: usize,
    pub commands: u64,
    /// Keys from RDB parts.
    pub keys: u64,
    pub bytes: u64,
    /// The last file was cut at this offset (it ended inside a command).
    pub truncated: Option<(String, u64)>,
}

/// Load every file the manifest names (in `dir`) into `srv`.
pub fn load(
    srv: &mut Server,
    dir: &Path,
    manifest: &Manifest,
    truncated_ok: bool,
) -> Result<Summary, AofLoadError> {
    let files: Vec<String> = manifest.data_files().map(|e| e.name.clone()).collect();
    let mut summary = Summary::default();
    srv.ks.loading = true;
    srv.ks.effects.enabled = false;
    let mut client = Client::new(0, usize::MAX, None);
    client.authenticated = true;
    client.is_aof = true;
    client.user = usize::MAX;
    client.user_name = b"(superuser)".to_vec();
    let mut result = Ok(());
    for (i, name) in files.iter().enumerate() {
        let last = i + 1 == files.len();
        if let Err(e) = load_file(
            srv,
            &mut client,
            dir,
            name,
            last && truncated_ok,
            &mut summary,
        ) {
            result = Err(e);
            break;
        }
        summary.files += 1;
    }
    srv.ks.loading = false;
    srv.ks.effects.take_propagated();
    srv.signals.dirty = 0;
    result.map(|()| summary)
}

/// Where a command parse ended.
enum Parsed<'a> {
    Command(Vec<&'a [u8]>, usize),
    /// An annotation line (`#...`), skipped.
    Annotation(usize),
    /// The data ends inside the command.
    Incomplete,
    Bad(String),
}

/// Parse one RESP multibulk command (or annotation) at the start of `data`.
fn parse(data: &[u8]) -> Parsed<'_> {
    let line = |from: usize| -> Option<(&[u8], usize)> {
        let rest = data.get(from..)?;
        let end = memchr::memchr(b'\n', rest)?;
        let text = &rest[..end];
        Some((text.strip_suffix(b"\r").unwrap_or(text), from + end + 1))
    };
    match data.first() {
        None => return Parsed::Incomplete,
        Some(b'#') => {
            return match line(0) {
                Some((_, next)) => Parsed::Annotation(next),
                None => Parsed::Incomplete,
            };
        }
        Some(b'*') => {}
        Some(_) => return Parsed::Bad("expected '*' starting a command".to_owned()),
    }
    let Some((header, mut pos)) = line(0) else {
        return Parsed::Incomplete;
    };
    let argc = match crate::resp::number::string2ll(&header[1..]) {
        Some(n) if n >= 1 => n as u64,
        _ => return Parsed::Bad("invalid argument count".to_owned()),
    };
    // Each argument takes at least 6 bytes ("$0\r\n\r\n"): the room reserved
    // is bounded by what the rest of the file can hold.
    let mut args = Vec::with_capacity(argc.min((data.len() - pos) as u64 / 6) as usize);
    for _ in 0..argc {
        match data.get(pos) {
            None => return Parsed::Incomplete,
            Some(b'$') => {}
            Some(_) => return Parsed::Bad("expected '$' starting an argument".to_owned()),
        }
        let Some((header, next)) = line(pos) else {
            return Parsed::Incomplete;
        };
        let len = match crate::resp::number::string2ll(&header[1..]) {
            Some(n) if n >= 0 => n as usize,
            _ => return Parsed::Bad("invalid argument length".to_owned()),
        };
        let Some(end) = next.checked_add(len) else {
            return Parsed::Bad("invalid argument length".to_owned());
        };
        if end + 2 > data.len() {
            return Parsed::Incomplete;
        }
        if &data[end..end + 2] != b"\r\n" {
            return Parsed::Bad("argument not followed by CRLF".to_owned());
        }
        args.push(&data[next..end]);
        pos = end + 2;
    }
    Parsed::Command(args, pos)
}

fn load_file(
    srv: &mut Server,
    client: &mut Client,
    dir: &Path,
    name: &str,
    truncated_ok: bool,
    summary: &mut Summary,
) -> Result<(), AofLoadError> {
    let path = dir.join(name);
    let io = |source| AofLoadError::Io {
        file: name.to_owned(),
        source,
    };
    let map = crate::input::map(&path).map_err(io)?;
    let data: &[u8] = &map;
    // Offsets in the progress are over all the files loaded.
    let before = summary.bytes;
    summary.bytes += data.len() as u64;
    let mut pos = 0usize;
    if data.starts_with(b"REDIS") {
        let loaded =
            snapshot::load(&mut srv.ks, data, None).map_err(|source| AofLoadError::Base {
                file: name.to_owned(),
                source,
            })?;
        summary.keys += loaded.keys;
        pos = loaded.end as usize;
    }
    let mut valid_up_to = pos;
    let mut multi: Option<(usize, Vec<Vec<&[u8]>>)> = None;
    let mut executed = 0u64;
    let cut = loop {
        if pos == data.len() {
            // The end, unless it cuts a transaction short.
            break multi.as_ref().map(|(before, _)| *before);
        }
        match parse(&data[pos..]) {
            Parsed::Annotation(next) => pos += next,
            Parsed::Incomplete => break Some(multi.as_ref().map_or(valid_up_to, |m| m.0)),
            Parsed::Bad(message) => {
                return Err(AofLoadError::Format {
                    file: name.to_owned(),
                    offset: pos as u64,
                    message,
                });
            }
            Parsed::Command(args, next) => {
                let at = pos;
                pos += next;
                let name_arg = args[0];
                if name_arg.eq_ignore_ascii_case(b"multi") && multi.is_none() {
                    multi = Some((at, Vec::new()));
                } else if name_arg.eq_ignore_ascii_case(b"exec") && multi.is_some() {
                    if let Some((_, queued)) = multi.take() {
                        for command in queued {
                            execute(srv, client, &command, name, at)?;
                            executed += 1;
                        }
                    }
                } else if let Some((_, queued)) = multi.as_mut() {
                    queued.push(args);
                } else {
                    execute(srv, client, &args, name, at)?;
                    executed += 1;
                    if executed.is_multiple_of(1024) {
                        srv.ks.set_now(unix_ms());
                        crate::server::loading::record_commands(
                            before + pos as u64,
                            summary.commands + executed,
                        );
                    }
                }
                if multi.is_none() {
                    valid_up_to = pos;
                }
            }
        }
    };
    summary.commands += executed;
    let Some(cut) = cut else {
        return Ok(());
    };
    if !truncated_ok {
        return Err(AofLoadError::Truncated {
            file: name.to_owned(),
            offset: cut as u64,
            why: "the file ends inside a command and is not the last one, or \
                  aof-load-truncated is no",
        });
    }
    drop(map);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_len(cut as u64))
        .map_err(io)?;
    summary.truncated = Some((name.to_owned(), cut as u64));
    Ok(())
}

/// Run one command from the file on the loading client.
fn execute(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    file: &str,
    offset: usize,
) -> Result<(), AofLoadError> {
    let unknown = || AofLoadError::UnknownCommand {
        file: file.to_owned(),
        offset: offset as u64,
        command: String::from_utf8_lossy(args[0]).into_owned(),
    };
    let Lookup::Found(index) = srv.commands.lookup(args) else {
        return Err(unknown());
    };
    let Some(handler) = srv.commands.entries[index].spec.handler else {
        return Err(unknown());
    };
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(srv, client, args)));
    if outcome.is_err() {
        return Err(AofLoadError::Format {
            file: file.to_owned(),
            offset: offset as u64,
            message: format!(
                "internal error executing '{}'",
                String::from_utf8_lossy(args[0])
            ),
        });
    }
    client.reply.buf.clear();
    client.reply.sent = 0;
    client.reply.errors.clear();
    srv.ks.effects.take_propagated();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_annotations_and_damage_are_told_apart() {
        let Parsed::Command(args, next) = parse(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1") else {
            panic!("a command");
        };
        assert_eq!((args, next), (vec![&b"GET"[..], b"k"], 20));
        assert!(matches!(parse(b"#TS:123\r\n*1"), Parsed::Annotation(9)));
        for cut in [
            &b"*2\r\n$3\r\nGE"[..],
            b"*2\r\n$3\r\nGET\r\n",
            b"*2",
            b"*2\r\n$3\r\nGET\r",
        ] {
            assert!(matches!(parse(cut), Parsed::Incomplete), "{cut:?}");
        }
        for bad in [
            &b"SET k v\r\n"[..],
            b"*0\r\n",
            b"*1\r\n+OK\r\n",
            b"*1\r\n$1\r\nab\r\n",
        ] {
            assert!(matches!(parse(bad), Parsed::Bad(_)), "{bad:?}");
        }
        // A huge count with little data left is truncation, not a 1 TB
        // allocation.
        assert!(matches!(
            parse(b"*999999999999\r\n$1\r\n"),
            Parsed::Incomplete
        ));
    }
}
