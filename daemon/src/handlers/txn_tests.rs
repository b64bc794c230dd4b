//! Transactions through the handlers: init and fencing, partitions added before transactional produce, markers
//! on commit and abort, read_committed fetches and ListOffsets, and the timeout.

use automq_protocol::batch::testing::producer_batch_from;
use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use automq_protocol::kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use automq_protocol::kafka_protocol::messages::list_offsets_request::{
    ListOffsetsPartition, ListOffsetsTopic,
};
use automq_protocol::kafka_protocol::messages::produce_request::{
    PartitionProduceData, TopicProduceData,
};
use automq_protocol::kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, BrokerId, EndTxnRequest, FetchRequest,
    InitProducerIdRequest, ListOffsetsRequest, ProduceRequest, ProducerId, ResponseKind, TopicName,
    TransactionalId,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use automq_protocol::kafka_protocol::records::{Compression, RecordBatchDecoder};
use bytes::{Bytes, BytesMut};

use super::{Reply, add_offsets_to_txn, add_partitions_to_txn, end_txn, fetch, init_producer_id};
use super::{list_offsets, produce};
use crate::broker::{Broker, testing};

const TOPIC: &str = "t";

fn tid(s: &str) -> TransactionalId {
    TransactionalId(StrBytes::from_string(s.into()))
}

async fn init(b: &Broker, id: &str, timeout_ms: i32) -> (i64, i16) {
    let r = init_producer_id::handle(
        b,
        &InitProducerIdRequest::default()
            .with_transactional_id(Some(tid(id)))
            .with_transaction_timeout_ms(timeout_ms),
    )
    .await;
    assert_eq!(r.error_code, 0);
    (r.producer_id.0, r.producer_epoch)
}

async fn add(b: &Broker, id: &str, (pid, epoch): (i64, i16), parts: &[i32]) -> Vec<i16> {
    let r = add_partitions_to_txn::handle(
        b,
        &AddPartitionsToTxnRequest::default()
            .with_v3_and_below_transactional_id(tid(id))
            .with_v3_and_below_producer_id(ProducerId(pid))
            .with_v3_and_below_producer_epoch(epoch)
            .with_v3_and_below_topics(vec![
                AddPartitionsToTxnTopic::default()
                    .with_name(TopicName(StrBytes::from_static_str(TOPIC)))
                    .with_partitions(parts.to_vec()),
            ]),
    )
    .await;
    r.results_by_topic_v3_and_below[0]
        .results_by_partition
        .iter()
        .map(|p| p.partition_error_code)
        .collect()
}

async fn end(b: &Broker, id: &str, (pid, epoch): (i64, i16), commit: bool) -> i16 {
    end_txn::handle(
        b,
        &EndTxnRequest::default()
            .with_transactional_id(tid(id))
            .with_producer_id(ProducerId(pid))
            .with_producer_epoch(epoch)
            .with_committed(commit),
    )
    .await
    .error_code
}

/// A transactional batch of `n` records.
fn txn_batch(n: usize, (pid, epoch): (i64, i16), seq: i32) -> Bytes {
    let mut b: BytesMut =
        producer_batch_from(n, 1_700_000_000_000, Compression::None, pid, epoch, seq);
    let attributes = i16::from_be_bytes([b[21], b[22]]) | 0x10;
    b[21..23].copy_from_slice(&attributes.to_be_bytes());
    let crc = crc32c::crc32c(&b[21..]);
    b[17..21].copy_from_slice(&crc.to_be_bytes());
    b.freeze()
}

/// Produces one batch to partition 0; the error code and base offset.
async fn produce_to(b: &Broker, partition: i32, records: Bytes) -> (i16, i64) {
    let req = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_static_str(TOPIC)))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(records)),
                ]),
        ]);
    let Reply::Respond(r) = produce::handle(b, 9, req).await else {
        panic!("expected a response")
    };
    let ResponseKind::Produce(r) = *r else {
        panic!("expected a produce response")
    };
    let p = &r.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

