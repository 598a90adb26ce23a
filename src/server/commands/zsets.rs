//! Sorted-set commands: ZADD and its options, scores and ranks, ranges by
//! rank, score and lexicographic order (ZRANGE and the legacy family,
//! ZRANGESTORE), range removals, pops (ZPOPMIN/MAX, ZMPOP and the blocking
//! BZPOPMIN/BZPOPMAX/BZMPOP), random members, the algebra
//! (ZUNION/ZINTER/ZDIFF, STORE forms, WEIGHTS, AGGREGATE, ZINTERCARD) and
//! ZSCAN — with Redis 7.0's replies (doubles as `%.17g`, nested pairs in
//! RESP3), errors and propagation (ZMPOP and blocking pops as ZPOPMIN or
//! ZPOPMAX). ZRANK/ZREVRANK also take Redis 7.2's WITHSCORE.

use super::super::Server;
use super::super::blocking::timeout_arg;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::numeric::{d2string, parse_double, strtod_cstr};
use super::super::propagate::Propagated;
use super::super::signal::{Event, event};
use super::super::types::limits;
use super::super::types::set::SetRef;
use super::super::types::skiplist::{LexBound, LexRange, ScoreRange};
use super::super::types::zset::{self, AddFlags, RemoveRange, ZsetRef};
use super::super::types::{Kind, Value};
use super::hashes::distinct_sample;
use super::lists::clamp_range;
use super::{
    WrongType, drop_if_empty, int_arg, is, mpop_args, positive_arg, range_arg, read_kind,
    read_kind_rng, remove_elements, reply_scan, scan_cursor_arg, scan_options, value_mut,
    write_kind,
};

const G: &str = "sorted_set";

