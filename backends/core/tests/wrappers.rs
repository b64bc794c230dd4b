//! The `ObjectStore` wrappers against the two stores that need no server: memory and a local directory.
//!
//! Faults come from `FaultyStore` on scripted calls or seeded rates; backoff sleeps run on tokio's paused
//! clock, so the tests wait for nothing and replay exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use automq_backend::wrappers::{
    Failure, Fault, FaultRule, FaultyStore, MetricsStore, ObjectStoreMetrics, Op, PUT_ID_ATTRIBUTE,
    PutIdCheck, RetryPolicy, RetryingStore, classify,
};
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    Attribute, Error, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};
use prometheus_client::registry::Registry;

/// A store under test; the temp dir lives as long as it.
struct Backing {
    name: &'static str,
    store: Arc<dyn ObjectStore>,
    /// How a backend would configure conditional-write checks for this store.
    put_id: PutIdCheck,
    _dir: Option<tempfile::TempDir>,
}

fn memory() -> Backing {
    Backing {
        name: "memory",
        store: Arc::new(InMemory::new()),
        put_id: PutIdCheck::Metadata,
        _dir: None,
    }
}

fn local() -> Backing {
    let dir = tempfile::tempdir().unwrap();
    let fs = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    Backing {
        name: "local",
        store: Arc::new(fs.with_automatic_cleanup(true)),
        put_id: PutIdCheck::Bytes,
        _dir: Some(dir),
    }
}

fn backings() -> [Backing; 2] {
    [memory(), local()]
}

fn policy(b: &Backing, seed: u64) -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        seed: Some(seed),
        put_id: b.put_id,
        ..RetryPolicy::default()
    }
}

/// FaultyStore over the backing store, RetryingStore over that.
fn stack(b: &Backing, seed: u64) -> (FaultyStore, RetryingStore) {
    let faulty = FaultyStore::new(b.store.clone(), seed);
    let retrying = RetryingStore::new(Arc::new(faulty.clone()), policy(b, seed));
    (faulty, retrying)
}

fn create() -> PutOptions {
    PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    }
}

