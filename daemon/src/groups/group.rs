//! One classic consumer group: Kafka's group state machine, without I/O.
//!
//! States: `Empty` (no members), `PreparingRebalance` (members are (re)joining), `CompletingRebalance` (the
//! generation is chosen, the leader's assignment is awaited), `Stable`, and `Dead` (deleted). Every method takes
//! the current time; deadlines (sessions, the join phase, the sync phase, members handed an id but not yet
//! joined) are kept here and acted on by [`Group::tick`]. Requests that must wait (a join until the join phase
//! ends, a sync until the leader's assignment is durable) get a channel that is answered later.
//!
//! What must be durable (a new generation's assignment, a static member's new id, an emptied group) is asked
//! for through [`Group::take_writes`]; the caller writes the group's [`StoredGroup`] and calls back
//! ([`Group::stabilize`]) once it is durable.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use automq_protocol::kafka_protocol::error::ResponseError;
use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::info;

use super::GroupConfig;
use super::records::{StoredGroup, StoredMember};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl State {
    /// The name Kafka reports (DescribeGroups, ListGroups).
    pub fn name(self) -> &'static str {
        match self {
            State::Empty => "Empty",
            State::PreparingRebalance => "PreparingRebalance",
            State::CompletingRebalance => "CompletingRebalance",
            State::Stable => "Stable",
            State::Dead => "Dead",
        }
    }
}

/// A member as a JoinGroup answer lists it to the leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    pub id: String,
    pub instance_id: Option<String>,
    pub metadata: Bytes,
}

/// The answer to a JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinReply {
    pub error: Option<ResponseError>,
    pub generation: i32,
    pub protocol_type: Option<String>,
    pub protocol: Option<String>,
    pub leader: String,
    pub skip_assignment: bool,
    pub member_id: String,
    pub members: Vec<JoinedMember>,
}

impl JoinReply {
    pub fn error(error: ResponseError, member_id: &str) -> Self {
        Self {
            error: Some(error),
            generation: -1,
            protocol_type: None,
            protocol: None,
            leader: String::new(),
            skip_assignment: false,
            member_id: member_id.to_string(),
            members: Vec::new(),
        }
    }
}

/// The answer to a SyncGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReply {
    pub error: Option<ResponseError>,
    pub protocol_type: Option<String>,
    pub protocol: Option<String>,
    pub assignment: Bytes,
}

impl SyncReply {
    pub fn error(error: ResponseError) -> Self {
        Self {
            error: Some(error),
            protocol_type: None,
            protocol: None,
            assignment: Bytes::new(),
        }
    }
}

/// A request answered now, or later through the channel.
#[derive(Debug)]
pub enum Answer<T> {
    Now(T),
    Later(oneshot::Receiver<T>),
}

/// What a JoinGroup carries.
#[derive(Debug, Clone)]
pub struct JoinArgs {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    /// v4+: a dynamic member without an id is handed one and must join again with it (MEMBER_ID_REQUIRED).
    pub require_known_member_id: bool,
    /// v9+ understands `skip_assignment`.
    pub version: i16,
    pub reason: Option<String>,
}

/// What the group needs written before something can go on.
#[derive(Debug)]
pub enum After {
    Nothing,
    /// The leader's assignment of this generation is durable: the group becomes stable.
    Stabilize {
        generation: i32,
    },
    /// A static member's new id is durable: answer its join.
    AnswerJoin {
        to: oneshot::Sender<JoinReply>,
        reply: JoinReply,
    },
}

#[derive(Debug)]
struct Member {
    id: String,
    instance_id: Option<String>,
    client_id: String,
    client_host: String,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    protocols: Vec<(String, Bytes)>,
    assignment: Bytes,
    join_waiter: Option<oneshot::Sender<JoinReply>>,
    sync_waiter: Option<oneshot::Sender<SyncReply>>,
    /// The session ends here unless a heartbeat (or any request of the member) comes first.
    deadline: Instant,
    /// Join order: the first member to join leads when the leader is gone.
    seq: u64,
}

