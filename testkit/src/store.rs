//! One storage smoke routine that every backend's peer test runs: it proves the server is up and that our
//! backend speaks to it (provision, probe, put, get, ranged get, list, delete, create-if-absent as declared).

use automq_backend::Backend;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};

/// Runs the smoke routine under a fresh key prefix and returns what it saw, for the test's output.
pub async fn smoke(backend: &dyn Backend) -> String {
    backend
        .provision()
        .await
        .unwrap_or_else(|e| panic!("provision: {e}"));
    backend
        .provision()
        .await
        .unwrap_or_else(|e| panic!("provision is not idempotent: {e}"));
    backend
        .probe()
        .await
        .unwrap_or_else(|e| panic!("probe: {e}"));
    let store = backend
        .object_store()
        .unwrap_or_else(|e| panic!("object store: {e}"));
    let run = uuid::Uuid::new_v4().simple().to_string();
    let key = |name: &str| Path::from(format!("smoke/{run}/{name}"));

    let data = Bytes::from((0..100_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    store
        .put(&key("a"), PutPayload::from(data.clone()))
        .await
        .unwrap_or_else(|e| panic!("put: {e}"));
    let got = store
        .get(&key("a"))
        .await
        .unwrap_or_else(|e| panic!("get: {e}"))
        .bytes()
        .await
        .unwrap();
    assert_eq!(got, data, "get returns what put wrote");
    let range = store
        .get_range(&key("a"), 1_000..1_100)
        .await
        .unwrap_or_else(|e| panic!("ranged get: {e}"));
    assert_eq!(
        range,
        data.slice(1_000..1_100),
        "ranged get returns exactly the range"
    );

    store
        .put(&key("b"), PutPayload::from_static(b"b"))
        .await
        .unwrap();
    let mut listed: Vec<String> = store
        .list(Some(&Path::from(format!("smoke/{run}"))))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("list: {e}"));
    listed.sort();
    assert_eq!(
        listed,
        [key("a").to_string(), key("b").to_string()],
        "list shows both keys"
    );

    let create = PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    let second = store
        .put_opts(&key("a"), PutPayload::from_static(b"overwrite"), create)
        .await;
    let caps = backend.capabilities();
    if caps.create_if_absent {
        assert!(
            matches!(second, Err(object_store::Error::AlreadyExists { .. })),
            "create-if-absent on an existing key must fail with AlreadyExists, got {second:?}"
        );
    } else {
        assert!(
            matches!(second, Err(object_store::Error::NotImplemented { .. })),
            "a store without create-if-absent must refuse PutMode::Create, got {second:?}"
        );
    }
    let still = store.get(&key("a")).await.unwrap().bytes().await.unwrap();
    assert_eq!(
        still, data,
        "a refused create-if-absent leaves the object untouched"
    );

    store
        .delete(&key("a"))
        .await
        .unwrap_or_else(|e| panic!("delete: {e}"));
    store.delete(&key("b")).await.unwrap();
    assert!(
        matches!(
            store.get(&key("a")).await,
            Err(object_store::Error::NotFound { .. })
        ),
        "deleted"
    );
    format!("{}: {caps:?}", backend.display_uri())
}
