//! Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FCALL,
//! FCALL_RO, FUNCTION (see [`super::super::scripting`] for the
//! interpreters and the run of a script).

use super::super::Server;
use super::super::command::{Spec, flags::*};
use super::super::connection::Client;
use super::super::persistence::child;
use super::super::scripting::debugger::{self, Mode};
use super::super::scripting::functions::Restore;
use super::super::scripting::{Callable, script_flags};
use super::{help, is};
use crate::resp::number::string2ll;
use std::os::fd::AsRawFd;

const G: &str = "scripting";

pub const COMMANDS: &[Spec] = &[
    Spec::new(
        "eval",
        -3,
        NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | STALE | MOVABLE_KEYS,
        G,
        "2.6.0",
        "Execute a Lua script server side",
        eval,
    ),
    Spec::new(
        "evalsha",
        -3,
        NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | STALE | MOVABLE_KEYS,
        G,
        "2.6.0",
        "Execute a Lua script server side",
        evalsha,
    ),
    Spec::new(
        "eval_ro",
        -3,
        NOSCRIPT | SKIP_MONITOR | STALE | READONLY | MOVABLE_KEYS,
        G,
        "7.0.0",
        "Execute a read-only Lua script server side",
        eval_ro,
    ),
    Spec::new(
        "evalsha_ro",
        -3,
        NOSCRIPT | SKIP_MONITOR | STALE | READONLY | MOVABLE_KEYS,
        G,
        "7.0.0",
        "Execute a read-only Lua script server side",
        evalsha_ro,
    ),
    Spec::new(
        "fcall",
        -3,
        NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | STALE | MOVABLE_KEYS,
        G,
        "7.0.0",
        "Invoke a function",
        fcall,
    ),
    Spec::new(
        "fcall_ro",
        -3,
        NOSCRIPT | SKIP_MONITOR | STALE | READONLY | MOVABLE_KEYS,
        G,
        "7.0.0",
        "Invoke a read-only function",
        fcall_ro,
    ),
    Spec::container(
        "script",
        -2,
        G,
        "2.6.0",
        "A container for Lua scripts management commands",
        SCRIPT,
    ),
    Spec::container(
        "function",
        -2,
        G,
        "7.0.0",
        "A container for function commands",
        FUNCTION,
    ),
];

const SCRIPT: &[Spec] = &[
    Spec::new(
        "load",
        3,
        NOSCRIPT | STALE,
        G,
        "2.6.0",
        "Load a script into the scripts cache, without executing it",
        script_load,
    ),
    Spec::new(
        "exists",
        -3,
        NOSCRIPT,
        G,
        "2.6.0",
        "Check existence of scripts in the script cache.",
        script_exists,
    ),
    Spec::new(
        "flush",
        -2,
        NOSCRIPT,
        G,
        "2.6.0",
        "Remove all the scripts from the script cache.",
        script_flush,
    ),
    Spec::new(
        "kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        G,
        "2.6.0",
        "Kill the script currently in execution.",
        script_kill,
    ),
    Spec::new(
        "debug",
        3,
        NOSCRIPT,
        G,
        "3.2.0",
        "Set the debug mode for executed scripts.",
        script_debug,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "5.0.0",
        "Show helpful text about the different subcommands",
        script_help,
    ),
];

const FUNCTION: &[Spec] = &[
    Spec::new(
        "load",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        G,
        "7.0.0",
        "Create a function with the given arguments (name, code, description)",
        function_load,
    ),
    Spec::new(
        "delete",
        3,
        WRITE | NOSCRIPT,
        G,
        "7.0.0",
        "Delete a function by name",
        function_delete,
    ),
    Spec::new(
        "list",
        -2,
        NOSCRIPT,
        G,
        "7.0.0",
        "List information about all the functions",
        function_list,
    ),
    Spec::new(
        "dump",
        2,
        NOSCRIPT,
        G,
        "7.0.0",
        "Dump all functions into a serialized binary payload",
        function_dump,
    ),
    Spec::new(
        "restore",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        G,
        "7.0.0",
        "Restore all the functions on the given payload",
        function_restore,
    ),
    Spec::new(
        "flush",
        -2,
        WRITE | NOSCRIPT,
        G,
        "7.0.0",
        "Deleting all functions",
        function_flush,
    ),
    Spec::new(
        "stats",
        2,
        NOSCRIPT | ALLOW_BUSY,
        G,
        "7.0.0",
        "Return information about the function currently running (name, description, duration)",
        function_stats,
    ),
    Spec::new(
        "kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        G,
        "7.0.0",
        "Kill the function currently in execution.",
        function_kill,
    ),
    Spec::new(
        "help",
        2,
        LOADING | STALE,
        G,
        "7.0.0",
        "Show helpful text about the different subcommands",
        function_help,
    ),
];

