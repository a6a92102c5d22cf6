#!/bin/bash
# Managed containers: run from a rootfs or an image, the monitor, stop,
# start again, restart policies, logs, wait, inspect, rm.
. "$(dirname "$0")/lib.sh"

# mk: a rootfs ($B/rootfs) and a name ($ID) for a managed container.
mk ()
{
  new_bundle
  R=$B/rootfs
}

status_of ()
{
  rt inspect "$1" | jq -r '.[0].State.Status'
}

is_status ()
{
  [ "$(status_of "$1")" = "$2" ]
}

run_foreground_streams_output_and_returns_exit_code ()
{
  mk
  t_run rt run --rootfs "$R" --name "$ID" -- sh -c 'echo out; echo err >&2; exit 3'
  [ "$status" = 3 ] || fail "status $status"
  [ "$(printf "%s" "$out")" = out ] || fail "stdout: $(printf "%s" "$out")"
  grep -q '^err$' <<<"$err" || fail "stderr: $(printf "%s" "$err")"
  is_status "$ID" stopped || fail "status $(status_of "$ID")"
  [ "$(rt inspect "$ID" | jq '.[0].State.ExitCode')" = 3 ] || fail "exit code not recorded"
  # the log kept both streams
  rt logs "$ID" 2>/dev/null | grep -q '^out$' || fail "logs: no stdout line"
  rt logs "$ID" 2>&1 >/dev/null | grep -q '^err$' || fail "logs: no stderr line"
}

run_rm_removes_the_container_when_it_exits ()
{
  mk
  t_run rt run --rm --rootfs "$R" --name "$ID" -- true
  [ "$status" = 0 ] || fail "status $status: $(printf "%s" "$err")"
  t_run rt inspect "$ID"
  [ "$status" != 0 ] || fail "still there after --rm"
  [ ! -e "$T_ROOT/data/containers/$ID" ] || fail "record left behind"
}

detached_run_keeps_config_across_stop_and_start ()
{
  mk
  rt run -d --rootfs "$R" --name "$ID" -e FOO=bar -w /tmp -h box -- sleep 1000 >/dev/null
  is_status "$ID" running || fail "not running: $(status_of "$ID")"
  [ "$(rt exec "$ID" sh -c 'echo $FOO $(pwd) $(hostname)')" = "bar /tmp box" ] || fail "config"
  rt stop -t 1 "$ID" >/dev/null
  is_status "$ID" stopped || fail "after stop: $(status_of "$ID")"
  # sleep as pid 1 ignores TERM: the stop ended with KILL
  [ "$(rt inspect "$ID" | jq '.[0].State.ExitCode')" = 137 ] || fail "exit code"
  rt start "$ID"
  is_status "$ID" running || fail "after start: $(status_of "$ID")"
  [ "$(rt exec "$ID" sh -c 'echo $FOO $(pwd) $(hostname)')" = "bar /tmp box" ] || fail "config lost"
  rt restart -t 0 "$ID" >/dev/null
  is_status "$ID" running || fail "after restart: $(status_of "$ID")"
  rt stop -t 0 "$ID" >/dev/null
}

stop_signal_and_timeout_are_honoured ()
{
  mk
  rt run -d --rootfs "$R" --name "$ID" --stop-signal USR1 --stop-timeout 5 \
    -- sh -c 'trap "exit 7" USR1; while :; do sleep 0.1; done' >/dev/null
  rt stop "$ID" >/dev/null
  [ "$(rt inspect "$ID" | jq '.[0].State.ExitCode')" = 7 ] || fail "exit code: the USR1 trap did not run"
}

restart_on_failure_gives_up_after_the_maximum ()
{
  mk
  rt run -d --rootfs "$R" --name "$ID" --restart on-failure:2 -- sh -c 'exit 4' >/dev/null
  wait_for 20 is_status "$ID" stopped
  [ "$(rt inspect "$ID" | jq '.[0].State.RestartCount')" = 2 ] || fail "restart count"
  [ "$(rt inspect "$ID" | jq '.[0].State.ExitCode')" = 4 ] || fail "exit code"
}

