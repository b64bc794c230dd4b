//! Kafka topics and partitions on the stream engine: the registry in the metadata log, partitions opened on
//! demand as engine streams, record batches checked and stored as sent, idempotent producers, and producer ids.
//!
//! The handlers reach storage only through [`Topics`]; the engine sees streams, offsets and opaque payloads. The
//! layout on storage is in docs/partitions.md.

pub use automq_protocol::batch;
mod admin;
mod background;
pub mod broker_config;
mod compaction;
pub mod config;
pub mod index;
pub mod partition;
pub mod partition_entry;
pub mod producers;
pub mod registry;
mod retention;
pub mod state;
mod trim;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_stream::engine::Engine;
use automq_stream::meta::MetaRecord;
use tokio::sync::{OnceCell, watch};
use tracing::{info, warn};

pub use background::now_ms;
pub use partition::{Appended, Partition, PartitionError};
pub use registry::TopicEntry;

use broker_config::{BrokerLayers, BrokerTarget};
use config::Effective;

/// A topic as the data path needs it: the registry entry and its effective settings.
#[derive(Debug)]
pub struct Topic {
    pub entry: TopicEntry,
    pub id: uuid::Uuid,
    pub config: Effective,
}

/// Topic defaults from the broker's configuration.
#[derive(Debug, Clone, Copy)]
pub struct TopicDefaults {
    /// Kafka's `auto.create.topics.enable`.
    pub auto_create: bool,
    /// Kafka's `num.partitions`.
    pub partitions: u32,
}

/// What the broker's configuration says beyond topic defaults.
#[derive(Debug, Clone, Default)]
pub struct BrokerSettings {
    /// Kafka broker configs set in automqd's configuration (STATIC_BROKER_CONFIG), by Kafka's names.
    pub static_configs: BTreeMap<String, String>,
    /// The name DescribeLogDirs gives the one logical log directory: the shared data location.
    pub log_dir: String,
}

/// What a topic request asked for that cannot be done: the Kafka error code and one line saying why.
pub type TopicError = PartitionError;

#[derive(Debug, Default)]
struct View {
    by_name: BTreeMap<String, Arc<Topic>>,
    by_id: HashMap<uuid::Uuid, Arc<Topic>>,
    /// Broker configs: this broker's dynamic ones, the cluster's dynamic defaults, the static ones.
    layers: BrokerLayers,
}

type Slot = Arc<OnceCell<Arc<Partition>>>;

/// Every topic, and the partitions open on this broker.
#[derive(Debug)]
pub struct Topics {
    engine: Engine,
    pub defaults: TopicDefaults,
    pub settings: BrokerSettings,
    /// The registry as of this broker's last look; the metadata log is the truth.
    view: RwLock<Arc<View>>,
    open: Mutex<HashMap<(uuid::Uuid, u32), Slot>>,
    /// Bumped after every durable append, so waiting fetches look again.
    appended: Arc<watch::Sender<u64>>,
    /// The rest of this broker's block of producer ids: `next..end`.
    producer_ids: tokio::sync::Mutex<(i64, i64)>,
}

fn meta_error(e: &automq_stream::Error) -> TopicError {
    TopicError::new(ResponseError::KafkaStorageError, e.to_string())
}

impl Topics {
    /// Loads the registry and deletes the streams of topics deleted before a crash finished the job.
    pub async fn open(engine: Engine, defaults: TopicDefaults) -> automq_stream::Result<Self> {
        Self::open_with(engine, defaults, BrokerSettings::default()).await
    }

