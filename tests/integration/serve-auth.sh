#!/bin/bash
# serve's listeners and their guards: TCP with a bearer token (made 0600),
# --insecure-no-auth, HTTPS with a certificate made here, socket activation,
# the socket's group, CORS, the body, header and connection limits, slow
# clients, --stop-containers-on-exit, and bad command lines.
. "$(dirname "$0")/lib.sh"

minirun_only "serve is minirun's own"
need_command curl curl || t_skip_all "curl is needed"
need_command python3 python3 || t_skip_all "python3 is needed"

# serve_tcp ARGS...: a server of this script's root with a unix socket at
# $SOCK and a TCP listener on a free port of 127.0.0.1 (in $URL, https when
# the arguments ask for TLS); pid in $SRV, standard error in $LOG.
serve_tcp ()
{
  SOCK=$T_DIR/s.$BASHPID.sock
  LOG=$T_DIR/serve.$BASHPID.log
  "$MINIRUN" --root "$T_ROOT" serve --socket "$SOCK" --listen 127.0.0.1:0 "$@" 2>"$LOG" &
  SRV=$!
  defer kill_if "$SRV" serve
  wait_for 5 grep -q 'listening on http' "$LOG" || fail "serve did not start: $(cat "$LOG")"
  URL=$(sed -n 's/^listening on \(https\{0,1\}:\/\/[^ ]*\).*/\1/p' "$LOG" | head -n 1)
}

# call URL-PATH [CURL-ARGS...]: status in $code, body in $body.
call ()
{
  local path=$1
  shift
  code=$(curl -s -o "$T_DIR/.body" -w '%{http_code}' "$@" "$URL$path") || true
  body=$(cat "$T_DIR/.body" 2>/dev/null)
}

token_is_needed_on_tcp ()
{
  local tf=$T_DIR/token.$BASHPID token
  serve_tcp --token-file "$tf"
  assert_eq "$(stat -c %a "$tf")" 600 "a new token file is private"
  token=$(cat "$tf")
  assert_match "$token" '^[0-9a-f]{64}$' "the token is 32 random bytes in hex"
  call /api/v1/health
  assert_eq "$code" 401 "no token (body $body)"
  assert_eq "$(jq -r .error.type <<<"$body")" unauthorized "401 type"
  curl -s -D - -o /dev/null "$URL/health" | grep -qi '^WWW-Authenticate: Bearer' ||
    fail "a 401 names the scheme"
  call /api/v1/health -H "Authorization: Bearer nope"
  assert_eq "$code" 401 "wrong token"
  call /api/v1/health -H "Authorization: Bearer ${token}x"
  assert_eq "$code" 401 "token with a suffix"
  call /api/v1/health -H "Authorization: Basic $token"
  assert_eq "$code" 401 "another scheme"
  call /api/v1/health -H "Authorization: Bearer $token"
  assert_eq "$code" 200 "right token (body $body)"
  # a body sent without the token is refused before it is read
  call /api/v1/containers/x/kill -X POST -H 'Content-Type: application/json' -d '{}'
  assert_eq "$code" 401 "POST without the token"
  # the unix socket is guarded by its mode, not the token
  code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://localhost/health)
  assert_eq "$code" 200 "unix socket without a token"
  # the dashboard page asks for the token itself
  call /
  assert_eq "$code" 200 "the dashboard page without a token"
  # the same file is read again by the next server
  kill_if "$SRV" serve
  serve_tcp --token-file "$tf"
  assert_eq "$(cat "$tf")" "$token" "the token is kept"
  call /health -H "Authorization: Bearer $token"
  assert_eq "$code" 200 "the kept token works"
}

a_readable_token_file_is_refused ()
{
  local tf=$T_DIR/open-token
  echo 0123456789abcdef0123 >"$tf"
  chmod 644 "$tf"
  t_run "$MINIRUN" --root "$T_ROOT" serve --socket "$T_DIR/x.sock" --listen 127.0.0.1:0 --token-file "$tf"
  assert_failure
  assert_contains "$err" "open to others" "the error says why"
  assert_contains "$err" "chmod 600" "the error says what to do"
  [ ! -e "$T_DIR/x.sock" ] || fail "a refused start leaves its socket"
  echo short >"$tf"
  chmod 600 "$tf"
  t_run "$MINIRUN" --root "$T_ROOT" serve --socket "$T_DIR/x.sock" --listen 127.0.0.1:0 --token-file "$tf"
  assert_failure
  assert_contains "$err" "16 or more characters" "a short token is refused"
}

