//! The snapshot stage of a full resynchronization: how a master frames the
//! RDB payload, and where its bytes go.
//!
//! A master sends the payload in one of two forms. From disk it knows the
//! size: `$<len>\r\n` and exactly `len` bytes. Diskless (`repl-diskless-sync
//! yes`) it streams from a fork without knowing the size: `$EOF:<mark>\r\n`,
//! the payload, then the same 40 random bytes as a trailer. Neither form has a
//! CRLF after the payload; the command stream follows directly. The trailer
//! can straddle reads, so [`scan_for_mark`] reports how much of a buffer is
//! certainly payload and keeps back the bytes that may begin the mark.
//!
//! Where the payload goes is a [`SnapshotSink`]: [`Discard`] (count and drop
//! it), [`SaveFile`] (write it atomically to a file) or [`RdbSummary`] (parse
//! it as it arrives with the RDB engine's streaming reader: keys by database
//! and type and the verified checksum, in [`SnapshotDone`], with nothing
//! written to disk).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::atomic_file::AtomicFile;
use crate::rdb::{ErrorKind, Event, Located, ObjectType, RdbError, Reader};

/// Length of the diskless end-of-file mark (Redis's `CONFIG_RUN_ID_SIZE`).
pub const MARK_LEN: usize = 40;

/// How the master announced the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotForm {
    /// `$<len>`: exactly this many bytes.
    Sized(u64),
    /// `$EOF:<mark>`: bytes until the mark.
    EofMarked,
}

impl SnapshotForm {
    /// The announced size, when there is one.
    pub fn size(self) -> Option<u64> {
        match self {
            SnapshotForm::Sized(n) => Some(n),
            SnapshotForm::EofMarked => None,
        }
    }

    /// The stable name used in reports: `length` or `eof`.
    pub fn name(self) -> &'static str {
        match self {
            SnapshotForm::Sized(_) => "length",
            SnapshotForm::EofMarked => "eof",
        }
    }
}

/// Where the end-of-file mark is, or how much of the buffer is payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkScan {
    /// The mark starts at this index: everything before it is payload.
    Found(usize),
    /// No mark yet: the first `safe` bytes are payload; the rest may be the
    /// start of a mark cut by the end of the read.
    Pending { safe: usize },
}

/// Look for `mark` in `buf`.
pub fn scan_for_mark(buf: &[u8], mark: &[u8; MARK_LEN]) -> MarkScan {
    match memchr::memmem::find(buf, mark) {
        Some(at) => MarkScan::Found(at),
        None => MarkScan::Pending {
            safe: buf.len().saturating_sub(MARK_LEN - 1),
        },
    }
}

/// Why a snapshot could not be consumed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    /// The payload is not a valid RDB image (or its checksum is wrong).
    #[error("corrupt snapshot: {0} ({kind})", kind = .0.kind.name())]
    Rdb(RdbError),
}

/// Keys found in a snapshot: per database, counts by type name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyCounts {
    pub databases: Vec<DbKeys>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DbKeys {
    pub db: u64,
    pub keys: u64,
    /// Type name (`string`, `list`, `set`, `zset`, `hash`, `stream`,
    /// `module`) → keys of that type.
    pub types: BTreeMap<String, u64>,
}

/// What a sink made of a complete snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotDone {
    /// The file the payload was saved to.
    pub saved: Option<PathBuf>,
    /// Keys by database and type, from a sink that parses the payload.
    pub keys: Option<KeyCounts>,
    /// The RDB checksum, from a sink that parses the payload.
    pub checksum: Option<Checksum>,
}

/// A payload's CRC-64 as stored at its end and as computed over its bytes.
/// A sink reports it only when it holds: a mismatch is an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checksum {
    /// `0x` and 16 hex digits (a u64 does not fit a JSON number); null
    /// before RDB version 5, which has no checksum.
    pub stored: Option<String>,
    pub computed: String,
    /// `ok`, `disabled` (the master stored 0: `rdbchecksum no`) or
    /// `absent` (RDB before version 5).
    pub status: &'static str,
}

