#!/bin/bash
# minirun events: what the OCI verbs record, reading it back (--since,
# --until, --filter, text and JSON), following new events in the
# background, and the errors for bad times and filters.  The events of the
# script's --root are kept in its own data directory.
. "$(dirname "$0")/lib.sh"

minirun_only "events is minirun's own"

# Each test sees the events of its own containers only: those since it
# called mark_start.
mark_start ()
{
  T_START=$(date +%s.%N)
}

# ev ARGS...: the stored events since mark_start, without waiting for new
# ones.
ev ()
{
  rt events --no-follow --since "$T_START" "$@"
}

# The actions of the JSON lines in $out for container $1, space-separated.
actions_of ()
{
  jq -r --arg id "$1" 'select(.id == $id) | .action' <<<"$out" | tr '\n' ' ' | sed 's/ $//'
}

test_oci_verbs_record_their_events_in_order ()
{
  mark_start
  new_bundle /bin/sleep 600
  start_ctr
  # init ignores USR1 (no handler in its pid namespace): it keeps running
  t_run rt kill "$ID" USR1
  assert_success
  t_run rt pause "$ID"
  assert_success
  t_run rt resume "$ID"
  assert_success
  t_run rt delete --force "$ID"
  assert_success
  t_run ev --format json
  assert_success
  assert_eq "$(actions_of "$ID")" "create start kill pause resume delete" actions
  # every line is a whole event of this container, oldest first
  assert_eq "$(jq -s 'length' <<<"$out")" 6 "number of events"
  assert_eq "$(jq -r 'select(.type != "container" or .id != "'"$ID"'") | .id' <<<"$out")" "" \
    "events of another type or container"
  jq -e -s 'map(.timeNano) | . == sort' <<<"$out" >/dev/null || fail "events out of order: $out"
  jq -e -s 'all(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$"))' <<<"$out" \
    >/dev/null || fail "times are not RFC 3339 with nanoseconds: $out"
  assert_eq "$(jq -r 'select(.action == "kill") | .attributes.signal' <<<"$out")" SIGUSR1 signal
  assert_eq "$(jq -c 'select(.action == "start") | .attributes' <<<"$out")" "{}" "start attributes"
}

test_a_failed_verb_records_nothing ()
{
  mark_start
  new_bundle /bin/sleep 600
  create_ctr
  t_run rt pause "$ID"
  assert_failure
  t_run rt resume "$ID"
  assert_failure
  t_run rt kill no-such-container KILL
  assert_failure
  t_run ev --format json
  assert_success
  assert_eq "$(actions_of "$ID")" "create" actions
  assert_eq "$(actions_of no-such-container)" "" "events of a missing container"
}

test_run_records_create_start_and_die_with_the_exit_code ()
{
  mark_start
  new_bundle /bin/sh -c 'exit 3'
  run_ctr
  assert_status 3
  t_run ev --format json
  assert_success
  assert_eq "$(actions_of "$ID")" "create start die" actions
  assert_eq "$(jq -r 'select(.action == "die") | .attributes.exitCode' <<<"$out")" 3 exitCode
}

test_text_format_is_dockers ()
{
  mark_start
  new_bundle /bin/sleep 600
  start_ctr
  t_run rt kill "$ID" KILL
  assert_success
  t_run ev
  assert_success
  local ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z'
  assert_match "$(sed -n 1p <<<"$out")" "^$ts container create $ID\$" "first line"
  assert_match "$(sed -n 2p <<<"$out")" "^$ts container start $ID\$" "second line"
  assert_match "$(sed -n 3p <<<"$out")" "^$ts container kill $ID \\(signal=SIGKILL\\)\$" "third line"
  assert_eq "$(grep -c . <<<"$out")" 3 "number of lines"
}

test_since_and_until_select_by_time ()
{
  local first second t0 t1
  new_bundle /bin/true
  first=$ID
  create_ctr
  # the clock of the events: nanoseconds, so no pause is needed between
  t0=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  ID=${first}b
  create_ctr
  second=$ID
  t1=$(date +%s.%N)
  t_run rt events --no-follow --format json --since "$t0"
  assert_success
  assert_eq "$(jq -r .id <<<"$out")" "$second" "events since $t0"
  t_run rt events --no-follow --format json --until "$t0" -f container="$first" -f container="$second"
  assert_success
  assert_eq "$(jq -r .id <<<"$out")" "$first" "events until $t0"
  t_run rt events --no-follow --format json --since 1h -f container="$first" -f container="$second"
  assert_success
  assert_eq "$(jq -r .id <<<"$out" | tr '\n' ' ')" "$first $second " "events of the last hour"
  t_run rt events --no-follow --format json --since "$t1"
  assert_success
  assert_eq "$out" "" "events since after the last one"
}

test_until_in_the_past_prints_stored_events_and_exits ()
{
  new_bundle /bin/true
  create_ctr
  # without --no-follow: --until is what ends it
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events --since 1h --until 0s --format json \
    --filter container="$ID"
  assert_success
  assert_eq "$(actions_of "$ID")" "create" actions
}

test_until_in_the_future_follows_until_then ()
{
  local until start elapsed
  until=$(($(date +%s) + 2))
  start=$(date +%s%N)
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events --until "$until"
  elapsed=$((($(date +%s%N) - start) / 1000000))
  assert_success
  [ "$elapsed" -ge 900 ] || fail "returned after ${elapsed}ms, before $until"
  [ "$elapsed" -lt 5000 ] || fail "returned after ${elapsed}ms"
}

