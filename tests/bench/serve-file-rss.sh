#!/bin/bash
# serve-file-rss.sh: the peak resident memory of `minirun serve` (VmHWM)
# while SERVE_FILE_READS clients (default 40) read one file of
# SERVE_FILE_MB MiB (default 8, the API's limit) from a container at once
# through GET /api/v1/containers/NAME/files.  Each read is checked whole.
#
#   MINIRUN=./minirun tests/bench/serve-file-rss.sh
if [ -z "${BASH_VERSION:-}" ]; then
  exec bash "$0" "$@"
fi
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
READS=${SERVE_FILE_READS:-40}
MB=${SERVE_FILE_MB:-8}

[ "$(id -u)" = 0 ] || die "needs root"
for tool in curl jq sha256sum base64 bc; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done
bench_minirun

T=$(mktemp -d /tmp/minirun-file-rss.XXXXXX)
serve_pid=

mr ()
{
  "$MINIRUN" --root "$T/state" "$@"
}

cleanup ()
{
  set +e
  stop_pid "$serve_pid"
  mr rm -f bench >/dev/null 2>&1
  remove_tmp "$T"
}
trap cleanup EXIT

sh "$here/../integration/mkrootfs.sh" "$T/rootfs" >/dev/null 2>&1 || die "cannot make a busybox rootfs"
mr run -d --rootfs "$T/rootfs" --name bench -- sleep 1000 >/dev/null
"$MINIRUN" --root "$T/state" serve --socket "$T/s.sock" 2>"$T/serve.log" &
serve_pid=$!
for _ in $(seq 100); do
  curl -sf --unix-socket "$T/s.sock" http://localhost/_ping >/dev/null 2>&1 && break
  sleep 0.05
done

want=$(curl -s --unix-socket "$T/s.sock" -X POST -H 'Content-Type: application/json' \
  --data-binary "{\"command\": [\"sh\", \"-c\", \"head -c $((MB << 20)) /dev/urandom > /big && sha256sum /big\"]}" \
  http://localhost/api/v1/containers/bench/exec | jq -r .data.stdout | cut -d' ' -f1)
[ -n "$want" ] || die "cannot make the file"

hwm ()
{
  awk '/^VmHWM:/ { print $2 }' "/proc/$serve_pid/status"
}

before=$(hwm)
start=$(date +%s.%N)
pids=()
for i in $(seq "$READS"); do
  curl -s -o "$T/read.$i" --unix-socket "$T/s.sock" \
    "http://localhost/api/v1/containers/bench/files?path=/big" &
  pids+=($!)
done
wait "${pids[@]}"
end=$(date +%s.%N)
after=$(hwm)
bad=0
for i in $(seq "$READS"); do
  got=$(jq -r .data.content_base64 "$T/read.$i" | base64 -d | sha256sum | cut -d' ' -f1)
  [ "$got" = "$want" ] || bad=$((bad + 1))
done
printf '%d concurrent reads of %d MiB: serve VmHWM %d KiB before, %d KiB after (+%d KiB), %.2fs, %d bad\n' \
  "$READS" "$MB" "$before" "$after" $((after - before)) "$(echo "$end - $start" | bc)" "$bad"
[ "$bad" = 0 ]
