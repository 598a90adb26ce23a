//! BITOP, BITFIELD and BITFIELD_RO: bitwise operations between strings and
//! integers of 1 to 64 bits at arbitrary bit offsets of a string, with
//! Redis's overflow policies (WRAP, SAT, FAIL).

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::signal::event;
use super::super::types::{Str, Value};
use super::written::{key_deleted, key_written};
use super::{int_arg, is};
use crate::resp::number::string2ll;

const B: &str = "bitmap";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "bitop",
        -4,
        WRITE | DENYOOM,
        B,
        "2.6.0",
        "Perform bitwise operations between strings",
        bitop,
    )
    .keys(2, -1, 1),
    Spec::new(
        "bitfield",
        -2,
        WRITE | DENYOOM,
        B,
        "3.2.0",
        "Perform arbitrary bitfield integer operations on strings",
        bitfield,
    )
    .keys(1, 1, 1),
    Spec::new(
        "bitfield_ro",
        -2,
        READONLY | FAST,
        B,
        "6.0.0",
        "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        bitfield_ro,
    )
    .keys(1, 1, 1),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let op = if is(args[1], "and") {
        BitOp::And
    } else if is(args[1], "or") {
        BitOp::Or
    } else if is(args[1], "xor") {
        BitOp::Xor
    } else if is(args[1], "not") {
        BitOp::Not
    } else {
        client.reply.syntax_error();
        return;
    };
    if op == BitOp::Not && args.len() != 4 {
        client
            .reply
            .error("BITOP NOT must be called with a single source key.");
        return;
    }
    let (db, target) = (client.db, args[2]);
    let mut sources: Vec<Vec<u8>> = Vec::with_capacity(args.len() - 3);
    for key in &args[3..] {
        match srv.ks.lookup(db, key).map(|o| &o.value) {
            None => sources.push(Vec::new()),
            Some(Value::String(s)) => sources.push(s.to_vec()),
            Some(_) => {
                client.reply.wrong_type();
                return;
            }
        }
    }
    let max_len = sources.iter().map(Vec::len).max().unwrap_or(0);
    if max_len == 0 {
        if srv.ks.delete(db, target) {
            key_deleted(srv, db, target);
        }
        client.reply.int(0);
        return;
    }
    let mut result = vec![0u8; max_len];
    result[..sources[0].len()].copy_from_slice(&sources[0]);
    match op {
        BitOp::Not => result.iter_mut().for_each(|b| *b = !*b),
        _ => {
            for src in &sources[1..] {
                for (i, r) in result.iter_mut().enumerate() {
                    let b = src.get(i).copied().unwrap_or(0);
                    match op {
                        BitOp::And => *r &= b,
                        BitOp::Or => *r |= b,
                        _ => *r ^= b,
                    }
                }
            }
        }
    }
    srv.ks.expire_if_needed(db, target);
    srv.ks.dbs[db].set(target, Value::String(Str::Raw(Box::new(result))), false);
    key_written(srv, db, target, event::SET, 1);
    client.reply.int(max_len as i64);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Get,
    Set,
    IncrBy,
}

struct Field {
    op: FieldOp,
    offset: u64,
    value: i64,
    overflow: Overflow,
    bits: u32,
    signed: bool,
}

const TYPE_ERROR: &str =
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// `i1`..`i64` or `u1`..`u63`.
fn field_type(client: &mut Client, arg: &[u8]) -> Option<(bool, u32)> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => {
            client.reply.error(TYPE_ERROR);
            return None;
        }
    };
    match string2ll(&arg[1..]) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Some((signed, n as u32)),
        _ => {
            client.reply.error(TYPE_ERROR);
            None
        }
    }
}

/// A bit offset, `#n` meaning n times the field width.
fn field_offset(srv: &Server, client: &mut Client, arg: &[u8], bits: u32) -> Option<u64> {
    let hashed = arg.first() == Some(&b'#');
    let n = string2ll(if hashed { &arg[1..] } else { arg }).map(|n| {
        if hashed {
            n.wrapping_mul(i64::from(bits))
        } else {
            n
        }
    });
    match n {
        Some(n)
            if n >= 0
                && (client.must_obey() || ((n >> 3) as u64) < srv.config.proto_max_bulk_len) =>
        {
            Some(n as u64)
        }
        _ => {
            client
                .reply
                .error("bit offset is not an integer or out of range");
            None
        }
    }
}

fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut value = 0u64;
    for j in 0..u64::from(bits) {
        let at = offset + j;
        let byte = p.get((at >> 3) as usize).copied().unwrap_or(0);
        let bit = (byte >> (7 - (at & 7))) & 1;
        value = (value << 1) | u64::from(bit);
    }
    value
}

fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let mut value = get_unsigned(p, offset, bits) as i64;
    if bits < 64 && value & (1i64 << (bits - 1)) != 0 {
        value |= -1i64 << bits;
    }
    value
}

fn set_unsigned(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..u64::from(bits) {
        let bit = (value >> (u64::from(bits) - 1 - j)) & 1;
        let at = offset + j;
        let byte = &mut p[(at >> 3) as usize];
        let mask = 1u8 << (7 - (at & 7));
        if bit == 1 {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }
}

/// The unsigned result of `value + incr` in `bits` bits, or None when it
/// overflows and the policy is FAIL.
fn unsigned_result(value: u64, incr: i64, bits: u32, overflow: Overflow) -> (bool, u64) {
    let max = (1u64 << bits) - 1;
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrapped = value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        (
            true,
            if overflow == Overflow::Sat {
                max
            } else {
                wrapped
            },
        )
    } else if incr < 0 && incr < min_incr {
        (
            true,
            if overflow == Overflow::Sat {
                0
            } else {
                wrapped
            },
        )
    } else {
        (false, value.wrapping_add(incr as u64))
    }
}

fn signed_result(value: i64, incr: i64, bits: u32, overflow: Overflow) -> (bool, i64) {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        (
            true,
            if overflow == Overflow::Sat {
                max
            } else {
                wrap()
            },
        )
    } else if value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        (
            true,
            if overflow == Overflow::Sat {
                min
            } else {
                wrap()
            },
        )
    } else {
        (false, value.wrapping_add(incr))
    }
}

fn bitfield(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    bitfield_generic(srv, client, args, false);
}

fn bitfield_ro(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    bitfield_generic(srv, client, args, true);
}

