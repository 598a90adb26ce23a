//! The process title (`set-proc-title`, `proc-title-template`): what `ps`
//! and /proc/<pid>/cmdline show, as redis-server sets it, e.g.
//! `sonde 127.0.0.1:6379`.
//!
//! Linux has no call to change a process's command line; the only way is to
//! write over the memory that holds it. The kernel laid out the argument
//! strings and then the environment strings in one contiguous block, so
//! the environment is copied elsewhere first (and `environ` pointed at the
//! copy), then the title is written over the block and the rest zeroed.
//! The arguments are captured by a constructor in `.init_array`, to which
//! glibc passes (argc, argv, envp), before anything else runs.

use std::ffi::{CStr, CString, c_char, c_int};
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use super::config::Config;

static ARGC: AtomicUsize = AtomicUsize::new(0);
static ARGV: AtomicPtr<*mut c_char> = AtomicPtr::new(std::ptr::null_mut());

#[used]
#[unsafe(link_section = ".init_array.00098")]
static CAPTURE_ARGUMENTS: extern "C" fn(c_int, *mut *mut c_char, *mut *mut c_char) =
    capture_arguments;

extern "C" fn capture_arguments(argc: c_int, argv: *mut *mut c_char, _envp: *mut *mut c_char) {
    ARGC.store(usize::try_from(argc).unwrap_or(0), Ordering::Relaxed);
    ARGV.store(argv, Ordering::Relaxed);
}

/// The block the title may use, and the program name as it was started
/// (the template's `{title}`), found once.
struct Area {
    start: *mut c_char,
    len: usize,
    program: String,
}

// SAFETY: the area is only written under the mutex below.
unsafe impl Send for Area {}

static AREA: Mutex<Option<Area>> = Mutex::new(None);

unsafe extern "C" {
    static mut environ: *mut *mut c_char;
}

/// Find the argument block, move the environment out of it, and remember
/// the program name. None when the arguments were not captured or are not
/// laid out as the kernel does.
///
/// # Safety
/// Called once, before other threads read the environment.
unsafe fn claim() -> Option<Area> {
    let argc = ARGC.load(Ordering::Relaxed);
    let argv = ARGV.load(Ordering::Relaxed);
    if argc == 0 || argv.is_null() {
        return None;
    }
    // SAFETY: argv holds argc pointers to NUL-terminated strings (the
    // kernel's layout, untouched until now); environ is the C library's
    // NULL-terminated array.
    unsafe {
        let start = *argv;
        let program = CStr::from_ptr(start).to_string_lossy().into_owned();
        let mut end = start;
        for i in 0..argc {
            let arg = *argv.add(i);
            if arg != end {
                return None;
            }
            end = arg.add(CStr::from_ptr(arg).to_bytes().len() + 1);
        }
        // Environment strings that follow contiguously join the block;
        // all of them are copied, since the block will be overwritten.
        let env = environ;
        let mut copies = Vec::new();
        let mut i = 0;
        while !env.is_null() && !(*env.add(i)).is_null() {
            let var = *env.add(i);
            if var == end {
                end = var.add(CStr::from_ptr(var).to_bytes().len() + 1);
            }
            copies.push(CString::from(CStr::from_ptr(var)).into_raw());
            i += 1;
        }
        copies.push(std::ptr::null_mut());
        // The copies live as long as the process (as the originals did).
        environ = Box::leak(copies.into_boxed_slice()).as_mut_ptr();
        Some(Area {
            start,
            len: end.offset_from(start) as usize,
            program,
        })
    }
}

/// The template with its variables filled in (Redis's
/// `expandProcTitleTemplate`), trimmed of spaces.
pub fn expand(template: &str, program: &str, config: &Config) -> String {
    let host = config.bind.first().map_or("*", String::as_str);
    let tls_port = config.tls.port.to_string();
    let port = config.port.to_string();
    let config_file = config
        .config_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        match name {
            "title" => out.push_str(program),
            "listen-addr" => out.push_str(&format!("{host}:{port}")),
            "server-mode" => {}
            "port" => out.push_str(&port),
            "tls-port" => out.push_str(&tls_port),
            "unixsocket" => out.push_str(config.unixsocket.as_deref().unwrap_or("")),
            "config-file" => out.push_str(&config_file),
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.trim_matches(' ').to_owned()
}

/// Set the title from the configuration (when `set-proc-title` is on).
/// The first call must come before other threads read the environment.
pub fn apply(config: &Config) {
    if !config.set_proc_title() {
        return;
    }
    let mut area = AREA.lock().unwrap_or_else(|e| e.into_inner());
    if area.is_none() {
        // SAFETY: the first call is made at startup (see above).
        *area = unsafe { claim() };
    }
    let Some(area) = area.as_ref() else {
        return;
    };
    let title = expand(&config.proc_title_template(), &area.program, config);
    let bytes = title.as_bytes();
    let n = bytes.len().min(area.len.saturating_sub(1));
    // SAFETY: the block [start, start + len) was the kernel's argument and
    // environment area; nothing refers to it any more (the environment
    // was moved), and the mutex serializes writers.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), area.start.cast::<u8>(), n);
        std::ptr::write_bytes(area.start.cast::<u8>().add(n), 0, area.len - n);
    }
}
