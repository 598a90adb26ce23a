//! The RESP2/RESP3 codec shared by `serve`, `replica tail`, `resp decode`
//! and `resp sniff`.
//!
//! - [`frame`]: the value model, [`Frame`].
//! - [`decode`]: incremental `check` (is a whole frame here, how long is it)
//!   and zero-copy `parse`, bounded by [`Limits`].
//! - [`encode`]: frames and reply pieces to bytes.
//! - [`request`]: client requests as a Redis server frames them (multibulk
//!   and inline), with Redis's protocol-error texts.
//! - [`number`]: Redis's integer text grammar.
//! - [`reader`]: frames from an `io::Read` with stream offsets.
//! - [`stats`]: counts of a frame stream by type and command.

pub mod decode;
pub mod encode;
pub mod frame;
pub mod number;
pub mod reader;
pub mod request;
pub mod stats;

pub use decode::{DecodeError, Decoder, Limits, Problem, check, parse};
pub use encode::{encode, to_bytes};
pub use frame::{Frame, FrameKind};

#[cfg(test)]
mod tests;
