//! COMMAND GETKEYS and COMMAND GETKEYSANDFLAGS: the key arguments of a
//! command line, found the way Redis 7.0 finds them — through each
//! command's key specifications (where the keys begin: an index or after
//! a keyword; how many follow: a range or a count argument), falling back
//! to per-command rules where a specification cannot say (SORT's STORE,
//! SET's GET, BITFIELD's writes).

use super::super::Server;
use super::super::command::{Entry, Lookup, flags::MOVABLE_KEYS};
use super::super::connection::Client;
use super::{is, sort};
use crate::resp::number::string2ll;

/// Where a key specification's first key is.
#[derive(Clone, Copy)]
enum Begin {
    Index(i32),
    /// After the keyword, searched from this index (negative: from the
    /// end, backwards).
    Keyword(&'static [u8], i32),
    Unknown,
}

/// How many keys follow the first.
#[derive(Clone, Copy)]
enum Find {
    /// `last` relative to the first key (negative: from the end), every
    /// `step`; `limit` divides the remaining arguments.
    Range {
        last: i32,
        step: i32,
        limit: i32,
    },
    /// A count argument at `index` after the begin point; keys start at
    /// `first` after it.
    Keynum {
        index: i32,
        first: i32,
        step: i32,
    },
    Unknown,
}

struct KeySpec {
    begin: Begin,
    find: Find,
    flags: &'static [&'static str],
}

pub fn command_getkeys(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    getkeys(srv, client, args, false);
}

pub fn command_getkeysandflags(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    getkeys(srv, client, args, true);
}

fn getkeys(srv: &mut Server, client: &mut Client, args: &[&[u8]], with_flags: bool) {
    let line = &args[2..];
    let index = match srv.commands.lookup(line) {
        Lookup::Found(i) => i,
        _ => {
            client.reply.error("Invalid command specified");
            return;
        }
    };
    let entry = &srv.commands.entries[index];
    let specs = specs_of(&entry.full_name);
    let has_proc = matches!(
        entry.full_name.as_str(),
        "sort" | "sort_ro" | "set" | "bitfield" | "migrate"
    );
    if specs.is_empty() && !has_proc {
        client.reply.error("The command has no key arguments");
        return;
    }
    if !entry.spec.arity_ok(line.len()) {
        client
            .reply
            .error("Invalid number of arguments specified for command");
        return;
    }
    let Some(keys) = find_keys(&entry.full_name, specs, line) else {
        // Scripts may run without keys (Redis's NO_MANDATORY_KEYS).
        let keys_optional = matches!(
            entry.full_name.as_str(),
            "eval" | "eval_ro" | "evalsha" | "evalsha_ro" | "fcall" | "fcall_ro"
        );
        if keys_optional {
            client.reply.array(0);
        } else {
            client
                .reply
                .error("Invalid arguments specified for command");
        }
        return;
    };
    client.reply.array(keys.len());
    for (pos, flags) in keys {
        if with_flags {
            client.reply.array(2);
            client.reply.bulk(line[pos]);
            client.reply.set(flags.len());
            for f in flags {
                let name = if matches!(*f, "RW" | "RO" | "OW" | "RM") {
                    f.to_string()
                } else {
                    f.to_ascii_lowercase()
                };
                client.reply.simple(&name);
            }
        } else {
            client.reply.bulk(line[pos]);
        }
    }
}

/// The positions of the keys in `args` (the command line of the command
/// `entry`), for the server's own use (client-side caching records the
/// keys a read touched): the legacy first/last/step range when the command
/// has fixed key positions, the key specifications otherwise. Nothing when
/// the keys cannot be found.
pub fn key_positions(entry: &Entry, args: &[&[u8]]) -> Vec<usize> {
    let keys = entry.spec.keys;
    if !entry.spec.has(MOVABLE_KEYS) && keys.first > 0 {
        let argc = args.len() as i64;
        let first = i64::from(keys.first);
        let last = if keys.last < 0 {
            argc + i64::from(keys.last)
        } else {
            i64::from(keys.last)
        };
        let step = i64::from(keys.step.max(1));
        let mut out = Vec::new();
        let mut i = first;
        while i <= last && i < argc {
            out.push(i as usize);
            i += step;
        }
        return out;
    }
    let specs = specs_of(&entry.full_name);
    find_keys(&entry.full_name, specs, args)
        .map(|found| found.into_iter().map(|(pos, _)| pos).collect())
        .unwrap_or_default()
}

