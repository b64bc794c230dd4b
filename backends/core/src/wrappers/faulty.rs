//! [`FaultyStore`]: deterministic fault injection, so retry, fencing and recovery code can be tested against
//! the failures real stores produce without a real store misbehaving on cue.
//!
//! Compiled always (not only under `cfg(test)`) so that other crates' tests and the daemon's soak runs can use
//! it. Per operation kind ([`Op`]) a [`FaultRule`] adds latency and injects faults:
//!
//! - throttling: the first N calls of a kind fail with a 503 SlowDown, as S3 answers an overloaded prefix;
//! - transient and permanent errors at given rates (a 503 Service Unavailable, a 400 Bad Request);
//! - timeouts before the operation (not applied) and after it (applied, answer lost), the case conditional
//!   writes must survive;
//! - a script: call number n of a kind gets exactly this fault.
//!
//! The injected errors have the shapes real ones have, so [`classify`](super::classify) is exercised as in
//! production: statuses in the message of a `Generic` error (as object_store's HTTP client words them),
//! timeouts as an object_store `HttpError` of kind `Timeout`. Each carries an [`InjectedFault`] to tell them
//! apart from real ones.
//!
//! Deterministic: whether call n of a kind fails depends only on the seed, the kind and n (not on other
//! kinds' calls), so a single-threaded test replays exactly; under concurrency the same set of fates is dealt
//! to whichever tasks get there first. Latency sleeps on tokio's clock, so a test under
//! `tokio::time::pause` runs without waiting.
//!
//! `delete_stream` deletes path by path here (each path is one call), giving up bulk deletes for per-path
//! faults.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use object_store::client::{HttpError, HttpErrorKind};
use object_store::path::Path;
use object_store::{
    CopyOptions, Error, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult,
    RenameOptions, Result,
};

use super::{Op, SplitMix64, mix};

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// 503 SlowDown, before acting: throttling, retried.
    SlowDown,
    /// 503 Service Unavailable, before acting: transient, retried.
    Unavailable,
    /// 400 Bad Request, before acting: permanent, never retried.
    Permanent,
    /// A timeout before the store acted: not applied, though the caller cannot tell.
    TimeoutBeforeApply,
    /// The operation is performed, then a timeout is reported: applied, answer lost.
    TimeoutAfterApply,
}

/// The faults of one operation kind. Probabilities are per call and add up (their sum should stay ≤ 1).
#[derive(Debug, Clone, Default)]
pub struct FaultRule {
    /// Added before every call.
    pub latency: Duration,
    /// Up to this much more, drawn per call.
    pub latency_jitter: Duration,
    /// The first this-many calls fail with [`Fault::SlowDown`].
    pub throttle_first: u64,
    /// Probability of [`Fault::Unavailable`].
    pub transient: f64,
    /// Probability of [`Fault::Permanent`].
    pub permanent: f64,
    /// Probability of [`Fault::TimeoutBeforeApply`].
    pub timeout_before_apply: f64,
    /// Probability of [`Fault::TimeoutAfterApply`].
    pub timeout_after_apply: f64,
    /// Call number (from 0) → the fault it gets, whatever else the rule says.
    pub script: BTreeMap<u64, Fault>,
}

impl FaultRule {
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }
    pub fn latency_jitter(mut self, jitter: Duration) -> Self {
        self.latency_jitter = jitter;
        self
    }
    pub fn throttle_first(mut self, calls: u64) -> Self {
        self.throttle_first = calls;
        self
    }
    pub fn transient(mut self, p: f64) -> Self {
        self.transient = p;
        self
    }
    pub fn permanent(mut self, p: f64) -> Self {
        self.permanent = p;
        self
    }
    pub fn timeout_before_apply(mut self, p: f64) -> Self {
        self.timeout_before_apply = p;
        self
    }
    pub fn timeout_after_apply(mut self, p: f64) -> Self {
        self.timeout_after_apply = p;
        self
    }
    /// Call number `call` (from 0) of this kind gets `fault`.
    pub fn on_call(mut self, call: u64, fault: Fault) -> Self {
        self.script.insert(call, fault);
        self
    }

    /// The fault and latency of call `n`, drawn from `seed`.
    fn decide(&self, seed: u64, op: Op, n: u64) -> (Option<Fault>, Duration) {
        let mut rng = SplitMix64::new(seed ^ mix(((op.index() as u64) << 48) ^ n));
        let draw = rng.next_f64();
        let latency = self.latency + self.latency_jitter.mul_f64(rng.next_f64());
        if let Some(f) = self.script.get(&n) {
            return (Some(*f), latency);
        }
        if n < self.throttle_first {
            return (Some(Fault::SlowDown), latency);
        }
        let mut edge = 0.0;
        for (p, fault) in [
            (self.permanent, Fault::Permanent),
            (self.transient, Fault::Unavailable),
            (self.timeout_before_apply, Fault::TimeoutBeforeApply),
            (self.timeout_after_apply, Fault::TimeoutAfterApply),
        ] {
            edge += p;
            if draw < edge {
                return (Some(fault), latency);
            }
        }
        (None, latency)
    }
}

