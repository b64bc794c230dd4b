//! The results of a run: one [`RunResult`] per target, the same facts as a table for people and as JSON for
//! programs, and with two targets the ratio of each metric (second over first).

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::Workload;
use super::broker::BrokerUsage;
use super::stats::{Count, Percentiles, TimelinePoint};

/// Records and bytes over the measured window (from the end of the warm-up to the last record).
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub records: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub records_per_sec: f64,
    /// Megabytes (10^6 bytes) of record values per second.
    pub mb_per_sec: f64,
    pub errors: u64,
}

impl Throughput {
    pub fn of(c: &Count, from_us: u64, errors: u64) -> Self {
        let seconds = c.last_us.saturating_sub(from_us) as f64 / 1e6;
        let per = |x: f64| if seconds > 0.0 { x / seconds } else { 0.0 };
        Self {
            records: c.records,
            bytes: c.bytes,
            seconds,
            records_per_sec: per(c.records as f64),
            mb_per_sec: per(c.bytes as f64 / 1e6),
            errors,
        }
    }
}

/// Reading a topic from its start.
#[derive(Debug, Clone, Serialize)]
pub struct CatchUp {
    pub records: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub mb_per_sec: f64,
    /// How fast the topic was filled (unthrottled).
    pub write_mb_per_sec: f64,
    /// The broker was restarted between writing and reading, so nothing was in its caches.
    pub from_objects: bool,
}

/// One target's results.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub target: String,
    pub bootstrap: String,
    /// How the bench started the broker, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker: Option<String>,
    pub topic: String,
    pub partitions: i32,
    pub produce: Throughput,
    pub produce_latency_ms: Option<Percentiles>,
    pub end_to_end_latency_ms: Option<Percentiles>,
    pub consume: Throughput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catch_up: Option<CatchUp>,
    /// The broker process's memory and CPU over the measured window, when it runs on this machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_usage: Option<BrokerUsage>,
    pub warnings: Vec<String>,
    pub timeline: Vec<TimelinePoint>,
    #[serde(skip)]
    pub produce_distribution: Vec<(f64, f64)>,
    #[serde(skip)]
    pub end_to_end_distribution: Vec<(f64, f64)>,
}

/// One metric of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub metric: String,
    pub unit: &'static str,
    pub first: Option<f64>,
    pub second: Option<f64>,
    /// second / first
    pub ratio: Option<f64>,
}

/// Everything a run printed.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub workload: Workload,
    pub runs: Vec<RunResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Vec<Ratio>>,
}

/// A metric of the table: its label, unit and how to read it from a run.
struct Metric {
    label: &'static str,
    unit: &'static str,
    get: fn(&RunResult) -> Option<f64>,
    /// Shown with no decimals.
    whole: bool,
}

fn lat(p: &Option<Percentiles>, f: fn(&Percentiles) -> f64) -> Option<f64> {
    p.as_ref().map(f)
}

#[rustfmt::skip]
const METRICS: &[Metric] = &[
    Metric { label: "records produced", unit: "", get: |r| Some(r.produce.records as f64), whole: true },
    Metric { label: "produce rate", unit: "records/s", get: |r| Some(r.produce.records_per_sec), whole: true },
    Metric { label: "produce throughput", unit: "MB/s", get: |r| Some(r.produce.mb_per_sec), whole: false },
    Metric { label: "produce latency p50", unit: "ms", get: |r| lat(&r.produce_latency_ms, |p| p.p50), whole: false },
    Metric { label: "produce latency p95", unit: "ms", get: |r| lat(&r.produce_latency_ms, |p| p.p95), whole: false },
    Metric { label: "produce latency p99", unit: "ms", get: |r| lat(&r.produce_latency_ms, |p| p.p99), whole: false },
    Metric { label: "produce latency p99.9", unit: "ms", get: |r| lat(&r.produce_latency_ms, |p| p.p999), whole: false },
    Metric { label: "produce latency max", unit: "ms", get: |r| lat(&r.produce_latency_ms, |p| p.max), whole: false },
    Metric { label: "records consumed", unit: "", get: |r| Some(r.consume.records as f64), whole: true },
    Metric { label: "consume throughput", unit: "MB/s", get: |r| Some(r.consume.mb_per_sec), whole: false },
    Metric { label: "end-to-end latency p50", unit: "ms", get: |r| lat(&r.end_to_end_latency_ms, |p| p.p50), whole: false },
    Metric { label: "end-to-end latency p95", unit: "ms", get: |r| lat(&r.end_to_end_latency_ms, |p| p.p95), whole: false },
    Metric { label: "end-to-end latency p99", unit: "ms", get: |r| lat(&r.end_to_end_latency_ms, |p| p.p99), whole: false },
    Metric { label: "end-to-end latency p99.9", unit: "ms", get: |r| lat(&r.end_to_end_latency_ms, |p| p.p999), whole: false },
    Metric { label: "end-to-end latency max", unit: "ms", get: |r| lat(&r.end_to_end_latency_ms, |p| p.max), whole: false },
    Metric { label: "catch-up read", unit: "MB/s", get: |r| r.catch_up.as_ref().map(|c| c.mb_per_sec), whole: false },
    Metric { label: "broker RSS (max)", unit: "MB", get: |r| r.broker_usage.map(|u| u.rss_max_bytes as f64 / 1e6), whole: true },
    Metric { label: "broker CPU", unit: "cores", get: |r| r.broker_usage.and_then(|u| u.cpu_cores), whole: false },
];

