#!/bin/bash
# Network modes and options of managed containers beyond a bridge of their
# own: --network container:NAME (sharing another container's namespace),
# --dns, and the automatic port range of minirun.conf and serve
# --port-range; through the CLI, the native API and the Docker API, with bad
# input and nothing left behind.  Traffic goes only to 127.0.0.1 and to
# addresses of the namespaces these tests make, with bounded timeouts.
. "$(dirname "$0")/lib.sh"
minirun_only

command -v curl >/dev/null || t_skip_all "curl is missing (apt-get install curl)"
command -v nft >/dev/null || t_skip_all "nft is missing (apt-get install nftables)"

. "$(dirname "$0")/serve-lib.sh"

mk ()
{
  new_bundle
  R=$B/rootfs
  mkdir -p "$R/www"
  echo "hello from $ID" >"$R/www/index.html"
}

ip_of ()
{
  jq -r .ip "$T_ROOT"/data/networks/*/endpoints/"$1".json
}

fetch ()
{
  curl -s --max-time 5 "$1"
}

# the names of this root's endpoints and bound namespaces, one per line
endpoints ()
{
  ls "$T_ROOT"/data/networks/*/endpoints/ 2>/dev/null | sed -n 's/\.json$//p' | sort
}

netns_files ()
{
  ls "$T_ROOT/.netns" 2>/dev/null | sort
}

# --- --network container:NAME ----------------------------------------------

a_joiner_shares_the_others_network ()
{
  local web joiner addr out
  mk
  web=$ID
  # only on loopback: reachable from a container of the same namespace alone
  rt run -d --rootfs "$R" --name "$web" --network bridge -- /bin/busybox httpd -f -p 127.0.0.1:80 -h /www >/dev/null
  addr=$(ip_of "$web")
  assert_match "$addr" '^10\.' "the address of $web"
  new_id
  joiner=$ID
  t_run rt run --rm --rootfs "$R" --name "$joiner" --network "container:$web" -- /bin/busybox sh -c \
    'ip -o -4 addr show eth0; timeout 5 wget -qO- http://127.0.0.1/; hostname; cat /etc/hosts /etc/resolv.conf'
  assert_success
  assert_contains "$out" "inet $addr/" "the joiner's eth0"
  assert_contains "$out" "hello from $web" "the other's httpd on 127.0.0.1"
  assert_contains "$out" "${joiner:0:12}" "its own host name"
  assert_contains "$out" "$(cat "$T_ROOT/data/containers/$web/etc/hosts")" "the other's /etc/hosts"
  assert_contains "$out" "$(cat "$T_ROOT/data/containers/$web/etc/resolv.conf")" "the other's resolv.conf"
  # from the host, the bridge reaches no port 80 of that namespace (httpd is on loopback only)
  t_run curl -s --max-time 2 "http://$addr:80/"
  assert_failure
  nothing_of_ours_left_but "$web"
  rt rm -f "$web" >/dev/null
  nothing_of_ours_left
}

# nothing of this root's networks but what container $1 holds
nothing_of_ours_left_but ()
{
  assert_eq "$(endpoints)" "$1" "endpoints"
  assert_eq "$(netns_files)" "$1" "bound namespaces"
}

inspect_and_removal_of_either_leave_nothing ()
{
  local web joiner
  mk
  web=$ID
  rt run -d --rootfs "$R" --name "$web" -p "127.0.0.1:$(free_port):80" -- /bin/busybox httpd -f -p 80 -h /www >/dev/null
  new_id
  joiner=$ID
  rt run -d --rootfs "$R" --name "$joiner" --network "container:$web" -- sleep 1000 >/dev/null
  rt inspect "$joiner" >"$T_DIR/inspect.json"
  assert_eq "$(jq -r '.[0].HostConfig.NetworkMode' "$T_DIR/inspect.json")" "container:$web" "NetworkMode"
  assert_eq "$(jq -r '.[0].NetworkSettings.IPAddress' "$T_DIR/inspect.json")" "" "IPAddress"
  assert_eq "$(jq -c '.[0].NetworkSettings.Networks' "$T_DIR/inspect.json")" "{}" "Networks"
  assert_eq "$(jq -c '.[0].HostConfig.PortBindings' "$T_DIR/inspect.json")" "{}" "PortBindings"
  # its processes are in the other's namespace
  assert_eq "$(readlink "/proc/$(ctr_pid "$joiner")/ns/net")" "$(readlink "/proc/$(ctr_pid "$web")/ns/net")" "network namespace"
  nothing_of_ours_left_but "$web"
  # the joiner goes: the other's network stays
  rt rm -f "$joiner" >/dev/null
  nothing_of_ours_left_but "$web"
  assert_eq "$(fetch "http://$(ip_of "$web"):80/")" "hello from $web" "the other after rm -f of the joiner"
  # the other goes while a joiner runs, then the joiner
  rt run -d --rootfs "$R" --name "$joiner" --network "container:$web" -- sleep 1000 >/dev/null
  rt rm -f "$web" >/dev/null
  nothing_of_ours_left
  assert_eq "$(rt inspect "$joiner" | jq -r '.[0].State.Status')" running "the joiner after rm -f of the other"
  rt rm -f "$joiner" >/dev/null
  nothing_of_ours_left
}

