//! The append-only file while it is on: the files the manifest names, the
//! INCR file commands are appended to, and the flush policy.
//!
//! [`Aof::flush`] runs before the loop writes any reply: the commands
//! executed since the last flush (encoded by the feed) are written to the
//! file by the loop itself, so a client finds its command in the file once
//! it has its reply. With `appendfsync always` they are fsynced too, before
//! any of their replies leave; with `everysec` the [`BackgroundFsync`]
//! thread fsyncs about once a second, so the loop never waits for the
//! disk's flush; with `no` flushing is left to the kernel.
//!
//! A rewrite ([`Aof::begin_rewrite`], [`Aof::finish_rewrite`]) follows
//! Redis 7's multi-part layout: at the fork, appends move to a new INCR
//! file (persisted in the manifest first); when the child's base file is
//! ready it becomes the BASE, the INCR files it covers become HISTORY, the
//! manifest is replaced atomically and the history files are deleted.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::manifest::Manifest;
use super::writer::{BackgroundFsync, fdatasync};
use crate::server::config::Fsync;

/// With `everysec`, the loop asks for an fsync this often (when it wrote).
const FSYNC_EVERY: Duration = Duration::from_secs(1);
/// With `everysec`, a write is postponed while an fsync runs (the write
/// could stall behind it in the kernel), but not for longer than this, as
/// Redis does (counted in `aof_delayed_fsync`).
const POSTPONE_LIMIT: Duration = Duration::from_secs(2);

/// The temporary INCR file that collects writes while the AOF is being
/// turned on at runtime (Redis's AOF_WAIT_REWRITE state).
pub fn temp_incr_name(prefix: &str) -> String {
    format!("temp-{prefix}.incr")
}

/// The file a rewrite child writes its base to.
pub fn temp_rewrite_name(pid: libc::pid_t) -> String {
    format!("temp-rewriteaof-bg-{pid}.aof")
}

/// What went wrong writing the AOF.
#[derive(Debug, thiserror::Error)]
pub enum AofError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> AofError {
    let what = what.into();
    move |source| AofError::Io { what, source }
}

/// The AOF while it is on (or waiting for the rewrite that turns it on).
pub struct Aof {
    pub dir: PathBuf,
    /// `appendfilename`: the prefix of every file name.
    pub prefix: String,
    pub manifest: Manifest,
    /// Turned on at runtime; the first rewrite has not finished yet, so
    /// appends go to a temporary INCR file the manifest does not name.
    pub waiting_rewrite: bool,
    file: Arc<File>,
    fsync: BackgroundFsync,
    /// Bytes of the BASE and INCR files (INFO aof_current_size).
    pub current_size: u64,
    /// Size after the last rewrite (auto-aof-rewrite-percentage's base).
    pub base_size: u64,
    /// Bytes in the INCR file being appended to.
    pub last_incr_size: u64,
    /// Data written by the loop and not fsynced (nor handed to the fsync
    /// thread).
    unsynced: bool,
    /// When the loop last asked the thread for an fsync (`everysec`).
    last_fsync_request: Option<Instant>,
    /// Since when a write has been postponed behind a running fsync.
    postponed_since: Option<Instant>,
    /// errno of the last failed write by the loop.
    pub write_error: Option<i32>,
    /// Writes done while an fsync ran, after postponing them for too long.
    pub delayed_fsync: u64,
    /// The longest write() of the loop with `everysec` (INFO
    /// sonde_aof_max_write_usec): what the loop waits for the file, as
    /// Redis's loop does.
    pub max_write: Duration,
}

