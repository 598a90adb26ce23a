//! The Lua debugger (`SCRIPT DEBUG YES|SYNC`, what `redis-cli --ldb`
//! talks to), as Redis 7.0's LDB behaves.
//!
//! A client that asked for debugging and then sends EVAL starts a
//! session: the script runs with a line hook, and each time it stops (the
//! first line, a step, a breakpoint, `redis.breakpoint()`, or running too
//! long without one) the hook sends the log gathered so far and reads
//! debugger commands straight from the client's socket until one resumes
//! the script. Replies are arrays of status lines; the session ends with
//! an `<endsession>` line, then the EVAL reply, then the connection is
//! closed.
//!
//! In sync mode the whole server waits while the user types (the session
//! runs inside the loop's call of EVAL). In the default mode the server
//! forks and the child runs the session on its copy of the data, so
//! nothing the script writes is kept; the parent closes its copy of the
//! connection and goes on.
//!
//! The session state is thread-local: the hook, `redis.call` (which logs
//! the commands and replies of a stepping script) and `redis.debug` all
//! reach it while the Lua call that owns it runs. No borrow of it is held
//! across a call back into Lua.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use mlua::{Function, Lua, MultiValue, Table, Value, VmState};

use super::super::tls::ServerStream;
use super::{raise, with_run};

/// How a client asked for debugging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// SCRIPT DEBUG YES: a forked child runs the session.
    Fork,
    /// SCRIPT DEBUG SYNC: the server itself runs it, blocking.
    Sync,
}

/// Longest reply or value logged before `maxlen` trims it.
const MAXLEN_DEFAULT: usize = 256;
const BREAKPOINTS_MAX: usize = 64;
/// A debugger command longer than this is refused (the client would make
/// the server buffer without bound).
const INPUT_MAX: usize = 1 << 20;
/// How long a blocked write to the debugging client may wait.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Nested tables shown before the dump stops (LUA_MINSTACK / 2).
const VALUE_DEPTH_MAX: usize = 10;

struct Session {
    /// The debugging client's connection: the caller's, which outlives
    /// the session (it ends before the EVAL that started it returns).
    stream: *mut ServerStream,
    forked: bool,
    step: bool,
    breakpoints: Vec<i64>,
    /// `redis.breakpoint()` was called: stop at the next line.
    lua_breakpoint: bool,
    maxlen: usize,
    maxlen_hint_sent: bool,
    logs: Vec<Vec<u8>>,
    /// The script's source, one entry per line.
    src: Vec<Vec<u8>>,
    current_line: i64,
    /// Bytes of debugger commands received and not yet run.
    input: Vec<u8>,
    /// The stack helpers of the prelude (locals, find, frames).
    helpers: Table,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
}

fn with_session<R>(f: impl FnOnce(&mut Session) -> R) -> Option<R> {
    SESSION.with(|s| s.borrow_mut().as_mut().map(f))
}

/// A session is running (the script being run is debugged).
pub fn active() -> bool {
    SESSION.with(|s| s.borrow().is_some())
}

/// Commands and replies are logged (Redis's ldbIsEnabled: stepping).
pub fn stepping() -> bool {
    with_session(|s| s.step).unwrap_or(false)
}

/// Start a session for the script `body`, debugged by the client on
/// `stream`.
pub fn start(stream: &mut ServerStream, forked: bool, body: &[u8], helpers: Table) {
    let mut body = body;
    while let [rest @ .., b'\r' | b'\n'] = body {
        body = rest;
    }
    let session = Session {
        stream,
        forked,
        step: true,
        breakpoints: Vec::new(),
        lua_breakpoint: false,
        maxlen: MAXLEN_DEFAULT,
        maxlen_hint_sent: false,
        logs: Vec::new(),
        src: body.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect(),
        current_line: 0,
        input: Vec::new(),
        helpers,
    };
    SESSION.with(|s| *s.borrow_mut() = Some(session));
}

/// End the session: the remaining log and `<endsession>` are sent.
/// Returns whether it was a forked one.
pub fn end() -> bool {
    let Some(mut session) = SESSION.with(|s| s.borrow_mut().take()) else {
        return false;
    };
    session.log(b"<endsession>".to_vec());
    session.send_logs();
    session.forked
}

