//! Every help text is snapshotted, so each change to what users read is reviewed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_automqctl"))
        .args(args)
        .env_remove("AUTOMQ_BOOTSTRAP_SERVER")
        .output()
        .unwrap();
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!(help(&["--help"]));
}

#[test]
fn storage_check_help() {
    insta::assert_snapshot!(help(&["storage", "check", "--help"]));
}

#[test]
fn an_unknown_command_is_a_usage_error() {
    insta::assert_snapshot!(help(&["stroage"]));
}

#[test]
fn bench_help() {
    insta::assert_snapshot!(help(&["bench", "--help"]));
}

#[test]
fn topic_help() {
    insta::assert_snapshot!(help(&["topic", "--help"]));
}

#[test]
fn topic_create_help() {
    insta::assert_snapshot!(help(&["topic", "create", "--help"]));
}

#[test]
fn topic_trim_help() {
    insta::assert_snapshot!(help(&["topic", "trim", "--help"]));
}

#[test]
fn group_help() {
    insta::assert_snapshot!(help(&["group", "--help"]));
}

#[test]
fn group_seek_help() {
    insta::assert_snapshot!(help(&["group", "seek", "--help"]));
}

#[test]
fn cluster_config_set_help() {
    insta::assert_snapshot!(help(&["cluster", "config", "set", "--help"]));
}

#[test]
fn profile_create_help() {
    insta::assert_snapshot!(help(&["profile", "create", "--help"]));
}
