#!/bin/bash
# minirun stats (the table and JSON lines, CPU, memory, pids, network, the
# stream and how it stops) and minirun system stats / info.
. "$(dirname "$0")/lib.sh"

[ "$RT_NAME" = minirun ] || t_skip_all "stats and system are minirun's own verbs"

MIB=1048576

# run_detached [LIMIT-BYTES]: $B runs detached as $ID, with a memory limit.
run_detached ()
{
  if [ -n "${1:-}" ]; then
    cfg '.linux.resources.memory.limit = ($m | tonumber)' --arg m "$1"
  fi
  t_run rt run -d --bundle "$B" "$ID"
  assert_success
  wait_status "$ID" running
}

# children_are PID N: PID has N child processes.
children_are ()
{
  [ "$(pgrep -c -P "$1")" = "$2" ]
}

# frames_at_least FILE N: FILE holds N table headers or more.
frames_at_least ()
{
  [ "$(grep -c '^NAME' "$1")" -ge "$2" ]
}

# stats_json ARGS...: one frame of JSON lines for ARGS (names); 0.2 s apart.
stats_json ()
{
  t_run rt stats --no-stream --interval 0.2 --format json "$@"
  assert_success
}

# field NAME KEY: KEY of NAME's line in $out.
field ()
{
  jq -r --arg n "$1" "select(.name == \$n) | .$2" <<<"$out"
}

