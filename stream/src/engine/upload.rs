//! The uploader: pending data of every stream into objects, committed to the metadata log, the WAL trimmed
//! behind.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use object_store::{PutMode, PutOptions, PutPayload};
use tracing::{debug, warn};

use super::{Inner, lock};
use crate::error::{Error, ErrorKind, Result};
use crate::meta::{CommitAuthority, StreamEpoch};
use crate::object::{ObjectWriter, object_key};
use crate::types::{Batch, Offset, StreamId};
use crate::wal::WalPosition;

/// Uploads every interval, sooner when appends pass the size threshold, until shutdown.
pub(super) async fn run(inner: Arc<Inner>) {
    loop {
        tokio::select! {
            _ = inner.shutdown.notified() => break,
            _ = inner.upload_wanted.notified() => {}
            _ = tokio::time::sleep(inner.config.upload_interval) => {}
        }
        if let Err(e) = upload_once(&inner).await {
            warn!("upload failed: {e}; the data stays in the WAL and the next round retries");
        }
    }
}

/// One upload round. Runs alone (rounds are serialized), so a stream's objects are committed in offset order.
pub(super) async fn upload_once(inner: &Inner) -> Result<()> {
    let _round = inner.upload_lock.lock().await;
    let pending = lock(&inner.cache).pending_upload();
    if pending.is_empty() {
        return Ok(());
    }
    let pending = skip_committed(inner, pending).await;
    let mut per_stream: BTreeMap<StreamId, Vec<Batch>> = BTreeMap::new();
    for b in pending {
        per_stream.entry(b.stream).or_default().push(b);
    }
    // A stream with many bytes gets an object of its own; the rest share one stream-set object.
    let mut groups: Vec<Vec<Batch>> = Vec::new();
    let mut shared: Vec<Batch> = Vec::new();
    for (_, batches) in per_stream {
        let bytes: usize = batches.iter().map(|b| b.payload.len()).sum();
        if bytes >= inner.config.stream_object_bytes {
            groups.push(batches);
        } else {
            shared.extend(batches);
        }
    }
    if !shared.is_empty() {
        groups.push(shared);
    }
    let mut first_error = None;
    for group in groups {
        if let Err(e) = upload_group(inner, group).await {
            first_error.get_or_insert(e);
        }
    }
    trim_wal(inner).await?;
    first_error.map_or(Ok(()), Err)
}

