//! `sonde rdb inspect`: what an RDB snapshot holds, as a summary or one
//! record per key. The file is mapped and walked once by the streaming
//! reader; aggregates are bounded (see `rdb::stats`).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value as Json, json};

use super::{Status, problem};
use crate::cli::{RdbInspectArgs, RdbTypeFilter};
use crate::glob::Pattern;
use crate::input;
use crate::output::bytes::{ByteString, JsonBytes, display, display_short};
use crate::output::stream::{Column, Columns};
use crate::output::{Format, Report, emit, progress, table};
use crate::rdb::stats::{BigKey, DbTally, ExpiryHistogram, KeyFacts, Stats, Tally};
use crate::rdb::{
    Decoded, Event, Item, KeyEntry, Located, ObjectType, RdbError, RdbStr, Reader, Value, memory,
};

pub fn run(args: &RdbInspectArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    let name = args.file.display().to_string();
    let data = input::map_expecting(&args.file, Some(b"REDIS"))
        .with_context(|| format!("cannot open {name}"))?;
    let filter = Filter::new(args);
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
                    ],
                    "KEY",
                ),
                values: args.values,
            }),
        }
    } else {
        Box::new(NoKeys)
    };

    let mut scan = Scan::new(args);
    let bar = progress::bytes(data.len() as u64, format, "reading");
    let bytes: &[u8] = &data;
    // Three stages on as many cores as there are: the CRC-64 of everything
    // but a final 8-byte checksum (used when EOF turns out to be exactly
    // there, else recomputed below), the parser, and the tally on this
    // thread. Events borrow from the mapped file and cross over in batches,
    // a bounded number in flight.
    let guess = bytes.len().saturating_sub(8);
    let outcome = std::thread::scope(|scope| {
        let crc = scope.spawn(|| crate::rdb::crc64::checksum(&bytes[..guess]));
        let (batches, parsed) = std::sync::mpsc::sync_channel::<Batch>(PARSED_BATCHES_IN_FLIGHT);
        let parser = scope.spawn(move || parse(bytes, batches));
        let mut sink_failure = None;
        'tally: for batch in &parsed {
            for located in &batch.events {
                if let Err(e) = scan.event(located, &filter, &mut *sink) {
                    sink_failure = Some(e);
                    break 'tally;
                }
            }
            bar.set_position(batch.position);
        }
        // Hanging up stops the parser at its next batch.
        drop(parsed);
        let parsed = parser.join().ok();
        (sink_failure, parsed, crc.join().ok())
    });
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
    if !(args.keys || args.values) {
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

/// Events per hand-over from the parser thread to the tally, and how many
/// such batches may wait: enough to keep both cores busy, a bounded amount
/// of memory (the events borrow their bytes from the mapped file).
const PARSED_BATCH: usize = 1024;
const PARSED_BATCHES_IN_FLIGHT: usize = 8;

struct Batch<'a> {
    events: Vec<Located<'a>>,
    /// Where the parser stands after the last event of the batch.
    position: u64,
}

