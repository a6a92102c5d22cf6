#!/bin/bash
# Managed containers are confined by default: Docker's seccomp semantics,
# Podman's capability set; --security-opt, --cap-add and --privileged undo
# it; inspect tells what a container runs with.
. "$(dirname "$0")/lib.sh"

[ "$RT_NAME" = minirun ] || t_skip_all "managed containers are minirun's ($RT_NAME)"

# A static probe of the calls the default profile decides on: prints
# "CALL: ok" or "CALL: ERRNO-NAME".
PROBE_SRC='
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int
main (int argc, char **argv)
{
  const char *w = argc > 1 ? argv[1] : "";
  long r = -1;
  if (!strcmp (w, "add_key"))
    r = syscall (SYS_add_key, "user", "probe", "v", 1, -2);
  else if (!strcmp (w, "unshare-user"))
    r = unshare (CLONE_NEWUSER);
  else if (!strcmp (w, "perf"))
    {
      struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE, .size = sizeof a,
                                   .config = PERF_COUNT_SW_CPU_CLOCK, .exclude_kernel = 1 };
      r = syscall (SYS_perf_event_open, &a, 0, -1, -1, 0);
    }
  else if (!strcmp (w, "clone3"))
    r = syscall (SYS_clone3, NULL, 0);
  else if (!strcmp (w, "fork"))
    {
      pid_t p = fork ();
      if (p == 0)
        _exit (0);
      r = p;
    }
  if (r < 0)
    {
      printf ("%s: %s\n", w, strerrorname_np (errno));
      return 1;
    }
  printf ("%s: ok\n", w);
  return 0;
}'

PROBE=$T_DIR/probe
if command -v cc >/dev/null && printf '%s\n' "$PROBE_SRC" | cc -static -O -x c -o "$PROBE" - 2>/dev/null; then
  :
else
  PROBE=
fi

# mk: a rootfs ($R, with the probe as /bin/probe when it could be built)
# and a name ($ID).
mk ()
{
  new_bundle
  R=$B/rootfs
  [ -z "$PROBE" ] || cp "$PROBE" "$R/bin/probe"
}

need_probe ()
{
  [ -n "$PROBE" ] || skip "no C compiler with a static libc to build the probe"
}

# in_managed ARGS... -- CMD...: runs a managed container, its output in $out.
in_managed ()
{
  t_run rt run --rm --rootfs "$R" "$@"
}

default_profile_blocks_userns_keyring_and_perf ()
{
  mk
  in_managed -- sh -c 'unshare -U true 2>/dev/null && echo unshared || echo refused'
  assert_eq "$out" refused "unshare -U"
  in_managed -- sh -c 'grep "^Seccomp:" /proc/self/status'
  assert_match "$out" "Seccomp:.2" "seccomp mode"
  need_probe
  in_managed -- probe add_key
  assert_eq "$out" "add_key: EPERM" "add_key"
  in_managed -- probe unshare-user
  assert_eq "$out" "unshare-user: EPERM" "unshare(CLONE_NEWUSER)"
  in_managed -- probe perf
  assert_eq "$out" "perf: EPERM" "perf_event_open"
  in_managed -- probe clone3
  assert_eq "$out" "clone3: ENOSYS" "clone3"
}

normal_commands_work_under_the_default_profile ()
{
  mk
  in_managed -- sh -c 'mkdir /tmp/d && echo hi >/tmp/d/f && cat /tmp/d/f && ls /tmp/d | wc -l && (sleep 0; echo sub) && ps >/dev/null && echo done'
  assert_success
  assert_eq "$out" $'hi\n1\nsub\ndone' output
  if [ -n "$PROBE" ]; then
    in_managed -- probe fork
    assert_eq "$out" "fork: ok" fork
  fi
}

cap_sys_admin_allows_unshare_as_docker ()
{
  mk
  in_managed --cap-add SYS_ADMIN -- sh -c 'unshare -U true && echo unshared'
  assert_eq "$out" unshared "unshare -U with CAP_SYS_ADMIN"
  in_managed --cap-add ALL -- sh -c 'unshare -U true && echo unshared'
  assert_eq "$out" unshared "unshare -U with --cap-add ALL"
  in_managed --cap-add ALL --cap-drop SYS_ADMIN -- sh -c 'unshare -U true 2>/dev/null && echo unshared || echo refused'
  assert_eq "$out" refused "unshare -U with --cap-add ALL --cap-drop SYS_ADMIN"
  need_probe
  # still never: the keyring is not namespaced
  in_managed --cap-add SYS_ADMIN -- probe add_key
  assert_eq "$out" "add_key: EPERM" "add_key with CAP_SYS_ADMIN"
}

