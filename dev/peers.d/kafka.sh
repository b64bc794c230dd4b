# Peer `kafka`: a real Apache Kafka broker (KRaft, one node acting as broker and controller) on 127.0.0.1:19092,
# the migration source and side-by-side reference for our own broker (which owns 9092). Its jars come from Maven
# Central through dev/kafka/pom.xml (the Kafka version is pinned there); dev/kafka-tool runs Kafka's CLI tools
# from the same jars.
# shellcheck shell=bash

kafka_START_TIMEOUT=120
# Another instance (dev/suites/run --target kafka runs its own beside the shared one) sets its ports, its
# default partition count and its own AUTOMQ_PEERS_RUN.
KAFKA_PORT=${AUTOMQ_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${AUTOMQ_KAFKA_CONTROLLER_PORT:-19093}
KAFKA_NUM_PARTITIONS=${AUTOMQ_KAFKA_NUM_PARTITIONS:-1}

kafka_version() {
  sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$AUTOMQ_REPO/dev/kafka/pom.xml" | head -n 1
}
kafka_home() { echo "$AUTOMQ_CACHE/kafka/$(kafka_version)"; }
kafka_java() { if [ -n "${JAVA_HOME:-}" ]; then echo "$JAVA_HOME/bin/java"; else echo java; fi; }

kafka_install() {
  local pom=$AUTOMQ_REPO/dev/kafka/pom.xml home libs stamp tmp
  home=$(kafka_home)
  libs=$home/libs
  # The stamp holds the pom's hash, so editing the pom (another version, another logging jar) refetches.
  stamp=$(sha256sum "$pom" | cut -d' ' -f1)
  if [ -f "$libs/.complete" ] && [ "$(cat "$libs/.complete")" = "$stamp" ]; then
    echo "kafka $(kafka_version): jars already in $libs"
    return 0
  fi
  command -v "$(kafka_java)" >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null 2>&1 || apt_install maven
  mkdir -p "$home"
  tmp=$(mktemp -d "$home/libs.tmp.XXXXXX")
  # Copy into a scratch folder and swap it in whole, so a half-done copy never looks complete.
  if ! mvn -B -q -f "$pom" package -Dkafka.libs="$tmp"; then
    rm -rf "$tmp"
    return 1
  fi
  [ -n "$(ls "$tmp"/kafka_2.13-*.jar "$tmp"/kafka-tools-*.jar 2>/dev/null)" ] || { rm -rf "$tmp"; return 1; }
  echo "$stamp" >"$tmp/.complete"
  rm -rf "$libs"
  mv "$tmp" "$libs"
  echo "kafka $(kafka_version): $(ls "$libs" | wc -l) jars in $libs"
}

kafka_start() {
  local dir home java cluster_id log=$AUTOMQ_PEERS_LOGS/kafka.log pid
  dir=$(peer_dir kafka)
  home=$(kafka_home)
  java=$(kafka_java)
  if port_open "$KAFKA_PORT" || port_open "$KAFKA_CONTROLLER_PORT"; then
    echo "kafka: 127.0.0.1:$KAFKA_PORT or :$KAFKA_CONTROLLER_PORT is already taken"
    return 1
  fi
  # Fresh server every start (keep the pids file: dev/peers may still need it).
  find "$dir" -mindepth 1 -maxdepth 1 ! -name pids -exec rm -rf {} +
  mkdir -p "$dir/data"

  cat >"$dir/server.properties" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=$KAFKA_NUM_PARTITIONS
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
CONF

  # Broker logs go to stdout, which lands in the peer log. The server's "started" line is also copied into
  # $dir/started.log, a cheap first gate for kafka_health. ${sys:peer.log.level} lets formatting run at WARN.
  cat >"$dir/log4j2.properties" <<CONF
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
appender.started.type = File
appender.started.name = STARTED
appender.started.fileName = $dir/started.log
appender.started.layout.type = PatternLayout
appender.started.layout.pattern = %m%n
rootLogger.level = \${sys:peer.log.level:-info}
rootLogger.appenderRef.out.ref = STDOUT
logger.raftserver.name = kafka.server.KafkaRaftServer
logger.raftserver.appenderRef.started.ref = STARTED
logger.clients.name = org.apache.kafka.clients
logger.clients.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
CONF

  # A Kafka cluster id is 16 random bytes in unpadded URL-safe base64 (what `StorageTool random-uuid` prints).
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  echo "kafka: formatting $dir/data (cluster id $cluster_id)"
  "$java" -Xmx256m -XX:+UseSerialGC -Dpeer.log.level=warn -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$home/libs/*" kafka.tools.StorageTool format --standalone \
    -t "$cluster_id" -c "$dir/server.properties" </dev/null >>"$log" 2>&1 || return 1

  echo "kafka: starting $(kafka_version) on 127.0.0.1:$KAFKA_PORT"
  setsid "$java" -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$home/libs/*" kafka.Kafka "$dir/server.properties" </dev/null >>"$log" 2>&1 &
  pid=$!
  add_pid kafka "$pid"
  echo "$pid" >"$dir/kafka.pid"
}

# Healthy once the broker is unfenced and serving: the tool's metadata call must list broker 1 at our address.
# The marker and port checks come first so that no JVM is started (on 2 cores, against the booting broker)
# before the server says it has started.
kafka_health() {
  local out
  grep -qs 'Kafka Server started' "$(peer_dir kafka)/started.log" || return 1
  port_open "$KAFKA_PORT" || return 1
  out=$(timeout 30 "$AUTOMQ_REPO/dev/kafka-tool" broker-api-versions \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" 2>/dev/null) || return 1
  [[ $out == *"127.0.0.1:$KAFKA_PORT (id: 1 "* ]]
}

kafka_env() {
  echo "AUTOMQ_PEER_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT"
  echo "AUTOMQ_PEER_KAFKA_VERSION=$(kafka_version)"
  echo "AUTOMQ_PEER_KAFKA_TOOL=$AUTOMQ_REPO/dev/kafka-tool"
  echo "AUTOMQ_PEER_KAFKA_LIBS=$(kafka_home)/libs"
}
