#!/usr/bin/env bash
# The test suite: unit tests, then every end-to-end test once per broker (tansu with sqlite
# storage, librdkafka's mock cluster), each test on a broker started fresh for it, so that no
# test inherits topics, groups or a wedged broker from another (docs/brokers.md: tansu stops
# serving everyone when a client is killed in the middle of a request, as the failover tests do).
# Installs what is missing and starts the brokers itself. The stderr of every process a test
# starts is kept in .run/e2e/<broker>/<suite>/<test>/.
#   TEST_BROKERS="tansu mock"   the brokers to run on
#   TEST_FILTER=substring       only the end-to-end tests whose name contains it
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PIPELINE_ROOT"

"$PIPELINE_ROOT/scripts/install.sh"
cargo build --workspace --all-targets --quiet
echo "=== unit tests (the end-to-end tests show as ignored here) ==="
cargo test --workspace --quiet

brokers=${TEST_BROKERS:-tansu mock}
trap 'for b in $brokers; do scripts/broker.sh stop "$b"; done' EXIT
failed=()
passed=0
started=$SECONDS
for broker in $brokers; do
  echo "=== end-to-end tests on $broker, a fresh broker for each ==="
  for suite in crates/e2e/tests/*.rs; do
    suite=$(basename "$suite" .rs)
    tests=$(cargo test --quiet -p e2e --test "$suite" -- --list --ignored 2>/dev/null | sed -n 's/: test$//p')
    for test in $tests; do
      [[ -z "${TEST_FILTER:-}" || "$test" == *"$TEST_FILTER"* ]] || continue
      scripts/broker.sh stop "$broker"
      address=$(scripts/broker.sh start "$broker")
      logs="$PIPELINE_RUN/e2e/$broker/$suite/$test"
      rm -rf "$logs" && mkdir -p "$logs"
      begun=$SECONDS
      if E2E_LOG_DIR=$logs KAFKA_TEST_BROKERS=$address KAFKA_TEST_BROKER_KIND=$broker PIPELINE_VENV=$PIPELINE_VENV \
        cargo test --quiet -p e2e --test "$suite" -- --ignored --exact "$test" > "$logs/test.log" 2>&1; then
        echo "ok    $broker $suite::$test ($((SECONDS - begun)) s)"
        passed=$((passed + 1))
      else
        echo "FAIL  $broker $suite::$test ($((SECONDS - begun)) s): every process's log in $logs"
        grep -v '^ *at \|^ *[0-9]*: ' "$logs/test.log"
        failed+=("$broker $suite::$test")
      fi
    done
  done
done
echo "=== end-to-end: ${passed} passed, ${#failed[@]} failed in $((SECONDS - started)) s ==="
for f in "${failed[@]}"; do echo "FAILED: $f"; done
[ ${#failed[@]} -eq 0 ]
