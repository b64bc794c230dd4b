//! Topic and broker administration over real sockets against the automqd binary: partitions added, configs
//! changed at every advertised version and kept across a restart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use automq_protocol::kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use automq_protocol::kafka_protocol::messages::create_topics_request::{
    CreatableTopic, CreatableTopicConfig,
};
use automq_protocol::kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use automq_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use automq_protocol::kafka_protocol::messages::{
    AlterConfigsRequest, IncrementalAlterConfigsRequest,
};
use automq_protocol::kafka_protocol::messages::{
    ApiKey, CreatePartitionsRequest, CreateTopicsRequest, DescribeConfigsRequest,
    DescribeConfigsResponse, MetadataRequest, ProduceRequest, RequestKind, ResponseKind, TopicName,
    alter_configs_request, incremental_alter_configs_request,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use automq_protocol::kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use automq_testkit::broker::BrokerProcess;
use automq_testkit::kafka::KafkaConn;
use bytes::{Bytes, BytesMut};

const BIN: &str = env!("CARGO_BIN_EXE_automqd");
const TOPIC: i8 = 2;
const BROKER: i8 = 4;

fn start(dir: &Path, extra: &[&str]) -> BrokerProcess {
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

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

async fn create(conn: &mut KafkaConn, topic: &str, partitions: i32, configs: &[(&str, &str)]) {
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
fn batch(values: &[(Option<&str>, Option<&str>)], ts: i64) -> Bytes {
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
async fn produce(conn: &mut KafkaConn, topic: &str, partition: i32, records: Bytes) -> (i16, i64) {
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
    let p = &resp.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

async fn partition_count(conn: &mut KafkaConn, topic: &str) -> usize {
    let ResponseKind::Metadata(resp) = conn
        .call(
            ApiKey::Metadata,
            12,
            &RequestKind::Metadata(MetadataRequest::default().with_topics(None)),
        )
        .await
        .unwrap()
    else {
        panic!("not a Metadata response")
    };
    resp.topics
        .iter()
        .find(|t| t.name.as_ref().map(|n| n.as_str()) == Some(topic))
        .map_or(0, |t| t.partitions.len())
}

async fn describe(conn: &mut KafkaConn, kind: i8, resource: &str) -> DescribeConfigsResponse {
    let req = DescribeConfigsRequest::default()
        .with_include_synonyms(true)
        .with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(kind)
                .with_resource_name(s(resource))
                .with_configuration_keys(None),
        ]);
    let ResponseKind::DescribeConfigs(resp) = conn
        .call(
            ApiKey::DescribeConfigs,
            4,
            &RequestKind::DescribeConfigs(req),
        )
        .await
        .unwrap()
    else {
        panic!("not a DescribeConfigs response")
    };
    resp
}

/// `(value, source)` of one config as DescribeConfigs reports it.
async fn config(conn: &mut KafkaConn, kind: i8, resource: &str, key: &str) -> (String, i8) {
    let resp = describe(conn, kind, resource).await;
    let c = resp.results[0]
        .configs
        .iter()
        .find(|c| c.name.as_str() == key)
        .unwrap_or_else(|| panic!("{key} not reported"));
    (
        c.value.as_deref().unwrap_or("").to_string(),
        c.config_source,
    )
}

async fn incremental(
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

/// CreatePartitions at every advertised version adds a partition; IncrementalAlterConfigs and AlterConfigs at
/// every advertised version change topic and broker configs; DescribeConfigs reports each with its source; all
/// of it is still there after a restart, and the new partitions take records.
#[tokio::test]
async fn partitions_and_configs_change_at_every_version_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = start(dir.path(), &["--set", "topics.retention_bytes=123456"]);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    create(&mut conn, "t", 1, &[("retention.ms", "1000")]).await;
    for v in 0..=3 {
        let req = CreatePartitionsRequest::default()
            .with_timeout_ms(10_000)
            .with_topics(vec![
                CreatePartitionsTopic::default()
                    .with_name(name("t"))
                    .with_count(2 + i32::from(v))
                    .with_assignments(None),
            ]);
        let ResponseKind::CreatePartitions(resp) = conn
            .call(
                ApiKey::CreatePartitions,
                v,
                &RequestKind::CreatePartitions(req),
            )
            .await
            .unwrap()
        else {
            panic!("v{v}: not a CreatePartitions response")
        };
        assert_eq!(resp.results[0].error_code, 0, "CreatePartitions v{v}");
    }
    assert_eq!(partition_count(&mut conn, "t").await, 5);
    let req = CreatePartitionsRequest::default()
        .with_validate_only(true)
        .with_topics(vec![
            CreatePartitionsTopic::default()
                .with_name(name("t"))
                .with_count(3)
                .with_assignments(None),
        ]);
    let ResponseKind::CreatePartitions(resp) = conn
        .call(
            ApiKey::CreatePartitions,
            3,
            &RequestKind::CreatePartitions(req),
        )
        .await
        .unwrap()
    else {
        panic!("not a CreatePartitions response")
    };
    assert_eq!(resp.results[0].error_code, 37, "INVALID_PARTITIONS: fewer");

    assert_eq!(
        config(&mut conn, TOPIC, "t", "retention.bytes").await,
        ("123456".to_string(), 4),
        "STATIC_BROKER_CONFIG from the configuration file"
    );
    for v in 0..=1 {
        let value = format!("{}", 2000 + v);
        let (code, msg) = incremental(
            &mut conn,
            v,
            TOPIC,
            "t",
            &[
                ("retention.ms", 0, Some(&value)),
                ("cleanup.policy", 2, Some("compact")),
            ],
        )
        .await;
        assert_eq!(code, 0, "IncrementalAlterConfigs v{v}: {msg}");
        assert_eq!(
            config(&mut conn, TOPIC, "t", "retention.ms").await,
            (value, 1)
        );
    }
    let (code, msg) = incremental(
        &mut conn,
        1,
        TOPIC,
        "t",
        &[("retention.msec", 0, Some("1"))],
    )
    .await;
    assert_eq!(code, 40, "INVALID_CONFIG");
    assert!(msg.contains("retention.msec"), "{msg}");
    let (code, _) = incremental(
        &mut conn,
        1,
        BROKER,
        "",
        &[("log.retention.bytes", 0, Some("999"))],
    )
    .await;
    assert_eq!(code, 0);
    assert_eq!(
        config(&mut conn, TOPIC, "t", "retention.bytes").await,
        ("999".to_string(), 3),
        "DYNAMIC_DEFAULT_BROKER_CONFIG"
    );
    for v in 0..=2 {
        use alter_configs_request::{AlterConfigsResource, AlterableConfig};
        let req = AlterConfigsRequest::default().with_resources(vec![
            AlterConfigsResource::default()
                .with_resource_type(TOPIC)
                .with_resource_name(s("u"))
                .with_configs(vec![
                    AlterableConfig::default()
                        .with_name(s("max.message.bytes"))
                        .with_value(Some(s(&format!("{}", 5000 + v)))),
                ]),
            AlterConfigsResource::default()
                .with_resource_type(BROKER)
                .with_resource_name(s("0"))
                .with_configs(vec![
                    AlterableConfig::default()
                        .with_name(s("log.retention.bytes"))
                        .with_value(Some(s("777"))),
                ]),
        ]);
        if v == 0 {
            create(&mut conn, "u", 1, &[("segment.ms", "1000")]).await;
        }
        let ResponseKind::AlterConfigs(resp) = conn
            .call(ApiKey::AlterConfigs, v, &RequestKind::AlterConfigs(req))
            .await
            .unwrap()
        else {
            panic!("v{v}: not an AlterConfigs response")
        };
        assert!(
            resp.responses.iter().all(|r| r.error_code == 0),
            "AlterConfigs v{v}: {resp:?}"
        );
        assert_eq!(
            config(&mut conn, TOPIC, "u", "max.message.bytes").await,
            (format!("{}", 5000 + v), 1)
        );
        assert_eq!(
            config(&mut conn, TOPIC, "u", "segment.ms").await.1,
            5,
            "replaced, so back to the default"
        );
    }
    // The new limit holds: a batch above 5002 bytes is MESSAGE_TOO_LARGE.
    let big = "x".repeat(6000);
    assert_eq!(
        produce(&mut conn, "u", 0, batch(&[(None, Some(&big))], 0))
            .await
            .0,
        10
    );

    assert!(broker.signal_and_wait("TERM").success());
    let broker = start(dir.path(), &[]);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(partition_count(&mut conn, "t").await, 5);
    assert_eq!(
        config(&mut conn, TOPIC, "t", "retention.ms").await,
        ("2001".to_string(), 1)
    );
    assert_eq!(
        config(&mut conn, TOPIC, "t", "cleanup.policy").await.0,
        "delete,compact"
    );
    assert_eq!(
        config(&mut conn, TOPIC, "t", "retention.bytes").await,
        ("777".to_string(), 2),
        "DYNAMIC_BROKER_CONFIG, over the cluster default"
    );
    assert_eq!(
        config(&mut conn, BROKER, "0", "log.retention.bytes").await,
        ("777".to_string(), 2)
    );
    assert_eq!(
        config(&mut conn, TOPIC, "u", "max.message.bytes").await.0,
        "5002"
    );
    for p in 0..5 {
        let (code, base) = produce(&mut conn, "t", p, batch(&[(Some("k"), Some("v"))], 0)).await;
        assert_eq!((code, base), (0, 0), "partition {p}");
    }
}

fn fetch_request(
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
async fn fetch_at(
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

async fn earliest(conn: &mut KafkaConn, topic: &str, partition: i32) -> i64 {
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

async fn delete_records(
    conn: &mut KafkaConn,
    version: i16,
    topic: &str,
    partition: i32,
    offset: i64,
) -> (i16, i64) {
    use automq_protocol::kafka_protocol::messages::DeleteRecordsRequest;
    use automq_protocol::kafka_protocol::messages::delete_records_request::{
        DeleteRecordsPartition, DeleteRecordsTopic,
    };
    let req = DeleteRecordsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(vec![
            DeleteRecordsTopic::default()
                .with_name(name(topic))
                .with_partitions(vec![
                    DeleteRecordsPartition::default()
                        .with_partition_index(partition)
                        .with_offset(offset),
                ]),
        ]);
    let ResponseKind::DeleteRecords(resp) = conn
        .call(
            ApiKey::DeleteRecords,
            version,
            &RequestKind::DeleteRecords(req),
        )
        .await
        .unwrap()
    else {
        panic!("not a DeleteRecords response")
    };
    let p = &resp.topics[0].partitions[0];
    (p.error_code, p.low_watermark)
}

async fn epoch_end(conn: &mut KafkaConn, version: i16, topic: &str, epoch: i32) -> (i16, i32, i64) {
    use automq_protocol::kafka_protocol::messages::OffsetForLeaderEpochRequest;
    use automq_protocol::kafka_protocol::messages::offset_for_leader_epoch_request::{
        OffsetForLeaderPartition, OffsetForLeaderTopic,
    };
    let req = OffsetForLeaderEpochRequest::default()
        .with_replica_id(automq_protocol::kafka_protocol::messages::BrokerId(-1))
        .with_topics(vec![
            OffsetForLeaderTopic::default()
                .with_topic(name(topic))
                .with_partitions(vec![
                    OffsetForLeaderPartition::default()
                        .with_partition(0)
                        .with_current_leader_epoch(-1)
                        .with_leader_epoch(epoch),
                ]),
        ]);
    let ResponseKind::OffsetForLeaderEpoch(resp) = conn
        .call(
            ApiKey::OffsetForLeaderEpoch,
            version,
            &RequestKind::OffsetForLeaderEpoch(req),
        )
        .await
        .unwrap()
    else {
        panic!("not an OffsetForLeaderEpoch response")
    };
    let p = &resp.topics[0].partitions[0];
    (p.error_code, p.leader_epoch, p.end_offset)
}

async fn leader_epoch(conn: &mut KafkaConn, topic: &str) -> i32 {
    use automq_protocol::kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    let req = MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_name(Some(name(topic))),
    ]));
    let ResponseKind::Metadata(resp) = conn
        .call(ApiKey::Metadata, 12, &RequestKind::Metadata(req))
        .await
        .unwrap()
    else {
        panic!("not a Metadata response")
    };
    resp.topics[0].partitions[0].leader_epoch
}

/// DeleteRecords at every advertised version moves the log start: ListOffsets earliest and Fetch follow it, a
/// fetch below it is OFFSET_OUT_OF_RANGE, and so it stays after a restart. OffsetForLeaderEpoch at every advertised
/// version answers from the leader-epoch history, which a restart extends. DescribeLogDirs at every advertised
/// version reports one directory with the partition's bytes, less after a delete.
#[tokio::test]
async fn records_deleted_epochs_ended_and_sizes_over_the_wire() {
    use automq_protocol::kafka_protocol::messages::DescribeLogDirsRequest;
    use automq_protocol::kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;

    let dir = tempfile::tempdir().unwrap();
    let mut broker = start(dir.path(), &[]);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    create(&mut conn, "d", 1, &[]).await;
    let first_epoch = leader_epoch(&mut conn, "d").await;
    for i in 0..10 {
        let v = format!("v{i}");
        let (code, base) = produce(
            &mut conn,
            "d",
            0,
            batch(&[(None, Some(&v)), (None, Some(&v))], 0),
        )
        .await;
        assert_eq!((code, base), (0, 2 * i));
    }
    let sizes = |resp: &automq_protocol::kafka_protocol::messages::DescribeLogDirsResponse| {
        let d = &resp.results[0];
        (
            d.error_code,
            d.log_dir.to_string(),
            d.topics[0].partitions[0].partition_size,
        )
    };
    let describe_dirs = DescribeLogDirsRequest::default().with_topics(Some(vec![
        DescribableLogDirTopic::default()
            .with_topic(name("d"))
            .with_partitions(vec![0]),
    ]));
    let mut full = 0;
    for v in 1..=4 {
        let ResponseKind::DescribeLogDirs(resp) = conn
            .call(
                ApiKey::DescribeLogDirs,
                v,
                &RequestKind::DescribeLogDirs(describe_dirs.clone()),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}: {}", broker.drain_log().join("\n")))
        else {
            panic!("v{v}: not a DescribeLogDirs response")
        };
        let (code, log_dir, size) = sizes(&resp);
        assert_eq!(code, 0, "DescribeLogDirs v{v}");
        assert!(log_dir.contains("data"), "{log_dir}");
        assert!(size > 0);
        full = size;
    }
    for v in 0..=2 {
        let to = 3 + 4 * i64::from(v);
        assert_eq!(
            delete_records(&mut conn, v, "d", 0, to).await,
            (0, to),
            "DeleteRecords v{v}"
        );
        assert_eq!(earliest(&mut conn, "d", 0).await, to);
        assert_eq!(fetch_at(&mut conn, "d", 0, to).await, (0, to, Some(to)));
        assert_eq!(
            fetch_at(&mut conn, "d", 0, to - 1).await.0,
            1,
            "OFFSET_OUT_OF_RANGE below it"
        );
    }
    assert_eq!(
        delete_records(&mut conn, 2, "d", 0, 21).await.0,
        1,
        "beyond the high watermark"
    );
    let ResponseKind::DescribeLogDirs(resp) = conn
        .call(
            ApiKey::DescribeLogDirs,
            4,
            &RequestKind::DescribeLogDirs(describe_dirs.clone()),
        )
        .await
        .unwrap()
    else {
        panic!("not a DescribeLogDirs response")
    };
    let smaller = sizes(&resp).2;
    assert!(smaller < full && smaller > 0, "{smaller} of {full}");
    for v in 2..=4 {
        assert_eq!(
            epoch_end(&mut conn, v, "d", first_epoch).await,
            (0, first_epoch, 20),
            "OffsetForLeaderEpoch v{v}"
        );
    }

    assert!(broker.signal_and_wait("TERM").success());
    let broker = start(dir.path(), &[]);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(earliest(&mut conn, "d", 0).await, 11);
    assert_eq!(fetch_at(&mut conn, "d", 0, 10).await.0, 1);
    let second_epoch = leader_epoch(&mut conn, "d").await;
    assert!(second_epoch > first_epoch);
    let (code, base) = produce(&mut conn, "d", 0, batch(&[(None, Some("after"))], 0)).await;
    assert_eq!((code, base), (0, 20));
    assert_eq!(
        epoch_end(&mut conn, 4, "d", first_epoch).await,
        (0, first_epoch, 20)
    );
    assert_eq!(
        epoch_end(&mut conn, 4, "d", second_epoch).await,
        (0, second_epoch, 21)
    );
    let ResponseKind::DescribeLogDirs(resp) = conn
        .call(
            ApiKey::DescribeLogDirs,
            4,
            &RequestKind::DescribeLogDirs(describe_dirs),
        )
        .await
        .unwrap()
    else {
        panic!("not a DescribeLogDirs response")
    };
    assert!(
        sizes(&resp).2 > smaller,
        "the earlier batches counted after the restart, and the new one"
    );
}

/// Polls `earliest` until it is `want` (the background task runs every 100 ms here); panics after a minute.
async fn wait_for_earliest(conn: &mut KafkaConn, topic: &str, want: i64) {
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

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Retention runs in the background: batches older than `retention.ms` go, whole, up to the first newer one;
/// a broker-wide `log.retention.bytes` set at runtime trims a topic without its own; a fetch below the new start is
/// OFFSET_OUT_OF_RANGE; a compacted topic keeps everything; all of it holds after a restart.
#[tokio::test]
async fn retention_by_time_and_size_runs_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--set", "topics.retention_check_interval_ms=100"];
    let mut broker = start(dir.path(), &args);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    create(
        &mut conn,
        "old",
        1,
        &[("retention.ms", "60000"), ("index.interval.bytes", "0")],
    )
    .await;
    create(&mut conn, "big", 1, &[]).await;
    create(
        &mut conn,
        "kept",
        1,
        &[("cleanup.policy", "compact"), ("retention.ms", "1")],
    )
    .await;
    let hour_ago = now_ms() - 3_600_000;
    for i in 0..3 {
        let v = format!("old{i}");
        produce(
            &mut conn,
            "old",
            0,
            batch(&[(None, Some(&v)), (None, Some(&v))], hour_ago),
        )
        .await;
        produce(
            &mut conn,
            "kept",
            0,
            batch(&[(Some("k"), Some(&v))], hour_ago),
        )
        .await;
    }
    produce(&mut conn, "old", 0, batch(&[(None, Some("new"))], now_ms())).await;
    produce(
        &mut conn,
        "old",
        0,
        batch(&[(None, Some("old again"))], hour_ago),
    )
    .await;
    wait_for_earliest(&mut conn, "old", 6).await;
    assert_eq!(
        fetch_at(&mut conn, "old", 0, 5).await.0,
        1,
        "OFFSET_OUT_OF_RANGE"
    );
    assert_eq!(fetch_at(&mut conn, "old", 0, 6).await, (0, 6, Some(6)));

    let one = batch(&[(None, Some(&"x".repeat(100)))], now_ms());
    for _ in 0..10 {
        produce(&mut conn, "big", 0, one.clone()).await;
    }
    let keep = (one.len() * 4).to_string();
    let (code, msg) = incremental(
        &mut conn,
        1,
        BROKER,
        "",
        &[("log.retention.bytes", 0, Some(&keep))],
    )
    .await;
    assert_eq!(code, 0, "{msg}");
    wait_for_earliest(&mut conn, "big", 6).await;
    assert_eq!(
        earliest(&mut conn, "kept", 0).await,
        0,
        "compact only: no retention"
    );

    assert!(broker.signal_and_wait("TERM").success());
    let broker = start(dir.path(), &args);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    assert_eq!(earliest(&mut conn, "old", 0).await, 6);
    assert_eq!(earliest(&mut conn, "big", 0).await, 6);
    assert_eq!(fetch_at(&mut conn, "big", 0, 6).await, (0, 6, Some(6)));
}

/// Every record a consumer reads from the log start to the end: `(offset, key, value)`.
async fn consume_all(conn: &mut KafkaConn, topic: &str) -> Vec<(i64, String, Option<String>)> {
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

/// A compacted topic compacts in the background: the latest record of each key stays, at its offset, and a
/// consumer reads exactly those; the high watermark does not move; a record without a key is refused; a restart
/// serves the same.
#[tokio::test]
async fn compaction_keeps_the_latest_record_per_key_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--set",
        "topics.cleaner_backoff_ms=100",
        "--set",
        "wal.kind=object",
    ];
    let mut broker = start(dir.path(), &args);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    create(
        &mut conn,
        "c",
        1,
        &[
            ("cleanup.policy", "compact"),
            ("min.cleanable.dirty.ratio", "0.01"),
        ],
    )
    .await;
    assert_eq!(
        produce(
            &mut conn,
            "c",
            0,
            batch(&[(None, Some("no key"))], now_ms())
        )
        .await
        .0,
        87,
        "INVALID_RECORD"
    );
    let mut latest = std::collections::BTreeMap::new();
    for i in 0..40i64 {
        let key = format!("k{}", i % 5);
        let value = format!("v{i}");
        let (code, base) = produce(
            &mut conn,
            "c",
            0,
            batch(
                &[(Some(&key), Some(&value)), (Some("shared"), Some(&value))],
                now_ms(),
            ),
        )
        .await;
        assert_eq!((code, base), (0, 2 * i));
        latest.insert(key, (2 * i, value.clone()));
        latest.insert("shared".to_string(), (2 * i + 1, value));
    }
    let mut want: Vec<(i64, String, Option<String>)> = latest
        .into_iter()
        .map(|(k, (o, v))| (o, k, Some(v)))
        .collect();
    want.sort();
    let mut got = Vec::new();
    for _ in 0..600 {
        got = consume_all(&mut conn, "c").await;
        if got.len() == want.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(got, want);
    assert_eq!(earliest(&mut conn, "c", 0).await, 0, "the log start stays");
    let (code, base) = produce(
        &mut conn,
        "c",
        0,
        batch(&[(Some("k0"), Some("after"))], now_ms()),
    )
    .await;
    assert_eq!((code, base), (0, 80), "the high watermark did not move");

    assert!(broker.signal_and_wait("TERM").success());
    let broker = start(dir.path(), &args);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    let mut after = consume_all(&mut conn, "c").await;
    let tail = after.pop().unwrap();
    assert_eq!(tail, (80, "k0".to_string(), Some("after".to_string())));
    // The newer k0 may have been compacted in already (then the older one is gone).
    want.retain(|(_, k, _)| k != "k0" || after.iter().any(|(_, ak, _)| ak == "k0"));
    assert_eq!(after, want);
}
