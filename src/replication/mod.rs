//! The replica side of Redis replication, shared by `replica tail` and the
//! replica role of `serve`.
//!
//! # The state machine: [`Replica`]
//!
//! [`Replica`] speaks the replica's half of the protocol without doing any
//! I/O, so a blocking socket ([`Link`]), a mio event loop or a test can drive
//! it the same way:
//!
//! ```text
//! let mut replica = Replica::new(config, resume);   // PING is queued
//! loop {
//!     write(replica.pending_output());              // then consume_output(n)
//!     match replica.poll_event(now)? {
//!         Some(event) => handle(event),             // FullResync, Snapshot*, Command, ...
//!         None => replica.receive(&read_some()),    // wait at most until next_timer()
//!     }
//! }
//! ```
//!
//! - [`Replica::receive`] appends bytes from the master;
//!   [`Replica::poll_event`] returns the next [`Event`] or `None` when it
//!   needs more input, and runs timers (the periodic `REPLCONF ACK`) against
//!   the `now` it is given; [`Replica::next_timer`] says when to call it
//!   again without input.
//! - [`Replica::pending_output`] / [`Replica::consume_output`]: the
//!   handshake, PSYNC and ACKs, to be written to the master in order.
//! - [`Replica::position`]: the [`Position`] (replication ID, processed
//!   offset, selected database) a new connection continues from with
//!   `PSYNC <replid> <offset+1>`; pass it to the next `Replica::new`. It
//!   moves only at whole commands, so nothing is lost or repeated across a
//!   partial resynchronization.
//! - Errors ([`ReplError`]): `Auth` (wrong credentials, missing
//!   permissions), `TryLater` (`-LOADING`, `-NOMASTERLINK`: retry with
//!   backoff), `Refused` (any other refusal), `Protocol` (bytes that are not
//!   the replication protocol, with the offset where they went wrong).
//!
//! Events in order for a full resync: `FullResync`, `SnapshotStart`,
//! `SnapshotData`…, `SnapshotEnd`, then `Command`… . For a partial one:
//! `Continue`, then `Command`… . `Warning` may come during the handshake,
//! `Keepalive` (a bare newline from the master) at any point. A [`Command`] carries the offset after it (equal
//! to the master's `master_repl_offset` once it wrote it), its length, its
//! database and its arguments.
//!
//! # Around it
//!
//! - [`snapshot`]: the `$<len>` and `$EOF:<mark>` payload forms and
//!   [`SnapshotSink`]s that discard the payload, save it, or parse it as it
//!   arrives with the RDB engine (keys by database and type, checksum).
//! - [`link`]: the blocking driver; reads only when the machine needs input,
//!   so a slow consumer backpressures the master instead of filling memory.
//! - [`position`]: positions and atomically written resume files.
//! - [`lag`]: a second connection polling the master's offset and our output
//!   buffer; byte and time lag (`replica tail`).
//! - [`filter`]: which commands a tail reports (`replica tail`).
//! - [`atomic_file`]: write-then-rename files.
//!
//! The master side (backlog, serving PSYNC) belongs to `serve`
//! (`server::replication`), whose replica side drives [`Replica`] from its
//! event loop.

pub mod atomic_file;
pub mod filter;
pub mod lag;
pub mod link;
pub mod position;
pub mod replica;
pub mod snapshot;

pub use link::{Link, LinkError};
pub use position::Position;
pub use replica::{AckPolicy, Auth, Command, Config, Event, ReplError, Replica};
pub use snapshot::{SnapshotForm, SnapshotSink};
