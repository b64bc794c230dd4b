//! Where an S3 location's credentials come from: the standard AWS chain, tried in the order AWS's own SDKs try it.
//!
//! 1. keys written in the location (`access_key_id`, `secret_access_key`, `session_token`);
//! 2. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
//! 3. the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), profile
//!    `AWS_PROFILE` or `default`;
//! 4. web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` with `AWS_ROLE_ARN`), exchanged at STS;
//! 5. the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on ECS, or
//!    `AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or
//!    `AWS_CONTAINER_AUTHORIZATION_TOKEN`, as EKS Pod Identity sets them);
//! 6. the instance metadata service (IMDSv2), unless `AWS_EC2_METADATA_DISABLED=true`; its address can be moved
//!    with `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
//!
//! The chain is resolved once, when the location is parsed, from a lookup function rather than the process
//! environment directly, so it can be tested without touching global state. Temporary credentials are fetched
//! lazily and refreshed before they expire. Secrets never reach `Debug` output or logs.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, AwsCredential, AwsCredentialProvider};
use object_store::{CredentialProvider, RetryConfig, StaticCredentialProvider};

/// Reads one environment variable.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, as a [`Lookup`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A key pair with an optional session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The authorization a container credentials endpoint expects.
#[derive(Clone)]
pub enum ContainerToken {
    /// Read anew on every fetch: the orchestrator rotates it.
    File(PathBuf),
    Value(String),
}

impl std::fmt::Debug for ContainerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(p) => write!(f, "File({})", p.display()),
            Self::Value(_) => f.write_str("Value(<redacted>)"),
        }
    }
}

/// The link of the chain that supplies a location's credentials.
#[derive(Clone, Debug)]
pub enum CredentialSource {
    Location(Keys),
    Environment(Keys),
    SharedFile {
        path: PathBuf,
        profile: String,
        keys: Keys,
    },
    WebIdentity {
        token_file: String,
        role_arn: String,
        session_name: Option<String>,
        sts_endpoint: Option<String>,
    },
    Container {
        url: String,
        token: Option<ContainerToken>,
    },
    InstanceMetadata {
        endpoint: String,
    },
    /// Every link was tried and none applies (instance metadata is disabled).
    Nothing,
}

const ECS_HOST: &str = "http://169.254.170.2";
const IMDS_DEFAULT: &str = "http://169.254.169.254";
/// Refresh temporary credentials this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

