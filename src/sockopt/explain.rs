//! Why a value is what it is: one sentence per option and socket that ties
//! what was read to the kernel limit behind it, or says why the kernel
//! applied something other than what was requested. The rules are Linux's
//! (doubling and clamping of buffers, autotuning, QUICKACK); elsewhere only
//! the generic "asked X, got Y" remains.

use std::io;

use super::access::AccessError;
use super::descriptor::{Descriptor, Id, Platform};
use super::errno::OsError;
use super::limits::Limits;
use super::probe::SocketKind;
use super::sys;
use super::value::Value;

/// What was seen on one socket for one option.
pub struct Observed<'a> {
    pub kind: SocketKind,
    pub connected: bool,
    pub default: Option<&'a Value>,
    pub requested: Option<&'a Value>,
    pub set_error: Option<&'a AccessError>,
    pub effective: Option<&'a Value>,
}

/// The note for an option row, if there is something to say.
pub fn note(d: &Descriptor, o: &Observed, limits: &Limits) -> Option<String> {
    let linux = sys::HOST == Some(Platform::Linux);
    if let Some(err) = o.set_error {
        return Some(rejected(d, err, limits, linux));
    }
    if let Some(requested) = o.requested {
        return applied(d, o, requested, limits, linux);
    }
    if let (Some(before), Some(after)) = (o.default, o.effective)
        && before != after
    {
        let was = before.show(d.value);
        return Some(match (d.id, o.connected) {
            (Id::TcpMaxseg, true) => {
                format!("negotiated in the handshake (was {was} before connect)")
            }
            (Id::SoSndbuf | Id::SoRcvbuf, true) => {
                format!(
                    "sized by the kernel as the connection was set up (was {was} before connect)"
                )
            }
            (_, true) => format!("was {was} before connect"),
            (_, false) => format!("was {was} before the other settings"),
        });
    }
    if linux {
        default_note(d, o, limits)
    } else {
        None
    }
}

/// The kernel refused the requested value.
fn rejected(d: &Descriptor, err: &AccessError, limits: &Limits, linux: bool) -> String {
    let io = match err {
        AccessError::Unsupported(_) | AccessError::WriteOnly { .. } => return err.to_string(),
        AccessError::Os(io) => io,
    };
    let mut text = format!("rejected: {}", OsError::from_io(io));
    if let Some(hint) = linux.then(|| rejection_hint(d.id, io, limits)).flatten() {
        text.push_str("; ");
        text.push_str(&hint);
    }
    text
}

#[cfg(unix)]
fn rejection_hint(id: Id, io: &io::Error, limits: &Limits) -> Option<String> {
    let errno = io.raw_os_error()?;
    Some(match (id, errno) {
        (Id::TcpMaxseg, libc::EINVAL) => "Linux accepts 88 to 32767, or 0 for the default".into(),
        (Id::TcpCongestion, libc::ENOENT) => format!(
            "not loaded; available: {}",
            limits
                .text("net.ipv4.tcp_available_congestion_control")
                .unwrap_or("?")
        ),
        (Id::TcpCongestion, libc::EPERM) => format!(
            "not in net.ipv4.tcp_allowed_congestion_control ({}) and no CAP_NET_ADMIN",
            limits
                .text("net.ipv4.tcp_allowed_congestion_control")
                .unwrap_or("?")
        ),
        (Id::SoRcvbufforce | Id::SoSndbufforce, libc::EPERM) => "needs CAP_NET_ADMIN".into(),
        (Id::IpTtl, libc::EINVAL) => "Linux accepts 1 to 255, or -1 for the default".into(),
        (Id::Ipv6UnicastHops, libc::EINVAL) => {
            "Linux accepts 0 to 255, or -1 for the default".into()
        }
        (Id::TcpKeepidle | Id::TcpKeepintvl, libc::EINVAL) => {
            "Linux accepts 1 to 32767 seconds".into()
        }
        (Id::TcpKeepcnt, libc::EINVAL) => "Linux accepts 1 to 127 probes".into(),
        (Id::TcpUserTimeout, libc::EINVAL) => "must not be negative".into(),
        _ => return None,
    })
}

#[cfg(not(unix))]
fn rejection_hint(_: Id, _: &io::Error, _: &Limits) -> Option<String> {
    None
}

