#!/bin/bash
# bench.sh: minirun ($MINIRUN) side by side with crun and runc on one busybox
# bundle: `run` of /bin/true, `exec` of /bin/true into a running container,
# `run -d`, `delete -f`, `list` with 50 containers, and the peak RSS of `run`.
# Mean times come from hyperfine; the table goes to stdout and, as markdown,
# to $BENCH_OUT (default bench-results.md).
#
#   MINIRUN=./minirun tests/bench/bench.sh
#
# Knobs: BENCH_RUNS (default 30), BENCH_WARMUP (3), BENCH_LIST_N (50),
# CRUN and RUNC (the binaries to compare with; empty to leave one out).
#
# crun refuses a hybrid cgroup host (v1 controllers plus a cgroup2 mount),
# so all three run in a private mount namespace where that cgroup2 mount
# (/sys/fs/cgroup/unified) is unmounted: the script re-executes itself there.
if [ -z "${BASH_VERSION:-}" ]; then
  exec bash "$0" "$@"
fi
set -eu

here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
. "$here/lib.sh"

if [ -z "${BENCH_IN_NAMESPACE:-}" ]; then
  [ "$(id -u)" = 0 ] || die "needs root"
  for tool in hyperfine jq unshare /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install hyperfine jq util-linux time)"
  done
  BENCH_OUT=$(realpath -m "${BENCH_OUT:-bench-results.md}")
  export BENCH_OUT BENCH_IN_NAMESPACE=1
  exec unshare -m --propagation private bash "$self" "$@"
fi

if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && mountpoint -q /sys/fs/cgroup/unified; then
  umount /sys/fs/cgroup/unified
fi

RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-3}
LIST_N=${BENCH_LIST_N:-50}
CRUN=${CRUN-$(command -v crun || true)}
RUNC=${RUNC-$(command -v runc || true)}
bench_minirun

