//! Live capture from a network interface through a PACKET_MMAP ring
//! (TPACKET_V3), the way libpcap captures for tcpdump.
//!
//! We open the AF_PACKET socket ourselves, attach the kernel filter
//! ([`super::bpf`]) so packets the sniffer does not need never reach user
//! space, and map a ring of blocks shared with the kernel. The kernel
//! fills a block with packets (each with its arrival time) and hands it
//! over when it is full or a short timeout passed; we read the packets in
//! place and give the block back. So a busy capture costs no system call
//! per packet (one `poll` per block at most) and no copy into our memory.
//! The kernel's counters (`PACKET_STATISTICS`) say how many packets passed
//! the filter and how many were dropped because the ring was full.
//!
//! Opening an AF_PACKET socket needs CAP_NET_RAW; without it the error
//! says so and how to get it.

use std::io;
use std::net::{IpAddr, UdpSocket};
use std::time::Duration;

use std::sync::atomic::{AtomicU32, Ordering};

use pnet_datalink::{self as datalink, NetworkInterface};

use super::bpf::{self, Framing};
use super::filter::Expr;
use super::packet::LinkType;
use super::reassembly::Micros;

/// Why live capture cannot start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(
        "live capture needs the CAP_NET_RAW capability: run as root, or grant it with \
         `sudo setcap cap_net_raw+ep \"$(command -v sonde)\"`; or read a capture file with --pcap"
    )]
    NoPermission,
    #[error("no network interface named {name:?} (have: {available})")]
    NoSuchInterface { name: String, available: String },
    #[error(
        "interface {name} has link type {arphrd}, which is not supported (Ethernet, loopback and raw IP are)"
    )]
    UnsupportedLink { name: String, arphrd: u32 },
    #[error("no local interface routes to {0}")]
    NoRoute(IpAddr),
    #[error("{context}: {source}")]
    Io {
        context: &'static str,
        source: io::Error,
    },
    #[error("{0}")]
    Filter(String),
}

fn os_error(context: &'static str) -> LiveError {
    LiveError::Io {
        context,
        source: io::Error::last_os_error(),
    }
}

/// Kernel counts since the capture started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Packets that passed the filter (queued or dropped).
    pub received: u64,
    /// Packets dropped for lack of receive-buffer room.
    pub dropped: u64,
}

/// An open live capture.
pub struct LiveCapture {
    fd: libc::c_int,
    ring: Ring,
    link: LinkType,
    stats: KernelStats,
    pub interface: String,
}

impl Drop for LiveCapture {
    fn drop(&mut self) {
        // SAFETY: the mapping and the descriptor are ours; nothing borrows
        // from the ring past `&mut self`.
        unsafe {
            libc::munmap(
                self.ring.map.cast(),
                self.ring.block_size * self.ring.blocks,
            );
            libc::close(self.fd);
        }
    }
}

/// The mapped ring: `blocks` blocks of `block_size` bytes. Each block
/// starts with a `tpacket_block_desc` whose status word says who owns it.
struct Ring {
    map: *mut u8,
    block_size: usize,
    blocks: usize,
    /// The block being read (or waited for).
    current: usize,
    /// Inside the current block: packets left and the next one's offset.
    /// `None`: the current block is not ours yet.
    reading: Option<(u32, usize)>,
}

/// Bytes per ring block: larger than any packet (loopback's 64 KiB MTU
/// included). A block is handed over when full or after
/// [`BLOCK_TIMEOUT_MS`], so on a quiet link most blocks go out nearly
/// empty: more, smaller blocks keep more time in the ring.
const BLOCK_SIZE: usize = 256 << 10;
/// `tp_frame_size`: TPACKET_V3 ignores frames but checks the arithmetic.
const FRAME_SIZE: usize = 2048;
/// A block not yet full is handed over after this many milliseconds.
const BLOCK_TIMEOUT_MS: u32 = 50;

