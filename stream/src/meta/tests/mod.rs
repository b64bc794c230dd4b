//! Tests of the metadata log, and what they share: a seeded RNG, the two stores with atomic create-if-absent
//! (memory and a local directory), and [`TestStore`], a wrapper that scripts faults (an answer lost after the
//! store applied a write), hides keys from listings (a lagging listing), archives the first object ever created
//! at each key (the genuine log, for replays after garbage collection) and yields at random points so concurrent
//! clients interleave differently per seed.

mod log_tests;
mod races;
mod rules;
mod sim;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

use super::{ClusterState, ManualClock, MetaClient, MetaConfig, WriterId};

/// SplitMix64: tiny, seedable, good enough to pick test actions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The seed of randomized tests: `META_SEED` (decimal or 0x-hex) if set, else a fixed default, so a run is
/// reproducible and a failure names the seed to rerun with.
pub fn seed() -> u64 {
    const DEFAULT: u64 = 0x5eed_2024;
    match std::env::var("META_SEED") {
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("META_SEED `{s}` is not a number"))
        }
        Err(_) => DEFAULT,
    }
}

/// Prints the seed if the test panics while this is alive.
pub struct SeedGuard {
    pub name: &'static str,
    pub seed: u64,
}

impl Drop for SeedGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "{} failed with seed {:#x}; rerun with META_SEED={:#x}",
                self.name, self.seed, self.seed
            );
        }
    }
}

pub fn memory() -> Arc<dyn ObjectStore> {
    Arc::new(InMemory::new())
}

pub fn local() -> (tempfile::TempDir, Arc<dyn ObjectStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    (dir, Arc::new(store))
}

/// A scripted fault for the next matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The put is applied, then a timeout is reported.
    LoseAnswer,
    /// A timeout is reported and nothing is applied.
    FailBefore,
}

#[derive(Debug)]
struct Scripted {
    op: &'static str,
    key: String,
    fault: Fault,
    remaining: u32,
}

/// See the module docs.
#[derive(Debug)]
pub struct TestStore {
    inner: Arc<dyn ObjectStore>,
    jitter: Option<Mutex<Rng>>,
    script: Mutex<Vec<Scripted>>,
    hidden: Mutex<BTreeSet<String>>,
    archive: Mutex<BTreeMap<String, Bytes>>,
    counts: Arc<Mutex<BTreeMap<&'static str, u64>>>,
}

impl fmt::Display for TestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TestStore({})", self.inner)
    }
}

fn injected(what: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: "test",
        source: format!("injected timeout on {what}").into(),
    }
}

impl TestStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            jitter: None,
            script: Mutex::default(),
            hidden: Mutex::default(),
            archive: Mutex::default(),
            counts: Arc::default(),
        })
    }

    /// Yields a seeded number of times before every request.
    pub fn with_jitter(inner: Arc<dyn ObjectStore>, seed: u64) -> Arc<Self> {
        Arc::new(Self {
            inner,
            jitter: Some(Mutex::new(Rng::new(seed))),
            script: Mutex::default(),
            hidden: Mutex::default(),
            archive: Mutex::default(),
            counts: Arc::default(),
        })
    }

    /// The next `times` requests of `op` ("put" or "get") on a key ending with `key_suffix` get `fault`
    /// (a get can only `FailBefore`).
    pub fn script(&self, op: &'static str, key_suffix: &str, fault: Fault, times: u32) {
        self.script.lock().unwrap().push(Scripted {
            op,
            key: key_suffix.into(),
            fault,
            remaining: times,
        });
    }

    /// Requests served so far, by kind ("get", "put", "list", "delete").
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        self.counts.lock().unwrap().clone()
    }

    fn count(&self, op: &'static str) {
        *self.counts.lock().unwrap().entry(op).or_default() += 1;
    }

    pub fn clear_script(&self) {
        self.script.lock().unwrap().clear();
    }

    pub fn hide_from_listing(&self, key: &str) {
        self.hidden.lock().unwrap().insert(key.into());
    }

    /// The first object ever created at each key.
    pub fn archive(&self) -> BTreeMap<String, Bytes> {
        self.archive.lock().unwrap().clone()
    }

    fn take_fault(&self, op: &'static str, key: &Path) -> Option<Fault> {
        let mut script = self.script.lock().unwrap();
        let i = script
            .iter()
            .position(|s| s.op == op && key.as_ref().ends_with(&s.key) && s.remaining > 0)?;
        script[i].remaining -= 1;
        let fault = script[i].fault;
        if script[i].remaining == 0 {
            script.remove(i);
        }
        Some(fault)
    }

    async fn jitter(&self) {
        let yields = match &self.jitter {
            Some(rng) => rng.lock().unwrap().below(4),
            None => 0,
        };
        for _ in 0..yields {
            tokio::task::yield_now().await;
        }
    }
}

