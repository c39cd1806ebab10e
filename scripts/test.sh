#!/usr/bin/env bash
# The test suite: unit tests, then every end-to-end test once per broker (tansu with sqlite
# storage, librdkafka's mock cluster), each test on a broker started fresh for it, so that no
# test inherits topics, groups or a wedged broker from another (docs/brokers.md: tansu stops
# serving everyone when a client is killed in the middle of a request, as the failover tests do).
# The suites that start their own cluster in each test (`leaders`: a 3-broker librdkafka mock
# cluster the test drives, crates/e2e/src/cluster.rs) run once, under the pseudo-broker
# `mock-cluster`, which starts nothing; they do not run under the other brokers. The secured
# suites (`security`: SASL_SSL) run once, under `tansu-sasl-ssl` (tansu requiring SCRAM behind a
# TLS relay, scripts/broker.sh). The chaos suite runs last, on its own, in its short form
# (scripts/chaos.sh: about 8 minutes).
# Installs what is missing and starts the brokers itself. The stderr of every process a test
# starts is kept in .run/e2e/<broker>/<suite>/<test>/.
#   TEST_BROKERS="tansu mock mock-cluster tansu-sasl-ssl"   the brokers to run on
#   TEST_FILTER=substring                    only the end-to-end tests whose name contains it
#                                            (and no chaos suite)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PIPELINE_ROOT"

"$PIPELINE_ROOT/scripts/install.sh"
cargo build --workspace --all-targets --quiet
echo "=== unit tests (the end-to-end tests show as ignored here) ==="
cargo test --workspace --quiet

brokers=${TEST_BROKERS:-tansu mock mock-cluster tansu-sasl-ssl}
own_cluster_suites=" leaders produce_errors several_brokers "
secured_suites=" security "
# mock-cluster is no broker to start or stop: its tests start their own.
start_broker() { [ "$1" = mock-cluster ] || scripts/broker.sh start "$1"; }
stop_broker() { [ "$1" = mock-cluster ] || scripts/broker.sh stop "$1"; }
# Which suites run on which broker: own-cluster suites under mock-cluster only, the secured
# suites under tansu-sasl-ssl only, every other suite under the plain brokers.
runs_on() { # suite broker
  [ "$1" = chaos ] && return 1
  if [[ "$own_cluster_suites" == *" $1 "* ]]; then [ "$2" = mock-cluster ]; return; fi
  if [[ "$secured_suites" == *" $1 "* ]]; then [ "$2" = tansu-sasl-ssl ]; return; fi
  [ "$2" != mock-cluster ] && [ "$2" != tansu-sasl-ssl ]
}
trap 'for b in $brokers; do stop_broker "$b"; done' EXIT
failed=()
passed=0
started=$SECONDS
for broker in $brokers; do
  if [ "$broker" = mock-cluster ]; then
    echo "=== end-to-end tests that start their own mock cluster, once each ==="
  else
    echo "=== end-to-end tests on $broker, a fresh broker for each ==="
  fi
  for suite in crates/e2e/tests/*.rs; do
    suite=$(basename "$suite" .rs)
    runs_on "$suite" "$broker" || continue
    tests=$(cargo test --quiet -p e2e --test "$suite" -- --list --ignored 2>/dev/null | sed -n 's/: test$//p')
    for test in $tests; do
      [[ -z "${TEST_FILTER:-}" || "$test" == *"$TEST_FILTER"* ]] || continue
      stop_broker "$broker"
      address=$(start_broker "$broker")
      logs="$PIPELINE_RUN/e2e/$broker/$suite/$test"
      rm -rf "$logs" && mkdir -p "$logs"
      begun=$SECONDS
      if E2E_LOG_DIR=$logs KAFKA_TEST_SECURITY_DIR="$PIPELINE_RUN/tansu-sasl-ssl" KAFKA_TEST_BROKERS=$address KAFKA_TEST_BROKER_KIND=$broker PIPELINE_VENV=$PIPELINE_VENV \
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
if [ -z "${TEST_FILTER:-}" ]; then
  echo "=== the chaos suite, short timelines (scripts/chaos.sh) ==="
  begun=$SECONDS
  if scripts/chaos.sh; then
    echo "ok    chaos suite ($((SECONDS - begun)) s)"
    passed=$((passed + 1))
  else
    echo "FAIL  chaos suite ($((SECONDS - begun)) s): logs in .run/chaos/"
    failed+=("chaos suite")
  fi
fi
echo "=== end-to-end: ${passed} passed, ${#failed[@]} failed in $((SECONDS - started)) s ==="
for f in "${failed[@]}"; do echo "FAILED: $f"; done
[ ${#failed[@]} -eq 0 ]
