#!/bin/bash
# minirun network create, ls, inspect, rm and prune: named networks with
# automatic and given subnets, containers that reach each other by name on
# one network and not across two, networks in use that rm and prune keep,
# bad input refused with nothing made, and nothing left behind (links,
# namespaces, rules, records).  Traffic goes only to addresses of the
# namespaces these tests make, with bounded timeouts.
. "$(dirname "$0")/lib.sh"
minirun_only

command -v nft >/dev/null || t_skip_all "nft is missing (apt-get install nftables)"
command -v ip >/dev/null || t_skip_all "ip is missing (apt-get install iproute2)"
NETS=$T_ROOT/data/networks
DUMMY=mrtestdum0

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
  remember
}

sleeper ()
{
  rt run -d --rootfs "$R" --name "$ID" "$@" -- sleep 100 >/dev/null
  remember
}

# the address of container $2 on network $1, without its prefix
ip_on ()
{
  jq -r .ip "$NETS/$1/endpoints/$2.json"
}

# notes the bridges and veths the records name now, so that their links
# can be looked for once the records are gone
remember ()
{
  local f
  touch "$T_DIR/links"
  for f in "$NETS"/*/network.json; do
    [ -f "$f" ] && jq -r .bridge "$f" >>"$T_DIR/links"
  done
  for f in "$NETS"/*/endpoints/*.json; do
    [ -f "$f" ] && jq -r .veth "$f" >>"$T_DIR/links"
  done
  return 0
}

nothing_of_ours_left ()
{
  local link
  remember
  for link in $(sort -u "$T_DIR/links"); do
    if ip link show "$link" >/dev/null 2>&1; then
      fail "link $link left"
    fi
  done
  if [ -n "$(ls "$NETS"/*/endpoints/ 2>/dev/null)" ]; then
    fail "endpoints left: $(ls "$NETS"/*/endpoints/)"
  fi
  if [ -n "$(ls "$T_ROOT/.netns" 2>/dev/null)" ]; then
    fail "namespaces left: $(ls "$T_ROOT/.netns")"
  fi
  if ip -o link show | grep -q ": $DUMMY[:@]"; then
    fail "$DUMMY left"
  fi
  if nft list tables 2>/dev/null | grep -q -w "$(nft_table_of_root)"; then
    fail "nftables table $(nft_table_of_root) left"
  fi
}

# the networks of the data directory, sorted, on one line
networks ()
{
  rt network ls -q | sort | tr '\n' ' '
}

# no record of network $1, and no bridge of it
gone ()
{
  [ ! -e "$NETS/$1" ] || fail "network $1 is still there: $(ls -R "$NETS/$1")"
}

create_ls_and_inspect_show_networks_and_their_containers ()
{
  local n1 n2 row json addr
  n1=$T_TAG-auto
  n2=$T_TAG-given
  t_run rt network create "$n1"
  assert_success
  assert_eq "$out" "$n1"
  t_run rt network create --subnet 10.231.0.0/24 --gateway 10.231.0.254 --internal "$n2"
  assert_success
  assert_eq "$out" "$n2"
  # only the records: the bridges come with the first container
  remember
  for n in "$n1" "$n2"; do
    ip link show "$(jq -r .bridge "$NETS/$n/network.json")" >/dev/null 2>&1 &&
      fail "network create made the bridge of $n"
  done

  t_run rt network ls
  assert_success
  assert_match "$(printf '%s\n' "$out" | head -n 1)" '^NAME +SUBNET +GATEWAY +BRIDGE +INTERNAL +CONTAINERS$'
  row=$(printf '%s\n' "$out" | awk -v n="$n2" '$1 == n')
  assert_match "$row" "^$n2 +10\\.231\\.0\\.0/24 +10\\.231\\.0\\.254 +mrbr[0-9a-f]{8} +true +0$"
  row=$(printf '%s\n' "$out" | awk -v n="$n1" '$1 == n')
  assert_match "$row" "^$n1 +10\\.[0-9]+\\.[0-9]+\\.0/20 +10\\.[0-9.]+\\.1 +mrbr[0-9a-f]{8} +false +0$"
  # the default network is always listed
  grep -q '^minirun ' <<<"$out" || fail "no default network: $out"
  assert_eq "$(networks)" "$(printf '%s\n' "$n1" "$n2" minirun | sort | tr '\n' ' ')"

  json=$(rt network ls --format json)
  assert_eq "$(jq -r --arg n "$n2" '.[] | select(.Name == $n) | .IPAM.Config[0].Subnet' <<<"$json")" 10.231.0.0/24
  assert_eq "$(jq -r --arg n "$n1" '.[] | select(.Name == $n) | .Internal' <<<"$json")" false
  assert_eq "$(jq -r '[.[].Name] | length' <<<"$json")" 3

  # a container on it: inspect names it with its address, ls counts it
  mk
  sleeper --network "$n2"
  json=$(rt network inspect "$n2")
  assert_eq "$(jq -r '.[0].Name' <<<"$json")" "$n2"
  assert_eq "$(jq -r '.[0].Driver' <<<"$json")" bridge
  assert_eq "$(jq -r '.[0].Internal' <<<"$json")" true
  assert_eq "$(jq -r '.[0].IPAM.Driver' <<<"$json")" default
  assert_eq "$(jq -r '.[0].IPAM.Config[0].Gateway' <<<"$json")" 10.231.0.254
  assert_eq "$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<<"$json")" \
    "$(jq -r .bridge "$NETS/$n2/network.json")"
  assert_match "$(jq -r '.[0].Id' <<<"$json")" '^[0-9a-f]{64}$'
  addr=$(jq -r --arg id "$ID" '.[0].Containers[$id].IPv4Address' <<<"$json")
  assert_eq "$addr" "$(ip_on "$n2" "$ID")/24"
  assert_eq "$(jq -r --arg id "$ID" '.[0].Containers[$id].Name' <<<"$json")" "$ID"
  assert_eq "$(rt network ls | awk -v n="$n2" '$1 == n { print $6 }')" 1
  ip link show "$(jq -r .bridge "$NETS/$n2/network.json")" >/dev/null || fail "no bridge with a container"

  # several names, one unknown: an error, the others still printed
  t_run rt network inspect "$n1" nosuch "$n2"
  assert_failure
  assert_contains "$err" "network 'nosuch' not found"
  assert_eq "$(jq -r '[.[].Name] | join(" ")' <<<"$out")" "$n1 $n2"

  rt rm -f "$ID" >/dev/null
  assert_eq "$(rt network ls | awk -v n="$n2" '$1 == n { print $6 }')" 0
  t_run rt network rm "$n1" "$n2"
  assert_success
  assert_eq "$out" "$n1"$'\n'"$n2"
  gone "$n1"
  gone "$n2"
  assert_eq "$(networks)" "minirun "
  nothing_of_ours_left
}

