#!/bin/bash
# The container's mounts and root: bind sources, order, tmpfs modes,
# read-only and atime options (recursive ones too), /dev, masked and
# read-only paths, user namespaces, id-mapped mounts, chroot mode.
. "$(dirname "$0")/lib.sh"

# userns_bundle [ARGS...]: a bundle whose user namespace maps 0 to 100000.
userns_bundle ()
{
  [ -e /proc/self/ns/user ] || skip "no user namespaces"
  need_reach 100000 100000
  new_bundle "$@"
  chmod -R go+rX "$B"
  cfg '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

# add_mount JSON: appends one entry to mounts.
add_mount ()
{
  cfg '.mounts += [$m]' --argjson m "$1"
}

# host_mount ARGS... DIR: mount(8) on the host, undone after the test.
host_mount ()
{
  mount "$@"
  defer umount -l "${!#}"
}

# mount_opts PATH: the per-mount options of PATH in the container's
# /proc/self/mountinfo output saved in $out.
mount_opts ()
{
  awk -v p="$1" '$5 == p { o = $6 } END { print o }' <<<"$out"
}

test_bind_source_under_a_root_only_directory_in_a_user_namespace ()
{
  userns_bundle
  local top=$T_DIR/$ID.private
  mkdir -p "$top/data"
  chmod 700 "$top"
  echo secret-data >"$top/data/file"
  chmod 755 "$top/data"
  chmod 644 "$top/data/file"
  mkdir -p "$B/rootfs/data"
  add_mount "$(jq -n --arg s "$top/data" '{"destination": "/data", "type": "bind", "source": $s, "options": ["rbind"]}')"
  in_ctr 'cat /data/file; id -u'
  assert_eq "$out" $'secret-data\n0' "bind source read through a root-only parent"
}

test_unreachable_source_error_names_the_mount ()
{
  minirun_only "error wording"
  userns_bundle
  local top=$T_DIR/$ID.private
  mkdir -p "$top/data"
  chmod 700 "$top"
  mkdir -p "$B/rootfs/data"
  # a source on a file system the runtime cannot clone from: a path the
  # namespace's root may not reach, with nothing opened for it
  add_mount "$(jq -n --arg s "$top/missing" '{"destination": "/data", "type": "bind", "source": $s}')"
  sh_args true
  run_ctr
  assert_failure
  assert_contains "$err" "$top/missing"
  assert_contains "$err" "host uid 100000"
}

test_missing_mount_point_in_a_user_namespace_says_what_to_do ()
{
  minirun_only "error wording"
  userns_bundle
  add_mount "$(jq -n --arg s "$T_DIR" '{"destination": "/not-in-image", "type": "bind", "source": $s, "options": ["bind"]}')"
  sh_args true
  run_ctr
  assert_failure
  assert_contains "$err" "/not-in-image"
  assert_contains "$err" "host uid 100000, may not create it: make the mount point in the rootfs"
}

test_unreachable_rootfs_in_a_user_namespace_says_what_to_do ()
{
  minirun_only "error wording"
  userns_bundle
  chmod 700 "$B"
  sh_args true
  run_ctr
  assert_failure
  assert_contains "$err" "the container's root is host uid 100000 gid 100000, which may not search '$B' (mode 0700"
}

test_mounts_apply_in_config_order ()
{
  new_bundle
  local src=$T_DIR/$ID.src
  mkdir -p "$src/inner"
  echo from-first >"$src/inner/file"
  add_mount "$(jq -n --arg s "$src" '{"destination": "/first", "type": "bind", "source": $s, "options": ["rbind"]}')"
  # a source that lies under the first mount's destination
  add_mount "$(jq -n --arg s "$B/rootfs/first/inner" '{"destination": "/second", "type": "bind", "source": $s, "options": ["rbind"]}')"
  add_mount '{"destination": "/first/inner/deeper", "type": "tmpfs", "source": "tmpfs"}'
  in_ctr 'cat /second/file; grep -c " /first/inner/deeper " /proc/self/mountinfo'
  assert_eq "$out" $'from-first\n1' "second bind sees the first, the tmpfs goes on the first"
  [ ! -e "$src/inner/deeper" ] || [ -d "$src/inner/deeper" ]
}

test_tmpfs_mode_follows_the_covered_directory ()
{
  new_bundle
  mkdir -p "$B/rootfs/d700" "$B/rootfs/d750"
  chmod 700 "$B/rootfs/d700"
  chmod 2750 "$B/rootfs/d750"
  add_mount '{"destination": "/d700", "type": "tmpfs", "source": "tmpfs"}'
  add_mount '{"destination": "/d750", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
  add_mount '{"destination": "/fresh", "type": "tmpfs", "source": "tmpfs"}'
  in_ctr 'stat -c "%n %a" /d700 /d750 /fresh'
  assert_eq "$out" $'/d700 700\n/d750 2750\n/fresh 1777' "tmpfs modes"
}

test_tmpfs_mode_option_wins ()
{
  [ "$RT_NAME" != runc ] || skip "runc 1.1 chmods the tmpfs back to the directory's mode"
  new_bundle
  mkdir -p "$B/rootfs/d700"
  chmod 700 "$B/rootfs/d700"
  add_mount '{"destination": "/d700", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]}'
  add_mount '{"destination": "/fresh", "type": "tmpfs", "source": "tmpfs", "options": ["mode=710"]}'
  in_ctr 'stat -c "%n %a" /d700 /fresh'
  assert_eq "$out" $'/d700 1777\n/fresh 710' "tmpfs mode= options"
}

test_readonly_dev_is_populated_first ()
{
  new_bundle
  cfg '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
  in_ctr 'test -c /dev/null && test -c /dev/zero && test -L /dev/fd && test -d /dev/pts && test -d /dev/shm && echo ok;
          grep " /dev " /proc/self/mountinfo | cut -d" " -f6;
          touch /dev/new 2>/dev/null || echo refused;
          echo x >/dev/shm/w && echo shm-writable'
  assert_eq "$(sed -n 1p <<<"$out")" ok "devices, links, pts, shm"
  assert_match "$(sed -n 2p <<<"$out")" '^ro,' "/dev options"
  assert_eq "$(sed -n 3p <<<"$out")" refused "a new file in /dev"
  assert_eq "$(sed -n 4p <<<"$out")" shm-writable "/dev/shm"
}

# A host directory with a tmpfs mounted below it (SUB: DIR/sub).
dir_with_submount ()
{
  DIR=$T_DIR/$ID.tree
  mkdir -p "$DIR/sub"
  host_mount -t tmpfs -o size=1m tmpfs "$DIR/sub"
}

test_rro_is_recursive ()
{
  new_bundle
  dir_with_submount
  add_mount "$(jq -n --arg s "$DIR" '{"destination": "/tree", "type": "bind", "source": $s, "options": ["rbind", "rro"]}')"
  in_ctr 'touch /tree/a 2>/dev/null || echo top-ro; touch /tree/sub/a 2>/dev/null || echo sub-ro'
  assert_eq "$out" $'top-ro\nsub-ro' "rro"
  [ ! -e "$DIR/sub/a" ]
}

test_rbind_ro_is_recursive ()
{
  [ "$RT_NAME" != runc ] || skip "runc 1.1 makes only the top mount of rbind,ro read-only"
  new_bundle
  dir_with_submount
  add_mount "$(jq -n --arg s "$DIR" '{"destination": "/tree", "type": "bind", "source": $s, "options": ["rbind", "ro"]}')"
  in_ctr 'touch /tree/a 2>/dev/null || echo top-ro; touch /tree/sub/a 2>/dev/null || echo sub-ro'
  assert_eq "$out" $'top-ro\nsub-ro' "rbind,ro"
}

test_recursive_nosuid_and_noatime ()
{
  new_bundle
  dir_with_submount
  add_mount "$(jq -n --arg s "$DIR" '{"destination": "/tree", "type": "bind", "source": $s, "options": ["rbind", "rnosuid", "rnoatime"]}')"
  in_ctr 'cat /proc/self/mountinfo'
  assert_match "$(mount_opts /tree/sub)" 'nosuid' "submount nosuid"
  assert_match "$(mount_opts /tree/sub)" 'noatime' "submount noatime"
}

test_plain_bind_of_a_tree_with_submounts_in_a_user_namespace ()
{
  [ "$RT_NAME" != runc ] || skip "runc 1.1 binds the path from inside the user namespace (EINVAL)"
  userns_bundle
  dir_with_submount
  echo top >"$DIR/top-file"
  mkdir -p "$B/rootfs/tree"
  # a non-recursive bind of a tree whose submounts the user namespace
  # could not uncover (EINVAL when it binds the path itself)
  add_mount "$(jq -n --arg s "$DIR" '{"destination": "/tree", "type": "bind", "source": $s, "options": ["bind"]}')"
  in_ctr 'cat /tree/top-file'
  assert_eq "$out" top "the top of the tree"
}

test_bind_of_a_readonly_source_is_read_write ()
{
  [ "$RT_NAME" != runc ] || skip "runc 1.1 keeps the source's flags when no option is given"
  new_bundle
  local src=$T_DIR/$ID.ro
  mkdir -p "$src"
  host_mount --bind "$src" "$src"
  mount -o remount,bind,ro "$src"
  add_mount "$(jq -n --arg s "$src" '{"destination": "/rw", "type": "bind", "source": $s, "options": ["bind"]}')"
  add_mount "$(jq -n --arg s "$src" '{"destination": "/ro", "type": "bind", "source": $s, "options": ["bind", "ro"]}')"
  in_ctr 'touch /rw/made && echo rw-ok; touch /ro/x 2>/dev/null || echo ro-refused'
  assert_eq "$out" $'rw-ok\nro-refused' "implicit rw, explicit ro"
  [ -e "$src/made" ]
}

test_bind_of_a_locked_readonly_source_in_a_user_namespace ()
{
  [ "$RT_NAME" != runc ] || skip "runc 1.1 keeps the source's flags when no option is given"
  userns_bundle
  local src=$T_DIR/$ID.ro
  mkdir -p "$src" "$B/rootfs/rw" "$B/rootfs/asked-rw"
  host_mount --bind "$src" "$src"
  mount -o remount,bind,ro "$src"
  # the host's read-only is locked for the user namespace: kept, unless
  # the config asks to clear it, which cannot be done
  add_mount "$(jq -n --arg s "$src" '{"destination": "/rw", "type": "bind", "source": $s, "options": ["bind"]}')"
  in_ctr 'touch /rw/x 2>/dev/null || echo kept-ro'
  assert_eq "$out" kept-ro "locked read-only"
  add_mount "$(jq -n --arg s "$src" '{"destination": "/asked-rw", "type": "bind", "source": $s, "options": ["bind", "rw"]}')"
  sh_args true
  run_ctr
  assert_failure
  assert_contains "$err" "flags are locked by a more privileged mount namespace"
}

test_atime_options ()
{
  new_bundle
  local src=$T_DIR/$ID.src
  mkdir -p "$src"
  add_mount '{"destination": "/t-noatime", "type": "tmpfs", "source": "tmpfs", "options": ["noatime"]}'
  add_mount '{"destination": "/t-strict", "type": "tmpfs", "source": "tmpfs", "options": ["strictatime"]}'
  add_mount '{"destination": "/t-nodir", "type": "tmpfs", "source": "tmpfs", "options": ["nodiratime"]}'
  add_mount "$(jq -n --arg s "$src" '{"destination": "/b-noatime", "type": "bind", "source": $s, "options": ["bind", "noatime"]}')"
  add_mount "$(jq -n --arg s "$src" '{"destination": "/b-nodir", "type": "bind", "source": $s, "options": ["bind", "nodiratime"]}')"
  in_ctr 'cat /proc/self/mountinfo'
  assert_match "$(mount_opts /t-noatime)" 'noatime' "tmpfs noatime"
  assert_no_match "$(mount_opts /t-strict)" 'noatime|relatime' "tmpfs strictatime"
  assert_match "$(mount_opts /t-nodir)" 'nodiratime' "tmpfs nodiratime"
  assert_match "$(mount_opts /b-noatime)" 'noatime' "bind noatime"
  assert_match "$(mount_opts /b-nodir)" 'nodiratime' "bind nodiratime"
}

# What of the host's mount table a container of this script could change:
# its root (propagation) and whatever is under the script's directory.
# Other programs may mount elsewhere meanwhile.
host_mounts ()
{
  awk -v d="$T_DIR" '$5 == "/" || index($5, d) == 1 { $1 = ""; $2 = ""; print }' /proc/self/mountinfo | sort
}

# A bundle without a mount namespace, mounts or paths that need one.
no_mntns_bundle ()
{
  [ "$RT_NAME" = minirun ] || skip "$RT_NAME changes the host's mounts without a mount namespace"
  new_bundle "$@"
  cfg '.linux.namespaces |= map(select(.type != "mount"))
       | .mounts = [] | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
}

test_no_mount_namespace_runs_chrooted_in_the_hosts ()
{
  no_mntns_bundle /bin/sleep 600
  echo "$ID" >"$B/rootfs/marker"
  local before
  before=$(host_mounts)
  start_ctr
  local pid
  pid=$(ctr_pid "$ID")
  assert_eq "$(readlink "/proc/$pid/ns/mnt")" "$(readlink /proc/$$/ns/mnt)" "mount namespace"
  assert_eq "$(readlink "/proc/$pid/root")" "$(realpath "$B/rootfs")" "root"
  t_run rt exec "$ID" /bin/sh -c 'cat /marker; pwd'
  assert_success
  assert_eq "$out" "$ID"$'
/' "exec runs in the container's root"
  assert_eq "$(host_mounts)" "$before" "host mounts"
}

test_no_mount_namespace_refuses_mounts ()
{
  no_mntns_bundle
  cfg '.mounts = [{"destination": "/proc", "type": "proc", "source": "proc"}]'
  local before
  before=$(host_mounts)
  run_ctr
  assert_failure
  assert_contains "$err" "mounts: needs a mount namespace"
  cfg '.mounts = [] | .linux.maskedPaths = ["/proc/kcore"]'
  run_ctr
  assert_failure
  assert_contains "$err" "maskedPaths: needs a mount namespace"
  assert_eq "$(host_mounts)" "$before" "host mounts"
}

test_rootfs_propagation_unbindable ()
{
  [ "$RT_NAME" != runc ] || skip "runc 1.1 binds the rootfs after making / unbindable (EINVAL)"
  new_bundle
  cfg '.linux.rootfsPropagation = "unbindable"'
  in_ctr 'awk "\$5 == \"/\"" /proc/self/mountinfo'
  assert_contains "$out" "unbindable" "root propagation"
}

test_masked_symlink_resolves_inside_the_root ()
{
  new_bundle
  echo image-secret >"$B/rootfs/etc/target"
  local host=$T_DIR/$ID.host
  echo host-file >"$host"
  # an absolute link and one that climbs: both stay in the root
  ln -s /etc/target "$B/rootfs/link-in"
  ln -s "../../../../../../..$host" "$B/rootfs/link-up"
  cfg '.linux.maskedPaths += ["/link-in", "/link-up"]'
  in_ctr 'cat /etc/target; echo end'
  assert_eq "$out" end "the link's target inside the root is masked"
  assert_eq "$(cat "$host")" host-file "host file"
  [ -L "$B/rootfs/link-up" ]
}

test_readonly_symlink_resolves_inside_the_root ()
{
  new_bundle
  mkdir -p "$B/rootfs/data"
  ln -s /data "$B/rootfs/ro-link"
  cfg '.linux.readonlyPaths += ["/ro-link"]'
  in_ctr 'touch /data/x 2>/dev/null || echo data-ro; touch /tmp/x && echo tmp-rw'
  assert_eq "$out" $'data-ro\ntmp-rw' "the link's target inside the root is read-only"
}

test_masked_symlink_to_a_magic_link_is_refused ()
{
  minirun_only "runc 1.1 follows the link"
  new_bundle
  ln -s /proc/self/root/etc/hostname "$B/rootfs/magic"
  cfg '.linux.maskedPaths += ["/magic"]'
  run_ctr
  assert_failure
  assert_contains "$err" "mask '/magic'"
}

test_mask_needs_the_real_null_device ()
{
  minirun_only "runc 1.1 binds whatever /dev/null is"
  new_bundle
  mkdir -p "$B/fakedev"
  echo leaked >"$B/fakedev/null"
  echo image-secret >"$B/rootfs/etc/secret"
  cfg '(.mounts[] | select(.destination == "/dev")) |= {"destination": "/dev", "type": "bind", "source": $d, "options": ["rbind"]}
       | .mounts |= map(select(.destination | startswith("/dev/") | not))
       | .linux.maskedPaths = ["/etc/secret"] | .linux.readonlyPaths = []' --arg d "$B/fakedev"
  run_ctr
  assert_failure
  assert_contains "$err" "/dev/null is not the null device"
}

test_no_pivot_leaves_no_host_proc ()
{
  # In a user namespace of its own (where the container's masked /proc is
  # locked, so not fully visible) a process may mount a new proc only if a
  # fully visible one is left in the mount namespace: the host's.
  new_bundle /bin/busybox unshare -mrpf /bin/sh -c 'mkdir -p /tmp/p; mount -t proc proc /tmp/p 2>&1 && echo mounted || echo refused'
  cfg '.process.capabilities.bounding += ["CAP_SETFCAP"] | .process.capabilities.permitted += ["CAP_SETFCAP"]
       | .process.capabilities.effective += ["CAP_SETFCAP"]'
  run_ctr --no-pivot
  case $out in
    *refused*) ;;
    *mounted*) fail "a new proc was mounted: the host's is reachable" ;;
    *) skip "no user namespace could be made in the container: $out" ;;
  esac
}

