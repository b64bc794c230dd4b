//! ApiVersions: what this broker implements.

use automq_protocol::kafka_protocol::messages::api_versions_response::ApiVersion;
use automq_protocol::kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use automq_protocol::kafka_protocol::protocol::StrBytes;

use super::SUPPORTED;

/// Kafka's UNSUPPORTED_VERSION error code.
const UNSUPPORTED_VERSION: i16 = 35;
/// Kafka's INVALID_REQUEST error code.
const INVALID_REQUEST: i16 = 42;

fn table() -> Vec<ApiVersion> {
    SUPPORTED
        .iter()
        .map(|(k, r)| {
            ApiVersion::default()
                .with_api_key(*k as i16)
                .with_min_version(r.min)
                .with_max_version(r.max)
        })
        .collect()
}

pub fn handle(req: &ApiVersionsRequest) -> ApiVersionsResponse {
    // v3+ clients name themselves; Kafka rejects names outside [a-zA-Z0-9._-] (empty is allowed from old tools).
    let valid = |s: &StrBytes| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    let error_code = if valid(&req.client_software_name) && valid(&req.client_software_version) {
        0
    } else {
        INVALID_REQUEST
    };
    ApiVersionsResponse::default()
        .with_error_code(error_code)
        .with_api_keys(table())
}

/// The answer to an ApiVersions request at a version newer than ours: sent at v0, so any client can read it and
/// retry at a version we list.
pub fn unsupported_version_response() -> ApiVersionsResponse {
    ApiVersionsResponse::default()
        .with_error_code(UNSUPPORTED_VERSION)
        .with_api_keys(table())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automq_protocol::ApiKey;

    #[test]
    fn advertises_exactly_the_supported_table() {
        let resp = handle(&ApiVersionsRequest::default());
        assert_eq!(resp.error_code, 0);
        let metadata = resp
            .api_keys
            .iter()
            .find(|k| k.api_key == ApiKey::Metadata as i16)
            .unwrap();
        assert_eq!((metadata.min_version, metadata.max_version), (0, 13));
        assert_eq!(resp.api_keys.len(), SUPPORTED.len());
        assert!(
            resp.api_keys
                .iter()
                .all(|k| k.api_key != ApiKey::WriteTxnMarkers as i16),
            "nothing unimplemented"
        );
    }

    #[test]
    fn bad_client_software_names_are_invalid_requests() {
        let req = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("bad name!"));
        assert_eq!(handle(&req).error_code, INVALID_REQUEST);
    }
}
