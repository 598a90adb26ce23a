//! ACL rules: applying `ACL SETUSER` / `user` directive words to a user
//! (all-or-nothing: the words are applied to a copy), and describing a
//! user back as rules (ACL LIST, ACL GETUSER, ACL SAVE, CONFIG REWRITE), as
//! Redis 7.0 does — including its greedy choice of categories that best
//! cover the allowed commands.

use super::CommandInfo;
use super::categories;
use crate::server::command::Table;
use crate::server::state::acl::{KeyPattern, READ, READ_WRITE, Sanitize, Selector, User, WRITE};

/// What rules are applied against: the command table and what the check
/// knows about each command, and `acl-pubsub-default`.
pub struct Ctx<'a> {
    pub table: &'a Table,
    pub info: &'a [CommandInfo],
    pub all_channels_default: bool,
}

/// Why a rule was refused (Redis's texts).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RuleError {
    UnknownCommand,
    Syntax,
    KeysAfterAll,
    ChannelsAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSubcommand,
    Duplicate,
}

impl RuleError {
    pub fn message(self) -> &'static str {
        match self {
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeysAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelsAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list of \
                 channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
            RuleError::Duplicate => {
                "Duplicate user found. A user can only be defined once in config files"
            }
        }
    }
}

/// Spaces or NUL: not allowed in user names and patterns.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || b == b' ' || (b'\t'..=b'\r').contains(&b))
}

/// A command or subcommand by ACL name ("get", "config|get").
pub fn lookup(table: &Table, name: &[u8]) -> Option<usize> {
    let mut parts = name.split(|&b| b == b'|');
    let base = table.find(parts.next()?)?;
    let Some(sub) = parts.next() else {
        return Some(base);
    };
    let entry = &table.entries[base];
    if parts.next().is_some() || entry.spec.subcommands.is_empty() || super::flat(&entry.full_name)
    {
        return None;
    }
    table.find_sub(base, sub)
}

/// The subcommands of entry `index` (stored right after their container).
fn children(table: &Table, index: usize) -> std::ops::Range<usize> {
    let n = table.entries[index].spec.subcommands.len();
    index + 1..index + 1 + n
}

/// Allow or deny a command; a container takes its subcommands along.
fn change(sel: &mut Selector, table: &Table, index: usize, allow: bool) {
    sel.set_bit(index, allow);
    sel.first_args.retain(|(i, _)| *i != index);
    for child in children(table, index) {
        sel.set_bit(child, allow);
    }
}

fn change_category(sel: &mut Selector, ctx: &Ctx, mask: u32, allow: bool) {
    for (index, info) in ctx.info.iter().enumerate() {
        if info.categories & mask != 0 {
            change(sel, ctx.table, index, allow);
        }
    }
}

fn all_commands(sel: &mut Selector, on: bool) {
    sel.commands = [if on { u64::MAX } else { 0 }; crate::server::state::acl::COMMAND_BITS / 64];
    sel.all_commands = on;
    sel.from_all = on;
    sel.first_args.clear();
}

