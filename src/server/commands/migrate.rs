//! MIGRATE: move (or copy) keys to another server as RESTORE commands,
//! over connections kept for a while for the next MIGRATE to the same
//! target. Like Redis, the exchange is synchronous, bounded by the
//! command's timeout; the keys that arrived are deleted here and the
//! deletion propagates as DEL.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::propagate::Propagated;
use super::super::rdb_value;
use super::super::signal::event;
use crate::resp::encode;
use crate::resp::number::string2ll;

pub const COMMANDS: &[Spec] = &[Spec::new(
    "migrate",
    -6,
    WRITE | MOVABLE_KEYS,
    "keyspace",
    "2.6.0",
    "Atomically transfer a key from a Redis instance to another one.",
    migrate,
)
.keys(3, 3, 1)];

/// How long an unused connection stays cached (MIGRATE_SOCKET_CACHE_TTL).
const CACHE_TTL: Duration = Duration::from_secs(10);
/// At most this many cached connections (MIGRATE_SOCKET_CACHE_ITEMS).
const CACHE_ITEMS: usize = 64;

/// One cached connection to a target.
struct Target {
    conn: BufReader<TcpStream>,
    /// The database selected on it; None forces a SELECT.
    db: Option<i64>,
    last_use: Instant,
}

/// The cached connections, by "host:port".
#[derive(Default)]
pub struct Sockets {
    targets: HashMap<String, Target>,
}

impl Sockets {
    /// INFO stats' migrate_cached_sockets.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Close the connections unused for CACHE_TTL (from the cron).
    pub fn close_idle(&mut self) {
        let now = Instant::now();
        self.targets
            .retain(|_, t| now.duration_since(t.last_use) <= CACHE_TTL);
    }

    /// The cached connection to `host:port`, or a new one.
    fn get(&mut self, host: &str, port: &str, timeout: Duration) -> Option<&mut Target> {
        let name = format!("{host}:{port}");
        if !self.targets.contains_key(&name) {
            if self.targets.len() >= CACHE_ITEMS
                && let Some(any) = self.targets.keys().next().cloned()
            {
                self.targets.remove(&any);
            }
            let stream = connect(host, port, timeout)?;
            self.targets.insert(
                name.clone(),
                Target {
                    conn: BufReader::new(stream),
                    db: None,
                    last_use: Instant::now(),
                },
            );
        }
        let target = self.targets.get_mut(&name)?;
        target.last_use = Instant::now();
        Some(target)
    }

    fn close(&mut self, host: &str, port: &str) {
        self.targets.remove(&format!("{host}:{port}"));
    }
}

fn connect(host: &str, port: &str, timeout: Duration) -> Option<TcpStream> {
    let port: u16 = port.parse().ok()?;
    let addrs = (host, port).to_socket_addrs().ok()?;
    for addr in addrs {
        if let Ok(stream) = TcpStream::connect_timeout(&addr, timeout) {
            let _ = stream.set_nodelay(true);
            return Some(stream);
        }
    }
    None
}

/// How a transfer failed on the socket.
enum SocketError {
    Writing,
    Reading,
}

struct Options<'a> {
    copy: bool,
    replace: bool,
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    keys: Vec<&'a [u8]>,
}

fn parse<'a>(args: &[&'a [u8]]) -> Result<Options<'a>, String> {
    let syntax = || "-ERR syntax error".to_owned();
    let mut opts = Options {
        copy: false,
        replace: false,
        auth: None,
        keys: vec![args[3]],
    };
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let arg = args[j].to_ascii_lowercase();
        match arg.as_slice() {
            b"copy" => opts.copy = true,
            b"replace" => opts.replace = true,
            b"auth" => {
                if more < 1 {
                    return Err(syntax());
                }
                opts.auth = Some((None, args[j + 1]));
                j += 1;
            }
            b"auth2" => {
                if more < 2 {
                    return Err(syntax());
                }
                opts.auth = Some((Some(args[j + 1]), args[j + 2]));
                j += 2;
            }
            b"keys" => {
                if !args[3].is_empty() {
                    return Err(
                        "When using MIGRATE KEYS option, the key argument must be set \
                                to the empty string"
                            .to_owned(),
                    );
                }
                opts.keys = args[j + 1..].to_vec();
                break;
            }
            _ => return Err(syntax()),
        }
        j += 1;
    }
    Ok(opts)
}

fn migrate(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let opts = match parse(args) {
        Ok(opts) => opts,
        Err(e) => {
            client.reply.error(&e);
            return;
        }
    };
    let not_integer = "value is not an integer or out of range";
    let (Some(timeout), Some(dbid)) = (string2ll(args[5]), string2ll(args[4])) else {
        client.reply.error(not_integer);
        return;
    };
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });
    let db = client.db;
    let keys: Vec<&[u8]> = opts
        .keys
        .iter()
        .copied()
        .filter(|k| srv.ks.lookup(db, k).is_some())
        .collect();
    if keys.is_empty() {
        client.reply.simple("NOKEY");
        return;
    }
    let host = String::from_utf8_lossy(args[1]).into_owned();
    let port = String::from_utf8_lossy(args[2]).into_owned();
    // A cached connection the target closed fails at once: try a fresh
    // one, unless the failure was a timeout.
    let mut may_retry = true;
    let failure = loop {
        match transfer(srv, client, &host, &port, timeout, dbid, &keys, &opts) {
            Ok(()) => return,
            Err(Failure::Connect) => {
                client
                    .reply
                    .error("-IOERR error or timeout connecting to the client");
                return;
            }
            Err(Failure::Socket(e, timed_out)) => {
                srv.migrate_sockets.close(&host, &port);
                if may_retry && !timed_out {
                    may_retry = false;
                    continue;
                }
                break e;
            }
        }
    };
    client.reply.error(&format!(
        "-IOERR error or timeout {} to target instance",
        match failure {
            SocketError::Writing => "writing",
            SocketError::Reading => "reading",
        }
    ));
}

