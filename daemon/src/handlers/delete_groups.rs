//! DeleteGroups: an empty group and its committed offsets are deleted, durably.

use automq_protocol::kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use automq_protocol::kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};

use crate::broker::Broker;

pub async fn handle(broker: &Broker, req: &DeleteGroupsRequest) -> DeleteGroupsResponse {
    let mut results = Vec::with_capacity(req.groups_names.len());
    for group in &req.groups_names {
        let error = broker.groups.delete(group).await;
        results.push(
            DeletableGroupResult::default()
                .with_group_id(group.clone())
                .with_error_code(error.map_or(0, |e| e.code())),
        );
    }
    DeleteGroupsResponse::default().with_results(results)
}
