//! Parameters with their own syntax (save, bind, dir, replicaof,
//! client-output-buffer-limit, oom-score-adj-values,
//! latency-tracking-info-percentiles, notify-keyspace-events) and the value
//! checks of a few string parameters.

use std::path::PathBuf;

use super::lines::{Rewrite, Source, format_memory, quote};
use super::{Config, DEFAULT_SAVE, OutputLimit, SavePoint, Val};

/// Put a special parameter back to its default.
pub fn reset(c: &mut Config, name: &'static str) {
    match name {
        "bind" => c.bind = DEFAULT_BIND.iter().map(|s| s.to_string()).collect(),
        "save" => {
            c.save = DEFAULT_SAVE.to_vec();
            c.save_loaded = false;
        }
        "dir" => c.dir = PathBuf::from("."),
        "replicaof" => c.replicaof = None,
        "client-output-buffer-limit" => {
            c.output_limit = DEFAULT_LIMITS[0];
            c.replica_output_limit = DEFAULT_LIMITS[1];
            c.pubsub_output_limit = DEFAULT_LIMITS[2];
        }
        _ => {
            c.kept.remove(name);
        }
    }
}

/// Redis's default: every IPv4 address, and every IPv6 address where the
/// host has IPv6 (`-`: optional). Protected mode (on by default) still
/// refuses clients from other hosts until a password is set.
const DEFAULT_BIND: &[&str] = &["*", "-::*"];

pub fn set_bind(c: &mut Config, args: &[String], _: Source) -> Result<(), String> {
    if args.len() > 16 {
        return Err("Too many bind addresses specified.".to_owned());
    }
    // One empty argument is no address at all: no TCP listener (the unix
    // socket, if any, still listens), as Redis does.
    c.bind = match args {
        [one] if one.is_empty() => Vec::new(),
        _ => args.to_vec(),
    };
    Ok(())
}

pub fn get_bind(c: &Config) -> String {
    c.bind.join(" ")
}

pub fn rewrite_bind(c: &Config, name: &str, state: &mut Rewrite) {
    if c.bind
        .iter()
        .map(String::as_str)
        .eq(DEFAULT_BIND.iter().copied())
    {
        state.mark(name);
        return;
    }
    let addresses = if c.bind.is_empty() {
        "\"\"".to_owned()
    } else {
        c.bind.join(" ")
    };
    state.line(name, format!("{name} {addresses}"), true);
}

/// `save <seconds> <changes> [...]`; `save ""` removes every point. In a
/// file, the first directive replaces the defaults and later ones add
/// points; CONFIG SET replaces every point.
pub fn set_save(c: &mut Config, args: &[String], source: Source) -> Result<(), String> {
    let words: Vec<&str> = match args {
        [one] if one.is_empty() => Vec::new(),
        _ => args.iter().map(String::as_str).collect(),
    };
    if !words.len().is_multiple_of(2) {
        return Err("Invalid save parameters".to_owned());
    }
    let mut points = Vec::new();
    for pair in words.chunks(2) {
        let number = |w: &str| crate::resp::number::string2ll(w.as_bytes());
        match (number(pair[0]), number(pair[1])) {
            (Some(seconds), Some(changes)) if seconds >= 1 && changes >= 0 => {
                points.push(SavePoint {
                    seconds: seconds as u64,
                    changes: changes as u64,
                })
            }
            _ => return Err("Invalid save parameters".to_owned()),
        }
    }
    if source == Source::Set || !c.save_loaded || words.is_empty() {
        c.save.clear();
        c.save_loaded = true;
    }
    c.save.extend(points);
    Ok(())
}

pub fn get_save(c: &Config) -> String {
    c.save
        .iter()
        .map(|p| format!("{} {}", p.seconds, p.changes))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn rewrite_save(c: &Config, name: &str, state: &mut Rewrite) {
    if c.save.is_empty() {
        state.line(name, format!("{name} \"\""), true);
    }
    for p in &c.save {
        state.line(name, format!("{name} {} {}", p.seconds, p.changes), true);
    }
    state.mark(name);
}

pub fn set_dir(c: &mut Config, args: &[String], _: Source) -> Result<(), String> {
    let [dir] = args else {
        return Err("wrong number of arguments".to_owned());
    };
    let path = PathBuf::from(dir);
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(format!("Not a directory: {dir}")),
        Err(e) => return Err(format!("{dir}: {}", io_text(&e))),
    }
    c.dir = path;
    Ok(())
}

/// An I/O error's text without Rust's "(os error N)" suffix.
fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

