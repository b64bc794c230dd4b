//! Consumer groups over real sockets against the automqd binary: every advertised version of each group API, and
//! committed offsets and group generations that survive a crash (SIGKILL) on both WAL kinds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use automq_protocol::kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use automq_protocol::kafka_protocol::messages::leave_group_request::MemberIdentity;
use automq_protocol::kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use automq_protocol::kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use automq_protocol::kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use automq_protocol::kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use automq_protocol::kafka_protocol::messages::{
    ApiKey, DeleteGroupsRequest, DescribeGroupsRequest, DescribeGroupsResponse,
    FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse,
    LeaveGroupRequest, ListGroupsRequest, OffsetCommitRequest, OffsetDeleteRequest,
    OffsetFetchRequest, OffsetFetchResponse, RequestKind, ResponseKind, SyncGroupRequest,
    SyncGroupResponse, TopicName,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use automq_testkit::broker::BrokerProcess;
use automq_testkit::kafka::KafkaConn;
use bytes::Bytes;

const BIN: &str = env!("CARGO_BIN_EXE_automqd");

fn start(dir: &Path, wal: &str) -> BrokerProcess {
    BrokerProcess::start(
        Path::new(BIN),
        dir,
        &[
            "--set",
            "listeners=[127.0.0.1:0]",
            "--set",
            &format!("wal.kind={wal}"),
            "--set",
            "wal.interval_ms=2",
            "--set",
            "groups.initial_rebalance_delay_ms=0",
        ],
        1,
    )
}

/// Creates `name` with `partitions` partitions: commits name partitions of existing topics only.
async fn create_topic(conn: &mut KafkaConn, name: &str, partitions: i32) {
    use automq_protocol::kafka_protocol::messages::CreateTopicsRequest;
    use automq_protocol::kafka_protocol::messages::create_topics_request::CreatableTopic;
    let req = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(TopicName(s(name)))
            .with_num_partitions(partitions)
            .with_replication_factor(1),
    ]);
    let ResponseKind::CreateTopics(r) = conn
        .call(ApiKey::CreateTopics, 7, &RequestKind::CreateTopics(req))
        .await
        .unwrap()
    else {
        panic!("not a CreateTopics response")
    };
    assert_eq!(r.topics[0].error_code, 0, "creating {name}");
}

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

fn gid(v: &str) -> GroupId {
    GroupId(s(v))
}

async fn join(
    conn: &mut KafkaConn,
    version: i16,
    group: &str,
    member: &str,
    instance: Option<&str>,
) -> JoinGroupResponse {
    let req = JoinGroupRequest::default()
        .with_group_id(gid(group))
        .with_session_timeout_ms(10_000)
        .with_rebalance_timeout_ms(10_000)
        .with_member_id(s(member))
        .with_group_instance_id(instance.map(s))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![
            JoinGroupRequestProtocol::default()
                .with_name(s("range"))
                .with_metadata(Bytes::from_static(b"subscription")),
        ]);
    match conn
        .call(ApiKey::JoinGroup, version, &RequestKind::JoinGroup(req))
        .await
        .unwrap()
    {
        ResponseKind::JoinGroup(r) => r,
        other => panic!("not a JoinGroup response: {other:?}"),
    }
}

/// Joins as a new dynamic member (two rounds from v4 on) and returns the answer of the join that counted.
async fn join_new(conn: &mut KafkaConn, version: i16, group: &str) -> JoinGroupResponse {
    let first = join(conn, version, group, "", None).await;
    if version < 4 {
        return first;
    }
    assert_eq!(
        first.error_code, 79,
        "JoinGroup v{version}: MEMBER_ID_REQUIRED"
    );
    join(conn, version, group, &first.member_id, None).await
}

async fn sync(
    conn: &mut KafkaConn,
    version: i16,
    group: &str,
    member: &str,
    instance: Option<&str>,
    generation: i32,
    assignment: &'static [u8],
) -> SyncGroupResponse {
    let mut req = SyncGroupRequest::default()
        .with_group_id(gid(group))
        .with_member_id(s(member))
        .with_group_instance_id(instance.map(s))
        .with_generation_id(generation)
        .with_assignments(vec![
            SyncGroupRequestAssignment::default()
                .with_member_id(s(member))
                .with_assignment(Bytes::from_static(assignment)),
        ]);
    if version >= 5 {
        req = req
            .with_protocol_type(Some(s("consumer")))
            .with_protocol_name(Some(s("range")));
    }
    match conn
        .call(ApiKey::SyncGroup, version, &RequestKind::SyncGroup(req))
        .await
        .unwrap()
    {
        ResponseKind::SyncGroup(r) => r,
        other => panic!("not a SyncGroup response: {other:?}"),
    }
}