pub const COMMANDS: &[Spec] = &[
    Spec::new("zadd", -4, WRITE | DENYOOM | FAST, G, "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists", zadd).keys(1, 1, 1),
    Spec::new("zincrby", 4, WRITE | DENYOOM | FAST, G, "1.2.0", "Increment the score of a member in a sorted set", zincrby).keys(1, 1, 1),
    Spec::new("zrem", -3, WRITE | FAST, G, "1.2.0", "Remove one or more members from a sorted set", zrem).keys(1, 1, 1),
    Spec::new("zscore", 3, READONLY | FAST, G, "1.2.0", "Get the score associated with the given member in a sorted set", zscore).keys(1, 1, 1),
    Spec::new("zmscore", -3, READONLY | FAST, G, "6.2.0", "Get the score associated with the given members in a sorted set", zmscore).keys(1, 1, 1),
    Spec::new("zcard", 2, READONLY | FAST, G, "1.2.0", "Get the number of members in a sorted set", zcard).keys(1, 1, 1),
    Spec::new("zcount", 4, READONLY | FAST, G, "2.0.0", "Count the members in a sorted set with scores within the given values", zcount).keys(1, 1, 1),
    Spec::new("zlexcount", 4, READONLY | FAST, G, "2.8.9", "Count the number of members in a sorted set between a given lexicographical range", zlexcount).keys(1, 1, 1),
    Spec::new("zrank", -3, READONLY | FAST, G, "2.0.0", "Determine the index of a member in a sorted set", zrank).keys(1, 1, 1),
    Spec::new("zrevrank", -3, READONLY | FAST, G, "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low", zrevrank).keys(1, 1, 1),
    Spec::new("zrange", -4, READONLY, G, "1.2.0", "Return a range of members in a sorted set", zrange).keys(1, 1, 1),
    Spec::new("zrangestore", -5, WRITE | DENYOOM, G, "6.2.0", "Store a range of members from sorted set into another key", zrangestore).keys(1, 2, 1),
    Spec::new("zrangebyscore", -4, READONLY, G, "1.0.5", "Return a range of members in a sorted set, by score", zrangebyscore).keys(1, 1, 1),
    Spec::new("zrevrangebyscore", -4, READONLY, G, "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low", zrevrangebyscore).keys(1, 1, 1),
    Spec::new("zrangebylex", -4, READONLY, G, "2.8.9", "Return a range of members in a sorted set, by lexicographical range", zrangebylex).keys(1, 1, 1),
    Spec::new("zrevrangebylex", -4, READONLY, G, "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", zrevrangebylex).keys(1, 1, 1),
    Spec::new("zrevrange", -4, READONLY, G, "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low", zrevrange).keys(1, 1, 1),
    Spec::new("zremrangebyrank", 4, WRITE, G, "2.0.0", "Remove all members in a sorted set within the given indexes", zremrangebyrank).keys(1, 1, 1),
    Spec::new("zremrangebyscore", 4, WRITE, G, "1.2.0", "Remove all members in a sorted set within the given scores", zremrangebyscore).keys(1, 1, 1),
    Spec::new("zremrangebylex", 4, WRITE, G, "2.8.9", "Remove all members in a sorted set between the given lexicographical range", zremrangebylex).keys(1, 1, 1),
    Spec::new("zpopmin", -2, WRITE | FAST, G, "5.0.0", "Remove and return members with the lowest scores in a sorted set", zpopmin).keys(1, 1, 1),
    Spec::new("zpopmax", -2, WRITE | FAST, G, "5.0.0", "Remove and return members with the highest scores in a sorted set", zpopmax).keys(1, 1, 1),
    Spec::new("bzpopmin", -3, WRITE | NOSCRIPT | FAST | BLOCKING, G, "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", bzpopmin).keys(1, -2, 1),
    Spec::new("bzpopmax", -3, WRITE | NOSCRIPT | FAST | BLOCKING, G, "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", bzpopmax).keys(1, -2, 1),
    Spec::new("zmpop", -4, WRITE | MOVABLE_KEYS, G, "7.0.0", "Remove and return members with scores in a sorted set", zmpop),
    Spec::new("bzmpop", -5, WRITE | BLOCKING | MOVABLE_KEYS, G, "7.0.0", "Remove and return members with scores in a sorted set or block until one is available", bzmpop),
    Spec::new("zrandmember", -2, READONLY, G, "6.2.0", "Get one or multiple random elements from a sorted set", zrandmember).keys(1, 1, 1),
    Spec::new("zunion", -3, READONLY | MOVABLE_KEYS, G, "6.2.0", "Add multiple sorted sets", zunion),
    Spec::new("zinter", -3, READONLY | MOVABLE_KEYS, G, "6.2.0", "Intersect multiple sorted sets", zinter),
    Spec::new("zdiff", -3, READONLY | MOVABLE_KEYS, G, "6.2.0", "Subtract multiple sorted sets", zdiff),
    Spec::new("zunionstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, G, "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key", zunionstore).keys(1, 1, 1),
    Spec::new("zinterstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, G, "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key", zinterstore).keys(1, 1, 1),
    Spec::new("zdiffstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, G, "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key", zdiffstore).keys(1, 1, 1),
    Spec::new("zintercard", -3, READONLY | MOVABLE_KEYS, G, "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result", zintercard),
    Spec::new("zscan", -3, READONLY, G, "2.8.0", "Incrementally iterate sorted sets elements and associated scores", zscan).keys(1, 1, 1),
];

/// Reply (member, score) pairs: flat in RESP2, nested pairs in RESP3 when
/// scores are asked for.
fn reply_scored(client: &mut Client, items: &[(&[u8], f64)], withscores: bool) {
    let resp3 = client.reply.resp3;
    if withscores && !resp3 {
        client.reply.array(items.len() * 2);
    } else {
        client.reply.array(items.len());
    }
    for &(m, s) in items {
        if withscores && resp3 {
            client.reply.array(2);
        }
        client.reply.bulk(m);
        if withscores {
            client.reply.double(s);
        }
    }
}

fn score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    match arg.first() {
        Some(b'(') => strtod_cstr(&arg[1..]).map(|v| (v, true)),
        _ => strtod_cstr(arg).map(|v| (v, false)),
    }
}

/// Redis's zslParseRange, replying its error.
fn score_range(client: &mut Client, min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    match (score_bound(min), score_bound(max)) {
        (Some((min, min_ex)), Some((max, max_ex))) => Some(ScoreRange {
            min,
            max,
            min_ex,
            max_ex,
        }),
        _ => {
            client.reply.error("min or max is not a float");
            None
        }
    }
}

fn lex_bound(arg: &[u8]) -> Option<LexBound> {
    match arg.first() {
        Some(b'+') if arg.len() == 1 => Some(LexBound::Max),
        Some(b'-') if arg.len() == 1 => Some(LexBound::Min),
        Some(b'(') => Some(LexBound::Excl(arg[1..].to_vec())),
        Some(b'[') => Some(LexBound::Incl(arg[1..].to_vec())),
        _ => None,
    }
}

/// Redis's zslParseLexRange, replying its error.
fn lex_range(client: &mut Client, min: &[u8], max: &[u8]) -> Option<LexRange> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(min), Some(max)) => Some(LexRange { min, max }),
        _ => {
            client.reply.error("min or max not valid string range item");
            None
        }
    }
}