/// The kernel accepted the request; say how it differs from what was
/// asked, and what else changed.
fn applied(
    d: &Descriptor,
    o: &Observed,
    requested: &Value,
    limits: &Limits,
    linux: bool,
) -> Option<String> {
    let effective = o.effective?;
    if linux {
        match d.id {
            Id::SoRcvbuf | Id::SoSndbuf | Id::SoRcvbufforce | Id::SoSndbufforce => {
                return buffer_note(d.id, o.kind, requested, effective, limits);
            }
            Id::TcpQuickack => {
                return Some(
                    "not sticky: the kernel returns to delayed ACKs by itself \
                     (see --experiment quickack)"
                        .into(),
                );
            }
            Id::IpTtl | Id::Ipv6UnicastHops if requested == &Value::Int(-1) => {
                return Some(format!("-1 restores the default, {effective}"));
            }
            _ => {}
        }
    }
    (requested != effective).then(|| {
        format!(
            "asked for {}, the kernel applied {}",
            requested.show(d.value),
            effective.show(d.value)
        )
    })
}

/// Linux's buffer arithmetic: the request is capped at rmem_max/wmem_max
/// (unless FORCE), doubled to account for bookkeeping, and floored at a
/// small minimum; on TCP, setting it freezes the size (no autotuning).
fn buffer_note(
    id: Id,
    kind: SocketKind,
    requested: &Value,
    effective: &Value,
    limits: &Limits,
) -> Option<String> {
    let (asked, got) = (requested.as_int()?, effective.as_int()?);
    let receive = matches!(id, Id::SoRcvbuf | Id::SoRcvbufforce);
    let forced = matches!(id, Id::SoRcvbufforce | Id::SoSndbufforce);
    let cap_name = if receive {
        "net.core.rmem_max"
    } else {
        "net.core.wmem_max"
    };
    let cap = limits.number(cap_name);
    let mut text = if got == asked.saturating_mul(2) {
        if forced && cap.is_some_and(|c| asked > c) {
            format!("past {cap_name} without a cap, then doubled for bookkeeping")
        } else {
            "doubled: the kernel counts bookkeeping overhead, so about half is payload".to_owned()
        }
    } else if let Some(c) = cap.filter(|c| asked > *c && got == c.saturating_mul(2)) {
        format!("capped at {cap_name} ({c}), then doubled")
    } else if got > asked.saturating_mul(2) {
        "raised to the kernel's minimum".to_owned()
    } else {
        format!("asked for {asked}, the kernel applied {got}")
    };
    if kind.is_tcp() {
        let (table, direction) = if receive {
            ("net.ipv4.tcp_rmem", "receive")
        } else {
            ("net.ipv4.tcp_wmem", "send")
        };
        match limits.nth(table, 2) {
            Some(max) => text.push_str(&format!(
                "; {direction} autotuning is now off for this socket ({table} max {max} no longer applies)"
            )),
            None => text.push_str(&format!("; {direction} autotuning is now off for this socket")),
        }
    }
    Some(text)
}

/// Options whose default is one number sysctl, with what else to say.
const DEFAULT_FROM: &[(Id, &str, &str)] = &[
    (
        Id::TcpKeepidle,
        "net.ipv4.tcp_keepalive_time",
        "; used only while SO_KEEPALIVE is on",
    ),
    (Id::TcpKeepintvl, "net.ipv4.tcp_keepalive_intvl", ""),
    (Id::TcpKeepcnt, "net.ipv4.tcp_keepalive_probes", ""),
    (Id::IpTtl, "net.ipv4.ip_default_ttl", ""),
    (Id::Ipv6UnicastHops, "net.ipv6.conf.all.hop_limit", ""),
    (Id::Ipv6V6only, "net.ipv6.bindv6only", ""),
];

