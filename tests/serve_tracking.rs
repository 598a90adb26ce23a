//! `sonde serve` client-side caching (CLIENT TRACKING): the same script of
//! commands over several connections — RESP3 tracking clients in the
//! default, BCAST, OPTIN and NOLOOP modes, a RESP2 client redirecting to a
//! subscribed RESP2 client, a RESP3 client whose redirect target leaves —
//! against a real redis-server and against sonde. Everything each
//! connection receives (replies and invalidation messages, in order) must
//! be the same. Plus keyspace notifications of key misses for the read
//! commands, compared the same way.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::differential::Conn;
use crate::common::{RedisServer, SondeServer};

fn args(line: &str) -> Vec<Vec<u8>> {
    sonde::resp::request::split_args(line.as_bytes()).expect("balanced quotes")
}

/// A frame as one line: its lines without the bulk-length lines
/// (`>2 invalidate *1 a`).
fn compact(frame: &[u8]) -> String {
    let text = sonde::output::bytes::quoted(frame);
    let text = text.trim_matches('"');
    text.split("\\r\\n")
        .filter(|part| !part.is_empty() && !part.starts_with('$'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The connections of a script: name → (connection, open).
struct Clients {
    conns: BTreeMap<String, (Conn, bool)>,
    /// Each connection's transcript.
    seen: BTreeMap<String, Vec<String>>,
    /// Client ids by connection name (replaced by `<name>` in transcripts,
    /// since ids differ between servers).
    ids: Vec<(String, String)>,
    sync: u64,
    /// The connection inside MULTI, if any (a PING would be queued).
    in_multi: Option<String>,
}

impl Clients {
    fn open(addr: &str, names: &[(&str, u8)]) -> Clients {
        let mut clients = Clients {
            conns: BTreeMap::new(),
            seen: BTreeMap::new(),
            ids: Vec::new(),
            sync: 0,
            in_multi: None,
        };
        for &(name, protocol) in names {
            let mut conn = Conn::open(addr);
            if protocol == 3 {
                conn.call(&args("HELLO 3"));
            }
            let id = String::from_utf8_lossy(&conn.call(&args("CLIENT ID")))
                .trim()
                .trim_start_matches(':')
                .to_owned();
            clients.ids.push((name.to_owned(), id));
            clients.conns.insert(name.to_owned(), (conn, true));
            clients.seen.insert(name.to_owned(), Vec::new());
        }
        clients
    }

    /// Read what `name` received up to the reply to a PING carrying a
    /// fresh marker.
    fn sync_one(&mut self, name: &str, mask_ids: bool) {
        self.sync += 1;
        let marker = format!("sync-{}", self.sync);
        let (conn, open) = self.conns.get_mut(name).expect("connection");
        if !*open {
            return;
        }
        conn.send_command(&args(&format!("PING {marker}")));
        loop {
            let frame = conn.read_reply();
            if frame.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                break;
            }
            let mut line = compact(&frame);
            let names_ids =
                mask_ids || line.contains("redirect") || line.contains("tracking-redir-broken");
            for (who, id) in self.ids.iter().filter(|_| names_ids) {
                line = line.replace(&format!(":{id} "), &format!(":<{who}> "));
                if line.ends_with(&format!(":{id}")) {
                    line = format!("{}:<{who}>", &line[..line.len() - id.len() - 1]);
                }
            }
            self.seen.get_mut(name).expect("transcript").push(line);
        }
    }

    /// Run one script line: `name: command`, `sleep N` (ms). `$name` in a
    /// command is that connection's client id. The connection that ran the
    /// command is read first, then every other one.
    fn step(&mut self, line: &str) {
        if let Some(ms) = line.strip_prefix("sleep ") {
            std::thread::sleep(Duration::from_millis(ms.parse().expect("sleep ms")));
            return;
        }
        let (name, command) = line.split_once(':').expect("name: command");
        let name = name.trim();
        let mut command = command.trim().to_owned();
        for (who, id) in &self.ids {
            command = command.replace(&format!("${who}"), id);
        }
        let transcript = self.seen.get_mut(name).expect("transcript");
        transcript.push(format!("> {}", line.trim()));
        let (conn, open) = self.conns.get_mut(name).expect("connection");
        if command.eq_ignore_ascii_case("quit") {
            conn.call(&args(&command));
            *open = false;
            // Give the server time to see the connection go.
            std::thread::sleep(Duration::from_millis(100));
            return;
        }
        conn.send_command(&args(&command));
        let verb = command.split(' ').next().unwrap_or("").to_ascii_lowercase();
        if verb == "multi" || self.in_multi.as_deref() == Some(name) {
            let reply = compact(&conn.read_reply());
            transcript_of(&mut self.seen, name).push(reply);
            self.in_multi = (verb != "exec" && verb != "discard").then(|| name.to_owned());
            if self.in_multi.is_some() {
                return;
            }
        }
        self.sync_one(name, command.to_ascii_lowercase().contains("getredir"));
        let others: Vec<String> = self.conns.keys().filter(|n| *n != name).cloned().collect();
        for other in others {
            self.sync_one(&other, false);
        }
    }
}

fn transcript_of<'a>(
    seen: &'a mut BTreeMap<String, Vec<String>>,
    name: &str,
) -> &'a mut Vec<String> {
    seen.get_mut(name).expect("transcript")
}