bad_container_networks_are_refused ()
{
  local web joiner
  mk
  t_run rt run -d --rootfs "$R" --name "$ID" --network container:nosuch -- true
  assert_failure
  assert_contains "$err" "--network 'container:nosuch': no managed container 'nosuch'"
  [ ! -e "$T_ROOT/data/containers/$ID" ] || fail "a record was made"
  t_run rt run -d --rootfs "$R" --name "$ID" --network "container:$ID" -- true
  assert_failure
  assert_contains "$err" "cannot join its own network"
  # a peer that exists but does not run: created at once, refused at start
  web=$ID
  rt create --rootfs "$R" --name "$web" --network bridge -- sleep 1000 >/dev/null
  new_id
  joiner=$ID
  t_run rt run -d --rootfs "$R" --name "$joiner" --network "container:$web" -p 8080:80 -- true
  assert_failure
  assert_contains "$err" "conflicting options: port publishing and the container type network mode"
  [ ! -e "$T_ROOT/data/containers/$joiner" ] || fail "a record was made with -p"
  rt create --rootfs "$R" --name "$joiner" --network "container:$web" -- sleep 1000 >/dev/null
  t_run rt start "$joiner"
  assert_failure
  assert_contains "$err" "the container '$web' whose network it joins (--network container:$web) is created: start it first ('minirun start $web')"
  assert_eq "$(rt inspect "$joiner" | jq -r '.[0].State.Status')" created "the joiner after the refused start"
  # a chain is refused: name the one with the network
  rt start "$web" >/dev/null
  rt start "$joiner" >/dev/null
  new_id
  t_run rt run -d --rootfs "$R" --name "$ID" --network "container:$joiner" -- true
  assert_failure
  assert_contains "$err" "'$joiner' shares the network of '$web'; use --network container:$web"
  rt stop -t 0 "$web" >/dev/null
  rt rm -f "$joiner" "$web" >/dev/null
  nothing_of_ours_left
}

container_network_in_both_apis ()
{
  local web img n
  mk
  n=$ID
  web=$ID-webserver
  img=nm-$(echo "$T_TAG" | tr A-Z a-z):1
  rt image add "$img" "$R" >/dev/null
  defer rt image rm "$img"
  rt run -d --rootfs "$R" --name "$web" --network bridge -- /bin/busybox httpd -f -p 127.0.0.1:80 -h /www >/dev/null
  serve_start
  api_json POST /api/v1/containers 201 "$(jq -n --arg n "$n-n" --arg r "$R" --arg net "container:$web" \
    '{name: $n, rootfs: $r, command: ["sleep", "1000"], network: $net, start: true}')"
  defer rt rm -f "$n-n"
  assert_eq "$(jq -r .data.HostConfig.NetworkMode <<<"$body")" "container:$web" "native NetworkMode"
  t_run rt exec "$n-n" timeout 5 /bin/busybox wget -qO- http://127.0.0.1/
  assert_eq "$out" "hello from $n" "native: the other's httpd"
  api_json POST /api/v1/containers 400 "$(jq -n --arg n "$n-bad" --arg r "$R" --arg net "container:$web" \
    '{name: $n, rootfs: $r, network: $net, ports: ["80"]}')"
  assert_contains "$(jq -r .error.message <<<"$body")" "conflicting options" "native: with ports"
  api_json POST /api/v1/containers 400 "$(jq -n --arg n "$n-bad" --arg r "$R" '{name: $n, rootfs: $r, network: "container:nosuch"}')"
  assert_contains "$(jq -r .error.message <<<"$body")" "no managed container 'nosuch'" "native: no such container"
  # Docker's API: a unique prefix of the name, as docker run --network container:ID sends it
  api POST "/v1.47/containers/create?name=$n-d" -H 'Content-Type: application/json' --data-binary \
    "$(jq -n --arg img "$img" --arg net "container:$n-web" '{Image: $img, Cmd: ["sleep", "1000"], HostConfig: {NetworkMode: $net}}')"
  assert_eq "$code" 201 "docker create: $body"
  defer rt rm -f "$n-d"
  api POST "/v1.47/containers/$n-d/start"
  assert_eq "$code" 204 "docker start: $body"
  api GET "/v1.47/containers/$n-d/json"
  assert_eq "$(jq -r .HostConfig.NetworkMode <<<"$body")" "container:$web" "docker NetworkMode"
  assert_eq "$(jq -c .NetworkSettings.Networks <<<"$body")" "{}" "docker Networks"
  t_run rt exec "$n-d" timeout 5 /bin/busybox wget -qO- http://127.0.0.1/
  assert_eq "$out" "hello from $n" "docker: the other's httpd"
  api POST "/v1.47/containers/create?name=$n-dx" -H 'Content-Type: application/json' --data-binary \
    "$(jq -n --arg img "$img" '{Image: $img, HostConfig: {NetworkMode: "container:nosuch"}}')"
  assert_eq "$code" 404 "docker: no such container: $body"
  api POST "/v1.47/containers/create?name=$n-dx" -H 'Content-Type: application/json' --data-binary \
    "$(jq -n --arg img "$img" --arg net "container:$web" '{Image: $img, HostConfig: {NetworkMode: $net, PortBindings: {"80/tcp": [{"HostPort": ""}]}}}')"
  assert_eq "$code" 400 "docker: with ports: $body"
  assert_contains "$body" "conflicting options: port publishing and the container type network mode"
  t_run rt inspect "$n-dx"
  assert_failure
  rt rm -f "$n-n" "$n-d" "$web" >/dev/null
  nothing_of_ours_left
}

