//! Smoke tests against real S3 servers from `dev/peers` (run by `dev/test`; ignored in the hermetic tier).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use automq_backend_s3::S3Backend;
use automq_testkit::peers;

/// A backend for a fresh bucket on the named peer, with that peer's profile.
pub fn backend(peer: &str, profile: &str) -> S3Backend {
    let env = peers::env(peer);
    let bucket = format!(
        "automq-smoke-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    S3Backend::from_uri(&format!(
        "s3://{bucket}/prefix?profile={profile}&endpoint={}&region={}&access_key_id={}&secret_access_key={}",
        env["ENDPOINT"], env["REGION"], env["ACCESS_KEY"], env["SECRET_KEY"]
    ))
    .unwrap()
}

mod minio {
    use automq_backend::{Backend, BackendError};

    #[tokio::test]
    #[ignore = "peer: minio (dev/test runs it)"]
    async fn bucket_create_put_get() {
        println!(
            "{}",
            automq_testkit::store::smoke(&super::backend("minio", "minio")).await
        );
    }

    /// https:// against a plain-HTTP server fails in the TLS handshake: the message points at the scheme.
    #[tokio::test]
    #[ignore = "peer: minio (dev/test runs it)"]
    async fn https_against_an_http_endpoint_is_named() {
        let env = automq_testkit::peers::env("minio");
        let endpoint = env["ENDPOINT"].replace("http://", "https://");
        let uri = format!(
            "s3://b?profile=minio&endpoint={endpoint}&access_key_id={}&secret_access_key={}&timeout_ms=10000",
            env["ACCESS_KEY"], env["SECRET_KEY"]
        );
        let e = automq_backend_s3::S3Backend::from_uri(&uri)
            .unwrap()
            .probe()
            .await
            .unwrap_err();
        assert!(matches!(e, BackendError::Unreachable { .. }), "{e}");
        assert!(e.to_string().contains("http:// versus https://"), "{e}");
    }

    /// MinIO checks signatures, so it can tell a wrong secret from a missing bucket.
    #[tokio::test]
    #[ignore = "peer: minio (dev/test runs it)"]
    async fn wrong_secret_and_missing_bucket_are_named() {
        let env = automq_testkit::peers::env("minio");
        let uri = |bucket: &str, secret: &str| {
            format!(
                "s3://{bucket}?profile=minio&endpoint={}&access_key_id={}&secret_access_key={secret}",
                env["ENDPOINT"], env["ACCESS_KEY"]
            )
        };
        let missing =
            automq_backend_s3::S3Backend::from_uri(&uri("no-such-bucket-here", &env["SECRET_KEY"]))
                .unwrap();
        let e = missing.probe().await.unwrap_err();
        assert!(matches!(e, BackendError::Missing { .. }), "{e}");
        assert!(
            e.to_string().contains("no-such-bucket-here")
                && e.to_string().contains("does not exist"),
            "{e}"
        );

        let wrong =
            automq_backend_s3::S3Backend::from_uri(&uri("no-such-bucket-here", "not-the-secret"))
                .unwrap();
        let e = wrong.probe().await.unwrap_err();
        assert!(matches!(e, BackendError::Credentials { .. }), "{e}");
        assert!(
            !e.to_string().contains("not-the-secret"),
            "the secret is never shown: {e}"
        );
    }
}

mod moto {
    #[tokio::test]
    #[ignore = "peer: moto (dev/test runs it)"]
    async fn bucket_create_put_get() {
        println!(
            "{}",
            automq_testkit::store::smoke(&super::backend("moto", "aws")).await
        );
    }
}

mod s3rver {
    /// s3rver ignores PUT preconditions: as profile `plain` we declare create-if-absent absent, and the smoke
    /// routine checks that PutMode::Create is refused as unsupported rather than silently overwriting.
    #[tokio::test]
    #[ignore = "peer: s3rver (dev/test runs it)"]
    async fn bucket_create_put_get() {
        println!(
            "{}",
            automq_testkit::store::smoke(&super::backend("s3rver", "plain")).await
        );
    }
}
