//! Membership: every node heartbeats into the shared store; every node watches the others; the lowest-numbered
//! live node acts as controller and fails a dead node's streams over to itself.
//!
//! A heartbeat is one small object per node, `<prefix>/heartbeats/<node>`, overwritten every
//! `heartbeat_interval` with the node's epoch and a counter. Observers never compare clocks: each notes, on its
//! own monotonic clock, when it last saw a node's heartbeat object change, and declares the node dead once it has
//! not changed for `session_timeout`. Who counts is read from the metadata log: registered nodes whose current
//! epoch is not fenced.
//!
//! Failover is [`Engine::take_over`]: it fences the dead node in the metadata log and in its WAL, replays the WAL
//! and reopens the streams here at new epochs. Two observers that disagree about who is controller (a partition
//! between them) can both try; fencing makes that safe, since whichever opens a stream last holds it and the other's
//! commits for it fail as fenced, and it only costs repeated work. A node that finds its own epoch fenced (it was
//! paused long enough to be declared dead) stops heartbeating and reports it in [`MembershipStatus::fenced`]; its
//! engine's next WAL write or commit fails as fenced, so it cannot acknowledge anything more.
//!
//! The controller also runs the cluster's chores: garbage collection every `gc_interval`.
//!
//! The design note is docs/stream-engine.md, section "Membership and failover".

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use automq_stream::engine::{Engine, GcStats, WalKind};
use automq_stream::types::{NodeId, StreamId};

/// Where a dead node's WAL can be read by another node, if anywhere.
pub type WalLocator = Arc<dyn Fn(NodeId) -> Option<WalKind> + Send + Sync>;

#[derive(Clone)]
pub struct MembershipConfig {
    /// How often this node rewrites its heartbeat and looks at the others'.
    pub heartbeat_interval: Duration,
    /// A node whose heartbeat has not changed for this long is dead.
    pub session_timeout: Duration,
    /// Where each node's WAL is. Object WALs live in the shared store and are always reachable; a file WAL only
    /// when its directory is on a shared path.
    pub wal_of: WalLocator,
    /// How often the controller deletes objects nothing references any more; `None` turns it off.
    pub gc_interval: Option<Duration>,
    /// How long an object stays after it lost its last reference, so a reader that found it can finish.
    pub gc_grace: Duration,
}

impl std::fmt::Debug for MembershipConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MembershipConfig")
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("session_timeout", &self.session_timeout)
            .field("gc_interval", &self.gc_interval)
            .field("gc_grace", &self.gc_grace)
            .finish_non_exhaustive()
    }
}

impl MembershipConfig {
    /// Defaults for a cluster whose nodes share `wal`'s kind: object WALs can always be taken over; file WALs
    /// cannot (use [`MembershipConfig::wal_of`] to name shared paths).
    pub fn new(wal: &WalKind) -> Self {
        let wal = wal.clone();
        Self {
            heartbeat_interval: Duration::from_millis(500),
            session_timeout: Duration::from_secs(6),
            wal_of: Arc::new(move |_| match &wal {
                WalKind::Object { .. } => Some(wal.clone()),
                WalKind::File { .. } => None,
            }),
            gc_interval: Some(Duration::from_secs(60)),
            gc_grace: Duration::from_secs(300),
        }
    }
}

/// What this node's membership loop last saw and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipStatus {
    /// Heartbeats written so far.
    pub beats: u64,
    /// The nodes this node believes alive, itself included.
    pub live: BTreeSet<NodeId>,
    /// The controller by this node's view: the lowest live node.
    pub controller: Option<NodeId>,
    /// Nodes this node took over as controller, with the streams it took.
    pub taken_over: BTreeMap<NodeId, Vec<StreamId>>,
    /// This node's own epoch was fenced: it was declared dead and must stop serving.
    pub fenced: bool,
    /// Garbage collections run as controller, and what they deleted in all.
    pub gc_runs: u64,
    pub gc_deleted: GcStats,
}

