//! Reaching the real peers that `dev/peers` starts.

use std::collections::HashMap;
use std::process::Command;

/// The `AUTOMQ_PEER_<NAME>_…` settings of a running peer, read from `dev/peers env NAME`, keyed by the part after
/// the prefix (`ENDPOINT`, `ACCESS_KEY`, …). Panics with the fix when the peer is not up: a peer test must fail
/// loudly when its peer is missing.
pub fn env(name: &str) -> HashMap<String, String> {
    let root = crate::repo_root();
    let status = Command::new(root.join("dev/peers"))
        .args(["status"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run dev/peers: {e}"));
    let up = String::from_utf8_lossy(&status.stdout)
        .lines()
        .any(|l| l == format!("{name} up"));
    assert!(
        up,
        "peer `{name}` is not up: run `dev/peers up {name}` (dev/test does this for you)"
    );
    let out = Command::new(root.join("dev/peers"))
        .args(["env", name])
        .output()
        .unwrap_or_else(|e| panic!("cannot run dev/peers: {e}"));
    assert!(
        out.status.success(),
        "dev/peers env {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prefix = format!("AUTOMQ_PEER_{}_", name.to_uppercase());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter_map(|(k, v)| {
            k.strip_prefix(&prefix)
                .map(|k| (k.to_string(), v.to_string()))
        })
        .collect()
}
