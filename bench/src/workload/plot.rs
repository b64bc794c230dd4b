//! Pictures of a run as SVG, drawn by hand (axes, ticks, polylines, a legend): latency over time, the latency
//! distribution by percentile (the tail stretched out, as HdrHistogram plots it), and throughput over time. With
//! two targets both appear in each picture: the first solid, the second dashed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::report::Report;

/// Width of the plot area; the legend to its right is as wide as its longest name.
const PLOT_W: f64 = 560.0;
const H: f64 = 460.0;
const LEFT: f64 = 70.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 55.0;

/// How the x axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XScale {
    Linear,
    /// Percentiles 0–100, placed at log10(100 / (100 - p)): 90, 99, 99.9 … equally apart.
    Percentile,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub color: &'static str,
    pub dashed: bool,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: XScale,
    pub series: Vec<Series>,
    /// A vertical marker line with its label (the end of the warm-up).
    pub marker: Option<(f64, String)>,
}

/// The largest percentile position drawn: 99.9999 %.
const MAX_NINES: f64 = 6.0;

fn x_value(scale: XScale, x: f64) -> f64 {
    match scale {
        XScale::Linear => x,
        XScale::Percentile => {
            let left = (100.0 - x).max(100.0 * 10f64.powf(-MAX_NINES));
            (100.0 / left).log10()
        }
    }
}

/// Tick positions from 0 to at least `max`: 1, 2 or 5 times a power of ten apart.
fn nice_ticks(min: f64, max: f64) -> Vec<f64> {
    let span = (max - min).max(1e-9);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let first = (min / step).floor() as i64;
    let last = (max / step - 1e-9).ceil() as i64;
    (first..=last.max(first + 1))
        .map(|k| k as f64 * step)
        .collect()
}

