//! The crash report: on SIGSEGV, SIGABRT, SIGFPE or SIGILL the server
//! writes one last log line saying which signal killed it (as redis-server
//! does, so operators and log watchers see why it died), then lets the
//! signal's default action end the process (a core dump where enabled).
//!
//! The handler may run with the heap or the logger's lock in any state, so
//! it only formats into a stack buffer and calls write(2) on a descriptor
//! chosen at start.

use std::sync::atomic::{AtomicI32, Ordering};

/// Where the report goes (the log's descriptor); -1 before [`install`].
static LOG_FD: AtomicI32 = AtomicI32::new(-1);

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGABRT, libc::SIGFPE, libc::SIGILL];

/// Install the handler, reporting to `fd`.
pub fn install(fd: i32) {
    LOG_FD.store(fd, Ordering::Relaxed);
    for sig in SIGNALS {
        // SAFETY: a zeroed sigaction filled with a handler of the
        // three-argument form SA_SIGINFO expects; SA_ONSTACK keeps a
        // handler for stack overflows on the alternate stack Rust sets up.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESETHAND;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// A byte buffer on the stack (no allocation in a signal handler).
struct Line {
    buf: [u8; 256],
    len: usize,
}

impl Line {
    fn text(&mut self, s: &[u8]) {
        for &b in s {
            if self.len < self.buf.len() {
                self.buf[self.len] = b;
                self.len += 1;
            }
        }
    }

    fn number(&mut self, n: i64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut v = n.unsigned_abs();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        if n < 0 {
            self.text(b"-");
        }
        self.text(&digits[i..]);
    }
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    let fd = LOG_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO.
        let code = if info.is_null() {
            0
        } else {
            unsafe { (*info).si_code }
        };
        let mut line = Line {
            buf: [0; 256],
            len: 0,
        };
        line.text(b"\n\n=== SONDE BUG REPORT START ===\n");
        // SAFETY: getpid is async-signal-safe.
        line.number(i64::from(unsafe { libc::getpid() }));
        line.text(b":M # sonde ");
        line.text(env!("CARGO_PKG_VERSION").as_bytes());
        line.text(b" (redis_version ");
        line.text(super::REDIS_VERSION.as_bytes());
        line.text(b") crashed by signal: ");
        line.number(i64::from(sig));
        line.text(b", si_code: ");
        line.number(i64::from(code));
        line.text(b"\n=== SONDE BUG REPORT END ===\n");
        // SAFETY: write(2) is async-signal-safe; the buffer outlives it.
        unsafe {
            libc::write(fd, line.buf.as_ptr().cast(), line.len);
        }
    }
    // SA_RESETHAND restored the default action: raise again to take it.
    // SAFETY: raise is async-signal-safe.
    unsafe {
        libc::raise(sig);
    }
}
