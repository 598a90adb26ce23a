//! Geohashes as Redis's GEO commands compute them: 26 steps of longitude
//! and latitude bits interleaved into a 52-bit integer (the sorted-set
//! score), the 3×3 cells around a search centre, and great-circle
//! distances on a sphere of Redis's earth radius. Every floating-point
//! operation follows Redis's order so that scores, coordinates and
//! distances come out identical to the last digit.

pub const STEP_MAX: u8 = 26;
pub const LAT_MIN: f64 = -85.051_128_78;
pub const LAT_MAX: f64 = 85.051_128_78;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
const EARTH_RADIUS: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

/// A cell: `step` bits of each coordinate, interleaved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hash {
    pub bits: u64,
    pub step: u8,
}

impl Hash {
    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The coordinates a cell covers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Area {
    pub longitude: Range,
    pub latitude: Range,
}

const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

fn interleave(x: u32, y: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555_5555_5555_5555,
        0x3333_3333_3333_3333,
        0x0F0F_0F0F_0F0F_0F0F,
        0x00FF_00FF_00FF_00FF,
        0x0000_FFFF_0000_FFFF,
    ];
    let spread = |v: u32| {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & B[4];
        v = (v | (v << 8)) & B[3];
        v = (v | (v << 4)) & B[2];
        v = (v | (v << 2)) & B[1];
        (v | (v << 1)) & B[0]
    };
    spread(x) | (spread(y) << 1)
}

fn deinterleave(bits: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555_5555_5555_5555,
        0x3333_3333_3333_3333,
        0x0F0F_0F0F_0F0F_0F0F,
        0x00FF_00FF_00FF_00FF,
        0x0000_FFFF_0000_FFFF,
        0x0000_0000_FFFF_FFFF,
    ];
    let squash = |mut v: u64| {
        v &= B[0];
        v = (v | (v >> 1)) & B[1];
        v = (v | (v >> 2)) & B[2];
        v = (v | (v >> 4)) & B[3];
        v = (v | (v >> 8)) & B[4];
        (v | (v >> 16)) & B[5]
    };
    squash(bits) | (squash(bits >> 1) << 32)
}

/// The cell of `step` bits holding a point, within the given ranges.
pub fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<Hash> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let mut lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
    let mut long_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
    lat_offset *= (1u64 << step) as f64;
    long_offset *= (1u64 << step) as f64;
    Some(Hash {
        bits: interleave(lat_offset as u32, long_offset as u32),
        step,
    })
}

pub fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<Hash> {
    encode(WGS84_LONG, WGS84_LAT, lon, lat, step)
}

/// The area a cell covers.
pub fn decode(lon_range: Range, lat_range: Range, hash: Hash) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let sep = deinterleave(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = lon_range.max - lon_range.min;
    let ilat = sep as u32;
    let ilon = (sep >> 32) as u32;
    let cells = (1u64 << hash.step) as f64;
    Some(Area {
        latitude: Range {
            min: lat_range.min + (f64::from(ilat) / cells) * lat_scale,
            max: lat_range.min + (f64::from(ilat.wrapping_add(1)) / cells) * lat_scale,
        },
        longitude: Range {
            min: lon_range.min + (f64::from(ilon) / cells) * long_scale,
            max: lon_range.min + (f64::from(ilon.wrapping_add(1)) / cells) * long_scale,
        },
    })
}

/// The centre of a 52-bit score's cell, clamped to the valid ranges.
pub fn decode_score(score: f64) -> Option<[f64; 2]> {
    let hash = Hash {
        bits: score as u64,
        step: STEP_MAX,
    };
    let area = decode(WGS84_LONG, WGS84_LAT, hash)?;
    let lon = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some([lon, lat])
}

/// A step-26 cell's bits shifted to 52 bits (the score).
pub fn align52(hash: Hash) -> u64 {
    hash.bits << (52 - u32::from(hash.step) * 2)
}

/// The score GEOADD stores for a point.
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode_wgs84(lon, lat, STEP_MAX).map(align52)
}

