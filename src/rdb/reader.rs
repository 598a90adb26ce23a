//! The streaming reader: turns RDB bytes into [`Event`]s, each with its
//! byte offset and length.
//!
//! It is resumable and never panics. Each call to [`Reader::next`] gets
//! the input from the reader's current position on (`&buf[reader.position()
//! as usize..]` for a whole file or mmap; the unconsumed tail of a socket
//! buffer for a snapshot that is still arriving). An event is parsed
//! whole or not at all: when the input ends inside one and the input is
//! not final, the result is [`ErrorKind::NeedMore`] and nothing was
//! consumed, so the caller appends bytes and calls again. The bytes of a
//! returned event may be dropped by the caller once it is done with the
//! event's borrowed parts.
//!
//! Expiry, LRU, LFU and key-metadata opcodes are folded into the key
//! they precede, so a key is one event.

use super::crc64;
use super::cursor::Cursor;
use super::error::{ErrorKind, RdbError, Result};
use super::format::*;
use super::quick::KeySpan;
use super::stats::KeyFacts;
use super::value::{self, Value};

/// What the reader found.
#[derive(Clone, Debug)]
pub enum Event<'a> {
    /// The file's magic and version (always the first event).
    Header {
        magic: Magic,
        version: u32,
    },
    /// An auxiliary field (redis-ver, ctime, used-mem, repl-id, ...).
    Aux {
        key: RdbStr<'a>,
        value: RdbStr<'a>,
    },
    SelectDb {
        db: u64,
    },
    /// Sizes of the next database's key and expiry tables.
    ResizeDb {
        keys: u64,
        expires: u64,
    },
    Key(KeyEntry<'a>),
    /// Global data of a module, skipped through its opcodes.
    ModuleAux {
        module: String,
        module_version: u64,
        when: u64,
        data: &'a [u8],
    },
    /// A function library. Final format (opcode 245): `code` only;
    /// pre-release 7.0 format (246): name, engine, description and code.
    Function {
        pre_ga: bool,
        name: Option<RdbStr<'a>>,
        engine: Option<RdbStr<'a>>,
        description: Option<RdbStr<'a>>,
        code: RdbStr<'a>,
    },
    /// Cluster slot sizes (Redis 7.4+, Valkey).
    SlotInfo {
        slot: u64,
        keys: u64,
        expires: u64,
    },
    /// Valkey 9: an atomic slot migration in progress.
    SlotImport {
        job: RdbStr<'a>,
        ranges: Vec<(u64, u64)>,
    },
    /// The end: the stored checksum (`None` before version 5, `Some(0)`
    /// when the writer disabled checksums) and the computed one (`None`
    /// when the reader was told not to compute it).
    Eof {
        stored: Option<u64>,
        computed: Option<u64>,
    },
}

/// A key with its value and the opcodes that preceded it.
#[derive(Clone, Debug)]
pub struct KeyEntry<'a> {
    pub db: u64,
    pub key: RdbStr<'a>,
    pub value: Value<'a>,
    /// Absolute expiry, Unix milliseconds.
    pub expire_ms: Option<i64>,
    /// LRU idle seconds.
    pub idle: Option<u64>,
    /// LFU counter.
    pub freq: Option<u8>,
    /// Key metadata (RDB 13), as raw bytes.
    pub meta: Option<&'a [u8]>,
    /// Bytes from the type byte to the end of the value.
    pub size: u64,
    /// Absolute offset of the type byte.
    pub offset: u64,
}

/// An event and where it is.
#[derive(Clone, Debug)]
pub struct Located<'a> {
    pub offset: u64,
    pub len: u64,
    pub event: Event<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Header,
    Body,
    Done,
}

/// The resumable reader; see the module docs.
#[derive(Clone, Debug)]
pub struct Reader {
    state: State,
    pos: u64,
    magic: Magic,
    version: u32,
    db: u64,
    crc: u64,
    compute_checksum: bool,
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

impl Reader {
    pub fn new() -> Reader {
        Reader {
            state: State::Header,
            pos: 0,
            magic: Magic::Redis,
            version: 0,
            db: 0,
            crc: 0,
            compute_checksum: true,
        }
    }