/// Fetches partition 0 from `offset`: (records, high watermark, last stable offset, aborted (pid, first)).
async fn fetch_from(
    b: &Broker,
    offset: i64,
    isolation: i8,
) -> (Vec<(bool, String)>, i64, i64, Vec<(i64, i64)>) {
    let req = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_max_bytes(1 << 20)
        .with_isolation_level(isolation)
        .with_session_epoch(-1)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_static_str(TOPIC)))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_fetch_offset(offset)
                        .with_partition_max_bytes(1 << 20)
                        .with_current_leader_epoch(-1),
                ]),
        ]);
    let r = fetch::handle(b, 12, &req).await;
    let p = &r.responses[0].partitions[0];
    assert_eq!(p.error_code, 0);
    let mut bytes = p.records.clone().unwrap_or_default();
    let mut records = Vec::new();
    if !bytes.is_empty() {
        for set in RecordBatchDecoder::decode_all(&mut bytes).unwrap() {
            for r in set.records {
                let v = r.value.map(|v| String::from_utf8_lossy(&v).into_owned());
                records.push((r.control, v.unwrap_or_default()));
            }
        }
    }
    let aborted = p
        .aborted_transactions
        .iter()
        .flatten()
        .map(|a| (a.producer_id.0, a.first_offset))
        .collect();
    (records, p.high_watermark, p.last_stable_offset, aborted)
}

async fn latest(b: &Broker, isolation: i8) -> i64 {
    let req = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_isolation_level(isolation)
        .with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_static_str(TOPIC)))
                .with_partitions(vec![ListOffsetsPartition::default().with_timestamp(-1)]),
        ]);
    list_offsets::handle(b, 5, &req).await.topics[0].partitions[0].offset
}

async fn broker() -> Broker {
    let b = testing::broker().await;
    b.topics
        .create(TOPIC, Some(2), Default::default(), false)
        .await
        .unwrap();
    b
}

#[tokio::test]
async fn a_new_init_fences_the_older_producer() {
    let b = broker().await;
    let old = init(&b, "tx", 60_000).await;
    assert_eq!(add(&b, "tx", old, &[0]).await, vec![0]);
    let (code, _) = produce_to(&b, 0, txn_batch(2, old, 0)).await;
    assert_eq!(code, 0);
    let new = init(&b, "tx", 60_000).await;
    assert_eq!((new.0, new.1), (old.0, old.1 + 1));
    // The older producer's transaction was aborted by the new init: its marker is in the partition.
    let (records, hw, lso, aborted) = fetch_from(&b, 0, 1).await;
    assert_eq!((hw, lso), (3, 3));
    assert_eq!(aborted, vec![(old.0, 0)]);
    assert_eq!(records.iter().filter(|r| r.0).count(), 1, "one marker");
    let fenced = ResponseError::ProducerFenced.code();
    assert_eq!(add(&b, "tx", old, &[1]).await, vec![fenced]);
    assert_eq!(end(&b, "tx", old, true).await, fenced);
    assert_eq!(
        produce_to(&b, 0, txn_batch(1, old, 2)).await.0,
        ResponseError::InvalidProducerEpoch.code(),
        "a fenced producer cannot write, and its partitions say so as Kafka's do"
    );
    assert_eq!(
        end(&b, "tx", new, true).await,
        ResponseError::InvalidTxnState.code(),
        "nothing to commit"
    );
    assert_eq!(
        add(&b, "nobody", new, &[0]).await,
        vec![ResponseError::InvalidProducerIdMapping.code()]
    );
    let r = add_offsets_to_txn::handle(
        &b,
        &AddOffsetsToTxnRequest::default()
            .with_transactional_id(tid("tx"))
            .with_producer_id(ProducerId(new.0))
            .with_producer_epoch(new.1)
            .with_group_id(StrBytes::from_static_str("g").into()),
    )
    .await;
    assert_eq!(r.error_code, 0);
}

