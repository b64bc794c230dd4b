//! Printing results: tables for people, JSON or YAML for programs. Every command builds one serializable report
//! and hands it here with its table view, so the three formats always carry the same facts.

use std::io::Write;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Yaml,
}

/// A table with our house style.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    t
}

/// `value` as JSON or YAML text (not for tables).
pub fn data<T: Serialize>(format: OutputFormat, value: &T) -> anyhow::Result<String> {
    Ok(match format {
        OutputFormat::Yaml => serde_saphyr::to_string(value)?,
        _ => serde_json::to_string_pretty(value)? + "\n",
    })
}

/// Prints `value` in the chosen format; `human` renders the table view.
pub fn emit<T: Serialize>(
    format: OutputFormat,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    let text = match format {
        OutputFormat::Table => human(value),
        _ => data(format, value)?,
    };
    write_stdout(&text)
}

/// Writes to stdout; a closed pipe (`automqctl … | head`) ends the output quietly.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| {
        if text.ends_with('\n') || text.is_empty() {
            Ok(())
        } else {
            out.write_all(b"\n")
        }
    });
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A list of numbers as `1,2,3`, or `-` when empty.
pub fn ids(list: &[i32]) -> String {
    if list.is_empty() {
        return "-".to_string();
    }
    list.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// An optional value, or `-`.
pub fn or_dash<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".to_string())
}
