//! DescribeProducers: the producers a partition has seen since it was opened here, with the first offset of
//! each one's open transaction.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::describe_producers_response::{
    PartitionResponse, ProducerState, TopicResponse,
};
use automq_protocol::kafka_protocol::messages::{
    DescribeProducersRequest, DescribeProducersResponse, ProducerId,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;

pub async fn handle(broker: &Broker, req: &DescribeProducersRequest) -> DescribeProducersResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let topic = broker.topics.by_name(&t.name);
        let mut partitions = Vec::with_capacity(t.partition_indexes.len());
        for &index in &t.partition_indexes {
            let resp = PartitionResponse::default().with_partition_index(index);
            let found = match &topic {
                None => Err((
                    ResponseError::UnknownTopicOrPartition,
                    format!("topic `{}` does not exist", t.name.as_str()),
                )),
                Some(topic) => broker
                    .topics
                    .partition(topic, index)
                    .await
                    .map_err(|e| (e.code, e.message)),
            };
            partitions.push(match found {
                Ok(p) => resp.with_active_producers(
                    p.producers()
                        .into_iter()
                        .map(|(id, epoch, seq, txn_start)| {
                            ProducerState::default()
                                .with_producer_id(ProducerId(id))
                                .with_producer_epoch(i32::from(epoch))
                                .with_last_sequence(seq)
                                .with_last_timestamp(-1)
                                .with_coordinator_epoch(-1)
                                .with_current_txn_start_offset(txn_start)
                        })
                        .collect(),
                ),
                Err((code, message)) => resp
                    .with_error_code(code.code())
                    .with_error_message(Some(StrBytes::from_string(message))),
            });
        }
        topics.push(
            TopicResponse::default()
                .with_name(t.name.clone())
                .with_partitions(partitions),
        );
    }
    DescribeProducersResponse::default().with_topics(topics)
}
