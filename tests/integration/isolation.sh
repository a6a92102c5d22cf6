#!/bin/bash
# What the process sees from inside: identity, capabilities, limits,
# environment, masked and read-only paths, mounts, devices, namespaces.
. "$(dirname "$0")/lib.sh"

# The namespace inode of the test itself, to compare with the container's.
host_ns ()
{
  readlink "/proc/$$/ns/$1"
}

test_hostname ()
{
  new_bundle
  cfg '.hostname = "isotest"'
  in_ctr 'hostname; cat /proc/sys/kernel/hostname'
  assert_eq "$out" $'isotest\nisotest' hostname
}

test_user_and_groups ()
{
  new_bundle
  cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [100, 27]}'
  in_ctr 'id -u; id -g; id -un; id -G'
  local lines
  mapfile -t lines <<<"$out"
  assert_eq "${lines[0]}" 1000 uid
  assert_eq "${lines[1]}" 1000 gid
  assert_eq "${lines[2]}" user "user name"
  assert_match " ${lines[3]} " ' 100 ' "groups"
  assert_match " ${lines[3]} " ' 27 ' "groups"
  assert_no_match " ${lines[3]} " ' 0 ' "groups"
}

test_user_without_additional_gids_has_no_root_group ()
{
  new_bundle
  cfg '.process.user = {"uid": 1000, "gid": 1000}'
  in_ctr 'grep -E "^(Uid|Gid|Groups):" /proc/self/status'
  assert_match "$out" $'Uid:\t1000\t1000\t1000\t1000' Uid
  assert_match "$out" $'Gid:\t1000\t1000\t1000\t1000' Gid
  assert_no_match "$(grep Groups <<<"$out")" '[[:space:]]0([[:space:]]|$)' "supplementary groups"
}

test_capabilities_match_the_requested_set ()
{
  new_bundle
  # CAP_CHOWN (0) and CAP_KILL (5): mask 0x21
  cfg '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN", "CAP_KILL"]}'
  in_ctr 'grep -E "^Cap(Eff|Bnd|Prm|Inh|Amb):" /proc/self/status'
  assert_match "$out" $'CapEff:\t0000000000000021' CapEff
  assert_match "$out" $'CapBnd:\t0000000000000021' CapBnd
  assert_match "$out" $'CapPrm:\t0000000000000021' CapPrm
  assert_match "$out" $'CapInh:\t0000000000000000' CapInh
}

test_capabilities_are_enforced ()
{
  new_bundle
  cfg '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
  # without CAP_CHOWN root cannot give a file away
  in_ctr 'touch /tmp/f; if chown 1000 /tmp/f 2>/dev/null; then echo chowned; else echo denied; fi'
  assert_eq "$out" denied "chown without CAP_CHOWN"
}

test_ambient_capabilities_for_a_user ()
{
  new_bundle
  local caps='["CAP_KILL"]'
  cfg '.process.user = {"uid": 1000, "gid": 1000} | .process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c, "inheritable": $c, "ambient": $c}' --argjson c "$caps"
  in_ctr 'grep -E "^Cap(Eff|Amb):" /proc/self/status'
  assert_match "$out" $'CapEff:\t0000000000000020' CapEff
  assert_match "$out" $'CapAmb:\t0000000000000020' CapAmb
}

test_rlimits ()
{
  new_bundle
  cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}, {"type": "RLIMIT_NPROC", "soft": 1000, "hard": 2000}]'
  in_ctr 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu'
  assert_eq "$(echo $out)" "123 456 1000 2000" "nofile and nproc limits"
}

test_umask ()
{
  new_bundle
  # 0027
  cfg '.process.user.umask = 23'
  in_ctr 'umask; touch /tmp/f; stat -c %a /tmp/f'
  assert_eq "$(echo $out)" "0027 640" "umask and the mode of a new file"
}

test_cwd ()
{
  new_bundle
  cfg '.process.cwd = "/home/user"'
  in_ctr 'pwd'
  assert_eq "$out" /home/user cwd
}

test_env ()
{
  new_bundle
  cfg '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY="]'
  in_ctr 'echo "$FOO|${EMPTY-unset}|$PATH"; env | grep -c ^FOO=; env | grep -c ^TERM= || true'
  assert_eq "$(head -n 1 <<<"$out")" "bar baz||/bin:/usr/bin" env
  assert_eq "$(sed -n 2p <<<"$out")" 1 "FOO set once"
  assert_eq "$(tail -n 1 <<<"$out")" 0 "variables not in process.env"
}