fn zadd_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], mut flags: AddFlags) {
    let mut ch = false;
    let mut at = 2;
    while at < args.len() {
        let opt = args[at];
        if is(opt, "nx") {
            flags.nx = true;
        } else if is(opt, "xx") {
            flags.xx = true;
        } else if is(opt, "ch") {
            ch = true;
        } else if is(opt, "incr") {
            flags.incr = true;
        } else if is(opt, "gt") {
            flags.gt = true;
        } else if is(opt, "lt") {
            flags.lt = true;
        } else {
            break;
        }
        at += 1;
    }
    let pairs = args.len() - at;
    if pairs == 0 || !pairs.is_multiple_of(2) {
        client.reply.syntax_error();
        return;
    }
    let pairs = pairs / 2;
    if flags.nx && flags.xx {
        client
            .reply
            .error("XX and NX options at the same time are not compatible");
        return;
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        client
            .reply
            .error("GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if flags.incr && pairs > 1 {
        client
            .reply
            .error("INCR option supports a single increment-element pair");
        return;
    }
    let mut scores = Vec::with_capacity(pairs);
    for j in 0..pairs {
        match parse_double(args[at + 2 * j]) {
            Some(s) => scores.push(s),
            None => {
                client.reply.error("value is not a valid float");
                return;
            }
        }
    }
    let (db, key) = (client.db, args[1]);
    match write_kind(srv, client, key, Kind::Zset) {
        Err(WrongType) => return,
        Ok(Some(_)) => {}
        Ok(None) => {
            if flags.xx {
                reply_zadd(client, flags.incr, ch, 0, 0, 0, 0.0);
                return;
            }
            srv.ks.dbs[db].add(key, zset::new_for(args[at + 1].len()));
        }
    }
    let event = if flags.incr {
        event::ZINCR
    } else {
        event::ZADD
    };
    let Some(value) = value_mut(srv, db, key) else {
        return;
    };
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut score = 0.0;
    for (j, &s) in scores.iter().enumerate() {
        match zset::add(value, s, args[at + 1 + 2 * j], flags) {
            None => {
                drop_if_empty(srv, db, key);
                if added + updated > 0 {
                    srv.key_changed(db, key, event, added + updated);
                }
                client.reply.error("resulting score is not a number (NaN)");
                return;
            }
            Some(r) => {
                added += u64::from(r.added);
                updated += u64::from(r.updated);
                processed += u64::from(!r.nop);
                score = r.score;
            }
        }
    }
    drop_if_empty(srv, db, key);
    if added + updated > 0 {
        srv.key_changed(db, key, event, added + updated);
    }
    reply_zadd(client, flags.incr, ch, added, updated, processed, score);
}

fn reply_zadd(
    client: &mut Client,
    incr: bool,
    ch: bool,
    added: u64,
    updated: u64,
    processed: u64,
    score: f64,
) {
    if incr {
        if processed > 0 {
            client.reply.double(score);
        } else {
            client.reply.null();
        }
    } else {
        client
            .reply
            .int((if ch { added + updated } else { added }) as i64);
    }
}

pub fn zadd(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    zadd_generic(srv, client, args, AddFlags::default());
}

fn zincrby(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    zadd_generic(
        srv,
        client,
        args,
        AddFlags {
            incr: true,
            ..AddFlags::default()
        },
    );
}

fn zrem(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    remove_elements(srv, client, args, Kind::Zset, event::ZREM, zset::remove);
}

fn zscore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::Zset) {
        Err(WrongType) => {}
        Ok(v) => match v.and_then(ZsetRef::of).and_then(|z| z.score(args[2])) {
            Some(s) => client.reply.double(s),
            None => client.reply.null(),
        },
    }
}

fn zmscore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Ok(v) = read_kind(srv, client, args[1], Kind::Zset) else {
        return;
    };
    let z = v.and_then(ZsetRef::of);
    client.reply.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => client.reply.double(s),
            None => client.reply.null(),
        }
    }
}

fn zcard(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match read_kind(srv, client, args[1], Kind::Zset) {
        Err(WrongType) => {}
        Ok(v) => client.reply.int(v.map_or(0, Value::len) as i64),
    }
}

fn zcount(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(range) = score_range(client, args[2], args[3]) else {
        return;
    };
    match read_kind(srv, client, args[1], Kind::Zset) {
        Err(WrongType) => {}
        Ok(v) => {
            let n = v.and_then(ZsetRef::of).map_or(0, |z| z.count_in(&range));
            client.reply.int(n as i64);
        }
    }
}

fn zlexcount(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(range) = lex_range(client, args[2], args[3]) else {
        return;
    };
    match read_kind(srv, client, args[1], Kind::Zset) {
        Err(WrongType) => {}
        Ok(v) => {
            let n = v.and_then(ZsetRef::of).map_or(0, |z| z.count_in(&range));
            client.reply.int(n as i64);
        }
    }
}

fn rank_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], reverse: bool) {
    if args.len() > 4 {
        let name = if reverse { "zrevrank" } else { "zrank" };
        client
            .reply
            .error(&format!("wrong number of arguments for '{name}' command"));
        return;
    }
    let withscore = args.len() == 4;
    if withscore && !is(args[3], "withscore") {
        client.reply.syntax_error();
        return;
    }
    let miss = |client: &mut Client| {
        if withscore {
            client.reply.null_array();
        } else {
            client.reply.null();
        }
    };
    let z = match read_kind(srv, client, args[1], Kind::Zset) {
        Err(WrongType) => return,
        Ok(v) => v.and_then(ZsetRef::of),
    };
    let Some(z) = z else {
        miss(client);
        return;
    };
    match z.rank(args[2], reverse) {
        None => miss(client),
        Some(r) => {
            if withscore {
                client.reply.array(2);
                client.reply.int(r as i64);
                client.reply.double(z.score(args[2]).unwrap_or(0.0));
            } else {
                client.reply.int(r as i64);
            }
        }
    }
}

