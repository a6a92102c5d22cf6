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

# rmdir_everywhere NAME: removes the (empty) cgroup directories /NAME and
# below in every hierarchy: a runtime may make and keep parents of a
# container's cgroup in each of them.
rmdir_everywhere ()
{
  find /sys/fs/cgroup -maxdepth 8 -depth -type d -path "*/$1*" -exec rmdir {} + 2>/dev/null || true
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
  defer rmdir_everywhere "$T_TAG-frozen"
  cfg '.linux.cgroupsPath = $p' --arg p "/$T_TAG-frozen/$ID"
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_contains "$err" frozen "error"
  t_run rt state "$ID"
  assert_failure
}

# The cgroup directories named after ID, in every hierarchy.
dirs_named ()
{
  find /sys/fs/cgroup -maxdepth 8 -type d -name "*$1*" 2>/dev/null || true
}

test_two_state_roots_never_share_a_cgroup ()
{
  minirun_only "runc 1.1 puts both in <own cgroup>/<id>"
  local root2=$T_DIR/root2 p1 p2 c1 c2 line
  new_bundle /bin/sleep 600
  start_ctr
  p1=$(ctr_pid "$ID")
  defer timeout 30 "$MINIRUN" --root "$root2" delete --force "$ID"
  timeout 30 "$MINIRUN" --root "$root2" create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 ||
    fail "create in the second root"
  p2=$(timeout 30 "$MINIRUN" --root "$root2" state "$ID" | jq -r .pid)
  # every line of /proc/PID/cgroup: one per hierarchy
  c1=$(cut -d: -f2- "/proc/$p1/cgroup" | sort)
  c2=$(cut -d: -f2- "/proc/$p2/cgroup" | sort)
  while IFS= read -r line; do
    if grep -qxF "$line" <<<"$c2"; then
      fail "both containers are in '$line'"
    fi
  done <<<"$c1"
}

# Each v1 hierarchy's cgroup is below the caller's own cgroup of that
# hierarchy, not below the memory controller's.
test_v1_paths_are_per_hierarchy ()
{
  need_v1 cpu
  local own=/$T_TAG-own pid line ctrl path caller
  mkdir "$(v1_mount cpu)$own"
  defer rmdir_everywhere "$T_TAG-own"
  new_bundle /bin/sleep 600
  # the runtime runs in $own in the cpu hierarchy only
  sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --root "$3" create --bundle "$4" "$5"' \
    sh "$(v1_mount cpu)$own" "$MINIRUN" "$T_ROOT" "$B" "$ID" </dev/null >/dev/null 2>"$T_DIR/err" ||
    fail "create: $(cat "$T_DIR/err")"
  pid=$(ctr_pid "$ID")
  while IFS= read -r line; do
    ctrl=$(cut -d: -f2 <<<"$line")
    path=$(cut -d: -f3- <<<"$line")
    case $ctrl in
      cpu | cpu,* | *,cpu | *,cpu,*) caller=$own ;;
      *) caller=$(awk -F: -v c="$ctrl" '$2 == c { print $3 }' /proc/self/cgroup) ;;
    esac
    assert_eq "$(dirname "$path")" "$caller" "parent of the cgroup in '$ctrl'"
  done <"/proc/$pid/cgroup"
  t_run rt delete --force "$ID"
  assert_success
}

test_delete_leaves_nothing_of_the_container ()
{
  running_sleep
  [ -n "$(dirs_named "$ID")" ] || fail "no cgroup named after $ID"
  t_run rt delete --force "$ID"
  assert_success
  assert_eq "$(dirs_named "$ID")" "" "cgroups left"
}

test_delete_removes_the_parents_it_made ()
{
  minirun_only "runc 1.1 leaves the parents it made"
  new_bundle /bin/sleep 600
  cfg '.linux.cgroupsPath = $p' --arg p "/$T_TAG-made/a/$ID"
  defer rmdir_everywhere "$T_TAG-made"
  start_ctr
  [ -n "$(dirs_named "$T_TAG-made")" ] || fail "no parent cgroup made"
  t_run rt delete --force "$ID"
  assert_success
  assert_eq "$(dirs_named "$T_TAG-made")" "" "parent cgroups left"
}

test_delete_keeps_parents_it_did_not_make ()
{
  local parent=/$T_TAG-kept d
  if [ "$MODE" = v1 ]; then d=$(v1_mount memory)$parent; else d=/sys/fs/cgroup$parent; fi
  mkdir "$d"
  defer rmdir_everywhere "$T_TAG-kept"
  new_bundle /bin/sleep 600
  cfg '.linux.cgroupsPath = $p' --arg p "$parent/$ID"
  start_ctr
  t_run rt delete --force "$ID"
  assert_success
  [ -d "$d" ] || fail "the parent $d that the test made was removed"
  [ -z "$(ls -d "$d"/*/ 2>/dev/null)" ] || fail "the container's cgroup is left in $d"
}

