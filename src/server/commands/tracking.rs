//! CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT
//! TRACKINGINFO: a client's side of client-side caching (the state and the
//! invalidations are in [`super::super::tracking`]). The specs are listed
//! in CLIENT's table (commands/connection.rs).

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::tracking::Options;
use super::{int_arg, is};

const G: &str = "connection";

/// The tracking subcommands of CLIENT (listed in its table).
pub const TRACKING: Spec = Spec::new(
    "tracking",
    -3,
    NOSCRIPT | LOADING | STALE,
    G,
    "6.0.0",
    "Enable or disable server assisted client side caching support",
    client_tracking,
);

pub const CACHING: Spec = Spec::new(
    "caching",
    3,
    NOSCRIPT | LOADING | STALE,
    G,
    "6.0.0",
    "Instruct the server about tracking or not keys in the next request",
    client_caching,
);

pub const GETREDIR: Spec = Spec::new(
    "getredir",
    2,
    NOSCRIPT | LOADING | STALE,
    G,
    "6.0.0",
    "Get tracking notifications redirection client ID if any",
    client_getredir,
);

pub const TRACKINGINFO: Spec = Spec::new(
    "trackinginfo",
    2,
    NOSCRIPT | LOADING | STALE,
    G,
    "6.2.0",
    "Return information about server assisted client side caching for the current \
         connection",
    client_trackinginfo,
);

/// CLIENT TRACKING (ON|OFF) [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN]
/// [OPTOUT] [NOLOOP], with Redis's checks in its order.
fn client_tracking(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut options = Options::default();
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        let arg = args[i];
        if is(arg, "redirect") && more {
            i += 1;
            if options.redirect != 0 {
                client
                    .reply
                    .error("A client can only redirect to a single other client");
                return;
            }
            let Some(id) = int_arg(client, args[i]) else {
                return;
            };
            let exists =
                id > 0 && (id as u64 == client.id || srv.clients.iter().any(|c| c.id == id as u64));
            if !exists {
                client
                    .reply
                    .error("The client ID you want redirect to does not exist");
                return;
            }
            options.redirect = id as u64;
        } else if is(arg, "bcast") {
            options.bcast = true;
        } else if is(arg, "optin") {
            options.optin = true;
        } else if is(arg, "optout") {
            options.optout = true;
        } else if is(arg, "noloop") {
            options.noloop = true;
        } else if is(arg, "prefix") && more {
            i += 1;
            options.prefixes.push(args[i].to_vec());
        } else {
            client.reply.syntax_error();
            return;
        }
        i += 1;
    }
    if is(args[2], "on") {
        if !options.bcast && !options.prefixes.is_empty() {
            client
                .reply
                .error("PREFIX option requires BCAST mode to be enabled");
            return;
        }
        if let Some(t) = client.tracking.as_ref()
            && t.bcast != options.bcast
        {
            client.reply.error(
                "You can't switch BCAST mode on/off before disabling tracking for this client, \
                 and then re-enabling it with a different mode.",
            );
            return;
        }
        if options.bcast && (options.optin || options.optout) {
            client
                .reply
                .error("OPTIN and OPTOUT are not compatible with BCAST");
            return;
        }
        if options.optin && options.optout {
            client
                .reply
                .error("You can't specify both OPTIN mode and OPTOUT mode");
            return;
        }
        if let Some(t) = client.tracking.as_ref()
            && ((options.optin && t.optout) || (options.optout && t.optin))
        {
            client.reply.error(
                "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, \
                 and then re-enabling it with a different mode.",
            );
            return;
        }
        if options.bcast
            && let Some(message) = Server::tracking_prefix_collision(client, &options.prefixes)
        {
            client.reply.error(&message);
            return;
        }
        srv.enable_tracking(client, options);
    } else if is(args[2], "off") {
        srv.disable_tracking(client);
    } else {
        client.reply.syntax_error();
        return;
    }
    client.reply.ok();
}

/// CLIENT CACHING (YES|NO): track (OPTIN) or skip (OPTOUT) the keys of the
/// next command.
fn client_caching(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let Some(t) = client.tracking.as_mut() else {
        client.reply.error(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN \
             or OPTOUT mode enabled",
        );
        return;
    };
    if is(args[2], "yes") {
        if !t.optin {
            client
                .reply
                .error("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
            return;
        }
        t.caching = true;
    } else if is(args[2], "no") {
        if !t.optout {
            client
                .reply
                .error("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
            return;
        }
        t.caching = true;
    } else {
        client.reply.syntax_error();
        return;
    }
    client.reply.ok();
}

/// CLIENT GETREDIR: the redirect id, 0 without one, -1 when not tracking.
fn client_getredir(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let id = client.tracking.as_ref().map_or(-1, |t| t.redirect as i64);
    client.reply.int(id);
}

/// CLIENT TRACKINGINFO: flags, redirect and prefixes.
fn client_trackinginfo(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let mut flags: Vec<&str> = Vec::new();
    let mut redirect = -1;
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    match client.tracking.as_ref() {
        None => flags.push("off"),
        Some(t) => {
            flags.push("on");
            if t.bcast {
                flags.push("bcast");
            }
            if t.optin {
                flags.push("optin");
                if t.caching {
                    flags.push("caching-yes");
                }
            }
            if t.optout {
                flags.push("optout");
                if t.caching {
                    flags.push("caching-no");
                }
            }
            if t.noloop {
                flags.push("noloop");
            }
            if t.broken_redirect {
                flags.push("broken_redirect");
            }
            redirect = t.redirect as i64;
            prefixes = t.prefixes.iter().cloned().collect();
        }
    }
    let reply = &mut client.reply;
    reply.map(3);
    reply.bulk(b"flags");
    reply.set(flags.len());
    for f in flags {
        reply.bulk(f.as_bytes());
    }
    reply.bulk(b"redirect");
    reply.int(redirect);
    reply.bulk(b"prefixes");
    reply.array(prefixes.len());
    for p in &prefixes {
        reply.bulk(p);
    }
}
