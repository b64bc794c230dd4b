//! `automqctl`: the admin CLI. It reaches a cluster only through the Kafka protocol and the admin APIs the
//! daemon exposes; each command group lives in its own module as it lands.

use clap::Parser;

/// Administer automq clusters: deploy, reassign, balance, migrate, benchmark.
#[derive(Debug, Parser)]
#[command(name = "automqctl", version, about, long_about = None)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