W=$(mktemp -d "${TMPDIR:-/tmp}/minirun-bench.XXXXXX")
chmod 755 "$W"
tag=mrb${W##*.}
names=()
bins=()
for pair in "minirun:$MINIRUN" "crun:$CRUN" "runc:$RUNC"; do
  name=${pair%%:*}
  bin=${pair#*:}
  if [ -n "$bin" ] && [ -x "$bin" ]; then
    names+=("$name")
    bins+=("$(realpath "$bin")")
  else
    echo "# $name not found, left out" >&2
  fi
done

# Every container any runtime has in its root goes, whatever happened.
cleanup ()
{
  local i id
  for i in "${!names[@]}"; do
    for id in $("${bins[$i]}" --root "$W/root-${names[$i]}" list -q 2>/dev/null); do
      "${bins[$i]}" --root "$W/root-${names[$i]}" delete -f "$id" >/dev/null 2>&1 || true
    done
  done
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One bundle for everyone: the busybox rootfs and a config from minirun.
sh "$here/../integration/mkrootfs.sh" "$W/bundle/rootfs" >/dev/null
mkdir -p "$W/spec"
(cd "$W/spec" && "$MINIRUN" spec) || (cd "$W/spec" && runc spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' \
  "$W/spec/config.json" >"$W/bundle/config.json"
mkdir -p "$W/sleeper"
cp -a "$W/bundle/rootfs" "$W/sleeper/rootfs"
jq '.process.args = ["/bin/sleep", "100000"]' "$W/bundle/config.json" >"$W/sleeper/config.json"

# results[KEY] = mean seconds (or KiB for rss); KEY is "bench|runtime"
declare -A results stddev

# hf BENCH NAME ARGS...: one hyperfine benchmark; ARGS are hyperfine's.
hf ()
{
  local bench=$1 name=$2
  shift 2
  local json=$W/hf.json
  hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$json" \
    --command-name "$name $bench" "$@" >&2
  results["$bench|$name"]=$(jq -r '.results[0].mean' "$json")
  stddev["$bench|$name"]=$(jq -r '.results[0].stddev // 0' "$json")
}

BENCHES=("run /bin/true" "exec /bin/true" "run -d" "delete -f" "list ($LIST_N containers)")

# Each benchmark runs for every runtime before the next benchmark starts, so
# that a slower or busier stretch of the machine weighs on all of them alike.
rt ()
{
  local i
  for i in "${!names[@]}"; do
    [ "${names[$i]}" = "$1" ] && echo "${bins[$i]} --root $W/root-$1" && return
  done
}

for name in "${names[@]}"; do
  echo "# $name: $(rt "$name")" >&2
  hf "run /bin/true" "$name" "$(rt "$name") run --bundle $W/bundle $tag-run"
done

for name in "${names[@]}"; do
  R=$(rt "$name")
  $R run -d --bundle "$W/sleeper" "$tag-exec" </dev/null >/dev/null 2>&1
  hf "exec /bin/true" "$name" "$R exec $tag-exec /bin/true"
  $R delete -f "$tag-exec" >/dev/null 2>&1
done

for name in "${names[@]}"; do
  R=$(rt "$name")
  hf "run -d" "$name" --prepare "sh -c '$R delete -f $tag-d >/dev/null 2>&1 || true'" \
    "$R run -d --bundle $W/sleeper $tag-d"
  $R delete -f "$tag-d" >/dev/null 2>&1 || true
done

for name in "${names[@]}"; do
  R=$(rt "$name")
  hf "delete -f" "$name" --prepare "sh -c '$R run -d --bundle $W/sleeper $tag-del </dev/null >/dev/null 2>&1'" \
    "$R delete -f $tag-del"
  $R delete -f "$tag-del" >/dev/null 2>&1 || true
done

for name in "${names[@]}"; do
  R=$(rt "$name")
  for n in $(seq "$LIST_N"); do
    $R create --bundle "$W/sleeper" "$tag-l$n" </dev/null >/dev/null 2>&1
  done
  hf "list ($LIST_N containers)" "$name" "$R list"
  for n in $(seq "$LIST_N"); do
    $R delete -f "$tag-l$n" >/dev/null 2>&1 || true
  done
done

# peak RSS of `run`: the largest of a few runs, in KiB
for name in "${names[@]}"; do
  R=$(rt "$name")
  max=0
  for _ in 1 2 3 4 5; do
    kib=$(/usr/bin/time -f %M $R run --bundle "$W/bundle" "$tag-rss" 2>&1 >/dev/null | tail -n 1)
    [ "$kib" -gt "$max" ] && max=$kib
  done
  results["rss|$name"]=$max
done

# --- the table ---------------------------------------------------------------

# fmt_time MEAN STDDEV (seconds): "12.34 ± 0.56 ms"
fmt_time ()
{
  awk -v s="$1" -v d="$2" 'BEGIN { printf "%.2f ± %.2f ms", s * 1e3, d * 1e3 }'
}

ratio ()
{
  if [ -n "$1" ] && [ -n "$2" ]; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
  else
    echo n/a
  fi
}

has ()
{
  local n
  for n in "${names[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}

header="| benchmark |"
rule="| --- |"
for name in "${names[@]}"; do
  header+=" $name |"
  rule+=" ---: |"
done
has crun && header+=" minirun/crun |" && rule+=" ---: |"
has runc && header+=" minirun/runc |" && rule+=" ---: |"

{
  echo "## minirun vs crun vs runc"
  echo
  echo "Mean ± standard deviation of $RUNS runs after $WARMUP warm-up runs (hyperfine), one busybox bundle,"
  echo "$(nproc) CPUs, kernel $(uname -r), cgroup $(if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo v2; else echo v1; fi)."
  echo "Lower is better; a ratio below 1 means minirun is faster."
  echo
  echo "$header"
  echo "$rule"
  for bench in "${BENCHES[@]}"; do
    row="| $bench |"
    for name in "${names[@]}"; do
      row+=" $(fmt_time "${results[$bench|$name]}" "${stddev[$bench|$name]}") |"
    done
    has crun && row+=" $(ratio "${results[$bench|minirun]}" "${results[$bench|crun]}") |"
    has runc && row+=" $(ratio "${results[$bench|minirun]}" "${results[$bench|runc]}") |"
    echo "$row"
  done
  row="| peak RSS of run |"
  for name in "${names[@]}"; do
    row+=" $(awk -v k="${results[rss|$name]}" 'BEGIN { printf "%.1f MiB", k / 1024 }') |"
  done
  has crun && row+=" $(ratio "${results[rss|minirun]}" "${results[rss|crun]}") |"
  has runc && row+=" $(ratio "${results[rss|minirun]}" "${results[rss|runc]}") |"
  echo "$row"
  echo
  if has crun; then
    # target NAME KEY LIMIT: "met" when minirun/crun for KEY is at most LIMIT
    target ()
    {
      local r
      r=$(ratio "${results[$2|minirun]}" "${results[$2|crun]}")
      echo "- $1: $r of crun's, target at most $3: $(awk -v r="$r" -v l="$3" 'BEGIN { print (r != "n/a" && r <= l) ? "met" : "MISSED" }')"
    }
    echo "Targets:"
    echo
    target "run /bin/true" "run /bin/true" 0.7
    target "exec /bin/true" "exec /bin/true" 0.7
    target "peak RSS of run" rss 1.0
    echo
  fi
  for i in "${!names[@]}"; do
    echo "- ${names[$i]}: \`${bins[$i]}\`, $("${bins[$i]}" --version 2>/dev/null | head -n 1)"
  done
} >"$BENCH_OUT"

cat "$BENCH_OUT"
echo "(written to $BENCH_OUT)" >&2