fn fmt(v: Option<f64>, whole: bool) -> String {
    match v {
        None => "–".to_string(),
        Some(v) if whole => group_thousands(v.round() as u64),
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Report {
    pub fn new(workload: Workload, runs: Vec<RunResult>) -> Self {
        let comparison = (runs.len() == 2).then(|| {
            METRICS
                .iter()
                .map(|m| {
                    let (a, b) = ((m.get)(&runs[0]), (m.get)(&runs[1]));
                    Ratio {
                        metric: m.label.to_string(),
                        unit: m.unit,
                        first: a,
                        second: b,
                        ratio: match (a, b) {
                            (Some(a), Some(b)) if a > 0.0 => Some(b / a),
                            _ => None,
                        },
                    }
                })
                .collect()
        });
        Self {
            workload,
            runs,
            comparison,
        }
    }

    /// The report as a table: a row per metric, a column per target, and the ratio when there are two.
    pub fn table(&self) -> String {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        let mut header = vec!["metric".to_string(), "unit".to_string()];
        header.extend(self.runs.iter().map(|r| r.target.clone()));
        if self.comparison.is_some() {
            header.push(format!("{} / {}", self.runs[1].target, self.runs[0].target));
        }
        t.set_header(header);
        for (i, m) in METRICS.iter().enumerate() {
            let values: Vec<Option<f64>> = self.runs.iter().map(|r| (m.get)(r)).collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            let mut row = vec![m.label.to_string(), m.unit.to_string()];
            row.extend(values.iter().map(|v| fmt(*v, m.whole)));
            if let Some(c) = &self.comparison {
                row.push(c[i].ratio.map_or("–".to_string(), |r| format!("{r:.2}×")));
            }
            t.add_row(row);
        }
        for col in 2..t.column_count() {
            if let Some(c) = t.column_mut(col) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        let mut out = String::new();
        for r in &self.runs {
            match &r.broker {
                Some(b) => out.push_str(&format!("{}: {b}, at {}\n", r.target, r.bootstrap)),
                None => out.push_str(&format!("{}: {}\n", r.target, r.bootstrap)),
            }
        }
        out.push_str(&t.to_string());
        out.push('\n');
        for r in &self.runs {
            for w in &r.warnings {
                out.push_str(&format!("warning: {}: {w}\n", r.target));
            }
            if let Some(c) = &r.catch_up
                && !c.from_objects
            {
                out.push_str(&format!(
                    "note: {}: the catch-up read may have been served from the broker's caches (only a broker \
                     the bench starts is restarted before it)\n",
                    r.target
                ));
            }
        }
        out
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(12_345_678), "12,345,678");
    }

    #[test]
    fn numbers_keep_three_significant_digits_or_so() {
        assert_eq!(fmt(Some(1234.6), false), "1235");
        assert_eq!(fmt(Some(12.345), false), "12.3");
        assert_eq!(fmt(Some(1.2345), false), "1.23");
        assert_eq!(fmt(None, false), "–");
    }
}