test_masked_paths_read_empty ()
{
  new_bundle
  echo secret >"$B/rootfs/etc/secret"
  mkdir -p "$B/rootfs/home/user/private"
  echo secret >"$B/rootfs/home/user/private/file"
  [ -n "$(head -c 1 /proc/timer_list 2>/dev/null)" ] || skip "this kernel has no /proc/timer_list"
  cfg '.linux.maskedPaths = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware", "/etc/secret", "/home/user/private", "/no/such/path"]'
  in_ctr 'echo "timer_list=$(wc -c </proc/timer_list) keys=$(wc -c </proc/keys) firmware=$(ls -A /sys/firmware | wc -l) secret=$(cat /etc/secret) private=$(ls -A /home/user/private)"
    if [ -e /proc/kcore ]; then echo "kcore=$(head -c 16 /proc/kcore | wc -c)"; else echo kcore=0; fi
    echo x >/etc/secret 2>/dev/null; echo "secret after a write=$(cat /etc/secret)"
    if touch /home/user/private/new 2>/dev/null; then echo private-writable; fi'
  assert_eq "$out" $'timer_list=0 keys=0 firmware=0 secret= private=\nkcore=0\nsecret after a write=' "masked paths"
  assert_eq "$(cat "$B/rootfs/etc/secret")" secret "the masked file in the rootfs"
}

test_readonly_paths_are_not_writable ()
{
  new_bundle
  cfg '.linux.readonlyPaths = ["/proc/sys", "/etc", "/no/such/path"]'
  # kernel.hostname is per UTS namespace, so a broken test changes nothing
  # outside the container.
  in_ctr 'for f in /proc/sys/kernel/hostname /etc/newfile; do
      if echo x >"$f" 2>/dev/null; then echo "$f writable"; else echo "$f read-only"; fi
    done
    touch /tmp/ok && echo tmp-writable'
  assert_eq "$out" $'/proc/sys/kernel/hostname read-only\n/etc/newfile read-only\ntmp-writable' "writes"
}

test_readonly_root ()
{
  new_bundle
  cfg '.root.readonly = true'
  in_ctr 'if touch /newfile 2>/dev/null; then echo writable; else echo read-only; fi
    grep -E "^[^ ]+ / " /proc/mounts | tail -n 1 | cut -d" " -f4 | cut -d, -f1'
  assert_eq "$out" $'read-only\nro' "root file system"
  [ ! -e "$B/rootfs/newfile" ] || fail "the file reached the bundle"
  new_bundle
  cfg '.root.readonly = false'
  in_ctr 'touch /newfile && echo writable'
  assert_eq "$out" writable "writable root"
}

test_tmpfs_mount_with_options ()
{
  new_bundle
  cfg '.mounts += [{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=1770"]}]'
  in_ctr 'grep " /mnt/t " /proc/mounts; stat -c %a /mnt/t'
  local line
  line=$(head -n 1 <<<"$out")
  assert_match "$line" '^tmpfs /mnt/t tmpfs ' "mount entry"
  assert_match "$line" '[ ,]nosuid[ ,]' "nosuid"
  assert_match "$line" '[ ,]nodev[ ,]' "nodev"
  assert_match "$line" '[ ,]noexec[ ,]' "noexec"
  assert_match "$line" '[ ,]size=1024k[ ,]' "size"
  assert_match "$line" '[ ,]mode=1770[ ,]' "mode"
  assert_eq "$(tail -n 1 <<<"$out")" 1770 "mode of the mount point"
}

test_readonly_bind_mount_of_a_host_dir ()
{
  new_bundle
  mkdir -p "$T_DIR/hostdir-$ID"
  echo from-host >"$T_DIR/hostdir-$ID/file"
  cfg '.mounts += [{"destination": "/mnt/host", "type": "bind", "source": $src, "options": ["rbind", "ro"]}]' --arg src "$T_DIR/hostdir-$ID"
  in_ctr 'cat /mnt/host/file
    if echo x >/mnt/host/file 2>/dev/null; then echo writable; else echo read-only; fi
    if touch /mnt/host/new 2>/dev/null; then echo writable; else echo read-only; fi'
  assert_eq "$out" $'from-host\nread-only\nread-only' "bind mount"
  assert_eq "$(cat "$T_DIR/hostdir-$ID/file")" from-host "host file"
  [ ! -e "$T_DIR/hostdir-$ID/new" ] || fail "file created through a read-only bind"
}

