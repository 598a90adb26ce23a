//! The RDB vocabulary: opcodes, value type bytes and what they mean under
//! each magic, the length encoding, and strings (raw, int-encoded, LZF).
//!
//! Length encoding: the top two bits of the first byte choose 6-bit (`00`),
//! 14-bit big-endian (`01`), 32-bit (`0x80` and 4 bytes BE) or 64-bit
//! (`0x81` and 8 bytes BE) lengths; `11` marks a specially encoded string: an 8, 16
//! or 32-bit little-endian integer, or LZF (compressed length, original
//! length, compressed bytes).

use std::borrow::Cow;

use super::cursor::Cursor;
use super::error::{ErrorKind, RdbError, Result};
use super::lzf;

pub const OPCODE_KEY_META: u8 = 243; // Redis 8.6 (RDB 13); Valkey: SLOT_IMPORT
pub const OPCODE_SLOT_INFO: u8 = 244;
pub const OPCODE_FUNCTION2: u8 = 245;
pub const OPCODE_FUNCTION_PRE_GA: u8 = 246;
pub const OPCODE_MODULE_AUX: u8 = 247;
pub const OPCODE_IDLE: u8 = 248;
pub const OPCODE_FREQ: u8 = 249;
pub const OPCODE_AUX: u8 = 250;
pub const OPCODE_RESIZEDB: u8 = 251;
pub const OPCODE_EXPIRETIME_MS: u8 = 252;
pub const OPCODE_EXPIRETIME: u8 = 253;
pub const OPCODE_SELECTDB: u8 = 254;
pub const OPCODE_EOF: u8 = 255;

/// Module value opcodes (RDB_TYPE_MODULE_2, MODULE_AUX, KEY_META).
pub const MODULE_OPCODE_EOF: u64 = 0;
pub const MODULE_OPCODE_SINT: u64 = 1;
pub const MODULE_OPCODE_UINT: u64 = 2;
pub const MODULE_OPCODE_FLOAT: u64 = 3;
pub const MODULE_OPCODE_DOUBLE: u64 = 4;
pub const MODULE_OPCODE_STRING: u64 = 5;

/// Which server family wrote the file; it decides what clashing numbers
/// mean (type 22, opcode 243).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Magic {
    Redis,
    Valkey,
}

impl Magic {
    pub fn as_str(self) -> &'static str {
        match self {
            Magic::Redis => "REDIS",
            Magic::Valkey => "VALKEY",
        }
    }
}

/// Highest RDB version of each family that this reader understands.
pub const MAX_REDIS_VERSION: u32 = 13;
pub const MAX_VALKEY_VERSION: u32 = 80;
/// The version the writer produces (Redis 7.0).
pub const WRITE_VERSION: u16 = 10;

/// The on-disk value type, resolved against the magic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    String,
    List,
    Set,
    Zset,
    Hash,
    Zset2,
    ModulePreGa,
    Module2,
    HashZipmap,
    ListZiplist,
    SetIntset,
    ZsetZiplist,
    HashZiplist,
    ListQuicklist,
    StreamListpacks,
    HashListpack,
    ZsetListpack,
    ListQuicklist2,
    StreamListpacks2,
    SetListpack,
    StreamListpacks3,
    HashMetadataPreGa,
    HashListpackExPreGa,
    HashMetadata,
    HashListpackEx,
    StreamListpacks4,
    /// Valkey 9's hash with field expiries (type 22 under VALKEY magic).
    ValkeyHash2,
}

/// The Redis data type a value holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectType {
    String,
    List,
    Set,
    Zset,
    Hash,
    Stream,
    Module,
}

impl ObjectType {
    pub fn name(self) -> &'static str {
        match self {
            ObjectType::String => "string",
            ObjectType::List => "list",
            ObjectType::Set => "set",
            ObjectType::Zset => "zset",
            ObjectType::Hash => "hash",
            ObjectType::Stream => "stream",
            ObjectType::Module => "module",
        }
    }

    pub fn parse(name: &str) -> Option<ObjectType> {
        [
            ObjectType::String,
            ObjectType::List,
            ObjectType::Set,
            ObjectType::Zset,
            ObjectType::Hash,
            ObjectType::Stream,
            ObjectType::Module,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }
}

