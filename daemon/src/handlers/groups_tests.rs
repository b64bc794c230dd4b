//! The consumer-group handlers together, as clients drive them: the group state machine through JoinGroup,
//! SyncGroup, Heartbeat and LeaveGroup; offsets through OffsetCommit, OffsetFetch and OffsetDelete; the admin
//! APIs; and everything again after the broker reopens on the same storage. Time is tokio's paused clock, so
//! session and rebalance timeouts pass without waiting.

use std::sync::Arc;
use std::time::Duration;

use automq_protocol::kafka_protocol::error::ResponseError;
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
    DeleteGroupsRequest, DescribeGroupsRequest, GroupId, HeartbeatRequest, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, ListGroupsRequest, OffsetCommitRequest,
    OffsetDeleteRequest, OffsetFetchRequest, SyncGroupRequest, SyncGroupResponse, TopicName,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use bytes::{BufMut, Bytes, BytesMut};

use super::Client;
use super::{
    delete_groups, describe_groups, heartbeat, join_group, leave_group, list_groups, offset_commit,
    offset_delete, offset_fetch, sync_group,
};
use crate::broker::{Broker, testing};

const SESSION_MS: i32 = 10_000;
const REBALANCE_MS: i32 = 30_000;

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

fn gid(v: &str) -> GroupId {
    GroupId(s(v))
}

fn code(e: ResponseError) -> i16 {
    e.code()
}

/// A consumer's subscription as the Java client encodes it (version 0: the topics, no user data).
fn subscription(topics: &[&str]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_i16(0);
    b.put_i32(topics.len() as i32);
    for t in topics {
        b.put_i16(t.len() as i16);
        b.put_slice(t.as_bytes());
    }
    b.put_i32(-1);
    b.freeze()
}

fn join_request(
    group: &str,
    member: &str,
    instance: Option<&str>,
    metadata: Bytes,
) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(gid(group))
        .with_session_timeout_ms(SESSION_MS)
        .with_rebalance_timeout_ms(REBALANCE_MS)
        .with_member_id(s(member))
        .with_group_instance_id(instance.map(s))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![
            JoinGroupRequestProtocol::default()
                .with_name(s("range"))
                .with_metadata(metadata),
        ])
}

async fn join_v(b: &Broker, version: i16, req: &JoinGroupRequest) -> JoinGroupResponse {
    let client = Client {
        id: "consumer-1".into(),
        host: "/127.0.0.1".into(),
    };
    join_group::handle(b, &client, version, req).await
}

/// Starts a join in its own task (joins wait for the join phase to end).
fn spawn_join(
    b: &Arc<Broker>,
    group: &str,
    member: &str,
    instance: Option<&str>,
) -> tokio::task::JoinHandle<JoinGroupResponse> {
    let (b, req) = (
        b.clone(),
        join_request(group, member, instance, subscription(&["t"])),
    );
    tokio::spawn(async move { join_v(&b, 9, &req).await })
}

/// A dynamic member's first join at v9: handed an id with MEMBER_ID_REQUIRED.
async fn member_id(b: &Broker, group: &str) -> String {
    let r = join_v(b, 9, &join_request(group, "", None, subscription(&["t"]))).await;
    assert_eq!(r.error_code, code(ResponseError::MemberIdRequired));
    assert_eq!(r.generation_id, -1);
    assert!(!r.member_id.is_empty());
    r.member_id.to_string()
}

