//! Reading and writing one option on a live socket.
//!
//! socket2 is used where it has a typed accessor that is one faithful
//! getsockopt/setsockopt; everything else goes through libc with the
//! platform's option number (Unix only). `SO_LINGER` is read raw on Unix
//! because socket2 folds `{0, N}` into "off" and loses N. On Windows only
//! socket2's accessors are wired, and the rest is reported unsupported.

use std::io;

use socket2::Socket;

use super::descriptor::{self, Descriptor, Id};
use super::errno::is_no_such_option;
use super::sys;
use super::value::Value;

/// Why an option could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The platform (or this build for it) has no such option.
    #[error("{0}")]
    Unsupported(String),
    /// The option can be set but not read (its effect shows in another).
    #[error("write-only: its effect is read through {through}")]
    WriteOnly { through: &'static str },
    /// The kernel refused.
    #[error(transparent)]
    Os(#[from] io::Error),
}

impl AccessError {
    /// The option does not exist here, as opposed to a refused value.
    pub fn is_unsupported(&self) -> bool {
        match self {
            AccessError::Unsupported(_) => true,
            AccessError::WriteOnly { .. } => false,
            AccessError::Os(e) => is_no_such_option(e),
        }
    }
}

fn unsupported(d: &Descriptor) -> AccessError {
    AccessError::Unsupported(format!(
        "{} does not exist on {}",
        d.name_on(sys::HOST),
        sys::host_name()
    ))
}

/// The option's current value.
pub fn get(sock: &Socket, d: &Descriptor) -> Result<Value, AccessError> {
    let (level, name) = sys::number(d.id).ok_or_else(|| unsupported(d))?;
    if let Some(through) = d.reads_through {
        return Err(AccessError::WriteOnly {
            through: descriptor::get(through).name_on(sys::HOST),
        });
    }
    if let Some(result) = via_socket2::get(sock, d.id) {
        return result.map_err(AccessError::Os);
    }
    raw::get(sock, level, name, d)
}

/// What the option changed: the value of the option a write-only option is
/// read through, or the option itself.
pub fn read_back(sock: &Socket, d: &Descriptor) -> Result<Value, AccessError> {
    sys::number(d.id).ok_or_else(|| unsupported(d))?;
    get(sock, d.reads_through.map(descriptor::get).unwrap_or(d))
}

/// Set the option to `value`.
pub fn set(sock: &Socket, d: &Descriptor, value: &Value) -> Result<(), AccessError> {
    let (level, name) = sys::number(d.id).ok_or_else(|| unsupported(d))?;
    if let Some(result) = via_socket2::set(sock, d.id, value) {
        return result.map_err(AccessError::Os);
    }
    raw::set(sock, level, name, d, value)
}

/// Convenience for experiments: get an option by id.
pub fn get_id(sock: &Socket, id: Id) -> Result<Value, AccessError> {
    get(sock, descriptor::get(id))
}

/// Convenience for experiments: set an option by id.
pub fn set_id(sock: &Socket, id: Id, value: &Value) -> Result<(), AccessError> {
    set(sock, descriptor::get(id), value)
}

mod via_socket2 {
    use super::*;

    fn int(r: io::Result<u32>) -> io::Result<Value> {
        r.map(|n| Value::Int(n.into()))
    }

    fn size(r: io::Result<usize>) -> io::Result<Value> {
        r.map(|n| Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
    }

    fn flag(r: io::Result<bool>) -> io::Result<Value> {
        r.map(Value::Bool)
    }

    #[allow(dead_code)] // unused on Windows, where keepalive times are not readable
    fn secs(r: io::Result<std::time::Duration>) -> io::Result<Value> {
        r.map(|d| Value::Int(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)))
    }

    /// `None`: socket2 has no faithful accessor here.
    pub fn get(s: &Socket, id: Id) -> Option<io::Result<Value>> {
        Some(match id {
            Id::TcpNodelay => flag(s.tcp_nodelay()),
            Id::SoRcvbuf => size(s.recv_buffer_size()),
            Id::SoSndbuf => size(s.send_buffer_size()),
            Id::SoKeepalive => flag(s.keepalive()),
            Id::SoReuseaddr => flag(s.reuse_address()),
            Id::SoBroadcast => flag(s.broadcast()),
            Id::IpTtl => int(s.ttl_v4()),
            Id::IpTos => int(s.tos_v4()),
            Id::Ipv6V6only => flag(s.only_v6()),
            Id::Ipv6UnicastHops => int(s.unicast_hops_v6()),
            #[cfg(any(target_os = "linux", target_vendor = "apple", windows))]
            Id::TcpKeepcnt => int(s.tcp_keepalive_retries()),
            #[cfg(any(target_os = "linux", target_vendor = "apple"))]
            Id::TcpKeepidle => secs(s.tcp_keepalive_time()),
            #[cfg(any(target_os = "linux", target_vendor = "apple"))]
            Id::TcpKeepintvl => secs(s.tcp_keepalive_interval()),
            #[cfg(any(target_os = "linux", target_vendor = "apple"))]
            Id::TcpMaxseg => int(s.tcp_mss()),
            #[cfg(any(target_os = "linux", target_vendor = "apple"))]
            Id::SoReuseport => flag(s.reuse_port()),
            #[cfg(target_os = "linux")]
            Id::TcpCork => flag(s.tcp_cork()),
            #[cfg(target_os = "linux")]
            Id::TcpQuickack => flag(s.tcp_quickack()),
            #[cfg(target_os = "linux")]
            Id::TcpNotsentLowat => int(s.tcp_notsent_lowat()),
            #[cfg(target_os = "linux")]
            Id::TcpUserTimeout => s.tcp_user_timeout().map(|t| {
                Value::Int(t.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
            }),
            #[cfg(target_os = "linux")]
            Id::TcpCongestion => s.tcp_congestion().map(|name| text(&name)),
            #[cfg(windows)]
            Id::SoLinger => s.linger().map(|l| Value::Linger {
                on: l.is_some(),
                seconds: l.map_or(0, |d| d.as_secs() as i64),
            }),
            _ => return None,
        })
    }

    /// `None`: socket2 has no faithful setter for this option and value
    /// (negative numbers, for instance, go raw).
    pub fn set(s: &Socket, id: Id, v: &Value) -> Option<io::Result<()>> {
        let unsigned = |n: &i64| u32::try_from(*n).ok();
        Some(match (id, v) {
            (Id::TcpNodelay, Value::Bool(b)) => s.set_tcp_nodelay(*b),
            (Id::SoRcvbuf, Value::Int(n)) => s.set_recv_buffer_size(usize::try_from(*n).ok()?),
            (Id::SoSndbuf, Value::Int(n)) => s.set_send_buffer_size(usize::try_from(*n).ok()?),
            (Id::SoKeepalive, Value::Bool(b)) => s.set_keepalive(*b),
            (Id::SoReuseaddr, Value::Bool(b)) => s.set_reuse_address(*b),
            (Id::SoBroadcast, Value::Bool(b)) => s.set_broadcast(*b),
            (Id::IpTtl, Value::Int(n)) => s.set_ttl_v4(unsigned(n)?),
            (Id::IpTos, Value::Int(n)) => s.set_tos_v4(unsigned(n)?),
            (Id::Ipv6V6only, Value::Bool(b)) => s.set_only_v6(*b),
            (Id::Ipv6UnicastHops, Value::Int(n)) => s.set_unicast_hops_v6(unsigned(n)?),
            #[cfg(any(target_os = "linux", target_vendor = "apple"))]
            (Id::TcpMaxseg, Value::Int(n)) => s.set_tcp_mss(unsigned(n)?),
            #[cfg(any(target_os = "linux", target_vendor = "apple"))]
            (Id::SoReuseport, Value::Bool(b)) => s.set_reuse_port(*b),
            #[cfg(target_os = "linux")]
            (Id::TcpCork, Value::Bool(b)) => s.set_tcp_cork(*b),
            #[cfg(target_os = "linux")]
            (Id::TcpQuickack, Value::Bool(b)) => s.set_tcp_quickack(*b),
            #[cfg(target_os = "linux")]
            (Id::TcpNotsentLowat, Value::Int(n)) => s.set_tcp_notsent_lowat(unsigned(n)?),
            #[cfg(target_os = "linux")]
            (Id::TcpCongestion, Value::Text(t)) => s.set_tcp_congestion(t.as_bytes()),
            #[cfg(target_os = "linux")]
            (Id::TcpUserTimeout, Value::Int(n)) => {
                let ms = u64::try_from(*n).ok()?;
                s.set_tcp_user_timeout((ms > 0).then(|| std::time::Duration::from_millis(ms)))
            }
            #[cfg(windows)]
            (Id::SoLinger, Value::Linger { on, seconds }) => {
                let secs = u64::try_from(*seconds).ok()?;
                s.set_linger(on.then(|| std::time::Duration::from_secs(secs)))
            }
            _ => return None,
        })
    }
}

/// Text the kernel returns in a fixed buffer: up to the first NUL.
#[allow(dead_code)] // unused where no option is read as text
fn text(bytes: &[u8]) -> Value {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    Value::Text(String::from_utf8_lossy(&bytes[..end]).into_owned())
}

#[cfg(unix)]
pub(crate) mod raw {
    use std::os::fd::AsRawFd;

    use super::*;
    use crate::sockopt::value::ValueType;

    /// getsockopt into `buf`; the length the kernel filled.
    pub fn get_bytes(sock: &Socket, level: i32, name: i32, buf: &mut [u8]) -> io::Result<usize> {
        let mut len = libc::socklen_t::try_from(buf.len()).unwrap_or(libc::socklen_t::MAX);
        // SAFETY: buf is valid for writes of len bytes and len is updated
        // by the kernel to at most its initial value.
        let rc = unsafe {
            libc::getsockopt(
                sock.as_raw_fd(),
                level,
                name,
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if rc == 0 {
            Ok((len as usize).min(buf.len()))
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn set_bytes(sock: &Socket, level: i32, name: i32, buf: &[u8]) -> io::Result<()> {
        let len = libc::socklen_t::try_from(buf.len()).unwrap_or(libc::socklen_t::MAX);
        // SAFETY: buf is valid for reads of len bytes.
        let rc =
            unsafe { libc::setsockopt(sock.as_raw_fd(), level, name, buf.as_ptr().cast(), len) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn int_at(buf: &[u8]) -> i64 {
        let mut word = [0u8; 4];
        let n = buf.len().min(4);
        word[..n].copy_from_slice(&buf[..n]);
        i64::from(i32::from_ne_bytes(word))
    }

    pub fn get(sock: &Socket, level: i32, name: i32, d: &Descriptor) -> Result<Value, AccessError> {
        let mut buf = [0u8; 32];
        let n = get_bytes(sock, level, name, &mut buf)?;
        let got = &buf[..n];
        Ok(match d.value {
            ValueType::Bool => Value::Bool(int_at(got) != 0),
            ValueType::Int | ValueType::Bytes | ValueType::Seconds | ValueType::Milliseconds => {
                Value::Int(int_at(got))
            }
            ValueType::Linger => Value::Linger {
                on: int_at(got) != 0,
                seconds: int_at(got.get(4..).unwrap_or(&[])),
            },
            ValueType::Text => text(got),
        })
    }

    pub fn set(
        sock: &Socket,
        level: i32,
        name: i32,
        _d: &Descriptor,
        value: &Value,
    ) -> Result<(), AccessError> {
        let c_int = |n: i64| -> Result<[u8; 4], AccessError> {
            i32::try_from(n).map(i32::to_ne_bytes).map_err(|_| {
                AccessError::Os(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "value does not fit a C int",
                ))
            })
        };
        match value {
            Value::Bool(b) => set_bytes(sock, level, name, &i32::from(*b).to_ne_bytes())?,
            Value::Int(n) => set_bytes(sock, level, name, &c_int(*n)?)?,
            Value::Linger { on, seconds } => {
                let mut l = [0u8; 8];
                l[..4].copy_from_slice(&i32::from(*on).to_ne_bytes());
                l[4..].copy_from_slice(&c_int(*seconds)?);
                set_bytes(sock, level, name, &l)?
            }
            Value::Text(t) => set_bytes(sock, level, name, t.as_bytes())?,
        }
        Ok(())
    }
}

#[cfg(not(unix))]
pub(crate) mod raw {
    use super::*;

    fn not_wired(d: &Descriptor) -> AccessError {
        AccessError::Unsupported(format!(
            "{} is not readable through this build on {}",
            d.name_on(sys::HOST),
            sys::host_name()
        ))
    }

    pub fn get(_: &Socket, _: i32, _: i32, d: &Descriptor) -> Result<Value, AccessError> {
        Err(not_wired(d))
    }

    pub fn set(_: &Socket, _: i32, _: i32, d: &Descriptor, _: &Value) -> Result<(), AccessError> {
        Err(not_wired(d))
    }
}