/// A running membership loop. Dropping it stops the loop.
#[derive(Debug)]
pub struct Membership {
    status: Arc<Mutex<MembershipStatus>>,
    task: JoinHandle<()>,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Membership {
    /// Starts heartbeating for `engine`'s node and watching the others.
    pub fn start(engine: Engine, config: MembershipConfig) -> Self {
        let status = Arc::new(Mutex::new(MembershipStatus::default()));
        let task = tokio::spawn(run(engine, config, Arc::clone(&status)));
        Self { status, task }
    }

    pub fn status(&self) -> MembershipStatus {
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stops heartbeating, as a crash or a pause would.
    pub fn stop(self) {}
}

fn heartbeat_dir(engine: &Engine) -> Path {
    Path::from(format!("{}/heartbeats", engine.config().prefix))
}

/// When each node's heartbeat last changed, by this observer's clock.
#[derive(Default)]
struct Observed {
    seen: HashMap<NodeId, (Option<String>, Instant)>,
}

impl Observed {
    /// Records the heartbeat's current version tag; returns how long it has gone unchanged.
    fn note(&mut self, node: NodeId, tag: Option<String>, now: Instant) -> Duration {
        let entry = self.seen.entry(node).or_insert_with(|| (tag.clone(), now));
        if entry.0 != tag {
            *entry = (tag, now);
        }
        now.duration_since(entry.1)
    }
}

async fn run(engine: Engine, config: MembershipConfig, status: Arc<Mutex<MembershipStatus>>) {
    let me = engine.node();
    let my_epoch = engine.node_epoch();
    let store = engine.store().clone();
    let dir = heartbeat_dir(&engine);
    let mine = dir.clone().join(me.to_string());
    let mut observed = Observed::default();
    let mut beats = 0u64;
    let mut last_gc: Option<Instant> = None;
    let mut ticker = tokio::time::interval(config.heartbeat_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let set = |f: &dyn Fn(&mut MembershipStatus)| {
        f(&mut status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    };
    loop {
        ticker.tick().await;
        // The metadata log first: a node fenced while it was away must not heartbeat as if alive.
        if let Err(e) = engine.meta().catch_up().await {
            warn!(error = %e, "membership: cannot read the metadata log; retrying");
            continue;
        }
        let (members, fenced) = engine
            .meta()
            .read(|s| {
                let members: Vec<NodeId> = s
                    .nodes()
                    .filter_map(|(n, _)| s.node_epoch(n).map(|_| n))
                    .collect();
                (members, s.node_epoch(me) != Some(my_epoch))
            })
            .await;
        if fenced {
            warn!(
                node = me,
                epoch = my_epoch,
                "membership: this node's epoch is fenced; it was declared dead and stops heartbeating"
            );
            set(&|s| s.fenced = true);
            return;
        }
        beats += 1;
        let body = format!(r#"{{"node":{me},"epoch":{my_epoch},"beat":{beats}}}"#);
        match store.put(&mine, PutPayload::from(body.into_bytes())).await {
            Ok(_) => set(&|s| s.beats = beats),
            Err(e) => warn!(error = %e, "membership: heartbeat write failed; retrying"),
        }
        let listed: Vec<object_store::ObjectMeta> = match store.list(Some(&dir)).try_collect().await
        {
            Ok(l) => l,
            Err(e) => {
                warn!(error = %e, "membership: cannot list heartbeats; retrying");
                continue;
            }
        };
        let tags: HashMap<NodeId, String> = listed
            .iter()
            .filter_map(|m| {
                let node = m.location.filename()?.parse::<NodeId>().ok()?;
                // The ETag changes with every write; stores without one still change size or time.
                let tag = m.e_tag.clone().unwrap_or_else(|| {
                    format!("{}@{}", m.size, m.last_modified.timestamp_micros())
                });
                Some((node, tag))
            })
            .collect();
        let now = Instant::now();
        let mut live = BTreeSet::from([me]);
        let mut dead = Vec::new();
        for &n in members.iter().filter(|&&n| n != me) {
            if observed.note(n, tags.get(&n).cloned(), now) >= config.session_timeout {
                dead.push(n);
            } else {
                live.insert(n);
            }
        }
        let controller = live.first().copied();
        set(&|s| {
            s.live = live.clone();
            s.controller = controller;
        });
        if controller != Some(me) {
            continue;
        }
        for n in dead {
            let Some(wal) = (config.wal_of)(n) else {
                warn!(
                    dead = n,
                    "membership: node {n} is dead but its file WAL is not on a shared path; its streams wait \
                     for it to restart"
                );
                continue;
            };
            info!(
                dead = n,
                "membership: node {n} stopped heartbeating; taking over its streams"
            );
            match engine.take_over(n, wal).await {
                Ok(streams) => {
                    observed.seen.remove(&n);
                    set(&|s| {
                        s.taken_over.insert(n, streams.clone());
                    });
                }
                Err(e) => warn!(dead = n, error = %e, "membership: take-over failed; retrying"),
            }
        }
        // Cluster-wide chores fall to the controller alone.
        if let Some(every) = config.gc_interval
            && last_gc.is_none_or(|t| t.elapsed() >= every)
        {
            last_gc = Some(Instant::now());
            match engine.collect_garbage(config.gc_grace).await {
                Ok(stats) => set(&|s| {
                    s.gc_runs += 1;
                    s.gc_deleted.objects += stats.objects;
                    s.gc_deleted.orphans += stats.orphans;
                }),
                Err(e) => warn!(error = %e, "membership: garbage collection failed; retrying"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use bytes::Bytes;
    use object_store::ObjectStore;
    use object_store::local::LocalFileSystem;

    use super::*;
    use automq_stream::engine::EngineConfig;
    use automq_stream::types::Offset;

    struct Cluster {
        dir: tempfile::TempDir,
        store: Arc<dyn ObjectStore>,
    }

    impl Cluster {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("store")).unwrap();
            let store =
                Arc::new(LocalFileSystem::new_with_prefix(dir.path().join("store")).unwrap());
            Self { dir, store }
        }

        fn file_wal(&self, node: NodeId) -> WalKind {
            WalKind::File {
                dir: self.dir.path().join(format!("wal-{node}")),
            }
        }

        async fn node(&self, node: NodeId, wal: WalKind) -> Engine {
            let mut c = EngineConfig::new(node, "cluster", wal);
            c.upload_interval = Duration::from_millis(50);
            Engine::open(self.store.clone(), c).await.unwrap()
        }
    }

    fn fast(wal_of: WalLocator) -> MembershipConfig {
        MembershipConfig {
            heartbeat_interval: Duration::from_millis(20),
            session_timeout: Duration::from_millis(400),
            wal_of,
            gc_interval: None,
            gc_grace: Duration::ZERO,
        }
    }

    async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !f() {
            assert!(Instant::now() < deadline, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn eventually_async<F: Future<Output = bool>>(what: &str, mut f: impl FnMut() -> F) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !f().await {
            assert!(Instant::now() < deadline, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Appends `n` one-record batches; returns what was acknowledged, by offset.
    async fn append(engine: &Engine, stream: StreamId, n: u64) -> Vec<(Offset, Bytes)> {
        let mut acked = Vec::new();
        for i in 0..n {
            let p = Bytes::from(format!("s{stream}-r{i}"));
            let at = engine.append(stream, 1, p.clone()).await.unwrap();
            acked.push((at, p));
        }
        acked
    }

    async fn read(engine: &Engine, stream: StreamId) -> Vec<(Offset, Bytes)> {
        let mut out = Vec::new();
        let mut next = 0;
        loop {
            let got = engine.read(stream, next, 1 << 20).await.unwrap();
            if got.is_empty() {
                return out;
            }
            for b in got {
                next = b.end_offset();
                out.push((b.base_offset, b.payload));
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_controller_takes_over_a_silent_node_and_fences_it() {
        let c = Cluster::new();
        let object = WalKind::Object {
            interval: Duration::from_millis(5),
            max_bytes: 1 << 20,
        };
        let e1 = c.node(1, object.clone()).await;
        let e2 = c.node(2, object.clone()).await;
        let e3 = c.node(3, object.clone()).await;
        let config = MembershipConfig {
            heartbeat_interval: Duration::from_millis(20),
            session_timeout: Duration::from_millis(400),
            ..MembershipConfig::new(&object)
        };
        let m1 = Membership::start(e1.clone(), config.clone());
        let m2 = Membership::start(e2.clone(), config.clone());
        let m3 = Membership::start(e3.clone(), config.clone());
        eventually("every node sees three live nodes and controller 1", || {
            [&m1, &m2, &m3].iter().all(|m| {
                let s = m.status();
                s.live.len() == 3 && s.controller == Some(1)
            })
        })
        .await;

        let s = e3.create_stream("orders-0").await.unwrap();
        e3.open_stream(s).await.unwrap();
        let mut acked = append(&e3, s, 20).await;
        e3.flush().await.unwrap();
        // Acknowledged after the last upload: only in node 3's WAL.
        acked.extend(append(&e3, s, 5).await);

        // Node 3 stops heartbeating but keeps running, as a paused process would.
        m3.stop();
        eventually("node 1 takes over node 3", || {
            m1.status().taken_over.get(&3) == Some(&vec![s])
        })
        .await;
        assert!(
            m2.status().taken_over.is_empty(),
            "only the controller takes over"
        );
        eventually("node 2 no longer counts node 3", || {
            !m2.status().live.contains(&3)
        })
        .await;
        let owner = e1.meta().read(|st| st.owner(s)).await;
        assert_eq!(owner.map(|(n, _)| n), Some(1));
        assert_eq!(read(&e1, s).await, acked, "every acknowledged record, once");

        // The paused node wakes up: it acknowledges nothing more, and its membership says it is fenced.
        let late = e3.append(s, 1, Bytes::from_static(b"zombie")).await;
        assert!(late.is_err(), "{late:?}");
        let m3 = Membership::start(e3.clone(), config);
        eventually("node 3 learns it was fenced", || m3.status().fenced).await;
        assert_eq!(
            e1.append(s, 1, Bytes::from_static(b"next")).await.unwrap(),
            25
        );
        drop((m1, m2, m3));
        e1.shutdown().await.unwrap();
        e2.shutdown().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_wal_is_taken_over_only_from_a_shared_path() {
        let c = Cluster::new();
        let e1 = c.node(1, c.file_wal(1)).await;
        let e2 = c.node(2, c.file_wal(2)).await;
        let s = e2.create_stream("logs-0").await.unwrap();
        e2.open_stream(s).await.unwrap();
        let acked = append(&e2, s, 10).await;

        // Node 1 cannot read node 2's disk: it sees node 2 dead and leaves its streams alone.
        let private = Membership::start(e1.clone(), fast(Arc::new(|_| None)));
        let m2 = Membership::start(e2.clone(), fast(Arc::new(|_| None)));
        eventually("both alive", || private.status().live.len() == 2).await;
        m2.stop();
        eventually("node 2 is dead to node 1", || {
            private.status().live.len() == 1
        })
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(private.status().taken_over.is_empty());
        let owner = e1.meta().read(|st| st.owner(s)).await;
        assert_eq!(owner.map(|(n, _)| n), Some(2), "nothing moved");
        drop(private);

        // With node 2's WAL directory on a shared path, node 1 replays it.
        let shared = c.file_wal(2);
        let m1 = Membership::start(e1.clone(), fast(Arc::new(move |_| Some(shared.clone()))));
        eventually_async("node 1 owns the stream", || async {
            e1.meta().read(|st| st.owner(s)).await.map(|(n, _)| n) == Some(1)
        })
        .await;
        eventually("takeover recorded", || {
            m1.status().taken_over.contains_key(&2)
        })
        .await;
        assert_eq!(read(&e1, s).await, acked);
        drop(m1);
        e1.shutdown().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_the_controller_collects_garbage() {
        use futures::TryStreamExt;
        let c = Cluster::new();
        let object = WalKind::Object {
            interval: Duration::from_millis(5),
            max_bytes: 1 << 20,
        };
        let e1 = c.node(1, object.clone()).await;
        let e2 = c.node(2, object.clone()).await;
        let s = e2.create_stream("trimmed-0").await.unwrap();
        e2.open_stream(s).await.unwrap();
        append(&e2, s, 10).await;
        e2.flush().await.unwrap();
        let data = Path::from("cluster/data");
        let objects = || async {
            c.store
                .list(Some(&data))
                .try_collect::<Vec<_>>()
                .await
                .unwrap()
                .len()
        };
        assert!(objects().await > 0);
        e2.trim(s, 10).await.unwrap();

        let config = MembershipConfig {
            gc_interval: Some(Duration::from_millis(50)),
            gc_grace: Duration::ZERO,
            ..fast(Arc::new(|_| None))
        };
        let m1 = Membership::start(e1.clone(), config.clone());
        let m2 = Membership::start(e2.clone(), config);
        eventually("node 1 deletes the trimmed object", || {
            m1.status().gc_deleted.objects >= 1
        })
        .await;
        eventually_async("the data prefix is empty", || async {
            objects().await == 0
        })
        .await;
        assert_eq!(m2.status().gc_runs, 0, "node 2 is not the controller");
        drop((m1, m2));
        e1.shutdown().await.unwrap();
        e2.shutdown().await.unwrap();
    }
}