const CONNECTIONS: &[(&str, u8)] = &[
    ("w", 2),
    ("t3", 3),
    ("r2", 2),
    ("t2", 2),
    ("b3", 3),
    ("n3", 3),
    ("o3", 3),
    ("u3", 3),
    ("r3", 3),
    ("x3", 3),
];

fn transcripts(addr: &str, script: &str) -> BTreeMap<String, Vec<String>> {
    let mut clients = Clients::open(addr, CONNECTIONS);
    for line in script.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        clients.step(line);
    }
    clients.seen
}

#[track_caller]
fn assert_same_transcripts(script: &str) {
    let debug = ["--enable-debug-command", "yes"];
    let redis = RedisServer::start(&debug);
    let sonde = SondeServer::start(&debug);
    let expected = transcripts(&redis.addr(), script);
    let actual = transcripts(&sonde.addr(), script);
    let mut report = String::new();
    for (name, want) in &expected {
        let got = &actual[name];
        if want != got {
            report.push_str(&format!(
                "connection {name}:\n  redis-server:\n    {}\n  sonde:\n    {}\n",
                want.join("\n    "),
                got.join("\n    ")
            ));
        }
    }
    let pushes = expected
        .values()
        .flatten()
        .filter(|l| l.contains("invalidate"))
        .count();
    assert!(pushes > 10, "redis-server sent only {pushes} invalidations");
    assert!(report.is_empty(), "transcripts differ\n{report}");
}

const SCRIPT: &str = r#"
    r2: SUBSCRIBE __redis__:invalidate
    t3: CLIENT TRACKING ON
    t2: CLIENT TRACKING ON REDIRECT $r2
    b3: CLIENT TRACKING ON BCAST PREFIX user: PREFIX session:
    n3: CLIENT TRACKING ON NOLOOP
    o3: CLIENT TRACKING ON OPTIN
    u3: CLIENT TRACKING ON OPTOUT
    x3: CLIENT TRACKING ON REDIRECT $r3
    t3: CLIENT TRACKING ON BCAST
    b3: CLIENT TRACKING ON BCAST PREFIX use
    b3: CLIENT TRACKING ON PREFIX x:
    o3: CLIENT TRACKING ON OPTOUT
    w: CLIENT TRACKING ON REDIRECT 999999
    w: CLIENT CACHING yes
    t3: CLIENT CACHING yes
    o3: CLIENT CACHING no
    w: MSET a 1 b 2 user:1 x session:9 y h:x 1
    t3: GET a
    t3: MGET b c
    t2: GET a
    t2: HGET h f
    t2: STRLEN user:1
    n3: GET a
    o3: GET a
    o3: CLIENT CACHING yes
    o3: GET b
    o3: GET h:x
    u3: GET a
    u3: CLIENT CACHING no
    u3: GET b
    x3: GET a
    w: SET a 2
    w: INCR b
    w: HSET h f v
    w: SET user:1 z
    t3: GET a
    n3: GET a
    n3: SET a 3
    n3: GET a
    w: MSET user:2 z other 1 session:1 q
    w: DEL session:9 nothere
    t3: LRANGE list 0 -1
    t3: ZSCORE z m
    t3: EXISTS e1 e2
    w: RPUSH list x
    w: ZADD z 1 m
    w: SET e1 v
    w: SET e2 v
    t3: SET k v PX 50
    t3: GET k
    sleep 500
    t3: GET a
    t3: MULTI
    t3: INCR a
    t3: GET b
    t3: EXEC
    w: DEBUG SET-ACTIVE-EXPIRE 0
    t3: SET p v PX 30
    t3: GET p
    sleep 100
    t3: GET p
    w: DEBUG SET-ACTIVE-EXPIRE 1
    t3: CLIENT TRACKINGINFO
    b3: CLIENT TRACKINGINFO
    t2: CLIENT TRACKINGINFO
    o3: CLIENT TRACKINGINFO
    x3: CLIENT GETREDIR
    t2: CLIENT GETREDIR
    w: CLIENT GETREDIR
    r3: QUIT
    w: SET a 5
    x3: CLIENT TRACKINGINFO
    t3: GET a
    t2: GET a
    b3: GET a
    w: FLUSHDB
    t3: GET a
    t3: CLIENT TRACKING OFF
    w: SET a 6
    t3: CLIENT TRACKINGINFO
    n3: GET q
    w: FLUSHALL
    n3: CLIENT TRACKING OFF
