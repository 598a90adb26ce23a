//! What the `rdb` subcommands share: the filters of the command line
//! turned into a [`KeyFilter`], the JSON shape of a value (the bytes rule),
//! and a walk over the keys of a mapped snapshot that hands each wanted
//! key over with its name decoded.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde_json::{Value as Json, json};

use crate::cli::{RdbFilterArgs, RdbTypeFilter};
use crate::glob::Pattern;
use crate::output::bytes::JsonBytes;
use crate::rdb::filter::{ExpiryFilter, KeyFilter};
use crate::rdb::{Decoded, Event, Item, KeyEntry, Located, ObjectType, RdbError, RdbStr, Value};

pub fn object_type(t: RdbTypeFilter) -> ObjectType {
    match t {
        RdbTypeFilter::String => ObjectType::String,
        RdbTypeFilter::List => ObjectType::List,
        RdbTypeFilter::Set => ObjectType::Set,
        RdbTypeFilter::Zset => ObjectType::Zset,
        RdbTypeFilter::Hash => ObjectType::Hash,
        RdbTypeFilter::Stream => ObjectType::Stream,
        RdbTypeFilter::Module => ObjectType::Module,
    }
}

/// The filters of the command line; `slots` are the `--slots` ranges of
/// the command, `--slot` values are added as one-slot ranges.
pub fn key_filter(args: &RdbFilterArgs, slots: &[(u16, u16)]) -> anyhow::Result<KeyFilter> {
    let regex = match &args.regex {
        Some(r) => Some(
            regex::bytes::Regex::new(r).with_context(|| format!("--regex {r:?} is not valid"))?,
        ),
        None => None,
    };
    let mut ranges: Vec<(u16, u16)> = slots.to_vec();
    ranges.extend(args.slot.iter().map(|&s| (s, s)));
    Ok(KeyFilter {
        dbs: args.db.clone(),
        types: args.value_type.iter().map(|&t| object_type(t)).collect(),
        include: args
            .pattern
            .iter()
            .map(|p| Pattern::new(p.as_encoded_bytes()))
            .collect(),
        exclude: args
            .exclude
            .iter()
            .map(|p| Pattern::new(p.as_encoded_bytes()))
            .collect(),
        regex,
        min_size: args.min_size,
        expiry: if args.expired {
            Some(ExpiryFilter::Expired)
        } else if args.not_expired {
            Some(ExpiryFilter::NotExpired)
        } else {
            None
        },
        slots: ranges,
    })
}

/// The current time in Unix milliseconds.
pub fn clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Walk a complete snapshot in file order, calling `each` with every
/// event but the keys the filter leaves out; for a key, the second
/// argument is its decoded name (and the first is `None`: keys take the
/// reader's lean path, [`crate::rdb::Reader::next_key`], which builds no
/// event). Stops at the first error of the file or of the callback.
pub fn walk_keys<E: From<RdbError>>(
    data: &[u8],
    filter: &KeyFilter,
    now_ms: i64,
    mut each: impl FnMut(Option<&Located<'_>>, Option<(&KeyEntry<'_>, &[u8])>) -> Result<(), E>,
) -> Result<(), E> {
    walk_keys_quick(
        data,
        filter,
        now_ms,
        &mut (),
        |_, _, _| None,
        |_, located, key| each(located, key),
    )
}

/// [`walk_keys`] with a quick path tried first at each record: `quick`
/// gets the reader and the input from its position on, and either moves
/// the reader past a record it handled (`Some`) or leaves it (`None`) for
/// the general path. Both callbacks share `state`.
pub fn walk_keys_quick<S, E: From<RdbError>>(
    data: &[u8],
    filter: &KeyFilter,
    now_ms: i64,
    state: &mut S,
    mut quick: impl FnMut(&mut S, &mut crate::rdb::Reader, &[u8]) -> Option<Result<(), E>>,
    mut each: impl FnMut(&mut S, Option<&Located<'_>>, Option<(&KeyEntry<'_>, &[u8])>) -> Result<(), E>,
) -> Result<(), E> {
    let mut key_buf = Vec::new();
    let filtered = !filter.is_empty();
    // The checksum is `rdb inspect`'s business; a damaged value is still
    // found where it is parsed.
    let mut reader = crate::rdb::Reader::new().without_checksum();
    loop {
        let rest = data.get(reader.position() as usize..).unwrap_or(&[]);
        if let Some(done) = quick(&mut *state, &mut reader, rest) {
            done?;
            continue;
        }
        let mut each = |located: Option<&Located<'_>>, key: Option<(&KeyEntry<'_>, &[u8])>| {
            each(&mut *state, located, key)
        };
        if let Some(delivered) = reader.next_key(rest, |entry| {
            deliver_key(entry, filter, filtered, now_ms, &mut key_buf, &mut each)
        }) {
            delivered?;
            continue;
        }
        match reader.next(rest, true)? {
            Some(located) => deliver(&located, filter, filtered, now_ms, &mut key_buf, &mut each)?,
            None => return Ok(()),
        }
    }
}

