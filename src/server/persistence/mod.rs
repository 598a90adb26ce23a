//! Persistence for `serve`: RDB snapshots and the append-only file, as
//! Redis 7.0 keeps them, crash-safe.
//!
//! - Snapshots ([`snapshot`]): SAVE writes in the loop; BGSAVE forks a
//!   [`child`] that writes from its copy-on-write view while the parent
//!   keeps serving. Both write a temporary file, fsync it, rename it over
//!   `dir/dbfilename` and fsync the directory, so the file on disk is
//!   always a complete snapshot. `save <seconds> <changes>` points trigger
//!   BGSAVE from the cron, which also reaps children (never blocking).
//! - The AOF ([`aof`], [`manifest`], [`writer`]): every write command, as
//!   propagated, is encoded by the feed and reaches the file before the
//!   replies of its loop iteration are written ([`flush_aof`]); `always`
//!   fsyncs first, `everysec` leaves the fsync to a background thread, once
//!   a second. BGREWRITEAOF forks a child that writes
//!   a new base (an RDB preamble, or commands via [`rewrite`]) while new
//!   writes go to a new INCR file; the manifest switches atomically.
//! - Startup ([`load_at_start`]): the AOF when it is on, else the snapshot;
//!   a damaged file stops startup with the problem's kind and byte offset
//!   ([`aof_load`], [`snapshot::load`]).
//!
//! State lives in [`Persistence`] on the server; the event loop calls
//! [`flush_aof`] before writing replies and [`cron`] at `hz`.
//!
//! The snapshot API, for anything else that needs the dataset as an RDB
//! image (a master's full resync):
//! - [`bgsave_to`] forks a child that writes the image, with the
//!   replication aux fields when given, to the dump file or to any
//!   descriptor (a pipe the parent reads, a replica's socket); the cron
//!   reaps it and leaves its outcome in `persistence.rdb_child_done`. One
//!   child at a time: callers wait (or schedule) while another runs.
//! - [`snapshot::write`] writes an image to any `Write` in the calling
//!   process; [`write_rdb_file`] does so crash-safely to a path.
//! - [`snapshot::load`] fills a keyspace from a complete image in memory
//!   (a loaded file or a received transfer), stopping at the first problem
//!   with its kind and byte offset.

pub mod aof;
pub mod aof_load;
pub mod child;
pub mod manifest;
pub mod rewrite;
pub mod snapshot;
pub mod writer;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use aof::{Aof, AofError};
use aof_load::AofLoadError;
use child::{Child, Exit, Reaped};
use manifest::{Manifest, ManifestError};
use snapshot::LoadError;

use super::Server;
use super::clock::unix_ms;
use super::config::Config;
use super::dict;
use super::keyspace::Keyspace;
use crate::output::log::{Field, Logger};

/// Seconds between retries of a failed BGSAVE triggered by a save point
/// (Redis's CONFIG_BGSAVE_RETRY_DELAY).
const BGSAVE_RETRY_DELAY: i64 = 5;

/// What a running child is writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildKind {
    Rdb,
    /// An AOF base, as an RDB preamble or as commands.
    AofRewrite {
        preamble: bool,
    },
}

/// A child and what it writes.
#[derive(Debug)]
pub struct Running {
    pub child: Child,
    pub kind: ChildKind,
    /// An RDB child writing to a descriptor rather than the dump file: its
    /// end changes neither LASTSAVE nor the count of unsaved changes.
    pub diskless: bool,
    /// Keys in the dataset at the fork (INFO current_save_keys_total).
    pub keys_total: u64,
}

/// How an RDB child ended, kept for whoever started it for a reason of
/// its own (a full resync waits for its snapshot): see [`bgsave_to`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RdbChildDone {
    pub pid: libc::pid_t,
    pub ok: bool,
    pub diskless: bool,
}

/// Persistence state (INFO persistence reads it).
pub struct Persistence {
    /// Unix seconds of the last successful save (LASTSAVE).
    pub lastsave: i64,
    pub lastbgsave_try: i64,
    pub last_bgsave_ok: bool,
    pub dirty_before_bgsave: u64,
    pub rdb_saves: u64,
    pub rdb_last_bgsave_time_sec: i64,
    pub rdb_last_cow_size: u64,
    pub bgsave_scheduled: bool,
    pub rdb_last_load_keys_loaded: u64,
    pub rdb_last_load_keys_expired: u64,
    pub child: Option<Running>,
    /// The AOF while it is on (or collecting writes for the rewrite that
    /// turns it on).
    pub aof: Option<Aof>,
    /// `appendonly yes` was set at runtime and the rewrite that turns the
    /// AOF on has not started yet.
    pub aof_pending_start: bool,
    pub aof_rewrite_scheduled: bool,
    pub aof_last_rewrite_ok: bool,
    pub aof_rewrites: u64,
    pub aof_rewrites_consecutive_failures: u64,
    pub aof_last_rewrite_time_sec: i64,
    pub aof_last_cow_size: u64,
    /// Forks so far, and how long the last one took (INFO stats).
    pub total_forks: u64,
    pub latest_fork_usec: u64,
    /// The end of the last RDB child, until someone takes it.
    pub rdb_child_done: Option<RdbChildDone>,
    /// The AOF's last write or fsync failure (errno), as last seen; write
    /// commands are refused while it is set.
    pub aof_error: Option<i32>,
    /// A snapshot being loaded at startup while clients are served (INFO
    /// persistence's loading fields).
    pub loading: Option<Loading>,
    /// After repeated failures, automatic rewrites wait until then; and
    /// the wait after the next failure, in minutes.
    aof_rewrite_not_before: Option<Instant>,
    aof_rewrite_next_delay_minutes: u64,
}

/// A load in progress.
pub struct Loading {
    pub started_unix: i64,
    pub total_bytes: u64,
    /// A replica's diskless load that serves the old dataset meanwhile
    /// (INFO `async_loading:1`, `loading:0`).
    pub async_loading: bool,
}

impl Default for Persistence {
    fn default() -> Persistence {
        Persistence {
            lastsave: unix_ms() / 1000,
            lastbgsave_try: 0,
            last_bgsave_ok: true,
            dirty_before_bgsave: 0,
            rdb_saves: 0,
            rdb_last_bgsave_time_sec: -1,
            rdb_last_cow_size: 0,
            bgsave_scheduled: false,
            rdb_last_load_keys_loaded: 0,
            rdb_last_load_keys_expired: 0,
            child: None,
            aof: None,
            aof_pending_start: false,
            aof_rewrite_scheduled: false,
            aof_last_rewrite_ok: true,
            aof_rewrites: 0,
            aof_rewrites_consecutive_failures: 0,
            aof_last_rewrite_time_sec: -1,
            aof_last_cow_size: 0,
            total_forks: 0,
            latest_fork_usec: 0,
            rdb_child_done: None,
            aof_error: None,
            aof_rewrite_not_before: None,
            aof_rewrite_next_delay_minutes: 0,
            loading: None,
        }
    }
}

impl Persistence {
    pub fn child_kind(&self) -> Option<ChildKind> {
        self.child.as_ref().map(|r| r.kind)
    }

