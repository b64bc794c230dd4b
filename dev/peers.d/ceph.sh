# Ceph's RADOS Gateway (S3) on a throwaway single-host cluster: one monitor, one OSD with an in-memory object
# store, one radosgw, no manager. From Debian's packages (Debian 12 ships Ceph 16.2, "pacific"); every start
# builds a fresh cluster under the peer folder. Ports, all on 127.0.0.1: 3300 and 6789 (monitor), 6800-6809
# (OSD), 7480 (S3).
#
# The daemons run in the foreground (-f) as background jobs of ours, so their PIDs are known at once; each PID
# also goes to $D/pid/NAME so ceph_stop can stop them in order (gateway, OSD, monitor). Their own logs are
# in $D/log/; the peer log gets their stderr and this script's progress lines.

CEPH_MAJOR=16
CEPH_PACKAGES=(radosgw ceph-mon ceph-osd ceph-common uuid-runtime curl)
CEPH_S3_PORT=7480
CEPH_ACCESS_KEY=automq
CEPH_SECRET_KEY=automq-secret
CEPH_REGION=us-east-1
# A fresh cluster answers S3 in about 5 s on two idle cores; leave room for a loaded machine.
ceph_START_TIMEOUT=120

ceph_conf() { echo "$(peer_dir ceph)/ceph.conf"; }
ceph_log() { echo "$AUTOMQ_PEERS_LOGS/ceph.log"; }
ceph_note() { printf '[ceph %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# The ceph command line, never waiting long for a monitor that is not there.
ceph_cli() { timeout 30 ceph -c "$(ceph_conf)" --connect-timeout 10 "$@"; }

ceph_install() {
  apt_install "${CEPH_PACKAGES[@]}" || return 1
  local p v first=""
  for p in radosgw ceph-mon ceph-osd ceph-common; do
    v=$(dpkg-query -W -f='${Version}' "$p") || return 1
    [ -n "$first" ] || first=$v
    if [ "$v" != "$first" ]; then
      say "ceph: mixed Ceph package versions ($p is $v, radosgw is $first)"
      return 1
    fi
  done
  case "$first" in
    "$CEPH_MAJOR".*) ;;
    *)
      say "ceph: this peer is written for Ceph $CEPH_MAJOR.x (Debian 12), found radosgw $first"
      return 1
      ;;
  esac
  mkdir -p "$AUTOMQ_CACHE/ceph"
  echo "$first" >"$AUTOMQ_CACHE/ceph/version"
}

ceph_version() {
  cat "$AUTOMQ_CACHE/ceph/version" 2>/dev/null || dpkg-query -W -f='${Version}' radosgw 2>/dev/null || echo unknown
}

ceph_write_conf() {
  local d=$1 fsid=$2
  cat >"$d/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_initial_members = a
mon_host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
public_network = 127.0.0.0/8
ms_bind_port_min = 6800
ms_bind_port_max = 6809
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = $d/\$cluster.\$name.keyring
run_dir = $d/run
log_file = $d/log/\$name.log
# Command-line clients (ceph, radosgw-admin) need no admin socket; the daemons set their own below.
admin_socket =
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
mon_max_pg_per_osd = 1000
# By default the monitor shuts itself down below 5% free disk; on a shared test machine the disk may run that low.
mon_data_avail_crit = 1
mon_data_avail_warn = 2
mon_warn_on_insecure_global_id_reclaim = false
mon_warn_on_insecure_global_id_reclaim_allowed = false

[mon]
mon_data = $d/mon/\$cluster-\$id
admin_socket = $d/run/\$name.asok
# Proposals are batched for a second by default; every pool creation waits for one, and the gateway creates
# several. A short interval makes a fresh cluster and the first bucket much quicker.
paxos_propose_interval = 0.1

[osd]
osd_data = $d/osd/\$cluster-\$id
admin_socket = $d/run/\$name.asok
# Objects live in the OSD's memory (nothing on disk, gone at stop): the store reports 4 GiB, of which the
# cluster fills ~95% before refusing writes. The memory target only matters for bluestore; kept as a cap.
osd_objectstore = memstore
memstore_device_bytes = 4294967296
osd_memory_target = 1073741824
osd_op_num_shards = 1
osd_op_num_threads_per_shard = 2

[client.rgw.a]
rgw_data = $d/rgw/\$cluster-\$id
admin_socket = $d/run/\$name.asok
rgw_frontends = beast endpoint=127.0.0.1:$CEPH_S3_PORT
rgw_dns_name = 127.0.0.1
# 512 request threads by default; 128 is plenty for tests and keeps the gateway small.
rgw_thread_pool_size = 128
EOF
}

