#!/bin/bash
# linux.resources and linux.cgroupsPath as the kernel sees them: the
# container's cgroup files hold the limits (v1 files on a v1 or hybrid host,
# v2 files on a unified host), update changes them, delete removes the
# cgroups, and the limits are enforced.
. "$(dirname "$0")/lib.sh"

MODE=$(cg_mode)

# The controller a cgroup v1 file belongs to ("memory.limit_in_bytes" ->
# memory); on v2 every file is in the one directory.
ctrl_of ()
{
  echo "${1%%.*}"
}

# cg_file PID FILE: the content of FILE in the container's cgroup.
cg_file ()
{
  cg_read "$1" "$(ctrl_of "$2")" "$2"
}

# expect_file PID V1-FILE V1-VALUE V2-FILE V2-VALUE
expect_file ()
{
  local pid=$1
  if [ "$MODE" = v1 ]; then
    assert_eq "$(cg_file "$pid" "$2")" "$3" "$2"
  else
    assert_eq "$(cg_file "$pid" "$4")" "$5" "$4"
  fi
}

# The controller's directory exists on v1 (a hybrid host may lack one).
have_v1 ()
{
  awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) f = 1 } END { exit !f }' /proc/self/mounts
}

need_controller ()
{
  if [ "$MODE" = v1 ]; then
    have_v1 "$1" || skip "no $1 cgroup controller"
  else
    grep -qw "$1" /sys/fs/cgroup/cgroup.controllers || skip "no $1 controller in cgroup v2"
  fi
}

# rmdir_cgroups NAME: removes the (empty) cgroup directories NAME and below
# them, that a runtime made as parents of a container's cgroup and may keep.
rmdir_cgroups ()
{
  find /sys/fs/cgroup -maxdepth 8 -depth -type d -path "*/$1*" -exec rmdir {} + 2>/dev/null || true
}

# running_with RESOURCES-JSON: starts a sleeping container with those
# linux.resources and sets PID.
running_with ()
{
  new_bundle /bin/sleep 600
  cfg '.linux.resources += $r' --argjson r "$1"
  start_ctr
  PID=$(ctr_pid "$ID")
}

test_memory_limit_and_reservation ()
{
  need_controller memory
  running_with '{"memory": {"limit": 67108864, "reservation": 33554432}}'
  expect_file "$PID" memory.limit_in_bytes 67108864 memory.max 67108864
  expect_file "$PID" memory.soft_limit_in_bytes 33554432 memory.low 33554432
}

test_cpu_shares ()
{
  need_controller cpu
  running_with '{"cpu": {"shares": 512}}'
  if [ "$MODE" = v1 ]; then
    assert_eq "$(cg_file "$PID" cpu.shares)" 512 cpu.shares
  else
    # The OCI shares (2..262144) to weight (1..10000) conversion: runc's
    # linear one gives 20; crun's newer curve gives 59.
    assert_match "$(cg_file "$PID" cpu.weight)" '^(20|59)$' cpu.weight
  fi
}

test_cpu_quota_and_period ()
{
  need_controller cpu
  running_with '{"cpu": {"quota": 50000, "period": 100000}}'
  if [ "$MODE" = v1 ]; then
    assert_eq "$(cg_file "$PID" cpu.cfs_quota_us)" 50000 cpu.cfs_quota_us
    assert_eq "$(cg_file "$PID" cpu.cfs_period_us)" 100000 cpu.cfs_period_us
  else
    assert_eq "$(cg_file "$PID" cpu.max)" "50000 100000" cpu.max
  fi
}

test_cpuset ()
{
  need_controller cpuset
  running_with '{"cpu": {"cpus": "0", "mems": "0"}}'
  assert_eq "$(cg_file "$PID" cpuset.cpus)" 0 cpuset.cpus
  assert_eq "$(cg_file "$PID" cpuset.mems)" 0 cpuset.mems
  assert_eq "$(awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$PID/status")" 0 "Cpus_allowed_list of init"
}

test_pids_limit ()
{
  need_controller pids
  running_with '{"pids": {"limit": 20}}'
  assert_eq "$(cg_file "$PID" pids.max)" 20 pids.max
}

test_pids_limit_stops_forks ()
{
  need_controller pids
  # a shell that cannot fork gives up with "can't fork"; the sleeps die with
  # pid 1 of the container's pid namespace
  new_bundle /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 30 & done; echo all-started'
  cfg '.linux.resources.pids = {"limit": 4}'
  run_ctr
  assert_failure
  assert_match "$output" "(can't fork|Resource temporarily unavailable)" "output of 10 forks capped at 4"
  assert_no_match "$output" all-started "output"
}

