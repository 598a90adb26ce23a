//! The probe: for a socket, read every option that applies to it, apply the
//! requested settings, then read everything again, and say why what the
//! kernel applied differs from what was asked.

use std::io;

use serde::Serialize;
use socket2::{Domain, Protocol, Socket, Type};

use super::access::{self, AccessError};
use super::descriptor::{self, Applies, Descriptor, Level, OPTIONS, UnknownOption};
use super::errno::OsError;
use super::explain::{self, Observed};
use super::limits::Limits;
use super::sys;
use super::value::{Value, ValueError, ValueType};

/// The sockets sonde probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SocketKind {
    Tcp4,
    Tcp6,
    Udp4,
    Udp6,
}

impl SocketKind {
    pub const ALL: [SocketKind; 4] = [
        SocketKind::Tcp4,
        SocketKind::Tcp6,
        SocketKind::Udp4,
        SocketKind::Udp6,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SocketKind::Tcp4 => "tcp4",
            SocketKind::Tcp6 => "tcp6",
            SocketKind::Udp4 => "udp4",
            SocketKind::Udp6 => "udp6",
        }
    }

    pub fn is_tcp(self) -> bool {
        matches!(self, SocketKind::Tcp4 | SocketKind::Tcp6)
    }

    pub fn is_v6(self) -> bool {
        matches!(self, SocketKind::Tcp6 | SocketKind::Udp6)
    }

    /// The TCP kind for an address family.
    pub fn tcp_for(addr: &std::net::SocketAddr) -> SocketKind {
        if addr.is_ipv6() {
            SocketKind::Tcp6
        } else {
            SocketKind::Tcp4
        }
    }

    /// A new, unbound socket of this kind.
    pub fn open(self) -> io::Result<Socket> {
        let domain = if self.is_v6() {
            Domain::IPV6
        } else {
            Domain::IPV4
        };
        let (ty, proto) = if self.is_tcp() {
            (Type::STREAM, Protocol::TCP)
        } else {
            (Type::DGRAM, Protocol::UDP)
        };
        Socket::new(domain, ty, Some(proto))
    }
}

/// Whether an option means something on a socket kind.
pub fn applies(a: Applies, kind: SocketKind) -> bool {
    match a {
        Applies::Any => true,
        Applies::Tcp => kind.is_tcp(),
        Applies::Udp => !kind.is_tcp(),
        Applies::Ipv4 => !kind.is_v6(),
        Applies::Ipv6 => kind.is_v6(),
    }
}

/// One requested `NAME=VALUE`.
#[derive(Clone, Debug)]
pub struct Setting {
    pub option: &'static Descriptor,
    pub value: Value,
}

/// Why a `NAME=VALUE` text is not a setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("expected NAME=VALUE, such as SO_RCVBUF=65536")]
    NoEquals,
    #[error(transparent)]
    Unknown(#[from] UnknownOption),
    #[error("{name} takes {}, got {:?}", .value.expected, .value.got)]
    Value {
        name: &'static str,
        value: ValueError,
    },
}

/// Parse one `--set` argument.
pub fn parse_setting(text: &str) -> Result<Setting, SettingError> {
    let (name, value) = text.split_once('=').ok_or(SettingError::NoEquals)?;
    let option = descriptor::find(name)?;
    let value = option
        .value
        .parse(value)
        .map_err(|value| SettingError::Value {
            name: option.name_on(sys::HOST),
            value,
        })?;
    Ok(Setting { option, value })
}

/// One option on one socket, as the JSON `options` array lists it.
#[derive(Debug, Serialize)]
pub struct OptionRow {
    pub socket: SocketKind,
    pub name: &'static str,
    pub level: Level,
    /// The option number on this platform (null where it has none).
    pub option: Option<i32>,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    pub unit: Option<&'static str>,
    /// The platform and kernel have the option.
    pub supported: bool,
    pub default: Option<Value>,
    pub requested: Option<Value>,
    /// The value read back last (after settings, and after connecting when
    /// probing a target).
    pub effective: Option<Value>,
    /// The kernel's refusal of the requested value, or of reading it.
    pub error: Option<OsError>,
    pub note: Option<String>,
    pub meaning: &'static str,
    pub governed_by: &'static [&'static str],
}

impl OptionRow {
    /// The requested value was not applied (rejected or unsupported).
    pub fn rejected(&self) -> bool {
        self.requested.is_some() && (self.error.is_some() || !self.supported)
    }
}

/// Probe `sock`: defaults, then `settings`, then `between` (a connect, for
/// a target), then effective values. Options that do not apply to `kind`
/// are left out.
pub fn probe_socket(
    sock: &Socket,
    kind: SocketKind,
    settings: &[Setting],
    limits: &Limits,
    connected: bool,
    between: impl FnOnce(&Socket) -> io::Result<()>,
) -> io::Result<Vec<OptionRow>> {
    let options: Vec<&'static Descriptor> = OPTIONS
        .iter()
        .filter(|d| applies(d.applies, kind))
        .collect();
    let defaults: Vec<Result<Value, AccessError>> =
        options.iter().map(|d| access::get(sock, d)).collect();
    let results: Vec<Option<(&Value, Result<(), AccessError>)>> = options
        .iter()
        .map(|d| {
            settings
                .iter()
                .find(|s| s.option.id == d.id)
                .map(|s| (&s.value, access::set(sock, d, &s.value)))
        })
        .collect();
    between(sock)?;
    let rows = options
        .iter()
        .zip(defaults)
        .zip(results)
        .map(|((d, default), request)| {
            // A write-only option has an effect only once written.
            let effective = match (&request, d.reads_through) {
                (None, Some(_)) => access::get(sock, d),
                _ => access::read_back(sock, d),
            };
            row(kind, d, default, request, effective, limits, connected)
        })
        .collect();
    Ok(rows)
}

