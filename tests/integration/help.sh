#!/bin/bash
# Every verb of the applet table answers --help and -h with the synopsis of its
# man page, has a man page that documents its options, and is offered by the
# bash, zsh and fish completions; plus the dispatch rules of the multicall
# binary.  Needs no root and no container: TAP on stdout.
#
# MINIRUN: the binary to test (default ./minirun); top_srcdir: the source tree
# (default: two levels above this script).

set -u

MINIRUN=${MINIRUN:-./minirun}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
case $MINIRUN in
  */*) MINIRUN=$(cd "$(dirname "$MINIRUN")" && pwd)/$(basename "$MINIRUN") ;;
  *) MINIRUN=$(command -v "$MINIRUN" || echo "$MINIRUN") ;;
esac
if [ ! -x "$MINIRUN" ]; then
  echo "Bail out! MINIRUN=$MINIRUN is not an executable"
  exit 99
fi

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/minirun-help.XXXXXX")
trap 'rm -rf "$T_DIR"' EXIT

RESULTS=()
FAILED=0

# ok DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds; what it
# printed is shown as a TAP comment when it fails.
ok() {
  local desc=$1 out
  shift
  if out=$("$@" 2>&1); then
    RESULTS+=("ok - $desc")
  else
    RESULTS+=("not ok - $desc")
    [ -n "$out" ] && RESULTS+=("$(printf '%s\n' "$out" | sed 's/^/# /')")
    FAILED=$((FAILED + 1))
  fi
}

skip() {
  RESULTS+=("ok - $1 # SKIP $2")
}

fail() {
  printf '%s\n' "$@"
  return 1
}

# What follows .SH SYNOPSIS, with the roff font and dash escapes removed.
man_synopsis() {
  sed -n '/^\.SH SYNOPSIS/{n;p;q}' "$1" |
    sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\&//g' -e "s/\\\\(aq/'/g"
}

# The verbs, one per line, from the Commands: section of `minirun --help`.
VERBS=$("$MINIRUN" --help | sed -n '/^Commands:/,/^$/{/^  /{s/^  *//;s/ .*//;p}}')

check_help() {
  local verb=$1 flag=$2 out first want page
  page=$top_srcdir/man/minirun-$verb.1
  out=$("$MINIRUN" "$verb" "$flag") || fail "minirun $verb $flag: exit status $?" || return 1
  first=$(printf '%s\n' "$out" | head -n 1)
  case $first in
    "Usage: minirun $verb"*) ;;
    *) fail "first line: '$first'" || return 1 ;;
  esac
  [ -f "$page" ] || fail "no man page $page" || return 1
  want=$(man_synopsis "$page")
  [ "${first#Usage: }" = "$want" ] || fail "--help: '${first#Usage: }'" "man:    '$want'"
}

# Every long option of the synopsis has an entry in the man page.
check_man_options() {
  local verb=$1 page opt missing=""
  page=$top_srcdir/man/minirun-$verb.1
  [ -f "$page" ] || fail "no man page $page" || return 1
  for opt in $(man_synopsis "$page" | grep -o -- '--[a-z-]*' | sort -u); do
    grep -q -F -- "${opt//-/\\-}" <(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$page") ||
      missing="$missing $opt"
  done
  [ -z "$missing" ] || fail "not described under OPTIONS:$missing"
}

check_completion_verb() {
  local shell=$1 verb=$2
  case $shell in
    bash) grep -q -E "^_minirun_verbs=\".*\\b$verb\\b" "$top_srcdir/completions/bash/minirun" ;;
    zsh) grep -q -F "'$verb:" "$top_srcdir/completions/zsh/_minirun" ;;
    fish) grep -q -E -- "-a $verb( |\$)" "$top_srcdir/completions/fish/minirun.fish" ;;
  esac || fail "$verb is missing from the $shell completion"
}

