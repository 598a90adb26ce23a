//! System-wide TCP counters from /proc/net/netstat (the `TcpExt` section
//! that `nstat` and `netstat -s` print), such as ListenOverflows and
//! ListenDrops. Linux only; elsewhere reading reports unsupported.

use std::collections::BTreeMap;
use std::io;

/// The file's sections are pairs of lines, "Prefix: names..." then
/// "Prefix: values...". Returns the counters of `section`.
pub fn parse(text: &str, section: &str) -> BTreeMap<String, u64> {
    let prefix = format!("{section}:");
    let mut lines = text.lines().filter(|l| l.starts_with(&prefix));
    let mut counters = BTreeMap::new();
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        let names = names[prefix.len()..].split_whitespace();
        let values = values[prefix.len()..].split_whitespace();
        for (name, value) in names.zip(values) {
            if let Ok(v) = value.parse() {
                counters.insert(name.to_owned(), v);
            }
        }
    }
    counters
}

/// The current TcpExt counters.
pub fn tcp_ext() -> io::Result<BTreeMap<String, u64>> {
    if !cfg!(any(target_os = "linux", target_os = "android")) {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "TcpExt counters come from /proc/net/netstat, which only Linux has",
        ));
    }
    let text = std::fs::read_to_string("/proc/net/netstat")?;
    Ok(parse(&text, "TcpExt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_of_lines_make_counters() {
        let text = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n\
                    TcpExt: 0 12 13\n\
                    IpExt: InNoRoutes ListenDrops\n\
                    IpExt: 5 99\n";
        let c = parse(text, "TcpExt");
        assert_eq!(c.get("ListenOverflows"), Some(&12));
        assert_eq!(c.get("ListenDrops"), Some(&13));
        assert_eq!(c.len(), 3);
        assert_eq!(parse(text, "IpExt").get("ListenDrops"), Some(&99));
        assert!(parse(text, "Nope").is_empty());
    }
}
