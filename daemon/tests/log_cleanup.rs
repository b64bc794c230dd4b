//! Retention and compaction running in the automqd binary's background, seen over real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use automq_testkit::kafka::KafkaConn;
use common::*;

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

/// A compacted topic compacts in the background: the latest record of each key stays, at its offset, and a
/// consumer reads exactly those; the high watermark does not move; a record without a key is refused; after a
/// SIGKILL the restarted broker serves the same.
async fn compaction_keeps_the_latest_record_per_key(wal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let wal = format!("wal.kind={wal}");
    let args = ["--set", "topics.cleaner_backoff_ms=100", "--set", &wal];
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
    // The refusal names the records at fault (KIP-467), so a client fails those and not their neighbours.
    let refused = produce_answer(
        &mut conn,
        "c",
        0,
        batch(
            &[
                (Some("a"), Some("1")),
                (None, Some("2")),
                (Some("b"), Some("3")),
                (None, Some("4")),
            ],
            now_ms(),
        ),
    )
    .await;
    assert_eq!(refused.error_code, 87);
    assert_eq!(
        refused
            .record_errors
            .iter()
            .map(|e| e.batch_index)
            .collect::<Vec<_>>(),
        [1, 3]
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

    // Killed: the compacted head's batches may be only in the WAL, and come back by its replay.
    broker.signal_and_wait("KILL");
    let broker = start(dir.path(), &args);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    let mut after = consume_all(&mut conn, "c").await;
    let tail = after.pop().unwrap();
    assert_eq!(tail, (80, "k0".to_string(), Some("after".to_string())));
    // The newer k0 may have been compacted in already (then the older one is gone).
    want.retain(|(_, k, _)| k != "k0" || after.iter().any(|(_, ak, _)| ak == "k0"));
    assert_eq!(after, want);
}

#[tokio::test]
async fn compaction_keeps_the_latest_record_per_key_in_the_background_with_the_file_wal() {
    compaction_keeps_the_latest_record_per_key("file").await;
}

#[tokio::test]
async fn compaction_keeps_the_latest_record_per_key_in_the_background_with_the_object_wal() {
    compaction_keeps_the_latest_record_per_key("object").await;
}