impl CredentialSource {
    /// Walks the chain. `location` holds the keys written in the location, if any.
    pub fn resolve(
        location_key: Option<String>,
        location_secret: Option<String>,
        location_token: Option<String>,
        env: Lookup<'_>,
    ) -> Result<Self, String> {
        match (location_key, location_secret) {
            (Some(access_key_id), Some(secret_access_key)) => {
                return Ok(Self::Location(Keys {
                    access_key_id,
                    secret_access_key,
                    session_token: location_token,
                }));
            }
            (Some(_), None) => {
                return Err("access_key_id is given without secret_access_key; give both".into());
            }
            (None, Some(_)) => {
                return Err("secret_access_key is given without access_key_id; give both".into());
            }
            (None, None) => {}
        }
        match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            (Some(access_key_id), Some(secret_access_key)) => {
                return Ok(Self::Environment(Keys {
                    access_key_id,
                    secret_access_key,
                    session_token: env("AWS_SESSION_TOKEN"),
                }));
            }
            (Some(_), None) => {
                return Err(
                    "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY; set both".into(),
                );
            }
            (None, Some(_)) => {
                return Err(
                    "AWS_SECRET_ACCESS_KEY is set without AWS_ACCESS_KEY_ID; set both".into(),
                );
            }
            (None, None) => {}
        }
        if let Some(found) = shared_file(env)? {
            return Ok(found);
        }
        if let Some(token_file) = env("AWS_WEB_IDENTITY_TOKEN_FILE") {
            let role_arn = env("AWS_ROLE_ARN").ok_or_else(|| {
                "AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN; set the role to assume".to_string()
            })?;
            return Ok(Self::WebIdentity {
                token_file,
                role_arn,
                session_name: env("AWS_ROLE_SESSION_NAME"),
                sts_endpoint: env("AWS_ENDPOINT_URL_STS"),
            });
        }
        let token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
            .map(|p| ContainerToken::File(p.into()))
            .or_else(|| env("AWS_CONTAINER_AUTHORIZATION_TOKEN").map(ContainerToken::Value));
        if let Some(relative) = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            return Ok(Self::Container {
                url: format!("{ECS_HOST}{relative}"),
                token,
            });
        }
        if let Some(url) = env("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            check_container_url(&url)?;
            return Ok(Self::Container { url, token });
        }
        if env("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return Ok(Self::Nothing);
        }
        let endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .unwrap_or_else(|| IMDS_DEFAULT.to_string())
            .trim_end_matches('/')
            .to_string();
        Ok(Self::InstanceMetadata { endpoint })
    }

    /// Where the credentials come from, for people: never the secret itself.
    pub fn describe(&self) -> String {
        match self {
            Self::Location(k) => format!("the location (key {})", k.access_key_id),
            Self::Environment(k) => format!("AWS_ACCESS_KEY_ID (key {})", k.access_key_id),
            Self::SharedFile {
                path,
                profile,
                keys,
                ..
            } => format!(
                "{} [{profile}] (key {})",
                path.display(),
                keys.access_key_id
            ),
            Self::WebIdentity { role_arn, .. } => format!("web identity, role {role_arn}"),
            Self::Container { url, .. } => format!("container credentials at {url}"),
            Self::InstanceMetadata { endpoint } => format!("instance metadata at {endpoint}"),
            Self::Nothing => "none".into(),
        }
    }

    /// A provider for `object_store` and for our own signed requests. `Err` when the chain found nothing.
    pub fn provider(
        &self,
        bucket: &str,
        region: &str,
        timeout: Duration,
    ) -> Result<AwsCredentialProvider, String> {
        let static_keys = |k: &Keys| -> AwsCredentialProvider {
            Arc::new(StaticCredentialProvider::new(AwsCredential {
                key_id: k.access_key_id.clone(),
                secret_key: k.secret_access_key.clone(),
                token: k.session_token.clone(),
            }))
        };
        let retry = RetryConfig {
            max_retries: 2,
            retry_timeout: timeout,
            ..RetryConfig::default()
        };
        // For the links object_store implements itself: a throwaway builder, of which we keep the provider.
        let delegated =
            |settings: &[(AmazonS3ConfigKey, &str)]| -> Result<AwsCredentialProvider, String> {
                let mut b = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_retry(retry.clone());
                for (k, v) in settings {
                    b = b.with_config(*k, *v);
                }
                b.build()
                    .map(|s| s.credentials().clone())
                    .map_err(|e| e.to_string())
            };
        match self {
            Self::Location(k) | Self::Environment(k) | Self::SharedFile { keys: k, .. } => {
                Ok(static_keys(k))
            }
            Self::WebIdentity {
                token_file,
                role_arn,
                session_name,
                sts_endpoint,
            } => {
                let mut s = vec![
                    (AmazonS3ConfigKey::WebIdentityTokenFile, token_file.as_str()),
                    (AmazonS3ConfigKey::RoleArn, role_arn.as_str()),
                ];
                if let Some(n) = session_name {
                    s.push((AmazonS3ConfigKey::RoleSessionName, n.as_str()));
                }
                if let Some(e) = sts_endpoint {
                    s.push((AmazonS3ConfigKey::StsEndpoint, e.as_str()));
                }
                delegated(&s)
            }
            Self::Container { url, token } => Ok(Arc::new(ContainerProvider::new(
                url.clone(),
                token.clone(),
                timeout,
            )?)),
            Self::InstanceMetadata { endpoint } => {
                delegated(&[(AmazonS3ConfigKey::MetadataEndpoint, endpoint.as_str())])
            }
            Self::Nothing => Err(
                "no credentials found: put access_key_id and secret_access_key in the location, set \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write ~/.aws/credentials \
                 (instance metadata is disabled by AWS_EC2_METADATA_DISABLED)"
                    .into(),
            ),
        }
    }
}

/// The shared credentials file's profile, if the file exists. A file or profile asked for by name must exist.
fn shared_file(env: Lookup<'_>) -> Result<Option<CredentialSource>, String> {
    let named_file = env("AWS_SHARED_CREDENTIALS_FILE");
    let path = match (&named_file, env("HOME")) {
        (Some(p), _) => PathBuf::from(p),
        (None, Some(home)) => PathBuf::from(home).join(".aws").join("credentials"),
        (None, None) => return Ok(None),
    };
    let named_profile = env("AWS_PROFILE");
    let profile = named_profile.clone().unwrap_or_else(|| "default".into());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && named_file.is_none() => {
            return Ok(None);
        }
        Err(e) => {
            return Err(format!(
                "cannot read the shared credentials file {}: {e}; fix AWS_SHARED_CREDENTIALS_FILE",
                path.display()
            ));
        }
    };
    let section = ini_section(&text, &profile);
    let get = |k: &str| {
        section
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(CredentialSource::SharedFile {
            keys: Keys {
                access_key_id,
                secret_access_key,
                session_token: get("aws_session_token"),
            },
            path,
            profile,
        })),
        _ if named_profile.is_some() => Err(format!(
            "profile `{profile}` (AWS_PROFILE) has no aws_access_key_id and aws_secret_access_key in {}",
            path.display()
        )),
        // A file without a usable default profile (say, only named profiles): the chain goes on.
        _ => Ok(None),
    }
}

