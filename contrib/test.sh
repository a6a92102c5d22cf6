#!/bin/sh
# Builds minirun and runs the whole test suite (unit and integration, as
# root), then prints one line: "N passed, N failed, N skipped".
set -e
cd "$(dirname "$0")/.."
contrib/deps.sh test
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)"
status=0
make -j1 check >test-output.log 2>&1 || status=$?
grep -E '^(PASS|FAIL|ERROR|XPASS|XFAIL|SKIP):' test-output.log | grep -v ': 0$' || true
if [ $status -ne 0 ]; then
  for f in $(grep -l -E '^(not ok|Bail out)' $(find tests -name '*.log') 2>/dev/null); do
    echo "--- $f"; cat "$f"
  done
fi
# totals over every TAP line, unit and integration
pass=$(grep -E '^# PASS: ' test-output.log | awk '{s+=$3} END {print s+0}')
fail=$(grep -E '^# (FAIL|ERROR|XPASS): ' test-output.log | awk '{s+=$3} END {print s+0}')
skip=$(grep -E '^# (SKIP|XFAIL): ' test-output.log | awk '{s+=$3} END {print s+0}')
echo "$pass passed, $fail failed, $skip skipped"
exit $status
