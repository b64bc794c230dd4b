//! Storage locations as URIs: `file:///abs/path` (or a bare path), `memory://`, `s3://bucket/prefix?…`,
//! `hdfs://host:port/path`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use url::Url;

/// A parsed storage location. Query parameters are kept for the backend of the scheme to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUri {
    Local(PathBuf),
    Memory,
    S3 {
        bucket: String,
        prefix: String,
        params: BTreeMap<String, String>,
    },
    Hdfs {
        authority: String,
        path: String,
        params: BTreeMap<String, String>,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UriError {
    #[error("storage location `{uri}`: {message}")]
    Invalid { uri: String, message: String },
    #[error(
        "storage location `{uri}`: unknown scheme `{scheme}`; use file:///path, s3://bucket/prefix, hdfs://host:port/path or memory://"
    )]
    UnknownScheme { uri: String, scheme: String },
}

impl StorageUri {
    /// Parses a location. A string without a scheme is a local path, relative to the working directory.
    pub fn parse(raw: &str) -> Result<Self, UriError> {
        let invalid = |message: &str| UriError::Invalid {
            uri: raw.to_string(),
            message: message.to_string(),
        };
        if raw.trim().is_empty() {
            return Err(invalid(
                "is empty; give a directory path or a URI such as s3://bucket/prefix",
            ));
        }
        if !raw.contains("://") {
            return Ok(Self::Local(PathBuf::from(
                raw.strip_prefix("file:").unwrap_or(raw),
            )));
        }
        let url = Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
        let params: BTreeMap<String, String> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        match url.scheme() {
            "file" => {
                if url
                    .host_str()
                    .is_some_and(|h| !h.is_empty() && h != "localhost")
                {
                    return Err(invalid(
                        "a file URI has no host; write file:///absolute/path or a relative path",
                    ));
                }
                let path = url
                    .to_file_path()
                    .map_err(|()| invalid("is not an absolute file path"))?;
                Ok(Self::Local(path))
            }
            "memory" => Ok(Self::Memory),
            "s3" => {
                let bucket = url.host_str().unwrap_or_default().to_string();
                if bucket.is_empty() {
                    return Err(invalid(
                        "names no bucket; write s3://BUCKET/optional/prefix",
                    ));
                }
                let prefix = url.path().trim_matches('/').to_string();
                Ok(Self::S3 {
                    bucket,
                    prefix,
                    params,
                })
            }
            "hdfs" | "viewfs" => {
                let host = url.host_str().unwrap_or_default();
                if host.is_empty() {
                    return Err(invalid(
                        "names no namenode; write hdfs://HOST:PORT/path or hdfs://NAMESERVICE/path",
                    ));
                }
                let authority = match url.port() {
                    Some(p) => format!("{}://{host}:{p}", url.scheme()),
                    None => format!("{}://{host}", url.scheme()),
                };
                Ok(Self::Hdfs {
                    authority,
                    path: url.path().to_string(),
                    params,
                })
            }
            other => Err(UriError::UnknownScheme {
                uri: raw.to_string(),
                scheme: other.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_in_every_spelling() {
        assert_eq!(
            StorageUri::parse("./data").unwrap(),
            StorageUri::Local("./data".into())
        );
        assert_eq!(
            StorageUri::parse("file:data").unwrap(),
            StorageUri::Local("data".into())
        );
        assert_eq!(
            StorageUri::parse("file:///var/lib/automq").unwrap(),
            StorageUri::Local("/var/lib/automq".into())
        );
        assert!(StorageUri::parse("file://host/x").is_err());
    }

    #[test]
    fn s3_and_hdfs() {
        let StorageUri::S3 {
            bucket,
            prefix,
            params,
        } = StorageUri::parse(
            "s3://b/some/prefix/?region=eu-west-1&endpoint=http://127.0.0.1:9000",
        )
        .unwrap()
        else {
            panic!("not s3")
        };
        assert_eq!((bucket.as_str(), prefix.as_str()), ("b", "some/prefix"));
        assert_eq!(params["endpoint"], "http://127.0.0.1:9000");
        assert_eq!(
            StorageUri::parse("hdfs://127.0.0.1:8020/automq").unwrap(),
            StorageUri::Hdfs {
                authority: "hdfs://127.0.0.1:8020".into(),
                path: "/automq".into(),
                params: BTreeMap::new()
            }
        );
        assert!(StorageUri::parse("s3:///nobucket").is_err());
    }

    #[test]
    fn unknown_schemes_name_the_ones_we_know() {
        let e = StorageUri::parse("gcs://b").unwrap_err().to_string();
        assert!(
            e.contains("unknown scheme `gcs`") && e.contains("s3://"),
            "{e}"
        );
    }
}
