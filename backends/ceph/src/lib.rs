//! Ceph RADOS Gateway: the S3 backend with the `ceph` profile.
//!
//! What sets RGW apart (measured on RGW 16.2 and 18.2): `If-None-Match: *` is atomic, so RGW can hold metadata;
//! `If-Match` is not atomic under racing writers and refuses the quoted ETag RGW itself hands out, so conditional
//! updates are declared absent; CompleteMultipartUpload ignores `If-None-Match` and DELETE ignores `If-Match`, so
//! create-if-absent is only ever relied on for single-part PUTs.

use automq_backend::BackendError;
use automq_backend_s3::{Profile, S3Backend, S3Config};

/// Opens an `s3://` location served by Ceph RGW. The location may omit `profile=`; any other profile is refused.
pub fn open(uri: &str) -> Result<S3Backend, BackendError> {
    let with_profile = if uri.contains("profile=") {
        uri.to_string()
    } else if uri.contains('?') {
        format!("{uri}&profile=ceph")
    } else {
        format!("{uri}?profile=ceph")
    };
    let config = S3Config::from_uri(&with_profile)?;
    if config.profile != Profile::Ceph {
        return Err(BackendError::Config {
            uri: automq_backend_s3::redact(uri),
            message: format!(
                "profile `{}` given for a Ceph RGW location; use profile=ceph",
                config.profile.name()
            ),
        });
    }
    S3Backend::new(config)
}

#[cfg(test)]
mod tests {
    use automq_backend::Backend;

    #[test]
    fn ceph_profile_is_implied_and_enforced() {
        let b = super::open("s3://b?endpoint=http://127.0.0.1:7480").unwrap();
        assert!(b.capabilities().create_if_absent && !b.capabilities().conditional_update);
        assert!(super::open("s3://b?endpoint=http://127.0.0.1:7480&profile=minio").is_err());
    }
}
