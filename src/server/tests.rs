//! Engine tests without sockets: commands run through [`Server::call`] on a
//! client that has no stream, and the replies and the propagated commands
//! are checked byte for byte.

use super::Server;
use super::config::Config;
use super::connection::Client;
use super::propagate::Propagated;
use crate::output::log::{Level, LogFormat, Logger};

fn server() -> Server {
    let mut srv = Server::new(
        Config::default(),
        Logger::stderr(LogFormat::Text, Level::Warning),
    );
    srv.feed.record = true;
    srv
}

fn run(srv: &mut Server, client: &mut Client, args: &[&str]) -> String {
    let start = client.reply.buf.len();
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    srv.call(client, &args);
    String::from_utf8_lossy(&client.reply.buf[start..]).into_owned()
}

fn fed(srv: &mut Server) -> Vec<(usize, Vec<String>)> {
    std::mem::take(&mut srv.feed.recorded)
        .into_iter()
        .map(|p: Propagated| {
            (
                p.db,
                p.argv()
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
            )
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn writes_propagate_as_executed_and_reads_do_not() {
    let mut srv = server();
    let mut c = Client::new(1, 0, None);
    assert_eq!(run(&mut srv, &mut c, &["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(run(&mut srv, &mut c, &["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(run(&mut srv, &mut c, &["DEL", "missing"]), ":0\r\n");
    run(&mut srv, &mut c, &["SELECT", "3"]);
    run(&mut srv, &mut c, &["INCR", "n"]);
    assert_eq!(
        fed(&mut srv),
        vec![
            (0, strings(&["SET", "k", "v"])),
            (3, strings(&["INCR", "n"])),
        ]
    );
}

#[test]
fn relative_expiries_propagate_as_absolute() {
    let mut srv = server();
    let mut c = Client::new(1, 0, None);
    run(&mut srv, &mut c, &["SET", "k", "v", "EX", "100"]);
    run(&mut srv, &mut c, &["EXPIRE", "k", "50", "GT"]);
    run(&mut srv, &mut c, &["SETEX", "s", "10", "x"]);
    run(&mut srv, &mut c, &["GETEX", "s", "PX", "500"]);
    run(&mut srv, &mut c, &["GETEX", "s", "PERSIST"]);
    run(&mut srv, &mut c, &["EXPIRE", "s", "-1"]);
    let now = srv.ks.now;
    let sent = fed(&mut srv);
    let at = |i: usize, arg: usize| sent[i].1[arg].parse::<i64>().unwrap();
    assert_eq!(sent[0].1[..4], strings(&["SET", "k", "v", "PXAT"]));
    assert!((at(0, 4) - (now + 100_000)).abs() < 5_000);
    // GT against a later expiry fails: nothing is propagated for it.
    assert_eq!(sent[1].1[..2], strings(&["SET", "s"]));
    assert_eq!(sent[1].1[3], "PXAT");
    assert_eq!(sent[2].1[..2], strings(&["PEXPIREAT", "s"]));
    assert!((at(2, 2) - (now + 500)).abs() < 5_000);
    assert_eq!(sent[3].1, strings(&["PERSIST", "s"]));
    assert_eq!(sent[4].1, strings(&["DEL", "s"]));
    assert_eq!(sent.len(), 5);
}

#[test]
fn nondeterministic_and_option_commands_are_rewritten() {
    let mut srv = server();
    let mut c = Client::new(1, 0, None);
    assert_eq!(
        run(&mut srv, &mut c, &["INCRBYFLOAT", "f", "10.5"]),
        "$4\r\n10.5\r\n"
    );
    assert_eq!(
        run(&mut srv, &mut c, &["INCRBYFLOAT", "f", "0.1"]),
        "$4\r\n10.6\r\n"
    );
    run(&mut srv, &mut c, &["SET", "g", "1", "GET"]);
    run(&mut srv, &mut c, &["GETSET", "g", "2"]);
    run(&mut srv, &mut c, &["GETDEL", "g"]);
    run(&mut srv, &mut c, &["SET", "x", "1", "NX"]);
    run(&mut srv, &mut c, &["SET", "x", "2", "NX"]);
    assert_eq!(
        fed(&mut srv),
        vec![
            (0, strings(&["SET", "f", "10.5", "KEEPTTL"])),
            (0, strings(&["SET", "f", "10.6", "KEEPTTL"])),
            (0, strings(&["SET", "g", "1"])),
            (0, strings(&["SET", "g", "2"])),
            (0, strings(&["DEL", "g"])),
            (0, strings(&["SET", "x", "1", "NX"])),
        ]
    );
}

#[test]
fn keys_found_expired_propagate_del_before_the_command() {
    let mut srv = server();
    let mut c = Client::new(1, 0, None);
    run(&mut srv, &mut c, &["SET", "k", "v", "PX", "1"]);
    fed(&mut srv);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(run(&mut srv, &mut c, &["APPEND", "k", "w"]), ":1\r\n");
    assert_eq!(
        fed(&mut srv),
        vec![
            (0, strings(&["DEL", "k"])),
            (0, strings(&["APPEND", "k", "w"])),
        ]
    );
}

#[test]
fn errors_and_checks_happen_in_redis_order() {
    let mut srv = server();
    srv.config.requirepass = Some(b"pw".to_vec());
    // requirepass is the default user's password.
    srv.acl_update_requirepass();
    let mut c = Client::new(1, 0, None);
    assert_eq!(
        run(&mut srv, &mut c, &["NOPE", "a", "b"]),
        "-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        run(&mut srv, &mut c, &["GET"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        run(&mut srv, &mut c, &["GET", "k"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        run(&mut srv, &mut c, &["CLIENT", "BOGUS"]),
        "-ERR unknown subcommand 'BOGUS'. Try CLIENT HELP.\r\n"
    );
    assert_eq!(
        run(&mut srv, &mut c, &[""]),
        "-ERR unknown command '', with args beginning with: \r\n"
    );
    assert_eq!(run(&mut srv, &mut c, &["AUTH", "pw"]), "+OK\r\n");
    assert_eq!(run(&mut srv, &mut c, &["GET", "k"]), "$-1\r\n");
    assert_eq!(srv.stats.error_counts.get("NOAUTH"), Some(&1));
}

/// The (class flag, event name, key) of every keyspace event since the last
/// look.
fn events(srv: &mut Server) -> Vec<(char, &'static str, String)> {
    srv.signals
        .record
        .as_mut()
        .map(std::mem::take)
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            (
                e.event.class.flag(),
                e.event.name,
                String::from_utf8_lossy(&e.key).into_owned(),
            )
        })
        .collect()
}

/// A command and the (class flag, event, key) events it must signal.
type Step<'a> = (&'a [&'a str], &'a [(char, &'a str, &'a str)]);

#[test]
fn writes_signal_redis_keyspace_events() {
    let mut srv = server();
    srv.signals.record = Some(Vec::new());
    let mut c = Client::new(1, 0, None);
    let script: &[Step] = &[
        (
            &["SET", "s", "1", "EX", "100"],
            &[('$', "set", "s"), ('g', "expire", "s")],
        ),
        (&["INCR", "s"], &[('$', "incrby", "s")]),
        (&["APPEND", "s", "x"], &[('$', "append", "s")]),
        (&["PERSIST", "s"], &[('g', "persist", "s")]),
        (&["RPUSH", "l", "a", "b"], &[('l', "rpush", "l")]),
        (
            &["LMOVE", "l", "m", "LEFT", "RIGHT"],
            &[('l', "rpush", "m"), ('l', "lpop", "l")],
        ),
        (&["LPOP", "l"], &[('l', "lpop", "l"), ('g', "del", "l")]),
        (&["HSET", "h", "f", "v"], &[('h', "hset", "h")]),
        (&["HDEL", "h", "nope"], &[]),
        (
            &["HDEL", "h", "f"],
            &[('h', "hdel", "h"), ('g', "del", "h")],
        ),
        (&["SADD", "a", "1", "2"], &[('s', "sadd", "a")]),
        (
            &["SMOVE", "a", "b", "1"],
            &[('s', "srem", "a"), ('s', "sadd", "b")],
        ),
        (&["ZADD", "z", "1", "x"], &[('z', "zadd", "z")]),
        (&["ZINCRBY", "z", "1", "x"], &[('z', "zincr", "z")]),
        (
            &["ZPOPMIN", "z"],
            &[('z', "zpopmin", "z"), ('g', "del", "z")],
        ),
        (
            &["RENAME", "m", "n"],
            &[('g', "rename_from", "m"), ('g', "rename_to", "n")],
        ),
        (&["DEL", "n", "missing"], &[('g', "del", "n")]),
        (&["GET", "s"], &[]),
    ];
    for (command, expected) in script {
        run(&mut srv, &mut c, command);
        let expected: Vec<(char, &str, String)> = expected
            .iter()
            .map(|&(f, n, k)| (f, n, k.to_owned()))
            .collect();
        assert_eq!(events(&mut srv), expected, "{command:?}");
    }
    // The dirty counter counts what Redis counts: two fields, then one.
    let before = srv.signals.dirty;
    run(&mut srv, &mut c, &["HSET", "h2", "a", "1", "b", "2"]);
    run(&mut srv, &mut c, &["HSET", "h2", "a", "3"]);
    assert_eq!(srv.signals.dirty - before, 3);
}

#[test]
fn a_key_expired_on_access_is_signalled_and_touches_watchers() {
    let mut srv = server();
    srv.signals.record = Some(Vec::new());
    let mut c = Client::new(1, 0, None);
    let mut w = Client::new(2, 1, None);
    run(&mut srv, &mut c, &["SET", "k", "v", "PX", "1"]);
    run(&mut srv, &mut w, &["WATCH", "k"]);
    events(&mut srv);
    std::thread::sleep(std::time::Duration::from_millis(5));
    srv.clock_base = (std::time::Instant::now(), super::clock::unix_us());
    assert_eq!(run(&mut srv, &mut c, &["GET", "k"]), "$-1\r\n");
    assert_eq!(events(&mut srv), vec![('x', "expired", "k".to_owned())]);
    run(&mut srv, &mut w, &["MULTI"]);
    run(&mut srv, &mut w, &["PING"]);
    // A watched live key that expired aborts the transaction.
    assert_eq!(run(&mut srv, &mut w, &["EXEC"]), "*-1\r\n");
}

#[test]
fn a_command_propagated_unchanged_is_the_bytes_of_its_request() {
    let mut srv = server();
    let mut c = Client::new(1, 0, None);
    let request = b"*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n";
    srv.call_request(&mut c, &[b"set", b"k", b"v"], Some(request));
    // A rewritten command is encoded (EXPIRE becomes PEXPIREAT).
    srv.call_request(
        &mut c,
        &[b"expire", b"k", b"100"],
        Some(b"*3\r\n$6\r\nexpire\r\n$1\r\nk\r\n$3\r\n100\r\n"),
    );
    let fed = std::mem::take(&mut srv.feed.recorded);
    assert_eq!(fed[0].resp, request);
    assert_eq!(fed[1].argv()[0], b"PEXPIREAT");
}

/// `request_flags` reads a script's own flags only for entries carrying
/// both NOSCRIPT and MOVABLE_KEYS: every command that declares flags of
/// its own must carry them.
#[test]
fn script_calls_carry_the_flags_request_flags_looks_for() {
    use super::command::flags;
    let srv = server();
    let names = [
        "eval",
        "evalsha",
        "eval_ro",
        "evalsha_ro",
        "fcall",
        "fcall_ro",
    ];
    let mut seen = 0;
    for entry in &srv.commands.entries {
        if names.contains(&entry.full_name.as_str()) {
            seen += 1;
            assert!(
                entry.spec.has(flags::NOSCRIPT) && entry.spec.has(flags::MOVABLE_KEYS),
                "{}",
                entry.full_name
            );
        }
    }
    assert_eq!(seen, names.len());
}