const NOSCRIPT_ERR: &str = "-NOSCRIPT No matching script. Please use EVAL.";

/// numkeys of EVAL/FCALL: `Some(n)` when valid, else the error replied.
fn numkeys(client: &mut Client, args: &[&[u8]], bad: Option<&str>) -> Option<usize> {
    let Some(n) = string2ll(args[2]) else {
        match bad {
            Some(message) => client.reply.error(message),
            None => client.reply.not_an_integer(),
        }
        return None;
    };
    if n > (args.len() - 3) as i64 {
        client
            .reply
            .error("Number of keys can't be greater than number of args");
        return None;
    }
    if n < 0 {
        client.reply.error("Number of keys can't be negative");
        return None;
    }
    Some(n as usize)
}

fn eval_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], sha: bool, ro: bool) {
    if let Some(mode) = client.lua_debug
        && client.stream.is_some()
    {
        if sha {
            srv.feed_monitors(client, args);
            if args[1].len() != 40 {
                client.reply.error(NOSCRIPT_ERR);
            } else {
                client
                    .reply
                    .error("Please use EVAL instead of EVALSHA for debugging");
            }
        } else {
            debug_eval(srv, client, args, ro, mode);
        }
        return;
    }
    srv.feed_monitors(client, args);
    if sha && args[1].len() != 40 {
        client.reply.error(NOSCRIPT_ERR);
        return;
    }
    let Some(n) = numkeys(client, args, None) else {
        return;
    };
    let created;
    let lower;
    let sha1 = if sha {
        // Not valid UTF-8 (or not 40 bytes): no script has that name.
        lower = crate::server::scripting::lower_sha(args[1]).unwrap_or([b'-'; 40]);
        std::str::from_utf8(&lower).unwrap_or("")
    } else {
        match srv.scripting.create_script(args[1]) {
            Ok(sha) => {
                created = sha;
                created.as_str()
            }
            Err(e) => {
                client.reply.error(&e);
                return;
            }
        }
    };
    let Some(script) = srv.scripting.scripts.get(sha1) else {
        client.reply.error(NOSCRIPT_ERR);
        return;
    };
    let function = script.function.clone();
    let flags = script.flags;
    let keys = &args[3..3 + n];
    let argv = &args[3 + n..];
    srv.run_script(
        client,
        Callable::Eval(function),
        flags,
        ro,
        sha1,
        keys,
        argv,
        args,
    );
}

/// EVAL in the Lua debugger (see [`debugger`]): in a forked child, or
/// here while the server waits (sync mode). Either way the connection is
/// closed once the session's reply is out.
fn debug_eval(srv: &mut Server, client: &mut Client, args: &[&[u8]], ro: bool, mode: Mode) {
    client.lua_debug = None;
    match mode {
        Mode::Sync => {
            srv.log
                .warning("Redis synchronous debugging eval session started", &[]);
            run_debugged(srv, client, args, ro, false);
            srv.log
                .warning("Redis synchronous debugging eval session ended", &[]);
            client.close_after_reply = true;
        }
        Mode::Fork => {
            let Some(fd) = client.stream.as_ref().map(|s| s.as_raw_fd()) else {
                return;
            };
            let forked = child::fork(&[fd], || {
                srv.log.warning("Redis forked for debugging eval", &[]);
                run_debugged(srv, client, args, ro, true);
                if let Some(stream) = client.stream.as_mut() {
                    let _ =
                        debugger::write_blocking(stream, &client.reply.buf[client.reply.sent..]);
                }
                srv.log.warning("Lua debugging session child exiting", &[]);
                0
            });
            match forked {
                Ok(child) => {
                    srv.scripting.debug_children.push(child);
                    // The child owns the conversation now: this side
                    // closes its copy without a word.
                    client.reply.buf.clear();
                    client.reply.sent = 0;
                    client.close_asap = true;
                }
                Err(e) => client.reply.error(&format!(
                    "Fork() failed: can't run EVAL in debugging mode: {e}"
                )),
            }
        }
    }
}

