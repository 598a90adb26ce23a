//! `redis.call` and `redis.pcall`: the path every command a script runs
//! takes, written against the Lua C API because it is the hot one.
//!
//! The arguments are read where they are, on the Lua stack (strings are
//! borrowed, numbers formatted as `%.17g` into a reused buffer), the
//! command runs through [`crate::server::Server::script_call`], and its reply is pushed
//! back as a Lua value straight from the RESP bytes the command wrote
//! ([`convert::push_reply`]). Once warm, a call allocates nothing on the
//! Rust side.
//!
//! Lua reports errors with `longjmp`, which must not cross a Rust frame
//! that owns something to drop. So the work is split: [`prepare`] reads
//! the arguments with C API calls that cannot raise and runs the command
//! (ordinary Rust); only then are values pushed, by frames that own
//! nothing, and redis.call raises its error table last.

use std::cell::Cell;
use std::os::raw::c_int;

use mlua::ffi;

use super::{RUN, convert, debugger};

thread_local! {
    /// Set while a reply is pushed to Lua: the allocations that does can
    /// run a `__gc` metamethod, which could call redis.call again and
    /// change the reply buffer being read. Such a call fails instead (as
    /// Redis refuses recursive calls). Cleared at the start of every run
    /// too, in case a Lua error ended a push halfway.
    static PUSHING: Cell<bool> = const { Cell::new(false) };
}

/// A run starts with no reply being pushed.
pub fn reset() {
    PUSHING.with(|p| p.set(false));
}

/// The buffers redis.call reuses from call to call.
#[derive(Default)]
pub struct CallBuffers {
    /// The arguments of the call in progress; the slices point into Lua
    /// strings on the stack of the running call or into `numbers`, and
    /// the vector is emptied before the call returns.
    args: Vec<&'static [u8]>,
    /// Number arguments, formatted.
    numbers: Vec<u8>,
    /// Where each number argument is in `numbers`.
    spans: Vec<(usize, usize)>,
    /// The text of the error the call returns, when it did not run.
    error: String,
}

/// What [`prepare`] left for the pushing half.
#[derive(Clone, Copy)]
enum Outcome {
    /// The command ran; its reply is in the script client's buffer.
    Reply,
    /// It did not run: the error text is in the server's
    /// [`CallBuffers::error`], or static.
    Error {
        text: *const u8,
        len: usize,
        counted: bool,
    },
}

fn static_error(text: &'static str) -> Outcome {
    Outcome::Error {
        text: text.as_ptr(),
        len: text.len(),
        counted: false,
    }
}

/// redis.call (`RAISE`) and redis.pcall, as C functions: a script's
/// `return redis.call(..)` keeps the script's frame for the error
/// location, as Redis's C function does.
///
/// # Safety
/// Called by Lua only, as a C function.
pub unsafe extern "C-unwind" fn redis_call<const RAISE: bool>(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called by Lua with its arguments on the
    // stack. `prepare` returns before anything is pushed, and this frame
    // owns nothing, so a Lua error may unwind through it.
    unsafe {
        let outcome = prepare(state);
        // The arguments are not needed any more: the reply gets the
        // whole stack (a call may pass thousands of arguments).
        ffi::lua_settop(state, 0);
        let failed = match outcome {
            Outcome::Reply => {
                let run = RUN.with(|r| r.get());
                let reply = &mut (*(*run).client).reply;
                let failed = reply.buf.first() == Some(&b'-');
                PUSHING.with(|p| p.set(true));
                convert::push_reply(state, &reply.buf);
                PUSHING.with(|p| p.set(false));
                reply.buf.clear();
                failed
            }
            Outcome::Error { text, len, counted } => {
                let text = std::slice::from_raw_parts(text, len);
                convert::push_error_table(state, text, counted);
                true
            }
        };
        if RAISE && failed {
            ffi::lua_error(state)
        }
        1
    }
}

/// Read the arguments and run the command. Pushes nothing.
///
/// # Safety
/// `state` is the running script's, inside its call.
unsafe fn prepare(state: *mut ffi::lua_State) -> Outcome {
    let run = RUN.with(|r| r.get());
    if run.is_null() {
        return static_error("ERR redis.call/pcall can only be called inside a script invocation");
    }
    if PUSHING.with(Cell::get) {
        return static_error("ERR redis.call/pcall called while a command's reply is converted");
    }
    // SAFETY: RUN points at the Run of the script in progress (see
    // with_run); the server and the script client are not otherwise
    // touched while the Lua call that reached here runs.
    let (run, server, client) = unsafe {
        let run = &mut *run;
        let server = &mut *run.server;
        let client = &mut *run.client;
        (run, server, client)
    };
    let mut bufs = std::mem::take(&mut server.scripting.call);
    // SAFETY: reading the stack of a C function: lua_type, lua_tonumber
    // and lua_tolstring of a string never raise nor allocate.
    let read = unsafe { read_args(state, &mut bufs) };
    let outcome = match read {
        Err(message) => {
            debugger::log_error(message);
            set_error(&mut bufs, message, false)
        }
        Ok(()) => {
            debugger::log_command(&bufs.args);
            client.reply.buf.clear();
            match server.script_call(run, client, &bufs.args) {
                Ok(()) => {
                    client.reply.sent = 0;
                    client.reply.pushes.clear();
                    debugger::log_reply(&client.reply.buf);
                    Outcome::Reply
                }
                Err(message) => {
                    debugger::log_error(&message);
                    client.reply.buf.clear();
                    client.reply.errors.clear();
                    // Counted in errorstats where it arose (script_call),
                    // not again when the script passes it on.
                    set_error(&mut bufs, &message, true)
                }
            }
        }
    };
    bufs.args.clear();
    server.scripting.call = bufs;
    outcome
}

