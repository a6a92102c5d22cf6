#!/bin/bash
# serve-bench.sh: `minirun serve` under wrk beside `podman system service`,
# each holding the same number of busybox containers that sleep: requests/s
# and p50/p99 latency of the container list (GET /api/v1/containers,
# podman's GET /v1.41/containers/json) and of the cheapest call (GET /health,
# podman's GET /_ping) at each number of connections, then the resident
# memory of both servers and the latency targets.  The list and /health
# alternate, round after round: on a machine that others share, the list's
# tail is read against /health's from the same moments.  podman runs with
# its state, storage and configuration in a temporary directory, so that the
# user's store is untouched; it is left out, with the reason, when it is
# missing or fails.  nginx, where it is installed, serves the very bytes of
# both answers from files in the page cache, with its access log on as
# minirun's request log is: what the machine itself allows, the anchor for
# the latency targets (wrk and the servers share the machine's cores).
#
#   MINIRUN=./minirun tests/bench/serve-bench.sh
#
# Knobs: SERVE_BENCH_N (containers, default 50), SERVE_BENCH_DURATION (wrk's
# -d, default 5s), SERVE_BENCH_CONNECTIONS (wrk's -c, a list, default "8 32"),
# SERVE_BENCH_ROUNDS (runs of each, default 3: the table shows the median),
# SERVE_BENCH_PODMAN=0 and SERVE_BENCH_NGINX=0 (to leave either out, for a
# quicker look).
if [ -z "${BASH_VERSION:-}" ]; then
  exec bash "$0" "$@"
fi
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
N=${SERVE_BENCH_N:-50}
DURATION=${SERVE_BENCH_DURATION:-5s}
CONNECTIONS=${SERVE_BENCH_CONNECTIONS:-8 32}
ROUNDS=${SERVE_BENCH_ROUNDS:-3}

[ "$(id -u)" = 0 ] || die "needs root"
for tool in wrk curl jq python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install wrk curl jq python3)"
done
bench_minirun
"$MINIRUN" serve --help | grep -q -- '--listen' || die "$MINIRUN serve has no --listen"

T=$(mktemp -d /tmp/minirun-serve-bench.XXXXXX)
serve_pid=
nginx_pid=
PM_SERVICE_PID=

mr ()
{
  "$MINIRUN" --root "$T/state" "$@"
}

cleanup ()
{
  set +e
  stop_pid "$serve_pid"
  for name in $(mr list -a -q 2>/dev/null); do
    mr rm -f "$name" >/dev/null 2>&1
  done
  stop_pid "$nginx_pid"
  stop_pid "$PM_SERVICE_PID"
  pm_cleanup
  remove_tmp "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bench LABEL C URL [HEADER]: one wrk run with C connections; appends
# "LABEL|C|RPS|P50_MS|P99_MS|NON2XX|ERRORS|TIMEOUTS" to $T/results.  wrk
# leaves requests that time out out of its latencies: its timeout is long
# enough for a slow server to be measured.
bench ()
{
  local label=$1 c=$2 url=$3 out
  shift 3
  out=$(wrk -t2 -c"$c" -d"$DURATION" --timeout 30s --latency "$@" "$url" 2>&1) || {
    printf '%s\n' "$out" >&2
    return 1
  }
  printf '%s|%s|%s\n' "$label" "$c" "$(printf '%s\n' "$out" | wrk_parse)" >>"$T/results"
}

# rounds SPEC...: each SPEC "SERVER|LIST_URL|HEALTH_URL|HEADER" (HEADER may
# be empty).  At each number of connections, ROUNDS rounds; in each, every
# server's list and then its cheap call, server after server: a busier
# stretch of a shared machine weighs on all of them alike.
rounds ()
{
  local c r spec server list health hdr args
  for c in $CONNECTIONS; do
    for r in $(seq "$ROUNDS"); do
      for spec in "$@"; do
        IFS='|' read -r server list health hdr <<<"$spec"
        args=()
        [ -z "$hdr" ] || args=(-H "$hdr")
        bench "$server GET /${list#http://*/}" "$c" "$list" "${args[@]}" || return 1
        bench "$server GET /${health#http://*/}" "$c" "$health" "${args[@]}" || return 1
      done
    done
  done
}

# the threads minirun serve gives a listener: as many as cores, 2 to 8
server_threads ()
{
  local n
  n=$(nproc)
  [ "$n" -ge 2 ] || n=2
  [ "$n" -le 8 ] || n=8
  echo "$n"
}

bash "$here/../integration/mkrootfs.sh" "$T/rootfs" >/dev/null
: >"$T/results"

# --- minirun -----------------------------------------------------------------
echo "# starting $N minirun containers" >&2
for i in $(seq "$N"); do
  mr run -d --rootfs "$T/rootfs" --name "bench$i" -- sleep 100000 >/dev/null
done
port=$(free_port)
# not through mr: $! must be the server itself, for its memory and its stop
"$MINIRUN" --root "$T/state" serve --socket "$T/minirun.sock" --listen "127.0.0.1:$port" \
  --token-file "$T/token" 2>"$T/serve.log" &
serve_pid=$!
for _ in $(seq 100); do [ -s "$T/token" ] && break; sleep 0.1; done
[ -s "$T/token" ] || die "serve made no token: $(cat "$T/serve.log")"
auth="Authorization: Bearer $(cat "$T/token")"
wait_http "http://127.0.0.1:$port/api/v1/health" -H "$auth" ||
  die "serve does not answer: $(tail -n 5 "$T/serve.log")"
got=$(curl -s -H "$auth" "http://127.0.0.1:$port/api/v1/containers" | jq '.data | length')
[ "$got" = "$N" ] || die "GET /api/v1/containers lists $got containers, not $N"
SERVERS=("minirun|http://127.0.0.1:$port/api/v1/containers|http://127.0.0.1:$port/api/v1/health|$auth")

# --- nginx, the same bytes -------------------------------------------------------
nginx_skip=
start_nginx ()
{
  local d=$T/nginx
  [ "${SERVE_BENCH_NGINX:-1}" != 0 ] || {
    nginx_skip="SERVE_BENCH_NGINX=0"
    return 1
  }
  command -v nginx >/dev/null || {
    nginx_skip="nginx is not installed (apt-get install nginx-light)"
    return 1
  }
  mkdir -p "$d/html" "$d/tmp"
  curl -s -f -H "$auth" -o "$d/html/containers" "http://127.0.0.1:$port/api/v1/containers"
  curl -s -f -H "$auth" -o "$d/html/health" "http://127.0.0.1:$port/api/v1/health"
  nginx_port=$(free_port)
  # as many workers as serve has threads; the files are the run's own, under
  # a directory only root may enter
  cat >"$d/nginx.conf" <<EOC
user root;
worker_processes $(server_threads);
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
  default_type application/json;
  access_log $d/access.log;
  keepalive_requests 10000000;
  client_body_temp_path $d/tmp;
  proxy_temp_path $d/tmp;
  fastcgi_temp_path $d/tmp;
  uwsgi_temp_path $d/tmp;
  scgi_temp_path $d/tmp;
  server { listen 127.0.0.1:$nginx_port; root $d/html; }
}
EOC
  nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" -g 'daemon off;' 2>>"$d/error.log" &
  nginx_pid=$!
  wait_http "http://127.0.0.1:$nginx_port/health" || {
    nginx_skip="nginx does not answer: $(tail -n 1 "$d/error.log")"
    return 1
  }
  cmp -s "$d/html/containers" <(curl -s "http://127.0.0.1:$nginx_port/containers") || {
    nginx_skip="nginx does not serve the list's bytes"
    return 1
  }
}
if start_nginx; then
  SERVERS+=("nginx|http://127.0.0.1:$nginx_port/containers|http://127.0.0.1:$nginx_port/health|")