seccomp_unconfined_removes_the_filter ()
{
  mk
  in_managed --security-opt seccomp=unconfined -- sh -c 'grep "^Seccomp:" /proc/self/status'
  assert_match "$out" "Seccomp:.0" "seccomp mode"
  rt create --rootfs "$R" --name "$ID" --security-opt seccomp=unconfined -- true >/dev/null
  [ "$(rt inspect "$ID" | jq -r '.[0].Security.Seccomp')" = unconfined ] || fail "inspect Security.Seccomp"
  [ "$(rt inspect "$ID" | jq -r '.[0].HostConfig.SecurityOpt | join(",")')" = seccomp=unconfined ] ||
    fail "inspect HostConfig.SecurityOpt"
}

custom_profile_is_used ()
{
  mk
  # Docker's format: everything allowed but mkdir
  cat >"$T_DIR/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
             {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
               "comment": "no directories"}]}
JSON
  in_managed --security-opt "seccomp=$T_DIR/profile.json" -- sh -c 'mkdir /tmp/x 2>&1; unshare -U true && echo unshared'
  assert_match "$out" "Permission denied" "mkdir refused by the profile"
  assert_match "$out" "unshared" "unshare allowed by the profile"
  rt create --rootfs "$R" --name "$ID" --security-opt "seccomp=$T_DIR/profile.json" -- true >/dev/null
  [ "$(rt inspect "$ID" | jq -r '.[0].Security.Seccomp')" = "$T_DIR/profile.json" ] || fail "inspect Security.Seccomp"
}

no_new_privileges_is_set ()
{
  mk
  in_managed --security-opt no-new-privileges -- sh -c 'grep "^NoNewPrivs:" /proc/self/status'
  assert_match "$out" "NoNewPrivs:.1" "with the option"
  in_managed --security-opt no-new-privileges=false -- sh -c 'grep "^NoNewPrivs:" /proc/self/status'
  assert_match "$out" "NoNewPrivs:.0" "=false"
  in_managed -- sh -c 'grep "^NoNewPrivs:" /proc/self/status'
  assert_match "$out" "NoNewPrivs:.0" "default"
}

mknod_needs_cap_add ()
{
  mk
  in_managed -- sh -c 'mknod /tmp/n c 1 3 2>/dev/null && echo made || echo refused; grep CapBnd /proc/self/status'
  assert_match "$out" refused "mknod by default"
  in_managed --cap-add MKNOD -- sh -c 'rm -f /tmp/n; mknod /tmp/n c 1 3 && echo made; rm -f /tmp/n'
  assert_eq "$out" made "mknod with --cap-add MKNOD"
}

privileged_gets_all_caps_devices_and_no_filter ()
{
  mk
  in_managed --privileged -- sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true && echo unshared; [ -c /dev/kmsg ] && echo kmsg; mount | grep " /sys " | grep -q "(rw," && echo sysrw; cat /proc/self/mountinfo | grep -c " /proc/sys " || true'
  assert_match "$out" "Seccomp:.0" "no seccomp"
  assert_match "$out" unshared "unshare"
  if [ -c /dev/kmsg ]; then assert_match "$out" kmsg "host devices"; fi
  assert_match "$out" sysrw "/sys writable"
  [ "$(tail -n 1 <<<"$out")" = 0 ] || fail "/proc/sys is still a read-only mount: $out"
  rt create --rootfs "$R" --name "$ID" --privileged -- true >/dev/null
  rt inspect "$ID" | jq -e '.[0].Security.Privileged and .[0].HostConfig.Privileged and (.[0].Security.Capabilities | index("CAP_SYS_ADMIN"))' >/dev/null ||
    fail "inspect: $(rt inspect "$ID" | jq -c '.[0].Security')"
}

