//! Replication state kept on a client: a replica connection's
//! [`Downstream`] (what REPLCONF said, where its transfer stands, its last
//! ACK) and a client blocked in [`Wait`]. Data only: the master and
//! replica sides are [`crate::server::replication`]'s.

use std::fs::File;
use std::time::Instant;

use super::super::clock::unix_ms;

/// Where a replica connection stands.
pub enum DownState {
    /// REPLCONF seen, no SYNC/PSYNC yet: still an ordinary client.
    Handshake,
    /// Waiting for a snapshot child to start.
    WaitStart,
    /// `+FULLRESYNC` sent; the child is writing the snapshot: to the dump
    /// file, or (with the `$EOF:` mark that ends it) straight to the socket.
    WaitEnd { mark: Option<String> },
    /// Sending the snapshot file; `left` bytes to go.
    SendBulk { file: File, left: u64 },
    /// A diskless snapshot was sent: the stream starts at the replica's
    /// first ACK (it loaded the snapshot by then).
    WaitAck,
    /// Receiving the command stream.
    Online,
}

/// The master's view of one replica connection.
pub struct Downstream {
    pub state: DownState,
    /// REPLCONF listening-port (INFO and ROLE show it).
    pub listening_port: u16,
    /// REPLCONF ip-address, else the peer address.
    pub announced_ip: Option<String>,
    pub capa_eof: bool,
    pub capa_psync2: bool,
    /// Attached with SYNC, not PSYNC: its snapshot comes without a
    /// `+FULLRESYNC` line.
    pub old_sync: bool,
    /// REPLCONF rdb-only 1: only a snapshot, no command stream.
    pub rdb_only: bool,
    /// REPLCONF rdb-filter-only: the snapshot without the keys, or
    /// without the function libraries too.
    pub exclude_data: bool,
    pub exclude_functions: bool,
    /// Offset of the last REPLCONF ACK.
    pub ack_offset: u64,
    /// Unix seconds of the last REPLCONF ACK (INFO lag).
    pub ack_unix: i64,
    /// A diskless transfer's output left to write when last looked at,
    /// and since when (Unix seconds) it has not changed.
    pub pending_seen: usize,
    pub pending_since: i64,
}

impl Downstream {
    pub fn new() -> Downstream {
        Downstream {
            state: DownState::Handshake,
            listening_port: 0,
            announced_ip: None,
            capa_eof: false,
            capa_psync2: false,
            old_sync: false,
            rdb_only: false,
            exclude_data: false,
            exclude_functions: false,
            ack_offset: 0,
            ack_unix: unix_ms() / 1000,
            pending_seen: 0,
            pending_since: unix_ms() / 1000,
        }
    }

    /// Attached as a replica (past SYNC/PSYNC).
    pub fn attached(&self) -> bool {
        !matches!(self.state, DownState::Handshake)
    }

    /// Redis's replstateToString (empty: not listed).
    pub fn state_name(&self) -> &'static str {
        match self.state {
            DownState::Handshake => "",
            DownState::WaitStart | DownState::WaitEnd { .. } => "wait_bgsave",
            DownState::SendBulk { .. } => "send_bulk",
            DownState::WaitAck | DownState::Online => "online",
        }
    }
}

impl Default for Downstream {
    fn default() -> Downstream {
        Downstream::new()
    }
}

/// A client blocked in WAIT.
#[derive(Clone, Copy, Debug)]
pub struct Wait {
    /// The offset replicas must acknowledge.
    pub offset: u64,
    pub replicas: usize,
    pub deadline: Option<Instant>,
}