insecure_no_auth_opens_tcp ()
{
  serve_tcp --insecure-no-auth
  call /api/v1/health
  assert_eq "$code" 200 "no token needed (body $body)"
  grep -q 'listening on http://127.0.0.1:[0-9]* *$' "$LOG" || fail "log: $(cat "$LOG")"
  grep -Eq '^GET /api/v1/health 200 [0-9]+ [0-9.]+ms 127\.0\.0\.1:[0-9]+$' "$LOG" ||
    fail "the request line names the TCP client: $(cat "$LOG")"
}

https_with_a_certificate ()
{
  local d=$T_DIR/tls.$BASHPID
  mkdir -p "$d"
  need_command openssl openssl || return 0
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 1 \
    -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null ||
    fail "openssl could not make a certificate"
  serve_tcp --insecure-no-auth --tls-cert "$d/cert.pem" --tls-key "$d/key.pem"
  assert_match "$URL" '^https://127\.0\.0\.1:[0-9]+$' "the listener is https"
  call /api/v1/health --cacert "$d/cert.pem"
  assert_eq "$code" 200 "https with the certificate trusted (body $body)"
  call /api/v1/health
  assert_ne "$code" 200 "an untrusted certificate is refused by the client"
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://${URL#https://}/health") || true
  assert_ne "$code" 200 "plain http on the https port"
  # the unix socket stays plain http
  code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://localhost/health)
  assert_eq "$code" 200 "unix socket stays http"
  kill_if "$SRV" serve
  # the environment names the files too
  TLS_CERT_PATH=$d/cert.pem TLS_KEY_PATH=$d/key.pem serve_tcp --insecure-no-auth
  assert_match "$URL" '^https://' "TLS_CERT_PATH and TLS_KEY_PATH turn https on"
  call /health --cacert "$d/cert.pem"
  assert_eq "$code" 200 "https from the environment"
}

bad_tls_and_listen_options_are_refused ()
{
  local d=$T_DIR/badtls
  mkdir -p "$d"
  echo "not a certificate" >"$d/cert.pem"
  echo "not a key" >"$d/key.pem"
  t_run "$MINIRUN" --root "$T_ROOT" serve --socket "$T_DIR/y.sock" --listen 127.0.0.1:0 --insecure-no-auth --tls-cert "$d/cert.pem"
  assert_failure
  assert_contains "$err" "--tls-key" "a certificate without a key"
  t_run "$MINIRUN" --root "$T_ROOT" serve --socket "$T_DIR/y.sock" --listen 127.0.0.1:0 --insecure-no-auth --tls-cert "$d/cert.pem" --tls-key "$d/key.pem"
  assert_failure
  assert_contains "$err" "TLS" "a bad PEM pair is named"
  [ ! -e "$T_DIR/y.sock" ] || fail "a refused start leaves its socket"
  t_run "$MINIRUN" --root "$T_ROOT" serve --socket "$T_DIR/y.sock" --listen 127.0.0.1:0 --insecure-no-auth --tls-cert "$d/none.pem" --tls-key "$d/key.pem"
  assert_failure
  assert_contains "$err" "none.pem" "a missing certificate is named"
  for bad in nocolon 127.0.0.1:99999 127.0.0.1:x '[::1:80' 'no.such.host.invalid:80'; do
    t_run "$MINIRUN" --root "$T_ROOT" serve --socket "$T_DIR/y.sock" --listen "$bad" --insecure-no-auth
    assert_failure
    assert_contains "$err" "--listen" "--listen $bad is named"
  done
  for opt in "--max-body 12q" "--max-body 0" "--max-connections 0" "--timeout x" "--stop-timeout -1" "--socket-group no-such-group-here"; do
    # shellcheck disable=SC2086
    t_run "$MINIRUN" --root "$T_ROOT" serve --socket "$T_DIR/y.sock" $opt
    assert_failure
    assert_contains "$err" "${opt#* }" "$opt: the value is named"
  done
  [ ! -e "$T_DIR/y.sock" ] || fail "a refused start leaves its socket"
  # a port in use: the whole start fails and the unix socket goes too
  serve_tcp --insecure-no-auth
  t_run "$MINIRUN" --root "$T_ROOT" serve --socket "$T_DIR/y.sock" --listen "${URL#http://}" --insecure-no-auth
  assert_failure
  assert_contains "$err" "Address already in use" "a port in use"
  [ ! -e "$T_DIR/y.sock" ] || fail "a failed start leaves its socket"
}

