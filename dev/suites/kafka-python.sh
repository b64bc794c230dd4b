#!/usr/bin/env bash
# kafka-python's integration tests (test/integration of its source distribution from PyPI), in a virtualenv of
# their own, pointed at a running broker through the suite's own external-broker mode (KAFKA_URI), with
# KAFKA_VERSION set to the Kafka version automqd emulates.
#
#   dev/suites/kafka-python.sh install | list | version | broker | run TEST...   (see dev/suites/lib.sh)
#
# A test's name is its pytest node id under test/integration/ (file::function[parameters]).
set -euo pipefail
# shellcheck source=dev/suites/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_PYTHON=3.0.12
HOME_DIR=$SUITES_CACHE/kafka-python/$KAFKA_PYTHON
VENV=$HOME_DIR/venv
SRC=$HOME_DIR/src
TEST_TIMEOUT=${KAFKA_PYTHON_TEST_TIMEOUT:-120}

# The test dependencies (its `testing` extra and the codecs its compression tests use), pinned.
REQUIREMENTS=("kafka-python==$KAFKA_PYTHON" pytest==9.2.0 pytest-mock==3.17.0 pytest-timeout==2.4.0 lz4==4.4.5
  zstandard==0.25.0 python-snappy==0.7.3 cramjam==2.14.0 crc32c==2.9.post0)

install() {
  if stamp_ok "$HOME_DIR" "${REQUIREMENTS[*]}" && [ -x "$VENV/bin/pytest" ] && [ -d "$SRC/test/integration" ]; then
    say "kafka-python $KAFKA_PYTHON: already installed in $HOME_DIR"
    return 0
  fi
  command -v python3 >/dev/null || apt_install python3
  if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then apt_install python3-venv; fi
  rm -rf "$HOME_DIR"
  mkdir -p "$HOME_DIR"
  say "kafka-python $KAFKA_PYTHON: virtualenv, test dependencies and the source distribution's tests"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${REQUIREMENTS[@]}" >&2
  # The tests live only in the source distribution.
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: \
    "kafka-python==$KAFKA_PYTHON" -d "$HOME_DIR/sdist" >&2
  mkdir -p "$SRC"
  tar -xzf "$HOME_DIR/sdist/kafka_python-$KAFKA_PYTHON.tar.gz" -C "$SRC" --strip-components=1
  # The source distribution leaves out test/__init__.py, so `test.testutil` would resolve to Python's own `test`
  # package; the repository has the file, empty.
  : >"$SRC/test/__init__.py"
  echo "${REQUIREMENTS[*]}" >"$HOME_DIR/.complete"
  say "kafka-python $KAFKA_PYTHON: installed"
}

pytest_env() {
  # The suite's test/service.py is not in the source distribution; ours serves its external-broker mode.
  cp "$SUITES_DIR/kafka-python/service.py" "$SRC/test/service.py"
  # The fixtures insist that KAFKA_ROOT (a Kafka distribution to spawn brokers from) is a folder, even when they
  # spawn nothing; an empty one does.
  mkdir -p "$HOME_DIR/no-kafka-root"
  (cd "$SRC" && KAFKA_VERSION=$KAFKA_EMULATED KAFKA_URI=tcp://${SUITE_BOOTSTRAP:-127.0.0.1:9} \
    KAFKA_ROOT=$HOME_DIR/no-kafka-root "$VENV/bin/python" -m pytest -p no:cacheprovider "$@")
}

list() {
  [ -d "$SRC/test/integration" ] || die "kafka-python is not installed; run: dev/suites/run install kafka-python"
  pytest_env --collect-only -q test/integration | grep '::' | sed 's|^test/integration/||'
}

run() {
  local junit=$SUITE_LOGS/junit.xml t0 rc=0 t
  [ -x "$VENV/bin/pytest" ] || die "kafka-python is not installed; run: dev/suites/run install kafka-python"
  t0=$(now_ms)
  # One pytest run for all the tests asked for (node ids under test/integration), each bounded by pytest-timeout.
  local tests=()
  for t in "$@"; do tests+=("test/integration/$t"); done
  # Native tracebacks: pytest's own formatting of some failures here dies in Python's AST parser. A timeout by
  # signal fails the one test; the suite's default (by thread) ends the whole run, report and all.
  pytest_env -v -rA --tb=native --timeout="$TEST_TIMEOUT" --timeout-method=signal --junitxml="$junit" \
    -o junit_family=xunit1 \
    "${tests[@]}" >"$SUITE_LOGS/pytest.log" 2>&1 || rc=$?
  [ -f "$junit" ] || die "kafka-python: pytest exited $rc without a report (log: $SUITE_LOGS/pytest.log)"
  "$VENV/bin/python" - "$junit" "$@" >>"$SUITE_OUT" <<'PY'
import sys
import xml.etree.ElementTree as ET

junit, wanted = sys.argv[1], sys.argv[2:]
found = {}
for case in ET.parse(junit).iter("testcase"):
    # classname is the module's dotted path, then the test class if there is one.
    parts = case.get("classname", "").split(".")
    cls = [parts.pop()] if parts and parts[-1][:1].isupper() else []
    name = "::".join(["/".join(parts).split("test/integration/")[-1] + ".py"] + cls + [case.get("name")])
    status, note = "pass", ""
    for kind in ("failure", "error", "skipped"):
        el = case.find(kind)
        if el is not None:
            status = "skip" if kind == "skipped" else "fail"
            text = (el.get("message") or el.text or kind).strip()
            note = text.splitlines()[0] if text else kind
            break
    # A test can have two entries (a failing teardown adds one): a failure outranks a skip, a skip a pass.
    rank = {"pass": 0, "skip": 1, "fail": 2}
    if name not in found or rank[status] > rank[found[name][0]]:
        found[name] = (status, case.get("time", "0"), note)
for name in wanted:
    status, secs, note = found.get(name, ("fail", "0", "pytest reported nothing for this test"))
    note = " ".join(note.split())[:200]
    print(f"{name}\t{status}\t{float(secs):.1f}\t{note}")
PY
  say "kafka-python: pytest took $(secs_since "$t0")s"
}

version() { echo "$KAFKA_PYTHON"; }

# The suite's own broker fixture runs Kafka with 4 partitions per topic (fixtures.py); some tests, such as the
# transactional offsets one, use partition 1 of a topic a previous test auto-created.
broker() { echo "default_partitions=4"; }

suite_main "$@"
