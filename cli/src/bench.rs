//! `automqctl bench`: produce and consume workloads against a cluster (automq or Apache Kafka), against an
//! automqd it starts on a chosen backend, or against two of them in turn to compare. The workload itself lives in
//! `automq_bench::workload`; this module is its flags and its output.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use automq_bench::workload::broker::{BrokerSpec, Wal};
use automq_bench::workload::payload::KeyDistribution;
use automq_bench::workload::progress::Progress;
use automq_bench::workload::{self, Place, Stop, Target, Workload, plot};
use clap::Args;

use crate::output::OutputFormat;
use crate::{Reported, Usage};

#[derive(Debug, Args)]
#[command(after_help = "\
Produce latency runs from send to the delivery report; end-to-end latency from send to the consumer holding the \
record (the send time travels in the record). Records sent during the warm-up are not measured. Consumers read \
partitions assigned by hand, not as a group. MB are 10^6 bytes of record values.

Examples:
  automqctl bench --broker-backend --duration 30s --rate 5000
  automqctl bench -b 127.0.0.1:9092 --records 1000000 --record-size 1024 --acks all -o json
  automqctl bench --broker-backend --wal object --compare kafka=127.0.0.1:19092 --plot pics

Exits 1 when a run consumed fewer records than it produced (the report says where).")]
pub struct BenchArgs {
    /// The cluster to measure (HOST:PORT[,HOST:PORT…]).
    #[arg(long, short = 'b', value_name = "HOST:PORT", help_heading = "Cluster")]
    bootstrap_server: Option<String>,
    /// Start an automqd for the run, its data at URI (file:///…, s3://…?…, hdfs://…); without a URI, in a
    /// temporary directory. The binary is AUTOMQD_BIN, or automqd next to automqctl.
    #[arg(long, value_name = "URI", num_args = 0..=1, default_missing_value = "",
          conflicts_with = "bootstrap_server", help_heading = "Cluster")]
    broker_backend: Option<String>,
    /// The WAL kind of an automqd the bench starts.
    #[arg(long, value_enum, default_value_t = WalArg::File, help_heading = "Cluster")]
    wal: WalArg,
    /// Run the same workload against two clusters in turn and print each metric's ratio: two targets, or one
    /// beside --bootstrap-server / --broker-backend. A target is HOST:PORT, a backend URI (an automqd started
    /// there), or `automqd` (one on a temporary directory), optionally named: kafka=127.0.0.1:19092.
    #[arg(long, value_name = "[NAME=]TARGET", num_args = 1..=2, help_heading = "Cluster")]
    compare: Vec<String>,

    /// The topic to use; default: a fresh one, deleted afterwards.
    #[arg(long, help_heading = "Workload")]
    topic: Option<String>,
    /// Partitions of a fresh topic.
    #[arg(long, default_value_t = 16, help_heading = "Workload")]
    partitions: i32,
    /// Replication factor of a fresh topic; -1: the cluster's default.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true, help_heading = "Workload")]
    replication_factor: i32,
    /// Bytes per record value (at least 16: a header carries the send time).
    #[arg(long, default_value_t = 1024, help_heading = "Workload")]
    record_size: usize,
    /// How records get keys: none (the client's partitioner), random (8 random bytes), round-robin (no key,
    /// partitions in turn).
    #[arg(long, default_value = "none", value_parser = parse_keys, help_heading = "Workload")]
    key_distribution: KeyDistribution,
    /// Records per second over all producers; default: as fast as the cluster takes them.
    #[arg(long, value_name = "N", help_heading = "Workload")]
    rate: Option<f64>,
    /// Producer clients, each on its own thread with its share of the rate.
    #[arg(long, default_value_t = 1, help_heading = "Workload")]
    producers: usize,
    /// Consumer clients; the partitions are spread over them.
    #[arg(long, default_value_t = 1, help_heading = "Workload")]
    consumers: usize,
    /// Acknowledgements a produce waits for.
    #[arg(long, default_value = "all", value_parser = ["0", "1", "all"], help_heading = "Workload")]
    acks: String,
    /// none, gzip, snappy or lz4.
    #[arg(long, default_value = "none", help_heading = "Workload")]
    compression: String,
    /// The producer's batch.size in bytes (default: librdkafka's).
    #[arg(long, value_name = "BYTES", help_heading = "Workload")]
    batch_size: Option<usize>,
    /// The producer's linger.ms (default: librdkafka's, 5).
    #[arg(long, value_name = "MS", help_heading = "Workload")]
    linger_ms: Option<u64>,
    /// How long to produce after the warm-up (30s, 2m, 500ms; a bare number is seconds).
    #[arg(long, value_parser = parse_duration, conflicts_with = "records", help_heading = "Workload")]
    duration: Option<Duration>,
    /// How many records to produce after the warm-up.
    #[arg(long, help_heading = "Workload")]
    records: Option<u64>,
    /// Produce this long before measuring.
    #[arg(long, default_value = "5s", value_parser = parse_duration, help_heading = "Workload")]
    warmup: Duration,
    /// Also fill a second topic with this many MB, then time reading it from the start. An automqd the bench
    /// started is restarted in between, so the reads come from objects.
    #[arg(long, value_name = "MB", help_heading = "Workload")]
    catch_up_mb: Option<f64>,
    /// librdkafka settings from the global `-X KEY=VALUE` (producer.KEY or consumer.KEY for one side only).
    #[arg(skip)]
    pub client_config: Vec<(String, String)>,

    /// Write latency-over-time, latency-distribution and throughput-over-time SVGs into DIR.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    plot: Option<PathBuf>,
    /// Consumers give up after this long without reaching the end.
    #[arg(long, default_value = "60s", value_parser = parse_duration, help_heading = "Output")]
    drain_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum WalArg {
    File,
    Object,
}

