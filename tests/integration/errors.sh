#!/bin/bash
# Verbs used in the wrong state and bad input fail, say why, and change
# nothing: no state directory, no cgroup, no process is left behind.
. "$(dirname "$0")/lib.sh"

# Cgroup directories named after container ID (as runtimes name them by
# default: "ID", "PREFIX-ID", "PREFIX-ID.scope").
cgroups_of ()
{
  local mnt
  for mnt in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts); do
    find "$mnt" -maxdepth 8 -type d \( -name "$1" -o -name "*[-_:]$1" -o -name "*[-_:]$1.scope" \) 2>/dev/null
  done
}

# assert_no_trace ID: nothing of container ID exists.
assert_no_trace ()
{
  [ ! -e "$T_ROOT/$1" ] || fail "state directory $T_ROOT/$1 exists"
  local cgs
  cgs=$(cgroups_of "$1")
  [ -z "$cgs" ] || fail "cgroups left: $cgs"
  [ -z "$(t_container_ids)" ] || fail "containers in the root: $(t_container_ids)"
}

# The message names the container (runc's messages do not, minirun's do).
assert_names_id ()
{
  if [ "$RT_NAME" = minirun ]; then
    assert_contains "$err" "$1" "error message"
  fi
}

test_start_twice_fails ()
{
  new_bundle /bin/sleep 600
  create_ctr
  local pid
  pid=$(ctr_pid "$ID")
  t_run rt start "$ID"
  assert_success
  t_run rt start "$ID"
  assert_failure
  assert_names_id "$ID"
  assert_eq "$(ctr_status "$ID")" running status
  assert_eq "$(ctr_pid "$ID")" "$pid" pid
}

test_start_of_stopped_container_fails ()
{
  new_bundle /bin/true
  start_ctr
  wait_status "$ID" stopped
  t_run rt start "$ID"
  assert_failure
  assert_names_id "$ID"
  assert_eq "$(ctr_status "$ID")" stopped status
}

test_delete_running_without_force_fails ()
{
  new_bundle /bin/sleep 600
  start_ctr
  local pid
  pid=$(ctr_pid "$ID")
  t_run rt delete "$ID"
  assert_failure
  assert_names_id "$ID"
  assert_eq "$(ctr_status "$ID")" running status
  pid_alive "$pid" || fail "the container's process died"
  [ -d "$T_ROOT/$ID" ] || fail "state directory removed"
}

test_delete_created_without_force_is_all_or_nothing ()
{
  # OCI says delete of a container that is not stopped fails; runc deletes a
  # created one anyway.  Either is fine; half of each is not.
  new_bundle /bin/sleep 600
  create_ctr
  local pid
  pid=$(ctr_pid "$ID")
  t_run rt delete "$ID"
  if [ "$status" = 0 ]; then
    wait_for 5 pid_gone "$pid"
    assert_no_trace "$ID"
  else
    assert_eq "$(ctr_status "$ID")" created status
    pid_alive "$pid" || fail "the refused delete killed the init process"
  fi
}

test_kill_stopped_container_fails ()
{
  new_bundle /bin/true
  start_ctr
  wait_status "$ID" stopped
  t_run rt kill "$ID" KILL
  assert_failure
  assert_names_id "$ID"
  assert_eq "$(ctr_status "$ID")" stopped status
}

test_resume_of_running_container_fails ()
{
  new_bundle /bin/sleep 600
  start_ctr
  t_run rt resume "$ID"
  assert_failure
  assert_eq "$(ctr_status "$ID")" running status
}

test_pause_of_stopped_container_fails ()
{
  new_bundle /bin/true
  start_ctr
  wait_status "$ID" stopped
  t_run rt pause "$ID"
  assert_failure
  assert_eq "$(ctr_status "$ID")" stopped status
}

test_create_with_existing_id_fails ()
{
  new_bundle /bin/sleep 600
  create_ctr
  local pid first=$B state
  pid=$(ctr_pid "$ID")
  state=$(ctr_state "$ID")
  mkbundle "$T_DIR/other"
  B=$T_DIR/other
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_names_id "$ID"
  assert_eq "$(ctr_pid "$ID")" "$pid" "pid of the existing container"
  assert_eq "$(ctr_state "$ID" | jq -r .bundle)" "$first" "bundle of the existing container"
  assert_eq "$(ctr_status "$ID")" created status
  # and run refuses it too, without touching the existing one
  t_run rt run --bundle "$B" "$ID"
  assert_failure
  assert_eq "$(ctr_state "$ID")" "$state" "state after a refused run"
}

# try_bad_id ID: create and run with ID fail and create nothing, neither in
# the root nor next to it (where "../x" would land).
try_bad_id ()
{
  local bad=$1
  t_run rt create --bundle "$B" -- "$bad"
  assert_failure
  t_run rt run --bundle "$B" -- "$bad"
  assert_failure
  # data/ holds the persistent records (the event log of earlier tests)
  [ -z "$(ls -A "$T_ROOT" 2>/dev/null | grep -vx data)" ] ||
    fail "created in the root for '$bad': $(ls -A "$T_ROOT")"
  [ ! -e "$T_DIR/x" ] || fail "created $T_DIR/x for '$bad'"
}

