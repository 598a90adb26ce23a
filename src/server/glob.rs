//! Redis's glob patterns (KEYS, SCAN MATCH, CONFIG GET, CLIENT KILL …):
//! `*` any run, `?` one byte, `[abc]`, `[^a-z]` classes, `\x` a literal
//! byte. Bytes, not characters; an optional ASCII case-insensitive mode.

/// Whether `text` matches `pattern`.
pub fn glob_match(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    // Nesting of `*` is bounded by the pattern length; this recursion only
    // descends on `*`, and consecutive stars are collapsed first.
    matches(pattern, text, nocase, 0)
}

fn eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

fn matches(mut p: &[u8], mut t: &[u8], nocase: bool, depth: usize) -> bool {
    // Redis caps the recursion of stringmatchlen at 1000 nested stars.
    if depth > 1000 {
        return false;
    }
    while let Some(&c) = p.first() {
        match c {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for start in 0..=t.len() {
                    if matches(&p[1..], &t[start..], nocase, depth + 1) {
                        return true;
                    }
                }
                return false;
            }
            b'?' => {
                if t.is_empty() {
                    return false;
                }
                t = &t[1..];
                p = &p[1..];
            }
            b'[' => {
                let Some(&byte) = t.first() else {
                    return false;
                };
                let mut i = 1;
                let negate = p.get(1) == Some(&b'^');
                if negate {
                    i += 1;
                }
                let mut found = false;
                loop {
                    match p.get(i) {
                        None => {
                            // Unterminated class: Redis treats the end of
                            // the pattern as closing it.
                            i -= 1;
                            break;
                        }
                        Some(b'\\') if i + 1 < p.len() => {
                            i += 1;
                            if eq(p[i], byte, nocase) {
                                found = true;
                            }
                        }
                        Some(b']') => break,
                        Some(&lo) if p.get(i + 1) == Some(&b'-') && i + 2 < p.len() => {
                            let hi = p[i + 2];
                            let (mut lo, mut hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
                            let mut b = byte;
                            if nocase {
                                lo = lo.to_ascii_lowercase();
                                hi = hi.to_ascii_lowercase();
                                b = b.to_ascii_lowercase();
                            }
                            if b >= lo && b <= hi {
                                found = true;
                            }
                            i += 2;
                        }
                        Some(&other) => {
                            if eq(other, byte, nocase) {
                                found = true;
                            }
                        }
                    }
                    i += 1;
                }
                if found == negate {
                    return false;
                }
                t = &t[1..];
                p = p.get(i + 1..).unwrap_or(&[]);
            }
            b'\\' if p.len() >= 2 => {
                if t.first().is_none_or(|&b| !eq(p[1], b, nocase)) {
                    return false;
                }
                t = &t[1..];
                p = &p[2..];
            }
            _ => {
                if t.first().is_none_or(|&b| !eq(c, b, nocase)) {
                    return false;
                }
                t = &t[1..];
                p = &p[1..];
            }
        }
    }
    t.is_empty()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn patterns() {
        let m = |p: &str, t: &str| glob_match(p.as_bytes(), t.as_bytes(), false);
        assert!(m("*", ""));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("key:*:x", "key:abc:x"));
        assert!(!m("key:*:x", "key:abc:y"));
        assert!(glob_match(b"MAX*", b"maxclients", true));
    }
}
