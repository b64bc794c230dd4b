//! Produce and consume workloads over the Kafka protocol, in the spirit of the OpenMessaging Benchmark and Kafka's
//! producer and consumer perf tests, against any cluster (automq or Apache Kafka) or an `automqd` started here on
//! a chosen backend. `automqctl bench` is the front end.
//!
//! One run, per target: create a topic; start consumers (partitions assigned by hand at the current end offsets)
//! and producers; send for the warm-up and then for a duration or a record count, at a target rate or as fast as
//! the client accepts; wait for every delivery report; tell the consumers where each partition ends and wait until
//! they read it all. Produce latency is `send` to delivery report; end-to-end latency is `send` to the consumer
//! holding the record (the send time travels in the record, the clock is one process's monotonic clock). With a
//! catch-up size, a second topic is filled first and then read from the start, timed; a broker started here is
//! restarted between the two, so the reads come from objects, not from its caches.
//!
//! Everything runs on plain threads: librdkafka has its own, and the bench measures it, not an async runtime.

pub mod broker;
pub mod client;
pub mod consume;
pub mod payload;
pub mod plot;
pub mod produce;
pub mod progress;
pub mod report;
pub mod stats;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;

use broker::{BrokerSpec, LocalBroker, Sampler};
use client::Cluster;
use consume::Consumers;
use payload::KeyDistribution;
use produce::{Plan, Producers};
use progress::{Goal, Progress};
use report::{CatchUp, Report, RunResult, Throughput};
use stats::{Clock, Percentiles, Recorder};

/// When producing stops.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// This long after the warm-up.
    #[serde(serialize_with = "seconds")]
    Duration(Duration),
    /// After this many records past the warm-up.
    Records(u64),
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// What to run: the same for every target of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    /// `None`: a fresh topic, deleted afterwards.
    pub topic: Option<String>,
    pub partitions: i32,
    /// -1: the cluster's default.
    pub replication_factor: i32,
    /// Bytes per record value (at least [`payload::HEADER`]).
    pub record_size: usize,
    pub keys: KeyDistribution,
    /// Records per second over all producers; `None`: as fast as possible.
    pub rate: Option<f64>,
    pub producers: usize,
    pub consumers: usize,
    /// `0`, `1` or `all`.
    pub acks: String,
    /// librdkafka's `compression.codec`: none, gzip, snappy, lz4, zstd (when the client has it).
    pub compression: String,
    pub batch_size: Option<usize>,
    pub linger_ms: Option<u64>,
    pub stop: Stop,
    #[serde(rename = "warmup_seconds", serialize_with = "seconds")]
    pub warmup: Duration,
    /// librdkafka settings (`KEY`, `producer.KEY` or `consumer.KEY`).
    pub client_overrides: Vec<(String, String)>,
    /// Fill a second topic with this many bytes, then time reading it from the start.
    pub catch_up_bytes: Option<u64>,
    /// Consumers give up after this long without reaching the end offsets.
    #[serde(skip)]
    pub drain_timeout: Duration,
    /// Tells this run's records from anyone else's.
    #[serde(skip)]
    pub run_id: u32,
}

impl Workload {
    fn check(&self) -> Result<()> {
        if self.record_size < payload::HEADER {
            bail!(
                "--record-size {} is too small: every record carries a {}-byte header with its send time",
                self.record_size,
                payload::HEADER
            );
        }
        if self.partitions < 1 {
            bail!("--partitions must be at least 1");
        }
        if self.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
            bail!("--rate must be a positive number of records per second");
        }
        if self.producers == 0 {
            bail!("--producers must be at least 1");
        }
        Ok(())
    }
}

/// Where a target's cluster is.
#[derive(Debug, Clone)]
pub enum Place {
    Bootstrap(String),
    Start(BrokerSpec),
}

/// A cluster to measure, with the name the report gives it.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub place: Place,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Asks a running benchmark to stop early (Ctrl-C): producers stop sending, consumers stop reading, a broker the
/// bench started is stopped cleanly, fresh topics are deleted, and [`run`] returns an error.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

fn check_interrupted() -> Result<()> {
    if interrupted() {
        bail!("interrupted");
    }
    Ok(())
}

/// Runs `w` against each target in turn (never at the same time: they would share the machine).
pub fn run(targets: &[Target], w: &Workload, progress: &mut Progress) -> Result<Report> {
    w.check()?;
    let mut runs = Vec::with_capacity(targets.len());
    for t in targets {
        check_interrupted()?;
        let r = run_target(t, w, progress)
            .map_err(|e| e.context(format!("benchmark of {}", t.name)))?;
        runs.push(r);
    }
    Ok(Report::new(w.clone(), runs))
}