/// Offsets in `struct tpacket_block_desc` (linux/if_packet.h).
const BLOCK_STATUS: usize = 8;
const BLOCK_NUM_PKTS: usize = 12;
const BLOCK_FIRST_PKT: usize = 16;
/// Offsets in `struct tpacket3_hdr`.
const PKT_NEXT: usize = 0;
const PKT_SEC: usize = 4;
const PKT_NSEC: usize = 8;
const PKT_SNAPLEN: usize = 12;
const PKT_MAC: usize = 24;

const TP_STATUS_KERNEL: u32 = 0;
const TP_STATUS_USER: u32 = 1;
const TPACKET_V3: libc::c_int = 2;
const PACKET_RX_RING: libc::c_int = 5;
const PACKET_VERSION: libc::c_int = 10;

/// `struct tpacket_req3`.
#[repr(C)]
struct Req3 {
    block_size: libc::c_uint,
    block_nr: libc::c_uint,
    frame_size: libc::c_uint,
    frame_nr: libc::c_uint,
    retire_blk_tov: libc::c_uint,
    sizeof_priv: libc::c_uint,
    feature_req_word: libc::c_uint,
}

impl Ring {
    fn status(&self, block: usize) -> &AtomicU32 {
        // SAFETY: the status word is inside the mapping, 4-aligned (blocks
        // are page-aligned), and shared with the kernel, hence atomic.
        unsafe {
            &*self
                .map
                .add(block * self.block_size + BLOCK_STATUS)
                .cast::<AtomicU32>()
        }
    }

    fn u32_at(&self, offset: usize) -> u32 {
        // SAFETY: callers pass offsets inside a block we own (status USER),
        // which the kernel does not write until we hand it back.
        unsafe { self.map.add(offset).cast::<u32>().read_unaligned() }
    }

    /// The next packet: its arrival time and bytes; `None` when the kernel
    /// has handed over nothing more.
    fn next(&mut self) -> Option<(Micros, &[u8])> {
        loop {
            match self.reading {
                Some((0, _)) => {
                    // Done with this block: give it back, move on.
                    self.status(self.current)
                        .store(TP_STATUS_KERNEL, Ordering::Release);
                    self.current = (self.current + 1) % self.blocks;
                    self.reading = None;
                }
                Some((left, offset)) => {
                    let base = self.current * self.block_size;
                    let at = base + offset;
                    let next = self.u32_at(at + PKT_NEXT) as usize;
                    let sec = u64::from(self.u32_at(at + PKT_SEC));
                    let nsec = u64::from(self.u32_at(at + PKT_NSEC));
                    let snaplen = self.u32_at(at + PKT_SNAPLEN) as usize;
                    // SAFETY: as u32_at.
                    let mac = usize::from(unsafe {
                        self.map.add(at + PKT_MAC).cast::<u16>().read_unaligned()
                    });
                    self.reading = Some((left - 1, offset + next));
                    let start = offset + mac;
                    if next == 0 && left > 1 || start + snaplen > self.block_size {
                        // A descriptor we do not understand: skip the block.
                        self.reading = Some((0, 0));
                        continue;
                    }
                    // SAFETY: inside the block, checked just above.
                    let frame =
                        unsafe { std::slice::from_raw_parts(self.map.add(base + start), snaplen) };
                    return Some((sec * 1_000_000 + nsec / 1000, frame));
                }
                None => {
                    if self.status(self.current).load(Ordering::Acquire) & TP_STATUS_USER == 0 {
                        return None;
                    }
                    let base = self.current * self.block_size;
                    let n = self.u32_at(base + BLOCK_NUM_PKTS);
                    let first = self.u32_at(base + BLOCK_FIRST_PKT) as usize;
                    self.reading = Some((n, first));
                }
            }
        }
    }
}

/// ARPHRD values (linux/if_arp.h) we can read.
const ARPHRD_ETHER: u32 = 1;
const ARPHRD_LOOPBACK: u32 = 772;
const ARPHRD_NONE: u32 = 65534;

