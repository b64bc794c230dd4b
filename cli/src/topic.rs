//! `automqctl topic`: create, list, describe, alter-config, delete, add-partitions and trim, over the Kafka
//! protocol (so they work against Apache Kafka as well as automq).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use automq_client::{
    AlterConfigOp, Client, ConfigResource, ErrorKind, NewTopic, OffsetSpec, TopicInfo,
    TopicPartition,
};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::connect::{Selection, connect, parse_key_value};
use crate::output::{OutputFormat, emit, ids, table};
use crate::{Problem, Usage, pattern, settle, time};

#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Create a topic; partitions and replication factor default to the brokers' settings.
    Create(CreateArgs),
    /// List topics with their partition count and replication factor.
    List(ListArgs),
    /// Show topics' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs.
    Describe(DescribeArgs),
    /// Set or remove topic configs (IncrementalAlterConfigs).
    AlterConfig(AlterConfigArgs),
    /// Delete topics.
    Delete(DeleteArgs),
    /// Raise a topic's partition count.
    AddPartitions(AddPartitionsArgs),
    /// Delete a topic's oldest records: those before an offset or before a time (DeleteRecords).
    Trim(TrimArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The topic's name.
    topic: String,
    /// Number of partitions [default: the brokers' num.partitions].
    #[arg(long, short = 'p', value_parser = clap::value_parser!(i32).range(1..))]
    partitions: Option<i32>,
    /// Replicas per partition [default: the brokers' default.replication.factor].
    #[arg(long, short = 'r', value_parser = clap::value_parser!(i16).range(1..))]
    replication_factor: Option<i16>,
    /// A topic config, repeatable: --config retention.ms=86400000.
    #[arg(long, short = 'c', value_name = "KEY=VALUE", value_parser = parse_key_value)]
    config: Vec<(String, String)>,
    /// Succeed without change when the topic exists.
    #[arg(long)]
    if_not_exists: bool,
    /// Have the controller validate the request without creating anything.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only topics whose name matches this pattern (`*` and `?` wildcards).
    pattern: Option<String>,
    /// Include internal topics (__consumer_offsets, …).
    #[arg(long)]
    internal: bool,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The topics' names.
    #[arg(required = true)]
    topics: Vec<String>,
    /// Show every config, defaults included (by default only the configs set on the topic or its brokers).
    #[arg(long)]
    all_configs: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["set", "delete"])))]
pub struct AlterConfigArgs {
    /// The topic's name.
    topic: String,
    /// Set a config, repeatable: --set retention.ms=3600000.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    set: Vec<(String, String)>,
    /// Remove a config so the topic inherits the broker's value, repeatable.
    #[arg(long, value_name = "KEY")]
    delete: Vec<String>,
    /// Have the broker validate the change without applying it.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The topics' names.
    #[arg(required = true)]
    topics: Vec<String>,
    /// Succeed for topics that do not exist.
    #[arg(long)]
    if_exists: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("count").required(true).args(["total", "add"])))]
