//! Typed errors of the RDB engine. Every error carries the absolute byte
//! offset in the file (or DUMP payload) where reading failed, and a kind
//! with a stable snake_case name for JSON reports.

use super::lzf::LzfError;

/// What went wrong, without where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The input ends inside an item, and more may still arrive (only from
    /// [`super::Reader`] when the input is not marked final).
    #[error("need more input: at least {needed} more bytes")]
    NeedMore { needed: u64 },
    #[error("unexpected end of input while reading {what}")]
    UnexpectedEof { what: &'static str },
    #[error("bad magic: the file does not start with REDIS or VALKEY and a version number")]
    BadMagic,
    #[error("unsupported RDB version {0}")]
    UnsupportedVersion(u32),
    #[error("checksum mismatch: stored {stored:#018x}, computed {computed:#018x}")]
    ChecksumMismatch { stored: u64, computed: u64 },
    #[error("{what} declares {length} bytes but only {available} are left")]
    LengthExceedsInput {
        what: &'static str,
        length: u64,
        available: u64,
    },
    #[error("invalid encoding: {0}")]
    InvalidEncoding(String),
    /// A value that fails the integrity checks Redis makes before keeping
    /// it (see [`super::sanitize`]), with the reason Redis logs.
    #[error("{0}")]
    Integrity(String),
    #[error("unknown value type or opcode {0}")]
    UnknownType(u8),
    #[error(
        "key {key:?} holds a value of module type 6 (Redis 4.0 release candidates), which cannot be \
         skipped without the module that wrote it"
    )]
    ModuleNotSkippable { key: String },
    #[error("{0}")]
    Lzf(#[from] LzfError),
}

impl ErrorKind {
    /// The stable name used in JSON reports.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::NeedMore { .. } => "need_more_input",
            ErrorKind::UnexpectedEof { .. } => "unexpected_eof",
            ErrorKind::BadMagic => "bad_magic",
            ErrorKind::UnsupportedVersion(_) => "unsupported_version",
            ErrorKind::ChecksumMismatch { .. } => "checksum_mismatch",
            ErrorKind::LengthExceedsInput { .. } => "length_exceeds_input",
            ErrorKind::InvalidEncoding(_) => "invalid_encoding",
            ErrorKind::Integrity(_) => "integrity_check_failed",
            ErrorKind::UnknownType(_) => "unknown_type",
            ErrorKind::ModuleNotSkippable { .. } => "module_not_skippable",
            ErrorKind::Lzf(_) => "invalid_lzf",
        }
    }
}

/// An error and the absolute byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {offset})")]
pub struct RdbError {
    /// Boxed so that `Result<T, RdbError>` stays two words bigger than `T`:
    /// the cursor's hot paths return such results millions of times per file.
    pub kind: Box<ErrorKind>,
    pub offset: u64,
}

impl RdbError {
    pub fn new(kind: ErrorKind, offset: u64) -> RdbError {
        RdbError {
            kind: Box::new(kind),
            offset,
        }
    }

    pub fn invalid(offset: u64, message: impl Into<String>) -> RdbError {
        RdbError::new(ErrorKind::InvalidEncoding(message.into()), offset)
    }

    /// True when the input merely stopped early and more bytes may fix it.
    pub fn is_need_more(&self) -> bool {
        matches!(*self.kind, ErrorKind::NeedMore { .. })
    }
}

pub type Result<T> = std::result::Result<T, RdbError>;