/// Log a command a stepping script runs.
pub fn log_command(argv: &[&[u8]]) {
    with_session(|s| {
        if !s.step {
            return;
        }
        let mut line = b"<redis>".to_vec();
        for (i, arg) in argv.iter().enumerate() {
            if i == 10 {
                line.extend_from_slice(format!(" ... ({} more)", argv.len() - i - 1).as_bytes());
                break;
            }
            line.push(b' ');
            line.extend_from_slice(arg);
        }
        s.log(line);
    });
}

/// Log the reply a stepping script got (an error reply is logged as an
/// error first, as it reaches the script as one).
pub fn log_reply(reply: &[u8]) {
    with_session(|s| {
        if s.step {
            if reply.first() == Some(&b'-') {
                let end = reply
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .unwrap_or(reply.len());
                let mut line = b"<error> ".to_vec();
                line.extend_from_slice(&reply[..end]);
                s.log(line);
            }
            let mut line = b"<reply> ".to_vec();
            human_reply(&mut line, reply, &mut 0);
            s.log_trimmed(line);
        }
    });
}

/// Log an error raised to a stepping script.
pub fn log_error(message: &str) {
    with_session(|s| {
        if s.step {
            s.log(format!("<error> {message}").into_bytes());
        }
    });
}

/// `redis.debug(...)`: its arguments in the debugger's log.
pub fn lua_debug(_lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    with_session(|s| {
        let mut line = format!("<debug> line {}: ", s.current_line).into_bytes();
        for (i, v) in args.iter().enumerate() {
            if i > 0 {
                line.extend_from_slice(b", ");
            }
            value_repr(&mut line, v, 0);
        }
        s.log(line);
    });
    Ok(())
}

/// `redis.breakpoint()`: stop at the next line (false when not debugging).
pub fn lua_breakpoint(_lua: &Lua, _args: MultiValue) -> mlua::Result<bool> {
    Ok(with_session(|s| s.lua_breakpoint = true).is_some())
}

/// The line and count hook of a debugged script.
pub fn hook(lua: &Lua, debug: &mlua::debug::Debug) -> mlua::Result<VmState> {
    let line = debug.current_line().map_or(0, |l| l as i64);
    let in_script = debug
        .source()
        .short_src
        .is_some_and(|s| s.contains("user_script"));
    let count_event = matches!(debug.event(), mlua::debug::DebugEvent::Count);
    let (stop, timeout) = with_session(|s| {
        s.current_line = line;
        let breakpoint = s.breakpoints.contains(&line) || s.lua_breakpoint;
        if !in_script {
            return (None, false);
        }
        let mut timeout = false;
        if count_event && !s.step && !breakpoint {
            let limit = with_run(|run| {
                // SAFETY: see with_run.
                let server = unsafe { &*run.server };
                let threshold = server.config.busy_reply_threshold;
                let limit = if threshold > 0 { threshold } else { 5000 };
                run.started.elapsed() >= Duration::from_millis(limit)
            })
            .unwrap_or(false);
            if !limit {
                return (None, false);
            }
            timeout = true;
            s.step = true;
        }
        if !(s.step || breakpoint) {
            return (None, false);
        }
        let reason = if breakpoint {
            if s.lua_breakpoint {
                "redis.breakpoint() called"
            } else {
                "break point"
            }
        } else if timeout {
            "timeout reached, infinite loop?"
        } else {
            "step over"
        };
        s.step = false;
        s.lua_breakpoint = false;
        s.log(format!("* Stopped at {line}, stop reason = {reason}").into_bytes());
        s.log_source_line(line);
        s.send_logs();
        (Some(()), timeout)
    })
    .unwrap_or((None, false));
    if stop.is_none() {
        return Ok(VmState::Continue);
    }
    let connected = repl(lua)?;
    if !connected && timeout {
        // Nobody will ever step this script on: stop it rather than block
        // the server forever.
        return Err(raise(
            "-ERR timeout during Lua debugging with client closing connection",
        ));
    }
    // The time spent at the prompt does not count toward the limit.
    with_run(|run| run.started = Instant::now());
    Ok(VmState::Continue)
}

/// What the debugger's prompt read.
enum Input {
    Command(Vec<Vec<u8>>),
    /// The client went away.
    Gone,
}