/// Receives a snapshot's payload as it arrives.
pub trait SnapshotSink {
    /// A transfer starts (after `+FULLRESYNC` and the `$` line).
    fn begin(&mut self, form: SnapshotForm) -> Result<(), SnapshotError>;
    /// The next bytes of the payload, in order, never including the mark.
    fn data(&mut self, chunk: &[u8]) -> Result<(), SnapshotError>;
    /// The payload is complete.
    fn end(&mut self) -> Result<SnapshotDone, SnapshotError>;
    /// The link dropped mid-transfer: forget the partial payload.
    fn abort(&mut self);
}

/// Drops the payload (`--rdb skip`).
#[derive(Debug, Default)]
pub struct Discard;

impl SnapshotSink for Discard {
    fn begin(&mut self, _: SnapshotForm) -> Result<(), SnapshotError> {
        Ok(())
    }
    fn data(&mut self, _: &[u8]) -> Result<(), SnapshotError> {
        Ok(())
    }
    fn end(&mut self) -> Result<SnapshotDone, SnapshotError> {
        Ok(SnapshotDone::default())
    }
    fn abort(&mut self) {}
}

/// Writes the payload to a file that appears only once it is complete
/// (`--rdb save FILE`). A later full resync replaces it.
pub struct SaveFile {
    path: PathBuf,
    file: Option<AtomicFile>,
}

impl SaveFile {
    pub fn new(path: &Path) -> SaveFile {
        SaveFile {
            path: path.to_path_buf(),
            file: None,
        }
    }

    fn error(&self, source: io::Error) -> SnapshotError {
        SnapshotError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }
}

impl SnapshotSink for SaveFile {
    fn begin(&mut self, _: SnapshotForm) -> Result<(), SnapshotError> {
        let file = AtomicFile::create(&self.path).map_err(|e| self.error(e))?;
        self.file = Some(file);
        Ok(())
    }

    fn data(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        let result = match &mut self.file {
            Some(file) => file.write_all(chunk),
            None => Err(io::Error::other("snapshot data before its start")),
        };
        result.map_err(|e| self.error(e))
    }

    fn end(&mut self) -> Result<SnapshotDone, SnapshotError> {
        if let Some(file) = self.file.take() {
            file.commit().map_err(|e| self.error(e))?;
        }
        Ok(SnapshotDone {
            saved: Some(self.path.clone()),
            ..SnapshotDone::default()
        })
    }

    fn abort(&mut self) {
        self.file = None;
    }
}

/// Parses the payload as it arrives (`--rdb summary`): counts keys by
/// database and type and verifies the checksum, writing nothing to disk.
///
/// Only bytes the reader has not consumed are kept. A chunk is parsed in
/// place; the tail of an event it cuts is kept until the rest arrives, and
/// dropped once the event is read. Memory is therefore one chunk plus the
/// largest single key (at most twice it: see `ready_at`), whatever the
/// size of the snapshot.
#[derive(Debug, Default)]
pub struct RdbSummary {
    reader: Reader,
    /// Received, not yet consumed; its first byte is at `reader.position()`.
    pending: Vec<u8>,
    /// Parse again once `pending` holds this many bytes. An event cut short
    /// is parsed from its start on every try, so waiting for the buffer to
    /// double keeps the total work linear even for a key of millions of
    /// elements that arrives in thousands of chunks.
    ready_at: usize,
    /// Keys per database and type.
    tally: BTreeMap<u64, BTreeMap<ObjectType, u64>>,
    checksum: Option<Checksum>,
    /// The announced payload size (`$<len>` form).
    size: Option<u64>,
}

/// Above this much spare capacity the buffer is shrunk (after a big key).
const SPARE_CAPACITY: usize = 1 << 20;

impl RdbSummary {
    pub fn new() -> RdbSummary {
        RdbSummary::default()
    }