test_bind_mount_of_a_file_and_new_mount_points ()
{
  new_bundle
  echo file-content >"$T_DIR/hostfile-$ID"
  mkdir -p "$T_DIR/hostrw-$ID"
  cfg '.mounts += [{"destination": "/etc/injected", "type": "bind", "source": $f, "options": ["bind", "ro"]},
                   {"destination": "/mnt/new/deep/rw", "type": "bind", "source": $d, "options": ["rbind", "rw"]}]' \
    --arg f "$T_DIR/hostfile-$ID" --arg d "$T_DIR/hostrw-$ID"
  in_ctr 'cat /etc/injected; echo written >/mnt/new/deep/rw/out'
  assert_eq "$out" file-content "bound file"
  assert_eq "$(cat "$T_DIR/hostrw-$ID/out")" written "write through a rw bind"
}

test_tmpcopyup_copies_the_image_dir ()
{
  new_bundle
  mkdir -p "$B/rootfs/data/sub"
  echo image >"$B/rootfs/data/sub/file"
  chmod 750 "$B/rootfs/data"
  cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=750"]}]'
  in_ctr 'grep -c " /data tmpfs " /proc/mounts; cat /data/sub/file; echo changed >/data/sub/file; cat /data/sub/file'
  assert_eq "$out" $'1\nimage\nchanged' "tmpcopyup"
  assert_eq "$(cat "$B/rootfs/data/sub/file")" image "the image file is untouched"
}

test_dev_has_the_default_devices ()
{
  new_bundle
  in_ctr 'for d in null zero full random urandom tty; do
      if [ -c /dev/$d ]; then echo "$d char"; else echo "$d missing"; fi
    done
    if [ -e /dev/ptmx ]; then echo ptmx; fi
    for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
    head -c 3 /dev/zero | wc -c
    echo x >/dev/null && echo null-writable
    if echo x >/dev/full 2>/dev/null; then echo full-accepts; else echo full-refuses; fi
    head -c 8 /dev/urandom | wc -c'
  local expected
  expected='null char
zero char
full char
random char
urandom char
tty char
ptmx
fd -> /proc/self/fd
stdin -> /proc/self/fd/0
stdout -> /proc/self/fd/1
stderr -> /proc/self/fd/2
3
null-writable
full-refuses
8'
  assert_eq "$out" "$expected" "/dev"
}

test_dev_null_is_the_real_device ()
{
  new_bundle
  in_ctr 'stat -c "%t:%T" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty'
  assert_eq "$(echo $out)" "1:3 1:5 1:7 1:8 1:9 5:0" "major:minor (hex)"
}

test_linux_devices_entry_is_created ()
{
  new_bundle
  cfg '.linux.devices = [{"path": "/dev/mrtnull", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 1000, "gid": 100}]
       | .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
  # owned by uid 1000, so writable by that user without CAP_DAC_OVERRIDE
  cfg '.process.user = {"uid": 1000, "gid": 1000}'
  in_ctr 'stat -c "%F %t:%T %a %u %g" /dev/mrtnull; echo x >/dev/mrtnull && echo usable'
  assert_eq "$out" $'character special file 1:3 640 1000 100\nusable' "device node"
}

test_no_new_privileges ()
{
  new_bundle
  cfg '.process.noNewPrivileges = true'
  in_ctr 'grep NoNewPrivs /proc/self/status'
  assert_eq "$out" $'NoNewPrivs:\t1' "with noNewPrivileges"
  new_bundle
  cfg '.process.noNewPrivileges = false'
  in_ctr 'grep NoNewPrivs /proc/self/status'
  assert_eq "$out" $'NoNewPrivs:\t0' "without noNewPrivileges"
}

test_oom_score_adj ()
{
  new_bundle
  cfg '.process.oomScoreAdj = 123'
  in_ctr 'cat /proc/self/oom_score_adj'
  assert_eq "$out" 123 oom_score_adj
}