/// Apply one selector rule.
pub fn apply_selector(sel: &mut Selector, op: &[u8], ctx: &Ctx) -> Result<(), RuleError> {
    let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
    if is("allkeys") || op == b"~*" {
        sel.all_keys = true;
        sel.keys.clear();
    } else if is("resetkeys") {
        sel.all_keys = false;
        sel.keys.clear();
    } else if is("allchannels") || op == b"&*" {
        sel.all_channels = true;
        sel.channels.clear();
    } else if is("resetchannels") {
        sel.all_channels = false;
        sel.channels.clear();
    } else if is("allcommands") || is("+@all") {
        all_commands(sel, true);
    } else if is("nocommands") || is("-@all") {
        all_commands(sel, false);
    } else if op[0] == b'~' || op[0] == b'%' {
        if sel.all_keys {
            return Err(RuleError::KeysAfterAll);
        }
        let mut flags = 0;
        let mut offset = 1;
        if op[0] == b'%' {
            while offset < op.len() {
                let c = op[offset];
                if c.eq_ignore_ascii_case(&b'R') && flags & READ == 0 {
                    flags |= READ;
                } else if c.eq_ignore_ascii_case(&b'W') && flags & WRITE == 0 {
                    flags |= WRITE;
                } else if c == b'~' {
                    offset += 1;
                    break;
                } else {
                    return Err(RuleError::Syntax);
                }
                offset += 1;
            }
        } else {
            flags = READ_WRITE;
        }
        let pattern = op.get(offset..).unwrap_or_default();
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match sel.keys.iter_mut().find(|p| p.pattern == pattern) {
            Some(existing) => existing.flags |= flags,
            None => sel.keys.push(KeyPattern {
                flags,
                pattern: pattern.to_vec(),
            }),
        }
        sel.all_keys = false;
    } else if op[0] == b'&' {
        if sel.all_channels {
            return Err(RuleError::ChannelsAfterAll);
        }
        let pattern = &op[1..];
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        if !sel.channels.iter().any(|c| c == pattern) {
            sel.channels.push(pattern.to_vec());
        }
        sel.all_channels = false;
    } else if op[0] == b'+' && op.get(1) != Some(&b'@') {
        let name = &op[1..];
        match memchr::memrchr(b'|', name) {
            None => {
                let index = lookup(ctx.table, name).ok_or(RuleError::UnknownCommand)?;
                change(sel, ctx.table, index, true);
            }
            Some(bar) => {
                let (base, sub) = (&name[..bar], &name[bar + 1..]);
                let index = lookup(ctx.table, base).ok_or(RuleError::UnknownCommand)?;
                if ctx.table.entries[index].parent.is_some() {
                    return Err(RuleError::FirstArgOfSubcommand);
                }
                if sub.is_empty() {
                    return Err(RuleError::Syntax);
                }
                let entry = &ctx.table.entries[index];
                if entry.spec.subcommands.is_empty() || super::flat(&entry.full_name) {
                    // A first argument of an otherwise denied command
                    // (`+select|0`), which Redis keeps but deprecates.
                    let lower = sub.to_ascii_lowercase();
                    match sel.first_args.iter_mut().find(|(i, _)| *i == index) {
                        Some((_, args)) => {
                            if !args.contains(&lower) {
                                args.push(lower);
                            }
                        }
                        None => sel.first_args.push((index, vec![lower])),
                    }
                } else {
                    let index = lookup(ctx.table, name).ok_or(RuleError::UnknownCommand)?;
                    change(sel, ctx.table, index, true);
                }
            }
        }
    } else if op[0] == b'-' && op.get(1) != Some(&b'@') {
        let index = lookup(ctx.table, &op[1..]).ok_or(RuleError::UnknownCommand)?;
        change(sel, ctx.table, index, false);
    } else if (op[0] == b'+' || op[0] == b'-') && op.get(1) == Some(&b'@') {
        let mask = categories::by_name(&op[2..]).ok_or(RuleError::UnknownCommand)?;
        change_category(sel, ctx, mask, op[0] == b'+');
    } else {
        return Err(RuleError::Syntax);
    }
    Ok(())
}

