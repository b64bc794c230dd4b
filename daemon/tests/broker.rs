//! automqd as a user runs it: the real binary, real sockets, real signals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use automq_protocol::kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, MetadataRequest, RequestKind, ResponseKind,
};
use automq_protocol::kafka_protocol::protocol::StrBytes;
use automq_testkit::broker::BrokerProcess;
use automq_testkit::kafka::KafkaConn;

const BIN: &str = env!("CARGO_BIN_EXE_automqd");

fn start(dir: &Path) -> BrokerProcess {
    BrokerProcess::start(
        Path::new(BIN),
        dir,
        &[
            "--set",
            "listeners=[127.0.0.1:0, \"[::1]:0\"]",
            "--set",
            "storage.data=./data",
        ],
        2,
    )
}

fn api_versions() -> RequestKind {
    RequestKind::ApiVersions(
        ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("automq-tests"))
            .with_client_software_version(StrBytes::from_static_str("0.1")),
    )
}

#[tokio::test]
async fn serves_api_versions_and_metadata_on_ipv4_and_ipv6() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = start(dir.path());
    assert!(
        broker.addrs[0].is_ipv4() && broker.addrs[1].is_ipv6(),
        "{:?}",
        broker.addrs
    );
    for addr in broker.addrs.clone() {
        let mut conn = KafkaConn::connect(addr).await.unwrap();
        for v in 0..=4 {
            let ResponseKind::ApiVersions(resp) = conn
                .call(ApiKey::ApiVersions, v, &api_versions())
                .await
                .unwrap()
            else {
                panic!("not an ApiVersions response")
            };
            assert_eq!(resp.error_code, 0, "v{v}");
            assert!(
                resp.api_keys
                    .iter()
                    .any(|k| k.api_key == ApiKey::Metadata as i16),
                "v{v}"
            );
        }
        for v in 0..=13 {
            let ResponseKind::Metadata(resp) = conn
                .call(
                    ApiKey::Metadata,
                    v,
                    &RequestKind::Metadata(MetadataRequest::default()),
                )
                .await
                .unwrap()
            else {
                panic!("not a Metadata response")
            };
            assert_eq!(resp.brokers.len(), 1, "v{v}");
            assert_eq!(
                resp.brokers[0].port,
                i32::from(broker.addrs[0].port()),
                "v{v}: advertises the first listener"
            );
            if v >= 2 {
                assert_eq!(resp.cluster_id.as_ref().map(|c| c.len()), Some(22), "v{v}");
            }
        }
    }
    assert!(
        dir.path().join("data/cluster/id").is_file(),
        "the cluster id is kept with the data"
    );
    assert!(broker.signal_and_wait("TERM").success());
}

#[tokio::test]
async fn a_newer_api_versions_gets_our_list_at_v0() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path());
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    // First a request we support, then a v5 header (a version newer than ours), as a future client would send.
    conn.send(ApiKey::ApiVersions, 4, &api_versions())
        .await
        .unwrap();
    let mut raw = Vec::new();
    raw.extend_from_slice(&8i32.to_be_bytes());
    raw.extend_from_slice(&(ApiKey::ApiVersions as i16).to_be_bytes());
    raw.extend_from_slice(&5i16.to_be_bytes());
    raw.extend_from_slice(&77i32.to_be_bytes());
    conn.send_raw(&raw).await.unwrap();
    let _ = conn.recv(ApiKey::ApiVersions, 4).await.unwrap();
    let (correlation_id, ResponseKind::ApiVersions(resp)) =
        conn.recv(ApiKey::ApiVersions, 0).await.unwrap()
    else {
        panic!("not an ApiVersions response")
    };
    assert_eq!(correlation_id, 77);
    assert_eq!(resp.error_code, 35, "UNSUPPORTED_VERSION");
    assert!(
        resp.api_keys
            .iter()
            .any(|k| k.api_key == ApiKey::ApiVersions as i16 && k.max_version == 4)
    );
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path());
    let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    let mut sent = Vec::new();
    for i in 0..50 {
        let id = if i % 2 == 0 {
            conn.send(ApiKey::ApiVersions, 3, &api_versions())
                .await
                .unwrap()
        } else {
            conn.send(
                ApiKey::Metadata,
                12,
                &RequestKind::Metadata(MetadataRequest::default()),
            )
            .await
            .unwrap()
        };
        sent.push(id);
    }
    for (i, id) in sent.into_iter().enumerate() {
        let (key, v) = if i % 2 == 0 {
            (ApiKey::ApiVersions, 3)
        } else {
            (ApiKey::Metadata, 12)
        };
        let (got, _) = conn.recv(key, v).await.unwrap();
        assert_eq!(got, id, "response {i} out of order");
    }
}

