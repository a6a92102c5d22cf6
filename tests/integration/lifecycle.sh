#!/bin/bash
# The OCI lifecycle through the runc command line: create, start, state,
# kill, delete, run (foreground and detached), list, ps, pause, resume, and
# the global flags.
. "$(dirname "$0")/lib.sh"

# A container that waits, and writes every signal it traps to /tmp/sigs of
# its rootfs ($B/rootfs/tmp/sigs on the host).  pid 1 only sees signals it
# has a handler for, which is what makes the delivery observable.
SIGNAL_LOGGER='for s in HUP INT USR1 USR2 TERM; do trap "echo $s >>/tmp/sigs" $s; done
echo ready >/tmp/ready
while :; do sleep 0.05; done'

test_create_writes_state_and_pid_file ()
{
  new_bundle /bin/sleep 600
  create_ctr --pid-file "$T_DIR/$ID.pid"
  [ -s "$T_DIR/$ID.pid" ] || fail "pid file not written before create returned"
  local pid state
  pid=$(cat "$T_DIR/$ID.pid")
  state=$(ctr_state "$ID")
  assert_eq "$(jq -r .status <<<"$state")" created status
  assert_eq "$(jq -r .id <<<"$state")" "$ID" id
  assert_eq "$(jq -r .pid <<<"$state")" "$pid" "pid in state vs pid file"
  assert_eq "$(jq -r .bundle <<<"$state")" "$B" bundle
  assert_match "$(jq -r .ociVersion <<<"$state")" '^1\.' ociVersion
  [ "$pid" -gt 0 ] || fail "pid $pid"
  pid_alive "$pid" || fail "init process $pid is not alive"
  # The user process has not been started: init waits, it has not exec'd sleep.
  assert_ne "$(cat "/proc/$pid/comm")" sleep "comm of the created init"
}

test_start_runs_the_process ()
{
  new_bundle /bin/sleep 600
  create_ctr
  local pid
  pid=$(ctr_pid "$ID")
  t_run rt start "$ID"
  assert_success
  assert_eq "$(ctr_status "$ID")" running status
  assert_eq "$(ctr_pid "$ID")" "$pid" "pid after start"
  wait_for 5 grep -qx sleep "/proc/$pid/comm"
}

test_kill_stops_and_delete_removes ()
{
  new_bundle /bin/sleep 600
  start_ctr
  local pid
  pid=$(ctr_pid "$ID")
  t_run rt kill "$ID" KILL
  assert_success
  wait_status "$ID" stopped
  wait_for 5 pid_gone "$pid"
  t_run rt delete "$ID"
  assert_success
  t_run rt state "$ID"
  assert_failure
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory $T_ROOT/$ID still exists"
}

test_run_returns_exit_status ()
{
  new_bundle /bin/sh -c 'exit 3'
  run_ctr
  assert_status 3
  # run deletes the container when it exits
  t_run rt state "$ID"
  assert_failure
}

test_run_killed_by_signal_returns_128_plus_signal ()
{
  new_bundle /bin/sleep 600
  rt run --bundle "$B" "$ID" </dev/null >"$T_DIR/run.out" 2>&1 &
  local runpid=$! rc=0
  wait_status "$ID" running
  t_run rt kill "$ID" KILL
  assert_success
  wait "$runpid" || rc=$?
  assert_eq "$rc" 137 "exit status of run"
}

test_run_passes_stdout_and_stderr_through ()
{
  new_bundle /bin/echo hello
  run_ctr
  assert_success
  assert_eq "$out" hello stdout
  new_bundle /bin/sh -c 'echo to-out; echo to-err >&2'
  run_ctr
  assert_success
  assert_eq "$out" to-out stdout
  assert_eq "$err" to-err stderr
}

test_run_passes_stdin_through ()
{
  new_bundle /bin/sh -c 'read line; echo "got $line"'
  local got
  got=$(echo ping | rt run --bundle "$B" "$ID" 2>&1)
  assert_eq "$got" "got ping" output
}

test_run_keep_leaves_stopped_container ()
{
  new_bundle /bin/true
  run_ctr --keep
  assert_success
  assert_eq "$(ctr_status "$ID")" stopped status
  t_run rt delete "$ID"
  assert_success
}

