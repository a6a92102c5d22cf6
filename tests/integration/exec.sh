#!/bin/bash
# exec: a new process in a running container, with its own args, env, cwd,
# user and terminal, in the container's namespaces and cgroup.
. "$(dirname "$0")/lib.sh"

# running [JQ-FILTER]: a running container to exec into ($ID, $B, $PID).
running ()
{
  new_bundle /bin/sleep 600
  cfg '.process.env += ["FROM_CONFIG=yes"] | .hostname = "exectest"'
  [ $# = 0 ] || cfg "$1"
  start_ctr
  PID=$(ctr_pid "$ID")
}

test_exec_output_and_exit_status ()
{
  running
  t_run rt exec "$ID" echo hi
  assert_success
  assert_eq "$out" hi stdout
  t_run rt exec "$ID" sh -c 'echo to-err >&2; exit 7'
  assert_status 7
  assert_eq "$err" to-err stderr
  assert_eq "$(ctr_status "$ID")" running "status after exec"
}

test_exec_stdin ()
{
  running
  local got
  got=$(echo ping | rt exec "$ID" sh -c 'read l; echo "got $l"')
  assert_eq "$got" "got ping" output
}

test_exec_stdout_and_stderr_apart ()
{
  running
  t_run rt exec "$ID" sh -c 'echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2'
  assert_success
  assert_eq "$out" $'out-1\nout-2' stdout
  assert_eq "$err" $'err-1\nerr-2' stderr
}

test_exec_exit_status_propagates ()
{
  running
  t_run rt exec "$ID" true
  assert_status 0
  t_run rt exec "$ID" sh -c 'exit 3'
  assert_status 3
  t_run rt exec "$ID" sh -c 'echo before; kill -KILL $$'
  assert_status 137
  assert_eq "$out" before stdout
}

# managed_running: a running managed container ($ID, its rootfs $B/rootfs).
managed_running ()
{
  rt run --help | grep -q -- --rootfs || skip "no managed containers in this build"
  new_bundle
  t_run rt run -d --rootfs "$B/rootfs" --name "$ID" sleep 600
  assert_success
}

# A managed container's exec answers as docker exec (an OCI container's as
# runc's exec, with 255: process.sh).
test_exec_command_not_found_is_127 ()
{
  minirun_only "127 for a command that is not found, as docker exec"
  managed_running
  t_run rt exec "$ID" no-such-command
  assert_status 127
  assert_contains "$err" no-such-command "error message"
  t_run rt exec "$ID" /no/such/file
  assert_status 127
  assert_contains "$err" /no/such/file "error message"
}

test_exec_command_not_executable_is_126 ()
{
  minirun_only "126 for a command that cannot be run, as docker exec"
  managed_running
  printf 'just data\n' >"$B/rootfs/data-file"
  chmod 644 "$B/rootfs/data-file"
  t_run rt exec "$ID" /data-file
  assert_status 126
  assert_contains "$err" /data-file "error message"
  t_run rt exec "$ID" /tmp
  assert_status 126
  t_run rt exec -w /no/such/dir "$ID" true
  assert_status 126
  assert_contains "$err" /no/such/dir "error message"
}

test_exec_env ()
{
  running
  t_run rt exec -e FOO=bar -e BAZ=qux "$ID" sh -c 'echo "$FOO $BAZ $FROM_CONFIG"'
  assert_success
  assert_eq "$out" "bar qux yes" "environment"
  t_run rt exec --env FROM_CONFIG=overridden "$ID" sh -c 'echo "$FROM_CONFIG"; env | grep -c ^FROM_CONFIG='
  assert_success
  assert_eq "$(echo $out)" "overridden 1" "an overridden variable"
}

test_exec_cwd ()
{
  running
  t_run rt exec --cwd /home/user "$ID" pwd
  assert_success
  assert_eq "$out" /home/user cwd
}

test_exec_workdir ()
{
  minirun_only "-w/--workdir is docker's spelling of --cwd"
  running
  t_run rt exec -w /tmp "$ID" pwd
  assert_success
  assert_eq "$out" /tmp "-w"
  t_run rt exec --workdir /home/user "$ID" pwd
  assert_success
  assert_eq "$out" /home/user "--workdir"
  t_run rt exec --workdir=/etc "$ID" pwd
  assert_success
  assert_eq "$out" /etc "--workdir="
  t_run rt exec -w "$ID"
  assert_failure
}

test_exec_interactive_oci ()
{
  minirun_only "-i is docker's option"
  running
  local got
  got=$(echo hi | rt exec -i "$ID" cat)
  assert_eq "$got" hi "output of cat"
  # -i or not, an OCI container's process gets our stdin, as with runc
  got=$(echo hi | rt exec "$ID" cat)
  assert_eq "$got" hi "output of cat without -i"
}

test_exec_managed_stdin ()
{
  minirun_only "managed containers"
  rt run --help | grep -q -- --rootfs || skip "no managed containers in this build"
  new_bundle
  t_run rt run -d --rootfs "$B/rootfs" --name "$ID" sleep 600
  assert_success
  printf 'typed\n' >"$T_DIR/$ID.in"
  local got start
  got=$(rt exec "$ID" sh -c 'readlink /proc/self/fd/0; cat' <"$T_DIR/$ID.in")
  assert_eq "$got" /dev/null "stdin without -i"
  got=$(rt exec -i "$ID" cat <"$T_DIR/$ID.in")
  assert_eq "$got" typed "stdin with -i"
  # our fd 0 closed: the process still gets /dev/null, and its output
  got=$(rt exec "$ID" sh -c 'readlink /proc/self/fd/0; echo out' <&-)
  assert_eq "$got" $'/dev/null\nout' "output with our stdin closed"
  t_run rt exec "$ID" sh -c 'echo to-out; echo to-err >&2; exit 4'
  assert_status 4
  assert_eq "$out" to-out stdout
  assert_eq "$err" to-err stderr
  # detached: nothing of ours stays open, so $(...) does not wait for it
  start=$SECONDS
  got=$(rt exec -d "$ID" sh -c 'sleep 5; echo late')
  [ $((SECONDS - start)) -lt 4 ] || fail "exec -d kept our stdout open"
  assert_eq "$got" "" "output of exec -d"
}

test_exec_user ()
{
  running
  t_run rt exec -u 1000:100 "$ID" sh -c 'id -u; id -g'
  assert_success
  assert_eq "$(echo $out)" "1000 100" "uid gid"
  t_run rt exec --user 1000 "$ID" id -u
  assert_success
  assert_eq "$out" 1000 uid
}

test_exec_process_file ()
{
  running
  jq -n '{"terminal": false, "user": {"uid": 1000, "gid": 1000}, "args": ["/bin/sh", "-c", "echo \"$(id -u) $(pwd) $MARK\"; exit 5"],
          "env": ["PATH=/bin:/usr/bin", "MARK=from-process-json"], "cwd": "/tmp"}' >"$T_DIR/$ID.process.json"
  t_run rt exec --process "$T_DIR/$ID.process.json" "$ID"
  assert_status 5
  assert_eq "$out" "1000 /tmp from-process-json" output
}

