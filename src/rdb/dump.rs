//! DUMP / RESTORE payloads: a single serialized value as Redis's DUMP
//! returns it: `<type byte><value><RDB version, u16 LE><CRC-64, u64 LE>`,
//! the checksum covering everything before it.

use super::crc64;
use super::cursor::Cursor;
use super::error::{ErrorKind, RdbError, Result};
use super::format::{Magic, RdbStr, ValueType, WRITE_VERSION};
use super::value::{self, Value};
use super::writer::{ValueRef, WriteError, put_value};

/// Serialize one value as a DUMP payload (RDB version 10).
pub fn serialize(value: ValueRef<'_, '_>) -> std::result::Result<Vec<u8>, WriteError> {
    let mut out = vec![0u8];
    out[0] = put_value(&mut out, value, true)?;
    out.extend_from_slice(&WRITE_VERSION.to_le_bytes());
    let crc = crc64::checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Check a payload's footer: its RDB version must be at most
/// `max_version` (RESTORE refuses newer ones) and its CRC-64 must match
/// (a stored 0 is accepted as "no checksum", like Redis). Returns the
/// version.
pub fn verify(payload: &[u8], max_version: u16) -> Result<u16> {
    if payload.len() < 10 {
        return Err(RdbError::new(
            ErrorKind::UnexpectedEof {
                what: "the DUMP payload footer",
            },
            payload.len() as u64,
        ));
    }
    let footer = payload.len() - 10;
    let version = u16::from_le_bytes([payload[footer], payload[footer + 1]]);
    if version > max_version {
        return Err(RdbError::new(
            ErrorKind::UnsupportedVersion(u32::from(version)),
            footer as u64,
        ));
    }
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&payload[footer + 2..]);
    let stored = u64::from_le_bytes(stored);
    let computed = crc64::checksum(&payload[..footer + 2]);
    if stored != 0 && stored != computed {
        return Err(RdbError::new(
            ErrorKind::ChecksumMismatch { stored, computed },
            footer as u64 + 2,
        ));
    }
    Ok(version)
}

/// Verify a payload and give its value, which must fill the payload up
/// to the footer exactly.
pub fn parse(payload: &[u8], max_version: u16) -> Result<Value<'_>> {
    verify(payload, max_version)?;
    parse_body(payload)
}

/// [`parse`] without the CRC-64 check (the version is the caller's to
/// check), for a server told to skip checksum validation.
pub fn parse_unchecked(payload: &[u8]) -> Result<Value<'_>> {
    if payload.len() < 10 {
        return Err(RdbError::new(
            ErrorKind::UnexpectedEof {
                what: "the DUMP payload footer",
            },
            payload.len() as u64,
        ));
    }
    parse_body(payload)
}

fn parse_body(payload: &[u8]) -> Result<Value<'_>> {
    let body = &payload[..payload.len() - 10];
    let mut cur = Cursor::new(body, 0, true);
    let byte = cur.u8("the value type")?;
    let vt = ValueType::from_byte(byte, Magic::Redis)
        .ok_or_else(|| RdbError::new(ErrorKind::UnknownType(byte), 0))?;
    let known = value::skip(&mut cur, vt, &RdbStr::Raw(b"<DUMP payload>"))?;
    if !cur.is_empty() {
        return Err(cur.invalid(format!(
            "{} bytes after the value, before the footer",
            cur.remaining()
        )));
    }
    Ok(Value::new(vt, &body[1..], 1, known))
}
