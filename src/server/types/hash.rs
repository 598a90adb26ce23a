//! Hashes: "listpack" (field and value entries alternating in one
//! [`Packed`] buffer, in insertion order) while there are at most
//! `hash-max-listpack-entries` fields and no field or value is longer than
//! `hash-max-listpack-value`; "hashtable" (a [`Dict`] of field → value)
//! beyond, for good. The rules are Redis 7.0's `hashTypeTryConversion` and
//! `hashTypeSet`.

use super::super::dict::{Dict, Rng};
use super::super::thin::ThinBytes;
use super::Value;
use super::packed::{self, Packed};
use super::{Counted, Pairs, limits};

pub type HashTable = Dict<ThinBytes>;

/// A hash for reading.
#[derive(Clone, Copy)]
pub enum HashRef<'a> {
    Packed(&'a Packed),
    Table(&'a HashTable),
}

/// An empty hash in the compact encoding.
pub fn new_value() -> Value {
    Value::HashPacked(Packed::new())
}

/// Byte range of the field entry and the value entry following it.
fn find_packed(p: &Packed, field: &[u8]) -> Option<(usize, usize, usize)> {
    let buf = p.bytes();
    let mut at = 0;
    while at < buf.len() {
        let (f, vstart) = packed::entry_at(buf, at);
        let (_, next) = packed::entry_at(buf, vstart);
        if f == field {
            return Some((at, vstart, next));
        }
        at = next;
    }
    None
}

impl<'a> HashRef<'a> {
    pub fn of(value: &'a Value) -> Option<HashRef<'a>> {
        match value {
            Value::HashPacked(p) => Some(HashRef::Packed(p)),
            Value::HashTable(t) => Some(HashRef::Table(t)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            HashRef::Packed(p) => p.count(),
            HashRef::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, field: &[u8]) -> Option<&'a [u8]> {
        match *self {
            HashRef::Packed(p) => {
                let (_, v, _) = find_packed(p, field)?;
                Some(packed::entry_at(p.bytes(), v).0)
            }
            HashRef::Table(t) => t.get(field).map(|v| v.as_bytes()),
        }
    }

    pub fn iter(&self) -> Pairs<'a> {
        let inner: Box<dyn Iterator<Item = (&'a [u8], &'a [u8])> + 'a> = match *self {
            HashRef::Packed(p) => {
                let mut e = packed::entries(p.bytes());
                Box::new(std::iter::from_fn(move || Some((e.next()?, e.next()?))))
            }
            HashRef::Table(t) => Box::new(t.iter().map(|(k, v)| (k, v.as_bytes()))),
        };
        Counted::new(inner, self.len())
    }

    /// A field and its value chosen at random (the hash is not empty).
    pub fn random(&self, rng: &mut Rng) -> Option<(&'a [u8], &'a [u8])> {
        match *self {
            HashRef::Packed(p) => {
                let n = p.count();
                if n == 0 {
                    return None;
                }
                let k = rng.below(n as u64) as usize;
                let mut e = packed::entries(p.bytes()).skip(2 * k);
                Some((e.next()?, e.next()?))
            }
            HashRef::Table(t) => t.random(rng).map(|(k, v)| (k, v.as_bytes())),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            HashRef::Packed(p) => p.heap_bytes(),
            HashRef::Table(t) => {
                std::mem::size_of::<HashTable>()
                    + t.bucket_bytes()
                    + t.iter()
                        .map(|(k, v)| 24 + k.len() + v.len() + 2)
                        .sum::<usize>()
            }
        }
    }
}

/// Convert a compact hash to the hashtable encoding.
fn convert(value: &mut Value) {
    if let Value::HashPacked(p) = value {
        let mut t = HashTable::new();
        t.reserve(p.count());
        let mut e = packed::entries(p.bytes());
        while let (Some(f), Some(v)) = (e.next(), e.next()) {
            t.insert_absent(f, ThinBytes::new(v));
        }
        *value = Value::HashTable(Box::new(t));
    }
}

/// Redis's hashTypeTryConversion: convert before adding these lengths if
/// any exceeds hash-max-listpack-value.
pub fn prepare(value: &mut Value, lens: impl Iterator<Item = usize>) {
    if !matches!(value, Value::HashPacked(_)) {
        return;
    }
    let max = limits().hash_max_listpack_value;
    let mut lens = lens;
    if lens.any(|l| l > max) {
        convert(value);
    }
}

/// Set a field; true when it was created (false: updated).
pub fn set(value: &mut Value, field: &[u8], val: &[u8]) -> bool {
    let l = limits();
    if matches!(value, Value::HashPacked(_))
        && (field.len() > l.hash_max_listpack_value || val.len() > l.hash_max_listpack_value)
    {
        convert(value);
    }
    match value {
        Value::HashPacked(p) => {
            let created = match find_packed(p, field) {
                Some((_, v, end)) => {
                    let mut e = Vec::with_capacity(packed::entry_size(val.len()));
                    packed::put_entry(&mut e, val);
                    p.splice(v, end, &e);
                    false
                }
                None => {
                    let mut e = Vec::with_capacity(
                        packed::entry_size(field.len()) + packed::entry_size(val.len()),
                    );
                    packed::put_entry(&mut e, field);
                    packed::put_entry(&mut e, val);
                    p.extend(&e);
                    let c = p.count() + 1;
                    p.set_count(c);
                    true
                }
            };
            if p.count() > l.hash_max_listpack_entries {
                convert(value);
            }
            created
        }
        Value::HashTable(t) => t.insert(field, ThinBytes::new(val)).is_none(),
        _ => false,
    }
}

/// Delete a field; true when it existed.
pub fn delete(value: &mut Value, field: &[u8]) -> bool {
    match value {
        Value::HashPacked(p) => match find_packed(p, field) {
            Some((start, _, end)) => {
                p.splice(start, end, &[]);
                let c = p.count() - 1;
                p.set_count(c);
                true
            }
            None => false,
        },
        Value::HashTable(t) => {
            let removed = t.remove(field).is_some();
            if removed {
                t.shrink_if_sparse();
            }
            removed
        }
        _ => false,
    }
}

/// A hash holding `pairs`, in the encoding Redis would choose for them
/// (loading, RESTORE).
pub fn from_pairs<'p>(pairs: impl ExactSizeIterator<Item = (&'p [u8], &'p [u8])> + Clone) -> Value {
    let l = limits();
    let compact = pairs.len() <= l.hash_max_listpack_entries
        && pairs.clone().all(|(f, v)| {
            f.len() <= l.hash_max_listpack_value && v.len() <= l.hash_max_listpack_value
        });
    if compact {
        let mut buf = Vec::new();
        let mut n = 0;
        let mut seen = std::collections::HashSet::new();
        for (f, v) in pairs {
            if !seen.insert(f) {
                continue;
            }
            packed::put_entry(&mut buf, f);
            packed::put_entry(&mut buf, v);
            n += 1;
        }
        Value::HashPacked(Packed::from_bytes(&buf, n))
    } else {
        let mut t = HashTable::new();
        t.reserve(pairs.len());
        for (f, v) in pairs {
            t.insert(f, ThinBytes::new(v));
        }
        Value::HashTable(Box::new(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_at_the_thresholds() {
        let mut v = new_value();
        for i in 0..512 {
            assert!(set(&mut v, format!("f{i}").as_bytes(), b"v"));
        }
        assert_eq!(v.encoding(), "listpack");
        assert!(!set(&mut v, b"f3", b"updated"));
        assert_eq!(HashRef::of(&v).unwrap().get(b"f3"), Some(&b"updated"[..]));
        set(&mut v, b"one-more", b"v");
        assert_eq!(v.encoding(), "hashtable");
        assert_eq!(HashRef::of(&v).unwrap().len(), 513);
        let mut w = new_value();
        set(&mut w, b"f", &[b'x'; 65]);
        assert_eq!(w.encoding(), "hashtable");
        let mut x = new_value();
        set(&mut x, b"a", b"1");
        set(&mut x, b"b", b"2");
        assert!(delete(&mut x, b"a"));
        assert!(!delete(&mut x, b"a"));
        let pairs: Vec<(&[u8], &[u8])> = HashRef::of(&x).unwrap().iter().collect();
        assert_eq!(pairs, vec![(&b"b"[..], &b"2"[..])]);
    }
}
