# shellcheck shell=bash
# Shared harness for the integration tests; each test script sources it.
#
# The runtime under test is $MINIRUN (any runc-compatible binary: the tests
# are written against runc's command line, so `MINIRUN=$(command -v runc)`
# checks the tests themselves).  Output is TAP.  Every script gets its own
# temporary directory and its own --root, so tests never see each other's or
# the user's containers; after each test every container left in that root is
# deleted with `delete --force`, and on exit whatever is still there (state
# directories, cgroups named after this script's containers, mounts under its
# temporary directory) is removed.
#
# A test is a function run by `t_ok NAME FUNCTION [ARGS...]` in a subshell
# with `set -e -o pipefail`: any failing command fails the test.  Inside a
# test, `new_bundle` makes a bundle ($B) and a fresh container id ($ID),
# `cfg`/`set_args` edit its config.json, `rt` runs the runtime, `t_run`
# captures a command's status and output, and `skip REASON` skips.

set -u

T_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T_TIMEOUT=${T_TIMEOUT:-120}    # seconds one test may take
T_CMD_TIMEOUT=${T_CMD_TIMEOUT:-60} # seconds one runtime call may take
T_N=0
T_FAILED=0
T_DONE=false

if [ -z "${MINIRUN:-}" ]; then
  echo "Bail out! MINIRUN is not set (the runtime binary to test)"
  exit 99
