//! The keyspace as an RDB snapshot, both ways.
//!
//! [`write`] serializes every database to any `Write` — a file for SAVE and
//! BGSAVE, the base of an AOF rewrite, a socket for a replica's diskless
//! full resync — with the aux fields Redis 7.0 writes. [`load`] fills a
//! keyspace from a complete image (an mmap of the file): values are built
//! through [`rdb_value`](super::super::rdb_value), checked whole, and the
//! first problem stops the load with the reader's error kind and byte
//! offset, so a damaged file is never half-loaded silently.

use std::io::Write;

use crate::rdb::{self, ErrorKind, Event, RdbError, WriteError, Writer};

use super::super::keyspace::{Keyspace, Object};
use super::super::rdb_value::{from_rdb_value, load_sanitize, with_rdb_value};
use super::super::{REDIS_VERSION, memory};

/// Replication state recorded in a snapshot (a master's full resync).
#[derive(Clone, Copy, Debug)]
pub struct ReplInfo<'a> {
    pub stream_db: usize,
    pub replid: &'a str,
    pub offset: i64,
}

/// How to write a snapshot.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// LZF-compress long strings (`rdbcompression`).
    pub compress: bool,
    /// The snapshot is the base of an append-only file (aux `aof-base`).
    pub aof_base: bool,
    /// Sleep this many microseconds per key (`rdb-key-save-delay`).
    pub key_delay_us: i64,
    pub replication: Option<ReplInfo<'a>>,
    /// Leave the keys out, or the function libraries (a replica's
    /// REPLCONF rdb-filter-only).
    pub exclude_data: bool,
    pub exclude_functions: bool,
}

/// What [`write`] wrote.
#[derive(Clone, Copy, Debug, Default)]
pub struct Written {
    pub keys: u64,
    pub bytes: u64,
}

/// Write every database of `ks` to `out` as an RDB version 10 image.
pub fn write<W: Write>(
    ks: &Keyspace,
    out: W,
    options: &Options<'_>,
) -> Result<Written, WriteError> {
    let mut w = Writer::new(out)?.compression(options.compress);
    let unix = super::super::clock::unix_ms() / 1000;
    w.aux(b"redis-ver", REDIS_VERSION.as_bytes())?;
    w.aux(b"redis-bits", usize::BITS.to_string().as_bytes())?;
    w.aux(b"ctime", unix.to_string().as_bytes())?;
    w.aux(b"used-mem", memory::allocated().to_string().as_bytes())?;
    if let Some(repl) = options.replication {
        w.aux(b"repl-stream-db", repl.stream_db.to_string().as_bytes())?;
        w.aux(b"repl-id", repl.replid.as_bytes())?;
        w.aux(b"repl-offset", repl.offset.to_string().as_bytes())?;
    }
    w.aux(b"aof-base", if options.aof_base { b"1" } else { b"0" })?;
    if !options.exclude_functions {
        for code in &ks.functions {
            w.function(code)?;
        }
    }
    let mut keys = 0u64;
    let delay = (options.key_delay_us > 0)
        .then(|| std::time::Duration::from_micros(options.key_delay_us as u64));
    for (index, db) in ks.dbs.iter().enumerate() {
        if db.is_empty() || options.exclude_data {
            continue;
        }
        w.select_db(index as u64)?;
        w.resize_db(db.len() as u64, db.expires.len() as u64)?;
        for (key, obj) in db.dict.iter() {
            let expire = db.expire_of(key);
            with_rdb_value(&obj.value, |value| w.key(key, value, expire))?;
            keys += 1;
            super::child::progress(keys);
            if let Some(delay) = delay {
                std::thread::sleep(delay);
            }
        }
    }
    let written = w.written() + 9;
    w.finish()?;
    Ok(Written {
        keys,
        bytes: written,
    })
}

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Rdb(#[from] RdbError),
    #[error(
        "the snapshot uses database {db} but the server has {databases} databases \
         (raise `databases`) (at byte {offset})"
    )]
    DbOutOfRange {
        db: u64,
        databases: usize,
        offset: u64,
    },
    #[error("Library '{name}' already exists (at byte {offset})")]
    DuplicateLibrary { name: String, offset: u64 },
    #[error("duplicate key {key} (at byte {offset})")]
    DuplicateKey { key: String, offset: u64 },
}

