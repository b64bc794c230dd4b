# moto's standalone server: an in-memory AWS emulator; we use its S3. It accepts any credentials and keeps
# nothing on disk, so every start is a fresh store. Installed into its own virtualenv, never the system Python.

MOTO_VERSION=5.2.5
MOTO_PORT=5050
MOTO_ACCESS_KEY=automq
MOTO_SECRET=automq-secret
moto_START_TIMEOUT=60

moto_venv() { echo "$AUTOMQ_CACHE/moto/venv"; }

# Every package of the server's install, pinned (a pip freeze of moto[server] on Python 3.11). Bump them together
# with MOTO_VERSION; the install redoes itself whenever this list changes.
moto_constraints() {
  cat <<'EOF'
annotated-types==0.8.0
antlr4-python3-runtime==4.13.2
attrs==26.1.0
aws-xray-sdk==2.15.0
blinker==1.9.0
boto3==1.44.8
botocore==1.44.8
certifi==2026.10.19.post1
cffi==2.1.1
cfn-lint==1.58.0
charset-normalizer==3.5.3
click==8.5.1
cryptography==50.0.2
docker==7.2.0
Flask==3.1.3
flask-cors==6.0.5
graphql-core==3.3.2
idna==3.20
itsdangerous==2.2.0
Jinja2==3.1.6
jmespath==1.1.0
joserfc==1.8.0
jsonpatch==1.48
jsonpath-ng==1.16.0
jsonpointer==3.12
jsonschema==4.26.0
jsonschema-path==0.5.0
jsonschema-specifications==2025.9.1
lazy-object-proxy==1.13.0
MarkupSafe==3.0.4
moto==5.2.5
mpmath==1.3.0
networkx==3.6.1
openapi-schema-validator==0.9.0
openapi-spec-validator==0.9.0
pathable==0.6.0
py-partiql-parser==0.6.3
pycparser==3.12
pydantic==2.14.4
pydantic-settings==2.16.3
pydantic_core==2.50.5
pyparsing==3.3.3
python-dateutil==2.9.0.post0
python-dotenv==1.2.4
PyYAML==6.0.4
referencing==0.37.0
regex==2026.11.19
requests==2.34.2
responses==0.26.3
rfc3339-validator==0.1.4
rpds-py==2026.9.1
s3transfer==0.19.3
six==1.17.0
sympy==1.14.0
typing-inspection==0.4.5
typing_extensions==4.16.0
urllib3==2.8.0
Werkzeug==3.1.9
wrapt==2.5.2
xmltodict==1.0.4
EOF
}

moto_install() {
  local venv
  venv=$(moto_venv)
  if [ -x "$venv/bin/moto_server" ] && [ -f "$venv/.constraints" ] &&
    moto_constraints | cmp -s - "$venv/.constraints"; then
    return 0
  fi
  rm -rf "$venv"
  # Debian's python3 needs python3-venv for `-m venv`; a python3 from elsewhere (pyenv, /usr/local) has it built in.
  if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then apt_install python3-venv; fi
  python3 -m venv "$venv" || return 1
  moto_constraints >"$venv/constraints.tmp"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-input \
    -c "$venv/constraints.tmp" "moto[server]==$MOTO_VERSION" || return 1
  # Written last: its presence (and equality with the list above) marks a complete install.
  mv "$venv/constraints.tmp" "$venv/.constraints"
}

moto_start() {
  local d
  d=$(peer_dir moto)
  kill_pids moto
  rm -rf "$d"
  mkdir -p "$d/tmp"
  # moto keeps objects in memory (large ones spill to temporary files): keep those under the peer folder too.
  TMPDIR="$d/tmp" nohup "$(moto_venv)/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" \
    </dev/null >>"$AUTOMQ_PEERS_LOGS/moto.log" 2>&1 &
  add_pid moto $!
}

# A real S3 call (ListBuckets) rather than an open port.
moto_health() {
  local out
  out=$(curl -fsS --max-time 3 \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=$MOTO_ACCESS_KEY/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0" \
    "http://127.0.0.1:$MOTO_PORT/") || return 1
  [[ $out == *ListAllMyBucketsResult* ]]
}

moto_env() {
  cat <<EOF
AUTOMQ_PEER_MOTO_ENDPOINT=http://127.0.0.1:$MOTO_PORT
AUTOMQ_PEER_MOTO_ACCESS_KEY=$MOTO_ACCESS_KEY
AUTOMQ_PEER_MOTO_SECRET_KEY=$MOTO_SECRET
AUTOMQ_PEER_MOTO_REGION=us-east-1
AUTOMQ_PEER_MOTO_VERSION=$MOTO_VERSION
EOF
}