fn zrank(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    rank_generic(srv, client, args, false);
}

fn zrevrank(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    rank_generic(srv, client, args, true);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeBy {
    Auto,
    Rank,
    Score,
    Lex,
}

/// The selection of a ZRANGE-family command.
enum Selection {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Redis's zrangeGenericCommand: `at` is the source key's position; with
/// `store` the result goes to `args[1]`.
fn range_generic(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    at: usize,
    store: bool,
    mut by: RangeBy,
    mut reverse: Option<bool>,
) {
    let key = args[at];
    let (mut min_at, mut max_at) = (at + 1, at + 2);
    let mut withscores = false;
    let (mut offset, mut limit): (i64, i64) = (0, -1);
    let mut limited = false;
    let mut j = at + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        if !store && is(args[j], "withscores") {
            withscores = true;
        } else if is(args[j], "limit") && left >= 2 {
            let Some(o) = int_arg(client, args[j + 1]) else {
                return;
            };
            let Some(l) = int_arg(client, args[j + 2]) else {
                return;
            };
            offset = o;
            limit = l;
            limited = true;
            j += 2;
        } else if reverse.is_none() && is(args[j], "rev") {
            reverse = Some(true);
        } else if by == RangeBy::Auto && is(args[j], "bylex") {
            by = RangeBy::Lex;
        } else if by == RangeBy::Auto && is(args[j], "byscore") {
            by = RangeBy::Score;
        } else {
            client.reply.syntax_error();
            return;
        }
        j += 1;
    }
    let reverse = reverse.unwrap_or(false);
    if by == RangeBy::Auto {
        by = RangeBy::Rank;
    }
    if limited && limit != -1 && by == RangeBy::Rank {
        client.reply.error(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
        return;
    }
    if withscores && by == RangeBy::Lex {
        client
            .reply
            .error("syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    if reverse && by != RangeBy::Rank {
        std::mem::swap(&mut min_at, &mut max_at);
    }
    let selection = match by {
        RangeBy::Rank | RangeBy::Auto => {
            let Some(a) = int_arg(client, args[min_at]) else {
                return;
            };
            let Some(b) = int_arg(client, args[max_at]) else {
                return;
            };
            Selection::Rank(a, b)
        }
        RangeBy::Score => match score_range(client, args[min_at], args[max_at]) {
            Some(r) => Selection::Score(r),
            None => return,
        },
        RangeBy::Lex => match lex_range(client, args[min_at], args[max_at]) {
            Some(r) => Selection::Lex(r),
            None => return,
        },
    };
    let z = match read_kind(srv, client, key, Kind::Zset) {
        Err(WrongType) => return,
        Ok(v) => v.and_then(ZsetRef::of),
    };
    let Some(z) = z else {
        if store {
            store_range(srv, client, args[1], &[], 0);
        } else {
            client.reply.array(0);
        }
        return;
    };
    let len = z.len();
    let items: Vec<(&[u8], f64)> = match &selection {
        Selection::Rank(a, b) => match clamp_range(*a, *b, len) {
            None => Vec::new(),
            Some((a, b)) => z.range_by_rank(a, b - a + 1, reverse).collect(),
        },
        Selection::Score(r) => {
            if offset < 0 || (offset > 0 && offset as usize >= len) {
                Vec::new()
            } else {
                z.range_by_score(r, offset as usize, limit, reverse)
            }
        }
        Selection::Lex(r) => {
            if offset < 0 {
                Vec::new()
            } else {
                z.range_by_lex(r, offset as usize, limit, reverse)
            }
        }
    };
    if store {
        let owned: Vec<(Vec<u8>, f64)> = items.iter().map(|(m, s)| (m.to_vec(), *s)).collect();
        let hint = match selection {
            Selection::Rank(..) => owned.len(),
            _ => 0,
        };
        store_range(srv, client, args[1], &owned, hint);
    } else {
        reply_scored(client, &items, withscores);
    }
}

/// ZRANGESTORE's destination: built as ZADD would (listpack unless the
/// known size exceeds the threshold), or deleted when the range is empty.
fn store_range(
    srv: &mut Server,
    client: &mut Client,
    dst: &[u8],
    items: &[(Vec<u8>, f64)],
    hint: usize,
) {
    let db = client.db;
    srv.ks.expire_if_needed(db, dst);
    if items.is_empty() {
        if srv.ks.dbs[db].remove(dst).is_some() {
            srv.key_changed(db, dst, event::DEL, 1);
        }
        client.reply.int(0);
        return;
    }
    let mut value = if hint > limits().zset_max_listpack_entries {
        Value::ZsetSkiplist(Box::default())
    } else {
        Value::ZsetPacked(Default::default())
    };
    for (m, s) in items {
        zset::add(&mut value, *s, m, AddFlags::default());
    }
    store(srv, client, dst, value, event::ZRANGESTORE);
}

/// The *STORE commands' end: `dst` holds `value` (replacing whatever it
/// held), signalled as `event`; the reply is its size.
fn store(srv: &mut Server, client: &mut Client, dst: &[u8], value: Value, event: Event) {
    let (db, n) = (client.db, value.len());
    srv.ks.dbs[db].set(dst, value, false);
    srv.key_changed(db, dst, event, 1);
    client.reply.int(n as i64);
}

fn zrange(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    range_generic(srv, client, args, 1, false, RangeBy::Auto, None);
}

fn zrangestore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    range_generic(srv, client, args, 2, true, RangeBy::Auto, None);
}

fn zrevrange(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    range_generic(srv, client, args, 1, false, RangeBy::Rank, Some(true));
}

fn zrangebyscore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    range_generic(srv, client, args, 1, false, RangeBy::Score, Some(false));
}

fn zrevrangebyscore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    range_generic(srv, client, args, 1, false, RangeBy::Score, Some(true));
}