/// SHA-256 of a password, lowercase hex.
pub fn hash_password(password: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, password);
    let mut out = String::with_capacity(64);
    for b in digest.as_ref() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn valid_hash(hash: &[u8]) -> bool {
    hash.len() == 64
        && hash
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// Apply one user rule (flags, passwords, selectors, or a rule of the
/// root selector).
pub fn apply(user: &mut User, op: &[u8], ctx: &Ctx) -> Result<(), RuleError> {
    if op.is_empty() {
        return Ok(());
    }
    let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
    if is("on") {
        user.enabled = true;
    } else if is("off") {
        user.enabled = false;
    } else if is("skip-sanitize-payload") {
        user.sanitize = Sanitize::Skip;
    } else if is("sanitize-payload") {
        user.sanitize = Sanitize::Sanitize;
    } else if is("nopass") {
        user.nopass = true;
        user.passwords.clear();
    } else if is("resetpass") {
        user.nopass = false;
        user.passwords.clear();
    } else if op[0] == b'>' || op[0] == b'#' {
        let hash = if op[0] == b'>' {
            hash_password(&op[1..])
        } else {
            if !valid_hash(&op[1..]) {
                return Err(RuleError::BadHash);
            }
            String::from_utf8_lossy(&op[1..]).into_owned()
        };
        if !user.passwords.contains(&hash) {
            user.passwords.push(hash);
        }
        user.nopass = false;
    } else if op[0] == b'<' || op[0] == b'!' {
        let hash = if op[0] == b'<' {
            hash_password(&op[1..])
        } else {
            if !valid_hash(&op[1..]) {
                return Err(RuleError::BadHash);
            }
            String::from_utf8_lossy(&op[1..]).into_owned()
        };
        let at = user
            .passwords
            .iter()
            .position(|p| *p == hash)
            .ok_or(RuleError::NoSuchPassword)?;
        user.passwords.remove(at);
    } else if op[0] == b'(' && op[op.len() - 1] == b')' {
        let inner = &op[1..op.len() - 1];
        let words = crate::resp::request::split_args(inner).ok_or(RuleError::Syntax)?;
        let mut sel = Selector::new(false, ctx.all_channels_default);
        for word in &words {
            apply_selector(&mut sel, word, ctx)?;
        }
        user.selectors.push(sel);
    } else if is("clearselectors") {
        user.selectors.truncate(1);
    } else if is("reset") {
        user.nopass = false;
        user.passwords.clear();
        let root = user.root_mut();
        root.all_keys = false;
        root.keys.clear();
        root.all_channels = ctx.all_channels_default;
        root.channels.clear();
        user.enabled = false;
        user.sanitize = Sanitize::Sanitize;
        user.selectors.truncate(1);
        all_commands(user.root_mut(), false);
    } else {
        apply_selector(user.root_mut(), op, ctx)?;
    }
    Ok(())
}

/// Join selector words spread over several arguments (`(~a` `+get)`) into
/// one; an unclosed parenthesis names the argument it starts at.
pub fn merge_selectors(args: &[&[u8]]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, &op) in args.iter().enumerate() {
        if let Some((_, acc)) = open.as_mut() {
            acc.push(b' ');
            acc.extend_from_slice(op);
            if op.last() == Some(&b')') {
                let (_, done) = open.take().unwrap_or_default();
                out.push(done);
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((i, op.to_vec()));
            continue;
        }
        out.push(op.to_vec());
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(out),
    }
}

/// Apply `args` to a copy of `user` (or of a new user called `name`):
/// the changed user, or Redis's error message and nothing changed.
pub fn set_user(
    user: Option<&User>,
    name: &[u8],
    args: &[&[u8]],
    ctx: &Ctx,
) -> Result<User, String> {
    let merged = merge_selectors(args).map_err(|i| {
        format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(args[i])
        )
    })?;
    let mut staged = match user {
        Some(u) => u.clone(),
        None => User::new(name, ctx.all_channels_default),
    };
    for op in &merged {
        apply(&mut staged, op, ctx).map_err(|e| {
            format!(
                "Error in ACL SETUSER modifier '{}': {}",
                String::from_utf8_lossy(op),
                e.message()
            )
        })?;
    }
    Ok(staged)
}

// ---------------------------------------------------------------------------
// Describing rules.

pub fn pattern_string(p: &KeyPattern) -> String {
    let prefix = match p.flags {
        READ_WRITE => "~",
        READ => "%R~",
        WRITE => "%W~",
        _ => "%~",
    };
    format!("{prefix}{}", String::from_utf8_lossy(&p.pattern))
}

fn count_category(bits: &Selector, ctx: &Ctx, mask: u32) -> (u64, u64) {
    let (mut on, mut off) = (0, 0);
    for (index, info) in ctx.info.iter().enumerate() {
        if info.categories & mask != 0 {
            if bits.allows(index) {
                on += 1;
            } else {
                off += 1;
            }
        }
    }
    (on, off)
}

