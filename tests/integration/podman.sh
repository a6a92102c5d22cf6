#!/bin/bash
# podman drives the runtime (through conmon) as its OCI runtime: run --rm,
# and run -d + exec + stop + rm, with an image imported from the busybox
# rootfs.  podman's storage, state and configuration live in this script's
# temporary directory; nothing of the host's podman is used or touched.
. "$(dirname "$0")/lib.sh"

need_command podman podman || t_skip_all "podman is not installed and cannot be installed"
need_command conmon conmon || t_skip_all "conmon is not installed and cannot be installed"

PM=$T_DIR/podman
mkdir -p "$PM/root" "$PM/runroot" "$PM/tmp"
# podman's default limits (1048576 files, 4194304 processes) can be above
# the hard limits of the host or of conmon, and then the runtime cannot set
# them: modest fixed values work everywhere.
rt_name=$(basename "$MINIRUN")
cat >"$PM/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
netns = "none"
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM/events.log"
runtime = "$rt_name"
runtime_supports_json = ["$rt_name", "minirun", "runc", "crun"]
tmp_dir = "$PM/tmp"
image_copy_tmp_dir = "$PM/tmp"
static_dir = "$PM/root/libpod"
volume_path = "$PM/root/volumes"
# file locks under tmp_dir: /dev/shm/libpod_lock belongs to whichever podman
# made it first, with its own count, and podman refuses a different one
lock_type = "file"
num_locks = 64

[engine.runtimes]
$rt_name = ["$MINIRUN"]

[network]
network_config_dir = "$PM/networks"
EOF
cat >"$PM/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$PM/root"
runroot = "$PM/runroot"
EOF
: >"$PM/registries.conf"
export CONTAINERS_CONF=$PM/containers.conf
export CONTAINERS_STORAGE_CONF=$PM/storage.conf
export CONTAINERS_REGISTRIES_CONF=$PM/registries.conf

pm ()
{
  timeout -k 5 120 podman --root "$PM/root" --runroot "$PM/runroot" --tmpdir "$PM/tmp" \
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}

# podman puts conmon and the containers below a "libpod_parent" cgroup that
# it makes when missing and never removes: if this script makes it, the
# script removes it.
if [ -z "$(find /sys/fs/cgroup -maxdepth 2 -type d -name libpod_parent 2>/dev/null)" ]; then
  on_exit sh -c "find /sys/fs/cgroup -maxdepth 4 -depth -type d -path '*/libpod_parent*' -exec rmdir {} +"
fi

# podman keeps a blob cache in /var/lib/containers/cache whatever its --root,
# and the runtime, called without --root, its state in /run/NAME.
clean_if_new /var/lib/containers
clean_if_new /run/containers
[ -e "/run/$rt_name" ] || on_exit rmdir "/run/$rt_name"

# Everything podman made: containers (through the runtime), images, the
# storage's mounts (removed by the final cleanup of $T_DIR).
on_exit pm rm --all --force --time 0
on_exit pm rmi --all --force

IMAGE=localhost/minirun-test-busybox:latest

test_import_image ()
{
  t_rootfs_cache
  tar -C "$T_ROOTFS_CACHE/rootfs" -cf "$PM/rootfs.tar" .
  t_run pm import "$PM/rootfs.tar" "$IMAGE"
  assert_success
  t_run pm image exists "$IMAGE"
  assert_success
}

test_run_rm_echo ()
{
  t_run pm run --rm --runtime "$MINIRUN" --network none "$IMAGE" echo hi
  assert_success
  assert_eq "$out" hi stdout
  t_run pm ps -a --format '{{.ID}}'
  assert_eq "$out" "" "containers left after run --rm"
}

test_run_exit_status ()
{
  t_run pm run --rm --runtime "$MINIRUN" --network none "$IMAGE" sh -c 'exit 5'
  assert_status 5
}

