//! Lua scripting (EVAL, SCRIPT) and functions (FUNCTION, FCALL), as Redis
//! 7.0 runs them.
//!
//! Two Lua 5.1 interpreters (the version Redis embeds, vendored through
//! `mlua`): one for EVAL scripts, cached by the SHA1 of their body, one
//! for function libraries. Both are sandboxed the same way (see
//! `prelude.lua`): no file or OS access, globals read through a read-only
//! proxy, reading a missing global is an error, the library tables cannot
//! be changed.
//!
//! A script runs commands through [`crate::server::Server::execute`], the
//! one execution path, with a script client: a client without a
//! connection whose replies are parsed back into Lua values (the
//! conversion rules of Redis's script_lua.c are in [`convert`]). While a
//! script runs, the run context ([`Run`]) says what it may do (read-only,
//! allow-oom), whether it has written, and whether it was killed; the
//! checks Redis makes on a command called from a script are in
//! [`Server::script_call`].

pub mod call;
pub mod convert;
pub mod debugger;
pub mod functions;
pub mod libs;

use std::cell::Cell;
use std::collections::HashMap;
use std::time::Instant;

use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};

use super::Server;
use super::command::{Lookup, flags};
use super::connection::Client;

/// Shebang / register_function flags.
pub mod script_flags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 4;
    /// An EVAL script without a shebang: the flags of the command apply.
    pub const EVAL_COMPAT: u32 = 1 << 5;
    pub const NAMES: &[(u32, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];
}

/// One cached EVAL script.
pub struct Script {
    pub body: Vec<u8>,
    pub flags: u32,
    pub function: Function,
}

/// A Lua interpreter with the Redis API and its entry points.
pub struct Vm {
    pub lua: Lua,
    /// The read-only proxy scripts see as their globals.
    pub env: Table,
    /// Runs a script or function (see [`call::run_script`]).
    pub run: Function,
    pub run_load: Function,
    pub set_loading: Function,
    /// The stack helpers the Lua debugger reads frames with.
    pub debugger_helpers: Table,
    /// How many runs since the last incremental GC step.
    gc_count: u32,
    /// Whether the busy-script count hook is installed. It stays
    /// installed between runs: installing a hook through the binding
    /// allocates (a registry table entry, a userdata, closures) and cost
    /// about a tenth of a short script's run; a count hook that is not
    /// due costs the interpreter one decrement per instruction.
    pub busy_hook: Cell<bool>,
}