fn parse_keys(s: &str) -> Result<KeyDistribution, String> {
    s.parse()
}

/// `30s`, `2m`, `500ms`, `1h`, or a bare number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration such as 30s, 2m or 500ms"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}`; use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{s}` is not a valid duration"))
}

/// Resolves on SIGINT or SIGTERM; never when the handlers cannot be installed.
async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

/// The automqd binary: AUTOMQD_BIN, or the one next to this program.
fn automqd_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("AUTOMQD_BIN") {
        return PathBuf::from(p);
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("automqd")))
        .unwrap_or_else(|| PathBuf::from("automqd"))
}

fn wal(w: WalArg) -> Wal {
    match w {
        WalArg::File => Wal::File,
        WalArg::Object => Wal::Object,
    }
}

fn started(backend: &str, w: WalArg) -> Place {
    Place::Start(BrokerSpec {
        bin: automqd_bin(),
        backend: (!backend.is_empty() && backend != "automqd").then(|| backend.to_string()),
        wal: wal(w),
    })
}

fn default_name(place: &Place) -> String {
    match place {
        Place::Bootstrap(b) => b.clone(),
        Place::Start(spec) => format!("automqd ({} WAL)", spec.wal.as_str()),
    }
}

/// `[NAME=]TARGET`: a name is a plain word before `=` (a URI's own `=` comes after `:`, `/` or `?`).
fn parse_target(spec: &str, w: WalArg) -> Target {
    let (name, what) = match spec.split_once('=') {
        Some((n, rest))
            if !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_. ".contains(c)) =>
        {
            (Some(n.to_string()), rest)
        }
        _ => (None, spec),
    };
    let place = if what.contains("://") || what == "automqd" {
        started(what, w)
    } else {
        Place::Bootstrap(what.to_string())
    };
    Target {
        name: name.unwrap_or_else(|| default_name(&place)),
        place,
    }
}

fn targets(a: &BenchArgs) -> anyhow::Result<Vec<Target>> {
    let primary = match (&a.bootstrap_server, &a.broker_backend) {
        (Some(b), _) => Some(Place::Bootstrap(b.clone())),
        (None, Some(uri)) => Some(started(uri, a.wal)),
        (None, None) => None,
    };
    let mut targets: Vec<Target> = primary
        .map(|place| Target {
            name: default_name(&place),
            place,
        })
        .into_iter()
        .collect();
    targets.extend(a.compare.iter().map(|s| parse_target(s, a.wal)));
    match (targets.len(), a.compare.is_empty()) {
        (0, _) => Err(Usage(
            "name a cluster: --bootstrap-server HOST:PORT, or --broker-backend [URI] to start an automqd"
                .into(),
        )
        .into()),
        (1, true) | (2, false) => {
            if targets.len() == 2 && targets[0].name == targets[1].name {
                targets[1].name.push_str(" #2");
            }
            Ok(targets)
        }
        _ => Err(Usage(
            "--compare takes two targets, or one beside --bootstrap-server or --broker-backend".into(),
        )
        .into()),
    }
}

