//! Values as stored in an RDB file, decoded lazily.
//!
//! The reader finds where each value ends ([`skip`]) and hands out a
//! [`Value`]: the value type and the bytes of its serialized form,
//! borrowed from the input. Nothing is decoded until asked:
//!
//! - [`Value::len`]: the element count (string length for strings), from
//!   headers when the encoding has them, by walking otherwise;
//! - [`Value::elements`]: an iterator over list items, set members, hash
//!   fields (with their expiry) or sorted-set members (with their score);
//! - [`Value::stream`]: a stream's entries, metadata, consumer groups and
//!   pending entries;
//! - [`Value::decode`]: everything at once, for loading into a keyspace.
//!
//! Items borrow from the input unless they sat in an LZF-compressed blob,
//! which is expanded once per blob. Every count read from the input is
//! checked against the bytes left before it drives a loop or allocation.

use std::borrow::Cow;
use std::collections::VecDeque;

use super::cursor::Cursor;
use super::encodings::Item;
use super::encodings::intset::Intset;
use super::encodings::listpack::Listpack;
use super::encodings::ziplist::Ziplist;
use super::encodings::zipmap::Zipmap;
use super::error::{ErrorKind, RdbError, Result};
use super::format::{ObjectType, RdbStr, ValueType, module_name};

/// A serialized value, borrowed from the input.
#[derive(Clone, Copy, Debug)]
pub struct Value<'a> {
    pub value_type: ValueType,
    /// The value's bytes (after the key), exactly.
    pub data: &'a [u8],
    /// Absolute offset of `data` in the input.
    pub offset: u64,
    /// Element count found while skipping, when headers gave it cheaply.
    known_len: Option<u64>,
    /// A string value's header, parsed once: reports ask for its encoding,
    /// length and bytes, and re-reading it each time showed in profiles.
    string: Option<RdbStr<'a>>,
}

/// A stream ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One element of a collection.
#[derive(Clone, Debug, PartialEq)]
pub enum Element<'a> {
    /// A list item or set member.
    Member(Item<'a>),
    /// A hash field, its value and its expiry (Unix ms), if any.
    Field {
        field: Item<'a>,
        value: Item<'a>,
        expire_ms: Option<i64>,
    },
    /// A sorted-set member and its score.
    Scored { member: Item<'a>, score: f64 },
}

/// A stream entry.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamEntry<'a> {
    pub id: StreamId,
    pub fields: Vec<(Item<'a>, Item<'a>)>,
    /// Deleted entries stay in their listpack, flagged, until it is rewritten.
    pub deleted: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PendingEntry {
    pub id: StreamId,
    pub delivery_time_ms: i64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer<'a> {
    pub name: Cow<'a, [u8]>,
    pub seen_time_ms: i64,
    /// RDB type 21 and later.
    pub active_time_ms: Option<i64>,
    pub pending: Vec<StreamId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerGroup<'a> {
    pub name: Cow<'a, [u8]>,
    pub last_id: StreamId,
    /// RDB type 19 and later.
    pub entries_read: Option<u64>,
    pub pending: Vec<PendingEntry>,
    pub consumers: Vec<Consumer<'a>>,
}

/// Idempotent-producer state of a stream (RDB 13, type 26).
#[derive(Clone, Debug, PartialEq)]
pub struct StreamIdmp<'a> {
    pub duration: u64,
    pub max_entries: u64,
    pub entries: Vec<(Cow<'a, [u8]>, StreamId)>,
    pub iids_added: u64,
    pub iids_duplicates: u64,
}

/// A fully decoded stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream<'a> {
    pub entries: Vec<StreamEntry<'a>>,
    /// Live entries, as the stream's metadata records it (XLEN).
    pub length: u64,
    pub last_id: StreamId,
    /// RDB type 19 and later.
    pub first_id: Option<StreamId>,
    pub max_deleted_id: Option<StreamId>,
    pub entries_added: Option<u64>,
    pub groups: Vec<ConsumerGroup<'a>>,
    pub idmp: Option<StreamIdmp<'a>>,
    /// Number of listpack nodes.
    pub listpacks: u64,
}

/// A module value: which module, and its serialized payload.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleValue<'a> {
    pub module: String,
    pub version: u64,
    pub data: &'a [u8],
}

