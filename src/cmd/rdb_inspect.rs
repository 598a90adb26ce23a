//! `sonde rdb inspect`: what an RDB snapshot holds, as a summary or one
//! record per key. The file is mapped and walked once by the streaming
//! reader; aggregates are bounded (see `rdb::stats`).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value as Json;

use super::rdb_common::{key_filter, value_json};
use super::{Status, problem};
use crate::cli::RdbInspectArgs;
use crate::input;
use crate::output::bytes::{ByteString, JsonBytes, display, display_short};
use crate::output::stream::{Column, Columns};
use crate::output::{Format, Report, emit, progress, table};
use crate::rdb::ObjectType;
use crate::rdb::filter::KeyFilter;
use crate::rdb::stats::{
    BigKey, DbTally, Distribution, ExpiryHistogram, KeyFacts, OBJECT_TYPES, Stats, Tally,
};

use crate::rdb::{Event, KeyEntry, Located, RdbError, RdbStr, Reader, memory};
use crate::ring::slots::key_slot;

pub fn run(args: &RdbInspectArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    let name = args.file.display().to_string();
    let data = input::map_expecting(&args.file, Some(b"REDIS"))
        .with_context(|| format!("cannot open {name}"))?;
    let mut slot_ranges: Vec<(u16, u16)> = Vec::new();
    if let Some(range) = args.slots
        && range != (0, 16383)
    {
        slot_ranges.push(range);
    }
    let filter = key_filter(&args.filter, &slot_ranges)?;
    let mut sink: Box<dyn KeySink + '_> = if args.keys || args.values {
        match format {
            Format::Json => Box::new(JsonKeys {
                out: &mut *out,
                values: args.values,
            }),
            Format::Table => Box::new(TableKeys {
                columns: Columns::new(
                    &mut *out,
                    vec![
                        Column::right("DB", 3),
                        Column::left("TYPE", 6),
                        Column::left("ENCODING", 10),
                        Column::right("LEN", 8),
                        Column::right("SIZE", 9),
                        Column::right("EXPIRE_MS", 13),
                        Column::right("SLOT", 5),
                    ],
                    "KEY",
                ),
                values: args.values,
            }),
        }
    } else {
        Box::new(NoKeys)
    };

    let new_scan = || -> anyhow::Result<Scan> {
        let mut scan = Scan::new(args);
        scan.filtered = !filter.is_empty();
        if !args.what_if.is_empty() {
            let mut limits = memory::Limits::default();
            for setting in &args.what_if {
                limits
                    .set(setting)
                    .map_err(|e| anyhow::anyhow!("--what-if {e}"))?;
            }
            scan.what_if = Some((limits, Default::default()));
        }
        Ok(scan)
    };
    let mut scan = new_scan()?;
    let bar = progress::bytes(data.len() as u64, format, "reading");
    let bytes: &[u8] = &data;
    // The CRC-64 of everything but a final 8-byte checksum (used when EOF
    // turns out to be exactly there, else recomputed below) runs beside
    // the tally when there is a second core.
    let guess = bytes.len().saturating_sub(8);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let summary = !(args.keys || args.values);
    let outcome = if summary {
        match in_parts(bytes, &mut scan, &filter, &bar, cores, guess) {
            Some(outcome) => outcome,
            None => {
                // The parts did not meet where the cut said (a reader bug):
                // start again in one pass.
                scan = new_scan()?;
                let (sink_failure, parsed) = scan_here(bytes, &mut scan, &filter, &mut *sink, &bar);
                (sink_failure, Some(parsed), None)
            }
        }
    } else if cores < 2 {
        // One core (e.g. under taskset): threads could only take turns, so
        // parse and tally here, and checksum at the end.
        let (sink_failure, parsed) = scan_here(bytes, &mut scan, &filter, &mut *sink, &bar);
        (sink_failure, Some(parsed), None)
    } else {
        // Three stages: the checksum, the parser, and the tally on this
        // thread (which writes the records in file order). Events borrow
        // from the mapped file and cross over in batches, a bounded number
        // in flight.
        std::thread::scope(|scope| {
            let crc = scope.spawn(|| crate::rdb::crc64::checksum(&bytes[..guess]));
            let (batches, parsed) =
                std::sync::mpsc::sync_channel::<Batch>(PARSED_BATCHES_IN_FLIGHT);
            // Emptied batches go back to the parser: their memory stays warm in
            // the caches instead of being allocated afresh for each batch.
            let (recycle, recycled) = std::sync::mpsc::channel::<(Vec<Located>, Vec<Measured>)>();
            // Unfiltered, every key is measured: the parser does that too, so
            // that both cores have about as much to do.
            let measure = !scan.filtered;
            let parser = scope.spawn(move || parse(bytes, batches, recycled, measure));
            let mut sink_failure = None;
            'tally: for mut batch in &parsed {
                let mut measured = batch.measured.drain(..);
                for located in &batch.events {
                    let m = match located.event {
                        Event::Key(_) if measure => measured.next(),
                        _ => None,
                    };
                    if let Err(e) = scan.event(located, &filter, &mut *sink, m) {
                        sink_failure = Some(e);
                        break 'tally;
                    }
                }
                drop(measured);
                bar.set_position(batch.position);
                batch.events.clear();
                let _ = recycle.send((batch.events, batch.measured));
            }
            // Hanging up stops the parser at its next batch.
            drop(parsed);
            let parsed = parser.join().ok();
            (sink_failure, parsed, crc.join().ok())
        })
    };
    let (sink_failure, parsed, parallel_crc) = outcome;
    let (position, parsed_to_end, parse_failure) =
        parsed.context("the RDB parser thread panicked")?;
    bar.finish_and_clear();
    let failure = match sink_failure {
        Some(SinkError::Io(e)) => return Err(e.into()),
        Some(SinkError::Rdb(e)) => Some(e),
        None => parse_failure,
    };
    // The tally saw every event when it did not stop early.
    let done = failure.is_none() && parsed_to_end;
    if let Some(stored) = scan.eof_stored {
        let end = position as usize;
        let covered = if stored.is_some() { end - 8 } else { end };
        let computed = match parallel_crc {
            Some(c) if covered == guess => c,
            _ => crate::rdb::crc64::checksum(&bytes[..covered]),
        };
        scan.set_checksum(stored, computed);
    }
    sink.finish()?;
    let trailing = if done {
        (data.len() as u64).saturating_sub(position)
    } else {
        0
    };
    if trailing > 0 {
        scan.warnings.push(format!(
            "{trailing} bytes after the end-of-file record (at byte {position})"
        ));
    }
    let mismatch = (scan.checksum.status == "mismatch").then(|| {
        format!(
            "{name}: checksum mismatch: stored {}, computed {}",
            scan.checksum.stored.as_deref().unwrap_or("-"),
            scan.checksum.computed.as_deref().unwrap_or("-")
        )
    });
    let warnings = scan.warnings.clone();
    drop(sink);
    // Nothing to summarize in a file that is not an RDB at all (no
    // header): the error alone says it.
    if !(args.keys || args.values) && scan.magic.is_some() {
        let report = scan.report(&name, data.len() as u64, failure.as_ref(), args);
        emit(format, &report, out)?;
    }
    out.flush()?;
    for w in &warnings {
        eprintln!("sonde: warning: {name}: {w}");
    }
    if let Some(e) = failure {
        problem(format!("{name}: {} ({})", e, e.kind.name()));
        return Ok(Status::Problem);
    }
    if let Some(m) = mismatch {
        problem(m);
        return Ok(Status::Problem);
    }
    Ok(Status::Ok)
}