# tree_of DIR: every entry of DIR with what a write would change.
tree_of ()
{
  (cd "$1" && find . -printf '%p %y %m %u:%g %s %T@ %l\n' | LC_ALL=C sort)
}

test_managed_rootfs_is_left_as_it_was ()
{
  minirun_only "managed containers"
  new_bundle
  local R=$B/rootfs
  rm -f "$R/etc/hostname" "$R/etc/hosts" "$R/etc/resolv.conf"
  local before
  before=$(tree_of "$R")
  t_run rt run --rootfs "$R" --name "$ID" --hostname boxname -- sh -c 'hostname; ls /etc'
  assert_success
  assert_eq "$(head -n 1 <<<"$out")" boxname "hostname"
  t_run rt rm "$ID"
  assert_success
  assert_eq "$(tree_of "$R")" "$before" "the rootfs tree"
}

test_idmapped_bind_mount ()
{
  [ "$RT_NAME" != runc ] || skip "runc 1.1 has no id-mapped mounts"
  userns_bundle
  local src=$T_DIR/$ID.idmap
  mkdir -p "$src" "$B/rootfs/idm" "$B/rootfs/plain"
  echo root-file >"$src/by-root"
  echo user-file >"$src/by-user"
  chown 1000:1000 "$src/by-user"
  add_mount "$(jq -n --arg s "$src" '{"destination": "/idm", "type": "bind", "source": $s, "options": ["bind"],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}')"
  add_mount "$(jq -n --arg s "$src" '{"destination": "/plain", "type": "bind", "source": $s, "options": ["bind"]}')"
  sh_args 'stat -c "%n %u:%g" /idm/by-root /idm/by-user /plain/by-root; touch /idm/made-inside && echo wrote'
  run_ctr
  if [ "$status" != 0 ] && grep -q "does not support id-mapped mounts" <<<"$err"; then
    skip "the file system of $T_DIR has no id-mapped mounts on this kernel"
  fi
  assert_success
  assert_eq "$out" $'/idm/by-root 0:0\n/idm/by-user 1000:1000\n/plain/by-root 65534:65534\nwrote' "owners through the mapping"
  assert_eq "$(stat -c %u:%g "$src/made-inside")" 0:0 "a file made through the mount, seen from the host"
}

