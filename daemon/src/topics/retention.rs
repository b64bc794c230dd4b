//! Retention: on a topic whose `cleanup.policy` holds `delete`, batches go from the front of each partition once
//! they are older than `retention.ms` (judged by each batch's largest timestamp) or while the batches after them
//! hold at least `retention.bytes` (Kafka's rules, at batch granularity where Kafka works by segment). The log start
//! moves by a trim ([`Partition::trim_locked`]), whole batches at a time.
//!
//! The broker's background task (`Topics::run_background`) applies it every `log.retention.check.interval.ms` to
//! the partitions open here (the ones this broker leads).

use std::sync::atomic::Ordering;

use tracing::info;

use super::batch;
use super::config::Effective;
use super::index::Span;
use super::partition::{Partition, PartitionError};

/// What retention allows to go: the offset of the first batch kept.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Batches whose largest timestamp is below this go (None: no limit by time).
    cutoff: Option<i64>,
    /// Batches go while the ones after them hold at least this many bytes (None: no limit by size).
    keep_bytes: Option<u64>,
}

impl Limits {
    fn of(config: &Effective, now_ms: i64) -> Self {
        Self {
            cutoff: (config.retention_ms >= 0).then(|| now_ms.saturating_sub(config.retention_ms)),
            keep_bytes: u64::try_from(config.retention_bytes).ok(),
        }
    }

    /// Whether a run of batches with largest timestamp `max` may go by time.
    fn expired(&self, max: Option<(i64, i64)>) -> bool {
        self.cutoff
            .is_some_and(|c| max.is_none_or(|(ts, _)| ts < c))
    }

    /// Whether `size` bytes may go when `remaining` bytes are there from their start on.
    fn oversized(&self, remaining: u64, size: u64) -> bool {
        self.keep_bytes
            .is_some_and(|keep| remaining.saturating_sub(size) >= keep && size > 0)
    }
}

impl Partition {
    /// Applies retention once; returns the new log start if it moved.
    pub async fn apply_retention(
        &self,
        config: &Effective,
        now_ms: i64,
    ) -> Result<Option<i64>, PartitionError> {
        let limits = Limits::of(config, now_ms);
        if !config.delete || (limits.cutoff.is_none() && limits.keep_bytes.is_none()) {
            return Ok(None);
        }
        let _one = self.maintenance.lock().await;
        self.interval
            .store(config.index_interval, Ordering::Relaxed);
        let (start, hw) = self.offsets();
        let (spans, next, end_bytes) = {
            let s = self.lock();
            let spans: Vec<Span> = s.index.spans().copied().collect();
            let end_bytes = spans.first().map_or(0, |f| f.bytes_before) + s.index.bytes();
            (spans, s.index.next(), end_bytes)
        };
        // Whole spans first, from the index alone: a span goes when it is expired, or when the spans after it
        // still hold the bytes to keep. Only spans wholly below the high watermark count.
        let mut by_time = true;
        let mut by_size = true;
        let mut boundary = None;
        for (i, span) in spans.iter().enumerate() {
            let end = spans.get(i + 1).map_or(next, |n| n.offset);
            let after = spans.get(i + 1).map_or(end_bytes, |n| n.bytes_before);
            let time_ok = by_time && limits.expired(span.max);
            let size_ok = by_size
                && limits.oversized(end_bytes - span.bytes_before, after - span.bytes_before);
            if end as i64 > hw || !(time_ok || size_ok) {
                boundary = Some((i, span.bytes_before));
                break;
            }
            (by_time, by_size) = (time_ok, size_ok);
        }
        let mut to = match boundary {
            Some((i, _)) => spans[i].offset,
            None => next,
        };
        // Then batch by batch inside the span where whole spans stopped (at most one span is read).
        if let Some((_, bytes_before)) = boundary {
            let mut remaining = end_bytes - bytes_before;
            let mut at = (to as i64).max(start);
            'read: while at < hw {
                let batches = self.read(at, 1 << 20, true).await?;
                if batches.is_empty() {
                    break;
                }
                for b in &batches {
                    let Some(h) = batch::stored_header(b) else {
                        break 'read;
                    };
                    let max = (h.record_count > 0).then_some((h.max_timestamp, h.base_offset));
                    let size = b.len() as u64;
                    let time_ok = by_time && limits.expired(max);
                    let size_ok = by_size && limits.oversized(remaining, size);
                    by_time = time_ok;
                    by_size = size_ok;
                    if !(time_ok || size_ok) || h.next_offset() > hw {
                        break 'read;
                    }
                    remaining -= size;
                    at = h.next_offset();
                    to = at as u64;
                }
            }
        }
        let to = (to as i64).min(hw);
        if to <= start {
            return Ok(None);
        }
        self.trim_locked(to as u64).await?;
        info!(topic = %self.topic, partition = self.index, from = start, to, "retention moved the log start");
        Ok(Some(to))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::broker::testing;
    use crate::topics::Appended;
    use automq_protocol::batch::testing::producer_batch;
    use automq_protocol::kafka_protocol::records::Compression;

