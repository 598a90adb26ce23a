//! Where a replica stands in a master's history: the replication ID, the
//! offset processed so far and the database the feed had selected. This is
//! what a partial resynchronization (`PSYNC <replid> <offset+1>`) needs, and
//! what `--resume` keeps on disk between runs.
//!
//! Offsets count bytes of the replication stream, as Redis counts them: a
//! master's `master_repl_offset` is the number of the last byte it wrote,
//! and a replica that has processed `offset` bytes asks for byte
//! `offset + 1` next (Redis's `slaveTryPartialResynchronization` sends
//! `cached_master->reploff + 1`).
//!
//! The database belongs to the position because a master that continues a
//! stream does not repeat its `SELECT`: a replica resuming in another process
//! must remember which database the next command applies to.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::atomic_file;

/// Length of a replication ID (Redis's `CONFIG_RUN_ID_SIZE`).
pub const REPLID_LEN: usize = 40;

/// A point in a master's replication history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The master's replication ID (40 characters).
    pub replid: String,
    /// Bytes of the stream processed; the next byte wanted is `offset + 1`.
    pub offset: u64,
    /// The database selected at that point of the stream.
    pub db: i64,
}

/// Why a resume file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a resume file: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("{path}: replication ID {replid:?} is not {REPLID_LEN} alphanumeric characters")]
    BadReplid { path: String, replid: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// True for a string a master could have sent as its replication ID; it is
/// echoed back in PSYNC, so nothing else may pass.
pub fn is_replid(text: &str) -> bool {
    text.len() == REPLID_LEN && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Position {
    /// The PSYNC arguments that continue from here: the ID and the offset of
    /// the next byte wanted.
    pub fn psync_args(&self) -> (String, String) {
        (self.replid.clone(), (self.offset + 1).to_string())
    }

    /// Read a resume file; `Ok(None)` when it does not exist yet.
    pub fn load(path: &Path) -> Result<Option<Position>, ResumeError> {
        let name = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ResumeError::Read { path: name, source }),
        };
        let position: Position =
            serde_json::from_slice(&text).map_err(|source| ResumeError::Parse {
                path: name.clone(),
                source,
            })?;
        if !is_replid(&position.replid) {
            return Err(ResumeError::BadReplid {
                path: name,
                replid: position.replid,
            });
        }
        Ok(Some(position))
    }

    /// Write a resume file atomically: a reader (or a crash) sees the old
    /// file or the new one, never a torn one.
    pub fn save(&self, path: &Path) -> Result<(), ResumeError> {
        let mut text = serde_json::to_vec(self).unwrap_or_default();
        text.push(b'\n');
        atomic_file::write(path, &text).map_err(|source| ResumeError::Write {
            path: path.display().to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn psync_asks_for_the_next_byte() {
        let p = Position {
            replid: ID.into(),
            offset: 1000,
            db: 3,
        };
        assert_eq!(p.psync_args(), (ID.to_owned(), "1001".to_owned()));
    }

    #[test]
    fn resume_files_round_trip_and_reject_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pos.json");
        assert_eq!(Position::load(&path).unwrap(), None);
        let p = Position {
            replid: ID.into(),
            offset: 42,
            db: 9,
        };
        p.save(&path).unwrap();
        assert_eq!(Position::load(&path).unwrap(), Some(p));
        std::fs::write(&path, b"{\"replid\":\"x\",\"offset\":1,\"db\":0}").unwrap();
        let err = Position::load(&path).unwrap_err().to_string();
        assert!(err.contains("not 40 alphanumeric"), "{err}");
        std::fs::write(&path, b"nonsense").unwrap();
        let err = Position::load(&path).unwrap_err().to_string();
        assert!(err.contains("is not a resume file"), "{err}");
    }
}
