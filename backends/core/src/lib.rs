//! The storage edge of automq: one trait every backend implements.
//!
//! A backend parses and checks its own location (a URI), builds the [`ObjectStore`] the stream engine is written
//! against, says honestly what that store can do ([`Capabilities`]), probes reachability and credentials, and can
//! provision its bucket or directory. Backends know nothing of streams or Kafka; the engine knows nothing of S3 or
//! HDFS beyond these capabilities.
//!
//! This crate also holds the two backends that come with `object_store` itself: the local directory (the
//! single-node default) and memory.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;

mod uri;
pub use uri::{StorageUri, UriError};

pub mod wrappers;

/// What a store can be relied on for. The engine decides from these which roles (data, WAL, metadata) a store
/// may take; a capability declared absent is never emulated silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// `PutMode::Create` is atomic: of racing writers to one key exactly one succeeds. Metadata needs it.
    pub create_if_absent: bool,
    /// `PutMode::Update` (compare-and-swap on a version) is atomic.
    pub conditional_update: bool,
    /// Multipart uploads for large objects.
    pub multipart: bool,
    /// Ranged GETs read only the requested bytes.
    pub ranged_reads: bool,
    /// A LIST right after a successful PUT shows the new key.
    pub list_after_write: bool,
    /// User metadata (`PutOptions::attributes`) is stored and returned, so a conditional write can carry a put
    /// id that a read-back checks. Without it, a read-back compares the stored bytes instead.
    pub user_metadata: bool,
}

/// Errors a backend reports. Messages name the location and, where there is one, the fix.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(transparent)]
    Uri(#[from] UriError),
    #[error("{uri}: {message}")]
    Config { uri: String, message: String },
    #[error("{uri}: cannot reach the store: {message}")]
    Unreachable { uri: String, message: String },
    #[error("{uri}: credentials refused: {message}")]
    Credentials { uri: String, message: String },
    #[error("{uri}: {message}")]
    Missing { uri: String, message: String },
    #[error("{uri}: {source}")]
    Store {
        uri: String,
        #[source]
        source: object_store::Error,
    },
    #[error("{uri}: {source}")]
    Io {
        uri: String,
        #[source]
        source: std::io::Error,
    },
}

/// A configured storage location.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    /// The location, with any secret removed, for messages and logs.
    fn display_uri(&self) -> String;
    /// Where this location's credentials come from, for people (never a secret); `None` where there are none.
    fn credential_source(&self) -> Option<String> {
        None
    }
    /// What this store can be relied on for.
    fn capabilities(&self) -> Capabilities;
    /// Builds the store the engine reads and writes, rooted at this location's prefix. Cheap; no I/O for remote
    /// stores. A local directory must have been provisioned first.
    fn object_store(&self) -> Result<Arc<dyn ObjectStore>, BackendError>;
    /// Checks the store answers and accepts our credentials, without writing.
    async fn probe(&self) -> Result<(), BackendError>;
    /// Creates the bucket or directory if it does not exist yet. Idempotent.
    async fn provision(&self) -> Result<(), BackendError>;
}

/// A directory on a local (or mounted) file system: the single-node default.
#[derive(Debug)]
pub struct LocalBackend {
    root: PathBuf,
}

impl LocalBackend {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn io_err(&self, source: std::io::Error) -> BackendError {
        BackendError::Io {
            uri: self.display_uri(),
            source,
        }
    }
}

#[async_trait::async_trait]
impl Backend for LocalBackend {
    fn display_uri(&self) -> String {
        format!("file://{}", self.root.display())
    }

    fn capabilities(&self) -> Capabilities {
        // Create-if-absent is a hard link, atomic on POSIX file systems; there is no compare-and-swap.
        Capabilities {
            create_if_absent: true,
            conditional_update: false,
            multipart: true,
            ranged_reads: true,
            list_after_write: true,
            user_metadata: false,
        }
    }

    fn object_store(&self) -> Result<Arc<dyn ObjectStore>, BackendError> {
        let fs =
            LocalFileSystem::new_with_prefix(&self.root).map_err(|source| BackendError::Store {
                uri: self.display_uri(),
                source,
            })?;
        Ok(Arc::new(fs.with_automatic_cleanup(true)))
    }

    async fn probe(&self) -> Result<(), BackendError> {
        let meta = tokio::fs::metadata(&self.root)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => BackendError::Missing {
                    uri: self.display_uri(),
                    message: "directory does not exist".into(),
                },
                _ => self.io_err(e),
            })?;
        if !meta.is_dir() {
            return Err(BackendError::Config {
                uri: self.display_uri(),
                message: "is not a directory; point the location at a directory".into(),
            });
        }
        Ok(())
    }

    async fn provision(&self) -> Result<(), BackendError> {
        tokio::fs::create_dir_all(&self.root)
            .await
            .map_err(|e| self.io_err(e))
    }
}

/// Process memory: for tests of the engine, never for data that must survive.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    store: Arc<InMemory>,
}

#[async_trait::async_trait]
impl Backend for MemoryBackend {
    fn display_uri(&self) -> String {
        "memory://".into()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            create_if_absent: true,
            conditional_update: true,
            multipart: true,
            ranged_reads: true,
            list_after_write: true,
            user_metadata: true,
        }
    }

    fn object_store(&self) -> Result<Arc<dyn ObjectStore>, BackendError> {
        Ok(self.store.clone())
    }

    async fn probe(&self) -> Result<(), BackendError> {
        Ok(())
    }

    async fn provision(&self) -> Result<(), BackendError> {
        Ok(())
    }
}