socket_group_and_activation ()
{
  local gid
  gid=$(getent group daemon | cut -d: -f3)
  [ -n "$gid" ] || { skip "no group 'daemon' here"; return; }
  SOCK=$T_DIR/g.sock
  "$MINIRUN" --root "$T_ROOT" serve --socket "$SOCK" --socket-group daemon 2>"$T_DIR/g.log" &
  SRV=$!
  defer kill_if "$SRV" serve
  wait_for 5 test -S "$SOCK" || fail "no socket: $(cat "$T_DIR/g.log")"
  assert_eq "$(stat -c %g "$SOCK")" "$gid" "socket group"
  assert_eq "$(stat -c %a "$SOCK")" 660 "socket mode"
  kill_if "$SRV" serve
  # systemd's protocol: a listening socket as fd 3, LISTEN_PID and
  # LISTEN_FDS; no socket of serve's own is made
  local act=$T_DIR/act.sock
  python3 - "$act" "$MINIRUN" "$T_ROOT" "$T_DIR/act.log" <<'EOF' &
import os, socket, sys
path, minirun, root, log = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(16)
pid = os.fork()
if pid == 0:
    os.dup2(s.fileno(), 3)
    os.set_inheritable(3, True)
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.environ["LISTEN_FDS"] = "1"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)
    os.execv(minirun, [minirun, "--root", root, "serve"])
s.close()
os.waitpid(pid, 0)
EOF
  SRV=$!
  defer kill_if "$SRV" activator
  wait_for 5 curl -sf --unix-socket "$act" http://localhost/health >/dev/null ||
    fail "no answer on the passed socket: $(cat "$T_DIR/act.log")"
  [ ! -e "$T_ROOT/minirun.sock" ] || fail "serve made its own socket besides the passed one"
  assert_contains "$(cat "$T_DIR/act.log")" "listening on unix:$act" "the passed socket is logged"
  # the server is the activator's child: stop it through its pid
  local child
  child=$(pgrep -P "$SRV" | head -n 1)
  [ -n "$child" ] && kill -TERM "$child"
  wait_for 5 pid_gone "$SRV" || fail "serve did not stop"
  rm -f "$act"
}

cors_headers_and_preflight ()
{
  serve_tcp --insecure-no-auth --cors-origin https://ui.example
  curl -s -D "$T_DIR/h" -o /dev/null "$URL/api/v1/health"
  grep -qi '^Access-Control-Allow-Origin: https://ui.example' "$T_DIR/h" || fail "no allow-origin: $(cat "$T_DIR/h")"
  code=$(curl -s -D "$T_DIR/h" -o /dev/null -w '%{http_code}' -X OPTIONS \
    -H 'Origin: https://ui.example' -H 'Access-Control-Request-Method: POST' "$URL/api/v1/containers/x/stop")
  assert_eq "$code" 204 "preflight"
  grep -qi '^Access-Control-Allow-Methods:.*POST' "$T_DIR/h" || fail "preflight methods: $(cat "$T_DIR/h")"
  grep -qi '^Access-Control-Allow-Headers:.*Authorization' "$T_DIR/h" || fail "preflight headers"
  kill_if "$SRV" serve
  serve_tcp --insecure-no-auth
  curl -s -D "$T_DIR/h" -o /dev/null "$URL/api/v1/health"
  ! grep -qi '^Access-Control' "$T_DIR/h" || fail "CORS headers without --cors-origin"
}

