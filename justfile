# Kafka event pipeline: producer → Kafka → consumer group + verifier. `just --list` shows all.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Unit tests, then end-to-end tests against tansu and librdkafka's mock cluster (installs what is missing).
test:
    scripts/test.sh

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings

# Install the local brokers and tools (tansu takes ~11 minutes to build the first time).
install:
    scripts/install.sh

# The whole pipeline without Docker: local broker, producer, two consumers, verifier.
demo:
    scripts/demo.sh

# Benchmarks against librdkafka and kafka-python-ng on local brokers (~10 min; `just bench --quick`).
bench *ARGS:
    bench/run.sh {{ARGS}}
