//! `automqctl storage check URI`: what a store can do for automq, measured rather than assumed.
//!
//! Everything it writes goes under `automq-storage-check/<run id>/` in the location and is deleted at the end.
//! Each operation is bounded by `--timeout`, so a store that does not answer fails with its name instead of a hang.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use automq_backends::{Backend, BackendError};
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{
    ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion, WriteMultipart,
};
use serde::Serialize;

use crate::output::{OutputFormat, table};
use crate::{Reported, Usage};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The location: a path, file:///…, s3://bucket/prefix?endpoint=…&profile=…, hdfs://namenode:port/path.
    uri: String,
    /// Create the bucket or directory when it does not exist.
    #[arg(long)]
    create: bool,
    /// Roles to check the store for (repeatable): data, wal, meta.
    #[arg(long = "role", value_enum, default_values_t = [Role::Data, Role::Wal, Role::Meta])]
    roles: Vec<Role>,
    /// Fewer measurements: 10, 5 and 2 requests per size instead of 50, 20 and 5.
    #[arg(long)]
    quick: bool,
    /// How long any one request may take.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Holds stream objects: needs put, get, ranged get, list, delete and multipart.
    Data,
    /// Holds the object WAL: needs what data needs; latency decides how fast produce is acknowledged.
    Wal,
    /// Holds the metadata log: needs atomic create-if-absent.
    Meta,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}`: expected a duration such as 500ms, 30s or 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!(
            "`{s}`: expected a duration such as 500ms, 30s or 2m"
        )),
    }
}

#[derive(Debug, Serialize)]
struct Report {
    location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials: Option<String>,
    capabilities: Vec<CapabilityRow>,
    performance: Vec<PerfRow>,
    roles: Vec<RoleVerdict>,
}

#[derive(Debug, Serialize)]
struct CapabilityRow {
    capability: &'static str,
    declared: bool,
    observed: bool,
    detail: String,
}

#[derive(Debug, Serialize)]
struct PerfRow {
    size: &'static str,
    requests: usize,
    put_p50_ms: f64,
    put_p99_ms: f64,
    put_mib_s: f64,
    get_p50_ms: f64,
    get_p99_ms: f64,
    get_mib_s: f64,
}

#[derive(Debug, Serialize)]
struct RoleVerdict {
    role: Role,
    ok: bool,
    why: String,
}

/// Bounds one step by the timeout, naming the step and the location when it runs out.
async fn bounded<T>(
    timeout: Duration,
    what: &str,
    location: &str,
    f: impl Future<Output = object_store::Result<T>>,
) -> anyhow::Result<object_store::Result<T>> {
    tokio::time::timeout(timeout, f).await.map_err(|_| {
        anyhow::anyhow!("{location}: {what} got no answer within {timeout:?}; check the endpoint and the network")
    })
}

pub async fn run(args: CheckArgs, output: OutputFormat) -> anyhow::Result<()> {
    let backend = automq_backends::open(&args.uri).map_err(|e| Usage(e.to_string()))?;
    let location = backend.display_uri();
    let reach = async {
        if args.create {
            backend.provision().await
        } else {
            backend.probe().await
        }
    };
    match tokio::time::timeout(args.timeout, reach).await {
        Ok(Ok(())) => {}
        Ok(Err(e @ BackendError::Missing { .. })) => {
            anyhow::bail!("{e}; create it, or pass --create")
        }
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => anyhow::bail!(
            "{location}: no answer within {:?}; check the endpoint and the network",
            args.timeout
        ),
    }
    let store = backend.object_store()?;
    let root = Path::from(format!(
        "automq-storage-check/{}",
        uuid::Uuid::new_v4().simple()
    ));
    let result = check(&args, backend.as_ref(), &store, &root, &location).await;
    cleanup(&store, &root).await;
    let report = result?;
    print(&report, output)?;
    if report.roles.iter().all(|r| r.ok) {
        Ok(())
    } else {
        Err(Reported.into())
    }
}

async fn check(
    args: &CheckArgs,
    backend: &dyn Backend,
    store: &Arc<dyn ObjectStore>,
    root: &Path,
    location: &str,
) -> anyhow::Result<Report> {
    let t = args.timeout;
    let key = |name: &str| root.clone().join(name);
    let declared = backend.capabilities();

    // The basics every role needs.
    let payload = Bytes::from(
        (0..64 * 1024u32)
            .map(|i| (i % 253) as u8)
            .collect::<Vec<_>>(),
    );
    bounded(
        t,
        "PUT",
        location,
        store.put(&key("basic"), payload.clone().into()),
    )
    .await?
    .context("PUT")?;
    let got = bounded(t, "GET", location, async {
        store.get(&key("basic")).await?.bytes().await
    })
    .await?
    .context("GET")?;
    anyhow::ensure!(
        got == payload,
        "{location}: GET returned {} bytes that differ from what PUT wrote",
        got.len()
    );

    let mut caps = Vec::new();
    let range = bounded(
        t,
        "ranged GET",
        location,
        store.get_range(&key("basic"), 1000..1100),
    )
    .await?;
    let ranged_ok = matches!(&range, Ok(b) if *b == payload.slice(1000..1100));
    caps.push(CapabilityRow {
        capability: "ranged reads",
        declared: declared.ranged_reads,
        observed: ranged_ok,
        detail: match &range {
            Ok(b) if ranged_ok => format!("{} of {} bytes read", b.len(), payload.len()),
            Ok(b) => format!("asked for 100 bytes, got {} different ones", b.len()),
            Err(e) => short(e),
        },
    });

    let listed: Vec<_> = bounded(
        t,
        "LIST",
        location,
        store.list(Some(root)).try_collect::<Vec<_>>(),
    )
    .await?
    .context("LIST")?;
    let seen = listed.iter().any(|m| m.location == key("basic"));
    caps.push(CapabilityRow {
        capability: "list-after-write",
        declared: declared.list_after_write,
        observed: seen,
        detail: if seen {
            "a new key lists at once".into()
        } else {
            "a new key was missing from LIST".into()
        },
    });

    caps.push(check_multipart(store, &key("multipart"), t, location, declared.multipart).await?);
    caps.push(check_create_if_absent(store, root, t, location, declared.create_if_absent).await?);
    caps.push(
        check_conditional_update(
            store,
            &key("update"),
            t,
            location,
            declared.conditional_update,
        )
        .await?,
    );

    let performance = measure(store, root, t, location, args.quick).await?;
    let roles = verdicts(&args.roles, &caps);
    Ok(Report {
        location: location.to_string(),
        credentials: backend.credential_source(),
        capabilities: caps,
        performance,
        roles,
    })
}

async fn check_multipart(
    store: &Arc<dyn ObjectStore>,
    key: &Path,
    t: Duration,
    location: &str,
    declared: bool,
) -> anyhow::Result<CapabilityRow> {
    let data = Bytes::from(
        (0..6 * 1024 * 1024u32)
            .map(|i| (i % 241) as u8)
            .collect::<Vec<_>>(),
    );
    let upload = async {
        let mut w =
            WriteMultipart::new_with_chunk_size(store.put_multipart(key).await?, 5 * 1024 * 1024);
        w.write(&data);
        w.finish().await?;
        store.get(key).await?.bytes().await
    };
    let got = bounded(t * 4, "multipart upload", location, upload).await?;
    let observed = matches!(&got, Ok(b) if *b == data);
    Ok(CapabilityRow {
        capability: "multipart",
        declared,
        observed,
        detail: match got {
            Ok(_) if observed => "6 MiB in two parts, read back intact".into(),
            Ok(b) => format!(
                "read back {} bytes that differ from the 6 MiB written",
                b.len()
            ),
            Err(e) => short(&e),
        },
    })
}

/// Sixteen writers race to create one key, five times: atomic means exactly one wins every round.
async fn check_create_if_absent(
    store: &Arc<dyn ObjectStore>,
    root: &Path,
    t: Duration,
    location: &str,
    declared: bool,
) -> anyhow::Result<CapabilityRow> {
    const WRITERS: usize = 16;
    const ROUNDS: usize = 5;
    let mut exact = 0;
    let mut detail = String::new();
    for round in 0..ROUNDS {
        let key = root.clone().join(format!("race-{round}"));
        let attempts = (0..WRITERS).map(|w| {
            let store = store.clone();
            let key = key.clone();
            async move {
                let opts = PutOptions {
                    mode: PutMode::Create,
                    ..Default::default()
                };
                store
                    .put_opts(
                        &key,
                        PutPayload::from(format!("writer {w}").into_bytes()),
                        opts,
                    )
                    .await
            }
        });
        let results = bounded(t, "create-if-absent", location, async {
            Ok::<_, object_store::Error>(futures::future::join_all(attempts).await)
        })
        .await??;
        let wins = results.iter().filter(|r| r.is_ok()).count();
        if let Some(Err(e @ object_store::Error::NotImplemented { .. })) = results.first() {
            detail = format!("not supported: {}", short(&e));
            break;
        }
        if let Some(Err(e)) = results
            .iter()
            .find(|r| !matches!(r, Ok(_) | Err(object_store::Error::AlreadyExists { .. })))
        {
            detail = format!("unexpected error: {}", short(&e));
            break;
        }
        if wins == 1 {
            exact += 1;
        }
        detail = format!(
            "{exact} of {} rounds of {WRITERS} writers had exactly one winner",
            round + 1
        );
        if wins > 1 {
            detail.push_str(&format!(
                " (round {round}: {wins} winners, so writes overwrite)"
            ));
        }
    }
    Ok(CapabilityRow {
        capability: "create-if-absent",
        declared,
        observed: exact == ROUNDS,
        detail,
    })
}

async fn check_conditional_update(
    store: &Arc<dyn ObjectStore>,
    key: &Path,
    t: Duration,
    location: &str,
    declared: bool,
) -> anyhow::Result<CapabilityRow> {
    let first = bounded(
        t,
        "PUT",
        location,
        store.put(key, PutPayload::from_static(b"v1")),
    )
    .await?
    .context("PUT")?;
    let version = UpdateVersion {
        e_tag: first.e_tag.clone(),
        version: first.version.clone(),
    };
    let update = |v: UpdateVersion, body: &'static [u8]| {
        let opts = PutOptions {
            mode: PutMode::Update(v),
            ..Default::default()
        };
        store.put_opts(key, PutPayload::from_static(body), opts)
    };
    let (observed, detail) = match bounded(
        t,
        "conditional PUT",
        location,
        update(version.clone(), b"v2"),
    )
    .await?
    {
        Err(e @ object_store::Error::NotImplemented { .. }) => {
            (false, format!("not supported: {}", short(&e)))
        }
        Err(e) => (
            false,
            format!("an update with the current version failed: {}", short(&e)),
        ),
        Ok(_) => match bounded(t, "conditional PUT", location, update(version, b"v3")).await? {
            Err(object_store::Error::Precondition { .. }) => {
                (true, "stale versions are refused".into())
            }
            Ok(_) => (false, "an update with a stale version was accepted".into()),
            Err(e) => (false, format!("a stale update failed oddly: {}", short(&e))),
        },
    };
    Ok(CapabilityRow {
        capability: "conditional update",
        declared,
        observed,
        detail,
    })
}

async fn measure(
    store: &Arc<dyn ObjectStore>,
    root: &Path,
    t: Duration,
    location: &str,
    quick: bool,
) -> anyhow::Result<Vec<PerfRow>> {
    let plan: [(&'static str, usize, usize); 3] = if quick {
        [
            ("4 KiB", 4 << 10, 10),
            ("1 MiB", 1 << 20, 5),
            ("16 MiB", 16 << 20, 2),
        ]
    } else {
        [
            ("4 KiB", 4 << 10, 50),
            ("1 MiB", 1 << 20, 20),
            ("16 MiB", 16 << 20, 5),
        ]
    };
    let mut rows = Vec::new();
    for (label, size, n) in plan {
        let body = Bytes::from(vec![0x5a; size]);
        let (mut puts, mut gets) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let key = root.clone().join(format!("perf-{size}-{i}"));
            let start = Instant::now();
            bounded(t, "PUT", location, store.put(&key, body.clone().into()))
                .await?
                .context("PUT")?;
            puts.push(start.elapsed());
            let start = Instant::now();
            let got = bounded(t, "GET", location, async {
                store.get(&key).await?.bytes().await
            })
            .await?
            .context("GET")?;
            gets.push(start.elapsed());
            anyhow::ensure!(
                got.len() == size,
                "{location}: GET of a {label} object returned {} bytes",
                got.len()
            );
        }
        rows.push(PerfRow {
            size: label,
            requests: n,
            put_p50_ms: quantile_ms(&mut puts, 0.50),
            put_p99_ms: quantile_ms(&mut puts, 0.99),
            put_mib_s: mib_per_s(size, &puts),
            get_p50_ms: quantile_ms(&mut gets, 0.50),
            get_p99_ms: quantile_ms(&mut gets, 0.99),
            get_mib_s: mib_per_s(size, &gets),
        });
    }
    Ok(rows)
}

/// An error as one short line for a table cell: the server's XML body and long tails are dropped.
fn short(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let text = text.split(": <?xml").next().unwrap_or_default();
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text.to_string()
    }
}

/// The nearest-rank quantile, in milliseconds.
fn quantile_ms(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1].as_secs_f64() * 1000.0
}

/// Throughput of one request at a time: bytes moved over the time spent.
fn mib_per_s(size: usize, samples: &[Duration]) -> f64 {
    let secs: f64 = samples.iter().map(Duration::as_secs_f64).sum();
    (size * samples.len()) as f64 / (1024.0 * 1024.0) / secs.max(1e-9)
}

fn verdicts(roles: &[Role], caps: &[CapabilityRow]) -> Vec<RoleVerdict> {
    let cap = |name: &str| caps.iter().find(|c| c.capability == name);
    let data_missing: Vec<&str> = ["ranged reads", "multipart", "list-after-write"]
        .into_iter()
        .filter(|n| !cap(n).is_some_and(|c| c.observed))
        .collect();
    let mut out = Vec::new();
    for &role in roles {
        let (ok, why) = match role {
            Role::Data | Role::Wal if !data_missing.is_empty() => {
                (false, format!("missing {}", data_missing.join(", ")))
            }
            Role::Data => (true, "put, get, ranged get, list, delete and multipart work".into()),
            Role::Wal => (true, "works; its PUT latency bounds produce latency with an object WAL".into()),
            Role::Meta => match cap("create-if-absent") {
                Some(c) if c.observed && c.declared => (true, "create-if-absent is atomic".into()),
                Some(c) if c.observed => (
                    false,
                    "create-if-absent looked atomic here, but this store's profile does not promise it".into(),
                ),
                Some(c) => (
                    false,
                    format!(
                        "no atomic create-if-absent ({}); keep metadata on a store that has it",
                        c.detail
                    ),
                ),
                None => (false, "create-if-absent was not checked".into()),
            },
        };
        out.push(RoleVerdict { role, ok, why });
    }
    out
}

async fn cleanup(store: &Arc<dyn ObjectStore>, root: &Path) {
    let Ok(keys) = store
        .list(Some(root))
        .map_ok(|m| m.location)
        .try_collect::<Vec<_>>()
        .await
    else {
        return;
    };
    for k in keys {
        let _ = store.delete(&k).await;
    }
}

fn print(report: &Report, output: OutputFormat) -> anyhow::Result<()> {
    if output != OutputFormat::Table {
        return crate::output::write_stdout(&crate::output::data(output, report)?);
    }
    println!("Storage check of {}", report.location);
    if let Some(c) = &report.credentials {
        println!("Credentials from {c}");
    }
    println!();
    let yes = |b: bool| if b { "yes" } else { "no" };
    let mut t = table(&["capability", "declared", "observed", "detail"]);
    for c in &report.capabilities {
        t.add_row(vec![
            c.capability.to_string(),
            yes(c.declared).into(),
            yes(c.observed).into(),
            c.detail.clone(),
        ]);
    }
    println!("{t}\n");
    let mut t = table(&[
        "size",
        "requests",
        "PUT p50",
        "PUT p99",
        "PUT MiB/s",
        "GET p50",
        "GET p99",
        "GET MiB/s",
    ]);
    for p in &report.performance {
        t.add_row(vec![
            p.size.to_string(),
            p.requests.to_string(),
            format!("{:.1} ms", p.put_p50_ms),
            format!("{:.1} ms", p.put_p99_ms),
            format!("{:.1}", p.put_mib_s),
            format!("{:.1} ms", p.get_p50_ms),
            format!("{:.1} ms", p.get_p99_ms),
            format!("{:.1}", p.get_mib_s),
        ]);
    }
    println!("{t}\n(one request at a time)\n");
    let mut t = table(&["role", "verdict", "why"]);
    for r in &report.roles {
        let role = serde_json::to_value(r.role)?
            .as_str()
            .unwrap_or_default()
            .to_string();
        t.add_row(vec![
            role,
            if r.ok { "ok".into() } else { "CANNOT".into() },
            r.why.clone(),
        ]);
    }
    println!("{t}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn errors_fit_a_table_cell() {
        let e = "PUT failed: 412 Precondition Failed: <?xml version=\"1.0\"?><Error><Code>PreconditionFailed</Code>";
        assert_eq!(short(&e), "PUT failed: 412 Precondition Failed");
        assert_eq!(short(&"x".repeat(500)).chars().count(), 161);
    }

    #[test]
    fn quantiles_use_nearest_rank() {
        let mut s: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile_ms(&mut s, 0.5), 50.0);
        assert_eq!(quantile_ms(&mut s, 0.99), 99.0);
        let mut one = vec![Duration::from_millis(7)];
        assert_eq!(quantile_ms(&mut one, 0.99), 7.0);
    }

    #[test]
    fn a_store_without_atomic_create_cannot_hold_metadata() {
        let caps = vec![
            CapabilityRow {
                capability: "ranged reads",
                declared: true,
                observed: true,
                detail: String::new(),
            },
            CapabilityRow {
                capability: "multipart",
                declared: true,
                observed: true,
                detail: String::new(),
            },
            CapabilityRow {
                capability: "list-after-write",
                declared: true,
                observed: true,
                detail: String::new(),
            },
            CapabilityRow {
                capability: "create-if-absent",
                declared: false,
                observed: false,
                detail: "not supported".into(),
            },
        ];
        let v = verdicts(&[Role::Data, Role::Meta], &caps);
        assert!(v[0].ok);
        assert!(
            !v[1].ok && v[1].why.contains("keep metadata on a store that has it"),
            "{}",
            v[1].why
        );
    }
}
