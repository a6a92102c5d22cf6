#!/bin/bash
# Published ports as the CLI shows them: `minirun port`, the PORTS column
# and the ports of `list --format json`, inspect's NetworkSettings, an
# automatic port shown and reachable on 127.0.0.1, nothing while stopped,
# bad input, and nothing left behind.  Traffic goes only to 127.0.0.1.
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

answers ()
{
  wait_for 10 sh -c "curl -s --max-time 2 http://127.0.0.1:$1/ | grep -q 'hello from'"
}

port_prints_each_binding_as_docker_port ()
{
  local p1 p2
  mk
  p1=$(free_port)
  p2=$(free_port)
  httpd -p "$p1:80" -p "127.0.0.1:$p2:80"
  answers "$p1"
  nft list tables | grep -q -w "$(nft_table_of_root)" || fail "no table $(nft_table_of_root) while a port is published: $(nft list tables)"
  t_run rt port "$ID"
  assert_success
  assert_eq "$(sort <<<"$out")" "$(printf '80/tcp -> 0.0.0.0:%s\n80/tcp -> 127.0.0.1:%s\n' "$p1" "$p2" | sort)"
  t_run rt port "$ID" 80
  assert_success
  assert_eq "$(sort <<<"$out")" "$(printf '0.0.0.0:%s\n127.0.0.1:%s\n' "$p1" "$p2" | sort)"
  t_run rt port "$ID" 80/tcp
  assert_success
  assert_contains "$out" "0.0.0.0:$p1"
  t_run rt port "$ID" 81
  assert_status 1
  assert_contains "$err" "no public port '81/tcp' published"
  t_run rt port "$ID" 80/udp
  assert_status 1
  assert_contains "$err" "'80/udp'"
  t_run rt port "$ID" 80/sctp
  assert_status 1
  assert_contains "$err" "invalid port '80/sctp'"
  t_run rt port "$ID" 0
  assert_status 1
  t_run rt port "$ID" 80 81
  assert_status 1
  assert_contains "$err" "too many arguments"
  rt rm -f "$ID" >/dev/null
  nothing_of_ours_left
}

