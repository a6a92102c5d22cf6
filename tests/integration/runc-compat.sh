#!/bin/bash
# The lifecycle verbs as runc has them: delete --force of what is not there,
# kill with signal 0, list and ps output, events, and the default spec.
# Each test holds against runc 1.1 too (MINIRUN=/usr/sbin/runc), except
# where it says minirun_only.
. "$(dirname "$0")/lib.sh"

MODE=$(cg_mode)

# v1_dir PID CONTROLLER: PID's cgroup directory in that v1 hierarchy.
v1_dir ()
{
  cg_path "$1" "$2"
}

have_v1 ()
{
  awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) f = 1 } END { exit !f }' /proc/self/mounts
}

test_delete_force_of_missing_container_succeeds_silently ()
{
  new_id
  t_run rt delete --force "$ID"
  assert_success
  assert_eq "$output" "" "output"
  t_run rt delete -f "$ID"
  assert_success
}

test_delete_of_missing_container_fails ()
{
  new_id
  t_run rt delete "$ID"
  assert_failure
  assert_contains "$err" "not exist" "error"
}

# A process of the host moved into a sub-cgroup that exists in one v1
# hierarchy only (it is in no cgroup of the container's elsewhere).
test_delete_force_kills_processes_in_nested_v1_cgroups ()
{
  minirun_only "runc 1.1 leaves them"
  [ "$MODE" = v1 ] || skip "cgroup v1 only"
  have_v1 memory || skip "no memory controller"
  local dir spid
  new_bundle /bin/sleep 600
  start_ctr
  dir=$(v1_dir "$(ctr_pid "$ID")" memory)
  mkdir "$dir/nested"
  defer rmdir "$dir/nested"
  sleep 600 &
  spid=$!
  defer kill -KILL "$spid"
  echo "$spid" >"$dir/nested/cgroup.procs"
  t_run rt delete --force "$ID"
  assert_success
  wait_for 5 pid_gone "$spid"
  [ ! -d "$dir" ] || fail "cgroup $dir is left"
}

# unfreeze_and_remove DIR PID: thaws DIR/busy, kills PID and removes both
# cgroups.
unfreeze_and_remove ()
{
  echo THAWED >"$1/busy/freezer.state" 2>/dev/null || true
  kill -KILL "$2" 2>/dev/null || true
  wait_for 5 pid_gone "$2" || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    rmdir "$1/busy" 2>/dev/null || true
    rmdir "$1" 2>/dev/null && break
    [ -d "$1" ] || break
    sleep 0.1
  done
}

# A process frozen by someone else in a sub-cgroup cannot die: delete
# --force still removes the state, and says what it could not remove.
test_delete_force_removes_state_when_cgroup_stays_busy ()
{
  [ "$MODE" = v1 ] || skip "cgroup v1 only"
  have_v1 freezer || skip "no freezer controller"
  local dir spid
  new_bundle /bin/sleep 600
  start_ctr
  dir=$(v1_dir "$(ctr_pid "$ID")" freezer)
  mkdir "$dir/busy"
  sleep 600 &
  spid=$!
  defer unfreeze_and_remove "$dir" "$spid"
  echo "$spid" >"$dir/busy/cgroup.procs"
  echo FROZEN >"$dir/busy/freezer.state"
  wait_for 5 grep -qx FROZEN "$dir/busy/freezer.state"
  t_run rt delete --force "$ID"
  assert_success
  assert_contains "$err" "$dir" "warning"
  [ ! -e "$T_ROOT/$ID" ] || fail "state left"
  t_run rt state "$ID"
  assert_failure
}

test_kill_0_checks_that_the_container_runs ()
{
  new_bundle /bin/sleep 600
  start_ctr
  t_run rt kill "$ID" 0
  assert_success
  assert_eq "$(ctr_status "$ID")" running "status after kill 0"
  t_run rt kill "$ID" KILL
  assert_success
  wait_status "$ID" stopped
  t_run rt kill "$ID" 0
  assert_failure
}

# run -d: the runtime that made the container is gone, init is someone
# else's child.
test_kill_of_a_detached_container ()
{
  new_bundle /bin/sleep 600
  t_run rt run -d --bundle "$B" "$ID"
  assert_success
  t_run rt kill "$ID" 0
  assert_success
  t_run rt kill "$ID" KILL
  assert_success
  wait_status "$ID" stopped
  t_run rt delete "$ID"
  assert_success
}