async fn read(store: &dyn ObjectStore, key: &Path) -> Bytes {
    store.get(key).await.unwrap().bytes().await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn throttled_and_transient_failures_are_retried() {
    for b in backings() {
        let (faulty, store) = stack(&b, 1);
        faulty.set_rule(Op::Put, FaultRule::default().throttle_first(3));
        faulty.set_rule(
            Op::Get,
            FaultRule::default()
                .on_call(0, Fault::Unavailable)
                .on_call(1, Fault::TimeoutBeforeApply),
        );
        faulty.set_rule(
            Op::List,
            FaultRule::default().on_call(0, Fault::Unavailable),
        );
        let key = Path::from("a/b");

        store
            .put(&key, PutPayload::from_static(b"hello"))
            .await
            .unwrap();
        assert_eq!(
            faulty.calls(Op::Put),
            4,
            "{}: three throttled, one served",
            b.name
        );
        assert_eq!(faulty.injected(Op::Put, Fault::SlowDown), 3);

        assert_eq!(read(&store, &key).await, "hello");
        assert_eq!(faulty.calls(Op::Get), 3, "{}: 503, timeout, served", b.name);

        let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
        assert_eq!(listed.len(), 1, "{}", b.name);
        assert_eq!(faulty.calls(Op::List), 2);
        assert_eq!(store.stats().retries, 3 + 2 + 1);
    }
}

#[tokio::test(start_paused = true)]
async fn permanent_failures_are_not_retried() {
    for b in backings() {
        let (faulty, store) = stack(&b, 2);
        faulty.set_rule(Op::Put, FaultRule::default().on_call(0, Fault::Permanent));
        let key = Path::from("k");
        let err = store
            .put(&key, PutPayload::from_static(b"x"))
            .await
            .unwrap_err();
        assert_eq!(classify(&err), Failure::Permanent, "{err}");
        assert_eq!(faulty.calls(Op::Put), 1, "{}", b.name);

        let err = store.get(&Path::from("missing")).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err}");
        assert_eq!(faulty.calls(Op::Get), 1, "{}: NotFound is final", b.name);
        assert_eq!(store.stats().retries, 0);
    }
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_attempt_and_time_bounds() {
    let b = memory();
    let (faulty, store) = stack(&b, 3);
    faulty.set_rule(Op::Put, FaultRule::default().transient(1.0));
    let err = store
        .put(&Path::from("k"), PutPayload::from_static(b"x"))
        .await
        .unwrap_err();
    assert_eq!(classify(&err), Failure::Refused, "{err}");
    assert_eq!(faulty.calls(Op::Put), 5, "max_attempts is 5");

    let faulty = FaultyStore::new(b.store.clone(), 3)
        .with_rule(Op::Put, FaultRule::default().transient(1.0));
    let store = RetryingStore::new(
        Arc::new(faulty.clone()),
        RetryPolicy {
            max_attempts: 1000,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            max_elapsed: Duration::from_secs(2),
            seed: Some(3),
            ..RetryPolicy::default()
        },
    );
    let start = tokio::time::Instant::now();
    store
        .put(&Path::from("k"), PutPayload::from_static(b"x"))
        .await
        .unwrap_err();
    let calls = faulty.calls(Op::Put);
    // Sleeps of at least 50, 100, 200 ms, then 200 ms each: 2 s allows at most a dozen attempts.
    assert!((4..=12).contains(&calls), "{calls} attempts");
    assert!(
        start.elapsed() <= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn create_whose_answer_was_lost_resolves_by_read_back() {
    for b in backings() {
        let (faulty, store) = stack(&b, 4);
        faulty.set_rule(
            Op::Put,
            FaultRule::default().on_call(0, Fault::TimeoutAfterApply),
        );
        let key = Path::from("meta/log/00000000000000000001");
        let ours = PutPayload::from_static(b"entry from writer 1");
        store.put_opts(&key, ours, create()).await.unwrap();

        assert_eq!(
            faulty.calls(Op::Put),
            2,
            "{}: applied-then-timeout, then retry",
            b.name
        );
        assert_eq!(store.stats().resolved_ours, 1, "{}", b.name);
        assert_eq!(read(b.store.as_ref(), &key).await, "entry from writer 1");
        let all: Vec<_> = b.store.list(None).try_collect().await.unwrap();
        assert_eq!(all.len(), 1, "{}: the object exists once", b.name);

        match b.name {
            "memory" => {
                assert_eq!(store.put_id_check(), PutIdCheck::Metadata);
                let got = b.store.get(&key).await.unwrap();
                let id = got
                    .attributes
                    .get(&Attribute::Metadata(PUT_ID_ATTRIBUTE.into()));
                assert!(id.is_some_and(|v| v.len() == 32), "put id stored: {id:?}");
            }
            _ => assert_eq!(store.put_id_check(), PutIdCheck::Bytes),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn create_lost_to_a_real_winner_is_already_exists() {
    for b in backings() {
        let (faulty, store) = stack(&b, 5);
        let key = Path::from("meta/log/00000000000000000002");
        // Another writer wins first; our attempt reaches the store, is refused, and the refusal is lost.
        b.store
            .put_opts(&key, PutPayload::from_static(b"theirs"), create())
            .await
            .unwrap();
        faulty.set_rule(
            Op::Put,
            FaultRule::default().on_call(0, Fault::TimeoutAfterApply),
        );
        let err = store
            .put_opts(&key, PutPayload::from_static(b"ours"), create())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::AlreadyExists { .. }),
            "{}: {err}",
            b.name
        );
        assert_eq!(store.stats().resolved_theirs, 1, "{}", b.name);
        assert_eq!(store.stats().resolved_ours, 0);
        assert_eq!(read(b.store.as_ref(), &key).await, "theirs");
    }
}

#[tokio::test(start_paused = true)]
async fn a_store_refusing_attributes_is_checked_by_bytes() {
    // Configured for metadata, as for S3; a local directory refuses attributes before doing anything.
    let b = local();
    let faulty = FaultyStore::new(b.store.clone(), 10);
    let store = RetryingStore::new(Arc::new(faulty.clone()), RetryPolicy::default());
    let key = Path::from("k");
    store
        .put_opts(&key, PutPayload::from_static(b"first"), create())
        .await
        .unwrap();
    assert_eq!(store.put_id_check(), PutIdCheck::Bytes);
    assert_eq!(
        faulty.calls(Op::Put),
        2,
        "refused with the tag, then written without"
    );
    assert_eq!(
        store.stats().retries,
        0,
        "the refusal is not a failed attempt"
    );

    faulty.set_rule(
        Op::Put,
        FaultRule::default().on_call(2, Fault::TimeoutAfterApply),
    );
    store
        .put_opts(
            &Path::from("k2"),
            PutPayload::from_static(b"second"),
            create(),
        )
        .await
        .unwrap();
    assert_eq!(store.stats().resolved_ours, 1);
    assert_eq!(read(b.store.as_ref(), &Path::from("k2")).await, "second");
}

#[tokio::test(start_paused = true)]
async fn a_plain_conflict_is_answered_without_guessing() {
    for b in backings() {
        let (faulty, store) = stack(&b, 6);
        let key = Path::from("k");
        b.store
            .put(&key, PutPayload::from_static(b"theirs"))
            .await
            .unwrap();
        let err = store
            .put_opts(&key, PutPayload::from_static(b"theirs"), create())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::AlreadyExists { .. }),
            "{}: {err}",
            b.name
        );
        assert_eq!(faulty.calls(Op::Put), 1, "{}: no retry", b.name);
        // Even with identical bytes, a conflict we saw no ambiguity before is not claimed as ours.
        assert_eq!(store.stats().resolved_ours, 0, "{}", b.name);
    }
}

#[tokio::test(start_paused = true)]
async fn a_conflict_whose_object_vanished_is_tried_again() {
    let b = memory();
    let (faulty, store) = stack(&b, 15);
    let key = Path::from("k");
    b.store
        .put(&key, PutPayload::from_static(b"theirs"))
        .await
        .unwrap();
    // Our create conflicts; while its read-back is on the way, the other object is deleted.
    faulty.set_rule(
        Op::Head,
        FaultRule::default().latency(Duration::from_secs(1)),
    );
    let deleter = {
        let inner = b.store.clone();
        let key = key.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            inner.delete(&key).await.unwrap();
        })
    };
    store
        .put_opts(&key, PutPayload::from_static(b"ours"), create())
        .await
        .unwrap();
    deleter.await.unwrap();
    assert_eq!(faulty.calls(Op::Put), 2);
    assert_eq!(read(b.store.as_ref(), &key).await, "ours");
}

