# shellcheck shell=bash
# What the serve tests share, sourced after lib.sh: a server of the
# script's root, and curl calls that read the envelope.

# serve_start [SERVE-OPTIONS...]: a server of this script's root on $SOCK
# (one per test: a killed server leaves its socket file behind), its pid in
# $SRV, its options in SERVE_ARGS, its standard error in $T_DIR/serve.log;
# killed after the test.
serve_start ()
{
  SOCK=$T_DIR/s.$BASHPID.sock
  SERVE_ARGS=("$@")
  "$MINIRUN" --root "$T_ROOT" serve --socket "$SOCK" "$@" 2>"$T_DIR/serve.log" &
  SRV=$!
  defer kill_if "$SRV" serve
  wait_for 5 curl -sf --unix-socket "$SOCK" http://localhost/_ping
}

# api METHOD PATH [CURL-ARGS...]: the body in $body, the status in $code.
api ()
{
  local method=$1 path=$2
  shift 2
  code=$(curl -s -o "$T_DIR/.body" -w '%{http_code}' --unix-socket "$SOCK" -X "$method" \
    "$@" "http://localhost$path") || true
  body=$(cat "$T_DIR/.body")
}

# api_json METHOD PATH STATUS JSON: sends JSON, wants STATUS.
api_json ()
{
  api "$1" "$2" -H 'Content-Type: application/json' --data-binary "$4"
  assert_eq "$code" "$3" "$1 $2 $4: status (body $body)"
}

# api_ok METHOD PATH [CURL-ARGS...]: the call must succeed with the
# success envelope.
api_ok ()
{
  api "$@"
  assert_eq "$code" 200 "$1 $2: status (body $body)"
  assert_eq "$(jq -r .success <<<"$body")" true "$1 $2: success"
}

# api_err METHOD PATH STATUS [CURL-ARGS...]: the call must fail with STATUS
# and the error envelope.
api_err ()
{
  local method=$1 path=$2 want=$3
  shift 3
  api "$method" "$path" "$@"
  assert_eq "$code" "$want" "$method $path: status (body $body)"
  assert_eq "$(jq -r .success <<<"$body")" false "$method $path: success"
  assert_eq "$(jq -r .error.code <<<"$body")" "$want" "$method $path: error.code"
  assert_ne "$(jq -r .error.message <<<"$body")" "" "$method $path: error.message"
}

status_of ()
{
  rt inspect "$1" | jq -r '.[0].State.Status'
}

# mk_running [CMD...]: a running managed container named $ID (sleep 1000).
mk_running ()
{
  new_bundle
  if [ $# -eq 0 ]; then set -- sleep 1000; fi
  rt run -d --rootfs "$B/rootfs" --name "$ID" -- "$@" >/dev/null
}
