#!/usr/bin/env bash
# Starts or stops a local Kafka-compatible broker in the background.
#   broker.sh start tansu [port]        tansu with sqlite storage (default port 19092)
#   broker.sh start tansu-memory [port] tansu with memory storage (benchmarks)
#   broker.sh start mock                librdkafka's mock cluster on a free port
#   broker.sh stop NAME | address NAME
# `start` waits until the broker answers and prints its bootstrap address; state lives in .run/NAME/.
set -euo pipefail
source "$(dirname "$0")/env.sh"

action=${1:?usage: broker.sh start|stop|address tansu|tansu-memory|mock [port]}
name=${2:?broker name: tansu, tansu-memory or mock}
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
  case "$name" in
    tansu|tansu-memory|tansu-demo)
      local port=${3:-19092} storage
      if [ "$name" != tansu-memory ]; then
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

stop() {
  [ -f "$dir/pid" ] || return 0
  kill "$(cat "$dir/pid")" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$(cat "$dir/pid")" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
  rm -f "$dir/pid"
}

case "$action" in
  start) start "$@" ;;
  stop) stop ;;
  address) cat "$dir/address" ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