    /// Read events from `input`, which starts at the reader's position,
    /// until it needs more or ends; returns the bytes consumed.
    fn walk(&mut self, input: &[u8], final_input: bool) -> Result<usize, RdbError> {
        let start = self.reader.position();
        loop {
            let used = (self.reader.position() - start) as usize;
            let rest = input.get(used..).unwrap_or(&[]);
            if self.reader.is_done() {
                if !rest.is_empty() {
                    return Err(RdbError::invalid(
                        self.reader.position(),
                        "bytes after the end-of-file record",
                    ));
                }
                return Ok(used);
            }
            match self.reader.next(rest, final_input) {
                Ok(Some(located)) => self.count(&located)?,
                Ok(None) => return Ok(used),
                Err(e) if e.is_need_more() => {
                    let needed = match *e.kind {
                        ErrorKind::NeedMore { needed } => needed,
                        _ => 1,
                    };
                    // A corrupt length may claim up to u64::MAX more bytes.
                    let wanted_end =
                        (self.reader.position() + rest.len() as u64).saturating_add(needed);
                    if self.size.is_some_and(|size| wanted_end > size) {
                        // A length beyond the announced payload: read the
                        // event as final input for the error naming it,
                        // instead of buffering the rest waiting for bytes
                        // that will never come.
                        return Err(match self.reader.clone().next(rest, true) {
                            Err(e) => e,
                            Ok(_) => RdbError::new(
                                ErrorKind::UnexpectedEof {
                                    what: "an item the announced payload size cuts short",
                                },
                                self.reader.position(),
                            ),
                        });
                    }
                    let needed = usize::try_from(needed).unwrap_or(usize::MAX);
                    self.ready_at = rest.len().saturating_add(needed.max(rest.len()));
                    return Ok(used);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn count(&mut self, located: &Located<'_>) -> Result<(), RdbError> {
        match &located.event {
            Event::Key(entry) => {
                *self
                    .tally
                    .entry(entry.db)
                    .or_default()
                    .entry(entry.value.object_type())
                    .or_default() += 1;
            }
            Event::Eof { stored, computed } => {
                let computed = computed.unwrap_or_default();
                let status = match *stored {
                    None => "absent",
                    Some(0) => "disabled",
                    Some(s) if s == computed => "ok",
                    Some(stored) => {
                        return Err(RdbError::new(
                            ErrorKind::ChecksumMismatch { stored, computed },
                            located.offset + located.len - 8,
                        ));
                    }
                };
                let hex = |v: u64| format!("{v:#018x}");
                self.checksum = Some(Checksum {
                    stored: stored.map(hex),
                    computed: hex(computed),
                    status,
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// Give memory back after a big key went through.
    fn trim(&mut self) {
        if self.pending.capacity() - self.pending.len() > SPARE_CAPACITY {
            self.pending
                .shrink_to(self.pending.len().max(self.ready_at));
        }
    }
}

impl SnapshotSink for RdbSummary {
    fn begin(&mut self, form: SnapshotForm) -> Result<(), SnapshotError> {
        *self = RdbSummary::new();
        self.size = form.size();
        Ok(())
    }

    fn data(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        if self.pending.is_empty() {
            let used = self.walk(chunk, false).map_err(SnapshotError::Rdb)?;
            self.pending.extend_from_slice(&chunk[used..]);
        } else {
            self.pending.extend_from_slice(chunk);
            if self.pending.len() < self.ready_at {
                return Ok(());
            }
            let pending = std::mem::take(&mut self.pending);
            let walked = self.walk(&pending, false);
            self.pending = pending;
            let used = walked.map_err(SnapshotError::Rdb)?;
            self.pending.drain(..used);
        }
        self.trim();
        Ok(())
    }

    fn end(&mut self) -> Result<SnapshotDone, SnapshotError> {
        let pending = std::mem::take(&mut self.pending);
        self.walk(&pending, true).map_err(SnapshotError::Rdb)?;
        let done = std::mem::take(self);
        let databases = done
            .tally
            .into_iter()
            .map(|(db, types)| DbKeys {
                db,
                keys: types.values().sum(),
                types: types
                    .into_iter()
                    .map(|(t, n)| (t.name().to_owned(), n))
                    .collect(),
            })
            .collect();
        Ok(SnapshotDone {
            saved: None,
            keys: Some(KeyCounts { databases }),
            checksum: done.checksum,
        })
    }

    fn abort(&mut self) {
        *self = RdbSummary::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARK: &[u8; MARK_LEN] = b"0123456789abcdefghij0123456789abcdefghij";

    #[test]
    fn the_mark_is_found_or_held_back() {
        assert_eq!(scan_for_mark(b"short", MARK), MarkScan::Pending { safe: 0 });
        let mut buf = vec![b'x'; 100];
        assert_eq!(scan_for_mark(&buf, MARK), MarkScan::Pending { safe: 61 });
        buf.extend_from_slice(MARK);
        buf.extend_from_slice(b"*1\r\n");
        assert_eq!(scan_for_mark(&buf, MARK), MarkScan::Found(100));
    }

    #[test]
    fn saved_files_appear_on_end_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.rdb");
        let mut sink = SaveFile::new(&path);
        sink.begin(SnapshotForm::EofMarked).unwrap();
        sink.data(b"REDIS").unwrap();
        assert!(!path.exists());
        sink.abort();
        sink.begin(SnapshotForm::Sized(9)).unwrap();
        sink.data(b"REDIS").unwrap();
        sink.data(b"0010").unwrap();
        let done = sink.end().unwrap();
        assert_eq!(done.saved.as_deref(), Some(path.as_path()));
        assert_eq!(std::fs::read(&path).unwrap(), b"REDIS0010");
    }

    /// An RDB image with keys of five types in three databases, a big
    /// list (many elements in one event) and a long compressible string.
    fn sample_rdb() -> Vec<u8> {
        use crate::rdb::{ValueRef, Writer};
        let mut w = Writer::new(Vec::new()).unwrap();
        w.aux(b"redis-ver", b"7.0.15").unwrap();
        let members: Vec<Vec<u8>> = (0..5000).map(|i| format!("m{i}").into_bytes()).collect();
        for db in [0u64, 3, 9] {
            w.select_db(db).unwrap();
            for i in 0..200 {
                let key = format!("s:{db}:{i}");
                let value = format!("value {i} ").repeat(i % 7 + 1);
                w.key(key.as_bytes(), ValueRef::String(value.as_bytes()), None)
                    .unwrap();
            }
            for i in 0..(db + 1) * 10 {
                let key = format!("l:{i}");
                let n = if i == 0 { members.len() } else { 3 };
                let mut items = members[..n].iter().map(Vec::as_slice);
                w.key(key.as_bytes(), ValueRef::List(&mut items), Some(1 << 45))
                    .unwrap();
                let mut set = members[..n].iter().map(Vec::as_slice);
                w.key(format!("S:{i}").as_bytes(), ValueRef::Set(&mut set), None)
                    .unwrap();
            }
            let mut fields = members[..40].iter().map(|m| (m.as_slice(), &b"v"[..]));
            w.key(b"h", ValueRef::Hash(&mut fields), None).unwrap();
            let mut scores = members[..300]
                .iter()
                .enumerate()
                .map(|(i, m)| (m.as_slice(), i as f64 / 3.0));
            w.key(b"z", ValueRef::Zset(&mut scores), None).unwrap();
        }
        w.key(b"big", ValueRef::String(&[b'x'; 300_000]), None)
            .unwrap();
        w.finish().unwrap()
    }

    fn expected_sample_counts() -> KeyCounts {
        let db = |db: u64, lists: u64, extra_strings: u64| DbKeys {
            db,
            keys: 200 + extra_strings + 2 * lists + 2,
            types: [
                ("hash", 1),
                ("list", lists),
                ("set", lists),
                ("string", 200 + extra_strings),
                ("zset", 1),
            ]
            .into_iter()
            .map(|(t, n)| (t.to_owned(), n))
            .collect(),
        };
        KeyCounts {
            databases: vec![db(0, 10, 0), db(3, 40, 0), db(9, 100, 1)],
        }
    }

    /// Feed `payload` to a fresh summary sink in pieces of the given
    /// sizes (cycled), then end it.
    fn summarize(
        payload: &[u8],
        form: SnapshotForm,
        sizes: &[usize],
    ) -> Result<SnapshotDone, SnapshotError> {
        let mut sink = RdbSummary::new();
        sink.begin(form)?;
        let mut rest = payload;
        for &size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, after) = rest.split_at(size.clamp(1, rest.len()));
            sink.data(piece)?;
            assert!(
                sink.pending.len() <= 2 * 330_000 + piece.len(),
                "{} bytes held",
                sink.pending.len()
            );
            rest = after;
        }
        sink.end()
    }

    /// A tiny deterministic sequence of chunk sizes in `1..=max`.
    fn chunk_sizes(seed: u64, max: usize) -> Vec<usize> {
        let mut x = seed | 1;
        (0..257)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % max as u64) as usize + 1
            })
            .collect()
    }

    #[test]
    fn summary_counts_keys_by_db_and_type_and_checks_the_crc() {
        let rdb = sample_rdb();
        let done = summarize(&rdb, SnapshotForm::Sized(rdb.len() as u64), &[usize::MAX]).unwrap();
        assert_eq!(done.keys, Some(expected_sample_counts()));
        let stored = u64::from_le_bytes(rdb[rdb.len() - 8..].try_into().unwrap());
        let checksum = done.checksum.unwrap();
        assert_eq!(checksum.status, "ok");
        assert_eq!(checksum.computed, format!("{stored:#018x}"));
        assert_eq!(checksum.stored, Some(checksum.computed.clone()));
        assert_eq!(done.saved, None);
    }

    #[test]
    fn summary_is_the_same_however_the_payload_is_cut() {
        let rdb = sample_rdb();
        let whole = summarize(&rdb, SnapshotForm::EofMarked, &[usize::MAX]).unwrap();
        for sizes in [vec![1], vec![2], vec![7], vec![40], vec![4096], vec![65536]] {
            let done = summarize(&rdb, SnapshotForm::EofMarked, &sizes).unwrap();
            assert_eq!(done, whole, "pieces of {sizes:?}");
        }
        for seed in 1..40 {
            let sizes = chunk_sizes(seed, if seed % 2 == 0 { 100 } else { 70_000 });
            let done = summarize(&rdb, SnapshotForm::EofMarked, &sizes).unwrap();
            assert_eq!(done, whole, "seed {seed}");
        }
    }

    /// The framing and the sink together: an EOF-marked transfer through
    /// the replica state machine, cut at arbitrary read boundaries (the
    /// mark itself included), gives the same summary as the payload whole.
    #[test]
    fn an_eof_marked_stream_cut_anywhere_still_parses() {
        use crate::replication::{Config, Event, Replica};
        use std::time::Instant;
        let rdb = sample_rdb();
        let mark = "0123456789abcdefghij0123456789abcdefghij";
        let mut conversation = b"+PONG\r\n+OK\r\n+OK\r\n".to_vec();
        conversation
            .extend_from_slice(format!("+FULLRESYNC {mark} 0\r\n\n\n$EOF:{mark}\r\n").as_bytes());
        conversation.extend_from_slice(&rdb);
        conversation.extend_from_slice(mark.as_bytes());
        conversation.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let whole = summarize(&rdb, SnapshotForm::EofMarked, &[usize::MAX]).unwrap();
        for seed in 1..12 {
            let sizes = chunk_sizes(seed, 3000);
            let now = Instant::now();
            let mut replica = Replica::new(Config::default(), None);
            let mut sink = RdbSummary::new();
            let mut done = None;
            let mut pieces = sizes.iter().cycle();
            let mut rest = &conversation[..];
            let mut commands = 0;
            while !rest.is_empty() {
                let n = (*pieces.next().unwrap()).min(rest.len());
                replica.receive(&rest[..n]);
                rest = &rest[n..];
                while let Some(event) = replica.poll_event(now).unwrap() {
                    match event {
                        Event::SnapshotStart(form) => {
                            assert_eq!(form, SnapshotForm::EofMarked);
                            sink.begin(form).unwrap();
                        }
                        Event::SnapshotData(chunk) => sink.data(&chunk).unwrap(),
                        Event::SnapshotEnd { bytes } => {
                            assert_eq!(bytes, rdb.len() as u64);
                            done = Some(sink.end().unwrap());
                        }
                        Event::Command(_) => commands += 1,
                        _ => {}
                    }
                }
            }
            assert_eq!(done.as_ref(), Some(&whole), "seed {seed}");
            assert_eq!(commands, 1, "seed {seed}");
        }
    }

    fn rdb_error(result: Result<SnapshotDone, SnapshotError>) -> RdbError {
        match result {
            Err(SnapshotError::Rdb(e)) => e,
            other => panic!("expected an RDB error, got {other:?}"),
        }
    }

    #[test]
    fn corrupt_payloads_name_the_kind_and_offset() {
        let rdb = sample_rdb();
        let eof = SnapshotForm::EofMarked;
        let crc_at = rdb.len() as u64 - 8;

        let mut bad_crc = rdb.clone();
        *bad_crc.last_mut().unwrap() ^= 1;
        let e = rdb_error(summarize(&bad_crc, eof, &[1000]));
        assert_eq!(e.kind.name(), "checksum_mismatch");
        assert_eq!(e.offset, crc_at);

        // Cut before the EOF opcode, and inside the last key.
        let cut = &rdb[..rdb.len() - 9];
        let e = rdb_error(summarize(cut, eof, &[1000]));
        assert_eq!(e.kind.name(), "unexpected_eof");
        assert_eq!(e.offset, rdb.len() as u64 - 9);
        let e = rdb_error(summarize(&rdb[..rdb.len() - 100], eof, &[1000]));
        assert_eq!(e.kind.name(), "length_exceeds_input");

        let mut trailing = rdb.clone();
        trailing.extend_from_slice(b"junk");
        let e = rdb_error(summarize(&trailing, eof, &[usize::MAX]));
        assert_eq!(e.offset, rdb.len() as u64);
        let e = rdb_error(summarize(&trailing, eof, &[7]));
        assert_eq!(e.offset, rdb.len() as u64);

        let mut bad_type = rdb.clone();
        bad_type[9] = 99;
        let e = rdb_error(summarize(&bad_type, eof, &[3]));
        assert_eq!(*e.kind, ErrorKind::UnknownType(99));
        assert_eq!(e.offset, 9);
        assert!(
            SnapshotError::Rdb(e)
                .to_string()
                .ends_with("(at byte 9) (unknown_type)")
        );
    }

    /// A string that claims 1 GiB in a payload announced as 1 MiB fails as
    /// soon as its length is read, instead of buffering the rest.
    #[test]
    fn a_length_beyond_the_announced_size_fails_early() {
        let mut head = b"REDIS0010".to_vec();
        head.extend_from_slice(&[0x00, 0x01, b'k', 0x80]);
        head.extend_from_slice(&(1u32 << 30).to_be_bytes());
        let mut sink = RdbSummary::new();
        sink.begin(SnapshotForm::Sized(1 << 20)).unwrap();
        let e = match sink.data(&head) {
            Err(SnapshotError::Rdb(e)) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(e.kind.name(), "length_exceeds_input");
        // The EOF-marked form has no size to check against: it waits.
        let mut sink = RdbSummary::new();
        sink.begin(SnapshotForm::EofMarked).unwrap();
        sink.data(&head).unwrap();
        assert_eq!(rdb_error(sink.end()).kind.name(), "length_exceeds_input");
    }
}
