//! The GEO commands: points stored in a sorted set under their 52-bit
//! geohash score ([`super::super::geohash`]), searched by radius or box
//! around a point or a member.

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::geohash::{self, Shape, ShapeKind};

use super::super::numeric::parse_double;
use super::super::propagate::Propagated;
use super::super::signal::event;
use super::super::types::skiplist::ScoreRange;
use super::super::types::zset::{self, ZsetRef};
use super::written::{key_deleted, key_written};
use super::{int_arg, is};

const G: &str = "geo";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "geoadd",
        -5,
        WRITE | DENYOOM,
        G,
        "3.2.0",
        "Add one or more geospatial items in the geospatial index represented using a sorted set",
        geoadd,
    )
    .keys(1, 1, 1),
    Spec::new(
        "geodist",
        -4,
        READONLY,
        G,
        "3.2.0",
        "Returns the distance between two members of a geospatial index",
        geodist,
    )
    .keys(1, 1, 1),
    Spec::new(
        "geohash",
        -2,
        READONLY,
        G,
        "3.2.0",
        "Returns members of a geospatial index as standard geohash strings",
        geohash_command,
    )
    .keys(1, 1, 1),
    Spec::new(
        "geopos",
        -2,
        READONLY,
        G,
        "3.2.0",
        "Returns longitude and latitude of members of a geospatial index",
        geopos,
    )
    .keys(1, 1, 1),
    Spec::new(
        "geosearch",
        -7,
        READONLY,
        G,
        "6.2.0",
        "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        geosearch,
    )
    .keys(1, 1, 1),
    Spec::new(
        "geosearchstore",
        -8,
        WRITE | DENYOOM,
        G,
        "6.2.0",
        "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        geosearchstore,
    )
    .keys(1, 2, 1),
    Spec::new(
        "georadius",
        -6,
        WRITE | DENYOOM | MOVABLE_KEYS,
        G,
        "3.2.0",
        "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
        georadius,
    )
    .keys(1, 1, 1),
    Spec::new(
        "georadius_ro",
        -6,
        READONLY,
        G,
        "3.2.10",
        "A read-only variant for GEORADIUS",
        georadius_ro,
    )
    .keys(1, 1, 1),
    Spec::new(
        "georadiusbymember",
        -5,
        WRITE | DENYOOM | MOVABLE_KEYS,
        G,
        "3.2.0",
        "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
        georadiusbymember,
    )
    .keys(1, 1, 1),
    Spec::new(
        "georadiusbymember_ro",
        -5,
        READONLY,
        G,
        "3.2.10",
        "A read-only variant for GEORADIUSBYMEMBER",
        georadiusbymember_ro,
    )
    .keys(1, 1, 1),
];

/// Longitude and latitude arguments, validated.
fn lon_lat(client: &mut Client, args: &[&[u8]]) -> Option<[f64; 2]> {
    let mut xy = [0.0; 2];
    for (i, arg) in args.iter().take(2).enumerate() {
        match parse_double(arg) {
            Some(v) => xy[i] = v,
            None => {
                client.reply.error("value is not a valid float");
                return None;
            }
        }
    }
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&xy[0])
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&xy[1])
    {
        client.reply.error(&format!(
            "-ERR invalid longitude,latitude pair {:.6},{:.6}",
            xy[0], xy[1]
        ));
        return None;
    }
    Some(xy)
}

/// Metres per unit.
fn unit(client: &mut Client, arg: &[u8]) -> Option<f64> {
    let factor = if is(arg, "m") {
        1.0
    } else if is(arg, "km") {
        1000.0
    } else if is(arg, "ft") {
        0.3048
    } else if is(arg, "mi") {
        1609.34
    } else {
        client
            .reply
            .error("unsupported unit provided. please use M, KM, FT, MI");
        return None;
    };
    Some(factor)
}

fn number(client: &mut Client, arg: &[u8], message: &str) -> Option<f64> {
    let v = parse_double(arg);
    if v.is_none() {
        client.reply.error(message);
    }
    v
}