    /// A reader that continues at `pos` of an image whose header said
    /// `magic` and `version`, in database `db`: to read again one key whose
    /// offset (of its type byte) an earlier pass recorded. Computes no
    /// checksum.
    pub fn resume(magic: Magic, version: u32, db: u64, pos: u64) -> Reader {
        Reader {
            state: State::Body,
            pos,
            magic,
            version,
            db,
            crc: 0,
            compute_checksum: false,
        }
    }

    /// Do not compute the CRC-64 (the caller computes it elsewhere, e.g.
    /// in parallel over an mmap); `Eof.computed` is then `None`.
    pub fn without_checksum(mut self) -> Reader {
        self.compute_checksum = false;
        self
    }

    /// Absolute offset of the next byte to read.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// True once the EOF event was returned.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The database the next key belongs to.
    pub fn db(&self) -> u64 {
        self.db
    }

    /// Whether a record starting with `byte` is a key (its expiry, LRU,
    /// LFU or metadata opcode, or its value type): where a file may be cut
    /// into parts that readers [`Reader::resume`]d at their starts tally
    /// apart.
    pub fn starts_key(&self, byte: u8) -> bool {
        match byte {
            OPCODE_EXPIRETIME_MS | OPCODE_EXPIRETIME | OPCODE_IDLE | OPCODE_FREQ => true,
            OPCODE_KEY_META => self.magic == Magic::Redis,
            b => b < OPCODE_KEY_META,
        }
    }

    /// Move past the next record building as little as possible (a key is
    /// skipped by its lengths; the common shapes without checking their
    /// values' headers): for finding where keys start. `Ok(false)` after
    /// the end.
    pub fn skip_record(&mut self, input: &[u8]) -> Result<bool> {
        if self.skip_key(input) || self.next_key(input, |_| ()).is_some() {
            return Ok(true);
        }
        Ok(self.next(input, true)?.is_some())
    }

    pub fn magic(&self) -> Magic {
        self.magic
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// Read the next event from `input`, which starts at
    /// [`Reader::position`]. `final_input`: no more bytes will come.
    /// After EOF, returns `Ok(None)`.
    pub fn next<'a>(&mut self, input: &'a [u8], final_input: bool) -> Result<Option<Located<'a>>> {
        let mut cur = Cursor::new(input, self.pos, final_input);
        let mut event = match self.state {
            State::Done => return Ok(None),
            State::Header => self.header(&mut cur)?,
            State::Body => self.body(&mut cur)?,
        };
        let consumed = cur.since(0);
        if self.compute_checksum {
            // The checksum covers everything before itself.
            let covered = match &event {
                Event::Eof {
                    stored: Some(_), ..
                } => &consumed[..consumed.len() - 8],
                _ => consumed,
            };
            self.crc = crc64::update(self.crc, covered);
        }
        // In place: an event is large, and moving it shows per key.
        if let Event::Eof { computed, .. } = &mut event {
            self.state = State::Done;
            *computed = self.compute_checksum.then_some(self.crc);
        }
        let located = Located {
            offset: self.pos,
            len: consumed.len() as u64,
            event,
        };
        self.pos += consumed.len() as u64;
        Ok(Some(located))
    }

    /// The lean path for the common record, a key: when the input at
    /// [`Reader::position`] (given in `input`, which must be final) is a key
    /// without key metadata, build its [`KeyEntry`] in place, hand it to
    /// `on_key` and move past it. `None` (nothing consumed) for anything
    /// else — other opcodes, the header, a reader that computes the
    /// checksum, and a key that does not parse (then [`Reader::next`] reads
    /// the same bytes again and reports the error). Building no [`Event`]
    /// and no [`Located`] for each key halves what a key costs a tally.
    #[inline]
    pub fn next_key<'a, T>(
        &mut self,
        input: &'a [u8],
        on_key: impl FnOnce(&KeyEntry<'a>) -> T,
    ) -> Option<T> {
        if self.state != State::Body || self.compute_checksum {
            return None;
        }
        let mut cur = Cursor::new(input, self.pos, true);
        // The entry is handed over where it is built: returned through
        // a Result and an Option, it was copied twice per key.
        let done = self.lean_key(&mut cur, on_key).ok()??;
        self.pos = cur.offset();
        Some(done)
    }

