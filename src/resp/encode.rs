//! Encoding frames to RESP bytes, plus the small writers that servers use to
//! emit replies without building a `Frame` first.

use super::frame::Frame;

/// Append the RESP encoding of `frame` to `out`.
pub fn encode(frame: &Frame, out: &mut Vec<u8>) {
    match frame {
        Frame::Simple(s) => line(out, b'+', s),
        Frame::Error(s) => line(out, b'-', s),
        Frame::Integer(n) => integer(out, *n),
        Frame::Bulk(b) => bulk(out, b),
        Frame::NullBulk => out.extend_from_slice(b"$-1\r\n"),
        Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
        Frame::Null => out.extend_from_slice(b"_\r\n"),
        Frame::Boolean(b) => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::Double(d) => {
            out.push(b',');
            out.extend_from_slice(format_double(*d).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Frame::BigNumber(n) => line(out, b'(', n),
        Frame::BulkError(e) => {
            header(out, b'!', e.len());
            out.extend_from_slice(e);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Verbatim { format, text } => {
            header(out, b'=', text.len() + 4);
            out.extend_from_slice(format);
            out.push(b':');
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Array(items) => aggregate(out, b'*', items),
        Frame::Set(items) => aggregate(out, b'~', items),
        Frame::Push(items) => aggregate(out, b'>', items),
        Frame::Map(pairs) => map(out, b'%', pairs),
        Frame::Attribute { attributes, frame } => {
            map(out, b'|', attributes);
            encode(frame, out);
        }
    }
}

/// The encoding of `frame` as a new buffer.
pub fn to_bytes(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    encode(frame, &mut out);
    out
}

/// A command as clients send it: an array of bulk strings.
pub fn command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    header(out, b'*', args.len());
    for arg in args {
        bulk(out, arg.as_ref());
    }
}

/// `<kind><len>\r\n`, the header of bulk strings and aggregates.
pub fn header(out: &mut Vec<u8>, kind: u8, len: usize) {
    let mut digits = itoa::Buffer::new();
    out.push(kind);
    out.extend_from_slice(digits.format(len).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `$<len>\r\n<data>\r\n`
pub fn bulk(out: &mut Vec<u8>, data: &[u8]) {
    header(out, b'$', data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// `:<n>\r\n`
pub fn integer(out: &mut Vec<u8>, n: i64) {
    let mut digits = itoa::Buffer::new();
    out.push(b':');
    out.extend_from_slice(digits.format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `<kind><text>\r\n` for simple strings, errors and big numbers. The caller
/// guarantees `text` has no CR or LF.
pub fn line(out: &mut Vec<u8>, kind: u8, text: &[u8]) {
    out.push(kind);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

/// A double as RESP3 writes it: `inf`, `-inf`, `nan`, or the shortest text
/// that reads back as the same value.
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        "nan".to_owned()
    } else if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        // Debug is the shortest round-trip form and switches to exponent
        // notation for very large and small magnitudes.
        format!("{d:?}")
    }
}

fn aggregate(out: &mut Vec<u8>, kind: u8, items: &[Frame]) {
    header(out, kind, items.len());
    for item in items {
        encode(item, out);
    }
}

fn map(out: &mut Vec<u8>, kind: u8, pairs: &[(Frame, Frame)]) {
    header(out, kind, pairs.len());
    for (k, v) in pairs {
        encode(k, out);
        encode(v, out);
    }
}
