//! Errors in two tiers: [`Error`] names what failed (the broker, the API, the resource, the Kafka error code) and
//! [`ErrorKind`] tells a caller what to do about it. Kafka error codes map to kinds in one place,
//! [`KafkaCode::kind`].

use std::fmt;
use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::VersionRange;

use crate::config::ConfigError;

/// What a Kafka error is about, as the message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Cluster,
    Broker(i32),
    Topic(String),
    Partition {
        topic: String,
        partition: i32,
    },
    Group(String),
    /// A config resource that is not a topic or a broker, by its Kafka resource type number.
    Config {
        resource_type: i8,
        name: String,
    },
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Cluster => f.write_str("cluster"),
            Resource::Broker(id) if *id < 0 => f.write_str("cluster-wide broker defaults"),
            Resource::Broker(id) => write!(f, "broker {id}"),
            Resource::Topic(t) => write!(f, "topic `{t}`"),
            Resource::Partition { topic, partition } => {
                write!(f, "topic `{topic}` partition {partition}")
            }
            Resource::Group(g) => write!(f, "group `{g}`"),
            Resource::Config {
                resource_type,
                name,
            } => write!(f, "config resource {resource_type} `{name}`"),
        }
    }
}

/// A Kafka error code, shown by its protocol name and number: `UNKNOWN_TOPIC_OR_PARTITION (3)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KafkaCode(pub i16);

impl KafkaCode {
    /// `None` for 0 (no error).
    pub fn check(code: i16) -> Option<KafkaCode> {
        (code != 0).then_some(KafkaCode(code))
    }

    /// The protocol's name for the code, in Kafka's own spelling (`NOT_LEADER_OR_FOLLOWER`).
    pub fn name(&self) -> String {
        match ResponseError::try_from_code(self.0) {
            None => "NONE".to_string(),
            Some(ResponseError::Unknown(_)) => "UNKNOWN_CODE".to_string(),
            Some(e) => upper_snake(&e.to_string()),
        }
    }

    /// Whether a retry may succeed (a leader moving, a coordinator loading). The protocol also calls an unknown
    /// topic retriable, for clients racing a topic's creation; an admin tool asked about a topic that does not
    /// exist should say so at once instead.
    pub fn is_retriable(&self) -> bool {
        !matches!(self.0, 3 | 100)
            && ResponseError::try_from_code(self.0).is_some_and(|e| e.is_retriable())
    }

    /// What a caller should make of the code. The one place Kafka codes become kinds.
    pub fn kind(&self) -> ErrorKind {
        match self.0 {
            3 | 69 | 91 | 100 | 116 => ErrorKind::NotFound,
            36 | 92 => ErrorKind::AlreadyExists,
            29..=31 | 53 | 58 => ErrorKind::Denied,
            68 | 86 | 27 | 60 => ErrorKind::InUse,
            35 => ErrorKind::Unsupported,
            1 | 4 | 17 | 21 | 24 | 26 | 28 | 32 | 37..=40 | 42 | 44 | 73 | 87 | 128 => {
                ErrorKind::Invalid
            }
            7 => ErrorKind::Timeout,
            _ if self.is_retriable() => ErrorKind::Retriable,
            _ => ErrorKind::Other,
        }
    }
}

impl fmt::Display for KafkaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// `UnknownTopicOrPartition` to `UNKNOWN_TOPIC_OR_PARTITION`.
fn upper_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// What to do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No broker could be reached: wrong address, broker down, network.
    Unreachable,
    /// A broker did not answer in time.
    Timeout,
    /// The topic, partition, group or broker does not exist.
    NotFound,
    /// It exists already.
    AlreadyExists,
    /// The request was refused as invalid (bad config, partition count, replication factor, offset).
    Invalid,
    /// The caller lacks the permission.
    Denied,
    /// The resource is busy: a group with members, a reassignment in progress.
    InUse,
    /// The broker does not speak a version of the API this client can use.
    Unsupported,
    /// A transient condition outlasted the retries.
    Retriable,
    /// A setting of the client itself is wrong.
    Config,
    Other,
}

/// One failed client operation, naming what failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A broker answered with a Kafka error code.
    #[error("{resource}: {code}{}", message.as_deref().filter(|m| !m.is_empty()).map(|m| format!(": {m}")).unwrap_or_default())]
    Kafka {
        resource: Resource,
        code: KafkaCode,
        message: Option<String>,
    },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("cannot connect to {addr}: no answer within {} (socket.connection.setup.timeout.ms)", millis(.timeout))]
    ConnectTimeout { addr: String, timeout: Duration },
    #[error("no bootstrap server answered: {}", tried.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Bootstrap { tried: Vec<Error> },
    #[error("{api:?} to {addr}: no answer within {} (request.timeout.ms)", millis(.timeout))]
    RequestTimeout {
        api: ApiKey,
        addr: String,
        timeout: Duration,
    },
    #[error("{api:?} to {addr}: the connection closed before the answer{}", if *.sent { "" } else { " (not sent)" })]
    Disconnected {
        api: ApiKey,
        addr: String,
        /// Whether the request may have reached the broker.
        sent: bool,
    },
    #[error("{addr} does not support {api:?}{}", match .theirs { Some(t) => format!(" at a version this client speaks (broker v{}..=v{}, client v{}..=v{})", t.min, t.max, .ours.min, .ours.max), None => String::new() })]
    Unsupported {
        api: ApiKey,
        addr: String,
        ours: VersionRange,
        theirs: Option<VersionRange>,
    },
    #[error("{addr}: bad {api:?} answer: {reason}")]
    Protocol {
        api: ApiKey,
        addr: String,
        reason: String,
    },
    #[error("broker {id} is not in the cluster metadata (known: {known})")]
    UnknownBroker { id: i32, known: String },
    #[error("gave up after {} (default.api.timeout.ms): {last}", millis(.after))]
    GaveUp { after: Duration, last: Box<Error> },
    /// A request the client refuses to send, naming why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn millis(d: &Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