# A parent cpuset cgroup made without cpus and mems: the runtime fills
# every level, so that the container's init can join.
test_cpuset_values_reach_every_level ()
{
  need_v1 cpuset
  local mnt parent=/$T_TAG-cs
  mnt=$(v1_mount cpuset)
  mkdir "$mnt$parent"
  defer rmdir_everywhere "$T_TAG-cs"
  [ -z "$(tr -d '\n' <"$mnt$parent/cpuset.cpus")" ] || skip "new cpusets inherit their values here"
  new_bundle /bin/sleep 600
  cfg '.linux.cgroupsPath = $p' --arg p "$parent/sub/$ID"
  start_ctr
  assert_eq "$(cat "$mnt$parent/sub/$ID/cpuset.cpus")" "$(cat "$mnt/cpuset.cpus")" "cpuset.cpus"
  assert_eq "$(cat "$mnt$parent/sub/$ID/cpuset.mems")" "$(cat "$mnt/cpuset.mems")" "cpuset.mems"
  t_run rt delete --force "$ID"
  assert_success
}

test_kernel_tcp_limit_on_v1 ()
{
  minirun_only "runc 1.1 ignores the kernel memory settings"
  need_v1 memory
  [ -e "$(v1_mount memory)/memory.kmem.tcp.limit_in_bytes" ] ||
    skip "the kernel has no memory.kmem.tcp.limit_in_bytes"
  new_bundle /bin/sleep 600
  cfg '.linux.resources.memory = {"kernelTCP": 16777216}'
  start_ctr
  assert_eq "$(cg_read "$(ctr_pid "$ID")" memory memory.kmem.tcp.limit_in_bytes)" 16777216 \
    memory.kmem.tcp.limit_in_bytes
}

# Where the host has no TCP memory limit, a config that asks for one fails.
test_kernel_tcp_limit_refused_without_the_file ()
{
  minirun_only "runc 1.1 ignores kernelTCP where it cannot apply it"
  if [ "$MODE" = v1 ]; then
    need_v1 memory
    [ ! -e "$(v1_mount memory)/memory.kmem.tcp.limit_in_bytes" ] ||
      skip "the kernel has memory.kmem.tcp.limit_in_bytes"
  fi
  new_bundle /bin/sleep 600
  cfg '.linux.resources.memory = {"kernelTCP": 16777216}'
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_contains "$err" kernelTCP "error"
}

# cg_value PID CONTROLLER V1-FILE V2-FILE: the file of the container's cgroup
# that the host has.
cg_value ()
{
  if [ "$MODE" = v1 ]; then cg_read "$1" "$2" "$3"; else cg_read "$1" "$2" "$4"; fi
}

test_update_memory_swap_minus_1_is_unlimited ()
{
  if [ "$MODE" = v1 ]; then
    need_v1 memory
    [ -e "$(v1_mount memory)/memory.memsw.limit_in_bytes" ] || skip "no swap accounting"
  else
    [ -e /sys/fs/cgroup/memory.swap.max ] || grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
      skip "no memory controller"
  fi
  new_bundle /bin/sleep 600
  cfg '.linux.resources.memory = {"limit": 67108864, "swap": 134217728}'
  start_ctr
  PID=$(ctr_pid "$ID")
  t_run rt update --memory-swap -1 "$ID"
  assert_success
  if [ "$MODE" = v1 ]; then
    assert_match "$(cg_read "$PID" memory memory.memsw.limit_in_bytes)" '^9223372036854[0-9]+$' \
      memory.memsw.limit_in_bytes
  else
    assert_eq "$(cg_read "$PID" memory memory.swap.max)" max memory.swap.max
  fi
  assert_eq "$(cg_value "$PID" memory memory.limit_in_bytes memory.max)" 67108864 "memory limit"
}

test_update_cpu_limits ()
{
  [ "$MODE" = v2 ] || need_v1 cpu
  running_sleep
  t_run rt update --cpu-quota 20000 --cpu-period 100000 --cpu-share 512 "$ID"
  assert_success
  if [ "$MODE" = v1 ]; then
    assert_eq "$(cg_read "$PID" cpu cpu.cfs_quota_us)" 20000 cpu.cfs_quota_us
    assert_eq "$(cg_read "$PID" cpu cpu.cfs_period_us)" 100000 cpu.cfs_period_us
    assert_eq "$(cg_read "$PID" cpu cpu.shares)" 512 cpu.shares
  else
    assert_eq "$(cg_read "$PID" cpu cpu.max)" "20000 100000" cpu.max
  fi
  t_run rt update --cpu-quota -1 "$ID"
  assert_success
  if [ "$MODE" = v1 ]; then
    assert_eq "$(cg_read "$PID" cpu cpu.cfs_quota_us)" -1 "cpu.cfs_quota_us after -1"
  else
    assert_eq "$(cg_read "$PID" cpu cpu.max)" "max 100000" "cpu.max after -1"
  fi
}