containers_of_a_network_reach_each_other_and_no_other ()
{
  local n1 n2 web client other
  n1=$T_TAG-front
  n2=$T_TAG-back
  rt network create "$n1" >/dev/null
  rt network create "$n2" >/dev/null
  mk
  web=$ID
  httpd --network "$n1"
  mk
  client=$ID
  sleeper --network "$n1"
  mk
  other=$ID
  sleeper --network "$n2"
  wait_for 10 sh -c "$MINIRUN --root $T_ROOT exec $client timeout 2 /bin/busybox wget -q -O- http://$web/ | grep -q 'hello from $web'"
  t_run rt exec "$client" timeout 2 /bin/busybox wget -q -O- "http://$(ip_on "$n1" "$web")/"
  assert_success
  assert_eq "$out" "hello from $web"
  # from the other network: not by name, and not by address either
  t_run rt exec "$other" timeout 2 /bin/busybox wget -q -O- "http://$(ip_on "$n1" "$web")/"
  assert_failure
  assert_no_match "$out" "hello from"
  t_run rt exec "$other" timeout 2 /bin/busybox wget -q -O- "http://$web/"
  assert_failure
  rt rm -f "$web" "$client" "$other" >/dev/null
  rt network rm "$n1" "$n2" >/dev/null
  gone "$n1"
  gone "$n2"
  nothing_of_ours_left
}

rm_is_refused_while_a_container_uses_the_network ()
{
  local n first second
  n=$T_TAG-busy
  rt network create "$n" >/dev/null
  mk
  first=$ID
  sleeper --network "$n"
  mk
  second=$ID
  rt create --rootfs "$R" --name "$second" --network "$n" -- true >/dev/null
  t_run rt network rm "$n"
  assert_failure
  assert_contains "$err" "network '$n' is in use by containers '$first', '$second': remove them first"
  assert_contains "$err" "minirun rm -f $first $second"
  [ -f "$NETS/$n/network.json" ] || fail "the record went"
  # stopped, it still names the network
  rt stop -t 0 "$first" >/dev/null
  rt rm -f "$second" >/dev/null
  t_run rt network rm "$n"
  assert_failure
  assert_contains "$err" "network '$n' is in use by container '$first': remove it first"
  rt rm -f "$first" >/dev/null
  t_run rt network rm "$n"
  assert_success
  assert_eq "$out" "$n"
  gone "$n"
  nothing_of_ours_left
}