/// What the running script is: EVAL or FCALL, its name, and what it has
/// done so far.
pub struct Run {
    pub server: *mut Server,
    pub client: *mut Client,
    pub eval: bool,
    pub read_only: bool,
    pub allow_oom: bool,
    pub dirty: bool,
    pub killed: bool,
    pub timed_out: bool,
    pub from_master: bool,
    /// redis.set_repl flags (1 AOF, 2 replicas).
    pub repl: u8,
    pub started: Instant,
    /// The caller's arguments, copied for FUNCTION STATS only when the
    /// script turns busy (valid for the whole run: they are the caller's
    /// request, which outlives it).
    pub command: *const [&'static [u8]],
    /// The script's KEYS and ARGV (the caller's request, as `command`).
    pub keys: *const [&'static [u8]],
    pub args: *const [&'static [u8]],
}

thread_local! {
    /// The run in progress, while a script executes; null otherwise.
    static RUN: Cell<*mut Run> = const { Cell::new(std::ptr::null_mut()) };
    /// The library being loaded, while FUNCTION LOAD runs its code.
    static LOADING: Cell<*mut functions::Library> = const { Cell::new(std::ptr::null_mut()) };
    /// redis_lrand48 state.
    static RAND: Cell<u64> = const { Cell::new(0) };
}

/// The scripting state: both interpreters, the script cache and the
/// function libraries.
pub struct Scripting {
    pub eval: Vm,
    pub scripts: HashMap<String, Script, foldhash::fast::RandomState>,
    /// Bytes of script bodies kept (INFO used_memory_scripts_eval).
    pub scripts_mem: usize,
    pub functions: functions::Functions,
    /// The client scripts run commands as (taken out while in use).
    pub client: Option<Box<Client>>,
    /// Name and start of the script in progress (SCRIPT KILL, BUSY).
    pub running: Option<(String, bool, Instant)>,
    /// Set by SCRIPT KILL / FUNCTION KILL while a script runs.
    pub kill_requested: bool,
    /// The running script is past busy-reply-threshold.
    pub timed_out: bool,
    /// Whether the running script has written (it cannot be killed).
    pub running_dirty: bool,
    /// The running script's command (FUNCTION STATS).
    pub running_command: Vec<Vec<u8>>,
    /// The last script's name, kept for the next one's (no allocation
    /// per call).
    pub spare_name: String,
    /// The buffers redis.call reuses.
    pub call: call::CallBuffers,
    /// Forked Lua debugger sessions (SCRIPT DEBUG YES) not reaped yet.
    pub debug_children: Vec<super::persistence::child::Child>,
}

impl Default for Scripting {
    fn default() -> Self {
        Self::new()
    }
}

impl Scripting {
    pub fn new() -> Scripting {
        let mut client = Client::new(0, usize::MAX, None);
        client.script = true;
        client.authenticated = true;
        Scripting {
            eval: Vm::new(false).expect("the Lua interpreter starts"),
            scripts: HashMap::default(),
            scripts_mem: 0,
            functions: functions::Functions::new(),
            client: Some(Box::new(client)),
            running: None,
            kill_requested: false,
            running_dirty: false,
            running_command: Vec::new(),
            debug_children: Vec::new(),
            call: call::CallBuffers::default(),
            spare_name: String::new(),
            timed_out: false,
        }
    }

    /// SCRIPT FLUSH: a fresh interpreter, no scripts.
    pub fn flush_scripts(&mut self) {
        self.scripts.clear();
        self.scripts_mem = 0;
        if let Ok(vm) = Vm::new(false) {
            self.eval = vm;
        }
    }

    /// The cached script of a SHA1 given in hex digits of either case
    /// (EVALSHA, SCRIPT EXISTS), found without allocating.
    pub fn script(&self, sha: &[u8]) -> Option<&Script> {
        let lower = lower_sha(sha)?;
        self.scripts.get(std::str::from_utf8(&lower).ok()?)
    }

    /// Compile `body` and cache it; its SHA1 (lowercase hex).
    pub fn create_script(&mut self, body: &[u8]) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = shebang_flags(body)?;
        let function = self
            .eval
            .lua
            .load(&body[shebang_len..])
            .set_name("@user_script")
            .set_mode(mlua::chunk::ChunkMode::Text)
            .set_environment(self.eval.env.clone())
            .into_function()
            .map_err(|e| format!("Error compiling script (new function): {}", lua_message(&e)))?;
        self.scripts_mem += body.len() + 40;
        self.scripts.insert(
            sha.clone(),
            Script {
                body: body.to_vec(),
                flags,
                function,
            },
        );
        Ok(sha)
    }
}

/// The message of a Lua error as Redis prints it (without mlua's
/// decorations).
pub fn lua_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_message(cause),
        other => other.to_string(),
    }
}

impl Server {
    /// The command flags a request runs with. A script or function that
    /// declares flags replaces EVAL's and FCALL's write, deny-oom, stale
    /// and may-replicate flags with what it declared (Redis's
    /// scriptFlagsToCmdFlags); every other request has its command's.
    pub fn request_flags(&self, index: usize, args: &[&[u8]]) -> u32 {
        let entry = &self.commands.entries[index];
        let spec_flags = entry.spec.flags;
        // Only EVAL, EVALSHA and FCALL (and their _RO forms) declare flags
        // of their own; they alone carry both of these.
        let script_call = flags::NOSCRIPT | flags::MOVABLE_KEYS;
        if spec_flags & script_call != script_call {
            return spec_flags;
        }
        let declared = match (entry.full_name.as_str(), args.get(1)) {
            ("eval" | "eval_ro", Some(body)) => shebang_flags(body).ok().map(|(f, _)| f),
            ("evalsha" | "evalsha_ro", Some(sha)) => self.scripting.script(sha).map(|s| s.flags),
            ("fcall" | "fcall_ro", Some(name)) => {
                let name = String::from_utf8_lossy(name);
                self.scripting.functions.find(&name).map(|f| f.flags)
            }
            _ => None,
        };
        let Some(declared) = declared.filter(|f| f & script_flags::EVAL_COMPAT == 0) else {
            return spec_flags;
        };
        let mut out =
            spec_flags & !(flags::STALE | flags::DENYOOM | flags::WRITE | flags::MAY_REPLICATE);
        if declared & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0 {
            out |= flags::DENYOOM;
        }
        if declared & script_flags::NO_WRITES == 0 {
            out |= flags::WRITE;
        }
        if declared & script_flags::ALLOW_STALE != 0 {
            out |= flags::STALE;
        }
        out
    }
}

/// The flags of a script's `#!lua flags=...` line and the length of that
/// line (without its newline, kept for line numbers).
pub fn shebang_flags(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((script_flags::EVAL_COMPAT, 0));
    }
    let end = memchr::memchr(b'\n', body).unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[..end]).into_owned();
    let parts: Vec<&str> = line.split_ascii_whitespace().collect();
    if parts.is_empty() {
        return Err("Invalid engine in script shebang".to_owned());
    }
    if parts[0] != "#!lua" {
        return Err(format!("Unexpected engine in script shebang: {}", parts[0]));
    }
    let mut flags = 0;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(format!("Unknown lua shebang option: {part}"));
        };
        for name in list.split(',') {
            if name.is_empty() {
                continue;
            }
            let Some(&(bit, _)) = script_flags::NAMES.iter().find(|(_, n)| *n == name) else {
                return Err(format!("Unexpected flag in script shebang: {name}"));
            };
            flags |= bit;
        }
    }
    Ok((flags, end))
}

