//! Which keys of a snapshot a command looks at: the filters `rdb inspect`,
//! `rdb export`, `rdb restore` and `rdb diff` share.
//!
//! A key passes when every filter given passes: its database is one of
//! `dbs`, its type one of `types`, its name matches one of the `include`
//! globs and none of the `exclude` globs and the regex, its serialized
//! size is at least `min_size`, its expiry state is the one asked for, and
//! its Redis Cluster slot lies in one of `slots`. Empty lists mean "any".
//! The checks that need no key bytes run first ([`KeyFilter::wants_cheap`]),
//! so a database or type filter skips decompressing LZF key names.

use crate::glob::Pattern;
use crate::ring::slots::key_slot;

use super::format::ObjectType;
use super::reader::KeyEntry;

/// Keep keys by their expiry state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryFilter {
    /// Only keys whose expiry is at or before "now".
    Expired,
    /// Keys without an expiry, or expiring after "now".
    NotExpired,
}

/// The compiled filters; see the module docs.
#[derive(Debug, Default)]
pub struct KeyFilter {
    pub dbs: Vec<u64>,
    pub types: Vec<ObjectType>,
    pub include: Vec<Pattern>,
    pub exclude: Vec<Pattern>,
    pub regex: Option<regex::bytes::Regex>,
    pub min_size: u64,
    pub expiry: Option<ExpiryFilter>,
    /// Inclusive slot ranges.
    pub slots: Vec<(u16, u16)>,
}

impl KeyFilter {
    /// True when no filter is set (every key passes).
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
            && self.types.is_empty()
            && !self.needs_key()
            && self.min_size == 0
            && self.expiry.is_none()
    }

    /// True when some filter reads the key name.
    #[inline]
    pub fn needs_key(&self) -> bool {
        !self.include.is_empty()
            || !self.exclude.is_empty()
            || self.regex.is_some()
            || !self.slots.is_empty()
    }

    /// The checks that need neither the key name nor the value; `now_ms`
    /// is the time expiries are measured against.
    pub fn wants_cheap(&self, k: &KeyEntry<'_>, now_ms: i64) -> bool {
        (self.dbs.is_empty() || self.dbs.contains(&k.db))
            && (self.types.is_empty() || self.types.contains(&k.value.object_type()))
            && k.size >= self.min_size
            && match self.expiry {
                None => true,
                Some(ExpiryFilter::Expired) => k.expire_ms.is_some_and(|t| t <= now_ms),
                Some(ExpiryFilter::NotExpired) => k.expire_ms.is_none_or(|t| t > now_ms),
            }
    }

    /// The checks on the key name.
    pub fn wants_key(&self, key: &[u8]) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| p.is_match(key)))
            && !self.exclude.iter().any(|p| p.is_match(key))
            && self.regex.as_ref().is_none_or(|r| r.is_match(key))
            && (self.slots.is_empty() || {
                let slot = key_slot(key);
                self.slots.iter().any(|&(a, b)| a <= slot && slot <= b)
            })
    }
}

/// Parse a size with an optional unit, as redis.conf writes them: `1k` is
/// 1000 bytes and `1kb` 1024 (also m/mb, g/gb; any case).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(digits_end);
    if digits.is_empty() {
        return Err(format!(
            "{text:?} is not a size (a number of bytes with an optional unit: 512, 1k, 1kb, 10mb, 2g)"
        ));
    }
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is too large"))?;
    let factor: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use k, kb, m, mb, g or gb)"
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// Parse a slot range `A-B` (or a single slot `A`), both within 0..=16383.
pub fn parse_slot_range(text: &str) -> Result<(u16, u16), String> {
    let slot = |s: &str| -> Result<u16, String> {
        match s.trim().parse::<u16>() {
            Ok(n) if n < 16384 => Ok(n),
            _ => Err(format!(
                "{s:?} in {text:?} is not a cluster slot (0 to 16383)"
            )),
        }
    };
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (slot(a)?, slot(b)?),
        None => {
            let a = slot(text)?;
            (a, a)
        }
    };
    if a > b {
        return Err(format!("slot range {text:?} ends before it starts"));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1k"), Ok(1000));
        assert_eq!(parse_size("1KB"), Ok(1024));
        assert_eq!(parse_size("3mb"), Ok(3 << 20));
        assert_eq!(parse_size("2g"), Ok(2_000_000_000));
        assert!(parse_size("k").is_err());
        assert!(parse_size("1x").is_err());
        assert!(parse_size("99999999999999999999gb").is_err());
    }

    #[test]
    fn slot_ranges() {
        assert_eq!(parse_slot_range("0-16383"), Ok((0, 16383)));
        assert_eq!(parse_slot_range("42"), Ok((42, 42)));
        assert!(parse_slot_range("10-5").is_err());
        assert!(parse_slot_range("0-16384").is_err());
    }

    #[test]
    fn key_checks() {
        let f = KeyFilter {
            include: vec![Pattern::new(b"user:*")],
            exclude: vec![Pattern::new(b"user:tmp*")],
            ..KeyFilter::default()
        };
        assert!(f.wants_key(b"user:1"));
        assert!(!f.wants_key(b"user:tmp1"));
        assert!(!f.wants_key(b"order:1"));
        // "foo" is in slot 12182 (CLUSTER KEYSLOT foo).
        let f = KeyFilter {
            slots: vec![(12182, 12182)],
            ..KeyFilter::default()
        };
        assert!(f.wants_key(b"foo"));
        assert!(f.wants_key(b"{foo}bar"));
        assert!(!f.wants_key(b"bar"));
    }
}
