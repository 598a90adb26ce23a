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
//! - [`server`]: `serve`, the single-threaded Redis-protocol server.

pub mod cli;
pub mod cmd;
pub mod input;
pub mod output;
pub mod resp;
pub mod server;