#[tokio::test(start_paused = true)]
async fn update_whose_answer_was_lost_resolves_by_read_back() {
    let b = memory();
    let (faulty, store) = stack(&b, 7);
    let key = Path::from("snapshot");
    let first = store
        .put(&key, PutPayload::from_static(b"v1"))
        .await
        .unwrap();
    faulty.set_rule(
        Op::Put,
        FaultRule::default().on_call(1, Fault::TimeoutAfterApply),
    );
    let update = PutOptions {
        mode: PutMode::Update(UpdateVersion::from(first.clone())),
        ..Default::default()
    };
    let second = store
        .put_opts(&key, PutPayload::from_static(b"v2"), update.clone())
        .await
        .unwrap();
    assert_ne!(second.e_tag, first.e_tag);
    assert_eq!(store.stats().resolved_ours, 1);
    assert_eq!(read(b.store.as_ref(), &key).await, "v2");

    // Someone else moves the version on: our stale update fails, lost answer or not.
    b.store
        .put(&key, PutPayload::from_static(b"v3"))
        .await
        .unwrap();
    faulty.set_rule(
        Op::Put,
        FaultRule::default().on_call(3, Fault::TimeoutAfterApply),
    );
    let stale = PutOptions {
        mode: PutMode::Update(UpdateVersion::from(second)),
        ..Default::default()
    };
    let err = store
        .put_opts(&key, PutPayload::from_static(b"v4"), stale)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Precondition { .. }), "{err}");
    assert_eq!(read(b.store.as_ref(), &key).await, "v3");
}