check_completion_options() {
  local verb=$1 opt missing=""
  for opt in $("$MINIRUN" "$verb" --help | head -n 1 | grep -o -- '--[a-z-]*' | sort -u); do
    grep -q -F -- "$opt" "$top_srcdir/completions/bash/minirun" || missing="$missing bash:$opt"
    grep -q -F -- "$opt" "$top_srcdir/completions/zsh/_minirun" || missing="$missing zsh:$opt"
    grep -q -F -- "-l ${opt#--}" "$top_srcdir/completions/fish/minirun.fish" ||
      missing="$missing fish:$opt"
  done
  [ -z "$missing" ] || fail "missing:$missing"
}

check_verbs_listed() {
  [ "$(printf '%s\n' "$VERBS" | grep -c .)" -ge 10 ] || fail "Commands: section: '$VERBS'"
}

check_unknown_verb() {
  local out status verb
  out=$("$MINIRUN" no-such-verb 2>&1)
  status=$?
  [ "$status" = 127 ] || fail "exit status $status, not 127" || return 1
  printf '%s\n' "$out" | grep -q -F "unknown command 'no-such-verb'" || fail "$out" || return 1
  for verb in $VERBS; do
    printf '%s\n' "$out" | grep -q -E "^  $verb " || fail "$verb is not listed:" "$out" || return 1
  done
}

check_no_verb() {
  local status
  "$MINIRUN" >/dev/null 2>"$T_DIR/no-verb.err"
  status=$?
  [ "$status" = 1 ] || fail "exit status $status, not 1" || return 1
  grep -q '^Usage: minirun' "$T_DIR/no-verb.err" || fail "no usage on stderr"
}

check_version() {
  local out
  out=$("$MINIRUN" --version) || fail "exit status $?" || return 1
  printf '%s\n' "$out" | head -n 1 | grep -q -E '^minirun version [0-9]+\.[0-9]+' || fail "$out" || return 1
  printf '%s\n' "$out" | grep -q -E '^spec: 1\.[0-9]+\.[0-9]+' || fail "$out"
}

check_help_verb() {
  local a b
  a=$("$MINIRUN" help kill) || fail "minirun help kill: exit status $?" || return 1
  b=$("$MINIRUN" kill --help)
  [ "$a" = "$b" ] || fail "minirun help kill:" "$a"
}

# A libtool wrapper script execs the real binary under its own name, which
# would hide the link's name: link the real one, with the library it needs.
find_real_binary() {
  local dir
  REAL_MINIRUN=$MINIRUN
  if grep -q 'temporary wrapper script' "$MINIRUN" 2>/dev/null; then
    dir=$(dirname "$MINIRUN")
    "$MINIRUN" --version >/dev/null 2>&1
    export LD_LIBRARY_PATH="$dir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    REAL_MINIRUN=$dir/.libs/minirun
    [ -x "$dir/.libs/lt-minirun" ] && REAL_MINIRUN=$dir/.libs/lt-minirun
  fi
}

check_link_dispatch() {
  local a b
  find_real_binary
  ln -s "$REAL_MINIRUN" "$T_DIR/minirun-state" || return 1
  a=$("$T_DIR/minirun-state" --help) || fail "minirun-state --help: exit status $?" || return 1
  b=$("$MINIRUN" state --help)
  [ "$a" = "$b" ] || fail "minirun-state --help:" "$a"
}

check_kill_bad_signal() {
  local status
  "$MINIRUN" --root "$T_DIR/root" kill some-id NOSUCHSIGNAL >/dev/null 2>"$T_DIR/kill.err"
  status=$?
  [ "$status" = 1 ] || fail "exit status $status, not 1" "$(cat "$T_DIR/kill.err")" || return 1
  grep -q -F "unknown signal 'NOSUCHSIGNAL'" "$T_DIR/kill.err" || fail "$(cat "$T_DIR/kill.err")"
}

