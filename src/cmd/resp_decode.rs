//! `sonde resp decode`: frames of a RESP stream, or statistics about them.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context;
use serde::Serialize;

use super::{Status, problem};
use crate::cli::RespDecodeArgs;
use crate::input::{self, HexReader};
use crate::output::bytes::display;
use crate::output::frame::{FrameJson, tty};
use crate::output::json::JsonArray;
use crate::output::stream::{Column, Columns};
use crate::output::{Format, Report, emit, table};
use crate::resp::reader::{Excerpt, FrameReader, ReadError};
use crate::resp::stats::{CommandCount, Count, StreamStats};
use crate::resp::{Decoder, Limits};

pub fn run(args: &RespDecodeArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    let (raw, name) = input::open(args.file.as_deref())
        .with_context(|| format!("cannot open {}", input::name(&args.file)))?;
    let source: Box<dyn std::io::Read> = if args.hex {
        Box::new(HexReader::new(raw))
    } else {
        raw
    };
    let decoder = Decoder::new(Limits {
        max_bulk_len: args.max_bulk_len,
        max_aggregate_len: args.max_aggregate_len,
        max_depth: usize::from(args.max_depth),
    })
    .resp2_only(args.resp2);
    let mut reader = FrameReader::new(source, decoder, args.max_frame);

    let mut sink: Box<dyn FrameSink> = match (args.stats, format) {
        (true, _) => Box::new(StatsSink {
            stats: StreamStats::default(),
            out: &mut *out,
        }),
        (false, Format::Json) => Box::new(JsonSink {
            array: JsonArray::new(&mut *out),
            decoder,
        }),
        (false, Format::Table) => Box::new(TableSink {
            columns: Columns::new(
                &mut *out,
                vec![
                    Column::right("OFFSET", 8),
                    Column::right("LENGTH", 6),
                    Column::left("TYPE", 10),
                ],
                "VALUE",
            ),
        }),
    };

    let failure = loop {
        match reader.next_frame() {
            Ok(Some(decoded)) => sink.frame(&decoded)?,
            Ok(None) => break None,
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                // Bad hex text: a problem of the input, not of the machine.
                break Some(Failure {
                    message: format!("{name}: {e}"),
                    offset: None,
                    excerpt: None,
                });
            }
            Err(ReadError::Io(e)) => {
                sink.finish(None, format)?;
                return Err(e).with_context(|| format!("reading {name}"));
            }
            Err(e) => break Some(Failure::from_read(&e, &name)),
        }
    };
    sink.finish(failure.as_ref(), format)?;
    match failure {
        None => Ok(Status::Ok),
        Some(f) => {
            out.flush()?;
            problem(f.render());
            Ok(Status::Problem)
        }
    }
}

/// A malformed or truncated stream, described for the user.
struct Failure {
    message: String,
    offset: Option<u64>,
    excerpt: Option<Excerpt>,
}

impl Failure {
    fn from_read(e: &ReadError, name: &str) -> Failure {
        let (offset, excerpt) = match e {
            ReadError::Invalid {
                offset, excerpt, ..
            } => (Some(*offset), Some(excerpt.clone())),
            ReadError::Truncated { offset, .. } | ReadError::TooLarge { offset, .. } => {
                (Some(*offset), None)
            }
            ReadError::Io(_) => (None, None),
        };
        Failure {
            message: format!("{name}: {e}"),
            offset,
            excerpt,
        }
    }

    /// The message, then the bytes around the fault with a caret under it.
    fn render(&self) -> String {
        let (Some(offset), Some(ex)) = (self.offset, &self.excerpt) else {
            return self.message.clone();
        };
        let hex: Vec<String> = ex.bytes.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = ex
            .bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        let lead = format!("  {:>10}: ", ex.start);
        let caret = " ".repeat(lead.len() + (offset - ex.start) as usize * 3);
        format!(
            "{}\n{lead}{}  {ascii}\n{caret}^^",
            self.message,
            hex.join(" ")
        )
    }
}

