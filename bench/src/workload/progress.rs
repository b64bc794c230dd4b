//! Live progress on stderr: a bar with the rate, MB/s and p99 so far on a terminal; a plain line every few
//! seconds otherwise (logs, CI), so a long run is never silent.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::stats::TimelinePoint;

/// How far a phase has to go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    Seconds(f64),
    Records(u64),
    None,
}

#[derive(Debug)]
enum Mode {
    Bar(Option<ProgressBar>),
    Lines { every: Duration, last: Instant },
    Silent,
}

/// Where progress goes.
#[derive(Debug)]
pub struct Progress {
    mode: Mode,
    label: String,
    goal: Goal,
    started: Instant,
}

impl Progress {
    /// A bar when stderr is a terminal, plain lines every `every` otherwise.
    pub fn new(terminal: bool, every: Duration) -> Self {
        let mode = if terminal {
            Mode::Bar(None)
        } else {
            Mode::Lines {
                every,
                last: Instant::now(),
            }
        };
        Self {
            mode,
            label: String::new(),
            goal: Goal::None,
            started: Instant::now(),
        }
    }

    pub fn silent() -> Self {
        Self {
            mode: Mode::Silent,
            label: String::new(),
            goal: Goal::None,
            started: Instant::now(),
        }
    }

    pub fn phase(&mut self, target: &str, phase: &str, goal: Goal) {
        self.finish();
        self.label = format!("{target}: {phase}");
        self.goal = goal;
        self.started = Instant::now();
        match &mut self.mode {
            Mode::Bar(bar) => {
                let (len, template) = match goal {
                    Goal::Seconds(s) => {
                        ((s * 10.0) as u64, "{prefix} [{bar:24}] {elapsed:>4} {msg}")
                    }
                    Goal::Records(n) => (n, "{prefix} [{bar:24}] {human_pos}/{human_len} {msg}"),
                    Goal::None => (0, "{prefix} {spinner} {elapsed:>4} {msg}"),
                };
                let b = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template(template) {
                    b.set_style(style.progress_chars("=> "));
                }
                b.set_prefix(self.label.clone());
                *bar = Some(b);
            }
            Mode::Lines { last, .. } => {
                *last = Instant::now();
                eprintln!("{}", self.label);
            }
            Mode::Silent => {}
        }
    }

    /// A second has passed: `point` is its interval; `done` counts records towards a record goal.
    pub fn update(
        &mut self,
        point: &TimelinePoint,
        produce_p99: Option<f64>,
        e2e_p99: Option<f64>,
        done: u64,
    ) {
        let mut line = format!(
            "{:>9.0} rec/s {:>7.1} MB/s",
            point.produce_records_per_sec, point.produce_mb_per_sec
        );
        if let Some(p) = produce_p99 {
            line.push_str(&format!("  p99 {p:.1} ms"));
        }
        if point.consume_mb_per_sec > 0.0 || e2e_p99.is_some() {
            line.push_str(&format!("  consumed {:.1} MB/s", point.consume_mb_per_sec));
        }
        if let Some(p) = e2e_p99 {
            line.push_str(&format!("  e2e p99 {p:.1} ms"));
        }
        let elapsed = self.started.elapsed();
        match &mut self.mode {
            Mode::Bar(Some(b)) => {
                match self.goal {
                    Goal::Seconds(s) => {
                        b.set_position((elapsed.as_secs_f64().min(s) * 10.0) as u64)
                    }
                    Goal::Records(n) => b.set_position(done.min(n)),
                    Goal::None => b.tick(),
                }
                b.set_message(line);
            }
            Mode::Lines { every, last } if last.elapsed() >= *every => {
                *last = Instant::now();
                eprintln!("{} {:>6.1}s {line}", self.label, elapsed.as_secs_f64());
            }
            _ => {}
        }
    }

    /// A message of its own, above the bar when there is one.
    pub fn note(&self, msg: &str) {
        match &self.mode {
            Mode::Bar(Some(b)) => b.println(msg),
            Mode::Silent => {}
            _ => eprintln!("{msg}"),
        }
    }

    pub fn finish(&mut self) {
        if let Mode::Bar(bar) = &mut self.mode
            && let Some(b) = bar.take()
        {
            b.finish_and_clear();
        }
    }
}