fn sync_request(
    group: &str,
    member: &str,
    instance: Option<&str>,
    generation: i32,
    assignments: &[(&str, &'static [u8])],
) -> SyncGroupRequest {
    SyncGroupRequest::default()
        .with_group_id(gid(group))
        .with_member_id(s(member))
        .with_group_instance_id(instance.map(s))
        .with_generation_id(generation)
        .with_protocol_type(Some(s("consumer")))
        .with_protocol_name(Some(s("range")))
        .with_assignments(
            assignments
                .iter()
                .map(|(m, a)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(s(m))
                        .with_assignment(Bytes::from_static(a))
                })
                .collect(),
        )
}

fn spawn_sync(
    b: &Arc<Broker>,
    req: SyncGroupRequest,
) -> tokio::task::JoinHandle<SyncGroupResponse> {
    let b = b.clone();
    tokio::spawn(async move { sync_group::handle(&b, 5, req).await })
}

async fn beat(
    b: &Broker,
    group: &str,
    member: &str,
    instance: Option<&str>,
    generation: i32,
) -> i16 {
    let req = HeartbeatRequest::default()
        .with_group_id(gid(group))
        .with_member_id(s(member))
        .with_group_instance_id(instance.map(s))
        .with_generation_id(generation);
    heartbeat::handle(b, &req).await.error_code
}

async fn describe(
    b: &Broker,
    version: i16,
    group: &str,
) -> describe_groups_response::DescribedGroup {
    let req = DescribeGroupsRequest::default().with_groups(vec![gid(group)]);
    describe_groups::handle(b, version, &req)
        .await
        .groups
        .remove(0)
}

use automq_protocol::kafka_protocol::messages::describe_groups_response;

/// A broker whose topics `t` (10 partitions) and `u` (4) exist: commits name only existing partitions.
async fn broker_on(store: Arc<dyn object_store::ObjectStore>) -> Arc<Broker> {
    let b = testing::broker_on(
        store,
        crate::topics::TopicDefaults {
            auto_create: true,
            partitions: 2,
        },
    )
    .await;
    for (t, n) in [("t", 10), ("u", 4)] {
        if b.topics.by_name(t).is_none() {
            b.topics
                .create(t, Some(n), Default::default(), false)
                .await
                .unwrap();
        }
    }
    Arc::new(b)
}

async fn broker() -> Arc<Broker> {
    broker_on(Arc::new(object_store::memory::InMemory::new())).await
}

/// Lets spawned requests reach the coordinator (they run on the same paused runtime).
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

fn commit_request(
    group: &str,
    member: &str,
    generation: i32,
    offsets: &[(&str, i32, i64)],
) -> OffsetCommitRequest {
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for (t, p, o) in offsets {
        let part = OffsetCommitRequestPartition::default()
            .with_partition_index(*p)
            .with_committed_offset(*o)
            .with_committed_leader_epoch(-1)
            .with_committed_metadata(Some(s("meta")));
        match topics.iter_mut().find(|x| x.name.as_str() == *t) {
            Some(x) => x.partitions.push(part),
            None => topics.push(
                OffsetCommitRequestTopic::default()
                    .with_name(TopicName(s(t)))
                    .with_partitions(vec![part]),
            ),
        }
    }
    OffsetCommitRequest::default()
        .with_group_id(gid(group))
        .with_member_id(s(member))
        .with_generation_id_or_member_epoch(generation)
        .with_retention_time_ms(-1)
        .with_topics(topics)
}

/// Every partition's error code of an OffsetCommit answer.
async fn commit(b: &Broker, version: i16, req: &OffsetCommitRequest) -> Vec<i16> {
    offset_commit::handle(b, version, req)
        .await
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
        .collect()
}

/// The committed offsets of `group` (v8, all partitions), as (topic, partition, offset).
async fn committed(b: &Broker, group: &str) -> Vec<(String, i32, i64)> {
    let req = OffsetFetchRequest::default().with_groups(vec![
        OffsetFetchRequestGroup::default()
            .with_group_id(gid(group))
            .with_topics(None),
    ]);
    let resp = offset_fetch::handle(b, 8, &req).await;
    assert_eq!(resp.groups[0].error_code, 0);
    let mut out: Vec<(String, i32, i64)> = resp.groups[0]
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

/// One member joins an empty group: it is handed an id, waits out the initial delay, leads generation 1 alone,
/// assigns, heartbeats, and leaves; every check a coordinator makes along the way answers as Kafka's does.
#[tokio::test(start_paused = true)]
async fn a_member_joins_syncs_heartbeats_and_leaves() {
    let b = broker().await;
    let id = member_id(&b, "g").await;
    let joined = spawn_join(&b, "g", &id, None).await.unwrap();
    assert_eq!(joined.error_code, 0);
    assert_eq!(joined.generation_id, 1);
    assert_eq!(joined.leader, joined.member_id);
    assert_eq!(joined.protocol_name.as_deref(), Some("range"));
    assert_eq!(joined.protocol_type.as_deref(), Some("consumer"));
    assert_eq!(joined.members.len(), 1);
    assert_eq!(joined.members[0].metadata, subscription(&["t"]));

    // Heartbeats before the assignment are fine; a wrong generation or member is not.
    assert_eq!(beat(&b, "g", &id, None, 1).await, 0);
    assert_eq!(
        beat(&b, "g", &id, None, 0).await,
        code(ResponseError::IllegalGeneration)
    );
    assert_eq!(
        beat(&b, "g", "nobody", None, 1).await,
        code(ResponseError::UnknownMemberId)
    );
    assert_eq!(
        beat(&b, "other", &id, None, 1).await,
        code(ResponseError::UnknownMemberId)
    );
    let wrong = sync_request("g", &id, None, 2, &[]);
    assert_eq!(
        sync_group::handle(&b, 5, wrong).await.error_code,
        code(ResponseError::IllegalGeneration)
    );
    let mut wrong = sync_request("g", &id, None, 1, &[]);
    wrong.protocol_name = Some(s("roundrobin"));
    assert_eq!(
        sync_group::handle(&b, 5, wrong).await.error_code,
        code(ResponseError::InconsistentGroupProtocol)
    );
    assert_eq!(
        describe(&b, 5, "g").await.group_state.as_str(),
        "CompletingRebalance"
    );

    let synced = spawn_sync(&b, sync_request("g", &id, None, 1, &[(&id, b"mine")]))
        .await
        .unwrap();
    assert_eq!(synced.error_code, 0);
    assert_eq!(&synced.assignment[..], b"mine");
    assert_eq!(synced.protocol_name.as_deref(), Some("range"));
    assert_eq!(beat(&b, "g", &id, None, 1).await, 0);

    let d = describe(&b, 5, "g").await;
    assert_eq!(d.group_state.as_str(), "Stable");
    assert_eq!(d.protocol_data.as_str(), "range");
    assert_eq!(d.members.len(), 1);
    assert_eq!(d.members[0].client_id.as_str(), "consumer-1");
    assert_eq!(d.members[0].client_host.as_str(), "/127.0.0.1");
    assert_eq!(&d.members[0].member_assignment[..], b"mine");

    // A member of another protocol type cannot join; a session timeout out of range is refused.
    let mut other = join_request("g", "", None, Bytes::new());
    other.protocol_type = s("connect");
    assert_eq!(
        join_v(&b, 9, &other).await.error_code,
        code(ResponseError::InconsistentGroupProtocol)
    );
    let mut short = join_request("g", "", None, Bytes::new());
    short.session_timeout_ms = 10;
    assert_eq!(
        join_v(&b, 9, &short).await.error_code,
        code(ResponseError::InvalidSessionTimeout)
    );
    assert_eq!(
        join_v(&b, 9, &join_request("g", "stranger", None, Bytes::new()))
            .await
            .error_code,
        code(ResponseError::UnknownMemberId)
    );

    // Leave (v0 names one member): the group is empty and the member unknown.
    let leave = LeaveGroupRequest::default()
        .with_group_id(gid("g"))
        .with_member_id(s(&id));
    assert_eq!(leave_group::handle(&b, 0, &leave).await.error_code, 0);
    assert_eq!(
        leave_group::handle(&b, 0, &leave).await.error_code,
        code(ResponseError::UnknownMemberId)
    );
    let d = describe(&b, 5, "g").await;
    assert_eq!(d.group_state.as_str(), "Empty");
    assert!(d.members.is_empty());
    assert_eq!(
        beat(&b, "g", &id, None, 2).await,
        code(ResponseError::UnknownMemberId)
    );
}

/// Two members: the second's join starts a rebalance, the first hears of it in its heartbeat and rejoins,
/// both get generation 2, the leader's assignment reaches both, and commits must carry the new generation.
#[tokio::test(start_paused = true)]
async fn a_second_member_rebalances_the_group() {
    let b = broker().await;
    let a = member_id(&b, "g").await;
    let first = spawn_join(&b, "g", &a, None).await.unwrap();
    assert_eq!(first.generation_id, 1);
    let synced = spawn_sync(&b, sync_request("g", &a, None, 1, &[(&a, b"all")]))
        .await
        .unwrap();
    assert_eq!(&synced.assignment[..], b"all");
    assert_eq!(
        commit(&b, 8, &commit_request("g", &a, 1, &[("t", 0, 5)])).await,
        [0]
    );

    let bm = member_id(&b, "g").await;
    let b_join = spawn_join(&b, "g", &bm, None);
    settle().await;
    assert_eq!(
        describe(&b, 5, "g").await.group_state.as_str(),
        "PreparingRebalance"
    );
    assert_eq!(
        beat(&b, "g", &a, None, 1).await,
        code(ResponseError::RebalanceInProgress)
    );
    // Commits of the old generation are still taken while the group rebalances.
    assert_eq!(
        commit(&b, 8, &commit_request("g", &a, 1, &[("t", 0, 6)])).await,
        [0]
    );
    let a_join = spawn_join(&b, "g", &a, None);
    let (a_join, b_join) = (a_join.await.unwrap(), b_join.await.unwrap());
    assert_eq!((a_join.error_code, b_join.error_code), (0, 0));
    assert_eq!((a_join.generation_id, b_join.generation_id), (2, 2));
    assert_eq!(a_join.leader.as_str(), a, "the leader stays");
    assert_eq!(b_join.leader.as_str(), a);
    assert_eq!(a_join.members.len(), 2, "the leader sees every member");
    assert!(b_join.members.is_empty());

    // The follower waits for the leader's assignment; commits are refused until the group is stable.
    let b_sync = spawn_sync(&b, sync_request("g", &bm, None, 2, &[]));
    settle().await;
    assert_eq!(
        commit(&b, 8, &commit_request("g", &a, 2, &[("t", 0, 7)])).await,
        [code(ResponseError::RebalanceInProgress)]
    );
    let a_sync = spawn_sync(
        &b,
        sync_request("g", &a, None, 2, &[(&a, b"p0"), (&bm, b"p1")]),
    );
    let (a_sync, b_sync) = (a_sync.await.unwrap(), b_sync.await.unwrap());
    assert_eq!(
        (&a_sync.assignment[..], &b_sync.assignment[..]),
        (&b"p0"[..], &b"p1"[..])
    );
    assert_eq!(beat(&b, "g", &bm, None, 2).await, 0);
    assert_eq!(
        commit(&b, 8, &commit_request("g", &a, 1, &[("t", 0, 8)])).await,
        [code(ResponseError::IllegalGeneration)]
    );
    assert_eq!(
        commit(&b, 8, &commit_request("g", "", -1, &[("t", 0, 8)])).await,
        [code(ResponseError::UnknownMemberId)],
        "a tool cannot commit into a group with members"
    );
    assert_eq!(
        commit(&b, 8, &commit_request("g", &bm, 2, &[("t", 1, 9)])).await,
        [0]
    );
    assert_eq!(
        committed(&b, "g").await,
        [("t".to_string(), 0, 6), ("t".to_string(), 1, 9)]
    );

    // v3+ leaves name members; an unknown one is answered on its own.
    let leave = LeaveGroupRequest::default()
        .with_group_id(gid("g"))
        .with_members(vec![
            MemberIdentity::default().with_member_id(s(&bm)),
            MemberIdentity::default().with_member_id(s("nobody")),
        ]);
    let r = leave_group::handle(&b, 5, &leave).await;
    assert_eq!(r.error_code, 0);
    assert_eq!(
        r.members.iter().map(|m| m.error_code).collect::<Vec<_>>(),
        [0, code(ResponseError::UnknownMemberId)]
    );
    assert_eq!(
        beat(&b, "g", &a, None, 2).await,
        code(ResponseError::RebalanceInProgress)
    );
    let again = spawn_join(&b, "g", &a, None).await.unwrap();
    assert_eq!((again.generation_id, again.members.len()), (3, 1));
}

/// Static members: one restarts (joins without its member id) and gets a new id and its old assignment with
/// no rebalance; the old id is fenced; a duplicate with the wrong id is fenced; removal by instance id works.
#[tokio::test(start_paused = true)]
async fn a_static_member_rejoins_without_a_rebalance() {
    let b = broker().await;
    // Static members need no MEMBER_ID_REQUIRED round.
    let ja = spawn_join(&b, "g", "", Some("ia"));
    let jb = spawn_join(&b, "g", "", Some("ib"));
    let (ja, jb) = (ja.await.unwrap(), jb.await.unwrap());
    assert_eq!((ja.error_code, jb.error_code), (0, 0));
    assert_eq!((ja.generation_id, jb.generation_id), (1, 1));
    let (a, bm) = (ja.member_id.to_string(), jb.member_id.to_string());
    assert!(a.starts_with("ia-") && bm.starts_with("ib-"));
    let leader = ja.leader.to_string();
    let follower = if leader == a { &bm } else { &a };
    let f_sync = spawn_sync(&b, sync_request("g", follower, None, 1, &[]));
    settle().await;
    let l_sync = spawn_sync(
        &b,
        sync_request("g", &leader, None, 1, &[(&a, b"A"), (&bm, b"B")]),
    );
    assert_eq!(l_sync.await.unwrap().error_code, 0);
    assert_eq!(f_sync.await.unwrap().error_code, 0);
    assert_eq!(beat(&b, "g", &a, Some("ia"), 1).await, 0);

    // `ia` restarts: a join without member id, answered at once with a new id in the same generation.
    let rejoin = join_v(
        &b,
        9,
        &join_request("g", "", Some("ia"), subscription(&["t"])),
    )
    .await;
    assert_eq!(rejoin.error_code, 0);
    assert_eq!(rejoin.generation_id, 1, "no rebalance");
    let a2 = rejoin.member_id.to_string();
    assert_ne!(a2, a);
    if leader == a {
        assert_eq!(rejoin.leader.as_str(), a2, "it still leads");
        assert!(rejoin.skip_assignment, "and need not assign");
        assert_eq!(rejoin.members.len(), 2);
    } else {
        assert_eq!(rejoin.leader.as_str(), leader);
        assert!(!rejoin.skip_assignment);
    }
    assert_eq!(describe(&b, 5, "g").await.group_state.as_str(), "Stable");
    assert_eq!(
        beat(&b, "g", &bm, Some("ib"), 1).await,
        0,
        "the other member saw nothing"
    );
    let synced = sync_group::handle(&b, 5, sync_request("g", &a2, Some("ia"), 1, &[])).await;
    assert_eq!((synced.error_code, &synced.assignment[..]), (0, &b"A"[..]));

    // The old incarnation is fenced, whatever it sends.
    assert_eq!(
        beat(&b, "g", &a, Some("ia"), 1).await,
        code(ResponseError::FencedInstanceId)
    );
    assert_eq!(
        commit(
            &b,
            8,
            &commit_request("g", &a, 1, &[("t", 0, 1)]).with_group_instance_id(Some(s("ia")))
        )
        .await,
        [code(ResponseError::FencedInstanceId)]
    );
    assert_eq!(
        join_v(
            &b,
            9,
            &join_request("g", &a, Some("ia"), subscription(&["t"]))
        )
        .await
        .error_code,
        code(ResponseError::FencedInstanceId)
    );
    // An old client (v5) restarting gets its new id but never believes it leads in a stable group.
    let old = join_v(
        &b,
        5,
        &join_request("g", "", Some("ib"), subscription(&["t"])),
    )
    .await;
    assert_eq!((old.error_code, old.generation_id), (0, 1));
    assert_ne!(old.leader, old.member_id);
    assert!(old.members.is_empty());
    let b2 = old.member_id.to_string();

    // Tools remove static members by instance id alone; a wrong member id for an instance is fenced.
    let leave = LeaveGroupRequest::default()
        .with_group_id(gid("g"))
        .with_members(vec![
            MemberIdentity::default()
                .with_member_id(s("wrong"))
                .with_group_instance_id(Some(s("ia"))),
            MemberIdentity::default().with_group_instance_id(Some(s("ib"))),
        ]);
    let r = leave_group::handle(&b, 4, &leave).await;
    assert_eq!(
        r.members.iter().map(|m| m.error_code).collect::<Vec<_>>(),
        [code(ResponseError::FencedInstanceId), 0]
    );
    assert_eq!(
        beat(&b, "g", &b2, Some("ib"), 1).await,
        code(ResponseError::UnknownMemberId)
    );
    assert_eq!(
        beat(&b, "g", &a2, Some("ia"), 1).await,
        code(ResponseError::RebalanceInProgress)
    );
}

/// A member that stops heartbeating is removed once its session times out, and the others rebalance without it;
/// a member that does not rejoin within the rebalance timeout is removed too.
#[tokio::test(start_paused = true)]
async fn silent_members_are_removed_by_session_and_rebalance_timeouts() {
    let b = broker().await;
    let a = member_id(&b, "g").await;
    let bm = member_id(&b, "g").await;
    let ja = spawn_join(&b, "g", &a, None);
    let jb = spawn_join(&b, "g", &bm, None);
    let (ja, jb) = (ja.await.unwrap(), jb.await.unwrap());
    assert_eq!((ja.generation_id, jb.generation_id), (1, 1));
    let leader = ja.leader.to_string();
    let (l, f) = if leader == a { (&a, &bm) } else { (&bm, &a) };
    let fs = spawn_sync(&b, sync_request("g", f, None, 1, &[]));
    settle().await;
    spawn_sync(&b, sync_request("g", l, None, 1, &[]))
        .await
        .unwrap();
    fs.await.unwrap();

    // Only the leader heartbeats, every 3 s; the follower's 10 s session runs out.
    let mut answers = Vec::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        answers.push(beat(&b, "g", l, None, 1).await);
    }
    assert_eq!(answers[..3], [0, 0, 0]);
    assert_eq!(
        answers[4],
        code(ResponseError::RebalanceInProgress),
        "{answers:?}"
    );
    let rejoined = spawn_join(&b, "g", l, None).await.unwrap();
    assert_eq!((rejoined.generation_id, rejoined.members.len()), (2, 1));
    assert_eq!(
        beat(&b, "g", f, None, 1).await,
        code(ResponseError::UnknownMemberId)
    );

    // A new member joins; the old one keeps heartbeating but never rejoins: after the rebalance timeout the
    // join phase ends without it.
    spawn_sync(&b, sync_request("g", l, None, 2, &[]))
        .await
        .unwrap();
    let c = member_id(&b, "g").await;
    let jc = spawn_join(&b, "g", &c, None);
    settle().await;
    let mut beats = Vec::new();
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        beats.push(beat(&b, "g", l, None, 2).await);
    }
    let jc = jc.await.unwrap();
    assert_eq!(jc.generation_id, 3);
    assert_eq!(jc.leader, jc.member_id, "the only member left leads");
    assert_eq!(jc.members.len(), 1);
    assert_eq!(beats[0], code(ResponseError::RebalanceInProgress));
    assert_eq!(
        beats.last().copied(),
        Some(code(ResponseError::UnknownMemberId)),
        "{beats:?}"
    );
}