# load_fields JSON-OBJECT: V[KEY] for every scalar of the object, with one
# jq (the tests run on busy machines, where every process counts).
load_fields ()
{
  declare -gA V=()
  local k v
  while IFS=$'\t' read -r k v; do
    V[$k]=$v
  done < <(jq -r 'to_entries[] | select(.value | type != "object" and type != "array")
                  | [.key, (.value | tostring)] | @tsv' <<<"$1")
}

test_limit_pids_and_memory_growth ()
{
  new_bundle /bin/sh -c 'sleep 600 & sleep 600 & wait'
  run_detached $((128 * MIB))
  local pid before after header row
  pid=$(ctr_pid "$ID")
  # init and its two children
  wait_for 5 children_are "$pid" 2
  stats_json "$ID"
  assert_eq "$(wc -l <<<"$out")" 1 "JSON lines"
  load_fields "$out"
  assert_eq "${V[name]}" "$ID" name
  assert_eq "${V[id]}" "$ID" id
  assert_eq "${V[memory_limit]}" $((128 * MIB)) memory_limit
  assert_eq "${V[pids]}" 3 pids
  assert_eq "${#V[@]}" 11 "number of keys: ${!V[*]}"
  before=${V[memory_usage]}
  # a sleeping shell uses some memory, far less than the limit
  [ "$before" -gt 0 ] && [ "$before" -lt $((32 * MIB)) ] || fail "memory_usage: $out"

  # tmpfs pages stay charged to the container and are not file cache
  t_run rt exec "$ID" dd if=/dev/zero of=/dev/shm/fill bs=1M count=20
  assert_success
  stats_json "$ID"
  load_fields "$out"
  after=${V[memory_usage]}
  echo "memory usage: $before -> $after" >&2
  [ $((after - before)) -ge $((18 * MIB)) ] || fail "grew by $((after - before)) bytes"
  [ $((after - before)) -le $((40 * MIB)) ] || fail "grew by $((after - before)) bytes"
  awk -v v="${V[memory_percent]}" 'BEGIN { exit !(v >= 14 && v <= 35) }' ||
    fail "memory_percent: $out"

  t_run rt stats --no-stream --interval 0.2 "$ID"
  assert_success
  header=$(sed -n 1p <<<"$out")
  row=$(sed -n 2p <<<"$out")
  assert_match "$header" '^NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$' header
  assert_eq "$(wc -l <<<"$out")" 2 "table lines"
  assert_match "$row" "^$ID +[0-9]+\.[0-9]{2}% +[0-9.]+MiB / 128MiB +[0-9]+\.[0-9]{2}% +0B / 0B +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +3$" row
}

test_cpu_percent_follows_a_busy_loop ()
{
  local busy idle
  new_bundle /bin/sh -c 'while :; do :; done'
  run_detached
  busy=$ID
  # a second container of the same bundle
  new_id
  set_args /bin/sleep 600
  run_detached
  idle=$ID
  t_run rt stats --no-stream --format json "$busy" "$idle"
  assert_success
  # one CPU all the time is 100%; allow for a busy machine
  awk -v v="$(field "$busy" cpu_percent)" 'BEGIN { exit !(v > 30 && v < 250) }' ||
    fail "busy loop: $out"
  awk -v v="$(field "$idle" cpu_percent)" 'BEGIN { exit !(v < 5) }' || fail "sleeping: $out"
  # the order of the names given is the order of the lines
  assert_eq "$(jq -r .name <<<"$out" | tr '\n' ' ')" "$busy $idle " order
}

test_net_io_counts_the_netns_but_not_lo ()
{
  command -v nsenter >/dev/null || skip "nsenter is needed"
  new_bundle /bin/sleep 600
  run_detached
  local pid
  pid=$(ctr_pid "$ID")
  # loopback traffic is left out
  nsenter -t "$pid" -n ip link set lo up
  nsenter -t "$pid" -n bash -c 'for i in 1 2 3 4 5; do head -c 1000 /dev/zero >/dev/udp/127.0.0.1/9; done'
  grep -E -q '^ *lo: *[1-9]' "/proc/$pid/net/dev" || fail "no traffic on lo"
  stats_json "$ID"
  load_fields "$out"
  assert_eq "${V[net_rx]} ${V[net_tx]}" "0 0" "net after lo traffic"
  # a veth pair inside the container's netns (gone with it): 20 frames of
  # 1000 bytes of UDP payload sent on one end arrive on the other
  nsenter -t "$pid" -n bash -c '
    ip link add mrva type veth peer name mrvb &&
    ip link set mrva up && ip link set mrvb up &&
    ip addr add 10.199.0.1/24 dev mrva &&
    ip neigh replace 10.199.0.2 lladdr 02:00:00:00:00:02 dev mrva &&
    for i in $(seq 20); do head -c 1000 /dev/zero >/dev/udp/10.199.0.2/9; done' ||
    skip "cannot make a veth pair here"
  stats_json "$ID"
  load_fields "$out"
  [ "${V[net_tx]}" -ge 20000 ] || fail "net_tx: $out"
  [ "${V[net_rx]}" -ge 20000 ] || fail "net_rx: $out"
  t_run rt stats --no-stream --interval 0.1 "$ID"
  assert_match "$(sed -n 2p <<<"$out")" ' [0-9.]+kB / [0-9.]+kB ' "NET I/O"
}

test_stream_stops_on_signals_and_when_the_reader_goes ()
{
  new_bundle /bin/sleep 600
  run_detached
  local t0=$SECONDS lines rc sig pid
  # head leaves after 4 lines: stats must notice and exit 0 at once
  lines=$(timeout 10 "$MINIRUN" --root "$T_ROOT" stats --format json --interval 0.1 "$ID" |
    head -n 4; echo "rc=${PIPESTATUS[0]}")
  echo "$lines" >&2
  assert_eq "$(tail -n 1 <<<"$lines")" "rc=0" "exit status of stats"
  assert_eq "$(sed '$d' <<<"$lines" | jq -r .name | sort | uniq -c | awk '{ print $1, $2 }')" \
    "4 $ID" "lines of 4 frames"
  [ $((SECONDS - t0)) -lt 5 ] || fail "took $((SECONDS - t0))s"

  for sig in TERM INT; do
    "$MINIRUN" --root "$T_ROOT" stats --interval 0.1 "$ID" >"$T_DIR/stream.out" 2>&1 &
    pid=$!
    defer kill_if "$pid" stats
    wait_for 5 frames_at_least "$T_DIR/stream.out" 2
    kill -"$sig" "$pid"
    rc=0
    wait "$pid" || rc=$?
    assert_eq "$rc" 0 "exit status after SIG$sig"
    # not a terminal: frames follow one another, no escape codes
    if grep -q $'\033' "$T_DIR/stream.out"; then fail "escape codes in a file"; fi
  done
}

test_unknown_stopped_or_created_container_fails ()
{
  local stopped created
  t_run rt stats --no-stream no-such-ctr
  assert_status 1
  assert_contains "$err" "container 'no-such-ctr' does not exist"
  new_bundle /bin/true
  t_run rt run -d --bundle "$B" "$ID"
  assert_success
  stopped=$ID
  wait_status "$stopped" stopped
  t_run rt stats --no-stream --format json "$stopped"
  assert_status 1
  assert_contains "$err" "container '$stopped' is not running"
  assert_eq "$out" "" "output for a stopped container"
  new_id
  set_args /bin/sleep 600
  create_ctr
  created=$ID
  t_run rt stats --no-stream "$created"
  assert_status 1
  assert_contains "$err" "container '$created' is not running"
  # one bad name among good ones is still an error
  new_id
  run_detached
  t_run rt stats --no-stream --interval 0.1 "$ID" "$stopped"
  assert_status 1
  assert_contains "$err" "container '$stopped' is not running"
}

test_bad_options_fail_with_a_clear_message ()
{
  t_run rt stats --interval 0 x
  assert_status 1
  assert_contains "$err" "invalid interval '0'"
  t_run rt stats --interval 1s x
  assert_status 1
  assert_contains "$err" "invalid interval '1s'"
  t_run rt stats --format xml
  assert_status 1
  assert_contains "$err" "invalid format 'xml'"
  t_run rt stats --no-stream ../etc
  assert_status 1
  assert_contains "$err" "../etc"
  t_run rt system
  assert_status 1
  assert_contains "$err" "missing command"
  t_run rt system frobnicate
  assert_status 1
  assert_contains "$err" "unknown command 'frobnicate'"
  t_run rt system info --format table
  assert_status 1
  assert_contains "$err" "invalid format 'table': expected text or json"
  t_run rt system stats --format text
  assert_status 1
  assert_contains "$err" "invalid format 'text': expected table or json"
  t_run rt system stats extra
  assert_status 1
  assert_contains "$err" "too many arguments"
}

# Two running containers, one paused, one stopped, one created: stats
# without names shows the running and paused ones, system stats counts
# them all.
test_stats_of_all_and_system_stats_by_status ()
{
  local running=() i base
  # what the root holds already counts too
  base=$(rt list --format json | jq '[length, (map(.status) | (map(select(. == "running")),
    map(select(. == "paused")), map(select(. == "stopped")),
    map(select(. == "created" or . == "creating"))) | length)]')
  new_bundle /bin/sleep 600
  for i in 1 2 3; do
    [ "$i" = 1 ] || new_id
    run_detached
    running+=("$ID")
  done
  t_run rt pause "$ID"
  assert_success
  new_id
  set_args /bin/true
  t_run rt run -d --bundle "$B" "$ID"
  assert_success
  wait_status "$ID" stopped
  new_id
  set_args /bin/sleep 600
  create_ctr

  stats_json
  assert_eq "$(jq -r .name <<<"$out" | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "${running[@]}" | sort | tr '\n' ' ')" "names without arguments"
  t_run rt stats --no-stream --interval 0.1
  assert_success
  assert_eq "$(wc -l <<<"$out")" 4 "table lines"

  t_run rt system stats --format json
  assert_success
  assert_eq "$(jq -r --argjson b "$base" '[.containers - $b[0], .containers_running - $b[1],
    .containers_paused - $b[2], .containers_stopped - $b[3], .containers_created - $b[4]]
    | map(tostring) | join(" ")' <<<"$out")" "5 2 1 1 1" "counts (less $base before)"
  assert_eq "$(jq -r .cpus <<<"$out")" "$(nproc)" cpus
  assert_eq "$(jq -r .memory_total <<<"$out")" \
    "$(($(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo) * 1024))" memory_total
  jq -e '.memory_used > 0 and .memory_used < .memory_total and .cpu_percent >= 0
         and .cpu_percent <= 100 and (.load_average | length) == 3' <<<"$out" >/dev/null ||
    fail "values: $out"
  t_run rt system stats
  assert_success
  assert_match "$(sed -n 1p <<<"$out")" '^CPU % +CPUS +MEM USAGE / TOTAL +MEM % +LOAD AVERAGE +CONTAINERS +RUNNING +PAUSED +STOPPED +CREATED$' header
  assert_match "$(sed -n 2p <<<"$out")" '^[0-9]+\.[0-9]{2}% +[0-9]+ +[0-9.]+[KMGT]iB / [0-9.]+[KMGT]iB +[0-9.]+% +[0-9.]+ [0-9.]+ [0-9.]+( +[0-9]+){5}$' row
  assert_eq "$(sed -n 2p <<<"$out" | awk '{ print $(NF - 4) - $(NF - 3) - $(NF - 2) - $(NF - 1) - $NF }')" \
    0 "containers less those of each status"
}

