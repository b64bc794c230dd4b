//! The file WAL: segment files in a directory (local disk, EBS, or a path another broker can reach), one writer
//! thread doing group commit.
//!
//! Why a dedicated thread: a 4 KiB write plus `fdatasync` costs about 5.5 ms on this class of disk (about 180 per
//! second), so the only way to serve thousands of appends per second at single-digit-millisecond latency is to
//! sync many appends at once. The writer takes every append queued while the previous sync ran, writes them as one
//! frame with one vectored write, syncs once, checks that it still owns the directory, then answers all of them.
//! Blocking calls stay on that thread; appending tasks only encode (CRC on their own core) and enqueue.
//!
//! Ownership: every open claims the directory for a new generation (an `owner-<generation>` file created with
//! create-new semantics). A writer checks, after each sync and before acknowledging, that no later claim exists, so
//! a broker taking over a shared directory stops the old writer from acknowledging anything its replay might miss.
//! What this can and cannot guarantee on which file systems is in `docs/wal.md`.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{IoSlice, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use tokio::sync::oneshot;

use self::segment::{
    FRAME_HEADER_LEN, SEGMENT_HEADER_LEN, ScannedSegment, SegmentHeader, SegmentId,
    encode_frame_header, io_error, sync_dir,
};
use super::failpoint::{self, FailPoints};
use super::record::EncodedRecord;
use super::{AppendFuture, Replayed, Wal, WalPosition, WalRecord, WalReplay, fail_all, replicate};
use crate::error::{Error, Result};
use crate::types::{Epoch, NodeId};

mod segment;
#[cfg(test)]
mod tests;

/// Failpoint names of the file WAL.
pub mod failpoints {
    /// The writer has written a commit's frame and is about to sync it. Failing it fails the sync.
    pub const BEFORE_SYNC: &str = "file_wal.before_sync";
    /// The writer found no room under `max_bytes` for the next append and is about to wait for a trim.
    pub const WAITING_FOR_SPACE: &str = "file_wal.waiting_for_space";
}

#[derive(Debug, Clone)]
pub struct FileWalConfig {
    pub dir: PathBuf,
    pub node: NodeId,
    pub node_epoch: Epoch,
    /// A new segment file starts when the next commit would not fit this size (header included).
    pub segment_bytes: u64,
    /// Bound on bytes not yet trimmed (recovered ones included): beyond it, appends wait for a trim.
    pub max_bytes: u64,
    pub failpoints: Option<Arc<FailPoints>>,
}

impl FileWalConfig {
    /// Defaults: 64 MiB segments, 2 GiB bound (AutoMQ's removed disk WAL defaulted to 2 GiB).
    pub fn new(dir: impl Into<PathBuf>, node: NodeId, node_epoch: Epoch) -> Self {
        FileWalConfig {
            dir: dir.into(),
            node,
            node_epoch,
            segment_bytes: 64 << 20,
            max_bytes: 2 << 30,
            failpoints: None,
        }
    }

    fn validate(&self) -> Result<()> {
        let min_segment = SEGMENT_HEADER_LEN + FRAME_HEADER_LEN + 64;
        if self.segment_bytes < min_segment {
            return Err(Error::Invalid(format!(
                "file WAL segment_bytes must be at least {min_segment}"
            )));
        }
        if self.segment_bytes > u64::from(u32::MAX) {
            return Err(Error::Invalid(
                "file WAL segment_bytes must be under 4 GiB".to_string(),
            ));
        }
        if self.max_bytes < self.segment_bytes {
            return Err(Error::Invalid(format!(
                "file WAL max_bytes ({}) must be at least segment_bytes ({})",
                self.max_bytes, self.segment_bytes
            )));
        }
        Ok(())
    }
}

/// Counters since open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileWalStats {
    /// Appends accepted into the queue.
    pub appends: u64,
    /// Group commits written (one frame, one write, one data sync each).
    pub commits: u64,
    /// Every `fdatasync`/`fsync` issued: one per commit, plus file and directory syncs when segments are created.
    pub syncs: u64,
    /// Frame bytes written.
    pub bytes: u64,
    pub segments_created: u64,
    pub segments_deleted: u64,
}

