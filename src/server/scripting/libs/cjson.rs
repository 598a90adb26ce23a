//! `cjson`: JSON encoding and decoding as lua-cjson 2.1.0 (the version
//! Redis embeds) does it: numbers as `%.14g`, `/` escaped, tables with
//! only positive integer keys as arrays (an excessively sparse one is an
//! error), an empty table as `{}`, `cjson.null` (a NULL light userdata)
//! for JSON null, nesting limits, and the configuration functions.

use std::cell::Cell;
use std::rc::Rc;

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

struct Config {
    encode_max_depth: Cell<i64>,
    decode_max_depth: Cell<i64>,
    /// 0: error, 1: `nan`/`inf`, 2: `null`.
    encode_invalid_numbers: Cell<u8>,
    decode_invalid_numbers: Cell<bool>,
    precision: Cell<i64>,
    sparse_convert: Cell<bool>,
    sparse_ratio: Cell<i64>,
    sparse_safe: Cell<i64>,
    keep_buffer: Cell<bool>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            encode_max_depth: Cell::new(1000),
            decode_max_depth: Cell::new(1000),
            encode_invalid_numbers: Cell::new(0),
            decode_invalid_numbers: Cell::new(true),
            precision: Cell::new(14),
            sparse_convert: Cell::new(false),
            sparse_ratio: Cell::new(2),
            sparse_safe: Cell::new(10),
            keep_buffer: Cell::new(true),
        }
    }
}

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn err(msg: String) -> mlua::Error {
    mlua::Error::RuntimeError(msg)
}