impl LoadError {
    /// A stable snake_case name for the problem (the reader's kind names).
    pub fn kind(&self) -> &'static str {
        match self {
            LoadError::Rdb(e) => e.kind.name(),
            LoadError::DbOutOfRange { .. } => "db_out_of_range",
            LoadError::DuplicateKey { .. } => "duplicate_key",
            LoadError::DuplicateLibrary { .. } => "duplicate_library",
        }
    }

    /// Byte offset in the file where the problem is.
    pub fn offset(&self) -> u64 {
        match self {
            LoadError::Rdb(e) => e.offset,
            LoadError::DbOutOfRange { offset, .. }
            | LoadError::DuplicateKey { offset, .. }
            | LoadError::DuplicateLibrary { offset, .. } => *offset,
        }
    }
}

/// What [`load`] found.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub keys: u64,
    /// Keys skipped because they had already expired.
    pub expired: u64,
    /// Offset just after the image (an old-style AOF continues there).
    pub end: u64,
    /// Function libraries and module data skipped (no functions or modules
    /// here to give them to).
    pub skipped: u64,
    /// Empty collections, skipped as Redis skips them.
    pub empty: u64,
    /// The first 1024 of their keys (for the log).
    pub empty_keys: Vec<Vec<u8>>,
    /// The replication position the image was saved at (aux fields
    /// `repl-id`, `repl-offset`, `repl-stream-db`), when all three are
    /// there and valid: a restarted server continues from it.
    pub position: Option<SavedPosition>,
    /// The expired keys skipped, by database, when [`load_collecting`]
    /// was asked for them (a master propagates their deletion).
    pub expired_keys: Vec<(usize, Vec<u8>)>,
}

/// Where the replication stream stood when a snapshot was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedPosition {
    pub replid: String,
    pub offset: u64,
    pub stream_db: usize,
}

impl SavedPosition {
    /// The aux fields to write for this position.
    pub fn info(&self) -> ReplInfo<'_> {
        ReplInfo {
            stream_db: self.stream_db,
            replid: &self.replid,
            offset: self.offset as i64,
        }
    }
}

/// The replication aux fields seen so far while loading.
#[derive(Default)]
struct AuxPosition {
    replid: Option<String>,
    offset: Option<i64>,
    stream_db: Option<i64>,
}

impl AuxPosition {
    fn see(&mut self, key: &[u8], value: &[u8]) {
        let text = std::str::from_utf8(value).ok();
        match key {
            b"repl-id" => {
                self.replid = text
                    .filter(|t| t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(str::to_owned)
            }
            b"repl-offset" => self.offset = text.and_then(|t| t.parse().ok()),
            b"repl-stream-db" => self.stream_db = text.and_then(|t| t.parse().ok()),
            _ => {}
        }
    }

    /// Valid as Redis requires: an ID, an offset other than -1, and a
    /// stream database other than -1 (older servers wrote -1 wrongly).
    fn position(self, databases: usize) -> Option<SavedPosition> {
        let (replid, offset, db) = (self.replid?, self.offset?, self.stream_db?);
        (offset >= 0 && db >= 0 && (db as usize) < databases).then_some(SavedPosition {
            replid,
            offset: offset as u64,
            stream_db: db as usize,
        })
    }
}

/// Load a complete RDB image into `ks` (which should be empty). Keys whose
/// expiry is before `expired_before` (Unix ms) are skipped, as a master
/// does when loading its own snapshot; `None` keeps them all (an AOF base).
pub fn load(
    ks: &mut Keyspace,
    data: &[u8],
    expired_before: Option<i64>,
) -> Result<Loaded, LoadError> {
    load_collecting(ks, data, expired_before, false)
}

/// What a load does with what the keyspace already holds (DEBUG RELOAD
/// NOFLUSH [MERGE]).
#[derive(Clone, Copy, PartialEq)]
pub enum Existing {
    /// The keyspace was emptied: the file's function libraries replace
    /// the current ones.
    Cleared,
    /// Kept: a key or library the file holds again is an error.
    Kept,
    /// Kept, and the file's keys and libraries replace those of the same
    /// name.
    Merged,
}

/// [`load`], keeping the names of the expired keys it skipped in
/// [`Loaded::expired_keys`] when `collect_expired` is set.
pub fn load_collecting(
    ks: &mut Keyspace,
    data: &[u8],
    expired_before: Option<i64>,
    collect_expired: bool,
) -> Result<Loaded, LoadError> {
    load_into(
        ks,
        data,
        expired_before,
        collect_expired,
        Existing::Cleared,
        None,
    )
}

/// How a load at startup shares its time: `serve` runs every `every_bytes`
/// bytes of the image (clients are served meanwhile), and each key is
/// followed by a wait of `key_delay_us` microseconds (`key-load-delay`, for
/// tests; a negative -N waits 1 µs once in N keys, as Redis's debugDelay).
pub struct Pacing<'a> {
    pub every_bytes: u64,
    pub key_delay_us: i64,
    pub serve: &'a mut dyn FnMut(u64),
}

