# MinIO, built from source with the Go toolchain (the community edition ships no binaries any more; its module
# stays on the Go module proxy). One node, one drive, fresh data on every start, loopback only.
#
# The pin is a pseudo-version: MinIO's release tags are not semver, so the proxy serves commits by pseudo-version.
# This one is the last commit of the community repository (2026-02-12); its go.mod asks for Go >= 1.24.

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_PORT=9100
MINIO_CONSOLE_PORT=9101
MINIO_USER=automq
MINIO_SECRET=automq-secret
# The first start of a fresh drive formats it; that is quick, but leave room for a loaded machine.
minio_START_TIMEOUT=60

minio_bin() { echo "$AUTOMQ_CACHE/minio/$MINIO_VERSION/bin/minio"; }

minio_install() {
  local root="$AUTOMQ_CACHE/minio" bin
  bin=$(minio_bin)
  [ -x "$bin" ] && return 0
  command -v go >/dev/null || { say "minio: the go command is missing"; return 1; }
  mkdir -p "$root/$MINIO_VERSION"
  say "minio: building $MINIO_VERSION from source (takes several minutes on 2 cores)"
  # Build into a scratch folder and move the binary into place last, so an interrupted build never looks done.
  # -modcacherw keeps the module cache deletable with a plain rm -rf.
  rm -rf "$root/$MINIO_VERSION/bin.tmp"
  GOBIN="$root/$MINIO_VERSION/bin.tmp" \
    GOMODCACHE="$root/gomod" \
    GOCACHE="$root/gocache" \
    GOTOOLCHAIN=local \
    GOFLAGS="-buildvcs=false -modcacherw -trimpath" \
    CGO_ENABLED=0 \
    go install "github.com/minio/minio@$MINIO_VERSION" || return 1
  mkdir -p "$(dirname "$bin")"
  mv "$root/$MINIO_VERSION/bin.tmp/minio" "$bin"
  rm -rf "$root/$MINIO_VERSION/bin.tmp"
}

minio_start() {
  local d
  d=$(peer_dir minio)
  kill_pids minio
  rm -rf "$d"
  mkdir -p "$d/data" "$d/certs"
  MINIO_ROOT_USER=$MINIO_USER \
    MINIO_ROOT_PASSWORD=$MINIO_SECRET \
    MINIO_REGION=us-east-1 \
    MINIO_UPDATE=off \
    MINIO_CALLHOME_ENABLE=off \
    nohup "$(minio_bin)" server "$d/data" \
    --certs-dir "$d/certs" \
    --address "127.0.0.1:$MINIO_PORT" \
    --console-address "127.0.0.1:$MINIO_CONSOLE_PORT" \
    </dev/null >>"$AUTOMQ_PEERS_LOGS/minio.log" 2>&1 &
  add_pid minio $!
}

# "ready" answers 200 only once the drive is formatted and the object layer serves requests.
minio_health() {
  curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$MINIO_PORT/minio/health/ready"
}

minio_env() {
  cat <<EOF
AUTOMQ_PEER_MINIO_ENDPOINT=http://127.0.0.1:$MINIO_PORT
AUTOMQ_PEER_MINIO_CONSOLE=http://127.0.0.1:$MINIO_CONSOLE_PORT
AUTOMQ_PEER_MINIO_ACCESS_KEY=$MINIO_USER
AUTOMQ_PEER_MINIO_SECRET_KEY=$MINIO_SECRET
AUTOMQ_PEER_MINIO_REGION=us-east-1
AUTOMQ_PEER_MINIO_VERSION=$MINIO_VERSION
EOF
}