#[tokio::test]
async fn read_committed_sees_committed_data_only() {
    let b = broker().await;
    let p = init(&b, "tx", 60_000).await;
    assert_eq!(
        produce_to(&b, 0, txn_batch(2, p, 0)).await.0,
        ResponseError::InvalidTxnState.code(),
        "the partition is not in the transaction"
    );
    assert_eq!(
        add(&b, "tx", p, &[0, 7]).await,
        vec![
            ResponseError::OperationNotAttempted.code(),
            ResponseError::UnknownTopicOrPartition.code()
        ]
    );
    // Committed: offsets 0-1, marker 2.
    assert_eq!(add(&b, "tx", p, &[0, 1]).await, vec![0, 0]);
    assert_eq!(produce_to(&b, 0, txn_batch(2, p, 0)).await, (0, 0));
    assert_eq!(
        produce_to(&b, 1, txn_batch(2, p, 0)).await.0,
        0,
        "partition 1 was added too"
    );
    let (records, hw, lso, _) = fetch_from(&b, 0, 1).await;
    assert_eq!(
        (records.len(), hw, lso),
        (0, 2, 0),
        "open: nothing is stable"
    );
    assert_eq!(
        fetch_from(&b, 0, 0).await.0.len(),
        2,
        "read_uncommitted sees it"
    );
    assert_eq!((latest(&b, 0).await, latest(&b, 1).await), (2, 0));
    assert_eq!(end(&b, "tx", p, true).await, 0);
    assert_eq!(end(&b, "tx", p, true).await, 0, "a retried commit");
    // Aborted: offsets 3-5, marker 6.
    assert_eq!(add(&b, "tx", p, &[0]).await, vec![0]);
    assert_eq!(produce_to(&b, 0, txn_batch(3, p, 2)).await, (0, 3));
    assert_eq!(end(&b, "tx", p, false).await, 0);
    assert_eq!(
        end(&b, "tx", p, true).await,
        ResponseError::InvalidTxnState.code(),
        "an aborted transaction cannot be committed"
    );
    // A third, still open: offset 7 on.
    assert_eq!(add(&b, "tx", p, &[0]).await, vec![0]);
    assert_eq!(produce_to(&b, 0, txn_batch(1, p, 5)).await, (0, 7));
    let (records, hw, lso, aborted) = fetch_from(&b, 0, 1).await;
    assert_eq!((hw, lso), (8, 7));
    assert_eq!(aborted, vec![(p.0, 3)]);
    let data: Vec<_> = records
        .iter()
        .filter(|r| !r.0)
        .map(|r| r.1.as_str())
        .collect();
    assert_eq!(
        data,
        vec!["v0", "v1", "v0", "v1", "v2"],
        "below the LSO; the consumer drops 3-5 by the aborted list"
    );
    assert_eq!(records.iter().filter(|r| r.0).count(), 2, "two markers");
    assert_eq!(latest(&b, 1).await, 7);
    assert_eq!(fetch_from(&b, 3, 1).await.3, vec![(p.0, 3)]);
    assert!(fetch_from(&b, 7, 1).await.0.is_empty());
}

#[tokio::test]
async fn an_expired_transaction_is_aborted_and_its_producer_fenced() {
    let b = broker().await;
    let p = init(&b, "slow", 1).await;
    assert_eq!(add(&b, "slow", p, &[1]).await, vec![0]);
    let (code, _) = produce_to(&b, 1, txn_batch(1, p, 0)).await;
    assert_eq!(code, 0);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    b.txn.expire(&b.topics, &b.groups).await;
    let all = b.txn.list().await;
    assert_eq!(all[0].1.state, crate::txn::TxnState::CompleteAbort);
    assert_eq!(
        end(&b, "slow", p, true).await,
        ResponseError::ProducerFenced.code()
    );
    let t = b.topics.by_name(TOPIC).unwrap();
    let part = b.topics.partition(&t, 1).await.unwrap();
    assert_eq!(part.offsets().1, 2, "data and the abort marker");
    assert_eq!(part.last_stable_offset(), 2);
}