/// A SHA1 in hex as lowercase (the script cache's key), when it has the
/// length of one.
pub fn lower_sha(sha: &[u8]) -> Option<[u8; 40]> {
    let mut lower = [0u8; 40];
    if sha.len() != lower.len() {
        return None;
    }
    for (to, from) in lower.iter_mut().zip(sha) {
        *to = from.to_ascii_lowercase();
    }
    Some(lower)
}

/// SHA1 of `data`, 40 lowercase hex digits.
pub fn sha1_hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}

/// The code and message of an error reply's text ("CODE message"; a
/// text without a space is an ERR), the message without surrounding line
/// breaks: the `err` a script sees is "CODE message".
pub fn error_parts(text: &[u8]) -> (&[u8], &[u8]) {
    let (code, msg) = match memchr::memchr(b' ', text) {
        Some(sp) => (&text[..sp], &text[sp + 1..]),
        None => (&b"ERR"[..], text),
    };
    let start = msg
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(msg.len());
    let end = msg
        .iter()
        .rposition(|&b| b != b'\r' && b != b'\n')
        .map_or(start, |i| i + 1);
    (code, &msg[start..end.max(start)])
}

/// An error raised from Rust into Lua as a plain message.
#[derive(Debug)]
struct LuaMessage(String);

impl std::fmt::Display for LuaMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LuaMessage {}

fn raise(message: &str) -> mlua::Error {
    mlua::Error::external(LuaMessage(message.to_owned()))
}

fn with_run<R>(f: impl FnOnce(&mut Run) -> R) -> Option<R> {
    let run = RUN.with(|r| r.get());
    if run.is_null() {
        return None;
    }
    // SAFETY: RUN is set by `Server::run_script` to a Run that lives on
    // its stack for the whole Lua call and is cleared before it returns;
    // the callbacks that read it run inside that call, on this thread.
    Some(f(unsafe { &mut *run }))
}