async fn commit(
    conn: &mut KafkaConn,
    version: i16,
    group: &str,
    member: &str,
    generation: i32,
    topic: &str,
    offsets: &[(i32, i64)],
) -> Vec<i16> {
    let req = OffsetCommitRequest::default()
        .with_group_id(gid(group))
        .with_member_id(s(member))
        .with_generation_id_or_member_epoch(generation)
        .with_retention_time_ms(-1)
        .with_topics(vec![
            OffsetCommitRequestTopic::default()
                .with_name(TopicName(s(topic)))
                .with_partitions(
                    offsets
                        .iter()
                        .map(|(p, o)| {
                            OffsetCommitRequestPartition::default()
                                .with_partition_index(*p)
                                .with_committed_offset(*o)
                                .with_committed_leader_epoch(-1)
                                .with_committed_metadata(Some(s("m")))
                        })
                        .collect(),
                ),
        ]);
    match conn
        .call(
            ApiKey::OffsetCommit,
            version,
            &RequestKind::OffsetCommit(req),
        )
        .await
        .unwrap()
    {
        ResponseKind::OffsetCommit(r) => r.topics[0]
            .partitions
            .iter()
            .map(|p| p.error_code)
            .collect(),
        other => panic!("not an OffsetCommit response: {other:?}"),
    }
}

async fn fetch_raw(
    conn: &mut KafkaConn,
    version: i16,
    req: OffsetFetchRequest,
) -> OffsetFetchResponse {
    match conn
        .call(ApiKey::OffsetFetch, version, &RequestKind::OffsetFetch(req))
        .await
        .unwrap()
    {
        ResponseKind::OffsetFetch(r) => r,
        other => panic!("not an OffsetFetch response: {other:?}"),
    }
}

/// Every committed offset of `group` (v8, all partitions): (topic, partition, offset), sorted.
async fn committed(conn: &mut KafkaConn, group: &str) -> Vec<(String, i32, i64)> {
    let req = OffsetFetchRequest::default().with_groups(vec![
        OffsetFetchRequestGroup::default()
            .with_group_id(gid(group))
            .with_topics(None),
    ]);
    let r = fetch_raw(conn, 8, req).await;
    assert_eq!(r.groups[0].error_code, 0);
    let mut out: Vec<(String, i32, i64)> = r.groups[0]
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| (t.name.to_string(), p.partition_index, p.committed_offset))
        })
        .collect();
    out.sort();
    out
}

async fn describe(conn: &mut KafkaConn, version: i16, groups: &[&str]) -> DescribeGroupsResponse {
    let req = DescribeGroupsRequest::default().with_groups(groups.iter().map(|g| gid(g)).collect());
    match conn
        .call(
            ApiKey::DescribeGroups,
            version,
            &RequestKind::DescribeGroups(req),
        )
        .await
        .unwrap()
    {
        ResponseKind::DescribeGroups(r) => r,
        other => panic!("not a DescribeGroups response: {other:?}"),
    }
}

