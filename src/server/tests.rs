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
        .map(|Propagated { db, argv }| {
            (
                db,
                argv.iter()
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
