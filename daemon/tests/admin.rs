//! Topic and broker administration over real sockets against the automqd binary: partitions added and configs
//! changed at every advertised version and kept across a restart; records deleted, leader epochs ended and log
//! directories described at every advertised version.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use automq_protocol::kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use automq_protocol::kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use automq_protocol::kafka_protocol::messages::{
    AlterConfigsRequest, ApiKey, CreatePartitionsRequest, DescribeConfigsRequest,
    DescribeConfigsResponse, MetadataRequest, RequestKind, ResponseKind, alter_configs_request,
};
use automq_testkit::kafka::KafkaConn;
use common::*;

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
    let after = sizes(&resp).2;
    assert!(
        after > smaller,
        "the earlier batches counted after the restart, and the new one: {after} after, {smaller} before"
    );
}