impl Member {
    fn metadata(&self, protocol: Option<&str>) -> Bytes {
        protocol
            .and_then(|p| self.protocols.iter().find(|(n, _)| n == p))
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    /// A member waiting for an answer is alive: its session is not counted down meanwhile.
    fn waiting(&self) -> bool {
        self.join_waiter.is_some() || self.sync_waiter.is_some()
    }
}

/// One group. See the module docs.
#[derive(Debug)]
pub struct Group {
    pub id: String,
    pub state: State,
    pub protocol_type: Option<String>,
    pub protocol: Option<String>,
    pub generation: i32,
    leader: Option<String>,
    members: BTreeMap<String, Member>,
    /// Static members: instance id to member id.
    instances: HashMap<String, String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, until they join or their session timeout passes.
    pending: HashMap<String, Instant>,
    /// Members of this generation that have not sent SyncGroup yet.
    pending_sync: HashSet<String>,
    join_deadline: Option<Instant>,
    /// While the first members of an empty group gather: (when it began, the longest it may last).
    initial_join: Option<(Instant, Duration)>,
    sync_deadline: Option<Instant>,
    /// The generation whose assignment is being written, if any.
    storing: Option<i32>,
    writes: Vec<After>,
    next_seq: u64,
    /// When the coordinator first saw the group idle (see `Shard::tick`).
    pub idle_mark: Option<Instant>,
}

/// A member as DescribeGroups shows it.
#[derive(Debug, Clone)]
pub struct MemberSummary {
    pub id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub metadata: Bytes,
    pub assignment: Bytes,
}

impl Group {
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_string(),
            state: State::Empty,
            protocol_type: None,
            protocol: None,
            generation: 0,
            leader: None,
            members: BTreeMap::new(),
            instances: HashMap::new(),
            pending: HashMap::new(),
            pending_sync: HashSet::new(),
            join_deadline: None,
            initial_join: None,
            sync_deadline: None,
            storing: None,
            writes: Vec::new(),
            next_seq: 0,
            idle_mark: None,
        }
    }

    /// The group as a restarted coordinator finds it: stable with its last persisted generation, each member's
    /// session starting now, or empty.
    pub fn from_stored(id: &str, stored: Option<&StoredGroup>, now: Instant) -> Self {
        let mut g = Self::new(id);
        let Some(s) = stored else {
            return g;
        };
        g.protocol_type = s.protocol_type.clone();
        g.generation = s.generation;
        if s.members.is_empty() || s.protocol.is_none() {
            return g;
        }
        g.protocol = s.protocol.clone();
        g.leader = s.leader.clone();
        for m in &s.members {
            let session = Duration::from_millis(u64::try_from(m.session_timeout_ms).unwrap_or(0));
            let member = Member {
                id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                session_timeout: session,
                rebalance_timeout: Duration::from_millis(
                    u64::try_from(m.rebalance_timeout_ms).unwrap_or(0),
                ),
                protocols: vec![(
                    s.protocol.clone().unwrap_or_default(),
                    m.subscription.clone(),
                )],
                assignment: m.assignment.clone(),
                join_waiter: None,
                sync_waiter: None,
                deadline: now + session,
                seq: g.next_seq,
            };
            g.next_seq += 1;
            if let Some(i) = &m.instance_id {
                g.instances.insert(i.clone(), m.id.clone());
            }
            g.members.insert(m.id.clone(), member);
        }
        if g.leader.as_ref().is_none_or(|l| !g.members.contains_key(l)) {
            g.leader = g.members.keys().next().cloned();
        }
        g.state = State::Stable;
        g
    }

    /// What is persisted of the current generation.
    pub fn stored(&self) -> StoredGroup {
        let ms = |d: Duration| i32::try_from(d.as_millis()).unwrap_or(i32::MAX);
        StoredGroup {
            protocol_type: self.protocol_type.clone(),
            generation: self.generation,
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            members: self
                .members
                .values()
                .map(|m| StoredMember {
                    id: m.id.clone(),
                    instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    session_timeout_ms: ms(m.session_timeout),
                    rebalance_timeout_ms: ms(m.rebalance_timeout),
                    subscription: m.metadata(self.protocol.as_deref()),
                    assignment: m.assignment.clone(),
                })
                .collect(),
        }
    }

    pub fn has_members(&self) -> bool {
        !self.members.is_empty()
    }

    /// Nothing lives in the group: no members, none about to join.
    pub fn is_idle(&self) -> bool {
        self.state == State::Empty && self.members.is_empty() && self.pending.is_empty()
    }

    pub fn take_writes(&mut self) -> Vec<After> {
        std::mem::take(&mut self.writes)
    }

    fn is_leader(&self, member: &str) -> bool {
        self.leader.as_deref() == Some(member)
    }

    fn rebalance_timeout(&self) -> Duration {
        self.members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or_default()
    }

    /// Whether a member of this type and these protocols may join: a protocol type and protocols are required,
    /// and with members present, the same type and a protocol every member supports.
    fn supports(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if protocol_type.is_empty() || protocols.is_empty() {
            return false;
        }
        if self.members.is_empty() {
            return true;
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols.iter().any(|(name, _)| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == name))
            })
    }

    /// The protocol every member supports that most members prefer (ties go to the earliest member's order).
    fn select_protocol(&self) -> Option<String> {
        let mut members: Vec<&Member> = self.members.values().collect();
        members.sort_by_key(|m| m.seq);
        let candidates: Vec<&String> = members
            .first()?
            .protocols
            .iter()
            .map(|(n, _)| n)
            .filter(|n| {
                members
                    .iter()
                    .all(|m| m.protocols.iter().any(|(p, _)| p == *n))
            })
            .collect();
        let mut votes: Vec<(usize, &String)> = candidates.iter().map(|c| (0, *c)).collect();
        for m in &members {
            if let Some((n, _)) = m.protocols.iter().find(|(n, _)| candidates.contains(&n))
                && let Some(v) = votes.iter_mut().find(|(_, c)| *c == n)
            {
                v.0 += 1;
            }
        }
        let best = votes.iter().map(|(v, _)| *v).max()?;
        votes
            .into_iter()
            .find(|(v, _)| *v == best)
            .map(|(_, c)| c.clone())
    }

    /// A member's identity as a request states it: the static instance id decides when given.
    fn validate_member(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), ResponseError> {
        match instance_id {
            Some(instance) => match self.instances.get(instance) {
                None => Err(ResponseError::UnknownMemberId),
                Some(id) if id != member_id => Err(ResponseError::FencedInstanceId),
                Some(_) => Ok(()),
            },
            None if self.members.contains_key(member_id) => Ok(()),
            None => Err(ResponseError::UnknownMemberId),
        }
    }

    fn join_reply(&self, member_id: &str, with_members: bool) -> JoinReply {
        JoinReply {
            error: None,
            generation: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol: self.protocol.clone(),
            leader: self.leader.clone().unwrap_or_default(),
            skip_assignment: false,
            member_id: member_id.to_string(),
            members: if with_members {
                self.joined_members()
            } else {
                Vec::new()
            },
        }
    }

    fn joined_members(&self) -> Vec<JoinedMember> {
        let mut members: Vec<&Member> = self.members.values().collect();
        members.sort_by_key(|m| m.seq);
        members
            .into_iter()
            .map(|m| JoinedMember {
                id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                metadata: m.metadata(self.protocol.as_deref()),
            })
            .collect()
    }

    // ---- JoinGroup ----

    pub fn join(&mut self, a: JoinArgs, now: Instant, cfg: &GroupConfig) -> Answer<JoinReply> {
        if self.state == State::Dead {
            return Answer::Now(JoinReply::error(
                ResponseError::CoordinatorNotAvailable,
                &a.member_id,
            ));
        }
        if !self.supports(&a.protocol_type, &a.protocols) {
            return Answer::Now(JoinReply::error(
                ResponseError::InconsistentGroupProtocol,
                &a.member_id,
            ));
        }
        if a.member_id.is_empty() {
            self.join_new(a, now, cfg)
        } else {
            self.join_known(a, now, cfg)
        }
    }

    fn join_new(&mut self, a: JoinArgs, now: Instant, cfg: &GroupConfig) -> Answer<JoinReply> {
        let prefix = a.instance_id.as_deref().unwrap_or(&a.client_id);
        let id = format!("{prefix}-{}", uuid::Uuid::new_v4());
        if let Some(instance) = a.instance_id.clone() {
            if let Some(old) = self.instances.get(&instance).cloned() {
                return self.replace_static(&old, id, a, now, cfg);
            }
        } else if a.require_known_member_id {
            self.pending.insert(id.clone(), now + a.session_timeout);
            return Answer::Now(JoinReply::error(ResponseError::MemberIdRequired, &id));
        }
        self.add_member(id, a, now, cfg)
    }

    fn join_known(&mut self, a: JoinArgs, now: Instant, cfg: &GroupConfig) -> Answer<JoinReply> {
        if self.pending.remove(&a.member_id).is_some() {
            let id = a.member_id.clone();
            return self.add_member(id, a, now, cfg);
        }
        if let Err(e) = self.validate_member(&a.member_id, a.instance_id.as_deref()) {
            return Answer::Now(JoinReply::error(e, &a.member_id));
        }
        let id = a.member_id.clone();
        match self.state {
            State::Empty | State::Dead => Answer::Now(JoinReply::error(
                ResponseError::UnknownMemberId,
                &a.member_id,
            )),
            State::PreparingRebalance => {
                let rx = self.update_member(&id, a, now);
                self.maybe_complete_join(now);
                Answer::Later(rx)
            }
            State::CompletingRebalance => {
                let same = self
                    .members
                    .get(&id)
                    .is_some_and(|m| m.protocols == a.protocols);
                if same {
                    // The member missed our answer: send it again.
                    let leader = self.is_leader(&id);
                    Answer::Now(self.join_reply(&id, leader))
                } else {
                    let rx = self.update_member(&id, a, now);
                    self.prepare_rebalance(now, cfg, "a member joined with other protocols");
                    Answer::Later(rx)
                }
            }
            State::Stable => {
                let same = self
                    .members
                    .get(&id)
                    .is_some_and(|m| m.protocols == a.protocols);
                if same && !self.is_leader(&id) {
                    if let Some(m) = self.members.get_mut(&id) {
                        m.deadline = now + m.session_timeout;
                    }
                    Answer::Now(self.join_reply(&id, false))
                } else {
                    let rx = self.update_member(&id, a, now);
                    let why = if same {
                        "the leader joined again"
                    } else {
                        "a member joined with other protocols"
                    };
                    self.prepare_rebalance(now, cfg, why);
                    Answer::Later(rx)
                }
            }
        }
    }

    fn update_member(
        &mut self,
        id: &str,
        a: JoinArgs,
        now: Instant,
    ) -> oneshot::Receiver<JoinReply> {
        let (tx, rx) = oneshot::channel();
        if let Some(m) = self.members.get_mut(id) {
            m.protocols = a.protocols;
            m.session_timeout = a.session_timeout;
            m.rebalance_timeout = a.rebalance_timeout;
            m.client_id = a.client_id;
            m.client_host = a.client_host;
            m.deadline = now + m.session_timeout;
            if let Some(old) = m.join_waiter.replace(tx) {
                // A retried join (another connection) replaces the earlier one.
                let _ = old.send(JoinReply::error(ResponseError::RebalanceInProgress, id));
            }
        }
        rx
    }

    fn add_member(
        &mut self,
        id: String,
        a: JoinArgs,
        now: Instant,
        cfg: &GroupConfig,
    ) -> Answer<JoinReply> {
        let (tx, rx) = oneshot::channel();
        if self.members.is_empty() {
            self.protocol_type = Some(a.protocol_type.clone());
        }
        if let Some(i) = &a.instance_id {
            self.instances.insert(i.clone(), id.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(id.clone());
        }
        info!(group = %self.id, member = %id, instance = ?a.instance_id, client = %a.client_id, reason = ?a.reason, "member joining");
        self.members.insert(
            id.clone(),
            Member {
                id: id.clone(),
                instance_id: a.instance_id,
                client_id: a.client_id,
                client_host: a.client_host,
                session_timeout: a.session_timeout,
                rebalance_timeout: a.rebalance_timeout,
                protocols: a.protocols,
                assignment: Bytes::new(),
                join_waiter: Some(tx),
                sync_waiter: None,
                deadline: now + a.session_timeout,
                seq: self.next_seq,
            },
        );
        self.next_seq += 1;
        match self.state {
            State::PreparingRebalance => {
                if let Some((began, max)) = self.initial_join {
                    // New members keep an empty group's first join phase open a little longer.
                    self.join_deadline = Some((now + cfg.initial_rebalance_delay).min(began + max));
                }
                self.maybe_complete_join(now);
            }
            _ => self.prepare_rebalance(now, cfg, "a new member joined"),
        }
        Answer::Later(rx)
    }

    /// A static member joined without its member id (it restarted): it takes a new id in place of the old one
    /// and keeps its assignment. In a stable group whose protocol stays the same there is no rebalance: the new id
    /// is made durable and the member rejoins the current generation.
    fn replace_static(
        &mut self,
        old: &str,
        new: String,
        a: JoinArgs,
        now: Instant,
        cfg: &GroupConfig,
    ) -> Answer<JoinReply> {
        let Some(mut member) = self.members.remove(old) else {
            return Answer::Now(JoinReply::error(ResponseError::UnknownMemberId, ""));
        };
        if let Some(w) = member.join_waiter.take() {
            let _ = w.send(JoinReply::error(ResponseError::FencedInstanceId, old));
        }
        if let Some(w) = member.sync_waiter.take() {
            let _ = w.send(SyncReply::error(ResponseError::FencedInstanceId));
        }
        let old_leader = self.leader.clone().unwrap_or_default();
        if self.is_leader(old) {
            self.leader = Some(new.clone());
        }
        if self.pending_sync.remove(old) {
            self.pending_sync.insert(new.clone());
        }
        if let Some(i) = &a.instance_id {
            self.instances.insert(i.clone(), new.clone());
        }
        info!(group = %self.id, instance = ?a.instance_id, old, new = %new, "static member rejoined with a new member id");
        member.protocols = a.protocols.clone();
        member.id = new.clone();
        member.session_timeout = a.session_timeout;
        member.rebalance_timeout = a.rebalance_timeout;
        member.client_id = a.client_id.clone();
        member.client_host = a.client_host.clone();
        member.deadline = now + a.session_timeout;
        self.members.insert(new.clone(), member);
        match self.state {
            State::Stable if self.select_protocol() == self.protocol => {
                let leader = self.is_leader(&new);
                let mut reply = self.join_reply(&new, false);
                if a.version >= 9 {
                    // The leader learns it leads, and that it need not assign (the group is stable).
                    reply.skip_assignment = leader;
                    if leader {
                        reply.members = self.joined_members();
                    }
                } else {
                    // Older clients would assign if they saw themselves as leader; the old id keeps them from it.
                    reply.leader = old_leader;
                }
                let (tx, rx) = oneshot::channel();
                self.writes.push(After::AnswerJoin { to: tx, reply });
                Answer::Later(rx)
            }
            State::PreparingRebalance => {
                let rx = self.update_member(&new, a, now);
                self.maybe_complete_join(now);
                Answer::Later(rx)
            }
            _ => {
                let rx = self.update_member(&new, a, now);
                self.prepare_rebalance(now, cfg, "a static member rejoined");
                Answer::Later(rx)
            }
        }
    }

    fn prepare_rebalance(&mut self, now: Instant, cfg: &GroupConfig, why: &str) {
        if self.state == State::CompletingRebalance {
            self.reset_assignments(ResponseError::RebalanceInProgress);
        }
        self.pending_sync.clear();
        self.sync_deadline = None;
        let timeout = self.rebalance_timeout();
        if self.state == State::Empty && !cfg.initial_rebalance_delay.is_zero() {
            self.initial_join = Some((now, timeout));
            self.join_deadline = Some(now + cfg.initial_rebalance_delay.min(timeout));
        } else {
            self.initial_join = None;
            self.join_deadline = Some(now + timeout);
        }
        info!(group = %self.id, generation = self.generation, members = self.members.len(), "preparing to rebalance: {why}");
        self.state = State::PreparingRebalance;
        self.maybe_complete_join(now);
    }

    /// Clears the assignments (they belong to a generation that will not stabilize) and answers waiting syncs.
    fn reset_assignments(&mut self, error: ResponseError) {
        for m in self.members.values_mut() {
            m.assignment = Bytes::new();
            if let Some(w) = m.sync_waiter.take() {
                let _ = w.send(SyncReply::error(error));
            }
        }
        self.storing = None;
    }

    fn maybe_complete_join(&mut self, now: Instant) {
        if self.state == State::PreparingRebalance
            && self.initial_join.is_none()
            && self.pending.is_empty()
            && self.members.values().all(|m| m.join_waiter.is_some())
        {
            self.complete_join(now);
        }
    }

    /// Ends the join phase: members that did not rejoin are removed, the next generation begins.
    fn complete_join(&mut self, now: Instant) {
        let gone: Vec<String> = self
            .members
            .values()
            .filter(|m| m.join_waiter.is_none())
            .map(|m| m.id.clone())
            .collect();
        for id in gone {
            info!(group = %self.id, member = %id, "member did not join again in time; removed");
            self.remove(&id);
        }
        self.initial_join = None;
        self.join_deadline = None;
        self.generation += 1;
        if self.members.is_empty() {
            self.state = State::Empty;
            self.protocol = None;
            self.leader = None;
            info!(group = %self.id, generation = self.generation, "group is empty");
            self.writes.push(After::Nothing);
            return;
        }
        self.protocol = self.select_protocol();
        if self
            .leader
            .as_ref()
            .is_none_or(|l| !self.members.contains_key(l))
        {
            self.leader = self
                .members
                .values()
                .min_by_key(|m| m.seq)
                .map(|m| m.id.clone());
        }
        self.state = State::CompletingRebalance;
        self.pending_sync = self.members.keys().cloned().collect();
        self.sync_deadline = Some(now + self.rebalance_timeout());
        info!(group = %self.id, generation = self.generation, protocol = ?self.protocol, leader = ?self.leader, members = self.members.len(), "generation chosen; awaiting the leader's assignment");
        let leader_view = self.joined_members();
        let base = self.join_reply("", false);
        let leader = self.leader.clone();
        for m in self.members.values_mut() {
            m.deadline = now + m.session_timeout;
            if let Some(w) = m.join_waiter.take() {
                let mut reply = base.clone();
                reply.member_id = m.id.clone();
                if leader.as_deref() == Some(m.id.as_str()) {
                    reply.members = leader_view.clone();
                }
                let _ = w.send(reply);
            }
        }
    }

    /// Removes a member from every table; a request of it still waiting learns it is unknown now.
    fn remove(&mut self, id: &str) {
        if let Some(mut m) = self.members.remove(id) {
            if let Some(w) = m.join_waiter.take() {
                let _ = w.send(JoinReply::error(ResponseError::UnknownMemberId, id));
            }
            if let Some(w) = m.sync_waiter.take() {
                let _ = w.send(SyncReply::error(ResponseError::UnknownMemberId));
            }
            if let Some(i) = &m.instance_id
                && self.instances.get(i).is_some_and(|x| x == id)
            {
                self.instances.remove(i);
            }
        }
        self.pending_sync.remove(id);
    }

    /// Removes a member and starts over what it took part in.
    fn remove_and_rebalance(&mut self, id: &str, now: Instant, cfg: &GroupConfig, why: &str) {
        self.remove(id);
        match self.state {
            State::PreparingRebalance => self.maybe_complete_join(now),
            State::Stable | State::CompletingRebalance => self.prepare_rebalance(now, cfg, why),
            State::Empty | State::Dead => {}
        }
    }

    // ---- SyncGroup ----

    #[allow(clippy::too_many_arguments)]
    pub fn sync(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        protocol_type: Option<&str>,
        protocol: Option<&str>,
        assignments: Vec<(String, Bytes)>,
        now: Instant,
    ) -> Answer<SyncReply> {
        if self.state == State::Dead {
            return Answer::Now(SyncReply::error(ResponseError::CoordinatorNotAvailable));
        }
        if let Err(e) = self.validate_member(member_id, instance_id) {
            return Answer::Now(SyncReply::error(e));
        }
        if generation != self.generation {
            return Answer::Now(SyncReply::error(ResponseError::IllegalGeneration));
        }
        if protocol_type.is_some_and(|t| Some(t) != self.protocol_type.as_deref())
            || protocol.is_some_and(|p| Some(p) != self.protocol.as_deref())
        {
            return Answer::Now(SyncReply::error(ResponseError::InconsistentGroupProtocol));
        }
        match self.state {
            State::Empty | State::Dead => {
                Answer::Now(SyncReply::error(ResponseError::UnknownMemberId))
            }
            State::PreparingRebalance => {
                Answer::Now(SyncReply::error(ResponseError::RebalanceInProgress))
            }
            State::CompletingRebalance => {
                let (tx, rx) = oneshot::channel();
                self.pending_sync.remove(member_id);
                if let Some(m) = self.members.get_mut(member_id) {
                    m.deadline = now + m.session_timeout;
                    if let Some(old) = m.sync_waiter.replace(tx) {
                        let _ = old.send(SyncReply::error(ResponseError::RebalanceInProgress));
                    }
                }
                if self.is_leader(member_id) && self.storing != Some(self.generation) {
                    let mut given: HashMap<String, Bytes> = assignments.into_iter().collect();
                    for m in self.members.values_mut() {
                        m.assignment = given.remove(&m.id).unwrap_or_default();
                    }
                    self.storing = Some(self.generation);
                    self.writes.push(After::Stabilize {
                        generation: self.generation,
                    });
                }
                Answer::Later(rx)
            }
            State::Stable => {
                self.pending_sync.remove(member_id);
                let assignment = match self.members.get_mut(member_id) {
                    Some(m) => {
                        m.deadline = now + m.session_timeout;
                        m.assignment.clone()
                    }
                    None => Bytes::new(),
                };
                Answer::Now(self.sync_reply(assignment))
            }
        }
    }

    fn sync_reply(&self, assignment: Bytes) -> SyncReply {
        SyncReply {
            error: None,
            protocol_type: self.protocol_type.clone(),
            protocol: self.protocol.clone(),
            assignment,
        }
    }

    /// The assignment of `generation` was written: on success the group is stable and every member waiting
    /// gets its part; on failure the generation is abandoned.
    pub fn stabilize(
        &mut self,
        generation: i32,
        written: Result<(), ResponseError>,
        now: Instant,
        cfg: &GroupConfig,
    ) {
        if self.state != State::CompletingRebalance || self.generation != generation {
            return;
        }
        self.storing = None;
        match written {
            Ok(()) => {
                self.state = State::Stable;
                info!(group = %self.id, generation, "group is stable");
                let replies: Vec<(String, SyncReply)> = self
                    .members
                    .values()
                    .map(|m| (m.id.clone(), self.sync_reply(m.assignment.clone())))
                    .collect();
                for (id, reply) in replies {
                    if let Some(m) = self.members.get_mut(&id) {
                        m.deadline = now + m.session_timeout;
                        if let Some(w) = m.sync_waiter.take() {
                            let _ = w.send(reply);
                        }
                    }
                }
            }
            Err(e) => {
                self.reset_assignments(e);
                self.prepare_rebalance(now, cfg, "the assignment could not be stored");
            }
        }
    }

    // ---- Heartbeat, LeaveGroup ----

    pub fn heartbeat(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        now: Instant,
    ) -> Option<ResponseError> {
        if self.state == State::Dead {
            return Some(ResponseError::CoordinatorNotAvailable);
        }
        if let Err(e) = self.validate_member(member_id, instance_id) {
            return Some(e);
        }
        if generation != self.generation {
            return Some(ResponseError::IllegalGeneration);
        }
        if let Some(m) = self.members.get_mut(member_id) {
            m.deadline = now + m.session_timeout;
        }
        match self.state {
            State::Empty | State::Dead => Some(ResponseError::UnknownMemberId),
            State::PreparingRebalance => Some(ResponseError::RebalanceInProgress),
            State::CompletingRebalance | State::Stable => None,
        }
    }

    /// One member leaving, named by member id, instance id, or both.
    pub fn leave(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        now: Instant,
        cfg: &GroupConfig,
    ) -> Option<ResponseError> {
        if self.state == State::Dead {
            return Some(ResponseError::CoordinatorNotAvailable);
        }
        let id = match instance_id {
            Some(instance) => match self.instances.get(instance) {
                None => return Some(ResponseError::UnknownMemberId),
                Some(id) if !member_id.is_empty() && id != member_id => {
                    return Some(ResponseError::FencedInstanceId);
                }
                Some(id) => id.clone(),
            },
            None => {
                if self.pending.remove(member_id).is_some() {
                    self.maybe_complete_join(now);
                    return None;
                }
                if !self.members.contains_key(member_id) {
                    return Some(ResponseError::UnknownMemberId);
                }
                member_id.to_string()
            }
        };
        info!(group = %self.id, member = %id, "member left");
        self.remove_and_rebalance(&id, now, cfg, "a member left");
        None
    }

    // ---- OffsetCommit, OffsetDelete ----

    /// Whether a commit with this identity may go ahead (Kafka's rules; a commit with generation -1 and no
    /// member comes from a tool and is allowed only while the group is empty).
    pub fn validate_commit(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        now: Instant,
    ) -> Result<(), ResponseError> {
        if self.state == State::Dead {
            return Err(ResponseError::CoordinatorNotAvailable);
        }
        if generation < 0 && self.state == State::Empty {
            return Ok(());
        }
        if generation >= 0 || !member_id.is_empty() || instance_id.is_some() {
            self.validate_member(member_id, instance_id)?;
            if generation != self.generation {
                return Err(ResponseError::IllegalGeneration);
            }
        } else if self.state != State::Empty {
            return Err(ResponseError::UnknownMemberId);
        }
        if self.state == State::CompletingRebalance {
            return Err(ResponseError::RebalanceInProgress);
        }
        if let Some(m) = self.members.get_mut(member_id) {
            m.deadline = now + m.session_timeout;
        }
        Ok(())
    }

    /// Whether offsets of `topic` may be deleted: not while a consumer member subscribes to it, and for other
    /// protocol types only in an empty group.
    pub fn validate_offset_delete(&self) -> Result<(), ResponseError> {
        match self.state {
            State::Dead => Err(ResponseError::GroupIdNotFound),
            State::Empty => Ok(()),
            _ if self.protocol_type.as_deref() == Some("consumer") => Ok(()),
            _ => Err(ResponseError::NonEmptyGroup),
        }
    }

    /// Whether a member of a non-empty consumer group subscribes to `topic` (an undecodable subscription counts
    /// as subscribed to everything).
    pub fn subscribed_to(&self, topic: &str) -> bool {
        if self.state == State::Empty || self.protocol_type.as_deref() != Some("consumer") {
            return false;
        }
        self.members.values().any(|m| {
            let metadata = m.metadata(self.protocol.as_deref());
            subscription_topics(&metadata).is_none_or(|ts| ts.iter().any(|t| t == topic))
        })
    }

    // ---- DescribeGroups, DeleteGroups ----

    /// Members as DescribeGroups shows them: with metadata and assignment only once stable.
    pub fn summary(&self) -> Vec<MemberSummary> {
        let stable = self.state == State::Stable;
        let mut members: Vec<&Member> = self.members.values().collect();
        members.sort_by_key(|m| m.seq);
        members
            .into_iter()
            .map(|m| MemberSummary {
                id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                metadata: if stable {
                    m.metadata(self.protocol.as_deref())
                } else {
                    Bytes::new()
                },
                assignment: if stable {
                    m.assignment.clone()
                } else {
                    Bytes::new()
                },
            })
            .collect()
    }

    /// Marks the group deleted: every waiting request is answered, nothing more is accepted.
    pub fn kill(&mut self) {
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            self.remove(&id);
        }
        self.pending.clear();
        self.join_deadline = None;
        self.sync_deadline = None;
        self.initial_join = None;
        self.state = State::Dead;
    }

    // ---- time ----

    /// The earliest moment [`tick`](Self::tick) has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let sessions = self
            .members
            .values()
            .filter(|m| !m.waiting())
            .map(|m| m.deadline);
        let pending = self.pending.values().copied();
        let sync = self.sync_deadline.filter(|_| !self.pending_sync.is_empty());
        sessions
            .chain(pending)
            .chain(self.join_deadline)
            .chain(sync)
            .min()
    }

    /// Acts on every deadline that has passed: members handed an id that never joined are forgotten, members
    /// whose session ended are removed, a join phase past its time completes without the members that did not
    /// rejoin, and members that did not sync within the rebalance timeout are removed.
    pub fn tick(&mut self, now: Instant, cfg: &GroupConfig) {
        let before = self.pending.len();
        self.pending.retain(|_, deadline| *deadline > now);
        if self.pending.len() != before {
            self.maybe_complete_join(now);
        }
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.waiting() && m.deadline <= now)
            .map(|m| m.id.clone())
            .collect();
        for id in expired {
            info!(group = %self.id, member = %id, "session timed out; member removed");
            self.remove_and_rebalance(&id, now, cfg, "a member's session timed out");
        }
        if self.state == State::PreparingRebalance && self.join_deadline.is_some_and(|d| d <= now) {
            self.complete_join(now);
        }
        if matches!(self.state, State::CompletingRebalance | State::Stable)
            && self.sync_deadline.is_some_and(|d| d <= now)
        {
            self.sync_deadline = None;
            let late: Vec<String> = self.pending_sync.drain().collect();
            if !late.is_empty() {
                for id in &late {
                    info!(group = %self.id, member = %id, "member did not sync in time; removed");
                    self.remove(id);
                }
                self.prepare_rebalance(now, cfg, "members did not sync in time");
            }
        }
    }
}

/// The topics of a consumer's subscription (ConsumerProtocolSubscription, any version: a version, then the
/// topic names as an array of strings). `None` when the bytes do not read as one.
pub fn subscription_topics(metadata: &[u8]) -> Option<Vec<String>> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = metadata.get(at..at.checked_add(n)?)?;
        at += n;
        Some(s)
    };
    let version = i16::from_be_bytes(take(2)?.try_into().ok()?);
    if version < 0 {
        return None;
    }
    let count = i32::from_be_bytes(take(4)?.try_into().ok()?);
    let count = usize::try_from(count).ok()?;
    let mut topics = Vec::new();
    for _ in 0..count {
        let len = i16::from_be_bytes(take(2)?.try_into().ok()?);
        let name = take(usize::try_from(len).ok()?)?;
        topics.push(String::from_utf8(name.to_vec()).ok()?);
    }
    Some(topics)
}
