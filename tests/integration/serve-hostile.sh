#!/bin/bash
# serve against hostile requests: costly regular expressions in filters,
# NUL bytes in URLs, large exec output over the Docker API, signal
# dispositions of what serve starts, abandoned requests, errors that say
# what was wrong, and a full disk.
. "$(dirname "$0")/lib.sh"

minirun_only "serve is minirun's own"
need_command curl curl || t_skip_all "curl is needed"
need_command jq jq || t_skip_all "jq is needed"

. "$(dirname "$0")/serve-lib.sh"

# dapi METHOD PATH [CURL-ARGS...]: a Docker API call, the body in $body,
# the status in $code.
dapi ()
{
  local method=$1 path=$2
  shift 2
  code=$(curl -s -o "$T_DIR/.body" -w '%{http_code}' --unix-socket "$SOCK" -X "$method" \
    "$@" "http://localhost$path") || true
  body=$(cat "$T_DIR/.body")
}

name_filter_regex_is_bounded ()
{
  mk_running
  serve_start
  # a pattern that takes glibc's regcomp gigabytes
  dapi GET '/v1.41/containers/json' -G --data-urlencode 'filters={"name":["((a{0,120}){0,120}){0,120}"]}'
  assert_eq "$code" 400 "costly pattern: status (body $body)"
  assert_contains "$body" "'name'" "costly pattern: message names the filter"
  # catastrophic backtracking against a long name is stopped by the limits
  dapi GET '/v1.41/containers/json' -G --data-urlencode 'filters={"name":["(a+)+$"]}'
  assert_ne "$code" 000 "backtracking pattern: the server answers"
  dapi GET '/v1.41/containers/json' -G --data-urlencode 'filters={"name":["(unclosed"]}'
  assert_eq "$code" 400 "invalid pattern: status (body $body)"
  assert_contains "$body" "'name'" "invalid pattern: message names the filter"
  dapi GET '/v1.41/containers/json' -G --data-urlencode "filters={\"name\":[\"$(printf 'a%.0s' {1..300})\"]}"
  assert_eq "$code" 400 "long pattern: status (body $body)"
  # Docker's semantics: unanchored, with or without the leading /
  dapi GET '/v1.41/containers/json' -G --data-urlencode "filters={\"name\":[\"${ID:2:6}\"]}"
  assert_eq "$(jq -r '.[0].Names[0]' <<<"$body")" "/$ID" "unanchored match"
  dapi GET '/v1.41/containers/json' -G --data-urlencode "filters={\"name\":[\"^/$ID\$\"]}"
  assert_eq "$(jq -r '.[0].Names[0]' <<<"$body")" "/$ID" "match with the leading /"
  dapi GET '/v1.41/containers/json' -G --data-urlencode "filters={\"name\":{\"^$ID\$\":true}}"
  assert_eq "$(jq -r '.[0].Names[0]' <<<"$body")" "/$ID" "match without the leading /"
  dapi GET '/v1.41/containers/json' -G --data-urlencode 'filters={"name":["^nomatch$"]}'
  assert_eq "$code $body" "200 []" "no match"
  kill_if "$SRV" serve
  pid_gone "$SRV" || true
}

docker_filter_of_wrong_type_is_400 ()
{
  serve_start
  local f
  for f in '{"name":"x"}' '{"name":[1]}' '{"status":{"running":"yes"}}' '{"label":7}'; do
    dapi GET '/v1.41/containers/json' -G --data-urlencode "filters=$f"
    assert_eq "$code" 400 "filters=$f: status (body $body)"
  done
}

nul_in_url_is_400 ()
{
  mk_running
  serve_start
  api_json POST "/api/v1/containers/$ID/files" 201 '{"path": "/x", "content": "keep"}'
  api DELETE "/api/v1/containers/$ID%00/files?path=/x"
  assert_eq "$code" 400 "NUL in the path: status (body $body)"
  api DELETE "/api/v1/containers/$ID/files?path=/x%00/y"
  assert_eq "$code" 400 "NUL in the query: status (body $body)"
  api GET "/api/v1/containers/$ID%00"
  assert_eq "$code" 400 "NUL in an inline path: status (body $body)"
  api GET "/api/v1/containers/$ID/files?path=/x"
  assert_eq "$code" 200 "the file is still there (body $body)"
  assert_eq "$(status_of "$ID")" running "the container is still there"
}

