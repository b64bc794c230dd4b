//! The standard AWS credential chain against a real S3 server: temporary credentials issued by MinIO's STS,
//! handed out by credential endpoints served on loopback (container endpoint, instance metadata), and keys read
//! from a shared credentials file. Nothing here goes near the link-local metadata addresses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod minio {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use std::time::SystemTime;

    use automq_backend::{Backend, BackendError};
    use automq_backend_s3::{S3Backend, S3Config, sigv4};
    use object_store::path::Path;
    use object_store::{ObjectStoreExt, PutPayload};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Temporary credentials as an STS answer carries them.
    struct Temporary {
        key: String,
        secret: String,
        token: String,
        expiration: String,
    }

    fn tag(body: &str, name: &str) -> String {
        let open = format!("<{name}>");
        let start = body
            .find(&open)
            .unwrap_or_else(|| panic!("no <{name}> in {body}"))
            + open.len();
        let end = body[start..].find(&format!("</{name}>")).unwrap();
        body[start..start + end].to_string()
    }

    /// AssumeRole at MinIO's STS with the root keys: real temporary credentials with a session token.
    async fn assume_role(env: &HashMap<String, String>) -> Temporary {
        let url = format!("{}/", env["ENDPOINT"]);
        let body = "Action=AssumeRole&DurationSeconds=3600&Version=2011-06-15";
        let creds = sigv4::Credentials {
            access_key_id: env["ACCESS_KEY"].clone(),
            secret_access_key: env["SECRET_KEY"].clone(),
            session_token: None,
        };
        let headers = sigv4::sign_service(
            &creds,
            &env["REGION"],
            "sts",
            "POST",
            &url,
            body.as_bytes(),
            SystemTime::now(),
        )
        .unwrap();
        let mut req = reqwest::Client::new()
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "AssumeRole: HTTP {status}: {text}");
        Temporary {
            key: tag(&text, "AccessKeyId"),
            secret: tag(&text, "SecretAccessKey"),
            token: tag(&text, "SessionToken"),
            expiration: tag(&text, "Expiration"),
        }
    }

    /// One request a credential endpoint saw: method, path and its Authorization or IMDS token header.
    #[derive(Debug, Clone)]
    struct Seen {
        method: String,
        path: String,
        auth: Option<String>,
    }

    type Route = Arc<dyn Fn(&Seen) -> (u16, String) + Send + Sync>;

    /// A small HTTP/1.1 endpoint on 127.0.0.1 answering each request with `route`, recording what it saw.
    async fn serve(route: Route) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let route = Arc::clone(&route);
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    let mut lines = head.lines();
                    let mut first = lines.next().unwrap_or_default().split(' ');
                    let method = first.next().unwrap_or_default().to_string();
                    let path = first.next().unwrap_or_default().to_string();
                    let auth = lines.find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        let k = k.trim().to_ascii_lowercase();
                        (k == "authorization" || k == "x-aws-ec2-metadata-token")
                            .then(|| v.trim().to_string())
                    });
                    let req = Seen { method, path, auth };
                    let (status, body) = route(&req);
                    log.lock().unwrap().push(req);
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                });
            }
        });
        (base, seen)
    }

    fn credentials_json(t: &Temporary) -> String {
        format!(
            r#"{{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"{}","SecretAccessKey":"{}","Token":"{}","Expiration":"{}"}}"#,
            t.key, t.secret, t.token, t.expiration
        )
    }

    /// A location on the MinIO peer without keys, resolved against `vars` as its whole environment.
    fn backend(env: &HashMap<String, String>, vars: &[(&str, String)]) -> S3Backend {
        let bucket = format!(
            "automq-creds-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let lookup = move |k: &str| vars.get(k).cloned();
        let uri = format!(
            "s3://{bucket}/p?profile=minio&endpoint={}&region={}&timeout_ms=10000",
            env["ENDPOINT"], env["REGION"]
        );
        S3Backend::new(S3Config::from_uri_with(&uri, &lookup).unwrap()).unwrap()
    }

    /// Bucket creation (our own signed request) and object writes (object_store) both use the chain.
    async fn round_trip(b: &S3Backend) {
        b.provision().await.unwrap();
        b.probe().await.unwrap();
        let store = b.object_store().unwrap();
        let key = Path::from("creds/obj");
        store
            .put(
                &key,
                PutPayload::from_static(b"signed with a session token"),
            )
            .await
            .unwrap();
        let got = store.get(&key).await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"signed with a session token");
        store.delete(&key).await.unwrap();
    }

    #[tokio::test]
    #[ignore = "peer: minio (dev/test runs it)"]
    async fn container_endpoint_supplies_temporary_credentials() {
        let env = automq_testkit::peers::env("minio");
        let temp = assume_role(&env).await;
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, "pod-identity-token\n").unwrap();
        let body = credentials_json(&temp);
        let (base, seen) = serve(Arc::new(move |req: &Seen| {
            if req.auth.as_deref() == Some("pod-identity-token") {
                (200, body.clone())
            } else {
                (403, r#"{"Message":"bad token"}"#.into())
            }
        }))
        .await;
        let vars = [
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{base}/v1/credentials"),
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                token_file.display().to_string(),
            ),
        ];
        let b = backend(&env, &vars);
        assert!(
            b.credential_source()
                .unwrap()
                .contains("container credentials at http://127.0.0.1"),
            "{}",
            b.credential_source().unwrap()
        );
        round_trip(&b).await;
        // Fetched once, then kept until shortly before the expiration MinIO gave.
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].path, "/v1/credentials");

        // A rotated token the endpoint refuses: one line naming the endpoint and what to check.
        std::fs::write(&token_file, "stale").unwrap();
        let e = backend(&env, &vars).probe().await.unwrap_err();
        assert!(matches!(e, BackendError::Credentials { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("{base}/v1/credentials")) && msg.contains("HTTP 403"),
            "{msg}"
        );
        assert!(!msg.contains(&temp.secret) && !msg.contains(&temp.token));
    }

    #[tokio::test]
    #[ignore = "peer: minio (dev/test runs it)"]
    async fn instance_metadata_supplies_temporary_credentials() {
        let env = automq_testkit::peers::env("minio");
        let temp = assume_role(&env).await;
        let body = credentials_json(&temp);
        // IMDSv2: a session token first, then the role's name, then its credentials, each under that token.
        let (base, seen) = serve(Arc::new(move |req: &Seen| {
            match (req.method.as_str(), req.path.as_str()) {
                ("PUT", "/latest/api/token") => (200, "imds-session".into()),
                (_, _) if req.auth.as_deref() != Some("imds-session") => (401, String::new()),
                ("GET", "/latest/meta-data/iam/security-credentials/") => {
                    (200, "automq-broker".into())
                }
                ("GET", "/latest/meta-data/iam/security-credentials/automq-broker") => {
                    (200, body.clone())
                }
                _ => (404, String::new()),
            }
        }))
        .await;
        let b = backend(&env, &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", base.clone())]);
        assert_eq!(
            b.credential_source().unwrap(),
            format!("instance metadata at {base}")
        );
        round_trip(&b).await;
        let paths: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.path.clone())
            .collect();
        assert_eq!(
            paths,
            [
                "/latest/api/token",
                "/latest/meta-data/iam/security-credentials/",
                "/latest/meta-data/iam/security-credentials/automq-broker"
            ],
            "credentials are fetched once and shared by the store and the bucket requests"
        );
    }

    #[tokio::test]
    #[ignore = "peer: minio (dev/test runs it)"]
    async fn shared_credentials_file_profile() {
        let env = automq_testkit::peers::env("minio");
        let temp = assume_role(&env).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            format!(
                "[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n\
                 [automq]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
                temp.key, temp.secret, temp.token
            ),
        )
        .unwrap();
        let vars = [
            ("AWS_SHARED_CREDENTIALS_FILE", file.display().to_string()),
            ("AWS_PROFILE", "automq".to_string()),
        ];
        let b = backend(&env, &vars);
        assert!(b.credential_source().unwrap().contains("[automq]"));
        round_trip(&b).await;
        // The default profile's keys are not MinIO's: that proves the profile was the one used above.
        let e = backend(&env, &vars[..1]).probe().await.unwrap_err();
        assert!(matches!(e, BackendError::Credentials { .. }), "{e}");
    }

    #[tokio::test]
    #[ignore = "peer: minio (dev/test runs it)"]
    async fn no_credentials_anywhere_is_one_line() {
        let env = automq_testkit::peers::env("minio");
        let dir = tempfile::tempdir().unwrap();
        let b = backend(
            &env,
            &[
                ("HOME", dir.path().display().to_string()),
                ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ],
        );
        let e = b.probe().await.unwrap_err();
        assert!(matches!(e, BackendError::Credentials { .. }), "{e}");
        assert!(e.to_string().contains("no credentials found"), "{e}");
        let e = b.object_store().unwrap_err();
        assert!(e.to_string().contains("AWS_ACCESS_KEY_ID"), "{e}");
    }
}
