//! The Kafka data path over real sockets against the automqd binary: topics, produce, fetch and list offsets,
//! bad batches, and data that survives a clean restart and a crash, on both WAL kinds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use automq_protocol::kafka_protocol::messages::create_topics_request::{
    CreatableTopic, CreatableTopicConfig,
};
use automq_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use automq_protocol::kafka_protocol::messages::list_offsets_request::{
    ListOffsetsPartition, ListOffsetsTopic,
};
use automq_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use automq_protocol::kafka_protocol::messages::{
    ApiKey, CreateTopicsRequest, DeleteTopicsRequest, FetchRequest, FetchResponse,
    InitProducerIdRequest, ListOffsetsRequest, MetadataRequest, ProduceRequest, RequestKind,
    ResponseKind, TopicName,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use automq_protocol::kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use automq_testkit::broker::BrokerProcess;
use automq_testkit::kafka::KafkaConn;
use bytes::{Bytes, BytesMut};

const BIN: &str = env!("CARGO_BIN_EXE_automqd");

fn start(dir: &Path, wal: &str) -> BrokerProcess {
    BrokerProcess::start(
        Path::new(BIN),
        dir,
        &[
            "--set",
            "listeners=[127.0.0.1:0]",
            "--set",
            &format!("wal.kind={wal}"),
            "--set",
            "wal.interval_ms=2",
        ],
        1,
    )
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

/// A batch as a producer sends it: `values` with timestamps `ts, ts+1, …`.
fn batch(values: &[&str], ts: i64, compression: Compression) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
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
            key: None,
            value: Some(Bytes::from(v.to_string())),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .unwrap();
    buf.freeze()
}

async fn create(
    conn: &mut KafkaConn,
    topic: &str,
    partitions: i32,
    configs: &[(&str, &str)],
) -> i16 {
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
                            .with_name(StrBytes::from_string(k.to_string()))
                            .with_value(Some(StrBytes::from_string(v.to_string())))
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
    resp.topics[0].error_code
}

async fn topic_id(conn: &mut KafkaConn, topic: &str) -> uuid::Uuid {
    let req = MetadataRequest::default().with_topics(None);
    let ResponseKind::Metadata(resp) = conn
        .call(ApiKey::Metadata, 12, &RequestKind::Metadata(req))
        .await
        .unwrap()
    else {
        panic!("not a Metadata response")
    };
    resp.topics
        .iter()
        .find(|t| t.name.as_ref().map(|n| n.as_str()) == Some(topic))
        .unwrap()
        .topic_id
}

/// Produces one batch; returns (error code, base offset, error message).
async fn produce(
    conn: &mut KafkaConn,
    version: i16,
    topic: &str,
    id: uuid::Uuid,
    partition: i32,
    records: Bytes,
) -> (i16, i64, String) {
    let mut t = TopicProduceData::default().with_partition_data(vec![
        PartitionProduceData::default()
            .with_index(partition)
            .with_records(Some(records)),
    ]);
    if version >= 13 {
        t = t.with_topic_id(id);
    } else {
        t = t.with_name(name(topic));
    }
    let req = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![t]);
    let ResponseKind::Produce(resp) = conn
        .call(ApiKey::Produce, version, &RequestKind::Produce(req))
        .await
        .unwrap()
    else {
        panic!("not a Produce response")
    };
    let p = &resp.responses[0].partition_responses[0];
    (
        p.error_code,
        p.base_offset,
        p.error_message.as_deref().unwrap_or("").to_string(),
    )
}

fn fetch_request(
    version: i16,
    topic: &str,
    id: uuid::Uuid,
    partition: i32,
    offset: i64,
) -> FetchRequest {
    let mut t = FetchTopic::default().with_partitions(vec![
        FetchPartition::default()
            .with_partition(partition)
            .with_fetch_offset(offset)
            .with_partition_max_bytes(1 << 20)
            .with_current_leader_epoch(-1),
    ]);
    if version >= 13 {
        t = t.with_topic_id(id);
    } else {
        t = t.with_topic(name(topic));
    }
    FetchRequest::default()
        .with_replica_id(automq_protocol::kafka_protocol::messages::BrokerId(-1))
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_session_epoch(-1)
        .with_topics(vec![t])
}