#[derive(Debug, Default)]
struct Counters {
    appends: AtomicU64,
    commits: AtomicU64,
    syncs: AtomicU64,
    bytes: AtomicU64,
    segments_created: AtomicU64,
    segments_deleted: AtomicU64,
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

#[derive(Debug)]
struct Pending {
    record: EncodedRecord,
    tx: oneshot::Sender<Result<WalPosition>>,
}

/// A segment the WAL knows, oldest first. `base` is its start in one address space over all live segments, so
/// "bytes not yet trimmed" is a subtraction.
#[derive(Debug, Clone, Copy)]
struct Segment {
    id: SegmentId,
    base: u64,
    len: u64,
    sealed: bool,
    node: NodeId,
    node_epoch: Epoch,
}

#[derive(Debug)]
enum Status {
    Open,
    /// `close` was called: write what is queued, then stop.
    Closing,
    Closed,
    /// Fenced, or an I/O error (after a failed sync the page cache cannot be trusted: the WAL must be reopened
    /// and replayed, never retried).
    Failed(Error),
}

#[derive(Debug)]
struct State {
    queue: VecDeque<Pending>,
    segments: VecDeque<Segment>,
    /// Address just past the last durable byte.
    end: u64,
    /// Bytes taken by the commit being written.
    reserved: u64,
    trimmed_addr: u64,
    trimmed: Option<WalPosition>,
    status: Status,
}

#[derive(Debug)]
struct Shared {
    config: FileWalConfig,
    generation: u64,
    state: Mutex<State>,
    /// Wakes the writer: work queued, space freed, or close requested. Only the writer waits on it.
    wake: Condvar,
    counters: Counters,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fenced_error(&self) -> Error {
        Error::Fenced {
            what: format!("file WAL `{}` (generation)", self.config.dir.display()),
            held: self.generation,
            current: self.generation + 1,
        }
    }

