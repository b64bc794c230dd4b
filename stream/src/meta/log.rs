//! [`LogStore`]: the metadata log's objects on an `ObjectStore`, and nothing else: reading and creating entries,
//! listing and reading snapshots, deleting what snapshots made unnecessary. It keeps no position and decides
//! nothing; [`LogCursor`](super::LogCursor) does.
//!
//! Key layout under a configured prefix (see docs/metadata-log.md):
//!
//! ```text
//! <prefix>/log/<20-digit seq>        one entry, created with create-if-absent, never overwritten
//! <prefix>/snapshot/<20-digit seq>   state as of that sequence, created with create-if-absent
//! ```
//!
//! Entries are found by probing successive keys with GET, not by listing: a GET of a key whose create succeeded is
//! consistent on every store that offers create-if-absent, while listings may lag on some (and cost the same one
//! request per poll at the tip). Listing is used only where a stale answer is harmless: finding the latest
//! snapshot (an older one still works, the reader just reads more entries) and finding garbage.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::frame::{
    Entry, Seq, Snapshot, decode_entry, decode_snapshot, encode_snapshot, parse_seq_segment,
    seq_segment,
};
use crate::error::{Error, Result};

/// How many successive keys a catch-up probes at once, at most. Probing starts with one key (the common case at
/// the tip is "nothing new") and doubles while every probe finds an entry.
const MAX_PROBE_WINDOW: usize = 32;
/// How often loading the latest snapshot is retried when garbage collection deletes it between list and read.
const SNAPSHOT_LOAD_ATTEMPTS: usize = 5;

/// A retryable failure that is not the store's fault: other writers kept winning the race for the next
/// sequence, or collection kept moving the ground under a reader. Nothing was written. Reported as a store error
/// (kind `Retry`) on the log key concerned, with a message saying which.
pub(crate) fn contended(op: &'static str, key: impl ToString, detail: String) -> Error {
    Error::store(
        op,
        key,
        object_store::Error::Generic {
            store: "metadata log",
            source: detail.into(),
        },
    )
}

/// What a garbage-collection pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Entries below this sequence are gone (0 if the pass deleted nothing).
    pub entries_below: Seq,
    pub entries_deleted: u64,
    pub snapshots_deleted: u64,
}

/// The metadata log's objects under one prefix.
#[derive(Debug, Clone)]
pub struct LogStore {
    store: Arc<dyn ObjectStore>,
    log_dir: Path,
    snapshot_dir: Path,
}

impl LogStore {
    /// `prefix` is a path such as `cluster/meta`; it must be a valid object path.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Result<Self> {
        let prefix = Path::parse(prefix)
            .map_err(|e| Error::Invalid(format!("metadata log prefix `{prefix}`: {e}")))?;
        Ok(Self {
            store,
            log_dir: prefix.clone().join("log"),
            snapshot_dir: prefix.join("snapshot"),
        })
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    pub fn entry_key(&self, seq: Seq) -> Path {
        self.log_dir.clone().join(seq_segment(seq).as_str())
    }

    pub fn snapshot_key(&self, seq: Seq) -> Path {
        self.snapshot_dir.clone().join(seq_segment(seq).as_str())
    }

