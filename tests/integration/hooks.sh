#!/bin/bash
# OCI hooks: each kind runs at its point of the lifecycle with the state on
# stdin; a failing or hanging hook has the effect the spec gives it.
. "$(dirname "$0")/lib.sh"

# hook OUT-FILE [EXTRA-SHELL]: a hook (host /bin/sh) that saves its stdin to
# OUT-FILE and logs its name in the order file.
hook ()
{
  jq -n --arg f "$1" --arg o "$HK/order" --arg x "${2:-}" \
    '{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($f); echo \($f | split("/") | last) >> \($o); \($x)"]}'
}

# A bundle with every kind of hook; HK is the host directory they write to,
# bind-mounted at /hk for startContainer, which runs inside the container.
bundle_with_all_hooks ()
{
  new_bundle /bin/sleep 600
  HK=$T_DIR/hooks-$ID
  mkdir -p "$HK"
  local sc
  sc=$(jq -n '{"path": "/bin/sh", "args": ["sh", "-c", "cat > /hk/startContainer; echo startContainer >> /hk/order"]}')
  cfg '.hooks = {
         "prestart": [$pre], "createRuntime": [$cr], "createContainer": [$cc],
         "startContainer": [$sc], "poststart": [$ps], "poststop": [$pst]}
       | .mounts += [{"destination": "/hk", "type": "bind", "source": $hk, "options": ["rbind", "rw"]}]' \
    --argjson pre "$(hook "$HK/prestart")" \
    --argjson cr "$(hook "$HK/createRuntime")" \
    --argjson cc "$(hook "$HK/createContainer" "readlink /proc/self/ns/mnt > $HK/createContainer.mnt")" \
    --argjson sc "$sc" \
    --argjson ps "$(hook "$HK/poststart")" \
    --argjson pst "$(hook "$HK/poststop")" \
    --arg hk "$HK"
}

# check_state HOOK STATUS-ERE PID|any|none
check_state ()
{
  local f=$HK/$1
  [ -s "$f" ] || fail "$1 did not run (or got no state)"
  jq -e . "$f" >/dev/null || fail "$1 got no JSON: $(cat "$f")"
  assert_eq "$(jq -r .id "$f")" "$ID" "$1: id"
  assert_eq "$(jq -r .bundle "$f")" "$B" "$1: bundle"
  assert_match "$(jq -r .status "$f")" "^($2)$" "$1: status"
  assert_match "$(jq -r .ociVersion "$f")" '^1\.' "$1: ociVersion"
  case $3 in
    any) [ "$(jq -r '.pid // 0' "$f")" -gt 0 ] || fail "$1: pid $(jq -r .pid "$f")" ;;
    none) assert_match "$(jq -r '.pid // 0' "$f")" '^0$' "$1: pid" ;;
    *) assert_eq "$(jq -r .pid "$f")" "$3" "$1: pid" ;;
  esac
}

test_every_hook_runs_with_the_state ()
{
  bundle_with_all_hooks
  create_ctr --pid-file "$T_DIR/$ID.pid"
  local pid
  pid=$(cat "$T_DIR/$ID.pid")
  check_state prestart 'creating|created' "$pid"
  check_state createRuntime 'creating|created' "$pid"
  # runc gives the pid inside the container's pid namespace here
  check_state createContainer 'creating|created' any
  [ ! -e "$HK/startContainer" ] || fail "startContainer ran at create"
  # runc 1.1 runs poststart hooks at create, which later runc fixed
  if [ "$RT_NAME" != runc ]; then
    [ ! -e "$HK/poststart" ] || fail "poststart ran at create"
  fi
  assert_ne "$(cat "$HK/createContainer.mnt")" "$(readlink /proc/$$/ns/mnt)" "createContainer's mount namespace"

  t_run rt start "$ID"
  assert_success
  wait_for 5 test -s "$HK/poststart"
  check_state startContainer 'created|running' any
  check_state poststart 'created|running' "$pid"
  [ ! -e "$HK/poststop" ] || fail "poststop ran before the container stopped"

  t_run rt kill "$ID" KILL
  assert_success
  wait_status "$ID" stopped
  t_run rt delete "$ID"
  assert_success
  wait_for 5 test -s "$HK/poststop"
  check_state poststop stopped none

  # prestart and createRuntime (either order) come before createContainer
  local order="createContainer startContainer poststart poststop "
  [ "$RT_NAME" != runc ] || order="createContainer poststart startContainer poststop "
  assert_eq "$(sed -n '3,$p' "$HK/order" | tr '\n' ' ')" "$order" "order of the hooks"
  assert_eq "$(head -n 2 "$HK/order" | sort | tr '\n' ' ')" "createRuntime prestart " "first hooks"
}

