#!/usr/bin/env bash
# librdkafka's own regression suite (tests/ of the librdkafka sources that the rdkafka-sys crate bundles), built
# with its CMake project and run test by test against a broker.
#
#   dev/suites/librdkafka.sh install | list | version | broker | run TEST...   (see dev/suites/lib.sh)
#
# Only tests that talk to a broker count: the local ones (TEST_F_LOCAL, manual, and those on librdkafka's mock
# cluster) never reach it. Each test number runs in its own test-runner process, without the socket-emulation
# tests (-E), with TEST_KAFKA_VERSION set to the Kafka version automqd emulates, so that the suite gates its tests
# by version as it would against Kafka itself. Not in quick mode (-Q): it skips every sub-test not marked quick,
# so that many tests would pass having done nothing.
set -euo pipefail
# shellcheck source=dev/suites/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The rdkafka-sys crate that bundles librdkafka 2.12.1 (the one the rdkafka 0.39 crate builds).
RDKAFKA_SYS=4.10.0+2.12.1
LIBRDKAFKA=${RDKAFKA_SYS#*+}
HOME_DIR=$SUITES_CACHE/librdkafka/$LIBRDKAFKA
RUNNER=$HOME_DIR/build/tests/test-runner
# Seconds one test number may take before it counts as failed.
TEST_TIMEOUT=${LIBRDKAFKA_TEST_TIMEOUT:-240}
# RapidJSON (header-only) serves the tests that check statistics JSON; only librdkafka's own configure script
# detects it, so the CMake build is told directly. Some tests name their topic after __FILE__, which CMake makes
# an absolute path (and so an invalid topic name): the prefix map gives the bare file name, as the suite's own
# Makefile does.
PREFIX_MAP=-fmacro-prefix-map=$HOME_DIR/src/tests/=
CMAKE_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWITH_SSL=ON -DWITH_ZSTD=ON -DWITH_SASL=OFF
  -DRDKAFKA_BUILD_EXAMPLES=OFF -DRDKAFKA_BUILD_TESTS=ON "-DCMAKE_C_FLAGS=$PREFIX_MAP"
  "-DCMAKE_CXX_FLAGS=$PREFIX_MAP -DWITH_RAPIDJSON")

crate_file() {
  compgen -G "${CARGO_HOME:-$HOME/.cargo}/registry/cache/*/rdkafka-sys-$RDKAFKA_SYS.crate" | head -n 1
}

install() {
  local stamp crate scratch
  stamp="rdkafka-sys $RDKAFKA_SYS ${CMAKE_FLAGS[*]}"
  if stamp_ok "$HOME_DIR" "$stamp" && [ -x "$RUNNER" ]; then
    say "librdkafka $LIBRDKAFKA: test-runner already built in $HOME_DIR"
    return 0
  fi
  apt_install build-essential cmake zlib1g-dev libssl-dev libzstd-dev libcurl4-openssl-dev rapidjson-dev
  mkdir -p "$HOME_DIR"
  # cargo fetches the crate into its registry cache; a scratch manifest names the exact version.
  if ! crate=$(crate_file) || [ -z "$crate" ]; then
    scratch=$HOME_DIR/fetch
    mkdir -p "$scratch/src"
    : >"$scratch/src/lib.rs"
    cat >"$scratch/Cargo.toml" <<TOML
[package]
name = "fetch-librdkafka-sources"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
rdkafka-sys = { version = "=$RDKAFKA_SYS", default-features = false }
TOML
    say "librdkafka: fetching rdkafka-sys $RDKAFKA_SYS with cargo"
    cargo fetch --manifest-path "$scratch/Cargo.toml" >&2
    crate=$(crate_file) || die "cargo fetched rdkafka-sys $RDKAFKA_SYS but its .crate is not in the registry cache"
  fi
  rm -rf "$HOME_DIR/src" "$HOME_DIR/build"
  mkdir -p "$HOME_DIR/src" "$HOME_DIR/build"
  tar -xzf "$crate" -C "$HOME_DIR/src" --strip-components=2 "rdkafka-sys-$RDKAFKA_SYS/librdkafka"
  say "librdkafka $LIBRDKAFKA: building the library and test-runner (a few minutes on 2 cores)"
  cmake -S "$HOME_DIR/src" -B "$HOME_DIR/build" "${CMAKE_FLAGS[@]}" >"$HOME_DIR/build/cmake.log" 2>&1 ||
    { tail -n 30 "$HOME_DIR/build/cmake.log" >&2; die "librdkafka: cmake failed (log: $HOME_DIR/build/cmake.log)"; }
  make -C "$HOME_DIR/build" -j"$(nproc)" test-runner >"$HOME_DIR/build/make.log" 2>&1 ||
    { tail -n 30 "$HOME_DIR/build/make.log" >&2; die "librdkafka: build failed (log: $HOME_DIR/build/make.log)"; }
  echo "$stamp" >"$HOME_DIR/.complete"
  say "librdkafka $LIBRDKAFKA: built $RUNNER"
}

