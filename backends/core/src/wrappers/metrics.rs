//! [`MetricsStore`]: what a store did, as Prometheus metrics the daemon can expose.
//!
//! The metric families live in one [`ObjectStoreMetrics`], registered once in a
//! `prometheus_client::registry::Registry`; each store (data, WAL, metadata) gets its own [`MetricsStore`]
//! over those families, told apart by a `store` label. Registering the families once matters: two
//! registrations of one name would print the family twice, which scrapers reject.
//!
//! Families (names as scraped, before any registry prefix):
//!
//! - `object_store_operations_total{store, op}`: calls, failed ones included;
//! - `object_store_errors_total{store, op, kind}`: failures by [`error_kind`](super::error_kind);
//! - `object_store_read_bytes_total{store}` and `object_store_written_bytes_total{store}`: payload bytes of
//!   successful reads and writes;
//! - `object_store_operation_duration_seconds{store, op}`: latency histogram, 0.5 ms to about 33 s.
//!
//! What is measured when: a GET's latency is to its answer's start (the body streams later), its bytes are
//! counted as the body is read (a local file's whole range at once, when the answer comes: streaming it here
//! would undo `LocalFileSystem`'s direct file reads); a listing's latency is the whole listing, taken when it
//! ends; a `delete_stream` counts one operation per path, with the time since the previous path's answer.
//! Multipart parts count their bytes under `put_multipart` when each part succeeds. Time is tokio's clock, so
//! under `tokio::time::pause` latencies are exact and tests can assert them.
//!
//! For tests, [`ObjectStoreMetrics`] reads counts back and [`LatencySnapshot`] estimates quantiles from the
//! histogram buckets, reading the very text a scrape would get.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, Error, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
    Result, UploadPart,
};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tokio::time::Instant;

use super::{Op, error_kind};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabels {
    store: String,
    op: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    store: String,
    op: &'static str,
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    store: String,
}

type HistogramFamily = Family<OpLabels, Histogram, fn() -> Histogram>;

const DURATION: &str = "object_store_operation_duration";

fn new_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 17))
}

/// The metric families of every wrapped store; cheap to clone (clones share the same series).
#[derive(Debug, Clone)]
pub struct ObjectStoreMetrics {
    operations: Family<OpLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    read_bytes: Family<StoreLabels, Counter>,
    written_bytes: Family<StoreLabels, Counter>,
    duration: HistogramFamily,
}

impl ObjectStoreMetrics {
    /// Creates the families and registers them in `registry`. Call once per registry.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            operations: Family::default(),
            errors: Family::default(),
            read_bytes: Family::default(),
            written_bytes: Family::default(),
            duration: HistogramFamily::new_with_constructor(new_histogram),
        };
        registry.register(
            "object_store_operations",
            "Object store calls, failed ones included",
            metrics.operations.clone(),
        );
        registry.register(
            "object_store_errors",
            "Failed object store calls, by kind of failure",
            metrics.errors.clone(),
        );
        registry.register(
            "object_store_read_bytes",
            "Payload bytes read from the object store",
            metrics.read_bytes.clone(),
        );
        registry.register(
            "object_store_written_bytes",
            "Payload bytes written to the object store",
            metrics.written_bytes.clone(),
        );
        metrics.register_duration(registry);
        metrics
    }

    fn register_duration(&self, registry: &mut Registry) {
        registry.register_with_unit(
            DURATION,
            "Latency of object store calls",
            Unit::Seconds,
            self.duration.clone(),
        );
    }

    /// Calls of `op` on the store named `store`.
    pub fn operations(&self, store: &str, op: Op) -> u64 {
        let labels = OpLabels {
            store: store.into(),
            op: op.as_str(),
        };
        self.operations.get(&labels).map(|c| c.get()).unwrap_or(0)
    }

    /// Failures of `op` of the given [`error_kind`](super::error_kind).
    pub fn errors(&self, store: &str, op: Op, kind: &str) -> u64 {
        // Label values are 'static in the family; find the one that matches.
        let Some(kind) = KINDS.iter().find(|k| **k == kind) else {
            return 0;
        };
        let labels = ErrorLabels {
            store: store.into(),
            op: op.as_str(),
            kind,
        };
        self.errors.get(&labels).map(|c| c.get()).unwrap_or(0)
    }

    pub fn bytes_read(&self, store: &str) -> u64 {
        let labels = StoreLabels {
            store: store.into(),
        };
        self.read_bytes.get(&labels).map(|c| c.get()).unwrap_or(0)
    }

    pub fn bytes_written(&self, store: &str) -> u64 {
        let labels = StoreLabels {
            store: store.into(),
        };
        self.written_bytes
            .get(&labels)
            .map(|c| c.get())
            .unwrap_or(0)
    }

    /// The latency histogram of `op`, read from its text exposition.
    pub fn latency(&self, store: &str, op: Op) -> LatencySnapshot {
        let mut registry = Registry::default();
        self.register_duration(&mut registry);
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &registry).is_err() {
            return LatencySnapshot::default();
        }
        LatencySnapshot::parse(&text, store, op.as_str())
    }
}