test_sysctl_in_ipc_namespace ()
{
  new_bundle
  local host
  host=$(cat /proc/sys/kernel/msgmax)
  cfg '.linux.sysctl = {"kernel.msgmax": "4321", "kernel.shmmni": "1234"}'
  in_ctr 'cat /proc/sys/kernel/msgmax /proc/sys/kernel/shmmni'
  assert_eq "$(echo $out)" "4321 1234" "sysctls inside"
  assert_eq "$(cat /proc/sys/kernel/msgmax)" "$host" "msgmax of the host"
}

test_sysctl_in_net_namespace ()
{
  new_bundle
  cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "net.ipv4.ping_group_range": "0 0"}'
  in_ctr 'cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/net/ipv4/ping_group_range'
  assert_eq "$(echo $out)" "1 0 0" "sysctls inside"
}

test_pid_namespace ()
{
  new_bundle
  in_ctr 'echo $$; readlink /proc/self/ns/pid; ps -o pid | tail -n +2 | wc -l'
  local lines
  mapfile -t lines <<<"$out"
  assert_eq "${lines[0]}" 1 "pid of init"
  assert_ne "${lines[1]}" "$(host_ns pid)" "pid namespace"
  # sh, ps and the pipeline helpers only: no host processes
  [ "${lines[2]}" -le 5 ] || fail "${lines[2]} processes visible"
}

test_net_namespace_has_only_lo ()
{
  new_bundle
  in_ctr 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; readlink /proc/self/ns/net'
  assert_eq "$(head -n 1 <<<"$out")" lo interfaces
  assert_eq "$(wc -l <<<"$out")" 2 "interfaces (only lo)"
  assert_ne "$(tail -n 1 <<<"$out")" "$(host_ns net)" "net namespace"
}

test_uts_ipc_mount_namespaces ()
{
  new_bundle
  in_ctr 'for n in uts ipc mnt; do readlink /proc/self/ns/$n; done'
  local lines
  mapfile -t lines <<<"$out"
  assert_ne "${lines[0]}" "$(host_ns uts)" "uts namespace"
  assert_ne "${lines[1]}" "$(host_ns ipc)" "ipc namespace"
  assert_ne "${lines[2]}" "$(host_ns mnt)" "mount namespace"
}

test_namespace_not_requested_is_shared ()
{
  new_bundle
  cfg '.linux.namespaces |= map(select(.type != "network" and .type != "ipc"))'
  in_ctr 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'
  assert_eq "$(echo $out)" "$(host_ns net) $(host_ns ipc)" "shared namespaces"
}

test_join_net_namespace_by_path ()
{
  command -v ip >/dev/null || skip "ip (iproute2) is not installed"
  new_bundle
  local ns=$T_TAG-$RANDOM
  # `ip netns add` makes /run/netns a mount point the first time and leaves
  # it so: if this test is that first time, it also undoes that (once no
  # namespace is left in it)
  if [ ! -e /run/netns ]; then
    defer sh -c '[ -z "$(ls -A /run/netns)" ] && umount /run/netns && rmdir /run/netns'
  elif ! mountpoint -q /run/netns; then
    defer sh -c '[ -z "$(ls -A /run/netns)" ] && umount /run/netns'
  fi
  ip netns add "$ns"
  defer ip netns delete "$ns"
  # a mark that only this namespace has
  ip -n "$ns" link set lo mtu 1234
  cfg '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/var/run/netns/$ns"
  in_ctr 'cat /sys/class/net/lo/mtu; stat -L -c %i /proc/self/ns/net'
  assert_eq "$(head -n 1 <<<"$out")" 1234 "mtu of lo"
  assert_eq "$(tail -n 1 <<<"$out")" "$(stat -L -c %i "/var/run/netns/$ns")" "net namespace inode"
}

test_join_uts_namespace_of_another_container ()
{
  new_bundle /bin/sleep 600
  cfg '.hostname = "alpha"'
  start_ctr
  local pid
  pid=$(ctr_pid "$ID")
  new_bundle
  cfg 'del(.hostname) | .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)' --arg p "/proc/$pid/ns/uts"
  in_ctr 'hostname; readlink /proc/self/ns/uts'
  assert_eq "$(head -n 1 <<<"$out")" alpha "hostname of the joined namespace"
  assert_eq "$(tail -n 1 <<<"$out")" "$(readlink "/proc/$pid/ns/uts")" "uts namespace"
}

