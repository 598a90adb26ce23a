//! `cmsgpack`: MessagePack as lua-cmsgpack 0.4 (the version Redis embeds)
//! writes and reads it: integral numbers as the smallest integer type,
//! others as float 32 when exact else float 64; tables whose keys are
//! exactly 1..n as arrays, others as maps in `next` order; nesting past
//! 16 tables encodes nil; functions and userdata encode nil.

use mlua::{Lua, MultiValue, Table, Value};

const MAX_NESTING: usize = 16;

fn err(msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(msg.to_owned())
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(out: &mut Vec<u8>, n: f64) {
    if n.is_finite() && (n as i64) as f64 == n {
        encode_int(out, n as i64);
    } else if (n as f32) as f64 == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(n) => Some(*n as f64),
        _ => None,
    }
}

/// `Some(n)` when the keys of `t` are exactly 1..n.
fn array_length(t: &Table) -> mlua::Result<Option<usize>> {
    let (mut count, mut max) = (0usize, 0f64);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        match number_of(&k) {
            Some(n) if n.floor() == n && n >= 1.0 => {
                max = max.max(n);
                count += 1;
            }
            _ => return Ok(None),
        }
    }
    Ok((max == count as f64).then_some(count))
}

fn encode_value(out: &mut Vec<u8>, v: &Value, level: usize) -> mlua::Result<()> {
    match v {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(_) | Value::Number(_) => {
            encode_number(out, number_of(v).unwrap_or_default())
        }
        Value::String(s) => encode_bytes(out, &s.as_bytes()),
        Value::Table(t) if level < MAX_NESTING => match array_length(t)? {
            Some(len) => {
                if len <= 15 {
                    out.push(0x90 | len as u8);
                } else if len <= 0xffff {
                    out.push(0xdc);
                    out.extend_from_slice(&(len as u16).to_be_bytes());
                } else {
                    out.push(0xdd);
                    out.extend_from_slice(&(len as u32).to_be_bytes());
                }
                for i in 1..=len {
                    let item: Value = t.raw_get(i)?;
                    encode_value(out, &item, level + 1)?;
                }
            }
            None => {
                let mut len = 0usize;
                for pair in t.pairs::<Value, Value>() {
                    pair?;
                    len += 1;
                }
                if len <= 15 {
                    out.push(0x80 | len as u8);
                } else if len <= 0xffff {
                    out.push(0xde);
                    out.extend_from_slice(&(len as u16).to_be_bytes());
                } else {
                    out.push(0xdf);
                    out.extend_from_slice(&(len as u32).to_be_bytes());
                }
                for pair in t.pairs::<Value, Value>() {
                    let (k, item) = pair?;
                    encode_value(out, &k, level + 1)?;
                    encode_value(out, &item, level + 1)?;
                }
            }
        },
        _ => out.push(0xc0),
    }
    Ok(())
}

struct Decoder<'a> {
    lua: &'a Lua,
    s: &'a [u8],
    pos: usize,
}

