//! Redis glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE, `rdb inspect
//! --match`), matching exactly as Redis's `stringmatchlen` does: `*` any
//! run, `?` one byte, `[abc]`, `[^abc]`, `[a-z]` (reversed ranges are
//! swapped), `\x` a literal x (also inside classes), and an unclosed `[`
//! ending the class at the end of the pattern. Bytes compare as C `char`
//! (signed) in ranges, as Redis does; `nocase` folds ASCII only.
//!
//! The early exit after a failed `*` (Redis 7's `skipLongerMatches`)
//! keeps patterns like `a*a*a*a*b` linear-ish instead of exponential.

/// Whether `string` matches the Redis glob `pattern`.
pub fn matches(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip = false;
    match_impl(pattern, string, false, &mut skip, 0)
}

/// Case-insensitive (ASCII) variant.
pub fn matches_nocase(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip = false;
    match_impl(pattern, string, true, &mut skip, 0)
}

/// Star nesting beyond this fails the match, as Redis 7.2 and later do:
/// patterns come from clients, and recursion per `*` must not exhaust the
/// stack of the thread serving everyone.
const MAX_NESTING: usize = 1000;

/// A compiled pattern, with a fast path for the common `prefix*` form.
#[derive(Clone, Debug)]
pub struct Pattern {
    raw: Vec<u8>,
    /// Set when the pattern is a literal prefix followed by one `*`.
    prefix: Option<Vec<u8>>,
    match_all: bool,
}

impl Pattern {
    pub fn new(pattern: &[u8]) -> Pattern {
        let special = |b: &u8| matches!(b, b'*' | b'?' | b'[' | b'\\');
        // Exactly "*", as KEYS and SCAN special-case it: Redis's matcher
        // itself does not match an empty string even with "*".
        let match_all = pattern == b"*";
        let prefix = match pattern.split_last() {
            Some((b'*', head)) if !head.iter().any(special) => Some(head.to_vec()),
            _ => None,
        };
        Pattern {
            raw: pattern.to_vec(),
            prefix,
            match_all,
        }
    }

    pub fn is_match(&self, string: &[u8]) -> bool {
        if self.match_all {
            return true;
        }
        if let Some(prefix) = &self.prefix {
            return string.starts_with(prefix);
        }
        matches(&self.raw, string)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }
}

fn lower(b: u8) -> u8 {
    b.to_ascii_lowercase()
}