    /// The raw frame at `key`, or `None` if there is no object.
    async fn get_frame(&self, key: &Path) -> Result<Option<Bytes>> {
        let got = match self.store.get(key).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(Error::store("get", key, e)),
        };
        match got.bytes().await {
            Ok(bytes) => Ok(Some(bytes)),
            // Deleted while the body streamed (a local file removed under us): as good as absent.
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Error::store("get", key, e)),
        }
    }

    /// Entry `seq`, or `None` if it was never written (or was garbage-collected).
    pub async fn read_entry<T: DeserializeOwned>(&self, seq: Seq) -> Result<Option<Entry<T>>> {
        let key = self.entry_key(seq);
        match self.get_frame(&key).await? {
            Some(frame) => decode_entry(key.as_ref(), seq, &frame).map(Some),
            None => Ok(None),
        }
    }

    /// Entries `from, from + 1, …`, up to `limit` of them, stopping before the first missing one. A missing key
    /// ends the run even if a later key answers: the log is dense, so that later entry was written after this
    /// read began and the next read will find both.
    pub async fn read_from<T: DeserializeOwned>(
        &self,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<Entry<T>>> {
        let mut out = Vec::new();
        let mut window = 1usize;
        let mut next = from;
        while out.len() < limit {
            let n = window.min(limit - out.len());
            let probes: Vec<Option<Entry<T>>> = stream::iter(next..next + n as Seq)
                .map(|seq| self.read_entry::<T>(seq))
                .buffered(n)
                .try_collect()
                .await?;
            for probe in probes {
                match probe {
                    Some(entry) => out.push(entry),
                    None => return Ok(out),
                }
            }
            next += n as Seq;
            window = (window * 2).min(MAX_PROBE_WINDOW);
        }
        Ok(out)
    }

    /// Creates entry `seq` if absent. `Ok(true)`: this call created it. `Ok(false)`: the key already holds an
    /// object (someone else's, or an earlier attempt of this very write). `Err`: the answer did not say, and the
    /// write may or may not have been applied; the caller reads the key back.
    pub async fn create_entry(&self, seq: Seq, frame: Bytes) -> Result<bool> {
        let key = self.entry_key(seq);
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(&key, PutPayload::from(frame), opts)
            .await
        {
            Ok(_) => Ok(true),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(false),
            Err(e) => Err(Error::store("create", &key, e)),
        }
    }

    /// Snapshot sequences found by listing, ascending. May miss recent ones on a store whose listing lags.
    pub async fn list_snapshots(&self) -> Result<Vec<Seq>> {
        self.list_seqs(&self.snapshot_dir).await
    }

    async fn list_seqs(&self, dir: &Path) -> Result<Vec<Seq>> {
        let metas: Vec<_> = self
            .store
            .list(Some(dir))
            .try_collect()
            .await
            .map_err(|e| Error::store("list", dir, e))?;
        let mut seqs: Vec<Seq> = metas
            .iter()
            .filter_map(|m| m.location.filename().and_then(parse_seq_segment))
            .collect();
        seqs.sort_unstable();
        Ok(seqs)
    }

    pub async fn read_snapshot<S: DeserializeOwned>(
        &self,
        seq: Seq,
    ) -> Result<Option<Snapshot<S>>> {
        let key = self.snapshot_key(seq);
        match self.get_frame(&key).await? {
            Some(frame) => decode_snapshot(key.as_ref(), seq, &frame).map(Some),
            None => Ok(None),
        }
    }

    /// The newest snapshot, or `None` if none was ever written. Garbage collection keeps the two newest, so one
    /// deleted between listing and reading means newer ones exist: list again.
    pub async fn latest_snapshot<S: DeserializeOwned>(&self) -> Result<Option<Snapshot<S>>> {
        for _ in 0..SNAPSHOT_LOAD_ATTEMPTS {
            let Some(&latest) = self.list_snapshots().await?.last() else {
                return Ok(None);
            };
            if let Some(snapshot) = self.read_snapshot(latest).await? {
                return Ok(Some(snapshot));
            }
            tracing::debug!(
                seq = latest,
                "snapshot vanished between list and read; listing again"
            );
        }
        Err(contended(
            "load latest snapshot",
            &self.snapshot_dir,
            format!(
                "the newest listed snapshot vanished {SNAPSHOT_LOAD_ATTEMPTS} times before it was read"
            ),
        ))
    }

    /// Writes a snapshot if none exists at its sequence. `Ok(false)`: one did; states are deterministic, so it
    /// holds the same state.
    pub async fn write_snapshot<S: Serialize>(&self, snapshot: &Snapshot<S>) -> Result<bool> {
        let key = self.snapshot_key(snapshot.seq);
        let frame = encode_snapshot(snapshot)?;
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(&key, PutPayload::from(frame), opts)
            .await
        {
            Ok(_) => Ok(true),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(false),
            Err(e) => Err(Error::store("create", &key, e)),
        }
    }

    async fn delete(&self, key: &Path) -> Result<()> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::store("delete", key, e)),
        }
    }

    async fn exists(&self, key: &Path) -> Result<bool> {
        match self.store.head(key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(Error::store("head", key, e)),
        }
    }

    /// Deletes what the two newest snapshots make unnecessary: snapshots older than the second newest (`keep`),
    /// and entries below `keep`. Entry `keep` and everything after it stay, so a reader loading either kept
    /// snapshot finds its anchor and its next entries.
    ///
    /// Entries are deleted one at a time in ascending order, each delete finished before the next starts, and
    /// starting at the lowest entry that still exists. So whenever an entry is gone, every entry below it is gone
    /// too: the property [`LogCursor`](super::LogCursor)'s anchor check stands on. The lowest entry is found by
    /// listing, then confirmed by probing downward, since a lagging listing may miss the lowest keys.
    pub async fn collect_garbage(&self) -> Result<GcReport> {
        let snapshots = self.list_snapshots().await?;
        let mut report = GcReport::default();
        let [.., keep, _newest] = snapshots[..] else {
            return Ok(report);
        };
        for &seq in snapshots.iter().filter(|&&s| s < keep) {
            self.delete(&self.snapshot_key(seq)).await?;
            report.snapshots_deleted += 1;
        }
        let listed_low = self
            .list_seqs(&self.log_dir)
            .await?
            .first()
            .copied()
            .unwrap_or(keep);
        let mut low = listed_low.min(keep);
        while low > 1 && self.exists(&self.entry_key(low - 1)).await? {
            low -= 1;
        }
        for seq in low..keep {
            self.delete(&self.entry_key(seq)).await?;
            report.entries_deleted += 1;
        }
        report.entries_below = keep;
        Ok(report)
    }
}