async fn fetch_raw(conn: &mut KafkaConn, version: i16, req: FetchRequest) -> FetchResponse {
    let ResponseKind::Fetch(resp) = conn
        .call(ApiKey::Fetch, version, &RequestKind::Fetch(req))
        .await
        .unwrap()
    else {
        panic!("not a Fetch response")
    };
    resp
}

/// Every record value from `offset` to the end, in offset order, with its offset.
async fn consume(
    conn: &mut KafkaConn,
    version: i16,
    topic: &str,
    id: uuid::Uuid,
    partition: i32,
) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut next = 0;
    loop {
        let resp = fetch_raw(
            conn,
            version,
            fetch_request(version, topic, id, partition, next),
        )
        .await;
        let p = &resp.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "fetch v{version} at {next}");
        let mut records = p.records.clone().unwrap_or_default();
        if records.is_empty() {
            return out;
        }
        for set in RecordBatchDecoder::decode_all(&mut records).unwrap() {
            for r in set.records {
                if r.offset >= next {
                    out.push((
                        r.offset,
                        String::from_utf8(r.value.unwrap().to_vec()).unwrap(),
                    ));
                    next = r.offset + 1;
                }
            }
        }
    }
}

async fn list_offset(
    conn: &mut KafkaConn,
    topic: &str,
    partition: i32,
    timestamp: i64,
) -> (i16, i64, i64) {
    let req = ListOffsetsRequest::default()
        .with_replica_id(automq_protocol::kafka_protocol::messages::BrokerId(-1))
        .with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(name(topic))
                .with_partitions(vec![
                    ListOffsetsPartition::default()
                        .with_partition_index(partition)
                        .with_timestamp(timestamp)
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
    (p.error_code, p.timestamp, p.offset)
}

fn values(n: std::ops::Range<usize>) -> Vec<String> {
    n.map(|i| format!("value-{i}")).collect()
}

/// Produces by name (v12) and by topic id (v13), reads back by name (v12) and by id (v17), then stops the broker
/// cleanly, starts it again and reads the same; then kills it and starts it once more. Every acknowledged record is
/// there once, in order, each time.
async fn survives_restarts(wal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = start(dir.path(), wal);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(create(&mut conn, "orders", 2, &[]).await, 0);
    let id = topic_id(&mut conn, "orders").await;
    let mut want0 = Vec::new();
    let mut want1 = Vec::new();
    for (i, codec) in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ]
    .into_iter()
    .enumerate()
    {
        let v = values(i * 10..i * 10 + 10);
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        let (code, base, msg) = produce(
            &mut conn,
            12,
            "orders",
            id,
            0,
            batch(&refs, 1_000 * (i as i64 + 1), codec),
        )
        .await;
        assert_eq!((code, base), (0, i as i64 * 10), "{wal} {codec:?}: {msg}");
        want0.extend(v.iter().cloned());
        let (code, base, msg) =
            produce(&mut conn, 13, "", id, 1, batch(&refs[..3], 0, codec)).await;
        assert_eq!(
            (code, base),
            (0, i as i64 * 3),
            "{wal} v13 {codec:?}: {msg}"
        );
        want1.extend(v[..3].iter().cloned());
    }
    let expect = |want: &[String]| -> Vec<(i64, String)> {
        want.iter()
            .enumerate()
            .map(|(i, v)| (i as i64, v.clone()))
            .collect()
    };
    assert_eq!(
        consume(&mut conn, 12, "orders", id, 0).await,
        expect(&want0),
        "{wal}"
    );
    assert_eq!(
        consume(&mut conn, 17, "orders", id, 1).await,
        expect(&want1),
        "{wal}"
    );
    assert!(broker.signal_and_wait("TERM").success());

    let mut broker = start(dir.path(), wal);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(
        topic_id(&mut conn, "orders").await,
        id,
        "{wal}: the topic id survives"
    );
    assert_eq!(
        consume(&mut conn, 12, "orders", id, 0).await,
        expect(&want0),
        "{wal}: after a clean restart"
    );
    assert_eq!(
        consume(&mut conn, 18, "orders", id, 1).await,
        expect(&want1),
        "{wal}: after a clean restart"
    );
    // Lookups by time read the batches written before this start.
    assert_eq!(
        list_offset(&mut conn, "orders", 0, 2_005).await,
        (0, 2_005, 15),
        "{wal}"
    );
    assert_eq!(
        list_offset(&mut conn, "orders", 0, -3).await,
        (0, 5_009, 49),
        "{wal}: max timestamp"
    );
    assert_eq!(
        list_offset(&mut conn, "orders", 0, -2).await,
        (0, -1, 0),
        "{wal}"
    );
    assert_eq!(
        list_offset(&mut conn, "orders", 0, -1).await,
        (0, -1, 50),
        "{wal}"
    );
    // More data, then a crash: nothing is uploaded, the WAL has it.
    let more = values(50..55);
    let refs: Vec<&str> = more.iter().map(String::as_str).collect();
    assert_eq!(
        produce(
            &mut conn,
            12,
            "orders",
            id,
            0,
            batch(&refs, 9_000, Compression::None)
        )
        .await
        .0,
        0
    );
    want0.extend(more);
    assert!(!broker.signal_and_wait("KILL").success());

    let mut broker = start(dir.path(), wal);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(
        consume(&mut conn, 12, "orders", id, 0).await,
        expect(&want0),
        "{wal}: after a crash"
    );
    assert_eq!(
        list_offset(&mut conn, "orders", 0, -1).await,
        (0, -1, 55),
        "{wal}"
    );
    assert!(broker.signal_and_wait("TERM").success());
}

#[tokio::test]
async fn records_survive_a_clean_restart_and_a_crash_with_the_file_wal() {
    survives_restarts("file").await;
}

#[tokio::test]
async fn records_survive_a_clean_restart_and_a_crash_with_the_object_wal() {
    survives_restarts("object").await;
}

#[tokio::test]
async fn bad_batches_get_kafka_error_codes_and_a_log_line_and_the_connection_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path(), "file");
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(
        create(&mut conn, "t", 1, &[("max.message.bytes", "1000")]).await,
        0
    );
    let id = topic_id(&mut conn, "t").await;

    let good = batch(&["a", "b", "c"], 0, Compression::None);
    let mut corrupt = BytesMut::from(&good[..]);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x01;
    let (code, _, msg) = produce(&mut conn, 12, "t", id, 0, corrupt.freeze()).await;
    assert_eq!(code, 2, "CORRUPT_MESSAGE: {msg}");
    let (logged, lines) = broker.wait_for_log("checksum", Duration::from_secs(10));
    assert!(logged, "{lines:?}");

    let mut lying = BytesMut::from(&good[..]);
    lying[57..61].copy_from_slice(&4i32.to_be_bytes());
    lying[23..27].copy_from_slice(&3i32.to_be_bytes());
    let crc = crc32c::crc32c(&lying[21..]);
    lying[17..21].copy_from_slice(&crc.to_be_bytes());
    let (code, _, msg) = produce(&mut conn, 12, "t", id, 0, lying.freeze()).await;
    assert_eq!(code, 87, "INVALID_RECORD: {msg}");
    let (logged, lines) = broker.wait_for_log("record count", Duration::from_secs(10));
    assert!(logged, "{lines:?}");

    let big: Vec<String> = (0..100)
        .map(|i| format!("a fairly long value number {i}"))
        .collect();
    let refs: Vec<&str> = big.iter().map(String::as_str).collect();
    let (code, _, msg) = produce(
        &mut conn,
        12,
        "t",
        id,
        0,
        batch(&refs, 0, Compression::None),
    )
    .await;
    assert_eq!(code, 10, "MESSAGE_TOO_LARGE: {msg}");
    let (logged, lines) = broker.wait_for_log("max.message.bytes", Duration::from_secs(10));
    assert!(logged, "{lines:?}");

    // Nothing was appended, and the same connection still works.
    assert_eq!(produce(&mut conn, 12, "t", id, 0, good).await.0, 0);
    assert_eq!(list_offset(&mut conn, "t", 0, -1).await, (0, -1, 3));
}

