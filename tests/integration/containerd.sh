#!/bin/bash
# containerd drives the runtime through its runc shim (ctr --runc-binary):
# run --rm, and run -d + exec + kill + delete, with an OCI image built by
# umoci from the busybox rootfs.  containerd runs with its own configuration,
# root, state and socket in this script's temporary directory, and is
# stopped at the end.
. "$(dirname "$0")/lib.sh"

need_command containerd containerd || t_skip_all "containerd is not installed and cannot be installed"
need_command ctr containerd || t_skip_all "ctr is not installed and cannot be installed"
need_command containerd-shim-runc-v2 containerd || t_skip_all "containerd-shim-runc-v2 is missing"
need_command umoci umoci || t_skip_all "umoci is not installed and cannot be installed"

CD=$T_DIR/containerd
SOCK=$CD/containerd.sock
NS=$T_TAG
IMAGE=localhost/minirun-test-busybox:latest
mkdir -p "$CD"
cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$CD/opt"
EOF

# The shims put their sockets in /run/containerd/s whatever the config says.
clean_if_new /run/containerd

containerd --config "$CD/config.toml" </dev/null >"$CD/containerd.log" 2>&1 &
CD_PID=$!
on_exit stop_containerd

# ctr ARGS...: ctr on this containerd, in this script's namespace.
ctr_ ()
{
  timeout -k 5 120 ctr --address "$SOCK" --namespace "$NS" "$@"
}

# Removes what the tests left (tasks, containers, images), then stops
# containerd; the shims exit with their containers.
stop_containerd ()
{
  local c
  for c in $(ctr_ tasks list -q 2>/dev/null); do
    ctr_ tasks kill --signal SIGKILL "$c" || true
    ctr_ tasks delete --force "$c" || true
  done
  for c in $(ctr_ containers list -q 2>/dev/null); do
    ctr_ containers delete "$c" || true
  done
  for c in $(ctr_ images list -q 2>/dev/null); do
    ctr_ images remove "$c" || true
  done
  ctr_ namespaces remove "$NS" 2>/dev/null || true
  kill -TERM "$CD_PID" 2>/dev/null || true
  for _ in $(seq 50); do
    pid_alive "$CD_PID" || break
    sleep 0.1
  done
  kill -KILL "$CD_PID" 2>/dev/null || true
  wait "$CD_PID" 2>/dev/null || true
}

ready=false
for _ in $(seq 100); do
  if [ -S "$SOCK" ] && ctr --address "$SOCK" version >/dev/null 2>&1; then
    ready=true
    break
  fi
  pid_alive "$CD_PID" || break
  sleep 0.1
done
if ! $ready; then
  echo "Bail out! containerd did not start: $(tail -n 5 "$CD/containerd.log")"
  exit 1
fi

# ctr_run ARGS...: ctr run with the runtime under test and its state in $CD.
ctr_run ()
{
  ctr_ run --snapshotter native --runc-binary "$MINIRUN" --runc-root "$CD/runc-root" --fifo-dir "$CD/fifo" "$@"
}

test_build_and_import_image ()
{
  t_rootfs_cache
  local oci=$CD/oci
  umoci init --layout "$oci"
  umoci new --image "$oci:latest"
  umoci unpack --image "$oci:latest" "$CD/unpacked"
  rm -rf "$CD/unpacked/rootfs"
  cp -a "$T_ROOTFS_CACHE/rootfs" "$CD/unpacked/rootfs"
  umoci repack --image "$oci:latest" "$CD/unpacked"
  umoci config --image "$oci:latest" --config.cmd /bin/sh --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin
  rm -rf "$CD/unpacked"
  tar -C "$oci" -cf "$CD/image.tar" .
  # umoci names the manifest "latest" in the index: --base-name makes it
  # localhost/minirun-test-busybox:latest
  t_run ctr_ images import --snapshotter native --base-name localhost/minirun-test-busybox "$CD/image.tar"
  assert_success
  t_run ctr_ images list -q
  assert_contains "$out" "$IMAGE" "images"
}

test_run_rm_echo ()
{
  new_id
  t_run ctr_run --rm "$IMAGE" "$ID" echo hi
  assert_success
  assert_eq "$out" hi stdout
  t_run ctr_ containers list -q
  assert_no_match "$out" "^$ID\$" "containers after run --rm"
}

test_run_exit_status ()
{
  new_id
  t_run ctr_run --rm "$IMAGE" "$ID" sh -c 'exit 6'
  assert_status 6
}

test_detached_exec_kill_delete ()
{
  new_id
  t_run ctr_run -d --null-io "$IMAGE" "$ID" sleep 600
  assert_success
  defer ctr_ containers delete "$ID"
  defer ctr_ tasks delete --force "$ID"
  local pid
  pid=$(ctr_ tasks list | awk -v id="$ID" '$1 == id { print $2 }')
  [ -n "$pid" ] && [ "$pid" -gt 0 ] || fail "no pid for $ID"
  assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 600 " "the task's process"
  local cg
  cg=$(cg_path "$pid" pids)
  [ -d "$cg" ] || fail "no cgroup $cg"

  t_run ctr_ tasks exec --fifo-dir "$CD/fifo" --exec-id "$ID-e1" "$ID" sh -c 'echo in-exec; exit 2'
  assert_status 2
  assert_eq "$out" in-exec "exec output"

  t_run ctr_ tasks kill --signal SIGKILL "$ID"
  assert_success
  wait_for 10 pid_gone "$pid"
  wait_for 10 sh -c "ctr --address '$SOCK' --namespace '$NS' tasks list | grep -q '^$ID .*STOPPED'"
  t_run ctr_ tasks delete "$ID"
  assert_success
  t_run ctr_ containers delete "$ID"
  assert_success
  [ ! -e "$cg" ] || fail "cgroup $cg left after delete"
  [ -z "$(grep -F "$CD/state" /proc/self/mountinfo | grep -F "$ID")" ] || fail "rootfs still mounted"
}

test_run_with_limits ()
{
  new_id
  t_run ctr_run --rm --memory-limit 67108864 "$IMAGE" "$ID" sh -c 'echo limited'
  assert_success
  assert_eq "$out" limited stdout
}

test_namespace_cgroups_removed ()
{
  # containerd puts containers under /<namespace>/<id> and keeps the
  # namespace's cgroup; it is this script's, so it goes
  find /sys/fs/cgroup -maxdepth 4 -depth -type d -path "*/$NS*" -exec rmdir {} + 2>/dev/null || true
  local left
  left=$(find /sys/fs/cgroup -maxdepth 4 -type d -path "*/$NS/*" 2>/dev/null)
  [ -z "$left" ] || fail "container cgroups left: $left"
}

echo "# $(containerd --version), runtime $MINIRUN"
t_ok "umoci image of the busybox rootfs, ctr images import" test_build_and_import_image
t_ok "ctr run --rm --runc-binary IMAGE echo hi" test_run_rm_echo
t_ok "ctr run returns the exit status" test_run_exit_status
t_ok "ctr run -d, tasks exec, kill, delete" test_detached_exec_kill_delete
t_ok "ctr run with --memory-limit" test_run_with_limits
t_ok "no container cgroup is left" test_namespace_cgroups_removed
t_done
