//! ACL: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOG,
//! SAVE, LOAD, DRYRUN and HELP, with Redis 7.0's replies and messages. The
//! rules themselves are parsed and described in [`crate::server::acl`].

use super::super::Server;
use super::super::acl::{self, categories, file, rules};
use super::super::command::{Lookup, Spec, flags::*};
use super::super::connection::Client;
use super::super::state::acl::Reason;
use super::subcommand_syntax_error;
use super::{help, is};
use crate::resp::number::string2ll;

const G: &str = "server";
const ADMIN_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const PLAIN: u32 = NOSCRIPT | LOADING | STALE;

pub const COMMANDS: &[Spec] = &[Spec::container(
    "acl",
    -2,
    G,
    "6.0.0",
    "A container for Access List Control commands",
    ACL,
)];

const ACL: &[Spec] = &[
    Spec::new(
        "cat",
        -2,
        PLAIN,
        G,
        "6.0.0",
        "List the ACL categories or the commands inside a category",
        cat,
    ),
    Spec::new(
        "deluser",
        -3,
        ADMIN_FLAGS,
        G,
        "6.0.0",
        "Remove the specified ACL users and the associated rules",
        deluser,
    ),
    Spec::new(
        "dryrun",
        -4,
        ADMIN_FLAGS,
        G,
        "7.0.0",
        "Returns whether the user can execute the given command without executing the command.",
        dryrun,
    ),
    Spec::new(
        "genpass",
        -2,
        PLAIN,
        G,
        "6.0.0",
        "Generate a pseudorandom secure password to use for ACL users",
        genpass,
    ),
    Spec::new(
        "getuser",
        3,
        ADMIN_FLAGS,
        G,
        "6.0.0",
        "Get the rules for a specific ACL user",
        getuser,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "6.0.0",
        "Show helpful text about the different subcommands",
        acl_help,
    ),
    Spec::new(
        "list",
        2,
        ADMIN_FLAGS,
        G,
        "6.0.0",
        "List the current ACL rules in ACL config file format",
        list,
    ),
    Spec::new(
        "load",
        2,
        ADMIN_FLAGS,
        G,
        "6.0.0",
        "Reload the ACLs from the configured ACL file",
        load,
    ),
    Spec::new(
        "log",
        -2,
        ADMIN_FLAGS,
        G,
        "6.0.0",
        "List latest events denied because of ACLs in place",
        log,
    ),
    Spec::new(
        "save",
        2,
        ADMIN_FLAGS,
        G,
        "6.0.0",
        "Save the current ACL rules in the configured ACL file",
        save,
    ),
    Spec::new(
        "setuser",
        -3,
        ADMIN_FLAGS,
        G,
        "6.0.0",
        "Modify or create the rules for a specific ACL user",
        setuser,
    ),
    Spec::new(
        "users",
        2,
        ADMIN_FLAGS,
        G,
        "6.0.0",
        "List the username of all the configured ACL rules",
        users,
    ),
    Spec::new(
        "whoami",
        2,
        PLAIN,
        G,
        "6.0.0",
        "Return the name of the user associated to the current connection",
        whoami,
    ),
];

fn setuser(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let name = args[2];
    if rules::has_spaces(name) {
        client
            .reply
            .error("Usernames can't contain spaces or null characters");
        return;
    }
    let slot = srv.acl.slot_of(name);
    let staged = {
        let ctx = srv.acl_ctx();
        let existing = slot.and_then(|s| srv.acl.user(s));
        rules::set_user(existing, name, &args[3..], &ctx)
    };
    let user = match staged {
        Ok(user) => user,
        Err(message) => {
            client.reply.error(&message);
            return;
        }
    };
    match slot {
        Some(slot) => {
            let old = srv.acl.user(slot).cloned();
            if let Some(old) = old {
                srv.acl_kill_revoked_subscribers(client, &old, &user);
            }
            srv.acl.users[slot] = Some(user);
        }
        None => {
            srv.acl.insert(user);
        }
    }
    client.reply.ok();
}

