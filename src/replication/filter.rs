//! Which commands of a replication feed a tail reports: by name, by the
//! glob of their first key, by database, and whether the master's own
//! housekeeping (`PING`, `REPLCONF GETACK`) is shown.
//!
//! Globs are `crate::glob` patterns (Redis's `KEYS` syntax: `*`, `?`, `[a-z]`, `[^x]`, `\`
//! escapes) over bytes. The first key is found without a command table: the
//! first argument for ordinary commands, after `numkeys` for scripts and
//! functions, and none for commands that take no key.

use bytes::Bytes;

use super::replica::Command;

/// The commands to report.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Lowercased names; empty means every command.
    pub commands: Vec<Vec<u8>>,
    /// Glob over the first key; commands without a key never match.
    pub key_pattern: Option<crate::glob::Pattern>,
    pub db: Option<i64>,
    /// Also report PING and REPLCONF from the master.
    pub all: bool,
}

impl Filter {
    pub fn accepts(&self, command: &Command) -> bool {
        if !self.all && command.is_housekeeping() {
            return false;
        }
        if self.db.is_some_and(|db| db != command.db) {
            return false;
        }
        if !self.commands.is_empty() && !self.commands.contains(&command.name()) {
            return false;
        }
        match &self.key_pattern {
            Some(pattern) => first_key(&command.args).is_some_and(|k| pattern.is_match(k)),
            None => true,
        }
    }
}

/// The first key a propagated command touches, if it names one.
pub fn first_key(args: &[Bytes]) -> Option<&[u8]> {
    let name = args.first()?.to_ascii_lowercase();
    let index = match name.as_slice() {
        b"select" | b"ping" | b"multi" | b"exec" | b"discard" | b"flushall" | b"flushdb"
        | b"swapdb" | b"script" | b"function" | b"replconf" | b"publish" | b"spublish" => {
            return None;
        }
        b"eval" | b"evalsha" | b"eval_ro" | b"evalsha_ro" | b"fcall" | b"fcall_ro" => {
            let numkeys = crate::resp::decode::parse_i64(args.get(2)?)?;
            if numkeys < 1 {
                return None;
            }
            3
        }
        // The operation or subcommand comes before the key.
        b"bitop" | b"xgroup" | b"object" => 2,
        _ => 1,
    };
    args.get(index).map(|k| k.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Bytes> {
        list.iter()
            .map(|a| Bytes::from(a.as_bytes().to_vec()))
            .collect()
    }

    fn command(list: &[&str], db: i64) -> Command {
        Command {
            offset: 0,
            length: 0,
            db,
            args: args(list),
            raw: Bytes::new(),
        }
    }

    #[test]
    fn globs_match_like_redis() {
        for (pattern, text, want) in [
            ("*", "", true),
            ("user:*", "user:42", true),
            ("user:*", "session:1", false),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h[ae]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hallo", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("*a*b*c", "xxaxxbxxc", true),
            ("*a*b*c", "xxaxxcxxb", false),
            ("k[", "k", false),
        ] {
            assert_eq!(
                crate::glob::Pattern::new(pattern.as_bytes()).is_match(text.as_bytes()),
                want,
                "{pattern} ~ {text}"
            );
        }
        assert!(crate::glob::matches(b"\xff*", b"\xff\x00"));
    }

    #[test]
    fn first_keys_of_propagated_commands() {
        assert_eq!(first_key(&args(&["SET", "k", "v"])), Some(&b"k"[..]));
        assert_eq!(first_key(&args(&["select", "1"])), None);
        assert_eq!(first_key(&args(&["MULTI"])), None);
        assert_eq!(
            first_key(&args(&["EVAL", "s", "1", "k1", "a"])),
            Some(&b"k1"[..])
        );
        assert_eq!(first_key(&args(&["FCALL", "f", "0", "a"])), None);
        assert_eq!(
            first_key(&args(&["BITOP", "AND", "dst", "a"])),
            Some(&b"dst"[..])
        );
        assert_eq!(first_key(&args(&["DEL"])), None);
    }

    #[test]
    fn filters_combine() {
        let f = Filter::default();
        assert!(f.accepts(&command(&["SET", "a", "1"], 0)));
        assert!(!f.accepts(&command(&["PING"], 0)));
        let f = Filter {
            all: true,
            ..Filter::default()
        };
        assert!(f.accepts(&command(&["REPLCONF", "GETACK", "*"], 0)));
        let f = Filter {
            commands: vec![b"set".to_vec()],
            key_pattern: Some(crate::glob::Pattern::new(b"user:*")),
            db: Some(2),
            all: false,
        };
        assert!(f.accepts(&command(&["set", "user:1", "x"], 2)));
        assert!(!f.accepts(&command(&["SET", "user:1", "x"], 1)));
        assert!(!f.accepts(&command(&["SET", "order:1", "x"], 2)));
        assert!(!f.accepts(&command(&["DEL", "user:1"], 2)));
    }
}
