//! Frames from capture files: classic pcap (micro- or nanosecond, either
//! byte order) and pcapng (per-interface link types and timestamp
//! resolutions), told apart by their magic number. The container is read
//! by the pcap-file crate; what is inside each frame is [`super::packet`]'s
//! business.

use std::io::{BufRead, Read};

use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};

use super::packet::LinkType;
use super::reassembly::Micros;

/// Why a capture file cannot be read (further).
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error("not a pcap or pcapng file (starts with {0:02x?})")]
    NotCapture(Vec<u8>),
    #[error(
        "unsupported link type {0} (supported: Ethernet, Linux cooked SLL/SLL2, null/loop, raw IP)"
    )]
    UnsupportedLink(u32),
    #[error("malformed capture file after {packets} packets: {message}")]
    Malformed { packets: u64, message: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

enum Format<R: Read> {
    Pcap(PcapReader<R>, LinkType),
    PcapNg(PcapNgReader<R>),
}

/// A capture file being read frame by frame.
pub struct CaptureFile<R: Read> {
    format: Format<R>,
    packets: u64,
}

fn link_type(link: DataLink) -> Result<LinkType, PcapError> {
    let n = u32::from(link);
    LinkType::from_linktype(n).ok_or(PcapError::UnsupportedLink(n))
}

fn micros(d: std::time::Duration) -> Micros {
    d.as_micros().min(u128::from(u64::MAX)) as u64
}

impl<R: BufRead> CaptureFile<R> {
    /// Open a capture, telling pcap from pcapng by the first bytes.
    pub fn open(mut reader: R) -> Result<CaptureFile<R>, PcapError> {
        let head = reader.fill_buf()?;
        let magic: Vec<u8> = head.iter().take(4).copied().collect();
        let format = match magic.as_slice() {
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                Format::PcapNg(PcapNgReader::new(reader).map_err(|e| malformed(0, &e))?)
            }
            [0xa1, 0xb2, 0xc3, 0xd4]
            | [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x4d, 0x3c, 0xb2, 0xa1] => {
                let r = PcapReader::new(reader).map_err(|e| malformed(0, &e))?;
                let link = link_type(r.header().datalink)?;
                Format::Pcap(r, link)
            }
            _ => return Err(PcapError::NotCapture(magic)),
        };
        Ok(CaptureFile { format, packets: 0 })
    }
}

fn malformed(packets: u64, e: &dyn std::error::Error) -> PcapError {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    PcapError::Malformed { packets, message }
}

impl<R: Read> CaptureFile<R> {
    /// Packets read so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Hand the next frame to `f`; false at the end of the file.
    pub fn next(&mut self, f: &mut dyn FnMut(Micros, LinkType, &[u8])) -> Result<bool, PcapError> {
        let packets = self.packets;
        match &mut self.format {
            Format::Pcap(r, link) => {
                let link = *link;
                match r.next_packet() {
                    None => Ok(false),
                    Some(Err(e)) => Err(malformed(packets, &e)),
                    Some(Ok(p)) => {
                        self.packets += 1;
                        f(micros(p.timestamp()), link, p.data());
                        Ok(true)
                    }
                }
            }
            Format::PcapNg(r) => loop {
                let (block, state) = match r.next_block() {
                    None => return Ok(false),
                    Some(Err(e)) => return Err(malformed(packets, &e)),
                    Some(Ok(b)) => b,
                };
                let (ts, interface, data) = match &block {
                    Block::EnhancedPacket(p) => (micros(p.timestamp), p.interface_id, &p.data),
                    // Simple packets have no time and belong to interface 0.
                    Block::SimplePacket(p) => (0, 0, &p.data),
                    _ => continue,
                };
                let Some(idb) = state.interfaces().get(interface as usize) else {
                    return Err(PcapError::Malformed {
                        packets,
                        message: format!("packet of undeclared interface {interface}"),
                    });
                };
                let link = link_type(idb.linktype)?;
                self.packets += 1;
                f(ts, link, data);
                return Ok(true);
            },
        }
    }
}