/// [`load_collecting`], paced.
pub fn load_paced(
    ks: &mut Keyspace,
    data: &[u8],
    expired_before: Option<i64>,
    collect_expired: bool,
    pacing: Pacing<'_>,
) -> Result<Loaded, LoadError> {
    load_into(
        ks,
        data,
        expired_before,
        collect_expired,
        Existing::Cleared,
        Some(pacing),
    )
}

/// Load a snapshot over what the keyspace holds (DEBUG RELOAD NOFLUSH).
pub fn load_over(ks: &mut Keyspace, data: &[u8], existing: Existing) -> Result<Loaded, LoadError> {
    load_into(ks, data, None, false, existing, None)
}

fn key_delay(us: i64, rng: &mut u64) {
    let us = if us < 0 {
        // xorshift: which keys wait matters to no one, only how many.
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        u64::from(rng.is_multiple_of(us.unsigned_abs()))
    } else {
        us as u64
    };
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us));
    }
}

fn load_into(
    ks: &mut Keyspace,
    data: &[u8],
    expired_before: Option<i64>,
    collect_expired: bool,
    existing: Existing,
    mut pacing: Option<Pacing<'_>>,
) -> Result<Loaded, LoadError> {
    let mut next_serve = pacing.as_ref().map_or(u64::MAX, |p| p.every_bytes);
    let mut apply = Apply::new(ks, existing, expired_before, collect_expired);
    apply.size_bound = data.len() as u64;
    let mut events = rdb::events(data);
    for event in &mut events {
        let located = event?;
        if let (Event::Key(entry), Some(p)) = (&located.event, pacing.as_mut()) {
            if p.key_delay_us != 0 {
                key_delay(p.key_delay_us, &mut apply.delay_rng);
            }
            if entry.offset >= next_serve {
                next_serve = entry.offset + p.every_bytes.max(1);
                crate::server::loading::record(entry.offset, apply.loaded.keys);
                (p.serve)(entry.offset);
            }
        }
        if apply.event(ks, located)? {
            return Ok(apply.loaded);
        }
    }
    // The iterator ends without EOF only after yielding an error.
    Err(RdbError::new(
        ErrorKind::UnexpectedEof {
            what: "the end-of-file marker",
        },
        events.reader().position(),
    )
    .into())
}

/// What a load carries from one event to the next.
struct Apply {
    db: usize,
    loaded: Loaded,
    aux: AuxPosition,
    delay_rng: u64,
    existing: Existing,
    expired_before: Option<i64>,
    collect_expired: bool,
    /// The image is at most this long (bounds the size hints).
    size_bound: u64,
}

