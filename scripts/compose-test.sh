#!/usr/bin/env bash
# The compose test: runs the real compose.yaml on this machine's Docker engine, with
# docker/compose.test.yaml swapping Apache Kafka for tansu and the public base images for the local
# ones of docker/base.sh (nothing is pulled). Checks that
#   - the producer sends N events and exits 0,
#   - with --scale consumer=3 the 3 partitions are split among 3 containers,
#   - the consumer containers become healthy (their `consumer healthcheck` asks /healthz), each
#     replica's /metrics and /healthz answer on the host on a port of its own of
#     CONSUMER_HOST_PORTS (`compose port --index N`), and the `dashboard:` link they log answers,
#   - the monitoring profile's Prometheus (docker/prometheus.yml; the host's Debian prometheus
#     binary in the local Debian image, skipped without it) finds and scrapes the 3 replicas,
#   - the verifier starts after the producer and reports 100%, 0 lost (exit 0), and again on demand,
#   - a consumer container killed with SIGTERM leaves the group and its partition moves to the
#     others, and a crashed one's (SIGKILL) after its session timeout,
#   - `compose stop` stops the consumers cleanly (final summary, group left, exit 0),
#   - compose.cluster.yaml runs the pipeline on an external SASL_SSL cluster (tansu behind a TLS
#     relay, scripts/broker.sh) from a mounted client.properties and CA: 100%, exit 0.
# Cleans up (compose down -v) on exit, even on failure. Logs stay in .run/compose-test/.
# Env: COMPOSE_TEST_COUNT (default 3000) events; COMPOSE=docker-compose to force compose v1;
# CONSUMER_HOST_PORTS (default 19601-19610) the consumers' host port range.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PIPELINE_ROOT"

count=${COMPOSE_TEST_COUNT:-3000}
if [ -n "${COMPOSE:-}" ]; then read -ra compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then compose=(docker compose)
else compose=(docker-compose); fi
export COMPOSE_PROJECT_NAME="pipeline-test-$$"
logs="$PIPELINE_RUN/compose-test"
rm -rf "$logs" && mkdir -p "$logs"
dc() { "${compose[@]}" -f compose.yaml -f docker/compose.test.yaml "$@"; }

# The test's settings, through the same variables a user would set. A short session timeout so
# that a killed consumer's partition moves within seconds, not Kafka's default 45 s.
export PRODUCER_COUNT=$count PRODUCER_RATE=0 PRODUCER_PARTITIONS=3 \
  CONSUMER_SESSION_TIMEOUT=6s CONSUMER_HEARTBEAT_INTERVAL=1s CONSUMER_STATS_INTERVAL=2s \
  CONSUMER_COMMIT_INTERVAL=1s
# Unused by tansu, but compose.yaml publishes the broker's host port: take a free one.
KAFKA_HOST_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export KAFKA_HOST_PORT
# The consumers' HTTP port on the host: a range away from compose.yaml's default (9101-9110) and
# from the local brokers' 19xxx ports; the dashboard link they log is its first port.
CONSUMER_HOST_PORTS=${CONSUMER_HOST_PORTS:-19601-19610}
first_port=${CONSUMER_HOST_PORTS%-*} last_port=${CONSUMER_HOST_PORTS#*-}
export CONSUMER_HOST_PORTS CONSUMER_DASHBOARD_URL="http://localhost:$first_port/"
PROMETHEUS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PROMETHEUS_PORT

passed=0 failed=0 finished=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }
started=$SECONDS
phase() { echo "--- [$((SECONDS - started))s] $*"; }

cleanup() {
  local code=$?
  for c in $(dc --profile monitoring ps -a -q 2>/dev/null); do
    docker logs "$c" >"$logs/$(docker inspect -f '{{.Name}}' "$c" | tr -d /).log" 2>&1 || true
  done
  dc --profile monitoring down -v --remove-orphans >/dev/null 2>&1 || true
  if declare -F dcc >/dev/null; then
    dcc down >/dev/null 2>&1 || true
    scripts/broker.sh stop tansu-sasl-ssl-compose
  fi
  if [ "$finished" = 0 ]; then
    echo "FAIL: compose test aborted (exit $code); logs in .run/compose-test/"
    echo "$passed passed, $((failed + 1)) failed"
  fi
}
trap cleanup EXIT