# The signal state of a process, as /proc shows it: ignored and blocked.
SIGS="grep -E '^Sig(Ign|Blk)' /proc/self/status | tr -s '\\t ' ' '"
SIGS_CLEAN=$'SigBlk: 0000000000000000\nSigIgn: 0000000000000000'

exec_through_serve_gets_default_signals ()
{
  mk_running
  serve_start
  api_json POST "/api/v1/containers/$ID/exec" 200 '{"command": ["sh", "-c", "yes | head -c 50000 | wc -c"], "timeout": 20}' --max-time 30
  assert_eq "$(jq -r .data.stdout <<<"$body" | tr -d ' ')" 50000 "yes | head: output (body $body)"
  assert_eq "$(jq -r .data.exit_code <<<"$body")" 0 "yes | head: exit code"
  api_json POST "/api/v1/containers/$ID/exec" 200 "$(jq -n --arg c "$SIGS" '{"command": ["sh", "-c", $c]}')"
  assert_eq "$(jq -j .data.stdout <<<"$body" | sort)" "$SIGS_CLEAN" "signal state of an exec"
}

# in_ignoring CMD...: CMD run by a parent that ignores SIGPIPE, SIGINT and
# SIGQUIT and blocks SIGUSR1 and SIGTERM (bash cannot block; a small python
# parent does both); its output in $out.
in_ignoring ()
{
  out=$(timeout -k 2 30 /usr/bin/python3 -c '
import os, signal, sys
for s in (signal.SIGPIPE, signal.SIGINT, signal.SIGQUIT):
    signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
os.execvp(sys.argv[1], sys.argv[1:])' "$@" 2>&1)
}

cli_children_get_default_signals ()
{
  local hk pid
  mk_running
  in_ignoring "$MINIRUN" --root "$T_ROOT" exec "$ID" sh -c 'yes | head -c 50000 | wc -c'
  assert_eq "$(tr -d ' ' <<<"$out")" 50000 "exec of yes | head from an ignoring parent"
  in_ignoring "$MINIRUN" --root "$T_ROOT" exec "$ID" sh -c "$SIGS"
  assert_eq "$(sort <<<"$out")" "$SIGS_CLEAN" "signal state of a CLI exec"
  # an OCI container's init, and a hook
  new_bundle
  hk=$T_DIR/hook-$ID
  sh_args "$SIGS"
  cfg '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", $c]}]}' \
    --arg c "$SIGS > $hk"
  in_ignoring "$MINIRUN" --root "$T_ROOT" run --bundle "$B" "$ID"
  assert_eq "$(sort <<<"$out")" "$SIGS_CLEAN" "signal state of a container's init"
  assert_eq "$(sort "$hk")" "$SIGS_CLEAN" "signal state of a hook"
  # a managed container's init, started by its monitor
  new_id
  in_ignoring "$MINIRUN" --root "$T_ROOT" run -d --rootfs "$B/rootfs" --name "$ID" -- sleep 1000
  pid=$(rt inspect "$ID" | jq -r '.[0].State.Pid')
  assert_eq "$(grep -E '^Sig(Ign|Blk)' "/proc/$pid/status" | tr -s '\t ' ' ' | sort)" "$SIGS_CLEAN" \
    "signal state of a managed container's init"
}

docker_exec_writes_all_its_output ()
{
  /usr/bin/python3 -c 'import docker' 2>/dev/null || skip "docker-py (python3-docker) is not installed"
  mk_running
  serve_start
  out=$(timeout 60 /usr/bin/python3 -c '
import sys, docker
c = docker.DockerClient(base_url="unix://" + sys.argv[1], version="1.41", timeout=30)
r = c.containers.get(sys.argv[2]).exec_run(["sh", "-c", "head -c 1000000 /dev/zero | tr \"\\0\" a"])
print(r.exit_code, len(r.output), r.output.count(b"a"))' "$SOCK" "$ID" 2>&1)
  assert_eq "$out" "0 1000000 1000000" "exit code, length and bytes of a 1 MB exec output"
}

# full_root: a 16 MiB tmpfs for a --root of its own, in $FR; unmounted
# after the test, its containers removed first.
full_root ()
{
  FR=$T_DIR/full-$BASHPID
  mkdir -p "$FR"
  mount -t tmpfs -o size=16m tmpfs "$FR" || skip "cannot mount a tmpfs"
  defer rmdir "$FR"
  defer umount -l "$FR"
  defer rm -f "$FR/fill"
}

# fill FS-DIR: no space left on it.
fill ()
{
  dd if=/dev/zero of="$1/fill" bs=64k 2>/dev/null || true
  # the last blocks, a byte at a time
  while printf x 2>/dev/null >>"$1/fill"; do :; done
}

fr ()
{
  timeout -k 5 60 "$MINIRUN" --root "$FR/root" "$@"
}

stop_kill_rm_act_on_a_full_disk ()
{
  local pid a b c
  full_root
  new_bundle
  a=$ID-a b=$ID-b c=$ID-c
  defer "$MINIRUN" --root "$FR/root" rm -f "$c"
  defer "$MINIRUN" --root "$FR/root" rm -f "$a"
  defer "$MINIRUN" --root "$FR/root" rm -f "$b"
  defer rm -f "$FR/fill"
  fr run -d --rootfs "$B/rootfs" --name "$a" -- sleep 1000 >/dev/null || fail "run -d $a"
  fr run -d --rootfs "$B/rootfs" --name "$b" -- sleep 1000 >/dev/null || fail "run -d $b"
  fr run -d --restart always --rootfs "$B/rootfs" --name "$c" -- sleep 1000 >/dev/null || fail "run -d $c"
  pid=$(fr inspect "$a" | jq -r '.[0].State.Pid')
  pid_alive "$pid" || fail "$a is not running"
  fill "$FR"
  t_run fr stop -t 1 "$a"
  assert_success
  assert_contains "$err" "No space left on device" "stop says what it could not save"
  wait_for 10 pid_gone "$pid" || fail "$a still runs after stop"
  # a restart policy does not bring back what stop stopped
  pid=$(fr inspect "$c" | jq -r '.[0].State.Pid')
  fill "$FR"
  t_run fr stop -t 1 "$c"
  assert_success
  assert_contains "$err" "No space left on device" "stop of $c says what it could not save"
  wait_for 10 pid_gone "$pid" || fail "$c still runs after stop"
  sleep 1
  assert_eq "$(fr inspect "$c" | jq -r '.[0].State.Status')" stopped "$c after stop"
  pid=$(fr inspect "$b" | jq -r '.[0].State.Pid')
  fill "$FR"
  t_run fr kill "$b" KILL
  assert_success
  wait_for 10 pid_gone "$pid" || fail "$b still runs after kill"
  fill "$FR"
  t_run fr rm -f "$b"
  assert_success
  t_run fr rm -f "$a"
  assert_success
  t_run fr rm -f "$c"
  assert_success
  rm -f "$FR/fill"
  assert_eq "$(fr ps -a -q 2>/dev/null | grep -c "^$ID" || true)" 0 "nothing left once space is back"
}

errors_say_what_was_wrong ()
{
  local img
  new_bundle
  img=hostile-$(echo "$T_TAG" | tr A-Z a-z):1
  rt image add "$img" "$B/rootfs" >/dev/null
  defer rt image rm "$img"
  serve_start
  # invalid UTF-8 in the URL's path, in a name, in a query value
  api GET "/api/v1/containers/a%ff"
  assert_eq "$code" 400 "invalid UTF-8 in a name: status (body $body)"
  assert_contains "$body" "UTF-8" "invalid UTF-8 in a name: message"
  api GET "/api/v1/containers/$ID/files?path=/%c3%28"
  assert_eq "$code" 400 "invalid UTF-8 in a query: status (body $body)"
  assert_contains "$body" "UTF-8" "invalid UTF-8 in a query: message"
  dapi GET "/v1.41/containers/%ed%a0%80/json"
  assert_eq "$code" 400 "a surrogate in a Docker path: status (body $body)"
  # limits the kernel cannot take are refused at create
  api_json POST /api/v1/containers 400 "{\"name\": \"$ID\", \"rootfs\": \"$B/rootfs\", \"command\": [\"true\"], \"pids_limit\": 9223372036854775807}"
  assert_contains "$body" "'pids_limit'" "pids_limit: message names the field"
  t_run rt create --rootfs "$B/rootfs" --name "$ID" --pids-limit 9223372036854775807 -- true
  assert_failure
  assert_contains "$err" "pids-limit" "the CLI: message names the flag"
  t_run rt inspect "$ID"
  assert_failure
  dapi POST "/v1.41/containers/create?name=$ID" -H 'Content-Type: application/json' \
    --data-binary "{\"Image\": \"$img\", \"Cmd\": [\"true\"], \"HostConfig\": {\"PidsLimit\": -9223372036854775808}}"
  assert_eq "$code" 400 "Docker PidsLimit INT64_MIN: status (body $body)"
  assert_contains "$body" PidsLimit "Docker PidsLimit: message names the field"
  dapi POST "/v1.41/containers/create?name=$ID" -H 'Content-Type: application/json' \
    --data-binary "{\"Image\": \"$img\", \"Cmd\": [\"true\"], \"HostConfig\": {\"PidsLimit\": 9223372036854775807}}"
  assert_eq "$code" 400 "Docker PidsLimit INT64_MAX: status (body $body)"
  dapi POST "/v1.41/containers/create?name=$ID" -H 'Content-Type: application/json' \
    --data-binary "{\"Image\": \"$img\", \"Cmd\": [\"true\"], \"HostConfig\": {\"RestartPolicy\": {\"Name\": \"on-failure\", \"MaximumRetryCount\": -9223372036854775808}}}"
  assert_eq "$code" 400 "Docker MaximumRetryCount INT64_MIN: status (body $body)"
  assert_contains "$body" MaximumRetryCount "MaximumRetryCount: message names the field"
  dapi GET "/v1.41/containers/$ID/json"
  assert_eq "$code" 404 "nothing was created"
}

# metric NAME: its value in serve's /metrics (answered when every slot is
# taken), or nothing.
metric ()
{
  curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/metrics | awk -v m="$1" '$1 == m { print $2 }'
}

# slots RUNNING QUEUED: whether serve's handler slots are so.
slots ()
{
  [ "$(metric minirun_http_handlers_running)" = "$1" ] && [ "$(metric minirun_http_handlers_queued)" = "$2" ]
}

# exec_bg CMD...: an exec through serve from a client in the background,
# which stays until killed; its pid in $cpid (killed after the test).
exec_bg ()
{
  curl -s -o /dev/null --max-time 120 --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
    --data-binary "$(json_strings "$@" | jq -c '{command: .}')" "http://localhost/api/v1/containers/$ID/exec" &
  cpid=$!
  defer kill_if "$cpid" curl
}

# ctr_pid_of TEXT: the host pid of the container's process whose command
# line is TEXT.
ctr_pid_of ()
{
  local p
  for p in $(rt ps --format json "$ID" | jq -r '.[]'); do
    if [ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "$1 " ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

handler_threads_are_bounded ()
{
  local c1 c2 c3
  mk_running
  serve_start --max-requests 2
  # two execs hold the two slots, a third waits in the queue (a quarter of
  # two, at least one); their clients stay
  exec_bg sleep 1001
  c1=$cpid
  exec_bg sleep 1002
  c2=$cpid
  wait_for 10 slots 2 0
  exec_bg sleep 1003
  c3=$cpid
  wait_for 10 slots 2 1
  api POST "/api/v1/containers/$ID/exec" -D "$T_DIR/.hdr" -H 'Content-Type: application/json' \
    --data-binary '{"command": ["true"]}' --max-time 10
  assert_eq "$code" 503 "native exec past the queue: status (body $body)"
  assert_eq "$(jq -r .error.code <<<"$body")" 503 "native 503: error.code"
  assert_eq "$(jq -r .error.type <<<"$body")" unavailable "native 503: error.type"
  assert_match "$(tr -d '\r' <"$T_DIR/.hdr")" '[Rr]etry-[Aa]fter: 1' "native 503: Retry-After"
  dapi GET "/v1.41/containers/$ID/logs?stdout=1" -D "$T_DIR/.hdr" --max-time 10
  assert_eq "$code" 503 "docker logs past the queue: status (body $body)"
  assert_ne "$(jq -r .message <<<"$body")" null "docker 503: Docker's error format"
  assert_match "$(tr -d '\r' <"$T_DIR/.hdr")" '[Rr]etry-[Aa]fter: 1' "docker 503: Retry-After"
  # the cheap reads are answered on the server's threads, full or not
  api_ok GET /api/v1/health --max-time 5
  api_ok GET "/api/v1/containers/$ID" --max-time 5
  assert_ne "$(metric minirun_http_handlers_refused_total)" 0 "the refusals are counted"
  # their clients leave: the execs end, the waiting one never runs
  kill -KILL "$c1" "$c2" "$c3"
  wait_for 10 slots 0 0
  api_json POST "/api/v1/containers/$ID/exec" 200 '{"command": ["echo", "hi"]}' --max-time 10
  assert_eq "$(jq -r .data.stdout <<<"$body")" hi "an exec once the slots are free"
  if ctr_pid_of "sleep 1003" >/dev/null; then fail "the exec that waited ran after its client left"; fi
}

abandoned_requests_end ()
{
  local pid
  mk_running
  serve_start --max-requests 1
  exec_bg sleep 1004
  wait_for 10 ctr_pid_of "sleep 1004"
  pid=$(ctr_pid_of "sleep 1004")
  kill -KILL "$cpid"
  wait_for 5 pid_gone "$pid"
  wait_for 5 slots 0 0
  api_json POST "/api/v1/containers/$ID/exec" 200 '{"command": ["echo", "hi"]}' --max-time 10
  assert_eq "$(jq -r .data.stdout <<<"$body")" hi "an exec after the abandoned one"
  # the same over the Docker API, its exec start without a hijack
  dapi POST "/v1.41/containers/$ID/exec" -H 'Content-Type: application/json' \
    --data-binary '{"Cmd": ["sleep", "1005"], "AttachStdout": true}'
  assert_eq "$code" 201 "docker exec create (body $body)"
  curl -s -o /dev/null --max-time 120 --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
    --data-binary '{}' "http://localhost/v1.41/exec/$(jq -r .Id <<<"$body")/start" &
  cpid=$!
  defer kill_if "$cpid" curl
  wait_for 10 ctr_pid_of "sleep 1005"
  pid=$(ctr_pid_of "sleep 1005")
  kill -KILL "$cpid"
  wait_for 5 pid_gone "$pid"
  wait_for 5 slots 0 0
  # a wait (a long poll) whose client leaves gives its slot back
  curl -s -o /dev/null --max-time 120 --unix-socket "$SOCK" -X POST "http://localhost/api/v1/containers/$ID/wait" &
  cpid=$!
  defer kill_if "$cpid" curl
  wait_for 10 slots 1 0
  kill -KILL "$cpid"
  wait_for 5 slots 0 0
  assert_eq "$(status_of "$ID")" running "the container runs on"
}

# serve_hwm: serve's peak resident memory, in KiB.
serve_hwm ()
{
  awk '/^VmHWM:/ { print $2 }' "/proc/$SRV/status"
}

file_reads_stream ()
{
  local want before after i readers=()
  mk_running
  serve_start
  api_json POST "/api/v1/containers/$ID/exec" 200 \
    '{"command": ["sh", "-c", "head -c 8388608 /dev/urandom > /big && sha256sum /big"]}' --max-time 30
  want=$(jq -r .data.stdout <<<"$body" | cut -d' ' -f1)
  assert_ne "$want" "" "a file of 8 MiB in the container"
  api GET "/api/v1/containers/$ID/files?path=/big" -D "$T_DIR/.hdr" --max-time 30
  assert_eq "$code" 200 "read of 8 MiB: status"
  assert_match "$(tr -d '\r' <"$T_DIR/.hdr")" '[Tt]ransfer-[Ee]ncoding: chunked' "read of 8 MiB: sent as it is read"
  assert_eq "$(jq -r .success <<<"$body")" true "read of 8 MiB: success"
  assert_eq "$(jq -r .data.size <<<"$body")" 8388608 "read of 8 MiB: size"
  assert_eq "$(jq -r .data.mode <<<"$body")" 0644 "read of 8 MiB: mode"
  assert_eq "$(jq -r .data.path <<<"$body")" /big "read of 8 MiB: path"
  assert_eq "$(jq -r .data.content_base64 <<<"$body" | base64 -d | sha256sum | cut -d' ' -f1)" "$want" \
    "read of 8 MiB: the content whole"
  # one byte past the limit is still refused before anything is sent
  api_json POST "/api/v1/containers/$ID/exec" 200 '{"command": ["sh", "-c", "echo >> /big"]}'
  api_err GET "/api/v1/containers/$ID/files?path=/big" 400
  api_json POST "/api/v1/containers/$ID/exec" 200 '{"command": ["sh", "-c", "truncate -s 8388608 /big"]}'
  # eight slow readers at once: serve's memory does not grow by the file
  # each (it did by some 28 MiB a read)
  before=$(serve_hwm)
  for i in $(seq 8); do
    curl -s -o "$T_DIR/read.$i" --limit-rate 8M --max-time 60 --unix-socket "$SOCK" \
      "http://localhost/api/v1/containers/$ID/files?path=/big" &
    readers+=($!)
    defer kill_if "$!" curl
  done
  wait "${readers[@]}"
  after=$(serve_hwm)
  for i in $(seq 8); do
    assert_eq "$(jq -r .data.size "$T_DIR/read.$i")" 8388608 "concurrent read $i: size"
  done
  if [ $((after - before)) -gt 65536 ]; then
    fail "serve's peak memory grew by $((after - before)) KiB over 8 concurrent reads"
  fi
}

# log_lines N: whether the container's log holds N lines.
log_lines ()
{
  [ "$(rt logs "$ID" 2>/dev/null | wc -l)" -ge "$1" ]
}

log_reads_stream ()
{
  mk_running sh -c 'i=0; while [ $i -lt 20000 ]; do echo "line-$i"; i=$((i + 1)); done; exec sleep 1000'
  serve_start
  wait_for 20 log_lines 20000
  api GET "/api/v1/containers/$ID/logs" -D "$T_DIR/.hdr" --max-time 30
  assert_eq "$code" 200 "logs: status"
  assert_match "$(tr -d '\r' <"$T_DIR/.hdr")" '[Tt]ransfer-[Ee]ncoding: chunked' "logs: sent as they are read"
  assert_eq "$(jq -r .success <<<"$body")" true "logs: success"
  assert_eq "$(jq -r '.data | length' <<<"$body")" 20000 "logs: every line"
  assert_eq "$(jq -r '.data[19999].line' <<<"$body")" line-19999 "logs: the last line"
  assert_eq "$(jq -r '.data[0].stream' <<<"$body")" stdout "logs: the stream"
  api_ok GET "/api/v1/containers/$ID/logs?tail=2"
  assert_eq "$(jq -r '[.data[].line] | join(",")' <<<"$body")" "line-19998
,line-19999" "logs: tail"
  api_err GET /api/v1/containers/no-such-one/logs 404
}

t_ok "docker ps name filters: PCRE2 with limits, 400 naming the filter, Docker's matching" name_filter_regex_is_bounded
t_ok "docker filters of the wrong JSON type are 400" docker_filter_of_wrong_type_is_400
t_ok "a NUL byte in a URL's path or query is 400, and nothing is done" nul_in_url_is_400
t_ok "exec through serve: default signal actions, an empty mask; yes | head ends" exec_through_serve_gets_default_signals
t_ok "the CLI's exec, a container's init and hooks: default signals whatever the caller ignored" cli_children_get_default_signals
t_ok "docker exec: 1 MB of output arrives whole over the hijacked connection" docker_exec_writes_all_its_output
t_ok "stop, kill and rm act on a full disk, and say what they could not save" stop_kill_rm_act_on_a_full_disk
t_ok "errors say what was wrong: invalid UTF-8 in URLs, limits past the kernel's, INT64_MIN in Docker fields" errors_say_what_was_wrong
t_ok "handler threads are bounded: a short queue, then 503 with Retry-After in each API's format" handler_threads_are_bounded
t_ok "a client that leaves ends its exec (native and Docker), the process killed, and its wait" abandoned_requests_end
t_ok "a file read is sent as it is read: 8 MiB whole, memory bounded" file_reads_stream
t_ok "a log read without follow is sent as it is read, every line" log_reads_stream
t_done