impl Apply {
    fn new(
        ks: &mut Keyspace,
        existing: Existing,
        expired_before: Option<i64>,
        collect_expired: bool,
    ) -> Apply {
        if existing == Existing::Cleared {
            ks.functions.clear();
        }
        ks.functions_version += 1;
        Apply {
            db: 0,
            loaded: Loaded::default(),
            aux: AuxPosition::default(),
            delay_rng: 0x9e37_79b9_7f4a_7c15,
            existing,
            expired_before,
            collect_expired,
            size_bound: u64::MAX,
        }
    }

    /// Apply one event to `ks`; true after the EOF record (the load is
    /// complete and `loaded` says what it found).
    fn event(&mut self, ks: &mut Keyspace, located: rdb::Located<'_>) -> Result<bool, LoadError> {
        let loaded = &mut self.loaded;
        match located.event {
            Event::SelectDb { db: index } => {
                if index >= ks.dbs.len() as u64 {
                    return Err(LoadError::DbOutOfRange {
                        db: index,
                        databases: ks.dbs.len(),
                        offset: located.offset,
                    });
                }
                self.db = index as usize;
            }
            Event::ResizeDb { keys, expires } => {
                // Hints only: bounded so a corrupt header cannot make us
                // reserve more than the file could possibly hold.
                let bound = (self.size_bound / 2).min(1 << 24);
                let d = &mut ks.dbs[self.db];
                d.dict.reserve(keys.min(bound) as usize);
                d.expires.reserve(expires.min(bound) as usize);
            }
            Event::Key(entry) => {
                let db = self.db;
                if let (Some(at), Some(now)) = (entry.expire_ms, self.expired_before)
                    && at < now
                {
                    loaded.expired += 1;
                    if self.collect_expired {
                        loaded
                            .expired_keys
                            .push((db, entry.key.to_bytes()?.into_owned()));
                    }
                    return Ok(false);
                }
                let key = entry.key.to_bytes()?;
                let Some(value) = from_rdb_value(&entry.value, load_sanitize())? else {
                    loaded.empty += 1;
                    if loaded.empty_keys.len() < 1024 {
                        loaded.empty_keys.push(key.into_owned());
                    }
                    return Ok(false);
                };
                let d = &mut ks.dbs[db];
                if self.existing == Existing::Merged {
                    d.remove(&key);
                }
                if d.dict.insert(&key, Object::new(value)).is_some() {
                    return Err(LoadError::DuplicateKey {
                        key: crate::output::bytes::quoted(&key),
                        offset: entry.offset,
                    });
                }
                if let Some(at) = entry.expire_ms {
                    d.set_expire(&key, at);
                }
                loaded.keys += 1;
                if loaded.keys.is_multiple_of(4096) {
                    crate::server::loading::record(entry.offset, loaded.keys);
                }
            }
            Event::Function { code, .. } => {
                let code = code.to_bytes()?.into_owned();
                let name = crate::server::scripting::functions::library_name(&code);
                let same = ks.functions.iter().position(|c| {
                    name.is_some() && crate::server::scripting::functions::library_name(c) == name
                });
                match (same, self.existing) {
                    (Some(i), Existing::Merged) => ks.functions[i] = code,
                    (Some(_), _) => {
                        return Err(LoadError::DuplicateLibrary {
                            name: name.unwrap_or_default(),
                            offset: located.offset,
                        });
                    }
                    (None, _) => ks.functions.push(code),
                }
            }
            Event::ModuleAux { .. } => loaded.skipped += 1,
            Event::Eof { stored, computed } => {
                if let (Some(stored), Some(computed)) = (stored, computed)
                    && stored != 0
                    && stored != computed
                {
                    return Err(RdbError::new(
                        ErrorKind::ChecksumMismatch { stored, computed },
                        located.offset + 1,
                    )
                    .into());
                }
                loaded.end = located.offset + located.len;
                loaded.position = std::mem::take(&mut self.aux).position(ks.dbs.len());
                return Ok(true);
            }
            Event::Aux { key, value } => {
                if let (Ok(key), Ok(value)) = (key.to_bytes(), value.to_bytes()) {
                    if &*key == b"used-mem"
                        && let Some(n) = std::str::from_utf8(&value)
                            .ok()
                            .and_then(|v| v.parse().ok())
                    {
                        crate::server::loading::record_used_mem(n);
                    }
                    self.aux.see(&key, &value);
                }
            }
            Event::Header { .. } | Event::SlotInfo { .. } | Event::SlotImport { .. } => {}
        }
        Ok(false)
    }
}

