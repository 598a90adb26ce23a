//! sonde: socket and storage diagnostics for Redis-protocol systems.
//!
//! The library holds the engines; the `sonde` binary is a thin command line
//! over them. Data flows one way: bytes → codec ([`resp`]) → engine →
//! report struct → [`output`].
//!
//! - [`cli`]: clap definitions of every subcommand (the one source of help,
//!   completions and man pages).
//! - [`cmd`]: one runner per subcommand; exit codes.
//! - [`output`]: tables, JSON, JSON Lines, progress bars, the bytes rule.
//! - [`input`]: files, stdin and hex text.
//! - [`resp`]: the RESP2/RESP3 codec.
//! - [`rdb`]: the RDB snapshot format (reader, writer, DUMP payloads).
//! - [`glob`]: Redis glob patterns (KEYS, SCAN MATCH, --match).
//! - [`hot`]: hot keys, prefixes and clients in bounded memory (sniff, tail).
//! - [`sockopt`]: socket options as the kernel applies them; experiments.
//! - [`ring`]: sharding strategies and their simulation.
//! - [`capture`]: RESP traffic read off the wire or from capture files.
//! - [`replication`]: the replica side of Redis replication (handshake,
//!   PSYNC, snapshot transfer, command feed with offsets, ACKs, lag).
//! - [`connect`]: the client connection layer (redis-cli options, URIs,
//!   TLS through rustls, AUTH) of every command that talks to a server.
//! - [`live`]: live measurements (latency, INFO vitals, biggest keys).
//! - [`server`]: `serve`, the single-threaded Redis-protocol server.
//! - [`stop`]: SIGINT/SIGTERM as a request to finish and report.

pub mod bytes;
pub mod capture;
pub mod cli;
pub mod cmd;
pub mod connect;
#[doc(hidden)]
pub mod fuzzing;
pub mod glob;
pub mod hot;
pub mod input;
pub mod live;
pub mod output;
pub mod rdb;
pub mod replication;
pub mod resp;
pub mod ring;
pub mod server;
pub mod sockopt;
pub mod stop;
