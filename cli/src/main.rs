//! `automqctl`: the admin CLI. Command groups live in their own modules; this file parses flags, runs the
//! command, prints errors as one line with their whole cause chain and a hint, and owns the exit codes.

mod bench;
mod cluster;
mod connect;
mod group;
mod output;
mod pattern;
mod profile;
mod settle;
mod storage;
mod time;
mod topic;

use std::process::ExitCode;

use automq_client::{ErrorKind, Resource};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use connect::Selection;
use output::OutputFormat;

const EXIT_CODES: &str = "Exit codes:
  0  success
  1  the command ran and found a problem (an unknown topic, a refused change, an unfit store)
  2  bad usage or configuration (flags, -X settings, profiles)
  3  the cluster could not be reached or did not answer in time";

/// Administer automq clusters and the storage they run on.
#[derive(Debug, Parser)]
#[command(
    name = "automqctl",
    version,
    about = "Administer automq clusters and the storage they run on",
    max_term_width = 100,
    after_help = EXIT_CODES
)]
struct Cli {
    /// How to print results.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Table,
          help_heading = "Global options")]
    output: OutputFormat,
    /// The cluster's bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile's address.
    #[arg(
        long,
        short = 'b',
        global = true,
        env = "AUTOMQ_BOOTSTRAP_SERVER",
        hide_env_values = true,
        value_name = "HOST:PORT",
        help_heading = "Global options"
    )]
    bootstrap_server: Option<String>,
    /// A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile.
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        help_heading = "Global options"
    )]
    profile: Option<String>,
    /// A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms,
    /// socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes.
    #[arg(short = 'X', global = true, value_name = "KEY=VALUE", value_parser = connect::parse_key_value,
          help_heading = "Global options")]
    overrides: Vec<(String, String)>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create, list, describe, reconfigure, grow, trim and delete topics.
    #[command(subcommand)]
    Topic(topic::TopicCommand),
    /// List and describe consumer groups, move their committed offsets, delete them.
    #[command(subcommand)]
    Group(group::GroupCommand),
    /// The cluster's identity, brokers and broker configs.
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
    /// Save clusters under names and pick the one commands use.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Check storage locations before a broker uses them.
    #[command(subcommand)]
    Storage(storage::StorageCommand),
    /// Benchmark producing and consuming: throughput, latency percentiles, pictures.
    ///
    /// Against a cluster (automq or Apache Kafka), an automqd started on a chosen backend, or two of them in
    /// turn with the ratio of each metric.
    Bench(Box<bench::BenchArgs>),
    /// Print a shell completion script (see the README for where each shell loads it from).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// A failure that already printed its own report: exit 1 without another message.
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("reported")
    }
}

impl std::error::Error for Reported {}

/// A usage or configuration problem: exit 2.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A problem the command found, with the fix to suggest: exit 1.
#[derive(Debug)]
pub struct Problem {
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let selection = Selection {
        bootstrap: cli.bootstrap_server.clone(),
        bootstrap_on_command_line: matches.value_source("bootstrap_server")
            == Some(ValueSource::CommandLine),
        profile: cli.profile.clone(),
        overrides: cli.overrides.clone(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("automqctl: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let output = cli.output;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Topic(cmd) => topic::run(cmd, &selection, output).await,
            Command::Group(cmd) => group::run(cmd, &selection, output).await,
            Command::Cluster(cmd) => cluster::run(cmd, &selection, output).await,
            Command::Profile(cmd) => profile::run(cmd, &selection, output),
            Command::Storage(cmd) => storage::run(cmd, output).await,
            Command::Bench(mut args) => {
                // The global -X settings are librdkafka's here.
                args.client_config = cli.overrides.clone();
                bench::run(*args, output).await
            }
            Command::Completions { shell } => {
                clap_complete::generate(
                    shell,
                    &mut Cli::command(),
                    "automqctl",
                    &mut std::io::stdout(),
                );
                Ok(())
            }
        }
    });
    // Connections close with the runtime; nothing left to wait for.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

/// Prints the error as one line with a hint and picks the exit code.
fn report(e: &anyhow::Error) -> ExitCode {
    if e.is::<Reported>() {
        return ExitCode::FAILURE;
    }
    let chain = format!("{e:#}");
    let (code, hint) = classify(e);
    match hint {
        Some(h) => eprintln!("automqctl: error: {chain}; hint: {h}"),
        None => eprintln!("automqctl: error: {chain}"),
    }
    ExitCode::from(code)
}

fn classify(e: &anyhow::Error) -> (u8, Option<String>) {
    if let Some(p) = e.downcast_ref::<Problem>() {
        return (1, Some(p.hint.clone()));
    }
    if e.is::<Usage>() {
        // Usage messages carry their own fix.
        return (2, None);
    }
    let Some(client) = e
        .chain()
        .find_map(|c| c.downcast_ref::<automq_client::Error>())
    else {
        return (1, None);
    };
    if let automq_client::Error::UnknownBroker { .. } = client {
        return (1, Some("`automqctl cluster info` lists the brokers".into()));
    }
    let resource = match client {
        automq_client::Error::Kafka { resource, .. } => Some(resource),
        automq_client::Error::GaveUp { last, .. } => match last.as_ref() {
            automq_client::Error::Kafka { resource, .. } => Some(resource),
            _ => None,
        },
        _ => None,
    };
    let hint = |s: &str| Some(s.to_string());
    match client.kind() {
        ErrorKind::Unreachable => (
            3,
            hint(
                "check the address (--bootstrap-server, AUTOMQ_BOOTSTRAP_SERVER or the profile) and that the \
                 brokers are up",
            ),
        ),
        ErrorKind::Timeout => (
            3,
            hint(
                "the cluster answers slowly or not at all; -X request.timeout.ms and -X default.api.timeout.ms \
                 allow more time",
            ),
        ),
        ErrorKind::Config => (2, hint("see `automqctl --help` for the -X settings")),
        ErrorKind::NotFound => (
            1,
            match resource {
                Some(Resource::Topic(_) | Resource::Partition { .. }) => hint(
                    "`automqctl topic list` shows the topics, `topic describe` their partitions",
                ),
                Some(Resource::Group(_)) => hint("`automqctl group list` shows the groups"),
                Some(Resource::Broker(_)) => hint("`automqctl cluster info` lists the brokers"),
                _ => None,
            },
        ),
        ErrorKind::AlreadyExists => (
            1,
            match resource {
                Some(Resource::Topic(_)) => {
                    hint("pass --if-not-exists to accept an existing topic")
                }
                _ => None,
            },
        ),
        ErrorKind::InUse => (
            1,
            match resource {
                Some(Resource::Group(_)) => hint(
                    "stop the group's consumers first; `automqctl group describe` lists its members",
                ),
                _ => hint("retry once the operation in progress has finished"),
            },
        ),
        ErrorKind::Denied => (
            1,
            hint("the client's principal lacks the ACL for this operation"),
        ),
        ErrorKind::Unsupported => (
            1,
            hint("the broker is too old for this command, or does not implement it"),
        ),
        ErrorKind::Invalid => (
            1,
            hint("the broker's reason is above; correct the value and retry"),
        ),
        ErrorKind::Retriable | ErrorKind::Other => (1, None),
    }
}