# --- --dns --------------------------------------------------------------------

dns_servers_are_the_containers_only_nameservers ()
{
  local want
  mk
  t_run rt run --rm --rootfs "$R" --name "$ID" --dns 192.0.2.53 --dns 2001:db8::53 -- cat /etc/resolv.conf
  assert_success
  # the host's search and options, then the servers given, and no other nameserver
  want=$(grep -v -E '^[[:space:]]*nameserver[[:space:]]' /etc/resolv.conf; printf 'nameserver 192.0.2.53\nnameserver 2001:db8::53')
  assert_eq "$out" "$want" "resolv.conf"
  # on a bridge too, where the host's loopback ones would be left out
  new_id
  rt run -d --rootfs "$R" --name "$ID" --network bridge --dns 192.0.2.54 -- sleep 1000 >/dev/null
  assert_eq "$(rt exec "$ID" grep nameserver /etc/resolv.conf)" "nameserver 192.0.2.54" "bridged resolv.conf"
  assert_eq "$(rt inspect "$ID" | jq -c '.[0].HostConfig.Dns')" '["192.0.2.54"]' "HostConfig.Dns"
  rt rm -f "$ID" >/dev/null
  nothing_of_ours_left
}

bad_dns_is_refused ()
{
  local web
  mk
  t_run rt run -d --rootfs "$R" --name "$ID" --dns 300.1.1.1 -- true
  assert_failure
  assert_contains "$err" "invalid --dns '300.1.1.1': expected an IPv4 or IPv6 address"
  t_run rt run -d --rootfs "$R" --name "$ID" --dns dns.example -- true
  assert_failure
  assert_contains "$err" "invalid --dns 'dns.example'"
  t_run rt run -d --rootfs "$R" --name "$ID" --dns 1.1.1.1 --dns 1.0.0.1 --dns 8.8.8.8 --dns 8.8.4.4 -- true
  assert_failure
  assert_contains "$err" "at most 3 nameservers"
  t_run rt run -d --rootfs "$R" --name "$ID" --network host --dns 192.0.2.53 -- true
  assert_failure
  assert_contains "$err" "conflicting options: --dns and --network host"
  [ ! -e "$T_ROOT/data/containers/$ID" ] || fail "a record was made"
  web=$ID
  rt create --rootfs "$R" --name "$web" -- true >/dev/null
  new_id
  t_run rt run -d --rootfs "$R" --name "$ID" --network "container:$web" --dns 192.0.2.53 -- true
  assert_failure
  assert_contains "$err" "conflicting options: dns and the network mode"
  [ ! -e "$T_ROOT/data/containers/$ID" ] || fail "a record was made"
  rt rm -f "$web" >/dev/null
  nothing_of_ours_left
}

