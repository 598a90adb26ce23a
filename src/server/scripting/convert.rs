//! The RESP ⇄ Lua conversion rules of Redis 7.0 (script_lua.c).
//!
//! Command reply → Lua: integer → number; bulk string → string; null bulk
//! and null array → false; status → `{ok=...}`; error → `{err=...}`;
//! array → table. Under RESP3 (`redis.setresp(3)`) also: map →
//! `{map={...}}`, set → `{set={k=true}}`, null → nil, boolean → boolean,
//! double → `{double=n}`, big number → `{big_number=s}`, verbatim →
//! `{verbatim_string={format=.., string=..}}`; attributes are dropped.
//!
//! Lua value → reply: string → bulk; number → integer (truncated);
//! boolean → `:1` / null under RESP2, a RESP3 boolean under RESP3;
//! tables: `err` → error, `ok` → status, `double`, `big_number`,
//! `verbatim_string`, `map`, `set`, otherwise the array of its elements
//! 1..n up to the first nil; anything else → null.

use mlua::{Lua, Table, Value};

use super::super::reply::Reply;
use crate::resp::encode;

/// The deepest nesting converted (Redis stops at the Lua stack limit).
const MAX_DEPTH: usize = 1000;

/// Parse the reply a command wrote (one complete RESP value) into Lua.
pub fn reply_to_lua(lua: &Lua, buf: &[u8]) -> mlua::Result<Value> {
    let mut pos = 0;
    let value = parse(lua, buf, &mut pos, 0)?;
    Ok(value.unwrap_or(Value::Nil))
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let start = *pos;
    let end = memchr::memmem::find(&buf[start..], b"\r\n").map_or(buf.len(), |i| start + i);
    *pos = (end + 2).min(buf.len());
    &buf[start..end]
}

fn int(text: &[u8]) -> i64 {
    crate::resp::number::string2ll(text).unwrap_or(0)
}

fn blob<'a>(buf: &'a [u8], pos: &mut usize, len: i64) -> &'a [u8] {
    let start = *pos;
    let end = (start + len.max(0) as usize).min(buf.len());
    *pos = (end + 2).min(buf.len());
    &buf[start..end]
}

fn error_table(lua: &Lua, text: &[u8]) -> mlua::Result<Value> {
    let mut s = Vec::with_capacity(text.len() + 1);
    s.push(b'-');
    s.extend_from_slice(text);
    let t = lua.create_table_with_capacity(0, 2)?;
    t.raw_set("err", super::error_text(&String::from_utf8_lossy(&s)))?;
    t.raw_set("ignore_error_stats_update", true)?;
    Ok(Value::Table(t))
}

fn single(lua: &Lua, key: &str, value: impl mlua::IntoLua) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(0, 1)?;
    t.raw_set(key, value)?;
    Ok(Value::Table(t))
}

/// One value; `None` when the buffer ended.
fn parse(lua: &Lua, buf: &[u8], pos: &mut usize, depth: usize) -> mlua::Result<Option<Value>> {
    let Some(&kind) = buf.get(*pos) else {
        return Ok(None);
    };
    *pos += 1;
    let depth = depth + 1;
    let value = match kind {
        b':' => Value::Number(int(line(buf, pos)) as f64),
        b'$' => {
            let len = int(line(buf, pos));
            if len < 0 {
                Value::Boolean(false)
            } else {
                Value::String(lua.create_string(blob(buf, pos, len))?)
            }
        }
        b'+' => {
            let text = line(buf, pos);
            single(lua, "ok", lua.create_string(text)?)?
        }
        b'-' => error_table(lua, line(buf, pos))?,
        b'!' => {
            let len = int(line(buf, pos));
            error_table(lua, blob(buf, pos, len))?
        }
        b'*' | b'~' | b'>' => {
            let len = int(line(buf, pos));
            if len < 0 {
                return Ok(Some(Value::Boolean(false)));
            }
            let t =
                lua.create_table_with_capacity(if kind == b'~' { 0 } else { len as usize }, 0)?;
            for i in 0..len as usize {
                let item = parse(lua, buf, pos, depth)?.unwrap_or(Value::Nil);
                if kind == b'~' {
                    t.raw_set(item, true)?;
                } else {
                    t.raw_seti(i + 1, item)?;
                }
            }
            if kind == b'~' {
                single(lua, "set", t)?
            } else {
                Value::Table(t)
            }
        }
        b'%' => {
            let len = int(line(buf, pos));
            let t = lua.create_table()?;
            for _ in 0..len.max(0) {
                let k = parse(lua, buf, pos, depth)?.unwrap_or(Value::Nil);
                let v = parse(lua, buf, pos, depth)?.unwrap_or(Value::Nil);
                if !k.is_nil() {
                    t.raw_set(k, v)?;
                }
            }
            single(lua, "map", t)?
        }
        b'|' => {
            // Attributes are not shown to scripts: skip them, then the
            // value they annotate.
            let len = int(line(buf, pos));
            for _ in 0..len.max(0) * 2 {
                parse(lua, buf, pos, depth)?;
            }
            return parse(lua, buf, pos, depth - 1);
        }
        b'_' => {
            line(buf, pos);
            Value::Nil
        }
        b'#' => Value::Boolean(line(buf, pos) == b"t"),
        b',' => {
            let text = line(buf, pos);
            let d = match text {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                b"nan" | b"-nan" => f64::NAN,
                _ => std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0.0),
            };
            single(lua, "double", d)?
        }
        b'(' => {
            let text = line(buf, pos);
            single(lua, "big_number", lua.create_string(text)?)?
        }
        b'=' => {
            let len = int(line(buf, pos));
            let data = blob(buf, pos, len);
            let (format, text) = if data.len() >= 4 {
                (&data[..3], &data[4..])
            } else {
                (&b"txt"[..], data)
            };
            let inner = lua.create_table_with_capacity(0, 2)?;
            inner.raw_set("string", lua.create_string(text)?)?;
            inner.raw_set("format", lua.create_string(format)?)?;
            single(lua, "verbatim_string", inner)?
        }
        _ => {
            line(buf, pos);
            Value::Nil
        }
    };
    Ok(Some(value))
}

