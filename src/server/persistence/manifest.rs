//! The multi-part AOF manifest of Redis 7: which files make up the
//! append-only file, in the directory `appenddirname`.
//!
//! One line per file, `file <name> seq <n> type <b|h|i>`: at most one BASE
//! (a snapshot, as RDB or as commands, written by the last rewrite), the
//! INCR files written since (in increasing sequence), and HISTORY files
//! that a rewrite made obsolete and that are deleted next. Names follow
//! `<appendfilename>.<seq>.base.rdb|aof` and `<appendfilename>.<seq>.incr.aof`.
//! The manifest is replaced atomically (temporary file, fsync, rename,
//! fsync of the directory), so after a crash it names either the old set
//! of files or the new one.

use std::io::Write;
use std::path::Path;

/// What a file in the manifest is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Base,
    History,
    Incr,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Base => 'b',
            Kind::History => 'h',
            Kind::Incr => 'i',
        }
    }
}

/// One file of the AOF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub seq: u64,
    pub kind: Kind,
}

/// The files of an AOF, as the manifest lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<Entry>,
    pub history: Vec<Entry>,
    pub incr: Vec<Entry>,
    /// Highest sequence numbers given so far.
    pub base_seq: u64,
    pub incr_seq: u64,
}

/// A manifest that cannot be used, with the line at fault.
#[derive(Debug, thiserror::Error)]
#[error("{message} (manifest line {line})")]
pub struct ManifestError {
    pub line: usize,
    pub message: String,
}

impl Manifest {
    /// Parse a manifest's text, as strictly as Redis does.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        if text.is_empty() {
            return Err(ManifestError {
                line: 0,
                message: "Found an empty AOF manifest".to_owned(),
            });
        }
        let body = text.strip_suffix(b"\n").unwrap_or(text);
        for (index, raw) in body.split(|&b| b == b'\n').enumerate() {
            let line = index + 1;
            let fail = |message: &str| ManifestError {
                line,
                message: message.to_owned(),
            };
            // Redis reads a line into 1024 bytes and refuses a longer one.
            if raw.len() >= 1024 {
                return Err(fail("The AOF manifest file contains too long line"));
            }
            if raw.first() == Some(&b'#') {
                continue;
            }
            let trimmed = raw.trim_ascii();
            if trimmed.is_empty() {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let words = crate::resp::request::split_args(trimmed)
                .ok_or_else(|| fail("Invalid AOF manifest file format"))?;
            if words.len() < 6 || !words.len().is_multiple_of(2) {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut kind) = (None, 0u64, None);
            for pair in words.chunks(2) {
                let key = &pair[0];
                let value = &pair[1];
                if key.eq_ignore_ascii_case(b"file") {
                    let n = String::from_utf8(value.clone())
                        .map_err(|_| fail("File name is not valid UTF-8"))?;
                    if n.contains('/') {
                        return Err(fail("File can't be a path, just a filename"));
                    }
                    name = Some(n);
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = crate::resp::number::string2ll(value)
                        .filter(|n| *n > 0)
                        .ok_or_else(|| fail("Invalid AOF manifest file format"))?
                        as u64;
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind = Some(match value.first() {
                        Some(b'b') => Kind::Base,
                        Some(b'h') => Kind::History,
                        Some(b'i') => Kind::Incr,
                        _ => return Err(fail("Unknown AOF file type")),
                    });
                }
                // Other keys: ignored, for forward compatibility.
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return Err(fail("Invalid AOF manifest file format"));
            };
            if seq == 0 {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let entry = Entry { name, seq, kind };
            match kind {
                Kind::Base => {
                    if m.base.is_some() {
                        return Err(fail("Found duplicate base file information"));
                    }
                    m.base_seq = seq;
                    m.base = Some(entry);
                }
                Kind::History => m.history.push(entry),
                Kind::Incr => {
                    if seq <= m.incr_seq {
                        return Err(fail("Found a non-monotonic sequence number"));
                    }
                    m.incr_seq = seq;
                    m.incr.push(entry);
                }
            }
        }
        Ok(m)
    }

    /// The manifest's text: base first, then history, then increments.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for e in self.base.iter().chain(&self.history).chain(&self.incr) {
            let name = if needs_quoting(&e.name) {
                crate::output::bytes::quoted(e.name.as_bytes())
            } else {
                e.name.clone()
            };
            out.push_str(&format!(
                "file {name} seq {} type {}\n",
                e.seq,
                e.kind.letter()
            ));
        }
        out
    }

    /// Files that hold data, in loading order: the base, then increments.
    pub fn data_files(&self) -> impl Iterator<Item = &Entry> {
        self.base.iter().chain(&self.incr)
    }

    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incr.is_empty()
    }

    /// Name a new base (the previous one becomes history) and return it.
    pub fn new_base(&mut self, prefix: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = Kind::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let name = format!(
            "{prefix}.{}.base.{}",
            self.base_seq,
            if rdb { "rdb" } else { "aof" }
        );
        self.base = Some(Entry {
            name: name.clone(),
            seq: self.base_seq,
            kind: Kind::Base,
        });
        name
    }

    /// Name a new increment, appended to the list, and return it.
    pub fn new_incr(&mut self, prefix: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{prefix}.{}.incr.aof", self.incr_seq);
        self.incr.push(Entry {
            name: name.clone(),
            seq: self.incr_seq,
            kind: Kind::Incr,
        });
        name
    }

    /// After a rewrite: every increment but the last one (`keep_last`: the
    /// one being appended to) is covered by the new base.
    pub fn retire_rewritten_incr(&mut self, keep_last: bool) {
        let keep = usize::from(keep_last).min(self.incr.len());
        let retired: Vec<Entry> = self.incr.drain(..self.incr.len() - keep).collect();
        for mut e in retired.into_iter().rev() {
            e.kind = Kind::History;
            self.history.insert(0, e);
        }
    }

    /// Write the manifest atomically into `dir` as `<prefix>.manifest`.
    pub fn persist(&self, dir: &Path, prefix: &str) -> std::io::Result<()> {
        let name = format!("{prefix}.manifest");
        let temp = dir.join(format!("temp-{name}"));
        let path = dir.join(&name);
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(self.render().as_bytes())?;
        file.sync_data()?;
        drop(file);
        std::fs::rename(&temp, &path)?;
        super::fsync_dir(dir)
    }
}