fn zrangebylex(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    range_generic(srv, client, args, 1, false, RangeBy::Lex, Some(false));
}

fn zrevrangebylex(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    range_generic(srv, client, args, 1, false, RangeBy::Lex, Some(true));
}

fn remrange_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], by: RangeBy) {
    let selection = match by {
        RangeBy::Score => match score_range(client, args[2], args[3]) {
            Some(r) => Selection::Score(r),
            None => return,
        },
        RangeBy::Lex => match lex_range(client, args[2], args[3]) {
            Some(r) => Selection::Lex(r),
            None => return,
        },
        _ => {
            let Some(a) = int_arg(client, args[2]) else {
                return;
            };
            let Some(b) = int_arg(client, args[3]) else {
                return;
            };
            Selection::Rank(a, b)
        }
    };
    let (db, key) = (client.db, args[1]);
    let value = match write_kind(srv, client, key, Kind::Zset) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.int(0);
            return;
        }
        Ok(Some(v)) => v,
    };
    let removed = match &selection {
        Selection::Rank(a, b) => match clamp_range(*a, *b, value.len()) {
            None => {
                client.reply.int(0);
                return;
            }
            Some((a, b)) => zset::remove_range(value, RemoveRange::Rank(a, b)),
        },
        Selection::Score(r) => zset::remove_range(value, RemoveRange::Score(r)),
        Selection::Lex(r) => zset::remove_range(value, RemoveRange::Lex(r)),
    };
    drop_if_empty(srv, db, key);
    if removed > 0 {
        let event = match by {
            RangeBy::Score => event::ZREMRANGEBYSCORE,
            RangeBy::Lex => event::ZREMRANGEBYLEX,
            _ => event::ZREMRANGEBYRANK,
        };
        srv.key_changed(db, key, event, removed as u64);
    }
    client.reply.int(removed as i64);
}

fn zremrangebyrank(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    remrange_generic(srv, client, args, RangeBy::Rank);
}

fn zremrangebyscore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    remrange_generic(srv, client, args, RangeBy::Score);
}

fn zremrangebylex(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    remrange_generic(srv, client, args, RangeBy::Lex);
}

/// How a pop replies (Redis's genericZpopCommand flags).
#[derive(Clone, Copy)]
struct PopShape {
    /// The key name comes first (blocking pops, ZMPOP).
    emit_key: bool,
    /// Pairs are nested arrays.
    nested: bool,
    /// A missing key replies a null array (ZMPOP) instead of an empty one.
    nil_when_empty: bool,
}

/// Pop from the first existing key among `keys`; `count` None is a plain
/// single pop. Returns the key popped from and how many were popped, or
/// None after replying (empty, error).
fn pop_generic(
    srv: &mut Server,
    client: &mut Client,
    keys: &[&[u8]],
    max: bool,
    count: Option<usize>,
    shape: PopShape,
) -> Option<(Vec<u8>, usize)> {
    let db = client.db;
    let mut found = None;
    for &key in keys {
        match write_kind(srv, client, key, Kind::Zset) {
            Err(WrongType) => return None,
            Ok(None) => continue,
            Ok(Some(_)) => {
                found = Some(key);
                break;
            }
        }
    }
    let Some(key) = found else {
        if shape.nil_when_empty {
            client.reply.null_array();
        } else {
            client.reply.array(0);
        }
        return None;
    };
    if count == Some(0) {
        client.reply.array(0);
        return None;
    }
    let value = value_mut(srv, db, key)?;
    let len = value.len();
    let n = count.unwrap_or(1).min(len);
    let popped: Vec<(Vec<u8>, f64)> = ZsetRef::of(value)?
        .range_by_rank(0, n, max)
        .map(|(m, s)| (m.to_vec(), s))
        .collect();
    for (m, _) in &popped {
        zset::remove(value, m);
    }
    match (shape.nested, shape.emit_key) {
        (false, false) => client.reply.array(n * 2),
        (true, false) => client.reply.array(n),
        (false, true) => {
            client.reply.array(n * 2 + 1);
            client.reply.bulk(key);
        }
        (true, true) => {
            client.reply.array(2);
            client.reply.bulk(key);
            client.reply.array(n);
        }
    }
    for (m, s) in &popped {
        if shape.nested {
            client.reply.array(2);
        }
        client.reply.bulk(m);
        client.reply.double(*s);
    }
    drop_if_empty(srv, db, key);
    let event = if max { event::ZPOPMAX } else { event::ZPOPMIN };
    srv.key_changed(db, key, event, n as u64);
    Some((key.to_vec(), n))
}

