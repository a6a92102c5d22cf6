#!/bin/bash
# net-bench.sh: what networking costs.  `run -d` of a busybox container that
# sleeps, with --network none, on the bridge network and on the bridge with
# -p 80 (an automatic host port), beside podman 4 (runc, conmon, CNI) with
# --network none, its bridge and -p 80, on an image imported from the same
# rootfs: the median and p90 of N runs each, in ms.  Then wrk against busybox
# httpd serving a small file in a container: through -p 127.0.0.1:PORT:80,
# through --network host (no NAT, the limit), and through podman's
# -p 127.0.0.1:PORT:80: requests/s, p50 and p99.  Then the ratios.
#
# Everything runs in a network namespace and a mount namespace of its own
# (the script re-executes itself there): the bridges, the nftables and
# iptables rules both engines make, and every packet stay in it and go with
# it, and other work's rules on the host weigh on no number.  The runs of
# each kind take turns, round after round, so that a busier stretch of a
# shared machine weighs on all of them alike.  A bridged container of each
# engine sleeps throughout, so that each run measures one more container on
# a network that is there, not the making of the bridge.
#
#   MINIRUN=./minirun tests/bench/net-bench.sh
#
# Knobs: NET_BENCH_N (runs of each kind, default 10), NET_BENCH_DURATION
# (wrk's -d, default 5s), NET_BENCH_THREADS (-t, 2), NET_BENCH_CONNECTIONS
# (-c, 16), NET_BENCH_ROUNDS (wrk runs of each, default 3: the table shows
# the median), NET_BENCH_PODMAN=0 (minirun alone).  The table goes to stdout
# and, as markdown, to $NET_BENCH_OUT (default net-bench-results.md).
if [ -z "${BASH_VERSION:-}" ]; then
  exec bash "$0" "$@"
fi
set -eu

here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
. "$here/lib.sh"

if [ -z "${NET_BENCH_IN_NAMESPACE:-}" ]; then
  [ "$(id -u)" = 0 ] || die "needs root"
  for tool in wrk curl jq unshare ip tar; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install wrk curl jq util-linux iproute2 tar)"
  done
  bench_minirun
  NET_BENCH_OUT=$(realpath -m "${NET_BENCH_OUT:-net-bench-results.md}")
  export MINIRUN NET_BENCH_OUT NET_BENCH_IN_NAMESPACE=1
  exec unshare --net --mount --propagation private bash "$self" "$@"
fi

N=${NET_BENCH_N:-10}
DURATION=${NET_BENCH_DURATION:-5s}
THREADS=${NET_BENCH_THREADS:-2}
CONNS=${NET_BENCH_CONNECTIONS:-16}
ROUNDS=${NET_BENCH_ROUNDS:-3}
[ "$N" -ge 1 ] || die "NET_BENCH_N must be at least 1"
ip link set lo up

PODMAN=0
podman_skip=
if [ "${NET_BENCH_PODMAN:-1}" = 0 ]; then
  podman_skip="NET_BENCH_PODMAN=0"
elif ! command -v podman >/dev/null || ! command -v conmon >/dev/null || ! command -v runc >/dev/null; then
  podman_skip="podman, conmon or runc is not installed"
else
  PODMAN=1
fi

T=$(mktemp -d /tmp/minirun-net-bench.XXXXXX)
chmod 755 "$T"
IMAGE=localhost/minirun-net-bench:latest
# crun refuses a hybrid cgroup host, runc does not
PM_STORAGE=overlay
PM_RUNTIME=runc

mr ()
{
  timeout -k 5 120 "$MINIRUN" --root "$T/state" "$@"
}