#[async_trait]
impl ObjectStore for TestStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.jitter().await;
        self.count("put");
        let fault = self.take_fault("put", location);
        if fault == Some(Fault::FailBefore) {
            return Err(injected("put"));
        }
        let bytes: Bytes = payload.clone().into();
        let result = self.inner.put_opts(location, payload, opts).await;
        if result.is_ok() {
            self.archive
                .lock()
                .unwrap()
                .entry(location.to_string())
                .or_insert(bytes);
        }
        self.jitter().await;
        match fault {
            Some(Fault::LoseAnswer) => Err(injected("put")),
            _ => result,
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.jitter().await;
        self.count("get");
        if self.take_fault("get", location).is_some() {
            return Err(injected("get"));
        }
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let counts = Arc::clone(&self.counts);
        let counted =
            locations.inspect(move |_| *counts.lock().unwrap().entry("delete").or_default() += 1);
        self.inner.delete_stream(counted.boxed())
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.count("list");
        let hidden = self.hidden.lock().unwrap().clone();
        self.inner
            .list(prefix)
            .filter(move |m| {
                let keep = match m {
                    Ok(meta) => !hidden.contains(meta.location.as_ref()),
                    Err(_) => true,
                };
                futures::future::ready(keep)
            })
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

pub const PREFIX: &str = "meta";

/// A client config with a fixed writer id and a manual clock.
pub fn config(writer: u128, clock: &Arc<ManualClock>) -> MetaConfig {
    MetaConfig {
        prefix: PREFIX.into(),
        writer: WriterId(writer),
        clock: clock.clone(),
        snapshot_every: 0,
        max_races: 1000,
        failpoints: None,
    }
}

pub async fn client(
    store: &Arc<dyn ObjectStore>,
    writer: u128,
    clock: &Arc<ManualClock>,
) -> MetaClient {
    MetaClient::open(store.clone(), config(writer, clock))
        .await
        .unwrap()
}

/// Replays the genuine log (the first object created at each entry key) from sequence 1 up to `tip`. Returns
/// the state after each sequence (index 0: before the first), the entries and whether each was accepted.
pub fn replay(
    archive: &BTreeMap<String, Bytes>,
    tip: u64,
) -> (
    Vec<ClusterState>,
    Vec<super::Entry<super::MetaRecord>>,
    Vec<bool>,
) {
    use super::StateMachine;
    let log = super::LogStore::new(memory(), PREFIX).unwrap();
    let mut state = ClusterState::default();
    let mut states = vec![state.clone()];
    let mut entries = Vec::new();
    let mut accepted = Vec::new();
    for seq in 1..=tip {
        let key = log.entry_key(seq).to_string();
        let frame = archive
            .get(&key)
            .unwrap_or_else(|| panic!("the archive has no {key}"));
        let entry: super::Entry<super::MetaRecord> = super::decode_entry(&key, seq, frame).unwrap();
        let ok = state
            .apply(
                &super::Applying {
                    id: entry.id,
                    at_ms: entry.at_ms,
                },
                &entry.record,
            )
            .is_ok();
        states.push(state.clone());
        entries.push(entry);
        accepted.push(ok);
    }
    (states, entries, accepted)
}
