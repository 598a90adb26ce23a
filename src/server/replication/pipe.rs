//! The diskless full resync's pipe (Redis's rdb pipe): the snapshot child
//! writes the image into a pipe, and the parent copies what it reads to the
//! output of every replica being served. The parent reads only while each
//! of them has drained its output below a mark, so the transfer goes at the
//! pace of the slowest one without the loop spinning, and the child waits
//! on the full pipe meanwhile. A replica that drops leaves the others
//! going; when the last one drops the child is killed; a replica that
//! drains nothing for repl-timeout is dropped by the cron.

use std::io::{self, Read};
use std::os::fd::OwnedFd;

use mio::Token;
use mio::net::UnixStream;

use super::super::Server;
use super::super::persistence;

/// The event-loop token of the pipe's read end (below the unixsocket
/// listener's).
pub const TOKEN: Token = Token(usize::MAX - 67);

/// What the parent reads from the pipe at a time.
const CHUNK: usize = 64 * 1024;
/// The parent reads again once every replica's output is below this.
const LOW_MARK: usize = 64 * 1024;

/// The pipe of the transfer under way.
pub struct RdbPipe {
    read: UnixStream,
    /// (slot, client id) of the replicas fed from it.
    replicas: Vec<(usize, u64)>,
    buf: Vec<u8>,
}

/// The pipe: a connected pair of Unix sockets, whose read end does not
/// block (the child's end does).
pub fn open() -> io::Result<(UnixStream, OwnedFd)> {
    let (read, write) = std::os::unix::net::UnixStream::pair()?;
    read.set_nonblocking(true)?;
    let _ = read.shutdown(std::net::Shutdown::Write);
    Ok((UnixStream::from_std(read), OwnedFd::from(write)))
}

/// The child started: the parent reads `read` for `replicas`.
pub fn start(srv: &mut Server, mut read: UnixStream, replicas: Vec<(usize, u64)>) {
    if let Some(registry) = srv.replication.registry.as_ref() {
        let _ = registry.register(&mut read, TOKEN, mio::Interest::READABLE);
    }
    srv.replication.rdb_pipe = Some(RdbPipe {
        read,
        replicas,
        buf: vec![0; CHUNK],
    });
}

fn close(srv: &mut Server) {
    if let Some(mut pipe) = srv.replication.rdb_pipe.take()
        && let Some(registry) = srv.replication.registry.as_ref()
    {
        let _ = registry.deregister(&mut pipe.read);
    }
}

fn client(srv: &Server, slot: usize) -> Option<&super::super::connection::Client> {
    srv.clients.slots.get(slot).and_then(|c| c.as_deref())
}

/// The replicas still connected.
fn live(srv: &Server, pipe: &RdbPipe) -> Vec<usize> {
    pipe.replicas
        .iter()
        .filter(|&&(slot, id)| client(srv, slot).is_some_and(|c| c.id == id))
        .map(|&(slot, _)| slot)
        .collect()
}

/// Copy what the pipe holds to the replicas while they have room (from
/// every turn of the loop; cheap when there is no pipe or no room).
/// `to_end`: the child is gone, read everything that is left. True when
/// it stopped for want of room after reading: call again once the
/// replicas' output was written (the pipe's readiness was not used up, so
/// no event will say so).
pub fn pump(srv: &mut Server, to_end: bool) -> bool {
    let mut read_some = false;
    loop {
        let Some(mut pipe) = srv.replication.rdb_pipe.take() else {
            return false;
        };
        let slots = live(srv, &pipe);
        let room = slots
            .iter()
            .all(|&s| client(srv, s).is_some_and(|c| c.reply.pending() < LOW_MARK));
        if !room && !to_end {
            srv.replication.rdb_pipe = Some(pipe);
            return read_some;
        }
        let n = match pipe.read.read(&mut pipe.buf) {
            Ok(n) => n,
            Err(e) => {
                srv.replication.rdb_pipe = Some(pipe);
                match e.kind() {
                    io::ErrorKind::WouldBlock => return false,
                    io::ErrorKind::Interrupted => continue,
                    _ => {
                        srv.log.warning(
                            &format!(
                                "Diskless rdb transfer, read error sending DB to replicas: {e}"
                            ),
                            &[],
                        );
                        close(srv);
                        for slot in slots {
                            srv.kill_client(slot);
                        }
                        persistence::kill_child(srv);
                        return false;
                    }
                }
            }
        };
        if n == 0 {
            srv.log.warning(
                &format!(
                    "Diskless rdb transfer, done reading from pipe, {} replicas still up.",
                    slots.len()
                ),
                &[],
            );
            srv.replication.rdb_pipe = Some(pipe);
            close(srv);
            return false;
        }
        let data = &pipe.buf[..n];
        for &slot in &slots {
            if let Some(c) = srv.clients.get_mut(slot) {
                c.reply.raw(data);
                srv.pending_writes.queue(c);
            }
        }
        srv.replication.rdb_pipe = Some(pipe);
        read_some = true;
    }
}

/// A replica closed: the last one of a transfer takes the child with it.
pub fn replica_gone(srv: &mut Server, id: u64) {
    let Some(pipe) = srv.replication.rdb_pipe.as_mut() else {
        return;
    };
    pipe.replicas.retain(|&(_, i)| i != id);
    if !pipe.replicas.is_empty() {
        return;
    }
    srv.log.warning(
        "Diskless rdb transfer, last replica dropped, killing fork child.",
        &[],
    );
    close(srv);
    persistence::kill_child(srv);
}

/// Whether the replica with this id is fed from the pipe.
pub fn feeds(srv: &Server, id: u64) -> bool {
    srv.replication
        .rdb_pipe
        .as_ref()
        .is_some_and(|p| p.replicas.iter().any(|&(_, i)| i == id))
}
