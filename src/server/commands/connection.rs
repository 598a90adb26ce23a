//! Connection commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET and
//! CLIENT — the state of the calling connection and of the others.

use std::time::Instant;

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::{Client, ReplyMode};
use super::{db_arg, help, int_arg, is};
use crate::resp::number::string2ll;

const G: &str = "connection";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "ping",
        -1,
        FAST | PUBSUB_CONTEXT,
        G,
        "1.0.0",
        "Ping the server",
        ping,
    ),
    Spec::new(
        "echo",
        2,
        LOADING | STALE | FAST,
        G,
        "1.0.0",
        "Echo the given string",
        echo,
    ),
    Spec::new(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | MULTI_CONTROL | PUBSUB_CONTEXT,
        G,
        "1.0.0",
        "Close the connection",
        quit,
    ),
    Spec::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        G,
        "6.0.0",
        "Handshake with Redis",
        hello,
    ),
    Spec::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        G,
        "1.0.0",
        "Authenticate to the server",
        auth,
    ),
    Spec::new(
        "select",
        2,
        LOADING | STALE | FAST,
        G,
        "1.0.0",
        "Change the selected database for the current connection",
        select,
    ),
    Spec::new(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY | MULTI_CONTROL | PUBSUB_CONTEXT,
        G,
        "6.2.0",
        "Reset the connection",
        reset,
    ),
    Spec::container(
        "client",
        -2,
        G,
        "2.4.0",
        "A container for client connection commands",
        CLIENT,
    ),
];

const CLIENT: &[Spec] = &[
    super::tracking::TRACKING,
    super::tracking::CACHING,
    super::tracking::GETREDIR,
    super::tracking::TRACKINGINFO,
    Spec::new(
        "id",
        2,
        NOSCRIPT | LOADING | STALE,
        G,
        "5.0.0",
        "Returns the client ID for the current connection",
        client_id,
    ),
    Spec::new(
        "setname",
        3,
        NOSCRIPT | LOADING | STALE,
        G,
        "2.6.9",
        "Set the current connection name",
        client_setname,
    ),
    Spec::new(
        "getname",
        2,
        NOSCRIPT | LOADING | STALE,
        G,
        "2.6.9",
        "Get the current connection name",
        client_getname,
    ),
    Spec::new(
        "list",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.4.0",
        "Get the list of client connections",
        client_list,
    ),
    Spec::new(
        "info",
        2,
        NOSCRIPT | LOADING | STALE,
        G,
        "6.2.0",
        "Returns information about the current client connection.",
        client_info,
    ),
    Spec::new(
        "unblock",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "5.0.0",
        "Unblock a client blocked in a blocking command from a different connection",
        client_unblock,
    ),
    Spec::new(
        "kill",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "2.4.0",
        "Kill the connection of a client",
        client_kill,
    ),
    Spec::new(
        "no-evict",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "7.0.0",
        "Set client eviction mode for the current connection",
        client_no_evict,
    ),
    Spec::new(
        "pause",
        -3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "3.0.0",
        "Stop processing commands from clients for some time",
        client_pause,
    ),
    Spec::new(
        "unpause",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        G,
        "6.2.0",
        "Resume processing of clients that were paused",
        client_unpause,
    ),
    Spec::new(
        "reply",
        3,
        NOSCRIPT | LOADING | STALE,
        G,
        "3.2.0",
        "Instruct the server whether to reply to commands",
        client_reply,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "5.0.0",
        "Show helpful text about the different subcommands",
        client_help,
    ),
];

fn ping(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if client.in_pubsub_context() && args.len() <= 2 {
        // Subscribed RESP2 clients get PING's answer as a message-shaped
        // array, which their reader expects.
        client.reply.array(2);
        client.reply.bulk(b"pong");
        client.reply.bulk(args.get(1).copied().unwrap_or(b""));
        return;
    }
    match args.len() {
        1 => client.reply.raw(b"+PONG\r\n"),
        2 => client.reply.bulk(args[1]),
        _ => client
            .reply
            .error("wrong number of arguments for 'ping' command"),
    }
}