/// Read and run debugger commands until one resumes the script. False
/// when the client went away (the script then runs to its end).
fn repl(lua: &Lua) -> mlua::Result<bool> {
    loop {
        let argv = match read_command()? {
            Input::Command(argv) => argv,
            Input::Gone => {
                with_session(|s| {
                    s.step = false;
                    s.breakpoints.clear();
                });
                return Ok(false);
            }
        };
        let name = argv[0].to_ascii_lowercase();
        let is = |short: &str, long: &str| name == short.as_bytes() || name == long.as_bytes();
        if is("s", "step") || is("n", "next") {
            with_session(|s| s.step = true);
            return Ok(true);
        } else if is("c", "continue") {
            return Ok(true);
        } else if is("a", "abort") {
            return Err(raise("-ERR script aborted for user request"));
        } else if is("h", "help") {
            with_session(|s| HELP.iter().for_each(|l| s.log(l.as_bytes().to_vec())));
        } else if is("t", "trace") {
            trace(lua)?;
        } else if is("m", "maxlen") {
            with_session(|s| s.maxlen_command(&argv));
        } else if is("b", "break") {
            with_session(|s| s.break_command(&argv));
        } else if is("e", "eval") {
            eval(lua, &argv)?;
        } else if argv.len() > 1 && is("r", "redis") {
            redis(lua, &argv)?;
        } else if is("p", "print") {
            print(lua, argv.get(1).filter(|_| argv.len() == 2))?;
        } else if is("l", "list") {
            with_session(|s| {
                let mut around = s.current_line;
                let mut context = 5;
                if let Some(n) = argv.get(1).map(|a| atoi(a))
                    && n > 0
                {
                    around = n;
                }
                if let Some(c) = argv.get(2) {
                    context = atoi(c);
                }
                s.list(around, context);
            });
        } else if is("w", "whole") {
            with_session(|s| s.list(1, 1_000_000));
        } else {
            with_session(|s| {
                s.log(
                    b"<error> Unknown Redis Lua debugger command or wrong number of arguments."
                        .to_vec(),
                )
            });
        }
        with_session(Session::send_logs);
    }
}

/// The next debugger command: parsed from what the client sent, reading
/// more (blocking) until a whole one is there.
fn read_command() -> mlua::Result<Input> {
    loop {
        let parsed = with_session(|s| {
            let parsed = parse_command(&s.input);
            if matches!(parsed, Parsed::Command(..) | Parsed::Invalid) {
                s.input.clear();
            }
            parsed
        });
        match parsed {
            None => return Ok(Input::Gone),
            Some(Parsed::Command(argv)) => return Ok(Input::Command(argv)),
            Some(Parsed::Invalid) => return Err(raise("-ERR protocol error")),
            Some(Parsed::Incomplete) => {}
        }
        let mut buf = [0u8; 1024];
        let stream = with_session(|s| s.stream).unwrap_or(std::ptr::null_mut());
        if stream.is_null() {
            return Ok(Input::Gone);
        }
        // SAFETY: the caller's stream outlives the session (see Session).
        let n = match read_blocking(unsafe { &mut *stream }, &mut buf) {
            Ok(n) if n > 0 => n,
            _ => return Ok(Input::Gone),
        };
        let overflow = with_session(|s| {
            s.input.extend_from_slice(&buf[..n]);
            if s.input.len() > INPUT_MAX {
                s.input = Vec::new();
                return true;
            }
            false
        })
        .unwrap_or(false);
        if overflow {
            return Err(raise("-ERR max client buffer reached"));
        }
    }
}

enum Parsed {
    Command(Vec<Vec<u8>>),
    Incomplete,
    Invalid,
}

/// A debugger command: a RESP array of 1 to 1024 bulk strings of 1 to
/// 1024 bytes each (what redis-cli sends). Anything before the `*` is
/// skipped, as Redis's parser does.
fn parse_command(buf: &[u8]) -> Parsed {
    fn line(buf: &[u8], from: usize) -> Option<(&[u8], usize)> {
        let end = buf[from..].windows(2).position(|w| w == b"\r\n")? + from;
        Some((&buf[from..end], end + 2))
    }
    if buf.is_empty() {
        return Parsed::Incomplete;
    }
    let Some(star) = buf.iter().position(|&b| b == b'*') else {
        return Parsed::Invalid;
    };
    let Some((count, mut pos)) = line(buf, star + 1) else {
        return Parsed::Incomplete;
    };
    let count = atoi(count);
    if !(1..=1024).contains(&count) {
        return Parsed::Invalid;
    }
    let mut argv = Vec::with_capacity(count as usize);
    while argv.len() < count as usize {
        match buf.get(pos) {
            None => return Parsed::Incomplete,
            Some(b'$') => {}
            Some(_) => return Parsed::Invalid,
        }
        let Some((len, start)) = line(buf, pos + 1) else {
            return Parsed::Incomplete;
        };
        let len = atoi(len);
        if !(1..=1024).contains(&len) {
            return Parsed::Invalid;
        }
        let end = start + len as usize;
        if end + 2 > buf.len() {
            return Parsed::Incomplete;
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Parsed::Invalid;
        }
        argv.push(buf[start..end].to_vec());
        pos = end + 2;
    }
    Parsed::Command(argv)
}

