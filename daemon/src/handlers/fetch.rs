//! Fetch: whole record batches from the offset asked for, with Kafka's byte limits, long polling, incremental
//! fetch sessions and read_committed.
//!
//! - Limits: the response holds at most `max_bytes`, each partition at most `partition_max_bytes`, except that the
//!   first partition with data returns at least one whole batch, however large, so a consumer always progresses.
//! - An offset inside a batch returns that batch whole; the consumer skips the records before its offset.
//! - Long poll: while fewer than `min_bytes` are ready and no partition has an error, the fetch waits for the next
//!   durable append (any partition) or `max_wait_ms`, then reads again.
//! - Offsets outside `[log start, high watermark]` are OFFSET_OUT_OF_RANGE; the consumer resets per its policy.
//! - read_committed (isolation level 1) returns batches below the last stable offset only (the first offset of
//!   the earliest open transaction), with the aborted transactions in range so the consumer skips their records.
//! - Sessions (v7+, `fetch_session.rs`): a full fetch may open one; an incremental fetch reads every partition of
//!   its session and answers only those with news. The isolation level is the request's, session or not.

use std::time::Duration;

use automq_protocol::batch;
use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::fetch_response::{
    AbortedTransaction, FetchableTopicResponse, PartitionData,
};
use automq_protocol::kafka_protocol::messages::{FetchRequest, FetchResponse, ProducerId};
use bytes::{Bytes, BytesMut};

use super::fetch_session::{Answer, Context, Wanted, wanted_in};
use crate::broker::Broker;
use crate::topics::PartitionError;

pub async fn handle(broker: &Broker, version: i16, req: &FetchRequest) -> FetchResponse {
    let ctx = if version >= 7 {
        match broker.fetch_sessions.begin(req) {
            Ok(ctx) => ctx,
            Err(code) => return FetchResponse::default().with_error_code(code.code()),
        }
    } else {
        Context::Sessionless(wanted_in(req))
    };
    let deadline = tokio::time::Instant::now()
        + Duration::from_millis(u64::try_from(req.max_wait_ms).unwrap_or(0));
    let min_bytes = usize::try_from(req.min_bytes).unwrap_or(0);
    let max_bytes = if version >= 3 {
        usize::try_from(req.max_bytes).unwrap_or(0)
    } else {
        usize::MAX
    };
    let committed = version >= 4 && req.isolation_level == 1;
    let fetched = loop {
        // Subscribe before reading, so an append that lands during the read wakes the wait below.
        let mut appended = broker.topics.appended();
        let (fetched, bytes, errors) =
            fetch_once(broker, version, ctx.wanted(), max_bytes, committed).await;
        if bytes >= min_bytes || errors || tokio::time::Instant::now() >= deadline {
            break fetched;
        }
        tokio::select! {
            changed = appended.changed() => if changed.is_err() { break fetched },
            _ = tokio::time::sleep_until(deadline) => {}
        }
    };
    let answers: Vec<Answer> = fetched
        .iter()
        .map(|r| match r {
            Ok(r) => Ok((r.records.len(), r.start, r.hw, r.lso)),
            Err(e) => Err(e.code),
        })
        .collect();
    let shown = broker.fetch_sessions.finish(&ctx, &answers);
    let mut topics: Vec<FetchableTopicResponse> = Vec::new();
    for ((w, result), show) in ctx.wanted().iter().zip(fetched).zip(shown) {
        if !show {
            continue;
        }
        let data = match result {
            Ok(Read {
                records,
                start,
                hw,
                lso,
                aborted,
            }) => {
                let aborted = aborted.map(|a| {
                    a.into_iter()
                        .map(|(pid, first)| {
                            AbortedTransaction::default()
                                .with_producer_id(ProducerId(pid))
                                .with_first_offset(first)
                        })
                        .collect()
                });
                PartitionData::default()
                    .with_partition_index(w.partition)
                    .with_high_watermark(hw)
                    .with_last_stable_offset(lso)
                    .with_log_start_offset(start)
                    .with_aborted_transactions(aborted)
                    .with_records(Some(records))
            }
            Err(e) => PartitionData::default()
                .with_partition_index(w.partition)
                .with_error_code(e.code.code())
                .with_high_watermark(-1)
                .with_last_stable_offset(-1)
                .with_log_start_offset(-1)
                .with_records(Some(Bytes::new())),
        };
        match topics.last_mut() {
            Some(t) if t.topic == w.topic && t.topic_id == w.topic_id => t.partitions.push(data),
            _ => topics.push(
                FetchableTopicResponse::default()
                    .with_topic(w.topic.clone())
                    .with_topic_id(w.topic_id)
                    .with_partitions(vec![data]),
            ),
        }
    }
    FetchResponse::default()
        .with_session_id(ctx.session_id())
        .with_responses(topics)
}

