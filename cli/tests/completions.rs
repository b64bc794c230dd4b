//! Shell completions are generated from the one clap definition; the committed copies under completions/ must
//! match what the binary prints, and bash must really complete with them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_automqctl");

const FILES: &[(&str, &str)] = &[
    ("bash", "automqctl.bash"),
    ("zsh", "_automqctl"),
    ("fish", "automqctl.fish"),
    ("powershell", "_automqctl.ps1"),
    ("elvish", "automqctl.elv"),
];

fn completions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../completions")
}

fn generate(shell: &str) -> String {
    let out = Command::new(BIN)
        .args(["completions", shell])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Set AUTOMQ_UPDATE_COMPLETIONS=1 to rewrite the committed files after changing the CLI.
#[test]
fn committed_completions_match_the_cli() {
    let update = std::env::var_os("AUTOMQ_UPDATE_COMPLETIONS").is_some();
    for (shell, file) in FILES {
        let path = completions_dir().join(file);
        let fresh = generate(shell);
        if update {
            std::fs::write(&path, &fresh).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "completions/{file} is out of date with the CLI; regenerate with \
             AUTOMQ_UPDATE_COMPLETIONS=1 cargo test -p automqctl --test completions"
        );
    }
}

/// Completes `line` (ending where the cursor is) with the committed bash script in a real bash.
fn bash_complete(line: &str) -> Vec<String> {
    let script = completions_dir().join("automqctl.bash");
    let words: Vec<&str> = line.split(' ').collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         _automqctl automqctl '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len().saturating_sub(2)],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_flags() {
    assert_eq!(bash_complete("automqctl st"), ["storage"]);
    assert!(bash_complete("automqctl storage ").contains(&"check".to_string()));
    let flags = bash_complete("automqctl storage check --");
    for f in ["--create", "--quick", "--role", "--timeout", "--output"] {
        assert!(flags.contains(&f.to_string()), "{f} missing from {flags:?}");
    }
    assert_eq!(bash_complete("automqctl completions fi"), ["fish"]);
    assert_eq!(bash_complete("automqctl to"), ["topic"]);
    let topic = bash_complete("automqctl topic ");
    for c in [
        "create",
        "list",
        "describe",
        "alter-config",
        "delete",
        "add-partitions",
        "trim",
    ] {
        assert!(topic.contains(&c.to_string()), "{c} missing from {topic:?}");
    }
    let seek = bash_complete("automqctl group seek --");
    for f in [
        "--to",
        "--topic",
        "--dry-run",
        "--bootstrap-server",
        "--profile",
    ] {
        assert!(seek.contains(&f.to_string()), "{f} missing from {seek:?}");
    }
    assert_eq!(bash_complete("automqctl -o y"), ["yaml"]);
}