    async fn topic_with(b: &crate::broker::Broker, name: &str, configs: &[(&str, &str)]) {
        let configs: BTreeMap<String, String> = configs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        b.topics
            .create(name, Some(1), configs, false)
            .await
            .unwrap();
    }

    /// Appends one batch of 2 records per timestamp; returns the batch size.
    async fn fill(b: &crate::broker::Broker, name: &str, stamps: &[i64]) -> u64 {
        let t = b.topics.by_name(name).unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        let mut size = 0;
        for ts in stamps {
            let batch = producer_batch(2, *ts, Compression::None);
            size = batch.len() as u64;
            let Appended::New { pending, .. } = p.append(&batch, &t.config, *ts).unwrap() else {
                panic!("new")
            };
            p.durable(pending).await.unwrap();
        }
        size
    }

    #[tokio::test]
    async fn batches_older_than_retention_ms_go_and_the_first_newer_one_stops_it() {
        let b = testing::broker().await;
        for interval in ["0", "4096"] {
            let name = format!("t{interval}");
            topic_with(
                &b,
                &name,
                &[("retention.ms", "1000"), ("index.interval.bytes", interval)],
            )
            .await;
            // At time 10_000 with 1000 ms retention: 100, 200 and 8_000 are expired, 9_500 is not; 300 after it
            // stays too (retention stops at the first batch it keeps, as Kafka's stops at a segment).
            fill(&b, &name, &[100, 200, 8_000, 9_500, 300, 9_900]).await;
            let t = b.topics.by_name(&name).unwrap();
            let p = b.topics.partition(&t, 0).await.unwrap();
            assert_eq!(
                p.apply_retention(&t.config, 10_000).await.unwrap(),
                Some(6),
                "{interval}"
            );
            assert_eq!(p.offsets(), (6, 12));
            assert_eq!(
                p.apply_retention(&t.config, 10_000).await.unwrap(),
                None,
                "nothing more"
            );
            // Much later everything is expired: the log is empty, appends go on from the end.
            assert_eq!(
                p.apply_retention(&t.config, 100_000).await.unwrap(),
                Some(12)
            );
            assert_eq!(p.size().await.unwrap(), 0);
        }
    }

    #[tokio::test]
    async fn batches_go_while_the_newer_ones_hold_retention_bytes() {
        let b = testing::broker().await;
        let size = producer_batch(2, 0, Compression::None).len() as u64;
        for interval in ["0", "4096"] {
            let name = format!("t{interval}");
            // Keep at least 2.5 batches' worth: 3 batches stay.
            let keep = (size * 5 / 2).to_string();
            topic_with(
                &b,
                &name,
                &[
                    ("retention.bytes", &keep),
                    ("retention.ms", "-1"),
                    ("index.interval.bytes", interval),
                ],
            )
            .await;
            fill(&b, &name, &[0; 10]).await;
            let t = b.topics.by_name(&name).unwrap();
            let p = b.topics.partition(&t, 0).await.unwrap();
            assert_eq!(
                p.apply_retention(&t.config, 0).await.unwrap(),
                Some(14),
                "{interval}"
            );
            assert_eq!(p.size().await.unwrap(), 3 * size);
        }
    }

    #[tokio::test]
    async fn compact_only_and_unlimited_topics_keep_everything() {
        let b = testing::broker().await;
        topic_with(
            &b,
            "c",
            &[("cleanup.policy", "compact"), ("retention.ms", "1")],
        )
        .await;
        topic_with(&b, "u", &[("retention.ms", "-1")]).await;
        for name in ["c", "u"] {
            fill(&b, name, &[0, 1]).await;
            let t = b.topics.by_name(name).unwrap();
            let p = b.topics.partition(&t, 0).await.unwrap();
            assert_eq!(
                p.apply_retention(&t.config, 1_000_000).await.unwrap(),
                None,
                "{name}"
            );
        }
    }
}
