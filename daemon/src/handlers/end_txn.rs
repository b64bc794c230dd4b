//! EndTxn: commit or abort. The coordinator writes a marker into every partition of the transaction and
//! answers once they are durable.

use automq_protocol::kafka_protocol::messages::{EndTxnRequest, EndTxnResponse};
use tracing::warn;

use crate::broker::Broker;

pub async fn handle(broker: &Broker, req: &EndTxnRequest) -> EndTxnResponse {
    let r = broker
        .txn
        .end_txn(
            &broker.topics,
            &broker.groups,
            &req.transactional_id,
            req.producer_id.0,
            req.producer_epoch,
            req.committed,
        )
        .await;
    let code = match r {
        Ok(_) => 0,
        Err((e, m)) => {
            warn!("EndTxn refused: {m}");
            e.code()
        }
    };
    EndTxnResponse::default()
        .with_error_code(code)
        .with_producer_id(req.producer_id)
        .with_producer_epoch(req.producer_epoch)
}