/// The interface that reaches `host`: the loopback device for local
/// addresses, else the one owning the source address the kernel would use.
pub fn interface_for(host: Option<IpAddr>) -> Result<String, LiveError> {
    let interfaces = datalink::interfaces();
    let loopback = || {
        interfaces
            .iter()
            .find(|i| i.is_loopback())
            .map(|i| i.name.clone())
            .unwrap_or_else(|| "lo".to_owned())
    };
    let Some(host) = host else {
        return Ok(loopback());
    };
    let owns = |ip: IpAddr| {
        interfaces
            .iter()
            .find(|i| i.ips.iter().any(|n| n.ip() == ip))
    };
    if host.is_loopback() || owns(host).is_some() {
        // Traffic to this machine's own addresses goes through loopback.
        return Ok(loopback());
    }
    // Connecting a UDP socket sends nothing; it asks the routing table.
    let bind: IpAddr = if host.is_ipv4() {
        IpAddr::from([0, 0, 0, 0])
    } else {
        IpAddr::from([0u16; 8])
    };
    let local = UdpSocket::bind((bind, 0))
        .and_then(|s| s.connect((host, 9)).map(|_| s))
        .and_then(|s| s.local_addr())
        .map_err(|_| LiveError::NoRoute(host))?;
    owns(local.ip())
        .map(|i| i.name.clone())
        .ok_or(LiveError::NoRoute(host))
}

fn arphrd(iface: &NetworkInterface) -> u32 {
    std::fs::read_to_string(format!("/sys/class/net/{}/type", iface.name))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(if iface.is_loopback() {
            ARPHRD_LOOPBACK
        } else {
            ARPHRD_ETHER
        })
}

fn setsockopt<T>(fd: libc::c_int, level: libc::c_int, name: libc::c_int, value: &T) -> bool {
    // SAFETY: `value` points to a live T of the size passed.
    unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        ) == 0
    }
}

