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

t_ok "docker ps name filters: PCRE2 with limits, 400 naming the filter, Docker's matching" name_filter_regex_is_bounded
t_ok "docker filters of the wrong JSON type are 400" docker_filter_of_wrong_type_is_400
t_ok "a NUL byte in a URL's path or query is 400, and nothing is done" nul_in_url_is_400
t_ok "exec through serve: default signal actions, an empty mask; yes | head ends" exec_through_serve_gets_default_signals
t_ok "the CLI's exec, a container's init and hooks: default signals whatever the caller ignored" cli_children_get_default_signals
t_ok "docker exec: 1 MB of output arrives whole over the hijacked connection" docker_exec_writes_all_its_output
t_ok "stop, kill and rm act on a full disk, and say what they could not save" stop_kill_rm_act_on_a_full_disk
t_ok "errors say what was wrong: invalid UTF-8 in URLs, limits past the kernel's, INT64_MIN in Docker fields" errors_say_what_was_wrong
t_done