check_bad_option() {
  local status
  "$MINIRUN" delete --no-such-option some-id >/dev/null 2>"$T_DIR/opt.err"
  status=$?
  [ "$status" = 1 ] || fail "exit status $status, not 1" || return 1
  grep -q -F -- "--no-such-option" "$T_DIR/opt.err" || fail "$(cat "$T_DIR/opt.err")" || return 1
  grep -q -F "minirun delete --help" "$T_DIR/opt.err" || fail "$(cat "$T_DIR/opt.err")"
}

check_global_equals_form() {
  local out
  out=$("$MINIRUN" --root="$T_DIR/root" --log-format=json --log="$T_DIR/eq.log" list) ||
    fail "exit status $?" || return 1
  printf '%s\n' "$out" | head -n 1 | grep -q '^ID  *PID  *STATUS' || fail "$out" || return 1
  out=$("$MINIRUN" --root "$T_DIR/root" --log-format json list -q) || fail "exit status $?" || return 1
  [ -z "$out" ] || fail "containers in an empty root: $out"
}

check_json_log() {
  local line
  if "$MINIRUN" --root="$T_DIR/root" --log="$T_DIR/err.log" --log-format=json state no-such-id \
    >/dev/null 2>&1; then
    fail "state of a missing container succeeded"
    return 1
  fi
  [ -s "$T_DIR/err.log" ] || fail "nothing logged" || return 1
  line=$(tail -n 1 "$T_DIR/err.log")
  if command -v python3 >/dev/null 2>&1; then
    python3 -c '
import json, sys
o = json.loads(sys.argv[1])
assert o["level"] == "error", o
assert "no-such-id" in o["msg"], o
assert o["time"].endswith("Z"), o
' "$line" || fail "$line"
  else
    printf '%s\n' "$line" |
      grep -q -E '^\{"level":"error","msg":".*no-such-id.*","time":"[0-9T:.-]+Z"\}$' ||
      fail "$line"
  fi
}

check_man_renders() {
  local page warnings bad=""
  for page in "$top_srcdir"/man/*.[13]; do
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$warnings" ] || bad="$bad$(basename "$page"): $warnings
"
  done
  [ -z "$bad" ] || fail "$bad"
}

ok "minirun --help lists the commands" check_verbs_listed
for verb in $VERBS; do
  ok "$verb --help prints the synopsis of minirun-$verb(1)" check_help "$verb" --help
  ok "$verb -h prints the synopsis of minirun-$verb(1)" check_help "$verb" -h
  ok "minirun-$verb(1) describes every option of $verb" check_man_options "$verb"
  for shell in bash zsh fish; do
    ok "$shell completion offers $verb" check_completion_verb "$shell" "$verb"
  done
  ok "completions offer every option of $verb" check_completion_options "$verb"
done
ok "an unknown command exits 127 and lists the commands" check_unknown_verb
ok "no command prints the usage and exits 1" check_no_verb
ok "--version prints the version and the OCI spec version" check_version
ok "help VERB prints the help of VERB" check_help_verb
ok "a minirun-state link dispatches to state" check_link_dispatch
ok "kill with an unknown signal fails with a clear message" check_kill_bad_signal
ok "an unknown option names itself and points to --help" check_bad_option
ok "global options are accepted as --flag=value and --flag value" check_global_equals_form
ok "--log-format=json logs an error as one JSON line" check_json_log
if command -v groff >/dev/null 2>&1; then
  ok "every man page renders without groff warnings" check_man_renders
else
  skip "every man page renders without groff warnings" "groff not installed"
fi

n=0
total=$(printf '%s\n' "${RESULTS[@]}" | grep -c -E '^(not )?ok - ')
echo "1..$total"
for r in "${RESULTS[@]}"; do
  case $r in
    "ok - "* | "not ok - "*)
      n=$((n + 1))
      echo "${r%% - *} $n - ${r#* - }"
      ;;
    *) echo "$r" ;;
  esac
done
[ "$FAILED" = 0 ]
