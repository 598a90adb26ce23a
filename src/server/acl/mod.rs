//! Access control lists, as Redis 7.0 has them: users with passwords
//! (stored as SHA-256), on/off, and selectors of commands (by name,
//! subcommand or category), key patterns with read/write permissions and
//! channel patterns. [`Server::acl_check`] is the permission check that
//! [`Server::check`] runs before every command: it finds a command's keys
//! through the same key specifications as COMMAND GETKEYS and its channels
//! as Redis does, so a rule falls on the same arguments as in Redis.
//!
//! - [`categories`]: the category of every command.
//! - [`rules`]: applying and describing rules.
//! - [`file`]: the ACL file (ACL LOAD/SAVE, `aclfile`) and the `user`
//!   directives of the configuration.

pub mod categories;
pub mod file;
pub mod rules;

use super::Server;
use super::command::{Table, flags};
use super::commands::getkeys::{Specs, keys_of};
use super::connection::Client;
use super::state::acl::{Context, LogEntry, READ, Reason, Selector, User, WRITE};

/// PUBLISH / SPUBLISH: the channel is argument 1.
pub const CHANNELS_PUBLISH: u8 = 1;
/// SUBSCRIBE / SSUBSCRIBE: every argument is a channel.
pub const CHANNELS_SUBSCRIBE: u8 = 2;
/// PSUBSCRIBE: every argument is a pattern (matched literally).
pub const CHANNELS_PATTERN: u8 = 3;

/// What the permission check knows about each command-table entry.
#[derive(Clone, Copy)]
pub struct CommandInfo {
    pub categories: u32,
    pub specs: Specs,
    pub has_keys: bool,
    /// Channel arguments: 0 none, else a `CHANNELS_*` kind.
    pub channels: u8,
    /// One key at a fixed position (see [`Specs::single_key`]): its
    /// position and the permission it needs.
    pub single_key: Option<(usize, u8)>,
    /// SET: one key at 1, needing write access, and read access too with
    /// the GET option.
    pub is_set: bool,
    /// The entry whose command rules govern this one: itself, or the
    /// container of a subcommand of a [`flat`] command.
    pub governor: usize,
}

/// Commands Redis has without subcommands that sonde's table splits into
/// subcommands (DEBUG): ACL rules see only the command, and `+debug|x`
/// allows one first argument as `+select|0` does.
pub fn flat(name: &str) -> bool {
    name == "debug"
}

/// The entry whose command rules govern entry `index`.
pub fn governor(table: &Table, index: usize) -> usize {
    match table.entries[index].parent {
        Some(p) if flat(&table.entries[p].full_name) => p,
        _ => index,
    }
}

/// The per-command data of the whole table, computed once.
pub fn command_info(table: &Table) -> Vec<CommandInfo> {
    table
        .entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let name = entry.full_name.as_str();
            let specs = Specs::of(name);
            let governor = governor(table, index);
            CommandInfo {
                // A subcommand of a flat command is in no category of its own.
                categories: if governor != index {
                    0
                } else {
                    categories::of(name).unwrap_or_else(|| implied(entry.spec))
                },
                specs,
                has_keys: specs.has_keys(name),
                single_key: specs
                    .single_key(name)
                    .map(|(pos, flags)| (pos, key_need(flags))),
                is_set: name == "set",
                channels: match name {
                    "publish" | "spublish" => CHANNELS_PUBLISH,
                    "subscribe" | "ssubscribe" => CHANNELS_SUBSCRIBE,
                    "psubscribe" => CHANNELS_PATTERN,
                    _ => 0,
                },
                governor,
            }
        })
        .collect()
}

/// Categories from the flags alone, for a command Redis does not have.
fn implied(spec: &super::command::Spec) -> u32 {
    let bit = |name: &str| categories::by_name(name.as_bytes()).unwrap_or(0);
    let mut mask = 0;
    if spec.has(flags::WRITE) {
        mask |= bit("write");
    }
    if spec.has(flags::READONLY) {
        mask |= bit("read");
    }
    if spec.has(flags::ADMIN) {
        mask |= bit("admin") | bit("dangerous");
    }
    if spec.has(flags::PUBSUB) {
        mask |= bit("pubsub");
    }
    if spec.has(flags::BLOCKING) {
        mask |= bit("blocking");
    }
    mask |= if spec.has(flags::FAST) {
        bit("fast")
    } else {
        bit("slow")
    };
    mask
}

