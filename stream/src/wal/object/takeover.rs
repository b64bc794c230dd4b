//! Fencing an object WAL and replaying it: what a survivor does to a dead node's WAL (failover), and what a node
//! does to its own previous node epochs after a restart.
//!
//! The writer of a node epoch puts sequence N+1 only after N is durable, always with create-if-absent, and never
//! deletes its own highest object. A fencer puts a fence marker at the sequence right after the highest data
//! object it lists; the writer's next put then hits the marker and fails, so every object the writer ever
//! acknowledged lies below the marker, where the fencer replays. One race needs care: the writer may advance and
//! trim between the fencer's listing and its put, freeing a lower sequence that the marker then lands on, behind
//! the writer. So after placing a marker the fencer lists again; if data lies above the marker, it starts over (the
//! stray marker is harmless: replay skips markers). The argument in full is in `docs/wal.md`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions};

use super::format::{self, Decoded, FENCE_OBJECT_LEN};
use crate::error::{Error, Result};
use crate::types::{Epoch, NodeId};
use crate::wal::failpoint::{self, FailPoints};
use crate::wal::{Replayed, WalPosition, WalReplay};

const FENCE_ATTEMPTS: usize = 32;
/// GETs in flight while replaying.
const REPLAY_CONCURRENCY: usize = 8;

/// Failpoint names of fencing.
pub mod failpoints {
    /// The fencer has chosen a sequence and is about to put its marker there.
    pub const BEFORE_FENCE: &str = "object_wal.before_fence";
}

/// Which WAL to take over and on whose behalf.
#[derive(Debug, Clone)]
pub struct TakeoverConfig {
    pub prefix: Path,
    /// The node whose WAL is taken over.
    pub node: NodeId,
    /// Every epoch of `node` up to and including this one is fenced (the registration the controller declared
    /// dead); a later epoch is a newer life of that node and is left alone.
    pub through_epoch: Epoch,
    /// The node taking over, recorded in the markers.
    pub by_node: NodeId,
    pub by_epoch: Epoch,
    pub failpoints: Option<Arc<FailPoints>>,
}

/// A node epoch of the taken-over WAL: its writer cannot put anything at or above `marker`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FencedEpoch {
    epoch: Epoch,
    marker: u64,
}

#[derive(Debug, Default)]
struct State {
    trimmed: Option<WalPosition>,
    /// Record counts of replayed objects, so a trim can tell whether it covers an object wholly.
    counts: HashMap<(Epoch, u64), u64>,
    /// Epochs whose data objects are all deleted.
    drained: Vec<Epoch>,
}

/// A fenced object WAL (one or more node epochs of one node), ready to replay and then trim away. Fence markers
/// are never deleted: a writer that has not yet tried its next put must still find one there.
#[derive(Debug)]
pub struct ObjectWalTakeover {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    node: NodeId,
    epochs: Vec<FencedEpoch>,
    state: Mutex<State>,
}

pub(crate) fn put_create() -> PutOptions {
    PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    }
}

/// The node epochs that have a WAL directory, ascending.
pub(crate) async fn list_epochs(
    store: &dyn ObjectStore,
    prefix: &Path,
    node: NodeId,
) -> Result<Vec<Epoch>> {
    let dir = format::node_dir(prefix, node);
    let listing = match store.list_with_delimiter(Some(&dir)).await {
        Ok(listing) => listing,
        Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(Error::store("list", &dir, e)),
    };
    let mut epochs: Vec<Epoch> = listing
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename().and_then(|n| n.parse().ok()))
        .collect();
    epochs.sort_unstable();
    Ok(epochs)
}