fn bitfield_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], read_only: bool) {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut writes = false;
    let mut highest = 0u64;
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - j - 1;
        let op = if is(args[j], "get") && more >= 2 {
            FieldOp::Get
        } else if is(args[j], "set") && more >= 3 {
            FieldOp::Set
        } else if is(args[j], "incrby") && more >= 3 {
            FieldOp::IncrBy
        } else if is(args[j], "overflow") && more >= 1 {
            overflow = if is(args[j + 1], "wrap") {
                Overflow::Wrap
            } else if is(args[j + 1], "sat") {
                Overflow::Sat
            } else if is(args[j + 1], "fail") {
                Overflow::Fail
            } else {
                client.reply.error("Invalid OVERFLOW type specified");
                return;
            };
            j += 2;
            continue;
        } else {
            client.reply.syntax_error();
            return;
        };
        let Some((signed, bits)) = field_type(client, args[j + 1]) else {
            return;
        };
        let Some(offset) = field_offset(srv, client, args[j + 2], bits) else {
            return;
        };
        let mut value = 0;
        if op != FieldOp::Get {
            writes = true;
            highest = highest.max(offset + u64::from(bits) - 1);
            let Some(v) = int_arg(client, args[j + 3]) else {
                return;
            };
            value = v;
        }
        fields.push(Field {
            op,
            offset,
            value,
            overflow,
            bits,
            signed,
        });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    let (db, key) = (client.db, args[1]);
    if !writes {
        let bytes = match srv.ks.lookup(db, key).map(|o| &o.value) {
            None => Vec::new(),
            Some(Value::String(s)) => s.to_vec(),
            Some(_) => {
                client.reply.wrong_type();
                return;
            }
        };
        client.reply.array(fields.len());
        for f in &fields {
            reply_get(client, &bytes, f);
        }
        return;
    }
    if read_only {
        client
            .reply
            .error("BITFIELD_RO only supports the GET subcommand");
        return;
    }
    let need = (highest >> 3) as usize + 1;
    let mut grew = false;
    match srv.ks.lookup_write(db, key) {
        None => {
            srv.ks.dbs[db].add(key, Value::String(Str::Raw(Box::new(vec![0u8; need]))));
            grew = true;
        }
        Some(obj) => match &mut obj.value {
            Value::String(s) => {
                let raw = s.make_raw();
                if raw.len() < need {
                    raw.resize(need, 0);
                    grew = true;
                }
            }
            _ => {
                client.reply.wrong_type();
                return;
            }
        },
    }
    let Some(Value::String(s)) = super::value_mut(srv, db, key) else {
        return;
    };
    let p = s.make_raw();
    let mut changes = 0u64;
    client.reply.array(fields.len());
    for f in &fields {
        if f.op == FieldOp::Get {
            reply_get(client, p, f);
            continue;
        }
        let incr = if f.op == FieldOp::IncrBy { f.value } else { 0 };
        let (failed, old_bits, new_bits, reply) = if f.signed {
            let old = get_signed(p, f.offset, f.bits);
            let (over, new) = if f.op == FieldOp::IncrBy {
                signed_result(old, incr, f.bits, f.overflow)
            } else {
                signed_result(f.value, 0, f.bits, f.overflow)
            };
            let reply = if f.op == FieldOp::IncrBy { new } else { old };
            (
                over && f.overflow == Overflow::Fail,
                old as u64,
                new as u64,
                reply,
            )
        } else {
            let old = get_unsigned(p, f.offset, f.bits);
            let (over, new) = if f.op == FieldOp::IncrBy {
                unsigned_result(old, incr, f.bits, f.overflow)
            } else {
                unsigned_result(f.value as u64, 0, f.bits, f.overflow)
            };
            let reply = if f.op == FieldOp::IncrBy { new } else { old } as i64;
            (over && f.overflow == Overflow::Fail, old, new, reply)
        };
        if failed {
            client.reply.null();
            continue;
        }
        client.reply.int(reply);
        set_unsigned(p, f.offset, f.bits, new_bits);
        if grew || old_bits != new_bits {
            changes += 1;
        }
    }
    if changes > 0 {
        key_written(srv, db, key, event::SETBIT, changes);
    }
}

fn reply_get(client: &mut Client, bytes: &[u8], f: &Field) {
    if f.signed {
        client.reply.int(get_signed(bytes, f.offset, f.bits));
    } else {
        client
            .reply
            .int(get_unsigned(bytes, f.offset, f.bits) as i64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_at_odd_offsets() {
        let mut p = vec![0u8; 20];
        set_unsigned(&mut p, 5, 13, 0x1abc);
        assert_eq!(get_unsigned(&p, 5, 13), 0x1abc);
        set_unsigned(&mut p, 3, 64, (-5i64) as u64);
        assert_eq!(get_signed(&p, 3, 64), -5);
        set_unsigned(&mut p, 70, 4, 0b1001);
        assert_eq!(get_signed(&p, 70, 4), -7);
    }

    #[test]
    fn overflow_policies() {
        assert_eq!(unsigned_result(250, 10, 8, Overflow::Wrap), (true, 4));
        assert_eq!(unsigned_result(250, 10, 8, Overflow::Sat), (true, 255));
        assert_eq!(unsigned_result(5, -10, 8, Overflow::Sat), (true, 0));
        assert_eq!(signed_result(120, 10, 8, Overflow::Wrap), (true, -126));
        assert_eq!(signed_result(120, 10, 8, Overflow::Sat), (true, 127));
        assert_eq!(signed_result(-120, -10, 8, Overflow::Sat), (true, -128));
        assert_eq!(
            signed_result(i64::MAX, 1, 64, Overflow::Wrap),
            (true, i64::MIN)
        );
        assert_eq!(signed_result(1, 2, 64, Overflow::Wrap), (false, 3));
    }
}
