#!/usr/bin/env bash
# Scripted scenarios with Apache Kafka's own Java command-line tools and clients (dev/kafka-tool, from the jars of
# the `kafka` peer, version pinned in dev/kafka/pom.xml): topics, the console producer and consumer, consumer
# groups with --reset-offsets, the producer and consumer perf tests, a transactional producer, and more.
#
#   dev/suites/kafka-tools.sh install | list | version | broker | run TEST...   (see dev/suites/lib.sh)
#
# Each scenario is a function sc_NAME below, run in its own shell with `set -e`: it passes when it returns 0 and
# fails on the first command that fails or check that does not hold. Topic and group names are fresh per run.
set -euo pipefail
# shellcheck source=dev/suites/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOL=$AUTOMQ_REPO/dev/kafka-tool
B=${SUITE_BOOTSTRAP:-}
# Each tool call is bounded; a scenario as a whole too.
TOOL_TIMEOUT=${KAFKA_TOOLS_TOOL_TIMEOUT:-90}
TEST_TIMEOUT=${KAFKA_TOOLS_TEST_TIMEOUT:-240}
# Short-lived JVMs start faster with the client compiler alone.
export KAFKA_TOOL_OPTS=${KAFKA_TOOL_OPTS:--XX:TieredStopAtLevel=1 -Xshare:auto}

install() {
  "$AUTOMQ_REPO/dev/peers" install kafka
  say "kafka-tools: Apache Kafka's jars are in place"
}

list() { declare -F | awk '$3 ~ /^sc_/ { sub(/^sc_/, "", $3); print $3 }'; }

# --- helpers for the scenarios --------------------------------------------------------------------------------

kt() { timeout -k 5 "$TOOL_TIMEOUT" "$TOOL" "$@"; }
fail() {
  echo "CHECK FAILED: $*"
  exit 1
}
# fresh NAME: a topic or group name no earlier run used.
# (Hyphens only: Kafka warns about topic names mixing '.' and '_'.)
fresh() { echo "suite-${1}-$(date +%s%N | tail -c 9)$RANDOM"; }
# contains TEXT NEEDLE WHAT
contains() { [[ $1 == *"$2"* ]] || fail "$3: expected '$2' in: $(head -c 600 <<<"$1")"; }
create_topic() { kt topics --bootstrap-server "$B" --create --topic "$1" --partitions "${2:-1}" --replication-factor 1 "${@:3}"; }
# offsets TOPIC TIME: GetOffsetShell's answer, one "topic:partition:offset" line per partition.
offsets() { kt get-offsets --bootstrap-server "$B" --topic "$1" --time "$2"; }
# total_offset TOPIC: the sum of the latest offsets of all partitions.
total_offset() { offsets "$1" -1 | awk -F: '{ s += $NF } END { print s + 0 }'; }
broker_id() {
  kt broker-api-versions --bootstrap-server "$B" | sed -n 's/.*(id: \([0-9-]*\) .*/\1/p' | head -n 1
}
# produce_lines TOPIC N: N lines "key-i:value-i" through the console producer, keyed.
produce_lines() {
  seq 1 "$2" | sed 's/.*/key-&:value-&/' |
    kt console-producer --bootstrap-server "$B" --topic "$1" --property parse.key=true --property key.separator=: \
      --producer-property acks=all
}
# consume_partition TOPIC PARTITION N [ARGS...]: N records from the start of one partition, without a group.
consume_partition() {
  kt console-consumer --bootstrap-server "$B" --topic "$1" --partition "$2" --offset earliest --max-messages "$3" \
    --timeout-ms 30000 --property print.key=true --property key.separator=: "${@:4}" 2>/dev/null
}
# consume_group TOPIC GROUP N: N records as a member of GROUP, committing them.
consume_group() {
  kt console-consumer --bootstrap-server "$B" --topic "$1" --group "$2" --from-beginning --max-messages "$3" \
    --timeout-ms 30000 2>/dev/null
}