/// C's atoi: leading blanks, a sign, digits; 0 when there are none.
fn atoi(text: &[u8]) -> i64 {
    let text = text.trim_ascii_start();
    let (neg, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let n = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if neg { -n } else { n }
}

/// `eval <code>`: run a fragment of Lua (as an expression first, then as
/// a statement) and log what it returns.
fn eval(lua: &Lua, argv: &[Vec<u8>]) -> mlua::Result<()> {
    let code = argv[1..].join(&b' ');
    let mut expr = b"return ".to_vec();
    expr.extend_from_slice(&code);
    let compiled = lua
        .load(&expr[..])
        .set_name("@ldb_eval")
        .into_function()
        .or_else(|_| lua.load(&code[..]).set_name("@ldb_eval").into_function());
    let line = match compiled.and_then(|f| f.call::<Value>(())) {
        Ok(value) => {
            let mut line = b"<retval> ".to_vec();
            value_repr(&mut line, &value, 0);
            with_session(|s| s.log_trimmed(line));
            return Ok(());
        }
        Err(e) => format!("<error> {}", super::lua_message(&e)),
    };
    with_session(|s| s.log(line.into_bytes()));
    Ok(())
}

/// `redis <command>`: run it through redis.call with logging forced on,
/// so the command and its reply show in the log.
fn redis(lua: &Lua, argv: &[Vec<u8>]) -> mlua::Result<()> {
    let redis: Table = lua.globals().get("redis")?;
    let call: Function = redis.get("call")?;
    let args = argv[1..]
        .iter()
        .map(|a| lua.create_string(a).map(Value::String))
        .collect::<mlua::Result<MultiValue>>()?;
    with_session(|s| s.step = true);
    // The error (if any) is in the log already.
    let _ = call.call::<Value>(args);
    with_session(|s| s.step = false);
    Ok(())
}

/// `print [var]`: one local (or KEYS / ARGV), or every local of the
/// current frame.
fn print(lua: &Lua, name: Option<&Vec<u8>>) -> mlua::Result<()> {
    let Some(helpers) = with_session(|s| s.helpers.clone()) else {
        return Ok(());
    };
    let mut lines = Vec::new();
    match name {
        Some(name) => {
            let find: Function = helpers.get("find")?;
            let (found, value): (bool, Value) = find.call(lua.create_string(name)?)?;
            let value = if found {
                Some(value)
            } else if name == b"KEYS" || name == b"ARGV" {
                Some(lua.globals().raw_get(lua.create_string(name)?)?)
            } else {
                None
            };
            match value {
                Some(v) => {
                    let mut line = b"<value> ".to_vec();
                    value_repr(&mut line, &v, 0);
                    lines.push((line, true));
                }
                None => lines.push((b"No such variable.".to_vec(), false)),
            }
        }
        None => {
            let locals: Table = helpers.get::<Function>("locals")?.call(())?;
            for pair in locals.sequence_values::<Table>() {
                let pair = pair?;
                let name: mlua::LuaString = pair.raw_get(1)?;
                if name.as_bytes().windows(12).any(|w| w == b"(*temporary)") {
                    continue;
                }
                let mut line = b"<value> ".to_vec();
                line.extend_from_slice(&name.as_bytes());
                line.extend_from_slice(b" = ");
                value_repr(&mut line, &pair.raw_get::<Value>(2)?, 0);
                lines.push((line, true));
            }
            if lines.is_empty() {
                lines.push((
                    b"No local variables in the current context.".to_vec(),
                    false,
                ));
            }
        }
    }
    with_session(|s| {
        for (line, trim) in lines {
            if trim {
                s.log_trimmed(line)
            } else {
                s.log(line)
            }
        }
    });
    Ok(())
}

/// `trace`: the frames of the user's code, innermost first.
fn trace(lua: &Lua) -> mlua::Result<()> {
    let _ = lua;
    let Some(helpers) = with_session(|s| s.helpers.clone()) else {
        return Ok(());
    };
    let frames: Table = helpers.get::<Function>("frames")?.call(())?;
    let frames = frames
        .sequence_values::<Table>()
        .map(|f| {
            let f = f?;
            Ok((
                f.raw_get::<mlua::LuaString>(1)?.to_str()?.to_owned(),
                f.raw_get::<i64>(2)?,
            ))
        })
        .collect::<mlua::Result<Vec<(String, i64)>>>()?;
    with_session(|s| {
        if frames.is_empty() {
            s.log(b"<error> Can't retrieve Lua stack.".to_vec());
        }
        for (i, (name, line)) in frames.into_iter().enumerate() {
            let place = if i == 0 { "In" } else { "From" };
            s.log(format!("{place} {name}:").into_bytes());
            s.log_source_line(line);
        }
    });
    Ok(())
}

const HELP: &[&str] = &[
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]ontinue           Run till next breakpoint.",
    "[l]ist               List source code around current line.",
    "[l]ist [line]        List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]val <code>        Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
    "                     next line of code.",
];

