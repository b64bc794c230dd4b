//! The S3 backend: AWS S3 and the servers that speak its API, each as a [`Profile`] carrying its quirks.
//!
//! A location is `s3://bucket/prefix?region=…&endpoint=…&path_style=true&profile=minio`. Credentials come from
//! the standard AWS chain (see [`credentials`]): the location's `access_key_id`/`secret_access_key`, the
//! environment, the shared credentials file, web identity, the container endpoint, instance metadata. Secrets are
//! never printed: [`S3Backend::display_uri`] drops them.
//!
//! Bucket administration (probe, create) is the one thing `object_store` has no call for; it is done here with
//! plain signed requests (see [`sigv4`]) instead of pulling in a whole SDK.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use automq_backend::{Backend, BackendError, Capabilities, StorageUri};
use object_store::aws::{AmazonS3Builder, AwsCredentialProvider, S3ConditionalPut};
use object_store::{BackoffConfig, ObjectStore, RetryConfig};

pub mod credentials;
pub mod sigv4;

use credentials::CredentialSource;

/// The S3-speaking servers we know, with what each can be relied on for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Aws,
    Minio,
    /// Ceph RADOS Gateway: `If-None-Match: *` is atomic; `If-Match` is not, and RGW refuses the quoted ETag it
    /// hands out. CompleteMultipartUpload and DELETE ignore conditions.
    Ceph,
    /// CubeFS ObjectNode (port 17410 by default): no conditional writes to rely on.
    Cubefs,
    /// A server that ignores PUT preconditions (s3rver, Garage): data only, never metadata.
    Plain,
}

impl Profile {
    pub const NAMES: &'static str = "aws, minio, ceph, cubefs, plain";

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "aws" => Self::Aws,
            "minio" => Self::Minio,
            "ceph" => Self::Ceph,
            "cubefs" => Self::Cubefs,
            "plain" => Self::Plain,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Minio => "minio",
            Self::Ceph => "ceph",
            Self::Cubefs => "cubefs",
            Self::Plain => "plain",
        }
    }

    pub fn capabilities(self) -> Capabilities {
        let create_if_absent = matches!(self, Self::Aws | Self::Minio | Self::Ceph);
        Capabilities {
            create_if_absent,
            conditional_update: matches!(self, Self::Aws | Self::Minio),
            multipart: true,
            ranged_reads: true,
            list_after_write: true,
            // x-amz-meta-* headers.
            user_metadata: true,
        }
    }
}

/// A parsed and checked S3 location.
#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    pub prefix: String,
    pub region: String,
    pub endpoint: Option<String>,
    pub path_style: bool,
    pub profile: Profile,
    pub credentials: CredentialSource,
    pub request_timeout: Duration,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("path_style", &self.path_style)
            .field("profile", &self.profile)
            .field("credentials", &self.credentials)
            .finish()
    }
}

const KNOWN_PARAMS: &[&str] = &[
    "region",
    "endpoint",
    "path_style",
    "profile",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "timeout_ms",
];

impl S3Config {
    /// Parses a location, taking credentials from the process environment where the location has none.
    pub fn from_uri(raw: &str) -> Result<Self, BackendError> {
        Self::from_uri_with(raw, &credentials::process_env)
    }

    /// Parses a location, reading the environment through `env`.
    pub fn from_uri_with(raw: &str, env: credentials::Lookup<'_>) -> Result<Self, BackendError> {
        let StorageUri::S3 {
            bucket,
            prefix,
            params,
        } = StorageUri::parse(raw)?
        else {
            return Err(BackendError::Config {
                uri: redact(raw),
                message: "is not an s3:// location".into(),
            });
        };
        Self::from_parts(raw, bucket, prefix, params, env)
    }

