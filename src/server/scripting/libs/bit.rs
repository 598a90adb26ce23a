//! `bit`: 32-bit operations on Lua numbers, as LuaBitOp 1.0 defines them
//! (arguments are reduced modulo 2^32 to a signed 32-bit integer; results
//! are signed).

use mlua::{Lua, MultiValue, Table, Value};

/// A Lua number reduced to 32 bits the way LuaBitOp does it: rounded to
/// the nearest integer, then taken modulo 2^32.
pub fn tobit(n: f64) -> i32 {
    let shifted = n + 6_755_399_441_055_744.0; // 2^52 + 2^51
    shifted.to_bits() as u32 as i32
}

fn arg(args: &MultiValue, i: usize, name: &str) -> mlua::Result<i32> {
    match args.get(i) {
        Some(Value::Number(n)) => Ok(tobit(*n)),
        Some(Value::Integer(n)) => Ok(tobit(*n as f64)),
        Some(Value::String(s)) => std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .map(tobit)
            .ok_or_else(|| bad(i, name)),
        _ => Err(bad(i, name)),
    }
}

fn bad(i: usize, name: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!(
        "bad argument #{} to '{name}' (number expected, got no value)",
        i + 1
    ))
}

fn fold(lua: &Lua, t: &Table, name: &'static str, op: fn(i32, i32) -> i32) -> mlua::Result<()> {
    t.raw_set(
        name,
        lua.create_function(move |_, args: MultiValue| {
            let mut acc = arg(&args, 0, name)?;
            for i in 1..args.len() {
                acc = op(acc, arg(&args, i, name)?);
            }
            Ok(acc as f64)
        })?,
    )
}

fn shift(lua: &Lua, t: &Table, name: &'static str, op: fn(i32, u32) -> i32) -> mlua::Result<()> {
    t.raw_set(
        name,
        lua.create_function(move |_, args: MultiValue| {
            let x = arg(&args, 0, name)?;
            let n = (arg(&args, 1, name)? & 31) as u32;
            Ok(op(x, n) as f64)
        })?,
    )
}

/// The `bit` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "tobit",
        lua.create_function(|_, args: MultiValue| Ok(arg(&args, 0, "tobit")? as f64))?,
    )?;
    t.raw_set(
        "bnot",
        lua.create_function(|_, args: MultiValue| Ok(!arg(&args, 0, "bnot")? as f64))?,
    )?;
    t.raw_set(
        "bswap",
        lua.create_function(|_, args: MultiValue| Ok(arg(&args, 0, "bswap")?.swap_bytes() as f64))?,
    )?;
    t.raw_set(
        "tohex",
        lua.create_function(|_, args: MultiValue| {
            let x = arg(&args, 0, "tohex")? as u32;
            let n = if args.len() > 1 {
                arg(&args, 1, "tohex")?
            } else {
                8
            };
            let upper = n < 0;
            let digits = (n.unsigned_abs() as usize).min(8);
            let text = if upper {
                format!("{x:08X}")
            } else {
                format!("{x:08x}")
            };
            Ok(text[8 - digits..].to_owned())
        })?,
    )?;
    fold(lua, &t, "band", |a, b| a & b)?;
    fold(lua, &t, "bor", |a, b| a | b)?;
    fold(lua, &t, "bxor", |a, b| a ^ b)?;
    shift(lua, &t, "lshift", |x, n| ((x as u32) << n) as i32)?;
    shift(lua, &t, "rshift", |x, n| ((x as u32) >> n) as i32)?;
    shift(lua, &t, "arshift", |x, n| x >> n)?;
    shift(lua, &t, "rol", |x, n| (x as u32).rotate_left(n) as i32)?;
    shift(lua, &t, "ror", |x, n| (x as u32).rotate_right(n) as i32)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tobit_wraps_like_luabitop() {
        assert_eq!(tobit(0xffff_ffffu32 as f64), -1);
        assert_eq!(tobit(4_294_967_296.0 + 5.0), 5);
        assert_eq!(tobit(-1.0), -1);
        assert_eq!(tobit(2.5), 2);
    }
}
