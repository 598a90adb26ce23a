//! Frames from a byte stream (`io::Read`): buffering, reading more when a
//! frame is incomplete, and offsets in the stream. Memory holds at most one
//! frame plus one read, and a frame is refused once it passes `max_frame`.

use std::io::{self, Read};

use bytes::{Bytes, BytesMut};

use super::decode::{DecodeError, Decoder};
use super::frame::Frame;

const READ_SIZE: usize = 64 * 1024;

/// One frame and where it was.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Offset of the frame's first byte in the stream.
    pub offset: u64,
    /// The frame's bytes, exactly as they were on the wire.
    pub raw: Bytes,
    pub frame: Frame,
}

/// Bytes around a failure, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// Stream offset of `bytes[0]`.
    pub start: u64,
    pub bytes: Vec<u8>,
}

/// Why the stream stopped yielding frames.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("read error: {0}")]
    Io(#[from] io::Error),
    #[error("malformed RESP at byte {offset}: {problem}")]
    Invalid {
        offset: u64,
        problem: super::decode::Problem,
        excerpt: Excerpt,
    },
    #[error("incomplete frame at offset {offset}: needs at least {needed} more bytes")]
    Truncated { offset: u64, needed: usize },
    #[error("frame at offset {offset} exceeds {max} bytes without completing")]
    TooLarge { offset: u64, max: usize },
}

/// Yields frames from `inner` one at a time.
pub struct FrameReader<R> {
    inner: R,
    decoder: Decoder,
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// Do not re-check before the buffer holds this many bytes (the lower
    /// bound the decoder gave), so a large frame is scanned once, not once
    /// per read.
    want: usize,
    max_frame: usize,
    eof: bool,
}

impl<R: Read> FrameReader<R> {
    pub fn new(inner: R, decoder: Decoder, max_frame: usize) -> FrameReader<R> {
        FrameReader {
            inner,
            decoder,
            buf: BytesMut::with_capacity(READ_SIZE),
            offset: 0,
            want: 1,
            max_frame,
            eof: false,
        }
    }

    /// Bytes consumed so far (the offset of the next frame).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next frame, `Ok(None)` at a clean end of input.
    pub fn next_frame(&mut self) -> Result<Option<Decoded>, ReadError> {
        loop {
            if self.buf.len() >= self.want {
                match self.decoder.check(&self.buf) {
                    Ok(len) => {
                        let raw = self.buf.split_to(len).freeze();
                        let (frame, _) = self.decoder.parse(&raw).map_err(|e| self.invalid(e))?;
                        let offset = self.offset;
                        self.offset += len as u64;
                        self.want = 1;
                        return Ok(Some(Decoded { offset, raw, frame }));
                    }
                    Err(DecodeError::Incomplete { needed }) => {
                        self.want = self.buf.len() + needed;
                        if self.want > self.max_frame {
                            return Err(ReadError::TooLarge {
                                offset: self.offset,
                                max: self.max_frame,
                            });
                        }
                    }
                    Err(e) => return Err(self.invalid(e)),
                }
            }
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(ReadError::Truncated {
                    offset: self.offset,
                    needed: self.want - self.buf.len(),
                });
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let room = (self.want - self.buf.len().min(self.want)).clamp(READ_SIZE, 4 * 1024 * 1024);
        let start = self.buf.len();
        self.buf.resize(start + room, 0);
        let n = loop {
            match self.inner.read(&mut self.buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(start);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(start + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    fn invalid(&self, e: DecodeError) -> ReadError {
        match e {
            DecodeError::Invalid { offset, problem } => {
                let from = offset.saturating_sub(16);
                let to = (offset + 16).min(self.buf.len());
                ReadError::Invalid {
                    offset: self.offset + offset as u64,
                    problem,
                    excerpt: Excerpt {
                        start: self.offset + from as u64,
                        bytes: self.buf[from..to].to_vec(),
                    },
                }
            }
            DecodeError::Incomplete { needed } => ReadError::Truncated {
                offset: self.offset,
                needed,
            },
        }
    }
}