impl Vm {
    pub fn new(function_mode: bool) -> mlua::Result<Vm> {
        // SAFETY: the debug library is loaded only so the prelude can
        // keep `debug.getinfo` for its error handler; it removes the
        // global before any user code runs.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::new(),
            )
        };
        let globals = lua.globals();
        libs::register(&lua, &globals)?;
        let raw = lua.create_table()?;
        raw.raw_set(
            "sha1hex",
            lua.create_function(|_, args: MultiValue| {
                if args.len() != 1 {
                    return Err(raise("wrong number of arguments"));
                }
                let bytes = match &args[0] {
                    Value::String(s) => s.as_bytes().to_vec(),
                    Value::Number(n) => crate::server::numeric::format_g17(*n).into_bytes(),
                    Value::Integer(n) => n.to_string().into_bytes(),
                    _ => Vec::new(),
                };
                Ok(sha1_hex(&bytes))
            })?,
        )?;
        raw.raw_set("log", lua.create_function(lua_log)?)?;
        raw.raw_set(
            "setresp",
            lua.create_function(|_, args: MultiValue| {
                let n = number_arg(args.front());
                with_run(|run| {
                    if args.len() != 1 {
                        return Err(raise("redis.setresp() requires one argument."));
                    }
                    let resp = n as i64;
                    if resp != 2 && resp != 3 {
                        return Err(raise("RESP version must be 2 or 3."));
                    }
                    // SAFETY: see with_run; the script client is owned by
                    // the run for its duration.
                    unsafe { (*run.client).reply.resp3 = resp == 3 };
                    Ok(())
                })
                .unwrap_or_else(|| {
                    Err(raise(
                        "redis.setresp can only be called inside a script invocation",
                    ))
                })
            })?,
        )?;
        raw.raw_set(
            "set_repl",
            lua.create_function(|_, args: MultiValue| {
                let n = number_arg(args.front()) as i64;
                with_run(|run| {
                    if args.len() != 1 {
                        return Err(raise("redis.set_repl() requires two arguments."));
                    }
                    if n & !3 != 0 {
                        return Err(raise(
                            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                        ));
                    }
                    run.repl = n as u8;
                    Ok(())
                })
                .unwrap_or_else(|| {
                    Err(raise(
                        "redis.set_repl can only be called inside a script invocation",
                    ))
                })
            })?,
        )?;
        raw.raw_set(
            "acl_check_cmd",
            lua.create_function(|_, args: MultiValue| {
                let argv = lua_args(args.iter()).map_err(|e| raise(&e))?;
                with_run(|run| {
                    // SAFETY: see with_run.
                    let server = unsafe { &*run.server };
                    let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
                    match server.commands.lookup(&refs) {
                        Lookup::Found(index) => {
                            // SAFETY: see with_run.
                            let user = unsafe { (*run.client).user };
                            Ok(server.acl.user(user).is_none_or(|u| {
                                super::acl::check_user(
                                    u,
                                    &server.commands,
                                    &server.acl_commands,
                                    index,
                                    &refs,
                                )
                                .is_ok()
                            }))
                        }
                        _ => Err(raise("Invalid command passed to redis.acl_check_cmd()")),
                    }
                })
                .unwrap_or_else(|| {
                    Err(raise(
                        "redis.acl_check_cmd can only be called inside a script invocation",
                    ))
                })
            })?,
        )?;
        raw.raw_set("debug", lua.create_function(debugger::lua_debug)?)?;
        raw.raw_set("breakpoint", lua.create_function(debugger::lua_breakpoint)?)?;
        raw.raw_set("random", lua.create_function(lua_random)?)?;
        raw.raw_set(
            "randomseed",
            lua.create_function(|_, seed: f64| {
                srand48(seed as i32);
                Ok(())
            })?,
        )?;
        raw.raw_set(
            "register_function",
            lua.create_function(functions::register_function)?,
        )?;
        raw.raw_set("version", super::REDIS_VERSION)?;
        raw.raw_set("version_num", version_num())?;
        // SAFETY: redis_call is a C function that follows the Lua C API
        // protocol (see call.rs).
        let (raising, protected) = unsafe {
            (
                lua.create_c_function(call::redis_call::<true>)?,
                lua.create_c_function(call::redis_call::<false>)?,
            )
        };
        raw.raw_set("call_raising", raising)?;
        raw.raw_set("call_protected", protected)?;
        let prelude = lua
            .load(include_str!("prelude.lua"))
            .set_name("=sonde")
            .into_function()?;
        let mode = if function_mode { "function" } else { "eval" };
        let (env, handler, run_load, set_loading, debugger_helpers): (
            Table,
            Function,
            Function,
            Function,
            Table,
        ) = prelude.call((globals, raw, mode))?;
        // SAFETY: pushes one C closure whose upvalue is the error handler
        // run_script expects.
        let run: Function = unsafe {
            lua.exec_raw(&handler, |state| {
                mlua::ffi::lua_pushcclosure(state, call::run_script, 1);
            })?
        };
        Ok(Vm {
            lua,
            env,
            run,
            run_load,
            set_loading,
            debugger_helpers,
            gc_count: 0,
            busy_hook: Cell::new(false),
        })
    }

    /// Memory the interpreter uses (INFO used_memory_lua).
    pub fn memory(&self) -> usize {
        self.lua.used_memory()
    }
}

/// REDIS_VERSION_NUM: 0x00MMmmpp.
fn version_num() -> i64 {
    let mut parts = super::REDIS_VERSION
        .split('.')
        .map(|p| p.parse::<i64>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    let patch = parts.next().unwrap_or(0);
    (major << 16) | (minor << 8) | patch
}

fn number_arg(v: Option<&Value>) -> f64 {
    match v {
        Some(Value::Number(n)) => *n,
        Some(Value::Integer(n)) => *n as f64,
        Some(Value::String(s)) => std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0.0),
        _ => 0.0,
    }
}

/// The arguments of redis.call as bytes: strings as they are, numbers
/// as `%.17g`.
fn lua_args<'a>(args: impl ExactSizeIterator<Item = &'a Value>) -> Result<Vec<Vec<u8>>, String> {
    if args.len() == 0 {
        return Err("Please specify at least one argument for this redis lib call".to_owned());
    }
    let mut argv = Vec::with_capacity(args.len());
    for v in args {
        match v {
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            Value::Number(n) => argv.push(crate::server::numeric::format_g17(*n).into_bytes()),
            Value::Integer(n) => argv.push(n.to_string().into_bytes()),
            _ => {
                return Err(
                    "Lua redis lib command arguments must be strings or integers".to_owned(),
                );
            }
        }
    }
    Ok(argv)
}

