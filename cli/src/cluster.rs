//! `automqctl cluster`: the cluster's id, controller and brokers, and broker configs.

use automq_client::{AlterConfigOp, Client, ConfigResource};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::connect::{Selection, connect, parse_key_value};
use crate::output::{OutputFormat, emit, or_dash, table};
use crate::topic::{ConfigRow, config_table};
use crate::{Usage, settle};

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// The cluster id, the controller and the brokers.
    Info,
    /// Read and change broker configs.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all.
    Get(GetArgs),
    /// Change broker configs dynamically: cluster-wide by default, or on one --broker.
    Set(SetArgs),
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Only these configs, whatever their source.
    keys: Vec<String>,
    /// The broker to ask [default: the lowest broker id].
    #[arg(long, conflicts_with = "defaults")]
    broker: Option<i32>,
    /// The cluster-wide dynamic defaults instead of one broker's configs.
    #[arg(long)]
    defaults: bool,
    /// Every config, Kafka's own defaults included.
    #[arg(long)]
    all: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["settings", "delete"])))]
pub struct SetArgs {
    /// Configs to set: KEY=VALUE…
    #[arg(value_name = "KEY=VALUE", value_parser = parse_key_value)]
    settings: Vec<(String, String)>,
    /// Remove a dynamic config, repeatable, falling back to the broker's file or Kafka's default.
    #[arg(long, value_name = "KEY")]
    delete: Vec<String>,
    /// Only this broker [default: every broker, as a cluster-wide default].
    #[arg(long)]
    broker: Option<i32>,
    /// Have the broker validate the change without applying it.
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(cmd: ClusterCommand, sel: &Selection, output: OutputFormat) -> anyhow::Result<()> {
    let client = connect(sel).await?;
    match cmd {
        ClusterCommand::Info => info(&client, output).await,
        ClusterCommand::Config(ConfigCommand::Get(a)) => get(&client, a, output).await,
        ClusterCommand::Config(ConfigCommand::Set(a)) => set(&client, a, output).await,
    }
}

async fn info(client: &Client, output: OutputFormat) -> anyhow::Result<()> {
    let info = client.describe_cluster().await?;
    emit(output, &info, |i| {
        let mut t = table(&["broker", "host", "port", "rack", "fenced"]);
        for b in &i.brokers {
            t.add_row(vec![
                b.broker.id.to_string(),
                b.broker.host.clone(),
                b.broker.port.to_string(),
                or_dash(b.broker.rack.as_deref()),
                if b.fenced { "yes" } else { "no" }.to_string(),
            ]);
        }
        format!(
            "Cluster {}: controller {}, {} broker{}\n{t}",
            i.cluster_id.as_deref().unwrap_or("-"),
            if i.controller_id < 0 {
                "unknown".to_string()
            } else {
                i.controller_id.to_string()
            },
            i.brokers.len(),
            if i.brokers.len() == 1 { "" } else { "s" }
        )
    })
}

/// Which broker resource a command means, named for people.
async fn resource(
    client: &Client,
    broker: Option<i32>,
    defaults: bool,
) -> anyhow::Result<(ConfigResource, String)> {
    if defaults {
        return Ok((
            ConfigResource::BrokerDefaults,
            "cluster-wide broker defaults".into(),
        ));
    }
    let id = match broker {
        Some(id) => id,
        None => client
            .brokers()
            .await
            .iter()
            .map(|b| b.id)
            .min()
            .ok_or_else(|| Usage("the cluster lists no brokers".into()))?,
    };
    Ok((ConfigResource::Broker(id), format!("broker {id}")))
}

#[derive(Debug, Serialize)]
struct ConfigReport {
    resource: String,
    configs: Vec<ConfigRow>,
}

async fn get(client: &Client, a: GetArgs, output: OutputFormat) -> anyhow::Result<()> {
    let (res, label) = resource(client, a.broker, a.defaults).await?;
    let keys = (!a.keys.is_empty()).then_some(a.keys.as_slice());
    let entries = client.describe_configs(&res, keys).await?;
    let show_all = a.all || keys.is_some();
    let configs = entries
        .into_iter()
        .filter(|c| show_all || !c.is_default())
        .map(|c| ConfigRow {
            name: c.name,
            value: c.value,
            source: c.source,
            sensitive: c.sensitive,
        })
        .collect();
    let report = ConfigReport {
        resource: label,
        configs,
    };
    emit(output, &report, |r| {
        format!(
            "Configs of {}:\n{}",
            r.resource,
            config_table(&r.configs, "none set")
        )
    })
}

#[derive(Debug, Serialize)]
struct SetReport {
    resource: String,
    dry_run: bool,
    changes: Vec<SetRow>,
}

#[derive(Debug, Serialize)]
struct SetRow {
    config: String,
    action: &'static str,
    requested: Option<String>,
    /// The value read back after the change (absent on a dry run, and for cluster-wide defaults once deleted).
    #[serde(skip_serializing_if = "Option::is_none")]
    now: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
}

async fn set(client: &Client, a: SetArgs, output: OutputFormat) -> anyhow::Result<()> {
    let (res, label) = resource(client, a.broker, a.broker.is_none()).await?;
    let mut ops: Vec<AlterConfigOp> = a
        .settings
        .iter()
        .map(|(k, v)| AlterConfigOp::Set(k.clone(), v.clone()))
        .collect();
    ops.extend(a.delete.iter().map(|k| AlterConfigOp::Delete(k.clone())));
    client.alter_configs(&res, &ops, a.dry_run).await?;
    let after = if a.dry_run {
        Vec::new()
    } else {
        settle::configs_after(client, &res, &ops).await?
    };
    let report = SetReport {
        resource: label,
        dry_run: a.dry_run,
        changes: ops
            .into_iter()
            .map(|op| {
                let (config, action, requested) = match op {
                    AlterConfigOp::Set(k, v) => (k, "set", Some(v)),
                    AlterConfigOp::Delete(k) => (k, "delete", None),
                };
                let now = after.iter().find(|c| c.name == config);
                SetRow {
                    now: now.and_then(|c| c.value.clone()),
                    source: now.map(|c| c.source),
                    config,
                    action,
                    requested,
                }
            })
            .collect(),
    };
    emit(output, &report, |r| {
        let mut t = if r.dry_run {
            table(&["config", "action", "requested"])
        } else {
            table(&["config", "action", "requested", "now", "source"])
        };
        for c in &r.changes {
            let mut row = vec![
                c.config.clone(),
                c.action.to_string(),
                or_dash(c.requested.as_deref()),
            ];
            if !r.dry_run {
                row.push(or_dash(c.now.as_deref()));
                row.push(c.source.unwrap_or("-").to_string());
            }
            t.add_row(row);
        }
        if r.dry_run {
            format!("Validated for {} (nothing changed):\n{t}", r.resource)
        } else {
            format!("Changed {}:\n{t}", r.resource)
        }
    })
}
