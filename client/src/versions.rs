//! Which version of each API to speak: the highest version both this client and the broker support.
//!
//! The client's side is [`client_range`]: the versions whose request and response shapes this crate builds and
//! reads, which may be narrower than what the kafka-protocol crate can encode. The broker's side comes from its
//! ApiVersions answer, kept per connection in [`BrokerVersions`].

use std::collections::HashMap;

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};
use kafka_protocol::protocol::{Decodable, VersionRange};

/// The versions this crate can build requests for and read answers at, per API; `None` for an API it never sends.
pub fn client_range(api: ApiKey) -> Option<VersionRange> {
    let r = |min, max| Some(VersionRange { min, max });
    match api {
        ApiKey::ApiVersions => r(0, 4),
        ApiKey::Metadata => r(1, 13),
        ApiKey::CreateTopics => r(2, 7),
        ApiKey::DeleteTopics => r(1, 6),
        ApiKey::CreatePartitions => r(0, 3),
        ApiKey::DescribeConfigs => r(1, 4),
        ApiKey::IncrementalAlterConfigs => r(0, 1),
        ApiKey::DescribeCluster => r(0, 2),
        ApiKey::ListOffsets => r(1, 10),
        ApiKey::DeleteRecords => r(0, 2),
        ApiKey::FindCoordinator => r(0, 6),
        ApiKey::ListGroups => r(0, 5),
        ApiKey::DescribeGroups => r(0, 6),
        ApiKey::OffsetFetch => r(1, 9),
        ApiKey::OffsetCommit => r(2, 9),
        ApiKey::DeleteGroups => r(0, 2),
        _ => None,
    }
}

/// Why no version can be agreed on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoCommonVersion {
    /// This client never sends the API.
    NotInClient,
    /// The broker did not list the API.
    NotOnBroker,
    /// Both speak it, but their ranges do not overlap.
    Disjoint {
        ours: VersionRange,
        theirs: VersionRange,
    },
}

/// The highest version in both ranges.
pub fn negotiate(
    ours: Option<VersionRange>,
    theirs: Option<VersionRange>,
) -> Result<i16, NoCommonVersion> {
    let ours = ours.ok_or(NoCommonVersion::NotInClient)?;
    let theirs = theirs.ok_or(NoCommonVersion::NotOnBroker)?;
    let max = ours.max.min(theirs.max);
    if max < ours.min.max(theirs.min) {
        return Err(NoCommonVersion::Disjoint { ours, theirs });
    }
    Ok(max)
}

/// What one broker said it supports.
#[derive(Debug, Clone, Default)]
pub struct BrokerVersions {
    ranges: HashMap<i16, VersionRange>,
}

impl BrokerVersions {
    pub fn from_response(resp: &ApiVersionsResponse) -> Self {
        let ranges = resp
            .api_keys
            .iter()
            .map(|k| {
                (
                    k.api_key,
                    VersionRange {
                        min: k.min_version,
                        max: k.max_version,
                    },
                )
            })
            .collect();
        Self { ranges }
    }

    pub fn range(&self, api: ApiKey) -> Option<VersionRange> {
        self.ranges.get(&(api as i16)).copied()
    }

    /// The version to speak for `api` with this broker.
    pub fn pick(&self, api: ApiKey) -> Result<i16, NoCommonVersion> {
        negotiate(client_range(api), self.range(api))
    }
}

/// The first ApiVersions request goes out at this version; a broker that does not know it answers
/// UNSUPPORTED_VERSION with its own range, at v0.
pub const API_VERSIONS_FIRST_TRY: i16 = 3;

/// What an ApiVersions answer means for the handshake.
#[derive(Debug)]
pub enum ApiVersionsOutcome {
    /// The broker's table.
    Supported(ApiVersionsResponse),
    /// The broker does not speak the version sent: retry at this one.
    RetryAt(i16),
    /// The answer cannot be used.
    Failed(String),
}