/// The source of every error a [`FaultyStore`] injects.
#[derive(Debug, Clone)]
pub struct InjectedFault {
    pub fault: Fault,
    pub op: Op,
    pub path: String,
}

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { fault, op, path } = self;
        match fault {
            Fault::SlowDown => write!(
                f,
                "injected into {op} `{path}`: Server returned non-2xx status code: 503 Service Unavailable: \
                 <Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            ),
            Fault::Unavailable => write!(
                f,
                "injected into {op} `{path}`: Server returned non-2xx status code: 503 Service Unavailable: \
                 <Error><Code>ServiceUnavailable</Code></Error>"
            ),
            Fault::Permanent => write!(
                f,
                "injected into {op} `{path}`: Server returned non-2xx status code: 400 Bad Request: \
                 <Error><Code>InvalidRequest</Code></Error>"
            ),
            Fault::TimeoutBeforeApply => {
                write!(f, "injected into {op} `{path}`: timed out before applying")
            }
            Fault::TimeoutAfterApply => {
                write!(f, "injected into {op} `{path}`: timed out after applying")
            }
        }
    }
}

impl std::error::Error for InjectedFault {}

impl InjectedFault {
    fn into_error(self) -> Error {
        let source: Box<dyn std::error::Error + Send + Sync> = match self.fault {
            Fault::TimeoutBeforeApply | Fault::TimeoutAfterApply => {
                Box::new(HttpError::new(HttpErrorKind::Timeout, self))
            }
            _ => Box::new(self),
        };
        Error::Generic {
            store: "FaultyStore",
            source,
        }
    }
}

/// Wraps a store and injects faults into its operations; see the module documentation.
#[derive(Debug, Clone)]
pub struct FaultyStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    inner: Arc<dyn ObjectStore>,
    seed: u64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    rules: HashMap<Op, FaultRule>,
    calls: [u64; Op::ALL.len()],
    injected: BTreeMap<(Op, Fault), u64>,
}

