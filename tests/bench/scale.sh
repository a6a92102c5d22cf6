#!/bin/bash
# scale.sh: the cost of many managed containers.  N busybox containers that
# sleep are started one after another with `minirun run -d`, each timed; then
# `list`, `stats --no-stream`, serve's GET /containers (wrk), `events` since
# the start and `rm -f` of all are timed, at 10 containers and at N; the
# memory of the idle monitors and containers is read from
# /proc/PID/smaps_rollup.  The same N run with podman (`podman run -d`, runc,
# conmon, an image imported from the same rootfs) beside it.
#
#   MINIRUN=./minirun SCALE_N=500 tests/bench/scale.sh
#
# Knobs: SCALE_N (default 20), SCALE_WRK_DURATION (wrk's -d, default 2s),
# SCALE_NETWORK (none or bridge, default none: both engines alike; what a
# bridge adds is net-bench.sh's), SCALE_PODMAN=0 to leave podman out.  The table goes to stdout and, as
# markdown, to $SCALE_OUT (default scale-results.md).
if [ -z "${BASH_VERSION:-}" ]; then
  exec bash "$0" "$@"
fi
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
N=${SCALE_N:-20}
DURATION=${SCALE_WRK_DURATION:-2s}
NET=${SCALE_NETWORK:-none}
OUT=$(realpath -m "${SCALE_OUT:-scale-results.md}")

[ "$(id -u)" = 0 ] || die "needs root"
for tool in jq wrk curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install jq wrk curl python3)"
done
[ "$N" -ge 10 ] || die "SCALE_N must be at least 10"
case $NET in none | bridge) ;; *) die "SCALE_NETWORK must be none or bridge" ;; esac
bench_minirun
# with a bridge, both engines' links and rules (podman's CNI writes the
# iptables tables nat and filter) stay in a network namespace of the run's
# own and go with it
if [ "$NET" = bridge ] && [ -z "${SCALE_IN_NAMESPACE:-}" ]; then
  command -v unshare >/dev/null || die "unshare is missing (apt-get install util-linux)"
  export MINIRUN SCALE_OUT=$OUT SCALE_IN_NAMESPACE=1
  exec unshare --net --mount --propagation private bash "$0" "$@"
fi
[ "$NET" = none ] || ip link set lo up
PODMAN=0
if [ "${SCALE_PODMAN:-1}" != 0 ] && command -v podman >/dev/null && command -v conmon >/dev/null \
  && command -v runc >/dev/null; then
  PODMAN=1
fi

T=$(mktemp -d /tmp/minirun-scale.XXXXXX)
chmod 755 "$T"
serve_pid=
PM_SERVICE_PID=
PM_TIMEOUT=300

mr ()
{
  "$MINIRUN" --root "$T/state" "$@"
}

# Everything this script made goes, whatever happened: only the containers
# in its own roots, and only the servers it started.
cleanup ()
{
  stop_pid "$serve_pid"
  stop_pid "$PM_SERVICE_PID"
  if [ -d "$T/state" ]; then
    mr list -a -q 2>/dev/null | xargs -r "$MINIRUN" --root "$T/state" rm -f >/dev/null 2>&1 || true
  fi
  pm_cleanup
  remove_tmp "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$here/../integration/mkrootfs.sh" "$T/rootfs" >/dev/null

now_ms ()
{
  local t=$EPOCHREALTIME
  echo "${t/./}" | awk '{ printf "%.3f", $1 / 1000 }'
}

# timed CMD...: the milliseconds CMD took (its output dropped)
timed ()
{
  local a=$EPOCHREALTIME b
  "$@" >/dev/null 2>&1 </dev/null || { echo "scale.sh: failed: $*" >&2; return 1; }
  b=$EPOCHREALTIME
  awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b - a) * 1000 }'
}