impl ValueType {
    /// The value type for a type byte, or `None` when the byte is not a
    /// value type in this family.
    pub fn from_byte(byte: u8, magic: Magic) -> Option<ValueType> {
        use ValueType::*;
        Some(match (byte, magic) {
            (0, _) => String,
            (1, _) => List,
            (2, _) => Set,
            (3, _) => Zset,
            (4, _) => Hash,
            (5, _) => Zset2,
            (6, _) => ModulePreGa,
            (7, _) => Module2,
            (9, _) => HashZipmap,
            (10, _) => ListZiplist,
            (11, _) => SetIntset,
            (12, _) => ZsetZiplist,
            (13, _) => HashZiplist,
            (14, _) => ListQuicklist,
            (15, _) => StreamListpacks,
            (16, _) => HashListpack,
            (17, _) => ZsetListpack,
            (18, _) => ListQuicklist2,
            (19, _) => StreamListpacks2,
            (20, _) => SetListpack,
            (21, _) => StreamListpacks3,
            (22, Magic::Redis) => HashMetadataPreGa,
            (22, Magic::Valkey) => ValkeyHash2,
            (23, Magic::Redis) => HashListpackExPreGa,
            (24, Magic::Redis) => HashMetadata,
            (25, Magic::Redis) => HashListpackEx,
            (26, Magic::Redis) => StreamListpacks4,
            _ => return None,
        })
    }

    /// The type byte this value type is written with.
    pub fn byte(self) -> u8 {
        use ValueType::*;
        match self {
            String => 0,
            List => 1,
            Set => 2,
            Zset => 3,
            Hash => 4,
            Zset2 => 5,
            ModulePreGa => 6,
            Module2 => 7,
            HashZipmap => 9,
            ListZiplist => 10,
            SetIntset => 11,
            ZsetZiplist => 12,
            HashZiplist => 13,
            ListQuicklist => 14,
            StreamListpacks => 15,
            HashListpack => 16,
            ZsetListpack => 17,
            ListQuicklist2 => 18,
            StreamListpacks2 => 19,
            SetListpack => 20,
            StreamListpacks3 => 21,
            HashMetadataPreGa | ValkeyHash2 => 22,
            HashListpackExPreGa => 23,
            HashMetadata => 24,
            HashListpackEx => 25,
            StreamListpacks4 => 26,
        }
    }

    #[inline]
    pub fn object_type(self) -> ObjectType {
        use ValueType::*;
        match self {
            String => ObjectType::String,
            List | ListZiplist | ListQuicklist | ListQuicklist2 => ObjectType::List,
            Set | SetIntset | SetListpack => ObjectType::Set,
            Zset | Zset2 | ZsetZiplist | ZsetListpack => ObjectType::Zset,
            Hash | HashZipmap | HashZiplist | HashListpack | HashMetadataPreGa
            | HashListpackExPreGa | HashMetadata | HashListpackEx | ValkeyHash2 => ObjectType::Hash,
            StreamListpacks | StreamListpacks2 | StreamListpacks3 | StreamListpacks4 => {
                ObjectType::Stream
            }
            ModulePreGa | Module2 => ObjectType::Module,
        }
    }

    /// The encoding as stored on disk, in the words OBJECT ENCODING uses
    /// where one applies. Strings report "string" here; their real
    /// encoding (int, raw, lzf) depends on the bytes, see
    /// [`RdbStr::encoding`].
    #[inline]
    pub fn encoding(self) -> &'static str {
        use ValueType::*;
        match self {
            String => "string",
            List => "linkedlist",
            Set | Hash | HashMetadata | HashMetadataPreGa | ValkeyHash2 => "hashtable",
            Zset | Zset2 => "skiplist",
            HashZipmap => "zipmap",
            ListZiplist | ZsetZiplist | HashZiplist => "ziplist",
            SetIntset => "intset",
            ListQuicklist | ListQuicklist2 => "quicklist",
            HashListpack | ZsetListpack | SetListpack => "listpack",
            HashListpackEx | HashListpackExPreGa => "listpackex",
            StreamListpacks | StreamListpacks2 | StreamListpacks3 | StreamListpacks4 => "stream",
            ModulePreGa | Module2 => "module",
        }
    }
}

