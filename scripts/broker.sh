#!/usr/bin/env bash
# Starts or stops a local Kafka-compatible broker in the background.
#   broker.sh start tansu [port]        tansu with sqlite storage (default port 19092)
#   broker.sh start tansu-memory [port] tansu with memory storage (benchmarks)
#   broker.sh start mock                librdkafka's mock cluster on a free port
#   broker.sh start tansu-sasl-ssl [port]  tansu (sqlite) requiring SASL SCRAM on port (default
#                                       19192), behind a TLS relay (scripts/tls_relay.py) on port+1,
#                                       the address it advertises; users alice/alice-secret
#                                       (SCRAM-SHA-512) and bob/bob-secret (SCRAM-SHA-256);
#                                       certificates from scripts/certs.sh in .run/tansu-sasl-ssl/.
#                                       More relays, each its own address file in that folder:
#                                       wrong-host-address (port+2), other-ca-address (+3),
#                                       expired-address (+4), mutual-tls-address (+5: client
#                                       certificate required); plaintext-address is tansu itself;
#                                       client.properties: alice's settings as Java writes them.
#   broker.sh start tansu-sasl-ssl-NAME [port]  another one (`just demo-secure`, the compose test)
#   broker.sh start tansu-chaos [port]  tansu (sqlite) on port (default 19392), advertising
#                                       port+1, where the chaos suite runs its fault proxy
#                                       (crates/e2e/src/proxy.rs); plaintext-address is tansu itself.
#   broker.sh start tansu-chaos-memory [port]  the same with memory storage (default 19492):
#                                       its sqlite storage stops serving everyone when a client
#                                       is cut off mid-request, which the network faults do
#   broker.sh crash tansu-chaos         SIGKILL tansu, keeping its data
#   broker.sh restart tansu-chaos       start it again on the same data
#   broker.sh stop NAME | address NAME
#   NAME@INSTANCE in place of NAME      another broker of that kind, its state (data, pid, log,
#                                       addresses) in .run/NAME@INSTANCE/, e.g. `start
#                                       tansu@e2e-1 21010`: several run side by side, each on the
#                                       port(s) it is given (scripts/test_runner.py, one per slot)
# `start` waits until the broker answers and prints its bootstrap address; state lives in .run/NAME/.
set -euo pipefail
source "$(dirname "$0")/env.sh"

action=${1:?usage: broker.sh start|stop|address tansu|tansu-memory|mock [port]}
name=${2:?broker name: tansu, tansu-memory, tansu-sasl-ssl or mock}
kind=${name%%@*} # the kind of broker; what follows an @ names one instance of it
dir="$PIPELINE_RUN/$name"

wait_for_port() { # host:port, seconds
  local host=${1%:*} port=${1##*:}
  for _ in $(seq 1 $(($2 * 10))); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

start() {
  mkdir -p "$dir"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    cat "$dir/address"; return
  fi
  case "$kind" in
    tansu|tansu-memory|tansu-demo)
      local port=${3:-19092} storage
      if [ "$kind" != tansu-memory ]; then
        rm -f "$dir"/data.sqlite*
        storage="sqlite://data.sqlite" # relative to $dir: tansu mangles absolute paths
      else
        storage="memory://tansu/"
      fi
      echo "127.0.0.1:$port" > "$dir/address"
      (cd "$dir" && RUST_LOG=${TANSU_LOG:-warn} exec nohup tansu broker \
        --listener-url "tcp://127.0.0.1:$port" \
        --advertised-listener-url "tcp://127.0.0.1:$port" \
        --storage-engine "$storage" > "$dir/log" 2>&1) &
      echo $! > "$dir/pid"
      ;;
    tansu-sasl-ssl*) start_sasl_ssl "${3:-19192}" ;;
    tansu-chaos|tansu-chaos-memory)
      local port=${3:-19392}
      [ "$kind" = tansu-chaos-memory ] && port=${3:-19492}
      rm -f "$dir"/data.sqlite* "$dir/log"
      echo "$port" > "$dir/port"
      echo "127.0.0.1:$port" > "$dir/plaintext-address"
      echo "127.0.0.1:$((port + 1))" > "$dir/address"
      restart
      cat "$dir/address"
      return
      ;;
    mock)
      rm -f "$dir/address"
      nohup "$PIPELINE_VENV/bin/python" "$PIPELINE_ROOT/scripts/mock_broker.py" "$dir/address" > "$dir/log" 2>&1 &
      echo $! > "$dir/pid"
      for _ in $(seq 1 100); do [ -s "$dir/address" ] && break; sleep 0.1; done
      ;;
    *) echo "unknown broker $name" >&2; exit 2 ;;
  esac
  if [ ! -s "$dir/address" ] || ! wait_for_port "$(cat "$dir/address")" 20; then
    echo "broker $name did not start; its log:" >&2; tail -20 "$dir/log" >&2; exit 1
  fi
  cat "$dir/address"
}