#[tokio::test(start_paused = true)]
async fn unreadable_outcome_is_reported_as_unknown() {
    let b = memory();
    let (faulty, store) = stack(&b, 8);
    faulty.set_rule(
        Op::Put,
        FaultRule::default().on_call(0, Fault::TimeoutAfterApply),
    );
    faulty.set_rule(Op::Head, FaultRule::default().permanent(1.0));
    let err = store
        .put_opts(&Path::from("k"), PutPayload::from_static(b"x"), create())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is unknown"), "{err}");
    assert_eq!(classify(&err), Failure::Ambiguous);
    assert_eq!(store.stats().unknown, 1);
}

#[tokio::test(start_paused = true)]
async fn delete_whose_answer_was_lost_succeeds() {
    let b = local();
    let (faulty, store) = stack(&b, 9);
    let key = Path::from("gone");
    b.store
        .put(&key, PutPayload::from_static(b"x"))
        .await
        .unwrap();
    faulty.set_rule(
        Op::Delete,
        FaultRule::default().on_call(0, Fault::TimeoutAfterApply),
    );
    store.delete(&key).await.unwrap();
    assert_eq!(faulty.calls(Op::Delete), 2);
    // Without an ambiguous attempt, deleting a missing file is still an error on a local directory.
    let err = store.delete(&key).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

/// 16 writers race to create one key per round through lost answers and 503s; exactly one may win.
async fn race(b: Backing, seed: u64, rounds: u32) {
    let faulty = FaultyStore::new(b.store.clone(), seed).with_rule(
        Op::Put,
        FaultRule::default()
            .timeout_after_apply(0.4)
            .transient(0.1)
            .latency_jitter(Duration::from_millis(20)),
    );
    let store = Arc::new(RetryingStore::new(
        Arc::new(faulty.clone()),
        policy(&b, seed),
    ));
    for round in 0..rounds {
        let key = Path::from(format!("race/{round:04}"));
        let writers = (0..16).map(|w| {
            let store = store.clone();
            let key = key.clone();
            async move {
                let payload = format!("writer {w} round {round}");
                let result = store
                    .put_opts(&key, PutPayload::from(payload.clone()), create())
                    .await;
                (payload, result)
            }
        });
        let results = futures::future::join_all(writers).await;
        let winners: Vec<&String> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "{} round {round}: exactly one success, got {winners:?}; others: {:?}",
            b.name,
            results
                .iter()
                .filter_map(|(_, r)| r.as_ref().err())
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        );
        assert_eq!(read(b.store.as_ref(), &key).await, winners[0].as_bytes());
        for (payload, result) in &results {
            if let Err(e) = result {
                assert!(
                    matches!(e, Error::AlreadyExists { .. }) || classify(e).is_retryable(),
                    "{} round {round}: {payload}: {e}",
                    b.name
                );
            }
        }
    }
    let stats = store.stats();
    eprintln!(
        "{}: {rounds} rounds, {} put calls, {} lost answers, {} 503s, {stats:?}",
        b.name,
        faulty.calls(Op::Put),
        faulty.injected(Op::Put, Fault::TimeoutAfterApply),
        faulty.injected(Op::Put, Fault::Unavailable)
    );
    assert!(
        faulty.injected(Op::Put, Fault::TimeoutAfterApply) > rounds as u64,
        "lost answers were injected"
    );
    assert!(
        stats.resolved_ours > 0 && stats.resolved_theirs > 0,
        "{}: both read-back outcomes exercised: {stats:?}",
        b.name
    );
}

#[tokio::test(start_paused = true)]
async fn sixteen_writers_one_winner_memory() {
    race(memory(), 11, 24).await;
}

#[tokio::test(start_paused = true)]
async fn sixteen_writers_one_winner_local() {
    race(local(), 12, 24).await;
}