# --- scenarios: topics ------------------------------------------------------------------------------------------

sc_topics_create_describe_list() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 3
  out=$(kt topics --bootstrap-server "$B" --describe --topic "$t")
  contains "$out" "PartitionCount: 3" "describe"
  for p in 0 1 2; do contains "$out" "Partition: $p" "describe"; done
  out=$(kt topics --bootstrap-server "$B" --list)
  grep -qxF "$t" <<<"$out" || fail "list: $t missing"
}

sc_topics_create_existing_refused() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 1
  if out=$(create_topic "$t" 1 2>&1); then fail "creating $t twice succeeded"; fi
  contains "$out" "already exists" "second create"
  create_topic "$t" 1 --if-not-exists
}

sc_topics_delete() {
  local t
  t=$(fresh topic)
  create_topic "$t" 2
  kt topics --bootstrap-server "$B" --delete --topic "$t"
  for _ in $(seq 1 20); do
    kt topics --bootstrap-server "$B" --list | grep -qxF "$t" || return 0
    sleep 0.5
  done
  fail "$t still listed after delete"
}

sc_topics_create_with_config() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 1 --config retention.ms=3600000 --config max.message.bytes=2000000
  out=$(kt configs --bootstrap-server "$B" --describe --entity-type topics --entity-name "$t")
  contains "$out" "retention.ms=3600000" "configs --describe"
  contains "$out" "max.message.bytes=2000000" "configs --describe"
}

sc_topics_alter_partitions() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 2
  kt topics --bootstrap-server "$B" --alter --topic "$t" --partitions 4
  out=$(kt topics --bootstrap-server "$B" --describe --topic "$t")
  contains "$out" "PartitionCount: 4" "describe after --alter"
}

# --- scenarios: configs and cluster ----------------------------------------------------------------------------

sc_configs_describe_broker() {
  local id out
  id=$(broker_id)
  [ -n "$id" ] || fail "no broker id from broker-api-versions"
  out=$(kt configs --bootstrap-server "$B" --describe --entity-type brokers --entity-name "$id" --all)
  contains "$out" "All configs for broker $id are:" "configs --describe --all"
  contains "$out" "num.partitions=" "configs --describe --all"
}

sc_configs_alter_topic() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 1
  kt configs --bootstrap-server "$B" --alter --entity-type topics --entity-name "$t" --add-config retention.ms=60000
  out=$(kt configs --bootstrap-server "$B" --describe --entity-type topics --entity-name "$t")
  contains "$out" "retention.ms=60000" "describe after --alter"
}

sc_broker_api_versions() {
  local out
  out=$(kt broker-api-versions --bootstrap-server "$B")
  contains "$out" "(id: " "broker-api-versions"
  contains "$out" "Produce(0):" "broker-api-versions"
  contains "$out" "Fetch(1):" "broker-api-versions"
}

sc_cluster_id() {
  local out
  out=$(kt cluster cluster-id --bootstrap-server "$B")
  [[ $out =~ Cluster\ ID:\ [A-Za-z0-9_-]{22} ]] || fail "cluster-id: $out"
}

sc_log_dirs_describe() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 1
  out=$(kt log-dirs --bootstrap-server "$B" --describe --topic-list "$t")
  contains "$out" "\"$t-0\"" "log-dirs --describe"
}

# --- scenarios: producing and consuming ------------------------------------------------------------------------

sc_console_producer_consumer() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 1
  produce_lines "$t" 200
  out=$(consume_partition "$t" 0 200)
  [ "$out" = "$(seq 1 200 | sed 's/.*/key-&:value-&/')" ] || fail "consumed lines differ: $(head -n 3 <<<"$out")"
}

sc_console_consumer_read_committed() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 1
  produce_lines "$t" 50
  out=$(consume_partition "$t" 0 50 --isolation-level read_committed)
  [ "$(wc -l <<<"$out")" = 50 ] || fail "read_committed consumer read $(wc -l <<<"$out") of 50"
}