test_hook_gets_args_and_env ()
{
  new_bundle /bin/true
  # the environment is exactly the hook's env
  cfg '.hooks.prestart = [{"path": "/bin/sh", "args": ["hookname", "-c", "echo \"$0 $1\" > \($f); tr \"\\\\0\" \"\\\\n\" </proc/$$/environ >> \($f)", "a0", "a1"], "env": ["HOOKVAR=from-env"]}]' \
    --arg f "$T_DIR/$ID.args"
  run_ctr
  assert_success
  assert_eq "$(cat "$T_DIR/$ID.args")" $'a0 a1\nHOOKVAR=from-env' "arguments and environment of the hook"
}

# assert_container_gone: container $ID left nothing behind.
assert_container_gone ()
{
  t_run rt state "$ID"
  assert_failure
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
  [ -z "$(t_container_ids)" ] || fail "containers left: $(t_container_ids)"
  [ -z "$(t_tagged_cgroups | grep -- "$ID\$")" ] || fail "cgroups left: $(t_tagged_cgroups)"
}

test_failing_prestart_fails_create ()
{
  new_bundle /bin/sleep 600
  cfg '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]'
  t_run rt create --pid-file "$T_DIR/$ID.pid" --bundle "$B" "$ID"
  assert_failure
  assert_container_gone
  if [ -s "$T_DIR/$ID.pid" ]; then
    wait_for 5 pid_gone "$(cat "$T_DIR/$ID.pid")"
  fi
}

test_failing_create_runtime_fails_run ()
{
  new_bundle /bin/echo should-not-run
  cfg '.hooks.createRuntime = [{"path": "/bin/false"}]'
  t_run rt run --bundle "$B" "$ID"
  assert_failure
  assert_no_match "$out" should-not-run stdout
  assert_container_gone
}

test_failing_start_container_fails_start ()
{
  minirun_only "runc starts the program anyway"
  new_bundle /bin/echo should-not-run
  cfg '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 4"]}]'
  create_ctr
  t_run rt start "$ID"
  assert_failure
  assert_contains "$err" "startContainer hook" "error message"
  assert_no_match "$out" should-not-run stdout
  wait_status "$ID" stopped
  t_run rt delete "$ID"
  assert_success
  new_bundle /bin/echo should-not-run
  cfg '.hooks.startContainer = [{"path": "/bin/false"}]'
  t_run rt run --bundle "$B" "$ID"
  assert_failure
  assert_contains "$err" "startContainer hook" "error message of run"
  assert_no_match "$out" should-not-run "stdout of run"
  assert_container_gone
}

test_missing_hook_binary_fails_create ()
{
  new_bundle /bin/true
  cfg '.hooks.createRuntime = [{"path": "/no/such/hook"}]'
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_container_gone
}

test_failing_poststart_only_warns ()
{
  minirun_only "runc kills the container when a poststart hook fails"
  new_bundle /bin/sleep 600
  cfg '.hooks.poststart = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 1"]}, {"path": "/bin/sh", "args": ["sh", "-c", "echo ran > \($f)"]}]' \
    --arg f "$T_DIR/$ID.second"
  create_ctr
  t_run rt start "$ID"
  assert_success
  assert_match "$err" "[Ww]arn|poststart" "the warning"
  assert_eq "$(ctr_status "$ID")" running status
  wait_for 5 test -s "$T_DIR/$ID.second"
}

