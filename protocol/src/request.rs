//! One frame to one typed request.

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind};
use kafka_protocol::protocol::{Decodable, VersionRange};

/// A request whose header and body decoded.
#[derive(Debug, Clone)]
pub struct Request {
    pub api_key: ApiKey,
    pub header: RequestHeader,
    pub body: RequestKind,
}

/// Why a frame did not become a [`Request`]. Each kind is answered differently, so each is its own variant.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The API key is not one this broker knows. Kafka closes the connection.
    #[error("unknown API key {api_key} (correlation id {correlation_id})")]
    UnknownApiKey { api_key: i16, correlation_id: i32 },
    /// The version is outside what the broker implements. ApiVersions answers this with UNSUPPORTED_VERSION and
    /// its version list at v0; other APIs close the connection.
    #[error("{api_key:?} v{version} is not supported (supported: v{}..=v{}, correlation id {correlation_id})", supported.min, supported.max)]
    UnsupportedVersion {
        api_key: ApiKey,
        version: i16,
        supported: VersionRange,
        correlation_id: i32,
    },
    /// The header or body does not decode at the version the header claims.
    #[error("malformed {api_key:?} v{version} request (correlation id {correlation_id}): {reason}")]
    Malformed {
        api_key: ApiKey,
        version: i16,
        correlation_id: i32,
        reason: String,
    },
}

/// Decodes a frame's payload. `supported` says which versions of an API the broker implements (`None`: the API
/// is not implemented at all, answered like an unknown key).
pub fn decode_request(
    mut frame: Bytes,
    supported: impl Fn(ApiKey) -> Option<VersionRange>,
) -> Result<Request, RequestError> {
    // The frame decoder guarantees at least the 8 bytes read here.
    let key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let Ok(api_key) = ApiKey::try_from(key) else {
        return Err(RequestError::UnknownApiKey {
            api_key: key,
            correlation_id,
        });
    };
    let Some(range) = supported(api_key) else {
        return Err(RequestError::UnknownApiKey {
            api_key: key,
            correlation_id,
        });
    };
    if version < range.min || version > range.max {
        return Err(RequestError::UnsupportedVersion {
            api_key,
            version,
            supported: range,
            correlation_id,
        });
    }
    let malformed = |reason: String| RequestError::Malformed {
        api_key,
        version,
        correlation_id,
        reason,
    };
    let header_version = api_key.request_header_version(version);
    let header = guarded(|| RequestHeader::decode(&mut frame, header_version))
        .map_err(|e| malformed(format!("header: {e}")))?;
    let body = guarded(|| RequestKind::decode(api_key, &mut frame, version))
        .map_err(|e| malformed(format!("{e:#}")))?;
    // Bytes after the body are ignored, as Kafka ignores them: librdkafka 2.12 sends a flexible Metadata request
    // for all topics with its 4-byte array-count placeholder in place of the 1-byte null count, so the last 3
    // bytes of its body are left over (and Kafka reads the first placeholder bytes as the two flags).
    Ok(Request {
        api_key,
        header,
        body,
    })
}

/// Runs a decoder and turns a panic inside it into an error: bad input must never take the broker down.
fn guarded<T>(f: impl FnOnce() -> anyhow::Result<T>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(_) => Err("decoder panicked on this input".to_string()),
    }
}
