//! ListTransactions (v0–1) and DescribeTransactions: the coordinator's transactional ids, as
//! kafka-transactions lists and describes them.

use std::collections::BTreeMap;

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::describe_transactions_response::{
    TopicData, TransactionState as Described,
};
use automq_protocol::kafka_protocol::messages::list_transactions_response::TransactionState;
use automq_protocol::kafka_protocol::messages::{
    DescribeTransactionsRequest, DescribeTransactionsResponse, ListTransactionsRequest,
    ListTransactionsResponse, ProducerId, TopicName, TransactionalId,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;
use crate::txn::TxnState;

const STATES: [TxnState; 6] = [
    TxnState::Empty,
    TxnState::Ongoing,
    TxnState::PrepareCommit,
    TxnState::PrepareAbort,
    TxnState::CompleteCommit,
    TxnState::CompleteAbort,
];

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub async fn list(broker: &Broker, req: &ListTransactionsRequest) -> ListTransactionsResponse {
    let unknown: Vec<StrBytes> = req
        .state_filters
        .iter()
        .filter(|f| !STATES.iter().any(|s| s.name() == f.as_str()))
        .cloned()
        .collect();
    let now = now_ms();
    let states = broker
        .txn
        .list()
        .await
        .into_iter()
        .filter(|(_, t)| {
            req.state_filters.is_empty()
                || req
                    .state_filters
                    .iter()
                    .any(|f| f.as_str() == t.state.name())
        })
        .filter(|(_, t)| {
            req.producer_id_filters.is_empty()
                || req.producer_id_filters.contains(&ProducerId(t.producer_id))
        })
        .filter(|(_, t)| {
            req.duration_filter < 0
                || (t.state == TxnState::Ongoing && now - t.started_ms >= req.duration_filter)
        })
        .map(|(id, t)| {
            TransactionState::default()
                .with_transactional_id(TransactionalId(StrBytes::from_string(id)))
                .with_producer_id(ProducerId(t.producer_id))
                .with_transaction_state(StrBytes::from_static_str(t.state.name()))
        })
        .collect();
    ListTransactionsResponse::default()
        .with_unknown_state_filters(unknown)
        .with_transaction_states(states)
}

pub async fn describe(
    broker: &Broker,
    req: &DescribeTransactionsRequest,
) -> DescribeTransactionsResponse {
    let all: BTreeMap<String, _> = broker.txn.list().await.into_iter().collect();
    let states = req
        .transactional_ids
        .iter()
        .map(|id| {
            let d = Described::default().with_transactional_id(id.clone());
            let Some(t) = all.get(id.as_str()) else {
                return d
                    .with_error_code(ResponseError::TransactionalIdNotFound.code())
                    .with_producer_id(ProducerId(-1))
                    .with_producer_epoch(-1)
                    .with_transaction_state(StrBytes::from_static_str("Dead"))
                    .with_transaction_start_time_ms(-1);
            };
            let mut topics: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
            if t.state != TxnState::Empty {
                for (topic, p) in &t.partitions {
                    topics.entry(topic).or_default().push(*p);
                }
            }
            d.with_transaction_state(StrBytes::from_static_str(t.state.name()))
                .with_transaction_timeout_ms(t.timeout_ms)
                .with_transaction_start_time_ms(if t.state == TxnState::Empty {
                    -1
                } else {
                    t.started_ms
                })
                .with_producer_id(ProducerId(t.producer_id))
                .with_producer_epoch(t.epoch)
                .with_topics(
                    topics
                        .into_iter()
                        .map(|(topic, partitions)| {
                            TopicData::default()
                                .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                                .with_partitions(partitions)
                        })
                        .collect(),
                )
        })
        .collect();
    DescribeTransactionsResponse::default().with_transaction_states(states)
}