/// Every label value [`error_kind`](super::error_kind) produces.
const KINDS: [&str; 14] = [
    "not_found",
    "already_exists",
    "precondition",
    "not_modified",
    "not_implemented",
    "not_supported",
    "permission_denied",
    "unauthenticated",
    "invalid_path",
    "throttled",
    "timeout",
    "connection",
    "server",
    "other",
];

/// One operation's latency histogram at a moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencySnapshot {
    pub count: u64,
    pub sum_seconds: f64,
    /// (upper bound in seconds, observations at or below it), ascending, ending at +∞.
    pub buckets: Vec<(f64, u64)>,
}

impl LatencySnapshot {
    /// An upper estimate of quantile `q` (0..=1): the bound of the first bucket that holds it. `None` with no
    /// observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        self.buckets
            .iter()
            .find(|(_, cumulative)| *cumulative >= rank)
            .map(|(bound, _)| *bound)
    }

    fn parse(text: &str, store: &str, op: &str) -> Self {
        let mut snap = Self::default();
        let name = format!("{DURATION}_seconds");
        for line in text.lines() {
            let Some(rest) = line.strip_prefix(name.as_str()) else {
                continue;
            };
            let Some((suffix, rest)) = rest.split_once('{') else {
                continue;
            };
            let Some((labels, value)) = rest.rsplit_once("} ") else {
                continue;
            };
            let labels = parse_labels(labels);
            if labels.get("store").map(String::as_str) != Some(store)
                || labels.get("op").map(String::as_str) != Some(op)
            {
                continue;
            }
            let value: f64 = value.trim().parse().unwrap_or(0.0);
            match suffix {
                "_count" => snap.count = value as u64,
                "_sum" => snap.sum_seconds = value,
                "_bucket" => {
                    let bound = match labels.get("le").map(String::as_str) {
                        Some("+Inf") => f64::INFINITY,
                        Some(b) => b.parse().unwrap_or(f64::INFINITY),
                        None => continue,
                    };
                    snap.buckets.push((bound, value as u64));
                }
                _ => {}
            }
        }
        snap.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        snap
    }
}

/// `a="x",b="y"` → {a: x, b: y}. Our label values hold no quotes or commas.
fn parse_labels(s: &str) -> BTreeMap<String, String> {
    s.split("\",")
        .filter_map(|pair| pair.split_once("=\""))
        .map(|(k, v)| (k.trim().to_string(), v.trim_end_matches('"').to_string()))
        .collect()
}

/// The series of one store, resolved once so a call costs a few atomic adds.
#[derive(Debug)]
struct Handles {
    store: String,
    operations: Vec<Counter>,
    durations: Vec<Histogram>,
    read_bytes: Counter,
    written_bytes: Counter,
    errors: Family<ErrorLabels, Counter>,
}

impl Handles {
    fn finish<T>(&self, op: Op, start: Instant, result: &Result<T>) {
        self.operations[op.index()].inc();
        self.durations[op.index()].observe(start.elapsed().as_secs_f64());
        if let Err(e) = result {
            self.error(op, e);
        }
    }

    fn error(&self, op: Op, err: &Error) {
        self.errors
            .get_or_create(&ErrorLabels {
                store: self.store.clone(),
                op: op.as_str(),
                kind: error_kind(err),
            })
            .inc();
    }
}

/// Counts what the wrapped store does; see the module documentation.
#[derive(Debug, Clone)]
pub struct MetricsStore {
    inner: Arc<dyn ObjectStore>,
    handles: Arc<Handles>,
}

impl MetricsStore {
    /// Wraps `inner`, labelling its series `store="<name>"` (`data`, `wal`, `meta`, …).
    pub fn new(inner: Arc<dyn ObjectStore>, metrics: &ObjectStoreMetrics, name: &str) -> Self {
        let op_labels = |op: Op| OpLabels {
            store: name.into(),
            op: op.as_str(),
        };
        let store = StoreLabels { store: name.into() };
        let handles = Handles {
            store: name.into(),
            operations: Op::ALL
                .iter()
                .map(|op| metrics.operations.get_or_create_owned(&op_labels(*op)))
                .collect(),
            durations: Op::ALL
                .iter()
                .map(|op| metrics.duration.get_or_create_owned(&op_labels(*op)))
                .collect(),
            read_bytes: metrics.read_bytes.get_or_create_owned(&store),
            written_bytes: metrics.written_bytes.get_or_create_owned(&store),
            errors: metrics.errors.clone(),
        };
        Self {
            inner,
            handles: Arc::new(handles),
        }
    }

    pub fn name(&self) -> &str {
        &self.handles.store
    }
}

impl fmt::Display for MetricsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Metrics[{}]({})", self.handles.store, self.inner)
    }
}