    /// Stop tracking the child (it was reaped or killed): tables may
    /// resize freely again.
    fn take_child(&mut self) -> Option<Running> {
        dict::set_resize_policy(dict::ResizePolicy::Enable);
        self.child.take()
    }

    /// Track a child just forked, writing `keys_total` keys.
    fn started(&mut self, child: Child, kind: ChildKind, diskless: bool, keys_total: u64) {
        self.total_forks += 1;
        // While the child shares our pages, tables resize only when far
        // out of shape (Redis's updateDictResizePolicy).
        dict::set_resize_policy(dict::ResizePolicy::Avoid);
        self.latest_fork_usec = child.fork_time.as_micros() as u64;
        self.child = Some(Running {
            child,
            kind,
            diskless,
            keys_total,
        });
    }
}

/// The snapshot file.
pub fn rdb_path(config: &Config) -> PathBuf {
    config.dir.join(&config.dbfilename)
}

/// The directory of the multi-part AOF.
pub fn aof_dir(config: &Config) -> PathBuf {
    config.dir.join(&config.appenddirname)
}

/// fsync a directory, so a rename in it survives a power loss.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn now_secs() -> i64 {
    unix_ms() / 1000
}

fn strerror(errno: i32) -> String {
    io::Error::from_raw_os_error(errno).to_string()
}

// ---------------------------------------------------------------------------
// Snapshots

pub fn snapshot_options(config: &Config) -> snapshot::Options<'static> {
    snapshot::Options {
        compress: config.rdbcompression,
        key_delay_us: config.rdb_key_save_delay,
        ..snapshot::Options::default()
    }
}