/// Everything in a value, decoded.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded<'a> {
    String(Cow<'a, [u8]>),
    List(Vec<Item<'a>>),
    Set(Vec<Item<'a>>),
    Hash(Vec<(Item<'a>, Item<'a>, Option<i64>)>),
    Zset(Vec<(Item<'a>, f64)>),
    Stream(Box<Stream<'a>>),
    Module(ModuleValue<'a>),
}

fn item_of(s: RdbStr<'_>) -> Result<Item<'_>> {
    Ok(match s {
        RdbStr::Int(i) => Item::Int(i),
        other => Item::Bytes(other.to_bytes()?),
    })
}

/// Minimum bytes of one element of each plain encoding, used to bound
/// counts: a string takes at least one byte, a hash pair two, a zset2
/// member nine.
const MIN_STR: u64 = 1;

/// Advance `cur` past a value of type `vt`; returns the element count
/// when headers give it without walking (string length for strings).
/// `key` names the key in errors.
pub fn skip(cur: &mut Cursor<'_>, vt: ValueType, key: &RdbStr<'_>) -> Result<Option<u64>> {
    use ValueType::*;
    Ok(match vt {
        String => Some(cur.rdb_str("string value")?.len()),
        List | Set => {
            let n = cur.rdb_count("element count", MIN_STR)?;
            for _ in 0..n {
                cur.skip_rdb_str("element")?;
            }
            Some(n)
        }
        Zset => {
            let n = cur.rdb_count("sorted set size", 2)?;
            for _ in 0..n {
                cur.skip_rdb_str("member")?;
                cur.rdb_text_double("score")?;
            }
            Some(n)
        }
        Zset2 => {
            let n = cur.rdb_count("sorted set size", 9)?;
            for _ in 0..n {
                cur.skip_rdb_str("member")?;
                cur.bytes(8, "score")?;
            }
            Some(n)
        }
        Hash => {
            let n = cur.rdb_count("hash size", 2)?;
            for _ in 0..n {
                cur.skip_rdb_str("field")?;
                cur.skip_rdb_str("field value")?;
            }
            Some(n)
        }
        HashMetadata | HashMetadataPreGa => {
            if vt == HashMetadata {
                cur.rdb_millis("minimum field expiry")?;
            }
            let n = cur.rdb_count("hash size", 3)?;
            for _ in 0..n {
                cur.rdb_len("field TTL")?;
                cur.skip_rdb_str("field")?;
                cur.skip_rdb_str("field value")?;
            }
            Some(n)
        }
        ValkeyHash2 => {
            let n = cur.rdb_count("hash size", 10)?;
            for _ in 0..n {
                cur.skip_rdb_str("field")?;
                cur.skip_rdb_str("field value")?;
                cur.bytes(8, "field expiry")?;
            }
            Some(n)
        }
        HashZipmap | ListZiplist | SetIntset | ZsetZiplist | HashZiplist | HashListpack
        | ZsetListpack | SetListpack | HashListpackEx | HashListpackExPreGa => {
            if vt == HashListpackEx {
                cur.rdb_millis("minimum field expiry")?;
            }
            let at = cur.offset();
            match cur.rdb_str("encoded value")? {
                RdbStr::Raw(blob) => header_count(vt, blob, at)?,
                RdbStr::Lzf { .. } => None,
                RdbStr::Int(_) => {
                    return Err(RdbError::invalid(at, "encoded value is an integer"));
                }
            }
        }
        ListQuicklist | ListQuicklist2 => {
            let nodes = cur.rdb_count("quicklist node count", 2)?;
            let mut total = Some(0u64);
            for _ in 0..nodes {
                let mut plain = false;
                if vt == ListQuicklist2 {
                    let at = cur.offset();
                    match cur.rdb_len("quicklist container")? {
                        1 => plain = true,
                        2 => {}
                        other => {
                            return Err(RdbError::invalid(
                                at,
                                format!("quicklist container {other} (expected 1 or 2)"),
                            ));
                        }
                    }
                }
                let at = cur.offset();
                let node = cur.rdb_str("quicklist node")?;
                let count = match (plain, node) {
                    (true, _) => Some(1),
                    (false, RdbStr::Raw(blob)) => {
                        let t = if vt == ListQuicklist {
                            ListZiplist
                        } else {
                            SetListpack
                        };
                        header_count_unchecked(t, blob, at)
                            .map_err(|e| super::sanitize::integrity(vt, e))?
                    }
                    (false, RdbStr::Lzf { .. }) => None,
                    (false, RdbStr::Int(_)) => {
                        return Err(RdbError::invalid(at, "quicklist node is an integer"));
                    }
                };
                total = match (total, count) {
                    (Some(t), Some(c)) => Some(t + c),
                    _ => None,
                };
            }
            total
        }
        StreamListpacks | StreamListpacks2 | StreamListpacks3 | StreamListpacks4 => {
            Some(skip_stream(cur, vt)?)
        }
        Module2 => {
            cur.rdb_len("module id")?;
            cur.skip_module_opcodes("module value")?;
            None
        }
        ModulePreGa => {
            let name = std::string::String::from_utf8_lossy(&key.to_bytes().unwrap_or_default())
                .into_owned();
            return Err(cur.error(ErrorKind::ModuleNotSkippable { key: name }));
        }
    })
}

/// Element count from a blob's header: entries per element depend on the
/// type (2 for hash and zset pairs, 3 for hash field/value/TTL triples).
fn header_count(vt: ValueType, blob: &[u8], at: u64) -> Result<Option<u64>> {
    header_count_unchecked(vt, blob, at).map_err(|e| super::sanitize::integrity(vt, e))
}

pub(super) fn header_count_unchecked(vt: ValueType, blob: &[u8], at: u64) -> Result<Option<u64>> {
    use ValueType::*;
    Ok(match vt {
        SetIntset => Some(Intset::new(blob, at)?.count()),
        HashZipmap => Zipmap::new(blob, at)?.header_count(),
        ListZiplist => Ziplist::new(blob, at)?.header_count(),
        ZsetZiplist | HashZiplist => Ziplist::new(blob, at)?.header_count().map(|n| n / 2),
        SetListpack => Listpack::new(blob, at)?.header_count(),
        HashListpack | ZsetListpack => Listpack::new(blob, at)?.header_count().map(|n| n / 2),
        HashListpackEx | HashListpackExPreGa => {
            Listpack::new(blob, at)?.header_count().map(|n| n / 3)
        }
        _ => None,
    })
}

fn read_id(cur: &mut Cursor<'_>, what: &'static str) -> Result<StreamId> {
    Ok(StreamId {
        ms: cur.rdb_len(what)?,
        seq: cur.rdb_len(what)?,
    })
}

fn raw_id(cur: &mut Cursor<'_>, what: &'static str) -> Result<StreamId> {
    Ok(StreamId {
        ms: cur.u64_be(what)?,
        seq: cur.u64_be(what)?,
    })
}

fn stream_version(vt: ValueType) -> u8 {
    match vt {
        ValueType::StreamListpacks => 1,
        ValueType::StreamListpacks2 => 2,
        ValueType::StreamListpacks3 => 3,
        _ => 4,
    }
}

/// Walk a stream's structure without decoding its listpacks; returns the
/// recorded length. Also used by [`Value::stream`] through `visit`.
fn skip_stream(cur: &mut Cursor<'_>, vt: ValueType) -> Result<u64> {
    let mut ignore = StreamVisitor::default();
    walk_stream(cur, vt, &mut ignore)
}

/// Length, last ID, first ID, max deleted ID, entries added.
type StreamMeta = (
    u64,
    StreamId,
    Option<StreamId>,
    Option<StreamId>,
    Option<u64>,
);

/// Receives the parts of a stream as [`walk_stream`] finds them.
#[derive(Default)]
struct StreamVisitor<'a> {
    collect: bool,
    listpacks: Vec<(StreamId, RdbStr<'a>, u64)>,
    meta: Option<StreamMeta>,
    groups: Vec<ConsumerGroup<'a>>,
    idmp: Option<StreamIdmp<'a>>,
}

fn walk_stream<'a>(cur: &mut Cursor<'a>, vt: ValueType, v: &mut StreamVisitor<'a>) -> Result<u64> {
    let version = stream_version(vt);
    let nodes = cur.rdb_count("stream listpack count", 2)?;
    for _ in 0..nodes {
        let at = cur.offset();
        let master = cur.rdb_str("stream node key")?;
        let master = match master {
            RdbStr::Raw(b) if b.len() == 16 => {
                let mut c = Cursor::new(b, at, true);
                raw_id(&mut c, "stream node key")?
            }
            _ => {
                return Err(RdbError::invalid(
                    at,
                    "stream node key is not a 16-byte stream ID",
                ));
            }
        };
        let lp_at = cur.offset();
        let lp = cur.rdb_str("stream listpack")?;
        if matches!(lp, RdbStr::Int(_)) {
            return Err(RdbError::invalid(lp_at, "stream listpack is an integer"));
        }
        if v.collect {
            v.listpacks.push((master, lp, lp_at));
        }
    }
    let length = cur.rdb_len("stream length")?;
    let last_id = read_id(cur, "stream last ID")?;
    let (mut first_id, mut max_deleted, mut added) = (None, None, None);
    if version >= 2 {
        first_id = Some(read_id(cur, "stream first ID")?);
        max_deleted = Some(read_id(cur, "stream max deleted ID")?);
        added = Some(cur.rdb_len("stream entries added")?);
    }
    v.meta = Some((length, last_id, first_id, max_deleted, added));
    let groups = cur.rdb_count("consumer group count", 4)?;
    for _ in 0..groups {
        let name = cur.rdb_str("consumer group name")?;
        let last = read_id(cur, "consumer group last ID")?;
        let entries_read = if version >= 2 {
            Some(cur.rdb_len("consumer group entries read")?)
        } else {
            None
        };
        let pel = cur.rdb_count("pending entry count", 25)?;
        let mut pending = Vec::new();
        for _ in 0..pel {
            let id = raw_id(cur, "pending entry ID")?;
            let delivery_time_ms = cur.rdb_millis("pending entry delivery time")?;
            let delivery_count = cur.rdb_len("pending entry delivery count")?;
            if v.collect {
                pending.push(PendingEntry {
                    id,
                    delivery_time_ms,
                    delivery_count,
                });
            }
        }
        let consumers = cur.rdb_count("consumer count", 10)?;
        let mut list = Vec::new();
        for _ in 0..consumers {
            let cname = cur.rdb_str("consumer name")?;
            let seen = cur.rdb_millis("consumer seen time")?;
            let active = if version >= 3 {
                Some(cur.rdb_millis("consumer active time")?)
            } else {
                None
            };
            let n = cur.rdb_count("consumer pending count", 16)?;
            let mut ids = Vec::new();
            for _ in 0..n {
                let id = raw_id(cur, "consumer pending ID")?;
                if v.collect {
                    ids.push(id);
                }
            }
            if v.collect {
                list.push(Consumer {
                    name: cname.to_bytes()?,
                    seen_time_ms: seen,
                    active_time_ms: active,
                    pending: ids,
                });
            }
        }
        if v.collect {
            v.groups.push(ConsumerGroup {
                name: name.to_bytes()?,
                last_id: last,
                entries_read,
                pending,
                consumers: list,
            });
        }
    }
    if version >= 4 {
        let duration = cur.rdb_len("stream IDMP duration")?;
        let max_entries = cur.rdb_len("stream IDMP max entries")?;
        let n = cur.rdb_count("stream IDMP entry count", 17)?;
        let mut entries = Vec::new();
        for _ in 0..n {
            let iid = cur.rdb_str("stream IDMP producer ID")?;
            let ms = cur.u64_le("stream IDMP entry ID")?;
            let seq = cur.u64_le("stream IDMP entry ID")?;
            if v.collect {
                entries.push((iid.to_bytes()?, StreamId { ms, seq }));
            }
        }
        let iids_added = cur.rdb_len("stream IDMP added")?;
        let iids_duplicates = cur.rdb_len("stream IDMP duplicates")?;
        if v.collect {
            v.idmp = Some(StreamIdmp {
                duration,
                max_entries,
                entries,
                iids_added,
                iids_duplicates,
            });
        }
    }
    Ok(length)
}

/// A container blob being walked: borrowed walkers, or the items of an
/// expanded LZF blob (owned, since the expansion lives here).
enum Walker<'a> {
    Ziplist(Ziplist<'a>),
    Listpack(Listpack<'a>),
    Intset(Intset<'a>),
    Zipmap(Zipmap<'a>),
    Owned(VecDeque<Item<'static>>),
    /// A quicklist PLAIN node: one element.
    Single(Option<Item<'a>>),
}

impl<'a> Walker<'a> {
    fn next_item(&mut self) -> Result<Option<Item<'a>>> {
        match self {
            Walker::Ziplist(z) => z.next_item(),
            Walker::Listpack(l) => l.next_item(),
            Walker::Intset(i) => Ok(i.next_item()),
            Walker::Zipmap(z) => z.next_item(),
            Walker::Owned(q) => Ok(q.pop_front()),
            Walker::Single(s) => Ok(s.take()),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BlobKind {
    Ziplist,
    Listpack,
    Intset,
    Zipmap,
}

fn walker_for<'b>(kind: BlobKind, data: &'b [u8], at: u64) -> Result<Walker<'b>> {
    Ok(match kind {
        BlobKind::Ziplist => Walker::Ziplist(Ziplist::new(data, at)?),
        BlobKind::Listpack => Walker::Listpack(Listpack::new(data, at)?),
        BlobKind::Intset => Walker::Intset(Intset::new(data, at)?),
        BlobKind::Zipmap => Walker::Zipmap(Zipmap::new(data, at)?),
    })
}

/// Open a blob stored as an RDB string: walk it in place, or expand it
/// and collect its items.
fn open_blob<'a>(s: RdbStr<'a>, kind: BlobKind, at: u64) -> Result<Walker<'a>> {
    match s {
        RdbStr::Raw(b) => walker_for(kind, b, at),
        RdbStr::Lzf { .. } => {
            let expanded = s.to_bytes()?;
            let mut w = walker_for(kind, &expanded, at)?;
            let mut items = VecDeque::new();
            while let Some(item) = w.next_item()? {
                items.push_back(item.into_owned());
            }
            Ok(Walker::Owned(items))
        }
        RdbStr::Int(_) => Err(RdbError::invalid(at, "encoded value is an integer")),
    }
}

/// An iterator over the elements of a list, set, hash or sorted set.
pub struct Elements<'a> {
    vt: ValueType,
    cur: Cursor<'a>,
    /// Elements left (plain encodings) or blobs left (blob encodings).
    remaining: u64,
    walker: Option<Walker<'a>>,
    min_expire: i64,
    failed: bool,
}

impl<'a> Elements<'a> {
    fn plain_item(&mut self, what: &'static str) -> Result<Item<'a>> {
        let s = self.cur.rdb_str(what)?;
        item_of(s)
    }

    /// The next item of the blob sequence, opening blobs as needed.
    fn next_flat(&mut self) -> Result<Option<Item<'a>>> {
        use ValueType::*;
        loop {
            if let Some(w) = &mut self.walker {
                if let Some(item) = w.next_item()? {
                    return Ok(Some(item));
                }
                self.walker = None;
            }
            if self.remaining == 0 {
                return Ok(None);
            }
            self.remaining -= 1;
            let kind = match self.vt {
                ListZiplist | ZsetZiplist | HashZiplist | ListQuicklist => BlobKind::Ziplist,
                SetIntset => BlobKind::Intset,
                HashZipmap => BlobKind::Zipmap,
                _ => BlobKind::Listpack,
            };
            if self.vt == ListQuicklist2 {
                let container = self.cur.rdb_len("quicklist container")?;
                if container == 1 {
                    let item = self.plain_item("quicklist plain node")?;
                    self.walker = Some(Walker::Single(Some(item)));
                    continue;
                }
            }
            let at = self.cur.offset();
            let s = self.cur.rdb_str("encoded value")?;
            self.walker = Some(open_blob(s, kind, at)?);
        }
    }

    fn pair_item(&mut self) -> Result<Item<'a>> {
        let at = self.cur.offset();
        self.next_flat()?
            .ok_or_else(|| RdbError::invalid(at, "container ends in the middle of an element"))
    }

    fn next_element(&mut self) -> Result<Option<Element<'a>>> {
        use ValueType::*;
        match self.vt {
            List | Set => {
                if self.remaining == 0 {
                    return Ok(None);
                }
                self.remaining -= 1;
                Ok(Some(Element::Member(self.plain_item("element")?)))
            }
            Zset | Zset2 => {
                if self.remaining == 0 {
                    return Ok(None);
                }
                self.remaining -= 1;
                let member = self.plain_item("member")?;
                let score = if self.vt == Zset {
                    self.cur.rdb_text_double("score")?
                } else {
                    self.cur.f64_le("score")?
                };
                Ok(Some(Element::Scored { member, score }))
            }
            Hash => {
                if self.remaining == 0 {
                    return Ok(None);
                }
                self.remaining -= 1;
                let field = self.plain_item("field")?;
                let value = self.plain_item("field value")?;
                Ok(Some(Element::Field {
                    field,
                    value,
                    expire_ms: None,
                }))
            }
            HashMetadata | HashMetadataPreGa => {
                if self.remaining == 0 {
                    return Ok(None);
                }
                self.remaining -= 1;
                let ttl = self.cur.rdb_len("field TTL")?;
                let expire_ms = match (ttl, self.vt) {
                    (0, _) => None,
                    (t, HashMetadata) => {
                        Some((t as i64).wrapping_add(self.min_expire).wrapping_sub(1))
                    }
                    (t, _) => Some(t as i64),
                };
                let field = self.plain_item("field")?;
                let value = self.plain_item("field value")?;
                Ok(Some(Element::Field {
                    field,
                    value,
                    expire_ms,
                }))
            }
            ValkeyHash2 => {
                if self.remaining == 0 {
                    return Ok(None);
                }
                self.remaining -= 1;
                let field = self.plain_item("field")?;
                let value = self.plain_item("field value")?;
                let t = self.cur.i64_le("field expiry")?;
                Ok(Some(Element::Field {
                    field,
                    value,
                    expire_ms: (t >= 0).then_some(t),
                }))
            }
            ListZiplist | SetIntset | SetListpack | ListQuicklist | ListQuicklist2 => {
                Ok(self.next_flat()?.map(Element::Member))
            }
            ZsetZiplist | ZsetListpack => {
                let Some(member) = self.next_flat()? else {
                    return Ok(None);
                };
                let at = self.cur.offset();
                let score_item = self.pair_item()?;
                let score = score_item
                    .as_f64()
                    .ok_or_else(|| RdbError::invalid(at, "sorted set score is not a number"))?;
                Ok(Some(Element::Scored { member, score }))
            }
            HashZipmap | HashZiplist | HashListpack => {
                let Some(field) = self.next_flat()? else {
                    return Ok(None);
                };
                let value = self.pair_item()?;
                Ok(Some(Element::Field {
                    field,
                    value,
                    expire_ms: None,
                }))
            }
            HashListpackEx | HashListpackExPreGa => {
                let Some(field) = self.next_flat()? else {
                    return Ok(None);
                };
                let value = self.pair_item()?;
                let at = self.cur.offset();
                let ttl = self.pair_item()?;
                let ttl = ttl
                    .as_i64()
                    .ok_or_else(|| RdbError::invalid(at, "hash field TTL is not an integer"))?;
                Ok(Some(Element::Field {
                    field,
                    value,
                    expire_ms: (ttl != 0).then_some(ttl),
                }))
            }
            StreamListpacks | StreamListpacks2 | StreamListpacks3 | StreamListpacks4 | String
            | Module2 | ModulePreGa => Ok(None),
        }
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Element<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_element() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl<'a> Value<'a> {
    /// Build from the value's exact bytes (as the reader does, or from a
    /// DUMP payload). `known_len` may be `None`.
    pub fn new(value_type: ValueType, data: &'a [u8], offset: u64, known_len: Option<u64>) -> Self {
        let mut value = Value {
            value_type,
            data,
            offset,
            known_len,
            string: None,
        };
        if value_type == ValueType::String {
            // An unreadable header stays None; string() reports its error.
            value.string = value.cursor().rdb_str("string value").ok();
        }
        value
    }

    /// A string value whose header the caller has already read.
    #[inline]
    pub(crate) fn from_string(string: RdbStr<'a>, data: &'a [u8], offset: u64) -> Self {
        Value {
            value_type: ValueType::String,
            data,
            offset,
            known_len: Some(string.len()),
            string: Some(string),
        }
    }

    pub fn object_type(&self) -> ObjectType {
        self.value_type.object_type()
    }

    fn cursor(&self) -> Cursor<'a> {
        Cursor::new(self.data, self.offset, true)
    }

    /// The encoding as stored: int/raw/lzf for strings, else per type.
    #[inline]
    pub fn encoding(&self) -> &'static str {
        if let Some(s) = &self.string {
            return s.encoding();
        }
        if self.value_type == ValueType::String {
            return match self.string() {
                Ok(s) => s.encoding(),
                Err(_) => "raw",
            };
        }
        self.value_type.encoding()
    }

    /// The string of a string value.
    #[inline]
    pub fn string(&self) -> Result<RdbStr<'a>> {
        if self.value_type != ValueType::String {
            return Err(RdbError::invalid(self.offset, "not a string value"));
        }
        match self.string {
            Some(s) => Ok(s),
            None => self.cursor().rdb_str("string value"),
        }
    }

    /// Element count (bytes for strings; live entries for streams; 0 for
    /// module values). Cheap when headers carry it, else walks.
    #[inline]
    pub fn len(&self) -> Result<u64> {
        if let Some(n) = self.known_len {
            return Ok(n);
        }
        self.len_walked()
    }

    fn len_walked(&self) -> Result<u64> {
        match self.object_type() {
            ObjectType::String => Ok(self.string()?.len()),
            ObjectType::Module => Ok(0),
            ObjectType::Stream => {
                let mut c = self.cursor();
                skip_stream(&mut c, self.value_type)
            }
            _ => {
                let mut n = 0;
                for e in self.elements()? {
                    e?;
                    n += 1;
                }
                Ok(n)
            }
        }
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Iterate the elements of a list, set, hash or sorted set.
    pub fn elements(&self) -> Result<Elements<'a>> {
        use ValueType::*;
        let mut cur = self.cursor();
        let mut min_expire = 0;
        let remaining = match self.value_type {
            List | Set => cur.rdb_count("element count", MIN_STR)?,
            Zset => cur.rdb_count("sorted set size", 2)?,
            Zset2 => cur.rdb_count("sorted set size", 9)?,
            Hash => cur.rdb_count("hash size", 2)?,
            HashMetadata => {
                min_expire = cur.rdb_millis("minimum field expiry")?;
                cur.rdb_count("hash size", 3)?
            }
            HashMetadataPreGa => cur.rdb_count("hash size", 3)?,
            ValkeyHash2 => cur.rdb_count("hash size", 10)?,
            ListQuicklist | ListQuicklist2 => cur.rdb_count("quicklist node count", 2)?,
            HashListpackEx => {
                cur.rdb_millis("minimum field expiry")?;
                1
            }
            HashZipmap | ListZiplist | SetIntset | ZsetZiplist | HashZiplist | HashListpack
            | ZsetListpack | SetListpack | HashListpackExPreGa => 1,
            String | StreamListpacks | StreamListpacks2 | StreamListpacks3 | StreamListpacks4
            | Module2 | ModulePreGa => {
                return Err(RdbError::invalid(
                    self.offset,
                    format!(
                        "a {} value has no elements to iterate",
                        self.object_type().name()
                    ),
                ));
            }
        };
        Ok(Elements {
            vt: self.value_type,
            cur,
            remaining,
            walker: None,
            min_expire,
            failed: false,
        })
    }

    /// Decode a stream value completely.
    pub fn stream(&self) -> Result<Stream<'a>> {
        self.stream_parts(true)
    }

    /// A stream's metadata and consumer groups, its listpacks left
    /// undecoded (`entries` stays empty; `listpacks` counts the nodes).
    pub fn stream_meta(&self) -> Result<Stream<'a>> {
        self.stream_parts(false)
    }

    fn stream_parts(&self, decode_entries: bool) -> Result<Stream<'a>> {
        if self.object_type() != ObjectType::Stream {
            return Err(RdbError::invalid(self.offset, "not a stream value"));
        }
        let mut cur = self.cursor();
        let mut v = StreamVisitor {
            collect: true,
            ..StreamVisitor::default()
        };
        walk_stream(&mut cur, self.value_type, &mut v)?;
        let (length, last_id, first_id, max_deleted_id, entries_added) = v
            .meta
            .ok_or_else(|| RdbError::invalid(self.offset, "stream without metadata"))?;
        let mut entries = Vec::new();
        let listpacks = v.listpacks.len() as u64;
        for (master, lp, at) in v.listpacks {
            if !decode_entries {
                break;
            }
            let mut w = open_blob(lp, BlobKind::Listpack, at)?;
            read_stream_listpack(&mut w, master, at, &mut entries)?;
        }
        Ok(Stream {
            entries,
            length,
            last_id,
            first_id,
            max_deleted_id,
            entries_added,
            groups: v.groups,
            idmp: v.idmp,
            listpacks,
        })
    }

    /// A stream's nodes as stored: each master ID with its listpack bytes
    /// (LZF-expanded), for a server that keeps them as they are.
    pub fn stream_nodes(&self) -> Result<Vec<(StreamId, Vec<u8>)>> {
        if self.object_type() != ObjectType::Stream {
            return Err(RdbError::invalid(self.offset, "not a stream value"));
        }
        let mut cur = self.cursor();
        let mut v = StreamVisitor {
            collect: true,
            ..StreamVisitor::default()
        };
        walk_stream(&mut cur, self.value_type, &mut v)?;
        let mut out = Vec::with_capacity(v.listpacks.len());
        for (master, lp, _) in v.listpacks {
            out.push((master, lp.to_bytes()?.into_owned()));
        }
        Ok(out)
    }

    /// The module that wrote a module value.
    pub fn module(&self) -> Result<ModuleValue<'a>> {
        if self.value_type != ValueType::Module2 {
            return Err(RdbError::invalid(
                self.offset,
                "not a skippable module value",
            ));
        }
        let mut cur = self.cursor();
        let id = cur.rdb_len("module id")?;
        let (module, version) = module_name(id);
        Ok(ModuleValue {
            module,
            version,
            data: cur.rest(),
        })
    }

    /// Decode everything.
    pub fn decode(&self) -> Result<Decoded<'a>> {
        Ok(match self.object_type() {
            ObjectType::String => Decoded::String(self.string()?.to_bytes()?),
            ObjectType::Stream => Decoded::Stream(Box::new(self.stream()?)),
            ObjectType::Module => Decoded::Module(self.module()?),
            t => {
                let mut members = Vec::new();
                let mut fields = Vec::new();
                let mut scored = Vec::new();
                for e in self.elements()? {
                    match e? {
                        Element::Member(m) => members.push(m),
                        Element::Field {
                            field,
                            value,
                            expire_ms,
                        } => fields.push((field, value, expire_ms)),
                        Element::Scored { member, score } => scored.push((member, score)),
                    }
                }
                match t {
                    ObjectType::List => Decoded::List(members),
                    ObjectType::Set => Decoded::Set(members),
                    ObjectType::Hash => Decoded::Hash(fields),
                    _ => Decoded::Zset(scored),
                }
            }
        })
    }
}

