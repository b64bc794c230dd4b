//! Client settings, named as Kafka's own clients name them so `-X key=value` reads the same everywhere.

use std::time::Duration;

/// Where to connect and how long to wait. Built from defaults, then overridden key by key with [`ClientConfig::set`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `host:port` pairs tried in order until one answers.
    pub bootstrap_servers: Vec<String>,
    /// Sent in every request header; brokers log it and quotas key on it.
    pub client_id: String,
    /// How long one request may wait for its answer.
    pub request_timeout: Duration,
    /// How long opening one TCP connection may take.
    pub connect_timeout: Duration,
    /// How long one admin call may take in all, retries included.
    pub api_timeout: Duration,
    /// The pause before retrying a retriable error (a moving leader, a loading coordinator).
    pub retry_backoff: Duration,
    /// The largest response frame accepted.
    pub max_response_bytes: usize,
}

/// The keys [`ClientConfig::set`] understands, with what each means.
pub const KNOWN_KEYS: &[(&str, &str)] = &[
    ("bootstrap.servers", "comma-separated host:port list"),
    ("client.id", "the client id sent to brokers"),
    (
        "request.timeout.ms",
        "how long one request may wait for its answer",
    ),
    (
        "socket.connection.setup.timeout.ms",
        "how long opening a connection may take",
    ),
    (
        "default.api.timeout.ms",
        "how long one command may take, retries included",
    ),
    (
        "retry.backoff.ms",
        "the pause before retrying a retriable error",
    ),
    ("max.response.bytes", "the largest response accepted"),
];

/// A setting that cannot be applied.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("unknown client setting `{key}` (known: {})", KNOWN_KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "))]
    UnknownKey { key: String },
    #[error("client setting `{key}`: `{value}` is not {expected}")]
    BadValue {
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("no bootstrap server given")]
    NoBootstrap,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            bootstrap_servers: Vec::new(),
            client_id: "automq-client".to_string(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            api_timeout: Duration::from_secs(60),
            retry_backoff: Duration::from_millis(100),
            max_response_bytes: 100 * 1024 * 1024,
        }
    }
}

impl ClientConfig {
    /// Defaults with the given bootstrap list (`host:port[,host:port…]`).
    pub fn new(bootstrap: &str) -> Result<Self, ConfigError> {
        let mut c = Self::default();
        c.set("bootstrap.servers", bootstrap)?;
        Ok(c)
    }

    /// Applies one `key=value` setting by its Kafka name.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        let bad = |expected| ConfigError::BadValue {
            key: key.to_string(),
            value: value.to_string(),
            expected,
        };
        let millis = |v: &str| -> Result<Duration, ConfigError> {
            v.trim()
                .parse::<u64>()
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis)
                .ok_or_else(|| bad("a positive number of milliseconds"))
        };
        match key {
            "bootstrap.servers" => {
                let servers: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if servers.is_empty() {
                    return Err(ConfigError::NoBootstrap);
                }
                for s in &servers {
                    if split_host_port(s).is_none() {
                        return Err(ConfigError::BadValue {
                            key: key.to_string(),
                            value: s.clone(),
                            expected: "host:port",
                        });
                    }
                }
                self.bootstrap_servers = servers;
            }
            "client.id" => self.client_id = value.to_string(),
            "request.timeout.ms" => self.request_timeout = millis(value)?,
            "socket.connection.setup.timeout.ms" => self.connect_timeout = millis(value)?,
            "default.api.timeout.ms" => self.api_timeout = millis(value)?,
            "retry.backoff.ms" => self.retry_backoff = millis(value)?,
            "max.response.bytes" => {
                self.max_response_bytes = value
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1024..=i32::MAX as usize).contains(n))
                    .ok_or_else(|| bad("a byte count between 1024 and 2147483647"))?
            }
            _ => {
                return Err(ConfigError::UnknownKey {
                    key: key.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// `host:port` to its parts; IPv6 literals in brackets (`[::1]:9092`) keep their brackets off.
pub fn split_host_port(s: &str) -> Option<(&str, u16)> {
    let (host, port) = s.rsplit_once(':')?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() {
        return None;
    }
    Some((host, port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_apply_by_kafka_name_and_bad_ones_are_named() {
        let mut c = ClientConfig::new("a:1, b:2").unwrap();
        assert_eq!(c.bootstrap_servers, ["a:1", "b:2"]);
        c.set("request.timeout.ms", "1500").unwrap();
        assert_eq!(c.request_timeout, Duration::from_millis(1500));
        c.set("client.id", "me").unwrap();
        assert_eq!(c.client_id, "me");
        let e = c.set("request.timeout", "5").unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown client setting `request.timeout`")
        );
        assert!(e.to_string().contains("request.timeout.ms"));
        let e = c.set("retry.backoff.ms", "soon").unwrap_err();
        assert_eq!(
            e.to_string(),
            "client setting `retry.backoff.ms`: `soon` is not a positive number of milliseconds"
        );
        assert_eq!(
            ClientConfig::new("nohost").unwrap_err().to_string(),
            "client setting `bootstrap.servers`: `nohost` is not host:port"
        );
        assert_eq!(
            ClientConfig::new(" , ").unwrap_err(),
            ConfigError::NoBootstrap
        );
    }

    #[test]
    fn host_port_handles_ipv6_brackets() {
        assert_eq!(split_host_port("[::1]:9092"), Some(("::1", 9092)));
        assert_eq!(split_host_port("broker-1:19092"), Some(("broker-1", 19092)));
        assert_eq!(split_host_port(":9092"), None);
        assert_eq!(split_host_port("h:port"), None);
    }
}
