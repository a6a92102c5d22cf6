#!/bin/bash
# dashboard: the web page of `minirun serve` at /: served from memory with
# its security headers, self-contained, and working in headless Chromium
# (Debian's chromium driven through chromedriver by tests/helpers/dashboard.py):
# a running container is shown, the stop button stops it, the charts draw
# from the stats stream, the error of a failed action is shown, markup in
# the API's strings stays text, remove asks first, the page recovers from a
# restart of the server, and with a token server it asks for the token.
# The browser's screenshot is kept as
# $top_builddir/tests/integration/dashboard.png (else under $TMPDIR).
. "$(dirname "$0")/lib.sh"

minirun_only "serve is minirun's own"
need_command curl curl || t_skip_all "curl is needed"

HELPER=$T_HELPERS/dashboard.py
PAGE_SRC=$T_LIB_DIR/../../lib/http/dashboard.html
if [ -n "${top_builddir:-}" ]; then
  SHOT_DIR=$top_builddir/tests/integration
else
  SHOT_DIR=${TMPDIR:-/tmp}
fi

. "$(dirname "$0")/serve-lib.sh"

# get PATH [CURL-ARGS...]: the body in $T_DIR/.page, the headers in
# $T_DIR/.headers, the status in $code.
get ()
{
  local path=$1
  shift
  code=$(curl -s -D "$T_DIR/.headers" -o "$T_DIR/.page" -w '%{http_code}' --unix-socket "$SOCK" \
    "$@" "http://localhost$path") || true
}

# header NAME: a header of the last response (the last one of that name).
header ()
{
  grep -i "^$1:" "$T_DIR/.headers" | tail -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'
}

free_port ()
{
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve_tcp: a server with a TCP listener on a free port that wants the
# token $TOKEN; $URL reaches it.
serve_tcp ()
{
  PORT=$(free_port)
  TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077 && printf '%s\n' "$TOKEN" >"$T_DIR/token")
  serve_start --listen "127.0.0.1:$PORT" --token-file "$T_DIR/token"
  URL=http://127.0.0.1:$PORT/
}

# restarter: in the background, stops the server when the browser helper
# asks ($T_DIR/restart.stop) and starts it again, on the same socket, port
# and token, when it asks again ($T_DIR/restart.start); the new server's
# pid goes to $T_DIR/restarted.pid.
restarter ()
{
  wait_for 40 test -e "$T_DIR/restart.stop" || return 0
  kill -TERM "$SRV"
  wait_for 10 pid_gone "$SRV" || return 0
  wait_for 40 test -e "$T_DIR/restart.start" || return 0
  "$MINIRUN" --root "$T_ROOT" serve --socket "$SOCK" "${SERVE_ARGS[@]}" 2>>"$T_DIR/serve.log" &
  echo $! >"$T_DIR/restarted.pid"
}

# kill_pidfile FILE TEXT: kill_if for the pid in FILE, if there is one.
kill_pidfile ()
{
  [ -s "$1" ] && kill_if "$(cat "$1")" "$2"
}

need_browser ()
{
  command -v python3 >/dev/null 2>&1 || skip "python3 is needed to drive the browser"
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "chromium is not installed (apt-get install chromium)"
  [ -x "${CHROMEDRIVER:-/usr/bin/chromedriver}" ] || skip "chromedriver is not installed (apt-get install chromium-driver)"
}

# The browser helper's temporary directories.
helper_dirs ()
{
  local d
  for d in "${TMPDIR:-/tmp}"/minirun-dashboard.*; do
    if [ -e "$d" ]; then echo "$d"; fi
  done
}

# browse ARGS...: runs the browser helper (at most 55 s) and checks that it
# left no temporary directory behind (it checks its processes itself).
browse ()
{
  local before after
  before=$(helper_dirs)
  t_run timeout -k 10 55 python3 "$HELPER" browse "$@"
  after=$(helper_dirs)
  [ "$before" = "$after" ] || fail "temporary directories left: $(comm -13 <(echo "$before") <(echo "$after"))"
  [ "$status" != 2 ] || fail "the browser could not be driven: $output"
  assert_success
}

