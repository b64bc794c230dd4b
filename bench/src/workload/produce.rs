//! Producers: each its own librdkafka client on its own thread, sending at its share of the target rate (or as
//! fast as the client's queue accepts), timing each record from `send` to its delivery report.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use rdkafka::ClientContext;
use rdkafka::config::FromClientConfigAndContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};

use super::client::{self, ClientErrors, Role};
use super::payload::{self, KeyDistribution, Rng};
use super::stats::Recorder;
use super::{Stop, Workload};

/// Records every delivery report in the run's recorder; the opaque value is the send time.
#[derive(Debug)]
struct Deliveries {
    recorder: Arc<Recorder>,
    errors: ClientErrors,
}

impl ClientContext for Deliveries {
    fn log(&self, _level: rdkafka::config::RDKafkaLogLevel, _fac: &str, _message: &str) {}

    fn error(&self, error: KafkaError, reason: &str) {
        self.errors.note(&error, reason);
    }
}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sent_us: usize) {
        let now = self.recorder.clock.now_us();
        match result {
            Ok(m) => {
                let bytes = m.payload_len() as u64;
                self.recorder.acknowledged(sent_us as u64, now, bytes);
            }
            Err((e, _)) => self.recorder.produce_failed(e.to_string()),
        }
    }
}

/// What the producers of one phase send.
#[derive(Debug, Clone)]
pub struct Plan {
    pub topic: String,
    pub partitions: i32,
    /// Records per second for all producers together; `None`: as fast as possible.
    pub rate: Option<f64>,
    pub stop: Stop,
    /// Records sent before this (on the run's clock) are warm-up.
    pub measure_from_us: u64,
}

/// Running producers.
#[derive(Debug)]
pub struct Producers {
    threads: Vec<JoinHandle<Result<()>>>,
    pub abort: Arc<AtomicBool>,
}

impl Producers {
    /// Creates `w.producers` clients (failing fast on a bad setting) and starts sending.
    pub fn start(
        bootstrap: &str,
        w: &Workload,
        plan: &Plan,
        recorder: &Arc<Recorder>,
    ) -> Result<Self> {
        let n = w.producers.max(1);
        let abort = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::with_capacity(n);
        for _ in 0..n {
            let ctx = Deliveries {
                recorder: recorder.clone(),
                errors: ClientErrors::default(),
            };
            let p: ThreadedProducer<Deliveries> = ThreadedProducer::from_config_and_context(
                &client::config(bootstrap, Role::Producer, w),
                ctx,
            )
            .map_err(|e| client::creation_error(e, "producer"))?;
            clients.push(p);
        }
        let mut threads = Vec::with_capacity(n);
        for (i, p) in clients.into_iter().enumerate() {
            let share = Share {
                index: i,
                of: n,
                record_size: w.record_size,
                keys: w.keys,
                run: w.run_id,
            };
            let plan = plan.clone();
            let recorder = recorder.clone();
            let abort = abort.clone();
            threads.push(std::thread::spawn(move || {
                send_loop(&p, &share, &plan, &recorder, &abort)
            }));
        }
        Ok(Self { threads, abort })
    }

    pub fn finished(&self) -> bool {
        self.threads.iter().all(JoinHandle::is_finished)
    }

    /// Waits for every producer to send its share and receive its delivery reports.
    pub fn join(mut self) -> Result<()> {
        let mut first = Ok(());
        for t in self.threads.drain(..) {
            let r = t
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a producer thread panicked")));
            if first.is_ok() {
                first = r;
            }
        }
        first
    }
}

impl Drop for Producers {
    /// Producers left behind by an error stop sending.
    fn drop(&mut self) {
        self.abort.store(true, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct Share {
    index: usize,
    of: usize,
    record_size: usize,
    keys: KeyDistribution,
    run: u32,
}

impl Share {
    /// This producer's part of `total`.
    fn part(&self, total: u64) -> u64 {
        let n = self.of as u64;
        total / n + u64::from((self.index as u64) < total % n)
    }
}

fn send_loop(
    p: &ThreadedProducer<Deliveries>,
    share: &Share,
    plan: &Plan,
    recorder: &Recorder,
    abort: &AtomicBool,
) -> Result<()> {
    let clock = recorder.clock;
    let mut rng = Rng::new(u64::from(share.run) << 16 | share.index as u64);
    // A few distinct values, so compression sees varied data without a fresh buffer per record.
    let mut values: Vec<Vec<u8>> = (0..16)
        .map(|_| payload::filler(share.record_size, &mut rng))
        .collect();
    let rate = plan.rate.map(|r| r / share.of as f64);
    let (end, quota) = match plan.stop {
        Stop::Duration(d) => (Some(clock.at(plan.measure_from_us) + d), None::<u64>),
        Stop::Records(n) => (None, Some(share.part(n))),
    };
    let started = Instant::now();
    let mut sent: u64 = 0;
    let mut measured: u64 = 0;
    let mut partition = share.index as i32;
    let mut failure: Option<KafkaError> = None;
    while !abort.load(Ordering::Relaxed) {
        let now = Instant::now();
        if end.is_some_and(|e| now >= e) || quota.is_some_and(|q| measured >= q) {
            break;
        }
        if let Some(r) = rate {
            let due = started + Duration::from_secs_f64(sent as f64 / r);
            if now < due {
                std::thread::sleep((due - now).min(Duration::from_millis(50)));
                continue;
            }
        }
        let sent_us = clock.now_us();
        let value = &mut values[(sent % 16) as usize];
        payload::stamp(value, share.run, sent_us);
        let key = rng.next_u64().to_le_bytes();
        let mut record =
            BaseRecord::<[u8], [u8], usize>::with_opaque_to(&plan.topic, sent_us as usize)
                .payload(value.as_slice());
        match share.keys {
            KeyDistribution::None => {}
            KeyDistribution::Random => record = record.key(key.as_slice()),
            KeyDistribution::RoundRobin => {
                record = record.partition(partition);
                partition = (partition + 1) % plan.partitions.max(1);
            }
        }
        match p.send(record) {
            Ok(()) => {
                sent += 1;
                if sent_us >= plan.measure_from_us {
                    measured += 1;
                }
            }
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                // The client's queue is full: the cluster is slower than we send. Wait for deliveries.
                std::thread::sleep(Duration::from_micros(500));
            }
            Err((e, _)) => {
                failure = Some(e);
                break;
            }
        }
    }
    let flushed = p.flush(Duration::from_secs(120));
    if let Some(e) = failure {
        bail!("sending to topic `{}` failed: {e}", plan.topic);
    }
    if let Err(e) = flushed {
        let last = p
            .context()
            .errors
            .last()
            .map(|l| format!(" (last client error: {l})"))
            .unwrap_or_default();
        bail!(
            "{} records of topic `{}` were not acknowledged within 120 s: {e}{last}",
            p.in_flight_count(),
            plan.topic
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_total() {
        for total in [0u64, 1, 7, 1000, 1001] {
            let sum: u64 = (0..3)
                .map(|index| {
                    Share {
                        index,
                        of: 3,
                        record_size: 16,
                        keys: KeyDistribution::None,
                        run: 1,
                    }
                    .part(total)
                })
                .sum();
            assert_eq!(sum, total);
        }
    }
}
