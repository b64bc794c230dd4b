//! Incremental fetch sessions (Kafka's KIP-227): a consumer that fetches many partitions sends, after a first
//! full fetch, only the partitions whose fetch position changed, and the broker answers only the partitions with
//! news (records, an error, or a moved high watermark, last stable offset or log start).
//!
//! A request's `(session_id, session_epoch)` says what it is:
//!
//! | session id | epoch | meaning |
//! |---|---|---|
//! | 0 | -1 | a full fetch without a session |
//! | 0 | 0 | a full fetch that opens a session: the answer carries its new id (0 when the cache has no room) |
//! | id | 0 | closes session `id` and opens a new one |
//! | id | -1 | closes session `id`; a full fetch without a session |
//! | id | n > 0 | an incremental fetch: `n` must be the session's next epoch (INVALID_FETCH_SESSION_EPOCH), the session must exist (FETCH_SESSION_ID_NOT_FOUND) |
//!
//! The cache holds at most `slots` sessions (Kafka's `max.incremental.fetch.session.cache.slots`). A new session
//! takes the place of the least recently used one only when that one has been idle for the eviction time (Kafka's
//! `min.incremental.fetch.session.eviction.ms`, 120 s); otherwise it is not created and the client goes on with full
//! fetches. Sessions live in this broker's memory only: after a restart a client's incremental fetch gets
//! FETCH_SESSION_ID_NOT_FOUND and starts over, as after a Kafka broker restart.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use automq_protocol::kafka_protocol::error::ResponseError;
use automq_protocol::kafka_protocol::messages::{FetchRequest, TopicName};

/// One partition a fetch reads, as the request (or the session) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub topic: TopicName,
    pub topic_id: uuid::Uuid,
    pub partition: i32,
    pub fetch_offset: i64,
    pub max_bytes: i32,
    pub current_leader_epoch: i32,
}

impl Wanted {
    /// A partition's identity in a session: its topic id when the client uses ids (v13+), else its name.
    fn key(&self) -> (String, i32) {
        let topic = if self.topic_id.is_nil() {
            self.topic.to_string()
        } else {
            self.topic_id.to_string()
        };
        (topic, self.partition)
    }
}

/// The partitions a request names, in its order.
pub fn wanted_in(req: &FetchRequest) -> Vec<Wanted> {
    req.topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| Wanted {
                topic: t.topic.clone(),
                topic_id: t.topic_id,
                partition: p.partition,
                fetch_offset: p.fetch_offset,
                max_bytes: p.partition_max_bytes,
                current_leader_epoch: p.current_leader_epoch,
            })
        })
        .collect()
}

/// What a partition's answer said last time: `(high watermark, log start offset, last stable offset)`.
type Sent = Option<(i64, i64, i64)>;

#[derive(Debug)]
struct Session {
    /// The epoch the next request must carry.
    epoch: i32,
    partitions: Vec<(Wanted, Sent)>,
    last_used: Instant,
}

/// How one request is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// Every partition of the request, answered in full; no session.
    Sessionless(Vec<Wanted>),
    /// Every partition of the request, answered in full, remembered in session `id` (0: no room for one).
    Full { id: i32, wanted: Vec<Wanted> },
    /// Every partition of session `id`; the answer holds only those with news.
    Incremental { id: i32, wanted: Vec<Wanted> },
}

impl Context {
    pub fn wanted(&self) -> &[Wanted] {
        match self {
            Context::Sessionless(w)
            | Context::Full { wanted: w, .. }
            | Context::Incremental { wanted: w, .. } => w,
        }
    }

    pub fn session_id(&self) -> i32 {
        match self {
            Context::Sessionless(_) => 0,
            Context::Full { id, .. } | Context::Incremental { id, .. } => *id,
        }
    }
}

/// One partition's answer, before the session filters it: `Ok((records bytes, log start, high watermark, last
/// stable offset))` or the error code.
pub type Answer = Result<(usize, i64, i64, i64), ResponseError>;

#[derive(Debug)]
pub struct FetchSessions {
    slots: usize,
    eviction: Duration,
    sessions: Mutex<HashMap<i32, Session>>,
}

fn next_epoch(epoch: i32) -> i32 {
    if epoch == i32::MAX { 1 } else { epoch + 1 }
}

