#!/bin/bash
# serve: the HTTP/JSON API on a unix socket, driven with curl: health, the
# container list and record, start, stop, restart, kill and delete, the
# error envelope and its statuses, the request log, and a clean stop.
. "$(dirname "$0")/lib.sh"

minirun_only "serve is minirun's own"
need_command curl curl || t_skip_all "curl is needed"

. "$(dirname "$0")/serve-lib.sh"

health_answers_under_both_prefixes ()
{
  serve_start
  [ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$SOCK")"
  for p in /health /api/v1/health; do
    api_ok GET $p
    assert_eq "$(jq -r .data.status <<<"$body")" ok "$p: status"
    assert_eq "$(jq -r .data.version <<<"$body")" "$(rt --version | head -n 1 | awk '{print $3}')" "$p: version"
    assert_match "$(jq -r .data.uptime <<<"$body")" '^[0-9]+$' "$p: uptime"
    assert_match "$(jq -r .data.cgroup_backend <<<"$body")" '^v[12]' "$p: cgroup_backend"
  done
  api_ok GET /api/v1/system/info
  assert_eq "$(jq -r .data.state_root <<<"$body")" "$T_ROOT" "system info: state_root"
  # one log line per request: method, path, status, bytes, milliseconds, client
  grep -Eq '^GET /api/v1/health 200 [0-9]+ [0-9.]+ms unix$' "$T_DIR/serve.log" ||
    fail "no log line: $(cat "$T_DIR/serve.log")"
}

containers_are_listed_and_inspected ()
{
  mk_running
  serve_start
  api_ok GET /api/v1/containers
  assert_eq "$(jq -r --arg id "$ID" '.data[] | select(.id == $id) | .status' <<<"$body")" running "list"
  api_ok GET /containers/"$ID"
  assert_eq "$(jq -r .data.Name <<<"$body")" "$ID" "inspect: Name"
  assert_eq "$(jq -r .data.State.Status <<<"$body")" running "inspect: State.Status"
}

actions_change_the_container_state ()
{
  mk_running
  serve_start
  api_ok POST "/api/v1/containers/$ID/stop?t=0"
  assert_eq "$(status_of "$ID")" stopped "after stop"
  # stopped: a signal has no process to go to
  api_err POST "/containers/$ID/kill" 409
  api_ok POST "/api/v1/containers/$ID/start"
  assert_eq "$(status_of "$ID")" running "after start"
  pid=$(rt inspect "$ID" | jq '.[0].State.Pid')
  api_ok POST "/containers/$ID/restart?t=0"
  assert_eq "$(status_of "$ID")" running "after restart"
  assert_ne "$(rt inspect "$ID" | jq '.[0].State.Pid')" "$pid" "pid after restart"
  api_ok POST "/containers/$ID/kill?signal=KILL"
  assert_eq "$(jq -r .data.signal <<<"$body")" SIGKILL "kill: signal"
  wait_for 10 test "$(status_of "$ID")" = stopped
  api_ok POST "/containers/$ID/start"
  # running: delete needs force
  api_err DELETE "/containers/$ID" 409
  api_ok DELETE "/api/v1/containers/$ID?force=true"
  t_run rt inspect "$ID"
  assert_failure
  api_err GET "/containers/$ID" 404
}

bad_requests_get_the_error_envelope ()
{
  mk_running
  serve_start
  api_err GET /containers/no-such-thing 404
  assert_contains "$(jq -r .error.type <<<"$body")" not_found "type"
  assert_contains "$(jq -r .error.message <<<"$body")" no-such-thing "message"
  api_err POST /api/v1/containers/no-such-thing/start 404
  api_err GET /api/v1/nowhere 404
  api_err GET /containers/-bad 400
  api_err POST "/containers/$ID/kill?signal=NOPE" 400
  assert_contains "$(jq -r .error.message <<<"$body")" NOPE "message"
  api_err POST "/containers/$ID/stop?t=soon" 400
  api_err DELETE "/containers/$ID?force=maybe" 400
  # nothing happened to the container on the way
  assert_eq "$(status_of "$ID")" running "after the bad requests"
  api_err POST /api/v1/health 405
  api_err PUT /containers 405
  api_err PUT /containers/x/logs 405
  api_err GET "/containers/$ID/stop" 405
  head -c $((1024 * 1024 + 1)) /dev/zero >"$T_DIR/big"
  api_err POST "/containers/$ID/start" 413 --data-binary @"$T_DIR/big"
  # chunked: no length announced, counted as it comes
  api_err POST "/containers/$ID/start" 413 -H 'Transfer-Encoding: chunked' --data-binary @"$T_DIR/big"
}

sigterm_stops_the_server_but_not_the_containers ()
{
  mk_running
  serve_start
  api_ok GET "/containers/$ID"
  local pid
  pid=$(jq -r .data.State.Pid <<<"$body")
  # a second server on the same socket is refused
  t_run rt serve --socket "$SOCK"
  assert_failure
  assert_contains "$err" "$SOCK"
  kill -TERM "$SRV"
  rc=0
  wait "$SRV" || rc=$?
  assert_eq "$rc" 0 "exit status after SIGTERM"
  [ ! -e "$SOCK" ] || fail "socket left behind"
  assert_eq "$(status_of "$ID")" running "container after the server stopped"
  # a stale socket file does not keep the next server from starting
  python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
  "$MINIRUN" --root "$T_ROOT" serve --socket "$SOCK" 2>"$T_DIR/serve.log" &
  SRV=$!
  defer kill_if "$SRV" serve
  wait_for 5 curl -sf --unix-socket "$SOCK" http://localhost/health
  # the new server sees the container as the old one left it
  api_ok GET "/containers/$ID"
  assert_eq "$(jq -r .data.State.Status <<<"$body")" running "status through the new server"
  assert_eq "$(jq -r .data.State.Pid <<<"$body")" "$pid" "the same process"
  api_ok GET /containers
  assert_contains "$(jq -r '.data[].id' <<<"$body")" "$ID" "listed by the new server"
}

a_request_under_way_finishes_after_sigterm ()
{
  mk_running
  serve_start
  # sleep as init ignores TERM: the stop takes its whole timeout
  api POST "/containers/$ID/stop?t=2" >/dev/null &
  client=$!
  sleep 0.5
  kill -TERM "$SRV"
  wait "$client"
  assert_eq "$(cat "$T_DIR/.body")" "{\"success\":true,\"data\":{\"name\":\"$ID\"}}" "stop answer"
  rc=0
  wait "$SRV" || rc=$?
  assert_eq "$rc" 0 "exit status after SIGTERM"
  assert_eq "$(status_of "$ID")" stopped "after stop"
}

bad_usage_is_refused ()
{
  t_run rt serve extra
  assert_failure
  assert_contains "$err" "extra"
  SOCK=$T_DIR/plain
  : >"$SOCK"
  t_run rt serve --socket "$SOCK"
  assert_failure
  assert_contains "$err" "not a socket"
  [ -f "$SOCK" ] || fail "a plain file was removed"
}

t_ok "/health and /system/info answer, and each request is logged" health_answers_under_both_prefixes
t_ok "GET /containers and /containers/NAME show a managed container" containers_are_listed_and_inspected
t_ok "stop, start, restart, kill and delete change the container" actions_change_the_container_state
t_ok "bad input, unknown names and routes, wrong methods, big bodies: 400 404 405 413" bad_requests_get_the_error_envelope
t_ok "SIGTERM: exit 0, socket removed, the container runs on; a new server finds it as it was" sigterm_stops_the_server_but_not_the_containers
t_ok "SIGTERM: a request under way is answered before the server exits" a_request_under_way_finishes_after_sigterm
t_ok "extra arguments and a socket path that is a plain file are refused" bad_usage_is_refused
t_done