/// Keep `message` ("-CODE text", or plain text for an ERR) as the call's
/// error, in the "CODE text" form of an error reply.
fn set_error(bufs: &mut CallBuffers, message: &str, counted: bool) -> Outcome {
    bufs.error.clear();
    match message.strip_prefix('-') {
        Some(rest) => bufs.error.push_str(rest),
        None => {
            bufs.error.push_str("ERR ");
            bufs.error.push_str(message);
        }
    }
    // The String's heap buffer does not move when `bufs` is moved back
    // into the server.
    Outcome::Error {
        text: bufs.error.as_ptr(),
        len: bufs.error.len(),
        counted,
    }
}

/// The arguments of the call as bytes: strings as they are, numbers as
/// `%.17g` (Redis's luaArgsToRedisArgv).
///
/// # Safety
/// `state` is a valid state; the slices in `bufs.args` are valid until
/// the arguments leave its stack.
unsafe fn read_args(
    state: *mut ffi::lua_State,
    bufs: &mut CallBuffers,
) -> Result<(), &'static str> {
    // SAFETY: the caller's contract; see prepare.
    unsafe {
        let n = ffi::lua_gettop(state);
        if n == 0 {
            return Err("Please specify at least one argument for this redis lib call");
        }
        bufs.numbers.clear();
        bufs.spans.clear();
        for i in 1..=n {
            match ffi::lua_type(state, i) {
                ffi::LUA_TSTRING => {}
                ffi::LUA_TNUMBER => {
                    let start = bufs.numbers.len();
                    let text = crate::server::numeric::format_g17(ffi::lua_tonumber(state, i));
                    bufs.numbers.extend_from_slice(text.as_bytes());
                    bufs.spans.push((start, bufs.numbers.len()));
                }
                _ => return Err("Lua redis lib command arguments must be strings or integers"),
            }
        }
        bufs.args.clear();
        let mut spans = bufs.spans.iter();
        for i in 1..=n {
            if ffi::lua_type(state, i) == ffi::LUA_TSTRING {
                let mut len = 0;
                let ptr = ffi::lua_tolstring(state, i, &mut len);
                bufs.args.push(std::slice::from_raw_parts(ptr.cast(), len));
            } else if let Some(&(start, end)) = spans.next() {
                let bytes: &[u8] = &bufs.numbers[start..end];
                // The lifetime is erased: `args` is emptied before the
                // numbers change (see CallBuffers::args).
                bufs.args.push(&*(bytes as *const [u8]));
            }
        }
        Ok(())
    }
}

/// The entry point of every run, a C closure over the error handler of
/// the prelude: called with the script's function, it sets KEYS and ARGV
/// (globals for EVAL, arguments of a function) from the [`super::Run`]
/// in progress and calls the function under the handler. Returns
/// `(true, result)` or `(false, error table)`.
///
/// # Safety
/// Called by Lua only, as a C function, while RUN is set.
pub unsafe extern "C-unwind" fn run_script(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: a C function called with one argument; it uses at most
    // six slots (LUA_MINSTACK gives twenty) and owns nothing, so a Lua
    // error may unwind through it. RUN's slices are the caller's
    // request, alive for the whole run.
    unsafe {
        let run = RUN.with(|r| r.get());
        if run.is_null() || ffi::lua_gettop(state) != 1 {
            ffi::lua_pushboolean(state, 0);
            ffi::lua_pushstring(state, c"ERR no script in progress".as_ptr());
            return 2;
        }
        let (keys, args, eval) = (&*(*run).keys, &*(*run).args, (*run).eval);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        let nargs = if eval {
            ffi::lua_pushstring(state, c"KEYS".as_ptr());
            push_array(state, keys);
            ffi::lua_rawset(state, ffi::LUA_GLOBALSINDEX);
            ffi::lua_pushstring(state, c"ARGV".as_ptr());
            push_array(state, args);
            ffi::lua_rawset(state, ffi::LUA_GLOBALSINDEX);
            0
        } else {
            push_array(state, keys);
            push_array(state, args);
            2
        };
        let status = ffi::lua_pcall(state, nargs, 1, 1);
        ffi::lua_pushboolean(state, i32::from(status == 0));
        ffi::lua_insert(state, -2);
        2
    }
}

/// A new array of `items` as Lua strings, on top of the stack.
///
/// # Safety
/// A valid state with two free slots.
unsafe fn push_array(state: *mut ffi::lua_State, items: &[&[u8]]) {
    // SAFETY: the caller's contract.
    unsafe {
        ffi::lua_createtable(state, items.len().min(1 << 20) as c_int, 0);
        for (i, item) in items.iter().enumerate() {
            ffi::lua_pushlstring(state, item.as_ptr().cast(), item.len());
            ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
        }
    }
}