/// A refused command: why, and the argument (key or channel) at fault.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Denial {
    pub reason: Reason,
    pub pos: usize,
}

/// The permission a key needs under its key-spec flags.
fn key_need(flags: &[&str]) -> u8 {
    let mut need = 0;
    for f in flags {
        match *f {
            "ACCESS" => need |= READ,
            "INSERT" | "DELETE" | "UPDATE" => need |= WRITE,
            _ => {}
        }
    }
    need
}

type Keys = Vec<(usize, &'static [&'static str])>;

fn check_selector(
    sel: &Selector,
    table: &Table,
    index: usize,
    info: &CommandInfo,
    args: &[&[u8]],
    keys: &mut Option<Keys>,
) -> Result<(), Denial> {
    let entry = &table.entries[index];
    let governor = info.governor;
    if !sel.all_commands && !entry.spec.has(flags::NO_AUTH) && !sel.allows(governor) {
        let at = if table.entries[governor].parent.is_some() {
            2
        } else {
            1
        };
        let allowed = args.len() >= 2
            && sel.first_args.iter().any(|(i, allowed)| {
                *i == governor
                    && args
                        .get(at)
                        .is_some_and(|a| allowed.iter().any(|x| x.eq_ignore_ascii_case(a)))
            });
        if !allowed {
            return Err(Denial {
                reason: Reason::Command,
                pos: 0,
            });
        }
    }
    if !sel.all_keys && info.has_keys {
        // The common shapes first, without collecting the keys.
        let single = match info.single_key {
            Some((pos, need)) => Some((pos, need)),
            None if info.is_set => {
                let get = args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
                Some((1, if get { READ | WRITE } else { WRITE }))
            }
            None => None,
        };
        if let Some((pos, need)) = single {
            // Past the end: the key specs find no key (as Redis).
            if let Some(key) = args.get(pos)
                && !key_allowed(sel, key, need)
            {
                return Err(Denial {
                    reason: Reason::Key,
                    pos,
                });
            }
            return check_channels(sel, info, args);
        }
        let keys = keys.get_or_insert_with(|| keys_of(&entry.full_name, info.specs, args));
        for &(pos, flags) in keys.iter() {
            if !key_allowed(sel, args[pos], key_need(flags)) {
                return Err(Denial {
                    reason: Reason::Key,
                    pos,
                });
            }
        }
    }
    check_channels(sel, info, args)
}

fn key_allowed(sel: &Selector, key: &[u8], need: u8) -> bool {
    sel.keys
        .iter()
        .any(|p| p.flags & need == need && crate::glob::matches(&p.pattern, key))
}

fn check_channels(sel: &Selector, info: &CommandInfo, args: &[&[u8]]) -> Result<(), Denial> {
    if !sel.all_channels && info.channels != 0 {
        let positions = match info.channels {
            CHANNELS_PUBLISH => 1..2.min(args.len()),
            _ => 1..args.len(),
        };
        let pattern = info.channels == CHANNELS_PATTERN;
        for pos in positions {
            let channel = args[pos];
            let ok = sel.channels.iter().any(|p| {
                if pattern {
                    p.as_slice() == channel
                } else {
                    crate::glob::matches(p, channel)
                }
            });
            if !ok {
                return Err(Denial {
                    reason: Reason::Channel,
                    pos,
                });
            }
        }
    }
    Ok(())
}

/// Whether `user` may run the command at `index` with `args`: allowed when
/// one selector allows all of it; otherwise the most relevant failure (as
/// Redis ranks them: channel over key over command, then the later
/// argument).
pub fn check_user(
    user: &User,
    table: &Table,
    info: &[CommandInfo],
    index: usize,
    args: &[&[u8]],
) -> Result<(), Denial> {
    if user.unrestricted() {
        return Ok(());
    }
    let mut worst = Denial {
        reason: Reason::Command,
        pos: 0,
    };
    let mut keys = None;
    for sel in &user.selectors {
        match check_selector(sel, table, index, &info[index], args, &mut keys) {
            Ok(()) => return Ok(()),
            Err(d) => {
                if d.reason > worst.reason || (d.reason == worst.reason && d.pos > worst.pos) {
                    worst = d;
                }
            }
        }
    }
    Err(worst)
}

