//! Errors in two tiers: [`Error`] says exactly what failed and on which object; [`ErrorKind`] tells the caller
//! what to do about it (retry, give up ownership, reject the request, alert on corruption).

use crate::types::{Epoch, Offset, StreamId};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Someone holds a newer epoch: this holder must stop writing. Nothing it acknowledged is lost.
    #[error("fenced: {what} is held at epoch {current}, this holder has epoch {held}")]
    Fenced {
        what: String,
        held: Epoch,
        current: Epoch,
    },
    #[error("object store {op} of `{key}` failed: {source}")]
    Store {
        op: &'static str,
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error("{op} on `{path}` failed: {source}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("corrupt {what}: {detail}")]
    Corrupt { what: String, detail: String },
    #[error("offset {offset} of stream {stream} is out of range [{start}, {end})")]
    OutOfRange {
        stream: StreamId,
        offset: Offset,
        start: Offset,
        end: Offset,
    },
    #[error("{0} is closed")]
    Closed(String),
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// What a caller should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Transient: the same call may succeed later.
    Retry,
    /// Ownership moved on: stop serving, let the new owner answer.
    Fenced,
    /// The request itself is wrong (out of range, invalid arguments).
    Invalid,
    /// Stored data is damaged: alert, never serve it.
    Corrupt,
    /// The engine or stream is shutting down.
    Closed,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Fenced { .. } => ErrorKind::Fenced,
            Error::Store { source, .. } => match source {
                object_store::Error::NotFound { .. }
                | object_store::Error::InvalidPath { .. }
                | object_store::Error::NotSupported { .. }
                | object_store::Error::NotImplemented { .. } => ErrorKind::Invalid,
                _ => ErrorKind::Retry,
            },
            Error::Io { .. } => ErrorKind::Retry,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::OutOfRange { .. } | Error::Invalid(_) => ErrorKind::Invalid,
            Error::Closed(_) => ErrorKind::Closed,
        }
    }

    pub(crate) fn store(op: &'static str, key: impl ToString, source: object_store::Error) -> Self {
        Error::Store {
            op,
            key: key.to_string(),
            source,
        }
    }
}
