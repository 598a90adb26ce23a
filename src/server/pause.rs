//! CLIENT PAUSE: holding clients' commands while a failover (or an
//! operator) needs the dataset to stand still, as Redis 7.0.
//!
//! `CLIENT PAUSE <ms> [WRITE|ALL]` pauses until a deadline: under `ALL`
//! every command of a normal client is held; under `WRITE` only those that
//! may change the dataset or the replication stream (write and
//! may-replicate commands, and an EXEC whose queue holds one). A held
//! client is blocked (INFO blocked_clients, the `b` flag) with its request
//! left unexecuted in its query buffer; when the pause ends (CLIENT
//! UNPAUSE, its deadline, or a less restrictive pause) every held client is
//! released and its input runs again, possibly to be held again. Replicas
//! are never held and keep receiving the stream. While paused the dataset
//! is static: expired keys read as missing but are not deleted, and
//! neither the active expiry cycle nor eviction runs. A pause started
//! inside MULTI applies after EXEC. A second pause extends the deadline to
//! the later one and keeps the more restrictive mode.

use std::time::{Duration, Instant};

use super::Server;
use super::command::flags;
use super::connection::Client;

/// The pause modes, least restrictive first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Mode {
    #[default]
    Off,
    Write,
    All,
}

/// The pause in effect and the clients it holds.
#[derive(Default)]
pub struct Pause {
    pub mode: Mode,
    /// When the pause ends by itself.
    pub until: Option<Instant>,
    /// Slots and ids of the held clients, in the order they were held.
    pub held: Vec<(usize, u64)>,
    /// The master's stream (on a replica) waits unapplied.
    pub master_held: bool,
}

impl Server {
    /// Start or extend a pause (CLIENT PAUSE).
    pub fn pause_clients(&mut self, mode: Mode, duration: Duration) {
        let until = Instant::now() + duration;
        if self.pause.mode == Mode::Off {
            self.pause.until = Some(until);
            self.pause.mode = mode;
        } else {
            self.pause.until = self.pause.until.max(Some(until));
            self.pause.mode = self.pause.mode.max(mode);
        }
        self.ks.paused = true;
    }

    /// End the pause (CLIENT UNPAUSE, or its deadline): every held client
    /// is released to run its input again.
    pub fn unpause_clients(&mut self) {
        self.pause.mode = Mode::Off;
        self.pause.until = None;
        self.ks.paused = false;
        for (slot, id) in std::mem::take(&mut self.pause.held) {
            if let Some(c) = self.clients.get_mut(slot)
                && c.id == id
                && c.postponed
            {
                c.postponed = false;
                self.blocking.count -= 1;
                self.blocking.unblocked.push(slot);
            }
        }
    }

    /// End the pause when its deadline passed; true while still paused.
    pub fn pause_check_deadline(&mut self) -> bool {
        if self.pause.mode == Mode::Off {
            return false;
        }
        if self.pause.until.is_some_and(|at| at <= Instant::now()) {
            self.unpause_clients();
            return false;
        }
        true
    }

    /// Whether the command at `index`, checked and about to run (or be
    /// queued), must wait for the pause to end.
    pub fn pause_holds(&mut self, client: &Client, index: usize, args: &[&[u8]]) -> bool {
        if self.pause.mode == Mode::Off || client.replica.is_some() {
            return false;
        }
        if !self.pause_check_deadline() {
            return false;
        }
        if self.pause.mode == Mode::All {
            return true;
        }
        let changes = flags::WRITE | flags::MAY_REPLICATE;
        if self.request_flags(index, args) & changes != 0 {
            return true;
        }
        self.commands.entries[index].full_name == "exec"
            && client
                .multi
                .as_ref()
                .is_some_and(|m| m.flags & changes != 0)
    }

    /// Hold `client` until the pause ends (its request stays unexecuted).
    pub fn hold(&mut self, client: &mut Client) {
        client.postponed = true;
        self.blocking.count += 1;
        self.pause.held.push((client.slot, client.id));
    }

    /// A held client is closing: forget it.
    pub fn release_held(&mut self, client: &mut Client) {
        if client.postponed {
            client.postponed = false;
            self.blocking.count -= 1;
            self.pause.held.retain(|&(_, id)| id != client.id);
        }
    }

    /// The pause's deadline, for the event loop's timeout.
    pub fn pause_deadline(&self) -> Option<Instant> {
        match self.pause.mode {
            Mode::Off => None,
            _ => self.pause.until,
        }
    }
}