fn lua_log(_lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() < 2 {
        return Err(raise("redis.log() requires two arguments or more."));
    }
    let level = match &args[0] {
        Value::Number(n) => *n as i64,
        Value::Integer(n) => *n,
        Value::String(s) => match std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
        {
            Some(n) => n as i64,
            None => return Err(raise("First argument must be a number (log level).")),
        },
        _ => return Err(raise("First argument must be a number (log level).")),
    };
    if !(0..=3).contains(&level) {
        return Err(raise("Invalid debug level."));
    }
    let mut text = Vec::new();
    for (i, v) in args.iter().skip(1).enumerate() {
        let piece = match v {
            Value::String(s) => s.as_bytes().to_vec(),
            Value::Number(n) => crate::server::numeric::format_g17(*n).into_bytes(),
            Value::Integer(n) => n.to_string().into_bytes(),
            _ => continue,
        };
        if i != 0 {
            text.push(b' ');
        }
        text.extend_from_slice(&piece);
    }
    let message = String::from_utf8_lossy(&text).into_owned();
    let server = RUN.with(|r| r.get());
    let server: Option<&Server> = if server.is_null() {
        None
    } else {
        // SAFETY: see with_run.
        Some(unsafe { &*(*server).server })
    };
    if let Some(server) = server {
        use crate::output::log::Level;
        let lvl = match level {
            0 => Level::Debug,
            1 => Level::Verbose,
            2 => Level::Notice,
            _ => Level::Warning,
        };
        server.log.log(lvl, &message, &[]);
    }
    Ok(())
}

/// Redis's rand48 (deterministic across platforms): the state of
/// `srand48(seed)`.
fn srand48(seed: i32) {
    RAND.with(|r| r.set((((seed as u32) as u64) << 16) | 0x330E));
}

fn lrand48() -> i32 {
    RAND.with(|r| {
        let x = r.get().wrapping_mul(0x5DEECE66D).wrapping_add(0xB) & ((1u64 << 48) - 1);
        r.set(x);
        (x >> 17) as i32
    })
}

fn lua_random(_lua: &Lua, args: MultiValue) -> mlua::Result<f64> {
    const MAX: i32 = i32::MAX;
    let r = (lrand48() % MAX) as f64 / MAX as f64;
    let int_arg = |v: &Value| -> mlua::Result<i64> {
        match v {
            Value::Number(n) => Ok(*n as i64),
            Value::Integer(n) => Ok(*n),
            _ => Err(raise("bad argument to 'random' (number expected)")),
        }
    };
    match args.len() {
        0 => Ok(r),
        1 => {
            let u = int_arg(&args[0])?;
            if u < 1 {
                return Err(raise("bad argument #1 to 'random' (interval is empty)"));
            }
            Ok((r * u as f64).floor() + 1.0)
        }
        2 => {
            let l = int_arg(&args[0])?;
            let u = int_arg(&args[1])?;
            if l > u {
                return Err(raise("bad argument #2 to 'random' (interval is empty)"));
            }
            Ok((r * (u - l + 1) as f64).floor() + l as f64)
        }
        _ => Err(raise("wrong number of arguments")),
    }
}

/// Which kind of run: an EVAL script or a function.
pub enum Callable {
    Eval(Function),
    Function(Function),
}

impl Server {
    /// The checks Redis makes on a command a script calls, then the
    /// command through [`Server::execute`]. `Err` is an error the script
    /// sees (the command did not run).
    pub fn script_call(
        &mut self,
        run: &mut Run,
        client: &mut Client,
        args: &[&[u8]],
    ) -> Result<(), String> {
        let index = match self.commands.lookup(args) {
            Lookup::Found(index) => Some(index),
            _ => None,
        };
        let outcome = match index {
            Some(index) => self.script_call_found(run, client, index, args),
            None => Err("Unknown Redis command called from script".to_owned()),
        };
        // A refusal counts as an error reply and a rejected call of the
        // command, as in Redis, although only the script sees it.
        if let Err(message) = &outcome {
            self.count_error(crate::server::reply::error_code(message).to_owned());
            if let Some(index) = index {
                self.commands.entries[index].stats.rejected_calls += 1;
            }
        }
        outcome
    }