/// One EVAL with a debugging session around it. What the client is owed
/// from before goes out first, so the session's output follows it.
fn run_debugged(srv: &mut Server, client: &mut Client, args: &[&[u8]], ro: bool, forked: bool) {
    let Some(stream) = client.stream.as_mut() else {
        return;
    };
    let _ = debugger::write_blocking(stream, &client.reply.buf[client.reply.sent..]);
    client.reply.buf.clear();
    client.reply.sent = 0;
    let helpers = srv.scripting.eval.debugger_helpers.clone();
    debugger::start(stream, forked, args[1], helpers);
    eval_generic(srv, client, args, false, ro);
    debugger::end();
}

fn eval(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    eval_generic(srv, client, args, false, false);
}

fn evalsha(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    eval_generic(srv, client, args, true, false);
}

fn eval_ro(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    eval_generic(srv, client, args, false, true);
}

fn evalsha_ro(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    eval_generic(srv, client, args, true, true);
}

fn fcall_generic(srv: &mut Server, client: &mut Client, args: &[&[u8]], ro: bool) {
    srv.feed_monitors(client, args);
    srv.sync_functions();
    let name = String::from_utf8_lossy(args[1]).into_owned();
    let Some(info) = srv.scripting.functions.find(&name) else {
        client.reply.error("Function not found");
        return;
    };
    let function = info.function.clone();
    let flags = info.flags;
    let Some(n) = numkeys(client, args, Some("Bad number of keys provided")) else {
        return;
    };
    srv.run_script(
        client,
        Callable::Function(function),
        flags,
        ro,
        &name,
        &args[3..3 + n],
        &args[3 + n..],
        args,
    );
}

fn fcall(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    fcall_generic(srv, client, args, false);
}

fn fcall_ro(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    fcall_generic(srv, client, args, true);
}

fn script_load(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    match srv.scripting.create_script(args[2]) {
        Ok(sha) => client.reply.bulk(sha.as_bytes()),
        Err(e) => client.reply.error(&e),
    }
}

fn script_exists(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    client.reply.array(args.len() - 2);
    for sha in &args[2..] {
        client
            .reply
            .int(i64::from(srv.scripting.script(sha).is_some()));
    }
}

/// The [ASYNC|SYNC] argument of SCRIPT FLUSH / FUNCTION FLUSH.
fn flush_mode(client: &mut Client, args: &[&[u8]], message: &str) -> bool {
    match args.len() {
        2 => true,
        3 if is(args[2], "sync") || is(args[2], "async") => true,
        _ => {
            client.reply.error(message);
            false
        }
    }
}

fn script_flush(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if !flush_mode(client, args, "SCRIPT FLUSH only support SYNC|ASYNC option") {
        return;
    }
    srv.scripting.flush_scripts();
    client.reply.ok();
}

fn script_kill(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    srv.script_kill(client, true);
}

fn function_kill(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    srv.script_kill(client, false);
}

fn script_debug(_srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    if client.reply.pending() > 0 {
        client
            .reply
            .error("SCRIPT DEBUG must be called outside a pipeline");
        return;
    }
    let mode = if is(args[2], "no") {
        None
    } else if is(args[2], "yes") {
        Some(Mode::Fork)
    } else if is(args[2], "sync") {
        Some(Mode::Sync)
    } else {
        client.reply.error("Use SCRIPT DEBUG YES/SYNC/NO");
        return;
    };
    client.lua_debug = mode;
    client.reply.ok();
}

fn script_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
}