pub fn get_dir(c: &Config) -> String {
    std::path::absolute(&c.dir)
        .unwrap_or(c.dir.clone())
        .display()
        .to_string()
}

pub fn rewrite_dir(c: &Config, name: &str, state: &mut Rewrite) {
    state.line(name, format!("{name} {}", quote(&get_dir(c))), true);
}

pub fn set_replicaof(c: &mut Config, args: &[String], _: Source) -> Result<(), String> {
    let [host, port] = args else {
        return Err("wrong number of arguments".to_owned());
    };
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        c.replicaof = None;
        return Ok(());
    }
    let port = match crate::resp::number::string2ll(port.as_bytes()) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Err("Invalid master port".to_owned()),
    };
    c.replicaof = Some((host.clone(), port));
    Ok(())
}

pub fn get_replicaof(c: &Config) -> String {
    c.replicaof
        .as_ref()
        .map(|(h, p)| format!("{h} {p}"))
        .unwrap_or_default()
}

pub fn rewrite_replicaof(c: &Config, name: &str, state: &mut Rewrite) {
    match &c.replicaof {
        None => state.mark(name),
        Some((host, port)) => state.line(name, format!("{name} {host} {port}"), true),
    }
}

/// Normal, replica, pubsub.
const DEFAULT_LIMITS: [OutputLimit; 3] = [
    OutputLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    },
    OutputLimit {
        hard: 256 << 20,
        soft: 64 << 20,
        soft_seconds: 60,
    },
    OutputLimit {
        hard: 32 << 20,
        soft: 8 << 20,
        soft_seconds: 60,
    },
];

pub fn set_output_limits(c: &mut Config, args: &[String], _: Source) -> Result<(), String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".to_owned());
    }
    let mut updated = Vec::new();
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "replica" | "slave" => 1,
            "pubsub" => 2,
            _ => {
                return Err(
                    "Invalid client class specified in buffer limit configuration.".to_owned(),
                );
            }
        };
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let limit = OutputLimit {
            hard: super::parse_memory(&group[1]).ok_or_else(bad)?,
            soft: super::parse_memory(&group[2]).ok_or_else(bad)?,
            soft_seconds: group[3].parse::<u64>().map_err(|_| bad())?,
        };
        updated.push((class, limit));
    }
    for (class, limit) in updated {
        match class {
            0 => c.output_limit = limit,
            1 => c.replica_output_limit = limit,
            _ => c.pubsub_output_limit = limit,
        }
    }
    Ok(())
}

pub fn get_output_limits(c: &Config) -> String {
    let limit = |l: &OutputLimit| format!("{} {} {}", l.hard, l.soft, l.soft_seconds);
    format!(
        "normal {} slave {} pubsub {}",
        limit(&c.output_limit),
        limit(&c.replica_output_limit),
        limit(&c.pubsub_output_limit)
    )
}

pub fn rewrite_output_limits(c: &Config, name: &str, state: &mut Rewrite) {
    let classes = [
        ("normal", c.output_limit),
        ("replica", c.replica_output_limit),
        ("pubsub", c.pubsub_output_limit),
    ];
    for ((class, l), default) in classes.iter().zip(DEFAULT_LIMITS) {
        let line = format!(
            "{name} {class} {} {} {}",
            format_memory(l.hard as i64),
            format_memory(l.soft as i64),
            l.soft_seconds
        );
        state.line(name, line, *l != default);
    }
}

const OOM_DEFAULT: &str = "0 200 800";

pub fn set_oom_values(c: &mut Config, args: &[String], _: Source) -> Result<(), String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".to_owned());
    }
    let mut values = Vec::new();
    for a in args {
        match crate::resp::number::string2ll(a.as_bytes()) {
            Some(v) if (-2000..=2000).contains(&v) => values.push(v.to_string()),
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                        .to_owned(),
                );
            }
        }
    }
    keep(c, "oom-score-adj-values", values.join(" "), OOM_DEFAULT);
    Ok(())
}

pub fn get_oom_values(c: &Config) -> String {
    kept_text(c, "oom-score-adj-values", OOM_DEFAULT)
}

pub fn rewrite_oom_values(c: &Config, name: &str, state: &mut Rewrite) {
    let value = get_oom_values(c);
    let force = value != OOM_DEFAULT;
    state.line(name, format!("{name} {value}"), force);
}

const PERCENTILES_DEFAULT: &str = "50 99 99.9";

