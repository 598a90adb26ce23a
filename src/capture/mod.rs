//! Watching RESP traffic on the wire: packets from a live interface or a
//! capture file, TCP put back in order, RESP framed, requests paired with
//! replies, statistics kept. Data flows one way through these modules:
//!
//! - [`live`]: frames from a network interface (a TPACKET_V3 ring mapped
//!   from an AF_PACKET socket we open, filter and read kernel drop counts
//!   of); [`bpf`] builds the kernel filter it attaches, [`filter`] parses
//!   `--filter` expressions for it and for capture files.
//! - [`pcap`]: frames from pcap and pcapng files; [`detect`] finds the
//!   RESP servers in one when no port was given.
//! - [`packet`]: a frame down to its TCP segment.
//! - [`sniffer`]: which segments belong to the watched server, the table
//!   of connections, totals.
//! - [`connection`]: one connection's two directions and lifecycle.
//! - [`reassembly`]: one direction's segments back into a byte stream.
//! - [`framing`]: a byte stream into RESP frames, resynchronising after
//!   gaps.
//! - [`pairing`]: requests matched with replies.
//! - [`stats`]: counts, percentiles, top lists.

pub mod bpf;
pub mod connection;
pub mod detect;
pub mod filter;
pub mod framing;
pub mod live;
pub mod packet;
pub mod pairing;
pub mod pcap;
pub mod reassembly;
pub mod sniffer;
pub mod stats;

pub use connection::{Event, EventRef, EventSink, Trouble};
pub use pairing::{Command, CommandEvent, Outcome};
pub use reassembly::Micros;
pub use sniffer::{Sniffer, SnifferConfig, Totals};
