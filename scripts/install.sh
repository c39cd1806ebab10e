#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need, skipping what is already there:
#   tansu 0.6.0 (a Kafka-compatible broker in Rust; ~11 min to build on 2 cores, cached),
#   just, a Python venv with confluent-kafka (librdkafka's mock cluster, interop and bench
#   anchors) and kafka-python-ng (the seed's Python stack), and Prometheus from Debian's packages
#   (the observability suite scrapes the services with it; it skips that check without it).
set -euo pipefail
source "$(dirname "$0")/env.sh"

if ! tansu --version 2>/dev/null | grep -q "$TANSU_VERSION"; then
  echo "installing tansu $TANSU_VERSION from crates.io (first time only: about 11 minutes on 2 cores)..." >&2
  cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore,libsql --quiet
fi

if ! command -v just >/dev/null; then
  echo "installing just from crates.io..." >&2
  cargo install just --locked --quiet
fi

if [ ! -x "$PIPELINE_VENV/bin/python" ] || ! "$PIPELINE_VENV/bin/python" -c "import confluent_kafka, kafka" 2>/dev/null; then
  echo "creating the Python venv in $PIPELINE_VENV..." >&2
  python3 -m venv "$PIPELINE_VENV"
  "$PIPELINE_VENV/bin/pip" install --quiet --disable-pip-version-check \
    "confluent-kafka==2.16.1" "kafka-python-ng==2.2.3"
fi

if ! command -v prometheus >/dev/null; then
  echo "installing Prometheus from Debian's packages..." >&2
  install_prometheus() { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null; }
  install_prometheus || { apt-get update -qq >/dev/null && install_prometheus; } ||
    echo "warning: Prometheus could not be installed; the observability suite skips its scrape" >&2
fi
