//! The admin commands run as a user runs them: the real `automqctl` binary, its whole output snapshotted.
//! Argument and connection errors need no cluster; everything else runs against Apache Kafka from `dev/peers`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_automqctl");

/// Runs automqctl with a clean environment (no bootstrap server, a profile file that does not exist) and returns
/// its exit code, stdout and stderr as one text.
fn run(args: &[&str]) -> String {
    run_with(args, &[])
}

fn run_with(args: &[&str], env: &[(&str, &str)]) -> String {
    let none = std::env::temp_dir().join("automqctl-tests-no-profile-file.yaml");
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("AUTOMQ_BOOTSTRAP_SERVER")
        .env("AUTOMQCTL_CONFIG", &none);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// An address nothing listens on.
fn closed_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

macro_rules! snapshot {
    ($filters:expr, $value:expr) => {
        insta::with_settings!({ filters => $filters }, { insta::assert_snapshot!($value) })
    };
}

#[test]
fn an_unreachable_bootstrap_server_fails_at_once_with_exit_3() {
    let addr = closed_addr();
    snapshot!(
        vec![(addr.as_str(), "[ADDR]")],
        run(&["-b", &addr, "topic", "list"])
    );
}

#[test]
fn an_unknown_client_setting_is_a_usage_error() {
    snapshot!(
        Vec::<(&str, &str)>::new(),
        run(&[
            "-b",
            "127.0.0.1:9",
            "-X",
            "request.timeout=5",
            "topic",
            "list"
        ])
    );
}

#[test]
fn a_bad_client_setting_value_is_a_usage_error() {
    snapshot!(
        Vec::<(&str, &str)>::new(),
        run(&[
            "-b",
            "127.0.0.1:9",
            "-X",
            "request.timeout.ms=soon",
            "topic",
            "list"
        ])
    );
}

#[test]
fn a_setting_without_a_value_is_refused_by_the_parser() {
    snapshot!(
        Vec::<(&str, &str)>::new(),
        run(&["-b", "127.0.0.1:9", "-X", "client.id", "topic", "list"])
    );
}

#[test]
fn no_cluster_at_all_says_how_to_give_one() {
    snapshot!(Vec::<(&str, &str)>::new(), run(&["topic", "list"]));
}

#[test]
fn topic_arguments_are_checked_by_the_parser() {
    snapshot!(
        Vec::<(&str, &str)>::new(),
        run(&[
            "-b",
            "127.0.0.1:9",
            "topic",
            "create",
            "t",
            "--partitions",
            "0"
        ])
    );
    snapshot!(
        Vec::<(&str, &str)>::new(),
        run(&["-b", "127.0.0.1:9", "topic", "alter-config", "t"])
    );
    snapshot!(
        Vec::<(&str, &str)>::new(),
        run(&[
            "-b",
            "127.0.0.1:9",
            "topic",
            "trim",
            "t",
            "--before-time",
            "last week"
        ])
    );
}

mod kafka {
    use super::*;

    /// The peer's address and Kafka's tool launcher, read once per test binary.
    fn peer() -> (String, String) {
        static PEER: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
        PEER.get_or_init(|| {
            let mut env = automq_testkit::peers::env("kafka");
            (
                env.remove("BOOTSTRAP").expect("BOOTSTRAP"),
                env.remove("TOOL").expect("TOOL"),
            )
        })
        .clone()
    }

    /// A name no other run uses: `adm-<tag>-r` and 16 hex digits (filtered as `[RAND]` in snapshots).
    fn unique(tag: &str) -> String {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        format!("adm-{tag}-r{}", &hex[..16])
    }

    /// What varies between runs: random names, topic and cluster ids, member ids, the Kafka data folder.
    fn filters() -> Vec<(&'static str, &'static str)> {
        vec![
            (
                r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                "[UUID]",
            ),
            (r"-r[0-9a-f]{16}", "-[RAND]"),
            (r"\b[A-Za-z0-9_-]{22}\b", "[ID]"),
        ]
    }

    /// automqctl against the peer.
    fn ctl(args: &[&str]) -> String {
        let (bootstrap, _) = peer();
        run_with(args, &[("AUTOMQ_BOOTSTRAP_SERVER", &bootstrap)])
    }

    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn topics_are_created_listed_described_changed_grown_and_deleted() {
        let t = unique("topic");
        let f = filters();
        snapshot!(
            f.clone(),
            ctl(&[
                "topic",
                "create",
                &t,
                "-p",
                "2",
                "-r",
                "1",
                "-c",
                "retention.ms=3600000"
            ])
        );
        snapshot!(f.clone(), ctl(&["topic", "create", &t]));
        snapshot!(
            f.clone(),
            ctl(&["topic", "create", &t, "--if-not-exists", "-o", "yaml"])
        );
        snapshot!(
            f.clone(),
            ctl(&["topic", "create", &format!("{t}-x"), "-p", "3", "--dry-run"])
        );
        snapshot!(f.clone(), ctl(&["topic", "list", &format!("{t}*")]));
        snapshot!(f.clone(), ctl(&["topic", "describe", &t]));
        snapshot!(
            f.clone(),
            ctl(&[
                "topic",
                "alter-config",
                &t,
                "--set",
                "cleanup.policy=compact",
                "--delete",
                "retention.ms"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&[
                "topic",
                "alter-config",
                &t,
                "--set",
                "retention.ms=soon",
                "--dry-run"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&["topic", "add-partitions", &t, "--add", "2"])
        );
        snapshot!(
            f.clone(),
            ctl(&["topic", "add-partitions", &t, "--total", "3"])
        );
        snapshot!(f.clone(), ctl(&["topic", "describe", &t, "-o", "json"]));
        snapshot!(f.clone(), ctl(&["topic", "delete", &t]));
        snapshot!(f.clone(), ctl(&["topic", "delete", &t]));
        snapshot!(f, ctl(&["topic", "delete", &t, "--if-exists"]));
    }
}
