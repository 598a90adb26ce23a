//! SORT and SORT_RO: the elements of a list, set or sorted set ordered
//! numerically or lexicographically, by themselves or by keys and hash
//! fields named by a pattern, with LIMIT, GET projections and STORE.

use std::cmp::Ordering;

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::signal::event;
use super::super::types::hash::HashRef;
use super::super::types::limits;
use super::super::types::list::List;
use super::super::types::set::SetRef;
use super::super::types::zset::ZsetRef;
use super::super::types::{Str, Value};
use super::written::{key_deleted, key_written};
use super::{int_arg, is};

const G: &str = "generic";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "sort",
        -2,
        WRITE | DENYOOM | MOVABLE_KEYS,
        G,
        "1.0.0",
        "Sort the elements in a list, set or sorted set",
        sort,
    )
    .keys(1, 1, 1),
    Spec::new(
        "sort_ro",
        -2,
        // Movable: BY/GET name keys derived from the values (Redis's
        // "unknown" key spec).
        READONLY | MOVABLE_KEYS,
        G,
        "7.0.0",
        "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        sort_ro,
    )
    .keys(1, 1, 1),
];

fn sort(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    sort_generic(srv, client, args, false);
}

fn sort_ro(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    sort_generic(srv, client, args, true);
}

/// The keys SORT reads and writes: the source, then the last STORE
/// destination (COMMAND GETKEYS).
pub fn sort_keys<'a>(args: &[&'a [u8]]) -> Vec<&'a [u8]> {
    let mut keys = vec![args[1]];
    let mut store = None;
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        if is(args[j], "limit") && left >= 2 {
            j += 2;
        } else if (is(args[j], "get") || is(args[j], "by")) && left >= 1 {
            j += 1;
        } else if is(args[j], "store") && left >= 1 {
            store = Some(args[j + 1]);
            j += 1;
        }
        j += 1;
    }
    keys.extend(store);
    keys
}

/// What a BY or GET pattern names for `element`: the element itself
/// (`#`), a string key's value, or a hash field (`key*->field`).
enum Found {
    Missing,
    Bytes(Vec<u8>),
    Int(i64),
}

fn lookup_pattern(srv: &mut Server, db: usize, pattern: &[u8], element: &[u8]) -> Found {
    if pattern == b"#" {
        return Found::Bytes(element.to_vec());
    }
    let Some(star) = pattern.iter().position(|&b| b == b'*') else {
        return Found::Missing;
    };
    let after = &pattern[star + 1..];
    let (postfix, field) = match after.windows(2).position(|w| w == b"->") {
        Some(at) if at + 2 < after.len() => (&after[..at], Some(&after[at + 2..])),
        _ => (after, None),
    };
    let mut key = Vec::with_capacity(pattern.len() + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(postfix);
    let Some(obj) = srv.ks.lookup(db, &key) else {
        return Found::Missing;
    };
    match (field, &obj.value) {
        (None, Value::String(Str::Int(n))) => Found::Int(*n),
        (None, Value::String(s)) => Found::Bytes(s.to_vec()),
        (Some(f), v) => match HashRef::of(v).and_then(|h| h.get(f)) {
            Some(bytes) => Found::Bytes(bytes.to_vec()),
            None => Found::Missing,
        },
        _ => Found::Missing,
    }
}

/// C strtod over the bytes up to the first NUL, as SORT's numeric mode
/// uses it: the whole text must be consumed, no range error, not NaN.
fn sort_score(text: &[u8]) -> Option<f64> {
    let n = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let mut buf = Vec::with_capacity(n + 1);
    buf.extend_from_slice(&text[..n]);
    buf.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: buf is NUL-terminated and outlives the call; errno is this
    // thread's.
    let (v, erange, consumed) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr().cast(), &mut end);
        let erange = *libc::__errno_location() == libc::ERANGE;
        (v, erange, end.offset_from(buf.as_ptr().cast()) as usize)
    };
    (consumed == n && !erange && !v.is_nan()).then_some(v)
}