test_exec_detach_with_pid_file ()
{
  running
  t_run rt exec -d --pid-file "$T_DIR/$ID.exec.pid" "$ID" sleep 600
  assert_success
  [ -s "$T_DIR/$ID.exec.pid" ] || fail "no pid file"
  local epid n
  epid=$(cat "$T_DIR/$ID.exec.pid")
  pid_alive "$epid" || fail "exec'd process $epid is not running"
  assert_eq "$(cat "/proc/$epid/comm")" sleep "comm"
  t_run rt ps --format json "$ID"
  jq -e --argjson p "$epid" 'index($p) != null' <<<"$out" >/dev/null || fail "$epid not in ps: $out"
  # in the container's namespaces and cgroup
  for n in pid net mnt uts ipc; do
    assert_eq "$(readlink "/proc/$epid/ns/$n")" "$(readlink "/proc/$PID/ns/$n")" "$n namespace"
  done
  assert_eq "$(cat "/proc/$epid/cgroup")" "$(cat "/proc/$PID/cgroup")" cgroups
  t_run rt kill "$ID" KILL
  wait_for 5 pid_gone "$epid"
}

test_exec_sees_the_container ()
{
  running
  t_run rt exec "$ID" sh -c 'echo $$; hostname; ls /proc | grep -c "^[0-9]"'
  assert_success
  local lines
  mapfile -t lines <<<"$out"
  [ "${lines[0]}" -gt 1 ] || fail "pid inside: ${lines[0]}"
  assert_eq "${lines[1]}" exectest hostname
  [ "${lines[2]}" -le 5 ] || fail "${lines[2]} processes visible"
}

test_exec_capabilities ()
{
  running '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
  t_run rt exec --cap CAP_CHOWN "$ID" sh -c 'grep CapEff /proc/self/status'
  assert_success
  local eff
  eff=$(awk '{ print $2 }' <<<"$out")
  (((0x$eff & 1) == 1)) || fail "CAP_CHOWN not in CapEff $eff"
  t_run rt exec "$ID" sh -c 'grep CapEff /proc/self/status'
  eff=$(awk '{ print $2 }' <<<"$out")
  (((0x$eff & 1) == 0)) || fail "CAP_CHOWN in CapEff $eff without --cap"
}