else
  stop_pid "$nginx_pid"
  nginx_pid=
fi

echo "# wrk against ${SERVERS[*]%%|*}" >&2
rounds "${SERVERS[@]}"
serve_rss=$(smaps_sum Rss "$serve_pid")
stop_pid "$nginx_pid"
nginx_pid=

# --- podman ------------------------------------------------------------------
podman_rss=
podman_skip=
run_podman ()
{
  local runtime i cid
  [ "${SERVE_BENCH_PODMAN:-1}" != 0 ] || {
    podman_skip="SERVE_BENCH_PODMAN=0"
    return 1
  }
  command -v podman >/dev/null || {
    podman_skip="podman is not installed"
    return 1
  }
  runtime=$(command -v runc || command -v crun || true)
  [ -n "$runtime" ] || {
    podman_skip="neither runc nor crun is installed"
    return 1
  }
  pm_sandbox "$T/pm" 128 none
  echo "# starting $N podman containers" >&2
  for i in $(seq "$N"); do
    # crun refuses a hybrid cgroup host; runc does not
    cid=$(pm --runtime "$runtime" run -d --rootfs "$T/rootfs" sleep 100000 2>"$T/pm/err") || {
      podman_skip="podman run failed: $(tail -n 1 "$T/pm/err")"
      return 1
    }
  done
  port2=$(free_port)
  pm_service "tcp:127.0.0.1:$port2" --runtime "$runtime"
  wait_http "http://127.0.0.1:$port2/_ping" || {
    podman_skip="podman system service does not answer: $(tail -n 1 "$PM_DIR/service.log")"
    return 1
  }
  got=$(curl -s "http://127.0.0.1:$port2/v1.41/containers/json" | jq length)
  [ "$got" = "$N" ] || {
    podman_skip="podman lists $got containers, not $N"
    return 1
  }
  echo "# wrk against podman system service" >&2
  rounds "podman|http://127.0.0.1:$port2/v1.41/containers/json|http://127.0.0.1:$port2/_ping|" || {
    podman_skip="wrk failed against podman"
    return 1
  }
  podman_rss=$(smaps_sum Rss "$PM_SERVICE_PID")
}
run_podman || true

# --- the table ---------------------------------------------------------------
# med LABEL C FIELD: the median over the rounds of one column of results
# (3 requests/s, 4 p50, 5 p99, 6 non-2xx, 7 socket errors, 8 timeouts)
med ()
{
  awk -F'|' -v l="$1" -v c="$2" -v f="$3" '$1 == l && $2 == c { print $f }' "$T/results" | median
}

