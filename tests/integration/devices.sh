#!/bin/bash
# linux.devices, the device cgroup, and which linux.sysctl keys a container
# may set (only those of namespaces it has of its own).
. "$(dirname "$0")/lib.sh"

# without_ns TYPE: drops the namespace TYPE from $B's config.
without_ns ()
{
  cfg '.linux.namespaces |= map(select(.type != $t))' --arg t "$1"
}

# refused_sysctl KEY VALUE WORD: the run fails before anything is made, the
# error names KEY and WORD, and the host's value of KEY is unchanged (the
# tests pass the host's own value where a runtime that wrote it would reach the
# host, so that a failing runtime changes nothing either).
refused_sysctl ()
{
  local key=$1 value=$2 word=$3 file host
  file=/proc/sys/$(printf '%s' "$key" | tr . /)
  host=$(cat "$file")
  cfg '.linux.sysctl = {($k): $v}' --arg k "$key" --arg v "$value"
  t_run rt run --bundle "$B" "$ID"
  assert_failure
  assert_eq "$(cat "$file")" "$host" "the host's $key"
  if [ "$RT_NAME" != runc ]; then
    assert_contains "$err" "$key" "error message"
    assert_contains "$err" "$word" "error message"
  fi
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

test_net_sysctl_without_netns_is_refused ()
{
  new_bundle
  without_ns network
  # the host's own value, so that a runtime that writes it changes nothing
  refused_sysctl net.ipv4.ip_forward "$(cat /proc/sys/net/ipv4/ip_forward)" network
}

test_net_sysctl_in_joined_host_netns_is_refused ()
{
  new_bundle
  cfg '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/net" else . end)'
  refused_sysctl net.ipv4.ping_group_range "$(cat /proc/sys/net/ipv4/ping_group_range)" network
}

test_ipc_sysctl_without_ipcns_is_refused ()
{
  new_bundle
  without_ns ipc
  refused_sysctl kernel.msgmax "$(cat /proc/sys/kernel/msgmax)" ipc
}

test_host_only_sysctl_is_refused ()
{
  new_bundle
  refused_sysctl vm.overcommit_ratio "$(cat /proc/sys/vm/overcommit_ratio)" namespace
}

test_hostname_sysctl_conflicts_with_hostname ()
{
  new_bundle
  cfg '.hostname = "box"'
  refused_sysctl kernel.hostname other hostname
}

test_domainname_sysctl_without_utsns_is_refused ()
{
  new_bundle
  without_ns uts
  cfg 'del(.hostname)'
  refused_sysctl kernel.domainname "$(cat /proc/sys/kernel/domainname)" uts
}

test_namespaced_sysctls_apply ()
{
  new_bundle
  cfg 'del(.hostname) | .linux.sysctl = {"kernel.domainname": "example.org", "fs.mqueue.msg_max": "17", "net.ipv4.ip_forward": "1"}'
  in_ctr 'cat /proc/sys/kernel/domainname /proc/sys/fs/mqueue/msg_max /proc/sys/net/ipv4/ip_forward'
  assert_eq "$(echo $out)" "example.org 17 1" "sysctls inside"
}

# --- linux.devices --------------------------------------------------------

# allow_dev TYPE MAJOR MINOR: a device cgroup rule for it.
allow_dev ()
{
  cfg '.linux.resources.devices += [{"allow": true, "type": $t, "major": ($a|tonumber), "minor": ($i|tonumber), "access": "rwm"}]' \
    --arg t "$1" --arg a "$2" --arg i "$3"
}

userns ()
{
  [ -e /proc/self/ns/user ] || skip "no user namespaces"
  need_reach 100000 100000
  chmod -R go+rX "$B"
  cfg '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

test_file_mode_with_type_bits ()
{
  new_bundle
  # 8630 = 020666 and 8576 = 020600, as Podman sends them
  cfg '.linux.devices = [{"path": "/dev/mrtnull", "type": "c", "major": 1, "minor": 3, "fileMode": 8630},
                         {"path": "/dev/mrtzero", "type": "c", "major": 1, "minor": 5, "fileMode": 8576, "uid": 0, "gid": 0}]'
  allow_dev c 1 3
  allow_dev c 1 5
  in_ctr 'stat -c "%F %t:%T %a" /dev/mrtnull /dev/mrtzero'
  assert_eq "$out" $'character special file 1:3 666\ncharacter special file 1:5 600' "device nodes"
}

test_file_mode_type_bits_must_match ()
{
  new_bundle
  cfg '.linux.devices = [{"path": "/dev/mrtblk", "type": "b", "major": 7, "minor": 0, "fileMode": 8630}]'
  t_run rt run --bundle "$B" "$ID"
  assert_failure
  if [ "$RT_NAME" = minirun ]; then
    assert_contains "$err" "linux.devices[0].fileMode" "error message"
  fi
  [ ! -e "$T_ROOT/$ID" ] || fail "state directory left"
}

test_device_outside_dev ()
{
  new_bundle
  cfg '.linux.devices = [{"path": "/opt/mrt/sub/null", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]'
  allow_dev c 1 3
  in_ctr 'stat -c "%F %t:%T %a" /opt/mrt/sub/null; echo x >/opt/mrt/sub/null && echo usable'
  assert_eq "$out" $'character special file 1:3 666\nusable' "device node outside /dev"
}

test_userns_device_bound_from_the_host_node ()
{
  # runc 1.1.5 binds only the host's node at the same path
  minirun_only "a device the host has at another path is bound from there"
  new_bundle
  userns
  cfg '.linux.devices = [{"path": "/dev/mrtnull", "type": "c", "major": 1, "minor": 3}]'
  allow_dev c 1 3
  in_ctr 'stat -c "%F %t:%T" /dev/mrtnull; echo x >/dev/mrtnull && echo usable'
  assert_eq "$out" $'character special file 1:3\nusable' "device bound from the host's /dev/null"
}

test_userns_device_without_host_node_fails ()
{
  new_bundle
  userns
  # no host has a character device 1:250 (mem minors end at 12)
  cfg '.linux.devices = [{"path": "/dev/mrtnone", "type": "c", "major": 1, "minor": 250}]'
  t_run rt run --bundle "$B" "$ID"
  assert_failure
  if [ "$RT_NAME" = minirun ]; then
    assert_contains "$err" "/dev/mrtnone" "error message"
    assert_contains "$err" "1:250" "error message"
  fi
}

# --- the device cgroup ----------------------------------------------------

# c 10:229 (fuse) is in no default allow list, and root opens it without
# a capability (unlike kmsg or port, refused on capabilities); opening it
# changes nothing.
PROBE='if head -c 0 /dev/mrtfuse 2>/tmp/err; then echo opened; else cat /tmp/err; fi'
FUSE='{"path": "/dev/mrtfuse", "type": "c", "major": 10, "minor": 229}'

test_linux_device_is_not_allowed_by_being_made ()
{
  new_bundle
  cfg '.linux.devices = [$d]' --argjson d "$FUSE"
  in_ctr "$PROBE"
  assert_contains "$out" "Operation not permitted" "open of a linux.devices entry no rule allows"
}

test_linux_device_allowed_by_a_rule ()
{
  new_bundle
  cfg '.linux.devices = [$d]' --argjson d "$FUSE"
  allow_dev c 10 229
  in_ctr "$PROBE"
  case $out in *"No such device"*) skip "no fuse in this kernel" ;; esac
  assert_eq "$out" opened "open of a device a rule allows"
}

