//! Reading one stream's range out of an object with as few ranged GETs as possible: the tail (footer and, for
//! most objects, the whole index) in one request, then only the blocks that hold the range.

use std::ops::Range;
use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use super::format::{FOOTER_LEN, IndexEntry, decode_block, decode_footer, decode_index};
use crate::error::{Error, Result};
use crate::types::{Batch, Offset, StreamId};

/// How much of the tail to read at open: the footer plus, usually, the whole index.
const TAIL_READ: u64 = 64 * 1024;

/// An object whose index has been read.
#[derive(Debug, Clone)]
pub struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    key: Path,
    index: Arc<Vec<IndexEntry>>,
}

impl ObjectReader {
    /// Reads the footer and index of the object at `key`, `size` bytes long (known from the metadata log).
    pub async fn open(store: Arc<dyn ObjectStore>, key: Path, size: u64) -> Result<Self> {
        let tail_start = size.saturating_sub(TAIL_READ);
        let tail = store
            .get_range(&key, tail_start..size)
            .await
            .map_err(|e| Error::store("ranged get", &key, e))?;
        let footer = decode_footer(&tail, size)?;
        let index_bytes = if footer.index_position >= tail_start {
            let at = (footer.index_position - tail_start) as usize;
            tail.slice(at..tail.len() - FOOTER_LEN)
        } else {
            let range = footer.index_position..footer.index_position + u64::from(footer.index_len);
            store
                .get_range(&key, range)
                .await
                .map_err(|e| Error::store("ranged get", &key, e))?
        };
        let index = decode_index(&index_bytes, &footer)?;
        Ok(Self {
            store,
            key,
            index: Arc::new(index),
        })
    }

    pub fn index(&self) -> &[IndexEntry] {
        &self.index
    }

    /// The blocks of `stream` that overlap `[start, end)`.
    pub fn blocks(&self, stream: StreamId, start: Offset, end: Offset) -> Vec<IndexEntry> {
        self.index
            .iter()
            .filter(|e| e.stream == stream && e.end_offset > start && e.start_offset < end)
            .copied()
            .collect()
    }

    /// Whole batches of `stream` that overlap `[start, end)`, in offset order: a batch that starts before
    /// `start` is included whole, as Kafka fetches return whole batches.
    pub async fn read(&self, stream: StreamId, start: Offset, end: Offset) -> Result<Vec<Batch>> {
        let mut out = self.read_many(&[(stream, start, end)]).await?;
        Ok(out.pop().unwrap_or_default())
    }

    /// [`read`](Self::read) for several (stream, start, end) at once, with one coalesced ranged read for all
    /// their blocks. Returns one list per request, in request order.
    pub async fn read_many(&self, wants: &[(StreamId, Offset, Offset)]) -> Result<Vec<Vec<Batch>>> {
        let per_want: Vec<Vec<IndexEntry>> = wants
            .iter()
            .map(|&(stream, start, end)| self.blocks(stream, start, end))
            .collect();
        let mut blocks: Vec<IndexEntry> = per_want.iter().flatten().copied().collect();
        blocks.sort_by_key(|e| e.position);
        blocks.dedup_by_key(|e| e.position);
        let bodies = self.fetch_blocks(&blocks).await?;
        let decoded: std::collections::HashMap<u64, Vec<Batch>> =
            blocks.iter().map(|e| e.position).zip(bodies).collect();
        Ok(wants
            .iter()
            .zip(per_want)
            .map(|(&(_, start, end), entries)| {
                entries
                    .iter()
                    .filter_map(|e| decoded.get(&e.position))
                    .flatten()
                    .filter(|b| b.end_offset() > start && b.base_offset < end)
                    .cloned()
                    .collect()
            })
            .collect())
    }

    /// The batches of each block in `blocks` (entries of this object's index), read with one coalesced ranged
    /// read and each checked against its CRC.
    pub async fn fetch_blocks(&self, blocks: &[IndexEntry]) -> Result<Vec<Vec<Batch>>> {
        if blocks.is_empty() {
            return Ok(Vec::new());
        }
        let ranges: Vec<Range<u64>> = blocks
            .iter()
            .map(|e| e.position..e.position + u64::from(e.size))
            .collect();
        let bodies = self
            .store
            .get_ranges(&self.key, &ranges)
            .await
            .map_err(|e| Error::store("ranged get", &self.key, e))?;
        bodies
            .into_iter()
            .zip(blocks)
            .map(|(body, entry)| decode_block(body, entry))
            .collect()
    }

    /// Bytes the index takes in memory, for caches that bound their size.
    pub fn index_bytes(&self) -> usize {
        self.index.len() * std::mem::size_of::<IndexEntry>() + self.key.as_ref().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{ObjectWriter, object_key};
    use bytes::Bytes;
    use object_store::memory::InMemory;

    #[tokio::test]
    async fn reads_a_range_from_the_middle_of_an_object_with_whole_batches() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let mut w = ObjectWriter::new(4096);
        let mut batches = Vec::new();
        for s in 1..=3u64 {
            for i in 0..200u64 {
                let b = Batch {
                    stream: s,
                    base_offset: i * 5,
                    count: 5,
                    payload: Bytes::from(vec![s as u8; 100]),
                };
                w.add(&b).unwrap();
                batches.push(b);
            }
        }
        let (obj, _) = w.finish();
        let key = object_key("cluster", 42);
        assert_eq!(key.to_string(), "cluster/data/a200000000000000");
        store.put(&key, obj.clone().into()).await.unwrap();
        let r = ObjectReader::open(store, key, obj.len() as u64)
            .await
            .unwrap();
        let got = r.read(2, 502, 610).await.unwrap();
        let want: Vec<_> = batches
            .iter()
            .filter(|b| b.stream == 2 && b.base_offset >= 500 && b.base_offset < 610)
            .cloned()
            .collect();
        assert_eq!(
            got, want,
            "offset 502 lies inside the batch at 500, which comes back whole"
        );
        assert!(r.read(9, 0, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_index_larger_than_the_tail_read_takes_a_second_request() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let mut w = ObjectWriter::new(1);
        for i in 0..3000u64 {
            w.add(&Batch {
                stream: i,
                base_offset: 0,
                count: 1,
                payload: Bytes::from_static(b"x"),
            })
            .unwrap();
        }
        let (obj, _) = w.finish();
        assert!(obj.len() as u64 > TAIL_READ);
        let key = object_key("p", 1);
        store.put(&key, obj.clone().into()).await.unwrap();
        let r = ObjectReader::open(store, key, obj.len() as u64)
            .await
            .unwrap();
        assert_eq!(r.index().len(), 3000);
        assert_eq!(r.read(2999, 0, 1).await.unwrap().len(), 1);
    }
}
