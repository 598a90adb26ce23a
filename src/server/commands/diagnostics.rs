//! The diagnostic texts of Redis 7.0 a client or an operator may ask for:
//! MEMORY DOCTOR, MEMORY MALLOC-STATS, LATENCY DOCTOR and LOLWUT.

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::memory;
use super::int_arg;

pub const COMMANDS: &[Spec] = &[Spec::new(
    "lolwut",
    -1,
    READONLY | FAST,
    "server",
    "5.0.0",
    "Display some computer art and the Redis version",
    lolwut,
)];

pub fn memory_doctor(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let text = if memory::allocated() < 5 << 20 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector \
         can't be used in these conditions. Please, leave for your mission on Earth and fill \
         it with some data. The new Sam and I will be back to our programming as soon as I \
         finished rebooting.\n"
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what \
         occurs on this base.\n"
    };
    client.reply.verbatim(text.as_bytes());
}

pub fn memory_malloc_stats(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    // Redis answers a verbatim text with jemalloc (the usual build); the
    // type is kept, the allocator here has no such report.
    client
        .reply
        .verbatim(b"Stats not supported for the current allocator");
}

pub fn latency_doctor(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let mut report = String::new();
    if srv.latency.is_empty() && srv.config.latency_monitor_threshold == 0 {
        report.push_str(
            "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis \
             instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in \
             order to enable it. If we weren't in a deep space mission I'd suggest to take a look \
             at https://redis.io/topics/latency-monitor.\n",
        );
    } else if srv.latency.is_empty() {
        report.push_str(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, \
             not in the slightest bit. I honestly think you ought to sit down calmly, take a \
             stress pill, and think things over.\n",
        );
    } else {
        report.push_str(
            "Dave, I have observed latency spikes in this Redis instance. You don't mind \
             talking about it, do you Dave?\n\n",
        );
        for (n, (event, samples)) in srv.latency.iter().enumerate() {
            let count = samples.len() as u64;
            let sum: u64 = samples.iter().map(|s| s.1).sum();
            let avg = sum / count.max(1);
            let mad = samples.iter().map(|s| s.1.abs_diff(avg)).sum::<u64>() / count.max(1);
            let first = samples.front().map_or(0, |s| s.0);
            let last = samples.back().map_or(0, |s| s.0);
            let period = (last - first) as f64 / count.max(1) as f64;
            let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
            report.push_str(&format!(
                "{}. {event}: {count} latency spikes (average {avg}ms, mean deviation {mad}ms, \
                 period {period:.2} sec). Worst all time event {max}ms.\n",
                n + 1
            ));
        }
        report.push_str(
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. \
             Please use the Redis community to get some help, providing this report in your \
             help request.\n",
        );
    }
    client.reply.verbatim(report.as_bytes());
}

fn lolwut(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if args.len() >= 3 && super::is(args[1], "version") && int_arg(client, args[2]).is_none() {
        return;
    }
    let text = format!("Redis ver. {}\n", super::super::REDIS_VERSION);
    client.reply.verbatim(text.as_bytes());
}

/// LATENCY HISTOGRAM [command ...]: per command (or subcommand, as
/// `client|id`), its calls and the cumulative counts of its durations at
/// each power of two of microseconds; all commands with calls when none is
/// named, unknown names skipped, a container naming its subcommands.
pub fn latency_histogram(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let table = &srv.commands;
    let mut chosen: Vec<usize> = Vec::new();
    if args.len() == 2 {
        chosen.extend((0..table.entries.len()).filter(|&i| table.entries[i].histogram.is_some()));
    } else {
        for name in &args[2..] {
            let found = match name.iter().position(|&b| b == b'|') {
                Some(bar) => table
                    .find(&name[..bar])
                    .and_then(|parent| table.find_sub(parent, &name[bar + 1..])),
                None => table.find(name),
            };
            let Some(index) = found else {
                continue;
            };
            if table.entries[index].histogram.is_some() {
                chosen.push(index);
            }
            for (sub, entry) in table.children(index) {
                if entry.histogram.is_some() {
                    chosen.push(sub);
                }
            }
        }
    }
    client.reply.map(chosen.len());
    for index in chosen {
        let entry = &table.entries[index];
        let Some(h) = &entry.histogram else {
            continue;
        };
        client.reply.bulk(entry.full_name.as_bytes());
        client.reply.map(2);
        client.reply.bulk(b"calls");
        client.reply.int(h.total as i64);
        client.reply.bulk(b"histogram_usec");
        let buckets = h.cumulative_usec();
        client.reply.map(buckets.len());
        for (usec, count) in buckets {
            client.reply.int(usec as i64);
            client.reply.int(count as i64);
        }
    }
}
