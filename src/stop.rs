//! Stopping on SIGINT and SIGTERM. Long-running commands (`serve`,
//! `replica tail`, `resp sniff`) finish their work and print what they
//! gathered instead of dying mid-report, so the handler only records the
//! signal and the command's loop asks for it after every wake-up. The
//! handler is installed without SA_RESTART: a blocked read or poll returns
//! EINTR and the loop gets to look.

use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

/// The signal that asked us to stop (0: none yet).
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

/// While set (see [`arm_insist`]): a SIGINT removes this file (a NUL
/// terminated path) and ends the process with status 1.
static INSIST: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn on_signal(signal: libc::c_int) {
    let insist = INSIST.load(Ordering::SeqCst);
    if signal == libc::SIGINT && !insist.is_null() {
        const SAID: &[u8] = b"You insist... exiting now.\n";
        // SAFETY: write, unlink and _exit are async-signal-safe; the path
        // is a leaked CString, never freed.
        unsafe {
            libc::write(2, SAID.as_ptr().cast(), SAID.len());
            libc::unlink(insist);
            libc::_exit(1);
        }
    }
    SIGNALLED.store(signal, Ordering::SeqCst);
}

/// A server writing its final snapshot after a stop signal: a second
/// SIGINT means "now", as with redis-server — `temp` (the snapshot being
/// written) is removed and the process exits at once. `None` disarms.
pub fn arm_insist(temp: Option<&std::path::Path>) {
    use std::os::unix::ffi::OsStrExt;
    let new = temp
        .and_then(|p| std::ffi::CString::new(p.as_os_str().as_bytes()).ok())
        .map_or(std::ptr::null_mut(), std::ffi::CString::into_raw);
    // The previous path is leaked, not freed: a handler running right now
    // may still read it (one short path per shutdown attempt).
    INSIST.store(new, Ordering::SeqCst);
}

/// What a second SIGINT/SIGTERM does once the first has been caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Record it like the first (the command decides).
    Record,
    /// The default action: the process ends at once. For commands whose
    /// orderly stop may hang on a peer, so an impatient user still wins.
    Kill,
}

/// Catch SIGINT and SIGTERM from now on.
pub fn catch(repeat: Repeat) {
    // SAFETY: the handler only stores to an atomic, which is async-signal
    // safe; sigaction is given a zeroed, then filled struct.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
        if repeat == Repeat::Kill {
            action.sa_flags = libc::SA_RESETHAND;
        }
        libc::sigemptyset(&mut action.sa_mask);
        for signal in [libc::SIGINT, libc::SIGTERM] {
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Whether a stop was asked for (the flag stays set).
pub fn requested() -> bool {
    SIGNALLED.load(Ordering::SeqCst) != 0
}

/// The signal that asked for a stop, clearing it, so a loop that acts on
/// it (a server scheduling its shutdown) can see the next one.
pub fn take() -> Option<libc::c_int> {
    match SIGNALLED.swap(0, Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// The name Redis logs for a stop signal.
pub fn name(signal: libc::c_int) -> &'static str {
    if signal == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    }
}
