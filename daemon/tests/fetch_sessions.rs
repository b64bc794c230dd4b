//! Incremental fetch sessions (KIP-227) over real sockets against the automqd binary, at every Fetch version that
//! has them (7 and up).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use automq_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use automq_protocol::kafka_protocol::messages::{
    ApiKey, BrokerId, FetchRequest, FetchResponse, MetadataRequest, RequestKind, ResponseKind,
};
use automq_testkit::kafka::KafkaConn;
use common::*;

async fn topic_id(conn: &mut KafkaConn, topic: &str) -> uuid::Uuid {
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
        .unwrap()
        .topic_id
}

/// A fetch in session `id` at `epoch` naming `parts` (partition, offset).
fn request(
    version: i16,
    topic: &str,
    id: uuid::Uuid,
    session: (i32, i32),
    parts: &[(i32, i64)],
) -> FetchRequest {
    let mut t = FetchTopic::default().with_partitions(
        parts
            .iter()
            .map(|(p, o)| {
                FetchPartition::default()
                    .with_partition(*p)
                    .with_fetch_offset(*o)
                    .with_partition_max_bytes(1 << 20)
                    .with_current_leader_epoch(-1)
            })
            .collect(),
    );
    t = if version >= 13 {
        t.with_topic_id(id)
    } else {
        t.with_topic(name(topic))
    };
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(0)
        .with_min_bytes(0)
        .with_max_bytes(1 << 20)
        .with_session_id(session.0)
        .with_session_epoch(session.1)
        .with_topics(if parts.is_empty() { vec![] } else { vec![t] })
}

async fn fetch(conn: &mut KafkaConn, version: i16, req: FetchRequest) -> FetchResponse {
    let ResponseKind::Fetch(resp) = conn
        .call(ApiKey::Fetch, version, &RequestKind::Fetch(req))
        .await
        .unwrap()
    else {
        panic!("not a Fetch response")
    };
    resp
}

/// `(partition, high watermark, has records)` of each partition answered.
fn answered(resp: &FetchResponse) -> Vec<(i32, i64, bool)> {
    resp.responses
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| {
                (
                    p.partition_index,
                    p.high_watermark,
                    p.records.as_ref().is_some_and(|r| !r.is_empty()),
                )
            })
        })
        .collect()
}

/// At every version from 7: a full fetch opens a session; an incremental one that names nothing answers only the
/// partition that got a record; a repeated epoch is INVALID_FETCH_SESSION_EPOCH; epoch -1 closes the session, after
/// which it is FETCH_SESSION_ID_NOT_FOUND. A restart forgets every session.
#[tokio::test]
async fn sessions_answer_only_what_changed_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = start(dir.path(), &[]);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    for v in 7..=18 {
        let topic = format!("s{v}");
        create(&mut conn, &topic, 2, &[]).await;
        let id = topic_id(&mut conn, &topic).await;
        for p in 0..2 {
            produce(&mut conn, &topic, p, batch(&[(None, Some("a"))], now_ms())).await;
        }
        let resp = fetch(
            &mut conn,
            v,
            request(v, &topic, id, (0, 0), &[(0, 0), (1, 0)]),
        )
        .await;
        let session = resp.session_id;
        assert!(session > 0, "v{v}: a session");
        assert_eq!(answered(&resp), [(0, 1, true), (1, 1, true)], "v{v}");
        let resp = fetch(
            &mut conn,
            v,
            request(v, &topic, id, (session, 1), &[(0, 1), (1, 1)]),
        )
        .await;
        assert_eq!((resp.error_code, resp.session_id), (0, session), "v{v}");
        assert_eq!(answered(&resp), [], "v{v}: nothing new");
        produce(&mut conn, &topic, 1, batch(&[(None, Some("b"))], now_ms())).await;
        let resp = fetch(&mut conn, v, request(v, &topic, id, (session, 2), &[])).await;
        assert_eq!(answered(&resp), [(1, 2, true)], "v{v}: only partition 1");
        let resp = fetch(&mut conn, v, request(v, &topic, id, (session, 2), &[])).await;
        assert_eq!(resp.error_code, 71, "v{v}: INVALID_FETCH_SESSION_EPOCH");
        let resp = fetch(
            &mut conn,
            v,
            request(v, &topic, id, (session, -1), &[(0, 0)]),
        )
        .await;
        assert_eq!((resp.error_code, resp.session_id), (0, 0), "v{v}: closed");
        assert_eq!(answered(&resp), [(0, 1, true)]);
        let resp = fetch(&mut conn, v, request(v, &topic, id, (session, 3), &[])).await;
        assert_eq!(resp.error_code, 70, "v{v}: FETCH_SESSION_ID_NOT_FOUND");
    }
    let id = topic_id(&mut conn, "s18").await;
    let resp = fetch(&mut conn, 18, request(18, "s18", id, (0, 0), &[(0, 0)])).await;
    let session = resp.session_id;
    assert!(session > 0);
    assert!(broker.signal_and_wait("TERM").success());
    let broker = start(dir.path(), &[]);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    let resp = fetch(&mut conn, 18, request(18, "s18", id, (session, 1), &[])).await;
    assert_eq!(resp.error_code, 70, "sessions live in memory only");
}
