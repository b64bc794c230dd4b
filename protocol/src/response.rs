//! Typed response to framed bytes.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ResponseHeader, ResponseKind};
use kafka_protocol::protocol::Encodable;

#[derive(Debug, thiserror::Error)]
#[error("cannot encode {api_key:?} v{version} response: {reason}")]
pub struct EncodeError {
    pub api_key: ApiKey,
    pub version: i16,
    pub reason: String,
}

/// Encodes `body` as the answer to a request of `api_key` at `version`, length prefix included.
pub fn encode_response(
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &ResponseKind,
) -> Result<Bytes, EncodeError> {
    let err = |e: anyhow::Error| EncodeError {
        api_key,
        version,
        reason: format!("{e:#}"),
    };
    let mut out = BytesMut::with_capacity(256);
    out.put_i32(0); // patched below
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    header
        .encode(&mut out, api_key.response_header_version(version))
        .map_err(err)?;
    body.encode(&mut out, version).map_err(err)?;
    let len = (out.len() - 4) as i32;
    out[..4].copy_from_slice(&len.to_be_bytes());
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{RequestError, decode_request};
    use kafka_protocol::messages::{
        ApiVersionsRequest, ApiVersionsResponse, RequestHeader, RequestKind,
    };
    use kafka_protocol::protocol::{Decodable, StrBytes, VersionRange};

    fn encode_request(key: ApiKey, version: i16, body: &RequestKind) -> Bytes {
        let mut out = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(42)
            .with_client_id(Some(StrBytes::from_static_str("test")))
            .encode(&mut out, key.request_header_version(version))
            .unwrap();
        body.encode(&mut out, version).unwrap();
        out.freeze()
    }

    fn all(key: ApiKey) -> Option<VersionRange> {
        Some(key.valid_versions())
    }

    #[test]
    fn a_request_round_trips_through_decode() {
        let body = RequestKind::ApiVersions(
            ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("automq-test"))
                .with_client_software_version(StrBytes::from_static_str("1")),
        );
        let req = decode_request(encode_request(ApiKey::ApiVersions, 3, &body), all).unwrap();
        assert_eq!(req.api_key, ApiKey::ApiVersions);
        assert_eq!(req.header.correlation_id, 42);
        assert_eq!(req.header.client_id.as_deref(), Some("test"));
        let RequestKind::ApiVersions(v) = req.body else {
            panic!("wrong kind")
        };
        assert_eq!(v.client_software_name.as_str(), "automq-test");
    }

    #[test]
    fn unknown_keys_versions_and_garbage_are_told_apart() {
        let mut raw = BytesMut::new();
        raw.put_i16(999);
        raw.put_i16(0);
        raw.put_i32(7);
        assert!(matches!(
            decode_request(raw.freeze(), all),
            Err(RequestError::UnknownApiKey {
                api_key: 999,
                correlation_id: 7
            })
        ));

        let body = RequestKind::ApiVersions(ApiVersionsRequest::default());
        let frame = encode_request(ApiKey::ApiVersions, 3, &body);
        let only_v0_to_v2 = |_| Some(VersionRange { min: 0, max: 2 });
        assert!(matches!(
            decode_request(frame.clone(), only_v0_to_v2),
            Err(RequestError::UnsupportedVersion {
                version: 3,
                correlation_id: 42,
                ..
            })
        ));

        let truncated = frame.slice(..frame.len() - 3);
        assert!(matches!(
            decode_request(truncated, all),
            Err(RequestError::Malformed { .. })
        ));
    }

    /// librdkafka 2.12 asks for all topics with a Metadata v9+ body of its 4-byte array-count placeholder (zeros)
    /// followed by the two flags and the tag count: Kafka reads a null topic array, two false flags and no tags,
    /// and ignores the 3 bytes left over. So do we.
    #[test]
    fn bytes_after_the_body_are_ignored_as_kafka_does() {
        let mut frame = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(ApiKey::Metadata as i16)
            .with_request_api_version(13)
            .with_correlation_id(5)
            .with_client_id(Some(StrBytes::from_static_str("rdkafka")))
            .encode(&mut frame, ApiKey::Metadata.request_header_version(13))
            .unwrap();
        frame.put_slice(&[0, 0, 0, 0, 1, 0, 0]);
        let request = decode_request(frame.freeze(), all).unwrap();
        let RequestKind::Metadata(metadata) = request.body else {
            panic!("not a Metadata request: {:?}", request.body);
        };
        assert_eq!(request.header.correlation_id, 5);
        assert!(
            metadata.topics.is_none(),
            "a null array asks for all topics"
        );
        assert!(!metadata.allow_auto_topic_creation);
    }

    #[test]
    fn api_versions_answers_use_header_v0_even_when_flexible() {
        let body = ResponseKind::ApiVersions(ApiVersionsResponse::default());
        let mut bytes = encode_response(ApiKey::ApiVersions, 3, 9, &body).unwrap();
        let len = i32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
        assert_eq!(len, bytes.len() - 4);
        let mut payload = bytes.split_off(4);
        let header = ResponseHeader::decode(&mut payload, 0).unwrap();
        assert_eq!(header.correlation_id, 9);
        ApiVersionsResponse::decode(&mut payload, 3).unwrap();
        assert!(
            payload.is_empty(),
            "a v1 header would leave a tag byte unread"
        );
    }
}