async fn upload_group(inner: &Inner, group: Vec<Batch>) -> Result<()> {
    let mut writer = ObjectWriter::new(inner.config.block_target);
    for b in &group {
        writer.add(b)?;
    }
    let (bytes, ranges) = writer.finish();
    let key = object_key(&inner.config.prefix, rand_id());
    let size = bytes.len() as u64;
    let create = PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    inner
        .store
        .put_opts(&key, PutPayload::from(bytes), create)
        .await
        .map_err(|e| Error::store("put", &key, e))?;
    let stream_epochs = {
        let streams = lock(&inner.streams);
        ranges
            .iter()
            .map(|r| StreamEpoch {
                stream: r.stream,
                epoch: streams.get(&r.stream).map_or(0, |s| s.epoch),
            })
            .collect()
    };
    let by = CommitAuthority {
        node: inner.config.node,
        node_epoch: inner.node_epoch,
        stream_epochs,
    };
    match inner
        .meta
        .commit_object(key.as_ref(), size, ranges.clone(), by)
        .await
    {
        Ok(object) => {
            debug!(object, key = %key, size, streams = ranges.len(), "object committed");
            for r in &ranges {
                mark_committed(inner, r.stream, r.end);
            }
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::Fenced => {
            // Some stream moved on. Drop every stream of this group that this node no longer owns at its epoch; the
            // uploaded object is referenced by nothing and is collected as an orphan.
            let node = inner.config.node;
            let lost: Vec<StreamId> = inner
                .meta
                .read(|s| {
                    ranges
                        .iter()
                        .filter(|r| {
                            let held = lock(&inner.streams).get(&r.stream).map(|st| st.epoch);
                            s.owner(r.stream) != held.map(|e| (node, e))
                        })
                        .map(|r| r.stream)
                        .collect()
                })
                .await;
            for stream in &lost {
                warn!(
                    stream,
                    "fenced: another owner holds this stream now; dropping it here"
                );
                if let Some(st) = lock(&inner.streams).remove(stream) {
                    st.close();
                }
                lock(&inner.cache).remove(*stream);
                lock(&inner.unuploaded)
                    .by_position
                    .retain(|_, (s, _)| s != stream);
            }
            Err(e)
        }
        Err(e) => {
            // The commit may have landed all the same (its answer lost): catch up, so that the next round sees it.
            let _ = inner.meta.catch_up().await;
            Err(e)
        }
    }
}

/// Drops from `pending` what the metadata log already holds: a commit whose answer was lost may have landed, and
/// uploading that range again would overlap it, every round. Only streams this node owns at the epoch it holds
/// are considered: at that epoch no one else commits them, so what is committed is what is pending here.
async fn skip_committed(inner: &Inner, pending: Vec<Batch>) -> Vec<Batch> {
    let node = inner.config.node;
    let held: BTreeMap<StreamId, u64> = {
        let streams = lock(&inner.streams);
        pending
            .iter()
            .filter_map(|b| streams.get(&b.stream).map(|s| (b.stream, s.epoch)))
            .collect()
    };
    let committed: BTreeMap<StreamId, Offset> = inner
        .meta
        .read(|s| {
            held.iter()
                .filter(|&(&stream, &epoch)| s.owner(stream) == Some((node, epoch)))
                .filter_map(|(&stream, _)| s.stream(stream).map(|m| (stream, m.end)))
                .collect()
        })
        .await;
    let mut done: BTreeMap<StreamId, Offset> = BTreeMap::new();
    let rest = pending
        .into_iter()
        .filter(|b| match committed.get(&b.stream) {
            Some(&end) if b.end_offset() <= end => {
                done.insert(b.stream, end);
                false
            }
            _ => true,
        })
        .collect();
    for (stream, end) in done {
        debug!(
            stream,
            end, "already committed (a lost commit answer); not uploading it again"
        );
        mark_committed(inner, stream, end);
    }
    rest
}

/// `stream` is committed up to `end`: its cached batches below are no longer pinned, and their WAL positions may
/// be trimmed.
fn mark_committed(inner: &Inner, stream: StreamId, end: Offset) {
    let mut cache = lock(&inner.cache);
    let mut unuploaded = lock(&inner.unuploaded);
    cache.mark_uploaded(stream, end);
    let done: Vec<WalPosition> = unuploaded
        .by_position
        .iter()
        .filter(|(_, (s, e))| *s == stream && *e <= end)
        .map(|(p, _)| *p)
        .collect();
    for p in done {
        unuploaded.by_position.remove(&p);
        unuploaded.uploaded.insert(p);
    }
}

/// Trims the WAL through the last uploaded position that has nothing pending before it.
async fn trim_wal(inner: &Inner) -> Result<()> {
    let through = {
        let mut u = lock(&inner.unuploaded);
        let first_pending = u.by_position.keys().next().copied();
        let eligible: BTreeSet<WalPosition> = match first_pending {
            Some(p) => u.uploaded.range(..p).copied().collect(),
            None => std::mem::take(&mut u.uploaded),
        };
        for p in &eligible {
            u.uploaded.remove(p);
        }
        eligible.last().copied()
    };
    if let Some(p) = through {
        inner.wal.trim(p).await?;
    }
    Ok(())
}

pub(super) fn rand_id() -> u64 {
    let id = uuid::Uuid::new_v4().as_u128();
    (id >> 64) as u64 ^ id as u64
}