# Start a daemon in the foreground as our background job and remember its PID.
ceph_daemon() {
  local d=$1 name=$2
  shift 2
  "$@" -f -c "$d/ceph.conf" </dev/null >>"$(ceph_log)" 2>&1 &
  add_pid ceph $!
  echo $! >"$d/pid/$name"
}

ceph_start() {
  local d fsid osd_uuid osd_id p
  d=$(peer_dir ceph)
  ceph_stop || true
  kill_pids ceph
  for p in 3300 6789 "$CEPH_S3_PORT"; do
    if port_open "$p"; then
      ceph_note "port $p on 127.0.0.1 is taken by another process"
      return 1
    fi
  done
  rm -rf "$d"
  mkdir -p "$d/run" "$d/log" "$d/pid" "$d/mon/ceph-a" "$d/rgw/ceph-rgw.a"
  fsid=$(uuidgen)
  ceph_write_conf "$d" "$fsid"
  ceph_note "fresh cluster $fsid in $d (Ceph $(ceph_version)); daemon logs in $d/log"

  # Keys: the monitor's, the admin's and the gateway's all go into the monitor's first database, so only the
  # OSD has to be registered once the monitor runs.
  ceph-authtool --create-keyring "$d/ceph.mon.a.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null || return 1
  ceph-authtool --create-keyring "$d/ceph.client.admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null || return 1
  ceph-authtool --create-keyring "$d/ceph.client.rgw.a.keyring" --gen-key -n client.rgw.a \
    --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null || return 1
  ceph-authtool "$d/ceph.mon.a.keyring" --import-keyring "$d/ceph.client.admin.keyring" >/dev/null || return 1
  ceph-authtool "$d/ceph.mon.a.keyring" --import-keyring "$d/ceph.client.rgw.a.keyring" >/dev/null || return 1
  ceph-authtool --create-keyring "$d/ceph.osd.0.keyring" --gen-key -n osd.0 >/dev/null || return 1

  monmaptool -c "$d/ceph.conf" --create --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' --fsid "$fsid" \
    "$d/monmap" >/dev/null || return 1
  ceph-mon -c "$d/ceph.conf" --mkfs -i a --monmap "$d/monmap" --keyring "$d/ceph.mon.a.keyring" || return 1
  ceph_daemon "$d" mon ceph-mon -i a
  if ! wait_for 30 ceph_cli mon stat; then
    ceph_note "the monitor did not answer within 30 s"
    tail -n 20 "$d/log/mon.a.log" 2>/dev/null
    return 1
  fi
  ceph_note "monitor up"

  osd_uuid=$(uuidgen)
  printf '{"cephx_secret": "%s"}\n' "$(ceph-authtool -p -n osd.0 "$d/ceph.osd.0.keyring")" >"$d/osd-secret.json"
  osd_id=$(ceph_cli osd new "$osd_uuid" -i "$d/osd-secret.json") || return 1
  if [ "$osd_id" != 0 ]; then
    ceph_note "expected OSD id 0, got '$osd_id'"
    return 1
  fi
  mkdir -p "$d/osd/ceph-0"
  ceph-osd -c "$d/ceph.conf" -i 0 --mkfs --osd-uuid "$osd_uuid" --keyring "$d/ceph.osd.0.keyring" \
    >>"$d/log/osd-mkfs.log" 2>&1 || { tail -n 20 "$d/log/osd-mkfs.log"; return 1; }
  ceph_daemon "$d" osd ceph-osd -i 0
  ceph_note "OSD started"

  # The rest waits on the OSD, so it runs behind our back and start returns now: the S3 user first (which also
  # creates the gateway's pools and default zone), then the gateway. ceph_health passes only once a request
  # signed with the user's key is served. This job is short-lived, so its PID is not handed to dev/peers (a
  # reused PID could be killed later); it keeps $D/pid/finish while it runs, for ceph_stop.
  ceph_finish "$d" </dev/null >>"$(ceph_log)" 2>&1 &
  echo $! >"$d/pid/finish"
}