/// The sequenced objects of one epoch with their sizes, ascending.
pub(crate) async fn list_objects(store: &dyn ObjectStore, dir: &Path) -> Result<Vec<(u64, u64)>> {
    let metas: Vec<_> = match store.list(Some(dir)).try_collect().await {
        Ok(metas) => metas,
        Err(object_store::Error::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(Error::store("list", dir, e)),
    };
    let mut objects: Vec<(u64, u64)> = metas
        .iter()
        .filter_map(|m| format::parse_seq(&m.location).map(|s| (s, m.size)))
        .collect();
    objects.sort_unstable();
    Ok(objects)
}

/// Reads an object; `None` when it is gone.
pub(crate) async fn fetch(store: &dyn ObjectStore, path: &Path) -> Result<Option<bytes::Bytes>> {
    match store.get(path).await {
        Ok(got) => got
            .bytes()
            .await
            .map(Some)
            .map_err(|e| Error::store("get", path, e)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(Error::store("get", path, e)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Marker,
    Data,
    Gone,
}

/// What sits at `seq`. With the listed `size`, only objects of a marker's exact size are fetched: data objects
/// are always larger.
async fn classify(
    store: &dyn ObjectStore,
    prefix: &Path,
    node: NodeId,
    epoch: Epoch,
    seq: u64,
    size: Option<u64>,
) -> Result<Kind> {
    if size.is_some_and(|s| s != FENCE_OBJECT_LEN) {
        return Ok(Kind::Data);
    }
    let path = format::object_path(prefix, node, epoch, seq);
    match fetch(store, &path).await? {
        None => Ok(Kind::Gone),
        Some(bytes) => match format::decode_object(&path, node, epoch, seq, bytes)? {
            Decoded::Fence { .. } => Ok(Kind::Marker),
            Decoded::Data { .. } => Ok(Kind::Data),
        },
    }
}

/// Whether a listed object is not data: a marker, or (only markers are marker-sized) one deleted since.
async fn is_marker(
    store: &dyn ObjectStore,
    prefix: &Path,
    node: NodeId,
    epoch: Epoch,
    seq: u64,
    size: u64,
) -> Result<bool> {
    Ok(classify(store, prefix, node, epoch, seq, Some(size)).await? != Kind::Data)
}

/// The highest data object listed, looking down past markers.
async fn data_top(
    store: &dyn ObjectStore,
    prefix: &Path,
    node: NodeId,
    epoch: Epoch,
    listing: &[(u64, u64)],
) -> Result<Option<u64>> {
    for &(seq, size) in listing.iter().rev() {
        if !is_marker(store, prefix, node, epoch, seq, size).await? {
            return Ok(Some(seq));
        }
    }
    Ok(None)
}

/// Fences one node epoch. Returns the marker's sequence, or `None` when the epoch was already fenced and drained
/// (markers only, nothing left to replay).
async fn fence_epoch(
    store: &dyn ObjectStore,
    config: &TakeoverConfig,
    epoch: Epoch,
) -> Result<Option<u64>> {
    let (prefix, node) = (&config.prefix, config.node);
    let dir = format::epoch_dir(prefix, node, epoch);
    for _ in 0..FENCE_ATTEMPTS {
        let listing = list_objects(store, &dir).await?;
        let top = data_top(store, prefix, node, epoch, &listing).await?;
        if top.is_none() && !listing.is_empty() {
            return Ok(None);
        }
        let target = top.map_or(0, |t| t + 1);
        failpoint::hit(&config.failpoints, failpoints::BEFORE_FENCE).await;
        let path = format::object_path(prefix, node, epoch, target);
        let marker = format::fence_object(node, epoch, target, config.by_node, config.by_epoch);
        match store.put_opts(&path, marker.into(), put_create()).await {
            Ok(_) => {}
            Err(object_store::Error::AlreadyExists { .. }) => {
                // Someone else's marker there works as well as ours; the writer's data means it moved on.
                if classify(store, prefix, node, epoch, target, None).await? != Kind::Marker {
                    continue;
                }
            }
            Err(e) => return Err(Error::store("put fence", &path, e)),
        }
        // The marker stops the writer only if nothing of the writer lies above it.
        let mut overtaken = false;
        for (seq, size) in list_objects(store, &dir)
            .await?
            .into_iter()
            .filter(|(s, _)| *s > target)
        {
            if !is_marker(store, prefix, node, epoch, seq, size).await? {
                overtaken = true;
                break;
            }
        }
        if !overtaken {
            tracing::info!(%dir, marker = target, by_node = config.by_node, "object WAL epoch fenced");
            return Ok(Some(target));
        }
        tracing::warn!(%dir, stray = target, "fence marker landed below the writer (it trimmed); fencing again");
    }
    Err(Error::store(
        "fence",
        &dir,
        object_store::Error::Generic {
            store: "wal",
            source: format!("the writer kept moving for {FENCE_ATTEMPTS} attempts").into(),
        },
    ))
}

impl ObjectWalTakeover {
    /// Fences every WAL epoch of `config.node` up to `config.through_epoch`. When this returns, no writer of those
    /// epochs can acknowledge anything that [`recover`](WalReplay::recover) does not return.
    pub async fn fence(store: Arc<dyn ObjectStore>, config: TakeoverConfig) -> Result<Self> {
        let epochs = list_epochs(store.as_ref(), &config.prefix, config.node).await?;
        let epochs = epochs
            .into_iter()
            .filter(|e| *e <= config.through_epoch)
            .collect();
        Self::fence_epochs(store, &config, epochs).await
    }

    pub(crate) async fn fence_epochs(
        store: Arc<dyn ObjectStore>,
        config: &TakeoverConfig,
        epochs: Vec<Epoch>,
    ) -> Result<Self> {
        let mut fenced = Vec::new();
        for epoch in epochs {
            if let Some(marker) = fence_epoch(store.as_ref(), config, epoch).await? {
                fenced.push(FencedEpoch { epoch, marker });
            }
        }
        Ok(ObjectWalTakeover {
            store,
            prefix: config.prefix.clone(),
            node: config.node,
            epochs: fenced,
            state: Mutex::new(State::default()),
        })
    }

    /// The fenced epochs that had data, each with its marker's sequence.
    pub fn fenced(&self) -> Vec<(Epoch, u64)> {
        self.epochs.iter().map(|e| (e.epoch, e.marker)).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn replay_epoch(&self, fenced: FencedEpoch) -> Result<Vec<Replayed>> {
        let (store, prefix, node, epoch) =
            (self.store.as_ref(), &self.prefix, self.node, fenced.epoch);
        let listing = list_objects(store, &format::epoch_dir(prefix, node, epoch)).await?;
        let fetches = listing
            .into_iter()
            .filter(|(seq, _)| *seq < fenced.marker)
            .map(|(seq, _)| async move {
                let path = format::object_path(prefix, node, epoch, seq);
                // Gone: trimmed meanwhile (by the fenced writer, after its upload committed).
                let Some(bytes) = fetch(store, &path).await? else {
                    return Ok(None);
                };
                format::decode_object(&path, node, epoch, seq, bytes).map(|d| Some((seq, d)))
            });
        let objects: Vec<Option<(u64, Decoded)>> = futures::stream::iter(fetches)
            .buffered(REPLAY_CONCURRENCY)
            .try_collect()
            .await?;
        let mut out = Vec::new();
        let mut counts = BTreeMap::new();
        for (seq, decoded) in objects.into_iter().flatten() {
            let Decoded::Data { records, .. } = decoded else {
                continue;
            };
            counts.insert(seq, records.len() as u64);
            out.extend(records.into_iter().map(|(record, offset)| Replayed {
                position: WalPosition {
                    log: epoch,
                    segment: seq,
                    offset,
                },
                node,
                node_epoch: epoch,
                record,
            }));
        }
        self.lock()
            .counts
            .extend(counts.into_iter().map(|(seq, n)| ((epoch, seq), n)));
        Ok(out)
    }
}

#[async_trait]
impl WalReplay for ObjectWalTakeover {
    async fn recover(&self) -> Result<Vec<Replayed>> {
        let mut out = Vec::new();
        for fenced in self.epochs.clone() {
            out.extend(self.replay_epoch(fenced).await?);
        }
        let trimmed = self.lock().trimmed;
        out.retain(|r| trimmed.is_none_or(|t| r.position > t));
        Ok(out)
    }

    async fn trim(&self, through: WalPosition) -> Result<()> {
        let (prefix, node) = (&self.prefix, self.node);
        {
            let mut st = self.lock();
            if st.trimmed.is_none_or(|t| through > t) {
                st.trimmed = Some(through);
            }
        }
        for fenced in self.epochs.iter().filter(|e| e.epoch <= through.log) {
            if self.lock().drained.contains(&fenced.epoch) {
                continue;
            }
            let epoch = fenced.epoch;
            let listing =
                list_objects(self.store.as_ref(), &format::epoch_dir(prefix, node, epoch)).await?;
            let mut all_gone = true;
            for (seq, size) in listing.into_iter().filter(|(s, _)| *s < fenced.marker) {
                let covered = epoch < through.log
                    || seq < through.segment
                    || (seq == through.segment
                        && self.lock().counts.get(&(epoch, seq)) == Some(&through.offset));
                if !covered {
                    all_gone = false;
                    continue;
                }
                if is_marker(self.store.as_ref(), prefix, node, epoch, seq, size).await? {
                    continue;
                }
                let path = format::object_path(prefix, node, epoch, seq);
                match self.store.delete(&path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(Error::store("delete", &path, e)),
                }
            }
            if all_gone {
                self.lock().drained.push(epoch);
            }
        }
        Ok(())
    }
}
