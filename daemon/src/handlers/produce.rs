//! Produce: one record batch per partition, checked and stored as the producer sent it, acknowledged once the
//! WAL has made it durable.
//!
//! Every partition's append is started in request order (offsets handed out, the batch queued in the WAL), then
//! all are awaited together, so one request costs one WAL round trip however many partitions it names. `acks` 1
//! and -1 (all) mean the same here: there are no followers, durability is the WAL's. With `acks=0` nothing is
//! answered; as Kafka does, a failure then closes the connection so the producer notices.

use std::sync::Arc;

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, PartitionProduceResponse, TopicProduceResponse,
};
use automq_protocol::kafka_protocol::messages::{ProduceRequest, ProduceResponse, ResponseKind};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use futures::future::join_all;

use super::Reply;
use crate::broker::Broker;
use crate::topics::{Appended, Partition, PartitionError, Topic};

enum Started {
    Failed(PartitionError),
    Appending(Arc<Partition>, Appended),
}

pub async fn handle(broker: &Broker, version: i16, req: ProduceRequest) -> Reply {
    let now = now_ms();
    let acks_ok = matches!(req.acks, -1..=1);
    let mut started: Vec<Vec<(i32, Started)>> = Vec::with_capacity(req.topic_data.len());
    let mut topics: Vec<Option<Arc<Topic>>> = Vec::with_capacity(req.topic_data.len());
    for t in &req.topic_data {
        let topic = if version >= 13 {
            broker.topics.by_id(t.topic_id)
        } else {
            broker.topics.by_name(t.name.as_str())
        };
        let mut parts = Vec::with_capacity(t.partition_data.len());
        for p in &t.partition_data {
            let s = match &topic {
                _ if !acks_ok => Started::Failed(PartitionError::new(
                    ResponseError::InvalidRequiredAcks,
                    format!("acks={} is not one of -1, 0, 1", req.acks),
                )),
                None if version >= 13 => Started::Failed(PartitionError::new(
                    ResponseError::UnknownTopicId,
                    format!("no topic has id {}", t.topic_id),
                )),
                None => Started::Failed(PartitionError::new(
                    ResponseError::UnknownTopicOrPartition,
                    format!("topic `{}` does not exist", t.name.as_str()),
                )),
                Some(topic) => start(broker, topic, p.index, p.records.as_deref(), now).await,
            };
            parts.push((p.index, s));
        }
        started.push(parts);
        topics.push(topic);
    }
    // Every batch has its offsets and is queued in the WAL: the connection may start its next request while
    // this one waits for durability.
    crate::server::ordered_part_done();
    let mut failures = Vec::new();
    let mut responses = Vec::with_capacity(started.len());
    for ((t, topic), parts) in req.topic_data.iter().zip(&topics).zip(started) {
        let answered = join_all(parts.into_iter().map(|(index, s)| finish(index, s))).await;
        for r in &answered {
            if r.error_code != 0 {
                failures.push(format!(
                    "{}-{}: {}",
                    topic
                        .as_ref()
                        .map_or(t.name.as_str(), |t| t.entry.name.as_str()),
                    r.index,
                    r.error_message.as_deref().unwrap_or("")
                ));
            }
        }
        let mut resp = TopicProduceResponse::default()
            .with_topic_id(t.topic_id)
            .with_partition_responses(answered);
        if version < 13 {
            resp = resp.with_name(t.name.clone());
        }
        responses.push(resp);
    }
    if req.acks == 0 {
        return if failures.is_empty() {
            Reply::Nothing
        } else {
            Reply::Close(format!("acks=0 produce failed: {}", failures.join("; ")))
        };
    }
    Reply::Respond(Box::new(ResponseKind::Produce(
        ProduceResponse::default().with_responses(responses),
    )))
}

async fn start(
    broker: &Broker,
    topic: &Topic,
    index: i32,
    records: Option<&[u8]>,
    now: i64,
) -> Started {
    let partition = match broker.topics.partition(topic, index).await {
        Ok(p) => p,
        Err(e) => return Started::Failed(e),
    };
    let Some(records) = records else {
        return Started::Failed(PartitionError::new(
            ResponseError::InvalidRecord,
            "no records for this partition",
        ));
    };
    if let Some((producer_id, epoch)) = transactional(records)
        && let Err((code, message)) = broker
            .txn
            .allows(producer_id, epoch, &topic.entry.name, index)
            .await
    {
        return Started::Failed(PartitionError::new(code, message));
    }
    match partition.append(records, &topic.config, now) {
        Ok(a) => Started::Appending(partition, a),
        Err(e) => Started::Failed(e),
    }
}

