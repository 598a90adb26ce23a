//! Where to connect and how: [`Endpoint`], parsed and validated once from
//! redis-cli-style options ([`crate::cli::ConnectArgs`]), a positional
//! `HOST:PORT`, or a `redis://`, `rediss://` or `unix://` URI.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::ConnectArgs;

/// Redis's port when none is given.
pub const DEFAULT_PORT: u16 = 6379;

/// A server's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    Tcp { host: String, port: u16 },
    Unix(PathBuf),
}

/// TLS settings (`--tls` and friends, or a `rediss://` URI).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tls {
    /// `--cacert`: PEM file of the CAs to trust (default: the system's).
    pub ca_file: Option<PathBuf>,
    /// `--cacertdir`: a directory of PEM CA files.
    pub ca_dir: Option<PathBuf>,
    /// `--cert` / `--key`: our certificate for servers that check clients.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `--sni`: the name to ask for and verify (default: the host).
    pub sni: Option<String>,
    /// `--insecure`: skip certificate verification.
    pub insecure: bool,
}

/// Everything needed to open an authenticated connection to one server.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: Address,
    /// ACL user for `AUTH user password` (Redis 6+).
    pub user: Option<String>,
    pub password: Option<String>,
    /// Database to `SELECT` after connecting.
    pub db: Option<u32>,
    pub tls: Option<Tls>,
    pub connect_timeout: Duration,
}

// The password never appears in debug output.
impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("address", &self.address)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("db", &self.db)
            .field("tls", &self.tls)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// A connection option that does not make sense, named as the user wrote it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct EndpointError(pub String);

fn bad(message: impl Into<String>) -> EndpointError {
    EndpointError(message.into())
}