    /// The quickest path, for a summary: when the input at
    /// [`Reader::position`] (final, as for [`Reader::next_key`]) is a key
    /// whose facts the summary can take from its headers and lengths (see
    /// [`super::quick`]), move past it and return them. `None` (nothing
    /// consumed) for anything else, which [`Reader::next_key`] or
    /// [`Reader::next`] then reads.
    #[inline]
    pub fn next_key_facts<'a>(&mut self, input: &'a [u8]) -> Option<KeyFacts<'a>> {
        if self.state != State::Body || self.compute_checksum {
            return None;
        }
        let mut cur = Cursor::new(input, self.pos, true);
        let facts = super::quick::key_facts(&mut cur, self.magic, self.db)?;
        self.pos = cur.offset();
        Some(facts)
    }

    /// The quick path for copying keys out as stored: when the input at
    /// [`Reader::position`] (final) is a key of the common shapes (see
    /// [`super::quick`]) with a raw key, and `wanted` takes its value type,
    /// move past it and return where its parts are. `None` (nothing
    /// consumed) for anything else, which [`Reader::next_key`] or
    /// [`Reader::next`] then reads.
    #[inline]
    pub fn next_key_span<'a>(
        &mut self,
        input: &'a [u8],
        wanted: impl FnOnce(ValueType) -> bool,
    ) -> Option<KeySpan<'a>> {
        if self.state != State::Body || self.compute_checksum {
            return None;
        }
        let mut cur = Cursor::new(input, self.pos, true);
        let span = super::quick::key_span(&mut cur, self.magic)?;
        if !wanted(span.value_type) {
            return None;
        }
        self.pos = cur.offset();
        Some(span)
    }

    /// Move past the key at [`Reader::position`] by its lengths alone, when
    /// it is of a shape [`Reader::next_key_facts`] takes; false (nothing
    /// consumed) for anything else. For finding where keys start: a value
    /// that does not parse is not noticed here.
    #[inline]
    pub(super) fn skip_key(&mut self, input: &[u8]) -> bool {
        if self.state != State::Body || self.compute_checksum {
            return false;
        }
        let mut cur = Cursor::new(input, self.pos, true);
        if super::quick::skip_key(&mut cur, self.magic).is_none() {
            return false;
        }
        self.pos = cur.offset();
        true
    }

    #[inline(always)]
    fn lean_key<'a, T>(
        &self,
        cur: &mut Cursor<'a>,
        on_key: impl FnOnce(&KeyEntry<'a>) -> T,
    ) -> Result<Option<T>> {
        let mut expire_ms = None;
        let mut idle = None;
        let mut freq = None;
        let (vt, at) = loop {
            let at = cur.offset();
            let Some(op) = cur.peek() else {
                return Ok(None);
            };
            match op {
                OPCODE_EXPIRETIME_MS => {
                    cur.u8("expiry")?;
                    expire_ms = Some(cur.rdb_millis("expiry")?);
                }
                OPCODE_EXPIRETIME => {
                    cur.u8("expiry")?;
                    expire_ms = Some(i64::from(cur.u32_le("expiry")?) * 1000);
                }
                OPCODE_IDLE => {
                    cur.u8("LRU idle time")?;
                    idle = Some(cur.rdb_len("LRU idle time")?);
                }
                OPCODE_FREQ => {
                    cur.u8("LFU frequency")?;
                    freq = Some(cur.u8("LFU frequency")?);
                }
                byte if byte < OPCODE_KEY_META => match ValueType::from_byte(byte, self.magic) {
                    Some(vt) if vt != ValueType::ModulePreGa => {
                        cur.u8("value type")?;
                        break (vt, at);
                    }
                    _ => return Ok(None),
                },
                _ => return Ok(None),
            }
        };
        let key = cur.rdb_str("key")?;
        let value = read_value(cur, vt, &key)?;
        Ok(Some(on_key(&KeyEntry {
            db: self.db,
            key,
            value,
            expire_ms,
            idle,
            freq,
            meta: None,
            size: cur.offset() - at,
            offset: at,
        })))
    }

    fn header<'a>(&mut self, cur: &mut Cursor<'a>) -> Result<Event<'a>> {
        let (magic, digits) = match cur.peek() {
            Some(b'R') => (Magic::Redis, 4),
            Some(b'V') => (Magic::Valkey, 3),
            Some(_) => return Err(RdbError::new(ErrorKind::BadMagic, 0)),
            None => {
                // Empty input: "need more" or "unexpected end", as the
                // cursor decides from whether the input is final.
                cur.u8("the magic string")?;
                return Err(RdbError::new(ErrorKind::BadMagic, 0));
            }
        };
        let name = magic.as_str().as_bytes();
        let head = cur.bytes(name.len() + digits, "the magic string")?;
        if &head[..name.len()] != name {
            return Err(RdbError::new(ErrorKind::BadMagic, 0));
        }
        let digits = &head[name.len()..];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(RdbError::new(ErrorKind::BadMagic, name.len() as u64));
        }
        let version = digits
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
        let max = match magic {
            Magic::Redis => MAX_REDIS_VERSION,
            Magic::Valkey => MAX_VALKEY_VERSION,
        };
        let min = match magic {
            Magic::Redis => 1,
            Magic::Valkey => 80,
        };
        if version < min || version > max {
            return Err(RdbError::new(
                ErrorKind::UnsupportedVersion(version),
                name.len() as u64,
            ));
        }
        self.magic = magic;
        self.version = version;
        self.state = State::Body;
        Ok(Event::Header { magic, version })
    }

    #[inline(always)]
    fn body<'a>(&mut self, cur: &mut Cursor<'a>) -> Result<Event<'a>> {
        let mut expire_ms = None;
        let mut idle = None;
        let mut freq = None;
        let mut meta = None;
        loop {
            let at = cur.offset();
            let op = cur.u8("an opcode or value type")?;
            match op {
                OPCODE_EOF => {
                    if expire_ms.is_some() || idle.is_some() || freq.is_some() {
                        return Err(RdbError::invalid(
                            at,
                            "end of file right after a key's expiry or LRU/LFU data",
                        ));
                    }
                    let stored = if self.version >= 5 {
                        Some(cur.u64_le("the checksum")?)
                    } else {
                        None
                    };
                    return Ok(Event::Eof {
                        stored,
                        computed: None,
                    });
                }
                OPCODE_SELECTDB => {
                    let db = cur.rdb_len("database number")?;
                    self.db = db;
                    return Ok(Event::SelectDb { db });
                }
                OPCODE_RESIZEDB => {
                    let keys = cur.rdb_len("database size")?;
                    let expires = cur.rdb_len("expires size")?;
                    return Ok(Event::ResizeDb { keys, expires });
                }
                OPCODE_AUX => {
                    let key = cur.rdb_str("aux field name")?;
                    let value = cur.rdb_str("aux field value")?;
                    return Ok(Event::Aux { key, value });
                }
                OPCODE_EXPIRETIME_MS => expire_ms = Some(cur.rdb_millis("expiry")?),
                OPCODE_EXPIRETIME => {
                    let secs = cur.u32_le("expiry")?;
                    expire_ms = Some(i64::from(secs) * 1000);
                }
                OPCODE_IDLE => idle = Some(cur.rdb_len("LRU idle time")?),
                OPCODE_FREQ => freq = Some(cur.u8("LFU frequency")?),
                OPCODE_MODULE_AUX => {
                    let id = cur.rdb_len("module id")?;
                    let when_op = cur.rdb_len("module aux when opcode")?;
                    if when_op != MODULE_OPCODE_UINT {
                        return Err(RdbError::invalid(
                            at,
                            "module aux data without its 'when' field",
                        ));
                    }
                    let when = cur.rdb_len("module aux when")?;
                    let start = cur.pos();
                    cur.skip_module_opcodes("module aux data")?;
                    let (module, module_version) = module_name(id);
                    return Ok(Event::ModuleAux {
                        module,
                        module_version,
                        when,
                        data: cur.since(start),
                    });
                }
                OPCODE_FUNCTION_PRE_GA => {
                    let name = cur.rdb_str("function name")?;
                    let engine = cur.rdb_str("function engine")?;
                    let has_desc = cur.rdb_len("function description flag")?;
                    let description = if has_desc != 0 {
                        Some(cur.rdb_str("function description")?)
                    } else {
                        None
                    };
                    let code = cur.rdb_str("function code")?;
                    return Ok(Event::Function {
                        pre_ga: true,
                        name: Some(name),
                        engine: Some(engine),
                        description,
                        code,
                    });
                }
                OPCODE_FUNCTION2 => {
                    let code = cur.rdb_str("function library")?;
                    return Ok(Event::Function {
                        pre_ga: false,
                        name: None,
                        engine: None,
                        description: None,
                        code,
                    });
                }
                OPCODE_SLOT_INFO => {
                    let slot = cur.rdb_len("slot id")?;
                    let keys = cur.rdb_len("slot size")?;
                    let expires = cur.rdb_len("slot expires size")?;
                    return Ok(Event::SlotInfo {
                        slot,
                        keys,
                        expires,
                    });
                }
                OPCODE_KEY_META if self.magic == Magic::Valkey => {
                    let job = cur.rdb_str("slot import job name")?;
                    let n = cur.rdb_count("slot import range count", 2)?;
                    let mut ranges = Vec::new();
                    for _ in 0..n {
                        let start = cur.rdb_len("slot range start")?;
                        let end = cur.rdb_len("slot range end")?;
                        ranges.push((start, end));
                    }
                    return Ok(Event::SlotImport { job, ranges });
                }
                OPCODE_KEY_META => {
                    let start = cur.pos();
                    let classes = cur.rdb_count("key metadata class count", 5)?;
                    for _ in 0..classes {
                        cur.bytes(4, "key metadata class")?;
                        cur.skip_module_opcodes("key metadata")?;
                    }
                    meta = Some(cur.since(start));
                }
                byte => {
                    let Some(vt) = ValueType::from_byte(byte, self.magic) else {
                        return Err(RdbError::new(ErrorKind::UnknownType(byte), at));
                    };
                    let key = cur.rdb_str("key")?;
                    if vt == ValueType::ModulePreGa {
                        let name = String::from_utf8_lossy(&key.to_bytes()?).into_owned();
                        return Err(RdbError::new(
                            ErrorKind::ModuleNotSkippable { key: name },
                            at,
                        ));
                    }
                    let value = read_value(cur, vt, &key)?;
                    return Ok(Event::Key(KeyEntry {
                        db: self.db,
                        key,
                        value,
                        expire_ms,
                        idle,
                        freq,
                        meta,
                        size: cur.offset() - at,
                        offset: at,
                    }));
                }
            }
        }
    }
}

