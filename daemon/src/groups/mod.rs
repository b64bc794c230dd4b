//! The group coordinator: Kafka's classic consumer-group protocol, with committed offsets and group generations
//! durable on the stream engine.
//!
//! Groups are spread over a fixed number of shards (`kafka/group-coordinator` in the metadata log fixes the count
//! when the cluster first starts); a group's shard is a hash of its id. Each shard is an engine stream of
//! [`records::Record`]s, opened and replayed on this broker at its first use, and the groups it serves. The
//! handlers reach groups only through [`Groups`]. The design is in docs/groups.md.

pub mod group;
pub mod records;
pub mod shard;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_stream::engine::Engine;
use automq_stream::meta::MetaRecord;
use bytes::Bytes;
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tracing::{info, warn};

use group::{Answer, JoinArgs, JoinReply, MemberSummary, State, SyncReply};
use records::{Committed, OffsetEntry, Record, TopicPartition};
use shard::{Shard, lock, outcome};

/// The coordinator's settings (Kafka's names in the docs of each).
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// `group.min.session.timeout.ms`.
    pub min_session_timeout: Duration,
    /// `group.max.session.timeout.ms`.
    pub max_session_timeout: Duration,
    /// `group.initial.rebalance.delay.ms`: how long an empty group's first rebalance waits for more members.
    pub initial_rebalance_delay: Duration,
    /// `offset.metadata.max.bytes`.
    pub max_metadata_bytes: usize,
    /// A shard snapshots once this many bytes (and at least its last snapshot's size) were appended since.
    pub snapshot_min_bytes: u64,
    /// How often idle groups (no members, nothing stored) are looked for and forgotten.
    pub idle_check: Duration,
    /// The shard count a new cluster starts with (`offsets.topic.num.partitions`); fixed from then on.
    pub shards: u32,
}

impl Default for GroupConfig {
    fn default() -> Self {
        Self {
            min_session_timeout: Duration::from_secs(6),
            max_session_timeout: Duration::from_secs(30 * 60),
            initial_rebalance_delay: Duration::from_secs(3),
            max_metadata_bytes: 4096,
            snapshot_min_bytes: 1 << 20,
            idle_check: Duration::from_secs(60),
            shards: 8,
        }
    }
}

/// Where the shard count lives in the metadata log.
pub const SHARDS_KEY: &str = "kafka/group-coordinator";

/// A group as ListGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub protocol_type: String,
    pub state: &'static str,
}

/// A group as DescribeGroups shows it.
#[derive(Debug, Clone)]
pub struct Described {
    pub state: &'static str,
    pub protocol_type: String,
    /// The protocol, once stable; empty otherwise.
    pub protocol: String,
    pub members: Vec<MemberSummary>,
}

/// Who is committing, as an OffsetCommit says.
#[derive(Debug, Clone)]
pub struct Committer {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub generation: i32,
    /// v2–v4: the retention asked for, or -1.
    pub retention_ms: i64,
    /// v9+ answers GROUP_ID_NOT_FOUND for an unknown group committed to with a generation.
    pub version: i16,
}