impl Endpoint {
    /// 127.0.0.1:6379, plain, no password.
    pub fn local(port: u16) -> Endpoint {
        Endpoint {
            address: Address::Tcp {
                host: "127.0.0.1".to_owned(),
                port,
            },
            user: None,
            password: None,
            db: None,
            tls: None,
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// Host and port for TCP endpoints.
    pub fn host_port(&self) -> Option<(&str, u16)> {
        match &self.address {
            Address::Tcp { host, port } => Some((host, *port)),
            Address::Unix(_) => None,
        }
    }

    /// Resolve the options of one command. `positional` is the command's
    /// own `HOST:PORT` argument (or a URI), when it has one; `default_timeout`
    /// applies without `--connect-timeout`. Environment: `REDISCLI_AUTH` (and
    /// `SONDE_PASSWORD`) supply a password that no option or URI gave.
    pub fn from_args(
        args: &ConnectArgs,
        positional: Option<&str>,
        default_timeout: Duration,
    ) -> Result<Endpoint, EndpointError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Endpoint::resolve(
            args,
            positional,
            default_timeout,
            env("REDISCLI_AUTH").or_else(|| env("SONDE_PASSWORD")),
            &mut || super::ask_password().map_err(|e| bad(format!("--askpass: {e:#}"))),
        )
    }

    /// [`Endpoint::from_args`] with the environment and the terminal
    /// prompt handed in (for tests).
    pub fn resolve(
        args: &ConnectArgs,
        positional: Option<&str>,
        default_timeout: Duration,
        env_password: Option<String>,
        ask: &mut dyn FnMut() -> Result<String, EndpointError>,
    ) -> Result<Endpoint, EndpointError> {
        let mut endpoint = Endpoint::local(DEFAULT_PORT);
        endpoint.connect_timeout = args.connect_timeout.unwrap_or(default_timeout);
        let explicit_address = args.host.is_some() || args.port.is_some() || args.socket.is_some();
        match (positional, &args.uri) {
            (Some(p), Some(_)) => {
                return Err(bad(format!(
                    "both {p:?} and --uri name the server: give one"
                )));
            }
            (Some(p), None) if explicit_address => {
                return Err(bad(format!(
                    "both {p:?} and -h/-p/-s name the server: give one"
                )));
            }
            (Some(p), None) if looks_like_uri(p) => endpoint.apply_uri(p)?,
            (Some(p), None) => {
                let (host, port) = parse_host_port(p)?;
                endpoint.address = Address::Tcp { host, port };
            }
            (None, Some(uri)) => endpoint.apply_uri(uri)?,
            (None, None) => {}
        }
        // -h / -p / -s override what a URI said, as in redis-cli.
        if let Some(path) = &args.socket {
            if args.host.is_some() || args.port.is_some() {
                return Err(bad("-s (a unix socket) and -h/-p (TCP) exclude each other"));
            }
            endpoint.address = Address::Unix(path.clone());
        }
        if args.host.is_some() || args.port.is_some() {
            let (mut host, mut port) = match &endpoint.address {
                Address::Tcp { host, port } => (host.clone(), *port),
                Address::Unix(_) => ("127.0.0.1".to_owned(), DEFAULT_PORT),
            };
            if let Some(h) = &args.host {
                if h.is_empty() {
                    return Err(bad("-h: empty host name"));
                }
                host = h.trim_start_matches('[').trim_end_matches(']').to_owned();
            }
            if let Some(p) = args.port {
                port = p;
            }
            endpoint.address = Address::Tcp { host, port };
        }
        if args.user.is_some() {
            endpoint.user = args.user.clone();
        }
        if let Some(db) = args.db {
            endpoint.db = Some(db);
        }
        // --askpass wins over -a and the environment, as in redis-cli.
        if args.askpass {
            endpoint.password = Some(ask()?);
        } else if let Some(p) = &args.pass {
            endpoint.password = Some(p.clone());
        } else if endpoint.password.is_none() {
            endpoint.password = env_password;
        }
        if endpoint.user.is_some() && endpoint.password.is_none() {
            return Err(bad(
                "--user needs a password: -a PASSWORD, --askpass, REDISCLI_AUTH, or a URI \
                 redis://USER:PASSWORD@HOST:PORT",
            ));
        }
        let tls_detail = [
            ("--cacert", args.cacert.is_some()),
            ("--cacertdir", args.cacertdir.is_some()),
            ("--cert", args.cert.is_some()),
            ("--key", args.key.is_some()),
            ("--sni", args.sni.is_some()),
            ("--insecure", args.insecure),
        ];
        if args.tls {
            endpoint.tls.get_or_insert_with(Tls::default);
        }
        match &mut endpoint.tls {
            None => {
                if let Some((name, _)) = tls_detail.iter().find(|(_, given)| *given) {
                    return Err(bad(format!("{name} needs --tls (or a rediss:// URI)")));
                }
            }
            Some(tls) => {
                tls.ca_file = args.cacert.clone();
                tls.ca_dir = args.cacertdir.clone();
                tls.cert = args.cert.clone();
                tls.key = args.key.clone();
                tls.sni = args.sni.clone();
                tls.insecure = args.insecure;
                if tls.cert.is_some() != tls.key.is_some() {
                    return Err(bad("--cert and --key go together"));
                }
                if let Address::Unix(_) = endpoint.address {
                    return Err(bad("TLS over a unix socket is not supported: drop --tls"));
                }
            }
        }
        Ok(endpoint)
    }

    /// Apply a `redis://`, `rediss://` or `unix://` URI.
    fn apply_uri(&mut self, uri: &str) -> Result<(), EndpointError> {
        let (scheme, rest) = uri.split_once("://").ok_or_else(|| {
            bad(format!(
                "invalid URI {uri:?}: expected redis://, rediss:// or unix://"
            ))
        })?;
        let invalid = |why: &str| bad(format!("invalid URI {uri:?}: {why}"));
        let scheme = scheme.to_ascii_lowercase();
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        // userinfo is everything before the last '@' (passwords may hold '@'
        // only percent-encoded, but be lenient).
        let (userinfo, hostpart) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        if let Some(info) = userinfo {
            let (user, password) = match info.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                // No colon: a password alone, as redis-cli reads it.
                None => ("", Some(info)),
            };
            if !user.is_empty() {
                self.user = Some(percent_decode(user).map_err(|e| invalid(&e))?);
            }
            if let Some(p) = password.filter(|p| !p.is_empty()) {
                self.password = Some(percent_decode(p).map_err(|e| invalid(&e))?);
            }
        }
        match scheme.as_str() {
            "redis" | "rediss" | "valkey" | "valkeys" => {
                if matches!(scheme.as_str(), "rediss" | "valkeys") {
                    self.tls = Some(Tls::default());
                }
                let (hostport, path) = match hostpart.split_once('/') {
                    Some((h, p)) => (h, p),
                    None => (hostpart, ""),
                };
                let (host, port) = if hostport.is_empty() {
                    ("127.0.0.1".to_owned(), DEFAULT_PORT)
                } else {
                    parse_host_port(hostport).map_err(|e| invalid(&e.0))?
                };
                self.address = Address::Tcp { host, port };
                if !path.is_empty() {
                    self.db = Some(
                        path.parse()
                            .map_err(|_| invalid("the path must be a database number"))?,
                    );
                }
            }
            "unix" => {
                if hostpart.is_empty() {
                    return Err(invalid("no socket path"));
                }
                self.address = Address::Unix(PathBuf::from(
                    percent_decode(hostpart).map_err(|e| invalid(&e))?,
                ));
            }
            other => {
                return Err(invalid(&format!(
                    "unknown scheme {other}:// (expected redis://, rediss:// or unix://)"
                )));
            }
        }
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("db", n)) => {
                    self.db = Some(n.parse().map_err(|_| invalid("db= must be a number"))?)
                }
                _ => return Err(invalid(&format!("unknown parameter {pair:?} (only db=N)"))),
            }
        }
        Ok(())
    }
}

