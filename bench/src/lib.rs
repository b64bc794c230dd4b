//! Produce and consume workloads against automq or Apache Kafka ([`workload`], run by `automqctl bench`); and the
//! stream engine's own benchmarks ([`engine`], run by the `engine-bench` binary).

pub mod engine;
pub mod workload;
