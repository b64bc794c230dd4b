//! `automqctl group`: list, describe (members, assignments, committed offsets and lag), seek and delete
//! consumer groups, at each group's coordinator.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use automq_client::{Client, ErrorKind, GroupDescription, OffsetSpec, TopicPartition};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::connect::{Selection, connect};
use crate::output::{OutputFormat, emit, or_dash, table};
use crate::topic::chosen_partitions;
use crate::{Problem, Usage, pattern, time};

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List groups with their state and type.
    List(ListArgs),
    /// Show groups' members and assignments, and committed offsets with lag per partition.
    Describe(DescribeArgs),
    /// Move a group's committed offsets (the group must have no active members); prints prior and new offsets.
    Seek(SeekArgs),
    /// Delete groups (they must have no active members) with their committed offsets.
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only groups whose id matches this pattern (`*` and `?` wildcards).
    pattern: Option<String>,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The groups' ids.
    #[arg(required = true)]
    groups: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SeekArgs {
    /// The group's id; a group that does not exist yet is created with these offsets.
    group: String,
    /// A topic whose offsets to move, repeatable; required unless --to names a file.
    #[arg(long = "topic", value_name = "TOPIC")]
    topics: Vec<String>,
    /// Where to: `start`, `end`, an RFC 3339 time (the first record at or after it), or a file of
    /// `topic,partition,offset` lines.
    #[arg(long, value_name = "start|end|TIME|FILE")]
    to: String,
    /// Only these partitions of the one --topic (repeatable) [default: all].
    #[arg(long = "partition", value_name = "N")]
    partitions: Vec<i32>,
    /// Print prior and new offsets without committing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The groups' ids.
    #[arg(required = true)]
    groups: Vec<String>,
}

pub async fn run(cmd: GroupCommand, sel: &Selection, output: OutputFormat) -> anyhow::Result<()> {
    // Arguments are checked before any connection, so a mistake is reported even with no cluster at hand.
    let to = match &cmd {
        GroupCommand::Seek(a) => Some(check_seek_args(a)?),
        _ => None,
    };
    let client = connect(sel).await?;
    match cmd {
        GroupCommand::List(a) => list(&client, a, output).await,
        GroupCommand::Describe(a) => describe(&client, a, output).await,
        GroupCommand::Seek(a) => match to {
            Some(to) => seek(&client, a, to, output).await,
            None => Ok(()),
        },
        GroupCommand::Delete(a) => delete(&client, a, output).await,
    }
}

async fn list(client: &Client, a: ListArgs, output: OutputFormat) -> anyhow::Result<()> {
    let groups: Vec<_> = client
        .list_groups()
        .await?
        .into_iter()
        .filter(|g| {
            a.pattern
                .as_deref()
                .is_none_or(|p| pattern::glob(p, &g.group_id))
        })
        .collect();
    emit(output, &groups, |groups| {
        if groups.is_empty() {
            return "no groups".to_string();
        }
        let mut t = table(&["group", "state", "type", "protocol type", "coordinator"]);
        for g in groups {
            t.add_row(vec![
                g.group_id.clone(),
                or_dash(g.state.as_deref()),
                or_dash(g.group_type.as_deref()),
                if g.protocol_type.is_empty() {
                    "-".to_string()
                } else {
                    g.protocol_type.clone()
                },
                g.coordinator.to_string(),
            ]);
        }
        t.to_string()
    })
}

#[derive(Debug, Serialize)]
struct GroupReport {
    #[serde(flatten)]
    description: GroupDescription,
    offsets: Vec<OffsetRow>,
}

#[derive(Debug, Serialize)]
struct OffsetRow {
    topic: String,
    partition: i32,
    committed: Option<i64>,
    end: Option<i64>,
    lag: Option<i64>,
    member_id: Option<String>,
    client_id: Option<String>,
}