tansu_broker() { # port advertised-port [tansu flags...]: runs tansu in $dir in the background
  local port=$1 advertised=$2
  shift 2
  (cd "$dir" && RUST_LOG=${TANSU_LOG:-warn} exec nohup tansu broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$advertised" \
    --storage-engine "${storage:-sqlite://data.sqlite}" "$@" >> "$dir/log" 2>&1) &
  echo $! > "$dir/pid"
}

# tansu with --authentication refuses to create users (it wants them authenticated first): they
# are created on a first run without it, kept in the sqlite file for the second.
start_sasl_ssl() { # port
  local port=$1 relay=$(($1 + 1)) python=python3
  [ -x "$PIPELINE_VENV/bin/python" ] && python="$PIPELINE_VENV/bin/python"
  rm -f "$dir"/data.sqlite* "$dir/log"
  "$PIPELINE_ROOT/scripts/certs.sh" "$dir"
  tansu_broker "$port" "$relay"
  wait_for_port "127.0.0.1:$port" 20 || { echo "tansu did not start; its log:" >&2; tail -20 "$dir/log" >&2; exit 1; }
  tansu user create alice alice-secret --mechanism scram512 --broker "tcp://127.0.0.1:$port" >> "$dir/log" 2>&1
  tansu user create bob bob-secret --mechanism scram256 --broker "tcp://127.0.0.1:$port" >> "$dir/log" 2>&1
  stop_pid pid
  tansu_broker "$port" "$relay" --authentication
  nohup "$python" "$PIPELINE_ROOT/scripts/tls_relay.py" --target "127.0.0.1:$port" \
    --listen "127.0.0.1:$relay" "$dir/broker.pem" "$dir/broker.key" \
    --listen "127.0.0.1:$((port + 2))" "$dir/wrong-host.pem" "$dir/wrong-host.key" \
    --listen "127.0.0.1:$((port + 3))" "$dir/other.pem" "$dir/other.key" \
    --listen "127.0.0.1:$((port + 4))" "$dir/expired.pem" "$dir/expired.key" \
    --listen-mutual "127.0.0.1:$((port + 5))" "$dir/broker.pem" "$dir/broker.key" "$dir/ca.pem" \
    > "$dir/relay.log" 2>&1 &
  echo $! > "$dir/relay.pid"
  echo "127.0.0.1:$port" > "$dir/plaintext-address"
  echo "127.0.0.1:$((port + 2))" > "$dir/wrong-host-address"
  echo "127.0.0.1:$((port + 3))" > "$dir/other-ca-address"
  echo "127.0.0.1:$((port + 4))" > "$dir/expired-address"
  echo "127.0.0.1:$((port + 5))" > "$dir/mutual-tls-address"
  client_properties "127.0.0.1:$relay" > "$dir/client.properties"
  wait_for_port "127.0.0.1:$port" 20
  echo "127.0.0.1:$relay" > "$dir/address"
}

client_properties() { # bootstrap: alice's connection settings, as a Java client's file
  cat <<PROPERTIES
bootstrap.servers=$1
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";
ssl.truststore.type=PEM
ssl.truststore.location=$dir/ca.pem
PROPERTIES
}

stop_pid() { # pid file in $dir
  [ -f "$dir/$1" ] || return 0
  kill "$(cat "$dir/$1")" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$(cat "$dir/$1")" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$(cat "$dir/$1")" 2>/dev/null || true
  rm -f "$dir/$1"
}

stop() {
  stop_pid relay.pid
  stop_pid pid
}

crash() { # SIGKILL, data kept
  [ -f "$dir/pid" ] && kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
  rm -f "$dir/pid"
}

restart() { # tansu-chaos on its data, advertising the fault proxy's port
  local port storage=sqlite://data.sqlite
  port=$(cat "$dir/port")
  [ "$kind" = tansu-chaos-memory ] && storage=memory://tansu/
  storage=$storage tansu_broker "$port" "$((port + 1))"
  wait_for_port "127.0.0.1:$port" 20 || { echo "tansu did not start; its log:" >&2; tail -20 "$dir/log" >&2; exit 1; }
}

case "$action" in
  start) start "$@" ;;
  stop) stop ;;
  crash) crash ;;
  restart) restart ;;
  address) cat "$dir/address" ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