    fn check_fence(&self) -> Result<()> {
        if segment::is_fenced(&self.config.dir, self.generation)? {
            Err(self.fenced_error())
        } else {
            Ok(())
        }
    }
}

/// The file WAL. Cheap to share behind an `Arc`; dropping it stops the writer after the queue drains.
#[derive(Debug)]
pub struct FileWal {
    shared: Arc<Shared>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Trims delete oldest first, one at a time, so a crash never leaves a hole in a generation's segments.
    trim_lock: tokio::sync::Mutex<()>,
}

impl FileWal {
    /// Opens `config.dir` as this node's WAL: claims a new generation (fencing whoever wrote before, this node's
    /// previous life or another node), scans what is there, and starts the writer. Segments found are replayed by
    /// [`recover`](WalReplay::recover) and count against `max_bytes` until trimmed. A survivor taking over a
    /// shared directory does the same, then recovers, uploads, trims and closes.
    pub async fn open(config: FileWalConfig) -> Result<FileWal> {
        config.validate()?;
        let (dir, node, node_epoch) = (config.dir.clone(), config.node, config.node_epoch);
        let (generation, scanned) =
            tokio::task::spawn_blocking(move || -> Result<(u64, Vec<ScannedSegment>)> {
                let generation = segment::claim(&dir, node, node_epoch)?;
                Ok((generation, segment::scan(&dir)?))
            })
            .await
            .map_err(|e| Error::Closed(format!("file WAL open task: {e}")))??;

        let mut segments = VecDeque::with_capacity(scanned.len());
        let mut end = 0;
        for s in scanned {
            segments.push_back(Segment {
                id: s.id,
                base: end,
                len: s.valid_len,
                sealed: true,
                node: s.node,
                node_epoch: s.node_epoch,
            });
            end += s.valid_len;
        }
        tracing::info!(dir = %config.dir.display(), generation, segments = segments.len(), bytes = end,
            "file WAL opened");
        let shared = Arc::new(Shared {
            config,
            generation,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                segments,
                end,
                reserved: 0,
                trimmed_addr: 0,
                trimmed: None,
                status: Status::Open,
            }),
            wake: Condvar::new(),
            counters: Counters::default(),
        });
        let writer = Writer {
            shared: shared.clone(),
            active: None,
            next_index: 0,
        };
        let handle = std::thread::Builder::new()
            .name(format!("file-wal-{generation}"))
            .spawn(move || writer.run())
            .map_err(|e| io_error("spawn writer thread", &shared.config.dir, e))?;
        Ok(FileWal {
            shared,
            writer: Mutex::new(Some(handle)),
            trim_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// The generation this open claimed (the `log` of every position it hands out).
    pub fn generation(&self) -> u64 {
        self.shared.generation
    }

    pub fn stats(&self) -> FileWalStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        FileWalStats {
            appends: get(&c.appends),
            commits: get(&c.commits),
            syncs: get(&c.syncs),
            bytes: get(&c.bytes),
            segments_created: get(&c.segments_created),
            segments_deleted: get(&c.segments_deleted),
        }
    }

    fn request_close(&self) {
        let mut st = self.shared.lock();
        if matches!(st.status, Status::Open) {
            st.status = Status::Closing;
        }
        drop(st);
        self.shared.wake.notify_one();
    }
}

impl Drop for FileWal {
    fn drop(&mut self) {
        self.request_close();
    }
}

#[async_trait]
impl WalReplay for FileWal {
    async fn recover(&self) -> Result<Vec<Replayed>> {
        let (segments, trimmed) = {
            let st = self.shared.lock();
            (st.segments.iter().copied().collect::<Vec<_>>(), st.trimmed)
        };
        let dir = self.shared.config.dir.clone();
        tokio::task::spawn_blocking(move || -> Result<Vec<Replayed>> {
            let mut out = Vec::new();
            let mut found_any = false;
            for s in segments {
                match segment::read_segment(&dir, s.id, s.len, s.node, s.node_epoch)? {
                    Some(records) => {
                        found_any = true;
                        out.extend(
                            records
                                .into_iter()
                                .filter(|r| trimmed.is_none_or(|t| r.position > t)),
                        );
                    }
                    // Deleted by a trim since the snapshot: only ever the oldest ones.
                    None if !found_any => {}
                    None => {
                        return Err(Error::Corrupt {
                            what: format!("file WAL `{}`", dir.display()),
                            detail: format!("segment {} vanished while older ones remain", s.id),
                        });
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| Error::Closed(format!("file WAL recover task: {e}")))?
    }

    async fn trim(&self, through: WalPosition) -> Result<()> {
        let _serial = self.trim_lock.lock().await;
        let doomed = {
            let mut st = self.shared.lock();
            if let Status::Failed(e) = &st.status {
                return Err(replicate(e));
            }
            let id = SegmentId {
                generation: through.log,
                index: through.segment,
            };
            let Some(seg) = st.segments.iter().find(|s| s.id == id).copied() else {
                return match st.segments.front() {
                    Some(first) if id > first.id => Err(Error::Invalid(format!(
                        "{through} is not a position of this file WAL"
                    ))),
                    // Older than everything left: already trimmed.
                    _ => Ok(()),
                };
            };
            if through.offset < SEGMENT_HEADER_LEN || through.offset > seg.len {
                return Err(Error::Invalid(format!(
                    "{through} is past the end of segment {id}"
                )));
            }
            let addr = seg.base + through.offset;
            if addr > st.trimmed_addr {
                st.trimmed_addr = addr;
                st.trimmed = Some(through);
                self.shared.wake.notify_one();
            }
            let mut doomed = Vec::new();
            while let Some(first) = st.segments.front().copied() {
                if !first.sealed || first.base + first.len > st.trimmed_addr {
                    break;
                }
                st.segments.pop_front();
                doomed.push(first.id);
            }
            doomed
        };
        if doomed.is_empty() {
            return Ok(());
        }
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || -> Result<()> {
            // A fenced zombie must not delete what the new owner may still be replaying.
            shared.check_fence()?;
            let dir = &shared.config.dir;
            for id in doomed {
                let path = dir.join(id.file_name());
                match std::fs::remove_file(&path) {
                    Ok(()) => bump(&shared.counters.segments_deleted, 1),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_error("delete segment", &path, e)),
                }
                sync_dir(dir)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| Error::Closed(format!("file WAL trim task: {e}")))?
    }
}

#[async_trait]
impl Wal for FileWal {
    fn append(&self, record: WalRecord) -> AppendFuture {
        let record = match EncodedRecord::encode(&record) {
            Ok(r) => r,
            Err(e) => return AppendFuture::failed(e),
        };
        let frame = FRAME_HEADER_LEN + record.len() as u64;
        if SEGMENT_HEADER_LEN + frame > self.shared.config.segment_bytes {
            return AppendFuture::failed(Error::Invalid(format!(
                "a WAL record of {} bytes does not fit a {}-byte segment",
                record.len(),
                self.shared.config.segment_bytes
            )));
        }
        let (tx, future) = AppendFuture::pending();
        let mut st = self.shared.lock();
        match &st.status {
            Status::Open => {}
            Status::Closing | Status::Closed => {
                return AppendFuture::failed(Error::Closed(format!(
                    "file WAL `{}`",
                    self.shared.config.dir.display()
                )));
            }
            Status::Failed(e) => return AppendFuture::failed(replicate(e)),
        }
        st.queue.push_back(Pending { record, tx });
        drop(st);
        bump(&self.shared.counters.appends, 1);
        self.shared.wake.notify_one();
        future
    }

    async fn close(&self) -> Result<()> {
        self.request_close();
        let handle = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            tokio::task::spawn_blocking(move || handle.join())
                .await
                .map_err(|e| Error::Closed(format!("file WAL close task: {e}")))?
                .map_err(|_| Error::Closed("file WAL writer panicked".to_string()))?;
        }
        match &self.shared.lock().status {
            Status::Failed(e) => Err(replicate(e)),
            _ => Ok(()),
        }
    }
}

/// The segment the writer appends to.
#[derive(Debug)]
struct Active {
    id: SegmentId,
    file: File,
    len: u64,
}

/// What the writer takes for one commit.
#[derive(Debug)]
struct Commit {
    pending: Vec<Pending>,
    /// The commit goes into a new segment.
    roll: bool,
    frame_len: u64,
}

#[derive(Debug)]
struct Writer {
    shared: Arc<Shared>,
    active: Option<Active>,
    next_index: u64,
}

enum Step {
    Commit(Commit),
    NoSpace,
    Exit,
}

impl Writer {
    fn run(mut self) {
        let mut announced_wait = false;
        loop {
            match self.next_step(announced_wait) {
                Step::Commit(commit) => {
                    announced_wait = false;
                    self.commit(commit);
                }
                Step::NoSpace => {
                    // Announce outside the lock (a paused hook must not block appenders), then look again.
                    failpoint::hit_blocking(
                        &self.shared.config.failpoints,
                        failpoints::WAITING_FOR_SPACE,
                    );
                    announced_wait = true;
                }
                Step::Exit => break,
            }
        }
    }

    /// Takes the next commit: every queued append, in order, that fits the segment and the size bound.
    fn next_step(&self, announced_wait: bool) -> Step {
        let shared = &self.shared;
        let config = &shared.config;
        let mut st = shared.lock();
        loop {
            if let Status::Failed(e) = &st.status {
                let e = replicate(e);
                fail_all(st.queue.drain(..).map(|p| p.tx), &e);
                return Step::Exit;
            }
            let Some(head) = st.queue.front() else {
                if matches!(st.status, Status::Closing | Status::Closed) {
                    st.status = Status::Closed;
                    return Step::Exit;
                }
                st = shared.wake.wait(st).unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            let head_frame = FRAME_HEADER_LEN + head.record.len() as u64;
            let (roll, used) = match &self.active {
                Some(a) if a.len + head_frame <= config.segment_bytes => (false, a.len),
                _ => (true, SEGMENT_HEADER_LEN),
            };
            let header = if roll { SEGMENT_HEADER_LEN } else { 0 };
            let room_in_segment = config.segment_bytes - used;
            let untrimmed = st.end + st.reserved - st.trimmed_addr;
            let room_in_bound = config
                .max_bytes
                .saturating_sub(untrimmed)
                .saturating_sub(header);
            let budget = room_in_segment.min(room_in_bound);

            let mut frame_len = FRAME_HEADER_LEN;
            let mut take = 0;
            for p in &st.queue {
                let len = p.record.len() as u64;
                if frame_len + len > budget {
                    break;
                }
                frame_len += len;
                take += 1;
            }
            if take == 0 {
                if matches!(st.status, Status::Closing) {
                    // No room and asked to stop: do not hang `close` on a trim that may never come.
                    let e = Error::Closed(format!(
                        "file WAL `{}` (closed while full)",
                        config.dir.display()
                    ));
                    fail_all(st.queue.drain(..).map(|p| p.tx), &e);
                    st.status = Status::Closed;
                    return Step::Exit;
                }
                if !announced_wait {
                    return Step::NoSpace;
                }
                st = shared.wake.wait(st).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            st.reserved += frame_len + header;
            let pending = st.queue.drain(..take).collect();
            return Step::Commit(Commit {
                pending,
                roll,
                frame_len,
            });
        }
    }

    fn commit(&mut self, commit: Commit) {
        match self.write(&commit) {
            Ok(positions) => {
                for (p, position) in commit.pending.into_iter().zip(positions) {
                    let _ = p.tx.send(Ok(position));
                }
            }
            Err(e) => {
                tracing::error!(dir = %self.shared.config.dir.display(), error = %e, "file WAL commit failed");
                fail_all(commit.pending.into_iter().map(|p| p.tx), &e);
                let mut st = self.shared.lock();
                fail_all(st.queue.drain(..).map(|p| p.tx), &e);
                st.status = Status::Failed(e);
            }
        }
    }

    fn write(&mut self, commit: &Commit) -> Result<Vec<WalPosition>> {
        if commit.roll {
            self.roll()?;
        }
        let config = &self.shared.config;
        let Some(active) = self.active.as_mut() else {
            return Err(Error::Closed("file WAL has no active segment".to_string()));
        };
        let path = config.dir.join(active.id.file_name());
        let offset = active.len;
        let body_len = u32::try_from(commit.frame_len - FRAME_HEADER_LEN)
            .map_err(|_| Error::Invalid("commit over 4 GiB".to_string()))?;
        let count = u32::try_from(commit.pending.len())
            .map_err(|_| Error::Invalid("too many records".to_string()))?;
        let frame_header = encode_frame_header(active.id.index, offset, body_len, count);

        let mut slices = Vec::with_capacity(1 + 2 * commit.pending.len());
        slices.push(IoSlice::new(&frame_header));
        let mut positions = Vec::with_capacity(commit.pending.len());
        let mut end = offset + FRAME_HEADER_LEN;
        for p in &commit.pending {
            slices.push(IoSlice::new(p.record.header()));
            if !p.record.payload().is_empty() {
                slices.push(IoSlice::new(p.record.payload()));
            }
            end += p.record.len() as u64;
            positions.push(WalPosition {
                log: active.id.generation,
                segment: active.id.index,
                offset: end,
            });
        }
        write_all_vectored(&mut active.file, &mut slices)
            .map_err(|e| io_error("write frame", &path, e))?;

        if failpoint::hit_blocking(&config.failpoints, failpoints::BEFORE_SYNC) {
            return Err(io_error(
                "fdatasync segment",
                &path,
                std::io::Error::other("injected sync failure"),
            ));
        }
        active
            .file
            .sync_data()
            .map_err(|e| io_error("fdatasync segment", &path, e))?;
        bump(&self.shared.counters.syncs, 1);
        // Durable now; acknowledge only if nobody claimed the directory in the meantime (see docs/wal.md).
        self.shared.check_fence()?;

        active.len += commit.frame_len;
        let (len, id) = (active.len, active.id);
        let mut st = self.shared.lock();
        st.end += commit.frame_len;
        st.reserved -= commit.frame_len;
        if let Some(last) = st.segments.back_mut().filter(|s| s.id == id) {
            last.len = len;
        }
        drop(st);
        bump(&self.shared.counters.commits, 1);
        bump(&self.shared.counters.bytes, commit.frame_len);
        Ok(positions)
    }

    /// Seals the active segment and starts the next one: create-new, header, sync file and directory.
    fn roll(&mut self) -> Result<()> {
        let shared = &self.shared;
        let config = &shared.config;
        let id = SegmentId {
            generation: shared.generation,
            index: self.next_index,
        };
        let prev = shared.lock().segments.back().map(|s| (s.id, s.len));
        let header = SegmentHeader {
            id,
            node: config.node,
            node_epoch: config.node_epoch,
            prev,
        }
        .encode();
        let path = config.dir.join(id.file_name());
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io_error("create segment", &path, e))?;
        file.write_all(&header)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error("write segment header", &path, e))?;
        sync_dir(&config.dir)?;
        bump(&shared.counters.syncs, 2);
        bump(&shared.counters.segments_created, 1);
        self.next_index += 1;

        let mut st = shared.lock();
        if let Some(last) = st.segments.back_mut() {
            last.sealed = true;
        }
        let base = st.end;
        st.segments.push_back(Segment {
            id,
            base,
            len: SEGMENT_HEADER_LEN,
            sealed: false,
            node: config.node,
            node_epoch: config.node_epoch,
        });
        st.end += SEGMENT_HEADER_LEN;
        st.reserved -= SEGMENT_HEADER_LEN;
        drop(st);
        self.active = Some(Active {
            id,
            file,
            len: SEGMENT_HEADER_LEN,
        });
        Ok(())
    }
}

/// `write_all` for a list of buffers: `writev` may write part of them.
fn write_all_vectored(file: &mut File, mut slices: &mut [IoSlice<'_>]) -> std::io::Result<()> {
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
