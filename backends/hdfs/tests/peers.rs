//! Smoke tests against a real HDFS (MiniDFS) from `dev/peers` (run by `dev/test`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod hdfs {
    use automq_backend::{Backend, BackendError};
    use automq_backend_hdfs::HdfsBackend;
    use std::time::{Duration, Instant};

    #[tokio::test]
    #[ignore = "peer: hdfs (dev/test runs it)"]
    async fn write_and_read_through_hdfs_native() {
        let env = automq_testkit::peers::env("hdfs");
        let dir = format!(
            "/automq-smoke-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let backend = HdfsBackend::from_uri(&format!("{}{dir}", env["URL"])).unwrap();
        println!("{}", automq_testkit::store::smoke(&backend).await);
    }

    /// A namenode that is not there fails in seconds with the address, not after minutes of retries.
    #[tokio::test]
    #[ignore = "peer: hdfs (dev/test runs it)"]
    async fn an_unreachable_namenode_fails_fast_and_names_itself() {
        let backend = HdfsBackend::from_uri("hdfs://127.0.0.1:1/automq?timeout_ms=5000").unwrap();
        let t = Instant::now();
        let e = backend.probe().await.unwrap_err();
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "took {:?}",
            t.elapsed()
        );
        assert!(matches!(e, BackendError::Unreachable { .. }), "{e}");
        assert!(e.to_string().contains("hdfs://127.0.0.1:1"), "{e}");
    }
}