/// Bytes of keys in a part: for the summary, the keys of a file are cut
/// into parts of about this size (at the first key record starting past
/// it), tallied apart and merged in file order. The cut depends on the file
/// alone, never on the number of threads, so neither does the report.
const PART_BYTES: u64 = 1 << 20;

/// A part of the file: from `start` (a key record, read in database `db`)
/// to `end` (the next part's start; `None`: to the end of the file).
#[derive(Clone, Copy)]
struct Part {
    index: usize,
    start: u64,
    db: u64,
    end: Option<u64>,
}

/// What tallying a part found.
struct PartTally {
    scan: Scan,
    /// Where the reader stopped, and in which database.
    position: u64,
    db: u64,
    /// The EOF record was read.
    done: bool,
    failure: Option<RdbError>,
    sink_failure: Option<SinkError>,
}

impl PartTally {
    /// The file ends, or cannot be read on, in this part.
    fn last(&self) -> bool {
        self.done || self.failure.is_some() || self.sink_failure.is_some()
    }
}

/// Tally one part, from `part.start` to `part.end`; with `cut`, instead
/// stop before the first key record that starts at or after `cut`.
#[allow(clippy::too_many_arguments)]
fn tally_part(
    bytes: &[u8],
    magic: crate::rdb::Magic,
    version: u32,
    part: Part,
    cut: Option<u64>,
    proto: &Scan,
    filter: &KeyFilter,
) -> PartTally {
    let mut scan = proto.part();
    let quick = !scan.filtered && scan.what_if.is_none();
    let mut reader = Reader::resume(magic, version, part.db, part.start);
    let mut failure = None;
    let mut sink_failure = None;
    loop {
        let pos = reader.position();
        if part.end.is_some_and(|end| pos >= end) {
            break;
        }
        let rest = bytes.get(pos as usize..).unwrap_or(&[]);
        if cut.is_some_and(|c| pos >= c) && rest.first().is_some_and(|b| reader.starts_key(*b)) {
            break;
        }
        // Unfiltered and without --what-if, most keys go the quick path.
        if quick && let Some(facts) = reader.next_key_facts(rest) {
            scan.facts(&facts);
            continue;
        }
        if let Some(tallied) = reader.next_key(rest, |e| scan.key(e, filter, &mut NoKeys, None)) {
            if let Err(e) = tallied {
                sink_failure = Some(e);
                break;
            }
            continue;
        }
        match reader.next(rest, true) {
            Ok(Some(located)) => {
                if let Err(e) = scan.event(&located, filter, &mut NoKeys, None) {
                    sink_failure = Some(e);
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    PartTally {
        position: reader.position(),
        db: reader.db(),
        done: reader.is_done(),
        scan,
        failure,
        sink_failure,
    }
}

/// What a pass returns: the tally's error, (where the reader stopped,
/// whether that is the end of the snapshot, the reader's error), and the
/// CRC-64 of `bytes[..guess]` when it was computed beside the pass.
type Outcome = (
    Option<SinkError>,
    Option<(u64, bool, Option<RdbError>)>,
    Option<u64>,
);

/// The summary, tallied in parts (see [`PART_BYTES`]): the records before
/// the first key here; then with one core each part in turn, else a
/// splitter here that finds where the parts start by skipping keys by their
/// lengths, while `cores` threads tally the parts and another computes the
/// checksum. Parts are merged in file order as they come; the first part
/// that cannot go on (an error, or the end) is the last merged. `None`
/// when a part did not end where the next one starts (the splitter and a
/// tally read the file differently: a bug, which the caller works around).
fn in_parts(
    bytes: &[u8],
    scan: &mut Scan,
    filter: &KeyFilter,
    bar: &indicatif::ProgressBar,
    cores: usize,
    guess: usize,
) -> Option<Outcome> {
    let mut reader = Reader::new().without_checksum();
    let mut events = 0u64;
    // The header, aux fields and whatever else comes before the first key.
    loop {
        let pos = reader.position();
        let rest = bytes.get(pos as usize..).unwrap_or(&[]);
        if events > 0 && rest.first().is_some_and(|b| reader.starts_key(*b)) {
            break;
        }
        match reader.next(rest, true) {
            Ok(Some(located)) => {
                events += 1;
                if let Err(e) = scan.event(&located, filter, &mut NoKeys, None) {
                    return Some((Some(e), Some((reader.position(), false, None)), None));
                }
            }
            Ok(None) => return Some((None, Some((pos, reader.is_done(), None)), None)),
            Err(e) => return Some((None, Some((pos, false, Some(e))), None)),
        }
    }
    // The clock is read before the first key, as one pass does.
    scan.now();
    let (magic, version) = (reader.magic(), reader.version());
    let first = Part {
        index: 0,
        start: reader.position(),
        db: reader.db(),
        end: None,
    };
    let mut merged = Merged::default();
    if cores < 2 {
        let mut part = first;
        loop {
            let cut = part.start + PART_BYTES;
            let t = tally_part(bytes, magic, version, part, Some(cut), scan, filter);
            part.start = t.position;
            part.db = t.db;
            if merged.take(scan, t, None, bar) {
                break;
            }
        }
        return Some(merged.outcome(None));
    }
    let (parts, next_part) = std::sync::mpsc::channel::<Part>();
    let next_part = std::sync::Mutex::new(next_part);
    let (tallied, tallies) = std::sync::mpsc::channel::<(Part, PartTally)>();
    let proto = scan.part();
    std::thread::scope(|s| {
        let crc = s.spawn(|| crate::rdb::crc64::checksum(&bytes[..guess]));
        for _ in 0..cores {
            let tallied = tallied.clone();
            let (next_part, proto) = (&next_part, &proto);
            s.spawn(move || {
                loop {
                    let part = match next_part.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(part) = part else { return };
                    let t = tally_part(bytes, magic, version, part, None, proto, filter);
                    if tallied.send((part, t)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tallied);
        let mut pending = BTreeMap::new();
        let mut part = first;
        loop {
            let pos = reader.position();
            let rest = bytes.get(pos as usize..).unwrap_or(&[]);
            if pos >= part.start + PART_BYTES && rest.first().is_some_and(|b| reader.starts_key(*b))
            {
                let _ = parts.send(Part {
                    end: Some(pos),
                    ..part
                });
                part = Part {
                    index: part.index + 1,
                    start: pos,
                    db: reader.db(),
                    end: None,
                };
                while let Ok((p, t)) = tallies.try_recv() {
                    pending.insert(p.index, (p, t));
                }
                merged.drain(scan, &mut pending, bar);
            }
            // An error ends the cut here: the last part's tally meets it.
            if !matches!(reader.skip_record(rest), Ok(true)) || reader.is_done() {
                break;
            }
        }
        let _ = parts.send(part);
        drop(parts);
        while !merged.finished && merged.next <= part.index {
            match tallies.recv() {
                Ok((p, t)) => {
                    pending.insert(p.index, (p, t));
                    merged.drain(scan, &mut pending, bar);
                }
                Err(_) => break,
            }
        }
        drop(tallies);
        let crc = crc.join().ok();
        if !merged.finished {
            // A tally thread died (or a part overran): redo in one pass.
            return None;
        }
        Some(merged.outcome(crc))
    })
}

/// The parts merged so far, in file order.
#[derive(Default)]
struct Merged {
    /// Index of the next part to merge.
    next: usize,
    finished: bool,
    /// Set by a part that did not end where the next one starts.
    broken: bool,
    position: u64,
    done: bool,
    failure: Option<RdbError>,
    sink_failure: Option<SinkError>,
}

impl Merged {
    /// Merge the next part; true when it was the last one.
    fn take(
        &mut self,
        scan: &mut Scan,
        t: PartTally,
        end: Option<u64>,
        bar: &indicatif::ProgressBar,
    ) -> bool {
        self.next += 1;
        self.position = t.position;
        bar.set_position(t.position);
        let last = t.last();
        if !last && end.is_some_and(|e| e != t.position) {
            self.broken = true;
            self.finished = false;
            return true;
        }
        scan.absorb(t.scan);
        if last {
            self.finished = true;
            self.done = t.done;
            self.failure = t.failure;
            self.sink_failure = t.sink_failure;
        }
        last
    }

    /// Merge the parts that are next in order.
    fn drain(
        &mut self,
        scan: &mut Scan,
        pending: &mut BTreeMap<usize, (Part, PartTally)>,
        bar: &indicatif::ProgressBar,
    ) {
        while !self.finished && !self.broken {
            let Some((p, t)) = pending.remove(&self.next) else {
                return;
            };
            if self.take(scan, t, p.end, bar) {
                return;
            }
        }
    }

    fn outcome(self, crc: Option<u64>) -> Outcome {
        (
            self.sink_failure,
            Some((
                self.position,
                self.done && self.failure.is_none(),
                self.failure,
            )),
            crc,
        )
    }
}

/// Parse and tally on this thread (see `parse` for what it returns).
fn scan_here(
    bytes: &[u8],
    scan: &mut Scan,
    filter: &KeyFilter,
    sink: &mut dyn KeySink,
    bar: &indicatif::ProgressBar,
) -> (Option<SinkError>, (u64, bool, Option<RdbError>)) {
    let mut reader = Reader::new().without_checksum();
    let mut events = 0u32;
    loop {
        let rest = bytes.get(reader.position() as usize..).unwrap_or(&[]);
        match reader.next(rest, true) {
            Ok(Some(located)) => {
                if let Err(e) = scan.event(&located, filter, sink, None) {
                    return (Some(e), (reader.position(), false, None));
                }
                events = events.wrapping_add(1);
                if events.is_multiple_of(PARSED_BATCH as u32) {
                    bar.set_position(reader.position());
                }
            }
            Ok(None) => return (None, (reader.position(), reader.is_done(), None)),
            Err(e) => return (None, (reader.position(), false, Some(e))),
        }
    }
}

/// Events per hand-over from the parser thread to the tally, and how many
/// such batches may wait: enough to keep both cores busy, a bounded amount
/// of memory (the events borrow their bytes from the mapped file).
const PARSED_BATCH: usize = 1024;
const PARSED_BATCHES_IN_FLIGHT: usize = 8;

/// A key's length and RAM estimate, as [`measure`] found them.
type Measured = Result<(u64, u64), RdbError>;

/// The length and RAM estimate of a key.
fn measure(e: &KeyEntry<'_>) -> Measured {
    let len = e.value.len()?;
    let ram = memory::estimate(e.key.len(), &e.value)?;
    Ok((len, ram))
}

struct Batch<'a> {
    events: Vec<Located<'a>>,
    /// With `measure`: one per key event, in order.
    measured: Vec<Measured>,
    /// Where the parser stands after the last event of the batch.
    position: u64,
}

/// Parse `bytes` into batches of events until the end, an error or the
/// tally hanging up. Returns where it stopped, whether that was the end of
/// the snapshot, and the error that stopped it.
fn parse<'a>(
    bytes: &'a [u8],
    batches: std::sync::mpsc::SyncSender<Batch<'a>>,
    recycled: std::sync::mpsc::Receiver<(Vec<Located<'a>>, Vec<Measured>)>,
    measure_keys: bool,
) -> (u64, bool, Option<RdbError>) {
    let mut reader = Reader::new().without_checksum();
    let mut events = Vec::with_capacity(PARSED_BATCH);
    let mut measured = Vec::new();
    let failure = loop {
        let rest = bytes.get(reader.position() as usize..).unwrap_or(&[]);
        match reader.next(rest, true) {
            Ok(Some(located)) => {
                if measure_keys && let Event::Key(e) = &located.event {
                    measured.push(measure(e));
                }
                events.push(located);
                if events.len() == PARSED_BATCH {
                    let (empty, empty_measured) = recycled
                        .try_recv()
                        .unwrap_or_else(|_| (Vec::with_capacity(PARSED_BATCH), Vec::new()));
                    let batch = Batch {
                        events: std::mem::replace(&mut events, empty),
                        measured: std::mem::replace(&mut measured, empty_measured),
                        position: reader.position(),
                    };
                    if batches.send(batch).is_err() {
                        return (reader.position(), false, None);
                    }
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let position = reader.position();
    // The tally may have hung up already; then it does not need the rest.
    let _ = batches.send(Batch {
        events,
        measured,
        position,
    });
    (position, reader.is_done(), failure)
}

enum SinkError {
    Rdb(RdbError),
    Io(std::io::Error),
}

impl From<RdbError> for SinkError {
    fn from(e: RdbError) -> Self {
        SinkError::Rdb(e)
    }
}

impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> Self {
        SinkError::Io(e)
    }
}

/// Where per-key records go (nowhere for the summary).
trait KeySink {
    fn key(&mut self, facts: &KeyFacts<'_>, entry: &KeyEntry<'_>) -> Result<(), SinkError>;
    fn finish(&mut self) -> std::io::Result<()>;
}

struct NoKeys;

impl KeySink for NoKeys {
    fn key(&mut self, _: &KeyFacts<'_>, _: &KeyEntry<'_>) -> Result<(), SinkError> {
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One `--keys` record.
#[derive(Serialize)]
struct KeyRecord<'a> {
    db: u64,
    key: JsonBytes<'a>,
    #[serde(rename = "type")]
    object_type: &'static str,
    encoding: &'static str,
    /// The value type byte as stored.
    rdb_type: u8,
    len: u64,
    size: u64,
    expire_ms: Option<i64>,
    ram: u64,
    /// The Redis Cluster slot of the key.
    slot: u16,
    /// Bytes of the longest element (field or value, member, item; the
    /// string itself for strings; entry field or value for streams).
    largest_element: u64,
    offset: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    idle: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    freq: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Json>,
}

struct JsonKeys<'o> {
    out: &'o mut dyn Write,
    values: bool,
}

impl KeySink for JsonKeys<'_> {
    fn key(&mut self, f: &KeyFacts<'_>, e: &KeyEntry<'_>) -> Result<(), SinkError> {
        let value = if self.values {
            Some(value_json(&e.value)?)
        } else {
            None
        };
        let record = KeyRecord {
            db: f.db,
            key: JsonBytes(f.key),
            object_type: f.object_type.name(),
            encoding: f.encoding,
            rdb_type: e.value.value_type.byte(),
            len: f.len,
            size: f.size,
            expire_ms: f.expire_ms,
            ram: f.ram,
            slot: key_slot(f.key),
            largest_element: largest_element(&e.value)?,
            offset: e.offset,
            idle: e.idle,
            freq: e.freq,
            value,
        };
        serde_json::to_writer(&mut *self.out, &record).map_err(std::io::Error::from)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

struct TableKeys<'o> {
    columns: Columns<&'o mut dyn Write>,
    values: bool,
}

impl KeySink for TableKeys<'_> {
    fn key(&mut self, f: &KeyFacts<'_>, e: &KeyEntry<'_>) -> Result<(), SinkError> {
        let mut last = display(f.key);
        if self.values {
            let v = value_json(&e.value)?;
            let text = serde_json::to_string(&v).map_err(std::io::Error::from)?;
            last.push_str(" = ");
            last.push_str(&display_short(text.as_bytes(), 200));
        }
        let expire = f.expire_ms.map(|t| t.to_string()).unwrap_or_default();
        self.columns.row(&[
            &f.db.to_string(),
            f.object_type.name(),
            f.encoding,
            &f.len.to_string(),
            &f.size.to_string(),
            &expire,
            &key_slot(f.key).to_string(),
            &last,
        ])?;
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.columns.flush()
    }
}

/// The length of a value's longest element.
fn largest_element(value: &crate::rdb::Value<'_>) -> Result<u64, RdbError> {
    use crate::rdb::Element;
    Ok(match value.object_type() {
        ObjectType::String => value.string()?.len(),
        ObjectType::Module => 0,
        ObjectType::Stream => value
            .stream()?
            .entries
            .iter()
            .flat_map(|e| e.fields.iter())
            .map(|(f, v)| f.len().max(v.len()) as u64)
            .max()
            .unwrap_or(0),
        _ => {
            let mut largest = 0;
            for e in value.elements()? {
                largest = largest.max(match e? {
                    Element::Member(i) => i.len(),
                    Element::Field { field, value, .. } => field.len().max(value.len()),
                    Element::Scored { member, .. } => member.len(),
                } as u64);
            }
            largest
        }
    })
}

/// Checksum facts for the report.
#[derive(Serialize, Default)]
struct Checksum {
    /// Hex, as 0x followed by 16 digits (u64 does not fit JSON numbers).
    stored: Option<String>,
    computed: Option<String>,
    /// ok, mismatch, disabled (stored 0), absent (RDB < 5), not_reached.
    status: &'static str,
}

/// The state of one pass over the file.
struct Scan {
    magic: Option<&'static str>,
    version: Option<u32>,
    aux: Vec<(ByteString, ByteString)>,
    resize: BTreeMap<u64, (u64, u64)>,
    stats: Stats,
    now_ms: Option<i64>,
    now_source: &'static str,
    functions: u64,
    module_aux: Vec<String>,
    slot_info: u64,
    checksum: Checksum,
    warnings: Vec<String>,
    key_buf: Vec<u8>,
    top: usize,
    last_db: u64,
    /// Set at EOF: the stored checksum (None before RDB 5).
    eof_stored: Option<Option<u64>>,
    /// --what-if: the other thresholds, and per type (by `ObjectType as
    /// usize`) keys, RAM, RAM under them, keys whose estimate changed.
    what_if: Option<(memory::Limits, [[u64; 4]; 7])>,
    /// Some filter is set (else every key counts, unchecked).
    filtered: bool,
}

impl Scan {
    fn new(args: &RdbInspectArgs) -> Scan {
        let stats = Stats::new(args.top, args.separator.as_bytes(), args.depth as usize);
        let stats = if args.slots.is_some() {
            stats.with_slots()
        } else {
            stats
        };
        let now_source = if args.now.is_some() { "argument" } else { "" };
        Scan::empty(stats, args.now, now_source, args.top)
    }

    /// A scan that has read nothing yet.
    fn empty(stats: Stats, now_ms: Option<i64>, now_source: &'static str, top: usize) -> Scan {
        Scan {
            magic: None,
            version: None,
            aux: Vec::new(),
            resize: BTreeMap::new(),
            stats,
            now_ms,
            now_source,
            functions: 0,
            module_aux: Vec::new(),
            slot_info: 0,
            checksum: Checksum {
                status: "not_reached",
                ..Checksum::default()
            },
            warnings: Vec::new(),
            key_buf: Vec::new(),
            top,
            last_db: 0,
            eof_stored: None,
            what_if: None,
            filtered: true,
        }
    }

    /// An empty scan for a part of the same file (see [`in_parts`]).
    fn part(&self) -> Scan {
        Scan {
            magic: self.magic,
            version: self.version,
            last_db: self.last_db,
            what_if: self.what_if.as_ref().map(|(l, _)| (*l, Default::default())),
            filtered: self.filtered,
            ..Scan::empty(
                Stats::part_of(&self.stats),
                self.now_ms,
                self.now_source,
                self.top,
            )
        }
    }

    /// Add what the next part of the file held.
    fn absorb(&mut self, part: Scan) {
        self.aux.extend(part.aux);
        self.resize.extend(part.resize);
        self.stats.merge(part.stats);
        if let (Some((_, mine)), Some((_, theirs))) = (&mut self.what_if, &part.what_if) {
            for (m, t) in mine.iter_mut().zip(theirs.iter()) {
                for (a, b) in m.iter_mut().zip(t.iter()) {
                    *a += b;
                }
            }
        }
        self.functions += part.functions;
        self.module_aux.extend(part.module_aux);
        self.slot_info += part.slot_info;
        self.warnings.extend(part.warnings);
        self.last_db = part.last_db;
        if part.eof_stored.is_some() {
            self.eof_stored = part.eof_stored;
        }
    }

    fn now(&mut self) -> i64 {
        if let Some(n) = self.now_ms {
            return n;
        }
        let n = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        self.now_ms = Some(n);
        self.now_source = "clock";
        n
    }

    /// `measured`: the key's length and RAM, when the parser found them.
    fn event(
        &mut self,
        located: &Located<'_>,
        filter: &KeyFilter,
        sink: &mut dyn KeySink,
        measured: Option<Measured>,
    ) -> Result<(), SinkError> {
        match &located.event {
            Event::Header { magic, version } => {
                self.magic = Some(magic.as_str());
                self.version = Some(*version);
            }
            Event::Aux { key, value } => {
                let k = key.to_bytes()?;
                let v = value.to_bytes()?;
                if &*k == b"ctime"
                    && self.now_ms.is_none()
                    && let Some(secs) = std::str::from_utf8(&v)
                        .ok()
                        .and_then(|s| s.parse::<i64>().ok())
                {
                    self.now_ms = Some(secs.saturating_mul(1000));
                    self.now_source = "ctime";
                }
                self.aux
                    .push((ByteString(k.into_owned()), ByteString(v.into_owned())));
            }
            Event::SelectDb { db } => self.last_db = *db,
            Event::ResizeDb { keys, expires } => {
                // RESIZEDB follows the SELECTDB it describes.
                let db = self.current_db();
                self.resize.insert(db, (*keys, *expires));
            }
            Event::Key(entry) => self.key(entry, filter, sink, measured)?,
            Event::ModuleAux { module, .. } => self.module_aux.push(module.clone()),
            Event::Function { .. } => self.functions += 1,
            Event::SlotInfo { .. } | Event::SlotImport { .. } => self.slot_info += 1,
            Event::Eof { stored, .. } => self.eof_stored = Some(*stored),
        }
        Ok(())
    }

    fn set_checksum(&mut self, stored: Option<u64>, computed: u64) {
        let hex = |v: u64| format!("{v:#018x}");
        self.checksum = Checksum {
            stored: stored.map(hex),
            computed: Some(hex(computed)),
            status: match stored {
                None => "absent",
                Some(0) => "disabled",
                Some(s) if s == computed => "ok",
                _ => "mismatch",
            },
        };
    }

    fn current_db(&self) -> u64 {
        self.last_db
    }

    /// A key read on the quick path (only when no filter is set and no
    /// --what-if is asked: the facts are then all [`Scan::key`] takes).
    #[inline]
    fn facts(&mut self, facts: &KeyFacts<'_>) {
        self.last_db = facts.db;
        let now = self.now();
        self.stats.add(facts, now);
    }

    fn key(
        &mut self,
        e: &KeyEntry<'_>,
        filter: &KeyFilter,
        sink: &mut dyn KeySink,
        measured: Option<Measured>,
    ) -> Result<(), SinkError> {
        self.last_db = e.db;
        let now = self.now();
        let filtered = self.filtered;
        if filtered && !filter.wants_cheap(e, now) {
            return Ok(());
        }
        let key: &[u8] = match e.key {
            RdbStr::Raw(b) => b,
            other => {
                other.write_into(&mut self.key_buf)?;
                &self.key_buf
            }
        };
        if filtered && filter.needs_key() && !filter.wants_key(key) {
            return Ok(());
        }
        let (len, ram) = match measured {
            Some(m) => m?,
            None => measure(e)?,
        };
        if let Some((limits, tally)) = &mut self.what_if {
            let alt = memory::estimate_with(key.len() as u64, &e.value, limits)?;
            let t = &mut tally[e.value.object_type() as usize];
            t[0] += 1;
            t[1] += ram;
            t[2] += alt;
            t[3] += u64::from(alt != ram);
        }
        let facts = KeyFacts {
            db: e.db,
            key,
            object_type: e.value.object_type(),
            encoding: e.value.encoding(),
            len,
            size: e.size,
            ram,
            expire_ms: e.expire_ms,
        };
        sink.key(&facts, e)?;
        self.stats.add(&facts, now);
        Ok(())
    }
}

/// The default report.
#[derive(Serialize)]
struct Summary {
    /// How many rows the tables list (--top).
    #[serde(skip)]
    top: usize,
    file: String,
    file_bytes: u64,
    magic: Option<&'static str>,
    version: Option<u32>,
    /// Aux fields in file order, as [name, value] pairs.
    aux: Vec<(ByteString, ByteString)>,
    checksum: Checksum,
    keys: u64,
    expires: u64,
    /// Estimated bytes in Redis 7 memory (keys and values; see README).
    ram: u64,
    databases: Vec<DbRow>,
    types: BTreeMap<&'static str, Tally>,
    encodings: Vec<EncodingRow>,
    biggest: Biggest,
    prefixes: PrefixReport,
    /// Size (serialized bytes) and length (elements; bytes for strings)
    /// distributions of each type.
    distributions: Vec<ShapeRow>,
    expiry_histogram: Histogram,
    /// With --what-if: the RAM estimate under the other thresholds.
    #[serde(skip_serializing_if = "Option::is_none")]
    what_if: Option<WhatIf>,
    /// With --slots: totals of each non-empty cluster slot, heaviest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    slots: Option<Vec<SlotRow>>,
    functions: u64,
    module_aux: Vec<String>,
    slot_info: u64,
    /// Set when the file is damaged; the figures cover the keys before.
    error: Option<ErrorReport>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct DbRow {
    db: u64,
    keys: u64,
    expires: u64,
    bytes: u64,
    ram: u64,
    /// The RESIZEDB hint the file carries for this database, if any.
    resize_hint: Option<ResizeHint>,
}

#[derive(Serialize)]
struct ResizeHint {
    keys: u64,
    expires: u64,
}

#[derive(Serialize)]
struct EncodingRow {
    #[serde(rename = "type")]
    object_type: &'static str,
    encoding: &'static str,
    #[serde(flatten)]
    tally: Tally,
}

#[derive(Serialize)]
struct BigRow {
    db: u64,
    key: ByteString,
    #[serde(rename = "type")]
    object_type: &'static str,
    encoding: &'static str,
    len: u64,
    size: u64,
    ram: u64,
}

impl From<BigKey> for BigRow {
    fn from(k: BigKey) -> BigRow {
        BigRow {
            db: k.db,
            key: ByteString(k.key),
            object_type: k.object_type.name(),
            encoding: k.encoding,
            len: k.len,
            size: k.size,
            ram: k.ram,
        }
    }
}

#[derive(Serialize)]
struct Biggest {
    by_size: Vec<BigRow>,
    by_len: Vec<BigRow>,
}

#[derive(Serialize)]
struct PrefixRow {
    prefix: ByteString,
    depth: usize,
    #[serde(flatten)]
    tally: Tally,
}

#[derive(Serialize)]
struct PrefixReport {
    separator: String,
    depth: u32,
    /// True when there were too many distinct prefixes to count exactly.
    approximate: bool,
    top: Vec<PrefixRow>,
}

#[derive(Serialize)]
struct WhatIf {
    settings: Vec<String>,
    ram: u64,
    ram_what_if: u64,
    /// ram_what_if - ram (negative: the change saves memory).
    delta: i64,
    types: Vec<WhatIfRow>,
}

#[derive(Serialize)]
struct WhatIfRow {
    #[serde(rename = "type")]
    object_type: &'static str,
    keys: u64,
    ram: u64,
    ram_what_if: u64,
    delta: i64,
    /// Keys whose estimate changes (their encoding would).
    keys_changed: u64,
}

#[derive(Serialize)]
struct SlotRow {
    slot: u16,
    #[serde(flatten)]
    tally: Tally,
}

#[derive(Serialize)]
struct ShapeRow {
    #[serde(rename = "type")]
    object_type: &'static str,
    keys: u64,
    size: DistRow,
    len: DistRow,
}

#[derive(Serialize)]
struct DistRow {
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
    mean: f64,
    /// Keys by power-of-two range: [from, to, keys].
    histogram: Vec<(u64, u64, u64)>,
}

impl DistRow {
    fn of(d: &Distribution) -> DistRow {
        DistRow {
            p50: d.percentile(0.5),
            p90: d.percentile(0.9),
            p99: d.percentile(0.99),
            max: d.max,
            mean: if d.n == 0 {
                0.0
            } else {
                (d.sum as f64 / d.n as f64 * 10.0).round() / 10.0
            },
            histogram: d.histogram(),
        }
    }
}

#[derive(Serialize)]
struct Histogram {
    now_ms: Option<i64>,
    /// argument, ctime (the file's aux field) or clock.
    now_source: &'static str,
    #[serde(flatten)]
    counts: ExpiryHistogram,
    /// Serialized bytes in each bucket.
    bytes: ExpiryHistogram,
}

#[derive(Serialize)]
struct ErrorReport {
    kind: &'static str,
    offset: u64,
    message: String,
}

impl Scan {
    fn report(
        self,
        name: &str,
        file_bytes: u64,
        failure: Option<&RdbError>,
        args: &RdbInspectArgs,
    ) -> Summary {
        let stats = self.stats;
        let mut dbs: BTreeMap<u64, DbTally> = stats.dbs();
        let types = stats.types();
        for db in self.resize.keys() {
            dbs.entry(*db).or_default();
        }
        let databases = dbs
            .into_iter()
            .map(|(db, t)| DbRow {
                db,
                keys: t.keys,
                expires: t.expires,
                bytes: t.bytes,
                ram: t.ram,
                resize_hint: self
                    .resize
                    .get(&db)
                    .map(|&(keys, expires)| ResizeHint { keys, expires }),
            })
            .collect();
        Summary {
            top: self.top,
            file: name.to_owned(),
            file_bytes,
            magic: self.magic,
            version: self.version,
            aux: self.aux,
            checksum: self.checksum,
            keys: stats.keys,
            expires: stats.expires,
            ram: types.values().map(|t| t.ram).sum(),
            databases,
            types: types.iter().map(|(t, v)| (t.name(), *v)).collect(),
            encodings: stats
                .encodings
                .iter()
                .map(|((t, e), v)| EncodingRow {
                    object_type: t.name(),
                    encoding: e,
                    tally: *v,
                })
                .collect(),
            biggest: Biggest {
                by_size: stats
                    .by_size
                    .into_sorted()
                    .into_iter()
                    .map(BigRow::from)
                    .collect(),
                by_len: stats
                    .by_len
                    .into_sorted()
                    .into_iter()
                    .map(BigRow::from)
                    .collect(),
            },
            prefixes: PrefixReport {
                separator: args.separator.clone(),
                depth: args.depth,
                approximate: stats.prefixes.approximate,
                top: stats
                    .prefixes
                    .top(self.top)
                    .into_iter()
                    .map(|(depth, prefix, tally)| PrefixRow {
                        prefix: ByteString(prefix),
                        depth,
                        tally,
                    })
                    .collect(),
            },
            distributions: OBJECT_TYPES
                .iter()
                .filter(|t| stats.shapes[**t as usize].size.n > 0)
                .map(|t| {
                    let shape = &stats.shapes[*t as usize];
                    ShapeRow {
                        object_type: t.name(),
                        keys: shape.size.n,
                        size: DistRow::of(&shape.size),
                        len: DistRow::of(&shape.len),
                    }
                })
                .collect(),
            what_if: self.what_if.as_ref().map(|(_, tally)| {
                let types: Vec<WhatIfRow> = OBJECT_TYPES
                    .iter()
                    .filter(|t| tally[**t as usize][0] > 0)
                    .map(|t| {
                        let [keys, ram, alt, changed] = tally[*t as usize];
                        WhatIfRow {
                            object_type: t.name(),
                            keys,
                            ram,
                            ram_what_if: alt,
                            delta: alt as i64 - ram as i64,
                            keys_changed: changed,
                        }
                    })
                    .collect();
                let ram: u64 = types.iter().map(|t| t.ram).sum();
                let alt: u64 = types.iter().map(|t| t.ram_what_if).sum();
                WhatIf {
                    settings: args.what_if.clone(),
                    ram,
                    ram_what_if: alt,
                    delta: alt as i64 - ram as i64,
                    types,
                }
            }),
            slots: stats.slots.as_ref().map(|slots| {
                let mut rows: Vec<SlotRow> = slots
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.keys > 0)
                    .map(|(i, t)| SlotRow {
                        slot: i as u16,
                        tally: *t,
                    })
                    .collect();
                rows.sort_by(|a, b| b.tally.bytes.cmp(&a.tally.bytes).then(a.slot.cmp(&b.slot)));
                rows
            }),
            expiry_histogram: Histogram {
                now_ms: self.now_ms,
                now_source: if self.now_source.is_empty() {
                    "none"
                } else {
                    self.now_source
                },
                counts: stats.histogram,
                bytes: stats.histogram_bytes,
            },
            functions: self.functions,
            module_aux: self.module_aux,
            slot_info: self.slot_info,
            error: failure.map(|e| ErrorReport {
                kind: e.kind.name(),
                offset: e.offset,
                message: e.to_string(),
            }),
            warnings: self.warnings,
        }
    }
}

fn tally_row(name: String, t: &Tally) -> Vec<String> {
    vec![
        name,
        t.keys.to_string(),
        t.elements.to_string(),
        t.bytes.to_string(),
        t.ram.to_string(),
    ]
}

impl Report for Summary {
    fn table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut head = vec![
            ("file", self.file.clone()),
            ("bytes", self.file_bytes.to_string()),
            (
                "format",
                match (self.magic, self.version) {
                    (Some(m), Some(v)) => format!("{m} version {v}"),
                    _ => "-".to_owned(),
                },
            ),
        ];
        for (k, v) in &self.aux {
            head.push(("aux", format!("{} = {}", display(&k.0), display(&v.0))));
        }
        let c = &self.checksum;
        head.push((
            "checksum",
            format!(
                "{} (stored {}, computed {})",
                c.status,
                c.stored.as_deref().unwrap_or("-"),
                c.computed.as_deref().unwrap_or("-")
            ),
        ));
        head.push(("keys", self.keys.to_string()));
        head.push(("expires", self.expires.to_string()));
        head.push(("ram estimate", self.ram.to_string()));
        if self.functions > 0 {
            head.push(("functions", self.functions.to_string()));
        }
        if !self.module_aux.is_empty() {
            head.push(("module aux", self.module_aux.join(", ")));
        }
        if self.slot_info > 0 {
            head.push(("slot info records", self.slot_info.to_string()));
        }
        if let Some(e) = &self.error {
            head.push((
                "error",
                format!("{} at byte {}: {}", e.kind, e.offset, e.message),
            ));
        }
        table::write(
            out,
            &table::key_values(head.iter().map(|(k, v)| (*k, v.clone()))),
        )?;

        let mut dbs = table::new(["db", "keys", "expires", "bytes", "ram", "resize hint"]);
        for d in &self.databases {
            dbs.add_row([
                d.db.to_string(),
                d.keys.to_string(),
                d.expires.to_string(),
                d.bytes.to_string(),
                d.ram.to_string(),
                d.resize_hint
                    .as_ref()
                    .map(|h| format!("{} keys, {} expires", h.keys, h.expires))
                    .unwrap_or_default(),
            ]);
        }
        table::align_right(&mut dbs, &[0, 1, 2, 3, 4]);
        table::write_titled(out, "Databases", &dbs)?;

        let mut types = table::new(["type", "keys", "elements", "bytes", "ram"]);
        for (name, t) in &self.types {
            types.add_row(tally_row(name.to_string(), t));
        }
        table::align_right(&mut types, &[1, 2, 3, 4]);
        table::write_titled(out, "Types", &types)?;

        let mut enc = table::new(["type/encoding", "keys", "elements", "bytes", "ram"]);
        for e in &self.encodings {
            enc.add_row(tally_row(
                format!("{}/{}", e.object_type, e.encoding),
                &e.tally,
            ));
        }
        table::align_right(&mut enc, &[1, 2, 3, 4]);
        table::write_titled(out, "Encodings", &enc)?;

        for (title, rows) in [
            ("Biggest keys by serialized size", &self.biggest.by_size),
            ("Biggest keys by element count", &self.biggest.by_len),
        ] {
            if rows.is_empty() {
                continue;
            }
            let mut t = table::new(["db", "key", "type", "encoding", "len", "size", "ram"]);
            for r in rows {
                t.add_row([
                    r.db.to_string(),
                    display_short(&r.key.0, 60),
                    r.object_type.to_owned(),
                    r.encoding.to_owned(),
                    r.len.to_string(),
                    r.size.to_string(),
                    r.ram.to_string(),
                ]);
            }
            table::align_right(&mut t, &[0, 4, 5, 6]);
            table::write_titled(out, title, &t)?;
        }

        if !self.prefixes.top.is_empty() {
            let mut t = table::new(["prefix", "depth", "keys", "elements", "bytes", "ram"]);
            for p in &self.prefixes.top {
                t.add_row([
                    display_short(&p.prefix.0, 60),
                    p.depth.to_string(),
                    p.tally.keys.to_string(),
                    p.tally.elements.to_string(),
                    p.tally.bytes.to_string(),
                    p.tally.ram.to_string(),
                ]);
            }
            table::align_right(&mut t, &[1, 2, 3, 4, 5]);
            let title = format!(
                "Key prefixes (separator {:?}{})",
                self.prefixes.separator,
                if self.prefixes.approximate {
                    ", approximate"
                } else {
                    ""
                }
            );
            table::write_titled(out, &title, &t)?;
        }

        if !self.distributions.is_empty() {
            let mut t = table::new([
                "type", "keys", "size p50", "p90", "p99", "max", "len p50", "p90", "p99", "max",
            ]);
            for d in &self.distributions {
                t.add_row([
                    d.object_type.to_owned(),
                    d.keys.to_string(),
                    d.size.p50.to_string(),
                    d.size.p90.to_string(),
                    d.size.p99.to_string(),
                    d.size.max.to_string(),
                    d.len.p50.to_string(),
                    d.len.p90.to_string(),
                    d.len.p99.to_string(),
                    d.len.max.to_string(),
                ]);
            }
            table::align_right(&mut t, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
            table::write_titled(
                out,
                "Sizes (serialized bytes) and lengths (elements) by type",
                &t,
            )?;
            let mut t = table::new(["type", "size range", "keys"]);
            for d in &self.distributions {
                for (from, to, n) in &d.size.histogram {
                    let range = if from == to {
                        from.to_string()
                    } else {
                        format!("{from}-{to}")
                    };
                    t.add_row([d.object_type.to_owned(), range, n.to_string()]);
                }
            }
            table::align_right(&mut t, &[1, 2]);
            table::write_titled(out, "Size histogram (serialized bytes)", &t)?;
        }
        if let Some(w) = &self.what_if {
            let mut t = table::new([
                "type",
                "keys",
                "ram",
                "ram what-if",
                "delta",
                "keys changed",
            ]);
            for r in &w.types {
                t.add_row([
                    r.object_type.to_owned(),
                    r.keys.to_string(),
                    r.ram.to_string(),
                    r.ram_what_if.to_string(),
                    format!("{:+}", r.delta),
                    r.keys_changed.to_string(),
                ]);
            }
            t.add_row([
                "total".to_owned(),
                w.types.iter().map(|r| r.keys).sum::<u64>().to_string(),
                w.ram.to_string(),
                w.ram_what_if.to_string(),
                format!("{:+}", w.delta),
                w.types
                    .iter()
                    .map(|r| r.keys_changed)
                    .sum::<u64>()
                    .to_string(),
            ]);
            table::align_right(&mut t, &[1, 2, 3, 4, 5]);
            let title = format!("What if {}", w.settings.join(", "));
            table::write_titled(out, &title, &t)?;
        }
        if let Some(slots) = &self.slots {
            let mut t = table::new(["slot", "keys", "elements", "bytes", "ram"]);
            for r in slots.iter().take(self.top.max(1)) {
                t.add_row(tally_row(r.slot.to_string(), &r.tally));
            }
            table::align_right(&mut t, &[0, 1, 2, 3, 4]);
            let title = format!(
                "Cluster slots ({} with keys; the {} heaviest)",
                slots.len(),
                slots.len().min(self.top.max(1))
            );
            table::write_titled(out, &title, &t)?;
        }
        let h = &self.expiry_histogram;
        let c = &h.counts;
        let b = &h.bytes;
        let mut t = table::new(["expiry", "keys", "bytes"]);
        for (name, n, bytes) in [
            ("already expired", c.expired, b.expired),
            ("within 1 hour", c.within_1h, b.within_1h),
            ("within 1 day", c.within_1d, b.within_1d),
            ("within 7 days", c.within_7d, b.within_7d),
            ("later", c.later, b.later),
            ("no expiry", c.none, b.none),
        ] {
            t.add_row([name.to_owned(), n.to_string(), bytes.to_string()]);
        }
        table::align_right(&mut t, &[1, 2]);
        let title = format!(
            "Expiries (relative to {} from {})",
            h.now_ms
                .map(|n| n.to_string())
                .unwrap_or_else(|| "-".into()),
            h.now_source
        );
        table::write_titled(out, &title, &t)?;
        for w in &self.warnings {
            writeln!(out, "warning: {w}")?;
        }
        Ok(())
    }
}