/// Whether `user` may use `channel` (a pattern when `pattern`).
pub fn channel_allowed(user: &User, channel: &[u8], pattern: bool) -> bool {
    user.selectors.iter().any(|s| {
        s.all_channels
            || s.channels.iter().any(|p| {
                if pattern {
                    p.as_slice() == channel
                } else {
                    crate::glob::matches(p, channel)
                }
            })
    })
}

/// Whether `user` may access every key with the `need` permission (SORT's
/// BY and GET patterns need read access to all keys).
pub fn all_keys_allowed(
    user: &User,
    table: &Table,
    info: &[CommandInfo],
    index: usize,
    args: &[&[u8]],
    need: u8,
) -> bool {
    let mut keys = None;
    user.selectors.iter().any(|s| {
        check_selector(s, table, index, &info[index], args, &mut keys).is_ok()
            && (s.all_keys
                || s.keys
                    .iter()
                    .any(|p| p.flags & need == need && p.pattern == b"*"))
    })
}

/// A CLIENT LIST line with its `cmd=` field replaced.
fn with_command(info: &str, command: &str) -> String {
    info.split(' ')
        .map(|field| {
            if field.starts_with("cmd=") {
                format!("cmd={command}")
            } else {
                field.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Compare without an early exit, so timing does not reveal a prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Redis's `-NOPERM` reply for a refused command.
pub fn noperm_message(denial: Denial, full_name: &str) -> String {
    match denial.reason {
        Reason::Command => {
            format!("-NOPERM this user has no permissions to run the '{full_name}' command")
        }
        Reason::Key => {
            "-NOPERM this user has no permissions to access one of the keys used as arguments"
                .to_owned()
        }
        _ => "-NOPERM this user has no permissions to access one of the channels used as \
              arguments"
            .to_owned(),
    }
}

/// Random hex characters from the system's random source (ACL GENPASS).
pub fn random_hex(chars: usize) -> Option<String> {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    let mut out = String::with_capacity(chars + 1);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out.truncate(chars);
    Some(out)
}

/// ACL LOG entries of the same kind within this many ms are merged.
const LOG_GROUPING_MS: i64 = 60_000;

impl Server {
    /// The rule context: the command table, the per-command data and
    /// `acl-pubsub-default`.
    pub fn acl_ctx(&self) -> rules::Ctx<'_> {
        rules::Ctx {
            table: &self.commands,
            info: &self.acl_commands,
            all_channels_default: self.config.acl_pubsub_default_all,
        }
    }

    /// Set up the per-command data and the `default` user (with
    /// requirepass as its password).
    pub fn acl_init(&mut self) {
        self.acl_commands = command_info(&self.commands);
        let mut default = User::new(b"default", false);
        {
            let ctx = self.acl_ctx();
            for op in ["+@all", "~*", "&*", "on", "nopass"] {
                let _ = rules::apply(&mut default, op.as_bytes(), &ctx);
            }
        }
        self.acl = Default::default();
        self.acl.insert(default);
        self.acl_update_requirepass();
    }

    /// Load the users of the configuration at startup: the `user`
    /// directives, or the ACL file.
    pub fn acl_load_at_start(&mut self) -> Result<(), String> {
        if !self.config.aclfile.is_empty() && !self.config.users.is_empty() {
            return Err(
                "Configuring Redis with users defined in redis.conf and at the same \
                        setting an ACL file path is invalid. This setup is very likely to lead \
                        to configuration errors and security holes, please define either an \
                        ACL file or declare users directly in your redis.conf, but not both."
                    .to_owned(),
            );
        }
        file::load_configured_users(self)?;
        if !self.config.aclfile.is_empty() {
            let path = self.acl_file_path();
            file::load_file(self, &path)
                .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
        }
        Ok(())
    }

    /// The ACL file's path: relative to `dir`, which is Redis's working
    /// directory.
    pub fn acl_file_path(&self) -> std::path::PathBuf {
        self.config.dir.join(&self.config.aclfile)
    }

    /// requirepass is the default user's password (an empty one: nopass).
    pub fn acl_update_requirepass(&mut self) {
        let password = self.config.requirepass.clone();
        let ctx = rules::Ctx {
            table: &self.commands,
            info: &self.acl_commands,
            all_channels_default: self.config.acl_pubsub_default_all,
        };
        if let Some(Some(default)) = self.acl.users.get_mut(0) {
            let _ = rules::apply(default, b"resetpass", &ctx);
            match password {
                Some(p) => {
                    let mut op = b">".to_vec();
                    op.extend_from_slice(&p);
                    let _ = rules::apply(default, &op, &ctx);
                }
                None => {
                    let _ = rules::apply(default, b"nopass", &ctx);
                }
            }
        }
    }

    /// Whether a new connection starts authenticated (as `default`).
    pub fn acl_default_open(&self) -> bool {
        self.acl
            .default_user()
            .is_some_and(|d| d.nopass && d.enabled)
    }

    /// Check a user name and password: the user's slot.
    pub fn acl_credentials(&self, name: &[u8], password: &[u8]) -> Option<usize> {
        let slot = self.acl.slot_of(name)?;
        let user = self.acl.user(slot)?;
        if !user.enabled {
            return None;
        }
        if user.nopass {
            return Some(slot);
        }
        let hash = rules::hash_password(password);
        user.passwords
            .iter()
            .any(|p| constant_time_eq(p.as_bytes(), hash.as_bytes()))
            .then_some(slot)
    }

    /// AUTH / HELLO AUTH: authenticate `client` as `name`, or log the
    /// failure (`command` is the command name as sent).
    pub fn acl_authenticate(
        &mut self,
        client: &mut Client,
        name: &[u8],
        password: &[u8],
        command: &[u8],
    ) -> bool {
        match self.acl_credentials(name, password) {
            Some(slot) => {
                client.authenticated = true;
                client.user = slot;
                client.user_name = name.to_vec();
                true
            }
            None => {
                let context = if client.multi.is_some() {
                    Context::Multi
                } else {
                    Context::Toplevel
                };
                self.acl_log(client, Reason::Auth, context, command, name);
                false
            }
        }
    }

    /// Whether the client's user may read every key with the command in
    /// `args` (SORT's BY and GET patterns name keys the key specs cannot
    /// see, so Redis wants unrestricted read access for them).
    pub fn acl_reads_all_keys(&self, client: &Client, args: &[&[u8]]) -> bool {
        let Some(user) = self.acl.user(client.user) else {
            return true;
        };
        if user.unrestricted() {
            return true;
        }
        let super::command::Lookup::Found(index) = self.commands.lookup(args) else {
            return true;
        };
        all_keys_allowed(user, &self.commands, &self.acl_commands, index, args, READ)
    }

    /// The permission check of [`Server::check`]: `None` when allowed,
    /// else the `-NOPERM` reply (the refusal is logged).
    pub fn acl_check(&mut self, client: &Client, index: usize, args: &[&[u8]]) -> Option<String> {
        let user = self.acl.user(client.user)?;
        if user.unrestricted() {
            return None;
        }
        let denial = check_user(user, &self.commands, &self.acl_commands, index, args).err()?;
        let context = if client.multi.is_some() {
            Context::Multi
        } else {
            Context::Toplevel
        };
        self.acl_log_denial(client, denial, context, index, args);
        let governor = self.acl_commands[index].governor;
        Some(noperm_message(
            denial,
            &self.commands.entries[governor].full_name,
        ))
    }

    /// Log a refused command: the command's name, or the key or channel.
    pub fn acl_log_denial(
        &mut self,
        client: &Client,
        denial: Denial,
        context: Context,
        index: usize,
        args: &[&[u8]],
    ) {
        let object = match denial.reason {
            Reason::Command => {
                let governor = self.acl_commands[index].governor;
                self.commands.entries[governor]
                    .full_name
                    .as_bytes()
                    .to_vec()
            }
            _ => args.get(denial.pos).map(|a| a.to_vec()).unwrap_or_default(),
        };
        let user = client.user_name.clone();
        // The refused command is the client's current one (`cmd=`), as
        // Redis sets it before the check.
        let governor = self.acl_commands[index].governor;
        let command = self.commands.entries[governor].full_name.clone();
        self.acl_log(client, denial.reason, context, &object, &user);
        if let Some(entry) = self.acl.log.front_mut() {
            entry.client_info = with_command(&entry.client_info, &command);
        }
    }

    /// Add an ACL LOG entry, merged with a recent similar one.
    pub fn acl_log(
        &mut self,
        client: &Client,
        reason: Reason,
        context: Context,
        object: &[u8],
        username: &[u8],
    ) {
        let now = super::clock::unix_ms();
        let info = client.info_line(std::time::Instant::now());
        let log = &mut self.acl.log;
        let similar = log.iter().take(10).position(|e| {
            e.reason == reason
                && e.context == context
                && (e.ms - now).abs() <= LOG_GROUPING_MS
                && e.object == object
                && e.username == username
        });
        if let Some(at) = similar
            && let Some(mut entry) = log.remove(at)
        {
            entry.count += 1;
            entry.ms = now;
            entry.client_info = info;
            log.push_front(entry);
            return;
        }
        log.push_front(LogEntry {
            count: 1,
            reason,
            context,
            object: object.to_vec(),
            username: username.to_vec(),
            ms: now,
            client_info: info,
        });
        while log.len() as u64 > self.config.acllog_max_len {
            log.pop_back();
        }
    }

    /// Close every client authenticated as the user in `slot` (deleted or
    /// reloaded); `current` is the client running the command, which gets
    /// its reply first.
    pub fn acl_disconnect_user(&mut self, current: &mut Client, slot: usize) {
        let victims: Vec<usize> = self
            .clients
            .iter()
            .filter(|c| c.user == slot && !c.is_master)
            .map(|c| c.slot)
            .collect();
        for victim in victims {
            if let Some(c) = self.clients.get_mut(victim) {
                c.user = 0;
                c.user_name = b"default".to_vec();
                c.authenticated = false;
            }
            self.kill_client(victim);
        }
        if current.user == slot && !current.is_master {
            current.user = 0;
            current.user_name = b"default".to_vec();
            current.authenticated = false;
            current.close_after_reply = true;
        }
    }

    /// After a user's channel permissions changed: close its subscribers
    /// whose subscriptions the new rules no longer allow (unless the new
    /// rules keep every channel the old ones had).
    pub fn acl_kill_revoked_subscribers(&mut self, current: &mut Client, old: &User, new: &User) {
        if new.selectors.iter().any(|s| s.all_channels) {
            return;
        }
        let upcoming: Vec<&Vec<u8>> = new.selectors.iter().flat_map(|s| &s.channels).collect();
        let superset = old
            .selectors
            .iter()
            .all(|s| !s.all_channels && s.channels.iter().all(|c| upcoming.contains(&c)));
        if superset {
            return;
        }
        let Some(slot) = self.acl.slot_of(&old.name) else {
            return;
        };
        let allowed = |p: &[u8], pattern: bool| {
            upcoming.iter().any(|u| {
                if pattern {
                    u.as_slice() == p
                } else {
                    crate::glob::matches(u, p)
                }
            })
        };
        let violates = |c: &Client| {
            c.user == slot
                && c.subs.as_ref().is_some_and(|s| {
                    s.patterns.iter().any(|p| !allowed(p, true))
                        || s.channels.iter().any(|p| !allowed(p, false))
                        || s.shard_channels.iter().any(|p| !allowed(p, false))
                })
        };
        let victims: Vec<usize> = self
            .clients
            .iter()
            .filter(|c| violates(c))
            .map(|c| c.slot)
            .collect();
        for victim in victims {
            self.kill_client(victim);
        }
        if violates(current) {
            current.close_after_reply = true;
        }
    }
}
