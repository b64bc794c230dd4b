//! One call to open any storage location: the scheme (and the S3 profile) picks the backend.
//!
//! Binaries (`automqd`, `automqctl`) depend on this crate; the engine depends only on `automq-backend`'s trait.

use std::sync::Arc;

pub use automq_backend::{
    Backend, BackendError, Capabilities, LocalBackend, MemoryBackend, StorageUri,
};

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
}
