#!/bin/bash
# cgroups as runc makes and uses them: the v1 freezer on a hybrid host,
# cgroup paths per state root and per v1 hierarchy, everything removed on
# delete, cpuset values in every level made, limits that update changes.
# Runs against runc too (MINIRUN=/usr/sbin/runc), except where a test says
# minirun_only.
. "$(dirname "$0")/lib.sh"

MODE=$(cg_mode)

have_v1 ()
{
  awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) f = 1 } END { exit !f }' /proc/self/mounts
}

# v1_mount CONTROLLER: where that v1 hierarchy is mounted.
v1_mount ()
{
  awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $2; exit } }' /proc/self/mounts
}

need_v1 ()
{
  [ "$MODE" = v1 ] || skip "cgroup v1 only"
  have_v1 "$1" || skip "no $1 cgroup v1 controller"
}

running_sleep ()
{
  new_bundle /bin/sleep 600
  start_ctr "$@"
  PID=$(ctr_pid "$ID")
}

test_pause_uses_the_v1_freezer ()
{
  need_v1 freezer
  local dir
  running_sleep
  dir=$(cg_path "$PID" freezer)
  t_run rt pause "$ID"
  assert_success
  assert_eq "$(cat "$dir/freezer.state")" FROZEN freezer.state
  assert_eq "$(ctr_status "$ID")" paused "status after pause"
  assert_eq "$(rt list --format json | jq -r --arg id "$ID" '.[] | select(.id == $id) | .status')" \
    paused "status in list"
  t_run rt resume "$ID"
  assert_success
  assert_eq "$(cat "$dir/freezer.state")" THAWED "freezer.state after resume"
  assert_eq "$(ctr_status "$ID")" running "status after resume"
}

# A container frozen by someone else through the v1 freezer is paused.
test_state_reports_v1_frozen_as_paused ()
{
  need_v1 freezer
  local dir
  running_sleep
  dir=$(cg_path "$PID" freezer)
  echo FROZEN >"$dir/freezer.state"
  defer sh -c "echo THAWED >'$dir/freezer.state'"
  wait_for 5 grep -qx FROZEN "$dir/freezer.state"
  assert_eq "$(ctr_status "$ID")" paused "status"
  t_run rt resume "$ID"
  assert_success
  assert_eq "$(cat "$dir/freezer.state")" THAWED "freezer.state after resume"
}

# frozen_parent NAME: a frozen cgroup NAME (absolute below the roots) that
# is removed after the test.
frozen_parent ()
{
  local dir
  if [ "$MODE" = v1 ]; then
    dir=$(v1_mount freezer)$1
    mkdir -p "$dir"
    defer rmdir "$dir"
    echo FROZEN >"$dir/freezer.state"
  else
    dir=/sys/fs/cgroup$1
    mkdir -p "$dir"
    defer rmdir "$dir"
    echo 1 >"$dir/cgroup.freeze"
  fi
}

test_create_in_a_frozen_cgroup_fails_clearly ()
{
  [ "$MODE" = v2 ] || have_v1 freezer || skip "no freezer"
  minirun_only "runc 1.1 waits for the frozen init"
  new_bundle /bin/sleep 600
  frozen_parent "/$T_TAG-frozen"
  cfg '.linux.cgroupsPath = $p' --arg p "/$T_TAG-frozen/$ID"
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_contains "$err" frozen "error"
  t_run rt state "$ID"
  assert_failure
}

t_ok "pause freezes through the v1 freezer; state says paused, resume thaws" \
  test_pause_uses_the_v1_freezer
t_ok "a container frozen in the v1 freezer is paused" test_state_reports_v1_frozen_as_paused
t_ok "create in a frozen cgroup fails clearly" test_create_in_a_frozen_cgroup_fails_clearly
t_done