/// Reads an ApiVersions answer to a request sent at `sent`. A broker answers a version it does not know with
/// UNSUPPORTED_VERSION encoded at v0, listing its own ApiVersions range, so a body that does not decode at
/// `sent` is read again at v0.
pub fn read_api_versions(body: Bytes, sent: i16) -> ApiVersionsOutcome {
    let decoded = ApiVersionsResponse::decode(&mut body.clone(), sent)
        .ok()
        .filter(|r| r.error_code != 35)
        .or_else(|| ApiVersionsResponse::decode(&mut body.clone(), 0).ok());
    let Some(resp) = decoded else {
        return ApiVersionsOutcome::Failed(format!(
            "the answer decodes neither at v{sent} nor at v0"
        ));
    };
    match resp.error_code {
        0 => ApiVersionsOutcome::Supported(resp),
        35 => {
            let theirs = BrokerVersions::from_response(&resp).range(ApiKey::ApiVersions);
            match negotiate(client_range(ApiKey::ApiVersions), theirs) {
                Ok(v) if v < sent => ApiVersionsOutcome::RetryAt(v),
                _ => ApiVersionsOutcome::Failed(
                    "UNSUPPORTED_VERSION (35) without a usable ApiVersions range".to_string(),
                ),
            }
        }
        code => ApiVersionsOutcome::Failed(crate::error::KafkaCode(code).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::messages::api_versions_response::ApiVersion;
    use kafka_protocol::protocol::Encodable;

    fn range(min: i16, max: i16) -> Option<VersionRange> {
        Some(VersionRange { min, max })
    }

    #[test]
    fn picks_the_highest_version_both_sides_support() {
        assert_eq!(negotiate(range(1, 13), range(0, 12)), Ok(12));
        assert_eq!(negotiate(range(1, 9), range(0, 10)), Ok(9));
        assert_eq!(negotiate(range(2, 7), range(2, 2)), Ok(2));
        assert_eq!(negotiate(range(0, 4), range(0, 4)), Ok(4));
    }

    #[test]
    fn refuses_when_the_ranges_do_not_meet() {
        assert_eq!(
            negotiate(range(8, 9), range(1, 7)),
            Err(NoCommonVersion::Disjoint {
                ours: VersionRange { min: 8, max: 9 },
                theirs: VersionRange { min: 1, max: 7 },
            })
        );
        assert_eq!(
            negotiate(range(1, 4), range(5, 6)),
            Err(NoCommonVersion::Disjoint {
                ours: VersionRange { min: 1, max: 4 },
                theirs: VersionRange { min: 5, max: 6 },
            })
        );
        assert_eq!(
            negotiate(range(0, 1), None),
            Err(NoCommonVersion::NotOnBroker)
        );
        assert_eq!(
            negotiate(None, range(0, 1)),
            Err(NoCommonVersion::NotInClient)
        );
    }

    fn answer(error_code: i16, keys: &[(ApiKey, i16, i16)], version: i16) -> Bytes {
        let resp = ApiVersionsResponse::default()
            .with_error_code(error_code)
            .with_api_keys(
                keys.iter()
                    .map(|(k, min, max)| {
                        ApiVersion::default()
                            .with_api_key(*k as i16)
                            .with_min_version(*min)
                            .with_max_version(*max)
                    })
                    .collect(),
            );
        let mut b = BytesMut::new();
        resp.encode(&mut b, version).unwrap();
        b.freeze()
    }

    #[test]
    fn a_broker_table_picks_per_api() {
        let body = answer(
            0,
            &[
                (ApiKey::ApiVersions, 0, 4),
                (ApiKey::Metadata, 0, 12),
                (ApiKey::OffsetFetch, 1, 7),
            ],
            3,
        );
        let ApiVersionsOutcome::Supported(resp) = read_api_versions(body, 3) else {
            panic!("expected a table")
        };
        let table = BrokerVersions::from_response(&resp);
        assert_eq!(table.pick(ApiKey::Metadata), Ok(12));
        assert_eq!(table.pick(ApiKey::OffsetFetch), Ok(7));
        assert_eq!(table.pick(ApiKey::ApiVersions), Ok(4));
        assert_eq!(
            table.pick(ApiKey::DeleteGroups),
            Err(NoCommonVersion::NotOnBroker)
        );
        assert_eq!(
            table.pick(ApiKey::Produce),
            Err(NoCommonVersion::NotInClient)
        );
    }

    #[test]
    fn an_old_broker_answers_unsupported_at_v0_and_the_client_steps_down() {
        let body = answer(35, &[(ApiKey::ApiVersions, 0, 2)], 0);
        assert!(matches!(
            read_api_versions(body, 3),
            ApiVersionsOutcome::RetryAt(2)
        ));
        let body = answer(35, &[], 0);
        assert!(matches!(
            read_api_versions(body, 3),
            ApiVersionsOutcome::Failed(_)
        ));
        assert!(matches!(
            read_api_versions(Bytes::from_static(&[1]), 3),
            ApiVersionsOutcome::Failed(_)
        ));
    }
}