fn deluser(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args[2..].iter().any(|n| *n == b"default") {
        client.reply.error("The 'default' user cannot be removed");
        return;
    }
    let mut deleted = 0;
    for name in &args[2..] {
        if let Some(slot) = srv.acl.remove(name) {
            srv.acl_disconnect_user(client, slot);
            deleted += 1;
        }
    }
    client.reply.int(deleted);
}

/// The commands, keys and channels fields of a selector.
fn reply_selector(srv: &Server, client: &mut Client, sel: &super::super::state::acl::Selector) {
    let ctx = srv.acl_ctx();
    let r = &mut client.reply;
    r.bulk(b"commands");
    r.bulk(rules::describe_commands(sel, &ctx).as_bytes());
    r.bulk(b"keys");
    r.bulk(rules::keys_field(sel).as_bytes());
    r.bulk(b"channels");
    r.bulk(rules::channels_field(sel).as_bytes());
}

fn getuser(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(user) = srv.acl.by_name(args[2]).cloned() else {
        client.reply.null();
        return;
    };
    client.reply.map(6);
    client.reply.bulk(b"flags");
    let mut flags: Vec<&str> = vec![if user.enabled { "on" } else { "off" }];
    if user.nopass {
        flags.push("nopass");
    }
    match user.sanitize {
        super::super::state::acl::Sanitize::Skip => flags.push("skip-sanitize-payload"),
        super::super::state::acl::Sanitize::Sanitize => flags.push("sanitize-payload"),
        super::super::state::acl::Sanitize::Unset => {}
    }
    client.reply.set(flags.len());
    for f in flags {
        client.reply.bulk(f.as_bytes());
    }
    client.reply.bulk(b"passwords");
    client.reply.array(user.passwords.len());
    for p in &user.passwords {
        client.reply.bulk(p.as_bytes());
    }
    reply_selector(srv, client, user.root());
    client.reply.bulk(b"selectors");
    client.reply.array(user.selectors.len() - 1);
    for sel in &user.selectors[1..] {
        client.reply.map(3);
        reply_selector(srv, client, sel);
    }
}

fn list(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let lines = file::user_lines(srv);
    client.reply.array(lines.len());
    for line in lines {
        client.reply.bulk(line.as_bytes());
    }
}

fn users(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.array(srv.acl.names.len());
    for name in srv.acl.names.keys() {
        client.reply.bulk(name);
    }
}

fn whoami(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let name = client.user_name.clone();
    client.reply.bulk(&name);
}

const NO_ACL_FILE: &str = "This Redis instance is not configured to use an ACL file. You may want \
                           to specify users via the ACL SETUSER command and then issue a CONFIG \
                           REWRITE (assuming you have a Redis configuration file set) in order \
                           to store users in the Redis configuration.";

fn load(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    if srv.config.aclfile.is_empty() {
        client.reply.error(NO_ACL_FILE);
        return;
    }
    let path = srv.acl_file_path();
    match file::read(srv, &path) {
        Ok(users) => {
            file::install(srv, users, Some(client));
            client.reply.ok();
        }
        Err(errors) => client.reply.error(&errors),
    }
}

fn save(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    if srv.config.aclfile.is_empty() {
        client.reply.error(NO_ACL_FILE);
        return;
    }
    let path = srv.acl_file_path();
    match file::save(srv, &path) {
        Ok(()) => client.reply.ok(),
        Err(e) => {
            srv.log.warning(
                "Writing ACL file for ACL SAVE",
                &[("error", crate::output::log::Field::Str(&e.to_string()))],
            );
            client.reply.error(
                "There was an error trying to save the ACLs. Please check the server logs for \
                 more information",
            );
        }
    }
}

fn cat(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match args.len() {
        2 => {
            client.reply.array(categories::NAMES.len());
            for name in categories::NAMES {
                client.reply.bulk(name.as_bytes());
            }
        }
        3 => {
            let Some(mask) = categories::by_name(args[2]) else {
                let name = String::from_utf8_lossy(&args[2][..args[2].len().min(128)]).into_owned();
                client.reply.error(&format!("Unknown category '{name}'"));
                return;
            };
            let names: Vec<&str> = srv
                .commands
                .entries
                .iter()
                .zip(&srv.acl_commands)
                .filter(|(_, info)| info.categories & mask != 0)
                .map(|(e, _)| e.full_name.as_str())
                .collect();
            client.reply.array(names.len());
            for name in names {
                client.reply.bulk(name.as_bytes());
            }
        }
        _ => subcommand_syntax_error(client, args),
    }
}