/// A string as stored: raw bytes, an integer, or LZF-compressed bytes. It
/// borrows from the input; [`RdbStr::to_bytes`] gives the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RdbStr<'a> {
    Raw(&'a [u8]),
    Int(i64),
    Lzf {
        compressed: &'a [u8],
        len: u64,
        /// Absolute offset of the compressed bytes, for errors.
        offset: u64,
    },
}

impl<'a> RdbStr<'a> {
    /// The length of the string's bytes (decimal digits for integers).
    #[inline]
    pub fn len(&self) -> u64 {
        match self {
            RdbStr::Raw(b) => b.len() as u64,
            RdbStr::Int(i) => itoa::Buffer::new().format(*i).len() as u64,
            RdbStr::Lzf { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// "int", "raw" or "lzf".
    pub fn encoding(&self) -> &'static str {
        match self {
            RdbStr::Raw(_) => "raw",
            RdbStr::Int(_) => "int",
            RdbStr::Lzf { .. } => "lzf",
        }
    }

    /// The bytes, borrowed when stored raw.
    pub fn to_bytes(&self) -> Result<Cow<'a, [u8]>> {
        match *self {
            RdbStr::Raw(b) => Ok(Cow::Borrowed(b)),
            RdbStr::Int(i) => Ok(Cow::Owned(
                itoa::Buffer::new().format(i).as_bytes().to_vec(),
            )),
            RdbStr::Lzf {
                compressed,
                len,
                offset,
            } => {
                let mut out = Vec::new();
                expand_lzf(compressed, len, offset, &mut out)?;
                Ok(Cow::Owned(out))
            }
        }
    }

    /// The bytes, into `out` (cleared first); no allocation when `out` is
    /// large enough already.
    pub fn write_into(&self, out: &mut Vec<u8>) -> Result<()> {
        match *self {
            RdbStr::Raw(b) => {
                out.clear();
                out.extend_from_slice(b);
                Ok(())
            }
            RdbStr::Int(i) => {
                out.clear();
                out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
                Ok(())
            }
            RdbStr::Lzf {
                compressed,
                len,
                offset,
            } => expand_lzf(compressed, len, offset, out),
        }
    }
}

/// Decompress after checking the declared length is possible at all.
pub fn expand_lzf(compressed: &[u8], len: u64, offset: u64, out: &mut Vec<u8>) -> Result<()> {
    if len > (compressed.len() as u64).saturating_mul(lzf::MAX_EXPANSION) + 16 {
        return Err(RdbError::invalid(
            offset,
            format!(
                "LZF string claims {len} bytes from {} compressed bytes, more than LZF can expand to",
                compressed.len()
            ),
        ));
    }
    lzf::decompress_into(compressed, len as usize, out).map_err(|e| RdbError::new(e.into(), offset))
}

/// A length, or the marker of a specially encoded string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Cursor<'a> {
    /// A length or encoded-string marker.
    #[inline(always)]
    pub fn rdb_len_or_enc(&mut self, what: &'static str) -> Result<Len> {
        let first = self.u8(what)?;
        Ok(match first >> 6 {
            0 => Len::Plain(u64::from(first & 0x3f)),
            1 => {
                let second = self.u8(what)?;
                Len::Plain(u64::from(first & 0x3f) << 8 | u64::from(second))
            }
            2 => match first {
                0x80 => Len::Plain(u64::from(self.u32_be(what)?)),
                0x81 => Len::Plain(self.u64_be(what)?),
                other => {
                    return Err(RdbError::invalid(
                        self.offset() - 1,
                        format!("unknown length encoding {other:#04x} in {what}"),
                    ));
                }
            },
            _ => Len::Encoded(first & 0x3f),
        })
    }

    /// A plain length (an encoded-string marker here is an error).
    #[inline(always)]
    pub fn rdb_len(&mut self, what: &'static str) -> Result<u64> {
        // Most lengths fit the one-byte form: that case inline.
        if let Some(&first) = self.rest().first()
            && first < 0x40
        {
            self.pos += 1;
            return Ok(u64::from(first));
        }
        self.rdb_len_long(what)
    }

