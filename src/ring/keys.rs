//! Where the simulated keys come from, and what each one weighs.
//!
//! A key is bytes plus, when known, its size in bytes (its weight), so that
//! load and movement can be counted in bytes as well as in keys. Sources:
//!
//! - synthetic keys `key:0`, `key:1`, … generated on the fly (no memory);
//! - a [`KeySet`]: keys held in one contiguous buffer with their end
//!   offsets (and weights), filled from a keys file by [`read_keys`], from
//!   an RDB dump by [`read_rdb`] (each key weighs its serialized size), or
//!   by any other producer of `(key, size)` pairs through [`KeySet::push`].
//!
//! Keys files: one key per line, raw bytes, lines ending in LF or CRLF,
//! empty lines skipped. With sizes, a line is `KEY<TAB>BYTES`, split at the
//! last TAB (so keys may contain TABs). A key containing LF cannot be
//! written in this format. A line longer than the limit is an error naming
//! the line, so memory per line stays bounded.

use std::io::{self, BufRead, BufReader, Read};

use memchr::memchr;

use crate::rdb::{ErrorKind, Event, RdbError, RdbStr, Reader};

/// The keys of one simulation.
pub enum KeySource {
    /// `key:0` … `key:<count-1>`.
    Synthetic { count: u64 },
    /// Keys held in memory, maybe with sizes.
    Set(KeySet),
}

impl KeySource {
    pub fn len(&self) -> u64 {
        match self {
            KeySource::Synthetic { count } => *count,
            KeySource::Set(set) => set.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when every key carries its size in bytes.
    pub fn has_weights(&self) -> bool {
        matches!(self, KeySource::Set(set) if set.weights.is_some())
    }

    /// Sum of the key sizes, when known.
    pub fn total_bytes(&self) -> Option<u64> {
        match self {
            KeySource::Set(KeySet {
                weights: Some(w), ..
            }) => Some(w.iter().sum()),
            _ => None,
        }
    }

    /// Calls `f(key, weight)` for the keys with indices in `range`, in
    /// order; `weight` is 0 when sizes are unknown.
    #[inline]
    pub fn for_each_in(&self, range: std::ops::Range<u64>, mut f: impl FnMut(&[u8], u64)) {
        match self {
            KeySource::Synthetic { count } => {
                let mut name = SyntheticName::new();
                for i in range.start..range.end.min(*count) {
                    f(name.of(i), 0);
                }
            }
            KeySource::Set(set) => {
                let end = range.end.min(set.len() as u64) as usize;
                for i in range.start as usize..end {
                    let (key, weight) = set.get(i);
                    f(key, weight.unwrap_or(0));
                }
            }
        }
    }

    /// The key at `index` copied into `out` (for sampling).
    pub fn key_at(&self, index: u64, out: &mut Vec<u8>) {
        out.clear();
        match self {
            KeySource::Synthetic { .. } => out.extend_from_slice(SyntheticName::new().of(index)),
            KeySource::Set(set) => out.extend_from_slice(set.get(index as usize).0),
        }
    }

    /// Bytes this source holds in memory.
    pub fn memory_bytes(&self) -> usize {
        match self {
            KeySource::Synthetic { .. } => 0,
            KeySource::Set(set) => set.memory_bytes(),
        }
    }
}

/// Builds `key:<i>` in a reused buffer.
struct SyntheticName {
    buf: [u8; 24],
}

impl SyntheticName {
    fn new() -> SyntheticName {
        SyntheticName { buf: [0u8; 24] }
    }

    #[inline]
    fn of(&mut self, mut i: u64) -> &[u8] {
        // Digits right-aligned, then the fixed prefix before them: this
        // runs for every key of every pass, so no variable-length copy.
        // A u64 has at most 20 digits; with "key:" that fills the buffer.
        let mut start = self.buf.len();
        loop {
            start -= 1;
            self.buf[start] = b'0' + (i % 10) as u8;
            i /= 10;
            if i == 0 {
                break;
            }
        }
        start -= 4;
        self.buf[start..start + 4].copy_from_slice(b"key:");
        &self.buf[start..]
    }
}

/// Keys in one buffer: key `i` is `bytes[ends[i-1]..ends[i]]`.
#[derive(Debug, Default)]
pub struct KeySet {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    weights: Option<Vec<u64>>,
}

impl KeySet {
    /// An empty set; `weighted` sets whether keys carry sizes.
    pub fn new(weighted: bool) -> KeySet {
        KeySet {
            bytes: Vec::new(),
            ends: Vec::new(),
            weights: weighted.then(Vec::new),
        }
    }

    /// Add a key. `weight` is its size in bytes and is kept only by a
    /// weighted set (where a missing one counts as 0).
    pub fn push(&mut self, key: &[u8], weight: Option<u64>) {
        self.bytes.extend_from_slice(key);
        self.ends.push(self.bytes.len());
        if let Some(w) = &mut self.weights {
            w.push(weight.unwrap_or(0));
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Key `i` and its weight. `i` must be below `len()`.
    #[inline]
    pub fn get(&self, i: usize) -> (&[u8], Option<u64>) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let key = &self.bytes[start..self.ends[i]];
        (key, self.weights.as_ref().map(|w| w[i]))
    }

    pub fn memory_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
            + self.weights.as_ref().map_or(0, |w| w.capacity() * 8)
    }

    /// Finish a key whose bytes were appended to `self.bytes` from `start`.
    fn seal(&mut self, weight: u64) {
        self.ends.push(self.bytes.len());
        if let Some(w) = &mut self.weights {
            w.push(weight);
        }
    }
}

/// A keys file that cannot be used, with the line at fault.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("line {line}: longer than {limit} bytes (raise --max-key-len)")]
    TooLong { line: u64, limit: usize },
    #[error("line {line}: no TAB before the size (--key-sizes expects KEY<TAB>BYTES)")]
    MissingSize { line: u64 },
    #[error("line {line}, column {column}: size {found:?} is not a whole number of bytes")]
    BadSize {
        line: u64,
        column: usize,
        found: String,
    },
    #[error("no keys (every line is empty)")]
    Empty,
    #[error("reading line {line}: {source}")]
    Io { line: u64, source: io::Error },
}

/// Read a keys file (see the module docs). `weighted` expects
/// `KEY<TAB>BYTES` lines; `max_key_len` bounds one line's key.
pub fn read_keys(
    input: impl Read,
    weighted: bool,
    max_key_len: usize,
) -> Result<KeySet, KeysError> {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let mut set = KeySet::new(weighted);
    // Room for the size column after the key: TAB, up to 20 digits, CR.
    let line_limit = if weighted {
        max_key_len + 22
    } else {
        max_key_len + 1
    };
    let mut line: u64 = 1;
    let mut start = set.bytes.len();
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(KeysError::Io { line, source }),
        };
        if chunk.is_empty() {
            if set.bytes.len() > start {
                finish_line(&mut set, start, line, weighted, max_key_len)?;
            }
            break;
        }
        let (piece, used, ends_line) = match memchr(b'\n', chunk) {
            Some(nl) => (&chunk[..nl], nl + 1, true),
            None => (chunk, chunk.len(), false),
        };
        if set.bytes.len() - start + piece.len() > line_limit {
            return Err(KeysError::TooLong {
                line,
                limit: max_key_len,
            });
        }
        set.bytes.extend_from_slice(piece);
        reader.consume(used);
        if ends_line {
            finish_line(&mut set, start, line, weighted, max_key_len)?;
            line += 1;
            start = set.bytes.len();
        }
    }
    if set.is_empty() {
        return Err(KeysError::Empty);
    }
    set.bytes.shrink_to_fit();
    set.ends.shrink_to_fit();
    Ok(set)
}

