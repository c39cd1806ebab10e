#!/usr/bin/env bash
# The whole pipeline on this machine, no Docker: a local tansu broker (sqlite storage), the
# producer, two consumers in one group and the verifier. Cleans up after itself.
# Each consumer serves its live dashboard on 127.0.0.1:DEMO_HTTP_PORT+i (19181, 19182); on a
# terminal the demo waits for Enter before stopping them, so that the dashboards can be looked at.
#   demo.sh           plaintext
#   demo.sh --secure  SASL_SSL: SCRAM-SHA-512 through a TLS relay with a CA made for the demo,
#                     every service configured by one client.properties (docs/connecting.md)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PIPELINE_ROOT"

count=${DEMO_COUNT:-1000}
rate=${DEMO_RATE:-200}
port=${DEMO_PORT:-19192}
http_port=${DEMO_HTTP_PORT:-19180}
broker=tansu-demo
[ "${1:-}" = --secure ] && broker=tansu-sasl-ssl-demo
"$PIPELINE_ROOT/scripts/install.sh"
cargo build --release --quiet
bin=target/release

export KAFKA_GROUP_ID=demo-$$
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/broker.sh stop "$broker"
}
trap cleanup EXIT
scripts/broker.sh stop "$broker"
address=$(scripts/broker.sh start "$broker" "$port")
if [ "$broker" = tansu-demo ]; then
  export KAFKA_BROKERS=$address
  echo "broker: tansu on $KAFKA_BROKERS"
else
  export KAFKA_CONFIG=$PIPELINE_RUN/$broker/client.properties
  echo "broker: tansu with SASL SCRAM-SHA-512 behind a TLS relay on $address; every service reads $KAFKA_CONFIG:"
  sed 's/^/    /' "$KAFKA_CONFIG"
fi

# The consumers first, as in a deployment: they join the group and wait for the topic, then
# share its partitions while the producer writes.
for i in 1 2; do
  "$bin/consumer" --client-id "demo-consumer-$i" --stats-interval 2s --http "127.0.0.1:$((http_port + i))" \
    > ".run/demo-consumer-$i.log" 2>&1 &
  pids+=($!)
done
echo "two consumers started in group $KAFKA_GROUP_ID (logs: .run/demo-consumer-*.log)"
echo "dashboards: http://127.0.0.1:$((http_port + 1))/ and http://127.0.0.1:$((http_port + 2))/"
"$bin/producer" --count "$count" --rate "$rate" --partitions 3
echo "letting the consumers finish reading for 8 s..."
sleep 8
if [ -t 0 ]; then
  read -rp "the dashboards stay up until you press Enter: http://127.0.0.1:$((http_port + 1))/ " _
fi
for pid in "${pids[@]}"; do kill -TERM "$pid"; done
wait "${pids[@]}" || true
pids=()
for i in 1 2; do echo "--- consumer $i, final summary ---"; sed -n '/=== Final summary ===/,$p' ".run/demo-consumer-$i.log"; done
"$bin/verifier"
