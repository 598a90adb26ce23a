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

use mlua::{Table, Value, ffi};

use super::super::reply::Reply;
use crate::resp::encode;

/// The deepest nesting converted (Redis stops at the Lua stack limit).
const MAX_DEPTH: usize = 1000;

/// Push the reply a command wrote (one complete RESP value) onto the Lua
/// stack of `state` as one value, through the C API: no value is built
/// on the Rust side, and no Rust value with a destructor lives in these
/// frames, so an error Lua raises while pushing (out of memory) may
/// unwind through them.
///
/// # Safety
/// `state` is a valid Lua state with at least one free stack slot.
pub unsafe fn push_reply(state: *mut ffi::lua_State, buf: &[u8]) {
    let mut pos = 0;
    // SAFETY: the caller's contract.
    unsafe {
        if !parse(state, buf, &mut pos) {
            ffi::lua_pushnil(state);
        }
    }
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

/// # Safety
/// A valid state with one free slot.
unsafe fn push_bytes(state: *mut ffi::lua_State, bytes: &[u8]) {
    // SAFETY: the caller's contract; Lua copies the bytes.
    unsafe { ffi::lua_pushlstring(state, bytes.as_ptr().cast(), bytes.len()) };
}

/// `t[key] = value` for the table under the value on top of the stack,
/// which is popped.
///
/// # Safety
/// A valid state with one free slot, a table at -2.
unsafe fn set_field(state: *mut ffi::lua_State, key: &[u8]) {
    // SAFETY: the caller's contract.
    unsafe {
        push_bytes(state, key);
        ffi::lua_insert(state, -2);
        ffi::lua_rawset(state, -3);
    }
}

/// The error table of an error reply, `{err="CODE message"}`, marked as
/// counted in errorstats already (the command's error was).
///
/// # Safety
/// A valid state with four free slots.
pub unsafe fn push_error_table(state: *mut ffi::lua_State, text: &[u8], counted: bool) {
    let (code, msg) = super::error_parts(text);
    // SAFETY: the caller's contract; at most four slots are used.
    unsafe {
        ffi::lua_createtable(state, 0, 2);
        push_bytes(state, code);
        push_bytes(state, b" ");
        push_bytes(state, msg);
        ffi::lua_concat(state, 3);
        set_field(state, b"err");
        if counted {
            ffi::lua_pushboolean(state, 1);
            set_field(state, b"ignore_error_stats_update");
        }
    }
}

/// `{key=<the value on top of the stack>}`, replacing that value.
///
/// # Safety
/// A valid state with two free slots and a value on top.
unsafe fn wrap(state: *mut ffi::lua_State, key: &[u8]) {
    // SAFETY: the caller's contract.
    unsafe {
        ffi::lua_createtable(state, 0, 1);
        ffi::lua_insert(state, -2);
        set_field(state, key);
    }
}

/// Push one value; false (nothing pushed) when the buffer ended.
///
/// # Safety
/// A valid state with one free slot.
unsafe fn parse(state: *mut ffi::lua_State, buf: &[u8], pos: &mut usize) -> bool {
    let Some(&kind) = buf.get(*pos) else {
        return false;
    };
    *pos += 1;
    // SAFETY: the caller's contract gives one slot; aggregates and
    // wrapped values make sure of the room they need first.
    unsafe {
        // Room for a value, its wrapping table and a key; when the stack
        // cannot grow (a call with thousands of arguments still on it is
        // not the case: they are popped first), the value reads as nil.
        if !matches!(kind, b':' | b'$' | b'_' | b'#') && ffi::lua_checkstack(state, 4) == 0 {
            *pos -= 1;
            skip(buf, pos);
            ffi::lua_pushnil(state);
            return true;
        }
        match kind {
            b':' => ffi::lua_pushnumber(state, int(line(buf, pos)) as f64),
            b'$' => {
                let len = int(line(buf, pos));
                if len < 0 {
                    ffi::lua_pushboolean(state, 0);
                } else {
                    push_bytes(state, blob(buf, pos, len));
                }
            }
            b'+' => {
                push_bytes(state, line(buf, pos));
                wrap(state, b"ok");
            }
            b'-' => push_error_table(state, line(buf, pos), true),
            b'!' => {
                let len = int(line(buf, pos));
                push_error_table(state, blob(buf, pos, len), true);
            }
            b'*' | b'~' | b'>' => {
                let len = int(line(buf, pos));
                if len < 0 {
                    ffi::lua_pushboolean(state, 0);
                    return true;
                }
                let set = kind == b'~';
                let hint = (len as usize).min(1 << 20) as i32;
                ffi::lua_createtable(state, if set { 0 } else { hint }, 0);
                for i in 0..len {
                    if !parse(state, buf, pos) {
                        ffi::lua_pushnil(state);
                    }
                    if set {
                        if ffi::lua_type(state, -1) == ffi::LUA_TNIL {
                            ffi::lua_settop(state, -2);
                        } else {
                            ffi::lua_pushboolean(state, 1);
                            ffi::lua_rawset(state, -3);
                        }
                    } else {
                        ffi::lua_rawseti(state, -2, i + 1);
                    }
                }
                if set {
                    wrap(state, b"set");
                }
            }
            b'%' => {
                let len = int(line(buf, pos));
                ffi::lua_createtable(state, 0, 0);
                for _ in 0..len.max(0) {
                    if !parse(state, buf, pos) {
                        ffi::lua_pushnil(state);
                    }
                    if !parse(state, buf, pos) {
                        ffi::lua_pushnil(state);
                    }
                    if ffi::lua_type(state, -2) == ffi::LUA_TNIL {
                        ffi::lua_settop(state, -3);
                    } else {
                        ffi::lua_rawset(state, -3);
                    }
                }
                wrap(state, b"map");
            }
            b'|' => {
                // Attributes are not shown to scripts: skip them, then
                // the value they annotate.
                let len = int(line(buf, pos));
                for _ in 0..len.max(0) * 2 {
                    skip(buf, pos);
                }
                return parse(state, buf, pos);
            }
            b'_' => {
                line(buf, pos);
                ffi::lua_pushnil(state);
            }
            b'#' => ffi::lua_pushboolean(state, i32::from(line(buf, pos) == b"t")),
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
                ffi::lua_pushnumber(state, d);
                wrap(state, b"double");
            }
            b'(' => {
                push_bytes(state, line(buf, pos));
                wrap(state, b"big_number");
            }
            b'=' => {
                let len = int(line(buf, pos));
                let data = blob(buf, pos, len);
                let (format, text) = if data.len() >= 4 {
                    (&data[..3], &data[4..])
                } else {
                    (&b"txt"[..], data)
                };
                ffi::lua_createtable(state, 0, 2);
                push_bytes(state, text);
                set_field(state, b"string");
                push_bytes(state, format);
                set_field(state, b"format");
                wrap(state, b"verbatim_string");
            }
            _ => {
                line(buf, pos);
                ffi::lua_pushnil(state);
            }
        }
    }
    true
}

