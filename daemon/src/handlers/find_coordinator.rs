//! FindCoordinator: which broker coordinates a group. This one, for every group (its shard is loaded here first,
//! so a shard that cannot be served is reported now), and for every transactional id.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::find_coordinator_response::Coordinator;
use automq_protocol::kafka_protocol::messages::{
    BrokerId, FindCoordinatorRequest, FindCoordinatorResponse,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;

/// Kafka's key types.
const GROUP: i8 = 0;
const TRANSACTION: i8 = 1;

async fn find(broker: &Broker, key_type: i8, key: &StrBytes) -> Coordinator {
    let refuse = |e: ResponseError, message: String| {
        Coordinator::default()
            .with_key(key.clone())
            .with_node_id(BrokerId(-1))
            .with_port(-1)
            .with_error_code(e.code())
            .with_error_message(Some(StrBytes::from_string(message)))
    };
    match key_type {
        GROUP => match broker.groups.ready(key).await {
            Ok(()) => Coordinator::default()
                .with_key(key.clone())
                .with_node_id(BrokerId(broker.node_id))
                .with_host(StrBytes::from_string(broker.advertised_host.clone()))
                .with_port(broker.advertised_port),
            Err(e) => refuse(
                e,
                format!("the coordinator of group `{}` is not available", &**key),
            ),
        },
        TRANSACTION => Coordinator::default()
            .with_key(key.clone())
            .with_node_id(BrokerId(broker.node_id))
            .with_host(StrBytes::from_string(broker.advertised_host.clone()))
            .with_port(broker.advertised_port),
        other => refuse(
            ResponseError::InvalidRequest,
            format!("coordinator key type {other} is not supported"),
        ),
    }
}

pub async fn handle(
    broker: &Broker,
    version: i16,
    req: &FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    if version >= 4 {
        let mut coordinators = Vec::with_capacity(req.coordinator_keys.len());
        for key in &req.coordinator_keys {
            coordinators.push(find(broker, req.key_type, key).await);
        }
        return FindCoordinatorResponse::default().with_coordinators(coordinators);
    }
    let c = find(broker, req.key_type, &req.key).await;
    let resp = FindCoordinatorResponse::default()
        .with_error_code(c.error_code)
        .with_node_id(c.node_id)
        .with_host(c.host)
        .with_port(c.port);
    if version >= 1 {
        resp.with_error_message(c.error_message)
    } else {
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::testing;

    #[tokio::test]
    async fn groups_and_transactions_are_coordinated_here() {
        let b = testing::broker().await;
        let req = FindCoordinatorRequest::default().with_key(StrBytes::from_static_str("g"));
        for v in 0..4 {
            let r = handle(&b, v, &req).await;
            assert_eq!(r.error_code, 0, "v{v}");
            assert_eq!(r.node_id, BrokerId(3));
            assert_eq!((r.host.as_str(), r.port), ("127.0.0.1", 9092));
        }
        let req = FindCoordinatorRequest::default()
            .with_key_type(GROUP)
            .with_coordinator_keys(vec![
                StrBytes::from_static_str("a"),
                StrBytes::from_static_str("b"),
            ]);
        let r = handle(&b, 4, &req).await;
        assert_eq!(r.coordinators.len(), 2);
        assert!(
            r.coordinators
                .iter()
                .all(|c| c.error_code == 0 && c.node_id == BrokerId(3))
        );
        assert_eq!(r.coordinators[1].key.as_str(), "b");

        let req = FindCoordinatorRequest::default()
            .with_key_type(TRANSACTION)
            .with_coordinator_keys(vec![StrBytes::from_static_str("tx")]);
        let r = handle(&b, 6, &req).await;
        assert_eq!(
            (r.coordinators[0].error_code, r.coordinators[0].node_id),
            (0, BrokerId(3))
        );
        let req = FindCoordinatorRequest::default()
            .with_key_type(2)
            .with_key(StrBytes::from_static_str("s"));
        assert_eq!(
            handle(&b, 3, &req).await.error_code,
            ResponseError::InvalidRequest.code()
        );
    }
}