test_absolute_cgroups_path ()
{
  need_controller pids
  new_bundle /bin/sleep 600
  cfg '.linux.cgroupsPath = $p' --arg p "/$ID-abs"
  start_ctr
  local pid
  pid=$(ctr_pid "$ID")
  if [ "$MODE" = v1 ]; then
    assert_eq "$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")" "/$ID-abs" "pids cgroup"
    assert_eq "$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup")" "/$ID-abs" "memory cgroup"
  else
    assert_eq "$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")" "/$ID-abs" "cgroup"
  fi
}

test_relative_cgroups_path ()
{
  need_controller pids
  new_bundle /bin/sleep 600
  cfg '.linux.cgroupsPath = $p' --arg p "$ID-rel/leaf"
  start_ctr
  local pid
  pid=$(ctr_pid "$ID")
  if [ "$MODE" = v1 ]; then
    assert_match "$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")" "/$ID-rel/leaf$" "pids cgroup"
  else
    assert_match "$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")" "/$ID-rel/leaf$" "cgroup"
  fi
  t_run rt delete --force "$ID"
  assert_success
  rmdir_cgroups "$ID-rel"
}

test_device_rules ()
{
  new_bundle
  # CAP_MKNOD so that only the device rules can refuse the node.
  local caps='["CAP_MKNOD", "CAP_DAC_OVERRIDE"]'
  cfg '.process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c}
       | .linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]' \
    --argjson c "$caps"
  # b 7:0 (loop0) is in no allow list: creating it (where the runtime's
  # defaults allow mknod) or else opening it must be refused.
  in_ctr 'echo x >/dev/null && echo null-ok
    if mknod /dev/mrtblk b 7 0 2>/dev/null; then
      if head -c 1 /dev/mrtblk >/dev/null 2>/tmp/err; then echo opened; else cat /tmp/err; fi
    else
      echo mknod-denied
    fi'
  assert_eq "$(head -n 1 <<<"$out")" null-ok "/dev/null"
  assert_match "$(tail -n 1 <<<"$out")" "(mknod-denied|Operation not permitted)" "block device 7:0"
}

test_device_rule_allows_access ()
{
  new_bundle
  local caps='["CAP_MKNOD", "CAP_DAC_OVERRIDE"]'
  # c 1:3 under another name is allowed by its major:minor, not its path
  cfg '.process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c}
       | .linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "m"}]' \
    --argjson c "$caps"
  in_ctr 'mknod /tmp/mynull c 1 3 && echo x >/tmp/mynull && echo mynull-ok'
  assert_eq "$out" mynull-ok "a node made for c 1:3"
}

test_update_memory_and_pids ()
{
  need_controller memory
  need_controller pids
  running_with '{"memory": {"limit": 67108864}, "pids": {"limit": 20}}'
  t_run rt update --memory 134217728 "$ID"
  assert_success
  expect_file "$PID" memory.limit_in_bytes 134217728 memory.max 134217728
  t_run rt update --pids-limit 30 "$ID"
  assert_success
  assert_eq "$(cg_file "$PID" pids.max)" 30 pids.max
}

test_update_memory_with_unit ()
{
  need_controller memory
  running_with '{"memory": {"limit": 67108864}}'
  t_run rt update --memory 96M "$ID"
  assert_success
  expect_file "$PID" memory.limit_in_bytes 100663296 memory.max 100663296
}

test_update_cpu ()
{
  need_controller cpu
  running_with '{"cpu": {"quota": 50000, "period": 100000}}'
  t_run rt update --cpu-quota 20000 --cpu-period 50000 "$ID"
  assert_success
  if [ "$MODE" = v1 ]; then
    assert_eq "$(cg_file "$PID" cpu.cfs_quota_us)" 20000 cpu.cfs_quota_us
    assert_eq "$(cg_file "$PID" cpu.cfs_period_us)" 50000 cpu.cfs_period_us
  else
    assert_eq "$(cg_file "$PID" cpu.max)" "20000 50000" cpu.max
  fi
}

