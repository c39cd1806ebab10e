#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need, skipping what is already there:
#   tansu 0.6.0 (a Kafka-compatible broker in Rust; ~11 min to build on 2 cores, cached),
#   just, a Python venv with confluent-kafka (librdkafka's mock cluster, interop and bench
#   anchors) and kafka-python-ng (the seed's Python stack), and from Debian's packages Prometheus
#   (the observability suite scrapes the services with it) and Chromium (headless, it loads the
#   consumer's dashboard and the verifier's HTML report); without them those checks are skipped.
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

# A Debian package, unless its command is already here: apt-get, after an update if the package
# lists are stale; a warning naming what the tests then skip if it cannot be installed.
install_debian_package() {
  local command=$1 package=$2 skipped=$3
  command -v "$command" >/dev/null && return 0
  echo "installing $package from Debian's packages..." >&2
  apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package" >/dev/null; }
  apt_install || { apt-get update -qq >/dev/null && apt_install; } ||
    echo "warning: $package could not be installed; $skipped" >&2
}
install_debian_package prometheus prometheus "the observability suite skips its scrape"
install_debian_package chromium chromium "the dashboard and HTML report checks are skipped"
