#!/bin/sh
# Builds minirun and runs the whole test suite as root: every unit and
# integration test, then the unit tests and the core integration tests again
# in a build with AddressSanitizer and UndefinedBehaviorSanitizer (made from
# the release tarball, so that `make dist` is checked too).  Ends with one
# line: "N passed, N failed, N skipped".
#
#   contrib/test.sh            everything
#   SANITIZE=0 contrib/test.sh skip the sanitizer pass
set -e
cd "$(dirname "$0")/.."
contrib/deps.sh test
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)"

status=0
make -j1 check >test-output.log 2>&1 || status=$?
logs=test-output.log

if [ "${SANITIZE:-1}" != 0 ]; then
  rm -rf build-asan minirun-*.tar.gz
  make dist >/dev/null
  mkdir build-asan
  tar -xzf minirun-*.tar.gz -C build-asan --strip-components=1
  asan_tests="tests/unit/test_spec tests/unit/test_state tests/unit/test_util
    tests/unit/test_cgroup tests/unit/test_linux tests/integration/lifecycle.sh
    tests/integration/errors.sh tests/integration/isolation.sh tests/integration/exec.sh
    tests/integration/hooks.sh tests/integration/terminal.sh tests/integration/crash.sh
    tests/unit/test_runconfig tests/unit/test_events tests/integration/managed.sh
    tests/integration/serve.sh tests/integration/serve-auth.sh tests/integration/serve-api.sh
    tests/integration/docker-api.sh tests/unit/test_api tests/integration/process.sh
    tests/integration/mounts.sh tests/integration/devices.sh tests/integration/runc-compat.sh
    tests/integration/cgroup-runc.sh tests/integration/managed-security.sh
    tests/integration/serve-hostile.sh"
  (
    cd build-asan
    ./configure -q --enable-sanitizers >/dev/null
    make -j"$(nproc)" >/dev/null
    # leaks and undefined behaviour fail the test that hit them
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
      make -j1 check TESTS="$(echo $asan_tests)"
  ) >test-output-asan.log 2>&1 || status=$?
  logs="$logs test-output-asan.log"
fi

# what failed, with its log
for f in $(find tests build-asan/tests -name '*.log' 2>/dev/null); do
  if grep -q -E '^(not ok|Bail out)' "$f"; then
    echo "--- $f"
    cat "$f"
  fi
done
# shellcheck disable=SC2086
grep -h -E '^(FAIL|ERROR|XPASS):' $logs || true

# totals over every TAP line of every pass
# shellcheck disable=SC2086
pass=$(cat $logs | grep -E '^# PASS: ' | awk '{s+=$3} END {print s+0}')
# shellcheck disable=SC2086
fail=$(cat $logs | grep -E '^# (FAIL|ERROR|XPASS): ' | awk '{s+=$3} END {print s+0}')
# shellcheck disable=SC2086
skip=$(cat $logs | grep -E '^# (SKIP|XFAIL): ' | awk '{s+=$3} END {print s+0}')
[ "$pass" -gt 0 ] || status=1
echo "$pass passed, $fail failed, $skip skipped"
exit $status
