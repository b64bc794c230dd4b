//! The HDFS backend, over the native Rust client (hdfs-native) and its `object_store` adapter.
//!
//! A location is `hdfs://namenode:port/path` (or `hdfs://nameservice/path` with HA settings). Hadoop client
//! settings pass through as query parameters named like Hadoop's own keys (`dfs.client.…`, `hadoop.security.…`);
//! Kerberos works as in hdfs-native (a ticket cache or `KRB5CCNAME`).
//!
//! The client retries a dead namenode for minutes by default; we bound every probe with a timeout and lower the
//! failover retries so a wrong address fails in seconds with a clear message.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use automq_backend::{Backend, BackendError, Capabilities, StorageUri};
use hdfs_native::{Client, ClientBuilder};
use hdfs_native_object_store::HdfsObjectStore;
use object_store::ObjectStore;

mod tidy;
pub use tidy::TidyHdfsStore;

/// How long a probe or provisioning step may take before the namenode is called unreachable.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug)]
pub struct HdfsBackend {
    authority: String,
    path: String,
    client: Client,
    probe_timeout: Duration,
}

impl HdfsBackend {
    pub fn from_uri(raw: &str) -> Result<Self, BackendError> {
        let StorageUri::Hdfs {
            authority,
            path,
            params,
        } = StorageUri::parse(raw)?
        else {
            return Err(BackendError::Config {
                uri: raw.into(),
                message: "is not an hdfs:// location".into(),
            });
        };
        let mut config: HashMap<String, String> = HashMap::new();
        // Fail over quickly: the defaults retry a closed port for minutes.
        config.insert("dfs.client.failover.max.attempts".into(), "1".into());
        config.insert("dfs.client.failover.sleep.base.millis".into(), "200".into());
        config.insert("dfs.client.failover.sleep.max.millis".into(), "1000".into());
        let mut probe_timeout = DEFAULT_PROBE_TIMEOUT;
        for (k, v) in params {
            if k == "timeout_ms" {
                let ms: u64 = v.parse().map_err(|_| BackendError::Config {
                    uri: raw.into(),
                    message: format!("timeout_ms=`{v}`: expected milliseconds"),
                })?;
                probe_timeout = Duration::from_millis(ms);
            } else if k.starts_with("dfs.") || k.starts_with("hadoop.") || k.starts_with("fs.") {
                config.insert(k, v);
            } else {
                return Err(BackendError::Config {
                    uri: raw.into(),
                    message: format!(
                        "unknown parameter `{k}`; pass Hadoop settings by their dfs.*/hadoop.* names"
                    ),
                });
            }
        }
        let client = ClientBuilder::new()
            .with_url(&authority)
            .with_config(config)
            .build()
            .map_err(|e| BackendError::Config {
                uri: raw.into(),
                message: e.to_string(),
            })?;
        let path = if path.is_empty() { "/".into() } else { path };
        Ok(Self {
            authority,
            path,
            client,
            probe_timeout,
        })
    }

    fn unreachable(&self, what: &str, e: impl std::fmt::Display) -> BackendError {
        BackendError::Unreachable {
            uri: self.display_uri(),
            message: format!(
                "{what}: {e}; check the namenode host and port (the default RPC port is 8020)"
            ),
        }
    }

    async fn bounded<T>(
        &self,
        what: &str,
        f: impl std::future::Future<Output = Result<T, hdfs_native::HdfsError>>,
    ) -> Result<T, BackendError> {
        match tokio::time::timeout(self.probe_timeout, f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(hdfs_native::HdfsError::FileNotFound(_))) => Err(BackendError::Missing {
                uri: self.display_uri(),
                message: "directory does not exist".into(),
            }),
            Ok(Err(e)) => Err(self.unreachable(what, e)),
            Err(_) => {
                Err(self.unreachable(what, format!("no answer within {:?}", self.probe_timeout)))
            }
        }
    }
}

#[async_trait::async_trait]
impl Backend for HdfsBackend {
    fn display_uri(&self) -> String {
        format!("{}{}", self.authority, self.path)
    }

    fn capabilities(&self) -> Capabilities {
        // Create-if-absent is a rename without overwrite, atomic at the namenode.
        Capabilities {
            create_if_absent: true,
            conditional_update: false,
            multipart: true,
            ranged_reads: true,
            list_after_write: true,
            // hdfs-native's store drops attributes without an error.
            user_metadata: false,
        }
    }

    fn object_store(&self) -> Result<Arc<dyn ObjectStore>, BackendError> {
        let raw: Arc<dyn ObjectStore> = Arc::new(HdfsObjectStore::new(self.client.clone()));
        let store = TidyHdfsStore::new(raw, self.client.clone());
        let root = self.path.trim_matches('/');
        if root.is_empty() {
            Ok(Arc::new(store))
        } else {
            Ok(Arc::new(object_store::prefix::PrefixStore::new(
                store, root,
            )))
        }
    }

    async fn probe(&self) -> Result<(), BackendError> {
        let status = self
            .bounded("stat", self.client.get_file_info(&self.path))
            .await?;
        if !status.isdir {
            return Err(BackendError::Config {
                uri: self.display_uri(),
                message: "is a file, not a directory".into(),
            });
        }
        Ok(())
    }

    async fn provision(&self) -> Result<(), BackendError> {
        self.bounded("mkdirs", self.client.mkdirs(&self.path, 0o755, true))
            .await
    }
}