/// A snapshot loaded as it arrives (a replica's diskless load): bytes are
/// handed in as they come off the socket, whole records are applied to a
/// keyspace of the loader's own, and the rest waits for more. The caller
/// bounds the work per call, so the event loop keeps running in between.
pub struct StreamLoad {
    pub ks: Keyspace,
    reader: rdb::Reader,
    /// Bytes not parsed yet; the first is at `reader.position()`.
    buf: Vec<u8>,
    apply: Apply,
    done: bool,
}

/// What [`StreamLoad::step`] got to.
pub enum Step {
    /// Every whole record handed in is applied: more bytes are needed.
    NeedMore,
    /// The byte budget was used up with records still waiting.
    Paused,
    /// The EOF record was applied: the image is complete.
    Done,
}

impl StreamLoad {
    /// A load into an empty keyspace of `databases` databases.
    pub fn new(databases: usize) -> StreamLoad {
        let mut ks = Keyspace::new(databases);
        ks.loading = true;
        let apply = Apply::new(&mut ks, Existing::Cleared, None, false);
        StreamLoad {
            ks,
            reader: rdb::Reader::new(),
            buf: Vec::new(),
            apply,
            done: false,
        }
    }

    /// Hand in the next bytes of the image.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes of the image parsed so far.
    pub fn position(&self) -> u64 {
        self.reader.position()
    }

    /// Keys loaded so far.
    pub fn keys(&self) -> u64 {
        self.apply.loaded.keys
    }

    /// Bytes handed in and not parsed yet.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Apply whole records until about `budget` bytes were parsed, each
    /// key followed by a wait of `key_delay_us` (`key-load-delay`).
    pub fn step(&mut self, budget: u64, key_delay_us: i64) -> Result<Step, LoadError> {
        if self.done {
            return Ok(Step::Done);
        }
        let start = self.reader.position();
        let mut used = 0usize;
        let outcome = loop {
            if self.reader.position() - start >= budget.max(1) {
                break Step::Paused;
            }
            let located = match self.reader.next(&self.buf[used..], false) {
                Ok(Some(l)) => l,
                Ok(None) => break Step::Done,
                Err(e) if e.is_need_more() => break Step::NeedMore,
                Err(e) => return Err(e.into()),
            };
            used += located.len as usize;
            let is_key = matches!(located.event, Event::Key(_));
            if self.apply.event(&mut self.ks, located)? {
                self.done = true;
                break Step::Done;
            }
            if is_key && key_delay_us != 0 {
                key_delay(key_delay_us, &mut self.apply.delay_rng);
            }
        };
        self.buf.drain(..used);
        crate::server::loading::record(self.reader.position(), self.apply.loaded.keys);
        Ok(outcome)
    }