async fn describe(client: &Client, a: DescribeArgs, output: OutputFormat) -> anyhow::Result<()> {
    let mut reports = Vec::new();
    for group in &a.groups {
        let description = client.describe_group(group).await?;
        let committed = client.committed_offsets(group).await?;
        let mut owner: BTreeMap<TopicPartition, (String, String)> = BTreeMap::new();
        for m in &description.members {
            for (topic, parts) in &m.assignment {
                for p in parts {
                    owner.insert(
                        (topic.clone(), *p),
                        (m.member_id.clone(), m.client_id.clone()),
                    );
                }
            }
        }
        let partitions: BTreeSet<TopicPartition> =
            committed.keys().chain(owner.keys()).cloned().collect();
        let end = end_offsets(client, &partitions).await?;
        let offsets = partitions
            .into_iter()
            .map(|tp| {
                let c = committed.get(&tp).copied();
                let e = end.get(&tp).copied();
                let who = owner.get(&tp);
                OffsetRow {
                    lag: c.zip(e).map(|(c, e)| (e - c).max(0)),
                    topic: tp.0,
                    partition: tp.1,
                    committed: c,
                    end: e,
                    member_id: who.map(|w| w.0.clone()),
                    client_id: who.map(|w| w.1.clone()),
                }
            })
            .collect();
        reports.push(GroupReport {
            description,
            offsets,
        });
    }
    emit(output, &reports, |reports| {
        let mut s = String::new();
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            let d = &r.description;
            let protocol = match (d.protocol_type.as_str(), d.protocol.as_str()) {
                ("", _) => "-".to_string(),
                (t, "") => t.to_string(),
                (t, p) => format!("{t}/{p}"),
            };
            let _ = writeln!(
                s,
                "Group {}: state {}, protocol {protocol}, coordinator {}, {} member{}",
                d.group_id,
                d.state,
                d.coordinator,
                d.members.len(),
                if d.members.len() == 1 { "" } else { "s" }
            );
            if !d.members.is_empty() {
                let mut t = table(&["member", "client id", "host", "assignment"]);
                for m in &d.members {
                    t.add_row(vec![
                        m.member_id.clone(),
                        m.client_id.clone(),
                        m.host.clone(),
                        if m.assignment.is_empty() {
                            "-".to_string()
                        } else {
                            m.assignment
                                .iter()
                                .map(|(t, ps)| format!("{t}: {}", crate::output::ids(ps)))
                                .collect::<Vec<_>>()
                                .join("\n")
                        },
                    ]);
                }
                let _ = writeln!(s, "{t}");
            }
            if r.offsets.is_empty() {
                s.push_str("no committed offsets\n");
                continue;
            }
            let mut t = table(&["topic", "partition", "committed", "end", "lag", "member"]);
            for o in &r.offsets {
                t.add_row(vec![
                    o.topic.clone(),
                    o.partition.to_string(),
                    or_dash(o.committed),
                    or_dash(o.end),
                    or_dash(o.lag),
                    or_dash(o.client_id.as_deref()),
                ]);
            }
            let _ = writeln!(s, "{t}");
        }
        s
    })
}

/// End offsets of the partitions whose topics still exist (a group may keep offsets of deleted topics).
async fn end_offsets(
    client: &Client,
    partitions: &BTreeSet<TopicPartition>,
) -> anyhow::Result<BTreeMap<TopicPartition, i64>> {
    if partitions.is_empty() {
        return Ok(BTreeMap::new());
    }
    let topics: Vec<String> = partitions
        .iter()
        .map(|(t, _)| t.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let md = client.metadata(Some(&topics)).await?;
    let live: Vec<TopicPartition> = partitions
        .iter()
        .filter(|(t, p)| {
            md.topics
                .iter()
                .any(|i| &i.name == t && i.partitions.iter().any(|x| x.partition == *p))
        })
        .cloned()
        .collect();
    if live.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(client
        .list_offsets(&live, OffsetSpec::Latest)
        .await?
        .into_iter()
        .map(|(tp, o)| (tp, o.offset))
        .collect())
}

/// Where `--to` points.
#[derive(Debug)]
enum SeekTo {
    Start,
    End,
    Time(i64),
    File(BTreeMap<TopicPartition, i64>),
}

fn parse_to(s: &str) -> anyhow::Result<SeekTo> {
    match s {
        "start" | "earliest" => return Ok(SeekTo::Start),
        "end" | "latest" => return Ok(SeekTo::End),
        _ => {}
    }
    if let Ok(ms) = time::parse_rfc3339(s) {
        return Ok(SeekTo::Time(ms));
    }
    let path = Path::new(s);
    if !path.is_file() {
        return Err(Usage(format!(
            "--to {s}: not start, end, an RFC 3339 time (2026-05-01T12:00:00Z) or an existing file"
        ))
        .into());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Usage(format!("--to {s}: cannot read the file: {e}")))?;
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || {
            Usage(format!(
                "{s} line {}: `{line}` is not topic,partition,offset",
                n + 1
            ))
        };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [topic, partition, offset] = fields[..] else {
            return Err(bad().into());
        };
        let partition: i32 = partition.parse().map_err(|_| bad())?;
        let offset: i64 = offset.parse().map_err(|_| bad())?;
        if topic.is_empty() || partition < 0 || offset < 0 {
            return Err(bad().into());
        }
        out.insert((topic.to_string(), partition), offset);
    }
    if out.is_empty() {
        return Err(Usage(format!("{s}: no topic,partition,offset lines")).into());
    }
    Ok(SeekTo::File(out))
}

#[derive(Debug, Serialize)]
struct SeekReport {
    group: String,
    dry_run: bool,
    partitions: Vec<SeekRow>,
}

#[derive(Debug, Serialize)]
struct SeekRow {
    topic: String,
    partition: i32,
    prior: Option<i64>,
    new: i64,
    end: i64,
}

fn check_seek_args(a: &SeekArgs) -> anyhow::Result<SeekTo> {
    let to = parse_to(&a.to)?;
    if !a.partitions.is_empty() && a.topics.len() != 1 {
        return Err(Usage("--partition needs exactly one --topic".into()).into());
    }
    if a.topics.is_empty() && !matches!(to, SeekTo::File(_)) {
        return Err(Usage(format!(
            "--to {} needs the --topic whose offsets to move",
            a.to
        ))
        .into());
    }
    Ok(to)
}