/// Every version ApiVersions advertises for the group APIs is answered, decodes, and means the same.
#[tokio::test]
async fn every_advertised_group_version_is_answered_alike() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path(), "file");
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    let port = i32::from(broker.addrs[0].port());

    for v in 0..=6 {
        let req = if v >= 4 {
            FindCoordinatorRequest::default().with_coordinator_keys(vec![s("g")])
        } else {
            FindCoordinatorRequest::default().with_key(s("g"))
        };
        let ResponseKind::FindCoordinator(r) = conn
            .call(
                ApiKey::FindCoordinator,
                v,
                &RequestKind::FindCoordinator(req),
            )
            .await
            .unwrap()
        else {
            panic!("not a FindCoordinator response")
        };
        let (code, node, host, p) = match r.coordinators.first() {
            Some(c) => (c.error_code, c.node_id.0, c.host.to_string(), c.port),
            None => (r.error_code, r.node_id.0, r.host.to_string(), r.port),
        };
        assert_eq!(
            (code, node, host.as_str(), p),
            (0, 0, "127.0.0.1", port),
            "FindCoordinator v{v}"
        );
    }

    // One group per JoinGroup version, each joined, synced, heartbeaten (all at matching versions) and left.
    for v in 0..=9i16 {
        let group = format!("j{v}");
        let joined = join_new(&mut conn, v, &group).await;
        assert_eq!(
            (joined.error_code, joined.generation_id),
            (0, 1),
            "JoinGroup v{v}"
        );
        assert_eq!(joined.leader, joined.member_id, "JoinGroup v{v}");
        assert_eq!(
            joined.protocol_name.as_deref(),
            Some("range"),
            "JoinGroup v{v}"
        );
        assert_eq!(
            &joined.members[0].metadata[..],
            b"subscription",
            "JoinGroup v{v}"
        );
        let member = joined.member_id.to_string();
        let sv = v.min(5);
        let synced = sync(&mut conn, sv, &group, &member, None, 1, b"assigned").await;
        assert_eq!(
            (synced.error_code, &synced.assignment[..]),
            (0, &b"assigned"[..]),
            "SyncGroup v{sv}"
        );
        let hv = v.min(4);
        let req = HeartbeatRequest::default()
            .with_group_id(gid(&group))
            .with_member_id(s(&member))
            .with_generation_id(1);
        let ResponseKind::Heartbeat(r) = conn
            .call(ApiKey::Heartbeat, hv, &RequestKind::Heartbeat(req))
            .await
            .unwrap()
        else {
            panic!("not a Heartbeat response")
        };
        assert_eq!(r.error_code, 0, "Heartbeat v{hv}");
        let lv = v.min(5);
        let req = if lv >= 3 {
            LeaveGroupRequest::default()
                .with_group_id(gid(&group))
                .with_members(vec![MemberIdentity::default().with_member_id(s(&member))])
        } else {
            LeaveGroupRequest::default()
                .with_group_id(gid(&group))
                .with_member_id(s(&member))
        };
        let ResponseKind::LeaveGroup(r) = conn
            .call(ApiKey::LeaveGroup, lv, &RequestKind::LeaveGroup(req))
            .await
            .unwrap()
        else {
            panic!("not a LeaveGroup response")
        };
        assert_eq!(r.error_code, 0, "LeaveGroup v{lv}");
        assert!(
            r.members.iter().all(|m| m.error_code == 0),
            "LeaveGroup v{lv}"
        );
    }

    // A stable member commits at every OffsetCommit version, one partition each; every OffsetFetch version reads
    // them back.
    create_topic(&mut conn, "t", 10).await;
    let joined = join_new(&mut conn, 9, "c").await;
    let member = joined.member_id.to_string();
    assert_eq!(
        sync(&mut conn, 5, "c", &member, None, 1, b"")
            .await
            .error_code,
        0
    );
    for v in 2..=9 {
        assert_eq!(
            commit(
                &mut conn,
                v,
                "c",
                &member,
                1,
                "t",
                &[(i32::from(v), 100 + i64::from(v))]
            )
            .await,
            [0],
            "OffsetCommit v{v}"
        );
    }
    for v in 1..=9 {
        let r = if v >= 8 {
            let req = OffsetFetchRequest::default().with_groups(vec![
                OffsetFetchRequestGroup::default()
                    .with_group_id(gid("c"))
                    .with_topics(Some(vec![
                        OffsetFetchRequestTopics::default()
                            .with_name(TopicName(s("t")))
                            .with_partition_indexes((2..=9).collect()),
                    ])),
            ]);
            let r = fetch_raw(&mut conn, v, req).await;
            assert_eq!(r.groups[0].error_code, 0);
            r.groups[0].topics[0]
                .partitions
                .iter()
                .map(|p| (p.partition_index, p.committed_offset))
                .collect::<Vec<_>>()
        } else {
            let req = OffsetFetchRequest::default()
                .with_group_id(gid("c"))
                .with_topics(Some(vec![
                    OffsetFetchRequestTopic::default()
                        .with_name(TopicName(s("t")))
                        .with_partition_indexes((2..=9).collect()),
                ]));
            let r = fetch_raw(&mut conn, v, req).await;
            assert_eq!(r.error_code, 0);
            r.topics[0]
                .partitions
                .iter()
                .map(|p| (p.partition_index, p.committed_offset))
                .collect()
        };
        let want: Vec<(i32, i64)> = (2..=9).map(|p| (p, 100 + i64::from(p))).collect();
        assert_eq!(r, want, "OffsetFetch v{v}");
    }

    for v in 0..=5 {
        let ResponseKind::ListGroups(r) = conn
            .call(
                ApiKey::ListGroups,
                v,
                &RequestKind::ListGroups(ListGroupsRequest::default()),
            )
            .await
            .unwrap()
        else {
            panic!("not a ListGroups response")
        };
        assert_eq!(r.error_code, 0, "ListGroups v{v}");
        let mut ids: Vec<String> = r.groups.iter().map(|g| g.group_id.to_string()).collect();
        ids.sort();
        assert_eq!(
            ids,
            [
                "c", "j0", "j1", "j2", "j3", "j4", "j5", "j6", "j7", "j8", "j9"
            ],
            "ListGroups v{v}"
        );
        if v >= 4 {
            let c = r
                .groups
                .iter()
                .find(|g| g.group_id.as_str() == "c")
                .unwrap();
            assert_eq!(c.group_state.as_str(), "Stable", "ListGroups v{v}");
        }
    }
    for v in 0..=6 {
        let r = describe(&mut conn, v, &["c", "nope"]).await;
        let c = &r.groups[0];
        assert_eq!(
            (c.error_code, c.group_state.as_str()),
            (0, "Stable"),
            "DescribeGroups v{v}"
        );
        assert_eq!(c.members.len(), 1, "DescribeGroups v{v}");
        assert_eq!(
            c.members[0].member_id.as_str(),
            member,
            "DescribeGroups v{v}"
        );
        assert_eq!(
            c.members[0].client_id.as_str(),
            "automq-testkit",
            "DescribeGroups v{v}"
        );
        assert_eq!(
            c.members[0].client_host.as_str(),
            "/127.0.0.1",
            "DescribeGroups v{v}"
        );
        let nope = &r.groups[1];
        assert_eq!(nope.group_state.as_str(), "Dead", "DescribeGroups v{v}");
        assert_eq!(
            nope.error_code,
            if v >= 6 { 69 } else { 0 },
            "DescribeGroups v{v}"
        );
    }

    // The member leaves; its offsets of one partition are deleted; then groups are deleted at every version.
    let req = LeaveGroupRequest::default()
        .with_group_id(gid("c"))
        .with_members(vec![MemberIdentity::default().with_member_id(s(&member))]);
    conn.call(ApiKey::LeaveGroup, 5, &RequestKind::LeaveGroup(req))
        .await
        .unwrap();
    let req = OffsetDeleteRequest::default()
        .with_group_id(gid("c"))
        .with_topics(vec![
            OffsetDeleteRequestTopic::default()
                .with_name(TopicName(s("t")))
                .with_partitions(vec![
                    OffsetDeleteRequestPartition::default().with_partition_index(2),
                ]),
        ]);
    let ResponseKind::OffsetDelete(r) = conn
        .call(ApiKey::OffsetDelete, 0, &RequestKind::OffsetDelete(req))
        .await
        .unwrap()
    else {
        panic!("not an OffsetDelete response")
    };
    assert_eq!((r.error_code, r.topics[0].partitions[0].error_code), (0, 0));
    assert_eq!(committed(&mut conn, "c").await.len(), 7);
    for v in 0..=2 {
        let group = format!("j{v}");
        let req = DeleteGroupsRequest::default().with_groups_names(vec![gid(&group)]);
        let ResponseKind::DeleteGroups(r) = conn
            .call(ApiKey::DeleteGroups, v, &RequestKind::DeleteGroups(req))
            .await
            .unwrap()
        else {
            panic!("not a DeleteGroups response")
        };
        assert_eq!(r.results[0].error_code, 0, "DeleteGroups v{v}");
        assert_eq!(
            describe(&mut conn, 6, &[&group]).await.groups[0].error_code,
            69
        );
    }
}