impl Aof {
    /// Open the AOF at startup (after loading): create the directory, a
    /// base file when there is none (written by `make_base`, synchronously),
    /// open the last INCR file for appending or create one, and persist the
    /// manifest.
    pub fn open(
        dir: PathBuf,
        prefix: &str,
        mut manifest: Manifest,
        preamble: bool,
        make_base: impl FnOnce(&Path) -> io::Result<()>,
    ) -> Result<(Aof, Vec<String>), AofError> {
        let mut notes = Vec::new();
        std::fs::create_dir_all(&dir).map_err(io_error(format!(
            "cannot create the append-only directory {}",
            dir.display()
        )))?;
        if manifest.is_empty() {
            let name = manifest.new_base(prefix, preamble);
            let path = dir.join(&name);
            write_file_atomically(&path, make_base)
                .map_err(io_error(format!("cannot write the AOF base file {name}")))?;
            notes.push(format!("Creating AOF base file {name} on server start"));
        }
        let created = manifest.incr.is_empty();
        let name = match manifest.incr.last() {
            Some(last) => last.name.clone(),
            None => manifest.new_incr(prefix),
        };
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(dir.join(&name))
            .map_err(io_error(format!("cannot open the append-only file {name}")))?;
        manifest
            .persist(&dir, prefix)
            .map_err(io_error("cannot write the AOF manifest"))?;
        notes.push(if created {
            format!("Creating AOF incr file {name} on server start")
        } else {
            format!("Opening AOF incr file {name} on server start")
        });
        let last_incr_size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let current_size = files_size(&dir, &manifest);
        let base_size = manifest
            .base
            .as_ref()
            .and_then(|b| std::fs::metadata(dir.join(&b.name)).ok())
            .map_or(0, |m| m.len());
        let aof = Aof::with_file(dir, prefix, manifest, Arc::new(file), false)?;
        Ok((
            Aof {
                current_size,
                base_size,
                last_incr_size,
                ..aof
            },
            notes,
        ))
    }

    /// The AOF turned on at runtime: appends go to the temporary INCR file
    /// until the first rewrite finishes.
    pub fn open_waiting(dir: PathBuf, prefix: &str, manifest: Manifest) -> Result<Aof, AofError> {
        std::fs::create_dir_all(&dir).map_err(io_error(format!(
            "cannot create the append-only directory {}",
            dir.display()
        )))?;
        let name = temp_incr_name(prefix);
        let file = File::create(dir.join(&name))
            .map_err(io_error(format!("cannot open the append-only file {name}")))?;
        Aof::with_file(dir, prefix, manifest, Arc::new(file), true)
    }

    fn with_file(
        dir: PathBuf,
        prefix: &str,
        manifest: Manifest,
        file: Arc<File>,
        waiting_rewrite: bool,
    ) -> Result<Aof, AofError> {
        let fsync = BackgroundFsync::start(file.clone())
            .map_err(io_error("cannot start the AOF fsync thread"))?;
        Ok(Aof {
            dir,
            prefix: prefix.to_owned(),
            manifest,
            waiting_rewrite,
            file,
            fsync,
            current_size: 0,
            base_size: 0,
            last_incr_size: 0,
            unsynced: false,
            last_fsync_request: None,
            postponed_since: None,
            write_error: None,
            delayed_fsync: 0,
            max_write: Duration::ZERO,
        })
    }

