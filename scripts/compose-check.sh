#!/usr/bin/env bash
# Syntax check of compose.yaml, compose.cluster.yaml and of the test override, for CI: no Docker engine needed, only a
# compose CLI (docker compose v2, else docker-compose v1). Seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
"${compose[@]}" -f compose.yaml config -q
"${compose[@]}" -f compose.yaml --profile ui config -q
"${compose[@]}" -f compose.yaml -f docker/compose.test.yaml config -q
"${compose[@]}" -f compose.cluster.yaml config -q
# docker-compose v1 validates against its own (2021) copy of the Compose Specification; the
# current schema too when check-jsonschema (PyPI) is installed.
if command -v check-jsonschema >/dev/null; then
  check-jsonschema --builtin-schema vendor.compose-spec compose.yaml compose.cluster.yaml docker/compose.test.yaml
fi
echo "compose.yaml, compose.cluster.yaml: valid (${compose[*]})"