fn run_target(t: &Target, w: &Workload, progress: &mut Progress) -> Result<RunResult> {
    let (mut local, bootstrap) = match &t.place {
        Place::Start(spec) => {
            progress.note(&format!("{}: starting {}", t.name, spec.describe()));
            let b = LocalBroker::start(spec)?;
            let addr = b.bootstrap();
            (Some(b), addr)
        }
        Place::Bootstrap(b) => (None, b.clone()),
    };
    let mut cluster = Cluster::connect(&bootstrap, w)?;
    let (topic, fresh) = match &w.topic {
        Some(name) => (name.clone(), false),
        None => (format!("automqctl-bench-{:08x}", w.run_id), true),
    };
    let partitions = cluster.create_topic(&topic, w.partitions, w.replication_factor, !fresh)?;
    let pid = local
        .as_ref()
        .map(LocalBroker::pid)
        .or_else(|| broker::listener_pid(&bootstrap));
    let mut result = measure(t, &cluster, &topic, partitions, pid, w, progress);
    if let (Ok(r), Some(bytes)) = (&mut result, w.catch_up_bytes) {
        match catch_up(
            t,
            &mut cluster,
            &mut local,
            &topic,
            partitions,
            bytes,
            w,
            progress,
        ) {
            Ok(c) => r.catch_up = Some(c),
            Err(e) => result = Err(e.context("catch-up read")),
        }
    }
    if fresh
        && let Some(warning) = cluster.delete_topic(&topic)
        && let Ok(r) = &mut result
    {
        r.warnings.push(warning);
    }
    let mut r = result?;
    r.bootstrap = bootstrap;
    r.broker = match &t.place {
        Place::Start(spec) => Some(spec.describe()),
        Place::Bootstrap(_) => None,
    };
    if let Some(mut b) = local.take()
        && let Err(e) = b.stop()
    {
        r.warnings.push(format!("{e:#}"));
    }
    Ok(r)
}

/// The main phase: producers and consumers together, measured after the warm-up.
fn measure(
    t: &Target,
    cluster: &Cluster,
    topic: &str,
    partitions: i32,
    pid: Option<u32>,
    w: &Workload,
    progress: &mut Progress,
) -> Result<RunResult> {
    let clock = Clock::new();
    let measure_from_us = clock.now_us() + w.warmup.as_micros() as u64;
    let recorder = Arc::new(Recorder::new(clock, measure_from_us));
    let from = cluster.high_watermarks(topic, partitions)?;
    let consumers = Consumers::start(&cluster.bootstrap, w, topic, &from, &recorder)?;
    let plan = Plan {
        topic: topic.to_string(),
        partitions,
        rate: w.rate,
        stop: w.stop,
        measure_from_us,
    };
    let producers = match Producers::start(&cluster.bootstrap, w, &plan, &recorder) {
        Ok(p) => p,
        Err(e) => {
            consumers.stop();
            return Err(e);
        }
    };
    let goal = match w.stop {
        Stop::Duration(d) => Goal::Seconds((w.warmup + d).as_secs_f64()),
        Stop::Records(n) => Goal::Records(n),
    };
    progress.phase(&t.name, "produce and consume", goal);
    let sampler = pid.map(|pid| Sampler::start_at(pid, recorder.clock.at(measure_from_us)));
    let mut ticker = Ticker::new();
    while !producers.finished() {
        ticker.wait(|| producers.finished() || interrupted());
        tick(&recorder, &mut ticker, progress, goal);
        if interrupted() {
            producers.abort.store(true, Ordering::Relaxed);
        }
    }
    let produced = producers.join().and_then(|()| check_interrupted());
    if let Err(e) = produced {
        consumers.stop();
        progress.finish();
        return Err(e);
    }
    let ends = cluster.high_watermarks(topic, partitions)?;
    consumers.end_at(&ends);
    let mut last = (consumers.behind(), Instant::now());
    progress.phase(&t.name, "consume what is left", Goal::None);
    while !consumers.finished() && !interrupted() {
        ticker.wait(|| consumers.finished() || interrupted());
        tick(&recorder, &mut ticker, progress, Goal::None);
        let behind = consumers.behind();
        if behind < last.0 {
            last = (behind, Instant::now());
        } else if last.1.elapsed() > w.drain_timeout {
            break;
        }
    }
    let usage = sampler.map(Sampler::finish);
    let behind = consumers.behind();
    let failure = consumers.stop();
    progress.finish();
    check_interrupted()?;

    let p = recorder.produce_result();
    let c = recorder.consume_result();
    let mut warnings = Vec::new();
    if let Some(f) = failure {
        warnings.push(f);
    }
    if behind > 0 {
        warnings.push(format!(
            "consumers stopped {behind} records short of the end after {} s without progress",
            w.drain_timeout.as_secs()
        ));
    }
    if p.errors > 0 {
        warnings.push(format!(
            "{} records failed to produce (last: {})",
            p.errors,
            p.last_error.as_deref().unwrap_or("?")
        ));
    }
    if c.errors > 0 {
        warnings.push(format!(
            "{} consumer errors (last: {})",
            c.errors,
            c.last_error.as_deref().unwrap_or("?")
        ));
    }
    Ok(RunResult {
        target: t.name.clone(),
        bootstrap: String::new(),
        broker: None,
        topic: topic.to_string(),
        partitions,
        produce: Throughput::of(&p.measured, measure_from_us, p.errors),
        produce_latency_ms: Percentiles::of(&p.latency),
        end_to_end_latency_ms: Percentiles::of(&c.latency),
        consume: Throughput::of(&c.measured, measure_from_us, c.errors),
        catch_up: None,
        broker_usage: usage,
        warnings,
        timeline: recorder.timeline(),
        produce_distribution: stats::distribution(&p.latency),
        end_to_end_distribution: stats::distribution(&c.latency),
    })
}

