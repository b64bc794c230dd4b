//! [`RetryingStore`]: bounded retries of transient failures, and conditional writes that survive a lost answer.
//!
//! # What is retried where
//!
//! object_store's HTTP client (the S3 backend) already retries inside one call, with its own `RetryConfig`
//! (default: 10 retries within 3 minutes, backoff from 100 ms to 15 s): 5xx, 429 and 408 answers, refused
//! connections, and connections closed before a whole answer, for every request, conditional PUTs included;
//! timeouts only for requests it calls idempotent (GET, HEAD, LIST, DELETE, an unconditional PUT). An
//! interrupted GET body is resumed by a ranged GET on the same ETag. So what reaches this wrapper from S3 is
//! what that loop gave up on, plus the one thing it never retries: a timeout of a conditional PUT, whose
//! outcome is unknown. Local files and HDFS have no retry loop of their own at all.
//!
//! To keep the two loops from multiplying (10 × our attempts), a backend that stacks this wrapper on an S3
//! store should lower the client's own retries (`AmazonS3Builder::with_retry`, a few retries within seconds)
//! and let this wrapper own the long policy; the defaults here are modest for the same reason.
//!
//! Which failures are retried is decided in one place, [`classify`]: permanent failures (`NotFound`,
//! `AlreadyExists`, `Precondition`, `NotImplemented`, `PermissionDenied`, `Unauthenticated`, 4xx, anything
//! unrecognised) never are.
//!
//! # Conditional writes
//!
//! Retrying `PutMode::Create` or `PutMode::Update` blindly is wrong: when an attempt times out after the
//! store applied it, the retry finds the object already there (or its version moved) and reports
//! `AlreadyExists`/`Precondition` for a write that was in fact ours. So every conditional write carries a
//! unique put id, and a conflict is resolved by reading the object back:
//!
//! - [`PutIdCheck::Metadata`]: the id travels as user metadata (`Attribute::Metadata("automq-put-id")`), which
//!   S3 (`x-amz-meta-…`, returned on HEAD) and `InMemory` keep. The read-back is a HEAD; the object is ours
//!   exactly when it carries our id. Because object_store may itself have retried a conditional PUT after a
//!   5xx or a closed connection, every conflict is checked, not only those after an ambiguity we saw.
//! - [`PutIdCheck::Bytes`]: for stores that refuse attributes (`LocalFileSystem` answers `NotImplemented`)
//!   or silently drop them (HDFS). The read-back is a GET, and the object counts as ours when its bytes equal
//!   our payload. That proves less (another writer with identical bytes looks like us), so it is only done
//!   after an attempt of ours failed ambiguously; payloads that must be told apart should carry the writer's
//!   identity. With `Metadata` configured, a store that refuses attributes switches this wrapper to `Bytes`
//!   on its first conditional write.
//!
//! A read-back proving the object ours returns success (with its ETag and version); proving it someone else's
//! returns the conflict error. A `Create` conflict whose object is gone by the read-back (the other write
//! failed, as S3's 409 for concurrent conditional writes allows, or was deleted) is tried again. If an attempt was ambiguous and the read-back itself fails, the answer is an
//! [`OutcomeUnknown`] error rather than a guess. Copies and renames with `Create` have no put id to check: they
//! are retried only while no attempt was ambiguous.
//!
//! Multipart uploads: only starting one is retried (an orphaned upload is harmless); a part cannot be
//! retried through the trait (every `put_part` call is a new part number), so parts rely on the client's own
//! retries.

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, CopyMode, CopyOptions, Error, GetOptions, GetResult, ListResult,
    MultipartUpload, ObjectMeta, ObjectStore, PutMode, PutMultipartOptions, PutOptions, PutPayload,
    PutResult, RenameOptions, Result,
};
use tokio::time::Instant;

use super::{Failure, SplitMix64, classify, mix};

/// The user-metadata key that carries a conditional write's put id.
pub const PUT_ID_ATTRIBUTE: &str = "automq-put-id";

/// How many paths one batch of a retried `delete_stream` holds (S3's bulk delete takes up to 1,000).
const DELETE_BATCH: usize = 1000;

