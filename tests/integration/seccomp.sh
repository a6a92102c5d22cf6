#!/bin/bash
# linux.seccomp: actions, errno values, argument conditions, unknown names,
# SCMP_ACT_NOTIFY with an agent.
. "$(dirname "$0")/lib.sh"

case $(uname -m) in
  x86_64) ARCHES='["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]' ;;
  aarch64) ARCHES='["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]' ;;
  *) ARCHES='[]' ;;
esac

# What busybox and a runtime need between loading the filter and the user
# process's exit, for a filter that refuses everything else.  Names this
# architecture lacks are skipped by the runtime.
ALLOWED='accept accept4 access alarm arch_prctl bind brk capget capset chdir
chmod chown clock_getres clock_gettime clock_nanosleep clone clone3 close
close_range connect dup dup2 dup3 epoll_create epoll_create1 epoll_ctl
epoll_pwait epoll_wait eventfd2 execve execveat exit exit_group faccessat
faccessat2 fadvise64 fchdir fchmod fchmodat fchown fchownat fcntl fstat
fstatfs fsync ftruncate futex getcwd getdents getdents64 getegid geteuid
getgid getgroups getitimer getpgid getpgrp getpid getppid getpriority
getrandom getresgid getresuid getrlimit getrusage getsid gettid
gettimeofday getuid getxattr ioctl kill lchown lgetxattr link linkat lseek
lstat madvise membarrier mmap mprotect mremap munmap nanosleep newfstatat
open openat openat2 pause pipe pipe2 poll ppoll prctl pread64 prlimit64
pselect6 pwrite64 read readlink readlinkat readv rename renameat renameat2
restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask
rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait sched_getaffinity
sched_yield select set_robust_list set_tid_address setgid setgroups
setitimer setpgid setresgid setresuid setrlimit setsid setuid sigaltstack
stat statfs statx symlink symlinkat sysinfo tgkill time times tkill truncate
umask uname unlink unlinkat utimensat vfork wait4 waitid write writev'

# seccomp JSON-OBJECT: sets linux.seccomp (architectures filled in).
seccomp ()
{
  cfg '.linux.seccomp = ($s + {"architectures": $a})' --argjson s "$1" --argjson a "$ARCHES"
}

MKDIR_PROBE='if mkdir /tmp/d 2>/tmp/err; then echo created; else cat /tmp/err; fi; touch /tmp/f && echo touched'

test_without_seccomp_mkdir_works ()
{
  new_bundle
  in_ctr "$MKDIR_PROBE"
  assert_eq "$out" $'created\ntouched' output
}

test_errno_action_with_errno_ret ()
{
  new_bundle
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
  in_ctr "$MKDIR_PROBE"
  assert_match "$(head -n 1 <<<"$out")" "Permission denied" "mkdir (errno 13)"
  assert_eq "$(tail -n 1 <<<"$out")" touched "other calls"
  [ ! -e "$B/rootfs/tmp/d" ] || fail "the directory was created"
}

test_errno_action_defaults_to_eperm ()
{
  new_bundle
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
  in_ctr "$MKDIR_PROBE"
  assert_match "$(head -n 1 <<<"$out")" "Operation not permitted" "mkdir (EPERM)"
}

test_default_errno_ret ()
{
  new_bundle
  local allowed
  allowed=$(json_strings $ALLOWED)
  seccomp "$(jq -n --argjson n "$allowed" '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13, "syscalls": [{"names": $n, "action": "SCMP_ACT_ALLOW"}]}')"
  in_ctr "$MKDIR_PROBE"
  assert_match "$(head -n 1 <<<"$out")" "Permission denied" "mkdir (defaultErrnoRet 13)"
  assert_eq "$(tail -n 1 <<<"$out")" touched "allowed calls"
}