#[tokio::test]
async fn a_fetch_waits_for_data_and_returns_when_it_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path(), "file");
    let mut setup = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(create(&mut setup, "t", 1, &[]).await, 0);
    let id = topic_id(&mut setup, "t").await;
    let mut consumer = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    // A minute's wait: the test finishes in time only because the produce below ends it.
    let waiting = tokio::spawn(async move {
        let req = fetch_request(12, "t", id, 0, 0).with_max_wait_ms(60_000);
        fetch_raw(&mut consumer, 12, req).await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "nothing to return yet");
    assert_eq!(
        produce(
            &mut setup,
            12,
            "t",
            id,
            0,
            batch(&["x"], 0, Compression::None)
        )
        .await
        .0,
        0
    );
    let resp = waiting.await.unwrap();
    assert!(
        !resp.responses[0].partitions[0]
            .records
            .as_ref()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn acks_zero_is_not_answered_and_a_failed_one_closes_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path(), "file");
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(create(&mut conn, "t", 1, &[]).await, 0);
    let produce0 = |topic: &str| {
        RequestKind::Produce(
            ProduceRequest::default()
                .with_acks(0)
                .with_timeout_ms(1000)
                .with_topic_data(vec![
                    TopicProduceData::default()
                        .with_name(name(topic))
                        .with_partition_data(vec![
                            PartitionProduceData::default()
                                .with_index(0)
                                .with_records(Some(batch(&["quiet"], 0, Compression::None))),
                        ]),
                ]),
        )
    };
    conn.send(ApiKey::Produce, 12, &produce0("t"))
        .await
        .unwrap();
    // The next answer on this connection is the ListOffsets one: the produce got none.
    assert_eq!(list_offset(&mut conn, "t", 0, -1).await, (0, -1, 1));
    conn.send(ApiKey::Produce, 12, &produce0("missing"))
        .await
        .unwrap();
    assert!(conn.recv_frame().await.unwrap().is_none(), "closed");
    let (logged, lines) = broker.wait_for_log("acks=0 produce failed", Duration::from_secs(10));
    assert!(logged, "{lines:?}");
}