fn popminmax(srv: &mut Server, client: &mut Client, args: &[&[u8]], max: bool) {
    if args.len() > 3 {
        client.reply.syntax_error();
        return;
    }
    let count = match args.get(2) {
        Some(arg) => match positive_arg(client, arg, None) {
            Some(n) => Some(n as usize),
            None => return,
        },
        None => None,
    };
    let shape = PopShape {
        emit_key: false,
        nested: client.reply.resp3 && count.is_some(),
        nil_when_empty: false,
    };
    pop_generic(srv, client, &args[1..2], max, count, shape);
}

fn zpopmin(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    popminmax(srv, client, args, false);
}

fn zpopmax(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    popminmax(srv, client, args, true);
}

/// ZPOPMIN/ZPOPMAX key [count]: what pops propagate as.
fn propagate_pop(srv: &mut Server, db: usize, key: &[u8], max: bool, count: Option<usize>) {
    let cmd: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    let p = match count {
        Some(n) => {
            let n = itoa::Buffer::new().format(n).as_bytes().to_vec();
            Propagated::new(db, [cmd, key, &n])
        }
        None => Propagated::new(db, [cmd, key]),
    };
    srv.ks.effects.rewrite(p);
}

fn zmpop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some((keys, max, count)) = mpop_args(client, args, 1, ["min", "max"]) else {
        return;
    };
    let shape = PopShape {
        emit_key: true,
        nested: true,
        nil_when_empty: true,
    };
    if let Some((key, n)) = pop_generic(srv, client, &keys, max, Some(count), shape) {
        propagate_pop(srv, client.db, &key, max, Some(n));
    }
}

fn may_block(srv: &Server) -> bool {
    srv.transactions.exec_feed.is_none()
}

/// BZPOPMIN/BZPOPMAX/BZMPOP: pop from the first non-empty key, or block.
fn bpop_generic(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    keys: &[&[u8]],
    max: bool,
    count: Option<usize>,
    timeout: Option<std::time::Duration>,
) {
    let shape = PopShape {
        emit_key: true,
        nested: count.is_some(),
        nil_when_empty: count.is_some(),
    };
    let db = client.db;
    for &key in keys {
        match write_kind(srv, client, key, Kind::Zset) {
            Err(WrongType) => return,
            Ok(None) => continue,
            Ok(Some(v)) if v.is_empty() => continue,
            Ok(Some(_)) => {}
        }
        if let Some((key, n)) = pop_generic(srv, client, &[key], max, count, shape) {
            propagate_pop(srv, db, &key, max, count.map(|_| n));
        }
        return;
    }
    if !may_block(srv) {
        client.reply.null_array();
        return;
    }
    srv.block(client, keys, Kind::Zset, timeout, args);
}

fn bzpop(srv: &mut Server, client: &mut Client, args: &[&[u8]], max: bool) {
    let Some(timeout) = timeout_arg(client, args[args.len() - 1]) else {
        return;
    };
    bpop_generic(
        srv,
        client,
        args,
        &args[1..args.len() - 1],
        max,
        None,
        timeout,
    );
}

fn bzpopmin(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    bzpop(srv, client, args, false);
}

fn bzpopmax(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    bzpop(srv, client, args, true);
}

fn bzmpop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some((keys, max, count)) = mpop_args(client, args, 2, ["min", "max"]) else {
        return;
    };
    let Some(timeout) = timeout_arg(client, args[1]) else {
        return;
    };
    bpop_generic(srv, client, args, &keys, max, Some(count), timeout);
}