/// The 11-character standard geohash (GEOHASH) of a score.
pub fn standard_hash(score: f64) -> Option<String> {
    const ALPHABET: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [lon, lat] = decode_score(score)?;
    let full_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    let bits = encode(WGS84_LONG, full_lat, lon, lat, 26).map_or(0, |h| h.bits);
    let mut out = String::with_capacity(11);
    for i in 0..11 {
        let idx = if i == 10 {
            0
        } else {
            ((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize
        };
        out.push(ALPHABET[idx] as char);
    }
    Some(out)
}

fn move_x(hash: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let mut x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    hash.bits = x | y;
}

fn move_y(hash: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> shift;
    hash.bits = x | y;
}

/// The search area's shape around a centre (`xy`: longitude, latitude),
/// sizes in the unit `conversion` converts to metres.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub xy: [f64; 2],
    pub conversion: f64,
    pub kind: ShapeKind,
}

#[derive(Clone, Copy, Debug)]
pub enum ShapeKind {
    Radius(f64),
    Box { width: f64, height: f64 },
}

fn estimate_steps(mut range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_m < MERCATOR_MAX {
        range_m *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// Longitude/latitude bounds of the shape: [min lon, min lat, max lon,
/// max lat].
fn bounding_box(shape: &Shape) -> [f64; 4] {
    let [longitude, latitude] = shape.xy;
    let (height, width) = match shape.kind {
        ShapeKind::Radius(r) => (shape.conversion * r, shape.conversion * r),
        ShapeKind::Box { width, height } => (
            shape.conversion * (height / 2.0),
            shape.conversion * (width / 2.0),
        ),
    };
    let lat_delta = (height / EARTH_RADIUS) / D_R;
    let long_delta_top = (width / EARTH_RADIUS / ((latitude + lat_delta) * D_R).cos()) / D_R;
    let long_delta_bottom = (width / EARTH_RADIUS / ((latitude - lat_delta) * D_R).cos()) / D_R;
    let south = latitude < 0.0;
    [
        if south {
            longitude - long_delta_bottom
        } else {
            longitude - long_delta_top
        },
        latitude - lat_delta,
        if south {
            longitude + long_delta_bottom
        } else {
            longitude + long_delta_top
        },
        latitude + lat_delta,
    ]
}

/// The cells to scan for a shape: the centre's cell, then north, south,
/// east, west, north-east, north-west, south-east, south-west (zero when
/// outside the shape's bounding box).
pub fn search_cells(shape: &Shape) -> [Hash; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = bounding_box(shape);
    let [longitude, latitude] = shape.xy;
    let radius_m = match shape.kind {
        ShapeKind::Radius(r) => r,
        ShapeKind::Box { width, height } => {
            ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
        }
    } * shape.conversion;
    let mut steps = estimate_steps(radius_m, latitude);
    let cells = |steps: u8| {
        let hash = encode_wgs84(longitude, latitude, steps).unwrap_or_default();
        let n = neighbours(hash);
        let area = decode(WGS84_LONG, WGS84_LAT, hash).unwrap_or_default();
        (hash, n, area)
    };
    let (mut hash, mut n, mut area) = cells(steps);
    let side = |h: Hash| decode(WGS84_LONG, WGS84_LAT, h).unwrap_or_default();
    let decrease = side(n[N]).latitude.max < max_lat
        || side(n[S]).latitude.min > min_lat
        || side(n[E]).longitude.max < max_lon
        || side(n[W]).longitude.min > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        (hash, n, area) = cells(steps);
    }
    if steps >= 2 {
        let zero = Hash::default();
        if area.latitude.min < min_lat {
            n[S] = zero;
            n[SW] = zero;
            n[SE] = zero;
        }
        if area.latitude.max > max_lat {
            n[N] = zero;
            n[NE] = zero;
            n[NW] = zero;
        }
        if area.longitude.min < min_lon {
            n[W] = zero;
            n[SW] = zero;
            n[NW] = zero;
        }
        if area.longitude.max > max_lon {
            n[E] = zero;
            n[SE] = zero;
            n[NE] = zero;
        }
    }
    [hash, n[N], n[S], n[E], n[W], n[NE], n[NW], n[SE], n[SW]]
}

const N: usize = 0;
const S: usize = 1;
const E: usize = 2;
const W: usize = 3;
const NE: usize = 4;
const NW: usize = 5;
const SE: usize = 6;
const SW: usize = 7;

fn neighbours(hash: Hash) -> [Hash; 8] {
    let at = |dx: i8, dy: i8| {
        let mut h = hash;
        move_x(&mut h, dx);
        move_y(&mut h, dy);
        h
    };
    let mut n = [hash; 8];
    n[N] = at(0, 1);
    n[S] = at(0, -1);
    n[E] = at(1, 0);
    n[W] = at(-1, 0);
    n[NE] = at(1, 1);
    n[NW] = at(-1, 1);
    n[SE] = at(1, -1);
    n[SW] = at(-1, -1);
    n
}

/// The score range [min, max) of a cell.
pub fn score_range(hash: Hash) -> (f64, f64) {
    let min = align52(hash);
    let max = align52(Hash {
        bits: hash.bits + 1,
        step: hash.step,
    });
    (min as f64, max as f64)
}

fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS * (lat2 * D_R - lat1 * D_R).abs()
}

/// Great-circle distance in metres (haversine).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = lon1 * D_R;
    let lon2r = lon2 * D_R;
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = lat1 * D_R;
    let lat2r = lat2 * D_R;
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}

/// Whether a score's point lies in the shape: its coordinates and
/// distance from the centre (metres) when it does.
pub fn within(shape: &Shape, score: f64) -> Option<([f64; 2], f64)> {
    let xy = decode_score(score)?;
    let [x1, y1] = shape.xy;
    match shape.kind {
        ShapeKind::Radius(r) => {
            let d = distance(x1, y1, xy[0], xy[1]);
            (d <= r * shape.conversion).then_some((xy, d))
        }
        ShapeKind::Box { width, height } => {
            let (w, h) = (width * shape.conversion, height * shape.conversion);
            if lat_distance(xy[1], y1) > h / 2.0 {
                return None;
            }
            if distance(xy[0], xy[1], x1, xy[1]) > w / 2.0 {
                return None;
            }
            Some((xy, distance(x1, y1, xy[0], xy[1])))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for (x, y) in [
            (0u32, 0u32),
            (1, 2),
            (0x3ff_ffff, 0x155_5555),
            (12345, 67890),
        ] {
            let d = deinterleave(interleave(x, y));
            assert_eq!((d as u32, (d >> 32) as u32), (x, y));
        }
    }

    #[test]
    fn scores_match_redis() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo" stores this score.
        assert_eq!(score_of(13.361389, 38.115556), Some(3_479_099_956_230_698));
        let d = distance(13.361389, 38.115556, 15.087269, 37.502669);
        assert!((d - 166_274.15).abs() < 1.0, "{d}");
        assert_eq!(
            standard_hash(3_479_099_956_230_698.0).as_deref(),
            Some("sqc8b49rny0")
        );
    }

    #[test]
    fn out_of_range_points_have_no_cell() {
        assert_eq!(score_of(181.0, 0.0), None);
        assert_eq!(score_of(0.0, 86.0), None);
    }
}