/// A read_committed fetch of partition 0 from `offset` in session `id` at `epoch` (0: open one).
async fn session_fetch(
    b: &Broker,
    id: i32,
    epoch: i32,
    offset: i64,
) -> automq_protocol::kafka_protocol::messages::FetchResponse {
    let req = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_max_bytes(1 << 20)
        .with_isolation_level(1)
        .with_session_id(id)
        .with_session_epoch(epoch)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_static_str(TOPIC)))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_fetch_offset(offset)
                        .with_partition_max_bytes(1 << 20)
                        .with_current_leader_epoch(-1),
                ]),
        ]);
    fetch::handle(b, 12, &req).await
}

#[tokio::test]
async fn a_read_committed_session_stops_at_the_lso_and_lists_aborted_transactions() {
    let b = broker().await;
    let p = init(&b, "tx", 60_000).await;
    // Committed: 0-1, marker 2. Open: 3-5.
    assert_eq!(add(&b, "tx", p, &[0]).await, vec![0]);
    assert_eq!(produce_to(&b, 0, txn_batch(2, p, 0)).await, (0, 0));
    assert_eq!(end(&b, "tx", p, true).await, 0);
    assert_eq!(add(&b, "tx", p, &[0]).await, vec![0]);
    assert_eq!(produce_to(&b, 0, txn_batch(3, p, 2)).await, (0, 3));

    let full = session_fetch(&b, 0, 0, 0).await;
    let id = full.session_id;
    assert!(id > 0, "a session was opened");
    let part = &full.responses[0].partitions[0];
    assert_eq!((part.high_watermark, part.last_stable_offset), (6, 3));
    let mut bytes = part.records.clone().unwrap();
    let batches = RecordBatchDecoder::decode_all(&mut bytes).unwrap();
    let last = batches.last().unwrap().records.last().unwrap();
    assert_eq!(
        (last.offset, last.control),
        (2, true),
        "up to the commit marker, not into the open transaction"
    );

    // At the LSO with the transaction still open: nothing new, so nothing is answered.
    let open = session_fetch(&b, id, 1, 3).await;
    assert_eq!((open.error_code, open.session_id), (0, id));
    assert!(open.responses.is_empty(), "{open:?}");

    // The abort (marker 6) makes 3-6 stable: the session answers with them and the aborted transaction.
    assert_eq!(end(&b, "tx", p, false).await, 0);
    let after = session_fetch(&b, id, 2, 3).await;
    let part = &after.responses[0].partitions[0];
    assert_eq!((part.high_watermark, part.last_stable_offset), (7, 7));
    let aborted: Vec<_> = part
        .aborted_transactions
        .iter()
        .flatten()
        .map(|a| (a.producer_id.0, a.first_offset))
        .collect();
    assert_eq!(aborted, vec![(p.0, 3)]);
    let mut bytes = part.records.clone().unwrap();
    let offsets: Vec<i64> = RecordBatchDecoder::decode_all(&mut bytes)
        .unwrap()
        .iter()
        .flat_map(|s| s.records.iter().map(|r| r.offset))
        .collect();
    assert_eq!(offsets, vec![3, 4, 5, 6]);
}

/// Offsets fetched for group `g`, partition 0 of the topic (-1 when none).
async fn fetched(b: &Broker) -> i64 {
    b.groups
        .committed(
            "g",
            Some(vec![crate::groups::records::TopicPartition {
                topic: TOPIC.into(),
                partition: 0,
            }]),
        )
        .await
        .ok()
        .and_then(|v| v.into_iter().next())
        .and_then(|(_, c)| c.map(|c| c.offset))
        .unwrap_or(-1)
}

async fn txn_commit_offset(b: &Broker, (pid, epoch): (i64, i16), offset: i64) -> i16 {
    use automq_protocol::kafka_protocol::messages::TxnOffsetCommitRequest;
    use automq_protocol::kafka_protocol::messages::txn_offset_commit_request::{
        TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
    };
    let r = super::txn_offset_commit::handle(
        b,
        &TxnOffsetCommitRequest::default()
            .with_transactional_id(tid("tx"))
            .with_group_id(StrBytes::from_static_str("g").into())
            .with_producer_id(ProducerId(pid))
            .with_producer_epoch(epoch)
            .with_generation_id(-1)
            .with_topics(vec![
                TxnOffsetCommitRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_static_str(TOPIC)))
                    .with_partitions(vec![
                        TxnOffsetCommitRequestPartition::default()
                            .with_partition_index(0)
                            .with_committed_offset(offset),
                    ]),
            ]),
    )
    .await;
    r.topics[0].partitions[0].error_code
}

