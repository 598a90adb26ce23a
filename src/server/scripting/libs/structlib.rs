//! `struct`: Roberto Ierusalimschy's library for packing numbers and
//! strings into binary strings, as Redis loads it (struct.pack,
//! struct.unpack, struct.size). A format is a sequence of options:
//! `>` `<` byte order, `!n` maximum alignment, `x` a zero byte, `b`/`B`
//! char, `h`/`H` short, `l`/`L` long, `T` size_t, `i`/`I`n integers of n
//! bytes (default 4), `f` float, `d` double, `cn` n characters (`c0`: the
//! whole string, or on unpack the length read just before), `s` a
//! zero-terminated string. Lower case is signed. Sizes and alignment are
//! those of the x86-64 C ABI Redis is built for.

use mlua::{Lua, MultiValue, Table, Value};

/// Largest integer option, in bytes.
const MAX_INT_SIZE: usize = 32;
/// The default `!` alignment: the C ABI's for a double.
const MAX_ALIGN: usize = 8;

#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Big,
    Little,
}

struct Header {
    endian: Endian,
    align: usize,
}

impl Header {
    fn new() -> Header {
        Header {
            endian: Endian::Little,
            align: 1,
        }
    }
}

fn raise(msg: String) -> mlua::Error {
    mlua::Error::RuntimeError(msg)
}

fn arg_error(n: usize, func: &str, msg: &str) -> mlua::Error {
    raise(format!("bad argument #{n} to '{func}' ({msg})"))
}

/// A format and the position reached in it.
struct Format<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Format<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// The number after an option, or `default`.
    fn number(&mut self, default: usize) -> mlua::Result<usize> {
        if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: usize = 0;
        while let Some(d) = self.bytes.get(self.pos).filter(|b| b.is_ascii_digit()) {
            let digit = usize::from(d - b'0');
            if a > (i32::MAX as usize - digit) / 10 {
                return Err(raise("integral size overflow".to_owned()));
            }
            a = a * 10 + digit;
            self.pos += 1;
        }
        Ok(a)
    }

    /// The size of option `opt` (0 for options without one).
    fn size(&mut self, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size > MAX_INT_SIZE {
                    return Err(raise(format!(
                        "integral size {size} is larger than limit of {MAX_INT_SIZE}"
                    )));
                }
                size
            }
            _ => 0,
        })
    }

    /// `>`, `<`, `!n` and blanks; anything else is an invalid option.
    fn control(&mut self, opt: u8, h: &mut Header, func: &str) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => h.endian = Endian::Big,
            b'<' => h.endian = Endian::Little,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(raise(format!("alignment {a} is not a power of 2")));
                }
                h.align = a;
            }
            _ => {
                return Err(arg_error(
                    1,
                    func,
                    &format!("invalid format option '{}'", opt as char),
                ));
            }
        }
        Ok(())
    }
}

/// Padding before an item of `size` at offset `len`.
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size - (len & (size - 1))) & (size - 1)
}

fn is_integer_option(opt: u8) -> bool {
    matches!(
        opt,
        b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I'
    )
}

fn number_arg(args: &MultiValue, i: usize, func: &str) -> mlua::Result<f64> {
    match args.get(i) {
        Some(Value::Number(n)) => Ok(*n),
        Some(Value::Integer(n)) => Ok(*n as f64),
        Some(Value::String(s)) => std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .ok_or_else(|| arg_error(i + 1, func, "number expected, got string")),
        other => Err(arg_error(
            i + 1,
            func,
            &format!("number expected, got {}", type_name(other)),
        )),
    }
}

fn string_arg(args: &MultiValue, i: usize, func: &str) -> mlua::Result<Vec<u8>> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Number(n)) => Ok(super::cjson::format_g(*n, 14).into_bytes()),
        Some(Value::Integer(n)) => Ok(n.to_string().into_bytes()),
        other => Err(arg_error(
            i + 1,
            func,
            &format!("string expected, got {}", type_name(other)),
        )),
    }
}

fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(v) => v.type_name(),
    }
}

fn put_integer(out: &mut Vec<u8>, n: f64, endian: Endian, size: usize) {
    let mut value: u64 = if n < 0.0 { n as i64 as u64 } else { n as u64 };
    let mut bytes = [0u8; MAX_INT_SIZE];
    for b in bytes.iter_mut().take(size) {
        *b = (value & 0xff) as u8;
        value = value.checked_shr(8).unwrap_or(0);
    }
    let bytes = &mut bytes[..size];
    if endian == Endian::Big {
        bytes.reverse();
    }
    out.extend_from_slice(bytes);
}