/// One offset to commit.
#[derive(Debug, Clone)]
pub struct NewOffset {
    pub at: TopicPartition,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

/// Every group this broker coordinates.
#[derive(Debug)]
pub struct Groups {
    engine: Engine,
    config: GroupConfig,
    shards: Vec<OnceCell<Arc<Shard>>>,
}

/// A stable hash of a group id (FNV-1a), so a group keeps its shard across builds and brokers.
fn hash(group: &str) -> u64 {
    group.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Groups {
    /// Reads the shard count from the metadata log, recording `config.shards` there if this is the first start.
    /// Shards are loaded on first use.
    pub async fn open(engine: Engine, config: GroupConfig) -> automq_stream::Result<Self> {
        let meta = engine.meta();
        meta.catch_up().await?;
        let read = |s: &automq_stream::meta::ClusterState| {
            s.entry(SHARDS_KEY)
                .and_then(|v| v.get("shards"))
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
        };
        let mut count = meta.read(read).await;
        if count.is_none() {
            let shards = config.shards.max(1);
            meta.propose_with(|s| {
                Ok(read(s).is_none().then(|| MetaRecord::EntryPut {
                    key: SHARDS_KEY.to_string(),
                    value: serde_json::json!({ "shards": shards }),
                }))
            })
            .await?;
            count = meta.read(read).await;
        }
        let count = count.unwrap_or(1);
        info!(shards = count, "group coordinator ready");
        Ok(Self {
            engine,
            config,
            shards: (0..count).map(|_| OnceCell::new()).collect(),
        })
    }

    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    #[cfg(test)]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn shard_count(&self) -> u32 {
        self.shards.len() as u32
    }

    pub fn shard_of(&self, group: &str) -> u32 {
        (hash(group) % self.shards.len().max(1) as u64) as u32
    }

    async fn shard_at(&self, index: u32) -> Result<Arc<Shard>, ResponseError> {
        let cell = self
            .shards
            .get(index as usize)
            .ok_or(ResponseError::CoordinatorNotAvailable)?;
        let shard = cell
            .get_or_try_init(|| Shard::load(self.engine.clone(), index, self.config.clone()))
            .await
            .map_err(|e| {
                warn!("{e}");
                ResponseError::CoordinatorNotAvailable
            })?;
        if shard.failure().is_some() {
            return Err(ResponseError::CoordinatorNotAvailable);
        }
        Ok(shard.clone())
    }

    async fn shard(&self, group: &str) -> Result<Arc<Shard>, ResponseError> {
        self.shard_at(self.shard_of(group)).await
    }

    /// Whether this broker can coordinate `group` now (FindCoordinator): its shard loads and is healthy.
    pub async fn ready(&self, group: &str) -> Result<(), ResponseError> {
        self.shard(group).await.map(drop)
    }

    // ---- membership ----

    pub async fn join(&self, group_id: &str, args: JoinArgs) -> JoinReply {
        let fail = |e| JoinReply::error(e, &args.member_id);
        if group_id.is_empty() {
            return fail(ResponseError::InvalidGroupId);
        }
        if args.session_timeout < self.config.min_session_timeout
            || args.session_timeout > self.config.max_session_timeout
        {
            return fail(ResponseError::InvalidSessionTimeout);
        }
        let shard = match self.shard(group_id).await {
            Ok(s) => s,
            Err(e) => return fail(e),
        };
        let group_ref = if args.member_id.is_empty() {
            shard.group_or_create(group_id)
        } else {
            match shard.group(group_id) {
                Some(g) => g,
                None => return fail(ResponseError::UnknownMemberId),
            }
        };
        let member_id = args.member_id.clone();
        let answer = {
            let mut g = lock(&group_ref);
            let a = g.join(args, Instant::now(), &self.config);
            shard.persist(&group_ref, &mut g);
            a
        };
        shard.wake_timers();
        match answer {
            Answer::Now(r) => r,
            Answer::Later(rx) => rx
                .await
                .unwrap_or_else(|_| JoinReply::error(ResponseError::UnknownMemberId, &member_id)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn sync(
        &self,
        group_id: &str,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        protocol_type: Option<&str>,
        protocol: Option<&str>,
        assignments: Vec<(String, Bytes)>,
    ) -> SyncReply {
        if group_id.is_empty() {
            return SyncReply::error(ResponseError::InvalidGroupId);
        }
        let shard = match self.shard(group_id).await {
            Ok(s) => s,
            Err(e) => return SyncReply::error(e),
        };
        let Some(group_ref) = shard.group(group_id) else {
            return SyncReply::error(ResponseError::UnknownMemberId);
        };
        let answer = {
            let mut g = lock(&group_ref);
            let a = g.sync(
                member_id,
                instance_id,
                generation,
                protocol_type,
                protocol,
                assignments,
                Instant::now(),
            );
            shard.persist(&group_ref, &mut g);
            a
        };
        shard.wake_timers();
        match answer {
            Answer::Now(r) => r,
            Answer::Later(rx) => rx
                .await
                .unwrap_or_else(|_| SyncReply::error(ResponseError::UnknownMemberId)),
        }
    }

    pub async fn heartbeat(
        &self,
        group_id: &str,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Option<ResponseError> {
        if group_id.is_empty() {
            return Some(ResponseError::InvalidGroupId);
        }
        let shard = match self.shard(group_id).await {
            Ok(s) => s,
            Err(e) => return Some(e),
        };
        let Some(group_ref) = shard.group(group_id) else {
            return Some(ResponseError::UnknownMemberId);
        };
        let mut g = lock(&group_ref);
        g.heartbeat(member_id, instance_id, generation, Instant::now())
    }

    /// Members leaving, each by member id, instance id or both; one answer per member, in order.
    pub async fn leave(
        &self,
        group_id: &str,
        members: &[(String, Option<String>)],
    ) -> Result<Vec<Option<ResponseError>>, ResponseError> {
        if group_id.is_empty() {
            return Err(ResponseError::InvalidGroupId);
        }
        let shard = self.shard(group_id).await?;
        let Some(group_ref) = shard.group(group_id) else {
            return Ok(vec![Some(ResponseError::UnknownMemberId); members.len()]);
        };
        let results = {
            let mut g = lock(&group_ref);
            let now = Instant::now();
            let r = members
                .iter()
                .map(|(id, instance)| g.leave(id, instance.as_deref(), now, &self.config))
                .collect();
            shard.persist(&group_ref, &mut g);
            r
        };
        shard.wake_timers();
        Ok(results)
    }

    // ---- offsets ----

    /// Commits `offsets` for `group_id`; one answer per offset, in order. A group that does not exist is created
    /// for a commit without a generation (a tool such as kafka-consumer-groups resetting offsets).
    pub async fn commit(
        &self,
        group_id: &str,
        by: &Committer,
        offsets: Vec<NewOffset>,
    ) -> Vec<(TopicPartition, Option<ResponseError>)> {
        self.commit_as(group_id, Some(by), offsets).await
    }

    /// Writes the offsets of a committed transaction (TxnOffsetCommit checked the producer when it was sent;
    /// the group's members and generation may have changed since, as in Kafka). Creates the group if needed.
    pub async fn commit_transactional(
        &self,
        group_id: &str,
        offsets: Vec<NewOffset>,
    ) -> Vec<(TopicPartition, Option<ResponseError>)> {
        self.commit_as(group_id, None, offsets).await
    }

    async fn commit_as(
        &self,
        group_id: &str,
        by: Option<&Committer>,
        offsets: Vec<NewOffset>,
    ) -> Vec<(TopicPartition, Option<ResponseError>)> {
        let transactional = Committer {
            member_id: String::new(),
            instance_id: None,
            generation: -1,
            retention_ms: -1,
            version: 0,
        };
        let validate = by.is_some();
        let by = by.unwrap_or(&transactional);
        let all = |offsets: Vec<NewOffset>, e: ResponseError| {
            offsets.into_iter().map(|o| (o.at, Some(e))).collect()
        };
        if group_id.is_empty() {
            return all(offsets, ResponseError::InvalidGroupId);
        }
        let shard = match self.shard(group_id).await {
            Ok(s) => s,
            Err(e) => return all(offsets, e),
        };
        let group_ref = match shard.group(group_id) {
            Some(g) => g,
            None if by.generation < 0 => shard.group_or_create(group_id),
            None if by.version >= 9 => return all(offsets, ResponseError::GroupIdNotFound),
            None => return all(offsets, ResponseError::IllegalGeneration),
        };
        let commit_ms = now_ms();
        let expire_ms = (by.retention_ms >= 0).then(|| commit_ms.saturating_add(by.retention_ms));
        let mut results: Vec<(TopicPartition, Option<ResponseError>)> = Vec::new();
        let mut entries = Vec::new();
        let rx = {
            let mut g = lock(&group_ref);
            if validate
                && let Err(e) = g.validate_commit(
                    &by.member_id,
                    by.instance_id.as_deref(),
                    by.generation,
                    Instant::now(),
                )
            {
                return all(offsets, e);
            }
            for o in offsets {
                let metadata = o.metadata.unwrap_or_default();
                if metadata.len() > self.config.max_metadata_bytes {
                    results.push((o.at, Some(ResponseError::OffsetMetadataTooLarge)));
                    continue;
                }
                results.push((o.at.clone(), None));
                entries.push(OffsetEntry {
                    at: o.at,
                    committed: Committed {
                        offset: o.offset,
                        leader_epoch: o.leader_epoch,
                        metadata,
                        commit_ms,
                        expire_ms,
                    },
                });
            }
            if entries.is_empty() {
                return results;
            }
            shard.write(Record::OffsetsCommitted {
                group: group_id.to_string(),
                offsets: entries,
            })
        };
        if let Err(e) = outcome(rx).await {
            for r in &mut results {
                r.1 = r.1.or(Some(e));
            }
        }
        results
    }

    /// The committed offsets of `group_id`: of the partitions asked for (`None` for those never committed), or
    /// all of them.
    pub async fn committed(
        &self,
        group_id: &str,
        partitions: Option<Vec<TopicPartition>>,
    ) -> Result<Vec<(TopicPartition, Option<Committed>)>, ResponseError> {
        let shard = self.shard(group_id).await?;
        Ok(shard.read(|s| {
            let offsets = s.groups.get(group_id).map(|g| &g.offsets);
            match partitions {
                Some(asked) => asked
                    .into_iter()
                    .map(|tp| {
                        let c = offsets.and_then(|o| o.get(&tp)).cloned();
                        (tp, c)
                    })
                    .collect(),
                None => offsets
                    .into_iter()
                    .flatten()
                    .map(|(tp, c)| (tp.clone(), Some(c.clone())))
                    .collect(),
            }
        }))
    }

    /// OffsetDelete: removes committed offsets of partitions no member subscribes to.
    pub async fn delete_offsets(
        &self,
        group_id: &str,
        partitions: Vec<TopicPartition>,
    ) -> Result<Vec<(TopicPartition, Option<ResponseError>)>, ResponseError> {
        if group_id.is_empty() {
            return Err(ResponseError::InvalidGroupId);
        }
        let shard = self.shard(group_id).await?;
        let group_ref = shard
            .group(group_id)
            .ok_or(ResponseError::GroupIdNotFound)?;
        let mut results = Vec::new();
        let rx = {
            let g = lock(&group_ref);
            g.validate_offset_delete()?;
            let mut gone = Vec::new();
            for tp in partitions {
                if g.subscribed_to(&tp.topic) {
                    results.push((tp, Some(ResponseError::GroupSubscribedToTopic)));
                    continue;
                }
                let held = shard.read(|s| {
                    s.groups
                        .get(group_id)
                        .is_some_and(|d| d.offsets.contains_key(&tp))
                });
                if held {
                    gone.push(tp.clone());
                }
                results.push((tp, None));
            }
            if gone.is_empty() {
                return Ok(results);
            }
            shard.write(Record::OffsetsDeleted {
                group: group_id.to_string(),
                partitions: gone,
            })
        };
        if let Err(e) = outcome(rx).await {
            for r in &mut results {
                r.1 = r.1.or(Some(e));
            }
        }
        Ok(results)
    }

    // ---- administration ----

    /// Every group, loading every shard; the error says some shard could not be read.
    pub async fn list(&self) -> (Vec<Listed>, Option<ResponseError>) {
        let mut listed = Vec::new();
        let mut error = None;
        // Shards not loaded yet load side by side.
        let shards =
            futures::future::join_all((0..self.shard_count()).map(|i| self.shard_at(i))).await;
        for shard in shards {
            match shard {
                Ok(shard) => {
                    for group_ref in shard.groups() {
                        let g = lock(&group_ref);
                        if g.state == State::Dead {
                            continue;
                        }
                        listed.push(Listed {
                            id: g.id.clone(),
                            protocol_type: g.protocol_type.clone().unwrap_or_default(),
                            state: g.state.name(),
                        });
                    }
                }
                Err(e) => error = Some(e),
            }
        }
        listed.sort_by(|a, b| a.id.cmp(&b.id));
        (listed, error)
    }

    /// A group's state and members; `GroupIdNotFound` when there is no such group.
    pub async fn describe(&self, group_id: &str) -> Result<Described, ResponseError> {
        if group_id.is_empty() {
            return Err(ResponseError::InvalidGroupId);
        }
        let shard = self.shard(group_id).await?;
        let group_ref = shard
            .group(group_id)
            .ok_or(ResponseError::GroupIdNotFound)?;
        let g = lock(&group_ref);
        if g.state == State::Dead {
            return Err(ResponseError::GroupIdNotFound);
        }
        Ok(Described {
            state: g.state.name(),
            protocol_type: g.protocol_type.clone().unwrap_or_default(),
            protocol: if g.state == State::Stable {
                g.protocol.clone().unwrap_or_default()
            } else {
                String::new()
            },
            members: g.summary(),
        })
    }

    /// DeleteGroups: an empty group and its offsets are gone, durably.
    pub async fn delete(&self, group_id: &str) -> Option<ResponseError> {
        if group_id.is_empty() {
            return Some(ResponseError::GroupIdNotFound);
        }
        let shard = match self.shard(group_id).await {
            Ok(s) => s,
            Err(e) => return Some(e),
        };
        let Some(group_ref) = shard.group(group_id) else {
            return Some(ResponseError::GroupIdNotFound);
        };
        let rx = {
            let mut g = lock(&group_ref);
            match g.state {
                State::Dead => return Some(ResponseError::GroupIdNotFound),
                State::Empty if !g.has_members() => {}
                _ => return Some(ResponseError::NonEmptyGroup),
            }
            g.kill();
            shard.forget(group_id);
            shard.write(Record::GroupDeleted {
                group: group_id.to_string(),
            })
        };
        info!(group = group_id, "group deleted");
        outcome(rx).await.err()
    }
}
