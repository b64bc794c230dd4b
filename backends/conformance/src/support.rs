//! Small helpers the cases share: failing with a message, checking bytes without printing megabytes, and data
//! that shows when parts are misplaced.

use std::collections::BTreeSet;
use std::fmt::Display;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

/// A case's outcome: `Err` says what went wrong.
pub type Outcome = Result<(), String>;

/// Fails the case with a formatted message unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(format!($($arg)+));
        }
    };
}
pub(crate) use ensure;

/// Names the operation when a store call fails.
pub trait Context<T> {
    fn ctx(self, what: impl Display) -> Result<T, String>;
}

impl<T> Context<T> for object_store::Result<T> {
    fn ctx(self, what: impl Display) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// Deterministic bytes that differ for every seed and never repeat within an object, so a part stored in the
/// wrong place or a range read from the wrong offset cannot go unnoticed.
pub fn pattern(seed: u64, len: usize) -> Bytes {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    Bytes::from(out)
}

/// Compares two byte strings, describing the first difference instead of printing them.
pub fn same(what: impl Display, got: &[u8], want: &[u8]) -> Outcome {
    if got == want {
        return Ok(());
    }
    let first = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    Err(format!(
        "{what}: got {} bytes, expected {}; first difference at byte {first}",
        got.len(),
        want.len()
    ))
}

/// Reads a whole object.
pub async fn read(store: &dyn ObjectStore, key: &Path) -> Result<Bytes, String> {
    store
        .get(key)
        .await
        .ctx(format!("get `{key}`"))?
        .bytes()
        .await
        .ctx(format!("reading the body of `{key}`"))
}

/// Every key listed under `prefix`, as strings.
pub async fn list_keys(store: &dyn ObjectStore, prefix: &Path) -> Result<BTreeSet<String>, String> {
    store
        .list(Some(prefix))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .ctx(format!("list `{prefix}`"))
}

/// The refusal a store gives for an operation it does not offer.
pub fn is_unsupported(e: &object_store::Error) -> bool {
    matches!(
        e,
        object_store::Error::NotImplemented { .. } | object_store::Error::NotSupported { .. }
    )
}

/// The name of an error's kind, for messages and notes.
pub fn kind(e: &object_store::Error) -> &'static str {
    use object_store::Error as E;
    match e {
        E::NotFound { .. } => "NotFound",
        E::AlreadyExists { .. } => "AlreadyExists",
        E::Precondition { .. } => "Precondition",
        E::NotModified { .. } => "NotModified",
        E::NotImplemented { .. } => "NotImplemented",
        E::NotSupported { .. } => "NotSupported",
        E::PermissionDenied { .. } => "PermissionDenied",
        E::Unauthenticated { .. } => "Unauthenticated",
        E::InvalidPath { .. } => "InvalidPath",
        E::Generic { .. } => "Generic",
        _ => "other",
    }
}

/// The set of paths as strings, for comparing with a listing.
pub fn names<'a>(keys: impl IntoIterator<Item = &'a Path>) -> BTreeSet<String> {
    keys.into_iter().map(Path::to_string).collect()
}
