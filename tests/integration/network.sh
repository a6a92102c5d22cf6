#!/bin/bash
# Bridge networking of managed containers: published ports on 127.0.0.1 and
# on the host's address, names between containers, port conflicts, bad
# input, and nothing left behind (links, namespaces, rules, records).
# Traffic goes only to 127.0.0.1 and to addresses of the bridges and
# namespaces these tests make, with bounded timeouts.
. "$(dirname "$0")/lib.sh"
minirun_only

command -v curl >/dev/null || t_skip_all "curl is missing (apt-get install curl)"
command -v nft >/dev/null || t_skip_all "nft is missing (apt-get install nftables)"

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

fetch ()
{
  curl -s --max-time 5 "$1"
}

ip_of ()
{
  jq -r .ip "$T_ROOT"/data/networks/*/endpoints/"$1".json
}

host_addr ()
{
  ip -4 -o addr show scope global | awk '$2 !~ /^mr/ { sub("/.*", "", $4); print $4; exit }'
}

published_port_answers_on_loopback_and_host_address ()
{
  local p1 p2 addr
  mk
  p1=$(free_port)
  p2=$(free_port)
  httpd -p "127.0.0.1:$p1:80" -p "$p2:80"
  wait_for 10 sh -c "curl -s --max-time 2 http://127.0.0.1:$p1/ | grep -q 'hello from'"
  assert_eq "$(fetch "http://127.0.0.1:$p1/")" "hello from $ID"
  assert_eq "$(fetch "http://127.0.0.1:$p2/")" "hello from $ID"
  addr=$(host_addr)
  [ -z "$addr" ] || assert_eq "$(fetch "http://$addr:$p2/")" "hello from $ID"
  # the bridge routes to the container's own address
  assert_eq "$(fetch "http://$(ip_of "$ID"):80/")" "hello from $ID"
  rt stop -t 0 "$ID" >/dev/null
  t_run curl -s --max-time 2 "http://127.0.0.1:$p1/"
  [ "$status" != 0 ] || fail "the port still answers after stop"
  nothing_of_ours_left
  # a start publishes it again
  rt start "$ID"
  wait_for 10 sh -c "curl -s --max-time 2 http://127.0.0.1:$p1/ | grep -q 'hello from'"
  rt rm -f "$ID" >/dev/null
  nothing_of_ours_left
}

the_default_network_joins_by_address_and_names_only_itself ()
{
  local web ip hosts
  mk
  web=$ID
  # no --network: the default is the bridge
  httpd
  ip=$(ip_of "$web")
  case $ip in 10.*) ;; *) fail "no address on the default network: '$ip'" ;; esac
  mk
  rt run -d --rootfs "$R" --name "$ID" -- sleep 100 >/dev/null
  wait_for 10 sh -c "$MINIRUN --root $T_ROOT exec $ID timeout 2 /bin/busybox wget -qO- http://$ip/ | grep -q 'hello from'"
  hosts=$T_ROOT/data/containers/$ID/etc/hosts
  grep -q "	$ID\$" "$hosts" || fail "the container's own name is not in its hosts: $(cat "$hosts")"
  # as on Docker's and Podman's default networks: no names of the others
  ! grep -q "	$web\$" "$hosts" || fail "$web in the hosts of $ID on the default network"
  rt rm -f "$web" "$ID" >/dev/null
  nothing_of_ours_left
}

a_taken_port_is_a_clear_error ()
{
  local p first lpid
  mk
  first=$ID
  p=$(free_port)
  httpd -p "$p:80"
  mk
  t_run rt run -d --rootfs "$R" --name "$ID" -p "$p:80" -- sleep 100
  assert_failure
  assert_contains "$err" "port $p/tcp is taken by $first"
  # refused before anything is made, as a bad option is
  t_run rt inspect "$ID"
  assert_failure
  # a host program's socket
  p=$(free_port)
  python3 -c "import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', $p)); s.listen(); print('up', flush=True); time.sleep(60)" >"$T_DIR/listener" &
  lpid=$!
  defer "kill $lpid"
  wait_for 10 grep -q up "$T_DIR/listener"
  mk
  t_run rt run -d --rootfs "$R" --name "$ID" -p "$p:80" -- sleep 100
  assert_failure
  assert_contains "$err" "port $p/tcp is taken by a program of the host"
  t_run rt inspect "$ID"
  assert_failure
  rt rm -f "$first" >/dev/null
  nothing_of_ours_left
}

bad_ports_and_networks_are_refused ()
{
  mk
  t_run rt run -d --rootfs "$R" --name "$ID" -p 99999:80 -- true
  assert_failure
  assert_contains "$err" "invalid port '99999:80': host port"
  t_run rt run -d --rootfs "$R" --name "$ID" -p abc -- true
  assert_failure
  assert_contains "$err" "invalid port 'abc'"
  t_run rt run -d --rootfs "$R" --name "$ID" -p 80/sctp -- true
  assert_failure
  assert_contains "$err" "tcp or udp"
  t_run rt run -d --rootfs "$R" --name "$ID" --network host -p 8080:80 -- true
  assert_failure
  assert_contains "$err" "ports are published from a bridge network"
  t_run rt run -d --rootfs "$R" --name "$ID" --network 'no/such' -- true
  assert_failure
  assert_contains "$err" "invalid --network 'no/such'"
  [ ! -e "$T_ROOT/data/containers/$ID" ] || fail "a record was made"
  t_run rt run -d --rootfs "$R" --name "$ID" --network nosuch -- true
  assert_failure
  assert_contains "$err" "network 'nosuch' not found"
  rt rm -f "$ID" >/dev/null 2>&1 || true
  nothing_of_ours_left
}

host_and_none_modes ()
{
  mk
  t_run rt run --rm --rootfs "$R" --network none -- /bin/busybox ip -o link
  assert_success
  assert_no_match "$out" "eth0"
  t_run rt run --rm --rootfs "$R" --network host -- /bin/busybox ip -o link
  assert_success
  assert_match "$out" "$(ip -o link | awk -F': ' 'NR == 2 { sub("@.*", "", $2); print $2 }')"
  nothing_of_ours_left
}

a_killed_monitor_then_rm_f_leaves_nothing ()
{
  local mon
  mk
  httpd -p "127.0.0.1:$(free_port):80"
  mon=$(rt inspect "$ID" | jq '[.. | objects | .MonitorPid? // empty][0] // 0')
  [ "$mon" -gt 0 ] || fail "no monitor pid"
  kill -KILL "$mon"
  rt rm -f "$ID" >/dev/null
  nothing_of_ours_left
}

an_automatic_port_is_kept_across_a_restart ()
{
  local p1 p2
  mk
  httpd -p 127.0.0.1::80
  p1=$(rt port "$ID" 80/tcp)
  p1=${p1##*:}
  [ "$p1" -ge 8000 ] && [ "$p1" -le 9000 ] || fail "automatic port '$p1' outside 8000-9000"
  assert_eq "$(fetch "http://127.0.0.1:$p1/")" "hello from $ID" "before the restart"
  rt stop -t 1 "$ID" >/dev/null
  rt start "$ID" >/dev/null
  p2=$(rt port "$ID" 80/tcp)
  assert_eq "${p2##*:}" "$p1" "the automatic port after a restart"
  wait_for 10 fetch "http://127.0.0.1:$p1/" >/dev/null
  assert_eq "$(fetch "http://127.0.0.1:$p1/")" "hello from $ID" "after the restart"
  rt rm -f "$ID" >/dev/null
  nothing_of_ours_left
}

t_ok "a published port answers on 127.0.0.1, the host's address and after a new start" published_port_answers_on_loopback_and_host_address
t_ok "the default network is the bridge; there containers reach each other by address, and hosts names only the container itself" the_default_network_joins_by_address_and_names_only_itself
t_ok "a port taken by a container or a host program is a clear error" a_taken_port_is_a_clear_error
t_ok "bad ports and networks are refused, nothing made" bad_ports_and_networks_are_refused
t_ok "--network none has loopback only, host the host's links" host_and_none_modes
t_ok "an automatic port is taken again when the container starts again" an_automatic_port_is_kept_across_a_restart
t_ok "a killed monitor, then rm -f, leaves no link, namespace, rule or record" a_killed_monitor_then_rm_f_leaves_nothing
t_done