test_update_memory_and_pids_limits ()
{
  [ "$MODE" = v2 ] || { need_v1 memory && need_v1 pids; }
  running_sleep
  t_run rt update --memory 64m --memory-reservation 32m --pids-limit 50 "$ID"
  assert_success
  assert_eq "$(cg_value "$PID" memory memory.limit_in_bytes memory.max)" 67108864 "memory limit"
  assert_eq "$(cg_value "$PID" memory memory.soft_limit_in_bytes memory.low)" 33554432 \
    "memory reservation"
  assert_eq "$(cg_value "$PID" pids pids.max pids.max)" 50 pids.max
  t_run rt update --pids-limit -1 "$ID"
  assert_success
  assert_eq "$(cg_value "$PID" pids pids.max pids.max)" max "pids.max after -1"
}

# A shorter period with the old quota would exceed the parent's limit: the
# quota goes first then.
test_update_cpu_period_inside_a_limited_parent ()
{
  need_v1 cpu
  local mnt parent=/$T_TAG-lim
  mnt=$(v1_mount cpu)
  mkdir "$mnt$parent"
  defer rmdir_everywhere "$T_TAG-lim"
  echo 100000 >"$mnt$parent/cpu.cfs_period_us"
  echo 50000 >"$mnt$parent/cpu.cfs_quota_us"
  new_bundle /bin/sleep 600
  cfg '.linux.cgroupsPath = $p | .linux.resources.cpu = {"quota": 50000, "period": 100000}' \
    --arg p "$parent/$ID"
  start_ctr
  t_run rt update --cpu-period 50000 --cpu-quota 25000 "$ID"
  assert_success
  assert_eq "$(cat "$mnt$parent/$ID/cpu.cfs_period_us")" 50000 cpu.cfs_period_us
  assert_eq "$(cat "$mnt$parent/$ID/cpu.cfs_quota_us")" 25000 cpu.cfs_quota_us
  t_run rt delete --force "$ID"
  assert_success
}

# freeze_cgroup_of PID: freezes the cgroup of PID (v1 freezer, or v2) and
# thaws it after the test.
freeze_cgroup_of ()
{
  local dir
  if [ "$MODE" = v1 ]; then
    dir=$(cg_path "$1" freezer)
    defer sh -c "echo THAWED >'$dir/freezer.state'"
    echo FROZEN >"$dir/freezer.state"
  else
    dir=$(cg_path "$1")
    defer sh -c "echo 0 >'$dir/cgroup.freeze'"
    echo 1 >"$dir/cgroup.freeze"
  fi
}

test_start_of_a_frozen_created_container_fails_clearly ()
{
  [ "$MODE" = v2 ] || have_v1 freezer || skip "no freezer"
  minirun_only "runc 1.1 waits for the frozen init"
  new_bundle /bin/sleep 600
  create_ctr
  freeze_cgroup_of "$(ctr_pid "$ID")"
  t_run rt start "$ID"
  assert_failure
  assert_contains "$err" frozen "error"
}

t_ok "pause freezes through the v1 freezer; state says paused, resume thaws" \
  test_pause_uses_the_v1_freezer
t_ok "a container frozen in the v1 freezer is paused" test_state_reports_v1_frozen_as_paused
t_ok "create in a frozen cgroup fails clearly" test_create_in_a_frozen_cgroup_fails_clearly
t_ok "start of a created container whose cgroup is frozen fails clearly" \
  test_start_of_a_frozen_created_container_fails_clearly
t_ok "two state roots never share a cgroup" test_two_state_roots_never_share_a_cgroup
t_ok "v1: each hierarchy's cgroup is below the caller's cgroup of that hierarchy" \
  test_v1_paths_are_per_hierarchy
t_ok "delete leaves no cgroup of the container" test_delete_leaves_nothing_of_the_container
t_ok "delete removes the parent cgroups it made" test_delete_removes_the_parents_it_made
t_ok "delete keeps the parent cgroups it did not make" test_delete_keeps_parents_it_did_not_make
t_ok "v1: cpuset values reach every level of the cgroup path" test_cpuset_values_reach_every_level
t_ok "kernelTCP sets memory.kmem.tcp.limit_in_bytes (v1)" test_kernel_tcp_limit_on_v1
t_ok "kernelTCP is refused clearly where the host has no TCP memory limit" \
  test_kernel_tcp_limit_refused_without_the_file
t_ok "update --memory-swap -1 lifts the swap limit" test_update_memory_swap_minus_1_is_unlimited
t_ok "update sets cpu quota, period and shares; --cpu-quota -1 lifts the quota" test_update_cpu_limits
t_ok "update sets memory, reservation and pids; --pids-limit -1 lifts it" \
  test_update_memory_and_pids_limits
t_ok "update of the cpu period inside a parent with its own limit" \
  test_update_cpu_period_inside_a_limited_parent
t_done