async fn add_group(b: &Broker, (pid, epoch): (i64, i16)) -> i16 {
    add_offsets_to_txn::handle(
        b,
        &AddOffsetsToTxnRequest::default()
            .with_transactional_id(tid("tx"))
            .with_producer_id(ProducerId(pid))
            .with_producer_epoch(epoch)
            .with_group_id(StrBytes::from_static_str("g").into()),
    )
    .await
    .error_code
}

#[tokio::test]
async fn transactional_offsets_are_visible_only_once_committed() {
    let b = broker().await;
    let p = init(&b, "tx", 60_000).await;
    assert_eq!(
        txn_commit_offset(&b, p, 5).await,
        ResponseError::InvalidTxnState.code(),
        "the group was not added"
    );
    assert_eq!(add_group(&b, p).await, 0);
    assert_eq!(txn_commit_offset(&b, p, 5).await, 0);
    assert_eq!(fetched(&b).await, -1, "pending until the commit");
    assert_eq!(end(&b, "tx", p, false).await, 0);
    assert_eq!(fetched(&b).await, -1, "dropped by the abort");
    assert_eq!(add_group(&b, p).await, 0);
    assert_eq!(txn_commit_offset(&b, p, 9).await, 0);
    assert_eq!(fetched(&b).await, -1);
    assert_eq!(end(&b, "tx", p, true).await, 0);
    assert_eq!(fetched(&b).await, 9);
}

#[tokio::test]
async fn transactions_are_listed_and_described() {
    use automq_protocol::kafka_protocol::messages::{
        DescribeTransactionsRequest, ListTransactionsRequest,
    };
    let b = broker().await;
    let p = init(&b, "tx", 60_000).await;
    let q = init(&b, "other", 30_000).await;
    assert_eq!(add(&b, "tx", p, &[1, 0]).await, vec![0, 0]);
    let r = super::list_transactions::list(
        &b,
        &ListTransactionsRequest::default()
            .with_state_filters(vec![
                StrBytes::from_static_str("Ongoing"),
                StrBytes::from_static_str("Nope"),
            ])
            .with_duration_filter(-1),
    )
    .await;
    assert_eq!(
        r.unknown_state_filters,
        vec![StrBytes::from_static_str("Nope")]
    );
    let listed: Vec<_> = r
        .transaction_states
        .iter()
        .map(|t| (t.transactional_id.as_str(), t.producer_id.0))
        .collect();
    assert_eq!(listed, vec![("tx", p.0)]);
    let r = super::list_transactions::list(
        &b,
        &ListTransactionsRequest::default()
            .with_producer_id_filters(vec![ProducerId(q.0)])
            .with_duration_filter(-1),
    )
    .await;
    assert_eq!(r.transaction_states.len(), 1);
    assert_eq!(r.transaction_states[0].transaction_state.as_str(), "Empty");

    let r = super::list_transactions::describe(
        &b,
        &DescribeTransactionsRequest::default()
            .with_transactional_ids(vec![tid("tx"), tid("missing")]),
    )
    .await;
    let d = &r.transaction_states[0];
    assert_eq!(
        (
            d.error_code,
            d.transaction_state.as_str(),
            d.producer_epoch,
            d.transaction_timeout_ms
        ),
        (0, "Ongoing", p.1, 60_000)
    );
    assert_eq!(d.topics[0].partitions, vec![0, 1]);
    assert!(d.transaction_start_time_ms > 0);
    assert_eq!(
        r.transaction_states[1].error_code,
        ResponseError::TransactionalIdNotFound.code()
    );
}