pub fn set_percentiles(c: &mut Config, args: &[String], _: Source) -> Result<(), String> {
    let mut values = Vec::new();
    let words: &[String] = match args {
        [one] if one.is_empty() => &[],
        _ => args,
    };
    for w in words {
        let Some(p) = w.parse::<f64>().ok().filter(|p| p.is_finite()) else {
            return Err("Invalid latency-tracking-info-percentiles parameters".to_owned());
        };
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .to_owned(),
            );
        }
        values.push(format!("{p}"));
    }
    keep(
        c,
        "latency-tracking-info-percentiles",
        values.join(" "),
        PERCENTILES_DEFAULT,
    );
    Ok(())
}

pub fn get_percentiles(c: &Config) -> String {
    kept_text(c, "latency-tracking-info-percentiles", PERCENTILES_DEFAULT)
}

pub fn rewrite_percentiles(c: &Config, name: &str, state: &mut Rewrite) {
    let value = get_percentiles(c);
    let shown = if value.is_empty() {
        "\"\"".to_owned()
    } else {
        value
    };
    state.line(name, format!("{name} {shown}"), true);
}

/// Keyspace notification classes in the order Redis writes them.
const NOTIFY_CLASSES: &str = "g$lshzxetdn";

pub fn set_notify(c: &mut Config, args: &[String], _: Source) -> Result<(), String> {
    let [flags] = args else {
        return Err("wrong number of arguments".to_owned());
    };
    let mut on = std::collections::HashSet::new();
    for ch in flags.chars() {
        match ch {
            'A' => on.extend("g$lshzxetd".chars()),
            'K' | 'E' | 'm' => {
                on.insert(ch);
            }
            c if NOTIFY_CLASSES.contains(c) => {
                on.insert(c);
            }
            _ => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_owned()),
        }
    }
    let mut text = String::new();
    if "g$lshzxetd".chars().all(|ch| on.contains(&ch)) {
        text.push('A');
        if on.contains(&'n') {
            text.push('n');
        }
    } else {
        text.extend(NOTIFY_CLASSES.chars().filter(|ch| on.contains(ch)));
    }
    text.extend("KEm".chars().filter(|ch| on.contains(ch)));
    if text.is_empty() {
        c.kept.remove("notify-keyspace-events");
        return Ok(());
    }
    c.kept.insert("notify-keyspace-events", Val::Text(text));
    Ok(())
}

/// The classes switched on, `n` included (the server reads this).
pub fn notify_classes(c: &Config) -> String {
    kept_text(c, "notify-keyspace-events", "")
}

/// As Redis's keyspaceEventsFlagsToString, which does not write `n` after
/// `A` (the class stays on).
pub fn get_notify(c: &Config) -> String {
    let text = notify_classes(c);
    if text.starts_with('A') {
        text.replacen('n', "", 1)
    } else {
        text
    }
}

pub fn rewrite_notify(c: &Config, name: &str, state: &mut Rewrite) {
    let value = get_notify(c);
    let force = !value.is_empty();
    state.line(name, format!("{name} {}", quote(&value)), force);
}

fn keep(c: &mut Config, name: &'static str, value: String, default: &str) {
    if value == default {
        c.kept.remove(name);
    } else {
        c.kept.insert(name, Val::Text(value));
    }
}

fn kept_text(c: &Config, name: &str, default: &str) -> String {
    match c.kept.get(name) {
        Some(Val::Text(t)) => t.clone(),
        _ => default.to_owned(),
    }
}

pub fn check_proc_title(template: &str) -> Result<(), String> {
    const KNOWN: &[&str] = &[
        "title",
        "listen-addr",
        "server-mode",
        "port",
        "tls-port",
        "unixsocket",
        "config-file",
    ];
    let invalid = || "template format is invalid or contains unknown variables".to_owned();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(invalid());
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(invalid)?;
        if !KNOWN.contains(&&after[..close]) {
            return Err(invalid());
        }
        rest = &after[close + 1..];
    }
    if template.trim().is_empty() {
        return Err(invalid());
    }
    Ok(())
}

pub fn check_dbfilename(name: &str) -> Result<(), String> {
    if name.contains('/') {
        return Err("dbfilename can't be a path, just a filename".to_owned());
    }
    Ok(())
}

pub fn check_appendfilename(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("appendfilename can't be empty".to_owned());
    }
    if name.contains('/') || name == "." || name == ".." {
        return Err("appendfilename can't be a path, just a filename".to_owned());
    }
    Ok(())
}

pub fn check_appenddirname(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("appenddirname can't be empty".to_owned());
    }
    if name.contains('/') || name == "." || name == ".." {
        return Err("appenddirname can't be a path, just a dirname".to_owned());
    }
    Ok(())
}
