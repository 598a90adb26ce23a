//! `sonde keys big`: the biggest keys of a live server by memory and by
//! length, totals per type and per key prefix, from a SCAN paced by
//! --rate (redis-cli --bigkeys / --memkeys).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use super::Status;
use crate::cli::KeysBigArgs;

use crate::live::bigkeys::{KeyInfo, PrefixRow, Scan, Tally, Totals};
use crate::live::stat::human_bytes;
use crate::output::bytes::display_short;
use crate::output::{Format, Report, emit, table};

#[derive(Serialize)]
pub struct BigKeysReport {
    server: String,
    db: u32,
    /// Keys examined (SCAN may return a key twice when the table grows).
    scanned: u64,
    /// DBSIZE when the scan started.
    dbsize: u64,
    seconds: f64,
    /// False when the server refused MEMORY USAGE (memory figures are null).
    memory_usage: bool,
    /// True when stopped early (Ctrl-C).
    interrupted: bool,
    by_memory: Vec<KeyInfo>,
    by_length: BTreeMap<String, Vec<KeyInfo>>,
    types: BTreeMap<String, Totals>,
    prefixes: PrefixReport,
}

#[derive(Serialize)]
struct PrefixReport {
    separator: String,
    approximate: bool,
    top: Vec<PrefixRow>,
}

impl Report for BigKeysReport {
    fn table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        table::write(
            out,
            &table::key_values([
                ("server", format!("{} db {}", self.server, self.db)),
                (
                    "scanned",
                    format!("{} keys (DBSIZE {})", self.scanned, self.dbsize),
                ),
                ("seconds", format!("{:.1}", self.seconds)),
            ]),
        )?;
        let mem = |m: Option<u64>| m.map_or("-".to_owned(), human_bytes);
        if self.memory_usage && !self.by_memory.is_empty() {
            let mut t = table::new(["key", "type", "memory", "length"]);
            for k in &self.by_memory {
                t.add_row(vec![
                    display_short(&k.key, 60),
                    k.kind.clone(),
                    mem(k.memory),
                    k.length.map_or("-".into(), |l| l.to_string()),
                ]);
            }
            table::align_right(&mut t, &[2, 3]);
            table::write_titled(out, "Biggest keys by memory (MEMORY USAGE)", &t)?;
        }
        let mut t = table::new(["type", "key", "length", "memory"]);
        for (kind, keys) in &self.by_length {
            for k in keys {
                let unit = if kind == "string" { " bytes" } else { "" };
                t.add_row(vec![
                    kind.clone(),
                    display_short(&k.key, 60),
                    format!("{}{unit}", k.length.unwrap_or(0)),
                    mem(k.memory),
                ]);
            }
        }
        table::align_right(&mut t, &[2, 3]);
        table::write_titled(out, "Longest keys of each type", &t)?;
        let mut t = table::new(["type", "keys", "elements", "memory"]);
        for (kind, tot) in &self.types {
            t.add_row(vec![
                kind.clone(),
                tot.keys.to_string(),
                tot.elements.to_string(),
                human_bytes(tot.memory),
            ]);
        }
        table::align_right(&mut t, &[1, 2, 3]);
        table::write_titled(out, "By type", &t)?;
        if !self.prefixes.top.is_empty() {
            let mut t = table::new(["prefix", "depth", "keys", "elements", "memory"]);
            for p in &self.prefixes.top {
                t.add_row(vec![
                    display_short(&p.prefix, 60),
                    p.depth.to_string(),
                    p.totals.keys.to_string(),
                    p.totals.elements.to_string(),
                    human_bytes(p.totals.memory),
                ]);
            }
            table::align_right(&mut t, &[1, 2, 3, 4]);
            let title = format!(
                "Key prefixes (separator {:?}{})",
                self.prefixes.separator,
                if self.prefixes.approximate {
                    ", approximate"
                } else {
                    ""
                }
            );
            table::write_titled(out, &title, &t)?;
        }
        Ok(())
    }
}

pub fn run(args: &KeysBigArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    crate::stop::catch(crate::stop::Repeat::Kill);
    let (endpoint, mut client) = super::live_client(
        &args.connect,
        args.server.as_deref(),
        Duration::from_secs(30),
    )?;
    let dbsize = match client.call(&["DBSIZE"]).context("DBSIZE")? {
        crate::resp::Frame::Integer(n) => n.max(0) as u64,
        _ => 0,
    };
    let bar = count_bar(dbsize, format);
    let mut scan = Scan::new(
        args.pattern.as_ref().map(|p| p.as_bytes().to_vec()),
        args.kind.clone(),
        args.scan_count,
        args.samples,
    );
    let top = args.top as usize;
    let mut tally = Tally::new(top, args.separator.as_bytes(), args.depth as usize);
    let started = Instant::now();
    let mut interrupted = false;
    let mut warned = false;
    while !scan.is_done() {
        if crate::stop::requested() {
            interrupted = true;
            break;
        }
        for k in scan.next_batch(&mut client)? {
            tally.add(k);
        }
        if !scan.memory_usage && !warned {
            warned = true;
            bar.suspend(|| {
                eprintln!(
                    "sonde: warning: MEMORY USAGE refused ({}); reporting lengths only",
                    scan.memory_refusal.as_deref().unwrap_or("")
                )
            });
        }
        bar.set_position(tally.scanned.min(dbsize));
        // Pace: never ahead of --rate keys per second.
        if args.rate > 0 {
            let due = Duration::from_secs_f64(tally.scanned as f64 / args.rate as f64);
            let elapsed = started.elapsed();
            if due > elapsed {
                std::thread::sleep(due - elapsed);
            }
        }
    }
    bar.finish_and_clear();
    let report = BigKeysReport {
        server: endpoint.to_string(),
        db: endpoint.db.unwrap_or(0),
        scanned: tally.scanned,
        dbsize,
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        memory_usage: scan.memory_usage,
        interrupted,
        by_memory: tally.by_memory(),
        by_length: tally.by_length(),
        types: tally.types.clone(),
        prefixes: PrefixReport {
            separator: args.separator.clone(),
            approximate: tally.prefixes_approximate,
            top: tally.prefixes(),
        },
    };
    emit(format, &report, out)?;
    Ok(Status::Ok)
}

/// Keys scanned against DBSIZE, on stderr when it is a terminal.
fn count_bar(total: u64, format: Format) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if format != Format::Table || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "scanning {wide_bar} {pos}/{len} keys {per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
