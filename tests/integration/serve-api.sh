#!/bin/bash
# serve: the rest of the native API, driven with curl against real managed
# containers: create with every field (and every wrong type), pause,
# resume, wait, exec, logs (and following them), stats, top, files, users,
# system stats, ports, networks, events, metrics, and the router's 404 and
# 405.
. "$(dirname "$0")/lib.sh"

minirun_only "serve is minirun's own"
need_command curl curl || t_skip_all "curl is needed"
need_command jq jq || t_skip_all "jq is needed"

. "$(dirname "$0")/serve-lib.sh"

# bad_field PATH FIELD JSON: 400, and the message names the field.
bad_field ()
{
  api_json POST "$1" 400 "$3"
  assert_contains "$(jq -r .error.message <<<"$body")" "'$2'" "message for $3"
}

create_takes_every_field ()
{
  local img name
  new_bundle
  img=api-$(echo "$T_TAG" | tr A-Z a-z):1
  rt image add "$img" "$B/rootfs" >/dev/null
  defer rt image rm "$img"
  mkdir -p "$T_DIR/vol" && echo shared >"$T_DIR/vol/f"
  serve_start
  name=$ID-full
  api_json POST /api/v1/containers 201 "$(jq -n --arg n "$name" --arg img "$img" --arg v "$T_DIR/vol:/data:ro" '{
      name: $n, image: $img, command: "echo $GREETING; cat /data/f; hostname; sleep 1000",
      env: {GREETING: "hi there"}, workdir: "/tmp", user: "0:0", hostname: "apihost",
      memory: "64m", cpus: 0.5, pids_limit: 100, ports: [], volumes: [$v],
      restart: "on-failure:3", labels: {tier: "web", team: "a"}, start: true}')"
  defer rt rm -f "$name"
  assert_eq "$(jq -r .success <<<"$body")" true "success"
  assert_eq "$(jq -r .data.Name <<<"$body")" "$name" "Name"
  assert_eq "$(jq -r .data.State.Status <<<"$body")" running "State.Status"
  assert_eq "$(jq -r '.data.Config.Cmd | join(" ")' <<<"$body")" 'sh -c echo $GREETING; cat /data/f; hostname; sleep 1000' "Cmd"
  assert_eq "$(jq -r '.data.Config.Env | index("GREETING=hi there") != null' <<<"$body")" true "Env"
  assert_eq "$(jq -r .data.Config.WorkingDir <<<"$body")" /tmp "WorkingDir"
  assert_eq "$(jq -r .data.Config.Hostname <<<"$body")" apihost "Hostname"
  assert_eq "$(jq -r .data.HostConfig.Memory <<<"$body")" 67108864 "Memory"
  assert_eq "$(jq -r .data.HostConfig.NanoCpus <<<"$body")" 500000000 "NanoCpus"
  assert_eq "$(jq -r .data.HostConfig.PidsLimit <<<"$body")" 100 "PidsLimit"
  assert_eq "$(jq -r .data.HostConfig.RestartPolicy.Name <<<"$body")" on-failure "RestartPolicy"
  assert_eq "$(jq -r .data.HostConfig.RestartPolicy.MaximumRetryCount <<<"$body")" 3 "retries"
  assert_eq "$(jq -r .data.Config.Labels.tier <<<"$body")" web "Labels"
  wait_for 5 sh -c "'$MINIRUN' --root '$T_ROOT' logs '$name' | grep -q apihost"
  assert_eq "$(rt logs "$name")" "$(printf 'hi there\nshared\napihost')" "the container's output"
  # the same name again; an unknown image
  api_json POST /containers 409 "{\"name\": \"$name\", \"image\": \"$img\"}"
  assert_eq "$(jq -r .error.type <<<"$body")" conflict "409 type"
  api_json POST /containers 404 '{"image": "no-such-image:1", "command": ["true"]}'
  assert_contains "$(jq -r .error.message <<<"$body")" no-such-image "404 message"
  # a rootfs and an array command, memory in bytes, env as an array; not started
  api_json POST /containers 201 "$(jq -n --arg n "$ID-plain" --arg r "$B/rootfs" \
    '{name: $n, rootfs: $r, command: ["sleep", "1000"], memory: 33554432, env: ["A=1"], restart: "no", labels: {tier: "db"}}')"
  defer rt rm -f "$ID-plain"
  assert_eq "$(jq -r .data.State.Status <<<"$body")" created "not started"
  assert_eq "$(jq -r .data.HostConfig.Memory <<<"$body")" 33554432 "Memory in bytes"
  # the list's filters
  api_ok GET "/containers?status=running"
  assert_eq "$(jq -r '[.data[].id] | sort | join(" ")' <<<"$body")" "$name" "status=running"
  api_ok GET "/containers?status=created"
  assert_eq "$(jq -r '[.data[].id] | join(" ")' <<<"$body")" "$ID-plain" "status=created"
  api_ok GET "/containers?label=tier=db"
  assert_eq "$(jq -r '[.data[].id] | join(" ")' <<<"$body")" "$ID-plain" "label=tier=db"
  api_ok GET "/containers?label=team"
  assert_eq "$(jq -r '[.data[].id] | join(" ")' <<<"$body")" "$name" "label=team"
  api_ok GET "/containers?label=nope"
  assert_eq "$(jq -r '.data | length' <<<"$body")" 0 "label=nope"
  api_err GET "/containers?status=sleepy" 400
  # a bad volume is refused by the library, as `run -v` refuses it
  api_json POST /containers 400 "{\"rootfs\": \"$B/rootfs\", \"volumes\": [\"nocolon\"]}"
  assert_contains "$(jq -r .error.message <<<"$body")" nocolon "volume message"
  api_json POST /containers 400 "{\"rootfs\": \"$B/rootfs\", \"restart\": \"sometimes\"}"
  assert_contains "$(jq -r .error.message <<<"$body")" sometimes "restart message"
}

