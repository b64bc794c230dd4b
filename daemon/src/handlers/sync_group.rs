//! SyncGroup: the leader hands in the assignment; every member of the generation gets its part once the
//! assignment is durable.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;

pub async fn handle(broker: &Broker, version: i16, req: SyncGroupRequest) -> SyncGroupResponse {
    if version >= 5 && (req.protocol_type.is_none() || req.protocol_name.is_none()) {
        // Both are required from v5 on, as Kafka checks before anything else.
        return SyncGroupResponse::default()
            .with_error_code(ResponseError::InconsistentGroupProtocol.code());
    }
    let assignments = req
        .assignments
        .into_iter()
        .map(|a| (a.member_id.to_string(), a.assignment))
        .collect();
    let r = broker
        .groups
        .sync(
            &req.group_id,
            &req.member_id,
            req.group_instance_id.as_deref(),
            req.generation_id,
            req.protocol_type.as_deref(),
            req.protocol_name.as_deref(),
            assignments,
        )
        .await;
    let resp = SyncGroupResponse::default()
        .with_error_code(r.error.map_or(0, |e| e.code()))
        .with_assignment(r.assignment);
    if version >= 5 {
        resp.with_protocol_type(r.protocol_type.map(StrBytes::from_string))
            .with_protocol_name(r.protocol.map(StrBytes::from_string))
    } else {
        resp
    }
}
