//! OS errors as findings: the errno number, its symbolic name (EINVAL,
//! ECONNRESET, ...) and the system's message, ready for a table or JSON.

use std::io;

use serde::Serialize;

/// An error the kernel returned, described for the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OsError {
    /// The raw errno (a WSA code on Windows); null for errors that did not
    /// come from the OS.
    pub errno: Option<i32>,
    /// The symbolic name, when sonde knows it.
    pub name: Option<&'static str>,
    pub message: String,
}

impl OsError {
    pub fn from_io(err: &io::Error) -> OsError {
        let errno = err.raw_os_error();
        let mut message = err.to_string();
        // io::Error appends " (os error N)"; the number is a field already.
        if let Some(cut) = message.find(" (os error ") {
            message.truncate(cut);
        }
        OsError {
            errno,
            name: errno.and_then(name),
            message,
        }
    }
}

impl std::fmt::Display for OsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name {
            Some(name) => write!(f, "{name} ({})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Whether the kernel answered "no such option" (an older kernel, a
/// protocol without it) rather than refusing a value.
pub fn is_no_such_option(err: &io::Error) -> bool {
    #[cfg(unix)]
    {
        err.raw_os_error() == Some(libc::ENOPROTOOPT)
    }
    #[cfg(not(unix))]
    {
        // WSAENOPROTOOPT
        err.raw_os_error() == Some(10042)
    }
}

/// The symbolic name of the errno values socket calls return.
#[cfg(unix)]
pub fn name(errno: i32) -> Option<&'static str> {
    use libc::*;
    let table: &[(i32, &'static str)] = &[
        (EPERM, "EPERM"),
        (ENOENT, "ENOENT"),
        (EINTR, "EINTR"),
        (EBADF, "EBADF"),
        (EAGAIN, "EAGAIN"),
        (ENOMEM, "ENOMEM"),
        (EACCES, "EACCES"),
        (EFAULT, "EFAULT"),
        (EBUSY, "EBUSY"),
        (EINVAL, "EINVAL"),
        (ENFILE, "ENFILE"),
        (EMFILE, "EMFILE"),
        (EPIPE, "EPIPE"),
        (ERANGE, "ERANGE"),
        (ENOTSOCK, "ENOTSOCK"),
        (EDESTADDRREQ, "EDESTADDRREQ"),
        (EMSGSIZE, "EMSGSIZE"),
        (EPROTOTYPE, "EPROTOTYPE"),
        (ENOPROTOOPT, "ENOPROTOOPT"),
        (EPROTONOSUPPORT, "EPROTONOSUPPORT"),
        (EOPNOTSUPP, "EOPNOTSUPP"),
        (EAFNOSUPPORT, "EAFNOSUPPORT"),
        (EADDRINUSE, "EADDRINUSE"),
        (EADDRNOTAVAIL, "EADDRNOTAVAIL"),
        (ENETDOWN, "ENETDOWN"),
        (ENETUNREACH, "ENETUNREACH"),
        (ECONNABORTED, "ECONNABORTED"),
        (ECONNRESET, "ECONNRESET"),
        (ENOBUFS, "ENOBUFS"),
        (EISCONN, "EISCONN"),
        (ENOTCONN, "ENOTCONN"),
        (ETIMEDOUT, "ETIMEDOUT"),
        (ECONNREFUSED, "ECONNREFUSED"),
        (EHOSTUNREACH, "EHOSTUNREACH"),
        (EALREADY, "EALREADY"),
        (EINPROGRESS, "EINPROGRESS"),
    ];
    table.iter().find(|(n, _)| *n == errno).map(|(_, s)| *s)
}

#[cfg(not(unix))]
pub fn name(errno: i32) -> Option<&'static str> {
    // Winsock codes for the same conditions.
    let table: &[(i32, &'static str)] = &[
        (10013, "WSAEACCES"),
        (10022, "WSAEINVAL"),
        (10035, "WSAEWOULDBLOCK"),
        (10042, "WSAENOPROTOOPT"),
        (10045, "WSAEOPNOTSUPP"),
        (10048, "WSAEADDRINUSE"),
        (10053, "WSAECONNABORTED"),
        (10054, "WSAECONNRESET"),
        (10055, "WSAENOBUFS"),
        (10060, "WSAETIMEDOUT"),
        (10061, "WSAECONNREFUSED"),
    ];
    table.iter().find(|(n, _)| *n == errno).map(|(_, s)| *s)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_keeps_number_name_and_message() {
        let e = OsError::from_io(&io::Error::from_raw_os_error(libc::ECONNRESET));
        assert_eq!(e.errno, Some(libc::ECONNRESET));
        assert_eq!(e.name, Some("ECONNRESET"));
        assert!(!e.message.contains("os error"), "{}", e.message);
        assert!(e.to_string().starts_with("ECONNRESET ("));
        let other = OsError::from_io(&io::Error::other("boom"));
        assert_eq!((other.errno, other.name), (None, None));
    }
}
