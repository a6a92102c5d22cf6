#!/bin/bash
# Real traffic through bridge networking: a client in a network namespace
# of its own reaches a published port over a veth on the host's side and
# cannot reach one bound to 127.0.0.1 (not even with packets addressed to
# 127.0.0.1 sent into the host); UDP publishing; automatic ports of
# containers started at the same time, and a second start of one refused
# while the first is under way; masquerade of outbound traffic as
# an upstream namespace sees it; stats and /metrics counting eth0; none and
# host modes.  Traffic goes only to 127.0.0.1 and to addresses of the
# namespaces these tests make, every wait bounded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
minirun_only

command -v curl >/dev/null || t_skip_all "curl is missing (apt-get install curl)"
command -v nft >/dev/null || t_skip_all "nft is missing (apt-get install nftables)"
command -v ip >/dev/null || t_skip_all "ip is missing (apt-get install iproute2)"
command -v ss >/dev/null || t_skip_all "ss is missing (apt-get install iproute2)"
UDP_RECV=${top_builddir:-.}/tests/helpers/mr-udp-recv
MIB=1048576

mk ()
{
  new_bundle
  R=$B/rootfs
  mkdir -p "$R/www"
  echo "hello from $ID" >"$R/www/index.html"
}

httpd ()
{
  rt run -d --rootfs "$R" --name "$ID" "$@" -- /bin/busybox httpd -f -p 80 -h /www >/dev/null
}

# answers URL: the page of a container of this script, within 10 seconds
answers ()
{
  wait_for 10 sh -c "curl -s --max-time 2 '$1' | grep -q 'hello from'"
}

fetch ()
{
  curl -s --max-time 5 "$@"
}