/// A radius and its unit: (radius, metres per unit).
fn radius_arg(client: &mut Client, args: &[&[u8]]) -> Option<(f64, f64)> {
    let r = number(client, args[0], "need numeric radius")?;
    if r < 0.0 {
        client.reply.error("radius cannot be negative");
        return None;
    }
    Some((r, unit(client, args[1])?))
}

/// A box and its unit: (width, height, metres per unit).
fn box_arg(client: &mut Client, args: &[&[u8]]) -> Option<(f64, f64, f64)> {
    let w = number(client, args[0], "need numeric width")?;
    let h = number(client, args[1], "need numeric height")?;
    if h < 0.0 || w < 0.0 {
        client.reply.error("height or width cannot be negative");
        return None;
    }
    Some((w, h, unit(client, args[2])?))
}

/// `%.17Lf` without trailing zeros (Redis's human long double).
fn human(v: f64) -> String {
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s
}

/// A coordinate: the human text in a bulk string (RESP2) or as a double
/// (RESP3), as Redis's addReplyHumanLongDouble.
fn reply_coord(client: &mut Client, v: f64) {
    let text = human(v);
    if client.reply.resp3 {
        client.reply.raw(format!(",{text}\r\n").as_bytes());
    } else {
        client.reply.bulk(text.as_bytes());
    }
}

/// A distance with four decimals, rounded as llrint does.
fn fixed4(d: f64) -> String {
    let v = (d * 10000.0).round_ties_even() as i64;
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:04}", a / 10000, a % 10000)
}

fn geoadd(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (mut nx, mut xx) = (false, false);
    let mut at = 2;
    while at < args.len() {
        if is(args[at], "nx") {
            nx = true;
        } else if is(args[at], "xx") {
            xx = true;
        } else if !is(args[at], "ch") {
            break;
        }
        at += 1;
    }
    if !(args.len() - at).is_multiple_of(3) || (xx && nx) {
        client.reply.syntax_error();
        return;
    }
    let mut zadd: Vec<Vec<u8>> = Vec::with_capacity(at + (args.len() - at) / 3 * 2);
    zadd.push(b"zadd".to_vec());
    zadd.extend(args[1..at].iter().map(|a| a.to_vec()));
    for triple in args[at..].chunks(3) {
        let Some([lon, lat]) = lon_lat(client, triple) else {
            return;
        };
        let score = geohash::score_of(lon, lat).unwrap_or(0);
        zadd.push(itoa::Buffer::new().format(score).as_bytes().to_vec());
        zadd.push(triple[2].to_vec());
    }
    let argv: Vec<&[u8]> = zadd.iter().map(Vec::as_slice).collect();
    let before = srv.signals.dirty;
    super::zsets::zadd(srv, client, &argv);
    if srv.signals.dirty != before {
        // Propagated as the ZADD it is, as Redis does.
        srv.ks
            .effects
            .rewrite(Propagated::new(client.db, argv.iter().copied()));
    }
}

/// The sorted set under `key` for reading (`Err`: WRONGTYPE replied).
fn geo_set<'a>(
    srv: &'a mut Server,
    client: &mut Client,
    key: &[u8],
) -> Result<Option<ZsetRef<'a>>, ()> {
    match srv.ks.lookup(client.db, key) {
        None => Ok(None),
        Some(obj) => match ZsetRef::of(&obj.value) {
            Some(z) => Ok(Some(z)),
            None => {
                client.reply.wrong_type();
                Err(())
            }
        },
    }
}

fn geodist(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut to_meter = 1.0;
    if args.len() == 5 {
        let Some(u) = unit(client, args[4]) else {
            return;
        };
        to_meter = u;
    } else if args.len() > 5 {
        client.reply.syntax_error();
        return;
    }
    let Ok(z) = geo_set(srv, client, args[1]) else {
        return;
    };
    let Some(z) = z else {
        client.reply.null();
        return;
    };
    let points = (z.score(args[2]), z.score(args[3]));
    let (Some(a), Some(b)) = points else {
        client.reply.null();
        return;
    };
    match (geohash::decode_score(a), geohash::decode_score(b)) {
        (Some(p), Some(q)) => {
            let d = geohash::distance(p[0], p[1], q[0], q[1]) / to_meter;
            client.reply.bulk(fixed4(d).as_bytes());
        }
        _ => client.reply.null(),
    }
}

