//! Cold reads: offsets the log cache no longer holds, read from objects through the block cache, with readahead
//! for readers that go on reading where they stopped.
//!
//! A read takes only the blocks it needs for its byte budget, each from the block cache or, for those missing,
//! with one coalesced ranged GET per object. Then the next blocks of the stream are fetched in the background, up
//! to `readahead_bytes` ahead when the read continued an earlier read of the stream, a quarter of that when it did
//! not (the first read of a catch-up), and marked in flight so the next read waits for them rather than fetching
//! them again. A new window is fetched only once less than half of one is buffered ahead, so a reader catching up
//! costs one large GET per half window (and per object), not one per block.

use std::sync::Arc;

use object_store::path::Path;
use tracing::debug;

use super::{Inner, lock};
use crate::cache::BlockKey;
use crate::error::Result;
use crate::meta::IndexEntry as MetaEntry;
use crate::object::{IndexEntry, ObjectId, ObjectReader};
use crate::types::{Batch, Offset, StreamId};

/// The reader of an object: its index from the block cache, or read once and kept there.
pub(super) async fn object_reader(
    inner: &Inner,
    object: ObjectId,
    key: &str,
    size: u64,
) -> Result<ObjectReader> {
    if let Some(r) = lock(&inner.blocks).reader(object) {
        return Ok(r);
    }
    let r = ObjectReader::open(inner.store.clone(), Path::from(key), size).await?;
    lock(&inner.blocks).insert_reader(object, r.clone());
    Ok(r)
}

/// The objects holding `[start, end)` of `stream` in this node's view: (index entry, key, size).
async fn object_entries(
    inner: &Inner,
    stream: StreamId,
    start: Offset,
    end: Offset,
) -> Vec<(MetaEntry, String, u64)> {
    inner
        .meta
        .read(|s| {
            s.objects_for(stream, start..end)
                .into_iter()
                .filter_map(|e| s.object(e.object).map(|o| (e, o.key.clone(), o.size)))
                .collect()
        })
        .await
}

/// Whole batches of `stream` from `start` (below `end`) out of objects, up to about `max_bytes` (at least one
/// batch), then readahead.
pub(super) async fn read_objects(
    inner: &Arc<Inner>,
    stream: StreamId,
    start: Offset,
    end: Offset,
    max_bytes: usize,
) -> Result<Vec<Batch>> {
    let entries = object_entries(inner, stream, start, end).await;
    let mut out: Vec<Batch> = Vec::new();
    let mut bytes = 0;
    'objects: for (entry, key, size) in entries {
        let reader = object_reader(inner, entry.object, &key, size).await?;
        let from = out
            .last()
            .map(Batch::end_offset)
            .unwrap_or(start)
            .max(entry.start);
        let blocks = reader.blocks(stream, from, entry.end.min(end));
        let mut i = 0;
        while i < blocks.len() {
            // As many blocks as the rest of the budget needs, at least one.
            let budget = max_bytes.saturating_sub(bytes);
            let mut j = i + 1;
            let mut planned = blocks[i].size as usize;
            while j < blocks.len() && planned < budget {
                planned += blocks[j].size as usize;
                j += 1;
            }
            for batches in cached_blocks(inner, entry.object, &reader, &blocks[i..j]).await? {
                for b in batches
                    .iter()
                    .filter(|b| b.end_offset() > from && b.base_offset < end)
                {
                    if !out.is_empty() && bytes + b.payload.len() > max_bytes {
                        break 'objects;
                    }
                    bytes += b.payload.len();
                    out.push(b.clone());
                }
            }
            i = j;
        }
    }
    if let Some(read_end) = out.last().map(Batch::end_offset) {
        let sequential = lock(&inner.blocks).note_read(stream, start, read_end);
        // Bounded by a quarter of the cache, so what is fetched ahead is still there when the reader comes.
        let full = inner
            .config
            .readahead_bytes
            .min(inner.config.block_cache_bytes / 4);
        let window = if sequential { full } else { full / 4 };
        if window > 0 && read_end < end {
            readahead(inner, stream, read_end, end, window).await;
        }
    }
    Ok(out)
}