fn echo(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    client.reply.bulk(args[1]);
}

fn quit(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.ok();
    client.close_after_reply = true;
}

const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.";

fn auth(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 3 {
        client.reply.syntax_error();
        return;
    }
    let (user, password): (&[u8], &[u8]) = if args.len() == 2 {
        if srv.acl.default_user().is_none_or(|d| d.nopass) {
            client.reply.error(
                "AUTH <password> called without any password configured for the default user. \
                 Are you sure your configuration is correct?",
            );
            return;
        }
        (b"default", args[1])
    } else {
        (args[1], args[2])
    };
    if srv.acl_authenticate(client, user, password, args[0]) {
        client.reply.ok();
    } else {
        srv.log.verbose("Failed authentication", &[]);
        client.reply.error(WRONGPASS);
    }
}

fn hello(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut version = None;
    let mut next = 1;
    if let Some(arg) = args.get(1) {
        let Some(v) = string2ll(arg) else {
            client
                .reply
                .error("Protocol version is not an integer or out of range");
            return;
        };
        if !(2..=3).contains(&v) {
            client.reply.error("-NOPROTO unsupported protocol version");
            return;
        }
        version = Some(v);
        next = 2;
    }
    let mut credentials = None;
    let mut name = None;
    let mut j = next;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(args[j], "auth") && more >= 2 {
            credentials = Some((args[j + 1], args[j + 2]));
            j += 2;
        } else if is(args[j], "setname") && more >= 1 {
            name = Some(args[j + 1]);
            j += 1;
        } else {
            let end = memchr::memchr(0, args[j]).unwrap_or(args[j].len());
            client.reply.error(&format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&args[j][..end])
            ));
            return;
        }
        j += 1;
    }
    if let Some((user, password)) = credentials
        && !srv.acl_authenticate(client, user, password, args[0])
    {
        client.reply.error(WRONGPASS);
        return;
    }
    if srv.auth_required(client) {
        client.reply.error(
            "-NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time",
        );
        return;
    }
    if let Some(name) = name
        && !set_name(client, name)
    {
        return;
    }
    if let Some(v) = version {
        client.reply.resp3 = v == 3;
    }
    let r = &mut client.reply;
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(super::super::REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(if r.resp3 { 3 } else { 2 });
    r.bulk(b"id");
    r.int(client.id as i64);
    let r = &mut client.reply;
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(if srv.replication.upstream.is_some() {
        b"replica"
    } else {
        b"master"
    });
    r.bulk(b"modules");
    r.array(0);
}

fn select(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if let Some(db) = db_arg(client, args[1], srv.ks.dbs.len()) {
        client.db = db;
        client.reply.ok();
    }
}

fn reset(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.discard_transaction(&mut srv.transactions.watches);
    srv.drop_subscriptions(client);
    srv.disable_tracking(client);
    if client.monitor {
        client.monitor = false;
        srv.monitors -= 1;
    }
    client.db = 0;
    client.reply.resp3 = false;
    client.name = None;
    client.reply_mode = ReplyMode::On;
    client.no_evict = false;
    client.user = 0;
    client.user_name = b"default".to_vec();
    client.authenticated = srv.acl_default_open();
    client.reply.raw(b"+RESET\r\n");
}

/// CLIENT SETNAME's rule: printable ASCII without spaces; empty clears.
fn set_name(client: &mut Client, name: &[u8]) -> bool {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        client
            .reply
            .error("Client names cannot contain spaces, newlines or special characters.");
        return false;
    }
    client.name = (!name.is_empty()).then(|| name.to_vec());
    true
}

fn client_id(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.int(client.id as i64);
}

fn client_setname(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if set_name(client, args[2]) {
        client.reply.ok();
    }
}

fn client_getname(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    match client.name.clone() {
        Some(name) => client.reply.bulk(&name),
        None => client.reply.null(),
    }
}