/// The command rules of a selector: `+@all` or `-@all`, then the
/// categories that best approximate its commands, then single commands.
pub fn describe_commands(sel: &Selector, ctx: &Ctx) -> String {
    let mut rules = String::new();
    let mut fake = Selector::new(false, false);
    let additive = !sel.from_all;
    all_commands(&mut fake, !additive);
    rules.push_str(if additive { "-@all " } else { "+@all " });
    let mut temp = Selector::new(false, false);
    temp.commands = sel.commands;
    let mut applied = [false; 32];
    loop {
        let mut best = None;
        let (mut min_diff, mut max_same) = (u64::MAX, 0);
        for (j, _) in categories::NAMES.iter().enumerate() {
            if applied[j] {
                continue;
            }
            let (on, off) = count_category(&temp, ctx, 1 << j);
            let (diff, same) = if additive { (off, on) } else { (on, off) };
            if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                best = Some(j);
                min_diff = diff;
                max_same = same;
            }
        }
        let Some(j) = best else { break };
        change_category(&mut fake, ctx, 1 << j, additive);
        change_category(&mut temp, ctx, 1 << j, !additive);
        rules.push(if additive { '+' } else { '-' });
        rules.push('@');
        rules.push_str(categories::NAMES[j]);
        rules.push(' ');
        applied[j] = true;
    }
    for (index, entry) in ctx.table.entries.iter().enumerate() {
        if ctx.info[index].governor != index {
            continue;
        }
        let user_bit = sel.allows(index);
        if user_bit != fake.allows(index) {
            rules.push(if user_bit { '+' } else { '-' });
            rules.push_str(&entry.full_name);
            rules.push(' ');
            change(&mut fake, ctx.table, index, user_bit);
        }
        if !user_bit && let Some((_, args)) = sel.first_args.iter().find(|(i, _)| *i == index) {
            for arg in args {
                rules.push('+');
                rules.push_str(&entry.full_name);
                rules.push('|');
                rules.push_str(&String::from_utf8_lossy(arg));
                rules.push(' ');
            }
        }
    }
    rules.pop();
    rules
}

/// Keys, channels and commands of a selector, as rules.
pub fn describe_selector(sel: &Selector, ctx: &Ctx) -> String {
    let mut out = String::new();
    if sel.all_keys {
        out.push_str("~* ");
    } else {
        for p in &sel.keys {
            out.push_str(&pattern_string(p));
            out.push(' ');
        }
    }
    if sel.all_channels {
        out.push_str("&* ");
    } else {
        out.push_str("resetchannels ");
        for c in &sel.channels {
            out.push('&');
            out.push_str(&String::from_utf8_lossy(c));
            out.push(' ');
        }
    }
    out.push_str(&describe_commands(sel, ctx));
    out
}

/// A whole user as rules (without `user <name>`).
pub fn describe_user(user: &User, ctx: &Ctx) -> String {
    let mut out = String::new();
    out.push_str(if user.enabled { "on " } else { "off " });
    if user.nopass {
        out.push_str("nopass ");
    }
    match user.sanitize {
        Sanitize::Skip => out.push_str("skip-sanitize-payload "),
        Sanitize::Sanitize => out.push_str("sanitize-payload "),
        Sanitize::Unset => {}
    }
    for p in &user.passwords {
        out.push('#');
        out.push_str(p);
        out.push(' ');
    }
    for sel in &user.selectors {
        if sel.root {
            out.push_str(&describe_selector(sel, ctx));
        } else {
            out.push_str(" (");
            out.push_str(&describe_selector(sel, ctx));
            out.push(')');
        }
    }
    out
}

/// GETUSER's key patterns of a selector.
pub fn keys_field(sel: &Selector) -> String {
    if sel.all_keys {
        return "~*".to_owned();
    }
    sel.keys
        .iter()
        .map(pattern_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// GETUSER's channel patterns of a selector.
pub fn channels_field(sel: &Selector) -> String {
    if sel.all_channels {
        return "&*".to_owned();
    }
    sel.channels
        .iter()
        .map(|c| format!("&{}", String::from_utf8_lossy(c)))
        .collect::<Vec<_>>()
        .join(" ")
}
