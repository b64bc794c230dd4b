//! What a run of the suite found: each case's outcome, and what the store was seen to do next to what its
//! backend declares.

use std::fmt;
use std::time::Duration;

use automq_backend::Capabilities;

use crate::{KnownDeviation, SuiteOptions};

/// What the suite saw of one capability.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Seen {
    /// The case that looks at it did not get that far.
    #[default]
    NotChecked,
    /// Behaves as the capability promises.
    Works,
    /// Cleanly refused as unsupported (for example `NotImplemented`), nothing written.
    Refused(String),
    /// Answers, but not as the capability promises; says how.
    Broken(String),
}

impl Seen {
    fn short(&self) -> String {
        match self {
            Seen::NotChecked => "not checked".into(),
            Seen::Works => "works".into(),
            Seen::Refused(why) => format!("refused ({why})"),
            Seen::Broken(how) => one_line(how, 200),
        }
    }
}

/// The first line of `s`, without `|` (it would split a table cell), cut at `max` characters.
fn one_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or_default().replace('|', "/");
    match line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

/// Rounds of a race and how many of them exactly one writer won.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub rounds: u32,
    pub exactly_one: u32,
    /// The most writers that were told they won one round.
    pub max_winners: u32,
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.exactly_one, self.rounds)?;
        if self.max_winners > 1 {
            write!(f, " (up to {} winners)", self.max_winners)?;
        }
        Ok(())
    }
}

/// What the store was seen to do, whatever its backend declares.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub create_if_absent: Seen,
    /// Racing `PutMode::Create` writers, when the store accepts `PutMode::Create` at all.
    pub create_race: Option<Tally>,
    pub conditional_update: Seen,
    /// Racing `PutMode::Update` writers from one version, when the store accepts `PutMode::Update` at all.
    pub update_race: Option<Tally>,
    pub multipart: Seen,
    pub ranged_reads: Seen,
    pub list_after_write: Seen,
    /// Copy onto an existing key with `CopyMode::Create`.
    pub copy_if_not_exists: Seen,
    pub rename: Seen,
    /// What deleting a missing key returned: `ok` or `NotFound`, both allowed by `object_store`.
    pub delete_missing: Option<String>,
    /// The error a read starting past the end of an object gave.
    pub past_end_error: Option<String>,
    /// Anything else worth knowing (leftover objects, ordering, visibility after delete).
    pub notes: Vec<String>,
}

/// One case's outcome.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub name: &'static str,
    /// `Err` says what went wrong, naming the key and the operation.
    pub outcome: Result<(), String>,
    pub took: Duration,
    /// Why this server is known to fail this case, when it is.
    pub known: Option<String>,
}

impl CaseReport {
    /// Passed when expected to pass, or failed when known to fail.
    pub fn as_expected(&self) -> bool {
        self.outcome.is_ok() == self.known.is_none()
    }
}

/// The result of running the suite against one backend.
#[derive(Debug, Clone)]
pub struct Report {
    pub label: String,
    pub uri: String,
    pub server_version: Option<String>,
    pub declared: Capabilities,
    pub observed: Observed,
    pub cases: Vec<CaseReport>,
    /// The cases this server was expected to fail.
    pub known_deviations: Vec<KnownDeviation>,
    /// Wall time of the whole run.
    pub wall: Duration,
}

impl Report {
    pub(crate) fn new(opts: &SuiteOptions, uri: String, declared: Capabilities) -> Self {
        Self {
            label: opts.label.clone(),
            uri,
            server_version: opts.server_version.clone(),
            declared,
            observed: Observed::default(),
            cases: Vec::new(),
            known_deviations: opts.known_deviations.clone(),
            wall: Duration::ZERO,
        }
    }

    pub(crate) fn push(&mut self, name: &'static str, outcome: Result<(), String>, took: Duration) {
        let known = self
            .known_deviations
            .iter()
            .find(|d| d.case == name)
            .map(|d| d.reason.clone());
        self.cases.push(CaseReport {
            name,
            outcome,
            took,
            known,
        });
    }

    /// Known deviations naming a case that did not run.
    fn stray_deviations(&self) -> Vec<&KnownDeviation> {
        self.known_deviations
            .iter()
            .filter(|d| !self.cases.iter().any(|c| c.name == d.case))
            .collect()
    }

    /// Every case ran and passed, except the known deviations, which ran and failed.
    pub fn passed(&self) -> bool {
        !self.cases.is_empty()
            && self.cases.iter().all(CaseReport::as_expected)
            && self.stray_deviations().is_empty()
    }

    /// The cases that did not go as expected: failed, or passed though listed as a known deviation.
    pub fn failures(&self) -> Vec<&CaseReport> {
        self.cases.iter().filter(|c| !c.as_expected()).collect()
    }

    /// The outcome of the named case, if it ran.
    pub fn case(&self, name: &str) -> Option<&CaseReport> {
        self.cases.iter().find(|c| c.name == name)
    }

