//! Cross-cutting storage behaviour as [`ObjectStore`] wrappers.
//!
//! Every backend hands the engine an `Arc<dyn ObjectStore>`; what every backend needs on top of that (retrying
//! transient failures, counting what happens, injecting faults in tests) is written once here, as a wrapper that
//! implements the whole trait by delegating to the store it wraps. Because each wrapper is itself an
//! `ObjectStore`, they stack in any order, for example
//!
//! ```text
//! MetricsStore(RetryingStore(backend store))          counts what the engine asked for, once per call
//! RetryingStore(MetricsStore(backend store))          counts every attempt the store really served
//! RetryingStore(FaultyStore(InMemory))                a test of retries against scripted failures
//! ```
//!
//! This module also holds what the wrappers share: [`classify`], the one place that decides from an
//! `object_store::Error` whether retrying can help and whether the failed request may have been applied, and
//! [`error_kind`], the short label metrics use for an error.
//!
//! - [`RetryingStore`] (`retrying.rs`): bounded retries with backoff and jitter; conditional writes resolved by a
//!   put id and a read-back when an attempt's answer was lost.
//! - [`MetricsStore`] (`metrics.rs`): operations, bytes, errors and latency in a `prometheus_client` registry.
//! - [`FaultyStore`] (`faulty.rs`): deterministic, seeded fault injection (latency, throttling, transient and
//!   permanent errors, timeouts after the operation was applied).

use std::error::Error as StdError;
use std::fmt;

use object_store::Error;
use object_store::client::{HttpError, HttpErrorKind};

mod faulty;
mod metrics;
mod retrying;

pub use faulty::{Fault, FaultRule, FaultyStore, InjectedFault};
pub use metrics::{LatencySnapshot, MetricsStore, ObjectStoreMetrics};
pub use retrying::{
    OutcomeUnknown, PUT_ID_ATTRIBUTE, PutIdCheck, RetryPolicy, RetryStats, RetryingStore,
};

/// The operations of [`ObjectStore`](object_store::ObjectStore), as the wrappers name them in metrics and fault
/// rules. `ObjectStoreExt` conveniences map onto these: `get`, `get_range` are [`Op::Get`], `head` is
/// [`Op::Head`], `delete` is [`Op::Delete`], `copy_if_not_exists` is [`Op::Copy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Put,
    PutMultipart,
    Get,
    Head,
    GetRanges,
    Delete,
    List,
    ListWithDelimiter,
    Copy,
    Rename,
}