inspect_shows_the_default_settings ()
{
  mk
  rt create --rootfs "$R" --name "$ID" --cap-add NET_ADMIN --cap-drop CHOWN -- true >/dev/null
  t_run rt inspect "$ID"
  jq -e '.[0].Security | .Seccomp == "default" and .NoNewPrivileges == false and .Privileged == false
         and (.Capabilities | index("CAP_NET_ADMIN")) and (.Capabilities | index("CAP_CHOWN") | not)
         and (.Capabilities | index("CAP_MKNOD") | not)' <<<"$out" >/dev/null ||
    fail "Security: $(jq -c '.[0].Security' <<<"$out")"
  jq -e '.[0].HostConfig | .Privileged == false and .SecurityOpt == [] and .CapAdd == ["CAP_NET_ADMIN"] and .CapDrop == ["CAP_CHOWN"]' <<<"$out" >/dev/null ||
    fail "HostConfig: $(jq -c '.[0].HostConfig' <<<"$out")"
}

bad_security_options_fail_clearly ()
{
  mk
  t_run rt run --rm --rootfs "$R" --security-opt apparmor=unconfined -- true
  assert_failure
  assert_match "$err" "invalid --security-opt 'apparmor=unconfined'" message
  t_run rt run --rm --rootfs "$R" --security-opt seccomp=/nonexistent.json -- true
  assert_failure
  assert_match "$err" "invalid --security-opt 'seccomp=/nonexistent.json'" message
  echo '{"defaultAction": "SCMP_ACT_BOGUS"}' >"$T_DIR/bad.json"
  t_run rt create --rootfs "$R" --name "$ID" --security-opt "seccomp=$T_DIR/bad.json" -- true
  assert_failure
  assert_match "$err" "invalid --security-opt 'seccomp=" message
  t_run rt inspect "$ID"
  assert_failure
}

t_ok "default profile: unshare -U, add_key and perf_event_open fail, clone3 is ENOSYS" default_profile_blocks_userns_keyring_and_perf
t_ok "normal commands work under the default profile" normal_commands_work_under_the_default_profile
t_ok "--cap-add SYS_ADMIN allows unshare, as docker" cap_sys_admin_allows_unshare_as_docker
t_ok "--security-opt seccomp=unconfined removes the filter" seccomp_unconfined_removes_the_filter
t_ok "--security-opt seccomp=PROFILE.json (Docker's format) is used" custom_profile_is_used
t_ok "--security-opt no-new-privileges[=BOOL]" no_new_privileges_is_set
t_ok "CAP_MKNOD is not a default capability; --cap-add MKNOD gives it" mknod_needs_cap_add
t_ok "--privileged: all capabilities, host devices, no seccomp, writable /sys" privileged_gets_all_caps_devices_and_no_filter
t_ok "inspect shows the effective security settings" inspect_shows_the_default_settings
t_ok "bad --security-opt values fail naming the option" bad_security_options_fail_clearly
# --- over HTTP: the native API and the Docker API ---------------------------

. "$T_LIB_DIR/serve-lib.sh"

native_api_takes_security_opt_and_privileged ()
{
  command -v curl >/dev/null || skip "curl is needed"
  mk
  serve_start
  api_json POST /api/v1/containers 201 "$(jq -n --arg n "$ID" --arg r "$R" '{name: $n, rootfs: $r,
    command: ["true"], security_opt: ["seccomp=unconfined", "no-new-privileges"], cap_add: ["MKNOD"], cap_drop: ["CHOWN"]}')"
  t_run rt inspect "$ID"
  jq -e '.[0].Security | .Seccomp == "unconfined" and .NoNewPrivileges and (.Capabilities | index("CAP_MKNOD"))
         and (.Capabilities | index("CAP_CHOWN") | not)' <<<"$out" >/dev/null ||
    fail "Security: $(jq -c '.[0].Security' <<<"$out")"
  api_json POST /api/v1/containers 201 "$(jq -n --arg n "$ID-p" --arg r "$R" '{name: $n, rootfs: $r, command: ["true"], privileged: true}')"
  [ "$(rt inspect "$ID-p" | jq -r '.[0].Security.Privileged')" = true ] || fail "privileged not recorded"
  api_json POST /api/v1/containers 400 "$(jq -n --arg r "$R" '{rootfs: $r, security_opt: ["seccomp=/nonexistent.json"]}')"
  assert_match "$(jq -r .error.message <<<"$body")" "security-opt 'seccomp=/nonexistent.json'" message
  api_json POST /api/v1/containers 400 "$(jq -n --arg r "$R" '{rootfs: $r, security_opt: ["bogus"]}')"
  assert_match "$(jq -r .error.message <<<"$body")" "invalid --security-opt 'bogus'" message
  api_json POST /api/v1/containers 400 "$(jq -n --arg r "$R" '{rootfs: $r, privileged: "yes"}')"
}