/// Redis's sdsneedsrepr: names with quotes, backslashes, spaces or
/// non-printable bytes are written quoted.
fn needs_quoting(name: &str) -> bool {
    name.bytes().any(|b| {
        matches!(b, b'\\' | b'"' | b'\n' | b'\r' | b'\t' | 0x07 | 0x08)
            || !(0x21..=0x7e).contains(&b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_redis_writes_and_renders_it_back() {
        let text = b"file appendonly.aof.2.base.rdb seq 2 type b\n\
                     file appendonly.aof.1.incr.aof seq 1 type h\n\
                     file appendonly.aof.3.incr.aof seq 3 type i\n\
                     file appendonly.aof.4.incr.aof seq 4 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
        assert_eq!((m.base_seq, m.incr_seq), (2, 4));
        assert_eq!(m.incr.len(), 2);
        assert_eq!(m.history.len(), 1);
        assert_eq!(m.render().as_bytes(), &text[..]);
        assert_eq!(Manifest::parse(m.render().as_bytes()).unwrap(), m);
    }

    #[test]
    fn a_rewrite_moves_files_to_history() {
        let mut m = Manifest::default();
        m.new_base("a.aof", true);
        m.new_incr("a.aof");
        m.new_incr("a.aof");
        let base = m.new_base("a.aof", true);
        assert_eq!(base, "a.aof.2.base.rdb");
        m.retire_rewritten_incr(true);
        assert_eq!(m.incr.len(), 1);
        assert_eq!(m.incr[0].name, "a.aof.2.incr.aof");
        let history: Vec<&str> = m.history.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(history, ["a.aof.1.incr.aof", "a.aof.1.base.rdb"]);
        let spaced = Manifest {
            base: Some(Entry {
                name: "my file.1.base.rdb".to_owned(),
                seq: 1,
                kind: Kind::Base,
            }),
            base_seq: 1,
            ..Manifest::default()
        };
        assert_eq!(
            spaced.render(),
            "file \"my file.1.base.rdb\" seq 1 type b\n"
        );
        assert_eq!(Manifest::parse(spaced.render().as_bytes()).unwrap(), spaced);
    }

    #[test]
    fn bad_manifests_name_the_line() {
        for (text, line, message) in [
            (&b""[..], 0, "Found an empty AOF manifest"),
            (b"file a seq 1\n", 1, "Invalid AOF manifest file format"),
            (
                b"file a seq 1 type b\nfile b seq 2 type b\n",
                2,
                "Found duplicate base file information",
            ),
            (
                b"file a seq 2 type i\nfile b seq 1 type i\n",
                2,
                "Found a non-monotonic sequence number",
            ),
            (
                b"file ../a seq 1 type i\n",
                1,
                "File can't be a path, just a filename",
            ),
            (b"file a seq 1 type x\n", 1, "Unknown AOF file type"),
            (
                b"file a seq 1 type i\n\nfile b seq 2 type i\n",
                2,
                "Invalid AOF manifest file format",
            ),
        ] {
            let err = Manifest::parse(text).unwrap_err();
            assert_eq!(
                (err.line, err.message.as_str()),
                (line, message),
                "{text:?}"
            );
        }
    }
}