test_deny_all_is_the_default ()
{
  new_bundle
  cfg '.linux.resources = {} | .linux.devices = [$d]' --argjson d "$FUSE"
  in_ctr "$PROBE; echo x >/dev/null && echo null-ok"
  assert_contains "$out" "Operation not permitted" "without device rules"
  assert_eq "$(tail -n 1 <<<"$out")" null-ok "/dev/null without device rules"
}

test_no_resources_denies_all_but_the_defaults ()
{
  new_bundle
  cfg 'del(.linux.resources) | .linux.devices = [$d]' --argjson d "$FUSE"
  in_ctr "$PROBE; echo x >/dev/null && echo null-ok"
  assert_contains "$out" "Operation not permitted" "without linux.resources"
  assert_eq "$(tail -n 1 <<<"$out")" null-ok "/dev/null without linux.resources"
}

test_device_deny_rule ()
{
  new_bundle
  cfg '.linux.devices = [$d]
       | .linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"},
                                      {"allow": false, "type": "c", "major": 10, "minor": 229, "access": "r"}]' \
    --argjson d "$FUSE"
  in_ctr "$PROBE"
  assert_contains "$out" "Operation not permitted" "read of a device whose read is denied"
}

# An update with the rules the cgroup already has writes nothing that
# takes /dev/null away, even for a moment: the container keeps opening it
# all the while.
test_update_keeps_allowed_devices_allowed ()
{
  [ "$(cg_mode)" = v1 ] || skip "v1 devices controller (v2 swaps a whole program)"
  new_bundle /bin/sh -c 'while :; do echo -n >/dev/null || echo lost >/tmp/lost; done'
  allow_dev c 10 229
  start_ctr
  local res i
  res=$(jq -c '.linux.resources | {devices}' "$B/config.json")
  printf '%s\n' "$res" >"$T_DIR/res-$ID.json"
  for i in $(seq 1 40); do
    t_run rt update --resources "$T_DIR/res-$ID.json" "$ID"
    assert_success
  done
  [ ! -e "$B/rootfs/tmp/lost" ] || fail "/dev/null was denied during an update"
  assert_contains "$(cg_read "$(ctr_pid "$ID")" devices devices.list)" "c 10:229 rwm" "devices.list"
}

t_ok "net.* without a network namespace is refused" test_net_sysctl_without_netns_is_refused
t_ok "net.* in the host's network namespace joined by path is refused" test_net_sysctl_in_joined_host_netns_is_refused
t_ok "kernel.msgmax without an ipc namespace is refused" test_ipc_sysctl_without_ipcns_is_refused
t_ok "a sysctl of no namespace is refused" test_host_only_sysctl_is_refused
t_ok "kernel.hostname conflicts with the hostname field" test_hostname_sysctl_conflicts_with_hostname
t_ok "kernel.domainname without a uts namespace is refused" test_domainname_sysctl_without_utsns_is_refused
t_ok "namespaced sysctls are set in the container" test_namespaced_sysctls_apply
t_ok "fileMode may carry the device's type bits" test_file_mode_with_type_bits
t_ok "fileMode type bits of another type are refused" test_file_mode_type_bits_must_match
t_ok "a device outside /dev is made, with its parent directories" test_device_outside_dev
t_ok "in a user namespace a device is bound from the host's node of its number" test_userns_device_bound_from_the_host_node
t_ok "in a user namespace a device the host lacks is an error" test_userns_device_without_host_node_fails
t_ok "a linux.devices entry is not allowed in the device cgroup by being made" test_linux_device_is_not_allowed_by_being_made
t_ok "a linux.devices entry is allowed by a resources.devices rule" test_linux_device_allowed_by_a_rule
t_ok "without device rules everything but the defaults is denied" test_deny_all_is_the_default
t_ok "without linux.resources everything but the defaults is denied" test_no_resources_denies_all_but_the_defaults
t_ok "a device deny rule takes its access away" test_device_deny_rule
t_ok "an update to the same device rules never denies /dev/null" test_update_keeps_allowed_devices_allowed
t_done
