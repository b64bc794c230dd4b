# Helpers shared by dev/peers and the peer files in dev/peers.d/. Sourced, never run.

say() { printf '[peers] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The folder holding a peer's runtime data and its PID file.
peer_dir() { echo "$AUTOMQ_PEERS_RUN/$1"; }

# Record a PID to be killed by `dev/peers down NAME`.
add_pid() { mkdir -p "$(peer_dir "$1")"; echo "$2" >>"$(peer_dir "$1")/pids"; }

# SIGTERM every recorded PID, wait up to 20 s, then SIGKILL what is left.
kill_pids() {
  local f pid i
  f="$(peer_dir "$1")/pids"
  [ -f "$f" ] || return 0
  while read -r pid; do
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || true
  done <"$f"
  for i in $(seq 1 40); do
    local alive=0
    while read -r pid; do
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
    done <"$f"
    [ $alive = 0 ] && break
    sleep 0.5
  done
  while read -r pid; do
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done <"$f"
  rm -f "$f"
}

# wait_for SECONDS CMD...: run CMD every half second until it succeeds or SECONDS pass.
wait_for() {
  local limit=$1 start
  shift
  start=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    [ $(($(date +%s) - start)) -ge "$limit" ] && return 1
    sleep 0.5
  done
}

# port_open PORT [HOST]: true when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# apt_install PKG...: install Debian packages that are missing, running `apt-get update` once per boot.
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ ! -f /var/lib/apt/automq-updated ] || [ /var/lib/apt/automq-updated -ot /proc/1 ]; then
    apt-get update -qq
    touch /var/lib/apt/automq-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