#[tokio::test]
async fn topics_are_created_on_first_metadata_and_deleted_with_their_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = start(dir.path(), "file");
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    let req = MetadataRequest::default().with_topics(Some(vec![
        automq_protocol::kafka_protocol::messages::metadata_request::MetadataRequestTopic::default(
        )
        .with_name(Some(name("auto"))),
    ]));
    let ResponseKind::Metadata(resp) = conn
        .call(ApiKey::Metadata, 12, &RequestKind::Metadata(req))
        .await
        .unwrap()
    else {
        panic!("not a Metadata response")
    };
    assert_eq!(resp.topics[0].error_code, 0);
    assert_eq!(
        resp.topics[0].partitions.len(),
        1,
        "topics.default_partitions"
    );
    let id = resp.topics[0].topic_id;
    assert_eq!(
        produce(
            &mut conn,
            12,
            "auto",
            id,
            0,
            batch(&["x"], 0, Compression::None)
        )
        .await
        .0,
        0
    );
    let ResponseKind::InitProducerId(pid) = conn
        .call(
            ApiKey::InitProducerId,
            4,
            &RequestKind::InitProducerId(InitProducerIdRequest::default()),
        )
        .await
        .unwrap()
    else {
        panic!("not an InitProducerId response")
    };
    assert_eq!(pid.error_code, 0);
    let req = DeleteTopicsRequest::default().with_topic_names(vec![name("auto")]);
    let ResponseKind::DeleteTopics(resp) = conn
        .call(ApiKey::DeleteTopics, 5, &RequestKind::DeleteTopics(req))
        .await
        .unwrap()
    else {
        panic!("not a DeleteTopics response")
    };
    assert_eq!(resp.responses[0].error_code, 0);
    assert!(broker.signal_and_wait("TERM").success());
    // After a restart the topic is still gone, and a new one under that name starts empty.
    let broker = start(dir.path(), "file");
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(create(&mut conn, "auto", 1, &[]).await, 0);
    assert_ne!(topic_id(&mut conn, "auto").await, id);
    assert_eq!(list_offset(&mut conn, "auto", 0, -1).await, (0, -1, 0));
}