# KILL_PROBE SIGNALS...: the shell (pid 1, which ignores what it has no
# handler for) sends each signal to itself and says which calls went through.
kill_probe ()
{
  in_ctr "for s in $*; do if kill -\$s \$\$ 2>/dev/null; then echo \"\$s sent\"; else echo \"\$s refused\"; fi; done"
}

test_argument_conditions ()
{
  new_bundle
  # kill(pid, sig): refuse sig 0 only
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
  kill_probe 0 18 0
  assert_eq "$(echo $out)" "0 refused 18 sent 0 refused" "kill by signal number"
}

test_masked_argument_condition ()
{
  new_bundle
  # refuse the signals with bit 4 set (16..31): (sig & 16) == 16
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 16, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
  kill_probe 0 18 10 28
  assert_eq "$(echo $out)" "0 sent 18 refused 10 sent 28 refused" "kill by signal bit"
}

test_unknown_syscall_name_is_skipped ()
{
  new_bundle
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mrt_no_such_syscall", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
  in_ctr "$MKDIR_PROBE"
  assert_match "$(head -n 1 <<<"$out")" "Permission denied" "mkdir still refused"
}

test_kill_action ()
{
  new_bundle
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
  sh_args 'mkdir /tmp/d; echo "rc=$?"'
  run_ctr
  # busybox may run mkdir in the shell itself (pid 1) or in a child
  if [ "$status" != 159 ]; then
    assert_success
    assert_eq "$out" "rc=159" "exit status of the killed mkdir (128+SIGSYS)"
  fi
  [ ! -e "$B/rootfs/tmp/d" ] || fail "the directory was created"
}

# The static helper that makes one syscall by number (built by make check).
SYSCALL_HELPER=${top_builddir:-.}/tests/helpers/mr-syscall

# Numbers of this architecture: epoll_pwait2 (newer than any syscall in
# ALLOWED), and mkdirat (older, not in ALLOWED).
case $(uname -m) in
  x86_64 | aarch64) NR_NEWER=441 NR_OLDER=$([ "$(uname -m)" = x86_64 ] && echo 258 || echo 34) ;;
  *) NR_NEWER= NR_OLDER= ;;
esac

# with_syscall_helper DEFAULT-ACTION: the profile of ALLOWED with that
# default, and the helper in the container as /mr-syscall.
with_syscall_helper ()
{
  [ -n "$NR_NEWER" ] || skip "syscall numbers of $(uname -m) not known to this test"
  [ -x "$SYSCALL_HELPER" ] || skip "tests/helpers/mr-syscall not built (make check builds it)"
  new_bundle
  cp "$SYSCALL_HELPER" "$B/rootfs/mr-syscall"
  seccomp "$(jq -n --arg names "$ALLOWED mkdir" --arg d "$1" \
    '{"defaultAction": $d, "defaultErrnoRet": 1, "syscalls": [{"names": ($names | split("\\s+"; null) | map(select(. != ""))), "action": "SCMP_ACT_ALLOW"}]}')"
}

test_newer_syscall_answers_enosys ()
{
  with_syscall_helper SCMP_ACT_ERRNO
  in_ctr "/mr-syscall $NR_NEWER; /mr-syscall $NR_OLDER"
  # 38: ENOSYS for the syscall newer than the profile; 1: EPERM, the
  # default, for the older one it does not name
  assert_eq "$(echo $out)" "errno=38 errno=1" "errno of the newer and of the older syscall"
}

test_newer_syscall_answers_enosys_with_kill_default ()
{
  with_syscall_helper SCMP_ACT_KILL_PROCESS
  cfg 'del(.linux.seccomp.defaultErrnoRet)'
  in_ctr "/mr-syscall $NR_NEWER"
  assert_eq "$out" "errno=38" "errno of the newer syscall"
}