restart_always_restarts_until_stopped ()
{
  mk
  rt run -d --rootfs "$R" --name "$ID" --restart always -- sh -c 'sleep 0.2; exit 0' >/dev/null
  wait_for 20 sh -c "[ \$($MINIRUN --root $T_ROOT inspect $ID | jq '.[0].State.RestartCount') -ge 2 ]"
  rt stop -t 1 "$ID" >/dev/null
  is_status "$ID" stopped || fail "after stop: $(status_of "$ID")"
  sleep 0.5
  is_status "$ID" stopped || fail "restarted after stop"
}

oom_kill_is_recorded ()
{
  mk
  rt run -d --rootfs "$R" --name "$ID" -m 8m --memory-swap 8m \
    -- awk 'BEGIN { s = "x"; while (1) s = s s }' >/dev/null
  wait_for 20 is_status "$ID" stopped
  [ "$(rt inspect "$ID" | jq '.[0].State.OOMKilled')" = true ] || fail "OOMKilled not recorded"
  [ "$(rt inspect "$ID" | jq '.[0].State.ExitCode')" = 137 ] || fail "exit code"
}

wait_prints_the_exit_code ()
{
  mk
  rt run -d --rootfs "$R" --name "$ID" -- sh -c 'sleep 0.3; exit 5' >/dev/null
  [ "$(rt wait "$ID")" = 5 ] || fail "wait"
  # a stopped container answers at once
  [ "$(rt wait "$ID")" = 5 ] || fail "wait on a stopped container"
  # --rm: the container is gone when wait looks again, its exit is not
  rt run -d --rm --rootfs "$R" --name "$ID-rm" -- sh -c 'sleep 2; exit 6' >/dev/null
  [ "$(rt wait "$ID-rm")" = 6 ] || fail "wait on a --rm container"
}

logs_tail_since_follow_and_rotation ()
{
  mk
  rt run -d --rootfs "$R" --name "$ID" --log-opt max-size=2k --log-opt max-file=5 \
    -- sh -c 'i=0; while [ $i -lt 200 ]; do echo "line $i"; i=$((i+1)); done; sleep 1000' >/dev/null
  wait_for 10 sh -c "$MINIRUN --root $T_ROOT logs --tail 1 $ID | grep -q 'line 199'"
  [ -e "$T_ROOT/data/containers/$ID/container.log.1" ] || fail "no rotation happened"
  [ "$(rt logs --tail 3 "$ID" | tr '\n' ' ')" = "line 197 line 198 line 199 " ] || fail "tail"
  rt logs -t --tail 1 "$ID" | grep -Eq '^[0-9-]{10}T[0-9:.]+Z line 199$' || fail "timestamps"
  [ -z "$(rt logs --since 2000-01-01T00:00:00Z --tail 0 "$ID")" ] || fail "tail 0"
  [ -z "$(rt logs --since 1m --tail 1 "$ID" | grep -v 'line 199')" ] || fail "since"
  rt stop -t 0 "$ID" >/dev/null
}

logs_follow_sees_new_lines_and_ends_with_the_container ()
{
  mk
  rt run -d --rootfs "$R" --name "$ID" -- sh -c 'echo first; read x </dev/null; sleep 1; echo second; sleep 0.5' >/dev/null
  timeout 10 "$MINIRUN" --root "$T_ROOT" logs -f "$ID" >"$T_DIR/follow" || fail "logs -f status $?"
  [ "$(tr '\n' ' ' <"$T_DIR/follow")" = "first second " ] || fail "followed: $(cat "$T_DIR/follow")"
}

killing_the_cli_leaves_the_container_and_monitor_running ()
{
  local cli mon
  mk
  "$MINIRUN" --root "$T_ROOT" run --rootfs "$R" --name "$ID" -- sleep 1000 </dev/null >/dev/null 2>&1 &
  cli=$!
  wait_for 10 is_status "$ID" running
  kill -KILL "$cli"
  wait "$cli" 2>/dev/null || true
  sleep 0.2
  is_status "$ID" running || fail "the container died with the CLI"
  mon=$(rt inspect "$ID" | jq '.[0].MonitorPid')
  [ "$mon" -gt 0 ] && pid_alive "$mon" || fail "no monitor"
  rt stop -t 0 "$ID" >/dev/null
  wait_for 10 pid_gone "$mon"
}