/// The batches of `blocks` (entries of `object`'s index): from the cache, after waiting for those fetched ahead,
/// and the rest with one coalesced read, kept in the cache.
async fn cached_blocks(
    inner: &Inner,
    object: ObjectId,
    reader: &ObjectReader,
    blocks: &[IndexEntry],
) -> Result<Vec<Arc<[Batch]>>> {
    let mut got: Vec<Option<Arc<[Batch]>>> = vec![None; blocks.len()];
    loop {
        // Registered before looking, so an arrival between the look and the wait is not missed.
        let arrived = inner.block_arrived.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        let mut missing = Vec::new();
        let mut waiting = false;
        {
            let mut cache = lock(&inner.blocks);
            for (i, e) in blocks.iter().enumerate() {
                if got[i].is_some() {
                    continue;
                }
                let key = (object, e.position);
                if let Some(b) = cache.get(key) {
                    got[i] = Some(b);
                } else if cache.is_inflight(key) {
                    waiting = true;
                } else {
                    missing.push(i);
                }
            }
        }
        if !missing.is_empty() {
            let entries: Vec<IndexEntry> = missing.iter().map(|&i| blocks[i]).collect();
            let fetched = reader.fetch_blocks(&entries).await?;
            let mut cache = lock(&inner.blocks);
            for (&i, batches) in missing.iter().zip(fetched) {
                let batches: Arc<[Batch]> = batches.into();
                let e = blocks[i];
                cache.insert(
                    (object, e.position),
                    batches.clone(),
                    e.size as usize,
                    false,
                );
                got[i] = Some(batches);
            }
        }
        if !waiting {
            break;
        }
        arrived.await;
    }
    Ok(got.into_iter().flatten().collect())
}

/// Ends in-flight fetches when dropped, whatever happened to them, and wakes the reads waiting for them.
struct InFlight {
    inner: Arc<Inner>,
    keys: Vec<BlockKey>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.inner.blocks).finish_fetch(&self.keys);
        self.inner.block_arrived.notify_waiters();
    }
}

/// Starts fetching the blocks of `stream` after `from` (below `end`) that are neither held nor in flight, up to
/// `window` bytes ahead, unless at least half a window is buffered ahead already. An index the window reaches
/// into is read here (once per object); the blocks are marked in flight before this returns and fetched in the
/// background, one coalesced GET per object.
async fn readahead(inner: &Arc<Inner>, stream: StreamId, from: Offset, end: Offset, window: usize) {
    let entries = object_entries(inner, stream, from, end).await;
    let mut ahead = 0usize;
    let mut buffered: Option<usize> = None;
    let mut plan: Vec<(ObjectReader, ObjectId, Vec<IndexEntry>)> = Vec::new();
    for (entry, key, size) in entries {
        if ahead >= window {
            break;
        }
        let peeked = lock(&inner.blocks).peek_reader(entry.object);
        let reader = match peeked {
            Some(r) => r,
            None => match object_reader(inner, entry.object, &key, size).await {
                Ok(r) => r,
                Err(e) => {
                    debug!(object = entry.object, "readahead stops: {e}");
                    break;
                }
            },
        };
        let cache = lock(&inner.blocks);
        let mut wanted = Vec::new();
        for b in reader.blocks(stream, from.max(entry.start), entry.end.min(end)) {
            if ahead >= window {
                break;
            }
            if !cache.holds_or_fetches((entry.object, b.position)) {
                buffered.get_or_insert(ahead);
                wanted.push(b);
            }
            // The block the reader is in does not count as ahead of it.
            if b.start_offset >= from {
                ahead += b.size as usize;
            }
        }
        drop(cache);
        if !wanted.is_empty() {
            plan.push((reader, entry.object, wanted));
        }
    }
    if buffered.is_none_or(|b| b >= window / 2) {
        return;
    }
    for (reader, object, mut wanted) in plan {
        let marked = lock(&inner.blocks).start_fetch(wanted.iter().map(|b| (object, b.position)));
        wanted.retain(|b| marked.contains(&(object, b.position)));
        let guard = InFlight {
            inner: inner.clone(),
            keys: marked,
        };
        let inner = inner.clone();
        tokio::spawn(async move {
            prefetch(&inner, object, &reader, &wanted).await;
            drop(guard);
        });
    }
}

/// Fetches blocks ahead of a reader into the cache.
async fn prefetch(inner: &Inner, object: ObjectId, reader: &ObjectReader, blocks: &[IndexEntry]) {
    if blocks.is_empty() {
        return;
    }
    match reader.fetch_blocks(blocks).await {
        Ok(fetched) => {
            let mut cache = lock(&inner.blocks);
            for (e, batches) in blocks.iter().zip(fetched) {
                cache.insert((object, e.position), batches.into(), e.size as usize, true);
            }
        }
        Err(e) => debug!(
            object,
            "readahead failed: {e}; readers fetch the blocks themselves"
        ),
    }
}
