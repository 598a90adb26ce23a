//! The diagnostic texts of Redis 7.0 a client or an operator may ask for:
//! MEMORY DOCTOR, MEMORY MALLOC-STATS, LATENCY DOCTOR, LATENCY GRAPH and
//! LOLWUT.

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

/// Columns of LATENCY GRAPH's sparkline.
const GRAPH_COLUMNS: usize = 80;

/// LATENCY GRAPH event: the event's samples as Redis's sparkline, four rows
/// high and filled, each column labelled with how long ago it was.
pub fn latency_graph(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let event = String::from_utf8_lossy(args[2]).into_owned();
    let Some(samples) = srv.latency.get(&event) else {
        client
            .reply
            .error(&format!("No samples available for event '{event}'"));
        return;
    };
    let now = crate::server::clock::unix_ms() / 1000;
    let mut values = Vec::with_capacity(samples.len());
    let mut labels = Vec::with_capacity(samples.len());
    for &(time, ms) in samples {
        let elapsed = now - time;
        labels.push(if elapsed < 60 {
            format!("{elapsed}s")
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 86_400 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / 86_400)
        });
        values.push(ms);
    }
    let high = values.iter().copied().max().unwrap_or(0);
    let low = values.iter().copied().min().unwrap_or(0);
    let mut text = format!(
        "{event} - high {high} ms, low {low} ms (all time high {high} ms)\n{}\n",
        "-".repeat(GRAPH_COLUMNS)
    );
    sparkline(&mut text, &values, &labels, GRAPH_COLUMNS, 4);
    client.reply.verbatim(text.as_bytes());
}

/// Redis's filled sparkline: `rows` rows of `_o#` (and `|` below the top
/// of a column), a blank line, then each label written downwards under its
/// column; `columns` samples per block, blocks separated by a blank line.
fn sparkline(out: &mut String, values: &[u64], labels: &[String], columns: usize, rows: usize) {
    const FILL: &[u8] = b"_o#";
    let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
        return;
    };
    let relmax = match (max - min) as f64 {
        0.0 => 1.0,
        r => r,
    };
    let steps = (FILL.len() * rows) as i64;
    let mut start = 0;
    while start < values.len() {
        let end = (start + columns).min(values.len());
        if start != 0 {
            out.push('\n');
        }
        let mut row = 0;
        loop {
            let mut chars = vec![b' '; end - start];
            let mut more = false;
            for (j, i) in (start..end).enumerate() {
                let relval = (values[i] - min) as f64;
                let step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
                let step = step.clamp(0, steps - 1);
                if row < rows {
                    more = true;
                    let index = step - ((rows - row - 1) * FILL.len()) as i64;
                    if (0..FILL.len() as i64).contains(&index) {
                        chars[j] = FILL[index as usize];
                    } else if index >= FILL.len() as i64 {
                        chars[j] = b'|';
                    }
                } else if row - rows < 1 {
                    // The margin line above the labels.
                    more = true;
                    break;
                } else {
                    let label = labels[i].as_bytes();
                    if let Some(&c) = label.get(row - rows - 1) {
                        more = true;
                        chars[j] = c;
                    }
                }
            }
            if !more {
                break;
            }
            row += 1;
            out.push_str(&String::from_utf8_lossy(&chars));
            out.push('\n');
        }
        start = end;
    }
}

/// LOLWUT [VERSION v] [version-specific arguments]: Redis 7.0 draws
/// Schotter for VERSION 5, the skyline for VERSION 6, and only its version
/// line otherwise (see server::lolwut).
fn lolwut(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let mut rest = &args[1..];
    let mut version = 7i64;
    if args.len() >= 3 && super::is(args[1], "version") {
        let Some(v) = int_arg(client, args[2]) else {
            return;
        };
        // Redis prints the number as an unsigned int and reads its first
        // digits: "5.0.0" (or 4.9) is Schotter, "6.0.0" (or 5.9) the skyline.
        version = i64::from(v as u32);
        rest = &args[3..];
    }
    let mut numbers = Vec::with_capacity(3);
    let wanted = match version {
        5 => 3,
        6 => 2,
        _ => 0,
    };
    for arg in rest.iter().take(wanted) {
        let Some(n) = int_arg(client, arg) else {
            return;
        };
        numbers.push(n);
    }
    let arg = |i: usize, default: i64| numbers.get(i).copied().unwrap_or(default);
    let rng = &mut srv.ks.rng;
    let text = match version {
        5 => crate::server::lolwut::version5(rng, arg(0, 66), arg(1, 8), arg(2, 12)),
        6 => crate::server::lolwut::version6(rng, arg(0, 80), arg(1, 20)),
        _ => format!("Redis ver. {}\n", super::super::REDIS_VERSION),
    };
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