create_refuses_every_wrong_type ()
{
  new_bundle
  serve_start
  local r=\"rootfs\":\"$B/rootfs\"
  local f
  for f in '"name": 1' '"rootfs": 2' '"image": []' '"command": 3' '"command": [1]' \
    '"env": "A=1"' '"env": ["novalue"]' '"env": {"A": 1}' '"workdir": 1' '"user": true' \
    '"hostname": {}' '"memory": true' '"memory": "lots"' '"memory": -1' '"cpus": "half"' \
    '"cpus": 0' '"pids_limit": "10"' '"pids_limit": 1.5' '"ports": "80"' '"ports": [80]' \
    '"ports": ["80:80:80:80"]' '"ports": {"8080": true}' '"ports": {"8080": "http"}' '"network": 1' \
    '"volumes": "/a:/b"' '"volumes": [true]' '"restart": 1' '"labels": ["a=b"]' \
    '"labels": {"a": 1}' '"start": "yes"' '"colour": "red"'; do
    bad_field /containers "$(sed 's/^"\([a-z_]*\)".*/\1/' <<<"$f")" "{$r, $f}"
  done
  assert_contains "$(jq -r .error.message <<<"$body")" unknown "unknown field message"
  # a bad entry is named, with the field
  api_json POST /containers 400 "{$r, \"ports\": [\"8080:80\", \"99999:80\"]}"
  assert_contains "$(jq -r .error.message <<<"$body")" "'ports'" "ports field"
  assert_contains "$(jq -r .error.message <<<"$body")" "'99999:80'" "ports entry"
  api_json POST /containers 400 "{$r, \"ports\": {\"8080\": \"80/sctp\"}}"
  assert_contains "$(jq -r .error.message <<<"$body")" "'8080': '80/sctp'" "ports object entry"
  api_json POST /containers 400 "{$r, \"ports\": [\"8080:80\"], \"network\": \"none\"}"
  assert_contains "$(jq -r .error.message <<<"$body")" "8080:80" "ports without a bridge"
  api_json POST /containers 400 '{"name": "x", '
  assert_contains "$(jq -r .error.message <<<"$body")" "invalid JSON" "malformed"
  api_json POST /containers 400 '["not", "an", "object"]'
  api_json POST /containers 400 '{"name": "x"}'
  api_json POST /containers 400 "{$r, \"image\": \"bb\"}"
  api_json POST /containers 400 "{$r, \"name\": \"-bad\"}"
  api_err POST /containers 400
  head -c $((1024 * 1024 + 1)) /dev/zero >"$T_DIR/big"
  api_err POST /containers 413 --data-binary @"$T_DIR/big"
  # nothing was made on the way
  assert_eq "$(rt list -q | wc -l)" 0 "containers after the bad requests"
}