/// `%.<precision>g` through the C library, as lua-cjson formats numbers.
pub fn format_g(n: f64, precision: i64) -> String {
    let mut out = [0u8; 64];
    let fmt = c"%.*g";
    // SAFETY: out has 64 bytes and snprintf writes at most that many;
    // precision is at most 14 (checked by encode_number_precision).
    let len = unsafe {
        libc::snprintf(
            out.as_mut_ptr().cast(),
            out.len(),
            fmt.as_ptr(),
            precision as libc::c_int,
            n,
        )
    };
    let len = (len.max(0) as usize).min(out.len() - 1);
    String::from_utf8_lossy(&out[..len]).into_owned()
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(n) => Some(*n as f64),
        _ => None,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) | Value::UserData(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

fn escape(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..0x20 | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn encode_number(cfg: &Config, out: &mut Vec<u8>, n: f64) -> mlua::Result<()> {
    if !n.is_finite() {
        match cfg.encode_invalid_numbers.get() {
            0 => {
                return Err(err(
                    "Cannot serialise number: must not be NaN or Inf".to_owned()
                ));
            }
            1 => {
                let text: &[u8] = if n.is_nan() {
                    b"nan"
                } else if n > 0.0 {
                    b"inf"
                } else {
                    b"-inf"
                };
                out.extend_from_slice(text);
                return Ok(());
            }
            _ => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    out.extend_from_slice(format_g(n, cfg.precision.get()).as_bytes());
    Ok(())
}

/// The array length of `t` when every key is a positive integer; `None`
/// for an object.
fn array_length(cfg: &Config, t: &Table) -> mlua::Result<Option<usize>> {
    let (mut max, mut items) = (0f64, 0f64);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        match number_of(&k) {
            Some(n) if n.floor() == n && n >= 1.0 => {
                max = max.max(n);
                items += 1.0;
            }
            _ => return Ok(None),
        }
    }
    let ratio = cfg.sparse_ratio.get() as f64;
    if ratio > 0.0 && max > items * ratio && max > cfg.sparse_safe.get() as f64 {
        if !cfg.sparse_convert.get() {
            return Err(err(
                "Cannot serialise table: excessively sparse array".to_owned()
            ));
        }
        return Ok(None);
    }
    Ok(Some(max as usize))
}

fn encode_value(cfg: &Config, out: &mut Vec<u8>, v: &Value, depth: i64) -> mlua::Result<()> {
    match v {
        Value::String(s) => escape(out, &s.as_bytes()),
        Value::Integer(_) | Value::Number(_) => {
            encode_number(cfg, out, number_of(v).unwrap_or_default())?
        }
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > cfg.encode_max_depth.get() {
                return Err(err(format!(
                    "Cannot serialise, excessive nesting ({depth})"
                )));
            }
            match array_length(cfg, t)? {
                Some(len) if len > 0 => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: Value = t.raw_get(i)?;
                        encode_value(cfg, out, &item, depth)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.pairs::<Value, Value>() {
                        let (k, item) = pair?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => escape(out, &s.as_bytes()),
                            Value::Integer(_) | Value::Number(_) => {
                                out.push(b'"');
                                encode_number(cfg, out, number_of(&k).unwrap_or_default())?;
                                out.push(b'"');
                            }
                            _ => {
                                return Err(err(
                                    "Cannot serialise table: table key must be a number or string"
                                        .to_owned(),
                                ));
                            }
                        }
                        out.push(b':');
                        encode_value(cfg, out, &item, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            return Err(err(format!(
                "Cannot serialise {}: type not supported",
                type_name(other)
            )));
        }
    }
    Ok(())
}

struct Decoder<'a> {
    lua: &'a Lua,
    cfg: &'a Config,
    s: &'a [u8],
    pos: usize,
    depth: i64,
}

impl Decoder<'_> {
    fn fail(&self, expected: &str) -> mlua::Error {
        let rest = &self.s[self.pos.min(self.s.len())..];
        let found = match rest.first() {
            None => "T_END",
            Some(b'{') => "T_OBJ_BEGIN",
            Some(b'}') => "T_OBJ_END",
            Some(b'[') => "T_ARR_BEGIN",
            Some(b']') => "T_ARR_END",
            Some(b',') => "T_COMMA",
            Some(b':') => "T_COLON",
            Some(b'"') => "T_STRING",
            Some(b'-' | b'0'..=b'9') => "T_NUMBER",
            _ if rest.starts_with(b"true") || rest.starts_with(b"false") => "T_BOOLEAN",
            _ if rest.starts_with(b"null") => "T_NULL",
            _ => "invalid token",
        };
        err(format!(
            "Expected {expected} but found {found} at character {}",
            self.pos + 1
        ))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn nest(&mut self) -> mlua::Result<()> {
        self.depth += 1;
        if self.depth > self.cfg.decode_max_depth.get() {
            return Err(err(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth,
                self.pos + 1
            )));
        }
        Ok(())
    }

    fn value(&mut self) -> mlua::Result<Value> {
        self.skip_ws();
        let Some(&b) = self.s.get(self.pos) else {
            return Err(self.fail("value"));
        };
        match b {
            b'{' => {
                self.nest()?;
                self.pos += 1;
                let t = self.lua.create_table()?;
                self.skip_ws();
                if self.s.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Table(t));
                }
                loop {
                    self.skip_ws();
                    if self.s.get(self.pos) != Some(&b'"') {
                        return Err(self.fail("object key string"));
                    }
                    let key = self.string()?;
                    self.skip_ws();
                    if self.s.get(self.pos) != Some(&b':') {
                        return Err(self.fail("colon"));
                    }
                    self.pos += 1;
                    let v = self.value()?;
                    t.raw_set(key, v)?;
                    self.skip_ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(self.fail("comma or object end")),
                    }
                }
                self.depth -= 1;
                Ok(Value::Table(t))
            }
            b'[' => {
                self.nest()?;
                self.pos += 1;
                let t = self.lua.create_table()?;
                self.skip_ws();
                if self.s.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Value::Table(t));
                }
                let mut i = 1;
                loop {
                    let v = self.value()?;
                    t.raw_set(i, v)?;
                    i += 1;
                    self.skip_ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(self.fail("comma or array end")),
                    }
                }
                self.depth -= 1;
                Ok(Value::Table(t))
            }
            b'"' => Ok(Value::String(self.string()?)),
            b't' if self.s[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Ok(Value::Boolean(true))
            }
            b'f' if self.s[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Ok(Value::Boolean(false))
            }
            b'n' if self.s[self.pos..].starts_with(b"null") => {
                self.pos += 4;
                Ok(null())
            }
            _ => self.number(),
        }
    }

    fn number(&mut self) -> mlua::Result<Value> {
        let start = self.pos;
        let rest = &self.s[start..];
        let lower: Vec<u8> = rest.iter().take(4).map(u8::to_ascii_lowercase).collect();
        if self.cfg.decode_invalid_numbers.get() {
            for (word, v) in [
                (&b"nan"[..], f64::NAN),
                (b"inf", f64::INFINITY),
                (b"-inf", f64::NEG_INFINITY),
            ] {
                if lower.starts_with(word) {
                    self.pos += word.len();
                    return Ok(Value::Number(v));
                }
            }
        }
        let mut end = 0;
        while let Some(&c) = rest.get(end) {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                end += 1;
            } else {
                break;
            }
        }
        let text = std::str::from_utf8(&rest[..end]).unwrap_or("");
        match text.parse::<f64>() {
            Ok(n) if !text.is_empty() && !text.starts_with('+') => {
                self.pos += end;
                Ok(Value::Number(n))
            }
            _ => Err(self.fail("value")),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.pos..self.pos + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
        self.pos += 4;
        Some(v)
    }

    fn string(&mut self) -> mlua::Result<mlua::LuaString> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.pos) else {
                self.pos = start;
                return Err(self.fail("value"));
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.pos) else {
                        self.pos = start;
                        return Err(self.fail("value"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let Some(mut cp) = self.hex4() else {
                                self.pos = start;
                                return Err(self.fail("value"));
                            };
                            if (0xd800..0xdc00).contains(&cp)
                                && self.s.get(self.pos..self.pos + 2) == Some(b"\\u")
                            {
                                self.pos += 2;
                                match self.hex4() {
                                    Some(low) if (0xdc00..0xe000).contains(&low) => {
                                        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                                    }
                                    _ => {
                                        self.pos = start;
                                        return Err(self.fail("value"));
                                    }
                                }
                            }
                            let c = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            self.pos = start;
                            return Err(self.fail("value"));
                        }
                    }
                }
                _ => out.push(b),
            }
        }
        self.lua.create_string(&out)
    }
}

