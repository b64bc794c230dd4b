# Peer `sshhosts`: three SSH hosts for deploy tests, each an OpenSSH server in its own network namespace.
#
#   automq-ctl   the client side: bridge br0 with 10.200.0.1/24; tests run their ssh clients in here
#                (`ip netns exec automq-ctl ...`)
#   automq-h1    10.200.0.11, sshd on :22   (veth vh1 in automq-ctl, on br0  <->  eth0 in automq-h1)
#   automq-h2    10.200.0.12
#   automq-h3    10.200.0.13
#
# Every address and link lives inside these namespaces (the veth pairs are created directly inside them). The
# root namespace gets one thing only: an `unreachable` route for 10.200.0.0/24 while the peer is up, so that a
# client run outside automq-ctl by mistake fails at once instead of sending packets off the machine.
# The hosts share the machine's filesystem: only the network is separate. Each session gets AUTOMQ_SSH_HOST=hN
# and AUTOMQ_SSH_HOST_DIR (a per-host folder) in its environment.
# Keys (one ed25519 client key, one host key per host) are fresh per start, under the peer's folder; the
# ssh_config there has aliases h1 h2 h3, the client key, and a known_hosts file with the hosts' keys.
# shellcheck shell=bash

sshhosts_START_TIMEOUT=30
SSHHOSTS_CTL_NS=automq-ctl
SSHHOSTS_NAMES=(h1 h2 h3)
SSHHOSTS_CTL_ADDR=10.200.0.1
SSHHOSTS_SUBNET=10.200.0.0/24

sshhosts_ns() { echo "automq-$1"; }
# h1 -> 10.200.0.11, h2 -> 10.200.0.12, ...
sshhosts_addr() { echo "10.200.0.$((10 + ${1#h}))"; }
sshhosts_version() { ssh -V 2>&1 | sed 's/,.*//'; }