# best3 CMD...: the fastest of three runs, in ms, so that one stall of this
# shared machine does not stand for the verb
best3 ()
{
  local i t best=
  for i in 1 2 3; do
    t=$(timed "$@") || return 1
    best=$(awk -v a="$t" -v b="${best:-}" 'BEGIN { print (b == "" || a < b) ? a : b }')
  done
  echo "$best"
}

# wrk_ms URL [HEADER]: the time per request on one connection, in ms: the
# run's length over the requests it answered.  On one connection requests
# follow one another, so this is the mean latency; wrk's own "Latency"
# mean counts a thread that the scheduler took off the CPU between its
# write and its read as the server's time, which on two busy cores can be
# several times what the throughput allows.
wrk_ms ()
{
  local url=$1
  shift
  wrk -t1 -c1 -d"$DURATION" --timeout 30s "$@" "$url" 2>&1 | awk '
    $1 == "Requests/sec:" && $2 > 0 { printf "%.2f", 1000 / $2; found = 1 }
    END { if (!found) print "n/a" }'
}

# summary FILE (one ms a line): "first 10th last median"
summary ()
{
  echo "$(sed -n 1p "$1") $(sed -n 10p "$1") $(tail -n 1 "$1") $(window "$1" 1 '$')"
}

# window FILE FROM TO: the median of lines FROM..TO of FILE
window ()
{
  sed -n "$2,$3p" "$1" | median
}