list_shows_managed_and_oci_containers ()
{
  local m oci
  mk
  m=$ID
  rt create --rootfs "$R" --name "$m" -- true >/dev/null
  new_bundle sleep 100
  oci=$ID
  rt run -d --bundle "$B" "$oci"
  t_run rt list -q
  grep -qx "$oci" <<<"$out" || fail "OCI container missing: $out"
  ! grep -qx "$m" <<<"$out" || fail "a created managed container shows without -a"
  ! grep -qx data <<<"$out" || fail "the data directory shows as a container"
  rt list -a -q | grep -qx "$m" || fail "-a: managed container missing"
  rt list -a --format json | jq -e --arg n "$m" \
    '.[] | select(.id == $n) | .managed and .state == "created"' >/dev/null || fail "managed entry"
  rt list --format json | jq -e --arg n "$oci" '.[] | select(.id == $n) | .status == "running"' \
    >/dev/null || fail "OCI entry"
  [ "$(rt list -q --filter status=created)" = "$m" ] || fail "filter status=created"
  [ "$(rt list -q --filter status=running --filter "name=$oci")" = "$oci" ] || fail "filter"
  t_run rt list --filter colour=red
  [ "$status" != 0 ] && grep -q "invalid --filter 'colour=red'" <<<"$err" || fail "bad filter: $err"
}

create_then_start ()
{
  mk
  [ "$(rt create --rootfs "$R" --name "$ID" -- sleep 100)" = "$ID" ] || fail "create prints the name"
  is_status "$ID" created || fail "status $(status_of "$ID")"
  rt start "$ID"
  is_status "$ID" running || fail "status $(status_of "$ID")"
  t_run rt start "$ID"
  [ "$status" != 0 ] && grep -q "is running" <<<"$err" || fail "second start: $(printf "%s" "$err")"
  rt rm -f "$ID" >/dev/null
}

generated_names_are_valid ()
{
  local name
  mk
  name=$(rt create --rootfs "$R" -- true)
  [[ $name =~ ^[a-z]+_[a-z]+[0-9]*$ ]] || fail "name '$name'"
  rt rm "$name" >/dev/null
}

image_containers_get_their_own_writable_layer ()
{
  local img
  img=it-$(echo "$T_TAG" | tr A-Z a-z):1
  mk
  rt image add "$img" "$R" >/dev/null
  defer rt image rm "$img"
  [ "$(rt run --rm "$img" sh -c 'echo hello > /newfile; cat /newfile')" = hello ] || fail "run IMAGE"
  rt run --rm --image "$img" -- sh -c '[ ! -e /newfile ]' || fail "one container's write reached another"
  [ ! -e "$(rt image inspect "$img" | jq -r .RootFS)/newfile" ] || fail "the image was written to"
  rt create --name "$ID" "$img" true >/dev/null
  t_run rt image rm "$img"
  [ "$status" != 0 ] && grep -q "container '$ID' uses it" <<<"$err" || fail "image rm in use: $err"
  rt rm "$ID" >/dev/null
  ! grep -q " $T_DIR/state/data/containers/$ID/rootfs " /proc/self/mountinfo || fail "overlay left mounted"
}

stdin_reaches_the_container_with_i ()
{
  mk
  [ "$(echo piped | rt run --rm -i --rootfs "$R" -- cat)" = piped ] || fail "-i"
  [ -z "$(echo piped | rt run --rm --rootfs "$R" -- cat)" ] || fail "stdin without -i"
}

exec_on_a_stopped_container_fails_cleanly ()
{
  mk
  rt run --rootfs "$R" --name "$ID" -- true
  t_run rt exec "$ID" true
  [ "$status" != 0 ] && grep -q "container '$ID' is not running" <<<"$err" || fail "$(printf "%s" "$err")"
}

