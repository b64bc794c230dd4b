//! Smoke test against a real Ceph RADOS Gateway from `dev/peers` (run by `dev/test`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod ceph {
    #[tokio::test]
    #[ignore = "peer: ceph (dev/test runs it)"]
    async fn bucket_create_put_get() {
        let env = automq_testkit::peers::env("ceph");
        let bucket = format!(
            "automq-smoke-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let backend = automq_backend_ceph::open(&format!(
            "s3://{bucket}/prefix?endpoint={}&region={}&access_key_id={}&secret_access_key={}",
            env["ENDPOINT"], env["REGION"], env["ACCESS_KEY"], env["SECRET_KEY"]
        ))
        .unwrap();
        println!("{}", automq_testkit::store::smoke(&backend).await);
    }
}