fn field(t: &Table, key: &str) -> Value {
    t.raw_get::<Value>(key).unwrap_or(Value::Nil)
}

fn lossy(s: &mlua::LuaString) -> String {
    String::from_utf8_lossy(&s.as_bytes()).into_owned()
}

/// Reply `value` (a script's result) to the caller. `script_resp3` is
/// the protocol the script chose with redis.setresp (booleans).
pub fn lua_to_reply(reply: &mut Reply, value: &Value, script_resp3: bool, depth: usize) {
    if depth > MAX_DEPTH {
        reply.error("reached lua stack limit");
        return;
    }
    match value {
        Value::String(s) => reply.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp3 {
                reply.boolean(*b);
            } else if *b {
                reply.int(1);
            } else {
                reply.null();
            }
        }
        Value::Number(n) => reply.int(*n as i64),
        Value::Integer(n) => reply.int(*n),
        Value::Table(t) => table_to_reply(reply, t, script_resp3, depth),
        _ => reply.null(),
    }
}

fn table_to_reply(reply: &mut Reply, t: &Table, script_resp3: bool, depth: usize) {
    if let Value::String(s) = field(t, "err") {
        let msg = format!("-{}", lossy(&s));
        if super::stats_counted(&Value::Table(t.clone())) {
            reply.error_uncounted(&msg);
        } else {
            reply.error(&msg);
        }
        return;
    }
    if let Value::String(s) = field(t, "ok") {
        let text = lossy(&s).replace(['\r', '\n'], " ");
        reply.simple(&text);
        return;
    }
    match field(t, "double") {
        Value::Number(d) => {
            reply.double(d);
            return;
        }
        Value::Integer(d) => {
            reply.double(d as f64);
            return;
        }
        _ => {}
    }
    if let Value::String(s) = field(t, "big_number") {
        let text = lossy(&s).replace(['\r', '\n'], " ");
        if reply.resp3 {
            encode::line(&mut reply.buf, b'(', text.as_bytes());
        } else {
            reply.bulk(text.as_bytes());
        }
        return;
    }
    if let Value::Table(v) = field(t, "verbatim_string")
        && let (Value::String(format), Value::String(text)) =
            (field(&v, "format"), field(&v, "string"))
    {
        let text = text.as_bytes();
        if reply.resp3 {
            let format = format.as_bytes();
            let mut fmt = [b' '; 3];
            for (i, b) in format.iter().take(3).enumerate() {
                fmt[i] = *b;
            }
            encode::header(&mut reply.buf, b'=', text.len() + 4);
            reply.buf.extend_from_slice(&fmt);
            reply.buf.push(b':');
            reply.buf.extend_from_slice(&text);
            reply.buf.extend_from_slice(b"\r\n");
        } else {
            reply.bulk(&text);
        }
        return;
    }
    if let Value::Table(m) = field(t, "map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(Result::ok).collect();
        reply.map(pairs.len());
        for (k, v) in &pairs {
            lua_to_reply(reply, k, script_resp3, depth + 1);
            lua_to_reply(reply, v, script_resp3, depth + 1);
        }
        return;
    }
    if let Value::Table(s) = field(t, "set") {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| k)
            .collect();
        reply.set(keys.len());
        for k in &keys {
            lua_to_reply(reply, k, script_resp3, depth + 1);
        }
        return;
    }
    let mut items = Vec::new();
    let mut j = 1;
    loop {
        match t.raw_get::<Value>(j) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
        j += 1;
    }
    reply.array(items.len());
    for v in &items {
        lua_to_reply(reply, v, script_resp3, depth + 1);
    }
}