impl Session {
    fn log(&mut self, line: Vec<u8>) {
        self.logs.push(line);
    }

    /// Log a reply or a value, cut at `maxlen` (with a hint the first
    /// time).
    fn log_trimmed(&mut self, mut line: Vec<u8>) {
        if self.maxlen != 0 && line.len() > self.maxlen {
            line.truncate(self.maxlen);
            line.extend_from_slice(b" ...");
            self.log(line);
            if !self.maxlen_hint_sent {
                self.maxlen_hint_sent = true;
                self.log(
                    b"<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming."
                        .to_vec(),
                );
            }
        } else {
            self.log(line);
        }
    }

    /// Send the log as an array of status lines (newlines become spaces)
    /// and empty it. A failed write is noticed by the next read.
    fn send_logs(&mut self) {
        let mut out = format!("*{}\r\n", self.logs.len()).into_bytes();
        for mut line in self.logs.drain(..) {
            for b in &mut line {
                if *b == b'\r' || *b == b'\n' {
                    *b = b' ';
                }
            }
            out.push(b'+');
            out.extend_from_slice(&line);
            out.extend_from_slice(b"\r\n");
        }
        // SAFETY: the caller's stream outlives the session (see Session).
        let _ = write_blocking(unsafe { &mut *self.stream }, &out);
    }

    fn source_line(&self, line: i64) -> &[u8] {
        usize::try_from(line - 1)
            .ok()
            .and_then(|i| self.src.get(i))
            .map_or(b"<out of range source code line>", Vec::as_slice)
    }

    fn log_source_line(&mut self, line: i64) {
        let current = self.current_line == line;
        let breakpoint = self.breakpoints.contains(&line);
        let prefix = match (current, breakpoint) {
            (true, true) => "->#",
            (true, false) => "-> ",
            (false, true) => "  #",
            (false, false) => "   ",
        };
        let mut out = format!("{prefix}{line:<3} ").into_bytes();
        out.extend_from_slice(self.source_line(line));
        self.log(out);
    }

    fn list(&mut self, around: i64, context: i64) {
        for line in 1..=self.src.len() as i64 {
            if around != 0 && (around - line).abs() > context {
                continue;
            }
            self.log_source_line(line);
        }
    }

    fn maxlen_command(&mut self, argv: &[Vec<u8>]) {
        if argv.len() == 2 {
            let mut n = atoi(&argv[1]);
            self.maxlen_hint_sent = true;
            if n != 0 && n <= 60 {
                n = 60;
            }
            self.maxlen = n.max(0) as usize;
        }
        let line = if self.maxlen != 0 {
            format!("<value> replies are truncated at {} bytes.", self.maxlen)
        } else {
            "<value> replies are unlimited.".to_owned()
        };
        self.log(line.into_bytes());
    }