an_automatic_port_is_shown_and_answers ()
{
  local hp
  mk
  httpd -p 80
  t_run rt port "$ID" 80
  assert_success
  assert_match "$out" '^0\.0\.0\.0:[0-9]+$'
  hp=${out##*:}
  [ "$hp" -ge 8000 ] && [ "$hp" -le 9000 ] || fail "automatic port $hp is not in 8000-9000"
  answers "$hp"
  assert_eq "$(curl -s --max-time 5 "http://127.0.0.1:$hp/")" "hello from $ID"
  # the record keeps the request: an automatic one
  assert_eq "$(rt inspect "$ID" | jq -r '.[0].HostConfig.PortBindings["80/tcp"][0].HostPort')" ""
  assert_eq "$(rt inspect "$ID" | jq -r '.[0].NetworkSettings.Ports["80/tcp"][0].HostPort')" "$hp"
  rt rm -f "$ID" >/dev/null
  nothing_of_ours_left
}

list_shows_ports_like_docker_ps ()
{
  local p1 p2 row json
  mk
  p1=$(free_port)
  p2=$(free_port)
  httpd -p "$p1:80" -p "127.0.0.1:$p2:80/tcp"
  answers "$p1"
  t_run rt list
  assert_success
  assert_match "$(head -n 1 <<<"$out")" '^ID +PID +STATUS +BUNDLE +CREATED +OWNER +PORTS$' header
  row=$(grep "^$ID " <<<"$out")
  assert_match "$row" " 0\\.0\\.0\\.0:$p1->80/tcp, 127\\.0\\.0\\.1:$p2->80/tcp\$" "PORTS"
  t_run rt list --format json
  assert_success
  json=$(jq -c --arg id "$ID" '.[] | select(.id == $id)' <<<"$out")
  assert_eq "$(jq -c .ports <<<"$json")" "{\"80/tcp\":[\"0.0.0.0:$p1\",\"127.0.0.1:$p2\"]}" "json ports"
  assert_eq "$(jq -c '.port_bindings[0]' <<<"$json")" \
    "{\"host_ip\":\"0.0.0.0\",\"host_port\":$p1,\"container_port\":80,\"protocol\":\"tcp\"}" "json port_bindings"
  # a container without ports has an empty cell and none in JSON
  local other=$ID
  mk
  rt run -d --rootfs "$R" --name "$ID" -- sleep 100 >/dev/null
  t_run rt list
  assert_match "$(grep "^$ID " <<<"$out")" " root *\$" "no ports"
  t_run rt list --format json
  assert_eq "$(jq -c --arg id "$ID" '.[] | select(.id == $id) | .ports' <<<"$out")" "{}"
  rt rm -f "$ID" "$other" >/dev/null
  nothing_of_ours_left
}

inspect_has_network_settings_while_it_runs ()
{
  local p doc ip
  mk
  p=$(free_port)
  httpd -p "$p:80"
  answers "$p"
  doc=$(rt inspect "$ID" | jq '.[0].NetworkSettings')
  ip=$(jq -r '.IPAddress' <<<"$doc")
  assert_match "$ip" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' IPAddress
  assert_eq "$ip" "$(jq -r .ip "$T_ROOT"/data/networks/*/endpoints/"$ID".json)" "the endpoint's address"
  assert_match "$(jq -r .IPPrefixLen <<<"$doc")" '^[0-9]+$' IPPrefixLen
  assert_match "$(jq -r .Gateway <<<"$doc")" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' Gateway
  assert_eq "$(jq -c .Ports <<<"$doc")" "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$p\"}]}" Ports
  assert_eq "$(jq -r '.Networks | keys[0]' <<<"$doc")" "minirun" "network name"
  assert_eq "$(jq -r '.Networks.minirun.IPAddress' <<<"$doc")" "$ip" "the network's address"
  assert_eq "$(jq -r '.Networks.minirun.NetworkID' <<<"$doc")" "minirun" NetworkID
  assert_eq "$(jq -r '.Networks.minirun.Gateway' <<<"$doc")" "$(jq -r .Gateway <<<"$doc")" "the network's gateway"
  rt stop -t 0 "$ID" >/dev/null
  # stopped: nothing is held, as docker shows it
  doc=$(rt inspect "$ID" | jq '.[0].NetworkSettings')
  assert_eq "$(jq -c .Ports <<<"$doc")" "{}" "Ports when stopped"
  assert_eq "$(jq -r .IPAddress <<<"$doc")" "" "IPAddress when stopped"
  t_run rt port "$ID"
  assert_success
  assert_eq "$out" "" "port when stopped"
  t_run rt port "$ID" 80
  assert_status 1
  t_run rt list -a
  assert_match "$(grep "^$ID " <<<"$out")" " root *\$" "no ports when stopped"
  rt rm -f "$ID" >/dev/null
  nothing_of_ours_left
}

port_of_what_publishes_nothing ()
{
  mk
  rt run -d --rootfs "$R" --name "$ID" --network none -- sleep 100 >/dev/null
  t_run rt port "$ID"
  assert_success
  assert_eq "$out" ""
  assert_eq "$(rt inspect "$ID" | jq -c '.[0].NetworkSettings.Ports')" "{}"
  rt rm -f "$ID" >/dev/null
  t_run rt port no-such-container
  assert_status 1
  assert_contains "$err" "container 'no-such-container' does not exist"
  t_run rt port
  assert_status 1
  assert_contains "$err" "missing container name"
  nothing_of_ours_left
}

t_ok "port prints each binding as docker port does, and names a port it lacks" port_prints_each_binding_as_docker_port
t_ok "an automatic port is shown by port and inspect and answers on 127.0.0.1" an_automatic_port_is_shown_and_answers
t_ok "list shows ports as docker ps does, and list --format json has them" list_shows_ports_like_docker_ps
t_ok "inspect has NetworkSettings while it runs, nothing once stopped" inspect_has_network_settings_while_it_runs
t_ok "port of a container with no network, or none at all" port_of_what_publishes_nothing
t_done
