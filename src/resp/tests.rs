//! Codec tests: the rules one by one, the limits, round trips of arbitrary
//! frames, and streams split at every byte position.

use std::io::Read;

use bytes::Bytes;
use proptest::prelude::*;

use super::decode::{DecodeError, Decoder, Limits, Problem};
use super::frame::Frame;
use super::reader::{FrameReader, ReadError};
use super::request::{Arg, RequestLimits, parse_request, split_args};
use super::{encode, to_bytes};

fn parse_one(input: &[u8]) -> Result<(Frame, usize), DecodeError> {
    Decoder::default().parse(&Bytes::copy_from_slice(input))
}

fn problem(input: &[u8]) -> (usize, Problem) {
    match Decoder::default().check(input) {
        Err(DecodeError::Invalid { offset, problem }) => (offset, problem),
        other => panic!("expected an error for {input:?}, got {other:?}"),
    }
}

fn b(s: &str) -> Frame {
    Frame::bulk(s.as_bytes().to_vec())
}

#[test]
fn every_type_parses() {
    let cases: Vec<(&[u8], Frame)> = vec![
        (b"+OK\r\n", Frame::Simple("OK".into())),
        (b"-ERR bad\r\n", Frame::Error("ERR bad".into())),
        (b":-42\r\n", Frame::Integer(-42)),
        (b":+7\r\n", Frame::Integer(7)),
        (b"$3\r\nfoo\r\n", b("foo")),
        (b"$0\r\n\r\n", b("")),
        (b"$-1\r\n", Frame::NullBulk),
        (b"*-1\r\n", Frame::NullArray),
        (b"_\r\n", Frame::Null),
        (b"#t\r\n", Frame::Boolean(true)),
        (b",1.5\r\n", Frame::Double(1.5)),
        (b",-inf\r\n", Frame::Double(f64::NEG_INFINITY)),
        (b",nan\r\n", Frame::Double(f64::NAN)),
        (b",1e3\r\n", Frame::Double(1000.0)),
        (
            b"(-123456789012345678901234567890\r\n",
            Frame::BigNumber("-123456789012345678901234567890".into()),
        ),
        (b"!5\r\nOOPS!\r\n", Frame::BulkError("OOPS!".into())),
        (
            b"=8\r\ntxt:abcd\r\n",
            Frame::Verbatim {
                format: *b"txt",
                text: "abcd".into(),
            },
        ),
        (
            b"*2\r\n$1\r\na\r\n:1\r\n",
            Frame::Array(vec![b("a"), Frame::Integer(1)]),
        ),
        (b"*0\r\n", Frame::Array(vec![])),
        (
            b"%1\r\n+k\r\n+v\r\n",
            Frame::Map(vec![(Frame::Simple("k".into()), Frame::Simple("v".into()))]),
        ),
        (b"~1\r\n:1\r\n", Frame::Set(vec![Frame::Integer(1)])),
        (
            b">2\r\n+message\r\n$1\r\nx\r\n",
            Frame::Push(vec![Frame::Simple("message".into()), b("x")]),
        ),
        (
            b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
            Frame::Attribute {
                attributes: vec![(Frame::Simple("ttl".into()), Frame::Integer(3))],
                frame: Box::new(b("v")),
            },
        ),
    ];
    for (input, expected) in cases {
        let (frame, len) = parse_one(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(frame, expected, "{}", input.escape_ascii());
        assert_eq!(len, input.len());
        assert_eq!(Decoder::default().check(input), Ok(input.len()));
    }
}

#[test]
fn attribute_inside_array_is_not_an_element() {
    let input = b"*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n";
    let (frame, len) = parse_one(input).unwrap();
    assert_eq!(len, input.len());
    let Frame::Array(items) = frame else { panic!() };
    assert_eq!(items.len(), 2);
    assert!(matches!(items[0], Frame::Attribute { .. }));
    assert_eq!(items[1], Frame::Integer(2));
}

#[test]
fn malformed_input_names_offset_and_expectation() {
    assert_eq!(problem(b"?x\r\n"), (0, Problem::UnknownType(b'?')));
    assert_eq!(problem(b"$-2\r\n"), (1, Problem::NegativeLength(-2)));
    assert_eq!(problem(b"*-3\r\n"), (1, Problem::NegativeLength(-3)));
    assert_eq!(
        problem(b"$abc\r\n"),
        (1, Problem::InvalidLength("abc".into()))
    );
    assert_eq!(problem(b"$3\r\nfooX\r\n"), (7, Problem::ExpectedCrlf(b'X')));
    assert_eq!(problem(b"$3\r\nfoo\rX"), (8, Problem::ExpectedCrlf(b'X')));
    assert_eq!(problem(b"+OK\n"), (3, Problem::ExpectedCrlf(b'\n')));
    assert_eq!(
        problem(b":12a\r\n"),
        (1, Problem::InvalidInteger("12a".into()))
    );
    assert_eq!(
        problem(b":99999999999999999999\r\n").1,
        Problem::InvalidInteger("99999999999999999999".into())
    );
    assert_eq!(problem(b"#x\r\n"), (1, Problem::InvalidBoolean("x".into())));
    assert_eq!(
        problem(b",infinity\r\n").1,
        Problem::InvalidDouble("infinity".into())
    );
    assert_eq!(problem(b"=3\r\ntxt\r\n"), (4, Problem::InvalidVerbatim));
    assert_eq!(problem(b"$?\r\n"), (1, Problem::Streamed));
    assert_eq!(problem(b"*1\r\n?\r\n"), (4, Problem::UnknownType(b'?')));
    // A length line that never ends is refused, not buffered forever.
    assert_eq!(problem(&[b'$'; 64][..]).1, Problem::LineTooLong(32));
}

#[test]
fn limits_are_checked_before_allocating() {
    let tight = Decoder::new(Limits {
        max_bulk_len: 10,
        max_aggregate_len: 3,
        max_depth: 2,
    });
    let err = |input: &[u8]| match tight.check(input) {
        Err(DecodeError::Invalid { problem, .. }) => problem,
        other => panic!("{other:?}"),
    };
    assert_eq!(err(b"$11\r\n"), Problem::BulkTooLong { len: 11, max: 10 });
    assert_eq!(err(b"*4\r\n"), Problem::AggregateTooLong { len: 4, max: 3 });
    assert_eq!(err(b"*1\r\n*1\r\n*1\r\n:1\r\n"), Problem::TooDeep(2));
    assert!(tight.check(b"*1\r\n*1\r\n:1\r\n").is_ok());
    // A huge declared count with no data is just incomplete: nothing
    // is allocated for the claim.
    let huge = Decoder::default();
    assert!(matches!(
        huge.parse(&Bytes::from_static(b"*1000000\r\n")),
        Err(DecodeError::Incomplete { .. })
    ));
    // 2^63 does not fit; absurd lengths are refused by the limit.
    assert!(matches!(
        huge.check(b"$9223372036854775807\r\n"),
        Err(DecodeError::Invalid {
            problem: Problem::BulkTooLong { .. },
            ..
        })
    ));
}

#[test]
fn deep_nesting_is_refused_without_recursing_past_the_limit() {
    let mut input = Vec::new();
    for _ in 0..100_000 {
        input.extend_from_slice(b"*1\r\n");
    }
    assert!(matches!(
        Decoder::default().check(&input),
        Err(DecodeError::Invalid {
            problem: Problem::TooDeep(128),
            offset: 512
        })
    ));
}

#[test]
fn incomplete_reports_a_lower_bound() {
    let d = Decoder::default();
    assert_eq!(d.check(b""), Err(DecodeError::Incomplete { needed: 3 }));
    assert_eq!(
        d.check(b"$5\r\nab"),
        Err(DecodeError::Incomplete { needed: 5 })
    );
    assert_eq!(
        d.check(b"+OK\r"),
        Err(DecodeError::Incomplete { needed: 1 })
    );
    // Two elements left after the first one's missing byte.
    assert_eq!(
        d.check(b"*3\r\n:1"),
        Err(DecodeError::Incomplete { needed: 2 + 6 })
    );
}

#[test]
fn resp2_only_rejects_resp3_types() {
    let d = Decoder::default().resp2_only(true);
    assert!(matches!(
        d.check(b"_\r\n"),
        Err(DecodeError::Invalid {
            problem: Problem::Resp3Only(b'_'),
            ..
        })
    ));
    assert!(matches!(
        d.check(b"*1\r\n#t\r\n"),
        Err(DecodeError::Invalid { offset: 4, .. })
    ));
    assert_eq!(d.check(b"*1\r\n$-1\r\n"), Ok(9));
}

#[test]
fn children_spans_cover_the_frame() {
    let input = b"%1\r\n+k\r\n*2\r\n:1\r\n:2\r\n";
    let spans = Decoder::default().children(input).unwrap();
    assert_eq!(spans, vec![4..8, 8..20]);
}

// ---- round trips -------------------------------------------------------

fn line_text() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no CR/LF", |b| *b != b'\r' && *b != b'\n'),
        0..20,
    )
    .prop_map(Bytes::from)
}