/// How a conditional write whose answer was lost is proven ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PutIdCheck {
    /// Tag the write with a put id in user metadata and compare it on read-back (S3, memory). Falls back to
    /// [`PutIdCheck::Bytes`] by itself when the store refuses attributes.
    #[default]
    Metadata,
    /// Compare the stored bytes with the payload (local directory, HDFS).
    Bytes,
}

/// How hard to retry. Attempts and elapsed time are both bounded; whichever runs out first ends the retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. 1 disables retries.
    pub max_attempts: u32,
    /// The first backoff; each later one doubles, up to `max_backoff`. Each sleep is drawn uniformly from the
    /// upper half of that value (jitter, so retrying clients spread out).
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// No retry starts (nor sleep) past this time after the first attempt began. An attempt in flight is not
    /// cut short: a single request is bounded by the client's own timeout.
    pub max_elapsed: Duration,
    /// Seed for the jitter, so a test replays; `None` draws one.
    pub seed: Option<u64>,
    pub put_id: PutIdCheck,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(30),
            seed: None,
            put_id: PutIdCheck::default(),
        }
    }
}

/// What a [`RetryingStore`] did, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryStats {
    /// Attempts after the first, over all operations.
    pub retries: u64,
    /// Conflicts resolved by a read-back proving the write ours (answered with success).
    pub resolved_ours: u64,
    /// Conflicts a read-back confirmed as someone else's (answered with the conflict).
    pub resolved_theirs: u64,
    /// Writes answered with [`OutcomeUnknown`].
    pub unknown: u64,
}

/// A conditional write whose outcome could not be established: an attempt's answer was lost and reading the
/// object back failed too. The write may or may not have been applied.
#[derive(Debug, thiserror::Error)]
#[error(
    "outcome of the conditional write to `{path}` is unknown: an attempt's answer was lost ({lost}), \
     and then {then}"
)]
pub struct OutcomeUnknown {
    pub path: String,
    pub lost: String,
    pub then: String,
}

/// Whose object a read-back found.
enum Verdict {
    /// Ours, with its version.
    Ours(PutResult),
    Theirs,
    Absent,
}

/// Retries transient failures of the store it wraps; see the module documentation.
#[derive(Debug, Clone)]
pub struct RetryingStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    inner: Arc<dyn ObjectStore>,
    policy: RetryPolicy,
    seeds: AtomicU64,
    attributes_refused: AtomicBool,
    retries: AtomicU64,
    resolved_ours: AtomicU64,
    resolved_theirs: AtomicU64,
    unknown: AtomicU64,
}

impl RetryingStore {
    pub fn new(inner: Arc<dyn ObjectStore>, policy: RetryPolicy) -> Self {
        let seed = policy.seed.unwrap_or_else(SplitMix64::entropy);
        Self {
            shared: Arc::new(Shared {
                inner,
                policy,
                seeds: AtomicU64::new(seed),
                attributes_refused: AtomicBool::new(false),
                retries: AtomicU64::new(0),
                resolved_ours: AtomicU64::new(0),
                resolved_theirs: AtomicU64::new(0),
                unknown: AtomicU64::new(0),
            }),
        }
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.shared.policy
    }

    pub fn stats(&self) -> RetryStats {
        let s = &self.shared;
        RetryStats {
            retries: s.retries.load(Ordering::Relaxed),
            resolved_ours: s.resolved_ours.load(Ordering::Relaxed),
            resolved_theirs: s.resolved_theirs.load(Ordering::Relaxed),
            unknown: s.unknown.load(Ordering::Relaxed),
        }
    }

    /// How conditional writes are being checked now (`Bytes` once a store refused attributes).
    pub fn put_id_check(&self) -> PutIdCheck {
        self.shared.put_id_check()
    }
}

impl fmt::Display for RetryingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Retrying({})", self.shared.inner)
    }
}

/// The sleeps between attempts of one operation.
struct Backoff<'a> {
    policy: &'a RetryPolicy,
    attempts: u32,
    start: Instant,
    rng: SplitMix64,
}