    /// The image is complete: what was loaded (and its keyspace).
    pub fn finish(self) -> Result<(Keyspace, Loaded), LoadError> {
        if !self.done {
            return Err(RdbError::new(
                ErrorKind::UnexpectedEof {
                    what: "the end-of-file marker",
                },
                self.reader.position() + self.buf.len() as u64,
            )
            .into());
        }
        let mut ks = self.ks;
        ks.loading = false;
        Ok((ks, self.apply.loaded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::types::{Str, Value};

    fn sample() -> Keyspace {
        let mut ks = Keyspace::new(4);
        for i in 0..1000 {
            let key = format!("k{i}");
            ks.dbs[0].set(key.as_bytes(), Value::String(Str::Int(i)), false);
        }
        ks.dbs[2].set(b"x", Value::String(Str::from_bytes(&[b'z'; 300])), false);
        ks.dbs[2].set_expire(b"x", i64::MAX / 2);
        ks.dbs[2].set(b"gone", Value::String(Str::from_bytes(b"v")), false);
        ks.dbs[2].set_expire(b"gone", 1);
        ks
    }

    #[test]
    fn a_written_snapshot_loads_back() {
        let ks = sample();
        let mut image = Vec::new();
        let written = write(
            &ks,
            &mut image,
            &Options {
                compress: true,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(written.keys, 1002);
        assert_eq!(written.bytes, image.len() as u64);
        let mut back = Keyspace::new(4);
        let loaded = load(&mut back, &image, Some(1000)).unwrap();
        assert_eq!((loaded.keys, loaded.expired), (1001, 1));
        assert_eq!(loaded.end, image.len() as u64);
        assert_eq!(back.dbs[0].len(), 1000);
        assert_eq!(back.dbs[2].expire_of(b"x"), Some(i64::MAX / 2));
        assert_eq!(
            back.dbs[0].dict.get(b"k7").unwrap().value,
            Value::String(Str::Int(7))
        );
        // Keeping expired keys (an AOF base).
        let mut all = Keyspace::new(4);
        assert_eq!(load(&mut all, &image, None).unwrap().keys, 1002);
    }

    #[test]
    fn damage_is_reported_with_kind_and_offset() {
        let ks = sample();
        let mut image = Vec::new();
        write(&ks, &mut image, &Options::default()).unwrap();
        // A flipped byte inside a string value: only the checksum at the
        // end can tell, and it does, pointing at the stored checksum.
        let mut flipped = image.clone();
        let at = image
            .windows(300)
            .position(|w| w.iter().all(|&b| b == b'z'))
            .expect("the uncompressed value");
        flipped[at + 10] ^= 0x01;
        let err = load(&mut Keyspace::new(4), &flipped, None).unwrap_err();
        assert_eq!(err.kind(), "checksum_mismatch", "{err}");
        assert_eq!(err.offset(), image.len() as u64 - 8, "{err}");
        // A truncated file ends inside a record.
        let err = load(&mut Keyspace::new(4), &image[..image.len() - 20], None).unwrap_err();
        assert!(
            matches!(err.kind(), "unexpected_eof" | "length_exceeds_input"),
            "{err}"
        );
        assert!(err.offset() > 0);
        // Too few databases.
        let err = load(&mut Keyspace::new(2), &image, None).unwrap_err();
        assert_eq!(err.kind(), "db_out_of_range");
    }

    #[test]
    fn a_snapshot_loads_piece_by_piece_as_it_arrives() {
        let ks = sample();
        let mut image = Vec::new();
        write(&ks, &mut image, &Options::default()).unwrap();
        // Odd-sized pieces, a small budget: every record is cut somewhere.
        let mut stream = StreamLoad::new(4);
        let mut done = false;
        for piece in image.chunks(37) {
            stream.feed(piece);
            loop {
                match stream.step(100, 0).unwrap() {
                    Step::Paused => continue,
                    Step::NeedMore => break,
                    Step::Done => {
                        done = true;
                        break;
                    }
                }
            }
        }
        assert!(done);
        assert_eq!(stream.position(), image.len() as u64);
        let (back, loaded) = stream.finish().unwrap();
        assert_eq!(loaded.keys, 1002);
        assert!(!back.loading);
        assert_eq!(back.dbs[0].len(), 1000);
        assert_eq!(back.dbs[2].expire_of(b"x"), Some(i64::MAX / 2));
        // Cut short: the load cannot finish, and says where it stopped.
        let mut short = StreamLoad::new(4);
        short.feed(&image[..image.len() / 2]);
        while let Step::Paused = short.step(1 << 20, 0).unwrap() {}
        let Err(err) = short.finish() else {
            panic!("a load cut short finished");
        };
        assert_eq!(err.kind(), "unexpected_eof", "{err}");
        // Damage is reported as it is met.
        let mut damaged = image.clone();
        damaged[0] = b'X';
        let mut bad = StreamLoad::new(4);
        bad.feed(&damaged);
        assert!(bad.step(1 << 20, 0).is_err());
    }
}