impl FetchSessions {
    pub fn new(slots: usize, eviction: Duration) -> Self {
        Self {
            slots,
            eviction,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Session>> {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sessions held now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decides how a fetch request (v7+) is served, updating the session it names.
    pub fn begin(&self, req: &FetchRequest) -> Result<Context, ResponseError> {
        let (id, epoch) = (req.session_id, req.session_epoch);
        let named = wanted_in(req);
        let mut sessions = self.lock();
        if epoch <= 0 {
            if id != 0 {
                sessions.remove(&id);
            }
            if epoch < 0 {
                return Ok(Context::Sessionless(named));
            }
            let id = self.open(&mut sessions, &named);
            return Ok(Context::Full { id, wanted: named });
        }
        let session = sessions
            .get_mut(&id)
            .ok_or(ResponseError::FetchSessionIdNotFound)?;
        if session.epoch != epoch {
            return Err(ResponseError::InvalidFetchSessionEpoch);
        }
        session.epoch = next_epoch(epoch);
        session.last_used = Instant::now();
        for w in named {
            match session
                .partitions
                .iter_mut()
                .find(|(p, _)| p.key() == w.key())
            {
                Some((p, _)) => *p = w,
                None => session.partitions.push((w, None)),
            }
        }
        for f in &req.forgotten_topics_data {
            let topic = if f.topic_id.is_nil() {
                f.topic.to_string()
            } else {
                f.topic_id.to_string()
            };
            session
                .partitions
                .retain(|(p, _)| !(p.key().0 == topic && f.partitions.contains(&p.partition)));
        }
        Ok(Context::Incremental {
            id,
            wanted: session.partitions.iter().map(|(w, _)| w.clone()).collect(),
        })
    }

    /// A new session for `wanted`, or 0 when there is no room.
    fn open(&self, sessions: &mut HashMap<i32, Session>, wanted: &[Wanted]) -> i32 {
        if self.slots == 0 {
            return 0;
        }
        if sessions.len() >= self.slots {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .filter(|(_, s)| s.last_used.elapsed() >= self.eviction)
                .map(|(id, _)| *id);
            match oldest {
                Some(old) => {
                    sessions.remove(&old);
                }
                None => return 0,
            }
        }
        let id = loop {
            let bytes = uuid::Uuid::new_v4().into_bytes();
            let id = i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) & i32::MAX;
            if id != 0 && !sessions.contains_key(&id) {
                break id;
            }
        };
        sessions.insert(
            id,
            Session {
                epoch: 1,
                partitions: wanted.iter().map(|w| (w.clone(), None)).collect(),
                last_used: Instant::now(),
            },
        );
        id
    }

    /// After the fetch: which answers go out (all, except in an incremental fetch only those with news), with what
    /// they said remembered for the next time.
    pub fn finish(&self, ctx: &Context, answers: &[Answer]) -> Vec<bool> {
        let id = match ctx {
            Context::Sessionless(_) => return vec![true; answers.len()],
            Context::Full { id: 0, .. } => return vec![true; answers.len()],
            Context::Full { id, .. } | Context::Incremental { id, .. } => *id,
        };
        let incremental = matches!(ctx, Context::Incremental { .. });
        let mut sessions = self.lock();
        let Some(session) = sessions.get_mut(&id) else {
            return vec![true; answers.len()];
        };
        ctx.wanted()
            .iter()
            .zip(answers)
            .map(|(w, answer)| {
                let slot = session
                    .partitions
                    .iter_mut()
                    .find(|(p, _)| p.key() == w.key());
                let now = answer
                    .as_ref()
                    .ok()
                    .map(|(_, start, hw, lso)| (*hw, *start, *lso));
                let news = match answer {
                    Err(_) => true,
                    Ok((bytes, _, _, _)) => {
                        *bytes > 0 || slot.as_ref().is_none_or(|(_, sent)| *sent != now)
                    }
                };
                if let Some((_, sent)) = slot {
                    *sent = now;
                }
                !incremental || news
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automq_protocol::kafka_protocol::messages::fetch_request::{
        FetchPartition, FetchTopic, ForgottenTopic,
    };
    use automq_protocol::kafka_protocol::protocol::StrBytes;

    fn req(id: i32, epoch: i32, parts: &[(i32, i64)]) -> FetchRequest {
        FetchRequest::default()
            .with_session_id(id)
            .with_session_epoch(epoch)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_static_str("t")))
                    .with_partitions(
                        parts
                            .iter()
                            .map(|(p, o)| {
                                FetchPartition::default()
                                    .with_partition(*p)
                                    .with_fetch_offset(*o)
                            })
                            .collect(),
                    ),
            ])
    }

    #[test]
    fn a_session_opens_advances_and_closes_by_epoch() {
        let s = FetchSessions::new(10, Duration::from_secs(120));
        assert!(matches!(
            s.begin(&req(0, -1, &[(0, 0)])),
            Ok(Context::Sessionless(_))
        ));
        let Ok(Context::Full { id, wanted }) = s.begin(&req(0, 0, &[(0, 0), (1, 0)])) else {
            panic!("full")
        };
        assert!(id > 0 && wanted.len() == 2);
        let shown = s.finish(
            &Context::Full { id, wanted },
            &[Ok((10, 0, 5, 5)), Ok((0, 0, 0, 0))],
        );
        assert_eq!(shown, [true, true], "a full fetch answers everything");
        // The next epoch is 1; the request names only what moved, the session keeps the rest.
        let ctx = s.begin(&req(id, 1, &[(0, 5)])).unwrap();
        let Context::Incremental { wanted, .. } = &ctx else {
            panic!("incremental")
        };
        assert_eq!(
            wanted
                .iter()
                .map(|w| (w.partition, w.fetch_offset))
                .collect::<Vec<_>>(),
            [(0, 5), (1, 0)]
        );
        // Partition 0: nothing new and the same high watermark; partition 1: its high watermark moved.
        let shown = s.finish(&ctx, &[Ok((0, 0, 5, 5)), Ok((0, 0, 3, 3))]);
        assert_eq!(shown, [false, true]);
        // Epoch 2: only partition 0's last stable offset moved (a transaction ended): news for read_committed.
        let ctx = s.begin(&req(id, 2, &[])).unwrap();
        let shown = s.finish(&ctx, &[Ok((0, 0, 5, 4)), Ok((0, 0, 3, 3))]);
        assert_eq!(shown, [true, false]);
        assert_eq!(
            s.begin(&req(id, 1, &[])),
            Err(ResponseError::InvalidFetchSessionEpoch)
        );
        assert_eq!(
            s.begin(&req(id + 1, 2, &[])),
            Err(ResponseError::FetchSessionIdNotFound)
        );
        let forget = req(id, 3, &[]).with_forgotten_topics_data(vec![
            ForgottenTopic::default()
                .with_topic(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![1]),
        ]);
        let Ok(Context::Incremental { wanted, .. }) = s.begin(&forget) else {
            panic!("incremental")
        };
        assert_eq!(wanted.len(), 1, "partition 1 forgotten");
        assert!(matches!(
            s.begin(&req(id, -1, &[])),
            Ok(Context::Sessionless(_))
        ));
        assert_eq!(
            s.begin(&req(id, 4, &[])),
            Err(ResponseError::FetchSessionIdNotFound),
            "closed"
        );
        assert!(s.is_empty());
    }

    #[test]
    fn the_cache_is_bounded_and_evicts_only_idle_sessions() {
        let busy = FetchSessions::new(2, Duration::from_secs(3600));
        let mut ids = Vec::new();
        for _ in 0..3 {
            let Ok(Context::Full { id, .. }) = busy.begin(&req(0, 0, &[(0, 0)])) else {
                panic!("full")
            };
            ids.push(id);
        }
        assert!(ids[0] > 0 && ids[1] > 0);
        assert_eq!(ids[2], 0, "no room: the client goes on with full fetches");
        assert_eq!(busy.len(), 2);
        let idle = FetchSessions::new(2, Duration::ZERO);
        let mut ids = Vec::new();
        for _ in 0..3 {
            let Ok(Context::Full { id, .. }) = idle.begin(&req(0, 0, &[(0, 0)])) else {
                panic!("full")
            };
            ids.push(id);
        }
        assert!(ids[2] > 0, "the least recently used made room");
        assert_eq!(idle.len(), 2);
        assert_eq!(
            idle.begin(&req(ids[0], 1, &[])),
            Err(ResponseError::FetchSessionIdNotFound)
        );
        let disabled = FetchSessions::new(0, Duration::ZERO);
        assert!(matches!(
            disabled.begin(&req(0, 0, &[])),
            Ok(Context::Full { id: 0, .. })
        ));
    }
}
