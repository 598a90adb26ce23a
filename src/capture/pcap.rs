//! Frames from capture files: classic pcap (micro- or nanosecond, either
//! byte order) and pcapng (per-interface link types and timestamp
//! resolutions), told apart by their magic number. The container is read
//! by the pcap-file crate; what is inside each frame is [`super::packet`]'s
//! business.

use std::io::{BufRead, Read, Write};

use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};

use super::packet::LinkType;
use super::reassembly::Micros;

/// Why a capture file cannot be read (further).
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error("not a pcap or pcapng file: {}", what_it_is(.0))]
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
    Pcap(PcapReader<Chunked<R>>, LinkType),
    PcapNg(PcapNgReader<Chunked<R>>),
}

/// Most bytes one read asks for.
const CHUNK: usize = 1 << 20;

/// Reads of at most [`CHUNK`] bytes. The pcap-file readers keep an 8 MB
/// buffer (so that a record of any size fits) and ask to fill all of it at
/// each refill: page after page of fresh memory for the kernel to zero
/// and fault in, a fixed cost of milliseconds for a file of a few
/// megabytes. In chunks, the buffer's first megabyte or so is reused, its
/// other pages are touched only by a record that needs them, and a read
/// this large still bypasses the `BufReader` in front.
struct Chunked<R>(R);

impl<R: Read> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(CHUNK);
        self.0.read(&mut buf[..n])
    }
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
        let magic: Vec<u8> = head.iter().take(16).copied().collect();
        let format = match magic.get(..4).unwrap_or(&magic) {
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                Format::PcapNg(PcapNgReader::new(Chunked(reader)).map_err(|e| malformed(0, &e))?)
            }
            [0xa1, 0xb2, 0xc3, 0xd4]
            | [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x4d, 0x3c, 0xb2, 0xa1] => {
                let r = PcapReader::new(Chunked(reader)).map_err(|e| malformed(0, &e))?;
                let link = link_type(r.header().datalink)?;
                Format::Pcap(r, link)
            }
            _ => return Err(PcapError::NotCapture(magic)),
        };
        Ok(CaptureFile { format, packets: 0 })
    }
}

/// Words for what a file that is not a capture seems to be, from its
/// first bytes.
fn what_it_is(head: &[u8]) -> String {
    let shown = format!("{head:02x?}");
    let kind = if head.is_empty() {
        "it is empty".to_owned()
    } else if head.starts_with(b"REDIS") {
        "it is a Redis RDB snapshot (read it with `sonde rdb inspect`)".to_owned()
    } else if head.starts_with(&[0x1f, 0x8b]) {
        "it is gzip-compressed (decompress it first)".to_owned()
    } else if head.starts_with(b"*") || head.starts_with(b"+") || head.starts_with(b"$") {
        "it looks like raw RESP (decode it with `sonde resp decode`)".to_owned()
    } else if head
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "it looks like text".to_owned()
    } else {
        "its first bytes are no pcap (a1b2c3d4, a1b23c4d either byte order) or pcapng (0a0d0d0a) magic number".to_owned()
    };
    format!("{kind}; starts with {shown}")
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

impl LinkType {
    /// The pcap LINKTYPE number frames of this type are written with.
    pub fn linktype(self) -> u32 {
        match self {
            LinkType::Ethernet => 1,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Null => 0,
            LinkType::Loop => 108,
            LinkType::RawIp => 101,
        }
    }
}

/// A classic pcap file being written (`--write`): microsecond timestamps,
/// this machine's byte order, the link type of the first frame. A frame of
/// another link type (a pcapng input mixing interfaces) is left out and
/// counted.
pub struct PcapOut<W: Write> {
    out: W,
    link: Option<LinkType>,
    pub written: u64,
    pub skipped: u64,
}

impl<W: Write> PcapOut<W> {
    pub fn new(out: W) -> PcapOut<W> {
        PcapOut {
            out,
            link: None,
            written: 0,
            skipped: 0,
        }
    }

    /// Append one frame captured at `ts` (Unix microseconds).
    pub fn frame(&mut self, ts: Micros, link: LinkType, frame: &[u8]) -> std::io::Result<()> {
        match self.link {
            None => {
                self.link = Some(link);
                let mut h = Vec::with_capacity(24);
                h.extend_from_slice(&0xa1b2_c3d4u32.to_ne_bytes());
                h.extend_from_slice(&2u16.to_ne_bytes());
                h.extend_from_slice(&4u16.to_ne_bytes());
                h.extend_from_slice(&0i32.to_ne_bytes());
                h.extend_from_slice(&0u32.to_ne_bytes());
                h.extend_from_slice(&super::bpf::SNAPLEN.to_ne_bytes());
                h.extend_from_slice(&link.linktype().to_ne_bytes());
                self.out.write_all(&h)?;
            }
            Some(l) if l != link => {
                self.skipped += 1;
                return Ok(());
            }
            Some(_) => {}
        }
        let len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        let mut h = [0u8; 16];
        h[..4].copy_from_slice(&((ts / 1_000_000) as u32).to_ne_bytes());
        h[4..8].copy_from_slice(&((ts % 1_000_000) as u32).to_ne_bytes());
        h[8..12].copy_from_slice(&len.to_ne_bytes());
        h[12..].copy_from_slice(&len.to_ne_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(&frame[..len as usize])?;
        self.written += 1;
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
