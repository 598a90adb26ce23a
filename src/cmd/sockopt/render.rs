//! The human view of `sockopt probe`: a matrix of option defaults per
//! socket, the requested settings with what the kernel made of them, the
//! kernel limits, the connection and its TCP_INFO for a target, and one
//! table plus a conclusion per experiment.

use std::io::{self, Write};

use comfy_table::Table;

use super::{ExperimentsReport, ProbeReport};
use crate::output::bytes::display;
use crate::output::{Report, table};
use crate::sockopt::descriptor::OPTIONS;
use crate::sockopt::experiments::Outcome;
use crate::sockopt::limits::SYSCTLS;
use crate::sockopt::probe::{OptionRow, SocketKind};
use crate::sockopt::sys;
use crate::sockopt::tcp_info::TcpInfo;
use crate::sockopt::value::Value;

impl Report for ProbeReport {
    fn table(&self, out: &mut dyn Write) -> io::Result<()> {
        match &self.target {
            Some(conn) => {
                let mut rows = vec![
                    ("peer", conn.peer.to_string()),
                    (
                        "local",
                        conn.local.map(|a| a.to_string()).unwrap_or_default(),
                    ),
                    ("socket", conn.socket.name().to_owned()),
                    ("connect", format!("{:.3} ms", conn.connect_ms)),
                ];
                if let Some(p) = &conn.ping {
                    rows.push((
                        "PING",
                        format!("{:.3} ms, reply {}", p.round_trip_ms, display(&p.reply)),
                    ));
                }
                table::write_titled(out, "Connection", &table::key_values(rows))?;
                table::write_titled(
                    out,
                    "Options of the connected socket",
                    &self.target_options(),
                )?;
                match (&conn.tcp_info, &conn.tcp_info_error) {
                    (Some(info), _) => table::write_titled(out, "TCP_INFO", &tcp_info(info))?,
                    (None, Some(e)) => writeln!(out, "TCP_INFO: {e}\n")?,
                    (None, None) => {}
                }
            }
            None => {
                let title = format!("Defaults on fresh sockets ({})", sys::host_name());
                table::write_titled(out, &title, &self.defaults())?;
                for u in &self.unavailable {
                    writeln!(out, "{}: not probed: {}", u.socket.name(), u.error)?;
                }
                if self.options.iter().any(|r| r.requested.is_some()) {
                    table::write_titled(out, "Requested settings", &self.requested())?;
                }
            }
        }
        if !self.limits.0.is_empty() {
            table::write_titled(out, "Kernel limits", &self.limits_table())?;
        }
        Ok(())
    }
}

impl ProbeReport {
    fn find(&self, kind: SocketKind, option: &str) -> Option<&OptionRow> {
        self.options
            .iter()
            .find(|r| r.socket == kind && r.name == option)
    }

    /// option × socket matrix of defaults, notes grouped by socket.
    fn defaults(&self) -> Table {
        let mut header = vec!["option".to_owned()];
        header.extend(self.sockets.iter().map(|k| k.name().to_owned()));
        header.push("where the default comes from".to_owned());
        let mut t = table::new(header);
        for d in OPTIONS {
            let name = d.name_on(sys::HOST);
            let rows: Vec<Option<&OptionRow>> =
                self.sockets.iter().map(|k| self.find(*k, name)).collect();
            if rows.iter().all(Option::is_none) {
                continue;
            }
            let mut cells = vec![name.to_owned()];
            for r in &rows {
                cells.push(match r {
                    None => "·".to_owned(),
                    Some(r) if !r.supported => "unsupported".to_owned(),
                    Some(r) if r.default.is_none() && r.error.is_none() => "write-only".to_owned(),
                    Some(r) => show(r, r.default.as_ref()),
                });
            }
            // Notes of requested rows belong to the second table.
            let notes: Vec<(SocketKind, Option<String>)> = rows
                .iter()
                .flatten()
                .map(|r| {
                    let note = if r.requested.is_some() && r.supported {
                        None
                    } else {
                        r.note.clone()
                    };
                    (r.socket, note)
                })
                .collect();
            cells.push(group_notes(&notes));
            t.add_row(cells);
        }
        t
    }

    fn requested(&self) -> Table {
        let mut t = table::new([
            "socket",
            "option",
            "default",
            "requested",
            "effective",
            "why",
        ]);
        for r in self.options.iter().filter(|r| r.requested.is_some()) {
            t.add_row([
                r.socket.name().to_owned(),
                r.name.to_owned(),
                show(r, r.default.as_ref()),
                show(r, r.requested.as_ref()),
                if r.rejected() {
                    "not applied".to_owned()
                } else {
                    show(r, r.effective.as_ref())
                },
                r.note.clone().unwrap_or_default(),
            ]);
        }
        t
    }