fn label(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        let s = format!("{v:.1}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

/// The percentile `k` nines out: 0%, 90%, 99%, 99.9%, 99.99% …
fn nines(k: usize) -> String {
    match k {
        0 => "0%".into(),
        1 => "90%".into(),
        _ => format!(
            "99{}{}%",
            if k > 2 { "." } else { "" },
            "9".repeat(k.saturating_sub(2))
        ),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Chart {
    pub fn render(&self) -> String {
        let pw = PLOT_W;
        let longest = self
            .series
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0);
        // About 7 px per character at 12 px, after a 58 px sample line.
        let right = (longest as f64 * 7.0 + 70.0).max(160.0);
        let width = LEFT + pw + right;
        let ph = H - TOP - BOTTOM;
        let pts = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, 0.0f64);
        for &(x, y) in pts {
            let x = x_value(self.x_scale, x);
            x0 = x0.min(x);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            (x0, x1) = (0.0, 1.0);
        }
        let xticks: Vec<f64> = match self.x_scale {
            XScale::Linear => nice_ticks(x0.min(0.0), x1),
            XScale::Percentile => {
                x0 = 0.0;
                x1 = (x1 - 1e-9).ceil().clamp(2.0, MAX_NINES);
                (0..=x1 as usize).map(|i| i as f64).collect()
            }
        };
        let (xa, xb) = (
            xticks.first().copied().unwrap_or(x0),
            xticks.last().copied().unwrap_or(x1),
        );
        let yticks = nice_ticks(0.0, if y1 > 0.0 { y1 } else { 1.0 });
        let yb = yticks.last().copied().unwrap_or(1.0);
        let sx = |x: f64| LEFT + (x - xa) / (xb - xa).max(1e-9) * pw;
        let sy = |y: f64| TOP + ph - y / yb.max(1e-9) * ph;

        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H}" viewBox="0 0 {width} {H}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="{width}" height="{H}" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="24" font-size="15" text-anchor="middle">{}</text>"#,
            LEFT + pw / 2.0,
            escape(&self.title)
        );
        // Grid and tick labels.
        for &t in &yticks {
            let y = sy(t);
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e4e4e4"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                LEFT + pw,
                LEFT - 6.0,
                y + 4.0,
                label(t)
            );
        }
        for &t in &xticks {
            let x = sx(t);
            let text = match self.x_scale {
                XScale::Linear => label(t),
                XScale::Percentile => nines(t.round() as usize),
            };
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#e4e4e4"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{text}</text>"##,
                TOP + ph,
                TOP + ph + 18.0
            );
        }
        let _ = writeln!(
            s,
            r#"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + pw / 2.0,
            H - 12.0,
            escape(&self.x_label)
        );
        let _ = writeln!(
            s,
            r#"<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">{}</text>"#,
            TOP + ph / 2.0,
            TOP + ph / 2.0,
            escape(&self.y_label)
        );
        if let Some((mx, text)) = &self.marker {
            let mx = x_value(self.x_scale, *mx);
            if (xa..=xb).contains(&mx) {
                let x = sx(mx);
                let _ = writeln!(
                    s,
                    r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#888" stroke-dasharray="2 3"/><text x="{:.1}" y="{:.1}" fill="#666">{}</text>"##,
                    TOP + ph,
                    x + 4.0,
                    TOP + 14.0,
                    escape(text)
                );
            }
        }
        // Lines and the legend.
        for (i, series) in self.series.iter().enumerate() {
            let dash = if series.dashed {
                r#" stroke-dasharray="7 4""#
            } else {
                ""
            };
            let points: Vec<String> = series
                .points
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", sx(x_value(self.x_scale, x)), sy(y)))
                .collect();
            if !points.is_empty() {
                let _ = writeln!(
                    s,
                    r#"<polyline fill="none" stroke="{}" stroke-width="1.6"{dash} points="{}"/>"#,
                    series.color,
                    points.join(" ")
                );
            }
            let ly = TOP + 10.0 + i as f64 * 20.0;
            let lx = LEFT + pw + 16.0;
            let _ = writeln!(
                s,
                r#"<line x1="{lx}" y1="{ly}" x2="{:.1}" y2="{ly}" stroke="{}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}">{}</text>"#,
                lx + 26.0,
                series.color,
                lx + 32.0,
                ly + 4.0,
                escape(&series.name)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

const PRODUCE_P50: &str = "#7fb3e0";
const PRODUCE_P99: &str = "#1f5fa8";
const E2E_P50: &str = "#f2b47e";
const E2E_P99: &str = "#c0571b";
const CONSUME: &str = "#2e8b57";

/// The charts of a report.
pub fn charts(report: &Report) -> Vec<(&'static str, Chart)> {
    let many = report.runs.len() > 1;
    let name = |target: &str, what: &str| {
        if many {
            format!("{target}: {what}")
        } else {
            what.to_string()
        }
    };
    let warm = report.workload.warmup.as_secs_f64() > 0.0;
    let marker = warm.then(|| (0.0, "warm-up ends".to_string()));
    let mut over_time = Vec::new();
    let mut distribution = Vec::new();
    let mut throughput = Vec::new();
    for (i, r) in report.runs.iter().enumerate() {
        let dashed = i > 0;
        let line = |what: &str, color, f: fn(&super::stats::TimelinePoint) -> Option<f64>| Series {
            name: name(&r.target, what),
            points: r
                .timeline
                .iter()
                .filter_map(|p| f(p).map(|v| (p.t, v)))
                .collect(),
            color,
            dashed,
        };
        over_time.push(line("produce p50", PRODUCE_P50, |p| p.produce_p50_ms));
        over_time.push(line("produce p99", PRODUCE_P99, |p| p.produce_p99_ms));
        over_time.push(line("end-to-end p50", E2E_P50, |p| p.end_to_end_p50_ms));
        over_time.push(line("end-to-end p99", E2E_P99, |p| p.end_to_end_p99_ms));
        throughput.push(line("produced", PRODUCE_P99, |p| {
            Some(p.produce_mb_per_sec)
        }));
        throughput.push(line("consumed", CONSUME, |p| Some(p.consume_mb_per_sec)));
        distribution.push(Series {
            name: name(&r.target, "produce"),
            points: r.produce_distribution.clone(),
            color: PRODUCE_P99,
            dashed,
        });
        distribution.push(Series {
            name: name(&r.target, "end-to-end"),
            points: r.end_to_end_distribution.clone(),
            color: E2E_P99,
            dashed,
        });
    }
    vec![
        (
            "latency-over-time.svg",
            Chart {
                title: "Latency per second".into(),
                x_label: "seconds since the end of the warm-up".into(),
                y_label: "latency (ms)".into(),
                x_scale: XScale::Linear,
                series: over_time,
                marker: marker.clone(),
            },
        ),
        (
            "latency-distribution.svg",
            Chart {
                title: "Latency by percentile (measured records)".into(),
                x_label: "percentile".into(),
                y_label: "latency (ms)".into(),
                x_scale: XScale::Percentile,
                series: distribution,
                marker: None,
            },
        ),
        (
            "throughput-over-time.svg",
            Chart {
                title: "Throughput per second".into(),
                x_label: "seconds since the end of the warm-up".into(),
                y_label: "MB/s".into(),
                x_scale: XScale::Linear,
                series: throughput,
                marker,
            },
        ),
    ]
}

/// Writes every chart of `report` into `dir` (created if missing); returns the files.
pub fn write(report: &Report, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = Vec::new();
    for (file, chart) in charts(report) {
        let path = dir.join(file);
        std::fs::write(&path, chart.render())
            .with_context(|| format!("writing {}", path.display()))?;
        files.push(path);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_cover_the_range_in_round_steps() {
        assert_eq!(nice_ticks(0.0, 9.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(0.0, 0.3).len(), 7);
        let t = nice_ticks(-5.0, 30.0);
        assert!(t[0] <= -5.0 && *t.last().unwrap_or(&0.0) >= 30.0);
    }

    #[test]
    fn percentile_ticks_count_nines() {
        let labels: Vec<String> = (0..5).map(nines).collect();
        assert_eq!(labels, ["0%", "90%", "99%", "99.9%", "99.99%"]);
    }

    #[test]
    fn percentiles_spread_the_tail() {
        assert!((x_value(XScale::Percentile, 90.0) - 1.0).abs() < 1e-9);
        assert!((x_value(XScale::Percentile, 99.9) - 3.0).abs() < 1e-9);
        assert_eq!(x_value(XScale::Percentile, 100.0), MAX_NINES);
    }

    #[test]
    fn a_chart_is_one_svg_with_a_line_per_series_and_escaped_text() {
        let chart = Chart {
            title: "a <b> & c".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_scale: XScale::Linear,
            series: vec![
                Series {
                    name: "one".into(),
                    points: vec![(0.0, 1.0), (1.0, 2.0)],
                    color: "red",
                    dashed: false,
                },
                Series {
                    name: "two".into(),
                    points: vec![],
                    color: "blue",
                    dashed: true,
                },
            ],
            marker: Some((0.5, "mark".into())),
        };
        let svg = chart.render();
        assert!(svg.starts_with("<svg "));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("a &lt;b&gt; &amp; c"));
        assert!(svg.contains(">mark<"));
    }
}