test_update_resources_file ()
{
  need_controller pids
  need_controller memory
  running_with '{"pids": {"limit": 20}, "memory": {"limit": 67108864}}'
  echo '{"pids": {"limit": 40}, "memory": {"limit": 83886080}}' >"$T_DIR/res-$ID.json"
  t_run rt update --resources "$T_DIR/res-$ID.json" "$ID"
  assert_success
  assert_eq "$(cg_file "$PID" pids.max)" 40 pids.max
  expect_file "$PID" memory.limit_in_bytes 83886080 memory.max 83886080
  # and from stdin
  echo '{"pids": {"limit": 50}}' >"$T_DIR/res2-$ID.json"
  rt update -r - "$ID" <"$T_DIR/res2-$ID.json" >&2
  assert_eq "$(cg_file "$PID" pids.max)" 50 "pids.max after update -r -"
}

test_update_of_stopped_container_fails ()
{
  new_bundle /bin/true
  start_ctr
  wait_status "$ID" stopped
  t_run rt update --pids-limit 30 "$ID"
  assert_failure
}

# The container's cgroup directories, one per line.
cgroup_dirs ()
{
  local c
  if [ "$MODE" = v2 ]; then
    cg_path "$1"
    return
  fi
  for c in memory pids cpu cpuset devices freezer blkio; do
    have_v1 "$c" && cg_path "$1" "$c"
  done
}

test_delete_removes_cgroups ()
{
  new_bundle /bin/sleep 600
  cfg '.linux.resources += {"pids": {"limit": 20}, "memory": {"limit": 67108864}}'
  start_ctr
  local dirs d
  dirs=$(cgroup_dirs "$(ctr_pid "$ID")")
  [ -n "$dirs" ] || fail "no cgroup found"
  for d in $dirs; do [ -d "$d" ] || fail "$d is not there while running"; done
  t_run rt delete --force "$ID"
  assert_success
  for d in $dirs; do [ ! -e "$d" ] || fail "$d left after delete"; done
}

test_delete_removes_nested_cgroups ()
{
  new_bundle /bin/sleep 600
  cfg '.linux.cgroupsPath = $p' --arg p "/$ID-a/b/c"
  start_ctr
  local dirs d
  dirs=$(cgroup_dirs "$(ctr_pid "$ID")")
  t_run rt delete --force "$ID"
  assert_success
  for d in $dirs; do [ ! -e "$d" ] || fail "$d left after delete"; done
  # the runtime made the parents, which may stay; empty, they can go
  rmdir_cgroups "$ID-a"
}

test_unenforceable_limit_is_an_error ()
{
  if [ "$MODE" = v1 ]; then
    ! have_v1 hugetlb || skip "this host has the hugetlb controller"
  else
    ! grep -qw hugetlb /sys/fs/cgroup/cgroup.controllers || skip "this host has the hugetlb controller"
  fi
  new_bundle
  cfg '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]'
  t_run rt run --bundle "$B" "$ID"
  assert_failure
  if [ "$RT_NAME" = minirun ]; then
    assert_contains "$err" hugetlb "error message"
  fi
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

echo "# cgroup mode: $MODE"
t_ok "memory limit and reservation are in the cgroup files" test_memory_limit_and_reservation
t_ok "cpu shares are in the cgroup files" test_cpu_shares
t_ok "cpu quota and period are in the cgroup files" test_cpu_quota_and_period
t_ok "cpuset cpus and mems are in the cgroup files" test_cpuset
t_ok "pids limit is in the cgroup files" test_pids_limit
t_ok "a pids limit stops forks" test_pids_limit_stops_forks
t_ok "an absolute cgroupsPath is used as is" test_absolute_cgroups_path
t_ok "a relative cgroupsPath is used below the runtime's cgroup" test_relative_cgroups_path
t_ok "deny-all plus allow c 1:3: /dev/null works, a block device is refused" test_device_rules
t_ok "a device rule allows its major:minor under any path" test_device_rule_allows_access
t_ok "update --memory and --pids-limit change the files" test_update_memory_and_pids
t_ok "update --memory accepts a unit" test_update_memory_with_unit
t_ok "update --cpu-quota and --cpu-period change the files" test_update_cpu
t_ok "update --resources FILE and -r - change the files" test_update_resources_file
t_ok "update of a stopped container fails" test_update_of_stopped_container_fails
t_ok "delete removes the cgroup directories" test_delete_removes_cgroups
t_ok "delete removes a nested cgroupsPath" test_delete_removes_nested_cgroups
t_ok "a limit the host cannot enforce is an error" test_unenforceable_limit_is_an_error
t_done
