//! Which arguments of a command are keys: the positions the server's
//! command table declares (Redis's COMMAND INFO first/last/step), the
//! `numkeys` rules of commands with movable keys, and, for commands the
//! server does not implement, the positions Redis 7 declares for them.

use crate::server::command::{Keys, Lookup, Table, flags};

/// Finds the keys of requests.
pub struct KeyFinder {
    table: Table,
    /// The rules of the last few command names (most streams repeat a
    /// handful of commands), so most requests skip the table.
    cache: Vec<([u8; NAME_MAX], usize, Rule)>,
    /// The cache entry replaced next once it is full.
    next_out: usize,
    /// The last name looked up as sent (not lowercased) and its rule, when
    /// the name alone decides it: a repeat skips the lowercasing too.
    last: Option<([u8; NAME_MAX], usize, Rule)>,
}

/// Longest command name looked up (longer ones have no keys).
const NAME_MAX: usize = 24;
/// Command names whose rule is remembered.
const CACHED: usize = 8;

/// Where a command's keys are.
#[derive(Clone, Copy, Debug)]
enum Rule {
    Nothing,
    /// A count of keys at `at`, the keys after it (and, `declared`, one
    /// more key first).
    Numkeys {
        at: usize,
        declared: bool,
    },
    /// XREAD's keys: the first half of what follows STREAMS.
    Streams,
    Positions(Keys),
}

impl Default for KeyFinder {
    fn default() -> KeyFinder {
        KeyFinder::new()
    }
}

/// Commands outside the server's table, with Redis 7.0's first/last/step.
const OTHERS: &[(&str, i32, i32, i32)] = &[
    ("xadd", 1, 1, 1),
    ("xlen", 1, 1, 1),
    ("xrange", 1, 1, 1),
    ("xrevrange", 1, 1, 1),
    ("xdel", 1, 1, 1),
    ("xtrim", 1, 1, 1),
    ("xack", 1, 1, 1),
    ("xclaim", 1, 1, 1),
    ("xautoclaim", 1, 1, 1),
    ("xpending", 1, 1, 1),
    ("xsetid", 1, 1, 1),
    ("pfadd", 1, 1, 1),
    ("pfcount", 1, -1, 1),
    ("pfmerge", 1, -1, 1),
    ("geoadd", 1, 1, 1),
    ("geodist", 1, 1, 1),
    ("geohash", 1, 1, 1),
    ("geopos", 1, 1, 1),
    ("geosearch", 1, 1, 1),
    ("geosearchstore", 1, 2, 1),
    ("georadius", 1, 1, 1),
    ("georadiusbymember", 1, 1, 1),
    ("georadius_ro", 1, 1, 1),
    ("georadiusbymember_ro", 1, 1, 1),
    ("setbit", 1, 1, 1),
    ("getbit", 1, 1, 1),
    ("bitcount", 1, 1, 1),
    ("bitpos", 1, 1, 1),
    ("bitfield", 1, 1, 1),
    ("bitfield_ro", 1, 1, 1),
    ("bitop", 2, -1, 1),
    ("watch", 1, -1, 1),
    ("object", 2, 2, 1),
    ("memory", 2, 2, 1),
];

/// Movable keys: (command, index of numkeys, keys before it at 1..).
const NUMKEYS: &[(&str, usize, bool)] = &[
    ("eval", 2, false),
    ("evalsha", 2, false),
    ("eval_ro", 2, false),
    ("evalsha_ro", 2, false),
    ("fcall", 2, false),
    ("fcall_ro", 2, false),
    ("zunionstore", 2, true),
    ("zinterstore", 2, true),
    ("zdiffstore", 2, true),
    ("zunion", 1, false),
    ("zinter", 1, false),
    ("zdiff", 1, false),
    ("zintercard", 1, false),
    ("sintercard", 1, false),
    ("lmpop", 1, false),
    ("zmpop", 1, false),
    ("blmpop", 2, false),
    ("bzmpop", 2, false),
];

