//! Two fixes on top of hdfs-native's `object_store` adapter, found by the conformance suite.
//!
//! - A create-if-absent PUT there writes a temporary file beside the key and renames it into place; when the rename
//!   loses (the key exists) the temporary file stays forever, and listings show it as an object. Here a create is
//!   done by us instead: a uniquely named temporary file, a rename without overwrite, and the temporary file deleted
//!   on every path that does not end in a successful rename.
//! - A copy from a missing source is reported as NotFound (the adapter reports a generic RPC error).
//! - Listings hide dot-files: temporary files of writes in flight (ours and the adapter's) are not objects. automq
//!   never names an object with a leading dot.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use hdfs_native::{Client, WriteOptions};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

#[derive(Debug)]
pub struct TidyHdfsStore {
    inner: Arc<dyn ObjectStore>,
    client: Client,
}

impl TidyHdfsStore {
    pub fn new(inner: Arc<dyn ObjectStore>, client: Client) -> Self {
        Self { inner, client }
    }

    async fn create(&self, location: &Path, payload: PutPayload) -> Result<PutResult> {
        let final_path = format!("/{location}");
        let name = location.filename().unwrap_or_default();
        let parent = final_path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        let tmp = format!(
            "{parent}/.{name}.{}.automq-tmp",
            uuid::Uuid::new_v4().simple()
        );
        let result = async {
            let opts = WriteOptions {
                overwrite: false,
                create_parent: true,
                ..WriteOptions::default()
            };
            let mut w = self
                .client
                .create(&tmp, opts)
                .await
                .map_err(|e| hdfs_err(&tmp, e))?;
            for chunk in payload.iter() {
                w.write_bytes(chunk.clone())
                    .await
                    .map_err(|e| hdfs_err(&tmp, e))?;
            }
            w.close().await.map_err(|e| hdfs_err(&tmp, e))?;
            self.client
                .rename(&tmp, &final_path, false)
                .await
                .map_err(|e| match e {
                    hdfs_native::HdfsError::AlreadyExists(_) => {
                        object_store::Error::AlreadyExists {
                            path: location.to_string(),
                            source: Box::new(e),
                        }
                    }
                    other => hdfs_err(&final_path, other),
                })
        }
        .await;
        if result.is_err() {
            let _ = self.client.delete(&tmp, false).await;
        }
        result?;
        let meta = self.inner.head(location).await?;
        Ok(PutResult {
            e_tag: meta.e_tag,
            version: meta.version,
            extensions: Default::default(),
        })
    }
}

fn hdfs_err(path: &str, e: hdfs_native::HdfsError) -> object_store::Error {
    match e {
        hdfs_native::HdfsError::FileNotFound(_) => object_store::Error::NotFound {
            path: path.to_string(),
            source: Box::new(e),
        },
        other => object_store::Error::Generic {
            store: "HDFS",
            source: Box::new(other),
        },
    }
}

fn hidden(p: &Path) -> bool {
    p.filename().is_some_and(|f| f.starts_with('.'))
}

impl fmt::Display for TidyHdfsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TidyHdfsStore({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for TidyHdfsStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        match opts.mode {
            PutMode::Create if opts.attributes.is_empty() => self.create(location, payload).await,
            _ => self.inner.put_opts(location, payload, opts).await,
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner
            .list(prefix)
            .filter(|m| futures::future::ready(!matches!(m, Ok(m) if hidden(&m.location))))
            .boxed()
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner
            .list_with_offset(prefix, offset)
            .filter(|m| futures::future::ready(!matches!(m, Ok(m) if hidden(&m.location))))
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let mut r = self.inner.list_with_delimiter(prefix).await?;
        r.objects.retain(|m| !hidden(&m.location));
        r.common_prefixes.retain(|p| !hidden(p));
        Ok(r)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        match self.inner.copy_opts(from, to, options).await {
            // The adapter reports a missing source as a generic RPC error; say NotFound when that is what it was.
            Err(e @ object_store::Error::Generic { .. }) => {
                match self.client.get_file_info(&format!("/{from}")).await {
                    Err(hdfs_native::HdfsError::FileNotFound(_)) => {
                        Err(object_store::Error::NotFound {
                            path: from.to_string(),
                            source: Box::new(e),
                        })
                    }
                    _ => Err(e),
                }
            }
            other => other,
        }
    }
}
