//! Where a command's bytes come from: a file or stdin (`-`), raw or as hex
//! text. Hex text is decoded as it streams, so input of any size is read in
//! bounded memory, and a bad character is reported with its line and column.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// An input named on the command line: a path or `-` for stdin.
pub fn open(path: Option<&Path>) -> io::Result<(Box<dyn Read>, String)> {
    match path {
        None => Ok((Box::new(io::stdin().lock()), "<stdin>".to_owned())),
        Some(p) if p == Path::new("-") => Ok((Box::new(io::stdin().lock()), "<stdin>".to_owned())),
        Some(p) => {
            let file = File::open(p)?;
            Ok((Box::new(file), p.display().to_string()))
        }
    }
}

/// The display name of an optional path argument.
pub fn name(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) if p != Path::new("-") => p.display().to_string(),
        _ => "<stdin>".to_owned(),
    }
}

/// A bad character in hex input.
#[derive(Debug, thiserror::Error)]
pub enum HexError {
    #[error("invalid hex digit {found:?} at line {line}, column {column}")]
    BadDigit { found: char, line: u64, column: u64 },
    #[error("odd number of hex digits: the last byte is missing its second digit")]
    OddDigits,
}

/// Reads hex text (`2a 31 0d 0a`, any whitespace ignored, optional `0x`
/// prefixes) and yields the bytes it spells.
pub struct HexReader<R: BufRead> {
    inner: R,
    line: u64,
    column: u64,
    pending: Option<u8>,
    prev: u8,
    done: bool,
    /// An error found after some bytes were decoded in the same call; it is
    /// returned on the next call so those bytes are not lost.
    deferred: Option<HexError>,
}

impl<R: Read> HexReader<BufReader<R>> {
    pub fn new(inner: R) -> HexReader<BufReader<R>> {
        HexReader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            line: 1,
            column: 0,
            pending: None,
            prev: b' ',
            done: false,
            deferred: None,
        }
    }
}

impl<R: BufRead> Read for HexReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(error) = self.deferred.take() {
            self.done = true;
            return Err(io::Error::new(io::ErrorKind::InvalidData, error));
        }
        let mut written = 0;
        while written < out.len() && !self.done {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                self.done = true;
                if self.pending.is_some() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        HexError::OddDigits,
                    ));
                }
                break;
            }
            let mut used = 0;
            for &c in chunk {
                if written == out.len() {
                    break;
                }
                used += 1;
                self.column += 1;
                let prev = std::mem::replace(&mut self.prev, c);
                if c == b'\n' {
                    self.line += 1;
                    self.column = 0;
                    continue;
                }
                if c.is_ascii_whitespace() {
                    continue;
                }
                // "0x" before a byte: drop the 0 we may have taken as a digit.
                if (c == b'x' || c == b'X') && prev == b'0' && self.pending == Some(0) {
                    self.pending = None;
                    continue;
                }
                let Some(digit) = (c as char).to_digit(16) else {
                    let error = HexError::BadDigit {
                        found: c as char,
                        line: self.line,
                        column: self.column,
                    };
                    self.inner.consume(used);
                    if written > 0 {
                        self.deferred = Some(error);
                        return Ok(written);
                    }
                    self.done = true;
                    return Err(io::Error::new(io::ErrorKind::InvalidData, error));
                };
                match self.pending.take() {
                    None => self.pending = Some(digit as u8),
                    Some(high) => {
                        out[written] = high * 16 + digit as u8;
                        written += 1;
                    }
                }
            }
            self.inner.consume(used);
        }
        Ok(written)
    }
}

/// A whole input in memory: a read-only mapping of a regular file, or the
/// bytes of stdin (or of an empty file, which cannot be mapped).
pub enum Whole {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Whole {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Whole::Mapped(m) => m,
            Whole::Read(v) => v,
        }
    }
}

/// Map `path` read-only (`-` reads stdin into memory instead).
pub fn map(path: &Path) -> io::Result<Whole> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf)?;
        return Ok(Whole::Read(buf));
    }
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() == 0 {
        let mut buf = Vec::new();
        let mut file = file;
        file.read_to_end(&mut buf)?;
        return Ok(Whole::Read(buf));
    }
    // SAFETY: the mapping is read-only and private to this process, and we
    // only ever read it through the `&[u8]` it derefs to; Rust's aliasing
    // rules hold as long as nobody changes the file while it is mapped.
    // That is outside our control: if another process truncates the file
    // underneath us, touching the vanished pages raises SIGBUS and the
    // process dies (a changed, not truncated, file just yields different
    // bytes, which the parsers handle like any corrupt input). Snapshot
    // files are written to a temporary name and renamed into place by
    // Redis, so a file being inspected is normally never truncated.
    // MAP_POPULATE: the whole file is read once, so fault it in up front.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file)? };
    Ok(Whole::Mapped(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        HexReader::new(text.as_bytes()).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn decodes_with_whitespace_and_prefixes() {
        assert_eq!(decode("2a31\n 0d 0a").unwrap(), b"*1\r\n");
        assert_eq!(decode("0x2a 0x0d").unwrap(), b"*\r");
        assert_eq!(decode("00 0a").unwrap(), b"\x00\n");
    }

    #[test]
    fn reports_where_a_bad_digit_is() {
        let err = decode("2a\n0g").unwrap_err();
        assert_eq!(err.to_string(), "invalid hex digit 'g' at line 2, column 2");
        assert!(
            decode("2a3")
                .unwrap_err()
                .to_string()
                .contains("odd number")
        );
    }
}
