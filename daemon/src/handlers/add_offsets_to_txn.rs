//! AddOffsetsToTxn: a consumer group's offsets join the producer's ongoing transaction.

use automq_protocol::kafka_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};

use crate::broker::Broker;

pub async fn handle(broker: &Broker, req: &AddOffsetsToTxnRequest) -> AddOffsetsToTxnResponse {
    let r = broker
        .txn
        .add(
            &broker.topics,
            &req.transactional_id,
            req.producer_id.0,
            req.producer_epoch,
            &[],
            Some(&req.group_id),
        )
        .await;
    AddOffsetsToTxnResponse::default().with_error_code(r.err().map_or(0, |(e, _)| e.code()))
}