test_idmapped_mount_of_an_unsupporting_file_system_is_refused ()
{
  [ "$RT_NAME" != runc ] || skip "runc 1.1 has no id-mapped mounts"
  [ -d /sys/kernel ] || skip "no /sys/kernel"
  userns_bundle
  mkdir -p "$B/rootfs/idm"
  # sysfs has no id-mapped mounts
  add_mount '{"destination": "/idm", "type": "bind", "source": "/sys/kernel", "options": ["bind", "idmap"]}'
  sh_args true
  run_ctr
  assert_failure
  assert_contains "$err" "id-mapped mount of '/sys/kernel' on '/idm': its file system does not support id-mapped mounts"
}

test_idmapped_mount_needs_a_user_namespace ()
{
  [ "$RT_NAME" != runc ] || skip "runc 1.1 has no id-mapped mounts"
  new_bundle
  add_mount "$(jq -n --arg s "$T_DIR" '{"destination": "/idm", "type": "bind", "source": $s, "options": ["bind", "idmap"]}')"
  run_ctr
  assert_failure
  assert_contains "$err" "an id-mapped mount needs a user namespace"
}

t_ok "a bind source under a root-only directory works in a user namespace" test_bind_source_under_a_root_only_directory_in_a_user_namespace
t_ok "an unreachable bind source in a user namespace names the mount and the uid" test_unreachable_source_error_names_the_mount
t_ok "a mount point a user namespace cannot create: the error says what to do" test_missing_mount_point_in_a_user_namespace_says_what_to_do
t_ok "a rootfs a user namespace cannot reach: the error says what to do" test_unreachable_rootfs_in_a_user_namespace_says_what_to_do
t_ok "mounts are applied in config order" test_mounts_apply_in_config_order
t_ok "a tmpfs takes the mode of the directory it covers, 1777 on a new one" test_tmpfs_mode_follows_the_covered_directory
t_ok "a tmpfs mode= option wins" test_tmpfs_mode_option_wins
t_ok "a read-only /dev gets its devices, links, pts and shm first" test_readonly_dev_is_populated_first
t_ok "rro makes every mount of the tree read-only" test_rro_is_recursive
t_ok "rbind,ro makes every mount of the tree read-only" test_rbind_ro_is_recursive
t_ok "rnosuid and rnoatime reach the submounts" test_recursive_nosuid_and_noatime
t_ok "a plain bind of a tree with submounts works in a user namespace" test_plain_bind_of_a_tree_with_submounts_in_a_user_namespace
t_ok "a bind of a read-only source is read-write unless ro is given" test_bind_of_a_readonly_source_is_read_write
t_ok "a bind of a locked read-only source in a user namespace stays read-only" test_bind_of_a_locked_readonly_source_in_a_user_namespace
t_ok "atime options on tmpfs and bind mounts" test_atime_options
t_ok "without a mount namespace the container is chroot'ed in the host's, no mount made" test_no_mount_namespace_runs_chrooted_in_the_hosts
t_ok "without a mount namespace mounts and masked paths are refused" test_no_mount_namespace_refuses_mounts
t_ok "rootfsPropagation unbindable works" test_rootfs_propagation_unbindable
t_ok "a masked symlink resolves inside the root" test_masked_symlink_resolves_inside_the_root
t_ok "a read-only symlink resolves inside the root" test_readonly_symlink_resolves_inside_the_root
t_ok "a masked symlink to a magic link is refused" test_masked_symlink_to_a_magic_link_is_refused
t_ok "masking a file needs /dev/null to be the null device" test_mask_needs_the_real_null_device
t_ok "--no-pivot leaves no host proc to mount a new one from" test_no_pivot_leaves_no_host_proc
t_ok "a managed --rootfs directory is left as it was" test_managed_rootfs_is_left_as_it_was
t_ok "an id-mapped bind mount shows owners through its mappings" test_idmapped_bind_mount
t_ok "an id-mapped mount of a file system without them is refused" test_idmapped_mount_of_an_unsupporting_file_system_is_refused
t_ok "an id-mapped mount without a user namespace is refused" test_idmapped_mount_needs_a_user_namespace
t_done
