//! DescribeGroups: each group's state, protocol and members (with their metadata and assignment once the group
//! is stable). A group that does not exist is "Dead"; v6 also says GROUP_ID_NOT_FOUND.

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::describe_groups_response::{
    DescribedGroup, DescribedGroupMember,
};
use automq_protocol::kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;

/// What a client may do with a group here (no ACLs: everything Kafka defines for groups): READ (3), DELETE
/// (6) and DESCRIBE (8), as a bit field.
const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8);

pub async fn handle(
    broker: &Broker,
    version: i16,
    req: &DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let mut groups = Vec::with_capacity(req.groups.len());
    for id in &req.groups {
        let group = DescribedGroup::default().with_group_id(id.clone());
        let group = if version >= 3 && req.include_authorized_operations {
            group.with_authorized_operations(GROUP_OPERATIONS)
        } else {
            group
        };
        groups.push(match broker.groups.describe(id).await {
            Ok(d) => group
                .with_group_state(StrBytes::from_static_str(d.state))
                .with_protocol_type(StrBytes::from_string(d.protocol_type))
                .with_protocol_data(StrBytes::from_string(d.protocol))
                .with_members(
                    d.members
                        .into_iter()
                        .map(|m| {
                            let member = DescribedGroupMember::default()
                                .with_member_id(StrBytes::from_string(m.id))
                                .with_client_id(StrBytes::from_string(m.client_id))
                                .with_client_host(StrBytes::from_string(m.client_host))
                                .with_member_metadata(m.metadata)
                                .with_member_assignment(m.assignment);
                            if version >= 4 {
                                member.with_group_instance_id(
                                    m.instance_id.map(StrBytes::from_string),
                                )
                            } else {
                                member
                            }
                        })
                        .collect(),
                ),
            Err(ResponseError::GroupIdNotFound) => {
                let dead = group.with_group_state(StrBytes::from_static_str("Dead"));
                if version >= 6 {
                    dead.with_error_code(ResponseError::GroupIdNotFound.code())
                        .with_error_message(Some(StrBytes::from_string(format!(
                            "Group {} not found.",
                            &**id
                        ))))
                } else {
                    dead
                }
            }
            Err(e) => group.with_error_code(e.code()),
        });
    }
    DescribeGroupsResponse::default().with_groups(groups)
}