test_run_detached_returns_while_running ()
{
  new_bundle /bin/sleep 600
  local t0=$SECONDS
  t_run rt run -d --bundle "$B" "$ID"
  assert_success
  [ $((SECONDS - t0)) -lt 10 ] || fail "run -d took $((SECONDS - t0))s"
  assert_eq "$(ctr_status "$ID")" running status
  pid_alive "$(ctr_pid "$ID")" || fail "init not alive"
  t_run rt delete --force "$ID"
  assert_success
}

test_run_detached_with_pid_file ()
{
  new_bundle /bin/sleep 600
  t_run rt run -d --pid-file "$T_DIR/$ID.pid" --bundle "$B" "$ID"
  assert_success
  assert_eq "$(cat "$T_DIR/$ID.pid")" "$(ctr_pid "$ID")" "pid file"
}

test_list_shows_containers ()
{
  new_bundle /bin/sleep 600
  start_ctr
  local id1=$ID pid1
  pid1=$(ctr_pid "$ID")
  new_bundle /bin/sleep 600
  create_ctr
  local id2=$ID

  t_run rt list
  assert_success
  local line
  line=$(grep -E "^${id1}[[:space:]]" <<<"$out") || fail "$id1 not in the table"
  assert_match "$line" "^$id1 +$pid1 +running +$T_DIR/$id1 " "table row"
  grep -qE "^${id2}[[:space:]].*created" <<<"$out" || fail "$id2 not listed as created"
  assert_match "$(head -n 1 <<<"$out")" '^ID +PID +STATUS +BUNDLE +CREATED +OWNER' header

  t_run rt list -q
  assert_success
  assert_eq "$(sort <<<"$out" | tr '\n' ' ')" "$(printf '%s\n' "$id1" "$id2" | sort | tr '\n' ' ')" "list -q"

  t_run rt list --format json
  assert_success
  assert_eq "$(jq -r --arg id "$id1" '.[] | select(.id == $id) | .status' <<<"$out")" running "json status"
  assert_eq "$(jq -r --arg id "$id1" '.[] | select(.id == $id) | .pid' <<<"$out")" "$pid1" "json pid"
  assert_eq "$(jq -r --arg id "$id1" '.[] | select(.id == $id) | .bundle' <<<"$out")" "$T_DIR/$id1" "json bundle"
  assert_eq "$(jq -r --arg id "$id2" '.[] | select(.id == $id) | .status' <<<"$out")" created "json status of $id2"
  t_run rt list -f json
  assert_success
  assert_eq "$(jq length <<<"$out")" 2 "entries in list -f json"
}

test_list_of_empty_root ()
{
  t_run rt list -q
  assert_success
  assert_eq "$out" "" "list -q with no containers"
}

test_ps_lists_container_pids ()
{
  new_bundle /bin/sh -c 'sleep 600 & echo started >/tmp/ready; wait'
  start_ctr
  wait_for 5 test -e "$B/rootfs/tmp/ready"
  local pid
  pid=$(ctr_pid "$ID")
  t_run rt ps --format json "$ID"
  assert_success
  assert_eq "$(jq -r 'type' <<<"$out")" array "ps json"
  jq -e --argjson p "$pid" 'index($p) != null' <<<"$out" >/dev/null || fail "init pid $pid not in $out"
  assert_eq "$(jq length <<<"$out")" 2 "processes (sh and sleep)"
}

test_pause_and_resume ()
{
  new_bundle /bin/sleep 600
  start_ctr
  t_run rt pause "$ID"
  assert_success
  assert_eq "$(ctr_status "$ID")" paused status
  t_run rt list --format json
  assert_eq "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$out")" paused "listed status"
  t_run rt resume "$ID"
  assert_success
  assert_eq "$(ctr_status "$ID")" running status
}

test_paused_container_does_not_run ()
{
  new_bundle /bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.02; done'
  start_ctr
  wait_for 5 test -s "$B/rootfs/tmp/count"
  t_run rt pause "$ID"
  assert_success
  local c1 c2
  c1=$(cat "$B/rootfs/tmp/count")
  sleep 0.3
  c2=$(cat "$B/rootfs/tmp/count")
  assert_eq "$c2" "$c1" "counter while paused"
  t_run rt resume "$ID"
  assert_success
  wait_for 5 sh -c "[ \"\$(cat '$B/rootfs/tmp/count')\" != '$c1' ]"
}

