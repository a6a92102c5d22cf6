#!/bin/bash
# monitor-rss.sh: the memory of an idle minirun monitor beside conmon's, each
# holding one busybox container that sleeps: RSS and PSS (shared pages
# divided among their users) from /proc/PID/smaps_rollup.  podman runs with
# its state, storage and configuration in a temporary directory.
#
#   MINIRUN=./minirun tests/bench/monitor-rss.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_minirun
T=$(mktemp -d /tmp/minirun-rss.XXXXXX)
name=rss$$
cleanup ()
{
  "$MINIRUN" --root "$T/state" rm -f "$name" >/dev/null 2>&1 || true
  pm_cleanup
  remove_tmp "$T"
}
trap cleanup EXIT
bash "$here/../integration/mkrootfs.sh" "$T/rootfs" >/dev/null

row ()
{
  printf '%-22s %8s %8s %12s\n' "$1" "$(smaps_sum Rss "$2")" "$(smaps_sum Pss "$2")" "$(smaps_sum Private "$2")"
}

"$MINIRUN" --root "$T/state" run -d --rootfs "$T/rootfs" --name "$name" -- sleep 1000 >/dev/null
mon=$("$MINIRUN" --root "$T/state" inspect "$name" | jq '.[0].MonitorPid')
sleep 0.5
printf '%-22s %8s %8s %12s\n' process "RSS KiB" "PSS KiB" "Private KiB"
row "minirun monitor" "$mon"

if command -v podman >/dev/null && command -v conmon >/dev/null; then
  pm_sandbox "$T/pm" 64 none
  cid=$(pm --runtime "$(command -v runc || command -v crun)" run -d --rootfs "$T/rootfs" sleep 1000)
  con=$(pm inspect -f '{{.State.ConmonPid}}' "$cid")
  sleep 0.5
  row "conmon $(conmon --version | awk 'NR == 1 { print $3 }')" "$con"
else
  echo "# podman or conmon missing: no comparison"
fi