    fn target_options(&self) -> Table {
        let mut t = table::new(["option", "before connect", "requested", "connected", "note"]);
        for r in &self.options {
            if !r.supported {
                t.add_row([
                    r.name,
                    "unsupported",
                    "",
                    "",
                    r.note.as_deref().unwrap_or(""),
                ]);
                continue;
            }
            t.add_row([
                r.name.to_owned(),
                show(r, r.default.as_ref()),
                r.requested
                    .as_ref()
                    .map(|v| v.show(r.value_type))
                    .unwrap_or_default(),
                show(r, r.effective.as_ref()),
                r.note.clone().unwrap_or_default(),
            ]);
        }
        t
    }

    fn limits_table(&self) -> Table {
        let mut t = table::new(["sysctl", "value", "governs"]);
        for s in SYSCTLS {
            if let Some(v) = self.limits.get(s.name) {
                t.add_row([s.name.to_owned(), v.to_string(), s.governs.to_owned()]);
            }
        }
        t
    }
}

fn show(r: &OptionRow, v: Option<&Value>) -> String {
    match v {
        Some(v) => v.show(r.value_type),
        None => "-".to_owned(),
    }
}

/// Notes that are the same for several sockets are shown once, labelled
/// with the sockets they hold for ("tcp", "udp", or the names).
fn group_notes(notes: &[(SocketKind, Option<String>)]) -> String {
    let mut groups: Vec<(Vec<SocketKind>, &str)> = Vec::new();
    for (kind, note) in notes {
        let Some(note) = note else { continue };
        match groups.iter_mut().find(|(_, n)| *n == note.as_str()) {
            Some((kinds, _)) => kinds.push(*kind),
            None => groups.push((vec![*kind], note)),
        }
    }
    let all: Vec<SocketKind> = notes.iter().map(|(k, _)| *k).collect();
    let parts: Vec<String> = groups
        .iter()
        .map(|(kinds, note)| {
            if *kinds == all && groups.len() == 1 {
                return (*note).to_owned();
            }
            let label = if kinds.iter().all(|k| k.is_tcp())
                && all.iter().filter(|k| k.is_tcp()).count() == kinds.len()
            {
                "tcp".to_owned()
            } else if kinds.iter().all(|k| !k.is_tcp())
                && all.iter().filter(|k| !k.is_tcp()).count() == kinds.len()
            {
                "udp".to_owned()
            } else {
                kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join("/")
            };
            format!("{label}: {note}")
        })
        .collect();
    parts.join("\n")
}

fn tcp_info(i: &TcpInfo) -> Table {
    let n = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".to_owned());
    let us = |v: Option<u64>| {
        v.map(|v| format!("{:.3} ms", v as f64 / 1000.0))
            .unwrap_or_else(|| "-".to_owned())
    };
    let pair = |a: Option<u64>, b: Option<u64>| format!("{} / {}", n(a), n(b));
    let ssthresh = match i.snd_ssthresh {
        Some(0x7fff_ffff) => "infinite (slow start)".to_owned(),
        other => n(other),
    };
    let rate = |v: Option<u64>| {
        v.map(|b| format!("{:.1} Mbit/s", b as f64 * 8.0 / 1e6))
            .unwrap_or_else(|| "-".to_owned())
    };
    table::key_values([
        ("state", i.state.clone()),
        ("ca_state", i.ca_state.unwrap_or("-").to_owned()),
        ("options", i.options.join(" ")),
        ("wscale snd/rcv", pair(i.snd_wscale, i.rcv_wscale)),
        (
            "rtt / rttvar",
            format!("{} / {}", us(i.rtt_us), us(i.rttvar_us)),
        ),
        ("min_rtt", us(i.min_rtt_us)),
        ("rto / ato", format!("{} / {}", us(i.rto_us), us(i.ato_us))),
        ("mss snd/rcv", pair(i.snd_mss, i.rcv_mss)),
        ("advmss / pmtu", pair(i.advmss, i.pmtu)),
        ("cwnd", n(i.snd_cwnd)),
        ("ssthresh", ssthresh),
        ("snd_wnd / rcv_wnd", pair(i.snd_wnd, i.rcv_wnd)),
        (
            "rcv_space / rcv_ssthresh",
            pair(i.rcv_space, i.rcv_ssthresh),
        ),
        ("unacked / lost", pair(i.unacked, i.lost)),
        (
            "retransmits (now / total)",
            pair(i.retransmits, i.total_retrans),
        ),
        ("bytes sent / acked", pair(i.bytes_sent, i.bytes_acked)),
        ("bytes received", n(i.bytes_received)),
        ("bytes retransmitted", n(i.bytes_retrans)),
        ("segments out / in", pair(i.segs_out, i.segs_in)),
        (
            "data segments out / in",
            pair(i.data_segs_out, i.data_segs_in),
        ),
        ("delivery rate", rate(i.delivery_rate)),
        ("pacing rate", rate(i.pacing_rate)),
        ("notsent bytes", n(i.notsent_bytes)),
        (
            "last data sent / recv",
            format!(
                "{} ms / {} ms",
                n(i.last_data_sent_ms),
                n(i.last_data_recv_ms)
            ),
        ),
    ])
}

impl Report for ExperimentsReport {
    fn table(&self, out: &mut dyn Write) -> io::Result<()> {
        for outcome in &self.experiments {
            let (title, t) = experiment_table(outcome);
            table::write_titled(out, title, &t)?;
            writeln!(out, "{}\n", outcome.conclusion())?;
        }
        Ok(())
    }
}