sshhosts_install() {
  local cleanup_policy=0
  # Never let the package start a system-wide sshd in the root namespace.
  if [ ! -e /usr/sbin/policy-rc.d ] && ! dpkg -s openssh-server >/dev/null 2>&1; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    cleanup_policy=1
  fi
  local rc=0
  apt_install openssh-server openssh-client iproute2 || rc=$?
  if [ $cleanup_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  [ $rc = 0 ] || return $rc
  [ -x /usr/sbin/sshd ] && [ -x /usr/lib/openssh/sftp-server ] || return 1
  echo "sshhosts: $(sshhosts_version)"
}

# Kill whatever runs inside our namespaces (only our sshds and their sessions), then delete the namespaces,
# which deletes their links too. Safe to run when nothing is there.
sshhosts_stop() {
  local ns n pids
  for n in "${SSHHOSTS_NAMES[@]}" ctl; do
    ns=$(sshhosts_ns "$n")
    [ -e "/run/netns/$ns" ] || continue
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
      for _ in $(seq 1 20); do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -z "$pids" ] && break
        sleep 0.25
      done
      # shellcheck disable=SC2086
      [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
  done
  ip route del unreachable "$SSHHOSTS_SUBNET" 2>/dev/null || true
  return 0
}

sshhosts_start() {
  local dir ctl n ns addr h pid
  dir=$(peer_dir sshhosts)
  ctl=$SSHHOSTS_CTL_NS
  # Stale namespaces or sshds from an earlier run go first.
  kill_pids sshhosts
  sshhosts_stop
  rm -rf "$dir"
  mkdir -p "$dir/client" /run/sshd || return 1
  chmod 700 "$dir/client"

  # A safety net in the root namespace: the hosts' subnet is unreachable there, so a client started outside
  # the namespaces by mistake fails at once instead of sending packets off the machine.
  ip route replace unreachable "$SSHHOSTS_SUBNET" || return 1

  # The client side: a bridge that every host's veth joins.
  ip netns add "$ctl" || return 1
  ip -n "$ctl" link set lo up || return 1
  ip -n "$ctl" link add br0 type bridge || return 1
  ip -n "$ctl" addr add "$SSHHOSTS_CTL_ADDR/24" dev br0 || return 1
  ip -n "$ctl" link set br0 up || return 1

  ssh-keygen -q -t ed25519 -N '' -C automq-sshhosts-client -f "$dir/client/id_ed25519" || return 1
  cp "$dir/client/id_ed25519.pub" "$dir/authorized_keys" || return 1
  : >"$dir/known_hosts"

  # Outside the client namespace the hosts' addresses would be routed off the machine: the ssh_config below
  # refuses to connect from anywhere else.
  cat >"$dir/in-ctl-netns" <<CHECK
#!/bin/sh
[ "\$(ip netns identify 2>/dev/null)" = "$ctl" ]
CHECK
  chmod +x "$dir/in-ctl-netns" || return 1
  cat >"$dir/ssh_config" <<CONF
# Client settings for the test hosts; use from inside the $ctl namespace:
#   ip netns exec $ctl ssh -F $dir/ssh_config h1 CMD
Match !exec "$dir/in-ctl-netns"
  ProxyCommand sh -c 'echo "the test hosts are reachable only inside the $ctl namespace: ip netns exec $ctl ssh ..." >&2; exit 1'
CONF
  for n in "${SSHHOSTS_NAMES[@]}"; do
    printf 'Host %s\n  HostName %s\n' "$n" "$(sshhosts_addr "$n")" >>"$dir/ssh_config"
  done
  cat >>"$dir/ssh_config" <<CONF
Host *
  User root
  IdentityFile $dir/client/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  ServerAliveInterval 5
  ServerAliveCountMax 3
  LogLevel ERROR
CONF

  for n in "${SSHHOSTS_NAMES[@]}"; do
    ns=$(sshhosts_ns "$n")
    addr=$(sshhosts_addr "$n")
    h=$dir/$n
    mkdir -p "$h/fs" || return 1

    # The host's network: loopback, and eth0 whose other end (vhN) sits on the client side's bridge.
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up || return 1
    ip -n "$ctl" link add "v$n" type veth peer name eth0 netns "$ns" || return 1
    ip -n "$ctl" link set "v$n" master br0 up || return 1
    ip -n "$ns" addr add "$addr/24" dev eth0 || return 1
    ip -n "$ns" link set eth0 up || return 1

    ssh-keygen -q -t ed25519 -N '' -C "automq-sshhosts-$n" -f "$h/ssh_host_ed25519_key" || return 1
    echo "$n,$addr $(cut -d' ' -f1,2 "$h/ssh_host_ed25519_key.pub")" >>"$dir/known_hosts"

    cat >"$h/sshd_config" <<CONF
ListenAddress $addr:22
HostKey $h/ssh_host_ed25519_key
PidFile $h/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UseDNS no
PrintMotd no
X11Forwarding no
AllowTcpForwarding yes
MaxStartups 100:30:200
MaxSessions 50
Subsystem sftp /usr/lib/openssh/sftp-server
SetEnv AUTOMQ_SSH_HOST=$n AUTOMQ_SSH_HOST_DIR=$h/fs
CONF
    echo "sshhosts: starting sshd for $n on $addr:22 in namespace $ns"
    ip netns exec "$ns" /usr/sbin/sshd -f "$h/sshd_config" -E "$AUTOMQ_PEERS_LOGS/sshhosts.$n.log" || return 1
    # sshd forks into the background and writes its pid file a moment later.
    wait_for 10 test -s "$h/sshd.pid" || { echo "sshhosts: sshd for $n wrote no pid file"; return 1; }
    pid=$(cat "$h/sshd.pid")
    add_pid sshhosts "$pid"
  done
}

# Healthy when a real login runs a command on every host from the client namespace.
sshhosts_health() {
  local dir n
  dir=$(peer_dir sshhosts)
  [ -f "$dir/ssh_config" ] || return 1
  for n in "${SSHHOSTS_NAMES[@]}"; do
    timeout 10 ip netns exec "$SSHHOSTS_CTL_NS" ssh -F "$dir/ssh_config" "$n" true </dev/null || return 1
  done
}

sshhosts_env() {
  local dir hosts="" addrs="" n
  dir=$(peer_dir sshhosts)
  for n in "${SSHHOSTS_NAMES[@]}"; do
    hosts+="${hosts:+,}$n"
    addrs+="${addrs:+,}$(sshhosts_addr "$n")"
  done
  echo "AUTOMQ_PEER_SSHHOSTS_CONFIG=$dir/ssh_config"
  echo "AUTOMQ_PEER_SSHHOSTS_NETNS=$SSHHOSTS_CTL_NS"
  echo "AUTOMQ_PEER_SSHHOSTS_HOSTS=$hosts"
  echo "AUTOMQ_PEER_SSHHOSTS_ADDRS=$addrs"
  echo "AUTOMQ_PEER_SSHHOSTS_USER=root"
  echo "AUTOMQ_PEER_SSHHOSTS_KEY=$dir/client/id_ed25519"
  echo "AUTOMQ_PEER_SSHHOSTS_KNOWN_HOSTS=$dir/known_hosts"
}