impl LiveCapture {
    /// Open `interface` for TCP traffic on `ports`, with a kernel receive
    /// buffer of `buffer` bytes.
    /// `filter` (`--filter`) narrows what the kernel passes further.
    pub fn open(
        interface: &str,
        ports: &[u16],
        filter: Option<&Expr>,
        buffer: usize,
    ) -> Result<LiveCapture, LiveError> {
        let interfaces = datalink::interfaces();
        let Some(iface) = interfaces.iter().find(|i| i.name == interface) else {
            let available: Vec<&str> = interfaces.iter().map(|i| i.name.as_str()).collect();
            return Err(LiveError::NoSuchInterface {
                name: interface.to_owned(),
                available: available.join(", "),
            });
        };
        let arphrd = arphrd(iface);
        let (framing, link) = match arphrd {
            ARPHRD_ETHER | ARPHRD_LOOPBACK => (Framing::Ethernet, LinkType::Ethernet),
            ARPHRD_NONE => (Framing::RawIp, LinkType::RawIp),
            _ => {
                return Err(LiveError::UnsupportedLink {
                    name: interface.to_owned(),
                    arphrd,
                });
            }
        };
        let program = bpf::program_with(framing, arphrd == ARPHRD_LOOPBACK, ports, filter)
            .map_err(|e| {
                LiveError::Filter(format!(
                    "cannot compile a kernel filter for {} ports and --filter: {e}",
                    ports.len()
                ))
            })?;

        // Protocol 0: the socket receives nothing until it is bound below,
        // after the filter and the ring are in place.
        // SAFETY: plain socket creation; the descriptor is checked.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            let err = io::Error::last_os_error();
            return Err(match err.raw_os_error() {
                Some(libc::EPERM) | Some(libc::EACCES) => LiveError::NoPermission,
                _ => LiveError::Io {
                    context: "cannot open a packet socket",
                    source: err,
                },
            });
        }
        // Until the capture owns the descriptor, close it on error.
        let fail = |e: LiveError| {
            // SAFETY: fd is ours and not shared yet.
            unsafe { libc::close(fd) };
            e
        };
        let filters: Vec<libc::sock_filter> = program
            .iter()
            .map(|i| libc::sock_filter {
                code: i.code,
                jt: i.jt,
                jf: i.jf,
                k: i.k,
            })
            .collect();
        let fprog = libc::sock_fprog {
            len: filters.len() as u16,
            filter: filters.as_ptr() as *mut libc::sock_filter,
        };
        if !setsockopt(fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog) {
            return Err(fail(os_error("cannot attach the packet filter")));
        }
        if !setsockopt(fd, libc::SOL_PACKET, PACKET_VERSION, &TPACKET_V3) {
            return Err(fail(os_error("cannot select TPACKET_V3")));
        }
        let blocks = (buffer / BLOCK_SIZE).clamp(2, 1 << 16);
        let req = Req3 {
            block_size: BLOCK_SIZE as u32,
            block_nr: blocks as u32,
            frame_size: FRAME_SIZE as u32,
            frame_nr: (BLOCK_SIZE / FRAME_SIZE * blocks) as u32,
            retire_blk_tov: BLOCK_TIMEOUT_MS,
            sizeof_priv: 0,
            feature_req_word: 0,
        };
        if !setsockopt(fd, libc::SOL_PACKET, PACKET_RX_RING, &req) {
            return Err(fail(os_error("cannot set up the packet ring")));
        }
        // SAFETY: mapping the ring the kernel just allocated for fd.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                BLOCK_SIZE * blocks,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(fail(os_error("cannot map the packet ring")));
        }
        let capture = LiveCapture {
            fd,
            ring: Ring {
                map: map.cast(),
                block_size: BLOCK_SIZE,
                blocks,
                current: 0,
                reading: None,
            },
            link,
            stats: KernelStats::default(),
            interface: interface.to_owned(),
        };
        // From here on, dropping `capture` unmaps and closes.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = iface.index as i32;
        // SAFETY: binding to a sockaddr_ll of the size passed.
        let rc = unsafe {
            libc::bind(
                fd,
                (&addr as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(os_error("cannot bind the packet socket to the interface"));
        }
        let mut capture = capture;
        // Counts start now.
        let _ = capture.read_stats();
        capture.stats = KernelStats::default();
        Ok(capture)
    }

    /// How frames from this capture begin.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Block until the kernel hands over a block or `timeout` passes (or
    /// a signal arrives); true when packets are waiting.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.fd,
            events: libc::POLLIN | libc::POLLERR,
            revents: 0,
        };
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one pollfd, as stated.
        unsafe { libc::poll(&mut pfd, 1, ms) > 0 }
    }

    /// The next captured frame and its arrival time; `None` when the
    /// kernel has handed over nothing more yet.
    pub fn next_frame(&mut self) -> io::Result<Option<(Micros, &[u8])>> {
        Ok(self.ring.next())
    }

    /// The kernel's counts so far (reading them resets the kernel's
    /// counters, so they are accumulated here).
    pub fn kernel_stats(&mut self) -> KernelStats {
        let _ = self.read_stats();
        self.stats
    }

    fn read_stats(&mut self) -> io::Result<()> {
        // struct tpacket_stats_v3: packets, drops, freeze_q_cnt.
        let mut st = [0u32; 3];
        let mut len = std::mem::size_of_val(&st) as libc::socklen_t;
        // SAFETY: the kernel writes at most `len` bytes into `st`.
        let rc = unsafe {
            libc::getsockopt(
                self.fd,
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                st.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        self.stats.received += u64::from(st[0]);
        self.stats.dropped += u64::from(st[1]);
        Ok(())
    }
}

/// The wall clock in microseconds since the Unix epoch.
pub fn now_micros() -> Micros {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