fn row(
    kind: SocketKind,
    d: &'static Descriptor,
    default: Result<Value, AccessError>,
    request: Option<(&Value, Result<(), AccessError>)>,
    effective: Result<Value, AccessError>,
    limits: &Limits,
    connected: bool,
) -> OptionRow {
    let unsupported = default.as_ref().err().filter(|e| e.is_unsupported());
    let requested = request.as_ref().map(|(v, _)| (*v).clone());
    let set_error = request.as_ref().and_then(|(_, r)| r.as_ref().err());
    let os_error = |e: &AccessError| match e {
        AccessError::Os(io) => Some(OsError::from_io(io)),
        AccessError::Unsupported(_) | AccessError::WriteOnly { .. } => None,
    };
    let error = set_error.and_then(os_error).or_else(|| {
        default
            .as_ref()
            .err()
            .filter(|e| !e.is_unsupported())
            .and_then(os_error)
    });
    let write_only = match (&default, &requested) {
        (Err(e @ AccessError::WriteOnly { .. }), None) => Some(e.to_string()),
        _ => None,
    };
    let note = match unsupported {
        Some(e) => Some(e.to_string()),
        None if write_only.is_some() => write_only,
        None => explain::note(
            d,
            &Observed {
                kind,
                connected,
                default: default.as_ref().ok(),
                requested: requested.as_ref(),
                set_error,
                effective: effective.as_ref().ok(),
            },
            limits,
        ),
    };
    OptionRow {
        socket: kind,
        name: d.name_on(sys::HOST),
        level: d.level,
        option: sys::number(d.id).map(|(_, n)| n),
        value_type: d.value,
        unit: d.value.unit(),
        supported: unsupported.is_none(),
        default: default.ok(),
        requested,
        effective: effective.ok(),
        error,
        note,
        meaning: d.meaning,
        governed_by: d.limits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_by_any_name_and_type() {
        let s = parse_setting("so_rcvbuf=64k").unwrap();
        assert_eq!(s.option.id, descriptor::Id::SoRcvbuf);
        assert_eq!(s.value, Value::Int(65536));
        assert_eq!(
            parse_setting("SO_RCVBUF").unwrap_err(),
            SettingError::NoEquals
        );
        let e = parse_setting("TCP_NODELAY=maybe").unwrap_err();
        assert_eq!(
            e.to_string(),
            "TCP_NODELAY takes a flag: 1, 0, on, off, true or false, got \"maybe\""
        );
        assert!(matches!(
            parse_setting("TCP_NODLAY=1"),
            Err(SettingError::Unknown(_))
        ));
    }

    #[test]
    fn options_apply_to_the_right_sockets() {
        assert!(applies(Applies::Tcp, SocketKind::Tcp6));
        assert!(!applies(Applies::Tcp, SocketKind::Udp4));
        assert!(applies(Applies::Udp, SocketKind::Udp6));
        assert!(!applies(Applies::Ipv6, SocketKind::Tcp4));
        assert!(applies(Applies::Any, SocketKind::Udp4));
    }

    #[test]
    fn an_option_the_platform_lacks_is_a_row_marked_unsupported() {
        let d = descriptor::get(descriptor::Id::TcpQuickack);
        let missing = || AccessError::Unsupported("TCP_QUICKACK does not exist on macos".into());
        let value = Value::Bool(true);
        let r = row(
            SocketKind::Tcp4,
            d,
            Err(missing()),
            Some((&value, Err(missing()))),
            Err(missing()),
            &Limits::default(),
            false,
        );
        assert!(!r.supported);
        assert_eq!((&r.default, &r.effective, &r.error), (&None, &None, &None));
        assert_eq!(
            r.note.as_deref(),
            Some("TCP_QUICKACK does not exist on macos")
        );
        assert!(r.rejected(), "a request for it was not applied");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_fresh_tcp_socket_reads_every_option_and_a_rejected_value_is_a_finding() {
        let limits = Limits::read();
        let sock = SocketKind::Tcp4.open().unwrap();
        let settings = [
            parse_setting("TCP_NODELAY=1").unwrap(),
            parse_setting("TCP_MAXSEG=10").unwrap(),
        ];
        let rows = probe_socket(&sock, SocketKind::Tcp4, &settings, &limits, false, |_| {
            Ok(())
        })
        .unwrap();
        assert!(rows.iter().all(|r| r.supported), "{rows:#?}");
        assert!(!rows.iter().any(|r| r.name == "SO_BROADCAST"));
        let nodelay = rows.iter().find(|r| r.name == "TCP_NODELAY").unwrap();
        assert_eq!(nodelay.default, Some(Value::Bool(false)));
        assert_eq!(nodelay.effective, Some(Value::Bool(true)));
        assert!(!nodelay.rejected());
        let mss = rows.iter().find(|r| r.name == "TCP_MAXSEG").unwrap();
        assert!(mss.rejected());
        assert_eq!(mss.error.as_ref().and_then(|e| e.name), Some("EINVAL"));
    }
}
