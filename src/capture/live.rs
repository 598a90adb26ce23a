//! Live capture from a network interface with pnet's datalink channel.
//!
//! pnet opens its AF_PACKET socket privately, but its Linux backend accepts
//! a socket we opened (`Config::socket_fd`). So we open the socket
//! ourselves and keep its descriptor, which lets us do what pnet does not:
//! attach the kernel filter ([`super::bpf`]), enlarge the receive buffer
//! (bursts are absorbed by the kernel instead of dropped), read the
//! kernel's drop counters (`PACKET_STATISTICS`), and ask the kernel when
//! the packet just read arrived (`SIOCGSTAMPNS`), so latencies do not
//! depend on how quickly we read. pnet does the reading.
//!
//! Opening an AF_PACKET socket needs CAP_NET_RAW; without it the error
//! says so and how to get it.

use std::io;
use std::net::{IpAddr, UdpSocket};
use std::time::Duration;

use pnet_datalink::{self as datalink, Channel, DataLinkReceiver, NetworkInterface};

use super::bpf::{self, Framing, SNAPLEN};
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
    rx: Box<dyn DataLinkReceiver>,
    fd: libc::c_int,
    link: LinkType,
    stats: KernelStats,
    pub interface: String,
}

/// ARPHRD values (linux/if_arp.h) we can read.
const ARPHRD_ETHER: u32 = 1;
const ARPHRD_LOOPBACK: u32 = 772;
const ARPHRD_NONE: u32 = 65534;

/// SIOCGSTAMPNS (asm-generic/sockios.h): the time the last packet read
/// from the socket arrived, as a timespec. The libc crate does not export
/// it.
const SIOCGSTAMPNS: libc::c_ulong = 0x8907;

/// After the queue ran dry and a packet arrived, wait this long before
/// reading, so that packets are read in batches rather than one wakeup
/// each. Timestamps come from the kernel, so the wait does not change any
/// latency reported; it only delays output by as much.
const BATCH_DELAY: Duration = Duration::from_millis(1);

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
    pub fn open(interface: &str, ports: &[u16], buffer: usize) -> Result<LiveCapture, LiveError> {
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
        let program = bpf::program(framing, arphrd == ARPHRD_LOOPBACK, ports).map_err(|e| {
            LiveError::Filter(format!("cannot filter on {} ports: {e}", ports.len()))
        })?;

        let protocol = (libc::ETH_P_ALL as u16).to_be() as libc::c_int;
        // SAFETY: plain socket creation; the descriptor is checked.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                protocol,
            )
        };
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
        // From here until pnet owns the descriptor, close it on error.
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
        let size = libc::c_int::try_from(buffer).unwrap_or(libc::c_int::MAX);
        // FORCE needs CAP_NET_ADMIN and ignores net.core.rmem_max; the plain
        // option is capped by it.
        if !setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &size) {
            setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &size);
        }

        let config = datalink::Config {
            read_buffer_size: SNAPLEN as usize,
            // Reads never block: `wait` does, for the whole batch.
            read_timeout: Some(Duration::ZERO),
            promiscuous: false,
            socket_fd: Some(fd),
            ..Default::default()
        };
        let rx = match datalink::channel(iface, config) {
            // pnet closes the descriptor when bind fails, and owns it after.
            Ok(Channel::Ethernet(_tx, rx)) => rx,
            Ok(_) => {
                return Err(LiveError::Io {
                    context: "unexpected datalink channel type",
                    source: io::Error::other("not an Ethernet channel"),
                });
            }
            Err(source) => {
                return Err(LiveError::Io {
                    context: "cannot bind the packet socket to the interface",
                    source,
                });
            }
        };
        let mut capture = LiveCapture {
            rx,
            fd,
            link,
            stats: KernelStats::default(),
            interface: interface.to_owned(),
        };
        // The first SIOCGSTAMPNS switches kernel timestamps on; packets
        // before it would get the time of the read.
        let _ = arrival(fd);
        capture.discard_queued();
        Ok(capture)
    }

    /// Packets queued before the socket was bound to the interface may come
    /// from any interface: read them away, and reset the counters.
    fn discard_queued(&mut self) {
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: reading into a local buffer of the stated length.
            let n = unsafe {
                libc::recv(
                    self.fd,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT | libc::MSG_TRUNC,
                )
            };
            if n < 0 {
                break;
            }
        }
        let _ = self.read_stats();
        self.stats = KernelStats::default();
    }

    /// How frames from this capture begin.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Block until a packet is queued or `timeout` passes (or a signal
    /// arrives); true when packets are waiting.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one pollfd, as stated.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) } > 0;
        if ready {
            std::thread::sleep(BATCH_DELAY);
        }
        ready
    }

    /// The next queued frame and its arrival time; `None` when none is
    /// queued (or a signal interrupted the read).
    pub fn next_frame(&mut self) -> io::Result<Option<(Micros, &[u8])>> {
        let fd = self.fd;
        match self.rx.next() {
            Ok(frame) => {
                let ts = arrival(fd);
                Ok(Some((ts, frame)))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The kernel's counts so far (reading them resets the kernel's
    /// counters, so they are accumulated here).
    pub fn kernel_stats(&mut self) -> KernelStats {
        let _ = self.read_stats();
        self.stats
    }

    fn read_stats(&mut self) -> io::Result<()> {
        let mut st = libc::tpacket_stats {
            tp_packets: 0,
            tp_drops: 0,
        };
        let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: the kernel writes at most `len` bytes into `st`.
        let rc = unsafe {
            libc::getsockopt(
                self.fd,
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats).cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        self.stats.received += u64::from(st.tp_packets);
        self.stats.dropped += u64::from(st.tp_drops);
        Ok(())
    }
}

/// When the kernel received the packet last read from `fd`; the current
/// time if it cannot say.
fn arrival(fd: libc::c_int) -> Micros {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: SIOCGSTAMPNS writes one timespec.
    let rc = unsafe { libc::ioctl(fd, SIOCGSTAMPNS as _, &mut ts as *mut libc::timespec) };
    if rc == 0 && ts.tv_sec > 0 {
        ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
    } else {
        now_micros()
    }
}

/// The wall clock in microseconds since the Unix epoch.
pub fn now_micros() -> Micros {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