/// Step over one value without pushing it.
fn skip(buf: &[u8], pos: &mut usize) {
    let Some(&kind) = buf.get(*pos) else {
        return;
    };
    *pos += 1;
    match kind {
        b'$' | b'!' | b'=' => {
            let len = int(line(buf, pos));
            if len >= 0 {
                blob(buf, pos, len);
            }
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let len = int(line(buf, pos)).max(0);
            let items = if matches!(kind, b'%' | b'|') {
                len * 2
            } else {
                len
            };
            for _ in 0..items {
                if *pos >= buf.len() {
                    break;
                }
                skip(buf, pos);
            }
            if kind == b'|' {
                skip(buf, pos);
            }
        }
        _ => {
            line(buf, pos);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `reply` pushed into a fresh interpreter and read back by Lua code
    /// that renders it as text.
    fn render(reply: &[u8]) -> String {
        let lua = mlua::Lua::new();
        let show = lua
            .load(
                r#"
                local function show(v)
                  if type(v) ~= 'table' then return type(v) .. ':' .. tostring(v) end
                  local keys = {}
                  for k in pairs(v) do keys[#keys + 1] = k end
                  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
                  local out = {}
                  for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. '=' .. show(v[k]) end
                  return '{' .. table.concat(out, ',') .. '}'
                end
                return show
                "#,
            )
            .eval::<mlua::Function>()
            .unwrap();
        // SAFETY: push_reply needs one free slot, which exec_raw gives.
        let value: Value = unsafe { lua.exec_raw((), |state| push_reply(state, reply)).unwrap() };
        show.call::<String>(value).unwrap()
    }

    #[test]
    fn replies_become_the_lua_values_redis_gives_scripts() {
        assert_eq!(render(b":42\r\n"), "number:42");
        assert_eq!(render(b"$3\r\nabc\r\n"), "string:abc");
        assert_eq!(render(b"$-1\r\n"), "boolean:false");
        assert_eq!(render(b"*-1\r\n"), "boolean:false");
        assert_eq!(render(b"+OK\r\n"), "{ok=string:OK}");
        assert_eq!(
            render(b"-WRONGTYPE Operation against a key\r\n"),
            "{err=string:WRONGTYPE Operation against a key,ignore_error_stats_update=boolean:true}"
        );
        assert_eq!(
            render(b"-nospace\r\n"),
            "{err=string:ERR nospace,ignore_error_stats_update=boolean:true}"
        );
        assert_eq!(
            render(b"*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n"),
            "{1=number:1,2=string:a,3={1={ok=string:x}}}"
        );
        assert_eq!(render(b"%1\r\n$1\r\nk\r\n:2\r\n"), "{map={k=number:2}}");
        assert_eq!(
            render(b"~2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            "{set={a=boolean:true,b=boolean:true}}"
        );
        assert_eq!(render(b"_\r\n"), "nil:nil");
        assert_eq!(render(b"#t\r\n"), "boolean:true");
        assert_eq!(render(b",1.5\r\n"), "{double=number:1.5}");
        assert_eq!(render(b"(123\r\n"), "{big_number=string:123}");
        assert_eq!(
            render(b"=7\r\ntxt:abc\r\n"),
            "{verbatim_string={format=string:txt,string=string:abc}}"
        );
        // Attributes are dropped, the value they annotate is kept.
        assert_eq!(render(b"|1\r\n+a\r\n*1\r\n:1\r\n:7\r\n"), "number:7");
        assert_eq!(render(b""), "nil:nil");
    }

    #[test]
    fn error_text_splits_into_code_and_message() {
        assert_eq!(
            super::super::error_parts(b"OOM command not allowed\r\n"),
            (&b"OOM"[..], &b"command not allowed"[..])
        );
        assert_eq!(
            super::super::error_parts(b"plain"),
            (&b"ERR"[..], &b"plain"[..])
        );
        assert_eq!(super::super::error_parts(b"X \r\n"), (&b"X"[..], &b""[..]));
    }
}
