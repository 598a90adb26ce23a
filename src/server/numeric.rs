//! Redis-exact float parsing and formatting, through the C helper built by
//! build.rs (numeric.c). INCRBYFLOAT uses C `long double` arithmetic and
//! `%.17Lf`; replies with doubles use `%.17g`; parsing uses strtod/strtold
//! with Redis's extra rules (no leading blanks, no NaN, no overflow). A
//! Rust reimplementation would differ in the last digit for some inputs, and
//! clients compare these strings byte for byte.

use std::os::raw::{c_char, c_int};

unsafe extern "C" {
    fn sonde_incrbyfloat(
        value: *const c_char,
        value_len: usize,
        incr: *const c_char,
        incr_len: usize,
        out: *mut c_char,
        cap: usize,
    ) -> c_int;
    fn sonde_string2d(s: *const c_char, len: usize, out: *mut f64) -> c_int;
    fn sonde_format_g17(v: f64, out: *mut c_char, cap: usize) -> c_int;
    fn sonde_string2ld(s: *const c_char, len: usize, out: *mut f64) -> c_int;
    fn sonde_strtod_cstr(s: *const c_char, len: usize, out: *mut f64) -> c_int;
}

/// Why INCRBYFLOAT could not produce a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrFloatError {
    /// The stored value or the increment is not a valid float.
    NotAFloat,
    /// The sum is NaN or infinite.
    NanOrInfinity,
}

/// `value + incr` in long double arithmetic, formatted as Redis stores it.
pub fn incr_by_float(value: &[u8], incr: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let mut out = vec![0u8; 6000];
    // SAFETY: both inputs are valid for their lengths; out has `cap` bytes
    // and the helper never writes more than that.
    let n = unsafe {
        sonde_incrbyfloat(
            value.as_ptr().cast(),
            value.len(),
            incr.as_ptr().cast(),
            incr.len(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    match n {
        -1 | -2 => Err(IncrFloatError::NotAFloat),
        n if n < 0 => Err(IncrFloatError::NanOrInfinity),
        n => {
            out.truncate(n as usize);
            Ok(out)
        }
    }
}

/// Redis's string2d: the whole input is one finite-or-infinite double.
pub fn parse_double(text: &[u8]) -> Option<f64> {
    let mut v = 0.0;
    // SAFETY: the helper reads `len` bytes and writes one f64.
    let ok = unsafe { sonde_string2d(text.as_ptr().cast(), text.len(), &mut v) };
    (ok == 1).then_some(v)
}

/// Redis's string2ld (a long double; infinities accepted, NaN not),
/// narrowed to f64.
pub fn parse_long_double(text: &[u8]) -> Option<f64> {
    let mut v = 0.0;
    // SAFETY: the helper reads `len` bytes and writes one f64.
    let ok = unsafe { sonde_string2ld(text.as_ptr().cast(), text.len(), &mut v) };
    (ok == 1).then_some(v)
}

/// C `strtod` over the text as a C string, consumed entirely, not NaN
/// (Redis's score-range bounds).
pub fn strtod_cstr(text: &[u8]) -> Option<f64> {
    let mut v = 0.0;
    // SAFETY: the helper reads at most `len` bytes and writes one f64.
    let ok = unsafe { sonde_strtod_cstr(text.as_ptr().cast(), text.len(), &mut v) };
    (ok == 1).then_some(v)
}

/// Redis's d2string (ZSCAN scores): integers in ±2^62 as integers, signed
/// zero as "0"/"-0", otherwise `%.17g`.
pub fn d2string(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let half = (i64::MAX / 2) as f64;
    if v.is_finite() && (-half..=half).contains(&v) && v.trunc() == v {
        return itoa::Buffer::new().format(v as i64).to_owned();
    }
    format_g17(v)
}

/// `%.17g` of a finite double; "inf"/"-inf" for infinities.
pub fn format_g17(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let mut out = [0u8; 64];
    // SAFETY: out has 64 bytes; %.17g of a double needs at most 25.
    let n = unsafe { sonde_format_g17(v, out.as_mut_ptr().cast(), out.len()) };
    String::from_utf8_lossy(&out[..n.max(0) as usize]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incrbyfloat_matches_redis_examples() {
        assert_eq!(incr_by_float(b"10.5", b"0.1").unwrap(), b"10.6");
        assert_eq!(incr_by_float(b"5.0e3", b"2.0e2").unwrap(), b"5200");
        assert_eq!(incr_by_float(b"0", b"-0").unwrap(), b"0");
        assert_eq!(incr_by_float(b"3", b"1.5").unwrap(), b"4.5");
        assert_eq!(incr_by_float(b"x", b"1"), Err(IncrFloatError::NotAFloat));
        assert_eq!(incr_by_float(b"1", b" 1"), Err(IncrFloatError::NotAFloat));
        assert_eq!(incr_by_float(b"1", b"nan"), Err(IncrFloatError::NotAFloat));
        assert_eq!(
            incr_by_float(b"1", b"inf"),
            Err(IncrFloatError::NanOrInfinity)
        );
    }

    #[test]
    fn doubles_print_like_printf() {
        assert_eq!(format_g17(0.1), "0.10000000000000001");
        assert_eq!(format_g17(3.0), "3");
        assert_eq!(format_g17(1e300), "1.0000000000000001e+300");
        assert_eq!(format_g17(f64::NEG_INFINITY), "-inf");
        assert_eq!(parse_double(b"1.5"), Some(1.5));
        assert_eq!(parse_double(b"0x10"), Some(16.0));
        assert_eq!(parse_double(b"1e400"), None);
        assert_eq!(parse_double(b""), None);
        assert_eq!(parse_double(b" 1"), None);
        assert_eq!(strtod_cstr(b""), Some(0.0));
        assert_eq!(strtod_cstr(b" 1.5"), Some(1.5));
        assert_eq!(strtod_cstr(b"1x"), None);
        assert_eq!(strtod_cstr(b"nan"), None);
        assert_eq!(strtod_cstr(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_long_double(b"inf"), Some(f64::INFINITY));
    }
}