    fn script_call_found(
        &mut self,
        run: &mut Run,
        client: &mut Client,
        index: usize,
        args: &[&[u8]],
    ) -> Result<(), String> {
        let entry = &self.commands.entries[index];
        let spec = entry.spec;
        if !spec.arity_ok(args.len()) {
            return Err("Wrong number of args calling Redis command from script".to_owned());
        }
        let top = entry.parent.map_or(spec, |p| self.commands.entries[p].spec);
        if (spec.has(flags::NOSCRIPT) || top.has(flags::NOSCRIPT))
            && !self.debug.allow_noscript_in_scripts
        {
            return Err("This Redis command is not allowed from script".to_owned());
        }
        self.script_acl_check(client, index, args)?;
        if let Some(up) = &self.replication.upstream
            && !up.is_connected()
            && !self.config.replica_serve_stale_data
            && !spec.has(flags::STALE)
        {
            return Err("Can not execute the command on a stale replica".to_owned());
        }
        let writes = spec.has(flags::WRITE);
        if run.read_only && (writes || spec.has(flags::MAY_REPLICATE)) {
            return Err("Write commands are not allowed from read-only scripts.".to_owned());
        }
        if writes
            && !run.dirty
            && !run.from_master
            && let Some(denied) = super::persistence::write_denied(self)
                .or_else(|| super::replication::write_denied(self, client))
        {
            return Err(denied);
        }
        // Over maxmemory when the script started: its first deny-oom
        // command is refused (after that, stopping halfway would break
        // the script's atomicity).
        if !run.allow_oom
            && !run.dirty
            && !run.from_master
            && self.pre_command_oom
            && spec.has(flags::DENYOOM)
        {
            return Err(super::eviction::OOM_ERROR.to_owned());
        }
        if writes {
            run.dirty = true;
            self.scripting.running_dirty = true;
        }
        let before = self.transactions.exec_feed.as_ref().map_or(0, Vec::len);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.execute(client, index, args, None, false)
        }));
        // redis.set_repl: where this command's effects go.
        if let Some(feed) = self.transactions.exec_feed.as_mut()
            && feed.len() > before
        {
            // A command's own targets narrow further (PUBLISH goes to
            // replicas only), as Redis masks its propagation flags.
            let mut tail = feed.split_off(before);
            tail.retain_mut(|e| {
                e.targets &= run.repl;
                e.targets != 0
            });
            feed.append(&mut tail);
        }
        if outcome.is_err() {
            return Err("internal error while executing a command from a script".to_owned());
        }
        Ok(())
    }

    /// The ACL check of a command a script calls, as the script's user
    /// (the caller's): a refusal is logged in the `lua` context and read
    /// by the script as Redis words it.
    fn script_acl_check(
        &mut self,
        client: &Client,
        index: usize,
        args: &[&[u8]],
    ) -> Result<(), String> {
        use super::state::acl::{Context, Reason};
        let Some(user) = self.acl.user(client.user) else {
            return Ok(());
        };
        let Err(denial) =
            super::acl::check_user(user, &self.commands, &self.acl_commands, index, args)
        else {
            return Ok(());
        };
        self.acl_log_denial(client, denial, Context::Lua, index, args);
        Err(match denial.reason {
            Reason::Key => "The user executing the script can't access at least one of the keys mentioned in the command",
            Reason::Channel => "The user executing the script can't publish to the channel mentioned in the command",
            Reason::Command | Reason::Auth => "The user executing the script can't run this command or subcommand",
        }
        .to_owned())
    }

    /// Run a script or function for `caller`: checks its flags, sets up
    /// the run, calls it, replies its result (or error) to `caller`, and
    /// propagates its writes wrapped in MULTI/EXEC.
    #[allow(clippy::too_many_arguments)]
    pub fn run_script(
        &mut self,
        caller: &mut Client,
        callable: Callable,
        script_flags_: u32,
        read_only_command: bool,
        name: &str,
        keys: &[&[u8]],
        args: &[&[u8]],
        command: &[&[u8]],
    ) {
        use script_flags::*;
        let compat = script_flags_ & EVAL_COMPAT != 0;
        let stale = self
            .replication
            .upstream
            .as_ref()
            .is_some_and(|up| !up.is_connected())
            && !self.config.replica_serve_stale_data;
        let from_master = caller.must_obey();
        if !compat {
            if stale && script_flags_ & ALLOW_STALE == 0 {
                caller.reply.error(
                    "-MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to \
                     'no' and 'allow-stale' flag is not set on the script.",
                );
                return;
            }
            if script_flags_ & NO_WRITES == 0 {
                if self.replication.upstream.is_some()
                    && self.config.replica_read_only
                    && !from_master
                {
                    caller
                        .reply
                        .error("-READONLY Can not run script with write flag on readonly replica");
                    return;
                }
                if !from_master && let Some(denied) = super::persistence::write_denied(self) {
                    if denied.starts_with("-MISCONF") {
                        caller.reply.error(
                            "-MISCONF Redis is configured to save RDB snapshots, but it's \
                             currently unable to persist to disk. Writable scripts are blocked. \
                             Use 'no-writes' flag for read only scripts.",
                        );
                    } else {
                        caller.reply.error(&denied);
                    }
                    return;
                }
                if read_only_command {
                    caller
                        .reply
                        .error("Can not execute a script with write flag using *_ro command.");
                    return;
                }
            }
        } else if stale {
            caller.reply.error(
                "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            );
            return;
        }

        let Some(mut script_client) = self.scripting.client.take() else {
            caller
                .reply
                .error("redis.call/pcall: a script is already running");
            return;
        };
        script_client.db = caller.db;
        script_client.user = caller.user;
        if script_client.user_name != caller.user_name {
            script_client.user_name.clone_from(&caller.user_name);
        }
        script_client.reply.resp3 = false;
        script_client.reply.buf.clear();
        let eval = matches!(callable, Callable::Eval(_));
        let mut run = Run {
            server: std::ptr::null_mut(),
            client: &mut *script_client,
            eval,
            read_only: read_only_command || (!compat && script_flags_ & NO_WRITES != 0),
            allow_oom: !compat && script_flags_ & ALLOW_OOM != 0,
            dirty: false,
            killed: false,
            timed_out: false,
            from_master,
            repl: 3,
            started: Instant::now(),
            // The lifetime is erased (the second cast); see Run::command.
            #[allow(clippy::unnecessary_cast)]
            command: command as *const [&[u8]] as *const [&'static [u8]],
            #[allow(clippy::unnecessary_cast)]
            keys: keys as *const [&[u8]] as *const [&'static [u8]],
            #[allow(clippy::unnecessary_cast)]
            args: args as *const [&[u8]] as *const [&'static [u8]],
        };
        let mut running_name = std::mem::take(&mut self.scripting.spare_name);
        running_name.clear();
        running_name.push_str(name);
        self.scripting.running = Some((running_name, eval, run.started));
        self.scripting.kill_requested = false;
        self.scripting.running_dirty = false;
        // No reseeding per script: since 7.0 scripts replicate their
        // effects, and math.random goes on from where the last one left.

        // Propagation of the script's writes is collected here (as EXEC
        // does); blocking commands see that they may not block.
        let outer = self.transactions.exec_feed.replace(Vec::new());
        let vm = if eval {
            &mut self.scripting.eval
        } else {
            &mut self.scripting.functions.vm
        };
        let lua = vm.lua.clone();
        let runner = vm.run.clone();
        let function = match callable {
            Callable::Eval(f) | Callable::Function(f) => f,
        };
        vm.gc_count += 1;
        let gc_now = vm.gc_count >= 50;
        if gc_now {
            vm.gc_count = 0;
        }
        let threshold = self.config.busy_reply_threshold;
        let debugging = eval && debugger::active();
        // The count hook (see Vm::busy_hook): the debugger's replaces it
        // for a debugged run; a threshold of 0 means no hook at all.
        let hook = if debugging {
            vm.busy_hook.set(false);
            lua.set_hook(
                HookTriggers::new()
                    .every_line()
                    .every_nth_instruction(100_000),
                debugger::hook,
            )
        } else if threshold > 0 && !vm.busy_hook.get() {
            vm.busy_hook.set(true);
            lua.set_hook(
                HookTriggers::new().every_nth_instruction(100_000),
                busy_hook,
            )
        } else {
            if threshold == 0 && vm.busy_hook.get() {
                vm.busy_hook.set(false);
                lua.remove_hook();
            }
            Ok(())
        };
        let outcome: mlua::Result<(bool, Value)> = hook.and_then(|()| {
            run.server = self as *mut Server;
            RUN.with(|r| r.set(&mut run as *mut Run));
            call::reset();
            runner.call::<(bool, Value)>(function)
        });
        RUN.with(|r| r.set(std::ptr::null_mut()));
        // A debugged run, or a killed one (whose hook turned into a line
        // hook), leaves no hook behind; the next run installs its own.
        if debugging || run.killed {
            lua.remove_hook();
            let vm = if eval {
                &mut self.scripting.eval
            } else {
                &mut self.scripting.functions.vm
            };
            vm.busy_hook.set(false);
        }
        let resp3_script = script_client.reply.resp3;
        match outcome {
            Ok((true, value)) => convert::lua_to_reply(&mut caller.reply, &value, resp3_script, 0),
            Ok((false, err)) => {
                let message = script_error(&err, name);
                if stats_counted(&err) {
                    caller.reply.error_uncounted(&message);
                } else {
                    caller.reply.error(&message);
                }
            }
            Err(e) => caller.reply.error(&format!(
                "Error running script {name}, {:.100}",
                lua_message(&e)
            )),
        }
        if gc_now {
            let _ = lua.gc_step();
        }
        script_client.reply.buf.clear();
        script_client.reply.errors.clear();
        self.scripting.client = Some(script_client);
        if let Some((name, _, _)) = self.scripting.running.take() {
            self.scripting.spare_name = name;
        }
        self.scripting.kill_requested = false;
        self.scripting.timed_out = false;
        self.scripting.running_dirty = false;
        self.scripting.running_command.clear();

        let collected =
            std::mem::replace(&mut self.transactions.exec_feed, outer).unwrap_or_default();
        let wrapped = if collected.len() > 1 && self.transactions.exec_feed.is_none() {
            let first = collected[0].db;
            let last = collected[collected.len() - 1].db;
            let mut all = Vec::with_capacity(collected.len() + 2);
            all.push(super::propagate::Propagated::new(first, [&b"MULTI"[..]]));
            all.extend(collected);
            all.push(super::propagate::Propagated::new(last, [&b"EXEC"[..]]));
            all
        } else {
            collected
        };
        if !wrapped.is_empty() {
            match self.transactions.exec_feed.as_mut() {
                Some(outer) => outer.extend(wrapped),
                None => self.feed.push(wrapped),
            }
        }
    }
}

/// The count hook: a script past busy-reply-threshold is timed out (other
/// clients get -BUSY); a killed one stops with an error.
fn busy_hook(lua: &Lua, _debug: &mlua::debug::Debug) -> mlua::Result<VmState> {
    let killed = with_run(|run| {
        // SAFETY: see with_run.
        let server = unsafe { &mut *run.server };
        if !run.timed_out
            && run.started.elapsed().as_millis() as u64 >= server.config.busy_reply_threshold
        {
            run.timed_out = true;
            server.scripting.timed_out = true;
            // SAFETY: see Run::command.
            server.scripting.running_command = unsafe { &*run.command }
                .iter()
                .map(|a| a.to_vec())
                .collect();
            server.log.warning(
                "Slow script detected: still in execution after the busy-reply-threshold. \
                 You can try killing the script using SCRIPT KILL or FUNCTION KILL.",
                &[],
            );
        }
        if run.timed_out {
            server.script_busy_events();
        }
        run.killed || server.scripting.kill_requested || server.shutdown.is_some()
    })
    .unwrap_or(false);
    if killed {
        let _ = lua.set_hook(HookTriggers::new().every_line(), busy_hook);
        with_run(|run| run.killed = true);
        return Err(raise("-ERR Script killed by user with SCRIPT KILL..."));
    }
    Ok(VmState::Continue)
}

/// Whether an error table carries an error already counted in
/// errorstats (a command's error, or a refusal, passed on by the script).
pub fn stats_counted(err: &Value) -> bool {
    matches!(err, Value::Table(t)
        if matches!(t.raw_get::<Value>("ignore_error_stats_update"), Ok(Value::Boolean(true))))
}

/// The error reply for a failed run: the message, and where in the
/// user's code it happened.
fn script_error(err: &Value, name: &str) -> String {
    let Value::Table(t) = err else {
        let msg = match err {
            Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            _ => "execution failure".to_owned(),
        };
        return format!("Error running script {name}, {msg:.100}");
    };
    let text = |key: &str| -> Option<String> {
        match t.raw_get::<Value>(key).ok()? {
            Value::String(s) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
            Value::Number(n) => Some(crate::server::numeric::format_g17(n)),
            Value::Integer(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let msg = text("err").unwrap_or_default();
    let mut out = format!("-{msg}");
    if let (Some(source), Some(line)) = (text("source"), text("line")) {
        out.push_str(&format!(" script: {name}, on {source}:{line}."));
    }
    out
}

impl Server {
    /// Rebuild the function libraries when the keyspace's library codes
    /// changed underneath them (a snapshot was loaded).
    pub fn sync_functions(&mut self) {
        if self.scripting.functions.synced_version == self.ks.functions_version {
            return;
        }
        let codes = self.ks.functions.clone();
        if let Err(e) = self
            .scripting
            .functions
            .restore(&codes, functions::Restore::Flush)
        {
            self.log.warning(
                "Function libraries of the loaded data could not be compiled",
                &[("error", crate::output::log::Field::Str(&e))],
            );
        }
        self.scripting.functions.synced_version = self.ks.functions_version;
    }

    /// After FUNCTION LOAD/DELETE/FLUSH/RESTORE: the keyspace's library
    /// codes follow the libraries.
    pub fn functions_changed(&mut self) {
        self.ks.functions = self
            .scripting
            .functions
            .codes()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        self.ks.functions_version += 1;
        self.scripting.functions.synced_version = self.ks.functions_version;
    }

    /// Called from the count hook while a timed-out script runs: serve
    /// other clients (they get -BUSY except for the commands allowed
    /// while busy).
    pub fn script_busy_events(&mut self) {
        super::event_loop::process_events_while_busy();
    }

    /// The -BUSY rejection for a command arriving while a script is
    /// timed out, unless the command is allowed then.
    pub fn busy_rejection(&self, index: usize, args: &[&[u8]]) -> Option<&'static str> {
        if !self.scripting.timed_out {
            return None;
        }
        let entry = &self.commands.entries[index];
        let top = entry
            .parent
            .map_or(entry.spec, |p| self.commands.entries[p].spec);
        let eval = self
            .scripting
            .running
            .as_ref()
            .is_none_or(|(_, eval, _)| *eval);
        let busy = if eval {
            "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        } else {
            "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        };
        if entry.full_name == "shutdown" {
            let nosave = args
                .iter()
                .skip(1)
                .any(|a| a.eq_ignore_ascii_case(b"nosave"));
            return (!nosave).then_some(busy);
        }
        if entry.spec.has(flags::ALLOW_BUSY)
            || (entry.parent.is_some()
                && top.has(flags::ALLOW_BUSY)
                && entry.spec.has(flags::ALLOW_BUSY))
        {
            return None;
        }
        Some(busy)
    }
}
