//! The RDB format: Redis's snapshot files (and DUMP payloads), read and
//! written. Shared by `rdb inspect`, `serve` persistence and DUMP/RESTORE,
//! replication's full resync and `replica tail`.
//!
//! # Reading
//!
//! [`Reader`] is a resumable, non-panicking streaming reader over `&[u8]`:
//! it works the same on an mmap of a whole file and on a buffer that grows
//! as a snapshot arrives. Call [`Reader::next`] with the bytes from
//! [`Reader::position`] on and a flag saying whether more may come; it
//! returns one [`Located`] [`Event`] (header, aux field, SELECTDB,
//! RESIZEDB, key, module aux, function, slot info, slot import, EOF with
//! stored and computed checksums), or [`ErrorKind::NeedMore`] without
//! consuming anything when the event is not complete yet. [`events`]
//! wraps it for a complete image.
//!
//! A key event ([`KeyEntry`]) carries its db, key ([`RdbStr`]: raw, int or
//! LZF, borrowed), expiry, LRU idle time, LFU frequency and a lazy
//! [`Value`]: the value type and its serialized bytes. Containers are
//! decoded only on request: [`Value::len`] (from headers when the
//! encoding has them), [`Value::elements`] (an iterator of [`Element`]s:
//! list items, set members, hash fields with their TTL, sorted-set
//! members with their score), [`Value::stream`] (entries, metadata,
//! consumer groups, PELs) and [`Value::decode`] (all of it, for loading
//! into a keyspace). Every length read from the input is checked against
//! what is left before it is used; errors are [`RdbError`]s with a kind
//! and an absolute byte offset.
//!
//! Versions: Redis RDB 1 to 13 (`REDIS0001`..`REDIS0013`) and Valkey's
//! `VALKEY080`; the magic decides what clashing numbers mean (type 22,
//! opcode 243).
//!
//! # Writing
//!
//! [`Writer`] writes RDB version 10 (loadable by Redis 7.0 and later):
//! aux fields, SELECTDB/RESIZEDB, expiries, and values described by
//! [`ValueRef`] — borrowed strings and exact-size iterators, so any
//! keyspace representation feeds it without copying — then EOF and the
//! CRC-64. [`dump::serialize`] produces a DUMP payload; [`dump::parse`]
//! verifies one (version and CRC-64) and gives back a [`Value`].
//!
//! # Building blocks
//!
//! [`crc64`] (Jones, reflected, as Redis's crc64.c) and [`lzf`]
//! (decompress and compress) stand alone; [`encodings`] walks ziplists,
//! listpacks, intsets and zipmaps in place; [`sanitize`] makes Redis's
//! integrity checks on a value before a server keeps it.

pub mod crc64;
mod cursor;
pub mod dump;
pub mod encodings;
pub mod error;
pub mod filter;
pub mod format;
pub mod lzf;
pub mod memory;
mod quick;
pub mod reader;
pub mod replay;
pub mod sanitize;
pub mod stats;
pub mod value;
pub mod writer;

pub use cursor::Cursor;
pub use encodings::Item;
pub use error::{ErrorKind, RdbError};
pub use format::{Magic, ObjectType, RdbStr, ValueType};
pub use quick::KeySpan;
pub use reader::{Event, Events, KeyEntry, Located, Reader, events};
pub use value::{Decoded, Element, Stream, StreamEntry, StreamId, Value};
pub use writer::{ValueRef, WriteError, Writer};