test_detached_exec_stop_rm ()
{
  t_run pm run -d --runtime "$MINIRUN" --network none --name "$T_TAG-web" "$IMAGE" sleep 600
  assert_success
  local cid=$out
  defer pm rm --force --time 0 "$cid"
  t_run pm inspect --format '{{.State.Status}}' "$cid"
  assert_success
  assert_eq "$out" running "state"
  t_run pm ps --format '{{.Names}}'
  assert_match "$out" "^$T_TAG-web$" "podman ps"
  local pid cgdirs d
  pid=$(pm inspect --format '{{.State.Pid}}' "$cid")
  [ "$pid" -gt 0 ] || fail "pid $pid"
  cgdirs=$(cg_path "$pid" pids)
  [ -d "$cgdirs" ] || fail "no cgroup $cgdirs"
  t_run pm exec "$cid" sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "'
  assert_success
  assert_eq "$(head -n 1 <<<"$out")" in-exec "exec output"
  assert_match "$(tail -n 1 <<<"$out")" '^sleep 600' "pid 1 of the container"
  t_run pm exec "$cid" sh -c 'exit 3'
  assert_status 3
  t_run pm stop -t 1 "$cid"
  assert_success
  t_run pm inspect --format '{{.State.Status}}' "$cid"
  assert_match "$out" '^(exited|stopped)$' "state after stop"
  t_run pm rm "$cid"
  assert_success
  t_run pm ps -a --format '{{.ID}}'
  assert_eq "$out" "" "containers left after rm"
  for d in $cgdirs; do [ ! -e "$d" ] || fail "cgroup $d left after rm"; done
  pid_gone "$pid" || fail "process $pid left after rm"
}

test_run_with_limits ()
{
  t_run pm run --rm --runtime "$MINIRUN" --network none --memory 64m --pids-limit 50 "$IMAGE" \
    sh -c 'cat /proc/self/cgroup >/dev/null; echo limited'
  assert_success
  assert_eq "$out" limited stdout
}

test_kill_and_wait ()
{
  t_run pm run -d --runtime "$MINIRUN" --network none "$IMAGE" sleep 600
  assert_success
  local cid=$out
  defer pm rm --force --time 0 "$cid"
  t_run pm kill --signal KILL "$cid"
  assert_success
  t_run pm wait "$cid"
  assert_success
  assert_eq "$out" 137 "exit code from podman wait"
  t_run pm rm "$cid"
  assert_success
}

test_rm_all_leaves_no_container ()
{
  t_run pm rm --all --force --time 0
  assert_success
  t_run pm ps -a --format '{{.ID}}'
  assert_eq "$out" "" "containers"
}

echo "# podman $(podman --version | awk '{ print $3 }'), runtime $MINIRUN"
# podman reads the v1 freezer (and runc's state) to see the container paused.
test_pause_and_unpause ()
{
  t_run pm run -d --runtime "$MINIRUN" --network none --name "$T_TAG-pause" "$IMAGE" sleep 600
  assert_success
  local cid=$out
  defer pm rm --force --time 0 "$cid"
  t_run pm pause "$cid"
  assert_success
  t_run pm inspect --format '{{.State.Status}}' "$cid"
  assert_eq "$out" paused "state after pause"
  t_run pm unpause "$cid"
  assert_success
  t_run pm inspect --format '{{.State.Status}}' "$cid"
  assert_eq "$out" running "state after unpause"
}

t_ok "podman import of the busybox rootfs" test_import_image
t_ok "podman run --rm IMAGE echo hi" test_run_rm_echo
t_ok "podman run returns the exit status" test_run_exit_status
t_ok "podman run -d, exec, stop, rm" test_detached_exec_stop_rm
t_ok "podman run with --memory and --pids-limit" test_run_with_limits
t_ok "podman kill and wait give 137" test_kill_and_wait
t_ok "podman pause and unpause" test_pause_and_unpause
t_ok "podman rm --all --force leaves no container" test_rm_all_leaves_no_container
t_done
