#!/usr/bin/env bash
# Syntax check of compose.yaml (with its profiles), compose.cluster.yaml and of the test overrides,
# and of the monitoring profile's Prometheus configuration (promtool, when installed), for CI: no
# Docker engine needed, only a compose CLI (docker compose v2, else docker-compose v1). Seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
"${compose[@]}" -f compose.yaml config -q
"${compose[@]}" -f compose.yaml --profile ui config -q
"${compose[@]}" -f compose.yaml --profile monitoring config -q
"${compose[@]}" -f compose.yaml -f docker/compose.test.yaml config -q
"${compose[@]}" -f compose.cluster.yaml config -q
"${compose[@]}" -f compose.cluster.yaml -f docker/compose.cluster.test.yaml config -q
# docker-compose v1 validates against its own (2021) copy of the Compose Specification; the
# current schema too when check-jsonschema (PyPI) is installed.
if command -v check-jsonschema >/dev/null; then
  check-jsonschema --builtin-schema vendor.compose-spec compose.yaml compose.cluster.yaml \
    docker/compose.test.yaml docker/compose.cluster.test.yaml
fi
echo "compose.yaml, compose.cluster.yaml: valid (${compose[*]})"
# Prometheus's own check of the monitoring profile's configuration (Debian: apt-get install prometheus).
if command -v promtool >/dev/null; then
  promtool check config docker/prometheus.yml >/dev/null
  echo "docker/prometheus.yml: valid ($(promtool --version 2>&1 | head -1))"
else
  echo "docker/prometheus.yml: not checked (no promtool: apt-get install prometheus)"
fi
