//! Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH (see
//! [`super::super::state::transactions`] for the queue and the watch registry).

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::propagate::Propagated;
use super::super::state::transactions::{Multi, Watcher};

const G: &str = "transactions";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | MULTI_CONTROL,
        G,
        "1.2.0",
        "Mark the start of a transaction block",
        multi_,
    ),
    Spec::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | MULTI_CONTROL,
        G,
        "1.2.0",
        "Execute all commands issued after MULTI",
        exec,
    ),
    Spec::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | MULTI_CONTROL,
        G,
        "2.0.0",
        "Discard all commands issued after MULTI",
        discard,
    ),
    Spec::new(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | MULTI_CONTROL,
        G,
        "2.2.0",
        "Watch the given keys to determine execution of the MULTI/EXEC block",
        watch,
    )
    .keys(1, -1, 1),
    Spec::new(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        G,
        "2.2.0",
        "Forget about all watched keys",
        unwatch,
    ),
];

fn multi_(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    if client.multi.is_some() {
        client.reply.error("MULTI calls can not be nested");
        return;
    }
    client.multi = Some(Multi::default());
    client.reply.ok();
}

fn discard(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    if client.multi.is_none() {
        client.reply.error("DISCARD without MULTI");
        return;
    }
    client.discard_transaction(&mut srv.transactions.watches);
    client.reply.ok();
}

fn exec(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let Some(m) = client.multi.take() else {
        client.reply.error("EXEC without MULTI");
        return;
    };
    // A watched key that was live and has expired since counts as touched.
    let expired = srv
        .transactions
        .watches
        .watched_live(client.id, &client.watched)
        .iter()
        .any(|(db, key)| srv.ks.is_expired(*db, key));
    let dirty = expired || srv.transactions.watches.dirty.contains(&client.id);
    if m.failed || dirty {
        if m.failed {
            client
                .reply
                .error("-EXECABORT Transaction discarded because of previous errors.");
        } else {
            client.reply.null_array();
        }
        client.discard_transaction(&mut srv.transactions.watches);
        return;
    }
    srv.transactions
        .watches
        .unwatch_all(client.id, &mut client.watched);
    // Propagation of the queued writes is collected here; blocking
    // commands see that they may not block.
    let outer = srv.transactions.exec_feed.replace(Vec::new());
    client.reply.array(m.queued.len());
    for (index, argv) in &m.queued {
        let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        srv.execute(client, *index, &args, None, false);
    }
    let collected = std::mem::replace(&mut srv.transactions.exec_feed, outer).unwrap_or_default();
    let wrapped = if collected.len() > 1 {
        let first = collected[0].db;
        let last = collected[collected.len() - 1].db;
        let mut all = Vec::with_capacity(collected.len() + 2);
        all.push(Propagated::new(first, [&b"MULTI"[..]]));
        all.extend(collected);
        all.push(Propagated::new(last, [&b"EXEC"[..]]));
        all
    } else {
        collected
    };
    if !wrapped.is_empty() {
        match srv.transactions.exec_feed.as_mut() {
            Some(outer) => outer.extend(wrapped),
            None => srv.feed.push(wrapped),
        }
    }
}

fn watch(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if client.multi.is_some() {
        client.reply.error("WATCH inside MULTI is not allowed");
        return;
    }
    if srv.transactions.watches.dirty.contains(&client.id) {
        client.reply.ok();
        return;
    }
    let db = client.db;
    for key in &args[1..] {
        if client.watched.iter().any(|(d, k)| *d == db && k == key) {
            continue;
        }
        let expired = srv.ks.is_expired(db, key);
        srv.transactions.watches.add(
            db,
            key,
            Watcher {
                id: client.id,
                expired,
            },
        );
        client.watched.push((db, key.to_vec()));
    }
    client.reply.ok();
}

fn unwatch(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    srv.transactions
        .watches
        .unwatch_all(client.id, &mut client.watched);
    client.reply.ok();
}
