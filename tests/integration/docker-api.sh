#!/bin/bash
# serve's Docker-compatible API, driven by the stock docker CLI (and, at the
# end, by docker-py): version, info, ps, images, create, run -d, inspect,
# start, stop, restart, kill, wait, logs, stats, exec, top, rm, events,
# network (create, ls, inspect, rm, prune, run --network), and the errors
# docker users meet (no such image, container or network, a name in use).
. "$(dirname "$0")/lib.sh"

minirun_only "serve is minirun's own"
need_command curl curl || t_skip_all "curl is needed"
command -v docker >/dev/null 2>&1 || t_skip_all "the docker CLI is not installed (apt-get install docker.io or docker-ce-cli)"

# An image of the store, made once for the whole script.
IMG=it-$(echo "$T_TAG" | tr A-Z a-z)
t_rootfs_cache
rt image add "$IMG" "$T_ROOTFS_CACHE/rootfs" >/dev/null || {
  echo "Bail out! image add failed"
  exit 1
}

# serve_start: a server of this script's root on $SOCK, its pid in $SRV,
# its standard error in $T_DIR/serve.log; DOCKER_HOST points at it.
serve_start ()
{
  SOCK=$T_DIR/d.$BASHPID.sock
  "$MINIRUN" --root "$T_ROOT" serve --socket "$SOCK" 2>"$T_DIR/serve.log" &
  SRV=$!
  defer kill_if "$SRV" serve
  wait_for 5 curl -sf --unix-socket "$SOCK" http://localhost/_ping
  export DOCKER_HOST=unix://$SOCK
}

# dk ARGS...: the docker CLI, bounded in time.
dk ()
{
  timeout -k 2 30 docker "$@"
}

# dapi METHOD PATH: the body in $body, the status in $code.
dapi ()
{
  code=$(curl -s -o "$T_DIR/.body" -D "$T_DIR/.headers" -w '%{http_code}' --unix-socket "$SOCK" \
    -X "$1" "http://localhost$2") || true
  body=$(cat "$T_DIR/.body")
}

# dpost PATH JSON: POSTs JSON; the body in $body, the status in $code.
dpost ()
{
  code=$(curl -s -o "$T_DIR/.body" -w '%{http_code}' --unix-socket "$SOCK" \
    -H 'Content-Type: application/json' --data-binary "$2" -X POST "http://localhost$1") || true
  body=$(cat "$T_DIR/.body")
}

# run_bg: a running container named $ID that prints a line a second.
run_bg ()
{
  new_id
  dk run -d --name "$ID" "$IMG" sh -c 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 1; done' >/dev/null
}