/// The `key = value` pairs of one `[section]` of an INI file.
fn ini_section(text: &str, name: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = header.trim() == name;
            continue;
        }
        if inside && let Some((k, v)) = line.split_once('=') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// A full container URI is only trusted over plain HTTP on loopback or the link-local addresses ECS and EKS use.
fn check_container_url(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw)
        .map_err(|e| format!("AWS_CONTAINER_CREDENTIALS_FULL_URI `{raw}` is not a URL ({e})"))?;
    let trusted_host = match url.host() {
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback()
                || ip.octets() == [169, 254, 170, 2]
                || ip.octets() == [169, 254, 170, 23]
        }
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.segments() == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x23]
        }
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if trusted_host => Ok(()),
        _ => Err(format!(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI `{raw}`: plain http is only allowed to a loopback or \
             container-agent address; use https"
        )),
    }
}

/// Fetches credentials from a container credentials endpoint and keeps them until shortly before they expire.
#[derive(Debug)]
struct ContainerProvider {
    url: String,
    token: Option<ContainerToken>,
    http: reqwest::Client,
    cached: Mutex<Option<(Arc<AwsCredential>, Instant)>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
    expiration: Option<String>,
}

impl ContainerProvider {
    fn new(url: String, token: Option<ContainerToken>, timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            url,
            token,
            http,
            cached: Mutex::new(None),
        })
    }

    async fn fetch(&self) -> Result<(AwsCredential, Instant), String> {
        let mut req = self.http.get(&self.url);
        match &self.token {
            Some(ContainerToken::Value(v)) => req = req.header("Authorization", v.trim()),
            Some(ContainerToken::File(p)) => {
                let v = std::fs::read_to_string(p).map_err(|e| {
                    format!(
                        "reading AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}: {e}",
                        p.display()
                    )
                })?;
                req = req.header("Authorization", v.trim());
            }
            None => {}
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("container credentials at {}: {e}", self.url))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!(
                "container credentials at {}: HTTP {status}; check the authorization token",
                self.url
            ));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| format!("container credentials at {}: {e}", self.url))?;
        let body: ContainerCredentials = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "container credentials at {}: unreadable answer ({e})",
                self.url
            )
        })?;
        let now = Instant::now();
        let until = body
            .expiration
            .as_deref()
            .and_then(parse_rfc3339)
            .and_then(|exp| exp.duration_since(SystemTime::now()).ok())
            .map(|left| now + left.saturating_sub(REFRESH_MARGIN))
            .unwrap_or(now + REFRESH_MARGIN);
        Ok((
            AwsCredential {
                key_id: body.access_key_id,
                secret_key: body.secret_access_key,
                token: body.token,
            },
            until,
        ))
    }
}