test_invalid_ids_are_rejected ()
{
  new_bundle /bin/true
  local bad
  for bad in "../x" "a/b" "" "." ".." "$(printf 'a%.0s' $(seq 300))"; do
    try_bad_id "$bad"
  done
}

test_ids_outside_the_minirun_grammar_are_rejected ()
{
  minirun_only "runc accepts a leading '-' and ids up to 255 bytes"
  new_bundle /bin/true
  local bad
  for bad in "-x" "_x" ".x" "a b" "a:b" "$(printf 'a%.0s' $(seq 129))"; do
    try_bad_id "$bad"
  done
  # the longest valid id works
  t_run rt run --bundle "$B" "$(printf 'b%.0s' $(seq 128))"
  assert_success
}

test_missing_bundle_fails ()
{
  new_id
  t_run rt create --bundle "$T_DIR/no-such-bundle" "$ID"
  assert_failure
  assert_no_trace "$ID"
  t_run rt run --bundle "$T_DIR/no-such-bundle" "$ID"
  assert_failure
  assert_no_trace "$ID"
}

test_missing_config_fails ()
{
  new_bundle
  rm "$B/config.json"
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_contains "$err" config.json "error message"
  assert_no_trace "$ID"
}

test_malformed_config_fails ()
{
  new_bundle
  echo '{"ociVersion": "1.0.2", "process": ' >"$B/config.json"
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_no_trace "$ID"
}

test_missing_rootfs_fails ()
{
  new_bundle
  rm -rf "$B/rootfs"
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_no_trace "$ID"
}

test_missing_executable_fails ()
{
  new_bundle /no/such/binary
  t_run rt run --bundle "$B" "$ID"
  assert_failure
  assert_contains "$err" /no/such/binary "error message"
  assert_no_trace "$ID"
}

test_invalid_oci_version_fails ()
{
  minirun_only "runc does not check ociVersion"
  new_bundle
  cfg '.ociVersion = "banana"'
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_contains "$err" ociVersion "error message"
  assert_no_trace "$ID"
}

test_unknown_rlimit_fails ()
{
  new_bundle
  cfg '.process.rlimits = [{"type": "RLIMIT_BANANA", "hard": 1, "soft": 1}]'
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_contains "$err" RLIMIT_BANANA "error message"
  assert_no_trace "$ID"
}

test_verbs_on_unknown_id_fail ()
{
  new_id
  local verb
  for verb in state start delete pause resume ps; do
    t_run rt "$verb" "$ID"
    assert_failure
    assert_names_id "$ID"
  done
  t_run rt kill "$ID" KILL
  assert_failure
  assert_names_id "$ID"
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory created"
}

test_unknown_verb_fails ()
{
  t_run rt no-such-verb
  assert_failure
}

test_unknown_flag_fails ()
{
  new_bundle /bin/true
  t_run rt create --no-such-flag --bundle "$B" "$ID"
  assert_failure
  assert_no_trace "$ID"
}

t_ok "start twice fails and leaves the container running" test_start_twice_fails
t_ok "start of a stopped container fails" test_start_of_stopped_container_fails
t_ok "delete of a running container without --force fails" test_delete_running_without_force_fails
t_ok "delete of a created container without --force refuses or removes it whole" test_delete_created_without_force_is_all_or_nothing
t_ok "kill of a stopped container fails" test_kill_stopped_container_fails
t_ok "resume of a running container fails" test_resume_of_running_container_fails
t_ok "pause of a stopped container fails" test_pause_of_stopped_container_fails
t_ok "create with an existing id fails and changes nothing" test_create_with_existing_id_fails
t_ok "invalid ids are rejected before they touch the root" test_invalid_ids_are_rejected
t_ok "ids outside [A-Za-z0-9][A-Za-z0-9_.-]{0,127} are rejected" test_ids_outside_the_minirun_grammar_are_rejected
t_ok "a missing bundle fails" test_missing_bundle_fails
t_ok "a bundle without config.json fails" test_missing_config_fails
t_ok "a malformed config.json fails" test_malformed_config_fails
t_ok "a missing rootfs fails" test_missing_rootfs_fails
t_ok "a missing executable fails and names it" test_missing_executable_fails
t_ok "an invalid ociVersion fails and names the field" test_invalid_oci_version_fails
t_ok "an unknown rlimit fails and names it" test_unknown_rlimit_fails
t_ok "verbs on an unknown id fail" test_verbs_on_unknown_id_fail
t_ok "an unknown verb fails" test_unknown_verb_fails
t_ok "an unknown flag fails" test_unknown_flag_fails
t_done
