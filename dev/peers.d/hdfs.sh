# Peer `hdfs`: a real HDFS (one namenode, one datanode, in one JVM) from Hadoop's mini cluster. The namenode
# serves RPC on 127.0.0.1:8020 and its web UI (with JMX) on 127.0.0.1:9870; the datanode takes free loopback
# ports and advertises itself as 127.0.0.1 so non-Java clients can reach it. Replication 1, permissions off.
# The launcher is our own Maven project dev/minidfs (the Hadoop version is pinned in its pom), built once into
# $AUTOMQ_CACHE/hdfs; a start is then a plain `java -cp`.
# shellcheck shell=bash

hdfs_START_TIMEOUT=120
HDFS_RPC_PORT=8020
HDFS_HTTP_PORT=9870

hdfs_version() {
  sed -n 's:.*<hadoop\.version>\(.*\)</hadoop\.version>.*:\1:p' "$AUTOMQ_REPO/dev/minidfs/pom.xml" | head -n 1
}
hdfs_home() { echo "$AUTOMQ_CACHE/hdfs"; }
hdfs_java() { if [ -n "${JAVA_HOME:-}" ]; then echo "$JAVA_HOME/bin/java"; else echo java; fi; }
hdfs_classpath() { echo "$(hdfs_home)/build/minidfs.jar:$(hdfs_home)/build/libs/*"; }

# Hadoop reaches into JDK internals; Java 17 needs these opened to it.
hdfs_java_opts() {
  local m
  for m in java.lang java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
    sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
    printf -- '--add-opens=java.base/%s=ALL-UNNAMED ' "$m"
  done
  printf -- '-Djava.net.preferIPv4Stack=true -Djava.awt.headless=true'
}

# A hash of the launcher's sources: a changed pom or class rebuilds, anything else reuses the build.
hdfs_source_hash() {
  local src=$AUTOMQ_REPO/dev/minidfs
  (cd "$src" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -d' ' -f1
}

hdfs_install() {
  local home stamp work
  home=$(hdfs_home)
  stamp=$(hdfs_source_hash)
  if [ -f "$home/build/.complete" ] && [ "$(cat "$home/build/.complete")" = "$stamp" ]; then
    echo "hdfs $(hdfs_version): launcher already built in $home/build"
    return 0
  fi
  command -v "$(hdfs_java)" >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null 2>&1 || apt_install maven
  mkdir -p "$home"
  # Build in a scratch copy (the clone stays clean) and swap the result in whole.
  work=$(mktemp -d "$home/work.XXXXXX")
  cp -r "$AUTOMQ_REPO/dev/minidfs/." "$work/src"
  if ! (cd "$work/src" && mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$home/m2" package); then
    rm -rf "$work"
    return 1
  fi
  mkdir -p "$work/build"
  mv "$work/src/target/libs" "$work/build/libs"
  mv "$work/src/target/minidfs-1.0.jar" "$work/build/minidfs.jar"
  echo "$stamp" >"$work/build/.complete"
  rm -rf "$home/build"
  mv "$work/build" "$home/build"
  rm -rf "$work"
  echo "hdfs $(hdfs_version): $(ls "$home/build/libs" | wc -l) jars in $home/build/libs"
}

hdfs_start() {
  local dir java pid log=$AUTOMQ_PEERS_LOGS/hdfs.log
  dir=$(peer_dir hdfs)
  java=$(hdfs_java)
  # A leftover from an earlier start that never became healthy would hold the ports.
  kill_pids hdfs
  if port_open "$HDFS_RPC_PORT" || port_open "$HDFS_HTTP_PORT"; then
    echo "hdfs: 127.0.0.1:$HDFS_RPC_PORT or :$HDFS_HTTP_PORT is already taken"
    return 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir/data" || return 1
  echo "hdfs: starting Hadoop $(hdfs_version) mini cluster, data in $dir/data"
  # shellcheck disable=SC2046
  (cd "$dir" && exec "$java" -Xms128m -Xmx768m -XX:+UseSerialGC $(hdfs_java_opts) \
    -cp "$(hdfs_classpath)" dev.automq.minidfs.MiniDfsMain "$dir/data" "$HDFS_RPC_PORT" "$HDFS_HTTP_PORT") \
    </dev/null >>"$log" 2>&1 &
  pid=$!
  add_pid hdfs "$pid"
  echo "$pid" >"$dir/hdfs.pid"
}

# Healthy when the launcher says the cluster is up (its ready file, fresh per start), the namenode takes RPC
# connections, and the namenode itself reports a live datanode over JMX.
hdfs_health() {
  local dir
  dir=$(peer_dir hdfs)
  [ -f "$dir/data/ready" ] || return 1
  port_open "$HDFS_RPC_PORT" || return 1
  curl -fsS --max-time 3 \
    "http://127.0.0.1:$HDFS_HTTP_PORT/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState" 2>/dev/null |
    grep -Eq '"NumLiveDataNodes" : [1-9]'
}

hdfs_env() {
  echo "AUTOMQ_PEER_HDFS_URL=hdfs://127.0.0.1:$HDFS_RPC_PORT"
  echo "AUTOMQ_PEER_HDFS_VERSION=$(hdfs_version)"
  echo "AUTOMQ_PEER_HDFS_WEB_URL=http://127.0.0.1:$HDFS_HTTP_PORT"
  # Hadoop's own Java client, configured for this cluster (its conf folder comes first); clients need no
  # extra JVM flags:
  #   java -cp "$AUTOMQ_PEER_HDFS_CLASSPATH" org.apache.hadoop.fs.FsShell -ls /
  #   java -cp "$AUTOMQ_PEER_HDFS_CLASSPATH" dev.automq.minidfs.MiniDfsMain --check hdfs://127.0.0.1:8020
  #     (writes, reads back and deletes a small file)
  echo "AUTOMQ_PEER_HDFS_CLASSPATH=$(peer_dir hdfs)/data/conf:$(hdfs_classpath)"
}
