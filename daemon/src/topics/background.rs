//! The broker's background work on the partitions it leads: retention every `log.retention.check.interval.ms`,
//! compaction every `log.cleaner.backoff.ms`. Each round first catches up with the metadata log, so config changes
//! made through another broker count.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::{debug, warn};

use super::{Partition, Topic, Topics};

/// The broker's clock in Kafka's milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Topics {
    /// Every partition open here, with its topic as of the last look.
    pub fn open_partitions(&self) -> Vec<(Arc<Topic>, Arc<Partition>)> {
        let open: Vec<((uuid::Uuid, u32), Arc<Partition>)> = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter_map(|(k, slot)| Some((*k, slot.get()?.clone())))
            .collect();
        open.into_iter()
            .filter_map(|((id, _), p)| Some((self.by_id(id)?, p)))
            .collect()
    }

    /// Applies retention to every partition open here; returns how many moved their log start.
    pub async fn retention_pass(&self, now_ms: i64) -> usize {
        let mut moved = 0;
        for (topic, p) in self.open_partitions() {
            match p.apply_retention(&topic.config, now_ms).await {
                Ok(Some(_)) => moved += 1,
                Ok(None) => {}
                Err(e) => {
                    warn!(topic = %topic.entry.name, partition = p.index, "retention failed: {}; the next round retries", e.message)
                }
            }
        }
        moved
    }

    /// Runs a compaction pass on every compacted partition open here that is due; returns how many compacted.
    pub async fn compaction_pass(&self, now_ms: i64) -> usize {
        let budget = usize::try_from(
            self.layers()
                .long("log.cleaner.dedupe.buffer.size", 128 << 20),
        )
        .unwrap_or(usize::MAX);
        let mut done = 0;
        for (topic, p) in self.open_partitions() {
            match p.compact(&topic.config, now_ms, budget).await {
                Ok(Some(_)) => done += 1,
                Ok(None) => {}
                Err(e) => {
                    warn!(topic = %topic.entry.name, partition = p.index, "compaction failed: {}; the next round retries", e.message)
                }
            }
        }
        done
    }

    /// Catches up with the metadata log and rebuilds the view (other brokers' changes).
    pub async fn catch_up(&self) {
        match self.engine.meta().catch_up().await {
            Ok(_) => self.refresh().await,
            Err(e) => debug!("catching up with the metadata log failed: {e}"),
        }
    }

    /// Runs retention and compaction on schedule until the task is dropped or aborted.
    pub async fn run_background(&self) {
        let now = tokio::time::Instant::now();
        let (mut retention_due, mut compaction_due) = (now, now);
        loop {
            tokio::time::sleep_until(retention_due.min(compaction_due)).await;
            self.catch_up().await;
            let layers = self.layers();
            let every = |name: &str, default: i64| {
                Duration::from_millis(
                    u64::try_from(layers.long(name, default))
                        .unwrap_or(1)
                        .max(1),
                )
            };
            let now = tokio::time::Instant::now();
            if now >= retention_due {
                let moved = self.retention_pass(now_ms()).await;
                if moved > 0 {
                    debug!(partitions = moved, "retention round done");
                }
                retention_due =
                    tokio::time::Instant::now() + every("log.retention.check.interval.ms", 300_000);
            }
            if now >= compaction_due {
                let compacted = self.compaction_pass(now_ms()).await;
                if compacted > 0 {
                    debug!(partitions = compacted, "compaction round done");
                }
                compaction_due =
                    tokio::time::Instant::now() + every("log.cleaner.backoff.ms", 15_000);
            }
        }
    }
}