bad_input_gives_clear_errors ()
{
  mk
  t_run rt run -m 12q --rootfs "$R" -- true
  [ "$status" != 0 ] && grep -q "invalid --memory '12q'" <<<"$err" || fail "-m 12q: $(printf "%s" "$err")"
  t_run rt run --bundle "$B" --rootfs "$R" "$ID"
  [ "$status" != 0 ] && grep -q -- "--rootfs cannot be used with an OCI bundle" <<<"$err" || fail "both: $(printf "%s" "$err")"
  t_run rt run no-such-image-or-bundle
  [ "$status" != 0 ] && grep -q -- "--bundle DIR ID" <<<"$err" || fail "lone word: $(printf "%s" "$err")"
  for verb in stop start wait logs inspect rm restart; do
    t_run rt "$verb" "$T_TAG-nosuch"
    [ "$status" != 0 ] && grep -q "'$T_TAG-nosuch'" <<<"$err" || fail "$verb unknown: $(printf "%s" "$err")"
  done
  t_run rt run --rootfs "$R" --name "$ID" --restart sometimes -- true
  [ "$status" != 0 ] && grep -q "sometimes" <<<"$err" || fail "--restart: $(printf "%s" "$err")"
  [ ! -e "$T_ROOT/data/containers/$ID" ] || fail "a failed run left a record"
  rt run -d --rootfs "$R" --name "$ID" -- sleep 100 >/dev/null
  t_run rt run -d --rootfs "$R" --name "$ID" -- true
  [ "$status" != 0 ] && grep -q "already in use" <<<"$err" || fail "name in use: $(printf "%s" "$err")"
  t_run rt rm "$ID"
  [ "$status" != 0 ] && grep -q "use --force" <<<"$err" || fail "rm running: $(printf "%s" "$err")"
  rt rm -f "$ID" >/dev/null
  [ ! -e "$T_ROOT/$ID" ] && [ ! -e "$T_ROOT/data/containers/$ID" ] || fail "rm -f left state"
  # the records directory under --root is not a container
  t_run rt delete --force data
  [ "$status" != 0 ] && [ -d "$T_ROOT/data/containers" ] || fail "delete --force data: $err"
  t_run rt run -d --rootfs "$R" --name data -- true
  [ "$status" != 0 ] || fail "a container named data under --root"
}

t_ok "run in the foreground streams output and returns the exit code" run_foreground_streams_output_and_returns_exit_code
t_ok "run --rm removes the container when it exits" run_rm_removes_the_container_when_it_exits
t_ok "a detached container keeps its config across stop and start" detached_run_keeps_config_across_stop_and_start
t_ok "stop sends --stop-signal and waits --stop-timeout" stop_signal_and_timeout_are_honoured
t_ok "--restart on-failure:N gives up after N restarts" restart_on_failure_gives_up_after_the_maximum
t_ok "--restart always restarts until stopped" restart_always_restarts_until_stopped
t_ok "an OOM kill is recorded" oom_kill_is_recorded
t_ok "wait prints the exit code" wait_prints_the_exit_code
t_ok "logs: tail, since, timestamps, rotation" logs_tail_since_follow_and_rotation
t_ok "logs -f follows new lines and ends with the container" logs_follow_sees_new_lines_and_ends_with_the_container
t_ok "killing the CLI leaves the container and its monitor running" killing_the_cli_leaves_the_container_and_monitor_running
t_ok "list shows managed and OCI containers" list_shows_managed_and_oci_containers
t_ok "create, then start" create_then_start
t_ok "generated names are valid" generated_names_are_valid
t_ok "image containers get their own writable layer" image_containers_get_their_own_writable_layer
t_ok "-i passes stdin, without it stdin is empty" stdin_reaches_the_container_with_i
t_ok "exec on a stopped container fails cleanly" exec_on_a_stopped_container_fails_cleanly
t_ok "bad input gives clear errors and leaves nothing" bad_input_gives_clear_errors

default_rootfs_comes_from_the_config_file ()
{
  mk
  printf '# the default root\nrootfs = %s\n' "$R" >"$T_DIR/minirun.conf"
  [ "$(MINIRUN_CONFIG=$T_DIR/minirun.conf rt run --rm -- echo hi)" = hi ] || fail "run -- CMD"
  printf 'colour = red\n' >"$T_DIR/bad.conf"
  t_run env MINIRUN_CONFIG="$T_DIR/bad.conf" "$MINIRUN" --root "$T_ROOT" run --rm -- true
  [ "$status" != 0 ] && grep -q "unknown key 'colour'" <<<"$err" || fail "bad config: $err"
  t_run env MINIRUN_CONFIG="$T_DIR/none.conf" "$MINIRUN" --root "$T_ROOT" run --rm -- true
  [ "$status" != 0 ] && grep -q "no root file system" <<<"$err" || fail "no rootfs: $err"
}