page_is_served_with_security_headers ()
{
  serve_start
  for p in / /index.html; do
    get $p
    assert_eq "$code" 200 "GET $p: status"
    assert_eq "$(header Content-Type)" "text/html; charset=utf-8" "GET $p: Content-Type"
    assert_eq "$(header Cache-Control)" no-cache "GET $p: Cache-Control"
    assert_eq "$(header X-Content-Type-Options)" nosniff "GET $p: X-Content-Type-Options"
    assert_eq "$(header X-Frame-Options)" DENY "GET $p: X-Frame-Options"
    assert_eq "$(header Referrer-Policy)" no-referrer "GET $p: Referrer-Policy"
    csp=$(header Content-Security-Policy)
    assert_contains "$csp" "default-src 'none'" "CSP"
    assert_contains "$csp" "connect-src 'self'" "CSP"
    assert_contains "$csp" "frame-ancestors 'none'" "CSP"
    # nothing but the page's own origin and its inline code
    assert_no_match "$csp" "\\*|https?:|'unsafe-eval'" "CSP"
    cmp -s "$T_DIR/.page" "$PAGE_SRC" || fail "GET $p is not lib/http/dashboard.html"
  done
  # no token is needed for the page itself, on any listener
  grep -Eq '^GET / 200 [0-9]+ [0-9.]+ms unix$' "$T_DIR/serve.log" || fail "no log line: $(cat "$T_DIR/serve.log")"
}

head_and_other_methods ()
{
  serve_start
  get / -I
  assert_eq "$code" 200 "HEAD /: status"
  assert_eq "$(header Content-Length)" "$(stat -c %s "$PAGE_SRC")" "HEAD /: Content-Length"
  assert_eq "$(header X-Frame-Options)" DENY "HEAD /: X-Frame-Options"
  # curl would not read a body after HEAD: the bytes on the wire tell
  after_headers=$(python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"HEAD / HTTP/1.0\r\nHost: localhost\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(len(data.split(b"\r\n\r\n", 1)[1]) if b"\r\n\r\n" in data else -1)
' "$SOCK")
  assert_eq "$after_headers" 0 "HEAD /: bytes after the headers"
  for m in POST DELETE PUT; do
    get /index.html -X $m
    assert_eq "$code" 405 "$m /index.html: status"
    assert_eq "$(header Allow)" "GET, HEAD" "$m /index.html: Allow"
    body=$(cat "$T_DIR/.page")
    assert_eq "$(jq -r .success <<<"$body")" false "$m: success"
    assert_eq "$(jq -r .error.code <<<"$body")" 405 "$m: error.code"
    assert_contains "$(jq -r .error.message <<<"$body")" "$m" "$m: message"
  done
  # browsers ask for an icon: answered without a body, and without a 404
  get /favicon.ico
  assert_eq "$code" 204 "GET /favicon.ico: status"
  assert_eq "$(stat -c %s "$T_DIR/.page")" 0 "favicon body size"
  get /index.htm
  assert_eq "$code" 404 "GET /index.htm: status"
}

page_is_self_contained ()
{
  serve_start
  get /
  assert_eq "$code" 200 "GET /"
  page=$T_DIR/.page
  # nothing fetched from elsewhere: no absolute or protocol-relative URLs
  if grep -Eion '(src|href|action|poster|data)[[:space:]]*=[[:space:]]*["'\'']?[[:space:]]*([a-z]+:)?//' "$page"; then
    fail "the page refers to another origin"
  fi
  if grep -Eion 'https?://|url\([[:space:]]*["'\'']?[[:space:]]*(https?:)?//|@import' "$page"; then
    fail "the page names an external URL"
  fi
  grep -Eq '<script[^>]*src' "$page" && fail "an external script"
  grep -Eq '<link[^>]*(stylesheet|href)' "$page" && fail "an external style sheet"
  # strings from the API are never parsed as HTML or code
  if grep -En 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function' "$page"; then
    fail "the page parses text as HTML or code"
  fi
  # the charts read the one stats stream, with a reader, not a stream each
  assert_eq "$(grep -c 'system/stats?stream=true' "$page")" 1 "stats stream requests"
  grep -q 'getReader' "$page" || fail "the page does not read the stream as it comes"
  grep -q 'sessionStorage' "$page" || fail "the page does not keep the token for the session"
  # published ports link to the host the page was loaded from
  grep -q "c.port_bindings" "$page" || fail "the page does not show the ports"
  grep -q "'//' + location.hostname + ':' + hp" "$page" || fail "port links do not go to the page's host"
}

