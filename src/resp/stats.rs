//! Counting a stream of frames: by type, and for streams of commands
//! (arrays of bulk strings) by command name. The command table is bounded so
//! that a stream of random names cannot grow it without limit.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::frame::{Frame, FrameKind};
use crate::output::bytes::ByteString;

/// Distinct command names kept; later new names count as "(other)".
pub const MAX_COMMAND_NAMES: usize = 10_000;

#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Count {
    pub frames: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CommandCount {
    #[serde(rename = "command")]
    pub name: ByteString,
    pub count: u64,
    pub bytes: u64,
}

/// Running totals over top-level frames.
#[derive(Debug, Default)]
pub struct StreamStats {
    pub frames: u64,
    pub bytes: u64,
    pub by_kind: BTreeMap<FrameKind, Count>,
    commands: HashMap<Vec<u8>, (u64, u64)>,
    other_commands: (u64, u64),
}

impl StreamStats {
    /// Count one top-level frame of `len` bytes.
    pub fn add(&mut self, frame: &Frame, len: usize) {
        let len = len as u64;
        self.frames += 1;
        self.bytes += len;
        let c = self.by_kind.entry(frame.kind()).or_default();
        c.frames += 1;
        c.bytes += len;
        if let Some(args) = frame.as_command() {
            let name = args[0].to_ascii_uppercase();
            let slot = if let Some(slot) = self.commands.get_mut(&name) {
                slot
            } else if self.commands.len() < MAX_COMMAND_NAMES {
                self.commands.entry(name).or_default()
            } else {
                &mut self.other_commands
            };
            slot.0 += 1;
            slot.1 += len;
        }
    }

    /// Commands by count (then name), "(other)" last when names overflowed.
    pub fn commands(&self) -> Vec<CommandCount> {
        let mut out: Vec<CommandCount> = self
            .commands
            .iter()
            .map(|(name, &(count, bytes))| CommandCount {
                name: ByteString(name.clone()),
                count,
                bytes,
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        if self.other_commands.0 > 0 {
            out.push(CommandCount {
                name: ByteString(b"(other)".to_vec()),
                count: self.other_commands.0,
                bytes: self.other_commands.1,
            });
        }
        out
    }
}
