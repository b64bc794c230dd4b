//! Produce and consume workloads against automq or Apache Kafka: used by `automqctl bench`.
