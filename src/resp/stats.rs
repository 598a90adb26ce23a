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
            self.count_command(&args[0][..], len);
        }
    }

    /// Count one command frame of `len` bytes named `name`, for callers
    /// that hold the arguments rather than the frame (a replication feed).
    pub fn add_command(&mut self, name: &[u8], len: usize) {
        let len = len as u64;
        self.frames += 1;
        self.bytes += len;
        let c = self.by_kind.entry(FrameKind::Array).or_default();
        c.frames += 1;
        c.bytes += len;
        self.count_command(name, len);
    }

    fn count_command(&mut self, name: &[u8], len: u64) {
        // Short names are uppercased on the stack, so that a name seen
        // before costs no allocation.
        let mut stack = [0u8; 32];
        let owned;
        let upper: &[u8] = match stack.get_mut(..name.len()) {
            Some(buf) => {
                buf.copy_from_slice(name);
                buf.make_ascii_uppercase();
                buf
            }
            None => {
                owned = name.to_ascii_uppercase();
                &owned
            }
        };
        let slot = if self.commands.contains_key(upper) {
            self.commands.get_mut(upper)
        } else if self.commands.len() < MAX_COMMAND_NAMES {
            Some(self.commands.entry(upper.to_vec()).or_default())
        } else {
            None
        };
        let slot = slot.unwrap_or(&mut self.other_commands);
        slot.0 += 1;
        slot.1 += len;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_count_the_same_from_frames_or_names() {
        let long = "X".repeat(40);
        let mut from_frames = StreamStats::default();
        let mut from_names = StreamStats::default();
        for name in ["set", "SET", "Get", long.as_str(), &long.to_lowercase()] {
            let frame = Frame::Array(vec![Frame::bulk(name.as_bytes().to_vec())]);
            let len = crate::resp::to_bytes(&frame).len();
            from_frames.add(&frame, len);
            from_names.add_command(name.as_bytes(), len);
        }
        assert_eq!(from_frames.commands(), from_names.commands());
        assert_eq!(from_frames.by_kind, from_names.by_kind);
        assert_eq!(
            (from_names.frames, from_names.bytes),
            (5, from_frames.bytes)
        );
        let names: Vec<_> = from_names
            .commands()
            .into_iter()
            .map(|c| (c.name.0, c.count))
            .collect();
        assert_eq!(
            names,
            [
                (b"SET".to_vec(), 2),
                (long.into_bytes(), 2),
                (b"GET".to_vec(), 1)
            ]
        );
    }
}