struct Item {
    element: Vec<u8>,
    score: f64,
    by: Option<Vec<u8>>,
}

fn sort_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], read_only: bool) {
    let db = client.db;
    let (mut desc, mut alpha, mut dont_sort) = (false, false, false);
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut sort_by: Option<&[u8]> = None;
    let mut store: Option<&[u8]> = None;
    let mut gets: Vec<&[u8]> = Vec::new();
    // ACL: BY and GET patterns need read access to every key.
    let mut full_access = None;
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        if is(args[j], "asc") {
            desc = false;
        } else if is(args[j], "desc") {
            desc = true;
        } else if is(args[j], "alpha") {
            alpha = true;
        } else if is(args[j], "limit") && left >= 2 {
            let Some(start) = int_arg(client, args[j + 1]) else {
                return;
            };
            let Some(count) = int_arg(client, args[j + 2]) else {
                return;
            };
            (limit_start, limit_count) = (start, count);
            j += 2;
        } else if !read_only && is(args[j], "store") && left >= 1 {
            store = Some(args[j + 1]);
            j += 1;
        } else if is(args[j], "by") && left >= 1 {
            sort_by = Some(args[j + 1]);
            dont_sort = !args[j + 1].contains(&b'*');
            if !dont_sort
                && !*full_access.get_or_insert_with(|| srv.acl_reads_all_keys(client, args))
            {
                client
                    .reply
                    .error("BY option of SORT denied due to insufficient ACL permissions.");
                return;
            }
            j += 1;
        } else if is(args[j], "get") && left >= 1 {
            if !*full_access.get_or_insert_with(|| srv.acl_reads_all_keys(client, args)) {
                client
                    .reply
                    .error("GET option of SORT denied due to insufficient ACL permissions.");
                return;
            }
            gets.push(args[j + 1]);
            j += 1;
        } else {
            client.reply.syntax_error();
            return;
        }
        j += 1;
    }

    // The elements, in the order the source keeps them.
    let (elements, kind) = match srv.ks.lookup(db, args[1]).map(|o| &o.value) {
        None => (Source::List(Vec::new()), 'l'),
        Some(Value::List(l)) => (Source::List(list_items(l)), 'l'),
        Some(v) => {
            if let Some(s) = SetRef::of(v) {
                (Source::Set(s.iter().map(|m| m.to_vec()).collect()), 's')
            } else if let Some(z) = ZsetRef::of(v) {
                (
                    Source::Zset(z.iter().map(|(m, _)| m.to_vec()).collect()),
                    'z',
                )
            } else {
                client.reply.wrong_type();
                return;
            }
        }
    };
    if dont_sort && kind == 's' && (store.is_some() || client.script) {
        // A set's order is arbitrary: sorting makes STORE (and so
        // replicas) and scripts deterministic, as Redis does.
        dont_sort = false;
        alpha = true;
        sort_by = None;
    }
    let mut items = match elements {
        Source::List(v) | Source::Set(v) | Source::Zset(v) => v,
    };
    let len = items.len() as i64;
    let mut start = limit_start.max(0).min(len);
    let limit_count = limit_count.max(-1).min(len);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start + limit_count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    if dont_sort && kind != 's' {
        // Native order, reversed by DESC, cut to the LIMIT.
        if desc {
            items.reverse();
        }
        if end >= start {
            items = items
                .drain(start as usize..=end as usize)
                .collect::<Vec<_>>();
        } else {
            items.clear();
        }
        end -= start;
        start = 0;
    }

    let mut vector: Vec<Item> = items
        .into_iter()
        .map(|element| Item {
            element,
            score: 0.0,
            by: None,
        })
        .collect();
    let mut conversion_error = false;
    if !dont_sort {
        for item in &mut vector {
            let by = match sort_by {
                Some(p) => match lookup_pattern(srv, db, p, &item.element) {
                    Found::Missing => continue,
                    found => found,
                },
                None => Found::Bytes(item.element.clone()),
            };
            if alpha {
                if sort_by.is_some() {
                    item.by = Some(match by {
                        Found::Bytes(b) => b,
                        Found::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
                        Found::Missing => Vec::new(),
                    });
                }
            } else {
                match by {
                    Found::Int(n) => item.score = n as f64,
                    Found::Bytes(b) => match sort_score(&b) {
                        Some(s) => item.score = s,
                        None => conversion_error = true,
                    },
                    Found::Missing => {}
                }
            }
        }
        let by_pattern = sort_by.is_some();
        let compare = |a: &Item, b: &Item| -> Ordering {
            let cmp = if !alpha {
                if a.score > b.score {
                    Ordering::Greater
                } else if a.score < b.score {
                    Ordering::Less
                } else {
                    a.element.cmp(&b.element)
                }
            } else if by_pattern {
                match (&a.by, &b.by) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => x.cmp(y),
                }
            } else {
                a.element.cmp(&b.element)
            };
            if desc { cmp.reverse() } else { cmp }
        };
        vector.sort_by(compare);
    }

    let count = if end >= start {
        (end - start + 1) as usize
    } else {
        0
    };
    let output_len = if gets.is_empty() {
        count
    } else {
        gets.len() * count
    };
    if conversion_error {
        client
            .reply
            .error("One or more scores can't be converted into double");
        return;
    }
    let range = if count > 0 {
        &vector[start as usize..=end as usize]
    } else {
        &vector[..0]
    };
    match store {
        None => {
            client.reply.array(output_len);
            for item in range {
                if gets.is_empty() {
                    client.reply.bulk(&item.element);
                }
                for pattern in &gets {
                    match lookup_pattern(srv, db, pattern, &item.element) {
                        Found::Missing => client.reply.null(),
                        Found::Bytes(b) => client.reply.bulk(&b),
                        Found::Int(n) => client.reply.bulk_int(n),
                    }
                }
            }
        }
        Some(target) => {
            let fill = limits().list_max_listpack_size;
            let mut list = List::new();
            for item in range {
                if gets.is_empty() {
                    list.push_back(&item.element, fill);
                }
                for pattern in &gets {
                    match lookup_pattern(srv, db, pattern, &item.element) {
                        Found::Missing => list.push_back(b"", fill),
                        Found::Bytes(b) => list.push_back(&b, fill),
                        Found::Int(n) => {
                            list.push_back(itoa::Buffer::new().format(n).as_bytes(), fill)
                        }
                    }
                }
            }
            if output_len > 0 {
                srv.ks.expire_if_needed(db, target);
                srv.ks.dbs[db].set(target, Value::List(Box::new(list)), false);
                key_written(srv, db, target, event::SORTSTORE, output_len as u64);
            } else if srv.ks.delete(db, target) {
                key_deleted(srv, db, target);
            }
            client.reply.int(output_len as i64);
        }
    }
}

enum Source {
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Zset(Vec<Vec<u8>>),
}

fn list_items(list: &List) -> Vec<Vec<u8>> {
    list.iter().map(<[u8]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_strtod() {
        assert_eq!(sort_score(b""), Some(0.0));
        assert_eq!(sort_score(b" 1.5"), Some(1.5));
        assert_eq!(sort_score(b"inf"), Some(f64::INFINITY));
        assert_eq!(sort_score(b"1e400"), None);
        assert_eq!(sort_score(b"nan"), None);
        assert_eq!(sort_score(b"1x"), None);
    }

    #[test]
    fn store_key_is_the_last_one() {
        let args: Vec<&[u8]> = vec![b"sort", b"abc", b"store", b"invalid", b"store", b"def"];
        assert_eq!(sort_keys(&args), vec![&b"abc"[..], b"def"]);
    }
}