/// Write `ks` to `path` through `temp-<pid>.rdb` in the same directory:
/// fsync, rename, fsync of the directory.
pub fn write_rdb_file(
    ks: &Keyspace,
    path: &Path,
    options: &snapshot::Options<'_>,
) -> io::Result<snapshot::Written> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!("temp-{}.rdb", std::process::id()));
    let result = (|| {
        let file = File::create(&temp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let written = snapshot::write(ks, &mut out, options).map_err(rewrite::io_error)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        if !child::parent_alive() {
            return Err(io::Error::other(
                "the server that forked this child is gone: its snapshot is stale",
            ));
        }
        std::fs::rename(&temp, path)?;
        fsync_dir(dir)?;
        Ok(written)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// SAVE: write the snapshot now, in the loop.
pub fn save(srv: &mut Server) -> Result<(), String> {
    let path = rdb_path(&srv.config);
    let position = crate::server::replication::save_position(srv);
    let options = snapshot::Options {
        replication: position.as_ref().map(|p| p.info()),
        ..snapshot_options(&srv.config)
    };
    match write_rdb_file(&srv.ks, &path, &options) {
        Ok(_) => {
            srv.log.notice("DB saved on disk", &[]);
            srv.signals.dirty = 0;
            srv.persistence.lastsave = now_secs();
            srv.persistence.last_bgsave_ok = true;
            Ok(())
        }
        Err(e) => {
            let message = e.to_string();
            srv.log.warning(
                "Write error saving DB on disk",
                &[("error", Field::Str(&message))],
            );
            Err(message)
        }
    }
}

/// BGSAVE: fork a child that writes the snapshot to the dump file.
pub fn bgsave(srv: &mut Server) -> Result<(), String> {
    let position = crate::server::replication::save_position(srv);
    let info = position.as_ref().map(|p| p.info());
    bgsave_to(srv, SnapshotTarget::DumpFile, info).map(|_| ())
}

/// Where a background snapshot goes.
#[derive(Debug)]
pub enum SnapshotTarget {
    /// `dir/dbfilename`, through a temporary file renamed over it once
    /// complete and fsynced (BGSAVE, a disk-based full resync).
    DumpFile,
    /// Descriptors the child writes the bare image to and then closes: a
    /// pipe the parent reads, or the sockets of the replicas of a diskless
    /// full resync. Non-blocking descriptors are fine: the child waits for
    /// them to drain.
    Descriptor(Vec<std::os::fd::OwnedFd>),
}

/// Fork a child that writes the keyspace as an RDB image to `target`, with
/// the replication aux fields when `replication` is given; returns its
/// pid. The parent keeps serving; the cron reaps the child, updates
/// LASTSAVE and the unsaved-changes count when it wrote the dump file, and
/// leaves [`RdbChildDone`] in `persistence.rdb_child_done` for the caller
/// to collect. Only one child runs at a time (an error otherwise).
pub fn bgsave_to(
    srv: &mut Server,
    target: SnapshotTarget,
    replication: Option<snapshot::ReplInfo<'_>>,
) -> Result<libc::pid_t, String> {
    use std::os::fd::AsRawFd;
    if srv.persistence.child.is_some() {
        return Err("a child process is already active".to_owned());
    }
    let diskless = matches!(target, SnapshotTarget::Descriptor(_));
    let p = &mut srv.persistence;
    if !diskless {
        p.rdb_saves += 1;
        p.dirty_before_bgsave = srv.signals.dirty;
        p.lastbgsave_try = now_secs();
    }
    let path = rdb_path(&srv.config);
    let options = snapshot::Options {
        replication,
        ..snapshot_options(&srv.config)
    };
    let (ks, log) = (&srv.ks, &srv.log);
    let keep: Vec<std::os::fd::RawFd> = match &target {
        SnapshotTarget::Descriptor(fds) => fds.iter().map(|fd| fd.as_raw_fd()).collect(),
        SnapshotTarget::DumpFile => Vec::new(),
    };
    let forked = child::fork(&keep, || match &target {
        SnapshotTarget::DumpFile => child_write(log, "RDB", || {
            write_rdb_file(ks, &path, &options).map(|_| ())
        }),
        SnapshotTarget::Descriptor(fds) => child_write(log, "RDB", || {
            let fds = fds.iter().map(|fd| fd.as_raw_fd()).collect();
            let mut out = BufWriter::with_capacity(1 << 16, child::FanWriter(fds));
            snapshot::write(ks, &mut out, &options).map_err(rewrite::io_error)?;
            io::Write::flush(&mut out)
        }),
    });
    // The parent's copy of a descriptor target closes here: the child
    // holds the only one, so its exit is the reader's end of file.
    drop(target);
    match forked {
        Ok(child) => {
            let pid = child.pid;
            srv.log.notice(
                "Background saving started",
                &[
                    ("pid", Field::Int(i64::from(pid))),
                    (
                        "target",
                        Field::Str(if diskless { "descriptor" } else { "disk" }),
                    ),
                ],
            );
            let keys = srv.ks.totals().0 as u64;
            srv.persistence
                .started(child, ChildKind::Rdb, diskless, keys);
            Ok(pid)
        }
        Err(e) => {
            if !diskless {
                srv.persistence.last_bgsave_ok = false;
            }
            let message = format!("fork: {e}");
            srv.log.warning(
                "Can't save in background",
                &[("error", Field::Str(&message))],
            );
            Err(message)
        }
    }
}

/// In a child: run `work`, log its outcome, give the exit code.
fn child_write(log: &Logger, what: &str, work: impl FnOnce() -> io::Result<()>) -> i32 {
    match work() {
        Ok(()) => {
            log.notice(&format!("{what} written on disk by the child"), &[]);
            0
        }
        Err(e) => {
            log.warning(
                &format!("Write error in the {what} child"),
                &[("error", Field::Str(&e.to_string()))],
            );
            1
        }
    }
}

// ---------------------------------------------------------------------------
// Startup

/// Why the server cannot start with its persisted data.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot load {file}: {source}")]
    Rdb {
        file: String,
        #[source]
        source: LoadError,
    },
    #[error("cannot load the append-only file: {0}")]
    Aof(#[from] AofLoadError),
    #[error("invalid AOF manifest {file}: {source}")]
    Manifest {
        file: String,
        #[source]
        source: ManifestError,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Open(#[from] AofError),
}

impl StartupError {
    /// A stable snake_case name of the problem, for the log.
    pub fn kind(&self) -> &'static str {
        match self {
            StartupError::Rdb { source, .. } => source.kind(),
            StartupError::Aof(e) => e.kind(),
            StartupError::Manifest { .. } => "bad_manifest",
            StartupError::Io { .. } | StartupError::Open(_) => "io",
        }
    }

    /// The byte offset of the problem in its file, when there is one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            StartupError::Rdb { source, .. } => Some(source.offset()),
            StartupError::Aof(e) => e.offset(),
            _ => None,
        }
    }
}

/// Load the persisted dataset (the AOF when `appendonly yes`, else the
/// snapshot) and, with the AOF on, open it for appending.
pub fn load_at_start(srv: &mut Server) -> Result<(), StartupError> {
    match begin_load_at_start(srv)? {
        AtStart::Done => Ok(()),
        AtStart::Snapshot(snap) => {
            let result = snapshot::load_collecting(
                &mut srv.ks,
                snap.bytes(),
                snap.expired_before,
                snap.collect_expired,
            );
            finish_snapshot_load(srv, snap, result)
        }
    }
}

/// What [`begin_load_at_start`] left to do.
pub enum AtStart {
    /// Loaded (the AOF), or nothing to load.
    Done,
    /// This snapshot is to be loaded, then [`finish_snapshot_load`].
    Snapshot(SnapshotAtStart),
}

/// A snapshot to load at startup, mapped.
pub struct SnapshotAtStart {
    path: PathBuf,
    map: crate::input::Whole,
    started: Instant,
    /// A master drops the keys that expired while it was down (and tells
    /// its replicas); a replica keeps them for its master's DELs.
    pub expired_before: Option<i64>,
    pub collect_expired: bool,
}

impl SnapshotAtStart {
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }
}

/// The first half of [`load_at_start`]: the AOF is loaded and opened here;
/// a snapshot is only mapped, for the caller to load (serving clients
/// meanwhile, if it likes).
pub fn begin_load_at_start(srv: &mut Server) -> Result<AtStart, StartupError> {
    // Before the dataset is allocated: memory loaded into huge pages would
    // keep them, and after a fork each first write to one copies 2 MiB
    // (measured: a 101 ms command during the first BGSAVE after loading
    // a million keys, against 15 ms without).
    super::memory::disable_transparent_huge_pages();
    let started = Instant::now();
    if srv.config.appendonly {
        let dir = aof_dir(&srv.config);
        let prefix = srv.config.appendfilename.clone();
        let mut manifest = read_manifest(&dir, &prefix)?;
        upgrade_old_style_aof(srv, &dir, &prefix, &mut manifest)?;
        if !manifest.is_empty() {
            let summary = aof_load::load(srv, &dir, &manifest, srv.config.aof_load_truncated)?;
            if let Some((file, offset)) = &summary.truncated {
                srv.log.warning(
                    "!!! Warning: short read while loading the AOF file: truncated at the last \
                     complete command, loaded anyway because aof-load-truncated is enabled !!!",
                    &[
                        ("file", Field::Str(file)),
                        ("offset", Field::Int(*offset as i64)),
                    ],
                );
            }
            let (keys, _) = srv.ks.totals();
            srv.log.notice(
                "DB loaded from append only file",
                &[
                    ("seconds", Field::Str(&seconds_since(started))),
                    ("files", Field::Int(summary.files as i64)),
                    ("commands", Field::Int(summary.commands as i64)),
                    ("keys", Field::Int(keys as i64)),
                ],
            );
        }
        open_aof(srv, dir, &prefix, manifest)?;
        srv.signals.dirty = 0;
        return Ok(AtStart::Done);
    }
    let path = rdb_path(&srv.config);
    // An empty dbfilename names no file: like Redis, start empty.
    if srv.config.dbfilename.is_empty() {
        return Ok(AtStart::Done);
    }
    let map = match crate::input::map(&path) {
        Ok(map) => map,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(AtStart::Done),
        Err(source) => {
            return Err(StartupError::Io {
                what: format!("cannot read {}", path.display()),
                source,
            });
        }
    };
    let master = srv.config.replicaof.is_none();
    Ok(AtStart::Snapshot(SnapshotAtStart {
        path,
        map,
        started,
        expired_before: master.then(unix_ms),
        collect_expired: master,
    }))
}

/// The second half of [`load_at_start`] for a snapshot: report what the
/// load did.
pub fn finish_snapshot_load(
    srv: &mut Server,
    snap: SnapshotAtStart,
    result: Result<snapshot::Loaded, LoadError>,
) -> Result<(), StartupError> {
    let loaded = result.map_err(|source| StartupError::Rdb {
        file: snap.path.display().to_string(),
        source,
    })?;
    srv.persistence.rdb_last_load_keys_loaded = loaded.keys;
    srv.persistence.rdb_last_load_keys_expired = loaded.expired;
    srv.log.notice(
        "DB loaded from disk",
        &[
            ("seconds", Field::Str(&seconds_since(snap.started))),
            ("keys", Field::Int(loaded.keys as i64)),
            ("expired", Field::Int(loaded.expired as i64)),
        ],
    );
    for key in &loaded.empty_keys {
        srv.log.warning(
            &format!(
                "rdbLoadObject skipping empty key: {}",
                String::from_utf8_lossy(key)
            ),
            &[],
        );
    }
    srv.log.notice(
        &format!(
            "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
            loaded.keys, loaded.expired, loaded.empty
        ),
        &[],
    );
    srv.replication.saved_position = loaded.position.clone();
    srv.replication.expired_at_load = loaded.expired_keys;
    if loaded.skipped > 0 {
        srv.log.warning(
            "Function libraries and module data in the snapshot were skipped",
            &[("count", Field::Int(loaded.skipped as i64))],
        );
    }
    srv.signals.dirty = 0;
    Ok(())
}

/// Seconds since `started`, as the load messages show them.
fn seconds_since(started: Instant) -> String {
    format!("{:.3}", started.elapsed().as_secs_f64())
}

/// Bytes of the append-only files a start would load (the files the
/// manifest names, or a single old-style file), for the loading progress;
/// 0 when there is nothing to load or it cannot be told.
pub fn aof_size(config: &Config) -> u64 {
    let dir = aof_dir(config);
    let prefix = &config.appendfilename;
    let manifest = read_manifest(&dir, prefix).unwrap_or_default();
    if manifest.is_empty() {
        return std::fs::metadata(config.dir.join(prefix)).map_or(0, |m| m.len());
    }
    manifest
        .data_files()
        .filter_map(|e| std::fs::metadata(dir.join(&e.name)).ok())
        .map(|m| m.len())
        .sum()
}

/// The manifest in `dir`, or an empty one when there is none.
fn read_manifest(dir: &Path, prefix: &str) -> Result<Manifest, StartupError> {
    let path = dir.join(format!("{prefix}.manifest"));
    match std::fs::read(&path) {
        Ok(text) => Manifest::parse(&text).map_err(|source| StartupError::Manifest {
            file: path.display().to_string(),
            source,
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(source) => Err(StartupError::Io {
            what: format!("cannot read {}", path.display()),
            source,
        }),
    }
}

/// A single-file AOF from Redis before 7.0 (`dir/appendfilename`) becomes
/// the base of a multi-part AOF, as redis-server 7.0 migrates it.
fn upgrade_old_style_aof(
    srv: &mut Server,
    dir: &Path,
    prefix: &str,
    manifest: &mut Manifest,
) -> Result<(), StartupError> {
    let old = srv.config.dir.join(prefix);
    // As Redis: upgrade when the directory or its manifest is missing, or
    // when a previous upgrade stopped between writing the manifest (a lone
    // base named like the old file) and moving the file.
    let interrupted = manifest.incr.is_empty()
        && manifest.base.as_ref().is_some_and(|b| b.name == prefix)
        && !dir.join(prefix).exists();
    if !old.is_file() || !(manifest.is_empty() || !dir.is_dir() || interrupted) {
        return Ok(());
    }
    let io = |what: &str| {
        let what = what.to_owned();
        move |source| StartupError::Io { what, source }
    };
    std::fs::create_dir_all(dir).map_err(io("cannot create the append-only directory"))?;
    *manifest = Manifest {
        base: Some(manifest::Entry {
            name: prefix.to_owned(),
            seq: 1,
            kind: manifest::Kind::Base,
        }),
        base_seq: 1,
        history: std::mem::take(&mut manifest.history),
        ..Manifest::default()
    };
    manifest
        .persist(dir, prefix)
        .map_err(io("cannot write the AOF manifest"))?;
    std::fs::rename(&old, dir.join(prefix)).map_err(io("cannot move the old AOF file"))?;
    srv.log.notice(
        "Successfully migrated an old-style AOF file into the AOF directory",
        &[("file", Field::Str(prefix))],
    );
    Ok(())
}

/// Write an AOF base of `ks` to `path`: an RDB image or commands.
fn write_aof_base(ks: &Keyspace, path: &Path, preamble: bool, config: &Config) -> io::Result<()> {
    let file = File::create(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    if preamble {
        let options = snapshot::Options {
            aof_base: true,
            ..snapshot_options(config)
        };
        snapshot::write(ks, &mut out, &options).map_err(rewrite::io_error)?;
    } else {
        if config.aof_timestamp_enabled {
            // A rewrite records its time first, as Redis's does.
            write!(out, "#TS:{}\r\n", crate::server::clock::unix_ms() / 1000)?;
        }
        rewrite::write(ks, &mut out, config.rdb_key_save_delay).map_err(rewrite::io_error)?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// Open the AOF for appending (creating its base when it has none).
fn open_aof(
    srv: &mut Server,
    dir: PathBuf,
    prefix: &str,
    manifest: Manifest,
) -> Result<(), StartupError> {
    let preamble = srv.config.aof_use_rdb_preamble;
    let (ks, config) = (&srv.ks, &srv.config);
    let (aof, notes) = Aof::open(dir, prefix, manifest, preamble, |path| {
        write_aof_base(ks, path, preamble, config)
    })?;
    for note in notes {
        srv.log.notice(&note, &[]);
    }
    srv.persistence.aof = Some(aof);
    srv.feed.aof.active = true;
    srv.feed.aof.reselect();
    Ok(())
}

// ---------------------------------------------------------------------------
// The AOF at runtime

/// Before replies are written: the commands of this loop iteration reach
/// the AOF (and with `always`, the disk). With `everysec` and
/// `may_postpone`, a write is postponed while the fsync thread runs (two
/// seconds at most, as Redis does); callers about to fork or switch files
/// pass false, so nothing of before crosses over.
pub fn flush_aof(srv: &mut Server, may_postpone: bool) {
    let Some(aof) = srv.persistence.aof.as_mut() else {
        return;
    };
    // DEBUG AOF-FLUSH-SLEEP: widen the window between a write and its
    // reply for tests (only when there is something to write).
    if srv.debug.aof_flush_sleep_us > 0 && !srv.feed.aof.buf.is_empty() {
        std::thread::sleep(std::time::Duration::from_micros(
            srv.debug.aof_flush_sleep_us,
        ));
    }
    let sync_allowed = !(srv.config.no_appendfsync_on_rewrite && srv.persistence.child.is_some());
    let started = Instant::now();
    let result = aof.flush(
        &mut srv.feed.aof.buf,
        srv.config.appendfsync,
        sync_allowed,
        may_postpone,
    );
    let write_error = aof.write_error;
    if let Err(errno) = result {
        srv.log.warning(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
            &[("error", Field::Str(&strerror(errno)))],
        );
        std::process::exit(1);
    }
    if write_error.is_some() {
        srv.persistence.aof_error = write_error;
    }
    srv.latency_sample("aof-write", started.elapsed());
}

/// BGREWRITEAOF: start a rewrite child (the caller checked no child runs).
pub fn rewrite_background(srv: &mut Server) -> Result<(), String> {
    if srv.persistence.child.is_some() {
        return Err("a child process is already active".to_owned());
    }
    let dir = aof_dir(&srv.config);
    if srv.persistence.aof.is_none() && !srv.config.appendonly {
        return rewrite_offline(srv, dir);
    }
    if srv.persistence.aof.is_none() {
        // Turning the AOF on at runtime: collect writes in a temporary
        // INCR file until this rewrite's base exists.
        let manifest =
            read_manifest(&dir, &srv.config.appendfilename).map_err(|e| e.to_string())?;
        let aof = Aof::open_waiting(dir.clone(), &srv.config.appendfilename, manifest)
            .map_err(|e| e.to_string())?;
        srv.persistence.aof = Some(aof);
        srv.feed.aof.active = true;
        srv.feed.aof.reselect();
    } else if let Err(e) = std::fs::create_dir_all(&dir) {
        return Err(format!("cannot create {}: {e}", dir.display()));
    }
    flush_aof(srv, false);
    let Some(aof) = srv.persistence.aof.as_mut() else {
        return Err("the AOF is off".to_owned());
    };
    if let Err(e) = aof.begin_rewrite() {
        srv.persistence.aof_last_rewrite_ok = false;
        return Err(e.to_string());
    }
    srv.feed.aof.reselect();
    srv.persistence.aof_rewrites += 1;
    let preamble = srv.config.aof_use_rdb_preamble;
    let (ks, log, config) = (&srv.ks, &srv.log, &srv.config);
    let forked = child::fork(&[], || {
        child_write(log, "AOF base", || {
            let temp = dir.join(aof::temp_rewrite_name(std::process::id() as libc::pid_t));
            write_aof_base(ks, &temp, preamble, config)
        })
    });
    match forked {
        Ok(child) => {
            srv.log.notice(
                "Background append only file rewriting started",
                &[("pid", Field::Int(i64::from(child.pid)))],
            );
            srv.persistence.aof_rewrite_scheduled = false;
            srv.persistence.aof_pending_start = false;
            let keys = srv.ks.totals().0 as u64;
            srv.persistence
                .started(child, ChildKind::AofRewrite { preamble }, false, keys);
            Ok(())
        }
        Err(e) => {
            srv.persistence.aof_last_rewrite_ok = false;
            Err(format!("fork: {e}"))
        }
    }
}

/// CONFIG SET appendonly yes: a rewrite turns the AOF on (scheduled when
/// another child runs).
pub fn start_aof(srv: &mut Server) -> Result<(), String> {
    if srv.persistence.aof.is_some() && !srv.persistence.aof_pending_start {
        return Ok(());
    }
    if let Some(running) = &srv.persistence.child {
        if matches!(running.kind, ChildKind::AofRewrite { .. }) {
            kill_child(srv);
        } else {
            srv.persistence.aof_pending_start = true;
            srv.persistence.aof_rewrite_scheduled = true;
            srv.log.warning(
                "AOF was enabled but there is already another background operation. An AOF \
                 background was scheduled to start when possible.",
                &[],
            );
            return Ok(());
        }
    }
    if srv.transactions.in_exec() {
        srv.persistence.aof_pending_start = true;
        srv.persistence.aof_rewrite_scheduled = true;
        srv.log.warning(
            "AOF was enabled during a transaction. An AOF background was scheduled to start \
             when possible.",
            &[],
        );
        return Ok(());
    }
    rewrite_background(srv)
}

/// BGREWRITEAOF while the AOF is off, as Redis: a new base is written into
/// the AOF directory and named in its manifest (every INCR file becomes
/// history), and the AOF stays off.
fn rewrite_offline(srv: &mut Server, dir: PathBuf) -> Result<(), String> {
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return Err(format!("cannot create {}: {e}", dir.display()));
    }
    srv.persistence.aof_rewrites += 1;
    let preamble = srv.config.aof_use_rdb_preamble;
    let (ks, log, config) = (&srv.ks, &srv.log, &srv.config);
    let forked = child::fork(&[], || {
        child_write(log, "AOF base", || {
            let temp = dir.join(aof::temp_rewrite_name(std::process::id() as libc::pid_t));
            write_aof_base(ks, &temp, preamble, config)
        })
    });
    match forked {
        Ok(child) => {
            srv.log.notice(
                "Background append only file rewriting started",
                &[("pid", Field::Int(i64::from(child.pid)))],
            );
            srv.persistence.aof_rewrite_scheduled = false;
            let keys = srv.ks.totals().0 as u64;
            srv.persistence
                .started(child, ChildKind::AofRewrite { preamble }, false, keys);
            Ok(())
        }
        Err(e) => {
            srv.persistence.aof_last_rewrite_ok = false;
            srv.log.warning(
                "Can't rewrite append only file in background: fork failed",
                &[("error", Field::Str(&e.to_string()))],
            );
            Err(e.to_string())
        }
    }
}

/// The end of [`rewrite_offline`]'s child: its file becomes the base.
fn finish_offline_rewrite(
    srv: &mut Server,
    pid: libc::pid_t,
    preamble: bool,
    auto_gc: bool,
) -> Result<Vec<String>, String> {
    let dir = aof_dir(&srv.config);
    let prefix = srv.config.appendfilename.clone();
    let mut manifest = read_manifest(&dir, &prefix).map_err(|e| e.to_string())?;
    let base = manifest.new_base(&prefix, preamble);
    std::fs::rename(dir.join(aof::temp_rewrite_name(pid)), dir.join(&base))
        .map_err(|e| format!("cannot rename the temporary AOF base file into {base}: {e}"))?;
    let mut notes = vec![format!(
        "Successfully renamed the temporary AOF base file into {base}"
    )];
    manifest.retire_rewritten_incr(false);
    if auto_gc {
        for old in std::mem::take(&mut manifest.history) {
            notes.push(format!("Removing the history file {}", old.name));
            let _ = std::fs::remove_file(dir.join(&old.name));
        }
    }
    manifest
        .persist(&dir, &prefix)
        .map_err(|e| format!("cannot write the AOF manifest: {e}"))?;
    Ok(notes)
}

/// CONFIG SET appendonly no: write and fsync what is pending, close.
pub fn stop_aof(srv: &mut Server) {
    if matches!(
        srv.persistence.child_kind(),
        Some(ChildKind::AofRewrite { .. })
    ) {
        kill_child(srv);
    }
    srv.persistence.aof_pending_start = false;
    srv.persistence.aof_rewrite_scheduled = false;
    close_aof(srv);
}

fn close_aof(srv: &mut Server) {
    if let Some(aof) = srv.persistence.aof.take() {
        srv.log.notice("Calling fsync() on the AOF file.", &[]);
        if let Some(errno) = aof.close(&mut srv.feed.aof.buf) {
            srv.log.warning(
                "Fail to fsync the AOF file",
                &[("error", Field::Str(&strerror(errno)))],
            );
        }
    }
    srv.feed.aof.active = false;
    srv.feed.aof.buf.clear();
    srv.persistence.aof_error = None;
}

/// Stop a running child on purpose (not counted as a failure).
pub fn kill_child(srv: &mut Server) {
    let Some(running) = srv.persistence.take_child() else {
        return;
    };
    let pid = running.child.pid;
    let kind = running.kind;
    // Redis's wording for an AOF rewrite child, which tests look for.
    let what = match kind {
        ChildKind::AofRewrite { .. } => "Killing running AOF rewrite child",
        _ => "Killing the running child",
    };
    srv.log.warning(
        what,
        &[
            ("pid", Field::Int(i64::from(pid))),
            ("kind", Field::Str(child_name(kind))),
        ],
    );
    let diskless = running.diskless;
    running.child.kill();
    if kind == ChildKind::Rdb {
        srv.persistence.rdb_child_done = Some(RdbChildDone {
            pid,
            ok: false,
            diskless,
        });
    }
    remove_child_files(srv, pid, kind);
}

fn child_name(kind: ChildKind) -> &'static str {
    match kind {
        ChildKind::Rdb => "rdb",
        ChildKind::AofRewrite { .. } => "aof-rewrite",
    }
}

fn remove_child_files(srv: &mut Server, pid: libc::pid_t, kind: ChildKind) {
    match kind {
        ChildKind::Rdb => {
            let _ = std::fs::remove_file(srv.config.dir.join(format!("temp-{pid}.rdb")));
        }
        ChildKind::AofRewrite { .. } => match &srv.persistence.aof {
            Some(aof) => aof.abandon_rewrite(pid),
            None => {
                let _ =
                    std::fs::remove_file(aof_dir(&srv.config).join(aof::temp_rewrite_name(pid)));
            }
        },
    }
}

// ---------------------------------------------------------------------------
// Cron

/// Periodic work: reap a finished child, start scheduled or due saves and
/// rewrites, and notice AOF write errors.
pub fn cron(srv: &mut Server) {
    if let Some(running) = srv.persistence.child.as_mut()
        && let Some(reaped) = running.child.try_reap()
        && let Some(running) = srv.persistence.take_child()
    {
        match running.kind {
            ChildKind::Rdb => bgsave_done(srv, &running, reaped),
            ChildKind::AofRewrite { preamble } => rewrite_done(srv, &running, reaped, preamble),
        }
    }
    check_aof_errors(srv);
    if let Some(running) = srv.persistence.child.as_mut() {
        running.child.poll_progress();
        return;
    }
    if srv.persistence.aof_rewrite_scheduled {
        if let Err(e) = rewrite_background(srv) {
            log_failure(srv, "Scheduled AOF rewrite failed to start", &e);
        }
        return;
    }
    if srv.persistence.bgsave_scheduled {
        srv.persistence.bgsave_scheduled = false;
        if let Err(e) = bgsave(srv) {
            log_failure(srv, "Scheduled BGSAVE failed to start", &e);
        }
        return;
    }
    let now = now_secs();
    let dirty = srv.signals.dirty;
    let p = &srv.persistence;
    let due = srv.config.save.iter().find(|sp| {
        dirty >= sp.changes
            && now - p.lastsave > sp.seconds as i64
            && (now - p.lastbgsave_try > BGSAVE_RETRY_DELAY || p.last_bgsave_ok)
    });
    if let Some(point) = due.copied() {
        srv.log.notice(
            &format!(
                "{} changes in {} seconds. Saving...",
                point.changes, point.seconds
            ),
            &[],
        );
        let _ = bgsave(srv);
        return;
    }
    let Some(aof) = &srv.persistence.aof else {
        return;
    };
    let perc = srv.config.auto_aof_rewrite_percentage;
    if aof.waiting_rewrite || perc == 0 || aof.current_size <= srv.config.auto_aof_rewrite_min_size
    {
        return;
    }
    let base = aof.base_size.max(1);
    let growth = (aof.current_size * 100 / base) as i64 - 100;
    if growth < perc as i64 || aof_rewrite_limited(srv) {
        return;
    }
    srv.log.notice(
        &format!("Starting automatic rewriting of AOF on {growth}% growth"),
        &[],
    );
    if let Err(e) = rewrite_background(srv) {
        log_failure(srv, "Automatic AOF rewrite failed to start", &e);
    }
}

fn log_failure(srv: &Server, message: &str, error: &str) {
    srv.log.warning(message, &[("error", Field::Str(error))]);
}

/// Whether an automatic rewrite must wait, as Redis's aofRewriteLimited:
/// after three failed rewrites in a row, automatic ones wait 1 minute, then
/// (failing again) 2, 4 ... up to 60; BGREWRITEAOF is never held back, and
/// a success ends the limit.
fn aof_rewrite_limited(srv: &mut Server) -> bool {
    let p = &mut srv.persistence;
    if p.aof_rewrites_consecutive_failures < 3 {
        p.aof_rewrite_not_before = None;
        p.aof_rewrite_next_delay_minutes = 0;
        return false;
    }
    if let Some(at) = p.aof_rewrite_not_before {
        if Instant::now() < at {
            return true;
        }
        p.aof_rewrite_not_before = None;
        return false;
    }
    let minutes = match p.aof_rewrite_next_delay_minutes {
        0 => 1,
        m => (m * 2).min(60),
    };
    p.aof_rewrite_next_delay_minutes = minutes;
    p.aof_rewrite_not_before = Some(Instant::now() + std::time::Duration::from_secs(minutes * 60));
    srv.log.warning(
        &format!(
            "Background AOF rewrite has repeatedly failed and triggered the limit, will retry \
             in {minutes} minutes"
        ),
        &[],
    );
    true
}

/// Write and fsync errors become the server's (refusing writes) and
/// clear when a write succeeds again.
fn check_aof_errors(srv: &mut Server) {
    let now = srv.persistence.aof.as_ref().and_then(Aof::error);
    let before = srv.persistence.aof_error;
    if now == before {
        return;
    }
    match now {
        Some(errno) => srv.log.warning(
            "Error writing to the AOF file",
            &[("error", Field::Str(&strerror(errno)))],
        ),
        None => srv
            .log
            .warning("AOF write error looks solved, Redis can write again.", &[]),
    }
    srv.persistence.aof_error = now;
}

fn bgsave_done(srv: &mut Server, running: &Running, reaped: Reaped) {
    let p = &mut srv.persistence;
    let diskless = running.diskless;
    p.rdb_child_done = Some(RdbChildDone {
        pid: running.child.pid,
        ok: reaped.exit.success(),
        diskless,
    });
    if !diskless {
        p.rdb_last_bgsave_time_sec = running.child.started.elapsed().as_secs() as i64;
    }
    match reaped.exit {
        Exit::Code(0) => {
            srv.log
                .notice("Background saving terminated with success", &[]);
            p.rdb_last_cow_size = reaped.cow_bytes;
            if !diskless {
                srv.signals.dirty = srv.signals.dirty.saturating_sub(p.dirty_before_bgsave);
                p.lastsave = now_secs();
                p.last_bgsave_ok = true;
            }
        }
        Exit::Code(_) => {
            srv.log.warning("Background saving error", &[]);
            if !diskless {
                p.last_bgsave_ok = false;
            }
        }
        Exit::Signal(signal) => {
            srv.log.warning(
                "Background saving terminated by signal",
                &[("signal", Field::Int(i64::from(signal)))],
            );
            if signal != libc::SIGUSR1 && !diskless {
                p.last_bgsave_ok = false;
            }
            remove_child_files(srv, running.child.pid, ChildKind::Rdb);
        }
    }
}

fn rewrite_done(srv: &mut Server, running: &Running, reaped: Reaped, preamble: bool) {
    let pid = running.child.pid;
    let auto_gc = !srv.config.aof_disable_auto_gc;
    let p = &mut srv.persistence;
    p.aof_last_rewrite_time_sec = running.child.started.elapsed().as_secs() as i64;
    let outcome = match (reaped.exit, p.aof.as_mut()) {
        (Exit::Code(0), Some(aof)) => aof
            .finish_rewrite(pid, preamble, auto_gc)
            .map_err(|e| e.to_string()),
        (Exit::Code(0), None) if !srv.config.appendonly => {
            finish_offline_rewrite(srv, pid, preamble, auto_gc)
        }
        (Exit::Code(0), None) => Err("the AOF was turned off".to_owned()),
        (Exit::Code(code), _) => Err(format!("the child exited with status {code}")),
        (Exit::Signal(signal), _) => Err(format!("the child was terminated by signal {signal}")),
    };
    match outcome {
        Ok(notes) => {
            for note in notes {
                srv.log.notice(&note, &[]);
            }
            let p = &mut srv.persistence;
            p.aof_last_rewrite_ok = true;
            p.aof_rewrites_consecutive_failures = 0;
            p.aof_last_cow_size = reaped.cow_bytes;
            srv.log
                .notice("Background AOF rewrite finished successfully", &[]);
        }
        Err(why) => {
            remove_child_files(srv, pid, running.kind);
            let p = &mut srv.persistence;
            let on_purpose = reaped.exit == Exit::Signal(libc::SIGUSR1);
            if !on_purpose {
                p.aof_last_rewrite_ok = false;
                p.aof_rewrites_consecutive_failures += 1;
            }
            if let Some(aof) = p.aof.as_ref().filter(|a| a.waiting_rewrite) {
                // The AOF is still being turned on: try again. What the
                // temporary INCR file collected is dropped, as Redis
                // does: the next rewrite's base holds all of it.
                let name = aof::temp_incr_name(&aof.prefix);
                let _ = std::fs::remove_file(aof.dir.join(&name));
                srv.feed.aof.buf.clear();
                p.aof_rewrite_scheduled = true;
                srv.log.notice(
                    &format!("Removing the temp incr aof file {name} in the background"),
                    &[],
                );
            }
            srv.log.warning(
                "Background AOF rewrite terminated with error",
                &[("error", Field::Str(&why))],
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Shutdown, FLUSHALL, refusing writes

/// What SHUTDOWN was asked to do about the snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownSave {
    /// Save when save points are configured.
    Default,
    Save,
    NoSave,
}

/// Everything before the process exits: stop a child, write and fsync
/// the AOF, save the final snapshot. False (the snapshot could not be
/// written and `force` is not set, or the AOF is still being turned on)
/// means the server must keep running, as Redis does.
pub fn prepare_shutdown(srv: &mut Server, save_mode: ShutdownSave, force: bool) -> bool {
    if let Some(kind) = srv.persistence.child_kind() {
        let waiting = srv
            .persistence
            .aof
            .as_ref()
            .is_some_and(|a| a.waiting_rewrite);
        if matches!(kind, ChildKind::AofRewrite { .. }) && waiting && !force {
            srv.log.warning("Writing initial AOF, can't exit.", &[]);
            return false;
        }
        kill_child(srv);
    }
    if let Some(aof) = srv.persistence.aof.as_mut() {
        srv.log.notice("Calling fsync() on the AOF file.", &[]);
        let _ = aof.flush(
            &mut srv.feed.aof.buf,
            crate::server::config::Fsync::Always,
            true,
            false,
        );
    }
    let configured = !srv.config.save.is_empty();
    if (configured && save_mode != ShutdownSave::NoSave) || save_mode == ShutdownSave::Save {
        srv.log
            .notice("Saving the final RDB snapshot before exiting.", &[]);
        if save(srv).is_err() {
            if force {
                srv.log
                    .warning("Error trying to save the DB. Exit anyway.", &[]);
            } else {
                srv.log
                    .warning("Error trying to save the DB, can't exit.", &[]);
                return false;
            }
        }
    }
    close_aof(srv);
    true
}

/// FLUSHALL: a snapshot being written is now stale; with save points the
/// empty dataset is saved at once, as Redis does.
pub fn after_flushall(srv: &mut Server) {
    if srv.persistence.child_kind() == Some(ChildKind::Rdb) {
        kill_child(srv);
    }
    if !srv.config.save.is_empty() {
        let _ = save(srv);
    }
}

/// The error refusing write commands, when the disk is failing.
pub fn write_denied(srv: &Server) -> Option<String> {
    let p = &srv.persistence;
    if srv.config.stop_writes_on_bgsave_error && !srv.config.save.is_empty() && !p.last_bgsave_ok {
        return Some(
            "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to \
             persist to disk. Commands that may modify the data set are disabled, because this \
             instance is configured to report errors during writes if RDB snapshotting fails \
             (stop-writes-on-bgsave-error option). Please check the Redis logs for details about \
             the RDB error."
                .to_owned(),
        );
    }
    p.aof_error.map(|errno| {
        format!(
            "-MISCONF Errors writing to the AOF file: {}",
            strerror(errno)
        )
    })
}

/// DEBUG RELOAD: save (unless `nosave`), empty the keyspace (unless
/// `noflush`: the snapshot's keys are then merged in, replacing keys of
/// the same name), load the snapshot back.
pub fn reload(srv: &mut Server, nosave: bool, existing: snapshot::Existing) -> Result<(), String> {
    if !nosave {
        save(srv)?;
    }
    let path = rdb_path(&srv.config);
    let map = crate::input::map(&path).map_err(|e| e.to_string())?;
    if existing == snapshot::Existing::Cleared {
        for db in &mut srv.ks.dbs {
            db.clear();
        }
    }
    snapshot::load_over(&mut srv.ks, &map, existing).map_err(|e| e.to_string())?;
    srv.signals.dirty = 0;
    Ok(())
}

/// DEBUG LOADAOF: write out the AOF, empty the keyspace, replay the AOF.
pub fn reload_aof(srv: &mut Server) -> Result<(), String> {
    if let Some(aof) = srv.persistence.aof.as_mut() {
        aof.flush(
            &mut srv.feed.aof.buf,
            crate::server::config::Fsync::Always,
            true,
            false,
        )
        .map_err(strerror)?;
        aof.wait_fsync_idle();
    }
    // As Redis: the manifest on disk says what to load (the temporary INCR
    // file of an AOF being turned on is not in it), whether the AOF is on
    // or not.
    let dir = aof_dir(&srv.config);
    let manifest = read_manifest(&dir, &srv.config.appendfilename).map_err(|e| e.to_string())?;
    for db in &mut srv.ks.dbs {
        db.clear();
    }
    if !manifest.is_empty() {
        let truncated_ok = srv.config.aof_load_truncated;
        let active = std::mem::replace(&mut srv.feed.aof.active, false);
        let result = aof_load::load(srv, &dir, &manifest, truncated_ok);
        srv.feed.aof.active = active;
        result.map_err(|e| e.to_string())?;
    }
    srv.signals.dirty = 0;
    srv.log
        .warning("Append Only File loaded by DEBUG LOADAOF", &[]);
    Ok(())
}

/// INFO persistence, with Redis's field names (and one of sonde's own).
pub fn info_fields(srv: &Server) -> Vec<(&'static str, String)> {
    let p = &srv.persistence;
    let kind = p.child_kind();
    let running_secs = |wanted: bool| match (&p.child, wanted) {
        (Some(r), true) => (now_secs() - r.child.started_unix).to_string(),
        _ => "-1".to_owned(),
    };
    let status = |ok: bool| if ok { "ok" } else { "err" }.to_owned();
    let rdb_child = kind == Some(ChildKind::Rdb);
    let aof_child = matches!(kind, Some(ChildKind::AofRewrite { .. }));
    let async_loading = p.loading.as_ref().is_some_and(|l| l.async_loading);
    let mut fields = vec![(
        "loading",
        u8::from(p.loading.is_some() && !async_loading).to_string(),
    )];
    if let Some(l) = &p.loading {
        // Redis's fields while it loads.
        let loaded = super::loading::loaded_bytes().min(l.total_bytes);
        let elapsed = (now_secs() - l.started_unix).max(0) as u64;
        let perc = if l.total_bytes == 0 {
            0.0
        } else {
            loaded as f64 * 100.0 / l.total_bytes as f64
        };
        let eta = ((l.total_bytes - loaded) * elapsed)
            .checked_div(loaded)
            .unwrap_or(1);
        fields.extend([
            ("loading_start_time", l.started_unix.to_string()),
            ("loading_total_bytes", l.total_bytes.to_string()),
            ("loading_rdb_used_mem", "0".to_owned()),
            ("loading_loaded_bytes", loaded.to_string()),
            ("loading_loaded_perc", format!("{perc:.2}")),
            ("loading_eta_seconds", eta.to_string()),
        ]);
    }
    fields.extend([("async_loading", u8::from(async_loading).to_string())]);
    // What the running child last reported (Redis's child info).
    let (progress, total) = p.child.as_ref().map_or((Default::default(), 0), |r| {
        (r.child.progress, r.keys_total)
    });
    let perc = if total == 0 {
        0.0
    } else {
        progress.keys as f64 * 100.0 / total as f64
    };
    fields.extend([
        ("current_cow_peak", progress.cow_peak.to_string()),
        ("current_cow_size", progress.cow.to_string()),
        (
            "current_cow_size_age",
            progress
                .reported
                .map_or(0, |t| t.elapsed().as_secs())
                .to_string(),
        ),
        ("current_fork_perc", format!("{perc:.2}")),
        ("current_save_keys_processed", progress.keys.to_string()),
        ("current_save_keys_total", total.to_string()),
        ("rdb_changes_since_last_save", srv.signals.dirty.to_string()),
        ("rdb_bgsave_in_progress", u8::from(rdb_child).to_string()),
        ("rdb_last_save_time", p.lastsave.to_string()),
        ("rdb_last_bgsave_status", status(p.last_bgsave_ok)),
        (
            "rdb_last_bgsave_time_sec",
            p.rdb_last_bgsave_time_sec.to_string(),
        ),
        ("rdb_current_bgsave_time_sec", running_secs(rdb_child)),
        ("rdb_saves", p.rdb_saves.to_string()),
        ("rdb_last_cow_size", p.rdb_last_cow_size.to_string()),
        (
            "rdb_last_load_keys_expired",
            p.rdb_last_load_keys_expired.to_string(),
        ),
        (
            "rdb_last_load_keys_loaded",
            p.rdb_last_load_keys_loaded.to_string(),
        ),
        (
            "aof_enabled",
            u8::from(p.aof.is_some() || p.aof_pending_start).to_string(),
        ),
        ("aof_rewrite_in_progress", u8::from(aof_child).to_string()),
        (
            "aof_rewrite_scheduled",
            u8::from(p.aof_rewrite_scheduled).to_string(),
        ),
        (
            "aof_last_rewrite_time_sec",
            p.aof_last_rewrite_time_sec.to_string(),
        ),
        ("aof_current_rewrite_time_sec", running_secs(aof_child)),
        ("aof_last_bgrewrite_status", status(p.aof_last_rewrite_ok)),
        ("aof_rewrites", p.aof_rewrites.to_string()),
        (
            "aof_rewrites_consecutive_failures",
            p.aof_rewrites_consecutive_failures.to_string(),
        ),
        ("aof_last_write_status", status(p.aof_error.is_none())),
        ("aof_last_cow_size", p.aof_last_cow_size.to_string()),
        ("module_fork_in_progress", "0".to_owned()),
        ("module_fork_last_cow_size", "0".to_owned()),
    ]);
    if let Some(aof) = &p.aof {
        fields.extend([
            ("aof_current_size", aof.current_size.to_string()),
            ("aof_base_size", aof.base_size.to_string()),
            (
                "aof_pending_rewrite",
                u8::from(p.aof_rewrite_scheduled).to_string(),
            ),
            ("aof_buffer_length", srv.feed.aof.buf.len().to_string()),
            (
                "aof_pending_bio_fsync",
                u8::from(aof.fsync_in_progress()).to_string(),
            ),
            ("aof_delayed_fsync", aof.delayed_fsync.to_string()),
            (
                "sonde_aof_max_write_usec",
                aof.max_write.as_micros().to_string(),
            ),
        ]);
    }
    fields
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    use super::*;
    use crate::output::log::{Level, LogFormat};
    use crate::server::types::{Str, Value};

    #[test]
    fn a_child_streams_a_snapshot_through_a_pipe_and_it_loads_back() {
        let mut srv = Server::new(
            Config::default(),
            Logger::stderr(LogFormat::Text, Level::Warning),
        );
        for i in 0..20_000 {
            let key = format!("key:{i}");
            srv.ks.dbs[i % 3].set(key.as_bytes(), Value::String(Str::Int(i as i64)), false);
        }
        srv.ks.dbs[1].set_expire(b"key:1", i64::MAX / 4);
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the array it is given.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: both descriptors were just created and are owned here.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // Non-blocking, as a replica's socket would be: the child waits.
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let repl = snapshot::ReplInfo {
            stream_db: 0,
            replid: "0123456789012345678901234567890123456789",
            offset: 42,
        };
        let pid = bgsave_to(
            &mut srv,
            SnapshotTarget::Descriptor(vec![write]),
            Some(repl),
        )
        .unwrap();
        assert!(bgsave_to(&mut srv, SnapshotTarget::DumpFile, None).is_err());
        // The pipe holds 64 kB: the child blocks until this reads it all,
        // and the end of file comes when the child exits.
        let mut image = Vec::new();
        std::fs::File::from(read).read_to_end(&mut image).unwrap();
        assert!(image.len() > 100_000);
        while srv.persistence.child.is_some() {
            cron(&mut srv);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let done = srv.persistence.rdb_child_done.take().unwrap();
        assert_eq!((done.pid, done.ok, done.diskless), (pid, true, true));
        assert_eq!(srv.persistence.rdb_saves, 0, "not a save to disk");
        let mut back = Keyspace::new(16);
        let loaded = snapshot::load(&mut back, &image, None).unwrap();
        assert_eq!(loaded.keys, 20_000);
        assert_eq!(back.dbs[1].expire_of(b"key:1"), Some(i64::MAX / 4));
        let found = crate::rdb::events(&image)
            .filter_map(Result::ok)
            .any(|e| matches!(e.event, crate::rdb::Event::Aux { ref key, .. } if key.to_bytes().is_ok_and(|k| *k == *b"repl-offset")));
        assert!(found, "the replication aux fields are written");
    }
}