const MISSING: &str = "Missing bytes in input.";
const BAD: &str = "Bad data format in input.";

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> mlua::Result<&[u8]> {
        let end = self.pos.checked_add(n).ok_or_else(|| err(MISSING))?;
        let bytes = self.s.get(self.pos..end).ok_or_else(|| err(MISSING))?;
        self.pos = end;
        Ok(bytes)
    }

    fn be(&mut self, n: usize) -> mlua::Result<u64> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn string(&mut self, len: usize) -> mlua::Result<Value> {
        let bytes = self.take(len)?.to_vec();
        Ok(Value::String(self.lua.create_string(&bytes)?))
    }

    fn array(&mut self, len: usize) -> mlua::Result<Value> {
        let t = self.lua.create_table()?;
        for i in 1..=len {
            let v = self.value()?;
            t.raw_set(i, v)?;
        }
        Ok(Value::Table(t))
    }

    fn map(&mut self, len: usize) -> mlua::Result<Value> {
        let t = self.lua.create_table()?;
        for _ in 0..len {
            let k = self.value()?;
            let v = self.value()?;
            if !k.is_nil() {
                t.raw_set(k, v)?;
            }
        }
        Ok(Value::Table(t))
    }

    fn value(&mut self) -> mlua::Result<Value> {
        let b = self.take(1)?[0];
        Ok(match b {
            0x00..=0x7f => Value::Number(f64::from(b)),
            0x80..=0x8f => return self.map(usize::from(b & 0x0f)),
            0x90..=0x9f => return self.array(usize::from(b & 0x0f)),
            0xa0..=0xbf => return self.string(usize::from(b & 0x1f)),
            0xc0 => Value::Nil,
            0xc2 => Value::Boolean(false),
            0xc3 => Value::Boolean(true),
            0xc4 | 0xd9 => {
                let n = self.be(1)? as usize;
                return self.string(n);
            }
            0xc5 | 0xda => {
                let n = self.be(2)? as usize;
                return self.string(n);
            }
            0xc6 | 0xdb => {
                let n = self.be(4)? as usize;
                return self.string(n);
            }
            0xca => Value::Number(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Value::Number(f64::from_bits(self.be(8)?)),
            0xcc => Value::Number(self.be(1)? as f64),
            0xcd => Value::Number(self.be(2)? as f64),
            0xce => Value::Number(self.be(4)? as f64),
            0xcf => Value::Number(self.be(8)? as f64),
            0xd0 => Value::Number(f64::from(self.be(1)? as u8 as i8)),
            0xd1 => Value::Number(f64::from(self.be(2)? as u16 as i16)),
            0xd2 => Value::Number(f64::from(self.be(4)? as u32 as i32)),
            0xd3 => Value::Number(self.be(8)? as i64 as f64),
            0xdc => {
                let n = self.be(2)? as usize;
                return self.array(n);
            }
            0xdd => {
                let n = self.be(4)? as usize;
                return self.array(n);
            }
            0xde => {
                let n = self.be(2)? as usize;
                return self.map(n);
            }
            0xdf => {
                let n = self.be(4)? as usize;
                return self.map(n);
            }
            0xe0..=0xff => Value::Number(f64::from(b as i8)),
            _ => return Err(err(BAD)),
        })
    }
}

/// Decode up to `limit` objects (0: all) from `offset`; the offset after
/// them (-1 at the end of the input) and the objects.
fn unpack(lua: &Lua, s: &[u8], limit: usize, offset: i64) -> mlua::Result<(MultiValue, usize)> {
    if offset < 0 || offset as usize > s.len() {
        return Err(mlua::Error::RuntimeError(format!(
            "Start offset {offset} greater than input length {}.",
            s.len()
        )));
    }
    let mut d = Decoder {
        lua,
        s,
        pos: offset as usize,
    };
    let mut out = MultiValue::new();
    while d.pos < s.len() && (limit == 0 || out.len() < limit) {
        out.push_back(d.value()?);
    }
    Ok((out, d.pos))
}

fn input(args: &MultiValue) -> mlua::Result<Vec<u8>> {
    match args.front() {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(v @ (Value::Integer(_) | Value::Number(_))) => {
            Ok(super::cjson::format_g(number_of(v).unwrap_or_default(), 14).into_bytes())
        }
        _ => Err(err("bad argument #1 to 'unpack' (string expected)")),
    }
}

fn int_at(args: &MultiValue, i: usize) -> i64 {
    args.get(i).and_then(number_of).unwrap_or(0.0) as i64
}

/// The `cmsgpack` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            if args.is_empty() {
                return Err(err("MessagePack pack needs input."));
            }
            let mut out = Vec::new();
            for v in &args {
                encode_value(&mut out, v, 0)?;
            }
            lua.create_string(&out)
        })?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| {
            let s = input(&args)?;
            Ok(unpack(lua, &s, 0, 0)?.0)
        })?,
    )?;
    let with_offset = |lua: &Lua, s: &[u8], limit: usize, offset: i64| {
        let (objects, end) = unpack(lua, s, limit, offset)?;
        let next = if end >= s.len() { -1 } else { end as i64 };
        let mut out = MultiValue::new();
        out.push_back(Value::Number(next as f64));
        out.extend(objects);
        Ok(out)
    };
    t.raw_set(
        "unpack_one",
        lua.create_function(move |lua, args: MultiValue| {
            let s = input(&args)?;
            with_offset(lua, &s, 1, int_at(&args, 1))
        })?,
    )?;
    t.raw_set(
        "unpack_limit",
        lua.create_function(move |lua, args: MultiValue| {
            let s = input(&args)?;
            let limit = int_at(&args, 1).max(0) as usize;
            with_offset(lua, &s, limit, int_at(&args, 2))
        })?,
    )?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    Ok(t)
}
