//! One call to open any storage location: the scheme (and the S3 profile) picks the backend.
//!
//! Binaries (`automqd`, `automqctl`) depend on this crate; the engine depends only on `automq-backend`'s trait.

use std::sync::Arc;

use automq_backend::wrappers::{MetricsStore, RetryingStore};
pub use automq_backend::wrappers::{ObjectStoreMetrics, PutIdCheck, RetryPolicy};
pub use automq_backend::{
    Backend, BackendError, Capabilities, LocalBackend, MemoryBackend, StorageUri,
};
use object_store::ObjectStore;

/// Opens a location: a path or `file:///…`, `memory://`, `s3://…` (with `profile=aws|minio|ceph|cubefs|plain`),
/// or `hdfs://…`. Only parses and checks the location; nothing is contacted until `probe` or `provision`.
pub fn open(uri: &str) -> Result<Arc<dyn Backend>, BackendError> {
    Ok(match StorageUri::parse(uri)? {
        StorageUri::Local(path) => Arc::new(LocalBackend::new(path)),
        StorageUri::Memory => Arc::new(MemoryBackend::default()),
        StorageUri::S3 { params, .. }
            if params.get("profile").map(String::as_str) == Some("ceph") =>
        {
            Arc::new(automq_backend_ceph::open(uri)?)
        }
        StorageUri::S3 { .. } => Arc::new(automq_backend_s3::S3Backend::from_uri(uri)?),
        StorageUri::Hdfs { .. } => Arc::new(automq_backend_hdfs::HdfsBackend::from_uri(uri)?),
    })
}

/// The store the engine works on: the backend's store with metrics counting every request the server really
/// serves, under retries that resolve lost answers to conditional writes by a put id where the backend keeps user
/// metadata, and by comparing bytes where it does not. `role` labels the metrics (`data`, `wal`, `meta`).
pub fn engine_store(
    backend: &dyn Backend,
    metrics: &ObjectStoreMetrics,
    role: &str,
) -> Result<Arc<dyn ObjectStore>, BackendError> {
    let raw = backend.object_store()?;
    let counted: Arc<dyn ObjectStore> = Arc::new(MetricsStore::new(raw, metrics, role));
    let put_id = if backend.capabilities().user_metadata {
        PutIdCheck::Metadata
    } else {
        PutIdCheck::Bytes
    };
    Ok(Arc::new(RetryingStore::new(
        counted,
        RetryPolicy {
            put_id,
            ..RetryPolicy::default()
        },
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scheme_and_profile_pick_the_backend() {
        assert!(
            super::open("./data")
                .unwrap()
                .display_uri()
                .starts_with("file://")
        );
        assert!(
            super::open("memory://")
                .unwrap()
                .display_uri()
                .starts_with("memory://")
        );
        let ceph = super::open("s3://b?profile=ceph&endpoint=http://127.0.0.1:7480").unwrap();
        assert!(ceph.capabilities().create_if_absent && !ceph.capabilities().conditional_update);
        let plain = super::open("s3://b?profile=plain&endpoint=http://127.0.0.1:5051").unwrap();
        assert!(!plain.capabilities().create_if_absent);
        assert!(
            super::open("hdfs://127.0.0.1:8020/x")
                .unwrap()
                .display_uri()
                .starts_with("hdfs://")
        );
        assert!(super::open("ftp://x").is_err());
    }

    #[tokio::test]
    async fn the_engine_store_counts_what_the_server_serves() {
        use object_store::{ObjectStoreExt, PutPayload, path::Path};
        let mut registry = prometheus_client::registry::Registry::default();
        let metrics = super::ObjectStoreMetrics::register(&mut registry);
        let backend = super::open("memory://").unwrap();
        let store = super::engine_store(backend.as_ref(), &metrics, "data").unwrap();
        store
            .put(&Path::from("k"), PutPayload::from_static(b"12345"))
            .await
            .unwrap();
        assert_eq!(
            store
                .get(&Path::from("k"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .as_ref(),
            b"12345"
        );
        assert_eq!(metrics.bytes_written("data"), 5);
        assert_eq!(metrics.bytes_read("data"), 5);
    }
}