type Found = Vec<(usize, &'static [&'static str])>;

/// Keys by the specifications, or by the command's own rule when a
/// specification is incomplete or its flags depend on the arguments.
fn find_keys(name: &str, specs: &'static [KeySpec], args: &[&[u8]]) -> Option<Found> {
    const SOURCE: &[&str] = &["RO", "ACCESS"];
    const TARGET: &[&str] = &["OW", "UPDATE"];
    const READ_WRITE: &[&str] = &["RW", "ACCESS", "UPDATE"];
    match name {
        "sort" | "sort_ro" => {
            let keys = sort::sort_keys(args);
            return Some(
                keys.iter()
                    .enumerate()
                    .map(|(i, _)| {
                        if i == 0 {
                            (1, SOURCE)
                        } else {
                            let at = args.iter().rposition(|a| std::ptr::eq(*a, keys[1]));
                            (at.unwrap_or(1), TARGET)
                        }
                    })
                    .collect(),
            );
        }
        "set" => {
            let get = args.iter().skip(3).any(|a| is(a, "get"));
            return Some(vec![(1, if get { READ_WRITE } else { TARGET })]);
        }
        "bitfield" => {
            let mut read_only = true;
            let mut i = 2;
            while i < args.len() {
                let left = args.len() - i - 1;
                if is(args[i], "get") && left >= 2 {
                    i += 2;
                } else if (is(args[i], "set") || is(args[i], "incrby")) && left >= 3 {
                    read_only = false;
                    break;
                } else if is(args[i], "overflow") && left >= 1 {
                    i += 1;
                } else {
                    read_only = false;
                    break;
                }
                i += 1;
            }
            return Some(vec![(1, if read_only { SOURCE } else { READ_WRITE })]);
        }
        "migrate" => {
            // Redis's migrateGetKeys: the key argument, or the keys after
            // KEYS when the key argument is empty (AUTH takes one argument,
            // AUTH2 two).
            const MOVED: &[&str] = &["RW", "ACCESS", "DELETE"];
            let mut first = 3;
            let mut count = 1;
            let mut i = 6;
            while args.len() > 6 && i < args.len() {
                if is(args[i], "auth") {
                    i += 1;
                } else if is(args[i], "auth2") {
                    i += 2;
                } else if is(args[i], "keys") {
                    if !args.get(3).is_some_and(|k| k.is_empty()) {
                        return Some(Vec::new());
                    }
                    first = i + 1;
                    count = args.len() - first;
                    break;
                }
                i += 1;
            }
            if first + count > args.len() {
                return None;
            }
            return Some((first..first + count).map(|i| (i, MOVED)).collect());
        }
        _ => {}
    }
    by_specs(specs, args)
}

/// A command's key specifications, looked up by name once (the ACL check
/// keeps them per command).
#[derive(Clone, Copy)]
pub struct Specs(&'static [KeySpec]);

impl Specs {
    pub fn of(full_name: &str) -> Specs {
        Specs(specs_of(full_name))
    }

    /// For a command with exactly one key at a fixed position whose flags
    /// do not depend on the other arguments: that position and the flags
    /// (the ACL check's path without allocation). SET's key is at 1 too,
    /// but its GET option changes the flags: it is left to [`keys_of`].
    pub fn single_key(&self, full_name: &str) -> Option<(usize, &'static [&'static str])> {
        if matches!(
            full_name,
            "sort" | "sort_ro" | "set" | "bitfield" | "migrate"
        ) {
            return None;
        }
        match self.0 {
            [
                KeySpec {
                    begin: Begin::Index(p),
                    find: Find::Range { last: 0, .. },
                    flags,
                },
            ] if !flags.contains(&"NOT_KEY") && !flags.contains(&"INCOMPLETE") => {
                Some((*p as usize, flags))
            }
            _ => None,
        }
    }

    /// Whether the command can name keys (by specification or by its own
    /// rule).
    pub fn has_keys(&self, full_name: &str) -> bool {
        !self.0.is_empty()
            || matches!(
                full_name,
                "sort" | "sort_ro" | "set" | "bitfield" | "migrate"
            )
    }
}