/// Where decoded frames go: rows, a JSON array, or counters.
trait FrameSink {
    fn frame(&mut self, decoded: &crate::resp::reader::Decoded) -> std::io::Result<()>;
    fn finish(self: Box<Self>, failure: Option<&Failure>, format: Format) -> std::io::Result<()>;
}

struct TableSink<'a> {
    columns: Columns<&'a mut dyn Write>,
}

impl FrameSink for TableSink<'_> {
    fn frame(&mut self, d: &crate::resp::reader::Decoded) -> std::io::Result<()> {
        let offset = d.offset.to_string();
        let length = d.raw.len().to_string();
        let value = tty(&d.frame);
        self.columns
            .row(&[&offset, &length, d.frame.kind().name(), &value])
    }
    fn finish(mut self: Box<Self>, _: Option<&Failure>, _: Format) -> std::io::Result<()> {
        self.columns.flush()
    }
}

struct JsonSink<'a> {
    array: JsonArray<&'a mut dyn Write>,
    decoder: Decoder,
}

impl FrameSink for JsonSink<'_> {
    fn frame(&mut self, d: &crate::resp::reader::Decoded) -> std::io::Result<()> {
        self.array.push(&FrameJson {
            frame: &d.frame,
            bytes: &d.raw,
            offset: d.offset,
            decoder: &self.decoder,
        })
    }
    fn finish(self: Box<Self>, _: Option<&Failure>, _: Format) -> std::io::Result<()> {
        self.array.finish()
    }
}

struct StatsSink<'a> {
    stats: StreamStats,
    out: &'a mut dyn Write,
}

impl FrameSink for StatsSink<'_> {
    fn frame(&mut self, d: &crate::resp::reader::Decoded) -> std::io::Result<()> {
        self.stats.add(&d.frame, d.raw.len());
        Ok(())
    }
    fn finish(self: Box<Self>, failure: Option<&Failure>, format: Format) -> std::io::Result<()> {
        let report = StatsReport {
            frames: self.stats.frames,
            bytes: self.stats.bytes,
            types: self
                .stats
                .by_kind
                .iter()
                .map(|(k, c)| (k.name(), *c))
                .collect(),
            commands: self.stats.commands(),
            error: failure.map(|f| StatsError {
                offset: f.offset,
                message: f.message.clone(),
            }),
        };
        emit(format, &report, self.out)
    }
}

/// `--stats` output.
#[derive(Serialize)]
struct StatsReport {
    frames: u64,
    bytes: u64,
    /// Frame type name → top-level frames and bytes of that type.
    types: BTreeMap<&'static str, Count>,
    /// Arrays of bulk strings counted by their first element, uppercased.
    commands: Vec<CommandCount>,
    /// Set when the stream was malformed; the counts cover what came before.
    error: Option<StatsError>,
}

#[derive(Serialize)]
struct StatsError {
    offset: Option<u64>,
    message: String,
}

impl Report for StatsReport {
    fn table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut types = table::new(["type", "frames", "bytes"]);
        for (name, c) in &self.types {
            types.add_row([name.to_string(), c.frames.to_string(), c.bytes.to_string()]);
        }
        types.add_row([
            "total".to_owned(),
            self.frames.to_string(),
            self.bytes.to_string(),
        ]);
        table::align_right(&mut types, &[1, 2]);
        table::write(out, &types)?;
        write_command_counts(out, &self.commands)
    }
}

/// The table of commands by name, count and bytes (also `replica tail`'s).
pub(super) fn write_command_counts(
    out: &mut dyn Write,
    counts: &[CommandCount],
) -> std::io::Result<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let mut commands = table::new(["command", "count", "bytes"]);
    for c in counts {
        commands.add_row([display(&c.name.0), c.count.to_string(), c.bytes.to_string()]);
    }
    table::align_right(&mut commands, &[1, 2]);
    table::write(out, &commands)
}