test_system_info_in_text_and_json ()
{
  t_run rt system info --format json
  assert_success
  local json=$out k
  load_fields "$json"
  assert_eq "${V[cpus]}" "$(nproc)" cpus
  assert_eq "${V[kernel_release]}" "$(uname -r)" kernel_release
  assert_eq "${V[architecture]}" "$(uname -m)" architecture
  assert_eq "${V[state_root]}" "$T_ROOT" state_root
  assert_eq "${V[data_dir]}" "$T_ROOT/data" data_dir
  assert_eq "${V[cgroup_version]}" "$(cg_mode | tr -d v)" cgroup_version
  assert_match "${V[cgroup_backend]}" "^$(cg_mode) " cgroup_backend
  if [ "$(cg_mode)" = v1 ] && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    assert_eq "${V[cgroup_backend]}" "v1 (hybrid, cgroup2 at /sys/fs/cgroup/unified)" backend
  fi
  assert_eq "${V[memory_total]}" "$(($(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo) * 1024))" \
    memory_total
  assert_match "${V[version]}" '^[0-9]+\.[0-9]+' version
  assert_match "${V[libseccomp_version]}" '^[0-9]+\.[0-9]+\.[0-9]+$' libseccomp
  assert_match "${V[jansson_version]}" '^[0-9]+\.[0-9]+' jansson
  if [ -r /etc/os-release ]; then
    assert_eq "${V[os]}" "$(. /etc/os-release && echo "$PRETTY_NAME")" os
  fi
  load_fields "$(jq .security <<<"$json")"
  for k in seccomp user_namespaces pidfd clone3; do
    assert_match "${V[$k]:-}" '^(true|false)$' "security.$k"
  done
  assert_eq "${#V[@]}" 4 "security keys: ${!V[*]}"
  # the kernels minirun supports all have pidfd_open (5.3)
  assert_eq "${V[pidfd]}" true pidfd

  t_run rt system info
  assert_success
  assert_no_match "$out" '^[^:]*$' "a line that is not Key: value"
  assert_contains "$out" "CPUs: $(nproc)"
  assert_contains "$out" "State Root: $T_ROOT"
  assert_contains "$out" "Kernel Release: $(uname -r)"
  assert_match "$out" 'Security Features: [a-z]' security
}

t_ok "stats shows the memory limit, the pids and memory growing, in JSON and table" \
  test_limit_pids_and_memory_growth
t_ok "stats: CPU % of a busy loop is high, of a sleeping container near 0" \
  test_cpu_percent_follows_a_busy_loop
t_ok "stats: NET I/O counts the container's interfaces, not lo" \
  test_net_io_counts_the_netns_but_not_lo
t_ok "stats streams frames, stops on SIGTERM, SIGINT and when its reader goes" \
  test_stream_stops_on_signals_and_when_the_reader_goes
t_ok "stats of an unknown, stopped or created container fails naming it" \
  test_unknown_stopped_or_created_container_fails
t_ok "stats and system reject bad options with a clear message" \
  test_bad_options_fail_with_a_clear_message
t_ok "stats without names shows running and paused ones; system stats counts by status" \
  test_stats_of_all_and_system_stats_by_status
t_ok "system info reports the host as text and as JSON" test_system_info_in_text_and_json
t_done
