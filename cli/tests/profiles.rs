//! Profiles, without a cluster: the file they live in, which cluster a command picks, and the mistakes users
//! make. Addresses that refuse connections show which one a command tried.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_automqctl");

struct Home {
    _dir: tempfile::TempDir,
    config: PathBuf,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("nested").join("config.yaml");
        Home { _dir: dir, config }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_remove("AUTOMQ_BOOTSTRAP_SERVER")
            .env("AUTOMQCTL_CONFIG", &self.config);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        text.replace(self.config.to_str().unwrap(), "[CONFIG]")
    }

    fn ctl(&self, args: &[&str]) -> String {
        self.run(args, &[])
    }

    fn file(&self) -> String {
        std::fs::read_to_string(&self.config).unwrap()
    }
}

/// Two addresses nothing listens on, told apart in the output as [A] and [B].
fn two_closed() -> (String, String) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().to_string(),
        b.local_addr().unwrap().to_string(),
    )
}

fn named(text: String, a: &str, b: &str) -> String {
    text.replace(a, "[A]").replace(b, "[B]")
}

#[test]
fn profiles_are_created_listed_switched_and_deleted() {
    let home = Home::new();
    insta::assert_snapshot!(home.ctl(&["profile", "list"]));
    insta::assert_snapshot!(home.ctl(&[
        "profile",
        "create",
        "local",
        "--bootstrap-server",
        "127.0.0.1:9092",
        "-X",
        "client.id=ops",
        "-X",
        "request.timeout.ms=5000"
    ]));
    insta::assert_snapshot!(home.ctl(&[
        "profile",
        "create",
        "prod",
        "-b",
        "b1.example:9092,b2.example:9092"
    ]));
    insta::assert_snapshot!(home.file());
    insta::assert_snapshot!(home.ctl(&["profile", "list"]));
    insta::assert_snapshot!(home.ctl(&["profile", "use", "prod"]));
    insta::assert_snapshot!(home.ctl(&["profile", "list", "-o", "yaml"]));
    insta::assert_snapshot!(home.ctl(&["profile", "create", "prod", "-b", "b3.example:9092"]));
    insta::assert_snapshot!(home.ctl(&[
        "profile",
        "create",
        "prod",
        "-b",
        "b3.example:9092",
        "--force"
    ]));
    insta::assert_snapshot!(home.ctl(&["profile", "delete", "prod"]));
    insta::assert_snapshot!(home.ctl(&["profile", "list", "-o", "json"]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&home.config)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the profile file is private");
    }
}

#[test]
fn profile_mistakes_are_usage_errors() {
    let home = Home::new();
    insta::assert_snapshot!(home.ctl(&["profile", "create", "nowhere"]));
    insta::assert_snapshot!(home.ctl(&["profile", "create", "bad", "-b", "no-port"]));
    insta::assert_snapshot!(home.ctl(&[
        "profile",
        "create",
        "bad",
        "-b",
        "h:1",
        "-X",
        "linger.ms=5"
    ]));
    insta::assert_snapshot!(home.ctl(&["profile", "use", "missing"]));
    insta::assert_snapshot!(home.ctl(&["--profile", "missing", "topic", "list"]));
    home.ctl(&["profile", "create", "one", "-b", "h:1"]);
    insta::assert_snapshot!(home.ctl(&["profile", "delete", "two"]));
    insta::assert_snapshot!(home.ctl(&["--profile", "missing", "topic", "list"]));
}

#[test]
fn a_broken_profile_file_is_named() {
    let home = Home::new();
    std::fs::create_dir_all(home.config.parent().unwrap()).unwrap();
    std::fs::write(&home.config, "profiles:\n  x: [unclosed\n").unwrap();
    insta::assert_snapshot!(home.ctl(&["topic", "list"]));
    std::fs::write(
        &home.config,
        "current: x\nprofiles:\n  x:\n    bootstrap-server: h:1\n    properties:\n      request.timeout.ms: never\n",
    )
    .unwrap();
    insta::assert_snapshot!(home.ctl(&["topic", "list"]));
    std::fs::write(
        &home.config,
        "current: x\nprofiles:\n  x:\n    address: h:1\n",
    )
    .unwrap();
    insta::assert_snapshot!(home.ctl(&["topic", "list"]));
}

#[test]
fn which_cluster_a_command_uses() {
    let home = Home::new();
    let (a, b) = two_closed();
    home.ctl(&["profile", "create", "pa", "-b", &a, "--use"]);
    // No flags: the current profile.
    insta::assert_snapshot!(named(home.ctl(&["cluster", "info"]), &a, &b));
    // The environment's bootstrap server alone, without a profile.
    insta::assert_snapshot!(named(
        home.run(&["cluster", "info"], &[("AUTOMQ_BOOTSTRAP_SERVER", &b)]),
        &a,
        &b
    ));
    // An explicit profile beats the environment.
    insta::assert_snapshot!(named(
        home.run(
            &["--profile", "pa", "cluster", "info"],
            &[("AUTOMQ_BOOTSTRAP_SERVER", &b)]
        ),
        &a,
        &b
    ));
    // The command line's bootstrap server overrides the profile's address.
    insta::assert_snapshot!(named(
        home.ctl(&["--profile", "pa", "-b", &b, "cluster", "info"]),
        &a,
        &b
    ));
    // -X overrides apply on top of a profile.
    insta::assert_snapshot!(named(
        home.ctl(&["--profile", "pa", "-X", "nope=1", "cluster", "info"]),
        &a,
        &b
    ));
}

#[test]
fn the_default_file_lives_under_the_config_home() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["profile", "create", "x", "-b", "h:1"])
        .env_remove("AUTOMQCTL_CONFIG")
        .env_remove("AUTOMQ_BOOTSTRAP_SERVER")
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(Path::new(&dir.path().join("automqctl/config.yaml")).is_file());
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["profile", "create", "x", "-b", "h:1"])
        .env_remove("AUTOMQCTL_CONFIG")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("AUTOMQ_BOOTSTRAP_SERVER")
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(home.path().join(".config/automqctl/config.yaml").is_file());
}
