//! Heartbeat: keeps a member's session alive, and tells it when the group rebalances.

use automq_protocol::kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use crate::broker::Broker;

pub async fn handle(broker: &Broker, req: &HeartbeatRequest) -> HeartbeatResponse {
    let error = broker
        .groups
        .heartbeat(
            &req.group_id,
            &req.member_id,
            req.group_instance_id.as_deref(),
            req.generation_id,
        )
        .await;
    HeartbeatResponse::default().with_error_code(error.map_or(0, |e| e.code()))
}