# Everything this script made goes, whatever happened: the containers of
# its own roots, the image it imported, its directory.  The namespaces go
# with the last process in them.
cleanup ()
{
  set +e
  if [ -d "$T/state" ]; then
    for name in $(mr list -a -q 2>/dev/null); do
      mr rm -f "$name" >/dev/null 2>&1
    done
  fi
  pm_cleanup
  remove_tmp "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$here/../integration/mkrootfs.sh" "$T/rootfs" >/dev/null
mkdir -p "$T/rootfs/www"
# a small page: what is measured is the way to it, not the copy
awk 'BEGIN { for (i = 0; i < 16; i++) print "minirun network benchmark, a line of the small page" }' \
  >"$T/rootfs/www/index.html"
PAGE_BYTES=$(wc -c <"$T/rootfs/www/index.html")

if [ "$PODMAN" = 1 ]; then
  pm_sandbox "$T/pm" 256
  tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
  if ! pm import "$T/rootfs.tar" "$IMAGE" >/dev/null 2>"$T/pm/err"; then
    PODMAN=0
    podman_skip="podman import failed: $(tail -n 1 "$T/pm/err")"
  fi
fi

# timed FILE CMD...: appends the milliseconds CMD took to FILE
timed ()
{
  local file=$1 a b
  shift
  a=$EPOCHREALTIME
  "$@" >/dev/null 2>"$T/err" </dev/null || die "failed: $*: $(tail -n 3 "$T/err")"
  b=$EPOCHREALTIME
  awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }' >>"$file"
}

# --- run -d ----------------------------------------------------------------
# KIND|engine|options, in the order of the table
KINDS=("mr-none|minirun|--network none" "mr-bridge|minirun|--network bridge"
  "mr-publish|minirun|-p 80")
if [ "$PODMAN" = 1 ]; then
  KINDS+=("pm-none|podman|--network none" "pm-bridge|podman|--network bridge"
    "pm-publish|podman|-p 80")
fi

# run_d KIND ENGINE OPTIONS NAME: one timed run -d, then its removal
run_d ()
{
  local kind=$1 engine=$2 opts=$3 name=$4
  # shellcheck disable=SC2086 # the options are words
  if [ "$engine" = minirun ]; then
    timed "$T/$kind" mr run -d --rootfs "$T/rootfs" --name "$name" $opts -- sleep 100000
    mr rm -f "$name" >/dev/null
  else
    timed "$T/$kind" pm run -d --name "$name" $opts "$IMAGE" sleep 100000
    pm rm -f -t 0 "$name" >/dev/null
  fi
}

echo "# run -d: $N of each kind, taking turns" >&2
mr run -d --rootfs "$T/rootfs" --name keeper --network bridge -- sleep 100000 >/dev/null
[ "$PODMAN" = 0 ] || pm run -d --name keeper --network bridge "$IMAGE" sleep 100000 >/dev/null
for round in $(seq 0 "$N"); do
  for k in "${KINDS[@]}"; do
    IFS='|' read -r kind engine opts <<<"$k"
    run_d "$kind" "$engine" "$opts" "nb-$kind-$round"
    # round 0 warms up the caches (and podman's network), and is not counted
    [ "$round" != 0 ] || : >"$T/$kind"
  done
done

# --- through a published port ------------------------------------------------

wait_page ()
{
  for _ in $(seq 100); do
    [ "$(curl -s --max-time 2 -o /dev/null -w '%{size_download}' "$1")" = "$PAGE_BYTES" ] && return 0
    sleep 0.1
  done
  die "$1 does not serve the page"
}

# wrk_run LABEL URL: appends "LABEL|RPS|P50_MS|P99_MS|ERRORS" to $T/wrk
wrk_run ()
{
  local label=$1 url=$2 out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 10s --latency "$url" 2>&1) ||
    die "wrk $url: $out"
  printf '%s|%s\n' "$label" "$(printf '%s\n' "$out" | wrk_parse | awk -F'|' -v OFS='|' '{ print $1, $2, $3, $4 + $5 }')" >>"$T/wrk"
}

echo "# wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds" >&2
: >"$T/wrk"
p_pub=$(free_port)
mr run -d --rootfs "$T/rootfs" --name web-publish -p "127.0.0.1:$p_pub:80" -- \
  /bin/busybox httpd -f -p 80 -h /www >/dev/null
p_host=$(free_port)
mr run -d --rootfs "$T/rootfs" --name web-host --network host -- \
  /bin/busybox httpd -f -p "127.0.0.1:$p_host" -h /www >/dev/null
TARGETS=("minirun -p 127.0.0.1|http://127.0.0.1:$p_pub/index.html"
  "minirun --network host|http://127.0.0.1:$p_host/index.html")