impl KeyFinder {
    pub fn new() -> KeyFinder {
        KeyFinder {
            table: Table::new(crate::server::commands::ALL),
            cache: Vec::with_capacity(CACHED),
            next_out: 0,
            last: None,
        }
    }

    /// Call `each` with every key of the request `args` (command name
    /// first). Unknown commands have no keys.
    pub fn keys<'a, A: AsRef<[u8]>>(&mut self, args: &'a [A], mut each: impl FnMut(&'a [u8])) {
        let Some(name) = args.first().map(|a| a.as_ref()) else {
            return;
        };
        let rule = match &self.last {
            Some((n, len, rule)) if crate::bytes::same(&n[..*len], name) => *rule,
            _ => match self.rule_of(name, args) {
                Some(rule) => rule,
                None => return,
            },
        };
        match rule {
            Rule::Nothing => {}
            Rule::Numkeys { at, declared } => {
                if declared && let Some(k) = args.get(1) {
                    each(k.as_ref());
                }
                let n = args
                    .get(at)
                    .and_then(|a| std::str::from_utf8(a.as_ref()).ok())
                    .and_then(|t| t.parse::<usize>().ok())
                    .unwrap_or(0);
                for k in args.iter().skip(at + 1).take(n) {
                    each(k.as_ref());
                }
            }
            Rule::Streams => {
                if let Some(p) = args
                    .iter()
                    .position(|a| a.as_ref().eq_ignore_ascii_case(b"streams"))
                {
                    let rest = &args[p + 1..];
                    for k in &rest[..rest.len() / 2] {
                        each(k.as_ref());
                    }
                }
            }
            Rule::Positions(keys) => positions(keys, args.len(), |i| each(args[i].as_ref())),
        }
    }

    /// The rule for the command `name`, remembered when the name alone
    /// decides it; `None` for a name too long to be a command with keys.
    fn rule_of<A: AsRef<[u8]>>(&mut self, name: &[u8], args: &[A]) -> Option<Rule> {
        let mut lower = [0u8; NAME_MAX];
        let lower = lower.get_mut(..name.len())?;
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        let lower = &*lower;
        let cached = self
            .cache
            .iter()
            .find(|(n, len, _)| crate::bytes::same(&n[..*len], lower));
        let (rule, by_name) = match cached {
            Some(&(_, _, rule)) => (rule, true),
            None => {
                let (rule, by_name) = self.resolve(lower, args);
                if by_name {
                    let mut n = [0u8; NAME_MAX];
                    n[..lower.len()].copy_from_slice(lower);
                    let entry = (n, lower.len(), rule);
                    if self.cache.len() < CACHED {
                        self.cache.push(entry);
                    } else {
                        self.cache[self.next_out] = entry;
                        self.next_out = (self.next_out + 1) % CACHED;
                    }
                }
                (rule, by_name)
            }
        };
        self.last = by_name.then(|| {
            let mut n = [0u8; NAME_MAX];
            n[..name.len()].copy_from_slice(name);
            (n, name.len(), rule)
        });
        Some(rule)
    }

    /// Where the keys of a command named `lower` are, and whether that
    /// follows from the name alone (not for container commands, whose
    /// subcommand decides).
    fn resolve<A: AsRef<[u8]>>(&self, lower: &[u8], args: &[A]) -> (Rule, bool) {
        if let Some(&(_, at, declared)) = NUMKEYS.iter().find(|(n, ..)| n.as_bytes() == lower) {
            return (Rule::Numkeys { at, declared }, true);
        }
        if lower == b"xread" || lower == b"xreadgroup" {
            return (Rule::Streams, true);
        }
        let by_name = match self.table.lookup(&[lower]) {
            Lookup::Found(i) => self.table.entries[i].spec.subcommands.is_empty(),
            _ => true,
        };
        let second = args.get(1).map_or(&[][..], |a| a.as_ref());
        let slices: [&[u8]; 2] = [lower, second];
        let rule = match self.table.lookup(&slices[..args.len().min(2)]) {
            Lookup::Found(i) => {
                let spec = self.table.entries[i].spec;
                if spec.has(flags::MOVABLE_KEYS) && spec.keys.first == 0 {
                    Rule::Nothing
                } else {
                    Rule::Positions(spec.keys)
                }
            }
            _ => match OTHERS.iter().find(|(n, ..)| n.as_bytes() == lower) {
                Some(&(_, first, last, step)) => Rule::Positions(Keys { first, last, step }),
                None => Rule::Nothing,
            },
        };
        (rule, by_name)
    }
}