async fn seek(
    client: &Client,
    a: SeekArgs,
    to: SeekTo,
    output: OutputFormat,
) -> anyhow::Result<()> {
    match client.describe_group(&a.group).await {
        Ok(d) if !d.members.is_empty() => {
            let members = d
                .members
                .iter()
                .map(|m| format!("{} ({} on {})", m.member_id, m.client_id, m.host))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Problem {
                message: format!(
                    "group `{}` is {} with {} active member{}: {members}",
                    a.group,
                    d.state,
                    d.members.len(),
                    if d.members.len() == 1 { "" } else { "s" }
                ),
                hint: "stop the group's consumers, then seek; their next start reads from the new offsets"
                    .into(),
            }
            .into());
        }
        Ok(_) => {}
        // A group that does not exist yet is created by the commit.
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }

    // Which partitions move.
    let mut tps: Vec<TopicPartition> = Vec::new();
    match &to {
        SeekTo::File(entries) => {
            for tp in entries.keys() {
                if a.topics.is_empty() || a.topics.contains(&tp.0) {
                    tps.push(tp.clone());
                }
            }
            if tps.is_empty() {
                return Err(Usage(format!("{}: no lines for the --topic given", a.to)).into());
            }
            let topics: Vec<String> = tps
                .iter()
                .map(|(t, _)| t.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            for info in client.topics(&topics).await? {
                let wanted: Vec<i32> = tps
                    .iter()
                    .filter(|(t, _)| t == &info.name)
                    .map(|(_, p)| *p)
                    .collect();
                chosen_partitions(&info, &wanted)?;
            }
        }
        _ => {
            for info in client.topics(&a.topics).await? {
                for p in chosen_partitions(&info, &a.partitions)? {
                    tps.push((info.name.clone(), p));
                }
            }
        }
    }

    let start = client.list_offsets(&tps, OffsetSpec::Earliest).await?;
    let end = client.list_offsets(&tps, OffsetSpec::Latest).await?;
    let new: BTreeMap<TopicPartition, i64> = match &to {
        SeekTo::Start => start.iter().map(|(tp, o)| (tp.clone(), o.offset)).collect(),
        SeekTo::End => end.iter().map(|(tp, o)| (tp.clone(), o.offset)).collect(),
        SeekTo::Time(ms) => client
            .list_offsets(&tps, OffsetSpec::Timestamp(*ms))
            .await?
            .into_iter()
            // No record at or after the time: the group has read everything older, so it starts at the end.
            .map(|(tp, o)| {
                let at = if o.offset < 0 {
                    end[&tp].offset
                } else {
                    o.offset
                };
                (tp, at)
            })
            .collect(),
        SeekTo::File(entries) => {
            let mut out = BTreeMap::new();
            for tp in &tps {
                let (o, s, e) = (entries[tp], start[tp].offset, end[tp].offset);
                if o < s || o > e {
                    return Err(Problem {
                        message: format!(
                            "{}: topic `{}` partition {}: offset {o} is outside the partition's {s}..{e}",
                            a.to, tp.0, tp.1
                        ),
                        hint: format!("give an offset from {s} to {e}"),
                    }
                    .into());
                }
                out.insert(tp.clone(), o);
            }
            out
        }
    };
    let prior = client.committed_offsets(&a.group).await?;
    if !a.dry_run {
        client.commit_offsets(&a.group, &new).await?;
    }
    let report = SeekReport {
        group: a.group.clone(),
        dry_run: a.dry_run,
        partitions: new
            .iter()
            .map(|(tp, n)| SeekRow {
                topic: tp.0.clone(),
                partition: tp.1,
                prior: prior.get(tp).copied(),
                new: *n,
                end: end[tp].offset,
            })
            .collect(),
    };
    emit(output, &report, |r| {
        let mut t = table(&[
            "topic",
            "partition",
            "prior offset",
            "new offset",
            "end offset",
        ]);
        for p in &r.partitions {
            t.add_row(vec![
                p.topic.clone(),
                p.partition.to_string(),
                or_dash(p.prior),
                p.new.to_string(),
                p.end.to_string(),
            ]);
        }
        if r.dry_run {
            format!("Dry run for group {} (nothing committed):\n{t}", r.group)
        } else {
            format!("Group {}:\n{t}", r.group)
        }
    })
}

#[derive(Debug, Serialize)]
struct Deleted {
    group: String,
    status: &'static str,
}

async fn delete(client: &Client, a: DeleteArgs, output: OutputFormat) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let mut failure = None;
    for (group, outcome) in client.delete_groups(&a.groups).await {
        match outcome {
            Ok(()) => rows.push(Deleted {
                group,
                status: "deleted",
            }),
            Err(e) => {
                if failure.is_none() {
                    failure = Some(e);
                }
            }
        }
    }
    if !rows.is_empty() {
        emit(output, &rows, |rows| {
            let mut t = table(&["group", "status"]);
            for r in rows {
                t.add_row(vec![r.group.clone(), r.status.to_string()]);
            }
            t.to_string()
        })?;
    }
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
