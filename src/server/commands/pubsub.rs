//! Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH
//! and PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB (see
//! [`super::super::pubsub`] for the registry and delivery).

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::propagate::Propagated;
use super::super::pubsub::{Kind, channel_list};
use super::help;

const G: &str = "pubsub";
const SUB: u32 = PUBSUB | NOSCRIPT | LOADING | STALE | PUBSUB_CONTEXT;

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "subscribe",
        -2,
        SUB,
        G,
        "2.0.0",
        "Listen for messages published to the given channels",
        subscribe,
    ),
    Spec::new(
        "unsubscribe",
        -1,
        SUB,
        G,
        "2.0.0",
        "Stop listening for messages posted to the given channels",
        unsubscribe,
    ),
    Spec::new(
        "psubscribe",
        -2,
        SUB,
        G,
        "2.0.0",
        "Listen for messages published to channels matching the given patterns",
        psubscribe,
    ),
    Spec::new(
        "punsubscribe",
        -1,
        SUB,
        G,
        "2.0.0",
        "Stop listening for messages posted to channels matching the given patterns",
        punsubscribe,
    ),
    Spec::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        G,
        "2.0.0",
        "Post a message to a channel",
        publish,
    ),
    Spec::new(
        "ssubscribe",
        -2,
        SUB,
        G,
        "7.0.0",
        "Listen for messages published to the given shard channels",
        ssubscribe,
    )
    .keys(1, -1, 1),
    Spec::new(
        "sunsubscribe",
        -1,
        SUB,
        G,
        "7.0.0",
        "Stop listening for messages posted to the given shard channels",
        sunsubscribe,
    )
    .keys(1, -1, 1),
    Spec::new(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        G,
        "7.0.0",
        "Post a message to a shard channel",
        spublish,
    )
    .keys(1, 1, 1),
    Spec::container(
        "pubsub",
        -2,
        G,
        "2.8.0",
        "A container for Pub/Sub commands",
        PUBSUB_SUBCOMMANDS,
    ),
];

const PUBSUB_SUBCOMMANDS: &[Spec] = &[
    Spec::new(
        "channels",
        -2,
        PUBSUB | LOADING | STALE,
        G,
        "2.8.0",
        "List active channels",
        pubsub_channels,
    ),
    Spec::new(
        "numsub",
        -2,
        PUBSUB | LOADING | STALE,
        G,
        "2.8.0",
        "Get the count of subscribers for channels",
        pubsub_numsub,
    ),
    Spec::new(
        "numpat",
        2,
        PUBSUB | LOADING | STALE,
        G,
        "2.8.0",
        "Get the count of unique patterns pattern subscriptions",
        pubsub_numpat,
    ),
    Spec::new(
        "shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        G,
        "7.0.0",
        "List active shard channels",
        pubsub_shardchannels,
    ),
    Spec::new(
        "shardnumsub",
        -2,
        PUBSUB | LOADING | STALE,
        G,
        "7.0.0",
        "Get the count of subscribers for shard channels",
        pubsub_shardnumsub,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "6.2.0",
        "Show helpful text about the different subcommands",
        pubsub_help,
    ),
];

/// Subscribing from inside EXEC is allowed; from a context that may not
/// block (none other here) it is not.
fn subscribe_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], kind: Kind) {
    for name in &args[1..] {
        srv.subscribe(client, kind, name);
    }
}

fn unsubscribe_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], kind: Kind) {
    if args.len() == 1 {
        srv.unsubscribe_all(client, kind, true);
    } else {
        for name in &args[1..] {
            srv.unsubscribe(client, kind, name, true);
        }
        srv.leave_pubsub_mode_if_idle(client);
    }
}

fn subscribe(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    subscribe_generic(srv, client, args, Kind::Channel);
}

fn unsubscribe(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    unsubscribe_generic(srv, client, args, Kind::Channel);
}

fn psubscribe(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    subscribe_generic(srv, client, args, Kind::Pattern);
}

fn punsubscribe(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    unsubscribe_generic(srv, client, args, Kind::Pattern);
}

fn ssubscribe(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    subscribe_generic(srv, client, args, Kind::Shard);
}

fn sunsubscribe(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    unsubscribe_generic(srv, client, args, Kind::Shard);
}

fn publish(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let n = srv.publish(client, args[1], args[2], false);
    propagate_to_replicas(srv, client, args);
    client.reply.int(n as i64);
}

fn spublish(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let n = srv.publish(client, args[1], args[2], true);
    propagate_to_replicas(srv, client, args);
    client.reply.int(n as i64);
}

/// As redis-server outside cluster mode: a message goes on to the
/// replicas, so their subscribers get it too (never to the AOF, since a
/// message is not data).
fn propagate_to_replicas(srv: &mut Server, client: &Client, args: &[&[u8]]) {
    let mut command = Propagated::new(client.db, args.iter().copied());
    command.targets = Propagated::TO_REPLICAS;
    srv.ks.effects.propagate(command);
}

fn pubsub_channels(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 3 {
        client.reply.error(
            "Unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.",
        );
        return;
    }
    let list = channel_list(&srv.pubsub.channels, args.get(2).copied());
    client.reply.bulks(list.into_iter());
}

fn pubsub_shardchannels(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() > 3 {
        client.reply.error(
            "Unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. Try PUBSUB HELP.",
        );
        return;
    }
    let list = channel_list(&srv.pubsub.shard_channels, args.get(2).copied());
    client.reply.bulks(list.into_iter());
}

fn numsub(
    client: &mut Client,
    map: &std::collections::HashMap<Vec<u8>, Vec<(u64, usize)>>,
    names: &[&[u8]],
) {
    client.reply.array(names.len() * 2);
    for name in names {
        client.reply.bulk(name);
        client.reply.int(map.get(*name).map_or(0, Vec::len) as i64);
    }
}

fn pubsub_numsub(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    numsub(client, &srv.pubsub.channels, &args[2..]);
}

fn pubsub_shardnumsub(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    numsub(client, &srv.pubsub.shard_channels, &args[2..]);
}

fn pubsub_numpat(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    client.reply.int(srv.pubsub.numpat() as i64);
}

fn pubsub_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
}