    /// [`Topics::open`] with the broker's static Kafka configs and log directory name.
    pub async fn open_with(
        engine: Engine,
        defaults: TopicDefaults,
        settings: BrokerSettings,
    ) -> automq_stream::Result<Self> {
        let topics = Self {
            engine,
            defaults,
            settings,
            view: RwLock::new(Arc::new(View::default())),
            open: Mutex::new(HashMap::new()),
            appended: Arc::new(watch::channel(0).0),
            producer_ids: tokio::sync::Mutex::new((0, 0)),
        };
        topics.engine.meta().catch_up().await?;
        topics.refresh().await;
        let orphans: Vec<(u64, String)> = {
            let view = topics.view();
            topics
                .engine
                .meta()
                .read(|s| {
                    s.streams()
                        .filter(|(_, m)| {
                            registry::topic_id_of_stream(&m.name).is_some_and(|id| {
                                uuid::Uuid::parse_str(id)
                                    .map_or(true, |id| !view.by_id.contains_key(&id))
                            })
                        })
                        .map(|(id, m)| (id, m.name.clone()))
                        .collect()
                })
                .await
        };
        for (stream, name) in orphans {
            info!(stream, name, "deleting the stream of a deleted topic");
            topics.engine.delete_stream(stream).await?;
        }
        // Compacted heads that no partition entry names (a pass that crashed before recording its head).
        let stale: Vec<(u64, String)> = topics
            .engine
            .meta()
            .read(|s| {
                let named: std::collections::HashSet<String> = partition_entry::keys(s)
                    .iter()
                    .filter_map(|k| partition_entry::PartitionEntry::read(s, k).compacted)
                    .map(|c| c.stream)
                    .collect();
                s.streams()
                    .filter(|(_, m)| {
                        registry::is_compacted_head(&m.name) && !named.contains(&m.name)
                    })
                    .map(|(id, m)| (id, m.name.clone()))
                    .collect()
            })
            .await;
        for (stream, name) in stale {
            info!(stream, name, "deleting a compacted head no partition uses");
            topics.engine.delete_stream(stream).await?;
        }
        let view = topics.view();
        topics
            .delete_partition_entries(|id| {
                uuid::Uuid::parse_str(id).map_or(true, |id| !view.by_id.contains_key(&id))
            })
            .await;
        info!(topics = topics.view().by_name.len(), "topics loaded");
        Ok(topics)
    }