fn get_integer(data: &[u8], endian: Endian, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: u8| l = (l << 8) | u64::from(b);
    match endian {
        Endian::Big => data.iter().copied().for_each(&mut push),
        Endian::Little => data.iter().rev().copied().for_each(&mut push),
    }
    if !signed {
        return l as f64;
    }
    let bits = data.len() * 8;
    if bits == 0 || bits > 64 {
        return l as i64 as f64;
    }
    let mask = u64::MAX << (bits - 1);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn ordered<const N: usize>(mut bytes: [u8; N], endian: Endian) -> [u8; N] {
    if endian == Endian::Big {
        bytes.reverse();
    }
    bytes
}

fn pack(lua: &Lua, mut args: MultiValue) -> mlua::Result<mlua::LuaString> {
    // The C library pushes a nil after the arguments: a missing one reads
    // as nil in its errors.
    args.push_back(Value::Nil);
    let fmt = string_arg(&args, 0, "pack")?;
    let mut f = Format {
        bytes: &fmt,
        pos: 0,
    };
    let mut h = Header::new();
    let mut arg = 1;
    let mut out = Vec::new();
    while let Some(opt) = f.next() {
        let mut size = f.size(opt)?;
        let pad = to_align(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            o if is_integer_option(o) => {
                put_integer(&mut out, number_arg(&args, arg, "pack")?, h.endian, size);
                arg += 1;
            }
            b'x' => out.push(0),
            b'f' => {
                let v = number_arg(&args, arg, "pack")? as f32;
                out.extend_from_slice(&ordered(v.to_le_bytes(), h.endian));
                arg += 1;
            }
            b'd' => {
                let v = number_arg(&args, arg, "pack")?;
                out.extend_from_slice(&ordered(v.to_le_bytes(), h.endian));
                arg += 1;
            }
            b'c' | b's' => {
                let s = string_arg(&args, arg, "pack")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(arg_error(arg + 1, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(opt, &mut h, "pack")?,
        }
    }
    lua.create_string(&out)
}

fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let fmt = string_arg(&args, 0, "unpack")?;
    let data = string_arg(&args, 1, "unpack")?;
    let start = match args.get(2) {
        None | Some(Value::Nil) => 1.0,
        Some(_) => number_arg(&args, 2, "unpack")?.trunc(),
    };
    if start < 1.0 {
        return Err(arg_error(3, "unpack", "offset must be 1 or greater"));
    }
    let mut pos = start as usize - 1;
    let mut f = Format {
        bytes: &fmt,
        pos: 0,
    };
    let mut h = Header::new();
    let mut out: Vec<Value> = Vec::new();
    let too_short = || arg_error(2, "unpack", "data string too short");
    while let Some(opt) = f.next() {
        let mut size = f.size(opt)?;
        pos += to_align(pos, &h, opt, size);
        if size > data.len() || pos > data.len() - size {
            return Err(too_short());
        }
        match opt {
            o if is_integer_option(o) => {
                let signed = o.is_ascii_lowercase();
                out.push(Value::Number(get_integer(
                    &data[pos..pos + size],
                    h.endian,
                    signed,
                )));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let v = f32::from_le_bytes(ordered(b, h.endian));
                out.push(Value::Number(f64::from(v)));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                out.push(Value::Number(f64::from_le_bytes(ordered(b, h.endian))));
            }
            b'c' => {
                if size == 0 {
                    let previous = match out.last() {
                        Some(Value::Number(n)) => *n,
                        Some(Value::Integer(n)) => *n as f64,
                        _ => {
                            return Err(raise("format 'c0' needs a previous size".to_owned()));
                        }
                    };
                    out.pop();
                    size = previous.max(0.0) as usize;
                    if size > data.len() || pos > data.len() - size {
                        return Err(too_short());
                    }
                }
                out.push(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(end) = memchr::memchr(0, &data[pos..]) else {
                    return Err(raise("unfinished string in data".to_owned()));
                };
                out.push(Value::String(lua.create_string(&data[pos..pos + end])?));
                size = end + 1;
            }
            _ => f.control(opt, &mut h, "unpack")?,
        }
        pos += size;
    }
    out.push(Value::Integer((pos + 1) as i64));
    Ok(MultiValue::from_iter(out))
}

fn size(_lua: &Lua, args: MultiValue) -> mlua::Result<i64> {
    let fmt = string_arg(&args, 0, "size")?;
    let mut f = Format {
        bytes: &fmt,
        pos: 0,
    };
    let mut h = Header::new();
    let mut pos = 0usize;
    while let Some(opt) = f.next() {
        let size = f.size(opt)?;
        pos += to_align(pos, &h, opt, size);
        if opt == b's' {
            return Err(arg_error(1, "size", "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(arg_error(1, "size", "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            f.control(opt, &mut h, "size")?;
        }
        pos += size;
    }
    Ok(pos as i64)
}

/// The `struct` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("pack", lua.create_function(pack)?)?;
    t.raw_set("unpack", lua.create_function(unpack)?)?;
    t.raw_set("size", lua.create_function(size)?)?;
    Ok(t)
}
