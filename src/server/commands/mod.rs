//! Command handlers, one file per family, each exporting its part of the
//! command table as a `COMMANDS` slice; [`ALL`] lists the families in the
//! order COMMAND LIST reports them. A new family (lists, hashes, …) adds a
//! file and one line here.
//!
//! Shared argument parsing lives here: every helper that can fail writes
//! Redis's error reply itself and returns `None`, so handlers read as
//! `let Some(n) = int_arg(client, args[2]) else { return };`.

pub mod connection;
pub mod keys;
pub mod persistence;
pub mod replication;
pub mod server;
pub mod strings;

use super::command::Spec;
use super::connection::Client;
use super::keyspace::{Object, Str, Value};
use crate::resp::number::string2ll;

/// Every command family.
pub const ALL: &[&[Spec]] = &[
    connection::COMMANDS,
    keys::COMMANDS,
    strings::COMMANDS,
    server::COMMANDS,
    persistence::COMMANDS,
    replication::COMMANDS,
];

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], option: &str) -> bool {
    arg.eq_ignore_ascii_case(option.as_bytes())
}

/// An i64 argument, or the "not an integer" error.
pub fn int_arg(client: &mut Client, arg: &[u8]) -> Option<i64> {
    let n = string2ll(arg);
    if n.is_none() {
        client.reply.not_an_integer();
    }
    n
}

/// A database index argument: an integer, then in range.
pub fn db_arg(client: &mut Client, arg: &[u8], databases: usize) -> Option<usize> {
    let n = int_arg(client, arg)?;
    if n < 0 || n >= databases as i64 || n > i64::from(i32::MAX) {
        client.reply.error("DB index is out of range");
        return None;
    }
    Some(n as usize)
}

/// The string in an object, or WRONGTYPE.
pub fn as_str<'a>(client: &mut Client, obj: &'a Object) -> Option<&'a Str> {
    match &obj.value {
        Value::String(s) => Some(s),
        #[allow(unreachable_patterns)]
        _ => {
            client.reply.wrong_type();
            None
        }
    }
}

/// Like [`as_str`] for a mutable object.
pub fn as_str_mut<'a>(client: &mut Client, obj: &'a mut Object) -> Option<&'a mut Str> {
    match &mut obj.value {
        Value::String(s) => Some(s),
        #[allow(unreachable_patterns)]
        _ => {
            client.reply.wrong_type();
            None
        }
    }
}

/// Reply a string value as a bulk string.
pub fn reply_str(client: &mut Client, s: &Str) {
    match s {
        Str::Int(n) => client.reply.bulk_int(*n),
        Str::Embedded(b) => client.reply.bulk(b),
        Str::Raw(v) => client.reply.bulk(v),
    }
}

/// "invalid expire time in '<cmd>' command".
pub fn invalid_expire(client: &mut Client, command: &str) {
    client
        .reply
        .error(&format!("invalid expire time in '{command}' command"));
}

/// A container's HELP reply: the usage line, `lines`, then HELP itself.
pub fn help(client: &mut Client, container: &str, lines: &[&str]) {
    client.reply.array(lines.len() + 3);
    client.reply.simple(&format!(
        "{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        client.reply.simple(line);
    }
    client.reply.simple("HELP");
    client.reply.simple("    Prints this help.");
}