#[tokio::test(start_paused = true)]
async fn metrics_count_a_scripted_sequence() {
    let mut registry = Registry::default();
    let metrics = ObjectStoreMetrics::register(&mut registry);
    let b = memory();
    let faulty = FaultyStore::new(b.store.clone(), 13)
        .with_rule(
            Op::Put,
            FaultRule::default().latency(Duration::from_millis(100)),
        )
        .with_rule(Op::Get, FaultRule::default().on_call(1, Fault::Permanent));
    let data = MetricsStore::new(Arc::new(faulty), &metrics, "data");
    let _wal = MetricsStore::new(b.store.clone(), &metrics, "wal");

    let (a, k) = (Path::from("a"), Path::from("k"));
    data.put(&a, PutPayload::from(vec![1u8; 10])).await.unwrap();
    data.put(&k, PutPayload::from(vec![2u8; 20])).await.unwrap();
    assert_eq!(read(&data, &a).await.len(), 10);
    data.get(&a).await.unwrap_err(); // the scripted permanent fault
    data.head(&k).await.unwrap();
    data.get(&Path::from("missing")).await.unwrap_err();
    assert_eq!(data.get_range(&k, 5..9).await.unwrap().len(), 4);
    let listed: Vec<_> = data.list(None).try_collect().await.unwrap();
    assert_eq!(listed.len(), 2);
    data.delete(&a).await.unwrap();
    data.put_opts(&k, PutPayload::from_static(b"again"), create())
        .await
        .unwrap_err();

    assert_eq!(metrics.operations("data", Op::Put), 3);
    assert_eq!(metrics.operations("data", Op::Get), 4);
    assert_eq!(metrics.operations("data", Op::Head), 1);
    assert_eq!(metrics.operations("data", Op::List), 1);
    assert_eq!(metrics.operations("data", Op::Delete), 1);
    assert_eq!(metrics.errors("data", Op::Put, "already_exists"), 1);
    assert_eq!(metrics.errors("data", Op::Get, "not_found"), 1);
    assert_eq!(metrics.errors("data", Op::Get, "other"), 1, "the 400");
    assert_eq!(metrics.bytes_written("data"), 30);
    assert_eq!(metrics.bytes_read("data"), 14);
    assert_eq!(metrics.operations("wal", Op::Put), 0);

    let put = metrics.latency("data", Op::Put);
    assert_eq!(put.count, 3);
    // 100 ms of injected latency on the paused clock: every put lands in the (0.064, 0.128] bucket.
    assert_eq!(put.quantile(0.5), Some(0.128));
    assert_eq!(put.quantile(1.0), Some(0.128));
    assert!((put.sum_seconds - 0.3).abs() < 1e-6, "{}", put.sum_seconds);
    assert_eq!(
        metrics.latency("data", Op::Head).quantile(0.99),
        Some(0.0005)
    );

    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert!(
        text.contains(r#"object_store_operations_total{store="data",op="put"} 3"#),
        "{text}"
    );
    assert!(text.contains(r#"object_store_written_bytes_total{store="data"} 30"#));
}

#[tokio::test(start_paused = true)]
async fn metrics_under_retries_count_attempts() {
    let mut registry = Registry::default();
    let metrics = ObjectStoreMetrics::register(&mut registry);
    let b = local();
    let faulty = FaultyStore::new(b.store.clone(), 14)
        .with_rule(Op::Put, FaultRule::default().throttle_first(2));
    // Metrics below the retries see every attempt; metrics above see the one call.
    let attempts = MetricsStore::new(Arc::new(faulty), &metrics, "attempts");
    let retrying = RetryingStore::new(Arc::new(attempts), policy(&b, 14));
    let calls = MetricsStore::new(Arc::new(retrying), &metrics, "calls");
    calls
        .put(&Path::from("x"), PutPayload::from_static(b"12345"))
        .await
        .unwrap();
    assert_eq!(metrics.operations("attempts", Op::Put), 3);
    assert_eq!(metrics.errors("attempts", Op::Put, "throttled"), 2);
    assert_eq!(metrics.bytes_written("attempts"), 5);
    assert_eq!(metrics.operations("calls", Op::Put), 1);
    assert_eq!(metrics.errors("calls", Op::Put, "throttled"), 0);
    assert_eq!(read(&calls, &Path::from("x")).await, "12345");
    assert_eq!(
        metrics.bytes_read("calls"),
        5,
        "a local file's range is counted"
    );
}