if [ "$PODMAN" = 1 ]; then
  p_pm=$(free_port)
  pm run -d --name web-publish -p "127.0.0.1:$p_pm:80" "$IMAGE" /bin/busybox httpd -f -p 80 -h /www \
    >/dev/null
  TARGETS+=("podman -p 127.0.0.1|http://127.0.0.1:$p_pm/index.html")
fi
for t in "${TARGETS[@]}"; do
  wait_page "${t#*|}"
done
for _ in $(seq "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    wrk_run "${t%%|*}" "${t#*|}"
  done
done

# --- the table -----------------------------------------------------------------

# pct FILE P: the P-th percentile (nearest rank) of the numbers in FILE
pct ()
{
  sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i] }'
}

# wrk_median LABEL FIELD: the median over the rounds (2 req/s, 3 p50, 4 p99,
# 5 errors)
wrk_median ()
{
  awk -F'|' -v l="$1" -v f="$2" '$1 == l { print $f }' "$T/wrk" | median
}

ratio ()
{
  awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'
}

label_of ()
{
  case $1 in
    mr-none) echo "minirun --network none" ;;
    mr-bridge) echo "minirun --network bridge" ;;
    mr-publish) echo "minirun -p 80 (bridge)" ;;
    pm-none) echo "podman --network none" ;;
    pm-bridge) echo "podman --network bridge" ;;
    pm-publish) echo "podman -p 80 (bridge)" ;;
  esac
}

{
  echo "## Networking cost"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r); minirun $("$MINIRUN" --version | head -n 1 | awk '{ print $NF }')$(
    [ "$PODMAN" = 0 ] || echo ", podman $(podman --version | awk '{ print $3 }') (runc, CNI)"),"
  echo "in a network namespace of the benchmark's own."
  echo
  echo "\`run -d\` of a busybox container that sleeps, $N runs of each kind, taking turns (ms):"
  echo
  echo "| run -d | median | p90 |"
  echo "| --- | ---: | ---: |"
  for k in "${KINDS[@]}"; do
    kind=${k%%|*}
    echo "| $(label_of "$kind") | $(pct "$T/$kind" 50) | $(pct "$T/$kind" 90) |"
  done
  echo
  echo "wrk -t$THREADS -c$CONNS -d$DURATION against busybox httpd serving a $PAGE_BYTES-byte page, median of $ROUNDS rounds:"
  echo
  echo "| through | requests/s | p50 ms | p99 ms | errors |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for t in "${TARGETS[@]}"; do
    l=${t%%|*}
    printf '| %s | %.0f | %.2f | %.2f | %s |\n' "$l" "$(wrk_median "$l" 2)" "$(wrk_median "$l" 3)" \
      "$(wrk_median "$l" 4)" "$(wrk_median "$l" 5)"
  done
  echo
  echo "Ratios (medians):"
  echo
  echo "- minirun run -d, bridge / none: $(ratio "$(pct "$T/mr-bridge" 50)" "$(pct "$T/mr-none" 50)"); -p 80 / none: $(ratio "$(pct "$T/mr-publish" 50)" "$(pct "$T/mr-none" 50)")"
  if [ "$PODMAN" = 1 ]; then
    echo "- podman run -d, bridge / none: $(ratio "$(pct "$T/pm-bridge" 50)" "$(pct "$T/pm-none" 50)"); -p 80 / none: $(ratio "$(pct "$T/pm-publish" 50)" "$(pct "$T/pm-none" 50)")"
    echo "- run -d -p 80, minirun / podman: $(ratio "$(pct "$T/mr-publish" 50)" "$(pct "$T/pm-publish" 50)"); --network none, minirun / podman: $(ratio "$(pct "$T/mr-none" 50)" "$(pct "$T/pm-none" 50)")"
  fi
  echo "- requests/s through minirun's published port / through --network host: $(ratio "$(wrk_median "minirun -p 127.0.0.1" 2)" "$(wrk_median "minirun --network host" 2)")"
  if [ "$PODMAN" = 1 ]; then
    echo "- requests/s through the published port, minirun / podman: $(ratio "$(wrk_median "minirun -p 127.0.0.1" 2)" "$(wrk_median "podman -p 127.0.0.1" 2)")"
  else
    echo "- podman left out: $podman_skip"
  fi
} >"$NET_BENCH_OUT"

cat "$NET_BENCH_OUT"
echo "(written to $NET_BENCH_OUT)" >&2