/// A multipart upload whose parts' bytes and failures are counted.
#[derive(Debug)]
struct CountedUpload {
    inner: Box<dyn MultipartUpload>,
    handles: Arc<Handles>,
}

#[async_trait]
impl MultipartUpload for CountedUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let len = data.content_length() as u64;
        let part = self.inner.put_part(data);
        let handles = self.handles.clone();
        Box::pin(async move {
            let result = part.await;
            match &result {
                Ok(()) => {
                    handles.written_bytes.inc_by(len);
                }
                Err(e) => handles.error(Op::PutMultipart, e),
            };
            result
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        let result = self.inner.complete().await;
        if let Err(e) = &result {
            self.handles.error(Op::PutMultipart, e);
        }
        result
    }

    async fn abort(&mut self) -> Result<()> {
        self.inner.abort().await
    }
}

impl Handles {
    /// Counts a listing's errors as they come and its latency when it ends.
    fn observe_listing(
        self: Arc<Self>,
        op: Op,
        listing: BoxStream<'static, Result<ObjectMeta>>,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let start = Instant::now();
        self.operations[op.index()].inc();
        let on_item = self.clone();
        listing
            .inspect(move |item| {
                if let Err(e) = item {
                    on_item.error(op, e);
                }
            })
            .chain(
                stream::once(async move {
                    self.durations[op.index()].observe(start.elapsed().as_secs_f64());
                })
                .filter_map(|()| async { None }),
            )
            .boxed()
    }
}

#[async_trait]
impl ObjectStore for MetricsStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let start = Instant::now();
        let len = payload.content_length() as u64;
        let result = self.inner.put_opts(location, payload, opts).await;
        self.handles.finish(Op::Put, start, &result);
        if result.is_ok() {
            self.handles.written_bytes.inc_by(len);
        }
        result
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let start = Instant::now();
        let result = self.inner.put_multipart_opts(location, opts).await;
        self.handles.finish(Op::PutMultipart, start, &result);
        let upload = result?;
        Ok(Box::new(CountedUpload {
            inner: upload,
            handles: self.handles.clone(),
        }))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let op = Op::of_get(&options);
        let start = Instant::now();
        let result = self.inner.get_opts(location, options).await;
        self.handles.finish(op, start, &result);
        let mut got = result?;
        if op == Op::Head {
            return Ok(got);
        }
        got.payload = match got.payload {
            GetResultPayload::Stream(body) => {
                let handles = self.handles.clone();
                GetResultPayload::Stream(
                    body.inspect(move |chunk| match chunk {
                        Ok(bytes) => {
                            handles.read_bytes.inc_by(bytes.len() as u64);
                        }
                        Err(e) => handles.error(Op::Get, e),
                    })
                    .boxed(),
                )
            }
            file => {
                self.handles
                    .read_bytes
                    .inc_by(got.range.end.saturating_sub(got.range.start));
                file
            }
        };
        Ok(got)
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let start = Instant::now();
        let result = self.inner.get_ranges(location, ranges).await;
        self.handles.finish(Op::GetRanges, start, &result);
        if let Ok(parts) = &result {
            let n: usize = parts.iter().map(Bytes::len).sum();
            self.handles.read_bytes.inc_by(n as u64);
        }
        result
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let handles = self.handles.clone();
        let mut last = Instant::now();
        self.inner
            .delete_stream(locations)
            .inspect(move |item| {
                handles.finish(Op::Delete, last, item);
                last = Instant::now();
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.handles
            .clone()
            .observe_listing(Op::List, self.inner.list(prefix))
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.handles
            .clone()
            .observe_listing(Op::List, self.inner.list_with_offset(prefix, offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let start = Instant::now();
        let result = self.inner.list_with_delimiter(prefix).await;
        self.handles.finish(Op::ListWithDelimiter, start, &result);
        result
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        let start = Instant::now();
        let result = self.inner.copy_opts(from, to, options).await;
        self.handles.finish(Op::Copy, start, &result);
        result
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        let start = Instant::now();
        let result = self.inner.rename_opts(from, to, options).await;
        self.handles.finish(Op::Rename, start, &result);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_from_buckets() {
        let snap = LatencySnapshot {
            count: 4,
            sum_seconds: 0.0,
            buckets: vec![(0.001, 1), (0.01, 3), (0.1, 4), (f64::INFINITY, 4)],
        };
        assert_eq!(snap.quantile(0.25), Some(0.001));
        assert_eq!(snap.quantile(0.5), Some(0.01));
        assert_eq!(snap.quantile(1.0), Some(0.1));
        assert_eq!(LatencySnapshot::default().quantile(0.5), None);
    }

    #[test]
    fn every_error_kind_is_known() {
        use object_store::Error;
        let errors = [
            Error::NotFound {
                path: "p".into(),
                source: "x".into(),
            },
            Error::Generic {
                store: "s",
                source: "odd".into(),
            },
        ];
        for e in &errors {
            assert!(KINDS.contains(&error_kind(e)), "{}", error_kind(e));
        }
    }
}
