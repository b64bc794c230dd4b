//! InitProducerId for idempotent producers: a producer id no producer of the cluster has had, at epoch 0.
//!
//! As in Kafka, a request without a transactional id always gets a new id, whatever id and epoch it carries.
//! With a transactional id the transaction coordinator answers: the id's producer id with its epoch bumped.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::{
    InitProducerIdRequest, InitProducerIdResponse, ProducerId,
};
use tracing::warn;

use crate::broker::Broker;

pub async fn handle(broker: &Broker, req: &InitProducerIdRequest) -> InitProducerIdResponse {
    let failed = |code: ResponseError| {
        InitProducerIdResponse::default()
            .with_error_code(code.code())
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1)
    };
    if let Some(t) = req.transactional_id.as_ref().filter(|t| !t.is_empty()) {
        return match broker
            .txn
            .init(
                &broker.topics,
                &broker.groups,
                t,
                req.transaction_timeout_ms,
            )
            .await
        {
            Ok((id, epoch)) => InitProducerIdResponse::default()
                .with_producer_id(ProducerId(id))
                .with_producer_epoch(epoch),
            Err((code, m)) => {
                warn!("InitProducerId for `{}` refused: {m}", &**t);
                failed(code)
            }
        };
    }
    match broker.topics.new_producer_id().await {
        Ok(id) => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(id))
            .with_producer_epoch(0),
        Err(e) => {
            warn!("cannot allocate a producer id: {}", e.message);
            failed(e.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;
    use automq_protocol::kafka_protocol::messages::TransactionalId;
    use automq_protocol::kafka_protocol::protocol::StrBytes;
    use std::sync::Arc;

    #[tokio::test]
    async fn ids_are_never_handed_out_twice_even_across_restarts() {
        let store: Arc<dyn object_store::ObjectStore> =
            Arc::new(object_store::memory::InMemory::new());
        let defaults = crate::topics::TopicDefaults {
            auto_create: true,
            partitions: 1,
        };
        let mut seen = std::collections::BTreeSet::new();
        for _life in 0..2 {
            let b = testing::broker_on(store.clone(), defaults).await;
            for _ in 0..1500 {
                let r = handle(&b, &InitProducerIdRequest::default()).await;
                assert_eq!((r.error_code, r.producer_epoch), (0, 0));
                assert!(seen.insert(r.producer_id.0), "id {} twice", r.producer_id.0);
            }
            b.topics.shutdown().await.unwrap();
        }
        let b = testing::broker().await;
        let txn = InitProducerIdRequest::default()
            .with_transactional_id(Some(TransactionalId(StrBytes::from_static_str("tx"))))
            .with_transaction_timeout_ms(60_000);
        let first = handle(&b, &txn).await;
        assert_eq!((first.error_code, first.producer_epoch), (0, 0));
        let second = handle(&b, &txn).await;
        assert_eq!(
            (second.error_code, second.producer_id, second.producer_epoch),
            (0, first.producer_id, 1),
            "the same id, the epoch bumped"
        );
        let bad = txn.with_transaction_timeout_ms(0);
        assert_eq!(
            handle(&b, &bad).await.error_code,
            ResponseError::InvalidTransactionTimeout.code()
        );
    }
}
