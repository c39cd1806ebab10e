#!/usr/bin/env bash
# The test suite (`just test`): installs what is missing, then scripts/test_runner.py builds the
# workspace once, runs the unit tests, every end-to-end test on each broker it applies to (each
# on a broker started fresh for it, TEST_JOBS of them side by side, the timing-sensitive ones
# alone), then the chaos suite alone, and reports: one line per test (ok, skip with its reason,
# FAIL), then `N passed, N failed, N skipped`, every skip and every failure. docs/testing.md.
#   TEST_BROKERS="tansu mock mock-cluster tansu-sasl-ssl"   the brokers to run on
#   TEST_FILTER=substring      only the end-to-end tests whose name contains it (and no chaos suite)
#   TEST_JOBS=4                tests side by side
#   TEST_PORT_BASE=19600       slot i takes the ports base+10i .. base+10i+9
# The stderr of every process a test starts is kept in .run/e2e/<broker>/<suite>/<test>/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PIPELINE_ROOT"

"$PIPELINE_ROOT/scripts/install.sh"
exec python3 "$PIPELINE_ROOT/scripts/test_runner.py"
