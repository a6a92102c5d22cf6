#!/bin/bash
# The cgroup v2 backend on a real cgroup2 hierarchy: the probe, the
# container's cgroup (born in it, exec joins it, delete removes it), the v2
# freezer, cgroup.kill, the eBPF device filter and its replacement by
# update, and a limit whose controller the hierarchy lacks.
#
# On a hybrid host (v1 controllers, plus a cgroup2 mount at
# /sys/fs/cgroup/unified) the script runs itself again in a private mount
# namespace with the cgroup2 hierarchy mounted over /sys/fs/cgroup, where
# the runtime's probe sees a unified host.  No controller is available
# there (the v1 hierarchies hold them all), but the core files and device
# programs are.  On a unified host the tests run as they are.

# The mount namespace the script was started in, for the copy of the script
# that runs in the private one: it must never mount over the host's view.
MINIRUN_CGV2_OUTER_NS=${MINIRUN_CGV2_OUTER_NS:-}
if [ "$(id -u)" = 0 ] && [ -z "$MINIRUN_CGV2_OUTER_NS" ] &&
  [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] &&
  [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
  command -v unshare >/dev/null 2>&1 &&
  unshare --mount --propagation private true 2>/dev/null; then
  MINIRUN_CGV2_OUTER_NS=$(readlink /proc/self/ns/mnt)
  export MINIRUN_CGV2_OUTER_NS
  exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
fi

. "$(dirname "$0")/lib.sh"

if [ -n "$MINIRUN_CGV2_OUTER_NS" ]; then
  if [ "$(readlink /proc/self/ns/mnt)" = "$MINIRUN_CGV2_OUTER_NS" ]; then
    t_skip_all "MINIRUN_CGV2_OUTER_NS is set but this is not a private mount namespace"
  fi
  mount -t cgroup2 cgroup2 /sys/fs/cgroup ||
    t_skip_all "cannot mount the cgroup2 hierarchy over /sys/fs/cgroup in a private mount namespace"
  echo "# cgroup2 hierarchy of /sys/fs/cgroup/unified mounted over /sys/fs/cgroup in a private mount namespace"
elif [ "$(cg_mode)" != v2 ]; then
  if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" != cgroup2fs ]; then
    t_skip_all "not a cgroup v2 host and no cgroup2 hierarchy at /sys/fs/cgroup/unified"
  fi
  t_skip_all "cannot make a private mount namespace (unshare --mount) for the cgroup2 hierarchy"
fi
[ "$(cg_mode)" = v2 ] || t_skip_all "/sys/fs/cgroup is not a cgroup2 file system"

# This shell's cgroup (the runtime's too: it runs as our child), and the
# directory below it that holds minirun's containers by default.
V2_OWN=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
V2_PARENT=/sys/fs/cgroup${V2_OWN%/}/minirun

# The default parent may be shared with other containers: it goes only when
# this script made it and it is empty at the end.
remove_new_parent ()
{
  t_delete_all
  t_force_cleanup
  rmdir "$V2_PARENT"
}
[ -e "$V2_PARENT" ] || on_exit remove_new_parent

# v2_rel PID: the cgroup v2 path of PID ("0::PATH" in /proc/PID/cgroup).
v2_rel ()
{
  awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup"
}

# v2_dir PID: the directory of PID's cgroup.
v2_dir ()
{
  local rel
  rel=$(v2_rel "$1")
  [ -n "$rel" ] || {
    fail "no cgroup v2 entry for pid $1"
    return 1
  }
  echo "/sys/fs/cgroup${rel%/}"
}

# The cgroup v1 lines of /proc/PID/cgroup: hierarchies the v2 backend must
# leave alone.
v1_lines ()
{
  grep -v '^0::' "/proc/$1/cgroup" || true
}

sorted_procs ()
{
  sort -n "$1/cgroup.procs" | tr '\n' ' '
}

# The cgroup directories, anywhere in the hierarchy, named after the
# container $1.
cgroups_named ()
{
  t_tagged_cgroups | grep -E "/$1\$" || true
}

# For device tests: a process that may mknod, so that only the device
# filter decides whether a node can be opened.
with_mknod ()
{
  cfg '.process.capabilities |= (.bounding += ["CAP_MKNOD"] | .effective += ["CAP_MKNOD"] | .permitted += ["CAP_MKNOD"])
       | .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
}

# running_sleep [CMD...]: a started container running sleep, its config
# edited by CMD first; sets PID and DIR.
running_sleep ()
{
  new_bundle /bin/sleep 600
  [ $# = 0 ] || "$@"
  start_ctr
  PID=$(ctr_pid "$ID")
  DIR=$(v2_dir "$PID")
}

# exec_detached: a second process (sleep) in $ID; sets PID2.
exec_detached ()
{
  t_run rt exec -d --pid-file "$T_DIR/$ID.exec.pid" "$ID" /bin/sleep 500
  assert_success
  PID2=$(cat "$T_DIR/$ID.exec.pid")
  if [ -z "$PID2" ] || [ "$PID2" = "$PID" ]; then
    fail "no pid of its own for the exec'd process: '$PID2'"
  fi
  defer kill_if "$PID2" "sleep 500"
}

test_probe_picks_v2 ()
{
  new_bundle
  cfg '.linux.namespaces += [{"type": "cgroup"}]'
  in_ctr 'grep "^0::" /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mounts | cut -d" " -f3'
  # The cgroup namespace is rooted at the container's cgroup, and the
  # cgroup mount of the config is the cgroup2 file system.
  assert_eq "$(sed -n 1p <<<"$out")" "0::/" "/proc/self/cgroup in the container"
  assert_eq "$(sed -n 2p <<<"$out")" cgroup2 "file system at /sys/fs/cgroup in the container"
}

test_create_puts_init_in_its_cgroup ()
{
  new_bundle /bin/sleep 600
  create_ctr
  assert_eq "$(ctr_status "$ID")" created "status after create"
  local pid dir rel
  pid=$(ctr_pid "$ID")
  rel=$(v2_rel "$pid")
  if [ "$RT_NAME" = minirun ]; then
    assert_match "$rel" "^${V2_OWN%/}/minirun-[0-9a-f]{8}-$ID\$" "cgroup of the container's init"
  else
    assert_ne "$rel" "$V2_OWN" "cgroup of the container's init"
  fi
  dir=$(v2_dir "$pid")
  [ -d "$dir" ] || fail "$dir is not a directory"
  # Before start: the process the user's command will replace is there
  # already, and alone.
  assert_eq "$(sorted_procs "$dir")" "$pid " "cgroup.procs after create"
  assert_eq "$(v1_lines "$pid")" "$(v1_lines "$BASHPID")" "v1 cgroups of the init"
  t_run rt start "$ID"
  assert_success
  assert_eq "$(ctr_status "$ID")" running "status after start"
  assert_eq "$(ctr_pid "$ID")" "$pid" "pid after start"
  assert_eq "$(sorted_procs "$dir")" "$pid " "cgroup.procs after start"
}

test_pause_and_resume ()
{
  running_sleep
  t_run rt pause "$ID"
  assert_success
  assert_eq "$(cat "$DIR/cgroup.freeze")" 1 cgroup.freeze
  assert_eq "$(awk '$1 == "frozen" { print $2 }' "$DIR/cgroup.events")" 1 "frozen in cgroup.events"
  assert_eq "$(ctr_status "$ID")" paused "status after pause"
  t_run rt resume "$ID"
  assert_success
  assert_eq "$(cat "$DIR/cgroup.freeze")" 0 "cgroup.freeze after resume"
  assert_eq "$(awk '$1 == "frozen" { print $2 }' "$DIR/cgroup.events")" 0 "frozen in cgroup.events after resume"
  assert_eq "$(ctr_status "$ID")" running "status after resume"
}

test_exec_joins_the_cgroup ()
{
  running_sleep cfg '.linux.namespaces += [{"type": "cgroup"}]'
  t_run rt exec "$ID" grep "^0::" /proc/self/cgroup
  assert_success
  assert_eq "$out" "0::/" "/proc/self/cgroup of an exec'd process"
  exec_detached
  assert_eq "$(v2_rel "$PID2")" "$(v2_rel "$PID")" "cgroup of the exec'd process"
  assert_eq "$(v1_lines "$PID2")" "$(v1_lines "$BASHPID")" "v1 cgroups of the exec'd process"
  local both
  both=$(printf '%s\n' "$PID" "$PID2" | sort -n | tr '\n' ' ')
  assert_eq "$(sorted_procs "$DIR")" "$both" "cgroup.procs"
  t_run rt ps --format json "$ID"
  assert_success
  assert_eq "$(jq -r '.[]' <<<"$out" | sort -n | tr '\n' ' ')" "$both" "ps --format json"
}

test_kill_all ()
{
  running_sleep
  exec_detached
  t_run rt kill --all "$ID" KILL
  assert_success
  wait_for 10 pid_gone "$PID"
  wait_for 10 pid_gone "$PID2"
  wait_status "$ID" stopped
  assert_eq "$(cat "$DIR/cgroup.procs")" "" "cgroup.procs after kill --all"
  # a stopped container needs no --force
  t_run rt delete "$ID"
  assert_success
  [ ! -e "$DIR" ] || fail "$DIR left after delete"
}

test_delete_removes_the_cgroup ()
{
  running_sleep
  [ -d "$DIR" ] || fail "$DIR is not there while running"
  t_run rt delete --force "$ID"
  assert_success
  [ ! -e "$DIR" ] || fail "$DIR left after delete --force"
  assert_eq "$(cgroups_named "$ID")" "" "cgroups named $ID"
}

test_delete_force_of_paused ()
{
  running_sleep
  t_run rt pause "$ID"
  assert_success
  assert_eq "$(ctr_status "$ID")" paused "status after pause"
  t_run rt delete --force "$ID"
  assert_success
  wait_for 10 pid_gone "$PID"
  [ ! -e "$DIR" ] || fail "$DIR left after delete --force"
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

test_device_filter ()
{
  new_bundle
  with_mknod
  # The node may be made ("m" is allowed for all devices, as in runc), but
  # not opened; opening for writing is the check (nothing is written).
  in_ctr 'mknod /dev/kmsg2 c 1 11 && echo mknod-ok
    (: >/dev/kmsg2) 2>&1 && echo open-ok
    echo x >/dev/null && echo null-ok'
  assert_eq "$(sed -n 1p <<<"$out")" mknod-ok "mknod c 1:11"
  assert_match "$(sed -n 2p <<<"$out")" "Operation not permitted" "open of c 1:11 for writing"
  assert_eq "$(sed -n 3p <<<"$out")" null-ok "/dev/null"
}

test_update_replaces_the_device_filter ()
{
  running_sleep with_mknod
  t_run rt exec "$ID" sh -c 'mknod /dev/kmsg2 c 1 11 && mknod /dev/mrtloop b 7 0'
  assert_success
  t_run rt exec "$ID" sh -c '(: >/dev/kmsg2) 2>&1'
  assert_failure
  assert_match "$output" "Operation not permitted" "open of c 1:11 before update"
  # no rule for /dev/null: the runtime keeps the default devices itself
  echo '{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]}' >"$T_DIR/res-$ID.json"
  t_run rt update --resources "$T_DIR/res-$ID.json" "$ID"
  assert_success
  t_run rt exec "$ID" sh -c ': >/dev/kmsg2 && echo open-ok'
  assert_success
  assert_eq "$out" open-ok "open of c 1:11 for writing after update"
  t_run rt exec "$ID" sh -c 'echo x >/dev/null && echo null-ok'
  assert_success
  assert_eq "$out" null-ok "/dev/null after an update with device rules"
  # still a filter, not an open door
  t_run rt exec "$ID" sh -c '(: </dev/mrtloop) 2>&1'
  assert_failure
  assert_match "$output" "Operation not permitted" "open of b 7:0 after update"
}

test_memory_limit ()
{
  new_bundle /bin/sleep 600
  cfg '.linux.resources.memory = {"limit": 67108864}'
  if grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    start_ctr
    assert_eq "$(cat "$(v2_dir "$(ctr_pid "$ID")")/memory.max")" 67108864 memory.max
    return 0
  fi
  t_run rt run -d --bundle "$B" "$ID"
  assert_failure
  if [ "$RT_NAME" = minirun ]; then
    assert_match "$err" "memory controller" "error message"
  fi
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
  assert_eq "$(cgroups_named "$ID")" "" "cgroups named $ID"
}

test_update_memory_without_controller ()
{
  ! grep -qw memory /sys/fs/cgroup/cgroup.controllers || skip "this hierarchy has the memory controller"
  running_sleep
  t_run rt update --memory 67108864 "$ID"
  assert_failure
  if [ "$RT_NAME" = minirun ]; then
    assert_match "$err" "memory controller" "error message"
  fi
  assert_eq "$(ctr_status "$ID")" running "status after the failed update"
}

test_run_exit_status ()
{
  new_bundle /bin/sh -c 'grep -q "^0::/$" /proc/self/cgroup && exit 3'
  cfg '.linux.namespaces += [{"type": "cgroup"}]'
  run_ctr
  assert_status 3
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left after run"
  assert_eq "$(cgroups_named "$ID")" "" "cgroups named $ID after run"
}

echo "# cgroup v2 path of this shell: $V2_OWN; controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
t_ok "the probe picks cgroup v2: cgroup namespace and cgroup2 mount in the container" test_probe_picks_v2
t_ok "create puts the init alone in the container's cgroup; start keeps it there" test_create_puts_init_in_its_cgroup
t_ok "pause sets cgroup.freeze and the kernel reports frozen; resume thaws" test_pause_and_resume
t_ok "exec joins the container's cgroup; ps lists the pids of cgroup.procs" test_exec_joins_the_cgroup
t_ok "kill --all KILL kills every process of the cgroup" test_kill_all
t_ok "delete --force removes the cgroup directory" test_delete_removes_the_cgroup
t_ok "delete --force of a paused container" test_delete_force_of_paused
t_ok "eBPF device filter: deny-all refuses c 1:11, the default devices work" test_device_filter
t_ok "update --resources replaces the device filter" test_update_replaces_the_device_filter
t_ok "a memory limit needs the memory controller (or is in memory.max)" test_memory_limit
t_ok "update --memory without the memory controller fails, the container runs on" test_update_memory_without_controller
t_ok "run in the foreground returns the exit status and leaves no cgroup" test_run_exit_status
t_done