"#;

#[test]
fn invalidations_match_redis() {
    assert_same_transcripts(SCRIPT);
}

#[test]
fn tracking_table_limit_matches_redis() {
    // One key left of three: which two are invalidated is random, so only
    // the count is compared.
    let count = |addr: &str| {
        let mut clients = Clients::open(addr, &[("w", 2), ("t", 3)]);
        for line in [
            "t: CLIENT TRACKING ON",
            "t: MGET k1 k2 k3",
            "w: CONFIG SET tracking-table-max-keys 1",
            "sleep 300",
            "w: CONFIG SET tracking-table-max-keys 1000000",
        ] {
            clients.step(line);
        }
        clients.seen["t"]
            .iter()
            .filter(|l| l.starts_with(">2 invalidate"))
            .count()
    };
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    assert_eq!(count(&redis.addr()), 2);
    assert_eq!(count(&sonde.addr()), 2);
}

/// Every `keymiss` event a subscriber gets for reads of missing keys,
/// redis-server's and sonde's.
fn keymisses(addr: &str, script: &str) -> Vec<String> {
    let mut clients = Clients::open(addr, &[("w", 2), ("s", 3)]);
    clients.step("w: CONFIG SET notify-keyspace-events KEm");
    clients.step("s: PSUBSCRIBE __key*@*__:*");
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with("sleep ") {
            clients.step(line);
        } else {
            clients.step(&format!("w: {line}"));
        }
    }
    clients.step("w: CONFIG SET notify-keyspace-events \"\"");
    clients.seen.remove("s").unwrap_or_default()
}

#[test]
fn keymiss_notifications_match_redis() {
    let script = r#"
        SET str v
        RPUSH list a
        GET nokey
        GET str
        MGET str nokey other
        EXISTS nokey str
        TYPE nokey
        STRLEN nokey
        GETRANGE nokey 0 1
        GETEX nokey
        GETDEL nokey
        APPEND nokey x
        TTL nokey
        PTTL nokey
        OBJECT ENCODING nokey
        DUMP nokey
        HGET nokey f
        HGETALL nokey
        HEXISTS nokey f
        HLEN nokey
        HMGET nokey a b
        LRANGE nokey 0 -1
        LLEN nokey
        LINDEX nokey 0
        LPOS nokey a
        SMEMBERS nokey
        SISMEMBER nokey a
        SCARD nokey
        SINTER nokey list
        SUNION nokey nokey2
        ZSCORE nokey m
        ZRANGE nokey 0 -1
        ZCARD nokey
        ZRANK nokey m
        BITCOUNT nokey
        GETBIT nokey 1
        PFCOUNT nokey
        SORT nokey
        LPOP nokey
        SPOP nokey
        ZPOPMIN nokey
        HINCRBY nokey f 1
        INCR nokey2
        SET px v PX 1
        sleep 50
        GET px
        DEL str list nokey
    "#;
    let redis = RedisServer::start(&[]);
    let sonde = SondeServer::start(&[]);
    let mut expected = keymisses(&redis.addr(), script);
    let mut actual = keymisses(&sonde.addr(), script);
    // The steps are in the transcripts; only the events are compared.
    expected.retain(|l| !l.starts_with("> w"));
    actual.retain(|l| !l.starts_with("> w"));
    assert!(
        expected.iter().filter(|l| l.contains("keymiss")).count() > 10,
        "redis-server sent too few keymiss events: {expected:?}"
    );
    assert_eq!(
        expected.join("\n"),
        actual.join("\n"),
        "keymiss events differ (left redis-server, right sonde)"
    );
}