/// Parse `bytes` into batches of events until the end, an error or the
/// tally hanging up. Returns where it stopped, whether that was the end of
/// the snapshot, and the error that stopped it.
fn parse<'a>(
    bytes: &'a [u8],
    batches: std::sync::mpsc::SyncSender<Batch<'a>>,
) -> (u64, bool, Option<RdbError>) {
    let mut reader = Reader::new().without_checksum();
    let mut events = Vec::with_capacity(PARSED_BATCH);
    let failure = loop {
        let rest = bytes.get(reader.position() as usize..).unwrap_or(&[]);
        match reader.next(rest, true) {
            Ok(Some(located)) => {
                events.push(located);
                if events.len() == PARSED_BATCH {
                    let full = std::mem::replace(&mut events, Vec::with_capacity(PARSED_BATCH));
                    let batch = Batch {
                        events: full,
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
    let _ = batches.send(Batch { events, position });
    (position, reader.is_done(), failure)
}

/// The key filters of the command line.
struct Filter {
    db: Option<u64>,
    object_type: Option<ObjectType>,
    pattern: Option<Pattern>,
    min_size: u64,
}

impl Filter {
    fn new(args: &RdbInspectArgs) -> Filter {
        Filter {
            db: args.db,
            object_type: args.value_type.map(|t| match t {
                RdbTypeFilter::String => ObjectType::String,
                RdbTypeFilter::List => ObjectType::List,
                RdbTypeFilter::Set => ObjectType::Set,
                RdbTypeFilter::Zset => ObjectType::Zset,
                RdbTypeFilter::Hash => ObjectType::Hash,
                RdbTypeFilter::Stream => ObjectType::Stream,
                RdbTypeFilter::Module => ObjectType::Module,
            }),
            pattern: args
                .pattern
                .as_ref()
                .map(|p| Pattern::new(p.as_encoded_bytes())),
            min_size: args.min_size,
        }
    }

    /// Checks that need no key bytes.
    fn wants_cheap(&self, k: &KeyEntry<'_>) -> bool {
        self.db.is_none_or(|db| db == k.db)
            && self.object_type.is_none_or(|t| t == k.value.object_type())
            && k.size >= self.min_size
    }

    fn wants_key(&self, key: &[u8]) -> bool {
        self.pattern.as_ref().is_none_or(|p| p.is_match(key))
    }
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
            &last,
        ])?;
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.columns.flush()
    }
}

fn item_json(item: &Item<'_>) -> Json {
    serde_json::to_value(JsonBytes(&item.to_bytes())).unwrap_or(Json::Null)
}

fn bytes_json(b: &[u8]) -> Json {
    serde_json::to_value(JsonBytes(b)).unwrap_or(Json::Null)
}

fn score_json(score: f64) -> Json {
    if score.is_finite() {
        json!(score)
    } else if score.is_nan() {
        json!("nan")
    } else if score > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

/// A value for `--values`, by the bytes rule; see README for the shapes.
fn value_json(value: &Value<'_>) -> Result<Json, RdbError> {
    Ok(match value.decode()? {
        Decoded::String(s) => bytes_json(&s),
        Decoded::List(items) | Decoded::Set(items) => {
            Json::Array(items.iter().map(item_json).collect())
        }
        Decoded::Hash(fields) => Json::Array(
            fields
                .iter()
                .map(|(f, v, ttl)| match ttl {
                    None => json!([item_json(f), item_json(v)]),
                    Some(t) => json!([item_json(f), item_json(v), t]),
                })
                .collect(),
        ),
        Decoded::Zset(members) => Json::Array(
            members
                .iter()
                .map(|(m, s)| json!([item_json(m), score_json(*s)]))
                .collect(),
        ),
        Decoded::Stream(s) => json!({
            "length": s.length,
            "last_id": s.last_id.to_string(),
            "first_id": s.first_id.map(|i| i.to_string()),
            "max_deleted_id": s.max_deleted_id.map(|i| i.to_string()),
            "entries_added": s.entries_added,
            "entries": s.entries.iter().map(|e| json!({
                "id": e.id.to_string(),
                "deleted": e.deleted,
                "fields": e.fields.iter().map(|(f, v)| json!([item_json(f), item_json(v)])).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "groups": s.groups.iter().map(|g| json!({
                "name": bytes_json(&g.name),
                "last_id": g.last_id.to_string(),
                "entries_read": g.entries_read,
                "pending": g.pending.iter().map(|p| json!({
                    "id": p.id.to_string(),
                    "delivery_time_ms": p.delivery_time_ms,
                    "delivery_count": p.delivery_count,
                })).collect::<Vec<_>>(),
                "consumers": g.consumers.iter().map(|c| json!({
                    "name": bytes_json(&c.name),
                    "seen_time_ms": c.seen_time_ms,
                    "active_time_ms": c.active_time_ms,
                    "pending": c.pending.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Decoded::Module(m) => json!({
            "module": m.module,
            "module_version": m.version,
            "bytes": m.data.len(),
        }),
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
}

impl Scan {
    fn new(args: &RdbInspectArgs) -> Scan {
        Scan {
            magic: None,
            version: None,
            aux: Vec::new(),
            resize: BTreeMap::new(),
            stats: Stats::new(args.top, args.separator.as_bytes(), args.depth as usize),
            now_ms: args.now,
            now_source: if args.now.is_some() { "argument" } else { "" },
            functions: 0,
            module_aux: Vec::new(),
            slot_info: 0,
            checksum: Checksum {
                status: "not_reached",
                ..Checksum::default()
            },
            warnings: Vec::new(),
            key_buf: Vec::new(),
            top: args.top,
            last_db: 0,
            eof_stored: None,
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

    fn event(
        &mut self,
        located: &Located<'_>,
        filter: &Filter,
        sink: &mut dyn KeySink,
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
            Event::Key(entry) => self.key(entry, filter, sink)?,
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

    fn key(
        &mut self,
        e: &KeyEntry<'_>,
        filter: &Filter,
        sink: &mut dyn KeySink,
    ) -> Result<(), SinkError> {
        self.last_db = e.db;
        if !filter.wants_cheap(e) {
            return Ok(());
        }
        let now = self.now();
        let key: &[u8] = match e.key {
            RdbStr::Raw(b) => b,
            other => {
                other.write_into(&mut self.key_buf)?;
                &self.key_buf
            }
        };
        if !filter.wants_key(key) {
            return Ok(());
        }
        let len = e.value.len()?;
        let ram = memory::estimate(key.len() as u64, &e.value)?;
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
    expiry_histogram: Histogram,
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
struct Histogram {
    now_ms: Option<i64>,
    /// argument, ctime (the file's aux field) or clock.
    now_source: &'static str,
    #[serde(flatten)]
    counts: ExpiryHistogram,
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
        let mut dbs: BTreeMap<u64, DbTally> = stats.dbs;
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
            file: name.to_owned(),
            file_bytes,
            magic: self.magic,
            version: self.version,
            aux: self.aux,
            checksum: self.checksum,
            keys: stats.keys,
            expires: stats.expires,
            ram: stats.types.values().map(|t| t.ram).sum(),
            databases,
            types: stats.types.iter().map(|(t, v)| (t.name(), *v)).collect(),
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
            expiry_histogram: Histogram {
                now_ms: self.now_ms,
                now_source: if self.now_source.is_empty() {
                    "none"
                } else {
                    self.now_source
                },
                counts: stats.histogram,
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

        let h = &self.expiry_histogram;
        let c = &h.counts;
        let mut t = table::new(["expiry", "keys"]);
        for (name, n) in [
            ("already expired", c.expired),
            ("within 1 hour", c.within_1h),
            ("within 1 day", c.within_1d),
            ("within 7 days", c.within_7d),
            ("later", c.later),
            ("no expiry", c.none),
        ] {
            t.add_row([name.to_owned(), n.to_string()]);
        }
        table::align_right(&mut t, &[1]);
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
