//! Option values: the few shapes a socket option takes (flag, integer, size,
//! duration, linger pair, algorithm name), parsed from `--set` text and
//! rendered for tables and JSON. JSON keeps numbers as numbers and flags as
//! booleans so that scripts compare them without string handling.

use std::fmt;

use serde::{Serialize, Serializer};

/// What kind of value an option holds, which decides how `--set` text is
/// parsed and how the value is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// An int used as on/off.
    Bool,
    /// A plain integer (hop counts, TTL, TOS, counts).
    Int,
    /// A size in bytes.
    Bytes,
    /// A duration in whole seconds.
    Seconds,
    /// A duration in milliseconds.
    Milliseconds,
    /// `struct linger`: on/off and seconds.
    Linger,
    /// A short name (the congestion control algorithm).
    Text,
}

impl ValueType {
    /// What `--set` accepts, for error messages and help.
    pub fn expected(self) -> &'static str {
        match self {
            ValueType::Bool => "a flag: 1, 0, on, off, true or false",
            ValueType::Int => "an integer",
            ValueType::Bytes => "a size in bytes such as 65536, 64k or 4m",
            ValueType::Seconds => "a number of seconds",
            ValueType::Milliseconds => "a number of milliseconds",
            ValueType::Linger => "off, SECONDS (on with that timeout) or ONOFF,SECONDS such as 1,0",
            ValueType::Text => "a name of at most 15 ASCII characters",
        }
    }

    /// The unit the number is in, when it has one.
    pub fn unit(self) -> Option<&'static str> {
        match self {
            ValueType::Bytes => Some("bytes"),
            ValueType::Seconds => Some("seconds"),
            ValueType::Milliseconds => Some("milliseconds"),
            _ => None,
        }
    }

    /// Parse `--set` text into a value of this type.
    pub fn parse(self, text: &str) -> Result<Value, ValueError> {
        let bad = || ValueError {
            expected: self.expected(),
            got: text.to_owned(),
        };
        let t = text.trim();
        match self {
            ValueType::Bool => match t.to_ascii_lowercase().as_str() {
                "1" | "on" | "true" | "yes" => Ok(Value::Bool(true)),
                "0" | "off" | "false" | "no" => Ok(Value::Bool(false)),
                _ => Err(bad()),
            },
            ValueType::Int | ValueType::Seconds | ValueType::Milliseconds => t
                .parse::<i32>()
                .map(|n| Value::Int(n.into()))
                .map_err(|_| bad()),
            ValueType::Bytes => parse_size(t).map(Value::Int).ok_or_else(bad),
            ValueType::Linger => parse_linger(t).ok_or_else(bad),
            ValueType::Text => {
                if !t.is_empty() && t.len() <= 15 && t.bytes().all(|b| b.is_ascii_graphic()) {
                    Ok(Value::Text(t.to_owned()))
                } else {
                    Err(bad())
                }
            }
        }
    }
}

/// `--set` text that does not fit the option's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, got {got:?}")]
pub struct ValueError {
    pub expected: &'static str,
    pub got: String,
}

/// A value read from or written to a socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Linger { on: bool, seconds: i64 },
    Text(String),
}

impl Value {
    /// The integer, for numeric values.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// The value for a table cell, with the unit of `ty`.
    pub fn show(&self, ty: ValueType) -> String {
        match (self, ty) {
            (Value::Int(n), ValueType::Seconds) => format!("{n} s"),
            (Value::Int(n), ValueType::Milliseconds) => format!("{n} ms"),
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(true) => f.write_str("on"),
            Value::Bool(false) => f.write_str("off"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Linger { on: false, seconds } => write!(f, "off ({{0,{seconds}}})"),
            Value::Linger { on: true, seconds } => write!(f, "on, {seconds} s ({{1,{seconds}}})"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Linger {
            on: bool,
            seconds: i64,
        }
        match self {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(n) => s.serialize_i64(*n),
            Value::Linger { on, seconds } => Linger {
                on: *on,
                seconds: *seconds,
            }
            .serialize(s),
            Value::Text(t) => s.serialize_str(t),
        }
    }
}

/// `65536`, `64k`, `4m`, `1g`, `64KiB`: binary multiples, result within a
/// C int (what setsockopt takes). Negative sizes are refused.
fn parse_size(text: &str) -> Option<i64> {
    let lower = text.to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, suffix) = lower.split_at(digits_end);
    let n: i64 = digits.parse().ok()?;
    let scale: i64 = match suffix {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    let bytes = n.checked_mul(scale)?;
    (bytes <= i64::from(i32::MAX)).then_some(bytes)
}

/// `off`, `SECONDS`, or `ONOFF,SECONDS` (the C struct spelled out).
fn parse_linger(text: &str) -> Option<Value> {
    if text.eq_ignore_ascii_case("off") {
        return Some(Value::Linger {
            on: false,
            seconds: 0,
        });
    }
    let seconds = |s: &str| s.trim().parse::<u16>().ok().map(i64::from);
    match text.split_once(',') {
        Some((onoff, secs)) => {
            let on = match onoff.trim() {
                "1" => true,
                "0" => false,
                _ => return None,
            };
            Some(Value::Linger {
                on,
                seconds: seconds(secs)?,
            })
        }
        None => Some(Value::Linger {
            on: true,
            seconds: seconds(text)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes_and_stay_within_an_int() {
        let p = |t| ValueType::Bytes.parse(t);
        assert_eq!(p("65536"), Ok(Value::Int(65536)));
        assert_eq!(p("64k"), Ok(Value::Int(65536)));
        assert_eq!(p("4M"), Ok(Value::Int(4 << 20)));
        assert_eq!(p("1GiB"), Ok(Value::Int(1 << 30)));
        assert!(p("2g").is_err(), "2 GiB does not fit a C int");
        assert!(p("-1").is_err());
        assert!(p("12x").is_err());
        assert!(p("").is_err());
    }

    #[test]
    fn flags_integers_linger_and_names() {
        assert_eq!(ValueType::Bool.parse("On"), Ok(Value::Bool(true)));
        assert_eq!(ValueType::Bool.parse("0"), Ok(Value::Bool(false)));
        assert!(ValueType::Bool.parse("2").is_err());
        assert_eq!(ValueType::Int.parse("-1"), Ok(Value::Int(-1)));
        assert!(ValueType::Int.parse("99999999999").is_err());
        assert_eq!(
            ValueType::Linger.parse("1,0"),
            Ok(Value::Linger {
                on: true,
                seconds: 0
            })
        );
        assert_eq!(
            ValueType::Linger.parse("5"),
            Ok(Value::Linger {
                on: true,
                seconds: 5
            })
        );
        assert_eq!(
            ValueType::Linger.parse("off"),
            Ok(Value::Linger {
                on: false,
                seconds: 0
            })
        );
        assert!(ValueType::Linger.parse("2,0").is_err());
        assert_eq!(
            ValueType::Text.parse("cubic"),
            Ok(Value::Text("cubic".into()))
        );
        assert!(ValueType::Text.parse("a-name-longer-than-15").is_err());
        assert!(ValueType::Text.parse("a b").is_err());
    }

    #[test]
    fn json_keeps_numbers_and_flags_native() {
        let json = serde_json::to_string(&[
            Value::Int(131072),
            Value::Bool(true),
            Value::Linger {
                on: true,
                seconds: 0,
            },
            Value::Text("bbr".into()),
        ])
        .unwrap();
        assert_eq!(json, r#"[131072,true,{"on":true,"seconds":0},"bbr"]"#);
    }
}
