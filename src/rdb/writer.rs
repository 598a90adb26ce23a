//! The writer: RDB version 10 (what Redis 7.0 and later load), from
//! borrowed, type-generic descriptions of values ([`ValueRef`]), so any
//! keyspace representation can feed it without first copying into a
//! sonde-specific structure.
//!
//! Values are written in the plain encodings (string, list, set, hash,
//! zset2); Redis converts small ones to listpacks/intsets as it loads them.
//! Strings use integer encoding when Redis would (canonical decimal that
//! fits 32 bits) and LZF when that saves at least four bytes, as Redis's
//! `rdbcompression yes` does.

use std::io::{self, Write};

use super::crc64;
use super::format::*;
use super::lzf;

/// A value to write, borrowed from wherever it lives. Collections are
/// exact-size iterators: the count is written before the elements.
pub enum ValueRef<'a, 'v> {
    String(&'v [u8]),
    List(&'a mut dyn ExactSizeIterator<Item = &'v [u8]>),
    Set(&'a mut dyn ExactSizeIterator<Item = &'v [u8]>),
    Hash(&'a mut dyn ExactSizeIterator<Item = (&'v [u8], &'v [u8])>),
    Zset(&'a mut dyn ExactSizeIterator<Item = (&'v [u8], f64)>),
    /// A value already serialized: its type byte and the bytes that follow
    /// the key, written unchanged (values a server keeps opaque, such as
    /// streams and module types it cannot operate on). The bytes are
    /// trusted to be a well-formed value of that type.
    Raw {
        rdb_type: u8,
        data: &'v [u8],
    },
}

/// Why a value could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("empty {0}: Redis does not store empty collections")]
    EmptyCollection(&'static str),
    #[error("{what} iterator promised {promised} elements and gave {given}")]
    CountMismatch {
        what: &'static str,
        promised: usize,
        given: usize,
    },
}

/// Append an RDB length.
pub fn put_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else if n <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// The integer a string spells in canonical form, if it fits 32 bits
/// (Redis's rule for int-encoding strings in RDB files).
fn int_encodable(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 11 {
        return None;
    }
    let v: i64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    (itoa::Buffer::new().format(v).as_bytes() == s && i32::try_from(v).is_ok()).then_some(v)
}

/// Append an RDB string: int-encoded, LZF-compressed or raw.
pub fn put_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if let Some(v) = int_encodable(s) {
        if let Ok(b) = i8::try_from(v) {
            out.push(0xc0);
            out.push(b as u8);
        } else if let Ok(h) = i16::try_from(v) {
            out.push(0xc1);
            out.extend_from_slice(&h.to_le_bytes());
        } else {
            out.push(0xc2);
            out.extend_from_slice(&(v as i32).to_le_bytes());
        }
        return;
    }
    if compress
        && s.len() > 20
        && let Some(packed) = lzf::compress(s, s.len() - 3)
    {
        out.push(0xc3);
        put_len(out, packed.len() as u64);
        put_len(out, s.len() as u64);
        out.extend_from_slice(&packed);
        return;
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// A count, then each member as a string.
fn put_members(
    out: &mut Vec<u8>,
    items: &mut dyn ExactSizeIterator<Item = &[u8]>,
    compress: bool,
    what: &'static str,
) -> Result<(), WriteError> {
    let n = items.len();
    put_len(out, n as u64);
    let mut given = 0;
    for item in items {
        put_string(out, item, compress);
        given += 1;
    }
    check_count(what, n, given)
}

fn check_count(what: &'static str, promised: usize, given: usize) -> Result<(), WriteError> {
    if promised != given {
        return Err(WriteError::CountMismatch {
            what,
            promised,
            given,
        });
    }
    if given == 0 {
        return Err(WriteError::EmptyCollection(what));
    }
    Ok(())
}

/// Append a value's serialized form; returns its type byte.
pub fn put_value(
    out: &mut Vec<u8>,
    value: ValueRef<'_, '_>,
    compress: bool,
) -> Result<u8, WriteError> {
    Ok(match value {
        ValueRef::String(s) => {
            put_string(out, s, compress);
            ValueType::String.byte()
        }
        ValueRef::List(items) => {
            put_members(out, items, compress, "list")?;
            ValueType::List.byte()
        }
        ValueRef::Set(items) => {
            put_members(out, items, compress, "set")?;
            ValueType::Set.byte()
        }
        ValueRef::Hash(pairs) => {
            let n = pairs.len();
            put_len(out, n as u64);
            let mut given = 0;
            for (field, value) in pairs {
                put_string(out, field, compress);
                put_string(out, value, compress);
                given += 1;
            }
            check_count("hash", n, given)?;
            ValueType::Hash.byte()
        }
        ValueRef::Zset(members) => {
            let n = members.len();
            put_len(out, n as u64);
            let mut given = 0;
            for (member, score) in members {
                put_string(out, member, compress);
                out.extend_from_slice(&score.to_le_bytes());
                given += 1;
            }
            check_count("sorted set", n, given)?;
            ValueType::Zset2.byte()
        }
        ValueRef::Raw { rdb_type, data } => {
            out.extend_from_slice(data);
            rdb_type
        }
    })
}

/// Writes an RDB file: header on creation, then records, then
/// [`Writer::finish`] for the EOF opcode and the CRC-64.
pub struct Writer<W: Write> {
    out: W,
    crc: u64,
    compress: bool,
    buf: Vec<u8>,
    written: u64,
}

impl<W: Write> Writer<W> {
    /// Start a version-10 file (writes the magic).
    pub fn new(out: W) -> io::Result<Writer<W>> {
        let mut w = Writer {
            out,
            crc: 0,
            compress: true,
            buf: Vec::with_capacity(4096),
            written: 0,
        };
        w.buf
            .extend_from_slice(format!("REDIS{WRITE_VERSION:04}").as_bytes());
        w.flush_record()?;
        Ok(w)
    }

    /// LZF-compress long strings (on by default, like `rdbcompression`).
    pub fn compression(mut self, on: bool) -> Writer<W> {
        self.compress = on;
        self
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn flush_record(&mut self) -> io::Result<()> {
        self.crc = crc64::update(self.crc, &self.buf);
        self.out.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// An aux field (e.g. "redis-ver" "7.0.15").
    pub fn aux(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.buf.push(OPCODE_AUX);
        put_string(&mut self.buf, key, false);
        put_string(&mut self.buf, value, false);
        self.flush_record()
    }

    pub fn select_db(&mut self, db: u64) -> io::Result<()> {
        self.buf.push(OPCODE_SELECTDB);
        put_len(&mut self.buf, db);
        self.flush_record()
    }

    /// Size hints for the database that follows.
    pub fn resize_db(&mut self, keys: u64, expires: u64) -> io::Result<()> {
        self.buf.push(OPCODE_RESIZEDB);
        put_len(&mut self.buf, keys);
        put_len(&mut self.buf, expires);
        self.flush_record()
    }

    /// A function library (its code, as FUNCTION DUMP holds it).
    pub fn function(&mut self, code: &[u8]) -> io::Result<()> {
        self.buf.push(OPCODE_FUNCTION2);
        put_string(&mut self.buf, code, self.compress);
        self.flush_record()
    }

    /// A key with its value and optional absolute expiry (Unix ms).
    pub fn key(
        &mut self,
        key: &[u8],
        value: ValueRef<'_, '_>,
        expire_ms: Option<i64>,
    ) -> Result<(), WriteError> {
        if let Some(ms) = expire_ms {
            self.buf.push(OPCODE_EXPIRETIME_MS);
            self.buf.extend_from_slice(&ms.to_le_bytes());
        }
        let type_at = self.buf.len();
        self.buf.push(0);
        put_string(&mut self.buf, key, self.compress);
        match put_value(&mut self.buf, value, self.compress) {
            Ok(t) => {
                self.buf[type_at] = t;
                self.flush_record()?;
                Ok(())
            }
            Err(e) => {
                self.buf.clear();
                Err(e)
            }
        }
    }

    /// Write the EOF opcode and the checksum; returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.buf.push(OPCODE_EOF);
        self.flush_record()?;
        let crc = self.crc.to_le_bytes();
        self.out.write_all(&crc)?;
        self.written += 8;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_encoded_as_redis_does() {
        let mut out = Vec::new();
        put_string(&mut out, b"12", true);
        put_string(&mut out, b"-300", true);
        put_string(&mut out, b"70000", true);
        put_string(&mut out, b"012", true);
        put_string(&mut out, b"9999999999", true);
        assert_eq!(
            out,
            [
                &[0xc0, 12][..],
                &[0xc1, 0xd4, 0xfe],
                &[0xc2, 0x70, 0x11, 0x01, 0x00],
                &[3, b'0', b'1', b'2'],
                &[
                    10, b'9', b'9', b'9', b'9', b'9', b'9', b'9', b'9', b'9', b'9'
                ],
            ]
            .concat()
        );
        let mut out = Vec::new();
        put_string(&mut out, &[b'x'; 100], true);
        assert_eq!(out[0], 0xc3);
        assert!(out.len() < 20);
    }

    #[test]
    fn lengths_use_the_smallest_width() {
        for (n, len) in [
            (0u64, 1),
            (63, 1),
            (64, 2),
            (16383, 2),
            (16384, 5),
            (1 << 32, 9),
        ] {
            let mut out = Vec::new();
            put_len(&mut out, n);
            assert_eq!(out.len(), len, "{n}");
            let mut c = super::super::cursor::Cursor::new(&out, 0, true);
            assert_eq!(c.rdb_len("t").unwrap(), n);
        }
    }

    /// A raw value passes through byte for byte: a dump with a stream in
    /// it, rewritten key by key with `ValueRef::Raw`, reads back the same
    /// stream.
    #[test]
    fn raw_values_pass_through_unchanged() {
        // A stream of one entry (1-1 f v) as redis-server 7.0 serializes
        // it (type 19, from its DUMP payload).
        let mut original = Writer::new(Vec::new()).unwrap();
        let stream_data: &[u8] = &[
            0x01, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x01, 0x1d, 0x1d, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x01, 0x01, 0x00,
            0x01, 0x01, 0x01, 0x81, 0x66, 0x02, 0x00, 0x01, 0x02, 0x01, 0x00, 0x01, 0x00, 0x01,
            0x81, 0x76, 0x02, 0x04, 0x01, 0xff, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x01,
            0x00,
        ];
        original
            .key(
                b"s",
                ValueRef::Raw {
                    rdb_type: 19,
                    data: stream_data,
                },
                Some(1234),
            )
            .unwrap();
        let image = original.finish().unwrap();
        let mut keys = 0;
        for event in super::super::events(&image) {
            match event.unwrap().event {
                super::super::Event::Key(k) => {
                    keys += 1;
                    assert_eq!(k.value.value_type.byte(), 19);
                    assert_eq!(k.value.data, stream_data);
                    assert_eq!(k.expire_ms, Some(1234));
                    let stream = k.value.stream().expect("a readable stream");
                    assert_eq!(stream.entries.len(), 1);
                }
                super::super::Event::Eof { stored, computed } => assert_eq!(stored, computed),
                _ => {}
            }
        }
        assert_eq!(keys, 1);
    }

    #[test]
    fn a_lying_iterator_is_refused() {
        struct Liar(usize);
        impl Iterator for Liar {
            type Item = &'static [u8];
            fn next(&mut self) -> Option<&'static [u8]> {
                (self.0 > 0).then(|| {
                    self.0 -= 1;
                    &b"x"[..]
                })
            }
        }
        impl ExactSizeIterator for Liar {
            fn len(&self) -> usize {
                5
            }
        }
        let mut out = Vec::new();
        let err = put_value(&mut out, ValueRef::List(&mut Liar(2)), true).unwrap_err();
        assert!(matches!(
            err,
            WriteError::CountMismatch {
                promised: 5,
                given: 2,
                ..
            }
        ));
        let mut none = std::iter::empty::<&[u8]>();
        assert!(matches!(
            put_value(&mut out, ValueRef::Set(&mut none), true),
            Err(WriteError::EmptyCollection("set"))
        ));
    }
}