limits_on_bodies_headers_and_connections ()
{
  serve_tcp --insecure-no-auth --max-body 1k --max-connections 3 --timeout 2
  head -c 2000 /dev/zero | tr '\0' x >"$T_DIR/big"
  call /api/v1/containers/x/kill -X POST --data-binary @"$T_DIR/big"
  assert_eq "$code" 413 "a body over --max-body (body $body)"
  call /api/v1/containers/x/kill -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$T_DIR/big"
  assert_eq "$code" 413 "a chunked body over --max-body"
  # request headers are bounded too
  call /api/v1/health -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' y)"
  assert_match "$code" '^(413|431)$' "oversized headers"
  python3 - "${URL#http://}" <<'EOF' || fail "connection limit and slow clients"
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
addr = (host, int(port))
# a slow client: half a request line, then nothing; dropped after --timeout
slow = socket.create_connection(addr)
slow.sendall(b"GET /health HT")
slow.settimeout(6)
t0 = time.monotonic()
try:
    data = slow.recv(100)
except ConnectionResetError:
    data = b""
took = time.monotonic() - t0
assert data == b"", "a slow client got %r" % data
assert 1.5 <= took <= 5, "a slow client was dropped after %.1fs, not about 2s" % took
# the fourth of four idle connections over a limit of three is refused
held = [socket.create_connection(addr) for _ in range(3)]
time.sleep(0.3)
extra = socket.create_connection(addr)
extra.settimeout(3)
try:
    extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    got = extra.recv(100)
except (ConnectionResetError, BrokenPipeError):
    got = b""
assert got == b"", "a connection over the limit was answered: %r" % got
for c in held:
    c.close()
time.sleep(0.5)
# once they are gone, a new one is served
ok = socket.create_connection(addr)
ok.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
ok.settimeout(5)
assert ok.recv(100).startswith(b"HTTP/1.1 200"), "no answer after the held connections closed"
EOF
}

stop_containers_on_exit ()
{
  new_bundle
  rt run -d --rootfs "$B/rootfs" --name "$ID" --stop-timeout 1 -- sleep 1000 >/dev/null
  assert_eq "$(rt inspect "$ID" | jq -r '.[0].State.Status')" running "status after run -d"
  SOCK=$T_DIR/stop.sock
  "$MINIRUN" --root "$T_ROOT" serve --socket "$SOCK" --stop-containers-on-exit --stop-timeout 1 2>"$T_DIR/stop.log" &
  SRV=$!
  defer kill_if "$SRV" serve
  wait_for 5 curl -sf --unix-socket "$SOCK" http://localhost/health >/dev/null || fail "serve did not start"
  kill -TERM "$SRV"
  wait "$SRV"
  assert_eq "$?" 0 "serve's exit status"
  assert_eq "$(rt inspect "$ID" | jq -r '.[0].State.Status')" stopped "the container was stopped"
  assert_contains "$(cat "$T_DIR/stop.log")" "stopping $ID" "the stop is logged"
  rt rm -f "$ID" >/dev/null
}

t_ok "TCP needs the bearer token (made 0600, kept); the unix socket and the page do not" token_is_needed_on_tcp
t_ok "a token file open to others, or too short, is refused" a_readable_token_file_is_refused
t_ok "--insecure-no-auth lets TCP clients in; the log names the client" insecure_no_auth_opens_tcp
t_ok "HTTPS with a self-signed certificate, from options or the environment" https_with_a_certificate
t_ok "bad TLS files, --listen values, limits and a port in use are refused" bad_tls_and_listen_options_are_refused
t_ok "--socket-group, and a socket passed by systemd's LISTEN_FDS" socket_group_and_activation
t_ok "--cors-origin answers preflights and marks responses" cors_headers_and_preflight
t_ok "body, header and connection limits; a slow client is dropped" limits_on_bodies_headers_and_connections
t_ok "--stop-containers-on-exit stops the running containers" stop_containers_on_exit
t_done
