//! JoinGroup: a member joins (or rejoins) a group and waits for the join phase to end; the leader learns every
//! member's metadata. v4+ dynamic members first get a member id (MEMBER_ID_REQUIRED); static members (v5+,
//! `group.instance.id`) keep their place across restarts. The state machine is in crate::groups::group.

use std::time::Duration;

use automq_protocol::kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use automq_protocol::kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use super::Client;
use crate::broker::Broker;
use crate::groups::group::{JoinArgs, JoinReply};

pub fn millis(ms: i32) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn text(s: String) -> StrBytes {
    StrBytes::from_string(s)
}

pub async fn handle(
    broker: &Broker,
    client: &Client,
    version: i16,
    req: &JoinGroupRequest,
) -> JoinGroupResponse {
    // v0 has no rebalance timeout: the session timeout serves as both.
    let rebalance = if version >= 1 {
        req.rebalance_timeout_ms
    } else {
        req.session_timeout_ms
    };
    let args = JoinArgs {
        member_id: req.member_id.to_string(),
        instance_id: req.group_instance_id.as_ref().map(|s| s.to_string()),
        client_id: client.id.clone(),
        client_host: client.host.clone(),
        session_timeout: millis(req.session_timeout_ms),
        rebalance_timeout: millis(rebalance),
        protocol_type: req.protocol_type.to_string(),
        protocols: req
            .protocols
            .iter()
            .map(|p| (p.name.to_string(), p.metadata.clone()))
            .collect(),
        require_known_member_id: version >= 4,
        version,
        reason: req.reason.as_ref().map(|s| s.to_string()),
    };
    response(version, broker.groups.join(&req.group_id, args).await)
}

pub fn response(version: i16, r: JoinReply) -> JoinGroupResponse {
    let members = r
        .members
        .into_iter()
        .map(|m| {
            JoinGroupResponseMember::default()
                .with_member_id(text(m.id))
                .with_group_instance_id(m.instance_id.map(text))
                .with_metadata(m.metadata)
        })
        .collect();
    JoinGroupResponse::default()
        .with_error_code(r.error.map_or(0, |e| e.code()))
        .with_generation_id(r.generation)
        // Nullable from v7 on; before, a group without a protocol says "".
        .with_protocol_type(r.protocol_type.map(text))
        .with_protocol_name(match r.protocol {
            Some(p) => Some(text(p)),
            None if version < 7 => Some(StrBytes::default()),
            None => None,
        })
        .with_leader(text(r.leader))
        .with_skip_assignment(version >= 9 && r.skip_assignment)
        .with_member_id(text(r.member_id))
        .with_members(members)
}
