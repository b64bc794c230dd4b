//! Helpers shared by the binary tests: the automqd binary on ephemeral ports, and Kafka requests over a socket.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use automq_protocol::kafka_protocol::messages::create_topics_request::{
    CreatableTopic, CreatableTopicConfig,
};
use automq_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use automq_protocol::kafka_protocol::messages::{
    ApiKey, CreateTopicsRequest, IncrementalAlterConfigsRequest, ProduceRequest, RequestKind,
    ResponseKind, TopicName, incremental_alter_configs_request,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use automq_protocol::kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use automq_testkit::broker::BrokerProcess;
use automq_testkit::kafka::KafkaConn;
use bytes::{Bytes, BytesMut};

pub const BIN: &str = env!("CARGO_BIN_EXE_automqd");
pub const TOPIC: i8 = 2;
pub const BROKER: i8 = 4;

pub fn start(dir: &Path, extra: &[&str]) -> BrokerProcess {
    let mut args = vec![
        "--set",
        "listeners=[127.0.0.1:0]",
        "--set",
        "wal.kind=file",
        "--set",
        "wal.interval_ms=2",
    ];
    args.extend_from_slice(extra);
    BrokerProcess::start(Path::new(BIN), dir, &args, 1)
}

pub fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

pub fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

pub async fn create(conn: &mut KafkaConn, topic: &str, partitions: i32, configs: &[(&str, &str)]) {
    let req = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(name(topic))
            .with_num_partitions(partitions)
            .with_replication_factor(-1)
            .with_configs(
                configs
                    .iter()
                    .map(|(k, v)| {
                        CreatableTopicConfig::default()
                            .with_name(s(k))
                            .with_value(Some(s(v)))
                    })
                    .collect(),
            ),
    ]);
    let ResponseKind::CreateTopics(resp) = conn
        .call(ApiKey::CreateTopics, 7, &RequestKind::CreateTopics(req))
        .await
        .unwrap()
    else {
        panic!("not a CreateTopics response")
    };
    assert_eq!(
        resp.topics[0].error_code, 0,
        "{:?}",
        resp.topics[0].error_message
    );
}

/// A batch of `values` with keys `keys` (None: no key), timestamps from `ts`.
pub fn batch(values: &[(Option<&str>, Option<&str>)], ts: i64) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, (k, v))| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: i as i32 - 1,
            timestamp: ts + i as i64,
            key: k.map(|k| Bytes::from(k.to_string())),
            value: v.map(|v| Bytes::from(v.to_string())),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    buf.freeze()
}

/// Produces one batch; returns (error code, base offset).
pub async fn produce(
    conn: &mut KafkaConn,
    topic: &str,
    partition: i32,
    records: Bytes,
) -> (i16, i64) {
    let p = produce_answer(conn, topic, partition, records).await;
    (p.error_code, p.base_offset)
}

/// Produces one batch (Produce v12); returns the partition's whole answer.
pub async fn produce_answer(
    conn: &mut KafkaConn,
    topic: &str,
    partition: i32,
    records: Bytes,
) -> automq_protocol::kafka_protocol::messages::produce_response::PartitionProduceResponse {
    let req = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(name(topic))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(records)),
                ]),
        ]);
    let ResponseKind::Produce(resp) = conn
        .call(ApiKey::Produce, 12, &RequestKind::Produce(req))
        .await
        .unwrap()
    else {
        panic!("not a Produce response")
    };
    resp.responses[0].partition_responses[0].clone()
}

pub fn fetch_request(
    topic: &str,
    partition: i32,
    offset: i64,
) -> automq_protocol::kafka_protocol::messages::FetchRequest {
    use automq_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    automq_protocol::kafka_protocol::messages::FetchRequest::default()
        .with_replica_id(automq_protocol::kafka_protocol::messages::BrokerId(-1))
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_session_epoch(-1)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(name(topic))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(partition)
                        .with_fetch_offset(offset)
                        .with_partition_max_bytes(1 << 20)
                        .with_current_leader_epoch(-1),
                ]),
        ])
}

/// `(error code, log start offset, first record offset)` of a fetch at `offset`.
pub async fn fetch_at(
    conn: &mut KafkaConn,
    topic: &str,
    partition: i32,
    offset: i64,
) -> (i16, i64, Option<i64>) {
    use automq_protocol::kafka_protocol::records::RecordBatchDecoder;
    let ResponseKind::Fetch(resp) = conn
        .call(
            ApiKey::Fetch,
            12,
            &RequestKind::Fetch(fetch_request(topic, partition, offset)),
        )
        .await
        .unwrap()
    else {
        panic!("not a Fetch response")
    };
    let p = &resp.responses[0].partitions[0];
    let mut records = p.records.clone().unwrap_or_default();
    let first = if records.is_empty() {
        None
    } else {
        RecordBatchDecoder::decode_all(&mut records)
            .unwrap()
            .iter()
            .flat_map(|s| s.records.iter().map(|r| r.offset))
            .find(|o| *o >= offset)
    };
    (p.error_code, p.log_start_offset, first)
}

