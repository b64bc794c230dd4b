#!/usr/bin/env bash
# franz-go's kgo package tests: the module from the Go module proxy, its test binary built once, each test run in
# its own process against a broker (KGO_SEEDS).
#
#   dev/suites/franz-go.sh install | list | version | broker | run TEST...   (see dev/suites/lib.sh)
#
# The package mixes unit tests with tests that reach a broker; only the latter count. A test counts when it, or a
# test helper it calls, dials the seeds (getSeedBrokers through newTestClient, testClientOpts or adm) or a SASL
# listener (KGO_TEST_SCRAM_SEEDS, KGO_TEST_OAUTH_SEEDS).
set -euo pipefail
# shellcheck source=dev/suites/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FRANZ_GO=v1.22.3
HOME_DIR=$SUITES_CACHE/franz-go/$FRANZ_GO
BIN=$HOME_DIR/kgo.test
TEST_TIMEOUT=${FRANZ_GO_TEST_TIMEOUT:-180}

# Go's module and build caches live with the suites; the machine's own toolchain builds (no toolchain download).
go_env() {
  env GOMODCACHE="$SUITES_CACHE/go/mod" GOCACHE="$SUITES_CACHE/go/cache" GOTOOLCHAIN=local \
    GOFLAGS="-modcacherw -buildvcs=false" "$@"
}

install() {
  local dir
  if stamp_ok "$HOME_DIR" "$FRANZ_GO" && [ -x "$BIN" ]; then
    say "franz-go $FRANZ_GO: kgo test binary already built in $HOME_DIR"
    return 0
  fi
  command -v go >/dev/null || die "franz-go: the go command is missing (Go 1.26 or later is needed)"
  mkdir -p "$HOME_DIR"
  say "franz-go $FRANZ_GO: fetching the module and building the kgo test binary"
  dir=$(go_env go mod download -json "github.com/twmb/franz-go@$FRANZ_GO" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || die "franz-go: go mod download gave no module folder"
  rm -rf "$HOME_DIR/src"
  cp -r "$dir" "$HOME_DIR/src"
  chmod -R u+w "$HOME_DIR/src"
  (cd "$HOME_DIR/src" && go_env go test -c -o "$BIN" ./pkg/kgo) ||
    die "franz-go: building the kgo test binary failed"
  echo "$FRANZ_GO" >"$HOME_DIR/.complete"
  say "franz-go $FRANZ_GO: built $BIN"
}

list() {
  [ -d "$HOME_DIR/src/pkg/kgo" ] || die "franz-go is not installed; run: dev/suites/run install franz-go"
  python3 - "$HOME_DIR/src/pkg/kgo" <<'PY'
import glob, re, sys
# Every function and method of the package's test files, by name, with its body.
bodies = {}
for path in sorted(glob.glob(sys.argv[1] + "/*_test.go")):
    src = open(path).read()
    for chunk in re.split(r"\n(?=func )", src):
        m = re.match(r"func (?:\([^)]*\)\s*)?(\w+)", chunk)
        # init runs for every test; it reads the seed variables but dials nothing.
        if m and m.group(1) != "init":
            bodies.setdefault(m.group(1), []).append(chunk)
roots = re.compile(r"getSeedBrokers\(|scramSeeds|oauthSeeds")
reaches = {n for n, bs in bodies.items() if any(roots.search(b) for b in bs)}
# Close over calls: a function that calls one that reaches a broker reaches it too.
changed = True
while changed:
    changed = False
    for name, bs in bodies.items():
        if name in reaches:
            continue
        called = set(re.findall(r"\b(\w+)\(", "\n".join(b.split("\n", 1)[-1] for b in bs)))
        if called & reaches:
            reaches.add(name)
            changed = True
for name in sorted(bodies):
    if name.startswith("Test") and name in reaches and name != "TestMain":
        print(name)
PY
}

run() {
  local name log t0 rc
  [ -x "$BIN" ] || die "franz-go is not installed; run: dev/suites/run install franz-go"
  for name in "$@"; do
    log=$SUITE_LOGS/$name
    t0=$(now_ms)
    rc=0
    # RF 1: one broker. A bounded record count keeps the chained produce/consume tests to seconds. test2json
    # tells which subtest failed, and with which line.
    (cd "$HOME_DIR/src/pkg/kgo" && KGO_SEEDS=$SUITE_BOOTSTRAP KGO_TEST_RF=1 KGO_TEST_RECORDS=${KGO_TEST_RECORDS:-10000} \
      go_env timeout -k 10 $((TEST_TIMEOUT + 30)) go tool test2json -t "$BIN" -test.run "^${name}\$" \
      -test.v=test2json -test.count=1 -test.timeout "${TEST_TIMEOUT}s") >"$log.json" 2>"$log.stderr" || rc=$?
    python3 - "$name" "$log" "$rc" "$(secs_since "$t0")" >>"$SUITE_OUT" <<'PY'
import json, re, sys
name, log, rc, secs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
out, action = {}, {}
with open(log + ".json") as f, open(log + ".log", "w") as text:
    for line in f:
        try:
            ev = json.loads(line)
        except ValueError:
            text.write(line)
            continue
        test = ev.get("Test", "")
        if ev.get("Action") == "output":
            text.write(ev.get("Output", ""))
            out.setdefault(test, []).append(ev.get("Output", ""))
        elif ev.get("Action") in ("pass", "fail", "skip") and test:
            action[test] = ev["Action"]
def first(lines, pattern):
    for l in lines:
        if re.search(pattern, l):
            return l.strip()
    return ""
status = action.get(name)
note = ""
if status == "pass":
    result = "pass"
elif status == "skip":
    result, note = "skip", first(reversed(out.get(name, [])), r"_test\.go:\d+: ")
else:
    result = "fail"
    failed = [t for t, a in action.items() if a == "fail" and (t == name or t.startswith(name + "/"))]
    leaves = [t for t in failed if not any(o.startswith(t + "/") for o in failed)] or [name]
    for t in leaves:
        note = first(out.get(t, []), r"_test\.go:\d+: (?!.*(completed in|[Ss]kip))")
        if note:
            note = (t + ": " if t != name else "") + note
            break
    if not note:
        note = first(sum(out.values(), []), r"^panic:|test timed out")
    if rc == "124":
        note = "timed out; " + note
    note = note or f"exit {rc}"
print(f"{name}\t{result}\t{secs}\t{' '.join(note.split())[:200]}")
PY
    rm -f "$log.json"
  done
}

version() { echo "$FRANZ_GO"; }

suite_main "$@"