fn zrandmember(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut count = None;
    let mut withscores = false;
    if args.len() >= 3 {
        let Some(l) = range_arg(client, args[2], -i64::MAX, i64::MAX, None) else {
            return;
        };
        if args.len() > 4 || (args.len() == 4 && !is(args[3], "withscores")) {
            client.reply.syntax_error();
            return;
        }
        if args.len() == 4 {
            withscores = true;
            if !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
                client.reply.error("value is out of range");
                return;
            }
        }
        count = Some(l);
    }
    let cap = super::random_reply_cap(client, &srv.config);
    let (value, rng) = match read_kind_rng(srv, client, args[1], Kind::Zset) {
        Err(WrongType) => return,
        Ok(None) => {
            client.reply.nothing(count.is_some());
            return;
        }
        Ok(Some(found)) => found,
    };
    let Some(z) = ZsetRef::of(value) else {
        return;
    };
    let Some(l) = count else {
        match z.random(rng) {
            Some((m, _)) => client.reply.bulk(m),
            None => client.reply.null(),
        }
        return;
    };
    let n = l.unsigned_abs() as usize;
    if n == 0 {
        client.reply.array(0);
        return;
    }
    let size = z.len();
    if l < 0 || n == 1 {
        // Streamed, not collected: the count is checked against the reply
        // budget, never turned into an allocation of its own.
        if !super::random_count_fits(client, cap, n, if withscores { 11 } else { 7 }) {
            return;
        }
        let resp3 = client.reply.resp3;
        client
            .reply
            .array(if withscores && !resp3 { n * 2 } else { n });
        for i in 0..n {
            if i % 4096 == 4095 && super::random_reply_over(client, cap) {
                break;
            }
            let Some((m, s)) = z.random(rng) else {
                break;
            };
            if withscores && resp3 {
                client.reply.array(2);
            }
            client.reply.bulk(m);
            if withscores {
                client.reply.double(s);
            }
        }
        return;
    }
    let picked: Vec<(&[u8], f64)> = if n >= size {
        z.iter().collect()
    } else {
        let positions = distinct_sample(size, n, rng);
        z.iter()
            .enumerate()
            .filter(|(i, _)| positions.contains(i))
            .map(|(_, p)| p)
            .collect()
    };
    reply_scored(client, &picked, withscores);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            // The sum of +inf and -inf is NaN: Redis makes it zero.
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

