//! The block cache: decoded data blocks of objects, for reads the log cache no longer serves (a consumer catching
//! up, a new owner reading history), and the indexes of those objects, so a cold read costs one ranged GET for
//! its blocks and none for the footer once the object was seen.
//!
//! Entries are keyed by (object, block position). Objects never change and their ids are never reused, so an
//! entry is never stale; it only ages out. Both parts are bounded in bytes and evict the least recently used
//! entry first: the blocks get seven eighths of the configured size, the indexes one eighth.
//!
//! Readahead: reads of a stream that continue where an earlier read of it ended are sequential; for those the
//! engine fetches the next blocks of the stream before they are asked for, and marks them in flight here, so a
//! reader that needs one waits for it instead of fetching it again. The cache keeps, per stream, the ends of the
//! last few reads, which tells a sequential reader from a random one even with several consumers on one stream.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::Arc;

use crate::object::{ObjectId, ObjectReader};
use crate::types::{Batch, Offset, StreamId};

/// Names a block: its object and its position in that object.
pub type BlockKey = (ObjectId, u64);

/// How many recent read ends per stream count as "where a reader is".
const READERS_PER_STREAM: usize = 4;

/// What the cache has done since it was created (counters only grow), and what it holds now.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BlockCacheStats {
    /// Blocks a read found in memory.
    pub hits: u64,
    /// Blocks a read had to fetch from the store itself.
    pub misses: u64,
    /// Blocks fetched ahead of a sequential reader.
    pub readahead_blocks: u64,
    /// Of those, blocks a read then used (each counted once, also as a hit).
    pub readahead_hits: u64,
    /// Object indexes found in memory, and read from the store.
    pub index_hits: u64,
    pub index_misses: u64,
    /// Blocks and indexes dropped to stay within the bound.
    pub evictions: u64,
    /// Bytes of blocks held now (their encoded size), and how many.
    pub bytes: usize,
    pub blocks: usize,
}

/// A map bounded by the total weight of its values, evicting the least recently used.
#[derive(Debug)]
struct Lru<K, V> {
    capacity: usize,
    bytes: usize,
    tick: u64,
    map: HashMap<K, (V, usize, u64)>,
    order: BTreeMap<u64, K>,
    evictions: u64,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            bytes: 0,
            tick: 0,
            map: HashMap::new(),
            order: BTreeMap::new(),
            evictions: 0,
        }
    }

    fn get(&mut self, key: &K) -> Option<&mut V> {
        let (_, _, tick) = self.map.get_mut(key)?;
        self.order.remove(tick);
        self.tick += 1;
        *tick = self.tick;
        self.order.insert(self.tick, key.clone());
        self.map.get_mut(key).map(|(v, _, _)| v)
    }

    fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    /// Inserts (or replaces) `key`, then evicts the least recently used entries while over capacity. A value
    /// heavier than the whole capacity is not kept.
    fn insert(&mut self, key: K, value: V, weight: usize) {
        self.remove(&key);
        if weight > self.capacity {
            return;
        }
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        self.map.insert(key, (value, weight, self.tick));
        self.bytes += weight;
        while self.bytes > self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some((_, w, _)) = self.map.remove(&oldest) {
                self.bytes -= w;
                self.evictions += 1;
            }
        }
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let (v, w, tick) = self.map.remove(key)?;
        self.order.remove(&tick);
        self.bytes -= w;
        Some(v)
    }

    fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        let gone: Vec<K> = self.map.keys().filter(|k| !keep(k)).cloned().collect();
        for k in gone {
            self.remove(&k);
        }
    }
}

#[derive(Debug)]
struct Block {
    batches: Arc<[Batch]>,
    /// Fetched ahead and not used yet.
    prefetched: bool,
}

/// The cache; see the module documentation. Not synchronized: the engine keeps it behind a mutex and never
/// holds that across I/O.
#[derive(Debug)]
pub struct BlockCache {
    blocks: Lru<BlockKey, Block>,
    indexes: Lru<ObjectId, ObjectReader>,
    inflight: HashSet<BlockKey>,
    read_ends: HashMap<StreamId, VecDeque<Offset>>,
    stats: BlockCacheStats,
}

impl BlockCache {
    /// A cache of at most `capacity` bytes: blocks by their encoded size, indexes by their size in memory.
    pub fn new(capacity: usize) -> Self {
        let indexes = capacity / 8;
        Self {
            blocks: Lru::new(capacity - indexes),
            indexes: Lru::new(indexes),
            inflight: HashSet::new(),
            read_ends: HashMap::new(),
            stats: BlockCacheStats::default(),
        }
    }

    pub fn stats(&self) -> BlockCacheStats {
        BlockCacheStats {
            evictions: self.blocks.evictions + self.indexes.evictions,
            bytes: self.blocks.bytes,
            blocks: self.blocks.map.len(),
            ..self.stats
        }
    }

    /// The block's batches, if held (a hit).
    pub fn get(&mut self, key: BlockKey) -> Option<Arc<[Batch]>> {
        let block = self.blocks.get(&key)?;
        self.stats.hits += 1;
        if std::mem::take(&mut block.prefetched) {
            self.stats.readahead_hits += 1;
        }
        Some(block.batches.clone())
    }

    /// Whether the block is held or being fetched ahead.
    pub fn holds_or_fetches(&self, key: BlockKey) -> bool {
        self.blocks.contains(&key) || self.inflight.contains(&key)
    }

    pub fn is_inflight(&self, key: BlockKey) -> bool {
        self.inflight.contains(&key)
    }