impl Op {
    pub const ALL: [Op; 10] = [
        Op::Put,
        Op::PutMultipart,
        Op::Get,
        Op::Head,
        Op::GetRanges,
        Op::Delete,
        Op::List,
        Op::ListWithDelimiter,
        Op::Copy,
        Op::Rename,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Put => "put",
            Op::PutMultipart => "put_multipart",
            Op::Get => "get",
            Op::Head => "head",
            Op::GetRanges => "get_ranges",
            Op::Delete => "delete",
            Op::List => "list",
            Op::ListWithDelimiter => "list_with_delimiter",
            Op::Copy => "copy",
            Op::Rename => "rename",
        }
    }

    /// The operation a `get_opts` call stands for.
    pub(crate) fn of_get(options: &object_store::GetOptions) -> Op {
        if options.head { Op::Head } else { Op::Get }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a failed request tells the caller about retrying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Retrying cannot help: the answer is about the request or the object (not found, already exists,
    /// precondition, not implemented, permission, credentials, a 4xx status, anything unrecognised).
    Permanent,
    /// The store turned the request away before acting on it: throttling (503 SlowDown, 429), a refused
    /// connection. Safe to retry any request, conditional writes included.
    Refused,
    /// The request may or may not have been applied: a timeout, a reset or closed connection, a 500, 502 or 504,
    /// a broken response. Safe to retry an idempotent request; a conditional write must find out what happened.
    Ambiguous,
}

impl Failure {
    pub fn is_retryable(self) -> bool {
        !matches!(self, Failure::Permanent)
    }
}

/// Decides whether retrying `err` can help, and whether the request may have been applied.
///
/// Typed variants (`NotFound`, `AlreadyExists`, `Precondition`, `NotModified`, `NotImplemented`,
/// `NotSupported`, `PermissionDenied`, `Unauthenticated`, …) are permanent. Transient failures reach us as
/// `Error::Generic` with a source chain, which is searched:
///
/// - an [`HttpError`] (the HTTP stores' transport error, public in object_store 0.14): `Connect` is refused,
///   `Request` (connection closed before a whole response), `Timeout`, `Interrupted` and `Decode` are ambiguous;
/// - a `std::io::Error` (local files, HDFS): timeouts and resets are ambiguous, refused connections refused;
/// - an HTTP status in the text of an error (object_store's own status error type is private, but its message
///   always reads `status code: NNN`): 429 and 503 are refused (S3 sends 503 SlowDown before acting), other 5xx
///   and 408 ambiguous, other statuses permanent; an S3 error body in a 200 answer (`SlowDown`,
///   `InternalError`) likewise.
pub fn classify(err: &Error) -> Failure {
    match err {
        Error::Generic { source, .. } => classify_chain(source.as_ref()),
        _ => Failure::Permanent,
    }
}

fn classify_chain(top: &(dyn StdError + 'static)) -> Failure {
    // Typed errors first, anywhere in the chain: outer messages embed inner ones, so text comes last.
    for e in chain(top) {
        if e.is::<OutcomeUnknown>() {
            return Failure::Ambiguous;
        }
        if let Some(h) = e.downcast_ref::<HttpError>() {
            match h.kind() {
                HttpErrorKind::Connect => return Failure::Refused,
                HttpErrorKind::Request
                | HttpErrorKind::Timeout
                | HttpErrorKind::Interrupted
                | HttpErrorKind::Decode => return Failure::Ambiguous,
                // Unknown: look further down for an io error or a status.
                _ => {}
            }
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(f) = classify_io(io.kind())
        {
            return f;
        }
    }
    for e in chain(top) {
        let text = e.to_string();
        if let Some(status) = status_in(&text) {
            return classify_status(status, &text);
        }
        if text.contains("SlowDown") {
            return Failure::Refused;
        }
        if text.contains("InternalError") {
            return Failure::Ambiguous;
        }
    }
    Failure::Permanent
}

fn classify_io(kind: std::io::ErrorKind) -> Option<Failure> {
    use std::io::ErrorKind::*;
    match kind {
        TimedOut | ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
        | Interrupted => Some(Failure::Ambiguous),
        ConnectionRefused | NotConnected | WouldBlock => Some(Failure::Refused),
        _ => None,
    }
}

fn classify_status(status: u16, text: &str) -> Failure {
    match status {
        429 | 503 => Failure::Refused,
        408 | 500..=599 => Failure::Ambiguous,
        200..=299 if text.contains("SlowDown") => Failure::Refused,
        200..=299 if text.contains("InternalError") => Failure::Ambiguous,
        _ => Failure::Permanent,
    }
}

/// The HTTP status named in an object_store error message (`… status code: 503 Service Unavailable: …`).
fn status_in(text: &str) -> Option<u16> {
    const MARK: &str = "status code: ";
    let at = text.find(MARK)? + MARK.len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (digits.len() == 3).then(|| digits.parse().ok()).flatten()
}

fn chain<'a>(
    top: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(top), |&e| e.source())
}

/// A short, stable label for an error, for metrics: `not_found`, `already_exists`, `precondition`,
/// `not_modified`, `not_implemented`, `not_supported`, `permission_denied`, `unauthenticated`, `invalid_path`,
/// `throttled`, `timeout`, `connection`, `server`, `other`.
pub fn error_kind(err: &Error) -> &'static str {
    match err {
        Error::NotFound { .. } => "not_found",
        Error::AlreadyExists { .. } => "already_exists",
        Error::Precondition { .. } => "precondition",
        Error::NotModified { .. } => "not_modified",
        Error::NotImplemented { .. } => "not_implemented",
        Error::NotSupported { .. } => "not_supported",
        Error::PermissionDenied { .. } => "permission_denied",
        Error::Unauthenticated { .. } => "unauthenticated",
        Error::InvalidPath { .. } => "invalid_path",
        Error::Generic { source, .. } => generic_kind(source.as_ref()),
        _ => "other",
    }
}

