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
fn seek_arguments_are_checked_before_connecting() {
    let addr = closed_addr();
    let filters = vec![(addr.as_str(), "[ADDR]")];
    snapshot!(
        filters.clone(),
        run(&["-b", &addr, "group", "seek", "g", "--to", "start"])
    );
    snapshot!(
        filters.clone(),
        run(&[
            "-b",
            &addr,
            "group",
            "seek",
            "g",
            "--topic",
            "t",
            "--to",
            "yesterday"
        ])
    );
    snapshot!(
        filters,
        run(&[
            "-b",
            &addr,
            "group",
            "seek",
            "g",
            "--topic",
            "a",
            "--topic",
            "b",
            "--partition",
            "0",
            "--to",
            "end"
        ])
    );
}

#[test]
fn a_seek_file_with_a_bad_line_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("offsets.csv");
    std::fs::write(
        &file,
        "# topic,partition,offset\norders,0,10\norders,one,5\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    snapshot!(
        vec![(path, "[FILE]")],
        run(&["-b", "127.0.0.1:9", "group", "seek", "g", "--to", path])
    );
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
    use std::process::{Child, Stdio};
    use std::time::{Duration, Instant};

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

    fn json(args: &[&str]) -> serde_json::Value {
        let (bootstrap, _) = peer();
        let out = Command::new(BIN)
            .args(args)
            .args(["-o", "json"])
            .env("AUTOMQ_BOOTSTRAP_SERVER", &bootstrap)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Kafka's own tool, with `stdin` fed in.
    fn kafka_tool(args: &[&str], stdin: &str) {
        use std::io::Write;
        let (bootstrap, tool) = peer();
        let mut child = Command::new(tool)
            .args(&args[..1])
            .args(["--bootstrap-server", &bootstrap])
            .args(&args[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "kafka-tool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Produces `n` records keyed k1..kn with Kafka's console producer (keys spread them over partitions the
    /// same way every run).
    fn produce(topic: &str, n: usize) {
        let records: String = (1..=n).map(|i| format!("k{i}:value {i}\n")).collect();
        kafka_tool(
            &[
                "console-producer",
                "--topic",
                topic,
                "--property",
                "parse.key=true",
                "--property",
                "key.separator=:",
            ],
            &records,
        );
    }

    /// Reads `n` records as `group` with Kafka's console consumer, which commits its position on exit.
    fn consume(topic: &str, group: &str, n: usize) {
        kafka_tool(
            &[
                "console-consumer",
                "--topic",
                topic,
                "--group",
                group,
                "--from-beginning",
                "--max-messages",
                &n.to_string(),
                "--timeout-ms",
                "60000",
            ],
            "",
        );
    }

    /// A console consumer left running as an active member; stopped with SIGTERM so it leaves the group.
    struct Member(Child);

    impl Member {
        fn start(topic: &str, group: &str) -> Member {
            let (bootstrap, tool) = peer();
            Member(
                Command::new(tool)
                    .args(["console-consumer", "--bootstrap-server", &bootstrap])
                    .args(["--topic", topic, "--group", group])
                    .args(["--consumer-property", "client.id=watcher"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        }

        fn stop(&mut self) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.0.id().to_string()])
                .status();
            let _ = self.0.wait();
        }
    }

    impl Drop for Member {
        fn drop(&mut self) {
            if matches!(self.0.try_wait(), Ok(None)) {
                self.stop();
            }
        }
    }

    /// Waits until `group describe` shows the state wanted (a consumer takes seconds to join or leave).
    fn wait_for_state(group: &str, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let d = json(&["group", "describe", group]);
            if d[0]["state"] == state {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "group {group} never became {state}: {d}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
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

    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn an_unknown_topic_or_group_is_named_with_a_hint() {
        let f = filters();
        let t = unique("missing");
        snapshot!(f.clone(), ctl(&["topic", "describe", &t]));
        snapshot!(
            f.clone(),
            ctl(&["topic", "trim", &t, "--before-offset", "1"])
        );
        snapshot!(f.clone(), ctl(&["group", "describe", &t]));
        snapshot!(
            f,
            ctl(&[
                "group",
                "seek",
                &unique("g"),
                "--topic",
                &t,
                "--to",
                "start"
            ])
        );
    }

    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn records_are_trimmed_and_groups_seek_describe_and_delete() {
        let t = unique("seek");
        let g = unique("group");
        let f = filters();
        ctl(&["topic", "create", &t, "-p", "3"]);
        produce(&t, 30);
        consume(&t, &g, 30);

        snapshot!(f.clone(), ctl(&["group", "list", &format!("{g}*")]));
        snapshot!(f.clone(), ctl(&["group", "describe", &g]));
        snapshot!(
            f.clone(),
            ctl(&[
                "group",
                "seek",
                &g,
                "--topic",
                &t,
                "--to",
                "start",
                "--dry-run"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&["group", "seek", &g, "--topic", &t, "--to", "start"])
        );
        snapshot!(f.clone(), ctl(&["group", "describe", &g, "-o", "yaml"]));

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("offsets.csv");
        std::fs::write(&file, format!("# where to resume\n{t},0,3\n{t},2,1\n")).unwrap();
        let path = file.to_str().unwrap();
        let mut with_file = f.clone();
        with_file.push((path, "[FILE]"));
        snapshot!(with_file.clone(), ctl(&["group", "seek", &g, "--to", path]));
        std::fs::write(&file, format!("{t},1,999\n")).unwrap();
        snapshot!(with_file, ctl(&["group", "seek", &g, "--to", path]));

        // Every record is newer than 2000 and older than 2999.
        snapshot!(
            f.clone(),
            ctl(&[
                "group",
                "seek",
                &g,
                "--topic",
                &t,
                "--partition",
                "1",
                "--to",
                "2000-01-01T00:00:00Z"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&[
                "group",
                "seek",
                &g,
                "--topic",
                &t,
                "--to",
                "2999-01-01T00:00:00+02:00",
                "--dry-run"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&["group", "seek", &g, "--topic", &t, "--to", "end"])
        );

        snapshot!(
            f.clone(),
            ctl(&["topic", "trim", &t, "--before-offset", "2", "--dry-run"])
        );
        snapshot!(
            f.clone(),
            ctl(&[
                "topic",
                "trim",
                &t,
                "--before-offset",
                "2",
                "--partition",
                "0"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&["topic", "trim", &t, "--before-offset", "100"])
        );
        snapshot!(
            f.clone(),
            ctl(&[
                "topic",
                "trim",
                &t,
                "--partition",
                "7",
                "--before-offset",
                "1"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&["topic", "trim", &t, "--before-time", "2999-01-01T00:00:00Z"])
        );
        snapshot!(
            f.clone(),
            ctl(&[
                "group",
                "seek",
                &g,
                "--topic",
                &t,
                "--to",
                "start",
                "--dry-run"
            ])
        );

        snapshot!(f.clone(), ctl(&["group", "delete", &g]));
        snapshot!(f, ctl(&["group", "describe", &g]));
        ctl(&["topic", "delete", &t]);
    }

    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn a_group_with_active_members_is_described_and_not_moved() {
        let t = unique("active");
        let g = unique("members");
        let f = filters();
        ctl(&["topic", "create", &t, "-p", "2"]);
        produce(&t, 10);
        // Committed at the end first, so the member's own commits do not change what is shown.
        snapshot!(
            f.clone(),
            ctl(&["group", "seek", &g, "--topic", &t, "--to", "end"])
        );
        let mut member = Member::start(&t, &g);
        wait_for_state(&g, "Stable");
        snapshot!(f.clone(), ctl(&["group", "describe", &g]));
        snapshot!(
            f.clone(),
            ctl(&[
                "group",
                "seek",
                &g,
                "--topic",
                &t,
                "--to",
                "start",
                "--dry-run"
            ])
        );
        snapshot!(f.clone(), ctl(&["group", "delete", &g]));
        member.stop();
        wait_for_state(&g, "Empty");
        snapshot!(f, ctl(&["group", "delete", &g]));
        ctl(&["topic", "delete", &t]);
    }

    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn the_cluster_and_its_broker_configs() {
        let f = filters();
        // Whatever an interrupted run left behind goes first.
        for scope in [&["--broker", "1"][..], &[][..]] {
            let mut args = vec![
                "cluster",
                "config",
                "set",
                "--delete",
                "log.cleaner.backoff.ms",
            ];
            args.extend_from_slice(scope);
            ctl(&args);
        }
        snapshot!(f.clone(), ctl(&["cluster", "info"]));
        snapshot!(f.clone(), ctl(&["cluster", "info", "-o", "json"]));
        snapshot!(
            f.clone(),
            ctl(&[
                "cluster",
                "config",
                "get",
                "num.partitions",
                "log.cleaner.backoff.ms",
                "node.id"
            ])
        );
        // log.cleaner.backoff.ms changes nothing another test looks at.
        snapshot!(
            f.clone(),
            ctl(&[
                "cluster",
                "config",
                "set",
                "log.cleaner.backoff.ms=16000",
                "--dry-run"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&["cluster", "config", "set", "log.cleaner.backoff.ms=16000"])
        );
        snapshot!(f.clone(), ctl(&["cluster", "config", "get", "--defaults"]));
        snapshot!(
            f.clone(),
            ctl(&[
                "cluster",
                "config",
                "set",
                "log.cleaner.backoff.ms=17000",
                "--broker",
                "1"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&[
                "cluster",
                "config",
                "get",
                "log.cleaner.backoff.ms",
                "-o",
                "yaml"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&[
                "cluster",
                "config",
                "set",
                "--delete",
                "log.cleaner.backoff.ms",
                "--broker",
                "1"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&[
                "cluster",
                "config",
                "set",
                "--delete",
                "log.cleaner.backoff.ms"
            ])
        );
        snapshot!(
            f.clone(),
            ctl(&["cluster", "config", "get", "log.cleaner.backoff.ms"])
        );
        snapshot!(
            f.clone(),
            ctl(&["cluster", "config", "set", "log.cleaner.backoff.ms=soon"])
        );
        snapshot!(f, ctl(&["cluster", "config", "get", "--broker", "42"]));
    }
}