test_exec_missing_binary_fails ()
{
  running
  t_run rt exec "$ID" /no/such/binary
  assert_failure
  assert_contains "$err" /no/such/binary "error message"
  assert_eq "$(ctr_status "$ID")" running status
}

test_exec_into_stopped_container_fails ()
{
  new_bundle /bin/true
  start_ctr
  wait_status "$ID" stopped
  t_run rt exec "$ID" echo hi
  assert_failure
  assert_no_match "$out" '^hi$' stdout
  if [ "$RT_NAME" = minirun ]; then
    assert_match "$err" "$ID.*(stopped|not running)|(stopped|not running).*$ID" "error message"
  fi
  # exec's own failure, as runc's: 255, not one of the command's 126/127
  assert_status 255
}

test_exec_into_paused_container_fails ()
{
  running
  t_run rt pause "$ID"
  assert_success
  t_run rt exec "$ID" echo hi
  assert_failure
  t_run rt resume "$ID"
  assert_success
}

test_exec_into_unknown_container_fails ()
{
  new_id
  t_run rt exec "$ID" echo hi
  assert_failure
}

test_exec_tty_with_console_socket ()
{
  [ "$RT_NAME" != runc ] || skip "runc takes --console-socket only with --detach"
  running
  tty_receiver "$T_DIR/$ID.sock" "$T_DIR/$ID.tty"
  t_run rt exec -t --console-socket "$T_DIR/$ID.sock" "$ID" sh -c 'tty; echo on-the-tty; exit 4'
  assert_status 4
  tty_output "$T_DIR/$ID.tty"
  assert_match "$TTY_OUT" '^/dev/pts/[0-9]+' "tty"
  assert_contains "$TTY_OUT" on-the-tty "terminal output"
}

test_exec_tty_detached ()
{
  running
  tty_receiver "$T_DIR/$ID.sock" "$T_DIR/$ID.tty"
  t_run rt exec -d -t --console-socket "$T_DIR/$ID.sock" --pid-file "$T_DIR/$ID.exec.pid" "$ID" sh -c 'tty; echo detached-tty'
  assert_success
  tty_output "$T_DIR/$ID.tty"
  assert_contains "$TTY_OUT" detached-tty "terminal output"
}

# The command runs only once it is in the container's cgroup in every
# hierarchy: on a hybrid host the v1 ones are joined after the clone, and a
# command that ran first would be charged to the runtime's cgroups.
test_exec_runs_inside_every_cgroup_from_its_first_instruction ()
{
  running
  local want got i
  want=$(rt exec "$ID" cat /proc/1/cgroup)
  [ -n "$want" ] || fail "no cgroups read"
  for i in $(seq 10); do
    got=$(rt exec "$ID" cat /proc/self/cgroup)
    assert_eq "$got" "$want" "cgroups of exec $i"
  done
}

t_ok "exec runs a command: output and exit status" test_exec_output_and_exit_status
t_ok "exec passes stdin through" test_exec_stdin
t_ok "exec: stdout and stderr land apart" test_exec_stdout_and_stderr_apart
t_ok "exec: the exit status propagates, 128+N for a signal" test_exec_exit_status_propagates
t_ok "exec in a managed container of a command that is not found exits 127" test_exec_command_not_found_is_127
t_ok "exec in a managed container of a command that cannot be run exits 126" test_exec_command_not_executable_is_126
t_ok "exec -e adds to the container's environment" test_exec_env
t_ok "exec --cwd" test_exec_cwd
t_ok "exec -w/--workdir" test_exec_workdir
t_ok "exec -i passes stdin; an OCI container's exec gets it anyway" test_exec_interactive_oci
t_ok "exec in a managed container: stdin only with -i, nothing held with -d" test_exec_managed_stdin
t_ok "exec -u UID:GID" test_exec_user
t_ok "exec --process FILE" test_exec_process_file
t_ok "exec -d --pid-file: a process in the container's namespaces and cgroup" test_exec_detach_with_pid_file
t_ok "exec sees the container's pid namespace and hostname" test_exec_sees_the_container
t_ok "exec --cap adds a capability" test_exec_capabilities
t_ok "exec of a missing binary fails and names it" test_exec_missing_binary_fails
t_ok "exec runs in every cgroup of the container before its command" test_exec_runs_inside_every_cgroup_from_its_first_instruction
t_ok "exec into a stopped container fails" test_exec_into_stopped_container_fails
t_ok "exec into a paused container fails" test_exec_into_paused_container_fails
t_ok "exec into an unknown container fails" test_exec_into_unknown_container_fails
t_ok "exec -t --console-socket gives the process a terminal" test_exec_tty_with_console_socket
t_ok "exec -d -t --console-socket" test_exec_tty_detached
t_done