pub async fn run(a: BenchArgs, output: OutputFormat) -> anyhow::Result<()> {
    let targets = targets(&a)?;
    let stop = match (a.duration, a.records) {
        (_, Some(n)) => Stop::Records(n),
        (Some(d), None) => Stop::Duration(d),
        (None, None) => Stop::Duration(Duration::from_secs(30)),
    };
    let w = Workload {
        topic: a.topic.clone(),
        partitions: a.partitions,
        replication_factor: a.replication_factor,
        record_size: a.record_size,
        keys: a.key_distribution,
        rate: a.rate,
        producers: a.producers,
        consumers: a.consumers,
        acks: a.acks.clone(),
        compression: a.compression.clone(),
        batch_size: a.batch_size,
        linger_ms: a.linger_ms,
        stop,
        warmup: a.warmup,
        client_overrides: a.client_config.clone(),
        catch_up_bytes: a.catch_up_mb.map(|mb| (mb * 1e6) as u64),
        drain_timeout: a.drain_timeout,
        run_id: uuid::Uuid::new_v4().as_u128() as u32,
    };
    let plot_dir = a.plot.clone();
    let mut task = tokio::task::spawn_blocking(move || {
        let mut progress = Progress::new(std::io::stderr().is_terminal(), Duration::from_secs(5));
        workload::run(&targets, &w, &mut progress)
    });
    // Ctrl-C or SIGTERM: stop cleanly, so a broker the bench started does not outlive it.
    let result = tokio::select! {
        r = &mut task => r,
        () = interrupted() => {
            eprintln!("automqctl: bench: stopping (producers, consumers, a started broker)");
            workload::interrupt();
            task.await
        }
    };
    let report = result.context("the benchmark thread")??;
    let pictures = match &plot_dir {
        Some(dir) => plot::write(&report, dir)?,
        None => Vec::new(),
    };
    match output {
        OutputFormat::Json => println!("{}", report.json()),
        OutputFormat::Yaml => print!("{}", crate::output::data(OutputFormat::Yaml, &report)?),
        OutputFormat::Table => {
            print!("{}", report.table());
            if !pictures.is_empty() {
                let names: Vec<String> = pictures.iter().map(|p| p.display().to_string()).collect();
                println!("pictures: {}", names.join(", "));
            }
        }
    }
    let short: Vec<String> = report
        .runs
        .iter()
        .filter(|r| r.consume.records < r.produce.records)
        .map(|r| {
            format!(
                "{}: {} records produced, {} consumed",
                r.target, r.produce.records, r.consume.records
            )
        })
        .collect();
    if !short.is_empty() {
        eprintln!("automqctl: bench: {}", short.join("; "));
        return Err(Reported.into());
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_or_without_a_unit() {
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn a_target_is_a_bootstrap_server_or_a_broker_to_start_and_may_be_named() {
        let t = parse_target("kafka=127.0.0.1:19092", WalArg::File);
        assert_eq!(t.name, "kafka");
        assert!(matches!(t.place, Place::Bootstrap(ref b) if b == "127.0.0.1:19092"));
        let t = parse_target(
            "s3://bucket/p?endpoint=http://127.0.0.1:9100",
            WalArg::Object,
        );
        assert_eq!(t.name, "automqd (object WAL)");
        assert!(
            matches!(t.place, Place::Start(ref s) if s.backend.as_deref() == Some("s3://bucket/p?endpoint=http://127.0.0.1:9100"))
        );
        let t = parse_target("mine=automqd", WalArg::File);
        assert!(matches!(t.place, Place::Start(ref s) if s.backend.is_none()));
    }
}