    fn break_command(&mut self, argv: &[Vec<u8>]) {
        if argv.len() == 1 {
            if self.breakpoints.is_empty() {
                self.log(b"No breakpoints set. Use 'b <line>' to add one.".to_vec());
            } else {
                self.log(format!("{} breakpoints set:", self.breakpoints.len()).into_bytes());
                for line in self.breakpoints.clone() {
                    self.log_source_line(line);
                }
            }
            return;
        }
        for arg in &argv[1..] {
            let Some(line) = crate::resp::number::string2ll(arg) else {
                let mut out = b"Invalid argument:'".to_vec();
                out.extend_from_slice(arg);
                out.push(b'\'');
                self.log(out);
                continue;
            };
            if line == 0 {
                self.breakpoints.clear();
                self.log(b"All breakpoints removed.".to_vec());
            } else if line > 0 {
                if self.breakpoints.len() == BREAKPOINTS_MAX {
                    self.log(b"Too many breakpoints set.".to_vec());
                } else if line <= self.src.len() as i64 {
                    if !self.breakpoints.contains(&line) {
                        self.breakpoints.push(line);
                    }
                    self.list(line, 1);
                } else {
                    self.log(b"Wrong line number.".to_vec());
                }
            } else if let Some(at) = self.breakpoints.iter().position(|&l| l == -line) {
                self.breakpoints.remove(at);
                self.log(b"Breakpoint removed.".to_vec());
            } else {
                self.log(b"No breakpoint in the specified line.".to_vec());
            }
        }
    }
}

/// A Lua value as the debugger shows it: strings quoted, numbers as
/// `%g`, arrays as `{a; b}` and other tables as `{[k]=v; ...}`.
fn value_repr(out: &mut Vec<u8>, value: &Value, depth: usize) {
    if depth == VALUE_DEPTH_MAX {
        out.extend_from_slice(b"<max recursion level reached! Nested table?>");
        return;
    }
    match value {
        Value::String(s) => {
            out.extend_from_slice(crate::output::bytes::quoted(&s.as_bytes()).as_bytes())
        }
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => out.extend_from_slice(format_g(*n as f64).as_bytes()),
        Value::Number(n) => out.extend_from_slice(format_g(*n).as_bytes()),
        Value::Nil => out.extend_from_slice(b"nil"),
        Value::Table(t) => {
            let mut array = Vec::new();
            let mut full = Vec::new();
            let mut is_array = true;
            let mut expected = 1.0;
            for pair in t.clone().pairs::<Value, Value>() {
                let Ok((k, v)) = pair else { break };
                let index = match k {
                    Value::Integer(n) => Some(n as f64),
                    Value::Number(n) => Some(n),
                    _ => None,
                };
                if is_array && index != Some(expected) {
                    is_array = false;
                }
                value_repr(&mut array, &v, depth + 1);
                array.extend_from_slice(b"; ");
                full.push(b'[');
                value_repr(&mut full, &k, depth + 1);
                full.extend_from_slice(b"]=");
                value_repr(&mut full, &v, depth + 1);
                full.extend_from_slice(b"; ");
                expected += 1.0;
            }
            let mut chosen = if is_array { array } else { full };
            chosen.truncate(chosen.len().saturating_sub(2));
            out.push(b'{');
            out.extend_from_slice(&chosen);
            out.push(b'}');
        }
        other => {
            let kind = match other {
                Value::Function(_) => "function",
                Value::UserData(_) => "userdata",
                Value::Thread(_) => "thread",
                Value::LightUserData(_) => "light-userdata",
                _ => "unknown",
            };
            out.extend_from_slice(format!("\"{kind}@{:p}\"", other.to_pointer()).as_bytes());
        }
    }
}

/// printf's `%g`.
fn format_g(v: f64) -> String {
    let mut buf = [0u8; 64];
    // SAFETY: snprintf writes at most buf.len() bytes, NUL included, for
    // one double argument matching the format.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%g".as_ptr(), v) };
    String::from_utf8_lossy(&buf[..(n.max(0) as usize).min(buf.len() - 1)]).into_owned()
}