enum Failure {
    Connect,
    /// How, and whether it was a timeout.
    Socket(SocketError, bool),
}

fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// One attempt: send AUTH, SELECT and the RESTOREs, read the replies,
/// delete what arrived. Replies to the client except on socket errors
/// that happen before anything was acknowledged.
#[allow(clippy::too_many_arguments)]
fn transfer(
    srv: &mut Server,
    client: &mut Client,
    host: &str,
    port: &str,
    timeout: Duration,
    dbid: i64,
    keys: &[&[u8]],
    opts: &Options,
) -> Result<(), Failure> {
    let db = client.db;
    let now_ms = srv.ks.now;
    let mut cmd = Vec::new();
    if let Some((user, password)) = opts.auth {
        match user {
            Some(user) => encode::command(&mut cmd, &[b"AUTH", user, password]),
            None => encode::command(&mut cmd, &[b"AUTH", password]),
        }
    }
    let target_db = srv
        .migrate_sockets
        .targets
        .get(&format!("{host}:{port}"))
        .and_then(|t| t.db);
    let select = target_db != Some(dbid);
    if select {
        encode::command(&mut cmd, &[b"SELECT", dbid.to_string().as_bytes()]);
    }
    // Keys that expired since the lookup are left out.
    let mut sent: Vec<&[u8]> = Vec::with_capacity(keys.len());
    for key in keys {
        let ttl = match srv.ks.dbs[db].expire_of(key) {
            Some(at) if at <= now_ms => continue,
            Some(at) => (at - now_ms).max(1),
            None => 0,
        };
        let Some(obj) = srv.ks.lookup_notouch(db, key) else {
            continue;
        };
        let Ok(payload) = rdb_value::with_rdb_value(&obj.value, crate::rdb::dump::serialize) else {
            continue;
        };
        let ttl = ttl.to_string();
        let mut argv: Vec<&[u8]> = vec![b"RESTORE", key, ttl.as_bytes(), &payload];
        if opts.replace {
            argv.push(b"REPLACE");
        }
        encode::command(&mut cmd, &argv);
        sent.push(key);
    }
    let Some(target) = srv.migrate_sockets.get(host, port, timeout) else {
        return Err(Failure::Connect);
    };
    let stream = target.conn.get_mut();
    let _ = stream.set_write_timeout(Some(timeout));
    let _ = stream.set_read_timeout(Some(timeout));
    if let Err(e) = stream.write_all(&cmd) {
        return Err(Failure::Socket(SocketError::Writing, timed_out(&e)));
    }
    let read_line = |target: &mut Target| -> Result<String, std::io::Error> {
        let mut line = String::new();
        match target.conn.read_line(&mut line)? {
            0 => Err(std::io::ErrorKind::UnexpectedEof.into()),
            _ => Ok(line.trim_end().to_owned()),
        }
    };
    let auth_reply = match opts.auth {
        Some(_) => match read_line(target) {
            Ok(line) => Some(line),
            Err(e) => return Err(Failure::Socket(SocketError::Reading, timed_out(&e))),
        },
        None => None,
    };
    let select_reply = if select {
        match read_line(target) {
            Ok(line) => Some(line),
            Err(e) => return Err(Failure::Socket(SocketError::Reading, timed_out(&e))),
        }
    } else {
        None
    };
    let mut acknowledged: Vec<&[u8]> = Vec::new();
    let mut target_error: Option<String> = None;
    let mut socket_error = None;
    for (j, key) in sent.iter().enumerate() {
        let reply = match read_line(target) {
            Ok(line) => line,
            Err(e) => {
                socket_error = Some((j, timed_out(&e)));
                break;
            }
        };
        let failed = [auth_reply.as_deref(), select_reply.as_deref(), Some(&reply)]
            .into_iter()
            .flatten()
            .find(|r| r.starts_with('-'));
        match failed {
            Some(err) => {
                target.db = None;
                if target_error.is_none() {
                    target_error =
                        Some(format!("Target instance replied with error: {}", &err[1..]));
                }
            }
            None => acknowledged.push(key),
        }
    }
    if let Some((0, timed_out)) = socket_error
        && target_error.is_none()
    {
        return Err(Failure::Socket(SocketError::Reading, timed_out));
    }
    if target_error.is_none() && socket_error.is_none() {
        target.db = Some(dbid);
    }
    if !opts.copy {
        for key in &acknowledged {
            if srv.ks.delete(db, key) {
                srv.key_changed(db, key, event::DEL, 1);
            }
        }
    }
    // What propagates is the deletion of the keys that arrived, not the
    // MIGRATE.
    if !opts.copy && !acknowledged.is_empty() {
        let mut argv: Vec<&[u8]> = vec![b"DEL"];
        argv.extend(acknowledged.iter().copied());
        srv.ks.effects.rewrite(Propagated::new(db, argv));
    } else {
        srv.ks.effects.suppress();
    }
    if let Some(err) = target_error {
        client.reply.error(&err);
    } else if socket_error.is_some() {
        srv.migrate_sockets.close(host, port);
        client
            .reply
            .error("-IOERR error or timeout reading to target instance");
    } else {
        client.reply.ok();
    }
    Ok(())
}