fn decode(lua: &Lua, cfg: &Config, s: &[u8]) -> mlua::Result<Value> {
    let mut d = Decoder {
        lua,
        cfg,
        s,
        pos: 0,
        depth: 0,
    };
    let v = d.value()?;
    d.skip_ws();
    if d.pos < s.len() {
        return Err(d.fail("the end"));
    }
    Ok(v)
}

fn int_arg(args: &MultiValue, name: &str, min: i64, max: i64) -> mlua::Result<Option<i64>> {
    match args.front() {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => match number_of(v) {
            Some(n) if n >= min as f64 && n <= max as f64 => Ok(Some(n as i64)),
            _ => Err(err(format!(
                "bad argument #1 to '{name}' (expected integer between {min} and {max})"
            ))),
        },
    }
}

fn bool_arg(args: &MultiValue, name: &str) -> mlua::Result<Option<bool>> {
    match args.front() {
        None | Some(Value::Nil) => Ok(None),
        Some(Value::Boolean(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.as_bytes() == b"on" => Ok(Some(true)),
        Some(Value::String(s)) if s.as_bytes() == b"off" => Ok(Some(false)),
        _ => Err(err(format!("bad argument #1 to '{name}' (invalid option)"))),
    }
}

/// The `cjson` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let cfg = Rc::new(Config::default());
    let t = lua.create_table()?;
    let c = cfg.clone();
    t.raw_set(
        "encode",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(err(
                    "bad argument #1 to 'encode' (expected 1 argument)".to_owned()
                ));
            }
            let mut out = Vec::new();
            encode_value(&c, &mut out, &args[0], 0)?;
            lua.create_string(&out)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "decode",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(err(
                    "bad argument #1 to 'decode' (expected 1 argument)".to_owned()
                ));
            }
            match &args[0] {
                Value::String(s) => decode(lua, &c, &s.as_bytes()),
                Value::Integer(_) | Value::Number(_) => Ok(args[0].clone()),
                _ => Err(err(
                    "bad argument #1 to 'decode' (string expected)".to_owned()
                )),
            }
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_max_depth",
        lua.create_function(move |_, args: MultiValue| {
            if let Some(n) = int_arg(&args, "encode_max_depth", 1, i32::MAX as i64)? {
                c.encode_max_depth.set(n);
            }
            Ok(c.encode_max_depth.get())
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "decode_max_depth",
        lua.create_function(move |_, args: MultiValue| {
            if let Some(n) = int_arg(&args, "decode_max_depth", 1, i32::MAX as i64)? {
                c.decode_max_depth.set(n);
            }
            Ok(c.decode_max_depth.get())
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_number_precision",
        lua.create_function(move |_, args: MultiValue| {
            if let Some(n) = int_arg(&args, "encode_number_precision", 1, 14)? {
                c.precision.set(n);
            }
            Ok(c.precision.get())
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_keep_buffer",
        lua.create_function(move |_, args: MultiValue| {
            if let Some(b) = bool_arg(&args, "encode_keep_buffer")? {
                c.keep_buffer.set(b);
            }
            Ok(c.keep_buffer.get())
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_invalid_numbers",
        lua.create_function(move |lua, args: MultiValue| {
            match args.front() {
                None | Some(Value::Nil) => {}
                Some(Value::String(s)) if s.as_bytes() == b"null" => {
                    c.encode_invalid_numbers.set(2)
                }
                _ => {
                    let b = bool_arg(&args, "encode_invalid_numbers")?.unwrap_or(false);
                    c.encode_invalid_numbers.set(u8::from(b));
                }
            }
            Ok(match c.encode_invalid_numbers.get() {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                _ => Value::String(lua.create_string("null")?),
            })
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "decode_invalid_numbers",
        lua.create_function(move |_, args: MultiValue| {
            if let Some(b) = bool_arg(&args, "decode_invalid_numbers")? {
                c.decode_invalid_numbers.set(b);
            }
            Ok(c.decode_invalid_numbers.get())
        })?,
    )?;
    let c = cfg;
    t.raw_set(
        "encode_sparse_array",
        lua.create_function(move |_, args: MultiValue| {
            if let Some(b) = bool_arg(&args, "encode_sparse_array")? {
                c.sparse_convert.set(b);
            }
            if let Some(v) = args.get(1).and_then(number_of) {
                c.sparse_ratio.set(v as i64);
            }
            if let Some(v) = args.get(2).and_then(number_of) {
                c.sparse_safe.set(v as i64);
            }
            Ok((
                c.sparse_convert.get(),
                c.sparse_ratio.get(),
                c.sparse_safe.get(),
            ))
        })?,
    )?;
    t.raw_set("null", null())?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok(t)
}
