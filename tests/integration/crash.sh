#!/bin/bash
# A runtime killed in the middle of create leaves nothing that
# `delete --force` cannot clean: no mount, no cgroup, no state directory, no
# process.
. "$(dirname "$0")/lib.sh"

# crash_during HOOK-KIND: creates a container whose HOOK-KIND hook records
# its pid and blocks, SIGKILLs the runtime while the hook runs, then runs
# delete --force and checks that nothing is left.  A createContainer hook
# may run in the container's pid namespace, where $$ means nothing to the
# host: the hook takes its host pid from the host's /proc (still mounted
# there before pivot_root), as the parent of `cut`.
crash_during ()
{
  local kind=$1
  minirun_only "runc and crun leave the cgroup and init process of a create they did not finish"
  new_bundle /bin/sleep 600
  # an absolute cgroupsPath, so that the test knows where to look
  cfg '.linux.cgroupsPath = $cg
       | .linux.resources.pids = {"limit": 100}
       | .hooks[$k] = [{"path": "/bin/sh", "args": ["sh", "-c", "cut -d\\  -f4 /proc/self/stat > \($f); exec sleep 300"]}]' \
    --arg cg "/$ID" --arg k "$kind" --arg f "$T_DIR/$ID.hookpid"
  "$MINIRUN" --root "$T_ROOT" create --bundle "$B" "$ID" </dev/null >"$T_DIR/$ID.out" 2>&1 &
  local rtpid=$!
  defer kill_if "$rtpid" create
  wait_for 10 test -s "$T_DIR/$ID.hookpid"
  local hookpid
  hookpid=$(cat "$T_DIR/$ID.hookpid")
  defer kill_if "$hookpid" "sleep 300"
  # what exists while the runtime is stopped mid-create
  local cgdirs
  cgdirs=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$ID" 2>/dev/null)
  local init_pids=""
  local d
  for d in $cgdirs; do
    init_pids="$init_pids $(cat "$d/cgroup.procs" 2>/dev/null)"
  done
  echo "cgroups while blocked: $cgdirs; processes in them: $init_pids" >&2

  kill -KILL "$rtpid"
  wait "$rtpid" 2>/dev/null || true
  # The hook is a child of the runtime; with the runtime gone it is ours.
  kill_if "$hookpid" "sleep 300"

  # The state directory exists from the start of create, so delete finds
  # the container.
  t_run rt delete --force "$ID"
  assert_success
  local p
  for p in $init_pids; do
    wait_for 5 pid_gone "$p"
  done
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left: $(ls -A "$T_ROOT/$ID")"
  local left
  left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$ID" 2>/dev/null)
  [ -z "$left" ] || fail "cgroups left: $left"
  left=$(grep -F "$B" /proc/self/mountinfo || true)
  [ -z "$left" ] || fail "mounts left: $left"
  t_run rt list -q
  assert_no_match "$out" "^$ID\$" "list"
}

test_crash_during_create_runtime ()
{
  crash_during createRuntime
}

test_crash_during_prestart ()
{
  crash_during prestart
}

test_crash_during_create_container ()
{
  crash_during createContainer
}

test_delete_force_of_unknown_id_is_harmless ()
{
  new_id
  t_run rt delete --force "$ID"
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory created"
}

t_ok "SIGKILL of the runtime during a createRuntime hook, then delete --force" test_crash_during_create_runtime
t_ok "SIGKILL of the runtime during a prestart hook, then delete --force" test_crash_during_prestart
t_ok "SIGKILL of the runtime during a createContainer hook, then delete --force" test_crash_during_create_container
t_ok "delete --force of an unknown id creates nothing" test_delete_force_of_unknown_id_is_harmless
t_done
