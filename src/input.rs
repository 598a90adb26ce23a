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
/// bytes of stdin, a pipe or a device (or of an empty file, which cannot be
/// mapped).
pub enum Whole {
    Mapped(Mapped),
    Read(Vec<u8>),
}

impl std::ops::Deref for Whole {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Whole::Mapped(m) => &m.map,
            Whole::Read(v) => v,
        }
    }
}

/// A mapped regular file, registered with the SIGBUS guard for as long as
/// it lives (see [`sigbus`]).
pub struct Mapped {
    map: memmap2::Mmap,
    slot: Option<usize>,
    /// The message the guard prints; owned here, pointed to by the slot.
    _message: Box<[u8]>,
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            sigbus::unregister(slot);
        }
    }
}

/// The most bytes read into memory from an input that cannot be mapped (a
/// pipe, stdin, a character device such as /dev/zero): 4 GiB, or half of
/// what the kernel reports available, or a quarter of this process's
/// address-space or data limit, when that is less (the buffer doubles as it
/// grows, and the rest of the process needs room too).
pub fn read_cap() -> u64 {
    let mut cap: u64 = 4 << 30;
    for resource in [libc::RLIMIT_AS, libc::RLIMIT_DATA] {
        // SAFETY: getrlimit with a pointer to a live rlimit struct.
        let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrlimit(resource, &mut limit) } == 0
            && limit.rlim_cur != libc::RLIM_INFINITY
        {
            cap = cap.min(limit.rlim_cur / 4);
        }
    }
    if let Some(available) = mem_available() {
        cap = cap.min(available / 2);
    }
    cap.max(1 << 20)
}

/// MemAvailable from /proc/meminfo, in bytes.
fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// An input that cannot be mapped held more than [`read_cap`] bytes.
#[derive(Debug, thiserror::Error)]
#[error(
    "{name} is not a regular file and holds more than {cap} bytes, the most read into memory \
     from a pipe or device; save it to a file (which is mapped, not read)"
)]
pub struct TooLarge {
    pub name: String,
    pub cap: u64,
}

/// Read `reader` to its end, at most `cap` bytes (an error past that), with
/// allocations that fail as an error instead of aborting. When `magic` is
/// given and the first bytes differ from it, reading stops there: what was
/// read is returned, and the caller's parser reports the bad header as it
/// would for a file, without first swallowing an endless device.
pub fn read_capped(
    reader: &mut dyn Read,
    name: &str,
    cap: u64,
    magic: Option<&[u8]>,
) -> io::Result<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(buf),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if (buf.len() + n) as u64 > cap {
            return Err(io::Error::other(TooLarge {
                name: name.to_owned(),
                cap,
            }));
        }
        if buf.capacity() - buf.len() < n {
            // Grow by doubling, but never past the cap.
            let want = (buf.capacity().max(n) * 2).min(cap as usize) - buf.len();
            buf.try_reserve_exact(want.max(n)).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    format!("{name}: out of memory after reading {} bytes", buf.len()),
                )
            })?;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(magic) = magic {
            let seen = buf.len().min(magic.len());
            if buf[..seen] != magic[..seen] {
                return Ok(buf);
            }
        }
    }
}

/// The most bytes of a text input (a config file) read into memory.
pub const TEXT_CAP: u64 = 16 << 20;