/// The keys of a command line (argument positions, the command name at 0)
/// with their key-spec flags, found as COMMAND GETKEYS finds them; a line
/// the specifications cannot resolve names none.
pub fn keys_of(
    full_name: &str,
    specs: Specs,
    args: &[&[u8]],
) -> Vec<(usize, &'static [&'static str])> {
    find_keys(full_name, specs.0, args).unwrap_or_default()
}

fn by_specs(specs: &'static [KeySpec], args: &[&[u8]]) -> Option<Found> {
    let argc = args.len() as i64;
    let mut out = Vec::new();
    for spec in specs {
        if spec.flags.contains(&"NOT_KEY") {
            continue;
        }
        let mut first: i64 = match spec.begin {
            Begin::Index(p) => i64::from(p),
            Begin::Keyword(word, from) => {
                let from = i64::from(from);
                let start = if from > 0 { from } else { argc + from };
                let end = if from > 0 { argc - 1 } else { 1 };
                let mut found = 0;
                let mut i = start;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if args[i as usize].eq_ignore_ascii_case(word) {
                        found = i + 1;
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            Begin::Unknown => return None,
        };
        let (last, step) = match spec.find {
            Find::Range { last, step, limit } => {
                let last = i64::from(last);
                let end = if last >= 0 {
                    first + last
                } else if limit == 0 {
                    argc + last
                } else {
                    first + ((argc - first) / i64::from(limit) + last)
                };
                (end, i64::from(step))
            }
            Find::Keynum {
                index,
                first: k,
                step,
            } => {
                let at = first + i64::from(index);
                if i64::from(index) >= argc || at >= argc {
                    return None;
                }
                let n = string2ll(args[at as usize]).filter(|n| *n >= 0)?;
                first += i64::from(k);
                (first + n - 1, i64::from(step))
            }
            Find::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            out.push((i as usize, spec.flags));
            i += step.max(1);
        }
        if spec.flags.contains(&"INCOMPLETE") {
            return None;
        }
    }
    Some(out)
}

fn specs_of(full_name: &str) -> &'static [KeySpec] {
    SPECS
        .iter()
        .find(|(n, _)| *n == full_name)
        .map_or(&[], |(_, s)| s)
}

/// Key specifications of Redis 7.0's commands (facts from its command
/// reference).
#[rustfmt::skip]
const SPECS: &[(&str, &[KeySpec])] = &[
    ("append", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("bitcount", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("bitfield", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE", "ACCESS", "VARIABLE_FLAGS"] },
    ]),
    ("bitfield_ro", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("bitop", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Index(3), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("bitpos", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("blmove", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("blmpop", &[
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("blpop", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -2, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("brpop", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -2, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("brpoplpush", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("bzmpop", &[
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("bzpopmax", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -2, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("bzpopmin", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -2, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("copy", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
    ]),
    ("decr", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("decrby", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("del", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RM", "DELETE"] },
    ]),
    ("dump", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("eval", &[
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("eval_ro", &[
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("evalsha", &[
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("evalsha_ro", &[
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("exists", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("expire", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("expireat", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("expiretime", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("fcall", &[
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("fcall_ro", &[
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("geoadd", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("geodist", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("geohash", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("geopos", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("georadius", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
        KeySpec { begin: Begin::Keyword(b"store", 6), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Keyword(b"storedist", 6), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
    ]),
    ("georadius_ro", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("georadiusbymember", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
        KeySpec { begin: Begin::Keyword(b"store", 5), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Keyword(b"storedist", 5), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
    ]),
    ("georadiusbymember_ro", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("geosearch", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("geosearchstore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("get", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("getbit", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("getdel", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("getex", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("getrange", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("getset", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("hdel", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("hexists", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("hget", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("hgetall", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("hincrby", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("hincrbyfloat", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("hkeys", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("hlen", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("hmget", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("hmset", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("hrandfield", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("hscan", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("hset", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("hsetnx", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("hstrlen", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("hvals", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("incr", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("incrby", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("incrbyfloat", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("lcs", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("lindex", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("linsert", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("llen", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("lmove", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("lmpop", &[
        KeySpec { begin: Begin::Index(1), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("lpop", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("lpos", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("lpush", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("lpushx", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("lrange", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("lrem", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("lset", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("ltrim", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("memory|usage", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("mget", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("migrate", &[
        KeySpec { begin: Begin::Index(3), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
        KeySpec { begin: Begin::Keyword(b"keys", -2), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE", "INCOMPLETE"] },
    ]),
    ("move", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("mset", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 2, limit: 0 }, flags: &["OW", "UPDATE"] },
    ]),
    ("msetnx", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 2, limit: 0 }, flags: &["OW", "INSERT"] },
    ]),
    ("object|encoding", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("object|freq", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("object|idletime", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("object|refcount", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("persist", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("pexpire", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("pexpireat", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("pexpiretime", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("pfadd", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("pfcount", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RW", "ACCESS"] },
    ]),
    ("pfdebug", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS"] },
    ]),
    ("pfmerge", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "INSERT"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("psetex", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
    ]),
    ("pttl", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("rename", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
    ]),
    ("renamenx", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "INSERT"] },
    ]),
    ("restore-asking", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
    ]),
    ("restore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
    ]),
    ("rpop", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("rpoplpush", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("rpush", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("rpushx", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("sadd", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("scard", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("sdiff", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("sdiffstore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("set", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE", "VARIABLE_FLAGS"] },
    ]),
    ("setbit", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("setex", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
    ]),
    ("setnx", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "INSERT"] },
    ]),
    ("setrange", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("sinter", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("sintercard", &[
        KeySpec { begin: Begin::Index(1), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("sinterstore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("sismember", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("smembers", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("smismember", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("smove", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("sort", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
        KeySpec { begin: Begin::Unknown, find: Find::Unknown, flags: &["RO", "ACCESS"] },
        KeySpec { begin: Begin::Unknown, find: Find::Unknown, flags: &["OW", "UPDATE"] },
    ]),
    ("sort_ro", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
        KeySpec { begin: Begin::Unknown, find: Find::Unknown, flags: &["RO", "ACCESS"] },
    ]),
    ("spop", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("spublish", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["NOT_KEY"] },
    ]),
    ("srandmember", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("srem", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("sscan", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("ssubscribe", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["NOT_KEY"] },
    ]),
    ("strlen", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("substr", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("sunion", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("sunionstore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("sunsubscribe", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["NOT_KEY"] },
    ]),
    ("touch", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("ttl", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("type", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("unlink", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RM", "DELETE"] },
    ]),
    ("watch", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: -1, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("xack", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("xadd", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("xautoclaim", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("xclaim", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("xdel", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("xgroup|create", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("xgroup|createconsumer", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "INSERT"] },
    ]),
    ("xgroup|delconsumer", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("xgroup|destroy", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("xgroup|setid", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("xinfo|consumers", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("xinfo|groups", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("xinfo|stream", &[
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("xlen", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("xpending", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("xrange", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("xread", &[
        KeySpec { begin: Begin::Keyword(b"streams", 1), find: Find::Range { last: -1, step: 1, limit: 2 }, flags: &["RO", "ACCESS"] },
    ]),
    ("xreadgroup", &[
        KeySpec { begin: Begin::Keyword(b"streams", 4), find: Find::Range { last: -1, step: 1, limit: 2 }, flags: &["RO", "ACCESS"] },
    ]),
    ("xrevrange", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("xsetid", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("xtrim", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("zadd", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "UPDATE"] },
    ]),
    ("zcard", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO"] },
    ]),
    ("zcount", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zdiff", &[
        KeySpec { begin: Begin::Index(1), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zdiffstore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zincrby", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "UPDATE"] },
    ]),
    ("zinter", &[
        KeySpec { begin: Begin::Index(1), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zintercard", &[
        KeySpec { begin: Begin::Index(1), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zinterstore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zlexcount", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zmpop", &[
        KeySpec { begin: Begin::Index(1), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("zmscore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zpopmax", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("zpopmin", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "ACCESS", "DELETE"] },
    ]),
    ("zrandmember", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zrange", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zrangebylex", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zrangebyscore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zrangestore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zrank", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zrem", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("zremrangebylex", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("zremrangebyrank", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("zremrangebyscore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RW", "DELETE"] },
    ]),
    ("zrevrange", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zrevrangebylex", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zrevrangebyscore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zrevrank", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zscan", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zscore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zunion", &[
        KeySpec { begin: Begin::Index(1), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
    ("zunionstore", &[
        KeySpec { begin: Begin::Index(1), find: Find::Range { last: 0, step: 1, limit: 0 }, flags: &["OW", "UPDATE"] },
        KeySpec { begin: Begin::Index(2), find: Find::Keynum { index: 0, first: 1, step: 1 }, flags: &["RO", "ACCESS"] },
    ]),
];
