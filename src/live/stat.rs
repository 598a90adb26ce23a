//! One row of server vitals from `INFO` (what redis-cli --stat shows), and
//! per-second rates between two rows.

use serde::Serialize;

/// Vitals at one moment.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Row {
    /// Unix milliseconds when the reply arrived.
    pub unix_ms: u64,
    /// Keys over every database (`# Keyspace`).
    pub keys: u64,
    pub used_memory: u64,
    pub connected_clients: u64,
    pub blocked_clients: u64,
    pub total_commands_processed: u64,
    pub total_connections_received: u64,
    /// Commands per second since the previous row (null on the first).
    pub requests_per_sec: Option<f64>,
    /// New connections per second since the previous row.
    pub connections_per_sec: Option<f64>,
}

impl Row {
    /// Parse an `INFO` reply (all or default sections).
    pub fn from_info(info: &str, unix_ms: u64) -> Row {
        let mut row = Row {
            unix_ms,
            ..Row::default()
        };
        for line in info.lines() {
            let line = line.trim_end();
            let Some((field, value)) = line.split_once(':') else {
                continue;
            };
            let number = || value.parse::<u64>().unwrap_or(0);
            match field {
                "used_memory" => row.used_memory = number(),
                "connected_clients" => row.connected_clients = number(),
                "blocked_clients" => row.blocked_clients = number(),
                "total_commands_processed" => row.total_commands_processed = number(),
                "total_connections_received" => row.total_connections_received = number(),
                f if f.starts_with("db") && f[2..].bytes().all(|b| b.is_ascii_digit()) => {
                    row.keys += value
                        .split(',')
                        .find_map(|kv| kv.strip_prefix("keys="))
                        .and_then(|n| n.parse::<u64>().ok())
                        .unwrap_or(0);
                }
                _ => {}
            }
        }
        row
    }

    /// Fill the rates from the row before this one.
    pub fn rates_from(&mut self, before: &Row) {
        let secs = self.unix_ms.saturating_sub(before.unix_ms) as f64 / 1000.0;
        if secs <= 0.0 {
            return;
        }
        let per =
            |now: u64, then: u64| (now.saturating_sub(then) as f64 / secs * 10.0).round() / 10.0;
        self.requests_per_sec = Some(per(
            self.total_commands_processed,
            before.total_commands_processed,
        ));
        self.connections_per_sec = Some(per(
            self.total_connections_received,
            before.total_connections_received,
        ));
    }
}

/// Bytes the way redis-cli's --stat prints memory: 1.05M, 812.50K.
pub fn human_bytes(n: u64) -> String {
    let units = [
        (1u64 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (size, unit) in units {
        if n >= size {
            return format!("{:.2}{unit}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_fields_and_rates() {
        let info = "# Clients\r\nconnected_clients:3\r\nblocked_clients:1\r\n# Memory\r\n\
                    used_memory:1048576\r\n# Stats\r\ntotal_connections_received:10\r\n\
                    total_commands_processed:100\r\n# Keyspace\r\n\
                    db0:keys=5,expires=0,avg_ttl=0\r\ndb12:keys=7,expires=1,avg_ttl=3\r\n";
        let first = Row::from_info(info, 1000);
        assert_eq!(first.keys, 12);
        assert_eq!(first.used_memory, 1 << 20);
        assert_eq!((first.connected_clients, first.blocked_clients), (3, 1));
        let later = info.replace("processed:100", "processed:350");
        let mut second = Row::from_info(&later, 3500);
        second.rates_from(&first);
        assert_eq!(second.requests_per_sec, Some(100.0));
        assert_eq!(second.connections_per_sec, Some(0.0));
        assert_eq!(human_bytes(1 << 20), "1.00M");
        assert_eq!(human_bytes(512), "512B");
    }
}