impl Backoff<'_> {
    /// The sleep before the next attempt, or `None` when attempts or time are used up.
    fn next(&mut self) -> Option<Duration> {
        if self.attempts >= self.policy.max_attempts {
            return None;
        }
        let doubling = 2u32.saturating_pow(self.attempts.saturating_sub(1));
        let ceiling = self
            .policy
            .initial_backoff
            .saturating_mul(doubling)
            .min(self.policy.max_backoff);
        let sleep = ceiling / 2 + ceiling.mul_f64(self.rng.next_f64() / 2.0);
        if self.start.elapsed() + sleep > self.policy.max_elapsed {
            return None;
        }
        self.attempts += 1;
        Some(sleep)
    }
}

impl Shared {
    fn backoff(&self) -> Backoff<'_> {
        let seed = mix(self
            .seeds
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed));
        Backoff {
            policy: &self.policy,
            attempts: 1,
            start: Instant::now(),
            rng: SplitMix64::new(seed),
        }
    }

    fn put_id_check(&self) -> PutIdCheck {
        if self.attributes_refused.load(Ordering::Relaxed) {
            PutIdCheck::Bytes
        } else {
            self.policy.put_id
        }
    }

    /// Sleeps before the next attempt after `err`, or gives `err` back when it is permanent or the budget is
    /// spent.
    async fn pause(&self, backoff: &mut Backoff<'_>, what: &str, err: Error) -> Result<Failure> {
        let failure = classify(&err);
        if failure.is_retryable() && self.sleep_next(backoff, what, &err).await {
            Ok(failure)
        } else {
            Err(err)
        }
    }

    /// Sleeps before another attempt whatever `err` was; `false` when the budget is spent.
    async fn sleep_next(&self, backoff: &mut Backoff<'_>, what: &str, err: &Error) -> bool {
        let Some(sleep) = backoff.next() else {
            return false;
        };
        tracing::debug!(store = %self.inner, what, ?sleep, error = %err, "retrying");
        self.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(sleep).await;
        true
    }

    /// Runs an idempotent operation until it succeeds, fails permanently, or the budget is spent.
    async fn run<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut backoff = self.backoff();
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    self.pause(&mut backoff, what, e).await?;
                }
            }
        }
    }

    /// Runs a non-idempotent operation: retried after refusals only, so it is never repeated once it may
    /// have been applied.
    async fn run_unless_ambiguous<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut backoff = self.backoff();
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) if classify(&e) == Failure::Ambiguous => return Err(e),
                Err(e) => {
                    self.pause(&mut backoff, what, e).await?;
                }
            }
        }
    }

    async fn put_conditional(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let key = Attribute::Metadata(PUT_ID_ATTRIBUTE.into());
        let put_id: AttributeValue = match opts.attributes.get(&key) {
            Some(v) => v.clone(),
            None => uuid::Uuid::new_v4().simple().to_string().into(),
        };
        let mut check = self.put_id_check();
        let mut tagged = opts.clone();
        if check == PutIdCheck::Metadata {
            tagged.attributes.insert(key.clone(), put_id.clone());
        }
        let mut ambiguous = false;
        let mut backoff = self.backoff();
        loop {
            let err = match self
                .inner
                .put_opts(location, payload.clone(), tagged.clone())
                .await
            {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            if check == PutIdCheck::Metadata && refuses_attributes(&err) {
                // Refused before any I/O: not an attempt. Carry on checking by bytes.
                tracing::info!(store = %self.inner, "store keeps no user metadata; checking conditional writes by their bytes");
                self.attributes_refused.store(true, Ordering::Relaxed);
                check = PutIdCheck::Bytes;
                tagged = opts.clone();
                continue;
            }
            if matches!(
                err,
                Error::AlreadyExists { .. } | Error::Precondition { .. }
            ) {
                if check == PutIdCheck::Bytes && !ambiguous {
                    return Err(err);
                }
                match self.check_ours(location, &payload, &put_id, check).await {
                    Ok(Verdict::Ours(result)) => {
                        tracing::debug!(store = %self.inner, %location, "conflict resolved: the write was ours");
                        self.resolved_ours.fetch_add(1, Ordering::Relaxed);
                        return Ok(result);
                    }
                    Ok(Verdict::Absent) if opts.mode == PutMode::Create => {
                        // A conflict with nothing there: the other write failed (S3's 409 for concurrent
                        // conditional writes) or the object was deleted since. The key is free: try again.
                        if self.sleep_next(&mut backoff, "conditional put", &err).await {
                            continue;
                        }
                        return Err(err);
                    }
                    Ok(Verdict::Theirs | Verdict::Absent) => {
                        self.resolved_theirs.fetch_add(1, Ordering::Relaxed);
                        return Err(err);
                    }
                    Err(read) if ambiguous => {
                        return Err(self.unknown(location, err.to_string(), read));
                    }
                    // Nothing of ours was ambiguous as far as we saw: the store's answer stands.
                    Err(_) => return Err(err),
                }
            }
            let lost = err.to_string();
            match self.pause(&mut backoff, "conditional put", err).await {
                Ok(Failure::Ambiguous) => ambiguous = true,
                Ok(_) => {}
                Err(err) if ambiguous || classify(&err) == Failure::Ambiguous => {
                    // Out of attempts with the outcome open: one read-back may still prove it ours.
                    return match self.check_ours(location, &payload, &put_id, check).await {
                        Ok(Verdict::Ours(result)) => {
                            self.resolved_ours.fetch_add(1, Ordering::Relaxed);
                            Ok(result)
                        }
                        Ok(_) => Err(err),
                        Err(read) => Err(self.unknown(location, lost, read)),
                    };
                }
                Err(err) => return Err(err),
            }
        }
    }

    fn unknown(&self, location: &Path, lost: String, read: Error) -> Error {
        self.unknown.fetch_add(1, Ordering::Relaxed);
        Error::Generic {
            store: "RetryingStore",
            source: Box::new(OutcomeUnknown {
                path: location.to_string(),
                lost,
                then: format!("reading it back failed: {read}"),
            }),
        }
    }

    /// Reads the object back to see whose it is.
    async fn check_ours(
        &self,
        location: &Path,
        payload: &PutPayload,
        put_id: &AttributeValue,
        check: PutIdCheck,
    ) -> Result<Verdict> {
        let head = check == PutIdCheck::Metadata;
        let found = self
            .run("read-back", || {
                self.inner.get_opts(
                    location,
                    GetOptions {
                        head,
                        ..Default::default()
                    },
                )
            })
            .await;
        let got = match found {
            Ok(got) => got,
            Err(Error::NotFound { .. }) => return Ok(Verdict::Absent),
            Err(e) => return Err(e),
        };
        let result = PutResult {
            e_tag: got.meta.e_tag.clone(),
            version: got.meta.version.clone(),
            extensions: Default::default(),
        };
        let ours = match check {
            PutIdCheck::Metadata => {
                got.attributes
                    .get(&Attribute::Metadata(PUT_ID_ATTRIBUTE.into()))
                    == Some(put_id)
            }
            PutIdCheck::Bytes => {
                got.meta.size == payload.content_length() as u64
                    && got.bytes().await? == Bytes::from(payload.clone())
            }
        };
        Ok(if ours {
            Verdict::Ours(result)
        } else {
            Verdict::Theirs
        })
    }

    /// Deletes one batch, retrying the paths that failed transiently. A path whose earlier attempt was
    /// ambiguous and that is then not found was deleted by that attempt.
    async fn delete_batch(&self, batch: Vec<Result<Path>>) -> Vec<Result<Path>> {
        let mut out: Vec<Option<Result<Path>>> = Vec::with_capacity(batch.len());
        let mut pending: Vec<(usize, Path, bool)> = Vec::new();
        for (i, item) in batch.into_iter().enumerate() {
            match item {
                Ok(p) => {
                    pending.push((i, p, false));
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(e))),
            }
        }
        let mut backoff = self.backoff();
        while !pending.is_empty() {
            let paths: Vec<Result<Path>> = pending.iter().map(|(_, p, _)| Ok(p.clone())).collect();
            let results: Vec<Result<Path>> = self
                .inner
                .delete_stream(stream::iter(paths).boxed())
                .collect()
                .await;
            if results.len() != pending.len() {
                // A store-wide failure without one answer per path: pass it on as it came.
                return out.into_iter().flatten().chain(results).collect();
            }
            let mut again = Vec::new();
            let mut last_err = None;
            for ((i, path, was_ambiguous), result) in pending.into_iter().zip(results) {
                match result {
                    Ok(p) => out[i] = Some(Ok(p)),
                    Err(Error::NotFound { .. }) if was_ambiguous => out[i] = Some(Ok(path)),
                    Err(e) => match classify(&e) {
                        Failure::Permanent => out[i] = Some(Err(e)),
                        f => {
                            again.push((i, path, was_ambiguous || f == Failure::Ambiguous));
                            last_err = Some(e);
                        }
                    },
                }
            }
            pending = again;
            if let Some(err) = last_err {
                let text = err.to_string();
                if self.pause(&mut backoff, "delete", err).await.is_err() {
                    for (i, path, _) in pending.drain(..) {
                        out[i] = Some(Err(Error::Generic {
                            store: "RetryingStore",
                            source: format!("deleting `{path}` failed after retries: {text}")
                                .into(),
                        }));
                    }
                }
            }
        }
        out.into_iter().flatten().collect()
    }

    /// A listing retried until its first item arrives; once items have been handed out it cannot restart
    /// without repeating them, so later errors pass through.
    fn list_retrying<F>(self: Arc<Self>, open: F) -> BoxStream<'static, Result<ObjectMeta>>
    where
        F: Fn(&Shared) -> BoxStream<'static, Result<ObjectMeta>> + Send + 'static,
    {
        stream::once(async move {
            let mut backoff = self.backoff();
            loop {
                let mut listing = open(&self);
                match listing.next().await {
                    Some(Err(e)) => {
                        if let Err(e) = self.pause(&mut backoff, "list", e).await {
                            return stream::iter([Err(e)]).boxed();
                        }
                    }
                    first => return stream::iter(first).chain(listing).boxed(),
                }
            }
        })
        .flatten()
        .boxed()
    }
}

