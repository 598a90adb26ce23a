//! Socket options as the kernel really applies them.
//!
//! A static table of option descriptors ([`descriptor`]) names each option
//! on every platform, with its type, the sockets it applies to and the
//! kernel limits behind it; [`sys`] gives this build's option numbers.
//! [`access`] reads and writes them (socket2 where it has a faithful
//! accessor, libc otherwise). [`probe`] reads every option of fresh sockets
//! before and after requested settings, [`explain`] says why the kernel
//! applied what it did, and [`target`] does the same on a connection to a
//! live server, with [`tcp_info`]. [`limits`] reads the sysctls,
//! [`netstat`] the kernel's TCP counters, and [`experiments`] shows on
//! loopback what options do.

pub mod access;
pub mod descriptor;
pub mod errno;
pub mod experiments;
pub mod explain;
pub mod limits;
pub mod netstat;
pub mod probe;
pub mod sys;
pub mod target;
pub mod tcp_info;
pub mod value;