# wakeups PID...: context switches of all the PIDs in 2 s, per second each
wakeups ()
{
  local a b
  a=$(for p in "$@"; do awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' "/proc/$p/status"; done | awk '{ n += $1 } END { print n }')
  sleep 2
  b=$(for p in "$@"; do awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' "/proc/$p/status"; done | awk '{ n += $1 } END { print n }')
  awk -v a="$a" -v b="$b" -v n="$#" 'BEGIN { printf "%.3f", (b - a) / 2 / n }'
}

declare -A R

# --- minirun -----------------------------------------------------------------

echo "# minirun: $N containers" >&2
port=$(free_port)
# not through mr: $! must be the server itself
"$MINIRUN" --root "$T/state" serve --socket "$T/minirun.sock" --listen "127.0.0.1:$port" \
  --token-file "$T/token" 2>"$T/serve.log" &
serve_pid=$!
for _ in $(seq 100); do [ -s "$T/token" ] && break; sleep 0.1; done
[ -s "$T/token" ] || die "serve made no token: $(cat "$T/serve.log")"
auth="Authorization: Bearer $(cat "$T/token")"
wait_http "http://127.0.0.1:$port/api/v1/health" -H "$auth" || die "serve does not answer"

since=$(date +%s)
: >"$T/mr-run"
t_all=$EPOCHREALTIME
for i in $(seq "$N"); do
  echo "$(timed mr run -d --network "$NET" --rootfs "$T/rootfs" --name "sc$i" -- sleep 100000)" >>"$T/mr-run"
  if [ "$i" = 10 ]; then
    R[mr_list10]=$(best3 mr list)
    R[mr_stats10]=$(best3 mr stats --no-stream)
    R[mr_serve10]=$(wrk_ms "http://127.0.0.1:$port/api/v1/containers" -H "$auth")
  fi
  [ $((i % 50)) = 0 ] && echo "#   $i started" >&2
done
R[mr_run_total_s]=$(awk -v a="$t_all" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
read -r R[mr_first] R[mr_10th] R[mr_last] R[mr_median] < <(summary "$T/mr-run")
R[mr_w10]=$(window "$T/mr-run" 6 15)
R[mr_wlast]=$(window "$T/mr-run" $((N - 9)) "$N")
R[mr_list]=$(best3 mr list)
R[mr_stats]=$(best3 mr stats --no-stream)
R[mr_serve]=$(wrk_ms "http://127.0.0.1:$port/api/v1/containers" -H "$auth")
R[mr_events]=$(best3 mr events --since "$since" --no-follow)
got=$(mr list -q | wc -l)
[ "$got" = "$N" ] || die "minirun lists $got containers, not $N"

sleep 1
mons=()
inits=()
while read -r m p; do
  mons+=("$m")
  inits+=("$p")
done < <(mr inspect $(mr list -q) | jq -r '.[] | "\(.MonitorPid) \(.State.Pid // .Pid // 0)"')
[ "${#mons[@]}" = "$N" ] || die "found ${#mons[@]} monitors, not $N"
R[mr_mon_rss]=$(($(smaps_sum Rss "${mons[@]}") / N))
R[mr_mon_pss]=$(($(smaps_sum Pss "${mons[@]}") / N))
R[mr_ctr_pss]=$(($(smaps_sum Pss "${inits[@]}") / N))
R[mr_total]=$((R[mr_mon_pss] + R[mr_ctr_pss]))
R[mr_wakeups]=$(wakeups "${mons[@]}")

stop_pid "$serve_pid"
serve_pid=
t=$(timed mr rm -f $(mr list -a -q))
R[mr_rm]=$(awk -v t="$t" -v n="$N" 'BEGIN { printf "%.2f", t / n }')
[ -z "$(mr list -a -q)" ] || die "minirun rm -f left containers"

# --- podman ------------------------------------------------------------------

if [ "$PODMAN" = 1 ]; then
  echo "# podman: $N containers" >&2
  pm_sandbox "$T/pm" $((N + 64)) "$NET"
  tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
  pm import "$T/rootfs.tar" localhost/scale-busybox >/dev/null
  rt=$(command -v runc)
  port2=$(free_port)
  pm_service "tcp:127.0.0.1:$port2"
  wait_http "http://127.0.0.1:$port2/_ping" || die "podman system service does not answer"
  since=$(date +%s)
  : >"$T/pm-run"
  t_all=$EPOCHREALTIME
  for i in $(seq "$N"); do
    echo "$(timed pm run -d --runtime "$rt" --name "pc$i" localhost/scale-busybox sleep 100000)" >>"$T/pm-run"
    if [ "$i" = 10 ]; then
      R[pm_list10]=$(best3 pm ps -a)
      R[pm_stats10]=$(best3 pm stats -a --no-stream)
      R[pm_serve10]=$(wrk_ms "http://127.0.0.1:$port2/v1.41/containers/json")
    fi
    [ $((i % 50)) = 0 ] && echo "#   $i started" >&2
  done
  R[pm_run_total_s]=$(awk -v a="$t_all" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  read -r R[pm_first] R[pm_10th] R[pm_last] R[pm_median] < <(summary "$T/pm-run")
  R[pm_list]=$(best3 pm ps -a)
  R[pm_stats]=$(best3 pm stats -a --no-stream)
  R[pm_serve]=$(wrk_ms "http://127.0.0.1:$port2/v1.41/containers/json")
  R[pm_events]=$(best3 pm events --since "$since" --stream=false)
  stop_pid "$PM_SERVICE_PID"
  PM_SERVICE_PID=

  sleep 1
  cons=()
  pinits=()
  while read -r c p; do
    cons+=("$c")
    pinits+=("$p")
  done < <(pm inspect -f '{{.State.ConmonPid}} {{.State.Pid}}' $(pm ps -a -q))
  R[pm_mon_rss]=$(($(smaps_sum Rss "${cons[@]}") / N))
  R[pm_mon_pss]=$(($(smaps_sum Pss "${cons[@]}") / N))
  R[pm_ctr_pss]=$(($(smaps_sum Pss "${pinits[@]}") / N))
  R[pm_total]=$((R[pm_mon_pss] + R[pm_ctr_pss]))
  R[pm_wakeups]=$(wakeups "${cons[@]}")
  t=$(timed pm rm -a -f -t 0)
  R[pm_rm]=$(awk -v t="$t" -v n="$N" 'BEGIN { printf "%.2f", t / n }')
fi

# --- the table ---------------------------------------------------------------

v ()
{
  echo "${R[$1]:-n/a}"
}

# check LABEL OK: "met" or "MISSED"
check ()
{
  echo "- $1: $(if awk "BEGIN { exit !($2) }"; then echo met; else echo MISSED; fi)"
}

{
  echo "## $N managed containers: minirun vs podman"
  echo
  echo "$(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r); times in ms;"
  echo "network: $NET for both; list and stats: the fastest of 3; serve list: ms per request on one connection (wrk, $DURATION)."
  echo
  echo "| | minirun | podman |"
  echo "| --- | ---: | ---: |"
  echo "| run -d: first / 10th / last / median | $(v mr_first) / $(v mr_10th) / $(v mr_last) / $(v mr_median) | $(v pm_first) / $(v pm_10th) / $(v pm_last) / $(v pm_median) |"
  echo "| all $N run -d, s | $(v mr_run_total_s) | $(v pm_run_total_s) |"
  echo "| list at 10 / $N | $(v mr_list10) / $(v mr_list) | $(v pm_list10) / $(v pm_list) |"
  echo "| stats --no-stream at 10 / $N | $(v mr_stats10) / $(v mr_stats) | $(v pm_stats10) / $(v pm_stats) |"
  echo "| serve GET /containers at 10 / $N | $(v mr_serve10) / $(v mr_serve) | $(v pm_serve10) / $(v pm_serve) |"
  echo "| events since the start | $(v mr_events) | $(v pm_events) |"
  echo "| rm -f, per container | $(v mr_rm) | $(v pm_rm) |"
  echo "| idle monitor (conmon) RSS / PSS, KiB | $(v mr_mon_rss) / $(v mr_mon_pss) | $(v pm_mon_rss) / $(v pm_mon_pss) |"
  echo "| container process PSS, KiB | $(v mr_ctr_pss) | $(v pm_ctr_pss) |"
  echo "| total PSS per idle container, KiB | $(v mr_total) | $(v pm_total) |"
  echo "| monitor (conmon) wakeups per second | $(v mr_wakeups) | $(v pm_wakeups) |"
  echo
  echo "Targets (run -d: the median of runs 6-15 against that of the last 10; \"linearly\": with"
  echo "10% for noise):"
  echo
  f=$(awk -v n="$N" 'BEGIN { print n / 10 }')
  check "run -d number $N within 1.2x the 10th ($(v mr_wlast) vs $(v mr_w10))" "$(v mr_wlast) <= 1.2 * $(v mr_w10)"
  check "list grows at most linearly ($(v mr_list10) to $(v mr_list) for ${f}x the containers)" "$(v mr_list) <= 1.1 * $f * $(v mr_list10)"
  check "stats grows at most linearly ($(v mr_stats10) to $(v mr_stats))" "$(v mr_stats) <= 1.1 * $f * $(v mr_stats10)"
  check "serve list grows at most linearly ($(v mr_serve10) to $(v mr_serve))" "$(v mr_serve) <= 1.1 * $f * $(v mr_serve10)"
  check "idle monitor RSS at most 1 MiB ($(v mr_mon_rss) KiB)" "$(v mr_mon_rss) <= 1024"
  if [ "$PODMAN" = 1 ]; then
    check "idle monitor PSS at most half of conmon's ($(v mr_mon_pss) vs $(v pm_mon_pss) KiB)" "$(v mr_mon_pss) * 2 <= $(v pm_mon_pss)"
    check "total per idle container at most half of podman's ($(v mr_total) vs $(v pm_total) KiB)" "$(v mr_total) * 2 <= $(v pm_total)"
  fi
  echo
  echo "- minirun: \`$MINIRUN\`, $("$MINIRUN" --version 2>/dev/null | head -n 1)"
  [ "$PODMAN" = 1 ] && echo "- podman $(podman --version | awk '{ print $3 }'), conmon $(conmon --version | awk 'NR == 1 { print $3 }'), $(runc --version | head -n 1)"
} >"$OUT"

cat "$OUT"
echo "(written to $OUT)" >&2