/// Indexes `first..=last` by `step`, `last` negative counting from the end.
fn positions(k: Keys, argc: usize, mut each: impl FnMut(usize)) {
    if k.first <= 0 || k.step <= 0 {
        return;
    }
    let argc = argc as i64;
    let last = if k.last < 0 {
        argc + i64::from(k.last)
    } else {
        i64::from(k.last).min(argc - 1)
    };
    let mut i = i64::from(k.first);
    while i <= last && i < argc {
        each(i as usize);
        i += i64::from(k.step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(args: &[&str]) -> Vec<String> {
        let mut f = KeyFinder::new();
        let mut out = Vec::new();
        f.keys(args, |k| out.push(String::from_utf8_lossy(k).into_owned()));
        out
    }

    #[test]
    fn remembered_rules_find_the_same_keys() {
        let cases: &[&[&str]] = &[
            &["GET", "a"],
            &["OBJECT", "ENCODING", "k"],
            &["OBJECT", "HELP"],
            &["object", "freq", "k2"],
            &["EVAL", "s", "1", "k", "x"],
            &["eval", "s", "0"],
            &["XREAD", "STREAMS", "s", "0"],
            &["MSET", "a", "1", "b", "2"],
            &["MEMORY", "USAGE", "m"],
            &["PING"],
            &["NOSUCH", "x"],
            &["PFCOUNT", "a", "b"],
            &["DEL", "a", "b"],
            &["set", "z", "1"],
        ];
        let mut shared = KeyFinder::new();
        for round in 0..3 {
            for args in cases {
                let mut got = Vec::new();
                shared.keys(args, |k| got.push(String::from_utf8_lossy(k).into_owned()));
                assert_eq!(got, keys(args), "{args:?} in round {round}");
            }
        }
    }

    #[test]
    fn declared_positions() {
        assert_eq!(keys(&["GET", "a"]), ["a"]);
        assert_eq!(keys(&["set", "a", "1", "EX", "5"]), ["a"]);
        assert_eq!(keys(&["MSET", "a", "1", "b", "2"]), ["a", "b"]);
        assert_eq!(keys(&["DEL", "a", "b", "c"]), ["a", "b", "c"]);
        assert_eq!(keys(&["BLPOP", "a", "b", "0"]), ["a", "b"]);
        assert_eq!(keys(&["PING"]), Vec::<String>::new());
        assert_eq!(keys(&["HSET", "h", "f", "v"]), ["h"]);
        assert_eq!(keys(&["NOSUCH", "x"]), Vec::<String>::new());
    }

    #[test]
    fn movable_and_other_commands() {
        assert_eq!(keys(&["EVAL", "s", "2", "a", "b", "arg"]), ["a", "b"]);
        assert_eq!(
            keys(&["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"]),
            ["d", "a", "b"]
        );
        assert_eq!(keys(&["LMPOP", "2", "a", "b", "LEFT"]), ["a", "b"]);
        assert_eq!(keys(&["XADD", "s", "*", "f", "v"]), ["s"]);
        assert_eq!(
            keys(&["XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"]),
            ["s1", "s2"]
        );
        assert_eq!(keys(&["PFCOUNT", "a", "b"]), ["a", "b"]);
        assert_eq!(keys(&["EVAL", "s", "x"]), Vec::<String>::new());
    }
}
