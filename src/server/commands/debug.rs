//! The DEBUG subcommands the Redis test suite and operators use beyond the
//! basic ones in `server.rs`: DIGEST and DIGEST-VALUE (Redis's dataset
//! signature, computed exactly as redis-server does so a sonde and a
//! redis-server holding the same data answer the same hex string),
//! PAUSE-CRON, QUICKLIST-PACKED-THRESHOLD, CHANGE-REPL-ID, PROTOCOL, LOG,
//! ERROR and the switches tests flip (SET-SKIP-CHECKSUM-VALIDATION,
//! AOF-FLUSH-SLEEP, REPLYBUFFER, SET-DISABLE-DENY-SCRIPTS).

use sha1_smol::Sha1;

use super::super::Server;
use super::super::connection::Client;
use super::super::keyspace::Object;
use super::super::numeric::format_g17;
use super::super::types::Value;
use super::super::types::hash::HashRef;
use super::super::types::set::SetRef;
use super::super::types::zset::ZsetRef;
use crate::resp::number::string2ll;

/// A 20-byte running digest.
type Digest = [u8; 20];

fn sha1(data: &[u8]) -> Digest {
    let mut h = Sha1::new();
    h.update(data);
    h.digest().bytes()
}

/// Redis's xorDigest: fold SHA1(data) into `digest` with xor, so the order
/// of unordered elements does not matter.
fn xor_digest(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// Redis's mixDigest: digest = SHA1(digest xor SHA1(data)), so order
/// matters (list elements, stream entries).
fn mix_digest(digest: &mut Digest, data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(digest.as_slice());
}

/// Redis's object type numbers (OBJ_STRING ... OBJ_STREAM), which the
/// digest mixes in before the value.
fn type_number(value: &Value) -> u32 {
    match value {
        Value::String(_) => 0,
        Value::List(_) => 1,
        Value::SetInts(_) | Value::SetTable(_) => 2,
        Value::ZsetPacked(_) | Value::ZsetSkiplist(_) => 3,
        Value::HashPacked(_) | Value::HashTable(_) => 4,
        Value::Stream(_) => 6,
        Value::Opaque(o) if o.type_name == "stream" => 6,
        Value::Opaque(_) => 5,
    }
}

/// Redis's xorObjectDigest: mix the value of one key (and whether it has
/// an expiry) into `digest`.
fn object_digest(digest: &mut Digest, value: &Value, has_expire: bool) {
    mix_digest(digest, &type_number(value).to_be_bytes());
    let mut scratch = itoa::Buffer::new();
    match value {
        Value::String(s) => mix_digest(digest, s.bytes(&mut scratch)),
        Value::List(list) => {
            for item in list.iter() {
                mix_digest(digest, item);
            }
        }
        Value::SetInts(_) | Value::SetTable(_) => {
            if let Some(set) = SetRef::of(value) {
                for member in set.iter() {
                    xor_digest(digest, member.bytes(&mut scratch));
                }
            }
        }
        Value::ZsetPacked(_) | Value::ZsetSkiplist(_) => {
            if let Some(zset) = ZsetRef::of(value) {
                for (member, score) in zset.iter() {
                    let mut element = [0u8; 20];
                    mix_digest(&mut element, member);
                    mix_digest(&mut element, format_g17(score).as_bytes());
                    xor_digest(digest, &element);
                }
            }
        }
        Value::HashPacked(_) | Value::HashTable(_) => {
            if let Some(hash) = HashRef::of(value) {
                for (field, val) in hash.iter() {
                    let mut element = [0u8; 20];
                    mix_digest(&mut element, field);
                    mix_digest(&mut element, val);
                    xor_digest(digest, &element);
                }
            }
        }
        // Entries in order: "<ms>.<seq>", then each field and value (the
        // consumer groups are not part of Redis's digest).
        Value::Stream(s) => {
            let all = s.range(
                crate::server::types::stream::MIN_ID,
                crate::server::types::stream::MAX_ID,
                usize::MAX,
                false,
            );
            for (id, fields) in all {
                mix_digest(digest, format!("{}.{}", id.ms, id.seq).as_bytes());
                for (field, value) in &fields {
                    mix_digest(digest, field);
                    mix_digest(digest, value);
                }
            }
        }
        // Module values are kept in their RDB form: their serialized bytes
        // stand in for Redis's walk, so the digest still changes whenever
        // the value does.
        Value::Opaque(o) => mix_digest(digest, &o.data),
    }
    if has_expire {
        xor_digest(digest, b"!!expire!!");
    }
}

fn hex(digest: &Digest) -> String {
    let mut s = String::with_capacity(40);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The digest of the whole dataset, as Redis's computeDatasetDigest: the
/// xor of every key/value digest, each database introduced by its number.
/// Logically expired keys count (the walk does not expire anything).
pub fn dataset_digest(srv: &Server) -> Digest {
    let mut total = [0u8; 20];
    for (n, db) in srv.ks.dbs.iter().enumerate() {
        if db.dict.is_empty() {
            continue;
        }
        mix_digest(&mut total, &(n as u32).to_be_bytes());
        for (key, obj) in db.dict.iter() {
            let mut digest = [0u8; 20];
            mix_digest(&mut digest, key);
            object_digest(&mut digest, &obj.value, db.expire_of(key).is_some());
            xor_digest(&mut total, &digest);
        }
    }
    total
}

fn value_digest(obj: &Object, has_expire: bool) -> Digest {
    let mut digest = [0u8; 20];
    object_digest(&mut digest, &obj.value, has_expire);
    digest
}

/// DEBUG DIGEST
pub fn digest(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    let d = dataset_digest(srv);
    client.reply.simple(&hex(&d));
}

/// DEBUG DIGEST-VALUE key [key ...]: all zeros for a missing key.
pub fn digest_value(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let db = &srv.ks.dbs[client.db];
    client.reply.array(args.len() - 2);
    for key in &args[2..] {
        let d = match db.dict.get(key) {
            Some(obj) => value_digest(obj, db.expire_of(key).is_some()),
            None => [0u8; 20],
        };
        client.reply.simple(&hex(&d));
    }
}

fn flag(arg: &[u8]) -> bool {
    // atoi(): a leading number, anything else is 0.
    let digits = arg
        .iter()
        .position(|b| !b.is_ascii_digit() && *b != b'-')
        .unwrap_or(arg.len());
    string2ll(&arg[..digits]).unwrap_or(0) != 0
}

/// Switches DEBUG flips for tests.
#[derive(Default)]
pub struct Switches {
    /// DEBUG PAUSE-CRON: the periodic work is skipped.
    pub pause_cron: bool,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE payloads and snapshots
    /// load without their CRC-64 checked.
    pub skip_checksum: bool,
    /// DEBUG AOF-FLUSH-SLEEP: microseconds to sleep before each AOF flush.
    pub aof_flush_sleep_us: u64,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call commands marked
    /// noscript.
    pub allow_noscript_in_scripts: bool,
}

/// DEBUG PAUSE-CRON <0|1>
pub fn pause_cron(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    srv.debug.pause_cron = flag(args[2]);
    client.reply.ok();
}

/// DEBUG SET-SKIP-CHECKSUM-VALIDATION <0|1>
pub fn skip_checksum(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    srv.debug.skip_checksum = flag(args[2]);
    client.reply.ok();
}

/// DEBUG SET-DISABLE-DENY-SCRIPTS <0|1>
pub fn disable_deny_scripts(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    srv.debug.allow_noscript_in_scripts = flag(args[2]);
    client.reply.ok();
}

/// DEBUG AOF-FLUSH-SLEEP <microseconds>
pub fn aof_flush_sleep(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let digits = args[2].iter().take_while(|b| b.is_ascii_digit()).count();
    srv.debug.aof_flush_sleep_us = string2ll(&args[2][..digits]).unwrap_or(0).max(0) as u64;
    client.reply.ok();
}

/// DEBUG QUICKLIST-PACKED-THRESHOLD <size>: accepted for Redis's range
/// (1 byte to 4 GB; 0 restores the default). sonde's list nodes hold any
/// element, so there is no plain-node threshold to move.
pub fn quicklist_packed_threshold(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let ok = std::str::from_utf8(args[2])
        .ok()
        .and_then(super::super::config::parse_memory)
        .is_some_and(|n| n <= 4 << 30);
    if ok {
        client.reply.ok();
    } else {
        client
            .reply
            .error("argument must be a memory value bigger than 1 and smaller than 4gb");
    }
}

/// DEBUG CHANGE-REPL-ID: a new replication ID and no second one.
pub fn change_repl_id(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    srv.log.warning(
        "Changing replication IDs after receiving DEBUG change-repl-id",
        &[],
    );
    srv.replication.new_history();
    client.reply.ok();
}

/// DEBUG LOG <message>: one warning line in the server log.
pub fn log(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let msg = format!("DEBUG LOG: {}", String::from_utf8_lossy(args[2]));
    srv.log.warning(&msg, &[]);
    client.reply.ok();
}

/// DEBUG ERROR <text>: reply with that error (newlines made spaces).
pub fn error(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let text = format!("-{}", String::from_utf8_lossy(args[2]));
    client.reply.error(&text);
}

/// DEBUG REPLICATE <arg> [...]: send a command to the replicas only,
/// without executing it (tests use it to make data diverge).
pub fn replicate(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if srv.feed.repl.active {
        let entry = super::super::propagate::Propagated::new(client.db, args[2..].iter().copied());
        srv.feed.repl.append(entry.db, &entry.resp);
    }
    client.reply.ok();
}

/// DEBUG SEGFAULT: crash with SIGSEGV, leaving the crash report in the
/// log (see `crash`).
pub fn segfault(_srv: &mut Server, _client: &mut Client, _args: &[&[u8]]) {
    // SAFETY: raising a signal has no memory effects; the installed crash
    // handler (or the default action) ends the process.
    unsafe {
        libc::raise(libc::SIGSEGV);
    }
}

/// DEBUG PROTOCOL <type>: a test value of each RESP type.
pub fn protocol(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    let name = String::from_utf8_lossy(args[2]).to_ascii_lowercase();
    let r = &mut client.reply;
    match name.as_str() {
        "string" => r.bulk(b"Hello World"),
        "integer" => r.int(12345),
        // Redis's own value, not an approximation of π.
        #[allow(clippy::approx_constant)]
        "double" => r.double(3.141),
        "null" => r.null(),
        "array" => {
            r.array(3);
            (0..3).for_each(|j| r.int(j));
        }
        "bignum" => {
            let digits = b"1234567999999999999999999999999999999";
            if r.resp3 {
                crate::resp::encode::line(&mut r.buf, b'(', digits);
            } else {
                r.bulk(digits);
            }
        }
        "set" => {
            r.set(3);
            (0..3).for_each(|j| r.int(j));
        }
        "map" => {
            r.map(3);
            for j in 0..3 {
                r.int(j);
                r.boolean(j == 1);
            }
        }
        "attrib" => {
            if r.resp3 {
                crate::resp::encode::header(&mut r.buf, b'|', 1);
                r.bulk(b"key-popularity");
                r.array(2);
                r.bulk(b"key:123");
                r.int(90);
            }
            // An attribute is not a reply: a real one follows.
            r.bulk(b"Some real reply following the attribute");
        }
        "push" => {
            if !r.resp3 {
                r.error("RESP2 is not supported by this command");
                return;
            }
            let start = r.buf.len();
            r.push(2);
            r.bulk(b"server-cpu-usage");
            r.int(42);
            let end = r.buf.len();
            r.pushes.push((start, end));
            // A push is not a reply either: a real one follows.
            r.bulk(b"Some real reply following the push reply");
        }
        "true" => r.boolean(true),
        "false" => r.boolean(false),
        "verbatim" => r.verbatim(b"This is a verbatim\nstring"),
        _ => r.error(
            "Wrong protocol type name. Please use one of the following: \
             string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ),
    }
}
