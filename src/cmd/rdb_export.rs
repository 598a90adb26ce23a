//! `sonde rdb export`: a snapshot as RESP commands (RESTORE or plain), an
//! append-only file, JSON Lines, or redis-rdb-tools' memory CSV. The file
//! is mapped and walked once; output is streamed.

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value as Json;

use super::rdb_common::{clock_ms, key_filter, value_json, walk_keys, walk_keys_quick};
use super::{Status, problem};
use crate::cli::{RdbExportArgs, RdbExportFormat};
use crate::input;
use crate::output::bytes::JsonBytes;
use crate::rdb::replay::{self, Options, Resp};
use crate::rdb::{Element, Event, Item, KeyEntry, ObjectType, RdbError, RdbStr, ValueType, memory};
use crate::ring::slots::key_slot;

/// Output is handed to the writer in chunks of about this size.
const CHUNK: usize = 1 << 20;

enum Failure {
    Rdb(RdbError),
    Io(std::io::Error),
}

impl From<RdbError> for Failure {
    fn from(e: RdbError) -> Self {
        Failure::Rdb(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

pub fn run(args: &RdbExportArgs, stdout: &mut dyn Write) -> anyhow::Result<Status> {
    let name = args.file.display().to_string();
    let data = input::map(&args.file).with_context(|| format!("cannot open {name}"))?;
    let mut filter = key_filter(&args.replay.filter, &args.replay.slots)?;
    let now = args.replay.now.unwrap_or_else(clock_ms);
    let replays = matches!(args.to, RdbExportFormat::Resp | RdbExportFormat::Aof);
    if replays && filter.expiry.is_none() {
        // A server drops keys expired by now on load; so do we.
        filter.expiry = Some(crate::rdb::filter::ExpiryFilter::NotExpired);
    }
    let mut file_out;
    let out: &mut dyn Write = match &args.output {
        Some(path) => {
            let f =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            file_out = BufWriter::with_capacity(CHUNK, f);
            &mut file_out
        }
        None => stdout,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 64 * 1024);
    let mut keys = 0u64;
    let result = match args.to {
        RdbExportFormat::Resp | RdbExportFormat::Aof => {
            let opts = Options {
                plain: args.replay.commands || args.to == RdbExportFormat::Aof,
                replace: args.replay.replace,
                batch: args.replay.batch,
            };
            // RESTORE with no filter but the default one (keys expired by
            // now are dropped): most keys are copied out on the reader's
            // quick path, their value bytes located by their lengths.
            let quick = !opts.plain
                && filter.dbs.is_empty()
                && filter.types.is_empty()
                && !filter.needs_key()
                && filter.min_size == 0
                && filter.expiry == Some(crate::rdb::filter::ExpiryFilter::NotExpired);
            let to_db = args.to_db;
            let mut emit = Emit {
                buf: &mut buf,
                out: &mut *out,
                current_db: None,
                keys: &mut keys,
            };
            walk_keys_quick(
                &data,
                &filter,
                now,
                &mut emit,
                |emit, reader, rest| {
                    if !quick {
                        return None;
                    }
                    let span = reader.next_key_span(rest, replay::restorable)?;
                    if span.expire_ms.is_some_and(|t| t <= now) {
                        return Some(Ok(()));
                    }
                    let db = to_db.unwrap_or(reader.db());
                    let mut resp = Resp::new(emit.buf);
                    if emit.current_db != Some(db) {
                        resp.select(db);
                        emit.current_db = Some(db);
                    }
                    replay::restore_span(&mut resp, &span, opts.replace);
                    Some(emit.key_done())
                },
                |emit, located, key_entry| {
                    let Some((entry, key)) = key_entry else {
                        if let Some(Event::Function {
                            pre_ga: false,
                            code,
                            ..
                        }) = located.map(|l| &l.event)
                        {
                            let code = code.to_bytes()?;
                            let mut resp = Resp::new(emit.buf);
                            replay::function_load(&mut resp, &code, args.replay.replace);
                        }
                        return Ok::<(), Failure>(());
                    };
                    let db = to_db.unwrap_or(entry.db);
                    let mut resp = Resp::new(emit.buf);
                    if emit.current_db != Some(db) {
                        resp.select(db);
                        emit.current_db = Some(db);
                    }
                    replay::key(&mut resp, key, entry, &opts)?;
                    emit.key_done()
                },
            )
        }
        RdbExportFormat::Json => walk_keys(&data, &filter, now, |_, key_entry| {
            let Some((entry, key)) = key_entry else {
                return Ok(());
            };
            let record = JsonRecord {
                db: entry.db,
                key: JsonBytes(key),
                object_type: entry.value.object_type().name(),
                encoding: entry.value.encoding(),
                expire_ms: entry.expire_ms,
                slot: key_slot(key),
                value: value_json(&entry.value)?,
            };
            serde_json::to_writer(&mut buf, &record).map_err(std::io::Error::from)?;
            buf.push(b'\n');
            keys += 1;
            if buf.len() >= CHUNK {
                out.write_all(&buf)?;
                buf.clear();
            }
            Ok::<(), Failure>(())
        }),
        RdbExportFormat::Csv => {
            buf.extend_from_slice(
                b"database,type,key,size_in_bytes,encoding,num_elements,len_largest_element,expiry,slot\n",
            );
            walk_keys(&data, &filter, now, |_, key_entry| {
                let Some((entry, key)) = key_entry else {
                    return Ok(());
                };
                csv_row(&mut buf, entry, key)?;
                keys += 1;
                if buf.len() >= CHUNK {
                    out.write_all(&buf)?;
                    buf.clear();
                }
                Ok::<(), Failure>(())
            })
        }
    };
    out.write_all(&buf)?;
    out.flush()?;
    match result {
        Ok(()) => Ok(Status::Ok),
        Err(Failure::Io(e)) => Err(e.into()),
        Err(Failure::Rdb(e)) => {
            problem(format!(
                "{name}: {e} ({}); exported the {keys} keys before it",
                e.kind.name()
            ));
            Ok(Status::Problem)
        }
    }
}

/// Where `--to resp|aof` writes: the buffer, flushed to `out` in chunks.
struct Emit<'b, 'o> {
    buf: &'b mut Vec<u8>,
    out: &'b mut (dyn Write + 'o),
    current_db: Option<u64>,
    keys: &'b mut u64,
}

impl Emit<'_, '_> {
    /// Count a key written and hand a full chunk over.
    #[inline]
    fn key_done(&mut self) -> Result<(), Failure> {
        *self.keys += 1;
        if self.buf.len() >= CHUNK {
            self.out.write_all(self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// One `--to json` record.
#[derive(Serialize)]
struct JsonRecord<'a> {
    db: u64,
    key: JsonBytes<'a>,
    #[serde(rename = "type")]
    object_type: &'static str,
    encoding: &'static str,
    expire_ms: Option<i64>,
    slot: u16,
    value: Json,
}

/// redis-rdb-tools' name for a type.
fn rdbtools_type(t: ObjectType) -> &'static str {
    match t {
        ObjectType::Zset => "sortedset",
        other => other.name(),
    }
}

/// redis-rdb-tools' encoding column: what it reports for each on-disk
/// encoding (lists always as the quicklist Redis 3.2+ loads them into).
fn rdbtools_encoding(vt: ValueType) -> &'static str {
    use ValueType::*;
    match vt {
        String => "string",
        List | ListZiplist | ListQuicklist | ListQuicklist2 => "quicklist",
        Set | Hash | HashMetadata | HashMetadataPreGa | ValkeyHash2 => "hashtable",
        SetIntset => "intset",
        SetListpack | HashListpack | ZsetListpack | HashListpackEx | HashListpackExPreGa => {
            "listpack"
        }
        Zset | Zset2 => "skiplist",
        ZsetZiplist | HashZiplist => "ziplist",
        HashZipmap => "zipmap",
        StreamListpacks | StreamListpacks2 | StreamListpacks3 | StreamListpacks4 => "listpack",
        Module2 | ModulePreGa => "module",
    }
}

/// An element's length as redis-rdb-tools counts it: integers stored as
/// integers count as 8 bytes (a long), text by its length.
fn element_length(item: &Item<'_>) -> u64 {
    match item {
        Item::Int(_) => 8,
        Item::Bytes(b) => b.len() as u64,
    }
}

/// redis-rdb-tools reads zipmap values through Python's `int()` and counts
/// the ones that parse as integers (8 bytes): optional spaces and sign,
/// digits with single underscores between them.
fn python_int(b: &[u8]) -> bool {
    let t = b.trim_ascii();
    let t = t
        .strip_prefix(b"+")
        .or_else(|| t.strip_prefix(b"-"))
        .unwrap_or(t);
    !t.is_empty()
        && t.first().is_some_and(u8::is_ascii_digit)
        && t.last().is_some_and(u8::is_ascii_digit)
        && t.iter().all(|c| c.is_ascii_digit() || *c == b'_')
        && !t.windows(2).any(|w| w == b"__")
}

fn csv_row(buf: &mut Vec<u8>, entry: &KeyEntry<'_>, key: &[u8]) -> Result<(), RdbError> {
    let value = &entry.value;
    let ram = memory::estimate(key.len() as u64, value)?;
    let (elements, largest, encoding) = match value.object_type() {
        ObjectType::String => {
            let s = value.string()?;
            let n = match s {
                RdbStr::Int(_) => 8,
                other => other.len(),
            };
            (n, n, "string")
        }
        ObjectType::Module => {
            let m = value.module()?;
            let n = value.data.len() as u64;
            let _ = m;
            (1, n, "module")
        }
        ObjectType::Stream => {
            let s = value.stream()?;
            (s.length, 0, rdbtools_encoding(value.value_type))
        }
        _ => {
            let mut count = 0u64;
            let mut largest = 0u64;
            for e in value.elements()? {
                count += 1;
                match e? {
                    Element::Member(i) => largest = largest.max(element_length(&i)),
                    Element::Field {
                        field, value: v, ..
                    } => {
                        let vlen = match &v {
                            Item::Bytes(b)
                                if value.value_type == ValueType::HashZipmap && python_int(b) =>
                            {
                                8
                            }
                            other => element_length(other),
                        };
                        largest = largest.max(element_length(&field)).max(vlen);
                    }
                    Element::Scored { member, .. } => {
                        largest = largest.max(element_length(&member))
                    }
                }
            }
            (count, largest, rdbtools_encoding(value.value_type))
        }
    };
    let mut itoa = itoa::Buffer::new();
    buf.extend_from_slice(itoa.format(entry.db).as_bytes());
    buf.push(b',');
    buf.extend_from_slice(rdbtools_type(value.object_type()).as_bytes());
    buf.push(b',');
    csv_field(buf, key);
    buf.push(b',');
    buf.extend_from_slice(itoa.format(ram).as_bytes());
    buf.push(b',');
    buf.extend_from_slice(encoding.as_bytes());
    buf.push(b',');
    buf.extend_from_slice(itoa.format(elements).as_bytes());
    buf.push(b',');
    buf.extend_from_slice(itoa.format(largest).as_bytes());
    buf.push(b',');
    if let Some(ms) = entry.expire_ms {
        buf.extend_from_slice(iso_utc(ms).as_bytes());
    }
    buf.push(b',');
    buf.extend_from_slice(itoa.format(key_slot(key)).as_bytes());
    buf.push(b'\n');
    Ok(())
}

/// A CSV field: as is, or quoted (RFC 4180) when it holds a comma, a quote
/// or a line break. Bytes are written unchanged.
fn csv_field(buf: &mut Vec<u8>, field: &[u8]) {
    if !field
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        buf.extend_from_slice(field);
        return;
    }
    buf.push(b'"');
    for &b in field {
        if b == b'"' {
            buf.push(b'"');
        }
        buf.push(b);
    }
    buf.push(b'"');
}

/// Unix milliseconds as Python's `datetime.isoformat()` writes a UTC time:
/// `2022-12-25T10:11:12.573000`, the fraction left out when it is zero.
pub fn iso_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let micros = ms.rem_euclid(1000) * 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if micros != 0 {
        s.push_str(&format!(".{micros:06}"));
    }
    s
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00");
        assert_eq!(iso_utc(1_671_963_072_573), "2022-12-25T10:11:12.573000");
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00");
    }

    #[test]
    fn csv_quoting() {
        let mut b = Vec::new();
        csv_field(&mut b, b"a,\"b\"");
        assert_eq!(b, b"\"a,\"\"b\"\"\"");
    }
}