    fn view(&self) -> Arc<View> {
        self.view
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// This broker's node id, as Kafka numbers brokers.
    pub fn node_id(&self) -> i32 {
        i32::try_from(self.engine.node()).unwrap_or(i32::MAX)
    }

    /// The static layer: the configuration file's Kafka settings, and what the broker's own settings say in
    /// Kafka's names.
    fn static_configs(&self) -> BTreeMap<String, String> {
        let mut out = self.settings.static_configs.clone();
        out.insert("node.id".into(), self.node_id().to_string());
        out.insert(
            "num.partitions".into(),
            self.defaults.partitions.to_string(),
        );
        out.insert(
            "auto.create.topics.enable".into(),
            self.defaults.auto_create.to_string(),
        );
        if !self.settings.log_dir.is_empty() {
            out.insert("log.dirs".into(), self.settings.log_dir.clone());
        }
        out
    }

    /// Rebuilds the view from the metadata log replica.
    async fn refresh(&self) {
        let node = BrokerTarget::Node(self.node_id());
        let (entries, dynamic, cluster) = self
            .engine
            .meta()
            .read(|s| {
                (
                    registry::topics(s),
                    broker_config::stored(s, node),
                    broker_config::stored(s, BrokerTarget::Default),
                )
            })
            .await;
        let mut view = View {
            layers: BrokerLayers {
                dynamic,
                cluster,
                static_: self.static_configs(),
            },
            ..View::default()
        };
        for (name, entry) in entries {
            let topic = Arc::new(Topic {
                id: entry.uuid(),
                config: Effective::resolve(&entry.configs, &view.layers),
                entry,
            });
            view.by_id.insert(topic.id, topic.clone());
            view.by_name.insert(name, topic);
        }
        *self
            .view
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(view);
    }

    /// The broker config layers as of this broker's last look.
    pub fn layers(&self) -> BrokerLayers {
        self.view().layers.clone()
    }

    pub fn by_name(&self, name: &str) -> Option<Arc<Topic>> {
        self.view().by_name.get(name).cloned()
    }

    pub fn by_id(&self, id: uuid::Uuid) -> Option<Arc<Topic>> {
        self.view().by_id.get(&id).cloned()
    }

    /// Every topic, by name.
    pub fn all(&self) -> Vec<Arc<Topic>> {
        self.view().by_name.values().cloned().collect()
    }

    /// Creates a topic; with `validate_only`, checks everything and writes nothing.
    pub async fn create(
        &self,
        name: &str,
        partitions: Option<u32>,
        configs: BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<Arc<Topic>, TopicError> {
        registry::check_name(name)
            .map_err(|m| TopicError::new(ResponseError::InvalidTopicException, m))?;
        let partitions = partitions.unwrap_or(self.defaults.partitions);
        if partitions == 0 {
            return Err(TopicError::new(
                ResponseError::InvalidPartitions,
                "a topic needs at least one partition",
            ));
        }
        for (k, v) in &configs {
            config::check(k, v).map_err(|m| TopicError::new(ResponseError::InvalidConfig, m))?;
        }
        let exists = || {
            TopicError::new(
                ResponseError::TopicAlreadyExists,
                format!("topic `{name}` already exists"),
            )
        };
        if self.by_name(name).is_some() {
            return Err(exists());
        }
        let entry = TopicEntry {
            name: name.to_string(),
            id: registry::new_topic_id().simple().to_string(),
            partitions,
            configs,
        };
        let topic = Arc::new(Topic {
            id: entry.uuid(),
            config: Effective::resolve(&entry.configs, &self.view().layers),
            entry,
        });
        if validate_only {
            return Ok(topic);
        }
        let key = registry::key(name);
        let landed = self
            .engine
            .meta()
            .propose_with(|s| {
                Ok((s.entry(&key).is_none()).then(|| registry::create_record(&topic.entry)))
            })
            .await
            .map_err(|e| meta_error(&e))?;
        self.refresh().await;
        if landed.is_none() {
            return Err(exists());
        }
        info!(topic = name, partitions, id = %topic.id, "topic created");
        Ok(topic)
    }

    /// Deletes a topic: its registry entry first (it is gone for every client at once), then its partitions'
    /// streams. A crash in between leaves streams that the next start deletes.
    pub async fn delete(&self, name: &str) -> Result<(), TopicError> {
        let key = registry::key(name);
        let gone = self
            .engine
            .meta()
            .propose_with(|s| {
                Ok(s.entry(&key)
                    .is_some()
                    .then(|| registry::delete_record(name)))
            })
            .await
            .map_err(|e| meta_error(&e))?;
        let topic = self.by_name(name);
        self.refresh().await;
        if gone.is_none() {
            return Err(TopicError::new(
                ResponseError::UnknownTopicOrPartition,
                format!("topic `{name}` does not exist"),
            ));
        }
        let Some(topic) = topic else {
            return Ok(());
        };
        let slots: Vec<Slot> = {
            let mut open = self
                .open
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let keys: Vec<_> = open
                .keys()
                .filter(|(id, _)| *id == topic.id)
                .copied()
                .collect();
            keys.iter().filter_map(|k| open.remove(k)).collect()
        };
        drop(slots);
        // Every stream of the topic (its partitions' data, compacted heads and state), then its partition entries.
        let prefix = format!("kafka/{}/", topic.entry.id);
        let streams: Vec<u64> = self
            .engine
            .meta()
            .read(|s| {
                s.streams()
                    .filter(|(_, m)| m.name.starts_with(&prefix))
                    .map(|(id, _)| id)
                    .collect()
            })
            .await;
        for stream in streams {
            if let Err(e) = self.engine.delete_stream(stream).await {
                warn!(
                    topic = name,
                    "deleting stream {stream} failed: {e}; the next start retries"
                );
            }
        }
        self.delete_partition_entries(|id| id == topic.entry.id)
            .await;
        info!(topic = name, "topic deleted");
        Ok(())
    }

    /// Deletes the registry entries of partitions whose topic id `gone` says is gone.
    async fn delete_partition_entries(&self, gone: impl Fn(&str) -> bool) {
        let keys: Vec<String> = self
            .engine
            .meta()
            .read(partition_entry::keys)
            .await
            .into_iter()
            .filter(|k| partition_entry::topic_id_of_key(k).is_some_and(&gone))
            .collect();
        for key in keys {
            let done = self
                .engine
                .meta()
                .propose_with(|s| {
                    Ok(s.entry(&key)
                        .is_some()
                        .then(|| MetaRecord::EntryDeleted { key: key.clone() }))
                })
                .await;
            if let Err(e) = done {
                warn!(
                    key,
                    "deleting a partition entry failed: {e}; the next start retries"
                );
            }
        }
    }

    /// The partition, opened on this broker at its first use.
    pub async fn partition(
        &self,
        topic: &Topic,
        index: i32,
    ) -> Result<Arc<Partition>, PartitionError> {
        let index = u32::try_from(index)
            .ok()
            .filter(|i| *i < topic.entry.partitions)
            .ok_or_else(|| {
                PartitionError::new(
                    ResponseError::UnknownTopicOrPartition,
                    format!("topic `{}` has no partition {index}", topic.entry.name),
                )
            })?;
        let slot = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry((topic.id, index))
            .or_default()
            .clone();
        slot.get_or_try_init(|| async {
            let name = topic.entry.data_stream_name(index);
            let stream = self.engine.create_stream(&name).await?;
            let p = Partition::open(
                self.engine.clone(),
                &topic.entry.name,
                topic.id,
                index,
                stream,
                self.appended.clone(),
                topic.config.index_interval,
            )
            .await?;
            info!(topic = %topic.entry.name, partition = index, stream, leader_epoch = p.leader_epoch, "partition opened");
            let p = Arc::new(p);
            p.spawn_snapshots();
            Ok(p)
        })
        .await
        .cloned()
        .map_err(|e: automq_stream::Error| {
            warn!(topic = %topic.entry.name, partition = index, "cannot open: {e}");
            PartitionError::from_engine(&e)
        })
    }

    /// The partition if it is open here already.
    pub fn open_partition(&self, topic: &Topic, index: u32) -> Option<Arc<Partition>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(topic.id, index))
            .and_then(|s| s.get().cloned())
    }

