//! Load drivers and the latency recorder: appends at a fixed rate (open loop), or as fast as a number of
//! appenders can go (closed loop), each append's latency recorded in an HDR histogram.
//!
//! The open loop issues appends on a schedule whatever the earlier ones are doing, so a slow append does not
//! hide the latency of those queued behind it (no coordinated omission). The schedule runs on tokio's timer
//! (millisecond resolution): at high rates appends leave in small bursts, each timed from when it was issued.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use automq_stream::StreamId;
use automq_stream::engine::Engine;
use bytes::Bytes;
use hdrhistogram::Histogram;
use tokio::task::JoinSet;

/// Latencies in microseconds, from 1 µs to 5 minutes, three significant digits.
#[derive(Debug, Clone)]
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    #[allow(clippy::expect_used)] // constant bounds that hdrhistogram accepts
    fn default() -> Self {
        Self(Histogram::new_with_bounds(1, 300_000_000, 3).expect("valid histogram bounds"))
    }
}

impl Latencies {
    pub fn record(&mut self, d: Duration) {
        self.0.saturating_record(d.as_micros().max(1) as u64);
    }

    pub fn add(&mut self, other: &Latencies) {
        let _ = self.0.add(&other.0);
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The latency at quantile `q` (0.5 for the median).
    pub fn quantile(&self, q: f64) -> Duration {
        Duration::from_micros(self.0.value_at_quantile(q))
    }

    pub fn max(&self) -> Duration {
        Duration::from_micros(self.0.max())
    }

    pub fn mean(&self) -> Duration {
        Duration::from_micros(self.0.mean() as u64)
    }
}

/// What a run of appends did.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub latencies: Latencies,
    pub appends: u64,
    pub bytes: u64,
    pub failed: u64,
    pub elapsed: Duration,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.appends as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn mib_per_second(&self) -> f64 {
        self.bytes as f64 / (1024.0 * 1024.0) / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A payload of `len` bytes that does not compress to nothing.
pub fn payload(len: usize) -> Bytes {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    Bytes::from(
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect::<Vec<_>>(),
    )
}

/// `workers` appenders, each appending to its own stream in turn (`streams[w % len]`) as fast as its appends are
/// acknowledged, for `duration`.
pub async fn closed_loop(
    engine: &Engine,
    streams: &[StreamId],
    workers: usize,
    body: Bytes,
    duration: Duration,
) -> Run {
    let started = Instant::now();
    let deadline = started + duration;
    let mut set = JoinSet::new();
    for w in 0..workers {
        let (engine, body) = (engine.clone(), body.clone());
        let stream = streams[w % streams.len()];
        set.spawn(async move {
            let mut run = Run::default();
            while Instant::now() < deadline {
                let t = Instant::now();
                match engine.append(stream, 1, body.clone()).await {
                    Ok(_) => {
                        run.latencies.record(t.elapsed());
                        run.appends += 1;
                        run.bytes += body.len() as u64;
                    }
                    Err(_) => run.failed += 1,
                }
            }
            run
        });
    }
    let mut total = Run::default();
    while let Some(done) = set.join_next().await {
        if let Ok(run) = done {
            total.latencies.add(&run.latencies);
            total.appends += run.appends;
            total.bytes += run.bytes;
            total.failed += run.failed;
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// Appends at `rate` per second for `duration`, round robin over `streams`, each append timed from when it was
/// issued. `elapsed` is the time spent issuing, so `per_second` is the rate achieved.
pub async fn open_loop(
    engine: &Engine,
    streams: &[StreamId],
    rate: f64,
    body: Bytes,
    duration: Duration,
) -> Run {
    let total = (rate * duration.as_secs_f64()).round().max(1.0) as u64;
    let period = Duration::from_secs_f64(1.0 / rate);
    let shared = Arc::new(Mutex::new(Run::default()));
    let started = tokio::time::Instant::now();
    let mut set = JoinSet::new();
    for i in 0..total {
        let due = started + period.mul_f64(i as f64);
        if due > tokio::time::Instant::now() {
            tokio::time::sleep_until(due).await;
        }
        let (engine, body, shared) = (engine.clone(), body.clone(), shared.clone());
        let stream = streams[(i % streams.len() as u64) as usize];
        set.spawn(async move {
            let t = Instant::now();
            let result = engine.append(stream, 1, body.clone()).await;
            let took = t.elapsed();
            let mut run = shared.lock().unwrap_or_else(PoisonError::into_inner);
            match result {
                Ok(_) => {
                    run.latencies.record(took);
                    run.appends += 1;
                    run.bytes += body.len() as u64;
                }
                Err(_) => run.failed += 1,
            }
        });
        // Reap what is done now and then, so the set does not grow with the run.
        while set.try_join_next().is_some() {}
    }
    let issuing = started.elapsed();
    while set.join_next().await.is_some() {}
    let mut run = shared
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    run.elapsed = issuing;
    run
}