const STREAM_ITEM_FLAG_DELETED: i64 = 1;
const STREAM_ITEM_FLAG_SAMEFIELDS: i64 = 2;

/// Read the entries of one stream listpack. Layout: the master entry
/// (count, deleted, field count, fields, 0), then per entry: flags,
/// ms delta, seq delta, [field count, field, value]* or values only when
/// it has the master's fields, and the entry's item count.
fn read_stream_listpack<'a>(
    w: &mut Walker<'a>,
    master: StreamId,
    at: u64,
    out: &mut Vec<StreamEntry<'a>>,
) -> Result<()> {
    let bad = |m: &str| RdbError::invalid(at, format!("stream listpack: {m}"));
    let int = |w: &mut Walker<'a>, what: &str| -> Result<i64> {
        w.next_item()?
            .ok_or_else(|| bad(&format!("ends before {what}")))?
            .as_i64()
            .ok_or_else(|| bad(&format!("{what} is not an integer")))
    };
    let count = int(w, "the entry count")?;
    let deleted = int(w, "the deleted count")?;
    let nfields = int(w, "the master field count")?;
    if nfields < 0 || count < 0 || deleted < 0 {
        return Err(bad("negative count in the master entry"));
    }
    let mut master_fields = Vec::new();
    for _ in 0..nfields {
        master_fields.push(
            w.next_item()?
                .ok_or_else(|| bad("ends inside the master fields"))?,
        );
    }
    if int(w, "the master entry terminator")? != 0 {
        return Err(bad("master entry terminator is not 0"));
    }
    let total = count.saturating_add(deleted);
    let mut seen = 0i64;
    loop {
        let flags = match w.next_item()? {
            None => break,
            Some(f) => f
                .as_i64()
                .ok_or_else(|| bad("entry flags are not an integer"))?,
        };
        seen += 1;
        if seen > total {
            return Err(bad("more entries than the master entry counts"));
        }
        let ms = int(w, "the entry ID")?;
        let seq = int(w, "the entry ID")?;
        let id = StreamId {
            ms: master.ms.wrapping_add(ms as u64),
            seq: master.seq.wrapping_add(seq as u64),
        };
        let mut fields = Vec::new();
        if flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0 {
            for f in &master_fields {
                let v = w.next_item()?.ok_or_else(|| bad("ends inside an entry"))?;
                fields.push((f.clone(), v));
            }
        } else {
            let n = int(w, "the entry field count")?;
            if n < 0 {
                return Err(bad("negative field count"));
            }
            for _ in 0..n {
                let f = w.next_item()?.ok_or_else(|| bad("ends inside an entry"))?;
                let v = w.next_item()?.ok_or_else(|| bad("ends inside an entry"))?;
                fields.push((f, v));
            }
        }
        int(w, "the entry item count")?;
        out.push(StreamEntry {
            id,
            fields,
            deleted: flags & STREAM_ITEM_FLAG_DELETED != 0,
        });
    }
    Ok(())
}
