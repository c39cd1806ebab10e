#!/usr/bin/env bash
# `just bench`: installs what is missing (tansu, the venv with the anchors' packages), builds the
# release binaries and runs bench/run.py (options: --quick, --runs N, --count N, --only S,
# --bin-dir DIR, --baseline-bin-dir DIR; `bench/run.py --help`).
# Results: bench/results/latest.json and latest.md; logs of every process in .run/bench/.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$PIPELINE_ROOT"

scripts/install.sh
if ! "$PIPELINE_VENV/bin/python" -c "import confluent_kafka, kafka" 2>/dev/null; then
  "$PIPELINE_VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
fi
cargo build --release --quiet -p producer -p consumer -p verifier
exec "$PIPELINE_VENV/bin/python" bench/run.py "$@"