/// Fills a fresh topic with `bytes`, restarts a broker started here, and times reading it all from the start.
#[allow(clippy::too_many_arguments)]
fn catch_up(
    t: &Target,
    cluster: &mut Cluster,
    local: &mut Option<LocalBroker>,
    topic: &str,
    partitions: i32,
    bytes: u64,
    w: &Workload,
    progress: &mut Progress,
) -> Result<CatchUp> {
    let topic = format!("{topic}-catch-up");
    let partitions = cluster.create_topic(&topic, partitions, w.replication_factor, false)?;
    let records = bytes.div_ceil(w.record_size as u64).max(1);
    let fill = Arc::new(Recorder::new(Clock::new(), 0));
    let plan = Plan {
        topic: topic.clone(),
        partitions,
        rate: None,
        stop: Stop::Records(records),
        measure_from_us: 0,
    };
    progress.phase(&t.name, "catch-up: write", Goal::Records(records));
    let producers = Producers::start(&cluster.bootstrap, w, &plan, &fill)?;
    let mut ticker = Ticker::new();
    while !producers.finished() {
        ticker.wait(|| producers.finished() || interrupted());
        tick(&fill, &mut ticker, progress, Goal::Records(records));
        if interrupted() {
            producers.abort.store(true, Ordering::Relaxed);
        }
    }
    producers.join()?;
    progress.finish();
    check_interrupted()?;
    let written = fill.produce_result();
    let ends = cluster.high_watermarks(&topic, partitions)?;
    let from_objects = if let Some(b) = local.take() {
        progress.note(&format!(
            "{}: restarting automqd so the reads come from objects",
            t.name
        ));
        let b = b.restart()?;
        *cluster = Cluster::connect(&b.bootstrap(), w)?;
        *local = Some(b);
        true
    } else {
        false
    };
    let read = Arc::new(Recorder::new(Clock::new(), 0));
    progress.phase(
        &t.name,
        "catch-up: read",
        Goal::Records(written.all.records),
    );
    let consumers = Consumers::start(&cluster.bootstrap, w, &topic, &vec![0; ends.len()], &read)?;
    consumers.end_at(&ends);
    let mut last = (consumers.behind(), Instant::now());
    while !consumers.finished() && !interrupted() {
        ticker.wait(|| consumers.finished() || interrupted());
        tick(
            &read,
            &mut ticker,
            progress,
            Goal::Records(written.all.records),
        );
        let behind = consumers.behind();
        if behind < last.0 {
            last = (behind, Instant::now());
        } else if last.1.elapsed() > w.drain_timeout {
            break;
        }
    }
    let behind = consumers.behind();
    let failure = consumers.stop();
    progress.finish();
    if let Some(warning) = cluster.delete_topic(&topic) {
        progress.note(&warning);
    }
    check_interrupted()?;
    if let Some(f) = failure {
        bail!("{f}");
    }
    if behind > 0 {
        bail!("reading `{topic}` from the start stopped {behind} records short of its end");
    }
    let c = read.consume_result();
    let seconds = c.all.last_us as f64 / 1e6;
    Ok(CatchUp {
        records: c.all.records,
        bytes: c.all.bytes,
        seconds,
        mb_per_sec: rate(c.all.bytes as f64 / 1e6, seconds),
        write_mb_per_sec: rate(
            written.all.bytes as f64 / 1e6,
            written.all.last_us as f64 / 1e6,
        ),
        from_objects,
    })
}

fn rate(amount: f64, seconds: f64) -> f64 {
    if seconds > 0.0 { amount / seconds } else { 0.0 }
}

/// One tick a second for the timeline; it wakes early when the phase ends.
#[derive(Debug)]
struct Ticker {
    last: Instant,
}

impl Ticker {
    fn new() -> Self {
        Self {
            last: Instant::now(),
        }
    }

    fn wait(&self, done: impl Fn() -> bool) {
        let next = self.last + Duration::from_secs(1);
        while Instant::now() < next && !done() {
            std::thread::sleep((next - Instant::now()).min(Duration::from_millis(50)));
        }
    }
}

fn tick(recorder: &Recorder, ticker: &mut Ticker, progress: &mut Progress, goal: Goal) {
    let seconds = ticker.last.elapsed().as_secs_f64();
    ticker.last = Instant::now();
    let point = recorder.tick(seconds);
    let (p99, e2e99) = recorder.p99_so_far();
    let done = match goal {
        Goal::Records(_) => recorder
            .acknowledged_records()
            .max(recorder.consumed_records()),
        _ => 0,
    };
    progress.update(&point, p99, e2e99, done);
}
