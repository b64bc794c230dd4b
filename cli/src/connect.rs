//! Which cluster a command talks to, from the global flags and the profile file.
//!
//! `--profile NAME` picks that profile; `--bootstrap-server` on the command line overrides its address; `-X`
//! overrides its settings. Without `--profile`, a bootstrap server from the flag or `AUTOMQ_BOOTSTRAP_SERVER` is
//! used alone, and with neither the current profile (`automqctl profile use`) is.
//!
//! Profiles live in one YAML file: `$AUTOMQCTL_CONFIG`, else `$XDG_CONFIG_HOME/automqctl/config.yaml`, else
//! `~/.config/automqctl/config.yaml`:
//!
//! ```yaml
//! current: local
//! profiles:
//!   local:
//!     bootstrap-server: 127.0.0.1:9092
//!     properties:
//!       client.id: ops
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use automq_client::{Client, ClientConfig};
use serde::{Deserialize, Serialize};

use crate::Usage;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Profile {
    pub bootstrap_server: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

/// Where the profile file lives.
pub fn config_path() -> Result<PathBuf, Usage> {
    if let Some(p) = std::env::var_os("AUTOMQCTL_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|p| !p.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })
        .ok_or_else(|| {
            Usage("cannot place the profile file: neither HOME nor AUTOMQCTL_CONFIG is set".into())
        })?;
    Ok(base.join("automqctl").join("config.yaml"))
}

/// The profile file; an absent file is an empty one.
pub fn load(path: &Path) -> anyhow::Result<ProfileFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ProfileFile::default()),
        Err(e) => {
            return Err(Usage(format!(
                "cannot read the profile file {}: {e}",
                path.display()
            ))
            .into());
        }
    };
    if text.trim().is_empty() {
        return Ok(ProfileFile::default());
    }
    serde_saphyr::from_str(&text).map_err(|e| {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        Usage(format!(
            "profile file {} is not valid: {first}",
            path.display()
        ))
        .into()
    })
}

/// The cluster-selecting global flags, as parsed.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub bootstrap: Option<String>,
    /// Whether the bootstrap server came from the command line rather than the environment.
    pub bootstrap_on_command_line: bool,
    pub profile: Option<String>,
    pub overrides: Vec<(String, String)>,
}

/// `KEY=VALUE` for `-X` and `--config`.
pub fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{s}`: expected KEY=VALUE")),
    }
}

pub fn missing_profile(name: &str, path: &Path, file: &ProfileFile) -> Usage {
    let known = if file.profiles.is_empty() {
        "there are none; create one with `automqctl profile create`".to_string()
    } else {
        format!(
            "known: {}",
            file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    Usage(format!(
        "profile `{name}` is not in {} ({known})",
        path.display()
    ))
}

/// The client settings for a command, from the flags and the profile file.
pub fn client_config(sel: &Selection) -> anyhow::Result<ClientConfig> {
    let mut config = ClientConfig {
        client_id: "automqctl".to_string(),
        ..ClientConfig::default()
    };
    let use_profile = sel.profile.is_some() || sel.bootstrap.is_none();
    let mut bootstrap = None;
    if use_profile {
        let path = config_path()?;
        let file = load(&path)?;
        let name = match sel.profile.as_ref().or(file.current.as_ref()) {
            Some(n) => n.clone(),
            None => {
                return Err(Usage(
                    "no cluster given: pass --bootstrap-server HOST:PORT, set AUTOMQ_BOOTSTRAP_SERVER, or pick a \
                     profile (`automqctl profile create NAME --bootstrap-server HOST:PORT --use`)"
                        .into(),
                )
                .into());
            }
        };
        let profile = file
            .profiles
            .get(&name)
            .ok_or_else(|| missing_profile(&name, &path, &file))?;
        for (k, v) in &profile.properties {
            config
                .set(k, v)
                .map_err(|e| Usage(format!("profile `{name}` in {}: {e}", path.display())))?;
        }
        bootstrap = Some(profile.bootstrap_server.clone());
    }
    if sel.bootstrap.is_some() && (sel.profile.is_none() || sel.bootstrap_on_command_line) {
        bootstrap = sel.bootstrap.clone();
    }
    if let Some(b) = bootstrap {
        config
            .set("bootstrap.servers", &b)
            .map_err(|e| Usage(e.to_string()))?;
    }
    for (k, v) in &sel.overrides {
        config.set(k, v).map_err(|e| Usage(e.to_string()))?;
    }
    Ok(config)
}

/// A client for the cluster the flags and profiles select.
pub async fn connect(sel: &Selection) -> anyhow::Result<Client> {
    let config = client_config(sel)?;
    Ok(Client::connect(config).await?)
}