impl FaultyStore {
    /// No faults until rules are set.
    pub fn new(inner: Arc<dyn ObjectStore>, seed: u64) -> Self {
        Self {
            shared: Arc::new(Shared {
                inner,
                seed,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Replaces the rule of one operation kind.
    pub fn set_rule(&self, op: Op, rule: FaultRule) {
        self.shared.state().rules.insert(op, rule);
    }

    /// Builder form of [`FaultyStore::set_rule`].
    pub fn with_rule(self, op: Op, rule: FaultRule) -> Self {
        self.set_rule(op, rule);
        self
    }

    /// Removes every rule; counters keep counting.
    pub fn clear_rules(&self) {
        self.shared.state().rules.clear();
    }

    /// Calls of this kind so far, faulted or not.
    pub fn calls(&self, op: Op) -> u64 {
        self.shared.state().calls[op.index()]
    }

    /// Faults of this kind injected into calls of `op` so far.
    pub fn injected(&self, op: Op, fault: Fault) -> u64 {
        self.shared
            .state()
            .injected
            .get(&(op, fault))
            .copied()
            .unwrap_or(0)
    }

    /// All faults injected so far.
    pub fn injected_total(&self) -> u64 {
        self.shared.state().injected.values().sum()
    }
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts the call, sleeps its latency, and says which fault (if any) it gets.
    async fn enter(&self, op: Op) -> Option<Fault> {
        let (fault, latency) = {
            let mut state = self.state();
            let n = state.calls[op.index()];
            state.calls[op.index()] += 1;
            let decided = match state.rules.get(&op) {
                Some(rule) => rule.decide(self.seed, op, n),
                None => (None, Duration::ZERO),
            };
            if let Some(f) = decided.0 {
                *state.injected.entry((op, f)).or_default() += 1;
            }
            decided
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        fault
    }

    async fn around<T>(
        &self,
        op: Op,
        path: &Path,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let fault = self.enter(op).await;
        let injected = |fault| {
            InjectedFault {
                fault,
                op,
                path: path.to_string(),
            }
            .into_error()
        };
        match fault {
            None => call.await,
            Some(f @ Fault::TimeoutAfterApply) => {
                // Whatever the store answered is lost, success or not.
                let _lost = call.await;
                Err(injected(f))
            }
            Some(f) => Err(injected(f)),
        }
    }

    fn list_faulty(
        self: Arc<Self>,
        op: Op,
        prefix: Option<Path>,
        open: impl FnOnce(&Shared) -> BoxStream<'static, Result<ObjectMeta>> + Send + 'static,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        stream::once(async move {
            match self.enter(op).await {
                None => open(&self),
                Some(fault) => stream::iter([Err(InjectedFault {
                    fault,
                    op,
                    path: prefix.map(|p| p.to_string()).unwrap_or_default(),
                }
                .into_error())])
                .boxed(),
            }
        })
        .flatten()
        .boxed()
    }
}

impl fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Faulty({})", self.shared.inner)
    }
}

#[async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let s = &self.shared;
        s.around(Op::Put, location, s.inner.put_opts(location, payload, opts))
            .await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let s = &self.shared;
        s.around(
            Op::PutMultipart,
            location,
            s.inner.put_multipart_opts(location, opts),
        )
        .await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let s = &self.shared;
        let op = Op::of_get(&options);
        s.around(op, location, s.inner.get_opts(location, options))
            .await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let s = &self.shared;
        s.around(
            Op::GetRanges,
            location,
            s.inner.get_ranges(location, ranges),
        )
        .await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let shared = self.shared.clone();
        locations
            .then(move |item| {
                let shared = shared.clone();
                async move {
                    let path = item?;
                    shared
                        .around(Op::Delete, &path, shared.inner.delete(&path))
                        .await?;
                    Ok(path)
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let owned = prefix.cloned();
        self.shared
            .clone()
            .list_faulty(Op::List, prefix.cloned(), move |s| {
                s.inner.list(owned.as_ref())
            })
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let owned = prefix.cloned();
        let offset = offset.clone();
        self.shared
            .clone()
            .list_faulty(Op::List, prefix.cloned(), move |s| {
                s.inner.list_with_offset(owned.as_ref(), &offset)
            })
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let s = &self.shared;
        let at = prefix.cloned().unwrap_or_default();
        s.around(
            Op::ListWithDelimiter,
            &at,
            s.inner.list_with_delimiter(prefix),
        )
        .await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        let s = &self.shared;
        s.around(Op::Copy, to, s.inner.copy_opts(from, to, options))
            .await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        let s = &self.shared;
        s.around(Op::Rename, to, s.inner.rename_opts(from, to, options))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_replay_from_the_seed() {
        let rule = FaultRule::default().transient(0.3).timeout_after_apply(0.3);
        let a: Vec<_> = (0..64).map(|n| rule.decide(42, Op::Put, n).0).collect();
        let b: Vec<_> = (0..64).map(|n| rule.decide(42, Op::Put, n).0).collect();
        assert_eq!(a, b);
        let c: Vec<_> = (0..64).map(|n| rule.decide(43, Op::Put, n).0).collect();
        assert_ne!(a, c, "another seed deals other fates");
        let faults = a.iter().flatten().count();
        assert!(
            (20..=50).contains(&faults),
            "about 60% of 64 calls fault, got {faults}"
        );
    }

    #[test]
    fn throttling_and_script() {
        let rule = FaultRule::default()
            .throttle_first(2)
            .on_call(3, Fault::Permanent);
        let got: Vec<_> = (0..5).map(|n| rule.decide(1, Op::Get, n).0).collect();
        assert_eq!(
            got,
            [
                Some(Fault::SlowDown),
                Some(Fault::SlowDown),
                None,
                Some(Fault::Permanent),
                None
            ]
        );
    }
}
