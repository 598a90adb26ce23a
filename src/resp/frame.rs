//! The RESP value model: one `Frame` enum covering every RESP2 and RESP3 type.
//!
//! Payloads are `bytes::Bytes`, so a frame parsed from a shared buffer borrows
//! its bulk data instead of copying it. RESP2's two nulls (`$-1`, `*-1`) and
//! RESP3's `_` are kept distinct because servers and clients treat them
//! differently on the wire, even though all three mean "no value".

use bytes::Bytes;

/// One RESP frame.
#[derive(Clone, Debug)]
pub enum Frame {
    /// `+OK\r\n`
    Simple(Bytes),
    /// `-ERR message\r\n`
    Error(Bytes),
    /// `:42\r\n` (signed 64-bit)
    Integer(i64),
    /// `$3\r\nfoo\r\n`
    Bulk(Bytes),
    /// RESP2 null bulk string, `$-1\r\n`
    NullBulk,
    /// RESP2 null array, `*-1\r\n`
    NullArray,
    /// RESP3 null, `_\r\n`
    Null,
    /// RESP3 boolean, `#t\r\n` / `#f\r\n`
    Boolean(bool),
    /// RESP3 double, `,3.14\r\n`, `,inf\r\n`, `,-inf\r\n`, `,nan\r\n`
    Double(f64),
    /// RESP3 big number, `(12345678901234567890\r\n`; the digits, sign included
    BigNumber(Bytes),
    /// RESP3 bulk error, `!21\r\nSYNTAX invalid syntax\r\n`
    BulkError(Bytes),
    /// RESP3 verbatim string, `=15\r\ntxt:Some string\r\n`
    Verbatim { format: [u8; 3], text: Bytes },
    /// `*2\r\n...`
    Array(Vec<Frame>),
    /// RESP3 map, `%1\r\n<key><value>`
    Map(Vec<(Frame, Frame)>),
    /// RESP3 set, `~2\r\n...`
    Set(Vec<Frame>),
    /// RESP3 push, `>3\r\n...` (pub/sub messages, invalidations)
    Push(Vec<Frame>),
    /// RESP3 attribute, `|1\r\n<key><value>` and the frame it annotates.
    /// On the wire the attribute precedes that frame and does not count as an
    /// element of an enclosing aggregate, so the two are one frame here.
    Attribute {
        attributes: Vec<(Frame, Frame)>,
        frame: Box<Frame>,
    },
}

/// The type of a frame, with the stable names used in JSON output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrameKind {
    Simple,
    Error,
    Integer,
    Bulk,
    Array,
    Null,
    Boolean,
    Double,
    BigNumber,
    BulkError,
    Verbatim,
    Map,
    Set,
    Attribute,
    Push,
}

impl FrameKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [FrameKind; 15] = [
        FrameKind::Simple,
        FrameKind::Error,
        FrameKind::Integer,
        FrameKind::Bulk,
        FrameKind::Array,
        FrameKind::Null,
        FrameKind::Boolean,
        FrameKind::Double,
        FrameKind::BigNumber,
        FrameKind::BulkError,
        FrameKind::Verbatim,
        FrameKind::Map,
        FrameKind::Set,
        FrameKind::Attribute,
        FrameKind::Push,
    ];

    /// The name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Simple => "simple",
            FrameKind::Error => "error",
            FrameKind::Integer => "integer",
            FrameKind::Bulk => "bulk",
            FrameKind::Array => "array",
            FrameKind::Null => "null",
            FrameKind::Boolean => "boolean",
            FrameKind::Double => "double",
            FrameKind::BigNumber => "bignum",
            FrameKind::BulkError => "bulk_error",
            FrameKind::Verbatim => "verbatim",
            FrameKind::Map => "map",
            FrameKind::Set => "set",
            FrameKind::Attribute => "attribute",
            FrameKind::Push => "push",
        }
    }

    /// True for the types RESP2 does not have.
    pub fn is_resp3_only(self) -> bool {
        !matches!(
            self,
            FrameKind::Simple
                | FrameKind::Error
                | FrameKind::Integer
                | FrameKind::Bulk
                | FrameKind::Array
        )
    }
}

impl Frame {
    pub fn kind(&self) -> FrameKind {
        match self {
            Frame::Simple(_) => FrameKind::Simple,
            Frame::Error(_) => FrameKind::Error,
            Frame::Integer(_) => FrameKind::Integer,
            Frame::Bulk(_) => FrameKind::Bulk,
            Frame::NullBulk | Frame::NullArray | Frame::Null => FrameKind::Null,
            Frame::Boolean(_) => FrameKind::Boolean,
            Frame::Double(_) => FrameKind::Double,
            Frame::BigNumber(_) => FrameKind::BigNumber,
            Frame::BulkError(_) => FrameKind::BulkError,
            Frame::Verbatim { .. } => FrameKind::Verbatim,
            Frame::Array(_) => FrameKind::Array,
            Frame::Map(_) => FrameKind::Map,
            Frame::Set(_) => FrameKind::Set,
            Frame::Push(_) => FrameKind::Push,
            Frame::Attribute { .. } => FrameKind::Attribute,
        }
    }

    /// A bulk string frame from anything byte-like.
    pub fn bulk(data: impl Into<Bytes>) -> Frame {
        Frame::Bulk(data.into())
    }

    /// The frame as a command: an array whose elements are all bulk strings
    /// (what clients send and what a replication stream carries).
    pub fn as_command(&self) -> Option<Vec<&Bytes>> {
        let Frame::Array(items) = self else {
            return None;
        };
        if items.is_empty() {
            return None;
        }
        items
            .iter()
            .map(|f| match f {
                Frame::Bulk(b) => Some(b),
                _ => None,
            })
            .collect()
    }
}

/// Frames compare structurally; doubles compare by value except that NaN
/// equals NaN, so that a round trip through the wire compares equal.
impl PartialEq for Frame {
    fn eq(&self, other: &Frame) -> bool {
        use Frame::*;
        match (self, other) {
            (Simple(a), Simple(b))
            | (Error(a), Error(b))
            | (Bulk(a), Bulk(b))
            | (BigNumber(a), BigNumber(b))
            | (BulkError(a), BulkError(b)) => a == b,
            (Integer(a), Integer(b)) => a == b,
            (NullBulk, NullBulk) | (NullArray, NullArray) | (Null, Null) => true,
            (Boolean(a), Boolean(b)) => a == b,
            (Double(a), Double(b)) => a == b || (a.is_nan() && b.is_nan()),
            (
                Verbatim {
                    format: fa,
                    text: ta,
                },
                Verbatim {
                    format: fb,
                    text: tb,
                },
            ) => fa == fb && ta == tb,
            (Array(a), Array(b)) | (Set(a), Set(b)) | (Push(a), Push(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (
                Attribute {
                    attributes: aa,
                    frame: fa,
                },
                Attribute {
                    attributes: ab,
                    frame: fb,
                },
            ) => aa == ab && fa == fb,
            _ => false,
        }
    }
}