    /// A receiver that changes after every durable append.
    pub fn appended(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }

    /// A producer id no other producer of the cluster has had.
    pub async fn new_producer_id(&self) -> Result<i64, TopicError> {
        let mut ids = self.producer_ids.lock().await;
        if ids.0 >= ids.1 {
            let landed = self
                .engine
                .meta()
                .propose_with(|s| {
                    let next = s
                        .entry(registry::PRODUCER_IDS_KEY)
                        .and_then(|v| v.get("next"))
                        .and_then(serde_json::Value::as_i64)
                        .unwrap_or(0);
                    Ok(Some(MetaRecord::EntryPut {
                        key: registry::PRODUCER_IDS_KEY.to_string(),
                        value: serde_json::json!({ "next": next + producers::ID_BLOCK }),
                    }))
                })
                .await
                .map_err(|e| meta_error(&e))?;
            let end = match landed {
                Some((_, MetaRecord::EntryPut { value, .. })) => {
                    value.get("next").and_then(serde_json::Value::as_i64)
                }
                _ => None,
            }
            .ok_or_else(|| {
                TopicError::new(
                    ResponseError::UnknownServerError,
                    "allocating producer ids wrote nothing",
                )
            })?;
            *ids = (end - producers::ID_BLOCK, end);
        }
        let id = ids.0;
        ids.0 += 1;
        Ok(id)
    }

    /// The names of every stream in the metadata log, for tests.
    #[cfg(test)]
    pub async fn stream_names(&self) -> Vec<String> {
        self.engine
            .meta()
            .read(|s| s.streams().map(|(_, m)| m.name.clone()).collect())
            .await
    }

    /// Closes cleanly: a snapshot of every partition open here, then uploads what is pending (the snapshots too),
    /// trims each companion stream to its snapshot, and stops the engine.
    pub async fn shutdown(&self) -> automq_stream::Result<()> {
        let open = self.open_partitions();
        // All at once, so the snapshots share WAL round trips.
        futures::future::join_all(open.iter().map(|(topic, p)| async move {
            if let Err(e) = p.write_snapshot().await {
                warn!(topic = %topic.entry.name, partition = p.index, "no snapshot at close: {}; the next open replays more", e.message);
            }
        }))
        .await;
        if !open.is_empty() {
            self.engine.flush().await?;
            futures::future::join_all(open.iter().map(|(_, p)| p.trim_to_last_snapshot())).await;
        }
        self.engine.shutdown().await
    }
}