# Every test in tests/test.c's table that reaches a broker: not TEST_F_LOCAL, not manual, not on the mock cluster.
list() {
  [ -f "$HOME_DIR/src/tests/test.c" ] || die "librdkafka is not installed; run: dev/suites/run install librdkafka"
  python3 - "$HOME_DIR/src/tests/test.c" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
start = src.index("struct test tests[] = {")
table = src[start:src.index("\n};", start)]
table = re.sub(r"/\*.*?\*/", "", table, flags=re.S)
for entry in table.split("_TEST(")[1:]:
    name = re.match(r"\s*(\w+)", entry).group(1)
    body = entry.split("_TEST(")[0]
    if re.search(r"TEST_F_(LOCAL|MANUAL)\b", body) or name.endswith(("_mock", "_local")):
        continue
    print(name)
PY
}

# The suite's default scenario is a cluster with auto-created topics of 4 partitions; its tests count on that.
broker() { echo "default_partitions=4"; }

run() {
  local conf work nums num log t0 rc secs want status note line
  [ -x "$RUNNER" ] || die "librdkafka is not installed; run: dev/suites/run install librdkafka"
  # A scratch folder beside a link to the sources, as tests/ sits beside src/: 0053 reads ../src/*.json.
  work=$SUITE_LOGS/tests
  mkdir -p "$work"
  ln -sfn "$HOME_DIR/src/src" "$SUITE_LOGS/src"
  conf=$SUITE_LOGS/test.conf
  # Random topic names, so that runs against a long-lived broker never meet an old topic.
  printf 'metadata.broker.list=%s\ntest.topic.random=true\n' "$SUITE_BOOTSTRAP" >"$conf"
  nums=$(printf '%s\n' "$@" | cut -d_ -f1 | sort -u)
  for num in $nums; do
    log=$SUITE_LOGS/$num.log
    t0=$(now_ms)
    rc=0
    # KAFKA_PATH and BROKERS: the tests that create topics with kafka-topics.sh get Kafka's own tool.
    (cd "$work" && TESTS=$num TEST_KAFKA_VERSION=$KAFKA_EMULATED RDKAFKA_TEST_CONF=$conf \
      KAFKA_PATH=$SUITES_DIR/librdkafka/kafka-path BROKERS=$SUITE_BOOTSTRAP \
      timeout -k 10 "$TEST_TIMEOUT" stdbuf -oL "$RUNNER" -E -L -p1) >"$log" 2>&1 || rc=$?
    secs=$(secs_since "$t0")
    for want in "$@"; do
      [ "${want%%_*}" = "$num" ] || continue
      # The summary table: | NAME | STATE | 1.234s | failure or skip reason
      line=$(strip_ansi <"$log" | grep -E "^\| $want +\|" | tail -n 1 || true)
      if [ -n "$line" ]; then
        status=$(awk -F'|' '{ gsub(/ /, "", $3); print $3 }' <<<"$line")
        secs=$(awk -F'|' '{ gsub(/[ s]/, "", $4); print $4 }' <<<"$line")
        note=$(awk -F'|' '{ $1 = $2 = $3 = $4 = ""; print }' <<<"$line")
        # A test that timed out has an empty reason in the table; its failure banner says it.
        [ -n "${note// /}" ] || [ "$status" = PASSED ] ||
          note=$(strip_ansi <"$log" | grep -A1 -m1 -F "### Test \"$want" | sed -n 2p || true)
        case "$status" in
          PASSED) result "$want" pass "$secs" "" ;;
          SKIPPED) result "$want" skip "$secs" "$note" ;;
          *) result "$want" fail "$secs" "${note:-$status}" ;;
        esac
      elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        result "$want" fail "$secs" "killed after ${TEST_TIMEOUT}s"
      else
        # The line after the test's first failure banner says what failed (a test timeout ends the runner early).
        note=$(strip_ansi <"$log" | grep -A1 -m1 -F "### Test \"$want" | sed -n 2p || true)
        result "$want" fail "$secs" "${note:-test-runner exited $rc without a result}"
      fi
    done
  done
  rm -rf "$work" "$SUITE_LOGS/src"
}

version() { echo "$LIBRDKAFKA"; }

suite_main "$@"