test_list_table_has_runc_columns ()
{
  new_bundle /bin/sleep 600
  start_ctr
  t_run rt list
  assert_success
  assert_match "$(head -n 1 <<<"$out")" '^ID +PID +STATUS +BUNDLE +CREATED +OWNER$' header
  assert_match "$(grep "^$ID " <<<"$out")" "^$ID +[0-9]+ +running +$B +[0-9T:.-]+Z +root$" row
}

test_list_json_has_runc_fields ()
{
  new_bundle /bin/sleep 600
  cfg '.annotations = {"org.example.k": "v"}'
  start_ctr
  t_run rt list --format json
  assert_success
  local o
  o=$(jq -c --arg id "$ID" '.[] | select(.id == $id)' <<<"$out")
  assert_eq "$(jq -r '[keys_unsorted[]] | sort | join(",")' <<<"$o")" \
    "annotations,bundle,created,id,ociVersion,owner,pid,rootfs,status" keys
  assert_eq "$(jq -r .rootfs <<<"$o")" "$B/rootfs" rootfs
  assert_eq "$(jq -r '.annotations["org.example.k"]' <<<"$o")" v annotations
  assert_eq "$(jq -r .pid <<<"$o")" "$(ctr_pid "$ID")" pid
  assert_eq "$(jq -r .status <<<"$o")" running status
}

test_ps_passes_its_options_to_ps ()
{
  command -v ps >/dev/null || skip "no ps(1)"
  local pid
  new_bundle /bin/sleep 600
  start_ctr
  pid=$(ctr_pid "$ID")
  t_run rt ps "$ID"
  assert_success
  assert_match "$(head -n 1 <<<"$out")" '^UID +PID +PPID ' "header of ps -ef"
  assert_eq "$(tail -n +2 <<<"$out" | awk '{ print $2 }')" "$pid" "pids"
  t_run rt ps "$ID" -e -x
  assert_success
  assert_match "$(head -n 1 <<<"$out")" '^ *PID +TTY +STAT +TIME +COMMAND' "header of ps -e -x"
  assert_eq "$(tail -n +2 <<<"$out" | awk '{ print $1 }')" "$pid" "pids of ps -e -x"
  t_run rt ps "$ID" -o pid,comm
  assert_success
  assert_eq "$(tail -n +2 <<<"$out" | awk '{ print $1 " " $2 }')" "$pid sleep" "ps -o pid,comm"
  t_run rt ps --format json "$ID"
  assert_success
  assert_eq "$out" "[$pid]" "ps --format json"
}

test_events_stats_prints_one_stats_event ()
{
  new_bundle /bin/sleep 600
  start_ctr
  t_run rt events --stats "$ID"
  assert_success
  assert_eq "$(grep -c "" <<<"$out")" 1 "lines"
  assert_eq "$(jq -r .type <<<"$out")" stats type
  assert_eq "$(jq -r .id <<<"$out")" "$ID" id
  assert_eq "$(jq -r '.data | has("cpu") and has("memory") and has("pids") and has("blkio") and has("hugetlb")' <<<"$out")" \
    true "data has cpu, memory, pids, blkio and hugetlb"
  assert_eq "$(jq -r '.data.pids.current' <<<"$out")" 1 "pids.current"
  assert_match "$(jq -r '.data.cpu.usage.total' <<<"$out")" '^[0-9]+$' "cpu.usage.total"
  assert_match "$(jq -r '.data.memory.usage.usage' <<<"$out")" '^[0-9]+$' "memory.usage.usage"
}

# stats_lines_at_least FILE N
stats_lines_at_least ()
{
  [ "$(grep -c '"type":"stats"' "$1")" -ge "$2" ]
}

test_events_streams_stats_every_interval ()
{
  local epid n
  new_bundle /bin/sleep 600
  start_ctr
  "$MINIRUN" --root "$T_ROOT" events --interval 1s "$ID" >"$T_DIR/events.out" 2>&1 </dev/null &
  epid=$!
  defer kill "$epid"
  wait_for 10 stats_lines_at_least "$T_DIR/events.out" 2
  n=$(grep -c "" "$T_DIR/events.out")
  [ "$n" -le 4 ] || fail "$n events in about 2 seconds with --interval 1s"
  assert_eq "$(head -n 1 "$T_DIR/events.out" | jq -r .id)" "$ID" id
}