plain_logs() { docker logs "$1" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }
exit_code() { docker inspect -f '{{.State.ExitCode}}' "$1"; }
# "generation partitions" from the consumer's last `joined group` line, e.g. "3 0,2".
assignment() {
  plain_logs "$1" | grep 'joined group' | tail -1 |
    sed -n 's/.*generation=\([0-9]*\).*partitions=\[\([^]]*\)\].*/\1:\2/p' | tr -d ' ' | tr : ' '
}
# True when the given consumers share one generation and own partitions 0..2 exactly once, each
# at least one; prints the assignment.
split_ok() {
  local gens="" all="" c a
  for c in "$@"; do
    a=$(assignment "$c")
    [ -n "$a" ] && [ -n "${a#* }" ] || return 1
    gens+="${a%% *}"$'\n'; all+="${a#* },"
  done
  [ "$(sort -u <<<"$gens" | grep -c .)" = 1 ] || return 1
  [ "$(tr , '\n' <<<"$all" | grep . | sort -n | tr '\n' ' ')" = "0 1 2 " ] || return 1
  for c in "$@"; do echo "    $(docker inspect -f '{{.Name}}' "$c" | tr -d /): generation ${a%% *}, partitions [$(assignment "$c" | cut -d' ' -f2)]"; done
}
wait_for() { # seconds, then a command: retries once a second
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 1; done
}

phase "compose file syntax"
if "${compose[@]}" -f compose.yaml config -q; then pass "compose.yaml is valid"; else fail "compose.yaml is valid"; fi

phase "local base images (docker/base.sh)"
docker/base.sh >/dev/null
phase "building the service images (${compose[*]} build)"
dc build -q >"$logs/build.log" 2>&1 || { tail -30 "$logs/build.log"; exit 1; }

phase "up: tansu, producer ($count events), 3 consumers, then the verifier"
dc up -d --scale consumer=3 >"$logs/up.log" 2>&1 || { cat "$logs/up.log"; }
producer=$(dc ps -a -q producer)
plain_logs "$producer" >"$logs/producer.txt"
if [ "$(exit_code "$producer")" = 0 ] && grep -Eq "^acked +: $count$" "$logs/producer.txt"; then
  pass "producer sent and got acknowledged $count events, exit 0"
else
  fail "producer sent $count events (exit $(exit_code "$producer"))"; plain_logs "$producer" | tail -15
fi

mapfile -t consumers < <(dc ps -q consumer)
if [ "${#consumers[@]}" = 3 ] && wait_for 60 split_ok "${consumers[@]}" >/dev/null; then
  pass "3 consumer containers split the 3 partitions"; split_ok "${consumers[@]}"
else
  fail "3 consumer containers split the 3 partitions (${#consumers[@]} running)"
  for c in "${consumers[@]}"; do echo "    $c: $(assignment "$c")"; done
fi

phase "observability: healthchecks, each replica's port of $CONSUMER_HOST_PORTS, the dashboard link"
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1"; }
all_healthy() { local c; for c in "$@"; do [ "$(health "$c")" = healthy ] || return 1; done; }
if [ "${#consumers[@]}" = 3 ] && wait_for 60 all_healthy "${consumers[@]}"; then
  pass "3 consumer containers healthy (healthcheck: consumer healthcheck)"
  echo "    $(docker inspect -f '{{json .Config.Healthcheck.Test}}: {{(index .State.Health.Log 0).Output}}' "${consumers[0]}" | tr -d '\n')"
else
  fail "consumer containers healthy"
  for c in "${consumers[@]}"; do
    echo "    ${c:0:12}: $(health "$c") $(docker inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}{{end}}' "$c" 2>/dev/null | tail -2 | tr '\n' ' ')"
  done