/// The bytes of one line sit in `set.bytes[start..]`: strip CR, split off
/// the size, skip it if empty, else seal it as a key.
fn finish_line(
    set: &mut KeySet,
    start: usize,
    line: u64,
    weighted: bool,
    max_key_len: usize,
) -> Result<(), KeysError> {
    if set.bytes.last() == Some(&b'\r') && set.bytes.len() > start {
        set.bytes.pop();
    }
    if set.bytes.len() == start {
        return Ok(());
    }
    let mut weight = 0;
    if weighted {
        let text = &set.bytes[start..];
        let Some(tab) = text.iter().rposition(|&b| b == b'\t') else {
            return Err(KeysError::MissingSize { line });
        };
        let digits = &text[tab + 1..];
        weight = parse_size(digits).ok_or_else(|| KeysError::BadSize {
            line,
            column: tab + 2,
            found: String::from_utf8_lossy(digits).into_owned(),
        })?;
        set.bytes.truncate(start + tab);
    }
    if set.bytes.len() - start > max_key_len {
        return Err(KeysError::TooLong {
            line,
            limit: max_key_len,
        });
    }
    set.seal(weight);
    Ok(())
}

fn parse_size(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// An RDB dump that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("{0} ({kind})", kind = .0.kind.name())]
    Rdb(RdbError),
    #[error("no keys (the dump holds no key in any database)")]
    Empty,
}