    fn from_parts(
        raw: &str,
        bucket: String,
        prefix: String,
        params: BTreeMap<String, String>,
        env: credentials::Lookup<'_>,
    ) -> Result<Self, BackendError> {
        let bad = |message: String| BackendError::Config {
            uri: redact(raw),
            message,
        };
        if let Some(k) = params.keys().find(|k| !KNOWN_PARAMS.contains(&k.as_str())) {
            return Err(bad(format!(
                "unknown parameter `{k}`; known: {}",
                KNOWN_PARAMS.join(", ")
            )));
        }
        let profile = match params.get("profile") {
            None => Profile::Aws,
            Some(p) => Profile::parse(p).ok_or_else(|| {
                bad(format!(
                    "unknown profile `{p}`; use one of {}",
                    Profile::NAMES
                ))
            })?,
        };
        let mut endpoint = params.get("endpoint").cloned();
        if let Some(e) = &endpoint {
            let url = url::Url::parse(e).map_err(|err| {
                bad(format!(
                    "endpoint `{e}` is not a URL ({err}); write http://host:port"
                ))
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(bad(format!(
                    "endpoint `{e}` must start with http:// or https://"
                )));
            }
            if profile == Profile::Cubefs && url.port().is_none() && url.scheme() == "http" {
                // ObjectNode's default port, not HTTP's.
                endpoint = Some(format!("{}:17410", e.trim_end_matches('/')));
            }
        } else if profile != Profile::Aws {
            return Err(bad(format!(
                "profile `{}` needs endpoint=http://host:port",
                profile.name()
            )));
        }
        let path_style = match params.get("path_style").map(String::as_str) {
            None => endpoint.is_some(),
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(bad(format!("path_style=`{other}`: expected true or false")));
            }
        };
        let request_timeout = match params.get("timeout_ms") {
            None => Duration::from_secs(30),
            Some(v) => Duration::from_millis(
                v.parse()
                    .map_err(|_| bad(format!("timeout_ms=`{v}`: expected milliseconds")))?,
            ),
        };
        let credentials = CredentialSource::resolve(
            params.get("access_key_id").cloned(),
            params.get("secret_access_key").cloned(),
            params.get("session_token").cloned(),
            env,
        )
        .map_err(bad)?;
        let region = params
            .get("region")
            .cloned()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        Ok(Self {
            bucket,
            prefix,
            region,
            endpoint,
            path_style,
            profile,
            credentials,
            request_timeout,
        })
    }

    /// The base URL of the bucket, for our own signed requests.
    fn bucket_url(&self) -> String {
        match (&self.endpoint, self.path_style) {
            (Some(e), true) => format!("{}/{}", e.trim_end_matches('/'), self.bucket),
            (Some(e), false) => {
                let (scheme, host) = e.split_once("://").unwrap_or(("https", e));
                format!("{scheme}://{}.{}", self.bucket, host.trim_end_matches('/'))
            }
            (None, _) => format!("https://{}.s3.{}.amazonaws.com", self.bucket, self.region),
        }
    }
}

/// Removes secrets from a location before it is shown.
pub fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.query().is_some() => {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "secret_access_key" || k == "session_token" {
                        "<redacted>".to_string()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
            url.to_string().replace("%3Credacted%3E", "<redacted>")
        }
        _ => raw.to_string(),
    }
}

/// An S3 location ready for use.
#[derive(Debug)]
pub struct S3Backend {
    config: S3Config,
    http: reqwest::Client,
    /// The chain's provider, shared by the object store and our own bucket requests so temporary credentials
    /// are fetched once; `Err` says why there are none.
    credentials: Result<AwsCredentialProvider, String>,
}

