//! `sonde stat`: a live server's vitals every interval from INFO, as
//! redis-cli --stat prints them (JSON Lines with --format json).

use std::io::Write;
use std::time::{Duration, Instant};

use super::Status;
use crate::cli::StatArgs;

use crate::live::stat::{Row, human_bytes};
use crate::output::Format;

/// Rows between repeated headers, as redis-cli does.
const HEADER_EVERY: u64 = 20;

pub fn run(args: &StatArgs, format: Format, out: &mut dyn Write) -> anyhow::Result<Status> {
    crate::stop::catch(crate::stop::Repeat::Kill);
    let (_, mut client) = super::live_client(
        &args.connect,
        args.server.as_deref(),
        Duration::from_secs(10),
    )?;
    let started = Instant::now();
    let mut previous: Option<Row> = None;
    let mut rows = 0u64;
    loop {
        let mut row = Row::from_info(&client.call_text(&["INFO"])?, unix_ms());
        if let Some(before) = &previous {
            row.rates_from(before);
        }
        match format {
            Format::Json => {
                serde_json::to_writer(&mut *out, &row)?;
                writeln!(out)?;
            }
            Format::Table => {
                if rows.is_multiple_of(HEADER_EVERY) {
                    writeln!(
                        out,
                        "------- data ------ --------------------- load --------------------"
                    )?;
                    writeln!(
                        out,
                        "keys       mem      clients blocked requests            connections"
                    )?;
                }
                let delta = |rate: Option<f64>| match rate {
                    Some(r) => format!("(+{r})"),
                    None => String::new(),
                };
                let requests = format!(
                    "{} {}",
                    row.total_commands_processed,
                    delta(row.requests_per_sec)
                );
                let connections = format!(
                    "{} {}",
                    row.total_connections_received,
                    delta(row.connections_per_sec)
                );
                writeln!(
                    out,
                    "{:<10} {:<8} {:<7} {:<7} {:<19} {}",
                    row.keys,
                    human_bytes(row.used_memory),
                    row.connected_clients,
                    row.blocked_clients,
                    requests,
                    connections.trim_end()
                )?;
            }
        }
        out.flush()?;
        rows += 1;
        previous = Some(row);
        if args.count.is_some_and(|n| rows >= n) {
            break;
        }
        let next = Instant::now() + args.interval;
        while Instant::now() < next {
            if crate::stop::requested() || args.duration.is_some_and(|d| started.elapsed() >= d) {
                return Ok(Status::Ok);
            }
            std::thread::sleep(Duration::from_millis(20).min(args.interval));
        }
    }
    Ok(Status::Ok)
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
