//! Structured logs for long-running commands (`serve`, `replica tail`): one
//! event per line on stderr (or a file), as text for people or as JSON
//! Lines for log collectors (`--log-format json`).
//!
//! An event is a level, a message and a few named fields. Text lines look
//! like redis-server's (`pid:M 22 Nov 2026 10:00:00.123 * message k=v`);
//! JSON lines are `{"ts_ms":…,"level":"notice","msg":"…", fields…}`.
//! Logging never fails the caller: a write error is ignored (there is
//! nowhere left to report it).

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;

use serde_json::{Map, Value};

/// How log lines are rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Text lines (the default; also what a terminal shows).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Severity, in Redis's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Verbose => "verbose",
            Level::Notice => "notice",
            Level::Warning => "warning",
        }
    }

    /// redis-server's marker character for the level.
    fn marker(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning => '#',
        }
    }
}

/// A field value: text or a number.
pub enum Field<'a> {
    Str(&'a str),
    Int(i64),
}

enum Sink {
    Stderr,
    Stdout,
    File(File),
}

/// A logger shared by the parts of one command.
pub struct Logger {
    format: LogFormat,
    min: Mutex<Level>,
    sink: Mutex<Sink>,
    /// Role letter in text lines (M master, S replica, C child).
    role: char,
}

impl Logger {
    /// Log to stderr.
    pub fn stderr(format: LogFormat, min: Level) -> Logger {
        Logger {
            format,
            min: Mutex::new(min),
            sink: Mutex::new(Sink::Stderr),
            role: 'M',
        }
    }

    /// Log to stdout, as redis-server does with `logfile ""`.
    pub fn stdout(format: LogFormat, min: Level) -> Logger {
        Logger {
            format,
            min: Mutex::new(min),
            sink: Mutex::new(Sink::Stdout),
            role: 'M',
        }
    }

    /// The file descriptor lines go to, for a last line written where no
    /// lock may be taken (a crash report from a signal handler).
    pub fn raw_fd(&self) -> Option<i32> {
        use std::os::fd::AsRawFd;
        match &*self.sink.lock().ok()? {
            Sink::Stderr => Some(2),
            Sink::Stdout => Some(1),
            Sink::File(f) => Some(f.as_raw_fd()),
        }
    }

    /// Log to a file (appending), as redis-server's `logfile`.
    pub fn file(format: LogFormat, min: Level, path: &Path) -> io::Result<Logger> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Logger {
            format,
            min: Mutex::new(min),
            sink: Mutex::new(Sink::File(file)),
            role: 'M',
        })
    }

    /// The role letter of text lines from now on (a server that becomes a
    /// replica logs with `S`).
    pub fn set_role(&mut self, role: char) {
        self.role = role;
    }

    pub fn set_level(&self, level: Level) {
        if let Ok(mut min) = self.min.lock() {
            *min = level;
        }
    }

    pub fn enabled(&self, level: Level) -> bool {
        self.min.lock().map(|min| level >= *min).unwrap_or(true)
    }

    /// Whether text goes to a terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(self.sink.lock().as_deref(), Ok(Sink::Stderr)) && io::stderr().is_terminal()
    }

    pub fn log(&self, level: Level, msg: &str, fields: &[(&str, Field<'_>)]) {
        if !self.enabled(level) {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let line = match self.format {
            LogFormat::Json => {
                let mut obj = Map::new();
                obj.insert("ts_ms".into(), Value::from(now.as_millis() as u64));
                obj.insert("level".into(), Value::from(level.name()));
                obj.insert("msg".into(), Value::from(msg));
                for (name, value) in fields {
                    let v = match value {
                        Field::Str(s) => Value::from(*s),
                        Field::Int(n) => Value::from(*n),
                    };
                    obj.insert((*name).to_owned(), v);
                }
                let mut line = Value::Object(obj).to_string();
                line.push('\n');
                line
            }
            LogFormat::Text => {
                let mut line = format!(
                    "{}:{} {} {} {}",
                    std::process::id(),
                    self.role,
                    timestamp(now),
                    level.marker(),
                    msg
                );
                for (name, value) in fields {
                    match value {
                        Field::Str(s) => line.push_str(&format!(" {name}={s}")),
                        Field::Int(n) => line.push_str(&format!(" {name}={n}")),
                    }
                }
                line.push('\n');
                line
            }
        };
        if let Ok(mut sink) = self.sink.lock() {
            let _ = match &mut *sink {
                Sink::Stderr => io::stderr().write_all(line.as_bytes()),
                Sink::Stdout => {
                    let mut out = io::stdout().lock();
                    out.write_all(line.as_bytes()).and_then(|()| out.flush())
                }
                Sink::File(f) => f.write_all(line.as_bytes()),
            };
        }
    }

    pub fn notice(&self, msg: &str, fields: &[(&str, Field<'_>)]) {
        self.log(Level::Notice, msg, fields);
    }

    pub fn warning(&self, msg: &str, fields: &[(&str, Field<'_>)]) {
        self.log(Level::Warning, msg, fields);
    }

    pub fn verbose(&self, msg: &str, fields: &[(&str, Field<'_>)]) {
        self.log(Level::Verbose, msg, fields);
    }
}

/// "22 Nov 2026 10:00:00.123" in UTC.
fn timestamp(since_epoch: std::time::Duration) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = since_epoch.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{d:02} {} {y} {:02}:{:02}:{:02}.{:03}",
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since_epoch.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
        assert_eq!(
            timestamp(std::time::Duration::from_millis(1_700_000_000_123)),
            "14 Nov 2023 22:13:20.123"
        );
    }

    #[test]
    fn json_lines_carry_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = Logger::file(LogFormat::Json, Level::Notice, &path).unwrap();
        log.notice(
            "ready",
            &[("port", Field::Int(7)), ("addr", Field::Str("x"))],
        );
        log.verbose("hidden", &[]);
        let text = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["msg"], "ready");
        assert_eq!(v["port"], 7);
        assert_eq!(v["level"], "notice");
        assert_eq!(text.lines().count(), 1);
    }
}