pub struct AddPartitionsArgs {
    /// The topic's name.
    topic: String,
    /// The new total number of partitions.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
    total: Option<i32>,
    /// How many partitions to add.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
    add: Option<i32>,
    /// Have the controller validate the change without applying it.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("before").required(true).args(["before_offset", "before_time"])))]
pub struct TrimArgs {
    /// The topic's name.
    topic: String,
    /// Delete the records before this offset in each chosen partition.
    #[arg(long, value_name = "OFFSET", value_parser = clap::value_parser!(i64).range(0..))]
    before_offset: Option<i64>,
    /// Delete the records older than this RFC 3339 time (2026-05-01T00:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = time::parse_rfc3339)]
    before_time: Option<i64>,
    /// Only these partitions (repeatable) [default: all].
    #[arg(long = "partition", value_name = "N")]
    partitions: Vec<i32>,
    /// Print what would be deleted without deleting.
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(cmd: TopicCommand, sel: &Selection, output: OutputFormat) -> anyhow::Result<()> {
    let client = connect(sel).await?;
    match cmd {
        TopicCommand::Create(a) => create(&client, a, output).await,
        TopicCommand::List(a) => list(&client, a, output).await,
        TopicCommand::Describe(a) => describe(&client, a, output).await,
        TopicCommand::AlterConfig(a) => alter_config(&client, a, output).await,
        TopicCommand::Delete(a) => delete(&client, a, output).await,
        TopicCommand::AddPartitions(a) => add_partitions(&client, a, output).await,
        TopicCommand::Trim(a) => trim(&client, a, output).await,
    }
}

#[derive(Debug, Serialize)]
struct Created {
    topic: String,
    id: Option<String>,
    partitions: Option<i32>,
    replication_factor: Option<i16>,
    /// `created`, `validated` (dry run) or `exists` (with --if-not-exists).
    status: &'static str,
}

async fn create(client: &Client, a: CreateArgs, output: OutputFormat) -> anyhow::Result<()> {
    let spec = NewTopic {
        name: a.topic.clone(),
        partitions: a.partitions,
        replication_factor: a.replication_factor,
        configs: a.config,
    };
    let report = match client.create_topic(&spec, a.dry_run).await {
        Ok(t) => {
            if !a.dry_run {
                let partitions = t.partitions.map(|n| n as usize);
                if !settle::topic_listed(client, &t.name, partitions).await? {
                    eprintln!(
                        "note: topic `{}` is created; the brokers do not list it yet",
                        t.name
                    );
                }
            }
            Created {
                topic: t.name,
                id: t.id,
                partitions: t.partitions,
                replication_factor: t.replication_factor,
                status: if a.dry_run { "validated" } else { "created" },
            }
        }
        Err(e) if a.if_not_exists && e.kind() == ErrorKind::AlreadyExists => {
            // It may have been created a moment ago and not be listed by every broker yet.
            settle::topic_listed(client, &a.topic, None).await?;
            let t = one_topic(client, &a.topic).await?;
            Created {
                topic: t.name.clone(),
                id: t.id.clone(),
                partitions: Some(t.partitions.len() as i32),
                replication_factor: Some(t.replication_factor() as i16),
                status: "exists",
            }
        }
        Err(e) => return Err(e.into()),
    };
    emit(output, &report, |r| {
        let mut t = table(&["topic", "id", "partitions", "replication factor", "status"]);
        t.add_row(vec![
            r.topic.clone(),
            r.id.clone().unwrap_or_else(|| "-".into()),
            crate::output::or_dash(r.partitions),
            crate::output::or_dash(r.replication_factor),
            r.status.to_string(),
        ]);
        t.to_string()
    })
}

#[derive(Debug, Serialize)]
struct Listed {
    topic: String,
    id: Option<String>,
    partitions: usize,
    replication_factor: usize,
    internal: bool,
}

async fn list(client: &Client, a: ListArgs, output: OutputFormat) -> anyhow::Result<()> {
    let md = client.metadata(None).await?;
    let rows: Vec<Listed> = md
        .topics
        .iter()
        .filter(|t| a.internal || !t.internal)
        .filter(|t| {
            a.pattern
                .as_deref()
                .is_none_or(|p| pattern::glob(p, &t.name))
        })
        .map(|t| Listed {
            topic: t.name.clone(),
            id: t.id.clone(),
            partitions: t.partitions.len(),
            replication_factor: t.replication_factor(),
            internal: t.internal,
        })
        .collect();
    emit(output, &rows, |rows| {
        if rows.is_empty() {
            return "no topics".to_string();
        }
        let mut t = table(&["topic", "partitions", "replication factor", "id"]);
        for r in rows {
            t.add_row(vec![
                r.topic.clone(),
                r.partitions.to_string(),
                r.replication_factor.to_string(),
                r.id.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        t.to_string()
    })
}

#[derive(Debug, Serialize)]
struct Described {
    topic: String,
    id: Option<String>,
    internal: bool,
    replication_factor: usize,
    partitions: Vec<PartitionRow>,
    configs: Vec<ConfigRow>,
}

#[derive(Debug, Serialize)]
struct PartitionRow {
    partition: i32,
    leader: i32,
    leader_epoch: i32,
    replicas: Vec<i32>,
    isr: Vec<i32>,
    offline: Vec<i32>,
    start_offset: i64,
    end_offset: i64,
}

#[derive(Debug, Serialize)]
pub struct ConfigRow {
    pub name: String,
    pub value: Option<String>,
    pub source: &'static str,
    pub sensitive: bool,
}

async fn describe(client: &Client, a: DescribeArgs, output: OutputFormat) -> anyhow::Result<()> {
    let infos = client.topics(&a.topics).await?;
    let mut out = Vec::new();
    for name in &a.topics {
        let Some(info) = infos.iter().find(|t| &t.name == name) else {
            continue;
        };
        let tps: Vec<TopicPartition> = info
            .partitions
            .iter()
            .map(|p| (info.name.clone(), p.partition))
            .collect();
        let start = client.list_offsets(&tps, OffsetSpec::Earliest).await?;
        let end = client.list_offsets(&tps, OffsetSpec::Latest).await?;
        let configs = client
            .describe_configs(&ConfigResource::Topic(info.name.clone()), None)
            .await?
            .into_iter()
            .filter(|c| a.all_configs || !c.is_default())
            .map(|c| ConfigRow {
                name: c.name,
                value: c.value,
                source: c.source,
                sensitive: c.sensitive,
            })
            .collect();
        out.push(Described {
            topic: info.name.clone(),
            id: info.id.clone(),
            internal: info.internal,
            replication_factor: info.replication_factor(),
            partitions: info
                .partitions
                .iter()
                .map(|p| {
                    let tp = (info.name.clone(), p.partition);
                    PartitionRow {
                        partition: p.partition,
                        leader: p.leader,
                        leader_epoch: p.leader_epoch,
                        replicas: p.replicas.clone(),
                        isr: p.isr.clone(),
                        offline: p.offline.clone(),
                        start_offset: start.get(&tp).map_or(-1, |o| o.offset),
                        end_offset: end.get(&tp).map_or(-1, |o| o.offset),
                    }
                })
                .collect(),
            configs,
        });
    }
    emit(output, &out, |topics| {
        let mut s = String::new();
        for (i, d) in topics.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            let _ = writeln!(
                s,
                "Topic {} (id {}){}: {} partitions, replication factor {}",
                d.topic,
                d.id.as_deref().unwrap_or("-"),
                if d.internal { ", internal" } else { "" },
                d.partitions.len(),
                d.replication_factor
            );
            let mut t = table(&[
                "partition",
                "leader",
                "epoch",
                "replicas",
                "in sync",
                "offline",
                "start offset",
                "end offset",
            ]);
            for p in &d.partitions {
                t.add_row(vec![
                    p.partition.to_string(),
                    p.leader.to_string(),
                    p.leader_epoch.to_string(),
                    ids(&p.replicas),
                    ids(&p.isr),
                    ids(&p.offline),
                    p.start_offset.to_string(),
                    p.end_offset.to_string(),
                ]);
            }
            let _ = writeln!(s, "{t}");
            s.push_str(&config_table(&d.configs, "no configs set on this topic"));
        }
        s
    })
}

/// Configs as a table, or `none` when there are none.
pub fn config_table(configs: &[ConfigRow], none: &str) -> String {
    if configs.is_empty() {
        return format!("{none}\n");
    }
    let mut t = table(&["config", "value", "source"]);
    for c in configs {
        t.add_row(vec![
            c.name.clone(),
            if c.sensitive {
                "(sensitive)".to_string()
            } else {
                c.value.clone().unwrap_or_else(|| "-".into())
            },
            c.source.to_string(),
        ]);
    }
    format!("{t}\n")
}

#[derive(Debug, Serialize)]
struct Altered {
    topic: String,
    dry_run: bool,
    changes: Vec<Change>,
}

#[derive(Debug, Serialize)]
struct Change {
    config: String,
    action: &'static str,
    requested: Option<String>,
    /// The value read back after the change (absent on a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    now: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
}

async fn alter_config(
    client: &Client,
    a: AlterConfigArgs,
    output: OutputFormat,
) -> anyhow::Result<()> {
    let resource = ConfigResource::Topic(a.topic.clone());
    let mut ops: Vec<AlterConfigOp> = a
        .set
        .iter()
        .map(|(k, v)| AlterConfigOp::Set(k.clone(), v.clone()))
        .collect();
    ops.extend(a.delete.iter().map(|k| AlterConfigOp::Delete(k.clone())));
    // An unknown topic is reported as such rather than as a config error.
    client.topics(std::slice::from_ref(&a.topic)).await?;
    client.alter_configs(&resource, &ops, a.dry_run).await?;
    let after = if a.dry_run {
        Vec::new()
    } else {
        settle::configs_after(client, &resource, &ops).await?
    };
    let changes = ops
        .iter()
        .map(|op| {
            let (config, action, requested) = match op {
                AlterConfigOp::Set(k, v) => (k.clone(), "set", Some(v.clone())),
                AlterConfigOp::Delete(k) => (k.clone(), "delete", None),
            };
            let now = after.iter().find(|c| c.name == config);
            Change {
                config,
                action,
                requested,
                now: now.and_then(|c| c.value.clone()),
                source: now.map(|c| c.source),
            }
        })
        .collect();
    let report = Altered {
        topic: a.topic,
        dry_run: a.dry_run,
        changes,
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
                c.requested.clone().unwrap_or_else(|| "-".into()),
            ];
            if !r.dry_run {
                row.push(c.now.clone().unwrap_or_else(|| "-".into()));
                row.push(c.source.unwrap_or("-").to_string());
            }
            t.add_row(row);
        }
        if r.dry_run {
            format!("Validated for topic {} (nothing changed):\n{t}", r.topic)
        } else {
            format!("Topic {}:\n{t}", r.topic)
        }
    })
}

#[derive(Debug, Serialize)]
struct Deleted {
    topic: String,
    /// `deleted` or `absent` (with --if-exists).
    status: &'static str,
}

async fn delete(client: &Client, a: DeleteArgs, output: OutputFormat) -> anyhow::Result<()> {
    let results = client.delete_topics(&a.topics).await?;
    let mut rows = Vec::new();
    let mut failure = None;
    for (topic, outcome) in results {
        match outcome {
            Ok(()) => rows.push(Deleted {
                topic,
                status: "deleted",
            }),
            Err(e) if a.if_exists && e.kind() == ErrorKind::NotFound => rows.push(Deleted {
                topic,
                status: "absent",
            }),
            Err(e) => {
                if failure.is_none() {
                    failure = Some(e);
                }
            }
        }
    }
    let deleted: Vec<String> = rows
        .iter()
        .filter(|r| r.status == "deleted")
        .map(|r| r.topic.clone())
        .collect();
    if !deleted.is_empty() && !settle::topics_gone(client, &deleted).await? {
        eprintln!("note: the brokers still list some deleted topics; they go within moments");
    }
    if !rows.is_empty() {
        emit(output, &rows, |rows| {
            let mut t = table(&["topic", "status"]);
            for r in rows {
                t.add_row(vec![r.topic.clone(), r.status.to_string()]);
            }
            t.to_string()
        })?;
    }
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

#[derive(Debug, Serialize)]
struct Grown {
    topic: String,
    partitions_before: usize,
    partitions_after: i32,
    dry_run: bool,
}

async fn add_partitions(
    client: &Client,
    a: AddPartitionsArgs,
    output: OutputFormat,
) -> anyhow::Result<()> {
    let info = one_topic(client, &a.topic).await?;
    let before = info.partitions.len();
    let total = match (a.total, a.add) {
        (Some(t), _) => t,
        (None, Some(n)) => before as i32 + n,
        (None, None) => return Err(Usage("give --total or --add".into()).into()),
    };
    if total as usize <= before {
        return Err(Problem {
            message: format!(
                "topic `{}` already has {before} partitions; its partition count can only grow",
                a.topic
            ),
            hint: format!("ask for more than {before} with --total, or use --add"),
        }
        .into());
    }
    client.create_partitions(&a.topic, total, a.dry_run).await?;
    if !a.dry_run && !settle::topic_listed(client, &a.topic, Some(total as usize)).await? {
        eprintln!("note: the partitions are added; the brokers do not list them all yet");
    }
    let report = Grown {
        topic: a.topic,
        partitions_before: before,
        partitions_after: total,
        dry_run: a.dry_run,
    };
    emit(output, &report, |r| {
        let mut t = table(&["topic", "partitions before", "partitions after", "status"]);
        t.add_row(vec![
            r.topic.clone(),
            r.partitions_before.to_string(),
            r.partitions_after.to_string(),
            if r.dry_run { "validated" } else { "added" }.to_string(),
        ]);
        t.to_string()
    })
}

async fn one_topic(client: &Client, topic: &str) -> anyhow::Result<TopicInfo> {
    let mut infos = client.topics(&[topic.to_string()]).await?;
    infos
        .pop()
        .ok_or_else(|| Usage(format!("topic `{topic}`: no metadata")).into())
}

/// The partitions of a topic a command asked for: all of them, or the listed ones after checking they exist.
pub fn chosen_partitions(info: &TopicInfo, wanted: &[i32]) -> anyhow::Result<Vec<i32>> {
    let all: BTreeSet<i32> = info.partitions.iter().map(|p| p.partition).collect();
    if wanted.is_empty() {
        return Ok(all.into_iter().collect());
    }
    for p in wanted {
        if !all.contains(p) {
            return Err(Problem {
                message: format!(
                    "topic `{}` has no partition {p} (it has {})",
                    info.name,
                    all.len()
                ),
                hint: format!(
                    "partitions are numbered 0 to {}",
                    all.len().saturating_sub(1)
                ),
            }
            .into());
        }
    }
    Ok(wanted
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

#[derive(Debug, Serialize)]
struct Trimmed {
    topic: String,
    dry_run: bool,
    partitions: Vec<TrimRow>,
}

#[derive(Debug, Serialize)]
struct TrimRow {
    partition: i32,
    start_before: i64,
    start_after: i64,
    end_offset: i64,
    records_deleted: i64,
}

async fn trim(client: &Client, a: TrimArgs, output: OutputFormat) -> anyhow::Result<()> {
    let info = one_topic(client, &a.topic).await?;
    let parts = chosen_partitions(&info, &a.partitions)?;
    let tps: Vec<TopicPartition> = parts.iter().map(|p| (a.topic.clone(), *p)).collect();
    let start = client.list_offsets(&tps, OffsetSpec::Earliest).await?;
    let end = client.list_offsets(&tps, OffsetSpec::Latest).await?;
    let by_time = match a.before_time {
        Some(ms) => Some(client.list_offsets(&tps, OffsetSpec::Timestamp(ms)).await?),
        None => None,
    };
    let mut targets: BTreeMap<TopicPartition, i64> = BTreeMap::new();
    let mut rows = Vec::new();
    for tp in &tps {
        let (s, e) = (start[tp].offset, end[tp].offset);
        let wanted = match (&by_time, a.before_offset) {
            // No record at or after the time: every record is older.
            (Some(found), _) => match found[tp].offset {
                -1 => e,
                o => o,
            },
            (None, Some(o)) if o > e => {
                return Err(Problem {
                    message: format!(
                        "topic `{}` partition {}: offset {o} is past the end offset {e}",
                        a.topic, tp.1
                    ),
                    hint: format!(
                        "give an offset up to {e}; `automqctl topic describe {}` shows them",
                        a.topic
                    ),
                }
                .into());
            }
            (None, Some(o)) => o,
            (None, None) => e,
        };
        let target = wanted.max(s);
        if target > s {
            targets.insert(tp.clone(), target);
        }
        rows.push(TrimRow {
            partition: tp.1,
            start_before: s,
            start_after: target,
            end_offset: e,
            records_deleted: target - s,
        });
    }
    if !a.dry_run && !targets.is_empty() {
        let low = client.delete_records(&targets).await?;
        for r in &mut rows {
            if let Some(l) = low.get(&(a.topic.clone(), r.partition)) {
                r.start_after = *l;
                r.records_deleted = l - r.start_before;
            }
        }
    }
    let report = Trimmed {
        topic: a.topic,
        dry_run: a.dry_run,
        partitions: rows,
    };
    emit(output, &report, |r| {
        let mut t = table(&[
            "partition",
            "start before",
            "start after",
            "end offset",
            "records deleted",
        ]);
        for p in &r.partitions {
            t.add_row(vec![
                p.partition.to_string(),
                p.start_before.to_string(),
                p.start_after.to_string(),
                p.end_offset.to_string(),
                p.records_deleted.to_string(),
            ]);
        }
        if r.dry_run {
            format!("Dry run for topic {} (nothing deleted):\n{t}", r.topic)
        } else {
            format!("Topic {}:\n{t}", r.topic)
        }
    })
}