fn experiment_table(outcome: &Outcome) -> (&'static str, Table) {
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".to_owned());
    match outcome {
        Outcome::Nagle(x) => {
            let mut t = table::new([
                "TCP_NODELAY",
                "round trips",
                "p50 ms",
                "p99 ms",
                "min ms",
                "max ms",
            ]);
            for r in &x.runs {
                t.add_row([
                    if r.nodelay { "on" } else { "off" }.to_owned(),
                    r.round_trips.to_string(),
                    format!("{:.3}", r.p50_ms),
                    format!("{:.3}", r.p99_ms),
                    format!("{:.3}", r.min_ms),
                    format!("{:.3}", r.max_ms),
                ]);
            }
            table::align_right(&mut t, &[1, 2, 3, 4, 5]);
            ("nagle: header write, body write, read reply", t)
        }
        Outcome::Cork(x) => {
            let mut t = table::new([
                "mode",
                "writes",
                "bytes",
                "data segments",
                "bytes/segment",
                "ms",
            ]);
            for r in &x.runs {
                t.add_row([
                    r.mode.to_owned(),
                    r.writes.to_string(),
                    r.bytes.to_string(),
                    opt(r.segments),
                    r.bytes_per_segment
                        .map(|b| format!("{b:.1}"))
                        .unwrap_or_else(|| "-".to_owned()),
                    format!("{:.3}", r.elapsed_ms),
                ]);
            }
            table::align_right(&mut t, &[1, 2, 3, 4, 5]);
            ("cork: small writes of 16 bytes", t)
        }
        Outcome::Quickack(x) => {
            let mut t = table::new(["step", "TCP_QUICKACK reads"]);
            for r in &x.readings {
                t.add_row([r.step.clone(), u8::from(r.quickack).to_string()]);
            }
            ("quickack: the flag after use", t)
        }
        Outcome::Buffers(x) => {
            let mut t = table::new(["requested", "SO_RCVBUF", "SO_SNDBUF", "transfer MiB/s"]);
            for s in &x.sizes {
                let rate = x
                    .transfers
                    .iter()
                    .find(|tr| tr.requested == Some(s.requested))
                    .map(|tr| format!("{:.1}", tr.mib_per_s))
                    .unwrap_or_default();
                t.add_row([
                    s.requested.to_string(),
                    s.rcvbuf.to_string(),
                    s.sndbuf.to_string(),
                    rate,
                ]);
            }
            for tr in x.transfers.iter().filter(|tr| tr.requested.is_none()) {
                t.add_row([
                    "(autotuned)".to_owned(),
                    tr.rcvbuf.to_string(),
                    tr.sndbuf.to_string(),
                    format!("{:.1}", tr.mib_per_s),
                ]);
            }
            table::align_right(&mut t, &[0, 1, 2, 3]);
            (
                "buffers: requested vs effective, and loopback throughput",
                t,
            )
        }
        Outcome::Backlog(x) => {
            let mut rows = vec![
                ("listen() backlog", x.backlog.to_string()),
                ("net.core.somaxconn", opt(x.somaxconn.map(|v| v as u64))),
                ("connects", x.connects.to_string()),
                ("completed", x.connected.to_string()),
                ("still waiting", x.timed_out.to_string()),
                ("accepted afterwards", x.accepted.to_string()),
                ("waited", format!("{:.0} ms", x.wait_ms)),
            ];
            for (err, count) in &x.failed {
                rows.push(("failed", format!("{count} × {err}")));
            }
            let counters: Vec<(&str, String)> = x
                .counters
                .iter()
                .map(|c| (c.name, format!("{} → {} (+{})", c.before, c.after, c.delta)))
                .collect();
            rows.extend(counters);
            (
                "backlog: a burst of connects, nobody accepting",
                table::key_values(rows),
            )
        }
        Outcome::Linger(x) => {
            let mut t = table::new(["SO_LINGER", "peer's read", "peer's error", "peer's state"]);
            for r in &x.runs {
                t.add_row([
                    r.so_linger
                        .as_ref()
                        .map_or_else(|| "default".to_owned(), |v| v.to_string()),
                    r.peer_saw.to_owned(),
                    r.peer_error
                        .as_ref()
                        .map(|e| e.to_string())
                        .unwrap_or_default(),
                    r.peer_state.clone().unwrap_or_default(),
                ]);
            }
            ("linger: what close() sends", t)
        }
        Outcome::Reuseport(x) => {
            let mut t = table::new(["listener", "accepted", "share"]);
            for (i, n) in x.accepted.iter().enumerate() {
                let share = if x.fair_share > 0.0 {
                    format!("{:.2}x", f64::from(*n) / x.fair_share)
                } else {
                    "-".to_owned()
                };
                t.add_row([(i + 1).to_string(), n.to_string(), share]);
            }
            table::align_right(&mut t, &[0, 1, 2]);
            ("reuseport: connections per listener on one port", t)
        }
    }
}
