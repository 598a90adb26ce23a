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
//! it) or [`SaveFile`] (write it atomically to a file). A sink that parses
//! the RDB as it arrives (keys by database and type, no disk) implements
//! the same trait and fills [`SnapshotDone::keys`].

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::atomic_file::AtomicFile;

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
            keys: None,
        })
    }

    fn abort(&mut self) {
        self.file = None;
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
}