echo
echo "$N containers; wrk -t2 -d$DURATION; median of $ROUNDS rounds; $(nproc) CPUs"
printf '%-38s %5s %12s %8s %8s %8s %9s\n' "request" "conns" "requests/s" "p50 ms" "p99 ms" \
  "non-2xx" "errors"
awk -F'|' '!seen[$1 "|" $2]++ { print $1 "|" $2 }' "$T/results" | while IFS='|' read -r label c; do
  printf '%-38s %5s %12.0f %8.2f %8.2f %8s %9s\n' "$label" "$c" "$(med "$label" "$c" 3)" \
    "$(med "$label" "$c" 4)" "$(med "$label" "$c" 5)" "$(med "$label" "$c" 6)" \
    "$(med "$label" "$c" 7)"
done
echo
echo "every round (requests/s, p50 ms, p99 ms):"
awk -F'|' '{ printf "  %-38s -c%-3s %9.0f %7.2f %7.2f\n", $1, $2, $3, $4, $5 }' "$T/results"
# the list's tail against /health's: what the list itself adds, with the
# machine's own noise (other work, wrk) common to both
echo
for c in $CONNECTIONS; do
  awk -v a="$(med "minirun GET /api/v1/containers" "$c" 5)" \
    -v b="$(med "minirun GET /api/v1/health" "$c" 5)" -v c="$c" \
    'BEGIN { if (b > 0) printf "list p99 at -c%s: %.2fx that of /health\n", c, a / b }'
done
# what the machine allows: the same bytes from nginx, in the same rounds
if [ -z "$nginx_skip" ]; then
  echo
  for c in $CONNECTIONS; do
    awk -v a="$(med "minirun GET /api/v1/containers" "$c" 5)" -v b="$(med "nginx GET /containers" "$c" 5)" \
      -v r="$(med "minirun GET /api/v1/containers" "$c" 3)" -v q="$(med "nginx GET /containers" "$c" 3)" \
      -v c="$c" 'BEGIN { if (b > 0 && q > 0) printf "list at -c%s: p99 minirun %.2f ms, nginx %.2f ms (%.2fx); requests/s %.2fx nginx'"'"'s\n", c, a, b, a / b, r / q }'
  done
else
  echo
  echo "# nginx left out: $nginx_skip"
fi
if [ -z "$podman_skip" ]; then
  echo
  for c in $CONNECTIONS; do
    awk -v a="$(med "minirun GET /api/v1/containers" "$c" 3)" \
      -v b="$(med "podman GET /v1.41/containers/json" "$c" 3)" -v c="$c" \
      'BEGIN { if (b > 0) printf "container list at -c%s: minirun %.1fx podman\n", c, a / b }'
    awk -v a="$(med "minirun GET /api/v1/health" "$c" 3)" -v b="$(med "podman GET /_ping" "$c" 3)" \
      -v c="$c" 'BEGIN { if (b > 0) printf "health vs _ping at -c%s: minirun %.1fx podman\n", c, a / b }'
  done
fi
echo
printf '%-38s %10s\n' "server" "RSS KiB"
printf '%-38s %10s\n' "minirun serve" "$serve_rss"
if [ -n "$podman_skip" ]; then
  echo "# podman left out: $podman_skip"
else
  printf '%-38s %10s\n' "podman system service $(podman --version | awk '{ print $3 }')" "$podman_rss"
fi

# target NAME LABEL C FIELD LIMIT BELOW: "met" when the median is below
# LIMIT (BELOW=1) or at least LIMIT (BELOW=0)
target ()
{
  local v
  v=$(med "$2" "$3" "$4")
  echo "- $1: $(printf '%.2f' "${v:-0}"), target $([ "$6" = 1 ] && echo under || echo "at least") $5: $(awk -v v="$v" -v l="$5" -v b="$6" \
    'BEGIN { print (v != "" && (b ? v < l : v >= l)) ? "met" : "MISSED" }')"
}
echo
echo "Targets:"
echo
has_c ()
{
  case " $CONNECTIONS " in *" $1 "*) return 0 ;; esac
  return 1
}
if has_c 32; then
  target "list p99 ms at -c32" "minirun GET /api/v1/containers" 32 5 3 1
  target "list requests/s at -c32" "minirun GET /api/v1/containers" 32 3 40000 0
fi
if has_c 8; then
  target "list p99 ms at -c8" "minirun GET /api/v1/containers" 8 5 1 1
  target "list requests/s at -c8" "minirun GET /api/v1/containers" 8 3 40000 0
fi
if [ -z "$nginx_skip" ]; then
  echo
  echo "nginx serving the same bytes in the same rounds (the machine's floor):"
  for c in $CONNECTIONS; do
    echo "- list p99 ms at -c$c: $(printf '%.2f' "$(med "nginx GET /containers" "$c" 5)"), requests/s: $(printf '%.0f' "$(med "nginx GET /containers" "$c" 3)")"
  done
fi