impl Error {
    pub(crate) fn kafka(resource: Resource, code: KafkaCode, message: Option<String>) -> Self {
        Error::Kafka {
            resource,
            code,
            message,
        }
    }

    /// Fails with the code's error when `code` is not 0.
    pub(crate) fn check(
        resource: impl FnOnce() -> Resource,
        code: i16,
        message: Option<&kafka_protocol::protocol::StrBytes>,
    ) -> Result<(), Error> {
        match KafkaCode::check(code) {
            None => Ok(()),
            // Brokers end their sentences with a period; the message continues after it.
            Some(code) => Err(Error::kafka(
                resource(),
                code,
                message.map(|m| m.as_str().trim().trim_end_matches('.').to_string()),
            )),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Kafka { code, .. } => code.kind(),
            Error::Connect { .. } | Error::Bootstrap { .. } => ErrorKind::Unreachable,
            Error::ConnectTimeout { .. } | Error::RequestTimeout { .. } => ErrorKind::Timeout,
            Error::Disconnected { .. } => ErrorKind::Retriable,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Protocol { .. } => ErrorKind::Other,
            Error::UnknownBroker { .. } => ErrorKind::NotFound,
            Error::GaveUp { last, .. } => match last.kind() {
                ErrorKind::Retriable => ErrorKind::Timeout,
                k => k,
            },
            Error::Invalid(_) => ErrorKind::Invalid,
            Error::Config(_) => ErrorKind::Config,
        }
    }

    /// Whether retrying the same call may succeed: a transient Kafka code, a lost connection, a timeout.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Kafka { code, .. } => code.is_retriable(),
            Error::Disconnected { .. } | Error::RequestTimeout { .. } => true,
            _ => false,
        }
    }

    /// The Kafka error code, when a broker answered with one.
    pub fn code(&self) -> Option<KafkaCode> {
        match self {
            Error::Kafka { code, .. } => Some(*code),
            Error::GaveUp { last, .. } => last.code(),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_as_kafka_names_them() {
        assert_eq!(KafkaCode(3).to_string(), "UNKNOWN_TOPIC_OR_PARTITION (3)");
        assert_eq!(KafkaCode(6).name(), "NOT_LEADER_OR_FOLLOWER");
        assert_eq!(KafkaCode(-1).name(), "UNKNOWN_SERVER_ERROR");
        assert_eq!(KafkaCode(17).name(), "INVALID_TOPIC_EXCEPTION");
        assert_eq!(KafkaCode(9999).to_string(), "UNKNOWN_CODE (9999)");
        assert_eq!(KafkaCode::check(0), None);
    }

    #[test]
    fn codes_map_to_what_the_caller_should_do() {
        assert_eq!(KafkaCode(3).kind(), ErrorKind::NotFound);
        assert_eq!(KafkaCode(69).kind(), ErrorKind::NotFound);
        assert_eq!(KafkaCode(36).kind(), ErrorKind::AlreadyExists);
        assert_eq!(KafkaCode(38).kind(), ErrorKind::Invalid);
        assert_eq!(KafkaCode(40).kind(), ErrorKind::Invalid);
        assert_eq!(KafkaCode(29).kind(), ErrorKind::Denied);
        assert_eq!(KafkaCode(68).kind(), ErrorKind::InUse);
        assert_eq!(KafkaCode(6).kind(), ErrorKind::Retriable);
        assert_eq!(KafkaCode(15).kind(), ErrorKind::Retriable);
        assert_eq!(KafkaCode(-1).kind(), ErrorKind::Other);
        assert!(KafkaCode(6).is_retriable());
        assert!(!KafkaCode(36).is_retriable());
    }

    #[test]
    fn messages_name_the_resource_the_code_and_the_broker_reason() {
        let e = Error::check(
            || Resource::Topic("orders".into()),
            36,
            Some(&kafka_protocol::protocol::StrBytes::from_static_str(
                "Topic 'orders' already exists.",
            )),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "topic `orders`: TOPIC_ALREADY_EXISTS (36): Topic 'orders' already exists"
        );
        assert!(Error::check(|| Resource::Cluster, 0, None).is_ok());
        let e = Error::kafka(
            Resource::Partition {
                topic: "t".into(),
                partition: 2,
            },
            KafkaCode(1),
            None,
        );
        assert_eq!(
            e.to_string(),
            "topic `t` partition 2: OFFSET_OUT_OF_RANGE (1)"
        );
        let e = Error::GaveUp {
            after: Duration::from_secs(60),
            last: Box::new(Error::kafka(
                Resource::Group("g".into()),
                KafkaCode(15),
                Some(String::new()),
            )),
        };
        assert_eq!(
            e.to_string(),
            "gave up after 60 s (default.api.timeout.ms): group `g`: COORDINATOR_NOT_AVAILABLE (15)"
        );
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(e.code(), Some(KafkaCode(15)));
    }
}