/// Offsets are acknowledged only once durable: a crash right after the answer loses none. A static member's
/// generation and assignment come back too, and it rejoins without a rebalance. Enough offsets are committed for
/// the coordinator to snapshot its shard and trim what came before, and the next crash replays from the snapshot.
async fn offsets_survive_crashes(wal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = start(dir.path(), wal);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    create_topic(&mut conn, "t", 1).await;
    create_topic(&mut conn, "big", 1000).await;
    let joined = join(&mut conn, 9, "g", "", Some("static-1")).await;
    assert_eq!((joined.error_code, joined.generation_id), (0, 1), "{wal}");
    let member = joined.member_id.to_string();
    let synced = sync(&mut conn, 5, "g", &member, Some("static-1"), 1, b"A").await;
    assert_eq!(synced.error_code, 0, "{wal}");
    // 15 commits of 1000 partitions each: over 1 MiB of records, so the shard writes a snapshot.
    for round in 0..15i64 {
        let offsets: Vec<(i32, i64)> = (0..1000)
            .map(|p| (p, round * 1000 + i64::from(p)))
            .collect();
        let codes = commit(&mut conn, 8, "g", &member, 1, "big", &offsets).await;
        assert!(codes.iter().all(|c| *c == 0), "{wal} round {round}");
    }
    let (snapshot, seen) = broker.wait_for_log("trimmed to its snapshot", Duration::from_secs(30));
    assert!(
        snapshot,
        "{wal}: no snapshot and trim:\n{}",
        seen.join("\n")
    );
    assert_eq!(
        commit(&mut conn, 8, "tools", "", -1, "t", &[(0, 7)]).await,
        [0],
        "{wal}"
    );
    assert_eq!(
        commit(&mut conn, 8, "g", &member, 1, "t", &[(0, 42)]).await,
        [0],
        "{wal}"
    );
    assert!(!broker.signal_and_wait("KILL").success());

    let want_big: Vec<(String, i32, i64)> = (0..1000)
        .map(|p| ("big".to_string(), p, 14_000 + i64::from(p)))
        .collect();
    let check = |got: Vec<(String, i32, i64)>, t0: i64| {
        let mut want = want_big.clone();
        want.push(("t".to_string(), 0, t0));
        assert_eq!(got.len(), want.len(), "{wal}");
        assert!(got == want, "{wal}: offsets differ after the crash");
    };
    let mut broker = start(dir.path(), wal);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    check(committed(&mut conn, "g").await, 42);
    assert_eq!(
        committed(&mut conn, "tools").await,
        [("t".to_string(), 0, 7)],
        "{wal}"
    );
    let d = describe(&mut conn, 5, &["g"]).await;
    let g = &d.groups[0];
    assert_eq!(g.group_state.as_str(), "Stable", "{wal}");
    assert_eq!(g.members[0].member_id.as_str(), member, "{wal}");
    assert_eq!(
        g.members[0].group_instance_id.as_deref(),
        Some("static-1"),
        "{wal}"
    );
    assert_eq!(&g.members[0].member_assignment[..], b"A", "{wal}");

    // The static member restarts too: a new member id in the same generation, with its assignment.
    let rejoined = join(&mut conn, 9, "g", "", Some("static-1")).await;
    assert_eq!(
        (rejoined.error_code, rejoined.generation_id),
        (0, 1),
        "{wal}"
    );
    let member2 = rejoined.member_id.to_string();
    assert_ne!(member2, member);
    let synced = sync(&mut conn, 5, "g", &member2, Some("static-1"), 1, b"ignored").await;
    assert_eq!(
        (synced.error_code, &synced.assignment[..]),
        (0, &b"A"[..]),
        "{wal}"
    );
    assert_eq!(
        commit(&mut conn, 8, "g", &member2, 1, "t", &[(0, 43)]).await,
        [0],
        "{wal}"
    );
    assert!(!broker.signal_and_wait("KILL").success());

    let broker = start(dir.path(), wal);
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    check(committed(&mut conn, "g").await, 43);
    let d = describe(&mut conn, 5, &["g"]).await;
    assert_eq!(
        d.groups[0].members[0].member_id.as_str(),
        member2,
        "{wal}: the new id was made durable"
    );
    assert_eq!(
        commit(&mut conn, 8, "g", &member, 1, "t", &[(0, 1)]).await,
        [25],
        "{wal}: the old member id is gone (UNKNOWN_MEMBER_ID)"
    );
}

#[tokio::test]
async fn offsets_survive_crashes_with_the_file_wal() {
    offsets_survive_crashes("file").await;
}

#[tokio::test]
async fn offsets_survive_crashes_with_the_object_wal() {
    offsets_survive_crashes("object").await;
}