test_user_namespace_with_mappings ()
{
  [ -e /proc/self/ns/user ] || skip "no user namespaces"
  need_reach 100000 100000
  new_bundle /bin/sh -c 'cat /proc/self/uid_map /proc/self/gid_map >/tmp/maps; id -u >>/tmp/maps; exec sleep 600'
  chmod -R go+rX "$B"
  cfg '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  start_ctr
  local pid
  pid=$(ctr_pid "$ID")
  wait_for 5 test -s "$B/rootfs/tmp/maps"
  wait_for 5 grep -qx 0 "$B/rootfs/tmp/maps"
  assert_eq "$(awk '{ print $1, $2, $3 }' "$B/rootfs/tmp/maps" | head -n 2 | tr '\n' ' ')" "0 100000 65536 0 100000 65536 " "uid_map and gid_map"
  assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" 100000 "uid seen from the host"
  assert_eq "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" 100000 "gid seen from the host"
  assert_ne "$(readlink "/proc/$pid/ns/user")" "$(host_ns user)" "user namespace"
}

test_user_namespace_root_that_cannot_reach_the_rootfs_is_explained ()
{
  [ -e /proc/self/ns/user ] || skip "no user namespaces"
  need_reach 100000 100000
  new_bundle /bin/true
  chmod -R go+rX "$B"
  # the bundle moves into a directory the mapped root may not search
  local priv=$T_DIR/private-$ID
  mkdir -m 0700 "$priv"
  mv "$B" "$priv/"
  B=$priv/$(basename "$B")
  cfg '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  t_run rt create --bundle "$B" "$ID"
  assert_failure
  assert_contains "$out$err" "host uid 100000 gid 100000, which may not search '$priv' (mode 0700, owner 0:0)" error
  assert_contains "$out$err" "chmod o+x '$priv'" "what to do"
  [ ! -e "$T_ROOT/$ID" ] || fail "state left behind"
}

t_ok "hostname is set" test_hostname
t_ok "process.user sets uid, gid and additional gids" test_user_and_groups
t_ok "a user without additionalGids has no supplementary root group" test_user_without_additional_gids_has_no_root_group
t_ok "CapEff, CapBnd and CapPrm match the requested set" test_capabilities_match_the_requested_set
t_ok "a capability not granted is not usable" test_capabilities_are_enforced
t_ok "ambient capabilities reach a non-root user" test_ambient_capabilities_for_a_user
t_ok "rlimits are applied" test_rlimits
t_ok "process.user.umask is applied" test_umask
t_ok "process.cwd is the working directory" test_cwd
t_ok "process.env is the environment" test_env
t_ok "masked paths read empty and cannot be written" test_masked_paths_read_empty
t_ok "readonly paths cannot be written" test_readonly_paths_are_not_writable
t_ok "root.readonly makes / read-only" test_readonly_root
t_ok "a tmpfs mount gets its options" test_tmpfs_mount_with_options
t_ok "a read-only bind mount of a host directory" test_readonly_bind_mount_of_a_host_dir
t_ok "a bind mount of a file and a new nested mount point" test_bind_mount_of_a_file_and_new_mount_points
t_ok "tmpcopyup copies the image directory into the tmpfs" test_tmpcopyup_copies_the_image_dir
t_ok "/dev has the default devices and links" test_dev_has_the_default_devices
t_ok "the default devices have the right numbers" test_dev_null_is_the_real_device
t_ok "a linux.devices entry is created with its mode and owner" test_linux_devices_entry_is_created
t_ok "noNewPrivileges sets NoNewPrivs" test_no_new_privileges
t_ok "oomScoreAdj is applied" test_oom_score_adj
t_ok "ipc sysctls are set in the container only" test_sysctl_in_ipc_namespace
t_ok "net sysctls are set in the container's namespace" test_sysctl_in_net_namespace
t_ok "pid namespace: the process is pid 1" test_pid_namespace
t_ok "net namespace: only lo" test_net_namespace_has_only_lo
t_ok "uts, ipc and mount namespaces are new" test_uts_ipc_mount_namespaces
t_ok "a user namespace's root that cannot reach its rootfs is told which directory and what to do" test_user_namespace_root_that_cannot_reach_the_rootfs_is_explained
t_ok "a namespace not in the list is the host's" test_namespace_not_requested_is_shared
t_ok "a net namespace is joined by path" test_join_net_namespace_by_path
t_ok "the uts namespace of another container is joined" test_join_uts_namespace_of_another_container
t_ok "a user namespace maps uid 0 to 100000" test_user_namespace_with_mappings
t_done