fn geohash_command(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Ok(z) = geo_set(srv, client, args[1]) else {
        return;
    };
    let hashes: Vec<Option<String>> = args[2..]
        .iter()
        .map(|m| {
            z.as_ref()
                .and_then(|z| z.score(m))
                .and_then(geohash::standard_hash)
        })
        .collect();
    client.reply.array(hashes.len());
    for h in hashes {
        match h {
            Some(h) => client.reply.bulk(h.as_bytes()),
            None => client.reply.null(),
        }
    }
}

fn geopos(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Ok(z) = geo_set(srv, client, args[1]) else {
        return;
    };
    let points: Vec<Option<[f64; 2]>> = args[2..]
        .iter()
        .map(|m| {
            z.as_ref()
                .and_then(|z| z.score(m))
                .and_then(geohash::decode_score)
        })
        .collect();
    client.reply.array(points.len());
    for p in points {
        match p {
            Some([lon, lat]) => {
                client.reply.array(2);
                reply_coord(client, lon);
                reply_coord(client, lat);
            }
            None => client.reply.null_array(),
        }
    }
}

const COORDS: u32 = 1;
const MEMBER: u32 = 2;
const NOSTORE: u32 = 4;
const SEARCH: u32 = 8;
const SEARCHSTORE: u32 = 16;

fn georadius(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    search(srv, client, args, 1, COORDS);
}
fn georadiusbymember(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    search(srv, client, args, 1, MEMBER);
}
fn georadius_ro(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    search(srv, client, args, 1, COORDS | NOSTORE);
}
fn georadiusbymember_ro(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    search(srv, client, args, 1, MEMBER | NOSTORE);
}
fn geosearch(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    search(srv, client, args, 1, SEARCH);
}
fn geosearchstore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    search(srv, client, args, 2, SEARCH | SEARCHSTORE);
}