fn function_load(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    srv.sync_functions();
    let mut replace = false;
    let mut pos = 2;
    while pos < args.len() - 1 {
        if is(args[pos], "replace") {
            replace = true;
            pos += 1;
            continue;
        }
        client.reply.error(&format!(
            "Unknown option given: {}",
            String::from_utf8_lossy(args[pos])
        ));
        return;
    }
    if pos >= args.len() {
        client.reply.error("Function code is missing");
        return;
    }
    match srv.scripting.functions.load(args[pos], replace) {
        Ok(name) => {
            srv.functions_changed();
            srv.signals.dirty += 1;
            client.reply.bulk(name.as_bytes());
        }
        Err(e) => client.reply.error(&e),
    }
}

fn function_delete(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    srv.sync_functions();
    let name = String::from_utf8_lossy(args[2]).into_owned();
    if !srv.scripting.functions.remove(&name) {
        client.reply.error("Library not found");
        return;
    }
    srv.functions_changed();
    srv.signals.dirty += 1;
    client.reply.ok();
}

fn function_list(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    srv.sync_functions();
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        if !with_code && is(args[i], "withcode") {
            with_code = true;
            i += 1;
            continue;
        }
        if pattern.is_none() && is(args[i], "libraryname") {
            if i >= args.len() - 1 {
                client.reply.error("library name argument was not given");
                return;
            }
            pattern = Some(args[i + 1]);
            i += 2;
            continue;
        }
        client.reply.error(&format!(
            "Unknown argument {}",
            String::from_utf8_lossy(args[i])
        ));
        return;
    }
    let libs: Vec<_> = srv
        .scripting
        .functions
        .libraries
        .values()
        .filter(|l| pattern.is_none_or(|p| crate::glob::matches_nocase(p, l.name.as_bytes())))
        .collect();
    client.reply.array(libs.len());
    for lib in libs {
        client.reply.map(if with_code { 4 } else { 3 });
        client.reply.bulk(b"library_name");
        client.reply.bulk(lib.name.as_bytes());
        client.reply.bulk(b"engine");
        client.reply.bulk(b"LUA");
        client.reply.bulk(b"functions");
        client.reply.array(lib.functions.len());
        for f in lib.functions.values() {
            client.reply.map(3);
            client.reply.bulk(b"name");
            client.reply.bulk(f.name.as_bytes());
            client.reply.bulk(b"description");
            match &f.description {
                Some(d) => client.reply.bulk(d),
                None => client.reply.null(),
            }
            client.reply.bulk(b"flags");
            let names: Vec<&str> = script_flags::NAMES
                .iter()
                .filter(|(bit, _)| f.flags & bit != 0)
                .map(|(_, n)| *n)
                .collect();
            client.reply.set(names.len());
            for n in names {
                client.reply.simple(n);
            }
        }
        if with_code {
            client.reply.bulk(b"library_code");
            client.reply.bulk(&lib.code);
        }
    }
}

/// The RDB version FUNCTION DUMP payloads carry (Redis 7.0's).
const DUMP_RDB_VERSION: u16 = 10;

fn function_dump(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    srv.sync_functions();
    let mut payload = Vec::new();
    for code in srv.scripting.functions.codes() {
        payload.push(crate::rdb::format::OPCODE_FUNCTION2);
        crate::rdb::writer::put_string(&mut payload, code, false);
    }
    payload.extend_from_slice(&DUMP_RDB_VERSION.to_le_bytes());
    let crc = crate::rdb::crc64::checksum(&payload);
    payload.extend_from_slice(&crc.to_le_bytes());
    client.reply.bulk(&payload);
}

/// The library codes of a FUNCTION DUMP payload.
fn parse_dump(payload: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    const BAD: &str = "DUMP payload version or checksum are wrong";
    if payload.len() < 10 {
        return Err(BAD);
    }
    let (body, footer) = payload.split_at(payload.len() - 8);
    let crc = u64::from_le_bytes(footer.try_into().map_err(|_| BAD)?);
    if crate::rdb::crc64::checksum(body) != crc {
        return Err(BAD);
    }
    let version = u16::from_le_bytes([body[body.len() - 2], body[body.len() - 1]]);
    if version > DUMP_RDB_VERSION {
        return Err(BAD);
    }
    let data = &body[..body.len() - 2];
    let mut cursor = crate::rdb::Cursor::new(data, 0, true);
    let mut codes = Vec::new();
    while !cursor.is_empty() {
        let op = cursor.u8("opcode").map_err(|_| "can not read data type")?;
        if op != crate::rdb::format::OPCODE_FUNCTION2 {
            return Err("given type is not a function");
        }
        let code = cursor
            .rdb_str("function library")
            .map_err(|_| "failed loading the given functions payload")?;
        let code = code
            .to_bytes()
            .map_err(|_| "failed loading the given functions payload")?;
        codes.push(code.into_owned());
    }
    Ok(codes)
}

