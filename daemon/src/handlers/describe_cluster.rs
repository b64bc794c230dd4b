//! DescribeCluster: the cluster id, the controller and the brokers (this one).

use automq_protocol::kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use automq_protocol::kafka_protocol::messages::{
    BrokerId, DescribeClusterRequest, DescribeClusterResponse,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use crate::broker::Broker;

pub fn handle(broker: &Broker, req: &DescribeClusterRequest) -> DescribeClusterResponse {
    let me = DescribeClusterBroker::default()
        .with_broker_id(BrokerId(broker.node_id))
        .with_host(StrBytes::from_string(broker.advertised_host.clone()))
        .with_port(broker.advertised_port);
    DescribeClusterResponse::default()
        .with_endpoint_type(req.endpoint_type)
        .with_cluster_id(StrBytes::from_string(broker.cluster_id.clone()))
        .with_controller_id(BrokerId(broker.node_id))
        .with_brokers(vec![me])
        .with_cluster_authorized_operations(i32::MIN)
}
