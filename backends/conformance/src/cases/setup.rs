//! Getting a store to test: provisioning (twice, since it must be idempotent), probing, building the store.

use std::sync::Arc;

use automq_backend::Backend;
use object_store::ObjectStore;

pub async fn provision_and_probe(backend: &dyn Backend) -> Result<Arc<dyn ObjectStore>, String> {
    backend
        .provision()
        .await
        .map_err(|e| format!("provision: {e}"))?;
    backend
        .provision()
        .await
        .map_err(|e| format!("provision a second time (it must be idempotent): {e}"))?;
    backend.probe().await.map_err(|e| format!("probe: {e}"))?;
    backend
        .object_store()
        .map_err(|e| format!("building the object store: {e}"))
}
