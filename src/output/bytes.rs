//! The bytes rule. Redis keys and values are bytes, not text.
//!
//! JSON: bytes that are valid UTF-8 become a JSON string; anything else
//! becomes `{"base64": "<standard base64>"}`, so a script can always get the
//! exact bytes back and can tell the two apart by type.
//!
//! Tables: valid UTF-8 without control characters is shown as is; anything
//! else is quoted and escaped the way redis-cli shows it (`"a\xff\n"`).

use base64::Engine;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// Serializes a byte string by the bytes rule.
#[derive(Clone, Copy, Debug)]
pub struct JsonBytes<'a>(pub &'a [u8]);

impl Serialize for JsonBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("base64", &base64_encode(self.0))?;
                map.end()
            }
        }
    }
}

/// An owned byte string that serializes by the bytes rule; for report
/// structs that outlive their input.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ByteString(pub Vec<u8>);

impl Serialize for ByteString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        JsonBytes(&self.0).serialize(s)
    }
}

impl From<&[u8]> for ByteString {
    fn from(b: &[u8]) -> ByteString {
        ByteString(b.to_vec())
    }
}

impl std::fmt::Display for ByteString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&display(&self.0))
    }
}

/// Serde helper: `#[serde(serialize_with = "bytes::serialize")]` on a byte
/// field applies the bytes rule.
pub fn serialize<S: Serializer, B: AsRef<[u8]>>(b: &B, s: S) -> Result<S::Ok, S::Error> {
    JsonBytes(b.as_ref()).serialize(s)
}

/// Serde helper for a list of byte strings.
pub fn serialize_list<S: Serializer, B: AsRef<[u8]>>(items: &[B], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(items.iter().map(|b| JsonBytes(b.as_ref())))
}

pub fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// redis-cli's quoted form: `"..."` with `\\ \" \n \r \t \a \b` escaped
/// and every other byte outside printable ASCII as `\xNN`.
pub fn quoted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// How a table shows bytes: plain when it is clean text, else quoted.
pub fn display(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.is_empty() && !text.chars().any(char::is_control) => text.to_owned(),
        _ => quoted(bytes),
    }
}

/// Like [`display`], cut to about `max` characters with a marker saying how
/// much was left out.
pub fn display_short(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return display(bytes);
    }
    let mut cut = max;
    // Do not split a UTF-8 sequence when the prefix is text.
    while cut > 0 && cut < bytes.len() && (bytes[cut] & 0xc0) == 0x80 {
        cut -= 1;
    }
    format!("{}… (+{} bytes)", display(&bytes[..cut]), bytes.len() - cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_uses_text_or_base64() {
        assert_eq!(
            serde_json::to_string(&JsonBytes(b"caf\xc3\xa9")).unwrap(),
            "\"café\""
        );
        assert_eq!(
            serde_json::to_string(&JsonBytes(b"\xff\x00")).unwrap(),
            r#"{"base64":"/wA="}"#
        );
    }

    #[test]
    fn tables_escape_like_redis_cli() {
        assert_eq!(display(b"plain key"), "plain key");
        assert_eq!(display(b"caf\xc3\xa9"), "café");
        assert_eq!(display(b"a\xffb"), r#""a\xffb""#);
        assert_eq!(display(b"line\r\n"), r#""line\r\n""#);
        assert_eq!(display(b""), r#""""#);
        assert_eq!(quoted(b"q\"\\\x07\x08\t"), r#""q\"\\\a\b\t""#);
    }

    #[test]
    fn short_display_keeps_utf8_whole() {
        assert_eq!(display_short("ééé".as_bytes(), 3), "é… (+4 bytes)");
        assert_eq!(display_short(b"abc", 3), "abc");
    }
}
