//! Users in files: the `user` directives of the configuration (loaded at
//! startup, written back by CONFIG REWRITE) and the ACL file (`aclfile`:
//! ACL LOAD replaces every user at once or, on any error, none; ACL SAVE
//! writes them atomically), in Redis 7.0's format and with its messages.

use std::io::Write;
use std::path::Path;

use super::rules::{self, has_spaces};
use crate::server::Server;
use crate::server::connection::Client;
use crate::server::state::acl::User;

/// Load the `user` directives of the configuration (after `default` was
/// made): a user named twice is refused when the configuration is read.
pub fn load_configured_users(srv: &mut Server) -> Result<(), String> {
    let directives = srv.config.users.clone();
    for words in &directives {
        let Some((name, ops)) = words.split_first() else {
            continue;
        };
        if has_spaces(name.as_bytes()) {
            return Err("Spaces not allowed in ACL usernames".to_owned());
        }
        let ops: Vec<&[u8]> = ops.iter().map(|o| o.as_bytes()).collect();
        let merged = rules::merge_selectors(&ops).map_err(|i| {
            format!(
                "Unmatched parenthesis in acl selector starting at '{}'.",
                String::from_utf8_lossy(ops[i])
            )
        })?;
        let ctx = srv.acl_ctx();
        let mut user = match srv.acl.by_name(name.as_bytes()) {
            Some(existing) => {
                let mut u = existing.clone();
                let _ = rules::apply(&mut u, b"reset", &ctx);
                u
            }
            None => User::new(name.as_bytes(), ctx.all_channels_default),
        };
        for op in &merged {
            rules::apply(&mut user, op, &ctx).map_err(|e| {
                format!(
                    "Error loading ACL rule '{}' for the user named '{name}': {}",
                    String::from_utf8_lossy(op),
                    e.message()
                )
            })?;
        }
        if !user.enabled {
            srv.log.notice(
                &format!(
                    "The user '{name}' is disabled (there is no 'on' modifier in the user \
                     description). Make sure this is not a configuration error."
                ),
                &[],
            );
        }
        match srv.acl.slot_of(name.as_bytes()) {
            Some(slot) => srv.acl.users[slot] = Some(user),
            None => {
                srv.acl.insert(user);
            }
        }
    }
    Ok(())
}

/// Parse an ACL file: every user, or Redis's one-line description of all
/// the problems found.
pub fn parse(srv: &Server, text: &str) -> Result<Vec<User>, String> {
    let file = &srv.config.aclfile;
    let ctx = srv.acl_ctx();
    let mut users: Vec<User> = Vec::new();
    let mut errors = String::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.trim_matches([' ', '\t', '\r', '\n']);
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split(' ').collect();
        if words[0] != "user" || words.len() < 2 {
            errors.push_str(&format!(
                "{file}:{line_no} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = words[1];
        if has_spaces(name.as_bytes()) {
            errors.push_str(&format!(
                "'{file}:{line_no}: username '{name}' contains invalid characters. "
            ));
            continue;
        }
        if users.iter().any(|u| u.name == name.as_bytes()) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{name}' found on line {line_no}. "
            ));
            continue;
        }
        let mut user = User::new(name.as_bytes(), ctx.all_channels_default);
        let ops: Vec<&[u8]> = words[2..].iter().map(|w| w.as_bytes()).collect();
        let merged = match rules::merge_selectors(&ops) {
            Ok(m) => m,
            Err(_) => {
                errors.push_str(&format!(
                    "{file}:{line_no}: Unmatched parenthesis in selector definition."
                ));
                Vec::new()
            }
        };
        let mut syntax_error = false;
        for op in &merged {
            let op = trim(op);
            if let Err(e) = rules::apply(&mut user, op, &ctx) {
                if e == rules::RuleError::UnknownCommand {
                    errors.push_str(&format!(
                        "{file}:{line_no}: Error in applying operation '{}': {}. ",
                        String::from_utf8_lossy(op),
                        e.message()
                    ));
                } else if !syntax_error {
                    errors.push_str(&format!("{file}:{line_no}: {}. ", e.message()));
                    syntax_error = true;
                }
            }
        }
        users.push(user);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed",
        );
        Err(errors)
    }
}

fn trim(op: &[u8]) -> &[u8] {
    let start = op
        .iter()
        .position(|b| !matches!(b, b'\t' | b'\r' | b'\n'))
        .unwrap_or(op.len());
    let end = op
        .iter()
        .rposition(|b| !matches!(b, b'\t' | b'\r' | b'\n'))
        .map_or(start, |e| e + 1);
    &op[start..end.max(start)]
}

/// Read and parse the ACL file at `path`.
pub fn read(srv: &Server, path: &Path) -> Result<Vec<User>, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{}': {}",
            path.display(),
            os_error(&e)
        )
    })?;
    parse(srv, &String::from_utf8_lossy(&text))
}

/// An I/O error as strerror() words it ("No such file or directory").
fn os_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Replace every user by `users`: `default` keeps its place (a file
/// without it gets a fresh one), every other user's clients are closed.
pub fn install(srv: &mut Server, users: Vec<User>, mut current: Option<&mut Client>) {
    let old: Vec<(Vec<u8>, usize)> = srv
        .acl
        .names
        .iter()
        .filter(|(n, _)| n.as_slice() != b"default")
        .map(|(n, s)| (n.clone(), *s))
        .collect();
    for (name, slot) in old {
        srv.acl.remove(&name);
        match current.as_deref_mut() {
            Some(c) => srv.acl_disconnect_user(c, slot),
            None => {
                let mut none = Client::new(0, usize::MAX, None);
                none.user = usize::MAX;
                srv.acl_disconnect_user(&mut none, slot);
            }
        }
    }
    let mut default = None;
    for user in users {
        if user.name == b"default" {
            default = Some(user);
        } else {
            srv.acl.insert(user);
        }
    }
    let default = default.unwrap_or_else(|| {
        let ctx = srv.acl_ctx();
        let mut d = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = rules::apply(&mut d, op.as_bytes(), &ctx);
        }
        d
    });
    srv.acl.users[0] = Some(default);
}

/// Load the ACL file at startup.
pub fn load_file(srv: &mut Server, path: &Path) -> Result<(), String> {
    let users = read(srv, path)?;
    install(srv, users, None);
    Ok(())
}

/// `user <name> <rules>` for every user, in name order.
pub fn user_lines(srv: &Server) -> Vec<String> {
    let ctx = srv.acl_ctx();
    srv.acl
        .names
        .iter()
        .filter_map(|(name, &slot)| {
            let user = srv.acl.user(slot)?;
            Some(format!(
                "user {} {}",
                String::from_utf8_lossy(name),
                rules::describe_user(user, &ctx)
            ))
        })
        .collect()
}

/// Write every user to `path` (a temporary file renamed over it).
pub fn save(srv: &Server, path: &Path) -> std::io::Result<()> {
    let mut text = String::new();
    for line in user_lines(srv) {
        text.push_str(&line);
        text.push('\n');
    }
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        crate::server::clock::unix_ms()
    ));
    let tmp = std::path::PathBuf::from(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl Server {
    /// The `user` lines CONFIG REWRITE writes.
    pub fn acl_user_lines(&self) -> Vec<String> {
        user_lines(self)
    }
}