sc_get_offsets() {
  local t
  t=$(fresh topic)
  create_topic "$t" 2
  produce_lines "$t" 40
  [ "$(total_offset "$t")" = 40 ] || fail "latest offsets sum to $(total_offset "$t"), not 40"
  [ "$(offsets "$t" -2 | awk -F: '{ s += $NF } END { print s + 0 }')" = 0 ] || fail "earliest offsets not 0"
  # -3: the offset of the record with the largest timestamp, per partition.
  offsets "$t" -3 | grep -q ":[0-9]" || fail "no max-timestamp offsets"
}

sc_producer_perf_acks_all() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 4
  out=$(kt producer-perf-test --topic "$t" --num-records 20000 --record-size 1024 --throughput -1 \
    --producer-props bootstrap.servers="$B" acks=all enable.idempotence=true linger.ms=5)
  contains "$out" "20000 records sent" "producer-perf-test"
  [ "$(total_offset "$t")" = 20000 ] || fail "latest offsets sum to $(total_offset "$t"), not 20000"
}

sc_producer_perf_compression() {
  local t c
  t=$(fresh topic)
  create_topic "$t" 1
  for c in gzip snappy lz4 zstd; do
    kt producer-perf-test --topic "$t" --num-records 2000 --record-size 512 --throughput -1 \
      --producer-props bootstrap.servers="$B" acks=1 compression.type=$c >/dev/null
  done
  [ "$(total_offset "$t")" = 8000 ] || fail "latest offset $(total_offset "$t"), not 8000"
  out=$(consume_partition "$t" 0 8000 | wc -l)
  [ "$out" = 8000 ] || fail "read back $out of 8000 compressed records"
}

sc_verifiable_producer() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 2
  out=$(kt class org.apache.kafka.tools.VerifiableProducer --bootstrap-server "$B" --topic "$t" \
    --max-messages 1000 --acks -1 2>/dev/null)
  contains "$out" '"name":"tool_data"' "VerifiableProducer"
  contains "$out" '"acked":1000' "VerifiableProducer"
  [ "$(total_offset "$t")" = 1000 ] || fail "latest offsets sum to $(total_offset "$t"), not 1000"
}

sc_delete_records() {
  local t f
  t=$(fresh topic)
  create_topic "$t" 1
  produce_lines "$t" 30
  f=$(mktemp)
  printf '{"partitions":[{"topic":"%s","partition":0,"offset":10}],"version":1}\n' "$t" >"$f"
  kt delete-records --bootstrap-server "$B" --offset-json-file "$f"
  rm -f "$f"
  [ "$(offsets "$t" -2 | awk -F: '{ print $NF }')" = 10 ] || fail "earliest offset not 10 after delete-records"
}

# --- scenarios: consumer groups --------------------------------------------------------------------------------

sc_console_consumer_group() {
  local t g out
  t=$(fresh topic)
  g=$(fresh group)
  create_topic "$t" 2
  produce_lines "$t" 60
  out=$(consume_group "$t" "$g" 60)
  [ "$(wc -l <<<"$out")" = 60 ] || fail "the group member read $(wc -l <<<"$out") of 60"
}

sc_consumer_groups_reset_offsets() {
  local t g out
  t=$(fresh topic)
  g=$(fresh group)
  create_topic "$t" 1
  produce_lines "$t" 50
  consume_group "$t" "$g" 50 >/dev/null
  out=$(kt consumer-groups --bootstrap-server "$B" --describe --group "$g")
  grep -E "^$g +$t +0 +50 +50 +0" <<<"$out" >/dev/null || fail "describe after consuming: $out"
  kt consumer-groups --bootstrap-server "$B" --list | grep -qxF "$g" || fail "--list: $g missing"
  out=$(kt consumer-groups --bootstrap-server "$B" --reset-offsets --group "$g" --topic "$t" --to-offset 20 --execute)
  contains "$out" "20" "--reset-offsets --to-offset 20"
  out=$(kt consumer-groups --bootstrap-server "$B" --describe --group "$g")
  grep -E "^$g +$t +0 +20 +50 +30" <<<"$out" >/dev/null || fail "describe after reset: $out"
  out=$(consume_group "$t" "$g" 30)
  [ "$(head -n 1 <<<"$out")" = "value-21" ] || fail "after the reset the group resumed at '$(head -n 1 <<<"$out")'"
  kt consumer-groups --bootstrap-server "$B" --reset-offsets --group "$g" --all-topics --to-earliest --execute >/dev/null
  kt consumer-groups --bootstrap-server "$B" --delete --group "$g"
}