/// Every client's CLIENT LIST line, the caller included, by id.
fn all_lines(srv: &Server, me: &Client, keep: impl Fn(&Client) -> bool) -> String {
    let now = Instant::now();
    let mut clients: Vec<&Client> = srv.clients.iter().collect();
    clients.push(me);
    clients.sort_by_key(|c| c.id);
    let mut out = String::new();
    for c in clients.into_iter().filter(|c| keep(c)) {
        let shared = match (&c.replica, &srv.replication.backlog) {
            (Some(_), Some(b)) => b.share(c.id),
            _ => 0,
        };
        out.push_str(&c.info_line_sharing(now, shared));
        out.push('\n');
    }
    out
}

fn client_list(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let text = match args.len() {
        2 => all_lines(srv, client, |_| true),
        4 if is(args[2], "type") => {
            let kind = args[3].to_ascii_lowercase();
            match kind.as_slice() {
                b"normal" => all_lines(srv, client, |c| c.kind() == "normal"),
                b"master" => all_lines(srv, client, |c| c.kind() == "master"),
                b"replica" | b"slave" => all_lines(srv, client, |c| c.kind() == "replica"),
                b"pubsub" => all_lines(srv, client, |c| c.kind() == "pubsub"),
                _ => {
                    client.reply.error(&format!(
                        "Unknown client type '{}'",
                        String::from_utf8_lossy(args[3])
                    ));
                    return;
                }
            }
        }
        n if n >= 4 && is(args[2], "id") => {
            let mut ids = Vec::new();
            for arg in &args[3..] {
                match string2ll(arg) {
                    Some(id) if id > 0 => ids.push(id as u64),
                    _ => {
                        client.reply.error("Invalid client ID");
                        return;
                    }
                }
            }
            all_lines(srv, client, |c| ids.contains(&c.id))
        }
        _ => {
            client.reply.syntax_error();
            return;
        }
    };
    client.reply.verbatim(text.as_bytes());
}

