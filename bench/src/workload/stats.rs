//! What a run measures, as it happens: latencies in HDR histograms (microseconds), counts, and one point per
//! second for the timeline. Producers' delivery callbacks and consumer threads record here; the run's ticker
//! closes an interval each second.
//!
//! A record is measured when it was sent at or after the end of the warm-up. The send time travels in the record
//! (see [`super::payload`]) and in the delivery callback's opaque value, so the producing and the consuming side
//! decide alike which records count, and their counts can be compared.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Microseconds since the start of a run, on the monotonic clock all threads of the run share.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base: Instant,
}

impl Clock {
    pub fn new() -> Self {
        Self {
            base: Instant::now(),
        }
    }

    pub fn now_us(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    pub fn at(&self, us: u64) -> Instant {
        self.base + std::time::Duration::from_micros(us)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// Latencies up to an hour, in microseconds, three significant digits.
pub fn histogram() -> Histogram<u64> {
    #[allow(clippy::expect_used)] // constant bounds that hdrhistogram accepts
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// Records and bytes, and when the first and last of them were seen.
#[derive(Debug, Default, Clone, Copy)]
pub struct Count {
    pub records: u64,
    pub bytes: u64,
    pub last_us: u64,
}

impl Count {
    fn add(&mut self, bytes: u64, at_us: u64) {
        self.records += 1;
        self.bytes += bytes;
        self.last_us = self.last_us.max(at_us);
    }
}

/// One side (producing or consuming) of a run.
#[derive(Debug)]
struct Side {
    /// Latencies of measured records.
    total: Histogram<u64>,
    /// Latencies of the current interval, warm-up included.
    interval: Histogram<u64>,
    /// Measured records.
    measured: Count,
    /// Every record, warm-up included.
    all: Count,
    /// Records and bytes at the last tick.
    at_tick: Count,
    errors: u64,
    last_error: Option<String>,
}

impl Side {
    fn new() -> Self {
        Self {
            total: histogram(),
            interval: histogram(),
            measured: Count::default(),
            all: Count::default(),
            at_tick: Count::default(),
            errors: 0,
            last_error: None,
        }
    }
}

/// Everything one phase of a run records.
#[derive(Debug)]
pub struct Recorder {
    pub clock: Clock,
    /// Records sent from here on are measured.
    pub measure_from_us: u64,
    produce: Mutex<Side>,
    consume: Mutex<Side>,
    timeline: Mutex<Vec<TimelinePoint>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One second of a run.
#[derive(Debug, Clone, Serialize)]
pub struct TimelinePoint {
    /// Seconds since the end of the warm-up (negative during it).
    pub t: f64,
    pub produce_records_per_sec: f64,
    pub produce_mb_per_sec: f64,
    pub produce_p50_ms: Option<f64>,
    pub produce_p99_ms: Option<f64>,
    pub consume_mb_per_sec: f64,
    pub end_to_end_p50_ms: Option<f64>,
    pub end_to_end_p99_ms: Option<f64>,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        Some(Self {
            count: h.len(),
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        })
    }
}

pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// The latency distribution for the picture: (percentile in 0..100, milliseconds), denser towards the tail.
pub fn distribution(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    // N values tell nothing past the percentile 100 (1 - 1/N): the maximum is drawn there.
    let top = 1.0 - 1.0 / h.len().max(10) as f64;
    h.iter_quantiles(5)
        .map(|v| {
            (
                v.quantile_iterated_to().min(top) * 100.0,
                ms(v.value_iterated_to()),
            )
        })
        .collect()
}

/// What one side of a phase ended with.
#[derive(Debug, Clone)]
pub struct SideResult {
    pub measured: Count,
    pub all: Count,
    pub latency: Histogram<u64>,
    pub errors: u64,
    pub last_error: Option<String>,
}

impl Recorder {
    pub fn new(clock: Clock, measure_from_us: u64) -> Self {
        Self {
            clock,
            measure_from_us,
            produce: Mutex::new(Side::new()),
            consume: Mutex::new(Side::new()),
            timeline: Mutex::new(Vec::new()),
        }
    }

    /// A record sent at `sent_us` was acknowledged (or, with acks=0, written) at `now_us`.
    pub fn acknowledged(&self, sent_us: u64, now_us: u64, bytes: u64) {
        let latency = now_us.saturating_sub(sent_us).max(1);
        let mut s = lock(&self.produce);
        s.all.add(bytes, now_us);
        s.interval.saturating_record(latency);
        if sent_us >= self.measure_from_us {
            s.measured.add(bytes, now_us);
            s.total.saturating_record(latency);
        }
    }

    pub fn produce_failed(&self, error: String) {
        let mut s = lock(&self.produce);
        s.errors += 1;
        s.last_error = Some(error);
    }

    /// A record sent at `sent_us` was consumed at `now_us`.
    pub fn consumed(&self, sent_us: u64, now_us: u64, bytes: u64) {
        let latency = now_us.saturating_sub(sent_us).max(1);
        let mut s = lock(&self.consume);
        s.all.add(bytes, now_us);
        s.interval.saturating_record(latency);
        if sent_us >= self.measure_from_us {
            s.measured.add(bytes, now_us);
            s.total.saturating_record(latency);
        }
    }

    pub fn consume_failed(&self, error: String) {
        let mut s = lock(&self.consume);
        s.errors += 1;
        s.last_error = Some(error);
    }

    /// Records acknowledged so far, warm-up included.
    pub fn acknowledged_records(&self) -> u64 {
        lock(&self.produce).all.records
    }

    pub fn consumed_records(&self) -> u64 {
        lock(&self.consume).all.records
    }

    /// Closes the interval that began `seconds` ago and returns its point.
    pub fn tick(&self, seconds: f64) -> TimelinePoint {
        let now = self.clock.now_us();
        let t = (now as f64 - self.measure_from_us as f64) / 1e6;
        let seconds = seconds.max(1e-3);
        let (p_records, p_bytes, p50, p99) = {
            let mut s = lock(&self.produce);
            let d = (
                s.all.records - s.at_tick.records,
                s.all.bytes - s.at_tick.bytes,
            );
            s.at_tick = s.all;
            let q = quantiles(&s.interval);
            s.interval.reset();
            (d.0, d.1, q.0, q.1)
        };
        let (c_bytes, e50, e99) = {
            let mut s = lock(&self.consume);
            let d = s.all.bytes - s.at_tick.bytes;
            s.at_tick = s.all;
            let q = quantiles(&s.interval);
            s.interval.reset();
            (d, q.0, q.1)
        };
        let point = TimelinePoint {
            t,
            produce_records_per_sec: p_records as f64 / seconds,
            produce_mb_per_sec: p_bytes as f64 / 1e6 / seconds,
            produce_p50_ms: p50,
            produce_p99_ms: p99,
            consume_mb_per_sec: c_bytes as f64 / 1e6 / seconds,
            end_to_end_p50_ms: e50,
            end_to_end_p99_ms: e99,
        };
        lock(&self.timeline).push(point.clone());
        point
    }

    /// The p99 of measured produce and end-to-end latencies so far, for the progress line.
    pub fn p99_so_far(&self) -> (Option<f64>, Option<f64>) {
        let p = lock(&self.produce);
        let c = lock(&self.consume);
        let q = |h: &Histogram<u64>| (!h.is_empty()).then(|| ms(h.value_at_quantile(0.99)));
        (q(&p.total), q(&c.total))
    }

    pub fn produce_result(&self) -> SideResult {
        result(&lock(&self.produce))
    }

    pub fn consume_result(&self) -> SideResult {
        result(&lock(&self.consume))
    }

    pub fn timeline(&self) -> Vec<TimelinePoint> {
        lock(&self.timeline).clone()
    }
}

fn quantiles(h: &Histogram<u64>) -> (Option<f64>, Option<f64>) {
    if h.is_empty() {
        return (None, None);
    }
    (
        Some(ms(h.value_at_quantile(0.5))),
        Some(ms(h.value_at_quantile(0.99))),
    )
}

fn result(s: &Side) -> SideResult {
    SideResult {
        measured: s.measured,
        all: s.all,
        latency: s.total.clone(),
        errors: s.errors,
        last_error: s.last_error.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_records_sent_after_the_warm_up_are_measured() {
        let r = Recorder::new(Clock::new(), 1_000);
        r.acknowledged(500, 900, 10);
        r.acknowledged(1_000, 3_000, 10);
        r.consumed(500, 2_000, 10);
        r.consumed(1_000, 5_000, 10);
        let p = r.produce_result();
        let c = r.consume_result();
        assert_eq!((p.all.records, p.measured.records), (2, 1));
        assert_eq!((c.all.records, c.measured.records), (2, 1));
        let pl = Percentiles::of(&p.latency).unwrap();
        assert!((pl.p50 - 2.0).abs() < 0.01, "{pl:?}");
        let cl = Percentiles::of(&c.latency).unwrap();
        assert!((cl.max - 4.0).abs() < 0.01, "{cl:?}");
    }

    #[test]
    fn a_tick_reports_the_interval_and_starts_a_new_one() {
        let r = Recorder::new(Clock::new(), 0);
        for i in 0..100 {
            r.acknowledged(i, i + 2_000, 1_000);
        }
        let p = r.tick(1.0);
        assert_eq!(p.produce_records_per_sec, 100.0);
        assert!((p.produce_mb_per_sec - 0.1).abs() < 1e-9);
        assert_eq!(p.produce_p99_ms, Some(2.0));
        let q = r.tick(1.0);
        assert_eq!(q.produce_records_per_sec, 0.0);
        assert_eq!(q.produce_p99_ms, None);
        assert_eq!(r.timeline().len(), 2);
    }

    #[test]
    fn percentiles_are_ordered_and_the_distribution_ends_at_the_maximum() {
        let mut h = histogram();
        for v in 1..=10_000u64 {
            h.saturating_record(v * 10);
        }
        let p = Percentiles::of(&h).unwrap();
        assert!(p.p50 <= p.p95 && p.p95 <= p.p99 && p.p99 <= p.p999 && p.p999 <= p.max);
        let d = distribution(&h);
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        assert_eq!(d.last().map(|x| x.1), Some(p.max));
    }
}