ping_version_and_info ()
{
  serve_start
  dapi GET /_ping
  assert_eq "$code $body" "200 OK" "GET /_ping"
  grep -qi '^api-version: 1.47' "$T_DIR/.headers" || fail "no API-Version header: $(cat "$T_DIR/.headers")"
  grep -qi '^ostype: linux' "$T_DIR/.headers" || fail "no Ostype header"
  code=$(curl -s -o /dev/null -I -w '%{http_code}' --unix-socket "$SOCK" http://localhost/_ping)
  assert_eq "$code" 200 "HEAD /_ping"
  dapi GET /v1.99/containers/json
  assert_eq "$code" 400 "a too new API version"
  assert_contains "$(jq -r .message <<<"$body")" "client version 1.99 is too new. Maximum supported API version is 1.47"
  dapi GET /v1.12/version
  assert_eq "$code" 400 "a too old API version"
  t_run dk version --format '{{.Server.APIVersion}} {{.Server.Os}}'
  assert_success
  assert_eq "$out" "1.47 linux" "docker version"
  t_run dk info --format '{{.ServerVersion}} {{.Images}} {{.OSType}}'
  assert_success
  assert_eq "$out" "$(rt --version | head -n 1 | awk '{print $3}') 1 linux" "docker info"
}

images_list_the_store ()
{
  serve_start
  t_run dk images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_success
  id=$(rt image inspect "$IMG" | jq -r .Id)
  assert_eq "$out" "$IMG:latest ${id:0:12}" "docker images"
  dapi GET "/v1.47/images/$IMG/json"
  assert_eq "$code" 200 "image inspect (body $body)"
  assert_eq "$(jq -r .Id <<<"$body")" "sha256:$id" "image Id"
  dapi GET "/v1.47/images/sha256:$id/json"
  assert_eq "$(jq -r '.RepoTags[0]' <<<"$body")" "$IMG:latest" "image by id"
  dapi GET /v1.47/images/nosuch-image/json
  assert_eq "$code" 404 "unknown image"
}

create_inspect_start_and_ps ()
{
  serve_start
  new_id
  t_run dk create --name "$ID" -e FOO=bar -l team=web -m 64m --cpus 0.5 --pids-limit 50 \
    -w /tmp "$IMG" sleep 100
  assert_success
  assert_eq "$out" "$ID" "create prints the id"
  t_run dk inspect --format '{{.Name}} {{.State.Status}} {{.Config.Image}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.Config.WorkingDir}} {{index .Config.Labels "team"}}' "$ID"
  assert_success
  assert_eq "$out" "/$ID created $IMG 67108864 500000000 50 /tmp web" "inspect after create"
  dk inspect "$ID" | jq -e '.[0].Config.Env | index("FOO=bar")' >/dev/null || fail "env not recorded"
  # the CLI's own create and minirun's are one: the record is the same
  assert_eq "$(rt inspect "$ID" | jq -r '.[0].HostConfig.Memory')" 67108864 "minirun inspect"
  t_run dk ps --format '{{.Names}}'
  assert_no_match "$out" "$ID" "ps shows a created container"
  t_run dk ps -a --format '{{.Names}} {{.Status}}'
  assert_contains "$out" "$ID Created"
  dk start "$ID" >/dev/null
  # 304: already started
  dapi POST "/v1.47/containers/$ID/start"
  assert_eq "$code" 304 "start again"
  t_run dk ps --filter "label=team=web" --format '{{.Names}} {{.Status}} {{.Image}} {{.Command}}'
  assert_success
  assert_match "$out" "^$ID Up .* $IMG \"sleep 100\"$" "ps"
  t_run dk ps -q --filter label=team=nope
  assert_eq "$out" "" "ps with a label no container has"
  t_run dk ps -a --filter status=exited --format '{{.Names}}'
  assert_no_match "$out" "$ID" "status filter"
  assert_eq "$(dk inspect -f '{{.State.Running}}' "$ID")" true "running"
  # a prefix of the name is enough
  assert_eq "$(dk inspect -f '{{.Id}}' "${ID%?}")" "$ID" "inspect by name"
}

stop_restart_kill_and_wait ()
{
  serve_start
  new_id
  dk run -d --name "$ID" "$IMG" sh -c 'trap "exit 3" TERM; sleep 100 & wait' >/dev/null
  pid=$(dk inspect -f '{{.State.Pid}}' "$ID")
  dk restart -t 5 "$ID" >/dev/null
  assert_ne "$(dk inspect -f '{{.State.Pid}}' "$ID")" "$pid" "pid after restart"
  assert_eq "$(dk inspect -f '{{.State.Status}}' "$ID")" running "after restart"
  dk stop -t 5 "$ID" >/dev/null
  assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$ID")" "exited 3" "after stop"
  dapi POST "/v1.47/containers/$ID/stop"
  assert_eq "$code" 304 "stop a stopped container"
  t_run dk wait "$ID"
  assert_eq "$out" 3 "wait on a stopped container"
  dk start "$ID" >/dev/null
  dk wait "$ID" >"$T_DIR/wait.out" &
  waiter=$!
  sleep 0.5
  dk kill -s KILL "$ID" >/dev/null
  wait "$waiter"
  assert_eq "$(cat "$T_DIR/wait.out")" 137 "wait sees the kill"
  t_run dk kill "$ID"
  assert_failure
  assert_contains "$err" "not running"
  t_run dk kill -s NOSUCHSIG "$ID"
  assert_failure
  assert_contains "$err" "Invalid signal: NOSUCHSIG"
}

logs_tail_and_follow ()
{
  serve_start
  new_id
  dk run -d --name "$ID" "$IMG" sh -c 'echo out1; echo err1 >&2; echo out2; sleep 2; echo later; sleep 100' >/dev/null
  wait_for 5 sh -c "docker logs $ID 2>/dev/null | grep -q out2"
  dk logs -f "$ID" >"$T_DIR/follow.out" 2>&1 &
  follower=$!
  t_run dk logs "$ID"
  assert_success
  assert_eq "$out" "$(printf 'out1\nout2')" "stdout, demultiplexed"
  assert_eq "$err" err1 "stderr, demultiplexed"
  # the framing on the wire: [stream 0 0 0 size]
  curl -s --unix-socket "$SOCK" "http://localhost/v1.47/containers/$ID/logs?stdout=1&stderr=1&tail=all" \
    -o "$T_DIR/raw"
  assert_eq "$(head -c 8 "$T_DIR/raw" | od -An -tx1 | tr -d ' \n')" 0100000000000005 "first frame header"
  dapi GET "/v1.47/containers/$ID/logs"
  assert_eq "$code" 400 "logs without a stream"
  # -f, started before the line was written, sees it
  wait_for 5 grep -q later "$T_DIR/follow.out"
  kill "$follower"
  wait "$follower" || true
  t_run dk logs --tail 1 "$ID"
  assert_eq "$out" later "--tail 1"
  t_run dk logs -t --tail 1 "$ID"
  assert_match "$out" '^20[0-9-]+T[0-9:.]+Z later$' "--timestamps"
}

exec_top_and_stats ()
{
  serve_start
  run_bg
  t_run dk exec "$ID" sh -c 'echo to-out; echo to-err >&2; exit 5'
  assert_status 5
  assert_eq "$out" to-out "exec stdout"
  assert_eq "$err" to-err "exec stderr"
  t_run dk exec -e GREETING=hi -w /tmp "$ID" sh -c 'echo "$GREETING $(pwd)"'
  assert_success
  assert_eq "$out" "hi /tmp" "exec env and workdir"
  t_run dk exec "$ID" no-such-command
  assert_status 127
  t_run dk top "$ID"
  assert_success
  assert_contains "$out" "sleep 1"
  assert_match "$(head -n 1 <<<"$out")" "^UID +PID +PPID" "top titles"
  t_run dk stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' "$ID"
  assert_success
  assert_match "$out" "^$ID [0-9.]+[KMG]iB / [0-9.]+[KMGT]iB [1-9][0-9]*$" "stats"
  # streamed: two objects, the second with precpu_stats
  timeout 5 curl -sN --unix-socket "$SOCK" "http://localhost/v1.47/containers/$ID/stats" \
    2>/dev/null | head -n 2 >"$T_DIR/stats" || true
  assert_eq "$(wc -l <"$T_DIR/stats")" 2 "streamed stats"
  assert_ne "$(tail -n 1 "$T_DIR/stats" | jq .precpu_stats.cpu_usage.total_usage)" 0 "precpu_stats"
  assert_ne "$(tail -n 1 "$T_DIR/stats" | jq .cpu_stats.system_cpu_usage)" 0 "system_cpu_usage"
}

rm_and_rm_force ()
{
  serve_start
  run_bg
  t_run dk rm "$ID"
  assert_failure
  assert_contains "$err" "container is running"
  dk rm -f "$ID" >/dev/null
  t_run dk inspect "$ID"
  assert_failure
  t_run rt inspect "$ID"
  assert_failure
  new_id
  dk create --name "$ID" "$IMG" true >/dev/null
  dk rm "$ID" >/dev/null
  t_run rt inspect "$ID"
  assert_failure
}

events_between_since_and_until ()
{
  serve_start
  since=$(date +%s)
  new_id
  dk run -d --name "$ID" "$IMG" true >/dev/null
  dk wait "$ID" >/dev/null
  dk rm "$ID" >/dev/null
  t_run dk events --since "$since" --until "$(($(date +%s) + 1))" --filter "container=$ID" \
    --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
  assert_success
  assert_eq "$(awk '{print $2}' <<<"$out" | tr '\n' ' ')" "create start die delete " "events"
  assert_contains "$out" "container create $ID"
  t_run dk events --since "$since" --until "$(date +%s)" --filter nosuchkey=1
  assert_failure
}

errors_use_docker_statuses ()
{
  serve_start
  t_run dk create --pull never --name x-nope nosuch-image:1 true
  assert_failure
  assert_contains "$err" "No such image: nosuch-image:1"
  dapi POST /v1.47/containers/create
  assert_eq "$code" 400 "create without a body"
  t_run dk inspect --type container no-such-container
  assert_failure
  assert_contains "$err" "No such container: no-such-container"
  t_run dk stop no-such-container
  assert_failure
  assert_contains "$err" "No such container: no-such-container"
  new_id
  dk create --name "$ID" "$IMG" true >/dev/null
  t_run dk create --name "$ID" "$IMG" true
  assert_failure
  assert_contains "$err" "Conflict. The container name \"/$ID\" is already in use"
  code=$(curl -s -o "$T_DIR/.body" -w '%{http_code}' --unix-socket "$SOCK" -H 'Content-Type: application/json' \
    --data-binary "{\"Image\": \"$IMG\", \"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{\"HostPort\": \"99999\"}]}}}" \
    -X POST "http://localhost/v1.47/containers/create?name=$ID-badport") || true
  assert_eq "$code" 400 "a bad HostPort: $(cat "$T_DIR/.body")"
  assert_contains "$(cat "$T_DIR/.body")" "99999" "a bad HostPort named"
  t_run dk inspect "$ID-badport"
  assert_failure
  t_run dk create --name 'bad name!' "$IMG" true
  assert_failure
  assert_contains "$err" "Invalid container name"
  t_run dk run -d --rm --restart always "$IMG" true
  assert_failure
  dapi POST "/v1.47/containers/$ID/exec"
  assert_eq "$code" 400 "exec without a body"
  dapi GET /v1.47/exec/0123/json
  assert_eq "$code" 404 "unknown exec"
  dapi GET /v1.47/no/such/route
  assert_eq "$code" 404 "unknown route"
}

WEB='mkdir -p /www && echo "hello from docker" >/www/index.html && exec /bin/busybox httpd -f -p 80 -h /www'

run_p_port_ps_and_inspect_show_published_ports ()
{
  command -v nft >/dev/null || skip "nft is missing (apt-get install nftables)"
  local p auto
  serve_start
  new_id
  p=$(free_port)
  dk run -d --name "$ID" -p "$p:80" "$IMG" sh -c "$WEB" >/dev/null
  defer rt rm -f "$ID"
  wait_for 10 sh -c "curl -s --max-time 2 http://127.0.0.1:$p/ | grep -q 'hello from docker'"
  t_run dk port "$ID"
  assert_success
  assert_eq "$out" "80/tcp -> 0.0.0.0:$p" "docker port"
  t_run dk port "$ID" 80/tcp
  assert_success
  assert_eq "$out" "0.0.0.0:$p" "docker port 80/tcp"
  t_run dk ps --filter "name=$ID" --format '{{.Ports}}'
  assert_success
  assert_eq "$out" "0.0.0.0:$p->80/tcp" "docker ps Ports"
  assert_match "$(dk inspect -f '{{.NetworkSettings.IPAddress}}' "$ID")" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' "IPAddress"
  assert_eq "$(dk inspect -f '{{json .HostConfig.PortBindings}}' "$ID")" "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"$p\"}]}" "PortBindings"
  assert_eq "$(dk inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$ID")" minirun "Networks"
  # -P: every exposed port to an automatic one
  dk run -d --name "$ID-all" --expose 80 -P "$IMG" sh -c "$WEB" >/dev/null
  defer rt rm -f "$ID-all"
  t_run dk port "$ID-all" 80
  assert_success
  auto=${out##*:}
  [ "$auto" -ge 8000 ] && [ "$auto" -le 9000 ] || fail "automatic port '$out' is not in 8000-9000"
  wait_for 10 sh -c "curl -s --max-time 2 http://127.0.0.1:$auto/ | grep -q 'hello from docker'"
  # stopped: no port is held
  dk stop -t 0 "$ID" >/dev/null
  t_run dk port "$ID"
  assert_eq "$out" "" "docker port when stopped"
  assert_eq "$(dk inspect -f '{{json .NetworkSettings.Ports}}' "$ID")" "{}" "Ports when stopped"
  dk rm -f "$ID" "$ID-all" >/dev/null
  assert_eq "$(ls "$T_ROOT"/data/networks/*/endpoints/ 2>/dev/null)" "" "endpoints left"
}

# the networks of this script's data directory, sorted, on one line
networks_made ()
{
  rt network ls -q | sort | tr '\n' ' '
}

network_create_ls_inspect_run_and_rm ()
{
  command -v nft >/dev/null || skip "nft is missing (apt-get install nftables)"
  local n=$T_TAG-dnet id ip before
  # a subnet of this run's own, clear of the network scripts' ones
  local sub=10.238.$(($$ % 200 + 20))
  serve_start
  t_run dk network create --subnet "$sub.0/24" --gateway "$sub.254" "$n"
  assert_success
  assert_match "$out" '^[0-9a-f]{64}$' "network create prints the id"
  id=$out
  defer rt network rm "$n"
  assert_eq "$id" "$(rt network inspect "$n" | jq -r '.[0].Id')" "the id is minirun's"
  t_run dk network ls --format '{{.ID}} {{.Name}} {{.Driver}} {{.Scope}}'
  assert_success
  assert_contains "$out" "${id:0:12} $n bridge local"
  assert_match "$out" ' minirun bridge local' "the default network is listed"
  assert_eq "$(dk network ls -q --filter "name=$n")" "${id:0:12}" "filter name"
  assert_eq "$(dk network ls -q --filter "id=$id")" "${id:0:12}" "filter id"
  assert_eq "$(dk network ls --format '{{.Name}}' --filter type=custom)" "$n" "filter type=custom"
  assert_eq "$(dk network ls --format '{{.Name}}' --filter type=builtin)" minirun "filter type=builtin"
  assert_eq "$(dk network ls -q --filter name=no-such-net-anywhere)" "" "filter name, no match"
  dapi GET '/v1.47/networks?filters=%7B%22colour%22%3A%5B%22red%22%5D%7D'
  assert_eq "$code" 400 "an unknown filter"
  t_run dk network inspect -f '{{.Name}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{.Internal}} {{.Driver}}' "$n"
  assert_success
  assert_eq "$out" "$n $sub.0/24 $sub.254 false bridge" "network inspect"
  assert_eq "$(dk network inspect -f '{{.Name}}' "${id:0:12}")" "$n" "inspect by a prefix of the id"

  # a container on it, as docker run --network puts it there
  new_id
  dk run -d --name "$ID" --network "$n" "$IMG" sleep 100 >/dev/null
  defer rt rm -f "$ID"
  t_run dk inspect -f '{{.HostConfig.NetworkMode}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}}{{end}}' "$ID"
  assert_success
  assert_match "$out" "^$n $n ${sub//./\\.}\\.[0-9]+$" "docker inspect: the network and the address"
  ip=${out##* }
  assert_eq "$(dk network inspect -f '{{range $k, $v := .Containers}}{{$k}} {{$v.IPv4Address}}{{end}}' "$n")" "$ID $ip/24" "the network's Containers"
  t_run dk network rm "$n"
  assert_failure
  assert_contains "$err" "network '$n' is in use by container '$ID'"
  t_run dk network connect "$n" "$ID"
  assert_failure
  assert_contains "$err" "not supported by minirun serve"
  t_run dk network disconnect "$n" "$ID"
  assert_failure
  assert_contains "$err" "not supported by minirun serve"
  dk rm -f "$ID" >/dev/null

  # refused, and nothing made
  before=$(networks_made)
  t_run dk network create "$n"
  assert_failure
  assert_contains "$err" "network '$n' already exists"
  t_run dk network create --subnet "$sub.128/25" "$T_TAG-x"
  assert_failure
  assert_contains "$err" "overlaps the subnet $sub.0/24 of network '$n'"
  t_run dk network create --subnet 10.0.0.1/24 "$T_TAG-x"
  assert_failure
  assert_contains "$err" "host bits are set"
  # (the CLI checks this one itself)
  dpost /v1.47/networks/create "{\"Name\": \"$T_TAG-x\", \"IPAM\": {\"Config\": [{\"Subnet\": \"10.1.0.0/24\", \"Gateway\": \"10.2.0.1\"}]}}"
  assert_eq "$code" 400 "a gateway outside the subnet"
  assert_contains "$(jq -r .message <<<"$body")" "gateway 10.2.0.1 is outside the subnet 10.1.0.0/24"
  dpost /v1.47/networks/create "{\"Name\": \"$T_TAG-x\", \"IPAM\": {\"Config\": [{\"Subnet\": \"10.1.0.0/24\"}, {\"Subnet\": \"10.3.0.0/24\"}]}}"
  assert_eq "$code" 400 "two pools"
  dpost /v1.47/networks/create "{\"Name\": \"$T_TAG-x\", \"Internal\": \"yes\"}"
  assert_eq "$code" 400 "Internal of the wrong type"
  assert_contains "$(jq -r .message <<<"$body")" "Internal" "the field named"
  dpost /v1.47/networks/create '{"Driver": "bridge"}'
  assert_eq "$code" 400 "no Name"
  t_run dk network create -d overlay "$T_TAG-x"
  assert_failure
  assert_contains "$err" "invalid Driver 'overlay'"
  t_run dk network create --ipv6 "$T_TAG-x"
  assert_failure
  assert_contains "$err" "IPv6"
  t_run dk network create -o com.docker.network.bridge.name=br9 "$T_TAG-x"
  assert_failure
  assert_contains "$err" "com.docker.network.bridge.name"
  t_run dk network create --ip-range 10.1.0.0/25 --subnet 10.1.0.0/24 "$T_TAG-x"
  assert_failure
  assert_contains "$err" "IPRange"
  t_run dk network create host
  assert_failure
  assert_contains "$err" "invalid network name 'host'"
  dapi POST /v1.47/networks/create
  assert_eq "$code" 400 "create without a body"
  assert_eq "$(networks_made)" "$before" "networks after the bad requests"
  t_run dk network rm minirun
  assert_failure
  assert_contains "$err" "default network"
  t_run dk network inspect no-such-net-anywhere
  assert_failure
  assert_contains "$err" "network no-such-net-anywhere not found"
  t_run dk network rm no-such-net-anywhere
  assert_failure
  assert_contains "$err" "not found"

  t_run dk network rm "$n"
  assert_success
  assert_eq "$out" "$n" "network rm prints the name"
  t_run dk network inspect "$id"
  assert_failure
  assert_eq "$(networks_made)" "minirun " "networks at the end"
  nothing_of_ours_left
}

network_prune_keeps_the_networks_in_use ()
{
  local used=$T_TAG-used idle=$T_TAG-idle
  serve_start
  dk network create "$used" >/dev/null
  defer rt network rm "$used"
  dk network create "$idle" >/dev/null
  defer rt network rm "$idle"
  new_id
  dk create --name "$ID" --network "$used" "$IMG" true >/dev/null
  defer rt rm -f "$ID"
  t_run dk network prune -f
  assert_success
  assert_eq "$out" "$(printf 'Deleted Networks:\n%s' "$idle")" "network prune"
  assert_eq "$(networks_made)" "$(printf '%s\n' minirun "$used" | sort | tr '\n' ' ')" "networks after prune"
  dapi POST /v1.47/networks/prune
  assert_eq "$code $(jq -c .NetworksDeleted <<<"$body")" "200 []" "nothing more to prune"
  dk rm "$ID" >/dev/null
  dapi POST /v1.47/networks/prune
  assert_eq "$code $(jq -c .NetworksDeleted <<<"$body")" "200 [\"$used\"]" "prune once it is unused"
  assert_eq "$(networks_made)" "minirun " "networks at the end"
  nothing_of_ours_left
}

docker_py_drives_the_same_api ()
{
  /usr/bin/python3 -c 'import docker' 2>/dev/null || skip "docker-py (python3-docker) is not installed"
  serve_start
  new_id
  timeout 60 /usr/bin/python3 "$T_LIB_DIR/docker_py.py" "$SOCK" "$IMG" "$ID" "10.239.$(($$ % 200 + 20)).0/24"
}

t_ok "/_ping, /version, /info and API version checks" ping_version_and_info
t_ok "docker images lists the image store" images_list_the_store
t_ok "docker create, inspect, start and ps (filters, 304)" create_inspect_start_and_ps
t_ok "docker restart, stop (304), kill and wait" stop_restart_kill_and_wait
t_ok "docker logs: framing, --tail, -t, -f" logs_tail_and_follow
t_ok "docker exec (output and exit code), top, stats" exec_top_and_stats
t_ok "docker rm refuses a running container, rm -f removes it" rm_and_rm_force
t_ok "docker events between --since and --until, with a filter" events_between_since_and_until
t_ok "errors: no such image or container, name conflict, bad input" errors_use_docker_statuses
t_ok "docker run -p and -P, docker port, ps and inspect show published ports that answer" run_p_port_ps_and_inspect_show_published_ports
t_ok "docker network create, ls (filters), inspect, run --network, rm (in use, unknown), bad input" network_create_ls_inspect_run_and_rm
t_ok "docker network prune removes the unused networks and keeps those in use" network_prune_keeps_the_networks_in_use
t_ok "docker-py: run, list, get, logs, exec_run, stop, wait, remove, images, networks" docker_py_drives_the_same_api
t_done