ip_of ()
{
  jq -r .ip "$T_ROOT"/data/networks/*/endpoints/"$1".json
}

gateway ()
{
  jq -r .gateway "$T_ROOT"/data/networks/minirun/network.json
}

host_addr ()
{
  ip -4 -o addr show scope global | awk '$2 !~ /^mr/ { sub("/.*", "", $4); print $4; exit }'
}

# a UDP port of the host that nothing holds, away from 8000-9000
free_udp_port ()
{
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    if [ -z "$(ss -Hun "sport = :$p")" ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# --- namespaces of the test's own: a peer of the host over a veth pair ---

# pick_subnet: PEER_BASE (the first three octets) and PEER_LOW (the fourth
# of the network) of a /29 in 10.160.0.0/11, which no other test uses, that
# no route and no address of the host covers, other than a default route
pick_subnet ()
{
  local a b c
  for _ in $(seq 50); do
    a=$((160 + RANDOM % 32))
    b=$((RANDOM % 256))
    c=$((8 * (RANDOM % 32)))
    if [ -z "$(ip -4 route show table all match "10.$a.$b.$((c + 1))" | grep -v '^default ')" ] &&
      [ -z "$(ip -4 route show table all match "10.$a.$b.$((c + 6))" | grep -v '^default ')" ] &&
      ! grep -q " 10\\.$a\\.$b\\." <<<"$(ip -4 -o addr)"; then
      PEER_BASE=10.$a.$b
      PEER_LOW=$c
      return 0
    fi
  done
  fail "no free /29 in 10.160.0.0/11 for a test namespace"
}

# pns CMD...: CMD inside the peer namespace
pns ()
{
  ip netns exec "$PEER_NS" "$@"
}

# drop_peer NAMESPACE HOST-LINK: its processes (all of them this script's),
# the namespace, and with it the veth pair
drop_peer ()
{
  local pid
  for pid in $(ip netns pids "$1" 2>/dev/null); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  for _ in $(seq 100); do
    [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break
    sleep 0.05
  done
  ip netns del "$1" 2>/dev/null || true
  ip link del "$2" 2>/dev/null || true
}

# peer_ns ROLE: a namespace $T_TAG-ROLE joined to the host by a veth pair,
# the host's side HOST_A, the namespace's PEER_A (on PEER_IF), its default
# route through the host; removed after the test
peer_ns ()
{
  local role=$1
  PEER_NS=$T_TAG-$role
  PEER_HOST_IF=$T_TAG${role:0:1}h
  PEER_IF=$T_TAG${role:0:1}p
  pick_subnet
  HOST_A=$PEER_BASE.$((PEER_LOW + 1))
  PEER_A=$PEER_BASE.$((PEER_LOW + 2))
  defer drop_peer "$PEER_NS" "$PEER_HOST_IF"
  ip netns add "$PEER_NS"
  ip link add "$PEER_HOST_IF" type veth peer name "$PEER_IF" netns "$PEER_NS"
  ip addr add "$HOST_A/29" dev "$PEER_HOST_IF"
  ip link set "$PEER_HOST_IF" up
  pns ip link set lo up
  pns ip addr add "$PEER_A/29" dev "$PEER_IF"
  pns ip link set "$PEER_IF" up
  pns ip route add default via "$HOST_A"
  echo "namespace $PEER_NS: host $HOST_A on $PEER_HOST_IF, peer $PEER_A" >&2
}

# no namespace or link of this script's is left
no_peer_left ()
{
  local left
  left=$(ip netns list | grep -F "$T_TAG" || true)
  [ -z "$left" ] || fail "namespaces left: $left"
  left=$(ip -o link show | grep -F "$T_TAG" || true)
  [ -z "$left" ] || fail "links left: $left"
}

# all_gone CONTAINER...: the containers removed, the namespace of the test
# removed, and nothing of either is left
all_gone ()
{
  [ $# -eq 0 ] || rt rm -f "$@" >/dev/null
  if [ -n "${PEER_NS:-}" ]; then
    drop_peer "$PEER_NS" "$PEER_HOST_IF"
  fi
  nothing_of_ours_left
  no_peer_left
}

# --- the cases --------------------------------------------------------------

a_remote_client_reaches_a_public_port_only ()
{
  local p_all p_lo code
  mk
  p_all=$(free_port)
  p_lo=$(free_port)
  httpd -p "$p_all:80" -p "127.0.0.1:$p_lo:80"
  answers "http://127.0.0.1:$p_lo/"
  peer_ns client
  # the public port, at the host's address on the client's link
  wait_for 10 pns sh -c "curl -s --max-time 2 http://$HOST_A:$p_all/ | grep -q 'hello from'"
  assert_eq "$(pns curl -s --max-time 5 "http://$HOST_A:$p_all/")" "hello from $ID" "public port from the client"
  # the port bound to 127.0.0.1 is not there at that address
  t_run pns curl -s --max-time 3 "http://$HOST_A:$p_lo/"
  assert_failure
  # Packets addressed to 127.0.0.1 sent into the host over the veth: the
  # client routes 127.0.0.1 to the host (its local table looked up after
  # that route) and accepts answers from 127.0.0.1 on the link.
  pns sysctl -qw "net.ipv4.conf.$PEER_IF.route_localnet=1" net.ipv4.conf.all.rp_filter=0 \
    "net.ipv4.conf.$PEER_IF.rp_filter=0"
  pns ip route add 127.0.0.1/32 via "$HOST_A" dev "$PEER_IF" src "$PEER_A" table 100
  pns ip rule add pref 10 to 127.0.0.1/32 lookup 100
  pns ip rule add pref 100 lookup local
  pns ip rule del pref 0 lookup local
  assert_eq "$(pns ip -4 route get 127.0.0.1 | grep -o "dev [^ ]*")" "dev $PEER_IF" "the client's route to 127.0.0.1"
  # the way works: the public port answers the client at 127.0.0.1
  code=$(pns curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$p_all/") || true
  assert_eq "$code" 200 "the public port through 127.0.0.1 sent over the veth"
  # and the port bound to 127.0.0.1 drops what came that way: no answer,
  # not even a refusal (curl's 28 is a timeout)
  t_run pns curl -s --max-time 3 "http://127.0.0.1:$p_lo/"
  assert_status 28
  # on the host itself it still answers
  assert_eq "$(fetch "http://127.0.0.1:$p_lo/")" "hello from $ID" "127.0.0.1 from the host"
  all_gone "$ID"
}

udp_ports_deliver_datagrams ()
{
  local p gw addr got
  [ -x "$UDP_RECV" ] || skip "tests/helpers/mr-udp-recv not built (make check builds it)"
  mk
  cp "$UDP_RECV" "$R/mr-udp-recv"
  p=$(free_udp_port)
  rt run -d --rootfs "$R" --name "$ID" -p "$p:5353/udp" -- /mr-udp-recv 5353 100 >/dev/null
  wait_for 10 sh -c "$MINIRUN --root $T_ROOT logs $ID | grep -q 'listening on 5353'"
  assert_eq "$(rt port "$ID" 5353/udp)" "0.0.0.0:$p" "the published port"
  gw=$(gateway)
  addr=$(host_addr)
  for dst in 127.0.0.1 "$gw" ${addr:+"$addr"}; do
    # a datagram can be lost: sent again, at most 20 times
    got=
    for _ in $(seq 20); do
      echo "to-$dst" >"/dev/udp/$dst/$p"
      sleep 0.2
      got=$(rt logs "$ID" | grep " to-$dst\$" | head -n 1) || true
      [ -z "$got" ] || break
    done
    [ -n "$got" ] || fail "nothing sent to $dst:$p/udp arrived: $(rt logs "$ID")"
    # from 127.0.0.1 it is masqueraded to the bridge's address; from a
    # host address it keeps that address
    if [ "$dst" = 127.0.0.1 ]; then
      assert_eq "$got" "$gw to-$dst" "what arrived from 127.0.0.1"
    else
      assert_eq "$got" "$dst to-$dst" "what arrived from $dst"
    fi
  done
  # a TCP port of the same number is not published
  t_run curl -s --max-time 2 "http://127.0.0.1:$p/"
  assert_failure
  all_gone "$ID"
}

concurrent_runs_get_distinct_automatic_ports ()
{
  local n=6 i ids=() pids=() ports=() rc=0 p
  for i in $(seq "$n"); do
    mk
    ids+=("$ID")
  done
  for i in $(seq 0 $((n - 1))); do
    rt run -d --rootfs "$T_DIR/${ids[$i]}/rootfs" --name "${ids[$i]}" -p 80 -- \
      /bin/busybox httpd -f -p 80 -h /www >"$T_DIR/run.$i" 2>&1 &
    pids+=($!)
  done
  for i in $(seq 0 $((n - 1))); do
    wait "${pids[$i]}" || { rc=$?; echo "run ${ids[$i]} failed ($rc): $(cat "$T_DIR/run.$i")" >&2; }
  done
  [ "$rc" = 0 ] || fail "a run -d -p 80 started with the others failed"
  for i in $(seq 0 $((n - 1))); do
    p=$(rt port "${ids[$i]}" 80/tcp)
    p=${p##*:}
    [ "$p" -ge 8000 ] && [ "$p" -le 9000 ] || fail "${ids[$i]}: automatic port '$p' outside 8000-9000"
    ports+=("$p")
  done
  assert_eq "$(printf '%s\n' "${ports[@]}" | sort -u | wc -l)" "$n" "distinct ports among ${ports[*]}"
  for i in $(seq 0 $((n - 1))); do
    answers "http://127.0.0.1:${ports[$i]}/"
    assert_eq "$(fetch "http://127.0.0.1:${ports[$i]}/")" "hello from ${ids[$i]}" "port ${ports[$i]}"
  done
  all_gone "${ids[@]}"
}

a_second_start_under_way_is_refused ()
{
  mk
  rt create --rootfs "$R" --name "$ID" -p 80 -- /bin/busybox httpd -f -p 80 -h /www >/dev/null
  # a start under way holds this lock: another start of it is refused
  t_run flock "$T_ROOT/data/containers/$ID/starting" "$MINIRUN" --root "$T_ROOT" start "$ID"
  assert_failure
  assert_contains "$err" "cannot start container '$ID': it is starting"
  assert_eq "$(rt inspect "$ID" | jq -r '.[0].State.Status')" created "its status after that"
  nothing_of_ours_left
  # once no start holds it, it starts and answers
  rt start "$ID"
  answers "http://127.0.0.1:$(rt port "$ID" 80/tcp | sed 's/.*://')/"
  all_gone "$ID"
}

outbound_traffic_is_masqueraded ()
{
  local up=$T_DIR/upstream seen
  peer_ns upstream
  # the upstream's server answers with the address a client came from
  mkdir -p "$up/cgi-bin"
  printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%%s\\n" "$REMOTE_ADDR"\n' >"$up/cgi-bin/from"
  chmod 755 "$up/cgi-bin/from"
  pns busybox httpd -f -p "$PEER_A:80" -h "$up" </dev/null >/dev/null 2>&1 &
  wait_for 10 pns curl -sf --max-time 2 "http://$PEER_A/cgi-bin/from"
  assert_eq "$(pns curl -s --max-time 2 "http://$PEER_A/cgi-bin/from")" "$PEER_A" "the upstream's own view"
  mk
  rt run -d --rootfs "$R" --name "$ID" --network bridge -- sleep 100 >/dev/null
  t_run rt exec "$ID" timeout 5 /bin/busybox wget -qO- "http://$PEER_A/cgi-bin/from"
  assert_success
  seen=$out
  assert_eq "$seen" "$HOST_A" "the source the upstream sees"
  assert_ne "$seen" "$(ip_of "$ID")" "the container's own address"
  # a container without a network does not get there
  t_run rt run --rm --rootfs "$R" --network none -- timeout 3 /bin/busybox wget -qO- "http://$PEER_A/cgi-bin/from"
  assert_failure
  all_gone "$ID"
}

# net_of NAME KEY: net_rx or net_tx of one stats frame
net_of ()
{
  rt stats --no-stream --format json "$1" | jq -r ".$2"
}

# metric FAMILY NAME: the value of FAMILY{name="NAME"} in $T_DIR/metrics
metric ()
{
  awk -v k="$1{name=\"$2\"}" '$1 == k { print $2 }' "$T_DIR/metrics"
}

stats_and_metrics_count_eth0 ()
{
  local p tx0 rx0 tx1 rx1 mtx mrx
  mk
  head -c "$MIB" /dev/urandom >"$R/www/big"
  p=$(free_port)
  httpd -p "$p:80"
  answers "http://127.0.0.1:$p/"
  tx0=$(net_of "$ID" net_tx)
  rx0=$(net_of "$ID" net_rx)
  fetch -o "$T_DIR/big" "http://127.0.0.1:$p/big"
  cmp "$T_DIR/big" "$R/www/big" || fail "the file fetched through the port differs"
  tx1=$(net_of "$ID" net_tx)
  rx1=$(net_of "$ID" net_rx)
  echo "net_tx $tx0 -> $tx1, net_rx $rx0 -> $rx1" >&2
  [ $((tx1 - tx0)) -ge "$MIB" ] || fail "stats net_tx grew by $((tx1 - tx0)), less than the $MIB bytes sent"
  [ $((rx1 - rx0)) -gt 0 ] || fail "stats net_rx did not grow with the request"
  # what eth0 counted, seen from inside
  t_run rt exec "$ID" cat /proc/net/dev
  assert_match "$out" "eth0:" "the container's net/dev"
  serve_start
  curl -s --max-time 10 -o "$T_DIR/metrics" --unix-socket "$SOCK" http://localhost/metrics
  mtx=$(metric minirun_container_network_transmit_bytes_total "$ID")
  mrx=$(metric minirun_container_network_receive_bytes_total "$ID")
  echo "metrics: transmit $mtx, receive $mrx" >&2
  [ -n "$mtx" ] && [ "$mtx" -ge "$((tx0 + MIB))" ] || fail "/metrics transmit '$mtx' < $((tx0 + MIB))"
  [ -n "$mrx" ] && [ "$mrx" -ge "$rx1" ] || fail "/metrics receive '$mrx' < $rx1"
  all_gone "$ID"
}

# links_in ARGS...: the names of the links a container of $R lists with
# `ip -o link`, one line, sorted, and its network namespace
links_in ()
{
  rt run --rm --rootfs "$R" "$@" -- /bin/sh -c \
    'ip -o link | awk -F": " "{ sub(\"@.*\", \"\", \$2); print \$2 }" | sort | tr "\n" " "; readlink /proc/self/ns/net'
}

none_has_lo_only_host_sees_the_hosts_links ()
{
  local dummy=${T_TAG}d host_ns
  mk
  host_ns=$(readlink /proc/self/ns/net)
  ip link add "$dummy" type veth peer name "${T_TAG}e"
  defer ip link del "$dummy"
  t_run links_in --network none
  assert_success
  assert_match "$out" '^lo net:\[[0-9]+\]$' "--network none"
  assert_ne "${out#lo }" "$host_ns" "the namespace of --network none"
  t_run links_in --network host
  assert_success
  assert_contains "$out" " $dummy " "--network host sees a link the test just made"
  assert_eq "${out##* }" "$host_ns" "the namespace of --network host"
  # no --network: the bridge network, as with Docker
  t_run links_in
  assert_success
  assert_match "$out" '^eth0 lo net:\[[0-9]+\]$' "no --network"
  t_run links_in --network bridge
  assert_success
  assert_match "$out" '^eth0 lo net:\[[0-9]+\]$' "--network bridge"
  ip link del "$dummy"
  all_gone
}

t_ok "a client namespace reaches a public port on the host's link address, not one bound to 127.0.0.1" a_remote_client_reaches_a_public_port_only
t_ok "a published UDP port delivers datagrams sent to 127.0.0.1 and to host addresses" udp_ports_deliver_datagrams
t_ok "concurrent run -d -p 80 get distinct automatic ports that all answer" concurrent_runs_get_distinct_automatic_ports
t_ok "a start while another start of the container is under way is refused" a_second_start_under_way_is_refused
t_ok "outbound traffic reaches an upstream namespace masqueraded as the host" outbound_traffic_is_masqueraded
t_ok "stats and /metrics count a container's eth0 traffic" stats_and_metrics_count_eth0
t_ok "--network none has lo only, host the host's links, bridge (the default) eth0" none_has_lo_only_host_sees_the_hosts_links
t_ok "no namespace or link of the tests is left" no_peer_left
t_done