cp_works_on_a_stopped_container_and_stays_inside ()
{
  mk
  rt run --rootfs "$R" --name "$ID" -- true
  echo data >"$T_DIR/file"
  rt cp "$T_DIR/file" "$ID:/copied"
  [ "$(cat "$R/copied")" = data ] || fail "cp into a stopped container"
  ln -s /etc "$R/escape"
  rt cp "$T_DIR/file" "$ID:/escape/minirun-cp-escape-$T_TAG" || true
  [ ! -e "/etc/minirun-cp-escape-$T_TAG" ] || { rm -f "/etc/minirun-cp-escape-$T_TAG"; fail "cp reached the host's /etc"; }
}

a_killed_monitor_is_cleaned_up_by_rm_force ()
{
  local mon pid
  mk
  rt run -d --rootfs "$R" --name "$ID" -- sleep 1000 >/dev/null
  mon=$(rt inspect "$ID" | jq '.[0].MonitorPid')
  pid=$(rt inspect "$ID" | jq '.[0].State.Pid')
  kill_if "$mon" monitor
  wait_for 5 pid_gone "$mon"
  is_status "$ID" running || fail "the container died with its monitor"
  rt rm -f "$ID" >/dev/null
  wait_for 5 pid_gone "$pid"
  [ ! -e "$T_ROOT/$ID" ] && [ ! -e "$T_ROOT/data/containers/$ID" ] || fail "state left"
}

events_come_in_order ()
{
  local since
  mk
  since=$(date +%s)
  rt run -d --rootfs "$R" --name "$ID" -- sleep 1000 >/dev/null
  rt stop -t 0 "$ID" >/dev/null
  rt rm "$ID" >/dev/null
  t_run rt events --since "$since" --until "$(($(date +%s) + 1))" --format json --filter "container=$ID"
  [ "$(jq -r .action <<<"$out" | tr '\n' ' ')" = "create start kill die stop delete " ] ||
    fail "events: $(jq -r .action <<<"$out" | tr '\n' ' ')"
  [ "$(jq -r 'select(.action == "die") | .attributes.exitCode' <<<"$out")" = 137 ] || fail "die exitCode"
}

t_ok "the default rootfs comes from the config file" default_rootfs_comes_from_the_config_file
t_ok "cp works on a stopped container and stays inside it" cp_works_on_a_stopped_container_and_stays_inside
t_ok "a container whose monitor was killed is cleaned up by rm -f" a_killed_monitor_is_cleaned_up_by_rm_force
t_ok "events: create, start, kill, die, stop, delete" events_come_in_order

loopback_is_up_in_the_new_network_namespace ()
{
  mk
  [ $(($(rt run --rm --rootfs "$R" -- cat /sys/class/net/lo/flags) & 1)) = 1 ] || fail "lo is down"
}

t_ok "the loopback interface is up in the new network namespace" loopback_is_up_in_the_new_network_namespace
tty_containers_log_and_attach ()
{
  mk
  rt run -d -t --rootfs "$R" --name "$ID" -- sh -c '[ -t 0 ] && [ -t 1 ] && echo on-a-tty; sleep 100' >/dev/null
  wait_for 10 sh -c "$MINIRUN --root $T_ROOT logs $ID | grep -q on-a-tty"
  rt stop -t 0 "$ID" >/dev/null
  command -v script >/dev/null || skip "script(1) is missing (apt-get install bsdutils)"
  t_run script -qec "$MINIRUN --root $T_ROOT run --rm -t -i --rootfs $R -- sh -c '[ -t 0 ] && echo attached-tty; exit 4'" /dev/null
  [ "$status" = 4 ] || fail "exit status $status"
  grep -q attached-tty <<<"$out" || fail "output: $out"
}

no_monitor_is_left ()
{
  local p left=""
  t_delete_all
  for p in /proc/[0-9]*; do
    case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
      *"--root $T_ROOT monitor "*) left="$left ${p#/proc/}" ;;
    esac
  done
  [ -z "$left" ] || fail "monitors left:$left"
}

t_ok "-t: a detached container's terminal is logged, an attached one is ours" tty_containers_log_and_attach
t_ok "no monitor outlives its container" no_monitor_is_left
t_done