    /// Keeps a block a read fetched (`prefetched`: ahead of the reader) and counts it. `size` is its encoded size.
    pub fn insert(&mut self, key: BlockKey, batches: Arc<[Batch]>, size: usize, prefetched: bool) {
        if prefetched {
            self.stats.readahead_blocks += 1;
        } else {
            self.stats.misses += 1;
        }
        self.blocks.insert(
            key,
            Block {
                batches,
                prefetched,
            },
            size,
        );
    }

    /// Marks blocks as being fetched ahead; returns those that were neither held nor in flight already (the ones
    /// the caller must now fetch and then [`finish_fetch`](Self::finish_fetch)).
    pub fn start_fetch(&mut self, keys: impl IntoIterator<Item = BlockKey>) -> Vec<BlockKey> {
        keys.into_iter()
            .filter(|k| !self.blocks.contains(k) && self.inflight.insert(*k))
            .collect()
    }

    /// Ends an in-flight fetch, whether it succeeded or not.
    pub fn finish_fetch(&mut self, keys: &[BlockKey]) {
        for k in keys {
            self.inflight.remove(k);
        }
    }

    /// The reader (index) of an object, if held.
    pub fn reader(&mut self, object: ObjectId) -> Option<ObjectReader> {
        let r = self.indexes.get(&object).cloned();
        if r.is_some() {
            self.stats.index_hits += 1;
        }
        r
    }

    /// The reader of an object, if held, without touching its recency or the counters (for readahead).
    pub fn peek_reader(&self, object: ObjectId) -> Option<ObjectReader> {
        self.indexes.map.get(&object).map(|(r, _, _)| r.clone())
    }

    pub fn insert_reader(&mut self, object: ObjectId, reader: ObjectReader) {
        self.stats.index_misses += 1;
        let weight = reader.index_bytes() + 64;
        self.indexes.insert(object, reader, weight);
    }

    /// Forgets everything of an object that was deleted.
    pub fn forget_object(&mut self, object: ObjectId) {
        self.indexes.remove(&object);
        self.blocks.retain(|(o, _)| *o != object);
    }

    /// Records a read of `stream` over `[start, end)`; returns whether it continued where an earlier read of
    /// the stream ended (a sequential reader).
    pub fn note_read(&mut self, stream: StreamId, start: Offset, end: Offset) -> bool {
        let ends = self.read_ends.entry(stream).or_default();
        let sequential = match ends.iter().position(|&e| e == start) {
            Some(i) => {
                ends.remove(i);
                true
            }
            None => false,
        };
        if ends.len() >= READERS_PER_STREAM {
            ends.pop_front();
        }
        ends.push_back(end);
        sequential
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn block(stream: StreamId, base: Offset) -> Arc<[Batch]> {
        vec![Batch {
            stream,
            base_offset: base,
            count: 1,
            payload: Bytes::from_static(b"x"),
        }]
        .into()
    }

    #[test]
    fn eviction_keeps_the_bound_and_the_recently_used() {
        // 800 bytes for blocks (the indexes get an eighth: 114 of 914).
        let mut c = BlockCache::new(914);
        for i in 0..8 {
            c.insert((1, i * 100), block(1, i), 100, false);
        }
        assert_eq!((c.stats().bytes, c.stats().blocks), (800, 8));
        // Block 0 is used; then two more arrive: the two least recently used (1 and 2) go.
        assert!(c.get((1, 0)).is_some());
        c.insert((2, 0), block(2, 0), 100, false);
        c.insert((2, 100), block(2, 1), 100, false);
        let s = c.stats();
        assert_eq!((s.bytes, s.blocks, s.evictions), (800, 8, 2));
        assert!(c.get((1, 0)).is_some(), "recently used, kept");
        assert!(c.get((1, 100)).is_none() && c.get((1, 200)).is_none());
        // A heavier block pushes out as many as it takes; one larger than the whole bound is not kept.
        c.insert((3, 0), block(3, 0), 450, false);
        assert!(c.stats().bytes <= 800);
        c.insert((3, 1), block(3, 1), 801, false);
        assert!(c.get((3, 1)).is_none());
        assert!(c.stats().bytes <= 800);
        let s = c.stats();
        assert_eq!((s.hits, s.misses), (2, 12));
    }

    #[test]
    fn prefetched_blocks_count_once_when_used_and_in_flight_ones_are_not_fetched_twice() {
        let mut c = BlockCache::new(1 << 20);
        assert_eq!(c.start_fetch([(1, 0), (1, 10)]), vec![(1, 0), (1, 10)]);
        assert!(
            c.start_fetch([(1, 0), (1, 20)]) == vec![(1, 20)],
            "in flight already"
        );
        assert!(c.is_inflight((1, 0)) && c.holds_or_fetches((1, 10)));
        c.insert((1, 0), block(1, 0), 10, true);
        c.finish_fetch(&[(1, 0), (1, 10), (1, 20)]);
        assert!(
            !c.holds_or_fetches((1, 10)),
            "a failed fetch leaves nothing behind"
        );
        assert!(c.get((1, 0)).is_some() && c.get((1, 0)).is_some());
        let s = c.stats();
        assert_eq!(
            (s.readahead_blocks, s.readahead_hits, s.hits, s.misses),
            (1, 1, 2, 0)
        );
        c.forget_object(1);
        assert!(c.get((1, 0)).is_none());
    }

    #[test]
    fn a_read_that_continues_an_earlier_one_is_sequential() {
        let mut c = BlockCache::new(1 << 20);
        assert!(!c.note_read(1, 0, 10), "the first read");
        assert!(c.note_read(1, 10, 20));
        // A second consumer elsewhere in the stream does not break the first one's run.
        assert!(!c.note_read(1, 500, 510));
        assert!(c.note_read(1, 20, 30));
        assert!(c.note_read(1, 510, 520));
        assert!(!c.note_read(1, 15, 30), "a jump back");
        assert!(!c.note_read(2, 30, 40), "another stream");
    }
}