fi
# Each replica's host port (compose port --index N), its /metrics and /healthz from the host, and
# the partitions the replicas' metrics say they own: 3 once the group has settled (it rebalances
# while the topic appears, so this is asked again for up to 60 s).
replica_ports() {
  ports=() owned=0 answered=0
  : >"$logs/ports.txt"
  local index port metrics assigned
  for index in 1 2 3; do
    port=$(dc port --index "$index" consumer 9100 2>/dev/null | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' || true)
    [ -n "$port" ] || continue
    ports+=("$port")
    metrics=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics" || true)
    [ "$(curl -s --max-time 5 "http://127.0.0.1:$port/healthz" || true)" = ok ] || continue
    assigned=$(sed -n 's/^consumer_assigned_partitions \([0-9]*\)$/\1/p' <<<"$metrics")
    [ -n "$assigned" ] || continue
    owned=$((owned + assigned)) answered=$((answered + 1))
    echo "    consumer index $index: 127.0.0.1:$port, consumer_assigned_partitions $assigned, /healthz ok" >>"$logs/ports.txt"
  done
  distinct=$(printf '%s\n' "${ports[@]}" | sort -u | awk -v lo="$first_port" -v hi="$last_port" '$1 >= lo && $1 <= hi' | grep -c . || true)
  [ "$answered" = 3 ] && [ "$distinct" = 3 ] && [ "$owned" = 3 ]
}
if wait_for 60 replica_ports; then
  pass "each replica's /metrics and /healthz on a port of its own: ${ports[*]} (partitions owned: $owned)"
  cat "$logs/ports.txt"
else
  fail "each replica's /metrics and /healthz on a port of its own (ports: ${ports[*]:-none}, answered $answered, partitions $owned)"
  cat "$logs/ports.txt" 2>/dev/null || true
fi
# Every replica logs the same link, the range's first port; each one's dashboard (/) answers on
# its own port. Docker's port allocator goes on from the last port it gave (on this engine, across
# projects), so the first port is not always taken: the link is checked when a replica holds it.
logged=0 pages=0
for c in "${consumers[@]}"; do
  plain_logs "$c" | grep -q "dashboard: $CONSUMER_DASHBOARD_URL" && logged=$((logged + 1))
done
for port in "${ports[@]}"; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/" || true)" = 200 ] && pages=$((pages + 1))
done
if printf '%s\n' "${ports[@]}" | grep -qx "$first_port"; then
  link="the link answers $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$CONSUMER_DASHBOARD_URL" || true)"
else
  link="no replica holds port $first_port this time (Docker gave ${ports[*]:-none})"
fi
case $link in *"answers 200" | "no replica"*) link_ok=1 ;; *) link_ok=0 ;; esac
if [ "$logged" = 3 ] && [ "$pages" = 3 ] && [ "$link_ok" = 1 ]; then
  pass "3 consumers log 'dashboard: $CONSUMER_DASHBOARD_URL'; their dashboards answer 200; $link"
else
  fail "dashboard: logged by $logged of 3, / answered on $pages of 3 ports; $link"
fi

# The monitoring profile: Prometheus finds every replica through compose's DNS and scrapes it.
prometheus_up() { # how many consumer targets Prometheus scraped successfully last time
  local answer
  answer=$(curl -s --max-time 5 -G "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" \
    --data-urlencode "query=count(up{job=\"consumer\"}==1)" || true)
  python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' <<<"$answer" 2>/dev/null || echo 0
}
if [ -x "${PROMETHEUS_BINARY:-/usr/bin/prometheus}" ]; then
  dc --profile monitoring up -d --no-deps prometheus >"$logs/prometheus-up.log" 2>&1 || cat "$logs/prometheus-up.log"
  prometheus_sees_3() { [ "$(prometheus_up)" = 3 ]; }
  if wait_for 60 prometheus_sees_3; then
    pass "monitoring profile: Prometheus scrapes the 3 consumer replicas (docker/prometheus.yml, DNS)"
    curl -s --max-time 5 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets?state=active" |
      python3 -c 'import json,sys; [print("    %s %s %s" % (t["labels"]["job"], t["scrapeUrl"], t["health"])) for t in json.load(sys.stdin)["data"]["activeTargets"]]' || true
  else
    fail "monitoring profile: Prometheus scrapes the 3 consumer replicas ($(prometheus_up) up)"
  fi
else
  echo "    (monitoring profile not run: no ${PROMETHEUS_BINARY:-/usr/bin/prometheus}; Debian: apt-get install prometheus)"
fi

verifier=$(dc ps -a -q verifier)
if [ -n "$verifier" ] && timeout 120 docker wait "$verifier" >/dev/null; then
  plain_logs "$verifier" >"$logs/verifier-report.txt"
  if [ "$(exit_code "$verifier")" = 0 ] && grep -q "VERDICT: OK: 100.00% of acknowledged events received ($count/$count)" "$logs/verifier-report.txt" &&
    grep -Eq "^ +run-[^ ]+ +$count +$count +0 " "$logs/verifier-report.txt"; then
    pass "verifier ran after the producer: 100%, 0 lost, exit 0"
  else
    fail "verifier: 100%, 0 lost (exit $(exit_code "$verifier"))"; tail -20 "$logs/verifier-report.txt"
  fi
else
  fail "verifier started after the producer and finished"
fi

phase "docker kill --signal TERM one consumer: the two others take its partition"
[ "${#consumers[@]}" = 3 ] || { echo "FAIL: cannot go on without 3 consumers"; exit 1; }
victim=${consumers[2]} survivors=("${consumers[0]}" "${consumers[1]}")
lost_partition=$(assignment "$victim" | cut -d' ' -f2 || true)
docker kill --signal TERM "$victim" >/dev/null
if wait_for 60 split_ok "${survivors[@]}" >/dev/null && [ "$(docker inspect -f '{{.State.Status}}' "$victim")" = exited ]; then
  pass "killed consumer's partition [$lost_partition] taken over by the 2 others"; split_ok "${survivors[@]}"