test_invalid_action_fails ()
{
  new_bundle
  seccomp '{"defaultAction": "SCMP_ACT_BANANA"}'
  t_run rt run --bundle "$B" "$ID"
  assert_failure
  if [ "$RT_NAME" = minirun ]; then
    assert_contains "$err" SCMP_ACT_BANANA "error message"
  fi
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

# --- SCMP_ACT_NOTIFY: a seccomp agent answers the notified calls ---------

# The agent (built by make check): it logs "state JSON" for each
# containerProcessState it gets and "call NAME" for each notification;
# mkdir is answered with success without making anything, chmod with
# ENOMEDIUM, the rest is carried out.
AGENT_HELPER=${top_builddir:-.}/tests/helpers/mr-seccomp-agent

# start_agent: starts the agent on $AGENT_SOCK (log $AGENT_LOG) and waits
# until it listens; it is stopped after the test.
start_agent ()
{
  [ -x "$AGENT_HELPER" ] || skip "tests/helpers/mr-seccomp-agent not built (make check builds it)"
  AGENT_SOCK=$T_DIR/$ID.agent.sock
  AGENT_LOG=$T_DIR/$ID.agent.log
  : >"$AGENT_LOG"
  "$AGENT_HELPER" --timeout 60 "$AGENT_SOCK" "$AGENT_LOG" </dev/null >/dev/null 2>"$AGENT_LOG.err" &
  AGENT_PID=$!
  defer kill_if "$AGENT_PID" mr-seccomp-agent
  wait_for 5 test -S "$AGENT_SOCK"
}

# notify_profile NNP: mkdir and chmod notified to the agent, with metadata.
notify_profile ()
{
  seccomp "$(jq -n --arg p "$AGENT_SOCK" --arg m "meta-$ID" '{"defaultAction": "SCMP_ACT_ALLOW",
    "listenerPath": $p, "listenerMetadata": $m, "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"},
      {"names": ["chmod", "fchmod", "fchmodat"], "action": "SCMP_ACT_NOTIFY"}]}')"
  cfg '.process.noNewPrivileges = $n' --argjson n "$1"
}

# agent_states: the containerProcessState documents the agent got, one a line.
agent_states ()
{
  sed -n 's/^state //p' "$AGENT_LOG"
}

# check_agent_state N STATUS: the Nth document (from 1) names this
# container, its bundle, the metadata, and a container in STATUS.
check_agent_state ()
{
  local doc
  doc=$(agent_states | sed -n "${1}p")
  [ -n "$doc" ] || fail "the agent got no state $1: $(cat "$AGENT_LOG")"
  assert_eq "$(jq -c .fds <<<"$doc")" '["seccompFd"]' fds
  assert_eq "$(jq -r .metadata <<<"$doc")" "meta-$ID" metadata
  assert_eq "$(jq -r .state.id <<<"$doc")" "$ID" state.id
  assert_eq "$(jq -r .state.status <<<"$doc")" "$2" state.status
  assert_eq "$(jq -r .state.bundle <<<"$doc")" "$(realpath "$B")" state.bundle
  jq -e '.ociVersion | type == "string"' <<<"$doc" >/dev/null || fail "no ociVersion: $doc"
  ! grep -q '^bad' "$AGENT_LOG" || fail "the agent refused a message: $(cat "$AGENT_LOG")"
}

NOTIFY_PROBE='if mkdir /tmp/d; then echo mkdir ok; fi; [ -e /tmp/d ] || echo not made; touch /tmp/f; chmod 600 /tmp/f 2>&1 || true'

test_notify_agent_answers_run ()
{
  new_bundle
  start_agent
  notify_profile "$1"
  in_ctr "$NOTIFY_PROBE"
  assert_eq "$(sed -n 1,2p <<<"$out")" $'mkdir ok\nnot made' "mkdir answered by the agent"
  assert_contains "$(sed -n 3p <<<"$out")" "No medium found" "chmod answered by the agent"
  check_agent_state 1 creating
  local doc
  doc=$(agent_states | sed -n 1p)
  assert_eq "$(jq -r .pid <<<"$doc")" "$(jq -r .state.pid <<<"$doc")" "pid of the init"
  grep -Eq '^call mkdir(at)?$' "$AGENT_LOG" || fail "the agent saw no mkdir: $(cat "$AGENT_LOG")"
}

