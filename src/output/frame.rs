//! RESP frames for people and scripts.
//!
//! [`tty`] renders a frame the way redis-cli prints replies (`(integer) 1`,
//! `1) "a"`, `1# "k" => "v"`). [`FrameJson`] serializes a frame with the byte
//! offset and length of it and of every nested frame, by the bytes rule.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use super::bytes::{JsonBytes, display, quoted};
use crate::resp::{Decoder, Frame};

/// redis-cli's rendering of a reply.
pub fn tty(frame: &Frame) -> String {
    let mut out = String::new();
    tty_into(frame, "", &mut out);
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

fn tty_into(frame: &Frame, prefix: &str, out: &mut String) {
    match frame {
        Frame::Simple(s) => push_line(out, &display_plain(s)),
        Frame::Error(e) | Frame::BulkError(e) => {
            push_line(out, &format!("(error) {}", display_plain(e)))
        }
        Frame::Integer(n) => push_line(out, &format!("(integer) {n}")),
        Frame::Bulk(b) => push_line(out, &quoted(b)),
        Frame::NullBulk | Frame::NullArray | Frame::Null => push_line(out, "(nil)"),
        Frame::Boolean(b) => push_line(out, if *b { "(true)" } else { "(false)" }),
        Frame::Double(d) => push_line(
            out,
            &format!("(double) {}", crate::resp::encode::format_double(*d)),
        ),
        Frame::BigNumber(n) => push_line(out, &format!("(big number) {}", display_plain(n))),
        Frame::Verbatim { text, .. } => push_line(out, &display_plain(text)),
        Frame::Array(items) | Frame::Push(items) | Frame::Set(items) => {
            let (empty, sep) = match frame {
                Frame::Set(_) => ("(empty set)", '~'),
                Frame::Push(_) => ("(empty push)", ')'),
                _ => ("(empty array)", ')'),
            };
            if items.is_empty() {
                push_line(out, empty);
                return;
            }
            let width = items.len().to_string().len();
            let inner = format!("{prefix}{}", " ".repeat(width + 2));
            for (i, item) in items.iter().enumerate() {
                let lead = if i == 0 { "" } else { prefix };
                out.push_str(&format!("{lead}{:>width$}{sep} ", i + 1));
                tty_into(item, &inner, out);
            }
        }
        Frame::Map(pairs) => tty_pairs(pairs, prefix, "(empty hash)", out),
        Frame::Attribute { attributes, frame } => {
            out.push_str("(attribute) ");
            tty_pairs(attributes, &format!("{prefix}            "), "(empty)", out);
            out.push_str(prefix);
            tty_into(frame, prefix, out);
        }
    }
}

fn tty_pairs(pairs: &[(Frame, Frame)], prefix: &str, empty: &str, out: &mut String) {
    if pairs.is_empty() {
        push_line(out, empty);
        return;
    }
    let width = pairs.len().to_string().len();
    let inner = format!("{prefix}{}", " ".repeat(width + 2));
    for (i, (k, v)) in pairs.iter().enumerate() {
        let lead = if i == 0 { "" } else { prefix };
        out.push_str(&format!("{lead}{:>width$}# ", i + 1));
        tty_into(k, &inner, out);
        out.pop();
        out.push_str(" => ");
        tty_into(v, &inner, out);
    }
}

fn push_line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// Status lines and verbatim text are shown unquoted unless they hold bytes
/// a terminal cannot show.
fn display_plain(bytes: &[u8]) -> String {
    display(bytes)
}

/// A frame as a JSON object: `offset`, `length`, `type`, `value` (and
/// `format` for verbatim strings, `variant` for nulls, `frame` for the
/// frame an attribute annotates). Nested frames are objects of the same
/// shape, with absolute offsets.
pub struct FrameJson<'a> {
    pub frame: &'a Frame,
    /// The frame's own bytes, exactly.
    pub bytes: &'a [u8],
    /// Offset of `bytes[0]` in the stream.
    pub offset: u64,
    pub decoder: &'a Decoder,
}

impl FrameJson<'_> {
    fn child<'b>(&'b self, frame: &'b Frame, span: &std::ops::Range<usize>) -> FrameJson<'b> {
        FrameJson {
            frame,
            bytes: self.bytes.get(span.clone()).unwrap_or(&[]),
            offset: self.offset + span.start as u64,
            decoder: self.decoder,
        }
    }
}

