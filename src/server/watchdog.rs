//! The software watchdog (`watchdog-period`, milliseconds; 0 = off): the
//! cron arms a one-shot SIGALRM timer of that length on every run, so it
//! fires only when the event loop has not come back to its cron for that
//! long, and the handler writes `--- WATCHDOG TIMER EXPIRED ---` to the log
//! (as redis-server does, without its stack trace). Like the crash report,
//! the handler only calls write(2) on a descriptor chosen beforehand.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Where the line goes (the log's descriptor).
static LOG_FD: AtomicI32 = AtomicI32::new(-1);
/// The handler is installed and a timer may be pending.
static ARMED: AtomicBool = AtomicBool::new(false);

/// From the cron: (re)arm the timer for `period_ms` (raised to two cron
/// periods, as Redis does, since a shorter one fires between two runs), or
/// disarm it when 0.
pub fn cron(log_fd: Option<i32>, period_ms: i64, hz: u32) {
    if period_ms <= 0 {
        if ARMED.swap(false, Ordering::Relaxed) {
            set_timer(0);
        }
        return;
    }
    if !ARMED.swap(true, Ordering::Relaxed) {
        install();
    }
    LOG_FD.store(log_fd.unwrap_or(-1), Ordering::Relaxed);
    let min = 2 * (1000 / i64::from(hz.max(1)));
    set_timer(period_ms.max(min));
}

fn install() {
    // SAFETY: a zeroed sigaction with a one-argument handler; SA_RESTART
    // so that system calls the signal interrupts resume.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as *const () as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut());
    }
}

fn set_timer(ms: i64) {
    let value = libc::timeval {
        tv_sec: (ms / 1000) as libc::time_t,
        tv_usec: ((ms % 1000) * 1000) as libc::suseconds_t,
    };
    let timer = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: value,
    };
    // SAFETY: setitimer with a valid itimerval and no old value wanted.
    unsafe {
        libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut());
    }
}

extern "C" fn handler(_sig: libc::c_int) {
    let fd = LOG_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    let line = b"\n--- WATCHDOG TIMER EXPIRED ---\n";
    // SAFETY: write(2) is async-signal-safe; the buffer is static.
    unsafe {
        libc::write(fd, line.as_ptr().cast(), line.len());
    }
}
