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

t_ok "net.* without a network namespace is refused" test_net_sysctl_without_netns_is_refused
t_ok "net.* in the host's network namespace joined by path is refused" test_net_sysctl_in_joined_host_netns_is_refused
t_ok "kernel.msgmax without an ipc namespace is refused" test_ipc_sysctl_without_ipcns_is_refused
t_ok "a sysctl of no namespace is refused" test_host_only_sysctl_is_refused
t_ok "kernel.hostname conflicts with the hostname field" test_hostname_sysctl_conflicts_with_hostname
t_ok "kernel.domainname without a uts namespace is refused" test_domainname_sysctl_without_utsns_is_refused
t_ok "namespaced sysctls are set in the container" test_namespaced_sysctls_apply
t_done