browser_shows_stops_and_removes ()
{
  need_browser
  # sh ignores SIGTERM as pid 1 unless it traps it: the stop is quick
  new_bundle
  RUN=$ID
  rt run -d --rootfs "$B/rootfs" --name "$RUN" -- \
    sh -c "trap 'exit 0' TERM; echo hello-from-$RUN; while :; do sleep 1; done" >/dev/null
  # markup in the image path and the command must reach the page as text
  new_id
  EVIL=$ID
  evil_dir="$T_DIR/<img src=x onerror=window.pwned=1>"
  cp -a "$T_ROOTFS_CACHE/rootfs" "$evil_dir"
  rt run -d --rootfs "$evil_dir" --name "$EVIL" -- \
    sh -c ': "<b>bold</b><script>window.pwned=2</script>"; exec sleep 1000' >/dev/null
  serve_tcp
  wait_for 5 sh -c "curl -s -m 2 --unix-socket '$SOCK' 'http://localhost/api/v1/containers/$RUN/logs?tail=5' | grep -q 'hello-from-$RUN'"
  opts=(--token "$TOKEN" --stats --log-text "hello-from-$RUN")
  mkdir -p "$SHOT_DIR"
  shot=$SHOT_DIR/dashboard.png
  rm -f "$shot"
  restarter &
  defer kill_if "$!" dashboard.sh
  defer kill_pidfile "$T_DIR/restarted.pid" serve
  browse "$URL" --running "$RUN" --evil "$EVIL" --evil-image "$evil_dir" --remove "$EVIL" \
    --restart "$T_DIR/restart" --screenshot "$shot" "${opts[@]}"
  [ -s "$T_DIR/restarted.pid" ] || fail "the server was not restarted"
  assert_eq "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a "screenshot: PNG signature"
  echo "# screenshot: $shot" >&2
  # what the page did, it did through the API
  assert_eq "$(rt inspect "$RUN" | jq -r '.[0].State.Status')" stopped "$RUN after the stop button"
  t_run rt inspect "$EVIL"
  assert_failure
  grep -Eq "^POST /api/v1/containers/$RUN/stop 200 " "$T_DIR/serve.log" || fail "no stop request: $(cat "$T_DIR/serve.log")"
  grep -Eq "^DELETE /api/v1/containers/$EVIL 200 " "$T_DIR/serve.log" || fail "no delete request"
  grep -Eq "^GET /api/v1/containers 401 " "$T_DIR/serve.log" || fail "the page never asked without the token"
}

page_needs_no_token_but_the_api_does ()
{
  serve_tcp
  code=$(curl -s -D "$T_DIR/.headers" -o "$T_DIR/.page" -w '%{http_code}' "$URL")
  assert_eq "$code" 200 "GET / over TCP without a token"
  cmp -s "$T_DIR/.page" "$PAGE_SRC" || fail "GET / over TCP is not the page"
  assert_eq "$(header X-Frame-Options)" DENY "GET / over TCP: X-Frame-Options"
  assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "${URL}favicon.ico")" 204 "favicon without a token"
  assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "${URL}api/v1/containers")" 401 "the API without a token"
  assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "${URL}api/v1/containers")" 200 \
    "the API with the token"
  # the page is the only thing out of the token's reach
  assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "${URL}index.html/../api/v1/containers")" 401 "a path through the page"
}

t_ok "GET / and /index.html: the page, text/html, no-cache, CSP, nosniff, DENY, no-referrer" page_is_served_with_security_headers
t_ok "HEAD / sends the headers only; other methods get 405 and Allow; /favicon.ico 204" head_and_other_methods
t_ok "the page loads nothing from elsewhere and never parses API text as HTML" page_is_self_contained
t_ok "over TCP with a token: the page is served without one, the API is not" page_needs_no_token_but_the_api_does
t_ok "in Chromium: asks for the token, shows a running container, stops it, draws charts, survives a server restart, removes after a confirmation" browser_shows_stops_and_removes
t_done