fn match_impl(
    pattern: &[u8],
    string: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: usize,
) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    // Indices and lengths mirror the C code; reading past the pattern
    // yields 0 like the NUL terminator Redis relies on.
    let at = |i: usize| -> u8 { pattern.get(i).copied().unwrap_or(0) };
    let mut p = 0usize;
    let mut plen = pattern.len() as isize;
    let mut s = 0usize;
    let mut slen = string.len() as isize;
    let eq = |a: u8, b: u8| if nocase { lower(a) == lower(b) } else { a == b };

    while plen > 0 && slen > 0 {
        match at(p) {
            b'*' => {
                while plen > 0 && at(p + 1) == b'*' {
                    p += 1;
                    plen -= 1;
                }
                if plen == 1 {
                    return true;
                }
                while slen > 0 {
                    let rest = pattern.get(p + 1..p + plen as usize).unwrap_or(&[]);
                    if match_impl(rest, &string[s..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                    slen -= 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s += 1;
                slen -= 1;
            }
            b'[' => {
                p += 1;
                plen -= 1;
                let not = at(p) == b'^';
                if not {
                    p += 1;
                    plen -= 1;
                }
                let c = string[s];
                let mut matched = false;
                loop {
                    if at(p) == b'\\' && plen >= 2 {
                        p += 1;
                        plen -= 1;
                        if at(p) == c {
                            matched = true;
                        }
                    } else if at(p) == b']' {
                        break;
                    } else if plen <= 0 {
                        p = p.saturating_sub(1);
                        plen += 1;
                        break;
                    } else if plen >= 3 && at(p + 1) == b'-' {
                        // C compares plain `char`, which is signed here.
                        let mut start = i32::from(at(p) as i8);
                        let mut end = i32::from(at(p + 2) as i8);
                        let mut ch = i32::from(c as i8);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            let fold = |v: i32| {
                                if (i32::from(b'A')..=i32::from(b'Z')).contains(&v) {
                                    v + 32
                                } else {
                                    v
                                }
                            };
                            start = fold(start);
                            end = fold(end);
                            ch = fold(ch);
                        }
                        p += 2;
                        plen -= 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if eq(at(p), c) {
                        matched = true;
                    }
                    p += 1;
                    plen -= 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
            other => {
                let mut lit = other;
                if other == b'\\' && plen >= 2 {
                    p += 1;
                    plen -= 1;
                    lit = at(p);
                }
                if !eq(lit, string[s]) {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
        }
        p += 1;
        plen -= 1;
        if slen == 0 {
            while plen > 0 && at(p) == b'*' {
                p += 1;
                plen -= 1;
            }
            break;
        }
    }
    plen == 0 && slen == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn deep_star_nesting_is_bounded() {
        // 5,000 "*a" pairs against a long run of 'a's: without the nesting
        // cap this recursion would go thousands of frames deep.
        let pattern = "*a".repeat(5_000) + "b";
        let text = "a".repeat(6_000);
        assert!(!super::matches(pattern.as_bytes(), text.as_bytes()));
        assert!(super::matches(b"*a*a", b"xaya"));
    }

    #[test]
    fn a_lone_star_is_the_only_match_all() {
        // Redis's matcher never matches the empty string with "*"; KEYS and
        // SCAN special-case the exact pattern "*", and so does Pattern.
        assert!(!super::matches(b"*", b""));
        assert!(super::Pattern::new(b"*").is_match(b""));
        assert!(!super::Pattern::new(b"**").is_match(b""));
        assert!(super::Pattern::new(b"**").is_match(b"x"));
    }

    use super::*;

    #[test]
    fn matches_like_redis() {
        let yes: &[(&[u8], &[u8])] = &[
            (b"*", b"anything"),
            (b"h?llo", b"hello"),
            (b"h*llo", b"heeeello"),
            (b"h[ae]llo", b"hallo"),
            (b"h[^e]llo", b"hallo"),
            (b"h[a-b]llo", b"hbllo"),
            (b"h[b-a]llo", b"hallo"),
            (b"user:*", b"user:42"),
            (b"a\\*b", b"a*b"),
            (b"[\\]]", b"]"),
            (b"*a*", b"banana"),
            (b"a*", b"a"),
            (b"[^", b"x"),
            (b"\xff*", b"\xff\x00"),
            (b"", b""),
        ];
        for (p, s) in yes {
            assert!(matches(p, s), "{:?} should match {:?}", p, s);
            assert!(Pattern::new(p).is_match(s), "compiled {:?} vs {:?}", p, s);
        }
        let no: &[(&[u8], &[u8])] = &[
            (b"h[^e]llo", b"hello"),
            (b"h[a-b]llo", b"hcllo"),
            (b"a\\*b", b"axb"),
            (b"user:*", b"users"),
            (b"?", b""),
            (b"[", b"x"),
            (b"a*a*a*a*a*a*a*a*a*a*a*a*b", &[b'a'; 60]),
            (b"", b"x"),
        ];
        for (p, s) in no {
            assert!(!matches(p, s), "{:?} should not match {:?}", p, s);
            assert!(!Pattern::new(p).is_match(s));
        }
        assert!(matches_nocase(b"HeLLo*", b"hello world"));
        assert!(matches_nocase(b"[A-C]x", b"bX"));
        assert!(!matches(b"HeLLo", b"hello"));
    }
}
