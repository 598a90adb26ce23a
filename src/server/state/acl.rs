//! The ACL state: users (each a set of passwords, flags and selectors) and
//! the ACL log.
//! Data only: rules are parsed, described and checked in
//! [`crate::server::acl`].

use std::collections::{BTreeMap, VecDeque};

/// A key pattern may be read (`%R~`).
pub const READ: u8 = 1;
/// A key pattern may be written (`%W~`).
pub const WRITE: u8 = 2;
/// `~pattern`: both.
pub const READ_WRITE: u8 = READ | WRITE;

/// Commands are numbered by their index in the command table; a selector
/// holds one bit per command (and subcommand).
pub const COMMAND_BITS: usize = 1024;

/// One bit per command-table entry.
pub type CommandBits = [u64; COMMAND_BITS / 64];

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KeyPattern {
    pub flags: u8,
    pub pattern: Vec<u8>,
}

/// A set of permissions: commands, keys, channels. A command runs when
/// one selector of the user allows all of it.
#[derive(Clone, Debug)]
pub struct Selector {
    /// The user's own permissions (outside parentheses).
    pub root: bool,
    pub all_keys: bool,
    pub all_channels: bool,
    pub all_commands: bool,
    /// Set by `+@all` / `allcommands`, cleared by `-@all` / `nocommands`:
    /// the rules started from everything (Redis's reserved "future
    /// commands" bit), which decides how they are described.
    pub from_all: bool,
    pub commands: CommandBits,
    /// Allowed first arguments of otherwise denied commands (`+select|0`),
    /// by command index.
    pub first_args: Vec<(usize, Vec<Vec<u8>>)>,
    pub keys: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    /// No permissions, with the channels `acl-pubsub-default` grants.
    pub fn new(root: bool, all_channels: bool) -> Selector {
        Selector {
            root,
            all_keys: false,
            all_channels,
            all_commands: false,
            from_all: false,
            commands: [0; COMMAND_BITS / 64],
            first_args: Vec::new(),
            keys: Vec::new(),
            channels: Vec::new(),
        }
    }

    pub fn allows(&self, index: usize) -> bool {
        index < COMMAND_BITS && self.commands[index / 64] & (1 << (index % 64)) != 0
    }

    pub fn set_bit(&mut self, index: usize, on: bool) {
        if index >= COMMAND_BITS {
            return;
        }
        if on {
            self.commands[index / 64] |= 1 << (index % 64);
        } else {
            self.commands[index / 64] &= !(1 << (index % 64));
            self.all_commands = false;
        }
    }
}

/// Whether payloads of RESTORE are sanitized for this user.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sanitize {
    Unset,
    Sanitize,
    Skip,
}

#[derive(Clone, Debug)]
pub struct User {
    pub name: Vec<u8>,
    /// `on` (a new user is `off`).
    pub enabled: bool,
    /// Any password is accepted.
    pub nopass: bool,
    pub sanitize: Sanitize,
    /// SHA-256 hashes, lowercase hex.
    pub passwords: Vec<String>,
    /// The root selector first.
    pub selectors: Vec<Selector>,
}

impl User {
    /// A new user: off, no password, no permissions.
    pub fn new(name: &[u8], all_channels: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: Sanitize::Unset,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true, all_channels)],
        }
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    pub fn root_mut(&mut self) -> &mut Selector {
        &mut self.selectors[0]
    }

    /// Whether every command on every key and channel is allowed (the check
    /// can be skipped).
    pub fn unrestricted(&self) -> bool {
        let root = self.root();
        root.all_commands && root.all_keys && root.all_channels
    }
}

/// Why a command was refused (ordered as Redis ranks them when several
/// selectors fail).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Reason {
    Command,
    Key,
    Auth,
    Channel,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Auth => "auth",
            Reason::Channel => "channel",
        }
    }
}

/// Where the refused command ran.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Context {
    Toplevel,
    Multi,
    Lua,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

/// One ACL LOG entry; similar events within a minute are counted in one.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// Unix milliseconds of the last event.
    pub ms: i64,
    pub client_info: String,
}

/// Every user, by slot (slot 0 is `default`, which cannot be deleted).
#[derive(Default)]
pub struct Acl {
    pub users: Vec<Option<User>>,
    pub names: BTreeMap<Vec<u8>, usize>,
    pub log: VecDeque<LogEntry>,
}

impl Acl {
    pub fn user(&self, slot: usize) -> Option<&User> {
        self.users.get(slot)?.as_ref()
    }

    pub fn slot_of(&self, name: &[u8]) -> Option<usize> {
        self.names.get(name).copied()
    }

    pub fn by_name(&self, name: &[u8]) -> Option<&User> {
        self.slot_of(name).and_then(|s| self.user(s))
    }

    pub fn default_user(&self) -> Option<&User> {
        self.user(0)
    }

    /// Add a user (its name must be new) and return its slot.
    pub fn insert(&mut self, user: User) -> usize {
        let slot = match self.users.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                self.users.push(None);
                self.users.len() - 1
            }
        };
        self.names.insert(user.name.clone(), slot);
        self.users[slot] = Some(user);
        slot
    }

    pub fn remove(&mut self, name: &[u8]) -> Option<usize> {
        let slot = self.names.remove(name)?;
        self.users[slot] = None;
        Some(slot)
    }
}
