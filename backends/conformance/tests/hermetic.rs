//! The conformance suite against the backends that need no server: process memory and a local directory. Also
//! proof that the suite can fail: backends that declare more than their store does are caught.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt;
use std::sync::Arc;

use automq_backend::{Backend, BackendError, Capabilities, LocalBackend, MemoryBackend};
use automq_backend_conformance::{Report, Seen, SuiteOptions, run};
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory() {
    let report = run(&MemoryBackend::default(), &SuiteOptions::new("memory")).await;
    println!(
        "{report}\n{}",
        Report::matrix(std::slice::from_ref(&report))
    );
    assert!(report.passed(), "{report}");
    let o = &report.observed;
    assert_eq!(o.create_if_absent, Seen::Works);
    assert_eq!(o.conditional_update, Seen::Works);
    let race = o.create_race.unwrap();
    assert_eq!((race.rounds, race.exactly_one), (20, 20), "{report}");
    let race = o.update_race.unwrap();
    assert_eq!((race.rounds, race.exactly_one), (20, 20), "{report}");
    assert_eq!(o.multipart, Seen::Works);
    assert_eq!(o.list_after_write, Seen::Works);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_directory() {
    let dir = tempfile::tempdir().unwrap();
    // A folder that does not exist yet: provisioning creates it.
    let backend = LocalBackend::new(dir.path().join("store"));
    let report = run(&backend, &SuiteOptions::new("local directory")).await;
    println!(
        "{report}\n{}",
        Report::matrix(std::slice::from_ref(&report))
    );
    assert!(report.passed(), "{report}");
    let o = &report.observed;
    assert_eq!(o.create_if_absent, Seen::Works);
    let race = o.create_race.unwrap();
    assert_eq!((race.rounds, race.exactly_one), (20, 20), "{report}");
    assert!(
        matches!(o.conditional_update, Seen::Refused(_)),
        "a local directory has no compare-and-swap: {report}"
    );
    assert!(o.update_race.is_none());
}

/// Small settings for the cases that only need to show a failure.
fn quick(label: &str) -> SuiteOptions {
    let mut opts = SuiteOptions::new(label);
    opts.race_rounds = 3;
    opts.list_keys = 30;
    opts.multipart_sizes = vec![6 * 1024 * 1024];
    opts
}

/// A backend that declares what it is told to, over another backend's store (or a given one).
#[derive(Debug)]
struct Declaring {
    inner: Box<dyn Backend>,
    caps: Capabilities,
    store: Option<Arc<dyn ObjectStore>>,
}

#[async_trait::async_trait]
impl Backend for Declaring {
    fn display_uri(&self) -> String {
        self.inner.display_uri()
    }
    fn capabilities(&self) -> Capabilities {
        self.caps
    }
    fn object_store(&self) -> Result<Arc<dyn ObjectStore>, BackendError> {
        match &self.store {
            Some(s) => Ok(s.clone()),
            None => self.inner.object_store(),
        }
    }
    async fn probe(&self) -> Result<(), BackendError> {
        self.inner.probe().await
    }
    async fn provision(&self) -> Result<(), BackendError> {
        self.inner.provision().await
    }
}

fn failure<'a>(report: &'a Report, case: &str) -> &'a str {
    let c = report
        .case(case)
        .unwrap_or_else(|| panic!("case {case} did not run: {report}"));
    match &c.outcome {
        Err(e) => e,
        Ok(()) => panic!("case {case} passed but should have failed: {report}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_local_directory_claiming_compare_and_swap_fails() {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalBackend::new(dir.path());
    let backend = Declaring {
        caps: Capabilities {
            conditional_update: true,
            ..local.capabilities()
        },
        inner: Box::new(local),
        store: None,
    };
    let report = run(&backend, &quick("lying local")).await;
    let e = failure(&report, "conditional_update");
    assert!(e.contains("declared") && e.contains("refused"), "{e}");
    assert!(failure(&report, "conditional_update_race").contains("not run"));
    assert_eq!(report.failures().len(), 2, "{report}");
    let matrix = Report::matrix(&[report]);
    assert!(
        matrix.contains("**declared yes; refused (NotImplemented)**"),
        "{matrix}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_that_writes_when_create_is_declared_absent_fails() {
    let memory = MemoryBackend::default();
    let backend = Declaring {
        caps: Capabilities {
            create_if_absent: false,
            ..memory.capabilities()
        },
        inner: Box::new(memory),
        store: None,
    };
    let report = run(&backend, &quick("memory claiming no create")).await;
    assert!(
        failure(&report, "create_if_absent").contains("succeeded"),
        "{report}"
    );
    assert!(
        failure(&report, "create_if_absent_race").contains("creates succeeded"),
        "{report}"
    );
}

/// How a flawed store gets `PutMode::Create` wrong.
#[derive(Debug, Clone, Copy)]
enum Flaw {
    /// Treats it as a plain overwrite, as a server ignoring `If-None-Match` would.
    IgnoresCreate,
    /// Checks for the key, then writes: right one writer at a time, wrong under a race. The pause between the
    /// two steps stands for a slow server and makes the window wide.
    ChecksThenWrites,
}

#[derive(Debug)]
struct Flawed(Arc<dyn ObjectStore>, Flaw);

impl fmt::Display for Flawed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flawed({}, {:?})", self.0, self.1)
    }
}

