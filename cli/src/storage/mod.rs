//! `automqctl storage`: commands that speak to a storage location directly, before any broker does.

mod check;

use clap::Subcommand;

use crate::output::OutputFormat;

#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput
    /// at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why.
    Check(check::CheckArgs),
}

pub async fn run(cmd: StorageCommand, output: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        StorageCommand::Check(args) => check::run(args, output).await,
    }
}