fi
case $MINIRUN in
  /*) ;;
  *) MINIRUN=$(command -v "$MINIRUN" || echo "$MINIRUN") ;;
esac
if [ ! -x "$MINIRUN" ]; then
  echo "Bail out! MINIRUN=$MINIRUN is not an executable"
  exit 99
fi
if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP the integration tests need root"
  exit 0
fi
for tool in jq timeout flock; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "Bail out! $tool is required (apt-get install jq coreutils util-linux)"
    exit 99
  fi
done

# runc, crun or minirun: decides which runtime-specific tests apply.
case $("$MINIRUN" --version 2>/dev/null | head -n 1) in
  runc*) RT_NAME=runc ;;
  crun*) RT_NAME=crun ;;
  *) RT_NAME=minirun ;;
esac

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/minirun-it.XXXXXX")
# A user namespace's root must be able to reach the bundles.
chmod 755 "$T_DIR"
# Container ids and cgroup names carry this tag, which is how cleanup finds
# what this script made and nothing else.
T_TAG=mrt${T_DIR##*.}
T_ROOT=$T_DIR/state
T_ROOTFS_CACHE=${TMPDIR:-/tmp}/minirun-test-rootfs.$(id -u)
echo 0 >"$T_DIR/.counter"

# --- output and assertions ------------------------------------------------

fail ()
{
  echo "FAIL: $*" >&2
  return 1
}

skip ()
{
  printf '%s\n' "$*" >"$T_DIR/.skip"
  exit 77
}

# For behaviour that runc and crun do not have (or do differently on
# purpose): the test is skipped unless the runtime is minirun.
minirun_only ()
{
  [ "$RT_NAME" = minirun ] || skip "minirun-specific: $* ($RT_NAME differs)"
}

assert_eq ()
{
  if [ "$1" != "$2" ]; then
    fail "${3:-value}: expected '$2', got '$1'"
  fi
}

assert_ne ()
{
  if [ "$1" = "$2" ]; then
    fail "${3:-value}: expected something other than '$2'"
  fi
}

# assert_match STRING ERE [what]
assert_match ()
{
  if ! printf '%s' "$1" | grep -Eq -- "$2"; then
    fail "${3:-value} does not match /$2/: '$1'"
  fi
}

assert_no_match ()
{
  if printf '%s' "$1" | grep -Eq -- "$2"; then
    fail "${3:-value} matches /$2/ but should not: '$1'"
  fi
}

assert_contains ()
{
  case $1 in
    *"$2"*) ;;
    *) fail "${3:-value} does not contain '$2': '$1'" ;;
  esac
}

# t_run CMD...: runs CMD with stdin from /dev/null and sets $status, $out
# (stdout), $err (stderr) and $output (both).  Never fails by itself.
t_run ()
{
  local rc=0
  "$@" </dev/null >"$T_DIR/.out" 2>"$T_DIR/.err" || rc=$?
  status=$rc
  out=$(cat "$T_DIR/.out")
  err=$(cat "$T_DIR/.err")
  output=$out${out:+${err:+$'\n'}}$err
  echo "\$ $* => $status" >&2
  [ -z "$output" ] || printf '%s\n' "$output" | sed 's/^/  | /' >&2
  return 0
}

assert_status ()
{
  if [ "$status" != "$1" ]; then
    fail "exit status: expected $1, got $status; output: $output"
  fi
}

assert_success ()
{
  assert_status 0
}

assert_failure ()
{
  if [ "$status" = 0 ]; then
    fail "expected a failure, the command succeeded; output: $output"
  fi
  # 124 and 137 mean the runtime hung and `timeout` killed it.
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    fail "the command timed out instead of failing"
  fi
}

# wait_for SECONDS CMD...: retries CMD every 0.05s until it succeeds.
wait_for ()
{
  local deadline=$((SECONDS + $1))
  shift
  while ! "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "timed out waiting for: $*"
      return 1
    fi
    sleep 0.05
  done
}

pid_alive ()
{
  # A zombie is as good as gone.
  [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

pid_gone ()
{
  ! pid_alive "$1"
}

# kill_if PID TEXT: SIGKILL for PID only while its command line still holds
# TEXT, so that a pid reused by another process is never hit.
kill_if ()
{
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 0
  case $cmd in
    *"$2"*) kill -KILL "$1" 2>/dev/null || true ;;
    *) return 0 ;;
  esac
  # until it has exited (a zombie holds no files or locks), so that what
  # follows never meets its socket or its lock
  local i
  for i in $(seq 100); do
    [ -e "/proc/$1" ] || return 0
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] || return 0
    sleep 0.05
  done
}

# need_reach UID GID: skips the test unless host uid:gid may search every
# directory above $T_DIR.  A user namespace's root is such a host id, and
# under any runtime it must reach its bundle: on a machine whose "/" (or
# /tmp) is mode 0700, no user-namespaced container can start from /tmp.
need_reach ()
{
  local d=$T_DIR mode owner group bit
  while :; do
    read -r mode owner group < <(stat -c '%a %u %g' "$d")
    if [ "$owner" = "$1" ]; then bit=$(((8#$mode >> 6) & 1))
    elif [ "$group" = "$2" ]; then bit=$(((8#$mode >> 3) & 1))
    else bit=$((8#$mode & 1)); fi
    [ "$bit" = 1 ] || skip "host uid $1 may not search '$d' (mode $mode): a user namespace's root cannot reach the bundles"
    [ "$d" = / ] && return 0
    d=$(dirname "$d")
  done
}

# --- per-test cleanup -----------------------------------------------------

# defer CMD...: runs CMD after the current test, whatever its outcome.
defer ()
{
  printf '%q ' "$@" >>"$T_DIR/.defer"
  echo >>"$T_DIR/.defer"
}

t_run_deferred ()
{
  [ -s "$T_DIR/.defer" ] || return 0
  tac "$T_DIR/.defer" | while IFS= read -r line; do
    eval "$line" </dev/null >/dev/null 2>&1 || true
  done
  : >"$T_DIR/.defer"
}

# The ids of the containers in this script's root.
t_container_ids ()
{
  [ -d "$T_ROOT" ] || return 0
  local d
  # runtime states, and the records of managed containers (data/containers)
  for d in "$T_ROOT"/*/ "$T_ROOT"/data/containers/*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    [ "$d" = "$T_ROOT/data" ] && continue
    echo "${d##*/}"
  done | sort -u
}

# Deletes every container in the root with the runtime itself.
t_delete_all ()
{
  local id
  for id in $(t_container_ids); do
    rt delete --force "$id" </dev/null >/dev/null 2>&1 || true
  done
}

# Cgroup directories whose name carries this script's tag, deepest first.
t_tagged_cgroups ()
{
  local mnt
  [ -d /sys/fs/cgroup ] || return 0
  for mnt in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts); do
    find "$mnt" -maxdepth 8 -type d -name "*$T_TAG*" 2>/dev/null
  done | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2-
}

