//! Consumers: each its own librdkafka client on its own thread, assigned a fixed set of partitions by hand (no
//! consumer group), reading from given offsets until it reaches the end offsets it is told once producing stops.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Result;
use rdkafka::Message;
use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::config::FromClientConfigAndContext;
use rdkafka::consumer::{BaseConsumer, Consumer};

use super::Workload;
use super::client::{self, QuietContext, Role};
use super::payload;
use super::stats::Recorder;

/// Running consumers.
#[derive(Debug)]
pub struct Consumers {
    threads: Vec<JoinHandle<()>>,
    /// Where each partition's reading ends; `i64::MAX` until producing stops.
    ends: Arc<Vec<AtomicI64>>,
    /// The next offset to read of each partition.
    positions: Arc<Vec<AtomicI64>>,
    stop: Arc<AtomicBool>,
    /// The first error a consumer could not go on after.
    failure: Arc<Mutex<Option<String>>>,
}

impl Consumers {
    /// Creates up to `w.consumers` clients (no more than there are partitions), spreads the partitions over them
    /// in turn, and starts reading partition `p` at `from[p]`.
    pub fn start(
        bootstrap: &str,
        w: &Workload,
        topic: &str,
        from: &[i64],
        recorder: &Arc<Recorder>,
    ) -> Result<Self> {
        let partitions = from.len();
        let n = w.consumers.clamp(1, partitions.max(1));
        let ends: Arc<Vec<AtomicI64>> =
            Arc::new((0..partitions).map(|_| AtomicI64::new(i64::MAX)).collect());
        let positions: Arc<Vec<AtomicI64>> =
            Arc::new(from.iter().map(|&o| AtomicI64::new(o)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let failure = Arc::new(Mutex::new(None));
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let consumer: BaseConsumer<QuietContext> = BaseConsumer::from_config_and_context(
                &client::config(bootstrap, Role::Consumer, w),
                QuietContext::default(),
            )
            .map_err(|e| client::creation_error(e, "consumer"))?;
            let mine: Vec<usize> = (i..partitions).step_by(n).collect();
            let mut tpl = TopicPartitionList::new();
            for &p in &mine {
                tpl.add_partition_offset(topic, p as i32, Offset::Offset(from[p]))
                    .map_err(|e| anyhow::anyhow!("assigning partition {p}: {e}"))?;
            }
            consumer
                .assign(&tpl)
                .map_err(|e| anyhow::anyhow!("assigning partitions of `{topic}`: {e}"))?;
            let (recorder, ends, positions, stop, failure) = (
                recorder.clone(),
                ends.clone(),
                positions.clone(),
                stop.clone(),
                failure.clone(),
            );
            let run = w.run_id;
            let topic = topic.to_string();
            threads.push(std::thread::spawn(move || {
                let reached = |p: &usize| {
                    positions[*p].load(Ordering::Relaxed) >= ends[*p].load(Ordering::Relaxed)
                };
                while !stop.load(Ordering::Relaxed) && !mine.iter().all(reached) {
                    match consumer.poll(Duration::from_millis(100)) {
                        None => {}
                        Some(Ok(m)) => {
                            let now = recorder.clock.now_us();
                            let value = m.payload().unwrap_or_default();
                            if let Some(sent) = payload::sent_us(value, run) {
                                recorder.consumed(sent, now, value.len() as u64);
                            }
                            if let Some(pos) = positions.get(m.partition() as usize) {
                                pos.fetch_max(m.offset() + 1, Ordering::Relaxed);
                            }
                        }
                        Some(Err(e)) => {
                            recorder.consume_failed(e.to_string());
                            if let rdkafka::error::KafkaError::MessageConsumption(code) = e
                                && is_fatal(code)
                            {
                                let mut f = failure.lock().unwrap_or_else(|e| e.into_inner());
                                f.get_or_insert_with(|| format!("consuming topic `{topic}`: {e}"));
                                break;
                            }
                        }
                    }
                }
            }));
        }
        Ok(Self {
            threads,
            ends,
            positions,
            stop,
            failure,
        })
    }

    /// Tells the consumers where each partition ends.
    pub fn end_at(&self, ends: &[i64]) {
        for (slot, &e) in self.ends.iter().zip(ends) {
            slot.store(e, Ordering::Relaxed);
        }
    }

    /// Records still to read before every partition reaches its end (0 before the ends are known).
    pub fn behind(&self) -> i64 {
        self.ends
            .iter()
            .zip(self.positions.iter())
            .map(|(e, p)| {
                let e = e.load(Ordering::Relaxed);
                if e == i64::MAX {
                    0
                } else {
                    (e - p.load(Ordering::Relaxed)).max(0)
                }
            })
            .sum()
    }

    pub fn finished(&self) -> bool {
        self.threads.iter().all(JoinHandle::is_finished)
    }

    /// Stops reading (where the consumers are) and waits for the threads; returns a consumer's fatal error.
    pub fn stop(mut self) -> Option<String> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

impl Drop for Consumers {
    /// Consumers left behind by an error stop too.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Errors after which a consumer cannot read on (as opposed to a transient fetch error that librdkafka retries).
fn is_fatal(code: rdkafka::types::RDKafkaErrorCode) -> bool {
    use rdkafka::types::RDKafkaErrorCode as C;
    matches!(
        code,
        C::OffsetOutOfRange
            | C::UnknownTopicOrPartition
            | C::TopicAuthorizationFailed
            | C::UnknownTopic
    )
}
