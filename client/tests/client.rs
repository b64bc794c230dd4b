//! The client against real servers: Apache Kafka from `dev/peers` for every admin call, and local sockets for
//! what Kafka cannot be made to do on demand (refuse connections, never answer).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use automq_client::{Client, ClientConfig, Error, ErrorKind};

#[tokio::test]
async fn a_refused_bootstrap_names_every_server_tried() {
    // Bind then drop: the ports are closed, so connecting is refused at once.
    let closed_port = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (a, b) = (closed_port(), closed_port());
    let err = Client::connect(ClientConfig::new(&format!("{a},{b}")).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable);
    let msg = err.to_string();
    assert!(
        msg.starts_with("no bootstrap server answered: cannot connect to"),
        "{msg}"
    );
    assert!(
        msg.contains(&a.to_string()) && msg.contains(&b.to_string()),
        "{msg}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_at_request_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut config = ClientConfig::new(&addr.to_string()).unwrap();
    config.set("request.timeout.ms", "300").unwrap();
    let err = Client::connect(config).await.unwrap_err();
    let Error::Bootstrap { tried } = &err else {
        panic!("{err}")
    };
    assert!(matches!(tried[..], [Error::RequestTimeout { .. }]), "{err}");
    assert_eq!(
        tried[0].to_string(),
        format!("ApiVersions to {addr}: no answer within 300 ms (request.timeout.ms)")
    );
    silent.abort();
}

mod kafka {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use automq_client::kafka_protocol::messages::{
        ApiKey, BrokerHeartbeatRequest, MetadataRequest,
    };
    use automq_client::{
        AlterConfigOp, ConfigResource, KafkaCode, NewTopic, OffsetSpec, Resource, Target,
        client_range,
    };

    use super::*;

    fn bootstrap() -> String {
        static BOOTSTRAP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        BOOTSTRAP
            .get_or_init(|| {
                automq_testkit::peers::env("kafka")
                    .remove("BOOTSTRAP")
                    .expect("the kafka peer exports BOOTSTRAP")
            })
            .clone()
    }

    async fn client() -> Client {
        let mut config = ClientConfig::new(&bootstrap()).unwrap();
        config.set("client.id", "automq-client-test").unwrap();
        Client::connect(config).await.unwrap()
    }

    fn topic_name(tag: &str) -> String {
        format!("client-{tag}-{}", uuid::Uuid::new_v4().simple())
    }

    #[tokio::test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    async fn negotiates_the_highest_common_version_per_api() {
        let client = client().await;
        let conn = client.connection(Target::Any).await.unwrap();
        for api in [
            ApiKey::Metadata,
            ApiKey::CreateTopics,
            ApiKey::ListOffsets,
            ApiKey::OffsetFetch,
            ApiKey::DescribeCluster,
        ] {
            let theirs = conn.versions().range(api).unwrap();
            let ours = client_range(api).unwrap();
            assert_eq!(
                conn.version(api).unwrap(),
                ours.max.min(theirs.max),
                "{api:?}: ours {ours:?}, theirs {theirs:?}"
            );
        }
    }

    #[tokio::test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    async fn pipelines_many_requests_on_one_connection() {
        let client = client().await;
        let conn = client.connection(Target::Any).await.unwrap();
        let version = conn.version(ApiKey::Metadata).unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..64 {
            let conn = Arc::clone(&conn);
            tasks.spawn(async move {
                conn.call(
                    &MetadataRequest::default().with_topics(Some(vec![])),
                    version,
                )
                .await
            });
        }
        let mut answered = 0;
        while let Some(r) = tasks.join_next().await {
            assert!(!r.unwrap().unwrap().brokers.is_empty());
            answered += 1;
        }
        assert_eq!(answered, 64);
        assert!(!conn.is_closed());
    }

    #[tokio::test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    async fn a_connection_the_broker_closed_is_replaced() {
        let client = client().await;
        let conn = client.connection(Target::Any).await.unwrap();
        // Kafka closes a connection that sends a controller-only API to a broker listener.
        let err = conn
            .call(&BrokerHeartbeatRequest::default(), 0)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Disconnected { sent: true, .. }),
            "{err}"
        );
        assert!(conn.is_closed());
        let md = client.metadata(Some(&[])).await.unwrap();
        assert!(!md.brokers.is_empty());
        let fresh = client.connection(Target::Any).await.unwrap();
        assert!(!Arc::ptr_eq(&conn, &fresh));
        assert!(!fresh.is_closed());

        fresh.close();
        client.describe_cluster().await.unwrap();
    }

    #[tokio::test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    async fn topics_are_created_described_grown_and_deleted() {
        let client = client().await;
        let name = topic_name("topics");
        let spec = NewTopic {
            name: name.clone(),
            partitions: Some(2),
            replication_factor: Some(1),
            configs: vec![("retention.ms".into(), "3600000".into())],
        };
        let checked = client.create_topic(&spec, true).await.unwrap();
        assert_eq!(checked.partitions, Some(2));
        assert!(
            client.topics(std::slice::from_ref(&name)).await.is_err(),
            "validate_only creates nothing"
        );
        let created = client.create_topic(&spec, false).await.unwrap();
        assert_eq!(created.replication_factor, Some(1));
        assert!(created.id.is_some());

        let err = client.create_topic(&spec, false).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert_eq!(err.code(), Some(KafkaCode(36)));
        assert!(
            err.to_string()
                .starts_with(&format!("topic `{name}`: TOPIC_ALREADY_EXISTS (36)"))
        );

        let info = client.topics(std::slice::from_ref(&name)).await.unwrap();
        assert_eq!(info[0].partitions.len(), 2);
        assert_eq!(info[0].id, created.id);
        assert_eq!(info[0].replication_factor(), 1);

        let err = client.create_partitions(&name, 1, false).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
        client.create_partitions(&name, 4, false).await.unwrap();
        // Kafka applies new partitions asynchronously: its metadata shows them a moment later.
        let mut grown = 0;
        for _ in 0..75 {
            grown = client.topics(std::slice::from_ref(&name)).await.unwrap()[0]
                .partitions
                .len();
            if grown == 4 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert_eq!(grown, 4);

        let deleted = client
            .delete_topics(&[name.clone(), topic_name("missing")])
            .await
            .unwrap();
        assert!(deleted[0].1.is_ok());
        let missing = deleted[1].1.as_ref().unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        assert!(matches!(
            missing,
            Error::Kafka {
                resource: Resource::Topic(_),
                ..
            }
        ));
    }

    #[tokio::test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    async fn an_unknown_topic_is_named() {
        let client = client().await;
        let name = topic_name("nosuch");
        let err = client
            .topics(std::slice::from_ref(&name))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            format!("topic `{name}`: UNKNOWN_TOPIC_OR_PARTITION (3)")
        );
        let err = client
            .list_offsets(&[(name.clone(), 0)], OffsetSpec::Latest)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[tokio::test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    async fn configs_are_read_and_changed_incrementally() {
        let client = client().await;
        let name = topic_name("configs");
        client
            .create_topic(
                &NewTopic {
                    name: name.clone(),
                    partitions: Some(1),
                    replication_factor: Some(1),
                    configs: vec![],
                },
                false,
            )
            .await
            .unwrap();
        let topic = ConfigResource::Topic(name.clone());
        client
            .alter_configs(
                &topic,
                &[AlterConfigOp::Set("retention.ms".into(), "7200000".into())],
                false,
            )
            .await
            .unwrap();
        let keys = ["retention.ms".to_string(), "cleanup.policy".to_string()];
        // Kafka applies config changes asynchronously: describe until the change shows, for up to 15 s.
        let mut entries = Vec::new();
        for _ in 0..75 {
            entries = client.describe_configs(&topic, Some(&keys)).await.unwrap();
            if entries
                .iter()
                .any(|e| e.name == "retention.ms" && e.value.as_deref() == Some("7200000"))
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let retention = entries.iter().find(|e| e.name == "retention.ms").unwrap();
        assert_eq!(retention.value.as_deref(), Some("7200000"));
        assert_eq!(retention.source, "DYNAMIC_TOPIC_CONFIG");
        let policy = entries.iter().find(|e| e.name == "cleanup.policy").unwrap();
        assert!(policy.is_default());

        client
            .alter_configs(
                &topic,
                &[AlterConfigOp::Delete("retention.ms".into())],
                false,
            )
            .await
            .unwrap();
        let mut entries = Vec::new();
        for _ in 0..75 {
            entries = client
                .describe_configs(&topic, Some(&keys[..1]))
                .await
                .unwrap();
            if entries[0].is_default() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert!(entries[0].is_default());

        let err = client
            .alter_configs(
                &topic,
                &[AlterConfigOp::Set("retention.ms".into(), "soon".into())],
                false,
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
        assert!(
            err.to_string()
                .contains(&format!("topic `{name}`: INVALID_CONFIG (40)"))
        );

        let cluster = client.describe_cluster().await.unwrap();
        let broker = ConfigResource::Broker(cluster.brokers[0].broker.id);
        let all = client.describe_configs(&broker, None).await.unwrap();
        assert!(all.iter().any(|e| e.name == "log.dirs"));
        client.delete_topics(&[name]).await.unwrap();
    }

    #[tokio::test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    async fn the_cluster_describes_itself() {
        let client = client().await;
        let info = client.describe_cluster().await.unwrap();
        assert!(info.cluster_id.as_deref().is_some_and(|c| c.len() == 22));
        assert!(
            info.brokers
                .iter()
                .any(|b| b.broker.id == info.controller_id)
        );
        assert_eq!(
            info.brokers
                .iter()
                .map(|b| b.broker.addr())
                .collect::<Vec<_>>(),
            [bootstrap()]
        );
    }

    #[tokio::test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    async fn offsets_groups_and_trims() {
        let client = client().await;
        let name = topic_name("groups");
        client
            .create_topic(
                &NewTopic {
                    name: name.clone(),
                    partitions: Some(2),
                    replication_factor: Some(1),
                    configs: vec![],
                },
                false,
            )
            .await
            .unwrap();
        let tps = [(name.clone(), 0), (name.clone(), 1)];
        let latest = client.list_offsets(&tps, OffsetSpec::Latest).await.unwrap();
        assert!(latest.values().all(|o| o.offset == 0));
        let by_time = client
            .list_offsets(&tps[..1], OffsetSpec::Timestamp(0))
            .await
            .unwrap();
        assert_eq!(
            by_time[&tps[0]].offset, -1,
            "no record at or after the epoch"
        );

        let group = format!("client-group-{}", uuid::Uuid::new_v4().simple());
        let err = client.describe_group(&group).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        let offsets: BTreeMap<_, _> = [(tps[0].clone(), 0), (tps[1].clone(), 0)].into();
        client.commit_offsets(&group, &offsets).await.unwrap();
        assert_eq!(client.committed_offsets(&group).await.unwrap(), offsets);
        let described = client.describe_group(&group).await.unwrap();
        assert_eq!(described.state, "Empty");
        assert!(described.members.is_empty());
        assert!(
            client
                .list_groups()
                .await
                .unwrap()
                .iter()
                .any(|g| g.group_id == group)
        );

        let trimmed = client
            .delete_records(&[(tps[0].clone(), 0)].into())
            .await
            .unwrap();
        assert_eq!(trimmed[&tps[0]], 0);
        let err = client
            .delete_records(&[(tps[0].clone(), 5)].into())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(KafkaCode(1)), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("topic `{name}` partition 0"))
        );

        let results = client.delete_groups(std::slice::from_ref(&group)).await;
        assert!(results[0].1.is_ok(), "{:?}", results[0].1);
        let err = client.describe_group(&group).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        client.delete_topics(&[name]).await.unwrap();
    }
}