fn client_info(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let mut line = client.info_line(Instant::now());
    line.push('\n');
    client.reply.verbatim(line.as_bytes());
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: end another client's blocking wait
/// as if it timed out, or with an error.
fn client_unblock(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 4 {
        client.reply.syntax_error();
        return;
    }
    let with_error = match args.get(3) {
        None => false,
        Some(reason) if is(reason, "timeout") => false,
        Some(reason) if is(reason, "error") => true,
        Some(_) => {
            client
                .reply
                .error("CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    };
    let Some(id) = int_arg(client, args[2]) else {
        return;
    };
    let target = srv
        .clients
        .iter()
        .find(|c| c.id as i64 == id && c.blocked.is_some())
        .map(|c| c.slot);
    let Some(mut target) = target.and_then(|slot| srv.clients.take(slot)) else {
        client.reply.int(0);
        return;
    };
    let blocked = srv.unblock(&mut target);
    if with_error {
        target
            .reply
            .error("-UNBLOCKED client unblocked via CLIENT UNBLOCK");
        srv.finish_errors(&mut target, blocked.map(|b| b.command));
    } else {
        target.reply.null_array();
    }
    srv.queue_write(&mut target);
    let slot = target.slot;
    srv.clients.slots[slot] = Some(target);
    client.reply.int(1);
}

fn client_kill(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    // Old form: CLIENT KILL addr:port → +OK or "No such client".
    if args.len() == 3 {
        let addr = args[2];
        let target = srv
            .clients
            .iter()
            .find(|c| c.addr().as_bytes() == addr)
            .map(|c| c.slot);
        if client.addr().as_bytes() == addr {
            client.close_after_reply = true;
            client.reply.ok();
        } else if let Some(slot) = target {
            srv.kill_client(slot);
            client.reply.ok();
        } else if crate::server::replication::upstream::link_matches(srv, Some(addr), None) {
            crate::server::replication::upstream::kill_link(srv);
            client.reply.ok();
        } else {
            client.reply.error("No such client");
        }
        return;
    }
    let mut id = None;
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut kind: Option<Vec<u8>> = None;
    let mut user: Option<&[u8]> = None;
    let mut skip_me = true;
    let mut i = 2;
    while i < args.len() {
        let Some(&value) = args.get(i + 1) else {
            client.reply.syntax_error();
            return;
        };
        let opt = args[i];
        if is(opt, "id") {
            match string2ll(value) {
                Some(n) if n > 0 => id = Some(n as u64),
                _ => {
                    client.reply.error("client-id should be greater than 0");
                    return;
                }
            }
        } else if is(opt, "type") {
            let k = value.to_ascii_lowercase();
            if !matches!(
                k.as_slice(),
                b"normal" | b"master" | b"replica" | b"slave" | b"pubsub"
            ) {
                client.reply.error(&format!(
                    "Unknown client type '{}'",
                    String::from_utf8_lossy(value)
                ));
                return;
            }
            kind = Some(k);
        } else if is(opt, "addr") {
            addr = Some(value);
        } else if is(opt, "laddr") {
            laddr = Some(value);
        } else if is(opt, "user") {
            if srv.acl.slot_of(value).is_none() {
                client.reply.error(&format!(
                    "No such user '{}'",
                    String::from_utf8_lossy(value)
                ));
                return;
            }
            user = Some(value);
        } else if is(opt, "skipme") {
            if is(value, "yes") {
                skip_me = true;
            } else if is(value, "no") {
                skip_me = false;
            } else {
                client.reply.syntax_error();
                return;
            }
        } else {
            client.reply.syntax_error();
            return;
        }
        i += 2;
    }
    let matches = |c: &Client| {
        id.is_none_or(|id| c.id == id)
            && addr.is_none_or(|a| c.addr().as_bytes() == a)
            && laddr.is_none_or(|a| c.laddr().as_bytes() == a)
            && user.is_none_or(|u| c.user_name == u)
            && kind.as_deref().is_none_or(|k| match k {
                b"normal" => c.kind() == "normal",
                b"pubsub" => c.kind() == "pubsub",
                b"master" => c.kind() == "master",
                _ => c.kind() == "replica",
            })
    };
    let victims: Vec<usize> = srv
        .clients
        .iter()
        .filter(|c| matches(c))
        .map(|c| c.slot)
        .collect();
    let mut killed = victims.len() as i64;
    for slot in victims {
        srv.kill_client(slot);
    }
    // The master link is no client here but is one for CLIENT KILL.
    if id.is_none()
        && laddr.is_none()
        && user.is_none_or(|u| u == b"default")
        && (addr.is_some() || kind.is_some())
        && crate::server::replication::upstream::link_matches(srv, addr, kind.as_deref())
    {
        crate::server::replication::upstream::kill_link(srv);
        killed += 1;
    }
    if !skip_me && matches(client) {
        client.close_after_reply = true;
        killed += 1;
    }
    client.reply.int(killed);
}

fn client_no_evict(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if is(args[2], "on") {
        client.no_evict = true;
        client.reply.ok();
    } else if is(args[2], "off") {
        client.no_evict = false;
        client.reply.ok();
    } else {
        client.reply.syntax_error();
    }
}

/// CLIENT PAUSE timeout [WRITE|ALL] (see [`crate::server::pause`]).
fn client_pause(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    use super::super::pause::Mode;
    if args.len() > 4 {
        client.reply.syntax_error();
        return;
    }
    let mode = match args.get(3) {
        None => Mode::All,
        Some(m) if is(m, "write") => Mode::Write,
        Some(m) if is(m, "all") => Mode::All,
        Some(_) => {
            client.reply.error("CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    };
    let Some(ms) = string2ll(args[2]) else {
        client
            .reply
            .error("timeout is not an integer or out of range");
        return;
    };
    if ms < 0 {
        client.reply.error("timeout is negative");
        return;
    }
    srv.pause_clients(mode, std::time::Duration::from_millis(ms as u64));
    client.reply.ok();
}

fn client_unpause(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    srv.unpause_clients();
    client.reply.ok();
}

fn client_reply(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if is(args[2], "on") {
        client.reply_mode = ReplyMode::On;
        client.reply.ok();
    } else if is(args[2], "off") {
        client.reply_mode = ReplyMode::Off;
    } else if is(args[2], "skip") {
        if client.reply_mode != ReplyMode::Off {
            client.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        client.reply.syntax_error();
    }
}

fn client_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
        ],
    );
}