/// Every version ApiVersions advertises for the data-path and topic APIs is answered, decodes, and means the same:
/// a topic per CreateTopics version, a batch per Produce version, read back by every Fetch version, found by every
/// ListOffsets version, then deleted by every DeleteTopics version.
#[tokio::test]
async fn every_advertised_version_is_answered_alike() {
    use automq_protocol::kafka_protocol::messages::delete_topics_request::DeleteTopicState;
    use automq_protocol::kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
    use automq_protocol::kafka_protocol::messages::{
        DescribeClusterRequest, DescribeConfigsRequest,
    };

    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path(), "file");
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    for v in 2..=7 {
        let req = CreateTopicsRequest::default().with_topics(vec![
            CreatableTopic::default()
                .with_name(name(&format!("v{v}")))
                .with_num_partitions(1)
                .with_replication_factor(1),
        ]);
        let ResponseKind::CreateTopics(resp) = conn
            .call(ApiKey::CreateTopics, v, &RequestKind::CreateTopics(req))
            .await
            .unwrap()
        else {
            panic!("v{v}: not a CreateTopics response")
        };
        assert_eq!(resp.topics[0].error_code, 0, "CreateTopics v{v}");
    }
    let id = topic_id(&mut conn, "v2").await;
    for v in 3..=13 {
        let (code, base, msg) = produce(
            &mut conn,
            v,
            "v2",
            id,
            0,
            batch(&[&format!("p{v}")], v as i64, Compression::None),
        )
        .await;
        assert_eq!((code, base), (0, v as i64 - 3), "Produce v{v}: {msg}");
    }
    let want: Vec<(i64, String)> = (3..=13).map(|v| (v as i64 - 3, format!("p{v}"))).collect();
    for v in 4..=18 {
        assert_eq!(consume(&mut conn, v, "v2", id, 0).await, want, "Fetch v{v}");
    }
    for v in 1..=10 {
        let req = ListOffsetsRequest::default()
            .with_replica_id(automq_protocol::kafka_protocol::messages::BrokerId(-1))
            .with_topics(vec![
                ListOffsetsTopic::default()
                    .with_name(name("v2"))
                    .with_partitions(vec![
                        ListOffsetsPartition::default()
                            .with_partition_index(0)
                            .with_timestamp(-1)
                            .with_current_leader_epoch(-1),
                    ]),
            ]);
        let ResponseKind::ListOffsets(resp) = conn
            .call(ApiKey::ListOffsets, v, &RequestKind::ListOffsets(req))
            .await
            .unwrap()
        else {
            panic!("v{v}: not a ListOffsets response")
        };
        let p = &resp.topics[0].partitions[0];
        assert_eq!((p.error_code, p.offset), (0, 11), "ListOffsets v{v}");
    }
    for v in 0..=5 {
        let ResponseKind::InitProducerId(resp) = conn
            .call(
                ApiKey::InitProducerId,
                v,
                &RequestKind::InitProducerId(InitProducerIdRequest::default()),
            )
            .await
            .unwrap()
        else {
            panic!("v{v}: not an InitProducerId response")
        };
        assert_eq!(
            (resp.error_code, resp.producer_epoch),
            (0, 0),
            "InitProducerId v{v}"
        );
        assert!(resp.producer_id.0 >= 0);
    }
    for v in 1..=4 {
        let req = DescribeConfigsRequest::default().with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("v2"))
                .with_configuration_keys(None),
        ]);
        let ResponseKind::DescribeConfigs(resp) = conn
            .call(
                ApiKey::DescribeConfigs,
                v,
                &RequestKind::DescribeConfigs(req),
            )
            .await
            .unwrap()
        else {
            panic!("v{v}: not a DescribeConfigs response")
        };
        assert_eq!(resp.results[0].error_code, 0, "DescribeConfigs v{v}");
        assert!(
            resp.results[0]
                .configs
                .iter()
                .any(|c| c.name.as_str() == "max.message.bytes"),
            "DescribeConfigs v{v}"
        );
    }
    for v in 0..=2 {
        let ResponseKind::DescribeCluster(resp) = conn
            .call(
                ApiKey::DescribeCluster,
                v,
                &RequestKind::DescribeCluster(DescribeClusterRequest::default()),
            )
            .await
            .unwrap()
        else {
            panic!("v{v}: not a DescribeCluster response")
        };
        assert_eq!(
            (resp.error_code, resp.brokers.len()),
            (0, 1),
            "DescribeCluster v{v}"
        );
    }
    for v in 1..=6 {
        let topic = format!("v{}", v + 1);
        let req = if v >= 6 {
            DeleteTopicsRequest::default().with_topics(vec![
                DeleteTopicState::default().with_name(Some(name(&topic))),
            ])
        } else {
            DeleteTopicsRequest::default().with_topic_names(vec![name(&topic)])
        };
        let ResponseKind::DeleteTopics(resp) = conn
            .call(ApiKey::DeleteTopics, v, &RequestKind::DeleteTopics(req))
            .await
            .unwrap()
        else {
            panic!("v{v}: not a DeleteTopics response")
        };
        assert_eq!(resp.responses[0].error_code, 0, "DeleteTopics v{v}");
    }
    let req = MetadataRequest::default().with_topics(None);
    let ResponseKind::Metadata(resp) = conn
        .call(ApiKey::Metadata, 12, &RequestKind::Metadata(req))
        .await
        .unwrap()
    else {
        panic!("not a Metadata response")
    };
    assert!(resp.topics.is_empty(), "every topic deleted");
}