#[tokio::test]
async fn producers_show_their_open_transactions() {
    use automq_protocol::kafka_protocol::messages::DescribeProducersRequest;
    use automq_protocol::kafka_protocol::messages::describe_producers_request::TopicRequest;
    let b = broker().await;
    let p = init(&b, "tx", 60_000).await;
    assert_eq!(add(&b, "tx", p, &[0]).await, vec![0]);
    assert_eq!(produce_to(&b, 0, txn_batch(3, p, 0)).await, (0, 0));
    let req = DescribeProducersRequest::default().with_topics(vec![
        TopicRequest::default()
            .with_name(TopicName(StrBytes::from_static_str(TOPIC)))
            .with_partition_indexes(vec![0, 9]),
    ]);
    let describe = || super::describe_producers::handle(&b, &req);
    let r = describe().await;
    let parts = &r.topics[0].partitions;
    let s = &parts[0].active_producers[0];
    assert_eq!(
        (
            s.producer_id.0,
            s.producer_epoch,
            s.last_sequence,
            s.current_txn_start_offset
        ),
        (p.0, i32::from(p.1), 2, 0)
    );
    assert_eq!(
        parts[1].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );
    assert_eq!(end(&b, "tx", p, true).await, 0);
    let r = describe().await;
    assert_eq!(
        r.topics[0].partitions[0].active_producers[0].current_txn_start_offset,
        -1
    );
}

#[tokio::test]
async fn a_restart_aborts_the_open_transaction_and_keeps_the_producer_id() {
    let store: std::sync::Arc<dyn object_store::ObjectStore> =
        std::sync::Arc::new(object_store::memory::InMemory::new());
    let defaults = crate::topics::TopicDefaults {
        auto_create: false,
        partitions: 1,
    };
    let b = testing::broker_on(store.clone(), defaults).await;
    b.topics
        .create(TOPIC, Some(2), Default::default(), false)
        .await
        .unwrap();
    // Committed: 0-1, marker 2. Then an open one at 3-4, and a group offset waiting for it.
    let p = init(&b, "tx", 60_000).await;
    assert_eq!(add(&b, "tx", p, &[0]).await, vec![0]);
    assert_eq!(produce_to(&b, 0, txn_batch(2, p, 0)).await, (0, 0));
    assert_eq!(end(&b, "tx", p, true).await, 0);
    assert_eq!(add(&b, "tx", p, &[0]).await, vec![0]);
    assert_eq!(add_group(&b, p).await, 0);
    assert_eq!(txn_commit_offset(&b, p, 3).await, 0);
    assert_eq!(produce_to(&b, 0, txn_batch(2, p, 2)).await, (0, 3));
    assert_eq!(
        fetch_from(&b, 0, 1).await.2,
        3,
        "the open transaction holds the LSO"
    );
    b.topics.shutdown().await.unwrap();
    drop(b);

    let b = testing::broker_on(store, defaults).await;
    // The open transaction was aborted at start: its marker is at 5 and it is listed as aborted.
    let (_, hw, lso, aborted) = fetch_from(&b, 0, 1).await;
    assert_eq!((hw, lso), (6, 6));
    assert_eq!(aborted, vec![(p.0, 3)]);
    let (tail, _, _, _) = fetch_from(&b, 5, 1).await;
    assert_eq!(tail.len(), 1);
    assert!(tail[0].0, "the abort marker at 5");
    assert_eq!(
        fetched(&b).await,
        -1,
        "the aborted transaction's offset was not written"
    );
    let all = b.txn.list().await;
    assert_eq!(all[0].1.state, crate::txn::TxnState::CompleteAbort);
    // The old producer is fenced; a new init continues the same producer id.
    assert_eq!(
        end(&b, "tx", p, true).await,
        ResponseError::ProducerFenced.code()
    );
    let next = init(&b, "tx", 60_000).await;
    assert_eq!(next.0, p.0);
    assert!(next.1 > p.1, "{next:?} after {p:?}");
    assert_eq!(add(&b, "tx", next, &[0]).await, vec![0]);
    assert_eq!(produce_to(&b, 0, txn_batch(1, next, 0)).await, (0, 6));
    assert_eq!(end(&b, "tx", next, true).await, 0);
    let (_, hw, lso, _) = fetch_from(&b, 0, 1).await;
    assert_eq!((hw, lso), (8, 8));
}