dns_in_both_apis ()
{
  local img n
  mk
  n=$ID
  img=nm-$(echo "$T_TAG" | tr A-Z a-z):2
  rt image add "$img" "$R" >/dev/null
  defer rt image rm "$img"
  serve_start
  api_json POST /api/v1/containers 201 "$(jq -n --arg n "$n-n" --arg r "$R" \
    '{name: $n, rootfs: $r, command: ["sleep", "1000"], dns: ["192.0.2.55"], start: true}')"
  defer rt rm -f "$n-n"
  assert_eq "$(jq -c .data.HostConfig.Dns <<<"$body")" '["192.0.2.55"]' "native HostConfig.Dns"
  assert_eq "$(rt exec "$n-n" grep nameserver /etc/resolv.conf)" "nameserver 192.0.2.55" "native resolv.conf"
  api_json POST /api/v1/containers 400 "$(jq -n --arg n "$n-bad" --arg r "$R" '{name: $n, rootfs: $r, dns: ["nope"]}')"
  assert_contains "$(jq -r .error.message <<<"$body")" "invalid --dns 'nope'" "native: a bad address"
  api_json POST /api/v1/containers 400 "$(jq -n --arg n "$n-bad" --arg r "$R" '{name: $n, rootfs: $r, dns: "1.1.1.1"}')"
  assert_contains "$(jq -r .error.message <<<"$body")" "'dns'" "native: not an array"
  api POST "/v1.47/containers/create?name=$n-d" -H 'Content-Type: application/json' --data-binary \
    "$(jq -n --arg img "$img" '{Image: $img, Cmd: ["sleep", "1000"], HostConfig: {Dns: ["2001:db8::55"]}}')"
  assert_eq "$code" 201 "docker create: $body"
  defer rt rm -f "$n-d"
  api POST "/v1.47/containers/$n-d/start"
  assert_eq "$code" 204 "docker start: $body"
  api GET "/v1.47/containers/$n-d/json"
  assert_eq "$(jq -c .HostConfig.Dns <<<"$body")" '["2001:db8::55"]' "docker HostConfig.Dns"
  assert_eq "$(rt exec "$n-d" grep nameserver /etc/resolv.conf)" "nameserver 2001:db8::55" "docker resolv.conf"
  api POST "/v1.47/containers/create?name=$n-dx" -H 'Content-Type: application/json' --data-binary \
    "$(jq -n --arg img "$img" '{Image: $img, HostConfig: {Dns: ["1.2.3"]}}')"
  assert_eq "$code" 400 "docker: a bad address: $body"
  t_run rt inspect "$n-dx"
  assert_failure
  rt rm -f "$n-n" "$n-d" >/dev/null
  nothing_of_ours_left
}

# --- the automatic port range ---------------------------------------------

# two free ports in a row: $LOW and $HIGH
free_pair ()
{
  for _ in $(seq 20); do
    LOW=$(free_port)
    HIGH=$((LOW + 1))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$HIGH") 2>/dev/null; then
      return 0
    fi
  done
  fail "no two free ports in a row"
}

host_port_of ()
{
  local p
  p=$(rt port "$1" 80/tcp)
  echo "${p##*:}"
}

a_full_range_is_a_clear_error ()
{
  local a b c pa pb
  free_pair
  printf '# two ports\nport_range = %s-%s\n' "$LOW" "$HIGH" >"$T_DIR/range.conf"
  export MINIRUN_CONFIG=$T_DIR/range.conf
  mk
  a=$ID
  rt run -d --rootfs "$R" --name "$a" -p 80 -- /bin/busybox httpd -f -p 80 -h /www >/dev/null
  new_id
  b=$ID
  rt run -d --rootfs "$R" --name "$b" -p 127.0.0.1::80 -- /bin/busybox httpd -f -p 80 -h /www >/dev/null
  pa=$(host_port_of "$a")
  pb=$(host_port_of "$b")
  [ "$pa" -ge "$LOW" ] && [ "$pa" -le "$HIGH" ] || fail "port $pa of $a is outside $LOW-$HIGH"
  [ "$pb" -ge "$LOW" ] && [ "$pb" -le "$HIGH" ] || fail "port $pb of $b is outside $LOW-$HIGH"
  assert_ne "$pa" "$pb" "the two automatic ports"
  wait_for 10 sh -c "curl -s --max-time 2 http://127.0.0.1:$pb/ | grep -q 'hello from'"
  new_id
  c=$ID
  t_run rt run -d --rootfs "$R" --name "$c" -p 80 -- /bin/busybox httpd -f -p 80 -h /www
  assert_failure
  assert_contains "$err" "no free host port for 80/tcp: the automatic range $LOW-$HIGH is full; widen it with port_range = LOW-HIGH in minirun.conf"
  # nothing of the third's network is left (its record stays, as docker's)
  assert_eq "$(endpoints)" "$(printf '%s\n' "$a" "$b" | sort)" "endpoints"
  assert_eq "$(netns_files)" "$(printf '%s\n' "$a" "$b" | sort)" "bound namespaces"
  rt rm -f "$a" "$b" "$c" >/dev/null
  nothing_of_ours_left
}