#[async_trait::async_trait]
impl ObjectStore for Flawed {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        mut opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        if opts.mode == PutMode::Create {
            if let Flaw::ChecksThenWrites = self.1 {
                match self.0.head(location).await {
                    Ok(_) => {
                        return Err(object_store::Error::AlreadyExists {
                            path: location.to_string(),
                            source: "exists".into(),
                        });
                    }
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            opts.mode = PutMode::Overwrite;
        }
        self.0.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.0.put_multipart_opts(location, opts).await
    }
    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.0.get_opts(location, options).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.0.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.0.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.0.list_with_delimiter(prefix).await
    }
    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.0.copy_opts(from, to, options).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_ignoring_create_preconditions_loses_the_race() {
    let memory = MemoryBackend::default();
    let backend = Declaring {
        caps: memory.capabilities(),
        store: Some(Arc::new(Flawed(
            memory.object_store().unwrap(),
            Flaw::IgnoresCreate,
        ))),
        inner: Box::new(memory),
    };
    let report = run(&backend, &quick("memory ignoring If-None-Match")).await;
    assert!(
        failure(&report, "create_if_absent").contains("second create"),
        "{report}"
    );
    let e = failure(&report, "create_if_absent_race");
    assert!(e.contains("were told they won"), "{e}");
    let race = report.observed.create_race.unwrap();
    assert_eq!(race.exactly_one, 0, "{report}");
    assert_eq!(race.max_winners, 16, "{report}");
    let row = report.matrix_row();
    assert!(row.contains("create 0/3 (up to 16 winners)"), "{row}");
}

/// A create that is right for one writer but not atomic passes the sequential case and is caught by the race.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_check_then_write_create_is_caught_by_the_race() {
    let memory = MemoryBackend::default();
    let backend = Declaring {
        caps: memory.capabilities(),
        store: Some(Arc::new(Flawed(
            memory.object_store().unwrap(),
            Flaw::ChecksThenWrites,
        ))),
        inner: Box::new(memory),
    };
    let report = run(&backend, &quick("memory checking then writing")).await;
    assert!(
        report.case("create_if_absent").unwrap().outcome.is_ok(),
        "{report}"
    );
    let e = failure(&report, "create_if_absent_race");
    assert!(e.contains("were told they won"), "{e}");
    let race = report.observed.create_race.unwrap();
    assert!(race.exactly_one < race.rounds, "{report}");
    assert!(race.max_winners > 1, "{report}");
    assert_eq!(report.failures().len(), 1, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn known_deviations_must_still_fail() {
    let memory = MemoryBackend::default();
    let backend = Declaring {
        caps: memory.capabilities(),
        store: Some(Arc::new(Flawed(
            memory.object_store().unwrap(),
            Flaw::IgnoresCreate,
        ))),
        inner: Box::new(memory),
    };
    let opts = quick("memory ignoring If-None-Match, known")
        .with_known_deviation("create_if_absent", "ignores If-None-Match")
        .with_known_deviation("create_if_absent_race", "ignores If-None-Match");
    let report = run(&backend, &opts).await;
    assert!(report.passed(), "{report}");
    assert!(
        report
            .to_string()
            .contains("known deviation create_if_absent_race"),
        "{report}"
    );
    assert!(
        report
            .matrix_row()
            .ends_with("| create_if_absent, create_if_absent_race |"),
        "{}",
        report.matrix_row()
    );

    // A deviation that no longer happens, or names no case, fails the run.
    let opts = quick("memory").with_known_deviation("copy", "thought broken");
    let report = run(&MemoryBackend::default(), &opts).await;
    assert!(!report.passed(), "{report}");
    assert_eq!(report.failures()[0].name, "copy");
    assert!(
        report.to_string().contains("UNEXPECTED PASS copy"),
        "{report}"
    );
    let opts = quick("memory").with_known_deviation("no_such_case", "typo");
    let report = run(&MemoryBackend::default(), &opts).await;
    assert!(!report.passed(), "{report}");
    assert!(
        report.to_string().contains("UNKNOWN CASE `no_such_case`"),
        "{report}"
    );
}

/// The whole suite through seeded faults (throttling, transient errors, timeouts after the store applied the
/// request) with retries on top: nothing is lost, nothing is doubled, and races still have exactly one winner.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_through_faults_and_retries() {
    use automq_backend::wrappers::{FaultRule, FaultyStore, Op, RetryPolicy, RetryingStore};
    let inner: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let faulty = FaultyStore::new(inner, 0x5eed)
        .with_rule(
            Op::Put,
            FaultRule::default()
                .throttle_first(3)
                .transient(0.05)
                .timeout_after_apply(0.05),
        )
        .with_rule(Op::Get, FaultRule::default().transient(0.05))
        .with_rule(Op::Head, FaultRule::default().transient(0.05))
        .with_rule(Op::List, FaultRule::default().throttle_first(2))
        .with_rule(Op::Delete, FaultRule::default().timeout_after_apply(0.05));
    let faulty = Arc::new(faulty);
    let policy = RetryPolicy {
        max_attempts: 8,
        seed: Some(7),
        ..RetryPolicy::default()
    };
    let store: Arc<dyn ObjectStore> = Arc::new(RetryingStore::new(faulty.clone(), policy));
    let backend = Declaring {
        inner: Box::new(MemoryBackend::default()),
        caps: MemoryBackend::default().capabilities(),
        store: Some(store),
    };
    let report = run(&backend, &SuiteOptions::new("memory through faults")).await;
    println!("{report}\ninjected faults: {}", faulty.injected_total());
    assert!(
        faulty.injected_total() > 20,
        "the faults really fired: {}",
        faulty.injected_total()
    );
    assert!(report.passed(), "{report}");
    let race = report.observed.create_race.unwrap();
    assert_eq!((race.rounds, race.exactly_one), (20, 20), "{report}");
}
