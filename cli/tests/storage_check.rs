//! `automqctl storage check` run as a user runs it: the real binary against real stores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_automqctl");

fn check(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .arg("storage")
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_local_directory_can_serve_every_role() {
    let dir = tempfile::tempdir().unwrap();
    let loc = dir.path().join("store");
    let (code, out, err) = check(&[loc.to_str().unwrap(), "--create", "--quick"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    for want in [
        "create-if-absent",
        "5 of 5 rounds of 16 writers had exactly one winner",
        "16 MiB",
        "meta",
    ] {
        assert!(out.contains(want), "missing `{want}` in:\n{out}");
    }
    assert!(!out.contains("CANNOT"), "{out}");
    let left: Vec<_> = walk(&loc);
    assert!(left.is_empty(), "the check leaves nothing behind: {left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            files.extend(walk(&e.path()));
        } else {
            files.push(e.path());
        }
    }
    files
}

#[test]
fn json_output_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    let loc = dir.path().join("store");
    let out = Command::new(BIN)
        .args([
            "storage",
            "check",
            loc.to_str().unwrap(),
            "--create",
            "--quick",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.trim_start().starts_with('{') && text.contains("\"put_p99_ms\""),
        "{text}"
    );
    assert!(text.contains("\"role\": \"meta\""), "{text}");
}

#[test]
fn a_missing_directory_is_named_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let loc = dir.path().join("absent");
    let (code, _, err) = check(&[loc.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(loc.to_str().unwrap()) && err.contains("--create"),
        "{err}"
    );
    assert!(!loc.exists(), "nothing is created without --create");
}

#[test]
fn a_bad_location_is_a_usage_error() {
    let (code, _, err) = check(&["s3://bucket?profile=wasabi&endpoint=http://127.0.0.1:1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown profile `wasabi`"), "{err}");
}

#[test]
fn an_unreachable_endpoint_fails_fast_and_says_where() {
    let start = std::time::Instant::now();
    let (code, _, err) = check(&[
        "s3://bucket?profile=minio&endpoint=http://127.0.0.1:1&access_key_id=a&secret_access_key=b",
        "--timeout",
        "10s",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("127.0.0.1:1") && err.contains("connection failed"),
        "{err}"
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
}

fn s3_uri(peer: &str, profile: &str) -> String {
    let env = automq_testkit::peers::env(peer);
    let bucket = format!("automq-check-{}", std::process::id());
    format!(
        "s3://{bucket}/p?profile={profile}&endpoint={}&region={}&access_key_id={}&secret_access_key={}",
        env["ENDPOINT"], env["REGION"], env["ACCESS_KEY"], env["SECRET_KEY"]
    )
}

mod minio {
    /// Keys from the environment rather than the location, and the check says where it found them.
    #[test]
    #[ignore = "peer: minio (dev/test runs it)"]
    fn keys_from_the_environment_are_used_and_named() {
        let env = automq_testkit::peers::env("minio");
        let uri = format!(
            "s3://automq-envkeys-{}/p?profile=minio&endpoint={}&region={}",
            std::process::id(),
            env["ENDPOINT"],
            env["REGION"]
        );
        let run = |secret: &str| {
            super::Command::new(super::BIN)
                .args(["storage", "check", &uri, "--create", "--quick"])
                .env("AWS_ACCESS_KEY_ID", &env["ACCESS_KEY"])
                .env("AWS_SECRET_ACCESS_KEY", secret)
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .output()
                .unwrap()
        };
        let out = run(&env["SECRET_KEY"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}");
        assert!(
            stdout.contains(&format!(
                "Credentials from AWS_ACCESS_KEY_ID (key {})",
                env["ACCESS_KEY"]
            )),
            "{stdout}"
        );
        assert!(!stdout.contains(&env["SECRET_KEY"]), "{stdout}");
        let out = run("not-the-secret");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("HTTP 403")
                && stderr.contains("check the credentials from AWS_ACCESS_KEY_ID"),
            "{stderr}"
        );
    }

    #[test]
    #[ignore = "peer: minio (dev/test runs it)"]
    fn minio_serves_every_role() {
        let (code, out, err) =
            super::check(&[&super::s3_uri("minio", "minio"), "--create", "--quick"]);
        println!("{out}");
        assert_eq!(code, Some(0), "{out}\n{err}");
    }
}

mod s3rver {
    #[test]
    #[ignore = "peer: s3rver (dev/test runs it)"]
    fn a_store_without_create_if_absent_cannot_hold_metadata() {
        let (code, out, err) =
            super::check(&[&super::s3_uri("s3rver", "plain"), "--create", "--quick"]);
        println!("{out}");
        assert_eq!(code, Some(1), "{out}\n{err}");
        let meta = out.lines().find(|l| l.contains("meta")).unwrap_or_default();
        assert!(
            meta.contains("CANNOT") && meta.contains("keep metadata"),
            "{out}"
        );
        let data = out
            .lines()
            .find(|l| l.contains("│ data"))
            .unwrap_or_default();
        assert!(data.contains("ok"), "{out}");
    }
}