ceph_finish() {
  local d=$1 rc=0
  ceph_finish_steps "$d" || rc=$?
  rm -f "$d/pid/finish"
  return $rc
}

ceph_finish_steps() {
  local d=$1
  if ! wait_for 60 ceph_osd_up; then
    ceph_note "the OSD did not come up within 60 s"
    tail -n 20 "$d/log/osd.0.log" 2>/dev/null
    return 1
  fi
  ceph_note "OSD up"
  if ! timeout 60 radosgw-admin -c "$d/ceph.conf" user create --uid="$CEPH_ACCESS_KEY" \
    --display-name="automq tests" --access-key="$CEPH_ACCESS_KEY" --secret-key="$CEPH_SECRET_KEY" >/dev/null; then
    ceph_note "creating the S3 user failed"
    return 1
  fi
  ceph_note "S3 user '$CEPH_ACCESS_KEY' created"
  # The default zonegroup's S3 name is "default"; name it after our region so that a CreateBucket that states
  # LocationConstraint=us-east-1 is accepted (signatures are accepted for any region either way).
  if ! timeout 60 radosgw-admin -c "$d/ceph.conf" zonegroup modify --rgw-zonegroup=default \
    --api-name="$CEPH_REGION" >/dev/null; then
    ceph_note "renaming the zonegroup to $CEPH_REGION failed"
    return 1
  fi
  ceph_daemon "$d" rgw radosgw -n client.rgw.a
  ceph_note "gateway started on 127.0.0.1:$CEPH_S3_PORT"
}

ceph_osd_up() { ceph_cli osd dump -f json | grep -q '"up":1'; }

# A ListBuckets request signed (SigV4) with the test user's key: proves the gateway runs, reaches RADOS, and
# knows the user.
ceph_health() {
  curl -fsS --max-time 5 --aws-sigv4 "aws:amz:$CEPH_REGION:s3" --user "$CEPH_ACCESS_KEY:$CEPH_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "http://127.0.0.1:$CEPH_S3_PORT/" | grep -q ListAllMyBucketsResult
}

ceph_env() {
  cat <<EOF
AUTOMQ_PEER_CEPH_ENDPOINT=http://127.0.0.1:$CEPH_S3_PORT
AUTOMQ_PEER_CEPH_ACCESS_KEY=$CEPH_ACCESS_KEY
AUTOMQ_PEER_CEPH_SECRET_KEY=$CEPH_SECRET_KEY
AUTOMQ_PEER_CEPH_REGION=$CEPH_REGION
AUTOMQ_PEER_CEPH_VERSION=$(ceph_version)
AUTOMQ_PEER_CEPH_CONF=$(ceph_conf)
EOF
}

# Gateway first, then the OSD, then the monitor, each given a few seconds before the next; dev/peers then
# kills whatever is left.
ceph_stop() {
  local d name pid i
  d=$(peer_dir ceph)
  for name in finish rgw osd mon; do
    [ -f "$d/pid/$name" ] || continue
    pid=$(cat "$d/pid/$name")
    rm -f "$d/pid/$name"
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || continue
    for i in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
  done
}