ports_are_published_and_listed ()
{
  command -v nft >/dev/null || skip "nft is missing"
  local p a b auto n_before
  new_bundle
  mkdir -p "$B/rootfs/www" && echo "hello from api" >"$B/rootfs/www/index.html"
  serve_start
  p=$(free_port)
  a=$ID-obj
  b=$ID-arr
  local cmd='["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]'
  # the object form: host port to container port
  api_json POST /containers 201 "{\"name\": \"$a\", \"rootfs\": \"$B/rootfs\", \"command\": $cmd, \"ports\": {\"$p\": \"80\"}, \"start\": true}"
  defer rt rm -f "$a"
  assert_eq "$(jq -c .data.ports <<<"$body")" "{\"80/tcp\":\"0.0.0.0:$p\"}" "ports of the object form"
  assert_eq "$(jq -r .data.HostConfig.NetworkMode <<<"$body")" minirun "NetworkMode"
  wait_for 10 sh -c "curl -s --max-time 2 http://127.0.0.1:$p/ | grep -q 'hello from api'"
  # the array form, an automatic port, on a network named
  api_json POST /containers 201 "{\"name\": \"$b\", \"rootfs\": \"$B/rootfs\", \"command\": $cmd, \"ports\": [\"127.0.0.1::80/tcp\"], \"network\": \"bridge\", \"start\": true}"
  defer rt rm -f "$b"
  auto=$(jq -r '.data.ports["80/tcp"]' <<<"$body")
  assert_match "$auto" '^127\.0\.0\.1:[0-9]+$' "automatic port"
  auto=${auto#*:}
  [ "$auto" -ge 8000 ] && [ "$auto" -le 9000 ] || fail "automatic port $auto is not in 8000-9000"
  wait_for 10 sh -c "curl -s --max-time 2 http://127.0.0.1:$auto/ | grep -q 'hello from api'"
  api_ok GET "/containers/$b"
  assert_eq "$(jq -r '.data.NetworkSettings.Ports["80/tcp"][0].HostPort' <<<"$body")" "$auto" "inspect's Ports"
  api_ok GET /containers
  assert_eq "$(jq -c --arg n "$a" '.data[] | select(.id == $n) | .ports' <<<"$body")" "{\"80/tcp\":\"0.0.0.0:$p\"}" "list ports"
  assert_eq "$(jq -c --arg n "$b" '.data[] | select(.id == $n) | .port_bindings[0].host_port' <<<"$body")" "$auto" "list port_bindings"
  api_ok GET /ports
  assert_eq "$(jq -c --arg n "$a" '[.data[] | select(.container == $n) | {container_port, host_ip, host_port, protocol, private_port, public_port, state}]' <<<"$body")" \
    "[{\"container_port\":\"80/tcp\",\"host_ip\":\"0.0.0.0\",\"host_port\":\"$p\",\"protocol\":\"tcp\",\"private_port\":80,\"public_port\":$p,\"state\":\"running\"}]" "GET /ports of $a"
  assert_eq "$(jq -r --arg n "$b" '.data[] | select(.container == $n) | .host_address' <<<"$body")" 127.0.0.1 "host_address"
  assert_eq "$(jq -r '.auto_range | "\(.first)-\(.last)"' <<<"$body")" 8000-9000 "auto_range"
  assert_eq "$(jq -r --argjson p "$auto" '[.free[] | select(.first <= $p and $p <= .last)] | length' <<<"$body")" 0 "the automatic port is not free"
  assert_eq "$(jq -r .free_count <<<"$body")" 1000 "free_count"
  # bad entries: nothing made
  n_before=$(rt list -a -q | wc -l)
  api_json POST /containers 400 "{\"name\": \"$ID-bad\", \"rootfs\": \"$B/rootfs\", \"ports\": {\"$p\": \"80\", \"x\": \"81\"}}"
  assert_contains "$(jq -r .error.message <<<"$body")" "'x': '81'" "bad object entry"
  assert_eq "$(rt list -a -q | wc -l)" "$n_before" "containers after a bad request"
  # stopped: no port held
  rt stop -t 0 "$a" >/dev/null
  api_ok GET "/containers/$a"
  assert_eq "$(jq -c .data.ports <<<"$body")" "{}" "ports when stopped"
  api_ok GET /ports
  assert_eq "$(jq -r --arg n "$a" '[.data[] | select(.container == $n)] | length' <<<"$body")" 0 "GET /ports when stopped"
  rt rm -f "$a" "$b" >/dev/null
  assert_eq "$(ls "$T_ROOT"/data/networks/*/endpoints/ 2>/dev/null)" "" "endpoints left"
}

pause_resume_and_wait ()
{
  mk_running
  serve_start
  api_ok POST "/containers/$ID/pause"
  assert_eq "$(status_of "$ID")" paused "after pause"
  api_err POST "/containers/$ID/pause" 409
  api_ok POST "/api/v1/containers/$ID/resume"
  assert_eq "$(status_of "$ID")" running "after resume"
  api_err POST "/containers/$ID/resume" 409
  rt rm -f "$ID" >/dev/null
  mk_running sh -c 'sleep 1; exit 3'
  api_ok POST "/containers/$ID/wait"
  assert_eq "$(jq -r .data.exit_code <<<"$body")" 3 "exit_code"
  # stopped already: its last exit code at once
  api_ok POST "/containers/$ID/wait"
  assert_eq "$(jq -r .data.exit_code <<<"$body")" 3 "exit_code again"
  api_err POST /containers/no-such-one/wait 404
  api_err POST /containers/no-such-one/pause 404
}

exec_captures_output_and_exit_code ()
{
  mk_running
  serve_start
  api_json POST "/containers/$ID/exec" 200 '{"command": ["sh", "-c", "echo out; echo err >&2; exit 7"]}'
  assert_eq "$(jq -r .data.exit_code <<<"$body")" 7 "exit_code"
  assert_eq "$(jq -r .data.stdout <<<"$body")" out "stdout"
  assert_eq "$(jq -r .data.stderr <<<"$body")" err "stderr"
  api_json POST "/containers/$ID/exec" 200 '{"command": "echo $X $(pwd) $(id -u)", "env": {"X": "ex"}, "workdir": "/tmp", "user": "1234:1234"}'
  assert_eq "$(jq -r .data.stdout <<<"$body")" "ex /tmp 1234" "env, workdir, user"
  assert_eq "$(jq -r .data.exit_code <<<"$body")" 0 "exit_code 0"
  api_json POST "/containers/$ID/exec" 200 '{"command": ["sleep", "5"], "timeout": 1}'
  assert_eq "$(jq -r .data.timed_out <<<"$body")" true "timed_out"
  api_json POST "/containers/$ID/exec" 200 '{"command": ["/no/such/program"]}'
  assert_eq "$(jq -r .data.exit_code <<<"$body")" 127 "not found"
  bad_field "/containers/$ID/exec" command '{"command": 5}'
  bad_field "/containers/$ID/exec" command '{"command": []}'
  bad_field "/containers/$ID/exec" env '{"command": "true", "env": 1}'
  bad_field "/containers/$ID/exec" user '{"command": "true", "user": "root"}'
  bad_field "/containers/$ID/exec" workdir '{"command": "true", "workdir": 1}'
  bad_field "/containers/$ID/exec" workdir '{"command": "true", "workdir": "rel"}'
  bad_field "/containers/$ID/exec" timeout '{"command": "true", "timeout": "1s"}'
  bad_field "/containers/$ID/exec" tty '{"command": "true", "tty": true}'
  api_json POST "/containers/$ID/exec" 400 'nope'
  api_json POST /containers/no-such-one/exec 404 '{"command": "true"}'
  rt stop -t 0 "$ID" >/dev/null
  api_json POST "/containers/$ID/exec" 409 '{"command": "true"}'
}

logs_tail_and_follow ()
{
  mk_running sh -c 'echo one; echo two >&2; while [ ! -e /go ]; do sleep 0.1; done; echo three; sleep 0.3'
  serve_start
  wait_for 5 sh -c "'$MINIRUN' --root '$T_ROOT' logs '$ID' 2>&1 | grep -q two"
  api_ok GET "/containers/$ID/logs"
  assert_eq "$(jq -r '[.data[] | .stream + ":" + .line] | join("")' <<<"$body")" "$(printf 'stdout:one\nstderr:two\n')" "all lines"
  api_ok GET "/containers/$ID/logs?tail=1&timestamps=true"
  assert_eq "$(jq -r '.data | length' <<<"$body")" 1 "tail=1"
  assert_match "$(jq -r '.data[0].line' <<<"$body")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T.* two$' "timestamps"
  api_err GET "/containers/$ID/logs?tail=x" 400
  api_err GET "/containers/$ID/logs?since=yesterdayish" 400
  api_err GET "/containers/$ID/logs?follow=sometimes" 400
  api_err GET /containers/no-such-one/logs 404
  # follow: a line written after the request began comes, and the stream
  # ends once the container has exited
  curl -sN --max-time 15 --unix-socket "$SOCK" "http://localhost/containers/$ID/logs?follow=true&tail=0" >"$T_DIR/follow" &
  local cl=$!
  sleep 0.5
  api_json POST "/containers/$ID/files" 201 '{"path": "/go", "content": ""}'
  local rc=0
  wait "$cl" || rc=$?
  assert_eq "$rc" 0 "curl's exit status (the stream ended by itself)"
  assert_eq "$(jq -r .line <"$T_DIR/follow")" three "followed lines"
}

stats_top_system_ports ()
{
  mk_running
  serve_start
  api_ok GET "/containers/$ID/stats"
  assert_eq "$(jq -r .data.name <<<"$body")" "$ID" "stats name"
  assert_match "$(jq -r .data.pids <<<"$body")" '^[1-9][0-9]*$' "stats pids"
  assert_match "$(jq -r .data.memory_usage <<<"$body")" '^[0-9]+$' "stats memory"
  curl -sN --max-time 2.3 --unix-socket "$SOCK" "http://localhost/containers/$ID/stats?stream=true" >"$T_DIR/stats" || true
  [ "$(wc -l <"$T_DIR/stats")" -ge 2 ] || fail "streamed stats: $(cat "$T_DIR/stats")"
  assert_eq "$(jq -r .name <"$T_DIR/stats" | sort -u)" "$ID" "streamed stats name"
  api_ok GET "/containers/$ID/top"
  assert_eq "$(jq -r '.data[0].cmd' <<<"$body")" "sleep 1000" "top cmd"
  assert_match "$(jq -r '.data[0].pid' <<<"$body")" '^[1-9][0-9]*$' "top pid"
  api_ok GET /system/stats
  assert_match "$(jq -r .data.time <<<"$body")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "time"
  assert_match "$(jq -r .data.host.memory_total <<<"$body")" '^[1-9][0-9]*$' "host memory_total"
  assert_eq "$(jq -r '.data.host.containers_running' <<<"$body")" 1 "containers_running"
  assert_eq "$(jq -r '.data.containers[0].name' <<<"$body")" "$ID" "containers[0]"
  curl -sN --max-time 2.3 --unix-socket "$SOCK" "http://localhost/api/v1/system/stats?stream=true" >"$T_DIR/sys" || true
  [ "$(wc -l <"$T_DIR/sys")" -ge 2 ] || fail "streamed system stats: $(cat "$T_DIR/sys")"
  assert_eq "$(jq -r '.containers[0].name' <"$T_DIR/sys" | sort -u)" "$ID" "streamed system stats"
  api_err GET "/system/stats?stream=maybe" 400
  api_ok GET /ports
  assert_eq "$(jq -c .data <<<"$body")" "[]" "ports"
  assert_eq "$(jq -c .free <<<"$body")" '[{"first":8000,"last":9000}]' "free ports"
  rt stop -t 0 "$ID" >/dev/null
  api_err GET "/containers/$ID/stats" 409
  api_err GET "/containers/$ID/top" 409
  api_err GET /containers/no-such-one/stats 404
}

files_round_trip_and_stay_inside ()
{
  mk_running
  serve_start
  local b64
  b64=$(printf 'bin\000ary\377' | base64)
  api_json POST "/containers/$ID/files" 201 "{\"path\": \"/tmp/f.bin\", \"content_base64\": \"$b64\", \"mode\": \"0750\"}"
  api_ok GET "/containers/$ID/files?path=/tmp/f.bin"
  assert_eq "$(jq -r .data.content_base64 <<<"$body")" "$b64" "content"
  assert_eq "$(jq -r .data.size <<<"$body")" 8 "size"
  assert_eq "$(jq -r .data.mode <<<"$body")" 0750 "mode"
  assert_eq "$(rt exec "$ID" stat -c %a /tmp/f.bin)" 750 "mode inside"
  api_json POST "/containers/$ID/files" 201 '{"path": "/tmp/t.txt", "content": "hello\n", "mode": 384}'
  assert_eq "$(rt exec "$ID" cat /tmp/t.txt)" hello "text content"
  # escapes: "..", a symlink to / and one to a host path all stay inside
  rt exec "$ID" ln -s / /tmp/up
  rt exec "$ID" ln -s /etc/hostname /tmp/host-link
  echo host-secret >"$T_DIR/secret"
  api_json POST "/containers/$ID/files" 201 '{"path": "/../../../../tmp/escape1", "content": "x"}'
  api_json POST "/containers/$ID/files" 201 '{"path": "/tmp/up/tmp/escape2", "content": "x"}'
  [ ! -e /tmp/escape1 ] && [ ! -e /tmp/escape2 ] || fail "a file landed on the host"
  assert_eq "$(rt exec "$ID" ls /tmp/escape1 /tmp/escape2 | tr '\n' ' ')" "/tmp/escape1 /tmp/escape2 " "inside"
  api_err GET "/containers/$ID/files?path=/tmp/up/..$T_DIR/secret" 404
  api_err GET "/containers/$ID/files?path=/../../..$T_DIR/secret" 404
  # a symlink is replaced, not written through
  local before
  before=$(rt exec "$ID" cat /etc/hostname)
  api_json POST "/containers/$ID/files" 201 '{"path": "/tmp/host-link", "content": "new"}'
  assert_eq "$(rt exec "$ID" cat /etc/hostname)" "$before" "the symlink's target"
  assert_eq "$(rt exec "$ID" cat /tmp/host-link)" new "the new file"
  # a symlink read is followed inside the root
  api_ok GET "/containers/$ID/files?path=/tmp/up/etc/hostname"
  assert_eq "$(jq -r .data.content_base64 <<<"$body" | base64 -d)" "$before" "read through a symlink"
  api_err GET "/containers/$ID/files?path=/tmp" 400
  api_err GET "/containers/$ID/files?path=/nowhere" 404
  api_err GET "/containers/$ID/files" 400
  api_json POST "/containers/$ID/files" 400 '{"path": "/tmp", "content": "x"}'
  api_json POST "/containers/$ID/files" 404 '{"path": "/no/dir/f", "content": "x"}'
  bad_field "/containers/$ID/files" path '{"path": 1, "content": "x"}'
  bad_field "/containers/$ID/files" content '{"path": "/f", "content": 1}'
  bad_field "/containers/$ID/files" content_base64 '{"path": "/f", "content_base64": "!!"}'
  bad_field "/containers/$ID/files" mode '{"path": "/f", "content": "x", "mode": "rwx"}'
  bad_field "/containers/$ID/files" mode '{"path": "/f", "content": "x", "mode": 4095}'
  api_json POST "/containers/$ID/files" 400 '{"path": "/f", "content": "x", "content_base64": "eA=="}'
  api_json POST /containers/no-such-one/files 404 '{"path": "/f", "content": "x"}'
}

users_are_added ()
{
  mk_running
  serve_start
  api_json POST "/containers/$ID/users" 201 '{"username": "alice", "uid": 1500, "shell": "/bin/sh", "home": "/home/al"}'
  assert_eq "$(rt exec "$ID" grep '^alice:' /etc/passwd)" "alice:x:1500:1500::/home/al:/bin/sh" "passwd line"
  rt exec "$ID" test -d /home/al || fail "no home directory"
  api_json POST "/containers/$ID/users" 201 '{"username": "bob"}'
  assert_match "$(rt exec "$ID" grep '^bob:' /etc/passwd)" '^bob:x:1[0-9]{3}:' "bob's uid"
  api_json POST "/containers/$ID/users" 409 '{"username": "alice"}'
  api_json POST "/containers/$ID/users" 400 '{"username": "Not Valid"}'
  bad_field "/containers/$ID/users" username '{"username": 1}'
  bad_field "/containers/$ID/users" username '{}'
  bad_field "/containers/$ID/users" uid '{"username": "carol", "uid": "1600"}'
  bad_field "/containers/$ID/users" uid '{"username": "carol", "uid": -1}'
  bad_field "/containers/$ID/users" shell '{"username": "carol", "shell": false}'
  bad_field "/containers/$ID/users" home '{"username": "carol", "home": []}'
  bad_field "/containers/$ID/users" groups '{"username": "carol", "groups": []}'
  api_json POST /containers/no-such-one/users 404 '{"username": "carol"}'
}

# the networks of this script's data directory, sorted, on one line
networks_made ()
{
  rt network ls -q | sort | tr '\n' ' '
}

networks_are_made_listed_inspected_and_removed ()
{
  local n=$T_TAG-net other=$T_TAG-other before
  # a subnet of this run's own, clear of the network scripts' ones
  local sub=10.237.$(($$ % 200 + 20))
  serve_start
  api_json POST /api/v1/networks 201 "{\"name\": \"$n\", \"subnet\": \"$sub.0/24\", \"gateway\": \"$sub.254\", \"internal\": true}"
  defer rt network rm "$n"
  assert_eq "$(jq -r .data.Name <<<"$body")" "$n" "Name"
  assert_eq "$(jq -r '.data.IPAM.Config[0] | "\(.Subnet) \(.Gateway)"' <<<"$body")" "$sub.0/24 $sub.254" "IPAM"
  assert_eq "$(jq -r .data.Internal <<<"$body")" true "Internal"
  assert_match "$(jq -r .data.Id <<<"$body")" '^[0-9a-f]{64}$' "Id"
  # the same call as the CLI's: the same document
  api_ok GET "/networks/$n"
  assert_eq "$(jq -S .data <<<"$body")" "$(rt network inspect "$n" | jq -S '.[0]')" "GET /networks/NAME and network inspect"
  api_ok GET /networks
  assert_eq "$(jq -S .data <<<"$body")" "$(rt network ls --format json | jq -S .)" "GET /networks and network ls --format json"
  assert_eq "$(jq -r '[.data[].Name] | join(" ")' <<<"$body")" "$(printf '%s\n' minirun "$n" | sort | tr '\n' ' ' | sed 's/ $//')" "the list's names"
  # without a subnet: an automatic one
  api_json POST /networks 201 "{\"name\": \"$other\"}"
  defer rt network rm "$other"
  assert_match "$(jq -r '.data.IPAM.Config[0].Subnet' <<<"$body")" '^10\.[0-9]+\.[0-9]+\.0/20$' "automatic subnet"
  assert_eq "$(jq -r .data.Internal <<<"$body")" false "Internal by default"

  # refused, and nothing made
  before=$(networks_made)
  api_json POST /networks 409 "{\"name\": \"$n\"}"
  assert_contains "$(jq -r .error.message <<<"$body")" "network '$n' already exists" "a name taken"
  api_json POST /networks 409 "{\"name\": \"$T_TAG-x\", \"subnet\": \"$sub.128/25\"}"
  assert_contains "$(jq -r .error.message <<<"$body")" "overlaps the subnet $sub.0/24 of network '$n'" "an overlap"
  bad_field /networks name '{}'
  bad_field /networks name '{"name": 1}'
  bad_field /networks subnet "{\"name\": \"$T_TAG-x\", \"subnet\": \"10.0.0.1/24\"}"
  assert_contains "$(jq -r .error.message <<<"$body")" "host bits are set" "the subnet's fault"
  bad_field /networks subnet "{\"name\": \"$T_TAG-x\", \"subnet\": \"10.1.0.0/33\"}"
  bad_field /networks subnet "{\"name\": \"$T_TAG-x\", \"subnet\": [\"10.1.0.0/24\"]}"
  bad_field /networks gateway "{\"name\": \"$T_TAG-x\", \"subnet\": \"10.1.0.0/24\", \"gateway\": \"nowhere\"}"
  bad_field /networks gateway "{\"name\": \"$T_TAG-x\", \"gateway\": \"10.1.0.1\"}"
  bad_field /networks internal "{\"name\": \"$T_TAG-x\", \"internal\": \"yes\"}"
  bad_field /networks driver "{\"name\": \"$T_TAG-x\", \"driver\": \"bridge\"}"
  api_json POST /networks 400 "{\"name\": \"$T_TAG-x\", \"subnet\": \"10.1.0.0/24\", \"gateway\": \"10.2.0.1\"}"
  assert_contains "$(jq -r .error.message <<<"$body")" "gateway 10.2.0.1 is outside the subnet 10.1.0.0/24" "a gateway outside"
  api_json POST /networks 400 '{"name": "host"}'
  assert_contains "$(jq -r .error.message <<<"$body")" "invalid network name 'host'" "a reserved name"
  api_json POST /networks 400 '{"name": "-x"}'
  api_json POST /networks 400 '{"name": '
  api_err POST /networks 400
  assert_eq "$(networks_made)" "$before" "networks after the bad requests"

  api_err GET /networks/no-such-net 404
  assert_contains "$(jq -r .error.message <<<"$body")" "network 'no-such-net' not found" "404 message"
  api_err GET /networks/-bad 400
  api_err DELETE /networks/no-such-net 404
  api_err DELETE /networks/minirun 409
  assert_contains "$(jq -r .error.message <<<"$body")" "default network" "the default network stays"
  api_err PUT /networks 405
  api_err GET /networks/prune 404

  api DELETE "/api/v1/networks/$other"
  assert_eq "$code" 204 "DELETE: status (body $body)"
  assert_eq "$body" "" "DELETE: no body"
  [ ! -e "$T_ROOT/data/networks/$other" ] || fail "the record of $other is still there"
  rt network rm "$n" >/dev/null
  assert_eq "$(networks_made)" "minirun " "networks at the end"
  nothing_of_ours_left
}

a_network_in_use_is_kept_and_prune_takes_the_rest ()
{
  command -v nft >/dev/null || skip "nft is missing"
  local n=$T_TAG-used idle=$T_TAG-idle first
  serve_start
  api_json POST /networks 201 "{\"name\": \"$n\"}"
  defer rt network rm "$n"
  api_json POST /networks 201 "{\"name\": \"$idle\"}"
  defer rt network rm "$idle"
  new_bundle
  first=$ID
  rt run -d --rootfs "$B/rootfs" --name "$first" --network "$n" -- sleep 1000 >/dev/null
  defer rt rm -f "$first"
  new_id
  rt create --rootfs "$B/rootfs" --name "$ID" --network "$n" -- true >/dev/null
  defer rt rm -f "$ID"
  api_ok GET "/networks/$n"
  assert_eq "$(jq -r --arg c "$first" '.data.Containers[$c].Name' <<<"$body")" "$first" "Containers"
  assert_match "$(jq -r --arg c "$first" '.data.Containers[$c].IPv4Address' <<<"$body")" '^10\.[0-9.]+/20$' "IPv4Address"
  # in use, running or not: 409 with the containers
  api_err DELETE "/networks/$n" 409
  assert_eq "$(jq -c .error.containers <<<"$body")" "[\"$first\",\"$ID\"]" "the containers of a 409"
  assert_contains "$(jq -r .error.message <<<"$body")" "in use by containers '$first', '$ID'" "409 message"
  [ -f "$T_ROOT/data/networks/$n/network.json" ] || fail "the record went"
  api_ok POST /networks/prune
  assert_eq "$(jq -c .data.removed <<<"$body")" "[\"$idle\"]" "prune takes the unused one"
  [ ! -e "$T_ROOT/data/networks/$idle" ] || fail "the record of $idle is still there"
  rt stop -t 0 "$first" >/dev/null
  rt rm -f "$ID" >/dev/null
  api_err DELETE "/networks/$n" 409
  assert_eq "$(jq -c .error.containers <<<"$body")" "[\"$first\"]" "a stopped container keeps it"
  rt rm -f "$first" >/dev/null
  api_ok POST /api/v1/networks/prune
  assert_eq "$(jq -c .data.removed <<<"$body")" "[\"$n\"]" "prune once it is unused"
  api_ok POST /networks/prune
  assert_eq "$(jq -c .data.removed <<<"$body")" "[]" "nothing left to prune"
  nothing_of_ours_left
}

events_stream_shows_a_start ()
{
  new_bundle
  rt create --rootfs "$B/rootfs" --name "$ID" -- sleep 1000 >/dev/null
  serve_start
  curl -sN --max-time 10 --unix-socket "$SOCK" "http://localhost/events?filter=container=$ID" >"$T_DIR/events" &
  local cl=$!
  defer kill_if "$cl" curl
  sleep 0.3
  api_ok POST "/containers/$ID/start"
  wait_for 5 grep -q '"start"' "$T_DIR/events"
  kill "$cl"
  assert_eq "$(jq -r '.action + " " + .id' <"$T_DIR/events")" "start $ID" "followed events"
  # stored events, not followed: the stream ends
  curl -sN --max-time 5 --unix-socket "$SOCK" "http://localhost/events?since=1h&follow=false&filter=event=create" >"$T_DIR/events"
  assert_eq "$(jq -r 'select(.id == "'"$ID"'") | .action' <"$T_DIR/events")" create "stored events"
  api_err GET "/events?since=whenever" 400
  api_err GET "/events?filter=colour=red" 400
}

metrics_are_prometheus_text ()
{
  mk_running
  serve_start
  api_ok GET /health
  curl -s -D "$T_DIR/headers" -o "$T_DIR/metrics" --unix-socket "$SOCK" http://localhost/metrics
  grep -qi '^content-type: text/plain; version=0.0.4' "$T_DIR/headers" || fail "content type: $(cat "$T_DIR/headers")"
  # every line a comment or NAME{LABELS} VALUE
  if grep -Ev '^(# (HELP|TYPE) .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eEInfa]+)$' "$T_DIR/metrics"; then
    fail "lines that are not Prometheus text"
  fi
  local m
  for m in cpu_seconds_total memory_bytes pids network_receive_bytes_total network_transmit_bytes_total; do
    grep -Eq "^minirun_container_${m}\{name=\"$ID\"\} [0-9.]+$" "$T_DIR/metrics" || fail "no minirun_container_$m: $(cat "$T_DIR/metrics")"
  done
  grep -q "^minirun_container_state{name=\"$ID\",state=\"running\"} 1$" "$T_DIR/metrics" || fail "state"
  grep -q "^minirun_container_state{name=\"$ID\",state=\"stopped\"} 0$" "$T_DIR/metrics" || fail "state 0"
  grep -Eq '^minirun_uptime_seconds [0-9.]+$' "$T_DIR/metrics" || fail "uptime"
  grep -Eq '^minirun_http_requests_total\{method="GET",code="200"\} [1-9][0-9]*$' "$T_DIR/metrics" || fail "request counter"
  grep -Eq '^minirun_http_request_duration_seconds_bucket\{le="\+Inf"\} [1-9]' "$T_DIR/metrics" || fail "histogram"
}

router_answers_404_and_405 ()
{
  serve_start
  api_err GET /api/v1/nowhere 404
  api_err GET /containers/x/nothing 404
  api_err GET /containers/ 404
  api_err DELETE /containers 405
  curl -s -D "$T_DIR/headers" -o /dev/null --unix-socket "$SOCK" -X PUT http://localhost/containers/x/files
  grep -qi '^allow: GET, POST' "$T_DIR/headers" || fail "Allow: $(cat "$T_DIR/headers")"
  api_err POST /containers/x/logs 405
  api_err GET /api/v1/containers/x/exec 405
  api_err POST /metrics 405
  # the routes' table and the served document agree with what answers
  api GET /api/v1/openapi.yaml
  assert_eq "$code" 200 "openapi.yaml"
}

# A server that has served every kind of request (streams left by their
# clients too) exits 0 on SIGTERM; under the sanitizers a leak or an error
# would make that exit status non-zero.
a_loaded_server_exits_cleanly ()
{
  mk_running sh -c 'while true; do echo tick; sleep 0.2; done'
  serve_start
  for _ in 1 2 3; do
    api_ok GET /containers
    api_ok GET "/containers/$ID"
  done
  api_ok GET /containers?status=running
  api_json POST "/containers/$ID/exec" 200 '{"command": ["echo", "hi"]}'
  api_json POST "/containers/$ID/files" 201 '{"path": "/f", "content": "x"}'
  api_ok GET "/containers/$ID/files?path=/f"
  api GET /metrics
  assert_eq "$code" 200 "metrics"
  api_err POST /containers 400 -d '{"name": 1}'
  # streams, left by their clients halfway
  curl -sN --max-time 2 --unix-socket "$SOCK" "http://localhost/containers/$ID/logs?follow=true" >/dev/null || true
  curl -sN --max-time 2 --unix-socket "$SOCK" "http://localhost/containers/$ID/stats?stream=true" >/dev/null || true
  curl -sN --max-time 2 --unix-socket "$SOCK" "http://localhost/events" >/dev/null || true
  curl -sN --max-time 2 --unix-socket "$SOCK" "http://localhost/system/stats?stream=true" >/dev/null || true
  # and one still open when the server is told to stop
  curl -sN --max-time 20 --unix-socket "$SOCK" "http://localhost/containers/$ID/logs?follow=true" >/dev/null &
  local cl=$!
  sleep 0.5
  kill -TERM "$SRV"
  local rc=0
  wait "$SRV" || rc=$?
  assert_eq "$rc" 0 "serve's exit status (log: $(tail -n 20 "$T_DIR/serve.log"))"
  ! grep -q Sanitizer "$T_DIR/serve.log" || fail "sanitizer report: $(cat "$T_DIR/serve.log")"
  wait "$cl" || true
}

t_ok "POST /containers: every field, 201, 409 for a name in use, 404 for an unknown image, list filters" create_takes_every_field
t_ok "POST /containers: malformed JSON, a non-object, and each wrong-typed field are 400 naming it; 413" create_refuses_every_wrong_type
t_ok "POST /containers publishes ports (array and object), shown by the container, the list and GET /ports" ports_are_published_and_listed
t_ok "pause, resume and wait (exit code), and their 404 and 409" pause_resume_and_wait
t_ok "exec: output, exit code, env, workdir, user, timeout, 127, bad bodies" exec_captures_output_and_exit_code
t_ok "logs: all, tail, timestamps, bad queries, and follow to the container's exit" logs_tail_and_follow
t_ok "stats (one and streamed), top, system stats (one and streamed), ports" stats_top_system_ports
t_ok "files: binary round trip, modes, and paths that stay inside the container" files_round_trip_and_stay_inside
t_ok "users: added with uid, shell and home; taken names and bad bodies refused" users_are_added
t_ok "networks: create (201, 409, 400 naming the field), list, inspect, delete (204, 404, 409)" networks_are_made_listed_inspected_and_removed
t_ok "networks: DELETE of one in use is 409 with its containers; prune removes the unused ones" a_network_in_use_is_kept_and_prune_takes_the_rest
t_ok "events: the stream shows a start as it happens, and stored events" events_stream_shows_a_start
t_ok "metrics: Prometheus text with per-container series, uptime and request counts" metrics_are_prometheus_text
t_ok "the router: 404 for unknown paths, 405 with Allow for wrong methods" router_answers_404_and_405
t_ok "after a mixed load, SIGTERM: exit 0 with nothing leaked (checked under ASan)" a_loaded_server_exits_cleanly
t_done