fn genpass(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    const MAX_BITS: i64 = 4096;
    if args.len() > 3 {
        subcommand_syntax_error(client, args);
        return;
    }
    let mut bits = 256;
    if let Some(arg) = args.get(2) {
        match string2ll(arg) {
            Some(n) => bits = n,
            None => {
                client
                    .reply
                    .error("value is not an integer or out of range");
                return;
            }
        }
    }
    if bits <= 0 || bits > MAX_BITS {
        client.reply.error(&format!(
            "ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to {MAX_BITS}"
        ));
        return;
    }
    let chars = (bits as usize).div_ceil(4);
    match acl::random_hex(chars) {
        Some(pass) => client.reply.bulk(pass.as_bytes()),
        None => client.reply.error("no random source available"),
    }
}

fn log(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 3 {
        subcommand_syntax_error(client, args);
        return;
    }
    let mut count: i64 = 10;
    if let Some(arg) = args.get(2) {
        if is(arg, "reset") {
            srv.acl.log.clear();
            client.reply.ok();
            return;
        }
        match string2ll(arg) {
            Some(n) => count = n.max(0),
            None => {
                client
                    .reply
                    .error("value is not an integer or out of range");
                return;
            }
        }
    }
    let count = (count as usize).min(srv.acl.log.len());
    let now = super::super::clock::unix_ms();
    client.reply.array(count);
    for entry in srv.acl.log.iter().take(count) {
        let r = &mut client.reply;
        r.map(7);
        r.bulk(b"count");
        r.int(entry.count as i64);
        r.bulk(b"reason");
        r.bulk(entry.reason.name().as_bytes());
        r.bulk(b"context");
        r.bulk(entry.context.name().as_bytes());
        r.bulk(b"object");
        r.bulk(&entry.object);
        r.bulk(b"username");
        r.bulk(&entry.username);
        r.bulk(b"age-seconds");
        r.double((now - entry.ms) as f64 / 1000.0);
        r.bulk(b"client-info");
        r.bulk(entry.client_info.as_bytes());
    }
}

fn dryrun(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(slot) = srv.acl.slot_of(args[2]) else {
        client.reply.error(&format!(
            "User '{}' not found",
            String::from_utf8_lossy(args[2])
        ));
        return;
    };
    let line = &args[3..];
    let index = match srv.commands.lookup(line) {
        Lookup::Found(i) => i,
        Lookup::UnknownSubcommand(i) if acl::flat(&srv.commands.entries[i].full_name) => i,
        _ => {
            client.reply.error(&format!(
                "Command '{}' not found",
                String::from_utf8_lossy(args[3])
            ));
            return;
        }
    };
    let entry = &srv.commands.entries[index];
    if !entry.spec.arity_ok(line.len()) {
        client.reply.error(&format!(
            "wrong number of arguments for '{}' command",
            entry.full_name
        ));
        return;
    }
    let Some(user) = srv.acl.user(slot) else {
        client.reply.ok();
        return;
    };
    match acl::check_user(user, &srv.commands, &srv.acl_commands, index, line) {
        Ok(()) => client.reply.ok(),
        Err(denial) => {
            let arg = String::from_utf8_lossy(line.get(denial.pos).copied().unwrap_or_default());
            let text = match denial.reason {
                Reason::Command => format!(
                    "This user has no permissions to run the '{}' command",
                    srv.commands.entries[srv.acl_commands[index].governor].full_name
                ),
                Reason::Key => format!("This user has no permissions to access the '{arg}' key"),
                _ => format!("This user has no permissions to access the '{arg}' channel"),
            };
            client.reply.bulk(text.as_bytes());
        }
    }
}

fn acl_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
}