/// Where a default comes from, when nothing was requested.
fn default_note(d: &Descriptor, o: &Observed, limits: &Limits) -> Option<String> {
    let value = o.default?;
    // "= sysctl" when the default is the sysctl's value, else both.
    let from = |sysctl: &str, expected: Option<i64>, extra: &str| -> Option<String> {
        let expected = expected?;
        let base = if value.as_int() == Some(expected) {
            format!("= {sysctl}")
        } else {
            format!("differs from {sysctl} ({expected})")
        };
        Some(format!("{base}{extra}"))
    };
    // TCP buffers start at element 1 of tcp_rmem/tcp_wmem and autotune up
    // to element 2; other sockets start at the core default.
    let buffer = |table: &str, core: &str| {
        if o.kind.is_tcp() {
            let short = table.trim_start_matches("net.ipv4.");
            let extra = limits
                .nth(table, 2)
                .map(|m| format!("; autotuning may grow it to {short}[2] ({m})"))
                .unwrap_or_default();
            from(&format!("{table}[1]"), limits.nth(table, 1), &extra)
        } else {
            from(core, limits.number(core), "")
        }
    };
    if let Some((_, sysctl, extra)) = DEFAULT_FROM.iter().find(|(id, _, _)| *id == d.id) {
        return from(sysctl, limits.number(sysctl), extra);
    }
    match d.id {
        Id::SoRcvbuf => buffer("net.ipv4.tcp_rmem", "net.core.rmem_default"),
        Id::SoSndbuf => buffer("net.ipv4.tcp_wmem", "net.core.wmem_default"),
        // 0 on the socket means "follow the sysctl".
        Id::TcpNotsentLowat if value.as_int() == Some(0) => {
            let sysctl = limits.number("net.ipv4.tcp_notsent_lowat")?;
            let unlimited = if sysctl == i64::from(u32::MAX) {
                ", no limit"
            } else {
                ""
            };
            Some(format!(
                "0: the socket follows net.ipv4.tcp_notsent_lowat ({sysctl}{unlimited})"
            ))
        }
        Id::TcpCongestion => {
            let sysctl = limits.text("net.ipv4.tcp_congestion_control")?;
            Some(match value {
                Value::Text(t) if t == sysctl => "= net.ipv4.tcp_congestion_control".to_owned(),
                _ => format!("differs from net.ipv4.tcp_congestion_control ({sysctl})"),
            })
        }
        Id::TcpUserTimeout if value.as_int() == Some(0) => Some(match limits
            .number("net.ipv4.tcp_retries2")
        {
            Some(n) => format!("0: the retransmission count decides (net.ipv4.tcp_retries2 = {n})"),
            None => "0: the retransmission count decides".to_owned(),
        }),
        Id::TcpMaxseg if !o.connected => {
            Some("before connect the kernel reports a default; the handshake negotiates the real MSS".into())
        }
        Id::TcpQuickack => Some(
            "reads 1 while the connection is not in delayed-ACK (interactive) mode; the kernel switches by itself"
                .into(),
        ),
        _ => None,
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::super::descriptor;
    use super::super::limits::SysctlValue;
    use super::*;

    fn limits() -> Limits {
        let mut l = Limits::default();
        l.0.insert("net.core.rmem_max", SysctlValue::Number(4_194_304));
        l.0.insert(
            "net.ipv4.tcp_rmem",
            SysctlValue::Numbers(vec![4096, 131_072, 33_554_432]),
        );
        l
    }

    fn observed<'a>(requested: &'a Value, effective: &'a Value) -> Observed<'a> {
        Observed {
            kind: SocketKind::Tcp4,
            connected: false,
            default: None,
            requested: Some(requested),
            set_error: None,
            effective: Some(effective),
        }
    }

    #[test]
    fn buffer_notes_explain_doubling_clamping_and_autotuning() {
        let d = descriptor::get(Id::SoRcvbuf);
        let l = limits();
        let doubled = note(d, &observed(&Value::Int(65536), &Value::Int(131_072)), &l).unwrap();
        assert!(doubled.starts_with("doubled"), "{doubled}");
        assert!(doubled.contains("autotuning is now off"), "{doubled}");
        let capped = note(
            d,
            &observed(&Value::Int(16 << 20), &Value::Int(8_388_608)),
            &l,
        )
        .unwrap();
        assert!(
            capped.starts_with("capped at net.core.rmem_max (4194304)"),
            "{capped}"
        );
        let floor = note(d, &observed(&Value::Int(1), &Value::Int(2304)), &l).unwrap();
        assert!(
            floor.starts_with("raised to the kernel's minimum"),
            "{floor}"
        );
    }

    #[test]
    fn a_rejection_names_the_errno_and_the_accepted_range() {
        let d = descriptor::get(Id::TcpMaxseg);
        let err = AccessError::Os(io::Error::from_raw_os_error(libc::EINVAL));
        let o = Observed {
            set_error: Some(&err),
            ..observed(&Value::Int(10), &Value::Int(536))
        };
        assert_eq!(
            note(d, &o, &limits()).unwrap(),
            "rejected: EINVAL (Invalid argument); Linux accepts 88 to 32767, or 0 for the default"
        );
    }
}
