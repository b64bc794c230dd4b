# s3rver: a small S3 emulator on Node that keeps objects as files. It ignores PUT preconditions (If-None-Match,
# If-Match), which makes it our example of a store without create-if-absent. Its one built-in key pair is
# S3RVER/S3RVER: a SigV4 request must name that access key id, but the signature itself is never checked (s3rver
# verifies only SigV2), so a wrong secret goes unnoticed; unsigned requests are served as anonymous.

S3RVER_VERSION=3.7.1
S3RVER_PORT=5051
s3rver_START_TIMEOUT=30

s3rver_prefix() { echo "$AUTOMQ_CACHE/s3rver/$S3RVER_VERSION"; }

s3rver_install() {
  local prefix
  prefix=$(s3rver_prefix)
  [ -x "$prefix/node_modules/.bin/s3rver" ] && [ -f "$prefix/.complete" ] && return 0
  command -v npm >/dev/null || apt_install nodejs npm
  rm -rf "$prefix"
  mkdir -p "$prefix"
  # A package.json of its own keeps npm from walking up into some other project's folder.
  printf '{ "name": "automq-s3rver-peer", "private": true }\n' >"$prefix/package.json"
  npm install --prefix "$prefix" --save-exact --no-audit --no-fund --loglevel=error \
    "s3rver@$S3RVER_VERSION" || return 1
  touch "$prefix/.complete"
}

s3rver_start() {
  local d
  d=$(peer_dir s3rver)
  kill_pids s3rver
  rm -rf "$d"
  mkdir -p "$d/data"
  # It encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17+) keeps in its legacy
  # provider: without that provider every truncated listing page answers 500.
  # --no-vhost-buckets: bucket names always come from the path.
  NODE_OPTIONS=--openssl-legacy-provider nohup "$(s3rver_prefix)/node_modules/.bin/s3rver" \
    --address 127.0.0.1 --port "$S3RVER_PORT" --directory "$d/data" --no-vhost-buckets \
    </dev/null >>"$AUTOMQ_PEERS_LOGS/s3rver.log" 2>&1 &
  add_pid s3rver $!
}

# ListBuckets answers with XML once the server routes requests (anonymous requests are allowed).
s3rver_health() {
  local out
  out=$(curl -fsS --max-time 3 "http://127.0.0.1:$S3RVER_PORT/") || return 1
  [[ $out == *ListAllMyBucketsResult* ]]
}

s3rver_env() {
  cat <<EOF
AUTOMQ_PEER_S3RVER_ENDPOINT=http://127.0.0.1:$S3RVER_PORT
AUTOMQ_PEER_S3RVER_ACCESS_KEY=S3RVER
AUTOMQ_PEER_S3RVER_SECRET_KEY=S3RVER
AUTOMQ_PEER_S3RVER_REGION=us-east-1
AUTOMQ_PEER_S3RVER_VERSION=$S3RVER_VERSION
EOF
}
