//! Metrics, health and structured logs of the automqd binary, read as an operator reads them: over HTTP and from
//! stderr, after real Kafka traffic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use automq_protocol::batch::testing::{producer_batch, producer_batch_from};
use automq_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use automq_protocol::kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use automq_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use automq_protocol::kafka_protocol::messages::{
    ApiKey, EndTxnRequest, FetchRequest, InitProducerIdRequest, MetadataRequest, ProduceRequest,
    ProducerId, RequestKind, ResponseKind, TopicName, TransactionalId,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use automq_protocol::kafka_protocol::records::Compression;
use automq_testkit::broker::BrokerProcess;
use automq_testkit::kafka::KafkaConn;
use bytes::Bytes;

const BIN: &str = env!("CARGO_BIN_EXE_automqd");

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The value of the first sample line starting with `prefix` (a name with its labels).
fn sample(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` in:\n{metrics}"))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn topic(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.into()))
}

async fn produce(conn: &mut KafkaConn, records: Bytes) -> i16 {
    let req = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(topic("metered"))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(records)),
                ]),
        ]);
    let ResponseKind::Produce(r) = conn
        .call(ApiKey::Produce, 9, &RequestKind::Produce(req))
        .await
        .unwrap()
    else {
        panic!("not a produce answer")
    };
    r.responses[0].partition_responses[0].error_code
}

#[tokio::test]
async fn metrics_count_requests_errors_bytes_and_closed_connections() {
    let dir = tempfile::tempdir().unwrap();
    let broker = BrokerProcess::start(
        Path::new(BIN),
        dir.path(),
        &["--set", "listeners=[127.0.0.1:0]"],
        1,
    );
    let http = broker.http.expect("the broker names its metrics endpoint");
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    conn.call(
        ApiKey::Metadata,
        12,
        &RequestKind::Metadata(MetadataRequest::default().with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(topic("metered"))),
        ]))),
    )
    .await
    .unwrap();
    let good = producer_batch(5, 1_000, Compression::None).freeze();
    assert_eq!(produce(&mut conn, good.clone()).await, 0);
    let mut bad = good.to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    assert_ne!(
        produce(&mut conn, Bytes::from(bad)).await,
        0,
        "a flipped byte is refused"
    );
    let fetch = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_max_bytes(1 << 20)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(topic("metered"))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(0)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ]);
    conn.call(ApiKey::Fetch, 12, &RequestKind::Fetch(fetch))
        .await
        .unwrap();
    // A transaction API counts like the others: ending a transaction nobody began is refused.
    let end = EndTxnRequest::default()
        .with_transactional_id(TransactionalId(StrBytes::from_static_str("nobody")))
        .with_producer_id(ProducerId(1))
        .with_producer_epoch(0)
        .with_committed(true);
    let ResponseKind::EndTxn(r) = conn
        .call(ApiKey::EndTxn, 3, &RequestKind::EndTxn(end))
        .await
        .unwrap()
    else {
        panic!("an EndTxn answer")
    };
    assert_ne!(r.error_code, 0);
    // A connection that sends garbage is closed by the broker.
    let mut garbage = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    garbage.send_raw(&(-1i32).to_be_bytes()).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), garbage.recv_frame()).await;

    let (status, m) = get(http, "/metrics");
    assert_eq!(status, 200);
    assert!(
        sample(&m, "kafka_requests_total{api=\"Produce\"}") >= 2.0,
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            "kafka_request_errors_total{api=\"Produce\",error=\"CorruptMessage\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(&m, "kafka_topic_in_bytes_total{topic=\"metered\"}"),
        good.len() as f64,
        "only the accepted batch counts"
    );
    assert!(sample(&m, "kafka_topic_out_bytes_total{topic=\"metered\"}") >= good.len() as f64);
    assert!(sample(&m, "kafka_request_duration_seconds_count{api=\"Fetch\"}") >= 1.0);
    assert_eq!(sample(&m, "kafka_requests_total{api=\"EndTxn\"}"), 1.0);
    assert_eq!(
        sample(
            &m,
            "kafka_request_errors_total{api=\"EndTxn\",error=\"InvalidProducerIdMapping\"}"
        ),
        1.0
    );
    assert!(sample(&m, "kafka_connections_closed_total{reason=\"protocol\"}") >= 1.0);
    assert!(sample(&m, "kafka_connections ") >= 1.0);
    assert!(
        sample(
            &m,
            "object_store_operations_total{store=\"data\",op=\"put\"}"
        ) >= 1.0
    );
    sample(&m, "engine_block_cache_hits_total");
    assert!(
        m.trim_end().ends_with("# EOF"),
        "OpenMetrics text ends with # EOF"
    );

    let (status, h) = get(http, "/health");
    assert_eq!(status, 200);
    assert!(
        h.contains("\"status\":\"ok\"") && h.contains("\"node_id\":0"),
        "{h}"
    );
    assert_eq!(get(http, "/nope").0, 404);
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = BrokerProcess::start(
        Path::new(BIN),
        dir.path(),
        &[
            "--set",
            "listeners=[127.0.0.1:0]",
            "--set",
            "log.format=json",
        ],
        1,
    );
    assert!(broker.signal_and_wait("TERM").success());
    let mut lines = Vec::new();
    while let Ok(l) = broker.log.recv_timeout(Duration::from_secs(2)) {
        lines.push(l);
    }
    let line = lines
        .iter()
        .find(|l| l.contains("SIGTERM received"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(v["level"], "INFO", "{line}");
    assert_eq!(v["fields"]["message"], "SIGTERM received", "{line}");
    for l in &lines {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    }
}

#[test]
fn a_bad_or_taken_metrics_address_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(BIN)
        .current_dir(dir.path())
        .args(["--set", "http.listener=localhost"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("http.listener") && err.contains("null to turn it off"),
        "{err}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = std::process::Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "--set",
            "listeners=[127.0.0.1:0]",
            "--set",
            &format!("http.listener={addr}"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot serve metrics on {addr}")),
        "{err}"
    );
}

/// Sends `n` produce requests of one idempotent producer on one connection without waiting, then a Metadata
/// request; checks every answer comes back in order with the offsets in order, and returns how many objects the
/// broker wrote meanwhile (read from its metrics).
async fn pipelined_produce(extra: &[&str], n: i32) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--set",
        "listeners=[127.0.0.1:0]",
        "--set",
        "wal.kind=object",
        "--set",
        "wal.interval_ms=200",
        "--set",
        "wal.upload_interval_ms=600000",
    ];
    args.extend_from_slice(extra);
    let broker = BrokerProcess::start(Path::new(BIN), dir.path(), &args, 1);
    let http = broker.http.expect("the broker names its metrics endpoint");
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    let metadata = RequestKind::Metadata(MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_name(Some(topic("piped"))),
    ])));
    conn.call(ApiKey::Metadata, 12, &metadata).await.unwrap();
    let ResponseKind::InitProducerId(pid) = conn
        .call(
            ApiKey::InitProducerId,
            4,
            &RequestKind::InitProducerId(InitProducerIdRequest::default()),
        )
        .await
        .unwrap()
    else {
        panic!("not an InitProducerId answer")
    };
    assert_eq!(pid.error_code, 0);
    let puts = || {
        sample(
            &get(http, "/metrics").1,
            "object_store_operations_total{store=\"data\",op=\"put\"}",
        )
    };
    let before = puts();
    let mut sent = Vec::new();
    for seq in 0..n {
        let records = producer_batch_from(
            1,
            1_700_000_000_000,
            Compression::None,
            pid.producer_id.0,
            pid.producer_epoch,
            seq,
        )
        .freeze();
        let req = ProduceRequest::default()
            .with_acks(-1)
            .with_timeout_ms(30_000)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(topic("piped"))
                    .with_partition_data(vec![
                        PartitionProduceData::default()
                            .with_index(0)
                            .with_records(Some(records)),
                    ]),
            ]);
        sent.push(
            conn.send(ApiKey::Produce, 9, &RequestKind::Produce(req))
                .await
                .unwrap(),
        );
    }
    let last = conn.send(ApiKey::Metadata, 12, &metadata).await.unwrap();
    for (i, id) in sent.iter().enumerate() {
        let (got, resp) = conn.recv(ApiKey::Produce, 9).await.unwrap();
        assert_eq!(got, *id, "answers leave in request order");
        let ResponseKind::Produce(resp) = resp else {
            panic!("not a produce answer")
        };
        let p = &resp.responses[0].partition_responses[0];
        assert_eq!(
            (p.error_code, p.base_offset),
            (0, i as i64),
            "request {i}: {:?}",
            p.error_message
        );
    }
    let (got, _) = conn.recv(ApiKey::Metadata, 12).await.unwrap();
    assert_eq!(got, last);
    puts() - before
}

/// A produce lets the connection's next request start once its batches have offsets, so a producer's pipelined
/// requests are appended in the order sent and wait for the WAL together: sent at once, 20 of them share a few
/// WAL objects. One at a time (`network.pipeline_depth=1`), each waits for a WAL object of its own.
#[tokio::test]
async fn pipelined_produce_requests_keep_their_order_and_share_wal_writes() {
    let shared = pipelined_produce(&[], 20).await;
    assert!(
        (1.0..=6.0).contains(&shared),
        "20 pipelined requests took {shared} WAL objects"
    );
    let serial = pipelined_produce(&["--set", "network.pipeline_depth=1"], 20).await;
    assert!(serial >= 20.0, "one at a time took {serial} WAL objects");
}