/// The producer id and epoch of a transactional batch (checked in full by the partition afterwards).
fn transactional(records: &[u8]) -> Option<(i64, i16)> {
    if records.len() < 61 || records[16] != 2 || records[22] & 0x10 == 0 {
        return None;
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(&records[43..51]);
    Some((
        i64::from_be_bytes(id),
        i16::from_be_bytes([records[51], records[52]]),
    ))
}

async fn finish(index: i32, s: Started) -> PartitionProduceResponse {
    let resp = PartitionProduceResponse::default().with_index(index);
    let failed = |e: PartitionError| {
        PartitionProduceResponse::default()
            .with_index(index)
            .with_error_code(e.code.code())
            .with_record_errors(
                e.records
                    .into_iter()
                    .map(|(i, why)| {
                        BatchIndexAndErrorMessage::default()
                            .with_batch_index(i32::try_from(i).unwrap_or(i32::MAX))
                            .with_batch_index_error_message(Some(StrBytes::from_string(why)))
                    })
                    .collect(),
            )
            .with_error_message(Some(StrBytes::from_string(e.message)))
            .with_base_offset(-1)
            .with_log_append_time_ms(-1)
            .with_log_start_offset(-1)
    };
    let (partition, appended) = match s {
        Started::Failed(e) => return failed(e),
        Started::Appending(p, a) => (p, a),
    };
    let (base, log_append_time) = match appended {
        Appended::New {
            pending,
            log_append_time,
        } => match partition.durable(pending).await {
            Ok(base) => (base, log_append_time),
            Err(e) => return failed(e),
        },
        Appended::Duplicate {
            base_offset,
            last_offset,
        } => match partition.durable_through(last_offset).await {
            Ok(()) => (base_offset, -1),
            Err(e) => return failed(e),
        },
    };
    resp.with_base_offset(base)
        .with_log_append_time_ms(log_append_time)
        .with_log_start_offset(partition.offsets().0)
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::batch::testing::{producer_batch, producer_batch_from};
    use automq_protocol::kafka_protocol::messages::TopicName;
    use automq_protocol::kafka_protocol::messages::produce_request::{
        PartitionProduceData, TopicProduceData,
    };
    use automq_protocol::kafka_protocol::records::Compression;
    use bytes::Bytes;

    fn request(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
        ProduceRequest::default()
            .with_acks(acks)
            .with_timeout_ms(5000)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_string(topic.into())))
                    .with_partition_data(vec![
                        PartitionProduceData::default()
                            .with_index(partition)
                            .with_records(Some(records)),
                    ]),
            ])
    }

    async fn produce(b: &Broker, req: ProduceRequest) -> PartitionProduceResponse {
        let Reply::Respond(r) = handle(b, 12, req).await else {
            panic!("expected a response")
        };
        let ResponseKind::Produce(r) = *r else {
            panic!("expected a produce response")
        };
        r.responses[0].partition_responses[0].clone()
    }

    #[tokio::test]
    async fn batches_get_dense_offsets_and_read_back_byte_for_byte_but_the_offset() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        let first = producer_batch(3, 1_000, Compression::None).freeze();
        let second = producer_batch(2, 2_000, Compression::Lz4).freeze();
        let r = produce(&b, request("t", 0, first.clone(), -1)).await;
        assert_eq!(
            (r.error_code, r.base_offset, r.log_append_time_ms),
            (0, 0, -1)
        );
        let r = produce(&b, request("t", 0, second.clone(), 1)).await;
        assert_eq!((r.error_code, r.base_offset), (0, 3));
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        assert_eq!(p.offsets(), (0, 5));
        let got = p.read(4, 1 << 20, true).await.unwrap();
        assert_eq!(
            got.len(),
            1,
            "offset 4 is inside the second batch: it comes whole"
        );
        assert_eq!(
            &got[0][16..],
            &second[16..],
            "stored as sent after the broker's fields"
        );
        assert_eq!(&got[0][..8], &3i64.to_be_bytes(), "the base offset");
        assert_eq!(&got[0][8..12], &second[8..12], "the length");
        assert_eq!(&got[0][12..16], &p.leader_epoch.to_be_bytes());
    }

    #[tokio::test]
    async fn bad_batches_get_kafka_codes_and_the_partition_goes_on() {
        let b = testing::broker().await;
        let small = [("max.message.bytes".to_string(), "200".to_string())].into();
        b.topics.create("t", Some(1), small, false).await.unwrap();
        let mut corrupt = producer_batch(3, 0, Compression::None);
        let at = corrupt.len() - 2;
        corrupt[at] ^= 1;
        let r = produce(&b, request("t", 0, corrupt.freeze(), -1)).await;
        assert_eq!(r.error_code, ResponseError::CorruptMessage.code());
        assert!(r.error_message.as_deref().unwrap().contains("checksum"));
        let mut lying = producer_batch(3, 0, Compression::None);
        lying[57..61].copy_from_slice(&2i32.to_be_bytes());
        lying[23..27].copy_from_slice(&1i32.to_be_bytes());
        let crc = crc32c::crc32c(&lying[21..]);
        lying[17..21].copy_from_slice(&crc.to_be_bytes());
        let r = produce(&b, request("t", 0, lying.freeze(), -1)).await;
        assert_eq!(r.error_code, ResponseError::InvalidRecord.code());
        let big = producer_batch(30, 0, Compression::None).freeze();
        let r = produce(&b, request("t", 0, big, -1)).await;
        assert_eq!(r.error_code, ResponseError::MessageTooLarge.code());
        let r = produce(
            &b,
            request(
                "nope",
                0,
                producer_batch(1, 0, Compression::None).freeze(),
                -1,
            ),
        )
        .await;
        assert_eq!(r.error_code, ResponseError::UnknownTopicOrPartition.code());
        let r = produce(
            &b,
            request("t", 5, producer_batch(1, 0, Compression::None).freeze(), -1),
        )
        .await;
        assert_eq!(r.error_code, ResponseError::UnknownTopicOrPartition.code());
        let r = produce(
            &b,
            request("t", 0, producer_batch(1, 0, Compression::None).freeze(), 2),
        )
        .await;
        assert_eq!(r.error_code, ResponseError::InvalidRequiredAcks.code());
        let r = produce(
            &b,
            request("t", 0, producer_batch(2, 0, Compression::None).freeze(), -1),
        )
        .await;
        assert_eq!(
            (r.error_code, r.base_offset),
            (0, 0),
            "nothing was appended before"
        );
    }

    #[tokio::test]
    async fn log_append_time_topics_stamp_the_broker_time() {
        let b = testing::broker().await;
        let lat = [(
            "message.timestamp.type".to_string(),
            "LogAppendTime".to_string(),
        )]
        .into();
        b.topics.create("t", Some(1), lat, false).await.unwrap();
        let before = now_ms();
        let r = produce(
            &b,
            request("t", 0, producer_batch(2, 5, Compression::None).freeze(), -1),
        )
        .await;
        assert_eq!(r.error_code, 0);
        assert!(r.log_append_time_ms >= before);
        let t = b.topics.by_name("t").unwrap();
        let p = b.topics.partition(&t, 0).await.unwrap();
        let stored = &p.read(0, 1 << 20, true).await.unwrap()[0];
        let h = crate::topics::batch::stored_header(stored).unwrap();
        assert!(h.log_append_time);
        assert_eq!(h.max_timestamp, r.log_append_time_ms);
        crate::topics::batch::check(stored, 1 << 20).expect("the checksum was recomputed");
        // CreateTime topics refuse timestamps far in the future.
        b.topics
            .create("c", Some(1), Default::default(), false)
            .await
            .unwrap();
        let future = producer_batch(1, now_ms() + 2 * 3_600_000, Compression::None).freeze();
        let r = produce(&b, request("c", 0, future, -1)).await;
        assert_eq!(r.error_code, ResponseError::InvalidTimestamp.code());
    }

    #[tokio::test]
    async fn idempotent_retries_are_answered_with_the_first_offsets() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        let first = producer_batch_from(3, 0, Compression::None, 77, 0, 0).freeze();
        let r = produce(&b, request("t", 0, first.clone(), -1)).await;
        assert_eq!((r.error_code, r.base_offset), (0, 0));
        let r = produce(&b, request("t", 0, first, -1)).await;
        assert_eq!((r.error_code, r.base_offset), (0, 0), "a duplicate");
        let gap = producer_batch_from(1, 0, Compression::None, 77, 0, 10).freeze();
        let r = produce(&b, request("t", 0, gap, -1)).await;
        assert_eq!(r.error_code, ResponseError::OutOfOrderSequenceNumber.code());
        let next = producer_batch_from(2, 0, Compression::None, 77, 0, 3).freeze();
        let r = produce(&b, request("t", 0, next, -1)).await;
        assert_eq!((r.error_code, r.base_offset), (0, 3));
        let t = b.topics.by_name("t").unwrap();
        assert_eq!(
            b.topics.partition(&t, 0).await.unwrap().offsets().1,
            5,
            "stored once"
        );
    }

    #[tokio::test]
    async fn acks_zero_answers_nothing_and_closes_on_failure() {
        let b = testing::broker().await;
        b.topics
            .create("t", Some(1), Default::default(), false)
            .await
            .unwrap();
        let ok = request("t", 0, producer_batch(1, 0, Compression::None).freeze(), 0);
        assert!(matches!(handle(&b, 12, ok).await, Reply::Nothing));
        let bad = request(
            "nope",
            0,
            producer_batch(1, 0, Compression::None).freeze(),
            0,
        );
        assert!(matches!(handle(&b, 12, bad).await, Reply::Close(_)));
    }
}
