//! Waiting for a change to show. In a KRaft cluster the controller commits a change (a topic, a partition count,
//! a config) to the metadata log and each broker applies it when it replays that log, so a broker may answer a
//! read with the old state for a moment after the write succeeded. Commands that change something read it back
//! through this wait, so their output, and the next command a script runs, see the change.

use std::future::Future;
use std::time::{Duration, Instant};

#[cfg(test)]
use automq_client::ConfigSynonym;
use automq_client::{AlterConfigOp, Client, ConfigEntry, ConfigResource};

/// Calls `probe` until it says the change shows (`true`) or `within` has passed; returns the last value read and
/// whether the change showed.
pub async fn settle<T, F, Fut>(within: Duration, mut probe: F) -> anyhow::Result<(T, bool)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<(T, bool)>>,
{
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(20);
    loop {
        let (value, done) = probe().await?;
        if done || Instant::now() + pause >= deadline {
            return Ok((value, done));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// The longest a config change is waited for: a value a broker normalizes (and so never reads back as typed)
/// costs no more than this.
const CONFIG_WAIT: Duration = Duration::from_secs(10);

/// The source a config shows once set dynamically on this resource.
fn dynamic_source(resource: &ConfigResource) -> &'static str {
    match resource {
        ConfigResource::Topic(_) => "DYNAMIC_TOPIC_CONFIG",
        ConfigResource::Broker(_) => "DYNAMIC_BROKER_CONFIG",
        ConfigResource::BrokerDefaults => "DYNAMIC_DEFAULT_BROKER_CONFIG",
    }
}

/// Whether `entries` show every change in `ops`.
fn reflected(resource: &ConfigResource, ops: &[AlterConfigOp], entries: &[ConfigEntry]) -> bool {
    let dynamic = dynamic_source(resource);
    entries.iter().all(ConfigEntry::is_consistent)
        && ops.iter().all(|op| match op {
            AlterConfigOp::Set(k, v) => entries.iter().any(|e| {
                &e.name == k
                    && e.source == dynamic
                    && (e.sensitive || e.value.as_deref().map(str::trim) == Some(v.trim()))
            }),
            AlterConfigOp::Delete(k) => entries.iter().all(|e| &e.name != k || e.source != dynamic),
        })
}

/// The changed configs read back once the change shows (or after [`CONFIG_WAIT`], as they then read).
pub async fn configs_after(
    client: &Client,
    resource: &ConfigResource,
    ops: &[AlterConfigOp],
) -> anyhow::Result<Vec<ConfigEntry>> {
    let keys: Vec<String> = ops
        .iter()
        .map(|op| match op {
            AlterConfigOp::Set(k, _) | AlterConfigOp::Delete(k) => k.clone(),
        })
        .collect();
    let keys = &keys;
    let (entries, _) = settle(
        CONFIG_WAIT.min(client.config().api_timeout),
        || async move {
            let entries = client.describe_configs(resource, Some(keys)).await?;
            let done = reflected(resource, ops, &entries);
            Ok((entries, done))
        },
    )
    .await?;
    Ok(entries)
}

/// Waits until the brokers list `topic`, with `partitions` partitions when given, each with a leader. Returns
/// whether it showed in time.
pub async fn topic_listed(
    client: &Client,
    topic: &str,
    partitions: Option<usize>,
) -> anyhow::Result<bool> {
    let names = [topic.to_string()];
    let names = &names;
    let (_, shown) = settle(client.config().api_timeout, || async move {
        let md = client.metadata(Some(names)).await?;
        let ok = md.topics.iter().any(|t| {
            t.name == topic
                && partitions.is_none_or(|n| t.partitions.len() == n)
                && t.partitions.iter().all(|p| p.leader >= 0)
        });
        Ok(((), ok))
    })
    .await?;
    Ok(shown)
}

/// Waits until the brokers no longer list any of `topics`. Returns whether they were gone in time.
pub async fn topics_gone(client: &Client, topics: &[String]) -> anyhow::Result<bool> {
    let (_, gone) = settle(client.config().api_timeout, || async move {
        let md = client.metadata(Some(topics)).await?;
        Ok(((), md.topics.is_empty()))
    })
    .await?;
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, value: &str, source: &'static str) -> ConfigEntry {
        ConfigEntry {
            name: name.into(),
            value: Some(value.into()),
            source,
            read_only: false,
            sensitive: false,
            synonyms: vec![ConfigSynonym {
                name: name.into(),
                value: Some(value.into()),
                source,
            }],
        }
    }

    #[test]
    fn a_change_shows_once_the_value_and_its_source_do() {
        let topic = ConfigResource::Topic("t".into());
        let set = [AlterConfigOp::Set("retention.ms".into(), "5".into())];
        assert!(!reflected(
            &topic,
            &set,
            &[entry("retention.ms", "9", "DEFAULT_CONFIG")]
        ));
        assert!(!reflected(
            &topic,
            &set,
            &[entry("retention.ms", "9", "DYNAMIC_TOPIC_CONFIG")]
        ));
        assert!(reflected(
            &topic,
            &set,
            &[entry("retention.ms", "5", "DYNAMIC_TOPIC_CONFIG")]
        ));
        let delete = [AlterConfigOp::Delete("retention.ms".into())];
        assert!(!reflected(
            &topic,
            &delete,
            &[entry("retention.ms", "5", "DYNAMIC_TOPIC_CONFIG")]
        ));
        assert!(reflected(
            &topic,
            &delete,
            &[entry("retention.ms", "9", "DEFAULT_CONFIG")]
        ));
        // Cluster-wide defaults list only what is set: a deleted one is simply absent.
        assert!(reflected(&ConfigResource::BrokerDefaults, &delete, &[]));
        // Half applied: the new source already, the old value still.
        let mut half = entry("retention.ms", "5", "DEFAULT_CONFIG");
        half.synonyms[0].value = Some("9".into());
        assert!(!reflected(&topic, &delete, &[half]));
    }
}