test_events_reports_oom ()
{
  local epid
  new_bundle /bin/sh -c 'sleep 2; dd if=/dev/zero of=/dev/shm/fill bs=1M count=60; sleep 600'
  cfg '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
  start_ctr
  "$MINIRUN" --root "$T_ROOT" events --interval 60s "$ID" >"$T_DIR/events.out" 2>&1 </dev/null &
  epid=$!
  defer kill "$epid"
  wait_for 20 grep -q '"type":"oom"' "$T_DIR/events.out"
  assert_eq "$(grep '"type":"oom"' "$T_DIR/events.out" | head -n 1 | jq -r .id)" "$ID" "id of the oom event"
}

test_events_without_id_and_runc_flags_fails ()
{
  minirun_only "runc requires an ID"
  t_run rt events --stats
  assert_failure
}

# spec_of RUNTIME DIR [--rootless]: the config.json RUNTIME spec writes, keys
# sorted, without the hostname (each runtime writes its own name there).
spec_of ()
{
  local rt=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  (cd "$dir" && "$rt" spec "$@") >&2 || return 1
  jq -S 'del(.hostname)' "$dir/config.json"
}

test_spec_is_runcs_default ()
{
  local runc
  runc=$(command -v runc || true)
  [ -n "$runc" ] || skip "no runc to compare with"
  [ "$MINIRUN" != "$runc" ] || skip "this is runc"
  assert_eq "$(spec_of "$MINIRUN" "$T_DIR/spec-ours")" "$(spec_of "$runc" "$T_DIR/spec-runc")" \
    "config.json of spec"
  assert_eq "$(spec_of "$MINIRUN" "$T_DIR/spec-ours-rl" --rootless)" \
    "$(spec_of "$runc" "$T_DIR/spec-runc-rl" --rootless)" "config.json of spec --rootless"
}

test_spec_has_no_cgroup_namespace ()
{
  local c
  c=$(spec_of "$MINIRUN" "$T_DIR/spec-ns")
  assert_eq "$(jq -r '[.linux.namespaces[].type] | join(",")' <<<"$c")" "pid,network,ipc,uts,mount" \
    namespaces
  assert_eq "$(jq -r '.process.capabilities.ambient | join(",")' <<<"$c")" \
    "CAP_AUDIT_WRITE,CAP_KILL,CAP_NET_BIND_SERVICE" "ambient capabilities"
}

t_ok "delete --force of a container that does not exist succeeds silently" \
  test_delete_force_of_missing_container_succeeds_silently
t_ok "delete of a container that does not exist fails" test_delete_of_missing_container_fails
t_ok "delete --force kills processes in nested v1 cgroups and removes them" \
  test_delete_force_kills_processes_in_nested_v1_cgroups
t_ok "delete --force removes the state when a cgroup stays busy" \
  test_delete_force_removes_state_when_cgroup_stays_busy
t_ok "kill ID 0 succeeds while the container runs, fails once it stopped" \
  test_kill_0_checks_that_the_container_runs
t_ok "kill of a container started with run -d" test_kill_of_a_detached_container
t_ok "list prints runc's table" test_list_table_has_runc_columns
t_ok "list --format json has runc's fields, rootfs and annotations too" test_list_json_has_runc_fields
t_ok "ps ID PS-OPTIONS runs ps(1) with them and keeps the container's lines" \
  test_ps_passes_its_options_to_ps
t_ok "events --stats ID prints one stats event as runc's" test_events_stats_prints_one_stats_event
t_ok "events --interval ID streams stats events" test_events_streams_stats_every_interval
t_ok "events ID reports an OOM kill" test_events_reports_oom
t_ok "events --stats without an ID fails" test_events_without_id_and_runc_flags_fails
t_ok "spec writes runc's default config.json (but the hostname)" test_spec_is_runcs_default
t_ok "spec has runc's namespaces (no cgroup one) and ambient capabilities" \
  test_spec_has_no_cgroup_namespace
t_done