    #[inline(never)]
    fn rdb_len_long(&mut self, what: &'static str) -> Result<u64> {
        let start = self.offset();
        match self.rdb_len_or_enc(what)? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => Err(RdbError::invalid(
                start,
                format!("expected a length for {what}, found a string encoding marker"),
            )),
        }
    }

    /// A length used as an element count: it must be possible with the
    /// bytes left, at `min_bytes` per element, so that no count read from
    /// a corrupt file sizes an allocation or a loop beyond the input.
    #[inline]
    pub fn rdb_count(&mut self, what: &'static str, min_bytes: u64) -> Result<u64> {
        let start = self.offset();
        let n = self.rdb_len(what)?;
        let need = n.saturating_mul(min_bytes);
        if need > self.remaining() as u64 {
            let mut e = self.clone();
            e.pos = (start - e.base) as usize;
            return Err(e.short(need, what, true));
        }
        Ok(n)
    }

    /// An RDB string, borrowed.
    #[inline(always)]
    pub fn rdb_str(&mut self, what: &'static str) -> Result<RdbStr<'a>> {
        // Most strings (keys, short values) are raw and under 64 bytes,
        // with a one-byte length: that case inline.
        let rest = self.rest();
        if let Some(&first) = rest.first()
            && first < 0x40
            && let Some(s) = rest.get(1..1 + usize::from(first))
        {
            self.pos += 1 + s.len();
            return Ok(RdbStr::Raw(s));
        }
        self.rdb_str_long(what)
    }

    /// A string value: [`Cursor::rdb_str`], with the LZF form with
    /// one-byte lengths (what most values longer than 20 bytes are) also
    /// read inline.
    #[inline(always)]
    pub fn rdb_str_value(&mut self, what: &'static str) -> Result<RdbStr<'a>> {
        let rest = self.rest();
        if let [0xc3, clen, len, ..] = *rest
            && clen < 0x40
            && len < 0x40
            && let Some(compressed) = rest.get(3..3 + usize::from(clen))
        {
            let offset = self.offset() + 3;
            self.pos += 3 + compressed.len();
            return Ok(RdbStr::Lzf {
                compressed,
                len: u64::from(len),
                offset,
            });
        }
        self.rdb_str(what)
    }

    #[inline(never)]
    fn rdb_str_long(&mut self, what: &'static str) -> Result<RdbStr<'a>> {
        let start = self.offset();
        match self.rdb_len_or_enc(what)? {
            Len::Plain(n) => Ok(RdbStr::Raw(self.declared(n, what)?)),
            Len::Encoded(0) => Ok(RdbStr::Int(i64::from(self.u8(what)? as i8))),
            Len::Encoded(1) => Ok(RdbStr::Int(i64::from(self.u16_le(what)? as i16))),
            Len::Encoded(2) => Ok(RdbStr::Int(i64::from(self.u32_le(what)? as i32))),
            Len::Encoded(3) => {
                let clen = self.rdb_len(what)?;
                let len = self.rdb_len(what)?;
                let offset = self.offset();
                let compressed = self.declared(clen, what)?;
                Ok(RdbStr::Lzf {
                    compressed,
                    len,
                    offset,
                })
            }
            Len::Encoded(other) => Err(RdbError::invalid(
                start,
                format!("unknown string encoding {other} in {what}"),
            )),
        }
    }

    /// Redis's old text double (plain ZSET scores): a length byte, or 253
    /// NaN, 254 +inf, 255 -inf.
    pub fn rdb_text_double(&mut self, what: &'static str) -> Result<f64> {
        let start = self.offset();
        let len = self.u8(what)?;
        match len {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let text = self.bytes(usize::from(n), what)?;
                parse_double(text).ok_or_else(|| {
                    RdbError::invalid(start, format!("{what} is not a number: {text:?}"))
                })
            }
        }
    }

    /// Millisecond time: 8 bytes little-endian.
    pub fn rdb_millis(&mut self, what: &'static str) -> Result<i64> {
        self.i64_le(what)
    }

    #[inline]
    pub fn skip_rdb_str(&mut self, what: &'static str) -> Result<()> {
        self.rdb_str(what).map(|_| ())
    }

    /// Skip a module value written with module opcodes up to its EOF.
    pub fn skip_module_opcodes(&mut self, what: &'static str) -> Result<()> {
        loop {
            let at = self.offset();
            match self.rdb_len(what)? {
                MODULE_OPCODE_EOF => return Ok(()),
                MODULE_OPCODE_SINT | MODULE_OPCODE_UINT => {
                    self.rdb_len(what)?;
                }
                MODULE_OPCODE_FLOAT => {
                    self.bytes(4, what)?;
                }
                MODULE_OPCODE_DOUBLE => {
                    self.bytes(8, what)?;
                }
                MODULE_OPCODE_STRING => self.skip_rdb_str(what)?,
                other => {
                    return Err(RdbError::invalid(
                        at,
                        format!("unknown module opcode {other} in {what}"),
                    ));
                }
            }
        }
    }
}

/// Parse a decimal double as Redis writes it ("1.5", "inf", "-inf",
/// "nan", "3e+20").
pub fn parse_double(text: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(text).ok()?;
    match s {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        _ => s.parse::<f64>().ok(),
    }
}

/// The module name packed in a 64-bit module id: 9 characters of 6 bits
/// from the charset below, then a 10-bit encoding version.
pub fn module_name(id: u64) -> (String, u64) {
    const CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut name = String::with_capacity(9);
    for i in 0..9 {
        let shift = 64 - 6 * (i + 1);
        name.push(CHARSET[((id >> shift) & 63) as usize] as char);
    }
    (name, id & 1023)
}

/// The error kind for running out of input while reading `what`.
pub fn eof(what: &'static str) -> ErrorKind {
    ErrorKind::UnexpectedEof { what }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_length_width() {
        let data = [
            0x05, 0x41, 0x02, 0x80, 0, 1, 0, 0, 0x81, 0, 0, 0, 1, 0, 0, 0, 0,
        ];
        let mut c = Cursor::new(&data, 0, true);
        assert_eq!(c.rdb_len("t").unwrap(), 5);
        assert_eq!(c.rdb_len("t").unwrap(), 0x102);
        assert_eq!(c.rdb_len("t").unwrap(), 65536);
        assert_eq!(c.rdb_len("t").unwrap(), 1 << 32);
        assert!(c.is_empty());
    }

    #[test]
    fn reads_int_and_lzf_strings() {
        let data = [0xc0, 0xfe, 0xc1, 0x39, 0x30, 0xc2, 0x15, 0xcd, 0x5b, 0x07];
        let mut c = Cursor::new(&data, 0, true);
        assert_eq!(c.rdb_str("t").unwrap(), RdbStr::Int(-2));
        assert_eq!(c.rdb_str("t").unwrap(), RdbStr::Int(12345));
        assert_eq!(c.rdb_str("t").unwrap(), RdbStr::Int(123_456_789));
        // "aaaaaaaaaa": literal 'a', then copy 9 from 1 back.
        let lzf = [0xc3, 0x05, 0x0a, 0x00, b'a', 0xe0, 0x00, 0x00];
        let mut c = Cursor::new(&lzf, 0, true);
        let s = c.rdb_str("t").unwrap();
        assert_eq!(s.encoding(), "lzf");
        assert_eq!(&*s.to_bytes().unwrap(), b"aaaaaaaaaa");
    }

    #[test]
    fn declared_lengths_are_checked_against_the_input() {
        let data = [0x80, 0x7f, 0xff, 0xff, 0xff, b'x'];
        let err = Cursor::new(&data, 100, true).rdb_str("value").unwrap_err();
        assert_eq!(err.kind.name(), "length_exceeds_input");
        assert_eq!(err.offset, 105);
        let err = Cursor::new(&data, 100, false).rdb_str("value").unwrap_err();
        assert!(err.is_need_more());
        // An LZF string claiming a gigantic length is refused before any allocation.
        let lzf = [0xc3, 0x02, 0x81, 0, 0, 0, 0x10, 0, 0, 0, 0, 0x00, b'a'];
        let s = Cursor::new(&lzf, 0, true).rdb_str("t").unwrap();
        assert_eq!(s.to_bytes().unwrap_err().kind.name(), "invalid_encoding");
    }

    #[test]
    fn module_ids_decode_to_names() {
        // "hellotype" version 0, as in the module API example.
        let mut id = 0u64;
        const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for ch in b"hellotype" {
            let idx = CHARSET.iter().position(|c| c == ch).unwrap() as u64;
            id = (id << 6) | idx;
        }
        id <<= 10;
        assert_eq!(module_name(id | 3), ("hellotype".to_owned(), 3));
    }
}