    /// Write (and, per policy, fsync) what `buf` holds; `buf` is left
    /// empty unless the write failed or was postponed. `sync_allowed` is
    /// false while a child writes and no-appendfsync-on-rewrite is set.
    /// With `everysec` and `may_postpone`, a write waits (its bytes stay in
    /// `buf`) while the fsync thread runs, for two seconds at most. An
    /// error is returned only when `always` cannot keep its promise (the
    /// caller exits, as Redis does: replies are queued and the dataset
    /// changed).
    pub fn flush(
        &mut self,
        buf: &mut Vec<u8>,
        policy: Fsync,
        sync_allowed: bool,
        may_postpone: bool,
    ) -> Result<(), i32> {
        let everysec = policy == Fsync::Everysec;
        if buf.is_empty() {
            self.postponed_since = None;
            if everysec {
                self.request_fsync_if_due(sync_allowed);
            }
            return self.sync_if_needed(policy, sync_allowed);
        }
        let started = Instant::now();
        if everysec && may_postpone && self.fsync.in_progress() {
            match self.postponed_since {
                None => {
                    self.postponed_since = Some(started);
                    return Ok(());
                }
                Some(since) if started - since < POSTPONE_LIMIT => return Ok(()),
                Some(_) => self.delayed_fsync += 1,
            }
        }
        self.postponed_since = None;
        let mut out = &*self.file;
        let mut written = 0usize;
        let result = loop {
            match out.write(&buf[written..]) {
                Ok(0) => break Err(libc::ENOSPC),
                Ok(n) => {
                    written += n;
                    if written == buf.len() {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e.raw_os_error().unwrap_or(libc::EIO)),
            }
        };
        // As Redis does: a write that failed part way (a full disk) is
        // taken back out of the file, so it never ends in a torn command;
        // the whole buffer stays for the next try (or the exit, with
        // `appendfsync always`).
        if result.is_err() && written > 0 && self.file.set_len(self.last_incr_size).is_ok() {
            written = 0;
        }
        self.current_size += written as u64;
        self.last_incr_size += written as u64;
        buf.drain(..written);
        self.unsynced |= written > 0;
        if everysec {
            self.max_write = self.max_write.max(started.elapsed());
        }
        if let Err(e) = result {
            self.write_error = Some(e);
            return if policy == Fsync::Always {
                Err(e)
            } else {
                Ok(())
            };
        }
        self.write_error = None;
        if everysec {
            self.request_fsync_if_due(sync_allowed);
        }
        self.sync_if_needed(policy, sync_allowed)
    }

    /// `everysec`: ask the thread for an fsync when data waits for one and
    /// the last request is a second old (none while one runs).
    fn request_fsync_if_due(&mut self, sync_allowed: bool) {
        if !self.unsynced || !sync_allowed || self.fsync.in_progress() {
            return;
        }
        let now = Instant::now();
        if self
            .last_fsync_request
            .is_some_and(|at| now - at < FSYNC_EVERY)
        {
            return;
        }
        self.last_fsync_request = Some(now);
        self.unsynced = false;
        self.fsync.request_sync();
    }

    fn sync_if_needed(&mut self, policy: Fsync, sync_allowed: bool) -> Result<(), i32> {
        if policy == Fsync::Always && sync_allowed && self.unsynced {
            // An fsync the thread is running (the policy was `everysec`)
            // covers less than this one: let it end first.
            self.fsync.wait_idle();
            fdatasync(&self.file)?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// Wait until the fsync thread has nothing left to do.
    pub fn wait_fsync_idle(&self) {
        self.fsync.wait_idle();
    }

    /// errno of the last write or fsync failure still unresolved.
    pub fn error(&self) -> Option<i32> {
        self.write_error.or(self.fsync.status().error)
    }

    /// Whether an fsync is queued or running (INFO aof_pending_bio_fsync).
    pub fn fsync_in_progress(&self) -> bool {
        self.fsync.in_progress()
    }

    /// At a rewrite's fork: appends move to a new INCR file (a temporary one
    /// while waiting for the first rewrite), named in the manifest first.
    /// The caller flushed the buffer into the old file just before.
    pub fn begin_rewrite(&mut self) -> Result<(), AofError> {
        let mut manifest = self.manifest.clone();
        let name = if self.waiting_rewrite {
            temp_incr_name(&self.prefix)
        } else {
            manifest.new_incr(&self.prefix)
        };
        let file = File::create(self.dir.join(&name))
            .map_err(io_error(format!("cannot open the append-only file {name}")))?;
        if !self.waiting_rewrite {
            manifest
                .persist(&self.dir, &self.prefix)
                .map_err(io_error("cannot write the AOF manifest"))?;
            self.manifest = manifest;
        }
        self.switch_to(Arc::new(file));
        Ok(())
    }

    fn switch_to(&mut self, file: Arc<File>) {
        // What the loop wrote to the old file is synced by the thread as
        // part of the switch.
        self.unsynced = false;
        self.fsync.switch(file.clone());
        self.file = file;
        self.last_incr_size = 0;
    }

    /// The rewrite child `pid` succeeded: its file becomes the BASE. Returns
    /// log lines.
    pub fn finish_rewrite(
        &mut self,
        pid: libc::pid_t,
        preamble: bool,
        auto_gc: bool,
    ) -> Result<Vec<String>, AofError> {
        let mut notes = Vec::new();
        let mut manifest = self.manifest.clone();
        let temp = self.dir.join(temp_rewrite_name(pid));
        let base = manifest.new_base(&self.prefix, preamble);
        std::fs::rename(&temp, self.dir.join(&base)).map_err(io_error(format!(
            "cannot rename the temporary AOF base file into {base}"
        )))?;
        notes.push(format!(
            "Successfully renamed the temporary AOF base file into {base}"
        ));
        if self.waiting_rewrite {
            let incr = manifest.new_incr(&self.prefix);
            let from = self.dir.join(temp_incr_name(&self.prefix));
            if let Err(source) = std::fs::rename(&from, self.dir.join(&incr)) {
                let _ = std::fs::remove_file(self.dir.join(&base));
                return Err(AofError::Io {
                    what: format!("cannot rename the temporary AOF incr file into {incr}"),
                    source,
                });
            }
        }
        manifest.retire_rewritten_incr(true);
        if let Err(e) = manifest.persist(&self.dir, &self.prefix) {
            let _ = std::fs::remove_file(self.dir.join(&base));
            return Err(AofError::Io {
                what: "cannot write the AOF manifest".to_owned(),
                source: e,
            });
        }
        self.manifest = manifest;
        self.waiting_rewrite = false;
        let base_bytes = std::fs::metadata(self.dir.join(&base)).map_or(0, |m| m.len());
        self.current_size = base_bytes + self.last_incr_size;
        self.base_size = self.current_size;
        if auto_gc {
            notes.extend(self.delete_history());
        }
        Ok(notes)
    }

    /// Delete the HISTORY files and drop them from the manifest (after a
    /// rewrite, or when `aof-disable-auto-gc` is turned off). Returns log
    /// lines.
    pub fn delete_history(&mut self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.manifest.history.is_empty() {
            return notes;
        }
        for old in std::mem::take(&mut self.manifest.history) {
            notes.push(format!("Removing the history file {}", old.name));
            let _ = std::fs::remove_file(self.dir.join(&old.name));
        }
        let _ = self.manifest.persist(&self.dir, &self.prefix);
        notes
    }

    /// A failed rewrite leaves its temporary files behind: remove them.
    pub fn abandon_rewrite(&self, pid: libc::pid_t) {
        let _ = std::fs::remove_file(self.dir.join(temp_rewrite_name(pid)));
    }

    /// Write everything, fsync and stop the fsync thread (shutdown, or the AOF
    /// turned off). Returns errno if the last write or fsync failed.
    pub fn close(mut self, buf: &mut Vec<u8>) -> Option<i32> {
        let _ = self.flush(buf, Fsync::No, false, false);
        self.fsync.wait_idle();
        let synced = fdatasync(&self.file).err();
        self.fsync.stop().or(synced).or(self.write_error)
    }
}

/// Bytes of the BASE and INCR files the manifest names.
pub fn files_size(dir: &Path, manifest: &Manifest) -> u64 {
    manifest
        .data_files()
        .filter_map(|e| std::fs::metadata(dir.join(&e.name)).ok())
        .map(|m| m.len())
        .sum()
}

/// Write `path` through a temporary file in the same directory: `write`
/// fills it, then fsync, rename, fsync of the directory.
pub fn write_file_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!("temp-{}-{name}", std::process::id()));
    let result = write(&temp)
        .and_then(|()| File::open(&temp)?.sync_all())
        .and_then(|()| std::fs::rename(&temp, path))
        .and_then(|()| super::fsync_dir(dir));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