pub async fn earliest(conn: &mut KafkaConn, topic: &str, partition: i32) -> i64 {
    use automq_protocol::kafka_protocol::messages::ListOffsetsRequest;
    use automq_protocol::kafka_protocol::messages::list_offsets_request::{
        ListOffsetsPartition, ListOffsetsTopic,
    };
    let req = ListOffsetsRequest::default()
        .with_replica_id(automq_protocol::kafka_protocol::messages::BrokerId(-1))
        .with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(name(topic))
                .with_partitions(vec![
                    ListOffsetsPartition::default()
                        .with_partition_index(partition)
                        .with_timestamp(-2)
                        .with_current_leader_epoch(-1),
                ]),
        ]);
    let ResponseKind::ListOffsets(resp) = conn
        .call(ApiKey::ListOffsets, 9, &RequestKind::ListOffsets(req))
        .await
        .unwrap()
    else {
        panic!("not a ListOffsets response")
    };
    let p = &resp.topics[0].partitions[0];
    assert_eq!(p.error_code, 0);
    p.offset
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Every record a consumer reads from the log start to the end: `(offset, key, value)`.
pub async fn consume_all(conn: &mut KafkaConn, topic: &str) -> Vec<(i64, String, Option<String>)> {
    use automq_protocol::kafka_protocol::records::RecordBatchDecoder;
    let mut next = earliest(conn, topic, 0).await;
    let mut out = Vec::new();
    loop {
        let ResponseKind::Fetch(resp) = conn
            .call(
                ApiKey::Fetch,
                12,
                &RequestKind::Fetch(fetch_request(topic, 0, next)),
            )
            .await
            .unwrap()
        else {
            panic!("not a Fetch response")
        };
        let p = &resp.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "fetch at {next}");
        let mut records = p.records.clone().unwrap_or_default();
        if records.is_empty() {
            return out;
        }
        while records.len() >= 61 {
            let len = i32::from_be_bytes(records[8..12].try_into().unwrap()) as usize + 12;
            let mut one = records.split_to(len.min(records.len()));
            let base = i64::from_be_bytes(one[0..8].try_into().unwrap());
            let delta = i32::from_be_bytes(one[23..27].try_into().unwrap());
            for set in RecordBatchDecoder::decode_all(&mut one).unwrap() {
                for r in set.records.into_iter().filter(|r| r.offset >= next) {
                    out.push((
                        r.offset,
                        String::from_utf8(r.key.unwrap_or_default().to_vec()).unwrap(),
                        r.value.map(|v| String::from_utf8(v.to_vec()).unwrap()),
                    ));
                }
            }
            // An empty batch (a compacted range with no record left) moves the position too.
            next = next.max(base + i64::from(delta) + 1);
        }
    }
}

pub async fn incremental(
    conn: &mut KafkaConn,
    version: i16,
    kind: i8,
    resource: &str,
    ops: &[(&str, i8, Option<&str>)],
) -> (i16, String) {
    use incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let req = IncrementalAlterConfigsRequest::default().with_resources(vec![
        AlterConfigsResource::default()
            .with_resource_type(kind)
            .with_resource_name(s(resource))
            .with_configs(
                ops.iter()
                    .map(|(k, op, v)| {
                        AlterableConfig::default()
                            .with_name(s(k))
                            .with_config_operation(*op)
                            .with_value(v.map(s))
                    })
                    .collect(),
            ),
    ]);
    let ResponseKind::IncrementalAlterConfigs(resp) = conn
        .call(
            ApiKey::IncrementalAlterConfigs,
            version,
            &RequestKind::IncrementalAlterConfigs(req),
        )
        .await
        .unwrap()
    else {
        panic!("not an IncrementalAlterConfigs response")
    };
    let r = &resp.responses[0];
    (
        r.error_code,
        r.error_message.as_deref().unwrap_or("").to_string(),
    )
}

/// Polls `earliest` until it is `want` (the background task runs every 100 ms here); panics after a minute.
pub async fn wait_for_earliest(conn: &mut KafkaConn, topic: &str, want: i64) {
    for _ in 0..600 {
        if earliest(conn, topic, 0).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the log start of {topic} never reached {want} (now {})",
        earliest(conn, topic, 0).await
    );
}