# kill_and_expect SIGNAL-ARGUMENT EXPECTED-LINE-IN-/tmp/sigs
kill_and_expect ()
{
  t_run rt kill "$ID" "$@"
  assert_success
  wait_for 5 grep -qx "$EXPECT" "$B/rootfs/tmp/sigs"
  : >"$B/rootfs/tmp/sigs"
}

test_kill_signal_names_and_numbers ()
{
  new_bundle /bin/sh -c "$SIGNAL_LOGGER"
  start_ctr
  wait_for 5 test -e "$B/rootfs/tmp/ready"
  : >"$B/rootfs/tmp/sigs"
  EXPECT=TERM kill_and_expect
  EXPECT=TERM kill_and_expect TERM
  EXPECT=TERM kill_and_expect SIGTERM
  EXPECT=TERM kill_and_expect 15
  EXPECT=HUP kill_and_expect HUP
  EXPECT=USR1 kill_and_expect SIGUSR1
  EXPECT=USR2 kill_and_expect 12
  t_run rt kill "$ID" 9
  assert_success
  wait_status "$ID" stopped
  new_bundle /bin/sleep 600
  start_ctr
  t_run rt kill "$ID" SIGKILL
  assert_success
  wait_status "$ID" stopped
}

test_kill_unknown_signal_fails ()
{
  new_bundle /bin/sleep 600
  start_ctr
  t_run rt kill "$ID" NOSUCHSIG
  assert_failure
  t_run rt kill "$ID" 4242
  assert_failure
  assert_eq "$(ctr_status "$ID")" running status
}

test_kill_all_signals_every_process ()
{
  # pid 1 has no TERM handler, so TERM to init alone is ignored; --all must
  # reach the two sleeps, and then the shell's wait returns.
  new_bundle /bin/sh -c 'sleep 600 & sleep 600 & echo ok >/tmp/ready; wait'
  start_ctr
  wait_for 5 test -e "$B/rootfs/tmp/ready"
  local pid pids p
  pid=$(ctr_pid "$ID")
  wait_for 5 sh -c "[ \"\$($MINIRUN --root '$T_ROOT' ps --format json '$ID' | jq length)\" = 3 ]"
  pids=$(rt ps --format json "$ID" | jq -r '.[]')
  t_run rt kill "$ID" TERM
  assert_success
  sleep 0.2
  for p in $pids; do pid_alive "$p" || fail "$p died from a TERM sent to init only"; done
  t_run rt kill --all "$ID" TERM
  assert_success
  for p in $pids; do
    [ "$p" = "$pid" ] || wait_for 5 pid_gone "$p"
  done
  wait_status "$ID" stopped
}