impl S3Backend {
    pub fn new(config: S3Config) -> Result<Self, BackendError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| BackendError::Config {
                uri: String::new(),
                message: e.to_string(),
            })?;
        let credentials =
            config
                .credentials
                .provider(&config.bucket, &config.region, config.request_timeout);
        Ok(Self {
            config,
            http,
            credentials,
        })
    }

    pub fn from_uri(raw: &str) -> Result<Self, BackendError> {
        Self::new(S3Config::from_uri(raw)?)
    }

    pub fn config(&self) -> &S3Config {
        &self.config
    }

    fn provider(&self) -> Result<&AwsCredentialProvider, BackendError> {
        self.credentials
            .as_ref()
            .map_err(|message| BackendError::Credentials {
                uri: self.display_uri(),
                message: message.clone(),
            })
    }

    /// Current credentials from the chain, fetched within the request timeout.
    async fn credentials(&self) -> Result<sigv4::Credentials, BackendError> {
        let provider = self.provider()?;
        let failed = |message: String| BackendError::Credentials {
            uri: self.display_uri(),
            message: format!(
                "getting credentials from {}: {message}",
                self.config.credentials.describe()
            ),
        };
        let c = tokio::time::timeout(self.config.request_timeout, provider.get_credential())
            .await
            .map_err(|_| failed("timed out".into()))?
            .map_err(|e| failed(error_chain(&e)))?;
        Ok(sigv4::Credentials {
            access_key_id: c.key_id.clone(),
            secret_access_key: c.secret_key.clone(),
            session_token: c.token.clone(),
        })
    }

    async fn bucket_request(
        &self,
        method: reqwest::Method,
    ) -> Result<reqwest::Response, BackendError> {
        let url = format!("{}/", self.config.bucket_url());
        let creds = self.credentials().await?;
        let body = if method == reqwest::Method::PUT && self.config.region != "us-east-1" {
            // Outside us-east-1, CreateBucket names its region in the body.
            format!(
                "<CreateBucketConfiguration><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.config.region
            )
        } else {
            String::new()
        };
        let now = std::time::SystemTime::now();
        let signed = sigv4::sign(
            &creds,
            &self.config.region,
            method.as_str(),
            &url,
            body.as_bytes(),
            now,
        )
        .map_err(|message| BackendError::Config {
            uri: self.display_uri(),
            message,
        })?;
        let mut req = self.http.request(method, &url).body(body);
        for (k, v) in signed {
            req = req.header(k, v);
        }
        req.send().await.map_err(|e| self.transport_error(e))
    }

    fn transport_error(&self, e: reqwest::Error) -> BackendError {
        let endpoint = self
            .config
            .endpoint
            .clone()
            .unwrap_or_else(|| "AWS S3".into());
        let hint = if e.is_timeout() {
            "timed out; check the endpoint's host and port"
        } else if e.is_connect() {
            "connection failed; check the endpoint's host and port, and http:// versus https://"
        } else {
            "request failed; check the endpoint, and http:// versus https://"
        };
        BackendError::Unreachable {
            uri: self.display_uri(),
            message: format!("{endpoint}: {hint} ({})", error_chain(&e)),
        }
    }

    async fn status_error(&self, what: &str, resp: reqwest::Response) -> BackendError {
        let resp_status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        let code = xml_tag(&body, "Code").unwrap_or_default();
        // HEAD answers carry no body, so often no code either.
        let status = format!("{resp_status} {code}").trim_end().to_string();
        let uri = self.display_uri();
        match (resp_status.as_u16(), code.as_str()) {
            (403, _) | (_, "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AccessDenied") => {
                BackendError::Credentials {
                    uri,
                    message: format!(
                        "{what}: HTTP {status}; check the credentials from {}",
                        self.config.credentials.describe()
                    ),
                }
            }
            (404, _) => BackendError::Missing {
                uri,
                message: format!("bucket `{}` does not exist", self.config.bucket),
            },
            _ => BackendError::Unreachable {
                uri,
                message: format!("{what}: HTTP {status}"),
            },
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The text of the first `<tag>…</tag>` in an S3 error body.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))?;
    Some(body[start..start + end].to_string())
}

#[async_trait::async_trait]
impl Backend for S3Backend {
    fn display_uri(&self) -> String {
        let c = &self.config;
        let mut s = format!(
            "s3://{}/{}?profile={}&region={}",
            c.bucket,
            c.prefix,
            c.profile.name(),
            c.region
        );
        if let Some(e) = &c.endpoint {
            s.push_str(&format!("&endpoint={e}"));
        }
        s
    }

