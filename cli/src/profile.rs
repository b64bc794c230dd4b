//! `automqctl profile`: save clusters under names, with client settings, and pick the one commands use. The file
//! and the rules for choosing a cluster are in [`crate::connect`].

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use automq_client::ClientConfig;
use clap::Subcommand;
use serde::Serialize;

use crate::Usage;
use crate::connect::{Profile, ProfileFile, Selection, config_path, load, missing_profile};
use crate::output::{OutputFormat, emit, table};

/// Writes the file whole (a temporary file renamed over it), readable only by its owner.
fn save(path: &Path, file: &ProfileFile) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let text = serde_saphyr::to_string(file)?;
    let tmp = path.with_extension("yaml.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`.
    /// The address comes from the global --bootstrap-server and the settings from the global -X flags.
    Create {
        /// The profile's name.
        name: String,
        /// Make it the current profile too.
        #[arg(long = "use")]
        make_current: bool,
        /// Replace a profile of that name.
        #[arg(long)]
        force: bool,
    },
    /// Make a profile the one commands use when no cluster is given.
    Use {
        /// The profile's name.
        name: String,
    },
    /// List the profiles; the current one is marked.
    List,
    /// Delete a profile.
    Delete {
        /// The profile's name.
        name: String,
    },
}

#[derive(Debug, Serialize)]
struct ProfileRow {
    name: String,
    current: bool,
    bootstrap_server: String,
    properties: BTreeMap<String, String>,
}

pub fn run(cmd: ProfileCommand, sel: &Selection, output: OutputFormat) -> anyhow::Result<()> {
    let path = config_path()?;
    let mut file = load(&path)?;
    match cmd {
        ProfileCommand::Create {
            name,
            make_current,
            force,
        } => {
            let bootstrap = sel.bootstrap.clone().ok_or_else(|| {
                Usage(format!(
                    "profile `{name}` needs an address: pass --bootstrap-server HOST:PORT"
                ))
            })?;
            // The same checks a command would make later, made now.
            let mut check = ClientConfig::default();
            check
                .set("bootstrap.servers", &bootstrap)
                .map_err(|e| Usage(e.to_string()))?;
            for (k, v) in &sel.overrides {
                check.set(k, v).map_err(|e| Usage(e.to_string()))?;
            }
            if file.profiles.contains_key(&name) && !force {
                return Err(Usage(format!(
                    "profile `{name}` already exists in {}; pass --force to replace it",
                    path.display()
                ))
                .into());
            }
            file.profiles.insert(
                name.clone(),
                Profile {
                    bootstrap_server: bootstrap,
                    properties: sel.overrides.iter().cloned().collect(),
                },
            );
            if make_current || file.current.is_none() {
                file.current = Some(name.clone());
            }
            save(&path, &file)?;
            eprintln!("saved profile `{name}` in {}", path.display());
        }
        ProfileCommand::Use { name } => {
            if !file.profiles.contains_key(&name) {
                return Err(missing_profile(&name, &path, &file).into());
            }
            file.current = Some(name.clone());
            save(&path, &file)?;
            eprintln!("commands now use profile `{name}`");
        }
        ProfileCommand::Delete { name } => {
            if file.profiles.remove(&name).is_none() {
                return Err(missing_profile(&name, &path, &file).into());
            }
            if file.current.as_deref() == Some(name.as_str()) {
                file.current = None;
            }
            save(&path, &file)?;
            eprintln!("deleted profile `{name}`");
        }
        ProfileCommand::List => {
            let rows: Vec<ProfileRow> = file
                .profiles
                .iter()
                .map(|(name, p)| ProfileRow {
                    name: name.clone(),
                    current: file.current.as_deref() == Some(name.as_str()),
                    bootstrap_server: p.bootstrap_server.clone(),
                    properties: p.properties.clone(),
                })
                .collect();
            emit(output, &rows, |rows| {
                if rows.is_empty() {
                    return format!(
                        "no profiles in {}; create one with `automqctl profile create NAME --bootstrap-server HOST:PORT`",
                        path.display()
                    );
                }
                let mut t = table(&["", "profile", "bootstrap server", "settings"]);
                for r in rows {
                    t.add_row(vec![
                        if r.current { "*" } else { "" }.to_string(),
                        r.name.clone(),
                        r.bootstrap_server.clone(),
                        r.properties
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ]);
                }
                t.to_string()
            })?;
        }
    }
    Ok(())
}