/// A whole UTF-8 text file of at most [`TEXT_CAP`] bytes, whatever kind of
/// file it is (`/dev/zero` is an error, not an endless read).
pub fn read_text(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let bytes = read_capped(&mut file, &path.display().to_string(), TEXT_CAP, None)?;
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not UTF-8 text (at byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Map `path` read-only (`-` reads stdin into memory instead, as does a
/// path that is not a regular file, both up to [`read_cap`]).
pub fn map(path: &Path) -> io::Result<Whole> {
    map_expecting(path, None)
}

/// [`map`], stopping early on an unmappable input whose first bytes are not
/// `magic` (an RDB file's "REDIS", say).
pub fn map_expecting(path: &Path, magic: Option<&[u8]>) -> io::Result<Whole> {
    if path == Path::new("-") {
        let bytes = read_capped(&mut io::stdin().lock(), "<stdin>", read_cap(), magic)?;
        return Ok(Whole::Read(bytes));
    }
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() == 0 {
        let name = path.display().to_string();
        let mut file = file;
        let bytes = read_capped(&mut file, &name, read_cap(), magic)?;
        return Ok(Whole::Read(bytes));
    }
    // SAFETY: the mapping is read-only and private to this process, and we
    // only ever read it through the `&[u8]` it derefs to; Rust's aliasing
    // rules hold as long as nobody changes the file while it is mapped.
    // That is outside our control: if another process truncates the file
    // underneath us (`cp` over it does), touching the vanished pages raises
    // SIGBUS. The mapping is registered with the SIGBUS guard below, which
    // turns that into the message "the file shrank while being read" and
    // exit status 1 instead of a silent death. A changed, not truncated,
    // file just yields different bytes, which the parsers handle like any
    // corrupt input.
    // MAP_POPULATE: the whole file is read once, so fault it in up front.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file)? };
    let message = format!(
        "error: {}: the file shrank while being read (another process truncated or replaced \
         it in place); read it again once it is complete, at byte ",
        path.display()
    )
    .into_bytes()
    .into_boxed_slice();
    let slot = sigbus::register(map.as_ptr() as usize, map.len(), &message);
    Ok(Whole::Mapped(Mapped {
        map,
        slot,
        _message: message,
    }))
}

/// Turns a SIGBUS raised by touching a registered mapping past the end of
/// its (since truncated) file into a message and exit status 1. A SIGBUS
/// anywhere else keeps its default action (the process dies with it).
pub mod sigbus {
    use std::sync::Once;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SLOTS: usize = 16;

    struct Slot {
        start: AtomicUsize,
        len: AtomicUsize,
        message: AtomicUsize,
        message_len: AtomicUsize,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const EMPTY: Slot = Slot {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        message: AtomicUsize::new(0),
        message_len: AtomicUsize::new(0),
    };
    static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];
    static INSTALL: Once = Once::new();

    /// Watch `[start, start + len)`; `None` when every slot is taken (the
    /// mapping then has no guard, as before).
    pub fn register(start: usize, len: usize, message: &[u8]) -> Option<usize> {
        INSTALL.call_once(install);
        for (i, slot) in TABLE.iter().enumerate() {
            if slot
                .start
                .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                slot.len.store(len, Ordering::Release);
                slot.message
                    .store(message.as_ptr() as usize, Ordering::Release);
                slot.message_len.store(message.len(), Ordering::Release);
                slot.start.store(start, Ordering::Release);
                return Some(i);
            }
        }
        None
    }

    pub fn unregister(slot: usize) {
        if let Some(s) = TABLE.get(slot) {
            s.start.store(0, Ordering::Release);
        }
    }

    fn install() {
        // SAFETY: a sigaction struct zeroed then filled in, with a handler
        // of the SA_SIGINFO signature.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    }

    /// Only async-signal-safe calls: atomics, write(2), _exit(2), and
    /// sigaction(2) to restore the default.
    extern "C" fn handler(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
        let addr = unsafe { (*info).si_addr() } as usize;
        for slot in &TABLE {
            let start = slot.start.load(Ordering::Acquire);
            if start == 0 || start == usize::MAX {
                continue;
            }
            let len = slot.len.load(Ordering::Acquire);
            if addr >= start && addr < start + len {
                let message = slot.message.load(Ordering::Acquire) as *const u8;
                let message_len = slot.message_len.load(Ordering::Acquire);
                let mut digits = [0u8; 24];
                let offset = format_decimal((addr - start) as u64, &mut digits);
                // SAFETY: the message is owned by the live mapping's guard;
                // write(2) and _exit(2) are async-signal-safe.
                unsafe {
                    libc::write(2, message.cast(), message_len);
                    libc::write(2, offset.as_ptr().cast(), offset.len());
                    libc::write(2, b"\n".as_ptr().cast(), 1);
                    libc::_exit(1);
                }
            }
        }
        // Not ours: restore the default action and return, so the faulting
        // access repeats and the default applies.
        // SAFETY: resetting a disposition to SIG_DFL has no preconditions.
        unsafe {
            libc::signal(libc::SIGBUS, libc::SIG_DFL);
        }
    }

    fn format_decimal(mut n: u64, out: &mut [u8; 24]) -> &[u8] {
        let mut i = out.len();
        loop {
            i -= 1;
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        &out[i..]
    }
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