#[tokio::test]
async fn bad_frames_close_only_their_own_connection() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path());
    let mut healthy = KafkaConn::connect(broker.addrs[0]).await.unwrap();
    healthy
        .call(ApiKey::ApiVersions, 3, &api_versions())
        .await
        .unwrap();

    let garbage: Vec<Vec<u8>> = vec![
        i32::MAX.to_be_bytes().to_vec(), // a 2 GiB length prefix
        (-1i32).to_be_bytes().to_vec(),  // a negative length
        [
            &12i32.to_be_bytes()[..],
            &[0x7f, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
        ]
        .concat(), // unknown API key
        [
            &10i32.to_be_bytes()[..],
            &[0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff],
        ]
        .concat(), // truncated Metadata
        [
            &14i32.to_be_bytes()[..],
            &[0, 3, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff],
        ]
        .concat(), // Metadata declaring 2^31 - 1 topics in 14 bytes
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(), // a TLS ClientHello
    ];
    for bytes in garbage {
        let mut conn = KafkaConn::connect(broker.addrs[0]).await.unwrap();
        conn.send_raw(&bytes).await.unwrap();
        let closed =
            tokio::time::timeout(std::time::Duration::from_secs(10), conn.recv_frame()).await;
        assert!(
            matches!(closed, Ok(Ok(None))),
            "{bytes:02x?}: expected the broker to close, got {closed:?}"
        );
    }
    healthy
        .call(
            ApiKey::Metadata,
            12,
            &RequestKind::Metadata(MetadataRequest::default()),
        )
        .await
        .unwrap();
    let (logged, lines) = broker.wait_for_log("exceeds the limit", Duration::from_secs(10));
    let log = lines.join("\n");
    assert!(logged, "the 2 GiB frame is logged:\n{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn sigint_and_sigterm_both_stop_it_cleanly() {
    for signal in ["INT", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let mut broker = start(dir.path());
        let status = broker.signal_and_wait(signal);
        assert!(status.success(), "SIG{signal}: {status:?}");
        let (stopped, lines) = broker.wait_for_log("stopped", Duration::from_secs(10));
        let log = lines.join("\n");
        assert!(
            stopped && log.contains(&format!("SIG{signal} received")),
            "{log}"
        );
    }
}

#[test]
fn the_cluster_id_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let read_id = || std::fs::read_to_string(dir.path().join("data/cluster/id")).unwrap();
    let mut first = start(dir.path());
    assert!(first.signal_and_wait("TERM").success());
    let id = read_id();
    let mut second = start(dir.path());
    assert!(second.signal_and_wait("TERM").success());
    assert_eq!(read_id(), id);
}

/// Arguments, environment, and a piece of the expected message.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn configuration_errors_exit_2_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("automq.yaml"),
        "node_id: 1\nnetwork:\n  request_max_byte: 10\n",
    )
    .unwrap();
    let cases: &[Case] = &[
        (&["-c", "automq.yaml"], &[], "automq.yaml:3:3"),
        (&["--set", "node_id=minus"], &[], "`node_id` = `minus`"),
        (
            &[],
            &[("AUTOMQD_STORAGE__DTA", "x")],
            "environment variable AUTOMQD_STORAGE__DTA: unknown key `storage.dta`",
        ),
        (
            &["--set", "listeners=[nohost]"],
            &[],
            "expected an IP address and port",
        ),
    ];
    for (args, env, expected) in cases {
        let out = Command::new(BIN)
            .args(*args)
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("automqd: error: "), "{stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected `{expected}` in:\n{stderr}"
        );
    }
}

#[test]
fn a_taken_port_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    // No metrics endpoint: its default port may be taken by another broker on this machine.
    let out = Command::new(BIN)
        .args([
            "--set",
            &format!("listeners=[{addr}]"),
            "--set",
            "http.listener=null",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}