#[async_trait::async_trait]
impl CredentialProvider for ContainerProvider {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        if let Ok(guard) = self.cached.lock()
            && let Some((c, until)) = guard.as_ref()
            && Instant::now() < *until
        {
            return Ok(Arc::clone(c));
        }
        let (cred, until) = self
            .fetch()
            .await
            .map_err(|message| object_store::Error::Generic {
                store: "S3",
                source: message.into(),
            })?;
        let cred = Arc::new(cred);
        if let Ok(mut guard) = self.cached.lock() {
            *guard = Some((Arc::clone(&cred), until));
        }
        Ok(cred)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, as credential endpoints write expirations.
fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" || !matches!(s.get(10..11)?, "T" | "t" | " ") {
        return None;
    }
    let mut rest = s.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let oh = rest.get(1..3)?.parse::<i64>().ok()?;
            let om = rest.get(4..6)?.parse::<i64>().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days from the civil date (proleptic Gregorian), after Howard Hinnant's well-known formula.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    u64::try_from(secs)
        .ok()
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn resolve(pairs: &[(&str, &str)]) -> Result<CredentialSource, String> {
        CredentialSource::resolve(None, None, None, &env(pairs))
    }

    #[test]
    fn the_chain_goes_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n\n\
             [ops]\naws_access_key_id=OPSKEY\naws_secret_access_key=opssecret\naws_session_token=tok\n",
        )
        .unwrap();
        let file_s = file.to_str().unwrap();
        let loc = CredentialSource::resolve(
            Some("LOC".into()),
            Some("s".into()),
            None,
            &env(&[("AWS_ACCESS_KEY_ID", "ENV"), ("AWS_SECRET_ACCESS_KEY", "e")]),
        )
        .unwrap();
        assert!(matches!(loc, CredentialSource::Location(ref k) if k.access_key_id == "LOC"));
        let e = resolve(&[
            ("AWS_ACCESS_KEY_ID", "ENV"),
            ("AWS_SECRET_ACCESS_KEY", "e"),
            ("AWS_SESSION_TOKEN", "t"),
            ("AWS_SHARED_CREDENTIALS_FILE", file_s),
        ])
        .unwrap();
        assert!(
            matches!(e, CredentialSource::Environment(ref k) if k.session_token.as_deref() == Some("t"))
        );
        let f = resolve(&[
            ("AWS_SHARED_CREDENTIALS_FILE", file_s),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c"),
        ])
        .unwrap();
        assert!(
            matches!(f, CredentialSource::SharedFile { ref keys, ref profile, .. } if keys.access_key_id == "FILEKEY" && profile == "default")
        );
        let p = resolve(&[
            ("AWS_SHARED_CREDENTIALS_FILE", file_s),
            ("AWS_PROFILE", "ops"),
        ])
        .unwrap();
        assert!(
            matches!(p, CredentialSource::SharedFile { ref keys, .. } if keys.access_key_id == "OPSKEY" && keys.session_token.as_deref() == Some("tok"))
        );
        // No file in HOME: on to the container endpoint, then instance metadata.
        let home = dir.path().to_str().unwrap();
        let c = resolve(&[
            ("HOME", home),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "secret-token"),
        ])
        .unwrap();
        assert!(
            matches!(c, CredentialSource::Container { ref url, .. } if url == "http://127.0.0.1:1/c")
        );
        assert!(!format!("{c:?}").contains("secret-token"));
        let r = resolve(&[
            ("HOME", home),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x"),
        ])
        .unwrap();
        assert!(
            matches!(r, CredentialSource::Container { ref url, .. } if url == "http://169.254.170.2/v2/x")
        );
        let i = resolve(&[("HOME", home)]).unwrap();
        assert!(
            matches!(i, CredentialSource::InstanceMetadata { ref endpoint } if endpoint == "http://169.254.169.254")
        );
        let n = resolve(&[("HOME", home), ("AWS_EC2_METADATA_DISABLED", "true")]).unwrap();
        assert!(matches!(n, CredentialSource::Nothing));
        let err = n
            .provider("b", "us-east-1", Duration::from_secs(1))
            .unwrap_err();
        assert!(err.contains("no credentials found"), "{err}");
    }

    #[test]
    fn half_configured_links_say_what_is_missing() {
        let e = resolve(&[("AWS_ACCESS_KEY_ID", "A")]).unwrap_err();
        assert!(e.contains("without AWS_SECRET_ACCESS_KEY"), "{e}");
        let e =
            resolve(&[("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")]).unwrap_err();
        assert!(e.contains("/nonexistent/credentials"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "[default]\naws_access_key_id=A\naws_secret_access_key=B\n",
        )
        .unwrap();
        let e = resolve(&[
            ("AWS_SHARED_CREDENTIALS_FILE", file.to_str().unwrap()),
            ("AWS_PROFILE", "prod"),
        ])
        .unwrap_err();
        assert!(e.contains("profile `prod`"), "{e}");
        let e = resolve(&[("AWS_WEB_IDENTITY_TOKEN_FILE", "/t")]).unwrap_err();
        assert!(e.contains("AWS_ROLE_ARN"), "{e}");
        let e = resolve(&[(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://10.1.2.3/creds",
        )])
        .unwrap_err();
        assert!(e.contains("use https"), "{e}");
        assert!(resolve(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[::1]:80/c")]).is_ok());
    }

    #[test]
    fn expirations_parse() {
        let t = parse_rfc3339("2026-11-27T21:00:00Z").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_795_813_200
        );
        let u = parse_rfc3339("2026-11-27T22:00:00.123+01:00").unwrap();
        assert_eq!(t, u);
        assert!(parse_rfc3339("yesterday").is_none());
    }
}