type Fetched = Result<Read, PartitionError>;

/// One pass over every partition: each one's answer, the record bytes, and whether any partition failed.
async fn fetch_once(
    broker: &Broker,
    version: i16,
    wanted: &[Wanted],
    max_bytes: usize,
    committed: bool,
) -> (Vec<Fetched>, usize, bool) {
    let mut total = 0usize;
    let mut errors = false;
    let mut out = Vec::with_capacity(wanted.len());
    for w in wanted {
        let topic = if version >= 13 {
            broker.topics.by_id(w.topic_id)
        } else {
            broker.topics.by_name(w.topic.as_str())
        };
        let result = match &topic {
            None if version >= 13 => Err(PartitionError::new(
                ResponseError::UnknownTopicId,
                format!("no topic has id {}", w.topic_id),
            )),
            None => Err(PartitionError::new(
                ResponseError::UnknownTopicOrPartition,
                format!("topic `{}` does not exist", w.topic.as_str()),
            )),
            Some(topic) => {
                let room = max_bytes.saturating_sub(total);
                let limit = usize::try_from(w.max_bytes).unwrap_or(0).min(room);
                read(
                    broker,
                    topic,
                    w.partition,
                    w.current_leader_epoch,
                    w.fetch_offset,
                    limit,
                    total == 0,
                    committed,
                )
                .await
            }
        };
        match &result {
            Ok(r) => total += r.records.len(),
            Err(_) => errors = true,
        }
        out.push(result);
    }
    (out, total, errors)
}

/// What one partition answers.
struct Read {
    records: Bytes,
    start: i64,
    hw: i64,
    lso: i64,
    /// read_committed: the aborted transactions overlapping the records, (producer id, first offset).
    aborted: Option<Vec<(i64, i64)>>,
}