/// Hand one event to `each`, a key only when the filter wants it.
fn deliver<E: From<RdbError>>(
    located: &Located<'_>,
    filter: &KeyFilter,
    filtered: bool,
    now_ms: i64,
    key_buf: &mut Vec<u8>,
    each: &mut impl FnMut(Option<&Located<'_>>, Option<(&KeyEntry<'_>, &[u8])>) -> Result<(), E>,
) -> Result<(), E> {
    let Event::Key(entry) = &located.event else {
        return each(Some(located), None);
    };
    deliver_key(entry, filter, filtered, now_ms, key_buf, each)
}

/// Hand a key to `each` when the filter wants it.
#[inline]
fn deliver_key<E: From<RdbError>>(
    entry: &KeyEntry<'_>,
    filter: &KeyFilter,
    filtered: bool,
    now_ms: i64,
    key_buf: &mut Vec<u8>,
    each: &mut impl FnMut(Option<&Located<'_>>, Option<(&KeyEntry<'_>, &[u8])>) -> Result<(), E>,
) -> Result<(), E> {
    if filtered && !filter.wants_cheap(entry, now_ms) {
        return Ok(());
    }
    let key: &[u8] = match entry.key {
        RdbStr::Raw(b) => b,
        ref other => {
            other.write_into(key_buf)?;
            key_buf
        }
    };
    if filtered && filter.needs_key() && !filter.wants_key(key) {
        return Ok(());
    }
    each(None, Some((entry, key)))
}

pub fn item_json(item: &Item<'_>) -> Json {
    serde_json::to_value(JsonBytes(&item.to_bytes())).unwrap_or(Json::Null)
}

pub fn bytes_json(b: &[u8]) -> Json {
    serde_json::to_value(JsonBytes(b)).unwrap_or(Json::Null)
}

pub fn score_json(score: f64) -> Json {
    if score.is_finite() {
        json!(score)
    } else if score.is_nan() {
        json!("nan")
    } else if score > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

/// A value as JSON, by the bytes rule; docs/rdb.md has the shapes.
pub fn value_json(value: &Value<'_>) -> Result<Json, RdbError> {
    Ok(match value.decode()? {
        Decoded::String(s) => bytes_json(&s),
        Decoded::List(items) | Decoded::Set(items) => {
            Json::Array(items.iter().map(item_json).collect())
        }
        Decoded::Hash(fields) => Json::Array(
            fields
                .iter()
                .map(|(f, v, ttl)| match ttl {
                    None => json!([item_json(f), item_json(v)]),
                    Some(t) => json!([item_json(f), item_json(v), t]),
                })
                .collect(),
        ),
        Decoded::Zset(members) => Json::Array(
            members
                .iter()
                .map(|(m, s)| json!([item_json(m), score_json(*s)]))
                .collect(),
        ),
        Decoded::Stream(s) => json!({
            "length": s.length,
            "last_id": s.last_id.to_string(),
            "first_id": s.first_id.map(|i| i.to_string()),
            "max_deleted_id": s.max_deleted_id.map(|i| i.to_string()),
            "entries_added": s.entries_added,
            "entries": s.entries.iter().map(|e| json!({
                "id": e.id.to_string(),
                "deleted": e.deleted,
                "fields": e.fields.iter().map(|(f, v)| json!([item_json(f), item_json(v)])).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "groups": s.groups.iter().map(|g| json!({
                "name": bytes_json(&g.name),
                "last_id": g.last_id.to_string(),
                "entries_read": g.entries_read,
                "pending": g.pending.iter().map(|p| json!({
                    "id": p.id.to_string(),
                    "delivery_time_ms": p.delivery_time_ms,
                    "delivery_count": p.delivery_count,
                })).collect::<Vec<_>>(),
                "consumers": g.consumers.iter().map(|c| json!({
                    "name": bytes_json(&c.name),
                    "seen_time_ms": c.seen_time_ms,
                    "active_time_ms": c.active_time_ms,
                    "pending": c.pending.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Decoded::Module(m) => json!({
            "module": m.module,
            "module_version": m.version,
            "bytes": m.data.len(),
        }),
    })
}