fn function_restore(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    srv.sync_functions();
    if args.len() > 4 {
        super::subcommand_syntax_error(client, args);
        return;
    }
    let policy = match args.get(3) {
        None => Restore::Append,
        Some(p) if is(p, "flush") => Restore::Flush,
        Some(p) if is(p, "append") => Restore::Append,
        Some(p) if is(p, "replace") => Restore::Replace,
        Some(_) => {
            client.reply.error(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            );
            return;
        }
    };
    let codes = match parse_dump(args[2]) {
        Ok(codes) => codes,
        Err(e) => {
            client.reply.error(e);
            return;
        }
    };
    match srv.scripting.functions.restore(&codes, policy) {
        Ok(()) => {
            srv.functions_changed();
            srv.signals.dirty += 1;
            client.reply.ok();
        }
        Err(e) => client.reply.error(&e),
    }
}

fn function_flush(srv: &mut Server, client: &mut Client, args: &[&[u8]]) {
    srv.sync_functions();
    if args.len() > 3 {
        super::subcommand_syntax_error(client, args);
        return;
    }
    if !flush_mode(
        client,
        args,
        "FUNCTION FLUSH only supports SYNC|ASYNC option",
    ) {
        return;
    }
    srv.scripting.functions.flush();
    srv.functions_changed();
    srv.signals.dirty += 1;
    client.reply.ok();
}

fn function_stats(srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    srv.sync_functions();
    let running = srv.scripting.running.clone();
    if running.as_ref().is_some_and(|(_, eval, _)| *eval) {
        client.reply.error(
            "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        );
        return;
    }
    client.reply.map(2);
    client.reply.bulk(b"running_script");
    match &running {
        None => client.reply.null(),
        Some((name, _, started)) => {
            client.reply.map(3);
            client.reply.bulk(b"name");
            client.reply.bulk(name.as_bytes());
            client.reply.bulk(b"command");
            let command = srv.scripting.running_command.clone();
            client.reply.array(command.len());
            for a in &command {
                client.reply.bulk(a);
            }
            client.reply.bulk(b"duration_ms");
            client.reply.int(started.elapsed().as_millis() as i64);
        }
    }
    client.reply.bulk(b"engines");
    client.reply.map(1);
    client.reply.bulk(b"LUA");
    client.reply.map(2);
    client.reply.bulk(b"libraries_count");
    client
        .reply
        .int(srv.scripting.functions.libraries.len() as i64);
    client.reply.bulk(b"functions_count");
    client
        .reply
        .int(srv.scripting.functions.function_count() as i64);
}

fn function_help(_srv: &mut Server, client: &mut Client, _args: &[&[u8]]) {
    help(
        client,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
}

impl Server {
    /// SCRIPT KILL (`eval`) / FUNCTION KILL.
    pub fn script_kill(&mut self, client: &mut Client, eval: bool) {
        let Some((_, running_eval, _)) = self.scripting.running.clone() else {
            client
                .reply
                .error("-NOTBUSY No scripts in execution right now.");
            return;
        };
        if self.scripting.running_dirty {
            client.reply.error(
                "-UNKILLABLE Sorry the script already executed write commands against the \
                 dataset. You can either wait the script termination or kill the server in a \
                 hard way using the SHUTDOWN NOSAVE command.",
            );
            return;
        }
        if eval && !running_eval {
            client.reply.error(
                "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
            );
            return;
        }
        if !eval && running_eval {
            client.reply.error(
                "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
            );
            return;
        }
        self.scripting.kill_requested = true;
        client.reply.ok();
    }
}
