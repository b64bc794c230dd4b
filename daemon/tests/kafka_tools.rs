//! Apache Kafka's own CLI tools against automqd (peer tier: the tools' jars come with the `kafka` peer).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod kafka {
    use std::io::Write;
    use std::path::Path;
    use std::process::{Command, Stdio};

    use automq_testkit::broker::BrokerProcess;

    fn start(dir: &Path) -> BrokerProcess {
        start_with(dir, &[])
    }

    fn start_with(dir: &Path, extra: &[&str]) -> BrokerProcess {
        let bin = Path::new(env!("CARGO_BIN_EXE_automqd"));
        let mut args = vec!["--set", "listeners=[127.0.0.1:0]"];
        args.extend_from_slice(extra);
        BrokerProcess::start(bin, dir, &args, 1)
    }

    /// Runs a tool with `input` on its stdin; returns (success, stdout, stderr).
    fn tool_with_input(args: &[&str], input: &str) -> (bool, String, String) {
        let env = automq_testkit::peers::env("kafka");
        let mut child = Command::new(&env["TOOL"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn tool(args: &[&str]) -> (bool, String, String) {
        tool_with_input(args, "")
    }

    /// kafka-broker-api-versions reads exactly what automqd implements, and nothing it does not.
    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn broker_api_versions_shows_exactly_what_is_implemented() {
        let dir = tempfile::tempdir().unwrap();
        let broker = start(dir.path());
        let bootstrap = broker.addrs[0].to_string();
        let (ok, out, err) = tool(&["broker-api-versions", "--bootstrap-server", &bootstrap]);
        assert!(ok, "{out}\n{err}");
        assert!(out.contains(&format!("{bootstrap} (id: 0")), "{out}");
        for line in [
            "ApiVersions(18): 0 to 4",
            "Metadata(3): 0 to 13",
            "Produce(0): 3 to 13",
            "Fetch(1): 4 to 18",
            "ListOffsets(2): 1 to 10",
            "CreateTopics(19): 2 to 7",
            "DeleteTopics(20): 1 to 6",
            "InitProducerId(22): 0 to 5",
            "DescribeConfigs(32): 1 to 4",
            "DescribeCluster(60): 0 to 2",
            "FindCoordinator(10): 0 to 6",
            "JoinGroup(11): 0 to 9",
            "SyncGroup(14): 0 to 5",
            "Heartbeat(12): 0 to 4",
            "LeaveGroup(13): 0 to 5",
            "OffsetCommit(8): 2 to 9",
            "OffsetFetch(9): 1 to 9",
            "OffsetDelete(47): 0",
            "ListGroups(16): 0 to 5",
            "DescribeGroups(15): 0 to 6",
            "DeleteGroups(42): 0 to 2",
            "AddPartitionsToTxn(24): 0 to 3",
            "AddOffsetsToTxn(25): 0 to 4",
            "EndTxn(26): 0 to 4",
            "TxnOffsetCommit(28): 0 to 3",
            "ListTransactions(66): 0 to 1",
            "DescribeTransactions(65): 0",
            "DescribeProducers(61): 0",
            "CreatePartitions(37): 0 to 3",
            "AlterConfigs(33): 0 to 2",
            "IncrementalAlterConfigs(44): 0 to 1",
            "DeleteRecords(21): 0 to 2",
            "OffsetForLeaderEpoch(23): 2 to 4",
            "DescribeLogDirs(35): 1 to 4",
        ] {
            assert!(out.contains(line), "{line} missing:\n{out}");
        }
        assert!(
            out.contains("WriteTxnMarkers(27): UNSUPPORTED"),
            "not implemented yet, so not advertised:\n{out}"
        );
    }

    /// kafka-topics --list goes through the Java AdminClient (ApiVersions, then Metadata) and finds no topics.
    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn topics_list_through_the_java_admin_client() {
        let dir = tempfile::tempdir().unwrap();
        let broker = start(dir.path());
        let (ok, out, err) = tool(&[
            "topics",
            "--list",
            "--bootstrap-server",
            &broker.addrs[0].to_string(),
        ]);
        assert!(ok, "{out}\n{err}");
        assert_eq!(out.trim(), "", "a new broker has no topics");
    }

    /// kafka-topics creates, describes and lists a topic; kafka-console-producer writes lines into it; automqd
    /// restarts; kafka-console-consumer reads every line back, in order, from the data on storage.
    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn records_round_trip_through_the_console_tools_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut broker = start(dir.path());
        let bootstrap = broker.addrs[0].to_string();
        let (ok, out, err) = tool(&[
            "topics",
            "--bootstrap-server",
            &bootstrap,
            "--create",
            "--topic",
            "lines",
            "--partitions",
            "1",
            "--replication-factor",
            "1",
            "--config",
            "retention.ms=3600000",
        ]);
        assert!(ok && out.contains("Created topic lines."), "{out}\n{err}");
        let (ok, out, err) = tool(&[
            "topics",
            "--bootstrap-server",
            &bootstrap,
            "--create",
            "--topic",
            "lines",
        ]);
        assert!(
            !ok && format!("{out}{err}").contains("already exists"),
            "{out}\n{err}"
        );
        let (ok, out, err) = tool(&[
            "topics",
            "--bootstrap-server",
            &bootstrap,
            "--describe",
            "--topic",
            "lines",
        ]);
        assert!(ok, "{out}\n{err}");
        assert!(out.contains("PartitionCount: 1"), "{out}");
        assert!(out.contains("retention.ms=3600000"), "{out}");
        assert!(
            out.contains("Partition: 0\tLeader: 0\tReplicas: 0\tIsr: 0"),
            "{out}"
        );
        let (ok, out, err) = tool(&["topics", "--bootstrap-server", &bootstrap, "--list"]);
        assert!(ok && out.lines().any(|l| l == "lines"), "{out}\n{err}");

        let lines: Vec<String> = (0..200)
            .map(|i| format!("line {i}: {}", "x".repeat(i % 50)))
            .collect();
        let (ok, out, err) = tool_with_input(
            &[
                "console-producer",
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                "lines",
                "--producer-property",
                "acks=all",
            ],
            &(lines.join("\n") + "\n"),
        );
        assert!(ok, "{out}\n{err}");

        assert!(broker.signal_and_wait("TERM").success());
        let broker = start(dir.path());
        let bootstrap = broker.addrs[0].to_string();
        let (ok, out, err) = tool(&[
            "console-consumer",
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "lines",
            "--partition",
            "0",
            "--offset",
            "earliest",
            "--max-messages",
            &lines.len().to_string(),
        ]);
        assert!(ok, "{out}\n{err}");
        assert_eq!(out.lines().collect::<Vec<_>>(), lines, "{err}");
        assert!(
            err.contains(&format!("Processed a total of {} messages", lines.len())),
            "{err}"
        );
    }

    /// kafka-producer-perf-test with acks=all (an idempotent Java producer) writes a few thousand records into
    /// an auto-created topic, and kafka-get-offsets counts them all.
    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn producer_perf_test_with_acks_all_writes_every_record() {
        let dir = tempfile::tempdir().unwrap();
        let broker = start(dir.path());
        let bootstrap = broker.addrs[0].to_string();
        let (ok, out, err) = tool(&[
            "producer-perf-test",
            "--topic",
            "perf",
            "--num-records",
            "5000",
            "--record-size",
            "512",
            "--throughput",
            "-1",
            "--producer-props",
            &format!("bootstrap.servers={bootstrap}"),
            "acks=all",
        ]);
        assert!(ok, "{out}\n{err}");
        assert!(out.contains("5000 records sent"), "{out}\n{err}");
        let (ok, out, err) = tool(&[
            "get-offsets",
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "perf",
        ]);
        assert!(ok, "{out}\n{err}");
        let total: u64 = out
            .lines()
            .filter_map(|l| l.rsplit(':').next()?.parse::<u64>().ok())
            .sum();
        assert_eq!(total, 5000, "{out}");
    }

    /// A console consumer running in the background; its printed lines are collected as they come.
    struct Consumer {
        child: std::process::Child,
        lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    }

    impl Consumer {
        fn start(args: &[&str]) -> Self {
            use std::io::BufRead;
            let env = automq_testkit::peers::env("kafka");
            let mut child = Command::new(&env["TOOL"])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let (out, sink) = (child.stdout.take().unwrap(), lines.clone());
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            });
            Self { child, lines }
        }

        fn lines(&self) -> Vec<String> {
            self.lines.lock().unwrap().clone()
        }

        /// SIGTERM: the console consumer closes its consumer (committing, leaving the group) and exits.
        fn stop(mut self) {
            let pid = self.child.id().to_string();
            assert!(
                Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .unwrap()
                    .success()
            );
            let _ = self.child.wait();
        }
    }

    impl Drop for Consumer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Polls `f` every half second for up to a minute until it gives a value.
    fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        for _ in 0..120 {
            if let Some(v) = f() {
                return v;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        panic!("gave up waiting for {what}");
    }

    /// The rows of `kafka-consumer-groups --describe` for `group`: (partition, current offset, log end, lag,
    /// consumer id, host, client id), sorted by partition.
    fn describe_rows(bootstrap: &str, group: &str) -> (String, Vec<Vec<String>>) {
        let (_, out, err) = tool(&[
            "consumer-groups",
            "--bootstrap-server",
            bootstrap,
            "--describe",
            "--group",
            group,
        ]);
        let mut rows: Vec<Vec<String>> = out
            .lines()
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .filter(|cols| cols.len() == 9 && cols[0] == group)
            .map(|cols| cols[2..].to_vec())
            .collect();
        rows.sort_by_key(|r| r[0].parse::<i32>().unwrap_or(-1));
        (format!("{out}{err}"), rows)
    }

    /// Two `kafka-console-consumer --group g` processes share a 4-partition topic: each gets partitions and every
    /// record is consumed once in total. `kafka-consumer-groups` describes the members and their lag, resets the
    /// offsets to the earliest (a consumer then reads everything again), and deletes the group.
    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn console_consumers_share_a_group_and_consumer_groups_manages_it() {
        let dir = tempfile::tempdir().unwrap();
        let broker = start(dir.path());
        let bootstrap = broker.addrs[0].to_string();
        let (ok, out, err) = tool(&[
            "topics",
            "--bootstrap-server",
            &bootstrap,
            "--create",
            "--topic",
            "shared",
            "--partitions",
            "4",
        ]);
        assert!(ok, "{out}\n{err}");

        let consume = [
            "console-consumer",
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "shared",
            "--group",
            "g",
            "--from-beginning",
            "--property",
            "print.partition=true",
        ];
        let c1 = Consumer::start(&consume);
        let c2 = Consumer::start(&consume);
        // Both members hold partitions (the initial rebalance delay usually lets them join one generation).
        let owners = eventually("two members sharing the partitions", || {
            let (_, rows) = describe_rows(&bootstrap, "g");
            let owners: std::collections::BTreeSet<String> =
                rows.iter().map(|r| r[4].clone()).collect();
            (rows.len() == 4 && owners.len() == 2 && !owners.contains("-")).then_some(owners)
        });
        assert!(
            owners.iter().all(|o| o.starts_with("console-consumer-")),
            "{owners:?}"
        );

        let lines: Vec<String> = (0..400).map(|i| format!("record-{i:03}")).collect();
        let (ok, out, err) = tool_with_input(
            &[
                "console-producer",
                "--bootstrap-server",
                &bootstrap,
                "--topic",
                "shared",
                "--producer-property",
                "partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner",
            ],
            &(lines.join("\n") + "\n"),
        );
        assert!(ok, "{out}\n{err}");
        eventually("every record consumed", || {
            (c1.lines().len() + c2.lines().len() >= 400).then_some(())
        });
        let value = |l: &String| l.split('\t').nth(1).unwrap_or_default().to_string();
        let partition = |l: &String| l.split('\t').next().unwrap_or_default().to_string();
        let (got1, got2) = (c1.lines(), c2.lines());
        assert!(
            !got1.is_empty() && !got2.is_empty(),
            "each consumer gets records"
        );
        let p1: std::collections::BTreeSet<String> = got1.iter().map(partition).collect();
        let p2: std::collections::BTreeSet<String> = got2.iter().map(partition).collect();
        assert!(
            p1.is_disjoint(&p2),
            "no partition read by both: {p1:?} {p2:?}"
        );
        let mut all: Vec<String> = got1.iter().chain(&got2).map(value).collect();
        all.sort();
        assert_eq!(all, lines, "every record once, in total");

        // Auto-commit catches up: every partition at 100 of 100, no lag, owned by one of the two members.
        let (out, rows) = eventually("committed offsets at the end", || {
            let (out, rows) = describe_rows(&bootstrap, "g");
            rows.iter()
                .all(|r| r[1] == "100" && r[3] == "0")
                .then_some((out, rows))
        });
        assert_eq!(rows.len(), 4, "{out}");
        for r in &rows {
            assert_eq!(
                (r[2].as_str(), r[5].as_str(), r[6].as_str()),
                ("100", "/127.0.0.1", "console-consumer"),
                "{out}"
            );
            assert!(owners.contains(&r[4]), "{out}");
        }

        c1.stop();
        c2.stop();
        let (out, rows) = describe_rows(&bootstrap, "g");
        assert!(
            out.contains("Consumer group 'g' has no active members."),
            "{out}"
        );
        assert!(rows.iter().all(|r| r[1] == "100" && r[4] == "-"), "{out}");

        let (ok, out, err) = tool(&[
            "consumer-groups",
            "--bootstrap-server",
            &bootstrap,
            "--reset-offsets",
            "--to-earliest",
            "--execute",
            "--group",
            "g",
            "--topic",
            "shared",
        ]);
        assert!(ok, "{out}\n{err}");
        let reset: Vec<Vec<&str>> = out
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|c| c.len() == 4 && c[0] == "g")
            .collect();
        assert_eq!(reset.len(), 4, "{out}");
        assert!(reset.iter().all(|c| c[3] == "0"), "{out}");
        let (out, rows) = describe_rows(&bootstrap, "g");
        assert!(rows.iter().all(|r| r[1] == "0" && r[3] == "100"), "{out}");

        let (ok, out, err) = tool(&[
            "console-consumer",
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "shared",
            "--group",
            "g",
            "--max-messages",
            "400",
        ]);
        assert!(ok, "{err}");
        let mut again: Vec<String> = out.lines().map(str::to_string).collect();
        again.sort();
        assert_eq!(again, lines, "everything again after the reset");

        let (ok, out, err) = tool(&[
            "consumer-groups",
            "--bootstrap-server",
            &bootstrap,
            "--delete",
            "--group",
            "g",
        ]);
        assert!(
            ok && out.contains("Deletion of requested consumer groups ('g') was successful."),
            "{out}\n{err}"
        );
        let (ok, out, err) = tool(&[
            "consumer-groups",
            "--bootstrap-server",
            &bootstrap,
            "--list",
        ]);
        assert!(ok && !out.lines().any(|l| l.trim() == "g"), "{out}\n{err}");
        let (_, out, err) = tool(&[
            "consumer-groups",
            "--bootstrap-server",
            &bootstrap,
            "--describe",
            "--group",
            "g",
        ]);
        assert!(
            format!("{out}{err}").contains("GroupIdNotFoundException"),
            "{out}\n{err}"
        );
    }

    /// kafka-topics --alter --partitions adds partitions; kafka-configs adds, describes and deletes topic configs
    /// and broker defaults, and refuses an unknown config by name.
    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn partitions_and_configs_through_kafka_topics_and_kafka_configs() {
        let dir = tempfile::tempdir().unwrap();
        let broker = start(dir.path());
        let b = broker.addrs[0].to_string();
        let run = |args: &[&str]| {
            let (ok, out, err) = tool(args);
            assert!(ok, "{args:?}\n{out}\n{err}");
            out
        };
        run(&[
            "topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "cfg",
            "--partitions",
            "1",
        ]);
        run(&[
            "topics",
            "--bootstrap-server",
            &b,
            "--alter",
            "--topic",
            "cfg",
            "--partitions",
            "3",
        ]);
        let out = run(&[
            "topics",
            "--bootstrap-server",
            &b,
            "--describe",
            "--topic",
            "cfg",
        ]);
        assert!(out.contains("PartitionCount: 3"), "{out}");
        assert!(out.contains("Partition: 2\tLeader: 0"), "{out}");
        let (ok, out, err) = tool(&[
            "topics",
            "--bootstrap-server",
            &b,
            "--alter",
            "--topic",
            "cfg",
            "--partitions",
            "2",
        ]);
        assert!(
            !ok && format!("{out}{err}").contains("partitions cannot be removed"),
            "{out}\n{err}"
        );

        // kafka-configs against the topic: TOOL configs --bootstrap-server B --entity-type topics --entity-name cfg …
        let topic = |extra: &[&str]| {
            let mut args = vec![
                "configs",
                "--bootstrap-server",
                &b,
                "--entity-type",
                "topics",
            ];
            args.extend_from_slice(&["--entity-name", "cfg"]);
            args.extend_from_slice(extra);
            tool(&args)
        };
        let ok = |(ok, out, err): (bool, String, String)| {
            assert!(ok, "{out}\n{err}");
            out
        };
        ok(topic(&[
            "--alter",
            "--add-config",
            "retention.ms=60000,cleanup.policy=[compact,delete]",
        ]));
        let out = ok(topic(&["--describe"]));
        assert!(out.contains("retention.ms=60000"), "{out}");
        assert!(out.contains("cleanup.policy=compact,delete"), "{out}");
        ok(topic(&["--alter", "--delete-config", "retention.ms"]));
        let out = ok(topic(&["--describe"]));
        assert!(!out.contains("retention.ms="), "{out}");
        let (ok_, out, err) = topic(&["--alter", "--add-config", "retention.msec=1"]);
        assert!(
            !ok_ && format!("{out}{err}").contains("retention.msec"),
            "{out}\n{err}"
        );

        let defaults = |extra: &[&str]| {
            let mut args = vec![
                "configs",
                "--bootstrap-server",
                &b,
                "--entity-type",
                "brokers",
            ];
            args.push("--entity-default");
            args.extend_from_slice(extra);
            tool(&args)
        };
        ok(defaults(&[
            "--alter",
            "--add-config",
            "log.retention.ms=3600000",
        ]));
        let out = ok(defaults(&["--describe"]));
        assert!(out.contains("log.retention.ms=3600000"), "{out}");
        let out = ok(topic(&["--describe", "--all"]));
        assert!(
            out.contains("retention.ms=3600000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=3600000"),
            "{out}"
        );
        let out = run(&[
            "configs",
            "--bootstrap-server",
            &b,
            "--entity-type",
            "brokers",
            "--entity-name",
            "0",
            "--describe",
            "--all",
        ]);
        assert!(
            out.contains(
                "num.partitions=1 sensitive=false synonyms={STATIC_BROKER_CONFIG:num.partitions=1"
            ),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "advertised.listeners=PLAINTEXT://{b} sensitive=false"
            )),
            "{out}"
        );
    }

    /// kafka-delete-records moves the log start: kafka-get-offsets reports it as the earliest offset, the console
    /// consumer reads from it, and kafka-log-dirs reports the partition with its size.
    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn delete_records_and_log_dirs_through_kafkas_tools() {
        let dir = tempfile::tempdir().unwrap();
        let broker = start(dir.path());
        let b = broker.addrs[0].to_string();
        let run = |args: &[&str]| {
            let (ok, out, err) = tool(args);
            assert!(ok, "{args:?}\n{out}\n{err}");
            out
        };
        run(&[
            "topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "dr",
            "--partitions",
            "1",
        ]);
        let lines: Vec<String> = (0..20).map(|i| format!("line {i}")).collect();
        let (ok, out, err) = tool_with_input(
            &[
                "console-producer",
                "--bootstrap-server",
                &b,
                "--topic",
                "dr",
            ],
            &(lines.join("\n") + "\n"),
        );
        assert!(ok, "{out}\n{err}");
        let json = dir.path().join("delete.json");
        std::fs::write(
            &json,
            r#"{"partitions": [{"topic": "dr", "partition": 0, "offset": 5}], "version": 1}"#,
        )
        .unwrap();
        let out = run(&[
            "delete-records",
            "--bootstrap-server",
            &b,
            "--offset-json-file",
            json.to_str().unwrap(),
        ]);
        assert!(out.contains("partition: dr-0\tlow_watermark: 5"), "{out}");
        let out = run(&[
            "get-offsets",
            "--bootstrap-server",
            &b,
            "--topic",
            "dr",
            "--time",
            "-2",
        ]);
        assert_eq!(out.trim(), "dr:0:5");
        let out = run(&[
            "console-consumer",
            "--bootstrap-server",
            &b,
            "--topic",
            "dr",
            "--partition",
            "0",
            "--offset",
            "earliest",
            "--max-messages",
            "15",
        ]);
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            lines[5..],
            "read from the new log start"
        );
        let out = run(&[
            "log-dirs",
            "--bootstrap-server",
            &b,
            "--describe",
            "--topic-list",
            "dr",
        ]);
        let json = out
            .lines()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("{out}"));
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let dirs = &v["brokers"][0]["logDirs"];
        assert_eq!(dirs.as_array().map(Vec::len), Some(1), "{json}");
        let p = &dirs[0]["partitions"][0];
        assert_eq!(p["partition"], "dr-0", "{json}");
        assert!(p["size"].as_i64().unwrap() > 0, "{json}");
    }

    /// A topic created compacted by kafka-topics and written by the console producer with keys is compacted in
    /// the background: the console consumer, from the earliest offset, reads the latest value of each key.
    #[test]
    #[ignore = "peer: kafka (dev/test runs it)"]
    fn a_compacted_topic_reads_back_the_latest_value_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let broker = start_with(dir.path(), &["--set", "topics.cleaner_backoff_ms=100"]);
        let b = broker.addrs[0].to_string();
        let (ok, out, err) = tool(&[
            "topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "comp",
            "--partitions",
            "1",
            "--config",
            "cleanup.policy=compact",
            "--config",
            "min.cleanable.dirty.ratio=0.01",
        ]);
        assert!(ok, "{out}\n{err}");
        let lines: Vec<String> = (0..30).map(|i| format!("k{}:v{i}", i % 3)).collect();
        let (ok, out, err) = tool_with_input(
            &[
                "console-producer",
                "--bootstrap-server",
                &b,
                "--topic",
                "comp",
                "--property",
                "parse.key=true",
                "--property",
                "key.separator=:",
            ],
            &(lines.join("\n") + "\n"),
        );
        assert!(ok, "{out}\n{err}");
        let want = ["k0:v27", "k1:v28", "k2:v29"];
        let mut seen = String::new();
        for _ in 0..10 {
            let (ok, out, err) = tool(&[
                "console-consumer",
                "--bootstrap-server",
                &b,
                "--topic",
                "comp",
                "--partition",
                "0",
                "--offset",
                "earliest",
                "--max-messages",
                "3",
                "--property",
                "print.key=true",
                "--property",
                "key.separator=:",
            ]);
            assert!(ok, "{out}\n{err}");
            if out.lines().collect::<Vec<_>>() == want {
                return;
            }
            seen = out;
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        panic!("never compacted; last read:\n{seen}");
    }
}
