//! `automqctl`: the admin CLI. Command groups live in their own modules; this file parses flags, runs the
//! command, prints errors with their whole cause chain and owns the exit codes.

mod bench;
mod output;
mod storage;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use output::OutputFormat;

/// Administer automq clusters and the storage they run on.
#[derive(Debug, Parser)]
#[command(
    name = "automqctl",
    version,
    about = "Administer automq clusters and the storage they run on",
    max_term_width = 100,
    after_help = "Exit codes:\n  0  success\n  1  the command ran and found a problem (an unreachable store, a \
                  store that cannot serve a role)\n  2  bad usage or configuration"
)]
struct Cli {
    /// How to print results.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Table)]
    output: OutputFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    let result = runtime.block_on(async {
        match cli.command {
            Command::Storage(cmd) => storage::run(cmd, cli.output).await,
            Command::Bench(args) => bench::run(*args, cli.output).await,
            Command::Completions { shell } => {
                use clap::CommandFactory;
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
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Reported>() => ExitCode::FAILURE,
        Err(e) if e.is::<Usage>() => {
            eprintln!("automqctl: error: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("automqctl: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