/// `LocalFileSystem` (and any store like it) refuses attributes before doing anything.
fn refuses_attributes(err: &Error) -> bool {
    match err {
        Error::NotImplemented { operation, .. } => operation.contains("attributes"),
        Error::NotSupported { source } => source.to_string().contains("attribute"),
        _ => false,
    }
}

#[async_trait]
impl ObjectStore for RetryingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let s = &self.shared;
        match opts.mode {
            PutMode::Overwrite => {
                s.run("put", || {
                    s.inner.put_opts(location, payload.clone(), opts.clone())
                })
                .await
            }
            PutMode::Create | PutMode::Update(_) => {
                s.put_conditional(location, payload, opts).await
            }
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let s = &self.shared;
        s.run("put_multipart", || {
            s.inner.put_multipart_opts(location, opts.clone())
        })
        .await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let s = &self.shared;
        s.run("get", || s.inner.get_opts(location, options.clone()))
            .await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let s = &self.shared;
        s.run("get_ranges", || s.inner.get_ranges(location, ranges))
            .await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let shared = self.shared.clone();
        locations
            .ready_chunks(DELETE_BATCH)
            .then(move |batch| {
                let shared = shared.clone();
                async move { shared.delete_batch(batch).await }
            })
            .flat_map(stream::iter)
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let prefix = prefix.cloned();
        self.shared
            .clone()
            .list_retrying(move |s| s.inner.list(prefix.as_ref()))
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let prefix = prefix.cloned();
        let offset = offset.clone();
        self.shared
            .clone()
            .list_retrying(move |s| s.inner.list_with_offset(prefix.as_ref(), &offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let s = &self.shared;
        s.run("list_with_delimiter", || {
            s.inner.list_with_delimiter(prefix)
        })
        .await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        let s = &self.shared;
        let attempt = || s.inner.copy_opts(from, to, options.clone());
        match options.mode {
            CopyMode::Overwrite => s.run("copy", attempt).await,
            CopyMode::Create => s.run_unless_ambiguous("copy", attempt).await,
        }
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        // Never idempotent: the source goes away. An `Overwrite` rename repeated after an ambiguous attempt
        // would report the source missing; a `Create` one, the target present.
        let s = &self.shared;
        s.run_unless_ambiguous("rename", || s.inner.rename_opts(from, to, options.clone()))
            .await
    }
}
