//! One handler per Kafka API, and the one table saying which APIs and versions are implemented.
//!
//! Handlers take a decoded request and return a typed response: no sockets, so each is tested directly.

mod api_versions;
mod metadata;

use automq_protocol::kafka_protocol::messages::{RequestKind, ResponseKind};
use automq_protocol::{ApiKey, VersionRange};

use crate::broker::Broker;

/// The APIs this broker implements, with the versions it implements and tests. ApiVersions advertises exactly
/// this table; a request outside it is refused before decoding.
pub const SUPPORTED: &[(ApiKey, VersionRange)] = &[
    (ApiKey::Metadata, VersionRange { min: 0, max: 13 }),
    (ApiKey::ApiVersions, VersionRange { min: 0, max: 4 }),
];

pub fn supported(api_key: ApiKey) -> Option<VersionRange> {
    SUPPORTED
        .iter()
        .find(|(k, _)| *k == api_key)
        .map(|(_, r)| *r)
}

/// Answers one request. Requests of APIs not in [`SUPPORTED`] never reach here (decoding refuses them).
pub async fn handle(broker: &Broker, version: i16, body: RequestKind) -> Option<ResponseKind> {
    Some(match body {
        RequestKind::ApiVersions(req) => ResponseKind::ApiVersions(api_versions::handle(&req)),
        RequestKind::Metadata(req) => {
            ResponseKind::Metadata(metadata::handle(broker, version, &req))
        }
        _ => return None,
    })
}

pub use api_versions::unsupported_version_response;