# Mount points under this script's temporary directory, deepest first.
t_tagged_mounts ()
{
  awk -v d="$T_DIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# What the runtime could not (or did not) clean: kills the processes left in
# our cgroups (by the pids the cgroups list), removes the cgroups, unmounts
# what is mounted under our temporary directory, removes state directories.
# The runtime makes "minirun" under its own cgroup as the parent of the
# containers' cgroups.  Those this script caused are removed at exit when
# empty (rmdir never removes a cgroup that has children or processes).
t_parent_cgroups ()
{
  local h p
  for p in $(cut -d: -f3 /proc/self/cgroup | sort -u); do
    for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
      [ -d "$h$p" ] && echo "${h}${p%/}/minirun"
    done
  done
}
T_NEW_PARENT_CGROUPS=$(for d in $(t_parent_cgroups); do [ -e "$d" ] || echo "$d"; done)

t_force_cleanup ()
{
  local id pid cg m
  for id in $(t_container_ids); do
    pid=$(rt state "$id" 2>/dev/null | jq -r '.pid // 0' 2>/dev/null || echo 0)
    if [ -n "$pid" ] && [ "$pid" -gt 0 ] 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for cg in $(t_tagged_cgroups); do
    if [ -e "$cg/cgroup.freeze" ]; then echo 0 >"$cg/cgroup.freeze" 2>/dev/null || true; fi
    if [ -e "$cg/freezer.state" ]; then echo THAWED >"$cg/freezer.state" 2>/dev/null || true; fi
    if [ -e "$cg/cgroup.kill" ]; then echo 1 >"$cg/cgroup.kill" 2>/dev/null || true; fi
    for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
    done
  done
  for cg in $(t_tagged_cgroups); do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      rmdir "$cg" 2>/dev/null && break
      [ -d "$cg" ] || break
      sleep 0.1
    done
  done
  for m in $(t_tagged_mounts); do
    umount -l "$m" 2>/dev/null || true
  done
  for cg in $T_NEW_PARENT_CGROUPS; do
    rmdir "$cg" 2>/dev/null || true
  done
  rm -rf --one-file-system "$T_ROOT" 2>/dev/null || true
}

# on_exit CMD...: runs CMD when the script exits (for what several tests
# share, such as an engine's daemon or storage), before the final cleanup.
on_exit ()
{
  printf '%q ' "$@" >>"$T_DIR/.on_exit"
  echo >>"$T_DIR/.on_exit"
}

# clean_if_new PATH: an engine the script runs makes PATH (a cache, a socket
# directory) outside its temporary directory and keeps it; when PATH does not
# exist yet, it is removed when the script exits.
clean_if_new ()
{
  [ -e "$1" ] || on_exit rm -rf --one-file-system "$1"
}

t_exit ()
{
  local rc=$?
  # A subshell that got a signal before it reset the inherited traps must
  # not clean up after the whole script.
  [ "$BASHPID" = "$T_MAIN_PID" ] || exit "$rc"
  trap - EXIT
  # interrupted in the middle of a test: stop it before cleaning up, or it
  # may make a container after the cleanup
  if [ -n "${T_TEST_PID:-}" ]; then
    kill -KILL "$T_TEST_PID" 2>/dev/null || true
    wait "$T_TEST_PID" 2>/dev/null || true
  fi
  t_run_deferred
  if [ -s "$T_DIR/.on_exit" ]; then
    tac "$T_DIR/.on_exit" | while IFS= read -r line; do
      eval "$line" </dev/null >/dev/null 2>&1 || true
    done
  fi
  t_delete_all
  t_force_cleanup
  if ! $T_DONE; then
    # The script stopped early: the plan tells the driver how far it got.
    echo "1..$T_N"
    [ "$rc" != 0 ] || rc=1
  fi
  if [ -z "$(t_tagged_mounts)" ]; then
    rm -rf --one-file-system "$T_DIR"
  else
    echo "# left mounted: $(t_tagged_mounts | tr '\n' ' ')"
  fi
  exit "$rc"
}
T_MAIN_PID=$BASHPID
trap t_exit EXIT
trap 'exit 130' INT TERM

# --- running tests --------------------------------------------------------

# t_ok NAME FUNCTION [ARGS...]: runs one test and prints its TAP line.
t_ok ()
{
  local name=$1 rc=0 tpid wpid
  shift
  T_N=$((T_N + 1))
  rm -f "$T_DIR/.skip"
  : >"$T_DIR/.defer"
  (
    set -e -o pipefail
    "$@"
  ) >"$T_DIR/.log" 2>&1 </dev/null &
  tpid=$!
  T_TEST_PID=$tpid
  # A watchdog for a hung test: it waits on a fifo for the word that the
  # test is over (no signal, no sleeping child left behind).
  local wd=$T_DIR/.watchdog.$T_N wdfd
  mkfifo "$wd"
  exec {wdfd}<>"$wd"
  (
    if ! read -r -t "$T_TIMEOUT" -u "$wdfd"; then
      echo "test timed out after ${T_TIMEOUT}s" >>"$T_DIR/.log"
      kill -KILL "$tpid" 2>/dev/null
    fi
  ) &
  wpid=$!
  wait "$tpid" || rc=$?
  T_TEST_PID=
  echo over >&"$wdfd"
  wait "$wpid" 2>/dev/null || true
  exec {wdfd}>&-
  rm -f "$wd"
  if [ $rc = 0 ]; then
    echo "ok $T_N - $name"
  elif [ $rc = 77 ] && [ -f "$T_DIR/.skip" ]; then
    echo "ok $T_N - $name # SKIP $(head -n 1 "$T_DIR/.skip")"
  else
    T_FAILED=$((T_FAILED + 1))
    echo "not ok $T_N - $name"
    sed 's/^/# /' "$T_DIR/.log"
  fi
  t_run_deferred
  t_delete_all
}

# t_skip_all REASON: the whole script cannot run here.
t_skip_all ()
{
  echo "1..0 # SKIP $*"
  T_DONE=true
  exit 0
}

# need_command COMMAND PACKAGE: installs PACKAGE (Debian) when COMMAND is
# missing; false when it is still missing.
need_command ()
{
  command -v "$1" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1; then
    echo "# installing $2" >&2
    timeout 300 env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" </dev/null >&2 ||
      { timeout 300 apt-get update -qq </dev/null >&2 &&
        timeout 300 env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" </dev/null >&2; } || true
  fi
  command -v "$1" >/dev/null 2>&1
}

# t_skip NAME REASON: a test that cannot run here.
t_skip ()
{
  T_N=$((T_N + 1))
  echo "ok $T_N - $1 # SKIP $2"
}

# The last test of every script: whatever `delete --force` was given to
# clean must be gone (state directories, cgroups, mounts).
t_check_nothing_left ()
{
  local left
  left=$(t_container_ids)
  [ -z "$left" ] || fail "state directories left in $T_ROOT: $left"
  left=$(t_tagged_cgroups)
  [ -z "$left" ] || fail "cgroups left: $left"
  left=$(t_tagged_mounts)
  [ -z "$left" ] || fail "mounts left: $left"
}

# t_done: the leak check, then the plan.
t_done ()
{
  t_ok "nothing is left behind after delete --force (state, cgroups, mounts)" t_check_nothing_left
  echo "1..$T_N"
  T_DONE=true
  [ "$T_FAILED" = 0 ]
}

# --- the runtime ----------------------------------------------------------

# rt ARGS...: the runtime with this script's --root; a runtime that hangs is
# killed after T_CMD_TIMEOUT seconds (exit status 124 or 137).
rt ()
{
  timeout -k 5 "$T_CMD_TIMEOUT" "$MINIRUN" --root "$T_ROOT" "$@"
}

ctr_state ()
{
  rt state "$1"
}

ctr_status ()
{
  rt state "$1" | jq -r .status
}

ctr_pid ()
{
  rt state "$1" | jq -r .pid
}

status_is ()
{
  [ "$(ctr_status "$1" 2>/dev/null)" = "$2" ]
}

# wait_status ID STATUS [SECONDS]
wait_status ()
{
  wait_for "${3:-10}" status_is "$1" "$2"
}

# --- bundles --------------------------------------------------------------

# The busybox rootfs is built once per user and machine (under a lock) and
# copied into each bundle.  It is rebuilt when mkrootfs.sh or busybox change.
t_rootfs_cache ()
{
  local stamp bb
  bb=$(command -v busybox || echo /bin/busybox)
  stamp=$(
    cat "$T_LIB_DIR/mkrootfs.sh"
    stat -L -c '%s %Y' /bin/busybox "$bb" 2>/dev/null
  )
  stamp=$(printf '%s' "$stamp" | md5sum | cut -d' ' -f1)
  mkdir -p "$T_ROOTFS_CACHE"
  (
    flock 9
    if [ "$(cat "$T_ROOTFS_CACHE/stamp" 2>/dev/null)" != "$stamp" ] || [ ! -d "$T_ROOTFS_CACHE/rootfs" ]; then
      rm -rf "$T_ROOTFS_CACHE/rootfs" "$T_ROOTFS_CACHE/rootfs.new"
      sh "$T_LIB_DIR/mkrootfs.sh" "$T_ROOTFS_CACHE/rootfs.new" >&2 || exit 1
      mv "$T_ROOTFS_CACHE/rootfs.new" "$T_ROOTFS_CACHE/rootfs"
      echo "$stamp" >"$T_ROOTFS_CACHE/stamp"
    fi
  ) 9>"$T_ROOTFS_CACHE.lock"
}

# The runtime's default config.json, made once per script.
t_spec_template ()
{
  [ -s "$T_DIR/spec.json" ] && return 0
  mkdir -p "$T_DIR/spec"
  if ! (cd "$T_DIR/spec" && "$MINIRUN" spec) >&2; then
    fail "$MINIRUN spec failed"
    return 1
  fi
  # Defaults the tests build on: no terminal, a writable root (the bundle is
  # a private copy), and a command that exits at once.
  jq '.process.terminal = false | .root.readonly = false | .process.args = ["/bin/true"]' \
    "$T_DIR/spec/config.json" >"$T_DIR/spec.json"
}

# mkbundle DIR: DIR/rootfs (busybox) and DIR/config.json.
mkbundle ()
{
  local dir=$1
  t_rootfs_cache
  t_spec_template
  mkdir -p "$dir"
  cp -a "$T_ROOTFS_CACHE/rootfs" "$dir/rootfs"
  cp "$T_DIR/spec.json" "$dir/config.json"
}

# new_id: sets ID to a container id unique to this script.
new_id ()
{
  local n
  n=$(($(cat "$T_DIR/.counter") + 1))
  echo "$n" >"$T_DIR/.counter"
  ID=$T_TAG-$n
}

# new_bundle [ARGS...]: sets ID and B (a new bundle, process.args = ARGS).
new_bundle ()
{
  new_id
  B=$T_DIR/$ID
  mkbundle "$B"
  if [ $# -gt 0 ]; then
    set_args "$@"
  fi
}

# cfg JQ-FILTER [JQ-OPTIONS...]: edits $B/config.json in place.
cfg ()
{
  local filter=$1
  shift
  jq "$filter" "$@" <"$B/config.json" >"$B/config.json.new"
  mv "$B/config.json.new" "$B/config.json"
}

# json_strings ARG...: a JSON array of the arguments (jq would take an
# argument such as "-c" for one of its own options, so each is fed as input).
json_strings ()
{
  local a json="[" sep=""
  for a in "$@"; do
    json+=$sep$(printf '%s' "$a" | jq -Rs .)
    sep=,
  done
  echo "$json]"
}

set_args ()
{
  cfg '.process.args = $a' --argjson a "$(json_strings "$@")"
}

# sh_args SCRIPT: the container runs /bin/sh -c SCRIPT.
sh_args ()
{
  set_args /bin/sh -c "$1"
}

# run_ctr [RUN-OPTIONS...]: `run` of $B as $ID in the foreground, captured.
run_ctr ()
{
  t_run rt run "$@" --bundle "$B" "$ID"
}

# in_ctr SCRIPT: runs SCRIPT in a new container of $B, must exit 0; the
# output is in $out.
in_ctr ()
{
  sh_args "$1"
  run_ctr
  assert_success
}

# create_ctr [CREATE-OPTIONS...]: `create` of $B as $ID; the runtime's output
# goes to files, never to a pipe that a container could keep open.
create_ctr ()
{
  t_run rt create "$@" --bundle "$B" "$ID"
  assert_success
}

# start_ctr: create and start $ID running `sleep` (or $B's args).
start_ctr ()
{
  create_ctr "$@"
  t_run rt start "$ID"
  assert_success
}

# --- terminals ------------------------------------------------------------

T_HELPERS=$(cd "$T_LIB_DIR/../helpers" 2>/dev/null && pwd)

# tty_receiver SOCKET OUTPUT [RECVTTY-OPTIONS...]: starts the console-socket
# receiver in the background (RPID) and waits until it listens.
tty_receiver ()
{
  command -v python3 >/dev/null 2>&1 || skip "python3 is needed to receive the pty master"
  local sock=$1 outf=$2
  shift 2
  python3 "$T_HELPERS/recvtty.py" --timeout 30 "$@" "$sock" "$outf" </dev/null 2>"$outf.err" &
  RPID=$!
  defer kill "$RPID"
  wait_for 5 test -S "$sock"
}

# tty_output OUTPUT: waits for the receiver to see the terminal closed and
# sets TTY_OUT to what it read, without the carriage returns the terminal
# adds.  (Not for $(...): only this shell can wait for the receiver.)
tty_output ()
{
  local rc=0
  wait "$RPID" || rc=$?
  [ "$rc" = 0 ] || fail "the receiver failed ($rc): $(cat "$1.err" 2>/dev/null)"
  TTY_OUT=$(tr -d '\r' <"$1")
  echo "terminal output: $TTY_OUT" >&2
}

# --- cgroups --------------------------------------------------------------

# v1 or v2: a cgroup2 file system at /sys/fs/cgroup is a unified host; a
# tmpfs there holds v1 hierarchies (and maybe an unused cgroup2 "unified").
cg_mode ()
{
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo v2; else echo v1; fi
}

# cg_path PID [CONTROLLER]: the cgroup directory of PID (for v1, in the
# hierarchy of CONTROLLER).
cg_path ()
{
  local pid=$1 ctrl=${2:-} rel mnt
  if [ "$(cg_mode)" = v2 ]; then
    rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
    echo "/sys/fs/cgroup$rel"
    return
  fi
  rel=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
  [ -n "$rel" ] || {
    fail "no $ctrl cgroup for pid $pid"
    return 1
  }
  mnt=$(awk -v c="$ctrl" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $2; exit } }' /proc/self/mounts)
  echo "$mnt$rel"
}

# cg_read PID CONTROLLER FILE
cg_read ()
{
  local dir
  dir=$(cg_path "$1" "$2")
  cat "$dir/$3"
}

# the nftables table of this script's data directory (lib/net/nft.c names
# it with FNV-1a of the directory), so that tests of other roots running
# at the same time do not count
nft_table_of_root ()
{
  local dir=$T_ROOT/data h=2166136261 i c
  for ((i = 0; i < ${#dir}; i++)); do
    printf -v c '%d' "'${dir:i:1}"
    h=$(((h ^ c) * 16777619 & 0xffffffff))
  done
  h=$(((h ^ 47) * 16777619 & 0xffffffff))
  printf 'minirun_%08x\n' "$h"
}

# a free TCP port of the host, away from the automatic range 8000-9000
free_port ()
{
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# no bridge, endpoint, namespace or nftables table of this script's data
# directory is left
nothing_of_ours_left ()
{
  local f br
  for f in "$T_ROOT"/data/networks/*/network.json; do
    [ -f "$f" ] || continue
    br=$(jq -r .bridge "$f")
    if ip link show "$br" >/dev/null 2>&1; then
      fail "bridge $br left"
    fi
  done
  if [ -n "$(ls "$T_ROOT"/data/networks/*/endpoints/ 2>/dev/null)" ]; then
    fail "endpoints left: $(ls "$T_ROOT"/data/networks/*/endpoints/)"
  fi
  if [ -n "$(ls "$T_ROOT/.netns" 2>/dev/null)" ]; then
    fail "namespaces left: $(ls "$T_ROOT/.netns")"
  fi
  if nft list tables 2>/dev/null | grep -q -w "$(nft_table_of_root)"; then
    fail "nftables table $(nft_table_of_root) left"
  fi
}
