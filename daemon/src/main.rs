use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use automq_stream::engine::{Engine, EngineConfig, WalKind};
use automqd::broker::Broker;
use automqd::config::{self, Config, WalKind as WalKindConfig};
use automqd::groups::{GroupConfig, Groups};
use automqd::handlers::fetch_session::FetchSessions;
use automqd::server::{self, ConnectionLimits};
use automqd::storage;
use automqd::topics::{BrokerSettings, TopicDefaults, Topics};
use automqd::txn::Transactions;
use clap::Parser;
use tokio::net::TcpListener;
use tracing::{info, warn};

/// Keeps a request that declares a huge array from aborting the broker (see automq_protocol::alloc).
#[global_allocator]
static ALLOC: automq_protocol::alloc::ReserveLazily = automq_protocol::alloc::ReserveLazily;

/// automqd: a Kafka-compatible broker that keeps its data on shared storage.
///
/// With no arguments it serves 127.0.0.1:9092 and [::1]:9092 with data under ./data. Settings come from the YAML
/// file, then AUTOMQD_* environment variables (AUTOMQD_NODE_ID, AUTOMQD_STORAGE__DATA, …), then --set flags.
///
/// Exit codes: 0 after a clean shutdown on SIGINT or SIGTERM; 1 on a runtime failure; 2 on a configuration error.
#[derive(Debug, Parser)]
#[command(name = "automqd", version, verbatim_doc_comment)]
struct Args {
    /// A YAML configuration file.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Override one setting, e.g. --set node_id=1 --set storage.data=s3://bucket/prefix (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Print the effective configuration keys and exit.
    #[arg(long)]
    list_keys: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list_keys {
        for k in config::KEYS {
            println!("{k}");
        }
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(args.config.as_deref(), std::env::vars(), &args.sets) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("automqd: error: {e}");
            return ExitCode::from(2);
        }
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr);
    match config.log.format {
        config::LogFormat::Json => logs.json().init(),
        config::LogFormat::Text => logs
            .with_ansi(std::env::var_os("NO_COLOR").is_none())
            .init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("automqd: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("automqd: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let shutdown = shutdown_signal()?;
    let backend = storage::open_backend(&config.storage.data)?;
    backend
        .provision()
        .await
        .with_context(|| format!("preparing storage {}", backend.display_uri()))?;
    backend.probe().await?;
    let mut registry = prometheus_client::registry::Registry::default();
    automqd::metrics::global().register(&mut registry);
    let store_metrics = automq_backends::ObjectStoreMetrics::register(&mut registry);
    let store = automq_backends::engine_store(backend.as_ref(), &store_metrics, "data")?;
    let cluster_id = storage::cluster_identity(
        backend.as_ref(),
        store.as_ref(),
        config.cluster_id.as_deref(),
    )
    .await?;
    info!(cluster_id, node_id = config.node_id, storage = %backend.display_uri(), "storage ready");
    let engine = open_engine(&config, store).await?;
    automqd::metrics::register_engine(&mut registry, engine.clone());
    let health = automqd::metrics::Health {
        node_id: config.node_id,
        cluster_id: cluster_id.clone(),
        node_epoch: engine.node_epoch(),
    };
    let group_config = GroupConfig {
        initial_rebalance_delay: Duration::from_millis(config.groups.initial_rebalance_delay_ms),
        min_session_timeout: Duration::from_millis(config.groups.min_session_timeout_ms),
        max_session_timeout: Duration::from_millis(config.groups.max_session_timeout_ms),
        ..GroupConfig::default()
    };
    let groups = Groups::open(engine.clone(), group_config)
        .await
        .context("opening the group coordinator")?;
    let topics = Topics::open_with(
        engine.clone(),
        TopicDefaults {
            auto_create: config.topics.auto_create,
            partitions: config.topics.default_partitions as u32,
        },
        BrokerSettings {
            static_configs: config
                .topics
                .kafka_configs()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .chain([(
                    "max.incremental.fetch.session.cache.slots".to_string(),
                    config.network.fetch_session_slots.to_string(),
                )])
                .collect(),
            log_dir: backend.display_uri(),
        },
    )
    .await
    .context("loading topics")?;
    let txn = Transactions::open(engine, &topics, &groups).await;

    // The metrics endpoint first: its line comes before the Kafka listeners' in the log.
    let _http = match &config.http.listener {
        Some(addr) => {
            let l = automqd::metrics::bind_http(addr).await?;
            Some(tokio::spawn(automqd::metrics::serve_http(
                l,
                Arc::new(registry),
                health,
            )))
        }
        None => None,
    };
    let listeners = bind(&config.listeners).await?;
    let first = listeners[0].local_addr()?;
    let (advertised_host, advertised_port) = match &config.advertised_listener {
        Some(a) => {
            let (h, p) = a
                .rsplit_once(':')
                .context("advertised_listener must be host:port")?;
            (h.trim_matches(['[', ']']).to_string(), p.parse::<i32>()?)
        }
        None => (first.ip().to_string(), i32::from(first.port())),
    };
    let broker = Arc::new(Broker {
        node_id: config.node_id,
        cluster_id,
        advertised_host,
        advertised_port,
        topics,
        groups,
        txn,
        fetch_sessions: FetchSessions::new(
            config.network.fetch_session_slots,
            Duration::from_secs(120),
        ),
    });
    let expiring = broker.clone();
    tokio::spawn(async move {
        expiring
            .txn
            .expire_forever(&expiring.topics, &expiring.groups, Duration::from_secs(1))
            .await;
    });
    let limits = ConnectionLimits {
        max_request_bytes: config.network.request_max_bytes,
        idle_timeout: Duration::from_millis(config.network.idle_timeout_ms),
        pipeline_depth: config.network.pipeline_depth,
        drain_timeout: Duration::from_secs(10),
    };
    // Retention (and compaction) on the partitions this broker leads, until shutdown.
    let background = tokio::spawn({
        let broker = broker.clone();
        async move { broker.topics.run_background().await }
    });
    server::run(listeners, broker.clone(), limits, shutdown).await;
    background.abort();
    broker
        .topics
        .shutdown()
        .await
        .context("uploading pending data at shutdown (it stays in the WAL and is replayed on the next start)")?;
    info!("stopped");
    Ok(())
}

/// Opens the stream engine on the data store with the configured WAL: registers this node (fencing its earlier
/// lives) and replays what its WAL holds.
async fn open_engine(
    config: &Config,
    store: Arc<dyn object_store::ObjectStore>,
) -> anyhow::Result<Engine> {
    let wal = match config.wal.kind {
        WalKindConfig::File => WalKind::File {
            dir: PathBuf::from(&config.wal.path),
        },
        WalKindConfig::Object => WalKind::Object {
            interval: Duration::from_millis(config.wal.interval_ms),
            max_bytes: config.wal.max_bytes,
        },
    };
    let node = u32::try_from(config.node_id).context("node_id")?;
    let mut engine_config = EngineConfig::new(node, ENGINE_PREFIX, wal);
    engine_config.address = config
        .advertised_listener
        .clone()
        .or_else(|| config.listeners.first().cloned())
        .unwrap_or_default();
    engine_config.upload_interval = Duration::from_millis(config.wal.upload_interval_ms);
    let engine = Engine::open(store, engine_config)
        .await
        .context("opening the stream engine")?;
    info!(node, node_epoch = engine.node_epoch(), wal = ?config.wal.kind, "stream engine ready");
    Ok(engine)
}

/// Where the engine keeps its objects, metadata log and object WAL inside the data location.
const ENGINE_PREFIX: &str = "streams";

/// Binds every listener. The default IPv6 loopback listener is skipped with a warning on a host without IPv6;
/// any other failure stops the start with the address and the cause.
async fn bind(addrs: &[String]) -> anyhow::Result<Vec<TcpListener>> {
    let mut bound = Vec::new();
    for a in addrs {
        let addr: SocketAddr = a.parse().with_context(|| format!("listener `{a}`"))?;
        match TcpListener::bind(addr).await {
            Ok(l) => {
                info!("listening on {}", l.local_addr()?);
                bound.push(l);
            }
            Err(e)
                if addr.is_ipv6()
                    && e.kind() == std::io::ErrorKind::AddrNotAvailable
                    && addrs.len() > 1 =>
            {
                warn!("listener {addr} skipped: this host has no IPv6 loopback ({e})");
            }
            Err(e) => {
                anyhow::bail!(
                    "cannot listen on {addr}: {e}; stop whatever uses it or change `listeners`"
                )
            }
        }
    }
    Ok(bound)
}

/// Watches SIGINT and SIGTERM. The handlers are installed here, before any listener is bound, so a signal that
/// arrives as soon as the broker says it is listening is already a clean shutdown, never the default kill.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => info!("SIGINT received"),
            _ = term.recv() => info!("SIGTERM received"),
        }
    })
}