an_endpoint_of_a_container_gone_does_not_block_rm ()
{
  local n
  n=$T_TAG-stale
  rt network create --subnet 10.232.0.0/24 "$n" >/dev/null
  # what a crash leaves: an address whose container has no record
  printf '{"id": "%s", "ip": "10.232.0.2", "veth": "mrvdead0000", "hostname": "", "hosts": "", "ports": []}\n' \
    "$T_TAG-ghost" >"$NETS/$n/endpoints/$T_TAG-ghost.json"
  assert_eq "$(rt network ls | awk -v n="$n" '$1 == n { print $6 }')" 1
  t_run rt network rm "$n"
  assert_success
  gone "$n"
  nothing_of_ours_left
}

prune_removes_the_unused_networks_only ()
{
  local used unused1 unused2 before
  used=$T_TAG-used
  unused1=$T_TAG-idle1
  unused2=$T_TAG-idle2
  for n in "$used" "$unused1" "$unused2"; do
    rt network create "$n" >/dev/null
  done
  remember
  mk
  rt create --rootfs "$R" --name "$ID" --network "$used" -- true >/dev/null
  t_run rt network prune -f
  assert_success
  assert_eq "$out" "$unused1"$'\n'"$unused2"
  gone "$unused1"
  gone "$unused2"
  assert_eq "$(networks)" "$(printf '%s\n' "$used" minirun | sort | tr '\n' ' ')"
  # without a terminal on stdin, no question: the same as -f
  t_run rt network prune
  assert_success
  assert_eq "$out" ""
  rt rm -f "$ID" >/dev/null
  t_run rt network prune
  assert_success
  assert_eq "$out" "$used"
  assert_eq "$(networks)" "minirun "
  nothing_of_ours_left
}

# refused NEEDLE ARGS...: network ARGS fails, saying NEEDLE, making nothing
refused ()
{
  local needle=$1 before
  shift
  before=$(ls "$NETS" 2>/dev/null | sort | tr '\n' ' ')
  t_run rt network "$@"
  assert_failure
  assert_contains "$err" "$needle"
  assert_eq "$(ls "$NETS" 2>/dev/null | sort | tr '\n' ' ')" "$before" "networks after: network $*"
}

bad_input_is_refused_and_nothing_is_made ()
{
  local n=$T_TAG-bad taken=$T_TAG-taken
  rt network create --subnet 10.233.0.0/16 "$taken" >/dev/null
  refused "invalid subnet '10.0.0.1/24': host bits are set (did you mean 10.0.0.0/24?)" \
    create --subnet 10.0.0.1/24 "$n"
  refused "invalid subnet '10.200.0.0/33': the prefix must be 8 to 30" \
    create --subnet 10.200.0.0/33 "$n"
  refused "subnet 10.233.4.0/24 overlaps the subnet 10.233.0.0/16 of network '$taken'" \
    create --subnet 10.233.4.0/24 "$n"
  refused "gateway 10.234.1.1 is outside the subnet 10.234.0.0/24" \
    create --subnet 10.234.0.0/24 --gateway 10.234.1.1 "$n"
  refused "gateway 10.234.0.255 is the broadcast address of 10.234.0.0/24" \
    create --subnet 10.234.0.0/24 --gateway 10.234.0.255 "$n"
  refused "invalid network name 'host': it is a mode of --network" create host
  refused "invalid network name 'none'" create none
  refused "invalid network name 'bridge'" create bridge
  refused "invalid network name 'container:web'" create container:web
  refused "network '$taken' already exists" create "$taken"
  refused "network 'minirun' is the default network" rm minirun
  refused "network '$T_TAG-nosuch' not found" rm "$T_TAG-nosuch"
  refused "missing network name" create
  refused "unknown command 'frob'" frob

  # a route of the host: a dummy link of this test's own (a bridge with no
  # port where the kernel has no dummy driver)
  defer ip link del "$DUMMY"
  ip link add "$DUMMY" type dummy 2>/dev/null || ip link add "$DUMMY" type bridge
  ip addr add 10.251.7.1/24 dev "$DUMMY"
  ip link set "$DUMMY" up
  refused "subnet 10.251.0.0/16 overlaps the route 10.251.7.0/24 dev $DUMMY of this host" \
    create --subnet 10.251.0.0/16 "$n"
  ip link del "$DUMMY"

  rt network rm "$taken" >/dev/null
  gone "$taken"
  gone "$n"
  nothing_of_ours_left
}

t_ok "network create with and without --subnet; ls and inspect show networks, containers, addresses" create_ls_and_inspect_show_networks_and_their_containers
t_ok "containers of one network reach each other by name; another network's cannot" containers_of_a_network_reach_each_other_and_no_other
t_ok "network rm is refused while a running or stopped container uses it" rm_is_refused_while_a_container_uses_the_network
t_ok "an endpoint whose container is gone does not block network rm" an_endpoint_of_a_container_gone_does_not_block_rm
t_ok "network prune removes the unused networks, keeps used ones and the default" prune_removes_the_unused_networks_only
t_ok "bad subnets, gateways, names, overlaps and removals are refused, nothing made" bad_input_is_refused_and_nothing_is_made
t_done