test_delete_force_of_running_container ()
{
  new_bundle /bin/sleep 600
  start_ctr
  local pid
  pid=$(ctr_pid "$ID")
  t_run rt delete --force "$ID"
  assert_success
  wait_for 5 pid_gone "$pid"
  t_run rt state "$ID"
  assert_failure
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

test_delete_force_of_created_container ()
{
  new_bundle /bin/sleep 600
  create_ctr
  local pid
  pid=$(ctr_pid "$ID")
  t_run rt delete -f "$ID"
  assert_success
  wait_for 5 pid_gone "$pid"
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

test_delete_of_stopped_container ()
{
  new_bundle /bin/true
  start_ctr
  wait_status "$ID" stopped
  t_run rt delete "$ID"
  assert_success
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

test_global_flags_and_equals_forms ()
{
  new_bundle /bin/echo flags
  t_run "$MINIRUN" --root="$T_ROOT" --log-format=text --log="$T_DIR/flags.log" run --bundle="$B" "$ID"
  assert_success
  assert_eq "$out" flags stdout
  new_bundle /bin/sleep 600
  t_run "$MINIRUN" --debug --root "$T_ROOT" create --bundle "$B" --pid-file="$T_DIR/$ID.pid" "$ID"
  assert_success
  [ -s "$T_DIR/$ID.pid" ] || fail "--pid-file=FILE not honoured"
  t_run "$MINIRUN" --root="$T_ROOT" state "$ID"
  assert_success
  assert_eq "$(jq -r .status <<<"$out")" created status
}

test_kill_and_delete_work_without_path ()
{
  new_bundle /bin/sleep 600
  start_ctr
  t_run env -i "$MINIRUN" --root "$T_ROOT" kill "$ID" KILL
  assert_success
  wait_status "$ID" stopped
  t_run env -i "$MINIRUN" --root "$T_ROOT" delete "$ID"
  assert_success
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

test_run_works_without_path ()
{
  new_bundle /bin/echo nopath
  t_run env -i "$MINIRUN" --root "$T_ROOT" run --bundle "$B" "$ID"
  assert_success
  assert_eq "$out" nopath stdout
}

test_json_log_records_errors ()
{
  new_id
  t_run "$MINIRUN" --root "$T_ROOT" --log "$T_DIR/err.log" --log-format json state "$ID"
  assert_failure
  [ -s "$T_DIR/err.log" ] || fail "nothing written to the log file"
  # Every line is a JSON object with level, msg and time.
  jq -e -s 'length > 0 and all(.[]; (.level | type) == "string" and (.msg | type) == "string" and (.time | type) == "string")' \
    "$T_DIR/err.log" >/dev/null || fail "log lines are not JSON with level/msg/time: $(cat "$T_DIR/err.log")"
  jq -e -s 'any(.[]; .level == "error")' "$T_DIR/err.log" >/dev/null || fail "no error-level line"
  if [ "$RT_NAME" = minirun ]; then
    # runc writes the error only to the log file and names no id.
    assert_contains "$err" "$ID" "stderr"
    jq -e -s --arg id "$ID" 'any(.[]; .level == "error" and (.msg | contains($id)))' \
      "$T_DIR/err.log" >/dev/null || fail "error line does not name the container"
  fi
}

test_state_of_a_running_container_has_oci_fields ()
{
  new_bundle /bin/sleep 600
  start_ctr
  t_run rt state "$ID"
  assert_success
  jq -e '.ociVersion and .id and .pid and .status and .bundle' <<<"$out" >/dev/null || fail "missing fields: $out"
  assert_match "$(jq -r .created <<<"$out")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' created
}

t_ok "create writes state 'created' and the pid file before returning" test_create_writes_state_and_pid_file
t_ok "start runs the process, state 'running'" test_start_runs_the_process
t_ok "kill stops the container, delete removes it" test_kill_stops_and_delete_removes
t_ok "run returns the container's exit status" test_run_returns_exit_status
t_ok "run of a container killed by SIGKILL returns 137" test_run_killed_by_signal_returns_128_plus_signal
t_ok "run passes stdout and stderr through" test_run_passes_stdout_and_stderr_through
t_ok "run passes stdin through" test_run_passes_stdin_through
t_ok "run --keep leaves a stopped container" test_run_keep_leaves_stopped_container
t_ok "run -d returns while the container runs" test_run_detached_returns_while_running
t_ok "run -d writes --pid-file" test_run_detached_with_pid_file
t_ok "list shows containers as a table, -q and json" test_list_shows_containers
t_ok "list of an empty root prints nothing" test_list_of_empty_root
t_ok "ps --format json lists the container's pids" test_ps_lists_container_pids
t_ok "pause gives 'paused', resume 'running'" test_pause_and_resume
t_ok "a paused container does not run" test_paused_container_does_not_run
t_ok "kill accepts signal names with and without SIG and numbers" test_kill_signal_names_and_numbers
t_ok "kill with an unknown signal fails" test_kill_unknown_signal_fails
t_ok "kill --all signals every process of the container" test_kill_all_signals_every_process
t_ok "delete --force removes a running container" test_delete_force_of_running_container
t_ok "delete -f removes a created container" test_delete_force_of_created_container
t_ok "delete removes a stopped container" test_delete_of_stopped_container
t_ok "global flags before the verb and --flag=value forms" test_global_flags_and_equals_forms
t_ok "kill and delete work with an empty environment" test_kill_and_delete_work_without_path
t_ok "run works with an empty environment" test_run_works_without_path
t_ok "--log-format json writes errors as JSON lines" test_json_log_records_errors
t_ok "state has the OCI fields" test_state_of_a_running_container_has_oci_fields
t_done