/// A batch of `values` from idempotent producer `producer_id` (epoch 0), sequences from `sequence`.
fn idempotent_batch(values: &[&str], producer_id: i64, sequence: i32) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id,
            producer_epoch: 0,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: sequence + i as i32,
            timestamp: 1_000 + i as i64,
            key: None,
            value: Some(Bytes::from(v.to_string())),
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

/// An idempotent producer retries its last batch after a clean restart (the partition loads the snapshot written
/// at close), and again after a crash (the snapshot from the clean stop plus the batches after it): each retry is
/// answered with the original offsets and nothing is stored twice. On both WAL kinds.
#[tokio::test]
async fn an_idempotent_retry_across_a_restart_or_a_crash_is_not_appended_twice() {
    for wal in ["file", "object"] {
        let dir = tempfile::tempdir().unwrap();
        let mut broker = start(dir.path(), wal);
        let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
        assert_eq!(create(&mut conn, "idem", 1, &[]).await, 0);
        let id = topic_id(&mut conn, "idem").await;
        let ResponseKind::InitProducerId(init) = conn
            .call(
                ApiKey::InitProducerId,
                4,
                &RequestKind::InitProducerId(InitProducerIdRequest::default()),
            )
            .await
            .unwrap()
        else {
            panic!("not an InitProducerId response")
        };
        assert_eq!(init.error_code, 0);
        let pid = init.producer_id.0;
        let b0 = idempotent_batch(&["a", "b", "c"], pid, 0);
        let b1 = idempotent_batch(&["d", "e"], pid, 3);
        let b2 = idempotent_batch(&["f", "g"], pid, 5);
        let b3 = idempotent_batch(&["h"], pid, 7);
        let send = async |conn: &mut KafkaConn, b: &Bytes| {
            let (code, base, msg) = produce(conn, 12, "idem", id, 0, b.clone()).await;
            assert_eq!(code, 0, "{wal}: {msg}");
            base
        };
        assert_eq!(send(&mut conn, &b0).await, 0);
        assert_eq!(send(&mut conn, &b1).await, 3);
        assert!(broker.signal_and_wait("TERM").success());

        let mut broker = start(dir.path(), wal);
        let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
        assert_eq!(
            send(&mut conn, &b1).await,
            3,
            "{wal}: the retry after a clean restart"
        );
        let (loaded, lines) =
            broker.wait_for_log("partition state loaded", Duration::from_secs(10));
        assert!(loaded, "{wal}: {lines:?}");
        assert!(
            lines.last().unwrap().contains("snapshot=Some(5)"),
            "{wal}: the snapshot written at close: {lines:?}"
        );
        assert_eq!(send(&mut conn, &b2).await, 5);
        assert!(!broker.signal_and_wait("KILL").success());

        let broker = start(dir.path(), wal);
        let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
        assert_eq!(
            send(&mut conn, &b2).await,
            5,
            "{wal}: the retry after a crash, from the batches after the snapshot"
        );
        let (_, lines) = broker.wait_for_log("partition state loaded", Duration::from_secs(10));
        assert!(
            lines.last().unwrap().contains("snapshot=Some(5)"),
            "{wal}: {lines:?}"
        );
        assert_eq!(send(&mut conn, &b1).await, 3, "{wal}: an older retry");
        assert_eq!(send(&mut conn, &b3).await, 7);
        let got: Vec<String> = consume(&mut conn, 12, "idem", id, 0)
            .await
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(got, ["a", "b", "c", "d", "e", "f", "g", "h"], "{wal}");
    }
}