/// An input of the algebra: a sorted set or a set (scores 1).
enum Input<'a> {
    Missing,
    Zset(ZsetRef<'a>),
    Set(SetRef<'a>),
}

impl Input<'_> {
    fn len(&self) -> usize {
        match self {
            Input::Missing => 0,
            Input::Zset(z) => z.len(),
            Input::Set(s) => s.len(),
        }
    }

    fn members(&self) -> Vec<(Vec<u8>, f64)> {
        match self {
            Input::Missing => Vec::new(),
            Input::Zset(z) => z.iter().map(|(m, s)| (m.to_vec(), s)).collect(),
            Input::Set(s) => s.iter().map(|m| (m.to_vec(), 1.0)).collect(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Input::Missing => None,
            Input::Zset(z) => z.score(member),
            Input::Set(s) => s.contains(member).then_some(1.0),
        }
    }
}

/// ZUNION/ZINTER/ZDIFF, their STORE forms and ZINTERCARD (Redis's
/// zunionInterDiffGenericCommand). `numkeys_at` is the position of
/// numkeys; `dst` the destination for the STORE forms.
fn algebra(
    srv: &mut Server,
    client: &mut Client,
    args: &[&[u8]],
    numkeys_at: usize,
    dst: Option<&[u8]>,
    op: SetOp,
    card_only: bool,
) {
    let Some(n) = int_arg(client, args[numkeys_at]) else {
        return;
    };
    if n < 1 {
        let name = String::from_utf8_lossy(args[0]).to_lowercase();
        client.reply.error(&format!(
            "at least 1 input key is needed for '{name}' command"
        ));
        return;
    }
    if n > (args.len() - numkeys_at - 1) as i64 {
        client.reply.syntax_error();
        return;
    }
    let n = n as usize;
    let keys = &args[numkeys_at + 1..numkeys_at + 1 + n];
    for key in keys {
        srv.ks.expire_if_needed(client.db, key);
        let kind = srv.ks.lookup(client.db, key).map(|o| o.value.kind());
        if kind.is_some_and(|k| k != Kind::Zset && k != Kind::Set) {
            client.reply.wrong_type();
            return;
        }
    }
    let mut weights = vec![1.0f64; n];
    let mut how = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = numkeys_at + 1 + n;
    while j < args.len() {
        let remaining = args.len() - j;
        if op != SetOp::Diff && !card_only && remaining > n && is(args[j], "weights") {
            j += 1;
            for w in weights.iter_mut() {
                match parse_double(args[j]) {
                    Some(v) => *w = v,
                    None => {
                        client.reply.error("weight value is not a float");
                        return;
                    }
                }
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && is(args[j], "aggregate") {
            let a = args[j + 1];
            how = if is(a, "sum") {
                Aggregate::Sum
            } else if is(a, "min") {
                Aggregate::Min
            } else if is(a, "max") {
                Aggregate::Max
            } else {
                client.reply.syntax_error();
                return;
            };
            j += 2;
        } else if dst.is_none() && !card_only && is(args[j], "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(args[j], "limit") {
            let Some(l) = positive_arg(client, args[j + 1], Some("LIMIT can't be negative")) else {
                return;
            };
            limit = l as usize;
            j += 2;
        } else {
            client.reply.syntax_error();
            return;
        }
    }
    let db = &srv.ks.dbs[client.db];
    let mut inputs: Vec<(Input<'_>, f64)> = keys
        .iter()
        .zip(&weights)
        .map(|(k, &w)| {
            let input = match db.dict.get(k) {
                None => Input::Missing,
                Some(o) => match ZsetRef::of(&o.value) {
                    Some(z) => Input::Zset(z),
                    None => SetRef::of(&o.value).map_or(Input::Missing, Input::Set),
                },
            };
            (input, w)
        })
        .collect();
    if op != SetOp::Diff {
        inputs.sort_by_key(|(i, _)| i.len());
    }
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        SetOp::Inter => {
            if inputs.first().is_some_and(|(i, _)| i.len() > 0) {
                let (first, w0) = &inputs[0];
                for (m, s) in first.members() {
                    let mut score = w0 * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let mut all = true;
                    for (other, w) in &inputs[1..] {
                        match other.score(&m) {
                            Some(v) => aggregate(&mut score, v * w, how),
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    if all {
                        result.push((m, score));
                        if card_only && limit != 0 && result.len() >= limit {
                            break;
                        }
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: std::collections::HashMap<Vec<u8>, f64> = std::collections::HashMap::new();
            let mut order: Vec<Vec<u8>> = Vec::new();
            for (input, w) in &inputs {
                for (m, s) in input.members() {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&m) {
                        Some(t) => aggregate(t, score, how),
                        None => {
                            order.push(m.clone());
                            acc.insert(m, score);
                        }
                    }
                }
            }
            result = order
                .into_iter()
                .map(|m| {
                    let s = acc.get(&m).copied().unwrap_or(0.0);
                    (m, s)
                })
                .collect();
        }
        SetOp::Diff => {
            if let Some((first, _)) = inputs.first() {
                for (m, s) in first.members() {
                    if !inputs[1..].iter().any(|(o, _)| o.score(&m).is_some()) {
                        result.push((m, s));
                    }
                }
            }
        }
    }
    drop(inputs);
    if card_only {
        client.reply.int(result.len() as i64);
        return;
    }
    // Order as the result sorted set would: by score, then member.
    result.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    match dst {
        None => {
            let items: Vec<(&[u8], f64)> = result.iter().map(|(m, s)| (m.as_slice(), *s)).collect();
            reply_scored(client, &items, withscores);
        }
        Some(dst) => {
            let db = client.db;
            srv.ks.expire_if_needed(db, dst);
            if result.is_empty() {
                if srv.ks.dbs[db].remove(dst).is_some() {
                    srv.key_changed(db, dst, event::DEL, 1);
                }
                client.reply.int(0);
                return;
            }
            let mut z = zset::SkipZset::default();
            z.list.reserve(result.len());
            for (m, s) in &result {
                z.list.insert(*s, m);
            }
            let mut value = Value::ZsetSkiplist(Box::new(z));
            zset::compact_if_small(&mut value);
            let event = match op {
                SetOp::Union => event::ZUNIONSTORE,
                SetOp::Inter => event::ZINTERSTORE,
                SetOp::Diff => event::ZDIFFSTORE,
            };
            store(srv, client, dst, value, event);
        }
    }
}

fn zunion(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    algebra(srv, client, args, 1, None, SetOp::Union, false);
}

fn zinter(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    algebra(srv, client, args, 1, None, SetOp::Inter, false);
}

fn zdiff(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    algebra(srv, client, args, 1, None, SetOp::Diff, false);
}

fn zunionstore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    algebra(srv, client, args, 2, Some(args[1]), SetOp::Union, false);
}

fn zinterstore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    algebra(srv, client, args, 2, Some(args[1]), SetOp::Inter, false);
}

fn zdiffstore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    algebra(srv, client, args, 2, Some(args[1]), SetOp::Diff, false);
}

fn zintercard(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    algebra(srv, client, args, 1, None, SetOp::Inter, true);
}

fn zscan(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(cursor) = scan_cursor_arg(client, args[2]) else {
        return;
    };
    let z = match read_kind(srv, client, args[1], Kind::Zset) {
        Err(WrongType) => return,
        Ok(v) => v.and_then(ZsetRef::of),
    };
    let Some(z) = z else {
        client.reply.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
        return;
    };
    let Some(opts) = scan_options(client, &args[3..]) else {
        return;
    };
    let mut items = Vec::new();
    let next = match z {
        ZsetRef::Packed(_) => {
            for (m, s) in z.iter() {
                items.push(m.to_vec());
                items.push(d2string(s).into_bytes());
            }
            0
        }
        ZsetRef::Skip(sk) => {
            // As scan_dict: buckets until COUNT members (or ten times as
            // many buckets) were visited.
            let (mut cursor, mut found, mut steps) = (cursor, 0usize, opts.count * 10);
            loop {
                cursor = sk.list.scan(cursor, |m, s| {
                    found += 1;
                    items.push(m.to_vec());
                    items.push(d2string(s).into_bytes());
                });
                steps = steps.saturating_sub(1);
                if cursor == 0 || steps == 0 || found >= opts.count {
                    break cursor;
                }
            }
        }
    };
    reply_scan(client, next, items, true, opts.pattern);
}