/// Iterate the events of a complete RDB image (a file or mmap). Stops
/// after EOF or the first error; the error is yielded once.
pub fn events(data: &[u8]) -> Events<'_> {
    Events {
        data,
        reader: Reader::new(),
        failed: false,
    }
}

pub struct Events<'a> {
    data: &'a [u8],
    reader: Reader,
    failed: bool,
}

impl<'a> Events<'a> {
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// Skip computing the checksum (see [`Reader::without_checksum`]).
    pub fn without_checksum(mut self) -> Events<'a> {
        self.reader = self.reader.without_checksum();
        self
    }

    /// Bytes after the EOF record (a warning, not an error, for callers).
    pub fn trailing(&self) -> u64 {
        (self.data.len() as u64).saturating_sub(self.reader.position())
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Result<Located<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self
            .data
            .get(self.reader.position() as usize..)
            .unwrap_or(&[]);
        match self.reader.next(rest, true) {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// A key's value where the cursor stands: a string is read whole (most
/// keys are strings: its header is read once), anything else is skipped
/// by its lengths.
#[inline]
fn read_value<'a>(cur: &mut Cursor<'a>, vt: ValueType, key: &RdbStr<'a>) -> Result<Value<'a>> {
    let value_start = cur.pos();
    let value_offset = cur.offset();
    if vt == ValueType::String {
        let string = cur.rdb_str_value("string value")?;
        Ok(Value::from_string(
            string,
            cur.since(value_start),
            value_offset,
        ))
    } else {
        let known = value::skip(cur, vt, key)?;
        Ok(Value::new(vt, cur.since(value_start), value_offset, known))
    }
}
