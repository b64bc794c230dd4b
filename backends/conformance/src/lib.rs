//! One storage conformance suite, written once and run against every backend.
//!
//! The stream engine is written against `object_store::ObjectStore` and trusts what a backend declares in its
//! [`Capabilities`]. This crate checks both halves of that bargain against a live store: the plain object
//! operations every backend must get right (put, get, head, ranged reads, listing with prefixes, delimiters and
//! pagination, delete, copy, rename, multipart uploads), and each declared capability (atomic create-if-absent
//! under racing writers, compare-and-swap updates, list-after-write). A capability declared absent must be refused
//! cleanly, never emulated by silently overwriting; the suite asserts only what is declared and records what it
//! saw otherwise, so the [capability matrix](Report::matrix) shows where a server and its profile disagree.
//!
//! The hermetic tests run it against memory and a local directory; the peer tests run it against every real
//! server the test harness starts (Ceph RGW, MinIO, moto, s3rver, HDFS).
//!
//! ```no_run
//! # async fn example() {
//! use automq_backend_conformance::{Report, SuiteOptions, run};
//!
//! let backend = automq_backend::MemoryBackend::default();
//! let report = run(&backend, &SuiteOptions::new("memory")).await;
//! assert!(report.passed(), "{report}");
//! println!("{}", Report::matrix(&[report]));
//! # }
//! ```

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use automq_backend::{Backend, Capabilities};
use object_store::ObjectStore;
use object_store::path::Path;

mod cases;
mod report;
mod support;

pub use report::{CaseReport, Observed, Report, Seen, Tally};

/// How hard the suite pushes, and how its report is labelled.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// The backend's name in the report and matrix (`minio`, `local directory`, …).
    pub label: String,
    /// The server's version, when known, for the matrix.
    pub server_version: Option<String>,
    /// Rounds of each race (create-if-absent, conditional update).
    pub race_rounds: u32,
    /// Writers racing for one key in each round.
    pub race_writers: u32,
    /// Keys written for the pagination case; S3 lists 1,000 keys a page, so more than that crosses a page.
    pub list_keys: usize,
    /// Sizes of the objects written through multipart uploads.
    pub multipart_sizes: Vec<usize>,
    /// Size of every multipart part but the last (S3 requires at least 5 MiB).
    pub part_size: usize,
    /// A case still running after this long is failed, so a hung store cannot hang the suite.
    pub case_timeout: Duration,
    /// Cases this server is known to fail, with the reason. Such a case must still fail: one that passes is
    /// reported, so the entry is removed once the server is fixed.
    pub known_deviations: Vec<KnownDeviation>,
}

/// A case one server is known to fail, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDeviation {
    pub case: String,
    pub reason: String,
}

const MIB: usize = 1024 * 1024;

impl SuiteOptions {
    /// The defaults: 20 rounds of 16 racing writers, 1,100 keys to list, 8 MiB and 24 MiB multipart objects in
    /// 5 MiB parts.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            server_version: None,
            race_rounds: 20,
            race_writers: 16,
            list_keys: 1_100,
            multipart_sizes: vec![8 * MIB, 24 * MIB],
            part_size: 5 * MIB,
            case_timeout: Duration::from_secs(300),
            known_deviations: Vec::new(),
        }
    }

    pub fn with_server_version(mut self, version: impl Into<String>) -> Self {
        self.server_version = Some(version.into());
        self
    }

    /// Declares that this server fails `case`, for `reason`.
    pub fn with_known_deviation(
        mut self,
        case: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        self.known_deviations.push(KnownDeviation {
            case: case.into(),
            reason: reason.into(),
        });
        self
    }
}

/// What every case gets: the store, what the backend declares, a key prefix of its own, and the shared record
/// of observed behaviour.
pub(crate) struct Cx {
    pub store: Arc<dyn ObjectStore>,
    pub declared: Capabilities,
    pub opts: SuiteOptions,
    /// The root of this run: every key the suite writes is under it.
    pub root: Path,
    /// The current case's own folder under `root`.
    pub base: Path,
    observed: Arc<Mutex<Observed>>,
}

impl Cx {
    /// A key under the current case's folder.
    pub fn key(&self, name: &str) -> Path {
        name.split('/')
            .fold(self.base.clone(), |p, part| p.join(part))
    }

    pub fn observed(&self) -> MutexGuard<'_, Observed> {
        self.observed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs every case against `backend` under a fresh key prefix and reports each case's outcome and what the store
/// was seen to do. Provisioning or building the store failing is reported as a failed first case; the remaining
/// cases then do not run. A case named in [`SuiteOptions::known_deviations`] is expected to fail.
pub async fn run(backend: &dyn Backend, opts: &SuiteOptions) -> Report {
    let started = Instant::now();
    let mut report = Report::new(opts, backend.display_uri(), backend.capabilities());

    let setup = Instant::now();
    let store = match cases::setup::provision_and_probe(backend).await {
        Ok(store) => {
            report.push("provision_and_probe", Ok(()), setup.elapsed());
            store
        }
        Err(message) => {
            report.push("provision_and_probe", Err(message), setup.elapsed());
            report.wall = started.elapsed();
            return report;
        }
    };

    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let root = Path::from(format!("conformance/{}", &run_id[..16]));
    let observed = Arc::new(Mutex::new(Observed::default()));
    let cx = |case: &str| Cx {
        store: store.clone(),
        declared: backend.capabilities(),
        opts: opts.clone(),
        root: root.clone(),
        base: root.clone().join(case),
        observed: observed.clone(),
    };

    macro_rules! case {
        ($module:ident :: $name:ident) => {{
            let c = cx(stringify!($name));
            let outcome = timed(&c.opts, cases::$module::$name(&c)).await;
            report.push(stringify!($name), outcome.0, outcome.1);
        }};
    }

    case!(basic::put_get_head);
    case!(basic::get_missing_is_not_found);
    case!(basic::ranged_get);
    case!(basic::ranged_get_suffix_and_offset);
    case!(basic::delete);
    case!(basic::copy);
    case!(basic::rename);
    case!(list::list_with_prefix);
    case!(list::list_with_delimiter);
    case!(list::list_pagination);
    case!(list::list_after_write);
    case!(multipart::multipart_upload);
    case!(multipart::multipart_abort);
    case!(conditional::create_if_absent);
    case!(conditional::create_if_absent_race);
    case!(conditional::lost_creates_leave_nothing_listed);
    case!(conditional::conditional_update);
    case!(conditional::conditional_update_race);
    case!(list::cleanup);

    report.observed = observed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    report.wall = started.elapsed();
    report
}

async fn timed(
    opts: &SuiteOptions,
    case: impl Future<Output = Result<(), String>>,
) -> (Result<(), String>, Duration) {
    let t = Instant::now();
    let outcome = match tokio::time::timeout(opts.case_timeout, case).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!(
            "no result within {:?}; the store hangs",
            opts.case_timeout
        )),
    };
    (outcome, t.elapsed())
}
