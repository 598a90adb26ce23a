//! The kernel's view of one TCP connection — what `ss -ti` shows — decoded
//! from Linux's `TCP_INFO` or macOS's `TCP_CONNECTION_INFO`.
//!
//! The structures are decoded from raw bytes at their documented offsets,
//! field by field, so that a kernel returning a shorter (older) or longer
//! (newer) structure than sonde knows is read as far as both agree; a field
//! the kernel did not fill is null. Windows has no such socket option here.

use serde::Serialize;
use socket2::Socket;

use super::access::AccessError;

/// One connection's state and counters. Times are microseconds unless the
/// name says otherwise; rates are bytes per second.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TcpInfo {
    pub state: String,
    /// Congestion-avoidance state (Open, Disorder, CWR, Recovery, Loss).
    pub ca_state: Option<&'static str>,
    /// Options negotiated in the handshake.
    pub options: Vec<&'static str>,
    pub snd_wscale: Option<u64>,
    pub rcv_wscale: Option<u64>,
    pub rtt_us: Option<u64>,
    pub rttvar_us: Option<u64>,
    pub min_rtt_us: Option<u64>,
    pub rto_us: Option<u64>,
    pub ato_us: Option<u64>,
    pub snd_mss: Option<u64>,
    pub rcv_mss: Option<u64>,
    pub advmss: Option<u64>,
    pub pmtu: Option<u64>,
    pub snd_cwnd: Option<u64>,
    /// 2147483647 while slow start has not ended.
    pub snd_ssthresh: Option<u64>,
    pub rcv_ssthresh: Option<u64>,
    pub snd_wnd: Option<u64>,
    pub rcv_wnd: Option<u64>,
    pub rcv_space: Option<u64>,
    pub unacked: Option<u64>,
    pub lost: Option<u64>,
    pub retrans: Option<u64>,
    /// Consecutive retransmissions of the current segment.
    pub retransmits: Option<u64>,
    pub total_retrans: Option<u64>,
    pub bytes_sent: Option<u64>,
    pub bytes_acked: Option<u64>,
    pub bytes_received: Option<u64>,
    pub bytes_retrans: Option<u64>,
    pub segs_out: Option<u64>,
    pub segs_in: Option<u64>,
    pub data_segs_out: Option<u64>,
    pub data_segs_in: Option<u64>,
    pub delivery_rate: Option<u64>,
    pub pacing_rate: Option<u64>,
    pub notsent_bytes: Option<u64>,
    pub last_data_sent_ms: Option<u64>,
    pub last_data_recv_ms: Option<u64>,
    pub last_ack_recv_ms: Option<u64>,
}

/// Read the connection info of `sock`.
pub fn read(sock: &Socket) -> Result<TcpInfo, AccessError> {
    imp::read(sock)
}

/// Little helper over a byte buffer: a field is present only if the kernel
/// filled all of its bytes.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn u8(&self, at: usize) -> Option<u64> {
        self.0.get(at).map(|&b| u64::from(b))
    }
    fn u32(&self, at: usize) -> Option<u64> {
        let b = self.0.get(at..at + 4)?;
        Some(u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]])))
    }
    fn u64(&self, at: usize) -> Option<u64> {
        let b = self.0.get(at..at + 8)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        Some(u64::from_ne_bytes(w))
    }
}

/// Linux `struct tcp_info` (include/uapi/linux/tcp.h).
pub fn decode_linux(buf: &[u8]) -> TcpInfo {
    let f = Fields(buf);
    let state = f
        .u8(0)
        .map(|s| linux_state(s).to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let options = f.u8(5).map(linux_options).unwrap_or_default();
    TcpInfo {
        state,
        ca_state: f.u8(1).map(|s| match s {
            0 => "Open",
            1 => "Disorder",
            2 => "CWR",
            3 => "Recovery",
            4 => "Loss",
            _ => "unknown",
        }),
        options,
        snd_wscale: f.u8(6).map(|b| b & 0x0f),
        rcv_wscale: f.u8(6).map(|b| b >> 4),
        retransmits: f.u8(2),
        rto_us: f.u32(8),
        ato_us: f.u32(12),
        snd_mss: f.u32(16),
        rcv_mss: f.u32(20),
        unacked: f.u32(24),
        lost: f.u32(32),
        retrans: f.u32(36),
        last_data_sent_ms: f.u32(44),
        last_data_recv_ms: f.u32(52),
        last_ack_recv_ms: f.u32(56),
        pmtu: f.u32(60),
        rcv_ssthresh: f.u32(64),
        rtt_us: f.u32(68),
        rttvar_us: f.u32(72),
        snd_ssthresh: f.u32(76),
        snd_cwnd: f.u32(80),
        advmss: f.u32(84),
        rcv_space: f.u32(96),
        total_retrans: f.u32(100),
        pacing_rate: f.u64(104),
        bytes_acked: f.u64(120),
        bytes_received: f.u64(128),
        segs_out: f.u32(136),
        segs_in: f.u32(140),
        notsent_bytes: f.u32(144),
        min_rtt_us: f.u32(148),
        data_segs_in: f.u32(152),
        data_segs_out: f.u32(156),
        delivery_rate: f.u64(160),
        bytes_sent: f.u64(200),
        bytes_retrans: f.u64(208),
        snd_wnd: f.u32(228),
        rcv_wnd: f.u32(232),
    }
}

fn linux_state(s: u64) -> &'static str {
    match s {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        12 => "NEW_SYN_RECV",
        _ => "unknown",
    }
}