impl fmt::Display for Endpoint {
    /// How messages name the server: `127.0.0.1:6379`, `[::1]:6379`,
    /// `unix:/path`, with `tls://` in front for TLS. No credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tls.is_some() {
            f.write_str("tls://")?;
        }
        match &self.address {
            Address::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Address::Tcp { host, port } => write!(f, "{host}:{port}"),
            Address::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

fn looks_like_uri(text: &str) -> bool {
    text.contains("://")
}

/// `HOST:PORT`, `[v6]:PORT`, `HOST` (port 6379), or a bare IPv6 address.
pub fn parse_host_port(text: &str) -> Result<(String, u16), EndpointError> {
    let invalid = || {
        bad(format!(
            "invalid address {text:?}: expected HOST:PORT, such as 127.0.0.1:6379 or [::1]:6379"
        ))
    };
    let port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(invalid()),
        Ok(n) => Ok(n),
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, tail) = rest.split_once(']').ok_or_else(invalid)?;
        if host.is_empty() {
            return Err(invalid());
        }
        let port = match tail.strip_prefix(':') {
            Some(p) => port(p)?,
            None if tail.is_empty() => DEFAULT_PORT,
            None => return Err(invalid()),
        };
        return Ok((host.to_owned(), port));
    }
    match text.rsplit_once(':') {
        Some((host, _)) if host.contains(':') => Ok((text.to_owned(), DEFAULT_PORT)),
        Some((host, p)) if !host.is_empty() => Ok((host.to_owned(), port(p)?)),
        Some(_) => Err(invalid()),
        None if !text.is_empty() && !text.contains('/') => Ok((text.to_owned(), DEFAULT_PORT)),
        None => Err(invalid()),
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at character {}", i + 1))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent escapes do not form UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: &ConnectArgs, positional: Option<&str>) -> Result<Endpoint, EndpointError> {
        Endpoint::resolve(args, positional, Duration::from_secs(5), None, &mut || {
            Ok("asked".to_owned())
        })
    }

    fn tcp(host: &str, port: u16) -> Address {
        Address::Tcp {
            host: host.to_owned(),
            port,
        }
    }

    #[test]
    fn host_port_forms() {
        let ok = |t: &str| parse_host_port(t).unwrap();
        assert_eq!(ok("127.0.0.1:7000"), ("127.0.0.1".into(), 7000));
        assert_eq!(ok("localhost"), ("localhost".into(), 6379));
        assert_eq!(ok("[::1]:7001"), ("::1".into(), 7001));
        assert_eq!(ok("[::1]"), ("::1".into(), 6379));
        assert_eq!(ok("::1"), ("::1".into(), 6379));
        for bad in [
            "",
            ":6379",
            "host:port",
            "[::1",
            "[::1]x",
            "h:99999",
            "h:0",
            "[]:1",
        ] {
            assert!(parse_host_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uris() {
        let args = |uri: &str| ConnectArgs {
            uri: Some(uri.to_owned()),
            ..ConnectArgs::default()
        };
        let e = resolve(&args("redis://alice:s%40cret@example.com:7000/3"), None).unwrap();
        assert_eq!(e.address, tcp("example.com", 7000));
        assert_eq!(e.user.as_deref(), Some("alice"));
        assert_eq!(e.password.as_deref(), Some("s@cret"));
        assert_eq!(e.db, Some(3));
        assert!(e.tls.is_none());
        let e = resolve(&args("rediss://:pw@[::1]:6380"), None).unwrap();
        assert_eq!(e.address, tcp("::1", 6380));
        assert_eq!(
            (e.user.as_deref(), e.password.as_deref()),
            (None, Some("pw"))
        );
        assert!(e.tls.is_some());
        assert_eq!(e.to_string(), "tls://[::1]:6380");
        let e = resolve(&args("unix:///run/redis.sock?db=2"), None).unwrap();
        assert_eq!(e.address, Address::Unix("/run/redis.sock".into()));
        assert_eq!(e.db, Some(2));
        let e = resolve(&args("redis://pw@h"), None).unwrap();
        assert_eq!(
            (e.user.as_deref(), e.password.as_deref()),
            (None, Some("pw"))
        );
        for bad in [
            "http://h:1",
            "redis://h:x",
            "redis://h:1/x",
            "unix://",
            "redis://h?foo=1",
            "redis://%zz@h",
            "h:1",
        ] {
            assert!(resolve(&args(bad), None).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_override_and_conflict() {
        let uri = ConnectArgs {
            uri: Some("redis://u:p@h:1/2".into()),
            port: Some(9),
            pass: Some("q".into()),
            db: Some(4),
            ..ConnectArgs::default()
        };
        let e = resolve(&uri, None).unwrap();
        assert_eq!(e.address, tcp("h", 9));
        assert_eq!(e.password.as_deref(), Some("q"));
        assert_eq!(e.user.as_deref(), Some("u"));
        assert_eq!(e.db, Some(4));
        assert!(resolve(&uri, Some("h:1")).is_err());
        let port_only = ConnectArgs {
            port: Some(7000),
            ..ConnectArgs::default()
        };
        assert_eq!(
            resolve(&port_only, None).unwrap().address,
            tcp("127.0.0.1", 7000)
        );
        assert!(resolve(&port_only, Some("h:1")).is_err());
        let e = resolve(&ConnectArgs::default(), Some("redis://h:5")).unwrap();
        assert_eq!(e.address, tcp("h", 5));
        let user_only = ConnectArgs {
            user: Some("u".into()),
            ..ConnectArgs::default()
        };
        let err = resolve(&user_only, None).unwrap_err();
        assert!(err.0.contains("--askpass"), "{err}");
        let askpass = ConnectArgs {
            askpass: true,
            pass: Some("ignored".into()),
            ..ConnectArgs::default()
        };
        assert_eq!(
            resolve(&askpass, None).unwrap().password.as_deref(),
            Some("asked")
        );
        let env = Endpoint::resolve(
            &ConnectArgs::default(),
            None,
            Duration::from_secs(1),
            Some("envpw".into()),
            &mut || unreachable!(),
        )
        .unwrap();
        assert_eq!(env.password.as_deref(), Some("envpw"));
        let no_tls = ConnectArgs {
            cacert: Some("ca.pem".into()),
            ..ConnectArgs::default()
        };
        assert!(resolve(&no_tls, None).unwrap_err().0.contains("--tls"));
        let half = ConnectArgs {
            tls: true,
            cert: Some("c.pem".into()),
            ..ConnectArgs::default()
        };
        assert!(resolve(&half, None).is_err());
        let unix = ConnectArgs {
            socket: Some("/s".into()),
            ..ConnectArgs::default()
        };
        assert_eq!(
            resolve(&unix, None).unwrap().to_string(),
            "unix:/s".to_owned()
        );
        let debug = format!("{:?}", resolve(&uri, None).unwrap());
        assert!(!debug.contains("\"q\""), "{debug}");
    }
}
