//! ListGroups: every group, optionally only those in some states (v4+) or of some types (v5+; all ours are
//! "classic").

use automq_protocol::kafka_protocol::messages::list_groups_response::ListedGroup;
use automq_protocol::kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;

pub async fn handle(broker: &Broker, version: i16, req: &ListGroupsRequest) -> ListGroupsResponse {
    let (groups, error) = broker.groups.list().await;
    let wanted_type = req.types_filter.is_empty()
        || req
            .types_filter
            .iter()
            .any(|t| t.eq_ignore_ascii_case("classic"));
    let groups = groups
        .into_iter()
        .filter(|g| {
            wanted_type
                && (req.states_filter.is_empty()
                    || req
                        .states_filter
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(g.state)))
        })
        .map(|g| {
            let listed = ListedGroup::default()
                .with_group_id(GroupId(StrBytes::from_string(g.id)))
                .with_protocol_type(StrBytes::from_string(g.protocol_type));
            let listed = if version >= 4 {
                listed.with_group_state(StrBytes::from_static_str(g.state))
            } else {
                listed
            };
            if version >= 5 {
                listed.with_group_type(StrBytes::from_static_str("classic"))
            } else {
                listed
            }
        })
        .collect();
    ListGroupsResponse::default()
        .with_error_code(error.map_or(0, |e| e.code()))
        .with_groups(groups)
}