    /// A markdown table with one row per report: declared and observed capabilities side by side.
    pub fn matrix(reports: &[Report]) -> String {
        let mut s = String::from(
            "| backend | server version | create-if-absent | conditional update | multipart | ranged reads \
             | list-after-write | race rounds won by exactly one | suite time | cases passed | known deviations |\n\
             |---|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for r in reports {
            s.push_str(&r.matrix_row());
            s.push('\n');
        }
        s
    }

    /// This report's row of [`Report::matrix`].
    pub fn matrix_row(&self) -> String {
        let d = &self.declared;
        let o = &self.observed;
        let races = [("create", o.create_race), ("update", o.update_race)]
            .iter()
            .filter_map(|(what, t)| t.map(|t| format!("{what} {t}")))
            .collect::<Vec<_>>();
        let passed = self.cases.iter().filter(|c| c.outcome.is_ok()).count();
        let known: Vec<_> = self
            .known_deviations
            .iter()
            .map(|d| d.case.as_str())
            .collect();
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} s | {}/{} | {} |",
            self.label,
            self.server_version.as_deref().unwrap_or("n/a"),
            cell(d.create_if_absent, &o.create_if_absent),
            cell(d.conditional_update, &o.conditional_update),
            cell(d.multipart, &o.multipart),
            cell(d.ranged_reads, &o.ranged_reads),
            cell(d.list_after_write, &o.list_after_write),
            if !races.is_empty() {
                races.join("; ")
            } else if matches!(o.create_if_absent, Seen::Refused(_)) {
                "n/a (creates refused)".to_string()
            } else {
                "n/a".to_string()
            },
            self.wall.as_secs_f64(),
            passed,
            self.cases.len(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            },
        )
    }
}

/// One capability's cell: short when declaration and observation agree, loud when they do not. Always one line
/// without `|`, so the table holds.
fn cell(declared: bool, seen: &Seen) -> String {
    let text = match (declared, seen) {
        (true, Seen::Works) => "yes".into(),
        (false, Seen::Refused(why)) => format!("no (refused: {why})"),
        (false, Seen::Works) => "no (declared); works when tried".into(),
        (false, other) => format!("no; {}", other.short()),
        (true, other) => format!("**declared yes; {}**", other.short()),
    };
    one_line(&text, 160)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.cases.iter().filter(|c| c.outcome.is_err()).count();
        writeln!(
            f,
            "conformance of {} ({}){}: {} of {} cases passed in {:.1} s",
            self.label,
            self.uri,
            self.server_version
                .as_deref()
                .map(|v| format!(", server {v}"))
                .unwrap_or_default(),
            self.cases.len() - failed,
            self.cases.len(),
            self.wall.as_secs_f64()
        )?;
        for c in &self.cases {
            let ms = c.took.as_millis();
            match (&c.outcome, &c.known) {
                (Ok(()), None) => writeln!(f, "  pass {} ({ms} ms)", c.name)?,
                (Err(e), None) => {
                    writeln!(f, "  FAIL {} on {} ({ms} ms): {e}", c.name, self.label)?
                }
                (Err(e), Some(why)) => writeln!(
                    f,
                    "  known deviation {} ({ms} ms): {e} [known: {why}]",
                    c.name
                )?,
                (Ok(()), Some(why)) => writeln!(
                    f,
                    "  UNEXPECTED PASS {} on {} ({ms} ms): listed as a known deviation ({why}) but passed; \
                     remove the entry",
                    c.name, self.label
                )?,
            }
        }
        for d in self.stray_deviations() {
            writeln!(
                f,
                "  UNKNOWN CASE `{}` among the known deviations ({}): no case of that name ran",
                d.case, d.reason
            )?;
        }
        let o = &self.observed;
        writeln!(f, "  declared: {:?}", self.declared)?;
        writeln!(
            f,
            "  observed: create-if-absent {}, conditional update {}, multipart {}, ranged reads {}, \
             list-after-write {}, copy-if-not-exists {}, rename {}",
            o.create_if_absent.short(),
            o.conditional_update.short(),
            o.multipart.short(),
            o.ranged_reads.short(),
            o.list_after_write.short(),
            o.copy_if_not_exists.short(),
            o.rename.short(),
        )?;
        if let Some(t) = o.create_race {
            writeln!(f, "  create race: {t} rounds won by exactly one")?;
        }
        if let Some(t) = o.update_race {
            writeln!(f, "  update race: {t} rounds won by exactly one")?;
        }
        if let Some(d) = &o.delete_missing {
            writeln!(f, "  delete of a missing key: {d}")?;
        }
        if let Some(e) = &o.past_end_error {
            writeln!(f, "  read past the end: {e}")?;
        }
        for n in &o.notes {
            writeln!(f, "  note: {n}")?;
        }
        Ok(())
    }
}