fn generic_kind(top: &(dyn StdError + 'static)) -> &'static str {
    for e in chain(top) {
        if let Some(h) = e.downcast_ref::<HttpError>() {
            match h.kind() {
                HttpErrorKind::Timeout => return "timeout",
                HttpErrorKind::Connect | HttpErrorKind::Request | HttpErrorKind::Interrupted => {
                    return "connection";
                }
                _ => {}
            }
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::TimedOut => return "timeout",
                k if classify_io(k).is_some() => return "connection",
                _ => {}
            }
        }
    }
    match classify_chain(top) {
        Failure::Refused => "throttled",
        Failure::Ambiguous => "server",
        Failure::Permanent => "other",
    }
}

/// A small deterministic generator (SplitMix64): jitter and fault decisions replay exactly from a seed, without
/// a dependency.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A seed that differs between processes and calls, for when no seed is configured.
    pub(crate) fn entropy() -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        h.finish()
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A uniform float in `[0, 1)`.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The SplitMix64 finaliser: spreads any input over all 64 bits.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(source: impl StdError + Send + Sync + 'static) -> Error {
        Error::Generic {
            store: "test",
            source: Box::new(source),
        }
    }

    #[derive(Debug)]
    struct Text(&'static str);
    impl fmt::Display for Text {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for Text {}

    #[test]
    fn typed_errors_are_permanent() {
        let e = Error::NotFound {
            path: "a".into(),
            source: "gone".into(),
        };
        assert_eq!(classify(&e), Failure::Permanent);
        assert_eq!(error_kind(&e), "not_found");
        let e = Error::Precondition {
            path: "a".into(),
            source: "etag".into(),
        };
        assert_eq!(classify(&e), Failure::Permanent);
        assert_eq!(error_kind(&e), "precondition");
    }

    #[test]
    fn http_transport_errors() {
        let timeout = generic(HttpError::new(HttpErrorKind::Timeout, Text("deadline")));
        assert_eq!(classify(&timeout), Failure::Ambiguous);
        assert_eq!(error_kind(&timeout), "timeout");
        let connect = generic(HttpError::new(HttpErrorKind::Connect, Text("refused")));
        assert_eq!(classify(&connect), Failure::Refused);
        assert_eq!(error_kind(&connect), "connection");
        let closed = generic(HttpError::new(HttpErrorKind::Request, Text("closed")));
        assert_eq!(classify(&closed), Failure::Ambiguous);
    }

    #[test]
    fn io_errors_in_the_chain() {
        let reset = generic(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(classify(&reset), Failure::Ambiguous);
        let refused = generic(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(classify(&refused), Failure::Refused);
        let denied = generic(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(classify(&denied), Failure::Permanent);
    }

    #[test]
    fn statuses_from_messages() {
        let slow = generic(Text(
            "Error performing PUT in 1s - Server returned non-2xx status code: 503 Service Unavailable: \
             <Error><Code>SlowDown</Code></Error>",
        ));
        assert_eq!(classify(&slow), Failure::Refused);
        assert_eq!(error_kind(&slow), "throttled");
        let internal = generic(Text(
            "Server returned non-2xx status code: 500 Internal Server Error: ",
        ));
        assert_eq!(classify(&internal), Failure::Ambiguous);
        assert_eq!(error_kind(&internal), "server");
        let bad = generic(Text(
            "Server returned non-2xx status code: 400 Bad Request: InvalidArgument",
        ));
        assert_eq!(classify(&bad), Failure::Permanent);
        let body = generic(Text(
            "Server returned error response: <Error><Code>InternalError</Code></Error>",
        ));
        assert_eq!(classify(&body), Failure::Ambiguous);
        assert_eq!(
            classify(&generic(Text("something odd"))),
            Failure::Permanent
        );
    }

    #[test]
    fn splitmix_replays() {
        let a: Vec<u64> = {
            let mut r = SplitMix64::new(7);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let mut r = SplitMix64::new(7);
        assert_eq!(a, (0..4).map(|_| r.next_u64()).collect::<Vec<_>>());
        assert!((0..1000).all(|_| (0.0..1.0).contains(&r.next_f64())));
    }
}
