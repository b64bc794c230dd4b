//! AddPartitionsToTxn (v0–3, the client form): partitions join the producer's ongoing transaction (starting it).
//! Partitions of topics that do not exist are refused with UNKNOWN_TOPIC_OR_PARTITION and the rest with
//! OPERATION_NOT_ATTEMPTED, as Kafka does; a coordinator error applies to every partition.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use automq_protocol::kafka_protocol::messages::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse,
};
use tracing::warn;

use crate::broker::Broker;

pub async fn handle(
    broker: &Broker,
    req: &AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    let known = |topic: &str, partition: i32| {
        broker
            .topics
            .by_name(topic)
            .is_some_and(|t| u32::try_from(partition).is_ok_and(|p| p < t.entry.partitions))
    };
    let mut wanted = Vec::new();
    let mut unknown = false;
    for t in &req.v3_and_below_topics {
        for p in &t.partitions {
            unknown |= !known(&t.name, *p);
            wanted.push((t.name.to_string(), *p));
        }
    }
    let outcome = if unknown {
        None
    } else {
        Some(
            broker
                .txn
                .add(
                    &broker.topics,
                    &req.v3_and_below_transactional_id,
                    req.v3_and_below_producer_id.0,
                    req.v3_and_below_producer_epoch,
                    &wanted,
                    None,
                )
                .await,
        )
    };
    if let Some(Err((_, m))) = &outcome {
        warn!("AddPartitionsToTxn refused: {m}");
    }
    let results = req
        .v3_and_below_topics
        .iter()
        .map(|t| {
            let parts = t
                .partitions
                .iter()
                .map(|p| {
                    let code = match &outcome {
                        None if !known(&t.name, *p) => {
                            ResponseError::UnknownTopicOrPartition.code()
                        }
                        None => ResponseError::OperationNotAttempted.code(),
                        Some(Ok(())) => 0,
                        Some(Err((e, _))) => e.code(),
                    };
                    AddPartitionsToTxnPartitionResult::default()
                        .with_partition_index(*p)
                        .with_partition_error_code(code)
                })
                .collect();
            AddPartitionsToTxnTopicResult::default()
                .with_name(t.name.clone())
                .with_results_by_partition(parts)
        })
        .collect();
    AddPartitionsToTxnResponse::default().with_results_by_topic_v3_and_below(results)
}
