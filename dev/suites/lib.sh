# Helpers shared by dev/suites/run and the suite scripts beside it. Sourced, never run.
#
# A suite script (dev/suites/NAME.sh) answers three commands:
#   install            fetch and build the suite at its pinned version under $SUITES_CACHE/NAME (idempotent)
#   list               print every test of the suite that targets a broker, one name a line
#   run TEST...        run these tests against $SUITE_BOOTSTRAP and append one result line per test to $SUITE_OUT
# A result line is tab-separated: name, status (pass, fail or skip), seconds, and a short note (the first failure
# line, or why the suite skipped the test). Each test's own output goes under $SUITE_LOGS.
# shellcheck shell=bash

SUITES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AUTOMQ_REPO=$(cd "$SUITES_DIR/../.." && pwd)
export AUTOMQ_CACHE=${AUTOMQ_CACHE:-$HOME/.cache/automq}
# shellcheck disable=SC2034 # used by the scripts that source this file
SUITES_CACHE=$AUTOMQ_CACHE/suites

# The Kafka version automqd emulates, which the suites are told they talk to.
# shellcheck disable=SC2034 # used by the scripts that source this file
KAFKA_EMULATED=4.1.2

# shellcheck source=dev/peers.d/lib.sh
source "$AUTOMQ_REPO/dev/peers.d/lib.sh"
say() { printf '[suites] %s\n' "$*" >&2; }

# result NAME STATUS SECONDS NOTE: one line of $SUITE_OUT. Tabs and newlines in the note become spaces, and the
# note is cut to one screen line.
result() {
  local note=${4:-}
  note=$(printf '%s' "$note" | tr '\t\r\n' '   ' | sed 's/  */ /g; s/^ //; s/ $//' | cut -c1-200)
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$note" >>"$SUITE_OUT"
}

# now_ms: wall clock in milliseconds, for test durations.
now_ms() { date +%s%3N; }
secs_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# strip_ansi: drop terminal colour codes from stdin.
strip_ansi() { sed 's/\x1b\[[0-9;]*m//g'; }

# stamp_ok DIR STAMP: true when DIR/.complete holds STAMP (a finished install of this exact pin).
stamp_ok() { [ -f "$1/.complete" ] && [ "$(cat "$1/.complete")" = "$2" ]; }

# The settings a suite needs from the broker under test, as KEY=VALUE lines: default_partitions (the partition
# count of auto-created topics). A suite script overrides this when its tests count on one.
broker() { :; }

# suite_main "$@": the command line of a suite script, once it has defined install, list, run and version.
suite_main() {
  local cmd=${1:-}
  shift || true
  case "$cmd" in
    install | list | version | broker) "$cmd" ;;
    run) run "$@" ;;
    *) die "usage: $(basename "$0") install | list | version | broker | run TEST..." ;;
  esac
}
