//! LeaveGroup: one member by id (v0–v2), or a batch of members by id and/or instance id (v3+; tools remove
//! static members by instance id alone).

use automq_protocol::kafka_protocol::messages::leave_group_response::MemberResponse;
use automq_protocol::kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};

use crate::broker::Broker;

pub async fn handle(broker: &Broker, version: i16, req: &LeaveGroupRequest) -> LeaveGroupResponse {
    let members: Vec<(String, Option<String>)> = if version >= 3 {
        req.members
            .iter()
            .map(|m| {
                (
                    m.member_id.to_string(),
                    m.group_instance_id.as_ref().map(|s| s.to_string()),
                )
            })
            .collect()
    } else {
        vec![(req.member_id.to_string(), None)]
    };
    let results = match broker.groups.leave(&req.group_id, &members).await {
        Ok(r) => r,
        Err(e) => return LeaveGroupResponse::default().with_error_code(e.code()),
    };
    if version < 3 {
        let error = results.first().copied().flatten();
        return LeaveGroupResponse::default().with_error_code(error.map_or(0, |e| e.code()));
    }
    let responses = req
        .members
        .iter()
        .zip(results)
        .map(|(m, e)| {
            MemberResponse::default()
                .with_member_id(m.member_id.clone())
                .with_group_instance_id(m.group_instance_id.clone())
                .with_error_code(e.map_or(0, |e| e.code()))
        })
        .collect();
    LeaveGroupResponse::default().with_members(responses)
}
