#!/usr/bin/env bash
# Stands in for kafka-topics.sh of a Kafka distribution, which a few librdkafka tests run from $KAFKA_PATH/bin to
# create topics with configs: Kafka's own TopicCommand, through dev/kafka-tool.
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)/kafka-tool" topics "$@"