/// One RESP reply in the debugger's human form (Redis's
/// ldbRedisProtocolToHuman): `pos` moves past it.
fn human_reply(out: &mut Vec<u8>, buf: &[u8], pos: &mut usize) {
    let Some(&kind) = buf.get(*pos) else { return };
    let start = *pos;
    let end = buf[start..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(buf.len(), |e| start + e);
    let header = &buf[start + 1..end];
    *pos = (end + 2).min(buf.len());
    let count = || atoi(header);
    match kind {
        b':' => out.extend_from_slice(header),
        b'$' => {
            let len = count();
            if len < 0 {
                out.extend_from_slice(b"NULL");
            } else {
                let from = *pos;
                let to = (from + len as usize).min(buf.len());
                out.extend_from_slice(crate::output::bytes::quoted(&buf[from..to]).as_bytes());
                *pos = (to + 2).min(buf.len());
            }
        }
        b'+' | b'-' => {
            out.extend_from_slice(crate::output::bytes::quoted(&buf[start..end]).as_bytes())
        }
        b'*' | b'~' => {
            let n = count();
            if kind == b'*' && n < 0 {
                out.extend_from_slice(b"NULL");
                return;
            }
            out.extend_from_slice(if kind == b'*' { b"[" } else { b"~(" });
            for i in 0..n.max(0) {
                human_reply(out, buf, pos);
                if i != n - 1 {
                    out.push(b',');
                }
            }
            out.extend_from_slice(if kind == b'*' { b"]" } else { b")" });
        }
        b'%' => {
            let n = count();
            out.push(b'{');
            for i in 0..n.max(0) {
                human_reply(out, buf, pos);
                out.extend_from_slice(b" => ");
                human_reply(out, buf, pos);
                if i != n - 1 {
                    out.push(b',');
                }
            }
            out.push(b'}');
        }
        b'_' => out.extend_from_slice(b"(null)"),
        b'#' => out.extend_from_slice(if header.first() == Some(&b't') {
            b"#true"
        } else {
            b"#false"
        }),
        b',' => {
            out.extend_from_slice(b"(double) ");
            out.extend_from_slice(header);
        }
        _ => {}
    }
}

/// Wait until `fd` is ready for `events`, up to `timeout` (None: no
/// limit). False on a timeout or an error.
fn wait_ready(fd: i32, events: libc::c_short, timeout: Option<Duration>) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = timeout.map_or(-1, |t| t.as_millis() as libc::c_int);
    loop {
        // SAFETY: poll on one live pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n > 0 {
            return true;
        }
        if n == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// Write all of `buf` on the (non-blocking) connection, waiting for it
/// to drain: up to SEND_TIMEOUT for each wait, as Redis's send timeout.
pub fn write_blocking(stream: &mut ServerStream, buf: &[u8]) -> io::Result<()> {
    let fd = stream.as_raw_fd();
    let mut sent = 0;
    while sent < buf.len() {
        match stream.write(&buf[sent..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !wait_ready(fd, libc::POLLOUT, Some(SEND_TIMEOUT)) {
                    return Err(io::ErrorKind::TimedOut.into());
                }
            }
            Err(e) => return Err(e),
        }
    }
    // TLS: the ciphertext still queued.
    loop {
        match stream.flush() {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !wait_ready(fd, libc::POLLOUT, Some(SEND_TIMEOUT)) {
                    return Err(io::ErrorKind::TimedOut.into());
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Read what the connection has, waiting (without limit) for something.
fn read_blocking(stream: &mut ServerStream, buf: &mut [u8]) -> io::Result<usize> {
    let fd = stream.as_raw_fd();
    loop {
        match stream.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !wait_ready(fd, libc::POLLIN, None) {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_as_redis_reads_them() {
        let Parsed::Command(argv) = parse_command(b"*2\r\n$1\r\nb\r\n$2\r\n12\r\n") else {
            panic!("not parsed");
        };
        assert_eq!(argv, vec![b"b".to_vec(), b"12".to_vec()]);
        assert!(matches!(
            parse_command(b"*2\r\n$1\r\nb\r\n"),
            Parsed::Incomplete
        ));
        assert!(matches!(
            parse_command(b"*1\r\n$0\r\n\r\n"),
            Parsed::Invalid
        ));
        assert!(matches!(parse_command(b"*0\r\n"), Parsed::Invalid));
        assert!(matches!(parse_command(b"hello"), Parsed::Invalid));
    }

    #[test]
    fn replies_read_as_the_debugger_shows_them() {
        let show = |resp: &[u8]| {
            let mut out = Vec::new();
            human_reply(&mut out, resp, &mut 0);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(show(b"*3\r\n:1\r\n$-1\r\n$2\r\nab\r\n"), "[1,NULL,\"ab\"]");
        assert_eq!(show(b"+OK\r\n"), "\"+OK\"");
        assert_eq!(show(b"%1\r\n+a\r\n,1.5\r\n"), "{\"+a\" => (double) 1.5}");
        assert_eq!(show(b"~1\r\n#t\r\n"), "~(#true)");
        assert_eq!(format_g(0.5), "0.5");
        assert_eq!(format_g(1e20), "1e+20");
    }
}
