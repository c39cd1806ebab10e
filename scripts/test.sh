#!/usr/bin/env bash
# The test suite: unit tests, then the end-to-end tests once per broker (tansu with sqlite
# storage, librdkafka's mock cluster). Installs what is missing and starts the brokers itself.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PIPELINE_ROOT"

"$PIPELINE_ROOT/scripts/install.sh"
cargo build --workspace --all-targets --quiet
cargo test --workspace --lib --bins --quiet

brokers=${TEST_BROKERS:-tansu mock}
trap 'for b in $brokers; do scripts/broker.sh stop "$b"; done' EXIT
for broker in $brokers; do
  scripts/broker.sh stop "$broker"   # a fresh broker: no topics or groups left from an earlier run
  address=$(scripts/broker.sh start "$broker")
  echo "=== end-to-end tests on $broker ($address) ==="
  # tansu's sqlite storage serves one request at a time (a 1 MB fetch holds it for seconds):
  # tests run one after the other there, or their metadata requests time out behind the others.
  threads=$([ "$broker" = tansu ] && echo 1 || echo 2)
  KAFKA_TEST_BROKERS=$address KAFKA_TEST_BROKER_KIND=$broker PIPELINE_VENV=$PIPELINE_VENV \
    cargo test --workspace --test '*' -- --test-threads "$threads" ${TEST_FILTER:-}
done
