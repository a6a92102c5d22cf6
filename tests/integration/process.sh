#!/bin/bash
# The container process as runc sets it up, for create and exec: seccomp for
# a non-root user, HOME, a missing cwd, capabilities, exec's own flags and
# errors, no leaked descriptors, the terminal, joined namespaces, and the
# runtime-spec 1.2 process fields.
. "$(dirname "$0")/lib.sh"

case $(uname -m) in
  x86_64) ARCHES='["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]' ;;
  aarch64) ARCHES='["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]' ;;
  *) ARCHES='[]' ;;
esac

# Everything is allowed but mkdir, which fails with EACCES.
NO_MKDIR='{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
MKDIR_PROBE='if mkdir /tmp/d.$$ 2>/dev/null; then echo created; else echo refused; fi; id -u'

# running [JQ-FILTER]: a running container ($ID, $B, $PID).
running ()
{
  new_bundle /bin/sleep 600
  [ $# = 0 ] || cfg "$@"
  start_ctr
  PID=$(ctr_pid "$ID")
}

seccomp_user_run ()
{
  new_bundle
  cfg '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = ($nnp == "true") | .linux.seccomp = ($s + {"architectures": $a})' \
    --arg nnp "$1" --argjson s "$NO_MKDIR" --argjson a "$ARCHES"
  sh_args "$MKDIR_PROBE"
  run_ctr
  assert_success
  assert_eq "$(echo $out)" "refused 1000" "mkdir under the filter, uid"
}

seccomp_user_exec ()
{
  running '.process.noNewPrivileges = false | .linux.seccomp = ($s + {"architectures": $a})' --argjson s "$NO_MKDIR" --argjson a "$ARCHES"
  local flags=()
  [ "$1" = true ] && flags=(--no-new-privs)
  t_run rt exec "${flags[@]}" -u 1000:1000 "$ID" sh -c "$MKDIR_PROBE"
  assert_success
  assert_eq "$(echo $out)" "refused 1000" "mkdir under the filter, uid"
}

home_of ()
{
  new_bundle
  cfg '.process.env = ["PATH=/usr/bin:/bin"] | .process.user = {"uid": '"$1"', "gid": '"$1"'}'
  sh_args 'echo "$HOME"'
  run_ctr
  assert_success
  assert_eq "$out" "$2" "HOME of uid $1"
}

test_home_from_passwd ()
{
  home_of 0 /root
  home_of 1000 /home/user
  home_of 4242 /
}

test_home_from_config_wins ()
{
  new_bundle
  cfg '.process.env = ["PATH=/bin", "HOME=/elsewhere"] | .process.user = {"uid": 1000, "gid": 1000}'
  sh_args 'echo "$HOME"'
  run_ctr
  assert_success
  assert_eq "$out" /elsewhere HOME
}

test_exec_home ()
{
  running '.process.env = ["PATH=/usr/bin:/bin"]'
  t_run rt exec -u 1000 "$ID" sh -c 'echo "$HOME"'
  assert_success
  assert_eq "$out" /home/user "HOME of uid 1000"
  t_run rt exec "$ID" sh -c 'echo "$HOME"'
  assert_eq "$out" /root "HOME of root"
  t_run rt exec -e HOME=/x "$ID" sh -c 'echo "$HOME"'
  assert_eq "$out" /x "HOME from -e"
}

test_missing_cwd_is_created ()
{
  new_bundle
  cfg '.process.cwd = "/work/deep/dir" | .process.user = {"uid": 1000, "gid": 1000}'
  sh_args 'pwd; touch f 2>/dev/null && echo writable || echo read-only'
  run_ctr
  assert_success
  assert_eq "$(head -n 1 <<<"$out")" /work/deep/dir "pwd"
  [ -d "$B/rootfs/work/deep/dir" ] || fail "the cwd was not made"
  # runc makes it root's; minirun gives it to the process's user
  if [ "$RT_NAME" = minirun ]; then
    assert_eq "$(tail -n 1 <<<"$out")" writable "the made cwd"
    assert_eq "$(stat -c %u:%g "$B/rootfs/work/deep/dir")" 1000:1000 "owner of the made cwd"
  fi
}

# cap_bit STATUS-OUTPUT FIELD CAP-NUMBER: 1 when the set FIELD (CapEff...)
# of a /proc/self/status dump holds the capability.
cap_bit ()
{
  local hex
  hex=$(awk -v f="$2:" '$1 == f { print $2 }' <<<"$1")
  echo $(((0x$hex >> $3) & 1))
}

test_unknown_capability_is_skipped_with_a_warning ()
{
  new_bundle
  cfg '.process.capabilities.bounding += ["CAP_BANANA"] | .process.capabilities.effective += ["CAP_BANANA"]'
  sh_args 'cat /proc/self/status'
  run_ctr
  assert_success
  assert_match "$err" "CAP_BANANA" "warning"
  assert_match "$err" "(ignoring|unknown)" "warning"
  # the known ones are still there: CAP_KILL is 5
  assert_eq "$(cap_bit "$out" CapEff 5)" 1 "CAP_KILL in CapEff"
}

test_exec_cap_sets ()
{
  running '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"]}'
  t_run rt exec --cap CAP_SYS_ADMIN "$ID" cat /proc/self/status
  assert_success
  local set
  for set in CapBnd CapEff CapPrm; do
    assert_eq "$(cap_bit "$out" $set 21)" 1 "CAP_SYS_ADMIN in $set"
  done
  assert_eq "$(cap_bit "$out" CapInh 21)" 0 "CAP_SYS_ADMIN in CapInh"
  assert_eq "$(cap_bit "$out" CapInh 5)" 1 "CAP_KILL in CapInh"
}

test_exec_unknown_cap_is_skipped ()
{
  running
  t_run rt exec --cap CAP_BANANA "$ID" true
  assert_success
  assert_match "$err" "CAP_BANANA" "warning"
}

test_exec_process_file_ambient_caps ()
{
  running
  jq '.process | .args = ["cat", "/proc/self/status"] | .user = {"uid": 1000, "gid": 1000}
      | .noNewPrivileges = false
      | .capabilities = {"bounding": ["CAP_NET_RAW", "CAP_KILL"], "effective": ["CAP_NET_RAW"],
                         "permitted": ["CAP_NET_RAW"], "inheritable": ["CAP_NET_RAW"],
                         "ambient": ["CAP_NET_RAW"]}' "$B/config.json" >"$T_DIR/$ID.process.json"
  t_run rt exec -p "$T_DIR/$ID.process.json" "$ID"
  assert_success
  # CAP_NET_RAW is 13; a uid 1000 process keeps it only through ambient
  assert_eq "$(cap_bit "$out" CapAmb 13)" 1 "CAP_NET_RAW in CapAmb"
  assert_eq "$(cap_bit "$out" CapEff 13)" 1 "CAP_NET_RAW in CapEff"
  assert_eq "$(cap_bit "$out" CapBnd 5)" 1 "CAP_KILL in CapBnd"
  assert_eq "$(cap_bit "$out" CapEff 5)" 0 "CAP_KILL in CapEff"
}

test_exec_additional_gids ()
{
  running
  t_run rt exec -u 1000:1000 -g 10 -g 20 "$ID" id -G
  assert_success
  assert_eq "$out" "1000 10 20" groups
  if [ "$RT_NAME" = minirun ]; then
    t_run rt exec -u 1000:1000 -g 10,20 -g 30 "$ID" id -G
    assert_success
    assert_eq "$out" "1000 10 20 30" "groups from a comma list"
  fi
}

test_exec_paused_needs_ignore_paused ()
{
  running
  t_run rt pause "$ID"
  assert_success
  defer rt resume "$ID"
  t_run rt exec "$ID" echo hi
  assert_status 255
  assert_contains "$err" "cannot exec in a paused container (use --ignore-paused to override)" error
  # with it, the process runs once the container is resumed
  rt exec --ignore-paused "$ID" echo resumed-hi >"$T_DIR/$ID.out" 2>"$T_DIR/$ID.err" &
  local epid=$!
  sleep 1
  assert_eq "$(cat "$T_DIR/$ID.out")" "" "output while paused"
  t_run rt resume "$ID"
  assert_success
  wait "$epid" || fail "exec --ignore-paused failed: $(cat "$T_DIR/$ID.err")"
  assert_eq "$(cat "$T_DIR/$ID.out")" resumed-hi output
}

test_exec_cgroup ()
{
  running
  local dir
  if [ "$(cg_mode)" = v2 ]; then
    dir=$(cg_path "$PID")/sub
    mkdir "$dir"
    defer rmdir "$dir"
    t_run rt exec --cgroup sub "$ID" cat /proc/self/cgroup
    assert_success
    assert_match "$(grep '^0::' <<<"$out")" "/sub$" "cgroup"
  else
    dir=$(cg_path "$PID" memory)/sub
    mkdir "$dir"
    defer rmdir "$dir"
    t_run rt exec --cgroup memory:sub "$ID" cat /proc/self/cgroup
    assert_success
    assert_match "$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' <<<"$out")" "/sub$" "memory cgroup"
    assert_no_match "$(grep -E '^[0-9]+:([^:]*,)?pids(,[^:]*)?:' <<<"$out")" "/sub$" "pids cgroup"
  fi
  t_run rt exec --cgroup no-such-sub "$ID" true
  assert_status 255
}

test_exec_errors_exit_255_with_runc_messages ()
{
  running
  # runc's log quotes the message: its backslashes are not the point
  t_run rt exec "$ID" nope
  assert_status 255
  err=${err//\\/}
  assert_contains "$err" 'exec failed: unable to start container process: exec: "nope": executable file not found in $PATH' error
  t_run rt exec "$ID" /no/such/file
  assert_status 255
  err=${err//\\/}
  assert_contains "$err" 'exec: "/no/such/file": stat /no/such/file: ' error
  t_run rt exec --cwd /no/such/dir "$ID" true
  assert_status 255
  err=${err//\\/}
  assert_contains "$err" 'chdir to cwd ("/no/such/dir") set in config.json failed' error
  t_run rt exec no-such-container-"$ID" true
  assert_status 255
}

# The shell's own descriptors, as numbers on one line (the one the glob read
# the directory with is listed too, and gone once the loop runs).
FD_PROBE='l=; for f in /proc/$$/fd/*; do [ -e "$f" ] && l="$l ${f##*/}"; done; echo $l'

test_no_fd_leaks_into_the_container ()
{
  new_bundle
  sh_args "$FD_PROBE"
  # an fd of the caller's that nobody asked to pass on
  run_ctr 7<"$B/config.json"
  assert_success
  assert_eq "$out" "0 1 2" "fds of the container's init"
  set_args /bin/sleep 600
  start_ctr
  t_run rt exec "$ID" sh -c "$FD_PROBE" 7<"$B/config.json"
  assert_success
  assert_eq "$out" "0 1 2" "fds of an exec'ed process"
  rt exec --preserve-fds 1 "$ID" sh -c "$FD_PROBE" 3<"$B/config.json" >"$T_DIR/$ID.fds"
  assert_eq "$(cat "$T_DIR/$ID.fds")" "0 1 2 3" "fds with --preserve-fds 1"
}

test_cwd_through_a_leaked_fd_is_refused ()
{
  minirun_only "runc before 1.1.12 lets a cwd of /proc/self/fd/N out (CVE-2024-21626)"
  running
  local n
  for n in $(seq 3 12); do
    t_run rt exec --cwd "/proc/self/fd/$n" "$ID" sh -c 'pwd; ls ..'
    assert_failure
    assert_no_match "$out" "$ID" "what the process saw through fd $n"
  done
  for n in $(seq 3 12); do
    new_bundle
    cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
    sh_args 'pwd; ls ..'
    run_ctr
    assert_failure
    assert_no_match "$out" "$T_TAG" "what init saw through fd $n"
  done
}

# own_uts_ns PID: PID is in a uts namespace other than ours.
own_uts_ns ()
{
  local ns
  ns=$(readlink "/proc/$1/ns/uts" 2>/dev/null) || return 1
  [ -n "$ns" ] && [ "$ns" != "$(readlink /proc/self/ns/uts)" ]
}

test_hostname_in_a_joined_uts_namespace ()
{
  command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) is needed"
  unshare --uts sleep 600 </dev/null >/dev/null 2>&1 &
  local holder=$!
  defer kill "$holder"
  wait_for 5 own_uts_ns "$holder"
  new_bundle
  cfg '.hostname = "joined-name" | .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)' \
    --arg p "/proc/$holder/ns/uts"
  in_ctr 'hostname; readlink /proc/self/ns/uts'
  assert_eq "$(head -n 1 <<<"$out")" joined-name "hostname in the container"
  assert_eq "$(tail -n 1 <<<"$out")" "$(readlink /proc/$holder/ns/uts)" "uts namespace"
  assert_eq "$(nsenter -t "$holder" -u hostname)" joined-name "hostname in the joined namespace"
  assert_ne "$(hostname)" joined-name "the host's hostname"
}

test_pty_is_owned_by_the_process_user ()
{
  new_bundle
  cfg '.process.terminal = true | .process.user = {"uid": 1000, "gid": 1000}'
  sh_args 'stat -L -c %u /proc/self/fd/0'
  tty_receiver "$T_DIR/$ID.sock" "$T_DIR/$ID.tty"
  t_run rt create --console-socket "$T_DIR/$ID.sock" --bundle "$B" "$ID"
  assert_success
  t_run rt start "$ID"
  assert_success
  tty_output "$T_DIR/$ID.tty"
  # the group stays devpts' tty group, as with runc
  assert_eq "$TTY_OUT" 1000 "owner of the pty"
}

test_foreground_terminal_output_has_no_carriage_returns ()
{
  command -v script >/dev/null 2>&1 || skip "script (util-linux) is needed"
  new_bundle
  cfg '.process.terminal = true'
  sh_args 'echo one; echo two'
  # a terminal of our own on the runtime's side, as a person's would be;
  # no input, so that nothing script(1) sends at its end of input is echoed
  # into the output
  script -qec "$MINIRUN --root $T_ROOT run --bundle $B $ID </dev/null >$T_DIR/$ID.out" /dev/null </dev/null >/dev/null
  if grep -q $'\r' "$T_DIR/$ID.out"; then
    fail "carriage returns in the output: $(od -An -c "$T_DIR/$ID.out")"
  fi
  assert_contains "$(cat "$T_DIR/$ID.out")" $'one\ntwo' output
}

# nice (field 19) and policy (field 41) of the shell's /proc/self/stat
STAT_PROBE='set -- $(cat /proc/self/stat); shift 18; echo "nice=$1"; shift 22; echo "policy=$1"'

test_process_scheduler ()
{
  minirun_only "process.scheduler is runtime-spec 1.2 (runc 1.1.5 ignores it)"
  new_bundle
  cfg '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
  sh_args "$STAT_PROBE"
  run_ctr
  assert_success
  assert_eq "$(echo $out)" "nice=7 policy=3" "nice and policy (SCHED_BATCH is 3)"
  # (not a real-time one: a v1 cpu cgroup may give those no runtime)
  cfg '.process.scheduler = {"policy": "SCHED_IDLE"}'
  run_ctr
  assert_success
  assert_eq "$(tail -n 1 <<<"$out")" "policy=5" "policy (SCHED_IDLE is 5)"
  cfg '.process.scheduler = {"policy": "SCHED_SOMETIMES"}'
  run_ctr
  assert_failure
  assert_contains "$err" "process.scheduler.policy" "error"
}

test_process_io_priority ()
{
  minirun_only "process.ioPriority is runtime-spec 1.2 (runc 1.1.5 ignores it)"
  new_bundle
  cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
  sh_args 'ionice -p $$'
  run_ctr
  assert_success
  assert_match "$out" "idle" "ionice"
  cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
  run_ctr
  assert_success
  assert_match "$out" "best-effort.*6" "ionice"
  cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 9}'
  run_ctr
  assert_failure
  assert_contains "$err" "process.ioPriority.priority" "error"
}

test_process_personality ()
{
  minirun_only "process.personality is runtime-spec 1.2 (runc 1.1.5 ignores it)"
  [ "$(uname -m)" = x86_64 ] || skip "LINUX32 is checked on x86_64"
  new_bundle
  cfg '.process.personality = {"domain": "LINUX32"}'
  sh_args 'uname -m'
  run_ctr
  assert_success
  assert_match "$out" "^i[3-6]86$" "uname -m under LINUX32"
  cfg '.process.personality = {"domain": "LINUX"}'
  run_ctr
  assert_success
  assert_eq "$out" x86_64 "uname -m under LINUX"
  cfg '.process.personality = {"domain": "SVR4"}'
  run_ctr
  assert_failure
  assert_contains "$err" "process.personality.domain" "error"
}

test_exec_cpu_affinity ()
{
  minirun_only "process.execCPUAffinity is runtime-spec 1.2 (runc 1.1.5 ignores it)"
  running
  jq '.process | .args = ["sh", "-c", "grep Cpus_allowed_list /proc/self/status"]
      | .execCPUAffinity = {"initial": "0", "final": "0"}' "$B/config.json" >"$T_DIR/$ID.process.json"
  t_run rt exec -p "$T_DIR/$ID.process.json" "$ID"
  assert_success
  assert_match "$out" "Cpus_allowed_list:[[:space:]]+0$" "affinity"
  jq '.execCPUAffinity.final = "0-x"' "$T_DIR/$ID.process.json" >"$T_DIR/$ID.bad.json"
  t_run rt exec -p "$T_DIR/$ID.bad.json" "$ID"
  assert_failure
  assert_contains "$err" "execCPUAffinity.final" "error"
}

test_time_namespace_offsets ()
{
  minirun_only "linux.timeOffsets is runtime-spec 1.2 (runc 1.1.5 has no time namespaces)"
  [ -e /proc/self/timens_offsets ] || skip "the kernel has no time namespaces"
  new_bundle /bin/sleep 600
  cfg '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000}, "monotonic": {"secs": 432000, "nanosecs": 5}}'
  start_ctr
  t_run rt exec "$ID" sh -c 'cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets'
  assert_success
  local up
  up=$(head -n 1 <<<"$out")
  [ "$up" -ge 864000 ] || fail "uptime in the container: $up"
  assert_match "$out" "monotonic +432000 +5" "monotonic offset"
  [ "$(readlink /proc/"$(ctr_pid "$ID")"/ns/time)" != "$(readlink /proc/self/ns/time)" ] ||
    fail "the container is in the host's time namespace"
}

t_ok "seccomp with a non-root user, noNewPrivileges false (run)" seccomp_user_run false
t_ok "seccomp with a non-root user, noNewPrivileges true (run)" seccomp_user_run true
t_ok "seccomp with a non-root user, without --no-new-privs (exec)" seccomp_user_exec false
t_ok "seccomp with a non-root user, with --no-new-privs (exec)" seccomp_user_exec true
t_ok "HOME comes from the container's /etc/passwd, else /" test_home_from_passwd
t_ok "HOME in the config's env is kept" test_home_from_config_wins
t_ok "exec: HOME comes from the container's /etc/passwd" test_exec_home
t_ok "a cwd missing from the rootfs is created" test_missing_cwd_is_created
t_ok "an unknown capability is skipped with a warning" test_unknown_capability_is_skipped_with_a_warning
t_ok "exec --cap: bounding, effective, permitted, not inheritable" test_exec_cap_sets
t_ok "exec --cap of an unknown capability is skipped with a warning" test_exec_unknown_cap_is_skipped
t_ok "exec -p: ambient capabilities of the process file" test_exec_process_file_ambient_caps
t_ok "exec -g/--additional-gids, repeatable" test_exec_additional_gids
t_ok "exec into a paused container needs --ignore-paused" test_exec_paused_needs_ignore_paused
t_ok "exec --cgroup joins a sub-cgroup" test_exec_cgroup
t_ok "exec errors exit 255 with runc's messages" test_exec_errors_exit_255_with_runc_messages
t_ok "no descriptor of the runtime's reaches the container" test_no_fd_leaks_into_the_container
t_ok "a cwd through a leaked directory fd is refused" test_cwd_through_a_leaked_fd_is_refused
t_ok "a joined uts namespace gets the config's hostname" test_hostname_in_a_joined_uts_namespace
t_ok "the pty belongs to the process's user" test_pty_is_owned_by_the_process_user
t_ok "a foreground terminal passes output without added carriage returns" test_foreground_terminal_output_has_no_carriage_returns
t_ok "process.scheduler sets the policy and nice value" test_process_scheduler
t_ok "process.ioPriority sets the I/O class and level" test_process_io_priority
t_ok "process.personality LINUX32 and LINUX" test_process_personality
t_ok "process.execCPUAffinity of an exec'ed process" test_exec_cpu_affinity
t_ok "a new time namespace with linux.timeOffsets, joined by exec" test_time_namespace_offsets
t_done