fn blob() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..40).prop_map(Bytes::from)
}

fn frame_strategy() -> impl Strategy<Value = Frame> {
    let leaf = prop_oneof![
        line_text().prop_map(Frame::Simple),
        line_text().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        blob().prop_map(Frame::Bulk),
        Just(Frame::NullBulk),
        Just(Frame::NullArray),
        Just(Frame::Null),
        any::<bool>().prop_map(Frame::Boolean),
        any::<f64>().prop_map(Frame::Double),
        prop_oneof![Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::NAN)]
            .prop_map(Frame::Double),
        "-?[0-9]{1,60}".prop_map(|s| Frame::BigNumber(Bytes::from(s))),
        blob().prop_map(Frame::BulkError),
        (any::<[u8; 3]>(), blob()).prop_map(|(format, text)| Frame::Verbatim { format, text }),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Array),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Set),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Push),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(Frame::Map),
            (
                proptest::collection::vec((inner.clone(), inner.clone()), 0..3),
                inner
            )
                .prop_map(|(attributes, frame)| Frame::Attribute {
                    attributes,
                    frame: Box::new(frame)
                }),
        ]
    })
}

/// Feeds a stream in chunks at the given cut points.
struct Chunked {
    data: Vec<u8>,
    cuts: Vec<usize>,
    pos: usize,
}

