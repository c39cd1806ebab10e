# Shared paths for the scripts: sourced, not run.
# Where installed tools live, outside the checkout so that they survive `git clean` and are shared
# by every clone on the machine (tansu takes ~11 minutes to build: never build it twice).
export PIPELINE_CACHE="${PIPELINE_CACHE:-$HOME/.cache/kafka-pipeline}"
export PIPELINE_VENV="$PIPELINE_CACHE/venv"
# Where running brokers keep their pid, address, data and log: per checkout.
PIPELINE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PIPELINE_ROOT
export PIPELINE_RUN="$PIPELINE_ROOT/.run"
export PATH="$HOME/.cargo/bin:$PATH"
TANSU_VERSION=0.6.0