else
  fail "killed consumer's partition [$lost_partition] taken over"
  for c in "${survivors[@]}"; do echo "    $c: $(assignment "$c")"; done
fi

# A crash (SIGKILL: no LeaveGroup) is only noticed when the session times out (6 s here). tansu
# 0.6.0 then keeps the generation and tells nobody; our consumers force a new one (see
# crates/kafka/src/group/membership.rs, force_new_generation).
phase "docker kill (SIGKILL) a second consumer: after the session timeout the last one takes all"
docker kill "${survivors[1]}" >/dev/null
if wait_for 60 split_ok "${survivors[0]}" >/dev/null; then
  pass "crashed consumer's partitions taken over by the last one"; split_ok "${survivors[0]}"
else
  fail "crashed consumer's partitions taken over: $(assignment "${survivors[0]}")"
fi
survivors=("${survivors[0]}")

phase "verifier on demand (run --rm --no-deps verifier)"
if dc run --rm --no-deps verifier >"$logs/verifier-run.txt" 2>&1 && grep -q "VERDICT: OK: 100.00%" "$logs/verifier-run.txt"; then
  pass "docker compose run --rm verifier: 100%, exit 0"
else
  fail "docker compose run --rm verifier"; tail -10 "$logs/verifier-run.txt"
fi

phase "stop: consumers print their summary and leave the group"
stop_started=$SECONDS
dc stop consumer >/dev/null 2>&1
clean=0 expected=${#survivors[@]}
for c in "${survivors[@]}"; do
  plain_logs "$c" >"$logs/consumer-${c:0:12}.txt"
  if [ "$(exit_code "$c")" = 0 ] && grep -q "=== Final summary ===" "$logs/consumer-${c:0:12}.txt" && grep -q "left group" "$logs/consumer-${c:0:12}.txt"; then
    clean=$((clean + 1))
  fi
done
if [ "$clean" = "$expected" ]; then
  pass "$expected consumers stopped cleanly in $((SECONDS - stop_started))s (summary, left group, exit 0)"
  sed -n '/=== Final summary ===/,$p' "$logs/consumer-${survivors[0]:0:12}.txt" | grep -v 'left group' >"$logs/consumer-summary.txt"
else
  fail "consumers stopped cleanly ($clean of $expected)"
fi

phase "compose.cluster.yaml: the pipeline on an external SASL_SSL cluster"
cluster=$PIPELINE_RUN/tansu-sasl-ssl-compose settings="$logs/cluster"
address=$(scripts/broker.sh start tansu-sasl-ssl-compose 19292)
mkdir -p "$settings" && install -m 644 "$cluster/ca.pem" "$settings/ca.pem"
sed "s|^ssl.truststore.location=.*|ssl.truststore.location=/etc/pipeline/ca.pem|" \
  "$cluster/client.properties" >"$settings/client.properties"
chmod 644 "$settings/client.properties"
dcc() {
  PIPELINE_IMAGES=kafka-pipeline-test PIPELINE_CLUSTER_DIR=$settings PIPELINE_NETWORK_MODE=host \
    CONSUMER_REPLICAS=1 PRODUCER_COUNT=500 "${compose[@]}" -p "$COMPOSE_PROJECT_NAME-cluster" \
    -f compose.cluster.yaml "$@"
}
dcc up --no-build -d >"$logs/cluster-up.log" 2>&1 || cat "$logs/cluster-up.log"
verifier=$(dcc ps -a -q verifier)
if [ -n "$verifier" ] && timeout 120 docker wait "$verifier" >/dev/null &&
  plain_logs "$verifier" >"$logs/cluster-verifier.txt" && [ "$(exit_code "$verifier")" = 0 ] &&
  grep -q "VERDICT: OK: 100.00% of acknowledged events received (500/500)" "$logs/cluster-verifier.txt"; then
  pass "compose.cluster.yaml on $address (SASL_SSL, SCRAM-SHA-512): 100%, exit 0"
else
  fail "compose.cluster.yaml on $address (SASL_SSL)"; dcc logs --tail 10 2>&1 | tail -30
fi
dcc down >/dev/null 2>&1 || true
scripts/broker.sh stop tansu-sasl-ssl-compose

phase "done in $((SECONDS - started))s; logs in ${logs#"$PIPELINE_ROOT"/}"
finished=1
[ "$failed" = 0 ] && echo "PASS: compose test" || echo "FAIL: compose test"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
