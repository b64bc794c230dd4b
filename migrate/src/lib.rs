//! Migration from an existing Kafka cluster into automq, keeping offsets: used by `automqctl migrate`.