    fn credential_source(&self) -> Option<String> {
        Some(self.config.credentials.describe())
    }

    fn capabilities(&self) -> Capabilities {
        self.config.profile.capabilities()
    }

    fn object_store(&self) -> Result<Arc<dyn ObjectStore>, BackendError> {
        let c = &self.config;
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&c.bucket)
            .with_region(&c.region)
            .with_virtual_hosted_style_request(!c.path_style)
            // A few quick retries here; the longer policy, and the read-back that makes retried conditional
            // writes safe, belong to automq_backend::wrappers::RetryingStore stacked on top.
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 2,
                retry_timeout: c.request_timeout,
            })
            .with_conditional_put(if c.profile.capabilities().create_if_absent {
                S3ConditionalPut::ETagMatch
            } else {
                S3ConditionalPut::Disabled
            });
        if let Some(e) = &c.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        b = b.with_credentials(Arc::clone(self.provider()?));
        let store = b.build().map_err(|source| BackendError::Store {
            uri: self.display_uri(),
            source,
        })?;
        if c.prefix.is_empty() {
            Ok(Arc::new(store))
        } else {
            Ok(Arc::new(object_store::prefix::PrefixStore::new(
                store,
                c.prefix.as_str(),
            )))
        }
    }

    async fn probe(&self) -> Result<(), BackendError> {
        let resp = self.bucket_request(reqwest::Method::HEAD).await?;
        if resp.status().is_success() {
            return Ok(());
        }
        Err(self.status_error("HEAD bucket", resp).await)
    }

    async fn provision(&self) -> Result<(), BackendError> {
        match self.probe().await {
            Ok(()) => return Ok(()),
            Err(BackendError::Missing { .. }) => {}
            Err(e) => return Err(e),
        }
        let resp = self.bucket_request(reqwest::Method::PUT).await?;
        if resp.status().is_success() {
            return Ok(());
        }
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        match xml_tag(&body, "Code").as_deref() {
            Some("BucketAlreadyOwnedByYou") => Ok(()),
            code => Err(BackendError::Unreachable {
                uri: self.display_uri(),
                message: format!(
                    "creating bucket `{}`: HTTP {status} {}",
                    self.config.bucket,
                    code.unwrap_or("")
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_and_defaults() {
        let c =
            S3Config::from_uri("s3://b/p?endpoint=http://127.0.0.1:9000&profile=minio").unwrap();
        assert!(c.path_style, "a custom endpoint defaults to path style");
        assert_eq!(c.profile, Profile::Minio);
        let c = S3Config::from_uri("s3://b?endpoint=http://cubefs.local&profile=cubefs").unwrap();
        assert_eq!(c.endpoint.as_deref(), Some("http://cubefs.local:17410"));
        assert!(!c.profile.capabilities().create_if_absent);
        assert!(!Profile::Ceph.capabilities().conditional_update);
    }

    #[test]
    fn bad_locations_say_what_to_write() {
        let e = S3Config::from_uri("s3://b?profile=wasabi&endpoint=http://x:1")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown profile `wasabi`") && e.contains("minio"),
            "{e}"
        );
        let e = S3Config::from_uri("s3://b?endpont=http://x:1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown parameter `endpont`"), "{e}");
        let e = S3Config::from_uri("s3://b?profile=ceph")
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs endpoint="), "{e}");
        let e = S3Config::from_uri("s3://b?endpoint=127.0.0.1:9000")
            .unwrap_err()
            .to_string();
        assert!(e.contains("http://"), "{e}");
    }

    #[test]
    fn secrets_never_show() {
        let raw = "s3://b?endpoint=http://h:1&access_key_id=AK&secret_access_key=TOPSECRET";
        assert!(!redact(raw).contains("TOPSECRET"));
        let b = S3Backend::from_uri(raw).unwrap();
        assert!(!b.display_uri().contains("TOPSECRET"));
        assert!(!format!("{:?}", b).contains("TOPSECRET"));
    }
}