test_failing_poststop_does_not_block_delete ()
{
  new_bundle /bin/true
  cfg '.hooks.poststop = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 1"]}]'
  start_ctr
  wait_status "$ID" stopped
  t_run rt delete "$ID"
  assert_success
  assert_container_gone
}

test_hook_timeout_kills_the_hook ()
{
  new_bundle /bin/sleep 600
  cfg '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "echo $$ > \($f); exec sleep 300"], "timeout": 1}]' \
    --arg f "$T_DIR/$ID.hookpid"
  local t0=$SECONDS
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  [ $((SECONDS - t0)) -lt 20 ] || fail "create took $((SECONDS - t0))s with a 1s hook timeout"
  [ -s "$T_DIR/$ID.hookpid" ] || fail "the hook did not start"
  local hpid
  hpid=$(cat "$T_DIR/$ID.hookpid")
  # the hook is ours to clean if the runtime left it
  defer kill_if "$hpid" "sleep 300"
  wait_for 5 pid_gone "$hpid"
  assert_container_gone
}

# As runc: a hook without "env" gets the runtime's environment and runs in
# the bundle directory; createContainer runs from the rootfs with the
# container process's environment.
test_hooks_without_env_get_the_runtimes_environment_and_dir ()
{
  new_bundle /bin/true
  local d=$T_DIR/hookenv-$ID kind probe
  mkdir -p "$d"
  probe='echo "$(pwd) ${RUNTIME_SIDE:-none} ${FROM_PROCESS:-none}" > '
  cfg '.process.env += ["FROM_PROCESS=yes"]
       | .hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", ($p + $d + "/prestart")]}],
                   "createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", ($p + $d + "/createRuntime")]}],
                   "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", ($p + $d + "/createContainer")]}],
                   "poststart": [{"path": "/bin/sh", "args": ["sh", "-c", ($p + $d + "/poststart")]}],
                   "poststop": [{"path": "/bin/sh", "args": ["sh", "-c", ($p + $d + "/poststop")]}]}' \
    --arg p "$probe" --arg d "$d"
  (cd / && RUNTIME_SIDE=yes rt run --bundle "$B" "$ID" >/dev/null)
  RUNTIME_SIDE=yes rt delete "$ID" >/dev/null 2>&1 || true
  for kind in prestart createRuntime poststart poststop; do
    [ -s "$d/$kind" ] || fail "$kind did not run"
    assert_eq "$(cat "$d/$kind")" "$B yes none" "$kind: directory, runtime env, process env"
  done
  assert_eq "$(cat "$d/createContainer")" "$B/rootfs none yes" "createContainer"
}

t_ok "every kind of hook runs, in order, with the state on stdin" test_every_hook_runs_with_the_state
t_ok "a hook gets its args and env" test_hook_gets_args_and_env
t_ok "hooks without env get the runtime's environment and the bundle directory" test_hooks_without_env_get_the_runtimes_environment_and_dir
t_ok "a failing prestart hook fails create and leaves no container" test_failing_prestart_fails_create
t_ok "a failing createRuntime hook fails run and leaves no container" test_failing_create_runtime_fails_run
t_ok "a failing startContainer hook fails start and run with its message" test_failing_start_container_fails_start
t_ok "a missing hook binary fails create and leaves no container" test_missing_hook_binary_fails_create
t_ok "a failing poststart hook only warns" test_failing_poststart_only_warns
t_ok "a failing poststop hook does not block delete" test_failing_poststop_does_not_block_delete
t_ok "a hook that outlives its timeout is killed and fails create" test_hook_timeout_kills_the_hook
t_done