/// The keys of GEORADIUS/GEORADIUSBYMEMBER (COMMAND GETKEYS): the source
/// and the STORE/STOREDIST destination.
pub fn georadius_keys<'a>(args: &[&'a [u8]], first_option: usize) -> Vec<&'a [u8]> {
    let mut keys = vec![args[1]];
    let mut store = None;
    let mut i = first_option;
    while i < args.len() {
        if (is(args[i], "store") || is(args[i], "storedist")) && i + 1 < args.len() {
            store = Some(args[i + 1]);
            i += 1;
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

struct Point {
    xy: [f64; 2],
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

#[derive(PartialEq)]
enum Order {
    None,
    Asc,
    Desc,
}

fn score_of_member(z: Option<&ZsetRef<'_>>, member: &[u8]) -> Option<[f64; 2]> {
    z?.score(member).and_then(geohash::decode_score)
}

fn search(srv: &mut Server, client: &mut Client, args: &[&[u8]], src: usize, flags: u32) {
    let db = client.db;
    let Ok(z) = geo_set(srv, client, args[src]) else {
        return;
    };
    let mut store: Option<&[u8]> = None;
    let mut store_dist = false;
    let mut xy = [0.0; 2];
    let mut conversion = 1.0;
    let mut kind = ShapeKind::Radius(0.0);
    let base;
    if flags & COORDS != 0 {
        base = 6;
        let Some(p) = lon_lat(client, &args[2..4]) else {
            return;
        };
        xy = p;
        let Some((r, c)) = radius_arg(client, &args[4..6]) else {
            return;
        };
        (kind, conversion) = (ShapeKind::Radius(r), c);
    } else if flags & MEMBER != 0 {
        base = 5;
        if z.is_some() {
            let Some(p) = score_of_member(z.as_ref(), args[2]) else {
                client.reply.error("could not decode requested zset member");
                return;
            };
            xy = p;
            let Some((r, c)) = radius_arg(client, &args[3..5]) else {
                return;
            };
            (kind, conversion) = (ShapeKind::Radius(r), c);
        }
    } else {
        base = if flags & SEARCHSTORE != 0 {
            store = Some(args[1]);
            3
        } else {
            2
        };
    }
    let (mut with_dist, mut with_hash, mut with_coords) = (false, false, false);
    let (mut from_member, mut from_loc, mut by_radius, mut by_box) = (false, false, false, false);
    let mut order = Order::None;
    let mut any = false;
    let mut count: i64 = 0;
    let rest = &args[base.min(args.len())..];
    let mut i = 0;
    while i < rest.len() {
        let arg = rest[i];
        let left = rest.len() - i - 1;
        if is(arg, "withdist") {
            with_dist = true;
        } else if is(arg, "withhash") {
            with_hash = true;
        } else if is(arg, "withcoord") {
            with_coords = true;
        } else if is(arg, "any") {
            any = true;
        } else if is(arg, "asc") {
            order = Order::Asc;
        } else if is(arg, "desc") {
            order = Order::Desc;
        } else if is(arg, "count") && left >= 1 {
            let Some(n) = int_arg(client, rest[i + 1]) else {
                return;
            };
            if n <= 0 {
                client.reply.error("COUNT must be > 0");
                return;
            }
            count = n;
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist"))
            && left >= 1
            && flags & (NOSTORE | SEARCH) == 0
        {
            store = Some(rest[i + 1]);
            store_dist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && flags & SEARCHSTORE != 0 {
            store_dist = true;
        } else if is(arg, "frommember") && left >= 1 && flags & SEARCH != 0 && !from_loc {
            if z.is_some() {
                let Some(p) = score_of_member(z.as_ref(), rest[i + 1]) else {
                    client.reply.error("could not decode requested zset member");
                    return;
                };
                xy = p;
            }
            from_member = true;
            i += 1;
        } else if is(arg, "fromlonlat") && left >= 2 && flags & SEARCH != 0 && !from_member {
            let Some(p) = lon_lat(client, &rest[i + 1..i + 3]) else {
                return;
            };
            xy = p;
            from_loc = true;
            i += 2;
        } else if is(arg, "byradius") && left >= 2 && flags & SEARCH != 0 && !by_box {
            let Some((r, c)) = radius_arg(client, &rest[i + 1..i + 3]) else {
                return;
            };
            (kind, conversion) = (ShapeKind::Radius(r), c);
            by_radius = true;
            i += 2;
        } else if is(arg, "bybox") && left >= 3 && flags & SEARCH != 0 && !by_radius {
            let Some((w, h, c)) = box_arg(client, &rest[i + 1..i + 4]) else {
                return;
            };
            (kind, conversion) = (
                ShapeKind::Box {
                    width: w,
                    height: h,
                },
                c,
            );
            by_box = true;
            i += 3;
        } else {
            client.reply.syntax_error();
            return;
        }
        i += 1;
    }
    let name = String::from_utf8_lossy(args[0]);
    if store.is_some() && (with_dist || with_hash || with_coords) {
        client.reply.error(&format!(
            "{} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if flags & SEARCHSTORE != 0 {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        ));
        return;
    }
    if flags & SEARCH != 0 && !(from_member || from_loc) {
        client.reply.error(&format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        ));
        return;
    }
    if flags & SEARCH != 0 && !(by_radius || by_box) {
        client.reply.error(&format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {name}"
        ));
        return;
    }
    if any && count == 0 {
        client
            .reply
            .error("the ANY argument requires COUNT argument");
        return;
    }
    let Some(z) = z else {
        match store {
            Some(target) => {
                if srv.ks.delete(db, target) {
                    key_deleted(srv, db, target);
                }
                client.reply.int(0);
            }
            None => client.reply.array(0),
        }
        return;
    };
    if count != 0 && order == Order::None && !any {
        order = Order::Asc;
    }
    let shape = Shape {
        xy,
        conversion,
        kind,
    };
    let limit = if any { count as usize } else { 0 };
    let points = collect(&z, &shape, limit);
    finish(
        srv,
        client,
        points,
        &shape,
        order,
        count,
        store,
        store_dist,
        (with_dist, with_hash, with_coords),
        flags,
    );
}

/// The points of the 3×3 cells around the centre that lie in the shape,
/// in cell order, stopping at `limit` (0: no limit).
fn collect(z: &ZsetRef<'_>, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = geohash::search_cells(shape);
    let mut points = Vec::new();
    let mut last = 0usize;
    for (i, cell) in cells.iter().enumerate() {
        if cell.bits == 0 && cell.step == 0 {
            continue;
        }
        if last != 0 && *cell == cells[last] {
            continue;
        }
        if limit != 0 && points.len() >= limit {
            break;
        }
        let (min, max) = geohash::score_range(*cell);
        let range = ScoreRange {
            min,
            max,
            min_ex: false,
            max_ex: true,
        };
        for (member, score) in z.range_by_score(&range, 0, -1, false) {
            if let Some((xy, dist)) = geohash::within(shape, score) {
                points.push(Point {
                    xy,
                    dist,
                    score,
                    member: member.to_vec(),
                });
            }
            if limit != 0 && points.len() >= limit {
                break;
            }
        }
        last = i;
    }
    points
}

#[allow(clippy::too_many_arguments)]
fn finish(
    srv: &mut Server,
    client: &mut Client,
    mut points: Vec<Point>,
    shape: &Shape,
    order: Order,
    count: i64,
    store: Option<&[u8]>,
    store_dist: bool,
    (with_dist, with_hash, with_coords): (bool, bool, bool),
    flags: u32,
) {
    let db = client.db;
    if points.is_empty() && store.is_none() {
        client.reply.array(0);
        return;
    }
    let total = points.len();
    let returned = if count == 0 || (total as i64) < count {
        total
    } else {
        count as usize
    };
    match order {
        Order::Asc => points.sort_by(|a, b| {
            a.dist
                .partial_cmp(&b.dist)
                .unwrap_or(std::cmp::Ordering::Equal)
        }),
        Order::Desc => points.sort_by(|a, b| {
            b.dist
                .partial_cmp(&a.dist)
                .unwrap_or(std::cmp::Ordering::Equal)
        }),
        Order::None => {}
    }
    points.truncate(returned);
    for p in &mut points {
        p.dist /= shape.conversion;
    }
    match store {
        None => {
            let options =
                usize::from(with_dist) + usize::from(with_hash) + usize::from(with_coords);
            client.reply.array(returned);
            for p in &points {
                if options > 0 {
                    client.reply.array(options + 1);
                }
                client.reply.bulk(&p.member);
                if with_dist {
                    client.reply.bulk(fixed4(p.dist).as_bytes());
                }
                if with_hash {
                    client.reply.int(p.score as i64);
                }
                if with_coords {
                    client.reply.array(2);
                    reply_coord(client, p.xy[0]);
                    reply_coord(client, p.xy[1]);
                }
            }
        }
        Some(target) => {
            if returned > 0 {
                let value = zset::from_pairs(points.iter().map(|p| {
                    (
                        p.member.as_slice(),
                        if store_dist { p.dist } else { p.score },
                    )
                }));
                srv.ks.expire_if_needed(db, target);
                srv.ks.dbs[db].set(target, value, false);
                let event = if flags & SEARCH != 0 {
                    event::GEOSEARCHSTORE
                } else {
                    event::GEORADIUSSTORE
                };
                key_written(srv, db, target, event, returned as u64);
            } else if srv.ks.delete(db, target) {
                key_deleted(srv, db, target);
            }
            client.reply.int(returned as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_as_redis_does() {
        assert_eq!(fixed4(166274.15156960033), "166274.1516");
        assert_eq!(fixed4(0.0), "0.0000");
        assert_eq!(fixed4(0.00001), "0.0000");
        assert_eq!(human(13.361389338970184), "13.36138933897018433");
        assert_eq!(human(-0.0), "0");
        assert_eq!(human(15.0), "15");
    }
}
