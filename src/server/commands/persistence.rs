//! Persistence commands: SAVE, BGSAVE [SCHEDULE], LASTSAVE, BGREWRITEAOF,
//! and the handlers of DEBUG RELOAD and DEBUG LOADAOF. The work itself is
//! in [`crate::server::persistence`]; replies and their texts are Redis's.

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::persistence::snapshot::Existing;
use super::super::persistence::{self, ChildKind};
use super::is;

const G: &str = "server";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_MULTI | NO_ASYNC_LOADING,
        G,
        "1.0.0",
        "Synchronously save the dataset to disk",
        save,
    ),
    Spec::new(
        "bgsave",
        -1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        G,
        "1.0.0",
        "Asynchronously save the dataset to disk",
        bgsave,
    ),
    Spec::new(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        G,
        "1.0.0",
        "Get the UNIX time stamp of the last successful save to disk",
        lastsave,
    ),
    Spec::new(
        "bgrewriteaof",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        G,
        "1.0.0",
        "Asynchronously rewrite the append-only file",
        bgrewriteaof,
    ),
];

fn save(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    if srv.persistence.child_kind() == Some(ChildKind::Rdb) {
        client.reply.error("Background save already in progress");
        return;
    }
    srv.persistence.rdb_saves += 1;
    match persistence::save(srv) {
        Ok(()) => client.reply.ok(),
        Err(_) => client.reply.error("-ERR"),
    }
}

fn bgsave(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let schedule = match args {
        [_] => false,
        [_, option] if is(option, "schedule") => true,
        _ => {
            client.reply.syntax_error();
            return;
        }
    };
    match srv.persistence.child_kind() {
        Some(ChildKind::Rdb) => client.reply.error("Background save already in progress"),
        Some(_) if schedule => {
            srv.persistence.bgsave_scheduled = true;
            client.reply.simple("Background saving scheduled");
        }
        Some(_) => client.reply.error(
            "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE \
             SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ),
        None => match persistence::bgsave(srv) {
            Ok(()) => client.reply.simple("Background saving started"),
            Err(_) => client.reply.error("-ERR"),
        },
    }
}

fn lastsave(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.int(srv.persistence.lastsave);
}

fn bgrewriteaof(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    match srv.persistence.child_kind() {
        Some(ChildKind::AofRewrite { .. }) => client
            .reply
            .error("Background append only file rewriting already in progress"),
        Some(_) => schedule_rewrite(srv, client),
        None if srv.transactions.in_exec() => schedule_rewrite(srv, client),
        None => match persistence::rewrite_background(srv) {
            Ok(()) => client
                .reply
                .simple("Background append only file rewriting started"),
            Err(_) => client.reply.error(
                "Can't execute an AOF background rewriting. Please check the server logs for \
                 more information.",
            ),
        },
    }
}

fn schedule_rewrite(srv: &mut Server, client: &mut Client) {
    srv.persistence.aof_rewrite_scheduled = true;
    srv.persistence.aof_rewrites_consecutive_failures = 0;
    client
        .reply
        .simple("Background append only file rewriting scheduled");
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the snapshot, empty the
/// dataset, load it back.
pub fn debug_reload(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let (mut nosave, mut noflush, mut merge) = (false, false, false);
    for opt in &args[2..] {
        if super::is(opt, "nosave") {
            nosave = true;
        } else if super::is(opt, "noflush") {
            noflush = true;
        } else if super::is(opt, "merge") {
            merge = true;
        } else {
            client
                .reply
                .error("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    // MERGE without NOFLUSH merges into an emptied dataset: a plain reload.
    let existing = match (noflush, merge) {
        (false, _) => Existing::Cleared,
        (true, false) => Existing::Kept,
        (true, true) => Existing::Merged,
    };
    match persistence::reload(srv, nosave, existing) {
        Ok(()) => {
            srv.log.warning("DB reloaded by DEBUG RELOAD", &[]);
            client.reply.ok()
        }
        Err(e) => client
            .reply
            .error(&format!("Error trying to load the RDB dump: {e}")),
    }
}

/// DEBUG LOADAOF: flush the AOF, empty the dataset, replay the AOF.
pub fn debug_loadaof(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    match persistence::reload_aof(srv) {
        Ok(()) => client.reply.ok(),
        Err(e) => client
            .reply
            .error(&format!("Error trying to load the AOF files: {e}")),
    }
}