/// A member id handed out with MEMBER_ID_REQUIRED holds a join phase open only until its session timeout: the
/// rebalance then completes without it, and the id is unknown from then on.
#[tokio::test(start_paused = true)]
async fn a_member_id_never_used_expires() {
    let b = broker().await;
    let a = member_id(&b, "g").await;
    let first = spawn_join(&b, "g", &a, None).await.unwrap();
    spawn_sync(&b, sync_request("g", &a, None, first.generation_id, &[]))
        .await
        .unwrap();
    let never = member_id(&b, "g").await;
    // The leader rejoins (a rebalance); the handed-out id keeps the phase open until it expires at 10 s, well
    // before the 30 s rebalance timeout.
    let again = spawn_join(&b, "g", &a, None);
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert!(
        !again.is_finished(),
        "the phase waits for the handed-out id"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(again.is_finished(), "and ends when it expires");
    let again = again.await.unwrap();
    assert_eq!((again.generation_id, again.members.len()), (2, 1));
    let late = join_v(
        &b,
        9,
        &join_request("g", &never, None, subscription(&["t"])),
    )
    .await;
    assert_eq!(late.error_code, code(ResponseError::UnknownMemberId));
}

/// Offsets: tools commit into an empty group with generation -1 (creating it), every OffsetFetch form reads
/// them back, OffsetDelete refuses subscribed topics, and the admin APIs list, describe and delete groups.
#[tokio::test(start_paused = true)]
async fn offsets_and_group_administration() {
    let b = broker().await;
    assert_eq!(
        commit(
            &b,
            8,
            &commit_request("tools", "", -1, &[("t", 0, 10), ("t", 1, 11), ("u", 0, 3)])
        )
        .await,
        [0, 0, 0]
    );
    assert_eq!(
        commit(&b, 8, &commit_request("nobody", "m", 4, &[("t", 0, 1)])).await,
        [code(ResponseError::IllegalGeneration)]
    );
    assert_eq!(
        commit(&b, 9, &commit_request("nobody", "m", 4, &[("t", 0, 1)])).await,
        [code(ResponseError::GroupIdNotFound)]
    );
    assert_eq!(
        commit(
            &b,
            8,
            &commit_request(
                "tools",
                "",
                -1,
                &[("t", 10, 1), ("nope", 0, 1), ("u", 1, 4)]
            )
        )
        .await,
        [
            code(ResponseError::UnknownTopicOrPartition),
            code(ResponseError::UnknownTopicOrPartition),
            0
        ],
        "only partitions of existing topics"
    );
    let mut big = commit_request("tools", "", -1, &[("t", 2, 1)]);
    big.topics[0].partitions[0].committed_metadata = Some(s(&"x".repeat(5000)));
    assert_eq!(
        commit(&b, 8, &big).await,
        [code(ResponseError::OffsetMetadataTooLarge)]
    );
    assert_eq!(
        committed(&b, "tools").await,
        [
            ("t".to_string(), 0, 10),
            ("t".to_string(), 1, 11),
            ("u".to_string(), 0, 3),
            ("u".to_string(), 1, 4)
        ]
    );

    // v1–v7: one group; partitions never committed say -1.
    let req = OffsetFetchRequest::default()
        .with_group_id(gid("tools"))
        .with_topics(Some(vec![
            OffsetFetchRequestTopic::default()
                .with_name(TopicName(s("t")))
                .with_partition_indexes(vec![1, 5]),
        ]));
    for v in [1, 7] {
        let r = offset_fetch::handle(&b, v, &req).await;
        assert_eq!(r.error_code, 0);
        let ps = &r.topics[0].partitions;
        assert_eq!((ps[0].committed_offset, ps[1].committed_offset), (11, -1));
        assert_eq!(ps[0].metadata.as_deref(), Some("meta"));
    }
    // v8+: several groups in one request, each on its own.
    let req = OffsetFetchRequest::default().with_groups(vec![
        OffsetFetchRequestGroup::default()
            .with_group_id(gid("tools"))
            .with_topics(Some(vec![
                OffsetFetchRequestTopics::default()
                    .with_name(TopicName(s("u")))
                    .with_partition_indexes(vec![0]),
            ])),
        OffsetFetchRequestGroup::default()
            .with_group_id(gid("unknown"))
            .with_topics(None),
    ]);
    let r = offset_fetch::handle(&b, 9, &req).await;
    assert_eq!(r.groups[0].topics[0].partitions[0].committed_offset, 3);
    assert!(r.groups[1].topics.is_empty());

    // A consumer group subscribed to `t` keeps its offsets of `t`, not of `u`.
    let m = member_id(&b, "live").await;
    let j = spawn_join(&b, "live", &m, None).await.unwrap();
    spawn_sync(&b, sync_request("live", &m, None, j.generation_id, &[]))
        .await
        .unwrap();
    assert_eq!(
        commit(
            &b,
            8,
            &commit_request("live", &m, j.generation_id, &[("t", 0, 1), ("u", 0, 2)])
        )
        .await,
        [0, 0]
    );
    let del = OffsetDeleteRequest::default()
        .with_group_id(gid("live"))
        .with_topics(
            ["t", "u"]
                .iter()
                .map(|t| {
                    OffsetDeleteRequestTopic::default()
                        .with_name(TopicName(s(t)))
                        .with_partitions(vec![OffsetDeleteRequestPartition::default()])
                })
                .collect(),
        );
    let r = offset_delete::handle(&b, &del).await;
    assert_eq!(r.error_code, 0);
    assert_eq!(
        r.topics
            .iter()
            .map(|t| t.partitions[0].error_code)
            .collect::<Vec<_>>(),
        [code(ResponseError::GroupSubscribedToTopic), 0]
    );
    assert_eq!(committed(&b, "live").await, [("t".to_string(), 0, 1)]);
    let r = offset_delete::handle(&b, &del.clone().with_group_id(gid("ghost"))).await;
    assert_eq!(r.error_code, code(ResponseError::GroupIdNotFound));

    // ListGroups, with and without a state filter; DescribeGroups of a group that does not exist.
    let all = list_groups::handle(&b, 5, &ListGroupsRequest::default()).await;
    let mut listed: Vec<(String, String, String)> = all
        .groups
        .iter()
        .map(|g| {
            (
                g.group_id.to_string(),
                g.group_state.to_string(),
                g.group_type.to_string(),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("live".into(), "Stable".into(), "classic".into()),
            ("tools".into(), "Empty".into(), "classic".into())
        ]
    );
    let stable = list_groups::handle(
        &b,
        4,
        &ListGroupsRequest::default().with_states_filter(vec![s("stable")]),
    )
    .await;
    assert_eq!(stable.groups.len(), 1);
    assert_eq!(stable.groups[0].group_id.as_str(), "live");
    assert_eq!(stable.groups[0].protocol_type.as_str(), "consumer");
    let ghost = describe(&b, 5, "ghost").await;
    assert_eq!((ghost.error_code, ghost.group_state.as_str()), (0, "Dead"));
    assert_eq!(
        describe(&b, 6, "ghost").await.error_code,
        code(ResponseError::GroupIdNotFound)
    );

    // DeleteGroups: not while members are in; an empty group goes with its offsets.
    let del = DeleteGroupsRequest::default().with_groups_names(vec![
        gid("live"),
        gid("tools"),
        gid("ghost"),
    ]);
    let r = delete_groups::handle(&b, &del).await;
    assert_eq!(
        r.results.iter().map(|g| g.error_code).collect::<Vec<_>>(),
        [
            code(ResponseError::NonEmptyGroup),
            0,
            code(ResponseError::GroupIdNotFound)
        ]
    );
    assert!(committed(&b, "tools").await.is_empty());
    assert_eq!(describe(&b, 5, "tools").await.group_state.as_str(), "Dead");
}

/// Committed offsets and the stable generation survive the broker reopening on the same storage (its WAL
/// replayed), also after enough commits for a snapshot and a trim of the shard's stream.
#[tokio::test(start_paused = true)]
async fn offsets_and_generations_survive_a_reopen_and_snapshots() {
    let store: Arc<dyn object_store::ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let b = broker_on(store.clone()).await;
    let joined = spawn_join(&b, "g", "", Some("i")).await.unwrap();
    let m = joined.member_id.to_string();
    let synced = spawn_sync(
        &b,
        sync_request("g", &m, Some("i"), 1, &[(&m, b"assigned")]),
    )
    .await
    .unwrap();
    assert_eq!(synced.error_code, 0);
    // Enough commits (each a record of about 150 bytes) for several snapshots at the test threshold of 4 KiB.
    for i in 0..100 {
        let r = commit(
            &b,
            8,
            &commit_request("g", &m, 1, &[("t", 0, i), ("t", 1, 2 * i)]),
        )
        .await;
        assert_eq!(r, [0, 0]);
    }
    assert_eq!(
        commit(&b, 8, &commit_request("simple", "", -1, &[("u", 3, 33)])).await,
        [0]
    );
    let shard = b.groups.shard_of("g");
    let name = crate::groups::shard::stream_name(shard);
    let mut trimmed = false;
    for _ in 0..200 {
        let start = b
            .groups
            .engine()
            .meta()
            .read(|s| {
                s.stream_id(&name)
                    .and_then(|id| s.stream(id))
                    .map(|m| m.start)
            })
            .await;
        if start.is_some_and(|s| s > 0) {
            trimmed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(trimmed, "the shard's stream was trimmed to a snapshot");
    drop(b);

    let b = broker_on(store).await;
    assert_eq!(
        committed(&b, "g").await,
        [("t".to_string(), 0, 99), ("t".to_string(), 1, 198)]
    );
    assert_eq!(committed(&b, "simple").await, [("u".to_string(), 3, 33)]);
    let d = describe(&b, 5, "g").await;
    assert_eq!(d.group_state.as_str(), "Stable");
    assert_eq!(d.members[0].member_id.as_str(), m);
    assert_eq!(&d.members[0].member_assignment[..], b"assigned");
    // The static member comes back after the restart: same generation, its assignment, no rebalance.
    let rejoin = join_v(
        &b,
        9,
        &join_request("g", "", Some("i"), subscription(&["t"])),
    )
    .await;
    assert_eq!((rejoin.error_code, rejoin.generation_id), (0, 1));
    let m2 = rejoin.member_id.to_string();
    let synced = sync_group::handle(&b, 5, sync_request("g", &m2, Some("i"), 1, &[])).await;
    assert_eq!(&synced.assignment[..], b"assigned");
}