impl Read for Chunked {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let next_cut = self
            .cuts
            .iter()
            .copied()
            .find(|&c| c > self.pos)
            .unwrap_or(self.data.len());
        let n = (next_cut - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn read_all(data: &[u8], cuts: Vec<usize>) -> Vec<(u64, Frame)> {
    let source = Chunked {
        data: data.to_vec(),
        cuts,
        pos: 0,
    };
    let mut reader = FrameReader::new(source, Decoder::default(), usize::MAX);
    let mut out = Vec::new();
    while let Some(d) = reader.next_frame().expect("valid stream") {
        out.push((d.offset, d.frame));
    }
    out
}

proptest! {
    #[test]
    fn encode_then_parse_is_identity(frame in frame_strategy()) {
        let wire = to_bytes(&frame);
        let (back, len) = parse_one(&wire).unwrap();
        prop_assert_eq!(len, wire.len());
        prop_assert_eq!(Decoder::default().check(&wire), Ok(wire.len()));
        prop_assert_eq!(back, frame);
    }

    #[test]
    fn every_prefix_is_incomplete_not_invalid(frame in frame_strategy()) {
        let wire = to_bytes(&frame);
        for cut in 0..wire.len() {
            let is_incomplete = matches!(Decoder::default().check(&wire[..cut]), Err(DecodeError::Incomplete { .. }));
            prop_assert!(is_incomplete, "cut {}", cut);
        }
    }
}

#[test]
fn a_stream_split_at_every_byte_gives_the_same_frames() {
    let frames = vec![
        Frame::Simple("OK".into()),
        Frame::Array(vec![b("SET"), b("key"), b("value")]),
        Frame::Map(vec![(
            b("k"),
            Frame::Set(vec![Frame::Double(2.5), Frame::Null]),
        )]),
        Frame::Attribute {
            attributes: vec![(b("a"), Frame::Boolean(false))],
            frame: Box::new(Frame::Integer(-1)),
        },
        Frame::Verbatim {
            format: *b"mkd",
            text: "# hi\r\n".into(),
        },
        Frame::NullBulk,
        Frame::BigNumber("12345678901234567890".into()),
    ];
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for f in &frames {
        expected.push((stream.len() as u64, f.clone()));
        encode(f, &mut stream);
    }
    for cut in 0..=stream.len() {
        assert_eq!(read_all(&stream, vec![cut]), expected, "split at {cut}");
    }
    // And one byte at a time.
    assert_eq!(read_all(&stream, (0..stream.len()).collect()), expected);
}

#[test]
fn reader_reports_truncation_and_offsets() {
    let data = b"+OK\r\n$10\r\nabc".to_vec();
    let mut reader = FrameReader::new(&data[..], Decoder::default(), usize::MAX);
    assert_eq!(reader.next_frame().unwrap().unwrap().offset, 0);
    match reader.next_frame() {
        Err(ReadError::Truncated { offset, needed }) => assert_eq!((offset, needed), (5, 9)),
        other => panic!("{other:?}"),
    }
    let mut bounded = FrameReader::new(&b"$100\r\n"[..], Decoder::default(), 50);
    assert!(matches!(
        bounded.next_frame(),
        Err(ReadError::TooLarge { offset: 0, max: 50 })
    ));
}

// ---- server-side requests ----------------------------------------------

fn args_of(input: &[u8]) -> Vec<Vec<u8>> {
    let req = parse_request(input, &RequestLimits::default(), true)
        .unwrap()
        .unwrap();
    req.args
        .iter()
        .map(|a: &Arg| a.bytes(input).to_vec())
        .collect()
}

fn request_error(input: &[u8], authenticated: bool) -> String {
    parse_request(input, &RequestLimits::default(), authenticated)
        .unwrap_err()
        .message
}

#[test]
fn requests_frame_like_redis() {
    assert_eq!(
        args_of(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
        vec![b"GET".to_vec(), b"k".to_vec()]
    );
    assert_eq!(args_of(b"PING\r\n"), vec![b"PING".to_vec()]);
    assert_eq!(
        args_of(b"SET a  \"b c\\x41\\n\" 'd\\'e'\n"),
        vec![
            b"SET".to_vec(),
            b"a".to_vec(),
            b"b cA\n".to_vec(),
            b"d'e".to_vec()
        ]
    );
    assert!(args_of(b"\r\n").is_empty());
    assert!(args_of(b"*0\r\n").is_empty());
    assert!(args_of(b"*-1\r\n").is_empty());
    let partial: &[&[u8]] = &[
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r",
        b"*2\r\n$3",
        b"PING",
        b"*1\r\n$4\r\nPI",
    ];
    for input in partial {
        assert_eq!(
            parse_request(input, &RequestLimits::default(), true).unwrap(),
            None
        );
    }
}

/// Counts are read by a digit loop for the usual short form and by
/// memchr + string2ll otherwise: both give Redis's answer at the border
/// (18 and 19 digits, leading zeros, signs, a CR with nothing after it).
#[test]
fn request_counts_read_the_same_on_both_paths() {
    let big = RequestLimits {
        max_bulk_len: u64::MAX,
        max_multibulk_len: i32::MAX as u64,
    };
    let parse = |input: &[u8]| parse_request(input, &big, true);
    // 18 digits: framed (incomplete, since no payload follows).
    assert_eq!(parse(b"*1\r\n$999999999999999999\r\nab").unwrap(), None);
    // 19 digits still fit in i64; 20 do not.
    assert_eq!(parse(b"*1\r\n$9223372036854775807\r\nab").unwrap(), None);
    assert_eq!(
        parse(b"*1\r\n$9223372036854775808\r\nab")
            .unwrap_err()
            .message,
        "Protocol error: invalid bulk length"
    );
    for bad in [&b"$01"[..], b"$+1", b"$-0", b"$1a", b"$", b"$ 1"] {
        let mut input = b"*1\r\n".to_vec();
        input.extend_from_slice(bad);
        input.extend_from_slice(b"\r\nx\r\n");
        assert_eq!(
            parse(&input).unwrap_err().message,
            "Protocol error: invalid bulk length",
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(parse(b"*1\r\n$0\r\n\r\n").unwrap().is_some());
    // The CR is there but not the byte after it: read more.
    assert_eq!(parse(b"*1\r\n$12\r").unwrap(), None);
    assert_eq!(parse(b"*12\r").unwrap(), None);
    assert_eq!(
        args_of(b"*1\r\n$10\r\n0123456789\r\n"),
        vec![b"0123456789".to_vec()]
    );
}

#[test]
fn request_errors_use_redis_texts() {
    assert_eq!(
        request_error(b"*x\r\n", true),
        "Protocol error: invalid multibulk length"
    );
    assert_eq!(
        request_error(b"*01\r\n", true),
        "Protocol error: invalid multibulk length"
    );
    assert_eq!(
        request_error(b"*1\r\n+PING\r\n", true),
        "Protocol error: expected '$', got '+'"
    );
    assert_eq!(
        request_error(b"*1\r\n$-5\r\n", true),
        "Protocol error: invalid bulk length"
    );
    assert_eq!(
        request_error(b"*1\r\n$536870913\r\n", true),
        "Protocol error: invalid bulk length"
    );
    assert_eq!(
        request_error(b"*11\r\n", false),
        "Protocol error: unauthenticated multibulk length"
    );
    assert_eq!(
        request_error(b"*1\r\n$16385\r\n", false),
        "Protocol error: unauthenticated bulk length"
    );
    assert_eq!(
        request_error(b"SET \"a\n", true),
        "Protocol error: unbalanced quotes in request"
    );
    assert_eq!(
        request_error(&[b'a'; 70_000], true),
        "Protocol error: too big inline request"
    );
    let mut long_count = b"*".to_vec();
    long_count.extend(std::iter::repeat_n(b'1', 70_000));
    assert_eq!(
        request_error(&long_count, true),
        "Protocol error: too big mbulk count string"
    );
}

#[test]
fn split_args_matches_redis_quoting() {
    assert_eq!(
        split_args(b"  a b  "),
        Some(vec![b"a".to_vec(), b"b".to_vec()])
    );
    assert_eq!(split_args(b"\"a\"b"), None);
    assert_eq!(split_args(b"'a"), None);
    assert_eq!(split_args(b"\"\\x4\""), Some(vec![b"x4".to_vec()]));
    assert_eq!(split_args(b""), Some(vec![]));
}
