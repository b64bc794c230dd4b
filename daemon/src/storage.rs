//! Opening the configured storage location, and the cluster identity kept with the data.

use automq_backend::{Backend, BackendError};
use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

pub use automq_backends::open as open_backend;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("{uri}: cannot read or write the cluster id at `{key}`: {source}")]
    Store {
        uri: String,
        key: &'static str,
        #[source]
        source: object_store::Error,
    },
    #[error(
        "{uri} holds data of cluster `{stored}`, but the configuration says cluster_id `{configured}`; \
         point storage.data elsewhere or drop cluster_id from the configuration"
    )]
    Mismatch {
        uri: String,
        stored: String,
        configured: String,
    },
    #[error("{uri}: the cluster id stored at `{key}` is not valid UTF-8 text")]
    Corrupt { uri: String, key: &'static str },
}

const CLUSTER_ID_KEY: &str = "cluster/id";

/// Returns the cluster id kept with the data, writing `configured` (or a new id) on first start. The write is
/// create-if-absent, so two brokers starting at once on one location agree on one id.
pub async fn cluster_identity(
    backend: &dyn Backend,
    store: &dyn ObjectStore,
    configured: Option<&str>,
) -> Result<String, IdentityError> {
    let uri = backend.display_uri();
    let key = Path::from(CLUSTER_ID_KEY);
    let store_err = |source| IdentityError::Store {
        uri: uri.clone(),
        key: CLUSTER_ID_KEY,
        source,
    };
    let read = |bytes: Bytes| {
        String::from_utf8(bytes.to_vec())
            .map(|s| s.trim().to_string())
            .map_err(|_| IdentityError::Corrupt {
                uri: uri.clone(),
                key: CLUSTER_ID_KEY,
            })
    };
    let stored = match store.get(&key).await {
        Ok(got) => Some(read(got.bytes().await.map_err(store_err)?)?),
        Err(object_store::Error::NotFound { .. }) => None,
        Err(e) => return Err(store_err(e)),
    };
    let stored = match stored {
        Some(s) => s,
        None => {
            let fresh = configured
                .map(str::to_string)
                .unwrap_or_else(new_cluster_id);
            let opts = PutOptions {
                mode: PutMode::Create,
                ..Default::default()
            };
            match store
                .put_opts(&key, PutPayload::from(fresh.clone().into_bytes()), opts)
                .await
            {
                Ok(_) => fresh,
                Err(object_store::Error::AlreadyExists { .. }) => read(
                    store
                        .get(&key)
                        .await
                        .map_err(store_err)?
                        .bytes()
                        .await
                        .map_err(store_err)?,
                )?,
                Err(e) => return Err(store_err(e)),
            }
        }
    };
    match configured {
        Some(c) if c != stored => Err(IdentityError::Mismatch {
            uri,
            stored,
            configured: c.to_string(),
        }),
        _ => Ok(stored),
    }
}

/// A Kafka-style cluster id: 16 random bytes in unpadded URL-safe base64 (22 characters).
pub fn new_cluster_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut out = String::with_capacity(22);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(ALPHABET[((acc >> bits) & 63) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (6 - bits)) & 63) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_id_sticks_and_a_conflicting_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let backend = open_backend(dir.path().join("data").to_str().unwrap()).unwrap();
        backend.provision().await.unwrap();
        let store = backend.object_store().unwrap();
        let first = cluster_identity(backend.as_ref(), store.as_ref(), None)
            .await
            .unwrap();
        assert_eq!(first.len(), 22);
        let again = cluster_identity(backend.as_ref(), store.as_ref(), None)
            .await
            .unwrap();
        assert_eq!(first, again);
        let e = cluster_identity(backend.as_ref(), store.as_ref(), Some("other"))
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains(&first) && e.to_string().contains("other"),
            "{e}"
        );
    }
}