sc_consumer_perf_test() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 2
  kt producer-perf-test --topic "$t" --num-records 10000 --record-size 512 --throughput -1 \
    --producer-props bootstrap.servers="$B" acks=1 >/dev/null
  out=$(kt consumer-perf-test --bootstrap-server "$B" --topic "$t" --messages 10000 --timeout 30000)
  # The data line: start, end, MB, MB/s, records, records/s, ...
  awk -F', *' 'NR > 1 && $5 == 10000 { ok = 1 } END { exit !ok }' <<<"$out" || fail "consumer-perf-test: $out"
}

# --- scenarios: transactions -----------------------------------------------------------------------------------

sc_transactional_producer() {
  local t out
  t=$(fresh topic)
  create_topic "$t" 1
  out=$(kt producer-perf-test --topic "$t" --num-records 2000 --record-size 256 --throughput -1 \
    --transactional-id "$(fresh txn)" --transaction-duration-ms 200 --producer-props bootstrap.servers="$B")
  contains "$out" "2000 records sent" "transactional producer-perf-test"
  out=$(consume_partition "$t" 0 2000 --isolation-level read_committed | wc -l)
  [ "$out" = 2000 ] || fail "a read_committed consumer read $out of 2000 committed records"
}

sc_transactions_list() {
  local out
  out=$(kt transactions --bootstrap-server "$B" list)
  contains "$out" "TransactionalId" "transactions list"
}

# --- the runner ---------------------------------------------------------------------------------------------------

run() {
  local name log t0 rc note
  [ -n "$B" ] || die "SUITE_BOOTSTRAP is not set"
  for name in "$@"; do
    declare -F "sc_$name" >/dev/null || { result "$name" fail 0 "no such scenario"; continue; }
    log=$SUITE_LOGS/$name.log
    t0=$(now_ms)
    rc=0
    timeout -k 10 "$TEST_TIMEOUT" "$0" scenario "$name" >"$log" 2>&1 || rc=$?
    if [ "$rc" = 0 ]; then
      result "$name" pass "$(secs_since "$t0")" ""
    else
      # The broker's refusal if a tool met one, else the check that failed, else the tool's own error line,
      # else the last line that is not the shell's trace.
      note=$(grep -v '^+' "$log" | grep -m1 -E 'does not support|not supported by' || true)
      [ -n "$note" ] || note=$(grep -m1 '^CHECK FAILED: ' "$log" | sed 's/^CHECK FAILED: //' || true)
      [ -n "$note" ] || note=$(grep -v '^+' "$log" | grep -m1 -E '^(ERROR|Error|Exception|Caused by)|Exception:' || true)
      [ -n "$note" ] || note=$(grep -v '^+' "$log" | tail -n 1)
      [ "$rc" = 124 ] && note="timed out after ${TEST_TIMEOUT}s; $note"
      result "$name" fail "$(secs_since "$t0")" "$note"
    fi
  done
}

version() { sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$AUTOMQ_REPO/dev/kafka/pom.xml" | head -n 1; }

if [ "${1:-}" = scenario ]; then
  [ -n "$B" ] || die "SUITE_BOOTSTRAP is not set"
  set -x
  "sc_$2"
  exit 0
fi
suite_main "$@"