/// The batches of one partition from `offset`, with its log start offset, high watermark and last stable
/// offset; read_committed stops at the last stable offset and lists the aborted transactions in range.
#[allow(clippy::too_many_arguments)]
async fn read(
    broker: &Broker,
    topic: &crate::topics::Topic,
    index: i32,
    current_leader_epoch: i32,
    offset: i64,
    limit: usize,
    first_with_data: bool,
    committed: bool,
) -> Result<Read, PartitionError> {
    let p = broker.topics.partition(topic, index).await?;
    if current_leader_epoch >= 0 && current_leader_epoch != p.leader_epoch {
        let code = if current_leader_epoch < p.leader_epoch {
            ResponseError::FencedLeaderEpoch
        } else {
            ResponseError::UnknownLeaderEpoch
        };
        return Err(PartitionError::new(
            code,
            format!(
                "leader epoch {current_leader_epoch} asked, {} current",
                p.leader_epoch
            ),
        ));
    }
    let (start, hw) = p.offsets();
    let lso = p.last_stable_offset();
    let visible_end = if committed { lso } else { hw };
    if offset == hw || (committed && offset >= lso && offset <= hw) {
        return Ok(Read {
            records: Bytes::new(),
            start,
            hw,
            lso,
            aborted: committed.then(Vec::new),
        });
    }
    let mut batches = p.read(offset, limit, first_with_data).await?;
    if committed {
        batches.retain(|b| batch::stored_header(b).is_some_and(|h| h.base_offset < visible_end));
    }
    let (start, hw) = p.offsets();
    let records = match batches.len() {
        0 => Bytes::new(),
        1 => batches.into_iter().next().unwrap_or_default(),
        _ => {
            let mut out = BytesMut::with_capacity(batches.iter().map(Bytes::len).sum());
            for b in &batches {
                out.extend_from_slice(b);
            }
            out.freeze()
        }
    };
    let aborted = committed.then(|| p.aborted_in(offset, visible_end));
    Ok(Read {
        records,
        start,
        hw,
        lso,
        aborted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::batch::testing::producer_batch;
    use automq_protocol::kafka_protocol::messages::TopicName;
    use automq_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    use automq_protocol::kafka_protocol::protocol::StrBytes;
    use automq_protocol::kafka_protocol::records::Compression;
    use std::sync::Arc;

    fn fetch(
        topic: &str,
        parts: &[(i32, i64, i32)],
        max_bytes: i32,
        min_bytes: i32,
        wait: i32,
    ) -> FetchRequest {
        FetchRequest::default()
            .with_max_wait_ms(wait)
            .with_min_bytes(min_bytes)
            .with_max_bytes(max_bytes)
            .with_session_epoch(-1)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.into())))
                    .with_partitions(
                        parts
                            .iter()
                            .map(|(p, offset, max)| {
                                FetchPartition::default()
                                    .with_partition(*p)
                                    .with_fetch_offset(*offset)
                                    .with_partition_max_bytes(*max)
                                    .with_current_leader_epoch(-1)
                            })
                            .collect(),
                    ),
            ])
    }

    /// Appends `n` batches of 3 records to each partition; returns one batch's size.
    async fn fill(b: &Broker, topic: &str, partitions: i32, n: usize) -> usize {
        let t = b.topics.by_name(topic).unwrap();
        let mut size = 0;
        for p in 0..partitions {
            let part = b.topics.partition(&t, p).await.unwrap();
            for _ in 0..n {
                let batch = producer_batch(3, 0, Compression::None);
                size = batch.len();
                let crate::topics::Appended::New { pending, .. } =
                    part.append(&batch, &t.config, 0).unwrap()
                else {
                    panic!("new")
                };
                part.durable(pending).await.unwrap();
            }
        }
        size
    }

    fn records(resp: &FetchResponse, p: usize) -> &Bytes {
        resp.responses[0].partitions[p].records.as_ref().unwrap()
    }

    #[tokio::test]
    async fn limits_hold_except_for_one_whole_batch_at_the_front() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(2), Default::default(), false)
            .await
            .unwrap();
        let size = fill(&b, "t", 2, 4).await;
        // Room for two batches per partition, and everything in the response.
        let resp = handle(
            &b,
            12,
            &fetch(
                "t",
                &[(0, 0, 2 * size as i32), (1, 0, 2 * size as i32)],
                1 << 20,
                1,
                0,
            ),
        )
        .await;
        assert_eq!(records(&resp, 0).len(), 2 * size);
        assert_eq!(records(&resp, 1).len(), 2 * size);
        assert_eq!(resp.responses[0].partitions[0].high_watermark, 12);
        // A response limit of one byte: the first partition still gets one whole batch, the second nothing.
        let resp = handle(
            &b,
            12,
            &fetch("t", &[(0, 0, 1 << 20), (1, 0, 1 << 20)], 1, 1, 0),
        )
        .await;
        assert_eq!(records(&resp, 0).len(), size);
        assert!(records(&resp, 1).is_empty());
        // From inside a batch: that batch, whole.
        let resp = handle(&b, 12, &fetch("t", &[(0, 4, size as i32)], 1 << 20, 1, 0)).await;
        let h = crate::topics::batch::stored_header(records(&resp, 0)).unwrap();
        assert_eq!(h.base_offset, 3);
    }

    #[tokio::test]
    async fn out_of_range_offsets_and_stale_epochs_are_refused() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        fill(&b, "t", 1, 2).await;
        let resp = handle(&b, 12, &fetch("t", &[(0, 7, 1 << 20)], 1 << 20, 1, 0)).await;
        assert_eq!(
            resp.responses[0].partitions[0].error_code,
            ResponseError::OffsetOutOfRange.code()
        );
        let resp = handle(&b, 12, &fetch("t", &[(0, 6, 1 << 20)], 1 << 20, 1, 0)).await;
        assert_eq!(
            resp.responses[0].partitions[0].error_code, 0,
            "the end is in range"
        );
        assert!(records(&resp, 0).is_empty());
        let mut stale = fetch("t", &[(0, 0, 1 << 20)], 1 << 20, 1, 0);
        stale.topics[0].partitions[0].current_leader_epoch = 0;
        let resp = handle(&b, 12, &stale).await;
        assert_eq!(
            resp.responses[0].partitions[0].error_code,
            ResponseError::FencedLeaderEpoch.code()
        );
        let resp = handle(&b, 12, &fetch("nope", &[(0, 0, 1 << 20)], 1 << 20, 1, 0)).await;
        assert_eq!(
            resp.responses[0].partitions[0].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        let mut session = fetch("t", &[(0, 0, 1 << 20)], 1 << 20, 1, 0);
        session.session_id = 12;
        session.session_epoch = 1;
        assert_eq!(
            handle(&b, 12, &session).await.error_code,
            ResponseError::FetchSessionIdNotFound.code()
        );
    }

    #[tokio::test]
    async fn a_long_poll_returns_as_soon_as_data_arrives() {
        let b = Arc::new(testing::broker().await);
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        let t = b.topics.by_name("t").unwrap();
        b.topics.partition(&t, 0).await.unwrap();
        let waiting = tokio::spawn({
            let b = b.clone();
            // A minute's wait: the test finishes only if the append ends it.
            async move { handle(&b, 12, &fetch("t", &[(0, 0, 1 << 20)], 1 << 20, 1, 60_000)).await }
        });
        tokio::task::yield_now().await;
        fill(&b, "t", 1, 1).await;
        let resp = waiting.await.unwrap();
        assert!(!records(&resp, 0).is_empty());
    }

    #[tokio::test]
    async fn an_incremental_fetch_answers_only_partitions_with_news() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(2), Default::default(), false)
            .await
            .unwrap();
        let size = fill(&b, "t", 2, 1).await;
        let mut open = fetch("t", &[(0, 0, 1 << 20), (1, 0, 1 << 20)], 1 << 20, 0, 0);
        open.session_epoch = 0;
        let resp = handle(&b, 12, &open).await;
        let id = resp.session_id;
        assert!(id > 0, "a session");
        assert_eq!(resp.responses[0].partitions.len(), 2);
        assert_eq!(records(&resp, 0).len(), size);
        // Epoch 1: both positions moved to the end; nothing new anywhere, so nothing is answered.
        let mut next = fetch("t", &[(0, 3, 1 << 20), (1, 3, 1 << 20)], 1 << 20, 0, 0);
        next.session_id = id;
        next.session_epoch = 1;
        let resp = handle(&b, 12, &next).await;
        assert_eq!((resp.error_code, resp.session_id), (0, id));
        assert!(resp.responses.is_empty(), "{resp:?}");
        // Epoch 2 names no partition: the session remembers both; partition 1 has a new batch.
        let t = b.topics.by_name("t").unwrap();
        let p1 = b.topics.partition(&t, 1).await.unwrap();
        let crate::topics::Appended::New { pending, .. } = p1
            .append(&producer_batch(3, 0, Compression::None), &t.config, 0)
            .unwrap()
        else {
            panic!("new")
        };
        p1.durable(pending).await.unwrap();
        let mut empty = fetch("t", &[], 1 << 20, 0, 0);
        empty.session_id = id;
        empty.session_epoch = 2;
        let resp = handle(&b, 12, &empty).await;
        let parts = &resp.responses[0].partitions;
        assert_eq!(parts.len(), 1);
        assert_eq!((parts[0].partition_index, parts[0].high_watermark), (1, 6));
        assert_eq!(records(&resp, 0).len(), size);
        // A stale epoch, and a session that was never opened.
        let resp = handle(&b, 12, &empty).await;
        assert_eq!(
            resp.error_code,
            ResponseError::InvalidFetchSessionEpoch.code()
        );
        empty.session_epoch = 3;
        empty.session_id = id ^ 1;
        assert_eq!(
            handle(&b, 12, &empty).await.error_code,
            ResponseError::FetchSessionIdNotFound.code()
        );
    }
}
