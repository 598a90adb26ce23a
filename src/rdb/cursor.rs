//! A byte cursor that cannot panic. Every read returns `Result`; every
//! length read from the input is compared with what is left before a slice
//! is taken or anything is allocated. Offsets in errors are absolute (the
//! cursor knows where its slice starts in the file).
//!
//! When the input is not final (a buffer that is still growing), running
//! out of bytes is [`ErrorKind::NeedMore`] instead of an error about the
//! file, so a caller can wait for more bytes and try again.

use super::error::{ErrorKind, RdbError, Result};

#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pub(super) pos: usize,
    pub(super) base: u64,
    final_input: bool,
}

impl<'a> Cursor<'a> {
    /// A cursor over `data`, whose first byte is at absolute offset `base`.
    /// `final_input` says whether `data` is all there will ever be.
    pub fn new(data: &'a [u8], base: u64, final_input: bool) -> Cursor<'a> {
        Cursor {
            data,
            pos: 0,
            base,
            final_input,
        }
    }

    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Bytes from `start` (a position of this cursor) to the current one.
    pub fn since(&self, start: usize) -> &'a [u8] {
        self.data.get(start..self.pos).unwrap_or(&[])
    }

    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    pub fn error(&self, kind: ErrorKind) -> RdbError {
        RdbError::new(kind, self.offset())
    }

    pub fn invalid(&self, message: impl Into<String>) -> RdbError {
        RdbError::invalid(self.offset(), message)
    }

    /// The error for wanting `n` bytes when fewer are left.
    #[cold]
    #[inline(never)]
    pub(super) fn short(&self, n: u64, what: &'static str, declared: bool) -> RdbError {
        let available = self.remaining() as u64;
        let kind = if !self.final_input {
            ErrorKind::NeedMore {
                needed: n.saturating_sub(available).max(1),
            }
        } else if declared {
            ErrorKind::LengthExceedsInput {
                what,
                length: n,
                available,
            }
        } else {
            ErrorKind::UnexpectedEof { what }
        };
        self.error(kind)
    }

    #[inline(always)]
    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.short(1, what, false)),
        }
    }

    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Exactly `n` bytes of fixed-size data.
    #[inline]
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        self.take(n as u64, what, false)
    }

    /// `n` bytes whose count was read from the input.
    #[inline]
    pub fn declared(&mut self, n: u64, what: &'static str) -> Result<&'a [u8]> {
        self.take(n, what, true)
    }

    #[inline]
    fn take(&mut self, n: u64, what: &'static str, declared: bool) -> Result<&'a [u8]> {
        if n > self.remaining() as u64 {
            return Err(self.short(n, what, declared));
        }
        let n = n as usize;
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    #[inline]
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let bytes = self.bytes(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    #[inline]
    pub fn u16_le(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    #[inline]
    pub fn u32_le(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    #[inline]
    pub fn u32_be(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }
    #[inline]
    pub fn u64_le(&mut self, what: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    #[inline]
    pub fn u64_be(&mut self, what: &'static str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }
    pub fn i64_le(&mut self, what: &'static str) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }
    pub fn f64_le(&mut self, what: &'static str) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array(what)?))
    }
}
