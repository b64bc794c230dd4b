//! The broker's background work on the partitions it leads: retention every `log.retention.check.interval.ms`.
//! Each round first catches up with the metadata log, so config changes made through another broker count.

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

    /// Catches up with the metadata log and rebuilds the view (other brokers' changes).
    pub async fn catch_up(&self) {
        match self.engine.meta().catch_up().await {
            Ok(_) => self.refresh().await,
            Err(e) => debug!("catching up with the metadata log failed: {e}"),
        }
    }

    /// Runs retention on schedule until the task is dropped or aborted.
    pub async fn run_background(&self) {
        let mut retention_due = tokio::time::Instant::now();
        loop {
            let layers = self.layers();
            let retention_every = Duration::from_millis(
                layers
                    .long("log.retention.check.interval.ms", 300_000)
                    .max(1) as u64,
            );
            tokio::time::sleep_until(retention_due).await;
            self.catch_up().await;
            let moved = self.retention_pass(now_ms()).await;
            if moved > 0 {
                debug!(partitions = moved, "retention round done");
            }
            retention_due = tokio::time::Instant::now() + retention_every;
        }
    }
}
