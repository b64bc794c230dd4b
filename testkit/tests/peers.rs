//! Smoke tests for the peers that are not storage: Apache Kafka with its CLI tools, and the SSH hosts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

mod kafka {
    use super::run;
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// Apache Kafka's own console producer and consumer round-trip three records through the Kafka peer.
    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn console_producer_round_trip() {
        let env = automq_testkit::peers::env("kafka");
        let (tool, bootstrap) = (&env["TOOL"], &env["BOOTSTRAP"]);
        let topic = format!("smoke-{}", std::process::id());
        run(Command::new(tool).args([
            "topics",
            "--bootstrap-server",
            bootstrap,
            "--create",
            "--topic",
            &topic,
        ]));
        let mut producer = Command::new(tool)
            .args([
                "console-producer",
                "--bootstrap-server",
                bootstrap,
                "--topic",
                &topic,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        producer
            .stdin
            .take()
            .unwrap()
            .write_all(b"one\ntwo\nthree\n")
            .unwrap();
        let out = producer.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "console-producer: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = run(Command::new(tool).args([
            "console-consumer",
            "--bootstrap-server",
            bootstrap,
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "3",
            "--timeout-ms",
            "60000",
        ]));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .collect::<Vec<_>>(),
            ["one", "two", "three"]
        );
    }
}

mod sshhosts {
    use super::run;
    use std::process::Command;

    /// `ssh HOST true` from the client namespace into each host's namespace.
    #[test]
    #[ignore = "peer: sshhosts (dev/test runs it)"]
    fn ssh_into_each_host() {
        let env = automq_testkit::peers::env("sshhosts");
        let hosts: Vec<&str> = env["HOSTS"].split(',').collect();
        assert_eq!(hosts.len(), 3, "three hosts: {hosts:?}");
        for host in hosts {
            let out = run(Command::new("ip").args([
                "netns",
                "exec",
                &env["NETNS"],
                "ssh",
                "-F",
                &env["CONFIG"],
                host,
                "echo $AUTOMQ_SSH_HOST",
            ]));
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                host,
                "landed on {host}"
            );
        }
    }
}