fn linux_options(bits: u64) -> Vec<&'static str> {
    [
        (1, "timestamps"),
        (2, "sack"),
        (4, "wscale"),
        (8, "ecn"),
        (16, "ecn_seen"),
        (32, "syn_data"),
        (64, "usec_ts"),
    ]
    .into_iter()
    .filter(|(bit, _)| bits & bit != 0)
    .map(|(_, name)| name)
    .collect()
}

/// Darwin `struct tcp_connection_info` (netinet/tcp.h). Its times are
/// milliseconds; they are converted to the microsecond fields.
pub fn decode_macos(buf: &[u8]) -> TcpInfo {
    let f = Fields(buf);
    let ms = |v: Option<u64>| v.map(|m| m * 1000);
    let state = f
        .u8(0)
        .map(|s| {
            match s {
                0 => "CLOSED",
                1 => "LISTEN",
                2 => "SYN_SENT",
                3 => "SYN_RECEIVED",
                4 => "ESTABLISHED",
                5 => "CLOSE_WAIT",
                6 => "FIN_WAIT_1",
                7 => "CLOSING",
                8 => "LAST_ACK",
                9 => "FIN_WAIT_2",
                10 => "TIME_WAIT",
                _ => "unknown",
            }
            .to_owned()
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let options = f
        .u32(4)
        .map(|bits| {
            [(1, "timestamps"), (2, "sack"), (4, "wscale"), (8, "ecn")]
                .into_iter()
                .filter(|(bit, _)| bits & bit != 0)
                .map(|(_, name)| name)
                .collect()
        })
        .unwrap_or_default();
    TcpInfo {
        state,
        options,
        snd_wscale: f.u8(1),
        rcv_wscale: f.u8(2),
        rto_us: ms(f.u32(12)),
        snd_mss: f.u32(16),
        snd_ssthresh: f.u32(20),
        snd_cwnd: f.u32(24),
        snd_wnd: f.u32(28),
        notsent_bytes: f.u32(32),
        rcv_wnd: f.u32(36),
        rtt_us: ms(f.u32(44)),
        rttvar_us: ms(f.u32(48)),
        segs_out: f.u64(56),
        bytes_sent: f.u64(64),
        bytes_retrans: f.u64(72),
        segs_in: f.u64(80),
        bytes_received: f.u64(88),
        total_retrans: f.u64(104),
        ..TcpInfo::default()
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use super::*;
    use crate::sockopt::access::raw;

    pub fn read(sock: &Socket) -> Result<TcpInfo, AccessError> {
        let mut buf = [0u8; 512];
        let n = raw::get_bytes(sock, libc::IPPROTO_TCP, libc::TCP_INFO, &mut buf)?;
        Ok(decode_linux(&buf[..n]))
    }
}

#[cfg(target_vendor = "apple")]
mod imp {
    use super::*;
    use crate::sockopt::access::raw;

    pub fn read(sock: &Socket) -> Result<TcpInfo, AccessError> {
        let mut buf = [0u8; 256];
        let n = raw::get_bytes(sock, libc::IPPROTO_TCP, libc::TCP_CONNECTION_INFO, &mut buf)?;
        Ok(decode_macos(&buf[..n]))
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
mod imp {
    use super::*;

    pub fn read(_: &Socket) -> Result<TcpInfo, AccessError> {
        Err(AccessError::Unsupported(format!(
            "connection info (TCP_INFO) is not available on {}",
            crate::sockopt::sys::host_name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put32(buf: &mut [u8], at: usize, v: u32) {
        buf[at..at + 4].copy_from_slice(&v.to_ne_bytes());
    }

    #[test]
    fn linux_fields_decode_at_their_offsets_and_short_structs_leave_nulls() {
        let mut buf = vec![0u8; 240];
        buf[0] = 1; // ESTABLISHED
        buf[5] = 1 | 2 | 4;
        buf[6] = 0x97; // rcv_wscale 9, snd_wscale 7
        put32(&mut buf, 16, 65483);
        put32(&mut buf, 68, 42);
        put32(&mut buf, 80, 10);
        put32(&mut buf, 156, 7);
        buf[200..208].copy_from_slice(&1234u64.to_ne_bytes());
        let info = decode_linux(&buf);
        assert_eq!(info.state, "ESTABLISHED");
        assert_eq!(info.options, ["timestamps", "sack", "wscale"]);
        assert_eq!((info.snd_wscale, info.rcv_wscale), (Some(7), Some(9)));
        assert_eq!(info.snd_mss, Some(65483));
        assert_eq!(info.rtt_us, Some(42));
        assert_eq!(info.snd_cwnd, Some(10));
        assert_eq!(info.data_segs_out, Some(7));
        assert_eq!(info.bytes_sent, Some(1234));

        // An older kernel's 104-byte structure: later fields are absent.
        let old = decode_linux(&buf[..104]);
        assert_eq!(old.rtt_us, Some(42));
        assert_eq!(old.bytes_sent, None);
        assert_eq!(old.segs_out, None);
        assert_eq!(decode_linux(&[]).state, "unknown");
    }

    #[test]
    fn macos_times_are_converted_to_microseconds() {
        let mut buf = vec![0u8; 112];
        buf[0] = 4;
        put32(&mut buf, 16, 16344);
        put32(&mut buf, 44, 3);
        buf[56..64].copy_from_slice(&99u64.to_ne_bytes());
        let info = decode_macos(&buf);
        assert_eq!(info.state, "ESTABLISHED");
        assert_eq!(info.snd_mss, Some(16344));
        assert_eq!(info.rtt_us, Some(3000));
        assert_eq!(info.segs_out, Some(99));
    }
}