bad_port_ranges_are_refused ()
{
  local bad
  mk
  for bad in 9000-8000 0-10 8000-65536 8000 abc; do
    printf 'port_range = %s\n' "$bad" >"$T_DIR/bad-range.conf"
    t_run env MINIRUN_CONFIG="$T_DIR/bad-range.conf" "$MINIRUN" --root "$T_ROOT" run -d --rootfs "$R" --name "$ID" -p 80 -- true
    assert_failure
    assert_contains "$err" "config file '$T_DIR/bad-range.conf', line 1: port_range: invalid port range '$bad'"
    [ ! -e "$T_ROOT/data/containers/$ID" ] || fail "a record was made with port_range = $bad"
    t_run rt serve --socket "$T_DIR/never.sock" --port-range "$bad"
    assert_status 1
    assert_contains "$err" "--port-range: invalid port range '$bad'"
    [ ! -e "$T_DIR/never.sock" ] || fail "serve listened with --port-range $bad"
  done
  nothing_of_ours_left
}

serve_port_range_is_reported_and_used ()
{
  local p
  free_pair
  mk
  printf 'port_range = 8000-9000\n' >"$T_DIR/wide.conf"
  export MINIRUN_CONFIG=$T_DIR/wide.conf
  serve_start --port-range "$LOW-$HIGH"
  api_ok GET /api/v1/ports
  assert_eq "$(jq -c .auto_range <<<"$body")" "{\"first\":$LOW,\"last\":$HIGH}" "auto_range"
  assert_eq "$(jq -c .free <<<"$body")" "[{\"first\":$LOW,\"last\":$HIGH}]" "free"
  assert_eq "$(jq -r .free_count <<<"$body")" 2 "free_count"
  api_json POST /api/v1/containers 201 "$(jq -n --arg n "$ID" --arg r "$R" \
    '{name: $n, rootfs: $r, command: ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"], ports: ["80"], start: true}')"
  p=$(host_port_of "$ID")
  [ "$p" -ge "$LOW" ] && [ "$p" -le "$HIGH" ] || fail "port $p is outside $LOW-$HIGH"
  api_ok GET /api/v1/ports
  assert_eq "$(jq -r .free_count <<<"$body")" 1 "free_count with one taken"
  assert_eq "$(jq -r --argjson p "$p" '[.free[] | select(.first <= $p and $p <= .last)] | length' <<<"$body")" 0 "the port taken is not free"
  # a start from the command line keeps the range the server created it with
  rt stop -t 0 "$ID" >/dev/null
  rt start "$ID" >/dev/null
  p=$(host_port_of "$ID")
  [ "$p" -ge "$LOW" ] && [ "$p" -le "$HIGH" ] || fail "port $p after a start from the command line"
  wait_for 10 sh -c "curl -s --max-time 2 http://127.0.0.1:$p/ | grep -q 'hello from'"
  rt rm -f "$ID" >/dev/null
  nothing_of_ours_left
}

t_ok "a container on another's network sees its eth0, its 127.0.0.1 and its /etc files" a_joiner_shares_the_others_network
t_ok "container:NAME: inspect, and rm -f of either, leave nothing behind" inspect_and_removal_of_either_leave_nothing
t_ok "container:NAME: no such container, itself, with -p, a peer not running, a chain" bad_container_networks_are_refused
t_ok "container:NAME through the native API and the Docker API" container_network_in_both_apis
t_ok "--dns: the only nameservers, the host's search and options kept" dns_servers_are_the_containers_only_nameservers
t_ok "--dns: bad addresses, too many, with host and container: are refused" bad_dns_is_refused
t_ok "--dns through the native API and the Docker API" dns_in_both_apis
t_ok "port_range: two ports for three containers, a clear error for the third, nothing left" a_full_range_is_a_clear_error
t_ok "port_range and serve --port-range: bad values are refused, nothing made" bad_port_ranges_are_refused
t_ok "serve --port-range: GET /ports reports it, its containers use it, from the CLI too" serve_port_range_is_reported_and_used
t_done