docker_api_accepts_security_opt_and_privileged ()
{
  command -v curl >/dev/null || skip "curl is needed"
  mk
  local img
  img=sec-$(echo "$T_TAG" | tr A-Z a-z)
  rt image add "$img" "$R" >/dev/null
  defer rt image rm "$img"
  serve_start
  # docker's CLI sends a profile file's text inline
  api_json POST "/v1.47/containers/create?name=$ID" 201 "$(jq -n --arg i "$img" '{Image: $i, Cmd: ["true"],
    HostConfig: {SecurityOpt: ["no-new-privileges:true", ("seccomp=" + ({defaultAction: "SCMP_ACT_ALLOW"} | tojson))],
                 CapAdd: ["NET_ADMIN"]}}')"
  api GET "/v1.47/containers/$ID/json"
  jq -e '.HostConfig | .Privileged == false and (.SecurityOpt | length) == 2 and .CapAdd == ["CAP_NET_ADMIN"]' <<<"$body" >/dev/null ||
    fail "HostConfig: $(jq -c .HostConfig <<<"$body")"
  [ "$(rt inspect "$ID" | jq -r '.[0].Security | "\(.Seccomp) \(.NoNewPrivileges)"')" = "custom true" ] ||
    fail "Security: $(rt inspect "$ID" | jq -c '.[0].Security')"
  api_json POST "/v1.47/containers/create?name=$ID-p" 201 "$(jq -n --arg i "$img" '{Image: $i, Cmd: ["true"], HostConfig: {Privileged: true}}')"
  api GET "/v1.47/containers/$ID-p/json"
  [ "$(jq -r .HostConfig.Privileged <<<"$body")" = true ] || fail "Privileged: $(jq -c .HostConfig <<<"$body")"
  api_json POST "/v1.47/containers/create" 400 "$(jq -n --arg i "$img" '{Image: $i, HostConfig: {SecurityOpt: ["label=disable"]}}')"
  assert_match "$body" "security-opt 'label=disable'" message
}

t_ok "the native API takes security_opt, privileged, cap_add and cap_drop" native_api_takes_security_opt_and_privileged
t_ok "the Docker API takes HostConfig.SecurityOpt and Privileged; inspect shows them" docker_api_accepts_security_opt_and_privileged
docker_cli_security_options ()
{
  command -v curl >/dev/null || skip "curl is needed"
  command -v docker >/dev/null || skip "the docker CLI is not installed"
  mk
  local img
  img=sec-$(echo "$T_TAG" | tr A-Z a-z)
  rt image add "$img" "$R" >/dev/null
  defer rt image rm "$img"
  serve_start
  export DOCKER_HOST=unix://$SOCK
  echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}' >"$T_DIR/p.json"
  timeout 30 docker run -d --name "$ID" --security-opt "seccomp=$T_DIR/p.json" --security-opt no-new-privileges "$img" sleep 100 >/dev/null
  t_run timeout 30 docker exec "$ID" sh -c 'mkdir /tmp/dx 2>&1; grep NoNewPrivs /proc/self/status'
  assert_match "$out" "Operation not permitted" "mkdir under the profile"
  assert_match "$out" "NoNewPrivs:.1" "no-new-privileges"
  timeout 30 docker run -d --name "$ID-p" --privileged "$img" sleep 100 >/dev/null
  t_run timeout 30 docker exec "$ID-p" sh -c 'grep "^Seccomp:" /proc/self/status'
  assert_match "$out" "Seccomp:.0" "privileged: no filter"
  [ "$(timeout 30 docker inspect -f '{{.HostConfig.Privileged}}' "$ID-p")" = true ] || fail "docker inspect Privileged"
  timeout 30 docker rm -f "$ID" "$ID-p" >/dev/null
}

t_ok "docker run --security-opt seccomp=FILE, no-new-privileges, --privileged" docker_cli_security_options
t_done
