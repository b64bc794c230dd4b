//! What the request handlers share: this broker's identity and what it advertises.

/// The state handlers read. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Broker {
    pub node_id: i32,
    pub cluster_id: String,
    /// The host and port clients are told to connect to.
    pub advertised_host: String,
    pub advertised_port: i32,
}