test_filters_select_events ()
{
  mark_start
  local a b
  new_bundle /bin/sleep 600
  a=$ID
  start_ctr
  ID=${a}b
  create_ctr
  b=$ID
  t_run rt delete --force "$a"
  assert_success
  t_run rt delete "$b"
  assert_success
  t_run ev --format json --filter event=delete
  assert_success
  assert_eq "$(jq -r '"\(.action) \(.id)"' <<<"$out" | tr '\n' ' ')" "delete $a delete $b " \
    "event=delete"
  t_run ev --format json -f event=delete -f event=start
  assert_success
  assert_eq "$(jq -r '"\(.action) \(.id)"' <<<"$out" | tr '\n' ' ')" \
    "start $a delete $a delete $b " "event=delete or event=start"
  t_run ev --format json --filter container="$b" --filter event=create
  assert_success
  assert_eq "$(jq -r '"\(.action) \(.id)"' <<<"$out" | tr '\n' ' ')" "create $b " \
    "container=$b and event=create"
  t_run ev --format json --filter type=image
  assert_success
  assert_eq "$out" "" "type=image"
}

# The path of the events log, as the follower has it open.
follower_reads_log ()
{
  local fd
  for fd in /proc/"$1"/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "$T_ROOT/data/events.log" ] && return 0
  done
  return 1
}

test_a_follower_sees_new_events_until_a_signal_stops_it ()
{
  local old pid rc=0 sig
  for sig in TERM INT; do
    new_bundle /bin/true
    old=$ID
    create_ctr
    "$MINIRUN" --root "$T_ROOT" events --format json >"$T_DIR/follow.$sig" 2>&1 </dev/null &
    pid=$!
    defer kill_if "$pid" events
    # it holds the log open once it has read to its end
    wait_for 10 follower_reads_log "$pid"
    ID=${old}n
    create_ctr
    t_run rt delete "$ID"
    assert_success
    wait_for 10 grep -q '"delete"' "$T_DIR/follow.$sig"
    kill -"$sig" "$pid"
    rc=0
    wait "$pid" || rc=$?
    assert_eq "$rc" 0 "exit status after SIG$sig"
    out=$(cat "$T_DIR/follow.$sig")
    # only what happened after it started
    assert_eq "$(actions_of "$old")" "" "events from before the follower"
    assert_eq "$(actions_of "$ID")" "create delete" "events the follower saw"
  done
}

test_a_reader_that_goes_away_ends_it_cleanly ()
{
  local rc
  new_bundle /bin/true
  create_ctr
  ( "$MINIRUN" --root "$T_ROOT" events --since 1h --format json --filter container="$ID"
    echo $? >"$T_DIR/rc" ) |
    head -n 1 >"$T_DIR/first" &
  # more events after head is gone: the next write finds the pipe closed
  wait_for 10 test -s "$T_DIR/first"
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -s "$T_DIR/rc" ] && break
    t_run rt delete "$ID"
    create_ctr
    sleep 0.2
  done
  wait_for 10 test -s "$T_DIR/rc"
  rc=$(cat "$T_DIR/rc")
  assert_eq "$rc" 0 "exit status when the reader went away"
  assert_eq "$(jq -r .action "$T_DIR/first")" create "the line head read"
}

test_bad_times_filters_and_formats_are_errors ()
{
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events --since yesterday
  assert_status 1
  assert_contains "$err" "invalid since time 'yesterday'"
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events --until 2026-13-01
  assert_status 1
  assert_contains "$err" "invalid until time '2026-13-01'"
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events --filter colour=red
  assert_status 1
  assert_contains "$err" "invalid filter 'colour=red': unknown key 'colour'"
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events -f event=explode
  assert_status 1
  assert_contains "$err" "invalid filter 'event=explode': unknown event 'explode'"
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events --filter container
  assert_status 1
  assert_contains "$err" "invalid filter 'container': want KEY=VALUE"
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events --format yaml
  assert_status 1
  assert_contains "$err" "invalid format 'yaml'"
  # one word is a container id (runc's events ID), two are too many
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events extra
  assert_status 1
  assert_contains "$err" "'extra' does not exist"
  t_run timeout 10 "$MINIRUN" --root "$T_ROOT" events extra more
  assert_status 1
  assert_contains "$err" "too many arguments"
}

t_ok "create, start, kill, pause, resume and delete record their events in order" \
  test_oci_verbs_record_their_events_in_order
t_ok "a verb that fails records nothing" test_a_failed_verb_records_nothing
t_ok "run records create, start, and die with the exit code" \
  test_run_records_create_start_and_die_with_the_exit_code
t_ok "the text format is docker's: time, type, action, id, (attributes)" test_text_format_is_dockers
t_ok "--since and --until select events by time" test_since_and_until_select_by_time
t_ok "--until in the past prints the stored events and exits" \
  test_until_in_the_past_prints_stored_events_and_exits
t_ok "--until in the future follows until then" test_until_in_the_future_follows_until_then
t_ok "--filter selects events: same key or, different keys and" test_filters_select_events
t_ok "a follower sees the new events and stops on TERM and INT with status 0" \
  test_a_follower_sees_new_events_until_a_signal_stops_it
t_ok "a reader that goes away ends events with status 0" test_a_reader_that_goes_away_ends_it_cleanly
t_ok "bad times, filters and formats are errors that name them" \
  test_bad_times_filters_and_formats_are_errors
t_done