/// The children of an aggregate in wire order.
fn children(frame: &Frame) -> Vec<&Frame> {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => items.iter().collect(),
        Frame::Map(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
        Frame::Attribute { attributes, frame } => attributes
            .iter()
            .flat_map(|(k, v)| [k, v])
            .chain(std::iter::once(frame.as_ref()))
            .collect(),
        _ => Vec::new(),
    }
}

struct Seq<'a>(Vec<FrameJson<'a>>);

impl Serialize for Seq<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in &self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

struct Pairs<'a>(Vec<FrameJson<'a>>);

impl Serialize for Pairs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len() / 2))?;
        for pair in self.0.chunks(2) {
            seq.serialize_element(&[&pair[0], &pair[1]])?;
        }
        seq.end()
    }
}

impl Serialize for FrameJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("offset", &self.offset)?;
        map.serialize_entry("length", &self.bytes.len())?;
        map.serialize_entry("type", self.frame.kind().name())?;
        // Spans come from the same bytes the frame was parsed from, so they
        // line up with children(); a mismatch would be a codec bug, and then
        // nested offsets are left out rather than invented.
        let spans = self.decoder.children(self.bytes).unwrap_or_default();
        let kids = children(self.frame);
        let nested: Vec<FrameJson> = if spans.len() == kids.len() {
            kids.iter()
                .zip(&spans)
                .map(|(f, sp)| self.child(f, sp))
                .collect()
        } else {
            Vec::new()
        };
        match self.frame {
            Frame::Simple(b) | Frame::Error(b) | Frame::Bulk(b) | Frame::BulkError(b) => {
                map.serialize_entry("value", &JsonBytes(b))?
            }
            Frame::BigNumber(b) => map.serialize_entry("value", &JsonBytes(b))?,
            Frame::Integer(n) => map.serialize_entry("value", n)?,
            Frame::NullBulk | Frame::NullArray | Frame::Null => {
                map.serialize_entry("value", &())?;
                let variant = match self.frame {
                    Frame::NullBulk => "null_bulk",
                    Frame::NullArray => "null_array",
                    _ => "null",
                };
                map.serialize_entry("variant", variant)?;
            }
            Frame::Boolean(b) => map.serialize_entry("value", b)?,
            Frame::Double(d) if d.is_finite() => map.serialize_entry("value", d)?,
            Frame::Double(d) => {
                map.serialize_entry("value", &crate::resp::encode::format_double(*d))?
            }
            Frame::Verbatim { format, text } => {
                map.serialize_entry("format", &JsonBytes(format))?;
                map.serialize_entry("value", &JsonBytes(text))?;
            }
            Frame::Array(_) | Frame::Set(_) | Frame::Push(_) => {
                map.serialize_entry("value", &Seq(nested))?
            }
            Frame::Map(_) => map.serialize_entry("value", &Pairs(nested))?,
            Frame::Attribute { .. } => {
                let mut nested = nested;
                let target = nested.pop();
                map.serialize_entry("value", &Pairs(nested))?;
                map.serialize_entry("frame", &target)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::tty;
    use crate::resp::Frame;

    fn b(s: &str) -> Frame {
        Frame::bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn renders_like_redis_cli() {
        assert_eq!(tty(&Frame::Integer(5)), "(integer) 5");
        assert_eq!(tty(&Frame::NullBulk), "(nil)");
        assert_eq!(tty(&Frame::Array(vec![])), "(empty array)");
        let nested = Frame::Array(vec![
            b("a"),
            Frame::Array(vec![b("x"), b("y")]),
            Frame::Integer(3),
        ]);
        assert_eq!(
            tty(&nested),
            "1) \"a\"\n2) 1) \"x\"\n   2) \"y\"\n3) (integer) 3"
        );
        let map = Frame::Map(vec![(b("k"), b("v")), (b("n"), Frame::Integer(1))]);
        assert_eq!(tty(&map), "1# \"k\" => \"v\"\n2# \"n\" => (integer) 1");
        let ten: Vec<Frame> = (0..10).map(Frame::Integer).collect();
        assert!(tty(&Frame::Array(ten)).starts_with(" 1) (integer) 0\n 2)"));
    }
}