/// Every key of a complete RDB image (an mmap of a dump), from all
/// databases in file order, weighing its serialized size: the bytes from
/// its type byte to the end of its value, the `size` that `rdb inspect
/// --keys` reports (expiry and LRU/LFU opcodes before it not included).
/// The checksum is verified. Memory beyond the returned set: one key's
/// bytes when it is stored as an integer or compressed.
pub fn read_rdb(data: &[u8]) -> Result<KeySet, DumpError> {
    let mut set = KeySet::new(true);
    let mut reader = Reader::new();
    let mut scratch = Vec::new();
    loop {
        let rest = data.get(reader.position() as usize..).unwrap_or(&[]);
        let located = match reader.next(rest, true) {
            Ok(Some(located)) => located,
            Ok(None) => break,
            Err(e) => return Err(DumpError::Rdb(e)),
        };
        match located.event {
            Event::Key(entry) => {
                let key: &[u8] = match entry.key {
                    RdbStr::Raw(bytes) => bytes,
                    other => {
                        other.write_into(&mut scratch).map_err(DumpError::Rdb)?;
                        &scratch
                    }
                };
                set.push(key, Some(entry.size));
            }
            Event::ResizeDb { keys, .. } => {
                // A hint from the file: no more keys than bytes left could
                // hold (a key takes at least three), so a corrupt count
                // cannot make us allocate more than the file justifies.
                let room = (rest.len() / 3) as u64;
                let keys = keys.min(room) as usize;
                set.ends.reserve(keys);
                if let Some(w) = &mut set.weights {
                    w.reserve(keys);
                }
            }
            Event::Eof {
                stored: Some(stored),
                computed: Some(computed),
            } if stored != 0 && stored != computed => {
                return Err(DumpError::Rdb(RdbError::new(
                    ErrorKind::ChecksumMismatch { stored, computed },
                    located.offset + located.len - 8,
                )));
            }
            _ => {}
        }
    }
    if set.is_empty() {
        return Err(DumpError::Empty);
    }
    set.bytes.shrink_to_fit();
    set.ends.shrink_to_fit();
    if let Some(w) = &mut set.weights {
        w.shrink_to_fit();
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(set: &KeySet) -> Vec<(Vec<u8>, Option<u64>)> {
        (0..set.len())
            .map(|i| {
                let (k, w) = set.get(i);
                (k.to_vec(), w)
            })
            .collect()
    }

    #[test]
    fn plain_lines_with_crlf_blank_lines_and_binary() {
        let set = read_keys(&b"a\r\n\nb\xff\x00c\nlast"[..], false, 64).unwrap();
        assert_eq!(
            keys(&set),
            vec![
                (b"a".to_vec(), None),
                (b"b\xff\x00c".to_vec(), None),
                (b"last".to_vec(), None)
            ]
        );
    }

    #[test]
    fn sizes_split_at_the_last_tab() {
        let set = read_keys(&b"user:1\t100\na\tb\t7\r\n"[..], true, 64).unwrap();
        assert_eq!(
            keys(&set),
            vec![(b"user:1".to_vec(), Some(100)), (b"a\tb".to_vec(), Some(7))]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let err = read_keys(&b"ok\t1\nbad\n"[..], true, 64).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: no TAB before the size (--key-sizes expects KEY<TAB>BYTES)"
        );
        let err = read_keys(&b"ok\t1\n\nk\t12x\n"[..], true, 64).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3, column 3: size \"12x\" is not a whole number of bytes"
        );
        let long = [b"short\n".to_vec(), vec![b'x'; 100_000], b"\n".to_vec()].concat();
        let err = read_keys(&long[..], false, 1000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: longer than 1000 bytes (raise --max-key-len)"
        );
        assert!(matches!(
            read_keys(&b"\n\r\n"[..], false, 10),
            Err(KeysError::Empty)
        ));
    }

    #[test]
    fn a_long_line_is_refused_before_it_is_read_whole() {
        // An endless line: the reader stops at the limit instead of
        // buffering it all.
        let endless = std::io::repeat(b'k');
        let err = read_keys(endless, false, 4096).unwrap_err();
        assert!(matches!(err, KeysError::TooLong { line: 1, .. }));
    }

    #[test]
    fn synthetic_keys_are_named_by_index() {
        let source = KeySource::Synthetic { count: 12 };
        let mut seen = Vec::new();
        source.for_each_in(9..20, |k, w| seen.push((k.to_vec(), w)));
        assert_eq!(
            seen,
            vec![
                (b"key:9".to_vec(), 0),
                (b"key:10".to_vec(), 0),
                (b"key:11".to_vec(), 0)
            ]
        );
        let mut one = Vec::new();
        source.key_at(18_446_744_073_709_551_615, &mut one);
        assert_eq!(one, b"key:18446744073709551615");
    }
}
