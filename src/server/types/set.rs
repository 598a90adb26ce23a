//! Sets: "intset" while every member is a canonical integer and there are
//! at most `set-max-intset-entries` of them, "hashtable" (a [`Dict`] of
//! members) otherwise, for good — Redis 7.0's rules (`setTypeCreate`,
//! `setTypeAdd`).

use super::super::dict::{Dict, Rng};
use super::Value;
use super::packed::Packed;
use super::{Counted, intset, limits};
use crate::resp::number::string2ll;

pub type SetTable = Dict<()>;

/// A member as stored: an intset integer or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Member<'_> {
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Member::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
            Member::Bytes(b) => b.to_vec(),
        }
    }

    /// The bytes, formatting an integer into `scratch`.
    pub fn bytes<'s>(&'s self, scratch: &'s mut itoa::Buffer) -> &'s [u8] {
        match self {
            Member::Int(n) => scratch.format(*n).as_bytes(),
            Member::Bytes(b) => b,
        }
    }
}

/// A set for reading.
#[derive(Clone, Copy)]
pub enum SetRef<'a> {
    Ints(&'a Packed),
    Table(&'a SetTable),
}

/// An empty set in the encoding Redis would create for a first member
/// `first`.
pub fn new_for(first: &[u8]) -> Value {
    if string2ll(first).is_some() {
        Value::SetInts(intset::new())
    } else {
        Value::SetTable(Box::default())
    }
}

/// An empty intset-encoded set (the destination of SINTERSTORE & co).
pub fn new_ints() -> Value {
    Value::SetInts(intset::new())
}

impl<'a> SetRef<'a> {
    pub fn of(value: &'a Value) -> Option<SetRef<'a>> {
        match value {
            Value::SetInts(p) => Some(SetRef::Ints(p)),
            Value::SetTable(t) => Some(SetRef::Table(t)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SetRef::Ints(p) => intset::len(p),
            SetRef::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            SetRef::Ints(p) => string2ll(member).is_some_and(|n| intset::contains(p, n)),
            SetRef::Table(t) => t.contains_key(member),
        }
    }

    pub fn iter(&self) -> Counted<Box<dyn Iterator<Item = Member<'a>> + 'a>> {
        let inner: Box<dyn Iterator<Item = Member<'a>> + 'a> = match *self {
            SetRef::Ints(p) => Box::new(intset::iter(p).map(Member::Int)),
            SetRef::Table(t) => Box::new(t.iter().map(|(k, _)| Member::Bytes(k))),
        };
        Counted::new(inner, self.len())
    }

    /// A member chosen at random (None when empty).
    pub fn random(&self, rng: &mut Rng) -> Option<Member<'a>> {
        match *self {
            SetRef::Ints(p) => {
                let n = intset::len(p);
                (n > 0).then(|| Member::Int(intset::get(p, rng.below(n as u64) as usize)))
            }
            SetRef::Table(t) => t.random(rng).map(|(k, _)| Member::Bytes(k)),
        }
    }

    pub fn is_intset(&self) -> bool {
        matches!(self, SetRef::Ints(_))
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            SetRef::Ints(p) => p.heap_bytes(),
            SetRef::Table(t) => {
                std::mem::size_of::<SetTable>()
                    + t.bucket_bytes()
                    + t.iter().map(|(k, _)| 16 + k.len() + 1).sum::<usize>()
            }
        }
    }
}

fn convert(value: &mut Value) {
    if let Value::SetInts(p) = value {
        let mut t = SetTable::new();
        t.reserve(intset::len(p));
        let mut digits = itoa::Buffer::new();
        for n in intset::iter(p) {
            t.insert_absent(digits.format(n).as_bytes(), ());
        }
        *value = Value::SetTable(Box::new(t));
    }
}

/// Add a member; true when it was not there.
pub fn add(value: &mut Value, member: &[u8]) -> bool {
    match value {
        Value::SetInts(p) => match string2ll(member) {
            Some(n) => {
                if !intset::insert(p, n) {
                    return false;
                }
                let max = limits().set_max_intset_entries.min(1 << 30);
                if intset::len(p) > max {
                    convert(value);
                }
                true
            }
            None => {
                convert(value);
                add(value, member)
            }
        },
        Value::SetTable(t) => {
            if t.contains_key(member) {
                return false;
            }
            t.insert_absent(member, ());
            true
        }
        _ => false,
    }
}

/// Remove a member; true when it was there.
pub fn remove(value: &mut Value, member: &[u8]) -> bool {
    match value {
        Value::SetInts(p) => string2ll(member).is_some_and(|n| intset::remove(p, n)),
        Value::SetTable(t) => {
            let removed = t.remove(member).is_some();
            if removed {
                t.shrink_if_sparse();
            }
            removed
        }
        _ => false,
    }
}

/// A set of `members` in the encoding Redis would load it with.
pub fn from_members<'m>(members: impl ExactSizeIterator<Item = &'m [u8]> + Clone) -> Value {
    let max = limits().set_max_intset_entries;
    if members.len() <= max {
        let ints: Option<Vec<i64>> = members.clone().map(string2ll).collect();
        if let Some(ints) = ints {
            return Value::SetInts(intset::from_values(ints));
        }
    }
    let mut t = SetTable::new();
    t.reserve(members.len());
    for m in members {
        t.insert(m, ());
    }
    Value::SetTable(Box::new(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intsets_convert_on_strings_and_size() {
        let mut v = new_for(b"1");
        assert!(add(&mut v, b"1"));
        assert!(!add(&mut v, b"1"));
        assert!(add(&mut v, b"-20"));
        assert_eq!(v.encoding(), "intset");
        assert!(SetRef::of(&v).unwrap().contains(b"-20"));
        assert!(!SetRef::of(&v).unwrap().contains(b"020"));
        assert!(add(&mut v, b"x"));
        assert_eq!(v.encoding(), "hashtable");
        assert!(SetRef::of(&v).unwrap().contains(b"-20"));
        let mut w = new_for(b"0");
        for i in 0..=512 {
            add(&mut w, format!("{i}").as_bytes());
        }
        assert_eq!(w.encoding(), "hashtable");
        assert!(remove(&mut w, b"7"));
        assert_eq!(SetRef::of(&w).unwrap().len(), 512);
    }
}