test_notify_listener_is_handed_over_at_create ()
{
  new_bundle
  start_agent
  notify_profile true
  sh_args "{ $NOTIFY_PROBE; } >/result 2>&1"
  create_ctr
  assert_eq "$(agent_states | wc -l)" 1 "states the agent got after create"
  check_agent_state 1 creating
  t_run rt start "$ID"
  assert_success
  wait_status "$ID" stopped 10
  assert_eq "$(sed -n 1,2p "$B/rootfs/result")" $'mkdir ok\nnot made' "mkdir answered by the agent"
}

test_notify_agent_gone_answers_enosys ()
{
  new_bundle
  start_agent
  notify_profile true
  sh_args "mkdir /tmp/d 2>/result; echo \"rc=\$?\" >>/result"
  create_ctr
  kill_if "$AGENT_PID" mr-seccomp-agent
  t_run rt start "$ID"
  assert_success
  wait_status "$ID" stopped 10
  assert_contains "$(cat "$B/rootfs/result")" "Function not implemented" "mkdir without an agent"
}

test_notify_exec_gets_its_own_listener ()
{
  new_bundle sleep 30
  start_agent
  notify_profile "$1"
  start_ctr
  t_run rt exec "$ID" sh -c 'mkdir /tmp/e && [ ! -e /tmp/e ] && echo faked'
  assert_success
  assert_eq "$out" faked "mkdir of the exec'ed process"
  assert_eq "$(agent_states | wc -l)" 2 "states the agent got (init, exec)"
  check_agent_state 2 running
  local doc
  doc=$(agent_states | sed -n 2p)
  assert_eq "$(jq -r .state.pid <<<"$doc")" "$(ctr_pid "$ID")" "state.pid (the init)"
  assert_ne "$(jq -r .pid <<<"$doc")" "$(ctr_pid "$ID")" "pid (the exec'ed process)"
  rt kill "$ID" KILL
}

# The calls the runtime's own setup makes after the filter is loaded go to
# the agent too, which lets them through.
test_notify_setup_calls_reach_the_agent ()
{
  new_bundle
  start_agent
  seccomp "$(jq -n --arg p "$AGENT_SOCK" '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $p,
    "syscalls": [{"names": ["execve", "openat", "open", "read", "close"], "action": "SCMP_ACT_NOTIFY"}]}')"
  cfg '.process.noNewPrivileges = $n' --argjson n "$1"
  in_ctr 'cat /etc/hostname >/dev/null && echo ok'
  assert_eq "$out" ok output
  grep -q '^call other$' "$AGENT_LOG" || fail "the agent saw no call: $(cat "$AGENT_LOG")"
}

# nothing_left_of ID: no state, no list entry, no cgroup for ID.
nothing_left_of ()
{
  [ ! -e "$T_ROOT/$1" ] || fail "state directory of $1 left"
  if rt list 2>/dev/null | grep -qw -- "$1"; then fail "list still shows $1"; fi
  local cg
  cg=$(t_tagged_cgroups | grep -- "$1\$" || true)
  [ -z "$cg" ] || fail "cgroup left: $cg"
}

test_notify_without_listener_path_fails ()
{
  new_bundle
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
  run_ctr
  assert_failure
  [ "$RT_NAME" != minirun ] || assert_contains "$err" "linux.seccomp.listenerPath" "error message"
  nothing_left_of "$ID"
}

test_notify_unreachable_listener_path_fails ()
{
  new_bundle
  AGENT_SOCK=$T_DIR/$ID.nobody.sock
  notify_profile true
  t_run rt "$1" --bundle "$B" "$ID"
  assert_failure
  if [ "$RT_NAME" = minirun ]; then
    assert_contains "$err" "linux.seccomp.listenerPath '$AGENT_SOCK'" "error message"
    assert_contains "$err" "No such file or directory" "error message"
  fi
  nothing_left_of "$ID"
}

