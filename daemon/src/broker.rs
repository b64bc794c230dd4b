//! What the request handlers share: this broker's identity, its topics and its consumer groups on the stream
//! engine.

use crate::groups::Groups;
use crate::handlers::fetch_session::FetchSessions;
use crate::topics::Topics;
use crate::txn::Transactions;

/// The state handlers read. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Broker {
    pub node_id: i32,
    pub cluster_id: String,
    /// The host and port clients are told to connect to.
    pub advertised_host: String,
    pub advertised_port: i32,
    pub topics: Topics,
    pub groups: Groups,
    /// The transaction coordinator.
    pub txn: Transactions,
    /// Incremental fetch sessions (KIP-227).
    pub fetch_sessions: FetchSessions,
}

#[cfg(test)]
pub(crate) mod testing {
    //! A broker over an in-memory store and an object WAL, for handler tests without sockets.

    use std::sync::Arc;
    use std::time::Duration;

    use automq_stream::engine::{Engine, EngineConfig, WalKind};

    use super::Broker;
    use crate::groups::{GroupConfig, Groups};
    use crate::topics::{TopicDefaults, Topics};
    use crate::txn::Transactions;

    /// An engine over `store` with an object WAL.
    pub async fn engine_on(store: Arc<dyn object_store::ObjectStore>) -> Engine {
        let mut config = EngineConfig::new(
            3,
            "streams",
            WalKind::Object {
                interval: Duration::from_millis(1),
                max_bytes: 1 << 20,
            },
        );
        config.upload_interval = Duration::from_millis(50);
        Engine::open(store, config).await.unwrap()
    }

    pub async fn broker_on(
        store: Arc<dyn object_store::ObjectStore>,
        defaults: TopicDefaults,
    ) -> Broker {
        let engine = engine_on(store).await;
        let groups = Groups::open(engine.clone(), group_config()).await.unwrap();
        let topics = Topics::open(engine.clone(), defaults).await.unwrap();
        let txn = Transactions::open_with(engine, &topics, &groups, 4096).await;
        Broker {
            node_id: 3,
            cluster_id: "abcdefghijklmnopqrstuv".into(),
            advertised_host: "127.0.0.1".into(),
            advertised_port: 9092,
            topics,
            groups,
            txn,
            fetch_sessions: crate::handlers::fetch_session::FetchSessions::new(
                1000,
                Duration::from_secs(120),
            ),
        }
    }

    /// Kafka's defaults, with a small snapshot threshold so tests reach it.
    pub fn group_config() -> GroupConfig {
        GroupConfig {
            snapshot_min_bytes: 4096,
            ..GroupConfig::default()
        }
    }

    pub async fn broker() -> Broker {
        broker_on(
            Arc::new(object_store::memory::InMemory::new()),
            TopicDefaults {
                auto_create: true,
                partitions: 2,
            },
        )
        .await
    }
}