test_listener_path_without_notify_is_ignored ()
{
  new_bundle
  seccomp "$(jq -n --arg p "$T_DIR/$ID.nobody.sock" '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $p,
    "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]}')"
  in_ctr "$MKDIR_PROBE"
  assert_eq "$out" $'created\ntouched' output
}

test_notify_on_sendmsg_is_refused ()
{
  minirun_only "the runtime hands the listener over with sendmsg"
  new_bundle
  start_agent
  seccomp "$(jq -n --arg p "$AGENT_SOCK" '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $p,
    "syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}]}')"
  run_ctr
  assert_failure
  assert_contains "$err" "SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall" "error message"
  nothing_left_of "$ID"
}

t_ok "without seccomp, mkdir works" test_without_seccomp_mkdir_works
t_ok "SCMP_ACT_ERRNO with errnoRet refuses mkdir with that errno" test_errno_action_with_errno_ret
t_ok "SCMP_ACT_ERRNO without errnoRet gives EPERM" test_errno_action_defaults_to_eperm
t_ok "defaultErrnoRet is the errno of the default action" test_default_errno_ret
t_ok "argument conditions select the calls" test_argument_conditions
t_ok "SCMP_CMP_MASKED_EQ conditions" test_masked_argument_condition
t_ok "an unknown syscall name is skipped, the rest applies" test_unknown_syscall_name_is_skipped
t_ok "SCMP_ACT_KILL_PROCESS kills the caller" test_kill_action
t_ok "an invalid action fails" test_invalid_action_fails
t_ok "a syscall newer than the profile answers ENOSYS, not the default errno" test_newer_syscall_answers_enosys
t_ok "a syscall newer than the profile answers ENOSYS with a kill default" test_newer_syscall_answers_enosys_with_kill_default
t_ok "SCMP_ACT_NOTIFY: the agent answers the container's calls (noNewPrivileges true)" test_notify_agent_answers_run true
t_ok "SCMP_ACT_NOTIFY: the agent answers the container's calls (noNewPrivileges false)" test_notify_agent_answers_run false
t_ok "SCMP_ACT_NOTIFY: the setup's own calls reach the agent (noNewPrivileges true)" test_notify_setup_calls_reach_the_agent true
t_ok "SCMP_ACT_NOTIFY: the setup's own calls reach the agent (noNewPrivileges false)" test_notify_setup_calls_reach_the_agent false
t_ok "SCMP_ACT_NOTIFY: create hands the listener to the agent before start" test_notify_listener_is_handed_over_at_create
t_ok "SCMP_ACT_NOTIFY: with the agent gone, notified calls answer ENOSYS" test_notify_agent_gone_answers_enosys
t_ok "SCMP_ACT_NOTIFY: exec hands its own listener to the agent (noNewPrivileges true)" test_notify_exec_gets_its_own_listener true
t_ok "SCMP_ACT_NOTIFY: exec hands its own listener to the agent (noNewPrivileges false)" test_notify_exec_gets_its_own_listener false
t_ok "SCMP_ACT_NOTIFY without listenerPath fails, nothing left" test_notify_without_listener_path_fails
t_ok "SCMP_ACT_NOTIFY: run with an unreachable listenerPath fails, nothing left" test_notify_unreachable_listener_path_fails run
t_ok "SCMP_ACT_NOTIFY: create with an unreachable listenerPath fails, nothing left" test_notify_unreachable_listener_path_fails create
t_ok "listenerPath without SCMP_ACT_NOTIFY is ignored" test_listener_path_without_notify_is_ignored
t_ok "SCMP_ACT_NOTIFY for sendmsg is refused" test_notify_on_sendmsg_is_refused
t_done
